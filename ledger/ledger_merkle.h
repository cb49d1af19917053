/* SPDX-License-Identifier: Apache-2.0 */
/*
 * ledger_merkle: RFC 6962 / RFC 9162 Merkle tree arithmetic (OPS-4, SIG-6).
 *
 *   leaf = SHA-256(0x00 || event bytes), node = SHA-256(0x01 || l || r),
 *   the root of the empty tree = SHA-256("").
 *
 * Stored hashes follow Go's sumdb/tlog layout: after leaf n is appended,
 * the hashes that became final are the leaf hash (level 0, index n) and,
 * for each trailing 1 bit of n, the root of the complete subtree that leaf
 * closed (level L, index n >> L). Complete-subtree hash (L, K) is therefore
 * final once leaf ((K+1) << L) - 1 is in. Everything else (any root, any
 * proof) is computed from O(log n) of these, read through a callback.
 *
 * The proof functions produce and check the proofs of RFC 9162 2.1.3 and
 * 2.1.4 in the same order as RFC 6962 (leaf sibling first).
 */
#ifndef LEDGER_MERKLE_H
#define LEDGER_MERKLE_H

#include <stddef.h>
#include <stdint.h>

#include "core/err.h"
#include "core/sha256.h"

#define LEDGER_HASH_LEN HK_SHA256_LEN
/* No proof for a tree of fewer than 2^63 leaves has more hashes. */
#define LEDGER_PROOF_MAX 64

/* Reads the complete-subtree hash at (${level}, ${index}) into ${out}:
 * 0, or a negative HK_E* that aborts the computation. */
typedef int (*ledger_merkle_read_cb)(void *arg, int level, uint64_t index,
    uint8_t out[LEDGER_HASH_LEN]);

/* The right edge of a growing tree: for each set bit L of n, the root of
 * the complete subtree of 2^L leaves at that position. */
struct ledger_merkle_edge {
	uint64_t n;
	uint8_t hash[64][LEDGER_HASH_LEN];
};

/** ledger_merkle_leaf_hash(h, p, n, out): SHA-256(0x00 || p). */
HK_MUST_CHECK int ledger_merkle_leaf_hash(struct hk_sha256 *h,
    const uint8_t *p, size_t n, uint8_t out[static LEDGER_HASH_LEN]);

/** ledger_merkle_node_hash(h, l, r, out): SHA-256(0x01 || l || r). */
HK_MUST_CHECK int ledger_merkle_node_hash(struct hk_sha256 *h,
    const uint8_t l[static LEDGER_HASH_LEN],
    const uint8_t r[static LEDGER_HASH_LEN],
    uint8_t out[static LEDGER_HASH_LEN]);

/** ledger_merkle_stored_count(n): how many hashes become final when leaf
 * ${n} is appended (1 + the number of trailing 1 bits of n). */
int ledger_merkle_stored_count(uint64_t n);

/** ledger_merkle_edge_append(h, e, leaf, stored, count): append the leaf
 * with hash ${leaf} to ${e}; write the hashes that became final, level 0
 * first, to ${stored} (room for 64) and their number to ${count}.
 * 0 or HK_ECRYPTO / HK_ERANGE. */
HK_MUST_CHECK int ledger_merkle_edge_append(struct hk_sha256 *h,
    struct ledger_merkle_edge *e, const uint8_t leaf[static LEDGER_HASH_LEN],
    uint8_t stored[][LEDGER_HASH_LEN], int *count);

/** ledger_merkle_edge_root(h, e, out): the root of the tree ${e} covers
 * (SHA-256("") when empty). */
HK_MUST_CHECK int ledger_merkle_edge_root(struct hk_sha256 *h,
    const struct ledger_merkle_edge *e, uint8_t out[static LEDGER_HASH_LEN]);

/** ledger_merkle_edge_load(e, n, read, arg): rebuild the edge of a tree
 * of ${n} leaves from stored hashes. */
HK_MUST_CHECK int ledger_merkle_edge_load(struct ledger_merkle_edge *e,
    uint64_t n, ledger_merkle_read_cb read, void *arg);

/** ledger_merkle_tree_hash(h, n, read, arg, out): root of the first ${n}
 * leaves, from O(log n) stored hashes. */
HK_MUST_CHECK int ledger_merkle_tree_hash(struct hk_sha256 *h, uint64_t n,
    ledger_merkle_read_cb read, void *arg, uint8_t out[static LEDGER_HASH_LEN]);

/** ledger_merkle_prove_inclusion(h, index, n, read, arg, proof, len):
 * the audit path of leaf ${index} in the tree of ${n} leaves. HK_ERANGE
 * if index >= n. */
HK_MUST_CHECK int ledger_merkle_prove_inclusion(struct hk_sha256 *h,
    uint64_t index, uint64_t n, ledger_merkle_read_cb read, void *arg,
    uint8_t proof[LEDGER_PROOF_MAX][LEDGER_HASH_LEN], size_t *len);

/** ledger_merkle_prove_consistency(h, m, n, read, arg, proof, len): the
 * consistency proof from size ${m} to ${n} (empty when m == 0 or m == n).
 * HK_ERANGE if m > n. */
HK_MUST_CHECK int ledger_merkle_prove_consistency(struct hk_sha256 *h,
    uint64_t m, uint64_t n, ledger_merkle_read_cb read, void *arg,
    uint8_t proof[LEDGER_PROOF_MAX][LEDGER_HASH_LEN], size_t *len);

/** ledger_merkle_verify_inclusion(h, index, n, leaf, proof, len, root):
 * RFC 9162 2.1.3.2. 0 if the proof holds, HK_EVERIFY otherwise. */
HK_MUST_CHECK int ledger_merkle_verify_inclusion(struct hk_sha256 *h,
    uint64_t index, uint64_t n, const uint8_t leaf[static LEDGER_HASH_LEN],
    const uint8_t proof[][LEDGER_HASH_LEN], size_t len,
    const uint8_t root[static LEDGER_HASH_LEN]);

/** ledger_merkle_verify_consistency(h, m, n, root_m, root_n, proof, len):
 * RFC 9162 2.1.4.2, with the C2SP tlog-witness edge cases: m == 0 needs
 * an empty proof, m == n needs an empty proof and equal roots. 0 or
 * HK_EVERIFY. */
HK_MUST_CHECK int ledger_merkle_verify_consistency(struct hk_sha256 *h,
    uint64_t m, uint64_t n, const uint8_t root_m[static LEDGER_HASH_LEN],
    const uint8_t root_n[static LEDGER_HASH_LEN],
    const uint8_t proof[][LEDGER_HASH_LEN], size_t len);

#endif
