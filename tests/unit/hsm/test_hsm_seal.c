/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Unit tests for hsm/hsm_seal (REG-1, NET-4): AES-256-GCM under a key
 * generated in the module, which is sensitive, not extractable and can
 * only encrypt and decrypt; every altered byte, another AAD and another
 * key are refused.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>

#include <cmocka.h>

#include "core/log.h"
#include "tests/unit/hsm/hsm_fixture.h"

static void
test_REG1_seal_roundtrip_and_tamper(void **state)
{
	struct hsm_pool *p = NULL;
	struct hsm_opts o;
	struct hsm_keyinfo k1, k2;
	struct fx x;
	uint8_t msg[100], sealed[200], out[200];
	size_t n, m, i;

	(void)state;
	fx_setup(&x);
	o = fx_opts(&x);
	assert_int_equal(hsm_pool_new(&o, &p), 0);
	assert_int_equal(hsm_sealkey_generate(p, "vault", &k1), 0);
	assert_int_equal(hsm_sealkey_generate(p, NULL, &k2), 0);
	assert_int_equal(k1.kind, HSM_KIND_SEAL);
	for (i = 0; i < sizeof(msg); i++)
		msg[i] = (uint8_t)i;
	assert_int_equal(hsm_seal(p, k1.id, (const uint8_t *)"s-1", 3, msg,
			     sizeof(msg), sealed, &n), 0);
	assert_int_equal(n, sizeof(msg) + HSM_SEAL_OVERHEAD);
	assert_int_equal(hsm_unseal(p, k1.id, (const uint8_t *)"s-1", 3, sealed,
			     n, out, &m), 0);
	assert_int_equal(m, sizeof(msg));
	assert_memory_equal(out, msg, m);
	/* Two seals of the same input differ (fresh IV). */
	{
		uint8_t again[200];
		size_t n2;

		assert_int_equal(hsm_seal(p, k1.id, (const uint8_t *)"s-1", 3,
				     msg, sizeof(msg), again, &n2), 0);
		assert_memory_not_equal(again, sealed, n);
	}
	/* Another AAD, another key, any flipped byte: refused. */
	assert_int_equal(hsm_unseal(p, k1.id, (const uint8_t *)"s-2", 3, sealed,
			     n, out, &m), HK_EVERIFY);
	assert_int_equal(hsm_unseal(p, k2.id, (const uint8_t *)"s-1", 3, sealed,
			     n, out, &m), HK_EVERIFY);
	for (i = 0; i < n; i += 13) {
		sealed[i] ^= 0x04;
		assert_int_equal(hsm_unseal(p, k1.id, (const uint8_t *)"s-1", 3,
				     sealed, n, out, &m), HK_EVERIFY);
		sealed[i] ^= 0x04;
	}
	assert_int_equal(hsm_unseal(p, k1.id, (const uint8_t *)"s-1", 3, sealed,
			     10, out, &m), HK_EINVAL);
	/* The key cannot sign, and a signing key cannot seal. */
	{
		uint8_t sig[HSM_SIG_MAX], d[32] = {0};
		struct hsm_keyinfo ec;

		assert_int_not_equal(hsm_key_sign(p, k1.id, HSM_SIG_ECDSA,
					 HSM_HASH_SHA256, d, 32, sig, &m), 0);
		assert_int_equal(hsm_key_generate(p, HSM_ALG_EC_P256, NULL, 0,
				     &ec), 0);
		assert_int_not_equal(hsm_seal(p, ec.id, NULL, 0, msg, 10,
					 sealed, &n), 0);
	}
	hsm_pool_free(p);
	fx_teardown(&x);
}

static void
test_REG1_seal_key_not_extractable(void **state)
{
	struct hsm_pool *p = NULL;
	struct hsm_opts o;
	struct hsm_keyinfo k;
	struct fx x;
	CK_OBJECT_HANDLE h;
	CK_ULONG n = 0;
	CK_BBOOL ext = CK_TRUE, sens = CK_FALSE, wrap = CK_TRUE;
	CK_ATTRIBUTE q[] = {{CKA_EXTRACTABLE, &ext, sizeof(ext)},
	    {CKA_SENSITIVE, &sens, sizeof(sens)}, {CKA_WRAP, &wrap, sizeof(wrap)}};
	CK_ATTRIBUTE find[] = {{CKA_ID, k.id, HSM_KEYID_LEN}};

	(void)state;
	fx_setup(&x);
	o = fx_opts(&x);
	assert_int_equal(hsm_pool_new(&o, &p), 0);
	assert_int_equal(hsm_sealkey_generate(p, "vault", &k), 0);
	fx_p11_open(&x);
	assert_int_equal(x.f->C_FindObjectsInit(x.s, find, 1), CKR_OK);
	assert_int_equal(x.f->C_FindObjects(x.s, &h, 1, &n), CKR_OK);
	x.f->C_FindObjectsFinal(x.s);
	assert_int_equal(n, 1);
	assert_int_equal(x.f->C_GetAttributeValue(x.s, h, q, 3), CKR_OK);
	assert_int_equal(ext, CK_FALSE);
	assert_int_equal(sens, CK_TRUE);
	assert_int_equal(wrap, CK_FALSE);
	fx_p11_close(&x);
	hsm_pool_free(p);
	fx_teardown(&x);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_REG1_seal_roundtrip_and_tamper),
		cmocka_unit_test(test_REG1_seal_key_not_extractable),
	};

	hk_log_set_level(HK_LOG_ERROR - 1);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
