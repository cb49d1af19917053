/* SPDX-License-Identifier: Apache-2.0 */
/*
 * lifecycle: the core's executor for the admin and signer API of issue 5
 * (docs/admin-api.md): privileged users and their roles, dual control,
 * signer registration with sealed attributes, enrollment, keys in the HSM,
 * CSRs, certificate binding, suspension, destruction and renewal. REG-1..6,
 * REG-8, END-1..3, OPS-1, OPS-2, OPS-6, ACT-9.
 *
 * One thread runs every request in arrival order, so each decision sees
 * the state the previous one left: decide against the state, do the HSM
 * work, append the events (with their vault records) and wait for them to
 * be durable, apply them, answer. It owns the signer state while it runs.
 * Requests are low-volume administration; argon2id and HSM calls block
 * this thread, never the event loop.
 */
#ifndef HK_LIFECYCLE_H
#define HK_LIFECYCLE_H

#include <stdint.h>

#include "core/buf.h"
#include "core/config.h"
#include "core/err.h"
#include "core/ipc.h"
#include "core/pwhash.h"
#include "core/sam.h"
#include "core/state.h"
#include "hsm/hsm.h"
#include "ledger/ledger.h"

struct hk_lc;

/* The answer to one request, on the executor thread: ${body} is an
 * encoded map, borrowed for the call. */
typedef void (*hk_lc_done_cb)(void *arg, uint64_t id, unsigned status,
    const uint8_t *body, size_t len);

struct hk_lc_opts {
	const struct hk_config *cfg;
	struct ledger *ledger;
	struct hsm_pool *pool;
	struct hk_state *state;   /* shared with the SAM (thread-safe) */
	struct hk_sam *sam;       /* sessions and SADs (CSC methods 50-56) */
	struct hk_pwhash_params pwhash;
	hk_lc_done_cb done;
	void *arg;
	/* Where bundle downloads are packed (created; emptied at start and
	 * stop); NULL: /audit/v1/bundle answers 503. */
	const char *spool_dir;
};

/** hk_lc_new(o, out): load the trusted CAs and the operator CA, start the
 * executor thread. Borrowed pointers live until hk_lc_free(). 0 or HK_E*
 * (logged). */
HK_MUST_CHECK int hk_lc_new(const struct hk_lc_opts *o, struct hk_lc **out);

/** hk_lc_handles(type): whether ${type} is one of the executor's. */
bool hk_lc_handles(uint64_t type);

/** hk_lc_submit(lc, req): queue a copy of ${req}; its answer comes through
 * the done callback. 0, or HK_EBUSY (queue full) / HK_ENOMEM: then no
 * callback. Any thread. */
HK_MUST_CHECK int hk_lc_submit(struct hk_lc *lc, const struct hk_ipc_msg *req);

/** hk_lc_free(lc): finish the queued requests, stop the thread. Accepts
 * NULL. */
void hk_lc_free(struct hk_lc *lc);

#endif
