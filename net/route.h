/* SPDX-License-Identifier: Apache-2.0 */
/*
 * route: the front's route table as data, and the generic translation
 * between HTTP/JSON and the core's typed msgpack requests (NET-1, ACT-3,
 * ACT-5, OPS-1, OPS-6; docs/admin-api.md is the contract, docs/front.md
 * the description). Each route names its method, a path pattern with
 * "{name}" segments, the listeners it is served on, the IPC type it
 * becomes, the request schema (JSON name, msgpack key, type, required,
 * bounds; path parameters and route constants map to keys too) and the
 * response schema (msgpack key -> JSON name and type, lists of maps
 * included). The front decides nothing: it refuses what is malformed
 * (missing field, wrong type, unknown field, over-long text, a path id of
 * the wrong shape) before anything reaches the core, and it refuses any
 * answer of the core that is outside the route's schema (502), so no
 * unknown data passes through in either direction.
 *
 * Every refusal text names fields from the table only, never a value:
 * bodies carry PINs, passwords, OTPs and enrollment codes.
 *
 * Two dialects share the engine. The admin and signer routes
 * (docs/admin-api.md) are strict: unknown fields are refused, types are
 * exact, texts name the field ("missing field \"pin\""). The CSC v2 routes
 * (NET_ROUTE_CSC, docs/csc-api.md) follow CSC v2.0.0.2 and its clients:
 * unknown fields are ignored (a non-null userID is refused), an integer
 * may come as a string of digits and a boolean as "true"/"false", "" may
 * count as absent, Base64 (standard or URL alphabet, padding optional)
 * becomes bin, refusals use CSC's texts ("Missing (or invalid type) string
 * parameter credentialID"), and the core's errors must be one of CSC's
 * status/code pairs.
 */
#ifndef HK_NET_ROUTE_H
#define HK_NET_ROUTE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/buf.h"
#include "core/err.h"
#include "core/ipc.h"
#include "core/mpk.h"
#include "net/http.h"
#include "net/json.h"

/* Listener bits of struct net_route.listeners. */
#define NET_ROUTE_SIGNING 1u
#define NET_ROUTE_ADMIN 2u

/* Bounds: the longest Allow value, the most fields in one schema. */
#define NET_ROUTE_ALLOW_LEN 64
#define NET_ROUTE_MAX_FIELDS 16
/* The error code and description of a core error answer. */
#define NET_ROUTE_ERROR_DESC_MAX 1024

/* Field types (docs/admin-api.md and docs/csc-api.md "Types"). */
enum net_route_type {
	NET_ROUTE_STR = 1,      /* UTF-8 text, bounded */
	NET_ROUTE_SECRET = 2,   /* a str that is never logged */
	NET_ROUTE_PEM = 3,      /* a str of at most 64 KiB */
	NET_ROUTE_UINT = 4,     /* an unsigned integer */
	NET_ROUTE_BOOL = 5,
	NET_ROUTE_LIST = 6,     /* an array of maps (${items}) */
	NET_ROUTE_BIN = 7,      /* bytes; JSON: a Base64 string */
	NET_ROUTE_MAP = 8,      /* a nested map (${items}); JSON: an object */
	NET_ROUTE_STRLIST = 9,  /* an array of str */
	NET_ROUTE_BINLIST = 10, /* an array of bin; JSON: of Base64 strings */
	NET_ROUTE_UINTLIST = 11, /* an array of uint (responses) */
	NET_ROUTE_STRLISTLIST = 12, /* an array of arrays of str (responses) */
	NET_ROUTE_JSON = 13,     /* a str holding one JSON object's text
				  * (responses); JSON: that object */
	NET_ROUTE_JSONLIST = 14, /* an array of NET_ROUTE_JSON (responses) */
};

/* Where a request field comes from. */
enum net_route_src {
	NET_ROUTE_BODY = 0,  /* the JSON body, under its name */
	NET_ROUTE_PATH = 1,  /* the "{name}" segment of the path */
	NET_ROUTE_CONST = 2, /* the route's fixed ${value} */
};

/* Shapes a path parameter must have. */
enum net_route_id {
	NET_ROUTE_ANY = 0,
	NET_ROUTE_SIGNER_ID = 1,     /* "s-" + 16 lowercase hex */
	NET_ROUTE_CREDENTIAL_ID = 2, /* "c-" + 16 lowercase hex */
	NET_ROUTE_APPROVAL_ID = 3,   /* "a-" + 16 lowercase hex */
	NET_ROUTE_FINGERPRINT = 4,   /* 64 lowercase hex */
	NET_ROUTE_SEQ = 5,           /* 1-19 decimal digits, no leading 0 */
};

/*
 * One field of a request or response map. Requests: ${min}/${max} bound
 * a str's length in bytes, a uint's value, a bin's decoded length or the
 * number of items of a list (max 0: no bound beyond the type's), ${oneof}
 * (NULL or NULL-terminated) lists the only values a str may take. LIST
 * and MAP fields describe their items' (or their own) map with ${items}.
 * Responses: ${required} false means the key may be absent (the JSON
 * member is then omitted) or nil (JSON null; on CSC routes the member is
 * omitted too); ${max} bounds each text or bin (item).
 *
 * CSC dialect only: ${blank} makes "" count as absent; ${bad} is the
 * refusal text of a value that is present, of its type, but not allowed
 * (out of bounds, not in ${oneof}, bad Base64, a broken list item;
 * default "Invalid parameter <name>", for a uint "Invalid value for
 * parameter <name>"); ${few} and ${many} the texts of a list with fewer
 * than ${min} or more than ${max} items (default ${bad}).
 */
struct net_route_field {
	const char *name; /* JSON name; also the path "{name}" */
	uint64_t key;     /* msgpack key */
	enum net_route_type type;
	enum net_route_src src;
	bool required;
	uint64_t min, max;
	const char *const *oneof;
	enum net_route_id id; /* PATH fields */
	const char *value;    /* CONST fields */
	const struct net_route_field *items;
	size_t nitems;
	bool blank;
	const char *bad, *few, *many;
};

/* How the core's answer becomes the HTTP response. */
enum net_route_answer {
	NET_ROUTE_SCHEMA = 0, /* generic: the response schema */
	NET_ROUTE_HEALTH = 1, /* /healthz (front.c) */
	NET_ROUTE_READY = 2,  /* /readyz (front.c) */
	NET_ROUTE_STREAM = 3, /* a download in chunks (front.c); errors by
			       * the response schema */
	NET_ROUTE_CONSOLE = 4, /* an asset of the auditor console
				* (net/console.h): the core answers the
				* access check, the front the asset */
};

/* Route flags. */
#define NET_ROUTE_FORWARD_AUTH 1u /* forward the Authorization header */
#define NET_ROUTE_BASIC 2u        /* HTTP Basic: 401 gets WWW-Authenticate */
#define NET_ROUTE_CSC 4u          /* the CSC dialect (docs/csc-api.md) */
#define NET_ROUTE_NEED_BASIC 8u   /* Authorization must be "Basic <b64>" */
#define NET_ROUTE_NEED_BEARER 16u /* Authorization must be "Bearer <t>";
				   * 401 gets WWW-Authenticate: Bearer */
#define NET_ROUTE_QUERY 32u       /* the body fields come from the query
				   * string (docs/audit-api.md "Queries");
				   * no body */

struct net_route {
	enum net_http_method method;
	const char *pattern; /* "/admin/v1/credentials/{credential_id}"; a
			      * final "*" matches any rest of the path */
	unsigned listeners;  /* NET_ROUTE_SIGNING | NET_ROUTE_ADMIN */
	enum hk_ipc_type type;
	unsigned flags;
	enum net_route_answer answer;
	const struct net_route_field *req; /* ascending keys */
	size_t nreq;
	const struct net_route_field *resp; /* ascending keys */
	size_t nresp;
	int status; /* the success status; 0: any of 200, 201, 202 */
};

/** net_route_table(n): the front's routes (static, ${n} set to their
 * count). */
const struct net_route *net_route_table(size_t *n);

/**
 * net_route_match(path, len, method, listener, out, allow): find the
 * route for ${method} and the path ${path}[0..len) on the listener bit
 * ${listener}. Returns 0 with *${out} set; HK_ENOTFOUND when no pattern
 * served on that listener matches the path (404); or HK_ENOTSUP when some
 * do but not with ${method} (405), with ${allow} (NET_ROUTE_ALLOW_LEN
 * bytes) set to the methods that match, e.g. "GET, POST". Path parameters
 * are not checked here (net_route_request does). Any thread.
 */
HK_MUST_CHECK int net_route_match(const char *path, size_t len,
    enum net_http_method method, unsigned listener,
    const struct net_route **out, char allow[static NET_ROUTE_ALLOW_LEN]);

/**
 * net_route_not_found(path, len, listener, error, description): the code
 * and text of the 404 answer to the path ${path}[0..len) that no route on
 * the listener bit ${listener} matched: under /csc/v2/ on the signing
 * listener CSC's {"invalid_request", "Unknown method"}, elsewhere
 * {"not_found", "no such resource"}. Static strings. Any thread.
 */
void net_route_not_found(const char *path, size_t len, unsigned listener,
    const char **error, const char **description);

/* A refusal by the front before anything reaches the core. */
struct net_route_refusal {
	int status;
	const char *error;       /* static */
	const char *description; /* static */
	const char *challenge;   /* NULL or a "WWW-Authenticate: ...\r\n"
				  * field line */
};

/**
 * net_route_auth(rt, present, value, len, out): check the shape of the
 * Authorization header (${present}, value ${value}[0..len)) for route
 * ${rt} (docs/csc-api.md): with NET_ROUTE_NEED_BASIC it must be "Basic "
 * and standard padded Base64, else 401 invalid_request "Malformed
 * authentication parameter." (with the Basic challenge); with
 * NET_ROUTE_NEED_BEARER a missing header is 401 invalid_token "Missing
 * access token" (with "WWW-Authenticate: Bearer") and one that is not
 * "Bearer <b64token>" (RFC 6750) is 400 invalid_request "Malformed
 * authentication parameter.". The schemes are case-insensitive. Returns 0
 * (nothing to refuse) or HK_EAUTH with ${out} filled. Never copies or
 * quotes the value (a secret). Any thread.
 */
HK_MUST_CHECK int net_route_auth(const struct net_route *rt, bool present,
    const char *value, size_t len, struct net_route_refusal *out);

/**
 * net_route_challenge(rt): the WWW-Authenticate field line (with CRLF)
 * that a 401 answer of the core carries on route ${rt}: the Basic
 * challenge on NET_ROUTE_BASIC routes, 'Bearer error="invalid_token"' on
 * NET_ROUTE_NEED_BEARER routes, NULL otherwise. Static.
 */
const char *net_route_challenge(const struct net_route *rt);

/**
 * net_route_request(rt, path, len, body, blen, out, e): build the IPC
 * request body of route ${rt} for the path ${path}[0..len) (which
 * net_route_match matched) and the HTTP body ${body}[0..blen): a msgpack
 * map with the path parameters, constants and JSON fields under their
 * keys in ascending order, appended to ${out}. A route without body
 * fields accepts an empty body or "{}"; a CSC route takes an empty body
 * as "{}". Returns 0; HK_EINVAL with ${e} naming the first problem (a
 * path parameter of the wrong shape, a body that is not one strict JSON
 * object, a missing, mistyped, unknown (strict dialect), too long or too
 * short field, a value not allowed, bad Base64, a non-null userID (CSC));
 * HK_ETOOBIG (body over the JSON bounds, ${e} set); or HK_ENOMEM. ${out}
 * is unchanged on error. WARNING: ${out} then holds secrets (PIN,
 * password, code, OTP, SAD, token): release it with hk_buf_release, which
 * wipes. Any thread.
 */
HK_MUST_CHECK int net_route_request(const struct net_route *rt,
    const char *path, size_t len, const uint8_t *body, size_t blen,
    struct hk_buf *out, struct net_json_error *e);

/**
 * net_route_request_query(rt, path, len, query, qlen, body, blen, out, e):
 * net_route_request with the target's query ${query}[0..qlen) (NULL: the
 * target had no "?"). A route without NET_ROUTE_QUERY refuses any query
 * ("this resource takes no query"). A NET_ROUTE_QUERY route takes no body
 * and reads its body fields from the query instead, strictly
 * (docs/audit-api.md "Queries"): "&"-separated name=value pairs, "+" a
 * space and "%XX" a byte; a pair without "=", an empty pair or name, a
 * bad escape, a NUL, an unknown or duplicate name, or a uint field that is
 * not 1 to 19 ASCII digits is HK_EINVAL with ${e} set (never quoting the
 * client's text); then exactly as JSON fields: bounds, required fields,
 * UTF-8. Any thread.
 */
HK_MUST_CHECK int net_route_request_query(const struct net_route *rt,
    const char *path, size_t len, const char *query, size_t qlen,
    const uint8_t *body, size_t blen, struct hk_buf *out,
    struct net_json_error *e);

/**
 * net_route_response(rt, status, body, out, why): translate the core's
 * answer (HTTP ${status}, msgpack map ${body}) to route ${rt} into JSON
 * text appended to ${out}: a success answer (the route's status, or for
 * a route without one 200, 201 or 202) must match the response schema
 * exactly (every key known and of its type, every required key present;
 * bin becomes standard padded Base64); a 204 appends nothing (no body).
 * An error answer must be {1: error, 2: error_description} with the error
 * code the contract pairs with the status and becomes {"error",
 * "error_description"}: on the admin and signer routes 400
 * invalid_request, 401 unauthorized, 403 forbidden, 404 not_found, 409
 * conflict, 410 gone, 423 locked, 500 internal_error, 503 unavailable; on
 * CSC routes 400 invalid_request, invalid_authentication_data or
 * authentication_error, 401 invalid_token, 503 temporarily_unavailable.
 * Returns 0, or
 * HK_EPROTO with ${why} a static text saying what was wrong (the caller
 * answers 502; values are never quoted), or HK_ENOMEM. Any thread.
 */
HK_MUST_CHECK int net_route_response(const struct net_route *rt,
    uint64_t status, struct hk_bytes body, struct hk_buf *out,
    const char **why);

/**
 * net_route_json_wipe(): make jansson wipe every block it frees (its
 * trees hold PINs, passwords and codes from request bodies). WARNING:
 * process-wide (json_set_alloc_funcs); call it before the process makes
 * any jansson value, and never while one is alive. Idempotent.
 */
void net_route_json_wipe(void);

#endif
