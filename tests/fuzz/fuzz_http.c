/* SPDX-License-Identifier: Apache-2.0 */
/*
 * libFuzzer harness for net/http (style item 30; NET-1): net_http_parse on
 * arbitrary bytes under the default limits and under small ones (so that
 * the 413/431 paths are reachable with short inputs), following pipelined
 * requests. Checked, besides "never crashes":
 *  - the contract invariants of an accepted request (bounds, pointers
 *    inside the buffer, limits respected) and of a refusal (a status in
 *    {400, 413, 431, 501, 505} matching the error class);
 *  - incremental equals one-shot: the same bytes cut at a point derived
 *    from the input give "need more", or exactly the one-shot answer
 *    (same status, same length, same path and body);
 *  - the JSON error body for arbitrary text is valid JSON that decodes
 *    back to that text, or is refused as non-UTF-8.
 * Any violation aborts, which libFuzzer reports as a crash.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "net/http.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(x) \
	do { \
		if (!(x)) \
			abort(); \
	} while (0)

static struct net_http_request *req, *req2;

/* cut(p, n): a cut point in [0, n] derived from the bytes (FNV-1a), so a
 * crash input reproduces the same cut. */
static size_t
cut(const uint8_t *p, size_t n)
{
	uint64_t h = 1469598103934665603ULL;
	size_t i;

	for (i = 0; i < n; i++)
		h = (h ^ p[i]) * 1099511628211ULL;
	return (size_t)(h % (n + 1));
}

static bool
inside(const void *q, size_t qn, const uint8_t *p, size_t n)
{
	const uint8_t *b = q;

	return b >= p && qn <= n && b - p <= (ptrdiff_t)(n - qn);
}

static void
check_accepted(const struct net_http_limits *lim, const uint8_t *p,
    size_t n, size_t consumed)
{
	struct net_http_str path = net_http_request_path(req);
	struct net_http_str query = net_http_request_query(req);
	struct net_http_str name, value;
	const uint8_t *body;
	size_t blen, i;

	CHECK(consumed > 0 && consumed <= n);
	CHECK(net_http_request_head_done(req));
	CHECK(net_http_request_head_len(req) <= lim->max_head);
	CHECK(net_http_request_head_len(req) <= consumed);
	CHECK(net_http_request_header_count(req) <= lim->max_headers);
	CHECK(net_http_request_minor(req) == 0 ||
	    net_http_request_minor(req) == 1);
	CHECK(path.len > 0 && inside(path.p, path.len, p, consumed));
	CHECK(path.p[0] == '/' || (path.p[0] == '*' && path.len == 1));
	CHECK(query.p == NULL || inside(query.p, query.len, p, consumed));
	(void)net_http_method_name(net_http_request_method(req));
	for (i = 0; i < net_http_request_header_count(req); i++) {
		net_http_request_header_at(req, i, &name, &value);
		CHECK(name.len > 0 && inside(name.p, name.len, p, consumed));
		CHECK(value.len == 0 ||
		    inside(value.p, value.len, p, consumed));
		CHECK(memchr(value.p, '\r', value.len) == NULL);
		CHECK(memchr(value.p, '\n', value.len) == NULL);
	}
	body = net_http_request_body(req, &blen);
	CHECK(body != NULL && blen <= lim->max_body);
	if (!net_http_request_chunked(req))
		CHECK(body == p + net_http_request_head_len(req) &&
		    net_http_request_head_len(req) + blen == consumed);
}

static void
check_pipeline(const struct net_http_limits *lim, const uint8_t *p,
    size_t n)
{
	struct net_http_str a, b;
	const uint8_t *b1, *b2;
	size_t off = 0, consumed, consumed2, k, l1, l2;
	int r, r2, status, status2, round;

	for (round = 0; round < 8 && off < n; round++) {
		r = net_http_parse(lim, p + off, n - off, req, &consumed,
		    &status);
		if (r == 0) {
			CHECK(status == 0);
			check_accepted(lim, p + off, n - off, consumed);
		} else if (r == HK_EAGAIN) {
			CHECK(status == 0);
		} else if (r == HK_EPROTO) {
			CHECK(status == 400 || status == 501 || status == 505);
		} else {
			CHECK(r == HK_ETOOBIG);
			CHECK(status == 413 || status == 431);
		}

		k = cut(p + off, n - off);
		r2 = net_http_parse(lim, p + off, k, req2, &consumed2,
		    &status2);
		if (r2 != HK_EAGAIN) {
			CHECK(r2 == r && status2 == status);
			if (r == 0) {
				CHECK(consumed2 == consumed);
				a = net_http_request_path(req);
				b = net_http_request_path(req2);
				CHECK(a.p == b.p && a.len == b.len);
				b1 = net_http_request_body(req, &l1);
				b2 = net_http_request_body(req2, &l2);
				CHECK(l1 == l2 && memcmp(b1, b2, l1) == 0);
			}
		}
		if (r != 0)
			break;
		off += consumed;
	}
}

static void
check_error_body(const uint8_t *p, size_t n)
{
	struct hk_buf out = HK_BUF_INIT;
	char text[257];
	json_t *j;
	int r;

	if (n > sizeof(text) - 1)
		n = sizeof(text) - 1;
	memcpy(text, p, n);
	text[n] = '\0';
	r = net_http_error_body(&out, "invalid_request", text);
	if (r == HK_EINVAL)
		return;
	CHECK(r == 0);
	j = json_loadb((const char *)out.p, out.len, JSON_REJECT_DUPLICATES,
	    NULL);
	CHECK(j != NULL);
	CHECK(strcmp(json_string_value(json_object_get(j,
	    "error_description")), text) == 0);
	json_decref(j);
	hk_buf_release(&out);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const struct net_http_limits defaults = NET_HTTP_LIMITS_DEFAULT;
	static const struct net_http_limits small = {256, 8, 64};

	if (req == NULL) {
		req = net_http_request_new();
		req2 = net_http_request_new();
		CHECK(req != NULL && req2 != NULL);
	}
	check_pipeline(&defaults, data, size);
	check_pipeline(&small, data, size);
	check_error_body(data, size);
	return 0;
}
