/* SPDX-License-Identifier: Apache-2.0 */
/*
 * state: signer and credential state as a fold over ledger events.
 *
 * The same hk_state_apply() runs live (after an event is durable) and at
 * start-up over the whole ledger (hk_state_replay), so the state after a
 * cold replay equals the state before the restart; hk_state_digest()
 * makes that comparable. Deciding uses hk_state_check() before an event is
 * appended: an illegal transition is refused there, and if one is ever
 * found in the ledger on replay it is flagged (counted, first one kept)
 * and leaves the state unchanged.
 *
 * Credential lifecycle (END-1, END-3, REG-3, REG-6, ACT-9):
 *   credential.enrolled             -> ENROLLED
 *   key.generated | key.imported    ENROLLED (or new) -> KEY_GENERATED
 *   certificate.bound               KEY_GENERATED -> ACTIVE
 *   credential.suspended / resumed  ACTIVE <-> SUSPENDED
 *   key.destroyed                   any but DESTROYED -> DESTROYED (final)
 *   credential.locked / unlocked    a flag beside the state
 *   authorization.granted, signature.created  need ACTIVE and unlocked
 * A credential belongs to one registered signer for its whole life.
 */
#ifndef HK_STATE_H
#define HK_STATE_H

#include <stdbool.h>
#include <stdint.h>

#include "core/err.h"
#include "core/event.h"

struct ledger;

enum hk_cred_state {
	HK_CRED_ENROLLED = 1,
	HK_CRED_KEY_GENERATED = 2,
	HK_CRED_ACTIVE = 3,
	HK_CRED_SUSPENDED = 4,
	HK_CRED_DESTROYED = 5,
};

struct hk_cred_info {
	enum hk_cred_state state;
	bool locked;
	uint64_t signatures; /* signature.created events */
	uint64_t last_seq;   /* seq of the last event that changed it */
};

struct hk_state;

/** hk_state_new(): empty state; NULL on ENOMEM. */
struct hk_state *hk_state_new(void);

/** hk_state_free(st): accepts NULL. */
void hk_state_free(struct hk_state *st);

/** hk_state_cred_state_name(s): "active" etc. */
const char *hk_state_cred_state_name(enum hk_cred_state s);

/** hk_state_check(st, ev, why): 0 if ${ev} is a legal next event for the
 * current state; HK_ESTATE with a static reason in ${why} otherwise. */
HK_MUST_CHECK int hk_state_check(const struct hk_state *st,
    const struct hk_event *ev, const char **why);

/** hk_state_apply(st, ev, why): apply a durable event. An illegal one
 * leaves the state unchanged, is counted as flagged and returns HK_ESTATE
 * with the reason; HK_ENOMEM is the only other failure. */
HK_MUST_CHECK int hk_state_apply(struct hk_state *st,
    const struct hk_event *ev, const char **why);

/** hk_state_flagged(st, first_seq, first_why): how many events were
 * flagged, and the first one's seq and reason (either may be NULL). */
uint64_t hk_state_flagged(const struct hk_state *st, uint64_t *first_seq,
    const char **first_why);

/** hk_state_cred(st, id, n, out): the state of credential ${id}; 0 or
 * HK_ENOTFOUND. */
HK_MUST_CHECK int hk_state_cred(const struct hk_state *st, const char *id,
    size_t n, struct hk_cred_info *out);

/** hk_state_signer_exists(st, id, n): whether signer ${id} is registered. */
bool hk_state_signer_exists(const struct hk_state *st, const char *id,
    size_t n);

/** hk_state_last_config(st, out): the configuration hash recorded by the
 * last appliance.started (or config.applied) event; false if none. */
bool hk_state_last_config(const struct hk_state *st, uint8_t out[static 32]);

/** hk_state_digest(st, out): SHA-256 over a canonical serialisation of
 * every signer and credential (sorted by id), for comparing states. */
HK_MUST_CHECK int hk_state_digest(const struct hk_state *st,
    uint8_t out[static 32]);

/** hk_state_replay(st, l, events): fold every event of ${l} into ${st}
 * (normally empty). Events that do not decode stop the replay with
 * HK_ECORRUPT; illegal transitions are flagged and the replay goes on.
 * ${events} (may be NULL) receives the number of events read. */
HK_MUST_CHECK int hk_state_replay(struct hk_state *st, struct ledger *l,
    uint64_t *events);

#endif
