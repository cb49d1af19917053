/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Unit tests for net/route (NET-1, ACT-5, ACT-8, OPS-1; docs/admin-api.md
 * and docs/csc-api.md): the
 * route table against the contract (written out here independently:
 * method, path, listener, IPC type), matching (404, 405 with Allow, one
 * listener only), the request schema conversion JSON -> msgpack map with
 * keys ascending (exact bytes) and every refusal (missing field, wrong
 * type, unknown field, over-long, empty, a value not allowed, a path id
 * of the wrong shape, a body where none is taken), and the response
 * conversion msgpack -> JSON (exact text, lists of maps, optional
 * fields, errors) with every answer the front must refuse (502). The CSC
 * v2 routes: their table entries, CSC's 404, the Authorization shape
 * checks, the msgpack the core receives for representative and tolerated
 * bodies, every refusal with CSC's exact text, and the JSON the client
 * receives (nested objects, Base64, lists of lists, 204, CSC's errors)
 * with every answer that must become 502.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "core/mpk.h"
#include "net/console.h"
#include "net/route.h"

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))
#define SID "s-0123456789abcdef"
#define CID "c-0123456789abcdef"
#define AID "a-0123456789abcdef"
#define FP "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

/* The contract's routes, copied from docs/admin-api.md by hand. */
static const struct {
	enum net_http_method m;
	const char *path; /* with sample ids */
	unsigned listener;
	uint64_t type;
} contract[] = {
    {NET_HTTP_GET, "/admin/v1/status", NET_ROUTE_ADMIN, 10},
    {NET_HTTP_GET, "/admin/v1/users", NET_ROUTE_ADMIN, 11},
    {NET_HTTP_POST, "/admin/v1/users", NET_ROUTE_ADMIN, 12},
    {NET_HTTP_DELETE, "/admin/v1/users/" FP, NET_ROUTE_ADMIN, 13},
    {NET_HTTP_GET, "/admin/v1/approvals", NET_ROUTE_ADMIN, 14},
    {NET_HTTP_POST, "/admin/v1/approvals/" AID "/approve", NET_ROUTE_ADMIN,
	15},
    {NET_HTTP_POST, "/admin/v1/approvals/" AID "/reject", NET_ROUTE_ADMIN,
	15},
    {NET_HTTP_POST, "/admin/v1/signers", NET_ROUTE_ADMIN, 16},
    {NET_HTTP_GET, "/admin/v1/signers/" SID, NET_ROUTE_ADMIN, 17},
    {NET_HTTP_POST, "/admin/v1/signers/" SID "/erase", NET_ROUTE_ADMIN, 18},
    {NET_HTTP_POST, "/admin/v1/signers/" SID "/credentials", NET_ROUTE_ADMIN,
	19},
    {NET_HTTP_GET, "/admin/v1/credentials/" CID, NET_ROUTE_ADMIN, 20},
    {NET_HTTP_POST, "/admin/v1/credentials/" CID "/key", NET_ROUTE_ADMIN, 21},
    {NET_HTTP_POST, "/admin/v1/credentials/" CID "/csr", NET_ROUTE_ADMIN, 22},
    {NET_HTTP_GET, "/admin/v1/credentials/" CID "/csr", NET_ROUTE_ADMIN, 23},
    {NET_HTTP_PUT, "/admin/v1/credentials/" CID "/certificate",
	NET_ROUTE_ADMIN, 24},
    {NET_HTTP_POST, "/admin/v1/credentials/" CID "/suspend", NET_ROUTE_ADMIN,
	25},
    {NET_HTTP_POST, "/admin/v1/credentials/" CID "/resume", NET_ROUTE_ADMIN,
	26},
    {NET_HTTP_POST, "/admin/v1/credentials/" CID "/destroy", NET_ROUTE_ADMIN,
	27},
    {NET_HTTP_POST, "/admin/v1/credentials/" CID "/unlock", NET_ROUTE_ADMIN,
	28},
    {NET_HTTP_POST, "/admin/v1/credentials/" CID "/renew", NET_ROUTE_ADMIN,
	29},
    {NET_HTTP_POST, "/signer/v1/enroll", NET_ROUTE_SIGNING, 40},
    {NET_HTTP_GET, "/signer/v1/credentials/" CID "/csr", NET_ROUTE_SIGNING,
	41},
    {NET_HTTP_POST, "/signer/v1/credentials/" CID "/csr/confirm",
	NET_ROUTE_SIGNING, 42},
    {NET_HTTP_POST, "/signer/v1/nonce", NET_ROUTE_SIGNING, 43},
    {NET_HTTP_POST, "/signer/v1/credentials/" CID "/suspend",
	NET_ROUTE_SIGNING, 44},
    {NET_HTTP_POST, "/signer/v1/credentials/" CID "/destroy",
	NET_ROUTE_SIGNING, 45},
    /* docs/csc-api.md "Methods". */
    {NET_HTTP_GET, "/csc/v2/info", NET_ROUTE_SIGNING, 50},
    {NET_HTTP_POST, "/csc/v2/info", NET_ROUTE_SIGNING, 50},
    {NET_HTTP_POST, "/csc/v2/auth/login", NET_ROUTE_SIGNING, 51},
    {NET_HTTP_POST, "/csc/v2/auth/revoke", NET_ROUTE_SIGNING, 52},
    {NET_HTTP_POST, "/csc/v2/credentials/list", NET_ROUTE_SIGNING, 53},
    {NET_HTTP_POST, "/csc/v2/credentials/info", NET_ROUTE_SIGNING, 54},
    {NET_HTTP_POST, "/csc/v2/credentials/authorize", NET_ROUTE_SIGNING, 55},
    {NET_HTTP_POST, "/csc/v2/credentials/extendTransaction",
	NET_ROUTE_SIGNING, 56},
    {NET_HTTP_POST, "/csc/v2/signatures/signHash", NET_ROUTE_SIGNING, 57},
    /* docs/audit-api.md "Routes". */
    {NET_HTTP_GET, "/audit/v1/status", NET_ROUTE_ADMIN, 60},
    {NET_HTTP_GET, "/audit/v1/events", NET_ROUTE_ADMIN, 61},
    {NET_HTTP_GET, "/audit/v1/receipts/0", NET_ROUTE_ADMIN, 62},
    {NET_HTTP_GET, "/audit/v1/consistency", NET_ROUTE_ADMIN, 63},
    {NET_HTTP_GET, "/audit/v1/signatures", NET_ROUTE_ADMIN, 64},
    {NET_HTTP_GET, "/audit/v1/bundle", NET_ROUTE_ADMIN, 65},
    {NET_HTTP_GET, "/audit/v1/summary", NET_ROUTE_ADMIN, 68},
    {NET_HTTP_GET, "/audit/v1/history", NET_ROUTE_ADMIN, 69},
    {NET_HTTP_GET, "/audit/v1/signers", NET_ROUTE_ADMIN, 70},
    {NET_HTTP_GET, "/console/", NET_ROUTE_ADMIN, 67},
    {NET_HTTP_HEAD, "/console/app.js", NET_ROUTE_ADMIN, 67},
};

static const struct net_route *
route_for(enum net_http_method m, const char *path, unsigned listener)
{
	const struct net_route *rt = NULL;
	char allow[NET_ROUTE_ALLOW_LEN];

	assert_int_equal(net_route_match(path, strlen(path), m, listener, &rt,
			     allow),
	    0);
	return rt;
}

/* ---- the table ---------------------------------------------------------- */

static void
check_schema(const struct net_route_field *fs, size_t n, bool request)
{
	size_t i;

	assert_true(n <= NET_ROUTE_MAX_FIELDS);
	for (i = 0; i < n; i++) {
		assert_non_null(fs[i].name);
		if (i > 0)
			assert_true(fs[i].key > fs[i - 1].key);
		/* Response-only types never appear in a request. */
		if (request)
			assert_true(fs[i].type != NET_ROUTE_STRLIST &&
			    fs[i].type != NET_ROUTE_UINTLIST &&
			    fs[i].type != NET_ROUTE_STRLISTLIST &&
			    fs[i].type != NET_ROUTE_JSON &&
			    fs[i].type != NET_ROUTE_JSONLIST);
		if (fs[i].type == NET_ROUTE_LIST ||
		    fs[i].type == NET_ROUTE_MAP) {
			assert_non_null(fs[i].items);
			check_schema(fs[i].items, fs[i].nitems, request);
		}
	}
}

/* Every route: schemas sorted by key, path "{name}" segments and PATH
 * fields in one-to-one correspondence, no two routes alike. */
static void
test_NET1_table_is_consistent(void **state)
{
	const struct net_route *t;
	size_t n, i, j;

	(void)state;
	t = net_route_table(&n);
	assert_int_equal(n, NELEM(contract) + 2);
	for (i = 0; i < n; i++) {
		const char *p = t[i].pattern;
		size_t params = 0, pathfields = 0;

		check_schema(t[i].req, t[i].nreq, true);
		check_schema(t[i].resp, t[i].nresp, false);
		while ((p = strchr(p, '{')) != NULL) {
			const char *e = strchr(p, '}');
			bool found = false;

			assert_non_null(e);
			for (j = 0; j < t[i].nreq; j++)
				if (t[i].req[j].src == NET_ROUTE_PATH &&
				    strlen(t[i].req[j].name) ==
					(size_t)(e - p - 1) &&
				    memcmp(t[i].req[j].name, p + 1,
					(size_t)(e - p - 1)) == 0)
					found = true;
			assert_true(found);
			params++;
			p = e + 1;
		}
		for (j = 0; j < t[i].nreq; j++)
			if (t[i].req[j].src == NET_ROUTE_PATH)
				pathfields++;
		assert_int_equal(params, pathfields);
		for (j = 0; j < i; j++)
			assert_false(t[j].method == t[i].method &&
			    strcmp(t[j].pattern, t[i].pattern) == 0 &&
			    (t[j].listeners & t[i].listeners) != 0);
	}
}

/* Every route of the contract on its listener with its IPC type, and on
 * the other listener: 404. */
static void
test_NET1_contract_routes_on_their_listener_only(void **state)
{
	const struct net_route *rt;
	char allow[NET_ROUTE_ALLOW_LEN];
	size_t i;
	unsigned other;

	(void)state;
	for (i = 0; i < NELEM(contract); i++) {
		rt = route_for(contract[i].m, contract[i].path,
		    contract[i].listener);
		assert_int_equal(rt->type, contract[i].type);
		/* The console's assets (67) are the front's answer after
		 * the core's access check, the bundle (65) the one download
		 * in chunks; everything else is a schema. */
		assert_int_equal(rt->answer,
		    contract[i].type == HK_IPC_CONSOLE ? NET_ROUTE_CONSOLE :
		    contract[i].type == HK_IPC_AUDIT_BUNDLE ? NET_ROUTE_STREAM :
							      NET_ROUTE_SCHEMA);
		/* Basic and Bearer routes forward Authorization, the
		 * others (admin, enroll, CSC info) do not. */
		assert_int_equal((rt->flags & NET_ROUTE_FORWARD_AUTH) != 0,
		    contract[i].type >= 41 && contract[i].type != 50 &&
			contract[i].type < 60);
		/* The CSC dialect on the CSC routes only. */
		assert_int_equal((rt->flags & NET_ROUTE_CSC) != 0,
		    contract[i].type >= 50 && contract[i].type < 60);
		/* Queries on the auditor routes only, all GET (read-only
		 * by construction, docs/audit-api.md). */
		assert_int_equal((rt->flags & NET_ROUTE_QUERY) != 0,
		    contract[i].type >= 60 && contract[i].type != HK_IPC_CONSOLE);
		if (contract[i].type >= 60)
			assert_true(rt->method == NET_HTTP_GET ||
			    (contract[i].type == HK_IPC_CONSOLE &&
				rt->method == NET_HTTP_HEAD));
		other = contract[i].listener ^ (NET_ROUTE_ADMIN |
						   NET_ROUTE_SIGNING);
		assert_int_equal(net_route_match(contract[i].path,
				     strlen(contract[i].path), contract[i].m,
				     other, &rt, allow),
		    HK_ENOTFOUND);
	}
	rt = route_for(NET_HTTP_GET, "/healthz", NET_ROUTE_SIGNING);
	assert_int_equal(rt->answer, NET_ROUTE_HEALTH);
	rt = route_for(NET_HTTP_GET, "/readyz", NET_ROUTE_ADMIN);
	assert_int_equal(rt->answer, NET_ROUTE_READY);
}

static void
test_NET1_match_404_405(void **state)
{
	const struct {
		enum net_http_method m;
		const char *path;
		unsigned listener;
		int want;
		const char *allow;
	} cases[] = {
	    {NET_HTTP_DELETE, "/admin/v1/users", NET_ROUTE_ADMIN, HK_ENOTSUP,
		"GET, POST"},
	    {NET_HTTP_PUT, "/admin/v1/credentials/" CID "/csr",
		NET_ROUTE_ADMIN, HK_ENOTSUP, "GET, POST"},
	    {NET_HTTP_GET, "/admin/v1/credentials/" CID "/renew",
		NET_ROUTE_ADMIN, HK_ENOTSUP, "POST"},
	    {NET_HTTP_POST, "/healthz", NET_ROUTE_SIGNING, HK_ENOTSUP, "GET"},
	    {NET_HTTP_HEAD, "/admin/v1/status", NET_ROUTE_ADMIN, HK_ENOTSUP,
		"GET"},
	    /* A pattern matches any segment; the id is checked later. */
	    {NET_HTTP_GET, "/admin/v1/signers/x", NET_ROUTE_ADMIN, 0, ""},
	    {NET_HTTP_GET, "/admin/v1/signers/", NET_ROUTE_ADMIN, HK_ENOTFOUND,
		""},
	    {NET_HTTP_GET, "/admin/v1/status/", NET_ROUTE_ADMIN, HK_ENOTFOUND,
		""},
	    {NET_HTTP_GET, "/admin/v1/signers/" SID "/x", NET_ROUTE_ADMIN,
		HK_ENOTFOUND, ""},
	    {NET_HTTP_GET, "/admin/v1", NET_ROUTE_ADMIN, HK_ENOTFOUND, ""},
	    {NET_HTTP_GET, "/admin/v1/status", NET_ROUTE_SIGNING, HK_ENOTFOUND,
		""},
	    {NET_HTTP_POST, "/signer/v1/nonce", NET_ROUTE_ADMIN, HK_ENOTFOUND,
		""},
	    {NET_HTTP_GET, "/signer/v1/nonce", NET_ROUTE_SIGNING, HK_ENOTSUP,
		"POST"},
	    {NET_HTTP_GET, "/admin/v1/status?x=1", NET_ROUTE_ADMIN,
		HK_ENOTFOUND, ""},
	};
	const struct net_route *rt;
	char allow[NET_ROUTE_ALLOW_LEN];
	size_t i;

	(void)state;
	for (i = 0; i < NELEM(cases); i++) {
		rt = NULL;
		assert_int_equal(net_route_match(cases[i].path,
				     strlen(cases[i].path), cases[i].m,
				     cases[i].listener, &rt, allow),
		    cases[i].want);
		if (cases[i].want == HK_ENOTSUP)
			assert_string_equal(allow, cases[i].allow);
		if (cases[i].want == 0)
			assert_non_null(rt);
	}
}

/* ---- requests ----------------------------------------------------------- */

/* request(m, path, listener, json, out): convert; returns the result. */
static int
request(enum net_http_method m, const char *path, unsigned listener,
    const char *json, struct hk_buf *out, struct net_json_error *e)
{
	const struct net_route *rt = route_for(m, path, listener);

	memset(e, 0, sizeof(*e));
	return net_route_request(rt, path, strlen(path),
	    (const uint8_t *)json, strlen(json), out, e);
}

static void
assert_bytes(const struct hk_buf *got, const struct hk_buf *want)
{
	assert_int_equal(got->len, want->len);
	assert_memory_equal(got->p, want->p, want->len);
}

static void
test_NET1_request_maps_exact(void **state)
{
	struct hk_buf got = HK_BUF_INIT, want = HK_BUF_INIT;
	struct net_json_error e;
	struct hk_mpk_writer w;

	(void)state;
	/* Register: JSON members in any order; keys 1..5 ascending. */
	assert_int_equal(request(NET_HTTP_POST, "/admin/v1/signers",
			     NET_ROUTE_ADMIN,
			     "{\"email\":\"t@example.jp\",\"name\":\"Taro "
			     "\\u5c71\\u7530\",\"kind\":\"natural\","
			     "\"identity_proofing\":\"JPKI-42\","
			     "\"organization\":\"\"}",
			     &got, &e),
	    0);
	hk_mpk_writer_init(&w, &want);
	hk_mpk_put_map(&w, 5);
	hk_mpk_put_uint(&w, 1);
	hk_mpk_put_cstr(&w, "natural");
	hk_mpk_put_uint(&w, 2);
	hk_mpk_put_cstr(&w, "Taro \xe5\xb1\xb1\xe7\x94\xb0");
	hk_mpk_put_uint(&w, 3);
	hk_mpk_put_cstr(&w, "");
	hk_mpk_put_uint(&w, 4);
	hk_mpk_put_cstr(&w, "t@example.jp");
	hk_mpk_put_uint(&w, 5);
	hk_mpk_put_cstr(&w, "JPKI-42");
	assert_int_equal(hk_mpk_writer_status(&w), 0);
	assert_bytes(&got, &want);
	hk_buf_reset(&got);
	hk_buf_reset(&want);

	/* A path parameter and a uint. */
	assert_int_equal(request(NET_HTTP_POST,
			     "/admin/v1/signers/" SID "/credentials",
			     NET_ROUTE_ADMIN,
			     "{\"level\":2,\"algorithm\":\"p256\"}", &got, &e),
	    0);
	hk_mpk_writer_init(&w, &want);
	hk_mpk_put_map(&w, 3);
	hk_mpk_put_uint(&w, 1);
	hk_mpk_put_cstr(&w, SID);
	hk_mpk_put_uint(&w, 2);
	hk_mpk_put_cstr(&w, "p256");
	hk_mpk_put_uint(&w, 3);
	hk_mpk_put_uint(&w, 2);
	assert_bytes(&got, &want);
	hk_buf_reset(&got);
	hk_buf_reset(&want);

	/* A route constant: approve and reject are one type. */
	assert_int_equal(request(NET_HTTP_POST,
			     "/admin/v1/approvals/" AID "/reject",
			     NET_ROUTE_ADMIN, "", &got, &e),
	    0);
	hk_mpk_writer_init(&w, &want);
	hk_mpk_put_map(&w, 2);
	hk_mpk_put_uint(&w, 1);
	hk_mpk_put_cstr(&w, AID);
	hk_mpk_put_uint(&w, 2);
	hk_mpk_put_cstr(&w, "reject");
	assert_bytes(&got, &want);
	hk_buf_reset(&got);
	hk_buf_reset(&want);

	/* No fields: an empty body or {} both give an empty map. */
	assert_int_equal(request(NET_HTTP_GET, "/admin/v1/status",
			     NET_ROUTE_ADMIN, "", &got, &e),
	    0);
	assert_int_equal(request(NET_HTTP_POST, "/signer/v1/nonce",
			     NET_ROUTE_SIGNING, " {} ", &got, &e),
	    0);
	assert_int_equal(got.len, 2);
	assert_memory_equal(got.p, "\x80\x80", 2);
	hk_buf_reset(&got);

	/* Secrets travel to the core as str. */
	assert_int_equal(request(NET_HTTP_POST,
			     "/signer/v1/credentials/" CID "/destroy",
			     NET_ROUTE_SIGNING,
			     "{\"reason\":\"termination\",\"otp\":\"123456\","
			     "\"pin\":\"4711\",\"nonce\":\"n-1\"}",
			     &got, &e),
	    0);
	hk_mpk_writer_init(&w, &want);
	hk_mpk_put_map(&w, 5);
	hk_mpk_put_uint(&w, 1);
	hk_mpk_put_cstr(&w, CID);
	hk_mpk_put_uint(&w, 2);
	hk_mpk_put_cstr(&w, "n-1");
	hk_mpk_put_uint(&w, 3);
	hk_mpk_put_cstr(&w, "4711");
	hk_mpk_put_uint(&w, 4);
	hk_mpk_put_cstr(&w, "123456");
	hk_mpk_put_uint(&w, 5);
	hk_mpk_put_cstr(&w, "termination");
	assert_bytes(&got, &want);
	hk_buf_reset(&got);
	hk_buf_reset(&want);

	/* The OTP is optional (level 1 credentials have none): without it
	 * the map simply lacks key 4. */
	assert_int_equal(request(NET_HTTP_POST,
			     "/signer/v1/credentials/" CID "/suspend",
			     NET_ROUTE_SIGNING,
			     "{\"pin\":\"4711\",\"nonce\":\"n-2\"}", &got, &e),
	    0);
	hk_mpk_writer_init(&w, &want);
	hk_mpk_put_map(&w, 3);
	hk_mpk_put_uint(&w, 1);
	hk_mpk_put_cstr(&w, CID);
	hk_mpk_put_uint(&w, 2);
	hk_mpk_put_cstr(&w, "n-2");
	hk_mpk_put_uint(&w, 3);
	hk_mpk_put_cstr(&w, "4711");
	assert_bytes(&got, &want);
	hk_buf_reset(&got);
	hk_buf_reset(&want);

	/* The fingerprint of DELETE /users/{fingerprint}. */
	assert_int_equal(request(NET_HTTP_DELETE, "/admin/v1/users/" FP,
			     NET_ROUTE_ADMIN, "", &got, &e),
	    0);
	hk_mpk_writer_init(&w, &want);
	hk_mpk_put_map(&w, 1);
	hk_mpk_put_uint(&w, 1);
	hk_mpk_put_cstr(&w, FP);
	assert_bytes(&got, &want);
	hk_buf_release(&got);
	hk_buf_release(&want);
}

/* Every refusal of a request, with the text naming the problem and never
 * a value (the secret "s3cr3t-4711" must not come back). */
static void
test_NET1_ACT5_request_refusals(void **state)
{
	static const char enroll[] = "/signer/v1/enroll";
	static const char create[] = "/admin/v1/signers/" SID "/credentials";
	static const char erase[] = "/admin/v1/signers/" SID "/erase";
	static const char destroy[] = "/admin/v1/credentials/" CID "/destroy";
	const struct {
		enum net_http_method m;
		const char *path;
		unsigned l;
		const char *json;
		int want;
		const char *text;
	} cases[] = {
	    {NET_HTTP_POST, enroll, NET_ROUTE_SIGNING,
		"{\"enrollment_code\":\"s3cr3t-4711\",\"pin\":\"1\"}",
		HK_EINVAL,
		"missing field \"password\""},
	    {NET_HTTP_POST, enroll, NET_ROUTE_SIGNING,
		"{\"enrollment_code\":\"s3cr3t-4711\",\"password\":null,"
		"\"pin\":\"1\"}",
		HK_EINVAL, "field \"password\" must be a string"},
	    {NET_HTTP_POST, enroll, NET_ROUTE_SIGNING,
		"{\"enrollment_code\":\"s3cr3t-4711\",\"password\":4711,"
		"\"pin\":\"1\"}",
		HK_EINVAL, "field \"password\" must be a string"},
	    {NET_HTTP_POST, enroll, NET_ROUTE_SIGNING,
		"{\"enrollment_code\":\"s3cr3t-4711\",\"password\":\"p\","
		"\"pin\":\"1\",\"otp\":\"1\"}",
		HK_EINVAL, "unknown field \"otp\""},
	    {NET_HTTP_POST, enroll, NET_ROUTE_SIGNING,
		"{\"enrollment_code\":\"\",\"password\":\"s3cr3t-4711\","
		"\"pin\":\"1\"}",
		HK_EINVAL, "field \"enrollment_code\" must not be empty"},
	    {NET_HTTP_POST, enroll, NET_ROUTE_SIGNING,
		"{\"enrollment_code\":\"s3cr3t-4711\",\"password\":\"p\","
		"\"pin\":\"s3cr3t-4711s3cr3t-4711s3cr3t-4711s3cr3t-4711s3cr3t-"
		"4711s3cr3t-4711s3cr3t-4711s3cr3t-4711s3cr3t-4711s3cr3t-4711s3"
		"cr3t-4711s3cr3t-4711\"}",
		HK_EINVAL, "field \"pin\" is longer than 128 bytes"},
	    {NET_HTTP_POST, enroll, NET_ROUTE_SIGNING,
		"{\"enrollment_code\":\"s3cr3t-4711\","
		"\"enrollment_code\":\"x\"}",
		HK_EINVAL, "duplicate key"},
	    {NET_HTTP_POST, enroll, NET_ROUTE_SIGNING, "", HK_EINVAL,
		"request body is empty"},
	    {NET_HTTP_POST, enroll, NET_ROUTE_SIGNING, "[\"s3cr3t-4711\"]",
		HK_EINVAL, "must be a JSON object"},
	    {NET_HTTP_POST, enroll, NET_ROUTE_SIGNING, "{\"s3cr3t-4711\"",
		HK_EINVAL, "not valid JSON"},
	    {NET_HTTP_POST, enroll, NET_ROUTE_SIGNING,
		"{\"enrollment_code\":\"a\",\"password\":\"b\","
		"\"pin\":\"c\"} x",
		HK_EINVAL, "trailing bytes"},
	    {NET_HTTP_POST, create, NET_ROUTE_ADMIN,
		"{\"algorithm\":\"p256\",\"level\":\"2\"}", HK_EINVAL,
		"field \"level\" must be an integer"},
	    {NET_HTTP_POST, create, NET_ROUTE_ADMIN,
		"{\"algorithm\":\"p256\",\"level\":2.0}", HK_EINVAL,
		"field \"level\" must be an integer"},
	    {NET_HTTP_POST, create, NET_ROUTE_ADMIN,
		"{\"algorithm\":\"p256\",\"level\":3}", HK_EINVAL,
		"field \"level\" must be an integer from 1 to 2"},
	    {NET_HTTP_POST, create, NET_ROUTE_ADMIN,
		"{\"algorithm\":\"p256\",\"level\":-1}", HK_EINVAL,
		"field \"level\" must be an integer from 1 to 2"},
	    {NET_HTTP_POST, create, NET_ROUTE_ADMIN,
		"{\"algorithm\":\"dsa1024\",\"level\":1}", HK_EINVAL,
		"field \"algorithm\" must be one of \"p256\", \"p384\", "
		"\"rsa2048\", \"rsa3072\", \"ed25519\""},
	    {NET_HTTP_POST, create, NET_ROUTE_ADMIN,
		"{\"algorithm\":\"p256\",\"level\":1,"
		"\"signer_id\":\"" SID "\"}",
		HK_EINVAL, "unknown field \"signer_id\""},
	    {NET_HTTP_POST, create, NET_ROUTE_ADMIN,
		"{\"algorithm\":true,\"level\":1}", HK_EINVAL,
		"field \"algorithm\" must be a string"},
	    {NET_HTTP_POST, erase, NET_ROUTE_ADMIN, "{\"reason\":{}}",
		HK_EINVAL, "field \"reason\" must be a string"},
	    {NET_HTTP_POST, destroy, NET_ROUTE_ADMIN, "{\"reason\":\"bored\"}",
		HK_EINVAL,
		"field \"reason\" must be one of \"renewal\", \"revocation\", "
		"\"termination\""},
	    {NET_HTTP_POST, "/admin/v1/users", NET_ROUTE_ADMIN,
		"{\"certificate\":\"x\",\"role\":\"root\"}", HK_EINVAL,
		"field \"role\" must be one of"},
	    /* A body where the route takes none. */
	    {NET_HTTP_POST, "/signer/v1/nonce", NET_ROUTE_SIGNING,
		"{\"pin\":\"s3cr3t-4711\"}", HK_EINVAL,
		"unknown field \"pin\""},
	    {NET_HTTP_POST, "/admin/v1/credentials/" CID "/key",
		NET_ROUTE_ADMIN, "x", HK_EINVAL, "not valid JSON"},
	    /* Path parameters of the wrong shape. */
	    {NET_HTTP_GET, "/admin/v1/signers/s-0123456789ABCDEF",
		NET_ROUTE_ADMIN, "", HK_EINVAL,
		"path parameter \"signer_id\" must be \"s-\" followed by 16 "
		"lowercase hex digits"},
	    {NET_HTTP_GET, "/admin/v1/signers/" CID, NET_ROUTE_ADMIN, "",
		HK_EINVAL, "path parameter \"signer_id\""},
	    {NET_HTTP_GET, "/admin/v1/credentials/c-0123456789abcde",
		NET_ROUTE_ADMIN, "", HK_EINVAL,
		"path parameter \"credential_id\" must be \"c-\""},
	    {NET_HTTP_GET, "/admin/v1/credentials/c-0123456789abcdef0",
		NET_ROUTE_ADMIN, "", HK_EINVAL, "path parameter"},
	    {NET_HTTP_GET, "/admin/v1/credentials/c-0123456789abcdeg",
		NET_ROUTE_ADMIN, "", HK_EINVAL, "path parameter"},
	    {NET_HTTP_GET, "/admin/v1/credentials/c-%30123456789abcde",
		NET_ROUTE_ADMIN, "", HK_EINVAL, "path parameter"},
	    {NET_HTTP_POST, "/admin/v1/approvals/" SID "/approve",
		NET_ROUTE_ADMIN, "", HK_EINVAL,
		"path parameter \"id\" must be \"a-\""},
	    {NET_HTTP_DELETE, "/admin/v1/users/" FP "0", NET_ROUTE_ADMIN, "",
		HK_EINVAL,
		"path parameter \"fingerprint\" must be 64 lowercase hex "
		"digits"},
	    {NET_HTTP_DELETE,
		"/admin/v1/users/"
		"0123456789ABCDEF0123456789abcdef"
		"0123456789abcdef0123456789abcdef",
		NET_ROUTE_ADMIN, "", HK_EINVAL, "path parameter"},
	    {NET_HTTP_POST, "/signer/v1/credentials/" SID "/csr/confirm",
		NET_ROUTE_SIGNING, "{\"pin\":\"s3cr3t-4711\"}", HK_EINVAL,
		"path parameter \"credential_id\""},
	};
	struct hk_buf out = HK_BUF_INIT;
	struct net_json_error e;
	size_t i;

	(void)state;
	for (i = 0; i < NELEM(cases); i++) {
		int r = request(cases[i].m, cases[i].path, cases[i].l,
		    cases[i].json, &out, &e);

		if (r != cases[i].want || strstr(e.text, cases[i].text) ==
			NULL)
			fail_msg("case %zu (%s %s): %d \"%s\"", i,
			    cases[i].path, cases[i].json, r, e.text);
		assert_null(strstr(e.text, "s3cr3t"));
		assert_int_equal(out.len, 0); /* unchanged on error */
	}
	hk_buf_release(&out);
}

/* The JSON bounds of net/json apply: depth. */
static void
test_NET1_request_depth_bound(void **state)
{
	struct hk_buf out = HK_BUF_INIT;
	struct net_json_error e;
	char deep[64];

	(void)state;
	memset(deep, 0, sizeof(deep));
	memset(deep, '[', 20);
	memcpy(deep + 20, "]]]]]]]]]]]]]]]]]]]]", 20);
	assert_int_equal(request(NET_HTTP_POST, "/admin/v1/signers",
			     NET_ROUTE_ADMIN, deep, &out, &e),
	    HK_ETOOBIG);
	hk_buf_release(&out);
}

/* ---- responses ---------------------------------------------------------- */

static int
response(enum net_http_method m, const char *path, unsigned listener,
    uint64_t status, const struct hk_buf *body, struct hk_buf *out,
    const char **why)
{
	const struct net_route *rt = route_for(m, path, listener);

	hk_buf_reset(out);
	return net_route_response(rt, status,
	    (struct hk_bytes){body->p, body->len}, out, why);
}

static void
assert_json(const struct hk_buf *got, const char *want)
{
	assert_int_equal(got->len, strlen(want));
	assert_memory_equal(got->p, want, got->len);
}

static void
test_NET1_response_json_exact(void **state)
{
	struct hk_buf body = HK_BUF_INIT, out = HK_BUF_INIT;
	struct hk_mpk_writer w;
	const char *why;

	(void)state;
	hk_mpk_writer_init(&w, &body);
	hk_mpk_put_map(&w, 5);
	hk_mpk_put_uint(&w, 1);
	hk_mpk_put_cstr(&w, "hanko.example/1");
	hk_mpk_put_uint(&w, 2);
	hk_mpk_put_uint(&w, 4294967296ull);
	hk_mpk_put_uint(&w, 3);
	hk_mpk_put_uint(&w, 0);
	hk_mpk_put_uint(&w, 4);
	hk_mpk_put_uint(&w, 7);
	hk_mpk_put_uint(&w, 5);
	hk_mpk_put_cstr(&w, "operator");
	assert_int_equal(response(NET_HTTP_GET, "/admin/v1/status",
			     NET_ROUTE_ADMIN, 200, &body, &out, &why),
	    0);
	assert_json(&out,
	    "{\"origin\":\"hanko.example/1\",\"ledger_size\":4294967296,"
	    "\"signers\":0,\"credentials\":7,\"role\":\"operator\"}");

	/* A list of maps. */
	hk_buf_reset(&body);
	hk_mpk_writer_init(&w, &body);
	hk_mpk_put_map(&w, 1);
	hk_mpk_put_uint(&w, 1);
	hk_mpk_put_array(&w, 2);
	hk_mpk_put_map(&w, 4);
	hk_mpk_put_uint(&w, 1);
	hk_mpk_put_cstr(&w, FP);
	hk_mpk_put_uint(&w, 2);
	hk_mpk_put_cstr(&w, "CN=admin");
	hk_mpk_put_uint(&w, 3);
	hk_mpk_put_cstr(&w, "administrator");
	hk_mpk_put_uint(&w, 4);
	hk_mpk_put_bool(&w, true);
	hk_mpk_put_map(&w, 4);
	hk_mpk_put_uint(&w, 1);
	hk_mpk_put_cstr(&w, "ff");
	hk_mpk_put_uint(&w, 2);
	hk_mpk_put_cstr(&w, "CN=\"so\"");
	hk_mpk_put_uint(&w, 3);
	hk_mpk_put_cstr(&w, "security_officer");
	hk_mpk_put_uint(&w, 4);
	hk_mpk_put_bool(&w, false);
	assert_int_equal(response(NET_HTTP_GET, "/admin/v1/users",
			     NET_ROUTE_ADMIN, 200, &body, &out, &why),
	    0);
	assert_json(&out,
	    "{\"users\":[{\"fingerprint\":\"" FP "\",\"subject\":\"CN=admin\","
	    "\"role\":\"administrator\",\"active\":true},{\"fingerprint\":"
	    "\"ff\",\"subject\":\"CN=\\\"so\\\"\","
	    "\"role\":\"security_officer\","
	    "\"active\":false}]}");

	/* An erased signer: optional attributes absent or nil; an empty
	 * list. */
	hk_buf_reset(&body);
	hk_mpk_writer_init(&w, &body);
	hk_mpk_put_map(&w, 5);
	hk_mpk_put_uint(&w, 1);
	hk_mpk_put_cstr(&w, SID);
	hk_mpk_put_uint(&w, 2);
	hk_mpk_put_cstr(&w, "legal");
	hk_mpk_put_uint(&w, 3);
	hk_mpk_put_nil(&w);
	hk_mpk_put_uint(&w, 7);
	hk_mpk_put_bool(&w, true);
	hk_mpk_put_uint(&w, 8);
	hk_mpk_put_array(&w, 0);
	assert_int_equal(response(NET_HTTP_GET, "/admin/v1/signers/" SID,
			     NET_ROUTE_ADMIN, 200, &body, &out, &why),
	    0);
	assert_json(&out,
	    "{\"signer_id\":\"" SID "\",\"kind\":\"legal\",\"name\":null,"
	    "\"erased\":true,\"credentials\":[]}");

	/* The otpauth URI (secret) of enrollment, with status 201. */
	hk_buf_reset(&body);
	hk_mpk_writer_init(&w, &body);
	hk_mpk_put_map(&w, 3);
	hk_mpk_put_uint(&w, 1);
	hk_mpk_put_cstr(&w, SID);
	hk_mpk_put_uint(&w, 2);
	hk_mpk_put_cstr(&w, CID);
	hk_mpk_put_uint(&w, 3);
	hk_mpk_put_cstr(&w, "otpauth://totp/Hanko:s?secret=GEZDGNBV");
	assert_int_equal(response(NET_HTTP_POST, "/signer/v1/enroll",
			     NET_ROUTE_SIGNING, 201, &body, &out, &why),
	    0);
	assert_json(&out,
	    "{\"signer_id\":\"" SID "\",\"credential_id\":\"" CID "\","
	    "\"otpauth_uri\":\"otpauth://totp/Hanko:s?secret=GEZDGNBV\"}");

	/* Errors. */
	hk_buf_reset(&body);
	hk_mpk_writer_init(&w, &body);
	hk_mpk_put_map(&w, 2);
	hk_mpk_put_uint(&w, 1);
	hk_mpk_put_cstr(&w, "conflict");
	hk_mpk_put_uint(&w, 2);
	hk_mpk_put_cstr(&w, "the credential is destroyed");
	assert_int_equal(response(NET_HTTP_POST,
			     "/admin/v1/credentials/" CID "/resume",
			     NET_ROUTE_ADMIN, 409, &body, &out, &why),
	    0);
	assert_json(&out, "{\"error\":\"conflict\",\"error_description\":"
			  "\"the credential is destroyed\"}");
	hk_buf_release(&body);
	hk_buf_release(&out);
}

/* build(b, spec): a tiny msgpack builder: a string of one-letter codes:
 * m<n> map, a<n> array, u<n> uint, n<n> negative int, s"..." str, L a
 * 5000-byte str, t/f bool, z nil, b the bin "x", x<hex> a bin of those
 * bytes (x alone: empty). */
static void
build(struct hk_buf *b, const char *spec)
{
	struct hk_mpk_writer w;
	char *end;

	hk_buf_reset(b);
	hk_mpk_writer_init(&w, b);
	while (*spec != '\0') {
		char c = *spec++;

		switch (c) {
		case 'm':
			hk_mpk_put_map(&w, (uint32_t)strtoul(spec, &end, 10));
			spec = end;
			break;
		case 'a':
			hk_mpk_put_array(&w, (uint32_t)strtoul(spec, &end, 10));
			spec = end;
			break;
		case 'u':
			hk_mpk_put_uint(&w, strtoull(spec, &end, 10));
			spec = end;
			break;
		case 'n':
			hk_mpk_put_int(&w, -(int64_t)strtoull(spec, &end, 10));
			spec = end;
			break;
		case 's': {
			const char *q = strchr(spec + 1, '"');

			hk_mpk_put_str(&w, spec + 1, (size_t)(q - spec - 1));
			spec = q + 1;
			break;
		}
		case 'L': /* a str of 5000 bytes */
			{
				static char big[5000];

				memset(big, 'x', sizeof(big));
				hk_mpk_put_str(&w, big, sizeof(big));
			}
			break;
		case 't': hk_mpk_put_bool(&w, true); break;
		case 'f': hk_mpk_put_bool(&w, false); break;
		case 'z': hk_mpk_put_nil(&w); break;
		case 'b': hk_mpk_put_bin(&w, "x", 1); break;
		case 'x': {
			uint8_t bin[256];
			size_t n = 0;
			unsigned v;

			while (n < sizeof(bin) && sscanf(spec, "%2x", &v) == 1 &&
			    strchr("0123456789abcdef", spec[0]) != NULL &&
			    spec[0] != '\0') {
				bin[n++] = (uint8_t)v;
				spec += 2;
			}
			hk_mpk_put_bin(&w, bin, n);
			break;
		}
		case ' ': break;
		default: fail_msg("bad spec %c", c);
		}
	}
	assert_int_equal(hk_mpk_writer_status(&w), 0);
}

static void
test_NET1_response_refusals_502(void **state)
{
	static const char res[] = "/admin/v1/credentials/" CID "/resume";
	static const char nonce[] = "/signer/v1/nonce";
	const struct {
		const char *path;
		unsigned l;
		enum net_http_method m;
		uint64_t status;
		const char *spec;
		const char *why;
	} cases[] = {
	    /* The good answer, for contrast. */
	    {res, NET_ROUTE_ADMIN, NET_HTTP_POST, 200, "m1 u1 s\"active\"",
		NULL},
	    {res, NET_ROUTE_ADMIN, NET_HTTP_POST, 200,
		"m2 u1 s\"active\" u2 s\"x\"", "a key outside"},
	    {res, NET_ROUTE_ADMIN, NET_HTTP_POST, 200, "m1 u1 u5",
		"not a str"},
	    {res, NET_ROUTE_ADMIN, NET_HTTP_POST, 200, "m1 u1 b",
		"not a str"},
	    {res, NET_ROUTE_ADMIN, NET_HTTP_POST, 200, "m1 u1 z",
		"not a str"},
	    {res, NET_ROUTE_ADMIN, NET_HTTP_POST, 200, "m0",
		"lacks a required field"},
	    {res, NET_ROUTE_ADMIN, NET_HTTP_POST, 200, "a0", "not a map"},
	    {res, NET_ROUTE_ADMIN, NET_HTTP_POST, 200, "m1 u1 L", "too long"},
	    {res, NET_ROUTE_ADMIN, NET_HTTP_POST, 200,
		"m1 u1 s\"active\" u1", "trailing bytes"},
	    {res, NET_ROUTE_ADMIN, NET_HTTP_POST, 204, "m0",
		"status is not in the contract"},
	    {res, NET_ROUTE_ADMIN, NET_HTTP_POST, 302, "m0",
		"status is not in the contract"},
	    {res, NET_ROUTE_ADMIN, NET_HTTP_POST, 418,
		"m2 u1 s\"teapot\" u2 s\"x\"", "status is not in the contract"},
	    {nonce, NET_ROUTE_SIGNING, NET_HTTP_POST, 200,
		"m2 u1 s\"n\" u2 n1", "not a uint"},
	    {nonce, NET_ROUTE_SIGNING, NET_HTTP_POST, 200,
		"m2 u1 s\"n\" u2 u18446744073709551615", "not a uint"},
	    {nonce, NET_ROUTE_SIGNING, NET_HTTP_POST, 200,
		"m2 u2 u60 u1 s\"n\"", "not ascending"},
	    {nonce, NET_ROUTE_SIGNING, NET_HTTP_POST, 200,
		"m2 u1 s\"n\" u1 s\"n\"", "not ascending"},
	    /* Errors: the shape and the status/code pair of the contract. */
	    {res, NET_ROUTE_ADMIN, NET_HTTP_POST, 409,
		"m2 u1 s\"forbidden\" u2 s\"x\"", "does not match its status"},
	    {res, NET_ROUTE_ADMIN, NET_HTTP_POST, 409, "m1 u1 s\"conflict\"",
		"lacks a required field"},
	    {res, NET_ROUTE_ADMIN, NET_HTTP_POST, 409,
		"m3 u1 s\"conflict\" u2 s\"x\" u3 s\"y\"", "a key outside"},
	    {res, NET_ROUTE_ADMIN, NET_HTTP_POST, 409, "m1 u1 s\"active\"",
		"lacks a required field"},
	    {res, NET_ROUTE_ADMIN, NET_HTTP_POST, 500,
		"m2 u1 s\"internal_error\" u2 t", "not a str"},
	    /* A list whose item breaks the item schema. */
	    {"/admin/v1/approvals", NET_ROUTE_ADMIN, NET_HTTP_GET, 200,
		"m1 u1 a1 m5 u1 s\"" AID "\" u2 s\"o\" u3 s\"t\" u4 s\"r\" u5 "
		"s\"soon\"",
		"not a uint"},
	    {"/admin/v1/approvals", NET_ROUTE_ADMIN, NET_HTTP_GET, 200,
		"m1 u1 a1 m4 u1 s\"" AID "\" u2 s\"o\" u3 s\"t\" u4 s\"r\"",
		"lacks a required field"},
	    {"/admin/v1/approvals", NET_ROUTE_ADMIN, NET_HTTP_GET, 200,
		"m1 u1 a1 u1", "not a map"},
	    {"/admin/v1/approvals", NET_ROUTE_ADMIN, NET_HTTP_GET, 200,
		"m1 u1 m0", "not an array"},
	    {"/admin/v1/approvals", NET_ROUTE_ADMIN, NET_HTTP_GET, 200,
		"m1 u1 a1 m5 u1 s\"" AID "\" u2 s\"o\" u3 s\"t\" u4 s\"r\" "
		"u5 u1",
		NULL},
	};
	struct hk_buf body = HK_BUF_INIT, out = HK_BUF_INIT;
	const char *why;
	size_t i;
	int r;

	(void)state;
	for (i = 0; i < NELEM(cases); i++) {
		build(&body, cases[i].spec);
		r = response(cases[i].m, cases[i].path, cases[i].l,
		    cases[i].status, &body, &out, &why);
		if (cases[i].why == NULL) {
			if (r != 0)
				fail_msg("case %zu: %d %s", i, r, why);
			continue;
		}
		if (r != HK_EPROTO || strstr(why, cases[i].why) == NULL)
			fail_msg("case %zu (%s): %d \"%s\"", i, cases[i].spec,
			    r, why);
	}
	hk_buf_release(&body);
	hk_buf_release(&out);
}

/* Every status net_route_response passes on can be written by
 * net_http_response (it refuses a status without a reason phrase). */
static void
test_NET1_passed_statuses_are_writable(void **state)
{
	static const int st[] = {200, 201, 202, 400, 401, 403, 404, 409, 410,
	    423, 500, 503};
	struct hk_buf out = HK_BUF_INIT;
	size_t i;

	(void)state;
	for (i = 0; i < NELEM(st); i++) {
		assert_non_null(net_http_status_reason(st[i]));
		assert_int_equal(net_http_response(&out, st[i],
				     "application/json", (const uint8_t *)"{}",
				     2, 1, NULL),
		    0);
	}
	hk_buf_release(&out);
}

/* ---- CSC v2 (docs/csc-api.md) ------------------------------------------- */

#define CSC "/csc/v2"
#define H32 "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8"
#define H32_BIN "x000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f"
#define SHA256 "2.16.840.1.101.3.4.2.1"
#define ES256 "1.2.840.10045.4.3.2"

/* The CSC routes: their flags (who checks and forwards Authorization),
 * 405 with Allow, CSC's 404 under /csc/v2/ on the signing listener only,
 * and no CSC route on the admin listener. */
static void
test_CSC_routes_and_404(void **state)
{
	const struct net_route *rt;
	const char *err, *desc;
	char allow[NET_ROUTE_ALLOW_LEN];
	static const char *const bearer[] = {"/auth/revoke",
	    "/credentials/list", "/credentials/info", "/credentials/authorize",
	    "/credentials/extendTransaction", "/signatures/signHash"};
	char path[128];
	size_t i;

	(void)state;
	rt = route_for(NET_HTTP_GET, CSC "/info", NET_ROUTE_SIGNING);
	assert_int_equal(rt->flags, NET_ROUTE_CSC);
	assert_int_equal(rt->status, 200);
	rt = route_for(NET_HTTP_POST, CSC "/auth/login", NET_ROUTE_SIGNING);
	assert_int_equal(rt->flags,
	    NET_ROUTE_CSC | NET_ROUTE_FORWARD_AUTH | NET_ROUTE_BASIC |
		NET_ROUTE_NEED_BASIC);
	for (i = 0; i < NELEM(bearer); i++) {
		snprintf(path, sizeof(path), CSC "%s", bearer[i]);
		rt = route_for(NET_HTTP_POST, path, NET_ROUTE_SIGNING);
		assert_int_equal(rt->flags, NET_ROUTE_CSC |
			NET_ROUTE_FORWARD_AUTH | NET_ROUTE_NEED_BEARER);
		assert_int_equal(rt->status, i == 0 ? 204 : 200);
		assert_int_equal(net_route_match(path, strlen(path),
				     NET_HTTP_POST, NET_ROUTE_ADMIN, &rt,
				     allow),
		    HK_ENOTFOUND);
		assert_int_equal(net_route_match(path, strlen(path),
				     NET_HTTP_GET, NET_ROUTE_SIGNING, &rt,
				     allow),
		    HK_ENOTSUP);
		assert_string_equal(allow, "POST");
	}
	assert_int_equal(net_route_match(CSC "/info", strlen(CSC "/info"),
			     NET_HTTP_PUT, NET_ROUTE_SIGNING, &rt, allow),
	    HK_ENOTSUP);
	assert_string_equal(allow, "GET, POST");
	assert_int_equal(net_route_match(CSC "/info", strlen(CSC "/info"),
			     NET_HTTP_GET, NET_ROUTE_ADMIN, &rt, allow),
	    HK_ENOTFOUND);

	/* Unserved CSC methods: 404 with CSC's own body. */
	static const char *const unknown[] = {CSC "/signatures/signDoc",
	    CSC "/signatures/timestamp", CSC "/oauth2/authorize",
	    CSC "/credentials/sendOTP", CSC "/", CSC "/info/x",
	    CSC "/auth/login/"};
	for (i = 0; i < NELEM(unknown); i++) {
		assert_int_equal(net_route_match(unknown[i], strlen(unknown[i]),
				     NET_HTTP_POST, NET_ROUTE_SIGNING, &rt,
				     allow),
		    HK_ENOTFOUND);
		net_route_not_found(unknown[i], strlen(unknown[i]),
		    NET_ROUTE_SIGNING, &err, &desc);
		assert_string_equal(err, "invalid_request");
		assert_string_equal(desc, "Unknown method");
		/* The admin listener has no CSC API: a plain 404. */
		net_route_not_found(unknown[i], strlen(unknown[i]),
		    NET_ROUTE_ADMIN, &err, &desc);
		assert_string_equal(err, "not_found");
		assert_string_equal(desc, "no such resource");
	}
	static const char *const other[] = {"/csc/v2", "/csc/v1/info",
	    "/csc/v2x/info", "/nosuch", "/"};
	for (i = 0; i < NELEM(other); i++) {
		net_route_not_found(other[i], strlen(other[i]),
		    NET_ROUTE_SIGNING, &err, &desc);
		assert_string_equal(err, "not_found");
		assert_string_equal(desc, "no such resource");
	}
}

/* The Authorization shape checks and the challenges. */
static void
test_CSC_ACT8_authorization_shape(void **state)
{
	static const char basic_ch[] = "WWW-Authenticate: Basic "
				       "realm=\"hanko signer\", "
				       "charset=\"UTF-8\"\r\n";
	const struct {
		const char *path;
		const char *value; /* NULL: no header */
		int status;        /* 0: accepted */
		const char *error, *desc, *challenge;
	} cases[] = {
	    {"/auth/login", "Basic dXNlcjpwYXNz", 0, NULL, NULL, NULL},
	    {"/auth/login", "basic dXNlcjpwYXNzMQ==", 0, NULL, NULL, NULL},
	    {"/auth/login", "BASIC  dXNlcjpwYXNzMTI=", 0, NULL, NULL, NULL},
	    {"/auth/login", NULL, 401, "invalid_request",
		"Malformed authentication parameter.", basic_ch},
	    {"/auth/login", "Bearer dXNlcjpwYXNz", 401, "invalid_request",
		"Malformed authentication parameter.", basic_ch},
	    {"/auth/login", "Basic", 401, "invalid_request",
		"Malformed authentication parameter.", basic_ch},
	    {"/auth/login", "Basic ", 401, "invalid_request",
		"Malformed authentication parameter.", basic_ch},
	    {"/auth/login", "Basicx dXNlcjpwYXNz", 401, "invalid_request",
		"Malformed authentication parameter.", basic_ch},
	    {"/auth/login", "Basic dXNlcjpwYXN", 401, "invalid_request",
		"Malformed authentication parameter.", basic_ch},
	    {"/auth/login", "Basic dXNl-jpwYXNz", 401, "invalid_request",
		"Malformed authentication parameter.", basic_ch},
	    {"/auth/login", "Basic dXNlcjpwY===", 401, "invalid_request",
		"Malformed authentication parameter.", basic_ch},
	    {"/auth/login", "Basic =XNlcjpwYXNz", 401, "invalid_request",
		"Malformed authentication parameter.", basic_ch},
	    {"/auth/login", "Basic dXNl cjpwYXNz", 401, "invalid_request",
		"Malformed authentication parameter.", basic_ch},
	    {"/credentials/list", "Bearer abcDEF-123._~+/==", 0, NULL, NULL,
		NULL},
	    {"/signatures/signHash", "bearer  t0k3n", 0, NULL, NULL, NULL},
	    {"/credentials/list", NULL, 401, "invalid_token",
		"Missing access token", "WWW-Authenticate: Bearer\r\n"},
	    {"/auth/revoke", "Basic dXNlcjpwYXNz", 400, "invalid_request",
		"Malformed authentication parameter.", NULL},
	    {"/auth/revoke", "Bearer", 400, "invalid_request",
		"Malformed authentication parameter.", NULL},
	    {"/credentials/authorize", "Bearer a b", 400, "invalid_request",
		"Malformed authentication parameter.", NULL},
	    {"/credentials/info", "Bearer =abc", 400, "invalid_request",
		"Malformed authentication parameter.", NULL},
	    {"/credentials/extendTransaction", "Bearer ab=c", 400,
		"invalid_request", "Malformed authentication parameter.", NULL},
	    {"/signatures/signHash", "Bearer a,b", 400, "invalid_request",
		"Malformed authentication parameter.", NULL},
	    {"/signatures/signHash", "Bearertoken", 400, "invalid_request",
		"Malformed authentication parameter.", NULL},
	    /* info takes no credentials and checks none. */
	    {"/info", NULL, 0, NULL, NULL, NULL},
	    {"/info", "garbage", 0, NULL, NULL, NULL},
	};
	struct net_route_refusal ref;
	const struct net_route *rt;
	char path[128];
	size_t i;
	int r;

	(void)state;
	for (i = 0; i < NELEM(cases); i++) {
		snprintf(path, sizeof(path), CSC "%s", cases[i].path);
		rt = route_for(NET_HTTP_POST, path, NET_ROUTE_SIGNING);
		memset(&ref, 0, sizeof(ref));
		r = net_route_auth(rt, cases[i].value != NULL,
		    cases[i].value != NULL ? cases[i].value : "",
		    cases[i].value != NULL ? strlen(cases[i].value) : 0, &ref);
		if (cases[i].status == 0) {
			if (r != 0)
				fail_msg("case %zu (%s): refused", i,
				    cases[i].value);
			continue;
		}
		if (r != HK_EAUTH || ref.status != cases[i].status)
			fail_msg("case %zu (%s): %d %d", i, cases[i].value, r,
			    ref.status);
		assert_string_equal(ref.error, cases[i].error);
		assert_string_equal(ref.description, cases[i].desc);
		if (cases[i].challenge == NULL)
			assert_null(ref.challenge);
		else
			assert_string_equal(ref.challenge, cases[i].challenge);
	}
	/* The strict routes check nothing here: the core decides. */
	rt = route_for(NET_HTTP_POST, "/signer/v1/nonce", NET_ROUTE_SIGNING);
	assert_int_equal(net_route_auth(rt, true, "Bearer x", 8, &ref), 0);
	assert_int_equal(net_route_auth(rt, false, "", 0, &ref), 0);

	/* The challenge of a 401 from the core. */
	rt = route_for(NET_HTTP_POST, CSC "/signatures/signHash",
	    NET_ROUTE_SIGNING);
	assert_string_equal(net_route_challenge(rt),
	    "WWW-Authenticate: Bearer error=\"invalid_token\"\r\n");
	rt = route_for(NET_HTTP_POST, CSC "/auth/login", NET_ROUTE_SIGNING);
	assert_string_equal(net_route_challenge(rt), basic_ch);
	rt = route_for(NET_HTTP_POST, "/signer/v1/nonce", NET_ROUTE_SIGNING);
	assert_string_equal(net_route_challenge(rt), basic_ch);
	rt = route_for(NET_HTTP_POST, CSC "/info", NET_ROUTE_SIGNING);
	assert_null(net_route_challenge(rt));
	rt = route_for(NET_HTTP_GET, "/admin/v1/status", NET_ROUTE_ADMIN);
	assert_null(net_route_challenge(rt));
}

/* JSON bodies -> the exact msgpack map the core receives, including the
 * tolerance of docs/csc-api.md (research §5). */
static void
test_CSC_request_maps_exact(void **state)
{
	const struct {
		enum net_http_method m;
		const char *path;
		const char *json;
		const char *spec; /* build() spec of the expected map */
	} cases[] = {
	    {NET_HTTP_GET, "/info", "", "m0"},
	    {NET_HTTP_POST, "/info", "", "m0"},
	    {NET_HTTP_POST, "/info", "{}", "m0"},
	    {NET_HTTP_POST, "/info", "{\"lang\":\"en-US\",\"userID\":null}",
		"m0"},
	    {NET_HTTP_POST, "/auth/login", "", "m0"},
	    {NET_HTTP_POST, "/auth/login",
		"{\"rememberMe\":true,\"clientData\":\"tx-1\"}",
		"m2 u1 t u2 s\"tx-1\""},
	    /* A boolean as a string; clientData "" is absent; unknown
	     * fields (refresh_token, lang) are ignored. */
	    {NET_HTTP_POST, "/auth/login",
		"{\"rememberMe\":\"false\",\"clientData\":\"\","
		"\"refresh_token\":\"r\",\"lang\":\"ja\"}",
		"m1 u1 f"},
	    {NET_HTTP_POST, "/auth/revoke",
		"{\"token\":\"tok-1\",\"token_type_hint\":\"access_token\","
		"\"clientData\":\"c\"}",
		"m3 u1 s\"tok-1\" u2 s\"access_token\" u3 s\"c\""},
	    {NET_HTTP_POST, "/auth/revoke",
		"{\"token\":\"t\",\"token_type_hint\":null}", "m1 u1 s\"t\""},
	    {NET_HTTP_POST, "/credentials/list", "{}", "m0"},
	    {NET_HTTP_POST, "/credentials/list",
		"{\"credentialInfo\":\"true\",\"certificates\":\"chain\","
		"\"certInfo\":true,\"authInfo\":\"false\",\"onlyValid\":false,"
		"\"clientData\":\"x\",\"userID\":null,\"maxResults\":10}",
		"m6 u1 t u2 s\"chain\" u3 t u4 f u5 f u6 s\"x\""},
	    {NET_HTTP_POST, "/credentials/info",
		"{\"credentialID\":\"c-1\",\"certificates\":\"none\","
		"\"certInfo\":\"true\",\"authInfo\":true,\"lang\":\"en\"}",
		"m4 u1 s\"c-1\" u2 s\"none\" u3 t u4 t"},
	    {NET_HTTP_POST, "/credentials/info",
		"{\"credentialID\":\"c-1\",\"certInfo\":null}",
		"m1 u1 s\"c-1\""},
	    /* numSignatures as a string, a base64url hash without
	     * padding, authData with an out-of-band object and an unknown
	     * member, description "" kept, extras ignored. */
	    {NET_HTTP_POST, "/credentials/authorize",
		"{\"credentialID\":\"c-1\",\"numSignatures\":\"1\","
		"\"hashes\":[\"" H32 "\"],\"hashAlgorithmOID\":\"" SHA256
		"\",\"authData\":[{\"id\":\"PIN\",\"value\":\"4711\"},"
		"{\"id\":\"OTP\",\"value\":\"123456\",\"label\":\"x\"},"
		"{\"id\":\"PUSH\"},{\"id\":\"X\",\"value\":null}],"
		"\"description\":\"\",\"clientData\":\"\","
		"\"operationMode\":\"S\"}",
		"m6 u1 s\"c-1\" u2 u1 u3 a1 " H32_BIN " u4 s\"" SHA256
		"\" u5 a4 m2 u1 s\"PIN\" u2 s\"4711\" m2 u1 s\"OTP\" u2 "
		"s\"123456\" m1 u1 s\"PUSH\" m1 u1 s\"X\" u6 s\"\""},
	    /* The same hash in both alphabets, padded and not. */
	    {NET_HTTP_POST, "/credentials/authorize",
		"{\"credentialID\":\"c-1\",\"numSignatures\":2,"
		"\"hashes\":[\"+/+/+w==\",\"-_-_-w\",\"-_-_-w==\","
		"\"+/+/+w\"]}",
		"m3 u1 s\"c-1\" u2 u2 u3 a4 xfbffbffb xfbffbffb xfbffbffb "
		"xfbffbffb"},
	    {NET_HTTP_POST, "/credentials/authorize",
		"{\"credentialID\":\"c-1\",\"numSignatures\":\"0042\","
		"\"hashes\":[\"AA\"],\"authData\":[]}",
		"m4 u1 s\"c-1\" u2 u42 u3 a1 x00 u5 a0"},
	    {NET_HTTP_POST, "/credentials/extendTransaction",
		"{\"credentialID\":\"c-1\",\"SAD\":\"sad-1\"}",
		"m2 u1 s\"c-1\" u2 s\"sad-1\""},
	    {NET_HTTP_POST, "/credentials/extendTransaction",
		"{\"credentialID\":\"c-1\",\"SAD\":\"sad-1\",\"hashes\":"
		"[\"3q2+7w==\"],\"hashAlgorithmOID\":\"" SHA256 "\","
		"\"clientData\":\"tx\"}",
		"m5 u1 s\"c-1\" u2 s\"sad-1\" u3 a1 xdeadbeef u4 s\"" SHA256
		"\" u5 s\"tx\""},
	    /* signAlgoParams "" is absent. */
	    {NET_HTTP_POST, "/signatures/signHash",
		"{\"credentialID\":\"c-1\",\"SAD\":\"sad-1\",\"hashes\":"
		"[\"3q2-7w\",\"" H32 "=\"],\"hashAlgorithmOID\":\"" SHA256
		"\",\"signAlgo\":\"" ES256 "\",\"signAlgoParams\":\"\","
		"\"clientData\":\"tx\",\"operationMode\":\"S\"}",
		"m6 u1 s\"c-1\" u2 s\"sad-1\" u3 a2 xdeadbeef " H32_BIN
		" u4 s\"" SHA256 "\" u5 s\"" ES256 "\" u7 s\"tx\""},
	    {NET_HTTP_POST, "/signatures/signHash",
		"{\"credentialID\":\"c-1\",\"SAD\":\"sad-1\",\"hashes\":"
		"[\"AA==\"],\"signAlgo\":\"1.2.840.113549.1.1.10\","
		"\"signAlgoParams\":\"MA0GCWCGSAFlAwQCAQUA\"}",
		"m5 u1 s\"c-1\" u2 s\"sad-1\" u3 a1 x00 u5 "
		"s\"1.2.840.113549.1.1.10\" u6 "
		"x300d06096086480165030402010500"},
	};
	struct hk_buf got = HK_BUF_INIT, want = HK_BUF_INIT;
	struct net_json_error e;
	char path[128];
	size_t i;
	int r;

	(void)state;
	for (i = 0; i < NELEM(cases); i++) {
		snprintf(path, sizeof(path), CSC "%s", cases[i].path);
		hk_buf_reset(&got);
		r = request(cases[i].m, path, NET_ROUTE_SIGNING, cases[i].json,
		    &got, &e);
		if (r != 0)
			fail_msg("case %zu (%s %s): %d \"%s\"", i, path,
			    cases[i].json, r, e.text);
		build(&want, cases[i].spec);
		if (got.len != want.len ||
		    memcmp(got.p, want.p, want.len) != 0)
			fail_msg("case %zu (%s %s): wrong map", i, path,
			    cases[i].json);
	}
	hk_buf_release(&got);
	hk_buf_release(&want);
}

/* Every refusal on a CSC route, with CSC's exact text, never a value
 * (the secret "s3cr3t" must not come back). */
static void
test_CSC_ACT5_request_refusals(void **state)
{
	static const char az[] = "{\"credentialID\":\"c-1\",\"numSignatures\":1,";
	const struct {
		const char *path;
		const char *json;
		int want;
		const char *text; /* exact */
	} cases[] = {
	    {"/info", "{\"userID\":\"s3cr3t\"}", HK_EINVAL,
		"userID parameter MUST be null"},
	    {"/info", "[]", HK_EINVAL, "request body must be a JSON object"},
	    {"/info", " ", HK_EINVAL,
		"request body is not valid JSON: unexpected end of input at "
		"line 1, column 1"},
	    {"/auth/login", "{\"rememberMe\":\"yes\"}", HK_EINVAL,
		"Missing (or invalid type) boolean parameter rememberMe"},
	    {"/auth/login", "{\"rememberMe\":1}", HK_EINVAL,
		"Missing (or invalid type) boolean parameter rememberMe"},
	    {"/auth/login", "{\"rememberMe\":\"True\"}", HK_EINVAL,
		"Missing (or invalid type) boolean parameter rememberMe"},
	    {"/auth/login", "{\"clientData\":5}", HK_EINVAL,
		"Missing (or invalid type) string parameter clientData"},
	    {"/auth/login", "{\"userID\":\"s-1\",\"rememberMe\":\"x\"}",
		HK_EINVAL, "userID parameter MUST be null"},
	    {"/auth/revoke", "{}", HK_EINVAL,
		"Missing (or invalid type) string parameter token"},
	    {"/auth/revoke", "", HK_EINVAL,
		"Missing (or invalid type) string parameter token"},
	    {"/auth/revoke", "{\"token\":null}", HK_EINVAL,
		"Missing (or invalid type) string parameter token"},
	    {"/auth/revoke", "{\"token\":\"\"}", HK_EINVAL,
		"Invalid string parameter token"},
	    {"/auth/revoke",
		"{\"token\":\"s3cr3t\",\"token_type_hint\":\"id_token\"}",
		HK_EINVAL, "Invalid string parameter token_type_hint"},
	    {"/credentials/list", "{\"certificates\":\"all\"}", HK_EINVAL,
		"Invalid parameter certificates"},
	    {"/credentials/list", "{\"certificates\":1}", HK_EINVAL,
		"Missing (or invalid type) string parameter certificates"},
	    {"/credentials/list", "{\"onlyValid\":\"TRUE\"}", HK_EINVAL,
		"Missing (or invalid type) boolean parameter onlyValid"},
	    {"/credentials/list", "{\"credentialInfo\":[]}", HK_EINVAL,
		"Missing (or invalid type) boolean parameter credentialInfo"},
	    {"/credentials/info", "{}", HK_EINVAL,
		"Missing (or invalid type) string parameter credentialID"},
	    {"/credentials/info", "{\"credentialID\":7}", HK_EINVAL,
		"Missing (or invalid type) string parameter credentialID"},
	    {"/credentials/info", "{\"credentialID\":\"\"}", HK_EINVAL,
		"Invalid parameter credentialID"},
	    {"/credentials/info",
		"{\"credentialID\":\"c\",\"userID\":\"s-0123456789abcdef\"}",
		HK_EINVAL, "userID parameter MUST be null"},
	    {"/credentials/info",
		"{\"credentialID\":\"c\",\"certInfo\":\"yes\"}", HK_EINVAL,
		"Missing (or invalid type) boolean parameter certInfo"},
	    {"/credentials/info",
		"{\"credentialID\":\"c\",\"credentialID\":\"d\"}", HK_EINVAL,
		"request body is not valid JSON: duplicate key in an object "
		"at line 1, column 34"},
	    /* authorize: numSignatures. */
	    {"/credentials/authorize",
		"{\"credentialID\":\"c-1\",\"hashes\":[\"AA\"]}", HK_EINVAL,
		"Missing (or invalid type) integer parameter numSignatures"},
	    {"/credentials/authorize",
		"{\"credentialID\":\"c-1\",\"numSignatures\":\"1.0\","
		"\"hashes\":[\"AA\"]}",
		HK_EINVAL,
		"Missing (or invalid type) integer parameter numSignatures"},
	    {"/credentials/authorize",
		"{\"credentialID\":\"c-1\",\"numSignatures\":\"+1\"}",
		HK_EINVAL,
		"Missing (or invalid type) integer parameter numSignatures"},
	    {"/credentials/authorize",
		"{\"credentialID\":\"c-1\",\"numSignatures\":\" 1\"}",
		HK_EINVAL,
		"Missing (or invalid type) integer parameter numSignatures"},
	    {"/credentials/authorize",
		"{\"credentialID\":\"c-1\",\"numSignatures\":\"\"}", HK_EINVAL,
		"Missing (or invalid type) integer parameter numSignatures"},
	    {"/credentials/authorize",
		"{\"credentialID\":\"c-1\",\"numSignatures\":1.5}", HK_EINVAL,
		"Missing (or invalid type) integer parameter numSignatures"},
	    {"/credentials/authorize",
		"{\"credentialID\":\"c-1\",\"numSignatures\":true}", HK_EINVAL,
		"Missing (or invalid type) integer parameter numSignatures"},
	    {"/credentials/authorize",
		"{\"credentialID\":\"c-1\",\"numSignatures\":0}", HK_EINVAL,
		"Invalid value for parameter numSignatures"},
	    {"/credentials/authorize",
		"{\"credentialID\":\"c-1\",\"numSignatures\":\"0\"}", HK_EINVAL,
		"Invalid value for parameter numSignatures"},
	    {"/credentials/authorize",
		"{\"credentialID\":\"c-1\",\"numSignatures\":-1}", HK_EINVAL,
		"Invalid value for parameter numSignatures"},
	    {"/credentials/authorize",
		"{\"credentialID\":\"c-1\",\"numSignatures\":4294967296}",
		HK_EINVAL, "Invalid value for parameter numSignatures"},
	    {"/credentials/authorize",
		"{\"credentialID\":\"c-1\","
		"\"numSignatures\":\"99999999999999999999\"}",
		HK_EINVAL, "Invalid value for parameter numSignatures"},
	    /* hashes. */
	    {"/credentials/authorize", "{\"credentialID\":\"c-1\","
				       "\"numSignatures\":1}",
		HK_EINVAL, "Missing (or invalid type) array parameter hashes"},
	    {"/credentials/authorize",
		"{\"credentialID\":\"c-1\",\"numSignatures\":1,"
		"\"hashes\":\"AA==\"}",
		HK_EINVAL, "Missing (or invalid type) array parameter hashes"},
	    {"/credentials/authorize",
		"{\"credentialID\":\"c-1\",\"numSignatures\":1,\"hashes\":[]}",
		HK_EINVAL, "Empty hash array"},
	    {"/credentials/authorize", NULL /* 1025 hashes */, HK_EINVAL,
		"Too many hashes"},
	    {"/credentials/authorize",
		"{\"credentialID\":\"c-1\",\"numSignatures\":1,\"hashes\":[5]}",
		HK_EINVAL, "Invalid Base64 hash string parameter"},
	    {"/credentials/authorize",
		"{\"credentialID\":\"c-1\",\"numSignatures\":1,"
		"\"hashes\":[\"AA AA\"]}",
		HK_EINVAL, "Invalid Base64 hash string parameter"},
	    {"/credentials/authorize",
		"{\"credentialID\":\"c-1\",\"numSignatures\":1,"
		"\"hashes\":[\"AA==\\n\"]}",
		HK_EINVAL, "Invalid Base64 hash string parameter"},
	    {"/credentials/authorize",
		"{\"credentialID\":\"c-1\",\"numSignatures\":1,"
		"\"hashes\":[\"+/_-\"]}",
		HK_EINVAL, "Invalid Base64 hash string parameter"},
	    {"/credentials/authorize",
		"{\"credentialID\":\"c-1\",\"numSignatures\":1,"
		"\"hashes\":[\"YR==\"]}",
		HK_EINVAL, "Invalid Base64 hash string parameter"},
	    {"/credentials/authorize",
		"{\"credentialID\":\"c-1\",\"numSignatures\":1,"
		"\"hashes\":[\"YQ=\"]}",
		HK_EINVAL, "Invalid Base64 hash string parameter"},
	    {"/credentials/authorize",
		"{\"credentialID\":\"c-1\",\"numSignatures\":1,"
		"\"hashes\":[\"YWJjZA=\"]}",
		HK_EINVAL, "Invalid Base64 hash string parameter"},
	    {"/credentials/authorize",
		"{\"credentialID\":\"c-1\",\"numSignatures\":1,"
		"\"hashes\":[\"A\"]}",
		HK_EINVAL, "Invalid Base64 hash string parameter"},
	    {"/credentials/authorize",
		"{\"credentialID\":\"c-1\",\"numSignatures\":1,"
		"\"hashes\":[\"\"]}",
		HK_EINVAL, "Invalid Base64 hash string parameter"},
	    {"/credentials/authorize",
		"{\"credentialID\":\"c-1\",\"numSignatures\":1,"
		"\"hashes\":[\"AA==\",null]}",
		HK_EINVAL, "Invalid Base64 hash string parameter"},
	    {"/credentials/authorize",
		"{\"credentialID\":\"c-1\",\"numSignatures\":1,"
		"\"hashes\":[\"AA\"],\"hashAlgorithmOID\":5}",
		HK_EINVAL,
		"Missing (or invalid type) string parameter hashAlgorithmOID"},
	    {"/credentials/authorize",
		"{\"credentialID\":\"c-1\",\"numSignatures\":1,"
		"\"hashes\":[\"AA\"],\"hashAlgorithmOID\":\"\"}",
		HK_EINVAL, "Invalid parameter hashAlgorithmOID"},
	    /* authData. */
	    {"/credentials/authorize", "AUTHDATA{}", HK_EINVAL,
		"Missing (or invalid type) array parameter authData"},
	    {"/credentials/authorize", "AUTHDATA[1]", HK_EINVAL,
		"Invalid parameter authData"},
	    {"/credentials/authorize", "AUTHDATA[{\"value\":\"s3cr3t\"}]",
		HK_EINVAL, "Invalid parameter authData"},
	    {"/credentials/authorize", "AUTHDATA[{\"id\":5,\"value\":\"1\"}]",
		HK_EINVAL, "Invalid parameter authData"},
	    {"/credentials/authorize",
		"AUTHDATA[{\"id\":\"PIN\",\"value\":4711}]", HK_EINVAL,
		"Invalid parameter authData"},
	    {"/credentials/authorize",
		"AUTHDATA[{\"id\":\"PIN\",\"value\":\"\"}]", HK_EINVAL,
		"Invalid parameter authData"},
	    {"/credentials/authorize", "AUTHDATA[{\"id\":\"\"}]", HK_EINVAL,
		"Invalid parameter authData"},
	    {"/credentials/authorize",
		"AUTHDATA[{\"id\":\"PIN\",\"value\":\"s3cr3t-s3cr3t-s3cr3t-"
		"s3cr3t-s3cr3t-s3cr3t-s3cr3t-s3cr3t-s3cr3t-s3cr3t-s3cr3t-"
		"s3cr3t-s3cr3t-s3cr3t-s3cr3t-s3cr3t-s3cr3t-s3cr3t-s3cr3t\"}]",
		HK_EINVAL, "Invalid parameter authData"},
	    {"/credentials/authorize",
		"AUTHDATA[{\"id\":\"a\"},{\"id\":\"a\"},{\"id\":\"a\"},"
		"{\"id\":\"a\"},{\"id\":\"a\"},{\"id\":\"a\"},{\"id\":\"a\"},"
		"{\"id\":\"a\"},{\"id\":\"a\"}]",
		HK_EINVAL, "Invalid parameter authData"},
	    {"/credentials/authorize",
		"{\"credentialID\":\"c-1\",\"numSignatures\":1,"
		"\"hashes\":[\"AA\"],\"description\":\"DESC501\"}",
		HK_EINVAL, "Invalid parameter description"},
	    {"/credentials/authorize",
		"{\"credentialID\":\"c-1\",\"numSignatures\":1,"
		"\"hashes\":[\"AA\"],\"clientData\":[]}",
		HK_EINVAL,
		"Missing (or invalid type) string parameter clientData"},
	    /* extendTransaction. */
	    {"/credentials/extendTransaction", "{\"credentialID\":\"c-1\"}",
		HK_EINVAL, "Missing (or invalid type) string parameter SAD"},
	    {"/credentials/extendTransaction",
		"{\"credentialID\":\"c-1\",\"SAD\":\"\"}", HK_EINVAL,
		"Invalid parameter SAD"},
	    {"/credentials/extendTransaction",
		"{\"credentialID\":\"c-1\",\"SAD\":\"s3cr3t\",\"hashes\":[]}",
		HK_EINVAL, "Empty hash array"},
	    /* signHash. */
	    {"/signatures/signHash",
		"{\"credentialID\":\"c-1\",\"SAD\":\"s3cr3t\","
		"\"hashes\":[\"AA\"]}",
		HK_EINVAL, "Missing (or invalid type) string parameter signAlgo"},
	    {"/signatures/signHash",
		"{\"credentialID\":\"c-1\",\"SAD\":5,\"hashes\":[\"AA\"],"
		"\"signAlgo\":\"1\"}",
		HK_EINVAL, "Missing (or invalid type) string parameter SAD"},
	    {"/signatures/signHash",
		"{\"credentialID\":\"c-1\",\"SAD\":\"s3cr3t\","
		"\"signAlgo\":\"1\"}",
		HK_EINVAL, "Missing (or invalid type) array parameter hashes"},
	    {"/signatures/signHash",
		"{\"credentialID\":\"c-1\",\"SAD\":\"s3cr3t\",\"hashes\":"
		"[\"AA\"],\"signAlgo\":\"1\",\"signAlgoParams\":\"%%%\"}",
		HK_EINVAL, "Invalid parameter signAlgoParams"},
	    {"/signatures/signHash",
		"{\"credentialID\":\"c-1\",\"SAD\":\"s3cr3t\",\"hashes\":"
		"[\"AA\"],\"signAlgo\":\"1\",\"signAlgoParams\":\"MA0G CWCG\"}",
		HK_EINVAL, "Invalid parameter signAlgoParams"},
	    {"/signatures/signHash",
		"{\"credentialID\":\"c-1\",\"SAD\":\"s3cr3t\",\"hashes\":"
		"[\"AA\"],\"signAlgo\":\"1\",\"signAlgoParams\":5}",
		HK_EINVAL,
		"Missing (or invalid type) string parameter signAlgoParams"},
	    {"/signatures/signHash",
		"{\"credentialID\":\"c-1\",\"SAD\":\"s3cr3t\",\"hashes\":"
		"[\"AA\"],\"signAlgo\":\"\"}",
		HK_EINVAL, "Invalid parameter signAlgo"},
	};
	struct hk_buf out = HK_BUF_INIT, big = HK_BUF_INIT;
	struct net_json_error e;
	char path[128];
	const char *json;
	size_t i, k;
	int r;

	(void)state;
	for (i = 0; i < NELEM(cases); i++) {
		snprintf(path, sizeof(path), CSC "%s", cases[i].path);
		hk_buf_reset(&big);
		json = cases[i].json;
		if (json == NULL) {
			/* 1025 hashes. */
			assert_int_equal(hk_buf_puts(&big, az), 0);
			assert_int_equal(hk_buf_puts(&big, "\"hashes\":["), 0);
			for (k = 0; k < 1025; k++)
				assert_int_equal(hk_buf_puts(&big,
						     k ? ",\"AA\"" : "\"AA\""),
				    0);
			assert_int_equal(hk_buf_puts(&big, "]}"), 0);
			json = hk_buf_cstr(&big);
		} else if (strncmp(json, "AUTHDATA", 8) == 0) {
			assert_int_equal(hk_buf_printf(&big,
					     "%s\"hashes\":[\"AA\"],"
					     "\"authData\":%s}",
					     az, json + 8),
			    0);
			json = hk_buf_cstr(&big);
		} else if (strstr(json, "DESC501") != NULL) {
			char d[502];

			memset(d, 'd', 501);
			d[501] = '\0';
			assert_int_equal(hk_buf_printf(&big,
					     "%s\"hashes\":[\"AA\"],"
					     "\"description\":\"%s\"}",
					     az, d),
			    0);
			json = hk_buf_cstr(&big);
		}
		r = request(NET_HTTP_POST, path, NET_ROUTE_SIGNING, json, &out,
		    &e);
		if (r != cases[i].want || strcmp(e.text, cases[i].text) != 0)
			fail_msg("case %zu (%s %s): %d \"%s\"", i, path, json,
			    r, e.text);
		assert_null(strstr(e.text, "s3cr3t"));
		assert_int_equal(out.len, 0); /* unchanged on error */
	}
	/* A description of exactly 500 bytes and 1024 hashes pass. */
	hk_buf_reset(&big);
	assert_int_equal(hk_buf_puts(&big, az), 0);
	assert_int_equal(hk_buf_puts(&big, "\"hashes\":["), 0);
	for (k = 0; k < 1024; k++)
		assert_int_equal(hk_buf_puts(&big, k ? ",\"AA\"" : "\"AA\""),
		    0);
	assert_int_equal(hk_buf_puts(&big, "]}"), 0);
	assert_int_equal(request(NET_HTTP_POST, CSC "/credentials/authorize",
			     NET_ROUTE_SIGNING, hk_buf_cstr(&big), &out, &e),
	    0);
	hk_buf_release(&out);
	hk_buf_release(&big);
}

/* check_answer(path, status, spec, want): the answer ${spec} with
 * ${status} to the CSC route ${path} gives exactly the JSON ${want}. */
static void
check_answer(const char *path, uint64_t status, const char *spec,
    const char *want)
{
	struct hk_buf body = HK_BUF_INIT, out = HK_BUF_INIT;
	const char *why = NULL;
	int r;

	build(&body, spec);
	r = response(strcmp(path, CSC "/info") == 0 ? NET_HTTP_GET :
						      NET_HTTP_POST,
	    path, NET_ROUTE_SIGNING, status, &body, &out, &why);
	if (r != 0)
		fail_msg("%s %s: %d %s", path, spec, r, why);
	if (out.len != strlen(want) || memcmp(out.p, want, out.len) != 0)
		fail_msg("%s: got %.*s", path, (int)out.len,
		    (const char *)out.p);
	hk_buf_release(&body);
	hk_buf_release(&out);
}

#define KEY_EC \
	"u2 m4 u1 s\"enabled\" u2 a1 s\"" ES256 "\" u3 u256 u4 " \
	"s\"1.2.840.10045.3.1.7\""
#define KEY_EC_JSON \
	"\"key\":{\"status\":\"enabled\",\"algo\":[\"" ES256 "\"]," \
	"\"len\":256,\"curve\":\"1.2.840.10045.3.1.7\"}"
#define CERT_FULL \
	"u3 m7 u1 s\"valid\" u2 a2 x3082 x0102ff u3 s\"CN=CA\" u4 " \
	"s\"CN=Taro\" u5 s\"5aac41cd\" u6 s\"20240101000000Z\" u7 " \
	"s\"20260101000000Z\""
#define CERT_FULL_JSON \
	"\"cert\":{\"status\":\"valid\",\"certificates\":[\"MII=\"," \
	"\"AQL/\"],\"issuerDN\":\"CN=CA\",\"subjectDN\":\"CN=Taro\"," \
	"\"serialNumber\":\"5aac41cd\",\"validFrom\":\"20240101000000Z\"," \
	"\"validTo\":\"20260101000000Z\"}"
#define AUTH_L2 \
	"u4 m3 u1 s\"explicit\" u2 s\"PIN AND OTP\" u3 a2 m4 u1 " \
	"s\"Password\" u2 s\"PIN\" u3 s\"N\" u4 s\"PIN\" m5 u1 " \
	"s\"Password\" u2 s\"OTP\" u3 s\"N\" u4 s\"OTP\" u5 s\"totp\""
#define AUTH_L2_JSON \
	"\"auth\":{\"mode\":\"explicit\",\"expression\":\"PIN AND OTP\"," \
	"\"objects\":[{\"type\":\"Password\",\"id\":\"PIN\",\"format\":" \
	"\"N\",\"label\":\"PIN\"},{\"type\":\"Password\",\"id\":\"OTP\"," \
	"\"format\":\"N\",\"label\":\"OTP\",\"generator\":\"totp\"}]}"

/* The core's answers -> exactly the JSON the client receives. */
static void
test_CSC_response_json_exact(void **state)
{
	struct hk_buf body = HK_BUF_INIT, out = HK_BUF_INIT;
	const char *why;

	(void)state;
	check_answer(CSC "/info", 200,
	    "m11 u1 s\"2.0.0.2\" u2 s\"Hanko\" u3 s\"https://h.test/l.png\" "
	    "u4 s\"JP\" u5 s\"en-US\" u6 s\"Hanko remote signing\" u7 a1 "
	    "s\"basic\" u8 a2 s\"auth/login\" s\"signatures/signHash\" u9 m1 "
	    "u1 a2 s\"" ES256 "\" s\"1.2.840.113549.1.1.11\" u10 m2 u1 a0 u2 "
	    "a0 u11 a0",
	    "{\"specs\":\"2.0.0.2\",\"name\":\"Hanko\",\"logo\":"
	    "\"https://h.test/l.png\",\"region\":\"JP\",\"lang\":\"en-US\","
	    "\"description\":\"Hanko remote signing\",\"authType\":"
	    "[\"basic\"],\"methods\":[\"auth/login\",\"signatures/signHash\"],"
	    "\"signAlgorithms\":{\"algos\":[\"" ES256 "\","
	    "\"1.2.840.113549.1.1.11\"]},\"signature_formats\":{\"formats\":"
	    "[],\"envelope_properties\":[]},\"conformance_levels\":[]}");
	/* A list of string lists. */
	check_answer(CSC "/info", 200,
	    "m11 u1 s\"2.0.0.2\" u2 s\"n\" u3 s\"l\" u4 s\"JP\" u5 s\"en\" u6 "
	    "s\"d\" u7 a0 u8 a0 u9 m1 u1 a0 u10 m2 u1 a2 s\"C\" s\"P\" u2 a2 "
	    "a2 s\"Detached\" s\"Attached\" a0 u11 a1 s\"Ades-B-B\"",
	    "{\"specs\":\"2.0.0.2\",\"name\":\"n\",\"logo\":\"l\",\"region\":"
	    "\"JP\",\"lang\":\"en\",\"description\":\"d\",\"authType\":[],"
	    "\"methods\":[],\"signAlgorithms\":{\"algos\":[]},"
	    "\"signature_formats\":{\"formats\":[\"C\",\"P\"],"
	    "\"envelope_properties\":[[\"Detached\",\"Attached\"],[]]},"
	    "\"conformance_levels\":[\"Ades-B-B\"]}");
	check_answer(CSC "/auth/login", 200,
	    "m2 u1 s\"tok-AAAA_bbb\" u2 u28800",
	    "{\"access_token\":\"tok-AAAA_bbb\",\"expires_in\":28800}");
	/* credentials/info: nested objects, DER certificates as Base64. */
	check_answer(CSC "/credentials/info", 200,
	    "m8 u1 s\"Taro's key\" " KEY_EC " " CERT_FULL " " AUTH_L2
	    " u5 s\"2\" u6 u5 u7 s\"en-US\" u8 u2",
	    "{\"description\":\"Taro's key\"," KEY_EC_JSON "," CERT_FULL_JSON
	    "," AUTH_L2_JSON ",\"SCAL\":\"2\",\"multisign\":5,\"lang\":"
	    "\"en-US\",\"hanko_level\":2}");
	/* The minimal one: optional members absent, or nil (left out). */
	check_answer(CSC "/credentials/info", 200,
	    "m6 u1 z u2 m3 u1 s\"enabled\" u2 a1 s\"1.2.840.113549.1.1.11\" "
	    "u3 u2048 u3 m2 u1 s\"valid\" u2 z u5 s\"2\" u6 u1 u8 u1",
	    "{\"key\":{\"status\":\"enabled\",\"algo\":"
	    "[\"1.2.840.113549.1.1.11\"],\"len\":2048},\"cert\":{\"status\":"
	    "\"valid\"},\"SCAL\":\"2\",\"multisign\":1,\"hanko_level\":1}");
	check_answer(CSC "/credentials/list", 200,
	    "m1 u1 a2 s\"c-00000000000000c1\" s\"c-00000000000000c2\"",
	    "{\"credentialIDs\":[\"c-00000000000000c1\","
	    "\"c-00000000000000c2\"]}");
	check_answer(CSC "/credentials/list", 200,
	    "m3 u1 a1 s\"c-1\" u2 a1 m6 " KEY_EC " " CERT_FULL
	    " u5 s\"2\" u6 u5 u8 u2 u20 s\"c-1\" u3 t",
	    "{\"credentialIDs\":[\"c-1\"],\"credentialInfos\":[{" KEY_EC_JSON
	    "," CERT_FULL_JSON ",\"SCAL\":\"2\",\"multisign\":5,"
	    "\"hanko_level\":2,\"credentialID\":\"c-1\"}],\"onlyValid\":true}");
	check_answer(CSC "/credentials/list", 200, "m1 u1 a0",
	    "{\"credentialIDs\":[]}");
	check_answer(CSC "/credentials/authorize", 200,
	    "m2 u1 s\"SAD-xyz\" u2 u300",
	    "{\"SAD\":\"SAD-xyz\",\"expiresIn\":300}");
	check_answer(CSC "/credentials/extendTransaction", 200,
	    "m2 u1 s\"SAD-2\" u2 u299", "{\"SAD\":\"SAD-2\",\"expiresIn\":299}");
	check_answer(CSC "/signatures/signHash", 200,
	    "m2 u1 a3 xdeadbeef x00 x u2 a3 u7 u8 u4294967296",
	    "{\"signatures\":[\"3q2+7w==\",\"AA==\",\"\"],\"hanko_seqs\":"
	    "[7,8,4294967296]}");
	/* CSC's errors pass through. */
	check_answer(CSC "/credentials/authorize", 400,
	    "m2 u1 s\"invalid_authentication_data\" u2 s\"The authentication "
	    "data is invalid\"",
	    "{\"error\":\"invalid_authentication_data\",\"error_description\":"
	    "\"The authentication data is invalid\"}");
	check_answer(CSC "/credentials/info", 400,
	    "m2 u1 s\"invalid_request\" u2 s\"Invalid parameter "
	    "credentialID\"",
	    "{\"error\":\"invalid_request\",\"error_description\":"
	    "\"Invalid parameter credentialID\"}");
	check_answer(CSC "/auth/login", 400,
	    "m2 u1 s\"authentication_error\" u2 s\"An error occurred during "
	    "authentication process\"",
	    "{\"error\":\"authentication_error\",\"error_description\":\"An "
	    "error occurred during authentication process\"}");
	check_answer(CSC "/signatures/signHash", 401,
	    "m2 u1 s\"invalid_token\" u2 s\"Invalid or expired access token\"",
	    "{\"error\":\"invalid_token\",\"error_description\":\"Invalid or "
	    "expired access token\"}");
	check_answer(CSC "/signatures/signHash", 503,
	    "m2 u1 s\"temporarily_unavailable\" u2 s\"The service is "
	    "unavailable\"",
	    "{\"error\":\"temporarily_unavailable\",\"error_description\":"
	    "\"The service is unavailable\"}");

	/* revoke: 204 and no body at all. */
	build(&body, "m0");
	assert_int_equal(response(NET_HTTP_POST, CSC "/auth/revoke",
			     NET_ROUTE_SIGNING, 204, &body, &out, &why),
	    0);
	assert_int_equal(out.len, 0);
	hk_buf_release(&body);
	hk_buf_release(&out);
}

/* Answers outside the CSC routes' schemas and error pairs: 502. */
static void
test_CSC_response_refusals_502(void **state)
{
	static const char sh[] = CSC "/signatures/signHash";
	static const char ci[] = CSC "/credentials/info";
	static const char az[] = CSC "/credentials/authorize";
	static const char rv[] = CSC "/auth/revoke";
	static const char in[] = CSC "/info";
	const struct {
		const char *path;
		uint64_t status;
		const char *spec;
		const char *why;
	} cases[] = {
	    {sh, 200, "m2 u1 a1 xdeadbeef u2 a1 u1", NULL},
	    {sh, 200, "m2 u1 a1 s\"sig\" u2 a1 u1", "not a bin"},
	    {sh, 200, "m2 u1 a1 z u2 a1 u1", "not a bin"},
	    {sh, 200, "m2 u1 s\"x\" u2 a1 u1", "not an array"},
	    {sh, 200, "m2 u1 a1 xdeadbeef u2 a1 n1", "not a uint"},
	    {sh, 200, "m2 u1 a1 xdeadbeef u2 a1 s\"1\"", "not a uint"},
	    {sh, 200, "m1 u1 a1 xdeadbeef", "lacks a required field"},
	    {sh, 200, "m3 u1 a0 u2 a0 u3 t", "a key outside"},
	    {sh, 201, "m2 u1 a0 u2 a0", "status is not in the contract"},
	    {sh, 202, "m2 u1 a0 u2 a0", "status is not in the contract"},
	    /* Error pairs other than CSC's. */
	    {sh, 401, "m2 u1 s\"unauthorized\" u2 s\"x\"",
		"does not match its status"},
	    {sh, 503, "m2 u1 s\"unavailable\" u2 s\"x\"",
		"does not match its status"},
	    {sh, 400, "m2 u1 s\"invalid_token\" u2 s\"x\"",
		"does not match its status"},
	    {sh, 400, "m2 u1 s\"invalid_pin\" u2 s\"x\"",
		"does not match its status"},
	    {sh, 401, "m2 u1 s\"invalid_request\" u2 s\"x\"",
		"does not match its status"},
	    {sh, 403, "m2 u1 s\"forbidden\" u2 s\"x\"",
		"status is not in the contract"},
	    {sh, 404, "m2 u1 s\"not_found\" u2 s\"x\"",
		"status is not in the contract"},
	    {sh, 409, "m2 u1 s\"conflict\" u2 s\"x\"",
		"status is not in the contract"},
	    {sh, 500, "m2 u1 s\"server_error\" u2 s\"x\"",
		"status is not in the contract"},
	    {sh, 400, "m1 u1 s\"invalid_request\"", "lacks a required field"},
	    {sh, 400, "m3 u1 s\"invalid_request\" u2 s\"x\" u3 s\"y\"",
		"a key outside"},
	    /* revoke: 204 with {} only. */
	    {rv, 204, "m0", NULL},
	    {rv, 200, "m0", "status is not in the contract"},
	    {rv, 204, "m1 u1 s\"x\"", "a key outside"},
	    {rv, 204, "a0", "not a map"},
	    /* Nested maps and lists. */
	    {ci, 200, "m4 u2 s\"key\" u3 m1 u1 s\"valid\" u5 s\"2\" u6 u1",
		"not a map"},
	    {ci, 200,
		"m5 u2 m2 u1 s\"enabled\" u3 u1 u3 m1 u1 s\"valid\" u5 s\"2\" "
		"u6 u1 u8 u1",
		"lacks a required field"},
	    {ci, 200,
		"m5 u2 m4 u1 s\"enabled\" u2 a0 u3 u1 u9 t u3 m1 u1 s\"valid\" "
		"u5 s\"2\" u6 u1 u8 u1",
		"a key outside"},
	    {ci, 200,
		"m5 " KEY_EC " u3 m1 u1 s\"valid\" u5 s\"2\" u6 u1 u8 z",
		"not a uint"},
	    {ci, 200,
		"m5 " KEY_EC " u3 m2 u1 s\"valid\" u2 a1 s\"MII=\" u5 s\"2\" "
		"u6 u1 u8 u1",
		"not a bin"},
	    {ci, 200,
		"m6 " KEY_EC " u3 m1 u1 s\"valid\" u4 m3 u1 s\"explicit\" u2 "
		"s\"PIN\" u3 a1 m1 u1 s\"Password\" u5 s\"2\" u6 u1 u8 u1",
		"lacks a required field"},
	    {ci, 200, "m5 " KEY_EC " u3 m1 u1 s\"valid\" u5 s\"2\" u6 u1 u8 u1",
		NULL},
	    {ci, 200, "m4 " KEY_EC " u3 m1 u1 s\"valid\" u5 s\"2\" u6 u1",
		"lacks a required field"},
	    {in, 200,
		"m11 u1 s\"2\" u2 s\"n\" u3 s\"l\" u4 s\"JP\" u5 s\"en\" u6 "
		"s\"d\" u7 a0 u8 a0 u9 m1 u1 a0 u10 m2 u1 a0 u2 a1 a1 u1 u11 "
		"a0",
		"not a str"},
	    {in, 200,
		"m11 u1 s\"2\" u2 s\"n\" u3 s\"l\" u4 s\"JP\" u5 s\"en\" u6 "
		"s\"d\" u7 a0 u8 a0 u9 m1 u1 a0 u10 m2 u1 a0 u2 a1 s\"x\" u11 "
		"a0",
		"not an array"},
	    {in, 200,
		"m11 u1 s\"2\" u2 s\"n\" u3 s\"l\" u4 s\"JP\" u5 s\"en\" u6 "
		"s\"d\" u7 a1 L u8 a0 u9 m1 u1 a0 u10 m2 u1 a0 u2 a0 u11 a0",
		"too long"},
	    {az, 200, "m2 u1 s\"S\" u2 u300", NULL},
	    {az, 200, "m1 u1 s\"S\"", "lacks a required field"},
	    {az, 200, "m2 u1 z u2 u300", "not a str"},
	};
	struct hk_buf body = HK_BUF_INIT, out = HK_BUF_INIT;
	const char *why;
	size_t i;
	int r;

	(void)state;
	for (i = 0; i < NELEM(cases); i++) {
		build(&body, cases[i].spec);
		r = response(strcmp(cases[i].path, in) == 0 ? NET_HTTP_GET :
							      NET_HTTP_POST,
		    cases[i].path, NET_ROUTE_SIGNING, cases[i].status, &body,
		    &out, &why);
		if (cases[i].why == NULL) {
			if (r != 0)
				fail_msg("case %zu: %d %s", i, r, why);
			continue;
		}
		if (r != HK_EPROTO || strstr(why, cases[i].why) == NULL)
			fail_msg("case %zu (%s): %d \"%s\"", i, cases[i].spec,
			    r, why);
	}
	/* The admin and signer routes keep their own pairs. */
	build(&body, "m2 u1 s\"invalid_token\" u2 s\"x\"");
	assert_int_equal(response(NET_HTTP_POST, "/signer/v1/nonce",
			     NET_ROUTE_SIGNING, 401, &body, &out, &why),
	    HK_EPROTO);
	build(&body, "m2 u1 s\"temporarily_unavailable\" u2 s\"x\"");
	assert_int_equal(response(NET_HTTP_POST, "/signer/v1/nonce",
			     NET_ROUTE_SIGNING, 503, &body, &out, &why),
	    HK_EPROTO);
	hk_buf_release(&body);
	hk_buf_release(&out);
}

/* ---- queries (docs/audit-api.md "Queries") ------------------------------- */

/* query(path, q, out, e): the request map of GET ${path}?${q} on the admin
 * listener (${q} NULL: no "?"). */
static int
query(const char *path, const char *q, const char *body, struct hk_buf *out,
    struct net_json_error *e)
{
	const struct net_route *rt = route_for(NET_HTTP_GET, path,
	    NET_ROUTE_ADMIN);

	memset(e, 0, sizeof(*e));
	hk_buf_reset(out);
	return net_route_request_query(rt, path, strlen(path), q,
	    q != NULL ? strlen(q) : 0, (const uint8_t *)body,
	    body != NULL ? strlen(body) : 0, out, e);
}

static void
test_AUDIT_query_maps_exact(void **state)
{
	struct hk_buf got = HK_BUF_INIT, want = HK_BUF_INIT;
	struct net_json_error e;
	struct hk_mpk_writer w;

	(void)state;
	/* Every parameter, in any order, percent-encoded or not. */
	assert_int_equal(query("/audit/v1/events",
			     "until=99&type=signature%2Ecreated&from=7&"
			     "signer=s-0123456789abcdef&limit=500&since=0&"
			     "credential=c%2D0123456789ABCDEF",
			     NULL, &got, &e),
	    0);
	hk_buf_reset(&want);
	hk_mpk_writer_init(&w, &want);
	hk_mpk_put_map(&w, 7);
	hk_mpk_put_uint(&w, 1);
	hk_mpk_put_uint(&w, 7);
	hk_mpk_put_uint(&w, 2);
	hk_mpk_put_uint(&w, 500);
	hk_mpk_put_uint(&w, 3);
	hk_mpk_put_cstr(&w, "signature.created");
	hk_mpk_put_uint(&w, 4);
	hk_mpk_put_cstr(&w, SID);
	hk_mpk_put_uint(&w, 5);
	hk_mpk_put_cstr(&w, "c-0123456789ABCDEF");
	hk_mpk_put_uint(&w, 6);
	hk_mpk_put_uint(&w, 0);
	hk_mpk_put_uint(&w, 7);
	hk_mpk_put_uint(&w, 99);
	assert_int_equal(hk_mpk_writer_status(&w), 0);
	assert_bytes(&got, &want);

	/* No query, an empty query: the empty map. */
	assert_int_equal(query("/audit/v1/events", NULL, NULL, &got, &e), 0);
	assert_int_equal(got.len, 1);
	assert_int_equal(got.p[0], 0x80);
	assert_int_equal(query("/audit/v1/events", "", NULL, &got, &e), 0);
	assert_int_equal(got.len, 1);
	assert_int_equal(query("/audit/v1/status", NULL, NULL, &got, &e), 0);
	assert_int_equal(got.len, 1);

	/* The bundle's range. */
	assert_int_equal(query("/audit/v1/bundle", "to=700&from=3", NULL, &got,
			     &e),
	    0);
	hk_buf_reset(&want);
	hk_mpk_writer_init(&w, &want);
	hk_mpk_put_map(&w, 2);
	hk_mpk_put_uint(&w, 1);
	hk_mpk_put_uint(&w, 3);
	hk_mpk_put_uint(&w, 2);
	hk_mpk_put_uint(&w, 700);
	assert_int_equal(hk_mpk_writer_status(&w), 0);
	assert_bytes(&got, &want);

	/* "+" is a space, %XX a byte (UTF-8 passes), the largest uint. */
	assert_int_equal(query("/audit/v1/signatures",
			     "hash=a+b%2B%E3%81%82&from=9223372036854775807",
			     NULL, &got, &e),
	    0);
	hk_buf_reset(&want);
	hk_mpk_writer_init(&w, &want);
	hk_mpk_put_map(&w, 2);
	hk_mpk_put_uint(&w, 1);
	hk_mpk_put_cstr(&w, "a b+\xe3\x81\x82");
	hk_mpk_put_uint(&w, 2);
	hk_mpk_put_uint(&w, 9223372036854775807ull);
	assert_int_equal(hk_mpk_writer_status(&w), 0);
	assert_bytes(&got, &want);

	/* A path parameter. */
	assert_int_equal(query("/audit/v1/receipts/1234", NULL, NULL, &got,
			     &e),
	    0);
	hk_buf_reset(&want);
	hk_mpk_writer_init(&w, &want);
	hk_mpk_put_map(&w, 1);
	hk_mpk_put_uint(&w, 1);
	hk_mpk_put_cstr(&w, "1234");
	assert_int_equal(hk_mpk_writer_status(&w), 0);
	assert_bytes(&got, &want);

	assert_int_equal(query("/audit/v1/consistency", "old=1&new=2", NULL,
			     &got, &e),
	    0);
	hk_buf_reset(&want);
	hk_mpk_writer_init(&w, &want);
	hk_mpk_put_map(&w, 2);
	hk_mpk_put_uint(&w, 1);
	hk_mpk_put_uint(&w, 1);
	hk_mpk_put_uint(&w, 2);
	hk_mpk_put_uint(&w, 2);
	assert_int_equal(hk_mpk_writer_status(&w), 0);
	assert_bytes(&got, &want);
	hk_buf_release(&got);
	hk_buf_release(&want);
}

static void
test_AUDIT_query_refusals(void **state)
{
	static const char ev[] = "/audit/v1/events";
	const struct {
		const char *path;
		const char *q;
		const char *body;
		const char *text;
	} cases[] = {
	    {ev, "from=1&from=2", NULL,
		"query parameter \"from\" appears more than once"},
	    {ev, "from=1&fr%6Fm=2", NULL,
		"query parameter \"from\" appears more than once"},
	    {ev, "form=1", NULL, "unknown query parameter"},
	    {ev, "FROM=1", NULL, "unknown query parameter"},
	    {ev, "from=abc", NULL,
		"query parameter \"from\" must be a decimal integer"},
	    {ev, "from=-1", NULL,
		"query parameter \"from\" must be a decimal integer"},
	    {ev, "from=+1", NULL,
		"query parameter \"from\" must be a decimal integer"},
	    {ev, "from=", NULL,
		"query parameter \"from\" must be a decimal integer"},
	    {ev, "from=1%20", NULL,
		"query parameter \"from\" must be a decimal integer"},
	    {ev, "from=9223372036854775808", NULL,
		"query parameter \"from\" must be a decimal integer"},
	    {ev, "from=12345678901234567890", NULL,
		"query parameter \"from\" must be a decimal integer"},
	    {ev, "limit=0", NULL,
		"field \"limit\" must be an integer from 1 to 500"},
	    {ev, "limit=501", NULL,
		"field \"limit\" must be an integer from 1 to 500"},
	    {ev, "type=", NULL, "field \"type\" must not be empty"},
	    {ev, "from", NULL, "query parameter without \"=\""},
	    {ev, "=1", NULL, "query parameter without a name"},
	    {ev, "from=1&", NULL, "empty query parameter"},
	    {ev, "&from=1", NULL, "empty query parameter"},
	    {ev, "from=1&&limit=2", NULL, "empty query parameter"},
	    {ev, "type=%", NULL,
		"malformed percent-encoding (or a NUL) in the query"},
	    {ev, "type=%4", NULL,
		"malformed percent-encoding (or a NUL) in the query"},
	    {ev, "type=%zz", NULL,
		"malformed percent-encoding (or a NUL) in the query"},
	    {ev, "type=a%00b", NULL,
		"malformed percent-encoding (or a NUL) in the query"},
	    {ev, "type=%ff", NULL, "query text is not UTF-8"},
	    {ev, NULL, "{}", "this resource takes no body"},
	    {"/audit/v1/consistency", NULL, NULL,
		"missing field \"old\""},
	    {"/audit/v1/consistency", "old=0", NULL,
		"field \"old\" must be an integer of at least 1"},
	    {"/audit/v1/consistency", "old=1&new=0", NULL,
		"field \"new\" must be an integer of at least 1"},
	    {"/audit/v1/signatures", "from=1", NULL,
		"missing field \"hash\""},
	    {"/audit/v1/status", "x=1", NULL, "unknown query parameter"},
	    {"/audit/v1/bundle", "from=-1", NULL,
		"query parameter \"from\" must be a decimal integer"},
	    {"/audit/v1/bundle", "to=1&to=2", NULL,
		"query parameter \"to\" appears more than once"},
	    {"/audit/v1/bundle", NULL, "{}", "this resource takes no body"},
	    {"/audit/v1/receipts/01", NULL, NULL,
		"path parameter \"seq\" must be a decimal number without "
		"leading zeros"},
	    {"/audit/v1/receipts/1a", NULL, NULL,
		"path parameter \"seq\" must be a decimal number without "
		"leading zeros"},
	    {"/audit/v1/receipts/12345678901234567890", NULL, NULL,
		"path parameter \"seq\" must be a decimal number without "
		"leading zeros"},
	};
	struct hk_buf out = HK_BUF_INIT;
	struct net_json_error e;
	size_t i;

	(void)state;
	for (i = 0; i < NELEM(cases); i++) {
		print_message("# %s ? %s\n", cases[i].path,
		    cases[i].q != NULL ? cases[i].q : "(none)");
		assert_int_equal(query(cases[i].path, cases[i].q,
				     cases[i].body, &out, &e),
		    HK_EINVAL);
		assert_string_equal(e.text, cases[i].text);
		assert_int_equal(out.len, 0);
	}
	/* Other API routes still take no query at all. */
	{
		const struct net_route *rt = route_for(NET_HTTP_GET,
		    "/admin/v1/status", NET_ROUTE_ADMIN);

		memset(&e, 0, sizeof(e));
		assert_int_equal(net_route_request_query(rt,
				     "/admin/v1/status", 16, "", 0, NULL, 0,
				     &out, &e),
		    HK_EINVAL);
		assert_string_equal(e.text, "this resource takes no query");
	}
	hk_buf_release(&out);
}

/* Auditor answers: events as the JSON objects the core wrote, texts
 * longer than the usual bound; anything else is refused (502). */
static void
test_AUDIT_response_json(void **state)
{
	struct hk_buf body = HK_BUF_INIT, out = HK_BUF_INIT, big = HK_BUF_INIT;
	struct hk_mpk_writer w;
	const char *why;
	size_t i;

	(void)state;
	hk_mpk_writer_init(&w, &body);
	hk_mpk_put_map(&w, 3);
	hk_mpk_put_uint(&w, 1);
	hk_mpk_put_array(&w, 2);
	hk_mpk_put_cstr(&w, "{\"seq\":1,\"type\":\"x\",\"body\":{\"a\":[1]}}");
	hk_mpk_put_cstr(&w, "{}");
	hk_mpk_put_uint(&w, 2);
	hk_mpk_put_uint(&w, 9);
	hk_mpk_put_uint(&w, 3);
	hk_mpk_put_uint(&w, 12);
	assert_int_equal(response(NET_HTTP_GET, "/audit/v1/events",
			     NET_ROUTE_ADMIN, 200, &body, &out, &why),
	    0);
	assert_json(&out, "{\"events\":[{\"seq\":1,\"type\":\"x\",\"body\":"
			  "{\"a\":[1]}},{}],\"next\":9,\"size\":12}");

	/* A receipt of 100,000 bytes passes (RESP_STR_MAX would not). */
	for (i = 0; i < 100000; i++)
		assert_int_equal(hk_buf_put(&big, "a", 1), 0);
	hk_buf_reset(&body);
	hk_mpk_writer_init(&w, &body);
	hk_mpk_put_map(&w, 1);
	hk_mpk_put_uint(&w, 1);
	hk_mpk_put_str(&w, (const char *)big.p, big.len);
	assert_int_equal(response(NET_HTTP_GET, "/audit/v1/receipts/3",
			     NET_ROUTE_ADMIN, 200, &body, &out, &why),
	    0);
	assert_int_equal(out.len, 100000 + strlen("{\"receipt\":\"\"}"));

	/* Not one JSON object: 502. */
	{
		static const char *const bad[] = {"[1]", "1", "{", "{}{}",
		    "{\"a\":1,\"a\":2}", ""};

		for (i = 0; i < NELEM(bad); i++) {
			hk_buf_reset(&body);
			hk_mpk_writer_init(&w, &body);
			hk_mpk_put_map(&w, 3);
			hk_mpk_put_uint(&w, 1);
			hk_mpk_put_array(&w, 1);
			hk_mpk_put_cstr(&w, bad[i]);
			hk_mpk_put_uint(&w, 2);
			hk_mpk_put_uint(&w, 0);
			hk_mpk_put_uint(&w, 3);
			hk_mpk_put_uint(&w, 0);
			assert_int_equal(response(NET_HTTP_GET,
					     "/audit/v1/signatures",
					     NET_ROUTE_ADMIN, 200, &body, &out,
					     &why),
			    HK_EPROTO);
			assert_non_null(strstr(why, "not one JSON object"));
		}
	}
	hk_buf_release(&body);
	hk_buf_release(&out);
	hk_buf_release(&big);
}

/* Every /audit/v1/ route is GET only: other methods are 405 with Allow:
 * GET, on the admin listener only. */
static void
test_AUDIT_read_only_routes(void **state)
{
	static const char *const paths[] = {"/audit/v1/status",
	    "/audit/v1/events", "/audit/v1/receipts/5",
	    "/audit/v1/consistency", "/audit/v1/signatures",
	    "/audit/v1/bundle"};
	static const enum net_http_method others[] = {NET_HTTP_POST,
	    NET_HTTP_PUT, NET_HTTP_DELETE, NET_HTTP_HEAD};
	const struct net_route *rt, *t;
	char allow[NET_ROUTE_ALLOW_LEN];
	size_t i, k, n;

	(void)state;
	for (i = 0; i < NELEM(paths); i++) {
		for (k = 0; k < NELEM(others); k++) {
			assert_int_equal(net_route_match(paths[i],
					     strlen(paths[i]), others[k],
					     NET_ROUTE_ADMIN, &rt, allow),
			    HK_ENOTSUP);
			assert_string_equal(allow, "GET");
		}
		assert_int_equal(net_route_match(paths[i], strlen(paths[i]),
				     NET_HTTP_GET, NET_ROUTE_SIGNING, &rt,
				     allow),
		    HK_ENOTFOUND);
	}
	/* No route under /audit/ but GET ones. */
	t = net_route_table(&n);
	for (i = 0; i < n; i++)
		if (strncmp(t[i].pattern, "/audit/", 7) == 0)
			assert_int_equal(t[i].method, NET_HTTP_GET);
}

/* ---- the auditor console (issue 8) ----------------------------------------- */

static void
test_CONSOLE_routes_get_head_only(void **state)
{
	static const char *const paths[] = {"/console/", "/console/app.js",
	    "/console/no-such-file", "/console/a/b"};
	static const enum net_http_method others[] = {NET_HTTP_POST,
	    NET_HTTP_PUT, NET_HTTP_DELETE, NET_HTTP_OPTIONS};
	const struct net_route *rt;
	char allow[NET_ROUTE_ALLOW_LEN];
	size_t i, k;

	(void)state;
	for (i = 0; i < NELEM(paths); i++) {
		rt = route_for(NET_HTTP_GET, paths[i], NET_ROUTE_ADMIN);
		assert_int_equal(rt->type, HK_IPC_CONSOLE);
		assert_int_equal(rt->answer, NET_ROUTE_CONSOLE);
		rt = route_for(NET_HTTP_HEAD, paths[i], NET_ROUTE_ADMIN);
		assert_int_equal(rt->type, HK_IPC_CONSOLE);
		for (k = 0; k < NELEM(others); k++) {
			assert_int_equal(net_route_match(paths[i],
					     strlen(paths[i]), others[k],
					     NET_ROUTE_ADMIN, &rt, allow),
			    HK_ENOTSUP);
			assert_string_equal(allow, "GET, HEAD");
		}
		/* Never on the signing listener. */
		assert_int_equal(net_route_match(paths[i], strlen(paths[i]),
				     NET_HTTP_GET, NET_ROUTE_SIGNING, &rt,
				     allow),
		    HK_ENOTFOUND);
	}
	/* The prefix needs its slash. */
	assert_int_equal(net_route_match("/console", 8, NET_HTTP_GET,
			     NET_ROUTE_ADMIN, &rt, allow),
	    HK_ENOTFOUND);
	assert_int_equal(net_route_match("/consolex/", 10, NET_HTTP_GET,
			     NET_ROUTE_ADMIN, &rt, allow),
	    HK_ENOTFOUND);
}

/* The built-in assets: index.html at /console/, exact names only, each
 * with a media type; no inline script or style in the page. */
static void
test_CONSOLE_assets_built_in(void **state)
{
	static const char *const none[] = {"/console", "/console/index",
	    "/console/./index.html", "/console/../index.html",
	    "/console//index.html", "/console/INDEX.HTML", "/index.html",
	    "/console/index.html/"};
	const struct net_console_asset *a = NULL, *b = NULL;
	char *page;
	size_t i;

	(void)state;
	assert_true(net_console_nassets >= 4);
	assert_int_equal(net_console_lookup("/console/", 9, &a), 0);
	assert_int_equal(net_console_lookup("/console/index.html", 19, &b),
	    0);
	assert_ptr_equal(a, b);
	assert_string_equal(a->type, "text/html; charset=utf-8");
	for (i = 0; i < NELEM(none); i++)
		assert_int_equal(net_console_lookup(none[i], strlen(none[i]),
				     &b),
		    HK_ENOTFOUND);
	for (i = 0; i < net_console_nassets; i++) {
		const struct net_console_asset *x = &net_console_assets[i];
		char path[128];

		snprintf(path, sizeof(path), "/console/%s", x->name);
		assert_int_equal(net_console_lookup(path, strlen(path), &b), 0);
		assert_ptr_equal(b, x);
		assert_true(x->len > 0);
		assert_int_equal(strlen((const char *)x->data), x->len);
		/* Nothing loads from elsewhere: no absolute URL but the SVG
		 * namespace name (an identifier, never fetched). */
		{
			const char *p = (const char *)x->data;

			while ((p = strstr(p, "http")) != NULL) {
				static const char ns[] =
				    "http://www.w3.org/2000/svg\"";

				if (strncmp(p, ns, sizeof(ns) - 1) != 0 &&
				    (strncmp(p, "http://", 7) == 0 ||
					strncmp(p, "https://", 8) == 0))
					fail_msg("%s holds an absolute URL",
					    x->name);
				p += 4;
			}
		}
		assert_null(strstr((const char *)x->data, "//cdn"));
	}
	/* The page: scripts and styles by reference only (CSP forbids
	 * inline ones, and so does this test). */
	page = strndup((const char *)a->data, a->len);
	assert_non_null(page);
	assert_null(strstr(page, "<script>"));
	assert_null(strstr(page, "<style"));
	assert_null(strstr(page, " style="));
	assert_null(strstr(page, "javascript:"));
	/* No event handler attribute (onclick= and the like). */
	for (i = 0; page[i] != '\0'; i++) {
		size_t k = i + 3;

		if (page[i] != ' ' || page[i + 1] != 'o' || page[i + 2] != 'n')
			continue;
		while (page[k] >= 'a' && page[k] <= 'z')
			k++;
		assert_false(k > i + 3 && page[k] == '=');
	}
	assert_non_null(strstr(page, "<script src=\"app.js\""));
	free(page);
	/* The header fields every console answer carries. */
	assert_non_null(strstr(NET_CONSOLE_HEADERS,
	    "Content-Security-Policy: default-src 'self';"));
	assert_null(strstr(NET_CONSOLE_HEADERS, "unsafe-inline"));
	assert_non_null(strstr(NET_CONSOLE_HEADERS, "X-Frame-Options: DENY\r\n"));
	assert_non_null(strstr(NET_CONSOLE_HEADERS,
	    "X-Content-Type-Options: nosniff\r\n"));
	assert_null(strstr(NET_CONSOLE_HEADERS, "Set-Cookie"));
}

/* The console's audit views: query maps and answers. */
static void
test_CONSOLE_audit_views(void **state)
{
	struct hk_buf got = HK_BUF_INIT, want = HK_BUF_INIT, body = HK_BUF_INIT,
		      out = HK_BUF_INIT;
	struct net_json_error e;
	struct hk_mpk_writer w;
	const char *why;
	int k;

	(void)state;
	assert_int_equal(query("/audit/v1/history",
			     "from=3&credential=c-1&signer=s-1", NULL, &got,
			     &e),
	    0);
	hk_mpk_writer_init(&w, &want);
	hk_mpk_put_map(&w, 3);
	hk_mpk_put_uint(&w, 1);
	hk_mpk_put_cstr(&w, "s-1");
	hk_mpk_put_uint(&w, 2);
	hk_mpk_put_cstr(&w, "c-1");
	hk_mpk_put_uint(&w, 3);
	hk_mpk_put_uint(&w, 3);
	assert_bytes(&got, &want);
	assert_int_equal(query("/audit/v1/signers", "limit=201", NULL, &got,
			     &e),
	    HK_EINVAL);
	assert_int_equal(query("/audit/v1/signers", "limit=0", NULL, &got, &e),
	    HK_EINVAL);
	assert_int_equal(query("/audit/v1/signers", "after=s-1&limit=200",
			     NULL, &got, &e),
	    0);
	assert_int_equal(query("/audit/v1/summary", "x=1", NULL, &got, &e),
	    HK_EINVAL);

	/* The summary: 14 keys, named. */
	hk_mpk_writer_init(&w, &body);
	hk_mpk_put_map(&w, 14);
	for (k = 1; k <= 13; k++) {
		hk_mpk_put_uint(&w, (uint64_t)k);
		hk_mpk_put_uint(&w, (uint64_t)k * 10);
	}
	hk_mpk_put_uint(&w, 14);
	hk_mpk_put_cstr(&w, "0.1.0");
	assert_int_equal(response(NET_HTTP_GET, "/audit/v1/summary",
			     NET_ROUTE_ADMIN, 200, &body, &out, &why),
	    0);
	assert_json(&out, "{\"signers\":10,\"signers_erased\":20,"
			  "\"credentials\":30,\"credentials_created\":40,"
			  "\"credentials_key_generated\":50,"
			  "\"credentials_active\":60,"
			  "\"credentials_suspended\":70,"
			  "\"credentials_destroyed\":80,"
			  "\"credentials_locked\":90,\"signatures\":100,"
			  "\"signatures_today\":110,\"today_since\":120,"
			  "\"size\":130,\"version\":\"0.1.0\"}");

	/* The history: the subject as an object. */
	hk_buf_reset(&body);
	hk_mpk_writer_init(&w, &body);
	hk_mpk_put_map(&w, 4);
	hk_mpk_put_uint(&w, 1);
	hk_mpk_put_cstr(&w, "{\"credential\":\"c-1\",\"state\":\"active\"}");
	hk_mpk_put_uint(&w, 2);
	hk_mpk_put_array(&w, 1);
	hk_mpk_put_cstr(&w, "{\"seq\":4,\"state\":\"active\"}");
	hk_mpk_put_uint(&w, 3);
	hk_mpk_put_uint(&w, 9);
	hk_mpk_put_uint(&w, 4);
	hk_mpk_put_uint(&w, 9);
	assert_int_equal(response(NET_HTTP_GET, "/audit/v1/history",
			     NET_ROUTE_ADMIN, 200, &body, &out, &why),
	    0);
	assert_json(&out, "{\"subject\":{\"credential\":\"c-1\",\"state\":"
			  "\"active\"},\"history\":[{\"seq\":4,\"state\":"
			  "\"active\"}],\"next\":9,\"size\":9}");

	/* The signers page: next absent at the end. */
	hk_buf_reset(&body);
	hk_mpk_writer_init(&w, &body);
	hk_mpk_put_map(&w, 1);
	hk_mpk_put_uint(&w, 1);
	hk_mpk_put_array(&w, 1);
	hk_mpk_put_cstr(&w, "{\"signer\":\"s-1\"}");
	assert_int_equal(response(NET_HTTP_GET, "/audit/v1/signers",
			     NET_ROUTE_ADMIN, 200, &body, &out, &why),
	    0);
	assert_json(&out, "{\"signers\":[{\"signer\":\"s-1\"}]}");
	hk_buf_release(&got);
	hk_buf_release(&want);
	hk_buf_release(&body);
	hk_buf_release(&out);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_AUDIT_query_maps_exact),
	    cmocka_unit_test(test_AUDIT_query_refusals),
	    cmocka_unit_test(test_AUDIT_response_json),
	    cmocka_unit_test(test_AUDIT_read_only_routes),
	    cmocka_unit_test(test_CONSOLE_routes_get_head_only),
	    cmocka_unit_test(test_CONSOLE_assets_built_in),
	    cmocka_unit_test(test_CONSOLE_audit_views),
	    cmocka_unit_test(test_NET1_table_is_consistent),
	    cmocka_unit_test(test_NET1_contract_routes_on_their_listener_only),
	    cmocka_unit_test(test_NET1_match_404_405),
	    cmocka_unit_test(test_NET1_request_maps_exact),
	    cmocka_unit_test(test_NET1_ACT5_request_refusals),
	    cmocka_unit_test(test_NET1_request_depth_bound),
	    cmocka_unit_test(test_NET1_response_json_exact),
	    cmocka_unit_test(test_NET1_response_refusals_502),
	    cmocka_unit_test(test_NET1_passed_statuses_are_writable),
	    cmocka_unit_test(test_CSC_routes_and_404),
	    cmocka_unit_test(test_CSC_ACT8_authorization_shape),
	    cmocka_unit_test(test_CSC_request_maps_exact),
	    cmocka_unit_test(test_CSC_ACT5_request_refusals),
	    cmocka_unit_test(test_CSC_response_json_exact),
	    cmocka_unit_test(test_CSC_response_refusals_502),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
