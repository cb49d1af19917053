/* SPDX-License-Identifier: Apache-2.0 */
/*
 * https: the command line's HTTPS/1.1 client (OPS-1, REG-2, END-2); see
 * https.h. The socket is connected without blocking (so the connect is
 * bounded by the time limit too), then switched back to blocking with
 * SO_RCVTIMEO/SO_SNDTIMEO set to what is left of the limit; OpenSSL reads
 * and writes through it. The answer is read until its head is complete,
 * parsed strictly, then exactly Content-Length more bytes are read.
 */
#define _GNU_SOURCE /* malloc_usable_size */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <malloc.h>
#include <netdb.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <sodium.h>

#include "core/https.h"

static void
say(char *err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void
say(char *err, const char *fmt, ...)
{
	va_list ap;

	if (err == NULL)
		return;
	va_start(ap, fmt);
	vsnprintf(err, HK_HTTPS_ERR_LEN, fmt, ap);
	va_end(ap);
}

/* ssl_why(): the first OpenSSL error, for a message; clears the queue. */
static const char *
ssl_why(void)
{
	static __thread char buf[160];
	unsigned long e = ERR_get_error();

	if (e == 0)
		return "no detail";
	ERR_error_string_n(e, buf, sizeof(buf));
	ERR_clear_error();
	return buf;
}

/** hk_https_url_parse(url, u): "https://HOST:PORT[/]". */
int
hk_https_url_parse(const char *url, struct hk_https_url *u)
{
	const char *h, *hend, *p;
	char *end;
	unsigned long port;
	size_t hl;

	memset(u, 0, sizeof(*u));
	if (strncmp(url, "https://", 8) != 0)
		return HK_EINVAL;
	h = url + 8;
	if (*h == '[') {
		if ((hend = strchr(h, ']')) == NULL || hend[1] != ':')
			return HK_EINVAL;
		h++;
		p = hend + 2;
		u->ipv6 = true;
	} else {
		if ((hend = strchr(h, ':')) == NULL)
			return HK_EINVAL;
		p = hend + 1;
	}
	hl = (size_t)(hend - h);
	if (hl == 0 || hl >= sizeof(u->host))
		return HK_EINVAL;
	memcpy(u->host, h, hl);
	if (strcspn(u->host, "/?#@ []") != hl)
		return HK_EINVAL;
	if (*p < '0' || *p > '9')
		return HK_EINVAL;
	errno = 0;
	port = strtoul(p, &end, 10);
	if (errno != 0 || port == 0 || port > 65535 ||
	    (*end != '\0' && strcmp(end, "/") != 0))
		return HK_EINVAL;
	snprintf(u->port, sizeof(u->port), "%lu", port);
	return 0;
}

static uint64_t
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* left_ms(deadline): milliseconds until ${deadline}, at least 1. */
static unsigned
left_ms(uint64_t deadline)
{
	uint64_t now = now_ms();

	return now >= deadline ? 1 : (unsigned)(deadline - now);
}

/* set_timeouts(fd, ms): bound each blocking read and write. */
static void
set_timeouts(int fd, unsigned ms)
{
	struct timeval tv = {(time_t)(ms / 1000), (suseconds_t)(ms % 1000) *
							1000};

	(void)setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	(void)setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
}

/* tcp_connect(u, deadline, fd, err): a connected blocking socket. */
static int
tcp_connect(const struct hk_https_url *u, uint64_t deadline, int *fdp,
    char *err)
{
	struct addrinfo hints, *ai = NULL, *a;
	struct pollfd pfd;
	socklen_t sl;
	int fd = -1, r, soerr = 0, last = 0;
	bool timed_out = false;

	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_NUMERICSERV;
	if ((r = getaddrinfo(u->host, u->port, &hints, &ai)) != 0) {
		say(err, "cannot resolve %s: %s", u->host, gai_strerror(r));
		return HK_EIO;
	}
	for (a = ai; a != NULL; a = a->ai_next) {
		if ((fd = socket(a->ai_family, a->ai_socktype | SOCK_CLOEXEC,
			 a->ai_protocol)) < 0) {
			last = errno;
			continue;
		}
		(void)fcntl(fd, F_SETFL, O_NONBLOCK);
		if (connect(fd, a->ai_addr, a->ai_addrlen) != 0 &&
		    errno != EINPROGRESS) {
			last = errno;
			goto next;
		}
		pfd.fd = fd;
		pfd.events = POLLOUT;
		while ((r = poll(&pfd, 1, (int)left_ms(deadline))) < 0 &&
		    errno == EINTR)
			;
		if (r == 0) {
			timed_out = true;
			goto next;
		}
		sl = sizeof(soerr);
		if (r < 0 || getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr,
				 &sl) != 0 ||
		    soerr != 0) {
			last = r < 0 ? errno : soerr;
			goto next;
		}
		(void)fcntl(fd, F_SETFL, 0);
		freeaddrinfo(ai);
		*fdp = fd;
		return 0;
	next:
		close(fd);
		fd = -1;
	}
	freeaddrinfo(ai);
	if (timed_out) {
		say(err, "cannot connect to %s port %s: timed out", u->host,
		    u->port);
		return HK_ETIMEOUT;
	}
	say(err, "cannot connect to %s port %s: %s", u->host, u->port,
	    strerror(last));
	return HK_EIO;
}

/* ctx_new(o, out, err): the TLS client context of ${o}. */
static int
ctx_new(const struct hk_https_opts *o, SSL_CTX **out, char *err)
{
	static const unsigned char alpn[] = "\x08http/1.1";
	SSL_CTX *ctx;

	ERR_clear_error();
	if ((ctx = SSL_CTX_new(TLS_client_method())) == NULL)
		return HK_ENOMEM;
	if (SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION) != 1 ||
	    SSL_CTX_set_alpn_protos(ctx, alpn, sizeof(alpn) - 1) != 0) {
		say(err, "TLS set-up: %s", ssl_why());
		goto bad;
	}
	SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, NULL);
	if (SSL_CTX_load_verify_locations(ctx, o->ca_file, NULL) != 1) {
		say(err, "cannot load the CA file %s: %s", o->ca_file,
		    ssl_why());
		goto bad;
	}
	if (o->cert_file != NULL &&
	    (SSL_CTX_use_certificate_chain_file(ctx, o->cert_file) != 1 ||
		SSL_CTX_use_PrivateKey_file(ctx, o->key_file,
		    SSL_FILETYPE_PEM) != 1 ||
		SSL_CTX_check_private_key(ctx) != 1)) {
		say(err, "cannot load the client certificate %s and key %s: %s",
		    o->cert_file, o->key_file, ssl_why());
		goto bad;
	}
	*out = ctx;
	return 0;
bad:
	SSL_CTX_free(ctx);
	return HK_EINVAL;
}

/* io_fail(ssl, rc, what, err): the error of a failed SSL_* call. */
static int
io_fail(SSL *ssl, int rc, const char *what, char *err)
{
	int e = SSL_get_error(ssl, rc);

	/* SO_RCVTIMEO/SO_SNDTIMEO expired: the blocking socket returned
	 * EAGAIN, which OpenSSL reports as "want read/write". */
	if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE ||
	    (e == SSL_ERROR_SYSCALL &&
		(errno == EAGAIN || errno == EWOULDBLOCK))) {
		ERR_clear_error();
		say(err, "%s: timed out", what);
		return HK_ETIMEOUT;
	}
	if (e == SSL_ERROR_ZERO_RETURN || (e == SSL_ERROR_SYSCALL &&
					       errno == 0) ||
	    ERR_GET_REASON(ERR_peek_error()) ==
		SSL_R_UNEXPECTED_EOF_WHILE_READING) {
		ERR_clear_error();
		say(err, "%s: the server closed the connection", what);
		return HK_EPROTO;
	}
	say(err, "%s: %s", what,
	    e == SSL_ERROR_SYSCALL ? strerror(errno) : ssl_why());
	return HK_EIO;
}

/* handshake(ssl, u, err): TLS with the server's name checked. */
static int
handshake(SSL *ssl, const struct hk_https_url *u, char *err)
{
	X509_VERIFY_PARAM *vp = SSL_get0_param(ssl);
	unsigned char probe[16];
	bool ip = u->ipv6 || inet_pton(AF_INET, u->host, probe) == 1;
	long v;
	int rc;

	if (ip) {
		if (X509_VERIFY_PARAM_set1_ip_asc(vp, u->host) != 1) {
			say(err, "bad address %s", u->host);
			return HK_EINVAL;
		}
	} else if (SSL_set1_host(ssl, u->host) != 1 ||
	    SSL_set_tlsext_host_name(ssl, u->host) != 1) {
		say(err, "bad host name %s", u->host);
		return HK_EINVAL;
	}
	ERR_clear_error();
	if ((rc = SSL_connect(ssl)) == 1)
		return 0;
	if ((v = SSL_get_verify_result(ssl)) != X509_V_OK) {
		ERR_clear_error();
		say(err, "the server certificate of %s is not trusted: %s",
		    u->host, X509_verify_cert_error_string(v));
		return HK_EVERIFY;
	}
	rc = io_fail(ssl, rc, "TLS handshake", err);
	return rc == HK_ETIMEOUT ? rc : HK_EIO;
}

/* token(s): an HTTP method: upper-case letters only. */
static bool
method_ok(const char *s)
{
	size_t i;

	for (i = 0; s[i] != '\0'; i++)
		if (s[i] < 'A' || s[i] > 'Z')
			return false;
	return i > 0 && i <= 16;
}

/* text_ok(s, path): printable ASCII, no space for a path. */
static bool
text_ok(const char *s, bool path)
{
	size_t i;

	for (i = 0; s[i] != '\0'; i++)
		if (s[i] < 0x20 || s[i] > 0x7e || (path && s[i] == ' '))
			return false;
	return true;
}

/* build(u, method, path, auth, body, blen, out): the request bytes. */
static int
build(const struct hk_https_url *u, const char *method, const char *path,
    const char *auth, const uint8_t *body, size_t blen, struct hk_buf *out)
{
	bool get = strcmp(method, "GET") == 0;
	int r;

	if ((r = hk_buf_printf(out,
		 "%s %s HTTP/1.1\r\nHost: %s%s%s:%s\r\n"
		 "User-Agent: hanko\r\nAccept: application/json\r\n"
		 "Connection: close\r\n",
		 method, path, u->ipv6 ? "[" : "", u->host, u->ipv6 ? "]" : "",
		 u->port)) != 0)
		return r;
	if (auth != NULL &&
	    ((r = hk_buf_puts(out, "Authorization: ")) != 0 ||
		(r = hk_buf_puts(out, auth)) != 0 ||
		(r = hk_buf_puts(out, "\r\n")) != 0))
		return r;
	if (!get && ((body != NULL &&
			 (r = hk_buf_puts(out, "Content-Type: "
					       "application/json\r\n")) != 0) ||
			(r = hk_buf_printf(out, "Content-Length: %zu\r\n",
			     body != NULL ? blen : 0)) != 0))
		return r;
	if ((r = hk_buf_puts(out, "\r\n")) != 0)
		return r;
	if (!get && body != NULL && blen > 0)
		return hk_buf_put(out, body, blen);
	return 0;
}

/* find_head_end(p, n): the length of the head including its blank
 * line, or 0 when it is not complete. */
static size_t
find_head_end(const uint8_t *p, size_t n)
{
	size_t i;

	for (i = 0; i + 4 <= n; i++)
		if (memcmp(p + i, "\r\n\r\n", 4) == 0)
			return i + 4;
	return 0;
}

/*
 * parse_head(p, n, resp, clen, err): the status line "HTTP/1.1 NNN
 * reason", then field lines "name: value". Exactly one Content-Length
 * (digits), no Transfer-Encoding, no obs-fold, no bare CR or LF.
 */
static int
parse_head(const char *p, size_t n, struct hk_https_response *resp,
    size_t *clen, char *err)
{
	const char *line = p, *end = p + n - 2, *eol, *colon, *v, *ve;
	size_t ll, nl, vl, i;
	bool have_cl = false;
	unsigned long long cl = 0;

	for (i = 0; i < n - 2; i++)
		if ((p[i] == '\r' && p[i + 1] != '\n') ||
		    (p[i] == '\n' && (i == 0 || p[i - 1] != '\r')) ||
		    p[i] == '\0') {
			say(err, "malformed answer: bare CR, LF or NUL in the "
				 "head");
			return HK_EPROTO;
		}
	eol = memchr(line, '\r', (size_t)(end - line));
	ll = (size_t)(eol - line);
	if (ll < 12 || memcmp(line, "HTTP/1.1 ", 9) != 0 || line[9] < '1' ||
	    line[9] > '5' || line[10] < '0' || line[10] > '9' ||
	    line[11] < '0' || line[11] > '9' || (ll > 12 && line[12] != ' ')) {
		say(err, "malformed answer: not an HTTP/1.1 status line");
		return HK_EPROTO;
	}
	resp->status = (line[9] - '0') * 100 + (line[10] - '0') * 10 +
	    (line[11] - '0');
	if (resp->status < 200) {
		say(err, "unexpected interim answer %d", resp->status);
		return HK_EPROTO;
	}
	for (line = eol + 2; line < end; line = eol + 2) {
		eol = memchr(line, '\r', (size_t)(end - line) + 1);
		ll = (size_t)(eol - line);
		if (ll == 0 || line[0] == ' ' || line[0] == '\t' ||
		    (colon = memchr(line, ':', ll)) == NULL || colon == line) {
			say(err, "malformed answer: bad header field line");
			return HK_EPROTO;
		}
		nl = (size_t)(colon - line);
		for (v = colon + 1; v < eol && (*v == ' ' || *v == '\t'); v++)
			;
		for (ve = eol; ve > v && (ve[-1] == ' ' || ve[-1] == '\t');
		    ve--)
			;
		vl = (size_t)(ve - v);
		if (nl == 14 && strncasecmp(line, "Content-Length", 14) == 0) {
			if (have_cl || vl == 0 || vl > 12) {
				say(err, "malformed answer: bad or repeated "
					 "Content-Length");
				return HK_EPROTO;
			}
			for (i = 0; i < vl; i++) {
				if (v[i] < '0' || v[i] > '9') {
					say(err, "malformed answer: bad "
						 "Content-Length");
					return HK_EPROTO;
				}
				cl = cl * 10 + (unsigned)(v[i] - '0');
			}
			have_cl = true;
		} else if (nl == 17 &&
		    strncasecmp(line, "Transfer-Encoding", 17) == 0) {
			say(err, "unsupported answer: Transfer-Encoding");
			return HK_EPROTO;
		} else if (nl == 12 &&
		    strncasecmp(line, "Content-Type", 12) == 0) {
			if (vl >= sizeof(resp->content_type))
				vl = sizeof(resp->content_type) - 1;
			memcpy(resp->content_type, v, vl);
			resp->content_type[vl] = '\0';
		}
	}
	if (!have_cl) {
		say(err, "malformed answer: no Content-Length");
		return HK_EPROTO;
	}
	*clen = (size_t)cl;
	return 0;
}

/** hk_https_request(o, u, method, path, auth, body, blen, resp, err). */
int
hk_https_request(const struct hk_https_opts *o, const struct hk_https_url *u,
    const char *method, const char *path, const char *auth,
    const uint8_t *body, size_t blen, struct hk_https_response *resp,
    char *err)
{
	struct hk_buf req = HK_BUF_INIT;
	SSL_CTX *ctx = NULL;
	SSL *ssl = NULL;
	uint64_t deadline;
	size_t max_body = o->max_body ? o->max_body : HK_HTTPS_MAX_BODY;
	size_t head = 0, clen = 0, got, want;
	int fd = -1, r, rc;

	resp->status = 0;
	resp->content_type[0] = '\0';
	hk_buf_reset(&resp->body);
	if (o->ca_file == NULL || (o->cert_file == NULL) !=
				      (o->key_file == NULL) ||
	    !method_ok(method) || path[0] != '/' || !text_ok(path, true) ||
	    (auth != NULL && !text_ok(auth, false))) {
		say(err, "bad request arguments");
		return HK_EINVAL;
	}
	deadline = now_ms() + (o->timeout_ms ? o->timeout_ms :
					       HK_HTTPS_TIMEOUT_MS);
	if ((r = build(u, method, path, auth, body, blen, &req)) != 0 ||
	    (r = ctx_new(o, &ctx, err)) != 0 ||
	    (r = tcp_connect(u, deadline, &fd, err)) != 0)
		goto out;
	set_timeouts(fd, left_ms(deadline));
	if ((ssl = SSL_new(ctx)) == NULL || SSL_set_fd(ssl, fd) != 1) {
		r = HK_ENOMEM;
		goto out;
	}
	if ((r = handshake(ssl, u, err)) != 0)
		goto out;
	set_timeouts(fd, left_ms(deadline));
	ERR_clear_error();
	if ((rc = SSL_write_ex(ssl, req.p, req.len, &got)) != 1) {
		r = io_fail(ssl, rc, "sending the request", err);
		goto out;
	}
	/* The head, then exactly Content-Length bytes. */
	for (;;) {
		if (head == 0) {
			want = HK_HTTPS_MAX_HEAD + 1 - resp->body.len;
		} else {
			if (resp->body.len >= head + clen)
				break;
			want = head + clen - resp->body.len;
		}
		if (want > 65536)
			want = 65536;
		if ((r = hk_buf_reserve(&resp->body, want)) != 0)
			goto out;
		set_timeouts(fd, left_ms(deadline));
		ERR_clear_error();
		if ((rc = SSL_read_ex(ssl, resp->body.p + resp->body.len, want,
			 &got)) != 1) {
			r = io_fail(ssl, rc, "reading the answer", err);
			if (r == HK_EPROTO)
				say(err, "the server closed the connection "
					 "before the answer was complete");
			goto out;
		}
		if (now_ms() > deadline) {
			say(err, "reading the answer: timed out");
			r = HK_ETIMEOUT;
			goto out;
		}
		resp->body.len += got;
		if (head != 0)
			continue;
		if ((head = find_head_end(resp->body.p, resp->body.len)) ==
		    0) {
			if (resp->body.len > HK_HTTPS_MAX_HEAD) {
				say(err, "answer head over %d bytes",
				    HK_HTTPS_MAX_HEAD);
				r = HK_ETOOBIG;
				goto out;
			}
			continue;
		}
		if ((r = parse_head((const char *)resp->body.p, head, resp,
			 &clen, err)) != 0)
			goto out;
		if (clen > max_body) {
			say(err, "answer body of %zu bytes over the limit "
				 "(%zu)", clen, max_body);
			r = HK_ETOOBIG;
			goto out;
		}
	}
	if (resp->body.len != head + clen) {
		say(err, "malformed answer: bytes after the body");
		r = HK_EPROTO;
		goto out;
	}
	memmove(resp->body.p, resp->body.p + head, clen);
	sodium_memzero(resp->body.p + clen, resp->body.len - clen);
	resp->body.len = clen;
	(void)SSL_shutdown(ssl);
	r = 0;
out:
	if (r != 0)
		hk_https_response_release(resp);
	ERR_clear_error();
	SSL_free(ssl);
	SSL_CTX_free(ctx);
	if (fd >= 0)
		close(fd);
	hk_buf_release(&req); /* wiped: Authorization, PINs */
	return r;
}

/** hk_https_response_json(r, out, err): the body as one JSON object. */
int
hk_https_response_json(const struct hk_https_response *r, json_t **out,
    char *err)
{
	json_error_t je;
	json_t *v;
	size_t tl = strcspn(r->content_type, "; ");

	if (tl != 16 || strncasecmp(r->content_type, "application/json", 16) !=
			    0) {
		say(err, "the answer (status %d) is not JSON", r->status);
		return HK_EPROTO;
	}
	if ((v = json_loadb(r->body.p != NULL ? (const char *)r->body.p : "",
		 r->body.len, JSON_REJECT_DUPLICATES, &je)) == NULL ||
	    !json_is_object(v)) {
		json_decref(v);
		say(err, "the answer (status %d) is not one JSON object",
		    r->status);
		return HK_EPROTO;
	}
	*out = v;
	return 0;
}

/** hk_https_response_release(r): wipe and free the body. */
void
hk_https_response_release(struct hk_https_response *r)
{
	hk_buf_release(&r->body);
}

/* wipe_free(p): jansson's free: wipe the whole block first. */
static void
wipe_free(void *p)
{
	if (p == NULL)
		return;
	sodium_memzero(p, malloc_usable_size(p));
	free(p);
}

/** hk_https_json_wipe(): jansson wipes what it frees. */
void
hk_https_json_wipe(void)
{
	json_set_alloc_funcs(malloc, wipe_free);
}
