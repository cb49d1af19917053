/* SPDX-License-Identifier: Apache-2.0 */
/*
 * libFuzzer harness for the auditor API's query parameters (style item
 * 30; NET-1, ACT-5; docs/audit-api.md "Queries"): net_route_request_query
 * on arbitrary query bytes for each /audit/v1/ route with parameters,
 * against an independent decoder written here from the contract as the
 * oracle. Besides "never crashes", it checks:
 *  - agreement: the front accepts exactly the queries the oracle accepts
 *    ("&"-separated name=value pairs, "+" a space, "%XX" a byte, no NUL,
 *    no empty pair or name, no unknown or duplicate name, uint as 1 to 19
 *    digits up to 2^63-1 within the route's bounds, str valid UTF-8
 *    within its length bounds, required parameters present);
 *  - exactness: an accepted query becomes exactly the map the oracle
 *    builds (keys ascending, values typed);
 *  - a refusal leaves the output empty and has a description that is
 *    valid UTF-8 and never longer than the fixed texts allow.
 * A violation aborts (a libFuzzer crash). The first input byte picks the
 * route, the rest is the query.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "core/codec.h"
#include "core/mpk.h"
#include "net/route.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(x) \
	do { \
		if (!(x)) \
			abort(); \
	} while (0)

/* The contract's parameters, copied from docs/audit-api.md by hand. */
struct param {
	const char *name;
	uint64_t key;
	bool uint, required;
	uint64_t min, max; /* uint: value; str: length; max 0: none */
};

static const struct param p_events[] = {
    {"from", 1, true, false, 0, 0},
    {"limit", 2, true, false, 1, 500},
    {"type", 3, false, false, 1, 64},
    {"signer", 4, false, false, 1, 64},
    {"credential", 5, false, false, 1, 64},
    {"since", 6, true, false, 0, 0},
    {"until", 7, true, false, 0, 0},
    {"actor", 8, false, false, 1, 64},
};
static const struct param p_consistency[] = {
    {"old", 1, true, true, 1, 0},
    {"new", 2, true, false, 1, 0},
};
static const struct param p_signatures[] = {
    {"hash", 1, false, true, 1, 256},
    {"from", 2, true, false, 0, 0},
};
static const struct param p_history[] = {
    {"signer", 1, false, false, 1, 64},
    {"credential", 2, false, false, 1, 64},
    {"from", 3, true, false, 0, 0},
};
static const struct param p_signers[] = {
    {"after", 1, false, false, 1, 64},
    {"limit", 2, true, false, 1, 200},
};

static const struct {
	const char *path;
	const struct param *ps;
	size_t n;
} routes[] = {
    {"/audit/v1/events", p_events, sizeof(p_events) / sizeof(p_events[0])},
    {"/audit/v1/consistency", p_consistency,
	sizeof(p_consistency) / sizeof(p_consistency[0])},
    {"/audit/v1/signatures", p_signatures,
	sizeof(p_signatures) / sizeof(p_signatures[0])},
    {"/audit/v1/status", NULL, 0},
    {"/audit/v1/history", p_history,
	sizeof(p_history) / sizeof(p_history[0])},
    {"/audit/v1/signers", p_signers,
	sizeof(p_signers) / sizeof(p_signers[0])},
    {"/audit/v1/summary", NULL, 0},
};

#define MAXP 8

struct val {
	bool set;
	uint64_t u;
	uint8_t s[1024];
	size_t n;
};

static int
hexdig(uint8_t c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = (uint8_t)(c | 0x20);
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

/* unescape(p, n, out, len): the oracle's form decoding; false when bad. */
static bool
unescape(const uint8_t *p, size_t n, uint8_t *out, size_t *len)
{
	size_t i, o = 0;
	uint8_t c;

	for (i = 0; i < n; i++) {
		if (p[i] == '%') {
			if (n - i < 3 || hexdig(p[i + 1]) < 0 ||
			    hexdig(p[i + 2]) < 0)
				return false;
			c = (uint8_t)(hexdig(p[i + 1]) * 16 + hexdig(p[i + 2]));
			i += 2;
		} else if (p[i] == '+') {
			c = ' ';
		} else {
			c = p[i];
		}
		if (c == 0)
			return false;
		out[o++] = c;
	}
	*len = o;
	return true;
}

/* oracle(ps, n, q, qn, vals): does the contract accept the query? */
static bool
oracle(const struct param *ps, size_t np, const uint8_t *q, size_t qn,
    struct val *vals)
{
	static uint8_t name[4096], value[4096];
	size_t pos = 0, end, eq, nl, vl, k, i;

	memset(vals, 0, sizeof(*vals) * MAXP);
	while (qn > 0) {
		for (end = pos; end < qn && q[end] != '&'; end++)
			;
		if (end == pos)
			return false; /* an empty pair */
		for (eq = pos; eq < end && q[eq] != '='; eq++)
			;
		if (eq == end || eq == pos)
			return false; /* no "=", or no name */
		if (!unescape(q + pos, eq - pos, name, &nl) ||
		    !unescape(q + eq + 1, end - eq - 1, value, &vl))
			return false;
		for (k = 0; k < np; k++)
			if (strlen(ps[k].name) == nl &&
			    memcmp(ps[k].name, name, nl) == 0)
				break;
		if (k == np || vals[k].set)
			return false; /* unknown or twice */
		vals[k].set = true;
		if (ps[k].uint) {
			uint64_t u = 0;

			if (vl == 0 || vl > 19)
				return false;
			for (i = 0; i < vl; i++) {
				if (value[i] < '0' || value[i] > '9')
					return false;
				u = u * 10 + (uint64_t)(value[i] - '0');
			}
			if (u > (uint64_t)INT64_MAX || u < ps[k].min ||
			    (ps[k].max != 0 && u > ps[k].max))
				return false;
			vals[k].u = u;
		} else {
			json_t *j;

			/* jansson checks UTF-8 on its own. */
			if ((j = json_stringn((const char *)value, vl)) == NULL)
				return false;
			json_decref(j);
			if (vl < ps[k].min || (ps[k].max != 0 && vl > ps[k].max))
				return false;
			memcpy(vals[k].s, value, vl);
			vals[k].n = vl;
		}
		if (end == qn)
			break;
		pos = end + 1;
		if (pos == qn)
			return false; /* a trailing "&" */
	}
	for (k = 0; k < np; k++)
		if (ps[k].required && !vals[k].set)
			return false;
	return true;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct val vals[MAXP];
	struct hk_buf out = HK_BUF_INIT, want = HK_BUF_INIT;
	struct hk_mpk_writer w;
	struct net_json_error e;
	const struct net_route *rt = NULL;
	char allow[NET_ROUTE_ALLOW_LEN];
	size_t ri, k, q;
	uint32_t count = 0;
	bool ok;
	int r;

	if (size < 1 || size > 4096)
		return 0;
	ri = data[0] % (sizeof(routes) / sizeof(routes[0]));
	CHECK(net_route_match(routes[ri].path, strlen(routes[ri].path),
		  NET_HTTP_GET, NET_ROUTE_ADMIN, &rt, allow) == 0);
	q = size - 1;
	memset(&e, 0, sizeof(e));
	r = net_route_request_query(rt, routes[ri].path, strlen(routes[ri].path),
	    (const char *)data + 1, q, NULL, 0, &out, &e);
	ok = oracle(routes[ri].ps, routes[ri].n, data + 1, q, vals);
	CHECK(r == 0 || r == HK_EINVAL);
	CHECK((r == 0) == ok);
	if (!ok) {
		size_t tl = strnlen(e.text, sizeof(e.text));

		CHECK(out.len == 0);
		CHECK(tl > 0 && tl < 128);
		CHECK(hk_utf8_valid((const uint8_t *)e.text, tl));
	} else {
		hk_mpk_writer_init(&w, &want);
		for (k = 0; k < routes[ri].n; k++)
			count += vals[k].set;
		hk_mpk_put_map(&w, count);
		for (k = 0; k < routes[ri].n; k++) {
			if (!vals[k].set)
				continue;
			hk_mpk_put_uint(&w, routes[ri].ps[k].key);
			if (routes[ri].ps[k].uint)
				hk_mpk_put_uint(&w, vals[k].u);
			else
				hk_mpk_put_str(&w, (const char *)vals[k].s,
				    vals[k].n);
		}
		CHECK(hk_mpk_writer_status(&w) == 0);
		CHECK(out.len == want.len &&
		    memcmp(out.p, want.p, want.len) == 0);
	}
	hk_buf_release(&out);
	hk_buf_release(&want);
	return 0;
}
