/* SPDX-License-Identifier: Apache-2.0 */
/*
 * ledger_tiles: the C2SP tlog-tiles layout of a Merkle tree (OPS-4, OPS-6,
 * SIG-6), for audit bundles (core/audit.h) that any tlog-tiles client can
 * read.
 *
 * A tile at level L, index N holds the hashes at tree level 8L with
 * indices 256N .. 256N+255: level 0 tiles hold the leaf hashes, level 1
 * tiles the roots of complete 256-leaf subtrees, and so on. For a tree of
 * n leaves, level L has n >> 8L complete hashes; the rightmost tile of a
 * level that is not full is a partial tile of width W (1..255) at
 * "<path>.p/<W>". Entry bundles ("tile/entries/<N>") hold the entries of
 * leaves 256N.. as big-endian uint16 length prefixes and the bytes.
 * Paths split the index into 3-digit groups, all but the last prefixed
 * with "x": index 1234067 is "x001/x234/067".
 *
 * The builder takes leaf hashes in order and hands out every tile as it
 * becomes final (full), and the partial ones at the end; the same code
 * writes tiles (export) and recomputes them for comparison (verify).
 */
#ifndef LEDGER_TILES_H
#define LEDGER_TILES_H

#include <stddef.h>
#include <stdint.h>

#include "core/err.h"
#include "ledger/ledger_merkle.h"

#define LEDGER_TILE_WIDTH 256
#define LEDGER_TILE_HEIGHT 8
/* Tile levels a tree of fewer than 2^64 leaves can have. */
#define LEDGER_TILE_LEVELS 8
/* Level number used for entry bundles in ledger_tile_path(). */
#define LEDGER_TILE_ENTRIES (-1)
/* "tile/entries/" + 7 groups of "x000/" + ".p/255" fits easily. */
#define LEDGER_TILE_PATH_MAX 96

/* Receives one tile: ${width} hashes (1..256; < 256 only for a partial
 * tile at the end) at tile ${level}, index ${index}. Borrowed until it
 * returns. 0, or a negative HK_E* that stops the builder. */
typedef int (*ledger_tile_cb)(void *arg, int level, uint64_t index,
    unsigned width, const uint8_t (*hashes)[LEDGER_HASH_LEN]);

struct ledger_tiles;

/** ledger_tile_path(level, index, width, out, len): write the tlog-tiles
 * path of a tile ("tile/<L>/<N>", or "tile/entries/<N>" for level
 * LEDGER_TILE_ENTRIES) with ".p/<width>" when width < 256 into ${out}
 * (${len} bytes). 0, HK_EINVAL (width 0 or > 256, level out of range) or
 * HK_ETOOBIG. */
HK_MUST_CHECK int ledger_tile_path(int level, uint64_t index, unsigned width,
    char *out, size_t len);

/** ledger_tiles_new(cb, arg, out): a builder that calls ${cb} for each
 * tile. 0 or HK_ENOMEM. */
HK_MUST_CHECK int ledger_tiles_new(ledger_tile_cb cb, void *arg,
    struct ledger_tiles **out);

/** ledger_tiles_free(t): accepts NULL. */
void ledger_tiles_free(struct ledger_tiles *t);

/** ledger_tiles_add(t, leaf): append the next leaf hash; the callback runs
 * for every tile it completes. 0, HK_ECRYPTO or the callback's error. */
HK_MUST_CHECK int ledger_tiles_add(struct ledger_tiles *t,
    const uint8_t leaf[static LEDGER_HASH_LEN]);

/** ledger_tiles_finish(t, size, root): hand out the partial tiles, then
 * the tree size and root (SHA-256("") when empty) of what was added.
 * Call once; the builder is then spent. */
HK_MUST_CHECK int ledger_tiles_finish(struct ledger_tiles *t, uint64_t *size,
    uint8_t root[static LEDGER_HASH_LEN]);

/** ledger_tiles_count(n, level): how many tiles level ${level} has in a
 * tree of ${n} leaves (the last may be partial), and in ${last_width}
 * (may be NULL) the width of the last one. */
uint64_t ledger_tiles_count(uint64_t n, int level, unsigned *last_width);

#endif
