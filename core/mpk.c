/* SPDX-License-Identifier: Apache-2.0 */
/* mpk: the deterministic msgpack profile (see mpk.h). */
#include <string.h>

#include "core/mpk.h"

/* ---- writer ---------------------------------------------------------- */

static int
writer_cb(void *data, const char *buf, size_t len)
{
	struct hk_mpk_writer *w = data;

	if (w->err != 0)
		return -1;
	if ((w->err = hk_buf_put(w->out, buf, len)) != 0)
		return -1;
	return 0;
}

/** hk_mpk_writer_init(w, out): start writing to ${out}. */
void
hk_mpk_writer_init(struct hk_mpk_writer *w, struct hk_buf *out)
{
	w->out = out;
	w->err = 0;
	msgpack_packer_init(&w->pk, w, writer_cb);
}

/** hk_mpk_writer_status(w): 0 or the first error. */
int
hk_mpk_writer_status(const struct hk_mpk_writer *w)
{
	return w->err;
}

void
hk_mpk_put_nil(struct hk_mpk_writer *w)
{
	(void)msgpack_pack_nil(&w->pk);
}

void
hk_mpk_put_bool(struct hk_mpk_writer *w, bool v)
{
	(void)(v ? msgpack_pack_true(&w->pk) : msgpack_pack_false(&w->pk));
}

void
hk_mpk_put_uint(struct hk_mpk_writer *w, uint64_t v)
{
	(void)msgpack_pack_uint64(&w->pk, v);
}

void
hk_mpk_put_int(struct hk_mpk_writer *w, int64_t v)
{
	/* msgpack-c packs non-negative values in the unsigned formats. */
	(void)msgpack_pack_int64(&w->pk, v);
}

void
hk_mpk_put_str(struct hk_mpk_writer *w, const char *s, size_t n)
{
	if (!hk_utf8_valid((const uint8_t *)s, n)) {
		if (w->err == 0)
			w->err = HK_EINVAL;
		return;
	}
	(void)msgpack_pack_str(&w->pk, n);
	(void)msgpack_pack_str_body(&w->pk, s, n);
}

void
hk_mpk_put_cstr(struct hk_mpk_writer *w, const char *s)
{
	hk_mpk_put_str(w, s, strlen(s));
}

void
hk_mpk_put_bin(struct hk_mpk_writer *w, const void *p, size_t n)
{
	(void)msgpack_pack_bin(&w->pk, n);
	(void)msgpack_pack_bin_body(&w->pk, p, n);
}

void
hk_mpk_put_array(struct hk_mpk_writer *w, uint32_t n)
{
	(void)msgpack_pack_array(&w->pk, n);
}

void
hk_mpk_put_map(struct hk_mpk_writer *w, uint32_t n)
{
	(void)msgpack_pack_map(&w->pk, n);
}

void
hk_mpk_put_raw(struct hk_mpk_writer *w, const void *p, size_t n)
{
	(void)writer_cb(w, p, n);
}

/* ---- reader ---------------------------------------------------------- */

struct head {
	enum hk_mpk_kind kind;
	uint64_t u;  /* UINT value; STR/BIN/ARRAY/MAP length; BOOL value */
	int64_t i;   /* NINT value */
};

/** hk_mpk_reader_init(r, p, n): read from ${p}. */
void
hk_mpk_reader_init(struct hk_mpk_reader *r, const uint8_t *p, size_t n)
{
	r->base = r->p = p;
	r->end = p + n;
	r->err.msg = NULL;
	r->err.off = 0;
}

static int
fail(struct hk_mpk_reader *r, const uint8_t *at, const char *msg)
{
	r->err.msg = msg;
	r->err.off = (size_t)(at - r->base);
	return HK_EPROFILE;
}

static uint64_t
be(const uint8_t *p, size_t n)
{
	uint64_t v = 0;
	size_t k;

	for (k = 0; k < n; k++)
		v = v << 8 | p[k];
	return v;
}

/*
 * read_head(r, h): consume one type byte and its fixed-size header (not
 * the payload of str/bin, not the elements of array/map), refusing
 * anything outside the profile.
 */
static int
read_head(struct hk_mpk_reader *r, struct head *h)
{
	const uint8_t *at = r->p;
	uint8_t b;
	size_t extra = 0;
	uint64_t min = 0;

	if (r->p >= r->end)
		return fail(r, at, "unexpected end of data");
	b = *r->p++;
	if (b <= 0x7f) {
		h->kind = HK_MPK_UINT;
		h->u = b;
		return 0;
	}
	if (b >= 0xe0) {
		h->kind = HK_MPK_NINT;
		h->i = (int8_t)b;
		return 0;
	}
	if (b <= 0x8f) {
		h->kind = HK_MPK_MAP;
		h->u = b & 0x0f;
		goto count;
	}
	if (b <= 0x9f) {
		h->kind = HK_MPK_ARRAY;
		h->u = b & 0x0f;
		goto count;
	}
	if (b <= 0xbf) {
		h->kind = HK_MPK_STR;
		h->u = b & 0x1f;
		goto count;
	}
	switch (b) {
	case 0xc0:
		h->kind = HK_MPK_NIL;
		return 0;
	case 0xc2:
	case 0xc3:
		h->kind = HK_MPK_BOOL;
		h->u = b == 0xc3;
		return 0;
	case 0xc1:
		return fail(r, at, "reserved type byte 0xc1");
	case 0xca:
	case 0xcb:
		return fail(r, at, "float not allowed");
	case 0xc7: case 0xc8: case 0xc9:
	case 0xd4: case 0xd5: case 0xd6: case 0xd7: case 0xd8:
		return fail(r, at, "ext type not allowed");
	case 0xc4: h->kind = HK_MPK_BIN; extra = 1; min = 0; break;
	case 0xc5: h->kind = HK_MPK_BIN; extra = 2; min = 0x100; break;
	case 0xc6: h->kind = HK_MPK_BIN; extra = 4; min = 0x10000; break;
	case 0xcc: h->kind = HK_MPK_UINT; extra = 1; min = 0x80; break;
	case 0xcd: h->kind = HK_MPK_UINT; extra = 2; min = 0x100; break;
	case 0xce: h->kind = HK_MPK_UINT; extra = 4; min = 0x10000; break;
	case 0xcf: h->kind = HK_MPK_UINT; extra = 8; min = 0x100000000ULL; break;
	case 0xd0: case 0xd1: case 0xd2: case 0xd3:
		h->kind = HK_MPK_NINT;
		extra = (size_t)1 << (b - 0xd0);
		break;
	case 0xd9: h->kind = HK_MPK_STR; extra = 1; min = 0x20; break;
	case 0xda: h->kind = HK_MPK_STR; extra = 2; min = 0x100; break;
	case 0xdb: h->kind = HK_MPK_STR; extra = 4; min = 0x10000; break;
	case 0xdc: h->kind = HK_MPK_ARRAY; extra = 2; min = 0x10; break;
	case 0xdd: h->kind = HK_MPK_ARRAY; extra = 4; min = 0x10000; break;
	case 0xde: h->kind = HK_MPK_MAP; extra = 2; min = 0x10; break;
	case 0xdf: h->kind = HK_MPK_MAP; extra = 4; min = 0x10000; break;
	default:
		return fail(r, at, "invalid type byte");
	}
	if ((size_t)(r->end - r->p) < extra)
		return fail(r, at, "unexpected end of data");
	h->u = be(r->p, extra);
	r->p += extra;
	if (h->kind == HK_MPK_NINT) {
		/* Sign-extend, then require a negative value that no shorter
		 * format could hold. */
		int64_t v = (int64_t)(h->u << (64 - 8 * extra)) >>
		    (64 - 8 * extra);
		int64_t lim = extra == 1 ? -32 : -((int64_t)1 << (4 * extra - 1));

		if (v >= 0)
			return fail(r, at,
			    "non-negative integer in a signed format");
		if (v >= lim)
			return fail(r, at, "integer not in shortest form");
		h->i = v;
		return 0;
	}
	if (h->u < min)
		return fail(r, at, h->kind == HK_MPK_UINT ?
		    "integer not in shortest form" : "length not in shortest form");
count:
	if (h->kind == HK_MPK_STR || h->kind == HK_MPK_BIN) {
		if (h->u > (uint64_t)(r->end - r->p))
			return fail(r, at, "length exceeds data");
	} else if (h->kind == HK_MPK_ARRAY || h->kind == HK_MPK_MAP) {
		/* Each element takes at least one byte. */
		if (h->u * (h->kind == HK_MPK_MAP ? 2 : 1) >
		    (uint64_t)(r->end - r->p))
			return fail(r, at, "count exceeds data");
	}
	return 0;
}

/** hk_mpk_peek(r, kind): the kind of the next value, not consumed. */
int
hk_mpk_peek(struct hk_mpk_reader *r, enum hk_mpk_kind *kind)
{
	const uint8_t *save = r->p;
	struct head h;
	int e;

	e = read_head(r, &h);
	r->p = save;
	if (e == 0)
		*kind = h.kind;
	return e;
}

static int
expect(struct hk_mpk_reader *r, struct head *h, enum hk_mpk_kind kind,
    const char *msg)
{
	const uint8_t *at = r->p;
	int e;

	if ((e = read_head(r, h)) != 0)
		return e;
	if (h->kind != kind) {
		r->p = at;
		return fail(r, at, msg);
	}
	return 0;
}

int
hk_mpk_get_nil(struct hk_mpk_reader *r)
{
	struct head h;

	return expect(r, &h, HK_MPK_NIL, "expected nil");
}

int
hk_mpk_get_bool(struct hk_mpk_reader *r, bool *v)
{
	struct head h;
	int e;

	if ((e = expect(r, &h, HK_MPK_BOOL, "expected boolean")) == 0)
		*v = h.u != 0;
	return e;
}

int
hk_mpk_get_uint(struct hk_mpk_reader *r, uint64_t *v)
{
	struct head h;
	int e;

	if ((e = expect(r, &h, HK_MPK_UINT, "expected unsigned integer")) == 0)
		*v = h.u;
	return e;
}

int
hk_mpk_get_int(struct hk_mpk_reader *r, int64_t *v)
{
	const uint8_t *at = r->p;
	struct head h;
	int e;

	if ((e = read_head(r, &h)) != 0)
		return e;
	if (h.kind == HK_MPK_NINT) {
		*v = h.i;
	} else if (h.kind == HK_MPK_UINT && h.u <= INT64_MAX) {
		*v = (int64_t)h.u;
	} else {
		r->p = at;
		return fail(r, at, "expected integer");
	}
	return 0;
}

int
hk_mpk_get_str(struct hk_mpk_reader *r, struct hk_bytes *s)
{
	const uint8_t *at = r->p;
	struct head h;
	int e;

	if ((e = expect(r, &h, HK_MPK_STR, "expected str")) != 0)
		return e;
	if (!hk_utf8_valid(r->p, h.u)) {
		r->p = at;
		return fail(r, at, "str is not valid UTF-8");
	}
	s->p = r->p;
	s->n = h.u;
	r->p += h.u;
	return 0;
}

int
hk_mpk_get_bin(struct hk_mpk_reader *r, struct hk_bytes *b)
{
	struct head h;
	int e;

	if ((e = expect(r, &h, HK_MPK_BIN, "expected bin")) != 0)
		return e;
	b->p = r->p;
	b->n = h.u;
	r->p += h.u;
	return 0;
}

int
hk_mpk_get_array(struct hk_mpk_reader *r, uint32_t *n)
{
	struct head h;
	int e;

	if ((e = expect(r, &h, HK_MPK_ARRAY, "expected array")) == 0)
		*n = (uint32_t)h.u;
	return e;
}

int
hk_mpk_get_map(struct hk_mpk_reader *r, uint32_t *n)
{
	struct head h;
	int e;

	if ((e = expect(r, &h, HK_MPK_MAP, "expected map")) == 0)
		*n = (uint32_t)h.u;
	return e;
}

static int
skip_value(struct hk_mpk_reader *r, int depth)
{
	const uint8_t *at = r->p;
	struct head h;
	uint64_t k, prev = 0;
	int e;

	if (depth > HK_MPK_MAX_DEPTH)
		return fail(r, at, "nesting too deep");
	if ((e = read_head(r, &h)) != 0)
		return e;
	switch (h.kind) {
	case HK_MPK_STR:
		if (!hk_utf8_valid(r->p, h.u))
			return fail(r, at, "str is not valid UTF-8");
		r->p += h.u;
		return 0;
	case HK_MPK_BIN:
		r->p += h.u;
		return 0;
	case HK_MPK_ARRAY:
		for (k = 0; k < h.u; k++)
			if ((e = skip_value(r, depth + 1)) != 0)
				return e;
		return 0;
	case HK_MPK_MAP:
		for (k = 0; k < h.u; k++) {
			const uint8_t *kat = r->p;
			struct head kh;

			if ((e = read_head(r, &kh)) != 0)
				return e;
			if (kh.kind != HK_MPK_UINT)
				return fail(r, kat,
				    "map key is not an unsigned integer");
			if (k > 0 && kh.u <= prev)
				return fail(r, kat,
				    "map keys not strictly ascending");
			prev = kh.u;
			if ((e = skip_value(r, depth + 1)) != 0)
				return e;
		}
		return 0;
	default:
		return 0;
	}
}

/** hk_mpk_skip(r, out): consume and check one complete value. */
int
hk_mpk_skip(struct hk_mpk_reader *r, struct hk_bytes *out)
{
	const uint8_t *start = r->p;
	int e;

	if ((e = skip_value(r, 0)) != 0)
		return e;
	if (out != NULL) {
		out->p = start;
		out->n = (size_t)(r->p - start);
	}
	return 0;
}

/** hk_mpk_check(p, n, err): 0 if ${p} is exactly one profile value. */
int
hk_mpk_check(const uint8_t *p, size_t n, struct hk_mpk_error *err)
{
	struct hk_mpk_reader r;
	int e;

	hk_mpk_reader_init(&r, p, n);
	if ((e = hk_mpk_skip(&r, NULL)) == 0 && r.p != r.end)
		e = fail(&r, r.p, "trailing bytes after the value");
	if (e != 0 && err != NULL)
		*err = r.err;
	return e;
}
