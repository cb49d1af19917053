/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Unit tests for ledger/ledger_note (OPS-4, SIG-6): the signed-note
 * example of golang.org/x/mod/sumdb/note (PeterNeumann) as a known answer
 * for key IDs, vkeys, signing and verification, and the verifier rules of
 * C2SP signed-note.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>
#include <sodium.h>

#include "core/codec.h"
#include "ledger/ledger_note.h"

static const char vkey[] =
    "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW";
/* From the Go package's skey "PRIVATE+KEY+PeterNeumann+c74f20a3+<b64>":
 * 0x01 || Ed25519 seed. */
static const char skey_b64[] = "AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz";
static const char text[] =
    "If you think cryptography is the answer to your problem,\n"
    "then you don't know what your problem is.\n";
static const char note[] =
    "If you think cryptography is the answer to your problem,\n"
    "then you don't know what your problem is.\n"
    "\n"
    "\xe2\x80\x94 PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZIn"
    "NIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n";

static uint8_t sk[crypto_sign_SECRETKEYBYTES];

static int
sign_cb(void *arg, const uint8_t *msg, size_t len, uint8_t sig[64])
{
	(void)arg;
	return crypto_sign_detached(sig, NULL, msg, len, sk) == 0 ? 0 :
								     HK_ECRYPTO;
}

static void
signer(struct ledger_note_signer *s)
{
	uint8_t raw[33], pk[32];
	size_t n;

	assert_int_equal(hk_b64_decode(raw, sizeof(raw), skey_b64,
			     strlen(skey_b64), &n), 0);
	assert_int_equal(n, 33);
	crypto_sign_seed_keypair(pk, sk, raw + 1);
	assert_int_equal(ledger_note_signer_init(s, "PeterNeumann", pk, sign_cb,
			     NULL), 0);
}

static void
test_OPS4_note_known_answer(void **state)
{
	struct ledger_note_verifier v;
	struct ledger_note_signer s;
	struct hk_buf b = HK_BUF_INIT;
	size_t blen;

	(void)state;
	assert_int_equal(ledger_note_vkey_parse(vkey, strlen(vkey), &v), 0);
	assert_string_equal(v.name, "PeterNeumann");
	signer(&s);
	assert_memory_equal(s.keyid, v.keyid, 4);
	assert_memory_equal(s.pub, v.pub, 32);
	/* Our vkey text is the same. */
	assert_int_equal(ledger_note_vkey(s.name, s.pub, &b), 0);
	assert_int_equal(b.len, strlen(vkey));
	assert_memory_equal(b.p, vkey, b.len);
	/* Ed25519 is deterministic: our note is byte for byte Go's. */
	hk_buf_reset(&b);
	assert_int_equal(ledger_note_sign(&s, text, strlen(text), &b), 0);
	assert_int_equal(b.len, strlen(note));
	assert_memory_equal(b.p, note, b.len);
	assert_int_equal(ledger_note_open(note, strlen(note), &v, 1, &blen), 0);
	assert_int_equal(blen, strlen(text));
	hk_buf_release(&b);
}

static void
test_OPS4_note_refusals(void **state)
{
	struct ledger_note_verifier v, other;
	struct hk_buf b = HK_BUF_INIT;
	char buf[1024];
	size_t blen;
	uint8_t pk[32], osk[64];

	(void)state;
	assert_int_equal(ledger_note_vkey_parse(vkey, strlen(vkey), &v), 0);
	/* Altered text. */
	snprintf(buf, sizeof(buf), "%s", note);
	buf[3] ^= 1;
	assert_int_equal(ledger_note_open(buf, strlen(buf), &v, 1, &blen),
	    HK_EVERIFY);
	/* Altered signature. */
	snprintf(buf, sizeof(buf), "%s", note);
	buf[strlen(buf) - 10] = buf[strlen(buf) - 10] == 'A' ? 'B' : 'A';
	assert_int_equal(ledger_note_open(buf, strlen(buf), &v, 1, &blen),
	    HK_EVERIFY);
	/* A verifier for another key: nothing known verifies. */
	crypto_sign_keypair(pk, osk);
	assert_int_equal(ledger_note_vkey(v.name, pk, &b), 0);
	assert_int_equal(ledger_note_vkey_parse((const char *)b.p, b.len,
			     &other), 0);
	assert_int_equal(ledger_note_open(note, strlen(note), &other, 1, &blen),
	    HK_EVERIFY);
	/* Unknown signature lines are ignored when a known one verifies. */
	snprintf(buf, sizeof(buf), "%s\xe2\x80\x94 someone.else AAAAAA==\n",
	    note);
	assert_int_equal(ledger_note_open(buf, strlen(buf), &v, 1, &blen), 0);
	/* No signature lines, no blank line, no final newline. */
	assert_int_equal(ledger_note_open(text, strlen(text), &v, 1, &blen),
	    HK_EINVAL);
	snprintf(buf, sizeof(buf), "%.*s", (int)strlen(note) - 1, note);
	assert_int_equal(ledger_note_open(buf, strlen(buf), &v, 1, &blen),
	    HK_EINVAL);
	/* A control character in the text. */
	snprintf(buf, sizeof(buf), "%s", note);
	buf[5] = '\t';
	assert_int_equal(ledger_note_open(buf, strlen(buf), &v, 1, &blen),
	    HK_EINVAL);
	/* vkeys: wrong key ID, wrong type, bad name, bad base64. */
	assert_int_equal(ledger_note_vkey_parse("PeterNeumann+c74f20a4+ARpc2Qc"
						"UPDhMQegwxbzhKqiBfsVkmqq/LDE4i"
						"zWy10TW", 64, &other), HK_EINVAL);
	assert_int_equal(ledger_note_vkey_parse("PeterNeumann+c74f20a3+Apc2Qc"
						"UPDhMQegwxbzhKqiBfsVkmqq/LDE4i"
						"zWy10TW", 63, &other), HK_EINVAL);
	assert_int_equal(ledger_note_vkey_parse("Peter Neumann+c74f20a3+ARpc2"
						"QcUPDhMQegwxbzhKqiBfsVkmqq/LDE"
						"4izWy10TW", 65, &other), HK_EINVAL);
	assert_int_equal(ledger_note_vkey_parse("PeterNeumann+c74f20a3+!!", 24,
			     &other), HK_EINVAL);
	hk_buf_release(&b);
}

static void
test_OPS4_checkpoint_body(void **state)
{
	struct ledger_checkpoint cp;
	struct hk_buf b = HK_BUF_INIT;
	uint8_t root[32];
	const char *s;

	(void)state;
	memset(root, 0x5a, sizeof(root));
	assert_int_equal(ledger_note_checkpoint_body("example.com/log", 257,
			     root, &b), 0);
	assert_non_null(s = hk_buf_cstr(&b));
	assert_string_equal(s, "example.com/log\n257\n"
			       "WlpaWlpaWlpaWlpaWlpaWlpaWlpaWlpaWlpaWlpaWlo=\n");
	assert_int_equal(ledger_note_checkpoint_parse(s, b.len, &cp), 0);
	assert_string_equal(cp.origin, "example.com/log");
	assert_true(cp.size == 257);
	assert_memory_equal(cp.root, root, 32);
#define BAD(t) assert_int_equal(ledger_note_checkpoint_parse(t, strlen(t), \
					 &cp), HK_EINVAL)
	BAD("example.com/log\n0257\n"
	    "WlpaWlpaWlpaWlpaWlpaWlpaWlpaWlpaWlpaWlpaWlo=\n");
	BAD("example.com/log\n257\n"
	    "WlpaWlpaWlpaWlpaWlpaWlpaWlpaWlpaWlpaWlpaWlo=\nextension\n");
	BAD("example.com/log\n257\nWlpa\n");
	BAD("example.com/log\n-1\n"
	    "WlpaWlpaWlpaWlpaWlpaWlpaWlpaWlpaWlpaWlpaWlo=\n");
	BAD("example.com/log\n99999999999999999999\n"
	    "WlpaWlpaWlpaWlpaWlpaWlpaWlpaWlpaWlpaWlpaWlo=\n");
	BAD("example com\n1\nWlpaWlpaWlpaWlpaWlpaWlpaWlpaWlpaWlpaWlpaWlo=\n");
	BAD("example.com/log\n1\n"
	    "WlpaWlpaWlpaWlpaWlpaWlpaWlpaWlpaWlpaWlpaWlo=");
#undef BAD
	hk_buf_release(&b);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_OPS4_note_known_answer),
		cmocka_unit_test(test_OPS4_note_refusals),
		cmocka_unit_test(test_OPS4_checkpoint_body),
	};

	if (sodium_init() < 0)
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
