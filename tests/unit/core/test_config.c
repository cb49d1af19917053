/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Unit tests for core/config (OPS-3): a valid file loads with defaults and
 * its SHA-256; every kind of bad input is refused with file, line and
 * reason.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <sodium.h>

#include "core/config.h"

static char dir[64], path[128];

static const char base[] =
    "# Hanko\n"
    "[ledger]\n"
    "origin = example.test/hanko/1\n"
    "checkpoint_key = 00112233445566778899aabbccddeeff\n"
    "[hsm]\n"
    "module = pkcs11.so\n"
    "token = hanko\n"
    "pin_file = pin\n"
    "vault_key = ffeeddccbbaa99887766554433221100\n"
    "[ca]\n"
    "trusted = ca.crt\n"
    "[signing]\n"
    "listen = 127.0.0.1:8443\n"
    "cert = tls.crt\n"
    "key = tls.key\n"
    "[admin]\n"
    "listen = 127.0.0.1:8444\n"
    "cert = tls.crt\n"
    "key = tls.key\n"
    "client_ca = ca.crt\n";

static void
touch(const char *name)
{
	char p[256];
	FILE *f;

	snprintf(p, sizeof(p), "%s/%s", dir, name);
	assert_non_null(f = fopen(p, "w"));
	fclose(f);
}

static int
setup(void **state)
{
	(void)state;
	snprintf(dir, sizeof(dir), "/tmp/hanko-conf-XXXXXX");
	if (mkdtemp(dir) == NULL)
		return -1;
	snprintf(path, sizeof(path), "%s/hanko.conf", dir);
	touch("pkcs11.so");
	touch("pin");
	touch("tls.crt");
	touch("tls.key");
	touch("ca.crt");
	return 0;
}

static int
teardown(void **state)
{
	char cmd[128];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	return system(cmd);
}

static int
load(const char *text, struct hk_config *c, char *err, size_t n)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	fputs(text, f);
	fclose(f);
	return hk_config_load(path, dir, c, err, n);
}

static void
test_OPS3_valid_config_and_defaults(void **state)
{
	struct hk_config c;
	char err[512], want[300];
	uint8_t h[32];

	(void)state;
	assert_int_equal(load(base, &c, err, sizeof(err)), 0);
	assert_string_equal(c.origin, "example.test/hanko/1");
	assert_string_equal(c.hsm_token, "hanko");
	assert_int_equal(c.checkpoint_key[0], 0x00);
	assert_int_equal(c.checkpoint_key[15], 0xff);
	snprintf(want, sizeof(want), "%s/pin", dir);
	assert_string_equal(c.hsm_pin_file, want);
	assert_string_equal(c.signing.host, "127.0.0.1");
	assert_int_equal(c.signing.port, 8443);
	assert_int_equal(c.admin.port, 8444);
	assert_string_equal(c.softhsm_conf, "");
	assert_int_equal(c.hsm_sessions, 4);
	assert_int_equal(c.max_connections, 2000);
	assert_int_equal(c.sad_lifetime_s, 300);
	assert_int_equal(c.lockout_failures, 5);
	assert_string_equal(c.front_user, "hanko-front");
	/* The recorded hash is the file's SHA-256. */
	crypto_hash_sha256(h, (const uint8_t *)base, strlen(base));
	assert_memory_equal(c.sha256, h, 32);
}

static void
test_OPS3_bad_configs_refused_with_line(void **state)
{
	const struct {
		const char *extra;
		const char *want;
	} cases[] = {
		{"[nope]\nx = 1\n", "hanko.conf:22: unknown section [nope]"},
		{"[policy]\ncolour = red\n",
		    "hanko.conf:22: unknown key 'colour' in [policy]"},
		{"[policy]\nlockout_failures = 0\n",
		    "hanko.conf:22: lockout_failures: must be a whole number "
		    "from 1 to 100"},
		{"[policy]\nsad_lifetime_s = 5m\n",
		    "hanko.conf:22: sad_lifetime_s: must be a whole number"},
		{"[policy]\nsad_lifetime_s = -1\n",
		    "hanko.conf:22: sad_lifetime_s: must be a whole number"},
		{"[ledger]\ncommit_window_us = 5\ncommit_window_us = 6\n",
		    "hanko.conf:23: commit_window_us: set twice in [ledger] "
		    "(first at line 22)"},
		{"[hsm]\nsessions = 99999999999999999999\n",
		    "hanko.conf:22: sessions: must be a whole number"},
		{"[front]\nuser = root;rm\n",
		    "hanko.conf:22: user: character ';' not allowed"},
		{"[front]\n  max_connections = 5\n",
		    "hanko.conf:22: indented line"},
		{"[front]\nthis is not ini\n", "hanko.conf:22: syntax error"},
	};
	struct hk_config c;
	char err[512], text[2048];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		snprintf(text, sizeof(text), "%s%s", base, cases[i].extra);
		assert_int_equal(load(text, &c, err, sizeof(err)), HK_ECONFIG);
		if (strstr(err, cases[i].want) == NULL)
			fail_msg("case %zu: \"%s\" lacks \"%s\"", i, err,
			    cases[i].want);
	}
}

static void
test_OPS3_bad_values_in_base_refused(void **state)
{
	const struct {
		const char *from, *to, *want;
	} cases[] = {
		{"127.0.0.1:8443", "127.0.0.1:0", "hanko.conf:13: listen: port"},
		{"127.0.0.1:8443", "127.0.0.1", "hanko.conf:13: listen: expected"},
		{"127.0.0.1:8443", "127.0.0.1:99999", "port must be 1-65535"},
		{"pin_file = pin", "pin_file = nopin",
		    "hanko.conf:8: /tmp/hanko-conf-"},
		{"origin = example.test/hanko/1", "origin = a+b",
		    "hanko.conf:3: origin: character '+' not allowed"},
		{"token = hanko\n", "", "missing 'token' in [hsm]"},
		{"8899aabbccddeeff", "8899aabbccddeefg",
		    "hanko.conf:4: checkpoint_key: expected 32 hex digits"},
	};
	struct hk_config c;
	char err[512], text[2048], *at;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		snprintf(text, sizeof(text), "%s", base);
		assert_non_null(at = strstr(text, cases[i].from));
		memmove(at + strlen(cases[i].to), at + strlen(cases[i].from),
		    strlen(at + strlen(cases[i].from)) + 1);
		memcpy(at, cases[i].to, strlen(cases[i].to));
		assert_int_equal(load(text, &c, err, sizeof(err)), HK_ECONFIG);
		if (strstr(err, cases[i].want) == NULL)
			fail_msg("case %zu: \"%s\" lacks \"%s\"", i, err,
			    cases[i].want);
	}
	assert_int_equal(hk_config_load("/nonexistent/hanko.conf", dir, &c, err,
			     sizeof(err)), HK_ENOTFOUND);
}

static void
test_OPS3_long_line_refused(void **state)
{
	struct hk_config c;
	char err[512], text[4096];

	(void)state;
	snprintf(text, sizeof(text), "%s[front]\nuser = %0300d\n", base, 7);
	assert_int_equal(load(text, &c, err, sizeof(err)), HK_ECONFIG);
	assert_non_null(strstr(err, "hanko.conf:22: line longer than"));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_OPS3_valid_config_and_defaults),
		cmocka_unit_test(test_OPS3_bad_configs_refused_with_line),
		cmocka_unit_test(test_OPS3_bad_values_in_base_refused),
		cmocka_unit_test(test_OPS3_long_line_refused),
	};

	if (sodium_init() < 0)
		return 1;
	return cmocka_run_group_tests(tests, setup, teardown);
}
