/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Unit tests for core/totp (ACT-2, ACT-5, REG-1): the RFC 6238 and RFC 4226
 * vectors from data files, window edges, replay refusal by step, refusal of
 * anything but six ASCII digits, RFC 4648 base32, the otpauth:// URI, and
 * agreement with the independent oathtool for random secrets and times.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>
#include <openssl/rand.h>

#include "core/codec.h"
#include "core/totp.h"

/* open_vector(name): the data file tests/unit/core/vectors/${name}. */
static FILE *
open_vector(const char *name)
{
	const char *top = getenv("TOP");
	char path[1024];

	snprintf(path, sizeof(path), "%s/tests/unit/core/vectors/%s",
	    top ? top : ".", name);
	return fopen(path, "r");
}

static enum hk_totp_hash
hash_from_name(const char *s)
{
	if (strcmp(s, "sha1") == 0)
		return HK_TOTP_SHA1;
	if (strcmp(s, "sha256") == 0)
		return HK_TOTP_SHA256;
	if (strcmp(s, "sha512") == 0)
		return HK_TOTP_SHA512;
	fail_msg("unknown hash %s", s);
	return HK_TOTP_SHA1;
}

/* The 20-byte SHA-1 secret of RFC 4226 and RFC 6238. */
static const uint8_t rfc_secret[] = "12345678901234567890";
#define RFC_SECRET_LEN 20

static void
test_ACT2_rfc6238_appendix_b_vectors(void **state)
{
	char line[512], hname[16], shex[200], want8[16];
	char code[HK_TOTP_CODE_LEN];
	unsigned long long t;
	uint8_t secret[HK_TOTP_SECRET_MAX];
	size_t slen;
	uint64_t step;
	unsigned n = 0, seen[4] = {0};
	enum hk_totp_hash h;
	FILE *f;

	(void)state;
	assert_non_null(f = open_vector("totp_rfc6238.txt"));
	while (fgets(line, sizeof(line), f) != NULL) {
		if (line[0] == '#' || line[0] == '\n')
			continue;
		assert_int_equal(sscanf(line, "%15s %199s %llu %15s", hname,
		                     shex, &t, want8),
		    4);
		assert_int_equal(strlen(want8), 8);
		h = hash_from_name(hname);
		assert_int_equal(hk_hex_decode(secret, sizeof(secret), shex,
		                     strlen(shex), &slen),
		    0);
		assert_int_equal(hk_totp_generate(h, secret, slen, t, code), 0);
		/* The published values have 8 digits; ours are the last 6. */
		assert_string_equal(code, want8 + 2);
		/* The same code verifies at that time, and reports its step. */
		assert_int_equal(hk_totp_verify_hash(h, secret, slen, want8 + 2,
		                     t, 0, HK_TOTP_NO_STEP, &step),
		    0);
		assert_int_equal(step, t / 30);
		seen[h]++;
		n++;
	}
	fclose(f);
	/* Appendix B: six times for each of the three hashes. */
	assert_int_equal(n, 18);
	assert_int_equal(seen[HK_TOTP_SHA1], 6);
	assert_int_equal(seen[HK_TOTP_SHA256], 6);
	assert_int_equal(seen[HK_TOTP_SHA512], 6);
}

static void
test_ACT2_rfc4226_appendix_d_vectors(void **state)
{
	char line[256], shex[200], want[16], code[HK_TOTP_CODE_LEN];
	unsigned long long counter;
	uint8_t secret[HK_TOTP_SECRET_MAX];
	size_t slen;
	unsigned n = 0;
	FILE *f;

	(void)state;
	assert_non_null(f = open_vector("hotp_rfc4226.txt"));
	while (fgets(line, sizeof(line), f) != NULL) {
		if (line[0] == '#' || line[0] == '\n')
			continue;
		assert_int_equal(
		    sscanf(line, "%199s %llu %15s", shex, &counter, want), 3);
		assert_int_equal(hk_hex_decode(secret, sizeof(secret), shex,
		                     strlen(shex), &slen),
		    0);
		assert_int_equal(
		    hk_totp_hotp(HK_TOTP_SHA1, secret, slen, counter, code), 0);
		assert_string_equal(code, want);
		n++;
	}
	fclose(f);
	assert_int_equal(n, 10);
}

/* code_at(step): the SHA-1 code of the RFC secret at ${step}. */
static void
code_at(uint64_t step, char code[static HK_TOTP_CODE_LEN])
{
	assert_int_equal(
	    hk_totp_hotp(HK_TOTP_SHA1, rfc_secret, RFC_SECRET_LEN, step, code),
	    0);
}

static void
test_ACT2_window_edges(void **state)
{
	const uint64_t now = 1700000015; /* mid-step */
	const uint64_t s = now / 30;
	char c[HK_TOTP_CODE_LEN];
	uint64_t m;
	int d;

	(void)state;
	/* Window 1: steps s-1, s, s+1 are accepted, s-2 and s+2 are not. */
	for (d = -1; d <= 1; d++) {
		code_at(s + (uint64_t)(int64_t)d, c);
		m = 0;
		assert_int_equal(hk_totp_verify(rfc_secret, RFC_SECRET_LEN, c,
		                     now, 1, HK_TOTP_NO_STEP, &m),
		    0);
		assert_int_equal(m, s + (uint64_t)(int64_t)d);
	}
	code_at(s - 2, c);
	assert_int_equal(hk_totp_verify(rfc_secret, RFC_SECRET_LEN, c, now, 1,
	                     HK_TOTP_NO_STEP, &m),
	    HK_EAUTH);
	code_at(s + 2, c);
	assert_int_equal(hk_totp_verify(rfc_secret, RFC_SECRET_LEN, c, now, 1,
	                     HK_TOTP_NO_STEP, &m),
	    HK_EAUTH);
	/* The same code at the first and last second of its step. */
	code_at(s, c);
	assert_int_equal(hk_totp_verify(rfc_secret, RFC_SECRET_LEN, c, s * 30,
	                     0, HK_TOTP_NO_STEP, &m),
	    0);
	assert_int_equal(hk_totp_verify(rfc_secret, RFC_SECRET_LEN, c,
	                     s * 30 + 29, 0, HK_TOTP_NO_STEP, &m),
	    0);
	/* Window 0: one second later it belongs to the next step. */
	assert_int_equal(hk_totp_verify(rfc_secret, RFC_SECRET_LEN, c,
	                     s * 30 + 30, 0, HK_TOTP_NO_STEP, &m),
	    HK_EAUTH);
	/* ...and with window 1 it is still accepted as the previous step. */
	assert_int_equal(hk_totp_verify(rfc_secret, RFC_SECRET_LEN, c,
	                     s * 30 + 30, 1, HK_TOTP_NO_STEP, &m),
	    0);
	assert_int_equal(m, s);
	/* Window 2 reaches s+2 from s. */
	code_at(s + 2, c);
	assert_int_equal(hk_totp_verify(rfc_secret, RFC_SECRET_LEN, c, now, 2,
	                     HK_TOTP_NO_STEP, &m),
	    0);
	assert_int_equal(m, s + 2);
	/* Near the epoch the window does not wrap below step 0. */
	code_at(2, c);
	assert_int_equal(hk_totp_verify(rfc_secret, RFC_SECRET_LEN, c, 10, 3,
	                     HK_TOTP_NO_STEP, &m),
	    0);
	assert_int_equal(m, 2);
	/* The largest window is allowed, one more is not. */
	code_at(s - HK_TOTP_WINDOW_MAX, c);
	assert_int_equal(hk_totp_verify(rfc_secret, RFC_SECRET_LEN, c, now,
	                     HK_TOTP_WINDOW_MAX, HK_TOTP_NO_STEP, &m),
	    0);
	assert_int_equal(hk_totp_verify(rfc_secret, RFC_SECRET_LEN, c, now,
	                     HK_TOTP_WINDOW_MAX + 1, HK_TOTP_NO_STEP, &m),
	    HK_ERANGE);
}

static void
test_ACT5_replay_of_a_step_refused(void **state)
{
	const uint64_t now = 1700000015, s = now / 30;
	char c[HK_TOTP_CODE_LEN], prev[HK_TOTP_CODE_LEN];
	uint64_t m = 0, m2 = 12345;

	(void)state;
	code_at(s, c);
	assert_int_equal(hk_totp_verify(rfc_secret, RFC_SECRET_LEN, c, now, 1,
	                     HK_TOTP_NO_STEP, &m),
	    0);
	assert_int_equal(m, s);
	/* The same code again, with the persisted step: a replay, and the
	 * output is left alone. */
	assert_int_equal(
	    hk_totp_verify(rfc_secret, RFC_SECRET_LEN, c, now, 1, m, &m2),
	    HK_EREPLAY);
	assert_int_equal(m2, 12345);
	/* Also 20 s later, while it is still inside the window. */
	assert_int_equal(
	    hk_totp_verify(rfc_secret, RFC_SECRET_LEN, c, now + 20, 1, m, &m2),
	    HK_EREPLAY);
	/* An older code of the window is no better once s was used. */
	code_at(s - 1, prev);
	assert_int_equal(
	    hk_totp_verify(rfc_secret, RFC_SECRET_LEN, prev, now, 1, m, &m2),
	    HK_EREPLAY);
	/* A wrong code is a plain failure, not a replay. */
	assert_int_equal(
	    hk_totp_verify(rfc_secret, RFC_SECRET_LEN,
	        strcmp(c, "000000") == 0 ? "000001" : "000000", now, 1, m, &m2),
	    HK_EAUTH);
	/* The next step's code is accepted after s... */
	code_at(s + 1, c);
	assert_int_equal(
	    hk_totp_verify(rfc_secret, RFC_SECRET_LEN, c, now + 30, 1, m, &m2),
	    0);
	assert_int_equal(m2, s + 1);
	/* ...and only once. */
	assert_int_equal(
	    hk_totp_verify(rfc_secret, RFC_SECRET_LEN, c, now + 30, 1, m2, &m),
	    HK_EREPLAY);
}

static void
test_ACT2_only_six_ascii_digits(void **state)
{
	static const char *bad[] = {"", "12345", "1234567", "12345a", " 12345",
	    "123456 ", "12 456", "-12345", "+12345",
	    "\xef\xbc\x91"
	    "23456",
	    "12345\n", "abcdef", "1234.5", "\t23456"};
	uint8_t longsecret[HK_TOTP_SECRET_MAX + 1] = {0};
	char c[HK_TOTP_CODE_LEN];
	uint64_t m = 77;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(hk_totp_verify(rfc_secret, RFC_SECRET_LEN,
		                     bad[i], 59, 1, HK_TOTP_NO_STEP, &m),
		    HK_EINVAL);
	assert_int_equal(m, 77);
	/* Secret lengths: 15 bytes is too short, 65 too long. */
	assert_int_equal(hk_totp_verify(rfc_secret, HK_TOTP_SECRET_MIN - 1,
	                     "287082", 59, 1, HK_TOTP_NO_STEP, &m),
	    HK_EINVAL);
	assert_int_equal(hk_totp_verify(longsecret, sizeof(longsecret),
	                     "287082", 59, 1, HK_TOTP_NO_STEP, &m),
	    HK_EINVAL);
	assert_int_equal(hk_totp_hotp(HK_TOTP_SHA1, rfc_secret,
	                     HK_TOTP_SECRET_MIN - 1, 0, c),
	    HK_EINVAL);
	assert_string_equal(c, "");
	assert_int_equal(hk_totp_hotp((enum hk_totp_hash)9, rfc_secret,
	                     RFC_SECRET_LEN, 0, c),
	    HK_EINVAL);
	assert_int_equal(
	    hk_totp_verify_hash((enum hk_totp_hash)0, rfc_secret,
	        RFC_SECRET_LEN, "287082", 59, 1, HK_TOTP_NO_STEP, &m),
	    HK_EINVAL);
	/* The well-formed code itself is accepted (RFC 6238 at T=59). */
	assert_int_equal(hk_totp_verify(rfc_secret, RFC_SECRET_LEN, "287082",
	                     59, 0, HK_TOTP_NO_STEP, &m),
	    0);
	assert_int_equal(m, 1);
}

static void
test_REG1_base32_rfc4648(void **state)
{
	/* RFC 4648 section 10, without the padding. */
	static const struct {
		const char *in, *out;
	} v[] = {{"", ""}, {"f", "MY"}, {"fo", "MZXQ"}, {"foo", "MZXW6"},
	    {"foob", "MZXW6YQ"}, {"fooba", "MZXW6YTB"},
	    {"foobar", "MZXW6YTBOI"}};
	uint8_t all[20];
	char out[64];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		assert_int_equal(hk_totp_base32_encode(out, sizeof(out),
		                     (const uint8_t *)v[i].in, strlen(v[i].in)),
		    0);
		assert_string_equal(out, v[i].out);
	}
	/* 20 bytes whose 32 five-bit groups are 0..31 give the alphabet. */
	memset(all, 0, sizeof(all));
	for (i = 0; i < 32; i++) {
		size_t bit = i * 5, k;

		for (k = 0; k < 5; k++)
			if ((i >> (4 - k)) & 1)
				all[(bit + k) / 8] |=
				    (uint8_t)(0x80 >> ((bit + k) % 8));
	}
	assert_int_equal(hk_totp_base32_encode(out, sizeof(out), all, 20), 0);
	assert_string_equal(out, "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567");
	/* The output size macro is exact. */
	assert_int_equal(HK_TOTP_BASE32_LEN(20), 33);
	assert_int_equal(hk_totp_base32_encode(out, 32, all, 20), HK_ETOOBIG);
	assert_int_equal(hk_totp_base32_encode(out, 33, all, 20), 0);
	assert_int_equal(HK_TOTP_BASE32_LEN(1), 3);
}

static void
test_REG1_otpauth_uri(void **state)
{
	char uri[HK_TOTP_URI_MAX], label[HK_TOTP_LABEL_MAX + 2];
	uint8_t secret[20];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(secret); i++)
		secret[i] = (uint8_t)i;
	assert_int_equal(
	    hk_totp_uri("Hanko", "alice@example.jp", secret, 20, uri), 0);
	assert_string_equal(uri,
	    "otpauth://totp/Hanko:alice%40example.jp?secret="
	    "AAAQEAYEAUDAOCAJBIFQYDIOB4IBCEQT&issuer=Hanko"
	    "&algorithm=SHA1&digits=6&period=30");
	/* Spaces, reserved characters and UTF-8 (山田 太郎) are
	 * percent-encoded byte by byte; unreserved ones are kept. */
	assert_int_equal(hk_totp_uri("ACME Trust & Co.",
	                     "\xe5\xb1\xb1\xe7\x94\xb0 \xe5\xa4\xaa\xe9\x83\x8e"
	                     "/x?y=1#~_-",
	                     secret, 20, uri),
	    0);
	assert_string_equal(uri,
	    "otpauth://totp/ACME%20Trust%20%26%20Co.:"
	    "%E5%B1%B1%E7%94%B0%20%E5%A4%AA%E9%83%8E%2Fx%3Fy%3D1%23~_-"
	    "?secret=AAAQEAYEAUDAOCAJBIFQYDIOB4IBCEQT"
	    "&issuer=ACME%20Trust%20%26%20Co."
	    "&algorithm=SHA1&digits=6&period=30");
	/* Refusals: colon, empty, control character, invalid UTF-8, too
	 * long, short secret. The output is cleared. */
	assert_int_equal(
	    hk_totp_uri("Han:ko", "a", secret, 20, uri), HK_EINVAL);
	assert_string_equal(uri, "");
	assert_int_equal(
	    hk_totp_uri("Hanko", "a:b", secret, 20, uri), HK_EINVAL);
	assert_int_equal(hk_totp_uri("", "a", secret, 20, uri), HK_EINVAL);
	assert_int_equal(hk_totp_uri("Hanko", "", secret, 20, uri), HK_EINVAL);
	assert_int_equal(
	    hk_totp_uri("Hanko", "a\nb", secret, 20, uri), HK_EINVAL);
	assert_int_equal(
	    hk_totp_uri("Hanko", "a\x7f", secret, 20, uri), HK_EINVAL);
	assert_int_equal(
	    hk_totp_uri("Hanko", "\xc3\x28", secret, 20, uri), HK_EINVAL);
	assert_int_equal(hk_totp_uri("Hanko", "a", secret, 15, uri), HK_EINVAL);
	/* The longest labels and secret fit the macro exactly... */
	memset(label, '/', HK_TOTP_LABEL_MAX);
	label[HK_TOTP_LABEL_MAX] = '\0';
	{
		uint8_t big[HK_TOTP_SECRET_MAX] = {0};

		assert_int_equal(
		    hk_totp_uri(label, label, big, sizeof(big), uri), 0);
		assert_true(strlen(uri) < sizeof(uri));
		assert_true(strlen(uri) + 2 >= sizeof(uri));
	}
	/* ...and one byte more is refused. */
	label[HK_TOTP_LABEL_MAX] = 'x';
	label[HK_TOTP_LABEL_MAX + 1] = '\0';
	assert_int_equal(hk_totp_uri(label, "a", secret, 20, uri), HK_EINVAL);
}

/* oathtool_totp(hashname, b32, t, out): run the independent oathtool. */
static void
oathtool_totp(
    const char *hashname, const char *b32, uint64_t t, char out[static 16])
{
	char cmd[512];
	FILE *p;

	snprintf(cmd, sizeof(cmd), "oathtool --totp=%s -b %s -N @%llu",
	    hashname, b32, (unsigned long long)t);
	assert_non_null(p = popen(cmd, "r"));
	assert_non_null(fgets(out, 16, p));
	assert_int_equal(pclose(p), 0);
	out[strcspn(out, "\n")] = '\0';
}

static void
test_ACT2_agrees_with_oathtool(void **state)
{
	static const struct {
		const char *name;
		enum hk_totp_hash h;
	} hs[] = {{"sha1", HK_TOTP_SHA1}, {"sha256", HK_TOTP_SHA256},
	    {"sha512", HK_TOTP_SHA512}};
	uint8_t secret[HK_TOTP_SECRET_MAX], rnd[8];
	char b32[HK_TOTP_BASE32_LEN(HK_TOTP_SECRET_MAX)];
	char ours[HK_TOTP_CODE_LEN], theirs[16];
	uint64_t t, m;
	size_t len;
	unsigned i;

	(void)state;
	for (i = 0; i < 12; i++) {
		/* Random lengths from 16 to 64 bytes (base32 of lengths that
		 * are not multiples of 5 exercises the partial group), random
		 * times up to the year 2106. */
		assert_int_equal(RAND_bytes(rnd, sizeof(rnd)), 1);
		len = HK_TOTP_SECRET_MIN +
		    rnd[0] % (HK_TOTP_SECRET_MAX - HK_TOTP_SECRET_MIN + 1);
		if (i == 0)
			len = HK_TOTP_SECRET_DEFAULT;
		t = (uint64_t)rnd[1] << 24 | (uint64_t)rnd[2] << 16 |
		    (uint64_t)rnd[3] << 8 | rnd[4];
		assert_int_equal(RAND_bytes(secret, (int)len), 1);
		assert_int_equal(
		    hk_totp_base32_encode(b32, sizeof(b32), secret, len), 0);
		oathtool_totp(hs[i % 3].name, b32, t, theirs);
		assert_int_equal(
		    hk_totp_generate(hs[i % 3].h, secret, len, t, ours), 0);
		assert_string_equal(ours, theirs);
		assert_int_equal(hk_totp_verify_hash(hs[i % 3].h, secret, len,
		                     theirs, t, 1, HK_TOTP_NO_STEP, &m),
		    0);
		assert_int_equal(m, t / 30);
	}
	/* And the present moment, as a signer's phone would see it. */
	assert_int_equal(RAND_bytes(secret, 20), 1);
	assert_int_equal(
	    hk_totp_base32_encode(b32, sizeof(b32), secret, 20), 0);
	t = (uint64_t)time(NULL);
	oathtool_totp("sha1", b32, t, theirs);
	assert_int_equal(
	    hk_totp_verify(secret, 20, theirs, t, 1, HK_TOTP_NO_STEP, &m), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_ACT2_rfc6238_appendix_b_vectors),
	    cmocka_unit_test(test_ACT2_rfc4226_appendix_d_vectors),
	    cmocka_unit_test(test_ACT2_window_edges),
	    cmocka_unit_test(test_ACT5_replay_of_a_step_refused),
	    cmocka_unit_test(test_ACT2_only_six_ascii_digits),
	    cmocka_unit_test(test_REG1_base32_rfc4648),
	    cmocka_unit_test(test_REG1_otpauth_uri),
	    cmocka_unit_test(test_ACT2_agrees_with_oathtool),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
