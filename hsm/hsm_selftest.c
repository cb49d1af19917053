/* SPDX-License-Identifier: Apache-2.0 */
/*
 * hsm_selftest: the adapter's power-up self-test, in the style of FIPS 140
 * (shared/research/signing-services.md 4.4): the module's RNG answers and
 * does not repeat itself (OPS-5), the adapter's own encoders give known
 * answers, and a key generated in the module signs something that OpenSSL,
 * knowing only the SPKI the adapter built, accepts, while a corrupted
 * signature is refused (REG-3, REG-4, NET-4). hsm_pool_new() runs it and
 * refuses to hand out a pool that fails. Exports hsm_pool_selftest().
 */
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "core/log.h"
#include "hsm/hsm_der.h"
#include "hsm/hsm_internal.h"

#define SELFTEST_MSG "hanko hsm power-up self-test"

static void
report(hsm_selftest_cb cb, void *arg, const char *check, int r)
{
	if (r != 0)
		hk_error_f("self-test %s failed: %s", check, hk_strerror(r));
	if (cb != NULL)
		cb(arg, check, r);
}

/* Two draws from the module RNG: non-zero and different. */
static int
check_rng(struct hsm_pool *p)
{
	uint8_t a[32], b[32], z[32] = {0};
	int r;

	if ((r = hsm_pool_random(p, a, sizeof(a))) != 0 ||
	    (r = hsm_pool_random(p, b, sizeof(b))) != 0)
		return r;
	if (sodium_memcmp(a, b, sizeof(a)) == 0 ||
	    sodium_memcmp(a, z, sizeof(a)) == 0)
		return HK_ESELFTEST;
	return 0;
}

/* Known answers for the encoders the signatures go through. */
static int
check_encoders(void)
{
	/* r has its high bit set (gets a 00), s has a leading zero byte
	 * (dropped). */
	static const uint8_t rs[8] = {0x80, 0x01, 0x02, 0x03, 0x00, 0x7f,
	    0x01, 0x02};
	static const uint8_t want[] = {0x30, 0x0c, 0x02, 0x05, 0x00, 0x80,
	    0x01, 0x02, 0x03, 0x02, 0x03, 0x7f, 0x01, 0x02};
	static const uint8_t di_head[] = {0x30, 0x31, 0x30, 0x0d, 0x06, 0x09,
	    0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x01, 0x05, 0x00,
	    0x04, 0x20};
	uint8_t out[HSM_DER_ECDSA_MAX], dg[32];
	size_t n;

	if (hsm_der_ecdsa_sig(rs, sizeof(rs), out, sizeof(out), &n) != 0 ||
	    n != sizeof(want) || memcmp(out, want, n) != 0)
		return HK_ESELFTEST;
	memset(dg, 0xab, sizeof(dg));
	if (hsm_der_digestinfo(HSM_HASH_SHA256, dg, sizeof(dg), out,
		sizeof(out), &n) != 0 ||
	    n != sizeof(di_head) + 32 ||
	    memcmp(out, di_head, sizeof(di_head)) != 0 ||
	    memcmp(out + sizeof(di_head), dg, 32) != 0)
		return HK_ESELFTEST;
	return 0;
}

/* Generate a session key of ${alg}, sign with ${sc}, verify with OpenSSL,
 * check a corrupted signature fails, destroy the key. */
static int
check_sign(struct hsm_pool *p, enum hsm_alg alg, enum hsm_scheme sc)
{
	struct hsm_keyinfo *ki = NULL;
	uint8_t dg[32], sig[HSM_SIG_MAX];
	const uint8_t *in = dg;
	enum hsm_hash hash = HSM_HASH_SHA256;
	size_t inlen = sizeof(dg), siglen = 0;
	bool made = false;
	int r;

	if ((ki = malloc(sizeof(*ki))) == NULL)
		return HK_ENOMEM;
	crypto_hash_sha256(dg, (const uint8_t *)SELFTEST_MSG,
	    strlen(SELFTEST_MSG));
	if (sc == HSM_SIG_ED25519) {
		hash = HSM_HASH_NONE;
		in = (const uint8_t *)SELFTEST_MSG;
		inlen = strlen(SELFTEST_MSG);
	}
	if ((r = hsm_key_generate(p, alg, "hanko-selftest",
		 HSM_KEYGEN_SESSION, ki)) != 0)
		goto out;
	made = true;
	if ((r = hsm_key_sign(p, ki->id, sc, hash, in, inlen, sig,
		 &siglen)) != 0)
		goto out;
	if ((r = hsm_der_verify(ki->spki, ki->spki_len, sc, hash, in, inlen,
		 sig, siglen)) != 0) {
		r = HK_ESELFTEST;
		goto out;
	}
	/* The verifier must be able to say no. */
	sig[siglen / 2] ^= 0x01;
	if (hsm_der_verify(ki->spki, ki->spki_len, sc, hash, in, inlen, sig,
		siglen) != HK_EVERIFY) {
		r = HK_ESELFTEST;
		goto out;
	}
	r = 0;
out:
	if (made && hsm_key_destroy(p, ki->id) != 0 && r == 0)
		r = HK_ESELFTEST;
	free(ki);
	return r == 0 ? 0 : HK_ESELFTEST;
}

/** hsm_pool_selftest(p, full, cb, arg): the power-up self-test. */
int
hsm_pool_selftest(struct hsm_pool *p, bool full, hsm_selftest_cb cb,
    void *arg)
{
	int r, bad = 0;

#define RUN(name, expr)                                                        \
	do {                                                                   \
		r = (expr);                                                    \
		report(cb, arg, name, r);                                      \
		bad |= r != 0;                                                 \
	} while (0)

	RUN("module RNG", check_rng(p));
	RUN("ECDSA DER and DigestInfo known answers", check_encoders());
	RUN("P-256 ECDSA sign, OpenSSL verify",
	    check_sign(p, HSM_ALG_EC_P256, HSM_SIG_ECDSA));
	if (p->info.has_eddsa)
		RUN("Ed25519 sign, OpenSSL verify",
		    check_sign(p, HSM_ALG_ED25519, HSM_SIG_ED25519));
	if (full) {
		RUN("P-384 ECDSA sign, OpenSSL verify",
		    check_sign(p, HSM_ALG_EC_P384, HSM_SIG_ECDSA));
		RUN("RSA-2048 PKCS#1 v1.5 sign, OpenSSL verify",
		    check_sign(p, HSM_ALG_RSA_2048, HSM_SIG_RSA_PKCS1));
		if (p->info.has_rsa_pss)
			RUN("RSA-2048 PSS sign, OpenSSL verify",
			    check_sign(p, HSM_ALG_RSA_2048, HSM_SIG_RSA_PSS));
	}
#undef RUN
	return bad ? HK_ESELFTEST : 0;
}
