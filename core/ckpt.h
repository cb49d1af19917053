/* SPDX-License-Identifier: Apache-2.0 */
/*
 * ckpt: the ledger's checkpoint key held in the HSM (OPS-4, NET-4). An
 * Ed25519 key generated inside the crypto module signs every checkpoint
 * through the adapter; its public key gives the signed-note verifier key.
 * Signed-note type 0x01 (Ed25519) only: a module without EdDSA is refused
 * at `hanko init` (ECDSA type 0x02 is not implemented).
 */
#ifndef HK_CKPT_H
#define HK_CKPT_H

#include "core/err.h"
#include "hsm/hsm.h"
#include "ledger/ledger_note.h"

struct hk_ckpt;

/** hk_ckpt_open(pool, id, name, out): a signer for the Ed25519 key ${id}
 * of ${pool} under the key name ${name} (the ledger origin). ${pool} is
 * borrowed until hk_ckpt_free(). HK_ENOTFOUND, HK_EINVAL (not an Ed25519
 * key, or a bad name) or HK_E*. */
HK_MUST_CHECK int hk_ckpt_open(struct hsm_pool *pool,
    const uint8_t id[static HSM_KEYID_LEN], const char *name,
    struct hk_ckpt **out);

/** hk_ckpt_signer(c): the note signer (valid until hk_ckpt_free()). Its
 * callback blocks on the HSM: call it from the ledger writer thread or
 * another non-loop thread. */
const struct ledger_note_signer *hk_ckpt_signer(const struct hk_ckpt *c);

/** hk_ckpt_free(c): accepts NULL. */
void hk_ckpt_free(struct hk_ckpt *c);

/** hk_ckpt_ed25519_pub(spki, len, pub): the raw key of an Ed25519
 * SubjectPublicKeyInfo (RFC 8410); 0 or HK_EINVAL. */
HK_MUST_CHECK int hk_ckpt_ed25519_pub(const uint8_t *spki, size_t len,
    uint8_t pub[static 32]);

#endif
