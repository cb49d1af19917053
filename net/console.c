/* SPDX-License-Identifier: Apache-2.0 */
/*
 * console: the asset lookup of the auditor console (see console.h).
 * Issue 8; OPS-4, OPS-6, SIG-6.
 */
#include <string.h>

#include "net/console.h"

/** net_console_lookup(path, len, out): the asset at ${path}. */
int
net_console_lookup(const char *path, size_t len,
    const struct net_console_asset **out)
{
	const size_t plen = sizeof(NET_CONSOLE_PREFIX) - 1;
	const char *name;
	size_t n, i;

	if (len < plen || memcmp(path, NET_CONSOLE_PREFIX, plen) != 0)
		return HK_ENOTFOUND;
	name = path + plen;
	n = len - plen;
	if (n == 0) {
		name = "index.html";
		n = strlen(name);
	}
	for (i = 0; i < net_console_nassets; i++) {
		if (strlen(net_console_assets[i].name) == n &&
		    memcmp(net_console_assets[i].name, name, n) == 0) {
			*out = &net_console_assets[i];
			return 0;
		}
	}
	return HK_ENOTFOUND;
}
