/* SPDX-License-Identifier: Apache-2.0 */
/* ckpt: HSM-held checkpoint key (see ckpt.h). OPS-4, NET-4. */
#include <stdlib.h>
#include <string.h>

#include "core/ckpt.h"
#include "core/log.h"

struct hk_ckpt {
	struct hsm_pool *pool;
	uint8_t id[HSM_KEYID_LEN];
	struct ledger_note_signer signer;
};

/* SEQUENCE { SEQUENCE { OID 1.3.101.112 } BIT STRING (0 unused) 32 bytes } */
static const uint8_t ed25519_spki_prefix[12] = {0x30, 0x2a, 0x30, 0x05, 0x06,
    0x03, 0x2b, 0x65, 0x70, 0x03, 0x21, 0x00};

/** hk_ckpt_ed25519_pub(spki, len, pub): the raw Ed25519 public key. */
int
hk_ckpt_ed25519_pub(const uint8_t *spki, size_t len, uint8_t pub[static 32])
{
	if (len != sizeof(ed25519_spki_prefix) + 32 ||
	    memcmp(spki, ed25519_spki_prefix, sizeof(ed25519_spki_prefix)) != 0)
		return HK_EINVAL;
	memcpy(pub, spki + sizeof(ed25519_spki_prefix), 32);
	return 0;
}

static int
sign_cb(void *arg, const uint8_t *msg, size_t len,
    uint8_t sig[LEDGER_NOTE_ED25519_SIG_LEN])
{
	struct hk_ckpt *c = arg;
	uint8_t out[HSM_SIG_MAX];
	size_t n = 0;
	int r;

	/* Once per group commit, on the ledger's writer thread: on the
	 * reserved session, so that the commit never waits for a pool
	 * session behind the signature workers. */
	if ((r = hsm_key_sign_reserved(c->pool, c->id, HSM_SIG_ED25519,
		 HSM_HASH_NONE, msg, len, out, &n)) != 0)
		return r;
	if (n != LEDGER_NOTE_ED25519_SIG_LEN)
		return HK_ECRYPTO;
	memcpy(sig, out, n);
	return 0;
}

/** hk_ckpt_open(pool, id, name, out): a signer for HSM key ${id}. */
int
hk_ckpt_open(struct hsm_pool *pool, const uint8_t id[static HSM_KEYID_LEN],
    const char *name, struct hk_ckpt **out)
{
	struct hsm_keyinfo ki;
	struct hk_ckpt *c;
	uint8_t pub[32];
	int r;

	if ((r = hsm_key_find(pool, id, &ki)) != 0) {
		hk_error_f("checkpoint key not found in the HSM: %s",
		    hk_strerror(r));
		return r;
	}
	if (ki.alg != HSM_ALG_ED25519 ||
	    hk_ckpt_ed25519_pub(ki.spki, ki.spki_len, pub) != 0) {
		hk_error_f("the checkpoint key is %s, not Ed25519",
		    hsm_alg_name(ki.alg));
		return HK_EINVAL;
	}
	if ((c = calloc(1, sizeof(*c))) == NULL)
		return HK_ENOMEM;
	c->pool = pool;
	memcpy(c->id, id, HSM_KEYID_LEN);
	if ((r = ledger_note_signer_init(&c->signer, name, pub, sign_cb, c)) !=
	    0) {
		free(c);
		return r;
	}
	*out = c;
	return 0;
}

/** hk_ckpt_signer(c): the note signer. */
const struct ledger_note_signer *
hk_ckpt_signer(const struct hk_ckpt *c)
{
	return &c->signer;
}

/** hk_ckpt_free(c): accepts NULL. */
void
hk_ckpt_free(struct hk_ckpt *c)
{
	free(c);
}
