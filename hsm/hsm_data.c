/* SPDX-License-Identifier: Apache-2.0 */
/*
 * hsm_data: small private token data objects (CKO_DATA) named by label.
 * The ledger's anti-rollback anchor lives in one (issue 7): the last
 * signed checkpoint, kept where a restored or swapped state directory
 * cannot take it back. Private objects need the user login, like the keys.
 */
#include <string.h>

#include "core/log.h"
#include "hsm/hsm_ckr.h"
#include "hsm/hsm_internal.h"

static CK_BBOOL ck_true = CK_TRUE;

#define ATTR(t, v) ((CK_ATTRIBUTE){(t), &(v), sizeof(v)})
#define ATTR_P(t, p, n) ((CK_ATTRIBUTE){(t), (void *)(p), (CK_ULONG)(n)})
#define APPLICATION "hanko"

/* The data objects labelled ${label}; up to ${max} in ${out}. */
static int
find_data(struct hsm_pool *p, struct hsm_session *s, const char *label,
    CK_OBJECT_HANDLE *out, CK_ULONG max, CK_ULONG *n)
{
	CK_OBJECT_CLASS cls = CKO_DATA;
	CK_ATTRIBUTE t[] = {
		ATTR(CKA_CLASS, cls),
		ATTR_P(CKA_LABEL, label, strlen(label)),
		ATTR_P(CKA_APPLICATION, APPLICATION, strlen(APPLICATION)),
	};

	return hsm_obj_find_by(p, s, t, 3, out, max, n);
}

struct value_ctx {
	CK_OBJECT_HANDLE h;
	uint8_t *buf;
	CK_ULONG len;
};

static CK_RV
get_op(struct hsm_pool *p, struct hsm_session *s, void *arg, const char **fn)
{
	struct value_ctx *c = arg;
	CK_ATTRIBUTE a = {CKA_VALUE, c->buf, c->len};
	CK_RV rv;

	*fn = "C_GetAttributeValue";
	rv = p->f->C_GetAttributeValue(s->h, c->h, &a, 1);
	c->len = a.ulValueLen;
	return rv;
}

struct create_ctx {
	CK_ATTRIBUTE *t;
	CK_ULONG nt;
	CK_OBJECT_HANDLE out;
};

static CK_RV
create_op(struct hsm_pool *p, struct hsm_session *s, void *arg,
    const char **fn)
{
	struct create_ctx *c = arg;

	*fn = "C_CreateObject";
	return p->f->C_CreateObject(s->h, c->t, c->nt, &c->out);
}

/** hsm_data_read(p, label, cb, arg): call ${cb} with the value of each
 * data object labelled ${label} (at most HSM_DATA_OBJS). 0 (also when
 * there is none), the first non-zero ${cb} result, or HK_E*. */
int
hsm_data_read(struct hsm_pool *p, const char *label, hsm_data_cb cb,
    void *arg)
{
	struct hsm_session *s = NULL;
	CK_OBJECT_HANDLE h[HSM_DATA_OBJS];
	CK_ULONG n = 0, i;
	struct hk_buf b = HK_BUF_INIT;
	struct value_ctx c;
	int r;

	if ((r = hsm_pool_check(p)) != 0 ||
	    (r = hsm_session_get(p, NULL, &s)) != 0)
		return r;
	if ((r = find_data(p, s, label, h, HSM_DATA_OBJS, &n)) != 0)
		goto out;
	for (i = 0; i < n && i < HSM_DATA_OBJS && r == 0; i++) {
		memset(&c, 0, sizeof(c));
		c.h = h[i];
		if ((r = hsm_session_run(p, s, get_op, &c, true, __func__)) != 0)
			break;
		if (c.len > HSM_DATA_MAX) {
			r = HK_ETOOBIG;
			break;
		}
		hk_buf_reset(&b);
		if ((r = hk_buf_reserve(&b, c.len + 1)) != 0)
			break;
		c.buf = b.p;
		if ((r = hsm_session_run(p, s, get_op, &c, true, __func__)) != 0)
			break;
		/* The session goes back first: ${cb} may use the pool. */
		hsm_session_put(p, s);
		s = NULL;
		r = cb(arg, b.p, c.len);
		if (r == 0 && i + 1 < n && i + 1 < HSM_DATA_OBJS &&
		    (r = hsm_session_get(p, NULL, &s)) != 0)
			break;
	}
out:
	if (s != NULL)
		hsm_session_put(p, s);
	hk_buf_release(&b);
	return r;
}

/** hsm_data_put(p, label, v, n): a new data object ${label} holding ${v}
 * (private, token); then the older ones of that label are destroyed. A
 * crash in between leaves both: readers see every value (hsm_data_read).
 * Modules may refuse to change CKA_VALUE in place (SoftHSM does), hence
 * create-then-destroy. */
int
hsm_data_put(struct hsm_pool *p, const char *label, const uint8_t *v,
    size_t n)
{
	CK_OBJECT_CLASS cls = CKO_DATA;
	struct hsm_session *s = NULL;
	CK_OBJECT_HANDLE h[HSM_DATA_OBJS];
	CK_ULONG found = 0, i;
	int r;
	CK_ATTRIBUTE t[] = {
		ATTR(CKA_CLASS, cls),
		ATTR(CKA_TOKEN, ck_true),
		ATTR(CKA_PRIVATE, ck_true),
		ATTR_P(CKA_LABEL, label, strlen(label)),
		ATTR_P(CKA_APPLICATION, APPLICATION, strlen(APPLICATION)),
		ATTR_P(CKA_VALUE, v, n),
	};
	struct create_ctx cc = {t, sizeof(t) / sizeof(t[0]), CK_INVALID_HANDLE};

	if (n == 0 || n > HSM_DATA_MAX)
		return HK_EINVAL;
	if ((r = hsm_pool_check(p)) != 0 ||
	    (r = hsm_session_get(p, NULL, &s)) != 0)
		return r;
	pthread_mutex_lock(&p->objects_mu);
	if ((r = find_data(p, s, label, h, HSM_DATA_OBJS, &found)) == 0 &&
	    (r = hsm_session_run(p, s, create_op, &cc, false, __func__)) == 0)
		for (i = 0; i < found && i < HSM_DATA_OBJS && r == 0; i++)
			r = hsm_obj_destroy(p, s, h[i]);
	pthread_mutex_unlock(&p->objects_mu);
	hsm_session_put(p, s);
	return r;
}

/** hsm_data_delete(p, label): destroy the data object ${label}. 0 (also
 * when there was none) or HK_E*. */
int
hsm_data_delete(struct hsm_pool *p, const char *label)
{
	struct hsm_session *s = NULL;
	CK_OBJECT_HANDLE h[HSM_DATA_OBJS];
	CK_ULONG n = 0, i;
	int r;

	if ((r = hsm_pool_check(p)) != 0 ||
	    (r = hsm_session_get(p, NULL, &s)) != 0)
		return r;
	pthread_mutex_lock(&p->objects_mu);
	if ((r = find_data(p, s, label, h, HSM_DATA_OBJS, &n)) == 0)
		for (i = 0; i < n && i < HSM_DATA_OBJS && r == 0; i++)
			r = hsm_obj_destroy(p, s, h[i]);
	pthread_mutex_unlock(&p->objects_mu);
	hsm_session_put(p, s);
	return r;
}
