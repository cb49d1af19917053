/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Unit tests of core/anchor.c and hsm/hsm_data.c (issue 7, OPS-4): the
 * anchor follows the ledger into a SoftHSM token; a ledger behind it, a
 * forked one, a foreign or tampered anchor are refused; two objects (a
 * crash inside the update) resolve to the larger.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "core/anchor.h"
#include "core/event.h"
#include "tests/unit/hsm/hsm_fixture.h"
#include "tests/unit/testutil.h"

#define ORIGIN "example.test/hanko/anchor"

static struct {
	struct fx x;
	struct hsm_pool *pool;
	struct fixture f;
} W;

static int
setup(void **state)
{
	struct hsm_opts o;

	(void)state;
	fx_setup(&W.x);
	o = fx_opts(&W.x);
	if (hsm_pool_new(&o, &W.pool) != 0 ||
	    fixture_new(&W.f, ORIGIN) != 0)
		return -1;
	return 0;
}

static int
teardown(void **state)
{
	(void)state;
	if (hsm_data_delete(W.pool, HK_ANCHOR_LABEL) != 0)
		return -1;
	fixture_rm(W.f.dir);
	fixture_free(&W.f);
	hsm_pool_free(W.pool);
	fx_teardown(&W.x);
	return 0;
}

static void
append(struct ledger *l, unsigned n)
{
	struct hk_event ev;
	uint64_t seq;
	unsigned i;

	for (i = 0; i < n; i++) {
		memset(&ev, 0, sizeof(ev));
		ev.type = HK_EV_CONFIG_APPLIED;
		ev.actor_kind = HK_ACTOR_SYSTEM;
		ev.actor_id = (struct hk_bytes){(const uint8_t *)"test", 4};
		ev.actor_channel = HK_CHANNEL_INTERNAL;
		ev.body = (struct hk_bytes){(const uint8_t *)"\x80", 1};
		assert_int_equal(ledger_append_wait(l, &ev, &seq), 0);
	}
}

static int
check(struct ledger *l, uint64_t *anchored, char *why, size_t n)
{
	why[0] = '\0';
	return hk_anchor_check(W.pool, l, ledger_vkey(l), anchored, why, n);
}

/* A copy of the ledger directory (a backup, or an attacker's old file). */
static void
copy_ledger(const char *to)
{
	char cmd[1024];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s' && cp -a '%s' '%s'", to,
	    W.f.ledger, to);
	assert_int_equal(system(cmd), 0);
}

static void
test_OPS4_no_anchor_then_follow_the_ledger(void **state)
{
	char why[256];
	uint64_t a = 99, size, got;
	uint8_t root[32];

	(void)state;
	assert_int_equal(check(W.f.l, &a, why, sizeof(why)), 0);
	assert_int_equal(a, 0);
	append(W.f.l, 3);
	assert_int_equal(hk_anchor_update(W.pool, W.f.l, &got), 0);
	assert_int_equal(ledger_size(W.f.l, &size, NULL), 0);
	assert_int_equal(got, size);
	assert_int_equal(hk_anchor_read(W.pool, &a, root, NULL), 0);
	assert_int_equal(a, size);
	append(W.f.l, 2);
	/* Ahead of the anchor on the same history: fine. */
	assert_int_equal(check(W.f.l, &a, why, sizeof(why)), 0);
	assert_int_equal(a, size);
}

static void
test_OPS4_behind_the_anchor_is_refused(void **state)
{
	char why[256], old[300];
	struct ledger *l;
	uint64_t a;

	(void)state;
	snprintf(old, sizeof(old), "%s/old", W.f.dir);
	ledger_close(W.f.l);
	W.f.l = NULL;
	copy_ledger(old);
	assert_int_equal(fixture_reopen(&W.f, NULL), 0);
	append(W.f.l, 4);
	assert_int_equal(hk_anchor_update(W.pool, W.f.l, NULL), 0);
	assert_int_equal(ledger_open(old, NULL, hk_cpkey_signer(W.f.k), &l), 0);
	assert_int_equal(check(l, &a, why, sizeof(why)), HK_EROLLBACK);
	assert_non_null(strstr(why, "an older copy of the ledger was put "
				    "back"));
	ledger_close(l);
}

static void
test_OPS4_forked_history_is_refused(void **state)
{
	char why[256], fork_dir[300];
	struct ledger *l;
	uint64_t a, size;

	(void)state;
	snprintf(fork_dir, sizeof(fork_dir), "%s/fork", W.f.dir);
	ledger_close(W.f.l);
	W.f.l = NULL;
	copy_ledger(fork_dir);
	assert_int_equal(fixture_reopen(&W.f, NULL), 0);
	append(W.f.l, 2);
	assert_int_equal(hk_anchor_update(W.pool, W.f.l, NULL), 0);
	assert_int_equal(ledger_size(W.f.l, &size, NULL), 0);
	/* The fork grows past the anchor with other events (other times). */
	assert_int_equal(ledger_open(fork_dir, NULL, hk_cpkey_signer(W.f.k),
			     &l),
	    0);
	{
		struct timespec ts = {0, 2000000};

		nanosleep(&ts, NULL);
	}
	append(l, 5);
	assert_int_equal(check(l, &a, why, sizeof(why)), HK_EROLLBACK);
	assert_non_null(strstr(why, "do not hash to the root"));
	ledger_close(l);
}

static void
test_OPS4_foreign_or_tampered_anchor_is_refused(void **state)
{
	struct fixture other;
	struct hk_buf note = HK_BUF_INIT;
	char why[256];
	uint64_t a;
	uint8_t root[32];
	char *nl;

	(void)state;
	/* Another ledger's (another key's) checkpoint in the token. */
	assert_int_equal(fixture_new(&other, ORIGIN), 0);
	append(other.l, 1);
	assert_int_equal(hk_anchor_update(W.pool, other.l, NULL), 0);
	assert_int_equal(check(W.f.l, &a, why, sizeof(why)), HK_EROLLBACK);
	assert_non_null(strstr(why, "not a checkpoint signed by this "
				    "ledger's key"));
	fixture_rm(other.dir);
	fixture_free(&other);
	/* This ledger's checkpoint with its size changed. */
	append(W.f.l, 1);
	assert_int_equal(hk_anchor_update(W.pool, W.f.l, NULL), 0);
	assert_int_equal(hk_anchor_read(W.pool, &a, root, &note), 0);
	assert_int_equal(hk_buf_putc(&note, 0), 0);
	nl = strchr((char *)note.p, '\n');
	assert_non_null(nl);
	nl[1] = nl[1] == '9' ? '8' : (char)(nl[1] + 1);
	assert_int_equal(hsm_data_put(W.pool, HK_ANCHOR_LABEL, note.p,
			     note.len - 1),
	    0);
	assert_int_equal(check(W.f.l, &a, why, sizeof(why)), HK_EROLLBACK);
	assert_non_null(strstr(why, "not a checkpoint signed"));
	hk_buf_release(&note);
	/* Restored, it holds again. */
	assert_int_equal(hk_anchor_update(W.pool, W.f.l, NULL), 0);
	assert_int_equal(check(W.f.l, &a, why, sizeof(why)), 0);
}

/* A crash between creating the new object and destroying the old leaves
 * two: the larger one is the anchor. */
static int
count_cb(void *arg, const uint8_t *v, size_t n)
{
	(void)v;
	(void)n;
	(*(int *)arg)++;
	return 0;
}

static void
test_OPS4_two_objects_resolve_to_the_larger(void **state)
{
	struct hk_buf small = HK_BUF_INIT, big = HK_BUF_INIT;
	uint64_t s1, s2, a;
	uint8_t root[32];
	char why[256];
	int n = 0;

	(void)state;
	append(W.f.l, 1);
	assert_int_equal(hk_anchor_update(W.pool, W.f.l, &s1), 0);
	assert_int_equal(hk_anchor_read(W.pool, &a, root, &small), 0);
	append(W.f.l, 3);
	assert_int_equal(hk_anchor_update(W.pool, W.f.l, &s2), 0);
	assert_int_equal(hk_anchor_read(W.pool, &a, root, &big), 0);
	assert_true(s2 > s1);
	assert_int_equal(hsm_data_read(W.pool, HK_ANCHOR_LABEL, count_cb, &n),
	    0);
	assert_int_equal(n, 1); /* the update destroyed the old object */
	/* Put the small one back beside the big one, as a crash inside
	 * hsm_data_put would leave them: written by pkcs11-tool. */
	{
		char path[512], cmd[2048];
		FILE *f;

		snprintf(path, sizeof(path), "%s/small.anchor", W.x.dir);
		assert_non_null(f = fopen(path, "wb"));
		assert_int_equal(fwrite(small.p, 1, small.len, f), small.len);
		fclose(f);
		snprintf(cmd, sizeof(cmd),
		    "pkcs11-tool --module %s --token-label %s --login --pin %s "
		    "--write-object %s --type data --label %s "
		    "--application-label hanko --private >/dev/null 2>&1",
		    HSM_MODULE_DEFAULT, FX_TOKEN, FX_PIN, path,
		    HK_ANCHOR_LABEL);
		if (system(cmd) != 0)
			skip(); /* OpenSC's pkcs11-tool is not installed */
	}
	n = 0;
	assert_int_equal(hsm_data_read(W.pool, HK_ANCHOR_LABEL, count_cb, &n),
	    0);
	assert_int_equal(n, 2);
	assert_int_equal(hk_anchor_read(W.pool, &a, root, NULL), 0);
	assert_int_equal(a, s2);
	assert_int_equal(check(W.f.l, &a, why, sizeof(why)), 0);
	assert_int_equal(a, s2);
	/* The next update leaves one object again. */
	append(W.f.l, 1);
	assert_int_equal(hk_anchor_update(W.pool, W.f.l, NULL), 0);
	n = 0;
	assert_int_equal(hsm_data_read(W.pool, HK_ANCHOR_LABEL, count_cb, &n),
	    0);
	assert_int_equal(n, 1);
	hk_buf_release(&small);
	hk_buf_release(&big);
}

struct churn {
	volatile int stop;
	int failures, updates;
};

static void *
churn_main(void *arg)
{
	struct churn *c = arg;

	while (!c->stop) {
		if (hk_anchor_update(W.pool, W.f.l, NULL) != 0)
			c->failures++;
		c->updates++;
	}
	return NULL;
}

/* Key generation while the anchor is rewritten on other sessions: every
 * generation and every update succeeds (token objects are made one at a
 * time; SoftHSM once refused a generation racing a data object). */
static void
test_OPS4_anchor_updates_do_not_disturb_key_generation(void **state)
{
	struct churn c = {0, 0, 0};
	struct hsm_keyinfo k;
	pthread_t th;
	int i;

	(void)state;
	assert_int_equal(pthread_create(&th, NULL, churn_main, &c), 0);
	for (i = 0; i < 20; i++) {
		assert_int_equal(hsm_key_generate(W.pool, HSM_ALG_EC_P256,
				     "churn", 0, &k),
		    0);
		assert_int_equal(hsm_key_destroy(W.pool, k.id), 0);
	}
	c.stop = 1;
	pthread_join(th, NULL);
	assert_int_equal(c.failures, 0);
	assert_true(c.updates > 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_OPS4_no_anchor_then_follow_the_ledger),
		cmocka_unit_test(test_OPS4_behind_the_anchor_is_refused),
		cmocka_unit_test(test_OPS4_forked_history_is_refused),
		cmocka_unit_test(
		    test_OPS4_foreign_or_tampered_anchor_is_refused),
		cmocka_unit_test(test_OPS4_two_objects_resolve_to_the_larger),
		cmocka_unit_test(
		    test_OPS4_anchor_updates_do_not_disturb_key_generation),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
