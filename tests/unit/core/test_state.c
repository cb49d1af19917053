/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Unit tests for core/state, the signer-state fold (END-1, END-3, ACT-9,
 * SIG-2 preconditions): every transition rule, illegal ones refused when
 * deciding and flagged when replaying, and the state after live apply
 * equal (by digest) to the state after a cold replay of the ledger.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>

#include <cmocka.h>
#include <sodium.h>

#include "core/log.h"
#include "core/state.h"
#include "tests/unit/testutil.h"

static struct hk_buf body;

static struct hk_event
mk(uint64_t type, const char *signer, const char *cred, uint64_t seq)
{
	struct hk_event ev;

	assert_int_equal(event_build(&ev, &body, type, signer, cred, seq, 0), 0);
	ev.seq = seq;
	return ev;
}

/* apply(st, type, signer, cred, legal): check, then apply. */
static void
step(struct hk_state *st, uint64_t type, const char *s, const char *c,
    int legal)
{
	static uint64_t seq = 1;
	struct hk_event ev = mk(type, s, c, seq++);
	const char *why = NULL;
	int r = hk_state_check(st, &ev, &why);

	if (legal) {
		if (r != 0)
			fail_msg("%s %s/%s refused: %s", hk_event_type_name(type),
			    s, c, why);
		assert_int_equal(hk_state_apply(st, &ev, &why), 0);
	} else {
		if (r != HK_ESTATE)
			fail_msg("%s %s/%s allowed", hk_event_type_name(type), s,
			    c);
		assert_non_null(why);
	}
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

	(void)state;
	step(st, HK_EV_KEY_GENERATED, "alice", "c1", 0); /* not registered */
	step(st, HK_EV_SIGNER_REGISTERED, "alice", "", 1);
	step(st, HK_EV_SIGNER_REGISTERED, "alice", "", 0); /* twice */
	step(st, HK_EV_SIGNER_REGISTERED, "", "", 0);      /* no id */
	step(st, HK_EV_CERT_BOUND, "alice", "c1", 0);      /* no credential */
	step(st, HK_EV_CREDENTIAL_ENROLLED, "alice", "c1", 1);
	expect_state(st, "c1", HK_CRED_ENROLLED, 0);
	step(st, HK_EV_CREDENTIAL_ENROLLED, "alice", "c1", 0);
	step(st, HK_EV_SIGNATURE_CREATED, "alice", "c1", 0); /* no key */
	step(st, HK_EV_KEY_GENERATED, "alice", "c1", 1);
	step(st, HK_EV_KEY_GENERATED, "alice", "c1", 0); /* second key */
	step(st, HK_EV_CSR_ISSUED, "alice", "c1", 1);
	step(st, HK_EV_AUTH_GRANTED, "alice", "c1", 0); /* no certificate */
	step(st, HK_EV_SUSPENDED, "alice", "c1", 0);
	step(st, HK_EV_CERT_BOUND, "alice", "c1", 1);
	expect_state(st, "c1", HK_CRED_ACTIVE, 0);
	step(st, HK_EV_CERT_BOUND, "alice", "c1", 0);
	step(st, HK_EV_AUTH_GRANTED, "alice", "c1", 1);
	step(st, HK_EV_SIGNATURE_CREATED, "alice", "c1", 1);
	step(st, HK_EV_RESUMED, "alice", "c1", 0); /* not suspended */
	step(st, HK_EV_SUSPENDED, "alice", "c1", 1);
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
	step(st, HK_EV_KEY_DESTROYED, "alice", "c1", 1); /* END-3 */
	expect_state(st, "c1", HK_CRED_DESTROYED, 0);
	step(st, HK_EV_SIGNATURE_CREATED, "alice", "c1", 0);
	step(st, HK_EV_RESUMED, "alice", "c1", 0);
	step(st, HK_EV_KEY_DESTROYED, "alice", "c1", 0);
	step(st, HK_EV_KEY_GENERATED, "alice", "c1", 0); /* no resurrection */
	/* Key import is the other way in; system events touch no signer. */
	step(st, HK_EV_KEY_IMPORTED, "alice", "c2", 1);
	expect_state(st, "c2", HK_CRED_KEY_GENERATED, 0);
	step(st, HK_EV_APPLIANCE_STARTED, "", "", 1);
	assert_true(hk_state_flagged(st, NULL, NULL) == 0);
	hk_state_free(st);
}

/* A seeded random workload: each step picks a signer, credential and
 * event type; legal ones are appended (live apply after the commit),
 * illegal ones are refused and never appended. */
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
	for (i = 0; i < 3000; i++) {
		assert_int_equal(lifecycle_next(&rnd, 20, &ev, &body, s, c,
				     (uint64_t)i), 0);
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

/* An illegal transition that reached the ledger anyway (written by a
 * buggy or hostile writer) is flagged on replay, with its seq. */
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
	ev = mk(HK_EV_SIGNER_REGISTERED, "bob", "", 0);
	assert_int_equal(ledger_append_wait(f.l, &ev, NULL), 0);
	ev = mk(HK_EV_SIGNATURE_CREATED, "bob", "nokey", 0);
	assert_int_equal(ledger_append_wait(f.l, &ev, &seq), 0);
	assert_int_equal(hk_state_replay(st, f.l, NULL), 0);
	assert_true(hk_state_flagged(st, &first, &why) == 1);
	assert_true(first == seq);
	assert_string_equal(why, "no such credential");
	hk_state_free(st);
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
		cmocka_unit_test(test_OPS4_live_state_equals_cold_replay),
		cmocka_unit_test(test_OPS4_replay_flags_illegal_transitions),
	};

	if (sodium_init() < 0)
		return 1;
	return cmocka_run_group_tests(tests, NULL, teardown);
}
