/* SPDX-License-Identifier: Apache-2.0 */
/*
 * libFuzzer harness for JSON request decoding (style item 30; NET-1,
 * ACT-5): net_json_parse on arbitrary bytes, under the default limits and
 * under small ones (256 bytes, depth 4), against jansson on its own as
 * the oracle. Besides "never crashes", it checks:
 *  - agreement: net_json_parse accepts exactly the objects jansson
 *    (duplicate keys rejected) decodes within the size and depth bounds,
 *    and the trees are equal; HK_ETOOBIG means the input really is over
 *    the size bound or nests deeper than the depth bound (so the
 *    pre-scan never refuses a valid body it should accept, and never
 *    lets a too-deep one through); every refusal has a description that
 *    is valid UTF-8 text;
 *  - round trip: an accepted body re-serialised (compact; and sorted,
 *    ASCII-only) parses again, within the same depth, to an equal tree.
 * A violation aborts (a libFuzzer crash).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "net/json.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(x) \
	do { \
		if (!(x)) \
			abort(); \
	} while (0)

static void
roundtrip(const json_t *v, unsigned max_depth, size_t flags)
{
	struct net_json_limits lim = {(size_t)1 << 30, max_depth};
	json_t *again = NULL;
	char *text;

	text = json_dumps(v, flags);
	CHECK(text != NULL);
	CHECK(net_json_parse(&lim, (const uint8_t *)text, strlen(text), &again,
		  NULL) == 0);
	CHECK(json_equal(v, again));
	json_decref(again);
	free(text);
}

static void
check(const struct net_json_limits *lim, const uint8_t *data, size_t size)
{
	struct net_json_error e;
	json_error_t jerr;
	json_t *v = NULL, *oracle, *desc;
	int r;

	memset(&e, 0, sizeof(e));
	r = net_json_parse(lim, data, size, &v, &e);
	oracle = json_loadb((const char *)data, size,
	    JSON_REJECT_DUPLICATES | JSON_DECODE_ANY, &jerr);
	if (r == 0) {
		CHECK(json_is_object(v));
		CHECK(size <= lim->max_size);
		CHECK(net_json_depth(v) <= lim->max_depth);
		CHECK(oracle != NULL && json_equal(v, oracle));
		roundtrip(v, lim->max_depth, JSON_COMPACT);
		roundtrip(v, lim->max_depth,
		    JSON_COMPACT | JSON_SORT_KEYS | JSON_ENSURE_ASCII);
	} else {
		CHECK(v == NULL);
		CHECK(r == HK_EINVAL || r == HK_ETOOBIG || r == HK_ENOMEM);
		if (r != HK_ENOMEM) {
			/* The description is text a JSON string can hold. */
			CHECK(e.text[0] != '\0');
			desc = json_string(e.text);
			CHECK(desc != NULL);
			json_decref(desc);
		}
		if (r == HK_ETOOBIG)
			CHECK(size > lim->max_size || oracle == NULL ||
			    net_json_depth(oracle) > lim->max_depth);
		/* Refused, but jansson accepts an object within bounds:
		 * only out of memory may explain that. */
		if (oracle != NULL && json_is_object(oracle) &&
		    size <= lim->max_size &&
		    net_json_depth(oracle) <= lim->max_depth)
			CHECK(r == HK_ENOMEM);
	}
	json_decref(oracle);
	json_decref(v);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const struct net_json_limits def = NET_JSON_LIMITS_DEFAULT;
	static const struct net_json_limits small = {256, 4};

	check(&def, data, size);
	check(&small, data, size);
	return 0;
}
