/* SPDX-License-Identifier: Apache-2.0 */
/*
 * seal: confidentiality and commitments for a signer's identity attributes
 * (REG-1: registration data is integrity-protected and its sensitive parts
 * are confidential at rest). Each signer has a 32-byte data key and a
 * 32-byte salt, both random and both kept off the ledger (the data key is
 * stored wrapped by a key in the HSM; the caller does that). Attributes
 * and OTP seeds are stored as XSalsa20-Poly1305 boxes with a random
 * nonce: nonce || crypto_secretbox_easy() output (MAC || ciphertext);
 * any altered byte is refused. The ledger event carries only a commitment,
 * HMAC-SHA256(salt, canonical(attributes)), where canonical() is an
 * unambiguous, length-prefixed encoding in a fixed order, so two
 * different attribute sets never encode alike. Erasing a signer's key and
 * salt makes the attributes unrecoverable while every ledger proof stays
 * valid (the commitment reveals nothing without the salt).
 *
 * No allocation except hk_seal_key_new(); outputs go to caller buffers
 * sized by the macros below. No logging. Any thread.
 *
 * WARNING: a secretbox has no associated data. A box moved between two
 * records sealed under the same key opens without complaint: after
 * decrypting attributes, check them against the ledger commitment with
 * hk_seal_commit_check(), and do not rely on the box alone to say which
 * record it belongs to.
 */
#ifndef HK_SEAL_H
#define HK_SEAL_H

#include <stddef.h>
#include <stdint.h>

#include "core/err.h"
#include "core/mpk.h"

/* Per-signer data key, commitment salt and commitment (bytes). */
#define HK_SEAL_KEY_LEN 32
#define HK_SEAL_SALT_LEN 32
#define HK_SEAL_COMMIT_LEN 32
/* Box layout: a random nonce, then libsodium's combined MAC||ciphertext. */
#define HK_SEAL_NONCE_LEN 24
#define HK_SEAL_MAC_LEN 16
#define HK_SEAL_OVERHEAD (HK_SEAL_NONCE_LEN + HK_SEAL_MAC_LEN)
/* Largest plaintext, and the box size for ${n} bytes of plaintext. */
#define HK_SEAL_PLAIN_MAX 65536
#define HK_SEAL_SEALED_LEN(n) ((size_t)(n) + HK_SEAL_OVERHEAD)
/* Largest attribute field, in bytes. */
#define HK_SEAL_FIELD_MAX 1024
/* Canonical encoding: a 4-byte tag "HKA1", then five fields (kind, name,
 * organization, email, proofing reference), each a 2-byte big-endian
 * length and that many bytes. Kind is one byte. */
#define HK_SEAL_ATTRS_MAX (4 + 5 * 2 + 1 + 4 * HK_SEAL_FIELD_MAX)

/* Who the attributes describe. The numbers are encoded (stable). */
enum hk_seal_kind {
	HK_SEAL_NATURAL = 1, /* a natural person (signature) */
	HK_SEAL_LEGAL = 2,   /* a legal person (e-seal, SIG-8) */
};

/* A signer's identity attributes. Text fields are UTF-8 of at most
 * HK_SEAL_FIELD_MAX bytes and may be empty (n = 0, p may be NULL).
 * Borrowed: when filled by hk_seal_attrs_decode() they point into the
 * decoded buffer. */
struct hk_seal_attrs {
	enum hk_seal_kind kind;
	struct hk_bytes name;
	struct hk_bytes organization;
	struct hk_bytes email;
	struct hk_bytes proofing_ref; /* identity-proofing reference */
};

/** Random source: fill ${buf} with ${n} bytes; return 0 or HK_E*. E.g. a
 * wrapper around hsm_pool_random() for the module's RNG (OPS-5). */
typedef int (*hk_seal_random_cb)(void *arg, uint8_t *buf, size_t n);

/** hk_seal_key_new(): a HK_SEAL_KEY_LEN-byte buffer for a data key in
 * guarded memory (sodium_malloc), zeroed; NULL on ENOMEM or if libsodium
 * cannot initialise. Release with hk_seal_key_free(). */
uint8_t *hk_seal_key_new(void);

/** hk_seal_key_free(key): wipe and release a buffer from
 * hk_seal_key_new(); accepts NULL. */
void hk_seal_key_free(uint8_t *key);

/** hk_seal_wipe(p, n): zero ${n} bytes at ${p} in a way the compiler does
 * not remove (sodium_memzero). For plaintexts, decoded attributes'
 * buffers, keys and salts on the stack. */
void hk_seal_wipe(void *p, size_t n);

/** hk_seal_key_generate(rnd, arg, key): fill ${key} from ${rnd}(${arg},
 * ...) or, if ${rnd} is NULL, from libsodium's randombytes_buf(). Returns
 * 0 or ${rnd}'s error (then ${key} is zeroed). */
HK_MUST_CHECK int hk_seal_key_generate(
    hk_seal_random_cb rnd, void *arg, uint8_t key[static HK_SEAL_KEY_LEN]);

/** hk_seal_salt_generate(rnd, arg, salt): as hk_seal_key_generate(), for
 * a commitment salt. */
HK_MUST_CHECK int hk_seal_salt_generate(
    hk_seal_random_cb rnd, void *arg, uint8_t salt[static HK_SEAL_SALT_LEN]);

/** hk_seal_encrypt(key, plain, n, rnd, arg, out, outmax, outlen): box
 * ${plain} (${n} bytes, at most HK_SEAL_PLAIN_MAX) under ${key} with a
 * nonce drawn from ${rnd} (NULL: randombytes_buf) into ${out}, which holds
 * ${outmax} >= HK_SEAL_SEALED_LEN(n) bytes; *${outlen} =
 * HK_SEAL_SEALED_LEN(n). Returns 0, HK_ETOOBIG (plaintext too long or
 * ${out} too small), HK_ECRYPTO or ${rnd}'s error. */
HK_MUST_CHECK int hk_seal_encrypt(const uint8_t key[static HK_SEAL_KEY_LEN],
    const uint8_t *plain, size_t n, hk_seal_random_cb rnd, void *arg,
    uint8_t *out, size_t outmax, size_t *outlen);

/** hk_seal_decrypt(key, in, inlen, out, outmax, outlen): open the box
 * ${in} (${inlen} bytes, from hk_seal_encrypt()) under ${key} into ${out}
 * (${outmax} >= inlen - HK_SEAL_OVERHEAD bytes); *${outlen} is the
 * plaintext length. Returns 0; HK_EVERIFY when the box was altered in any
 * byte, truncated, or sealed under another key (nothing is written);
 * HK_ETOOBIG when ${out} is too small or the box too large. WARNING: the
 * output is a secret: wipe it after use. */
HK_MUST_CHECK int hk_seal_decrypt(const uint8_t key[static HK_SEAL_KEY_LEN],
    const uint8_t *in, size_t inlen, uint8_t *out, size_t outmax,
    size_t *outlen);

/** hk_seal_attrs_encode(a, out, outmax, outlen): the canonical encoding
 * of ${a} (see HK_SEAL_ATTRS_MAX) into ${out}; *${outlen} is its length.
 * Returns 0, HK_EINVAL (unknown kind, a text field that is not UTF-8 or
 * is NULL with a non-zero length) or HK_ETOOBIG (a field over
 * HK_SEAL_FIELD_MAX bytes, or ${out} too small). This is also the
 * plaintext to seal. */
HK_MUST_CHECK int hk_seal_attrs_encode(
    const struct hk_seal_attrs *a, uint8_t *out, size_t outmax, size_t *outlen);

/** hk_seal_attrs_decode(in, len, a): parse a canonical encoding; fields
 * of ${a} borrow from ${in} (valid while it is). Strict: the tag, exactly
 * five fields, a known kind, UTF-8 text, no trailing bytes. Returns 0 or
 * HK_EINVAL. */
HK_MUST_CHECK int hk_seal_attrs_decode(
    const uint8_t *in, size_t len, struct hk_seal_attrs *a);

/** hk_seal_commit(salt, a, out): ${out} = HMAC-SHA256 keyed with ${salt}
 * over hk_seal_attrs_encode(${a}). Returns 0 or the encoder's error. The
 * encoding passes through a stack buffer that is wiped. */
HK_MUST_CHECK int hk_seal_commit(const uint8_t salt[static HK_SEAL_SALT_LEN],
    const struct hk_seal_attrs *a, uint8_t out[static HK_SEAL_COMMIT_LEN]);

/** hk_seal_commit_check(salt, a, expected): 0 if the commitment of ${a}
 * under ${salt} equals ${expected} (constant-time comparison), else
 * HK_EVERIFY; or the encoder's error. */
HK_MUST_CHECK int hk_seal_commit_check(
    const uint8_t salt[static HK_SEAL_SALT_LEN], const struct hk_seal_attrs *a,
    const uint8_t expected[static HK_SEAL_COMMIT_LEN]);

#endif
