/* SPDX-License-Identifier: Apache-2.0 */
/*
 * pwhash: argon2id hashes of login passwords and PINs with libsodium, and
 * the enrollment policy checks for both (see pwhash.h). Serves REG-2 (SAD
 * reference data only as a memory-hard hash) and ACT-2 (the PIN factor).
 */
#include <errno.h>
#include <string.h>

#include <sodium.h>

#include "core/codec.h"
#include "core/pwhash.h"

_Static_assert(HK_PWHASH_STR_LEN == crypto_pwhash_argon2id_STRBYTES,
    "HK_PWHASH_STR_LEN is libsodium's string size");
_Static_assert(HK_PWHASH_SECRET_MAX <= crypto_pwhash_argon2id_PASSWD_MAX,
    "libsodium accepts every secret we accept");
_Static_assert(HK_PWHASH_PASSWORD_MAX <= HK_PWHASH_SECRET_MAX &&
        HK_PWHASH_PIN_MAX <= HK_PWHASH_SECRET_MAX,
    "every secret the policy allows can be hashed");

/** hk_pwhash_params_default(p): OPSLIMIT/MEMLIMIT_INTERACTIVE. */
void
hk_pwhash_params_default(struct hk_pwhash_params *p)
{
	p->opslimit = crypto_pwhash_argon2id_OPSLIMIT_INTERACTIVE;
	p->memlimit = crypto_pwhash_argon2id_MEMLIMIT_INTERACTIVE;
}

/** hk_pwhash_params_test(p): argon2id's minimum cost (tests only). */
void
hk_pwhash_params_test(struct hk_pwhash_params *p)
{
	p->opslimit = crypto_pwhash_argon2id_OPSLIMIT_MIN;
	p->memlimit = crypto_pwhash_argon2id_MEMLIMIT_MIN;
}

static bool
params_ok(const struct hk_pwhash_params *p)
{
	return p->opslimit >= crypto_pwhash_argon2id_OPSLIMIT_MIN &&
	    p->opslimit <= crypto_pwhash_argon2id_OPSLIMIT_MAX &&
	    p->memlimit >= crypto_pwhash_argon2id_MEMLIMIT_MIN &&
	    p->memlimit <= crypto_pwhash_argon2id_MEMLIMIT_MAX;
}

/* stored_ok(stored): ${stored} is a NUL-terminated argon2id string that
 * libsodium can decode (prefix, version, parameters, salt and hash). */
static bool
stored_ok(const char *stored)
{
	static const char prefix[] = crypto_pwhash_argon2id_STRPREFIX;

	if (strnlen(stored, HK_PWHASH_STR_LEN) == HK_PWHASH_STR_LEN ||
	    strncmp(stored, prefix, sizeof(prefix) - 1) != 0)
		return false;
	/* needs_rehash decodes the whole string and returns -1 when it
	 * cannot; the parameters passed do not matter for that. */
	return crypto_pwhash_argon2id_str_needs_rehash(stored,
	           crypto_pwhash_argon2id_OPSLIMIT_INTERACTIVE,
	           crypto_pwhash_argon2id_MEMLIMIT_INTERACTIVE) != -1;
}

/** hk_pwhash_hash(params, secret, len, out): argon2id string of ${secret}. */
int
hk_pwhash_hash(const struct hk_pwhash_params *params, const uint8_t *secret,
    size_t len, char out[static HK_PWHASH_STR_LEN])
{
	memset(out, 0, HK_PWHASH_STR_LEN);
	if (len == 0 || !params_ok(params))
		return HK_EINVAL;
	if (len > HK_PWHASH_SECRET_MAX)
		return HK_ETOOBIG;
	if (sodium_init() < 0)
		return HK_ECRYPTO;
	errno = 0;
	if (crypto_pwhash_argon2id_str(out, (const char *)secret, len,
	        params->opslimit, params->memlimit) != 0) {
		memset(out, 0, HK_PWHASH_STR_LEN);
		return errno == ENOMEM ? HK_ENOMEM : HK_ECRYPTO;
	}
	return 0;
}

/** hk_pwhash_verify(stored, secret, len): does ${secret} match ${stored}? */
int
hk_pwhash_verify(const char *stored, const uint8_t *secret, size_t len)
{
	if (len == 0)
		return HK_EINVAL;
	if (len > HK_PWHASH_SECRET_MAX)
		return HK_ETOOBIG;
	if (sodium_init() < 0)
		return HK_ECRYPTO;
	if (!stored_ok(stored))
		return HK_ECORRUPT;
	errno = 0;
	if (crypto_pwhash_argon2id_str_verify(
	        stored, (const char *)secret, len) == 0)
		return 0;
	return errno == ENOMEM ? HK_ENOMEM : HK_EAUTH;
}

/** hk_pwhash_needs_rehash(params, stored, needs): cost differs? */
int
hk_pwhash_needs_rehash(
    const struct hk_pwhash_params *params, const char *stored, bool *needs)
{
	int r;

	if (sodium_init() < 0)
		return HK_ECRYPTO;
	if (!stored_ok(stored))
		return HK_ECORRUPT;
	r = crypto_pwhash_argon2id_str_needs_rehash(
	    stored, params->opslimit, params->memlimit);
	if (r < 0)
		return HK_ECORRUPT;
	*needs = r != 0;
	return 0;
}

/** hk_pwhash_pin_check(pin, len): 6 to 12 ASCII digits. */
int
hk_pwhash_pin_check(const uint8_t *pin, size_t len)
{
	size_t i;

	if (len < HK_PWHASH_PIN_MIN || len > HK_PWHASH_PIN_MAX)
		return HK_EPOLICY;
	for (i = 0; i < len; i++)
		if (pin[i] < '0' || pin[i] > '9')
			return HK_EPOLICY;
	return 0;
}

/** hk_pwhash_password_check(pw, len): 12 to 128 bytes of UTF-8, no
 * control characters. */
int
hk_pwhash_password_check(const uint8_t *pw, size_t len)
{
	size_t i;

	if (len < HK_PWHASH_PASSWORD_MIN || len > HK_PWHASH_PASSWORD_MAX ||
	    !hk_utf8_valid(pw, len))
		return HK_EPOLICY;
	/* Control characters cannot be typed reliably, and a NUL would cut
	 * the secret short wherever it passes through a C string. */
	for (i = 0; i < len; i++)
		if (pw[i] < 0x20 || pw[i] == 0x7f)
			return HK_EPOLICY;
	return 0;
}
