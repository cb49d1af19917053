/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Unit tests for core/ipc (ACT-3, ACT-5): front <-> core frames round-trip,
 * the stream splits into frames however the bytes arrive, and the core
 * refuses every malformed or oversized message from the (untrusted) front.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "core/ipc.h"

#define BYTES(s) ((struct hk_bytes){(const uint8_t *)(s), sizeof(s) - 1})

static void
request(struct hk_ipc_msg *m)
{
	memset(m, 0, sizeof(*m));
	m->id = 77;
	m->type = HK_IPC_READY;
	m->ctx.listener = HK_IPC_ADMIN;
	m->ctx.peer = BYTES("127.0.0.1:51234");
	m->ctx.has_client_cert = true;
	memset(m->ctx.client_fp, 0xab, 32);
	m->ctx.client_subject = BYTES("CN=admin,O=Hanko");
	m->ctx.authorization = BYTES("Bearer abc");
	m->ctx.request_id = BYTES("r-1");
	m->ctx.tls = BYTES("TLSv1.3");
	m->body = BYTES("\x81\x01\xa3" "GET");
}

static void
test_ACT3_request_and_response_roundtrip(void **state)
{
	struct hk_buf b = HK_BUF_INIT;
	struct hk_ipc_msg m, out;
	struct hk_mpk_error err;
	const uint8_t *f;
	size_t fl, used;

	(void)state;
	request(&m);
	assert_int_equal(hk_ipc_encode(&m, &b), 0);
	assert_int_equal(hk_ipc_frame_next(b.p, b.len, &f, &fl, &used), 0);
	assert_int_equal(used, b.len);
	assert_int_equal(hk_ipc_decode(f, fl, &out, &err), 0);
	assert_false(out.response);
	assert_true(out.id == 77 && out.type == HK_IPC_READY);
	assert_true(out.ctx.listener == HK_IPC_ADMIN);
	assert_true(out.ctx.has_client_cert);
	assert_memory_equal(out.ctx.client_fp, m.ctx.client_fp, 32);
	assert_memory_equal(out.ctx.peer.p, "127.0.0.1:51234", 15);
	assert_memory_equal(out.ctx.client_subject.p, "CN=admin,O=Hanko", 16);
	assert_memory_equal(out.ctx.authorization.p, "Bearer abc", 10);
	assert_memory_equal(out.ctx.request_id.p, "r-1", 3);
	assert_int_equal(out.ctx.tls.n, 7);
	assert_memory_equal(out.ctx.tls.p, "TLSv1.3", 7);
	assert_int_equal(out.body.n, m.body.n);
	assert_memory_equal(out.body.p, m.body.p, m.body.n);
	/* Without optional fields. */
	hk_buf_reset(&b);
	m.ctx.has_client_cert = false;
	m.ctx.authorization = BYTES("");
	m.ctx.tls = BYTES("");
	assert_int_equal(hk_ipc_encode(&m, &b), 0);
	assert_int_equal(hk_ipc_frame_next(b.p, b.len, &f, &fl, &used), 0);
	assert_int_equal(hk_ipc_decode(f, fl, &out, &err), 0);
	assert_false(out.ctx.has_client_cert);
	assert_int_equal(out.ctx.authorization.n, 0);
	assert_int_equal(out.ctx.tls.n, 0);
	/* A response. */
	hk_buf_reset(&b);
	memset(&m, 0, sizeof(m));
	m.response = true;
	m.id = 9;
	m.status = 503;
	m.body = BYTES("\x80");
	assert_int_equal(hk_ipc_encode(&m, &b), 0);
	assert_int_equal(hk_ipc_frame_next(b.p, b.len, &f, &fl, &used), 0);
	assert_int_equal(hk_ipc_decode(f, fl, &out, &err), 0);
	assert_true(out.response && out.id == 9 && out.status == 503);
	hk_buf_release(&b);
}

static void
test_ACT5_stream_splits_into_frames(void **state)
{
	struct hk_buf b = HK_BUF_INIT;
	struct hk_ipc_msg m, out;
	const uint8_t *f;
	size_t fl, used, cut, off;
	int i, got;

	(void)state;
	request(&m);
	for (i = 0; i < 3; i++) {
		m.id = (uint64_t)i;
		assert_int_equal(hk_ipc_encode(&m, &b), 0);
	}
	/* Every prefix is either incomplete or yields whole frames. */
	for (cut = 0; cut <= b.len; cut++) {
		off = 0;
		got = 0;
		while (hk_ipc_frame_next(b.p + off, cut - off, &f, &fl, &used) ==
		    0) {
			assert_int_equal(hk_ipc_decode(f, fl, &out, NULL), 0);
			assert_true(out.id == (uint64_t)got);
			got++;
			off += used;
		}
		assert_int_equal(hk_ipc_frame_next(b.p + off, cut - off, &f, &fl,
				     &used), HK_EAGAIN);
		assert_int_equal(got, (int)(cut * 3 / b.len));
	}
	hk_buf_release(&b);
}

static void
test_ACT5_frame_length_bounds(void **state)
{
	uint8_t hdr[4] = {0, 0x11, 0, 1}; /* 1 MiB + 64 KiB + 1 */
	const uint8_t *f;
	size_t fl, used;

	(void)state;
	assert_int_equal(hk_ipc_frame_next(hdr, 4, &f, &fl, &used), HK_ETOOBIG);
	memset(hdr, 0, 4);
	assert_int_equal(hk_ipc_frame_next(hdr, 4, &f, &fl, &used), HK_ETOOBIG);
	memset(hdr, 0xff, 4);
	assert_int_equal(hk_ipc_frame_next(hdr, 4, &f, &fl, &used), HK_ETOOBIG);
	assert_int_equal(hk_ipc_frame_next(hdr, 3, &f, &fl, &used), HK_EAGAIN);
}

static void
test_ACT3_core_refuses_malformed_messages(void **state)
{
	const struct {
		const char *name;
		struct hk_bytes b;
		const char *msg;
	} cases[] = {
		{"not an array", BYTES("\x80"), "message is not an array of 5 or 6"},
		{"version 2", BYTES("\x95\x02\x01\x00\xcd\x01\xf4\x80"),
		    "unknown message version"},
		{"response with ctx", BYTES("\x96\x01\x01\x00\xcd\x01\xf4\x80\x80"),
		    "bad message kind"},
		{"status 42", BYTES("\x95\x01\x01\x00\x2a\x80"), "bad status"},
		{"type 0", BYTES("\x96\x01\x00\x00\x00\x80\x80"),
		    "unknown request type"},
		{"type 71 (over HK_IPC_TYPE_MAX)", BYTES("\x96\x01\x00\x00\x47\x80\x80"),
		    "unknown request type"},
		{"ctx lacks listener",
		    BYTES("\x96\x01\x00\x00\x01\x83\x02\xa0\x04\xa0\x06\xa0"
			  "\x80"),
		    "ctx lacks listener, peer, subject or request id"},
		{"ctx lacks request id",
		    BYTES("\x96\x01\x00\x00\x01\x83\x01\x01\x02\xa0\x04\xa0"
			  "\x80"),
		    "ctx lacks listener, peer, subject or request id"},
		{"empty authorization",
		    BYTES("\x96\x01\x00\x00\x01\x85\x01\x01\x02\xa0\x04\xa0"
			  "\x05\xa0\x06\xa0\x80"),
		    "authorization is not a non-empty str"},
		{"empty tls",
		    BYTES("\x96\x01\x00\x00\x01\x85\x01\x01\x02\xa0\x04\xa0"
			  "\x06\xa0\x07\xa0\x80"),
		    "tls is not a str of 1..32 bytes"},
		{"unknown listener",
		    BYTES("\x96\x01\x00\x00\x01\x82\x01\x07\x02\xa0\x80"),
		    "unknown listener"},
		{"unknown ctx key",
		    BYTES("\x96\x01\x00\x00\x01\x83\x01\x01\x02\xa0\x09\xa0\x80"),
		    "unknown ctx key"},
		{"ctx keys unsorted",
		    BYTES("\x96\x01\x00\x00\x01\x82\x02\xa0\x01\x01\x80"),
		    "ctx keys not strictly ascending"},
		{"short fingerprint",
		    BYTES("\x96\x01\x00\x00\x01\x83\x01\x01\x02\xa0\x03\xc4\x01\x00"
			  "\x80"),
		    "client fingerprint is not a 32-byte bin"},
		{"body array",
		    BYTES("\x96\x01\x00\x00\x01\x84\x01\x01\x02\xa0\x04\xa0"
			  "\x06\xa0\x90"),
		    "body is not a map"},
		{"trailing",
		    BYTES("\x96\x01\x00\x00\x01\x84\x01\x01\x02\xa0\x04\xa0"
			  "\x06\xa0\x80\x00"),
		    "trailing bytes after the message"},
		{"non-canonical id",
		    BYTES("\x96\x01\x00\xcc\x01\x01\x84\x01\x01\x02\xa0\x04"
			  "\xa0\x06\xa0\x80"),
		    "integer not in shortest form"},
		{"bad utf8 peer",
		    BYTES("\x96\x01\x00\x00\x01\x82\x01\x01\x02\xa1\xff\x80"),
		    "str is not valid UTF-8"},
	};
	struct hk_mpk_error err;
	struct hk_ipc_msg out;
	size_t i;

	(void)state;
	/* The minimal valid request decodes. */
	assert_int_equal(hk_ipc_decode((const uint8_t *)"\x96\x01\x00\x00\x01"
					   "\x84\x01\x01\x02\xa0\x04\xa0\x06"
					   "\xa0\x80", 15, &out, &err), 0);
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int r = hk_ipc_decode(cases[i].b.p, cases[i].b.n, &out, &err);

		if (r != HK_EPROFILE || strcmp(err.msg, cases[i].msg) != 0)
			fail_msg("%s: got %d \"%s\"", cases[i].name, r,
			    r ? err.msg : "");
	}
}

static void
test_ACT3_encode_refusals(void **state)
{
	struct hk_buf b = HK_BUF_INIT;
	struct hk_ipc_msg m;

	(void)state;
	request(&m);
	m.type = 0;
	assert_int_equal(hk_ipc_encode(&m, &b), HK_EINVAL);
	request(&m);
	m.body = BYTES("\x90");
	assert_int_equal(hk_ipc_encode(&m, &b), HK_EINVAL);
	request(&m);
	m.ctx.peer = BYTES("\xff");
	assert_int_equal(hk_ipc_encode(&m, &b), HK_EINVAL);
	assert_int_equal(b.len, 0);
	hk_buf_release(&b);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ACT3_request_and_response_roundtrip),
		cmocka_unit_test(test_ACT5_stream_splits_into_frames),
		cmocka_unit_test(test_ACT5_frame_length_bounds),
		cmocka_unit_test(test_ACT3_core_refuses_malformed_messages),
		cmocka_unit_test(test_ACT3_encode_refusals),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
