/* SPDX-License-Identifier: Apache-2.0 */
/*
 * state: the signer/credential fold (see state.h). END-1, END-3, ACT-9,
 * SIG-2 (a signature needs an active, unlocked credential).
 */
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "core/state.h"
#include "core/strmap.h"
#include "ledger/ledger.h"

struct signer {
	uint64_t registered_seq;
	uint64_t updates;
};

struct cred {
	char *signer;
	size_t signer_n;
	struct hk_cred_info info;
};

struct hk_state {
	struct hk_strmap *signers, *creds;
	bool has_config;
	uint8_t config[32];
	uint64_t flagged, first_seq;
	const char *first_why;
};

static void
cred_free(void *p)
{
	struct cred *c = p;

	if (c != NULL)
		free(c->signer);
	free(c);
}

/** hk_state_new(): empty state. */
struct hk_state *
hk_state_new(void)
{
	struct hk_state *st;

	if ((st = calloc(1, sizeof(*st))) == NULL)
		return NULL;
	if ((st->signers = hk_strmap_new()) == NULL ||
	    (st->creds = hk_strmap_new()) == NULL) {
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
	hk_strmap_free(st->creds, cred_free);
	free(st);
}

/** hk_state_cred_state_name(s): "active" etc. */
const char *
hk_state_cred_state_name(enum hk_cred_state s)
{
	switch (s) {
	case HK_CRED_ENROLLED: return "enrolled";
	case HK_CRED_KEY_GENERATED: return "key_generated";
	case HK_CRED_ACTIVE: return "active";
	case HK_CRED_SUSPENDED: return "suspended";
	case HK_CRED_DESTROYED: return "destroyed";
	}
	return "unknown";
}

/*
 * decide(st, ev, next, why): the legality of ${ev} and, when legal, the
 * credential state it leads to (0 when it does not touch a credential).
 */
static int
decide(const struct hk_state *st, const struct hk_event *ev,
    enum hk_cred_state *next, const char **why)
{
	const char *sid = (const char *)ev->signer.p;
	const char *cid = (const char *)ev->credential.p;
	struct signer *s = NULL;
	struct cred *c = NULL;

	*next = 0;
	switch (ev->type) {
	case HK_EV_SIGNER_REGISTERED:
	case HK_EV_SIGNER_UPDATED:
	case HK_EV_CREDENTIAL_ENROLLED:
	case HK_EV_KEY_GENERATED:
	case HK_EV_KEY_IMPORTED:
	case HK_EV_CSR_ISSUED:
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
	if (ev->signer.n == 0) {
		*why = "event names no signer";
		return HK_ESTATE;
	}
	s = hk_strmap_get(st->signers, sid, ev->signer.n);
	if (ev->type == HK_EV_SIGNER_REGISTERED) {
		if (s != NULL) {
			*why = "signer already registered";
			return HK_ESTATE;
		}
		return 0;
	}
	if (s == NULL) {
		*why = "signer not registered";
		return HK_ESTATE;
	}
	if (ev->type == HK_EV_SIGNER_UPDATED)
		return 0;
	if (ev->credential.n == 0) {
		*why = "event names no credential";
		return HK_ESTATE;
	}
	c = hk_strmap_get(st->creds, cid, ev->credential.n);
	if (c != NULL && (c->signer_n != ev->signer.n ||
			     memcmp(c->signer, sid, c->signer_n) != 0)) {
		*why = "credential belongs to another signer";
		return HK_ESTATE;
	}
	switch (ev->type) {
	case HK_EV_CREDENTIAL_ENROLLED:
		if (c != NULL) {
			*why = "credential already exists";
			return HK_ESTATE;
		}
		*next = HK_CRED_ENROLLED;
		return 0;
	case HK_EV_KEY_GENERATED:
	case HK_EV_KEY_IMPORTED:
		if (c != NULL && c->info.state != HK_CRED_ENROLLED) {
			*why = "credential already has a key";
			return HK_ESTATE;
		}
		*next = HK_CRED_KEY_GENERATED;
		return 0;
	default:
		break;
	}
	if (c == NULL) {
		*why = "no such credential";
		return HK_ESTATE;
	}
	if (c->info.state == HK_CRED_DESTROYED) {
		*why = "credential destroyed";
		return HK_ESTATE;
	}
	*next = c->info.state;
	switch (ev->type) {
	case HK_EV_CSR_ISSUED:
		if (c->info.state != HK_CRED_KEY_GENERATED) {
			*why = "CSR needs a generated key without certificate";
			return HK_ESTATE;
		}
		return 0;
	case HK_EV_CERT_BOUND:
		if (c->info.state != HK_CRED_KEY_GENERATED) {
			*why = "certificate needs a generated key";
			return HK_ESTATE;
		}
		*next = HK_CRED_ACTIVE;
		return 0;
	case HK_EV_SUSPENDED:
		if (c->info.state != HK_CRED_ACTIVE) {
			*why = "only an active credential can be suspended";
			return HK_ESTATE;
		}
		*next = HK_CRED_SUSPENDED;
		return 0;
	case HK_EV_RESUMED:
		if (c->info.state != HK_CRED_SUSPENDED) {
			*why = "only a suspended credential can be resumed";
			return HK_ESTATE;
		}
		*next = HK_CRED_ACTIVE;
		return 0;
	case HK_EV_KEY_DESTROYED:
		*next = HK_CRED_DESTROYED;
		return 0;
	case HK_EV_CREDENTIAL_LOCKED:
		if (c->info.locked) {
			*why = "credential already locked";
			return HK_ESTATE;
		}
		return 0;
	case HK_EV_CREDENTIAL_UNLOCKED:
		if (!c->info.locked) {
			*why = "credential not locked";
			return HK_ESTATE;
		}
		return 0;
	case HK_EV_AUTH_GRANTED:
	case HK_EV_SIGNATURE_CREATED:
		if (c->info.state != HK_CRED_ACTIVE) {
			*why = "credential not active";
			return HK_ESTATE;
		}
		if (c->info.locked) {
			*why = "credential locked";
			return HK_ESTATE;
		}
		return 0;
	default:
		return 0;
	}
}

/** hk_state_check(st, ev, why): is ${ev} legal now? */
int
hk_state_check(const struct hk_state *st, const struct hk_event *ev,
    const char **why)
{
	enum hk_cred_state next;

	return decide(st, ev, &next, why);
}

/** hk_state_apply(st, ev, why): apply a durable event. */
int
hk_state_apply(struct hk_state *st, const struct hk_event *ev,
    const char **why)
{
	enum hk_cred_state next;
	struct signer *s;
	struct cred *c;
	int r;

	if ((r = decide(st, ev, &next, why)) != 0) {
		if (st->flagged++ == 0) {
			st->first_seq = ev->seq;
			st->first_why = *why;
		}
		return r;
	}
	if (ev->type == HK_EV_APPLIANCE_STARTED ||
	    ev->type == HK_EV_CONFIG_APPLIED) {
		struct hk_mpk_reader rd;
		struct hk_bytes v, b;

		/* Both carry the configuration in force under the same key. */
		if (hk_event_body_value(ev->body, HK_BODY_APPLIANCE_CONFIG, &v) ==
		    0) {
			hk_mpk_reader_init(&rd, v.p, v.n);
			if (hk_mpk_get_bin(&rd, &b) == 0 && b.n == 32) {
				memcpy(st->config, b.p, 32);
				st->has_config = true;
			}
		}
		return 0;
	}
	if (ev->type == HK_EV_SIGNER_REGISTERED) {
		if ((s = calloc(1, sizeof(*s))) == NULL)
			return HK_ENOMEM;
		s->registered_seq = ev->seq;
		if ((r = hk_strmap_put(st->signers, (const char *)ev->signer.p,
			 ev->signer.n, s)) != 0)
			free(s);
		return r;
	}
	if (ev->type == HK_EV_SIGNER_UPDATED) {
		s = hk_strmap_get(st->signers, (const char *)ev->signer.p,
		    ev->signer.n);
		s->updates++;
		return 0;
	}
	if (next == 0)
		return 0;
	c = hk_strmap_get(st->creds, (const char *)ev->credential.p,
	    ev->credential.n);
	if (c == NULL) {
		if ((c = calloc(1, sizeof(*c))) == NULL ||
		    (c->signer = malloc(ev->signer.n + 1)) == NULL) {
			cred_free(c);
			return HK_ENOMEM;
		}
		memcpy(c->signer, ev->signer.p, ev->signer.n);
		c->signer[ev->signer.n] = '\0';
		c->signer_n = ev->signer.n;
		if ((r = hk_strmap_put(st->creds, (const char *)ev->credential.p,
			 ev->credential.n, c)) != 0) {
			cred_free(c);
			return r;
		}
	}
	c->info.state = next;
	c->info.last_seq = ev->seq;
	if (ev->type == HK_EV_CREDENTIAL_LOCKED)
		c->info.locked = true;
	else if (ev->type == HK_EV_CREDENTIAL_UNLOCKED)
		c->info.locked = false;
	else if (ev->type == HK_EV_SIGNATURE_CREATED)
		c->info.signatures++;
	return 0;
}

/** hk_state_flagged(st, first_seq, first_why): flagged event count. */
uint64_t
hk_state_flagged(const struct hk_state *st, uint64_t *first_seq,
    const char **first_why)
{
	if (first_seq != NULL)
		*first_seq = st->first_seq;
	if (first_why != NULL)
		*first_why = st->first_why;
	return st->flagged;
}

/** hk_state_cred(st, id, n, out): a credential's state. */
int
hk_state_cred(const struct hk_state *st, const char *id, size_t n,
    struct hk_cred_info *out)
{
	struct cred *c = hk_strmap_get(st->creds, id, n);

	if (c == NULL)
		return HK_ENOTFOUND;
	*out = c->info;
	return 0;
}

/** hk_state_signer_exists(st, id, n): is signer ${id} registered? */
bool
hk_state_signer_exists(const struct hk_state *st, const char *id, size_t n)
{
	return hk_strmap_get(st->signers, id, n) != NULL;
}

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

static void
put_u64(crypto_hash_sha256_state *h, uint64_t v)
{
	uint8_t b[8];
	int i;

	for (i = 7; i >= 0; i--) {
		b[i] = (uint8_t)v;
		v >>= 8;
	}
	crypto_hash_sha256_update(h, b, 8);
}

static int
digest_map(crypto_hash_sha256_state *h, const struct hk_strmap *m, int creds)
{
	struct collect c = {NULL, 0};
	size_t i;

	put_u64(h, hk_strmap_count(m));
	if (hk_strmap_count(m) == 0)
		return 0;
	if ((c.e = calloc(hk_strmap_count(m), sizeof(*c.e))) == NULL)
		return HK_ENOMEM;
	(void)hk_strmap_foreach(m, collect_cb, &c);
	qsort(c.e, c.n, sizeof(*c.e), entry_cmp);
	for (i = 0; i < c.n; i++) {
		put_u64(h, c.e[i].n);
		crypto_hash_sha256_update(h, (const uint8_t *)c.e[i].key,
		    c.e[i].n);
		if (creds) {
			const struct cred *cr = c.e[i].value;

			put_u64(h, cr->signer_n);
			crypto_hash_sha256_update(h, (const uint8_t *)cr->signer,
			    cr->signer_n);
			put_u64(h, cr->info.state);
			put_u64(h, cr->info.locked);
			put_u64(h, cr->info.signatures);
			put_u64(h, cr->info.last_seq);
		} else {
			const struct signer *s = c.e[i].value;

			put_u64(h, s->registered_seq);
			put_u64(h, s->updates);
		}
	}
	free(c.e);
	return 0;
}

/** hk_state_last_config(st, out): the last recorded configuration hash. */
bool
hk_state_last_config(const struct hk_state *st, uint8_t out[static 32])
{
	if (st->has_config)
		memcpy(out, st->config, 32);
	return st->has_config;
}

/** hk_state_digest(st, out): SHA-256 of the canonical state. */
int
hk_state_digest(const struct hk_state *st, uint8_t out[static 32])
{
	crypto_hash_sha256_state h;
	int r;

	crypto_hash_sha256_init(&h);
	if ((r = digest_map(&h, st->signers, 0)) != 0 ||
	    (r = digest_map(&h, st->creds, 1)) != 0)
		return r;
	put_u64(&h, st->flagged);
	crypto_hash_sha256_final(&h, out);
	return 0;
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
