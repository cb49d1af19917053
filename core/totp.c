/* SPDX-License-Identifier: Apache-2.0 */
/*
 * totp: RFC 4226 HOTP and RFC 6238 TOTP over OpenSSL HMAC, with replay
 * refusal by step, an RFC 4648 base32 encoder and the otpauth:// URI (see
 * totp.h). Serves ACT-2 (the OTP factor), ACT-5 (replay protection) and
 * REG-1 (seed handed over once at enrollment).
 */
#include <stdbool.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "core/codec.h"
#include "core/totp.h"

_Static_assert(HK_TOTP_DIGITS == 6, "hk_totp_hotp computes modulo 10^6");
_Static_assert(HK_TOTP_URI_MAX < 4096, "the URI fits a stack page");

static const EVP_MD *
totp_md(enum hk_totp_hash hash)
{
	switch (hash) {
	case HK_TOTP_SHA1:
		return EVP_sha1();
	case HK_TOTP_SHA256:
		return EVP_sha256();
	case HK_TOTP_SHA512:
		return EVP_sha512();
	}
	return NULL;
}

/** hk_totp_hotp(hash, secret, len, counter, code): RFC 4226 HOTP. */
int
hk_totp_hotp(enum hk_totp_hash hash, const uint8_t *secret, size_t len,
    uint64_t counter, char code[static HK_TOTP_CODE_LEN])
{
	const EVP_MD *md = totp_md(hash);
	uint8_t msg[8], mac[EVP_MAX_MD_SIZE];
	unsigned int maclen = 0, off, i;
	uint32_t bin = 0;
	int r = HK_EINVAL;

	memset(code, 0, HK_TOTP_CODE_LEN);
	if (md == NULL || len < HK_TOTP_SECRET_MIN || len > HK_TOTP_SECRET_MAX)
		goto out;
	/* The counter is an 8-byte big-endian integer (RFC 4226 5.2). */
	for (i = 0; i < 8; i++)
		msg[i] = (uint8_t)(counter >> (56 - 8 * i));
	r = HK_ECRYPTO;
	if (HMAC(md, secret, (int)len, msg, sizeof(msg), mac, &maclen) ==
	        NULL ||
	    maclen < 20)
		goto out;
	/* Dynamic truncation (RFC 4226 5.3): the low nibble of the last byte
	 * selects 4 bytes; their top bit is dropped. WARNING: the index is
	 * secret-derived; the MAC is at most 64 bytes on the stack (one or
	 * two cache lines), so the lookup can reveal at most which line, as
	 * in any RFC 4226 implementation. */
	off = mac[maclen - 1] & 0x0f;
	bin = (uint32_t)(mac[off] & 0x7f) << 24 | (uint32_t)mac[off + 1] << 16 |
	    (uint32_t)mac[off + 2] << 8 | (uint32_t)mac[off + 3];
	bin %= 1000000u;
	for (i = HK_TOTP_DIGITS; i > 0; i--) {
		code[i - 1] = (char)('0' + bin % 10);
		bin /= 10;
	}
	code[HK_TOTP_DIGITS] = '\0';
	r = 0;
out:
	OPENSSL_cleanse(mac, sizeof(mac));
	OPENSSL_cleanse(&bin, sizeof(bin));
	return r;
}

/** hk_totp_step(now_unix): floor(now_unix / HK_TOTP_PERIOD). */
uint64_t
hk_totp_step(uint64_t now_unix)
{
	return now_unix / HK_TOTP_PERIOD;
}

/** hk_totp_generate(hash, secret, len, now_unix, code): the TOTP code. */
int
hk_totp_generate(enum hk_totp_hash hash, const uint8_t *secret, size_t len,
    uint64_t now_unix, char code[static HK_TOTP_CODE_LEN])
{
	return hk_totp_hotp(hash, secret, len, hk_totp_step(now_unix), code);
}

/* code_well_formed(code): exactly HK_TOTP_DIGITS ASCII digits, then NUL. */
static bool
code_well_formed(const char *code)
{
	size_t i;

	for (i = 0; i < HK_TOTP_DIGITS; i++)
		if (code[i] < '0' || code[i] > '9')
			return false;
	return code[HK_TOTP_DIGITS] == '\0';
}

/** hk_totp_verify_hash(hash, secret, len, code, now_unix, window,
 * last_step, matched_step): windowed, replay-refusing TOTP check. */
int
hk_totp_verify_hash(enum hk_totp_hash hash, const uint8_t *secret, size_t len,
    const char *code, uint64_t now_unix, unsigned window, uint64_t last_step,
    uint64_t *matched_step)
{
	char cand[HK_TOTP_CODE_LEN];
	uint64_t now_step = hk_totp_step(now_unix), s, first, best = 0, mask;
	unsigned eq, fresh, any = 0, any_fresh = 0;
	int r;

	if (window > HK_TOTP_WINDOW_MAX)
		return HK_ERANGE;
	if (totp_md(hash) == NULL || len < HK_TOTP_SECRET_MIN ||
	    len > HK_TOTP_SECRET_MAX || !code_well_formed(code))
		return HK_EINVAL;
	first = now_step >= window ? now_step - window : 0;
	/* Compute and compare every candidate, whatever matched before, and
	 * keep the highest fresh match without branching on the result: the
	 * time taken depends only on public values (the window and which
	 * steps are fresh). Keeping the highest step means that if two steps
	 * happen to share a code, the same text cannot be accepted twice. */
	for (s = first; s <= now_step + window; s++) {
		if ((r = hk_totp_hotp(hash, secret, len, s, cand)) != 0)
			goto out;
		eq = (unsigned)(CRYPTO_memcmp(cand, code, HK_TOTP_DIGITS) == 0);
		fresh = (unsigned)(s > last_step);
		any |= eq;
		any_fresh |= eq & fresh;
		mask = (uint64_t)0 - (uint64_t)(eq & fresh);
		best = (best & ~mask) | (s & mask);
	}
	if (any_fresh) {
		*matched_step = best;
		r = 0;
	} else {
		r = any ? HK_EREPLAY : HK_EAUTH;
	}
out:
	OPENSSL_cleanse(cand, sizeof(cand));
	return r;
}

/** hk_totp_verify(secret, len, code, now_unix, window, last_step,
 * matched_step): hk_totp_verify_hash() with SHA-1. */
int
hk_totp_verify(const uint8_t *secret, size_t len, const char *code,
    uint64_t now_unix, unsigned window, uint64_t last_step,
    uint64_t *matched_step)
{
	return hk_totp_verify_hash(HK_TOTP_SHA1, secret, len, code, now_unix,
	    window, last_step, matched_step);
}

/* b32_char(v): the base32 letter of 0 <= v < 32 ("A".."Z", "2".."7")
 * without a branch or table lookup on v. */
static char
b32_char(unsigned v)
{
	/* ge26 is 1 when v >= 26: 25 - v wraps to a value with the top bit
	 * set. */
	unsigned ge26 = (25u - v) >> (sizeof(unsigned) * 8 - 1);

	return (char)('A' + v - ((0u - ge26) & ('A' + 26 - '2')));
}

/** hk_totp_base32_encode(out, outmax, in, n): unpadded RFC 4648 base32. */
int
hk_totp_base32_encode(char *out, size_t outmax, const uint8_t *in, size_t n)
{
	size_t i, o = 0;
	unsigned acc = 0, bits = 0;

	if (outmax < HK_TOTP_BASE32_LEN(n))
		return HK_ETOOBIG;
	for (i = 0; i < n; i++) {
		acc = (acc << 8 | in[i]) & 0xfff;
		bits += 8;
		while (bits >= 5) {
			bits -= 5;
			out[o++] = b32_char((acc >> bits) & 31);
		}
	}
	if (bits > 0)
		out[o++] = b32_char((acc << (5 - bits)) & 31);
	out[o] = '\0';
	return 0;
}

/* label_ok(s): 1 to HK_TOTP_LABEL_MAX bytes of UTF-8, no ':' (it separates
 * issuer from account), no control characters. */
static bool
label_ok(const char *s)
{
	size_t n = strnlen(s, HK_TOTP_LABEL_MAX + 1), i;

	if (n == 0 || n > HK_TOTP_LABEL_MAX ||
	    !hk_utf8_valid((const uint8_t *)s, n))
		return false;
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c < 0x20 || c == 0x7f || c == ':')
			return false;
	}
	return true;
}

/* put_pct(out, o, s): append ${s} percent-encoded (RFC 3986: everything
 * but ALPHA / DIGIT / "-" / "." / "_" / "~"); returns the new offset. */
static size_t
put_pct(char *out, size_t o, const char *s)
{
	static const char hex[] = "0123456789ABCDEF";
	unsigned char c;

	for (; (c = (unsigned char)*s) != '\0'; s++) {
		if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
		    (c >= '0' && c <= '9') || c == '-' || c == '.' ||
		    c == '_' || c == '~') {
			out[o++] = (char)c;
		} else {
			out[o++] = '%';
			out[o++] = hex[c >> 4];
			out[o++] = hex[c & 15];
		}
	}
	return o;
}

static size_t
put_str(char *out, size_t o, const char *s)
{
	size_t n = strlen(s);

	memcpy(out + o, s, n);
	return o + n;
}

/** hk_totp_uri(issuer, account, secret, len, out): the otpauth:// URI. */
int
hk_totp_uri(const char *issuer, const char *account, const uint8_t *secret,
    size_t len, char out[static HK_TOTP_URI_MAX])
{
	char b32[HK_TOTP_BASE32_LEN(HK_TOTP_SECRET_MAX)];
	size_t o = 0;
	int r = HK_EINVAL;

	memset(out, 0, HK_TOTP_URI_MAX);
	if (!label_ok(issuer) || !label_ok(account) ||
	    len < HK_TOTP_SECRET_MIN || len > HK_TOTP_SECRET_MAX)
		goto out;
	if ((r = hk_totp_base32_encode(b32, sizeof(b32), secret, len)) != 0)
		goto out;
	/* Key URI format (Google Authenticator wiki): the label is
	 * issuer ":" account, and the issuer parameter repeats the issuer.
	 * The bounds checked above keep this inside HK_TOTP_URI_MAX. */
	o = put_str(out, o, "otpauth://totp/");
	o = put_pct(out, o, issuer);
	o = put_str(out, o, ":");
	o = put_pct(out, o, account);
	o = put_str(out, o, "?secret=");
	o = put_str(out, o, b32);
	o = put_str(out, o, "&issuer=");
	o = put_pct(out, o, issuer);
	o = put_str(out, o, "&algorithm=SHA1&digits=6&period=30");
	out[o] = '\0';
	r = 0;
out:
	OPENSSL_cleanse(b32, sizeof(b32));
	return r;
}
