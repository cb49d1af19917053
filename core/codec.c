/* SPDX-License-Identifier: Apache-2.0 */
/* codec: hex and strict base64 (see codec.h). */
#include <string.h>

#include <sodium.h>

#include "core/codec.h"

/** hk_hex_encode(out, in, n): lowercase hex of ${in} into ${out}. */
void
hk_hex_encode(char *out, const uint8_t *in, size_t n)
{
	static const char digits[] = "0123456789abcdef";
	size_t i;

	for (i = 0; i < n; i++) {
		out[2 * i] = digits[in[i] >> 4];
		out[2 * i + 1] = digits[in[i] & 15];
	}
	out[2 * n] = '\0';
}

static int
hex_nibble(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/** hk_hex_decode(out, outmax, in, inlen, outlen): decode hex exactly. */
int
hk_hex_decode(uint8_t *out, size_t outmax, const char *in, size_t inlen,
    size_t *outlen)
{
	size_t i;
	int hi, lo;

	if (inlen % 2 != 0)
		return HK_EINVAL;
	if (inlen / 2 > outmax)
		return HK_ETOOBIG;
	for (i = 0; i < inlen / 2; i++) {
		if ((hi = hex_nibble(in[2 * i])) < 0 ||
		    (lo = hex_nibble(in[2 * i + 1])) < 0)
			return HK_EINVAL;
		out[i] = (uint8_t)(hi << 4 | lo);
	}
	*outlen = inlen / 2;
	return 0;
}

/** hk_b64_append(b, in, n): append padded base64 of ${in}. */
int
hk_b64_append(struct hk_buf *b, const uint8_t *in, size_t n)
{
	size_t enc = sodium_base64_ENCODED_LEN(n,
	    sodium_base64_VARIANT_ORIGINAL);
	int r;

	if ((r = hk_buf_reserve(b, enc)) != 0)
		return r;
	sodium_bin2base64((char *)b->p + b->len, enc, in, n,
	    sodium_base64_VARIANT_ORIGINAL);
	b->len += enc - 1; /* enc counts the NUL */
	return 0;
}

/** hk_b64_decode(out, outmax, in, inlen, outlen): strict base64 decode. */
int
hk_b64_decode(uint8_t *out, size_t outmax, const char *in, size_t inlen,
    size_t *outlen)
{
	const char *end = NULL;
	size_t n = 0;

	if (inlen % 4 != 0)
		return HK_EINVAL;
	if (inlen / 4 * 3 > outmax + 2)
		return HK_ETOOBIG;
	if (sodium_base642bin(out, outmax, in, inlen, NULL, &n, &end,
		sodium_base64_VARIANT_ORIGINAL) != 0)
		return inlen / 4 * 3 > outmax ? HK_ETOOBIG : HK_EINVAL;
	if (end != in + inlen)
		return HK_EINVAL;
	*outlen = n;
	return 0;
}

/** hk_utf8_valid(p, n): true if well-formed UTF-8 (RFC 3629). */
bool
hk_utf8_valid(const uint8_t *p, size_t n)
{
	size_t i = 0;

	while (i < n) {
		uint8_t c = p[i];
		uint32_t cp;
		size_t k, len;

		if (c < 0x80) {
			i++;
			continue;
		}
		if (c >= 0xc2 && c <= 0xdf) {
			len = 2;
			cp = c & 0x1f;
		} else if (c >= 0xe0 && c <= 0xef) {
			len = 3;
			cp = c & 0x0f;
		} else if (c >= 0xf0 && c <= 0xf4) {
			len = 4;
			cp = c & 0x07;
		} else {
			return false;
		}
		if (n - i < len)
			return false;
		for (k = 1; k < len; k++) {
			if ((p[i + k] & 0xc0) != 0x80)
				return false;
			cp = cp << 6 | (p[i + k] & 0x3f);
		}
		if ((len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) ||
		    cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
			return false;
		i += len;
	}
	return true;
}

