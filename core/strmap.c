/* SPDX-License-Identifier: Apache-2.0 */
/* strmap: string-keyed hash table (see strmap.h). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "core/strmap.h"

struct slot {
	char *key; /* NULL: empty */
	size_t n;
	uint64_t hash;
	void *value;
};

struct hk_strmap {
	struct slot *slots;
	size_t cap; /* power of two */
	size_t count;
	uint8_t sipkey[crypto_shorthash_KEYBYTES];
};

static uint64_t
hash(const struct hk_strmap *m, const char *key, size_t n)
{
	uint8_t out[crypto_shorthash_BYTES];
	uint64_t h;

	crypto_shorthash(out, (const uint8_t *)key, n, m->sipkey);
	memcpy(&h, out, sizeof(h));
	return h;
}

/** hk_strmap_new(): an empty table. */
struct hk_strmap *
hk_strmap_new(void)
{
	struct hk_strmap *m;

	if ((m = calloc(1, sizeof(*m))) == NULL)
		return NULL;
	m->cap = 16;
	if ((m->slots = calloc(m->cap, sizeof(*m->slots))) == NULL) {
		free(m);
		return NULL;
	}
	randombytes_buf(m->sipkey, sizeof(m->sipkey));
	return m;
}

/** hk_strmap_free(m, free_value): free the table. */
void
hk_strmap_free(struct hk_strmap *m, void (*free_value)(void *))
{
	size_t i;

	if (m == NULL)
		return;
	for (i = 0; i < m->cap; i++) {
		if (m->slots[i].key == NULL)
			continue;
		free(m->slots[i].key);
		if (free_value != NULL)
			free_value(m->slots[i].value);
	}
	free(m->slots);
	free(m);
}

static struct slot *
find(const struct hk_strmap *m, const char *key, size_t n, uint64_t h)
{
	size_t i = (size_t)h & (m->cap - 1);

	for (;; i = (i + 1) & (m->cap - 1)) {
		struct slot *s = &m->slots[i];

		if (s->key == NULL ||
		    (s->hash == h && s->n == n && memcmp(s->key, key, n) == 0))
			return s;
	}
}

/** hk_strmap_get(m, key, n): the value under ${key}, or NULL. */
void *
hk_strmap_get(const struct hk_strmap *m, const char *key, size_t n)
{
	struct slot *s = find(m, key, n, hash(m, key, n));

	return s->key != NULL ? s->value : NULL;
}

static int
grow(struct hk_strmap *m)
{
	struct slot *old = m->slots, *s;
	size_t oldcap = m->cap, i;

	if ((m->slots = calloc(oldcap * 2, sizeof(*m->slots))) == NULL) {
		m->slots = old;
		return HK_ENOMEM;
	}
	m->cap = oldcap * 2;
	for (i = 0; i < oldcap; i++) {
		if (old[i].key == NULL)
			continue;
		s = find(m, old[i].key, old[i].n, old[i].hash);
		*s = old[i];
	}
	free(old);
	return 0;
}

/** hk_strmap_put(m, key, n, value): insert or replace. */
int
hk_strmap_put(struct hk_strmap *m, const char *key, size_t n, void *value)
{
	uint64_t h = hash(m, key, n);
	struct slot *s;
	int r;

	if ((m->count + 1) * 4 > m->cap * 3) {
		if ((r = grow(m)) != 0)
			return r;
	}
	s = find(m, key, n, h);
	if (s->key == NULL) {
		if ((s->key = malloc(n + 1)) == NULL)
			return HK_ENOMEM;
		memcpy(s->key, key, n);
		s->key[n] = '\0';
		s->n = n;
		s->hash = h;
		m->count++;
	}
	s->value = value;
	return 0;
}

/** hk_strmap_del(m, key, n): remove ${key}; its value (returned) is the
 * caller's. Backward-shift deletion keeps every probe chain unbroken
 * without tombstones. */
void *
hk_strmap_del(struct hk_strmap *m, const char *key, size_t n)
{
	struct slot *s = find(m, key, n, hash(m, key, n));
	size_t i, j, home;
	void *value;

	if (s->key == NULL)
		return NULL;
	value = s->value;
	free(s->key);
	i = (size_t)(s - m->slots);
	for (j = (i + 1) & (m->cap - 1); m->slots[j].key != NULL;
	     j = (j + 1) & (m->cap - 1)) {
		home = (size_t)m->slots[j].hash & (m->cap - 1);
		/* Move slot j into the hole at i unless its home lies
		 * cyclically in (i, j]. */
		if ((j > i && (home <= i || home > j)) ||
		    (j < i && (home <= i && home > j))) {
			m->slots[i] = m->slots[j];
			i = j;
		}
	}
	memset(&m->slots[i], 0, sizeof(m->slots[i]));
	m->count--;
	return value;
}

/** hk_strmap_count(m): the number of keys. */
size_t
hk_strmap_count(const struct hk_strmap *m)
{
	return m->count;
}

/** hk_strmap_foreach(m, fn, arg): visit every entry. */
int
hk_strmap_foreach(const struct hk_strmap *m,
    int (*fn)(void *arg, const char *key, size_t n, void *value), void *arg)
{
	size_t i;
	int r;

	for (i = 0; i < m->cap; i++)
		if (m->slots[i].key != NULL &&
		    (r = fn(arg, m->slots[i].key, m->slots[i].n,
			 m->slots[i].value)) != 0)
			return r;
	return 0;
}
