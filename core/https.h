/* SPDX-License-Identifier: Apache-2.0 */
/*
 * https: a minimal, strict HTTPS/1.1 client for the `hanko admin` and
 * `hanko signer` command lines (OPS-1, OPS-2, REG-2, END-1, END-2; NET-2
 * from the client's side). One request per connection on a blocking
 * socket: TLS 1.2 or later on OpenSSL, the server certificate verified
 * against one CA file (no system trust store) and the host name or IP
 * address of the URL, an optional client certificate and key, a bounded
 * response framed by Content-Length only (chunked or unframed answers are
 * refused), and JSON bodies decoded strictly with jansson. Everything the
 * request held (Authorization, bodies with PINs or passwords) is wiped.
 */
#ifndef HK_HTTPS_H
#define HK_HTTPS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "core/buf.h"
#include "core/err.h"

/* Bounds on an answer: its head and its body; the default time limit of
 * the whole exchange. */
#define HK_HTTPS_MAX_HEAD 16384
#define HK_HTTPS_MAX_BODY ((size_t)4 << 20)
#define HK_HTTPS_TIMEOUT_MS 30000
#define HK_HTTPS_ERR_LEN 256

/* A parsed "https://HOST:PORT" (IPv6 as "[addr]"; host kept without the
 * brackets). */
struct hk_https_url {
	char host[256];
	char port[6];
	bool ipv6;
};

struct hk_https_opts {
	const char *ca_file;   /* required: the only trust anchor */
	const char *cert_file; /* NULL, or a client certificate (PEM chain) */
	const char *key_file;  /* its key (PEM); with cert_file */
	unsigned timeout_ms;   /* 0: HK_HTTPS_TIMEOUT_MS */
	size_t max_body;       /* 0: HK_HTTPS_MAX_BODY */
};

/* An answer. WARNING: ${body} may hold a secret (an enrollment code, an
 * otpauth URI): release it with hk_https_response_release (wipes). */
struct hk_https_response {
	int status;
	char content_type[128]; /* "" when absent */
	struct hk_buf body;
};

/** hk_https_url_parse(url, u): parse "https://HOST:PORT" (a trailing "/"
 * allowed, nothing else after the port) into ${u}. 0 or HK_EINVAL. */
HK_MUST_CHECK int hk_https_url_parse(const char *url, struct hk_https_url *u);

/**
 * hk_https_request(o, u, method, path, auth, body, blen, resp, err):
 * connect to ${u}, verify the server, send one request "${method} ${path}
 * HTTP/1.1" with Host, "Connection: close", ${auth} (NULL, or the
 * Authorization value; WARNING: secret, never logged) and, unless
 * ${method} is GET, the JSON ${body}[0..blen) with Content-Length (0 when
 * ${body} is NULL), and read the answer into ${resp} (which the caller
 * releases in every case). Returns 0 for any complete answer, whatever
 * its status; otherwise, with ${err} (HK_HTTPS_ERR_LEN bytes, may be
 * NULL) saying why: HK_EINVAL (bad arguments, a file that cannot be
 * loaded), HK_EIO (cannot resolve, connect, read or write; TLS handshake
 * refused), HK_EVERIFY (the server certificate does not verify against
 * the CA file or does not name the host), HK_ETIMEOUT, HK_EPROTO (an
 * answer that is not strict HTTP/1.1 with one Content-Length, or is
 * truncated), HK_ETOOBIG (head or body over the bounds) or HK_ENOMEM.
 * Blocking; any thread.
 */
HK_MUST_CHECK int hk_https_request(const struct hk_https_opts *o,
    const struct hk_https_url *u, const char *method, const char *path,
    const char *auth, const uint8_t *body, size_t blen,
    struct hk_https_response *resp, char *err);

/** hk_https_response_json(r, out, err): decode ${r}'s body, which must be
 * "application/json" and exactly one JSON object (no duplicate keys, no
 * trailing bytes). 0 with *${out} a new reference, or HK_EPROTO with
 * ${err} (may be NULL) saying why. */
HK_MUST_CHECK int hk_https_response_json(const struct hk_https_response *r,
    json_t **out, char *err);

/** hk_https_response_release(r): wipe and free ${r}'s body; ${r} may be
 * released again. */
void hk_https_response_release(struct hk_https_response *r);

/**
 * hk_https_json_wipe(): make jansson wipe every block it frees (request
 * bodies hold PINs and passwords, answers enrollment codes and otpauth
 * URIs). Process-wide; blocks stay plain malloc blocks, so it may be
 * called at any time. Idempotent.
 */
void hk_https_json_wipe(void);

#endif
