/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Unit tests for core/audit_api (docs/audit-api.md), driven directly on a
 * temporary ledger: every answer is compared with what the ledger library
 * and `hanko ledger show`'s decoding (core/event_json.c) give for the same
 * events, filters are checked against a brute-force scan, and the bounds
 * of one request (100,000 events examined, 768 KiB of JSON) are reached.
 * Bad request maps (the front is untrusted, ACT-3) get 400 and the ledger
 * never changes. The role check and the admin.request record are the
 * executor's: tests/unit/core/test_lifecycle.c.
 */
#include <inttypes.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>
#include <jansson.h>

#include "core/audit_api.h"
#include "core/codec.h"
#include "core/event_json.h"
#include "core/ipc.h"
#include "core/state.h"
#include "core/version.h"
#include "ledger/ledger_merkle.h"
#include "tests/unit/testutil.h"

#define ORIGIN "example.test/hanko/audit-api"
#define NEV 300 /* events after genesis in the small ledger */

struct t {
	struct fixture f;
	uint64_t size;
	struct hk_buf resp, req;
	struct hk_state *st; /* the signer state the console's views read */
	char reason[160], target[80];
	unsigned status;
	const struct hk_state_verified *verified; /* for /status */
};

/* The hash event i signs (signature.created when i % 3 == 0). */
static void
hash_of(unsigned i, uint8_t h[32])
{
	/* Three events share each hash, so lookups find several. */
	crypto_hash_sha256(h, (const uint8_t *)&(unsigned){i / 9},
	    sizeof(unsigned));
}

static const char *const signers[] = {"s-00000000000000a1",
    "s-00000000000000a2", "s-00000000000000a3"};
static const char *const creds[] = {"c-00000000000000b1",
    "c-00000000000000b2", "c-00000000000000b3", "c-00000000000000b4"};

/* add(t, i): event i: signature.created (body {4: hash}), admin.request
 * or credential.suspended, for a signer and credential that cycle. */
static void
add(struct t *t, unsigned i)
{
	struct hk_buf body = HK_BUF_INIT;
	struct hk_mpk_writer w;
	struct hk_event ev;
	uint8_t h[32];

	hk_mpk_writer_init(&w, &body);
	memset(&ev, 0, sizeof(ev));
	switch (i % 3) {
	case 0:
		ev.type = HK_EV_SIGNATURE_CREATED;
		hash_of(i, h);
		hk_mpk_put_map(&w, 1);
		hk_mpk_put_uint(&w, 4);
		hk_mpk_put_bin(&w, h, sizeof(h));
		break;
	case 1:
		ev.type = HK_EV_ADMIN_REQUEST;
		hk_mpk_put_map(&w, 1);
		hk_mpk_put_uint(&w, 1);
		hk_mpk_put_cstr(&w, "status");
		break;
	default:
		ev.type = HK_EV_SUSPENDED;
		hk_mpk_put_map(&w, 1);
		hk_mpk_put_uint(&w, 1);
		hk_mpk_put_cstr(&w, "lost");
		break;
	}
	assert_int_equal(hk_mpk_writer_status(&w), 0);
	ev.actor_kind = HK_ACTOR_SYSTEM;
	ev.actor_id = (struct hk_bytes){(const uint8_t *)"test", 4};
	ev.signer = (struct hk_bytes){(const uint8_t *)signers[i % 3], 18};
	ev.credential = (struct hk_bytes){(const uint8_t *)creds[i % 4], 18};
	ev.body = (struct hk_bytes){body.p, body.len};
	assert_int_equal(ledger_append_wait(t->f.l, &ev, NULL), 0);
	hk_buf_release(&body);
}

static int
setup(void **state)
{
	struct t *t = calloc(1, sizeof(*t));
	unsigned i;

	assert_non_null(t);
	assert_int_equal(fixture_new(&t->f, ORIGIN), 0);
	for (i = 0; i < NEV; i++)
		add(t, i);
	assert_int_equal(ledger_size(t->f.l, &t->size, NULL), 0);
	assert_int_equal(t->size, NEV + 1);
	assert_non_null(t->st = hk_state_new());
	*state = t;
	return 0;
}

static int
teardown(void **state)
{
	struct t *t = *state;

	hk_buf_release(&t->resp);
	hk_buf_release(&t->req);
	hk_state_free(t->st);
	fixture_free(&t->f);
	free(t);
	return 0;
}

/* ---- requests and answers ------------------------------------------------ */

/*
 * B(t, spec, ...): a request map: for each character of ${spec} a key
 * (uint) and a value: 'u' uint64_t, 's' const char *.
 */
static const struct hk_buf *
B(struct t *t, const char *spec, ...)
{
	struct hk_mpk_writer w;
	va_list ap;

	hk_buf_reset(&t->req);
	hk_mpk_writer_init(&w, &t->req);
	hk_mpk_put_map(&w, (uint32_t)strlen(spec));
	va_start(ap, spec);
	for (; *spec != '\0'; spec++) {
		hk_mpk_put_uint(&w, va_arg(ap, unsigned));
		if (*spec == 'u')
			hk_mpk_put_uint(&w, va_arg(ap, uint64_t));
		else
			hk_mpk_put_cstr(&w, va_arg(ap, const char *));
	}
	va_end(ap);
	assert_int_equal(hk_mpk_writer_status(&w), 0);
	return &t->req;
}

/* run(t, type, req): the status of the request; the ledger is unchanged. */
static unsigned
run(struct t *t, uint64_t type, const struct hk_buf *req)
{
	struct hk_audit_answer a = {0, &t->resp, t->reason, sizeof(t->reason),
	    t->target, sizeof(t->target)};
	struct hk_audit_ctx cx = {t->f.l, t->st, (uint64_t)time(NULL) * 1000,
	    t->verified};
	uint8_t d0[32], d1[32];
	uint64_t after = 0;

	hk_buf_reset(&t->resp);
	t->reason[0] = '\0';
	assert_int_equal(hk_state_digest(t->st, d0), 0);
	hk_audit_api_run(&cx, type, req != NULL ? req->p :
						 (const uint8_t *)"\x80",
	    req != NULL ? req->len : 1, &a);
	assert_int_equal(ledger_size(t->f.l, &after, NULL), 0);
	assert_int_equal(after, t->size);
	/* Read-only: the state is unchanged too. */
	assert_int_equal(hk_state_digest(t->st, d1), 0);
	assert_memory_equal(d0, d1, 32);
	t->status = a.status;
	return a.status;
}

/* The value of key ${key} of the answer map. */
static struct hk_mpk_reader
ans(const struct t *t, uint64_t key)
{
	struct hk_mpk_reader r;
	struct hk_bytes v;

	assert_int_equal(hk_event_body_value((struct hk_bytes){t->resp.p,
						 t->resp.len},
			     key, &v),
	    0);
	hk_mpk_reader_init(&r, v.p, v.n);
	return r;
}

static uint64_t
ans_uint(const struct t *t, uint64_t key)
{
	struct hk_mpk_reader r = ans(t, key);
	uint64_t u = 0;

	assert_int_equal(hk_mpk_get_uint(&r, &u), 0);
	return u;
}

static struct hk_bytes
ans_str(const struct t *t, uint64_t key)
{
	struct hk_mpk_reader r = ans(t, key);
	struct hk_bytes s = {NULL, 0};

	assert_int_equal(hk_mpk_get_str(&r, &s), 0);
	return s;
}

/* expect_error(t, status, code): an error answer {1: code, 2: text}. */
static void
expect_error(const struct t *t, unsigned status, const char *code)
{
	struct hk_bytes s;

	if (t->status != status)
		fail_msg("answered %u, expected %u (%s)", t->status, status,
		    t->reason);
	s = ans_str(t, 1);
	assert_int_equal(s.n, strlen(code));
	assert_memory_equal(s.p, code, s.n);
	s = ans_str(t, 2);
	assert_true(s.n > 0);
	assert_true(strlen(t->reason) > 0);
}

/* show(t, seq): event ${seq} as `hanko ledger show` prints it (a line of
 * compact JSON in member order), malloc'd. */
static char *
show(const struct t *t, uint64_t seq, struct hk_event *out)
{
	static struct hk_buf b; /* borrowed by ${out} until the next call */
	struct hk_sha256 *h = hk_sha256_new();
	uint8_t leaf[LEDGER_HASH_LEN];
	struct hk_event ev;
	json_t *j;
	char *s;

	hk_buf_reset(&b);
	assert_int_equal(ledger_event_get(t->f.l, seq, &b), 0);
	assert_int_equal(hk_event_decode(b.p, b.len, &ev, NULL), 0);
	assert_int_equal(ledger_merkle_leaf_hash(h, b.p, b.len, leaf), 0);
	assert_non_null(j = hk_event_to_json(&ev, leaf));
	assert_non_null(s = json_dumps(j, JSON_COMPACT | JSON_PRESERVE_ORDER));
	json_decref(j);
	hk_sha256_free(h);
	if (out != NULL)
		*out = ev;
	return s;
}

/* expect_list(t, key, seqs, n, next): the answer's list at ${key} holds
 * exactly events ${seqs}[0..n) as `hanko ledger show` prints them; next
 * and size as given. */
static void
expect_list(const struct t *t, uint64_t key, const uint64_t *seqs, size_t n,
    uint64_t next)
{
	struct hk_mpk_reader r = ans(t, key);
	struct hk_bytes s;
	uint32_t cnt;
	size_t i;
	char *want;

	assert_int_equal(t->status, 200);
	assert_int_equal(hk_mpk_get_array(&r, &cnt), 0);
	assert_int_equal(cnt, n);
	for (i = 0; i < n; i++) {
		assert_int_equal(hk_mpk_get_str(&r, &s), 0);
		want = show(t, seqs[i], NULL);
		if (s.n != strlen(want) || memcmp(s.p, want, s.n) != 0)
			fail_msg("item %zu is not event %" PRIu64
				 " as ledger show prints it",
			    i, seqs[i]);
		free(want);
	}
	assert_int_equal(ans_uint(t, 2), next);
	assert_int_equal(ans_uint(t, 3), t->size);
}

/* ---- status ---------------------------------------------------------------- */

static void
test_OPS4_status(void **state)
{
	struct t *t = *state;
	struct hk_buf cp = HK_BUF_INIT;
	struct hk_bytes s;
	uint64_t got = 0;

	assert_int_equal(run(t, HK_IPC_AUDIT_STATUS, NULL), 200);
	s = ans_str(t, 1);
	assert_int_equal(s.n, strlen(ORIGIN));
	assert_memory_equal(s.p, ORIGIN, s.n);
	assert_int_equal(ans_uint(t, 2), t->size);
	assert_int_equal(ledger_checkpoint_get(t->f.l, 0, &cp, &got), 0);
	assert_int_equal(got, t->size);
	s = ans_str(t, 3);
	assert_int_equal(s.n, cp.len);
	assert_memory_equal(s.p, cp.p, cp.len);
	assert_memory_equal(s.p, ORIGIN "\n", strlen(ORIGIN) + 1);
	s = ans_str(t, 4);
	assert_int_equal(s.n, strlen(ledger_vkey(t->f.l)));
	assert_memory_equal(s.p, ledger_vkey(t->f.l), s.n);
	/* No full verification yet: "none", zeros, no message. */
	assert_int_equal(ans_uint(t, 5), 0);
	assert_int_equal(ans_uint(t, 6), 0);
	s = ans_str(t, 7);
	assert_true(s.n == 4 && memcmp(s.p, "none", 4) == 0);
	assert_int_equal(ans_str(t, 8).n, 0);
	assert_int_equal(ans_uint(t, 9), 0);
	/* Exactly nine keys. */
	assert_int_equal(t->resp.p[0], 0x89);
	/* A failed one is shown with its message, time, size and seq. */
	{
		struct hk_state_verified v = {true, false, 77, 1700000000123,
		    76, "at seq 12: leaf hash mismatch"};

		t->verified = &v;
		assert_int_equal(run(t, HK_IPC_AUDIT_STATUS, NULL), 200);
		t->verified = NULL;
		assert_int_equal(ans_uint(t, 5), 1700000000123);
		assert_int_equal(ans_uint(t, 6), 76);
		s = ans_str(t, 7);
		assert_true(s.n == 6 && memcmp(s.p, "failed", 6) == 0);
		s = ans_str(t, 8);
		assert_true(s.n == strlen(v.msg) &&
		    memcmp(s.p, v.msg, s.n) == 0);
		assert_int_equal(ans_uint(t, 9), 77);
		v.ok = true;
		t->verified = &v;
		assert_int_equal(run(t, HK_IPC_AUDIT_STATUS, NULL), 200);
		t->verified = NULL;
		s = ans_str(t, 7);
		assert_true(s.n == 2 && memcmp(s.p, "ok", 2) == 0);
		assert_int_equal(ans_str(t, 8).n, 0);
	}
	/* It takes no parameter. */
	assert_int_equal(run(t, HK_IPC_AUDIT_STATUS, B(t, "u", 1, (uint64_t)0)),
	    400);
	expect_error(t, 400, "invalid_request");
	hk_buf_release(&cp);
}

/* ---- events ---------------------------------------------------------------- */

static void
test_SIG6_events_paged_like_ledger_show(void **state)
{
	struct t *t = *state;
	uint64_t seqs[NEV + 1], from = 0, next;
	size_t i, n = 0;

	/* Default: 100 events from 0. */
	for (i = 0; i < 100; i++)
		seqs[i] = i;
	assert_int_equal(run(t, HK_IPC_AUDIT_EVENTS, B(t, "")), 200);
	expect_list(t, 1, seqs, 100, 100);
	assert_string_equal(t->target, "from 0");
	/* Paging with limit 7 walks every event exactly once, in order. */
	while (from < t->size) {
		assert_int_equal(run(t, HK_IPC_AUDIT_EVENTS,
				     B(t, "uu", 1, from, 2, (uint64_t)7)),
		    200);
		next = ans_uint(t, 2);
		for (i = 0; from + i < next; i++)
			seqs[i] = from + i;
		assert_true(next - from == 7 || next == t->size);
		expect_list(t, 1, seqs, (size_t)(next - from), next);
		n += (size_t)(next - from);
		from = next;
	}
	assert_int_equal(n, t->size);
	/* The cap, and past the end. */
	for (i = 0; i < t->size; i++)
		seqs[i] = i;
	assert_int_equal(run(t, HK_IPC_AUDIT_EVENTS,
			     B(t, "uu", 1, (uint64_t)0, 2, (uint64_t)500)),
	    200);
	expect_list(t, 1, seqs, (size_t)t->size, t->size);
	assert_int_equal(run(t, HK_IPC_AUDIT_EVENTS,
			     B(t, "u", 1, t->size + 5)),
	    200);
	expect_list(t, 1, seqs, 0, t->size + 5);
}

static void
test_SIG6_event_filters(void **state)
{
	struct t *t = *state;
	struct hk_event ev;
	uint64_t seqs[NEV + 1], since, until, seq, next;
	size_t n;
	char *s;

	/* type, signer and credential together: a brute-force scan. */
	n = 0;
	for (seq = 0; seq < t->size; seq++) {
		free(show(t, seq, &ev));
		if (ev.type == HK_EV_SIGNATURE_CREATED && ev.signer.n == 18 &&
		    memcmp(ev.signer.p, signers[0], 18) == 0 &&
		    ev.credential.n == 18 &&
		    memcmp(ev.credential.p, creds[2], 18) == 0)
			seqs[n++] = seq;
	}
	assert_true(n > 5);
	assert_int_equal(run(t, HK_IPC_AUDIT_EVENTS,
			     B(t, "usss", 2, (uint64_t)500, 3,
				 "signature.created", 4, signers[0], 5,
				 creds[2])),
	    200);
	expect_list(t, 1, seqs, n, t->size);
	/* With a limit: the first 3, next after the third. */
	assert_int_equal(run(t, HK_IPC_AUDIT_EVENTS,
			     B(t, "usss", 2, (uint64_t)3, 3,
				 "signature.created", 4, signers[0], 5,
				 creds[2])),
	    200);
	expect_list(t, 1, seqs, 3, seqs[2] + 1);
	/* Time: [since, until) of the events 100..199. */
	free(show(t, 100, &ev));
	since = ev.time_ms;
	free(show(t, 200, &ev));
	until = ev.time_ms;
	n = 0;
	for (seq = 0; seq < t->size; seq++) {
		free(show(t, seq, &ev));
		if (ev.time_ms >= since && ev.time_ms < until)
			seqs[n++] = seq;
	}
	assert_true(n > 0);
	assert_int_equal(run(t, HK_IPC_AUDIT_EVENTS,
			     B(t, "uuu", 2, (uint64_t)500, 6, since, 7, until)),
	    200);
	expect_list(t, 1, seqs, n, t->size);
	/* A filter that matches nothing. */
	assert_int_equal(run(t, HK_IPC_AUDIT_EVENTS,
			     B(t, "s", 3, "key.destroyed")),
	    200);
	expect_list(t, 1, seqs, 0, t->size);
	assert_int_equal(run(t, HK_IPC_AUDIT_EVENTS,
			     B(t, "s", 4, "s-ffffffffffffffff")),
	    200);
	expect_list(t, 1, seqs, 0, t->size);
	/* By actor (the console's "actor" filter): a brute-force scan. */
	n = 0;
	for (seq = 0; seq < t->size; seq++) {
		free(show(t, seq, &ev));
		if (ev.actor_id.n == 4 && memcmp(ev.actor_id.p, "test", 4) == 0)
			seqs[n++] = seq;
	}
	assert_int_equal(n, NEV);
	assert_int_equal(run(t, HK_IPC_AUDIT_EVENTS,
			     B(t, "us", 2, (uint64_t)500, 8, "test")),
	    200);
	expect_list(t, 1, seqs, n, t->size);
	assert_int_equal(run(t, HK_IPC_AUDIT_EVENTS, B(t, "s", 8, "tes")),
	    200);
	expect_list(t, 1, seqs, 0, t->size);
	/* The genesis event by type. */
	assert_int_equal(run(t, HK_IPC_AUDIT_EVENTS,
			     B(t, "s", 3, "ledger.genesis")),
	    200);
	seqs[0] = 0;
	expect_list(t, 1, seqs, 1, t->size);
	s = show(t, 0, NULL);
	assert_non_null(strstr(s, "\"ledger.genesis\""));
	free(s);
	next = 0;
	(void)next;
}

/* Malformed request maps (an untrusted front) and values the contract
 * refuses: 400, nothing changes (run() checks the ledger size). */
static void
test_ACT3_bad_requests_are_400(void **state)
{
	struct t *t = *state;
	static const uint8_t not_map[] = {0x90};
	static const uint8_t desc_keys[] = {0x82, 0x02, 0x01, 0x01, 0x00};
	static const uint8_t trailing[] = {0x80, 0x80};
	static const uint8_t str_from[] = {0x81, 0x01, 0xa1, '0'};
	static const uint8_t bin_type[] = {0x81, 0x03, 0xc4, 0x01, 'x'};
	const struct {
		uint64_t type;
		const uint8_t *p;
		size_t n;
	} raw[] = {
	    {HK_IPC_AUDIT_EVENTS, not_map, sizeof(not_map)},
	    {HK_IPC_AUDIT_EVENTS, desc_keys, sizeof(desc_keys)},
	    {HK_IPC_AUDIT_EVENTS, trailing, sizeof(trailing)},
	    {HK_IPC_AUDIT_EVENTS, str_from, sizeof(str_from)},
	    {HK_IPC_AUDIT_EVENTS, bin_type, sizeof(bin_type)},
	    {HK_IPC_AUDIT_STATUS, trailing, sizeof(trailing)},
	};
	struct hk_buf big = HK_BUF_INIT;
	size_t i;

	for (i = 0; i < sizeof(raw) / sizeof(raw[0]); i++) {
		struct hk_buf b = {(uint8_t *)raw[i].p, raw[i].n, raw[i].n};

		assert_int_equal(run(t, raw[i].type, &b), 400);
		expect_error(t, 400, "invalid_request");
	}
#define BAD(type, req)                                        \
	do {                                                  \
		assert_int_equal(run(t, type, req), 400);     \
		expect_error(t, 400, "invalid_request");      \
	} while (0)
	BAD(HK_IPC_AUDIT_EVENTS, B(t, "u", 2, (uint64_t)0));
	BAD(HK_IPC_AUDIT_EVENTS, B(t, "u", 2, (uint64_t)501));
	BAD(HK_IPC_AUDIT_EVENTS, B(t, "u", 8, (uint64_t)1));
	BAD(HK_IPC_AUDIT_EVENTS, B(t, "s", 3, "signature.made"));
	BAD(HK_IPC_AUDIT_EVENTS, B(t, "s", 3, ""));
	for (i = 0; i < 65; i++)
		assert_int_equal(hk_buf_putc(&big, 's'), 0);
	assert_non_null(hk_buf_cstr(&big));
	BAD(HK_IPC_AUDIT_EVENTS, B(t, "s", 4, (const char *)big.p));
	BAD(HK_IPC_AUDIT_RECEIPT, B(t, ""));
	BAD(HK_IPC_AUDIT_RECEIPT, B(t, "s", 1, "05"));
	BAD(HK_IPC_AUDIT_RECEIPT, B(t, "s", 1, "-1"));
	BAD(HK_IPC_AUDIT_RECEIPT, B(t, "u", 1, (uint64_t)5));
	BAD(HK_IPC_AUDIT_CONSISTENCY, B(t, ""));
	BAD(HK_IPC_AUDIT_CONSISTENCY, B(t, "u", 1, (uint64_t)0));
	BAD(HK_IPC_AUDIT_CONSISTENCY, B(t, "u", 1, t->size + 1));
	BAD(HK_IPC_AUDIT_CONSISTENCY, B(t, "uu", 1, (uint64_t)5, 2,
	    (uint64_t)4));
	BAD(HK_IPC_AUDIT_CONSISTENCY, B(t, "uu", 1, (uint64_t)5, 2,
	    (uint64_t)0));
	BAD(HK_IPC_AUDIT_SIGNATURES, B(t, ""));
	BAD(HK_IPC_AUDIT_SIGNATURES, B(t, "s", 1, "z*z*"));
	BAD(HK_IPC_AUDIT_SIGNATURES, B(t, "s", 1, "abc")); /* odd hex */
	BAD(HK_IPC_AUDIT_SIGNATURES, B(t, "s", 1, "QUJD=="));
	BAD(HK_IPC_AUDIT_SIGNATURES, B(t, "s", 1, "QU+_"));
	BAD(HK_IPC_AUDIT_SIGNATURES, B(t, "s", 1, "===="));
	hk_buf_reset(&big);
	for (i = 0; i < 130; i++)
		assert_int_equal(hk_buf_putc(&big, 'a'), 0);
	assert_non_null(hk_buf_cstr(&big));
	BAD(HK_IPC_AUDIT_SIGNATURES, B(t, "s", 1, (const char *)big.p));
#undef BAD
	/* An unknown type: 404. */
	assert_int_equal(run(t, HK_IPC_ADMIN_STATUS, B(t, "")), 404);
	assert_false(hk_audit_api_handles(HK_IPC_ADMIN_STATUS));
	for (i = HK_IPC_AUDIT_STATUS; i <= HK_IPC_AUDIT_SIGNATURES; i++)
		assert_true(hk_audit_api_handles(i));
	hk_buf_release(&big);
}

/* ---- proofs ---------------------------------------------------------------- */

static void
test_OPS4_receipts_and_consistency(void **state)
{
	struct t *t = *state;
	struct hk_buf want = HK_BUF_INIT;
	struct hk_bytes s;
	char seq[24];
	uint64_t i;

	for (i = 0; i < t->size; i += 37) {
		snprintf(seq, sizeof(seq), "%" PRIu64, i);
		assert_int_equal(run(t, HK_IPC_AUDIT_RECEIPT, B(t, "s", 1, seq)),
		    200);
		hk_buf_reset(&want);
		assert_int_equal(ledger_receipt(t->f.l, i, &want), 0);
		s = ans_str(t, 1);
		assert_int_equal(s.n, want.len);
		assert_memory_equal(s.p, want.p, want.len);
		assert_memory_equal(s.p, "c2sp.org/tlog-proof@v1\n", 23);
	}
	snprintf(seq, sizeof(seq), "%" PRIu64, t->size);
	assert_int_equal(run(t, HK_IPC_AUDIT_RECEIPT, B(t, "s", 1, seq)), 404);
	expect_error(t, 404, "not_found");
	assert_int_equal(run(t, HK_IPC_AUDIT_RECEIPT,
			     B(t, "s", 1, "9223372036854775807")),
	    404);

	/* Consistency to the latest, and between two stored sizes (each
	 * append_wait above committed its own checkpoint). */
	assert_int_equal(run(t, HK_IPC_AUDIT_CONSISTENCY,
			     B(t, "u", 1, (uint64_t)17)),
	    200);
	hk_buf_reset(&want);
	assert_int_equal(ledger_consistency_text(t->f.l, 17, 0, &want), 0);
	s = ans_str(t, 1);
	assert_int_equal(s.n, want.len);
	assert_memory_equal(s.p, want.p, want.len);
	assert_memory_equal(s.p, "old 17\n", 7);
	assert_int_equal(run(t, HK_IPC_AUDIT_CONSISTENCY,
			     B(t, "uu", 1, (uint64_t)3, 2, (uint64_t)200)),
	    200);
	hk_buf_reset(&want);
	assert_int_equal(ledger_consistency_text(t->f.l, 3, 200, &want), 0);
	s = ans_str(t, 1);
	assert_int_equal(s.n, want.len);
	assert_memory_equal(s.p, want.p, want.len);
	assert_int_equal(run(t, HK_IPC_AUDIT_CONSISTENCY,
			     B(t, "u", 1, t->size)),
	    200);
	/* No checkpoint beyond the ledger. */
	assert_int_equal(run(t, HK_IPC_AUDIT_CONSISTENCY,
			     B(t, "uu", 1, (uint64_t)3, 2, t->size + 10)),
	    404);
	expect_error(t, 404, "not_found");
	hk_buf_release(&want);
}

/* ---- signatures ------------------------------------------------------------ */

static void
test_SIG6_signatures_by_hash(void **state)
{
	struct t *t = *state;
	uint64_t seqs[8];
	uint8_t h[32];
	char hex[65], b64[64];
	size_t n = 0, i, k;
	unsigned j;
	struct hk_buf enc = HK_BUF_INIT;

	/* Events 1 + (0, 3, 6) sign the hash of i / 9 == 0. */
	hash_of(0, h);
	for (j = 0; j < NEV; j++) {
		uint8_t hj[32];

		hash_of(j, hj);
		if (j % 3 == 0 && memcmp(hj, h, 32) == 0)
			seqs[n++] = j + 1; /* genesis is seq 0 */
	}
	assert_int_equal(n, 3);
	hk_hex_encode(hex, h, 32);
	assert_int_equal(run(t, HK_IPC_AUDIT_SIGNATURES, B(t, "s", 1, hex)),
	    200);
	expect_list(t, 1, seqs, n, t->size);
	/* Upper-case hex, Base64 with and without padding, URL-safe. */
	for (i = 0; i < 64; i++)
		if (hex[i] >= 'a')
			hex[i] = (char)(hex[i] - 'a' + 'A');
	assert_int_equal(run(t, HK_IPC_AUDIT_SIGNATURES, B(t, "s", 1, hex)),
	    200);
	expect_list(t, 1, seqs, n, t->size);
	assert_int_equal(hk_b64_append(&enc, h, 32), 0);
	assert_true(enc.len < sizeof(b64));
	memcpy(b64, enc.p, enc.len);
	b64[enc.len] = '\0';
	assert_int_equal(run(t, HK_IPC_AUDIT_SIGNATURES, B(t, "s", 1, b64)),
	    200);
	expect_list(t, 1, seqs, n, t->size);
	b64[strcspn(b64, "=")] = '\0';
	for (k = 0; b64[k] != '\0'; k++)
		b64[k] = b64[k] == '+' ? '-' : b64[k] == '/' ? '_' : b64[k];
	assert_int_equal(run(t, HK_IPC_AUDIT_SIGNATURES, B(t, "s", 1, b64)),
	    200);
	expect_list(t, 1, seqs, n, t->size);
	/* From past the first match; a hash nobody signed. */
	assert_int_equal(run(t, HK_IPC_AUDIT_SIGNATURES,
			     B(t, "su", 1, hex, 2, seqs[0] + 1)),
	    200);
	expect_list(t, 1, seqs + 1, n - 1, t->size);
	assert_int_equal(run(t, HK_IPC_AUDIT_SIGNATURES,
			     B(t, "s", 1, "00112233")),
	    200);
	expect_list(t, 1, seqs, 0, t->size);
	hk_buf_release(&enc);
}

/* ---- bounds ---------------------------------------------------------------- */

struct pending {
	pthread_mutex_t mu;
	pthread_cond_t cv;
	unsigned left;
	int err;
};

static void
appended(void *arg, int status, uint64_t seq)
{
	struct pending *p = arg;

	(void)seq;
	pthread_mutex_lock(&p->mu);
	if (status != 0)
		p->err = status;
	if (--p->left == 0)
		pthread_cond_signal(&p->cv);
	pthread_mutex_unlock(&p->mu);
}

/* fill(t, n, pad): append ${n} events with a body of ${pad} bytes, in
 * batches (one commit for many). */
static void
fill(struct t *t, unsigned n, size_t pad)
{
	struct pending p = {PTHREAD_MUTEX_INITIALIZER,
	    PTHREAD_COND_INITIALIZER, n, 0};
	struct hk_buf body = HK_BUF_INIT;
	struct hk_event ev;
	unsigned i;

	for (i = 0; i < n; i++) {
		assert_int_equal(event_build(&ev, &body, HK_EV_ADMIN_REQUEST,
				     signers[0], creds[0], i, pad),
		    0);
		assert_int_equal(ledger_append(t->f.l, &ev, appended, &p), 0);
	}
	pthread_mutex_lock(&p.mu);
	while (p.left > 0)
		pthread_cond_wait(&p.cv, &p.mu);
	pthread_mutex_unlock(&p.mu);
	assert_int_equal(p.err, 0);
	hk_buf_release(&body);
	assert_int_equal(ledger_size(t->f.l, &t->size, NULL), 0);
}

/* One request examines at most HK_AUDIT_SCAN_MAX events: a filter that
 * matches nothing in a longer ledger answers with next 100,000 further. */
static void
test_SIG6_scan_is_bounded(void **state)
{
	struct t *t = *state;
	uint64_t none[1] = {0};
	struct timespec t0, t1;

	fill(t, HK_AUDIT_SCAN_MAX + 50, 0);
	assert_true(t->size > HK_AUDIT_SCAN_MAX + 10);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	assert_int_equal(run(t, HK_IPC_AUDIT_EVENTS,
			     B(t, "us", 1, (uint64_t)5, 3, "key.destroyed")),
	    200);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	/* The cost of one bounded request (docs/audit-api.md). */
	print_message("# one request examining %u events: %.1f ms\n",
	    HK_AUDIT_SCAN_MAX,
	    (double)(t1.tv_sec - t0.tv_sec) * 1e3 +
		(double)(t1.tv_nsec - t0.tv_nsec) / 1e6);
	expect_list(t, 1, none, 0, 5 + HK_AUDIT_SCAN_MAX);
	assert_int_equal(run(t, HK_IPC_AUDIT_EVENTS,
			     B(t, "us", 1, (uint64_t)5 + HK_AUDIT_SCAN_MAX, 3,
				 "key.destroyed")),
	    200);
	expect_list(t, 1, none, 0, t->size);
	assert_int_equal(run(t, HK_IPC_AUDIT_SIGNATURES,
			     B(t, "s", 1, "00")),
	    200);
	expect_list(t, 1, none, 0, HK_AUDIT_SCAN_MAX);
}

/* One answer holds at most about HK_AUDIT_RESP_BUDGET bytes of JSON: large
 * events stop the page early, next says where to go on. */
static void
test_SIG6_answer_is_bounded(void **state)
{
	struct t *t = *state;
	uint64_t seqs[64], from = t->size, next, i;
	struct hk_mpk_reader r;
	struct hk_bytes s;
	uint32_t cnt, k;
	size_t total = 0;

	fill(t, 40, 60000); /* about 120 KB of JSON each */
	assert_int_equal(run(t, HK_IPC_AUDIT_EVENTS,
			     B(t, "uu", 1, from, 2, (uint64_t)500)),
	    200);
	next = ans_uint(t, 2);
	assert_true(next > from + 1 && next < t->size);
	for (i = 0; i < next - from; i++)
		seqs[i] = from + i;
	expect_list(t, 1, seqs, (size_t)(next - from), next);
	r = ans(t, 1);
	assert_int_equal(hk_mpk_get_array(&r, &cnt), 0);
	for (k = 0; k < cnt; k++) {
		assert_int_equal(hk_mpk_get_str(&r, &s), 0);
		total += s.n;
	}
	assert_true(total <= HK_AUDIT_RESP_BUDGET);
	assert_true(total + s.n > HK_AUDIT_RESP_BUDGET);
	/* Under the IPC frame, with room for the context. */
	assert_true(t->resp.len < HK_IPC_MAX_FRAME - 4096);
}

/* ---- the console's views (issue 8) ------------------------------------------ */

/*
 * setup_life: a ledger of real lifecycle events (tests/unit/testutil.h
 * lifecycle bodies) folded into t->st by hk_state_replay, as hankod does
 * at start: signer s-a with credential c-a1 active with 3 signatures then
 * suspended, and c-a2 created; s-b with c-b1 destroyed, then erased;
 * s-c registered only.
 */
static const struct {
	uint64_t type;
	const char *s, *c;
} life[] = {
    {HK_EV_SIGNER_REGISTERED, "s-a", ""},
    {HK_EV_CREDENTIAL_CREATED, "s-a", "c-a1"},
    {HK_EV_KEY_GENERATED, "s-a", "c-a1"},
    {HK_EV_CSR_ISSUED, "s-a", "c-a1"},
    {HK_EV_CREDENTIAL_ENROLLED, "s-a", "c-a1"},
    {HK_EV_CSR_CONFIRMED, "s-a", "c-a1"},
    {HK_EV_CERT_BOUND, "s-a", "c-a1"},
    {HK_EV_AUTH_GRANTED, "s-a", "c-a1"},
    {HK_EV_SIGNATURE_CREATED, "s-a", "c-a1"},
    {HK_EV_SIGNATURE_CREATED, "s-a", "c-a1"},
    {HK_EV_SIGNATURE_CREATED, "s-a", "c-a1"},
    {HK_EV_SUSPENDED, "s-a", "c-a1"},
    {HK_EV_SIGNER_REGISTERED, "s-b", ""},
    {HK_EV_CREDENTIAL_CREATED, "s-b", "c-b1"},
    {HK_EV_KEY_DESTROYED, "s-b", "c-b1"},
    {HK_EV_SIGNER_ERASED, "s-b", ""},
    {HK_EV_CREDENTIAL_CREATED, "s-a", "c-a2"},
    {HK_EV_SIGNER_REGISTERED, "s-c", ""},
};
#define NLIFE (sizeof(life) / sizeof(life[0]))

static int
setup_life(void **state)
{
	struct t *t = calloc(1, sizeof(*t));
	struct hk_buf body = HK_BUF_INIT;
	struct hk_event ev;
	size_t i;

	assert_non_null(t);
	assert_int_equal(fixture_new(&t->f, ORIGIN), 0);
	for (i = 0; i < NLIFE; i++) {
		assert_int_equal(lifecycle_event(&ev, &body, life[i].type,
				     life[i].s, life[i].c),
		    0);
		assert_int_equal(ledger_append_wait(t->f.l, &ev, NULL), 0);
	}
	hk_buf_release(&body);
	assert_int_equal(ledger_size(t->f.l, &t->size, NULL), 0);
	assert_int_equal(t->size, NLIFE + 1);
	assert_non_null(t->st = hk_state_new());
	assert_int_equal(hk_state_replay(t->st, t->f.l, NULL), 0);
	/* Every event above is legal. */
	assert_int_equal(hk_state_flagged(t->st, NULL, NULL), 0);
	*state = t;
	return 0;
}

/* ans_json(t, key): the answer's str at ${key} parsed as JSON. */
static json_t *
ans_json(const struct t *t, uint64_t key)
{
	struct hk_bytes s = ans_str(t, key);
	json_t *j = json_loadb((const char *)s.p, s.n, 0, NULL);

	assert_non_null(j);
	return j;
}

/* list_json(t, key, i): item ${i} of the answer's list of JSON texts. */
static json_t *
list_json(const struct t *t, uint64_t key, uint32_t i, uint32_t *count)
{
	struct hk_mpk_reader r = ans(t, key);
	struct hk_bytes s = {NULL, 0};
	uint32_t n, k;

	assert_int_equal(hk_mpk_get_array(&r, &n), 0);
	if (count != NULL)
		*count = n;
	if (i >= n)
		return NULL;
	for (k = 0; k <= i; k++)
		assert_int_equal(hk_mpk_get_str(&r, &s), 0);
	return json_loadb((const char *)s.p, s.n, 0, NULL);
}

static void
test_SIG6_summary_counts_the_state(void **state)
{
	struct t *t = *state;
	struct hk_bytes v;
	uint64_t now_day = (uint64_t)time(NULL) / 86400;

	assert_int_equal(run(t, HK_IPC_AUDIT_SUMMARY, NULL), 200);
	assert_int_equal(t->resp.p[0], 0x8e); /* 14 keys */
	assert_int_equal(ans_uint(t, 1), 3);  /* signers */
	assert_int_equal(ans_uint(t, 2), 1);  /* erased */
	assert_int_equal(ans_uint(t, 3), 3);  /* credentials */
	assert_int_equal(ans_uint(t, 4), 1);  /* created: c-a2 */
	assert_int_equal(ans_uint(t, 5), 0);  /* key_generated */
	assert_int_equal(ans_uint(t, 6), 0);  /* active */
	assert_int_equal(ans_uint(t, 7), 1);  /* suspended: c-a1 */
	assert_int_equal(ans_uint(t, 8), 1);  /* destroyed: c-b1 */
	assert_int_equal(ans_uint(t, 9), 0);  /* locked */
	assert_int_equal(ans_uint(t, 10), 3); /* signatures */
	/* The events were appended now: today's are all of them (unless
	 * the test ran across midnight UTC). */
	if ((uint64_t)time(NULL) / 86400 == now_day) {
		assert_int_equal(ans_uint(t, 11), 3);
		assert_int_equal(ans_uint(t, 12), now_day * 86400000ULL);
	}
	assert_int_equal(ans_uint(t, 13), t->size);
	v = ans_str(t, 14);
	assert_int_equal(v.n, strlen(HK_VERSION));
	/* No parameter. */
	assert_int_equal(run(t, HK_IPC_AUDIT_SUMMARY, B(t, "u", 1,
						       (uint64_t)0)),
	    400);
	expect_error(t, 400, "invalid_request");
}

/* The signature counts of the state: per UTC day of event time. */
static void
test_SIG6_signature_counts_by_day(void **state)
{
	struct hk_state *st = hk_state_new();
	struct hk_buf body = HK_BUF_INIT;
	struct hk_event ev;
	const char *why;
	uint64_t total, today, seq = 1;
	size_t i;
	const uint64_t D = HK_STATE_DAY_MS, day = 20000;
	/* Times of the signatures: two on day-1, three on day. */
	const uint64_t times[] = {(day - 1) * D, day * D - 1, day * D,
	    day * D + 5, day * D + D - 1};

	(void)state;
	for (i = 0; i < 12; i++) {
		assert_int_equal(lifecycle_event(&ev, &body, life[i].type,
				     life[i].s, life[i].c),
		    0);
		ev.seq = seq++;
		ev.time_ms = (day - 2) * D;
		if (life[i].type == HK_EV_SIGNATURE_CREATED)
			continue;
		if (life[i].type == HK_EV_SUSPENDED)
			break;
		assert_int_equal(hk_state_apply(st, &ev, &why), 0);
	}
	for (i = 0; i < sizeof(times) / sizeof(times[0]); i++) {
		assert_int_equal(lifecycle_event(&ev, &body,
				     HK_EV_SIGNATURE_CREATED, "s-a", "c-a1"),
		    0);
		ev.seq = seq++;
		ev.time_ms = times[i];
		assert_int_equal(hk_state_apply(st, &ev, &why), 0);
	}
	hk_state_signature_counts(st, day, &total, &today);
	assert_int_equal(total, 5);
	assert_int_equal(today, 3);
	hk_state_signature_counts(st, day + 1, &total, &today);
	assert_int_equal(today, 0);
	hk_state_signature_counts(st, day - 1, &total, &today);
	assert_int_equal(today, 0); /* only the latest day is kept */
	/* A refused signature (credential suspended) counts nowhere. */
	assert_int_equal(lifecycle_event(&ev, &body, HK_EV_SUSPENDED, "s-a",
			     "c-a1"),
	    0);
	ev.seq = seq++;
	ev.time_ms = day * D + 10;
	assert_int_equal(hk_state_apply(st, &ev, &why), 0);
	assert_int_equal(lifecycle_event(&ev, &body, HK_EV_SIGNATURE_CREATED,
			     "s-a", "c-a1"),
	    0);
	ev.seq = seq++;
	ev.time_ms = day * D + 11;
	assert_int_equal(hk_state_apply(st, &ev, &why), HK_ESTATE);
	hk_state_signature_counts(st, day, &total, &today);
	assert_int_equal(total, 5);
	assert_int_equal(today, 3);
	/* Applied live without its ledger time: today's wall clock. */
	assert_int_equal(lifecycle_event(&ev, &body, HK_EV_RESUMED, "s-a",
			     "c-a1"),
	    0);
	ev.seq = seq++;
	assert_int_equal(hk_state_apply(st, &ev, &why), 0);
	assert_int_equal(lifecycle_event(&ev, &body, HK_EV_SIGNATURE_CREATED,
			     "s-a", "c-a1"),
	    0);
	ev.seq = seq++;
	ev.time_ms = 0;
	assert_int_equal(hk_state_apply(st, &ev, &why), 0);
	{
		uint64_t now_day = (uint64_t)time(NULL) / 86400;

		hk_state_signature_counts(st, now_day, &total, &today);
		assert_int_equal(total, 6);
		if ((uint64_t)time(NULL) / 86400 == now_day)
			assert_int_equal(today, 1);
	}
	hk_buf_release(&body);
	hk_state_free(st);
}

/* expect_history(t, states, n): the history list holds ${n} entries with
 * these "state" labels, in seq order. */
static void
expect_history(const struct t *t, const char *const *states, uint32_t n)
{
	uint32_t count = 0, i;
	uint64_t prev = 0;

	(void)list_json(t, 2, UINT32_MAX, &count);
	assert_int_equal(count, n);
	for (i = 0; i < n; i++) {
		json_t *j = list_json(t, 2, i, NULL);
		const char *st = json_string_value(json_object_get(j, "state"));
		uint64_t seq = (uint64_t)json_integer_value(
		    json_object_get(j, "seq"));

		assert_non_null(st);
		if (strcmp(st, states[i]) != 0)
			fail_msg("history item %u is %s, expected %s", i, st,
			    states[i]);
		assert_true(seq > prev);
		prev = seq;
		assert_non_null(json_object_get(j, "time"));
		json_decref(j);
	}
}

static void
test_SIG6_history_of_a_credential_and_a_signer(void **state)
{
	struct t *t = *state;
	static const char *const c_a1[] = {"created", "key_generated",
	    "csr_issued", "enrolled", "csr_confirmed", "active", "suspended"};
	static const char *const s_b[] = {"registered", "created",
	    "destroyed", "erased"};
	json_t *j, *creds;

	assert_int_equal(run(t, HK_IPC_AUDIT_HISTORY, B(t, "s", 2, "c-a1")),
	    200);
	j = ans_json(t, 1);
	assert_string_equal(json_string_value(json_object_get(j, "state")),
	    "suspended");
	assert_string_equal(json_string_value(json_object_get(j, "signer")),
	    "s-a");
	assert_int_equal(json_integer_value(json_object_get(j, "signatures")),
	    3);
	json_decref(j);
	/* Signatures and authorisations change no state: not listed. */
	expect_history(t, c_a1, 7);
	assert_int_equal(ans_uint(t, 3), t->size);
	assert_int_equal(ans_uint(t, 4), t->size);
	assert_string_equal(t->target, "credential c-a1 from 0");

	assert_int_equal(run(t, HK_IPC_AUDIT_HISTORY, B(t, "s", 1, "s-b")),
	    200);
	j = ans_json(t, 1);
	/* Personal attributes: only the marker. */
	assert_string_equal(json_string_value(json_object_get(j,
				"attributes")),
	    "erased");
	creds = json_object_get(j, "credentials");
	assert_int_equal(json_array_size(creds), 1);
	assert_string_equal(json_string_value(json_object_get(
				json_array_get(creds, 0), "state")),
	    "destroyed");
	assert_int_equal(json_object_size(j), 5);
	json_decref(j);
	expect_history(t, s_b, 4);

	assert_int_equal(run(t, HK_IPC_AUDIT_HISTORY, B(t, "s", 1, "s-a")),
	    200);
	j = ans_json(t, 1);
	assert_string_equal(json_string_value(json_object_get(j,
				"attributes")),
	    "committed");
	assert_int_equal(json_array_size(json_object_get(j, "credentials")),
	    2);
	json_decref(j);
	/* Paging: from past c-a1's suspension only c-a2's creation. */
	assert_int_equal(run(t, HK_IPC_AUDIT_HISTORY, B(t, "su", 1, "s-a", 3,
						       (uint64_t)13)),
	    200);
	{
		static const char *const tail[] = {"created"};

		expect_history(t, tail, 1);
	}

	/* Refusals: unknown ids 404, both or neither 400. */
	assert_int_equal(run(t, HK_IPC_AUDIT_HISTORY, B(t, "s", 1, "s-zz")),
	    404);
	expect_error(t, 404, "not_found");
	assert_int_equal(run(t, HK_IPC_AUDIT_HISTORY, B(t, "s", 2, "c-zz")),
	    404);
	assert_int_equal(run(t, HK_IPC_AUDIT_HISTORY, B(t, "ss", 1, "s-a", 2,
						       "c-a1")),
	    400);
	expect_error(t, 400, "invalid_request");
	assert_int_equal(run(t, HK_IPC_AUDIT_HISTORY, NULL), 400);
	assert_int_equal(run(t, HK_IPC_AUDIT_HISTORY, B(t, "s", 4, "x")), 400);
}

static void
test_SIG6_signers_paged(void **state)
{
	struct t *t = *state;
	uint32_t n = 0;
	json_t *j;

	assert_int_equal(run(t, HK_IPC_AUDIT_SIGNERS, B(t, "u", 2,
						       (uint64_t)2)),
	    200);
	(void)list_json(t, 1, UINT32_MAX, &n);
	assert_int_equal(n, 2);
	j = list_json(t, 1, 0, NULL);
	assert_string_equal(json_string_value(json_object_get(j, "signer")),
	    "s-a");
	assert_string_equal(json_string_value(json_object_get(j,
				"attributes")),
	    "committed");
	/* c-a1 suspended, c-a2 created. */
	assert_int_equal(json_integer_value(json_object_get(json_object_get(j,
					      "credentials"),
			     "suspended")),
	    1);
	assert_int_equal(json_integer_value(json_object_get(json_object_get(j,
					      "credentials"),
			     "created")),
	    1);
	json_decref(j);
	{
		struct hk_bytes next = ans_str(t, 2);

		assert_int_equal(next.n, 3);
		assert_memory_equal(next.p, "s-b", 3);
	}
	assert_int_equal(run(t, HK_IPC_AUDIT_SIGNERS, B(t, "s", 1, "s-b")),
	    200);
	(void)list_json(t, 1, UINT32_MAX, &n);
	assert_int_equal(n, 1);
	assert_int_equal(t->resp.p[0], 0x81); /* no next: the end */
	j = list_json(t, 1, 0, NULL);
	assert_string_equal(json_string_value(json_object_get(j, "signer")),
	    "s-c");
	assert_int_equal(json_object_size(json_object_get(j, "credentials")),
	    0);
	json_decref(j);
	assert_int_equal(run(t, HK_IPC_AUDIT_SIGNERS, B(t, "u", 2,
						       (uint64_t)0)),
	    400);
	assert_int_equal(run(t, HK_IPC_AUDIT_SIGNERS, B(t, "u", 2,
						       (uint64_t)201)),
	    400);
	expect_error(t, 400, "invalid_request");
}

static void
test_OPS6_console_access_names_the_path(void **state)
{
	struct t *t = *state;

	assert_int_equal(run(t, HK_IPC_CONSOLE, B(t, "s", 1, "/console/")),
	    200);
	assert_int_equal(t->resp.len, 1);
	assert_int_equal(t->resp.p[0], 0x80);
	assert_string_equal(t->target, "/console/");
	assert_int_equal(run(t, HK_IPC_CONSOLE, NULL), 400);
	assert_int_equal(run(t, HK_IPC_CONSOLE, B(t, "u", 1, (uint64_t)1)),
	    400);
	assert_int_equal(run(t, HK_IPC_CONSOLE, B(t, "ss", 1, "/console/", 2,
						 "x")),
	    400);
	assert_true(hk_audit_api_handles(HK_IPC_CONSOLE));
	assert_true(hk_audit_api_handles(HK_IPC_AUDIT_SUMMARY));
	assert_true(hk_audit_api_handles(HK_IPC_AUDIT_HISTORY));
	assert_true(hk_audit_api_handles(HK_IPC_AUDIT_SIGNERS));
	/* The record of a refused console request names its path too. */
	{
		char target[80];
		const struct hk_buf *b = B(t, "s", 1, "/console/app.js");

		hk_audit_api_target(HK_IPC_CONSOLE, b->p, b->len, target,
		    sizeof(target));
		assert_string_equal(target, "/console/app.js");
		hk_audit_api_target(HK_IPC_AUDIT_STATUS, b->p, b->len, target,
		    sizeof(target));
		assert_string_equal(target, "");
		b = B(t, "u", 1, (uint64_t)3);
		hk_audit_api_target(HK_IPC_CONSOLE, b->p, b->len, target,
		    sizeof(target));
		assert_string_equal(target, "");
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_OPS4_status, setup, teardown),
	    cmocka_unit_test_setup_teardown(
		test_SIG6_events_paged_like_ledger_show, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_SIG6_event_filters, setup,
		teardown),
	    cmocka_unit_test_setup_teardown(test_ACT3_bad_requests_are_400,
		setup, teardown),
	    cmocka_unit_test_setup_teardown(test_OPS4_receipts_and_consistency,
		setup, teardown),
	    cmocka_unit_test_setup_teardown(test_SIG6_signatures_by_hash,
		setup, teardown),
	    cmocka_unit_test_setup_teardown(test_SIG6_scan_is_bounded, setup,
		teardown),
	    cmocka_unit_test_setup_teardown(test_SIG6_answer_is_bounded, setup,
		teardown),
	    cmocka_unit_test_setup_teardown(test_SIG6_summary_counts_the_state,
		setup_life, teardown),
	    cmocka_unit_test(test_SIG6_signature_counts_by_day),
	    cmocka_unit_test_setup_teardown(
		test_SIG6_history_of_a_credential_and_a_signer, setup_life,
		teardown),
	    cmocka_unit_test_setup_teardown(test_SIG6_signers_paged,
		setup_life, teardown),
	    cmocka_unit_test_setup_teardown(
		test_OPS6_console_access_names_the_path, setup_life, teardown),
	};

	if (sodium_init() < 0)
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
