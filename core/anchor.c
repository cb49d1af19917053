/* SPDX-License-Identifier: Apache-2.0 */
/*
 * anchor: the ledger's anti-rollback anchor in the HSM (see anchor.h).
 */
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/anchor.h"
#include "core/codec.h"
#include "core/log.h"
#include "ledger/ledger_note.h"

struct hk_anchor {
	struct hsm_pool *pool;
	struct ledger *ledger;
	unsigned interval_ms;
	uint64_t anchored;
	pthread_t thread;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	bool stopping;
	bool warned;
};

/* parse(note, n, cp): the checkpoint of a signed note (unverified). */
static int
parse(const char *note, size_t n, struct ledger_checkpoint *cp)
{
	const char *end;

	/* The body ends at the blank line before the signatures. */
	for (end = note; end + 1 < note + n; end++)
		if (end[0] == '\n' && end[1] == '\n')
			return ledger_note_checkpoint_parse(note,
			    (size_t)(end - note) + 1, cp);
	return HK_EINVAL;
}

/* The anchor objects seen: normally one, two after a crash between the
 * creation of the new one and the destruction of the old one. The largest
 * is the anchor; each must be well formed (and verify, when ${v} is set). */
struct pick {
	const struct ledger_note_verifier *v;
	struct ledger_checkpoint best;
	struct hk_buf note;
	bool found, bad;
};

static int
pick_cb(void *arg, const uint8_t *p, size_t n)
{
	struct pick *k = arg;
	struct ledger_checkpoint cp;
	size_t body;

	if (k->v != NULL ?
		(ledger_note_open((const char *)p, n, k->v, 1, &body) != 0 ||
		    ledger_note_checkpoint_parse((const char *)p, body, &cp) !=
			0) :
		parse((const char *)p, n, &cp) != 0) {
		k->bad = true;
		return 0;
	}
	if (!k->found || cp.size > k->best.size) {
		k->best = cp;
		k->found = true;
		hk_buf_reset(&k->note);
		return hk_buf_put(&k->note, p, n);
	}
	return 0;
}

/** hk_anchor_read(p, size, root, note): the anchor as stored. */
int
hk_anchor_read(struct hsm_pool *p, uint64_t *size, uint8_t root[static 32],
    struct hk_buf *note)
{
	struct pick k;
	int r;

	memset(&k, 0, sizeof(k));
	if ((r = hsm_data_read(p, HK_ANCHOR_LABEL, pick_cb, &k)) != 0)
		goto out;
	if (k.bad) {
		r = HK_ECORRUPT;
		goto out;
	}
	if (!k.found) {
		r = HK_ENOTFOUND;
		goto out;
	}
	*size = k.best.size;
	memcpy(root, k.best.root, 32);
	if (note != NULL)
		r = hk_buf_put(note, k.note.p, k.note.len);
out:
	hk_buf_release(&k.note);
	return r;
}

/** hk_anchor_check(p, l, vkey, anchored, why, n): is the ledger at or
 * past the anchor, on the same history? */
int
hk_anchor_check(struct hsm_pool *p, struct ledger *l, const char *vkey,
    uint64_t *anchored, char *why, size_t n)
{
	struct ledger_note_verifier v;
	struct ledger_checkpoint cp;
	struct pick k;
	uint8_t root[32];
	uint64_t size;
	int r;

	if (anchored != NULL)
		*anchored = 0;
	memset(&k, 0, sizeof(k));
	if (ledger_note_vkey_parse(vkey, strlen(vkey), &v) != 0) {
		snprintf(why, n, "the ledger's verifier key is unreadable");
		return HK_ECORRUPT;
	}
	k.v = &v;
	if ((r = hsm_data_read(p, HK_ANCHOR_LABEL, pick_cb, &k)) != 0) {
		snprintf(why, n, "cannot read the ledger anchor from the HSM "
		    "(%s)", hk_strerror(r));
		goto out;
	}
	r = HK_EROLLBACK;
	if (k.bad) {
		snprintf(why, n, "the ledger anchor in the HSM is not a "
		    "checkpoint signed by this ledger's key: the ledger was "
		    "replaced (or the token belongs to another appliance)");
		goto out;
	}
	if (!k.found) {
		r = 0; /* a new appliance: the first update sets it */
		goto out;
	}
	cp = k.best;
	if (strcmp(cp.origin, ledger_origin(l)) != 0) {
		snprintf(why, n, "the ledger anchor in the HSM names the log "
		    "%s, not %s", cp.origin, ledger_origin(l));
		goto out;
	}
	if (ledger_size(l, &size, NULL) != 0) {
		snprintf(why, n, "cannot read the ledger size");
		r = HK_ESTORE;
		goto out;
	}
	if (size < cp.size) {
		snprintf(why, n, "the ledger holds %" PRIu64 " events but the "
		    "HSM anchor says %" PRIu64 " were committed: an older copy "
		    "of the ledger was put back (rollback)", size, cp.size);
		goto out;
	}
	if (ledger_tree_hash(l, cp.size, root) != 0 ||
	    memcmp(root, cp.root, 32) != 0) {
		snprintf(why, n, "the ledger's first %" PRIu64 " events do not "
		    "hash to the root the HSM anchor holds: history was "
		    "rewritten or the ledger file was swapped", cp.size);
		goto out;
	}
	if (anchored != NULL)
		*anchored = cp.size;
	r = 0;
out:
	hk_buf_release(&k.note);
	return r;
}

/** hk_anchor_update(p, l, size): anchor the latest checkpoint. */
int
hk_anchor_update(struct hsm_pool *p, struct ledger *l, uint64_t *size)
{
	struct hk_buf b = HK_BUF_INIT;
	uint64_t got = 0;
	int r;

	if ((r = ledger_checkpoint_get(l, 0, &b, &got)) == 0 &&
	    (r = hsm_data_put(p, HK_ANCHOR_LABEL, b.p, b.len)) == 0 &&
	    size != NULL)
		*size = got;
	hk_buf_release(&b);
	return r;
}

/* One pass: anchor when the ledger grew. */
static void
tick(struct hk_anchor *a)
{
	uint64_t size = 0, got = 0;
	int r;

	if (ledger_failure(a->ledger) != NULL ||
	    ledger_size(a->ledger, &size, NULL) != 0 || size == a->anchored)
		return;
	if ((r = hk_anchor_update(a->pool, a->ledger, &got)) != 0) {
		if (!a->warned)
			hk_warn_f("cannot update the ledger anchor in the HSM "
				  "(%s); retrying", hk_strerror(r));
		a->warned = true;
		return;
	}
	if (a->warned)
		hk_info_f("the ledger anchor is updated again (size %" PRIu64
			  ")", got);
	a->warned = false;
	a->anchored = got;
}

static void *
run(void *arg)
{
	struct hk_anchor *a = arg;
	struct timespec until;

	hk_thread_name("hk-anchor");
	pthread_mutex_lock(&a->mu);
	while (!a->stopping) {
		clock_gettime(CLOCK_MONOTONIC, &until);
		until.tv_sec += a->interval_ms / 1000;
		until.tv_nsec += (long)(a->interval_ms % 1000) * 1000000L;
		if (until.tv_nsec >= 1000000000L) {
			until.tv_sec++;
			until.tv_nsec -= 1000000000L;
		}
		while (!a->stopping &&
		    pthread_cond_timedwait(&a->cv, &a->mu, &until) != ETIMEDOUT)
			;
		pthread_mutex_unlock(&a->mu);
		tick(a);
		pthread_mutex_lock(&a->mu);
	}
	pthread_mutex_unlock(&a->mu);
	return NULL;
}

/** hk_anchor_start(p, l, interval_ms, out): the updating thread. */
int
hk_anchor_start(struct hsm_pool *p, struct ledger *l, unsigned interval_ms,
    struct hk_anchor **out)
{
	struct hk_anchor *a;
	pthread_condattr_t ca;

	if ((a = calloc(1, sizeof(*a))) == NULL)
		return HK_ENOMEM;
	a->pool = p;
	a->ledger = l;
	a->interval_ms = interval_ms > 0 ? interval_ms : 1000;
	pthread_mutex_init(&a->mu, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&a->cv, &ca);
	pthread_condattr_destroy(&ca);
	if (pthread_create(&a->thread, NULL, run, a) != 0) {
		pthread_cond_destroy(&a->cv);
		pthread_mutex_destroy(&a->mu);
		free(a);
		return HK_ENOMEM;
	}
	*out = a;
	return 0;
}

/** hk_anchor_stop(a): a last update, then stop. */
void
hk_anchor_stop(struct hk_anchor *a)
{
	if (a == NULL)
		return;
	pthread_mutex_lock(&a->mu);
	a->stopping = true;
	pthread_cond_signal(&a->cv);
	pthread_mutex_unlock(&a->mu);
	pthread_join(a->thread, NULL);
	tick(a);
	pthread_cond_destroy(&a->cv);
	pthread_mutex_destroy(&a->mu);
	free(a);
}
