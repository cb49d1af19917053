/* SPDX-License-Identifier: Apache-2.0 */
/*
 * privsep: what the network front gives up before it reads a single byte
 * from the network (design "Shape"; OpenSSH's privilege separation; OPS-1:
 * the process that parses network input can neither reach the ledger, the
 * HSM or the state directory's secrets, nor regain what it dropped).
 */
#ifndef HK_PRIVSEP_H
#define HK_PRIVSEP_H

#include "core/err.h"

/** hk_privsep_drop(user, empty_dir): when running as root: chroot into
 * ${empty_dir} (made here: root-owned, mode 0755, empty), drop all
 * supplementary groups, take ${user}'s uid and gid for good and check
 * that root cannot be regained. In every case: no new privileges
 * (PR_SET_NO_NEW_PRIVS) and no core dumps or ptrace by others
 * (PR_SET_DUMPABLE 0). Not running as root, the uid stays (a warning
 * says so). 0 or HK_E* (logged); the caller must exit on failure. */
HK_MUST_CHECK int hk_privsep_drop(const char *user, const char *empty_dir);

#endif
