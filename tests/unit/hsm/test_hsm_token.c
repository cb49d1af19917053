/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Unit tests for hsm/hsm_token (NET-4, OPS-5): a free SoftHSM token is
 * initialised through PKCS#11 with PINs from protected files, and the pool
 * then logs in to it; an existing label, a long label and a loose PIN file
 * are refused.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>

#include <cmocka.h>

#include "core/log.h"
#include "tests/unit/hsm/hsm_fixture.h"

static void
test_NET4_token_init_then_login(void **state)
{
	struct hsm_pool *p = NULL;
	struct hsm_opts o;
	struct hsm_keyinfo ki;
	struct fx x;
	char so[PATH_MAX + 8], user[PATH_MAX + 8];

	(void)state;
	fx_setup(&x);
	snprintf(so, sizeof(so), "%s/so", x.dir);
	snprintf(user, sizeof(user), "%s/user", x.dir);
	fx_write(so, "so-secret-0123\n", 0600);
	fx_write(user, "user-secret-4567\n", 0600);
	assert_int_equal(hsm_token_init(x.module, "hk-new", so, user), 0);
	o = fx_opts(&x);
	o.token = "hk-new";
	o.pin_file = user;
	assert_int_equal(hsm_pool_new(&o, &p), 0);
	assert_int_equal(hsm_key_generate(p, HSM_ALG_ED25519, "ckpt", 0, &ki),
	    0);
	hsm_pool_free(p);
	/* The SO PIN is not the user PIN. */
	o.pin_file = so;
	assert_int_equal(hsm_pool_new(&o, &p), HK_EAUTH);
	/* Refusals. */
	assert_int_equal(hsm_token_init(x.module, "hk-new", so, user),
	    HK_EEXIST);
	assert_int_equal(hsm_token_init(x.module, FX_TOKEN, so, user),
	    HK_EEXIST);
	assert_int_equal(hsm_token_init(x.module,
			     "a-label-that-is-longer-than-32-bytes", so, user),
	    HK_EINVAL);
	chmod(so, 0644);
	assert_int_equal(hsm_token_init(x.module, "hk-third", so, user),
	    HK_EDENIED);
	assert_int_equal(hsm_token_init("/nonexistent/p11.so", "hk-third",
			     user, user), HK_ECONFIG);
	fx_teardown(&x);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_NET4_token_init_then_login),
	};

	hk_log_set_level(HK_LOG_ERROR - 1); /* refusals log by design */
	return cmocka_run_group_tests(tests, NULL, NULL);
}
