/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Unit tests for net/json: strict JSON request bodies (NET-1, ACT-5). One
 * table of bodies with the expected answer (accepted, or refused with the
 * error code and a phrase the error_description must contain), the depth
 * and size bounds at their edges, descriptions that never quote the body,
 * and the per-route field checks.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include "net/json.h"

struct json_case {
	const char *name;
	const char *text;
	size_t len;       /* 0: strlen(text) */
	int rc;           /* 0 or the error */
	const char *why;  /* a phrase of the description when refused */
};

static const struct json_case cases[] = {
	{"object", "{\"a\":1,\"b\":[true,null],\"c\":{\"d\":\"\xc3\xa9\"}}", 0,
	    0, NULL},
	{"empty object", "{}", 0, 0, NULL},
	{"whitespace around", " \r\n\t{\"a\" : 1 }\n ", 0, 0, NULL},
	{"escaped unicode", "{\"a\":\"\\u00e9\\ud83d\\ude00\"}", 0, 0, NULL},
	{"real number", "{\"a\":1.5e3}", 0, 0, NULL},
	{"duplicate key", "{\"a\":1,\"a\":2}", 0, HK_EINVAL,
	    "duplicate key"},
	{"duplicate nested key", "{\"x\":{\"k\":1,\"k\":1}}", 0, HK_EINVAL,
	    "duplicate key"},
	{"duplicate key by escape", "{\"a\":1,\"\\u0061\":2}", 0, HK_EINVAL,
	    "duplicate key"},
	{"trailing garbage", "{\"a\":1} x", 0, HK_EINVAL, "trailing bytes"},
	{"two objects", "{\"a\":1}{\"b\":2}", 0, HK_EINVAL, "trailing bytes"},
	{"trailing comma", "{\"a\":1,}", 0, HK_EINVAL, "invalid syntax"},
	{"single quotes", "{'a':1}", 0, HK_EINVAL, "invalid syntax"},
	{"comment", "{\"a\":1 /* c */}", 0, HK_EINVAL, "invalid syntax"},
	{"truncated", "{\"a\":[1,2", 0, HK_EINVAL, "unexpected end"},
	{"array", "[1,2]", 0, HK_EINVAL, "must be a JSON object"},
	{"string", "\"s\"", 0, HK_EINVAL, "must be a JSON object"},
	{"number", "42", 0, HK_EINVAL, "must be a JSON object"},
	{"null", "null", 0, HK_EINVAL, "must be a JSON object"},
	{"empty", "", 0, HK_EINVAL, "empty"},
	{"only whitespace", "  \n", 0, HK_EINVAL, "unexpected end"},
	{"escaped NUL", "{\"a\":\"x\\u0000y\"}", 0, HK_EINVAL, "NUL"},
	{"NUL in a key", "{\"a\\u0000\":1}", 0, HK_EINVAL, "NUL"},
	{"raw NUL byte", "{\"a\":\"x\0y\"}", 12, HK_EINVAL, "invalid"},
	{"invalid UTF-8", "{\"a\":\"\xc3\x28\"}", 0, HK_EINVAL, "UTF-8"},
	{"overlong UTF-8", "{\"a\":\"\xc0\xaf\"}", 0, HK_EINVAL, "UTF-8"},
	{"lone surrogate", "{\"a\":\"\\ud800\"}", 0, HK_EINVAL, "invalid"},
	{"integer overflow", "{\"a\":99999999999999999999}", 0, HK_EINVAL,
	    "out of range"},
	{"real overflow", "{\"a\":1e400}", 0, HK_EINVAL, "out of range"},
	{"control character", "{\"a\":\"x\ty\"}", 0, HK_EINVAL, "invalid"},
	{"NaN", "{\"a\":NaN}", 0, HK_EINVAL, "invalid syntax"},
};

static void
test_ACT5_json_table(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct json_case *c = &cases[i];
		size_t n = c->len ? c->len : strlen(c->text);
		struct net_json_error e;
		json_t *v = NULL;
		int rc;

		memset(&e, 0, sizeof(e));
		rc = net_json_parse(NULL, (const uint8_t *)c->text, n, &v, &e);
		if (rc != c->rc || (c->why != NULL &&
		    strstr(e.text, c->why) == NULL))
			fail_msg("%s: rc %d (want %d), \"%s\" (want \"%s\")",
			    c->name, rc, c->rc, e.text, c->why ? c->why : "");
		if (rc == 0) {
			assert_true(json_is_object(v));
			json_decref(v);
		} else {
			assert_null(v);
		}
	}
}

/* nest(d): an object nested ${d} levels deep: {"a":{"a":...{}...}}. */
static char *
nest(unsigned d, const char *leaf)
{
	size_t n = d * 6 + strlen(leaf) + 1, i;
	char *s = malloc(n), *p = s;

	assert_non_null(s);
	for (i = 1; i < d; i++)
		p += sprintf(p, "{\"a\":");
	p += sprintf(p, "{%s}", leaf);
	for (i = 1; i < d; i++)
		*p++ = '}';
	*p = '\0';
	return s;
}

static void
test_NET1_json_depth_bound(void **state)
{
	struct net_json_limits lim = {1 << 20, 16};
	struct net_json_error e;
	json_t *v = NULL;
	char *s;

	(void)state;
	s = nest(16, "");
	assert_int_equal(net_json_parse(&lim, (const uint8_t *)s, strlen(s),
			     &v, &e),
	    0);
	assert_int_equal(net_json_depth(v), 16);
	json_decref(v);
	free(s);
	s = nest(17, "");
	assert_int_equal(net_json_parse(&lim, (const uint8_t *)s, strlen(s),
			     &v, &e),
	    HK_ETOOBIG);
	assert_non_null(strstr(e.text, "deeper than 16"));
	free(s);
	/* Default limits: 16. A depth far beyond jansson's own limit is
	 * refused by our scan, before jansson sees it. */
	s = nest(5000, "");
	assert_int_equal(net_json_parse(NULL, (const uint8_t *)s, strlen(s),
			     &v, &e),
	    HK_ETOOBIG);
	free(s);
	/* Brackets inside strings, also after escaped quotes, do not
	 * count. */
	lim.max_depth = 1;
	s = "{\"a\":\"[[[[{{{{\",\"b\":\"\\\"[[[[\\\\\",\"c\":\"]]}}\"}";
	assert_int_equal(net_json_parse(&lim, (const uint8_t *)s, strlen(s),
			     &v, &e),
	    0);
	assert_int_equal(net_json_depth(v), 1);
	json_decref(v);
	s = "{\"a\":[]}";
	assert_int_equal(net_json_parse(&lim, (const uint8_t *)s, strlen(s),
			     &v, &e),
	    HK_ETOOBIG);
}

static void
test_NET1_json_size_bound(void **state)
{
	struct net_json_limits lim = {16, 16};
	struct net_json_error e;
	json_t *v = NULL;
	const char *ok = "{\"a\":\"0123456\"}"; /* 15 bytes */
	const char *big = "{\"a\":\"01234567\"}"; /* 16 */
	const char *over = "{\"a\":\"012345678\"}"; /* 17 */

	(void)state;
	assert_int_equal(net_json_parse(&lim, (const uint8_t *)ok, strlen(ok),
			     &v, &e),
	    0);
	json_decref(v);
	assert_int_equal(net_json_parse(&lim, (const uint8_t *)big,
			     strlen(big), &v, &e),
	    0);
	json_decref(v);
	assert_int_equal(net_json_parse(&lim, (const uint8_t *)over,
			     strlen(over), &v, &e),
	    HK_ETOOBIG);
	assert_non_null(strstr(e.text, "too large (limit 16 bytes)"));
	assert_int_equal(NET_JSON_MAX_SIZE, 1048576);
}

/* A refusal never quotes the body: it may hold a PIN or an OTP. */
static void
test_ACT5_json_errors_never_quote_the_body(void **state)
{
	static const char *bodies[] = {
	    "{\"pin\":\"493817\" \"otp\":\"120934\"}",
	    "{\"pin\":493817x}",
	    "{\"pin\":\"493817\",\"pin\":\"120934\"}",
	    "{\"pin\":\"493817\"} 120934",
	    "{\"pin\":\"493817\xff\"}",
	};
	struct net_json_error e;
	json_t *v = NULL;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bodies) / sizeof(bodies[0]); i++) {
		memset(&e, 0, sizeof(e));
		assert_int_equal(net_json_parse(NULL,
				     (const uint8_t *)bodies[i],
				     strlen(bodies[i]), &v, &e),
		    HK_EINVAL);
		assert_true(e.text[0] != '\0');
		if (strstr(e.text, "493817") != NULL ||
		    strstr(e.text, "120934") != NULL || strchr(e.text, '\'') !=
		    NULL)
			fail_msg("description quotes the body: %s", e.text);
	}
}

static void
test_ACT5_json_field_checks(void **state)
{
	static const struct net_json_field f[] = {
		{"credentialID", NET_JSON_STRING, true},
		{"numSignatures", NET_JSON_INTEGER, true},
		{"hash", NET_JSON_ARRAY, false},
		{"clientData", NET_JSON_OBJECT, false},
		{"validity", NET_JSON_BOOLEAN, false},
	};
	/* The two required fields, then more. */
#define REQ "{\"credentialID\":\"c\",\"numSignatures\":1"
	static const struct {
		const char *text;
		bool allow_unknown;
		const char *why; /* NULL: accepted */
	} t[] = {
		{REQ "}", false, NULL},
		{REQ ",\"hash\":[],\"clientData\":{},\"validity\":true}",
		    false, NULL},
		{REQ ",\"hash\":null}", false, NULL},
		{"{\"numSignatures\":1}", false,
		    "missing field \"credentialID\""},
		{"{\"credentialID\":null,\"numSignatures\":1}", false,
		    "field \"credentialID\" must be a string"},
		{"{\"credentialID\":\"c\",\"numSignatures\":\"1\"}", false,
		    "field \"numSignatures\" must be an integer"},
		{"{\"credentialID\":\"c\",\"numSignatures\":1.0}", false,
		    "field \"numSignatures\" must be an integer"},
		{REQ ",\"hash\":\"h\"}", false,
		    "field \"hash\" must be an array"},
		{REQ ",\"validity\":1}", false,
		    "field \"validity\" must be a boolean"},
		{REQ ",\"clientData\":[]}", false,
		    "field \"clientData\" must be an object"},
		{REQ ",\"extra\":1}", false, "unknown field \"extra\""},
		{REQ ",\"extra\":1}", true, NULL},
		{REQ ",\"a\\\"b\":1}", false,
		    "unknown field in the request body"},
		{REQ ",\"01234567890123456789012345678901234567890\":1}", false,
		    "unknown field in the request body"},
	};
#undef REQ
	struct net_json_error e;
	json_t *v;
	size_t i;
	int rc;

	(void)state;
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		v = NULL;
		assert_int_equal(net_json_parse(NULL,
				     (const uint8_t *)t[i].text,
				     strlen(t[i].text), &v, &e),
		    0);
		memset(&e, 0, sizeof(e));
		rc = net_json_check(v, f, sizeof(f) / sizeof(f[0]),
		    t[i].allow_unknown, &e);
		if (t[i].why == NULL ? rc != 0 :
		    rc != HK_EINVAL || strcmp(e.text, t[i].why) != 0)
			fail_msg("case %zu: rc %d, \"%s\"", i, rc, e.text);
		json_decref(v);
	}
	/* Not an object at all. */
	v = json_array();
	assert_int_equal(net_json_check(v, f, 1, true, NULL), HK_EINVAL);
	json_decref(v);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ACT5_json_table),
		cmocka_unit_test(test_NET1_json_depth_bound),
		cmocka_unit_test(test_NET1_json_size_bound),
		cmocka_unit_test(test_ACT5_json_errors_never_quote_the_body),
		cmocka_unit_test(test_ACT5_json_field_checks),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
