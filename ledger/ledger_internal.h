/* SPDX-License-Identifier: Apache-2.0 */
/* ledger_internal: declarations shared inside the ledger module. */
#ifndef LEDGER_INTERNAL_H
#define LEDGER_INTERNAL_H

#include <pthread.h>
#include <stdbool.h>

#include <lmdb.h>

#include "ledger/ledger.h"

struct pending {
	struct pending *next;
	ledger_append_cb cb;
	void *arg;
	size_t mid_len;
	size_t vault_len; /* serialised vault ops after mid (see ledger.c) */
	uint8_t mid[];    /* hk_event_encode_mid() output, then vault ops */
};

struct ledger {
	MDB_env *env;
	MDB_dbi ev, h, cp, meta, vault;
	bool has_vault;
	char origin[HK_EVENT_ORIGIN_MAX + 1];
	char vkey[512];
	bool readonly;

	/* Writer state: touched only by the writer thread once started. */
	const struct ledger_note_signer *signer;
	struct hk_sha256 *hasher;
	struct ledger_merkle_edge edge;
	uint8_t last_leaf[LEDGER_HASH_LEN];
	uint64_t last_time;
	struct hk_buf evbuf, note;
	unsigned max_batch, window_us;

	/* The map gate: read transactions of this process hold it shared;
	 * growing the map (mdb_env_set_mapsize) needs it exclusive because
	 * LMDB allows a resize only with no transaction active in the
	 * process. Waiting resizers take precedence over new readers. */
	pthread_mutex_t gate_mu;
	pthread_cond_t gate_cv;
	unsigned readers;
	bool resizing;
	size_t map_max;

	/* Queue, protected by mu. */
	pthread_mutex_t mu;
	pthread_cond_t wake;
	struct pending *head, **tail;
	size_t queued;
	bool closing;
	bool failed;
	char failmsg[256];
	pthread_t writer;
	bool writer_started;
};

/* Big-endian u64 keys sort numerically under LMDB's memcmp order. */
static inline void
ledger_key_put(uint8_t k[8], uint64_t v)
{
	int i;

	for (i = 7; i >= 0; i--) {
		k[i] = (uint8_t)v;
		v >>= 8;
	}
}

static inline uint64_t
ledger_key_get(const uint8_t k[8])
{
	uint64_t v = 0;
	int i;

	for (i = 0; i < 8; i++)
		v = v << 8 | k[i];
	return v;
}

/* Reading stored hashes inside one read transaction. */
struct ledger_hread {
	MDB_txn *txn;
	MDB_dbi dbi;
};

/** ledger_hread_cb(arg, level, index, out): a ledger_merkle_read_cb over
 * the h table of ${arg} (struct ledger_hread). */
int ledger_hread_cb(void *arg, int level, uint64_t index,
    uint8_t out[LEDGER_HASH_LEN]);

/** ledger_rtxn_begin(l, txn): a read transaction inside the map gate;
 * end it with ledger_rtxn_end(). Adopts a map grown by another process. */
int ledger_rtxn_begin(struct ledger *l, MDB_txn **txn);

/** ledger_rtxn_end(l, txn): abort the read transaction, leave the gate. */
void ledger_rtxn_end(struct ledger *l, MDB_txn *txn);

/** ledger_store_err(func, rc): log an LMDB error once and map it. */
int ledger_store_err(const char *func, int rc);

#endif
