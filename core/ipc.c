/* SPDX-License-Identifier: Apache-2.0 */
/* ipc: front <-> core frames (see ipc.h). ACT-3, ACT-5. */
#include <string.h>

#include "core/ipc.h"

/* Keys of the ctx map. */
enum {
	CTX_LISTENER = 1,
	CTX_PEER = 2,
	CTX_CLIENT_FP = 3,
	CTX_CLIENT_SUBJECT = 4,
	CTX_AUTHORIZATION = 5,
	CTX_REQUEST_ID = 6,
	CTX_TLS = 7,
};

static bool
is_map(struct hk_bytes b)
{
	struct hk_mpk_reader r;
	enum hk_mpk_kind k;

	if (hk_mpk_check(b.p, b.n, NULL) != 0)
		return false;
	hk_mpk_reader_init(&r, b.p, b.n);
	return hk_mpk_peek(&r, &k) == 0 && k == HK_MPK_MAP;
}

static void
put_bytes_str(struct hk_mpk_writer *w, struct hk_bytes b)
{
	hk_mpk_put_str(w, (const char *)b.p, b.n);
}

/** hk_ipc_encode(m, out): append one frame for ${m}. */
int
hk_ipc_encode(const struct hk_ipc_msg *m, struct hk_buf *out)
{
	struct hk_mpk_writer w;
	size_t start = out->len, len;
	uint32_t n;
	int r;

	if (!is_map(m->body) ||
	    (!m->response && (m->type == 0 || m->type > HK_IPC_TYPE_MAX)))
		return HK_EINVAL;
	if ((r = hk_buf_put(out, "\0\0\0\0", HK_IPC_HEADER_LEN)) != 0)
		return r;
	hk_mpk_writer_init(&w, out);
	if (m->response) {
		hk_mpk_put_array(&w, 5);
		hk_mpk_put_uint(&w, HK_IPC_VERSION);
		hk_mpk_put_uint(&w, 1);
		hk_mpk_put_uint(&w, m->id);
		hk_mpk_put_uint(&w, m->status);
	} else {
		const struct hk_ipc_ctx *c = &m->ctx;

		hk_mpk_put_array(&w, 6);
		hk_mpk_put_uint(&w, HK_IPC_VERSION);
		hk_mpk_put_uint(&w, 0);
		hk_mpk_put_uint(&w, m->id);
		hk_mpk_put_uint(&w, m->type);
		n = 4 + (c->has_client_cert ? 1 : 0) +
		    (c->authorization.n > 0 ? 1 : 0) + (c->tls.n > 0 ? 1 : 0);
		hk_mpk_put_map(&w, n);
		hk_mpk_put_uint(&w, CTX_LISTENER);
		hk_mpk_put_uint(&w, c->listener);
		hk_mpk_put_uint(&w, CTX_PEER);
		put_bytes_str(&w, c->peer);
		if (c->has_client_cert) {
			hk_mpk_put_uint(&w, CTX_CLIENT_FP);
			hk_mpk_put_bin(&w, c->client_fp, sizeof(c->client_fp));
		}
		hk_mpk_put_uint(&w, CTX_CLIENT_SUBJECT);
		put_bytes_str(&w, c->client_subject);
		if (c->authorization.n > 0) {
			hk_mpk_put_uint(&w, CTX_AUTHORIZATION);
			put_bytes_str(&w, c->authorization);
		}
		hk_mpk_put_uint(&w, CTX_REQUEST_ID);
		put_bytes_str(&w, c->request_id);
		if (c->tls.n > 0) {
			hk_mpk_put_uint(&w, CTX_TLS);
			put_bytes_str(&w, c->tls);
		}
	}
	hk_mpk_put_raw(&w, m->body.p, m->body.n);
	if ((r = hk_mpk_writer_status(&w)) != 0) {
		out->len = start;
		return r;
	}
	len = out->len - start - HK_IPC_HEADER_LEN;
	if (len > HK_IPC_MAX_FRAME) {
		out->len = start;
		return HK_ETOOBIG;
	}
	out->p[start] = (uint8_t)(len >> 24);
	out->p[start + 1] = (uint8_t)(len >> 16);
	out->p[start + 2] = (uint8_t)(len >> 8);
	out->p[start + 3] = (uint8_t)len;
	return 0;
}

static int
bad(struct hk_mpk_reader *r, struct hk_mpk_error *err, const uint8_t *at,
    const char *msg)
{
	if (err != NULL) {
		if (r->err.msg != NULL && strncmp(r->err.msg, "expected ", 9) != 0)
			*err = r->err;
		else {
			err->msg = msg;
			err->off = (size_t)(at - r->base);
		}
	}
	return HK_EPROFILE;
}

static int
decode_ctx(struct hk_mpk_reader *r, struct hk_ipc_ctx *c,
    struct hk_mpk_error *err)
{
	const uint8_t *at = r->p;
	struct hk_bytes fp;
	uint64_t key, prev = 0;
	uint32_t n, i;
	bool seen_listener = false, seen_peer = false, seen_subject = false,
	     seen_id = false;

	if (hk_mpk_get_map(r, &n) != 0)
		return bad(r, err, at, "ctx is not a map");
	for (i = 0; i < n; i++) {
		at = r->p;
		if (hk_mpk_get_uint(r, &key) != 0)
			return bad(r, err, at, "ctx key is not an unsigned integer");
		if (i > 0 && key <= prev)
			return bad(r, err, at, "ctx keys not strictly ascending");
		prev = key;
		at = r->p;
		switch (key) {
		case CTX_LISTENER:
			if (hk_mpk_get_uint(r, &c->listener) != 0 ||
			    (c->listener != HK_IPC_SIGNING &&
				c->listener != HK_IPC_ADMIN))
				return bad(r, err, at, "unknown listener");
			seen_listener = true;
			break;
		case CTX_PEER:
			if (hk_mpk_get_str(r, &c->peer) != 0)
				return bad(r, err, at, "peer is not a str");
			seen_peer = true;
			break;
		case CTX_CLIENT_FP:
			if (hk_mpk_get_bin(r, &fp) != 0 || fp.n != 32)
				return bad(r, err, at,
				    "client fingerprint is not a 32-byte bin");
			memcpy(c->client_fp, fp.p, 32);
			c->has_client_cert = true;
			break;
		case CTX_CLIENT_SUBJECT:
			if (hk_mpk_get_str(r, &c->client_subject) != 0)
				return bad(r, err, at,
				    "client subject is not a str");
			seen_subject = true;
			break;
		case CTX_AUTHORIZATION:
			/* The encoder omits an empty one: one encoding only. */
			if (hk_mpk_get_str(r, &c->authorization) != 0 ||
			    c->authorization.n == 0)
				return bad(r, err, at,
				    "authorization is not a non-empty str");
			break;
		case CTX_REQUEST_ID:
			if (hk_mpk_get_str(r, &c->request_id) != 0)
				return bad(r, err, at, "request id is not a str");
			seen_id = true;
			break;
		case CTX_TLS:
			if (hk_mpk_get_str(r, &c->tls) != 0 || c->tls.n == 0 ||
			    c->tls.n > 32)
				return bad(r, err, at,
				    "tls is not a str of 1..32 bytes");
			break;
		default:
			return bad(r, err, at, "unknown ctx key");
		}
	}
	/* The encoder always writes these four: a message has one
	 * encoding, so what one side hashes or logs is what the other sent. */
	if (!seen_listener || !seen_peer || !seen_subject || !seen_id)
		return bad(r, err, at, "ctx lacks listener, peer, subject or "
				       "request id");
	return 0;
}

/** hk_ipc_decode(p, n, m, err): strictly decode one frame's value. */
int
hk_ipc_decode(const uint8_t *p, size_t n, struct hk_ipc_msg *m,
    struct hk_mpk_error *err)
{
	struct hk_mpk_reader r;
	const uint8_t *at;
	enum hk_mpk_kind kind;
	uint64_t v, kindv;
	uint32_t cnt;

	memset(m, 0, sizeof(*m));
	if (n > HK_IPC_MAX_FRAME) {
		if (err != NULL) {
			err->msg = "frame too large";
			err->off = 0;
		}
		return HK_EPROFILE;
	}
	hk_mpk_reader_init(&r, p, n);
	at = r.p;
	if (hk_mpk_get_array(&r, &cnt) != 0 || (cnt != 5 && cnt != 6))
		return bad(&r, err, at, "message is not an array of 5 or 6");
	at = r.p;
	if (hk_mpk_get_uint(&r, &v) != 0 || v != HK_IPC_VERSION)
		return bad(&r, err, at, "unknown message version");
	at = r.p;
	if (hk_mpk_get_uint(&r, &kindv) != 0 || kindv > 1 ||
	    (kindv == 0) != (cnt == 6))
		return bad(&r, err, at, "bad message kind");
	m->response = kindv == 1;
	at = r.p;
	if (hk_mpk_get_uint(&r, &m->id) != 0)
		return bad(&r, err, at, "id is not an unsigned integer");
	at = r.p;
	if (m->response) {
		if (hk_mpk_get_uint(&r, &m->status) != 0 || m->status < 100 ||
		    m->status > 599)
			return bad(&r, err, at, "bad status");
	} else {
		if (hk_mpk_get_uint(&r, &m->type) != 0 || m->type == 0 ||
		    m->type > HK_IPC_TYPE_MAX)
			return bad(&r, err, at, "unknown request type");
		if (decode_ctx(&r, &m->ctx, err) != 0)
			return HK_EPROFILE;
	}
	at = r.p;
	if (hk_mpk_peek(&r, &kind) != 0 || kind != HK_MPK_MAP)
		return bad(&r, err, at, "body is not a map");
	if (hk_mpk_skip(&r, &m->body) != 0)
		return bad(&r, err, at, "body outside the profile");
	if (r.p != r.end)
		return bad(&r, err, r.p, "trailing bytes after the message");
	return 0;
}

/** hk_ipc_frame_next(buf, len, frame, flen, consumed): the next frame. */
int
hk_ipc_frame_next(const uint8_t *buf, size_t len, const uint8_t **frame,
    size_t *flen, size_t *consumed)
{
	size_t n;

	if (len < HK_IPC_HEADER_LEN)
		return HK_EAGAIN;
	n = (size_t)buf[0] << 24 | (size_t)buf[1] << 16 | (size_t)buf[2] << 8 |
	    buf[3];
	if (n == 0 || n > HK_IPC_MAX_FRAME)
		return HK_ETOOBIG;
	if (len - HK_IPC_HEADER_LEN < n)
		return HK_EAGAIN;
	*frame = buf + HK_IPC_HEADER_LEN;
	*flen = n;
	*consumed = HK_IPC_HEADER_LEN + n;
	return 0;
}
