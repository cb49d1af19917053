/* SPDX-License-Identifier: Apache-2.0 */
/*
 * json: strict decoding of JSON request bodies for the CSC and admin
 * routes (NET-1, ACT-5: a request means one thing only). A body must be
 * exactly one JSON object: no duplicate keys (two components reading
 * different values for the same key is how checks get bypassed), no
 * trailing bytes, no NUL characters, valid UTF-8, bounded in size and in
 * nesting depth (checked before jansson builds anything). Fields are then
 * checked against a per-route table (name, type, required), with unknown
 * fields refused unless the route allows them. Every refusal comes with an
 * error_description naming the problem; it never quotes the body (which
 * may hold a PIN or an OTP), only field names from the route's table or
 * short printable unknown keys.
 */
#ifndef HK_NET_JSON_H
#define HK_NET_JSON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "core/err.h"

/* Default bounds: the HTTP body limit, and a depth no CSC body comes near. */
#define NET_JSON_MAX_SIZE 1048576
#define NET_JSON_MAX_DEPTH 16
#define NET_JSON_WHY_LEN 160

struct net_json_limits {
	size_t max_size;    /* bytes */
	unsigned max_depth; /* the top-level object is depth 1 */
};

#define NET_JSON_LIMITS_DEFAULT {NET_JSON_MAX_SIZE, NET_JSON_MAX_DEPTH}

/* Why a body was refused: text for the "error_description" (UTF-8). */
struct net_json_error {
	char text[NET_JSON_WHY_LEN];
};

/**
 * net_json_parse(lim, p, n, out, e): decode the request body ${p}[0..n)
 * under ${lim} (NULL: NET_JSON_LIMITS_DEFAULT). Returns 0 with *${out} a
 * new reference to the top-level object (json_decref it); HK_EINVAL (not
 * JSON, a duplicate key, trailing bytes, a NUL character, a number out of
 * range, not an object) or HK_ETOOBIG (over max_size or max_depth), with
 * ${e} (may be NULL) saying why; or HK_ENOMEM. Any thread.
 */
HK_MUST_CHECK int net_json_parse(const struct net_json_limits *lim,
    const uint8_t *p, size_t n, json_t **out, struct net_json_error *e);

/** net_json_depth(v): the nesting depth of ${v} (a scalar is 0, {} or []
 * is 1). Recursive; for trees net_json_parse bounded. */
unsigned net_json_depth(const json_t *v);

enum net_json_type {
	NET_JSON_STRING = 1,
	NET_JSON_INTEGER = 2,
	NET_JSON_BOOLEAN = 3,
	NET_JSON_ARRAY = 4,
	NET_JSON_OBJECT = 5,
};

/* One field of a route's request body. */
struct net_json_field {
	const char *name;
	enum net_json_type type;
	bool required;
};

/**
 * net_json_check(obj, fields, n, allow_unknown, e): check the object
 * ${obj} against the ${n} ${fields}: each required field present, each
 * present field of its type (a null value counts as absent for optional
 * fields and as wrong for required ones), and no other key unless
 * ${allow_unknown}. 0 or HK_EINVAL with ${e} (may be NULL) naming the
 * first problem ("missing field \"hash\"", "field \"numSignatures\" must
 * be an integer", "unknown field \"foo\""). Any thread.
 */
HK_MUST_CHECK int net_json_check(const json_t *obj,
    const struct net_json_field *fields, size_t n, bool allow_unknown,
    struct net_json_error *e);

#endif
