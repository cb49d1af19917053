/* SPDX-License-Identifier: Apache-2.0 */
/*
 * ledger: LMDB storage, the group-commit writer, proofs and receipts (see
 * ledger.h). SIG-3 (nothing acknowledged before it is durable), SIG-6 and
 * OPS-4 (Merkle tree, signed checkpoints, receipts).
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include <sodium.h>

#include "core/codec.h"
#include "core/log.h"
#include "ledger/ledger_internal.h"

#define DEFAULT_MAP_SIZE ((size_t)1 << 30)
#define DEFAULT_MAP_MAX ((size_t)1 << 40)
#define DEFAULT_MAX_BATCH 4096
/* Bytes an event adds around its encoded fields [4..7]: array header,
 * version, origin header, seq, time, prev. */
#define FRAME_OVERHEAD (1 + 1 + 2 + 9 + 9 + 2 + HK_EVENT_PREV_LEN)

/** ledger_store_err(func, rc): log an LMDB error once and map it. */
int
ledger_store_err(const char *func, int rc)
{
	hk_log_msg(HK_LOG_ERROR, func, "LMDB: %s", mdb_strerror(rc));
	if (rc == MDB_MAP_FULL)
		return HK_ENOSPACE;
	if (rc == MDB_CORRUPTED || rc == MDB_PAGE_NOTFOUND || rc == MDB_INVALID)
		return HK_ECORRUPT;
	return HK_ESTORE;
}

/* One hashing context per thread, for proofs served from any thread. */
static pthread_key_t hasher_key;
static pthread_once_t hasher_once = PTHREAD_ONCE_INIT;

static void
hasher_free(void *h)
{
	hk_sha256_free(h);
}

static void
hasher_key_init(void)
{
	if (pthread_key_create(&hasher_key, hasher_free) != 0)
		abort();
}

static struct hk_sha256 *
thread_hasher(void)
{
	struct hk_sha256 *h;

	pthread_once(&hasher_once, hasher_key_init);
	if ((h = pthread_getspecific(hasher_key)) != NULL)
		return h;
	if ((h = hk_sha256_new()) == NULL)
		return NULL;
	if (pthread_setspecific(hasher_key, h) != 0) {
		hk_sha256_free(h);
		return NULL;
	}
	return h;
}

static void
gate_read_enter(struct ledger *l)
{
	pthread_mutex_lock(&l->gate_mu);
	while (l->resizing)
		pthread_cond_wait(&l->gate_cv, &l->gate_mu);
	l->readers++;
	pthread_mutex_unlock(&l->gate_mu);
}

static void
gate_read_exit(struct ledger *l)
{
	pthread_mutex_lock(&l->gate_mu);
	if (--l->readers == 0)
		pthread_cond_broadcast(&l->gate_cv);
	pthread_mutex_unlock(&l->gate_mu);
}

static void
gate_write_enter(struct ledger *l)
{
	pthread_mutex_lock(&l->gate_mu);
	while (l->resizing)
		pthread_cond_wait(&l->gate_cv, &l->gate_mu);
	l->resizing = true;
	while (l->readers > 0)
		pthread_cond_wait(&l->gate_cv, &l->gate_mu);
	pthread_mutex_unlock(&l->gate_mu);
}

static void
gate_write_exit(struct ledger *l)
{
	pthread_mutex_lock(&l->gate_mu);
	l->resizing = false;
	pthread_cond_broadcast(&l->gate_cv);
	pthread_mutex_unlock(&l->gate_mu);
}

/** ledger_rtxn_begin(l, txn): a read transaction inside the map gate. */
int
ledger_rtxn_begin(struct ledger *l, MDB_txn **txn)
{
	int rc, tries;

	for (tries = 0; tries < 2; tries++) {
		gate_read_enter(l);
		rc = mdb_txn_begin(l->env, NULL, MDB_RDONLY, txn);
		if (rc == 0)
			return 0;
		gate_read_exit(l);
		if (rc != MDB_MAP_RESIZED)
			break;
		/* Another process grew the map: adopt its size. */
		gate_write_enter(l);
		rc = mdb_env_set_mapsize(l->env, 0);
		gate_write_exit(l);
		if (rc != 0)
			break;
	}
	return ledger_store_err(__func__, rc);
}

/** ledger_rtxn_end(l, txn): abort the read transaction, leave the gate. */
void
ledger_rtxn_end(struct ledger *l, MDB_txn *txn)
{
	mdb_txn_abort(txn);
	gate_read_exit(l);
}

/*
 * grow(l, need): make sure the map has room for ${need} more bytes with a
 * quarter to spare, doubling it (up to map_max) while no read transaction
 * of this process is active. Writer thread only.
 */
static int
grow(struct ledger *l, size_t need)
{
	MDB_envinfo info;
	MDB_stat ms;
	size_t used, size;
	int rc;

	if (mdb_env_info(l->env, &info) != 0 || mdb_env_stat(l->env, &ms) != 0)
		return HK_ESTORE;
	used = ((size_t)info.me_last_pgno + 1) * ms.ms_psize;
	size = info.me_mapsize;
	if ((used + need) / 3 < size / 4)
		return 0;
	while ((used + need) / 3 >= size / 4 && size < l->map_max)
		size = size * 2 > l->map_max ? l->map_max : size * 2;
	if (size == info.me_mapsize)
		return 0; /* at the limit: the commit will tell */
	gate_write_enter(l);
	rc = mdb_env_set_mapsize(l->env, size);
	gate_write_exit(l);
	if (rc != 0)
		return ledger_store_err(__func__, rc);
	hk_info_f("ledger map grown to %zu MiB (%zu MiB in use)", size >> 20,
	    used >> 20);
	return 0;
}

static uint64_t
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/** ledger_hread_cb(arg, level, index, out): read a stored subtree hash. */
int
ledger_hread_cb(void *arg, int level, uint64_t index,
    uint8_t out[LEDGER_HASH_LEN])
{
	struct ledger_hread *hr = arg;
	uint8_t kb[8];
	MDB_val k = {8, kb}, v;
	int rc;

	if (level < 0 || level > 62 || index >= (UINT64_MAX >> level) >> 1)
		return HK_ERANGE;
	ledger_key_put(kb, ((index + 1) << level) - 1);
	if ((rc = mdb_get(hr->txn, hr->dbi, &k, &v)) == MDB_NOTFOUND)
		return HK_ENOTFOUND;
	if (rc != 0)
		return ledger_store_err(__func__, rc);
	if (v.mv_size % LEDGER_HASH_LEN != 0 ||
	    v.mv_size < (size_t)(level + 1) * LEDGER_HASH_LEN)
		return HK_ECORRUPT;
	memcpy(out, (const uint8_t *)v.mv_data + (size_t)level * LEDGER_HASH_LEN,
	    LEDGER_HASH_LEN);
	return 0;
}

static int
env_open(const char *dir, unsigned flags, size_t map_size, MDB_env **out)
{
	MDB_env *env = NULL;
	int rc;

	if ((rc = mdb_env_create(&env)) != 0)
		return ledger_store_err(__func__, rc);
	/* Default durability on purpose: never MDB_NOSYNC, MDB_NOMETASYNC or
	 * MDB_MAPASYNC. MDB_NOTLS lets read transactions run on any thread. */
	if ((rc = mdb_env_set_maxdbs(env, 5)) != 0 ||
	    (rc = mdb_env_set_mapsize(env,
		 map_size ? map_size : DEFAULT_MAP_SIZE)) != 0 ||
	    (rc = mdb_env_open(env, dir, flags | MDB_NOTLS, 0600)) != 0) {
		int e = rc == ENOENT ? HK_ENOTFOUND : ledger_store_err(__func__, rc);

		mdb_env_close(env);
		return e;
	}
	*out = env;
	return 0;
}

static int
dbis_open(struct ledger *l, MDB_txn *txn, unsigned flags)
{
	int rc;

	if ((rc = mdb_dbi_open(txn, "ev", flags, &l->ev)) != 0 ||
	    (rc = mdb_dbi_open(txn, "h", flags, &l->h)) != 0 ||
	    (rc = mdb_dbi_open(txn, "cp", flags, &l->cp)) != 0 ||
	    (rc = mdb_dbi_open(txn, "meta", flags, &l->meta)) != 0) {
		if (rc == MDB_NOTFOUND) {
			hk_error_f("ledger tables missing");
			return HK_ECORRUPT;
		}
		return ledger_store_err(__func__, rc);
	}
	return 0;
}

/* The vault table; ledgers made before it existed get it on first write
 * open. */
static int
vault_open(struct ledger *l, MDB_txn *txn, unsigned flags)
{
	int rc;

	rc = mdb_dbi_open(txn, "vault", flags, &l->vault);
	if (rc == MDB_NOTFOUND && !(flags & MDB_CREATE))
		return 0;
	if (rc != 0)
		return ledger_store_err(__func__, rc);
	l->has_vault = true;
	return 0;
}

static int
meta_put(MDB_txn *txn, MDB_dbi dbi, const char *key, const void *p, size_t n)
{
	MDB_val k = {strlen(key), (void *)key}, v = {n, (void *)p};
	int rc;

	if ((rc = mdb_put(txn, dbi, &k, &v, 0)) != 0)
		return ledger_store_err(__func__, rc);
	return 0;
}

static int
meta_get(MDB_txn *txn, MDB_dbi dbi, const char *key, MDB_val *v)
{
	MDB_val k = {strlen(key), (void *)key};
	int rc;

	if ((rc = mdb_get(txn, dbi, &k, v)) == MDB_NOTFOUND) {
		hk_error_f("ledger metadata \"%s\" missing", key);
		return HK_ECORRUPT;
	}
	if (rc != 0)
		return ledger_store_err(__func__, rc);
	return 0;
}

/*
 * append_one(l, txn, mid, seq): encode the next event around ${mid}, store
 * it and the hashes it makes final, and advance the writer state.
 */
static int
append_one(struct ledger *l, MDB_txn *txn, struct hk_bytes mid, uint64_t *seq)
{
	uint8_t kb[8], leaf[LEDGER_HASH_LEN], stored[64][LEDGER_HASH_LEN];
	MDB_val k = {8, kb}, v;
	uint64_t t = now_ms();
	int count, rc, r;

	/* The ledger's clock never runs backwards, so replay can rely on
	 * time order; a stepped-back system clock is logged. */
	if (t < l->last_time) {
		hk_warn_f("system clock behind the ledger by %" PRIu64 " ms",
		    l->last_time - t);
		t = l->last_time;
	}
	hk_buf_reset(&l->evbuf);
	if ((r = hk_event_encode_frame(
		 (struct hk_bytes){(const uint8_t *)l->origin, strlen(l->origin)},
		 l->edge.n, t, mid, l->last_leaf, &l->evbuf)) != 0)
		return r;
	if ((r = ledger_merkle_leaf_hash(l->hasher, l->evbuf.p, l->evbuf.len,
		 leaf)) != 0 ||
	    (r = ledger_merkle_edge_append(l->hasher, &l->edge, leaf, stored,
		 &count)) != 0)
		return r;
	*seq = l->edge.n - 1;
	ledger_key_put(kb, *seq);
	v.mv_size = l->evbuf.len;
	v.mv_data = l->evbuf.p;
	if ((rc = mdb_put(txn, l->ev, &k, &v, MDB_APPEND)) != 0)
		return ledger_store_err(__func__, rc);
	v.mv_size = (size_t)count * LEDGER_HASH_LEN;
	v.mv_data = stored;
	if ((rc = mdb_put(txn, l->h, &k, &v, MDB_APPEND)) != 0)
		return ledger_store_err(__func__, rc);
	memcpy(l->last_leaf, leaf, LEDGER_HASH_LEN);
	l->last_time = t;
	return 0;
}

/*
 * seal(l, txn): sign and store the checkpoint of the tree as it stands and
 * update the metadata. The tree only ever grew from the state verified at
 * open, so the new checkpoint is consistent with every earlier one.
 * WARNING: the signature is made before the commit; if the commit fails
 * the checkpoint is discarded unseen and the ledger fails closed, so a
 * different tree of the same size can never be published.
 */
static int
seal(struct ledger *l, MDB_txn *txn)
{
	uint8_t kb[8], root[LEDGER_HASH_LEN];
	MDB_val k = {8, kb}, v;
	struct hk_buf body = HK_BUF_INIT;
	int rc, r;

	hk_buf_reset(&l->note);
	if ((r = ledger_merkle_edge_root(l->hasher, &l->edge, root)) != 0 ||
	    (r = ledger_note_checkpoint_body(l->origin, l->edge.n, root,
		 &body)) != 0 ||
	    (r = ledger_note_sign(l->signer, (const char *)body.p, body.len,
		 &l->note)) != 0)
		goto out;
	ledger_key_put(kb, l->edge.n);
	v.mv_size = l->note.len;
	v.mv_data = l->note.p;
	if ((rc = mdb_put(txn, l->cp, &k, &v, MDB_APPEND)) != 0) {
		r = ledger_store_err(__func__, rc);
		goto out;
	}
	if ((r = meta_put(txn, l->meta, "size", kb, 8)) != 0 ||
	    (r = meta_put(txn, l->meta, "root", root, LEDGER_HASH_LEN)) != 0)
		goto out;
out:
	hk_buf_release(&body);
	return r;
}

/** ledger_create(dir, origin, signer, genesis): create a new ledger. */
int
ledger_create(const char *dir, const char *origin,
    const struct ledger_note_signer *signer, const struct hk_event *genesis)
{
	struct ledger l;
	struct hk_buf mid = HK_BUF_INIT, vkey = HK_BUF_INIT, path = HK_BUF_INIT;
	struct stat st;
	MDB_txn *txn = NULL;
	uint64_t seq;
	int rc, r;

	memset(&l, 0, sizeof(l));
	if (!ledger_note_name_valid(origin) ||
	    strlen(origin) > HK_EVENT_ORIGIN_MAX ||
	    strcmp(signer->name, origin) != 0 ||
	    genesis->type != HK_EV_LEDGER_GENESIS) {
		hk_error_f("invalid origin, key name or genesis event");
		return HK_EINVAL;
	}
	if (mkdir(dir, 0700) != 0 && errno != EEXIST) {
		hk_error_f("mkdir %s: %s", dir, strerror(errno));
		return HK_EIO;
	}
	if ((r = hk_buf_printf(&path, "%s/data.mdb", dir)) != 0 ||
	    hk_buf_cstr(&path) == NULL) {
		r = HK_ENOMEM;
		goto out;
	}
	if (stat((const char *)path.p, &st) == 0) {
		hk_error_f("%s exists: refusing to overwrite a ledger",
		    (const char *)path.p);
		r = HK_EEXIST;
		goto out;
	}
	snprintf(l.origin, sizeof(l.origin), "%s", origin);
	l.signer = signer;
	if ((l.hasher = hk_sha256_new()) == NULL) {
		r = HK_ENOMEM;
		goto out;
	}
	if ((r = hk_event_encode_mid(genesis, &mid)) != 0 ||
	    (r = ledger_note_vkey(signer->name, signer->pub, &vkey)) != 0)
		goto out;
	if ((r = env_open(dir, 0, 0, &l.env)) != 0)
		goto out;
	if ((rc = mdb_txn_begin(l.env, NULL, 0, &txn)) != 0) {
		r = ledger_store_err(__func__, rc);
		goto out;
	}
	if ((r = dbis_open(&l, txn, MDB_CREATE)) != 0 ||
	    (r = vault_open(&l, txn, MDB_CREATE)) != 0 ||
	    (r = append_one(&l, txn, (struct hk_bytes){mid.p, mid.len},
		 &seq)) != 0 ||
	    (r = seal(&l, txn)) != 0 ||
	    (r = meta_put(txn, l.meta, "origin", origin, strlen(origin))) != 0 ||
	    (r = meta_put(txn, l.meta, "vkey", vkey.p, vkey.len)) != 0)
		goto out;
	rc = mdb_txn_commit(txn);
	txn = NULL;
	if (rc != 0) {
		r = ledger_store_err(__func__, rc);
		goto out;
	}
out:
	if (txn != NULL)
		mdb_txn_abort(txn);
	if (l.env != NULL)
		mdb_env_close(l.env);
	hk_sha256_free(l.hasher);
	hk_buf_release(&l.evbuf);
	hk_buf_release(&l.note);
	hk_buf_release(&mid);
	hk_buf_release(&vkey);
	hk_buf_release(&path);
	return r;
}

/*
 * check_file(l, dir): refuse a data file shorter than the pages LMDB's
 * meta page says are in use. Reading past the end of the map would raise
 * SIGBUS instead of an error.
 */
static int
check_file(struct ledger *l, const char *dir)
{
	char path[4096];
	struct stat st;
	MDB_envinfo info;
	MDB_stat ms;
	uint64_t need;

	if (mdb_env_info(l->env, &info) != 0 || mdb_env_stat(l->env, &ms) != 0)
		return HK_ESTORE;
	snprintf(path, sizeof(path), "%s/data.mdb", dir);
	if (stat(path, &st) != 0) {
		hk_error_f("stat %s: %s", path, strerror(errno));
		return HK_EIO;
	}
	need = ((uint64_t)info.me_last_pgno + 1) * ms.ms_psize;
	if ((uint64_t)st.st_size < need) {
		hk_error_f("%s is truncated: %" PRIu64 " bytes in use, %" PRIu64
			   " on disk", path, need, (uint64_t)st.st_size);
		return HK_ECORRUPT;
	}
	return 0;
}

static int
last_key(MDB_txn *txn, MDB_dbi dbi, uint64_t *key, MDB_val *val)
{
	MDB_cursor *c = NULL;
	MDB_val k, v;
	int rc;

	if ((rc = mdb_cursor_open(txn, dbi, &c)) != 0)
		return ledger_store_err(__func__, rc);
	rc = mdb_cursor_get(c, &k, &v, MDB_LAST);
	mdb_cursor_close(c);
	if (rc == MDB_NOTFOUND)
		return HK_ENOTFOUND;
	if (rc != 0)
		return ledger_store_err(__func__, rc);
	if (k.mv_size != 8)
		return HK_ECORRUPT;
	*key = ledger_key_get(k.mv_data);
	if (val != NULL)
		*val = v;
	return 0;
}

/*
 * load(l, txn): read the metadata and check that events, hashes,
 * checkpoints and metadata agree on the size and root of the tree; fill
 * the writer state. Each disagreement is logged with what it means.
 */
static int
load(struct ledger *l, MDB_txn *txn)
{
	struct ledger_hread hr = {txn, l->h};
	struct ledger_checkpoint cp;
	struct ledger_note_verifier ver;
	struct hk_event ev;
	uint8_t root[LEDGER_HASH_LEN];
	uint64_t size, last_ev, last_h, last_cp;
	MDB_val v, cpv, evv;
	size_t blen;
	int r;

	if ((r = meta_get(txn, l->meta, "origin", &v)) != 0)
		return r;
	if (v.mv_size == 0 || v.mv_size > HK_EVENT_ORIGIN_MAX)
		return HK_ECORRUPT;
	memcpy(l->origin, v.mv_data, v.mv_size);
	l->origin[v.mv_size] = '\0';
	if ((r = meta_get(txn, l->meta, "vkey", &v)) != 0)
		return r;
	if (v.mv_size >= sizeof(l->vkey))
		return HK_ECORRUPT;
	memcpy(l->vkey, v.mv_data, v.mv_size);
	l->vkey[v.mv_size] = '\0';
	if (ledger_note_vkey_parse(l->vkey, strlen(l->vkey), &ver) != 0) {
		hk_error_f("ledger verifier key is malformed");
		return HK_ECORRUPT;
	}
	if ((r = meta_get(txn, l->meta, "size", &v)) != 0)
		return r;
	if (v.mv_size != 8)
		return HK_ECORRUPT;
	size = ledger_key_get(v.mv_data);
	if ((r = meta_get(txn, l->meta, "root", &v)) != 0)
		return r;
	if (v.mv_size != LEDGER_HASH_LEN)
		return HK_ECORRUPT;
	if ((r = last_key(txn, l->ev, &last_ev, &evv)) != 0 ||
	    (r = last_key(txn, l->h, &last_h, NULL)) != 0 ||
	    (r = last_key(txn, l->cp, &last_cp, &cpv)) != 0) {
		hk_error_f("ledger has no events, hashes or checkpoints");
		return r == HK_ENOTFOUND ? HK_ECORRUPT : r;
	}
	if (size == 0 || last_ev + 1 != size || last_h + 1 != size ||
	    last_cp != size) {
		hk_error_f("ledger size disagrees: metadata %" PRIu64
			   ", last event %" PRIu64 ", last hash %" PRIu64
			   ", last checkpoint %" PRIu64
			   " (tail deleted or tables damaged)",
		    size, last_ev, last_h, last_cp);
		return HK_ECORRUPT;
	}
	if ((r = ledger_merkle_tree_hash(l->hasher, size, ledger_hread_cb, &hr,
		 root)) != 0) {
		hk_error_f("cannot compute the tree root: %s", hk_strerror(r));
		return HK_ECORRUPT;
	}
	if (memcmp(root, v.mv_data, LEDGER_HASH_LEN) != 0) {
		hk_error_f("stored root differs from the stored hashes");
		return HK_ECORRUPT;
	}
	if (ledger_note_open(cpv.mv_data, cpv.mv_size, &ver, 1, &blen) != 0 ||
	    ledger_note_checkpoint_parse(cpv.mv_data, blen, &cp) != 0 ||
	    strcmp(cp.origin, l->origin) != 0 || cp.size != size ||
	    memcmp(cp.root, root, LEDGER_HASH_LEN) != 0) {
		hk_error_f("latest checkpoint does not verify or does not match "
			   "the tree of %" PRIu64 " events", size);
		return HK_ECORRUPT;
	}
	if ((r = ledger_merkle_edge_load(&l->edge, size, ledger_hread_cb,
		 &hr)) != 0 ||
	    (r = ledger_hread_cb(&hr, 0, size - 1, l->last_leaf)) != 0) {
		hk_error_f("cannot load the tree edge: %s", hk_strerror(r));
		return HK_ECORRUPT;
	}
	if (hk_event_decode(evv.mv_data, evv.mv_size, &ev, NULL) != 0) {
		hk_error_f("last event does not decode");
		return HK_ECORRUPT;
	}
	l->last_time = ev.time_ms;
	return 0;
}

static void fail_list(struct pending *p, int status);
static void *writer_main(void *arg);

/** ledger_open(dir, opts, signer, out): open an existing ledger. */
int
ledger_open(const char *dir, const struct ledger_opts *opts,
    const struct ledger_note_signer *signer, struct ledger **out)
{
	static const struct ledger_opts defaults;
	struct ledger *l = NULL;
	struct hk_buf vk = HK_BUF_INIT;
	MDB_txn *txn = NULL;
	pthread_condattr_t ca;
	char path[4096];
	struct stat st;
	int rc, r, dead;

	if (opts == NULL)
		opts = &defaults;
	snprintf(path, sizeof(path), "%s/data.mdb", dir);
	if (stat(path, &st) != 0) {
		hk_error_f("no ledger at %s", dir);
		return HK_ENOTFOUND;
	}
	if ((l = calloc(1, sizeof(*l))) == NULL)
		return HK_ENOMEM;
	l->readonly = opts->readonly != 0;
	l->max_batch = opts->max_batch ? opts->max_batch : DEFAULT_MAX_BATCH;
	l->window_us = opts->window_us;
	l->tail = &l->head;
	l->map_max = opts->map_max ? opts->map_max : DEFAULT_MAP_MAX;
	if (opts->map_size > l->map_max)
		l->map_max = opts->map_size;
	pthread_mutex_init(&l->mu, NULL);
	pthread_mutex_init(&l->gate_mu, NULL);
	pthread_cond_init(&l->gate_cv, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&l->wake, &ca);
	pthread_condattr_destroy(&ca);
	if ((l->hasher = hk_sha256_new()) == NULL) {
		r = HK_ENOMEM;
		goto out;
	}
	if ((r = env_open(dir, l->readonly ? MDB_RDONLY : 0, opts->map_size,
		 &l->env)) != 0 ||
	    (r = check_file(l, dir)) != 0)
		goto out;
	if (mdb_reader_check(l->env, &dead) == 0 && dead > 0)
		hk_info_f("cleared %d stale reader slots", dead);
	if ((rc = mdb_txn_begin(l->env, NULL, MDB_RDONLY, &txn)) != 0) {
		r = ledger_store_err(__func__, rc);
		goto out;
	}
	if ((r = dbis_open(l, txn, 0)) != 0 ||
	    (r = vault_open(l, txn, 0)) != 0 || (r = load(l, txn)) != 0)
		goto out;
	/* Committing a read transaction keeps its table handles. */
	rc = mdb_txn_commit(txn);
	txn = NULL;
	if (rc != 0) {
		r = ledger_store_err(__func__, rc);
		goto out;
	}
	if (!l->readonly && !l->has_vault) {
		if ((rc = mdb_txn_begin(l->env, NULL, 0, &txn)) != 0) {
			r = ledger_store_err(__func__, rc);
			goto out;
		}
		if ((r = vault_open(l, txn, MDB_CREATE)) != 0)
			goto out;
		rc = mdb_txn_commit(txn);
		txn = NULL;
		if (rc != 0) {
			r = ledger_store_err(__func__, rc);
			goto out;
		}
	}
	if (!l->readonly) {
		if (signer == NULL || strcmp(signer->name, l->origin) != 0 ||
		    (r = ledger_note_vkey(signer->name, signer->pub, &vk)) != 0 ||
		    hk_buf_cstr(&vk) == NULL ||
		    strcmp((const char *)vk.p, l->vkey) != 0) {
			hk_error_f("checkpoint key is not this ledger's key "
				   "(ledger vkey %s)", l->vkey);
			r = HK_EINVAL;
			goto out;
		}
		l->signer = signer;
		if (pthread_create(&l->writer, NULL, writer_main, l) != 0) {
			r = HK_ENOMEM;
			goto out;
		}
		l->writer_started = true;
	}
	*out = l;
	l = NULL;
	r = 0;
out:
	if (txn != NULL)
		mdb_txn_abort(txn);
	hk_buf_release(&vk);
	ledger_close(l);
	return r;
}

/** ledger_close(l): drain the queue, stop the writer, close. */
void
ledger_close(struct ledger *l)
{
	if (l == NULL)
		return;
	if (l->writer_started) {
		pthread_mutex_lock(&l->mu);
		l->closing = true;
		pthread_cond_broadcast(&l->wake);
		pthread_mutex_unlock(&l->mu);
		pthread_join(l->writer, NULL);
	}
	/* The writer drains the queue; anything left means it never ran. */
	fail_list(l->head, HK_ECLOSED);
	if (l->env != NULL)
		mdb_env_close(l->env);
	hk_sha256_free(l->hasher);
	hk_buf_release(&l->evbuf);
	hk_buf_release(&l->note);
	pthread_cond_destroy(&l->wake);
	pthread_mutex_destroy(&l->mu);
	pthread_cond_destroy(&l->gate_cv);
	pthread_mutex_destroy(&l->gate_mu);
	free(l);
}

static void
fail_list(struct pending *p, int status)
{
	struct pending *next;

	for (; p != NULL; p = next) {
		next = p->next;
		p->cb(p->arg, status, 0);
		sodium_memzero(p->mid, p->mid_len + p->vault_len);
		free(p);
	}
}

/* Vault ops travel serialised after the event: per op a flag byte (1 put,
 * 0 delete), 4-byte big-endian key and value lengths, key, value. */
static size_t
vault_ser_len(const struct ledger_vault_op *ops, size_t nops)
{
	size_t i, n = 0;

	for (i = 0; i < nops; i++)
		n += 9 + ops[i].klen + (ops[i].val != NULL ? ops[i].vlen : 0);
	return n;
}

static void
put32(uint8_t *p, size_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

static size_t
get32(const uint8_t *p)
{
	return (size_t)p[0] << 24 | (size_t)p[1] << 16 | (size_t)p[2] << 8 |
	    p[3];
}

static void
vault_ser(uint8_t *out, const struct ledger_vault_op *ops, size_t nops)
{
	size_t i;

	for (i = 0; i < nops; i++) {
		size_t vl = ops[i].val != NULL ? ops[i].vlen : 0;

		out[0] = ops[i].val != NULL;
		put32(out + 1, ops[i].klen);
		put32(out + 5, vl);
		memcpy(out + 9, ops[i].key, ops[i].klen);
		if (vl > 0)
			memcpy(out + 9 + ops[i].klen, ops[i].val, vl);
		out += 9 + ops[i].klen + vl;
	}
}

static int
vault_apply(struct ledger *l, MDB_txn *txn, const uint8_t *p, size_t n)
{
	const uint8_t *end = p + n;
	MDB_val k, v;
	int rc;

	while (p < end) {
		k.mv_size = get32(p + 1);
		v.mv_size = get32(p + 5);
		k.mv_data = (void *)(p + 9);
		v.mv_data = (void *)(p + 9 + k.mv_size);
		if (p[0]) {
			rc = mdb_put(txn, l->vault, &k, &v, 0);
		} else {
			rc = mdb_del(txn, l->vault, &k, NULL);
			if (rc == MDB_NOTFOUND)
				rc = 0;
		}
		if (rc != 0)
			return ledger_store_err(__func__, rc);
		p += 9 + k.mv_size + v.mv_size;
	}
	return 0;
}

/*
 * commit_batch(l, batch): append every event of ${batch} and one signed
 * checkpoint in one durable transaction. On success each pending gets its
 * seq through ->arg order; on failure the in-memory tree is restored and
 * the caller fails the ledger closed.
 */
static int
commit_batch(struct ledger *l, struct pending *batch, uint64_t *first)
{
	struct ledger_merkle_edge edge_saved = l->edge;
	uint8_t leaf_saved[LEDGER_HASH_LEN];
	uint64_t time_saved = l->last_time, seq;
	struct pending *p;
	MDB_txn *txn = NULL;
	size_t need;
	int rc, r;

	memcpy(leaf_saved, l->last_leaf, LEDGER_HASH_LEN);
	*first = l->edge.n;
	/* Room for the batch: events, about two hashes each, LMDB's node
	 * overhead and copy-on-write of the touched branch pages. */
	for (need = 65536, p = batch; p != NULL; p = p->next)
		need += 2 * (p->mid_len + 512);
	if ((r = grow(l, need)) != 0)
		goto fail;
	if ((rc = mdb_txn_begin(l->env, NULL, 0, &txn)) != 0) {
		r = ledger_store_err(__func__, rc);
		goto fail;
	}
	for (p = batch; p != NULL; p = p->next)
		if ((r = append_one(l, txn,
			 (struct hk_bytes){p->mid, p->mid_len}, &seq)) != 0 ||
		    (r = vault_apply(l, txn, p->mid + p->mid_len,
			 p->vault_len)) != 0)
			goto fail;
	if ((r = seal(l, txn)) != 0)
		goto fail;
	rc = mdb_txn_commit(txn);
	txn = NULL;
	if (rc != 0) {
		r = ledger_store_err(__func__, rc);
		goto fail;
	}
	return 0;
fail:
	if (txn != NULL)
		mdb_txn_abort(txn);
	l->edge = edge_saved;
	memcpy(l->last_leaf, leaf_saved, LEDGER_HASH_LEN);
	l->last_time = time_saved;
	return r;
}

static void *
writer_main(void *arg)
{
	struct ledger *l = arg;
	struct pending *batch, *p, *next;
	struct timespec deadline;
	uint64_t first;
	size_t n;
	int r;

	hk_thread_name("hk-ledger");
	pthread_mutex_lock(&l->mu);
	for (;;) {
		while (l->head == NULL && !l->closing)
			pthread_cond_wait(&l->wake, &l->mu);
		if (l->head == NULL)
			break; /* closing and drained */
		if (l->window_us > 0 && l->queued < l->max_batch &&
		    !l->closing) {
			clock_gettime(CLOCK_MONOTONIC, &deadline);
			deadline.tv_nsec += (long)l->window_us * 1000;
			deadline.tv_sec += deadline.tv_nsec / 1000000000L;
			deadline.tv_nsec %= 1000000000L;
			while (l->queued < l->max_batch && !l->closing &&
			    pthread_cond_timedwait(&l->wake, &l->mu,
				&deadline) == 0)
				;
		}
		/* Take up to max_batch events off the queue. */
		batch = l->head;
		for (n = 1, p = batch; n < l->max_batch && p->next != NULL; n++)
			p = p->next;
		l->head = p->next;
		p->next = NULL;
		if (l->head == NULL)
			l->tail = &l->head;
		l->queued -= n;
		pthread_mutex_unlock(&l->mu);

		r = l->failed ? HK_ELEDGER_FAILED : commit_batch(l, batch, &first);
		if (r == 0) {
			for (p = batch; p != NULL; p = next) {
				next = p->next;
				p->cb(p->arg, 0, first++);
				sodium_memzero(p->mid, p->mid_len + p->vault_len);
				free(p);
			}
			pthread_mutex_lock(&l->mu);
			continue;
		}
		pthread_mutex_lock(&l->mu);
		if (!l->failed) {
			l->failed = true;
			snprintf(l->failmsg, sizeof(l->failmsg),
			    "ledger commit of %zu events from seq %" PRIu64
			    " failed (%s); the ledger refuses all writes until "
			    "restart", n, l->edge.n, hk_strerror(r));
			hk_error_f("%s", l->failmsg);
		}
		/* Fail closed: this batch and everything queued behind it. */
		p = l->head;
		l->head = NULL;
		l->tail = &l->head;
		l->queued = 0;
		pthread_mutex_unlock(&l->mu);
		fail_list(batch, HK_ELEDGER_FAILED);
		fail_list(p, HK_ELEDGER_FAILED);
		pthread_mutex_lock(&l->mu);
	}
	pthread_mutex_unlock(&l->mu);
	return NULL;
}

/** ledger_append_vault(l, ev, ops, nops, cb, arg): queue an event and its
 * vault writes for the next commit. */
int
ledger_append_vault(struct ledger *l, const struct hk_event *ev,
    const struct ledger_vault_op *ops, size_t nops, ledger_append_cb cb,
    void *arg)
{
	struct hk_buf mid = HK_BUF_INIT;
	struct pending *p = NULL;
	size_t vlen, i;
	int r;

	if (l->readonly || cb == NULL || (nops > 0 && ops == NULL))
		return HK_EINVAL;
	for (i = 0; i < nops; i++)
		if (ops[i].klen == 0 || ops[i].klen > LEDGER_VAULT_KEY_MAX ||
		    ops[i].key == NULL ||
		    (ops[i].val != NULL && ops[i].vlen > LEDGER_VAULT_VAL_MAX))
			return HK_EINVAL;
	vlen = vault_ser_len(ops, nops);
	if ((r = hk_event_encode_mid(ev, &mid)) != 0)
		goto out;
	if (mid.len + strlen(l->origin) + FRAME_OVERHEAD > HK_EVENT_MAX_LEN) {
		r = HK_ETOOBIG;
		goto out;
	}
	if ((p = malloc(sizeof(*p) + mid.len + vlen)) == NULL) {
		r = HK_ENOMEM;
		goto out;
	}
	p->next = NULL;
	p->cb = cb;
	p->arg = arg;
	p->mid_len = mid.len;
	p->vault_len = vlen;
	memcpy(p->mid, mid.p, mid.len);
	vault_ser(p->mid + mid.len, ops, nops);
	pthread_mutex_lock(&l->mu);
	if (l->failed)
		r = HK_ELEDGER_FAILED;
	else if (l->closing)
		r = HK_ECLOSED;
	if (r == 0) {
		*l->tail = p;
		l->tail = &p->next;
		/* Wake the writer when it waits for a first event or for a
		 * full batch. */
		if (++l->queued == 1 || l->queued >= l->max_batch)
			pthread_cond_signal(&l->wake);
		p = NULL;
	}
	pthread_mutex_unlock(&l->mu);
out:
	if (p != NULL)
		sodium_memzero(p->mid, p->mid_len + p->vault_len);
	free(p);
	hk_buf_release(&mid);
	return r;
}

/** ledger_append(l, ev, cb, arg): queue an event for the next commit. */
int
ledger_append(struct ledger *l, const struct hk_event *ev,
    ledger_append_cb cb, void *arg)
{
	return ledger_append_vault(l, ev, NULL, 0, cb, arg);
}

struct waiter {
	pthread_mutex_t mu;
	pthread_cond_t cv;
	int done, status;
	uint64_t seq;
};

static void
wait_cb(void *arg, int status, uint64_t seq)
{
	struct waiter *w = arg;

	pthread_mutex_lock(&w->mu);
	w->done = 1;
	w->status = status;
	w->seq = seq;
	pthread_cond_signal(&w->cv);
	pthread_mutex_unlock(&w->mu);
}

/** ledger_append_vault_wait(l, ev, ops, nops, seq): append, wait. */
int
ledger_append_vault_wait(struct ledger *l, const struct hk_event *ev,
    const struct ledger_vault_op *ops, size_t nops, uint64_t *seq)
{
	struct waiter w = {PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER,
	    0, 0, 0};
	int r;

	if ((r = ledger_append_vault(l, ev, ops, nops, wait_cb, &w)) != 0)
		return r;
	pthread_mutex_lock(&w.mu);
	while (!w.done)
		pthread_cond_wait(&w.cv, &w.mu);
	pthread_mutex_unlock(&w.mu);
	pthread_cond_destroy(&w.cv);
	pthread_mutex_destroy(&w.mu);
	if (w.status == 0 && seq != NULL)
		*seq = w.seq;
	return w.status;
}

/** ledger_append_wait(l, ev, seq): append and wait for the commit. */
int
ledger_append_wait(struct ledger *l, const struct hk_event *ev, uint64_t *seq)
{
	return ledger_append_vault_wait(l, ev, NULL, 0, seq);
}

/** ledger_vault_get(l, key, klen, out): a committed vault record. */
int
ledger_vault_get(struct ledger *l, const uint8_t *key, size_t klen,
    struct hk_buf *out)
{
	MDB_txn *txn = NULL;
	MDB_val k = {klen, (void *)key}, v;
	int rc, r;

	if (!l->has_vault)
		return HK_ENOTFOUND;
	if ((r = ledger_rtxn_begin(l, &txn)) != 0)
		return r;
	if ((rc = mdb_get(txn, l->vault, &k, &v)) == MDB_NOTFOUND)
		r = HK_ENOTFOUND;
	else if (rc != 0)
		r = ledger_store_err(__func__, rc);
	else
		r = hk_buf_put(out, v.mv_data, v.mv_size);
	ledger_rtxn_end(l, txn);
	return r;
}

/** ledger_failure(l): NULL, or why the ledger stopped accepting writes. */
const char *
ledger_failure(struct ledger *l)
{
	const char *m;

	pthread_mutex_lock(&l->mu);
	m = l->failed ? l->failmsg : NULL;
	pthread_mutex_unlock(&l->mu);
	return m;
}

/** ledger_origin(l): the ledger's origin. */
const char *
ledger_origin(const struct ledger *l)
{
	return l->origin;
}

/** ledger_vkey(l): the ledger's verifier key. */
const char *
ledger_vkey(const struct ledger *l)
{
	return l->vkey;
}


static int
size_in(struct ledger *l, MDB_txn *txn, uint64_t *size)
{
	MDB_val v;
	int r;

	if ((r = meta_get(txn, l->meta, "size", &v)) != 0)
		return r;
	if (v.mv_size != 8)
		return HK_ECORRUPT;
	*size = ledger_key_get(v.mv_data);
	return 0;
}

/** ledger_size(l, size, root): the committed tree size and root. */
int
ledger_size(struct ledger *l, uint64_t *size, uint8_t root[LEDGER_HASH_LEN])
{
	MDB_txn *txn = NULL;
	MDB_val v;
	int r;

	if ((r = ledger_rtxn_begin(l, &txn)) != 0)
		return r;
	if ((r = size_in(l, txn, size)) == 0 && root != NULL) {
		if ((r = meta_get(txn, l->meta, "root", &v)) == 0) {
			if (v.mv_size == LEDGER_HASH_LEN)
				memcpy(root, v.mv_data, LEDGER_HASH_LEN);
			else
				r = HK_ECORRUPT;
		}
	}
	ledger_rtxn_end(l, txn);
	return r;
}

static int
get_u64(MDB_txn *txn, MDB_dbi dbi, uint64_t key, MDB_val *v)
{
	uint8_t kb[8];
	MDB_val k = {8, kb};
	int rc;

	ledger_key_put(kb, key);
	if ((rc = mdb_get(txn, dbi, &k, v)) == MDB_NOTFOUND)
		return HK_ENOTFOUND;
	if (rc != 0)
		return ledger_store_err(__func__, rc);
	return 0;
}

/** ledger_event_get(l, seq, out): append the bytes of event ${seq}. */
int
ledger_event_get(struct ledger *l, uint64_t seq, struct hk_buf *out)
{
	MDB_txn *txn = NULL;
	MDB_val v;
	int r;

	if ((r = ledger_rtxn_begin(l, &txn)) != 0)
		return r;
	if ((r = get_u64(txn, l->ev, seq, &v)) == 0)
		r = hk_buf_put(out, v.mv_data, v.mv_size);
	ledger_rtxn_end(l, txn);
	return r;
}

static int
checkpoint_in(struct ledger *l, MDB_txn *txn, uint64_t size, MDB_val *v,
    uint64_t *got)
{
	int r;

	if (size == 0)
		return last_key(txn, l->cp, got, v);
	if ((r = get_u64(txn, l->cp, size, v)) == 0)
		*got = size;
	return r;
}

/** ledger_checkpoint_get(l, size, out, got): a stored checkpoint. */
int
ledger_checkpoint_get(struct ledger *l, uint64_t size, struct hk_buf *out,
    uint64_t *got)
{
	MDB_txn *txn = NULL;
	MDB_val v;
	uint64_t g = 0;
	int r;

	if ((r = ledger_rtxn_begin(l, &txn)) != 0)
		return r;
	if ((r = checkpoint_in(l, txn, size, &v, &g)) == 0)
		r = hk_buf_put(out, v.mv_data, v.mv_size);
	ledger_rtxn_end(l, txn);
	if (r == 0 && got != NULL)
		*got = g;
	return r;
}

/** ledger_tree_hash(l, size, root): root of the first ${size} leaves. */
int
ledger_tree_hash(struct ledger *l, uint64_t size, uint8_t root[LEDGER_HASH_LEN])
{
	struct hk_sha256 *h = thread_hasher();
	struct ledger_hread hr = {NULL, l->h};
	uint64_t cur;
	int r;

	if (h == NULL)
		return HK_ENOMEM;
	if ((r = ledger_rtxn_begin(l, &hr.txn)) != 0)
		return r;
	if ((r = size_in(l, hr.txn, &cur)) == 0) {
		if (size > cur)
			r = HK_ERANGE;
		else
			r = ledger_merkle_tree_hash(h, size, ledger_hread_cb, &hr,
			    root);
	}
	ledger_rtxn_end(l, hr.txn);
	return r;
}

/** ledger_inclusion(l, seq, size, proof, len): an inclusion proof. */
int
ledger_inclusion(struct ledger *l, uint64_t seq, uint64_t size,
    uint8_t proof[LEDGER_PROOF_MAX][LEDGER_HASH_LEN], size_t *len)
{
	struct hk_sha256 *h = thread_hasher();
	struct ledger_hread hr = {NULL, l->h};
	uint64_t cur;
	int r;

	if (h == NULL)
		return HK_ENOMEM;
	if ((r = ledger_rtxn_begin(l, &hr.txn)) != 0)
		return r;
	if ((r = size_in(l, hr.txn, &cur)) == 0) {
		if (size > cur || seq >= size)
			r = HK_ERANGE;
		else
			r = ledger_merkle_prove_inclusion(h, seq, size,
			    ledger_hread_cb, &hr, proof, len);
	}
	ledger_rtxn_end(l, hr.txn);
	return r;
}

/** ledger_consistency(l, m, n, proof, len): a consistency proof. */
int
ledger_consistency(struct ledger *l, uint64_t m, uint64_t n,
    uint8_t proof[LEDGER_PROOF_MAX][LEDGER_HASH_LEN], size_t *len)
{
	struct hk_sha256 *h = thread_hasher();
	struct ledger_hread hr = {NULL, l->h};
	uint64_t cur;
	int r;

	if (h == NULL)
		return HK_ENOMEM;
	if ((r = ledger_rtxn_begin(l, &hr.txn)) != 0)
		return r;
	if ((r = size_in(l, hr.txn, &cur)) == 0) {
		if (n > cur || m > n)
			r = HK_ERANGE;
		else
			r = ledger_merkle_prove_consistency(h, m, n,
			    ledger_hread_cb, &hr, proof, len);
	}
	ledger_rtxn_end(l, hr.txn);
	return r;
}

static int
put_proof(struct hk_buf *out, uint8_t proof[][LEDGER_HASH_LEN], size_t len)
{
	size_t i;
	int r;

	for (i = 0; i < len; i++)
		if ((r = hk_b64_append(out, proof[i], LEDGER_HASH_LEN)) != 0 ||
		    (r = hk_buf_putc(out, '\n')) != 0)
			return r;
	return 0;
}

/** ledger_receipt(l, seq, out): a tlog-proof@v1 receipt for ${seq}. */
int
ledger_receipt(struct ledger *l, uint64_t seq, struct hk_buf *out)
{
	struct hk_sha256 *h = thread_hasher();
	struct ledger_hread hr = {NULL, l->h};
	uint8_t proof[LEDGER_PROOF_MAX][LEDGER_HASH_LEN];
	MDB_val ev, cp;
	uint64_t size = 0;
	size_t len = 0;
	int r;

	if (h == NULL)
		return HK_ENOMEM;
	if ((r = ledger_rtxn_begin(l, &hr.txn)) != 0)
		return r;
	if ((r = checkpoint_in(l, hr.txn, 0, &cp, &size)) != 0)
		goto out;
	if (seq >= size) {
		r = HK_ENOTFOUND;
		goto out;
	}
	if ((r = get_u64(hr.txn, l->ev, seq, &ev)) != 0 ||
	    (r = ledger_merkle_prove_inclusion(h, seq, size, ledger_hread_cb,
		 &hr, proof, &len)) != 0)
		goto out;
	if ((r = hk_buf_puts(out, "c2sp.org/tlog-proof@v1\nextra ")) != 0 ||
	    (r = hk_b64_append(out, ev.mv_data, ev.mv_size)) != 0 ||
	    (r = hk_buf_printf(out, "\nindex %" PRIu64 "\n", seq)) != 0 ||
	    (r = put_proof(out, proof, len)) != 0 ||
	    (r = hk_buf_putc(out, '\n')) != 0 ||
	    (r = hk_buf_put(out, cp.mv_data, cp.mv_size)) != 0)
		goto out;
out:
	ledger_rtxn_end(l, hr.txn);
	return r;
}

/** ledger_consistency_text(l, m, n, out): "old m", proof, checkpoint n. */
int
ledger_consistency_text(struct ledger *l, uint64_t m, uint64_t n,
    struct hk_buf *out)
{
	struct hk_sha256 *h = thread_hasher();
	struct ledger_hread hr = {NULL, l->h};
	uint8_t proof[LEDGER_PROOF_MAX][LEDGER_HASH_LEN];
	MDB_val cp;
	uint64_t size = 0;
	size_t len = 0;
	int r;

	if (h == NULL)
		return HK_ENOMEM;
	if ((r = ledger_rtxn_begin(l, &hr.txn)) != 0)
		return r;
	if ((r = checkpoint_in(l, hr.txn, n, &cp, &size)) != 0)
		goto out;
	if (m > size) {
		r = HK_ERANGE;
		goto out;
	}
	if ((r = ledger_merkle_prove_consistency(h, m, size, ledger_hread_cb,
		 &hr, proof, &len)) != 0)
		goto out;
	if ((r = hk_buf_printf(out, "old %" PRIu64 "\n", m)) != 0 ||
	    (r = put_proof(out, proof, len)) != 0 ||
	    (r = hk_buf_putc(out, '\n')) != 0 ||
	    (r = hk_buf_put(out, cp.mv_data, cp.mv_size)) != 0)
		goto out;
out:
	ledger_rtxn_end(l, hr.txn);
	return r;
}

struct ledger_iter {
	struct ledger *l;
	MDB_txn *txn;
	MDB_cursor *cur;
	uint64_t from;
	bool started;
};

/** ledger_iter_new(l, from, out): iterate events from ${from}. */
int
ledger_iter_new(struct ledger *l, uint64_t from, struct ledger_iter **out)
{
	struct ledger_iter *it;
	int rc, r;

	if ((it = calloc(1, sizeof(*it))) == NULL)
		return HK_ENOMEM;
	it->from = from;
	it->l = l;
	if ((r = ledger_rtxn_begin(l, &it->txn)) != 0) {
		free(it);
		return r;
	}
	if ((rc = mdb_cursor_open(it->txn, l->ev, &it->cur)) != 0) {
		r = ledger_store_err(__func__, rc);
		ledger_iter_free(it);
		return r;
	}
	*out = it;
	return 0;
}

/** ledger_iter_next(it, seq, ev): the next event (borrowed bytes). */
int
ledger_iter_next(struct ledger_iter *it, uint64_t *seq, struct hk_bytes *ev)
{
	uint8_t kb[8];
	MDB_val k = {8, kb}, v;
	int rc;

	if (!it->started) {
		ledger_key_put(kb, it->from);
		rc = mdb_cursor_get(it->cur, &k, &v, MDB_SET_RANGE);
		it->started = true;
	} else {
		rc = mdb_cursor_get(it->cur, &k, &v, MDB_NEXT);
	}
	if (rc == MDB_NOTFOUND)
		return HK_ENOTFOUND;
	if (rc != 0)
		return ledger_store_err(__func__, rc);
	if (k.mv_size != 8)
		return HK_ECORRUPT;
	*seq = ledger_key_get(k.mv_data);
	ev->p = v.mv_data;
	ev->n = v.mv_size;
	return 0;
}

/** ledger_iter_free(it): release the snapshot; accepts NULL. */
void
ledger_iter_free(struct ledger_iter *it)
{
	if (it == NULL)
		return;
	if (it->cur != NULL)
		mdb_cursor_close(it->cur);
	if (it->txn != NULL)
		ledger_rtxn_end(it->l, it->txn);
	free(it);
}
