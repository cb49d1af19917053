/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Unit tests for net/tls (NET-1, NET-2, NET-3): an in-memory OpenSSL client
 * talks to a server net_tls_conn by pumping bytes between memory BIOs. The
 * keys and certificates are throwaway ones made by the openssl command in
 * a temporary directory; fingerprints and subjects are checked against
 * what the openssl command prints, not against our own code. Every
 * refusal has a positive control with the same client set-up (so a client
 * that cannot connect at all would fail the test, not pass it).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <openssl/err.h>
#include <openssl/ssl.h>

#include "core/codec.h"
#include "net/tls.h"

static char dir[256];

/* path(name): a file in the test directory (static buffer, 4 in turn). */
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
	char cmd[4096];

	(void)state;
	snprintf(dir, sizeof(dir), "/tmp/hanko-tls-XXXXXX");
	if (mkdtemp(dir) == NULL)
		return -1;
	/*
	 * server: RSA 2048, self-signed, for localhost (RSA so that RSA key
	 * exchange suites would be possible if the policy allowed them).
	 * opca: the operator CA; admin: a client certificate it issued.
	 * otherca / mallory: the same shape from an unrelated CA.
	 * other.key: a key that matches no certificate.
	 */
	snprintf(cmd, sizeof(cmd),
	    "set -e; cd '%s'; exec 2>gen.log\n"
	    "openssl req -x509 -newkey rsa:2048 -nodes -keyout server.key "
	    "-out server.pem -days 2 -subj /CN=localhost "
	    "-addext subjectAltName=DNS:localhost\n"
	    "openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 "
	    "-out other.key\n"
	    "printf 'basicConstraints=CA:FALSE\\nkeyUsage=critical,"
	    "digitalSignature\\nextendedKeyUsage=clientAuth\\n' >client.ext\n"
	    "for ca in opca otherca; do\n"
	    "  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 "
	    "-nodes -keyout $ca.key -out $ca.pem -days 2 "
	    "-subj \"/CN=Hanko Test $ca\" "
	    "-addext basicConstraints=critical,CA:TRUE "
	    "-addext keyUsage=critical,keyCertSign,cRLSign\n"
	    "done\n"
	    "for c in admin:opca mallory:otherca; do\n"
	    "  n=${c%%:*}; ca=${c#*:}\n"
	    "  openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 "
	    "-nodes -keyout $n.key -out $n.csr "
	    "-subj \"/O=Hanko Test/CN=$n-1\"\n"
	    "  openssl x509 -req -in $n.csr -CA $ca.pem -CAkey $ca.key "
	    "-CAcreateserial -days 2 -out $n.pem -extfile client.ext\n"
	    "done\n"
	    "echo not a certificate >garbage.pem\n",
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

/* capture(cmd, out, n): the first line printed by ${cmd}. */
static void
capture(const char *cmd, char *out, size_t n)
{
	FILE *f = popen(cmd, "r");

	assert_non_null(f);
	assert_non_null(fgets(out, (int)n, f));
	out[strcspn(out, "\r\n")] = '\0';
	assert_int_equal(pclose(f), 0);
}

/* A client SSL and a server conn joined by memory BIOs. */
struct link {
	SSL_CTX *cctx;
	SSL *cli;
	BIO *to_cli;   /* the client's read BIO: bytes from the server */
	BIO *from_cli; /* the client's write BIO: bytes for the server */
	struct net_tls_conn *srv;
	struct hk_buf plain; /* plaintext the server received */
	int srv_rc;          /* first non-zero server feed result */
	size_t step;         /* feed the server this many bytes at a time */
};

/* client_ctx(min, max): a client context for versions [min, max] that
 * verifies the server against server.pem. Level 0 so that old versions
 * and suites are really offered when a test asks for them. */
static SSL_CTX *
client_ctx(int min, int max)
{
	SSL_CTX *c = SSL_CTX_new(TLS_client_method());

	assert_non_null(c);
	SSL_CTX_set_security_level(c, 0);
	assert_int_equal(SSL_CTX_set_min_proto_version(c, min), 1);
	assert_int_equal(SSL_CTX_set_max_proto_version(c, max), 1);
	assert_int_equal(SSL_CTX_load_verify_file(c, path("server.pem")), 1);
	SSL_CTX_set_verify(c, SSL_VERIFY_PEER, NULL);
	return c;
}

static void
link_open(struct link *l, struct net_tls_ctx *sctx, SSL_CTX *cctx)
{
	memset(l, 0, sizeof(*l));
	l->cctx = cctx;
	assert_non_null(l->cli = SSL_new(cctx));
	assert_non_null(l->to_cli = BIO_new(BIO_s_mem()));
	assert_non_null(l->from_cli = BIO_new(BIO_s_mem()));
	BIO_set_mem_eof_return(l->to_cli, -1);
	SSL_set_bio(l->cli, l->to_cli, l->from_cli);
	SSL_set_connect_state(l->cli);
	assert_int_equal(SSL_set1_host(l->cli, "localhost"), 1);
	assert_non_null(l->srv = net_tls_conn_new(sctx));
}

static void
link_close(struct link *l)
{
	SSL_free(l->cli);
	SSL_CTX_free(l->cctx);
	net_tls_conn_free(l->srv);
	hk_buf_release(&l->plain);
	ERR_clear_error();
}

/* pump(l): move bytes both ways until neither side has anything to say. */
static void
pump(struct link *l)
{
	static uint8_t tmp[1 << 16];
	struct hk_buf ct = HK_BUF_INIT;
	size_t n, got, off, k;
	int round, r;
	bool moved;

	for (round = 0; round < 100; round++) {
		moved = false;
		if (!SSL_is_init_finished(l->cli)) {
			ERR_clear_error();
			(void)SSL_do_handshake(l->cli);
		}
		while ((n = BIO_ctrl_pending(l->from_cli)) > 0) {
			if (n > sizeof(tmp))
				n = sizeof(tmp);
			assert_int_equal(BIO_read_ex(l->from_cli, tmp, n, &got),
			    1);
			moved = true;
			for (off = 0; off < got && l->srv_rc == 0; off += k) {
				k = l->step ? l->step : got;
				if (k > got - off)
					k = got - off;
				r = net_tls_conn_feed(l->srv, tmp + off, k,
				    &l->plain);
				if (r != 0)
					l->srv_rc = r;
			}
		}
		hk_buf_reset(&ct);
		assert_int_equal(net_tls_conn_take_output(l->srv, &ct), 0);
		if (ct.len > 0) {
			assert_int_equal(BIO_write(l->to_cli, ct.p,
			    (int)ct.len), (int)ct.len);
			moved = true;
		}
		if (!moved)
			break;
	}
	hk_buf_release(&ct);
}

/* connected(l): both ends finished the handshake and the server is fine. */
static bool
connected(struct link *l)
{
	return l->srv_rc == 0 && SSL_is_init_finished(l->cli) &&
	    net_tls_conn_handshake_done(l->srv);
}

/* client_read(l, buf, n, got): one SSL_read_ex on the client; returns the
 * SSL_get_error() class (SSL_ERROR_NONE on data). */
static int
client_read(struct link *l, uint8_t *buf, size_t n, size_t *got)
{
	int rc;

	ERR_clear_error();
	*got = 0;
	rc = SSL_read_ex(l->cli, buf, n, got);
	return rc == 1 ? SSL_ERROR_NONE : SSL_get_error(l->cli, rc);
}

/* echo(l, len): the client sends ${len} bytes, the server receives them
 * and sends them back, the client receives the same bytes. */
static void
echo(struct link *l, size_t len)
{
	uint8_t *msg = malloc(len), *back = malloc(len);
	size_t i, got, have = 0;

	assert_non_null(msg);
	assert_non_null(back);
	for (i = 0; i < len; i++)
		msg[i] = (uint8_t)(i * 7 + 3);
	hk_buf_reset(&l->plain);
	assert_int_equal(SSL_write_ex(l->cli, msg, len, &got), 1);
	pump(l);
	assert_int_equal(l->srv_rc, 0);
	assert_int_equal(l->plain.len, len);
	assert_memory_equal(l->plain.p, msg, len);
	assert_int_equal(net_tls_conn_write(l->srv, l->plain.p, l->plain.len),
	    0);
	pump(l);
	while (have < len) {
		assert_int_equal(client_read(l, back + have, len - have, &got),
		    SSL_ERROR_NONE);
		have += got;
	}
	assert_memory_equal(back, msg, len);
	free(msg);
	free(back);
}

static struct net_tls_ctx *
server_ctx(const char *ca)
{
	struct net_tls_ctx *ctx = NULL;

	assert_int_equal(net_tls_ctx_new(path("server.pem"),
	    path("server.key"), ca ? path(ca) : NULL, &ctx), 0);
	return ctx;
}

static void
test_NET3_handshake_and_echo_tls13(void **state)
{
	struct net_tls_ctx *sctx = server_ctx(NULL);
	const unsigned char *alpn;
	unsigned int alen;
	struct link l;

	(void)state;
	link_open(&l, sctx, client_ctx(TLS1_2_VERSION, TLS1_3_VERSION));
	assert_int_equal(SSL_set_alpn_protos(l.cli,
	    (const unsigned char *)"\x02h2\x08http/1.1", 12), 0);
	pump(&l);
	assert_true(connected(&l));
	assert_string_equal(net_tls_conn_version(l.srv), "TLSv1.3");
	assert_string_equal(SSL_get_version(l.cli), "TLSv1.3");
	assert_string_equal(net_tls_conn_cipher(l.srv),
	    "TLS_AES_256_GCM_SHA384");
	SSL_get0_alpn_selected(l.cli, &alpn, &alen);
	assert_int_equal(alen, 8);
	assert_memory_equal(alpn, "http/1.1", 8);
	assert_int_equal(SSL_get_verify_result(l.cli), X509_V_OK);
	echo(&l, 5);
	echo(&l, 100000); /* several records each way */
	link_close(&l);
	net_tls_ctx_free(sctx);
}

static void
test_NET3_handshake_and_echo_tls12(void **state)
{
	static const char *const suites[] = {"ECDHE-RSA-AES256-GCM-SHA384",
	    "ECDHE-RSA-AES128-GCM-SHA256", "ECDHE-RSA-CHACHA20-POLY1305"};
	struct net_tls_ctx *sctx = server_ctx(NULL);
	struct link l;
	size_t i;

	(void)state;
	/* The server's preferred suite first, then each allowed RSA suite
	 * when it is the only one offered. */
	link_open(&l, sctx, client_ctx(TLS1_2_VERSION, TLS1_2_VERSION));
	pump(&l);
	assert_true(connected(&l));
	assert_string_equal(net_tls_conn_version(l.srv), "TLSv1.2");
	assert_string_equal(net_tls_conn_cipher(l.srv),
	    "ECDHE-RSA-AES256-GCM-SHA384");
	echo(&l, 3000);
	link_close(&l);
	for (i = 0; i < sizeof(suites) / sizeof(suites[0]); i++) {
		SSL_CTX *c = client_ctx(TLS1_2_VERSION, TLS1_2_VERSION);

		assert_int_equal(SSL_CTX_set_cipher_list(c, suites[i]), 1);
		link_open(&l, sctx, c);
		pump(&l);
		assert_true(connected(&l));
		assert_string_equal(net_tls_conn_cipher(l.srv), suites[i]);
		echo(&l, 10);
		link_close(&l);
	}
	net_tls_ctx_free(sctx);
}

static void
test_NET3_handshake_byte_by_byte(void **state)
{
	struct net_tls_ctx *sctx = server_ctx(NULL);
	struct link l;

	(void)state;
	link_open(&l, sctx, client_ctx(TLS1_2_VERSION, TLS1_3_VERSION));
	l.step = 1;
	pump(&l);
	assert_true(connected(&l));
	echo(&l, 300);
	link_close(&l);
	net_tls_ctx_free(sctx);
}

static void
test_NET1_old_versions_refused(void **state)
{
	static const int olds[] = {TLS1_1_VERSION, TLS1_VERSION};
	struct net_tls_ctx *sctx = server_ctx(NULL);
	uint8_t b[16];
	struct link l;
	size_t i, got;

	(void)state;
	for (i = 0; i < 2; i++) {
		SSL_CTX *c = client_ctx(olds[i], olds[i]);

		assert_int_equal(SSL_CTX_set_cipher_list(c,
		    "DEFAULT:@SECLEVEL=0"), 1);
		link_open(&l, sctx, c);
		pump(&l);
		assert_false(connected(&l));
		assert_int_equal(l.srv_rc, HK_EPROTO);
		assert_false(net_tls_conn_handshake_done(l.srv));
		assert_int_not_equal(client_read(&l, b, sizeof(b), &got),
		    SSL_ERROR_NONE);
		link_close(&l);

		/* Control: the same client, allowed up to TLS 1.2, gets in. */
		c = client_ctx(olds[i], TLS1_2_VERSION);
		assert_int_equal(SSL_CTX_set_cipher_list(c,
		    "DEFAULT:@SECLEVEL=0"), 1);
		link_open(&l, sctx, c);
		pump(&l);
		assert_true(connected(&l));
		link_close(&l);
	}
	net_tls_ctx_free(sctx);
}

static void
test_NET1_weak_suites_refused(void **state)
{
	/* Non-AEAD, no forward secrecy (RSA key exchange), or finite-field
	 * DHE: each offered alone over TLS 1.2. */
	static const char *const weak[] = {"AES128-SHA", "AES256-GCM-SHA384",
	    "AES128-GCM-SHA256", "ECDHE-RSA-AES128-SHA",
	    "ECDHE-RSA-AES256-SHA384", "DHE-RSA-AES128-GCM-SHA256",
	    "DHE-RSA-CHACHA20-POLY1305"};
	struct net_tls_ctx *sctx = server_ctx(NULL);
	struct link l;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(weak) / sizeof(weak[0]); i++) {
		SSL_CTX *c = client_ctx(TLS1_2_VERSION, TLS1_2_VERSION);

		assert_int_equal(SSL_CTX_set_cipher_list(c, weak[i]), 1);
		link_open(&l, sctx, c);
		pump(&l);
		if (connected(&l))
			fail_msg("suite %s was accepted", weak[i]);
		assert_int_equal(l.srv_rc, HK_EPROTO);
		link_close(&l);
	}
	/* TLS 1.3: a suite outside the AEAD default set (CCM) alone. */
	{
		SSL_CTX *c = client_ctx(TLS1_3_VERSION, TLS1_3_VERSION);

		assert_int_equal(SSL_CTX_set_ciphersuites(c,
		    "TLS_AES_128_CCM_SHA256"), 1);
		link_open(&l, sctx, c);
		pump(&l);
		assert_false(connected(&l));
		assert_int_equal(l.srv_rc, HK_EPROTO);
		link_close(&l);
	}
	net_tls_ctx_free(sctx);
}

static void
test_NET1_plain_http_refused(void **state)
{
	static const char get[] = "GET / HTTP/1.1\r\nHost: localhost\r\n\r\n";
	struct net_tls_ctx *sctx = server_ctx(NULL);
	struct net_tls_conn *conn = net_tls_conn_new(sctx);
	struct hk_buf plain = HK_BUF_INIT, ct = HK_BUF_INIT;

	(void)state;
	assert_non_null(conn);
	assert_int_equal(net_tls_conn_feed(conn, (const uint8_t *)get,
	    sizeof(get) - 1, &plain), HK_EPROTO);
	assert_int_equal(plain.len, 0);
	assert_false(net_tls_conn_handshake_done(conn));
	/* Dead from then on. */
	assert_int_equal(net_tls_conn_feed(conn, (const uint8_t *)"x", 1,
	    &plain), HK_EPROTO);
	assert_int_equal(net_tls_conn_take_output(conn, &ct), 0);
	net_tls_conn_free(conn);
	hk_buf_release(&plain);
	hk_buf_release(&ct);
	net_tls_ctx_free(sctx);
}

static void
test_NET1_alpn_must_offer_http11(void **state)
{
	struct net_tls_ctx *sctx = server_ctx(NULL);
	const unsigned char *alpn;
	unsigned int alen;
	struct link l;

	(void)state;
	link_open(&l, sctx, client_ctx(TLS1_2_VERSION, TLS1_3_VERSION));
	assert_int_equal(SSL_set_alpn_protos(l.cli,
	    (const unsigned char *)"\x02h2", 3), 0);
	pump(&l);
	assert_false(connected(&l));
	assert_int_equal(l.srv_rc, HK_EPROTO);
	link_close(&l);
	/* No ALPN at all is fine (curl without ALPN, openssl s_client). */
	link_open(&l, sctx, client_ctx(TLS1_2_VERSION, TLS1_3_VERSION));
	pump(&l);
	assert_true(connected(&l));
	SSL_get0_alpn_selected(l.cli, &alpn, &alen);
	assert_int_equal(alen, 0);
	link_close(&l);
	net_tls_ctx_free(sctx);
}

/* session_after(sctx, version, resume): the client's session after a
 * handshake and one round trip (TLS 1.3 tickets follow the handshake);
 * with ${resume}, the client first offers that earlier session. Sets
 * ${reused} to whether the server resumed it. */
static SSL_SESSION *
session_after(struct net_tls_ctx *sctx, int version, SSL_SESSION *resume,
    int *reused)
{
	struct link l;
	SSL_SESSION *s;

	link_open(&l, sctx, client_ctx(version, version));
	if (resume != NULL)
		assert_int_equal(SSL_set_session(l.cli, resume), 1);
	pump(&l);
	assert_true(connected(&l));
	echo(&l, 4);
	*reused = SSL_session_reused(l.cli);
	assert_non_null(s = SSL_get1_session(l.cli));
	/* Close cleanly both ways: OpenSSL drops a session from its cache
	 * when a connection ends without close_notify, which would hide a
	 * server that does cache sessions. */
	assert_true(SSL_shutdown(l.cli) >= 0);
	pump(&l);
	assert_int_equal(l.srv_rc, HK_ECLOSED);
	assert_int_equal(net_tls_conn_shutdown(l.srv), 0);
	pump(&l);
	link_close(&l);
	return s;
}

static void
test_NET1_no_session_tickets(void **state)
{
	static const int versions[] = {TLS1_3_VERSION, TLS1_2_VERSION};
	struct net_tls_ctx *sctx = server_ctx(NULL);
	SSL_SESSION *s, *s2;
	SSL_CTX *plain;
	SSL *srv;
	size_t i;
	int reused;

	(void)state;
	/* No ticket is issued, and offering the old session (by ticket or
	 * by session id) never resumes: every connection is a full
	 * handshake with fresh keys. */
	for (i = 0; i < 2; i++) {
		s = session_after(sctx, versions[i], NULL, &reused);
		assert_int_equal(reused, 0);
		assert_int_equal(SSL_SESSION_has_ticket(s), 0);
		s2 = session_after(sctx, versions[i], s, &reused);
		assert_int_equal(reused, 0);
		SSL_SESSION_free(s);
		SSL_SESSION_free(s2);
	}
	/* Control: a default OpenSSL server does issue a ticket that the
	 * same client keeps, so the checks above can fail. */
	assert_non_null(plain = SSL_CTX_new(TLS_server_method()));
	assert_int_equal(SSL_CTX_use_certificate_chain_file(plain,
	    path("server.pem")), 1);
	assert_int_equal(SSL_CTX_use_PrivateKey_file(plain, path("server.key"),
	    SSL_FILETYPE_PEM), 1);
	{
		SSL_CTX *c = client_ctx(TLS1_3_VERSION, TLS1_3_VERSION);
		BIO *a = BIO_new(BIO_s_mem()), *b = BIO_new(BIO_s_mem());
		SSL *cli = SSL_new(c);
		uint8_t buf[8];
		size_t got;
		int k;

		assert_non_null(srv = SSL_new(plain));
		BIO_set_mem_eof_return(a, -1);
		BIO_set_mem_eof_return(b, -1);
		/* cli writes into a, reads from b; srv the other way. */
		assert_int_equal(BIO_up_ref(a), 1);
		assert_int_equal(BIO_up_ref(b), 1);
		SSL_set_bio(cli, b, a);
		SSL_set_bio(srv, a, b);
		SSL_set_connect_state(cli);
		SSL_set_accept_state(srv);
		for (k = 0; k < 10; k++) {
			(void)SSL_do_handshake(cli);
			(void)SSL_do_handshake(srv);
		}
		assert_int_equal(SSL_write_ex(srv, "x", 1, &got), 1);
		assert_int_equal(SSL_read_ex(cli, buf, sizeof(buf), &got), 1);
		assert_non_null(s = SSL_get1_session(cli));
		assert_int_equal(SSL_SESSION_has_ticket(s), 1);
		SSL_SESSION_free(s);
		SSL_free(cli);
		SSL_free(srv);
		SSL_CTX_free(c);
	}
	SSL_CTX_free(plain);
	ERR_clear_error();
	net_tls_ctx_free(sctx);
}

static void
test_NET1_no_renegotiation(void **state)
{
	struct net_tls_ctx *sctx = server_ctx(NULL);
	uint8_t b[16];
	struct link l;
	size_t got;

	(void)state;
	link_open(&l, sctx, client_ctx(TLS1_2_VERSION, TLS1_2_VERSION));
	pump(&l);
	assert_true(connected(&l));
	/* The client asks for a new handshake; the server answers with a
	 * no_renegotiation alert, which OpenSSL's client treats as fatal:
	 * no second handshake happens and the connection ends. */
	assert_int_equal(SSL_renegotiate(l.cli), 1);
	(void)SSL_do_handshake(l.cli);
	pump(&l);
	assert_int_equal(l.srv_rc, HK_EPROTO);
	assert_int_not_equal(client_read(&l, b, sizeof(b), &got),
	    SSL_ERROR_NONE);
	assert_int_equal(SSL_renegotiate_pending(l.cli), 1);
	link_close(&l);
	net_tls_ctx_free(sctx);
}

static void
test_NET1_clean_and_truncated_close(void **state)
{
	struct net_tls_ctx *sctx = server_ctx(NULL);
	uint8_t b[16];
	struct link l;
	size_t got;

	(void)state;
	/* The client sends close_notify: a clean close. */
	link_open(&l, sctx, client_ctx(TLS1_2_VERSION, TLS1_3_VERSION));
	pump(&l);
	echo(&l, 10);
	hk_buf_reset(&l.plain);
	assert_int_equal(SSL_write_ex(l.cli, "last", 4, &got), 1);
	assert_true(SSL_shutdown(l.cli) >= 0);
	pump(&l);
	assert_int_equal(l.srv_rc, HK_ECLOSED);
	assert_int_equal(l.plain.len, 4); /* data before it still arrives */
	assert_int_equal(net_tls_conn_eof(l.srv), 0);
	link_close(&l);

	/* The transport ends without close_notify: truncated. */
	link_open(&l, sctx, client_ctx(TLS1_2_VERSION, TLS1_3_VERSION));
	pump(&l);
	echo(&l, 10);
	assert_int_equal(net_tls_conn_eof(l.srv), HK_ETRUNCATED);
	link_close(&l);

	/* The same in the middle of the handshake. */
	link_open(&l, sctx, client_ctx(TLS1_2_VERSION, TLS1_3_VERSION));
	(void)SSL_do_handshake(l.cli);
	{
		uint8_t hello[4096];

		got = BIO_read(l.from_cli, hello, sizeof(hello));
		assert_true(got > 10);
		assert_int_equal(net_tls_conn_feed(l.srv, hello, got / 2,
		    &l.plain), 0);
	}
	assert_int_equal(net_tls_conn_eof(l.srv), HK_ETRUNCATED);
	link_close(&l);

	/* The server closes: the client sees close_notify. */
	link_open(&l, sctx, client_ctx(TLS1_2_VERSION, TLS1_3_VERSION));
	pump(&l);
	echo(&l, 10);
	assert_int_equal(net_tls_conn_shutdown(l.srv), 0);
	assert_int_equal(net_tls_conn_shutdown(l.srv), 0); /* idempotent */
	pump(&l);
	assert_int_equal(client_read(&l, b, sizeof(b), &got),
	    SSL_ERROR_ZERO_RETURN);
	assert_int_equal(net_tls_conn_write(l.srv, (const uint8_t *)"x", 1),
	    HK_ECLOSED);
	link_close(&l);
	net_tls_ctx_free(sctx);
}

static void
test_NET1_state_errors(void **state)
{
	struct net_tls_ctx *sctx = server_ctx(NULL);
	struct net_tls_conn *conn = net_tls_conn_new(sctx);
	uint8_t fp[NET_TLS_FP_LEN];
	char subject[256];

	(void)state;
	assert_non_null(conn);
	assert_false(net_tls_conn_handshake_done(conn));
	assert_int_equal(net_tls_conn_write(conn, (const uint8_t *)"x", 1),
	    HK_ESTATE);
	assert_int_equal(net_tls_conn_peer(conn, fp, subject, sizeof(subject)),
	    HK_ESTATE);
	assert_int_equal(net_tls_conn_shutdown(conn), 0);
	net_tls_conn_free(conn);
	net_tls_conn_free(NULL);
	net_tls_ctx_free(sctx);
	net_tls_ctx_free(NULL);
}

/* ctx_error(cert, key, ca, log): net_tls_ctx_new's result, with what it
 * logged copied to ${log}. */
static int
ctx_error(const char *cert, const char *key, const char *ca, char *log,
    size_t n)
{
	struct net_tls_ctx *ctx = NULL;
	int saved = dup(2), fd, r;
	FILE *f;
	size_t got;

	fd = fileno(f = tmpfile());
	assert_true(saved >= 0 && fd >= 0);
	assert_int_equal(dup2(fd, 2), 2);
	r = net_tls_ctx_new(cert, key, ca, &ctx);
	assert_int_equal(dup2(saved, 2), 2);
	close(saved);
	rewind(f);
	got = fread(log, 1, n - 1, f);
	log[got] = '\0';
	fclose(f);
	net_tls_ctx_free(ctx);
	return r;
}

static void
test_NET1_ctx_configuration_errors(void **state)
{
	char log[4096];

	(void)state;
	assert_int_equal(ctx_error(path("missing.pem"), path("server.key"),
	    NULL, log, sizeof(log)), HK_ECONFIG);
	assert_non_null(strstr(log, "server certificate"));
	assert_non_null(strstr(log, "missing.pem"));
	assert_int_equal(ctx_error(path("garbage.pem"), path("server.key"),
	    NULL, log, sizeof(log)), HK_ECONFIG);
	assert_non_null(strstr(log, "garbage.pem"));
	assert_int_equal(ctx_error(path("server.pem"), path("missing.key"),
	    NULL, log, sizeof(log)), HK_ECONFIG);
	assert_non_null(strstr(log, "server key"));
	assert_non_null(strstr(log, "missing.key"));
	assert_int_equal(ctx_error(path("server.pem"), path("other.key"), NULL,
	    log, sizeof(log)), HK_ECONFIG);
	assert_non_null(strstr(log, "does not match"));
	assert_int_equal(ctx_error(path("server.pem"), path("server.key"),
	    path("missing-ca.pem"), log, sizeof(log)), HK_ECONFIG);
	assert_non_null(strstr(log, "client CA"));
	assert_non_null(strstr(log, "missing-ca.pem"));
	assert_int_equal(ctx_error(path("server.pem"), path("server.key"),
	    path("garbage.pem"), log, sizeof(log)), HK_ECONFIG);
	assert_non_null(strstr(log, "client CA"));
	/* And the good combination, for contrast. */
	assert_int_equal(ctx_error(path("server.pem"), path("server.key"),
	    path("opca.pem"), log, sizeof(log)), 0);
}

/* mtls_client(version, who): a client presenting ${who}.pem/.key (NULL:
 * no certificate). */
static SSL_CTX *
mtls_client(int version, const char *who)
{
	SSL_CTX *c = client_ctx(version, version);
	char name[64];

	if (who != NULL) {
		snprintf(name, sizeof(name), "%s.pem", who);
		assert_int_equal(SSL_CTX_use_certificate_file(c, path(name),
		    SSL_FILETYPE_PEM), 1);
		snprintf(name, sizeof(name), "%s.key", who);
		assert_int_equal(SSL_CTX_use_PrivateKey_file(c, path(name),
		    SSL_FILETYPE_PEM), 1);
	}
	return c;
}

static void
test_NET2_client_cert_required(void **state)
{
	static const int versions[] = {TLS1_3_VERSION, TLS1_2_VERSION};
	struct net_tls_ctx *sctx = server_ctx("opca.pem");
	uint8_t b[16];
	struct link l;
	size_t i, got;

	(void)state;
	for (i = 0; i < 2; i++) {
		/* No certificate. */
		link_open(&l, sctx, mtls_client(versions[i], NULL));
		pump(&l);
		assert_int_equal(l.srv_rc, HK_EAUTH);
		assert_false(net_tls_conn_handshake_done(l.srv));
		assert_int_not_equal(client_read(&l, b, sizeof(b), &got),
		    SSL_ERROR_NONE);
		link_close(&l);
		/* A certificate from another CA. */
		link_open(&l, sctx, mtls_client(versions[i], "mallory"));
		pump(&l);
		assert_int_equal(l.srv_rc, HK_EAUTH);
		assert_false(net_tls_conn_handshake_done(l.srv));
		assert_int_not_equal(client_read(&l, b, sizeof(b), &got),
		    SSL_ERROR_NONE);
		link_close(&l);
		/* The CA's own certificate is no client certificate either
		 * (its key usage forbids signing TLS handshakes). */
		link_open(&l, sctx, mtls_client(versions[i], "opca"));
		pump(&l);
		assert_int_equal(l.srv_rc, HK_EAUTH);
		link_close(&l);
	}
	net_tls_ctx_free(sctx);
}

static void
test_NET2_client_cert_accepted_and_reported(void **state)
{
	static const int versions[] = {TLS1_3_VERSION, TLS1_2_VERSION};
	struct net_tls_ctx *sctx = server_ctx("opca.pem");
	struct net_tls_ctx *plain = server_ctx(NULL);
	char cmd[1024], line[512], want_hex[65], got_hex[65], subject[256];
	uint8_t fp[NET_TLS_FP_LEN], small[4];
	struct link l;
	size_t i, j, k;

	(void)state;
	/* What the openssl command says about admin.pem. */
	snprintf(cmd, sizeof(cmd), "openssl x509 -in '%s' -noout "
	    "-fingerprint -sha256", path("admin.pem"));
	capture(cmd, line, sizeof(line));
	for (i = strcspn(line, "=") + 1, k = 0; line[i] != '\0'; i++)
		if (line[i] != ':' && k < 64)
			want_hex[k++] = (char)(line[i] | 0x20);
	want_hex[k] = '\0';
	assert_int_equal(k, 64);
	snprintf(cmd, sizeof(cmd), "openssl x509 -in '%s' -noout -subject "
	    "-nameopt RFC2253", path("admin.pem"));
	capture(cmd, line, sizeof(line));
	assert_memory_equal(line, "subject=", 8);
	assert_string_equal(line + 8, "CN=admin-1,O=Hanko Test");

	for (j = 0; j < 2; j++) {
		link_open(&l, sctx, mtls_client(versions[j], "admin"));
		pump(&l);
		assert_true(connected(&l));
		echo(&l, 20);
		assert_int_equal(net_tls_conn_peer(l.srv, fp, subject,
		    sizeof(subject)), 0);
		hk_hex_encode(got_hex, fp, sizeof(fp));
		assert_string_equal(got_hex, want_hex);
		assert_string_equal(subject, line + 8);
		assert_int_equal(net_tls_conn_peer(l.srv, fp, (char *)small,
		    sizeof(small)), HK_ETOOBIG);
		assert_int_equal(small[0], 0);
		link_close(&l);
	}
	/* A listener without a client CA asks for no certificate. */
	link_open(&l, plain, mtls_client(TLS1_3_VERSION, "admin"));
	pump(&l);
	assert_true(connected(&l));
	assert_int_equal(net_tls_conn_peer(l.srv, fp, subject,
	    sizeof(subject)), HK_ENOTFOUND);
	link_close(&l);
	net_tls_ctx_free(sctx);
	net_tls_ctx_free(plain);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_NET3_handshake_and_echo_tls13),
		cmocka_unit_test(test_NET3_handshake_and_echo_tls12),
		cmocka_unit_test(test_NET3_handshake_byte_by_byte),
		cmocka_unit_test(test_NET1_old_versions_refused),
		cmocka_unit_test(test_NET1_weak_suites_refused),
		cmocka_unit_test(test_NET1_plain_http_refused),
		cmocka_unit_test(test_NET1_alpn_must_offer_http11),
		cmocka_unit_test(test_NET1_no_session_tickets),
		cmocka_unit_test(test_NET1_no_renegotiation),
		cmocka_unit_test(test_NET1_clean_and_truncated_close),
		cmocka_unit_test(test_NET1_state_errors),
		cmocka_unit_test(test_NET1_ctx_configuration_errors),
		cmocka_unit_test(test_NET2_client_cert_required),
		cmocka_unit_test(test_NET2_client_cert_accepted_and_reported),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
