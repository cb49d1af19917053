/* SPDX-License-Identifier: Apache-2.0 */
/*
 * strmap: a string-keyed hash table (open addressing, linear probing) with
 * keys copied in and hashed with SipHash under a per-table random key, so
 * that identifiers chosen by clients cannot force collisions. Values are
 * borrowed pointers. Not thread-safe. Leaf module.
 */
#ifndef HK_STRMAP_H
#define HK_STRMAP_H

#include <stddef.h>

#include "core/err.h"

struct hk_strmap;

/** hk_strmap_new(): an empty table; NULL on ENOMEM. */
struct hk_strmap *hk_strmap_new(void);

/** hk_strmap_free(m, free_value): free the table, calling ${free_value}
 * (may be NULL) on each value; accepts NULL. */
void hk_strmap_free(struct hk_strmap *m, void (*free_value)(void *));

/** hk_strmap_get(m, key, n): the value stored under ${key}[0..n), or
 * NULL. */
void *hk_strmap_get(const struct hk_strmap *m, const char *key, size_t n);

/** hk_strmap_put(m, key, n, value): insert or replace; 0 or HK_ENOMEM. */
HK_MUST_CHECK int hk_strmap_put(struct hk_strmap *m, const char *key,
    size_t n, void *value);

/** hk_strmap_del(m, key, n): remove ${key} and return its value (the
 * caller's to free), or NULL if absent. */
void *hk_strmap_del(struct hk_strmap *m, const char *key, size_t n);

/** hk_strmap_count(m): the number of keys. */
size_t hk_strmap_count(const struct hk_strmap *m);

/** hk_strmap_foreach(m, fn, arg): call ${fn} for each entry in no
 * particular order; stops early when ${fn} returns non-zero and returns
 * that value. */
int hk_strmap_foreach(const struct hk_strmap *m,
    int (*fn)(void *arg, const char *key, size_t n, void *value), void *arg);

#endif
