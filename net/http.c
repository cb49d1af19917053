/* SPDX-License-Identifier: Apache-2.0 */
/*
 * http: strict HTTP/1.1 request framing (RFC 9112) and responses (NET-1,
 * ACT-5). See http.h for the contract and docs/http-parser.md for why the
 * parser is our own. The parser is one left-to-right pass over the bytes
 * present: every check looks only at bytes before the position it is
 * about, and running out of bytes is "need more" unless a limit says the
 * request can no longer fit. That makes any answer other than "need more"
 * final: more bytes cannot change it.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "net/http.h"

struct field {
	struct net_http_str name;
	struct net_http_str value;
};

struct net_http_request {
	bool head_done;
	size_t head_len;
	enum net_http_method method;
	int minor;
	bool keep_alive;
	struct net_http_str path;
	struct net_http_str query;
	struct field *fields;
	size_t nfields;
	size_t fields_cap;
	bool chunked;
	const uint8_t *body;
	size_t body_len;
	struct hk_buf dechunked;
};

/*
 * A bounded view of the input. Bytes [0, end) may be examined. When
 * ${capped}, end is a limit short of (or at) the data's end, so needing a
 * byte at or past it means the item is too long (status ${cap_status});
 * otherwise it means the data so far is incomplete.
 */
struct scan {
	const uint8_t *b;
	size_t pos;
	size_t end;
	bool capped;
	int cap_status;
};

static const char *const method_names[] = {
	[NET_HTTP_GET] = "GET",
	[NET_HTTP_HEAD] = "HEAD",
	[NET_HTTP_POST] = "POST",
	[NET_HTTP_PUT] = "PUT",
	[NET_HTTP_DELETE] = "DELETE",
	[NET_HTTP_OPTIONS] = "OPTIONS",
};

/* scan_init(s, b, from, avail, limit, cap_status): view ${b} from ${from}
 * to at most ${limit} bytes further, within ${avail} bytes of data. */
static void
scan_init(struct scan *s, const uint8_t *b, size_t from, size_t avail,
    size_t limit, int cap_status)
{
	s->b = b;
	s->pos = from;
	if (limit <= avail - from) {
		s->end = from + limit;
		s->capped = true;
	} else {
		s->end = avail;
		s->capped = false;
	}
	s->cap_status = cap_status;
}

/* refuse(status, st): report refusal with HTTP status ${st}. */
static int
refuse(int *status, int st)
{
	*status = st;
	return (st == 413 || st == 431) ? HK_ETOOBIG : HK_EPROTO;
}

/* need(s, n, status): 0 if ${n} bytes from the position can be examined;
 * otherwise HK_EAGAIN, or a refusal when the view is capped. */
static int
need(const struct scan *s, size_t n, int *status)
{
	if (s->end - s->pos >= n)
		return 0;
	return s->capped ? refuse(status, s->cap_status) : HK_EAGAIN;
}

static bool
is_alnum(uint8_t c)
{
	return (c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z') ||
	    (c >= 'a' && c <= 'z');
}

static bool
in_set(uint8_t c, const char *set)
{
	return c != 0 && strchr(set, c) != NULL;
}

/* RFC 9110 5.6.2 token characters. */
static bool
is_tchar(uint8_t c)
{
	return is_alnum(c) || in_set(c, "!#$%&'*+-.^_`|~");
}

/* Characters of an origin-form target (RFC 3986 pchar, "/", "?"); "%"
 * must start a percent-encoding, checked separately. */
static bool
is_target_char(uint8_t c)
{
	return is_alnum(c) || in_set(c, "-._~!$&'()*+,;=:@/?%");
}

/* Characters of a Host value (reg-name, IP literal, port). */
static bool
is_host_char(uint8_t c)
{
	return is_alnum(c) || in_set(c, "-._~%!$&'()*+,;=:[]");
}

/* RFC 9110 5.5 field-vchar: VCHAR or obs-text (kept opaque). */
static bool
is_field_vchar(uint8_t c)
{
	return (c >= 0x21 && c <= 0x7e) || c >= 0x80;
}

static bool
is_ows(uint8_t c)
{
	return c == ' ' || c == '\t';
}

static int
hexval(uint8_t c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

static uint8_t
lower(uint8_t c)
{
	return (c >= 'A' && c <= 'Z') ? (uint8_t)(c + 32) : c;
}

/* eq_ci(s, lit): ${s} equals the lowercase literal ${lit}, ignoring case. */
static bool
eq_ci(struct net_http_str s, const char *lit)
{
	size_t i, n = strlen(lit);

	if (s.len != n)
		return false;
	for (i = 0; i < n; i++)
		if (lower((uint8_t)s.p[i]) != lower((uint8_t)lit[i]))
			return false;
	return true;
}

static struct net_http_str
str_of(const uint8_t *b, size_t from, size_t to)
{
	return (struct net_http_str){(const char *)b + from, to - from};
}

/* method_from(s, m): the implemented method spelled exactly ${s}. */
static bool
method_from(struct net_http_str s, enum net_http_method *m)
{
	size_t i;

	for (i = 1; i < sizeof(method_names) / sizeof(method_names[0]); i++) {
		if (s.len == strlen(method_names[i]) &&
		    memcmp(s.p, method_names[i], s.len) == 0) {
			*m = (enum net_http_method)i;
			return true;
		}
	}
	return false;
}

/*
 * parse_request_line(s, req, status): RFC 9112 3: method SP target SP
 * HTTP-version CRLF, after any number of empty lines (RFC 9112 2.2 asks
 * servers to skip at least one). Exactly one SP between the parts; only
 * origin-form targets and "OPTIONS *" (WARNING: absolute-form, which RFC
 * 9112 3.2.2 asks origin servers to accept, is refused with 400 so that
 * the Host field is the only authority a request can name).
 */
static int
parse_request_line(struct scan *s, struct net_http_request *req, int *status)
{
	const uint8_t *b = s->b;
	static const char version[] = "HTTP/";
	size_t start, q, i;
	int r, major;
	uint8_t c;

	for (;;) {
		if ((r = need(s, 1, status)) != 0)
			return r;
		if (b[s->pos] != '\r')
			break;
		if ((r = need(s, 2, status)) != 0)
			return r;
		if (b[s->pos + 1] != '\n')
			return refuse(status, 400);
		s->pos += 2;
	}

	/* Method: a token; a valid token we do not implement is 501. */
	start = s->pos;
	for (;;) {
		if ((r = need(s, 1, status)) != 0)
			return r;
		c = b[s->pos];
		if (c == ' ')
			break;
		if (!is_tchar(c))
			return refuse(status, 400);
		s->pos++;
	}
	if (s->pos == start)
		return refuse(status, 400);
	if (!method_from(str_of(b, start, s->pos), &req->method))
		return refuse(status, 501);
	s->pos++;

	/* Target. */
	start = s->pos;
	for (;;) {
		if ((r = need(s, 1, status)) != 0)
			return r;
		c = b[s->pos];
		if (c == ' ')
			break;
		if (s->pos == start) {
			if (c == '*' && req->method != NET_HTTP_OPTIONS)
				return refuse(status, 400);
			if (c != '/' && c != '*')
				return refuse(status, 400);
		} else if (b[start] == '*') {
			return refuse(status, 400);
		}
		if (!is_target_char(c))
			return refuse(status, 400);
		if (c == '%') {
			/* Two hex digits, each checked as soon as present. */
			for (i = 1; i <= 2; i++) {
				if ((r = need(s, i + 1, status)) != 0)
					return r;
				if (hexval(b[s->pos + i]) < 0)
					return refuse(status, 400);
			}
			s->pos += 3;
			continue;
		}
		s->pos++;
	}
	if (s->pos == start)
		return refuse(status, 400);
	req->path = str_of(b, start, s->pos);
	req->query = (struct net_http_str){NULL, 0};
	for (q = start; q < s->pos; q++) {
		if (b[q] == '?') {
			req->path = str_of(b, start, q);
			req->query = str_of(b, q + 1, s->pos);
			break;
		}
	}
	s->pos++;

	/* HTTP-version = "HTTP/" DIGIT "." DIGIT, case-sensitive. */
	for (i = 0; i < sizeof(version) - 1; i++) {
		if ((r = need(s, 1, status)) != 0)
			return r;
		if (b[s->pos++] != (uint8_t)version[i])
			return refuse(status, 400);
	}
	if ((r = need(s, 1, status)) != 0)
		return r;
	if (b[s->pos] < '0' || b[s->pos] > '9')
		return refuse(status, 400);
	major = b[s->pos++] - '0';
	if ((r = need(s, 1, status)) != 0)
		return r;
	if (b[s->pos++] != '.')
		return refuse(status, 400);
	if ((r = need(s, 1, status)) != 0)
		return r;
	if (b[s->pos] < '0' || b[s->pos] > '9')
		return refuse(status, 400);
	req->minor = b[s->pos++] - '0';
	if ((r = need(s, 1, status)) != 0)
		return r;
	if (b[s->pos] != '\r')
		return refuse(status, 400);
	if ((r = need(s, 2, status)) != 0)
		return r;
	if (b[s->pos + 1] != '\n')
		return refuse(status, 400);
	s->pos += 2;
	if (major != 1 || req->minor > 1)
		return refuse(status, 505);
	return 0;
}

/* field_add(req, name, value, status): remember one header field line. */
static int
field_add(struct net_http_request *req, struct net_http_str name,
    struct net_http_str value, int *status)
{
	struct field *f;
	size_t cap;

	if (req->nfields == req->fields_cap) {
		cap = req->fields_cap ? req->fields_cap * 2 : 16;
		if ((f = realloc(req->fields, cap * sizeof(*f))) == NULL) {
			*status = 500;
			return HK_ENOMEM;
		}
		req->fields = f;
		req->fields_cap = cap;
	}
	req->fields[req->nfields].name = name;
	req->fields[req->nfields].value = value;
	req->nfields++;
	return 0;
}

/*
 * parse_fields(s, max, req, status): field lines (RFC 9112 5) up to and
 * including the empty line that ends them: name ":" OWS value OWS CRLF.
 * Refuses (400) whitespace before the colon, a line starting with
 * whitespace (obs-fold, or whitespace before the first field), a bare CR or
 * LF, NUL and other control characters; more than ${max} lines is 431.
 * Stores the lines in ${req} (NULL: check only, for trailers).
 */
static int
parse_fields(struct scan *s, size_t max, struct net_http_request *req,
    int *status)
{
	const uint8_t *b = s->b;
	size_t count = 0, nstart, nend, vstart, vend;
	int r;
	uint8_t c;

	for (;;) {
		if ((r = need(s, 1, status)) != 0)
			return r;
		c = b[s->pos];
		if (c == '\r') {
			if ((r = need(s, 2, status)) != 0)
				return r;
			if (b[s->pos + 1] != '\n')
				return refuse(status, 400);
			s->pos += 2;
			return 0;
		}
		if (c == '\n' || is_ows(c))
			return refuse(status, 400);
		nstart = s->pos;
		for (;;) {
			if ((r = need(s, 1, status)) != 0)
				return r;
			c = b[s->pos];
			if (c == ':')
				break;
			if (!is_tchar(c))
				return refuse(status, 400);
			s->pos++;
		}
		if (s->pos == nstart)
			return refuse(status, 400);
		nend = s->pos++;
		for (;;) {
			if ((r = need(s, 1, status)) != 0)
				return r;
			if (!is_ows(b[s->pos]))
				break;
			s->pos++;
		}
		vstart = vend = s->pos;
		for (;;) {
			if ((r = need(s, 1, status)) != 0)
				return r;
			c = b[s->pos];
			if (c == '\r')
				break;
			if (is_field_vchar(c))
				vend = ++s->pos;
			else if (is_ows(c))
				s->pos++;
			else
				return refuse(status, 400);
		}
		if ((r = need(s, 2, status)) != 0)
			return r;
		if (b[s->pos + 1] != '\n')
			return refuse(status, 400);
		s->pos += 2;
		if (++count > max)
			return refuse(status, 431);
		if (req != NULL &&
		    (r = field_add(req, str_of(b, nstart, nend),
			 str_of(b, vstart, vend), status)) != 0)
			return r;
	}
}

/* list_next(rest, tok): the next element of a comma-separated token list
 * (RFC 9110 5.6.1; empty elements are skipped): 1 with ${tok}, 0 at the
 * end, -1 when ${rest} is not a token list. */
static int
list_next(struct net_http_str *rest, struct net_http_str *tok)
{
	const uint8_t *p = (const uint8_t *)rest->p;
	const uint8_t *end = p + rest->len, *start;

	while (p < end && (is_ows(*p) || *p == ','))
		p++;
	if (p == end) {
		rest->p = (const char *)end;
		rest->len = 0;
		return 0;
	}
	start = p;
	while (p < end && is_tchar(*p))
		p++;
	if (p == start)
		return -1;
	tok->p = (const char *)start;
	tok->len = (size_t)(p - start);
	while (p < end && is_ows(*p))
		p++;
	if (p < end && *p != ',')
		return -1;
	rest->p = (const char *)p;
	rest->len = (size_t)(end - p);
	return 1;
}

/*
 * check_head(req, lim, clen, status): the framing and connection rules
 * that need every header field (RFC 9112 6, 3.2, 9.3): Transfer-Encoding
 * must be exactly "chunked" once and last (other codings before it: 501),
 * never with Content-Length and never in HTTP/1.0; one Content-Length of
 * digits only; exactly one valid Host in HTTP/1.1 and at most one in 1.0;
 * Connection a token list. Sets ${clen} (0 when absent) and the request's
 * chunked and keep_alive flags.
 */
static int
check_head(struct net_http_request *req, const struct net_http_limits *lim,
    size_t *clen, int *status)
{
	struct net_http_str v, rest, tok;
	size_t i, j, ncl = 0, nte = 0, nhost = 0, len = 0;
	bool last_chunked = false, seen_chunked = false, other = false;
	bool close = false, keep = false;
	int k;

	for (i = 0; i < req->nfields; i++) {
		struct field *f = &req->fields[i];

		v = f->value;
		if (eq_ci(f->name, "content-length")) {
			if (++ncl > 1 || v.len == 0)
				return refuse(status, 400);
			for (j = 0; j < v.len; j++) {
				uint8_t c = (uint8_t)v.p[j];

				if (c < '0' || c > '9')
					return refuse(status, 400);
				if (len > (SIZE_MAX - 9) / 10)
					len = SIZE_MAX;
				else
					len = len * 10 + (size_t)(c - '0');
			}
		} else if (eq_ci(f->name, "transfer-encoding")) {
			nte++;
			rest = v;
			while ((k = list_next(&rest, &tok)) == 1) {
				if (eq_ci(tok, "chunked")) {
					if (seen_chunked)
						return refuse(status, 400);
					seen_chunked = last_chunked = true;
				} else {
					other = true;
					last_chunked = false;
				}
			}
			if (k < 0)
				return refuse(status, 400);
		} else if (eq_ci(f->name, "host")) {
			if (++nhost > 1)
				return refuse(status, 400);
			for (j = 0; j < v.len; j++)
				if (!is_host_char((uint8_t)v.p[j]))
					return refuse(status, 400);
		} else if (eq_ci(f->name, "connection")) {
			rest = v;
			while ((k = list_next(&rest, &tok)) == 1) {
				if (eq_ci(tok, "close"))
					close = true;
				else if (eq_ci(tok, "keep-alive"))
					keep = true;
			}
			if (k < 0)
				return refuse(status, 400);
		}
	}
	if (nte > 0) {
		/* RFC 9112 6.1 and 6.3: no length can be trusted. */
		if (ncl > 0 || req->minor == 0 || !last_chunked)
			return refuse(status, 400);
		if (other)
			return refuse(status, 501);
		req->chunked = true;
	}
	if (req->minor == 1 && nhost == 0)
		return refuse(status, 400);
	if (len > lim->max_body)
		return refuse(status, 413);
	req->keep_alive = req->minor == 1 ? !close : (keep && !close);
	*clen = len;
	return 0;
}

/* skip_ows(s, status): move past optional whitespace. */
static int
skip_ows(struct scan *s, int *status)
{
	int r;

	for (;;) {
		if ((r = need(s, 1, status)) != 0)
			return r;
		if (!is_ows(s->b[s->pos]))
			return 0;
		s->pos++;
	}
}

/* chunk_ext(s, status): RFC 9112 7.1.1 chunk extensions, checked and
 * ignored: *( BWS ";" BWS name [ BWS "=" BWS ( token / quoted-string ) ] ),
 * up to the CR that ends the chunk-size line. */
static int
chunk_ext(struct scan *s, int *status)
{
	const uint8_t *b = s->b;
	size_t start;
	int r;
	uint8_t c;

	for (;;) {
		if ((r = need(s, 1, status)) != 0)
			return r;
		if (b[s->pos] == '\r')
			return 0;
		if ((r = skip_ows(s, status)) != 0)
			return r;
		if (b[s->pos] != ';')
			return refuse(status, 400);
		s->pos++;
		if ((r = skip_ows(s, status)) != 0)
			return r;
		start = s->pos;
		while ((r = need(s, 1, status)) == 0 && is_tchar(b[s->pos]))
			s->pos++;
		if (r != 0)
			return r;
		if (s->pos == start)
			return refuse(status, 400);
		if ((r = skip_ows(s, status)) != 0)
			return r;
		if (b[s->pos] != '=')
			continue;
		s->pos++;
		if ((r = skip_ows(s, status)) != 0)
			return r;
		if (b[s->pos] != '"') {
			start = s->pos;
			while ((r = need(s, 1, status)) == 0 &&
			    is_tchar(b[s->pos]))
				s->pos++;
			if (r != 0)
				return r;
			if (s->pos == start)
				return refuse(status, 400);
			continue;
		}
		/* quoted-string (RFC 9110 5.6.4). */
		s->pos++;
		for (;;) {
			if ((r = need(s, 1, status)) != 0)
				return r;
			c = b[s->pos++];
			if (c == '"')
				break;
			if (c == '\\') {
				if ((r = need(s, 1, status)) != 0)
					return r;
				c = b[s->pos++];
				if (!is_ows(c) && !is_field_vchar(c))
					return refuse(status, 400);
			} else if (!is_ows(c) && !is_field_vchar(c)) {
				return refuse(status, 400);
			}
		}
	}
}

/*
 * dechunk(b, avail, lim, out, used, status): the chunked body at ${b}
 * (RFC 9112 7.1): chunks, the last chunk, trailer fields (checked and
 * discarded) and the final CRLF. ${out} NULL only checks; otherwise the
 * data is appended to ${out}. Sets ${used} to the encoded length.
 */
static int
dechunk(const uint8_t *b, size_t avail, const struct net_http_limits *lim,
    struct hk_buf *out, size_t *used, int *status)
{
	struct scan s;
	size_t pos = 0, total = 0, nchunks = 0, size, digits;
	int r, h;

	for (;;) {
		scan_init(&s, b, pos, avail, NET_HTTP_CHUNK_LINE_MAX, 400);
		size = 0;
		digits = 0;
		for (;;) {
			if ((r = need(&s, 1, status)) != 0)
				return r;
			if ((h = hexval(b[s.pos])) < 0)
				break;
			if (size > (SIZE_MAX - (size_t)h) / 16)
				return refuse(status, 413);
			size = size * 16 + (size_t)h;
			if (size > lim->max_body - total)
				return refuse(status, 413);
			digits++;
			s.pos++;
		}
		if (digits == 0)
			return refuse(status, 400);
		if ((r = chunk_ext(&s, status)) != 0)
			return r;
		if ((r = need(&s, 2, status)) != 0)
			return r;
		if (b[s.pos + 1] != '\n')
			return refuse(status, 400);
		pos = s.pos + 2;
		if (++nchunks > NET_HTTP_MAX_CHUNKS)
			return refuse(status, 413);
		if (size == 0)
			break;
		if (avail - pos < size)
			return HK_EAGAIN;
		if (out != NULL && (r = hk_buf_put(out, b + pos, size)) != 0) {
			*status = 500;
			return r;
		}
		pos += size;
		total += size;
		if (avail > pos && b[pos] != '\r')
			return refuse(status, 400);
		if (avail > pos + 1 && b[pos + 1] != '\n')
			return refuse(status, 400);
		if (avail - pos < 2)
			return HK_EAGAIN;
		pos += 2;
	}
	scan_init(&s, b, pos, avail, lim->max_head, 431);
	if ((r = parse_fields(&s, lim->max_headers, NULL, status)) != 0)
		return r;
	*used = s.pos;
	return 0;
}

/** net_http_request_new(): an empty request; NULL on ENOMEM. */
struct net_http_request *
net_http_request_new(void)
{
	return calloc(1, sizeof(struct net_http_request));
}

/** net_http_request_free(req): free ${req}; accepts NULL. */
void
net_http_request_free(struct net_http_request *req)
{
	if (req == NULL)
		return;
	free(req->fields);
	hk_buf_release(&req->dechunked);
	free(req);
}

/** net_http_parse(lim, buf, len, req, consumed, status): parse one request
 * from the bytes received so far (see http.h for the full contract). */
int
net_http_parse(const struct net_http_limits *lim, const uint8_t *buf,
    size_t len, struct net_http_request *req, size_t *consumed, int *status)
{
	static const struct net_http_limits defaults = NET_HTTP_LIMITS_DEFAULT;
	static const uint8_t empty[1];
	struct scan s;
	size_t clen = 0, used = 0;
	int r;

	if (lim == NULL)
		lim = &defaults;
	*status = 0;
	req->head_done = false;
	req->head_len = 0;
	req->method = 0;
	req->path = req->query = (struct net_http_str){NULL, 0};
	req->minor = 1;
	req->keep_alive = false;
	req->nfields = 0;
	req->chunked = false;
	req->body = NULL;
	req->body_len = 0;
	hk_buf_reset(&req->dechunked);

	scan_init(&s, buf, 0, len, lim->max_head, 431);
	if ((r = parse_request_line(&s, req, status)) != 0 ||
	    (r = parse_fields(&s, lim->max_headers, req, status)) != 0 ||
	    (r = check_head(req, lim, &clen, status)) != 0)
		return r;
	req->head_done = true;
	req->head_len = s.pos;

	if (!req->chunked) {
		if (len - s.pos < clen)
			return HK_EAGAIN;
		req->body = buf + s.pos;
		req->body_len = clen;
		*consumed = s.pos + clen;
		return 0;
	}
	/* Check the whole chunked body first, then copy it once: a body
	 * arriving in many pieces is scanned each time but copied once. */
	if ((r = dechunk(buf + s.pos, len - s.pos, lim, NULL, &used,
		 status)) != 0 ||
	    (r = dechunk(buf + s.pos, len - s.pos, lim, &req->dechunked,
		 &used, status)) != 0)
		return r;
	req->body = req->dechunked.p != NULL ? req->dechunked.p : empty;
	req->body_len = req->dechunked.len;
	*consumed = s.pos + used;
	return 0;
}

/** net_http_request_head_done(req): true once a complete head was seen. */
bool
net_http_request_head_done(const struct net_http_request *req)
{
	return req->head_done;
}

/** net_http_request_head_len(req): the length of that head. */
size_t
net_http_request_head_len(const struct net_http_request *req)
{
	return req->head_len;
}

/** net_http_request_method(req): the method. */
enum net_http_method
net_http_request_method(const struct net_http_request *req)
{
	return req->method;
}

/** net_http_method_name(m): "GET" etc. */
const char *
net_http_method_name(enum net_http_method m)
{
	if ((size_t)m >= sizeof(method_names) / sizeof(method_names[0]) ||
	    method_names[m] == NULL)
		abort();
	return method_names[m];
}

/** net_http_request_path(req): the target's path. */
struct net_http_str
net_http_request_path(const struct net_http_request *req)
{
	return req->path;
}

/** net_http_request_query(req): the target's query, or {NULL, 0}. */
struct net_http_str
net_http_request_query(const struct net_http_request *req)
{
	return req->query;
}

/** net_http_request_minor(req): the HTTP minor version. */
int
net_http_request_minor(const struct net_http_request *req)
{
	return req->minor;
}

/** net_http_request_keep_alive(req): whether the connection persists. */
bool
net_http_request_keep_alive(const struct net_http_request *req)
{
	return req->keep_alive;
}

/** net_http_request_header(req, name, value): the one field ${name}. */
int
net_http_request_header(const struct net_http_request *req, const char *name,
    struct net_http_str *value)
{
	size_t i, n = 0;

	for (i = 0; i < req->nfields; i++) {
		if (!eq_ci(req->fields[i].name, name))
			continue;
		if (n++ == 0)
			*value = req->fields[i].value;
	}
	if (n == 0)
		return HK_ENOTFOUND;
	return n == 1 ? 0 : HK_EEXIST;
}

/** net_http_request_header_count(req): number of field lines. */
size_t
net_http_request_header_count(const struct net_http_request *req)
{
	return req->nfields;
}

/** net_http_request_header_at(req, i, name, value): field line ${i}. */
void
net_http_request_header_at(const struct net_http_request *req, size_t i,
    struct net_http_str *name, struct net_http_str *value)
{
	if (i >= req->nfields)
		abort();
	*name = req->fields[i].name;
	*value = req->fields[i].value;
}

/** net_http_request_chunked(req): whether the body was chunked. */
bool
net_http_request_chunked(const struct net_http_request *req)
{
	return req->chunked;
}

/** net_http_request_body(req, len): the body. */
const uint8_t *
net_http_request_body(const struct net_http_request *req, size_t *len)
{
	static const uint8_t empty[1];

	*len = req->body_len;
	return req->body != NULL ? req->body : empty;
}

/** net_http_status_reason(status): the reason phrase, or NULL. */
const char *
net_http_status_reason(int status)
{
	switch (status) {
	case 100: return "Continue";
	case 200: return "OK";
	case 201: return "Created";
	case 202: return "Accepted";
	case 204: return "No Content";
	case 304: return "Not Modified";
	case 400: return "Bad Request";
	case 401: return "Unauthorized";
	case 403: return "Forbidden";
	case 404: return "Not Found";
	case 405: return "Method Not Allowed";
	case 408: return "Request Timeout";
	case 409: return "Conflict";
	case 410: return "Gone";
	case 411: return "Length Required";
	case 413: return "Content Too Large";
	case 414: return "URI Too Long";
	case 415: return "Unsupported Media Type";
	case 422: return "Unprocessable Content";
	case 423: return "Locked";
	case 429: return "Too Many Requests";
	case 431: return "Request Header Fields Too Large";
	case 500: return "Internal Server Error";
	case 501: return "Not Implemented";
	case 502: return "Bad Gateway";
	case 503: return "Service Unavailable";
	case 504: return "Gateway Timeout";
	case 505: return "HTTP Version Not Supported";
	}
	return NULL;
}

/* valid_value(s): ${s} is a non-empty field value without leading or
 * trailing whitespace and without CR, LF or other controls. */
static bool
valid_value(const char *s)
{
	size_t i, n = strlen(s);

	if (n == 0 || is_ows((uint8_t)s[0]) || is_ows((uint8_t)s[n - 1]))
		return false;
	for (i = 0; i < n; i++)
		if (!is_field_vchar((uint8_t)s[i]) && !is_ows((uint8_t)s[i]))
			return false;
	return true;
}

/* valid_extra(s): ${s} is a run of complete field lines, none of them a
 * field net_http_response() writes itself. */
static bool
valid_extra(const char *s)
{
	static const char *const own[] = {"date", "content-length",
	    "connection", "transfer-encoding", "content-type"};
	const uint8_t *p = (const uint8_t *)s;
	struct net_http_str name;
	size_t i;

	while (*p != '\0') {
		name.p = (const char *)p;
		while (is_tchar(*p))
			p++;
		name.len = (size_t)((const char *)p - name.p);
		if (name.len == 0 || *p++ != ':')
			return false;
		for (i = 0; i < sizeof(own) / sizeof(own[0]); i++)
			if (eq_ci(name, own[i]))
				return false;
		while (is_field_vchar(*p) || is_ows(*p))
			p++;
		if (p[0] != '\r' || p[1] != '\n')
			return false;
		p += 2;
	}
	return true;
}

/* http_date(t, out): IMF-fixdate (RFC 9110 5.6.7), independent of the
 * locale. */
static void
http_date(time_t t, char out[static 128])
{
	static const char days[7][4] = {"Sun", "Mon", "Tue", "Wed", "Thu",
	    "Fri", "Sat"};
	static const char months[12][4] = {"Jan", "Feb", "Mar", "Apr", "May",
	    "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
	struct tm tm;

	if (gmtime_r(&t, &tm) == NULL)
		memset(&tm, 0, sizeof(tm));
	snprintf(out, 128, "%s, %02d %s %04d %02d:%02d:%02d GMT",
	    days[tm.tm_wday % 7], tm.tm_mday, months[tm.tm_mon % 12],
	    tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec);
}

/** net_http_response(out, status, content_type, body, len, keep_alive,
 * extra_headers): append one HTTP/1.1 response (see http.h). */
int
net_http_response(struct hk_buf *out, int status, const char *content_type,
    const uint8_t *body, size_t len, int keep_alive, const char *extra_headers)
{
	const char *reason = net_http_status_reason(status);
	size_t mark = out->len;
	bool bodiless = status < 200 || status == 204 || status == 304;
	char date[128];
	int r;

	if (reason == NULL || (bodiless && len > 0) ||
	    (content_type != NULL && !valid_value(content_type)) ||
	    (extra_headers != NULL && !valid_extra(extra_headers)))
		return HK_EINVAL;
	if ((r = hk_buf_printf(out, "HTTP/1.1 %d %s\r\n", status, reason)) !=
	    0)
		goto out;
	if (status < 200) {
		/* An interim response is the status line alone. */
		r = hk_buf_puts(out, "\r\n");
		goto out;
	}
	http_date(time(NULL), date);
	if ((r = hk_buf_printf(out, "Date: %s\r\n", date)) != 0 ||
	    (content_type != NULL &&
		(r = hk_buf_printf(out, "Content-Type: %s\r\n",
		     content_type)) != 0) ||
	    (!bodiless &&
		(r = hk_buf_printf(out, "Content-Length: %zu\r\n", len)) !=
		    0) ||
	    (r = hk_buf_puts(out, keep_alive ? "Connection: keep-alive\r\n" :
		 "Connection: close\r\n")) != 0 ||
	    (extra_headers != NULL &&
		(r = hk_buf_puts(out, extra_headers)) != 0) ||
	    (r = hk_buf_puts(out, "\r\n")) != 0 ||
	    (body != NULL && (r = hk_buf_put(out, body, len)) != 0))
		goto out;
out:
	if (r != 0)
		out->len = mark;
	return r;
}

/** net_http_error_body(out, error, description): append the JSON error
 * object. */
int
net_http_error_body(struct hk_buf *out, const char *error,
    const char *description)
{
	json_t *obj = NULL;
	char *text = NULL;
	int r;

	/* json_pack refuses NULL and non-UTF-8 strings. */
	if ((obj = json_pack("{s:s, s:s}", "error", error,
		 "error_description", description)) == NULL) {
		r = HK_EINVAL;
		goto out;
	}
	if ((text = json_dumps(obj, JSON_COMPACT | JSON_PRESERVE_ORDER)) ==
	    NULL) {
		r = HK_ENOMEM;
		goto out;
	}
	r = hk_buf_puts(out, text);
out:
	free(text);
	json_decref(obj);
	return r;
}

/** net_http_status_error(status): the JSON error code for ${status}. */
const char *
net_http_status_error(int status)
{
	switch (status) {
	case 400: return "invalid_request";
	case 404: return "not_found";
	case 405: return "method_not_allowed";
	case 408: return "request_timeout";
	case 413: return "payload_too_large";
	case 431: return "request_header_fields_too_large";
	case 501: return "not_implemented";
	case 503: return "temporarily_unavailable";
	case 505: return "http_version_not_supported";
	}
	return status >= 500 ? "server_error" : "invalid_request";
}

/** net_http_error_response(out, status, description, keep_alive): append
 * a complete JSON error response. */
int
net_http_error_response(struct hk_buf *out, int status,
    const char *description, int keep_alive)
{
	struct hk_buf body = HK_BUF_INIT;
	int r;

	if ((r = net_http_error_body(&body, net_http_status_error(status),
		 description)) != 0)
		goto out;
	r = net_http_response(out, status, "application/json", body.p,
	    body.len, keep_alive, NULL);
out:
	hk_buf_release(&body);
	return r;
}
