/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Unit tests for ledger/ledger (SIG-3, SIG-6, OPS-4): durable ordered
 * appends, group commit under concurrent producers, fail-closed after a
 * failed commit, default LMDB durability, refusals, detection of every
 * kind of tampering written straight into the LMDB tables, and receipts
 * and consistency proofs that verify offline.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <pthread.h>
#include <stdatomic.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <lmdb.h>
#include <sodium.h>

#include "core/log.h"
#include "ledger/ledger_internal.h"
#include "ledger/ledger_receipt.h"
#include "tests/unit/testutil.h"

#define ORIGIN "test.example/hanko/1"

static void
append_n(struct fixture *f, uint64_t n, size_t pad)
{
	struct hk_buf body = HK_BUF_INIT;
	struct hk_event ev;
	uint64_t i, seq, size;

	assert_int_equal(ledger_size(f->l, &size, NULL), 0);
	for (i = 0; i < n; i++) {
		assert_int_equal(event_build(&ev, &body, HK_EV_CONFIG_APPLIED, "",
				     "", i, pad), 0);
		assert_int_equal(ledger_append_wait(f->l, &ev, &seq), 0);
		assert_true(seq == size + i);
	}
	hk_buf_release(&body);
}

static void
test_SIG3_appends_are_durable_and_ordered(void **state)
{
	struct ledger_verify_report rep;
	struct hk_buf b = HK_BUF_INIT;
	struct hk_event ev;
	struct fixture f;
	uint64_t size, i, last_time = 0;

	(void)state;
	assert_int_equal(fixture_new(&f, ORIGIN), 0);
	append_n(&f, 100, 10);
	/* A fresh process view: everything acknowledged is there. */
	assert_int_equal(fixture_reopen(&f, NULL), 0);
	assert_int_equal(ledger_size(f.l, &size, NULL), 0);
	assert_true(size == 101);
	for (i = 0; i < size; i++) {
		hk_buf_reset(&b);
		assert_int_equal(ledger_event_get(f.l, i, &b), 0);
		assert_int_equal(hk_event_decode(b.p, b.len, &ev, NULL), 0);
		assert_true(ev.seq == i);
		assert_true(ev.time_ms >= last_time);
		last_time = ev.time_ms;
	}
	assert_int_equal(ledger_event_get(f.l, size, &b), HK_ENOTFOUND);
	assert_int_equal(ledger_verify(f.l, NULL, 0, &rep), 0);
	assert_true(rep.events == 101 && rep.checkpoints == 101);
	hk_buf_release(&b);
	fixture_free(&f);
}

static void
test_OPS4_lmdb_default_durability(void **state)
{
	struct fixture f;
	unsigned flags;

	(void)state;
	assert_int_equal(fixture_new(&f, ORIGIN), 0);
	assert_int_equal(mdb_env_get_flags(f.l->env, &flags), 0);
	assert_int_equal(flags & (MDB_NOSYNC | MDB_NOMETASYNC | MDB_MAPASYNC |
				     MDB_WRITEMAP),
	    0);
	fixture_free(&f);
}

#define PRODUCERS 8
#define PER_PRODUCER 1500

struct prod {
	struct fixture *f;
	int id;
	atomic_int *done;
	uint64_t seqs[PER_PRODUCER];
	atomic_int acked;
	atomic_int errors;
};

struct slot {
	struct prod *p;
	int i;
};

static void
slot_cb(void *arg, int status, uint64_t seq)
{
	struct slot *s = arg;

	if (status != 0)
		atomic_fetch_add(&s->p->errors, 1);
	else
		s->p->seqs[s->i] = seq;
	atomic_fetch_add(&s->p->acked, 1);
}

static void *
prod_main(void *arg)
{
	struct prod *p = arg;
	struct hk_buf body = HK_BUF_INIT;
	struct slot *slots = calloc(PER_PRODUCER, sizeof(*slots));
	struct hk_event ev;
	int i;

	for (i = 0; i < PER_PRODUCER; i++) {
		slots[i] = (struct slot){p, i};
		if (event_build(&ev, &body, HK_EV_CONFIG_APPLIED, "", "",
			(uint64_t)p->id << 32 | (uint64_t)i, 200) != 0 ||
		    ledger_append(p->f->l, &ev, slot_cb, &slots[i]) != 0)
			atomic_fetch_add(&p->errors, 1);
	}
	while (atomic_load(&p->acked) + atomic_load(&p->errors) < PER_PRODUCER)
		nanosleep(&(struct timespec){0, 1000000}, NULL);
	free(slots);
	hk_buf_release(&body);
	return NULL;
}

static void
test_SIG3_concurrent_producers_group_commit(void **state)
{
	static struct prod ps[PRODUCERS];
	static uint8_t seen[PRODUCERS * PER_PRODUCER + 1];
	struct ledger_verify_report rep;
	struct hk_buf b = HK_BUF_INIT;
	pthread_t th[PRODUCERS];
	struct hk_event ev;
	struct fixture f;
	uint64_t tag;
	int i, j;

	(void)state;
	assert_int_equal(fixture_new(&f, ORIGIN), 0);
	memset(seen, 0, sizeof(seen));
	for (i = 0; i < PRODUCERS; i++) {
		memset(&ps[i], 0, sizeof(ps[i]));
		ps[i].f = &f;
		ps[i].id = i;
		assert_int_equal(pthread_create(&th[i], NULL, prod_main, &ps[i]),
		    0);
	}
	for (i = 0; i < PRODUCERS; i++)
		pthread_join(th[i], NULL);
	/* Every producer got distinct seqs, and each seq holds exactly the
	 * event that producer submitted. */
	for (i = 0; i < PRODUCERS; i++) {
		assert_int_equal(atomic_load(&ps[i].errors), 0);
		for (j = 0; j < PER_PRODUCER; j++) {
			uint64_t s = ps[i].seqs[j];
			struct hk_bytes v;
			struct hk_mpk_reader r;

			assert_true(s >= 1 && s <= PRODUCERS * PER_PRODUCER);
			assert_int_equal(seen[s], 0);
			seen[s] = 1;
			if (j % 97 != 0)
				continue;
			hk_buf_reset(&b);
			assert_int_equal(ledger_event_get(f.l, s, &b), 0);
			assert_int_equal(hk_event_decode(b.p, b.len, &ev, NULL), 0);
			assert_int_equal(hk_event_body_value(ev.body, 1, &v), 0);
			hk_mpk_reader_init(&r, v.p, v.n);
			assert_int_equal(hk_mpk_get_uint(&r, &tag), 0);
			assert_true(tag == ((uint64_t)i << 32 | (uint64_t)j));
		}
	}
	assert_int_equal(ledger_verify(f.l, NULL, 0, &rep), 0);
	assert_true(rep.events == PRODUCERS * PER_PRODUCER + 1);
	/* Group commit: far fewer commits (one checkpoint each) than events. */
	assert_true(rep.checkpoints < rep.events / 4);
	print_message("# %llu events in %llu commits\n",
	    (unsigned long long)rep.events, (unsigned long long)rep.checkpoints);
	hk_buf_release(&b);
	fixture_free(&f);
}

static atomic_int drained_ok, drained_err;

static void
drain_cb(void *arg, int status, uint64_t seq)
{
	(void)arg;
	(void)seq;
	atomic_fetch_add(status == 0 ? &drained_ok : &drained_err, 1);
}

static void
test_SIG3_close_commits_everything_queued(void **state)
{
	struct hk_buf body = HK_BUF_INIT;
	struct hk_event ev;
	struct fixture f;
	uint64_t size;
	int i;

	(void)state;
	assert_int_equal(fixture_new(&f, ORIGIN), 0);
	atomic_store(&drained_ok, 0);
	atomic_store(&drained_err, 0);
	for (i = 0; i < 500; i++) {
		assert_int_equal(event_build(&ev, &body, HK_EV_CONFIG_APPLIED, "",
				     "", (uint64_t)i, 50), 0);
		assert_int_equal(ledger_append(f.l, &ev, drain_cb, NULL), 0);
	}
	assert_int_equal(fixture_reopen(&f, NULL), 0);
	assert_int_equal(atomic_load(&drained_ok), 500);
	assert_int_equal(atomic_load(&drained_err), 0);
	assert_int_equal(ledger_size(f.l, &size, NULL), 0);
	assert_true(size == 501);
	hk_buf_release(&body);
	fixture_free(&f);
}

static atomic_int fc_ok, fc_failed;

static void
fc_cb(void *arg, int status, uint64_t seq)
{
	(void)arg;
	(void)seq;
	if (status == 0)
		atomic_fetch_add(&fc_ok, 1);
	else if (status == HK_ELEDGER_FAILED)
		atomic_fetch_add(&fc_failed, 1);
}

static void
test_SIG3_fails_closed_after_a_failed_commit(void **state)
{
	struct ledger_opts small = {0};
	struct ledger_verify_report rep;
	struct hk_buf body = HK_BUF_INIT;
	struct hk_event ev;
	struct fixture f;
	uint64_t size;
	int i, r = 0;

	(void)state;
	assert_int_equal(fixture_new(&f, ORIGIN), 0);
	/* A map too small for what follows: the commit fails MDB_MAP_FULL. */
	small.map_size = 512 * 1024;
	small.map_max = 512 * 1024;
	assert_int_equal(fixture_reopen(&f, &small), 0);
	atomic_store(&fc_ok, 0);
	atomic_store(&fc_failed, 0);
	for (i = 0; i < 400; i++) {
		assert_int_equal(event_build(&ev, &body, HK_EV_CONFIG_APPLIED, "",
				     "", (uint64_t)i, 4000), 0);
		r = ledger_append_wait(f.l, &ev, NULL);
		if (r != 0)
			break;
		atomic_fetch_add(&fc_ok, 1);
	}
	assert_int_equal(r, HK_ELEDGER_FAILED);
	assert_non_null(ledger_failure(f.l));
	print_message("# %s\n", ledger_failure(f.l));
	/* Every later append is refused at once, without a callback. */
	assert_int_equal(ledger_append(f.l, &ev, fc_cb, NULL), HK_ELEDGER_FAILED);
	/* After a restart with room, nothing acknowledged is lost. */
	assert_int_equal(fixture_reopen(&f, NULL), 0);
	assert_null(ledger_failure(f.l));
	assert_int_equal(ledger_size(f.l, &size, NULL), 0);
	assert_true(size == (uint64_t)atomic_load(&fc_ok) + 1);
	assert_int_equal(ledger_verify(f.l, NULL, 0, &rep), 0);
	assert_int_equal(ledger_append_wait(f.l, &ev, NULL), 0);
	hk_buf_release(&body);
	fixture_free(&f);
}

static atomic_int grow_done, grow_acked, grow_reads;

static void
grow_cb(void *arg, int status, uint64_t seq)
{
	(void)arg;
	(void)seq;
	if (status == 0)
		atomic_fetch_add(&grow_acked, 1);
}

static void *
grow_reader(void *arg)
{
	struct fixture *f = arg;
	struct hk_buf b = HK_BUF_INIT;
	uint64_t size;

	while (!atomic_load(&grow_done)) {
		hk_buf_reset(&b);
		if (ledger_size(f->l, &size, NULL) != 0 ||
		    ledger_receipt(f->l, size / 2, &b) != 0)
			abort();
		atomic_fetch_add(&grow_reads, 1);
	}
	hk_buf_release(&b);
	return NULL;
}

/* The map starts at 1 MiB; 6000 events of 3 KB need it to grow several
 * times while another thread keeps reading. */
static void
test_SIG3_map_grows_under_readers(void **state)
{
	struct ledger_opts o = {0};
	struct ledger_verify_report rep;
	struct hk_buf body = HK_BUF_INIT;
	struct hk_event ev;
	struct fixture f;
	pthread_t reader;
	int i;

	(void)state;
	assert_int_equal(fixture_new(&f, ORIGIN), 0);
	o.map_size = 1 << 20;
	assert_int_equal(fixture_reopen(&f, &o), 0);
	atomic_store(&grow_done, 0);
	atomic_store(&grow_acked, 0);
	atomic_store(&grow_reads, 0);
	assert_int_equal(pthread_create(&reader, NULL, grow_reader, &f), 0);
	for (i = 0; i < 6000; i++) {
		assert_int_equal(event_build(&ev, &body, HK_EV_CONFIG_APPLIED, "",
				     "", (uint64_t)i, 3000), 0);
		assert_int_equal(ledger_append(f.l, &ev, grow_cb, NULL), 0);
	}
	while (atomic_load(&grow_acked) < 6000 && ledger_failure(f.l) == NULL)
		nanosleep(&(struct timespec){0, 1000000}, NULL);
	atomic_store(&grow_done, 1);
	pthread_join(reader, NULL);
	assert_null(ledger_failure(f.l));
	assert_int_equal(atomic_load(&grow_acked), 6000);
	assert_true(atomic_load(&grow_reads) > 0);
	assert_int_equal(ledger_verify(f.l, NULL, 0, &rep), 0);
	hk_buf_release(&body);
	fixture_free(&f);
}

/* The vault commits with its event, survives a restart, can be replaced
 * and deleted, and never enters the tree, the receipts or verification. */
static void
test_REG1_vault_commits_with_its_event(void **state)
{
	struct ledger_verify_report rep;
	struct hk_buf body = HK_BUF_INIT, v = HK_BUF_INIT, all = HK_BUF_INIT;
	struct ledger_vault_op ops[2];
	struct ledger_opts ro = {0};
	struct hk_event ev;
	struct fixture f;
	uint64_t seq, size, i;

	(void)state;
	assert_int_equal(fixture_new(&f, ORIGIN), 0);
	assert_int_equal(event_build(&ev, &body, HK_EV_CONFIG_APPLIED, "", "", 1,
			     4), 0);
	ops[0] = (struct ledger_vault_op){(const uint8_t *)"pin/c-1", 7,
	    (const uint8_t *)"argon-hash-1", 12};
	ops[1] = (struct ledger_vault_op){(const uint8_t *)"salt/s-1", 8,
	    (const uint8_t *)"SALTSALT", 8};
	assert_int_equal(ledger_append_vault_wait(f.l, &ev, ops, 2, &seq), 0);
	assert_int_equal(ledger_vault_get(f.l, (const uint8_t *)"pin/c-1", 7,
			     &v), 0);
	assert_int_equal(v.len, 12);
	assert_memory_equal(v.p, "argon-hash-1", 12);
	/* Replace one, delete the other, in a second event. */
	ops[0].val = (const uint8_t *)"argon-hash-2";
	ops[1].val = NULL;
	assert_int_equal(ledger_append_vault_wait(f.l, &ev, ops, 2, NULL), 0);
	assert_int_equal(fixture_reopen(&f, NULL), 0);
	hk_buf_reset(&v);
	assert_int_equal(ledger_vault_get(f.l, (const uint8_t *)"pin/c-1", 7,
			     &v), 0);
	assert_memory_equal(v.p, "argon-hash-2", 12);
	hk_buf_reset(&v);
	assert_int_equal(ledger_vault_get(f.l, (const uint8_t *)"salt/s-1", 8,
			     &v), HK_ENOTFOUND);
	/* Not in any event or receipt, and verification is unaffected. */
	assert_int_equal(ledger_size(f.l, &size, NULL), 0);
	for (i = 0; i < size; i++)
		assert_int_equal(ledger_event_get(f.l, i, &all), 0);
	for (i = 0; i + 10 <= all.len; i++)
		assert_memory_not_equal(all.p + i, "argon-hash", 10);
	assert_int_equal(ledger_verify(f.l, NULL, 0, &rep), 0);
	/* Bad ops are refused and change nothing. */
	ops[0].klen = 0;
	assert_int_equal(ledger_append_vault_wait(f.l, &ev, ops, 1, NULL),
	    HK_EINVAL);
	ops[0].klen = LEDGER_VAULT_KEY_MAX + 1;
	assert_int_equal(ledger_append_vault_wait(f.l, &ev, ops, 1, NULL),
	    HK_EINVAL);
	assert_int_equal(ledger_size(f.l, &seq, NULL), 0);
	assert_true(seq == size);
	/* Readers see it too. */
	ro.readonly = 1;
	assert_int_equal(fixture_reopen(&f, &ro), 0);
	hk_buf_reset(&v);
	assert_int_equal(ledger_vault_get(f.l, (const uint8_t *)"pin/c-1", 7,
			     &v), 0);
	hk_buf_release(&body);
	hk_buf_release(&v);
	hk_buf_release(&all);
	fixture_free(&f);
}

static void
test_ledger_refusals(void **state)
{
	struct ledger_opts ro = {0};
	struct hk_buf body = HK_BUF_INIT;
	struct hk_cpkey *other = NULL;
	struct ledger *l2 = NULL;
	struct hk_event ev;
	struct fixture f;
	char path[400];
	uint64_t size;

	(void)state;
	assert_int_equal(fixture_new(&f, ORIGIN), 0);
	/* Bad events change nothing. */
	assert_int_equal(event_build(&ev, &body, 0, "", "", 0, 0), 0);
	assert_int_equal(ledger_append_wait(f.l, &ev, NULL), HK_EINVAL);
	assert_int_equal(event_build(&ev, &body, HK_EV_CONFIG_APPLIED, "", "", 0,
			     65500), 0);
	assert_int_equal(ledger_append_wait(f.l, &ev, NULL), HK_ETOOBIG);
	ev.actor_kind = 77;
	assert_int_equal(ledger_append_wait(f.l, &ev, NULL), HK_EINVAL);
	assert_int_equal(ledger_size(f.l, &size, NULL), 0);
	assert_true(size == 1);
	/* A second ledger over the same directory is refused. */
	assert_int_equal(ledger_create(f.ledger, ORIGIN, hk_cpkey_signer(f.k),
			     &ev), HK_EINVAL); /* not a genesis event */
	ev.type = HK_EV_LEDGER_GENESIS;
	ev.actor_kind = 0;
	assert_int_equal(ledger_create(f.ledger, ORIGIN, hk_cpkey_signer(f.k),
			     &ev), HK_EEXIST);
	/* Another key cannot write to this ledger. */
	snprintf(path, sizeof(path), "%s/other.key", f.dir);
	assert_int_equal(hk_cpkey_generate(path, ORIGIN, &other), 0);
	ledger_close(f.l);
	f.l = NULL;
	assert_int_equal(ledger_open(f.ledger, NULL, hk_cpkey_signer(other),
			     &l2), HK_EINVAL);
	/* Read-only ledgers do not append. */
	ro.readonly = 1;
	assert_int_equal(fixture_reopen(&f, &ro), 0);
	assert_int_equal(event_build(&ev, &body, HK_EV_CONFIG_APPLIED, "", "", 0,
			     0), 0);
	assert_int_equal(ledger_append_wait(f.l, &ev, NULL), HK_EINVAL);
	/* No ledger at all. */
	snprintf(path, sizeof(path), "%s/nothing", f.dir);
	assert_int_equal(ledger_open(path, &ro, NULL, &l2), HK_ENOTFOUND);
	hk_cpkey_free(other);
	hk_buf_release(&body);
	fixture_free(&f);
}

/* ---- tampering, written straight into the LMDB tables ---------------- */

struct raw {
	MDB_env *env;
	MDB_txn *txn;
	MDB_dbi ev, h, cp, meta;
};

static void
raw_begin(struct raw *r, const char *dir)
{
	assert_int_equal(mdb_env_create(&r->env), 0);
	assert_int_equal(mdb_env_set_maxdbs(r->env, 4), 0);
	assert_int_equal(mdb_env_set_mapsize(r->env, (size_t)1 << 30), 0);
	assert_int_equal(mdb_env_open(r->env, dir, 0, 0600), 0);
	assert_int_equal(mdb_txn_begin(r->env, NULL, 0, &r->txn), 0);
	assert_int_equal(mdb_dbi_open(r->txn, "ev", 0, &r->ev), 0);
	assert_int_equal(mdb_dbi_open(r->txn, "h", 0, &r->h), 0);
	assert_int_equal(mdb_dbi_open(r->txn, "cp", 0, &r->cp), 0);
	assert_int_equal(mdb_dbi_open(r->txn, "meta", 0, &r->meta), 0);
}

static void
raw_commit(struct raw *r)
{
	assert_int_equal(mdb_txn_commit(r->txn), 0);
	mdb_env_close(r->env);
}

static void
raw_get(struct raw *r, MDB_dbi dbi, uint64_t key, struct hk_buf *out)
{
	uint8_t kb[8];
	MDB_val k = {8, kb}, v;

	ledger_key_put(kb, key);
	assert_int_equal(mdb_get(r->txn, dbi, &k, &v), 0);
	hk_buf_reset(out);
	assert_int_equal(hk_buf_put(out, v.mv_data, v.mv_size), 0);
}

static void
raw_put(struct raw *r, MDB_dbi dbi, uint64_t key, const struct hk_buf *val)
{
	uint8_t kb[8];
	MDB_val k = {8, kb}, v = {val->len, val->p};

	ledger_key_put(kb, key);
	assert_int_equal(mdb_put(r->txn, dbi, &k, &v, 0), 0);
}

static void
raw_del(struct raw *r, MDB_dbi dbi, uint64_t key)
{
	uint8_t kb[8];
	MDB_val k = {8, kb};

	ledger_key_put(kb, key);
	assert_int_equal(mdb_del(r->txn, dbi, &k, NULL), 0);
}

enum tamper {
	T_FLIP_EVENT,
	T_FLIP_EVENT_PREV,
	T_FLIP_LEAF_HASH,
	T_FLIP_NODE_HASH,
	T_SWAP_EVENTS,
	T_DELETE_MIDDLE,
	T_DELETE_TAIL,
	T_FLIP_CHECKPOINT_SIG,
	T_REPLACE_EVENT_REHASHED,
	T_COUNT
};

static const char *const tamper_names[] = {"flip event byte",
    "flip prev byte", "flip leaf hash", "flip node hash", "swap events",
    "delete middle event", "delete tail", "flip checkpoint signature",
    "replace an event and its hashes consistently"};

/* Returns the seq verification must name, or -1 if open must refuse. */
static int64_t
tamper(struct raw *r, enum tamper t)
{
	struct hk_buf a = HK_BUF_INIT, b = HK_BUF_INIT;
	int64_t bad = -1;
	uint64_t i;

	switch (t) {
	case T_FLIP_EVENT:
		raw_get(r, r->ev, 150, &a);
		a.p[a.len / 2] ^= 0x01;
		raw_put(r, r->ev, 150, &a);
		bad = 150;
		break;
	case T_FLIP_EVENT_PREV:
		raw_get(r, r->ev, 200, &a);
		a.p[a.len - 1] ^= 0x80;
		raw_put(r, r->ev, 200, &a);
		bad = 200;
		break;
	case T_FLIP_LEAF_HASH:
		raw_get(r, r->h, 77, &a);
		a.p[3] ^= 0x01;
		raw_put(r, r->h, 77, &a);
		bad = 77;
		break;
	case T_FLIP_NODE_HASH:
		raw_get(r, r->h, 127, &a); /* 127 stores levels 0..7 */
		a.p[5 * 32 + 9] ^= 0x01;
		raw_put(r, r->h, 127, &a);
		bad = 127;
		break;
	case T_SWAP_EVENTS:
		raw_get(r, r->ev, 100, &a);
		raw_get(r, r->ev, 101, &b);
		raw_put(r, r->ev, 100, &b);
		raw_put(r, r->ev, 101, &a);
		bad = 100;
		break;
	case T_DELETE_MIDDLE:
		raw_del(r, r->ev, 123);
		bad = 123;
		break;
	case T_DELETE_TAIL:
		/* An attacker deletes the last events and their hashes. The
		 * checkpoints and metadata still say 300: open refuses. */
		for (i = 290; i < 300; i++) {
			raw_del(r, r->ev, i);
			raw_del(r, r->h, i);
		}
		bad = -1;
		break;
	case T_FLIP_CHECKPOINT_SIG:
		raw_get(r, r->cp, 180, &a);
		a.p[a.len - 6] = a.p[a.len - 6] == 'A' ? 'B' : 'A';
		raw_put(r, r->cp, 180, &a);
		bad = 179;
		break;
	case T_REPLACE_EVENT_REHASHED: {
		/* Rewrite event 260 and recompute its leaf hash: the next
		 * event's prev no longer matches, and the node hashes above
		 * and the signed checkpoints no longer match either. */
		struct hk_sha256 *h = hk_sha256_new();
		uint8_t leaf[32];

		raw_get(r, r->ev, 260, &a);
		a.p[a.len - 40] ^= 0x01; /* inside the body */
		raw_put(r, r->ev, 260, &a);
		raw_get(r, r->h, 260, &b);
		assert_int_equal(ledger_merkle_leaf_hash(h, a.p, a.len, leaf), 0);
		memcpy(b.p, leaf, 32);
		raw_put(r, r->h, 260, &b);
		hk_sha256_free(h);
		bad = 260;
		break;
	}
	case T_COUNT:
		break;
	}
	hk_buf_release(&a);
	hk_buf_release(&b);
	return bad;
}

static void
test_OPS4_verify_detects_every_tampering(void **state)
{
	struct ledger_opts ro = {0};
	struct ledger_verify_report rep;
	struct fixture f;
	struct raw r;
	int64_t bad;
	int t, e;

	(void)state;
	ro.readonly = 1;
	for (t = 0; t < T_COUNT; t++) {
		assert_int_equal(fixture_new(&f, ORIGIN), 0);
		append_n(&f, 299, 16);
		ledger_close(f.l);
		f.l = NULL;
		raw_begin(&r, f.ledger);
		bad = tamper(&r, (enum tamper)t);
		raw_commit(&r);
		e = ledger_open(f.ledger, &ro, NULL, &f.l);
		if (bad < 0) {
			if (e != HK_ECORRUPT)
				fail_msg("%s: open gave %d", tamper_names[t], e);
		} else {
			assert_int_equal(e, 0);
			e = ledger_verify(f.l, NULL, 0, &rep);
			if (e != HK_ECORRUPT || !rep.has_bad_seq ||
			    rep.bad_seq != (uint64_t)bad)
				fail_msg("%s: verify gave %d at %llu: %s",
				    tamper_names[t], e,
				    (unsigned long long)rep.bad_seq, rep.msg);
			print_message("# %s: %s\n", tamper_names[t], rep.msg);
		}
		fixture_free(&f);
	}
}

/* The bytes of data.mdb that LMDB's pages use. */
static uint64_t
pages_in_use(const char *dir)
{
	MDB_env *env;
	MDB_envinfo info;
	MDB_stat ms;

	assert_int_equal(mdb_env_create(&env), 0);
	assert_int_equal(mdb_env_set_maxdbs(env, 16), 0);
	assert_int_equal(mdb_env_open(env, dir, MDB_RDONLY, 0600), 0);
	assert_int_equal(mdb_env_info(env, &info), 0);
	assert_int_equal(mdb_env_stat(env, &ms), 0);
	mdb_env_close(env);
	return ((uint64_t)info.me_last_pgno + 1) * ms.ms_psize;
}

static void
test_OPS4_truncated_file_refused(void **state)
{
	struct ledger_opts ro = {0};
	struct fixture f;
	char path[400];

	(void)state;
	ro.readonly = 1;
	assert_int_equal(fixture_new(&f, ORIGIN), 0);
	append_n(&f, 400, 100);
	ledger_close(f.l);
	f.l = NULL;
	snprintf(path, sizeof(path), "%s/data.mdb", f.ledger);
	assert_int_equal(truncate(path, (off_t)pages_in_use(f.ledger) / 2), 0);
	assert_int_equal(ledger_open(f.ledger, &ro, NULL, &f.l), HK_ECORRUPT);
	fixture_free(&f);
}

static void
test_SIG6_receipts_verify_offline(void **state)
{
	static const uint64_t seqs[] = {0, 1, 2, 100, 127, 128, 254, 255, 256};
	struct ledger_note_verifier v, wrong;
	struct ledger_receipt rc;
	struct hk_buf text = HK_BUF_INIT, ev = HK_BUF_INIT, vk = HK_BUF_INIT;
	uint8_t pk[32], sk[64];
	const char *why;
	struct fixture f;
	size_t i;

	(void)state;
	assert_int_equal(fixture_new(&f, ORIGIN), 0);
	append_n(&f, 256, 8); /* 257 events */
	assert_int_equal(ledger_note_vkey_parse(ledger_vkey(f.l),
			     strlen(ledger_vkey(f.l)), &v), 0);
	crypto_sign_keypair(pk, sk);
	assert_int_equal(ledger_note_vkey(ORIGIN, pk, &vk), 0);
	assert_int_equal(ledger_note_vkey_parse((const char *)vk.p, vk.len,
			     &wrong), 0);
	for (i = 0; i < sizeof(seqs) / sizeof(seqs[0]); i++) {
		hk_buf_reset(&text);
		hk_buf_reset(&ev);
		assert_int_equal(ledger_receipt(f.l, seqs[i], &text), 0);
		assert_int_equal(ledger_event_get(f.l, seqs[i], &ev), 0);
		assert_int_equal(ledger_receipt_verify((const char *)text.p,
				     text.len, &v, 1, &rc, &why), 0);
		assert_true(rc.index == seqs[i] && rc.cp.size == 257);
		assert_int_equal(rc.extra.len, ev.len);
		assert_memory_equal(rc.extra.p, ev.p, ev.len);
		ledger_receipt_release(&rc);
		assert_int_equal(ledger_receipt_verify((const char *)text.p,
				     text.len, &wrong, 1, &rc, &why), HK_EVERIFY);
	}
	/* A flipped character in the first proof line breaks inclusion. */
	{
		char *p = strstr((char *)text.p, "\nindex ");

		p = strchr(p + 1, '\n') + 1;
		p[2] = p[2] == 'A' ? 'B' : 'A';
		assert_int_equal(ledger_receipt_verify((const char *)text.p,
				     text.len, &v, 1, &rc, &why), HK_EVERIFY);
		assert_string_equal(why, "inclusion proof does not lead to the "
					 "checkpoint root");
	}
	assert_int_equal(ledger_receipt(f.l, 257, &text), HK_ENOTFOUND);
	hk_buf_release(&text);
	hk_buf_release(&ev);
	hk_buf_release(&vk);
	fixture_free(&f);
}

static void
test_OPS4_consistency_proofs_verify_offline(void **state)
{
	static const uint64_t olds[] = {1, 2, 3, 64, 100, 200, 255, 256, 257};
	struct ledger_note_verifier v;
	struct ledger_checkpoint oldcp, newcp;
	struct hk_buf cp = HK_BUF_INIT, text = HK_BUF_INIT;
	const char *why;
	struct fixture f;
	size_t i, blen;

	(void)state;
	assert_int_equal(fixture_new(&f, ORIGIN), 0);
	append_n(&f, 256, 8);
	assert_int_equal(ledger_note_vkey_parse(ledger_vkey(f.l),
			     strlen(ledger_vkey(f.l)), &v), 0);
	for (i = 0; i < sizeof(olds) / sizeof(olds[0]); i++) {
		hk_buf_reset(&cp);
		hk_buf_reset(&text);
		/* Every append_wait was its own commit: each size has a
		 * checkpoint, which plays the auditor's kept copy. */
		assert_int_equal(ledger_checkpoint_get(f.l, olds[i], &cp, NULL),
		    0);
		assert_int_equal(ledger_note_open((const char *)cp.p, cp.len, &v,
				     1, &blen), 0);
		assert_int_equal(ledger_note_checkpoint_parse((const char *)cp.p,
				     blen, &oldcp), 0);
		assert_int_equal(ledger_consistency_text(f.l, olds[i], 0, &text),
		    0);
		assert_int_equal(ledger_consistency_verify((const char *)text.p,
				     text.len, &v, 1, oldcp.size, oldcp.root,
				     &newcp, &why), 0);
		assert_true(newcp.size == 257);
		oldcp.root[0] ^= 1;
		assert_int_equal(ledger_consistency_verify((const char *)text.p,
				     text.len, &v, 1, oldcp.size, oldcp.root,
				     &newcp, &why), HK_EVERIFY);
	}
	assert_int_equal(ledger_consistency_text(f.l, 258, 0, &text), HK_ERANGE);
	hk_buf_release(&cp);
	hk_buf_release(&text);
	fixture_free(&f);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_SIG3_appends_are_durable_and_ordered),
		cmocka_unit_test(test_OPS4_lmdb_default_durability),
		cmocka_unit_test(test_SIG3_concurrent_producers_group_commit),
		cmocka_unit_test(test_SIG3_close_commits_everything_queued),
		cmocka_unit_test(test_SIG3_fails_closed_after_a_failed_commit),
		cmocka_unit_test(test_SIG3_map_grows_under_readers),
		cmocka_unit_test(test_REG1_vault_commits_with_its_event),
		cmocka_unit_test(test_ledger_refusals),
		cmocka_unit_test(test_OPS4_verify_detects_every_tampering),
		cmocka_unit_test(test_OPS4_truncated_file_refused),
		cmocka_unit_test(test_SIG6_receipts_verify_offline),
		cmocka_unit_test(test_OPS4_consistency_proofs_verify_offline),
	};

	if (sodium_init() < 0)
		return 1;
	hk_log_set_level(HK_LOG_ERROR - 1); /* the refusals log by design */
	return cmocka_run_group_tests(tests, NULL, NULL);
}
