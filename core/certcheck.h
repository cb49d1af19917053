/* SPDX-License-Identifier: Apache-2.0 */
/*
 * certcheck: the decision to bind a certificate chain to a credential
 * (REG-6: key/certificate correspondence, validity period, chain to a
 * configured trusted CA; REG-4: the certified key is the generated key;
 * SIG-7: several CAs can be trusted at once) and the validity check at
 * signing time (SIG-2). A PEM chain (leaf first, then any intermediates)
 * is accepted only if the leaf's SubjectPublicKeyInfo equals the expected
 * one byte for byte, now lies within the validity of the leaf and of
 * every certificate given, the leaf's keyUsage (when present) allows
 * digitalSignature or nonRepudiation, the leaf is not a CA, and
 * X509_verify_cert() builds a path from the leaf through the given
 * intermediates to a root in the trust store. Each refusal has its own
 * reason with a fixed message. An accepted chain yields what the ledger
 * event records: the leaf's SHA-256 fingerprint, subject, issuer, serial
 * and validity.
 *
 * Not checked here: revocation (SIG-2 "not revoked" needs CRL or OCSP
 * status from the CA), extended key usage, certificate policies.
 *
 * Threads: build a store once (hk_certcheck_store_new, _add_pem), then
 * any number of threads may check against it at once. Checks parse and
 * verify a few certificates (well under a millisecond each for EC keys):
 * acceptable on a worker thread; keep them off an event loop.
 */
#ifndef HK_CERTCHECK_H
#define HK_CERTCHECK_H

#include <stddef.h>
#include <stdint.h>

#include "core/err.h"
#include "core/sha256.h"

/* Most certificates in one chain (leaf included) or one trust bundle
 * call, and the largest PEM input. */
#define HK_CERTCHECK_CHAIN_MAX 8
#define HK_CERTCHECK_PEM_MAX 65536
/* Subject and issuer text (RFC 2253, UTF-8) with its NUL. */
#define HK_CERTCHECK_NAME_MAX 1024
/* Serial number as lowercase hex (at most 32 bytes), with an optional
 * '-' and a NUL. */
#define HK_CERTCHECK_SERIAL_MAX (2 * 32 + 2)

/* Why a chain was refused. The numbers are stable (they may be recorded). */
enum hk_certcheck_reason {
	HK_CERTCHECK_OK = 0,
	HK_CERTCHECK_EMPTY = 1,          /* no input, or only white space */
	HK_CERTCHECK_MALFORMED = 2,      /* not PEM certificates */
	HK_CERTCHECK_TOO_MANY = 3,       /* over CHAIN_MAX or PEM_MAX */
	HK_CERTCHECK_WRONG_KEY = 4,      /* leaf key is not the credential's */
	HK_CERTCHECK_NOT_YET_VALID = 5,  /* now is before notBefore */
	HK_CERTCHECK_EXPIRED = 6,        /* now is after notAfter */
	HK_CERTCHECK_KEY_USAGE = 7,      /* keyUsage does not allow signing */
	HK_CERTCHECK_IS_CA = 8,          /* the leaf is a CA certificate */
	HK_CERTCHECK_UNTRUSTED = 9,      /* no path to a trusted root */
	HK_CERTCHECK_CHAIN_INVALID = 10, /* a path, but it does not verify */
	HK_CERTCHECK_INTERNAL = 11,      /* out of memory or library failure:
	                                    no verdict on the certificate */
};

/* What an accepted chain's leaf says, for the ledger event (REG-6). */
struct hk_certcheck_info {
	uint8_t fingerprint[HK_SHA256_LEN];  /* SHA-256 of the leaf's DER */
	char subject[HK_CERTCHECK_NAME_MAX]; /* RFC 2253, UTF-8 unescaped */
	char issuer[HK_CERTCHECK_NAME_MAX];
	char serial[HK_CERTCHECK_SERIAL_MAX]; /* lowercase hex, e.g.
	                                         "01a2ff"; '-' if negative */
	int64_t not_before;                   /* unix seconds */
	int64_t not_after;
	unsigned chain_len; /* certificates in the PEM, leaf included */
};

struct hk_certcheck_store;

/** hk_certcheck_store_new(): an empty trust store; NULL on ENOMEM. */
struct hk_certcheck_store *hk_certcheck_store_new(void);

/** hk_certcheck_store_free(s): free ${s}; accepts NULL. */
void hk_certcheck_store_free(struct hk_certcheck_store *s);

/** hk_certcheck_store_add_pem(s, pem, len): add every certificate of the
 * PEM bundle ${pem} (${len} bytes, at most HK_CERTCHECK_CHAIN_MAX
 * certificates) as a trusted root. Each must be a self-signed CA
 * (basicConstraints CA:TRUE, signature verifies under its own key); the
 * bundle is added entirely or not at all. Call it once per CA file (SIG-7:
 * several CAs), before any check. Returns 0; HK_EINVAL (empty, malformed,
 * or a certificate that is not a self-signed CA: logged with its
 * subject); HK_ETOOBIG; HK_ENOMEM or HK_ECRYPTO. Not thread-safe with
 * respect to checks on ${s}. */
HK_MUST_CHECK int hk_certcheck_store_add_pem(
    struct hk_certcheck_store *s, const char *pem, size_t len);

/** hk_certcheck_store_count(s): the number of trusted roots in ${s}. */
size_t hk_certcheck_store_count(const struct hk_certcheck_store *s);

/** hk_certcheck_chain(s, pem, len, spki, spkilen, now, info, reason):
 * decide whether the PEM chain ${pem} (${len} bytes; the leaf first) may
 * be bound to the credential whose public key is ${spki} (DER), at unix
 * time ${now}, against the roots of ${s}. Checks, in this order: input
 * shape (empty, malformed, too many), the leaf's key, the validity of the
 * leaf and then of every other certificate given, the leaf not being a
 * CA, the leaf's keyUsage, then the path to a root (X509_verify_cert at
 * time ${now}, intermediates from ${pem}; an expired or not yet valid
 * root or intermediate from the store reports EXPIRED / NOT_YET_VALID).
 * Text outside the PEM blocks is ignored; any block other than
 * CERTIFICATE is malformed. *${reason} is always set. Returns 0 (reason
 * HK_CERTCHECK_OK, ${info} filled); HK_EINVAL (EMPTY, MALFORMED);
 * HK_ETOOBIG (TOO_MANY); HK_EVERIFY (the other refusals); HK_ENOMEM or
 * HK_ECRYPTO (INTERNAL). ${info} is zeroed unless 0 is returned. Each
 * refusal is logged once with its reason (and OpenSSL's verify error for
 * chain refusals). Any thread. */
HK_MUST_CHECK int hk_certcheck_chain(const struct hk_certcheck_store *s,
    const char *pem, size_t len, const uint8_t *spki, size_t spkilen,
    int64_t now, struct hk_certcheck_info *info,
    enum hk_certcheck_reason *reason);

/** hk_certcheck_period(not_before, not_after, now, reason): SIG-2 at
 * signing time from the stored validity of a bound certificate: 0 if
 * not_before <= ${now} <= not_after (RFC 5280 4.1.2.5: both ends
 * inclusive), else HK_EVERIFY with *${reason} NOT_YET_VALID or EXPIRED.
 * Pure and fast; nothing is logged. */
HK_MUST_CHECK int hk_certcheck_period(int64_t not_before, int64_t not_after,
    int64_t now, enum hk_certcheck_reason *reason);

/** hk_certcheck_valid_at(pem, len, now, reason): SIG-2 from a stored PEM
 * chain: every certificate in it is within its validity at ${now}.
 * Returns 0; HK_EVERIFY (NOT_YET_VALID or EXPIRED); HK_EINVAL / HK_ETOOBIG
 * for input as hk_certcheck_chain() refuses it; HK_ENOMEM. Nothing is
 * logged. Any thread. */
HK_MUST_CHECK int hk_certcheck_valid_at(
    const char *pem, size_t len, int64_t now, enum hk_certcheck_reason *reason);

/** hk_certcheck_reason_text(r): a fixed, clear English message for ${r}
 * (e.g. "the certificate has expired"); static, never NULL. */
const char *hk_certcheck_reason_text(enum hk_certcheck_reason r);

/** hk_certcheck_reason_name(r): a short stable identifier for ${r}
 * ("wrong_key", "expired", ...), for API error bodies and events; static,
 * never NULL ("unknown" for values outside the enum). */
const char *hk_certcheck_reason_name(enum hk_certcheck_reason r);

#endif
