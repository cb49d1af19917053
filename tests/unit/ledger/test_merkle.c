/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Unit tests for ledger/ledger_merkle (OPS-4, SIG-6): RFC 6962 known
 * answers, proofs from stored hashes against a naive reference written
 * straight from RFC 6962 section 2.1 over the leaves, and every way a
 * proof must fail.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "core/codec.h"
#include "ledger/ledger_merkle.h"

#define MAXN 140

static struct hk_sha256 *h;
static uint8_t leaves[MAXN][32];
/* Stored hashes by (level, index), filled through edge_append. */
static uint8_t store[8][MAXN][32];
static int have[8][MAXN];
static int reads;

static int
read_cb(void *arg, int level, uint64_t index, uint8_t out[32])
{
	(void)arg;
	reads++;
	if (level >= 8 || index >= MAXN || !have[level][index])
		return HK_ENOTFOUND;
	memcpy(out, store[level][index], 32);
	return 0;
}

/* Naive MTH(D[lo:hi]) from the leaf hashes. */
static void
ref_mth(uint64_t lo, uint64_t hi, uint8_t out[32])
{
	uint8_t l[32], r[32];
	uint64_t k = 1;

	if (hi - lo == 1) {
		memcpy(out, leaves[lo], 32);
		return;
	}
	while (k * 2 < hi - lo)
		k *= 2;
	ref_mth(lo, lo + k, l);
	ref_mth(lo + k, hi, r);
	assert_int_equal(ledger_merkle_node_hash(h, l, r, out), 0);
}

static void
ref_path(uint64_t m, uint64_t lo, uint64_t hi, uint8_t p[][32], size_t *n)
{
	uint64_t k = 1;

	if (hi - lo == 1)
		return;
	while (k * 2 < hi - lo)
		k *= 2;
	if (m < lo + k) {
		ref_path(m, lo, lo + k, p, n);
		ref_mth(lo + k, hi, p[(*n)++]);
	} else {
		ref_path(m, lo + k, hi, p, n);
		ref_mth(lo, lo + k, p[(*n)++]);
	}
}

static void
ref_sub(uint64_t m, uint64_t lo, uint64_t hi, int b, uint8_t p[][32], size_t *n)
{
	uint64_t k = 1;

	if (m == hi - lo) {
		if (!b)
			ref_mth(lo, hi, p[(*n)++]);
		return;
	}
	while (k * 2 < hi - lo)
		k *= 2;
	if (m <= k) {
		ref_sub(m, lo, lo + k, b, p, n);
		ref_mth(lo + k, hi, p[(*n)++]);
	} else {
		ref_sub(m - k, lo + k, hi, 0, p, n);
		ref_mth(lo, lo + k, p[(*n)++]);
	}
}

static int
setup(void **state)
{
	struct ledger_merkle_edge *e = calloc(1, sizeof(*e));
	uint8_t stored[64][32];
	uint8_t data[4];
	uint64_t i;
	int c, l;

	(void)state;
	h = hk_sha256_new();
	memset(have, 0, sizeof(have));
	for (i = 0; i < MAXN; i++) {
		memcpy(data, &i, sizeof(data));
		assert_int_equal(ledger_merkle_leaf_hash(h, data, 4, leaves[i]), 0);
		assert_int_equal(ledger_merkle_edge_append(h, e, leaves[i], stored,
				     &c), 0);
		assert_int_equal(c, ledger_merkle_stored_count(i));
		for (l = 0; l < c; l++) {
			/* Hash (l, K) is stored with leaf ((K+1) << l) - 1. */
			uint64_t k = ((i + 1) >> l) - 1;

			memcpy(store[l][k], stored[l], 32);
			have[l][k] = 1;
		}
	}
	free(e);
	return 0;
}

static int
teardown(void **state)
{
	(void)state;
	hk_sha256_free(h);
	return 0;
}

static void
test_OPS4_rfc6962_known_roots(void **state)
{
	static const char *roots[] = {
	    "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
	    "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
	    "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
	    "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
	    "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
	    "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
	    "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
	    "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
	};
	static const uint8_t d2[] = {0x20, 0x21}, d3[] = {0x30, 0x31},
	    d4[] = {0x40, 0x41, 0x42, 0x43},
	    d5[] = {0x50, 0x51, 0x52, 0x53, 0x54, 0x55, 0x56, 0x57},
	    d6[] = {0x60, 0x61, 0x62, 0x63, 0x64, 0x65, 0x66, 0x67, 0x68, 0x69,
		0x6a, 0x6b, 0x6c, 0x6d, 0x6e, 0x6f};
	static const uint8_t z = 0x00, t = 0x10;
	const struct {
		const uint8_t *p;
		size_t n;
	} data[] = {{NULL, 0}, {&z, 1}, {&t, 1}, {d2, 2}, {d3, 2}, {d4, 4},
	    {d5, 8}, {d6, 16}};
	struct ledger_merkle_edge e;
	uint8_t leaf[32], root[32], stored[64][32];
	char hex[65];
	int i, c;

	(void)state;
	memset(&e, 0, sizeof(e));
	assert_int_equal(ledger_merkle_edge_root(h, &e, root), 0);
	hk_hex_encode(hex, root, 32);
	assert_string_equal(hex, "e3b0c44298fc1c149afbf4c8996fb924"
				 "27ae41e4649b934ca495991b7852b855");
	for (i = 0; i < 8; i++) {
		assert_int_equal(ledger_merkle_leaf_hash(h, data[i].p, data[i].n,
				     leaf), 0);
		assert_int_equal(ledger_merkle_edge_append(h, &e, leaf, stored,
				     &c), 0);
		assert_int_equal(ledger_merkle_edge_root(h, &e, root), 0);
		hk_hex_encode(hex, root, 32);
		assert_string_equal(hex, roots[i]);
	}
}

static void
test_OPS4_tree_hash_and_edge_from_store(void **state)
{
	struct ledger_merkle_edge e;
	uint8_t want[32], got[32];
	uint64_t n;

	(void)state;
	for (n = 1; n <= MAXN; n++) {
		ref_mth(0, n, want);
		assert_int_equal(ledger_merkle_tree_hash(h, n, read_cb, NULL,
				     got), 0);
		assert_memory_equal(got, want, 32);
		assert_int_equal(ledger_merkle_edge_load(&e, n, read_cb, NULL),
		    0);
		assert_int_equal(ledger_merkle_edge_root(h, &e, got), 0);
		assert_memory_equal(got, want, 32);
	}
}

static void
test_SIG6_inclusion_proofs_match_reference(void **state)
{
	uint8_t p[LEDGER_PROOF_MAX][32], q[LEDGER_PROOF_MAX][32], root[32];
	size_t pn, qn;
	uint64_t n, m;

	(void)state;
	for (n = 1; n <= MAXN; n++) {
		ref_mth(0, n, root);
		for (m = 0; m < n; m++) {
			qn = 0;
			ref_path(m, 0, n, q, &qn);
			reads = 0;
			assert_int_equal(ledger_merkle_prove_inclusion(h, m, n,
					     read_cb, NULL, p, &pn), 0);
			/* O(log n) point reads. */
			assert_true(reads <= 2 * 8 + 2);
			assert_int_equal(pn, qn);
			assert_memory_equal(p, q, pn * 32);
			assert_int_equal(ledger_merkle_verify_inclusion(h, m, n,
					     leaves[m], (const uint8_t(*)[32])p,
					     pn, root), 0);
		}
	}
	assert_int_equal(ledger_merkle_prove_inclusion(h, 5, 5, read_cb, NULL,
			     p, &pn), HK_ERANGE);
}

static void
test_OPS4_consistency_proofs_match_reference(void **state)
{
	uint8_t p[LEDGER_PROOF_MAX][32], q[LEDGER_PROOF_MAX][32];
	uint8_t rm[32], rn[32];
	size_t pn, qn;
	uint64_t n, m;

	(void)state;
	for (n = 1; n <= MAXN; n++) {
		ref_mth(0, n, rn);
		for (m = 1; m <= n; m++) {
			ref_mth(0, m, rm);
			qn = 0;
			if (m < n)
				ref_sub(m, 0, n, 1, q, &qn);
			assert_int_equal(ledger_merkle_prove_consistency(h, m, n,
					     read_cb, NULL, p, &pn), 0);
			assert_int_equal(pn, qn);
			assert_memory_equal(p, q, pn * 32);
			assert_int_equal(ledger_merkle_verify_consistency(h, m, n,
					     rm, rn, (const uint8_t(*)[32])p, pn),
			    0);
		}
	}
}

static void
test_OPS4_inclusion_refusals(void **state)
{
	uint8_t p[LEDGER_PROOF_MAX][32], root[32], bad[32];
	size_t pn;
	uint64_t n = 77, m = 42;

	(void)state;
	ref_mth(0, n, root);
	assert_int_equal(ledger_merkle_prove_inclusion(h, m, n, read_cb, NULL,
			     p, &pn), 0);
	/* Wrong index, wrong size, wrong leaf, wrong root. A size of the
	 * same tree shape computes the same path: the checkpoint binds size
	 * and root together, so only shapes that differ can fail here. */
	assert_int_equal(ledger_merkle_verify_inclusion(h, m + 1, n, leaves[m],
			     (const uint8_t(*)[32])p, pn, root), HK_EVERIFY);
	assert_int_equal(ledger_merkle_verify_inclusion(h, m, 2 * n, leaves[m],
			     (const uint8_t(*)[32])p, pn, root), HK_EVERIFY);
	assert_int_equal(ledger_merkle_verify_inclusion(h, m, n, leaves[m + 1],
			     (const uint8_t(*)[32])p, pn, root), HK_EVERIFY);
	memcpy(bad, root, 32);
	bad[0] ^= 1;
	assert_int_equal(ledger_merkle_verify_inclusion(h, m, n, leaves[m],
			     (const uint8_t(*)[32])p, pn, bad), HK_EVERIFY);
	/* Index beyond the tree. */
	assert_int_equal(ledger_merkle_verify_inclusion(h, n, n, leaves[m],
			     (const uint8_t(*)[32])p, pn, root), HK_EVERIFY);
	/* One hash too few, one too many. */
	assert_int_equal(ledger_merkle_verify_inclusion(h, m, n, leaves[m],
			     (const uint8_t(*)[32])p, pn - 1, root), HK_EVERIFY);
	memcpy(p[pn], p[0], 32);
	assert_int_equal(ledger_merkle_verify_inclusion(h, m, n, leaves[m],
			     (const uint8_t(*)[32])p, pn + 1, root), HK_EVERIFY);
	/* A flipped bit anywhere in the proof. */
	p[pn / 2][7] ^= 0x20;
	assert_int_equal(ledger_merkle_verify_inclusion(h, m, n, leaves[m],
			     (const uint8_t(*)[32])p, pn, root), HK_EVERIFY);
}

static void
test_OPS4_consistency_refusals(void **state)
{
	uint8_t p[LEDGER_PROOF_MAX][32], rm[32], rn[32], forged[32], e[32];
	size_t pn;
	uint64_t m = 13, n = 100;

	(void)state;
	ref_mth(0, m, rm);
	ref_mth(0, n, rn);
	assert_int_equal(ledger_merkle_prove_consistency(h, m, n, read_cb, NULL,
			     p, &pn), 0);
	/* A forged old root (a rewritten history) fails. */
	memcpy(forged, rm, 32);
	forged[31] ^= 1;
	assert_int_equal(ledger_merkle_verify_consistency(h, m, n, forged, rn,
			     (const uint8_t(*)[32])p, pn), HK_EVERIFY);
	/* So do a wrong new root, wrong sizes, short and long proofs. */
	assert_int_equal(ledger_merkle_verify_consistency(h, m, n, rm, forged,
			     (const uint8_t(*)[32])p, pn), HK_EVERIFY);
	assert_int_equal(ledger_merkle_verify_consistency(h, m + 1, n, rm, rn,
			     (const uint8_t(*)[32])p, pn), HK_EVERIFY);
	assert_int_equal(ledger_merkle_verify_consistency(h, m, 2 * n, rm, rn,
			     (const uint8_t(*)[32])p, pn), HK_EVERIFY);
	assert_int_equal(ledger_merkle_verify_consistency(h, m, n, rm, rn,
			     (const uint8_t(*)[32])p, pn - 1), HK_EVERIFY);
	memcpy(p[pn], p[0], 32);
	assert_int_equal(ledger_merkle_verify_consistency(h, m, n, rm, rn,
			     (const uint8_t(*)[32])p, pn + 1), HK_EVERIFY);
	assert_int_equal(ledger_merkle_verify_consistency(h, m, n, rm, rn,
			     (const uint8_t(*)[32])p, 0), HK_EVERIFY);
	assert_int_equal(ledger_merkle_verify_consistency(h, n, m, rm, rn,
			     (const uint8_t(*)[32])p, pn), HK_EVERIFY);
	/* Equal sizes need equal roots and an empty proof (C2SP). */
	assert_int_equal(ledger_merkle_verify_consistency(h, n, n, rn, rn,
			     (const uint8_t(*)[32])p, 0), 0);
	assert_int_equal(ledger_merkle_verify_consistency(h, n, n, rm, rn,
			     (const uint8_t(*)[32])p, 0), HK_EVERIFY);
	assert_int_equal(ledger_merkle_verify_consistency(h, n, n, rn, rn,
			     (const uint8_t(*)[32])p, 1), HK_EVERIFY);
	/* Size 0: the empty root and an empty proof. */
	assert_int_equal(ledger_merkle_tree_hash(h, 0, read_cb, NULL, e), 0);
	assert_int_equal(ledger_merkle_verify_consistency(h, 0, n, e, rn,
			     (const uint8_t(*)[32])p, 0), 0);
	assert_int_equal(ledger_merkle_verify_consistency(h, 0, n, rm, rn,
			     (const uint8_t(*)[32])p, 0), HK_EVERIFY);
	assert_int_equal(ledger_merkle_verify_consistency(h, 0, n, e, rn,
			     (const uint8_t(*)[32])p, 1), HK_EVERIFY);
	assert_int_equal(ledger_merkle_prove_consistency(h, n + 1, n, read_cb,
			     NULL, p, &pn), HK_ERANGE);
}

static void
test_OPS4_stored_count(void **state)
{
	(void)state;
	assert_int_equal(ledger_merkle_stored_count(0), 1);
	assert_int_equal(ledger_merkle_stored_count(1), 2);
	assert_int_equal(ledger_merkle_stored_count(2), 1);
	assert_int_equal(ledger_merkle_stored_count(3), 3);
	assert_int_equal(ledger_merkle_stored_count(255), 9);
	assert_int_equal(ledger_merkle_stored_count(256), 1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_OPS4_rfc6962_known_roots),
		cmocka_unit_test(test_OPS4_tree_hash_and_edge_from_store),
		cmocka_unit_test(test_SIG6_inclusion_proofs_match_reference),
		cmocka_unit_test(test_OPS4_consistency_proofs_match_reference),
		cmocka_unit_test(test_OPS4_inclusion_refusals),
		cmocka_unit_test(test_OPS4_consistency_refusals),
		cmocka_unit_test(test_OPS4_stored_count),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
