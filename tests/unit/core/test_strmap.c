/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Unit tests for core/strmap: insert, replace, lookup and delete against a
 * plain array as the model, over many random operations on a small key
 * space (so that probe chains are long, wrap around the table and are cut
 * by deletions); keys with embedded NUL bytes and of different lengths.
 * The SAM's sessions and SADs (ACT-6, ACT-8) live in these tables and are
 * deleted when used up or expired.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <sodium.h>

#include "core/strmap.h"

#define NKEYS 300

static void
test_ACT6_insert_replace_get(void **state)
{
	struct hk_strmap *m = hk_strmap_new();
	int a = 1, b = 2;

	(void)state;
	assert_non_null(m);
	assert_null(hk_strmap_get(m, "x", 1));
	assert_int_equal(hk_strmap_put(m, "x", 1, &a), 0);
	assert_ptr_equal(hk_strmap_get(m, "x", 1), &a);
	assert_int_equal(hk_strmap_put(m, "x", 1, &b), 0);
	assert_ptr_equal(hk_strmap_get(m, "x", 1), &b);
	assert_int_equal(hk_strmap_count(m), 1);
	/* Keys are byte strings: an embedded NUL and a prefix differ. */
	assert_int_equal(hk_strmap_put(m, "x\0y", 3, &a), 0);
	assert_ptr_equal(hk_strmap_get(m, "x\0y", 3), &a);
	assert_ptr_equal(hk_strmap_get(m, "x", 1), &b);
	assert_null(hk_strmap_get(m, "x\0", 2));
	assert_ptr_equal(hk_strmap_del(m, "x", 1), &b);
	assert_null(hk_strmap_get(m, "x", 1));
	assert_null(hk_strmap_del(m, "x", 1));
	assert_ptr_equal(hk_strmap_get(m, "x\0y", 3), &a);
	assert_int_equal(hk_strmap_count(m), 1);
	hk_strmap_free(m, NULL);
}

static int
count_cb(void *arg, const char *key, size_t n, void *value)
{
	(void)key;
	(void)n;
	(void)value;
	(*(size_t *)arg)++;
	return 0;
}

/* Random operations against the model: after each one, every key's
 * presence and value agree. */
static void
test_ACT6_random_operations_match_a_model(void **state)
{
	struct hk_strmap *m = hk_strmap_new();
	int *model[NKEYS], vals[NKEYS];
	char key[16];
	size_t live = 0, seen, i, k, round;

	(void)state;
	assert_non_null(m);
	memset(model, 0, sizeof(model));
	for (i = 0; i < NKEYS; i++)
		vals[i] = (int)i;
	for (round = 0; round < 200000; round++) {
		uint32_t r = randombytes_uniform(100);
		int n;

		k = randombytes_uniform(NKEYS);
		n = snprintf(key, sizeof(key), "k%zu", k);
		if (r < 50) {
			assert_int_equal(hk_strmap_put(m, key, (size_t)n,
					     &vals[k]),
			    0);
			if (model[k] == NULL)
				live++;
			model[k] = &vals[k];
		} else if (r < 90) {
			assert_ptr_equal(hk_strmap_del(m, key, (size_t)n),
			    model[k]);
			if (model[k] != NULL)
				live--;
			model[k] = NULL;
		} else {
			assert_ptr_equal(hk_strmap_get(m, key, (size_t)n),
			    model[k]);
		}
		assert_int_equal(hk_strmap_count(m), live);
		if (round % 997 == 0) {
			for (i = 0; i < NKEYS; i++) {
				n = snprintf(key, sizeof(key), "k%zu", i);
				assert_ptr_equal(
				    hk_strmap_get(m, key, (size_t)n),
				    model[i]);
			}
			seen = 0;
			assert_int_equal(hk_strmap_foreach(m, count_cb, &seen),
			    0);
			assert_int_equal(seen, live);
		}
	}
	hk_strmap_free(m, NULL);
}

/* Filling a table and then emptying it leaves it usable (no lost slots,
 * no stale keys). */
static void
test_ACT8_fill_and_empty(void **state)
{
	struct hk_strmap *m = hk_strmap_new();
	int v = 7;
	char key[16];
	size_t i;
	int n;

	(void)state;
	for (i = 0; i < 5000; i++) {
		n = snprintf(key, sizeof(key), "s%zu", i);
		assert_int_equal(hk_strmap_put(m, key, (size_t)n, &v), 0);
	}
	for (i = 0; i < 5000; i++) {
		n = snprintf(key, sizeof(key), "s%zu", i);
		assert_ptr_equal(hk_strmap_del(m, key, (size_t)n), &v);
	}
	assert_int_equal(hk_strmap_count(m), 0);
	for (i = 0; i < 5000; i++) {
		n = snprintf(key, sizeof(key), "s%zu", i);
		assert_null(hk_strmap_get(m, key, (size_t)n));
	}
	assert_int_equal(hk_strmap_put(m, "again", 5, &v), 0);
	assert_ptr_equal(hk_strmap_get(m, "again", 5), &v);
	hk_strmap_free(m, NULL);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ACT6_insert_replace_get),
		cmocka_unit_test(test_ACT6_random_operations_match_a_model),
		cmocka_unit_test(test_ACT8_fill_and_empty),
	};

	if (sodium_init() < 0)
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
