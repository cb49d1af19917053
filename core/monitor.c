/* SPDX-License-Identifier: Apache-2.0 */
/*
 * monitor: the privileged core of hankod (see monitor.h). OPS-3, OPS-4,
 * NET-4, ACT-3.
 */
#include <errno.h>
#include <pthread.h>
#include <inttypes.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <sodium.h>
#include <uv.h>

#include "core/ckpt.h"
#include "core/cli.h"
#include "core/ipc.h"
#include "core/lifecycle.h"
#include "core/log.h"
#include "core/monitor.h"
#include "core/anchor.h"
#include "core/bgverify.h"
#include "core/state.h"
#include "core/version.h"
#include "hsm/hsm.h"
#include "ledger/ledger.h"

/* How often the HSM is probed for /readyz (a random draw on a worker). */
#define PROBE_MS 10000

struct hk_monitor {
	const struct hk_config *cfg;
	struct hsm_pool *pool;
	struct hk_ckpt *ckpt;
	struct ledger *ledger;
	struct hk_state *state;
	struct hk_anchor *anchor;  /* anti-rollback copy in the HSM */
	struct hk_bgverify *verify; /* background full verification */
	atomic_int verify_failed;
	char spool[HK_CONFIG_PATH_MAX + 16]; /* audit bundle downloads */

	uv_loop_t loop;
	uv_pipe_t ipc;
	uv_signal_t sigterm, sigint, sigchld;
	uv_timer_t probe_timer;
	uv_async_t probe_done;
	bool ipc_open;

	struct hk_buf in;          /* bytes from the front, not yet framed */
	size_t ipc_wq;             /* bytes queued to the front by uv_write */
	pid_t front;
	bool draining;             /* we asked the front to stop */
	bool front_gone;
	int result;                /* hk_monitor_serve's return value */

	atomic_int hsm_ok;         /* last probe succeeded */
	atomic_int probe_busy;

	/* The lifecycle executor and its answers, handed to the loop. */
	struct hk_lc *lc;
	struct hk_sam *sam;
	uv_async_t lc_done;
	pthread_mutex_t done_mu;
	struct done *done_head, **done_tail;
	bool done_closed; /* lc_done is closing: drop late answers */
};

struct done {
	struct done *next;
	uint64_t id;
	unsigned status;
	size_t len;
	uint8_t body[];
};

struct write_req {
	uv_write_t req;
	struct hk_buf buf;
};

/* The state digest, logged after the cold replay at start and from the
 * live state at stop: the two must be equal across a restart (a state
 * built incrementally is the state the ledger replays to). */
static void
log_digest(struct hk_monitor *m, const char *when)
{
	uint8_t dg[32], root[32];
	char hex[65];
	uint64_t size = 0;
	size_t i;

	if (hk_state_digest(m->state, dg) != 0 ||
	    ledger_size(m->ledger, &size, root) != 0) {
		hk_warn_f("cannot compute the state digest %s", when);
		return;
	}
	for (i = 0; i < 32; i++)
		snprintf(hex + 2 * i, 3, "%02x", dg[i]);
	hk_info_f("state %s: %" PRIu64 " events, digest %s", when, size, hex);
}

static int
record(struct hk_monitor *m, uint64_t type, const uint8_t *prev_config,
    const char *reason)
{
	struct hk_buf body = HK_BUF_INIT;
	struct hk_mpk_writer w;
	struct hk_event ev;
	int r;

	hk_mpk_writer_init(&w, &body);
	if (type == HK_EV_CONFIG_APPLIED) {
		hk_mpk_put_map(&w, 2);
		hk_mpk_put_uint(&w, HK_BODY_CONFIG_PREVIOUS);
		hk_mpk_put_bin(&w, prev_config, 32);
		hk_mpk_put_uint(&w, HK_BODY_APPLIANCE_CONFIG);
		hk_mpk_put_bin(&w, m->cfg->sha256, 32);
	} else {
		hk_mpk_put_map(&w, reason != NULL ? 3 : 2);
		hk_mpk_put_uint(&w, HK_BODY_APPLIANCE_VERSION);
		hk_mpk_put_cstr(&w, HK_SOFTWARE);
		hk_mpk_put_uint(&w, HK_BODY_APPLIANCE_CONFIG);
		hk_mpk_put_bin(&w, m->cfg->sha256, 32);
		if (reason != NULL) {
			hk_mpk_put_uint(&w, HK_BODY_APPLIANCE_REASON);
			hk_mpk_put_cstr(&w, reason);
		}
	}
	if ((r = hk_mpk_writer_status(&w)) == 0) {
		memset(&ev, 0, sizeof(ev));
		ev.type = type;
		ev.actor_kind = HK_ACTOR_SYSTEM;
		ev.actor_id = (struct hk_bytes){(const uint8_t *)"hankod", 6};
		ev.actor_channel = HK_CHANNEL_INTERNAL;
		ev.body = (struct hk_bytes){body.p, body.len};
		const char *why;

		if ((r = ledger_append_wait(m->ledger, &ev, &ev.seq)) == 0 &&
		    hk_state_apply(m->state, &ev, &why) != 0)
			r = HK_ESTATE;
	}
	hk_buf_release(&body);
	return r;
}

/** hk_monitor_open(cfg, state_dir, out): open HSM, ledger and state. */
int
hk_monitor_open(const struct hk_config *cfg, const char *state_dir,
    struct hk_monitor **out)
{
	struct hk_monitor *m;
	struct hsm_opts ho;
	struct ledger_opts lo;
	uint8_t prev[32];
	char dir[HK_CONFIG_PATH_MAX + 16];
	uint64_t events = 0;
	int r;

	if ((m = calloc(1, sizeof(*m))) == NULL)
		return HK_ENOMEM;
	m->cfg = cfg;
	m->front = -1;
	snprintf(m->spool, sizeof(m->spool), "%s/spool", state_dir);
	/* The embedded token's SoftHSM reads its configuration from the
	 * environment, before the module is loaded. */
	if (cfg->softhsm_conf[0] != '\0')
		setenv("SOFTHSM2_CONF", cfg->softhsm_conf, 1);
	memset(&ho, 0, sizeof(ho));
	ho.module = cfg->hsm_module;
	ho.token = cfg->hsm_token;
	ho.pin_file = cfg->hsm_pin_file;
	ho.sessions = cfg->hsm_sessions;
	if ((r = hsm_pool_new(&ho, &m->pool)) != 0) {
		hk_error_f("the HSM is not usable (%s); refusing to serve",
		    hk_strerror(r));
		goto out;
	}
	atomic_store(&m->hsm_ok, 1);
	if ((r = hk_ckpt_open(m->pool, cfg->checkpoint_key, cfg->origin,
		 &m->ckpt)) != 0)
		goto out;
	snprintf(dir, sizeof(dir), "%s/%s", state_dir, HK_STATE_LEDGER);
	memset(&lo, 0, sizeof(lo));
	lo.window_us = cfg->commit_window_us;
	if ((r = ledger_open(dir, &lo, hk_ckpt_signer(m->ckpt), &m->ledger)) !=
	    0) {
		hk_error_f("cannot open the ledger in %s (%s)", dir,
		    hk_strerror(r));
		goto out;
	}
	if (strcmp(ledger_origin(m->ledger), cfg->origin) != 0) {
		hk_error_f("the ledger's origin %s is not the configured %s",
		    ledger_origin(m->ledger), cfg->origin);
		r = HK_ECONFIG;
		goto out;
	}
	{
		char why[256];
		uint64_t anchored = 0;

		if ((r = hk_anchor_check(m->pool, m->ledger,
			 ledger_vkey(m->ledger), &anchored, why,
			 sizeof(why))) != 0) {
			hk_error_f("refusing to start: %s", why);
			goto out;
		}
		if (anchored > 0)
			hk_info_f("the ledger extends its HSM anchor (size %"
				  PRIu64 ")", anchored);
		else
			hk_info_f("no ledger anchor in the HSM yet");
	}
	if ((m->state = hk_state_new()) == NULL) {
		r = HK_ENOMEM;
		goto out;
	}
	if ((r = hk_state_replay(m->state, m->ledger, &events)) != 0) {
		hk_error_f("replaying the ledger failed (%s)", hk_strerror(r));
		goto out;
	}
	log_digest(m, "replayed");
	if (hk_state_flagged(m->state, NULL, NULL) > 0) {
		uint64_t seq;
		const char *why;

		hk_state_flagged(m->state, &seq, &why);
		hk_warn_f("replay flagged an illegal transition at seq %" PRIu64
			  ": %s", seq, why);
	}
	if (hk_state_last_config(m->state, prev) &&
	    memcmp(prev, cfg->sha256, 32) != 0 &&
	    (r = record(m, HK_EV_CONFIG_APPLIED, prev, NULL)) != 0) {
		hk_error_f("cannot record the configuration change (%s)",
		    hk_strerror(r));
		goto out;
	}
	if ((r = record(m, HK_EV_APPLIANCE_STARTED, NULL, NULL)) != 0) {
		hk_error_f("cannot record the start (%s)", hk_strerror(r));
		goto out;
	}
	if ((r = hk_anchor_start(m->pool, m->ledger, cfg->anchor_interval_ms,
		 &m->anchor)) != 0)
		goto out;
	hk_info_f("core ready: ledger %s (%" PRIu64 " events replayed), "
		  "token \"%s\"", cfg->origin, events, cfg->hsm_token);
	*out = m;
	m = NULL;
out:
	if (m != NULL)
		hk_monitor_close(m, NULL);
	return r;
}

/* ---- serving the front ------------------------------------------------ */

static void
close_all(struct hk_monitor *m)
{
	if (m->ipc_open && !uv_is_closing((uv_handle_t *)&m->ipc))
		uv_close((uv_handle_t *)&m->ipc, NULL);
	m->ipc_open = false;
	if (!uv_is_closing((uv_handle_t *)&m->sigterm)) {
		uv_close((uv_handle_t *)&m->sigterm, NULL);
		uv_close((uv_handle_t *)&m->sigint, NULL);
		uv_close((uv_handle_t *)&m->sigchld, NULL);
		uv_close((uv_handle_t *)&m->probe_timer, NULL);
		uv_close((uv_handle_t *)&m->probe_done, NULL);
		pthread_mutex_lock(&m->done_mu);
		m->done_closed = true;
		pthread_mutex_unlock(&m->done_mu);
		uv_close((uv_handle_t *)&m->lc_done, NULL);
	}
}

/* stop(m, result, why): end the service; the front is killed when it did
 * not stop by itself. */
static void
stop(struct hk_monitor *m, int result, const char *why)
{
	if (why != NULL)
		hk_error_f("%s", why);
	if (m->result == 0)
		m->result = result;
	if (!m->front_gone && m->front > 0)
		kill(m->front, SIGKILL);
	close_all(m);
}

static void
write_cb(uv_write_t *req, int status)
{
	struct write_req *w = (struct write_req *)req;
	struct hk_monitor *m = req->data;

	m->ipc_wq -= w->buf.len;
	if (status != 0 && status != UV_ECANCELED && m->ipc_open)
		hk_warn_f("writing to the front: %s", uv_strerror(status));
	hk_buf_release(&w->buf);
	free(w);
}

/* ipc_out(m, out): send ${out} (one or more frames) to the front and
 * release it. Straight into the socket when nothing is queued
 * (uv_try_write: no request, no copy, no callback, and none of the
 * epoll_ctl calls a completed uv_write costs libuv); whatever the socket
 * does not take is queued behind, in order. */
static void
ipc_out(struct hk_monitor *m, struct hk_buf *out)
{
	struct write_req *w;
	size_t done = 0;
	uv_buf_t b;
	int n;

	if (!m->ipc_open || out->len == 0)
		goto out;
	if (m->ipc_wq == 0) {
		b = uv_buf_init((char *)out->p, (unsigned)out->len);
		if ((n = uv_try_write((uv_stream_t *)&m->ipc, &b, 1)) < 0 &&
		    n != UV_EAGAIN) {
			stop(m, HK_EIO, "cannot write to the front");
			goto out;
		}
		if (n > 0)
			done = (size_t)n;
		if (done == out->len)
			goto out;
	}
	if ((w = calloc(1, sizeof(*w))) == NULL ||
	    hk_buf_put(&w->buf, out->p + done, out->len - done) != 0) {
		free(w);
		stop(m, HK_ENOMEM, "out of memory for a response to the front");
		goto out;
	}
	w->req.data = m;
	b = uv_buf_init((char *)w->buf.p, (unsigned)w->buf.len);
	if (uv_write(&w->req, (uv_stream_t *)&m->ipc, &b, 1, write_cb) != 0) {
		hk_buf_release(&w->buf);
		free(w);
		stop(m, HK_EIO, "cannot write to the front");
		goto out;
	}
	m->ipc_wq += w->buf.len;
out:
	hk_buf_release(out);
}

/* encode_response(m, id, status, body, out): append the response frame
 * to ${out}. 0, or the front cannot be answered (stopping). */
static int
encode_response(struct hk_monitor *m, uint64_t id, uint64_t status,
    const struct hk_bytes body, struct hk_buf *out)
{
	struct hk_ipc_msg msg;
	/* {1: "server_error", 2: "Internal error"} */
	static const uint8_t internal_error[] = {0x82, 0x01, 0xac, 's', 'e',
	    'r', 'v', 'e', 'r', '_', 'e', 'r', 'r', 'o', 'r', 0x02, 0xae, 'I',
	    'n', 't', 'e', 'r', 'n', 'a', 'l', ' ', 'e', 'r', 'r', 'o', 'r'};
	size_t mark = out->len;
	int r;

	memset(&msg, 0, sizeof(msg));
	msg.response = true;
	msg.id = id;
	msg.status = status;
	msg.body = body;
	if ((r = hk_ipc_encode(&msg, out)) != 0) {
		/* A core bug or memory pressure: this request fails, the
		 * appliance keeps serving (a malformed answer never leaves). */
		hk_error_f("request %" PRIu64 ": cannot encode its response "
		    "(status %" PRIu64 ", %zu bytes): %s; answering 500", id,
		    status, body.n, hk_strerror(r));
		out->len = mark;
		msg.status = 500;
		msg.body = (struct hk_bytes){internal_error, sizeof(internal_error)};
		if (hk_ipc_encode(&msg, out) != 0) {
			out->len = mark;
			stop(m, HK_EPROTO, "cannot encode a response to the front");
			return HK_EPROTO;
		}
	}
	return 0;
}

static void
respond(struct hk_monitor *m, uint64_t id, uint64_t status,
    const struct hk_buf *body)
{
	struct hk_buf out = HK_BUF_INIT;

	if (!m->ipc_open)
		return;
	if (encode_response(m, id, status,
		(struct hk_bytes){body->p, body->len}, &out) == 0)
		ipc_out(m, &out);
	hk_buf_release(&out);
}

static void
handle(struct hk_monitor *m, const struct hk_ipc_msg *req)
{
	struct hk_buf body = HK_BUF_INIT;
	struct hk_mpk_writer w;
	const char *failure;
	bool ledger_ok, hsm_ok;

	hk_mpk_writer_init(&w, &body);
	if (hk_sam_handles(req->type) && m->sam != NULL &&
	    req->ctx.listener == HK_IPC_SIGNING) {
		/* The hot path stays on this loop: it never blocks. */
		if (hk_sam_sign_hash(m->sam, req) != 0) {
			hk_mpk_put_map(&w, 2);
			hk_mpk_put_uint(&w, 1);
			hk_mpk_put_cstr(&w, "temporarily_unavailable");
			hk_mpk_put_uint(&w, 2);
			hk_mpk_put_cstr(&w, "The service is unavailable");
			respond(m, req->id, 503, &body);
		}
		hk_buf_release(&body);
		return;
	}
	if (hk_lc_handles(req->type)) {
		if (m->lc == NULL || hk_lc_submit(m->lc, req) != 0) {
			hk_mpk_put_map(&w, 2);
			hk_mpk_put_uint(&w, 1);
			hk_mpk_put_cstr(&w, "unavailable");
			hk_mpk_put_uint(&w, 2);
			hk_mpk_put_cstr(&w, "the core is busy");
			respond(m, req->id, 503, &body);
		}
		hk_buf_release(&body);
		return;
	}
	switch (req->type) {
	case HK_IPC_HEALTH:
		hk_mpk_put_map(&w, 0);
		respond(m, req->id, 200, &body);
		break;
	default:
		/* A type the contract assigns but this core does not serve. */
		hk_mpk_put_map(&w, 2);
		hk_mpk_put_uint(&w, 1);
		hk_mpk_put_cstr(&w, "not_found");
		hk_mpk_put_uint(&w, 2);
		hk_mpk_put_cstr(&w, "unknown operation");
		respond(m, req->id, 404, &body);
		break;
	case HK_IPC_READY:
		failure = ledger_failure(m->ledger);
		if (failure == NULL && atomic_load(&m->verify_failed))
			failure = "the ledger failed its background "
				  "verification; signing is stopped";
		ledger_ok = failure == NULL;
		hsm_ok = atomic_load(&m->hsm_ok) != 0;
		hk_mpk_put_map(&w, ledger_ok && hsm_ok ? 2 : 3);
		hk_mpk_put_uint(&w, HK_IPC_READY_LEDGER);
		hk_mpk_put_bool(&w, ledger_ok);
		hk_mpk_put_uint(&w, HK_IPC_READY_HSM);
		hk_mpk_put_bool(&w, hsm_ok);
		if (!ledger_ok || !hsm_ok) {
			hk_mpk_put_uint(&w, HK_IPC_READY_REASON);
			hk_mpk_put_cstr(&w, !ledger_ok ? failure :
			    "the HSM did not answer the last probe");
		}
		respond(m, req->id, ledger_ok && hsm_ok ? 200 : 503, &body);
		break;
	}
	hk_buf_release(&body);
}

static void
alloc_cb(uv_handle_t *h, size_t hint, uv_buf_t *buf)
{
	struct hk_monitor *m = h->data;

	(void)hint;
	if (hk_buf_reserve(&m->in, 65536) != 0) {
		*buf = uv_buf_init(NULL, 0);
		return;
	}
	*buf = uv_buf_init((char *)m->in.p + m->in.len, 65536);
}

static void
read_cb(uv_stream_t *s, ssize_t n, const uv_buf_t *buf)
{
	struct hk_monitor *m = s->data;
	struct hk_mpk_error err;
	struct hk_ipc_msg msg;
	const uint8_t *frame;
	size_t flen, used, off = 0;
	char why[200];
	int r;

	(void)buf;
	if (n == UV_EOF || n < 0) {
		/* The front closed its end: expected while draining; its exit
		 * status arrives with SIGCHLD. */
		if (!m->draining)
			hk_info_f("the front closed the IPC channel");
		uv_read_stop(s);
		return;
	}
	m->in.len += (size_t)n;
	while ((r = hk_ipc_frame_next(m->in.p + off, m->in.len - off, &frame,
		    &flen, &used)) == 0) {
		if (hk_ipc_decode(frame, flen, &msg, &err) != 0 ||
		    msg.response) {
			snprintf(why, sizeof(why), "the front sent a malformed "
			    "message (%s at byte %zu); stopping",
			    msg.response ? "a response" : err.msg, err.off);
			stop(m, HK_EPROTO, why);
			return;
		}
		handle(m, &msg);
		off += used;
	}
	if (r == HK_ETOOBIG) {
		stop(m, HK_EPROTO, "the front announced an oversized frame; "
				   "stopping");
		return;
	}
	memmove(m->in.p, m->in.p + off, m->in.len - off);
	m->in.len -= off;
}

static void
sigterm_cb(uv_signal_t *h, int sig)
{
	struct hk_monitor *m = h->data;

	if (m->draining)
		return;
	hk_info_f("received %s: draining the front",
	    sig == SIGTERM ? "SIGTERM" : "SIGINT");
	m->draining = true;
	if (!m->front_gone)
		kill(m->front, SIGTERM);
	else
		close_all(m);
}

static void
sigchld_cb(uv_signal_t *h, int sig)
{
	struct hk_monitor *m = h->data;
	char why[160];
	int st;

	(void)sig;
	if (m->front_gone || waitpid(m->front, &st, WNOHANG) != m->front)
		return;
	m->front_gone = true;
	/* The front exits 0 only after draining on SIGTERM/SIGINT, which a
	 * service manager may send to both processes at once: an orderly
	 * stop either way. */
	if (WIFEXITED(st) && WEXITSTATUS(st) == 0) {
		hk_info_f("the front drained and exited");
		m->draining = true;
		close_all(m);
		return;
	}
	if (WIFSIGNALED(st))
		snprintf(why, sizeof(why), "the network front died (signal %d); "
		    "stopping", WTERMSIG(st));
	else
		snprintf(why, sizeof(why), "the network front exited with "
		    "status %d; stopping", WEXITSTATUS(st));
	stop(m, HK_EIO, why);
}

/* The HSM probe: a random draw on an adapter worker, never on the loop. */
static void
probe_work(struct hsm_pool *p, void *arg, int status)
{
	struct hk_monitor *m = arg;
	uint8_t b[8];

	atomic_store(&m->hsm_ok, status == 0 && hsm_pool_random(p, b, 8) == 0);
	atomic_store(&m->probe_busy, 0);
	uv_async_send(&m->probe_done);
}

static void
probe_done_cb(uv_async_t *h)
{
	struct hk_monitor *m = h->data;
	static int was_ok = 1;
	int ok = atomic_load(&m->hsm_ok);

	if (ok != was_ok)
		hk_log_msg(ok ? HK_LOG_INFO : HK_LOG_ERROR, __func__,
		    "the HSM %s", ok ? "answers again" : "stopped answering");
	was_ok = ok;
}

static void
probe_cb(uv_timer_t *t)
{
	struct hk_monitor *m = t->data;

	if (atomic_exchange(&m->probe_busy, 1))
		return; /* the previous probe still waits */
	if (hsm_pool_submit(m->pool, probe_work, m) != 0) {
		atomic_store(&m->probe_busy, 0);
		atomic_store(&m->hsm_ok, 0);
	}
}

static void
unblock_signals(void)
{
	sigset_t set;

	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGCHLD);
	pthread_sigmask(SIG_UNBLOCK, &set, NULL);
}

/* On the executor thread: queue the answer for the loop. */
static void
lc_done_cb(void *arg, uint64_t id, unsigned status, const uint8_t *body,
    size_t len)
{
	struct hk_monitor *m = arg;
	struct done *d = malloc(sizeof(*d) + len);

	if (d == NULL) {
		hk_error_f("out of memory for an answer; the front will time "
			   "out request %" PRIu64, id);
		return;
	}
	d->next = NULL;
	d->id = id;
	d->status = status;
	d->len = len;
	memcpy(d->body, body, len);
	/* uv_async_send on a closed handle is undefined: the flag and the
	 * send are under the lock close_all() takes to set it. */
	pthread_mutex_lock(&m->done_mu);
	if (m->done_closed) {
		pthread_mutex_unlock(&m->done_mu);
		sodium_memzero(d->body, d->len);
		free(d);
		return;
	}
	*m->done_tail = d;
	m->done_tail = &d->next;
	uv_async_send(&m->lc_done);
	pthread_mutex_unlock(&m->done_mu);
}

static void
lc_done_async(uv_async_t *h)
{
	struct hk_monitor *m = h->data;
	struct done *d, *next;
	struct hk_buf b = HK_BUF_INIT;

	pthread_mutex_lock(&m->done_mu);
	d = m->done_head;
	m->done_head = NULL;
	m->done_tail = &m->done_head;
	pthread_mutex_unlock(&m->done_mu);
	/* Every answer that is ready goes out in one write: under load the
	 * group commit releases many at once. */
	for (; d != NULL; d = next) {
		next = d->next;
		if (m->ipc_open)
			(void)encode_response(m, d->id, d->status,
			    (struct hk_bytes){d->body, d->len}, &b);
		sodium_memzero(d->body, d->len);
		free(d);
	}
	ipc_out(m, &b);
}

/* The background verification failed: no more signatures, /readyz red. */
static void
verify_failed(void *arg, const char *why)
{
	struct hk_monitor *m = arg;

	atomic_store(&m->verify_failed, 1);
	hk_sam_fail_closed(m->sam);
	hk_error_f("the ledger failed its verification (%s): signing is "
		   "stopped until an operator restarts hankod", why);
}

/** hk_monitor_serve(m, ipc_fd, front): serve the front until stopping. */
int
hk_monitor_serve(struct hk_monitor *m, int ipc_fd, pid_t front)
{
	int r;

	m->front = front;
	if ((r = uv_loop_init(&m->loop)) != 0)
		return HK_EIO;
	uv_pipe_init(&m->loop, &m->ipc, 0);
	uv_signal_init(&m->loop, &m->sigterm);
	uv_signal_init(&m->loop, &m->sigint);
	uv_signal_init(&m->loop, &m->sigchld);
	uv_timer_init(&m->loop, &m->probe_timer);
	uv_async_init(&m->loop, &m->probe_done, probe_done_cb);
	uv_async_init(&m->loop, &m->lc_done, lc_done_async);
	m->ipc.data = m->sigterm.data = m->sigint.data = m->sigchld.data = m;
	m->probe_timer.data = m->probe_done.data = m->lc_done.data = m;
	pthread_mutex_init(&m->done_mu, NULL);
	m->done_tail = &m->done_head;
	{
		struct hk_lc_opts lo;
		struct hk_sam_opts so;

		memset(&so, 0, sizeof(so));
		so.cfg = m->cfg;
		so.ledger = m->ledger;
		so.pool = m->pool;
		so.state = m->state;
		so.done = lc_done_cb;
		so.arg = m;
		memset(&lo, 0, sizeof(lo));
		lo.cfg = m->cfg;
		lo.ledger = m->ledger;
		lo.pool = m->pool;
		lo.state = m->state;
		hk_pwhash_params_default(&lo.pwhash);
		lo.done = lc_done_cb;
		lo.arg = m;
		lo.spool_dir = m->spool;
		if (hk_sam_new(&so, &m->sam) != 0) {
			stop(m, HK_ENOMEM, "cannot start the SAM; stopping");
		} else {
			lo.sam = m->sam;
			if (hk_lc_new(&lo, &m->lc) != 0)
				stop(m, HK_ECONFIG, "cannot start the lifecycle "
						    "executor; stopping");
		}
	}
	if (m->sam != NULL) {
		struct hk_bgverify_opts vo;

		memset(&vo, 0, sizeof(vo));
		vo.ledger = m->ledger;
		vo.state = m->state;
		vo.interval_s = m->cfg->verify_interval_s;
		vo.fail = verify_failed;
		vo.arg = m;
		if (hk_bgverify_start(&vo, &m->verify) != 0)
			stop(m, HK_ENOMEM, "cannot start the background "
					   "verification; stopping");
	}
	if (uv_pipe_open(&m->ipc, ipc_fd) != 0 ||
	    uv_read_start((uv_stream_t *)&m->ipc, alloc_cb, read_cb) != 0) {
		stop(m, HK_EIO, "cannot read the IPC channel");
	} else {
		m->ipc_open = true;
		uv_signal_start(&m->sigterm, sigterm_cb, SIGTERM);
		uv_signal_start(&m->sigint, sigterm_cb, SIGINT);
		uv_signal_start(&m->sigchld, sigchld_cb, SIGCHLD);
		uv_timer_start(&m->probe_timer, probe_cb, PROBE_MS, PROBE_MS);
		/* hankod blocked these signals before forking so that they wait
		 * for their handlers; the handlers are in place now. */
		unblock_signals();
		/* The front may have died before the handler was in place. */
		sigchld_cb(&m->sigchld, SIGCHLD);
	}
	uv_run(&m->loop, UV_RUN_DEFAULT);
	hk_bgverify_stop(m->verify);
	m->verify = NULL;
	/* Requests in the executor finish (their events become durable);
	 * their answers have no front to go to any more. */
	hk_lc_free(m->lc);
	m->lc = NULL;
	/* Signatures in flight end when their events are durable. */
	hk_sam_free(m->sam);
	m->sam = NULL;
	{
		struct done *d, *next;

		for (d = m->done_head; d != NULL; d = next) {
			next = d->next;
			sodium_memzero(d->body, d->len);
			free(d);
		}
		m->done_head = NULL;
	}
	pthread_mutex_destroy(&m->done_mu);
	/* A probe still queued on the adapter finishes before the pool is
	 * freed (hsm_pool_free waits for its workers). */
	if (uv_loop_close(&m->loop) != 0)
		hk_warn_f("the core loop still had open handles");
	if (!m->front_gone && m->front > 0) {
		kill(m->front, SIGKILL);
		waitpid(m->front, NULL, 0);
	}
	return m->result;
}

/** hk_monitor_close(m, reason): record the stop and close everything. */
void
hk_monitor_close(struct hk_monitor *m, const char *reason)
{
	int r;

	if (m == NULL)
		return;
	if (reason != NULL && m->ledger != NULL &&
	    ledger_failure(m->ledger) == NULL &&
	    (r = record(m, HK_EV_APPLIANCE_STOPPED, NULL, reason)) != 0)
		hk_error_f("cannot record the stop (%s)", hk_strerror(r));
	if (reason != NULL && m->state != NULL)
		log_digest(m, "at stop");
	/* After the last event: the anchor names the final checkpoint. */
	hk_anchor_stop(m->anchor);
	ledger_close(m->ledger);
	hk_ckpt_free(m->ckpt);
	hsm_pool_free(m->pool);
	hk_state_free(m->state);
	hk_buf_release(&m->in);
	free(m);
}
