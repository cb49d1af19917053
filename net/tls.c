/* SPDX-License-Identifier: Apache-2.0 */
/*
 * tls: TLS server connections over OpenSSL memory BIOs (NET-1, NET-2,
 * NET-3); see tls.h for the policy and the byte-moving contract. Each
 * connection owns two memory BIOs: the read BIO holds ciphertext from the
 * peer not yet processed, the write BIO holds ciphertext for the peer not
 * yet taken. An empty read BIO reports "retry", so OpenSSL answers
 * SSL_ERROR_WANT_READ when it needs more input; net_tls_conn_eof() turns
 * the retry into end of file so that OpenSSL can tell a clean close from a
 * truncated one.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "core/log.h"
#include "net/tls.h"

struct net_tls_ctx {
	SSL_CTX *ssl_ctx;
};

struct net_tls_conn {
	SSL *ssl;
	BIO *rbio; /* owned by ssl */
	BIO *wbio; /* owned by ssl */
	bool failed;
	bool peer_closed;
};

/* ossl_reason(buf, n): the text of the oldest queued OpenSSL error (or
 * "unknown"), then clear the queue. */
static const char *
ossl_reason(char *buf, size_t n)
{
	unsigned long e = ERR_peek_error();

	if (e == 0)
		snprintf(buf, n, "unknown reason");
	else
		ERR_error_string_n(e, buf, n);
	ERR_clear_error();
	return buf;
}

/*
 * alpn_select: the ALPN callback. A client offering ALPN must offer
 * "http/1.1", the only protocol served (RFC 7301 3.2: otherwise the
 * handshake fails with no_application_protocol). The selection points
 * into the client's list, which outlives the callback.
 */
static int
alpn_select(SSL *ssl, const unsigned char **out, unsigned char *outlen,
    const unsigned char *in, unsigned int inlen, void *arg)
{
	static const char want[] = "http/1.1";
	unsigned int i = 0, n;

	(void)ssl;
	(void)arg;
	while (i < inlen) {
		n = in[i];
		if (n == 0 || n > inlen - i - 1)
			return SSL_TLSEXT_ERR_ALERT_FATAL;
		if (n == sizeof(want) - 1 && memcmp(in + i + 1, want, n) == 0) {
			*out = in + i + 1;
			*outlen = (unsigned char)n;
			return SSL_TLSEXT_ERR_OK;
		}
		i += 1 + n;
	}
	return SSL_TLSEXT_ERR_ALERT_FATAL;
}

/** net_tls_ctx_new(cert_pem, key_pem, client_ca_pem, ctxp): a server
 * context under the fixed policy (see tls.h). */
int
net_tls_ctx_new(const char *cert_pem, const char *key_pem,
    const char *client_ca_pem, struct net_tls_ctx **ctxp)
{
	struct net_tls_ctx *ctx = NULL;
	STACK_OF(X509_NAME) *names = NULL;
	char why[256];
	int r;

	ERR_clear_error();
	if ((ctx = calloc(1, sizeof(*ctx))) == NULL) {
		r = HK_ENOMEM;
		goto out;
	}
	if ((ctx->ssl_ctx = SSL_CTX_new(TLS_server_method())) == NULL) {
		hk_error_f("SSL_CTX_new: %s", ossl_reason(why, sizeof(why)));
		r = HK_ECRYPTO;
		goto out;
	}
	/*
	 * Versions and suites: TLS 1.2 limited to ECDHE + AEAD (forward
	 * secrecy, no CBC), TLS 1.3 to its AEAD suites. Security level 2
	 * refuses keys under 112 bits of strength (RSA < 2048).
	 */
	SSL_CTX_set_security_level(ctx->ssl_ctx, 2);
	if (SSL_CTX_set_min_proto_version(ctx->ssl_ctx, TLS1_2_VERSION) != 1 ||
	    SSL_CTX_set_max_proto_version(ctx->ssl_ctx, TLS1_3_VERSION) != 1 ||
	    SSL_CTX_set_cipher_list(ctx->ssl_ctx, NET_TLS12_CIPHERS) != 1 ||
	    SSL_CTX_set_ciphersuites(ctx->ssl_ctx, NET_TLS13_CIPHERS) != 1 ||
	    SSL_CTX_set1_groups_list(ctx->ssl_ctx, "X25519:P-256:P-384") !=
		1 ||
	    SSL_CTX_set_num_tickets(ctx->ssl_ctx, 0) != 1) {
		hk_error_f("TLS policy: %s", ossl_reason(why, sizeof(why)));
		r = HK_ECRYPTO;
		goto out;
	}
	/*
	 * No tickets (TLS 1.2 and, with num_tickets 0, TLS 1.3), no session
	 * cache, no renegotiation, no compression. The server picks the
	 * suite. An EOF without close_notify stays an error (the default;
	 * cleared in case a configuration file set it).
	 */
	SSL_CTX_set_options(ctx->ssl_ctx, SSL_OP_NO_TICKET |
	    SSL_OP_NO_RENEGOTIATION | SSL_OP_NO_COMPRESSION |
	    SSL_OP_CIPHER_SERVER_PREFERENCE);
	SSL_CTX_clear_options(ctx->ssl_ctx, SSL_OP_IGNORE_UNEXPECTED_EOF);
	SSL_CTX_set_session_cache_mode(ctx->ssl_ctx, SSL_SESS_CACHE_OFF);
	SSL_CTX_set_mode(ctx->ssl_ctx, SSL_MODE_RELEASE_BUFFERS);
	SSL_CTX_set_alpn_select_cb(ctx->ssl_ctx, alpn_select, NULL);

	if (SSL_CTX_use_certificate_chain_file(ctx->ssl_ctx, cert_pem) != 1) {
		hk_error_f("server certificate %s: %s", cert_pem,
		    ossl_reason(why, sizeof(why)));
		r = HK_ECONFIG;
		goto out;
	}
	if (SSL_CTX_use_PrivateKey_file(ctx->ssl_ctx, key_pem,
		SSL_FILETYPE_PEM) != 1) {
		hk_error_f("server key %s: %s", key_pem,
		    ossl_reason(why, sizeof(why)));
		r = HK_ECONFIG;
		goto out;
	}
	if (SSL_CTX_check_private_key(ctx->ssl_ctx) != 1) {
		hk_error_f("server key %s does not match certificate %s: %s",
		    key_pem, cert_pem, ossl_reason(why, sizeof(why)));
		r = HK_ECONFIG;
		goto out;
	}

	if (client_ca_pem != NULL) {
		/* The context's store starts empty and never gets the
		 * system's default paths: this CA file is the only anchor. */
		if (SSL_CTX_load_verify_file(ctx->ssl_ctx, client_ca_pem) !=
		    1) {
			hk_error_f("client CA %s: %s", client_ca_pem,
			    ossl_reason(why, sizeof(why)));
			r = HK_ECONFIG;
			goto out;
		}
		if ((names = SSL_load_client_CA_file(client_ca_pem)) == NULL) {
			hk_error_f("client CA %s: no CA certificate: %s",
			    client_ca_pem, ossl_reason(why, sizeof(why)));
			r = HK_ECONFIG;
			goto out;
		}
		SSL_CTX_set_client_CA_list(ctx->ssl_ctx, names);
		names = NULL;
		if (SSL_CTX_set_purpose(ctx->ssl_ctx,
			X509_PURPOSE_SSL_CLIENT) != 1) {
			hk_error_f("client CA purpose: %s",
			    ossl_reason(why, sizeof(why)));
			r = HK_ECRYPTO;
			goto out;
		}
		SSL_CTX_set_verify(ctx->ssl_ctx,
		    SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, NULL);
	}
	*ctxp = ctx;
	ctx = NULL;
	r = 0;
out:
	sk_X509_NAME_pop_free(names, X509_NAME_free);
	net_tls_ctx_free(ctx);
	return r;
}

/** net_tls_ctx_free(ctx): release ${ctx}; accepts NULL. */
void
net_tls_ctx_free(struct net_tls_ctx *ctx)
{
	if (ctx == NULL)
		return;
	SSL_CTX_free(ctx->ssl_ctx);
	free(ctx);
}

/** net_tls_conn_new(ctx): a server connection; NULL on ENOMEM. */
struct net_tls_conn *
net_tls_conn_new(struct net_tls_ctx *ctx)
{
	struct net_tls_conn *conn;
	BIO *rbio = NULL, *wbio = NULL;

	if ((conn = calloc(1, sizeof(*conn))) == NULL)
		return NULL;
	if ((conn->ssl = SSL_new(ctx->ssl_ctx)) == NULL ||
	    (rbio = BIO_new(BIO_s_mem())) == NULL ||
	    (wbio = BIO_new(BIO_s_mem())) == NULL) {
		BIO_free(rbio);
		BIO_free(wbio);
		SSL_free(conn->ssl);
		free(conn);
		ERR_clear_error();
		return NULL;
	}
	/* An empty read BIO means "no bytes yet", not end of file. */
	BIO_set_mem_eof_return(rbio, -1);
	SSL_set_bio(conn->ssl, rbio, wbio);
	conn->rbio = rbio;
	conn->wbio = wbio;
	SSL_set_accept_state(conn->ssl);
	return conn;
}

/** net_tls_conn_free(conn): release ${conn}; accepts NULL. */
void
net_tls_conn_free(struct net_tls_conn *conn)
{
	if (conn == NULL)
		return;
	SSL_free(conn->ssl); /* frees both BIOs and wipes the keys */
	free(conn);
}

/*
 * io_error(conn, ret, what): classify a failed SSL_* I/O call that
 * returned ${ret}: 0 when it only needs more input, HK_ECLOSED on the
 * peer's close_notify, otherwise the connection is dead: HK_EAUTH for a
 * refused client certificate, HK_EPROTO for the rest. Must run right
 * after the call (SSL_get_error reads the thread's error queue).
 */
static int
io_error(struct net_tls_conn *conn, int ret, const char *what)
{
	char why[256];
	unsigned long e;
	int err = SSL_get_error(conn->ssl, ret);

	switch (err) {
	case SSL_ERROR_WANT_READ:
		return 0;
	case SSL_ERROR_ZERO_RETURN:
		conn->peer_closed = true;
		return HK_ECLOSED;
	case SSL_ERROR_SSL:
		e = ERR_peek_error();
		conn->failed = true;
		hk_info_f("TLS %s failed: %s", what, ossl_reason(why,
		    sizeof(why)));
		if (ERR_GET_LIB(e) == ERR_LIB_SSL &&
		    (ERR_GET_REASON(e) == SSL_R_CERTIFICATE_VERIFY_FAILED ||
			ERR_GET_REASON(e) ==
			    SSL_R_PEER_DID_NOT_RETURN_A_CERTIFICATE))
			return HK_EAUTH;
		return HK_EPROTO;
	default:
		/* SSL_ERROR_SYSCALL and the rest cannot come from memory
		 * BIOs; treat them as a dead connection. */
		conn->failed = true;
		hk_info_f("TLS %s failed: SSL error %d: %s", what, err,
		    ossl_reason(why, sizeof(why)));
		return HK_EPROTO;
	}
}

/** net_tls_conn_feed(conn, ct, n, plaintext): process ${n} ciphertext bytes
 * from the peer; append application data to ${plaintext}. */
int
net_tls_conn_feed(struct net_tls_conn *conn, const uint8_t *ct, size_t n,
    struct hk_buf *plaintext)
{
	size_t written, got;
	int r, rc;

	if (conn->failed)
		return HK_EPROTO;
	if (conn->peer_closed)
		return HK_ECLOSED;
	if (n > 0) {
		ERR_clear_error();
		if (BIO_write_ex(conn->rbio, ct, n, &written) != 1 ||
		    written != n) {
			ERR_clear_error();
			return HK_ENOMEM;
		}
	}
	if (!SSL_is_init_finished(conn->ssl)) {
		ERR_clear_error();
		rc = SSL_do_handshake(conn->ssl);
		if (rc != 1)
			return io_error(conn, rc, "handshake");
	}
	for (;;) {
		if ((r = hk_buf_reserve(plaintext, 16384)) != 0)
			return r;
		ERR_clear_error();
		if (SSL_read_ex(conn->ssl, plaintext->p + plaintext->len,
			plaintext->cap - plaintext->len, &got) != 1)
			return io_error(conn, 0, "read");
		plaintext->len += got;
	}
}

/** net_tls_conn_eof(conn): the transport reached end of file; 0 for a clean
 * close, HK_ETRUNCATED otherwise. */
int
net_tls_conn_eof(struct net_tls_conn *conn)
{
	uint8_t scratch[256];
	char why[256];
	unsigned long e;
	size_t got;
	int rc, err;

	if (conn->peer_closed)
		return 0;
	if (conn->failed)
		return HK_ETRUNCATED;
	/* Bytes fed so far were all processed by net_tls_conn_feed(), so the
	 * read BIO is empty: reading now meets the end of file. */
	BIO_set_mem_eof_return(conn->rbio, 0);
	ERR_clear_error();
	rc = SSL_read_ex(conn->ssl, scratch, sizeof(scratch), &got);
	err = SSL_get_error(conn->ssl, rc);
	if (rc != 1 && err == SSL_ERROR_ZERO_RETURN) {
		conn->peer_closed = true;
		return 0;
	}
	e = ERR_peek_error();
	conn->failed = true;
	if (rc != 1 && err == SSL_ERROR_SSL && ERR_GET_LIB(e) == ERR_LIB_SSL &&
	    ERR_GET_REASON(e) == SSL_R_UNEXPECTED_EOF_WHILE_READING)
		hk_info_f("TLS connection truncated (no close_notify)");
	else
		hk_info_f("TLS end of file: SSL error %d: %s", err,
		    ossl_reason(why, sizeof(why)));
	ERR_clear_error();
	OPENSSL_cleanse(scratch, sizeof(scratch));
	return HK_ETRUNCATED;
}

/** net_tls_conn_write(conn, p, n): encrypt ${n} bytes into the output. */
int
net_tls_conn_write(struct net_tls_conn *conn, const uint8_t *p, size_t n)
{
	size_t done;
	int r;

	if (conn->failed)
		return HK_EPROTO;
	if (!SSL_is_init_finished(conn->ssl))
		return HK_ESTATE;
	if ((SSL_get_shutdown(conn->ssl) & SSL_SENT_SHUTDOWN) != 0)
		return HK_ECLOSED;
	if (n == 0)
		return 0;
	/* Without SSL_MODE_ENABLE_PARTIAL_WRITE, success means all of it;
	 * the write BIO grows as needed, so it never asks to retry. */
	ERR_clear_error();
	if (SSL_write_ex(conn->ssl, p, n, &done) == 1 && done == n)
		return 0;
	r = io_error(conn, 0, "write");
	if (r == 0) {
		conn->failed = true;
		r = HK_EPROTO;
	}
	return r;
}

/** net_tls_conn_take_output(conn, ct): move pending output to ${ct}. */
int
net_tls_conn_take_output(struct net_tls_conn *conn, struct hk_buf *ct)
{
	size_t pending, got;
	int r;

	while ((pending = BIO_ctrl_pending(conn->wbio)) > 0) {
		if ((r = hk_buf_reserve(ct, pending)) != 0)
			return r;
		if (BIO_read_ex(conn->wbio, ct->p + ct->len, pending, &got) !=
		    1) {
			ERR_clear_error();
			return HK_ENOMEM;
		}
		ct->len += got;
	}
	return 0;
}

/** net_tls_conn_shutdown(conn): queue close_notify. */
int
net_tls_conn_shutdown(struct net_tls_conn *conn)
{
	char why[256];

	if (conn->failed || !SSL_is_init_finished(conn->ssl) ||
	    (SSL_get_shutdown(conn->ssl) & SSL_SENT_SHUTDOWN) != 0)
		return 0;
	ERR_clear_error();
	/* 0: sent, the peer's not yet seen; 1: both directions closed. */
	if (SSL_shutdown(conn->ssl) >= 0)
		return 0;
	conn->failed = true;
	hk_info_f("TLS shutdown failed: %s", ossl_reason(why, sizeof(why)));
	return HK_EPROTO;
}

/** net_tls_conn_handshake_done(conn): true once the handshake completed. */
bool
net_tls_conn_handshake_done(const struct net_tls_conn *conn)
{
	return SSL_is_init_finished(conn->ssl) == 1;
}

/** net_tls_conn_version(conn): the protocol version's name. */
const char *
net_tls_conn_version(const struct net_tls_conn *conn)
{
	return SSL_get_version(conn->ssl);
}

/** net_tls_conn_cipher(conn): the negotiated suite's name. */
const char *
net_tls_conn_cipher(const struct net_tls_conn *conn)
{
	return SSL_get_cipher_name(conn->ssl);
}

/** net_tls_conn_peer(conn, fp, subject, subject_size): the verified client
 * certificate's SHA-256 fingerprint and RFC 2253 subject. */
int
net_tls_conn_peer(const struct net_tls_conn *conn,
    uint8_t fp[static NET_TLS_FP_LEN], char *subject, size_t subject_size)
{
	X509 *cert;
	BIO *mem = NULL;
	unsigned char *der = NULL;
	unsigned int mdlen = 0;
	char *text;
	long tlen;
	int dlen, r;

	if (subject_size > 0)
		subject[0] = '\0';
	if (!SSL_is_init_finished(conn->ssl))
		return HK_ESTATE;
	if ((cert = SSL_get0_peer_certificate(conn->ssl)) == NULL)
		return HK_ENOTFOUND;
	if (SSL_get_verify_result(conn->ssl) != X509_V_OK)
		return HK_EAUTH;
	ERR_clear_error();
	if ((dlen = i2d_X509(cert, &der)) <= 0 ||
	    EVP_Digest(der, (size_t)dlen, fp, &mdlen, EVP_sha256(), NULL) !=
		1 ||
	    mdlen != NET_TLS_FP_LEN) {
		r = HK_ECRYPTO;
		goto out;
	}
	if ((mem = BIO_new(BIO_s_mem())) == NULL) {
		r = HK_ENOMEM;
		goto out;
	}
	/* XN_FLAG_RFC2253 escapes controls and non-ASCII bytes, so the text
	 * is printable ASCII and safe in a log line. */
	if (X509_NAME_print_ex(mem, X509_get_subject_name(cert), 0,
		XN_FLAG_RFC2253) < 0) {
		r = HK_ECRYPTO;
		goto out;
	}
	if ((tlen = BIO_get_mem_data(mem, &text)) < 0 ||
	    (size_t)tlen >= subject_size) {
		r = HK_ETOOBIG;
		goto out;
	}
	memcpy(subject, text, (size_t)tlen);
	subject[tlen] = '\0';
	r = 0;
out:
	ERR_clear_error();
	BIO_free(mem);
	OPENSSL_free(der);
	return r;
}
