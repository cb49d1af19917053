/* SPDX-License-Identifier: Apache-2.0 */
/*
 * bgverify: background full verification of the ledger (see bgverify.h).
 */
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/bgverify.h"
#include "core/event.h"
#include "core/log.h"
#include "core/mpk.h"

struct hk_bgverify {
	struct hk_bgverify_opts o;
	pthread_t thread;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	bool stopping;
	bool failed;
	struct hk_bgverify_result last;
};

static uint64_t
mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static uint64_t
unix_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* record(b, rep, ok, ms): the ledger.verified event, decided and applied
 * like every other event (under the state's decision lock). */
static int
record(struct hk_bgverify *b, const struct ledger_verify_report *rep,
    bool ok, uint64_t ms)
{
	struct hk_buf body = HK_BUF_INIT;
	struct hk_mpk_writer w;
	struct hk_event ev;
	const char *why = NULL;
	int r;

	hk_mpk_writer_init(&w, &body);
	hk_mpk_put_map(&w, ok ? 5 : 6);
	hk_mpk_put_uint(&w, HK_BODY_VERIFY_EVENTS);
	hk_mpk_put_uint(&w, rep->events);
	hk_mpk_put_uint(&w, HK_BODY_VERIFY_CHECKPOINTS);
	hk_mpk_put_uint(&w, rep->checkpoints);
	hk_mpk_put_uint(&w, HK_BODY_VERIFY_ROOT);
	hk_mpk_put_bin(&w, rep->root, sizeof(rep->root));
	hk_mpk_put_uint(&w, HK_BODY_VERIFY_RESULT);
	hk_mpk_put_cstr(&w, ok ? "ok" : "failed");
	if (!ok) {
		hk_mpk_put_uint(&w, HK_BODY_VERIFY_MESSAGE);
		hk_mpk_put_cstr(&w, rep->msg[0] != '\0' ? rep->msg : "error");
	}
	hk_mpk_put_uint(&w, HK_BODY_VERIFY_MS);
	hk_mpk_put_uint(&w, ms);
	if ((r = hk_mpk_writer_status(&w)) == 0) {
		memset(&ev, 0, sizeof(ev));
		ev.type = HK_EV_LEDGER_VERIFIED;
		ev.actor_kind = HK_ACTOR_SYSTEM;
		ev.actor_id = (struct hk_bytes){(const uint8_t *)"hankod", 6};
		ev.actor_channel = HK_CHANNEL_INTERNAL;
		ev.body = (struct hk_bytes){body.p, body.len};
		hk_state_decide_lock(b->o.state);
		if ((r = ledger_append_wait(b->o.ledger, &ev, &ev.seq)) == 0) {
			/* The time the ledger gave it, for the state's "last
			 * verification" (a replay reads the same). */
			struct hk_buf raw = HK_BUF_INIT;
			struct hk_event st;

			if (ledger_event_get(b->o.ledger, ev.seq, &raw) == 0 &&
			    hk_event_decode(raw.p, raw.len, &st, NULL) == 0)
				ev.time_ms = st.time_ms;
			if (hk_state_apply(b->o.state, &ev, &why) != 0)
				r = HK_ESTATE;
			hk_buf_release(&raw);
		}
		hk_state_decide_unlock(b->o.state);
	}
	hk_buf_release(&body);
	return r;
}

static void
run_once(struct hk_bgverify *b)
{
	struct ledger_verify_report rep;
	uint64_t t0 = mono_ms(), ms;
	bool ok;
	int r;

	memset(&rep, 0, sizeof(rep));
	r = ledger_verify(b->o.ledger, NULL, 0, &rep);
	ms = mono_ms() - t0;
	ok = r == 0;
	if (!ok && rep.msg[0] == '\0')
		snprintf(rep.msg, sizeof(rep.msg), "%s", hk_strerror(r));
	if (!ok && rep.has_bad_seq) {
		char m[sizeof(rep.msg)];

		snprintf(m, sizeof(m), "%s", rep.msg);
		snprintf(rep.msg, sizeof(rep.msg), "at seq %" PRIu64 ": %.200s",
		    rep.bad_seq, m);
	}
	if (ok)
		hk_info_f("background verification: %" PRIu64 " events and %"
			  PRIu64 " checkpoints intact (%" PRIu64 " ms)",
		    rep.events, rep.checkpoints, ms);
	else
		hk_error_f("background verification FAILED %s", rep.msg);
	pthread_mutex_lock(&b->mu);
	b->last.done = true;
	b->last.ok = ok;
	b->last.at_ms = unix_ms();
	b->last.events = rep.events;
	b->last.ms = ms;
	snprintf(b->last.msg, sizeof(b->last.msg), "%s", ok ? "" : rep.msg);
	pthread_mutex_unlock(&b->mu);
	if (!ok && !b->failed) {
		b->failed = true;
		if (b->o.fail != NULL)
			b->o.fail(b->o.arg, rep.msg);
	}
	if (ledger_failure(b->o.ledger) == NULL &&
	    (r = record(b, &rep, ok, ms)) != 0)
		hk_warn_f("cannot record the verification result (%s)",
		    hk_strerror(r));
}

static void *
run(void *arg)
{
	struct hk_bgverify *b = arg;
	struct timespec until;

	hk_thread_name("hk-verify");
	pthread_mutex_lock(&b->mu);
	while (!b->stopping) {
		clock_gettime(CLOCK_MONOTONIC, &until);
		until.tv_sec += b->o.interval_s;
		while (!b->stopping &&
		    pthread_cond_timedwait(&b->cv, &b->mu, &until) != ETIMEDOUT)
			;
		if (b->stopping)
			break;
		pthread_mutex_unlock(&b->mu);
		run_once(b);
		pthread_mutex_lock(&b->mu);
	}
	pthread_mutex_unlock(&b->mu);
	return NULL;
}

/** hk_bgverify_start(o, out): start the thread. */
int
hk_bgverify_start(const struct hk_bgverify_opts *o, struct hk_bgverify **out)
{
	struct hk_bgverify *b;
	pthread_condattr_t ca;

	*out = NULL;
	if ((b = calloc(1, sizeof(*b))) == NULL)
		return HK_ENOMEM;
	b->o = *o;
	pthread_mutex_init(&b->mu, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&b->cv, &ca);
	pthread_condattr_destroy(&ca);
	if (o->interval_s > 0 &&
	    pthread_create(&b->thread, NULL, run, b) != 0) {
		pthread_cond_destroy(&b->cv);
		pthread_mutex_destroy(&b->mu);
		free(b);
		return HK_ENOMEM;
	}
	*out = b;
	return 0;
}

/** hk_bgverify_stop(b): stop the thread. */
void
hk_bgverify_stop(struct hk_bgverify *b)
{
	if (b == NULL)
		return;
	if (b->o.interval_s > 0) {
		pthread_mutex_lock(&b->mu);
		b->stopping = true;
		pthread_cond_signal(&b->cv);
		pthread_mutex_unlock(&b->mu);
		pthread_join(b->thread, NULL);
	}
	pthread_cond_destroy(&b->cv);
	pthread_mutex_destroy(&b->mu);
	free(b);
}

/** hk_bgverify_last(b, out): the last result. */
void
hk_bgverify_last(struct hk_bgverify *b, struct hk_bgverify_result *out)
{
	memset(out, 0, sizeof(*out));
	if (b == NULL)
		return;
	pthread_mutex_lock(&b->mu);
	*out = b->last;
	pthread_mutex_unlock(&b->mu);
}
