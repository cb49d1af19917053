/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Unit tests of hsm_der and hsm_ckr, which need no token: ECDSA r||s to DER
 * and DigestInfo known answers from data files, cross-checked against
 * OpenSSL's own encoders; CKA_EC_POINT forms; SPKI building; and the CKR
 * table against every CKR_ value p11-kit's header defines. REG-4, NET-4.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/ecdsa.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/x509.h>

#include "core/codec.h"
#include "hsm/hsm_ckr.h"
#include "hsm/hsm_der.h"
#include "hsm_fixture.h"

#ifndef HSM_TEST_P11_HEADER
#define HSM_TEST_P11_HEADER "/usr/include/p11-kit-1/p11-kit/pkcs11.h"
#endif

static FILE *
open_data(const char *name)
{
	char path[4096];
	const char *top = getenv("TOP");
	FILE *f;

	snprintf(path, sizeof(path), "%s/tests/unit/hsm/%s", top ? top : ".",
	    name);
	f = fopen(path, "r");
	if (f == NULL)
		fail_msg("cannot open %s (run from the repository root or set "
			 "TOP)", path);
	return f;
}

static size_t
unhex(const char *s, uint8_t *out, size_t max)
{
	size_t n = 0;

	assert_int_equal(hk_hex_decode(out, max, s, strlen(s), &n), 0);
	return n;
}

/* OpenSSL's encoding of the same r and s, as an independent oracle. */
static size_t
openssl_ecdsa_der(const uint8_t *rs, size_t len, uint8_t *out)
{
	ECDSA_SIG *sig = ECDSA_SIG_new();
	BIGNUM *r = BN_bin2bn(rs, (int)len / 2, NULL);
	BIGNUM *s = BN_bin2bn(rs + len / 2, (int)len / 2, NULL);
	uint8_t *p = out;
	int n;

	assert_non_null(sig);
	assert_int_equal(ECDSA_SIG_set0(sig, r, s), 1);
	n = i2d_ECDSA_SIG(sig, &p);
	assert_true(n > 0);
	ECDSA_SIG_free(sig);
	return (size_t)n;
}

static void
test_REG4_ecdsa_der_known_answers(void **state)
{
	char line[1024], rshex[300], derhex[300];
	uint8_t rs[140], want[150], got[HSM_DER_ECDSA_MAX], ossl[200];
	size_t rslen, wantlen, gotlen, n, vectors = 0;
	FILE *f = open_data("ecdsa_der.kat");

	(void)state;
	while (fgets(line, sizeof(line), f) != NULL) {
		if (line[0] == '#' || line[0] == '\n')
			continue;
		assert_int_equal(sscanf(line, "%299s %299s", rshex, derhex),
		    2);
		rslen = unhex(rshex, rs, sizeof(rs));
		wantlen = unhex(derhex, want, sizeof(want));
		assert_int_equal(hsm_der_ecdsa_sig(rs, rslen, got, sizeof(got),
				     &gotlen),
		    0);
		assert_int_equal(gotlen, wantlen);
		assert_memory_equal(got, want, wantlen);
		n = openssl_ecdsa_der(rs, rslen, ossl);
		assert_int_equal(n, gotlen);
		assert_memory_equal(ossl, got, n);
		vectors++;
	}
	fclose(f);
	assert_true(vectors >= 10);
}

static void
test_REG4_ecdsa_der_rejects_bad_input(void **state)
{
	uint8_t rs[140] = {1}, out[HSM_DER_ECDSA_MAX];
	size_t n;

	(void)state;
	assert_int_equal(hsm_der_ecdsa_sig(rs, 0, out, sizeof(out), &n),
	    HK_EINVAL);
	assert_int_equal(hsm_der_ecdsa_sig(rs, 63, out, sizeof(out), &n),
	    HK_EINVAL);
	assert_int_equal(hsm_der_ecdsa_sig(rs, 134, out, sizeof(out), &n),
	    HK_EINVAL);
	memset(rs, 0xff, sizeof(rs));
	assert_int_equal(hsm_der_ecdsa_sig(rs, 64, out, 71, &n), HK_ETOOBIG);
	assert_int_equal(hsm_der_ecdsa_sig(rs, 64, out, 72, &n), 0);
	assert_int_equal(n, 72);
	assert_int_equal(hsm_der_ecdsa_sig(rs, 132, out, sizeof(out), &n), 0);
	assert_int_equal(n, HSM_DER_ECDSA_MAX);
}

/* OpenSSL's DigestInfo (the X509_SIG structure RSA_sign encodes). */
static size_t
openssl_digestinfo(int nid, const uint8_t *d, size_t dlen, uint8_t *out)
{
	X509_SIG *sig = X509_SIG_new();
	X509_ALGOR *alg;
	ASN1_OCTET_STRING *dg;
	uint8_t *p = out;
	int n;

	X509_SIG_getm(sig, &alg, &dg);
	assert_int_equal(X509_ALGOR_set0(alg, OBJ_nid2obj(nid), V_ASN1_NULL,
			     NULL),
	    1);
	assert_int_equal(ASN1_OCTET_STRING_set(dg, d, (int)dlen), 1);
	n = i2d_X509_SIG(sig, &p);
	X509_SIG_free(sig);
	assert_true(n > 0);
	return (size_t)n;
}

static void
test_REG4_digestinfo_known_answers(void **state)
{
	char line[1024], name[16], dhex[200], dihex[300];
	uint8_t d[64], want[100], got[HSM_DER_DIGESTINFO_MAX], ossl[120];
	size_t dlen, wantlen, gotlen, n, vectors = 0;
	enum hsm_hash h;
	int nid;
	FILE *f = open_data("digestinfo.kat");

	(void)state;
	while (fgets(line, sizeof(line), f) != NULL) {
		if (line[0] == '#' || line[0] == '\n')
			continue;
		assert_int_equal(sscanf(line, "%15s %199s %299s", name, dhex,
				     dihex),
		    3);
		if (strcmp(name, "sha256") == 0) {
			h = HSM_HASH_SHA256;
			nid = NID_sha256;
		} else if (strcmp(name, "sha384") == 0) {
			h = HSM_HASH_SHA384;
			nid = NID_sha384;
		} else {
			h = HSM_HASH_SHA512;
			nid = NID_sha512;
		}
		dlen = unhex(dhex, d, sizeof(d));
		wantlen = unhex(dihex, want, sizeof(want));
		assert_int_equal(hsm_der_digestinfo(h, d, dlen, got,
				     sizeof(got), &gotlen),
		    0);
		assert_int_equal(gotlen, wantlen);
		assert_memory_equal(got, want, wantlen);
		n = openssl_digestinfo(nid, d, dlen, ossl);
		assert_int_equal(n, gotlen);
		assert_memory_equal(ossl, got, n);
		/* A digest of the wrong length is refused. */
		assert_int_equal(hsm_der_digestinfo(h, d, dlen - 1, got,
				     sizeof(got), &gotlen),
		    HK_EINVAL);
		vectors++;
	}
	fclose(f);
	assert_int_equal(vectors, 3);
	assert_int_equal(hsm_der_digestinfo(HSM_HASH_NONE, d, 0, got,
			     sizeof(got), &gotlen),
	    HK_EINVAL);
}

static void
test_REG4_ec_point_forms(void **state)
{
	uint8_t attr[70];
	const uint8_t *pt = NULL;

	(void)state;
	/* Ed25519 as SoftHSM returns it: 04 20 || key. */
	memset(attr, 0x04, sizeof(attr));
	attr[0] = 0x04;
	attr[1] = 0x20;
	assert_int_equal(hsm_der_ec_point(attr, 34, 32, &pt), 0);
	assert_ptr_equal(pt, attr + 2);
	/* The bare key. */
	assert_int_equal(hsm_der_ec_point(attr, 32, 32, &pt), 0);
	assert_ptr_equal(pt, attr);
	/* P-256 DER-wrapped (67) and bare (65). */
	attr[1] = 65;
	assert_int_equal(hsm_der_ec_point(attr, 67, 65, &pt), 0);
	assert_ptr_equal(pt, attr + 2);
	assert_int_equal(hsm_der_ec_point(attr, 65, 65, &pt), 0);
	assert_ptr_equal(pt, attr);
	/* Wrong DER length byte, wrong sizes. */
	attr[1] = 64;
	assert_int_equal(hsm_der_ec_point(attr, 67, 65, &pt), HK_EINVAL);
	assert_int_equal(hsm_der_ec_point(attr, 66, 65, &pt), HK_EINVAL);
	assert_int_equal(hsm_der_ec_point(attr, 33, 32, &pt), HK_EINVAL);
}

/* SPKIs built from raw public keys equal OpenSSL's own encoding of the
 * same key, and parse back. */
static void
test_REG4_spki_matches_openssl(void **state)
{
	static const char *types[] = {"P-256", "P-384", "ED25519", "RSA"};
	uint8_t mine[HSM_SPKI_MAX], theirs[HSM_SPKI_MAX], *p, pt[200];
	uint8_t n[600], e[16];
	size_t minelen = 0, ptlen = 0, k;
	struct hsm_der_pub pub;
	enum hsm_alg ec;
	EVP_PKEY *pk, *dec;
	BIGNUM *bn = NULL, *be = NULL;
	int theirlen, i;

	(void)state;
	for (i = 0; i < 4; i++) {
		if (i < 2)
			pk = EVP_PKEY_Q_keygen(NULL, NULL, "EC", types[i]);
		else if (i == 2)
			pk = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
		else
			pk = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)2048);
		assert_non_null(pk);
		p = theirs;
		theirlen = i2d_PUBKEY(pk, &p);
		assert_true(theirlen > 0);
		if (i < 2) {
			ec = i == 0 ? HSM_ALG_EC_P256 : HSM_ALG_EC_P384;
			assert_int_equal(EVP_PKEY_get_octet_string_param(pk,
					     OSSL_PKEY_PARAM_PUB_KEY, pt,
					     sizeof(pt), &ptlen),
			    1);
			assert_int_equal(hsm_der_spki_ec(ec, pt, ptlen, mine,
					     sizeof(mine), &minelen),
			    0);
			/* A point off the curve is refused. */
			pt[ptlen - 1] ^= 1;
			assert_int_equal(hsm_der_spki_ec(ec, pt, ptlen,
					     mine + 300, 300, &k),
			    HK_EINVAL);
		} else if (i == 2) {
			ptlen = 32;
			assert_int_equal(EVP_PKEY_get_raw_public_key(pk, pt,
					     &ptlen),
			    1);
			assert_int_equal(hsm_der_spki_ed25519(pt, mine,
					     sizeof(mine), &minelen),
			    0);
		} else {
			assert_int_equal(EVP_PKEY_get_bn_param(pk,
					     OSSL_PKEY_PARAM_RSA_N, &bn),
			    1);
			assert_int_equal(EVP_PKEY_get_bn_param(pk,
					     OSSL_PKEY_PARAM_RSA_E, &be),
			    1);
			k = (size_t)BN_bn2bin(bn, n);
			assert_int_equal(hsm_der_spki_rsa(n, k, e,
					     (size_t)BN_bn2bin(be, e), mine,
					     sizeof(mine), &minelen),
			    0);
			BN_free(bn);
			BN_free(be);
		}
		assert_int_equal(minelen, (size_t)theirlen);
		assert_memory_equal(mine, theirs, minelen);
		assert_int_equal(hsm_der_spki_parse(mine, minelen, &pub), 0);
		assert_int_equal(pub.alg, hsm_der_spki_alg(theirs,
					      (size_t)theirlen));
		assert_int_equal(pub.alg,
		    i == 0   ? HSM_ALG_EC_P256
		    : i == 1 ? HSM_ALG_EC_P384
		    : i == 2 ? HSM_ALG_ED25519
			     : HSM_ALG_RSA_2048);
		/* The EVP_PKEY a CSR would be built around is this key. */
		dec = hsm_der_spki_pkey(mine, minelen);
		assert_non_null(dec);
		assert_int_equal(EVP_PKEY_eq(dec, pk), 1);
		EVP_PKEY_free(dec);
		/* Trailing garbage is refused. */
		mine[minelen] = 0;
		assert_int_equal(hsm_der_spki_parse(mine, minelen + 1, &pub),
		    HK_EINVAL);
		assert_null(hsm_der_spki_pkey(mine, minelen + 1));
		EVP_PKEY_free(pk);
	}
}

static void
test_REG4_ec_params(void **state)
{
	static const uint8_t printable[] = {0x13, 0x0c, 'e', 'd', 'w', 'a',
	    'r', 'd', 's', '2', '5', '5', '1', '9'};
	const uint8_t *p;
	size_t n;
	int a;

	(void)state;
	for (a = HSM_ALG_EC_P256; a <= HSM_ALG_ED25519; a++) {
		p = hsm_der_ec_params((enum hsm_alg)a, &n);
		if (a == HSM_ALG_RSA_2048 || a == HSM_ALG_RSA_3072) {
			assert_null(p);
			continue;
		}
		assert_non_null(p);
		assert_int_equal(hsm_der_ec_alg(p, n), a);
	}
	assert_int_equal(hsm_der_ec_alg(printable, sizeof(printable)),
	    HSM_ALG_ED25519);
	assert_int_equal(hsm_der_ec_alg(printable, 5), HSM_ALG_NONE);
}

/* Every CKR_ value the PKCS#11 header defines has its own name in the
 * adapter's table and maps to an error (CKR_OK to HK_OK). */
static void
test_NET4_every_ckr_named_and_mapped(void **state)
{
	char line[512], name[128], val[128];
	unsigned long v;
	unsigned seen = 0;
	FILE *f = fopen(HSM_TEST_P11_HEADER, "r");
	CK_RV rv;

	(void)state;
	assert_non_null(f);
	while (fgets(line, sizeof(line), f) != NULL) {
		if (sscanf(line, " #define %127s %127s", name, val) != 2 ||
		    strncmp(name, "CKR_", 4) != 0 ||
		    strcmp(name, "CKR_VENDOR_DEFINED") == 0)
			continue;
		v = strtoul(val + (val[0] == '(' ? 1 : 0), NULL, 0);
		assert_string_equal(hsm_ckr_name(v), name);
		if (v == CKR_OK)
			assert_int_equal(hsm_ckr_err(v), HK_OK);
		else
			assert_true(hsm_ckr_err(v) < 0);
		seen++;
	}
	fclose(f);
	assert_true(seen >= 90);
	assert_int_equal(seen, hsm_ckr_count());
	/* Values the header does not name still get a name and a code. */
	assert_string_equal(hsm_ckr_name(0x12345UL), "CKR_0x12345");
	assert_int_equal(hsm_ckr_err(0x12345UL), HK_EHSM);
	assert_string_equal(hsm_ckr_name(CKR_VENDOR_DEFINED | 7),
	    "CKR_VENDOR_DEFINED+0x7");
	assert_int_equal(hsm_ckr_err(CKR_VENDOR_DEFINED | 7), HK_EHSM);
	/* The codes the issue names retire the session; ordinary refusals
	 * do not. */
	assert_true(hsm_ckr_retires(CKR_SESSION_HANDLE_INVALID));
	assert_true(hsm_ckr_retires(CKR_DEVICE_ERROR));
	assert_true(hsm_ckr_retires(CKR_GENERAL_ERROR));
	assert_false(hsm_ckr_retires(CKR_PIN_INCORRECT));
	assert_false(hsm_ckr_retires(CKR_KEY_HANDLE_INVALID));
	assert_false(hsm_ckr_retires(CKR_DATA_LEN_RANGE));
	/* A few meanings callers rely on. */
	assert_int_equal(hsm_ckr_err(CKR_PIN_INCORRECT), HK_EAUTH);
	assert_int_equal(hsm_ckr_err(CKR_KEY_HANDLE_INVALID), HK_ENOTFOUND);
	assert_int_equal(hsm_ckr_err(CKR_SESSION_COUNT), HK_EBUSY);
	assert_int_equal(hsm_ckr_err(CKR_WRAPPED_KEY_INVALID), HK_EVERIFY);
	assert_int_equal(hsm_ckr_err(CKR_MECHANISM_INVALID), HK_ENOTSUP);
	assert_non_null(hsm_ckr_at(0, &rv));
	assert_null(hsm_ckr_at(hsm_ckr_count(), &rv));
}

static void
test_REG3_alg_names(void **state)
{
	int a;

	(void)state;
	for (a = HSM_ALG_EC_P256; a <= HSM_ALG_AES_256; a++)
		assert_int_equal(hsm_alg_from_name(hsm_alg_name(
				     (enum hsm_alg)a)),
		    a);
	assert_int_equal(hsm_alg_from_name("rsa1024"), HSM_ALG_NONE);
	assert_string_equal(hsm_alg_name((enum hsm_alg)99), "?");
	assert_int_equal(hsm_hash_len(HSM_HASH_SHA384), 48);
}

/* The suppressions embedded in the unit tests are those of the file the
 * integration tests use, and only name third-party libraries. */
static void
test_NET4_lsan_suppressions_in_sync(void **state)
{
	char line[512], all[2048] = "";
	FILE *f = open_data("../../hsm-lsan.supp");

	(void)state;
	while (fgets(line, sizeof(line), f) != NULL) {
		if (line[0] == '#' || line[0] == '\n')
			continue;
		assert_non_null(strstr(line, "leak:lib"));
		assert_null(strstr(line, "hanko"));
		assert_null(strstr(line, "hsm_"));
		strncat(all, line, sizeof(all) - strlen(all) - 1);
	}
	fclose(f);
	assert_string_equal(all, FX_LSAN_SUPPRESSIONS);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_REG4_ecdsa_der_known_answers),
		cmocka_unit_test(test_REG4_ecdsa_der_rejects_bad_input),
		cmocka_unit_test(test_REG4_digestinfo_known_answers),
		cmocka_unit_test(test_REG4_ec_point_forms),
		cmocka_unit_test(test_REG4_spki_matches_openssl),
		cmocka_unit_test(test_REG4_ec_params),
		cmocka_unit_test(test_NET4_every_ckr_named_and_mapped),
		cmocka_unit_test(test_REG3_alg_names),
		cmocka_unit_test(test_NET4_lsan_suppressions_in_sync),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
