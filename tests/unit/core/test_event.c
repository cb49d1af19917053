/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Unit tests for core/event: deterministic encoding, strict decoding and
 * the JSON view (OPS-4, SIG-6). The golden vector in vectors/ pins the
 * format byte for byte; it was cross-checked with python3-msgpack when
 * written (tests/integration/02-ledger-formats.sh decodes live events with
 * it too).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "core/codec.h"
#include "core/event.h"
#include "core/event_json.h"

#define BYTES(s) ((struct hk_bytes){(const uint8_t *)(s), sizeof(s) - 1})

static struct hk_buf body_buf;

/* The event of the golden vector. */
static void
sample(struct hk_event *ev)
{
	struct hk_mpk_writer w;
	int i;

	hk_buf_release(&body_buf);
	hk_mpk_writer_init(&w, &body_buf);
	hk_mpk_put_map(&w, 2);
	hk_mpk_put_uint(&w, HK_BODY_APPLIANCE_VERSION);
	hk_mpk_put_cstr(&w, "hanko 0.1.0");
	hk_mpk_put_uint(&w, HK_BODY_APPLIANCE_CONFIG);
	{
		uint8_t cfg[32];

		for (i = 0; i < 32; i++)
			cfg[i] = (uint8_t)i;
		hk_mpk_put_bin(&w, cfg, sizeof(cfg));
	}
	assert_int_equal(hk_mpk_writer_status(&w), 0);
	memset(ev, 0, sizeof(*ev));
	ev->version = HK_EVENT_VERSION;
	ev->origin = BYTES("example.com/hanko/1");
	ev->seq = 300;
	ev->time_ms = 1795000000123ULL;
	ev->type = HK_EV_APPLIANCE_STARTED;
	ev->actor_kind = HK_ACTOR_SYSTEM;
	ev->actor_id = BYTES("hankod");
	ev->actor_channel = HK_CHANNEL_INTERNAL;
	ev->actor_peer = BYTES("");
	ev->signer = BYTES("");
	ev->credential = BYTES("");
	ev->body = (struct hk_bytes){body_buf.p, body_buf.len};
	for (i = 0; i < 32; i++)
		ev->prev[i] = (uint8_t)(0xa0 + i);
}

static int
load_vector(const char *name, struct hk_buf *out)
{
	const char *top = getenv("TOP");
	char path[1024], line[8192];
	uint8_t bin[4096];
	size_t n;
	FILE *f;

	snprintf(path, sizeof(path), "%s/tests/unit/core/vectors/%s",
	    top ? top : ".", name);
	if ((f = fopen(path, "r")) == NULL)
		return -1;
	if (fgets(line, sizeof(line), f) == NULL) {
		fclose(f);
		return -1;
	}
	fclose(f);
	line[strcspn(line, "\n")] = '\0';
	if (hk_hex_decode(bin, sizeof(bin), line, strlen(line), &n) != 0)
		return -1;
	return hk_buf_put(out, bin, n);
}

static void
test_OPS4_event_golden_vector(void **state)
{
	struct hk_buf got = HK_BUF_INIT, want = HK_BUF_INIT;
	struct hk_event ev;

	(void)state;
	sample(&ev);
	assert_int_equal(hk_event_encode(&ev, &got), 0);
	assert_int_equal(load_vector("event_v1.hex", &want), 0);
	assert_int_equal(got.len, want.len);
	assert_memory_equal(got.p, want.p, got.len);
	hk_buf_release(&got);
	hk_buf_release(&want);
}

static void
test_OPS4_event_encoding_is_deterministic(void **state)
{
	struct hk_buf a = HK_BUF_INIT, b = HK_BUF_INIT, mid = HK_BUF_INIT;
	struct hk_event ev;

	(void)state;
	sample(&ev);
	assert_int_equal(hk_event_encode(&ev, &a), 0);
	assert_int_equal(hk_event_encode(&ev, &b), 0);
	assert_int_equal(a.len, b.len);
	assert_memory_equal(a.p, b.p, a.len);
	/* The writer's split path (mid, then frame) gives the same bytes. */
	hk_buf_reset(&b);
	assert_int_equal(hk_event_encode_mid(&ev, &mid), 0);
	assert_int_equal(hk_event_encode_frame(ev.origin, ev.seq, ev.time_ms,
			     (struct hk_bytes){mid.p, mid.len}, ev.prev, &b),
	    0);
	assert_int_equal(a.len, b.len);
	assert_memory_equal(a.p, b.p, a.len);
	hk_buf_release(&a);
	hk_buf_release(&b);
	hk_buf_release(&mid);
}

static void
test_SIG6_event_roundtrip(void **state)
{
	struct hk_buf a = HK_BUF_INIT, b = HK_BUF_INIT;
	struct hk_event ev, out;
	struct hk_mpk_error err;

	(void)state;
	sample(&ev);
	ev.type = HK_EV_SIGNATURE_CREATED;
	ev.actor_kind = HK_ACTOR_SIGNER;
	ev.actor_id = BYTES("user-\xe5\x8d\xb0"); /* UTF-8 text */
	ev.actor_channel = HK_CHANNEL_SIGNING;
	ev.actor_peer = BYTES("192.0.2.1:443");
	ev.signer = BYTES("s-1");
	ev.credential = BYTES("c-1");
	assert_int_equal(hk_event_encode(&ev, &a), 0);
	assert_int_equal(hk_event_decode(a.p, a.len, &out, &err), 0);
	assert_true(out.seq == ev.seq && out.time_ms == ev.time_ms);
	assert_true(out.type == ev.type && out.actor_kind == ev.actor_kind);
	assert_true(out.actor_channel == ev.actor_channel);
	assert_int_equal(out.actor_id.n, ev.actor_id.n);
	assert_memory_equal(out.actor_id.p, ev.actor_id.p, ev.actor_id.n);
	assert_memory_equal(out.actor_peer.p, ev.actor_peer.p, ev.actor_peer.n);
	assert_memory_equal(out.signer.p, "s-1", 3);
	assert_memory_equal(out.credential.p, "c-1", 3);
	assert_int_equal(out.body.n, ev.body.n);
	assert_memory_equal(out.body.p, ev.body.p, ev.body.n);
	assert_memory_equal(out.prev, ev.prev, 32);
	/* Re-encoding the decoded event gives the stored bytes back. */
	assert_int_equal(hk_event_encode(&out, &b), 0);
	assert_int_equal(a.len, b.len);
	assert_memory_equal(a.p, b.p, a.len);
	hk_buf_release(&a);
	hk_buf_release(&b);
}

/* Build a raw event array with one field replaced. */
static void
raw_event(struct hk_buf *b, int field, void (*put)(struct hk_mpk_writer *))
{
	struct hk_mpk_writer w;
	uint8_t prev[32] = {0};

	hk_buf_reset(b);
	hk_mpk_writer_init(&w, b);
	hk_mpk_put_array(&w, 9);
	if (field == 0) put(&w); else hk_mpk_put_uint(&w, 1);
	if (field == 1) put(&w); else hk_mpk_put_cstr(&w, "o");
	if (field == 2) put(&w); else hk_mpk_put_uint(&w, 0);
	if (field == 3) put(&w); else hk_mpk_put_uint(&w, 0);
	if (field == 4) put(&w); else hk_mpk_put_uint(&w, HK_EV_LEDGER_GENESIS);
	if (field == 5) {
		put(&w);
	} else {
		hk_mpk_put_array(&w, 4);
		hk_mpk_put_uint(&w, 0);
		hk_mpk_put_cstr(&w, "");
		hk_mpk_put_uint(&w, 0);
		hk_mpk_put_cstr(&w, "");
	}
	if (field == 6) {
		put(&w);
	} else {
		hk_mpk_put_array(&w, 2);
		hk_mpk_put_cstr(&w, "");
		hk_mpk_put_cstr(&w, "");
	}
	if (field == 7) put(&w); else hk_mpk_put_map(&w, 0);
	if (field == 8) put(&w); else hk_mpk_put_bin(&w, prev, 32);
	assert_int_equal(hk_mpk_writer_status(&w), 0);
}

static void put_v2(struct hk_mpk_writer *w) { hk_mpk_put_uint(w, 2); }
static void put_empty(struct hk_mpk_writer *w) { hk_mpk_put_cstr(w, ""); }
static void put_seqstr(struct hk_mpk_writer *w) { hk_mpk_put_cstr(w, "0"); }
static void put_neg(struct hk_mpk_writer *w) { hk_mpk_put_int(w, -1); }
static void put_type99(struct hk_mpk_writer *w) { hk_mpk_put_uint(w, 99); }
static void
put_actor_kind9(struct hk_mpk_writer *w)
{
	hk_mpk_put_array(w, 4);
	hk_mpk_put_uint(w, 9);
	hk_mpk_put_cstr(w, "");
	hk_mpk_put_uint(w, 0);
	hk_mpk_put_cstr(w, "");
}
static void
put_actor_chan9(struct hk_mpk_writer *w)
{
	hk_mpk_put_array(w, 4);
	hk_mpk_put_uint(w, 0);
	hk_mpk_put_cstr(w, "");
	hk_mpk_put_uint(w, 9);
	hk_mpk_put_cstr(w, "");
}
static void
put_subject3(struct hk_mpk_writer *w)
{
	hk_mpk_put_array(w, 3);
	hk_mpk_put_cstr(w, "");
	hk_mpk_put_cstr(w, "");
	hk_mpk_put_cstr(w, "");
}
static void put_body_array(struct hk_mpk_writer *w) { hk_mpk_put_array(w, 0); }
static void
put_prev31(struct hk_mpk_writer *w)
{
	uint8_t p[31] = {0};

	hk_mpk_put_bin(w, p, 31);
}
static void put_prev_str(struct hk_mpk_writer *w) { hk_mpk_put_cstr(w, "x"); }

static void
test_OPS4_event_decode_refusals(void **state)
{
	const struct {
		int field;
		void (*put)(struct hk_mpk_writer *);
		const char *msg;
	} cases[] = {
		{0, put_v2, "unknown event format version"},
		{1, put_empty, "origin is empty or too long"},
		{2, put_seqstr, "seq is not an unsigned integer"},
		{3, put_neg, "time is not an unsigned integer"},
		{4, put_type99, "unknown event type"},
		{5, put_actor_kind9, "unknown actor kind"},
		{5, put_actor_chan9, "unknown actor channel"},
		{6, put_subject3, "subject is not an array of 2"},
		{7, put_body_array, "body is not a map"},
		{8, put_prev31, "prev is not a 32-byte bin"},
		{8, put_prev_str, "prev is not a 32-byte bin"},
	};
	struct hk_buf b = HK_BUF_INIT;
	struct hk_mpk_error err;
	struct hk_event ev;
	size_t i;

	(void)state;
	/* The unmodified raw event decodes. */
	raw_event(&b, -1, NULL);
	assert_int_equal(hk_event_decode(b.p, b.len, &ev, &err), 0);
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		raw_event(&b, cases[i].field, cases[i].put);
		if (hk_event_decode(b.p, b.len, &ev, &err) != HK_EPROFILE ||
		    strcmp(err.msg, cases[i].msg) != 0)
			fail_msg("case %zu: expected \"%s\", got \"%s\"", i,
			    cases[i].msg, err.msg);
	}
	/* Eight fields, trailing bytes, oversize. */
	raw_event(&b, -1, NULL);
	b.p[0] = 0x98;
	assert_int_equal(hk_event_decode(b.p, b.len, &ev, &err), HK_EPROFILE);
	raw_event(&b, -1, NULL);
	assert_int_equal(hk_buf_putc(&b, 0), 0);
	assert_int_equal(hk_event_decode(b.p, b.len, &ev, &err), HK_EPROFILE);
	assert_string_equal(err.msg, "trailing bytes after the value");
	assert_int_equal(hk_event_decode(b.p, HK_EVENT_MAX_LEN + 1, &ev, &err),
	    HK_EPROFILE);
	hk_buf_release(&b);
}

static void
test_OPS4_event_encode_refusals(void **state)
{
	struct hk_buf b = HK_BUF_INIT, big = HK_BUF_INIT, mid = HK_BUF_INIT;
	struct hk_mpk_writer w;
	struct hk_event ev;
	static uint8_t blob[HK_EVENT_MAX_LEN];

	(void)state;
	sample(&ev);
	ev.type = 0;
	assert_int_equal(hk_event_encode(&ev, &b), HK_EINVAL);
	sample(&ev);
	ev.actor_id = BYTES("\xff");
	assert_int_equal(hk_event_encode(&ev, &b), HK_EINVAL);
	sample(&ev);
	ev.body = BYTES("\x90"); /* an array, not a map */
	assert_int_equal(hk_event_encode(&ev, &b), HK_EINVAL);
	sample(&ev);
	ev.body = BYTES("\x82\x02\x00\x01\x00"); /* unsorted keys */
	assert_int_equal(hk_event_encode(&ev, &b), HK_EINVAL);
	sample(&ev);
	ev.origin = BYTES("");
	assert_int_equal(hk_event_encode(&ev, &b), HK_EINVAL);
	/* Over 65535 bytes in all. */
	sample(&ev);
	hk_mpk_writer_init(&w, &big);
	hk_mpk_put_map(&w, 1);
	hk_mpk_put_uint(&w, 1);
	hk_mpk_put_bin(&w, blob, sizeof(blob) - 10);
	assert_int_equal(hk_mpk_writer_status(&w), 0);
	ev.body = (struct hk_bytes){big.p, big.len};
	assert_int_equal(hk_event_encode_mid(&ev, &mid), 0);
	assert_int_equal(hk_event_encode(&ev, &b), HK_ETOOBIG);
	assert_int_equal(b.len, 0);
	hk_buf_release(&b);
	hk_buf_release(&big);
	hk_buf_release(&mid);
}

static void
test_SIG6_event_json_names_fields(void **state)
{
	struct hk_event ev;
	json_t *j;
	char *s;

	(void)state;
	sample(&ev);
	assert_non_null(j = hk_event_to_json(&ev, NULL));
	assert_string_equal(json_string_value(json_object_get(j, "type")),
	    "appliance.started");
	assert_int_equal(json_integer_value(json_object_get(j, "seq")), 300);
	assert_string_equal(json_string_value(json_object_get(
				json_object_get(j, "body"), "version")),
	    "hanko 0.1.0");
	assert_string_equal(json_string_value(json_object_get(
				json_object_get(j, "body"), "config_sha256")),
	    "000102030405060708090a0b0c0d0e0f"
	    "101112131415161718191a1b1c1d1e1f");
	assert_string_equal(json_string_value(json_object_get(j, "time")),
	    "2026-11-18T11:06:40.123Z");
	s = json_dumps(j, JSON_COMPACT);
	assert_non_null(s);
	free(s);
	json_decref(j);
}

static void
test_event_type_names_roundtrip(void **state)
{
	uint64_t t, back;

	(void)state;
	for (t = 1; t <= HK_EV_TYPE_MAX; t++) {
		assert_non_null(hk_event_type_name(t));
		assert_int_equal(hk_event_type_from_name(hk_event_type_name(t),
				     &back), 0);
		assert_true(back == t);
	}
	assert_null(hk_event_type_name(0));
	assert_null(hk_event_type_name(HK_EV_TYPE_MAX + 1));
	assert_int_equal(hk_event_type_from_name("nope", &back), HK_ENOTFOUND);
}

static int
teardown(void **state)
{
	(void)state;
	hk_buf_release(&body_buf);
	return 0;
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_OPS4_event_golden_vector),
		cmocka_unit_test(test_OPS4_event_encoding_is_deterministic),
		cmocka_unit_test(test_SIG6_event_roundtrip),
		cmocka_unit_test(test_OPS4_event_decode_refusals),
		cmocka_unit_test(test_OPS4_event_encode_refusals),
		cmocka_unit_test(test_SIG6_event_json_names_fields),
		cmocka_unit_test(test_event_type_names_roundtrip),
	};

	return cmocka_run_group_tests(tests, NULL, teardown);
}
