/* SPDX-License-Identifier: Apache-2.0 */
/*
 * hsm_unwrapkey: the AES-256 import keys under which a CA delivers the
 * private keys it generated (REG-7, adapter part). An import key lives in
 * the module, is sensitive and never extractable, and can do exactly one
 * thing: unwrap, with the RFC 5649 mechanism, into keys that are
 * themselves sensitive and not extractable (CKA_UNWRAP_TEMPLATE). NET-4.
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

struct mk_ctx {
	bool generate;
	CK_ATTRIBUTE *t;
	CK_ULONG nt;
	CK_OBJECT_HANDLE out;
};

static CK_RV
mk_op(struct hsm_pool *p, struct hsm_session *s, void *arg, const char **fn)
{
	struct mk_ctx *c = arg;
	CK_MECHANISM m = {CKM_AES_KEY_GEN, NULL, 0};

	if (c->generate) {
		*fn = "C_GenerateKey";
		return p->f->C_GenerateKey(s->h, &m, c->t, c->nt, &c->out);
	}
	*fn = "C_CreateObject";
	return p->f->C_CreateObject(s->h, c->t, c->nt, &c->out);
}

/* Make an import key: generated in the module, or from ${value}. */
static int
unwrapkey_make(struct hsm_pool *p, const char *label, const uint8_t *value,
    size_t len, struct hsm_keyinfo *out)
{
	CK_OBJECT_CLASS cls = CKO_SECRET_KEY;
	CK_KEY_TYPE kt = CKK_AES;
	CK_ULONG vlen = 32;
	CK_MECHANISM_TYPE mech = p->wrap_mech;
	struct hsm_session *s = NULL;
	struct mk_ctx c;
	uint8_t id[HSM_KEYID_LEN];
	char lab[HSM_LABEL_MAX + 1], hex[2 * HSM_KEYID_LEN + 1];
	int r;
	/* What every key unwrapped with it must be (PKCS#11 4.1.5
	 * CKA_UNWRAP_TEMPLATE): the module refuses an unwrap whose
	 * template contradicts this. */
	CK_ATTRIBUTE ut[] = {
		ATTR(CKA_SENSITIVE, ck_true),
		ATTR(CKA_EXTRACTABLE, ck_false),
	};
	CK_ATTRIBUTE t[] = {
		ATTR(CKA_CLASS, cls),
		ATTR(CKA_KEY_TYPE, kt),
		ATTR(CKA_TOKEN, ck_true),
		ATTR(CKA_PRIVATE, ck_true),
		ATTR(CKA_SENSITIVE, ck_true),
		ATTR(CKA_EXTRACTABLE, ck_false),
		ATTR(CKA_UNWRAP, ck_true),
		ATTR(CKA_WRAP, ck_false),
		ATTR(CKA_ENCRYPT, ck_false),
		ATTR(CKA_DECRYPT, ck_false),
		ATTR(CKA_SIGN, ck_false),
		ATTR(CKA_VERIFY, ck_false),
		ATTR(CKA_DERIVE, ck_false),
		ATTR_P(CKA_ID, id, sizeof(id)),
		ATTR_P(CKA_LABEL, lab, 0),
		ATTR(CKA_ALLOWED_MECHANISMS, mech),
		ATTR(CKA_UNWRAP_TEMPLATE, ut),
		/* CKA_VALUE_LEN to generate, CKA_VALUE to create. */
		ATTR(CKA_VALUE_LEN, vlen),
	};

	if (p->wrap_mech == 0) {
		hk_error_f("the module has no RFC 5649 key unwrapping "
			   "(CKM_AES_KEY_WRAP_KWP or CKM_AES_KEY_WRAP_PAD)");
		return HK_ENOTSUP;
	}
	if (value != NULL && len != 32) {
		hk_error_f("an import key has 32 bytes, not %zu", len);
		return HK_EINVAL;
	}
	if ((r = hsm_pool_random(p, id, sizeof(id))) != 0 ||
	    (r = hsm_obj_label(label, id, lab)) != 0)
		return r;
	t[14].ulValueLen = (CK_ULONG)strlen(lab);
	if (value != NULL)
		t[17] = ATTR_P(CKA_VALUE, value, len);
	c.generate = value == NULL;
	c.t = t;
	c.nt = sizeof(t) / sizeof(t[0]);
	c.out = CK_INVALID_HANDLE;
	if ((r = hsm_session_get(p, NULL, &s)) != 0)
		return r;
	/* Not retried: it creates an object. */
	r = hsm_session_run(p, s, mk_op, &c, false, __func__);
	hsm_session_put(p, s);
	if (r != 0)
		return r;
	memset(out, 0, sizeof(*out));
	memcpy(out->id, id, HSM_KEYID_LEN);
	out->alg = HSM_ALG_AES_256;
	out->kind = HSM_KIND_UNWRAP;
	out->token = true;
	memcpy(out->label, lab, strlen(lab) + 1);
	hk_hex_encode(hex, id, HSM_KEYID_LEN);
	hk_info_f("%s import key %s \"%s\"",
	    value ? "created" : "generated", hex, lab);
	return 0;
}

/** hsm_unwrapkey_generate(p, label, out): a new import key. */
int
hsm_unwrapkey_generate(struct hsm_pool *p, const char *label,
    struct hsm_keyinfo *out)
{
	return unwrapkey_make(p, label, NULL, 0, out);
}

/** hsm_unwrapkey_create(p, label, value, len, out): an import key from a
 * transport key shared with a CA. */
int
hsm_unwrapkey_create(struct hsm_pool *p, const char *label,
    const uint8_t *value, size_t len, struct hsm_keyinfo *out)
{
	if (value == NULL)
		return HK_EINVAL;
	return unwrapkey_make(p, label, value, len, out);
}
