/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Unit tests for core/seal (REG-1, SIG-8): secretbox round trips, refusal
 * of every altered byte, of truncation and of another key; nonces from the
 * caller's random source; the canonical attribute encoding and commitment
 * against a data file computed independently; commitments that change with
 * every field and with the salt; no ambiguity by concatenation; strict
 * decoding; guarded key buffers.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <sodium.h>

#include "core/codec.h"
#include "core/seal.h"

#define B(lit) ((struct hk_bytes){(const uint8_t *)(lit), sizeof(lit) - 1})

/* The attribute sets of vectors/seal_attrs_v1.txt. */
static struct hk_seal_attrs
natural(void)
{
	struct hk_seal_attrs a;

	a.kind = HK_SEAL_NATURAL;
	a.name = B("\xe5\xb1\xb1\xe7\x94\xb0 \xe5\xa4\xaa\xe9\x83\x8e");
	a.organization = B("\xe6\xa0\xaa\xe5\xbc\x8f\xe4\xbc\x9a\xe7\xa4\xbe"
	                   "\xe3\x83\x8f\xe3\x83\xb3\xe3\x82\xb3");
	a.email = B("taro.yamada@example.jp");
	a.proofing_ref = B("JPKI:2024-000123");
	return a;
}

static struct hk_seal_attrs
legal(void)
{
	struct hk_seal_attrs a;

	a.kind = HK_SEAL_LEGAL;
	a.name = (struct hk_bytes){NULL, 0};
	a.organization = B("\xe6\xa0\xaa\xe5\xbc\x8f\xe4\xbc\x9a\xe7\xa4\xbe"
	                   "\xe3\x83\x8f\xe3\x83\xb3\xe3\x82\xb3");
	a.email = B("");
	a.proofing_ref = B("houjin:1234567890123");
	return a;
}

static void
salt_fixed(uint8_t salt[static HK_SEAL_SALT_LEN])
{
	size_t i;

	for (i = 0; i < HK_SEAL_SALT_LEN; i++)
		salt[i] = (uint8_t)i;
}

static void
test_REG1_canonical_encoding_and_commitment_kat(void **state)
{
	const char *top = getenv("TOP");
	char path[1024], line[4096], name[32], ehex[2048], chex[128];
	uint8_t enc[HK_SEAL_ATTRS_MAX], want[HK_SEAL_ATTRS_MAX];
	uint8_t salt[HK_SEAL_SALT_LEN], c[HK_SEAL_COMMIT_LEN];
	uint8_t wantc[HK_SEAL_COMMIT_LEN];
	struct hk_seal_attrs a, back;
	size_t n, wn, cn;
	unsigned cases = 0;
	FILE *f;

	(void)state;
	salt_fixed(salt);
	snprintf(path, sizeof(path), "%s/tests/unit/core/vectors/%s",
	    top ? top : ".", "seal_attrs_v1.txt");
	assert_non_null(f = fopen(path, "r"));
	while (fgets(line, sizeof(line), f) != NULL) {
		if (line[0] == '#' || line[0] == '\n')
			continue;
		assert_int_equal(
		    sscanf(line, "%31s %2047s %127s", name, ehex, chex), 3);
		if (strcmp(name, "natural") == 0)
			a = natural();
		else if (strcmp(name, "legal") == 0)
			a = legal();
		else
			fail_msg("unknown case %s", name);
		assert_int_equal(
		    hk_hex_decode(want, sizeof(want), ehex, strlen(ehex), &wn),
		    0);
		assert_int_equal(hk_hex_decode(wantc, sizeof(wantc), chex,
		                     strlen(chex), &cn),
		    0);
		assert_int_equal(cn, HK_SEAL_COMMIT_LEN);
		/* Byte for byte: the encoding and the commitment. */
		assert_int_equal(
		    hk_seal_attrs_encode(&a, enc, sizeof(enc), &n), 0);
		assert_int_equal(n, wn);
		assert_memory_equal(enc, want, n);
		assert_int_equal(hk_seal_commit(salt, &a, c), 0);
		assert_memory_equal(c, wantc, HK_SEAL_COMMIT_LEN);
		assert_int_equal(hk_seal_commit_check(salt, &a, wantc), 0);
		/* Decoding gives back the same attributes. */
		assert_int_equal(hk_seal_attrs_decode(want, wn, &back), 0);
		assert_int_equal(back.kind, a.kind);
		assert_int_equal(back.name.n, a.name.n);
		assert_memory_equal(
		    back.organization.p, a.organization.p, a.organization.n);
		assert_int_equal(back.email.n, a.email.n);
		assert_int_equal(back.proofing_ref.n, a.proofing_ref.n);
		assert_memory_equal(
		    back.proofing_ref.p, a.proofing_ref.p, a.proofing_ref.n);
		cases++;
	}
	fclose(f);
	assert_int_equal(cases, 2);
}

static void
test_REG1_commitment_binds_every_field_and_the_salt(void **state)
{
	uint8_t salt[HK_SEAL_SALT_LEN], base[HK_SEAL_COMMIT_LEN];
	uint8_t c[HK_SEAL_COMMIT_LEN];
	struct hk_seal_attrs a, m;
	struct hk_bytes *fields[4];
	size_t i;

	(void)state;
	salt_fixed(salt);
	a = natural();
	assert_int_equal(hk_seal_commit(salt, &a, base), 0);
	/* Any field changed. */
	for (i = 0; i < 4; i++) {
		m = a;
		fields[0] = &m.name;
		fields[1] = &m.organization;
		fields[2] = &m.email;
		fields[3] = &m.proofing_ref;
		*fields[i] = B("X");
		assert_int_equal(hk_seal_commit(salt, &m, c), 0);
		assert_memory_not_equal(c, base, sizeof(c));
		assert_int_equal(
		    hk_seal_commit_check(salt, &m, base), HK_EVERIFY);
	}
	m = a;
	m.email = B("taro.yamada@example.jq");
	assert_int_equal(hk_seal_commit_check(salt, &m, base), HK_EVERIFY);
	/* The kind. */
	m = a;
	m.kind = HK_SEAL_LEGAL;
	assert_int_equal(hk_seal_commit_check(salt, &m, base), HK_EVERIFY);
	/* The salt: every byte matters. */
	for (i = 0; i < HK_SEAL_SALT_LEN; i++) {
		salt[i] ^= 0x01;
		assert_int_equal(
		    hk_seal_commit_check(salt, &a, base), HK_EVERIFY);
		salt[i] ^= 0x01;
	}
	assert_int_equal(hk_seal_commit_check(salt, &a, base), 0);
	/* A changed commitment is refused too. */
	base[31] ^= 0x80;
	assert_int_equal(hk_seal_commit_check(salt, &a, base), HK_EVERIFY);
}

static void
test_REG1_no_ambiguity_by_concatenation(void **state)
{
	uint8_t salt[HK_SEAL_SALT_LEN], c1[HK_SEAL_COMMIT_LEN];
	uint8_t c2[HK_SEAL_COMMIT_LEN];
	uint8_t e1[HK_SEAL_ATTRS_MAX], e2[HK_SEAL_ATTRS_MAX];
	struct hk_seal_attrs a, b;
	size_t n1, n2;

	(void)state;
	salt_fixed(salt);
	/* The same bytes split differently across fields: "ab"+"c" against
	 * "a"+"bc", and a value moved from one field to the next. */
	memset(&a, 0, sizeof(a));
	memset(&b, 0, sizeof(b));
	a.kind = b.kind = HK_SEAL_NATURAL;
	a.name = B("ab");
	a.organization = B("c");
	b.name = B("a");
	b.organization = B("bc");
	assert_int_equal(hk_seal_attrs_encode(&a, e1, sizeof(e1), &n1), 0);
	assert_int_equal(hk_seal_attrs_encode(&b, e2, sizeof(e2), &n2), 0);
	assert_int_equal(n1, n2);
	assert_memory_not_equal(e1, e2, n1);
	assert_int_equal(hk_seal_commit(salt, &a, c1), 0);
	assert_int_equal(hk_seal_commit(salt, &b, c2), 0);
	assert_memory_not_equal(c1, c2, sizeof(c1));
	memset(&b, 0, sizeof(b));
	b.kind = HK_SEAL_NATURAL;
	b.organization = B("ab");
	b.email = B("c");
	assert_int_equal(hk_seal_commit(salt, &b, c2), 0);
	assert_memory_not_equal(c1, c2, sizeof(c1));
	/* A field that contains what looks like a length prefix. */
	memset(&b, 0, sizeof(b));
	b.kind = HK_SEAL_NATURAL;
	b.name = (struct hk_bytes){(const uint8_t *)"ab\x00\x01"
	                                            "c",
	    5};
	assert_int_equal(hk_seal_commit(salt, &b, c2), 0);
	assert_memory_not_equal(c1, c2, sizeof(c1));
}

static void
test_REG1_attribute_validation_and_strict_decoding(void **state)
{
	static uint8_t big[HK_SEAL_FIELD_MAX + 1];
	uint8_t enc[HK_SEAL_ATTRS_MAX + 8], c[HK_SEAL_COMMIT_LEN];
	uint8_t salt[HK_SEAL_SALT_LEN] = {0};
	struct hk_seal_attrs a, d;
	size_t n, i;

	(void)state;
	memset(big, 'x', sizeof(big));
	a = natural();
	a.kind = (enum hk_seal_kind)3;
	assert_int_equal(
	    hk_seal_attrs_encode(&a, enc, sizeof(enc), &n), HK_EINVAL);
	assert_int_equal(hk_seal_commit(salt, &a, c), HK_EINVAL);
	a = natural();
	a.name = B("\xff\xfe");
	assert_int_equal(
	    hk_seal_attrs_encode(&a, enc, sizeof(enc), &n), HK_EINVAL);
	a = natural();
	a.email = (struct hk_bytes){NULL, 3};
	assert_int_equal(
	    hk_seal_attrs_encode(&a, enc, sizeof(enc), &n), HK_EINVAL);
	a = natural();
	a.proofing_ref = (struct hk_bytes){big, sizeof(big)};
	assert_int_equal(
	    hk_seal_attrs_encode(&a, enc, sizeof(enc), &n), HK_ETOOBIG);
	/* Every field at its maximum fits HK_SEAL_ATTRS_MAX exactly. */
	a.kind = HK_SEAL_LEGAL;
	a.name = a.organization = a.email = a.proofing_ref =
	    (struct hk_bytes){big, HK_SEAL_FIELD_MAX};
	assert_int_equal(
	    hk_seal_attrs_encode(&a, enc, HK_SEAL_ATTRS_MAX, &n), 0);
	assert_int_equal(n, HK_SEAL_ATTRS_MAX);
	assert_int_equal(
	    hk_seal_attrs_encode(&a, enc, HK_SEAL_ATTRS_MAX - 1, &n),
	    HK_ETOOBIG);
	assert_int_equal(hk_seal_attrs_decode(enc, HK_SEAL_ATTRS_MAX, &d), 0);
	assert_int_equal(d.kind, HK_SEAL_LEGAL);
	assert_int_equal(d.email.n, HK_SEAL_FIELD_MAX);
	/* Strict decoding. */
	a = natural();
	assert_int_equal(hk_seal_attrs_encode(&a, enc, sizeof(enc), &n), 0);
	assert_int_equal(hk_seal_attrs_decode(enc, n, &d), 0);
	for (i = 0; i < n; i++) /* every truncation */
		assert_int_equal(hk_seal_attrs_decode(enc, i, &d), HK_EINVAL);
	enc[n] = 0;
	assert_int_equal(hk_seal_attrs_decode(enc, n + 1, &d), HK_EINVAL);
	enc[3] = '2'; /* another version */
	assert_int_equal(hk_seal_attrs_decode(enc, n, &d), HK_EINVAL);
	enc[3] = '1';
	enc[6] = 7; /* unknown kind */
	assert_int_equal(hk_seal_attrs_decode(enc, n, &d), HK_EINVAL);
	enc[6] = HK_SEAL_NATURAL;
	enc[9] = 0xff; /* first byte of the name: no longer UTF-8 */
	assert_int_equal(hk_seal_attrs_decode(enc, n, &d), HK_EINVAL);
}

static void
test_REG1_secretbox_round_trip(void **state)
{
	static uint8_t plain[HK_SEAL_PLAIN_MAX + 1],
	    box[HK_SEAL_PLAIN_MAX + 64];
	static uint8_t back[HK_SEAL_PLAIN_MAX + 1];
	static const size_t sizes[] = {0, 1, 20, 1000, HK_SEAL_PLAIN_MAX};
	uint8_t key[HK_SEAL_KEY_LEN];
	size_t i, n, bn;

	(void)state;
	assert_int_equal(hk_seal_key_generate(NULL, NULL, key), 0);
	randombytes_buf(plain, sizeof(plain));
	for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		assert_int_equal(hk_seal_encrypt(key, plain, sizes[i], NULL,
		                     NULL, box, sizeof(box), &n),
		    0);
		assert_int_equal(n, HK_SEAL_SEALED_LEN(sizes[i]));
		assert_int_equal(
		    hk_seal_decrypt(key, box, n, back, sizes[i], &bn), 0);
		assert_int_equal(bn, sizes[i]);
		assert_memory_equal(back, plain, bn);
	}
	/* Size limits: exact output buffers are enough, smaller are not. */
	assert_int_equal(hk_seal_encrypt(key, plain, 100, NULL, NULL, box,
	                     HK_SEAL_SEALED_LEN(100) - 1, &n),
	    HK_ETOOBIG);
	assert_int_equal(hk_seal_encrypt(key, plain, HK_SEAL_PLAIN_MAX + 1,
	                     NULL, NULL, box, sizeof(box), &n),
	    HK_ETOOBIG);
	assert_int_equal(hk_seal_encrypt(key, plain, 100, NULL, NULL, box,
	                     HK_SEAL_SEALED_LEN(100), &n),
	    0);
	assert_int_equal(
	    hk_seal_decrypt(key, box, n, back, 99, &bn), HK_ETOOBIG);
	/* The attributes themselves: encode, seal, open, decode, check. */
	{
		struct hk_seal_attrs a = natural(), d;
		uint8_t enc[HK_SEAL_ATTRS_MAX], salt[HK_SEAL_SALT_LEN];
		uint8_t c[HK_SEAL_COMMIT_LEN];
		uint8_t sealed[HK_SEAL_SEALED_LEN(HK_SEAL_ATTRS_MAX)];
		size_t en, sn, pn;

		assert_int_equal(hk_seal_salt_generate(NULL, NULL, salt), 0);
		assert_int_equal(hk_seal_commit(salt, &a, c), 0);
		assert_int_equal(
		    hk_seal_attrs_encode(&a, enc, sizeof(enc), &en), 0);
		assert_int_equal(hk_seal_encrypt(key, enc, en, NULL, NULL,
		                     sealed, sizeof(sealed), &sn),
		    0);
		/* The name is not in the box in clear. */
		for (i = 0; i + a.name.n <= sn; i++)
			assert_memory_not_equal(sealed + i, a.name.p, a.name.n);
		hk_seal_wipe(enc, sizeof(enc));
		assert_int_equal(
		    hk_seal_decrypt(key, sealed, sn, enc, sizeof(enc), &pn), 0);
		assert_int_equal(hk_seal_attrs_decode(enc, pn, &d), 0);
		assert_int_equal(hk_seal_commit_check(salt, &d, c), 0);
		hk_seal_wipe(enc, sizeof(enc));
	}
	hk_seal_wipe(key, sizeof(key));
}

static void
test_REG1_any_altered_byte_refused(void **state)
{
	uint8_t key[HK_SEAL_KEY_LEN], other[HK_SEAL_KEY_LEN];
	uint8_t plain[64], box[HK_SEAL_SEALED_LEN(64)], back[64];
	size_t n, bn, i;
	unsigned bit;

	(void)state;
	assert_int_equal(hk_seal_key_generate(NULL, NULL, key), 0);
	assert_int_equal(hk_seal_key_generate(NULL, NULL, other), 0);
	assert_memory_not_equal(key, other, sizeof(key));
	randombytes_buf(plain, sizeof(plain));
	assert_int_equal(hk_seal_encrypt(key, plain, sizeof(plain), NULL, NULL,
	                     box, sizeof(box), &n),
	    0);
	/* Every bit of nonce, MAC and ciphertext. */
	for (i = 0; i < n; i++) {
		for (bit = 0; bit < 8; bit++) {
			box[i] ^= (uint8_t)(1u << bit);
			memset(back, 0xaa, sizeof(back));
			assert_int_equal(hk_seal_decrypt(key, box, n, back,
			                     sizeof(back), &bn),
			    HK_EVERIFY);
			box[i] ^= (uint8_t)(1u << bit);
		}
	}
	/* Nothing was written by the refusals. */
	for (i = 0; i < sizeof(back); i++)
		assert_int_equal(back[i], 0xaa);
	/* Truncated or extended. */
	for (i = 0; i < n; i++)
		assert_int_equal(
		    hk_seal_decrypt(key, box, i, back, sizeof(back), &bn),
		    HK_EVERIFY);
	/* Another key. */
	assert_int_equal(
	    hk_seal_decrypt(other, box, n, back, sizeof(back), &bn),
	    HK_EVERIFY);
	/* The intact box still opens. */
	assert_int_equal(
	    hk_seal_decrypt(key, box, n, back, sizeof(back), &bn), 0);
	assert_memory_equal(back, plain, sizeof(plain));
}

struct counter_rng {
	uint8_t next;
	unsigned calls;
	int fail;
};

static int
counter_rng(void *arg, uint8_t *buf, size_t n)
{
	struct counter_rng *c = arg;
	size_t i;

	c->calls++;
	if (c->fail)
		return HK_EHSM;
	for (i = 0; i < n; i++)
		buf[i] = c->next++;
	return 0;
}

static void
test_REG1_random_source_is_the_callers(void **state)
{
	struct counter_rng rng = {0x40, 0, 0};
	uint8_t key[HK_SEAL_KEY_LEN], salt[HK_SEAL_SALT_LEN];
	uint8_t box1[HK_SEAL_SEALED_LEN(5)], box2[HK_SEAL_SEALED_LEN(5)];
	size_t n, i;

	(void)state;
	assert_int_equal(hk_seal_key_generate(counter_rng, &rng, key), 0);
	for (i = 0; i < sizeof(key); i++)
		assert_int_equal(key[i], 0x40 + i);
	assert_int_equal(hk_seal_salt_generate(counter_rng, &rng, salt), 0);
	assert_int_equal(salt[0], 0x60);
	/* The nonce is the next 24 bytes of the caller's source. */
	assert_int_equal(hk_seal_encrypt(key, (const uint8_t *)"hello", 5,
	                     counter_rng, &rng, box1, sizeof(box1), &n),
	    0);
	for (i = 0; i < HK_SEAL_NONCE_LEN; i++)
		assert_int_equal(box1[i], (uint8_t)(0x80 + i));
	assert_int_equal(rng.calls, 3);
	/* Two boxes of the same plaintext differ (fresh nonce). */
	assert_int_equal(hk_seal_encrypt(key, (const uint8_t *)"hello", 5,
	                     counter_rng, &rng, box2, sizeof(box2), &n),
	    0);
	assert_memory_not_equal(box1, box2, sizeof(box1));
	assert_int_equal(hk_seal_encrypt(key, (const uint8_t *)"hello", 5, NULL,
	                     NULL, box1, sizeof(box1), &n),
	    0);
	assert_memory_not_equal(box1, box2, sizeof(box1));
	/* A failing source: its error, and a zeroed key. */
	rng.fail = 1;
	assert_int_equal(hk_seal_key_generate(counter_rng, &rng, key), HK_EHSM);
	for (i = 0; i < sizeof(key); i++)
		assert_int_equal(key[i], 0);
	assert_int_equal(hk_seal_encrypt(key, (const uint8_t *)"hello", 5,
	                     counter_rng, &rng, box1, sizeof(box1), &n),
	    HK_EHSM);
}

static void
test_REG1_guarded_key_buffer(void **state)
{
	uint8_t *k, zero[HK_SEAL_KEY_LEN] = {0};
	uint8_t buf[16];

	(void)state;
	assert_non_null(k = hk_seal_key_new());
	assert_memory_equal(k, zero, HK_SEAL_KEY_LEN);
	assert_int_equal(hk_seal_key_generate(NULL, NULL, k), 0);
	assert_memory_not_equal(k, zero, HK_SEAL_KEY_LEN);
	hk_seal_key_free(k);
	hk_seal_key_free(NULL);
	memset(buf, 0x5a, sizeof(buf));
	hk_seal_wipe(buf, sizeof(buf));
	assert_memory_equal(buf, zero, sizeof(buf));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_REG1_canonical_encoding_and_commitment_kat),
	    cmocka_unit_test(
	        test_REG1_commitment_binds_every_field_and_the_salt),
	    cmocka_unit_test(test_REG1_no_ambiguity_by_concatenation),
	    cmocka_unit_test(
	        test_REG1_attribute_validation_and_strict_decoding),
	    cmocka_unit_test(test_REG1_secretbox_round_trip),
	    cmocka_unit_test(test_REG1_any_altered_byte_refused),
	    cmocka_unit_test(test_REG1_random_source_is_the_callers),
	    cmocka_unit_test(test_REG1_guarded_key_buffer),
	};

	if (sodium_init() < 0)
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
