/* SPDX-License-Identifier: Apache-2.0 */
/*
 * csr: PKCS#10 requests signed through a callback by a key held elsewhere,
 * with the TBS signed by hand on OpenSSL 3.0 (see csr.h and
 * shared/research/c-style-and-libs.md B.9). Serves REG-4 (the CSR carries
 * the generated key, byte for byte, and is signed by it) and REG-5 (the
 * subject shown to the signer is read back from the CSR itself).
 */
#include <stdbool.h>
#include <string.h>

#include <openssl/asn1.h>
#include <openssl/bio.h>
#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "core/codec.h"
#include "core/csr.h"
#include "core/log.h"

/* Base64 of the largest DER in 64-character lines, plus the two armour
 * lines: the PEM always fits. */
_Static_assert(HK_CSR_PEM_MAX > (HK_CSR_DER_MAX + 2) / 3 * 4 +
            (HK_CSR_DER_MAX + 2) / 3 * 4 / 64 + 1 + 80,
    "HK_CSR_PEM_MAX holds the PEM of HK_CSR_DER_MAX bytes");

/*
 * The RSASSA-PSS AlgorithmIdentifier (RFC 4055 section 3.1) for SHA-256,
 * MGF1 with SHA-256, a 32-byte salt and the default trailer field,
 * exactly as OpenSSL 3.0 writes it for `openssl req -sigopt
 * rsa_padding_mode:pss -sigopt rsa_pss_saltlen:digest -sha256` (hash
 * AlgorithmIdentifiers with NULL parameters, as RFC 4055's
 * sha256Identifier):
 *   SEQUENCE { OID 1.2.840.113549.1.1.10,
 *     SEQUENCE { [0] SEQUENCE { OID sha256, NULL },
 *                [1] SEQUENCE { OID mgf1, SEQUENCE { OID sha256, NULL } },
 *                [2] INTEGER 32 } }
 * A constant is easier to audit than the same bytes assembled from
 * RSA_PSS_PARAMS at run time.
 */
static const uint8_t pss_sha256_alg[] = {0x30, 0x41, 0x06, 0x09, 0x2a, 0x86,
    0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x0a, 0x30, 0x34, 0xa0, 0x0f, 0x30,
    0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x01,
    0x05, 0x00, 0xa1, 0x1c, 0x30, 0x1a, 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86,
    0xf7, 0x0d, 0x01, 0x01, 0x08, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48,
    0x01, 0x65, 0x03, 0x04, 0x02, 0x01, 0x05, 0x00, 0xa2, 0x03, 0x02, 0x01,
    0x20};

/** hk_csr_scheme_name(scheme): a static name. */
const char *
hk_csr_scheme_name(enum hk_csr_scheme scheme)
{
	switch (scheme) {
	case HK_CSR_ECDSA_P256_SHA256:
		return "ecdsa-p256-sha256";
	case HK_CSR_ECDSA_P384_SHA384:
		return "ecdsa-p384-sha384";
	case HK_CSR_RSA_PKCS1_SHA256:
		return "rsa-pkcs1-sha256";
	case HK_CSR_RSA_PSS_SHA256:
		return "rsa-pss-sha256";
	case HK_CSR_ED25519:
		return "ed25519";
	}
	return "?";
}

/* Character classes of the subject's string types. */
enum field_type {
	FIELD_UTF8,      /* UTF8String: any character but controls */
	FIELD_PRINTABLE, /* PrintableString (X.680 41.4) */
	FIELD_COUNTRY,   /* PrintableString, two letters A-Z */
	FIELD_IA5,       /* IA5String, limited to visible ASCII */
};

/* char_ok(type, c): ${c} may appear in a string of ${type} (the ASCII
 * types; FIELD_UTF8 is checked separately). */
static bool
char_ok(enum field_type type, unsigned char c)
{
	switch (type) {
	case FIELD_COUNTRY:
		return c >= 'A' && c <= 'Z';
	case FIELD_IA5:
		/* Visible ASCII: no space, no controls. */
		return c > 0x20 && c < 0x7f;
	case FIELD_PRINTABLE:
		return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
		    (c >= '0' && c <= '9') ||
		    (c != '\0' && strchr(" '()+,-./:=?", c) != NULL);
	case FIELD_UTF8:
		break;
	}
	return false;
}

/* field_ok(s, type, max, what): ${s} is a valid value of ${type} with 1
 * to ${max} characters; logs which field is wrong (not its value). */
static bool
field_ok(const char *s, enum field_type type, size_t max, const char *what)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t n = strlen(s), chars = 0, i;
	const char *why = NULL;

	switch (type) {
	case FIELD_UTF8:
		if (!hk_utf8_valid(p, n)) {
			why = "is not UTF-8";
			break;
		}
		for (i = 0; i < n && why == NULL; i++) {
			/* C0 controls and DEL; C1 controls are U+0080 to
			 * U+009F, encoded as C2 80 to C2 9F. */
			if (p[i] < 0x20 || p[i] == 0x7f ||
			    (p[i] == 0xc2 && i + 1 < n && p[i + 1] < 0xa0))
				why = "contains a control character";
			if ((p[i] & 0xc0) != 0x80)
				chars++;
		}
		break;
	case FIELD_PRINTABLE:
	case FIELD_COUNTRY:
	case FIELD_IA5:
		for (i = 0; i < n && why == NULL; i++)
			if (!char_ok(type, p[i]))
				why = "has a character its string type "
				      "does not allow";
		chars = n;
		if (why == NULL && type == FIELD_COUNTRY && n != 2)
			why = "is not two letters";
		break;
	}
	if (why == NULL && chars == 0)
		why = "is empty";
	if (why == NULL && chars > max)
		why = "is too long";
	if (why != NULL) {
		hk_error_f("subject %s %s", what, why);
		return false;
	}
	return true;
}

/* add_field(name, nid, s, asn1_type): append one RDN with the value ${s}
 * of the given ASN.1 string type. Passing a V_ASN1_* type rather than
 * MBSTRING_UTF8 makes OpenSSL store the bytes under exactly that type,
 * without consulting its global string mask or size table; field_ok()
 * has checked the characters. */
static bool
add_field(X509_NAME *name, int nid, const char *s, int asn1_type)
{
	return X509_NAME_add_entry_by_NID(name, nid, asn1_type,
	           (const unsigned char *)s, (int)strlen(s), -1, 0) == 1;
}

static bool
present(const char *s)
{
	return s != NULL && s[0] != '\0';
}

/* subject_name(subj, out): the X509_NAME for ${subj}; 0 or HK_EINVAL /
 * HK_ENOMEM. */
static int
subject_name(const struct hk_csr_subject *subj, X509_NAME **out)
{
	const struct {
		const char *s;
		int nid;
		enum field_type type;
		int asn1;
		size_t max;
		const char *what;
	} f[] = {
	    {subj->country, NID_countryName, FIELD_COUNTRY,
	        V_ASN1_PRINTABLESTRING, 2, "country"},
	    {subj->organization, NID_organizationName, FIELD_UTF8,
	        V_ASN1_UTF8STRING, HK_CSR_NAME_MAX, "organization"},
	    {subj->org_unit, NID_organizationalUnitName, FIELD_UTF8,
	        V_ASN1_UTF8STRING, HK_CSR_NAME_MAX, "organizational unit"},
	    {subj->organization_identifier, NID_organizationIdentifier,
	        FIELD_UTF8, V_ASN1_UTF8STRING, HK_CSR_ORGID_MAX,
	        "organization identifier"},
	    {subj->common_name, NID_commonName, FIELD_UTF8, V_ASN1_UTF8STRING,
	        HK_CSR_NAME_MAX, "common name"},
	    {subj->serial_number, NID_serialNumber, FIELD_PRINTABLE,
	        V_ASN1_PRINTABLESTRING, HK_CSR_NAME_MAX, "serial number"},
	    {subj->email, NID_pkcs9_emailAddress, FIELD_IA5, V_ASN1_IA5STRING,
	        HK_CSR_EMAIL_MAX, "email address"},
	};
	X509_NAME *name = NULL;
	size_t i;
	int r = HK_EINVAL;

	if (!present(subj->common_name)) {
		hk_error_f("subject common name is missing");
		goto out;
	}
	for (i = 0; i < sizeof(f) / sizeof(f[0]); i++)
		if (present(f[i].s) &&
		    !field_ok(f[i].s, f[i].type, f[i].max, f[i].what))
			goto out;
	r = HK_ENOMEM;
	if ((name = X509_NAME_new()) == NULL)
		goto out;
	for (i = 0; i < sizeof(f) / sizeof(f[0]); i++)
		if (present(f[i].s) &&
		    !add_field(name, f[i].nid, f[i].s, f[i].asn1))
			goto out;
	*out = name;
	name = NULL;
	r = 0;
out:
	X509_NAME_free(name);
	return r;
}

/* key_fits(pub, scheme): the key type (and curve, size) ${scheme} needs. */
static bool
key_fits(EVP_PKEY *pub, enum hk_csr_scheme scheme)
{
	char group[64];
	size_t glen = 0;
	const char *want = NULL;

	switch (scheme) {
	case HK_CSR_ECDSA_P256_SHA256:
		want = "prime256v1";
		break;
	case HK_CSR_ECDSA_P384_SHA384:
		want = "secp384r1";
		break;
	case HK_CSR_RSA_PKCS1_SHA256:
	case HK_CSR_RSA_PSS_SHA256:
		return EVP_PKEY_is_a(pub, "RSA") &&
		    EVP_PKEY_get_bits(pub) >= 2048;
	case HK_CSR_ED25519:
		return EVP_PKEY_is_a(pub, "ED25519");
	}
	if (want == NULL || !EVP_PKEY_is_a(pub, "EC") ||
	    EVP_PKEY_get_utf8_string_param(pub, OSSL_PKEY_PARAM_GROUP_NAME,
	        group, sizeof(group), &glen) != 1)
		return false;
	return strcmp(group, want) == 0;
}

/* sig_alg(scheme, md): a new AlgorithmIdentifier for ${scheme} and the
 * digest the callback receives (NULL for Ed25519); NULL on ENOMEM. */
static X509_ALGOR *
sig_alg(enum hk_csr_scheme scheme, const EVP_MD **md)
{
	const unsigned char *p = pss_sha256_alg;
	X509_ALGOR *alg;
	int nid, ptype;

	switch (scheme) {
	case HK_CSR_ECDSA_P256_SHA256:
		nid = NID_ecdsa_with_SHA256, ptype = V_ASN1_UNDEF;
		*md = EVP_sha256();
		break;
	case HK_CSR_ECDSA_P384_SHA384:
		nid = NID_ecdsa_with_SHA384, ptype = V_ASN1_UNDEF;
		*md = EVP_sha384();
		break;
	case HK_CSR_RSA_PKCS1_SHA256:
		/* RFC 4055 section 5: parameters present and NULL. */
		nid = NID_sha256WithRSAEncryption, ptype = V_ASN1_NULL;
		*md = EVP_sha256();
		break;
	case HK_CSR_RSA_PSS_SHA256:
		*md = EVP_sha256();
		return d2i_X509_ALGOR(NULL, &p, sizeof(pss_sha256_alg));
	case HK_CSR_ED25519:
		/* RFC 8410 section 3: parameters absent. */
		nid = NID_ED25519, ptype = V_ASN1_UNDEF;
		*md = NULL;
		break;
	default:
		return NULL;
	}
	if ((alg = X509_ALGOR_new()) == NULL)
		return NULL;
	if (X509_ALGOR_set0(alg, OBJ_nid2obj(nid), ptype, NULL) != 1) {
		X509_ALGOR_free(alg);
		return NULL;
	}
	return alg;
}

/* log_ssl(func, what): log ${what} for ${func} with the first error of
 * OpenSSL's queue, then clear the queue. */
static void
log_ssl(const char *func, const char *what)
{
	unsigned long e = ERR_get_error();
	char buf[256];

	if (e != 0) {
		ERR_error_string_n(e, buf, sizeof(buf));
		hk_log_msg(HK_LOG_ERROR, func, "%s: %s", what, buf);
	} else {
		hk_log_msg(HK_LOG_ERROR, func, "%s", what);
	}
	ERR_clear_error();
}

/* to_pem(req, out): PEM of ${req} into ${out} (NUL-terminated). */
static int
to_pem(X509_REQ *req, char out[static HK_CSR_PEM_MAX])
{
	BIO *b = NULL;
	char *p;
	long n;
	int r = HK_ENOMEM;

	if ((b = BIO_new(BIO_s_mem())) == NULL)
		goto out;
	r = HK_ECRYPTO;
	if (PEM_write_bio_X509_REQ(b, req) != 1 ||
	    (n = BIO_get_mem_data(b, &p)) <= 0)
		goto out;
	r = HK_ETOOBIG;
	if ((size_t)n >= HK_CSR_PEM_MAX)
		goto out;
	memcpy(out, p, (size_t)n);
	out[n] = '\0';
	r = 0;
out:
	BIO_free(b);
	return r;
}

/** hk_csr_build(spki, spkilen, subj, scheme, sign, arg, out): a verified
 * PKCS#10 request signed through ${sign}. */
int
hk_csr_build(const uint8_t *spki, size_t spkilen,
    const struct hk_csr_subject *subj, enum hk_csr_scheme scheme,
    hk_csr_sign_cb sign, void *arg, struct hk_csr *out)
{
	const unsigned char *p = spki;
	unsigned char *tbs = NULL, *enc = NULL, *w;
	X509_REQ *req = NULL;
	X509_NAME *name = NULL;
	X509_ALGOR *alg = NULL;
	ASN1_BIT_STRING *bs = NULL;
	EVP_PKEY *pub = NULL;
	const EVP_MD *md = NULL;
	uint8_t dgst[EVP_MAX_MD_SIZE], sig[HK_CSR_SIG_MAX];
	unsigned int dlen = 0;
	size_t siglen;
	int tbslen, enclen, n, r;

	memset(out, 0, sizeof(*out));
	ERR_clear_error();
	r = HK_EINVAL;
	if (spkilen == 0 || spkilen > HK_CSR_SPKI_MAX ||
	    (pub = d2i_PUBKEY(NULL, &p, (long)spkilen)) == NULL ||
	    p != spki + spkilen) {
		log_ssl(
		    __func__, "the public key is not a SubjectPublicKeyInfo");
		goto out;
	}
	if (!key_fits(pub, scheme)) {
		hk_error_f("the public key does not fit the scheme %s",
		    hk_csr_scheme_name(scheme));
		goto out;
	}
	if ((r = subject_name(subj, &name)) != 0)
		goto out;
	r = HK_ENOMEM;
	if ((alg = sig_alg(scheme, &md)) == NULL ||
	    (req = X509_REQ_new()) == NULL ||
	    (bs = ASN1_BIT_STRING_new()) == NULL)
		goto out;
	r = HK_ECRYPTO;
	/* WARNING: X509_REQ_set1_signature_algo() returns 1 on success in
	 * OpenSSL 3.0 (it is X509_ALGOR_copy()), whatever its manual says
	 * (B.9). It copies ${alg}. */
	if (X509_REQ_set_version(req, X509_REQ_VERSION_1) != 1 ||
	    X509_REQ_set_subject_name(req, name) != 1 ||
	    X509_REQ_set_pubkey(req, pub) != 1 ||
	    X509_REQ_set1_signature_algo(req, alg) != 1) {
		log_ssl(__func__, "cannot fill the request");
		goto out;
	}
	/* The CSR must carry the recorded key byte for byte (REG-4); a
	 * non-canonical SPKI would come out re-encoded. */
	if ((enclen = i2d_X509_PUBKEY(X509_REQ_get_X509_PUBKEY(req), &enc)) <=
	    0) {
		log_ssl(__func__, "cannot encode the public key");
		goto out;
	}
	if ((size_t)enclen != spkilen || memcmp(enc, spki, spkilen) != 0) {
		hk_error_f("the public key is not in canonical DER");
		r = HK_EINVAL;
		goto out;
	}
	/* i2d_re_X509_REQ_tbs() re-encodes the CertificationRequestInfo
	 * and caches it: the bytes signed are the bytes the request will
	 * carry. */
	if ((tbslen = i2d_re_X509_REQ_tbs(req, &tbs)) <= 0) {
		log_ssl(__func__, "cannot encode the TBS");
		goto out;
	}
	siglen = sizeof(sig);
	if (md != NULL) {
		if (EVP_Digest(tbs, (size_t)tbslen, dgst, &dlen, md, NULL) !=
		    1) {
			log_ssl(__func__, "cannot hash the TBS");
			goto out;
		}
		r = sign(arg, dgst, dlen, sig, &siglen);
	} else {
		r = sign(arg, tbs, (size_t)tbslen, sig, &siglen);
	}
	if (r != 0) {
		hk_error_f("the signing callback failed: %s", hk_strerror(r));
		if (r > 0)
			r = HK_EINVAL;
		goto out;
	}
	r = HK_ETOOBIG;
	if (siglen == 0 || siglen > sizeof(sig)) {
		hk_error_f("the signing callback returned %zu bytes", siglen);
		goto out;
	}
	r = HK_ECRYPTO;
	if (ASN1_BIT_STRING_set(bs, sig, (int)siglen) != 1)
		goto out;
	/* A signature is a whole number of bytes: say "0 unused bits"
	 * explicitly, as ASN1_item_sign() does, or OpenSSL would trim
	 * trailing zero bits when encoding. */
	bs->flags &= ~(ASN1_STRING_FLAG_BITS_LEFT | 0x07);
	bs->flags |= ASN1_STRING_FLAG_BITS_LEFT;
	X509_REQ_set0_signature(req, bs);
	bs = NULL;
	/* Self-check before anything leaves: the request verifies under
	 * the given key. */
	if (X509_REQ_verify(req, pub) != 1) {
		log_ssl(
		    __func__, "the signature does not verify under the key");
		r = HK_EVERIFY;
		goto out;
	}
	if ((n = i2d_X509_REQ(req, NULL)) <= 0) {
		log_ssl(__func__, "cannot encode the request");
		goto out;
	}
	r = HK_ETOOBIG;
	if ((size_t)n > sizeof(out->der))
		goto out;
	w = out->der;
	r = HK_ECRYPTO;
	if (i2d_X509_REQ(req, &w) != n)
		goto out;
	out->der_len = (size_t)n;
	if ((r = to_pem(req, out->pem)) != 0)
		goto out;
	r = 0;
out:
	if (r != 0)
		memset(out, 0, sizeof(*out));
	OPENSSL_cleanse(sig, sizeof(sig));
	OPENSSL_free(tbs);
	OPENSSL_free(enc);
	ASN1_BIT_STRING_free(bs);
	X509_ALGOR_free(alg);
	X509_NAME_free(name);
	X509_REQ_free(req);
	EVP_PKEY_free(pub);
	return r;
}

/** hk_csr_subject_text(der, len, out): the CSR's subject, RFC 2253. */
int
hk_csr_subject_text(
    const uint8_t *der, size_t len, char out[static HK_CSR_SUBJECT_TEXT_MAX])
{
	const unsigned char *p = der;
	X509_REQ *req = NULL;
	BIO *b = NULL;
	char *text;
	long n;
	int r = HK_EINVAL;

	out[0] = '\0';
	if ((req = d2i_X509_REQ(NULL, &p, (long)len)) == NULL ||
	    p != der + len) {
		ERR_clear_error();
		goto out;
	}
	r = HK_ENOMEM;
	if ((b = BIO_new(BIO_s_mem())) == NULL)
		goto out;
	/* RFC 2253 order and escaping, but UTF-8 shown as UTF-8: the signer
	 * must be able to read their own name (ESC_MSB would print
	 * \E5\B1\B1...). */
	r = HK_ECRYPTO;
	if (X509_NAME_print_ex(b, X509_REQ_get_subject_name(req), 0,
	        XN_FLAG_RFC2253 & ~ASN1_STRFLGS_ESC_MSB) < 0 ||
	    (n = BIO_get_mem_data(b, &text)) < 0)
		goto out;
	r = HK_ETOOBIG;
	if ((size_t)n >= HK_CSR_SUBJECT_TEXT_MAX)
		goto out;
	memcpy(out, text, (size_t)n);
	out[n] = '\0';
	r = 0;
out:
	BIO_free(b);
	X509_REQ_free(req);
	return r;
}
