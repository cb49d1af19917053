/* SPDX-License-Identifier: Apache-2.0 */
/*
 * mpk: Hanko's deterministic msgpack profile (OPS-4, SIG-6).
 *
 * A profile value is: nil, true, false, an integer in its shortest encoding
 * (non-negative values always in the unsigned formats), a str holding valid
 * UTF-8, a bin, an array, or a map whose keys are unsigned integers in
 * strictly ascending order. Floats and ext types are refused. Lengths use
 * their shortest header. Nesting is bounded by HK_MPK_MAX_DEPTH. Under these
 * rules a value has exactly one encoding, so encoding the same event twice
 * gives the same bytes and a verifier can hash the stored bytes as they are.
 *
 * Writing goes through msgpack-c's packer (which picks shortest forms);
 * reading is our own strict cursor, because msgpack-c's unpacker accepts
 * non-canonical encodings, floats and ext types. Leaf module.
 */
#ifndef HK_MPK_H
#define HK_MPK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <msgpack.h>

#include "core/buf.h"
#include "core/codec.h"
#include "core/err.h"

#define HK_MPK_MAX_DEPTH 16

/* Why a read failed: a static message and the byte offset it refers to. */
struct hk_mpk_error {
	const char *msg;
	size_t off;
};

/* Borrowed bytes: valid as long as the buffer they point into. */
struct hk_bytes {
	const uint8_t *p;
	size_t n;
};

/* Writer: appends to a caller-owned buffer. Errors are sticky; check
 * hk_mpk_writer_status() once at the end. */
struct hk_mpk_writer {
	msgpack_packer pk;
	struct hk_buf *out;
	int err;
};

/** hk_mpk_writer_init(w, out): start writing to ${out} (borrowed until the
 * last put). */
void hk_mpk_writer_init(struct hk_mpk_writer *w, struct hk_buf *out);

/** hk_mpk_writer_status(w): 0, or the first error (HK_ENOMEM, or HK_EINVAL
 * for a str that is not UTF-8). */
HK_MUST_CHECK int hk_mpk_writer_status(const struct hk_mpk_writer *w);

void hk_mpk_put_nil(struct hk_mpk_writer *w);
void hk_mpk_put_bool(struct hk_mpk_writer *w, bool v);
void hk_mpk_put_uint(struct hk_mpk_writer *w, uint64_t v);
void hk_mpk_put_int(struct hk_mpk_writer *w, int64_t v);
/** hk_mpk_put_str(w, s, n): a str; non-UTF-8 input sets HK_EINVAL. */
void hk_mpk_put_str(struct hk_mpk_writer *w, const char *s, size_t n);
/** hk_mpk_put_cstr(w, s): hk_mpk_put_str(w, s, strlen(s)). */
void hk_mpk_put_cstr(struct hk_mpk_writer *w, const char *s);
void hk_mpk_put_bin(struct hk_mpk_writer *w, const void *p, size_t n);
void hk_mpk_put_array(struct hk_mpk_writer *w, uint32_t n);
/** hk_mpk_put_map(w, n): a map header; the caller then writes ${n} pairs
 * with unsigned keys in strictly ascending order. */
void hk_mpk_put_map(struct hk_mpk_writer *w, uint32_t n);
/** hk_mpk_put_raw(w, p, n): append ${n} bytes that already hold profile
 * values (e.g. a pre-encoded body). */
void hk_mpk_put_raw(struct hk_mpk_writer *w, const void *p, size_t n);

/* Kinds of profile values. */
enum hk_mpk_kind {
	HK_MPK_NIL,
	HK_MPK_BOOL,
	HK_MPK_UINT,
	HK_MPK_NINT, /* negative integer */
	HK_MPK_STR,
	HK_MPK_BIN,
	HK_MPK_ARRAY,
	HK_MPK_MAP,
};

/* Reader: a cursor over borrowed bytes [p, end). */
struct hk_mpk_reader {
	const uint8_t *base;
	const uint8_t *p;
	const uint8_t *end;
	struct hk_mpk_error err;
};

/** hk_mpk_reader_init(r, p, n): read from ${p} (borrowed). */
void hk_mpk_reader_init(struct hk_mpk_reader *r, const uint8_t *p, size_t n);

/** hk_mpk_check(p, n, err): 0 if ${p}[0..n) is exactly one profile value;
 * HK_EPROFILE with ${err} (may be NULL) filled otherwise. */
HK_MUST_CHECK int hk_mpk_check(const uint8_t *p, size_t n,
    struct hk_mpk_error *err);

/** hk_mpk_peek(r, kind): the kind of the next value without consuming it;
 * 0 or HK_EPROFILE. */
HK_MUST_CHECK int hk_mpk_peek(struct hk_mpk_reader *r, enum hk_mpk_kind *kind);

/*
 * Typed reads: each consumes one value of the named kind and checks its
 * encoding (shortest form, UTF-8); 0 or HK_EPROFILE (with r->err set).
 * Strings and bins are borrowed from the reader's buffer.
 */
HK_MUST_CHECK int hk_mpk_get_nil(struct hk_mpk_reader *r);
HK_MUST_CHECK int hk_mpk_get_bool(struct hk_mpk_reader *r, bool *v);
HK_MUST_CHECK int hk_mpk_get_uint(struct hk_mpk_reader *r, uint64_t *v);
HK_MUST_CHECK int hk_mpk_get_int(struct hk_mpk_reader *r, int64_t *v);
HK_MUST_CHECK int hk_mpk_get_str(struct hk_mpk_reader *r, struct hk_bytes *s);
HK_MUST_CHECK int hk_mpk_get_bin(struct hk_mpk_reader *r, struct hk_bytes *b);
HK_MUST_CHECK int hk_mpk_get_array(struct hk_mpk_reader *r, uint32_t *n);
/** hk_mpk_get_map(r, n): a map header. Key order is the caller's to check
 * (hk_mpk_skip and hk_mpk_check enforce it). */
HK_MUST_CHECK int hk_mpk_get_map(struct hk_mpk_reader *r, uint32_t *n);
/** hk_mpk_skip(r, out): consume one complete value, checking the whole
 * profile recursively; ${out} (may be NULL) receives its bytes. */
HK_MUST_CHECK int hk_mpk_skip(struct hk_mpk_reader *r, struct hk_bytes *out);

#endif
