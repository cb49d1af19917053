/* SPDX-License-Identifier: Apache-2.0 */
/*
 * front: the network front's libuv loop (NET-1, NET-2, NET-3, ACT-5,
 * ACT-8, OPS-6); see front.h for the contract and docs/front.md for the
 * limits and logs.
 *
 * Objects. struct net_front embeds the loop, the two listeners, the pipe
 * to the core, the signal watchers and the drain timer. Each accepted
 * connection is a heap struct conn embedding its TCP handle, one timer and
 * one shutdown request; it is freed only when both handles' close
 * callbacks have run (style item 19). Until then a struct conn stays
 * valid even after conn_abort(), so code that may abort a connection
 * simply checks c->phase afterwards.
 *
 * A connection moves through phases; the single timer's meaning follows
 * the phase:
 *   HANDSHAKE  TLS handshake          header timeout: close silently
 *   IDLE       no request bytes       idle timeout: close (close_notify)
 *   HEAD       request head arriving  header timeout: 408
 *   BODY       request body arriving  body timeout: 408
 *   CORE       waiting for the core   core timeout: 504
 *   FLUSH      closing: output drains flush bound: abort
 *   SHUTDOWN   FIN queued (uv_shutdown)
 *   LINGER     reading and discarding until the peer's FIN (so that
 *              unread input does not turn our close into a reset that
 *              destroys the response), linger bound: abort
 *   CLOSED     uv_close called
 * One request is handled at a time per connection; pipelined bytes wait
 * in c->in and are parsed after the response to the one before.
 *
 * Requests to the core carry a unique id (also the X-Request-Id the
 * client sees, with a per-start prefix) and sit in a small hash table
 * until the answer with that id arrives, the connection goes away or the
 * core timeout fires. Anything malformed from the core, or the channel
 * closing, stops the front (fail closed).
 */
#include <errno.h>
#include <stdarg.h>
#include <netdb.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>

#include <jansson.h>
#include <sodium.h>
#include <uv.h>

#include "core/buf.h"
#include "core/codec.h"
#include "core/ipc.h"
#include "core/log.h"
#include "core/mpk.h"
#include "net/console.h"
#include "net/front.h"
#include "net/http.h"
#include "net/route.h"
#include "net/tls.h"

#define container_of(ptr, type, member) \
	((type *)(void *)((char *)(ptr) - offsetof(type, member)))

/* Read from sockets in chunks of this size (one shared buffer: libuv calls
 * a read callback right after its allocation callback, on one thread). */
#define FRONT_READ_SIZE 65536
/* While a request is with the core, stop reading once this much of the
 * next request(s) is buffered. */
#define FRONT_INPUT_PAUSE ((size_t)64 << 10)
/* Bounds on closing: output must drain within FLUSH, then the peer's FIN
 * is awaited for LINGER. */
#define FRONT_FLUSH_MS 5000
#define FRONT_LINGER_MS 2000
/* Answer 503 rather than queue more requests once this much output waits
 * on the pipe to the core. */
#define FRONT_IPC_HWM ((size_t)32 << 20)
/* Pending-request hash buckets (a power of two). */
#define FRONT_BUCKETS 4096
#define FRONT_LISTEN_BACKLOG 1024
/* Longest path copied into the request log line. */
#define FRONT_LOG_PATH 128

enum listener_kind { LST_SIGNING = 0, LST_ADMIN = 1, LST_COUNT = 2 };

struct front_listener {
	uv_tcp_t tcp;
	struct net_front *f;
	enum listener_kind kind;
	const char *name; /* "signing", "admin" */
	struct net_tls_ctx *tls;
	bool inited;
};

enum conn_phase {
	PH_HANDSHAKE,
	PH_IDLE,
	PH_HEAD,
	PH_BODY,
	PH_CORE,
	PH_STREAM, /* a download: waiting for the client to take bytes */
	PH_FLUSH,
	PH_SHUTDOWN,
	PH_LINGER,
	PH_CLOSED,
};

struct conn {
	uv_tcp_t tcp;
	uv_timer_t timer;
	uv_shutdown_t shut;
	struct net_front *f;
	struct front_listener *l;
	struct conn *prev, *next; /* f->conns */
	struct conn *pnext;       /* pending-request bucket chain */
	int open_handles;         /* close callbacks still to come */
	enum conn_phase phase;
	bool refused;      /* over max_connections: answer 503, close */
	bool reading;      /* uv_read_start in effect */
	bool eof;          /* the peer's FIN (or a read error) was seen */
	bool peer_closed;  /* close_notify or FIN: no further requests */
	bool tls_done;     /* handshake finished, peer facts recorded */
	bool pending;      /* in the pending table */
	bool cont_sent;    /* "100 Continue" sent for this request */
	bool has_cert;
	struct net_tls_conn *tls;
	struct net_http_request *req;
	struct hk_buf in;  /* plaintext received and not yet consumed */
	size_t wq_bytes;   /* bytes in uv_write requests not yet completed */
	/* The request being handled. */
	uint64_t id;
	uint64_t t_start;  /* uv_hrtime() at its first byte */
	const struct net_route *route;
	const struct net_console_asset *asset; /* console route: NULL when
						 * no such asset (404) */
	bool keep_alive;
	const char *method; /* static, "-" until the head is parsed */
	bool head_method;   /* HEAD: the answer carries no body */
	char path[FRONT_LOG_PATH + 4];
	char peer[64];     /* "address:port" */
	uint8_t fp[NET_TLS_FP_LEN];
	char subject[512];
	/* A download in chunks (NET_ROUTE_STREAM): the core's handle, the
	 * next offset and the archive's size. */
	bool streaming;
	char sh[33];
	uint64_t s_next, s_total;
};

struct net_front {
	uv_loop_t loop;
	bool loop_inited, loop_closed, ran;
	struct front_listener lst[LST_COUNT];
	uv_pipe_t ipc;
	bool ipc_inited;
	uv_signal_t sig[2];
	bool sig_inited[2];
	uv_timer_t drain_timer;
	bool drain_inited;

	unsigned max_conns, idle_ms, header_ms, body_ms, core_ms, drain_ms;
	unsigned nconns, nrefused;
	unsigned long refused_count;
	uint64_t refused_logged_at;
	struct conn *conns;
	struct conn *pending[FRONT_BUCKETS];
	uint64_t next_id;
	char id_prefix[9];

	struct hk_buf ipc_in;
	size_t ipc_wq;
	bool draining, stopping;
	int status; /* net_front_run's result */
	uint8_t rbuf[FRONT_READ_SIZE];
};

/* One queued write: the bytes live right after the request. */
struct wreq {
	uv_write_t req;
	size_t len;
	uint8_t data[];
};

/*
 * The route table is data in net/route.c: method, path pattern,
 * listeners, IPC type, request and response schemas. The front matches
 * a request against it, has net_route_request build the core request's
 * body, and translates the answer with net_route_response (or, for
 * /healthz and /readyz, with answer_health and answer_ready here).
 */
static void conn_process(struct conn *c);
static void conn_close(struct conn *c);
static void conn_abort(struct conn *c);
static void conn_update_reading(struct conn *c);
static void stream_more(struct conn *c);
static void front_fail(struct net_front *f, int status, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void front_maybe_finish(struct net_front *f);

/* ---- pending requests ------------------------------------------------ */

static void
pending_add(struct net_front *f, struct conn *c)
{
	size_t b = (size_t)(c->id & (FRONT_BUCKETS - 1));

	c->pnext = f->pending[b];
	f->pending[b] = c;
	c->pending = true;
}

/* pending_take(f, id): unlink and return the connection waiting for ${id},
 * or NULL. */
static struct conn *
pending_take(struct net_front *f, uint64_t id)
{
	struct conn **pp = &f->pending[id & (FRONT_BUCKETS - 1)], *c;

	for (; (c = *pp) != NULL; pp = &c->pnext)
		if (c->id == id) {
			*pp = c->pnext;
			c->pnext = NULL;
			c->pending = false;
			return c;
		}
	return NULL;
}

static void
pending_remove(struct conn *c)
{
	if (c->pending)
		(void)pending_take(c->f, c->id);
}

/* ---- writes ----------------------------------------------------------- */

static void
conn_write_cb(uv_write_t *req, int status)
{
	struct wreq *w = container_of(req, struct wreq, req);
	struct conn *c = req->data;

	c->wq_bytes -= w->len;
	free(w);
	if (c->phase == PH_CLOSED)
		return;
	if (status < 0) {
		hk_debug_f("write to %s: %s", c->peer, uv_strerror(status));
		conn_abort(c);
		return;
	}
	if (c->phase == PH_FLUSH) {
		if (c->wq_bytes == 0)
			conn_close(c); /* its shutdown step, deferred */
		return;
	}
	if (c->phase == PH_STREAM) {
		if (c->wq_bytes <= NET_FRONT_WRITE_HWM)
			stream_more(c);
		return;
	}
	/* Below the high-water mark again: resume reading and any pipelined
	 * request that waited. */
	if (c->wq_bytes <= NET_FRONT_WRITE_HWM &&
	    (c->phase == PH_IDLE || c->phase == PH_HEAD || c->phase == PH_BODY))
		conn_process(c);
	else
		conn_update_reading(c);
}

/* conn_flush(c): queue the TLS output pending on ${c}. 0, or the
 * connection was aborted (HK_EIO/HK_ENOMEM). */
static int
conn_flush(struct conn *c)
{
	struct hk_buf ct = HK_BUF_INIT;
	struct wreq *w = NULL;
	size_t done = 0;
	uv_buf_t b;
	int n, r;

	if ((r = net_tls_conn_take_output(c->tls, &ct)) != 0)
		goto out;
	if (ct.len == 0)
		goto out;
	/* Nothing queued: write at once (uv_try_write). A write that the
	 * socket takes whole needs no request, no copy and no callback,
	 * and spares libuv the epoll_ctl that every completed uv_write
	 * costs; what the socket does not take is queued as before. */
	if (c->wq_bytes == 0) {
		b = uv_buf_init((char *)ct.p, (unsigned)ct.len);
		if ((n = uv_try_write((uv_stream_t *)&c->tcp, &b, 1)) < 0 &&
		    n != UV_EAGAIN) {
			hk_debug_f("write to %s: %s", c->peer,
			    uv_strerror(n));
			r = HK_EIO;
			goto out;
		}
		if (n > 0)
			done = (size_t)n;
		if (done == ct.len)
			goto out;
	}
	if ((w = malloc(sizeof(*w) + ct.len - done)) == NULL) {
		r = HK_ENOMEM;
		goto out;
	}
	memcpy(w->data, ct.p + done, ct.len - done);
	w->len = ct.len - done;
	w->req.data = c;
	b = uv_buf_init((char *)w->data, (unsigned)w->len);
	if ((r = uv_write(&w->req, (uv_stream_t *)&c->tcp, &b, 1,
		 conn_write_cb)) != 0) {
		hk_debug_f("write to %s: %s", c->peer, uv_strerror(r));
		free(w);
		r = HK_EIO;
		goto out;
	}
	c->wq_bytes += w->len;
	r = 0;
out:
	hk_buf_release(&ct);
	if (r != 0)
		conn_abort(c);
	return r;
}

/* ---- closing ---------------------------------------------------------- */

static void
conn_free(struct conn *c)
{
	struct net_front *f = c->f;

	if (c->prev != NULL)
		c->prev->next = c->next;
	else
		f->conns = c->next;
	if (c->next != NULL)
		c->next->prev = c->prev;
	if (c->refused)
		f->nrefused--;
	else
		f->nconns--;
	net_tls_conn_free(c->tls);
	net_http_request_free(c->req);
	hk_buf_release(&c->in); /* wiped: it may hold an Authorization value */
	sodium_memzero(c, sizeof(*c));
	free(c);
	front_maybe_finish(f);
}

static void
conn_close_cb(uv_handle_t *h)
{
	struct conn *c = h->data;

	if (--c->open_handles == 0)
		conn_free(c);
}

/* conn_abort(c): close ${c}'s handles now; pending writes are cancelled. */
static void
conn_abort(struct conn *c)
{
	if (c->phase == PH_CLOSED)
		return;
	pending_remove(c);
	c->phase = PH_CLOSED;
	c->reading = false;
	uv_close((uv_handle_t *)&c->tcp, conn_close_cb);
	uv_close((uv_handle_t *)&c->timer, conn_close_cb);
}

static void conn_timer_cb(uv_timer_t *t);

static void
conn_timer(struct conn *c, unsigned ms)
{
	/* Cannot fail on an initialised timer with a callback. */
	(void)uv_timer_start(&c->timer, conn_timer_cb, ms, 0);
}

static void
conn_shutdown_cb(uv_shutdown_t *req, int status)
{
	struct conn *c = req->data;

	if (c->phase != PH_SHUTDOWN)
		return; /* aborted meanwhile (status UV_ECANCELED) */
	if (status < 0 || c->eof) {
		conn_abort(c);
		return;
	}
	c->phase = PH_LINGER;
	conn_timer(c, FRONT_LINGER_MS);
	conn_update_reading(c);
}

/*
 * conn_close(c): the graceful close: queue close_notify (after the
 * handshake), let the output drain, send FIN, read and discard until the
 * peer's FIN, then close. Each step is bounded by the timer.
 */
static void
conn_close(struct conn *c)
{
	int r;

	if (c->phase > PH_FLUSH)
		return;
	if (c->phase != PH_FLUSH) {
		pending_remove(c);
		c->phase = PH_FLUSH;
		conn_timer(c, FRONT_FLUSH_MS);
		if (c->tls_done && net_tls_conn_shutdown(c->tls) == 0 &&
		    conn_flush(c) != 0)
			return;
		conn_update_reading(c);
		if (c->phase != PH_FLUSH)
			return;
	}
	if (c->wq_bytes > 0)
		return; /* conn_write_cb comes back here */
	c->phase = PH_SHUTDOWN;
	c->shut.data = c;
	if ((r = uv_shutdown(&c->shut, (uv_stream_t *)&c->tcp,
		 conn_shutdown_cb)) != 0) {
		hk_debug_f("shutdown %s: %s", c->peer, uv_strerror(r));
		conn_abort(c);
	}
}

/* ---- reading ---------------------------------------------------------- */

static void
conn_alloc_cb(uv_handle_t *h, size_t hint, uv_buf_t *buf)
{
	struct conn *c = h->data;

	(void)hint;
	*buf = uv_buf_init((char *)c->f->rbuf, sizeof(c->f->rbuf));
}

static void conn_read_cb(uv_stream_t *s, ssize_t nread, const uv_buf_t *buf);

/*
 * conn_update_reading(c): read when there is room: never after the peer's
 * FIN; always while closing (to discard); otherwise not while more than
 * NET_FRONT_WRITE_HWM bytes of output wait (a client that does not read
 * its responses stops being read), nor while a request is with the core
 * and FRONT_INPUT_PAUSE bytes of the next ones are already buffered.
 */
static void
conn_update_reading(struct conn *c)
{
	bool want;
	int r;

	if (c->phase == PH_CLOSED || c->eof)
		want = false;
	else if (c->phase >= PH_FLUSH)
		want = true;
	else
		want = c->wq_bytes <= NET_FRONT_WRITE_HWM &&
		    (c->phase != PH_CORE || c->in.len < FRONT_INPUT_PAUSE);
	if (want == c->reading)
		return;
	if (want) {
		if ((r = uv_read_start((uv_stream_t *)&c->tcp, conn_alloc_cb,
			 conn_read_cb)) != 0) {
			hk_debug_f("read from %s: %s", c->peer,
			    uv_strerror(r));
			conn_abort(c);
			return;
		}
	} else if (c->phase != PH_CLOSED) {
		(void)uv_read_stop((uv_stream_t *)&c->tcp);
	}
	c->reading = want;
}

/* ---- responses -------------------------------------------------------- */

static const char *
listener_name(const struct conn *c)
{
	return c->l->name;
}

/*
 * conn_respond(c, status, type, body, len, extra): send the response
 * to the current request (${body} of media type ${type}), log the request
 * line (tests/integration/30-front.sh finds it by this function's name), then either close (errors, "Connection: close", a peer that
 * closed, draining) or go back to reading the next request. ${extra}:
 * NULL or field lines (CRLF).
 */
/*
 * log_request(c, status): one line per request (OPS-6): never the
 * Authorization header, the query or a body. Refused connections are
 * counted by log_refused.
 */
static void
log_request(struct conn *c, int status)
{
	/* cert= names the privileged user (SHA-256 fingerprint of the
	 * client certificate), "-" without one. */
	char cert[2 * NET_TLS_FP_LEN + 1] = "-";

	if (c->refused)
		return;
	if (c->has_cert)
		hk_hex_encode(cert, c->fp, NET_TLS_FP_LEN);
	hk_info_f("request %s-%llu listener=%s peer=%s cert=%s "
		  "method=%s path=%s status=%d ms=%.3f tls=%s",
	    c->f->id_prefix, (unsigned long long)c->id, listener_name(c),
	    c->peer, cert, c->method, c->path[0] != '\0' ? c->path : "-",
	    status, (double)(uv_hrtime() - c->t_start) / 1e6,
	    net_tls_conn_version(c->tls));
}

/* conn_next(c, keep): the response is queued: wait for the next request
 * on ${c}, or close it. */
static void
conn_next(struct conn *c, bool keep)
{
	c->route = NULL;
	c->asset = NULL;
	c->streaming = false;
	if (!keep) {
		conn_close(c);
		return;
	}
	c->phase = PH_IDLE;
	c->method = "-";
	c->head_method = false;
	c->path[0] = '\0';
	conn_timer(c, c->f->idle_ms);
}

static void
conn_respond(struct conn *c, int status, const char *type,
    const char *body, size_t len, const char *extra)
{
	struct net_front *f = c->f;
	struct hk_buf out = HK_BUF_INIT, hdr = HK_BUF_INIT;
	bool keep;
	int r;

	keep = c->keep_alive && status < 400 && !f->draining &&
	    !c->peer_closed;
	if ((r = hk_buf_printf(&hdr,
		 "Cache-Control: no-store\r\nX-Request-Id: %s-%llu\r\n%s",
		 f->id_prefix, (unsigned long long)c->id,
		 extra != NULL ? extra : "")) != 0 ||
	    hk_buf_cstr(&hdr) == NULL ||
	    (r = net_http_response(&out, status,
		 status == 204 ? NULL : type,
		 c->head_method ? NULL : (const uint8_t *)body, len, keep,
		 (const char *)hdr.p)) != 0 ||
	    (r = net_tls_conn_write(c->tls, out.p, out.len)) != 0) {
		hk_error_f("response to %s: %s", c->peer, hk_strerror(r));
		keep = false;
	}
	log_request(c, status);
	hk_buf_release(&out);
	hk_buf_release(&hdr);
	if (r == 0 && conn_flush(c) != 0)
		return;
	conn_next(c, keep);
}

/* conn_json(c, status, body, len, extra): a JSON response. */
static void
conn_json(struct conn *c, int status, const char *body, size_t len,
    const char *extra)
{
	conn_respond(c, status, "application/json", body, len, extra);
}

/* conn_error(c, status, error, description, extra): a JSON error
 * response {"error", "error_description"}; the connection then closes. */
static void
conn_error(struct conn *c, int status, const char *error,
    const char *description, const char *extra)
{
	struct hk_buf body = HK_BUF_INIT;

	if (net_http_error_body(&body, error, description) != 0) {
		hk_buf_release(&body);
		conn_abort(c);
		return;
	}
	conn_json(c, status, (const char *)body.p, body.len, extra);
	hk_buf_release(&body);
}

/* The error_description of each refusal by the HTTP parser. */
static const char *
parse_refusal(int status)
{
	switch (status) {
	case 413: return "request body too large (limit 1048576 bytes)";
	case 431:
		return "request head too large or too many header fields "
		       "(limits 16384 bytes, 64 fields)";
	case 501: return "method not implemented";
	case 505: return "HTTP version not supported";
	case 500: return "out of memory";
	}
	return "malformed request";
}

/* ---- the core's answers ------------------------------------------------ */

static void
bad_gateway(struct conn *c, const char *why)
{
	hk_warn_f("request %s-%llu: %s", c->f->id_prefix,
	    (unsigned long long)c->id, why);
	conn_error(c, 502, "bad_gateway", "unexpected answer from the core",
	    NULL);
}

/* answer_health: 200 with an empty map means alive. */
static void
answer_health(struct conn *c, const struct hk_ipc_msg *m)
{
	static const char ok[] = "{\"status\":\"ok\"}";

	if (m->status != 200 || m->body.n != 1 || m->body.p[0] != 0x80) {
		bad_gateway(c, "HEALTH answer is not 200 with an empty body");
		return;
	}
	conn_json(c, 200, ok, sizeof(ok) - 1, NULL);
}

/*
 * answer_ready: 200 {ledger: true, hsm: true}, or 503 {ledger: bool,
 * hsm: bool, reason: str}. Anything else (another status, a missing,
 * unknown or mistyped key, 200 with a false flag, 503 without a reason)
 * is not trusted: 502.
 */
static void
answer_ready(struct conn *c, const struct hk_ipc_msg *m)
{
	static const char ok[] =
	    "{\"ready\":true,\"ledger\":true,\"hsm\":true}";
	struct hk_mpk_reader r;
	struct hk_bytes reason = {NULL, 0};
	json_t *obj = NULL;
	char *text = NULL;
	bool ledger = false, hsm = false, seen_l = false, seen_h = false,
	     seen_r = false;
	uint64_t key;
	uint32_t n, i;

	hk_mpk_reader_init(&r, m->body.p, m->body.n);
	if (hk_mpk_get_map(&r, &n) != 0)
		goto bad;
	for (i = 0; i < n; i++) {
		/* Key order and uniqueness were checked by hk_ipc_decode. */
		if (hk_mpk_get_uint(&r, &key) != 0)
			goto bad;
		if (key == HK_IPC_READY_LEDGER &&
		    hk_mpk_get_bool(&r, &ledger) == 0)
			seen_l = true;
		else if (key == HK_IPC_READY_HSM &&
		    hk_mpk_get_bool(&r, &hsm) == 0)
			seen_h = true;
		else if (key == HK_IPC_READY_REASON &&
		    hk_mpk_get_str(&r, &reason) == 0)
			seen_r = true;
		else
			goto bad;
	}
	if (!seen_l || !seen_h)
		goto bad;
	if (m->status == 200 && ledger && hsm && !seen_r) {
		conn_json(c, 200, ok, sizeof(ok) - 1, NULL);
		return;
	}
	if (m->status != 503 || !seen_r || (ledger && hsm))
		goto bad;
	if ((obj = json_pack("{s:s, s:s%, s:b, s:b}", "error", "not_ready",
		 "error_description",
		 reason.p != NULL ? (const char *)reason.p : "", reason.n,
		 "ledger", ledger, "hsm", hsm)) == NULL ||
	    (text = json_dumps(obj, JSON_COMPACT | JSON_PRESERVE_ORDER)) ==
		NULL) {
		json_decref(obj);
		goto bad;
	}
	conn_json(c, 503, text, strlen(text), NULL);
	free(text);
	json_decref(obj);
	return;
bad:
	bad_gateway(c, "READY answer outside the profile");
}

/*
 * answer_schema: the generic answer of a table route: the core's status
 * and its map translated by the route's response schema (errors as
 * {"error", "error_description"}); anything outside it is 502, with the
 * cause (never a value) in the log. A 401 on an HTTP Basic or Bearer
 * route carries the challenge RFC 9110 requires; a 204 has no body.
 */
static void
answer_schema(struct conn *c, const struct hk_ipc_msg *m)
{
	struct hk_buf json = HK_BUF_INIT;
	const char *why = "", *extra = NULL;
	char text[256];
	int r;

	r = net_route_response(c->route, m->status, m->body, &json, &why);
	if (r != 0) {
		hk_buf_release(&json);
		if (r == HK_ENOMEM) {
			hk_error_f("out of memory for an answer to %s",
			    c->peer);
			conn_error(c, 500, "server_error", "out of memory",
			    NULL);
			return;
		}
		snprintf(text, sizeof(text),
		    "answer to %s %s (status %llu) refused: %s",
		    net_http_method_name(c->route->method), c->route->pattern,
		    (unsigned long long)m->status, why);
		bad_gateway(c, text);
		return;
	}
	if (m->status == 401)
		extra = net_route_challenge(c->route);
	conn_json(c, (int)m->status, (const char *)json.p, json.len,
	    extra);
	hk_buf_release(&json); /* wiped: it may hold an otpauth URI, a token
				* or a SAD */
}

/*
 * A download (NET_ROUTE_STREAM, docs/audit-api.md "GET /audit/v1/bundle"):
 * the core answers {1: chunk bin, 2: total uint, 3: handle str, 4: name
 * str} first, then {1: chunk, 2: total} to each HK_IPC_AUDIT_BUNDLE_READ
 * the front sends as the client takes the bytes. The response announces
 * the whole length, so a download cut short (the core failing in the
 * middle, a timeout) can never pass for a complete one: the connection is
 * aborted.
 */
static bool
stream_name_ok(struct hk_bytes n)
{
	size_t i;

	if (n.n == 0 || n.n > 80)
		return false;
	for (i = 0; i < n.n; i++)
		if (!((n.p[i] >= 'a' && n.p[i] <= 'z') ||
			(n.p[i] >= 'A' && n.p[i] <= 'Z') ||
			(n.p[i] >= '0' && n.p[i] <= '9') || n.p[i] == '-' ||
			n.p[i] == '.' || n.p[i] == '_'))
			return false;
	return true;
}

static void
stream_abort(struct conn *c, const char *why)
{
	hk_warn_f("request %s-%llu: download cut at %llu of %llu bytes: %s",
	    c->f->id_prefix, (unsigned long long)c->id,
	    (unsigned long long)c->s_next, (unsigned long long)c->s_total,
	    why);
	log_request(c, 200);
	c->streaming = false;
	conn_abort(c);
}

static void
answer_stream(struct conn *c, const struct hk_ipc_msg *m)
{
	struct hk_mpk_reader r;
	struct hk_bytes chunk = {NULL, 0}, handle = {NULL, 0}, name = {NULL, 0};
	struct hk_buf out = HK_BUF_INIT;
	uint64_t key, total = 0;
	uint32_t n, want = c->streaming ? 2 : 4;
	char extra[256];
	bool keep;
	int e = 0;

	if (!c->streaming && m->status != 200) {
		answer_schema(c, m); /* the error, as any route's */
		return;
	}
	if (m->status != 200) {
		stream_abort(c, "the core refused the next chunk");
		return;
	}
	hk_mpk_reader_init(&r, m->body.p, m->body.n);
	if (hk_mpk_get_map(&r, &n) != 0 || n != want ||
	    hk_mpk_get_uint(&r, &key) != 0 || key != 1 ||
	    hk_mpk_get_bin(&r, &chunk) != 0 ||
	    hk_mpk_get_uint(&r, &key) != 0 || key != 2 ||
	    hk_mpk_get_uint(&r, &total) != 0)
		e = 1;
	if (e == 0 && want == 4 &&
	    (hk_mpk_get_uint(&r, &key) != 0 || key != 3 ||
		hk_mpk_get_str(&r, &handle) != 0 ||
		hk_mpk_get_uint(&r, &key) != 0 || key != 4 ||
		hk_mpk_get_str(&r, &name) != 0))
		e = 1;
	if (e == 0 && r.p != r.end)
		e = 1;
	if (e == 0 && !c->streaming &&
	    (chunk.n > total || !stream_name_ok(name) ||
		(handle.n == 0 ? chunk.n != total :
				 handle.n != 32 || chunk.n == 0)))
		e = 1;
	if (e == 0 && c->streaming &&
	    (total != c->s_total || chunk.n == 0 ||
		chunk.n > c->s_total - c->s_next))
		e = 1;
	if (e != 0) {
		if (c->streaming)
			stream_abort(c, "a chunk outside the profile");
		else
			bad_gateway(c, "download answer outside the profile");
		return;
	}
	if (!c->streaming) {
		keep = c->keep_alive && !c->f->draining && !c->peer_closed;
		snprintf(extra, sizeof(extra),
		    "Cache-Control: no-store\r\nX-Request-Id: %s-%llu\r\n"
		    "X-Content-Type-Options: nosniff\r\n"
		    "Content-Disposition: attachment; filename=\"%.*s\"\r\n",
		    c->f->id_prefix, (unsigned long long)c->id, (int)name.n,
		    (const char *)name.p);
		if (net_http_response(&out, 200, "application/x-tar", NULL,
			(size_t)total, keep, extra) != 0 ||
		    net_tls_conn_write(c->tls, out.p, out.len) != 0) {
			hk_buf_release(&out);
			conn_abort(c);
			return;
		}
		hk_buf_release(&out);
		c->keep_alive = keep;
		c->streaming = true;
		c->s_total = total;
		c->s_next = 0;
		memcpy(c->sh, handle.p, handle.n);
		c->sh[handle.n] = '\0';
		if (c->head_method) {
			/* The head alone; the core drops the rest unread. */
			log_request(c, 200);
			if (conn_flush(c) == 0)
				conn_next(c, keep);
			return;
		}
	}
	if (net_tls_conn_write(c->tls, chunk.p, chunk.n) != 0) {
		stream_abort(c, "TLS write failed");
		return;
	}
	c->s_next += chunk.n;
	if (conn_flush(c) != 0)
		return;
	if (c->s_next == c->s_total) {
		log_request(c, 200);
		conn_next(c, c->keep_alive);
		return;
	}
	c->phase = PH_STREAM;
	conn_timer(c, c->f->idle_ms);
	if (c->wq_bytes <= NET_FRONT_WRITE_HWM)
		stream_more(c);
}

/*
 * answer_console: the core's access decision for a console asset (issue
 * 8): 200 with an empty map lets the front serve the asset built into
 * the binary (404 when there is none at that path), with the console's
 * security header fields (net/console.h); a refusal is translated like
 * any API error (403 JSON). Anything else from the core is 502.
 */
static void
answer_console(struct conn *c, const struct hk_ipc_msg *m)
{
	if (m->status != 200) {
		answer_schema(c, m);
		return;
	}
	if (m->body.n != 1 || m->body.p[0] != 0x80) {
		bad_gateway(c, "CONSOLE answer is not 200 with an empty map");
		return;
	}
	if (c->asset == NULL) {
		conn_error(c, 404, "not_found", "no such resource",
		    NET_CONSOLE_HEADERS);
		return;
	}
	conn_respond(c, 200, c->asset->type,
	    (const char *)c->asset->data, c->asset->len, NET_CONSOLE_HEADERS);
}

/* front_answer(c, m): the route's translator. */
static void
front_answer(struct conn *c, const struct hk_ipc_msg *m)
{
	switch (c->route->answer) {
	case NET_ROUTE_HEALTH: answer_health(c, m); break;
	case NET_ROUTE_READY: answer_ready(c, m); break;
	case NET_ROUTE_CONSOLE: answer_console(c, m); break;
	case NET_ROUTE_SCHEMA: answer_schema(c, m); break;
	case NET_ROUTE_STREAM: answer_stream(c, m); break;
	}
}

/* ---- requests --------------------------------------------------------- */

/* copy_path(c): keep the request path for the log line: printable ASCII
 * only (the parser admits nothing else in a target), truncated. */
static void
copy_path(struct conn *c)
{
	struct net_http_str p = net_http_request_path(c->req);
	size_t i, n = p.len < FRONT_LOG_PATH ? p.len : FRONT_LOG_PATH;

	for (i = 0; i < n; i++)
		c->path[i] = p.p[i] > 0x20 && p.p[i] < 0x7f ? p.p[i] : '?';
	if (p.len > n) {
		memcpy(c->path + n, "...", 3);
		n += 3;
	}
	c->path[n] = '\0';
}

/* note_head(c): the parsed head's method and path, for the answer and
 * the log line. */
static void
note_head(struct conn *c)
{
	enum net_http_method meth = net_http_request_method(c->req);

	c->method = net_http_method_name(meth);
	c->head_method = meth == NET_HTTP_HEAD;
	copy_path(c);
}

static void
conn_consume(struct conn *c, size_t n)
{
	memmove(c->in.p, c->in.p + n, c->in.len - n);
	c->in.len -= n;
}

static void
ipc_write_cb(uv_write_t *req, int status)
{
	struct wreq *w = container_of(req, struct wreq, req);
	struct net_front *f = req->data;

	f->ipc_wq -= w->len;
	/* The copy of a frame holds the request's Authorization and body. */
	sodium_memzero(w->data, w->len);
	free(w);
	if (status < 0 && status != UV_ECANCELED)
		front_fail(f, HK_EIO, "core closed the channel (write: %s)",
		    uv_strerror(status));
}

/* ipc_send(f, frame, len): queue one frame to the core. 0, or the front
 * is failing. */
static int
ipc_send(struct net_front *f, const uint8_t *frame, size_t len)
{
	struct wreq *w;
	uv_buf_t b;
	int r;

	/* As conn_flush: straight into the socket when nothing is queued,
	 * the rest (if any) queued behind. */
	if (f->ipc_wq == 0) {
		b = uv_buf_init((char *)frame, (unsigned)len);
		if ((r = uv_try_write((uv_stream_t *)&f->ipc, &b, 1)) < 0 &&
		    r != UV_EAGAIN) {
			front_fail(f, HK_EIO, "core closed the channel "
			    "(write: %s)", uv_strerror(r));
			return HK_EIO;
		}
		if (r > 0) {
			frame += r;
			len -= (size_t)r;
		}
		if (len == 0)
			return 0;
	}
	if ((w = malloc(sizeof(*w) + len)) == NULL) {
		front_fail(f, HK_ENOMEM, "out of memory for a core request");
		return HK_ENOMEM;
	}
	memcpy(w->data, frame, len);
	w->len = len;
	w->req.data = f;
	b = uv_buf_init((char *)w->data, (unsigned)len);
	if ((r = uv_write(&w->req, (uv_stream_t *)&f->ipc, &b, 1,
		 ipc_write_cb)) != 0) {
		free(w);
		front_fail(f, HK_EIO, "core closed the channel (write: %s)",
		    uv_strerror(r));
		return HK_EIO;
	}
	f->ipc_wq += len;
	return 0;
}

/* fill_ctx(c, m, rid): the request's id and context (who, from where,
 * over what) for the core; ${rid} (32 bytes) holds the request id text. */
static void
fill_ctx(struct conn *c, struct hk_ipc_msg *m, char rid[32])
{
	const char *v = net_tls_conn_version(c->tls);

	snprintf(rid, 32, "%s-%llu", c->f->id_prefix,
	    (unsigned long long)c->id);
	m->id = c->id;
	m->ctx.listener = c->l->kind == LST_ADMIN ? HK_IPC_ADMIN :
						    HK_IPC_SIGNING;
	m->ctx.peer = (struct hk_bytes){(const uint8_t *)c->peer,
	    strlen(c->peer)};
	m->ctx.has_client_cert = c->has_cert;
	memcpy(m->ctx.client_fp, c->fp, sizeof(c->fp));
	m->ctx.client_subject = (struct hk_bytes){(const uint8_t *)c->subject,
	    strlen(c->subject)};
	m->ctx.request_id = (struct hk_bytes){(const uint8_t *)rid,
	    strlen(rid)};
	/* The channel's TLS version, for the records (SIG-3). */
	if (v != NULL && v[0] != '\0' && strlen(v) <= 32)
		m->ctx.tls = (struct hk_bytes){(const uint8_t *)v, strlen(v)};
}

/* stream_more(c): ask the core for the download's next chunk. */
static void
stream_more(struct conn *c)
{
	struct net_front *f = c->f;
	struct hk_ipc_msg m;
	struct hk_buf frame = HK_BUF_INIT, body = HK_BUF_INIT;
	struct hk_mpk_writer w;
	char rid[32];
	int r;

	if (c->phase != PH_STREAM)
		return;
	if (f->ipc_wq > FRONT_IPC_HWM) {
		/* The core is busy: the write callback comes back. */
		if (c->wq_bytes > 0)
			return;
		stream_abort(c, "the core channel is congested");
		return;
	}
	memset(&m, 0, sizeof(m));
	fill_ctx(c, &m, rid);
	m.type = HK_IPC_AUDIT_BUNDLE_READ;
	hk_mpk_writer_init(&w, &body);
	hk_mpk_put_map(&w, 2);
	hk_mpk_put_uint(&w, 1);
	hk_mpk_put_cstr(&w, c->sh);
	hk_mpk_put_uint(&w, 2);
	hk_mpk_put_uint(&w, c->s_next);
	m.body = (struct hk_bytes){body.p, body.len};
	if ((r = hk_mpk_writer_status(&w)) != 0 ||
	    (r = hk_ipc_encode(&m, &frame)) != 0) {
		hk_buf_release(&body);
		hk_buf_release(&frame);
		stream_abort(c, "cannot frame the next chunk's request");
		return;
	}
	hk_buf_release(&body);
	r = ipc_send(f, frame.p, frame.len);
	hk_buf_release(&frame);
	if (r != 0)
		return;
	c->phase = PH_CORE;
	pending_add(f, c);
	conn_timer(c, f->core_ms);
}

/*
 * conn_request(c, consumed): a complete request of ${consumed} bytes is
 * at the start of c->in: route it, and either send it to the core or
 * answer it here (404, 405, 400, 503). Nothing is sent to the core for a
 * request that its route's schema refuses.
 */
static void
conn_request(struct conn *c, size_t consumed)
{
	struct net_front *f = c->f;
	const struct net_route *rt = NULL;
	struct net_http_str path = net_http_request_path(c->req);
	struct net_http_str auth = {NULL, 0};
	struct net_http_str query = net_http_request_query(c->req);
	enum net_http_method meth = net_http_request_method(c->req);
	struct net_json_error je;
	struct net_route_refusal refusal;
	struct hk_ipc_msg m;
	struct hk_buf frame = HK_BUF_INIT, body = HK_BUF_INIT;
	const uint8_t *hbody;
	char rid[32], allow[NET_ROUTE_ALLOW_LEN];
	char extra[NET_ROUTE_ALLOW_LEN + 16];
	size_t hlen;
	int r;

	note_head(c);
	c->keep_alive = net_http_request_keep_alive(c->req);
	r = net_route_match(path.p, path.len, meth,
	    c->l->kind == LST_ADMIN ? NET_ROUTE_ADMIN : NET_ROUTE_SIGNING, &rt,
	    allow);
	if (r == HK_ENOTFOUND) {
		const char *error, *text;

		/* CSC's own 404 under /csc/v2/. */
		net_route_not_found(path.p, path.len,
		    c->l->kind == LST_ADMIN ? NET_ROUTE_ADMIN :
					      NET_ROUTE_SIGNING,
		    &error, &text);
		conn_consume(c, consumed);
		conn_error(c, 404, error, text, NULL);
		return;
	}
	if (r != 0) {
		conn_consume(c, consumed);
		snprintf(extra, sizeof(extra), "Allow: %s\r\n", allow);
		conn_error(c, 405, "method_not_allowed",
		    "method not allowed for this resource", extra);
		return;
	}
	memset(&m, 0, sizeof(m));
	r = net_http_request_header(c->req, "Authorization", &auth);
	if (r == HK_EEXIST) {
		conn_consume(c, consumed);
		conn_error(c, 400, "invalid_request",
		    "more than one Authorization header field", NULL);
		return;
	}
	/* The CSC routes check its shape first (Basic or Bearer); the
	 * refusal never quotes it. */
	if (net_route_auth(rt, r == 0, auth.p, r == 0 ? auth.len : 0,
		&refusal) != 0) {
		conn_consume(c, consumed);
		conn_error(c, refusal.status, refusal.error,
		    refusal.description, refusal.challenge);
		return;
	}
	/* Only the routes that authenticate by it see Authorization. */
	if (r == 0 && (rt->flags & NET_ROUTE_FORWARD_AUTH) != 0)
		m.ctx.authorization = (struct hk_bytes){
		    (const uint8_t *)auth.p, auth.len};
	if (rt->answer == NET_ROUTE_SCHEMA || rt->answer == NET_ROUTE_STREAM) {
		/* The API routes take no query, but the ones that read their
		 * parameters from it (NET_ROUTE_QUERY, strictly): nothing may
		 * be ignored. */
		hbody = net_http_request_body(c->req, &hlen);
		if ((r = net_route_request_query(rt, path.p, path.len,
			 query.p, query.len, hbody, hlen, &body, &je)) != 0) {
			hk_buf_release(&body);
			conn_consume(c, consumed);
			if (r == HK_ENOMEM)
				conn_error(c, 500, "server_error",
				    "out of memory", NULL);
			else
				conn_error(c, 400, "invalid_request", je.text,
				    NULL);
			return;
		}
	} else if (rt->answer == NET_ROUTE_CONSOLE) {
		/* The console takes no query and no body; the core decides
		 * access (and records it) with the path as the target. */
		struct hk_mpk_writer w;

		hbody = net_http_request_body(c->req, &hlen);
		if (query.p != NULL || hlen > 0 || path.len > 256) {
			conn_consume(c, consumed);
			conn_error(c, 400, "invalid_request",
			    path.len > 256 ? "path too long" :
					     "the console takes no query and no "
					     "body",
			    NET_CONSOLE_HEADERS);
			return;
		}
		if (net_console_lookup(path.p, path.len, &c->asset) != 0)
			c->asset = NULL;
		hk_mpk_writer_init(&w, &body);
		hk_mpk_put_map(&w, 1);
		hk_mpk_put_uint(&w, 1);
		hk_mpk_put_str(&w, path.p, path.len);
		if ((r = hk_mpk_writer_status(&w)) != 0) {
			hk_buf_release(&body);
			conn_consume(c, consumed);
			conn_error(c, 500, "server_error", "out of memory",
			    NULL);
			return;
		}
	} else if ((r = hk_buf_put(&body, "\x80", 1)) != 0) {
		conn_consume(c, consumed);
		conn_error(c, 500, "server_error", "out of memory", NULL);
		return;
	}
	if (f->ipc_wq > FRONT_IPC_HWM) {
		hk_buf_release(&body);
		conn_consume(c, consumed);
		conn_error(c, 503, "temporarily_unavailable",
		    "the core is busy", NULL);
		return;
	}
	fill_ctx(c, &m, rid);
	m.type = rt->type;
	m.body = (struct hk_bytes){body.p, body.len};
	r = hk_ipc_encode(&m, &frame);
	/* The frame holds the only copy of the Authorization value and of
	 * the body's secrets now. */
	hk_buf_release(&body); /* wiped */
	conn_consume(c, consumed);
	if (r != 0) {
		/* Non-UTF-8 header text cannot be a msgpack str: refuse it;
		 * a body over the frame size cannot be sent. */
		hk_buf_release(&frame);
		if (r == HK_ENOMEM)
			conn_error(c, 500, "server_error", "out of memory",
			    NULL);
		else if (r == HK_ETOOBIG)
			conn_error(c, 413, "payload_too_large",
			    "request too large for the core", NULL);
		else
			conn_error(c, 400, "invalid_request",
			    "header field text is not UTF-8", NULL);
		return;
	}
	r = ipc_send(f, frame.p, frame.len);
	hk_buf_release(&frame); /* wiped */
	if (r != 0)
		return;
	c->route = rt;
	c->phase = PH_CORE;
	pending_add(f, c);
	conn_timer(c, f->core_ms);
}

/*
 * conn_process(c): parse and handle the requests buffered on ${c}, one at
 * a time, until one goes to the core, more bytes are needed, the
 * connection closes, or too much output waits.
 */
static void
conn_process(struct conn *c)
{
	struct net_front *f = c->f;
	struct net_http_str expect;
	size_t consumed;
	int r, status;

	while (c->phase == PH_IDLE || c->phase == PH_HEAD ||
	    c->phase == PH_BODY) {
		if (c->wq_bytes > NET_FRONT_WRITE_HWM)
			break; /* conn_write_cb resumes */
		if (c->in.len == 0) {
			if (f->draining || c->peer_closed)
				conn_close(c);
			break;
		}
		if (c->phase == PH_IDLE) {
			/* The first byte of a request: its head must be
			 * complete within the header timeout. */
			c->phase = PH_HEAD;
			c->id = f->next_id++;
			c->t_start = uv_hrtime();
			c->cont_sent = false;
			conn_timer(c, f->header_ms);
		}
		r = net_http_parse(NULL, c->in.p, c->in.len, c->req, &consumed,
		    &status);
		if (r == HK_EAGAIN) {
			if (c->phase == PH_HEAD &&
			    net_http_request_head_done(c->req)) {
				c->phase = PH_BODY;
				note_head(c);
				conn_timer(c, f->body_ms);
			}
			if (c->phase == PH_BODY && !c->cont_sent &&
			    net_http_request_minor(c->req) == 1 &&
			    net_http_request_header(c->req, "Expect",
				&expect) == 0 &&
			    expect.len == 12 &&
			    strncasecmp(expect.p, "100-continue", 12) == 0) {
				static const char cont[] =
				    "HTTP/1.1 100 Continue\r\n\r\n";

				c->cont_sent = true;
				if (net_tls_conn_write(c->tls,
					(const uint8_t *)cont,
					sizeof(cont) - 1) != 0 ||
				    conn_flush(c) != 0) {
					conn_abort(c);
					return;
				}
			}
			if (c->peer_closed)
				conn_close(c); /* it will never complete */
			break;
		}
		if (r != 0) {
			c->keep_alive = false;
			conn_error(c, status, net_http_status_error(status),
			    parse_refusal(status), NULL);
			break;
		}
		conn_request(c, consumed);
	}
	conn_update_reading(c);
}

/* conn_handshake_done(c): record the TLS facts of a new connection; a
 * refused connection gets its 503 now. 0, or ${c} is closing. */
static int
conn_handshake_done(struct conn *c)
{
	struct net_front *f = c->f;
	int r;

	c->tls_done = true;
	r = net_tls_conn_peer(c->tls, c->fp, c->subject, sizeof(c->subject));
	if (r == 0 || r == HK_ETOOBIG) {
		/* The fingerprint identifies; an over-long subject is
		 * forwarded as "". */
		c->has_cert = true;
	} else if (r != HK_ENOTFOUND) {
		hk_warn_f("client certificate from %s on %s: %s", c->peer,
		    listener_name(c), hk_strerror(r));
		conn_abort(c);
		return r;
	}
	if (c->refused) {
		c->id = f->next_id++;
		c->t_start = uv_hrtime();
		c->keep_alive = false;
		conn_error(c, 503, "temporarily_unavailable",
		    "too many connections", NULL);
		return HK_EBUSY;
	}
	c->phase = PH_IDLE;
	conn_timer(c, f->idle_ms);
	return 0;
}

static void
conn_read_cb(uv_stream_t *s, ssize_t nread, const uv_buf_t *buf)
{
	struct conn *c = s->data;
	int r;

	if (nread == 0)
		return;
	if (nread < 0) {
		c->eof = true;
		conn_update_reading(c);
		if (nread != UV_EOF) {
			hk_debug_f("read from %s: %s", c->peer,
			    uv_strerror((int)nread));
			conn_abort(c);
			return;
		}
		if (c->phase >= PH_FLUSH) {
			/* FLUSH goes on; SHUTDOWN and LINGER are done. */
			if (c->phase != PH_FLUSH)
				conn_abort(c);
			return;
		}
		/* A FIN: net_tls logs a stream cut short (no close_notify);
		 * either way no further request can come. */
		if (net_tls_conn_eof(c->tls) != 0)
			hk_debug_f("%s closed without close_notify", c->peer);
		c->peer_closed = true;
		if (c->phase == PH_HANDSHAKE)
			conn_abort(c);
		else if (c->phase != PH_CORE)
			conn_process(c); /* closes */
		return;
	}
	if (c->phase >= PH_FLUSH)
		return; /* closing: discard */
	r = net_tls_conn_feed(c->tls, (const uint8_t *)buf->base,
	    (size_t)nread, &c->in);
	if (conn_flush(c) != 0)
		return;
	if (r == HK_ECLOSED) {
		c->peer_closed = true; /* close_notify: data before it stands */
	} else if (r != 0) {
		hk_info_f("TLS from %s on %s refused: %s", c->peer,
		    listener_name(c),
		    r == HK_EAUTH ? "client certificate missing or not "
				    "issued by the operator CA" :
				    hk_strerror(r));
		/* The alert is queued; no close_notify after a failure. */
		conn_close(c);
		return;
	}
	if (!c->tls_done) {
		if (!net_tls_conn_handshake_done(c->tls))
			return;
		if (conn_handshake_done(c) != 0)
			return;
	}
	if (c->phase == PH_CORE) {
		conn_update_reading(c);
		return;
	}
	conn_process(c);
}

/* ---- accepting ---------------------------------------------------------- */

static void
format_peer(struct conn *c)
{
	struct sockaddr_storage ss;
	int len = sizeof(ss);
	char host[INET6_ADDRSTRLEN] = "?";
	unsigned port = 0;

	if (uv_tcp_getpeername(&c->tcp, (struct sockaddr *)&ss, &len) == 0) {
		if (ss.ss_family == AF_INET) {
			const struct sockaddr_in *a = (void *)&ss;

			(void)uv_ip4_name(a, host, sizeof(host));
			port = ntohs(a->sin_port);
		} else if (ss.ss_family == AF_INET6) {
			const struct sockaddr_in6 *a = (void *)&ss;

			(void)uv_ip6_name(a, host, sizeof(host));
			port = ntohs(a->sin6_port);
			snprintf(c->peer, sizeof(c->peer), "[%s]:%u", host,
			    port);
			return;
		}
	}
	snprintf(c->peer, sizeof(c->peer), "%s:%u", host, port);
}

/* log_refused(f): at most one line a second about connections refused
 * over the limit (an overload must not also flood the log). */
static void
log_refused(struct net_front *f)
{
	uint64_t now = uv_now(&f->loop);

	f->refused_count++;
	if (now - f->refused_logged_at < 1000 && f->refused_logged_at != 0)
		return;
	hk_warn_f("refused %lu connection(s) over max_connections=%u",
	    f->refused_count, f->max_conns);
	f->refused_count = 0;
	f->refused_logged_at = now;
}

static void
on_connection(uv_stream_t *server, int status)
{
	struct front_listener *l = container_of(server, struct front_listener,
	    tcp);
	struct net_front *f = l->f;
	struct conn *c;
	bool drop = false;
	int r;

	if (status < 0) {
		hk_warn_f("accept on %s listener: %s", l->name,
		    uv_strerror(status));
		return;
	}
	if ((c = calloc(1, sizeof(*c))) == NULL) {
		hk_error_f("out of memory accepting on %s", l->name);
		return;
	}
	c->f = f;
	c->l = l;
	c->method = "-";
	c->tcp.data = c;
	c->timer.data = c;
	(void)uv_tcp_init(&f->loop, &c->tcp);
	(void)uv_timer_init(&f->loop, &c->timer);
	c->open_handles = 2;
	c->next = f->conns;
	if (f->conns != NULL)
		f->conns->prev = c;
	f->conns = c;
	if (f->nconns < f->max_conns) {
		f->nconns++;
	} else {
		/* Refused connections are counted apart, so they cannot
		 * pile up either; beyond their own bound, drop at once. */
		c->refused = true;
		f->nrefused++;
		drop = f->nrefused > NET_FRONT_MAX_REFUSED;
		log_refused(f);
	}
	if ((r = uv_accept(server, (uv_stream_t *)&c->tcp)) != 0) {
		hk_warn_f("accept on %s listener: %s", l->name, uv_strerror(r));
		conn_abort(c);
		return;
	}
	if (drop) {
		conn_abort(c);
		return;
	}
	(void)uv_tcp_nodelay(&c->tcp, 1);
	format_peer(c);
	if ((c->tls = net_tls_conn_new(l->tls)) == NULL ||
	    (c->req = net_http_request_new()) == NULL) {
		hk_error_f("out of memory for a connection from %s", c->peer);
		conn_abort(c);
		return;
	}
	c->phase = PH_HANDSHAKE;
	conn_timer(c, f->header_ms);
	conn_update_reading(c);
}

/* ---- timers ----------------------------------------------------------- */

static void
conn_timer_cb(uv_timer_t *t)
{
	struct conn *c = t->data;
	struct net_front *f = c->f;
	char why[96];

	switch (c->phase) {
	case PH_HANDSHAKE:
		hk_debug_f("TLS handshake from %s timed out", c->peer);
		conn_abort(c);
		break;
	case PH_IDLE:
		conn_close(c); /* keep-alive idle: silently */
		break;
	case PH_HEAD:
		snprintf(why, sizeof(why),
		    "request head not received within %u s", f->header_ms /
			1000);
		c->keep_alive = false;
		conn_error(c, 408, "request_timeout", why, NULL);
		break;
	case PH_BODY:
		snprintf(why, sizeof(why),
		    "request body not received within %u s", f->body_ms / 1000);
		c->keep_alive = false;
		conn_error(c, 408, "request_timeout", why, NULL);
		break;
	case PH_STREAM:
		stream_abort(c, "the client took no bytes in time");
		break;
	case PH_CORE:
		if (c->streaming) {
			pending_remove(c);
			stream_abort(c, "no chunk from the core in time");
			break;
		}
		pending_remove(c);
		hk_warn_f("request %s-%llu: no answer from the core within %u "
			  "ms",
		    f->id_prefix, (unsigned long long)c->id, f->core_ms);
		c->keep_alive = false;
		conn_error(c, 504, "gateway_timeout",
		    "the core did not answer in time", NULL);
		break;
	case PH_FLUSH:
	case PH_SHUTDOWN:
	case PH_LINGER:
		conn_abort(c);
		break;
	case PH_CLOSED:
		break;
	}
}

/* ---- the core channel ------------------------------------------------- */

static void
ipc_alloc_cb(uv_handle_t *h, size_t hint, uv_buf_t *buf)
{
	struct net_front *f = container_of(h, struct net_front, ipc);

	(void)hint;
	if (hk_buf_reserve(&f->ipc_in, 65536) != 0) {
		*buf = uv_buf_init(NULL, 0); /* read_cb gets UV_ENOBUFS */
		return;
	}
	*buf = uv_buf_init((char *)f->ipc_in.p + f->ipc_in.len,
	    (unsigned)(f->ipc_in.cap - f->ipc_in.len));
}

/* ipc_answer(f, m): route one response to the connection waiting for it. */
static void
ipc_answer(struct net_front *f, const struct hk_ipc_msg *m)
{
	struct conn *c;

	if (!m->response) {
		front_fail(f, HK_EPROTO,
		    "core sent a request, not a response; closing the channel");
		return;
	}
	if ((c = pending_take(f, m->id)) == NULL) {
		if (m->id == 0 || m->id >= f->next_id) {
			front_fail(f, HK_EPROTO,
			    "core answered request %llu, which was never "
			    "issued; closing the channel",
			    (unsigned long long)m->id);
			return;
		}
		/* Timed out (504 sent) or its connection went away. */
		hk_debug_f("late answer to request %llu dropped",
		    (unsigned long long)m->id);
		return;
	}
	front_answer(c, m);
	if (c->phase == PH_IDLE)
		conn_process(c); /* pipelined requests */
}

static void
ipc_read_cb(uv_stream_t *s, ssize_t nread, const uv_buf_t *buf)
{
	struct net_front *f = container_of(s, struct net_front, ipc);
	struct hk_mpk_error err = {NULL, 0};
	struct hk_ipc_msg m;
	const uint8_t *frame;
	size_t flen, consumed, off = 0;
	int r;

	(void)buf;
	if (nread == 0)
		return;
	if (nread < 0) {
		if (nread == UV_EOF)
			front_fail(f, HK_EIO, "core closed the channel");
		else
			front_fail(f, HK_EIO, "core closed the channel (%s)",
			    uv_strerror((int)nread));
		return;
	}
	f->ipc_in.len += (size_t)nread;
	while (!f->stopping) {
		r = hk_ipc_frame_next(f->ipc_in.p + off, f->ipc_in.len - off,
		    &frame, &flen, &consumed);
		if (r == HK_EAGAIN)
			break;
		if (r != 0) {
			front_fail(f, HK_EPROTO,
			    "core sent a frame of a bad length; closing the "
			    "channel");
			return;
		}
		if (hk_ipc_decode(frame, flen, &m, &err) != 0) {
			front_fail(f, HK_EPROTO,
			    "core sent a malformed message (%s at byte %zu); "
			    "closing the channel",
			    err.msg != NULL ? err.msg : "?", err.off);
			return;
		}
		ipc_answer(f, &m);
		off += consumed;
	}
	if (f->stopping)
		return;
	memmove(f->ipc_in.p, f->ipc_in.p + off, f->ipc_in.len - off);
	f->ipc_in.len -= off;
}

/* ---- stopping ----------------------------------------------------------- */

static void
noop_close_cb(uv_handle_t *h)
{
	(void)h;
}

/* front_close_all(f): close every handle that is still open. */
static void
front_close_all(struct net_front *f)
{
	struct conn *c, *next;
	int i;

	for (i = 0; i < LST_COUNT; i++)
		if (f->lst[i].inited && !uv_is_closing((uv_handle_t *)&f->lst[i]
							   .tcp))
			uv_close((uv_handle_t *)&f->lst[i].tcp, noop_close_cb);
	for (c = f->conns; c != NULL; c = next) {
		next = c->next;
		conn_abort(c);
	}
	if (f->ipc_inited && !uv_is_closing((uv_handle_t *)&f->ipc))
		uv_close((uv_handle_t *)&f->ipc, noop_close_cb);
	for (i = 0; i < 2; i++)
		if (f->sig_inited[i] &&
		    !uv_is_closing((uv_handle_t *)&f->sig[i]))
			uv_close((uv_handle_t *)&f->sig[i], noop_close_cb);
	if (f->drain_inited && !uv_is_closing((uv_handle_t *)&f->drain_timer))
		uv_close((uv_handle_t *)&f->drain_timer, noop_close_cb);
}

/* front_fail(f, status, fmt, ...): the core channel failed: log once, drop
 * everything, make net_front_run return ${status}. */
static void
front_fail(struct net_front *f, int status, const char *fmt, ...)
{
	char msg[256];
	va_list ap;

	if (f->stopping && f->status != 0)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	hk_error_f("%s", msg);
	f->status = status;
	f->stopping = true;
	front_close_all(f);
}

/* front_maybe_finish(f): once draining and no connection is left, close
 * the rest: the loop then ends and net_front_run returns 0. */
static void
front_maybe_finish(struct net_front *f)
{
	if (!f->draining || f->stopping || f->nconns + f->nrefused > 0)
		return;
	hk_info_f("drained; front stopping");
	f->stopping = true;
	front_close_all(f);
}

static void
drain_timer_cb(uv_timer_t *t)
{
	struct net_front *f = container_of(t, struct net_front, drain_timer);
	struct conn *c, *next;

	hk_warn_f("drain time (%u ms) over: dropping %u connection(s)",
	    f->drain_ms, f->nconns + f->nrefused);
	for (c = f->conns; c != NULL; c = next) {
		next = c->next;
		conn_abort(c);
	}
}

static void
signal_cb(uv_signal_t *s, int signum)
{
	struct net_front *f = s->data;
	struct conn *c, *next;
	int i;

	if (f->draining || f->stopping)
		return;
	hk_info_f("%s: draining %u connection(s), at most %u ms",
	    signum == SIGTERM ? "SIGTERM" : "SIGINT", f->nconns + f->nrefused,
	    f->drain_ms);
	f->draining = true;
	for (i = 0; i < LST_COUNT; i++)
		if (!uv_is_closing((uv_handle_t *)&f->lst[i].tcp))
			uv_close((uv_handle_t *)&f->lst[i].tcp, noop_close_cb);
	(void)uv_timer_start(&f->drain_timer, drain_timer_cb, f->drain_ms, 0);
	/* Requests in flight or arriving finish; idle connections close. */
	for (c = f->conns; c != NULL; c = next) {
		next = c->next;
		if (c->phase == PH_HANDSHAKE)
			conn_abort(c);
		else if (c->phase == PH_IDLE)
			conn_process(c);
	}
	front_maybe_finish(f);
}

/* ---- set-up and tear-down ----------------------------------------------- */

/* listener_open(f, l, cfg): bind and listen on ${cfg}'s address. */
static int
listener_open(struct net_front *f, struct front_listener *l,
    const struct hk_config_listener *cfg)
{
	struct addrinfo hints, *ai = NULL;
	char port[8], host[64];
	size_t hl = strlen(cfg->host);
	int r;

	/* "[::1]" names an IPv6 address. */
	if (hl >= 2 && cfg->host[0] == '[' && cfg->host[hl - 1] == ']') {
		memcpy(host, cfg->host + 1, hl - 2);
		host[hl - 2] = '\0';
	} else {
		snprintf(host, sizeof(host), "%s", cfg->host);
	}
	snprintf(port, sizeof(port), "%u", (unsigned)cfg->port);
	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
	if ((r = getaddrinfo(host, port, &hints, &ai)) != 0) {
		hk_error_f("cannot bind %s:%u: %s", cfg->host,
		    (unsigned)cfg->port, gai_strerror(r));
		return HK_EIO;
	}
	if ((r = uv_tcp_init(&f->loop, &l->tcp)) != 0) {
		freeaddrinfo(ai);
		hk_error_f("uv_tcp_init: %s", uv_strerror(r));
		return HK_EIO;
	}
	l->inited = true;
	l->f = f;
	if ((r = uv_tcp_bind(&l->tcp, ai->ai_addr, 0)) != 0 ||
	    (r = uv_listen((uv_stream_t *)&l->tcp, FRONT_LISTEN_BACKLOG,
		 on_connection)) != 0) {
		freeaddrinfo(ai);
		hk_error_f("cannot bind %s:%u: %s", cfg->host,
		    (unsigned)cfg->port, strerror(-r));
		return HK_EIO;
	}
	freeaddrinfo(ai);
	hk_info_f("%s listener on %s:%u", l->name, cfg->host,
	    (unsigned)cfg->port);
	return 0;
}

/* front_teardown(f): close what is open and run the loop until every close
 * callback has run; then close the loop. 0 or HK_ESTATE. */
static int
front_teardown(struct net_front *f)
{
	int r;

	if (!f->loop_inited || f->loop_closed)
		return 0;
	front_close_all(f);
	(void)uv_run(&f->loop, UV_RUN_DEFAULT);
	if ((r = uv_loop_close(&f->loop)) != 0) {
		hk_error_f("uv_loop_close: %s (a handle was left open)",
		    uv_strerror(r));
		return HK_ESTATE;
	}
	f->loop_closed = true;
	return 0;
}

/** net_front_new(o, out): TLS contexts, listeners, signal handling. */
int
net_front_new(const struct net_front_opts *o, struct net_front **out)
{
	const struct hk_config *cfg = o->cfg;
	struct net_front *f = NULL;
	uint8_t tag[4];
	int r, i;
	static const int signums[2] = {SIGTERM, SIGINT};

	if (cfg->max_connections == 0 || cfg->idle_timeout_s == 0 ||
	    cfg->header_timeout_s == 0 || cfg->body_timeout_s == 0) {
		hk_error_f("max_connections and timeouts must be positive");
		return HK_EINVAL;
	}
	if (sodium_init() < 0) {
		hk_error_f("sodium_init failed");
		return HK_ECRYPTO;
	}
	/* Request bodies hold PINs, passwords and codes: jansson wipes. */
	net_route_json_wipe();
	if ((f = calloc(1, sizeof(*f))) == NULL)
		return HK_ENOMEM;
	f->max_conns = cfg->max_connections;
	f->idle_ms = cfg->idle_timeout_s * 1000u;
	f->header_ms = cfg->header_timeout_s * 1000u;
	f->body_ms = cfg->body_timeout_s * 1000u;
	f->core_ms = o->core_timeout_ms ? o->core_timeout_ms :
					  NET_FRONT_CORE_TIMEOUT_MS;
	f->drain_ms = o->drain_ms ? o->drain_ms : NET_FRONT_DRAIN_MS;
	f->next_id = 1;
	randombytes_buf(tag, sizeof(tag));
	snprintf(f->id_prefix, sizeof(f->id_prefix), "%02x%02x%02x%02x",
	    tag[0], tag[1], tag[2], tag[3]);
	f->lst[LST_SIGNING].kind = LST_SIGNING;
	f->lst[LST_SIGNING].name = "signing";
	f->lst[LST_ADMIN].kind = LST_ADMIN;
	f->lst[LST_ADMIN].name = "admin";

	/* A peer resetting a socket we write to must not kill the front. */
	if (signal(SIGPIPE, SIG_IGN) == SIG_ERR) {
		hk_error_f("signal(SIGPIPE): %s", strerror(errno));
		r = HK_EIO;
		goto out;
	}
	if ((r = net_tls_ctx_new(cfg->signing.cert, cfg->signing.key, NULL,
		 &f->lst[LST_SIGNING].tls)) != 0 ||
	    (r = net_tls_ctx_new(cfg->admin.cert, cfg->admin.key,
		 cfg->admin.client_ca, &f->lst[LST_ADMIN].tls)) != 0)
		goto out;
	if ((r = uv_loop_init(&f->loop)) != 0) {
		hk_error_f("uv_loop_init: %s", uv_strerror(r));
		r = HK_EIO;
		goto out;
	}
	f->loop_inited = true;
	if ((r = listener_open(f, &f->lst[LST_SIGNING], &cfg->signing)) != 0 ||
	    (r = listener_open(f, &f->lst[LST_ADMIN], &cfg->admin)) != 0)
		goto out;
	(void)uv_timer_init(&f->loop, &f->drain_timer);
	f->drain_inited = true;
	for (i = 0; i < 2; i++) {
		(void)uv_signal_init(&f->loop, &f->sig[i]);
		f->sig_inited[i] = true;
		f->sig[i].data = f;
		if ((r = uv_signal_start(&f->sig[i], signal_cb, signums[i])) !=
		    0) {
			hk_error_f("uv_signal_start: %s", uv_strerror(r));
			r = HK_EIO;
			goto out;
		}
	}
	/* Last, so that on any error above the caller still owns the fd. */
	if ((r = uv_pipe_init(&f->loop, &f->ipc, 0)) != 0) {
		hk_error_f("uv_pipe_init: %s", uv_strerror(r));
		r = HK_EIO;
		goto out;
	}
	f->ipc_inited = true;
	if ((r = uv_pipe_open(&f->ipc, o->ipc_fd)) != 0) {
		hk_error_f("core channel fd %d: %s", o->ipc_fd, uv_strerror(r));
		r = HK_EIO;
		goto out;
	}
	*out = f;
	f = NULL;
	r = 0;
out:
	net_front_free(f);
	return r;
}

/** net_front_run(f): run until drained (0) or the core channel fails. */
int
net_front_run(struct net_front *f)
{
	int r;

	if (f->ran)
		abort(); /* once per front */
	f->ran = true;
	if ((r = uv_read_start((uv_stream_t *)&f->ipc, ipc_alloc_cb,
		 ipc_read_cb)) != 0)
		front_fail(f, HK_EIO, "core closed the channel (%s)",
		    uv_strerror(r));
	(void)uv_run(&f->loop, UV_RUN_DEFAULT);
	if ((r = front_teardown(f)) != 0)
		return r;
	return f->status;
}

/** net_front_free(f): accepts NULL. */
void
net_front_free(struct net_front *f)
{
	int i;

	if (f == NULL)
		return;
	(void)front_teardown(f);
	for (i = 0; i < LST_COUNT; i++)
		net_tls_ctx_free(f->lst[i].tls);
	hk_buf_release(&f->ipc_in);
	free(f);
}
