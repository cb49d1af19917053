/* SPDX-License-Identifier: Apache-2.0 */
/*
 * buf: a growable byte buffer. The struct is public on purpose: buffers are
 * embedded in callers' structs and on the stack on hot paths (event
 * encoding, proof output), so the fields are part of the contract. Leaf
 * module.
 */
#ifndef HK_BUF_H
#define HK_BUF_H

#include <stddef.h>
#include <stdint.h>

#include "core/err.h"

struct hk_buf {
	uint8_t *p;  /* bytes; NULL until the first write */
	size_t len;  /* bytes in use */
	size_t cap;  /* bytes allocated */
};

#define HK_BUF_INIT {NULL, 0, 0}

/** hk_buf_reserve(b, n): make room for ${n} more bytes; returns 0 or
 * HK_ENOMEM (the buffer is unchanged on failure). */
HK_MUST_CHECK int hk_buf_reserve(struct hk_buf *b, size_t n);

/** hk_buf_put(b, p, n): append ${n} bytes from ${p}; 0 or HK_ENOMEM. */
HK_MUST_CHECK int hk_buf_put(struct hk_buf *b, const void *p, size_t n);

/** hk_buf_putc(b, c): append one byte; 0 or HK_ENOMEM. */
HK_MUST_CHECK int hk_buf_putc(struct hk_buf *b, uint8_t c);

/** hk_buf_puts(b, s): append the NUL-terminated ${s} without its NUL. */
HK_MUST_CHECK int hk_buf_puts(struct hk_buf *b, const char *s);

/** hk_buf_printf(b, fmt, ...): append formatted text (no NUL kept). */
HK_MUST_CHECK int hk_buf_printf(struct hk_buf *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/** hk_buf_cstr(b): NUL-terminate (not counted in len) and return the text;
 * NULL on ENOMEM. Valid until the next write or hk_buf_release(). */
const char *hk_buf_cstr(struct hk_buf *b);

/** hk_buf_reset(b): forget the contents, keep the allocation. */
void hk_buf_reset(struct hk_buf *b);

/** hk_buf_release(b): wipe and free the allocation; ${b} becomes empty.
 * Wiping makes the buffer safe for transient secrets. */
void hk_buf_release(struct hk_buf *b);

#endif
