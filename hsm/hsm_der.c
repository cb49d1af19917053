/* SPDX-License-Identifier: Apache-2.0 */
/*
 * hsm_der: DER glue between PKCS#11 and OpenSSL (see hsm_der.h): ECDSA
 * r||s to DER, DigestInfo, CKA_EC_POINT unwrapping, SubjectPublicKeyInfo
 * building (REG-4) and the independent OpenSSL verification used by the
 * self-test and pairwise checks (REG-3, NET-4).
 */
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/param_build.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>

#include "core/log.h"
#include "hsm/hsm_der.h"

/* CKA_EC_PARAMS values: DER OIDs. */
static const uint8_t oid_p256[] = {0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d,
    0x03, 0x01, 0x07};
static const uint8_t oid_p384[] = {0x06, 0x05, 0x2b, 0x81, 0x04, 0x00, 0x22};
static const uint8_t oid_ed25519[] = {0x06, 0x03, 0x2b, 0x65, 0x70};
/* PKCS#11 3.0 also allows the curve name as a PrintableString. */
static const uint8_t str_ed25519[] = {0x13, 0x0c, 'e', 'd', 'w', 'a', 'r', 'd',
    's', '2', '5', '5', '1', '9'};

/* RFC 8017 section 9.2, note 1: DigestInfo prefixes. */
static const uint8_t di_sha256[] = {0x30, 0x31, 0x30, 0x0d, 0x06, 0x09, 0x60,
    0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x01, 0x05, 0x00, 0x04, 0x20};
static const uint8_t di_sha384[] = {0x30, 0x41, 0x30, 0x0d, 0x06, 0x09, 0x60,
    0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x02, 0x05, 0x00, 0x04, 0x30};
static const uint8_t di_sha512[] = {0x30, 0x51, 0x30, 0x0d, 0x06, 0x09, 0x60,
    0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x03, 0x05, 0x00, 0x04, 0x40};

_Static_assert(sizeof(di_sha512) + 64 == HSM_DER_DIGESTINFO_MAX,
    "DigestInfo bound");
/* 30 81 L, then twice 02 L 00 || 66 bytes. */
_Static_assert(3 + 2 * (2 + 1 + 66) == HSM_DER_ECDSA_MAX, "ECDSA DER bound");

/* Content length of the minimal INTEGER for the unsigned big-endian
 * ${p}[0..n); *skip is the number of leading zero bytes dropped. */
static size_t
der_uint_len(const uint8_t *p, size_t n, size_t *skip)
{
	size_t i = 0;

	while (i + 1 < n && p[i] == 0)
		i++;
	*skip = i;
	return (n - i) + ((p[i] & 0x80) ? 1 : 0);
}

static uint8_t *
der_put_uint(uint8_t *o, const uint8_t *p, size_t n)
{
	size_t skip, len = der_uint_len(p, n, &skip);

	*o++ = 0x02;
	*o++ = (uint8_t)len;
	if (p[skip] & 0x80)
		*o++ = 0x00;
	memcpy(o, p + skip, n - skip);
	return o + (n - skip);
}

/** hsm_der_ecdsa_sig(rs, rslen, out, outmax, outlen): r||s to DER. */
int
hsm_der_ecdsa_sig(const uint8_t *rs, size_t rslen, uint8_t *out,
    size_t outmax, size_t *outlen)
{
	size_t half = rslen / 2, skip, rl, sl, body, total;
	uint8_t *o = out;

	if (rslen == 0 || rslen % 2 != 0 || half > 66)
		return HK_EINVAL;
	rl = der_uint_len(rs, half, &skip);
	sl = der_uint_len(rs + half, half, &skip);
	body = 2 + rl + 2 + sl;
	total = body + (body < 128 ? 2 : 3);
	if (total > outmax)
		return HK_ETOOBIG;
	*o++ = 0x30;
	if (body >= 128)
		*o++ = 0x81;
	*o++ = (uint8_t)body;
	o = der_put_uint(o, rs, half);
	o = der_put_uint(o, rs + half, half);
	*outlen = (size_t)(o - out);
	return 0;
}

/** hsm_der_digestinfo(hash, dgst, dlen, out, outmax, outlen): build the
 * DigestInfo for a digest. */
int
hsm_der_digestinfo(enum hsm_hash hash, const uint8_t *dgst, size_t dlen,
    uint8_t *out, size_t outmax, size_t *outlen)
{
	const uint8_t *pre;
	size_t plen;

	switch (hash) {
	case HSM_HASH_SHA256:
		pre = di_sha256;
		plen = sizeof(di_sha256);
		break;
	case HSM_HASH_SHA384:
		pre = di_sha384;
		plen = sizeof(di_sha384);
		break;
	case HSM_HASH_SHA512:
		pre = di_sha512;
		plen = sizeof(di_sha512);
		break;
	default:
		return HK_EINVAL;
	}
	if (dlen != hsm_hash_len(hash))
		return HK_EINVAL;
	if (plen + dlen > outmax)
		return HK_ETOOBIG;
	memcpy(out, pre, plen);
	memcpy(out + plen, dgst, dlen);
	*outlen = plen + dlen;
	return 0;
}

/** hsm_der_ec_point(attr, len, rawlen, pt): find the point in a
 * CKA_EC_POINT value. */
int
hsm_der_ec_point(const uint8_t *attr, size_t len, size_t rawlen,
    const uint8_t **pt)
{
	/* The DER form first: a bare point can also begin with 0x04, but
	 * then its length is rawlen, never rawlen + 2 or + 3. */
	if (rawlen < 128 && len == rawlen + 2 && attr[0] == 0x04 &&
	    attr[1] == rawlen) {
		*pt = attr + 2;
		return 0;
	}
	if (rawlen >= 128 && rawlen < 256 && len == rawlen + 3 &&
	    attr[0] == 0x04 && attr[1] == 0x81 && attr[2] == rawlen) {
		*pt = attr + 3;
		return 0;
	}
	if (len == rawlen) {
		*pt = attr;
		return 0;
	}
	return HK_EINVAL;
}

/** hsm_der_ec_params(alg, len): CKA_EC_PARAMS for ${alg}. */
const uint8_t *
hsm_der_ec_params(enum hsm_alg alg, size_t *len)
{
	switch (alg) {
	case HSM_ALG_EC_P256:
		*len = sizeof(oid_p256);
		return oid_p256;
	case HSM_ALG_EC_P384:
		*len = sizeof(oid_p384);
		return oid_p384;
	case HSM_ALG_ED25519:
		*len = sizeof(oid_ed25519);
		return oid_ed25519;
	default:
		*len = 0;
		return NULL;
	}
}

/** hsm_der_ec_alg(params, len): the algorithm of a CKA_EC_PARAMS. */
enum hsm_alg
hsm_der_ec_alg(const uint8_t *params, size_t len)
{
#define IS(a) (len == sizeof(a) && memcmp(params, a, len) == 0)
	if (IS(oid_p256))
		return HSM_ALG_EC_P256;
	if (IS(oid_p384))
		return HSM_ALG_EC_P384;
	if (IS(oid_ed25519) || IS(str_ed25519))
		return HSM_ALG_ED25519;
#undef IS
	return HSM_ALG_NONE;
}

/* i2d_PUBKEY into a caller's buffer. */
static int
spki_put(EVP_PKEY *pk, uint8_t *out, size_t outmax, size_t *outlen)
{
	int n = i2d_PUBKEY(pk, NULL);
	uint8_t *p = out;

	if (n <= 0)
		return HK_ECRYPTO;
	if ((size_t)n > outmax)
		return HK_ETOOBIG;
	if (i2d_PUBKEY(pk, &p) != n)
		return HK_ECRYPTO;
	*outlen = (size_t)n;
	return 0;
}

/* Build a public EVP_PKEY of ${type} from ${params}, checked by OpenSSL's
 * public-key validation. */
static int
pkey_from(const char *type, OSSL_PARAM *params, EVP_PKEY **out)
{
	EVP_PKEY_CTX *ctx = NULL, *chk = NULL;
	EVP_PKEY *pk = NULL;
	int r = HK_EINVAL;

	if ((ctx = EVP_PKEY_CTX_new_from_name(NULL, type, NULL)) == NULL) {
		r = HK_ECRYPTO;
		goto out;
	}
	if (EVP_PKEY_fromdata_init(ctx) != 1 ||
	    EVP_PKEY_fromdata(ctx, &pk, EVP_PKEY_PUBLIC_KEY, params) != 1)
		goto out;
	if ((chk = EVP_PKEY_CTX_new_from_pkey(NULL, pk, NULL)) == NULL) {
		r = HK_ECRYPTO;
		goto out;
	}
	if (EVP_PKEY_public_check(chk) != 1)
		goto out;
	*out = pk;
	pk = NULL;
	r = 0;
out:
	if (r != 0)
		ERR_clear_error();
	EVP_PKEY_CTX_free(chk);
	EVP_PKEY_CTX_free(ctx);
	EVP_PKEY_free(pk);
	return r;
}

/** hsm_der_spki_ec(alg, point, ptlen, out, outmax, outlen): EC SPKI. */
int
hsm_der_spki_ec(enum hsm_alg alg, const uint8_t *point, size_t ptlen,
    uint8_t *out, size_t outmax, size_t *outlen)
{
	OSSL_PARAM_BLD *bld = NULL;
	OSSL_PARAM *params = NULL;
	EVP_PKEY *pk = NULL;
	const char *group;
	int r;

	if (alg == HSM_ALG_EC_P256)
		group = "prime256v1";
	else if (alg == HSM_ALG_EC_P384)
		group = "secp384r1";
	else
		return HK_EINVAL;
	if (ptlen == 0 || point[0] != 0x04)
		return HK_EINVAL;
	r = HK_ECRYPTO;
	if ((bld = OSSL_PARAM_BLD_new()) == NULL ||
	    OSSL_PARAM_BLD_push_utf8_string(bld, OSSL_PKEY_PARAM_GROUP_NAME,
		group, 0) != 1 ||
	    OSSL_PARAM_BLD_push_octet_string(bld, OSSL_PKEY_PARAM_PUB_KEY,
		point, ptlen) != 1 ||
	    (params = OSSL_PARAM_BLD_to_param(bld)) == NULL)
		goto out;
	if ((r = pkey_from("EC", params, &pk)) != 0 ||
	    (r = spki_put(pk, out, outmax, outlen)) != 0)
		goto out;
out:
	EVP_PKEY_free(pk);
	OSSL_PARAM_free(params);
	OSSL_PARAM_BLD_free(bld);
	return r;
}

/** hsm_der_spki_ed25519(pub, out, outmax, outlen): Ed25519 SPKI. */
int
hsm_der_spki_ed25519(const uint8_t pub[static 32], uint8_t *out,
    size_t outmax, size_t *outlen)
{
	EVP_PKEY *pk;
	int r;

	pk = EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, NULL, pub, 32);
	if (pk == NULL)
		return HK_ECRYPTO;
	r = spki_put(pk, out, outmax, outlen);
	EVP_PKEY_free(pk);
	return r;
}

/** hsm_der_spki_rsa(n, nlen, e, elen, out, outmax, outlen): RSA SPKI. */
int
hsm_der_spki_rsa(const uint8_t *n, size_t nlen, const uint8_t *e,
    size_t elen, uint8_t *out, size_t outmax, size_t *outlen)
{
	OSSL_PARAM_BLD *bld = NULL;
	OSSL_PARAM *params = NULL;
	BIGNUM *bn = NULL, *be = NULL;
	EVP_PKEY *pk = NULL;
	int r = HK_ECRYPTO;

	if (nlen == 0 || elen == 0)
		return HK_EINVAL;
	if ((bn = BN_bin2bn(n, (int)nlen, NULL)) == NULL ||
	    (be = BN_bin2bn(e, (int)elen, NULL)) == NULL ||
	    (bld = OSSL_PARAM_BLD_new()) == NULL ||
	    OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_N, bn) != 1 ||
	    OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_E, be) != 1 ||
	    (params = OSSL_PARAM_BLD_to_param(bld)) == NULL)
		goto out;
	if ((r = pkey_from("RSA", params, &pk)) != 0 ||
	    (r = spki_put(pk, out, outmax, outlen)) != 0)
		goto out;
out:
	EVP_PKEY_free(pk);
	OSSL_PARAM_free(params);
	OSSL_PARAM_BLD_free(bld);
	BN_free(bn);
	BN_free(be);
	return r;
}

/* The algorithm of a decoded public key. */
static enum hsm_alg
pkey_alg(EVP_PKEY *pk)
{
	char group[64];
	size_t glen = 0;
	int nid;

	switch (EVP_PKEY_get_base_id(pk)) {
	case EVP_PKEY_ED25519:
		return HSM_ALG_ED25519;
	case EVP_PKEY_RSA:
		switch (EVP_PKEY_get_bits(pk)) {
		case 2048:
			return HSM_ALG_RSA_2048;
		case 3072:
			return HSM_ALG_RSA_3072;
		}
		return HSM_ALG_NONE;
	case EVP_PKEY_EC:
		if (EVP_PKEY_get_group_name(pk, group, sizeof(group), &glen) !=
		    1)
			return HSM_ALG_NONE;
		if ((nid = OBJ_txt2nid(group)) == NID_undef)
			nid = EC_curve_nist2nid(group);
		if (nid == NID_X9_62_prime256v1)
			return HSM_ALG_EC_P256;
		if (nid == NID_secp384r1)
			return HSM_ALG_EC_P384;
		return HSM_ALG_NONE;
	}
	return HSM_ALG_NONE;
}

/* Decode an SPKI completely (no trailing bytes). */
static EVP_PKEY *
spki_decode(const uint8_t *spki, size_t len)
{
	const uint8_t *p = spki;
	EVP_PKEY *pk;

	if (len == 0 || len > HSM_SPKI_MAX)
		return NULL;
	pk = d2i_PUBKEY(NULL, &p, (long)len);
	if (pk != NULL && p != spki + len) {
		EVP_PKEY_free(pk);
		pk = NULL;
	}
	if (pk == NULL)
		ERR_clear_error();
	return pk;
}

/** hsm_der_spki_pkey(spki, len): the SPKI as an EVP_PKEY. */
EVP_PKEY *
hsm_der_spki_pkey(const uint8_t *spki, size_t len)
{
	return spki_decode(spki, len);
}

/** hsm_der_spki_alg(spki, len): the algorithm of an SPKI. */
enum hsm_alg
hsm_der_spki_alg(const uint8_t *spki, size_t len)
{
	EVP_PKEY *pk = spki_decode(spki, len);
	enum hsm_alg a;

	if (pk == NULL)
		return HSM_ALG_NONE;
	a = pkey_alg(pk);
	EVP_PKEY_free(pk);
	return a;
}

/** hsm_der_spki_parse(spki, len, out): the public key of an SPKI. */
int
hsm_der_spki_parse(const uint8_t *spki, size_t len, struct hsm_der_pub *out)
{
	EVP_PKEY *pk = spki_decode(spki, len);
	BIGNUM *n = NULL, *e = NULL;
	int r = HK_EINVAL;

	memset(out, 0, sizeof(*out));
	if (pk == NULL || (out->alg = pkey_alg(pk)) == HSM_ALG_NONE)
		goto out;
	r = HK_ECRYPTO;
	switch (out->alg) {
	case HSM_ALG_ED25519:
		out->ptlen = sizeof(out->point);
		if (EVP_PKEY_get_raw_public_key(pk, out->point, &out->ptlen) !=
			1 ||
		    out->ptlen != 32)
			goto out;
		break;
	case HSM_ALG_EC_P256:
	case HSM_ALG_EC_P384:
		/* Uncompressed, whatever form the SPKI used. */
		if (EVP_PKEY_set_utf8_string_param(pk,
			OSSL_PKEY_PARAM_EC_POINT_CONVERSION_FORMAT,
			"uncompressed") != 1 ||
		    EVP_PKEY_get_octet_string_param(pk,
			OSSL_PKEY_PARAM_ENCODED_PUBLIC_KEY, out->point,
			sizeof(out->point), &out->ptlen) != 1)
			goto out;
		break;
	default:
		if (EVP_PKEY_get_bn_param(pk, OSSL_PKEY_PARAM_RSA_N, &n) != 1 ||
		    EVP_PKEY_get_bn_param(pk, OSSL_PKEY_PARAM_RSA_E, &e) != 1 ||
		    (size_t)BN_num_bytes(n) > sizeof(out->n) ||
		    (size_t)BN_num_bytes(e) > sizeof(out->e))
			goto out;
		out->nlen = (size_t)BN_bn2bin(n, out->n);
		out->elen = (size_t)BN_bn2bin(e, out->e);
		break;
	}
	r = 0;
out:
	ERR_clear_error();
	BN_free(n);
	BN_free(e);
	EVP_PKEY_free(pk);
	return r;
}

static const EVP_MD *
hash_md(enum hsm_hash hash)
{
	switch (hash) {
	case HSM_HASH_SHA256:
		return EVP_sha256();
	case HSM_HASH_SHA384:
		return EVP_sha384();
	case HSM_HASH_SHA512:
		return EVP_sha512();
	default:
		return NULL;
	}
}

/** hsm_der_verify(spki, len, scheme, hash, in, inlen, sig, siglen):
 * verify with OpenSSL. */
int
hsm_der_verify(const uint8_t *spki, size_t len, enum hsm_scheme scheme,
    enum hsm_hash hash, const uint8_t *in, size_t inlen, const uint8_t *sig,
    size_t siglen)
{
	EVP_PKEY *pk = NULL;
	EVP_PKEY_CTX *ctx = NULL;
	EVP_MD_CTX *mctx = NULL;
	const EVP_MD *md = hash_md(hash);
	int r = HK_EINVAL, v;

	if ((pk = spki_decode(spki, len)) == NULL)
		goto out;
	if (scheme == HSM_SIG_ED25519) {
		if (EVP_PKEY_get_base_id(pk) != EVP_PKEY_ED25519 ||
		    hash != HSM_HASH_NONE)
			goto out;
		r = HK_ECRYPTO;
		if ((mctx = EVP_MD_CTX_new()) == NULL ||
		    EVP_DigestVerifyInit(mctx, NULL, NULL, NULL, pk) != 1)
			goto out;
		v = EVP_DigestVerify(mctx, sig, siglen, in, inlen);
		r = v == 1 ? 0 : HK_EVERIFY;
		goto out;
	}
	if (md == NULL || inlen != hsm_hash_len(hash))
		goto out;
	r = HK_ECRYPTO;
	if ((ctx = EVP_PKEY_CTX_new_from_pkey(NULL, pk, NULL)) == NULL ||
	    EVP_PKEY_verify_init(ctx) != 1)
		goto out;
	switch (scheme) {
	case HSM_SIG_ECDSA:
		if (EVP_PKEY_get_base_id(pk) != EVP_PKEY_EC) {
			r = HK_EINVAL;
			goto out;
		}
		break;
	case HSM_SIG_RSA_PKCS1:
		if (EVP_PKEY_get_base_id(pk) != EVP_PKEY_RSA) {
			r = HK_EINVAL;
			goto out;
		}
		if (EVP_PKEY_CTX_set_rsa_padding(ctx, RSA_PKCS1_PADDING) != 1)
			goto out;
		break;
	case HSM_SIG_RSA_PSS:
		if (EVP_PKEY_get_base_id(pk) != EVP_PKEY_RSA) {
			r = HK_EINVAL;
			goto out;
		}
		if (EVP_PKEY_CTX_set_rsa_padding(ctx, RSA_PKCS1_PSS_PADDING) !=
			1 ||
		    EVP_PKEY_CTX_set_rsa_mgf1_md(ctx, md) != 1 ||
		    EVP_PKEY_CTX_set_rsa_pss_saltlen(ctx,
			RSA_PSS_SALTLEN_DIGEST) != 1)
			goto out;
		break;
	default:
		r = HK_EINVAL;
		goto out;
	}
	if (EVP_PKEY_CTX_set_signature_md(ctx, md) != 1)
		goto out;
	v = EVP_PKEY_verify(ctx, sig, siglen, in, inlen);
	r = v == 1 ? 0 : HK_EVERIFY;
out:
	ERR_clear_error();
	EVP_MD_CTX_free(mctx);
	EVP_PKEY_CTX_free(ctx);
	EVP_PKEY_free(pk);
	return r;
}
