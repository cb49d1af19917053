/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Unit tests for net/route (NET-1, ACT-5, OPS-1; docs/admin-api.md): the
 * route table against the contract (written out here independently:
 * method, path, listener, IPC type), matching (404, 405 with Allow, one
 * listener only), the request schema conversion JSON -> msgpack map with
 * keys ascending (exact bytes) and every refusal (missing field, wrong
 * type, unknown field, over-long, empty, a value not allowed, a path id
 * of the wrong shape, a body where none is taken), and the response
 * conversion msgpack -> JSON (exact text, lists of maps, optional
 * fields, errors) with every answer the front must refuse (502).
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
		if (request)
			assert_true(fs[i].type != NET_ROUTE_LIST);
		if (fs[i].type == NET_ROUTE_LIST) {
			assert_non_null(fs[i].items);
			check_schema(fs[i].items, fs[i].nitems, false);
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
		assert_int_equal(rt->answer, NET_ROUTE_SCHEMA);
		/* Basic routes forward Authorization, the others do not. */
		assert_int_equal((rt->flags & NET_ROUTE_FORWARD_AUTH) != 0,
		    contract[i].type >= 41);
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

/* put(w, spec): a tiny builder for the refusal cases: a string of
 * one-letter codes: m<n> map, a<n> array, u<n> uint, s"..." str, t/f
 * bool, z nil, b bin. */
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

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_NET1_table_is_consistent),
	    cmocka_unit_test(test_NET1_contract_routes_on_their_listener_only),
	    cmocka_unit_test(test_NET1_match_404_405),
	    cmocka_unit_test(test_NET1_request_maps_exact),
	    cmocka_unit_test(test_NET1_ACT5_request_refusals),
	    cmocka_unit_test(test_NET1_request_depth_bound),
	    cmocka_unit_test(test_NET1_response_json_exact),
	    cmocka_unit_test(test_NET1_response_refusals_502),
	    cmocka_unit_test(test_NET1_passed_statuses_are_writable),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
