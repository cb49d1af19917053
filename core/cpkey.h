/* SPDX-License-Identifier: Apache-2.0 */
/*
 * cpkey: the ledger's checkpoint signing key held in software (an Ed25519
 * seed in a 0600 file of the state directory, kept in sodium_malloc'd
 * memory). This is the interim home of the key: the HSM adapter issue moves
 * it into the crypto module behind the same ledger_note_sign_cb. OPS-4.
 */
#ifndef HK_CPKEY_H
#define HK_CPKEY_H

#include "core/err.h"
#include "ledger/ledger_note.h"

struct hk_cpkey;

/** hk_cpkey_generate(path, name, out): create a new key from the OS
 * CSPRNG (OPS-5) and write its seed to ${path} (O_EXCL, mode 0600).
 * HK_EEXIST if the file exists. */
HK_MUST_CHECK int hk_cpkey_generate(const char *path, const char *name,
    struct hk_cpkey **out);

/** hk_cpkey_load(path, name, out): load the key at ${path}; refuses a file
 * readable by group or others. */
HK_MUST_CHECK int hk_cpkey_load(const char *path, const char *name,
    struct hk_cpkey **out);

/** hk_cpkey_signer(k): the note signer for ${k} (valid until
 * hk_cpkey_free()). */
const struct ledger_note_signer *hk_cpkey_signer(const struct hk_cpkey *k);

/** hk_cpkey_free(k): wipe and free; accepts NULL. */
void hk_cpkey_free(struct hk_cpkey *k);

#endif
