/* SPDX-License-Identifier: Apache-2.0 */
/*
 * ledger_bench: the ledger's benchmarks, each reported against the
 * physical limit measured in the same run on the same disk (see
 * docs/benchmarks.md).
 *
 *   ledger_bench [--dir DIR] [--seconds S] [--events N] [--producers P]
 *                [--inflight W] [--window-us U]
 *
 * 1. Raw LMDB: durable commits/s with one 256-byte record per commit
 *    (default flags, MDB_APPEND): the rate a ledger without group commit
 *    could reach. Also 256 records per commit, for reference.
 * 2. Ledger appends: P producer threads with W appends in flight each,
 *    256-byte events, for S seconds: events/s, acknowledgement latency,
 *    events per commit; ratio to (1).
 * 3. Full verification of a ledger of N events (default 1,000,000) on one
 *    thread: events/s; SHA-256 of the same bytes alone as the floor.
 * 4. Inclusion proof generation at N events: p50/p99/max of 20,000 random
 *    proofs.
 * 5. Storage: bytes per event in data.mdb beyond the event's own bytes.
 */
#include <inttypes.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include <lmdb.h>
#include <sodium.h>

#include "core/cli.h"
#include "core/log.h"
#include "ledger/ledger_internal.h"
#include "tests/unit/testutil.h"

#define EVENT_SIZE 256

static double
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int
cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

static double
raw_lmdb(const char *base, double seconds, int per_commit, double *recs_s)
{
	char dir[512];
	uint8_t val[EVENT_SIZE], kb[8];
	MDB_env *env;
	MDB_txn *txn;
	MDB_dbi dbi;
	MDB_val k = {8, kb}, v = {sizeof(val), val};
	uint64_t key = 0, commits = 0;
	double t0, t;
	int i;

	snprintf(dir, sizeof(dir), "%s/raw-%d", base, per_commit);
	mkdir(dir, 0700);
	memset(val, 0x5a, sizeof(val));
	if (mdb_env_create(&env) != 0 ||
	    mdb_env_set_mapsize(env, (size_t)64 << 30) != 0 ||
	    mdb_env_open(env, dir, 0, 0600) != 0)
		abort();
	if (mdb_txn_begin(env, NULL, 0, &txn) != 0 ||
	    mdb_dbi_open(txn, NULL, 0, &dbi) != 0 || mdb_txn_commit(txn) != 0)
		abort();
	t0 = now();
	do {
		if (mdb_txn_begin(env, NULL, 0, &txn) != 0)
			abort();
		for (i = 0; i < per_commit; i++) {
			ledger_key_put(kb, key++);
			if (mdb_put(txn, dbi, &k, &v, MDB_APPEND) != 0)
				abort();
		}
		if (mdb_txn_commit(txn) != 0)
			abort();
		commits++;
	} while ((t = now()) - t0 < seconds);
	mdb_env_close(env);
	fixture_rm(dir);
	*recs_s = (double)key / (t - t0);
	return (double)commits / (t - t0);
}

/* ---- ledger appends --------------------------------------------------- */

struct producer {
	pthread_t th;
	struct ledger *l;
	size_t pad;
	int inflight_max;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	int inflight;
	uint64_t acked, errors;
	double *lat;   /* acknowledgement latencies, seconds */
	size_t nlat, cap;
	volatile int *stop;
};

struct req {
	struct producer *p;
	double t0;
};

static void
ack_cb(void *arg, int status, uint64_t seq)
{
	struct req *r = arg;
	struct producer *p = r->p;
	double dt = now() - r->t0;

	(void)seq;
	pthread_mutex_lock(&p->mu);
	if (status != 0)
		p->errors++;
	else
		p->acked++;
	if (p->nlat < p->cap)
		p->lat[p->nlat++] = dt;
	p->inflight--;
	pthread_cond_signal(&p->cv);
	pthread_mutex_unlock(&p->mu);
	free(r);
}

static void *
producer_main(void *arg)
{
	struct producer *p = arg;
	struct hk_buf body = HK_BUF_INIT;
	struct hk_event ev;
	uint64_t i = 0;

	while (!*p->stop) {
		struct req *r = malloc(sizeof(*r));

		pthread_mutex_lock(&p->mu);
		while (p->inflight >= p->inflight_max)
			pthread_cond_wait(&p->cv, &p->mu);
		p->inflight++;
		pthread_mutex_unlock(&p->mu);
		r->p = p;
		if (event_build(&ev, &body, HK_EV_CONFIG_APPLIED, "", "", i++,
			p->pad) != 0)
			abort();
		r->t0 = now();
		if (ledger_append(p->l, &ev, ack_cb, r) != 0)
			abort();
	}
	pthread_mutex_lock(&p->mu);
	while (p->inflight > 0)
		pthread_cond_wait(&p->cv, &p->mu);
	pthread_mutex_unlock(&p->mu);
	hk_buf_release(&body);
	return NULL;
}

/* The body padding that makes an event exactly EVENT_SIZE bytes. */
static size_t
pad_for(const char *origin)
{
	struct hk_buf body = HK_BUF_INIT, out = HK_BUF_INIT, mid = HK_BUF_INIT;
	struct hk_event ev;
	uint8_t prev[32] = {0};
	size_t pad = 0, len;

	for (;;) {
		hk_buf_reset(&out);
		hk_buf_reset(&mid);
		if (event_build(&ev, &body, HK_EV_CONFIG_APPLIED, "", "",
			1000000, pad) != 0 ||
		    hk_event_encode_mid(&ev, &mid) != 0 ||
		    hk_event_encode_frame((struct hk_bytes){(const uint8_t *)origin,
					      strlen(origin)},
			1000000, 1795000000000ULL,
			(struct hk_bytes){mid.p, mid.len}, prev, &out) != 0)
			abort();
		len = out.len;
		if (len >= EVENT_SIZE)
			break;
		pad += EVENT_SIZE - len;
	}
	hk_buf_release(&body);
	hk_buf_release(&out);
	hk_buf_release(&mid);
	return pad;
}

struct run {
	double events_s, p50, p99, max, per_commit;
	uint64_t events;
};

static void
appends(const char *base, double seconds, int producers, int inflight,
    unsigned window_us, struct run *out)
{
	struct producer *ps = calloc((size_t)producers, sizeof(*ps));
	struct ledger_opts o = {0};
	struct ledger_verify_report rep;
	volatile int stop = 0;
	struct fixture f;
	double t0, t1, *all;
	size_t n = 0, i;
	uint64_t before, after;
	int j;

	if (fixture_new_in(&f, base, "bench.example/hanko/appends") != 0)
		abort();
	o.window_us = window_us;
	if (fixture_reopen(&f, &o) != 0 || ledger_size(f.l, &before, NULL) != 0)
		abort();
	for (j = 0; j < producers; j++) {
		ps[j].l = f.l;
		ps[j].pad = pad_for("bench.example/hanko/appends");
		ps[j].inflight_max = inflight;
		ps[j].stop = &stop;
		ps[j].cap = 4000000 / (size_t)producers;
		ps[j].lat = malloc(ps[j].cap * sizeof(double));
		pthread_mutex_init(&ps[j].mu, NULL);
		pthread_cond_init(&ps[j].cv, NULL);
	}
	t0 = now();
	for (j = 0; j < producers; j++)
		pthread_create(&ps[j].th, NULL, producer_main, &ps[j]);
	while (now() - t0 < seconds)
		nanosleep(&(struct timespec){0, 10000000}, NULL);
	stop = 1;
	for (j = 0; j < producers; j++)
		pthread_join(ps[j].th, NULL);
	t1 = now();
	if (ledger_size(f.l, &after, NULL) != 0 ||
	    ledger_verify(f.l, NULL, 0, &rep) != 0)
		abort();
	all = malloc(4000000 * sizeof(double));
	out->events = 0;
	for (j = 0; j < producers; j++) {
		if (ps[j].errors != 0)
			abort();
		out->events += ps[j].acked;
		memcpy(all + n, ps[j].lat, ps[j].nlat * sizeof(double));
		n += ps[j].nlat;
		free(ps[j].lat);
	}
	qsort(all, n, sizeof(double), cmp_double);
	out->events_s = (double)out->events / (t1 - t0);
	out->p50 = all[n / 2];
	out->p99 = all[n * 99 / 100];
	out->max = all[n - 1];
	out->per_commit = (double)(after - before) / (double)(rep.checkpoints - 1);
	(void)i;
	free(all);
	free(ps);
	fixture_free(&f);
}

/* ---- verification, proofs, storage at N events ------------------------ */

static void
fill(struct fixture *f, uint64_t n)
{
	struct producer ps[4];
	volatile int stop = 0;
	uint64_t size = 0;
	int j;

	memset(ps, 0, sizeof(ps));
	for (j = 0; j < 4; j++) {
		ps[j].l = f->l;
		ps[j].pad = pad_for("bench.example/hanko/verify");
		ps[j].inflight_max = 512;
		ps[j].stop = &stop;
		pthread_mutex_init(&ps[j].mu, NULL);
		pthread_cond_init(&ps[j].cv, NULL);
		pthread_create(&ps[j].th, NULL, producer_main, &ps[j]);
	}
	/* Stop the producers when what is in flight completes the count. */
	while (!stop) {
		nanosleep(&(struct timespec){0, 2000000}, NULL);
		if (ledger_size(f->l, &size, NULL) != 0)
			abort();
		if (size + 4 * 512 >= n)
			stop = 1;
	}
	for (j = 0; j < 4; j++)
		pthread_join(ps[j].th, NULL);
}

int
main(int argc, char **argv)
{
	const char *dir = "build/bench-tmp", *sec_s = NULL, *n_s = NULL,
		   *p_s = NULL, *w_s = NULL, *win_s = NULL;
	const struct cli_opt opts[] = {{"dir", &dir}, {"seconds", &sec_s},
	    {"events", &n_s}, {"producers", &p_s}, {"inflight", &w_s},
	    {"window-us", &win_s}, {NULL, NULL}};
	uint64_t seconds = 5, n = 1000000, producers = 16, inflight = 64,
		 window = 1000, size, evbytes = 0, seq;
	struct ledger_verify_report rep;
	struct ledger_iter *it;
	struct hk_sha256 *h;
	struct hk_bytes b;
	struct fixture f;
	struct run r0, r1;
	struct stat st;
	MDB_envinfo info;
	MDB_stat ms;
	double raw1, raw1_recs, raw256, raw256_recs, t0, tv, th, *lat;
	uint8_t proof[LEDGER_PROOF_MAX][32], leaf[32];
	size_t plen, i;
	char path[600];

	if (sodium_init() < 0)
		return 1;
	hk_log_set_level(HK_LOG_ERROR);
	if (cli_parse(argc - 1, argv + 1, opts, "ledger_bench [--dir DIR] "
						 "[--seconds S] [--events N] "
						 "[--producers P] [--inflight W] "
						 "[--window-us U]") != 0 ||
	    (sec_s && cli_u64(sec_s, "seconds", &seconds) != 0) ||
	    (n_s && cli_u64(n_s, "events", &n) != 0) ||
	    (p_s && cli_u64(p_s, "producers", &producers) != 0) ||
	    (w_s && cli_u64(w_s, "inflight", &inflight) != 0) ||
	    (win_s && cli_u64(win_s, "window-us", &window) != 0))
		return 2;
	mkdir(dir, 0700);

	raw1 = raw_lmdb(dir, (double)seconds, 1, &raw1_recs);
	raw256 = raw_lmdb(dir, (double)seconds, 256, &raw256_recs);
	printf("## raw LMDB (physical limit), %d-byte records, default "
	       "durability\n", EVENT_SIZE);
	printf("| records/commit | commits/s | records/s |\n|---:|---:|---:|\n");
	printf("| 1 | %.0f | %.0f |\n| 256 | %.0f | %.0f |\n\n", raw1, raw1_recs,
	    raw256, raw256_recs);

	appends(dir, (double)seconds, (int)producers, (int)inflight, 0, &r0);
	appends(dir, (double)seconds, (int)producers, (int)inflight,
	    (unsigned)window, &r1);
	printf("## ledger appends: %" PRIu64 " producers x %" PRIu64
	       " in flight, %d-byte events, %" PRIu64 " s\n", producers,
	    inflight, EVENT_SIZE, seconds);
	printf("| commit window | events/s | x raw 1/commit | events/commit | "
	       "ack p50 | ack p99 | ack max |\n|---|---:|---:|---:|---:|---:|"
	       "---:|\n");
	printf("| 0 (next commit starts at once) | %.0f | %.1f | %.0f | %.2f ms |"
	       " %.2f ms | %.2f ms |\n", r0.events_s, r0.events_s / raw1,
	    r0.per_commit, r0.p50 * 1e3, r0.p99 * 1e3, r0.max * 1e3);
	printf("| %" PRIu64 " us | %.0f | %.1f | %.0f | %.2f ms | %.2f ms | "
	       "%.2f ms |\n\n", window, r1.events_s, r1.events_s / raw1,
	    r1.per_commit, r1.p50 * 1e3, r1.p99 * 1e3, r1.max * 1e3);
	fflush(stdout);

	/* N events for verification, proofs and storage. */
	if (fixture_new_in(&f, dir, "bench.example/hanko/verify") != 0)
		abort();
	t0 = now();
	fill(&f, n);
	if (ledger_size(f.l, &size, NULL) != 0)
		abort();
	printf("## at %" PRIu64 " events (filled in %.1f s)\n", size,
	    now() - t0);
	/* Floor: SHA-256 leaf hashes of the same bytes, one thread. */
	h = hk_sha256_new();
	if (ledger_iter_new(f.l, 0, &it) != 0)
		abort();
	t0 = now();
	while (ledger_iter_next(it, &seq, &b) == 0) {
		if (ledger_merkle_leaf_hash(h, b.p, b.n, leaf) != 0)
			abort();
		evbytes += b.n;
	}
	th = now() - t0;
	ledger_iter_free(it);
	t0 = now();
	if (ledger_verify(f.l, NULL, 0, &rep) != 0)
		abort();
	tv = now() - t0;
	printf("| measure | value |\n|---|---:|\n");
	printf("| full verify, 1 thread | %.0f events/s (%.2f s; %" PRIu64
	       " checkpoints) |\n", (double)size / tv, tv, rep.checkpoints);
	printf("| read + leaf SHA-256 only (floor) | %.0f events/s |\n",
	    (double)size / th);
	printf("| verify / floor | %.2f |\n", th / tv);
	lat = malloc(20000 * sizeof(double));
	srand(1);
	for (i = 0; i < 20000; i++) {
		uint64_t s = ((uint64_t)rand() << 31 | (uint64_t)rand()) % size;

		t0 = now();
		if (ledger_inclusion(f.l, s, size, proof, &plen) != 0)
			abort();
		lat[i] = now() - t0;
	}
	qsort(lat, 20000, sizeof(double), cmp_double);
	printf("| inclusion proof p50 / p99 / max | %.1f / %.1f / %.1f us |\n",
	    lat[10000] * 1e6, lat[19800] * 1e6, lat[19999] * 1e6);
	free(lat);
	if (mdb_env_info(f.l->env, &info) != 0 ||
	    mdb_env_stat(f.l->env, &ms) != 0)
		abort();
	snprintf(path, sizeof(path), "%s/data.mdb", f.ledger);
	stat(path, &st);
	printf("| event bytes | %.1f per event |\n", (double)evbytes / size);
	printf("| data.mdb pages in use | %.1f bytes per event (file %.1f) |\n",
	    (double)(info.me_last_pgno + 1) * ms.ms_psize / size,
	    (double)st.st_size / size);
	printf("| storage overhead beyond the event | %.1f bytes per event |\n",
	    ((double)(info.me_last_pgno + 1) * ms.ms_psize - (double)evbytes) /
		size);
	hk_sha256_free(h);
	fixture_free(&f);
	return 0;
}
