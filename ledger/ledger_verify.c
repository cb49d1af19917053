/* SPDX-License-Identifier: Apache-2.0 */
/*
 * ledger_verify: the full, independent re-check of a ledger (OPS-4, SIG-6).
 * Every leaf and node hash is recomputed from the stored event bytes, as
 * they are, and compared with the stored hashes; every stored checkpoint
 * must sign the recomputed root at its size, so consecutive checkpoints
 * are consistent by construction. The first problem is reported with the
 * seq it concerns.
 */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/log.h"
#include "ledger/ledger_internal.h"

static int
report_bad(struct ledger_verify_report *rep, int has_seq, uint64_t seq,
    const char *fmt, ...) __attribute__((format(printf, 4, 5)));

static int
report_bad(struct ledger_verify_report *rep, int has_seq, uint64_t seq,
    const char *fmt, ...)
{
	va_list ap;

	rep->has_bad_seq = has_seq;
	rep->bad_seq = seq;
	va_start(ap, fmt);
	vsnprintf(rep->msg, sizeof(rep->msg), fmt, ap);
	va_end(ap);
	return HK_ECORRUPT;
}

struct vstate {
	struct ledger *l;
	MDB_txn *txn;
	MDB_cursor *ev, *h, *cp;
	struct hk_sha256 *hasher;
	struct ledger_merkle_edge edge;
	struct ledger_note_verifier vers[8];
	size_t nvers;
	uint8_t prev[LEDGER_HASH_LEN];
	uint64_t last_time;
	bool cp_more;
	uint64_t cp_size;
	MDB_val cp_val;
	struct ledger_verify_report *rep;
};

static int
cp_next(struct vstate *s, MDB_cursor_op op)
{
	MDB_val k;
	int rc;

	rc = mdb_cursor_get(s->cp, &k, &s->cp_val, op);
	if (rc == MDB_NOTFOUND) {
		s->cp_more = false;
		return 0;
	}
	if (rc != 0)
		return ledger_store_err(__func__, rc);
	if (k.mv_size != 8)
		return report_bad(s->rep, 0, 0, "checkpoint table key is not "
						"a 64-bit size");
	s->cp_more = true;
	s->cp_size = ledger_key_get(k.mv_data);
	return 0;
}

/* Check the stored checkpoint for the tree of s->edge.n leaves. */
static int
check_checkpoint(struct vstate *s)
{
	struct ledger_checkpoint cp;
	uint8_t root[LEDGER_HASH_LEN];
	uint64_t n = s->edge.n;
	size_t blen;
	int r;

	if ((r = ledger_merkle_edge_root(s->hasher, &s->edge, root)) != 0)
		return r;
	if (ledger_note_open(s->cp_val.mv_data, s->cp_val.mv_size, s->vers,
		s->nvers, &blen) != 0)
		return report_bad(s->rep, 1, n - 1,
		    "checkpoint for size %" PRIu64 ": signature does not verify "
		    "with the ledger's key", n);
	if (ledger_note_checkpoint_parse(s->cp_val.mv_data, blen, &cp) != 0)
		return report_bad(s->rep, 1, n - 1,
		    "checkpoint for size %" PRIu64 ": malformed body", n);
	if (strcmp(cp.origin, s->l->origin) != 0 || cp.size != n)
		return report_bad(s->rep, 1, n - 1,
		    "checkpoint for size %" PRIu64 ": names origin %s size %"
		    PRIu64, n, cp.origin, cp.size);
	if (memcmp(cp.root, root, LEDGER_HASH_LEN) != 0)
		return report_bad(s->rep, 1, n - 1,
		    "checkpoint for size %" PRIu64 ": signed root differs from "
		    "the root recomputed from the events", n);
	s->rep->checkpoints++;
	return cp_next(s, MDB_NEXT);
}

/* Check one event (stored at key ${seq}) and its stored hashes. */
static int
check_event(struct vstate *s, uint64_t seq, MDB_val *v)
{
	struct ledger_verify_report *rep = s->rep;
	uint8_t leaf[LEDGER_HASH_LEN], stored[64][LEDGER_HASH_LEN];
	struct hk_mpk_error perr = {NULL, 0};
	struct hk_event ev;
	MDB_val hk, hv;
	int count, rc, r, i;

	if (hk_event_decode(v->mv_data, v->mv_size, &ev, &perr) != 0)
		return report_bad(rep, 1, seq,
		    "event outside the profile: %s at byte %zu", perr.msg,
		    perr.off);
	if (ev.seq != seq)
		return report_bad(rep, 1, seq,
		    "event records seq %" PRIu64 " (events moved or swapped)",
		    ev.seq);
	if (ev.origin.n != strlen(s->l->origin) ||
	    memcmp(ev.origin.p, s->l->origin, ev.origin.n) != 0)
		return report_bad(rep, 1, seq,
		    "event names another origin");
	if (memcmp(ev.prev, s->prev, LEDGER_HASH_LEN) != 0)
		return report_bad(rep, 1, seq,
		    "prev differs from the leaf hash of the previous event "
		    "(chain broken)");
	if (ev.time_ms < s->last_time)
		return report_bad(rep, 1, seq,
		    "time runs backwards");
	if ((seq == 0) != (ev.type == HK_EV_LEDGER_GENESIS))
		return report_bad(rep, 1, seq, "%s", seq == 0 ?
		    "first event is not the ledger genesis" :
		    "genesis event after seq 0");
	if (seq == 0) {
		struct hk_bytes vk;

		if (hk_event_body_str(ev.body, HK_BODY_GENESIS_VKEY, &vk) != 0 ||
		    vk.n != strlen(s->l->vkey) ||
		    memcmp(vk.p, s->l->vkey, vk.n) != 0)
			return report_bad(rep, 1, seq,
			    "genesis does not record the ledger's verifier "
			    "key");
	}
	if ((r = ledger_merkle_leaf_hash(s->hasher, v->mv_data, v->mv_size,
		 leaf)) != 0 ||
	    (r = ledger_merkle_edge_append(s->hasher, &s->edge, leaf, stored,
		 &count)) != 0)
		return r;
	rc = mdb_cursor_get(s->h, &hk, &hv, MDB_NEXT);
	if (rc == MDB_NOTFOUND || (rc == 0 && (hk.mv_size != 8 ||
					      ledger_key_get(hk.mv_data) != seq)))
		return report_bad(rep, 1, seq,
		    "stored hashes missing");
	if (rc != 0)
		return ledger_store_err(__func__, rc);
	if (hv.mv_size != (size_t)count * LEDGER_HASH_LEN)
		return report_bad(rep, 1, seq,
		    "%zu bytes of stored hashes, expected %d hashes",
		    hv.mv_size, count);
	for (i = 0; i < count; i++)
		if (memcmp((const uint8_t *)hv.mv_data + i * LEDGER_HASH_LEN,
			stored[i], LEDGER_HASH_LEN) != 0)
			return report_bad(rep, 1, seq,
			    "stored %s hash differs from the one recomputed "
			    "from the event", i == 0 ? "leaf" : "node");
	memcpy(s->prev, leaf, LEDGER_HASH_LEN);
	s->last_time = ev.time_ms;
	rep->events++;
	while (s->cp_more && s->cp_size == s->edge.n)
		if ((r = check_checkpoint(s)) != 0)
			return r;
	if (s->cp_more && s->cp_size < s->edge.n)
		return report_bad(rep, 1, seq,
		    "checkpoint for size %" PRIu64 " out of order", s->cp_size);
	return 0;
}

/** ledger_verify(l, trusted, ntrusted, report): full verification. */
int
ledger_verify(struct ledger *l, const struct ledger_note_verifier *trusted,
    size_t ntrusted, struct ledger_verify_report *rep)
{
	struct vstate *s;
	uint8_t kb[8];
	MDB_val k, v, mv;
	uint64_t seq = 0, size;
	int rc, r;

	memset(rep, 0, sizeof(*rep));
	if ((s = calloc(1, sizeof(*s))) == NULL)
		return HK_ENOMEM;
	s->l = l;
	s->rep = rep;
	if ((s->hasher = hk_sha256_new()) == NULL) {
		r = HK_ENOMEM;
		goto out;
	}
	if (ntrusted > 0) {
		if (ntrusted > sizeof(s->vers) / sizeof(s->vers[0])) {
			r = HK_EINVAL;
			goto out;
		}
		memcpy(s->vers, trusted, ntrusted * sizeof(*trusted));
		s->nvers = ntrusted;
	} else if (ledger_note_vkey_parse(l->vkey, strlen(l->vkey),
		       &s->vers[0]) == 0) {
		s->nvers = 1;
	} else {
		r = report_bad(rep, 0, 0, "ledger verifier key is malformed");
		goto out;
	}
	if ((r = ledger_rtxn_begin(l, &s->txn)) != 0)
		goto out;
	if ((rc = mdb_cursor_open(s->txn, l->ev, &s->ev)) != 0 ||
	    (rc = mdb_cursor_open(s->txn, l->h, &s->h)) != 0 ||
	    (rc = mdb_cursor_open(s->txn, l->cp, &s->cp)) != 0) {
		r = ledger_store_err(__func__, rc);
		goto out;
	}
	if ((r = cp_next(s, MDB_FIRST)) != 0)
		goto out;
	if (s->cp_more && s->cp_size == 0) {
		r = report_bad(rep, 0, 0, "checkpoint for size 0 stored");
		goto out;
	}
	for (rc = mdb_cursor_get(s->ev, &k, &v, MDB_FIRST); rc == 0;
	     rc = mdb_cursor_get(s->ev, &k, &v, MDB_NEXT), seq++) {
		uint64_t key;

		if (k.mv_size != 8) {
			r = report_bad(rep, 1, seq, "event key is not 64 bits");
			goto out;
		}
		if ((key = ledger_key_get(k.mv_data)) != seq) {
			r = report_bad(rep, 1, seq, "event missing (next "
			    "stored event is %" PRIu64 ")", key);
			goto out;
		}
		if ((r = check_event(s, seq, &v)) != 0)
			goto out;
	}
	if (rc != MDB_NOTFOUND) {
		r = ledger_store_err(__func__, rc);
		goto out;
	}
	if (seq == 0) {
		r = report_bad(rep, 0, 0, "ledger holds no events");
		goto out;
	}
	if (s->cp_more) {
		r = report_bad(rep, 1, seq, "checkpoint for size %" PRIu64
		    " but only %" PRIu64 " events: events deleted from the "
		    "tail", s->cp_size, seq);
		goto out;
	}
	if ((rc = mdb_cursor_get(s->h, &k, &v, MDB_NEXT)) == 0) {
		r = report_bad(rep, 1, seq, "stored hashes beyond the last "
		    "event (seq %" PRIu64 "): events deleted from the tail",
		    seq - 1);
		goto out;
	}
	if ((r = ledger_merkle_edge_root(s->hasher, &s->edge, rep->root)) != 0)
		goto out;
	k.mv_size = 4;
	k.mv_data = "size";
	if ((rc = mdb_get(s->txn, l->meta, &k, &mv)) != 0 || mv.mv_size != 8 ||
	    (size = ledger_key_get(mv.mv_data)) != seq) {
		r = report_bad(rep, 1, seq, "metadata size disagrees with the %"
		    PRIu64 " stored events", seq);
		goto out;
	}
	k.mv_data = "root";
	if ((rc = mdb_get(s->txn, l->meta, &k, &mv)) != 0 ||
	    mv.mv_size != LEDGER_HASH_LEN ||
	    memcmp(mv.mv_data, rep->root, LEDGER_HASH_LEN) != 0) {
		r = report_bad(rep, 1, seq - 1, "metadata root differs from the "
		    "recomputed root");
		goto out;
	}
	ledger_key_put(kb, seq);
	k.mv_size = 8;
	k.mv_data = kb;
	if (mdb_get(s->txn, l->cp, &k, &mv) != 0) {
		r = report_bad(rep, 1, seq - 1, "no checkpoint covers the last "
		    "event (seq %" PRIu64 ")", seq - 1);
		goto out;
	}
	r = 0;
out:
	if (s->ev != NULL)
		mdb_cursor_close(s->ev);
	if (s->h != NULL)
		mdb_cursor_close(s->h);
	if (s->cp != NULL)
		mdb_cursor_close(s->cp);
	if (s->txn != NULL)
		ledger_rtxn_end(l, s->txn);
	hk_sha256_free(s->hasher);
	free(s);
	return r;
}
