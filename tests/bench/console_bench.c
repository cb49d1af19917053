/* SPDX-License-Identifier: Apache-2.0 */
/*
 * console_bench: how long the auditor console's pages take at the scale
 * of the ledger (issue 8: "1,000,000 events page and filter with
 * server-side paging; each page answers in well under a second"). Builds
 * a ledger of N events (default 1,000,000) in a temporary directory: S
 * signers (default 2,000) registered and brought to an active credential
 * through real lifecycle events, then signatures (auth.granted +
 * signature.created with a hash) by random credentials with an
 * admin.request every tenth event, and one rare signer whose only
 * signature sits in the middle. The signer state is then replayed from
 * the ledger as hankod does at start. Each console view is then answered
 * by the core's handlers (core/audit_api.c, what the executor runs for
 * the front), as the console's pages ask for them: a page that filters
 * continues with from=next until it has its 50 rows or the ledger's end
 * (at most 100,000 events examined per request). Prints, per view, the
 * requests one page makes and the median and worst page time of R runs.
 * The front's TLS and JSON translation are not included (see
 * docs/benchmarks.md).
 *
 *   console_bench [--events N] [--signers S] [--runs R] [--dir D]
 */
#include <inttypes.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sodium.h>

#include "core/audit_api.h"
#include "core/cli.h"
#include "core/ipc.h"
#include "core/mpk.h"
#include "core/state.h"
#include "tests/unit/testutil.h"

#define PAGE 50

static atomic_uint_fast64_t acked, failed;

static double
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static void
done_cb(void *arg, int status, uint64_t seq)
{
	(void)arg;
	(void)seq;
	if (status != 0)
		atomic_fetch_add(&failed, 1);
	atomic_fetch_add(&acked, 1);
}

/* put(l, ev): queue one append (retry while the queue is full). */
static void
put(struct ledger *l, const struct hk_event *ev)
{
	int r;

	while ((r = ledger_append(l, ev, done_cb, NULL)) == HK_EBUSY)
		;
	if (r != 0) {
		fprintf(stderr, "console_bench: append: %s\n", hk_strerror(r));
		exit(1);
	}
}

static void
sig_hash(uint64_t i, uint8_t h[32])
{
	crypto_hash_sha256(h, (const uint8_t *)&i, sizeof(i));
}

/* signature(l, body, s, c, i): auth.granted + signature.created of hash i
 * (two events). */
static void
signature(struct ledger *l, struct hk_buf *body, const char *s,
    const char *c, uint64_t i)
{
	struct hk_mpk_writer w;
	struct hk_event ev;
	uint8_t h[32];

	if (lifecycle_event(&ev, body, HK_EV_AUTH_GRANTED, s, c) != 0)
		exit(1);
	put(l, &ev);
	hk_buf_reset(body);
	hk_mpk_writer_init(&w, body);
	sig_hash(i, h);
	hk_mpk_put_map(&w, 1);
	hk_mpk_put_uint(&w, 4);
	hk_mpk_put_bin(&w, h, 32);
	ev.type = HK_EV_SIGNATURE_CREATED;
	ev.body = (struct hk_bytes){body->p, body->len};
	put(l, &ev);
}

static void
admin_request(struct ledger *l, struct hk_buf *body)
{
	struct hk_mpk_writer w;
	struct hk_event ev;

	hk_buf_reset(body);
	hk_mpk_writer_init(&w, body);
	hk_mpk_put_map(&w, 1);
	hk_mpk_put_uint(&w, 1);
	hk_mpk_put_cstr(&w, "audit.events");
	memset(&ev, 0, sizeof(ev));
	ev.type = HK_EV_ADMIN_REQUEST;
	ev.actor_kind = HK_ACTOR_SYSTEM;
	ev.actor_id = (struct hk_bytes){(const uint8_t *)"bench", 5};
	ev.body = (struct hk_bytes){body->p, body->len};
	put(l, &ev);
}

static void
ids(unsigned i, char s[24], char c[24])
{
	snprintf(s, 24, "s-%016x", i);
	snprintf(c, 24, "c-%016x", i);
}

/* fill(l, n, signers): the ledger described above; returns the seq of
 * the rare signer's signature and its hash index in *${rare_i}. */
static void
fill(struct ledger *l, uint64_t n, unsigned signers, uint64_t *rare_i)
{
	static const uint64_t life[] = {HK_EV_CREDENTIAL_CREATED,
	    HK_EV_KEY_GENERATED, HK_EV_CSR_ISSUED, HK_EV_CREDENTIAL_ENROLLED,
	    HK_EV_CSR_CONFIRMED, HK_EV_CERT_BOUND};
	struct hk_buf body = HK_BUF_INIT;
	struct hk_event ev;
	uint64_t queued = 1, i, rnd = 42; /* genesis */
	char s[24], c[24];
	unsigned k, j;

	/* Signer 0 is the rare one; the others sign at random. */
	for (k = 0; k <= signers; k++) {
		ids(k, s, c);
		if (lifecycle_event(&ev, &body, HK_EV_SIGNER_REGISTERED, s,
			"") != 0)
			exit(1);
		put(l, &ev);
		queued++;
		for (j = 0; j < sizeof(life) / sizeof(life[0]); j++) {
			if (lifecycle_event(&ev, &body, life[j], s, c) != 0)
				exit(1);
			put(l, &ev);
			queued++;
		}
	}
	for (i = 0; queued + 3 <= n; i++) {
		if (queued >= n / 2 && *rare_i == 0) {
			ids(0, s, c);
			*rare_i = i;
		} else {
			rnd = rnd * 6364136223846793005ULL +
			    1442695040888963407ULL;
			ids(1 + (unsigned)((rnd >> 33) % signers), s, c);
		}
		signature(l, &body, s, c, i);
		queued += 2;
		if (i % 5 == 4) {
			admin_request(l, &body);
			queued++;
		}
	}
	while (queued < n) {
		admin_request(l, &body);
		queued++;
	}
	/* A barrier: everything before it is durable once it is. */
	while (atomic_load(&acked) + 1 < queued)
		;
	hk_buf_release(&body);
}

struct bench {
	struct hk_audit_ctx cx;
	struct hk_buf resp, req;
	char reason[160], target[80];
};

/* run1(b, type): one request; its status, or exit. */
static void
run1(struct bench *b, uint64_t type)
{
	struct hk_audit_answer a = {0, &b->resp, b->reason, sizeof(b->reason),
	    b->target, sizeof(b->target)};

	hk_audit_api_run(&b->cx, type, b->req.p, b->req.len, &a);
	if (a.status != 200) {
		fprintf(stderr, "console_bench: type %" PRIu64 ": %u %s\n",
		    type, a.status, b->reason);
		exit(1);
	}
}

/* The answer's uint at ${key} and the length of its list at ${lkey}. */
static uint64_t
ans_uint(const struct bench *b, uint64_t key)
{
	struct hk_mpk_reader r;
	struct hk_bytes v;
	uint64_t u = 0;

	if (hk_event_body_value((struct hk_bytes){b->resp.p, b->resp.len},
		key, &v) != 0)
		return 0;
	hk_mpk_reader_init(&r, v.p, v.n);
	return hk_mpk_get_uint(&r, &u) == 0 ? u : 0;
}

static uint32_t
ans_count(const struct bench *b, uint64_t key)
{
	struct hk_mpk_reader r;
	struct hk_bytes v;
	uint32_t n = 0;

	if (hk_event_body_value((struct hk_bytes){b->resp.p, b->resp.len},
		key, &v) != 0)
		return 0;
	hk_mpk_reader_init(&r, v.p, v.n);
	return hk_mpk_get_array(&r, &n) == 0 ? n : 0;
}

/* A view: the request map of one page request (from = ${from}). */
enum view_kind { V_STATUS, V_SUMMARY, V_EVENTS, V_SIGNATURES, V_HISTORY,
	V_SIGNERS, V_RECEIPT, V_CONSISTENCY };

struct view {
	const char *name;
	enum view_kind kind;
	uint64_t from;
	const char *type, *signer, *hash;
	bool all; /* continue to the ledger's end (a lookup) */
};

static void
request(struct bench *b, const struct view *v, uint64_t from, uint64_t limit)
{
	struct hk_mpk_writer w;
	uint32_t n = 0;

	hk_buf_reset(&b->req);
	hk_mpk_writer_init(&w, &b->req);
	switch (v->kind) {
	case V_EVENTS:
		n = 2 + (v->type != NULL) + (v->signer != NULL);
		hk_mpk_put_map(&w, n);
		hk_mpk_put_uint(&w, 1);
		hk_mpk_put_uint(&w, from);
		hk_mpk_put_uint(&w, 2);
		hk_mpk_put_uint(&w, limit);
		if (v->type != NULL) {
			hk_mpk_put_uint(&w, 3);
			hk_mpk_put_cstr(&w, v->type);
		}
		if (v->signer != NULL) {
			hk_mpk_put_uint(&w, 4);
			hk_mpk_put_cstr(&w, v->signer);
		}
		break;
	case V_SIGNATURES:
		hk_mpk_put_map(&w, 2);
		hk_mpk_put_uint(&w, 1);
		hk_mpk_put_cstr(&w, v->hash);
		hk_mpk_put_uint(&w, 2);
		hk_mpk_put_uint(&w, from);
		break;
	case V_HISTORY:
		hk_mpk_put_map(&w, 2);
		hk_mpk_put_uint(&w, 1);
		hk_mpk_put_cstr(&w, v->signer);
		hk_mpk_put_uint(&w, 3);
		hk_mpk_put_uint(&w, from);
		break;
	case V_SIGNERS:
		hk_mpk_put_map(&w, 1);
		hk_mpk_put_uint(&w, 2);
		hk_mpk_put_uint(&w, PAGE);
		break;
	case V_RECEIPT: {
		char seq[24];

		snprintf(seq, sizeof(seq), "%" PRIu64, v->from);
		hk_mpk_put_map(&w, 1);
		hk_mpk_put_uint(&w, 1);
		hk_mpk_put_cstr(&w, seq);
		break;
	}
	case V_CONSISTENCY:
		hk_mpk_put_map(&w, 1);
		hk_mpk_put_uint(&w, 1);
		hk_mpk_put_uint(&w, v->from);
		break;
	default:
		hk_mpk_put_map(&w, 0);
	}
	if (hk_mpk_writer_status(&w) != 0)
		exit(1);
}

static const uint64_t types[] = {
    [V_STATUS] = HK_IPC_AUDIT_STATUS, [V_SUMMARY] = HK_IPC_AUDIT_SUMMARY,
    [V_EVENTS] = HK_IPC_AUDIT_EVENTS,
    [V_SIGNATURES] = HK_IPC_AUDIT_SIGNATURES,
    [V_HISTORY] = HK_IPC_AUDIT_HISTORY, [V_SIGNERS] = HK_IPC_AUDIT_SIGNERS,
    [V_RECEIPT] = HK_IPC_AUDIT_RECEIPT,
    [V_CONSISTENCY] = HK_IPC_AUDIT_CONSISTENCY,
};

/* page(b, v, requests, rows, worst): one page as the console loads it;
 * its time in ms. */
static double
page(struct bench *b, const struct view *v, unsigned *requests,
    uint64_t *rows, double *worst)
{
	uint64_t from = v->from, found = 0, size = 1, next;
	double t0 = now_ms(), t;
	unsigned n = 0;
	bool paged = v->kind == V_EVENTS || v->kind == V_SIGNATURES ||
	    v->kind == V_HISTORY;
	uint64_t list = v->kind == V_HISTORY ? 2 : 1;

	*worst = 0;
	do {
		double r0 = now_ms();

		request(b, v, from, PAGE - found);
		run1(b, types[v->kind]);
		n++;
		t = now_ms() - r0;
		if (t > *worst)
			*worst = t;
		if (!paged)
			break;
		found += ans_count(b, list);
		next = ans_uint(b, v->kind == V_HISTORY ? 3 : 2);
		size = ans_uint(b, v->kind == V_HISTORY ? 4 : 3);
		from = next;
	} while (from < size && (v->all || found < PAGE));
	*requests = n;
	*rows = paged ? found : ans_count(b, list);
	return now_ms() - t0;
}

static int
cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

int
main(int argc, char **argv)
{
	const char *ev_s = NULL, *sg_s = NULL, *runs_s = NULL, *dir = "/tmp";
	struct cli_opt opts[] = {{"events", &ev_s}, {"signers", &sg_s},
	    {"runs", &runs_s}, {"dir", &dir}, {NULL, NULL}};
	uint64_t n = 1000000, signers = 2000, runs = 5, rare_i = 0, size = 0,
		 replayed = 0;
	struct fixture f;
	struct hk_state *st;
	struct bench b;
	uint8_t h[32];
	char hash_hex[65], rare_s[24], rare_c[24], some_s[24], some_c[24];
	double t0;
	size_t i;

	if (sodium_init() < 0 ||
	    cli_parse(argc - 1, argv + 1, opts, "console_bench [--events N] "
					"[--signers S] [--runs R] [--dir D]") !=
		0 ||
	    (ev_s != NULL && cli_u64(ev_s, "events", &n) != 0) ||
	    (sg_s != NULL && cli_u64(sg_s, "signers", &signers) != 0) ||
	    (runs_s != NULL && cli_u64(runs_s, "runs", &runs) != 0) ||
	    runs == 0 || signers == 0 || n < 16 * (signers + 1))
		return 2;
	if (fixture_new_in(&f, dir, "bench.example/console") != 0) {
		fprintf(stderr, "console_bench: cannot create a ledger in %s\n",
		    dir);
		return 1;
	}
	t0 = now_ms();
	fill(f.l, n, (unsigned)signers, &rare_i);
	if (atomic_load(&failed) != 0 || ledger_size(f.l, &size, NULL) != 0) {
		fprintf(stderr, "console_bench: appends failed\n");
		return 1;
	}
	printf("ledger: %" PRIu64 " events (%" PRIu64 " signers + 1 rare) "
	       "built in %.1f s\n",
	    size, signers, (now_ms() - t0) / 1e3);
	if ((st = hk_state_new()) == NULL)
		return 1;
	t0 = now_ms();
	if (hk_state_replay(st, f.l, &replayed) != 0 ||
	    hk_state_flagged(st, NULL, NULL) != 0) {
		fprintf(stderr, "console_bench: the replay flagged events\n");
		return 1;
	}
	printf("state replay (as hankod at start): %.1f s\n\n",
	    (now_ms() - t0) / 1e3);

	memset(&b, 0, sizeof(b));
	b.cx = (struct hk_audit_ctx){f.l, st, (uint64_t)time(NULL) * 1000, NULL};
	sig_hash(rare_i, h);
	hk_hex_encode(hash_hex, h, 32);
	ids(0, rare_s, rare_c);
	ids(1, some_s, some_c);
	{
		const struct view views[] = {
		    {"overview: status", V_STATUS, 0, NULL, NULL, NULL, false},
		    {"overview: summary", V_SUMMARY, 0, NULL, NULL, NULL,
			false},
		    {"events, first page", V_EVENTS, 0, NULL, NULL, NULL,
			false},
		    {"events, deep link from=N-10000", V_EVENTS, n - 10000,
			NULL, NULL, NULL, false},
		    {"events, type=signature.created from=N/2", V_EVENTS,
			n / 2, "signature.created", NULL, NULL, false},
		    {"events, signer=<one of the signers>", V_EVENTS, 0, NULL,
			some_s, NULL, false},
		    {"events, signer=<the rare one>, to the end", V_EVENTS, 0,
			NULL, rare_s, NULL, true},
		    {"signature lookup by hash, whole ledger", V_SIGNATURES, 0,
			NULL, NULL, hash_hex, true},
		    {"signer history, whole ledger", V_HISTORY, 0, NULL,
			rare_s, NULL, true},
		    {"signers page (the first 50)", V_SIGNERS, 0, NULL, NULL,
			NULL, false},
		    {"receipt of seq N/2", V_RECEIPT, n / 2, NULL, NULL, NULL,
			false},
		    {"consistency from size 1000", V_CONSISTENCY, 1000, NULL,
			NULL, NULL, false},
		};

		printf("| view (one console page) | requests | rows | page "
		       "median ms | page worst ms | slowest request ms |\n"
		       "|---|---:|---:|---:|---:|---:|\n");
		for (i = 0; i < sizeof(views) / sizeof(views[0]); i++) {
			double *t = calloc(runs, sizeof(double)), worst = 0,
			       w;
			unsigned reqs = 0;
			uint64_t rows = 0, k;

			if (t == NULL)
				return 1;
			for (k = 0; k < runs; k++) {
				t[k] = page(&b, &views[i], &reqs, &rows, &w);
				if (w > worst)
					worst = w;
			}
			qsort(t, runs, sizeof(double), cmp);
			char rowtext[24] = "-";

			/* Rows: the items of a list view (events, history
			 * entries, signatures, signers). */
			if (views[i].kind == V_EVENTS ||
			    views[i].kind == V_SIGNATURES ||
			    views[i].kind == V_HISTORY ||
			    views[i].kind == V_SIGNERS)
				snprintf(rowtext, sizeof(rowtext), "%" PRIu64,
				    rows);
			printf("| %s | %u | %s | %.1f | %.1f | %.1f |\n",
			    views[i].name, reqs, rowtext, t[runs / 2],
			    t[runs - 1], worst);
			free(t);
		}
	}
	hk_buf_release(&b.resp);
	hk_buf_release(&b.req);
	hk_state_free(st);
	fixture_free(&f);
	return 0;
}
