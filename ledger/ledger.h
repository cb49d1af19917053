/* SPDX-License-Identifier: Apache-2.0 */
/*
 * ledger: the append-only event ledger in LMDB (SIG-3, SIG-6, OPS-4).
 *
 * Tables of one LMDB environment (default durability: never MDB_NOSYNC,
 * MDB_NOMETASYNC or MDB_MAPASYNC):
 *   ev    u64 BE seq -> the event's msgpack bytes (appended)
 *   h     u64 BE seq -> the Merkle hashes that became final with that leaf,
 *         level 0 first (ledger_merkle.h; the sumdb/tlog stored-hash order)
 *   cp    u64 BE tree size -> signed checkpoint note (one per group commit)
 *   meta  "origin", "vkey", "size" (u64 BE), "root" (32 bytes)
 *
 * Appends go through one writer thread that takes events from any number
 * of producer threads and commits them in one transaction per batch
 * (bounded by a count and a time window) together with a checkpoint of the
 * new tree, signed through a callback. Only after the commit returns does
 * a producer's callback learn its seq: a seq handed out is durable. When
 * a commit fails the ledger fails closed: that batch, everything queued
 * and every later append fail with HK_ELEDGER_FAILED until the process
 * restarts.
 *
 * WARNING: an MDB_env must not cross fork(); open the ledger after any
 * fork (LMDB lmdb.h, "Caveats").
 */
#ifndef LEDGER_H
#define LEDGER_H

#include <stddef.h>
#include <stdint.h>

#include "core/buf.h"
#include "core/err.h"
#include "core/event.h"
#include "ledger/ledger_merkle.h"
#include "ledger/ledger_note.h"

struct ledger;

/* Completion of an append, called once on the writer thread with 0 and the
 * event's seq, or a negative HK_E* (and seq 0). Keep it short: the next
 * batch waits for it. */
typedef void (*ledger_append_cb)(void *arg, int status, uint64_t seq);

struct ledger_opts {
	size_t map_size;      /* initial LMDB map size in bytes; 0: 1 GiB.
				 The writer doubles it when 3/4 is used */
	size_t map_max;       /* the map never grows beyond this; 0: 1 TiB
				 (about 3 billion events of 256 bytes) */
	unsigned max_batch;   /* events per commit at most; 0: 4096 */
	unsigned window_us;   /* wait this long for more events before a
				 commit that is not full; 0: commit at once
				 (batches still form while the previous
				 commit syncs) */
	int readonly;         /* open for reading only (no writer thread) */
};

/** ledger_create(dir, origin, signer, genesis): create a new ledger in the
 * directory ${dir} (made 0700 if missing) with ${genesis} (type
 * HK_EV_LEDGER_GENESIS; seq, time, prev and origin are filled in) as event
 * 0 and its signed checkpoint. HK_EEXIST if a ledger is already there;
 * HK_EINVAL for a bad origin or event. */
HK_MUST_CHECK int ledger_create(const char *dir, const char *origin,
    const struct ledger_note_signer *signer, const struct hk_event *genesis);

/** ledger_open(dir, opts, signer, out): open an existing ledger. Checks
 * that the file is not truncated and that the events, hashes, checkpoints
 * and metadata agree on the tree size and root (a full check is
 * ledger_verify()). For writing, ${signer} (borrowed until
 * ledger_close()) signs checkpoints and must be the ledger's key.
 * 0, HK_ENOTFOUND, HK_ECORRUPT (with the reason logged), HK_ESTORE. */
HK_MUST_CHECK int ledger_open(const char *dir, const struct ledger_opts *opts,
    const struct ledger_note_signer *signer, struct ledger **out);

/** ledger_close(l): drain and commit everything already queued, stop the
 * writer and close the environment. Accepts NULL. */
void ledger_close(struct ledger *l);

/** ledger_append(l, ev, cb, arg): queue ${ev} (its type, actor, subject
 * and body; the writer assigns seq, time and prev). Any thread. Returns 0
 * and calls ${cb} exactly once later; or returns HK_EINVAL (bad event),
 * HK_ETOOBIG, HK_ENOMEM, HK_ECLOSED or HK_ELEDGER_FAILED and never calls
 * it. */
HK_MUST_CHECK int ledger_append(struct ledger *l, const struct hk_event *ev,
    ledger_append_cb cb, void *arg);

/*
 * The vault: a table of the same LMDB environment for what must be durable
 * with an event but must never enter the Merkle tree, the exports or the
 * receipts: argon2id hashes, wrapped keys, encrypted attributes, enrollment
 * code hashes (REG-1, REG-2). Records can be replaced and deleted (erasure).
 * It is not verified by ledger_verify(). Callers encrypt what needs it.
 * WARNING: LMDB does not wipe freed pages; a deleted record may survive in
 * the file until its page is reused. Keep vault values encrypted or hashed
 * so that a stale copy is useless without the HSM.
 */
struct ledger_vault_op {
	const uint8_t *key;
	size_t klen;        /* 1..LEDGER_VAULT_KEY_MAX */
	const uint8_t *val; /* NULL: delete the record */
	size_t vlen;
};

#define LEDGER_VAULT_KEY_MAX 128
#define LEDGER_VAULT_VAL_MAX 65536

/** ledger_append_vault(l, ev, ops, nops, cb, arg): ledger_append() whose
 * commit also applies ${ops} (copied) to the vault, in the same
 * transaction: both become durable together or not at all. HK_EINVAL for
 * a bad op, otherwise as ledger_append(). */
HK_MUST_CHECK int ledger_append_vault(struct ledger *l,
    const struct hk_event *ev, const struct ledger_vault_op *ops, size_t nops,
    ledger_append_cb cb, void *arg);

/** ledger_append_vault_wait(l, ev, ops, nops, seq): the same, waiting for
 * the commit. Not on an event loop thread. */
HK_MUST_CHECK int ledger_append_vault_wait(struct ledger *l,
    const struct hk_event *ev, const struct ledger_vault_op *ops, size_t nops,
    uint64_t *seq);

/** ledger_vault_get(l, key, klen, out): append the committed value of
 * vault record ${key} to ${out}. 0, HK_ENOTFOUND or HK_ESTORE. */
HK_MUST_CHECK int ledger_vault_get(struct ledger *l, const uint8_t *key,
    size_t klen, struct hk_buf *out);

/** ledger_append_wait(l, ev, seq): ledger_append() and wait for the
 * commit; ${seq} (may be NULL) receives the event's seq. Not on an event
 * loop thread. */
HK_MUST_CHECK int ledger_append_wait(struct ledger *l,
    const struct hk_event *ev, uint64_t *seq);

/** ledger_failure(l): NULL while the ledger accepts writes; otherwise a
 * message saying why it stopped (valid until ledger_close()). */
const char *ledger_failure(struct ledger *l);

/** ledger_origin(l): the ledger's origin (valid until ledger_close()). */
const char *ledger_origin(const struct ledger *l);

/** ledger_vkey(l): the verifier key recorded at creation (valid until
 * ledger_close()). */
const char *ledger_vkey(const struct ledger *l);

/** ledger_size(l, size, root): the committed tree size and root (${root}
 * may be NULL). Any thread. 0 or HK_ESTORE. */
HK_MUST_CHECK int ledger_size(struct ledger *l, uint64_t *size,
    uint8_t root[LEDGER_HASH_LEN]);

/** ledger_event_get(l, seq, out): append the stored bytes of event ${seq}
 * to ${out}. 0, HK_ENOTFOUND or HK_ESTORE. */
HK_MUST_CHECK int ledger_event_get(struct ledger *l, uint64_t seq,
    struct hk_buf *out);

/** ledger_checkpoint_get(l, size, out): append the signed checkpoint stored
 * for tree size ${size} (0: the latest) to ${out}; ${got} (may be NULL)
 * receives its size. 0, HK_ENOTFOUND or HK_ESTORE. */
HK_MUST_CHECK int ledger_checkpoint_get(struct ledger *l, uint64_t size,
    struct hk_buf *out, uint64_t *got);

/** ledger_tree_hash(l, size, root): the root of the first ${size} leaves. */
HK_MUST_CHECK int ledger_tree_hash(struct ledger *l, uint64_t size,
    uint8_t root[LEDGER_HASH_LEN]);

/** ledger_inclusion(l, seq, size, proof, len): the inclusion proof of leaf
 * ${seq} in the tree of ${size} leaves (O(log n) point reads). */
HK_MUST_CHECK int ledger_inclusion(struct ledger *l, uint64_t seq,
    uint64_t size, uint8_t proof[LEDGER_PROOF_MAX][LEDGER_HASH_LEN],
    size_t *len);

/** ledger_consistency(l, m, n, proof, len): the consistency proof between
 * tree sizes ${m} <= ${n}. */
HK_MUST_CHECK int ledger_consistency(struct ledger *l, uint64_t m,
    uint64_t n, uint8_t proof[LEDGER_PROOF_MAX][LEDGER_HASH_LEN],
    size_t *len);

/** ledger_receipt(l, seq, out): append a C2SP tlog-proof@v1 receipt for
 * event ${seq} against the latest checkpoint: "extra" is the exact event
 * bytes. 0, HK_ENOTFOUND or HK_ESTORE. */
HK_MUST_CHECK int ledger_receipt(struct ledger *l, uint64_t seq,
    struct hk_buf *out);

/** ledger_consistency_text(l, m, n, out): append "old <m>", the proof lines
 * in base64, an empty line and the checkpoint stored for size ${n} (0: the
 * latest): the body of a C2SP tlog-witness add-checkpoint request.
 * HK_ENOTFOUND if no checkpoint is stored for ${n}. */
HK_MUST_CHECK int ledger_consistency_text(struct ledger *l, uint64_t m,
    uint64_t n, struct hk_buf *out);

/* Sequential reading. */
struct ledger_iter;

/** ledger_iter_new(l, from, out): iterate events from seq ${from}. The
 * iterator holds a read snapshot until ledger_iter_free(). */
HK_MUST_CHECK int ledger_iter_new(struct ledger *l, uint64_t from,
    struct ledger_iter **out);

/** ledger_iter_next(it, seq, ev): the next event; its bytes are borrowed
 * until the next call or ledger_iter_free(). 0, HK_ENOTFOUND at the end,
 * HK_ESTORE. */
HK_MUST_CHECK int ledger_iter_next(struct ledger_iter *it, uint64_t *seq,
    struct hk_bytes *ev);

/** ledger_iter_free(it): release the snapshot; accepts NULL. */
void ledger_iter_free(struct ledger_iter *it);

/* The result of a full verification. */
struct ledger_verify_report {
	uint64_t events;      /* events checked */
	uint64_t checkpoints; /* checkpoints checked */
	uint64_t bad_seq;     /* first bad seq (when status != 0 and
				 has_bad_seq) */
	int has_bad_seq;
	char msg[256];        /* what is wrong (empty when intact) */
	uint8_t root[LEDGER_HASH_LEN];
};

/** ledger_verify(l, trusted, ntrusted, report): recompute every leaf and
 * node hash from the stored events and compare with the stored hashes;
 * check the profile, seq == index, the prev chain, non-decreasing time,
 * the genesis event, every stored checkpoint (origin, size, root,
 * signature by the ledger's key, or by one of ${trusted} when given) and
 * the metadata. Returns 0 when intact, HK_ECORRUPT with ${report}
 * describing the first problem, or another HK_E* for an operational
 * failure. Runs in the calling thread on a read snapshot. */
HK_MUST_CHECK int ledger_verify(struct ledger *l,
    const struct ledger_note_verifier *trusted, size_t ntrusted,
    struct ledger_verify_report *report);

#endif
