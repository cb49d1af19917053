/* SPDX-License-Identifier: Apache-2.0 */
/*
 * totp: one-time passwords for the second factor of level-2 key
 * authorisation (ACT-2): RFC 4226 HOTP and RFC 6238 TOTP over OpenSSL's
 * HMAC (SHA-1 by default, SHA-256 and SHA-512 supported), 6 digits, 30 s
 * steps. Verification accepts a code within a window of steps around now,
 * compares in constant time and refuses any step not strictly greater than
 * the last one accepted, so that a code is good once per credential (ACT-5
 * replay protection; the caller persists the matched step). Provisioning
 * gives the RFC 4648 base32 secret and the otpauth:// URI that the signer
 * scans once at enrollment (REG-1). Pure functions: no allocation, no I/O,
 * no global state; safe on any thread, including an event loop (a few
 * HMACs per call).
 *
 * WARNING: the secret and the URI (which contains the secret) are secrets:
 * keep them in sodium_malloc or stack buffers and wipe them after use.
 */
#ifndef HK_TOTP_H
#define HK_TOTP_H

#include <stddef.h>
#include <stdint.h>

#include "core/err.h"

/* Digits of every code, and the time step in seconds (RFC 6238 defaults). */
#define HK_TOTP_DIGITS 6
#define HK_TOTP_PERIOD 30
/* A code as text: HK_TOTP_DIGITS digits and a NUL. */
#define HK_TOTP_CODE_LEN (HK_TOTP_DIGITS + 1)
/* Secret lengths in bytes. RFC 4226 R6 requires at least 128 bits and
 * recommends 160; RFC 6238's SHA-512 vectors use 64 bytes. */
#define HK_TOTP_SECRET_MIN 16
#define HK_TOTP_SECRET_MAX 64
#define HK_TOTP_SECRET_DEFAULT 20
/* Largest verification window, in steps either side of now. */
#define HK_TOTP_WINDOW_MAX 10
/* Value of last_step before any code was accepted. Step 0 is the first 30
 * seconds of 1970, which no real clock presents. */
#define HK_TOTP_NO_STEP 0
/* Unpadded base32 of ${n} bytes, with its NUL. */
#define HK_TOTP_BASE32_LEN(n) (((n)*8 + 4) / 5 + 1)
/* Longest issuer or account name in the URI, in bytes of UTF-8. */
#define HK_TOTP_LABEL_MAX 128
/* Largest otpauth:// URI with its NUL: every label byte percent-encoded
 * (3 characters), the issuer twice. */
#define HK_TOTP_URI_MAX                                                        \
	(sizeof("otpauth://totp/:?secret=&issuer="                             \
	        "&algorithm=SHA1&digits=6&period=30") +                        \
	    9 * HK_TOTP_LABEL_MAX + HK_TOTP_BASE32_LEN(HK_TOTP_SECRET_MAX))

/* HMAC hash functions. The numbers are stable (they may be stored). */
enum hk_totp_hash {
	HK_TOTP_SHA1 = 1,
	HK_TOTP_SHA256 = 2,
	HK_TOTP_SHA512 = 3,
};

/** hk_totp_hotp(hash, secret, len, counter, code): ${code} = the RFC 4226
 * HOTP value of ${secret} (${len} bytes, HK_TOTP_SECRET_MIN to
 * HK_TOTP_SECRET_MAX) at ${counter}, as HK_TOTP_DIGITS ASCII digits and a
 * NUL (dynamic truncation, modulo 10^6, zero-padded). Returns 0,
 * HK_EINVAL (secret length, unknown hash) or HK_ECRYPTO; ${code} is
 * zeroed on failure. Any thread. */
HK_MUST_CHECK int hk_totp_hotp(enum hk_totp_hash hash, const uint8_t *secret,
    size_t len, uint64_t counter, char code[static HK_TOTP_CODE_LEN]);

/** hk_totp_step(now_unix): the RFC 6238 time step of ${now_unix}:
 * floor(now_unix / HK_TOTP_PERIOD) (T0 = 0). */
uint64_t hk_totp_step(uint64_t now_unix);

/** hk_totp_generate(hash, secret, len, now_unix, code): the TOTP code for
 * time ${now_unix}, that is hk_totp_hotp() at hk_totp_step(now_unix).
 * Returns as hk_totp_hotp(). Any thread. */
HK_MUST_CHECK int hk_totp_generate(enum hk_totp_hash hash,
    const uint8_t *secret, size_t len, uint64_t now_unix,
    char code[static HK_TOTP_CODE_LEN]);

/** hk_totp_verify(secret, len, code, now_unix, window, last_step,
 * matched_step): check the NUL-terminated ${code} against the SHA-1 TOTP
 * codes of ${secret} for the steps hk_totp_step(now_unix) - ${window} to
 * + ${window} that are strictly greater than ${last_step}
 * (HK_TOTP_NO_STEP if none was ever accepted). Every candidate is computed
 * and compared in constant time. On success *${matched_step} is the
 * highest step whose code equals ${code}; the caller must persist it and
 * pass it as ${last_step} next time, before acting on the success.
 * Returns 0; HK_EINVAL when ${code} is not exactly HK_TOTP_DIGITS ASCII
 * digits, or the secret length is out of range; HK_ERANGE when ${window}
 * exceeds HK_TOTP_WINDOW_MAX; HK_EREPLAY when ${code} is right for a step
 * in the window but no such step exceeds ${last_step} (a replay: count it
 * as a failure like a wrong code); HK_EAUTH when ${code} is wrong;
 * HK_ECRYPTO. *${matched_step} is written only on success. Nothing is
 * logged. Any thread. */
HK_MUST_CHECK int hk_totp_verify(const uint8_t *secret, size_t len,
    const char *code, uint64_t now_unix, unsigned window, uint64_t last_step,
    uint64_t *matched_step);

/** hk_totp_verify_hash(hash, secret, len, code, now_unix, window,
 * last_step, matched_step): hk_totp_verify() with the HMAC hash
 * ${hash}. */
HK_MUST_CHECK int hk_totp_verify_hash(enum hk_totp_hash hash,
    const uint8_t *secret, size_t len, const char *code, uint64_t now_unix,
    unsigned window, uint64_t last_step, uint64_t *matched_step);

/** hk_totp_base32_encode(out, outmax, in, n): write the RFC 4648 base32
 * of ${in} (${n} bytes; upper case, no '=' padding) and a NUL to ${out},
 * which holds ${outmax} >= HK_TOTP_BASE32_LEN(n) bytes. Branch-free and
 * table-free in the data (safe for secrets). 0 or HK_ETOOBIG. */
HK_MUST_CHECK int hk_totp_base32_encode(
    char *out, size_t outmax, const uint8_t *in, size_t n);

/** hk_totp_uri(issuer, account, secret, len, out): write the provisioning
 * URI "otpauth://totp/<issuer>:<account>?secret=<base32>&issuer=<issuer>
 * &algorithm=SHA1&digits=6&period=30" and a NUL to ${out}. ${issuer} and
 * ${account} are NUL-terminated UTF-8 of 1 to HK_TOTP_LABEL_MAX bytes
 * without ':' or control characters; every byte outside RFC 3986's
 * unreserved set is percent-encoded (space as %20). Returns 0 or
 * HK_EINVAL; ${out} is zeroed on failure. WARNING: ${out} holds the
 * secret: wipe it after use. Any thread. */
HK_MUST_CHECK int hk_totp_uri(const char *issuer, const char *account,
    const uint8_t *secret, size_t len, char out[static HK_TOTP_URI_MAX]);

#endif
