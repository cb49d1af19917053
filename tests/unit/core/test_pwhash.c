/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Unit tests for core/pwhash (REG-2, ACT-2): argon2id round trips at the
 * explicit test cost (one test at the production cost), refusal of wrong
 * secrets and of malformed stored strings, the re-hash decision, the PIN
 * and password policies, and that a secret never appears in the stored
 * string or on stderr.
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

#include "core/pwhash.h"

#define S(lit) (const uint8_t *)(lit), (sizeof(lit) - 1)

/* contains(hay, needle, n): ${needle} (n bytes) occurs in the string. */
static int
contains(const char *hay, const void *needle, size_t n)
{
	size_t h = strlen(hay), i;

	for (i = 0; i + n <= h; i++)
		if (memcmp(hay + i, needle, n) == 0)
			return 1;
	return 0;
}

static void
test_REG2_round_trip_at_test_cost(void **state)
{
	static const char pw[] = "correct horse battery staple";
	struct hk_pwhash_params tp;
	char a[HK_PWHASH_STR_LEN], b[HK_PWHASH_STR_LEN];

	(void)state;
	hk_pwhash_params_test(&tp);
	assert_int_equal(hk_pwhash_hash(&tp, S(pw), a), 0);
	/* Self-describing argon2id at 1 pass, 8 KiB, one lane. */
	assert_true(strncmp(a, "$argon2id$v=19$m=8,t=1,p=1$", 27) == 0);
	assert_int_equal(hk_pwhash_verify(a, S(pw)), 0);
	/* A fresh salt every time: the same secret, another string, and
	 * both verify. */
	assert_int_equal(hk_pwhash_hash(&tp, S(pw), b), 0);
	assert_string_not_equal(a, b);
	assert_int_equal(hk_pwhash_verify(b, S(pw)), 0);
	/* A PIN too. */
	assert_int_equal(hk_pwhash_hash(&tp, S("482916"), a), 0);
	assert_int_equal(hk_pwhash_verify(a, S("482916")), 0);
	/* Arbitrary bytes, including NUL, are hashed as given. */
	assert_int_equal(hk_pwhash_hash(&tp, S("a\0b"), a), 0);
	assert_int_equal(hk_pwhash_verify(a, S("a\0b")), 0);
	assert_int_equal(hk_pwhash_verify(a, S("a\0c")), HK_EAUTH);
	assert_int_equal(hk_pwhash_verify(a, S("a")), HK_EAUTH);
}

static void
test_REG2_wrong_secret_refused(void **state)
{
	static const char pw[] = "Tr0ub4dor&3-plus";
	uint8_t big[HK_PWHASH_SECRET_MAX + 1];
	struct hk_pwhash_params tp;
	char h[HK_PWHASH_STR_LEN];
	uint8_t flip[sizeof(pw) - 1];
	size_t i;

	(void)state;
	hk_pwhash_params_test(&tp);
	assert_int_equal(hk_pwhash_hash(&tp, S(pw), h), 0);
	/* Every single-bit change of the secret is refused. */
	for (i = 0; i < (sizeof(pw) - 1) * 8; i += 7) {
		memcpy(flip, pw, sizeof(flip));
		flip[i / 8] ^= (uint8_t)(1u << (i % 8));
		assert_int_equal(
		    hk_pwhash_verify(h, flip, sizeof(flip)), HK_EAUTH);
	}
	/* Prefix, extension, case. */
	assert_int_equal(
	    hk_pwhash_verify(h, (const uint8_t *)pw, sizeof(pw) - 2), HK_EAUTH);
	assert_int_equal(hk_pwhash_verify(h, S("Tr0ub4dor&3-plus!")), HK_EAUTH);
	assert_int_equal(hk_pwhash_verify(h, S("tr0ub4dor&3-plus")), HK_EAUTH);
	/* Empty and oversized secrets are refused without hashing. */
	assert_int_equal(
	    hk_pwhash_verify(h, (const uint8_t *)"", 0), HK_EINVAL);
	memset(big, 'x', sizeof(big));
	assert_int_equal(hk_pwhash_verify(h, big, sizeof(big)), HK_ETOOBIG);
	assert_int_equal(hk_pwhash_hash(&tp, big, sizeof(big), h), HK_ETOOBIG);
	assert_string_equal(h, "");
	assert_int_equal(hk_pwhash_hash(&tp, big, 0, h), HK_EINVAL);
	/* The longest secret is fine. */
	assert_int_equal(hk_pwhash_hash(&tp, big, HK_PWHASH_SECRET_MAX, h), 0);
	assert_int_equal(hk_pwhash_verify(h, big, HK_PWHASH_SECRET_MAX), 0);
}

static void
test_REG2_default_cost(void **state)
{
	struct hk_pwhash_params dp, tp;
	char h[HK_PWHASH_STR_LEN];
	bool needs = true;

	(void)state;
	hk_pwhash_params_default(&dp);
	hk_pwhash_params_test(&tp);
	assert_int_equal(dp.opslimit, 2);
	assert_int_equal(dp.memlimit, 64u << 20);
	assert_int_equal(hk_pwhash_hash(&dp, S("271828"), h), 0);
	assert_true(strncmp(h, "$argon2id$v=19$m=65536,t=2,p=1$", 31) == 0);
	assert_int_equal(hk_pwhash_verify(h, S("271828")), 0);
	assert_int_equal(hk_pwhash_verify(h, S("271829")), HK_EAUTH);
	/* The re-hash decision follows the cost recorded in the string. */
	assert_int_equal(hk_pwhash_needs_rehash(&dp, h, &needs), 0);
	assert_false(needs);
	assert_int_equal(hk_pwhash_needs_rehash(&tp, h, &needs), 0);
	assert_true(needs);
}

static void
test_REG2_needs_rehash_and_bad_params(void **state)
{
	struct hk_pwhash_params tp, p;
	char h[HK_PWHASH_STR_LEN];
	bool needs = false;

	(void)state;
	hk_pwhash_params_test(&tp);
	assert_int_equal(hk_pwhash_hash(&tp, S("314159"), h), 0);
	assert_int_equal(hk_pwhash_needs_rehash(&tp, h, &needs), 0);
	assert_false(needs);
	p = tp;
	p.opslimit = 3;
	assert_int_equal(hk_pwhash_needs_rehash(&p, h, &needs), 0);
	assert_true(needs);
	p = tp;
	p.memlimit = 16384;
	needs = false;
	assert_int_equal(hk_pwhash_needs_rehash(&p, h, &needs), 0);
	assert_true(needs);
	/* Costs below argon2id's minimum are refused. */
	p = tp;
	p.opslimit = 0;
	assert_int_equal(hk_pwhash_hash(&p, S("314159"), h), HK_EINVAL);
	p = tp;
	p.memlimit = 1024;
	assert_int_equal(hk_pwhash_hash(&p, S("314159"), h), HK_EINVAL);
}

static void
test_REG2_malformed_stored_string(void **state)
{
	struct hk_pwhash_params tp;
	char h[HK_PWHASH_STR_LEN], bad[HK_PWHASH_STR_LEN + 8];
	bool needs;
	size_t n;

	(void)state;
	hk_pwhash_params_test(&tp);
	assert_int_equal(hk_pwhash_hash(&tp, S("161803"), h), 0);
	n = strlen(h);
	assert_int_equal(hk_pwhash_verify("", S("161803")), HK_ECORRUPT);
	assert_int_equal(hk_pwhash_verify("161803", S("161803")), HK_ECORRUPT);
	/* Another argon2 variant is not ours. */
	snprintf(bad, sizeof(bad), "$argon2i$%s", h + 10);
	assert_int_equal(hk_pwhash_verify(bad, S("161803")), HK_ECORRUPT);
	/* Truncated: no hash after the last '$', or cut inside the
	 * parameters. */
	memcpy(bad, h, n + 1);
	*(strrchr(bad, '$') + 1) = '\0';
	assert_int_equal(hk_pwhash_verify(bad, S("161803")), HK_ECORRUPT);
	memcpy(bad, h, 20);
	bad[20] = '\0';
	assert_int_equal(hk_pwhash_verify(bad, S("161803")), HK_ECORRUPT);
	/* A character outside base64 in the hash. */
	memcpy(bad, h, n + 1);
	bad[n - 3] = '*';
	assert_int_equal(hk_pwhash_verify(bad, S("161803")), HK_ECORRUPT);
	assert_int_equal(hk_pwhash_needs_rehash(&tp, bad, &needs), HK_ECORRUPT);
	/* A valid base64 change in the hash is a mismatch, not corruption. */
	memcpy(bad, h, n + 1);
	bad[n - 3] = bad[n - 3] == 'A' ? 'B' : 'A';
	assert_int_equal(hk_pwhash_verify(bad, S("161803")), HK_EAUTH);
	/* No NUL within HK_PWHASH_STR_LEN bytes. */
	memset(bad, 'A', sizeof(bad));
	memcpy(bad, h, n);
	bad[sizeof(bad) - 1] = '\0';
	assert_int_equal(hk_pwhash_verify(bad, S("161803")), HK_ECORRUPT);
	assert_int_equal(hk_pwhash_needs_rehash(&tp, bad, &needs), HK_ECORRUPT);
}

static void
test_REG2_pin_policy(void **state)
{
	(void)state;
	assert_int_equal(hk_pwhash_pin_check(S("123456")), 0);
	assert_int_equal(hk_pwhash_pin_check(S("000000")), 0);
	assert_int_equal(hk_pwhash_pin_check(S("123456789012")), 0);
	assert_int_equal(hk_pwhash_pin_check(S("12345")), HK_EPOLICY);
	assert_int_equal(hk_pwhash_pin_check(S("1234567890123")), HK_EPOLICY);
	assert_int_equal(hk_pwhash_pin_check(S("")), HK_EPOLICY);
	assert_int_equal(hk_pwhash_pin_check(S("12345a")), HK_EPOLICY);
	assert_int_equal(hk_pwhash_pin_check(S("123 456")), HK_EPOLICY);
	assert_int_equal(hk_pwhash_pin_check(S("-12345")), HK_EPOLICY);
	assert_int_equal(hk_pwhash_pin_check(S("123\0456")), HK_EPOLICY);
	/* Fullwidth digits (U+FF11...) are not ASCII digits. */
	assert_int_equal(hk_pwhash_pin_check(S("\xef\xbc\x91\xef\xbc\x92"
	                                       "3456")),
	    HK_EPOLICY);
}

static void
test_REG2_password_policy(void **state)
{
	uint8_t pw[HK_PWHASH_PASSWORD_MAX + 1];

	(void)state;
	memset(pw, 'p', sizeof(pw));
	assert_int_equal(hk_pwhash_password_check(pw, 12), 0);
	assert_int_equal(hk_pwhash_password_check(pw, 128), 0);
	assert_int_equal(hk_pwhash_password_check(pw, 11), HK_EPOLICY);
	assert_int_equal(hk_pwhash_password_check(pw, 129), HK_EPOLICY);
	assert_int_equal(hk_pwhash_password_check(pw, 0), HK_EPOLICY);
	assert_int_equal(hk_pwhash_password_check(S("with spaces ok!")), 0);
	/* Four kanji are twelve bytes of UTF-8: long enough. */
	assert_int_equal(
	    hk_pwhash_password_check(S("\xe5\xaf\x8c\xe5\xa3\xab"
	                               "\xe5\xb1\xb1\xe9\xba\x93")),
	    0);
	/* Malformed UTF-8: a lone continuation byte, an overlong '/', a
	 * surrogate, a truncated sequence. */
	assert_int_equal(
	    hk_pwhash_password_check(S("passwordpass\x80")), HK_EPOLICY);
	assert_int_equal(
	    hk_pwhash_password_check(S("passwordpass\xc0\xaf")), HK_EPOLICY);
	assert_int_equal(
	    hk_pwhash_password_check(S("passwordpass\xed\xa0\x80")),
	    HK_EPOLICY);
	assert_int_equal(
	    hk_pwhash_password_check(S("passwordpass\xe5\xaf")), HK_EPOLICY);
	/* Control characters. */
	assert_int_equal(
	    hk_pwhash_password_check(S("passwordpass\0x")), HK_EPOLICY);
	assert_int_equal(
	    hk_pwhash_password_check(S("passwordpass\tx")), HK_EPOLICY);
	assert_int_equal(
	    hk_pwhash_password_check(S("passwordpass\nx")), HK_EPOLICY);
	assert_int_equal(
	    hk_pwhash_password_check(S("passwordpass\x7fx")), HK_EPOLICY);
}

static void
test_REG2_pin_hash_never_logged(void **state)
{
	static const char pin[] = "90817263";
	struct hk_pwhash_params tp;
	char h[HK_PWHASH_STR_LEN], path[] = "/tmp/hanko-pwhash-XXXXXX";
	char logbuf[65536];
	int fd, saved;
	ssize_t n;
	bool needs;

	(void)state;
	hk_pwhash_params_test(&tp);
	/* Capture stderr (where core/log writes) across every path:
	 * success, mismatch, malformed stored string, policy refusal. */
	assert_true((fd = mkstemp(path)) >= 0);
	fflush(stderr);
	assert_true((saved = dup(2)) >= 0);
	assert_true(dup2(fd, 2) == 2);
	assert_int_equal(hk_pwhash_hash(&tp, S(pin), h), 0);
	assert_int_equal(hk_pwhash_verify(h, S(pin)), 0);
	assert_int_equal(hk_pwhash_verify(h, S("90817264")), HK_EAUTH);
	assert_int_equal(
	    hk_pwhash_verify("$argon2id$junk", S(pin)), HK_ECORRUPT);
	assert_int_equal(hk_pwhash_pin_check(S("9081726x")), HK_EPOLICY);
	assert_int_equal(hk_pwhash_password_check(S(pin)), HK_EPOLICY);
	assert_int_equal(hk_pwhash_needs_rehash(&tp, h, &needs), 0);
	fflush(stderr);
	assert_true(dup2(saved, 2) == 2);
	close(saved);
	assert_true(lseek(fd, 0, SEEK_SET) == 0);
	n = read(fd, logbuf, sizeof(logbuf) - 1);
	assert_true(n >= 0);
	logbuf[n] = '\0';
	close(fd);
	unlink(path);
	assert_false(contains(logbuf, pin, 8));
	assert_false(contains(logbuf, "9081726", 7));
	/* Nor is it in the stored string, in any form we can think of:
	 * clear, or hex. */
	assert_false(contains(h, pin, 8));
	assert_false(contains(h, "3930383137323633", 16));
}

static void
test_REG2_reference_implementation_kat(void **state)
{
	const char *top = getenv("TOP");
	char path[1024], line[1024], hex[600], enc[256];
	uint8_t secret[300];
	unsigned n = 0;
	size_t len, i;
	FILE *f;

	(void)state;
	snprintf(path, sizeof(path), "%s/tests/unit/core/vectors/%s",
	    top ? top : ".", "pwhash_argon2id_ref.txt");
	assert_non_null(f = fopen(path, "r"));
	while (fgets(line, sizeof(line), f) != NULL) {
		if (line[0] == '#' || line[0] == '\n')
			continue;
		assert_int_equal(sscanf(line, "%599s %255s", hex, enc), 2);
		assert_true(strlen(enc) < HK_PWHASH_STR_LEN);
		for (len = 0; 2 * len < strlen(hex); len++) {
			unsigned v;

			assert_int_equal(sscanf(hex + 2 * len, "%2x", &v), 1);
			secret[len] = (uint8_t)v;
		}
		/* The reference implementation's strings verify... */
		assert_int_equal(hk_pwhash_verify(enc, secret, len), 0);
		/* ...and no other secret does. */
		for (i = 0; i < len; i += len / 3 + 1) {
			secret[i] ^= 0x20;
			assert_int_equal(
			    hk_pwhash_verify(enc, secret, len), HK_EAUTH);
			secret[i] ^= 0x20;
		}
		n++;
	}
	fclose(f);
	assert_int_equal(n, 5);
}

static void
test_REG2_reference_implementation_verifies_ours(void **state)
{
	/* The Argon2 reference library, called from Python through ctypes:
	 * argv[1] is our stored string, argv[2] the secret; exit 0 iff
	 * argon2id_verify() accepts. */
	static const char script[] =
	    "import ctypes,sys\n"
	    "l=ctypes.CDLL('libargon2.so.1')\n"
	    "p=sys.argv[2].encode()\n"
	    "sys.exit(0 if l.argon2id_verify(sys.argv[1].encode(),p,"
	    "ctypes.c_size_t(len(p)))==0 else 1)\n";
	struct hk_pwhash_params tp;
	char h[HK_PWHASH_STR_LEN], cmd[1024], py[128];
	char dir[] = "/tmp/hanko-pwhash-XXXXXX";
	FILE *f;

	(void)state;
	hk_pwhash_params_test(&tp);
	assert_int_equal(hk_pwhash_hash(&tp, S("482916"), h), 0);
	if (system("python3 -c \"import ctypes; ctypes.CDLL('libargon2.so.1')\""
	           " 2>/dev/null") != 0)
		fail_msg("the Argon2 reference library libargon2.so.1 (Debian "
		         "libargon2-1) is needed as an independent oracle");
	assert_non_null(mkdtemp(dir));
	snprintf(py, sizeof(py), "%s/ref.py", dir);
	assert_non_null(f = fopen(py, "w"));
	fputs(script, f);
	fclose(f);
	/* The stored string has no quote: '$', '/', '+', '=' and base64. */
	assert_null(strchr(h, '\''));
	snprintf(cmd, sizeof(cmd), "python3 %s '%s' 482916", py, h);
	assert_int_equal(system(cmd), 0);
	snprintf(cmd, sizeof(cmd), "python3 %s '%s' 482917", py, h);
	assert_int_not_equal(system(cmd), 0);
	unlink(py);
	rmdir(dir);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_REG2_round_trip_at_test_cost),
	    cmocka_unit_test(test_REG2_wrong_secret_refused),
	    cmocka_unit_test(test_REG2_default_cost),
	    cmocka_unit_test(test_REG2_needs_rehash_and_bad_params),
	    cmocka_unit_test(test_REG2_malformed_stored_string),
	    cmocka_unit_test(test_REG2_pin_policy),
	    cmocka_unit_test(test_REG2_password_policy),
	    cmocka_unit_test(test_REG2_pin_hash_never_logged),
	    cmocka_unit_test(test_REG2_reference_implementation_kat),
	    cmocka_unit_test(test_REG2_reference_implementation_verifies_ours),
	};

	if (sodium_init() < 0)
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
