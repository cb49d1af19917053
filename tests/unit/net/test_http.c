/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Unit tests for net/http: strict HTTP/1.1 request framing and response
 * writing (NET-1, ACT-5). Every framing rule has accepted and refused
 * cases with the status the front must answer; every case is also
 * delivered one byte at a time, which must end in the same answer, with
 * no final answer before the deciding byte.
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

#include "net/http.h"

#define H11 " HTTP/1.1\r\nHost: example.test\r\n"
#define NUL_TARGET "GET /\0" H11 "\r\n"
#define NUL_VALUE "GET /" H11 "X: a\0z\r\n\r\n"

struct http_case {
	const char *name;
	const char *text;
	size_t len;     /* 0: strlen(text) */
	int status;     /* 0: accepted; else the refusal status */
	size_t body_len; /* when accepted */
};

static const struct net_http_limits small = {512, 8, 100};

/* check_case(lim, c): one-shot parse gives the expected answer, and so
 * does delivery byte by byte (every shorter prefix is "need more" or
 * already the same final answer). */
static void
check_case(const struct net_http_limits *lim, const struct http_case *c)
{
	struct net_http_request *req = net_http_request_new();
	size_t n = c->len ? c->len : strlen(c->text), k, consumed = 0, blen;
	const uint8_t *p = (const uint8_t *)c->text;
	int r, status, want_r;
	bool decided = false;

	assert_non_null(req);
	want_r = c->status == 0 ? 0 :
	    (c->status == 413 || c->status == 431) ? HK_ETOOBIG : HK_EPROTO;
	r = net_http_parse(lim, p, n, req, &consumed, &status);
	if (r != want_r || status != c->status)
		fail_msg("%s: got r=%d status=%d, want r=%d status=%d", c->name,
		    r, status, want_r, c->status);
	if (c->status == 0) {
		assert_int_equal(consumed, n);
		(void)net_http_request_body(req, &blen);
		if (blen != c->body_len)
			fail_msg("%s: body %zu, want %zu", c->name, blen,
			    c->body_len);
	}
	for (k = 0; k < n; k++) {
		r = net_http_parse(lim, p, k, req, &consumed, &status);
		if (r == HK_EAGAIN) {
			if (decided)
				fail_msg("%s: undecided again at %zu", c->name,
				    k);
			continue;
		}
		decided = true;
		if (r != want_r || status != c->status ||
		    (r == 0 && consumed != n))
			fail_msg("%s: prefix %zu gave r=%d status=%d", c->name,
			    k, r, status);
	}
	net_http_request_free(req);
}

static void
run_cases(const struct net_http_limits *lim, const struct http_case *cases,
    size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		check_case(lim, &cases[i]);
}

#define RUN(lim, cases) run_cases(lim, cases, sizeof(cases) / sizeof(cases[0]))

static void
test_NET1_request_line(void **state)
{
	static const struct http_case cases[] = {
		{"origin form", "GET /a/b?x=1" H11 "\r\n", 0, 0, 0},
		{"percent encoding", "GET /a%2Fb%c3%A9" H11 "\r\n", 0, 0, 0},
		{"OPTIONS *", "OPTIONS *" H11 "\r\n", 0, 0, 0},
		{"leading empty lines", "\r\n\r\nGET /" H11 "\r\n", 0, 0, 0},
		{"double space", "GET  /" H11 "\r\n", 0, 400, 0},
		{"space before CRLF", "GET / HTTP/1.1 \r\nHost: h\r\n\r\n", 0,
		    400, 0},
		{"no version", "GET /\r\nHost: h\r\n\r\n", 0, 400, 0},
		{"bad method char", "G(T /" H11 "\r\n", 0, 400, 0},
		{"empty method", " /" H11 "\r\n", 0, 400, 0},
		{"absolute form", "GET http://h/" H11 "\r\n", 0, 400, 0},
		{"authority form", "CONNECT h:443" H11 "\r\n", 0, 501, 0},
		{"space in target", "GET /a b" H11 "\r\n", 0, 400, 0},
		{"bad percent", "GET /%zz" H11 "\r\n", 0, 400, 0},
		{"short percent", "GET /%2" H11 "\r\n", 0, 400, 0},
		{"fragment", "GET /a#f" H11 "\r\n", 0, 400, 0},
		{"DEL in target", "GET /\x7f" H11 "\r\n", 0, 400, 0},
		{"8-bit target", "GET /\xc3\xa9" H11 "\r\n", 0, 400, 0},
		{"star not OPTIONS", "GET *" H11 "\r\n", 0, 400, 0},
		{"star with more", "OPTIONS *x" H11 "\r\n", 0, 400, 0},
		{"bare LF before request line", "\nGET /" H11 "\r\n", 0, 400,
		    0},
		{"bare CR before request line", "\r\rGET /" H11 "\r\n", 0, 400,
		    0},
		{"bare LF after request line",
		    "GET / HTTP/1.1\nHost: h\r\n\r\n", 0, 400, 0},
		{"bare CR after request line",
		    "GET / HTTP/1.1\rHost: h\r\n\r\n", 0, 400, 0},
		{"NUL in target", NUL_TARGET, sizeof(NUL_TARGET) - 1, 400, 0},
	};

	(void)state;
	RUN(NULL, cases);
}

static void
test_NET1_methods_and_501(void **state)
{
	static const struct http_case cases[] = {
		{"GET", "GET /" H11 "\r\n", 0, 0, 0},
		{"HEAD", "HEAD /" H11 "\r\n", 0, 0, 0},
		{"POST", "POST /" H11 "Content-Length: 0\r\n\r\n", 0, 0, 0},
		{"PUT", "PUT /" H11 "\r\n", 0, 0, 0},
		{"DELETE", "DELETE /" H11 "\r\n", 0, 0, 0},
		{"OPTIONS", "OPTIONS /" H11 "\r\n", 0, 0, 0},
		{"PATCH", "PATCH /" H11 "\r\n", 0, 501, 0},
		{"TRACE", "TRACE /" H11 "\r\n", 0, 501, 0},
		{"lowercase get", "get /" H11 "\r\n", 0, 501, 0},
	};

	(void)state;
	RUN(NULL, cases);
}

static void
test_NET1_version_and_505(void **state)
{
	static const struct http_case cases[] = {
		{"1.1", "GET / HTTP/1.1\r\nHost: h\r\n\r\n", 0, 0, 0},
		{"1.0 without Host", "GET / HTTP/1.0\r\n\r\n", 0, 0, 0},
		{"2.0", "GET / HTTP/2.0\r\nHost: h\r\n\r\n", 0, 505, 0},
		{"1.2", "GET / HTTP/1.2\r\nHost: h\r\n\r\n", 0, 505, 0},
		{"0.9", "GET / HTTP/0.9\r\n\r\n", 0, 505, 0},
		{"1.10", "GET / HTTP/1.10\r\nHost: h\r\n\r\n", 0, 400, 0},
		{"lowercase", "GET / http/1.1\r\nHost: h\r\n\r\n", 0, 400, 0},
		{"HTTPS", "GET / HTTPS/1.1\r\nHost: h\r\n\r\n", 0, 400, 0},
		{"no minor", "GET / HTTP/1\r\nHost: h\r\n\r\n", 0, 400, 0},
		{"letter major", "GET / HTTP/x.1\r\nHost: h\r\n\r\n", 0, 400,
		    0},
		{"letter minor", "GET / HTTP/1.x\r\nHost: h\r\n\r\n", 0, 400,
		    0},
	};

	(void)state;
	RUN(NULL, cases);
}

static void
test_NET1_field_syntax(void **state)
{
	static const struct http_case cases[] = {
		{"token name", "GET /" H11 "X-Ok_1!#$%&'*+.^`|~: v\r\n\r\n", 0,
		    0, 0},
		{"tabs and obs-text in value", "GET /" H11
		    "X: \t a\tb\x80 \t\r\n\r\n", 0, 0, 0},
		{"empty value", "GET /" H11 "X:\r\n\r\n", 0, 0, 0},
		{"space in name", "GET /" H11 "Bad Name: v\r\n\r\n", 0, 400, 0},
		{"bad name char", "GET /" H11 "Bad(: v\r\n\r\n", 0, 400, 0},
		{"empty name", "GET /" H11 ": v\r\n\r\n", 0, 400, 0},
		{"space before colon", "GET /" H11 "X : v\r\n\r\n", 0, 400, 0},
		{"no colon", "GET /" H11 "NoColon\r\n\r\n", 0, 400, 0},
		{"control char", "GET /" H11 "X: a\x01z\r\n\r\n", 0, 400, 0},
		{"DEL", "GET /" H11 "X: a\x7fz\r\n\r\n", 0, 400, 0},
		{"NUL", NUL_VALUE, sizeof(NUL_VALUE) - 1, 400, 0},
		{"obs-fold", "GET /" H11 "X: a\r\n b\r\n\r\n", 0, 400, 0},
		{"obs-fold tab", "GET /" H11 "X: a\r\n\tb\r\n\r\n", 0, 400, 0},
		{"whitespace before first field",
		    "GET / HTTP/1.1\r\n Host: h\r\n\r\n", 0, 400, 0},
		{"bare CR in value", "GET /" H11 "X: a\rb\r\n\r\n", 0, 400, 0},
		{"bare LF ends field", "GET /" H11 "X: a\nY: b\r\n\r\n", 0, 400,
		    0},
		{"bare LF ends head", "GET /" H11 "X: a\r\n\n", 0, 400, 0},
		{"CR without LF ends head", "GET /" H11 "\rX", 0, 400, 0},
	};

	(void)state;
	RUN(NULL, cases);
}

static void
test_NET1_host_rules(void **state)
{
	static const struct http_case cases[] = {
		{"host and port", "GET / HTTP/1.1\r\nHost: h.test:8443\r\n\r\n",
		    0, 0, 0},
		{"IPv6 literal", "GET / HTTP/1.1\r\nHost: [::1]:443\r\n\r\n", 0,
		    0, 0},
		{"missing in 1.1", "GET / HTTP/1.1\r\nX: y\r\n\r\n", 0, 400, 0},
		{"two Hosts", "GET /" H11 "host: other\r\n\r\n", 0, 400, 0},
		{"two Hosts in 1.0",
		    "GET / HTTP/1.0\r\nHost: a\r\nHost: b\r\n\r\n", 0, 400, 0},
		{"bad Host char", "GET / HTTP/1.1\r\nHost: a/b\r\n\r\n", 0, 400,
		    0},
		{"space in Host", "GET / HTTP/1.1\r\nHost: a b\r\n\r\n", 0, 400,
		    0},
	};

	(void)state;
	RUN(NULL, cases);
}

static void
test_NET1_content_length_rules(void **state)
{
	static const struct http_case cases[] = {
		{"body", "POST /" H11 "Content-Length: 5\r\n\r\nhello", 0, 0,
		    5},
		{"leading zeros", "POST /" H11
		    "Content-Length: 005\r\n\r\nhello", 0, 0, 5},
		{"zero", "POST /" H11 "Content-Length: 0\r\n\r\n", 0, 0, 0},
		{"no body fields", "POST /" H11 "\r\n", 0, 0, 0},
		{"duplicate, same value", "POST /" H11
		    "Content-Length: 5\r\nContent-Length: 5\r\n\r\nhello", 0,
		    400, 0},
		{"list", "POST /" H11 "Content-Length: 5, 5\r\n\r\nhello", 0,
		    400, 0},
		{"non-numeric", "POST /" H11 "Content-Length: 5a\r\n\r\nhello",
		    0, 400, 0},
		{"plus sign", "POST /" H11 "Content-Length: +5\r\n\r\nhello", 0,
		    400, 0},
		{"negative", "POST /" H11 "Content-Length: -1\r\n\r\n", 0, 400,
		    0},
		{"hex", "POST /" H11 "Content-Length: 0x5\r\n\r\nhello", 0, 400,
		    0},
		{"empty", "POST /" H11 "Content-Length:\r\n\r\n", 0, 400, 0},
		{"huge", "POST /" H11
		    "Content-Length: 99999999999999999999999999\r\n\r\n", 0,
		    413, 0},
		{"both framings", "POST /" H11
		    "Content-Length: 5\r\nTransfer-Encoding: "
		    "chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n", 0, 400, 0},
		{"both framings, CL last", "POST /" H11
		    "Transfer-Encoding: chunked\r\nContent-Length: "
		    "5\r\n\r\n5\r\nhello\r\n0\r\n\r\n", 0, 400, 0},
	};

	(void)state;
	RUN(NULL, cases);
}

static void
test_NET1_transfer_encoding_rules(void **state)
{
#define CH "5\r\nhello\r\n0\r\n\r\n"
	static const struct http_case cases[] = {
		{"chunked", "POST /" H11 "Transfer-Encoding: chunked\r\n\r\n"
		    CH, 0, 0, 5},
		{"Chunked", "POST /" H11 "Transfer-Encoding: Chunked\r\n\r\n"
		    CH, 0, 0, 5},
		{"gzip alone", "POST /" H11 "Transfer-Encoding: gzip\r\n\r\n"
		    CH, 0, 400, 0},
		{"identity", "POST /" H11 "Transfer-Encoding: identity\r\n\r\n"
		    CH, 0, 400, 0},
		{"gzip, chunked (unsupported coding)", "POST /" H11
		    "Transfer-Encoding: gzip, chunked\r\n\r\n" CH, 0, 501, 0},
		{"gzip then chunked on two lines", "POST /" H11
		    "Transfer-Encoding: gzip\r\nTransfer-Encoding: "
		    "chunked\r\n\r\n" CH, 0, 501, 0},
		{"chunked, gzip", "POST /" H11
		    "Transfer-Encoding: chunked, gzip\r\n\r\n" CH, 0, 400, 0},
		{"chunked twice", "POST /" H11
		    "Transfer-Encoding: chunked, chunked\r\n\r\n" CH, 0, 400,
		    0},
		{"chunked on two lines", "POST /" H11
		    "Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked"
		    "\r\n\r\n" CH, 0, 400, 0},
		{"parameter", "POST /" H11
		    "Transfer-Encoding: chunked;q=1\r\n\r\n" CH, 0, 400, 0},
		{"junk", "POST /" H11 "Transfer-Encoding: \"chunked\"\r\n\r\n"
		    CH, 0, 400, 0},
		{"empty", "POST /" H11 "Transfer-Encoding:\r\n\r\n" CH, 0, 400,
		    0},
		{"in HTTP/1.0", "POST / HTTP/1.0\r\nTransfer-Encoding: "
		    "chunked\r\n\r\n" CH, 0, 400, 0},
	};
#undef CH

	(void)state;
	RUN(NULL, cases);
}

static void
test_NET1_chunk_syntax(void **state)
{
#define TE "POST /" H11 "Transfer-Encoding: chunked\r\n\r\n"
	static const struct http_case cases[] = {
		{"two chunks", TE "5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n", 0,
		    0, 11},
		{"hex sizes and zeros", TE "00A\r\n0123456789\r\n000\r\n\r\n",
		    0, 0, 10},
		{"empty body", TE "0\r\n\r\n", 0, 0, 0},
		{"extensions", TE
		    "5;a=b ; c = \"q\\\"x\" ;d\r\nhello\r\n0;z\r\n\r\n", 0, 0,
		    5},
		{"trailers", TE "5\r\nhello\r\n0\r\nX-T: v\r\nY: w\r\n\r\n", 0,
		    0, 5},
		{"not hex", TE "x\r\nhello\r\n0\r\n\r\n", 0, 400, 0},
		{"negative", TE "-5\r\nhello\r\n0\r\n\r\n", 0, 400, 0},
		{"0x prefix", TE "0x5\r\nhello\r\n0\r\n\r\n", 0, 400, 0},
		{"space after size", TE "5 \r\nhello\r\n0\r\n\r\n", 0, 400, 0},
		{"extension without name", TE "5;\r\nhello\r\n0\r\n\r\n", 0,
		    400, 0},
		{"extension bad value", TE "5;a=\r\nhello\r\n0\r\n\r\n", 0, 400,
		    0},
		{"control in quoted pair", TE
		    "5;a=\"\\\x01\"\r\nhello\r\n0\r\n\r\n", 0, 400, 0},
		{"unterminated quote", TE "5;a=\"x\r\nhello\r\n0\r\n\r\n", 0,
		    400, 0},
		{"bare LF after size", TE "5\nhello\r\n0\r\n\r\n", 0, 400, 0},
		{"bare CR after size", TE "5\rhello\r\n0\r\n\r\n", 0, 400, 0},
		{"data longer than size", TE "5\r\nhelloX\r\n0\r\n\r\n", 0, 400,
		    0},
		{"data CR without LF", TE "5\r\nhello\rX0\r\n\r\n", 0, 400, 0},
		{"CR without LF after last chunk", TE "5\r\nhello\r\n0\r\n\rX",
		    0, 400, 0},
		{"last chunk without CRLF", TE "5\r\nhello\r\n0X\r\n\r\n", 0,
		    400, 0},
		{"bad trailer", TE "5\r\nhello\r\n0\r\nX T: v\r\n\r\n", 0, 400,
		    0},
		{"trailer obs-fold", TE "5\r\nhello\r\n0\r\nX: v\r\n w\r\n\r\n",
		    0, 400, 0},
	};
#undef TE
	struct hk_buf b = HK_BUF_INIT;
	struct http_case c;
	size_t i, start;

	(void)state;
	RUN(NULL, cases);

	/* A chunk-size line longer than NET_HTTP_CHUNK_LINE_MAX is refused;
	 * one at the bound is accepted. */
	for (i = 0; i < 2; i++) {
		hk_buf_reset(&b);
		assert_int_equal(hk_buf_puts(&b, "POST /" H11
		    "Transfer-Encoding: chunked\r\n\r\n"), 0);
		start = b.len;
		assert_int_equal(hk_buf_puts(&b, "1;"), 0);
		/* The line with its CRLF: LINE_MAX bytes, then one more. */
		while (b.len - start < NET_HTTP_CHUNK_LINE_MAX - 2 + i)
			assert_int_equal(hk_buf_putc(&b, 'e'), 0);
		assert_int_equal(hk_buf_puts(&b, "\r\nx\r\n0\r\n\r\n"), 0);
		c = (struct http_case){i ? "chunk line over" : "chunk line at",
		    (const char *)b.p, b.len, i ? 400 : 0, 1};
		check_case(NULL, &c);
	}
	hk_buf_release(&b);
}

/* build(b, n, fmt...): a request whose head is padded to exactly ${n}
 * bytes with an X-Pad field. */
static void
padded_head(struct hk_buf *b, size_t n, const char *tail)
{
	static const char pre[] = "GET /" H11 "X-Pad: ";
	size_t fixed = strlen(pre) + 2 + 2;

	hk_buf_reset(b);
	assert_true(n > fixed);
	assert_int_equal(hk_buf_puts(b, pre), 0);
	while (b->len < n - 4)
		assert_int_equal(hk_buf_putc(b, 'p'), 0);
	assert_int_equal(hk_buf_puts(b, "\r\n\r\n"), 0);
	assert_int_equal(b->len, n);
	assert_int_equal(hk_buf_puts(b, tail), 0);
}

static void
test_NET1_head_limit_431(void **state)
{
	struct net_http_limits lim = NET_HTTP_LIMITS_DEFAULT;
	struct hk_buf b = HK_BUF_INIT;
	struct http_case c;

	(void)state;
	padded_head(&b, lim.max_head, "");
	c = (struct http_case){"head at max", (const char *)b.p, b.len, 0, 0};
	check_case(&lim, &c);
	padded_head(&b, lim.max_head + 1, "");
	c = (struct http_case){"head one over", (const char *)b.p, b.len, 431,
	    0};
	check_case(&lim, &c);
	hk_buf_release(&b);

	/* Small limits: the same at the bound and one past it. */
	padded_head(&b, small.max_head, "");
	c = (struct http_case){"small head at max", (const char *)b.p, b.len,
	    0, 0};
	check_case(&small, &c);
	padded_head(&b, small.max_head + 1, "");
	c = (struct http_case){"small head one over", (const char *)b.p, b.len,
	    431, 0};
	check_case(&small, &c);
	hk_buf_release(&b);
}

static void
test_NET1_head_limit_refuses_early(void **state)
{
	struct net_http_request *req = net_http_request_new();
	uint8_t junk[600];
	size_t consumed;
	int status;

	(void)state;
	/* A head that never ends is refused as soon as it reaches the limit,
	 * not when the client chooses to finish (slowloris). */
	memcpy(junk, "GET / HTTP/1.1\r\nX: ", 19);
	memset(junk + 19, 'a', sizeof(junk) - 19);
	assert_int_equal(net_http_parse(&small, junk, small.max_head - 1, req,
	    &consumed, &status), HK_EAGAIN);
	assert_int_equal(net_http_parse(&small, junk, small.max_head, req,
	    &consumed, &status), HK_ETOOBIG);
	assert_int_equal(status, 431);
	net_http_request_free(req);
}

static void
test_NET1_header_count_431(void **state)
{
	struct hk_buf b = HK_BUF_INIT;
	struct http_case c;
	size_t i, n;

	(void)state;
	/* Host plus 7 others is 8 = small.max_headers; one more is 431. */
	for (n = 7; n <= 8; n++) {
		hk_buf_reset(&b);
		assert_int_equal(hk_buf_puts(&b, "GET /" H11), 0);
		for (i = 0; i < n; i++)
			assert_int_equal(hk_buf_printf(&b, "X-%zu: v\r\n", i),
			    0);
		assert_int_equal(hk_buf_puts(&b, "\r\n"), 0);
		c = (struct http_case){n == 7 ? "fields at max" : "one over",
		    (const char *)b.p, b.len, n == 7 ? 0 : 431, 0};
		check_case(&small, &c);
	}
	/* Trailers have their own count under the same bound. */
	for (n = 8; n <= 9; n++) {
		hk_buf_reset(&b);
		assert_int_equal(hk_buf_puts(&b, "POST /" H11
		    "Transfer-Encoding: chunked\r\n\r\n0\r\n"), 0);
		for (i = 0; i < n; i++)
			assert_int_equal(hk_buf_printf(&b, "T-%zu: v\r\n", i),
			    0);
		assert_int_equal(hk_buf_puts(&b, "\r\n"), 0);
		c = (struct http_case){n == 8 ? "trailers at max" :
		    "trailers one over", (const char *)b.p, b.len,
		    n == 8 ? 0 : 431, 0};
		check_case(&small, &c);
	}
	hk_buf_release(&b);
}

static void
test_NET1_body_limit_413(void **state)
{
	struct hk_buf b = HK_BUF_INIT;
	struct http_case c;
	size_t i, n;

	(void)state;
	/* Content-Length at the bound and one past it (refused from the head
	 * alone, before any body byte). */
	for (n = small.max_body; n <= small.max_body + 1; n++) {
		hk_buf_reset(&b);
		assert_int_equal(hk_buf_printf(&b, "POST /" H11
		    "Content-Length: %zu\r\n\r\n", n), 0);
		if (n == small.max_body)
			for (i = 0; i < n; i++)
				assert_int_equal(hk_buf_putc(&b, 'b'), 0);
		c = (struct http_case){n == small.max_body ? "CL at max" :
		    "CL one over", (const char *)b.p, b.len,
		    n == small.max_body ? 0 : 413, n};
		check_case(&small, &c);
	}
	/* Chunked: the de-chunked total at the bound and one past it, with
	 * the refusal at the chunk-size line that crosses it. */
	for (n = small.max_body; n <= small.max_body + 1; n++) {
		hk_buf_reset(&b);
		assert_int_equal(hk_buf_puts(&b, "POST /" H11
		    "Transfer-Encoding: chunked\r\n\r\n32\r\n"), 0);
		for (i = 0; i < 50; i++)
			assert_int_equal(hk_buf_putc(&b, 'a'), 0);
		assert_int_equal(hk_buf_printf(&b, "\r\n%zx\r\n", n - 50), 0);
		if (n == small.max_body) {
			for (i = 0; i < n - 50; i++)
				assert_int_equal(hk_buf_putc(&b, 'b'), 0);
			assert_int_equal(hk_buf_puts(&b, "\r\n0\r\n\r\n"), 0);
		}
		c = (struct http_case){n == small.max_body ? "chunked at max" :
		    "chunked one over", (const char *)b.p, b.len,
		    n == small.max_body ? 0 : 413, n};
		check_case(&small, &c);
	}
	/* The default bound, 1 MiB, from Content-Length. */
	hk_buf_reset(&b);
	assert_int_equal(hk_buf_printf(&b, "POST /" H11
	    "Content-Length: %d\r\n\r\n", NET_HTTP_MAX_BODY + 1), 0);
	c = (struct http_case){"default CL one over", (const char *)b.p, b.len,
	    413, 0};
	check_case(NULL, &c);
	hk_buf_release(&b);
}

static void
test_NET1_chunk_count_bound(void **state)
{
	struct net_http_request *req = net_http_request_new();
	struct hk_buf b = HK_BUF_INIT;
	size_t i, n, consumed, blen;
	int status, r;

	(void)state;
	for (n = NET_HTTP_MAX_CHUNKS - 1; n <= NET_HTTP_MAX_CHUNKS; n++) {
		hk_buf_reset(&b);
		assert_int_equal(hk_buf_puts(&b, "POST /" H11
		    "Transfer-Encoding: chunked\r\n\r\n"), 0);
		/* n data chunks plus the last chunk. */
		for (i = 0; i < n; i++)
			assert_int_equal(hk_buf_puts(&b, "1\r\nz\r\n"), 0);
		assert_int_equal(hk_buf_puts(&b, "0\r\n\r\n"), 0);
		r = net_http_parse(NULL, b.p, b.len, req, &consumed, &status);
		if (n == NET_HTTP_MAX_CHUNKS - 1) {
			assert_int_equal(r, 0);
			(void)net_http_request_body(req, &blen);
			assert_int_equal(blen, n);
		} else {
			assert_int_equal(r, HK_ETOOBIG);
			assert_int_equal(status, 413);
		}
	}
	hk_buf_release(&b);
	net_http_request_free(req);
}

static void
test_NET1_request_fields(void **state)
{
	static const char text[] =
	    "POST /csc/v2/signatures/signHash?x=1&y=?/ HTTP/1.1\r\n"
	    "Host: example.test\r\n"
	    "content-TYPE:  application/json \t\r\n"
	    "X-Twice: a\r\n"
	    "x-twice: b\r\n"
	    "Content-Length: 2\r\n"
	    "\r\n"
	    "{}";
	struct net_http_request *req = net_http_request_new();
	struct net_http_str v, name, path, query;
	const uint8_t *body;
	size_t consumed, blen;
	int status;

	(void)state;
	assert_int_equal(net_http_parse(NULL, (const uint8_t *)text,
	    sizeof(text) - 1, req, &consumed, &status), 0);
	assert_int_equal(status, 0);
	assert_int_equal(consumed, sizeof(text) - 1);
	assert_true(net_http_request_head_done(req));
	assert_int_equal(net_http_request_head_len(req), sizeof(text) - 3);
	assert_int_equal(net_http_request_method(req), NET_HTTP_POST);
	assert_string_equal(net_http_method_name(NET_HTTP_POST), "POST");
	assert_int_equal(net_http_request_minor(req), 1);
	path = net_http_request_path(req);
	query = net_http_request_query(req);
	assert_int_equal(path.len, strlen("/csc/v2/signatures/signHash"));
	assert_memory_equal(path.p, "/csc/v2/signatures/signHash", path.len);
	assert_int_equal(query.len, 8);
	assert_memory_equal(query.p, "x=1&y=?/", 8);
	assert_int_equal(net_http_request_header(req, "Content-Type", &v), 0);
	assert_int_equal(v.len, strlen("application/json"));
	assert_memory_equal(v.p, "application/json", v.len);
	assert_int_equal(net_http_request_header(req, "x-twice", &v),
	    HK_EEXIST);
	assert_memory_equal(v.p, "a", 1);
	assert_int_equal(net_http_request_header(req, "Authorization", &v),
	    HK_ENOTFOUND);
	assert_int_equal(net_http_request_header_count(req), 5);
	net_http_request_header_at(req, 1, &name, &v);
	assert_int_equal(name.len, 12);
	assert_memory_equal(name.p, "content-TYPE", 12);
	assert_false(net_http_request_chunked(req));
	body = net_http_request_body(req, &blen);
	assert_int_equal(blen, 2);
	assert_ptr_equal(body, (const uint8_t *)text + sizeof(text) - 3);

	/* "?" with nothing after it is an empty query; none is NULL. */
	assert_int_equal(net_http_parse(NULL,
	    (const uint8_t *)"GET /a?" H11 "\r\n", 7 + 32 + 2, req, &consumed,
	    &status), 0);
	query = net_http_request_query(req);
	assert_non_null(query.p);
	assert_int_equal(query.len, 0);
	assert_int_equal(net_http_parse(NULL,
	    (const uint8_t *)"GET /a" H11 "\r\n", 6 + 32 + 2, req, &consumed,
	    &status), 0);
	assert_null(net_http_request_query(req).p);
	net_http_request_free(req);
}

static void
test_NET1_keep_alive(void **state)
{
	static const struct {
		const char *text;
		int status;
		bool keep;
	} cases[] = {
		{"GET / HTTP/1.1\r\nHost: h\r\n\r\n", 0, true},
		{"GET / HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n", 0,
		    false},
		{"GET / HTTP/1.1\r\nHost: h\r\n"
		    "Connection: keep-alive, Close\r\n\r\n", 0, false},
		{"GET / HTTP/1.1\r\nHost: h\r\n"
		    "Connection: ,, upgrade ,\r\n\r\n", 0, true},
		{"GET / HTTP/1.0\r\n\r\n", 0, false},
		{"GET / HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n", 0, true},
		{"GET / HTTP/1.0\r\nConnection: keep-alive, close\r\n\r\n", 0,
		    false},
		{"GET / HTTP/1.1\r\nHost: h\r\nConnection: a b\r\n\r\n", 400,
		    false},
	};
	struct net_http_request *req = net_http_request_new();
	size_t i, consumed;
	int status, r;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		r = net_http_parse(NULL, (const uint8_t *)cases[i].text,
		    strlen(cases[i].text), req, &consumed, &status);
		assert_int_equal(status, cases[i].status);
		if (cases[i].status != 0) {
			assert_int_equal(r, HK_EPROTO);
			continue;
		}
		assert_int_equal(r, 0);
		if (net_http_request_keep_alive(req) != cases[i].keep)
			fail_msg("case %zu: keep-alive %d", i,
			    (int)net_http_request_keep_alive(req));
	}
	net_http_request_free(req);
}

static void
test_NET1_pipelined_requests(void **state)
{
	static const char text[] =
	    "GET /one" H11 "\r\n"
	    "POST /two" H11 "Content-Length: 3\r\n\r\nabc"
	    "POST /three" H11 "Transfer-Encoding: chunked\r\n\r\n"
	    "2\r\nde\r\n1\r\nf\r\n0\r\n\r\n"
	    "\r\nGET /four" H11 "Connection: close\r\n\r\n"
	    "GET /fi";
	static const char *const paths[] = {"/one", "/two", "/three", "/four"};
	static const char *const bodies[] = {"", "abc", "def", ""};
	struct net_http_request *req = net_http_request_new();
	const uint8_t *p = (const uint8_t *)text, *body;
	size_t off = 0, consumed, blen, i;
	struct net_http_str path;
	int status;

	(void)state;
	for (i = 0; i < 4; i++) {
		assert_int_equal(net_http_parse(NULL, p + off,
		    sizeof(text) - 1 - off, req, &consumed, &status), 0);
		path = net_http_request_path(req);
		assert_int_equal(path.len, strlen(paths[i]));
		assert_memory_equal(path.p, paths[i], path.len);
		body = net_http_request_body(req, &blen);
		assert_int_equal(blen, strlen(bodies[i]));
		assert_memory_equal(body, bodies[i], blen);
		assert_int_equal(net_http_request_keep_alive(req), i < 3);
		off += consumed;
	}
	/* The rest is the start of a fifth request. */
	assert_int_equal(net_http_parse(NULL, p + off, sizeof(text) - 1 - off,
	    req, &consumed, &status), HK_EAGAIN);
	assert_int_equal(sizeof(text) - 1 - off, 7);
	net_http_request_free(req);
}

static void
test_NET1_partial_delivery(void **state)
{
	static const char text[] = "POST /p" H11
	    "Transfer-Encoding: chunked\r\n\r\n"
	    "3;ext=\"v\"\r\nabc\r\nA\r\n0123456789\r\n0\r\nT: x\r\n\r\n";
	struct net_http_request *req = net_http_request_new();
	size_t n = sizeof(text) - 1, k, consumed, blen, head;
	const uint8_t *body;
	int status, r;

	(void)state;
	/* The head ends at the first blank line. */
	head = (size_t)(strstr(text, "\r\n\r\n") - text) + 4;
	for (k = 0; k < n; k++) {
		r = net_http_parse(NULL, (const uint8_t *)text, k, req,
		    &consumed, &status);
		assert_int_equal(r, HK_EAGAIN);
		assert_int_equal(status, 0);
		/* The head is usable as soon as it is complete. */
		assert_int_equal(net_http_request_head_done(req), k >= head);
	}
	assert_int_equal(net_http_parse(NULL, (const uint8_t *)text, n, req,
	    &consumed, &status), 0);
	assert_int_equal(consumed, n);
	assert_true(net_http_request_chunked(req));
	body = net_http_request_body(req, &blen);
	assert_int_equal(blen, 13);
	assert_memory_equal(body, "abc0123456789", 13);
	net_http_request_free(req);
}

static void
test_NET1_response_format(void **state)
{
	struct hk_buf out = HK_BUF_INIT;
	const char *s, *d;

	(void)state;
	assert_int_equal(net_http_response(&out, 200, "application/json",
	    (const uint8_t *)"hello", 5, 1, "Cache-Control: no-store\r\n"), 0);
	s = hk_buf_cstr(&out);
	assert_non_null(s);
	assert_memory_equal(s, "HTTP/1.1 200 OK\r\nDate: ", 23);
	/* IMF-fixdate: "Sun, 06 Nov 1994 08:49:37 GMT" (29 characters). */
	d = s + 23;
	assert_memory_equal(d + 25, " GMT\r\n", 6);
	assert_int_equal(d[3], ',');
	assert_non_null(strstr(s, "\r\nContent-Type: application/json\r\n"));
	assert_non_null(strstr(s, "\r\nContent-Length: 5\r\n"));
	assert_non_null(strstr(s, "\r\nConnection: keep-alive\r\n"));
	assert_non_null(strstr(s, "\r\nCache-Control: no-store\r\n\r\nhello"));
	assert_int_equal(strlen(strstr(s, "\r\n\r\n")), 4 + 5);

	hk_buf_reset(&out);
	assert_int_equal(net_http_response(&out, 404, NULL, NULL, 0, 0, NULL),
	    0);
	s = hk_buf_cstr(&out);
	assert_memory_equal(s, "HTTP/1.1 404 Not Found\r\n", 24);
	assert_non_null(strstr(s, "\r\nContent-Length: 0\r\n"));
	assert_non_null(strstr(s, "\r\nConnection: close\r\n\r\n"));
	assert_null(strstr(s, "Content-Type"));

	/* HEAD: the length of the body is announced, the body not sent. */
	hk_buf_reset(&out);
	assert_int_equal(net_http_response(&out, 200, "text/plain", NULL, 42,
	    1, NULL), 0);
	s = hk_buf_cstr(&out);
	assert_non_null(strstr(s, "\r\nContent-Length: 42\r\n"));
	assert_int_equal(strlen(strstr(s, "\r\n\r\n")), 4);

	/* 204 carries no Content-Length and no body; 100 is bare. */
	hk_buf_reset(&out);
	assert_int_equal(net_http_response(&out, 204, NULL, NULL, 0, 1, NULL),
	    0);
	assert_null(strstr(hk_buf_cstr(&out), "Content-Length"));
	hk_buf_reset(&out);
	assert_int_equal(net_http_response(&out, 100, NULL, NULL, 0, 1, NULL),
	    0);
	assert_string_equal(hk_buf_cstr(&out), "HTTP/1.1 100 Continue\r\n\r\n");

	/* Every reason phrase the front answers with by itself. */
	assert_string_equal(net_http_status_reason(413), "Content Too Large");
	assert_string_equal(net_http_status_reason(431),
	    "Request Header Fields Too Large");
	assert_string_equal(net_http_status_reason(505),
	    "HTTP Version Not Supported");
	assert_string_equal(net_http_status_reason(408), "Request Timeout");
	assert_string_equal(net_http_status_reason(503), "Service Unavailable");
	hk_buf_release(&out);
}

static void
test_NET1_response_refuses_splitting(void **state)
{
	struct hk_buf out = HK_BUF_INIT;

	(void)state;
	assert_int_equal(hk_buf_puts(&out, "kept"), 0);
	assert_int_equal(net_http_response(&out, 299, NULL, NULL, 0, 1, NULL),
	    HK_EINVAL);
	assert_int_equal(net_http_response(&out, 204, NULL,
	    (const uint8_t *)"x", 1, 1, NULL), HK_EINVAL);
	assert_int_equal(net_http_response(&out, 200, "text/plain\r\nX: y",
	    NULL, 0, 1, NULL), HK_EINVAL);
	assert_int_equal(net_http_response(&out, 200, "", NULL, 0, 1, NULL),
	    HK_EINVAL);
	assert_int_equal(net_http_response(&out, 200, NULL, NULL, 0, 1,
	    "X-A: b\r\nInjected"), HK_EINVAL);
	assert_int_equal(net_http_response(&out, 200, NULL, NULL, 0, 1,
	    "X-A: b\n"), HK_EINVAL);
	assert_int_equal(net_http_response(&out, 200, NULL, NULL, 0, 1,
	    "X-A: b\r\n\r\nbody"), HK_EINVAL);
	assert_int_equal(net_http_response(&out, 200, NULL, NULL, 0, 1,
	    "content-length: 5\r\n"), HK_EINVAL);
	assert_int_equal(net_http_response(&out, 200, NULL, NULL, 0, 1,
	    "Connection: upgrade\r\n"), HK_EINVAL);
	/* Nothing was appended by the refused calls. */
	assert_int_equal(out.len, 4);
	assert_int_equal(net_http_response(&out, 200, NULL, NULL, 0, 1,
	    "X-A: b\r\nX-B: c d\r\n"), 0);
	hk_buf_release(&out);
}

static void
test_NET1_json_error_body(void **state)
{
	static const char nasty[] =
	    "bad \"field\"\r\n\\ </script> \xe2\x82\xac";
	struct hk_buf out = HK_BUF_INIT;
	json_error_t jerr;
	json_t *j;
	const char *s, *body;

	(void)state;
	assert_int_equal(net_http_error_body(&out, "invalid_request", nasty),
	    0);
	assert_non_null(hk_buf_cstr(&out));
	j = json_loadb((const char *)out.p, out.len, JSON_REJECT_DUPLICATES,
	    &jerr);
	assert_non_null(j);
	assert_int_equal(json_object_size(j), 2);
	assert_string_equal(json_string_value(json_object_get(j, "error")),
	    "invalid_request");
	assert_string_equal(json_string_value(json_object_get(j,
	    "error_description")), nasty);
	json_decref(j);
	/* No raw CR or LF survives into the body. */
	assert_null(memchr(out.p, '\n', out.len));
	assert_null(memchr(out.p, '\r', out.len));
	assert_int_equal(net_http_error_body(&out, "x", "\xff\xfe"),
	    HK_EINVAL);

	hk_buf_reset(&out);
	assert_int_equal(net_http_error_response(&out, 413, "body too large",
	    0), 0);
	s = hk_buf_cstr(&out);
	assert_memory_equal(s, "HTTP/1.1 413 Content Too Large\r\n", 32);
	assert_non_null(strstr(s, "\r\nContent-Type: application/json\r\n"));
	assert_non_null(strstr(s, "\r\nConnection: close\r\n"));
	body = strstr(s, "\r\n\r\n") + 4;
	assert_string_equal(body, "{\"error\":\"payload_too_large\","
	    "\"error_description\":\"body too large\"}");
	assert_string_equal(net_http_status_error(431),
	    "request_header_fields_too_large");
	assert_string_equal(net_http_status_error(505),
	    "http_version_not_supported");
	assert_string_equal(net_http_status_error(502), "server_error");
	hk_buf_release(&out);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_NET1_request_line),
		cmocka_unit_test(test_NET1_methods_and_501),
		cmocka_unit_test(test_NET1_version_and_505),
		cmocka_unit_test(test_NET1_field_syntax),
		cmocka_unit_test(test_NET1_host_rules),
		cmocka_unit_test(test_NET1_content_length_rules),
		cmocka_unit_test(test_NET1_transfer_encoding_rules),
		cmocka_unit_test(test_NET1_chunk_syntax),
		cmocka_unit_test(test_NET1_head_limit_431),
		cmocka_unit_test(test_NET1_head_limit_refuses_early),
		cmocka_unit_test(test_NET1_header_count_431),
		cmocka_unit_test(test_NET1_body_limit_413),
		cmocka_unit_test(test_NET1_chunk_count_bound),
		cmocka_unit_test(test_NET1_request_fields),
		cmocka_unit_test(test_NET1_keep_alive),
		cmocka_unit_test(test_NET1_pipelined_requests),
		cmocka_unit_test(test_NET1_partial_delivery),
		cmocka_unit_test(test_NET1_response_format),
		cmocka_unit_test(test_NET1_response_refuses_splitting),
		cmocka_unit_test(test_NET1_json_error_body),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
