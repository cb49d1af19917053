/* SPDX-License-Identifier: Apache-2.0 */
/*
 * tls: TLS server connections over OpenSSL memory BIOs, with no sockets and
 * no event loop (NET-1, NET-2, NET-3). The caller moves bytes: ciphertext
 * read from the network goes in through net_tls_conn_feed(), which drives
 * the handshake and returns plaintext; plaintext to send goes in through
 * net_tls_conn_write(); after every call, net_tls_conn_take_output() hands
 * back the ciphertext to send (handshake messages, records, alerts).
 *
 * Policy, fixed here rather than configurable: TLS 1.2 and 1.3 only; TLS
 * 1.2 suites are ECDHE key exchange with AEAD ciphers only (AES-GCM,
 * ChaCha20-Poly1305), so every session is forward secret; TLS 1.3 uses its
 * AEAD suites; no session tickets and no session cache (a ticket key would
 * be a long-lived secret able to decrypt recorded sessions); no
 * renegotiation; ALPN, when offered, must include "http/1.1". With a
 * client CA (the admin listener, NET-2) a client certificate is required
 * and must chain to that CA, which is the only trust anchor.
 */
#ifndef HK_NET_TLS_H
#define HK_NET_TLS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/buf.h"
#include "core/err.h"

#define NET_TLS_FP_LEN 32 /* SHA-256 of the client certificate's DER */

/* The TLS 1.2 cipher suites allowed (OpenSSL names). */
#define NET_TLS12_CIPHERS \
	"ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:" \
	"ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305:" \
	"ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256"
/* The TLS 1.3 cipher suites allowed (OpenSSL's default AEAD set). */
#define NET_TLS13_CIPHERS \
	"TLS_AES_256_GCM_SHA384:TLS_CHACHA20_POLY1305_SHA256:" \
	"TLS_AES_128_GCM_SHA256"

/* Server configuration shared by the connections of one listener. */
struct net_tls_ctx;

/* One server-side TLS connection. */
struct net_tls_conn;

/**
 * net_tls_ctx_new(cert_pem, key_pem, client_ca_pem, ctxp): a server context
 * presenting the certificate chain in the PEM file ${cert_pem} (leaf
 * first) with the private key in ${key_pem}. When ${client_ca_pem} is not
 * NULL, every client must present a certificate that chains to a CA in
 * that PEM file (the only trust anchors; no system store). Returns 0 with
 * *${ctxp} set, HK_ECONFIG (a file unreadable or not PEM, the key not
 * matching the certificate, no usable CA; logged with the file name and
 * OpenSSL's reason), HK_ECRYPTO or HK_ENOMEM. Free with net_tls_ctx_free().
 */
HK_MUST_CHECK int net_tls_ctx_new(const char *cert_pem, const char *key_pem,
    const char *client_ca_pem, struct net_tls_ctx **ctxp);

/** net_tls_ctx_free(ctx): release ${ctx}; accepts NULL. Connections made
 * from it stay valid (OpenSSL counts references). */
void net_tls_ctx_free(struct net_tls_ctx *ctx);

/** net_tls_conn_new(ctx): a server connection awaiting a ClientHello; NULL
 * on ENOMEM. Any thread, but one connection is used by one thread at a
 * time. */
struct net_tls_conn *net_tls_conn_new(struct net_tls_ctx *ctx);

/** net_tls_conn_free(conn): release ${conn} and its keys; accepts NULL. Call
 * net_tls_conn_shutdown() first for a clean close. */
void net_tls_conn_free(struct net_tls_conn *conn);

/**
 * net_tls_conn_feed(conn, ct, n, plaintext): hand ${n} bytes of ciphertext
 * received from the peer to ${conn}; drive the handshake and append any
 * application data they complete to ${plaintext}. Returns:
 *  - 0: all bytes consumed (the handshake may still be in progress);
 *  - HK_ECLOSED: the peer sent close_notify (a clean close); data before
 *    it was appended;
 *  - HK_EAUTH: the handshake failed because the client certificate was
 *    missing or did not verify (NET-2);
 *  - HK_EPROTO: the handshake or a record failed (version or suites
 *    refused, bad record, unexpected message; logged at info level);
 *  - HK_ENOMEM.
 * After any return, net_tls_conn_take_output() may hold bytes to send (a
 * handshake flight or an alert). After an error the connection is dead:
 * send the output, then close.
 */
HK_MUST_CHECK int net_tls_conn_feed(struct net_tls_conn *conn,
    const uint8_t *ct, size_t n, struct hk_buf *plaintext);

/**
 * net_tls_conn_eof(conn): the transport reached end of file (the peer
 * closed its side). Returns 0 when the peer had sent close_notify before
 * (a clean close), HK_ETRUNCATED when it had not (SSL_R_UNEXPECTED_EOF_
 * WHILE_READING: the data received may be cut short and must not be acted
 * on as complete).
 */
HK_MUST_CHECK int net_tls_conn_eof(struct net_tls_conn *conn);

/** net_tls_conn_write(conn, p, n): encrypt ${n} bytes of application data
 * into the output. 0, HK_ESTATE (handshake not done), HK_ECLOSED (shut
 * down), HK_EPROTO or HK_ENOMEM. */
HK_MUST_CHECK int net_tls_conn_write(struct net_tls_conn *conn,
    const uint8_t *p, size_t n);

/** net_tls_conn_take_output(conn, ct): move every pending output byte (to
 * send to the peer) to the end of ${ct}. 0 or HK_ENOMEM. */
HK_MUST_CHECK int net_tls_conn_take_output(struct net_tls_conn *conn,
    struct hk_buf *ct);

/** net_tls_conn_shutdown(conn): queue a close_notify alert in the output
 * (no-op when already sent or the connection failed). 0 or HK_EPROTO. */
HK_MUST_CHECK int net_tls_conn_shutdown(struct net_tls_conn *conn);

/** net_tls_conn_handshake_done(conn): true once the handshake completed. */
bool net_tls_conn_handshake_done(const struct net_tls_conn *conn);

/** net_tls_conn_version(conn): "TLSv1.3", "TLSv1.2", ... (static). */
const char *net_tls_conn_version(const struct net_tls_conn *conn);

/** net_tls_conn_cipher(conn): the negotiated suite's OpenSSL name, or
 * "(NONE)" (static). */
const char *net_tls_conn_cipher(const struct net_tls_conn *conn);

/**
 * net_tls_conn_peer(conn, fp, subject, subject_size): the verified client
 * certificate: ${fp} = SHA-256 of its DER encoding, ${subject} = its
 * subject as one line of RFC 2253 text, NUL-terminated (for logs and the
 * core's decision; the fingerprint is what identifies). Returns 0,
 * HK_ESTATE (handshake not done), HK_ENOTFOUND (no client certificate),
 * HK_EAUTH (a certificate that did not verify), HK_ETOOBIG (${subject}
 * too small; it then holds "") or HK_ENOMEM/HK_ECRYPTO.
 */
HK_MUST_CHECK int net_tls_conn_peer(const struct net_tls_conn *conn,
    uint8_t fp[static NET_TLS_FP_LEN], char *subject, size_t subject_size);

#endif
