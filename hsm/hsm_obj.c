/* SPDX-License-Identifier: Apache-2.0 */
/*
 * hsm_obj: running one PKCS#11 operation on a pooled session with the
 * adapter's recovery rules (retire the session on CKR_SESSION_HANDLE_INVALID,
 * CKR_DEVICE_ERROR, CKR_GENERAL_ERROR and kin; log in again after
 * CKR_USER_NOT_LOGGED_IN; retry only what has no side effect), plus the
 * object look-ups every key operation needs. NET-4, REG-3.
 */
#include <stdio.h>
#include <string.h>

#include "core/codec.h"
#include "core/log.h"
#include "hsm/hsm_ckr.h"
#include "hsm/hsm_internal.h"

/* Attempts in all for an operation that may be retried. */
#define HSM_TRIES 3

/** hsm_session_run(p, s, op, ctx, retry, where): run with recovery. */
int
hsm_session_run(struct hsm_pool *p, struct hsm_session *s, hsm_op_fn op,
    void *ctx, bool retry, const char *where)
{
	const char *fn = "?";
	CK_RV rv;
	int tries;

	for (tries = 1;; tries++) {
		rv = op(p, s, ctx, &fn);
		if (rv == CKR_OK)
			return 0;
		/* Recover in any case (a retired session must not go back
		 * to the pool), but repeat only what is safe to repeat. */
		if (hsm_session_recover(p, s, rv) && retry &&
		    tries < HSM_TRIES)
			continue;
		return hsm_ckr_fail(where, fn, rv);
	}
}

struct find_ctx {
	CK_ATTRIBUTE *t;
	CK_ULONG nt;
	CK_OBJECT_HANDLE *out;
	CK_ULONG max, n;
};

static CK_RV
find_op(struct hsm_pool *p, struct hsm_session *s, void *arg, const char **fn)
{
	struct find_ctx *c = arg;
	CK_OBJECT_HANDLE h[16];
	CK_ULONG got, i;
	CK_RV rv;

	c->n = 0;
	*fn = "C_FindObjectsInit";
	if ((rv = p->f->C_FindObjectsInit(s->h, c->t, c->nt)) != CKR_OK)
		return rv;
	for (;;) {
		*fn = "C_FindObjects";
		rv = p->f->C_FindObjects(s->h, h, 16, &got);
		if (rv != CKR_OK || got == 0)
			break;
		for (i = 0; i < got; i++, c->n++)
			if (c->n < c->max)
				c->out[c->n] = h[i];
	}
	if (rv != CKR_OK) {
		/* End the search so the session stays usable; the first
		 * error is the one reported. */
		p->f->C_FindObjectsFinal(s->h);
		return rv;
	}
	*fn = "C_FindObjectsFinal";
	return p->f->C_FindObjectsFinal(s->h);
}

/** hsm_obj_find_by(p, s, t, nt, out, max, n): find by a template. */
int
hsm_obj_find_by(struct hsm_pool *p, struct hsm_session *s, CK_ATTRIBUTE *t,
    CK_ULONG nt, CK_OBJECT_HANDLE *out, CK_ULONG max, CK_ULONG *n)
{
	struct find_ctx c;
	int r;

	memset(&c, 0, sizeof(c));
	c.t = t;
	c.nt = nt;
	c.out = out;
	c.max = max;
	if ((r = hsm_session_run(p, s, find_op, &c, true, __func__)) != 0)
		return r;
	*n = c.n;
	return 0;
}

/** hsm_obj_find(p, s, cls, id, idlen, out, max, n): find by CKA_ID. */
int
hsm_obj_find(struct hsm_pool *p, struct hsm_session *s, CK_OBJECT_CLASS cls,
    const uint8_t *id, size_t idlen, CK_OBJECT_HANDLE *out, CK_ULONG max,
    CK_ULONG *n)
{
	CK_ATTRIBUTE t[2];
	CK_ULONG nt = 1;

	t[0] = (CK_ATTRIBUTE){CKA_ID, (void *)id, (CK_ULONG)idlen};
	if (cls != CK_UNAVAILABLE_INFORMATION)
		t[nt++] = (CK_ATTRIBUTE){CKA_CLASS, &cls, sizeof(cls)};
	return hsm_obj_find_by(p, s, t, nt, out, max, n);
}

struct attrs_ctx {
	CK_OBJECT_HANDLE h;
	CK_ATTRIBUTE *t;
	CK_ULONG n;
};

static CK_RV
attrs_op(struct hsm_pool *p, struct hsm_session *s, void *arg,
    const char **fn)
{
	struct attrs_ctx *c = arg;
	CK_RV rv;

	*fn = "C_GetAttributeValue";
	rv = p->f->C_GetAttributeValue(s->h, c->h, c->t, c->n);
	/* These leave the other attributes filled and mark the offending
	 * ones CK_UNAVAILABLE_INFORMATION; the caller checks lengths. */
	if (rv == CKR_ATTRIBUTE_SENSITIVE || rv == CKR_ATTRIBUTE_TYPE_INVALID ||
	    rv == CKR_BUFFER_TOO_SMALL)
		rv = CKR_OK;
	return rv;
}

/** hsm_obj_attrs(p, s, h, t, n): read attributes. */
int
hsm_obj_attrs(struct hsm_pool *p, struct hsm_session *s, CK_OBJECT_HANDLE h,
    CK_ATTRIBUTE *t, CK_ULONG n)
{
	struct attrs_ctx c = {h, t, n};

	return hsm_session_run(p, s, attrs_op, &c, true, __func__);
}

static CK_RV
destroy_op(struct hsm_pool *p, struct hsm_session *s, void *arg,
    const char **fn)
{
	*fn = "C_DestroyObject";
	return p->f->C_DestroyObject(s->h, *(CK_OBJECT_HANDLE *)arg);
}

/** hsm_obj_destroy(p, s, h): destroy one object. */
int
hsm_obj_destroy(struct hsm_pool *p, struct hsm_session *s, CK_OBJECT_HANDLE h)
{
	/* Retrying is safe: a second C_DestroyObject of a destroyed object
	 * fails with CKR_OBJECT_HANDLE_INVALID, which is reported. */
	return hsm_session_run(p, s, destroy_op, &h, true, __func__);
}

/** hsm_obj_label(label, id, buf): the label to write. */
int
hsm_obj_label(const char *label, const uint8_t id[static HSM_KEYID_LEN],
    char *buf)
{
	size_t n;

	if (label == NULL) {
		memcpy(buf, "hanko-", 6);
		hk_hex_encode(buf + 6, id, HSM_KEYID_LEN);
		return 0;
	}
	n = strlen(label);
	if (n == 0 || n > HSM_LABEL_MAX) {
		hk_error_f("a key label must have 1 to %d bytes",
		    HSM_LABEL_MAX);
		return HK_EINVAL;
	}
	memcpy(buf, label, n + 1);
	return 0;
}
