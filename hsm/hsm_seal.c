/* SPDX-License-Identifier: Apache-2.0 */
/*
 * hsm_seal: AES-256-GCM under a key that lives in the module and can only
 * encrypt and decrypt (REG-1: the per-signer data keys and OTP seeds of
 * the vault are sealed with it, so the state directory alone reveals
 * nothing; NET-4).
 */
#include <string.h>

#include <sodium.h>

#include "core/codec.h"
#include "core/log.h"
#include "hsm/hsm_ckr.h"
#include "hsm/hsm_internal.h"

static CK_BBOOL ck_true = CK_TRUE;
static CK_BBOOL ck_false = CK_FALSE;

#define ATTR(t, v) ((CK_ATTRIBUTE){(t), &(v), sizeof(v)})
#define ATTR_P(t, p, n) ((CK_ATTRIBUTE){(t), (void *)(p), (CK_ULONG)(n)})
#define IV_LEN 12
#define TAG_LEN 16

_Static_assert(HSM_SEAL_OVERHEAD == IV_LEN + TAG_LEN, "seal layout");

struct gen_ctx {
	CK_ATTRIBUTE *t;
	CK_ULONG nt;
	CK_OBJECT_HANDLE out;
};

static CK_RV
gen_op(struct hsm_pool *p, struct hsm_session *s, void *arg, const char **fn)
{
	struct gen_ctx *c = arg;
	CK_MECHANISM m = {CKM_AES_KEY_GEN, NULL, 0};

	*fn = "C_GenerateKey";
	return p->f->C_GenerateKey(s->h, &m, c->t, c->nt, &c->out);
}

/** hsm_sealkey_generate(p, label, out): an encrypt/decrypt-only AES key. */
int
hsm_sealkey_generate(struct hsm_pool *p, const char *label,
    struct hsm_keyinfo *out)
{
	CK_OBJECT_CLASS cls = CKO_SECRET_KEY;
	CK_KEY_TYPE kt = CKK_AES;
	CK_ULONG vlen = 32;
	CK_MECHANISM_TYPE mech = CKM_AES_GCM;
	struct hsm_session *s = NULL;
	struct gen_ctx c;
	uint8_t id[HSM_KEYID_LEN];
	char lab[HSM_LABEL_MAX + 1];
	int r;
	CK_ATTRIBUTE t[] = {
		ATTR(CKA_CLASS, cls),
		ATTR(CKA_KEY_TYPE, kt),
		ATTR(CKA_TOKEN, ck_true),
		ATTR(CKA_PRIVATE, ck_true),
		ATTR(CKA_SENSITIVE, ck_true),
		ATTR(CKA_EXTRACTABLE, ck_false),
		ATTR(CKA_ENCRYPT, ck_true),
		ATTR(CKA_DECRYPT, ck_true),
		ATTR(CKA_WRAP, ck_false),
		ATTR(CKA_UNWRAP, ck_false),
		ATTR(CKA_SIGN, ck_false),
		ATTR(CKA_VERIFY, ck_false),
		ATTR(CKA_DERIVE, ck_false),
		ATTR(CKA_ALLOWED_MECHANISMS, mech),
		ATTR_P(CKA_ID, id, sizeof(id)),
		ATTR_P(CKA_LABEL, lab, 0),
		ATTR(CKA_VALUE_LEN, vlen),
	};

	if ((r = hsm_pool_check(p)) != 0 ||
	    (r = hsm_pool_random(p, id, sizeof(id))) != 0 ||
	    (r = hsm_obj_label(label, id, lab)) != 0)
		return r;
	t[15].ulValueLen = (CK_ULONG)strlen(lab);
	c.t = t;
	c.nt = sizeof(t) / sizeof(t[0]);
	c.out = CK_INVALID_HANDLE;
	if ((r = hsm_session_get(p, NULL, &s)) != 0)
		return r;
	pthread_mutex_lock(&p->objects_mu);
	r = hsm_session_run(p, s, gen_op, &c, false, __func__);
	pthread_mutex_unlock(&p->objects_mu);
	hsm_session_put(p, s);
	if (r != 0)
		return r;
	memset(out, 0, sizeof(*out));
	memcpy(out->id, id, HSM_KEYID_LEN);
	out->alg = HSM_ALG_AES_256;
	out->kind = HSM_KIND_SEAL;
	out->token = true;
	memcpy(out->label, lab, strlen(lab) + 1);
	return 0;
}

struct crypt_ctx {
	const uint8_t *id;
	bool encrypt;
	CK_GCM_PARAMS gcm;
	const uint8_t *in;
	CK_ULONG inlen;
	uint8_t *out;
	CK_ULONG outlen;
};

static CK_RV
crypt_op(struct hsm_pool *p, struct hsm_session *s, void *arg, const char **fn)
{
	struct crypt_ctx *c = arg;
	CK_MECHANISM m = {CKM_AES_GCM, &c->gcm, sizeof(c->gcm)};
	CK_OBJECT_HANDLE key = CK_INVALID_HANDLE;
	CK_ULONG n = 0;
	CK_RV rv;
	int r;

	/* Found per call: sealing is rare (enrollment, authorisation), and a
	 * fresh handle needs no invalidation logic. */
	r = hsm_obj_find(p, s, CKO_SECRET_KEY, c->id, HSM_KEYID_LEN, &key, 1,
	    &n);
	if (r != 0 || n != 1) {
		*fn = "C_FindObjects";
		return n == 0 && r == 0 ? CKR_KEY_HANDLE_INVALID :
					  CKR_GENERAL_ERROR;
	}
	if (c->encrypt) {
		*fn = "C_EncryptInit";
		if ((rv = p->f->C_EncryptInit(s->h, &m, key)) != CKR_OK)
			return rv;
		*fn = "C_Encrypt";
		return p->f->C_Encrypt(s->h, (CK_BYTE_PTR)c->in, c->inlen, c->out,
		    &c->outlen);
	}
	*fn = "C_DecryptInit";
	if ((rv = p->f->C_DecryptInit(s->h, &m, key)) != CKR_OK)
		return rv;
	*fn = "C_Decrypt";
	return p->f->C_Decrypt(s->h, (CK_BYTE_PTR)c->in, c->inlen, c->out,
	    &c->outlen);
}

static int
crypt(struct hsm_pool *p, struct crypt_ctx *c, const uint8_t *iv,
    const uint8_t *aad, size_t aadlen)
{
	struct hsm_session *s = NULL;
	int r;

	memset(&c->gcm, 0, sizeof(c->gcm));
	c->gcm.pIv = (CK_BYTE_PTR)iv;
	c->gcm.ulIvLen = IV_LEN;
	c->gcm.ulIvBits = IV_LEN * 8;
	c->gcm.pAAD = (CK_BYTE_PTR)aad;
	c->gcm.ulAADLen = (CK_ULONG)aadlen;
	c->gcm.ulTagBits = TAG_LEN * 8;
	if ((r = hsm_session_get(p, NULL, &s)) != 0)
		return r;
	/* No side effects: retried after a session loss. */
	r = hsm_session_run(p, s, crypt_op, c, true, __func__);
	hsm_session_put(p, s);
	return r;
}

/** hsm_seal(p, id, aad, aadlen, in, inlen, out, outlen): AES-GCM seal. */
int
hsm_seal(struct hsm_pool *p, const uint8_t id[static HSM_KEYID_LEN],
    const uint8_t *aad, size_t aadlen, const uint8_t *in, size_t inlen,
    uint8_t *out, size_t *outlen)
{
	struct crypt_ctx c;
	int r;

	if (inlen > HSM_SEAL_MAX || (inlen > 0 && in == NULL))
		return HK_EINVAL;
	if ((r = hsm_pool_check(p)) != 0 ||
	    (r = hsm_pool_random(p, out, IV_LEN)) != 0)
		return r;
	memset(&c, 0, sizeof(c));
	c.id = id;
	c.encrypt = true;
	c.in = in;
	c.inlen = (CK_ULONG)inlen;
	c.out = out + IV_LEN;
	c.outlen = (CK_ULONG)(inlen + TAG_LEN);
	if ((r = crypt(p, &c, out, aad, aadlen)) != 0)
		return r == HK_EHSM ? HK_ENOTFOUND : r;
	if (c.outlen != inlen + TAG_LEN)
		return HK_ECRYPTO;
	*outlen = IV_LEN + c.outlen;
	return 0;
}

/** hsm_unseal(p, id, aad, aadlen, in, inlen, out, outlen): AES-GCM open.
 * WARNING: SoftHSM wants room for ciphertext and tag even when decrypting:
 * decrypt into a buffer that large, then copy. */
int
hsm_unseal(struct hsm_pool *p, const uint8_t id[static HSM_KEYID_LEN],
    const uint8_t *aad, size_t aadlen, const uint8_t *in, size_t inlen,
    uint8_t *out, size_t *outlen)
{
	uint8_t tmp[HSM_SEAL_MAX + TAG_LEN];
	struct crypt_ctx c;
	int r;

	if (inlen < HSM_SEAL_OVERHEAD || inlen > HSM_SEAL_MAX + HSM_SEAL_OVERHEAD)
		return HK_EINVAL;
	if ((r = hsm_pool_check(p)) != 0)
		return r;

	memset(&c, 0, sizeof(c));
	c.id = id;
	c.encrypt = false;
	c.in = in + IV_LEN;
	c.inlen = (CK_ULONG)(inlen - IV_LEN);
	c.out = tmp;
	c.outlen = (CK_ULONG)sizeof(tmp);
	if ((r = crypt(p, &c, in, aad, aadlen)) != 0) {
		r = r == HK_EAUTH || r == HK_EHSM || r == HK_EINVAL ?
		    HK_EVERIFY : r;
	} else if (c.outlen != inlen - HSM_SEAL_OVERHEAD) {
		r = HK_ECRYPTO;
	} else {
		memcpy(out, tmp, c.outlen);
		*outlen = c.outlen;
	}
	sodium_memzero(tmp, sizeof(tmp));
	return r;
}
