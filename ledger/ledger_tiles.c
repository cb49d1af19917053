/* SPDX-License-Identifier: Apache-2.0 */
/*
 * ledger_tiles: C2SP tlog-tiles paths and a streaming tile builder (see
 * ledger_tiles.h). OPS-4, OPS-6, SIG-6.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ledger/ledger_tiles.h"

struct ledger_tiles {
	ledger_tile_cb cb;
	void *arg;
	struct hk_sha256 *h;
	struct ledger_merkle_edge edge;      /* for the root */
	uint64_t index[LEDGER_TILE_LEVELS];  /* index of the open tile */
	unsigned fill[LEDGER_TILE_LEVELS];   /* hashes in the open tile */
	uint8_t buf[LEDGER_TILE_LEVELS][LEDGER_TILE_WIDTH][LEDGER_HASH_LEN];
	int finished;
};

/** ledger_tile_path(level, index, width, out, len): a tlog-tiles path. */
int
ledger_tile_path(int level, uint64_t index, unsigned width, char *out,
    size_t len)
{
	char groups[8][4];
	int ng = 0, n, i;
	size_t off;

	if (width == 0 || width > LEDGER_TILE_WIDTH ||
	    level < LEDGER_TILE_ENTRIES || level >= LEDGER_TILE_LEVELS)
		return HK_EINVAL;
	do {
		snprintf(groups[ng++], sizeof(groups[0]), "%03u",
		    (unsigned)(index % 1000));
		index /= 1000;
	} while (index > 0);
	if (level == LEDGER_TILE_ENTRIES)
		n = snprintf(out, len, "tile/entries/");
	else
		n = snprintf(out, len, "tile/%d/", level);
	if (n < 0 || (size_t)n >= len)
		return HK_ETOOBIG;
	off = (size_t)n;
	for (i = ng - 1; i >= 0; i--) {
		n = snprintf(out + off, len - off, "%s%s%s", i > 0 ? "x" : "",
		    groups[i], i > 0 ? "/" : "");
		if (n < 0 || (size_t)n >= len - off)
			return HK_ETOOBIG;
		off += (size_t)n;
	}
	if (width < LEDGER_TILE_WIDTH) {
		n = snprintf(out + off, len - off, ".p/%u", width);
		if (n < 0 || (size_t)n >= len - off)
			return HK_ETOOBIG;
	}
	return 0;
}

/** ledger_tiles_new(cb, arg, out): a builder. */
int
ledger_tiles_new(ledger_tile_cb cb, void *arg, struct ledger_tiles **out)
{
	struct ledger_tiles *t;

	if ((t = calloc(1, sizeof(*t))) == NULL)
		return HK_ENOMEM;
	if ((t->h = hk_sha256_new()) == NULL) {
		free(t);
		return HK_ENOMEM;
	}
	t->cb = cb;
	t->arg = arg;
	*out = t;
	return 0;
}

/** ledger_tiles_free(t): accepts NULL. */
void
ledger_tiles_free(struct ledger_tiles *t)
{
	if (t == NULL)
		return;
	hk_sha256_free(t->h);
	free(t);
}

/* The root of the complete subtree whose 256 hashes fill tile level L:
 * eight rounds of pairwise node hashes (RFC 6962 over 256 leaves). */
static int
tile_root(struct ledger_tiles *t, int level, uint8_t out[LEDGER_HASH_LEN])
{
	uint8_t work[LEDGER_TILE_WIDTH][LEDGER_HASH_LEN];
	unsigned n = LEDGER_TILE_WIDTH, i;
	int r;

	memcpy(work, t->buf[level], sizeof(work));
	while (n > 1) {
		for (i = 0; i < n / 2; i++)
			if ((r = ledger_merkle_node_hash(t->h, work[2 * i],
				 work[2 * i + 1], work[i])) != 0)
				return r;
		n /= 2;
	}
	memcpy(out, work[0], LEDGER_HASH_LEN);
	return 0;
}

/* Put ${hash} into the open tile of ${level}; a tile that fills is handed
 * out and its root goes one level up. */
static int
push(struct ledger_tiles *t, int level, const uint8_t hash[LEDGER_HASH_LEN])
{
	uint8_t root[LEDGER_HASH_LEN];
	int r;

	if (level >= LEDGER_TILE_LEVELS)
		return HK_ERANGE;
	memcpy(t->buf[level][t->fill[level]++], hash, LEDGER_HASH_LEN);
	if (t->fill[level] < LEDGER_TILE_WIDTH)
		return 0;
	if ((r = t->cb(t->arg, level, t->index[level], LEDGER_TILE_WIDTH,
		 (const uint8_t (*)[LEDGER_HASH_LEN])t->buf[level])) != 0 ||
	    (r = tile_root(t, level, root)) != 0)
		return r;
	t->fill[level] = 0;
	t->index[level]++;
	return push(t, level + 1, root);
}

/** ledger_tiles_add(t, leaf): append the next leaf hash. */
int
ledger_tiles_add(struct ledger_tiles *t,
    const uint8_t leaf[static LEDGER_HASH_LEN])
{
	uint8_t stored[64][LEDGER_HASH_LEN];
	int count, r;

	if (t->finished)
		return HK_ECLOSED;
	if ((r = ledger_merkle_edge_append(t->h, &t->edge, leaf, stored,
		 &count)) != 0)
		return r;
	return push(t, 0, leaf);
}

/** ledger_tiles_finish(t, size, root): partial tiles, then size and root. */
int
ledger_tiles_finish(struct ledger_tiles *t, uint64_t *size,
    uint8_t root[static LEDGER_HASH_LEN])
{
	int level, r;

	if (t->finished)
		return HK_ECLOSED;
	t->finished = 1;
	for (level = 0; level < LEDGER_TILE_LEVELS; level++)
		if (t->fill[level] > 0 &&
		    (r = t->cb(t->arg, level, t->index[level], t->fill[level],
			 (const uint8_t (*)[LEDGER_HASH_LEN])t->buf[level])) !=
			0)
			return r;
	*size = t->edge.n;
	return ledger_merkle_edge_root(t->h, &t->edge, root);
}

/** ledger_tiles_count(n, level, last_width): tiles of a level. */
uint64_t
ledger_tiles_count(uint64_t n, int level, unsigned *last_width)
{
	uint64_t hashes;

	if (level < 0 || level >= LEDGER_TILE_LEVELS) {
		if (last_width != NULL)
			*last_width = 0;
		return 0;
	}
	hashes = level == 0 ? n : n >> (LEDGER_TILE_HEIGHT * level);
	if (last_width != NULL)
		*last_width = hashes == 0 ? 0 :
		    (hashes % LEDGER_TILE_WIDTH == 0 ? LEDGER_TILE_WIDTH :
			(unsigned)(hashes % LEDGER_TILE_WIDTH));
	return (hashes + LEDGER_TILE_WIDTH - 1) / LEDGER_TILE_WIDTH;
}
