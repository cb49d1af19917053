/* SPDX-License-Identifier: Apache-2.0 */
/*
 * ledger_receipt: offline verification of what the ledger hands out
 * (SIG-6, OPS-4): C2SP tlog-proof@v1 receipts and tlog-witness style
 * consistency proofs ("old M", proof lines, empty line, checkpoint). Needs
 * only the text and the verifier key: no ledger, no network.
 */
#ifndef LEDGER_RECEIPT_H
#define LEDGER_RECEIPT_H

#include "core/buf.h"
#include "core/err.h"
#include "ledger/ledger_merkle.h"
#include "ledger/ledger_note.h"

/* A verified receipt. */
struct ledger_receipt {
	struct hk_buf extra;  /* the event bytes (owned; release with
				 ledger_receipt_release) */
	uint64_t index;
	struct ledger_checkpoint cp;
	uint8_t leaf[LEDGER_HASH_LEN];
};

/** ledger_receipt_verify(text, len, vs, nvs, out, why): parse a
 * tlog-proof@v1 receipt, check the checkpoint signature against ${vs},
 * recompute the leaf hash from "extra" and check the inclusion proof.
 * 0 with ${out} filled; HK_EINVAL (malformed) or HK_EVERIFY, with a static
 * reason naming the failed step in ${why}. */
HK_MUST_CHECK int ledger_receipt_verify(const char *text, size_t len,
    const struct ledger_note_verifier *vs, size_t nvs,
    struct ledger_receipt *out, const char **why);

/** ledger_receipt_release(r): free what ledger_receipt_verify() kept. */
void ledger_receipt_release(struct ledger_receipt *r);

/** ledger_consistency_verify(text, len, vs, nvs, old_size, old_root, out,
 * why): check a consistency proof text against an old tree the caller
 * trusts; ${out} (may be NULL) receives the new checkpoint. 0, HK_EINVAL
 * or HK_EVERIFY with ${why}. */
HK_MUST_CHECK int ledger_consistency_verify(const char *text, size_t len,
    const struct ledger_note_verifier *vs, size_t nvs, uint64_t old_size,
    const uint8_t old_root[static LEDGER_HASH_LEN],
    struct ledger_checkpoint *out, const char **why);

#endif
