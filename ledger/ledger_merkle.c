/* SPDX-License-Identifier: Apache-2.0 */
/*
 * ledger_merkle: RFC 6962 / 9162 tree hashing, proof generation from
 * stored hashes, and proof verification (see ledger_merkle.h). OPS-4,
 * SIG-6.
 */
#include <string.h>

#include "ledger/ledger_merkle.h"

static const uint8_t empty_root[LEDGER_HASH_LEN] = {
	0xe3, 0xb0, 0xc4, 0x42, 0x98, 0xfc, 0x1c, 0x14, 0x9a, 0xfb, 0xf4,
	0xc8, 0x99, 0x6f, 0xb9, 0x24, 0x27, 0xae, 0x41, 0xe4, 0x64, 0x9b,
	0x93, 0x4c, 0xa4, 0x95, 0x99, 0x1b, 0x78, 0x52, 0xb8, 0x55,
};

/** ledger_merkle_leaf_hash(h, p, n, out): SHA-256(0x00 || p). */
int
ledger_merkle_leaf_hash(struct hk_sha256 *h, const uint8_t *p, size_t n,
    uint8_t out[static LEDGER_HASH_LEN])
{
	static const uint8_t zero = 0x00;

	return hk_sha256_digest3(h, &zero, 1, p, n, NULL, 0, out);
}

/** ledger_merkle_node_hash(h, l, r, out): SHA-256(0x01 || l || r). */
int
ledger_merkle_node_hash(struct hk_sha256 *h,
    const uint8_t l[static LEDGER_HASH_LEN],
    const uint8_t r[static LEDGER_HASH_LEN],
    uint8_t out[static LEDGER_HASH_LEN])
{
	static const uint8_t one = 0x01;

	return hk_sha256_digest3(h, &one, 1, l, LEDGER_HASH_LEN, r,
	    LEDGER_HASH_LEN, out);
}

static int
trailing_ones(uint64_t n)
{
	return n == UINT64_MAX ? 64 : __builtin_ctzll(~n);
}

/** ledger_merkle_stored_count(n): hashes made final by appending leaf n. */
int
ledger_merkle_stored_count(uint64_t n)
{
	return 1 + trailing_ones(n);
}

/** ledger_merkle_edge_append(h, e, leaf, stored, count): append a leaf. */
int
ledger_merkle_edge_append(struct hk_sha256 *h, struct ledger_merkle_edge *e,
    const uint8_t leaf[static LEDGER_HASH_LEN],
    uint8_t stored[][LEDGER_HASH_LEN], int *count)
{
	uint8_t cur[LEDGER_HASH_LEN];
	int t, l, r;

	if (e->n >= ((uint64_t)1 << 62))
		return HK_ERANGE;
	t = trailing_ones(e->n);
	memcpy(cur, leaf, LEDGER_HASH_LEN);
	memcpy(stored[0], cur, LEDGER_HASH_LEN);
	for (l = 0; l < t; l++) {
		if ((r = ledger_merkle_node_hash(h, e->hash[l], cur, cur)) != 0)
			return r;
		memcpy(stored[l + 1], cur, LEDGER_HASH_LEN);
	}
	memcpy(e->hash[t], cur, LEDGER_HASH_LEN);
	e->n++;
	*count = t + 1;
	return 0;
}

/** ledger_merkle_edge_root(h, e, out): the root of the covered tree. */
int
ledger_merkle_edge_root(struct hk_sha256 *h,
    const struct ledger_merkle_edge *e, uint8_t out[static LEDGER_HASH_LEN])
{
	uint8_t r[LEDGER_HASH_LEN];
	int l, lo, e2;

	if (e->n == 0) {
		memcpy(out, empty_root, LEDGER_HASH_LEN);
		return 0;
	}
	lo = __builtin_ctzll(e->n);
	memcpy(r, e->hash[lo], LEDGER_HASH_LEN);
	for (l = lo + 1; l < 64; l++) {
		if ((e->n >> l & 1) == 0)
			continue;
		if ((e2 = ledger_merkle_node_hash(h, e->hash[l], r, r)) != 0)
			return e2;
	}
	memcpy(out, r, LEDGER_HASH_LEN);
	return 0;
}

/** ledger_merkle_edge_load(e, n, read, arg): rebuild an edge from store. */
int
ledger_merkle_edge_load(struct ledger_merkle_edge *e, uint64_t n,
    ledger_merkle_read_cb read, void *arg)
{
	int l, r;

	memset(e, 0, sizeof(*e));
	for (l = 0; l < 63; l++) {
		uint64_t start;

		if ((n >> l & 1) == 0)
			continue;
		/* Leaves before this subtree: the bits of n above l. */
		start = n & ~(((uint64_t)2 << l) - 1);
		if ((r = read(arg, l, start >> l, e->hash[l])) != 0)
			return r;
	}
	e->n = n;
	return 0;
}

/* A proof computation: the hasher and the store. */
struct ctx {
	struct hk_sha256 *h;
	ledger_merkle_read_cb read;
	void *arg;
	uint8_t (*proof)[LEDGER_HASH_LEN];
	size_t len;
};

/* Largest power of two strictly below n (n >= 2). */
static uint64_t
split(uint64_t n)
{
	return (uint64_t)1 << (63 - __builtin_clzll(n - 1));
}

/*
 * range_hash(c, lo, hi, out): MTH(D[lo:hi]) for a range that is a node of
 * a left-balanced tree (lo is a multiple of the largest power of two not
 * above hi - lo): the right fold of its complete, aligned chunks.
 */
static int
range_hash(struct ctx *c, uint64_t lo, uint64_t hi,
    uint8_t out[static LEDGER_HASH_LEN])
{
	uint8_t chunk[64][LEDGER_HASH_LEN];
	int nchunks = 0, l, r;

	while (lo < hi) {
		l = 63 - __builtin_clzll(hi - lo);
		if ((r = c->read(c->arg, l, lo >> l, chunk[nchunks])) != 0)
			return r;
		nchunks++;
		lo += (uint64_t)1 << l;
	}
	if (nchunks == 0)
		return HK_ERANGE;
	memcpy(out, chunk[nchunks - 1], LEDGER_HASH_LEN);
	while (--nchunks > 0)
		if ((r = ledger_merkle_node_hash(c->h, chunk[nchunks - 1], out,
			 out)) != 0)
			return r;
	return 0;
}

static int
push_range(struct ctx *c, uint64_t lo, uint64_t hi)
{
	if (c->len >= LEDGER_PROOF_MAX)
		return HK_ERANGE;
	return range_hash(c, lo, hi, c->proof[c->len++]);
}

/** ledger_merkle_tree_hash(h, n, read, arg, out): root of n leaves. */
int
ledger_merkle_tree_hash(struct hk_sha256 *h, uint64_t n,
    ledger_merkle_read_cb read, void *arg, uint8_t out[static LEDGER_HASH_LEN])
{
	struct ctx c = {h, read, arg, NULL, 0};

	if (n == 0) {
		memcpy(out, empty_root, LEDGER_HASH_LEN);
		return 0;
	}
	return range_hash(&c, 0, n, out);
}

/* RFC 6962 2.1.1 PATH(m, D[lo:hi]), appended bottom-up. */
static int
inclusion(struct ctx *c, uint64_t m, uint64_t lo, uint64_t hi)
{
	uint64_t k;
	int r;

	if (hi - lo == 1)
		return 0;
	k = split(hi - lo);
	if (m < lo + k) {
		if ((r = inclusion(c, m, lo, lo + k)) != 0)
			return r;
		return push_range(c, lo + k, hi);
	}
	if ((r = inclusion(c, m, lo + k, hi)) != 0)
		return r;
	return push_range(c, lo, lo + k);
}

/** ledger_merkle_prove_inclusion(h, index, n, read, arg, proof, len). */
int
ledger_merkle_prove_inclusion(struct hk_sha256 *h, uint64_t index,
    uint64_t n, ledger_merkle_read_cb read, void *arg,
    uint8_t proof[LEDGER_PROOF_MAX][LEDGER_HASH_LEN], size_t *len)
{
	struct ctx c = {h, read, arg, proof, 0};
	int r;

	if (index >= n)
		return HK_ERANGE;
	if ((r = inclusion(&c, index, 0, n)) != 0)
		return r;
	*len = c.len;
	return 0;
}

/* RFC 6962 2.1.2 SUBPROOF(m, D[lo:hi], b), m relative to lo. */
static int
subproof(struct ctx *c, uint64_t m, uint64_t lo, uint64_t hi, int b)
{
	uint64_t k;
	int r;

	if (m == hi - lo)
		return b ? 0 : push_range(c, lo, hi);
	k = split(hi - lo);
	if (m <= k) {
		if ((r = subproof(c, m, lo, lo + k, b)) != 0)
			return r;
		return push_range(c, lo + k, hi);
	}
	if ((r = subproof(c, m - k, lo + k, hi, 0)) != 0)
		return r;
	return push_range(c, lo, lo + k);
}

/** ledger_merkle_prove_consistency(h, m, n, read, arg, proof, len). */
int
ledger_merkle_prove_consistency(struct hk_sha256 *h, uint64_t m, uint64_t n,
    ledger_merkle_read_cb read, void *arg,
    uint8_t proof[LEDGER_PROOF_MAX][LEDGER_HASH_LEN], size_t *len)
{
	struct ctx c = {h, read, arg, proof, 0};
	int r;

	if (m > n)
		return HK_ERANGE;
	if (m == 0 || m == n) {
		*len = 0;
		return 0;
	}
	if ((r = subproof(&c, m, 0, n, 1)) != 0)
		return r;
	*len = c.len;
	return 0;
}

/** ledger_merkle_verify_inclusion(h, index, n, leaf, proof, len, root). */
int
ledger_merkle_verify_inclusion(struct hk_sha256 *h, uint64_t index,
    uint64_t n, const uint8_t leaf[static LEDGER_HASH_LEN],
    const uint8_t proof[][LEDGER_HASH_LEN], size_t len,
    const uint8_t root[static LEDGER_HASH_LEN])
{
	uint8_t r[LEDGER_HASH_LEN];
	uint64_t fn, sn;
	size_t i;

	if (index >= n)
		return HK_EVERIFY;
	fn = index;
	sn = n - 1;
	memcpy(r, leaf, LEDGER_HASH_LEN);
	for (i = 0; i < len; i++) {
		if (sn == 0)
			return HK_EVERIFY; /* proof too long */
		if ((fn & 1) || fn == sn) {
			if (ledger_merkle_node_hash(h, proof[i], r, r) != 0)
				return HK_ECRYPTO;
			while ((fn & 1) == 0 && fn != 0) {
				fn >>= 1;
				sn >>= 1;
			}
		} else {
			if (ledger_merkle_node_hash(h, r, proof[i], r) != 0)
				return HK_ECRYPTO;
		}
		fn >>= 1;
		sn >>= 1;
	}
	if (sn != 0 || memcmp(r, root, LEDGER_HASH_LEN) != 0)
		return HK_EVERIFY;
	return 0;
}

/** ledger_merkle_verify_consistency(h, m, n, root_m, root_n, proof, len). */
int
ledger_merkle_verify_consistency(struct hk_sha256 *h, uint64_t m,
    uint64_t n, const uint8_t root_m[static LEDGER_HASH_LEN],
    const uint8_t root_n[static LEDGER_HASH_LEN],
    const uint8_t proof[][LEDGER_HASH_LEN], size_t len)
{
	uint8_t fr[LEDGER_HASH_LEN], sr[LEDGER_HASH_LEN];
	uint64_t fn, sn;
	size_t i = 0;

	if (m > n)
		return HK_EVERIFY;
	if (m == 0)
		return len == 0 &&
			memcmp(root_m, empty_root, LEDGER_HASH_LEN) == 0 ?
		    0 : HK_EVERIFY;
	if (m == n)
		return len == 0 && memcmp(root_m, root_n, LEDGER_HASH_LEN) == 0 ?
		    0 : HK_EVERIFY;
	if (len == 0)
		return HK_EVERIFY;
	fn = m - 1;
	sn = n - 1;
	while (fn & 1) {
		fn >>= 1;
		sn >>= 1;
	}
	/* If m is a power of two, the proof starts at the old root. */
	if ((m & (m - 1)) == 0) {
		memcpy(fr, root_m, LEDGER_HASH_LEN);
	} else {
		memcpy(fr, proof[0], LEDGER_HASH_LEN);
		i = 1;
	}
	memcpy(sr, fr, LEDGER_HASH_LEN);
	for (; i < len; i++) {
		if (sn == 0)
			return HK_EVERIFY;
		if ((fn & 1) || fn == sn) {
			if (ledger_merkle_node_hash(h, proof[i], fr, fr) != 0 ||
			    ledger_merkle_node_hash(h, proof[i], sr, sr) != 0)
				return HK_ECRYPTO;
			while ((fn & 1) == 0 && fn != 0) {
				fn >>= 1;
				sn >>= 1;
			}
		} else {
			if (ledger_merkle_node_hash(h, sr, proof[i], sr) != 0)
				return HK_ECRYPTO;
		}
		fn >>= 1;
		sn >>= 1;
	}
	if (sn != 0 || memcmp(fr, root_m, LEDGER_HASH_LEN) != 0 ||
	    memcmp(sr, root_n, LEDGER_HASH_LEN) != 0)
		return HK_EVERIFY;
	return 0;
}
