/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Unit tests for core/https (OPS-1, REG-2, END-2; NET-2 from the client's
 * side): the command line's HTTPS client against a TLS peer run in a
 * thread of this test (an "openssl s_server"-style peer on OpenSSL's
 * server side, with certificates made by the openssl command): the exact
 * request bytes (request line, Host, Connection: close, Authorization,
 * Content-Length, body), a client certificate presented when asked, the
 * server certificate refused when it is from another CA or names another
 * host, TLS 1.1 refused, connect errors and time limits, and every
 * malformed or oversized answer refused (no Content-Length, chunked,
 * repeated or bad Content-Length, not HTTP/1.1, bare LF, obs-fold, a
 * truncated body, bytes after the body, a head or body over its bound).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <openssl/err.h>
#include <openssl/ssl.h>

#include "core/https.h"

static char dir[256];

/* path(name): "${dir}/${name}", stable for the whole run (options hold
 * these pointers across many calls). */
static const char *
path(const char *name)
{
	static struct {
		char name[32];
		char full[300];
	} cache[32];
	size_t i;

	for (i = 0; i < 32 && cache[i].name[0] != '\0'; i++)
		if (strcmp(cache[i].name, name) == 0)
			return cache[i].full;
	assert_true(i < 32 && strlen(name) < sizeof(cache[i].name));
	snprintf(cache[i].name, sizeof(cache[i].name), "%s", name);
	snprintf(cache[i].full, sizeof(cache[i].full), "%s/%s", dir, name);
	return cache[i].full;
}

static int
setup(void **state)
{
	char cmd[4096];

	(void)state;
	snprintf(dir, sizeof(dir), "/tmp/hanko-https-XXXXXX");
	if (mkdtemp(dir) == NULL)
		return -1;
	snprintf(cmd, sizeof(cmd),
	    "set -e; cd '%s'; exec 2>gen.log\n"
	    "EC='-newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes'\n"
	    "for ca in ca otherca; do openssl req -x509 $EC -keyout $ca.key "
	    "-out $ca.pem -days 2 -subj /CN=$ca "
	    "-addext basicConstraints=critical,CA:TRUE "
	    "-addext keyUsage=critical,keyCertSign; done\n"
	    "printf 'subjectAltName=DNS:localhost,IP:127.0.0.1,IP:::1\\n"
	    "extendedKeyUsage=serverAuth\\n' >srv.ext\n"
	    "printf 'subjectAltName=DNS:wrong.example\\n"
	    "extendedKeyUsage=serverAuth\\n' >wrong.ext\n"
	    "printf 'extendedKeyUsage=clientAuth\\n' >cli.ext\n"
	    "for c in server:srv wrong:wrong client:cli; do n=${c%%:*}; "
	    "e=${c#*:}; openssl req -new $EC -keyout $n.key -out $n.csr "
	    "-subj /CN=$n; openssl x509 -req -in $n.csr -CA ca.pem -CAkey "
	    "ca.key -CAcreateserial -days 2 -out $n.pem -extfile $e.ext; "
	    "done\n",
	    dir);
	return system(cmd) == 0 ? 0 : -1;
}

static int
teardown(void **state)
{
	char cmd[512];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	return system(cmd) == 0 ? 0 : -1;
}

/* ---- the peer ----------------------------------------------------------- */

struct peer {
	int lfd;
	unsigned port;
	SSL_CTX *ctx;
	const char *answer; /* written after the request; NULL: stay silent */
	size_t alen;
	char req[16384];    /* what arrived */
	size_t reqlen;
	bool client_cert;   /* a client certificate was presented */
	pthread_t th;
};

/* request_done(p): the request's head and Content-Length body arrived. */
static bool
request_done(struct peer *p)
{
	char *end, *cl;
	size_t head, n = 0;

	p->req[p->reqlen] = '\0';
	if ((end = strstr(p->req, "\r\n\r\n")) == NULL)
		return false;
	head = (size_t)(end - p->req) + 4;
	if ((cl = strstr(p->req, "Content-Length: ")) != NULL && cl < end)
		n = strtoul(cl + 16, NULL, 10);
	return p->reqlen >= head + n;
}

static void *
peer_main(void *arg)
{
	struct peer *p = arg;
	struct pollfd pfd = {p->lfd, POLLIN, 0};
	SSL *ssl = NULL;
	X509 *cert;
	char buf[256];
	int fd = -1, n;

	if (poll(&pfd, 1, 10000) != 1 || (fd = accept(p->lfd, NULL, NULL)) < 0)
		return NULL;
	if ((ssl = SSL_new(p->ctx)) == NULL || SSL_set_fd(ssl, fd) != 1 ||
	    SSL_accept(ssl) != 1)
		goto out;
	if ((cert = SSL_get1_peer_certificate(ssl)) != NULL) {
		p->client_cert = true;
		X509_free(cert);
	}
	while (!request_done(p) && p->reqlen < sizeof(p->req) - 1) {
		if ((n = SSL_read(ssl, p->req + p->reqlen,
			 (int)(sizeof(p->req) - 1 - p->reqlen))) <= 0)
			goto out;
		p->reqlen += (size_t)n;
	}
	if (p->answer == NULL) {
		/* Silent: wait until the client gives up. */
		while (SSL_read(ssl, buf, sizeof(buf)) > 0)
			;
		goto out;
	}
	if (SSL_write(ssl, p->answer, (int)p->alen) > 0)
		(void)SSL_shutdown(ssl);
out:
	SSL_free(ssl);
	if (fd >= 0)
		close(fd);
	return NULL;
}

/* peer_start(p, cert, answer, require_cert, tls11): listen on a free
 * loopback port and serve one connection in a thread. */
static void
peer_start(struct peer *p, const char *cert, const char *answer,
    bool require_cert, bool tls11)
{
	struct sockaddr_in a;
	socklen_t al = sizeof(a);
	char key[64];

	memset(p, 0, sizeof(*p));
	p->answer = answer;
	p->alen = answer != NULL ? strlen(answer) : 0;
	assert_non_null(p->ctx = SSL_CTX_new(TLS_server_method()));
	assert_int_equal(SSL_CTX_use_certificate_chain_file(p->ctx,
			     path(cert)),
	    1);
	snprintf(key, sizeof(key), "%.*s.key", (int)strlen(cert) - 4, cert);
	assert_int_equal(SSL_CTX_use_PrivateKey_file(p->ctx, path(key),
			     SSL_FILETYPE_PEM),
	    1);
	if (require_cert) {
		assert_int_equal(SSL_CTX_load_verify_locations(p->ctx,
				     path("ca.pem"), NULL),
		    1);
		SSL_CTX_set_verify(p->ctx,
		    SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, NULL);
	}
	if (tls11) {
		assert_int_equal(SSL_CTX_set_max_proto_version(p->ctx,
				     TLS1_1_VERSION),
		    1);
		SSL_CTX_set_security_level(p->ctx, 0);
		(void)SSL_CTX_set_cipher_list(p->ctx, "DEFAULT:@SECLEVEL=0");
	}
	assert_true((p->lfd = socket(AF_INET, SOCK_STREAM, 0)) >= 0);
	memset(&a, 0, sizeof(a));
	a.sin_family = AF_INET;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(p->lfd, (struct sockaddr *)&a, sizeof(a)), 0);
	assert_int_equal(listen(p->lfd, 4), 0);
	assert_int_equal(getsockname(p->lfd, (struct sockaddr *)&a, &al), 0);
	p->port = ntohs(a.sin_port);
	assert_int_equal(pthread_create(&p->th, NULL, peer_main, p), 0);
}

static void
peer_stop(struct peer *p)
{
	pthread_join(p->th, NULL);
	close(p->lfd);
	SSL_CTX_free(p->ctx);
}

static struct hk_https_url
url(const char *host, unsigned port)
{
	struct hk_https_url u;
	char s[300];

	snprintf(s, sizeof(s), "https://%s:%u", host, port);
	assert_int_equal(hk_https_url_parse(s, &u), 0);
	return u;
}

static const char ok_json[] = "HTTP/1.1 200 OK\r\n"
			      "Content-Type: application/json\r\n"
			      "Content-Length: 20\r\n"
			      "Connection: close\r\n\r\n"
			      "{\"state\":\"active\"}\r\n";

/* ---- tests -------------------------------------------------------------- */

static void
test_https_url_parse(void **state)
{
	static const char *bad[] = {"http://127.0.0.1:8444", "https://h",
	    "https://h:", "https://:8444", "https://h:0", "https://h:65536",
	    "https://h:8444/x", "https://h:8444?q", "https://h:84x",
	    "https://[::1]8444", "https://u@h:1", "https://h/:1", NULL};
	struct hk_https_url u;
	size_t i;

	(void)state;
	assert_int_equal(hk_https_url_parse("https://127.0.0.1:8444", &u), 0);
	assert_string_equal(u.host, "127.0.0.1");
	assert_string_equal(u.port, "8444");
	assert_false(u.ipv6);
	assert_int_equal(hk_https_url_parse("https://[::1]:443/", &u), 0);
	assert_string_equal(u.host, "::1");
	assert_string_equal(u.port, "443");
	assert_true(u.ipv6);
	assert_int_equal(hk_https_url_parse("https://localhost:1", &u), 0);
	for (i = 0; bad[i] != NULL; i++)
		if (hk_https_url_parse(bad[i], &u) != HK_EINVAL)
			fail_msg("accepted %s", bad[i]);
}

/* GET: the exact request bytes; the answer and its JSON. */
static void
test_https_get_exact_request(void **state)
{
	struct hk_https_opts o = {path("ca.pem"), NULL, NULL, 5000, 0};
	struct hk_https_response resp = {0};
	struct hk_https_url u;
	struct peer p;
	char want[512], err[HK_HTTPS_ERR_LEN] = "";
	json_t *j = NULL;

	(void)state;
	peer_start(&p, "server.pem", ok_json, false, false);
	u = url("127.0.0.1", p.port);
	assert_int_equal(hk_https_request(&o, &u, "GET", "/admin/v1/status",
			     NULL, NULL, 0, &resp, err),
	    0);
	peer_stop(&p);
	snprintf(want, sizeof(want),
	    "GET /admin/v1/status HTTP/1.1\r\nHost: 127.0.0.1:%u\r\n"
	    "User-Agent: hanko\r\nAccept: application/json\r\n"
	    "Connection: close\r\n\r\n",
	    p.port);
	assert_string_equal(p.req, want);
	assert_false(p.client_cert);
	assert_int_equal(resp.status, 200);
	assert_string_equal(resp.content_type, "application/json");
	assert_int_equal(resp.body.len, 20);
	assert_int_equal(hk_https_response_json(&resp, &j, err), 0);
	assert_string_equal(json_string_value(json_object_get(j, "state")),
	    "active");
	json_decref(j);
	hk_https_response_release(&resp);
}

/* POST with a client certificate, Authorization and a body; an error
 * status is still an answer. The name "localhost" is checked too. */
static void
test_https_post_client_cert(void **state)
{
	static const char conflict[] =
	    "HTTP/1.1 409 Conflict\r\nContent-Type: application/json; "
	    "charset=utf-8\r\nContent-Length: 20\r\n\r\n"
	    "{\"error\":\"conflict\"}";
	struct hk_https_opts o = {path("ca.pem"), path("client.pem"),
	    path("client.key"), 5000, 0};
	struct hk_https_response resp = {0};
	struct hk_https_url u;
	struct peer p;
	char want[512], err[HK_HTTPS_ERR_LEN] = "";
	json_t *j = NULL;

	(void)state;
	peer_start(&p, "server.pem", conflict, true, false);
	u = url("localhost", p.port);
	assert_int_equal(hk_https_request(&o, &u, "POST", "/signer/v1/nonce",
			     "Basic czpw", (const uint8_t *)"{\"a\":1}", 7,
			     &resp, err),
	    0);
	peer_stop(&p);
	snprintf(want, sizeof(want),
	    "POST /signer/v1/nonce HTTP/1.1\r\nHost: localhost:%u\r\n"
	    "User-Agent: hanko\r\nAccept: application/json\r\n"
	    "Connection: close\r\nAuthorization: Basic czpw\r\n"
	    "Content-Type: application/json\r\nContent-Length: 7\r\n\r\n"
	    "{\"a\":1}",
	    p.port);
	assert_string_equal(p.req, want);
	assert_true(p.client_cert);
	assert_int_equal(resp.status, 409);
	assert_int_equal(hk_https_response_json(&resp, &j, err), 0);
	json_decref(j);
	hk_https_response_release(&resp);

	/* POST without a body still says Content-Length: 0. */
	peer_start(&p, "server.pem", conflict, true, false);
	u = url("127.0.0.1", p.port);
	assert_int_equal(hk_https_request(&o, &u, "POST", "/x", NULL, NULL, 0,
			     &resp, err),
	    0);
	peer_stop(&p);
	assert_non_null(strstr(p.req, "\r\nContent-Length: 0\r\n\r\n"));
	assert_null(strstr(p.req, "Content-Type"));
	hk_https_response_release(&resp);
}

/* expect_fail(cert, answer, require, tls11, host, o, want, text): one
 * exchange that must fail with ${want} and an error naming ${text}. */
static void
expect_fail(const char *cert, const char *answer, bool require, bool tls11,
    const char *host, const struct hk_https_opts *o, int want,
    const char *text)
{
	struct hk_https_response resp = {0};
	struct hk_https_url u;
	struct peer p;
	char err[HK_HTTPS_ERR_LEN] = "";
	int r;

	peer_start(&p, cert, answer, require, tls11);
	u = url(host, p.port);
	r = hk_https_request(o, &u, "GET", "/", NULL, NULL, 0, &resp, err);
	peer_stop(&p);
	if (r != want || strstr(err, text) == NULL)
		fail_msg("%s: got %d \"%s\", want %d \"%s\"",
		    answer != NULL ? answer : "(silent)", r, err, want, text);
	assert_int_equal(resp.body.len, 0);
	hk_https_response_release(&resp);
}

static void
test_https_server_verified(void **state)
{
	struct hk_https_opts o = {path("ca.pem"), NULL, NULL, 5000, 0};
	struct hk_https_opts other = {path("otherca.pem"), NULL, NULL, 5000,
	    0};
	struct hk_https_opts cli = {path("ca.pem"), path("client.pem"),
	    path("client.key"), 5000, 0};

	(void)state;
	expect_fail("server.pem", ok_json, false, false, "127.0.0.1", &other,
	    HK_EVERIFY, "not trusted");
	expect_fail("wrong.pem", ok_json, false, false, "127.0.0.1", &o,
	    HK_EVERIFY, "not trusted");
	expect_fail("wrong.pem", ok_json, false, false, "localhost", &o,
	    HK_EVERIFY, "hostname mismatch");
	/* The server asks for a client certificate we do not have. */
	expect_fail("server.pem", ok_json, true, false, "127.0.0.1", &o,
	    HK_EIO, "");
	/* TLS 1.1 only. */
	expect_fail("server.pem", ok_json, false, true, "127.0.0.1", &cli,
	    HK_EIO, "TLS handshake");
}

static void
test_https_malformed_answers(void **state)
{
	const struct {
		const char *answer;
		int want;
		const char *text;
	} cases[] = {
	    {"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n\r\n{}",
		HK_EPROTO, "no Content-Length"},
	    {"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
	     "2\r\n{}\r\n0\r\n\r\n",
		HK_EPROTO, "Transfer-Encoding"},
	    {"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Length: 2\r\n"
	     "\r\n{}",
		HK_EPROTO, "repeated Content-Length"},
	    {"HTTP/1.1 200 OK\r\nContent-Length: -2\r\n\r\n{}", HK_EPROTO,
		"bad Content-Length"},
	    {"HTTP/1.1 200 OK\r\nContent-Length: 0x2\r\n\r\n{}", HK_EPROTO,
		"bad Content-Length"},
	    {"HTTP/1.0 200 OK\r\nContent-Length: 2\r\n\r\n{}", HK_EPROTO,
		"status line"},
	    {"HTTP/1.1 2000 OK\r\nContent-Length: 2\r\n\r\n{}", HK_EPROTO,
		"status line"},
	    {"HTTP/1.1 099 X\r\nContent-Length: 2\r\n\r\n{}", HK_EPROTO,
		"status line"},
	    {"HTTP/1.1 100 Continue\r\n\r\n", HK_EPROTO, "interim"},
	    {"HTTP/1.1 200 OK\nContent-Length: 2\r\n\r\n{}", HK_EPROTO,
		"bare CR, LF"},
	    {"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n X: y\r\n\r\n{}",
		HK_EPROTO, "bad header field line"},
	    {"HTTP/1.1 200 OK\r\nno colon\r\nContent-Length: 2\r\n\r\n{}",
		HK_EPROTO, "bad header field line"},
	    {"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n{}", HK_EPROTO,
		"before the answer was complete"},
	    {"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n{}xx", HK_EPROTO,
		"bytes after the body"},
	    {"HTTP/1.1 200 OK\r\nContent-Length: 1000000000\r\n\r\n{}",
		HK_ETOOBIG, "over the limit"},
	    {"HTTP/1.1 200 OK\r\nContent-Le", HK_EPROTO,
		"before the answer was complete"},
	};
	struct hk_https_opts o = {path("ca.pem"), NULL, NULL, 5000, 0};
	char *big;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		expect_fail("server.pem", cases[i].answer, false, false,
		    "127.0.0.1", &o, cases[i].want, cases[i].text);
	/* A head over 16 KiB. */
	assert_non_null(big = malloc(20000));
	memset(big, 'a', 19999);
	big[19999] = '\0';
	memcpy(big, "HTTP/1.1 200 OK\r\nX: ", 20);
	expect_fail("server.pem", big, false, false, "127.0.0.1", &o,
	    HK_ETOOBIG, "head over");
	free(big);
	/* A body over the caller's bound. */
	o.max_body = 19;
	expect_fail("server.pem", ok_json, false, false, "127.0.0.1", &o,
	    HK_ETOOBIG, "over the limit (19)");
}

static void
test_https_time_limits_and_connect_errors(void **state)
{
	struct hk_https_opts o = {path("ca.pem"), NULL, NULL, 700, 0};
	struct hk_https_response resp = {0};
	struct hk_https_url u;
	struct timespec t0, t1;
	char err[HK_HTTPS_ERR_LEN] = "";
	double dt;
	int fd;
	struct sockaddr_in a;
	socklen_t al = sizeof(a);

	(void)state;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	expect_fail("server.pem", NULL, false, false, "127.0.0.1", &o,
	    HK_ETIMEOUT, "timed out");
	clock_gettime(CLOCK_MONOTONIC, &t1);
	dt = (double)(t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) / 1e9;
	assert_true(dt >= 0.6 && dt < 3.0);

	/* A port nobody listens on. */
	assert_true((fd = socket(AF_INET, SOCK_STREAM, 0)) >= 0);
	memset(&a, 0, sizeof(a));
	a.sin_family = AF_INET;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&a, &al), 0);
	close(fd);
	u = url("127.0.0.1", ntohs(a.sin_port));
	assert_int_equal(hk_https_request(&o, &u, "GET", "/", NULL, NULL, 0,
			     &resp, err),
	    HK_EIO);
	assert_non_null(strstr(err, "cannot connect"));

	/* Bad arguments and files. */
	assert_int_equal(hk_https_request(&o, &u, "get", "/", NULL, NULL, 0,
			     &resp, err),
	    HK_EINVAL);
	assert_int_equal(hk_https_request(&o, &u, "GET", "/a b", NULL, NULL, 0,
			     &resp, err),
	    HK_EINVAL);
	assert_int_equal(hk_https_request(&o, &u, "GET", "/", "x\r\nY: z",
			     NULL, 0, &resp, err),
	    HK_EINVAL);
	o.ca_file = path("missing.pem");
	assert_int_equal(hk_https_request(&o, &u, "GET", "/", NULL, NULL, 0,
			     &resp, err),
	    HK_EINVAL);
	assert_non_null(strstr(err, "cannot load the CA file"));
	hk_https_response_release(&resp);
}

static void
test_https_json_strict(void **state)
{
	struct hk_https_response r = {0};
	char err[HK_HTTPS_ERR_LEN];
	json_t *j = NULL;

	(void)state;
	r.status = 200;
	snprintf(r.content_type, sizeof(r.content_type), "text/html");
	assert_int_equal(hk_buf_puts(&r.body, "{}"), 0);
	assert_int_equal(hk_https_response_json(&r, &j, err), HK_EPROTO);
	snprintf(r.content_type, sizeof(r.content_type), "application/json");
	assert_int_equal(hk_https_response_json(&r, &j, err), 0);
	json_decref(j);
	hk_buf_reset(&r.body);
	assert_int_equal(hk_buf_puts(&r.body, "{\"a\":1,\"a\":2}"), 0);
	assert_int_equal(hk_https_response_json(&r, &j, err), HK_EPROTO);
	hk_buf_reset(&r.body);
	assert_int_equal(hk_buf_puts(&r.body, "[1]"), 0);
	assert_int_equal(hk_https_response_json(&r, &j, err), HK_EPROTO);
	hk_buf_reset(&r.body);
	assert_int_equal(hk_buf_puts(&r.body, "{} x"), 0);
	assert_int_equal(hk_https_response_json(&r, &j, err), HK_EPROTO);
	hk_https_response_release(&r);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_https_url_parse),
	    cmocka_unit_test(test_https_get_exact_request),
	    cmocka_unit_test(test_https_post_client_cert),
	    cmocka_unit_test(test_https_server_verified),
	    cmocka_unit_test(test_https_malformed_answers),
	    cmocka_unit_test(test_https_time_limits_and_connect_errors),
	    cmocka_unit_test(test_https_json_strict),
	};

	signal(SIGPIPE, SIG_IGN);
	hk_https_json_wipe();
	return cmocka_run_group_tests(tests, setup, teardown);
}
