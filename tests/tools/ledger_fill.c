/* SPDX-License-Identifier: Apache-2.0 */
/*
 * ledger_fill: a test tool (never installed) that appends synthetic events
 * to the ledger of a state directory made by `hanko ledger init`.
 *
 *   ledger_fill --state DIR --count N [--producers P] [--pad BYTES] [--sync]
 *       N events of type config.applied with a body padded by BYTES,
 *       from P producer threads (asynchronous appends, group commit), or
 *       one commit per event with --sync (so every size has a checkpoint).
 *   ledger_fill --state DIR --count N --lifecycle SEED
 *       a seeded random signer lifecycle: each step is checked against the
 *       live state, legal ones are appended and applied; prints the live
 *       state digest ("digest HEX") for comparison with a cold replay.
 */
#include <inttypes.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sodium.h>

#include "core/cli.h"
#include "core/codec.h"
#include "core/cpkey.h"
#include "core/log.h"
#include "core/state.h"
#include "ledger/ledger.h"
#include "tests/unit/testutil.h"

static struct ledger *l;
static uint64_t pad;

struct job {
	uint64_t id, count;
};
static atomic_uint_fast64_t acked, failed;

static void
done_cb(void *arg, int status, uint64_t seq)
{
	(void)arg;
	(void)seq;
	atomic_fetch_add(status == 0 ? &acked : &failed, 1);
}

static void *
producer(void *arg)
{
	struct hk_buf body = HK_BUF_INIT;
	struct hk_event ev;
	struct job *j = arg;
	uint64_t i;
	int r;

	for (i = 0; i < j->count; i++) {
		if (event_build(&ev, &body, HK_EV_CONFIG_APPLIED, "", "",
			j->id << 32 | i, pad) != 0)
			abort();
		while ((r = ledger_append(l, &ev, done_cb, NULL)) == HK_EBUSY)
			;
		if (r != 0) {
			atomic_fetch_add(&failed, 1);
			break;
		}
	}
	hk_buf_release(&body);
	return NULL;
}

static int
lifecycle(uint64_t count, uint64_t seed)
{
	struct hk_state *st = hk_state_new();
	struct hk_buf body = HK_BUF_INIT;
	struct hk_event ev;
	uint8_t dg[32];
	char s[16], c[40], hex[65];
	const char *why;
	uint64_t n = 0, seq, rnd = seed;

	/* Start from the ledger's current state. */
	if (st == NULL || hk_state_replay(st, l, NULL) != 0)
		return 1;
	while (n < count) {
		if (lifecycle_next(&rnd, 50, &ev, &body, s, c) != 0)
			return 1;
		if (hk_state_check(st, &ev, &why) != 0)
			continue;
		if (ledger_append_wait(l, &ev, &seq) != 0)
			return 1;
		ev.seq = seq;
		if (hk_state_apply(st, &ev, &why) != 0)
			return 1;
		n++;
	}
	if (hk_state_digest(st, dg) != 0)
		return 1;
	hk_hex_encode(hex, dg, sizeof(dg));
	printf("digest %s\n", hex);
	hk_state_free(st);
	hk_buf_release(&body);
	return 0;
}

int
main(int argc, char **argv)
{
	const char *state = NULL, *count_s = NULL, *prod_s = NULL, *pad_s = NULL,
		   *sync_s = NULL, *life_s = NULL;
	const struct cli_opt opts[] = {{"state", &state}, {"count", &count_s},
	    {"producers", &prod_s}, {"pad", &pad_s}, {"sync", &sync_s},
	    {"lifecycle", &life_s}, {NULL, NULL}};
	const char *usage = "ledger_fill --state DIR --count N [--producers P] "
			    "[--pad BYTES] [--sync 1] [--lifecycle SEED]";
	struct ledger_opts ro = {0};
	struct ledger *tmp = NULL;
	struct hk_cpkey *k = NULL;
	char dir[4096], key[4096], origin[256];
	uint64_t count = 0, producers = 4, seed = 0, i, size;
	pthread_t th[64];
	struct job jobs[64];
	int r, rc = 1;

	if (sodium_init() < 0)
		return 1;
	hk_log_set_level(HK_LOG_WARN);
	pad = 200;
	if (cli_parse(argc - 1, argv + 1, opts, usage) != 0 || state == NULL ||
	    count_s == NULL || cli_u64(count_s, "count", &count) != 0 ||
	    (prod_s != NULL && cli_u64(prod_s, "producers", &producers) != 0) ||
	    (pad_s != NULL && cli_u64(pad_s, "pad", &pad) != 0) ||
	    (life_s != NULL && cli_u64(life_s, "lifecycle", &seed) != 0) ||
	    producers == 0 || producers > 64) {
		fprintf(stderr, "usage: %s\n", usage);
		return 2;
	}
	if (cli_path(dir, sizeof(dir), state, HK_STATE_LEDGER) != 0 ||
	    cli_path(key, sizeof(key), state, HK_STATE_CPKEY) != 0)
		return 2;
	ro.readonly = 1;
	if ((r = ledger_open(dir, &ro, NULL, &tmp)) != 0) {
		fprintf(stderr, "ledger_fill: open: %s\n", hk_strerror(r));
		return 1;
	}
	snprintf(origin, sizeof(origin), "%s", ledger_origin(tmp));
	ledger_close(tmp);
	if ((r = hk_cpkey_load(key, origin, &k)) != 0 ||
	    (r = ledger_open(dir, NULL, hk_cpkey_signer(k), &l)) != 0) {
		fprintf(stderr, "ledger_fill: %s\n", hk_strerror(r));
		goto out;
	}
	if (life_s != NULL) {
		rc = lifecycle(count, seed);
		goto out;
	}
	if (sync_s != NULL) {
		struct hk_buf body = HK_BUF_INIT;
		struct hk_event ev;

		for (i = 0; i < count; i++)
			if (event_build(&ev, &body, HK_EV_CONFIG_APPLIED, "", "",
				i, pad) != 0 ||
			    ledger_append_wait(l, &ev, NULL) != 0)
				break;
		hk_buf_release(&body);
		rc = i == count ? 0 : 1;
		goto out;
	}
	for (i = 0; i < producers; i++) {
		jobs[i].id = i;
		jobs[i].count = count / producers +
		    (i == producers - 1 ? count % producers : 0);
		pthread_create(&th[i], NULL, producer, &jobs[i]);
	}
	for (i = 0; i < producers; i++)
		pthread_join(th[i], NULL);
	ledger_close(l); /* drains */
	l = NULL;
	rc = atomic_load(&failed) == 0 && atomic_load(&acked) == count ? 0 : 1;
out:
	ledger_close(l);
	if (rc == 0 && ledger_open(dir, &ro, NULL, &tmp) == 0) {
		if (ledger_size(tmp, &size, NULL) == 0)
			fprintf(stderr, "ledger_fill: size %" PRIu64 "\n", size);
		ledger_close(tmp);
	}
	hk_cpkey_free(k);
	return rc;
}
