/* SPDX-License-Identifier: Apache-2.0 */
/*
 * audit_api: the core's handlers of the auditor API (issue 7,
 * docs/audit-api.md): ledger status, events paged and filtered, receipts,
 * consistency proofs and signature lookup by hash. OPS-4, OPS-6, SIG-6.
 *
 * Read-only by construction: the handlers only read the ledger (read
 * snapshots, ledger.h) and write the answer; they hold no state and call
 * nothing that changes any. The role check (auditor only) and the
 * admin.request record are the executor's (core/lifecycle.c), which runs
 * these on its worker thread like every admin operation. The request map
 * comes from the untrusted front (ACT-3): every key is checked here.
 */
#ifndef HK_AUDIT_API_H
#define HK_AUDIT_API_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/buf.h"
#include "core/state.h"
#include "ledger/ledger.h"

/* One request examines at most this many events (/events, /signatures). */
#define HK_AUDIT_SCAN_MAX 100000u
/* ... and answers with at most about this many bytes of event JSON. */
#define HK_AUDIT_RESP_BUDGET ((size_t)768 << 10)
/* The most events one /events request returns, and the default. */
#define HK_AUDIT_LIMIT_MAX 500u
#define HK_AUDIT_LIMIT_DEFAULT 100u
/* The most signers one /signers page lists, and the default. */
#define HK_AUDIT_SIGNERS_MAX 200u
#define HK_AUDIT_SIGNERS_DEFAULT 50u

/* What the handlers read: the ledger (a read snapshot per request), the
 * live signer state (shared, thread-safe) and the time the request is
 * answered at (ms since the epoch; "today" of the summary). Borrowed for
 * the call. */
struct hk_audit_ctx {
	struct ledger *ledger;
	const struct hk_state *state;
	uint64_t now_ms;
	/* The last full verification for /status; NULL: the state's (its
	 * last ledger.verified), or none without a state. */
	const struct hk_state_verified *verified;
};

/* The answer of one request, filled by hk_audit_api_run. */
struct hk_audit_answer {
	unsigned status;    /* HTTP status */
	struct hk_buf *resp; /* the answer map (error: {1: code, 2: text}) */
	char *reason;       /* the refusal text for admin.request */
	size_t reason_max;
	char *target;       /* what the request was about, for admin.request */
	size_t target_max;
};

/** hk_audit_api_handles(type): whether ${type} is an auditor API type. */
bool hk_audit_api_handles(uint64_t type);

/** hk_audit_api_target(type, body, n, out, max): the admin.request target
 * of a request the executor refuses before running it: the path of a
 * console request (HK_IPC_CONSOLE), "" for every other type or a
 * malformed map. Writes at most ${max} bytes, NUL-terminated. */
void hk_audit_api_target(uint64_t type, const uint8_t *body, size_t n,
    char *out, size_t max);

/** hk_audit_api_run(cx, type, body, n, a): answer the auditor request of
 * IPC type ${type} with request map ${body}[0..n) from the ledger and
 * state of ${cx} into ${a} (docs/audit-api.md: 200, 400, 404 or 503); the
 * console access type (HK_IPC_CONSOLE) only names its path in
 * ${a}->target and answers 200 with an empty map: the role check that
 * decides it is the executor's. Never changes the ledger or the state.
 * Not on an event loop thread (it reads LMDB). */
void hk_audit_api_run(const struct hk_audit_ctx *cx, uint64_t type,
    const uint8_t *body, size_t n, struct hk_audit_answer *a);

#endif
