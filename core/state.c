/* SPDX-License-Identifier: Apache-2.0 */
/*
 * state: the signer, credential, privileged-user and approval fold (see
 * state.h). REG-2..6, END-1, END-3, ACT-9, OPS-1, OPS-2, SIG-2
 * (preconditions of a signature).
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sodium.h>

#include "core/codec.h"
#include "core/state.h"
#include "core/strmap.h"
#include "ledger/ledger.h"

struct hk_state {
	/* Recursive: visitors may call back in. Held for each call only;
	 * deciding and appending atomically is the callers' business
	 * (hk_state_decide_lock). */
	pthread_mutex_t *mu;
	pthread_mutex_t *decide;
	struct hk_strmap *signers, *creds, *pusers, *approvals;
	bool has_config;
	uint8_t config[32];
	uint64_t flagged, first_seq;
	const char *first_why;
	struct hk_state_verified verified; /* the last ledger.verified */
	/* signature.created events applied, in all and on the UTC day
	 * ${sig_day} (days since the epoch of the last one's time): the
	 * auditor summary's counts, O(1) (docs/audit-api.md). Not part of
	 * the digest, which covers the records, not these sums. */
	uint64_t sig_total, sig_day, sig_day_count;
};

static int hk_state_foreach_cred_u(const struct hk_state *st,
    const char *signer, hk_state_cred_cb cb, void *arg);

/** hk_state_new(): empty state. */
struct hk_state *
hk_state_new(void)
{
	struct hk_state *st;

	pthread_mutexattr_t a;

	if ((st = calloc(1, sizeof(*st))) == NULL)
		return NULL;
	if ((st->mu = malloc(sizeof(*st->mu))) == NULL ||
	    (st->decide = malloc(sizeof(*st->decide))) == NULL) {
		free(st->mu);
		free(st);
		return NULL;
	}
	pthread_mutexattr_init(&a);
	pthread_mutexattr_settype(&a, PTHREAD_MUTEX_RECURSIVE);
	pthread_mutex_init(st->mu, &a);
	pthread_mutexattr_destroy(&a);
	pthread_mutex_init(st->decide, NULL);
	if ((st->signers = hk_strmap_new()) == NULL ||
	    (st->creds = hk_strmap_new()) == NULL ||
	    (st->pusers = hk_strmap_new()) == NULL ||
	    (st->approvals = hk_strmap_new()) == NULL) {
		hk_state_free(st);
		return NULL;
	}
	return st;
}

/** hk_state_free(st): accepts NULL. */
void
hk_state_free(struct hk_state *st)
{
	if (st == NULL)
		return;
	hk_strmap_free(st->signers, free);
	hk_strmap_free(st->creds, free);
	hk_strmap_free(st->pusers, free);
	hk_strmap_free(st->approvals, free);
	if (st->mu != NULL) {
		pthread_mutex_destroy(st->mu);
		pthread_mutex_destroy(st->decide);
		free(st->mu);
		free(st->decide);
	}
	free(st);
}

/** hk_state_cred_state_name(s): "active" etc. */
const char *
hk_state_cred_state_name(enum hk_cred_state s)
{
	switch (s) {
	case HK_CRED_CREATED: return "created";
	case HK_CRED_KEY_GENERATED: return "key_generated";
	case HK_CRED_ACTIVE: return "active";
	case HK_CRED_SUSPENDED: return "suspended";
	case HK_CRED_DESTROYED: return "destroyed";
	}
	return "unknown";
}

/** hk_state_csr_name(s): the CSR state's name. */
const char *
hk_state_csr_name(enum hk_csr_state s)
{
	switch (s) {
	case HK_CSR_NONE: return "none";
	case HK_CSR_AWAITING: return "awaiting_signer";
	case HK_CSR_CONFIRMED: return "confirmed";
	}
	return "unknown";
}

/* ---- reading event bodies --------------------------------------------- */

static int
body_uint(const struct hk_event *ev, uint64_t key, uint64_t *out)
{
	struct hk_mpk_reader r;
	struct hk_bytes v;
	int e;

	if ((e = hk_event_body_value(ev->body, key, &v)) != 0)
		return e;
	hk_mpk_reader_init(&r, v.p, v.n);
	return hk_mpk_get_uint(&r, out);
}

static int
body_bool(const struct hk_event *ev, uint64_t key, bool *out)
{
	struct hk_mpk_reader r;
	struct hk_bytes v;
	int e;

	if ((e = hk_event_body_value(ev->body, key, &v)) != 0)
		return e;
	hk_mpk_reader_init(&r, v.p, v.n);
	return hk_mpk_get_bool(&r, out);
}

/* A str at ${key} into ${out} (NUL-terminated, at most ${max}-1 bytes). */
static int
body_str(const struct hk_event *ev, uint64_t key, char *out, size_t max)
{
	struct hk_bytes s;
	int e;

	if ((e = hk_event_body_str(ev->body, key, &s)) != 0)
		return e;
	if (s.n >= max)
		return HK_ETOOBIG;
	memcpy(out, s.p, s.n);
	out[s.n] = '\0';
	return 0;
}

/* A bin at ${key}: exactly ${want} bytes, or at most ${max} when want is
 * 0 (its length in ${len}). */
static int
body_bin(const struct hk_event *ev, uint64_t key, uint8_t *out, size_t want,
    size_t max, size_t *len)
{
	struct hk_mpk_reader r;
	struct hk_bytes v, b;
	int e;

	if ((e = hk_event_body_value(ev->body, key, &v)) != 0)
		return e;
	hk_mpk_reader_init(&r, v.p, v.n);
	if ((e = hk_mpk_get_bin(&r, &b)) != 0)
		return e;
	if (want != 0 ? b.n != want : b.n > max)
		return HK_EINVAL;
	memcpy(out, b.p, b.n);
	if (len != NULL)
		*len = b.n;
	return 0;
}

static void
fp_key(const uint8_t fp[32], char hex[65])
{
	hk_hex_encode(hex, fp, 32);
}

/* ---- deciding ----------------------------------------------------------- */

/* The effect of a legal event, computed by decide() and applied by apply():
 * the new credential info (for credential events), a new or changed
 * privileged user, signer or approval. */
struct effect {
	bool cred_changed;
	struct hk_cred_info cred;
	bool signer_changed;
	struct hk_signer_info signer;
	bool puser_changed;
	struct hk_puser_info puser;
	bool approval_changed;
	struct hk_approval_info approval;
};

#define REFUSE(msg) do { *why = (msg); return HK_ESTATE; } while (0)

static int
key_from_body(const struct hk_event *ev, struct hk_key_info *k)
{
	memset(k, 0, sizeof(*k));
	if (body_bin(ev, HK_BODY_KEY_ID, k->id, 16, 0, NULL) != 0 ||
	    body_bin(ev, HK_BODY_KEY_FINGERPRINT, k->fp, 32, 0, NULL) != 0 ||
	    body_bin(ev, HK_BODY_KEY_SPKI, k->spki, 0, sizeof(k->spki),
		&k->spki_len) != 0)
		return HK_EINVAL;
	k->present = true;
	return 0;
}

static int
decide_puser(const struct hk_state *st, const struct hk_event *ev,
    struct effect *fx, const char **why)
{
	struct hk_puser_info *u;
	char hex[65];
	bool active = true;

	memset(&fx->puser, 0, sizeof(fx->puser));
	if (body_bin(ev, HK_BODY_PU_FINGERPRINT, fx->puser.fp, 32, 0, NULL) !=
	    0)
		REFUSE("privileged-user event without a fingerprint");
	fp_key(fx->puser.fp, hex);
	u = hk_strmap_get(st->pusers, hex, 64);
	if (ev->type == HK_EV_PRIV_USER_ADDED) {
		if (u != NULL && u->active)
			REFUSE("privileged user already active");
		if (body_str(ev, HK_BODY_PU_SUBJECT, fx->puser.subject,
			sizeof(fx->puser.subject)) != 0 ||
		    body_str(ev, HK_BODY_PU_ROLE, fx->puser.role,
			sizeof(fx->puser.role)) != 0)
			REFUSE("privileged-user event without subject or role");
		fx->puser.active = true;
	} else {
		if (u == NULL)
			REFUSE("no such privileged user");
		memcpy(&fx->puser, u, sizeof(*u));
		if (body_bool(ev, HK_BODY_PU_ACTIVE, &active) == 0)
			fx->puser.active = active;
		(void)body_str(ev, HK_BODY_PU_ROLE, fx->puser.role,
		    sizeof(fx->puser.role));
	}
	if (strcmp(fx->puser.role, "administrator") != 0 &&
	    strcmp(fx->puser.role, "security_officer") != 0 &&
	    strcmp(fx->puser.role, "auditor") != 0 &&
	    strcmp(fx->puser.role, "operator") != 0)
		REFUSE("unknown role");
	fx->puser_changed = true;
	return 0;
}

static int
decide_approval(const struct hk_state *st, const struct hk_event *ev,
    struct effect *fx, const char **why)
{
	struct hk_approval_info *a;
	char id[HK_STATE_ID_MAX];

	if (body_str(ev, HK_BODY_AP_ID, id, sizeof(id)) != 0 || id[0] == '\0')
		REFUSE("approval event without an id");
	a = hk_strmap_get(st->approvals, id, strlen(id));
	if (ev->type == HK_EV_APPROVAL_REQUESTED) {
		struct hk_approval_info *n = &fx->approval;

		if (a != NULL)
			REFUSE("approval id already used");
		memset(n, 0, sizeof(*n));
		memcpy(n->id, id, strlen(id) + 1);
		if (body_str(ev, HK_BODY_AP_OPERATION, n->op, sizeof(n->op)) !=
			0 ||
		    body_str(ev, HK_BODY_AP_TARGET, n->target,
			sizeof(n->target)) != 0 ||
		    body_uint(ev, HK_BODY_AP_EXPIRES, &n->expires_ms) != 0)
			REFUSE("approval request incomplete");
		(void)body_str(ev, HK_BODY_AP_ROLE, n->role, sizeof(n->role));
		(void)body_str(ev, HK_BODY_AP_REASON, n->reason,
		    sizeof(n->reason));
		(void)body_bin(ev, HK_BODY_AP_CERT, n->cert, 0, sizeof(n->cert),
		    &n->cert_len);
		if (ev->signer.n < sizeof(n->signer) &&
		    ev->credential.n < sizeof(n->credential)) {
			/* memcpy's pointers must not be NULL, even for 0
			 * bytes (C11 7.24.1). */
			if (ev->signer.n > 0)
				memcpy(n->signer, ev->signer.p, ev->signer.n);
			if (ev->credential.n > 0)
				memcpy(n->credential, ev->credential.p,
				    ev->credential.n);
		}
		/* The requester is the actor, by fingerprint. */
		if (ev->actor_kind != HK_ACTOR_PRIVILEGED ||
		    ev->actor_id.n != 64 ||
		    hk_hex_decode(n->requester, 32,
			(const char *)ev->actor_id.p, 64, &(size_t){0}) != 0)
			REFUSE("approval requested by no privileged user");
		n->status = HK_APPROVAL_PENDING;
	} else {
		if (a == NULL)
			REFUSE("no such approval");
		if (a->status != HK_APPROVAL_PENDING)
			REFUSE("approval already decided");
		memcpy(&fx->approval, a, sizeof(*a));
		fx->approval.status = ev->type == HK_EV_APPROVAL_GRANTED ?
		    HK_APPROVAL_GRANTED : HK_APPROVAL_REJECTED;
	}
	fx->approval_changed = true;
	return 0;
}

static int
decide_cred(const struct hk_state *st, const struct hk_event *ev,
    const struct hk_signer_info *s, struct effect *fx, const char **why)
{
	const char *cid = (const char *)ev->credential.p;
	struct hk_cred_info *c;
	struct hk_cred_info *n = &fx->cred;
	struct hk_key_info k;
	bool renewal = false;
	uint8_t kid[16];

	if (ev->credential.n == 0 || ev->credential.n >= HK_STATE_ID_MAX)
		REFUSE("event names no credential");
	c = hk_strmap_get(st->creds, cid, ev->credential.n);
	if (c != NULL && (strlen(c->signer) != ev->signer.n ||
			     memcmp(c->signer, ev->signer.p,
				 ev->signer.n) != 0))
		REFUSE("credential belongs to another signer");
	if (ev->type == HK_EV_CREDENTIAL_CREATED) {
		if (c != NULL)
			REFUSE("credential already exists");
		if (s->erased)
			REFUSE("signer erased");
		memset(n, 0, sizeof(*n));
		memcpy(n->signer, ev->signer.p, ev->signer.n);
		if (body_str(ev, HK_BODY_CR_ALGORITHM, n->algorithm,
			sizeof(n->algorithm)) != 0 ||
		    body_uint(ev, HK_BODY_CR_LEVEL, &n->level) != 0)
			REFUSE("credential without algorithm or level");
		(void)body_uint(ev, HK_BODY_CR_CODE_EXPIRES, &n->code_expires_ms);
		n->state = HK_CRED_CREATED;
		goto done;
	}
	if (c == NULL)
		REFUSE("no such credential");
	memcpy(n, c, sizeof(*n));
	if (n->state == HK_CRED_DESTROYED)
		REFUSE("credential destroyed");
	switch (ev->type) {
	case HK_EV_CREDENTIAL_ENROLLED:
		if (n->enrolled)
			REFUSE("credential already enrolled");
		n->enrolled = true;
		break;
	case HK_EV_KEY_GENERATED:
	case HK_EV_KEY_IMPORTED:
		if (key_from_body(ev, &k) != 0)
			REFUSE("key event without key id, fingerprint or SPKI");
		(void)body_bool(ev, HK_BODY_KEY_RENEWAL, &renewal);
		if (renewal) {
			if (n->state != HK_CRED_ACTIVE &&
			    n->state != HK_CRED_SUSPENDED)
				REFUSE("only a certified credential is renewed");
			if (n->pending.present)
				REFUSE("a renewal is already under way");
			memcpy(&n->pending, &k, sizeof(k));
		} else {
			if (n->state != HK_CRED_CREATED)
				REFUSE("credential already has a key");
			memcpy(&n->key, &k, sizeof(k));
			n->state = HK_CRED_KEY_GENERATED;
		}
		n->csr = HK_CSR_NONE;
		break;
	case HK_EV_CSR_ISSUED:
		if (n->state != HK_CRED_KEY_GENERATED && !n->pending.present)
			REFUSE("CSR needs a key awaiting its certificate");
		if (body_bin(ev, HK_BODY_CSR_SHA256, n->csr_sha, 32, 0, NULL) !=
		    0)
			REFUSE("CSR event without its hash");
		n->csr = HK_CSR_AWAITING;
		break;
	case HK_EV_CSR_CONFIRMED:
		if (n->csr != HK_CSR_AWAITING)
			REFUSE("no CSR awaits confirmation");
		if (!n->enrolled)
			REFUSE("the signer has not enrolled");
		n->csr = HK_CSR_CONFIRMED;
		break;
	case HK_EV_CERT_BOUND:
		if (body_bin(ev, HK_BODY_CERT_KEY_ID, kid, 16, 0, NULL) != 0 ||
		    body_bin(ev, HK_BODY_CERT_FINGERPRINT, n->cert_fp, 32, 0,
			NULL) != 0 ||
		    body_uint(ev, HK_BODY_CERT_NOT_BEFORE, &n->not_before) != 0 ||
		    body_uint(ev, HK_BODY_CERT_NOT_AFTER, &n->not_after) != 0)
			REFUSE("certificate event incomplete");
		if (n->pending.present &&
		    memcmp(kid, n->pending.id, 16) == 0) {
			memcpy(n->retired_key, n->key.id, 16);
			n->has_retired = true;
			memcpy(&n->key, &n->pending, sizeof(n->key));
			memset(&n->pending, 0, sizeof(n->pending));
		} else if (n->state == HK_CRED_KEY_GENERATED &&
			   memcmp(kid, n->key.id, 16) == 0) {
			n->state = HK_CRED_ACTIVE;
		} else {
			REFUSE("certificate for no key awaiting one");
		}
		n->has_cert = true;
		n->csr = HK_CSR_NONE;
		break;
	case HK_EV_SUSPENDED:
		if (n->state != HK_CRED_ACTIVE)
			REFUSE("only an active credential can be suspended");
		n->state = HK_CRED_SUSPENDED;
		break;
	case HK_EV_RESUMED:
		if (n->state != HK_CRED_SUSPENDED)
			REFUSE("only a suspended credential can be resumed");
		n->state = HK_CRED_ACTIVE;
		break;
	case HK_EV_KEY_DESTROYED:
		/* Without a key id (or with the current one) the credential
		 * ends; with the key a renewal retired, it is recorded. */
		if (body_bin(ev, HK_BODY_DESTROY_KEY_ID, kid, 16, 0, NULL) == 0 &&
		    n->has_retired && memcmp(kid, n->retired_key, 16) == 0) {
			n->has_retired = false;
			break;
		}
		n->state = HK_CRED_DESTROYED;
		memset(&n->pending, 0, sizeof(n->pending));
		break;
	case HK_EV_CREDENTIAL_LOCKED:
		if (n->locked)
			REFUSE("credential already locked");
		n->locked = true;
		break;
	case HK_EV_CREDENTIAL_UNLOCKED:
		if (!n->locked)
			REFUSE("credential not locked");
		n->locked = false;
		break;
	case HK_EV_AUTH_GRANTED:
	case HK_EV_SIGNATURE_CREATED:
		if (n->state != HK_CRED_ACTIVE)
			REFUSE("credential not active");
		if (n->locked)
			REFUSE("credential locked");
		if (!n->enrolled)
			REFUSE("the signer has not enrolled");
		if (ev->type == HK_EV_SIGNATURE_CREATED)
			n->signatures++;
		break;
	default:
		return 0;
	}
done:
	{
		uint64_t step;

		/* A signer's successful authentication ends a run of
		 * failures; an unlock does too. */
		if (body_uint(ev, HK_BODY_OTP_STEP, &step) == 0) {
			if (step <= n->otp_step)
				REFUSE("OTP step not after the last one used");
			n->otp_step = step;
			n->failures = 0;
		}
		if (ev->type == HK_EV_AUTH_GRANTED ||
		    ev->type == HK_EV_CSR_CONFIRMED ||
		    ev->type == HK_EV_CREDENTIAL_UNLOCKED)
			n->failures = 0;
	}
	n->last_seq = ev->seq;
	fx->cred_changed = true;
	return 0;
}

static int
live_cred(void *arg, const char *id, const struct hk_cred_info *c)
{
	(void)arg;
	(void)id;
	return c->state != HK_CRED_DESTROYED;
}

static int
decide(const struct hk_state *st, const struct hk_event *ev,
    struct effect *fx, const char **why)
{
	struct hk_signer_info *s;

	fx->cred_changed = fx->signer_changed = false;
	fx->puser_changed = fx->approval_changed = false;
	switch (ev->type) {
	case HK_EV_PRIV_USER_ADDED:
	case HK_EV_PRIV_USER_CHANGED:
		return decide_puser(st, ev, fx, why);
	case HK_EV_APPROVAL_REQUESTED:
	case HK_EV_APPROVAL_GRANTED:
	case HK_EV_APPROVAL_REJECTED:
		return decide_approval(st, ev, fx, why);
	case HK_EV_AUTH_DENIED: {
		/* Recorded whatever the state; a denial on a credential
		 * counts towards its lockout (ACT-9). */
		struct hk_cred_info *c;

		if (ev->credential.n == 0 ||
		    (c = hk_strmap_get(st->creds, (const char *)ev->credential.p,
			 ev->credential.n)) == NULL)
			return 0;
		memcpy(&fx->cred, c, sizeof(*c));
		fx->cred.failures++;
		fx->cred.last_seq = ev->seq;
		fx->cred_changed = true;
		return 0;
	}
	case HK_EV_SIGNER_REGISTERED:
	case HK_EV_SIGNER_UPDATED:
	case HK_EV_SIGNER_ERASED:
	case HK_EV_CREDENTIAL_CREATED:
	case HK_EV_CREDENTIAL_ENROLLED:
	case HK_EV_KEY_GENERATED:
	case HK_EV_KEY_IMPORTED:
	case HK_EV_CSR_ISSUED:
	case HK_EV_CSR_CONFIRMED:
	case HK_EV_CERT_BOUND:
	case HK_EV_AUTH_GRANTED:
	case HK_EV_CREDENTIAL_LOCKED:
	case HK_EV_CREDENTIAL_UNLOCKED:
	case HK_EV_SIGNATURE_CREATED:
	case HK_EV_SUSPENDED:
	case HK_EV_RESUMED:
	case HK_EV_KEY_DESTROYED:
		break;
	default:
		return 0; /* no signer state involved */
	}
	if (ev->signer.n == 0 || ev->signer.n >= HK_STATE_ID_MAX)
		REFUSE("event names no signer");
	s = hk_strmap_get(st->signers, (const char *)ev->signer.p,
	    ev->signer.n);
	if (ev->type == HK_EV_SIGNER_REGISTERED) {
		if (s != NULL)
			REFUSE("signer already registered");
		memset(&fx->signer, 0, sizeof(fx->signer));
		if (body_str(ev, HK_BODY_SG_KIND, fx->signer.kind,
			sizeof(fx->signer.kind)) == 0 &&
		    strcmp(fx->signer.kind, "natural") != 0 &&
		    strcmp(fx->signer.kind, "legal") != 0)
			REFUSE("signer kind is neither natural nor legal");
		(void)body_bin(ev, HK_BODY_SG_COMMITMENT, fx->signer.commitment,
		    32, 0, NULL);
		fx->signer.registered_seq = ev->seq;
		fx->signer_changed = true;
		return 0;
	}
	if (s == NULL)
		REFUSE("signer not registered");
	if (ev->type == HK_EV_SIGNER_UPDATED ||
	    ev->type == HK_EV_SIGNER_ERASED) {
		if (s->erased)
			REFUSE("signer erased");
		memcpy(&fx->signer, s, sizeof(*s));
		if (ev->type == HK_EV_SIGNER_UPDATED) {
			fx->signer.updates++;
		} else {
			char sid[HK_STATE_ID_MAX];

			memcpy(sid, ev->signer.p, ev->signer.n);
			sid[ev->signer.n] = '\0';
			if (hk_state_foreach_cred_u(st, sid, live_cred,
				NULL) != 0)
				REFUSE("erasure needs every credential of the "
				       "signer destroyed");
			fx->signer.erased = true;
		}
		fx->signer_changed = true;
		return 0;
	}
	return decide_cred(st, ev, s, fx, why);
}

/** hk_state_check(st, ev, why): is ${ev} legal now? */
static int
hk_state_check_u(const struct hk_state *st, const struct hk_event *ev,
    const char **why)
{
	struct effect *fx = calloc(1, sizeof(*fx));
	int r;

	if (fx == NULL)
		return HK_ENOMEM;
	r = decide(st, ev, fx, why);
	free(fx);
	return r;
}

static int
put(struct hk_strmap *m, const char *key, size_t n, const void *v, size_t sz)
{
	void *old = hk_strmap_get(m, key, n), *p;
	int r;

	if (old != NULL) {
		memcpy(old, v, sz);
		return 0;
	}
	if ((p = malloc(sz)) == NULL)
		return HK_ENOMEM;
	memcpy(p, v, sz);
	if ((r = hk_strmap_put(m, key, n, p)) != 0)
		free(p);
	return r;
}

/** hk_state_apply(st, ev, why): apply a durable event. */
static uint64_t
wall_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static int
hk_state_apply_u(struct hk_state *st, const struct hk_event *ev,
    const char **why)
{
	struct effect *fx;
	char hex[65];
	int r = 0;

	if (ev->type == HK_EV_APPLIANCE_STARTED ||
	    ev->type == HK_EV_CONFIG_APPLIED) {
		size_t n;

		/* Both carry the configuration in force under one key. */
		if (body_bin(ev, HK_BODY_APPLIANCE_CONFIG, st->config, 32, 0,
			&n) == 0)
			st->has_config = true;
		return 0;
	}
	if (ev->type == HK_EV_LEDGER_VERIFIED) {
		/* What the console and /audit/v1/status show as the last
		 * full verification; it survives restarts by replay. */
		struct hk_state_verified v;
		char res[16];

		memset(&v, 0, sizeof(v));
		v.has = true;
		v.seq = ev->seq;
		v.at_ms = ev->time_ms;
		if (body_uint(ev, HK_BODY_VERIFY_EVENTS, &v.events) != 0 ||
		    body_str(ev, HK_BODY_VERIFY_RESULT, res, sizeof(res)) != 0 ||
		    (strcmp(res, "ok") != 0 && strcmp(res, "failed") != 0)) {
			*why = "ledger.verified without its events or result";
			return HK_ESTATE;
		}
		v.ok = strcmp(res, "ok") == 0;
		if (!v.ok && body_str(ev, HK_BODY_VERIFY_MESSAGE, v.msg,
				 sizeof(v.msg)) != 0)
			snprintf(v.msg, sizeof(v.msg), "%s",
			    "(message missing or too long)");
		st->verified = v;
		return 0;
	}
	/* Zeroed, and copied with memcpy below: the digest hashes these
	 * structs whole, padding included. */
	if ((fx = calloc(1, sizeof(*fx))) == NULL)
		return HK_ENOMEM;
	if ((r = decide(st, ev, fx, why)) != 0) {
		if (r == HK_ESTATE && st->flagged++ == 0) {
			st->first_seq = ev->seq;
			st->first_why = *why;
		}
		goto out;
	}
	if (ev->type == HK_EV_SIGNATURE_CREATED) {
		/* Replay has the ledger's time of the event; the live paths
		 * (lifecycle emit, the SAM's commit callback) apply the event
		 * they appended, whose time the ledger stamped just before
		 * the commit: then the wall clock now stands for it (the same
		 * clock, milliseconds later). */
		uint64_t t = ev->time_ms != 0 ? ev->time_ms : wall_ms();
		uint64_t day = t / HK_STATE_DAY_MS;

		st->sig_total++;
		if (day == st->sig_day) {
			st->sig_day_count++;
		} else if (day > st->sig_day) {
			st->sig_day = day;
			st->sig_day_count = 1;
		}
	}
	if (fx->signer_changed &&
	    (r = put(st->signers, (const char *)ev->signer.p, ev->signer.n,
		 &fx->signer, sizeof(fx->signer))) != 0)
		goto out;
	if (fx->cred_changed &&
	    (r = put(st->creds, (const char *)ev->credential.p,
		 ev->credential.n, &fx->cred, sizeof(fx->cred))) != 0)
		goto out;
	if (fx->puser_changed) {
		fp_key(fx->puser.fp, hex);
		if ((r = put(st->pusers, hex, 64, &fx->puser,
			 sizeof(fx->puser))) != 0)
			goto out;
	}
	if (fx->approval_changed &&
	    (r = put(st->approvals, fx->approval.id, strlen(fx->approval.id),
		 &fx->approval, sizeof(fx->approval))) != 0)
		goto out;
out:
	free(fx);
	return r;
}

/** hk_state_flagged(st, first_seq, first_why): flagged event count. */
static uint64_t
hk_state_flagged_u(const struct hk_state *st, uint64_t *first_seq,
    const char **first_why)
{
	if (first_seq != NULL)
		*first_seq = st->first_seq;
	if (first_why != NULL)
		*first_why = st->first_why;
	return st->flagged;
}

/** hk_state_cred(st, id, n, out): a credential. */
static int
hk_state_cred_u(const struct hk_state *st, const char *id, size_t n,
    struct hk_cred_info *out)
{
	struct hk_cred_info *c = hk_strmap_get(st->creds, id, n);

	if (c == NULL)
		return HK_ENOTFOUND;
	*out = *c;
	return 0;
}

/** hk_state_signer(st, id, n, out): a signer. */
static int
hk_state_signer_u(const struct hk_state *st, const char *id, size_t n,
    struct hk_signer_info *out)
{
	struct hk_signer_info *s = hk_strmap_get(st->signers, id, n);

	if (s == NULL)
		return HK_ENOTFOUND;
	*out = *s;
	return 0;
}

/** hk_state_signer_exists(st, id, n): is signer ${id} registered? */
static bool
hk_state_signer_exists_u(const struct hk_state *st, const char *id, size_t n)
{
	return hk_strmap_get(st->signers, id, n) != NULL;
}

/** hk_state_puser(st, fp, out): a privileged user by fingerprint. */
static int
hk_state_puser_u(const struct hk_state *st, const uint8_t fp[static 32],
    struct hk_puser_info *out)
{
	struct hk_puser_info *u;
	char hex[65];

	fp_key(fp, hex);
	if ((u = hk_strmap_get(st->pusers, hex, 64)) == NULL)
		return HK_ENOTFOUND;
	*out = *u;
	return 0;
}

/** hk_state_approval(st, id, n, out): an approval. */
static int
hk_state_approval_u(const struct hk_state *st, const char *id, size_t n,
    struct hk_approval_info *out)
{
	struct hk_approval_info *a = hk_strmap_get(st->approvals, id, n);

	if (a == NULL)
		return HK_ENOTFOUND;
	*out = *a;
	return 0;
}

/* ---- ordered visits ----------------------------------------------------- */

struct entry {
	const char *key;
	size_t n;
	void *value;
};

struct collect {
	struct entry *e;
	size_t n;
};

static int
collect_cb(void *arg, const char *key, size_t n, void *value)
{
	struct collect *c = arg;

	c->e[c->n++] = (struct entry){key, n, value};
	return 0;
}

static int
entry_cmp(const void *a, const void *b)
{
	const struct entry *x = a, *y = b;
	size_t n = x->n < y->n ? x->n : y->n;
	int c = memcmp(x->key, y->key, n);

	return c != 0 ? c : (x->n > y->n) - (x->n < y->n);
}

/* sorted(m, out): the entries of ${m} sorted by key (caller frees). */
static int
sorted(const struct hk_strmap *m, struct collect *out)
{
	out->n = 0;
	out->e = NULL;
	if (hk_strmap_count(m) == 0)
		return 0;
	if ((out->e = calloc(hk_strmap_count(m), sizeof(*out->e))) == NULL)
		return HK_ENOMEM;
	(void)hk_strmap_foreach(m, collect_cb, out);
	qsort(out->e, out->n, sizeof(*out->e), entry_cmp);
	return 0;
}

static int
hk_state_foreach_puser_u(const struct hk_state *st, hk_state_puser_cb cb,
    void *arg)
{
	struct collect c;
	size_t i;
	int r;

	if ((r = sorted(st->pusers, &c)) != 0)
		return r;
	for (i = 0; i < c.n && r == 0; i++)
		r = cb(arg, c.e[i].value);
	free(c.e);
	return r;
}

static int
hk_state_foreach_approval_u(const struct hk_state *st, hk_state_approval_cb cb,
    void *arg)
{
	struct collect c;
	size_t i;
	int r;

	if ((r = sorted(st->approvals, &c)) != 0)
		return r;
	for (i = 0; i < c.n && r == 0; i++)
		r = cb(arg, c.e[i].value);
	free(c.e);
	return r;
}

static int
hk_state_foreach_cred_u(const struct hk_state *st, const char *signer,
    hk_state_cred_cb cb, void *arg)
{
	struct collect c;
	size_t i;
	int r;

	if ((r = sorted(st->creds, &c)) != 0)
		return r;
	for (i = 0; i < c.n && r == 0; i++) {
		const struct hk_cred_info *ci = c.e[i].value;

		if (signer != NULL && strcmp(ci->signer, signer) != 0)
			continue;
		r = cb != NULL ? cb(arg, c.e[i].key, ci) : 0;
	}
	free(c.e);
	return r;
}

/** hk_state_counts(st, signers, creds): how many of each. */
static void
hk_state_counts_u(const struct hk_state *st, uint64_t *signers, uint64_t *creds)
{
	*signers = hk_strmap_count(st->signers);
	*creds = hk_strmap_count(st->creds);
}

/** hk_state_signature_counts(st, day, total, on_day): signature sums. */
static void
hk_state_signature_counts_u(const struct hk_state *st, uint64_t day,
    uint64_t *total, uint64_t *on_day)
{
	*total = st->sig_total;
	*on_day = day == st->sig_day ? st->sig_day_count : 0;
}

/* The signers in id order, for hk_state_foreach_signer. */
static int
hk_state_foreach_signer_u(const struct hk_state *st, hk_state_signer_cb cb,
    void *arg)
{
	struct collect c;
	size_t i;
	int r;

	if ((r = sorted(st->signers, &c)) != 0)
		return r;
	for (i = 0; i < c.n && r == 0; i++)
		r = cb(arg, c.e[i].key, c.e[i].value);
	free(c.e);
	return r;
}

/** hk_state_last_config(st, out): the last recorded configuration hash. */
static bool
hk_state_last_config_u(const struct hk_state *st, uint8_t out[static 32])
{
	if (st->has_config)
		memcpy(out, st->config, 32);
	return st->has_config;
}

static void
hk_state_last_verified_u(const struct hk_state *st,
    struct hk_state_verified *out)
{
	*out = st->verified;
}

/* ---- digest ------------------------------------------------------------- */

static int
digest_map(crypto_hash_sha256_state *h, const struct hk_strmap *m,
    size_t size)
{
	struct collect c;
	uint8_t n[8];
	size_t i;
	int k, r;

	if ((r = sorted(m, &c)) != 0)
		return r;
	for (k = 0; k < 8; k++)
		n[k] = (uint8_t)((uint64_t)c.n >> (56 - 8 * k));
	crypto_hash_sha256_update(h, n, 8);
	for (i = 0; i < c.n; i++) {
		/* Values are fixed-size structs written whole by put() from
		 * zero-initialised effects, so their bytes are canonical. */
		crypto_hash_sha256_update(h, (const uint8_t *)c.e[i].key,
		    c.e[i].n + 1);
		crypto_hash_sha256_update(h, c.e[i].value, size);
	}
	free(c.e);
	return 0;
}

/** hk_state_digest(st, out): SHA-256 of the canonical state. */
static int
hk_state_digest_u(const struct hk_state *st, uint8_t out[static 32])
{
	crypto_hash_sha256_state h;
	uint8_t f[8];
	int k, r;

	crypto_hash_sha256_init(&h);
	if ((r = digest_map(&h, st->signers, sizeof(struct hk_signer_info))) !=
		0 ||
	    (r = digest_map(&h, st->creds, sizeof(struct hk_cred_info))) != 0 ||
	    (r = digest_map(&h, st->pusers, sizeof(struct hk_puser_info))) !=
		0 ||
	    (r = digest_map(&h, st->approvals,
		 sizeof(struct hk_approval_info))) != 0)
		return r;
	for (k = 0; k < 8; k++)
		f[k] = (uint8_t)(st->flagged >> (56 - 8 * k));
	crypto_hash_sha256_update(&h, f, 8);
	crypto_hash_sha256_final(&h, out);
	return 0;
}

/* ---- locked entry points -------------------------------------------------- */

#define LOCKED(st, expr) \
	do { \
		pthread_mutex_lock((st)->mu); \
		expr; \
		pthread_mutex_unlock((st)->mu); \
	} while (0)

/** hk_state_check(st, ev, why): is ${ev} legal now? */
int
hk_state_check(const struct hk_state *st, const struct hk_event *ev,
    const char **why)
{
	int r;

	LOCKED(st, r = hk_state_check_u(st, ev, why));
	return r;
}

/** hk_state_apply(st, ev, why): apply a durable event. */
int
hk_state_apply(struct hk_state *st, const struct hk_event *ev,
    const char **why)
{
	int r;

	LOCKED(st, r = hk_state_apply_u(st, ev, why));
	return r;
}

/** hk_state_flagged(st, first_seq, first_why): flagged event count. */
uint64_t
hk_state_flagged(const struct hk_state *st, uint64_t *first_seq,
    const char **first_why)
{
	uint64_t r;

	LOCKED(st, r = hk_state_flagged_u(st, first_seq, first_why));
	return r;
}

/** hk_state_cred(st, id, n, out): a credential (a copy). */
int
hk_state_cred(const struct hk_state *st, const char *id, size_t n,
    struct hk_cred_info *out)
{
	int r;

	LOCKED(st, r = hk_state_cred_u(st, id, n, out));
	return r;
}

/** hk_state_signer(st, id, n, out): a signer (a copy). */
int
hk_state_signer(const struct hk_state *st, const char *id, size_t n,
    struct hk_signer_info *out)
{
	int r;

	LOCKED(st, r = hk_state_signer_u(st, id, n, out));
	return r;
}

/** hk_state_signer_exists(st, id, n): is signer ${id} registered? */
bool
hk_state_signer_exists(const struct hk_state *st, const char *id, size_t n)
{
	bool r;

	LOCKED(st, r = hk_state_signer_exists_u(st, id, n));
	return r;
}

/** hk_state_puser(st, fp, out): a privileged user by fingerprint. */
int
hk_state_puser(const struct hk_state *st, const uint8_t fp[static 32],
    struct hk_puser_info *out)
{
	int r;

	LOCKED(st, r = hk_state_puser_u(st, fp, out));
	return r;
}

/** hk_state_approval(st, id, n, out): an approval (a copy). */
int
hk_state_approval(const struct hk_state *st, const char *id, size_t n,
    struct hk_approval_info *out)
{
	int r;

	LOCKED(st, r = hk_state_approval_u(st, id, n, out));
	return r;
}

int
hk_state_foreach_puser(const struct hk_state *st, hk_state_puser_cb cb,
    void *arg)
{
	int r;

	LOCKED(st, r = hk_state_foreach_puser_u(st, cb, arg));
	return r;
}

int
hk_state_foreach_approval(const struct hk_state *st, hk_state_approval_cb cb,
    void *arg)
{
	int r;

	LOCKED(st, r = hk_state_foreach_approval_u(st, cb, arg));
	return r;
}

int
hk_state_foreach_cred(const struct hk_state *st, const char *signer,
    hk_state_cred_cb cb, void *arg)
{
	int r;

	LOCKED(st, r = hk_state_foreach_cred_u(st, signer, cb, arg));
	return r;
}

/** hk_state_counts(st, signers, creds): how many of each. */
void
hk_state_counts(const struct hk_state *st, uint64_t *signers, uint64_t *creds)
{
	LOCKED(st, hk_state_counts_u(st, signers, creds));
}

/** hk_state_last_verified(st, out): the last ledger.verified event. */
void
hk_state_last_verified(const struct hk_state *st,
    struct hk_state_verified *out)
{
	LOCKED(st, hk_state_last_verified_u(st, out));
}

/** hk_state_signature_counts(st, day, total, on_day): signature sums. */
void
hk_state_signature_counts(const struct hk_state *st, uint64_t day,
    uint64_t *total, uint64_t *on_day)
{
	LOCKED(st, hk_state_signature_counts_u(st, day, total, on_day));
}

/** hk_state_foreach_signer(st, cb, arg): every signer in id order. */
int
hk_state_foreach_signer(const struct hk_state *st, hk_state_signer_cb cb,
    void *arg)
{
	int r;

	LOCKED(st, r = hk_state_foreach_signer_u(st, cb, arg));
	return r;
}

/** hk_state_last_config(st, out): the last recorded configuration hash. */
bool
hk_state_last_config(const struct hk_state *st, uint8_t out[static 32])
{
	bool r;

	LOCKED(st, r = hk_state_last_config_u(st, out));
	return r;
}

/** hk_state_digest(st, out): SHA-256 of the canonical state. */
int
hk_state_digest(const struct hk_state *st, uint8_t out[static 32])
{
	int r;

	LOCKED(st, r = hk_state_digest_u(st, out));
	return r;
}

/** hk_state_decide_lock(st) / _unlock(st): the decision section. */
void
hk_state_decide_lock(struct hk_state *st)
{
	pthread_mutex_lock(st->decide);
}

void
hk_state_decide_unlock(struct hk_state *st)
{
	pthread_mutex_unlock(st->decide);
}

/** hk_state_replay(st, l, events): fold the whole ledger into ${st}. */
int
hk_state_replay(struct hk_state *st, struct ledger *l, uint64_t *events)
{
	struct ledger_iter *it = NULL;
	struct hk_bytes b;
	struct hk_event ev;
	const char *why;
	uint64_t seq, n = 0;
	int r;

	if ((r = ledger_iter_new(l, 0, &it)) != 0)
		return r;
	while ((r = ledger_iter_next(it, &seq, &b)) == 0) {
		if (hk_event_decode(b.p, b.n, &ev, NULL) != 0 || ev.seq != seq) {
			r = HK_ECORRUPT;
			break;
		}
		r = hk_state_apply(st, &ev, &why);
		if (r != 0 && r != HK_ESTATE)
			break;
		n++;
	}
	if (r == HK_ENOTFOUND || r == HK_ESTATE)
		r = 0;
	ledger_iter_free(it);
	if (events != NULL)
		*events = n;
	return r;
}
