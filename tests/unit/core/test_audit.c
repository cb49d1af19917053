/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Unit tests for core/audit and core/audit_export (SIG-6, OPS-4, OPS-6):
 * signature values of every supported scheme verify with OpenSSL keys
 * made here and fail when altered or under a mismatched algorithm; the
 * manifest's canonical form and digest catch any change; every forged
 * bundle of tests/unit/audit_forge.h is refused with its message and the
 * unbroken one passes; an export of a real ledger verifies and a byte
 * changed in any of its files is found; export refuses what it must and
 * leaves nothing behind.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <openssl/rsa.h>
#include <sodium.h>

#include "tests/unit/audit_forge.h"
#include "tests/unit/testutil.h"

static char tmp[64];

static EVP_PKEY *
gen(const char *kind)
{
	if (strcmp(kind, "ec") == 0)
		return EVP_EC_gen("P-256");
	if (strcmp(kind, "rsa") == 0)
		return EVP_RSA_gen(2048);
	return EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
}

static size_t
spki_of(EVP_PKEY *pk, uint8_t *out)
{
	unsigned char *p = NULL;
	int n = i2d_PUBKEY(pk, &p);

	assert_true(n > 0 && n < 1024);
	memcpy(out, p, (size_t)n);
	OPENSSL_free(p);
	return (size_t)n;
}

/* pad: 0 none (EC), 1 PKCS#1 v1.5, 2 PSS with ${salt}, 3 Ed25519. */
static size_t
sign(EVP_PKEY *pk, int pad, int salt, const uint8_t *hash, uint8_t *sig)
{
	EVP_PKEY_CTX *c = NULL;
	EVP_MD_CTX *m = NULL;
	size_t n = 512;

	if (pad == 3) {
		assert_non_null(m = EVP_MD_CTX_new());
		assert_int_equal(EVP_DigestSignInit(m, NULL, NULL, NULL, pk), 1);
		assert_int_equal(EVP_DigestSign(m, sig, &n, hash, 32), 1);
		EVP_MD_CTX_free(m);
		return n;
	}
	assert_non_null(c = EVP_PKEY_CTX_new(pk, NULL));
	assert_int_equal(EVP_PKEY_sign_init(c), 1);
	if (pad == 1) {
		assert_int_equal(EVP_PKEY_CTX_set_rsa_padding(c,
				     RSA_PKCS1_PADDING), 1);
		assert_int_equal(EVP_PKEY_CTX_set_signature_md(c, EVP_sha256()),
		    1);
	} else if (pad == 2) {
		assert_int_equal(EVP_PKEY_CTX_set_rsa_padding(c,
				     RSA_PKCS1_PSS_PADDING), 1);
		assert_int_equal(EVP_PKEY_CTX_set_signature_md(c, EVP_sha256()),
		    1);
		assert_int_equal(EVP_PKEY_CTX_set_rsa_pss_saltlen(c, salt), 1);
	}
	assert_int_equal(EVP_PKEY_sign(c, sig, &n, hash, 32), 1);
	EVP_PKEY_CTX_free(c);
	return n;
}

#define SHA256 "2.16.840.1.101.3.4.2.1"
#define SHA384 "2.16.840.1.101.3.4.2.2"

static void
test_SIG6_signature_schemes(void **state)
{
	static const struct {
		const char *kind, *alg;
		int pad, salt;
	} t[] = {
		{"ec", "1.2.840.10045.4.3.2", 0, 0},
		{"ec", "1.2.840.10045.2.1", 0, 0},
		{"rsa", "1.2.840.113549.1.1.11", 1, 0},
		{"rsa", "1.2.840.113549.1.1.1", 1, 0},
		{"rsa", "1.2.840.113549.1.1.10", 2, 32},
		{"ed", "1.3.101.112", 3, 0},
	};
	uint8_t spki[1024], sig[512], hash[32];
	const char *why;
	size_t i, n, sl;
	EVP_PKEY *pk;

	(void)state;
	memset(hash, 0x42, sizeof(hash));
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		assert_non_null(pk = gen(t[i].kind));
		n = spki_of(pk, spki);
		sl = sign(pk, t[i].pad, t[i].salt, hash, sig);
		assert_int_equal(hk_audit_sig_verify(spki, n, t[i].alg, SHA256,
				     hash, 32, sig, sl, &why), 0);
		sig[sl / 2] ^= 1;
		assert_int_equal(hk_audit_sig_verify(spki, n, t[i].alg, SHA256,
				     hash, 32, sig, sl, &why), HK_EVERIFY);
		assert_non_null(strstr(why, "does not verify"));
		sig[sl / 2] ^= 1;
		hash[0] ^= 1;
		assert_int_equal(hk_audit_sig_verify(spki, n, t[i].alg, SHA256,
				     hash, 32, sig, sl, &why), HK_EVERIFY);
		hash[0] ^= 1;
		/* A hash of the wrong length for its algorithm. */
		assert_int_equal(hk_audit_sig_verify(spki, n, t[i].alg, SHA384,
				     hash, 32, sig, sl, &why), HK_EVERIFY);
		EVP_PKEY_free(pk);
	}
	/* PSS with another salt length than the hash length is refused. */
	assert_non_null(pk = gen("rsa"));
	n = spki_of(pk, spki);
	sl = sign(pk, 2, 20, hash, sig);
	assert_int_equal(hk_audit_sig_verify(spki, n, "1.2.840.113549.1.1.10",
			     SHA256, hash, 32, sig, sl, &why), HK_EVERIFY);
	/* An ECDSA signAlgo does not fit an RSA key; sha384WithRSA does not
	 * fit a SHA-256 hash; unknown OIDs are refused. */
	sl = sign(pk, 1, 0, hash, sig);
	assert_int_equal(hk_audit_sig_verify(spki, n, "1.2.840.10045.4.3.2",
			     SHA256, hash, 32, sig, sl, &why), HK_EVERIFY);
	assert_non_null(strstr(why, "does not fit the key"));
	assert_int_equal(hk_audit_sig_verify(spki, n, "1.2.840.113549.1.1.12",
			     SHA256, hash, 32, sig, sl, &why), HK_EVERIFY);
	assert_non_null(strstr(why, "names another hash"));
	assert_int_equal(hk_audit_sig_verify(spki, n, "1.2.3", SHA256, hash, 32,
			     sig, sl, &why), HK_EVERIFY);
	assert_int_equal(hk_audit_sig_verify(spki, n - 1,
			     "1.2.840.113549.1.1.11", SHA256, hash, 32, sig, sl,
			     &why), HK_EVERIFY);
	EVP_PKEY_free(pk);
}

static void
test_OPS6_manifest_canonical_and_digest(void **state)
{
	struct hk_buf b = HK_BUF_INIT;
	json_t *m, *back;
	const char *why;
	size_t i;

	(void)state;
	assert_non_null(m = json_pack("{s:s,s:I,s:{}}", "format",
			    HK_AUDIT_FORMAT, "tree_size", (json_int_t)7, "files"));
	assert_int_equal(hk_audit_manifest_seal(m, &b), 0);
	assert_int_equal(hk_audit_manifest_open((const char *)b.p, b.len, &back,
			     &why), 0);
	json_decref(back);
	for (i = 0; i < b.len; i++) {
		b.p[i] ^= 1;
		assert_int_equal(hk_audit_manifest_open((const char *)b.p, b.len,
				     &back, &why), HK_EVERIFY);
		b.p[i] ^= 1;
	}
	json_decref(m);
	hk_buf_release(&b);
}

static void
test_SIG6_every_rule_refused(void **state)
{
	struct hk_cpkey *k = NULL, *o = NULL;
	struct ledger_note_verifier v;
	struct hk_audit_report rep;
	char kp[300], op[300], dir[320], line[700];
	size_t i;
	int r;

	(void)state;
	snprintf(kp, sizeof(kp), "%s/k", tmp);
	snprintf(op, sizeof(op), "%s/o", tmp);
	assert_int_equal(hk_cpkey_generate(kp, FORGE_ORIGIN, &k), 0);
	assert_int_equal(hk_cpkey_generate(op, FORGE_ORIGIN, &o), 0);
	memset(&v, 0, sizeof(v));
	snprintf(v.name, sizeof(v.name), "%s", FORGE_ORIGIN);
	memcpy(v.pub, hk_cpkey_signer(k)->pub, 32);
	memcpy(v.keyid, hk_cpkey_signer(k)->keyid, 4);
	for (i = 0; i < FORGE_NSCENARIOS; i++) {
		snprintf(dir, sizeof(dir), "%s/%s", tmp, forge_scenarios[i].name);
		assert_int_equal(forge_bundle(forge_scenarios[i].name, dir, k, o),
		    0);
		r = hk_audit_bundle_verify(dir, &v, &rep);
		if (forge_scenarios[i].expect == NULL) {
			assert_int_equal(r, 0);
			assert_int_equal(rep.signatures, 5);
			assert_int_equal(rep.certificates, 2);
			assert_int_equal(rep.events, rep.size);
			continue;
		}
		/* As `hanko audit verify` prints it. */
		if (rep.has_seq)
			snprintf(line, sizeof(line), "at seq %llu: %s",
			    (unsigned long long)rep.seq, rep.msg);
		else
			snprintf(line, sizeof(line), "%s", rep.msg);
		if (r != HK_EVERIFY ||
		    strstr(line, forge_scenarios[i].expect) == NULL)
			fail_msg("%s: got %d \"%s\" (seq %d/%llu)",
			    forge_scenarios[i].name, r, rep.msg, rep.has_seq,
			    (unsigned long long)rep.seq);
	}
	hk_cpkey_free(k);
	hk_cpkey_free(o);
}

static void
test_OPS6_export_roundtrip_and_flips(void **state)
{
	struct fixture f;
	struct hk_audit_export_opts o;
	struct hk_audit_export_report er;
	struct hk_audit_report rep;
	struct ledger_note_verifier v;
	struct hk_buf body = HK_BUF_INIT;
	struct hk_event ev;
	char out[400], msg[256], path[500];
	static const char *const files[] = {"checkpoint", "vkey",
	    "events.jsonl", "manifest.json", "tile/0/000", "tile/0/001.p/45",
	    "tile/1/000.p/1", "tile/entries/000", "tile/entries/001.p/45"};
	size_t i;
	int k;

	(void)state;
	assert_int_equal(fixture_new_in(&f, tmp, "example.test/hanko/u"), 0);
	for (k = 0; k < 300; k++) {
		assert_int_equal(event_build(&ev, &body, HK_EV_CONFIG_APPLIED, "",
				     "", (uint64_t)k, 10), 0);
		assert_int_equal(ledger_append_wait(f.l, &ev, NULL), 0);
	}
	memset(&o, 0, sizeof(o));
	snprintf(out, sizeof(out), "%s/export", f.dir);
	o.out = out;
	assert_int_equal(hk_audit_export(f.l, &o, &er, msg, sizeof(msg)), 0);
	assert_int_equal(er.size, 301);
	assert_int_equal(er.events, 301);
	assert_int_equal(hk_audit_export(f.l, &o, &er, msg, sizeof(msg)),
	    HK_EEXIST);
	assert_int_equal(ledger_note_vkey_parse(ledger_vkey(f.l),
			     strlen(ledger_vkey(f.l)), &v), 0);
	assert_int_equal(hk_audit_bundle_verify(out, &v, &rep), 0);
	assert_int_equal(rep.events, 301);
	for (i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		for (k = 0; k < 3; k++) {
			long off = k == 0 ? 0 : k == 1 ? 7 : 31;

			assert_int_equal(forge_flip(out, files[i], off), 0);
			assert_int_equal(hk_audit_bundle_verify(out, &v, &rep),
			    HK_EVERIFY);
			assert_int_equal(forge_flip(out, files[i], off), 0);
		}
	}
	assert_int_equal(hk_audit_bundle_verify(out, &v, &rep), 0);
	/* Refusals leave nothing behind. */
	snprintf(out, sizeof(out), "%s/export2", f.dir);
	o.to = 1000; /* every size up to 301 has one: one commit each */
	assert_int_equal(hk_audit_export(f.l, &o, &er, msg, sizeof(msg)),
	    HK_ENOTFOUND);
	o.to = 0;
	o.from = 301;
	assert_int_equal(hk_audit_export(f.l, &o, &er, msg, sizeof(msg)),
	    HK_ERANGE);
	snprintf(path, sizeof(path), "%s/export2", f.dir);
	assert_int_not_equal(access(path, F_OK), 0);
	/* A partial export verifies, its replay marked partial. */
	o.from = 260;
	assert_int_equal(hk_audit_export(f.l, &o, &er, msg, sizeof(msg)), 0);
	assert_int_equal(er.from, 256);
	assert_int_equal(hk_audit_bundle_verify(out, &v, &rep), 0);
	assert_int_equal(rep.from, 256);
	assert_int_equal(rep.events, 45);
	hk_buf_release(&body);
	fixture_free(&f);
}

static int
setup(void **state)
{
	(void)state;
	if (sodium_init() < 0)
		return -1;
	snprintf(tmp, sizeof(tmp), "/tmp/hanko-audit-unit-XXXXXX");
	return mkdtemp(tmp) == NULL ? -1 : 0;
}

static int
teardown(void **state)
{
	(void)state;
	return fixture_rm(tmp) == 0 ? 0 : -1;
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_SIG6_signature_schemes),
		cmocka_unit_test(test_OPS6_manifest_canonical_and_digest),
		cmocka_unit_test(test_SIG6_every_rule_refused),
		cmocka_unit_test(test_OPS6_export_roundtrip_and_flips),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
