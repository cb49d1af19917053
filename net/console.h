/* SPDX-License-Identifier: Apache-2.0 */
/*
 * console: the auditor console's static assets, built into the binary
 * from console/ (console/embed.c generates the table at build time), and
 * the response header fields they are served with (issue 8; OPS-4,
 * OPS-6, SIG-6; docs/console.md). The front serves an asset only after
 * the core allowed the request (HK_IPC_CONSOLE, auditor role, recorded).
 */
#ifndef HK_NET_CONSOLE_H
#define HK_NET_CONSOLE_H

#include <stddef.h>

#include "core/err.h"

/* The console's URL prefix; "/console/" itself is index.html. */
#define NET_CONSOLE_PREFIX "/console/"

struct net_console_asset {
	const char *name;  /* "app.js": served as /console/app.js */
	const char *type;  /* Content-Type value */
	const unsigned char *data;
	size_t len;
};

/* The generated table (build/.../gen/console_assets.c). */
extern const struct net_console_asset net_console_assets[];
extern const size_t net_console_nassets;

/* Field lines (CRLF-terminated) of every console response: a strict
 * Content-Security-Policy (default-src 'self', nothing inline, no
 * framing, no base or form targets), X-Frame-Options: DENY,
 * X-Content-Type-Options: nosniff, Referrer-Policy: no-referrer,
 * Cross-Origin-Opener-Policy and -Resource-Policy: same-origin. No
 * cookie is ever set. */
#define NET_CONSOLE_HEADERS \
	"Content-Security-Policy: default-src 'self'; base-uri 'none'; " \
	"form-action 'none'; frame-ancestors 'none'\r\n" \
	"X-Frame-Options: DENY\r\n" \
	"X-Content-Type-Options: nosniff\r\n" \
	"Referrer-Policy: no-referrer\r\n" \
	"Cross-Origin-Opener-Policy: same-origin\r\n" \
	"Cross-Origin-Resource-Policy: same-origin\r\n"

/**
 * net_console_lookup(path, len, out): the asset served at the path
 * ${path}[0..len) ("/console/" is "index.html"; other names match
 * exactly, no directories). 0 with *${out} set (static), or HK_ENOTFOUND.
 * Any thread.
 */
HK_MUST_CHECK int net_console_lookup(const char *path, size_t len,
    const struct net_console_asset **out);

#endif
