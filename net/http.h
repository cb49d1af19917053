/* SPDX-License-Identifier: Apache-2.0 */
/*
 * http: strict HTTP/1.1 request framing (RFC 9112) and response writing for
 * the network front (NET-1, ACT-5). The parser is our own, not a copied
 * one (docs/http-parser.md says why). It reads the bytes received so far
 * on one connection and either finds one complete request (head and body),
 * asks for more bytes, or refuses the request with the HTTP status to
 * answer. It is stateless: every call re-parses from the start of the
 * request, so a caller simply calls again when more bytes arrive, and the
 * bytes after a complete request (pipelining) stay in the caller's buffer
 * for the next call. Everything ambiguous is refused rather than guessed
 * (obs-fold, bare CR or LF, both Content-Length and Transfer-Encoding,
 * duplicate Content-Length, transfer codings other than "chunked"), since
 * two parties framing the same bytes differently is how requests get
 * smuggled past a front end.
 */
#ifndef HK_NET_HTTP_H
#define HK_NET_HTTP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/buf.h"
#include "core/err.h"

/* Default limits (NET-1): head 16 KiB, 64 header fields, body 1 MiB. */
#define NET_HTTP_MAX_HEAD 16384
#define NET_HTTP_MAX_HEADERS 64
#define NET_HTTP_MAX_BODY 1048576
/* Fixed bounds on chunked framing, so that re-parsing a chunked body from
 * the start on every arrival stays linear in practice: a chunk-size line
 * (size, extensions and CRLF) is at most NET_HTTP_CHUNK_LINE_MAX bytes (400
 * beyond), and a body has at most NET_HTTP_MAX_CHUNKS chunks (413 beyond). */
#define NET_HTTP_CHUNK_LINE_MAX 256
#define NET_HTTP_MAX_CHUNKS 4096

/*
 * Limits applied by net_http_parse(). max_head bounds the request line,
 * the header fields and the blank line that ends them (431 beyond);
 * max_headers bounds the number of header field lines (431 beyond) and,
 * separately, of trailer field lines; max_body bounds the body after
 * de-chunking (413 beyond).
 */
struct net_http_limits {
	size_t max_head;
	size_t max_headers;
	size_t max_body;
};

#define NET_HTTP_LIMITS_DEFAULT \
	{NET_HTTP_MAX_HEAD, NET_HTTP_MAX_HEADERS, NET_HTTP_MAX_BODY}

/* Methods the appliance implements; any other method token gets 501. */
enum net_http_method {
	NET_HTTP_GET = 1,
	NET_HTTP_HEAD = 2,
	NET_HTTP_POST = 3,
	NET_HTTP_PUT = 4,
	NET_HTTP_DELETE = 5,
	NET_HTTP_OPTIONS = 6,
};

/* Borrowed text: ${len} bytes at ${p}, not NUL-terminated. ${p} is NULL
 * when the item is absent (e.g. no query). */
struct net_http_str {
	const char *p;
	size_t len;
};

/* One parsed request; opaque. Reused across the requests of a connection. */
struct net_http_request;

/** net_http_request_new(): an empty request; NULL on ENOMEM. */
struct net_http_request *net_http_request_new(void);

/** net_http_request_free(req): free ${req} and its de-chunked body (wiped);
 * accepts NULL. */
void net_http_request_free(struct net_http_request *req);

/**
 * net_http_parse(lim, buf, len, req, consumed, status): parse the request
 * at the start of ${buf}[0..len), the bytes received so far on one
 * connection, under ${lim} (NULL: NET_HTTP_LIMITS_DEFAULT). Returns:
 *  - 0: ${req} holds one complete request and ${consumed} its length in
 *    bytes (head and framed body); bytes after it belong to the next
 *    request.
 *  - HK_EAGAIN: no decision yet; call again with the same bytes plus more.
 *    When the head is already complete, net_http_request_head_done() is
 *    true and the head accessors work (to switch from a header timeout to
 *    a body timeout, or to answer "Expect: 100-continue").
 *  - HK_EPROTO (status 400, 501 or 505) or HK_ETOOBIG (413 or 431): the
 *    request is refused; answer with ${status} and close the connection,
 *    since the framing of anything after it is unknown.
 *  - HK_ENOMEM (status 500).
 * ${status} is set to 0 unless an error is returned. Only bytes that are
 * present decide: when a call returns anything but HK_EAGAIN, every longer
 * ${buf} with the same prefix gives the same answer (the fuzz harness
 * checks this).
 * Borrowed: the method, target, header and (unless chunked) body pointers
 * point into ${buf}, valid while ${buf} is unchanged and until the next
 * parse or free of ${req}. Loop context; not thread-safe per ${req}.
 */
HK_MUST_CHECK int net_http_parse(const struct net_http_limits *lim,
    const uint8_t *buf, size_t len, struct net_http_request *req,
    size_t *consumed, int *status);

/** net_http_request_head_done(req): true once the last parse saw a complete
 * and valid head (after 0, and after HK_EAGAIN while a body is pending). */
bool net_http_request_head_done(const struct net_http_request *req);

/** net_http_request_head_len(req): the length in bytes of that head. */
size_t net_http_request_head_len(const struct net_http_request *req);

/** net_http_request_method(req): the method of the parsed head. */
enum net_http_method net_http_request_method(
    const struct net_http_request *req);

/** net_http_method_name(m): "GET" etc.; a static string, never NULL. */
const char *net_http_method_name(enum net_http_method m);

/** net_http_request_path(req): the path of the request target (origin
 * form, starting with "/", or "*" for "OPTIONS *"), percent-encoding left
 * as received; borrowed (see net_http_parse). */
struct net_http_str net_http_request_path(const struct net_http_request *req);

/** net_http_request_query(req): the query after "?" (possibly empty), or
 * {NULL, 0} when the target has no "?"; borrowed. */
struct net_http_str net_http_request_query(
    const struct net_http_request *req);

/** net_http_request_minor(req): 0 for HTTP/1.0, 1 for HTTP/1.1. */
int net_http_request_minor(const struct net_http_request *req);

/** net_http_request_keep_alive(req): true when the connection may carry
 * another request: HTTP/1.1 unless "Connection: close"; HTTP/1.0 only with
 * "Connection: keep-alive" (and no "close"). */
bool net_http_request_keep_alive(const struct net_http_request *req);

/**
 * net_http_request_header(req, name, value): look up the field ${name}
 * (case-insensitive) and borrow its value, without leading and trailing
 * whitespace. Returns 0 when exactly one field line has that name,
 * HK_ENOTFOUND when none does, and HK_EEXIST when several do (${value}
 * then holds the first). WARNING: a field that must appear once (say
 * Authorization) must be refused on HK_EEXIST, never resolved by picking
 * one, or two components may act on different values.
 */
HK_MUST_CHECK int net_http_request_header(const struct net_http_request *req,
    const char *name, struct net_http_str *value);

/** net_http_request_header_count(req): the number of header field lines. */
size_t net_http_request_header_count(const struct net_http_request *req);

/** net_http_request_header_at(req, i, name, value): borrow field line ${i}
 * (0-based, in arrival order; ${i} below the count, else abort). */
void net_http_request_header_at(const struct net_http_request *req, size_t i,
    struct net_http_str *name, struct net_http_str *value);

/** net_http_request_chunked(req): true when the body was chunked. */
bool net_http_request_chunked(const struct net_http_request *req);

/** net_http_request_body(req, len): the body (${len} bytes; a non-NULL
 * pointer even when empty). Borrowed from ${buf} when framed by
 * Content-Length, from ${req} when de-chunked; see net_http_parse. */
const uint8_t *net_http_request_body(const struct net_http_request *req,
    size_t *len);

/** net_http_status_reason(status): the reason phrase of ${status} ("Not
 * Found"), or NULL for a status this module does not know. */
const char *net_http_status_reason(int status);

/**
 * net_http_response(out, status, content_type, body, len, keep_alive,
 * extra_headers): append to ${out} an HTTP/1.1 response: status line with
 * its reason phrase, Date, Content-Type (when ${content_type} is not NULL),
 * Content-Length: ${len} (not for 1xx, 204 and 304), "Connection:
 * keep-alive" or "close", then ${extra_headers} (NULL, or complete field
 * lines each ending in CRLF, without Date, Content-Length, Connection or
 * Transfer-Encoding), the blank line and ${body}. An interim (1xx)
 * response is the status line and blank line alone. WARNING: ${body} NULL
 * with ${len} > 0 announces ${len} bytes but writes none: the answer to a
 * HEAD request. Returns 0, HK_EINVAL (unknown status; a content type or
 * extra field that is not a valid field line, which would allow response
 * splitting; a body with 1xx/204/304) or HK_ENOMEM; ${out} is unchanged on
 * error.
 */
HK_MUST_CHECK int net_http_response(struct hk_buf *out, int status,
    const char *content_type, const uint8_t *body, size_t len,
    int keep_alive, const char *extra_headers);

/** net_http_error_body(out, error, description): append the JSON object
 * {"error": ${error}, "error_description": ${description}} (jansson; text
 * is escaped, never pasted). 0, HK_EINVAL (text not UTF-8) or HK_ENOMEM. */
HK_MUST_CHECK int net_http_error_body(struct hk_buf *out, const char *error,
    const char *description);

/** net_http_status_error(status): the JSON "error" code for a status the
 * front answers by itself ("invalid_request" for 400, "payload_too_large"
 * for 413, ...); a static string, never NULL. */
const char *net_http_status_error(int status);

/** net_http_error_response(out, status, description, keep_alive): append a
 * complete response with status ${status} and the JSON error body
 * {"error": net_http_status_error(status), "error_description":
 * ${description}}. 0, HK_EINVAL or HK_ENOMEM; ${out} unchanged on error. */
HK_MUST_CHECK int net_http_error_response(struct hk_buf *out, int status,
    const char *description, int keep_alive);

#endif
