/* SPDX-License-Identifier: Apache-2.0 */
/*
 * state: signers, credentials, privileged users and approvals as a fold
 * over ledger events (design "Event sourcing").
 *
 * The same hk_state_apply() runs live (after an event is durable) and at
 * start-up over the whole ledger (hk_state_replay), so the state after a
 * cold replay equals the state before a restart; hk_state_digest() makes
 * that comparable. Deciding uses hk_state_check() before an event is
 * appended: an illegal transition is refused there, and one found in the
 * ledger on replay is flagged (counted, first one kept) and leaves the
 * state unchanged. Everything here comes from event bodies; secrets live
 * in the ledger's vault, not here.
 *
 * Credential lifecycle (REG-2..6, END-1, END-3, ACT-9):
 *   credential.created              -> CREATED (needs a live signer)
 *   credential.enrolled             sets "enrolled" (once)
 *   key.generated | key.imported    CREATED -> KEY_GENERATED; with the
 *                                   renewal flag, ACTIVE or SUSPENDED keep
 *                                   their state and get a pending key
 *   csr.issued / csr.confirmed      for the key being certified; confirming
 *                                   needs an enrolled signer
 *   certificate.bound               KEY_GENERATED -> ACTIVE, or the pending
 *                                   key becomes the key (renewal)
 *   credential.suspended / resumed  ACTIVE <-> SUSPENDED
 *   key.destroyed                   of the key: -> DESTROYED (final); of
 *                                   the key a renewal retired: recorded only
 *   credential.locked / unlocked    a flag beside the state
 *   authorization.granted, signature.created  need ACTIVE, enrolled and
 *                                   unlocked
 * Signers: registered, updated, erased (only when all their credentials
 * are destroyed). Privileged users: added (or re-added), changed.
 * Approvals: requested, then granted or rejected, once.
 */
#ifndef HK_STATE_H
#define HK_STATE_H

#include <stdbool.h>
#include <stdint.h>

#include "core/err.h"
#include "core/event.h"

struct ledger;

#define HK_STATE_ID_MAX 40
#define HK_STATE_SPKI_MAX 600
#define HK_STATE_CERT_MAX 4096
/* One UTC day in ms: signature counts are kept per day of event time. */
#define HK_STATE_DAY_MS 86400000ULL

enum hk_cred_state {
	HK_CRED_CREATED = 1,
	HK_CRED_KEY_GENERATED = 2,
	HK_CRED_ACTIVE = 3,
	HK_CRED_SUSPENDED = 4,
	HK_CRED_DESTROYED = 5,
};

enum hk_csr_state {
	HK_CSR_NONE = 0,
	HK_CSR_AWAITING = 1,  /* issued, the signer has not confirmed */
	HK_CSR_CONFIRMED = 2,
};

struct hk_key_info {
	bool present;
	uint8_t id[16];
	uint8_t fp[32];
	uint8_t spki[HK_STATE_SPKI_MAX];
	size_t spki_len;
};

struct hk_cred_info {
	enum hk_cred_state state;
	bool locked;
	bool enrolled;
	uint64_t signatures;       /* signature.created events */
	uint64_t last_seq;         /* seq of the last event that changed it */
	char signer[HK_STATE_ID_MAX];
	char algorithm[16];
	uint64_t level;
	uint64_t code_expires_ms;
	struct hk_key_info key;    /* the key in use (or being certified) */
	struct hk_key_info pending; /* a renewal's new key */
	uint8_t retired_key[16];   /* the key a renewal replaced */
	bool has_retired;
	bool has_cert;
	uint8_t cert_fp[32];
	uint64_t not_before, not_after; /* seconds */
	enum hk_csr_state csr;
	uint8_t csr_sha[32];
	uint64_t failures;         /* consecutive PIN/OTP failures (ACT-9) */
	uint64_t otp_step;         /* last TOTP step accepted (replay) */
};

struct hk_signer_info {
	char kind[8];
	bool erased;
	uint8_t commitment[32];
	uint64_t registered_seq;
	uint64_t updates;
};

struct hk_puser_info {
	uint8_t fp[32];
	char subject[256];
	char role[24];
	bool active;
};

enum hk_approval_status {
	HK_APPROVAL_PENDING = 0,
	HK_APPROVAL_GRANTED = 1,
	HK_APPROVAL_REJECTED = 2,
};

struct hk_approval_info {
	char id[HK_STATE_ID_MAX];
	char op[32];
	char target[80];
	char signer[HK_STATE_ID_MAX];     /* subject of the request event */
	char credential[HK_STATE_ID_MAX];
	uint8_t requester[32];            /* fingerprint */
	uint64_t expires_ms;
	enum hk_approval_status status;
	char role[24];
	char reason[32];
	uint8_t cert[HK_STATE_CERT_MAX];  /* user.add: certificate DER */
	size_t cert_len;
};

struct hk_state;

/** hk_state_new(): empty state; NULL on ENOMEM. */
struct hk_state *hk_state_new(void);

/** hk_state_free(st): accepts NULL. */
void hk_state_free(struct hk_state *st);

/** hk_state_cred_state_name(s): "active" etc. */
const char *hk_state_cred_state_name(enum hk_cred_state s);

/** hk_state_csr_name(s): "none", "awaiting_signer", "confirmed". */
const char *hk_state_csr_name(enum hk_csr_state s);

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

/** hk_state_cred(st, id, n, out): a credential; 0 or HK_ENOTFOUND. */
HK_MUST_CHECK int hk_state_cred(const struct hk_state *st, const char *id,
    size_t n, struct hk_cred_info *out);

/** hk_state_signer(st, id, n, out): a signer; 0 or HK_ENOTFOUND. */
HK_MUST_CHECK int hk_state_signer(const struct hk_state *st, const char *id,
    size_t n, struct hk_signer_info *out);

/** hk_state_signer_exists(st, id, n): whether signer ${id} is registered
 * (erased or not). */
bool hk_state_signer_exists(const struct hk_state *st, const char *id,
    size_t n);

/** hk_state_puser(st, fp, out): the privileged user with certificate
 * fingerprint ${fp}; 0 or HK_ENOTFOUND. */
HK_MUST_CHECK int hk_state_puser(const struct hk_state *st,
    const uint8_t fp[static 32], struct hk_puser_info *out);

/** hk_state_approval(st, id, n, out): an approval; 0 or HK_ENOTFOUND. */
HK_MUST_CHECK int hk_state_approval(const struct hk_state *st, const char *id,
    size_t n, struct hk_approval_info *out);

/* Visitors: called in id order; a non-zero return stops and is returned.
 * The info is valid during the call only. */
typedef int (*hk_state_puser_cb)(void *arg, const struct hk_puser_info *u);
typedef int (*hk_state_approval_cb)(void *arg,
    const struct hk_approval_info *a);
typedef int (*hk_state_cred_cb)(void *arg, const char *id,
    const struct hk_cred_info *c);
/* ${id} is NUL-terminated for the call's duration. */
typedef int (*hk_state_signer_cb)(void *arg, const char *id,
    const struct hk_signer_info *s);

int hk_state_foreach_puser(const struct hk_state *st, hk_state_puser_cb cb,
    void *arg);
int hk_state_foreach_approval(const struct hk_state *st,
    hk_state_approval_cb cb, void *arg);
/** hk_state_foreach_cred(st, signer, cb, arg): the credentials of
 * ${signer} (NULL: all). */
int hk_state_foreach_cred(const struct hk_state *st, const char *signer,
    hk_state_cred_cb cb, void *arg);

/** hk_state_counts(st, signers, creds): how many of each. */
void hk_state_counts(const struct hk_state *st, uint64_t *signers,
    uint64_t *creds);

/** hk_state_foreach_signer(st, cb, arg): every signer (erased or not) in
 * id order; the first non-zero return of ${cb} stops and is returned;
 * HK_ENOMEM. Runs ${cb} under the state lock. */
int hk_state_foreach_signer(const struct hk_state *st, hk_state_signer_cb cb,
    void *arg);

/** hk_state_signature_counts(st, day, total, on_day): how many
 * signature.created events were applied in all (*${total}) and with an
 * event time on the UTC day ${day} (days since the epoch, time_ms /
 * HK_STATE_DAY_MS; *${on_day}, 0 for any day but the latest day that has
 * one). The day of an event applied live without its ledger time (the
 * executor's and the SAM's own appends) is that of the wall clock when it
 * is applied, right after the ledger stamped it: the two differ only for
 * an event committed across midnight UTC. */
void hk_state_signature_counts(const struct hk_state *st, uint64_t day,
    uint64_t *total, uint64_t *on_day);

/** hk_state_last_config(st, out): the configuration hash recorded by the
 * last appliance.started (or config.applied) event; false if none. */
bool hk_state_last_config(const struct hk_state *st, uint8_t out[static 32]);

/* The last ledger.verified event replayed or applied (bgverify.h). */
struct hk_state_verified {
	bool has;         /* one was seen */
	bool ok;          /* its result was "ok" */
	uint64_t seq;     /* its seq */
	uint64_t at_ms;   /* its time */
	uint64_t events;  /* events it checked */
	char msg[200];    /* what was wrong, when !ok */
};

/** hk_state_last_verified(st, out): the last full verification recorded
 * in the ledger (out->has false if none yet). */
void hk_state_last_verified(const struct hk_state *st,
    struct hk_state_verified *out);

/** hk_state_digest(st, out): SHA-256 over a canonical serialisation of
 * all state (sorted by id), for comparing states. */
HK_MUST_CHECK int hk_state_digest(const struct hk_state *st,
    uint8_t out[static 32]);

/*
 * Threads: every function above locks the state for its own duration, so
 * any thread may call it; visitors run under that lock (they may call
 * back into the state, but must not block). A decision that must not be
 * overtaken (check an event, append it, apply it) is taken under the
 * decision lock: hk_state_decide_lock() ... hk_state_decide_unlock().
 * Durable events are applied in ledger order by whoever learns of their
 * commit.
 */
void hk_state_decide_lock(struct hk_state *st);
void hk_state_decide_unlock(struct hk_state *st);

/** hk_state_replay(st, l, events): fold every event of ${l} into ${st}
 * (normally empty). Events that do not decode stop the replay with
 * HK_ECORRUPT; illegal transitions are flagged and the replay goes on.
 * ${events} (may be NULL) receives the number of events read. */
HK_MUST_CHECK int hk_state_replay(struct hk_state *st, struct ledger *l,
    uint64_t *events);

#endif
