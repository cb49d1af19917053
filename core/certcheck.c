/* SPDX-License-Identifier: Apache-2.0 */
/*
 * certcheck: acceptance of a certificate chain for a credential and the
 * validity check at signing time (see certcheck.h). Serves REG-4 (the
 * certified key is the generated key), REG-6 (key, validity, key usage,
 * chain to a trusted CA, one reason per refusal), SIG-2 (validity at
 * signing time) and SIG-7 (several trusted CAs).
 */
#include <ctype.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "core/certcheck.h"
#include "core/codec.h"
#include "core/log.h"

struct hk_certcheck_store {
	X509_STORE *st;
};

/** hk_certcheck_reason_text(r): a fixed message for ${r}. */
const char *
hk_certcheck_reason_text(enum hk_certcheck_reason r)
{
	switch (r) {
	case HK_CERTCHECK_OK:
		return "the certificate chain is acceptable";
	case HK_CERTCHECK_EMPTY:
		return "no certificate was given";
	case HK_CERTCHECK_MALFORMED:
		return "the input is not a PEM certificate chain";
	case HK_CERTCHECK_TOO_MANY:
		return "too many certificates, or the input is too large";
	case HK_CERTCHECK_WRONG_KEY:
		return "the certificate's public key is not the credential's "
		       "key";
	case HK_CERTCHECK_NOT_YET_VALID:
		return "a certificate of the chain is not yet valid";
	case HK_CERTCHECK_EXPIRED:
		return "a certificate of the chain has expired";
	case HK_CERTCHECK_KEY_USAGE:
		return "the certificate's key usage does not allow signatures "
		       "(digitalSignature or nonRepudiation)";
	case HK_CERTCHECK_IS_CA:
		return "the certificate is a CA certificate, not an end-entity "
		       "certificate";
	case HK_CERTCHECK_UNTRUSTED:
		return "the certificate does not chain to a trusted CA "
		       "(unknown issuer)";
	case HK_CERTCHECK_CHAIN_INVALID:
		return "the certificate chain does not verify";
	case HK_CERTCHECK_INTERNAL:
		return "internal error while checking the certificate";
	}
	return "unknown reason";
}

/** hk_certcheck_reason_name(r): a short stable identifier for ${r}. */
const char *
hk_certcheck_reason_name(enum hk_certcheck_reason r)
{
	switch (r) {
	case HK_CERTCHECK_OK:
		return "ok";
	case HK_CERTCHECK_EMPTY:
		return "empty";
	case HK_CERTCHECK_MALFORMED:
		return "malformed";
	case HK_CERTCHECK_TOO_MANY:
		return "too_many";
	case HK_CERTCHECK_WRONG_KEY:
		return "wrong_key";
	case HK_CERTCHECK_NOT_YET_VALID:
		return "not_yet_valid";
	case HK_CERTCHECK_EXPIRED:
		return "expired";
	case HK_CERTCHECK_KEY_USAGE:
		return "key_usage";
	case HK_CERTCHECK_IS_CA:
		return "is_ca";
	case HK_CERTCHECK_UNTRUSTED:
		return "untrusted";
	case HK_CERTCHECK_CHAIN_INVALID:
		return "chain_invalid";
	case HK_CERTCHECK_INTERNAL:
		return "internal";
	}
	return "unknown";
}

/* parse_pem(pem, len, out, reason): the certificates of ${pem}, in order.
 * Returns 0, HK_EINVAL (EMPTY, MALFORMED), HK_ETOOBIG (TOO_MANY) or
 * HK_ENOMEM (INTERNAL), with *${reason} set. Logs nothing. */
static int
parse_pem(const char *pem, size_t len, STACK_OF(X509) * *out,
    enum hk_certcheck_reason *reason)
{
	STACK_OF(X509) *sk = NULL;
	BIO *b = NULL;
	X509 *x = NULL;
	char *name = NULL, *header = NULL;
	unsigned char *data = NULL;
	const unsigned char *p;
	unsigned long e;
	long dlen;
	size_t i;
	int r;

	for (i = 0; i < len && isspace((unsigned char)pem[i]); i++)
		;
	if (i == len) {
		*reason = HK_CERTCHECK_EMPTY;
		return HK_EINVAL;
	}
	if (len > HK_CERTCHECK_PEM_MAX) {
		*reason = HK_CERTCHECK_TOO_MANY;
		return HK_ETOOBIG;
	}
	*reason = HK_CERTCHECK_INTERNAL;
	r = HK_ENOMEM;
	if ((b = BIO_new_mem_buf(pem, (int)len)) == NULL ||
	    (sk = sk_X509_new_null()) == NULL)
		goto out;
	for (;;) {
		ERR_clear_error();
		if (PEM_read_bio(b, &name, &header, &data, &dlen) != 1) {
			/* The end of the input shows as "no start line". */
			e = ERR_peek_last_error();
			if (ERR_GET_LIB(e) == ERR_LIB_PEM &&
			    ERR_GET_REASON(e) == PEM_R_NO_START_LINE)
				break;
			goto malformed;
		}
		/* Only plain CERTIFICATE blocks: no keys, no encrypted or
		 * otherwise annotated blocks, no TRUSTED CERTIFICATE. */
		if (strcmp(name, PEM_STRING_X509) != 0 || header[0] != '\0')
			goto malformed;
		if (sk_X509_num(sk) == HK_CERTCHECK_CHAIN_MAX) {
			*reason = HK_CERTCHECK_TOO_MANY;
			r = HK_ETOOBIG;
			goto out;
		}
		p = data;
		if ((x = d2i_X509(NULL, &p, dlen)) == NULL || p != data + dlen)
			goto malformed;
		if (sk_X509_push(sk, x) <= 0)
			goto out;
		x = NULL;
		OPENSSL_free(name);
		OPENSSL_free(header);
		OPENSSL_free(data);
		name = header = NULL;
		data = NULL;
	}
	if (sk_X509_num(sk) == 0)
		goto malformed;
	*out = sk;
	sk = NULL;
	*reason = HK_CERTCHECK_OK;
	r = 0;
	goto out;
malformed:
	*reason = HK_CERTCHECK_MALFORMED;
	r = HK_EINVAL;
out:
	ERR_clear_error();
	X509_free(x);
	OPENSSL_free(name);
	OPENSSL_free(header);
	OPENSSL_free(data);
	sk_X509_pop_free(sk, X509_free);
	BIO_free(b);
	return r;
}

/* days_from_civil(y, m, d): days from 1970-01-01 to the proleptic
 * Gregorian date y-m-d (H. Hinnant's algorithm; no time zone involved,
 * unlike mktime, and timegm is not POSIX). */
static int64_t
days_from_civil(int64_t y, unsigned m, unsigned d)
{
	int64_t era;
	unsigned yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = (unsigned)(y - era * 400);
	doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + (int64_t)doe - 719468;
}

/* asn1_unix(t, out): ${t} (UTCTime or GeneralizedTime) in unix seconds. */
static bool
asn1_unix(const ASN1_TIME *t, int64_t *out)
{
	struct tm tm;

	memset(&tm, 0, sizeof(tm));
	if (ASN1_TIME_to_tm(t, &tm) != 1)
		return false;
	*out = days_from_civil((int64_t)tm.tm_year + 1900,
	           (unsigned)tm.tm_mon + 1, (unsigned)tm.tm_mday) *
	        86400 +
	    tm.tm_hour * 3600 + tm.tm_min * 60 + tm.tm_sec;
	return true;
}

/** hk_certcheck_period(not_before, not_after, now, reason): inclusive. */
int
hk_certcheck_period(int64_t not_before, int64_t not_after, int64_t now,
    enum hk_certcheck_reason *reason)
{
	if (now < not_before) {
		*reason = HK_CERTCHECK_NOT_YET_VALID;
		return HK_EVERIFY;
	}
	if (now > not_after) {
		*reason = HK_CERTCHECK_EXPIRED;
		return HK_EVERIFY;
	}
	*reason = HK_CERTCHECK_OK;
	return 0;
}

/* cert_period(x, nb, na): ${x}'s validity in unix seconds. */
static bool
cert_period(const X509 *x, int64_t *nb, int64_t *na)
{
	return asn1_unix(X509_get0_notBefore(x), nb) &&
	    asn1_unix(X509_get0_notAfter(x), na);
}

/* chain_period(sk, now, reason, bad): every certificate of ${sk} is valid
 * at ${now}; else *${bad} is the index of the first that is not. */
static int
chain_period(STACK_OF(X509) * sk, int64_t now, enum hk_certcheck_reason *reason,
    int *bad)
{
	int64_t nb, na;
	int i, r;

	for (i = 0; i < sk_X509_num(sk); i++) {
		if (!cert_period(sk_X509_value(sk, i), &nb, &na)) {
			*reason = HK_CERTCHECK_MALFORMED;
			*bad = i;
			return HK_EINVAL;
		}
		if ((r = hk_certcheck_period(nb, na, now, reason)) != 0) {
			*bad = i;
			return r;
		}
	}
	return 0;
}

/** hk_certcheck_valid_at(pem, len, now, reason): SIG-2 from a PEM. */
int
hk_certcheck_valid_at(
    const char *pem, size_t len, int64_t now, enum hk_certcheck_reason *reason)
{
	STACK_OF(X509) *sk = NULL;
	int r, bad;

	if ((r = parse_pem(pem, len, &sk, reason)) != 0)
		return r;
	r = chain_period(sk, now, reason, &bad);
	sk_X509_pop_free(sk, X509_free);
	return r;
}

/** hk_certcheck_store_new(): an empty trust store. */
struct hk_certcheck_store *
hk_certcheck_store_new(void)
{
	struct hk_certcheck_store *s;

	if ((s = calloc(1, sizeof(*s))) == NULL)
		return NULL;
	if ((s->st = X509_STORE_new()) == NULL) {
		free(s);
		return NULL;
	}
	return s;
}

/** hk_certcheck_store_free(s): free; accepts NULL. */
void
hk_certcheck_store_free(struct hk_certcheck_store *s)
{
	if (s == NULL)
		return;
	X509_STORE_free(s->st);
	free(s);
}

/* name_text(name, out): RFC 2253 text, UTF-8 unescaped, into ${out}. */
static bool
name_text(const X509_NAME *name, char out[static HK_CERTCHECK_NAME_MAX])
{
	BIO *b;
	char *p;
	long n;
	bool ok = false;

	out[0] = '\0';
	if ((b = BIO_new(BIO_s_mem())) == NULL)
		return false;
	if (X509_NAME_print_ex(
	        b, name, 0, XN_FLAG_RFC2253 & ~ASN1_STRFLGS_ESC_MSB) >= 0 &&
	    (n = BIO_get_mem_data(b, &p)) >= 0 &&
	    (size_t)n < HK_CERTCHECK_NAME_MAX) {
		memcpy(out, p, (size_t)n);
		out[n] = '\0';
		ok = true;
	}
	BIO_free(b);
	return ok;
}

/** hk_certcheck_store_add_pem(s, pem, len): add self-signed CA roots. */
int
hk_certcheck_store_add_pem(
    struct hk_certcheck_store *s, const char *pem, size_t len)
{
	STACK_OF(X509) *sk = NULL;
	enum hk_certcheck_reason why;
	char subj[HK_CERTCHECK_NAME_MAX];
	X509 *x;
	int i, r;

	if ((r = parse_pem(pem, len, &sk, &why)) != 0) {
		hk_error_f("trusted CA bundle refused: %s",
		    hk_certcheck_reason_text(why));
		return r;
	}
	/* All or nothing: check every certificate before adding any. */
	for (i = 0; i < sk_X509_num(sk); i++) {
		x = sk_X509_value(sk, i);
		if (X509_check_ca(x) != 1 || X509_self_signed(x, 1) != 1) {
			if (!name_text(X509_get_subject_name(x), subj))
				snprintf(subj, sizeof(subj), "?");
			hk_error_f("trusted CA bundle refused: certificate %d "
			           "(%s) is not a self-signed CA",
			    i, subj);
			r = HK_EINVAL;
			goto out;
		}
	}
	r = HK_ECRYPTO;
	for (i = 0; i < sk_X509_num(sk); i++)
		if (X509_STORE_add_cert(s->st, sk_X509_value(sk, i)) != 1)
			goto out;
	r = 0;
out:
	ERR_clear_error();
	sk_X509_pop_free(sk, X509_free);
	return r;
}

/** hk_certcheck_store_count(s): trusted roots in ${s}. */
size_t
hk_certcheck_store_count(const struct hk_certcheck_store *s)
{
	STACK_OF(X509_OBJECT) *objs = X509_STORE_get0_objects(s->st);

	return objs != NULL ? (size_t)sk_X509_OBJECT_num(objs) : 0;
}

/* verify_reason(err): the refusal reason for an X509_verify_cert error. */
static enum hk_certcheck_reason
verify_reason(int err)
{
	switch (err) {
	case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT:
	case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY:
	case X509_V_ERR_UNABLE_TO_VERIFY_LEAF_SIGNATURE:
	case X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT:
	case X509_V_ERR_SELF_SIGNED_CERT_IN_CHAIN:
	case X509_V_ERR_CERT_UNTRUSTED:
	case X509_V_ERR_CERT_REJECTED:
		return HK_CERTCHECK_UNTRUSTED;
	case X509_V_ERR_CERT_HAS_EXPIRED:
		return HK_CERTCHECK_EXPIRED;
	case X509_V_ERR_CERT_NOT_YET_VALID:
		return HK_CERTCHECK_NOT_YET_VALID;
	}
	return HK_CERTCHECK_CHAIN_INVALID;
}

/* serial_hex(x, out): lowercase hex of the serial's magnitude. */
static bool
serial_hex(const X509 *x, char out[static HK_CERTCHECK_SERIAL_MAX])
{
	const ASN1_INTEGER *sn = X509_get0_serialNumber(x);
	int n = ASN1_STRING_length(sn);
	size_t o = 0;

	if (n <= 0 || n > 32)
		return false;
	if (ASN1_STRING_type(sn) == V_ASN1_NEG_INTEGER)
		out[o++] = '-';
	hk_hex_encode(out + o, ASN1_STRING_get0_data(sn), (size_t)n);
	return true;
}

/* fill_info(leaf, n, info): what the ledger records about ${leaf}. */
static int
fill_info(X509 *leaf, int n, struct hk_certcheck_info *info)
{
	unsigned char *der = NULL;
	struct hk_sha256 *h = NULL;
	int len, r = HK_ENOMEM;

	if ((h = hk_sha256_new()) == NULL)
		goto out;
	r = HK_ECRYPTO;
	/* d2i_X509 keeps the received encoding: i2d_X509 returns exactly the
	 * bytes of the PEM block, which the fingerprint is over. */
	if ((len = i2d_X509(leaf, &der)) <= 0 ||
	    (r = hk_sha256_digest(h, der, (size_t)len, info->fingerprint)) != 0)
		goto out;
	r = HK_EINVAL;
	if (!name_text(X509_get_subject_name(leaf), info->subject) ||
	    !name_text(X509_get_issuer_name(leaf), info->issuer) ||
	    !serial_hex(leaf, info->serial) ||
	    !cert_period(leaf, &info->not_before, &info->not_after))
		goto out;
	info->chain_len = (unsigned)n;
	r = 0;
out:
	OPENSSL_free(der);
	hk_sha256_free(h);
	return r;
}

/** hk_certcheck_chain(s, pem, len, spki, spkilen, now, info, reason): may
 * this chain be bound to the credential with key ${spki}? */
int
hk_certcheck_chain(const struct hk_certcheck_store *s, const char *pem,
    size_t len, const uint8_t *spki, size_t spkilen, int64_t now,
    struct hk_certcheck_info *info, enum hk_certcheck_reason *reason)
{
	STACK_OF(X509) *sk = NULL, *untrusted = NULL;
	X509_STORE_CTX *ctx = NULL;
	unsigned char *enc = NULL;
	X509 *leaf;
	bool logged = false;
	int i, n, bad = -1, err, depth, r;

	memset(info, 0, sizeof(*info));
	ERR_clear_error();
	if ((r = parse_pem(pem, len, &sk, reason)) != 0)
		goto out;
	leaf = sk_X509_value(sk, 0);
	n = sk_X509_num(sk);
	/* REG-4: the certified key is the generated key, byte for byte. */
	*reason = HK_CERTCHECK_INTERNAL;
	r = HK_ECRYPTO;
	if ((i = i2d_X509_PUBKEY(X509_get_X509_PUBKEY(leaf), &enc)) <= 0)
		goto out;
	r = HK_EVERIFY;
	if ((size_t)i != spkilen || memcmp(enc, spki, spkilen) != 0) {
		*reason = HK_CERTCHECK_WRONG_KEY;
		goto out;
	}
	/* Validity of everything given, the leaf first, at ${now}. */
	if ((r = chain_period(sk, now, reason, &bad)) != 0)
		goto out;
	/* X509_check_ca() also caches the extensions; any non-zero answer
	 * (CA:TRUE, keyCertSign without basicConstraints, a v1 self-signed
	 * certificate) makes the certificate unfit as a leaf. */
	r = HK_EVERIFY;
	if (X509_check_ca(leaf) != 0) {
		*reason = HK_CERTCHECK_IS_CA;
		goto out;
	}
	if ((X509_get_extension_flags(leaf) & EXFLAG_KUSAGE) != 0 &&
	    (X509_get_key_usage(leaf) &
	        (KU_DIGITAL_SIGNATURE | KU_NON_REPUDIATION)) == 0) {
		*reason = HK_CERTCHECK_KEY_USAGE;
		goto out;
	}
	/* The path: leaf, intermediates from the PEM, a root of the store,
	 * all judged at ${now}. */
	*reason = HK_CERTCHECK_INTERNAL;
	r = HK_ENOMEM;
	if ((untrusted = sk_X509_new_null()) == NULL ||
	    (ctx = X509_STORE_CTX_new()) == NULL)
		goto out;
	for (i = 1; i < n; i++)
		if (sk_X509_push(untrusted, sk_X509_value(sk, i)) <= 0)
			goto out;
	r = HK_ECRYPTO;
	if (X509_STORE_CTX_init(ctx, s->st, leaf, untrusted) != 1)
		goto out;
	X509_VERIFY_PARAM_set_time(X509_STORE_CTX_get0_param(ctx), (time_t)now);
	if (X509_verify_cert(ctx) != 1) {
		err = X509_STORE_CTX_get_error(ctx);
		depth = X509_STORE_CTX_get_error_depth(ctx);
		*reason = verify_reason(err);
		r = HK_EVERIFY;
		hk_warn_f("certificate chain refused: %s (%s at depth %d)",
		    hk_certcheck_reason_text(*reason),
		    X509_verify_cert_error_string(err), depth);
		logged = true;
		goto out;
	}
	*reason = HK_CERTCHECK_INTERNAL;
	if ((r = fill_info(leaf, n, info)) != 0) {
		/* A name over HK_CERTCHECK_NAME_MAX, a serial over 32 bytes:
		 * the ledger could not record what was bound. */
		if (r == HK_EINVAL)
			*reason = HK_CERTCHECK_MALFORMED;
		goto out;
	}
	*reason = HK_CERTCHECK_OK;
out:
	if (r != 0) {
		memset(info, 0, sizeof(*info));
		if (!logged && bad >= 0)
			hk_warn_f("certificate chain refused: %s "
			          "(certificate %d of the chain)",
			    hk_certcheck_reason_text(*reason), bad);
		else if (!logged)
			hk_warn_f("certificate chain refused: %s",
			    hk_certcheck_reason_text(*reason));
	}
	ERR_clear_error();
	X509_STORE_CTX_free(ctx);
	sk_X509_free(untrusted);
	sk_X509_pop_free(sk, X509_free);
	OPENSSL_free(enc);
	return r;
}
