/* SPDX-License-Identifier: Apache-2.0 */
/*
 * hsm_der: the small DER encodings between PKCS#11 and the rest of the
 * world. PKCS#11 returns ECDSA signatures as r||s, CSC clients and X.509
 * want DER; RSA PKCS#1 v1.5 over a digest needs the DigestInfo the module
 * does not build for CKM_RSA_PKCS; CKA_EC_POINT arrives DER-wrapped (SoftHSM
 * wraps even Ed25519 keys: 04 20 || key); and the SubjectPublicKeyInfo the
 * adapter returns (REG-4) is built here from the module's public-key
 * attributes with OpenSSL. Pure functions, no allocation except inside
 * OpenSSL; any thread.
 */
#ifndef HK_HSM_DER_H
#define HK_HSM_DER_H

#include <stddef.h>
#include <stdint.h>

#include "core/err.h"
#include "hsm/hsm.h"

/* DER ECDSA-Sig-Value for halves of up to 66 bytes (P-521) fits in: */
#define HSM_DER_ECDSA_MAX 141
/* Largest DigestInfo (SHA-512): 19-byte prefix + 64. */
#define HSM_DER_DIGESTINFO_MAX 83

/** hsm_der_ecdsa_sig(rs, rslen, out, outmax, outlen): encode the PKCS#11
 * ECDSA signature ${rs} (r||s, two big-endian halves of equal length, at
 * most 66 bytes each) as DER SEQUENCE { INTEGER r, INTEGER s } in minimal
 * form (leading zero bytes dropped, one 0x00 added before a set high
 * bit). 0, HK_EINVAL (odd, empty or too long ${rslen}) or HK_ETOOBIG. */
HK_MUST_CHECK int hsm_der_ecdsa_sig(const uint8_t *rs, size_t rslen,
    uint8_t *out, size_t outmax, size_t *outlen);

/** hsm_der_digestinfo(hash, dgst, dlen, out, outmax, outlen): the
 * RFC 8017 DigestInfo for ${dgst} under ${hash} (SHA-256/384/512).
 * 0, HK_EINVAL (unknown hash or ${dlen} not its length) or HK_ETOOBIG. */
HK_MUST_CHECK int hsm_der_digestinfo(enum hsm_hash hash, const uint8_t *dgst,
    size_t dlen, uint8_t *out, size_t outmax, size_t *outlen);

/** hsm_der_ec_point(attr, len, rawlen, pt): locate the ${rawlen}-byte point
 * in a CKA_EC_POINT value ${attr}: either the DER OCTET STRING PKCS#11
 * specifies (04 LEN || point) or, as some modules return, the bare point.
 * Sets *${pt} into ${attr}. 0 or HK_EINVAL. */
HK_MUST_CHECK int hsm_der_ec_point(const uint8_t *attr, size_t len,
    size_t rawlen, const uint8_t **pt);

/** hsm_der_ec_params(alg, len): the CKA_EC_PARAMS value (DER OID) for
 * ${alg}: prime256v1, secp384r1 or id-Ed25519 (RFC 8410); NULL for others.
 * Static bytes. */
const uint8_t *hsm_der_ec_params(enum hsm_alg alg, size_t *len);

/** hsm_der_ec_alg(params, len): the algorithm whose CKA_EC_PARAMS is
 * ${params}; also accepts the PrintableString "edwards25519" that PKCS#11
 * 3.0 allows. HSM_ALG_NONE if unknown. */
enum hsm_alg hsm_der_ec_alg(const uint8_t *params, size_t len);

/** hsm_der_spki_ec(alg, point, ptlen, out, outmax, outlen): SPKI DER for
 * the uncompressed point ${point} (04||X||Y) on ${alg}'s curve, checked by
 * OpenSSL to lie on the curve. 0, HK_EINVAL, HK_ETOOBIG or HK_ECRYPTO. */
HK_MUST_CHECK int hsm_der_spki_ec(enum hsm_alg alg, const uint8_t *point,
    size_t ptlen, uint8_t *out, size_t outmax, size_t *outlen);

/** hsm_der_spki_ed25519(pub, out, outmax, outlen): SPKI DER (RFC 8410) for
 * the 32-byte Ed25519 public key ${pub}. 0, HK_ETOOBIG or HK_ECRYPTO. */
HK_MUST_CHECK int hsm_der_spki_ed25519(const uint8_t pub[static 32],
    uint8_t *out, size_t outmax, size_t *outlen);

/** hsm_der_spki_rsa(n, nlen, e, elen, out, outmax, outlen): SPKI DER for
 * the RSA public key (${n}, ${e}), big-endian. 0, HK_EINVAL, HK_ETOOBIG
 * or HK_ECRYPTO. */
HK_MUST_CHECK int hsm_der_spki_rsa(const uint8_t *n, size_t nlen,
    const uint8_t *e, size_t elen, uint8_t *out, size_t outmax,
    size_t *outlen);

/* The public key of an SPKI in the form PKCS#11 objects hold it. */
struct hsm_der_pub {
	enum hsm_alg alg;
	uint8_t point[133];	/* EC: 04||X||Y; Ed25519: the 32-byte key */
	size_t ptlen;
	uint8_t n[512];		/* RSA modulus, big-endian */
	size_t nlen;
	uint8_t e[16];		/* RSA public exponent, big-endian */
	size_t elen;
};

/** hsm_der_spki_parse(spki, len, out): decode ${spki} (exactly ${len}
 * bytes, no trailing data) into ${out}. 0, HK_EINVAL (malformed, or an
 * algorithm the adapter does not handle) or HK_ECRYPTO. */
HK_MUST_CHECK int hsm_der_spki_parse(const uint8_t *spki, size_t len,
    struct hsm_der_pub *out);

struct evp_pkey_st;

/** hsm_der_spki_pkey(spki, len): the SPKI ${spki} (exactly ${len} bytes)
 * as an OpenSSL EVP_PKEY, e.g. for X509_REQ_set_pubkey() when a CSR is
 * built around a module key; the caller frees it with EVP_PKEY_free().
 * NULL if malformed. */
struct evp_pkey_st *hsm_der_spki_pkey(const uint8_t *spki, size_t len);

/** hsm_der_spki_alg(spki, len): the algorithm of the SPKI ${spki} if it is
 * one the adapter handles (curve or modulus size included), else
 * HSM_ALG_NONE. */
enum hsm_alg hsm_der_spki_alg(const uint8_t *spki, size_t len);

/** hsm_der_verify(spki, len, scheme, hash, in, inlen, sig, siglen):
 * verify ${sig} over ${in} (a digest of ${hash}, or the message for
 * Ed25519) with OpenSSL and the public key ${spki}, as a consumer of the
 * signature would: the independent check behind the self-test and the
 * pairwise consistency test. 0, HK_EVERIFY, HK_EINVAL or HK_ECRYPTO. */
HK_MUST_CHECK int hsm_der_verify(const uint8_t *spki, size_t len,
    enum hsm_scheme scheme, enum hsm_hash hash, const uint8_t *in,
    size_t inlen, const uint8_t *sig, size_t siglen);

#endif
