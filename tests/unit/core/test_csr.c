/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Unit tests for core/csr (REG-4, REG-5, SIG-8): for every scheme a CSR
 * signed by a software key inside the callback verifies with
 * X509_REQ_verify() and with `openssl req -verify`, carries the given SPKI
 * byte for byte, and the callback saw the digest of the TBS (the whole TBS
 * for Ed25519); the RSA-PSS AlgorithmIdentifier equals the one the openssl
 * command writes; a wrong or failing signature makes the build fail;
 * keys that do not fit the scheme are refused; subject fields come out as
 * given (Japanese names included) with the right string types, and read
 * back as RFC 2253 text; and hsm_key_sign() on SoftHSM plugs in as the
 * callback.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>

#include "core/csr.h"
#include "tests/unit/hsm/hsm_fixture.h"

_Static_assert(HK_CSR_SIG_MAX >= HSM_SIG_MAX, "hsm_key_sign fits");
_Static_assert(HK_CSR_SPKI_MAX >= HSM_SPKI_MAX, "every HSM SPKI fits");

/* Japanese test names: 山田 太郎, 株式会社ハンコ, 電子署名部. */
#define YAMADA "\xe5\xb1\xb1\xe7\x94\xb0 \xe5\xa4\xaa\xe9\x83\x8e"
#define KABUSHIKI "\xe6\xa0\xaa\xe5\xbc\x8f\xe4\xbc\x9a\xe7\xa4\xbe"
#define HANKO_KK KABUSHIKI "\xe3\x83\x8f\xe3\x83\xb3\xe3\x82\xb3"
#define DENSHI "\xe9\x9b\xbb\xe5\xad\x90\xe7\xbd\xb2\xe5\x90\x8d\xe9\x83\xa8"

/* A software signer standing in for the HSM. */
struct soft {
	EVP_PKEY *key;
	enum hk_csr_scheme scheme;
	int corrupt;  /* flip a bit of the signature */
	int fail;     /* return this error */
	int overlong; /* claim more bytes than the buffer */
	unsigned calls;
	size_t inlen;
	uint8_t in[8192]; /* what the callback was given */
};

static int
soft_sign(
    void *arg, const uint8_t *in, size_t inlen, uint8_t *sig, size_t *siglen)
{
	struct soft *s = arg;
	EVP_PKEY_CTX *c = NULL;
	EVP_MD_CTX *m = NULL;
	int ok = 0;

	s->calls++;
	assert_true(inlen <= sizeof(s->in));
	memcpy(s->in, in, inlen);
	s->inlen = inlen;
	assert_int_equal(*siglen, HK_CSR_SIG_MAX);
	if (s->fail)
		return s->fail;
	if (s->scheme == HK_CSR_ED25519) {
		assert_non_null(m = EVP_MD_CTX_new());
		ok = EVP_DigestSignInit(m, NULL, NULL, NULL, s->key) == 1 &&
		    EVP_DigestSign(m, sig, siglen, in, inlen) == 1;
	} else {
		assert_non_null(c = EVP_PKEY_CTX_new(s->key, NULL));
		ok = EVP_PKEY_sign_init(c) == 1;
		if (s->scheme == HK_CSR_RSA_PKCS1_SHA256)
			ok = ok &&
			    EVP_PKEY_CTX_set_rsa_padding(
			        c, RSA_PKCS1_PADDING) == 1 &&
			    EVP_PKEY_CTX_set_signature_md(c, EVP_sha256()) == 1;
		if (s->scheme == HK_CSR_RSA_PSS_SHA256)
			ok = ok &&
			    EVP_PKEY_CTX_set_rsa_padding(
			        c, RSA_PKCS1_PSS_PADDING) == 1 &&
			    EVP_PKEY_CTX_set_signature_md(c, EVP_sha256()) ==
			        1 &&
			    EVP_PKEY_CTX_set_rsa_mgf1_md(c, EVP_sha256()) ==
			        1 &&
			    EVP_PKEY_CTX_set_rsa_pss_saltlen(
			        c, RSA_PSS_SALTLEN_DIGEST) == 1;
		ok = ok && EVP_PKEY_sign(c, sig, siglen, in, inlen) == 1;
	}
	EVP_MD_CTX_free(m);
	EVP_PKEY_CTX_free(c);
	assert_true(ok);
	if (s->corrupt)
		sig[*siglen / 2] ^= 0x01;
	if (s->overlong)
		*siglen = HK_CSR_SIG_MAX + 1;
	return 0;
}

static EVP_PKEY *
soft_key(enum hk_csr_scheme scheme)
{
	switch (scheme) {
	case HK_CSR_ECDSA_P256_SHA256:
		return EVP_EC_gen("P-256");
	case HK_CSR_ECDSA_P384_SHA384:
		return EVP_EC_gen("P-384");
	case HK_CSR_RSA_PKCS1_SHA256:
	case HK_CSR_RSA_PSS_SHA256:
		return EVP_RSA_gen(2048);
	case HK_CSR_ED25519:
		return EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
	}
	return NULL;
}

/* spki_of(key, buf): the SubjectPublicKeyInfo DER of ${key}. */
static size_t
spki_of(EVP_PKEY *key, uint8_t buf[static HK_CSR_SPKI_MAX])
{
	unsigned char *p = buf;
	int n = i2d_PUBKEY(key, NULL);

	assert_true(n > 0 && n <= HK_CSR_SPKI_MAX);
	assert_int_equal(i2d_PUBKEY(key, &p), n);
	return (size_t)n;
}

/* tlv(p, len, hdr): the length of the DER element at ${p} including its
 * header; *${hdr} = header length. Definite lengths up to 4 bytes. */
static size_t
tlv(const uint8_t *p, size_t len, size_t *hdr)
{
	size_t n, i, k;

	assert_true(len >= 2);
	if (p[1] < 0x80) {
		*hdr = 2;
		return 2 + p[1];
	}
	k = p[1] & 0x7f;
	assert_true(k >= 1 && k <= 4 && len >= 2 + k);
	for (n = 0, i = 0; i < k; i++)
		n = n << 8 | p[2 + i];
	*hdr = 2 + k;
	return 2 + k + n;
}

static const struct hk_csr_subject person = {
    .country = "JP",
    .organization = HANKO_KK,
    .org_unit = DENSHI,
    .common_name = YAMADA,
    .serial_number = "IDCJP-0123456789",
    .email = "taro.yamada@example.jp",
};

/* write_tmp(dir, name, data, n, path): write a file in ${dir}. */
static void
write_tmp(const char *dir, const char *name, const void *data, size_t n,
    char path[static 512])
{
	FILE *f;

	snprintf(path, 512, "%s/%s", dir, name);
	assert_non_null(f = fopen(path, "w"));
	assert_int_equal(fwrite(data, 1, n, f), n);
	assert_int_equal(fclose(f), 0);
}

static int
run(const char *cmd)
{
	char full[2048];

	snprintf(full, sizeof(full), "%s >/dev/null 2>&1", cmd);
	return system(full);
}

static void
check_one_scheme(enum hk_csr_scheme scheme, const char *dir)
{
	static struct hk_csr csr;
	struct soft s;
	uint8_t spki[HK_CSR_SPKI_MAX], dg[EVP_MAX_MD_SIZE];
	unsigned char *enc = NULL;
	const unsigned char *p;
	char path[512], cmd[1200];
	X509_REQ *req, *req2;
	BIO *b;
	size_t spkilen, hdr, total, tbslen;
	unsigned int dlen;
	int n;

	memset(&s, 0, sizeof(s));
	s.scheme = scheme;
	assert_non_null(s.key = soft_key(scheme));
	spkilen = spki_of(s.key, spki);
	assert_int_equal(
	    hk_csr_build(spki, spkilen, &person, scheme, soft_sign, &s, &csr),
	    0);
	assert_int_equal(s.calls, 1);
	assert_true(csr.der_len > 0);

	/* OpenSSL's own verification, from the DER alone. */
	p = csr.der;
	assert_non_null(req = d2i_X509_REQ(NULL, &p, (long)csr.der_len));
	assert_ptr_equal(p, csr.der + csr.der_len);
	assert_int_equal(X509_REQ_verify(req, s.key), 1);
	/* The CSR's public key is the given SPKI, byte for byte (REG-4). */
	assert_int_equal(
	    n = i2d_X509_PUBKEY(X509_REQ_get_X509_PUBKEY(req), &enc),
	    (int)spkilen);
	assert_memory_equal(enc, spki, spkilen);
	OPENSSL_free(enc);
	/* The callback saw the digest of the TBS as it appears in the CSR
	 * (the first element of the outer SEQUENCE), or the TBS itself. */
	assert_int_equal(tlv(csr.der, csr.der_len, &hdr), csr.der_len);
	tbslen = tlv(csr.der + hdr, csr.der_len - hdr, &total);
	if (scheme == HK_CSR_ED25519) {
		assert_int_equal(s.inlen, tbslen);
		assert_memory_equal(s.in, csr.der + hdr, tbslen);
	} else {
		assert_int_equal(
		    EVP_Digest(csr.der + hdr, tbslen, dg, &dlen,
		        scheme == HK_CSR_ECDSA_P384_SHA384 ? EVP_sha384()
		                                           : EVP_sha256(),
		        NULL),
		    1);
		assert_int_equal(s.inlen, dlen);
		assert_memory_equal(s.in, dg, dlen);
	}
	/* The PEM is the same request. */
	assert_non_null(b = BIO_new_mem_buf(csr.pem, -1));
	assert_non_null(req2 = PEM_read_bio_X509_REQ(b, NULL, NULL, NULL));
	enc = NULL;
	assert_int_equal(n = i2d_X509_REQ(req2, &enc), (int)csr.der_len);
	assert_memory_equal(enc, csr.der, csr.der_len);
	OPENSSL_free(enc);
	BIO_free(b);
	X509_REQ_free(req2);
	/* The openssl command agrees, from the PEM and from the DER. */
	write_tmp(dir, "r.pem", csr.pem, strlen(csr.pem), path);
	snprintf(cmd, sizeof(cmd), "openssl req -verify -noout -in %s", path);
	assert_int_equal(run(cmd), 0);
	write_tmp(dir, "r.der", csr.der, csr.der_len, path);
	snprintf(cmd, sizeof(cmd),
	    "openssl req -verify -noout -inform DER -in %s", path);
	assert_int_equal(run(cmd), 0);
	X509_REQ_free(req);
	EVP_PKEY_free(s.key);
}

static void
mkdir_tmp(char dir[static 64])
{
	snprintf(dir, 64, "/tmp/hanko-csr-test-XXXXXX");
	assert_non_null(mkdtemp(dir));
}

static void
rm_tmp(const char *dir)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	assert_int_equal(system(cmd), 0);
}

static void
test_REG4_every_scheme_verifies(void **state)
{
	char dir[64];

	(void)state;
	mkdir_tmp(dir);
	check_one_scheme(HK_CSR_ECDSA_P256_SHA256, dir);
	check_one_scheme(HK_CSR_ECDSA_P384_SHA384, dir);
	check_one_scheme(HK_CSR_RSA_PKCS1_SHA256, dir);
	check_one_scheme(HK_CSR_RSA_PSS_SHA256, dir);
	check_one_scheme(HK_CSR_ED25519, dir);
	rm_tmp(dir);
}

static void
test_REG4_ed25519_request_matches_openssl_kat(void **state)
{
	static const struct hk_csr_subject all = {
	    .country = "JP",
	    .organization = HANKO_KK,
	    .org_unit = DENSHI,
	    .organization_identifier = "NTRJP-1234567890123",
	    .common_name = YAMADA,
	    .serial_number = "IDCJP-0123456789",
	    .email = "taro.yamada@example.jp",
	};
	static struct hk_csr csr;
	const char *top = getenv("TOP");
	static char line[8192];
	uint8_t seed[32], spki[HK_CSR_SPKI_MAX], want[4096];
	char path[1024];
	struct soft s;
	size_t i, wn;
	FILE *f;

	(void)state;
	for (i = 0; i < sizeof(seed); i++)
		seed[i] = (uint8_t)i;
	memset(&s, 0, sizeof(s));
	s.scheme = HK_CSR_ED25519;
	assert_non_null(s.key = EVP_PKEY_new_raw_private_key(
	                    EVP_PKEY_ED25519, NULL, seed, sizeof(seed)));
	assert_int_equal(hk_csr_build(spki, spki_of(s.key, spki), &all,
	                     s.scheme, soft_sign, &s, &csr),
	    0);
	snprintf(path, sizeof(path), "%s/tests/unit/core/vectors/%s",
	    top ? top : ".", "csr_ed25519_kat.txt");
	assert_non_null(f = fopen(path, "r"));
	while (fgets(line, sizeof(line), f) != NULL && line[0] == '#')
		;
	fclose(f);
	line[strcspn(line, "\n")] = '\0';
	assert_int_equal(
	    hk_hex_decode(want, sizeof(want), line, strlen(line), &wn), 0);
	/* Byte for byte: TBS encoding, string types, attribute order, the
	 * empty attributes, algorithm identifiers and the signature. */
	assert_int_equal(csr.der_len, wn);
	assert_memory_equal(csr.der, want, wn);
	EVP_PKEY_free(s.key);
}

/* sigalg_der(der, len, out): the DER of the CSR's signatureAlgorithm. */
static size_t
sigalg_der(const uint8_t *der, size_t len, uint8_t out[static 128])
{
	const unsigned char *p = der;
	const X509_ALGOR *alg = NULL;
	unsigned char *w = out;
	X509_REQ *req;
	int n;

	assert_non_null(req = d2i_X509_REQ(NULL, &p, (long)len));
	X509_REQ_get0_signature(req, NULL, &alg);
	assert_non_null(alg);
	n = i2d_X509_ALGOR(alg, NULL);
	assert_true(n > 0 && n <= 128);
	assert_int_equal(i2d_X509_ALGOR(alg, &w), n);
	X509_REQ_free(req);
	return (size_t)n;
}

static void
test_REG4_algorithm_identifiers_match_openssl(void **state)
{
	/* Expected AlgorithmIdentifiers: ecdsa-with-SHA256 and -SHA384 and
	 * Ed25519 without parameters, sha256WithRSAEncryption with NULL. */
	static const uint8_t ec256[] = {0x30, 0x0a, 0x06, 0x08, 0x2a, 0x86,
	    0x48, 0xce, 0x3d, 0x04, 0x03, 0x02};
	static const uint8_t ec384[] = {0x30, 0x0a, 0x06, 0x08, 0x2a, 0x86,
	    0x48, 0xce, 0x3d, 0x04, 0x03, 0x03};
	static const uint8_t rsa256[] = {0x30, 0x0d, 0x06, 0x09, 0x2a, 0x86,
	    0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x0b, 0x05, 0x00};
	static const uint8_t ed[] = {0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70};
	static const struct {
		enum hk_csr_scheme sc;
		const uint8_t *want;
		size_t n;
	} v[] = {{HK_CSR_ECDSA_P256_SHA256, ec256, sizeof(ec256)},
	    {HK_CSR_ECDSA_P384_SHA384, ec384, sizeof(ec384)},
	    {HK_CSR_RSA_PKCS1_SHA256, rsa256, sizeof(rsa256)},
	    {HK_CSR_ED25519, ed, sizeof(ed)}};
	static struct hk_csr csr;
	uint8_t spki[HK_CSR_SPKI_MAX], a[128], b[128], der[8192];
	char dir[64], keyp[512], cmd[1200], path[512];
	struct soft s;
	size_t i, na, nb, n;
	FILE *f;

	(void)state;
	for (i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		memset(&s, 0, sizeof(s));
		s.scheme = v[i].sc;
		assert_non_null(s.key = soft_key(v[i].sc));
		assert_int_equal(hk_csr_build(spki, spki_of(s.key, spki),
		                     &person, v[i].sc, soft_sign, &s, &csr),
		    0);
		na = sigalg_der(csr.der, csr.der_len, a);
		assert_int_equal(na, v[i].n);
		assert_memory_equal(a, v[i].want, na);
		EVP_PKEY_free(s.key);
	}
	/* RSA-PSS: the same parameters as the openssl command writes for
	 * SHA-256 with a digest-length salt (an independent encoder). */
	mkdir_tmp(dir);
	memset(&s, 0, sizeof(s));
	s.scheme = HK_CSR_RSA_PSS_SHA256;
	assert_non_null(s.key = soft_key(s.scheme));
	assert_int_equal(hk_csr_build(spki, spki_of(s.key, spki), &person,
	                     s.scheme, soft_sign, &s, &csr),
	    0);
	na = sigalg_der(csr.der, csr.der_len, a);
	snprintf(keyp, sizeof(keyp), "%s/k.pem", dir);
	assert_non_null(f = fopen(keyp, "w"));
	assert_int_equal(
	    PEM_write_PrivateKey(f, s.key, NULL, NULL, 0, NULL, NULL), 1);
	fclose(f);
	snprintf(path, sizeof(path), "%s/o.der", dir);
	snprintf(cmd, sizeof(cmd),
	    "openssl req -new -key %s -subj /CN=x -sha256 -sigopt "
	    "rsa_padding_mode:pss -sigopt rsa_pss_saltlen:digest -outform DER "
	    "-out %s",
	    keyp, path);
	assert_int_equal(run(cmd), 0);
	assert_non_null(f = fopen(path, "r"));
	n = fread(der, 1, sizeof(der), f);
	fclose(f);
	nb = sigalg_der(der, n, b);
	assert_int_equal(na, nb);
	assert_memory_equal(a, b, na);
	/* And `openssl req -text` reads the parameters as intended. */
	write_tmp(dir, "r.pem", csr.pem, strlen(csr.pem), path);
	snprintf(cmd, sizeof(cmd),
	    "openssl req -noout -text -in %s | grep -q 'Salt Length: 0x20' && "
	    "openssl req -noout -text -in %s | grep -q 'mgf1 with sha256'",
	    path, path);
	assert_int_equal(system(cmd), 0);
	EVP_PKEY_free(s.key);
	rm_tmp(dir);
}

static void
test_REG4_bad_signature_fails_the_build(void **state)
{
	static struct hk_csr csr;
	uint8_t spki[HK_CSR_SPKI_MAX], zero[64] = {0};
	struct soft s, other;
	size_t spkilen;

	(void)state;
	memset(&s, 0, sizeof(s));
	s.scheme = HK_CSR_ECDSA_P256_SHA256;
	assert_non_null(s.key = soft_key(s.scheme));
	spkilen = spki_of(s.key, spki);
	/* A flipped bit in the signature. */
	s.corrupt = 1;
	memset(&csr, 0x55, sizeof(csr));
	assert_int_equal(
	    hk_csr_build(spki, spkilen, &person, s.scheme, soft_sign, &s, &csr),
	    HK_EVERIFY);
	assert_int_equal(csr.der_len, 0);
	assert_memory_equal(csr.der, zero, sizeof(zero));
	assert_string_equal(csr.pem, "");
	/* A valid signature by another key. */
	memset(&other, 0, sizeof(other));
	other.scheme = s.scheme;
	assert_non_null(other.key = soft_key(s.scheme));
	assert_int_equal(hk_csr_build(spki, spkilen, &person, s.scheme,
	                     soft_sign, &other, &csr),
	    HK_EVERIFY);
	EVP_PKEY_free(other.key);
	/* The callback's own error is passed through. */
	s.corrupt = 0;
	s.fail = HK_EHSM;
	assert_int_equal(
	    hk_csr_build(spki, spkilen, &person, s.scheme, soft_sign, &s, &csr),
	    HK_EHSM);
	/* A length beyond the buffer is refused. */
	s.fail = 0;
	s.overlong = 1;
	assert_int_equal(
	    hk_csr_build(spki, spkilen, &person, s.scheme, soft_sign, &s, &csr),
	    HK_ETOOBIG);
	/* Ed25519 and RSA signatures altered are refused too. */
	EVP_PKEY_free(s.key);
	memset(&s, 0, sizeof(s));
	s.scheme = HK_CSR_ED25519;
	s.corrupt = 1;
	assert_non_null(s.key = soft_key(s.scheme));
	spkilen = spki_of(s.key, spki);
	assert_int_equal(
	    hk_csr_build(spki, spkilen, &person, s.scheme, soft_sign, &s, &csr),
	    HK_EVERIFY);
	EVP_PKEY_free(s.key);
	memset(&s, 0, sizeof(s));
	s.scheme = HK_CSR_RSA_PSS_SHA256;
	s.corrupt = 1;
	assert_non_null(s.key = soft_key(s.scheme));
	spkilen = spki_of(s.key, spki);
	assert_int_equal(
	    hk_csr_build(spki, spkilen, &person, s.scheme, soft_sign, &s, &csr),
	    HK_EVERIFY);
	/* A PKCS#1 v1.5 signature under a PSS scheme is refused. */
	s.corrupt = 0;
	s.scheme = HK_CSR_RSA_PKCS1_SHA256;
	assert_int_equal(hk_csr_build(spki, spkilen, &person,
	                     HK_CSR_RSA_PSS_SHA256, soft_sign, &s, &csr),
	    HK_EVERIFY);
	EVP_PKEY_free(s.key);
}

static void
test_REG4_key_must_fit_the_scheme(void **state)
{
	static struct hk_csr csr;
	uint8_t p256[HK_CSR_SPKI_MAX], rsa[HK_CSR_SPKI_MAX],
	    ed[HK_CSR_SPKI_MAX];
	uint8_t small[HK_CSR_SPKI_MAX], junk[HK_CSR_SPKI_MAX + 1];
	size_t np, nr, ne, ns;
	EVP_PKEY *k;
	struct soft s;

	(void)state;
	memset(&s, 0, sizeof(s));
	assert_non_null(k = soft_key(HK_CSR_ECDSA_P256_SHA256));
	np = spki_of(k, p256);
	EVP_PKEY_free(k);
	assert_non_null(k = soft_key(HK_CSR_RSA_PKCS1_SHA256));
	nr = spki_of(k, rsa);
	EVP_PKEY_free(k);
	assert_non_null(k = soft_key(HK_CSR_ED25519));
	ne = spki_of(k, ed);
	EVP_PKEY_free(k);
	assert_non_null(k = EVP_RSA_gen(1024));
	ns = spki_of(k, small);
	EVP_PKEY_free(k);
	assert_int_equal(hk_csr_build(p256, np, &person,
	                     HK_CSR_ECDSA_P384_SHA384, soft_sign, &s, &csr),
	    HK_EINVAL);
	assert_int_equal(hk_csr_build(p256, np, &person,
	                     HK_CSR_RSA_PKCS1_SHA256, soft_sign, &s, &csr),
	    HK_EINVAL);
	assert_int_equal(hk_csr_build(rsa, nr, &person,
	                     HK_CSR_ECDSA_P256_SHA256, soft_sign, &s, &csr),
	    HK_EINVAL);
	assert_int_equal(hk_csr_build(ed, ne, &person, HK_CSR_RSA_PSS_SHA256,
	                     soft_sign, &s, &csr),
	    HK_EINVAL);
	assert_int_equal(
	    hk_csr_build(rsa, nr, &person, HK_CSR_ED25519, soft_sign, &s, &csr),
	    HK_EINVAL);
	assert_int_equal(hk_csr_build(small, ns, &person,
	                     HK_CSR_RSA_PKCS1_SHA256, soft_sign, &s, &csr),
	    HK_EINVAL);
	assert_int_equal(hk_csr_build(p256, np, &person, (enum hk_csr_scheme)9,
	                     soft_sign, &s, &csr),
	    HK_EINVAL);
	/* Malformed SPKIs: truncated, trailing byte, empty, garbage. */
	assert_int_equal(hk_csr_build(p256, np - 1, &person,
	                     HK_CSR_ECDSA_P256_SHA256, soft_sign, &s, &csr),
	    HK_EINVAL);
	memcpy(junk, p256, np);
	junk[np] = 0;
	assert_int_equal(hk_csr_build(junk, np + 1, &person,
	                     HK_CSR_ECDSA_P256_SHA256, soft_sign, &s, &csr),
	    HK_EINVAL);
	assert_int_equal(hk_csr_build(p256, 0, &person,
	                     HK_CSR_ECDSA_P256_SHA256, soft_sign, &s, &csr),
	    HK_EINVAL);
	memset(junk, 0x30, sizeof(junk));
	assert_int_equal(hk_csr_build(junk, 100, &person,
	                     HK_CSR_ECDSA_P256_SHA256, soft_sign, &s, &csr),
	    HK_EINVAL);
	assert_int_equal(hk_csr_build(junk, sizeof(junk), &person,
	                     HK_CSR_ECDSA_P256_SHA256, soft_sign, &s, &csr),
	    HK_EINVAL);
	/* The callback was never asked to sign. */
	assert_int_equal(s.calls, 0);
}

/* entry(req, nid, type, value): the subject has exactly one ${nid} entry
 * of ASN.1 ${type} whose bytes are ${value}. */
static void
entry(X509_NAME *name, int nid, int type, const char *value)
{
	X509_NAME_ENTRY *e;
	ASN1_STRING *s;
	int i = X509_NAME_get_index_by_NID(name, nid, -1);

	assert_true(i >= 0);
	assert_int_equal(X509_NAME_get_index_by_NID(name, nid, i), -1);
	assert_non_null(e = X509_NAME_get_entry(name, i));
	assert_non_null(s = X509_NAME_ENTRY_get_data(e));
	assert_int_equal(ASN1_STRING_type(s), type);
	assert_int_equal(ASN1_STRING_length(s), (int)strlen(value));
	assert_memory_equal(ASN1_STRING_get0_data(s), value, strlen(value));
}

/* build_p256(subj, csr): a CSR for ${subj} with a fresh P-256 key. */
static int
build_p256(const struct hk_csr_subject *subj, struct hk_csr *csr)
{
	uint8_t spki[HK_CSR_SPKI_MAX];
	struct soft s;
	int r;

	memset(&s, 0, sizeof(s));
	s.scheme = HK_CSR_ECDSA_P256_SHA256;
	assert_non_null(s.key = soft_key(s.scheme));
	r = hk_csr_build(
	    spki, spki_of(s.key, spki), subj, s.scheme, soft_sign, &s, csr);
	EVP_PKEY_free(s.key);
	return r;
}

static void
test_REG5_subject_is_what_was_given(void **state)
{
	static struct hk_csr csr;
	char text[HK_CSR_SUBJECT_TEXT_MAX], dir[64], path[512], cmd[1200];
	char line[1024];
	const unsigned char *p;
	X509_REQ *req;
	X509_NAME *name;
	FILE *f;

	(void)state;
	assert_int_equal(build_p256(&person, &csr), 0);
	p = csr.der;
	assert_non_null(req = d2i_X509_REQ(NULL, &p, (long)csr.der_len));
	name = X509_REQ_get_subject_name(req);
	assert_int_equal(X509_NAME_entry_count(name), 6);
	entry(name, NID_countryName, V_ASN1_PRINTABLESTRING, "JP");
	entry(name, NID_organizationName, V_ASN1_UTF8STRING, HANKO_KK);
	entry(name, NID_organizationalUnitName, V_ASN1_UTF8STRING, DENSHI);
	entry(name, NID_commonName, V_ASN1_UTF8STRING, YAMADA);
	entry(
	    name, NID_serialNumber, V_ASN1_PRINTABLESTRING, "IDCJP-0123456789");
	entry(name, NID_pkcs9_emailAddress, V_ASN1_IA5STRING,
	    "taro.yamada@example.jp");
	/* The documented order. */
	assert_int_equal(
	    X509_NAME_get_index_by_NID(name, NID_countryName, -1), 0);
	assert_int_equal(
	    X509_NAME_get_index_by_NID(name, NID_commonName, -1), 3);
	X509_REQ_free(req);
	/* One line for the signer, RFC 2253 order, UTF-8 unescaped. */
	assert_int_equal(hk_csr_subject_text(csr.der, csr.der_len, text), 0);
	assert_string_equal(text,
	    "emailAddress=taro.yamada@example.jp,"
	    "serialNumber=IDCJP-0123456789,CN=" YAMADA ",OU=" DENSHI
	    ",O=" HANKO_KK ",C=JP");
	/* The openssl command prints the same with the same options. */
	mkdir_tmp(dir);
	write_tmp(dir, "r.pem", csr.pem, strlen(csr.pem), path);
	snprintf(cmd, sizeof(cmd),
	    "openssl req -noout -subject -nameopt RFC2253,-esc_msb -in %s",
	    path);
	assert_non_null(f = popen(cmd, "r"));
	assert_non_null(fgets(line, sizeof(line), f));
	assert_int_equal(pclose(f), 0);
	line[strcspn(line, "\n")] = '\0';
	assert_string_equal(line + strlen("subject="), text);
	rm_tmp(dir);
	/* Special characters are escaped as RFC 2253 says. */
	{
		struct hk_csr_subject s = {.common_name = "Yamada, Taro+1 "
		                                          "<a;b> \"q\" \\"};

		assert_int_equal(build_p256(&s, &csr), 0);
		assert_int_equal(
		    hk_csr_subject_text(csr.der, csr.der_len, text), 0);
		assert_string_equal(
		    text, "CN=Yamada\\, Taro\\+1 \\<a\\;b\\> \\\"q\\\" \\\\");
	}
	/* Not a CSR. */
	assert_int_equal(
	    hk_csr_subject_text((const uint8_t *)"\x30\x00", 2, text),
	    HK_EINVAL);
	assert_string_equal(text, "");
	assert_int_equal(
	    hk_csr_subject_text(csr.der, csr.der_len - 1, text), HK_EINVAL);
}

static void
test_SIG8_legal_person_subject(void **state)
{
	static const struct hk_csr_subject seal = {
	    .country = "JP",
	    .organization = HANKO_KK,
	    .organization_identifier = "NTRJP-1234567890123",
	    .common_name = HANKO_KK " e-seal",
	};
	static struct hk_csr csr;
	char text[HK_CSR_SUBJECT_TEXT_MAX];
	const unsigned char *p;
	X509_REQ *req;
	X509_NAME *name;

	(void)state;
	assert_int_equal(build_p256(&seal, &csr), 0);
	p = csr.der;
	assert_non_null(req = d2i_X509_REQ(NULL, &p, (long)csr.der_len));
	name = X509_REQ_get_subject_name(req);
	assert_int_equal(X509_NAME_entry_count(name), 4);
	entry(name, NID_organizationIdentifier, V_ASN1_UTF8STRING,
	    "NTRJP-1234567890123");
	entry(name, NID_commonName, V_ASN1_UTF8STRING, HANKO_KK " e-seal");
	X509_REQ_free(req);
	assert_int_equal(hk_csr_subject_text(csr.der, csr.der_len, text), 0);
	assert_string_equal(text,
	    "CN=" HANKO_KK " e-seal,organizationIdentifier=NTRJP-1234567890123,"
	    "O=" HANKO_KK ",C=JP");
}

static void
test_REG5_subject_refusals(void **state)
{
	static struct hk_csr csr;
	/* 64 and 65 kanji (3 bytes each): the limit counts characters. */
	char k64[64 * 3 + 1], k65[65 * 3 + 1], a65[66];
	struct hk_csr_subject s;
	size_t i;

	(void)state;
	for (i = 0; i < 65; i++)
		memcpy(k65 + 3 * i, "\xe5\xb1\xb1", 3);
	k65[65 * 3] = '\0';
	memcpy(k64, k65, 64 * 3);
	k64[64 * 3] = '\0';
	memset(a65, 'a', 65);
	a65[65] = '\0';
#define REFUSE(field, value)                                                   \
	do {                                                                   \
		s = person;                                                    \
		s.field = (value);                                             \
		assert_int_equal(build_p256(&s, &csr), HK_EINVAL);             \
	} while (0)
#define ACCEPT(field, value)                                                   \
	do {                                                                   \
		s = person;                                                    \
		s.field = (value);                                             \
		assert_int_equal(build_p256(&s, &csr), 0);                     \
	} while (0)
	REFUSE(common_name, NULL);
	REFUSE(common_name, "");
	REFUSE(common_name, k65);
	ACCEPT(common_name, k64);
	REFUSE(common_name, a65);
	REFUSE(common_name, "Taro\nYamada");
	REFUSE(common_name, "Taro\x7f");
	REFUSE(common_name, "Taro\xc2\x85");  /* U+0085, a C1 control */
	ACCEPT(common_name, "Taro\xc2\xa0Y"); /* U+00A0 is fine */
	REFUSE(common_name, "\xff\xfe");
	REFUSE(organization, "\xc0\xaf");
	REFUSE(org_unit, a65);
	REFUSE(country, "jp");
	REFUSE(country, "JPN");
	REFUSE(country, "J");
	REFUSE(country, "\xe6\x97\xa5\xe6\x9c\xac");
	ACCEPT(country, NULL);
	REFUSE(email, "\xe5\xb1\xb1@example.jp");
	REFUSE(email, "a b@example.jp");
	ACCEPT(email, NULL);
	REFUSE(serial_number, "IDC_JP");
	REFUSE(serial_number, "a@b");
	ACCEPT(serial_number, "PASJP-A1 (2024)/x:y=z?");
	REFUSE(organization_identifier, "NTR\tJP");
#undef REFUSE
#undef ACCEPT
}

/* The HSM adapter behind the callback, as the lifecycle will use it. */
struct hsm_signer {
	struct hsm_pool *pool;
	const struct hsm_keyinfo *ki;
	enum hsm_scheme scheme;
	enum hsm_hash hash;
};

static int
csr_via_hsm(
    void *arg, const uint8_t *in, size_t inlen, uint8_t *sig, size_t *siglen)
{
	struct hsm_signer *h = arg;

	return hsm_key_sign(
	    h->pool, h->ki->id, h->scheme, h->hash, in, inlen, sig, siglen);
}

static void
test_REG4_hsm_key_sign_plugs_in(void **state)
{
	static const struct {
		enum hsm_alg alg;
		enum hsm_scheme hs;
		enum hsm_hash hash;
		enum hk_csr_scheme cs;
	} v[] = {
	    {HSM_ALG_EC_P256, HSM_SIG_ECDSA, HSM_HASH_SHA256,
	        HK_CSR_ECDSA_P256_SHA256},
	    {HSM_ALG_EC_P384, HSM_SIG_ECDSA, HSM_HASH_SHA384,
	        HK_CSR_ECDSA_P384_SHA384},
	    {HSM_ALG_RSA_2048, HSM_SIG_RSA_PKCS1, HSM_HASH_SHA256,
	        HK_CSR_RSA_PKCS1_SHA256},
	    {HSM_ALG_RSA_2048, HSM_SIG_RSA_PSS, HSM_HASH_SHA256,
	        HK_CSR_RSA_PSS_SHA256},
	    {HSM_ALG_ED25519, HSM_SIG_ED25519, HSM_HASH_NONE, HK_CSR_ED25519},
	};
	static struct hk_csr csr;
	struct hsm_keyinfo ki;
	struct hsm_signer h;
	struct hsm_info info;
	struct hsm_opts o;
	struct fx x;
	char dir[64], path[512], cmd[1200];
	size_t i;

	(void)state;
	fx_setup(&x);
	o = fx_opts(&x);
	assert_int_equal(hsm_pool_new(&o, &h.pool), 0);
	hsm_pool_info(h.pool, &info);
	mkdir_tmp(dir);
	for (i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		if (v[i].alg == HSM_ALG_ED25519 && !info.has_eddsa)
			continue;
		if (v[i].hs == HSM_SIG_RSA_PSS && !info.has_rsa_pss)
			continue;
		assert_int_equal(hsm_key_generate(h.pool, v[i].alg, NULL,
		                     HSM_KEYGEN_SESSION, &ki),
		    0);
		h.ki = &ki;
		h.scheme = v[i].hs;
		h.hash = v[i].hash;
		assert_int_equal(hk_csr_build(ki.spki, ki.spki_len, &person,
		                     v[i].cs, csr_via_hsm, &h, &csr),
		    0);
		write_tmp(dir, "h.pem", csr.pem, strlen(csr.pem), path);
		snprintf(cmd, sizeof(cmd), "openssl req -verify -noout -in %s",
		    path);
		assert_int_equal(run(cmd), 0);
		/* A mismatched hash for the scheme cannot slip through. */
		if (v[i].cs == HK_CSR_ECDSA_P384_SHA384) {
			h.hash = HSM_HASH_SHA256;
			assert_int_not_equal(
			    hk_csr_build(ki.spki, ki.spki_len, &person, v[i].cs,
			        csr_via_hsm, &h, &csr),
			    0);
		}
	}
	/* SoftHSM 2.6 has both; the test must not silently skip them. */
	assert_true(info.has_eddsa);
	assert_true(info.has_rsa_pss);
	rm_tmp(dir);
	hsm_pool_free(h.pool);
	fx_teardown(&x);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_REG4_every_scheme_verifies),
	    cmocka_unit_test(test_REG4_algorithm_identifiers_match_openssl),
	    cmocka_unit_test(test_REG4_ed25519_request_matches_openssl_kat),
	    cmocka_unit_test(test_REG4_bad_signature_fails_the_build),
	    cmocka_unit_test(test_REG4_key_must_fit_the_scheme),
	    cmocka_unit_test(test_REG5_subject_is_what_was_given),
	    cmocka_unit_test(test_SIG8_legal_person_subject),
	    cmocka_unit_test(test_REG5_subject_refusals),
	    cmocka_unit_test(test_REG4_hsm_key_sign_plugs_in),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
