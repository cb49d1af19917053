/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Unit tests for core/pki (NET-2): the operator CA, the localhost server
 * certificate and client certificates verify as OpenSSL's own chain and
 * purpose checks expect, another CA's certificates do not, and files are
 * written 0600 without overwriting.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <cmocka.h>
#include <openssl/sha.h>
#include <openssl/x509v3.h>

#include "core/pki.h"

static int
chain_ok(X509 *ca, X509 *leaf, int purpose)
{
	X509_STORE *st = X509_STORE_new();
	X509_STORE_CTX *ctx = X509_STORE_CTX_new();
	int ok;

	X509_STORE_add_cert(st, ca);
	X509_STORE_CTX_init(ctx, st, leaf, NULL);
	X509_STORE_CTX_set_purpose(ctx, purpose);
	ok = X509_verify_cert(ctx);
	X509_STORE_CTX_free(ctx);
	X509_STORE_free(st);
	return ok == 1;
}

static void
test_NET2_operator_pki_verifies(void **state)
{
	struct hk_pki_cert ca = {0}, other = {0}, srv = {0}, cli = {0},
			   stray = {0};
	uint8_t fp[32], want[32];
	unsigned char *der = NULL;
	int n;

	(void)state;
	assert_int_equal(hk_pki_issue(NULL, "Hanko operator CA", HK_PKI_CA, 3650,
			     &ca), 0);
	assert_int_equal(hk_pki_issue(&ca, "localhost", HK_PKI_SERVER, 825,
			     &srv), 0);
	assert_int_equal(hk_pki_issue(&ca, "admin", HK_PKI_CLIENT, 365, &cli),
	    0);
	assert_int_equal(hk_pki_issue(NULL, "Other CA", HK_PKI_CA, 30, &other),
	    0);
	assert_int_equal(hk_pki_issue(&other, "intruder", HK_PKI_CLIENT, 30,
			     &stray), 0);
	assert_true(X509_check_ca(ca.cert) >= 1);
	assert_true(chain_ok(ca.cert, srv.cert, X509_PURPOSE_SSL_SERVER));
	assert_true(chain_ok(ca.cert, cli.cert, X509_PURPOSE_SSL_CLIENT));
	/* Purposes are not interchangeable. */
	assert_false(chain_ok(ca.cert, cli.cert, X509_PURPOSE_SSL_SERVER));
	assert_false(chain_ok(ca.cert, srv.cert, X509_PURPOSE_SSL_CLIENT));
	/* Another CA's client does not chain to ours. */
	assert_false(chain_ok(ca.cert, stray.cert, X509_PURPOSE_SSL_CLIENT));
	assert_int_equal(X509_check_host(srv.cert, "localhost", 0, 0, NULL), 1);
	assert_int_equal(X509_check_ip_asc(srv.cert, "127.0.0.1", 0), 1);
	assert_int_equal(X509_check_host(srv.cert, "example.com", 0, 0, NULL),
	    0);
	/* Fingerprint = SHA-256 of the DER. */
	assert_int_equal(hk_pki_fingerprint(cli.cert, fp), 0);
	assert_true((n = i2d_X509(cli.cert, &der)) > 0);
	SHA256(der, (size_t)n, want);
	assert_memory_equal(fp, want, 32);
	OPENSSL_free(der);
	assert_int_equal(hk_pki_issue(NULL, "x", HK_PKI_CLIENT, 1, &stray),
	    HK_EINVAL);
	hk_pki_cert_release(&ca);
	hk_pki_cert_release(&srv);
	hk_pki_cert_release(&cli);
	hk_pki_cert_release(&other);
	hk_pki_cert_release(&stray);
}

static void
test_NET2_files_are_0600_and_never_overwritten(void **state)
{
	struct hk_pki_cert ca = {0};
	char dir[64], crt[128], key[128], cmd[512];
	struct stat st;

	(void)state;
	snprintf(dir, sizeof(dir), "/tmp/hanko-pki-XXXXXX");
	assert_non_null(mkdtemp(dir));
	snprintf(crt, sizeof(crt), "%s/ca.crt", dir);
	snprintf(key, sizeof(key), "%s/ca.key", dir);
	assert_int_equal(hk_pki_issue(NULL, "CA", HK_PKI_CA, 10, &ca), 0);
	assert_int_equal(hk_pki_write(&ca, crt, key), 0);
	assert_int_equal(stat(key, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	assert_int_equal(stat(crt, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	assert_int_equal(hk_pki_write(&ca, crt, key), HK_EEXIST);
	/* openssl reads what was written. */
	snprintf(cmd, sizeof(cmd), "openssl x509 -in %s -noout -subject "
				   ">/dev/null && openssl pkey -in %s -noout",
	    crt, key);
	assert_int_equal(system(cmd), 0);
	hk_pki_cert_release(&ca);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	assert_int_equal(system(cmd), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_NET2_operator_pki_verifies),
		cmocka_unit_test(test_NET2_files_are_0600_and_never_overwritten),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
