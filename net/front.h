/* SPDX-License-Identifier: Apache-2.0 */
/*
 * front: the unprivileged network front's event loop (NET-1, NET-2,
 * NET-3, ACT-5, ACT-8, OPS-6; design "Shape", style item 4). Two libuv TCP
 * listeners, the signing API (server-auth TLS) and the admin listener
 * (TLS with a client certificate required and verified against the
 * operator CA), each connection driven through net_tls and net_http, and
 * one socketpair to the core carrying typed msgpack requests (core/ipc.h).
 * The front authenticates nothing and decides nothing: it frames,
 * bounds and forwards what it saw (peer address, client certificate
 * fingerprint and subject, Authorization header) and translates the
 * core's typed answers back into HTTP. Limits, timeouts and what is
 * logged are described in docs/front.md.
 */
#ifndef HK_NET_FRONT_H
#define HK_NET_FRONT_H

#include "core/config.h"
#include "core/err.h"

/* How long a request may wait for the core's answer (then 504). */
#define NET_FRONT_CORE_TIMEOUT_MS 30000
/* How long SIGTERM/SIGINT lets in-flight requests finish. */
#define NET_FRONT_DRAIN_MS 10000
/* Stop reading from a connection whose queued output exceeds this. */
#define NET_FRONT_WRITE_HWM ((size_t)1 << 20)
/* Connections over max_connections answered 503 at the same time; more
 * are closed as soon as accepted. */
#define NET_FRONT_MAX_REFUSED 256

/* The front process's loop: listeners, connections, the core channel. */
struct net_front;

struct net_front_opts {
	/* Listeners, TLS files, limits, timeouts. */
	const struct hk_config *cfg;
	/* A connected AF_UNIX SOCK_STREAM socket to the core. */
	int ipc_fd;
	/* Optional, for tests; 0 means the default. */
	unsigned core_timeout_ms;    /* NET_FRONT_CORE_TIMEOUT_MS */
	unsigned drain_ms;           /* NET_FRONT_DRAIN_MS */
};

/**
 * net_front_new(o, out): load both TLS contexts (the files may be
 * unreadable after privileges drop, so they are read here), bind and
 * listen on both listeners, install SIGTERM/SIGINT handling (uv_signal)
 * and ignore SIGPIPE (process-wide: a peer closing its socket must not kill
 * the front). Runs before the supervisor drops privileges. No threads
 * started. ${o}->cfg is copied as needed and not borrowed after return.
 * Returns 0 with *${out} set, and from then on the front owns
 * ${o}->ipc_fd (closed by net_front_run or net_front_free); or HK_EINVAL
 * (a limit or timeout of 0), HK_ECONFIG (a TLS file refused), HK_EIO
 * (cannot bind or listen, logged e.g. "cannot bind 127.0.0.1:8443:
 * Address already in use") or HK_ENOMEM, every error logged, and the
 * caller still owns ${o}->ipc_fd.
 */
HK_MUST_CHECK int net_front_new(const struct net_front_opts *o,
    struct net_front **out);

/**
 * net_front_run(f): run the libuv loop (on the calling thread, once per
 * front) until either
 *  - SIGTERM or SIGINT has been handled: stop accepting, let requests in
 *    flight finish and their responses go out, close idle keep-alive
 *    connections, all bounded by the drain time (10 s): returns 0; or
 *  - the channel to the core closes or breaks (end of file, a read or
 *    write error, an oversized or malformed frame, an answer to a request
 *    never sent): logs "core closed the channel" or what was malformed,
 *    drops every connection at once and returns HK_EIO (closed, broken)
 *    or HK_EPROTO (malformed): the daemon fails closed.
 * Every handle is closed and uv_loop_close() has returned 0 before it
 * returns (HK_ESTATE, logged, if not: a bug).
 */
HK_MUST_CHECK int net_front_run(struct net_front *f);

/** net_front_free(f): close anything still open (when net_front_run was
 * never called), release the TLS contexts and ${f}; accepts NULL. */
void net_front_free(struct net_front *f);

#endif
