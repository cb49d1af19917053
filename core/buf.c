/* SPDX-License-Identifier: Apache-2.0 */
/* buf: growable byte buffer (see buf.h). */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "core/buf.h"

/** hk_buf_reserve(b, n): make room for ${n} more bytes. */
int
hk_buf_reserve(struct hk_buf *b, size_t n)
{
	size_t want, cap;
	uint8_t *p;

	if (n > SIZE_MAX / 2 - b->len)
		return HK_ENOMEM;
	want = b->len + n;
	if (want <= b->cap)
		return 0;
	cap = b->cap ? b->cap : 64;
	while (cap < want)
		cap *= 2;
	if ((p = realloc(b->p, cap)) == NULL)
		return HK_ENOMEM;
	b->p = p;
	b->cap = cap;
	return 0;
}

/** hk_buf_put(b, p, n): append ${n} bytes from ${p}. */
int
hk_buf_put(struct hk_buf *b, const void *p, size_t n)
{
	int r;

	if (n == 0)
		return 0;
	if ((r = hk_buf_reserve(b, n)) != 0)
		return r;
	memcpy(b->p + b->len, p, n);
	b->len += n;
	return 0;
}

/** hk_buf_putc(b, c): append one byte. */
int
hk_buf_putc(struct hk_buf *b, uint8_t c)
{
	return hk_buf_put(b, &c, 1);
}

/** hk_buf_puts(b, s): append a NUL-terminated string without its NUL. */
int
hk_buf_puts(struct hk_buf *b, const char *s)
{
	return hk_buf_put(b, s, strlen(s));
}

/** hk_buf_printf(b, fmt, ...): append formatted text. */
int
hk_buf_printf(struct hk_buf *b, const char *fmt, ...)
{
	va_list ap;
	int n, r;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0)
		return HK_EINVAL;
	if ((r = hk_buf_reserve(b, (size_t)n + 1)) != 0)
		return r;
	va_start(ap, fmt);
	vsnprintf((char *)b->p + b->len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	b->len += (size_t)n;
	return 0;
}

/** hk_buf_cstr(b): NUL-terminate and return the text, or NULL on ENOMEM. */
const char *
hk_buf_cstr(struct hk_buf *b)
{
	if (hk_buf_reserve(b, 1) != 0)
		return NULL;
	b->p[b->len] = '\0';
	return (const char *)b->p;
}

/** hk_buf_reset(b): forget the contents, keep the allocation. */
void
hk_buf_reset(struct hk_buf *b)
{
	b->len = 0;
}

/** hk_buf_release(b): wipe and free the allocation. */
void
hk_buf_release(struct hk_buf *b)
{
	if (b->p != NULL) {
		sodium_memzero(b->p, b->cap);
		free(b->p);
	}
	b->p = NULL;
	b->len = b->cap = 0;
}
