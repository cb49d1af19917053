/* SPDX-License-Identifier: Apache-2.0 */
/*
 * csr: PKCS#10 certificate signing requests for a key that lives
 * elsewhere (REG-4: the CSR is produced by the appliance and signed with
 * the key whose fingerprint was recorded at generation; REG-5: the
 * subject is shown to the signer before the CSR is released). The caller
 * gives the public key as SubjectPublicKeyInfo DER, the subject, the
 * signature scheme and a signing callback; this module builds the
 * CertificationRequestInfo, hands the callback what to sign (the digest
 * of the DER TBS for ECDSA and RSA, so that hsm_key_sign() fits behind it
 * unchanged; the whole TBS for Ed25519), assembles the request on OpenSSL
 * 3.0 without any engine or provider (i2d_re_X509_REQ_tbs,
 * X509_REQ_set1_signature_algo, X509_REQ_set0_signature), and checks it
 * with X509_REQ_verify() against the given key before returning it.
 *
 * Subject strings: UTF8String for the DirectoryString attributes (O, OU,
 * CN, organizationIdentifier); RFC 5280 requires PrintableString for
 * countryName and serialNumber and IA5String for emailAddress, so those
 * are restricted to the matching characters. The type is set explicitly,
 * independent of OpenSSL's global string mask.
 *
 * No allocation is visible to the caller: the result is a struct the
 * caller provides (about 10 KiB: put it on a worker's stack or in the
 * caller's object). Thread-safe; the callback runs on the calling thread
 * (for an HSM it blocks: call from a worker thread, never an event loop).
 */
#ifndef HK_CSR_H
#define HK_CSR_H

#include <stddef.h>
#include <stdint.h>

#include "core/err.h"

/* Largest CSR in DER, and in PEM with its NUL. */
#define HK_CSR_DER_MAX 4096
#define HK_CSR_PEM_MAX 6144
/* Largest signature the callback may return (RSA-4096; HSM_SIG_MAX). */
#define HK_CSR_SIG_MAX 512
/* Largest SubjectPublicKeyInfo accepted (HSM_SPKI_MAX). */
#define HK_CSR_SPKI_MAX 600
/* hk_csr_subject_text() output, with its NUL. */
#define HK_CSR_SUBJECT_TEXT_MAX 2048
/* Subject limits, in characters (RFC 5280 upper bounds). */
#define HK_CSR_NAME_MAX 64   /* O, OU, CN, serialNumber */
#define HK_CSR_ORGID_MAX 128 /* organizationIdentifier */
#define HK_CSR_EMAIL_MAX 128 /* emailAddress (OpenSSL's bound) */

/* Signature schemes. The numbers are stable (they may be recorded). */
enum hk_csr_scheme {
	HK_CSR_ECDSA_P256_SHA256 = 1, /* ecdsa-with-SHA256, P-256 key */
	HK_CSR_ECDSA_P384_SHA384 = 2, /* ecdsa-with-SHA384, P-384 key */
	HK_CSR_RSA_PKCS1_SHA256 = 3,  /* sha256WithRSAEncryption */
	HK_CSR_RSA_PSS_SHA256 = 4,    /* RSASSA-PSS: SHA-256, MGF1-SHA-256,
	                                 salt 32, trailer 1 (RFC 4055) */
	HK_CSR_ED25519 = 5,           /* id-Ed25519 (RFC 8410) */
};

/* The subject. Each member is a NUL-terminated UTF-8 string, or NULL (or
 * "") when absent; at least common_name is required. Attributes appear in
 * the name in this order: C, O, OU, organizationIdentifier, CN,
 * serialNumber, emailAddress. Borrowed for the duration of the call. */
struct hk_csr_subject {
	const char *country;      /* C: two letters A-Z (e.g. "JP") */
	const char *organization; /* O */
	const char *org_unit;     /* OU */
	const char *organization_identifier; /* 2.5.4.97 (legal persons,
	                                        ETSI EN 319 412-1), e.g.
	                                        "NTRJP-1234567890123" */
	const char *common_name;             /* CN (required) */
	const char *serial_number; /* 2.5.4.5: PrintableString characters */
	const char *email;         /* emailAddress: printable ASCII */
};

/** Signing callback. ${in} (${inlen} bytes) is the digest of the TBS
 * (SHA-256, or SHA-384 for P-384) for ECDSA and RSA, and the whole TBS for
 * Ed25519. On entry *${siglen} is the capacity of ${sig}
 * (HK_CSR_SIG_MAX); the callback writes the signature (DER
 * Ecdsa-Sig-Value for ECDSA; the raw value for RSA PKCS#1 v1.5, RSA-PSS
 * and Ed25519) and sets *${siglen}. Returns 0 or a negative HK_E*, which
 * hk_csr_build() returns. */
typedef int (*hk_csr_sign_cb)(
    void *arg, const uint8_t *in, size_t inlen, uint8_t *sig, size_t *siglen);

/* A finished request. */
struct hk_csr {
	size_t der_len;
	uint8_t der[HK_CSR_DER_MAX];
	char pem[HK_CSR_PEM_MAX]; /* "-----BEGIN CERTIFICATE REQUEST-----" */
};

/** hk_csr_build(spki, spkilen, subj, scheme, sign, arg, out): build a
 * PKCS#10 v1 request with subject ${subj} for the public key ${spki}
 * (SubjectPublicKeyInfo DER, at most HK_CSR_SPKI_MAX bytes, in canonical
 * form: it appears in the CSR byte for byte), signed through ${sign}
 * (${arg} is passed through) with ${scheme}, and verified with
 * X509_REQ_verify() against ${spki}; fill ${out} with its DER and PEM.
 * The request has no attributes or requested extensions (the CA's profile
 * sets them). Returns 0; HK_EINVAL (SPKI malformed, not canonical, or not
 * the key type of ${scheme}, e.g. RSA under 2048 bits; subject field
 * missing, too long, not UTF-8, containing control characters, or outside
 * its string type's characters); HK_EVERIFY (the callback's signature
 * does not verify: nothing is returned); HK_ETOOBIG (callback claims a
 * longer signature than its buffer, or the CSR exceeds HK_CSR_DER_MAX);
 * the callback's error; HK_ENOMEM or HK_ECRYPTO. ${out} is zeroed unless
 * 0 is returned. Details are logged; subject values are not. */
HK_MUST_CHECK int hk_csr_build(const uint8_t *spki, size_t spkilen,
    const struct hk_csr_subject *subj, enum hk_csr_scheme scheme,
    hk_csr_sign_cb sign, void *arg, struct hk_csr *out);

/** hk_csr_subject_text(der, len, out): the subject of the DER CSR ${der}
 * as one line in RFC 2253 form (most specific attribute first, e.g.
 * "CN=山田 太郎,O=...,C=JP"), with non-ASCII characters as UTF-8 rather
 * than escaped, and RFC 2253 escaping of ',', '+', '"', '\', '<', '>',
 * ';' and control characters; for showing the signer what they confirm.
 * Returns 0, HK_EINVAL (not a CSR, or trailing bytes) or HK_ETOOBIG;
 * ${out} is an empty string on failure. */
HK_MUST_CHECK int hk_csr_subject_text(
    const uint8_t *der, size_t len, char out[static HK_CSR_SUBJECT_TEXT_MAX]);

/** hk_csr_scheme_name(scheme): "ecdsa-p256-sha256", "ecdsa-p384-sha384",
 * "rsa-pkcs1-sha256", "rsa-pss-sha256", "ed25519" or "?"; static. */
const char *hk_csr_scheme_name(enum hk_csr_scheme scheme);

#endif
