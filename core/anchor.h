/* SPDX-License-Identifier: Apache-2.0 */
/*
 * anchor: the ledger's anti-rollback anchor (issue 7, OPS-4). The latest
 * signed checkpoint the core has seen committed is copied into a private
 * data object of the HSM token, at most every ${interval} and at a clean
 * stop. At start, a ledger that is behind the anchor (an older data.mdb
 * put back) or that does not contain it (a swapped or rewritten file) is
 * refused: whoever can write the state directory cannot roll history
 * back without the HSM.
 *
 * The anchor only ever names a checkpoint that was durable when it was
 * written, so a crash (SIGKILL, power loss) never leaves the anchor ahead
 * of the ledger.
 */
#ifndef HANKO_CORE_ANCHOR_H
#define HANKO_CORE_ANCHOR_H

#include <stddef.h>
#include <stdint.h>

#include "core/err.h"
#include "hsm/hsm.h"
#include "ledger/ledger.h"

/* The data object's label on the token. */
#define HK_ANCHOR_LABEL "hanko-ledger-anchor"

struct hk_anchor;

/** hk_anchor_check(p, l, vkey, anchored, why, n): compare the ledger ${l}
 * with the anchor in the HSM. The anchor note must verify under the
 * ledger's key (${vkey}, the ledger's verifier key text), name the
 * ledger's origin, and its (size, root) must be a prefix of the ledger.
 * ${anchored} (may be NULL) receives the anchor's size. 0 when it holds
 * or when there is no anchor yet (${anchored} = 0); HK_EROLLBACK with
 * ${why} saying what is wrong; HK_E* when the HSM cannot be read. */
HK_MUST_CHECK int hk_anchor_check(struct hsm_pool *p, struct ledger *l,
    const char *vkey, uint64_t *anchored, char *why, size_t n);

/** hk_anchor_update(p, l, size): copy the ledger's latest checkpoint into
 * the HSM; ${size} (may be NULL) receives its tree size. */
HK_MUST_CHECK int hk_anchor_update(struct hsm_pool *p, struct ledger *l,
    uint64_t *size);

/** hk_anchor_start(p, l, interval_ms, out): a thread that updates the
 * anchor whenever the ledger has grown, at most every ${interval_ms}. */
HK_MUST_CHECK int hk_anchor_start(struct hsm_pool *p, struct ledger *l,
    unsigned interval_ms, struct hk_anchor **out);

/** hk_anchor_stop(a): a last update, then stop the thread. NULL ok. */
void hk_anchor_stop(struct hk_anchor *a);

/** hk_anchor_read(p, size, root, note): the anchor as stored (note text
 * appended to ${note}, may be NULL). 0, HK_ENOTFOUND or HK_E*. */
HK_MUST_CHECK int hk_anchor_read(struct hsm_pool *p, uint64_t *size,
    uint8_t root[static 32], struct hk_buf *note);

#endif
