/* SPDX-License-Identifier: Apache-2.0 */
/*
 * codec: hex and base64 text codecs. Base64 uses libsodium's constant-time
 * codec, strict: standard alphabet, padding required, no whitespace, no
 * trailing garbage, no non-zero pad bits. Leaf module.
 */
#ifndef HK_CODEC_H
#define HK_CODEC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/buf.h"
#include "core/err.h"

/** hk_hex_encode(out, in, n): write 2*${n} lowercase hex digits and a NUL
 * to ${out}, which must hold 2*n+1 bytes. */
void hk_hex_encode(char *out, const uint8_t *in, size_t n);

/** hk_hex_decode(out, outmax, in, inlen, outlen): decode exactly ${inlen}
 * hex digits (either case); returns 0, HK_EINVAL on a bad digit or odd
 * length, HK_ETOOBIG when the result exceeds ${outmax}. */
HK_MUST_CHECK int hk_hex_decode(uint8_t *out, size_t outmax, const char *in,
    size_t inlen, size_t *outlen);

/** hk_b64_append(b, in, n): append standard padded base64 of ${in} to ${b}
 * (no NUL); 0 or HK_ENOMEM. */
HK_MUST_CHECK int hk_b64_append(struct hk_buf *b, const uint8_t *in,
    size_t n);

/** hk_b64_decode(out, outmax, in, inlen, outlen): strictly decode exactly
 * ${inlen} characters of standard padded base64; 0, HK_EINVAL or
 * HK_ETOOBIG. Constant-time in the data (safe for secrets). */
HK_MUST_CHECK int hk_b64_decode(uint8_t *out, size_t outmax, const char *in,
    size_t inlen, size_t *outlen);

/** hk_utf8_valid(p, n): true if ${p}[0..n) is well-formed UTF-8 (RFC 3629:
 * no overlongs, no surrogates, nothing above U+10FFFF). */
bool hk_utf8_valid(const uint8_t *p, size_t n);

#endif
