/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Unit tests for ledger/ledger_tiles (OPS-4, OPS-6, SIG-6): C2SP
 * tlog-tiles paths as the spec spells them, and the streaming builder
 * against a naive reference: every tile it hands out holds exactly the
 * level-8L hashes of RFC 6962 computed straight from the leaves, the
 * tile counts and partial widths follow the tree size, and its root is
 * the RFC 6962 root, at sizes around every tile edge.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "ledger/ledger_tiles.h"

#define MAXN 66000

static struct hk_sha256 *h;
static uint8_t (*leaves)[32];
static unsigned seen[LEDGER_TILE_LEVELS];
static int bad;

static void
test_OPS6_tile_paths(void **state)
{
	char p[LEDGER_TILE_PATH_MAX];

	(void)state;
	assert_int_equal(ledger_tile_path(0, 0, 256, p, sizeof(p)), 0);
	assert_string_equal(p, "tile/0/000");
	assert_int_equal(ledger_tile_path(0, 1234067, 256, p, sizeof(p)), 0);
	assert_string_equal(p, "tile/0/x001/x234/067");
	assert_int_equal(ledger_tile_path(1, 5, 3, p, sizeof(p)), 0);
	assert_string_equal(p, "tile/1/005.p/3");
	assert_int_equal(ledger_tile_path(LEDGER_TILE_ENTRIES, 1000, 89, p,
			     sizeof(p)), 0);
	assert_string_equal(p, "tile/entries/x001/000.p/89");
	assert_int_equal(ledger_tile_path(0, 0, 0, p, sizeof(p)), HK_EINVAL);
	assert_int_equal(ledger_tile_path(0, 0, 257, p, sizeof(p)), HK_EINVAL);
	assert_int_equal(ledger_tile_path(8, 0, 1, p, sizeof(p)), HK_EINVAL);
	assert_int_equal(ledger_tile_path(0, UINT64_MAX, 1, p, 12), HK_ETOOBIG);
}

/* Naive MTH(D[lo:hi]). */
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

static int
check_cb(void *arg, int level, uint64_t index, unsigned width,
    const uint8_t (*hashes)[LEDGER_HASH_LEN])
{
	uint64_t n = *(uint64_t *)arg, span = (uint64_t)1 << (8 * level), i;
	uint8_t want[32];

	seen[level]++;
	for (i = 0; i < width; i++) {
		uint64_t lo = (index * 256 + i) * span;

		if (lo + span > n) {
			bad++;
			return 0;
		}
		ref_mth(lo, lo + span, want);
		if (memcmp(want, hashes[i], 32) != 0)
			bad++;
	}
	return 0;
}

static void
test_OPS4_builder_matches_rfc6962(void **state)
{
	static const uint64_t sizes[] = {1, 2, 255, 256, 257, 511, 512, 513,
	    65535, 65536, 65537};
	struct ledger_tiles *t;
	uint8_t root[32], want[32];
	uint64_t n, got, i;
	unsigned w;
	size_t s;
	int l;

	(void)state;
	for (s = 0; s < sizeof(sizes) / sizeof(sizes[0]); s++) {
		n = sizes[s];
		memset(seen, 0, sizeof(seen));
		bad = 0;
		assert_int_equal(ledger_tiles_new(check_cb, &n, &t), 0);
		for (i = 0; i < n; i++)
			assert_int_equal(ledger_tiles_add(t, leaves[i]), 0);
		assert_int_equal(ledger_tiles_finish(t, &got, root), 0);
		assert_int_equal(ledger_tiles_finish(t, &got, root), HK_ECLOSED);
		ledger_tiles_free(t);
		assert_int_equal(got, n);
		ref_mth(0, n, want);
		assert_memory_equal(root, want, 32);
		assert_int_equal(bad, 0);
		for (l = 0; l < LEDGER_TILE_LEVELS; l++)
			assert_int_equal(seen[l], ledger_tiles_count(n, l, &w));
	}
	assert_int_equal(ledger_tiles_count(256, 1, &w), 1);
	assert_int_equal(w, 1);
	assert_int_equal(ledger_tiles_count(257, 0, &w), 2);
	assert_int_equal(w, 1);
	assert_int_equal(ledger_tiles_count(255, 1, &w), 0);
}

static int
fail_cb(void *arg, int level, uint64_t index, unsigned width,
    const uint8_t (*hashes)[LEDGER_HASH_LEN])
{
	(void)arg;
	(void)level;
	(void)index;
	(void)width;
	(void)hashes;
	return HK_EIO;
}

static void
test_OPS4_callback_error_stops(void **state)
{
	struct ledger_tiles *t;
	int i, r = 0;

	(void)state;
	assert_int_equal(ledger_tiles_new(fail_cb, NULL, &t), 0);
	for (i = 0; i < 256 && r == 0; i++)
		r = ledger_tiles_add(t, leaves[i]);
	assert_int_equal(r, HK_EIO);
	assert_int_equal(i, 256);
	ledger_tiles_free(t);
	ledger_tiles_free(NULL);
}

static int
setup(void **state)
{
	uint32_t i;

	(void)state;
	if ((h = hk_sha256_new()) == NULL ||
	    (leaves = calloc(MAXN, 32)) == NULL)
		return -1;
	for (i = 0; i < MAXN; i++)
		if (ledger_merkle_leaf_hash(h, (const uint8_t *)&i, sizeof(i),
			leaves[i]) != 0)
			return -1;
	return 0;
}

static int
teardown(void **state)
{
	(void)state;
	hk_sha256_free(h);
	free(leaves);
	return 0;
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_OPS6_tile_paths),
		cmocka_unit_test(test_OPS4_builder_matches_rfc6962),
		cmocka_unit_test(test_OPS4_callback_error_stops),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
