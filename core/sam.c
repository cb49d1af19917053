/* SPDX-License-Identifier: Apache-2.0 */
/*
 * sam: sessions, SADs and signatures/signHash (see sam.h and
 * docs/csc-api.md). ACT-4..8, SIG-1..3.
 *
 * signHash, in order: the bearer token names the signer; the credential
 * must be theirs, active, unlocked, enrolled, with a certificate valid
 * now; signAlgo (and hashAlgorithmOID) must suit the key and the SAD; the
 * SAD must be live, of this credential and signer, and bind every hash
 * given, none signed yet. The hashes are then taken from the SAD at once
 * (so 64 concurrent requests for one hash give one signature), the HSM
 * signs them in parallel on its worker threads, and when the last
 * signature is in, the events are appended under the state's decision
 * lock after one more check of the credential (a suspension that won the
 * race wins). The answer goes out when every event is durable (SIG-3); a
 * ledger failure answers 503 and the SAM refuses everything after (fail
 * closed).
 */
#include <inttypes.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <openssl/rsa.h>
#include <openssl/x509.h>
#include <sodium.h>

#include "core/codec.h"
#include "core/event.h"
#include "core/log.h"
#include "core/mpk.h"
#include "core/sam.h"
#include "core/strmap.h"

struct session {
	char signer[HK_STATE_ID_MAX];
	uint8_t hash[32];
	uint64_t created_ms, last_ms;
};

struct sad {
	struct hk_sam_grant g;   /* g.hashes owned */
	uint8_t id[32];
	bool *used;              /* per hash: signed (or being signed) */
	size_t left;             /* hashes not yet taken */
};

struct hk_sam {
	struct hk_sam_opts o;
	pthread_mutex_t mu;      /* sessions, sads */
	struct hk_strmap *sessions, *sads; /* keyed by hex SHA-256 */
	pthread_cond_t idle;
	size_t inflight;         /* signHash requests not answered yet */
	atomic_bool failed;      /* the ledger refused: fail closed */
};

/* ---- time, keys ------------------------------------------------------------ */

static uint64_t
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static void
hash_key(const uint8_t *p, size_t n, uint8_t h[32], char hex[65])
{
	crypto_hash_sha256(h, p, n);
	hk_hex_encode(hex, h, 32);
}

/* b64url(in, out): unpadded base64url of HK_SAM_SECRET_BYTES bytes. */
static void
b64url(const uint8_t in[HK_SAM_SECRET_BYTES],
    char out[static HK_SAM_SECRET_LEN + 1])
{
	sodium_bin2base64(out, HK_SAM_SECRET_LEN + 1, in, HK_SAM_SECRET_BYTES,
	    sodium_base64_VARIANT_URLSAFE_NO_PADDING);
}

/* ---- algorithms -------------------------------------------------------------- */

#define OID_SHA256 "2.16.840.1.101.3.4.2.1"
#define OID_SHA384 "2.16.840.1.101.3.4.2.2"
#define OID_SHA512 "2.16.840.1.101.3.4.2.3"
#define OID_RSA "1.2.840.113549.1.1.1"
#define OID_RSA_SHA256 "1.2.840.113549.1.1.11"
#define OID_RSA_SHA384 "1.2.840.113549.1.1.12"
#define OID_RSA_SHA512 "1.2.840.113549.1.1.13"
#define OID_RSA_PSS "1.2.840.113549.1.1.10"
#define OID_EC_PUBKEY "1.2.840.10045.2.1"
#define OID_ECDSA_SHA256 "1.2.840.10045.4.3.2"
#define OID_ECDSA_SHA384 "1.2.840.10045.4.3.3"
#define OID_ECDSA_SHA512 "1.2.840.10045.4.3.4"
#define OID_P256 "1.2.840.10045.3.1.7"
#define OID_P384 "1.3.132.0.34"

static bool
oid_is(const char *oid, size_t n, const char *want)
{
	return n == strlen(want) && memcmp(oid, want, n) == 0;
}

/** hk_sam_hash_oid(oid, n, hash): SHA-2 hashes by OID. */
int
hk_sam_hash_oid(const char *oid, size_t n, enum hsm_hash *hash)
{
	if (oid_is(oid, n, OID_SHA256))
		*hash = HSM_HASH_SHA256;
	else if (oid_is(oid, n, OID_SHA384))
		*hash = HSM_HASH_SHA384;
	else if (oid_is(oid, n, OID_SHA512))
		*hash = HSM_HASH_SHA512;
	else
		return HK_EINVAL;
	return 0;
}

static bool
is_rsa(const char *alg)
{
	return strncmp(alg, "rsa", 3) == 0;
}

static bool
is_ec(const char *alg)
{
	return strcmp(alg, "p256") == 0 || strcmp(alg, "p384") == 0;
}

/** hk_sam_key_algos(alg, oids, max): signAlgo OIDs for a key. */
size_t
hk_sam_key_algos(const char *alg, const char **oids, size_t max)
{
	static const char *const ec[] = {OID_ECDSA_SHA256, OID_ECDSA_SHA384,
	    OID_ECDSA_SHA512, OID_EC_PUBKEY};
	static const char *const rsa[] = {OID_RSA_SHA256, OID_RSA_SHA384,
	    OID_RSA_SHA512, OID_RSA, OID_RSA_PSS};
	const char *const *set = NULL;
	size_t n = 0, i;

	if (is_ec(alg)) {
		set = ec;
		n = sizeof(ec) / sizeof(ec[0]);
	} else if (is_rsa(alg)) {
		set = rsa;
		n = sizeof(rsa) / sizeof(rsa[0]);
	}
	for (i = 0; i < n && i < max; i++)
		oids[i] = set[i];
	return i;
}

/** hk_sam_key_shape(alg, bits, curve): key size and curve. */
bool
hk_sam_key_shape(const char *alg, unsigned *bits, const char **curve)
{
	*curve = NULL;
	if (strcmp(alg, "p256") == 0) {
		*bits = 256;
		*curve = OID_P256;
	} else if (strcmp(alg, "p384") == 0) {
		*bits = 384;
		*curve = OID_P384;
	} else if (strcmp(alg, "rsa2048") == 0) {
		*bits = 2048;
	} else if (strcmp(alg, "rsa3072") == 0) {
		*bits = 3072;
	} else if (strcmp(alg, "ed25519") == 0) {
		*bits = 256;
	} else {
		return false;
	}
	return true;
}

/* pss_params_ok(der, n, hash): the RSASSA-PSS parameters are the ones the
 * HSM applies: hash ${hash}, MGF1 with the same hash, salt of the hash
 * length, trailer 1. */
static bool
pss_params_ok(const uint8_t *der, size_t n, enum hsm_hash hash)
{
	const unsigned char *p = der;
	RSA_PSS_PARAMS *pp;
	const EVP_MD *want = hash == HSM_HASH_SHA256 ? EVP_sha256() :
	    hash == HSM_HASH_SHA384 ? EVP_sha384() : EVP_sha512();
	const EVP_MD *md = NULL, *mgf = NULL;
	long salt = 20, trailer = 1;
	bool ok = false;

	if (n == 0 || n > 256 ||
	    (pp = d2i_RSA_PSS_PARAMS(NULL, &p, (long)n)) == NULL)
		return false;
	if (p != der + n)
		goto out;
	/* Absent fields take the RFC 8017 defaults (SHA-1, salt 20). */
	md = pp->hashAlgorithm != NULL ?
	    EVP_get_digestbyobj(pp->hashAlgorithm->algorithm) : EVP_sha1();
	if (pp->maskGenAlgorithm != NULL) {
		X509_ALGOR *inner = NULL;
		const unsigned char *q;

		if (OBJ_obj2nid(pp->maskGenAlgorithm->algorithm) != NID_mgf1 ||
		    pp->maskGenAlgorithm->parameter == NULL ||
		    pp->maskGenAlgorithm->parameter->type != V_ASN1_SEQUENCE)
			goto out;
		q = pp->maskGenAlgorithm->parameter->value.sequence->data;
		inner = d2i_X509_ALGOR(NULL, &q,
		    pp->maskGenAlgorithm->parameter->value.sequence->length);
		if (inner == NULL)
			goto out;
		mgf = EVP_get_digestbyobj(inner->algorithm);
		X509_ALGOR_free(inner);
	} else {
		mgf = EVP_sha1();
	}
	if (pp->saltLength != NULL)
		salt = ASN1_INTEGER_get(pp->saltLength);
	if (pp->trailerField != NULL)
		trailer = ASN1_INTEGER_get(pp->trailerField);
	ok = md != NULL && mgf != NULL && EVP_MD_type(md) == EVP_MD_type(want) &&
	    EVP_MD_type(mgf) == EVP_MD_type(want) &&
	    salt == (long)hsm_hash_len(hash) && trailer == 1;
out:
	RSA_PSS_PARAMS_free(pp);
	return ok;
}

/* ---- the store ------------------------------------------------------------- */

static void
sad_free(void *p)
{
	struct sad *d = p;

	if (d == NULL)
		return;
	free(d->g.hashes);
	free(d->used);
	sodium_memzero(d, sizeof(*d));
	free(d);
}

struct sweep {
	struct hk_sam *s;
	uint64_t now;
	char (*dead)[65];
	size_t n, max;
};

static int
session_dead_cb(void *arg, const char *key, size_t n, void *value)
{
	struct sweep *w = arg;
	const struct session *ss = value;
	const struct hk_config *c = w->s->o.cfg;

	if (w->n < w->max && n == 64 &&
	    (w->now - ss->last_ms > (uint64_t)c->session_idle_s * 1000 ||
		w->now - ss->created_ms >
		    (uint64_t)c->session_lifetime_s * 1000))
		memcpy(w->dead[w->n++], key, 65);
	return 0;
}

static int
sad_dead_cb(void *arg, const char *key, size_t n, void *value)
{
	struct sweep *w = arg;
	const struct sad *d = value;

	if (w->n < w->max && n == 64 &&
	    (d->g.expires_ms <= w->now || d->left == 0))
		memcpy(w->dead[w->n++], key, 65);
	return 0;
}

/* sweep(s, m, cb, fr): drop the expired entries of ${m} (under s->mu). */
static void
sweep(struct hk_sam *s, struct hk_strmap *m,
    int (*cb)(void *, const char *, size_t, void *), void (*fr)(void *))
{
	struct sweep w = {s, now_ms(), NULL, 0, hk_strmap_count(m)};
	size_t i;

	if (w.max == 0 || (w.dead = calloc(w.max, 65)) == NULL)
		return;
	(void)hk_strmap_foreach(m, cb, &w);
	for (i = 0; i < w.n; i++)
		fr(hk_strmap_del(m, w.dead[i], 64));
	free(w.dead);
}

static void
session_free(void *p)
{
	if (p != NULL)
		sodium_memzero(p, sizeof(struct session));
	free(p);
}

/** hk_sam_new(o, out): an empty store. */
int
hk_sam_new(const struct hk_sam_opts *o, struct hk_sam **out)
{
	struct hk_sam *s;

	if ((s = calloc(1, sizeof(*s))) == NULL)
		return HK_ENOMEM;
	s->o = *o;
	if ((s->sessions = hk_strmap_new()) == NULL ||
	    (s->sads = hk_strmap_new()) == NULL) {
		hk_strmap_free(s->sessions, NULL);
		free(s);
		return HK_ENOMEM;
	}
	pthread_mutex_init(&s->mu, NULL);
	pthread_cond_init(&s->idle, NULL);
	atomic_init(&s->failed, false);
	*out = s;
	return 0;
}

/** hk_sam_free(s): wait for requests in flight, then free. */
void
hk_sam_free(struct hk_sam *s)
{
	if (s == NULL)
		return;
	pthread_mutex_lock(&s->mu);
	while (s->inflight > 0)
		pthread_cond_wait(&s->idle, &s->mu);
	pthread_mutex_unlock(&s->mu);
	hk_strmap_free(s->sessions, session_free);
	hk_strmap_free(s->sads, sad_free);
	pthread_cond_destroy(&s->idle);
	pthread_mutex_destroy(&s->mu);
	free(s);
}

/** hk_sam_fail_closed(s): stop signing. */
void
hk_sam_fail_closed(struct hk_sam *s)
{
	if (s != NULL)
		atomic_store(&s->failed, true);
}

/** hk_sam_random(s, buf, n): bytes from the HSM RNG. */
int
hk_sam_random(struct hk_sam *s, uint8_t *buf, size_t n)
{
	return hsm_pool_random(s->o.pool, buf, n);
}

/** hk_sam_login(s, signer, token, expires_in): a new session. */
int
hk_sam_login(struct hk_sam *s, const char *signer,
    char token[static HK_SAM_SECRET_LEN + 1], uint64_t *expires_in)
{
	uint8_t raw[HK_SAM_SECRET_BYTES];
	struct session *ss;
	char hex[65];
	int r;

	if (strlen(signer) >= HK_STATE_ID_MAX)
		return HK_EINVAL;
	if ((r = hk_sam_random(s, raw, sizeof(raw))) != 0)
		return r;
	if ((ss = calloc(1, sizeof(*ss))) == NULL) {
		sodium_memzero(raw, sizeof(raw));
		return HK_ENOMEM;
	}
	b64url(raw, token);
	sodium_memzero(raw, sizeof(raw));
	snprintf(ss->signer, sizeof(ss->signer), "%s", signer);
	hash_key((const uint8_t *)token, HK_SAM_SECRET_LEN, ss->hash, hex);
	ss->created_ms = ss->last_ms = now_ms();
	pthread_mutex_lock(&s->mu);
	if (hk_strmap_count(s->sessions) >= HK_SAM_MAX_LIVE / 2)
		sweep(s, s->sessions, session_dead_cb, session_free);
	if (hk_strmap_count(s->sessions) >= HK_SAM_MAX_LIVE)
		r = HK_EBUSY;
	else
		r = hk_strmap_put(s->sessions, hex, 64, ss);
	pthread_mutex_unlock(&s->mu);
	if (r != 0) {
		session_free(ss);
		sodium_memzero(token, HK_SAM_SECRET_LEN + 1);
		return r;
	}
	*expires_in = s->o.cfg->session_lifetime_s;
	return 0;
}

/* bearer(p, n, tok, tn): the token of "Bearer <token>". */
static bool
bearer(const uint8_t *p, size_t n, const uint8_t **tok, size_t *tn)
{
	if (n < 8 || strncasecmp((const char *)p, "Bearer ", 7) != 0)
		return false;
	*tok = p + 7;
	*tn = n - 7;
	return *tn == HK_SAM_SECRET_LEN;
}

/** hk_sam_session(s, authorization, n, signer, session): who is it? */
int
hk_sam_session(struct hk_sam *s, const uint8_t *authorization, size_t n,
    char signer[static HK_STATE_ID_MAX], uint8_t session[static 32])
{
	struct session *ss;
	const uint8_t *tok;
	size_t tn;
	char hex[65];
	uint64_t now = now_ms();
	const struct hk_config *c = s->o.cfg;
	int r = HK_EAUTH;

	if (!bearer(authorization, n, &tok, &tn))
		return HK_EAUTH;
	hash_key(tok, tn, session, hex);
	pthread_mutex_lock(&s->mu);
	if ((ss = hk_strmap_get(s->sessions, hex, 64)) != NULL) {
		if (now - ss->last_ms > (uint64_t)c->session_idle_s * 1000 ||
		    now - ss->created_ms >
			(uint64_t)c->session_lifetime_s * 1000) {
			/* ACT-8: past its idle timeout or lifetime: gone. */
			session_free(hk_strmap_del(s->sessions, hex, 64));
		} else {
			ss->last_ms = now;
			memcpy(signer, ss->signer, HK_STATE_ID_MAX);
			r = 0;
		}
	}
	pthread_mutex_unlock(&s->mu);
	return r;
}

/** hk_sam_revoke(s, signer, token, n): end a session of ${signer}. */
int
hk_sam_revoke(struct hk_sam *s, const char *signer, const uint8_t *token,
    size_t n)
{
	struct session *ss;
	uint8_t h[32];
	char hex[65];
	int r = HK_ENOTFOUND;

	hash_key(token, n, h, hex);
	pthread_mutex_lock(&s->mu);
	if ((ss = hk_strmap_get(s->sessions, hex, 64)) != NULL &&
	    strcmp(ss->signer, signer) == 0) {
		session_free(hk_strmap_del(s->sessions, hex, 64));
		r = 0;
	}
	pthread_mutex_unlock(&s->mu);
	return r;
}

/** hk_sam_sad_new(s, g, sad, id): store a SAD. */
int
hk_sam_sad_new(struct hk_sam *s, const struct hk_sam_grant *g,
    char sad[static HK_SAM_SECRET_LEN + 1], uint8_t id[static 32])
{
	uint8_t raw[HK_SAM_SECRET_BYTES];
	struct sad *d;
	char hex[65];
	int r;

	if (g->nhashes == 0 || g->nhashes > HK_SAM_MULTISIGN ||
	    g->hash_len == 0 || g->hash_len > HK_SAM_HASH_MAX)
		return HK_EINVAL;
	if ((r = hk_sam_random(s, raw, sizeof(raw))) != 0)
		return r;
	if ((d = calloc(1, sizeof(*d))) == NULL ||
	    (d->g.hashes = calloc(g->nhashes, HK_SAM_HASH_MAX)) == NULL ||
	    (d->used = calloc(g->nhashes, sizeof(bool))) == NULL) {
		sad_free(d);
		sodium_memzero(raw, sizeof(raw));
		return HK_ENOMEM;
	}
	{
		uint8_t (*h)[HK_SAM_HASH_MAX] = d->g.hashes;

		d->g = *g;
		d->g.hashes = h;
		memcpy(h, g->hashes, g->nhashes * HK_SAM_HASH_MAX);
	}
	d->left = g->nhashes;
	b64url(raw, sad);
	sodium_memzero(raw, sizeof(raw));
	hash_key((const uint8_t *)sad, HK_SAM_SECRET_LEN, d->id, hex);
	memcpy(id, d->id, 32);
	pthread_mutex_lock(&s->mu);
	if (hk_strmap_count(s->sads) >= HK_SAM_MAX_LIVE / 2)
		sweep(s, s->sads, sad_dead_cb, sad_free);
	if (hk_strmap_count(s->sads) >= HK_SAM_MAX_LIVE)
		r = HK_EBUSY;
	else
		r = hk_strmap_put(s->sads, hex, 64, d);
	pthread_mutex_unlock(&s->mu);
	if (r != 0) {
		sad_free(d);
		sodium_memzero(sad, HK_SAM_SECRET_LEN + 1);
	}
	return r;
}

/** hk_sam_sad_take(s, sad, n, credential, signer, out, id): remove it. */
int
hk_sam_sad_take(struct hk_sam *s, const uint8_t *sad, size_t n,
    const char *credential, const char *signer, const uint8_t *session,
    struct hk_sam_grant *out, uint8_t id[static 32])
{
	struct sad *d;
	uint8_t h[32];
	char hex[65];
	size_t i, k = 0;
	int r = HK_ENOTFOUND;

	memset(out, 0, sizeof(*out));
	if (n != HK_SAM_SECRET_LEN)
		return HK_ENOTFOUND;
	hash_key(sad, n, h, hex);
	pthread_mutex_lock(&s->mu);
	d = hk_strmap_get(s->sads, hex, 64);
	if (d == NULL || strcmp(d->g.credential, credential) != 0 ||
	    strcmp(d->g.signer, signer) != 0 || d->left == 0 ||
	    (session != NULL &&
		sodium_memcmp(d->g.session, session, 32) != 0)) {
		pthread_mutex_unlock(&s->mu);
		return HK_ENOTFOUND;
	}
	if (d->g.expires_ms <= now_ms()) {
		pthread_mutex_unlock(&s->mu);
		return HK_ETIMEOUT;
	}
	(void)hk_strmap_del(s->sads, hex, 64);
	pthread_mutex_unlock(&s->mu);
	if ((out->hashes = calloc(d->left, HK_SAM_HASH_MAX)) == NULL) {
		r = HK_ENOMEM;
	} else {
		uint8_t (*fresh)[HK_SAM_HASH_MAX] = out->hashes;

		*out = d->g;
		out->hashes = fresh;
		for (i = 0; i < d->g.nhashes; i++)
			if (!d->used[i])
				memcpy(out->hashes[k++], d->g.hashes[i],
				    HK_SAM_HASH_MAX);
		out->nhashes = k;
		memcpy(id, d->id, 32);
		r = 0;
	}
	sad_free(d);
	return r;
}

/* ---- signatures/signHash ----------------------------------------------------- */

#define CLIENT_DATA_MAX 1024

struct req;

struct slot {
	struct req *q;
	uint8_t hash[HK_SAM_HASH_MAX];
	uint8_t sig[HSM_SIG_MAX];
	size_t siglen;
	int result;
	struct hk_buf body; /* the event's body */
	uint64_t seq;
};

struct req {
	struct hk_sam *s;
	uint64_t id;
	size_t n;
	atomic_size_t pending; /* signatures not in yet */
	atomic_size_t commits; /* events not durable yet */
	atomic_bool broken;    /* an append or a commit failed */
	char cred[HK_STATE_ID_MAX], signer[HK_STATE_ID_MAX];
	char peer[128], tls[33];
	char hash_oid[32], sign_oid[40];
	char client_data[CLIENT_DATA_MAX + 1];
	uint8_t session[32], sad_id[32], key_id[16], key_fp[32];
	uint8_t params[256];
	size_t plen, hlen;
	enum hsm_scheme scheme;
	enum hsm_hash hash;
	struct slot slots[];
};

static void
answer(struct hk_sam *s, uint64_t id, unsigned status, const char *code,
    const char *desc)
{
	struct hk_buf b = HK_BUF_INIT;
	struct hk_mpk_writer w;

	hk_mpk_writer_init(&w, &b);
	hk_mpk_put_map(&w, 2);
	hk_mpk_put_uint(&w, 1);
	hk_mpk_put_cstr(&w, code);
	hk_mpk_put_uint(&w, 2);
	hk_mpk_put_cstr(&w, desc);
	if (hk_mpk_writer_status(&w) == 0)
		s->o.done(s->o.arg, id, status, b.p, b.len);
	else
		s->o.done(s->o.arg, id, 500, (const uint8_t *)"\x80", 1);
	hk_buf_release(&b);
}

#define BAD(s, id, desc) answer((s), (id), 400, "invalid_request", (desc))

static void
unavailable(struct hk_sam *s, uint64_t id)
{
	answer(s, id, 503, "temporarily_unavailable",
	    "The service is unavailable");
}

static void
finish(struct req *q)
{
	struct hk_sam *s = q->s;
	size_t i;

	for (i = 0; i < q->n; i++) {
		hk_buf_release(&q->slots[i].body);
		sodium_memzero(q->slots[i].sig, sizeof(q->slots[i].sig));
	}
	sodium_memzero(q, sizeof(*q));
	free(q);
	pthread_mutex_lock(&s->mu);
	if (--s->inflight == 0)
		pthread_cond_broadcast(&s->idle);
	pthread_mutex_unlock(&s->mu);
}

/* The event of slot ${i}, borrowing from ${q}. */
static void
slot_event(const struct req *q, const struct slot *sl, struct hk_event *ev)
{
	memset(ev, 0, sizeof(*ev));
	ev->type = HK_EV_SIGNATURE_CREATED;
	ev->actor_kind = HK_ACTOR_SIGNER;
	ev->actor_id = (struct hk_bytes){(const uint8_t *)q->signer,
	    strlen(q->signer)};
	ev->actor_channel = HK_CHANNEL_SIGNING;
	ev->actor_peer = (struct hk_bytes){(const uint8_t *)q->peer,
	    strlen(q->peer)};
	ev->signer = ev->actor_id;
	ev->credential = (struct hk_bytes){(const uint8_t *)q->cred,
	    strlen(q->cred)};
	ev->body = (struct hk_bytes){sl->body.p, sl->body.len};
	ev->seq = sl->seq;
}

static void
committed_all(struct req *q)
{
	struct hk_sam *s = q->s;
	struct hk_buf b = HK_BUF_INIT;
	struct hk_mpk_writer w;
	size_t i;

	if (atomic_load(&q->broken)) {
		/* SIG-3: no signature leaves without its durable record. */
		unavailable(s, q->id);
		finish(q);
		return;
	}
	hk_mpk_writer_init(&w, &b);
	hk_mpk_put_map(&w, 2);
	hk_mpk_put_uint(&w, 1);
	hk_mpk_put_array(&w, (uint32_t)q->n);
	for (i = 0; i < q->n; i++)
		hk_mpk_put_bin(&w, q->slots[i].sig, q->slots[i].siglen);
	hk_mpk_put_uint(&w, 2);
	hk_mpk_put_array(&w, (uint32_t)q->n);
	for (i = 0; i < q->n; i++)
		hk_mpk_put_uint(&w, q->slots[i].seq);
	if (hk_mpk_writer_status(&w) == 0)
		s->o.done(s->o.arg, q->id, 200, b.p, b.len);
	else
		answer(s, q->id, 500, "server_error", "cannot encode");
	sodium_memzero(b.p, b.cap);
	hk_buf_release(&b);
	finish(q);
}

/* Commit of one event, on the ledger's writer thread, in ledger order:
 * apply it to the state (so that the live state is the replayed one). */
static void
commit_cb(void *arg, int status, uint64_t seq)
{
	struct slot *sl = arg;
	struct req *q = sl->q;
	struct hk_event ev;
	const char *why = NULL;

	if (status != 0) {
		atomic_store(&q->broken, true);
		atomic_store(&q->s->failed, true);
		hk_error_f("signature event of %s not durable (%s): failing "
			   "closed", q->cred, hk_strerror(status));
	} else {
		sl->seq = seq;
		slot_event(q, sl, &ev);
		if (hk_state_apply(q->s->o.state, &ev, &why) != 0)
			hk_error_f("state refused the committed signature at "
				   "seq %" PRIu64 ": %s", seq, why);
	}
	if (atomic_fetch_sub(&q->commits, 1) == 1)
		committed_all(q);
}

static int
build_body(struct req *q, size_t i)
{
	struct slot *sl = &q->slots[i];
	struct hk_mpk_writer w;

	hk_mpk_writer_init(&w, &sl->body);
	/* Keys ascend (the profile's one encoding): 1..8, then 9, 10 and
	 * 11 when present, then 12. */
	hk_mpk_put_map(&w, 9 + (q->client_data[0] != '\0') +
	    (q->plen > 0) + (q->tls[0] != '\0'));
	hk_mpk_put_uint(&w, HK_BODY_SIG_SAD_ID);
	hk_mpk_put_bin(&w, q->sad_id, 32);
	hk_mpk_put_uint(&w, HK_BODY_SIG_KEY_FP);
	hk_mpk_put_bin(&w, q->key_fp, 32);
	hk_mpk_put_uint(&w, HK_BODY_SIG_HASH_ALG);
	hk_mpk_put_cstr(&w, q->hash_oid);
	hk_mpk_put_uint(&w, HK_BODY_SIG_HASH);
	hk_mpk_put_bin(&w, sl->hash, q->hlen);
	hk_mpk_put_uint(&w, HK_BODY_SIG_ALG);
	hk_mpk_put_cstr(&w, q->sign_oid);
	hk_mpk_put_uint(&w, HK_BODY_SIG_VALUE);
	hk_mpk_put_bin(&w, sl->sig, sl->siglen);
	hk_mpk_put_uint(&w, HK_BODY_SIG_KEY_ID);
	hk_mpk_put_bin(&w, q->key_id, 16);
	hk_mpk_put_uint(&w, HK_BODY_SIG_SESSION);
	hk_mpk_put_bin(&w, q->session, 32);
	if (q->tls[0] != '\0') {
		hk_mpk_put_uint(&w, HK_BODY_SIG_TLS);
		hk_mpk_put_cstr(&w, q->tls);
	}
	if (q->client_data[0] != '\0') {
		hk_mpk_put_uint(&w, HK_BODY_SIG_CLIENT_DATA);
		hk_mpk_put_cstr(&w, q->client_data);
	}
	if (q->plen > 0) {
		hk_mpk_put_uint(&w, HK_BODY_SIG_PARAMS);
		hk_mpk_put_bin(&w, q->params, q->plen);
	}
	hk_mpk_put_uint(&w, HK_BODY_SIG_INDEX);
	hk_mpk_put_uint(&w, i);
	return hk_mpk_writer_status(&w);
}

/* cred_usable(s, q, ci, why): may ${q}'s credential sign now? */
static const char *
cred_refusal(const struct req *q, const struct hk_cred_info *ci,
    const char *signer)
{
	uint64_t now = now_ms() / 1000;

	if (strcmp(ci->signer, signer) != 0 ||
	    ci->state == HK_CRED_CREATED || ci->state == HK_CRED_KEY_GENERATED)
		return "Invalid parameter credentialID";
	if (ci->state != HK_CRED_ACTIVE || !ci->enrolled || !ci->key.present)
		return "The credential identified by credentialID is disabled";
	if (ci->locked)
		return "Credential locked";
	if (!ci->has_cert || now > ci->not_after)
		return "Signing certificate is expired.";
	if (now < ci->not_before)
		return "Signing certificate is not yet valid.";
	if (q != NULL && memcmp(ci->key.id, q->key_id, 16) != 0)
		return "The credential identified by credentialID is disabled";
	return NULL;
}

/* All signatures are in (HSM worker thread): record them. */
static void
signed_all(struct req *q)
{
	struct hk_sam *s = q->s;
	struct hk_cred_info ci;
	struct hk_event ev;
	const char *why = NULL, *refusal;
	size_t i, n, appended;
	int r;

	for (i = 0; i < q->n; i++)
		if (q->slots[i].result != 0) {
			hk_warn_f("signHash for %s: the HSM failed: %s", q->cred,
			    hk_strerror(q->slots[i].result));
			unavailable(s, q->id);
			finish(q);
			return;
		}
	for (i = 0; i < q->n; i++)
		if (build_body(q, i) != 0) {
			answer(s, q->id, 500, "server_error", "cannot encode");
			finish(q);
			return;
		}
	hk_state_decide_lock(s->o.state);
	/* The credential may have been suspended, locked or renewed while
	 * the HSM was busy: decide again, under the decision lock. */
	if (hk_state_cred(s->o.state, q->cred, strlen(q->cred), &ci) != 0 ||
	    (refusal = cred_refusal(q, &ci, q->signer)) != NULL) {
		hk_state_decide_unlock(s->o.state);
		BAD(s, q->id, "The credential identified by credentialID is "
			      "disabled");
		finish(q);
		return;
	}
	slot_event(q, &q->slots[0], &ev);
	if (atomic_load(&s->failed) ||
	    hk_state_check(s->o.state, &ev, &why) != 0) {
		hk_state_decide_unlock(s->o.state);
		if (why != NULL)
			hk_warn_f("signHash for %s refused by the state: %s",
			    q->cred, why);
		unavailable(s, q->id);
		finish(q);
		return;
	}
	/* WARNING: once the last event is queued the writer may commit it
	 * and free ${q} (committed_all, finish) before this thread runs
	 * again: from here on only the local ${n} decides, and ${q} is
	 * touched again only while an event is still unqueued. */
	n = q->n;
	atomic_store(&q->commits, n);
	for (appended = 0; appended < n; appended++) {
		slot_event(q, &q->slots[appended], &ev);
		if ((r = ledger_append(s->o.ledger, &ev, commit_cb,
			 &q->slots[appended])) != 0) {
			hk_error_f("cannot append a signature event (%s): "
				   "failing closed", hk_strerror(r));
			atomic_store(&s->failed, true);
			atomic_store(&q->broken, true);
			break;
		}
	}
	hk_state_decide_unlock(s->o.state);
	/* Slots never appended will never commit. */
	if (appended < n &&
	    atomic_fetch_sub(&q->commits, n - appended) == n - appended)
		committed_all(q);
}

static void
sign_cb(void *arg, int result, const uint8_t *sig, size_t siglen)
{
	struct slot *sl = arg;
	struct req *q = sl->q;

	sl->result = result;
	if (result == 0) {
		if (siglen > sizeof(sl->sig))
			sl->result = HK_ETOOBIG;
		else {
			memcpy(sl->sig, sig, siglen);
			sl->siglen = siglen;
		}
	}
	if (atomic_fetch_sub(&q->pending, 1) == 1)
		signed_all(q);
}

/** hk_sam_handles(type): signHash is the SAM's own. */
bool
hk_sam_handles(uint64_t type)
{
	return type == HK_IPC_CSC_SIGN_HASH;
}

/* Request fields (the front checked them; the core checks again). */
static int
get_str(struct hk_bytes body, uint64_t key, struct hk_bytes *out)
{
	return hk_event_body_str(body, key, out);
}

static void
copy_str(char *dst, size_t max, const struct hk_ipc_msg *m,
    struct hk_bytes b)
{
	size_t n = b.n < max - 1 ? b.n : max - 1;

	(void)m;
	if (n > 0)
		memcpy(dst, b.p, n);
	dst[n] = '\0';
}

/* algorithms(q, ci, sign, hoid, has_hoid, params, why): choose the HSM
 * scheme and hash for signAlgo ${sign} on this key. NULL or the refusal. */
static const char *
algorithms(struct req *q, const struct hk_cred_info *ci, struct hk_bytes sign,
    struct hk_bytes hoid, bool has_hoid, struct hk_bytes params)
{
	const char *alg = ci->algorithm;
	enum hsm_hash given = HSM_HASH_NONE, implied = HSM_HASH_NONE;
	const char *so = (const char *)sign.p;

	if (has_hoid && hk_sam_hash_oid((const char *)hoid.p, hoid.n, &given) !=
	    0)
		return "Invalid parameter hashAlgorithmOID";
	if (is_ec(alg)) {
		q->scheme = HSM_SIG_ECDSA;
		if (oid_is(so, sign.n, OID_ECDSA_SHA256))
			implied = HSM_HASH_SHA256;
		else if (oid_is(so, sign.n, OID_ECDSA_SHA384))
			implied = HSM_HASH_SHA384;
		else if (oid_is(so, sign.n, OID_ECDSA_SHA512))
			implied = HSM_HASH_SHA512;
		else if (!oid_is(so, sign.n, OID_EC_PUBKEY))
			return "Invalid parameter signAlgo";
	} else if (is_rsa(alg)) {
		q->scheme = HSM_SIG_RSA_PKCS1;
		if (oid_is(so, sign.n, OID_RSA_SHA256))
			implied = HSM_HASH_SHA256;
		else if (oid_is(so, sign.n, OID_RSA_SHA384))
			implied = HSM_HASH_SHA384;
		else if (oid_is(so, sign.n, OID_RSA_SHA512))
			implied = HSM_HASH_SHA512;
		else if (oid_is(so, sign.n, OID_RSA_PSS))
			q->scheme = HSM_SIG_RSA_PSS;
		else if (!oid_is(so, sign.n, OID_RSA))
			return "Invalid parameter signAlgo";
	} else {
		return "Invalid parameter signAlgo";
	}
	if (implied != HSM_HASH_NONE) {
		if (has_hoid && given != implied)
			return "Invalid parameter hashAlgorithmOID";
		q->hash = implied;
	} else if (!has_hoid) {
		return "Missing (or invalid type) string parameter "
		       "hashAlgorithmOID";
	} else {
		q->hash = given;
	}
	if (q->scheme == HSM_SIG_RSA_PSS) {
		if (params.n == 0)
			return "Missing (or invalid type) string parameter "
			       "signAlgoParams";
		if (params.n > sizeof(q->params) ||
		    !pss_params_ok(params.p, params.n, q->hash))
			return "Invalid parameter signAlgoParams";
		memcpy(q->params, params.p, params.n);
		q->plen = params.n;
	} else if (params.n > 0) {
		return "Invalid parameter signAlgoParams";
	}
	snprintf(q->hash_oid, sizeof(q->hash_oid), "%s",
	    q->hash == HSM_HASH_SHA256 ? OID_SHA256 :
	    q->hash == HSM_HASH_SHA384 ? OID_SHA384 : OID_SHA512);
	copy_str(q->sign_oid, sizeof(q->sign_oid), NULL, sign);
	q->hlen = hsm_hash_len(q->hash);
	return NULL;
}

/* Hashes sit zero-padded in HK_SAM_HASH_MAX bytes: compare them whole. */
static int
hash_cmp(const void *a, const void *b)
{
	return memcmp(*(const uint8_t *const *)a, *(const uint8_t *const *)b,
	    HK_SAM_HASH_MAX);
}

/* duplicates(q): whether a hash appears twice in the request. */
static bool
duplicates(const struct req *q)
{
	const uint8_t **v;
	bool dup = false;
	size_t i;

	if (q->n < 2)
		return false;
	if (q->n <= 16) {
		for (i = 0; i < q->n && !dup; i++)
			for (size_t k = i + 1; k < q->n && !dup; k++)
				dup = memcmp(q->slots[i].hash,
				    q->slots[k].hash, q->hlen) == 0;
		return dup;
	}
	if ((v = calloc(q->n, sizeof(*v))) == NULL)
		return true; /* refuse rather than guess */
	for (i = 0; i < q->n; i++)
		v[i] = q->slots[i].hash;
	qsort(v, q->n, sizeof(*v), hash_cmp);
	for (i = 1; i < q->n && !dup; i++)
		dup = memcmp(v[i - 1], v[i], HK_SAM_HASH_MAX) == 0;
	free(v);
	return dup;
}

/* take(s, q, sad, why): check the SAD and take the hashes from it. */
static const char *
take(struct hk_sam *s, struct req *q, struct hk_bytes sad)
{
	struct sad *d;
	uint8_t h[32];
	char hex[65];
	size_t i = 0, k, *idx;
	const char *why = NULL;

	if (sad.n != HK_SAM_SECRET_LEN)
		return "Invalid parameter SAD";
	if ((idx = calloc(q->n, sizeof(*idx))) == NULL)
		return "";
	hash_key(sad.p, sad.n, h, hex);
	pthread_mutex_lock(&s->mu);
	d = hk_strmap_get(s->sads, hex, 64);
	if (d == NULL || d->left == 0 ||
	    strcmp(d->g.credential, q->cred) != 0 ||
	    strcmp(d->g.signer, q->signer) != 0 ||
	    sodium_memcmp(d->g.session, q->session, 32) != 0) {
		/* Another session of the same signer included (ACT-4). */
		why = "Invalid parameter SAD";
		goto out;
	}
	if (d->g.expires_ms <= now_ms()) {
		/* Left for the sweep: it keeps saying so. */
		d = NULL;
		why = "SAD expired";
		goto out;
	}
	if (strcmp(d->g.hash_oid, q->hash_oid) != 0) {
		why = "Invalid parameter hashAlgorithmOID";
		goto out;
	}
	if (q->n > d->left) {
		why = "Numbers of signatures is too high";
		goto out;
	}
	for (i = 0; i < q->n; i++) {
		for (k = 0; k < d->g.nhashes; k++)
			if (!d->used[k] &&
			    sodium_memcmp(d->g.hashes[k], q->slots[i].hash,
				q->hlen) == 0)
				break;
		if (k == d->g.nhashes) {
			why = "Hash is not authorized by the SAD.";
			goto out;
		}
		idx[i] = k;
		d->used[k] = true; /* also catches a hash given twice */
	}
	d->left -= q->n;
	memcpy(q->sad_id, d->id, 32);
	if (d->left == 0)
		sad_free(hk_strmap_del(s->sads, hex, 64));
	else
		d = NULL;
	s->inflight++;
out:
	if (why != NULL && d != NULL)
		/* Give back what this request marked. */
		for (k = 0; k < i && k < q->n; k++)
			d->used[idx[k]] = false;
	pthread_mutex_unlock(&s->mu);
	free(idx);
	return why;
}

/** hk_sam_sign_hash(s, req): start signHash. */
int
hk_sam_sign_hash(struct hk_sam *s, const struct hk_ipc_msg *m)
{
	struct hk_bytes cid = {0}, sad = {0}, sign = {0}, hoid = {0},
			params = {0}, cd = {0}, v;
	struct hk_mpk_reader r;
	struct hk_cred_info ci;
	struct req *q = NULL;
	char signer[HK_STATE_ID_MAX];
	uint8_t session[32];
	const char *why;
	uint32_t n, i;
	bool has_hoid;
	size_t k;

	if (atomic_load(&s->failed) || ledger_failure(s->o.ledger) != NULL) {
		unavailable(s, m->id);
		return 0;
	}
	if (hk_sam_session(s, m->ctx.authorization.p, m->ctx.authorization.n,
		signer, session) != 0) {
		answer(s, m->id, 401, "invalid_token",
		    "Invalid or expired access token");
		return 0;
	}
	if (get_str(m->body, 1, &cid) != 0 || cid.n == 0 ||
	    cid.n >= HK_STATE_ID_MAX) {
		BAD(s, m->id, "Missing (or invalid type) string parameter "
			      "credentialID");
		return 0;
	}
	if (get_str(m->body, 2, &sad) != 0) {
		BAD(s, m->id, "Missing (or invalid type) string parameter SAD");
		return 0;
	}
	if (get_str(m->body, 5, &sign) != 0 || sign.n == 0 || sign.n > 39) {
		BAD(s, m->id, "Missing (or invalid type) string parameter "
			      "signAlgo");
		return 0;
	}
	has_hoid = get_str(m->body, 4, &hoid) == 0;
	if (hk_event_body_value(m->body, 6, &v) == 0) {
		hk_mpk_reader_init(&r, v.p, v.n);
		if (hk_mpk_get_bin(&r, &params) != 0) {
			BAD(s, m->id, "Invalid parameter signAlgoParams");
			return 0;
		}
	}
	if (get_str(m->body, 7, &cd) == 0 && cd.n > CLIENT_DATA_MAX) {
		BAD(s, m->id, "Invalid parameter clientData");
		return 0;
	}
	if (hk_event_body_value(m->body, 3, &v) != 0 ||
	    (hk_mpk_reader_init(&r, v.p, v.n), hk_mpk_get_array(&r, &n)) != 0) {
		BAD(s, m->id, "Missing (or invalid type) array parameter "
			      "hashes");
		return 0;
	}
	if (n == 0 || n > HK_SAM_MULTISIGN) {
		BAD(s, m->id, n == 0 ? "Empty hash array" :
				       "Numbers of signatures is too high");
		return 0;
	}
	if ((q = calloc(1, sizeof(*q) + n * sizeof(struct slot))) == NULL)
		return HK_ENOMEM;
	q->s = s;
	q->id = m->id;
	q->n = n;
	copy_str(q->cred, sizeof(q->cred), m, cid);
	snprintf(q->signer, sizeof(q->signer), "%s", signer);
	copy_str(q->peer, sizeof(q->peer), m, m->ctx.peer);
	copy_str(q->tls, sizeof(q->tls), m, m->ctx.tls);
	copy_str(q->client_data, sizeof(q->client_data), m, cd);
	memcpy(q->session, session, 32);
	if (hk_state_cred(s->o.state, q->cred, strlen(q->cred), &ci) != 0) {
		BAD(s, m->id, "Invalid parameter credentialID");
		goto refuse;
	}
	if ((why = cred_refusal(NULL, &ci, signer)) != NULL) {
		BAD(s, m->id, why);
		goto refuse;
	}
	memcpy(q->key_id, ci.key.id, 16);
	memcpy(q->key_fp, ci.key.fp, 32);
	if ((why = algorithms(q, &ci, sign, hoid, has_hoid, params)) != NULL) {
		BAD(s, m->id, why);
		goto refuse;
	}
	for (i = 0; i < n; i++) {
		struct hk_bytes h;

		if (hk_mpk_get_bin(&r, &h) != 0) {
			BAD(s, m->id, "Invalid Base64 hash string parameter");
			goto refuse;
		}
		if (h.n != q->hlen) {
			BAD(s, m->id, "Invalid digest value length");
			goto refuse;
		}
		memcpy(q->slots[i].hash, h.p, h.n);
		q->slots[i].q = q;
	}
	if (duplicates(q)) {
		BAD(s, m->id, "Duplicate hash");
		goto refuse;
	}
	if ((why = take(s, q, sad)) != NULL) {
		if (why[0] == '\0') {
			free(q);
			return HK_ENOMEM;
		}
		BAD(s, m->id, why);
		goto refuse;
	}
	/* From here the request is in flight: it ends in finish(). */
	atomic_store(&q->pending, n);
	for (k = 0; k < n; k++) {
		int e = hsm_key_sign_submit(s->o.pool, q->key_id, q->scheme,
		    q->hash, q->slots[k].hash, q->hlen, sign_cb, &q->slots[k]);

		if (e != 0) {
			/* Never called back: count it as failed here. */
			q->slots[k].result = e;
			if (atomic_fetch_sub(&q->pending, 1) == 1)
				signed_all(q);
		}
	}
	return 0;
refuse:
	sodium_memzero(q, sizeof(*q) + n * sizeof(struct slot));
	free(q);
	return 0;
}
