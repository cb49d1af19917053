/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Unit tests for net/front (NET-1, NET-2, NET-3, ACT-5): the contract of
 * net_front_new/run/free in one process. The front's loop runs on the
 * test's main thread; a FAKE CORE (a test double for the core only, here
 * the test itself or a thread on the other end of the socketpair) and an
 * OpenSSL client thread play the other parts. Checked: configuration and
 * bind errors (with the logged message) leave the caller owning the IPC
 * fd; new+free without run releases everything (ports, fd); every way the
 * core channel can fail makes net_front_run return HK_EIO or HK_EPROTO and
 * log why; SIGTERM ends the loop with 0; a request travels client -> front
 * -> fake core -> front -> client with the context the core must see.
 * The system test with independent clients is
 * tests/integration/30-front.sh.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
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

#include "core/config.h"
#include "core/ipc.h"
#include "core/mpk.h"
#include "net/console.h"
#include "net/front.h"

static char dir[256];
static char logpath[300];
static int saved_stderr = -1;
static char logbuf[65536]; /* the last captured log */

static const char *
path(const char *name)
{
	static char bufs[4][512];
	static int i;

	i = (i + 1) % 4;
	snprintf(bufs[i], sizeof(bufs[i]), "%s/%s", dir, name);
	return bufs[i];
}

static int
setup(void **state)
{
	char cmd[2048];

	(void)state;
	snprintf(dir, sizeof(dir), "/tmp/hanko-front-XXXXXX");
	if (mkdtemp(dir) == NULL)
		return -1;
	snprintf(logpath, sizeof(logpath), "%s/stderr.log", dir);
	snprintf(cmd, sizeof(cmd),
	    "set -e; cd '%s'; exec 2>gen.log\n"
	    "openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 "
	    "-nodes -keyout server.key -out server.pem -days 2 "
	    "-subj /CN=localhost -addext subjectAltName=DNS:localhost\n"
	    "openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 "
	    "-nodes -keyout ca.key -out ca.pem -days 2 -subj /CN=Test-CA "
	    "-addext basicConstraints=critical,CA:TRUE "
	    "-addext keyUsage=critical,keyCertSign,cRLSign\n"
	    /* A client certificate of that CA for the admin listener. */
	    "openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes "
	    "-keyout client.key -out client.csr -subj /CN=auditor\n"
	    "openssl x509 -req -in client.csr -CA ca.pem -CAkey ca.key "
	    "-CAcreateserial -out client.pem -days 2\n",
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

/* Capture what the front logs (stderr) into logpath. */
static void
log_capture(void)
{
	int fd = open(logpath, O_WRONLY | O_CREAT | O_TRUNC, 0600);

	assert_true(fd >= 0);
	fflush(stderr);
	saved_stderr = dup(2);
	assert_true(saved_stderr >= 0);
	assert_true(dup2(fd, 2) == 2);
	close(fd);
}

/* log_release(want): restore stderr; true when the captured log (kept
 * in logbuf) contains ${want}. */
static bool
log_release(const char *want)
{
	FILE *f;
	size_t n;

	fflush(stderr);
	assert_true(dup2(saved_stderr, 2) == 2);
	close(saved_stderr);
	saved_stderr = -1;
	f = fopen(logpath, "r");
	assert_non_null(f);
	n = fread(logbuf, 1, sizeof(logbuf) - 1, f);
	fclose(f);
	logbuf[n] = '\0';
	if (strstr(logbuf, want) != NULL)
		return true;
	fprintf(stderr, "log lacks \"%s\":\n%s", want, logbuf);
	return false;
}

/* free_port(): a loopback port nobody listens on right now. */
static unsigned
free_port(void)
{
	struct sockaddr_in a;
	socklen_t len = sizeof(a);
	int s = socket(AF_INET, SOCK_STREAM, 0);

	assert_true(s >= 0);
	memset(&a, 0, sizeof(a));
	a.sin_family = AF_INET;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(s, (struct sockaddr *)&a, sizeof(a)), 0);
	assert_int_equal(getsockname(s, (struct sockaddr *)&a, &len), 0);
	close(s);
	return ntohs(a.sin_port);
}

static void
config(struct hk_config *cfg, unsigned sport, unsigned aport)
{
	memset(cfg, 0, sizeof(*cfg));
	snprintf(cfg->signing.host, sizeof(cfg->signing.host), "127.0.0.1");
	snprintf(cfg->admin.host, sizeof(cfg->admin.host), "127.0.0.1");
	cfg->signing.port = (uint16_t)sport;
	cfg->admin.port = (uint16_t)aport;
	snprintf(cfg->signing.cert, sizeof(cfg->signing.cert), "%s",
	    path("server.pem"));
	snprintf(cfg->signing.key, sizeof(cfg->signing.key), "%s",
	    path("server.key"));
	snprintf(cfg->admin.cert, sizeof(cfg->admin.cert), "%s",
	    path("server.pem"));
	snprintf(cfg->admin.key, sizeof(cfg->admin.key), "%s",
	    path("server.key"));
	snprintf(cfg->admin.client_ca, sizeof(cfg->admin.client_ca), "%s",
	    path("ca.pem"));
	cfg->max_connections = 10;
	cfg->idle_timeout_s = 5;
	cfg->header_timeout_s = 5;
	cfg->body_timeout_s = 5;
}

static bool
fd_open(int fd)
{
	return fcntl(fd, F_GETFD) != -1;
}

static void
test_NET1_new_refuses_bad_configuration(void **state)
{
	struct hk_config cfg;
	struct net_front_opts o;
	struct net_front *f = NULL;
	int sv[2];

	(void)state;
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	memset(&o, 0, sizeof(o));
	o.cfg = &cfg;
	o.ipc_fd = sv[0];
	config(&cfg, free_port(), free_port());
	cfg.header_timeout_s = 0;
	log_capture();
	assert_int_equal(net_front_new(&o, &f), HK_EINVAL);
	assert_true(log_release("timeouts must be positive"));
	assert_null(f);

	config(&cfg, free_port(), free_port());
	snprintf(cfg.admin.client_ca, sizeof(cfg.admin.client_ca), "%s",
	    path("missing.pem"));
	log_capture();
	assert_int_equal(net_front_new(&o, &f), HK_ECONFIG);
	assert_true(log_release("missing.pem"));
	assert_null(f);
	/* On error the caller still owns the fd. */
	assert_true(fd_open(sv[0]));
	close(sv[0]);
	close(sv[1]);
}

static void
test_NET1_new_refuses_a_taken_port(void **state)
{
	struct hk_config cfg;
	struct net_front_opts o;
	struct net_front *f = NULL;
	struct sockaddr_in a;
	char want[128];
	unsigned port = free_port();
	int sv[2], s, one = 1;

	(void)state;
	s = socket(AF_INET, SOCK_STREAM, 0);
	assert_true(s >= 0);
	(void)setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	memset(&a, 0, sizeof(a));
	a.sin_family = AF_INET;
	a.sin_port = htons((uint16_t)port);
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(s, (struct sockaddr *)&a, sizeof(a)), 0);
	assert_int_equal(listen(s, 1), 0);
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	memset(&o, 0, sizeof(o));
	o.cfg = &cfg;
	o.ipc_fd = sv[0];
	config(&cfg, free_port(), port);
	log_capture();
	assert_int_equal(net_front_new(&o, &f), HK_EIO);
	snprintf(want, sizeof(want),
	    "cannot bind 127.0.0.1:%u: Address already in use", port);
	assert_true(log_release(want));
	assert_null(f);
	assert_true(fd_open(sv[0]));
	close(s);
	close(sv[0]);
	close(sv[1]);
}

/* new then free, never run: the ports and the fd are released. */
static void
test_NET1_new_then_free_releases_everything(void **state)
{
	struct hk_config cfg;
	struct net_front_opts o;
	struct net_front *f = NULL;
	unsigned sport = free_port(), aport = free_port();
	int sv[2];

	(void)state;
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	memset(&o, 0, sizeof(o));
	o.cfg = &cfg;
	o.ipc_fd = sv[0];
	config(&cfg, sport, aport);
	assert_int_equal(net_front_new(&o, &f), 0);
	assert_non_null(f);
	net_front_free(f);
	assert_false(fd_open(sv[0]));
	/* The core's end sees the channel close. */
	{
		char b;
		assert_int_equal(read(sv[1], &b, 1), 0);
	}
	close(sv[1]);
	/* The same ports can be taken again at once. */
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	o.ipc_fd = sv[0];
	assert_int_equal(net_front_new(&o, &f), 0);
	net_front_free(f);
	close(sv[1]);
	net_front_free(NULL);
}

/* run_with_core(core_bytes, n, close_core, want, log): a front whose fake
 * core writes ${n} bytes and then closes its end (or keeps it open when
 * ${close_core} is false); net_front_run must return ${want} and log
 * ${log}. */
static void
run_with_core(const void *core_bytes, size_t n, bool close_core, int want,
    const char *log)
{
	struct hk_config cfg;
	struct net_front_opts o;
	struct net_front *f = NULL;
	int sv[2];

	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	memset(&o, 0, sizeof(o));
	o.cfg = &cfg;
	o.ipc_fd = sv[0];
	config(&cfg, free_port(), free_port());
	assert_int_equal(net_front_new(&o, &f), 0);
	if (n > 0)
		assert_int_equal(write(sv[1], core_bytes, n), (ssize_t)n);
	if (close_core)
		close(sv[1]);
	log_capture();
	assert_int_equal(net_front_run(f), want);
	assert_true(log_release(log));
	net_front_free(f);
	assert_false(fd_open(sv[0]));
	if (!close_core)
		close(sv[1]);
}

static void
test_NET1_core_closing_the_channel_stops_the_front(void **state)
{
	(void)state;
	run_with_core(NULL, 0, true, HK_EIO, "core closed the channel");
}

static void
test_NET1_malformed_core_frames_stop_the_front(void **state)
{
	struct hk_buf b = HK_BUF_INIT;
	struct hk_ipc_msg m;
	(void)state;
	/* Not msgpack. */
	run_with_core("\0\0\0\1\xc1", 5, false, HK_EPROTO,
	    "core sent a malformed message");
	/* A length over HK_IPC_MAX_FRAME, and a zero length. */
	run_with_core("\xff\xff\xff\xff", 4, false, HK_EPROTO,
	    "core sent a frame of a bad length");
	run_with_core("\0\0\0\0", 4, false, HK_EPROTO,
	    "core sent a frame of a bad length");
	/* A well-formed answer to a request never issued. */
	memset(&m, 0, sizeof(m));
	m.response = true;
	m.id = 42;
	m.status = 200;
	m.body = (struct hk_bytes){(const uint8_t *)"\x80", 1};
	assert_int_equal(hk_ipc_encode(&m, &b), 0);
	run_with_core(b.p, b.len, false, HK_EPROTO, "never issued");
	/* A request from the core. */
	hk_buf_reset(&b);
	memset(&m, 0, sizeof(m));
	m.id = 1;
	m.type = HK_IPC_HEALTH;
	m.ctx.listener = HK_IPC_SIGNING;
	m.ctx.peer = (struct hk_bytes){(const uint8_t *)"x:1", 3};
	m.body = (struct hk_bytes){(const uint8_t *)"\x80", 1};
	assert_int_equal(hk_ipc_encode(&m, &b), 0);
	run_with_core(b.p, b.len, false, HK_EPROTO, "core sent a request");
	/* Half a frame, then the core goes away. */
	run_with_core("\0\0\0\x10\x95", 5, true, HK_EIO,
	    "core closed the channel");
	hk_buf_release(&b);
}

static void *
sigterm_later(void *arg)
{
	struct timespec ts = {0, 200 * 1000 * 1000};

	(void)arg;
	nanosleep(&ts, NULL);
	kill(getpid(), SIGTERM);
	return NULL;
}

static void
test_NET1_sigterm_ends_the_loop_with_0(void **state)
{
	struct hk_config cfg;
	struct net_front_opts o;
	struct net_front *f = NULL;
	pthread_t th;
	int sv[2];
	char b;

	(void)state;
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	memset(&o, 0, sizeof(o));
	o.cfg = &cfg;
	o.ipc_fd = sv[0];
	config(&cfg, free_port(), free_port());
	assert_int_equal(net_front_new(&o, &f), 0);
	assert_int_equal(pthread_create(&th, NULL, sigterm_later, NULL), 0);
	log_capture();
	assert_int_equal(net_front_run(f), 0);
	assert_true(log_release("SIGTERM: draining 0 connection(s)"));
	pthread_join(th, NULL);
	net_front_free(f);
	/* The front closed its end when it stopped. */
	assert_int_equal(read(sv[1], &b, 1), 0);
	close(sv[1]);
}

/* ---- one request end to end ------------------------------------------- */

struct e2e {
	int core_fd;
	unsigned port;
	/* What the fake core saw. */
	char peer[64], auth[64], rid[64];
	uint64_t listener, type;
	/* What the client got. */
	char response[4096];
};

/* fake_core: answer one HEALTH request with 200 {} (test double). */
static void *
fake_core(void *arg)
{
	struct e2e *t = arg;
	struct hk_buf in = HK_BUF_INIT, out = HK_BUF_INIT;
	struct hk_ipc_msg m, a;
	const uint8_t *fr;
	size_t flen, used;
	ssize_t n;

	for (;;) {
		if (hk_buf_reserve(&in, 4096) != 0)
			break;
		if ((n = read(t->core_fd, in.p + in.len, 4096)) <= 0)
			break;
		in.len += (size_t)n;
		if (hk_ipc_frame_next(in.p, in.len, &fr, &flen, &used) != 0)
			continue;
		if (hk_ipc_decode(fr, flen, &m, NULL) != 0)
			break;
		snprintf(t->peer, sizeof(t->peer), "%.*s", (int)m.ctx.peer.n,
		    (const char *)m.ctx.peer.p);
		snprintf(t->auth, sizeof(t->auth), "%.*s",
		    (int)m.ctx.authorization.n,
		    (const char *)m.ctx.authorization.p);
		snprintf(t->rid, sizeof(t->rid), "%.*s",
		    (int)m.ctx.request_id.n, (const char *)m.ctx.request_id.p);
		t->listener = m.ctx.listener;
		t->type = m.type;
		memset(&a, 0, sizeof(a));
		a.response = true;
		a.id = m.id;
		a.status = 200;
		a.body = (struct hk_bytes){(const uint8_t *)"\x80", 1};
		if (hk_ipc_encode(&a, &out) != 0 ||
		    write(t->core_fd, out.p, out.len) != (ssize_t)out.len)
			break;
		memmove(in.p, in.p + used, in.len - used);
		in.len -= used;
	}
	hk_buf_release(&in);
	hk_buf_release(&out);
	close(t->core_fd);
	return NULL;
}

/* client: one TLS request (OpenSSL), then SIGTERM to end the loop. */
static void *
client(void *arg)
{
	static const char req[] = "GET /healthz HTTP/1.1\r\nHost: localhost\r\n"
				  "Authorization: Bearer unit-secret-7\r\n"
				  "Connection: close\r\n\r\n";
	struct e2e *t = arg;
	struct sockaddr_in a;
	SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());
	SSL *ssl = NULL;
	size_t got = 0, n;
	int s = socket(AF_INET, SOCK_STREAM, 0);

	memset(&a, 0, sizeof(a));
	a.sin_family = AF_INET;
	a.sin_port = htons((uint16_t)t->port);
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (ctx == NULL || s < 0)
		goto out;
	SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, NULL);
	if (SSL_CTX_load_verify_file(ctx, path("server.pem")) != 1 ||
	    connect(s, (struct sockaddr *)&a, sizeof(a)) != 0 ||
	    (ssl = SSL_new(ctx)) == NULL || SSL_set_fd(ssl, s) != 1 ||
	    SSL_set1_host(ssl, "localhost") != 1 || SSL_connect(ssl) != 1 ||
	    SSL_write(ssl, req, (int)sizeof(req) - 1) != (int)sizeof(req) - 1)
		goto out;
	while (got < sizeof(t->response) - 1 &&
	    SSL_read_ex(ssl, t->response + got, sizeof(t->response) - 1 - got,
		&n) == 1)
		got += n;
out:
	t->response[got] = '\0';
	SSL_free(ssl);
	SSL_CTX_free(ctx);
	if (s >= 0)
		close(s);
	ERR_clear_error();
	kill(getpid(), SIGTERM);
	return NULL;
}

static void
test_ACT5_request_reaches_the_core_with_its_context(void **state)
{
	struct hk_config cfg;
	struct net_front_opts o;
	struct net_front *f = NULL;
	struct e2e t;
	pthread_t core_th, cli_th;
	char want[128];
	int sv[2];

	(void)state;
	memset(&t, 0, sizeof(t));
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	memset(&o, 0, sizeof(o));
	o.cfg = &cfg;
	o.ipc_fd = sv[0];
	t.core_fd = sv[1];
	t.port = free_port();
	config(&cfg, t.port, free_port());
	assert_int_equal(net_front_new(&o, &f), 0);
	assert_int_equal(pthread_create(&core_th, NULL, fake_core, &t), 0);
	assert_int_equal(pthread_create(&cli_th, NULL, client, &t), 0);
	log_capture();
	assert_int_equal(net_front_run(f), 0);
	assert_true(log_release("status=200"));
	pthread_join(cli_th, NULL);
	net_front_free(f);
	pthread_join(core_th, NULL);

	assert_non_null(strstr(t.response, "HTTP/1.1 200 OK\r\n"));
	assert_non_null(strstr(t.response, "\r\n\r\n{\"status\":\"ok\"}"));
	assert_non_null(strstr(t.response, "Connection: close\r\n"));
	assert_int_equal(t.type, HK_IPC_HEALTH);
	assert_int_equal(t.listener, HK_IPC_SIGNING);
	assert_string_equal(t.auth, "Bearer unit-secret-7");
	assert_true(strncmp(t.peer, "127.0.0.1:", 10) == 0);
	snprintf(want, sizeof(want), "X-Request-Id: %s\r\n", t.rid);
	assert_true(strlen(t.rid) > 9);
	assert_non_null(strstr(t.response, want));
	/* The secret was forwarded, never logged. */
	assert_null(strstr(logbuf, "unit-secret-7"));
}

/* ---- the auditor console (issue 8) ------------------------------------------ */

#define CONSOLE_REQS 8
#define CONSOLE_RESP 65536

/* One console scenario: requests on the admin listener with a client
 * certificate, a fake core that allows (200 {}) or refuses (403) every
 * access check, and what each side saw. */
struct console_run {
	int core_fd;
	unsigned port;
	bool deny;
	const char *reqs[CONSOLE_REQS]; /* NULL-terminated */
	/* What the fake core saw. */
	unsigned ncore;
	uint64_t types[CONSOLE_REQS];
	char paths[CONSOLE_REQS][64];
	/* What the client got, per request. */
	char resp[CONSOLE_REQS][CONSOLE_RESP];
	size_t rlen[CONSOLE_REQS];
};

/* console_core: the access check's test double: records the type and the
 * path of each request; answers 200 {} or 403 forbidden. */
static void *
console_core(void *arg)
{
	struct console_run *t = arg;
	struct hk_buf in = HK_BUF_INIT, out = HK_BUF_INIT, body = HK_BUF_INIT;
	struct hk_mpk_writer w;
	struct hk_ipc_msg m, a;
	const uint8_t *fr;
	size_t flen, used;
	ssize_t n;

	for (;;) {
		if (hk_buf_reserve(&in, 4096) != 0)
			break;
		if ((n = read(t->core_fd, in.p + in.len, 4096)) <= 0)
			break;
		in.len += (size_t)n;
		if (hk_ipc_frame_next(in.p, in.len, &fr, &flen, &used) != 0)
			continue;
		if (hk_ipc_decode(fr, flen, &m, NULL) != 0)
			break;
		if (t->ncore < CONSOLE_REQS) {
			struct hk_mpk_reader r;
			struct hk_bytes v = {NULL, 0};
			uint32_t cnt;
			uint64_t key;

			t->types[t->ncore] = m.type;
			hk_mpk_reader_init(&r, m.body.p, m.body.n);
			if (hk_mpk_get_map(&r, &cnt) == 0 && cnt == 1 &&
			    hk_mpk_get_uint(&r, &key) == 0 && key == 1 &&
			    hk_mpk_get_str(&r, &v) == 0)
				snprintf(t->paths[t->ncore],
				    sizeof(t->paths[0]), "%.*s", (int)v.n,
				    (const char *)v.p);
			t->ncore++;
		}
		memset(&a, 0, sizeof(a));
		a.response = true;
		a.id = m.id;
		hk_buf_reset(&body);
		hk_mpk_writer_init(&w, &body);
		if (t->deny) {
			a.status = 403;
			hk_mpk_put_map(&w, 2);
			hk_mpk_put_uint(&w, 1);
			hk_mpk_put_cstr(&w, "forbidden");
			hk_mpk_put_uint(&w, 2);
			hk_mpk_put_cstr(&w, "the auditor role is required");
		} else {
			a.status = 200;
			hk_mpk_put_map(&w, 0);
		}
		a.body = (struct hk_bytes){body.p, body.len};
		hk_buf_reset(&out);
		if (hk_ipc_encode(&a, &out) != 0 ||
		    write(t->core_fd, out.p, out.len) != (ssize_t)out.len)
			break;
		memmove(in.p, in.p + used, in.len - used);
		in.len -= used;
	}
	hk_buf_release(&in);
	hk_buf_release(&out);
	hk_buf_release(&body);
	close(t->core_fd);
	return NULL;
}

/* console_client: each request on its own mutual-TLS connection to the
 * admin listener, then SIGTERM. */
static void *
console_client(void *arg)
{
	struct console_run *t = arg;
	size_t i;

	for (i = 0; i < CONSOLE_REQS && t->reqs[i] != NULL; i++) {
		struct sockaddr_in a;
		SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());
		SSL *ssl = NULL;
		size_t got = 0, n, len = strlen(t->reqs[i]);
		int s = socket(AF_INET, SOCK_STREAM, 0);

		memset(&a, 0, sizeof(a));
		a.sin_family = AF_INET;
		a.sin_port = htons((uint16_t)t->port);
		a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		if (ctx == NULL || s < 0)
			goto next;
		SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, NULL);
		if (SSL_CTX_load_verify_file(ctx, path("server.pem")) != 1 ||
		    SSL_CTX_use_certificate_file(ctx, path("client.pem"),
			SSL_FILETYPE_PEM) != 1 ||
		    SSL_CTX_use_PrivateKey_file(ctx, path("client.key"),
			SSL_FILETYPE_PEM) != 1 ||
		    connect(s, (struct sockaddr *)&a, sizeof(a)) != 0 ||
		    (ssl = SSL_new(ctx)) == NULL || SSL_set_fd(ssl, s) != 1 ||
		    SSL_set1_host(ssl, "localhost") != 1 ||
		    SSL_connect(ssl) != 1 ||
		    SSL_write(ssl, t->reqs[i], (int)len) != (int)len)
			goto next;
		while (got < CONSOLE_RESP - 1 &&
		    SSL_read_ex(ssl, t->resp[i] + got, CONSOLE_RESP - 1 - got,
			&n) == 1)
			got += n;
	next:
		t->resp[i][got] = '\0';
		t->rlen[i] = got;
		SSL_free(ssl);
		SSL_CTX_free(ctx);
		if (s >= 0)
			close(s);
		ERR_clear_error();
	}
	kill(getpid(), SIGTERM);
	return NULL;
}

static void
console_run(struct console_run *t)
{
	struct hk_config cfg;
	struct net_front_opts o;
	struct net_front *f = NULL;
	pthread_t core_th, cli_th;
	int sv[2];

	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	memset(&o, 0, sizeof(o));
	o.cfg = &cfg;
	o.ipc_fd = sv[0];
	t->core_fd = sv[1];
	t->port = free_port();
	config(&cfg, free_port(), t->port);
	assert_int_equal(net_front_new(&o, &f), 0);
	assert_int_equal(pthread_create(&core_th, NULL, console_core, t), 0);
	assert_int_equal(pthread_create(&cli_th, NULL, console_client, t), 0);
	log_capture();
	assert_int_equal(net_front_run(f), 0);
	(void)log_release("");
	pthread_join(cli_th, NULL);
	net_front_free(f);
	pthread_join(core_th, NULL);
}

/* The security header fields of every console answer, and no cookie. */
static void
expect_console_headers(const char *resp)
{
	const char *end = strstr(resp, "\r\n\r\n");

	assert_non_null(end);
	assert_non_null(strstr(resp, "\r\nContent-Security-Policy: "
				     "default-src 'self'; base-uri 'none'; "
				     "form-action 'none'; "
				     "frame-ancestors 'none'\r\n"));
	assert_non_null(strstr(resp, "\r\nX-Frame-Options: DENY\r\n"));
	assert_non_null(strstr(resp, "\r\nX-Content-Type-Options: nosniff\r\n"));
	assert_non_null(strstr(resp, "\r\nCache-Control: no-store\r\n"));
	assert_null(strstr(resp, "Set-Cookie"));
	assert_true(strstr(resp, "\r\nX-Frame-Options") < end);
}

static void
test_CONSOLE_assets_served_after_the_core_allows(void **state)
{
	struct console_run *t = calloc(1, sizeof(*t));
	const struct net_console_asset *idx = NULL, *js = NULL, *css = NULL;
	char want[128];
	const char *body;

	(void)state;
	assert_non_null(t);
	assert_int_equal(net_console_lookup("/console/", 9, &idx), 0);
	assert_int_equal(net_console_lookup("/console/app.js", 15, &js), 0);
	assert_int_equal(net_console_lookup("/console/style.css", 18, &css), 0);
	t->reqs[0] = "GET /console/ HTTP/1.1\r\nHost: localhost\r\n"
		     "Connection: close\r\n\r\n";
	t->reqs[1] = "GET /console/app.js HTTP/1.1\r\nHost: localhost\r\n"
		     "Connection: close\r\n\r\n";
	t->reqs[2] = "HEAD /console/style.css HTTP/1.1\r\nHost: localhost\r\n"
		     "Connection: close\r\n\r\n";
	t->reqs[3] = "GET /console/nope.js HTTP/1.1\r\nHost: localhost\r\n"
		     "Connection: close\r\n\r\n";
	t->reqs[4] = "POST /console/ HTTP/1.1\r\nHost: localhost\r\n"
		     "Content-Length: 2\r\nConnection: close\r\n\r\n{}";
	t->reqs[5] = "DELETE /console/app.js HTTP/1.1\r\nHost: localhost\r\n"
		     "Connection: close\r\n\r\n";
	t->reqs[6] = "GET /console/?x=1 HTTP/1.1\r\nHost: localhost\r\n"
		     "Connection: close\r\n\r\n";
	console_run(t);

	/* The page, byte for byte, with its type and the headers. */
	assert_non_null(strstr(t->resp[0], "HTTP/1.1 200 OK\r\n"));
	assert_non_null(strstr(t->resp[0],
	    "\r\nContent-Type: text/html; charset=utf-8\r\n"));
	expect_console_headers(t->resp[0]);
	body = strstr(t->resp[0], "\r\n\r\n") + 4;
	assert_int_equal(t->rlen[0] - (size_t)(body - t->resp[0]), idx->len);
	assert_memory_equal(body, idx->data, idx->len);
	assert_non_null(strstr(t->resp[1], "HTTP/1.1 200 OK\r\n"));
	assert_non_null(strstr(t->resp[1],
	    "\r\nContent-Type: text/javascript; charset=utf-8\r\n"));
	expect_console_headers(t->resp[1]);
	body = strstr(t->resp[1], "\r\n\r\n") + 4;
	assert_int_equal(t->rlen[1] - (size_t)(body - t->resp[1]), js->len);
	/* HEAD: the length of the asset, no body. */
	assert_non_null(strstr(t->resp[2], "HTTP/1.1 200 OK\r\n"));
	snprintf(want, sizeof(want), "\r\nContent-Length: %zu\r\n", css->len);
	assert_non_null(strstr(t->resp[2], want));
	assert_int_equal(strlen(strstr(t->resp[2], "\r\n\r\n")), 4);
	expect_console_headers(t->resp[2]);
	/* No such asset: 404 after the check. */
	assert_non_null(strstr(t->resp[3], "HTTP/1.1 404 Not Found\r\n"));
	expect_console_headers(t->resp[3]);
	/* Other methods: 405 from the front, the core never asked. */
	assert_non_null(strstr(t->resp[4], "HTTP/1.1 405 "));
	assert_non_null(strstr(t->resp[4], "\r\nAllow: GET, HEAD\r\n"));
	assert_non_null(strstr(t->resp[5], "HTTP/1.1 405 "));
	/* A query: 400 from the front. */
	assert_non_null(strstr(t->resp[6], "HTTP/1.1 400 "));
	/* The core saw the four GET/HEAD requests, each with its path. */
	assert_int_equal(t->ncore, 4);
	assert_int_equal(t->types[0], HK_IPC_CONSOLE);
	assert_string_equal(t->paths[0], "/console/");
	assert_string_equal(t->paths[1], "/console/app.js");
	assert_string_equal(t->paths[2], "/console/style.css");
	assert_string_equal(t->paths[3], "/console/nope.js");
	free(t);
}

static void
test_CONSOLE_refused_by_the_core_serves_nothing(void **state)
{
	struct console_run *t = calloc(1, sizeof(*t));

	(void)state;
	assert_non_null(t);
	t->deny = true;
	t->reqs[0] = "GET /console/ HTTP/1.1\r\nHost: localhost\r\n"
		     "Connection: close\r\n\r\n";
	t->reqs[1] = "GET /console/app.js HTTP/1.1\r\nHost: localhost\r\n"
		     "Connection: close\r\n\r\n";
	console_run(t);
	assert_int_equal(t->ncore, 2);
	assert_non_null(strstr(t->resp[0], "HTTP/1.1 403 Forbidden\r\n"));
	assert_non_null(strstr(t->resp[0], "application/json"));
	assert_non_null(strstr(t->resp[0], "\"error\":\"forbidden\""));
	assert_null(strstr(t->resp[0], "<html"));
	assert_non_null(strstr(t->resp[1], "HTTP/1.1 403 Forbidden\r\n"));
	assert_null(strstr(t->resp[1], "HankoVerify"));
	assert_null(strstr(t->resp[1], "use strict"));
	free(t);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_NET1_new_refuses_bad_configuration),
		cmocka_unit_test(test_NET1_new_refuses_a_taken_port),
		cmocka_unit_test(test_NET1_new_then_free_releases_everything),
		cmocka_unit_test(
		    test_NET1_core_closing_the_channel_stops_the_front),
		cmocka_unit_test(
		    test_NET1_malformed_core_frames_stop_the_front),
		cmocka_unit_test(test_NET1_sigterm_ends_the_loop_with_0),
		cmocka_unit_test(
		    test_ACT5_request_reaches_the_core_with_its_context),
		cmocka_unit_test(
		    test_CONSOLE_assets_served_after_the_core_allows),
		cmocka_unit_test(
		    test_CONSOLE_refused_by_the_core_serves_nothing),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
