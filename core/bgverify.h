/* SPDX-License-Identifier: Apache-2.0 */
/*
 * bgverify: the core re-verifies the whole ledger in the background at a
 * configured cadence (issue 7, OPS-4): ledger_verify() on a read snapshot,
 * then a ledger.verified event with the result. A failure is final for
 * this process: /readyz turns red and the SAM stops signing (the caller's
 * ${fail} callback), until an operator has looked and restarted.
 */
#ifndef HANKO_CORE_BGVERIFY_H
#define HANKO_CORE_BGVERIFY_H

#include <stdbool.h>
#include <stdint.h>

#include "core/err.h"
#include "core/state.h"
#include "ledger/ledger.h"

struct hk_bgverify;

struct hk_bgverify_opts {
	struct ledger *ledger;
	struct hk_state *state;  /* events are applied under its decision lock */
	unsigned interval_s;     /* 0: never */
	void (*fail)(void *arg, const char *why); /* once, on the first failure */
	void *arg;
};

/* The last completed verification. */
struct hk_bgverify_result {
	bool done;          /* one has completed */
	bool ok;
	uint64_t at_ms;     /* when it ended (unix ms) */
	uint64_t events;
	uint64_t ms;
	char msg[256];      /* what was wrong, when !ok */
};

/** hk_bgverify_start(o, out): start the thread (the first run after one
 * interval). 0 or HK_ENOMEM. */
HK_MUST_CHECK int hk_bgverify_start(const struct hk_bgverify_opts *o,
    struct hk_bgverify **out);

/** hk_bgverify_stop(b): stop (a run in progress finishes first). NULL ok. */
void hk_bgverify_stop(struct hk_bgverify *b);

/** hk_bgverify_last(b, out): the last result (any thread). */
void hk_bgverify_last(struct hk_bgverify *b, struct hk_bgverify_result *out);

#endif
