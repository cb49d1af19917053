/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Unit tests for core/mpk: the deterministic msgpack profile (OPS-4).
 * Every refusal rule has a case; the writer's output is cross-checked with
 * msgpack-c's own unpacker.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "core/mpk.h"

struct bad {
	const char *name;
	const uint8_t *p;
	size_t n;
	const char *msg;
};

#define B(...) (const uint8_t[]){__VA_ARGS__}, sizeof((const uint8_t[]){__VA_ARGS__})

static void
test_OPS4_profile_refuses_non_canonical(void **state)
{
	const struct bad cases[] = {
		{"float32", B(0xca, 0, 0, 0, 0), "float not allowed"},
		{"float64", B(0xcb, 0, 0, 0, 0, 0, 0, 0, 0), "float not allowed"},
		{"fixext1", B(0xd4, 1, 0), "ext type not allowed"},
		{"ext8", B(0xc7, 1, 1, 0), "ext type not allowed"},
		{"reserved", B(0xc1), "reserved type byte 0xc1"},
		{"uint8 small", B(0xcc, 0x05), "integer not in shortest form"},
		{"uint16 small", B(0xcd, 0x00, 0xff), "integer not in shortest form"},
		{"uint32 small", B(0xce, 0, 0, 0xff, 0xff),
		    "integer not in shortest form"},
		{"uint64 small", B(0xcf, 0, 0, 0, 0, 0xff, 0xff, 0xff, 0xff),
		    "integer not in shortest form"},
		{"int8 positive", B(0xd0, 0x05),
		    "non-negative integer in a signed format"},
		{"int8 fixable", B(0xd0, 0xff), "integer not in shortest form"},
		{"int16 small", B(0xd1, 0xff, 0x80),
		    "integer not in shortest form"},
		{"int32 small", B(0xd2, 0xff, 0xff, 0x80, 0x00),
		    "integer not in shortest form"},
		{"int64 small", B(0xd3, 0xff, 0xff, 0xff, 0xff, 0x80, 0, 0, 0),
		    "integer not in shortest form"},
		{"str8 short", B(0xd9, 0x01, 'a'), "length not in shortest form"},
		{"bin16 short", B(0xc5, 0x00, 0x01, 0x00),
		    "length not in shortest form"},
		{"array16 short", B(0xdc, 0x00, 0x01, 0x00),
		    "length not in shortest form"},
		{"map16 short", B(0xde, 0x00, 0x01, 0x00, 0x00),
		    "length not in shortest form"},
		{"bad utf8", B(0xa2, 0xc3, 0x28), "str is not valid UTF-8"},
		{"overlong utf8", B(0xa2, 0xc0, 0xaf), "str is not valid UTF-8"},
		{"surrogate", B(0xa3, 0xed, 0xa0, 0x80), "str is not valid UTF-8"},
		{"str key", B(0x81, 0xa1, 'k', 0x01),
		    "map key is not an unsigned integer"},
		{"negative key", B(0x81, 0xff, 0x01),
		    "map key is not an unsigned integer"},
		{"keys unsorted", B(0x82, 0x02, 0x00, 0x01, 0x00),
		    "map keys not strictly ascending"},
		{"keys duplicate", B(0x82, 0x01, 0x00, 0x01, 0x00),
		    "map keys not strictly ascending"},
		{"trailing", B(0x01, 0x02), "trailing bytes after the value"},
		{"truncated str", B(0xa3, 'a'), "length exceeds data"},
		{"truncated uint", B(0xcd, 0x01), "unexpected end of data"},
		{"huge array", B(0xdd, 0xff, 0xff, 0xff, 0xff), "count exceeds data"},
		{"empty", B(0x90), NULL}, /* valid: empty array */
	};
	struct hk_mpk_error err;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int r = hk_mpk_check(cases[i].p, cases[i].n, &err);

		if (cases[i].msg == NULL) {
			assert_int_equal(r, 0);
			continue;
		}
		if (r != HK_EPROFILE || strcmp(err.msg, cases[i].msg) != 0)
			fail_msg("%s: got %d \"%s\"", cases[i].name, r,
			    r ? err.msg : "");
	}
	assert_int_equal(hk_mpk_check(NULL, 0, &err), HK_EPROFILE);
}

static void
test_OPS4_profile_depth_bounded(void **state)
{
	uint8_t deep[HK_MPK_MAX_DEPTH + 3];
	struct hk_mpk_error err;

	(void)state;
	memset(deep, 0x91, sizeof(deep)); /* nested one-element arrays */
	deep[sizeof(deep) - 1] = 0x00;
	assert_int_equal(hk_mpk_check(deep, sizeof(deep), &err), HK_EPROFILE);
	assert_string_equal(err.msg, "nesting too deep");
	assert_int_equal(hk_mpk_check(deep + 3, sizeof(deep) - 3, &err), 0);
}

/* The writer picks the shortest form at every boundary, and its output
 * passes the profile and decodes through msgpack-c to the same values. */
static void
test_OPS4_writer_is_canonical(void **state)
{
	static const uint64_t us[] = {0, 1, 127, 128, 255, 256, 65535, 65536,
	    0xffffffffULL, 0x100000000ULL, UINT64_MAX};
	static const int64_t is[] = {-1, -32, -33, -128, -129, -32768, -32769,
	    -2147483648LL, -2147483649LL, INT64_MIN};
	struct hk_buf b = HK_BUF_INIT;
	struct hk_mpk_writer w;
	struct hk_mpk_reader r;
	msgpack_unpacked up;
	size_t i, off = 0;
	uint64_t u;
	int64_t v;

	(void)state;
	hk_mpk_writer_init(&w, &b);
	hk_mpk_put_array(&w, 21);
	for (i = 0; i < 11; i++)
		hk_mpk_put_uint(&w, us[i]);
	for (i = 0; i < 10; i++)
		hk_mpk_put_int(&w, is[i]);
	assert_int_equal(hk_mpk_writer_status(&w), 0);
	assert_int_equal(hk_mpk_check(b.p, b.len, NULL), 0);
	hk_mpk_reader_init(&r, b.p, b.len);
	{
		uint32_t n;

		assert_int_equal(hk_mpk_get_array(&r, &n), 0);
		assert_int_equal(n, 21);
	}
	for (i = 0; i < 11; i++) {
		assert_int_equal(hk_mpk_get_uint(&r, &u), 0);
		assert_true(u == us[i]);
	}
	for (i = 0; i < 10; i++) {
		assert_int_equal(hk_mpk_get_int(&r, &v), 0);
		assert_true(v == is[i]);
	}
	/* Independent decoder. */
	msgpack_unpacked_init(&up);
	assert_int_equal(msgpack_unpack_next(&up, (const char *)b.p, b.len, &off),
	    MSGPACK_UNPACK_SUCCESS);
	assert_int_equal(off, b.len);
	assert_int_equal(up.data.type, MSGPACK_OBJECT_ARRAY);
	assert_int_equal(up.data.via.array.size, 21);
	for (i = 0; i < 11; i++)
		assert_true(up.data.via.array.ptr[i].via.u64 == us[i]);
	for (i = 0; i < 10; i++)
		assert_true(up.data.via.array.ptr[11 + i].via.i64 == is[i]);
	msgpack_unpacked_destroy(&up);
	hk_buf_release(&b);
}

static void
test_OPS4_writer_refuses_bad_utf8(void **state)
{
	struct hk_buf b = HK_BUF_INIT;
	struct hk_mpk_writer w;

	(void)state;
	hk_mpk_writer_init(&w, &b);
	hk_mpk_put_str(&w, "\xff", 1);
	assert_int_equal(hk_mpk_writer_status(&w), HK_EINVAL);
	hk_buf_release(&b);
}

static void
test_OPS4_lengths_at_boundaries(void **state)
{
	static const size_t lens[] = {0, 31, 32, 255, 256, 65535, 65536};
	struct hk_buf b = HK_BUF_INIT;
	struct hk_mpk_writer w;
	struct hk_mpk_reader r;
	struct hk_bytes s;
	static char text[65536];
	size_t i;

	(void)state;
	memset(text, 'x', sizeof(text));
	for (i = 0; i < sizeof(lens) / sizeof(lens[0]); i++) {
		hk_buf_reset(&b);
		hk_mpk_writer_init(&w, &b);
		hk_mpk_put_array(&w, 2);
		hk_mpk_put_str(&w, text, lens[i]);
		hk_mpk_put_bin(&w, text, lens[i]);
		assert_int_equal(hk_mpk_writer_status(&w), 0);
		assert_int_equal(hk_mpk_check(b.p, b.len, NULL), 0);
		hk_mpk_reader_init(&r, b.p + 1, b.len - 1);
		assert_int_equal(hk_mpk_get_str(&r, &s), 0);
		assert_int_equal(s.n, lens[i]);
		assert_int_equal(hk_mpk_get_bin(&r, &s), 0);
		assert_int_equal(s.n, lens[i]);
		assert_ptr_equal(r.p, r.end);
	}
	hk_buf_release(&b);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_OPS4_profile_refuses_non_canonical),
		cmocka_unit_test(test_OPS4_profile_depth_bounded),
		cmocka_unit_test(test_OPS4_writer_is_canonical),
		cmocka_unit_test(test_OPS4_writer_refuses_bad_utf8),
		cmocka_unit_test(test_OPS4_lengths_at_boundaries),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
