/* SPDX-License-Identifier: Apache-2.0 */
/*
 * pwhash: memory-hard hashes of the signer's login password and PIN
 * (REG-2: SAD reference data is stored only as a memory-hard hash, never
 * logged, never returned). Argon2id through libsodium's
 * crypto_pwhash_argon2id_str(), which yields a self-describing string
 * "$argon2id$v=19$m=...,t=...,p=1$salt$hash" with a fresh random salt;
 * verification and re-hash decisions read the parameters from that
 * string. Also the policy checks applied when a signer chooses a PIN or a
 * password at enrollment.
 *
 * Threads: WARNING: hashing and verifying block the calling thread for
 * tens of milliseconds and take memlimit bytes (64 MiB by default) while
 * they run. Call them on a worker thread (uv_queue_work or the core's
 * pool), never on an event loop, and size the pool so that threads x
 * memlimit fits in memory. The functions have no shared state and may run
 * on any number of threads at once. sodium_init() must have been called
 * (the daemon does it in main); they return HK_ECRYPTO otherwise.
 *
 * Inputs are byte strings with explicit lengths (no NUL termination, and
 * no Unicode normalisation: the same characters must arrive as the same
 * bytes). Nothing here logs a secret or any part of it.
 */
#ifndef HK_PWHASH_H
#define HK_PWHASH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/err.h"

/* Size of a stored hash string, including its NUL (crypto_pwhash_STRBYTES;
 * checked in pwhash.c). */
#define HK_PWHASH_STR_LEN 128
/* Longest secret accepted by hash and verify, in bytes. */
#define HK_PWHASH_SECRET_MAX 1024
/* PIN policy: ASCII digits only. */
#define HK_PWHASH_PIN_MIN 6
#define HK_PWHASH_PIN_MAX 12
/* Password policy, in bytes of UTF-8. */
#define HK_PWHASH_PASSWORD_MIN 12
#define HK_PWHASH_PASSWORD_MAX 128

/* Argon2id cost. Hashes record their own cost, so changing the defaults
 * later only makes hk_pwhash_needs_rehash() say true for old ones. */
struct hk_pwhash_params {
	unsigned long long opslimit; /* passes over memory (t) */
	size_t memlimit;             /* bytes of memory (m) */
};

/** hk_pwhash_params_default(p): the production cost: libsodium's
 * OPSLIMIT_INTERACTIVE (2) and MEMLIMIT_INTERACTIVE (64 MiB). */
void hk_pwhash_params_default(struct hk_pwhash_params *p);

/** hk_pwhash_params_test(p): the smallest cost argon2id allows (1 pass,
 * 8 KiB), for tests only; a caller selects it explicitly, nothing else
 * (no environment variable, no build switch) does. WARNING: never for
 * stored production hashes. */
void hk_pwhash_params_test(struct hk_pwhash_params *p);

/** hk_pwhash_hash(params, secret, len, out): hash ${secret} (${len}
 * bytes, 1 to HK_PWHASH_SECRET_MAX) with argon2id at ${params} and a
 * random salt into ${out}, a NUL-terminated "$argon2id$..." string.
 * Returns 0, HK_EINVAL (empty secret, or a cost below argon2id's minimum
 * or above its maximum), HK_ETOOBIG (secret too long), HK_ENOMEM (could
 * not allocate memlimit) or HK_ECRYPTO; ${out} is zeroed on failure.
 * Blocks (see above). */
HK_MUST_CHECK int hk_pwhash_hash(const struct hk_pwhash_params *params,
    const uint8_t *secret, size_t len, char out[static HK_PWHASH_STR_LEN]);

/** hk_pwhash_verify(stored, secret, len): check ${secret} against the
 * NUL-terminated ${stored} string from hk_pwhash_hash() (the cost is read
 * from it). The final comparison is constant-time (libsodium). Returns 0
 * on a match; HK_EAUTH on a mismatch; HK_EINVAL for an empty secret,
 * HK_ETOOBIG for one over HK_PWHASH_SECRET_MAX (neither is hashed, and
 * both count as a failed attempt for the caller); HK_ECORRUPT when
 * ${stored} is not a well-formed argon2id string; HK_ENOMEM. Blocks. */
HK_MUST_CHECK int hk_pwhash_verify(
    const char *stored, const uint8_t *secret, size_t len);

/** hk_pwhash_needs_rehash(params, stored, needs): *${needs} = whether
 * ${stored} was made with a cost other than ${params} (re-hash the secret
 * after the next successful verification). Returns 0 or HK_ECORRUPT (not
 * a well-formed argon2id string). Fast: does not hash. */
HK_MUST_CHECK int hk_pwhash_needs_rehash(
    const struct hk_pwhash_params *params, const char *stored, bool *needs);

/** hk_pwhash_pin_check(pin, len): 0 if ${pin} is HK_PWHASH_PIN_MIN to
 * HK_PWHASH_PIN_MAX ASCII digits, else HK_EPOLICY. Fast; no logging. */
HK_MUST_CHECK int hk_pwhash_pin_check(const uint8_t *pin, size_t len);

/** hk_pwhash_password_check(pw, len): 0 if ${pw} is HK_PWHASH_PASSWORD_MIN
 * to HK_PWHASH_PASSWORD_MAX bytes of well-formed UTF-8 without ASCII
 * control characters (NUL, tab, newline, DEL, ...), else HK_EPOLICY.
 * Fast; no logging. */
HK_MUST_CHECK int hk_pwhash_password_check(const uint8_t *pw, size_t len);

#endif
