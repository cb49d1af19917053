/* SPDX-License-Identifier: Apache-2.0 */
/*
 * ledger_note: C2SP signed-note and tlog-checkpoint text (OPS-4, SIG-6).
 *
 * A checkpoint body is "<origin>\n<size>\n<base64 root>\n"; a signed note is
 * the body, an empty line, and one line per signature
 * "\u2014 <key name> <base64(key ID || signature)>\n". Key IDs and verifier
 * keys ("<name>+<hex key ID>+<base64(type || public key)>") follow the
 * signed-note spec; type 0x01 is Ed25519 and its key ID is
 * SHA-256(name || "\n" || 0x01 || public key)[:4].
 *
 * Signing goes through a callback so that the key can live in the HSM;
 * verification uses libsodium's Ed25519.
 */
#ifndef LEDGER_NOTE_H
#define LEDGER_NOTE_H

#include <stddef.h>
#include <stdint.h>

#include "core/buf.h"
#include "core/err.h"

#define LEDGER_NOTE_ALG_ED25519 0x01
#define LEDGER_NOTE_KEYID_LEN 4
#define LEDGER_NOTE_ED25519_PUB_LEN 32
#define LEDGER_NOTE_ED25519_SIG_LEN 64
#define LEDGER_NOTE_NAME_MAX 255
/* Verifiers must accept at least 16 signatures per note (signed-note). */
#define LEDGER_NOTE_MAX_SIGS 32

/* Signs ${len} bytes of ${msg}, writing LEDGER_NOTE_ED25519_SIG_LEN bytes to
 * ${sig}; 0 or a negative HK_E*. Called from the ledger writer thread. */
typedef int (*ledger_note_sign_cb)(void *arg, const uint8_t *msg, size_t len,
    uint8_t sig[LEDGER_NOTE_ED25519_SIG_LEN]);

/* A key that signs notes: its name, public key and signing callback. */
struct ledger_note_signer {
	char name[LEDGER_NOTE_NAME_MAX + 1];
	uint8_t pub[LEDGER_NOTE_ED25519_PUB_LEN];
	uint8_t keyid[LEDGER_NOTE_KEYID_LEN];
	ledger_note_sign_cb sign;
	void *arg;
};

/* A key that verifies notes (parsed from a vkey). */
struct ledger_note_verifier {
	char name[LEDGER_NOTE_NAME_MAX + 1];
	uint8_t pub[LEDGER_NOTE_ED25519_PUB_LEN];
	uint8_t keyid[LEDGER_NOTE_KEYID_LEN];
};

/* A parsed checkpoint body. ${origin} is NUL-terminated. */
struct ledger_checkpoint {
	char origin[LEDGER_NOTE_NAME_MAX + 1];
	uint64_t size;
	uint8_t root[32];
};

/** ledger_note_name_valid(name): true if ${name} may be a key name or
 * origin: 1..255 bytes of printable ASCII without space or '+'. */
int ledger_note_name_valid(const char *name);

/** ledger_note_signer_init(s, name, pub, sign, arg): fill ${s} and compute
 * its key ID. HK_EINVAL for a bad name. */
HK_MUST_CHECK int ledger_note_signer_init(struct ledger_note_signer *s,
    const char *name, const uint8_t pub[static LEDGER_NOTE_ED25519_PUB_LEN],
    ledger_note_sign_cb sign, void *arg);

/** ledger_note_vkey(name, pub, out): append the verifier key text (no
 * newline) to ${out}; 0, HK_EINVAL or HK_ENOMEM. */
HK_MUST_CHECK int ledger_note_vkey(const char *name,
    const uint8_t pub[static LEDGER_NOTE_ED25519_PUB_LEN], struct hk_buf *out);

/** ledger_note_vkey_parse(text, len, v): parse a verifier key; checks the
 * key ID against the name and key. 0 or HK_EINVAL. */
HK_MUST_CHECK int ledger_note_vkey_parse(const char *text, size_t len,
    struct ledger_note_verifier *v);

/** ledger_note_checkpoint_body(origin, size, root, out): append a
 * tlog-checkpoint body. */
HK_MUST_CHECK int ledger_note_checkpoint_body(const char *origin,
    uint64_t size, const uint8_t root[static 32], struct hk_buf *out);

/** ledger_note_sign(s, body, len, out): append ${body} (which must end
 * with "\n"), the blank line and ${s}'s signature line to ${out}. */
HK_MUST_CHECK int ledger_note_sign(const struct ledger_note_signer *s,
    const char *body, size_t len, struct hk_buf *out);

/** ledger_note_open(note, len, vs, nvs, body_len): verify a signed note
 * against the verifiers ${vs}[0..nvs). Signatures by unknown keys are
 * ignored; a known key whose signature fails rejects the note; at least
 * one known key must verify. On success ${body_len} is the length of the
 * signed text (the body, including its final newline). 0, HK_EINVAL
 * (malformed), or HK_EVERIFY. */
HK_MUST_CHECK int ledger_note_open(const char *note, size_t len,
    const struct ledger_note_verifier *vs, size_t nvs, size_t *body_len);

/** ledger_note_checkpoint_parse(body, len, cp): parse a checkpoint body
 * (origin, decimal size without leading zeros, base64 root; extension
 * lines are refused). 0 or HK_EINVAL. */
HK_MUST_CHECK int ledger_note_checkpoint_parse(const char *body, size_t len,
    struct ledger_checkpoint *cp);

#endif
