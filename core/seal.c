/* SPDX-License-Identifier: Apache-2.0 */
/*
 * seal: per-signer secretbox encryption of identity attributes and OTP
 * seeds, and salted HMAC commitments over a canonical encoding of the
 * attributes (see seal.h). Serves REG-1 (confidential, integrity-protected
 * registration data; erasure by deleting the key and salt) and SIG-8
 * (natural and legal persons).
 */
#include <stdbool.h>
#include <string.h>

#include <sodium.h>

#include "core/codec.h"
#include "core/seal.h"

_Static_assert(HK_SEAL_KEY_LEN == crypto_secretbox_KEYBYTES, "key size");
_Static_assert(HK_SEAL_NONCE_LEN == crypto_secretbox_NONCEBYTES, "nonce size");
_Static_assert(HK_SEAL_MAC_LEN == crypto_secretbox_MACBYTES, "MAC size");
_Static_assert(
    HK_SEAL_COMMIT_LEN == crypto_auth_hmacsha256_BYTES, "commitment size");
_Static_assert(HK_SEAL_FIELD_MAX <= 0xffff, "field length fits 2 bytes");
_Static_assert(
    HK_SEAL_ATTRS_MAX <= HK_SEAL_PLAIN_MAX, "encoded attributes can be sealed");

/* The canonical encoding's tag: domain separation and version. */
static const uint8_t attrs_tag[4] = {'H', 'K', 'A', '1'};

/** hk_seal_key_new(): a guarded, zeroed key buffer. */
uint8_t *
hk_seal_key_new(void)
{
	uint8_t *k;

	if (sodium_init() < 0 || (k = sodium_malloc(HK_SEAL_KEY_LEN)) == NULL)
		return NULL;
	sodium_memzero(k, HK_SEAL_KEY_LEN);
	return k;
}

/** hk_seal_key_free(key): wipe and release; accepts NULL. */
void
hk_seal_key_free(uint8_t *key)
{
	/* sodium_free() zeroes the region before unmapping it. */
	sodium_free(key);
}

/** hk_seal_wipe(p, n): sodium_memzero. */
void
hk_seal_wipe(void *p, size_t n)
{
	sodium_memzero(p, n);
}

/* fill(rnd, arg, buf, n): ${n} random bytes from ${rnd} or libsodium;
 * ${buf} is zeroed on failure. */
static int
fill(hk_seal_random_cb rnd, void *arg, uint8_t *buf, size_t n)
{
	int r;

	if (rnd == NULL) {
		if (sodium_init() < 0)
			return HK_ECRYPTO;
		randombytes_buf(buf, n);
		return 0;
	}
	if ((r = rnd(arg, buf, n)) != 0)
		sodium_memzero(buf, n);
	return r;
}

/** hk_seal_key_generate(rnd, arg, key): a random data key. */
int
hk_seal_key_generate(
    hk_seal_random_cb rnd, void *arg, uint8_t key[static HK_SEAL_KEY_LEN])
{
	return fill(rnd, arg, key, HK_SEAL_KEY_LEN);
}

/** hk_seal_salt_generate(rnd, arg, salt): a random commitment salt. */
int
hk_seal_salt_generate(
    hk_seal_random_cb rnd, void *arg, uint8_t salt[static HK_SEAL_SALT_LEN])
{
	return fill(rnd, arg, salt, HK_SEAL_SALT_LEN);
}

/** hk_seal_encrypt(key, plain, n, rnd, arg, out, outmax, outlen): nonce ||
 * secretbox(plain). */
int
hk_seal_encrypt(const uint8_t key[static HK_SEAL_KEY_LEN], const uint8_t *plain,
    size_t n, hk_seal_random_cb rnd, void *arg, uint8_t *out, size_t outmax,
    size_t *outlen)
{
	int r;

	if (n > HK_SEAL_PLAIN_MAX || outmax < HK_SEAL_SEALED_LEN(n))
		return HK_ETOOBIG;
	if (sodium_init() < 0)
		return HK_ECRYPTO;
	/* XSalsa20's 192-bit nonce makes random nonces safe for any number
	 * of boxes under one key. */
	if ((r = fill(rnd, arg, out, HK_SEAL_NONCE_LEN)) != 0)
		return r;
	if (crypto_secretbox_easy(
	        out + HK_SEAL_NONCE_LEN, plain, n, out, key) != 0) {
		sodium_memzero(out, HK_SEAL_SEALED_LEN(n));
		return HK_ECRYPTO;
	}
	*outlen = HK_SEAL_SEALED_LEN(n);
	return 0;
}

/** hk_seal_decrypt(key, in, inlen, out, outmax, outlen): open a box. */
int
hk_seal_decrypt(const uint8_t key[static HK_SEAL_KEY_LEN], const uint8_t *in,
    size_t inlen, uint8_t *out, size_t outmax, size_t *outlen)
{
	size_t n;

	if (inlen < HK_SEAL_OVERHEAD)
		return HK_EVERIFY;
	n = inlen - HK_SEAL_OVERHEAD;
	if (n > HK_SEAL_PLAIN_MAX || outmax < n)
		return HK_ETOOBIG;
	if (sodium_init() < 0)
		return HK_ECRYPTO;
	/* libsodium checks the MAC before it writes any plaintext. */
	if (crypto_secretbox_open_easy(out, in + HK_SEAL_NONCE_LEN,
	        inlen - HK_SEAL_NONCE_LEN, in, key) != 0)
		return HK_EVERIFY;
	*outlen = n;
	return 0;
}

/* put_field(out, o, p, n): append a 2-byte big-endian length and bytes. */
static size_t
put_field(uint8_t *out, size_t o, const uint8_t *p, size_t n)
{
	out[o++] = (uint8_t)(n >> 8);
	out[o++] = (uint8_t)n;
	if (n > 0)
		memcpy(out + o, p, n);
	return o + n;
}

static int
text_ok(const struct hk_bytes *b)
{
	if (b->n > HK_SEAL_FIELD_MAX)
		return HK_ETOOBIG;
	if ((b->p == NULL && b->n != 0) ||
	    (b->n > 0 && !hk_utf8_valid(b->p, b->n)))
		return HK_EINVAL;
	return 0;
}

/** hk_seal_attrs_encode(a, out, outmax, outlen): canonical encoding. */
int
hk_seal_attrs_encode(
    const struct hk_seal_attrs *a, uint8_t *out, size_t outmax, size_t *outlen)
{
	const struct hk_bytes *f[4] = {
	    &a->name, &a->organization, &a->email, &a->proofing_ref};
	uint8_t kind;
	size_t need = sizeof(attrs_tag) + 2 + 1, o, i;
	int r;

	if (a->kind != HK_SEAL_NATURAL && a->kind != HK_SEAL_LEGAL)
		return HK_EINVAL;
	for (i = 0; i < 4; i++) {
		if ((r = text_ok(f[i])) != 0)
			return r;
		need += 2 + f[i]->n;
	}
	if (outmax < need)
		return HK_ETOOBIG;
	memcpy(out, attrs_tag, sizeof(attrs_tag));
	kind = (uint8_t)a->kind;
	o = put_field(out, sizeof(attrs_tag), &kind, 1);
	for (i = 0; i < 4; i++)
		o = put_field(out, o, f[i]->p, f[i]->n);
	*outlen = o;
	return 0;
}

/* get_field(in, len, o, b): read one length-prefixed field at *${o}. */
static bool
get_field(const uint8_t *in, size_t len, size_t *o, struct hk_bytes *b)
{
	size_t n;

	if (len - *o < 2)
		return false;
	n = (size_t)in[*o] << 8 | in[*o + 1];
	*o += 2;
	if (n > HK_SEAL_FIELD_MAX || len - *o < n)
		return false;
	b->p = in + *o;
	b->n = n;
	*o += n;
	return true;
}

/** hk_seal_attrs_decode(in, len, a): strict parse; ${a} borrows ${in}. */
int
hk_seal_attrs_decode(const uint8_t *in, size_t len, struct hk_seal_attrs *a)
{
	struct hk_seal_attrs t;
	struct hk_bytes kind;
	struct hk_bytes *f[4] = {
	    &t.name, &t.organization, &t.email, &t.proofing_ref};
	size_t o = sizeof(attrs_tag), i;

	if (len < sizeof(attrs_tag) ||
	    memcmp(in, attrs_tag, sizeof(attrs_tag)) != 0 ||
	    !get_field(in, len, &o, &kind) || kind.n != 1 ||
	    (kind.p[0] != HK_SEAL_NATURAL && kind.p[0] != HK_SEAL_LEGAL))
		return HK_EINVAL;
	t.kind = (enum hk_seal_kind)kind.p[0];
	for (i = 0; i < 4; i++)
		if (!get_field(in, len, &o, f[i]) || text_ok(f[i]) != 0)
			return HK_EINVAL;
	if (o != len)
		return HK_EINVAL;
	*a = t;
	return 0;
}

/** hk_seal_commit(salt, a, out): HMAC-SHA256(salt, canonical(a)). */
int
hk_seal_commit(const uint8_t salt[static HK_SEAL_SALT_LEN],
    const struct hk_seal_attrs *a, uint8_t out[static HK_SEAL_COMMIT_LEN])
{
	uint8_t enc[HK_SEAL_ATTRS_MAX];
	crypto_auth_hmacsha256_state st;
	size_t n = 0;
	int r;

	if ((r = hk_seal_attrs_encode(a, enc, sizeof(enc), &n)) != 0)
		goto out;
	r = HK_ECRYPTO;
	if (sodium_init() < 0 ||
	    crypto_auth_hmacsha256_init(&st, salt, HK_SEAL_SALT_LEN) != 0 ||
	    crypto_auth_hmacsha256_update(&st, enc, n) != 0 ||
	    crypto_auth_hmacsha256_final(&st, out) != 0)
		goto out;
	r = 0;
out:
	sodium_memzero(enc, n);
	sodium_memzero(&st, sizeof(st));
	return r;
}

/** hk_seal_commit_check(salt, a, expected): constant-time comparison. */
int
hk_seal_commit_check(const uint8_t salt[static HK_SEAL_SALT_LEN],
    const struct hk_seal_attrs *a,
    const uint8_t expected[static HK_SEAL_COMMIT_LEN])
{
	uint8_t got[HK_SEAL_COMMIT_LEN];
	int r;

	if ((r = hk_seal_commit(salt, a, got)) != 0)
		return r;
	r = sodium_memcmp(got, expected, HK_SEAL_COMMIT_LEN) == 0 ? 0
	                                                          : HK_EVERIFY;
	sodium_memzero(got, sizeof(got));
	return r;
}
