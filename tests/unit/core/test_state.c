/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Unit tests for core/state, the signer-state fold (REG-2..6, END-1,
 * END-3, ACT-9, OPS-1, OPS-2, SIG-2 preconditions): every transition
 * rule, illegal ones refused when deciding and flagged when replaying,
 * privileged users and approvals, renewal, erasure, and the state after
 * live apply equal (by digest) to the state after a cold replay.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>

#include <cmocka.h>
#include <sodium.h>

#include "core/log.h"
#include "core/mpk.h"
#include "core/state.h"
#include "tests/unit/testutil.h"

static struct hk_buf body;
static uint64_t seqno = 1;

/* step(st, type, s, c, legal): check, then apply when legal. */
static void
step_ev(struct hk_state *st, struct hk_event *ev, int legal)
{
	const char *why = NULL;
	int r;

	ev->seq = seqno++;
	r = hk_state_check(st, ev, &why);
	if (legal) {
		if (r != 0)
			fail_msg("%s %.*s/%.*s refused: %s",
			    hk_event_type_name(ev->type), (int)ev->signer.n,
			    ev->signer.p, (int)ev->credential.n,
			    ev->credential.p, why);
		assert_int_equal(hk_state_apply(st, ev, &why), 0);
	} else {
		if (r != HK_ESTATE)
			fail_msg("%s %.*s/%.*s allowed",
			    hk_event_type_name(ev->type), (int)ev->signer.n,
			    ev->signer.p, (int)ev->credential.n,
			    ev->credential.p);
		assert_non_null(why);
	}
}

static void
step(struct hk_state *st, uint64_t type, const char *s, const char *c,
    int legal)
{
	struct hk_event ev;

	assert_int_equal(lifecycle_event(&ev, &body, type, s, c), 0);
	step_ev(st, &ev, legal);
}

static void
expect_state(struct hk_state *st, const char *c, enum hk_cred_state s,
    int locked)
{
	struct hk_cred_info info;

	assert_int_equal(hk_state_cred(st, c, strlen(c), &info), 0);
	assert_int_equal(info.state, s);
	assert_int_equal(info.locked, locked);
}

static void
test_END1_lifecycle_transitions(void **state)
{
	struct hk_state *st = hk_state_new();
	struct hk_cred_info ci;

	(void)state;
	step(st, HK_EV_CREDENTIAL_CREATED, "alice", "c1", 0); /* no signer */
	step(st, HK_EV_SIGNER_REGISTERED, "alice", "", 1);
	step(st, HK_EV_SIGNER_REGISTERED, "alice", "", 0); /* twice */
	step(st, HK_EV_SIGNER_REGISTERED, "", "", 0);      /* no id */
	step(st, HK_EV_KEY_GENERATED, "alice", "c1", 0);   /* no credential */
	step(st, HK_EV_CREDENTIAL_CREATED, "alice", "c1", 1);
	expect_state(st, "c1", HK_CRED_CREATED, 0);
	step(st, HK_EV_CREDENTIAL_CREATED, "alice", "c1", 0);
	step(st, HK_EV_CERT_BOUND, "alice", "c1", 0);      /* no key */
	step(st, HK_EV_KEY_GENERATED, "alice", "c1", 1);   /* REG-3 */
	step(st, HK_EV_KEY_GENERATED, "alice", "c1", 0);   /* second key */
	assert_int_equal(hk_state_cred(st, "c1", 2, &ci), 0);
	assert_true(ci.key.present && ci.key.spki_len == 20);
	step(st, HK_EV_CSR_CONFIRMED, "alice", "c1", 0);   /* no CSR */
	step(st, HK_EV_CSR_ISSUED, "alice", "c1", 1);
	step(st, HK_EV_CSR_CONFIRMED, "alice", "c1", 0);   /* not enrolled */
	step(st, HK_EV_CREDENTIAL_ENROLLED, "alice", "c1", 1);
	step(st, HK_EV_CREDENTIAL_ENROLLED, "alice", "c1", 0); /* REG-2 once */
	step(st, HK_EV_CSR_CONFIRMED, "alice", "c1", 1);   /* REG-5 */
	step(st, HK_EV_AUTH_GRANTED, "alice", "c1", 0);    /* no certificate */
	step(st, HK_EV_SUSPENDED, "alice", "c1", 0);
	step(st, HK_EV_CERT_BOUND, "alice", "c1", 1);      /* REG-6 */
	expect_state(st, "c1", HK_CRED_ACTIVE, 0);
	step(st, HK_EV_CERT_BOUND, "alice", "c1", 0);
	step(st, HK_EV_AUTH_GRANTED, "alice", "c1", 1);
	step(st, HK_EV_SIGNATURE_CREATED, "alice", "c1", 1);
	step(st, HK_EV_RESUMED, "alice", "c1", 0);         /* not suspended */
	step(st, HK_EV_SUSPENDED, "alice", "c1", 1);       /* END-1 */
	expect_state(st, "c1", HK_CRED_SUSPENDED, 0);
	step(st, HK_EV_SIGNATURE_CREATED, "alice", "c1", 0); /* SIG-2 */
	step(st, HK_EV_AUTH_GRANTED, "alice", "c1", 0);
	step(st, HK_EV_RESUMED, "alice", "c1", 1);
	step(st, HK_EV_CREDENTIAL_LOCKED, "alice", "c1", 1); /* ACT-9 */
	expect_state(st, "c1", HK_CRED_ACTIVE, 1);
	step(st, HK_EV_CREDENTIAL_LOCKED, "alice", "c1", 0);
	step(st, HK_EV_SIGNATURE_CREATED, "alice", "c1", 0);
	step(st, HK_EV_CREDENTIAL_UNLOCKED, "alice", "c1", 1);
	step(st, HK_EV_CREDENTIAL_UNLOCKED, "alice", "c1", 0);
	step(st, HK_EV_SIGNATURE_CREATED, "alice", "c1", 1);
	/* Another signer cannot touch alice's credential. */
	step(st, HK_EV_SIGNER_REGISTERED, "mallory", "", 1);
	step(st, HK_EV_SUSPENDED, "mallory", "c1", 0);
	step(st, HK_EV_KEY_DESTROYED, "mallory", "c1", 0);
	/* Erasure needs every credential destroyed. */
	step(st, HK_EV_SIGNER_ERASED, "alice", "", 0);
	step(st, HK_EV_KEY_DESTROYED, "alice", "c1", 1);   /* END-3 */
	expect_state(st, "c1", HK_CRED_DESTROYED, 0);
	step(st, HK_EV_SIGNATURE_CREATED, "alice", "c1", 0);
	step(st, HK_EV_RESUMED, "alice", "c1", 0);
	step(st, HK_EV_KEY_DESTROYED, "alice", "c1", 0);
	step(st, HK_EV_KEY_GENERATED, "alice", "c1", 0);   /* no resurrection */
	step(st, HK_EV_SIGNER_ERASED, "alice", "", 1);     /* REG-1 */
	step(st, HK_EV_SIGNER_ERASED, "alice", "", 0);
	step(st, HK_EV_CREDENTIAL_CREATED, "alice", "c2", 0); /* erased */
	step(st, HK_EV_SIGNER_UPDATED, "alice", "", 0);
	/* System events touch no signer. */
	step(st, HK_EV_APPLIANCE_STARTED, "", "", 1);
	assert_true(hk_state_flagged(st, NULL, NULL) == 0);
	hk_state_free(st);
}

/* Renewal: a new key while active, the old key destroyed after the new
 * certificate is bound (END-3), the credential stays usable. */
static void
test_END3_renewal(void **state)
{
	struct hk_state *st = hk_state_new();
	struct hk_cred_info ci;
	struct hk_mpk_writer w;
	struct hk_event ev;
	uint8_t newid[16], fp[32], oldid[16];

	(void)state;
	step(st, HK_EV_SIGNER_REGISTERED, "bob", "", 1);
	step(st, HK_EV_CREDENTIAL_CREATED, "bob", "r1", 1);
	step(st, HK_EV_KEY_GENERATED, "bob", "r1", 1);
	step(st, HK_EV_CERT_BOUND, "bob", "r1", 1);
	assert_int_equal(hk_state_cred(st, "r1", 2, &ci), 0);
	memcpy(oldid, ci.key.id, 16);
	memset(newid, 0x77, 16);
	memset(fp, 0x66, 32);
	/* key.generated with renewal = true and another key id. */
	assert_int_equal(lifecycle_event(&ev, &body, HK_EV_KEY_GENERATED, "bob",
			     "r1"), 0);
	hk_buf_reset(&body);
	hk_mpk_writer_init(&w, &body);
	hk_mpk_put_map(&w, 5);
	hk_mpk_put_uint(&w, HK_BODY_KEY_ALGORITHM);
	hk_mpk_put_cstr(&w, "p256");
	hk_mpk_put_uint(&w, HK_BODY_KEY_ID);
	hk_mpk_put_bin(&w, newid, 16);
	hk_mpk_put_uint(&w, HK_BODY_KEY_FINGERPRINT);
	hk_mpk_put_bin(&w, fp, 32);
	hk_mpk_put_uint(&w, HK_BODY_KEY_SPKI);
	hk_mpk_put_bin(&w, fp, 10);
	hk_mpk_put_uint(&w, HK_BODY_KEY_RENEWAL);
	hk_mpk_put_bool(&w, true);
	assert_int_equal(hk_mpk_writer_status(&w), 0);
	ev.body = (struct hk_bytes){body.p, body.len};
	step_ev(st, &ev, 1);
	step_ev(st, &ev, 0); /* one renewal at a time */
	expect_state(st, "r1", HK_CRED_ACTIVE, 0);
	/* The new certificate names the new key. */
	assert_int_equal(lifecycle_event(&ev, &body, HK_EV_CERT_BOUND, "bob",
			     "r1"), 0);
	hk_buf_reset(&body);
	hk_mpk_writer_init(&w, &body);
	hk_mpk_put_map(&w, 4);
	hk_mpk_put_uint(&w, HK_BODY_CERT_FINGERPRINT);
	hk_mpk_put_bin(&w, fp, 32);
	hk_mpk_put_uint(&w, HK_BODY_CERT_NOT_BEFORE);
	hk_mpk_put_uint(&w, 1);
	hk_mpk_put_uint(&w, HK_BODY_CERT_NOT_AFTER);
	hk_mpk_put_uint(&w, 2);
	hk_mpk_put_uint(&w, HK_BODY_CERT_KEY_ID);
	hk_mpk_put_bin(&w, newid, 16);
	assert_int_equal(hk_mpk_writer_status(&w), 0);
	ev.body = (struct hk_bytes){body.p, body.len};
	step_ev(st, &ev, 1);
	assert_int_equal(hk_state_cred(st, "r1", 2, &ci), 0);
	assert_memory_equal(ci.key.id, newid, 16);
	assert_false(ci.pending.present);
	/* Destroying the retired key keeps the credential. */
	assert_int_equal(lifecycle_event(&ev, &body, HK_EV_KEY_DESTROYED, "bob",
			     "r1"), 0);
	hk_buf_reset(&body);
	hk_mpk_writer_init(&w, &body);
	hk_mpk_put_map(&w, 2);
	hk_mpk_put_uint(&w, HK_BODY_DESTROY_REASON);
	hk_mpk_put_cstr(&w, "renewal");
	hk_mpk_put_uint(&w, HK_BODY_DESTROY_KEY_ID);
	hk_mpk_put_bin(&w, oldid, 16);
	assert_int_equal(hk_mpk_writer_status(&w), 0);
	ev.body = (struct hk_bytes){body.p, body.len};
	step_ev(st, &ev, 1);
	expect_state(st, "r1", HK_CRED_ACTIVE, 0);
	hk_state_free(st);
}

static void
puser_event(struct hk_event *ev, uint64_t type, uint8_t fpb, const char *role,
    int active)
{
	struct hk_mpk_writer w;
	uint8_t fp[32];

	memset(fp, fpb, 32);
	hk_buf_reset(&body);
	hk_mpk_writer_init(&w, &body);
	hk_mpk_put_map(&w, active >= 0 ? 4 : 3);
	hk_mpk_put_uint(&w, HK_BODY_PU_FINGERPRINT);
	hk_mpk_put_bin(&w, fp, 32);
	hk_mpk_put_uint(&w, HK_BODY_PU_SUBJECT);
	hk_mpk_put_cstr(&w, "CN=x");
	hk_mpk_put_uint(&w, HK_BODY_PU_ROLE);
	hk_mpk_put_cstr(&w, role);
	if (active >= 0) {
		hk_mpk_put_uint(&w, HK_BODY_PU_ACTIVE);
		hk_mpk_put_bool(&w, active != 0);
	}
	assert_int_equal(hk_mpk_writer_status(&w), 0);
	memset(ev, 0, sizeof(*ev));
	ev->type = type;
	ev->body = (struct hk_bytes){body.p, body.len};
}

static void
approval_event(struct hk_event *ev, uint64_t type, const char *id,
    uint8_t requester)
{
	static char hex[65];
	struct hk_mpk_writer w;
	uint8_t fp[32];

	memset(fp, requester, 32);
	hk_hex_encode(hex, fp, 32);
	hk_buf_reset(&body);
	hk_mpk_writer_init(&w, &body);
	if (type == HK_EV_APPROVAL_REQUESTED) {
		hk_mpk_put_map(&w, 4);
		hk_mpk_put_uint(&w, HK_BODY_AP_ID);
		hk_mpk_put_cstr(&w, id);
		hk_mpk_put_uint(&w, HK_BODY_AP_OPERATION);
		hk_mpk_put_cstr(&w, "user.add");
		hk_mpk_put_uint(&w, HK_BODY_AP_TARGET);
		hk_mpk_put_cstr(&w, "someone");
		hk_mpk_put_uint(&w, HK_BODY_AP_EXPIRES);
		hk_mpk_put_uint(&w, 99);
	} else {
		hk_mpk_put_map(&w, 1);
		hk_mpk_put_uint(&w, HK_BODY_AP_ID);
		hk_mpk_put_cstr(&w, id);
	}
	assert_int_equal(hk_mpk_writer_status(&w), 0);
	memset(ev, 0, sizeof(*ev));
	ev->type = type;
	ev->actor_kind = HK_ACTOR_PRIVILEGED;
	ev->actor_id = (struct hk_bytes){(const uint8_t *)hex, 64};
	ev->body = (struct hk_bytes){body.p, body.len};
}

static void
test_OPS2_privileged_users_and_approvals(void **state)
{
	struct hk_state *st = hk_state_new();
	struct hk_puser_info u;
	struct hk_approval_info a;
	struct hk_event ev;
	uint8_t fp[32];

	(void)state;
	puser_event(&ev, HK_EV_PRIV_USER_ADDED, 1, "administrator", -1);
	step_ev(st, &ev, 1);
	step_ev(st, &ev, 0); /* already active */
	puser_event(&ev, HK_EV_PRIV_USER_ADDED, 2, "wizard", -1);
	step_ev(st, &ev, 0); /* no such role */
	puser_event(&ev, HK_EV_PRIV_USER_CHANGED, 3, "auditor", 0);
	step_ev(st, &ev, 0); /* unknown user */
	puser_event(&ev, HK_EV_PRIV_USER_CHANGED, 1, "administrator", 0);
	step_ev(st, &ev, 1); /* removed */
	memset(fp, 1, 32);
	assert_int_equal(hk_state_puser(st, fp, &u), 0);
	assert_false(u.active);
	puser_event(&ev, HK_EV_PRIV_USER_ADDED, 1, "auditor", -1);
	step_ev(st, &ev, 1); /* re-added with another role */
	assert_int_equal(hk_state_puser(st, fp, &u), 0);
	assert_true(u.active);
	assert_string_equal(u.role, "auditor");
	approval_event(&ev, HK_EV_APPROVAL_GRANTED, "a-1", 1);
	step_ev(st, &ev, 0); /* no such approval */
	approval_event(&ev, HK_EV_APPROVAL_REQUESTED, "a-1", 1);
	step_ev(st, &ev, 1);
	step_ev(st, &ev, 0); /* id reused */
	assert_int_equal(hk_state_approval(st, "a-1", 3, &a), 0);
	assert_int_equal(a.status, HK_APPROVAL_PENDING);
	assert_memory_equal(a.requester, fp, 32);
	approval_event(&ev, HK_EV_APPROVAL_GRANTED, "a-1", 2);
	step_ev(st, &ev, 1);
	step_ev(st, &ev, 0); /* decided once */
	approval_event(&ev, HK_EV_APPROVAL_REJECTED, "a-1", 2);
	step_ev(st, &ev, 0);
	assert_int_equal(hk_state_approval(st, "a-1", 3, &a), 0);
	assert_int_equal(a.status, HK_APPROVAL_GRANTED);
	hk_state_free(st);
}

/* A seeded random workload: legal steps are appended (live apply after
 * the commit), illegal ones refused and never appended. */
static void
test_OPS4_live_state_equals_cold_replay(void **state)
{
	struct hk_state *live = hk_state_new(), *cold = hk_state_new();
	uint8_t d1[32], d2[32];
	struct hk_event ev;
	struct fixture f;
	char s[16], c[40];
	const char *why;
	uint64_t seq, events, rnd = 12345, appended = 0, refused = 0;
	int i;

	(void)state;
	assert_int_equal(fixture_new(&f, "test.example/state"), 0);
	for (i = 0; i < 4000; i++) {
		assert_int_equal(lifecycle_next(&rnd, 20, &ev, &body, s, c), 0);
		if (hk_state_check(live, &ev, &why) != 0) {
			refused++;
			continue;
		}
		assert_int_equal(ledger_append_wait(f.l, &ev, &seq), 0);
		ev.seq = seq;
		assert_int_equal(hk_state_apply(live, &ev, &why), 0);
		appended++;
	}
	print_message("# %llu appended, %llu refused\n",
	    (unsigned long long)appended, (unsigned long long)refused);
	assert_true(appended > 500 && refused > 500);
	assert_int_equal(hk_state_digest(live, d1), 0);
	assert_int_equal(fixture_reopen(&f, NULL), 0);
	assert_int_equal(hk_state_replay(cold, f.l, &events), 0);
	assert_true(events == appended + 1);
	assert_int_equal(hk_state_digest(cold, d2), 0);
	assert_memory_equal(d1, d2, 32);
	assert_true(hk_state_flagged(cold, NULL, NULL) == 0);
	hk_state_free(live);
	hk_state_free(cold);
	fixture_free(&f);
}

/* An illegal transition that reached the ledger anyway is flagged on
 * replay, with its seq. */
static void
test_OPS4_replay_flags_illegal_transitions(void **state)
{
	struct hk_state *st = hk_state_new();
	struct hk_event ev;
	struct fixture f;
	const char *why;
	uint64_t first, seq;

	(void)state;
	assert_int_equal(fixture_new(&f, "test.example/flag"), 0);
	assert_int_equal(lifecycle_event(&ev, &body, HK_EV_SIGNER_REGISTERED,
			     "bob", ""), 0);
	assert_int_equal(ledger_append_wait(f.l, &ev, NULL), 0);
	assert_int_equal(lifecycle_event(&ev, &body, HK_EV_SIGNATURE_CREATED,
			     "bob", "nokey"), 0);
	assert_int_equal(ledger_append_wait(f.l, &ev, &seq), 0);
	assert_int_equal(hk_state_replay(st, f.l, NULL), 0);
	assert_true(hk_state_flagged(st, &first, &why) == 1);
	assert_true(first == seq);
	assert_string_equal(why, "no such credential");
	hk_state_free(st);
	fixture_free(&f);
}

/* verified_event(ev, b, ok, events, msg): a ledger.verified event as
 * core/bgverify.c writes it. */
static void
verified_event(struct hk_event *ev, struct hk_buf *b, bool ok,
    uint64_t events, const char *msg)
{
	struct hk_mpk_writer w;
	uint8_t root[32] = {0};

	hk_buf_reset(b);
	hk_mpk_writer_init(&w, b);
	hk_mpk_put_map(&w, ok ? 5 : 6);
	hk_mpk_put_uint(&w, HK_BODY_VERIFY_EVENTS);
	hk_mpk_put_uint(&w, events);
	hk_mpk_put_uint(&w, HK_BODY_VERIFY_CHECKPOINTS);
	hk_mpk_put_uint(&w, 1);
	hk_mpk_put_uint(&w, HK_BODY_VERIFY_ROOT);
	hk_mpk_put_bin(&w, root, sizeof(root));
	hk_mpk_put_uint(&w, HK_BODY_VERIFY_RESULT);
	hk_mpk_put_cstr(&w, ok ? "ok" : "failed");
	if (!ok) {
		hk_mpk_put_uint(&w, HK_BODY_VERIFY_MESSAGE);
		hk_mpk_put_cstr(&w, msg);
	}
	hk_mpk_put_uint(&w, HK_BODY_VERIFY_MS);
	hk_mpk_put_uint(&w, 12);
	assert_int_equal(hk_mpk_writer_status(&w), 0);
	memset(ev, 0, sizeof(*ev));
	ev->type = HK_EV_LEDGER_VERIFIED;
	ev->actor_kind = HK_ACTOR_SYSTEM;
	ev->actor_id = (struct hk_bytes){(const uint8_t *)"hankod", 6};
	ev->actor_channel = HK_CHANNEL_INTERNAL;
	ev->body = (struct hk_bytes){b->p, b->len};
}

/* OPS-4: the last full verification (what /audit/v1/status and the
 * console show) is the last ledger.verified event, live and after a cold
 * replay; a malformed one is flagged. */
static void
test_OPS4_last_verification_survives_replay(void **state)
{
	struct hk_state *st = hk_state_new(), *cold = hk_state_new();
	struct hk_state_verified v;
	struct hk_buf b = HK_BUF_INIT;
	struct hk_event ev;
	struct fixture f;
	const char *why = NULL;
	uint64_t seq1, seq2;

	(void)state;
	assert_int_equal(fixture_new(&f, "test.example/verified"), 0);
	hk_state_last_verified(st, &v);
	assert_false(v.has);
	verified_event(&ev, &b, true, 41, NULL);
	assert_int_equal(ledger_append_wait(f.l, &ev, &seq1), 0);
	ev.seq = seq1;
	ev.time_ms = 1700000000001ull;
	assert_int_equal(hk_state_apply(st, &ev, &why), 0);
	hk_state_last_verified(st, &v);
	assert_true(v.has && v.ok);
	assert_int_equal(v.seq, seq1);
	assert_int_equal(v.events, 41);
	assert_true(v.at_ms == 1700000000001ull);
	verified_event(&ev, &b, false, 42, "at seq 7: leaf hash mismatch");
	assert_int_equal(ledger_append_wait(f.l, &ev, &seq2), 0);
	ev.seq = seq2;
	assert_int_equal(hk_state_apply(st, &ev, &why), 0);
	assert_int_equal(hk_state_replay(cold, f.l, NULL), 0);
	hk_state_last_verified(cold, &v);
	assert_true(v.has && !v.ok);
	assert_int_equal(v.seq, seq2);
	assert_int_equal(v.events, 42);
	assert_string_equal(v.msg, "at seq 7: leaf hash mismatch");
	/* The replayed time is the ledger's. */
	assert_true(v.at_ms > 1600000000000ull);
	hk_state_last_verified(st, &v);
	assert_int_equal(v.seq, seq2);
	assert_int_equal(hk_state_flagged(cold, NULL, NULL), 0);
	/* Without its result: refused, the last one stays. */
	verified_event(&ev, &b, true, 43, NULL);
	ev.body.p = (const uint8_t *)"\x80";
	ev.body.n = 1;
	assert_int_equal(hk_state_apply(st, &ev, &why), HK_ESTATE);
	hk_state_last_verified(st, &v);
	assert_int_equal(v.seq, seq2);
	hk_buf_release(&b);
	hk_state_free(st);
	hk_state_free(cold);
	fixture_free(&f);
}

static int
teardown(void **state)
{
	(void)state;
	hk_buf_release(&body);
	return 0;
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_END1_lifecycle_transitions),
		cmocka_unit_test(test_END3_renewal),
		cmocka_unit_test(test_OPS2_privileged_users_and_approvals),
		cmocka_unit_test(test_OPS4_live_state_equals_cold_replay),
		cmocka_unit_test(test_OPS4_replay_flags_illegal_transitions),
		cmocka_unit_test(test_OPS4_last_verification_survives_replay),
	};

	if (sodium_init() < 0)
		return 1;
	return cmocka_run_group_tests(tests, NULL, teardown);
}
