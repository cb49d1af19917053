/* SPDX-License-Identifier: Apache-2.0 */
/*
 * monitor: the core process of hankod (design "Shape"; style item 4). It
 * alone holds the ledger (LMDB), the HSM adapter (PKCS#11) and the signer
 * state, all opened after the front was forked, and serves the front's
 * typed requests over the IPC socket on a libuv loop (ACT-3: every
 * decision is taken here). It records appliance.started with the software
 * version and the configuration's hash, config.applied first when that
 * hash differs from the one recorded at the previous start (OPS-3), and
 * appliance.stopped with the reason when it closes.
 */
#ifndef HK_MONITOR_H
#define HK_MONITOR_H

#include <sys/types.h>

#include "core/config.h"
#include "core/err.h"

struct hk_monitor;

/** hk_monitor_open(cfg, state_dir, out): load the PKCS#11 module (power-up
 * self-test included), open the checkpoint key, the ledger and replay it,
 * and record the start. ${cfg} is borrowed until hk_monitor_close(). Any
 * failure is logged with its reason. 0 or HK_E*. */
HK_MUST_CHECK int hk_monitor_open(const struct hk_config *cfg,
    const char *state_dir, struct hk_monitor **out);

/** hk_monitor_serve(m, ipc_fd, front): serve the front over ${ipc_fd}
 * until the daemon stops. SIGTERM or SIGINT: ask the front to drain (it
 * gets SIGTERM), keep answering until it has exited, return 0. The front
 * exiting on its own, dying, or sending a malformed message: log why and
 * return HK_EPROTO / HK_EIO (the daemon fails closed). The ledger failing
 * is reported by /readyz and ends nothing. */
HK_MUST_CHECK int hk_monitor_serve(struct hk_monitor *m, int ipc_fd,
    pid_t front);

/** hk_monitor_close(m, reason): record appliance.stopped with ${reason}
 * (when the ledger still takes writes), then close the ledger and the HSM.
 * Accepts NULL. */
void hk_monitor_close(struct hk_monitor *m, const char *reason);

#endif
