/* SPDX-License-Identifier: Apache-2.0 */
/*
 * audit: offline verification of audit bundles and signature receipts,
 * and the replay of the signing rules over events (see audit.h and
 * docs/audit.md). SIG-6, OPS-4, OPS-6.
 */
#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <jansson.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>

#include "core/audit.h"
#include "core/audit_internal.h"
#include "core/codec.h"
#include "core/event_json.h"
#include "core/mpk.h"
#include "core/sha256.h"
#include "core/strmap.h"
#include "ledger/ledger_receipt.h"
#include "ledger/ledger_tiles.h"

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
#define OID_ED25519 "1.3.101.112"

#define ID_MAX 64
#define OID_MAX 64
#define HASH_MAX 64

/* Record the first violation in ${rep} and return HK_EVERIFY. */
static int
violation(struct hk_audit_report *rep, bool has_seq, uint64_t seq,
    const char *fmt, ...) __attribute__((format(printf, 4, 5)));

static int
violation(struct hk_audit_report *rep, bool has_seq, uint64_t seq,
    const char *fmt, ...)
{
	va_list ap;

	rep->has_seq = has_seq;
	rep->seq = seq;
	va_start(ap, fmt);
	vsnprintf(rep->msg, sizeof(rep->msg), fmt, ap);
	va_end(ap);
	return HK_EVERIFY;
}

/* ---- signature values ---------------------------------------------------- */

static const EVP_MD *
md_of(const char *oid)
{
	if (strcmp(oid, OID_SHA256) == 0)
		return EVP_sha256();
	if (strcmp(oid, OID_SHA384) == 0)
		return EVP_sha384();
	if (strcmp(oid, OID_SHA512) == 0)
		return EVP_sha512();
	return NULL;
}

/* The hash a signAlgo OID names, "" for one that names none, NULL for an
 * unknown one; ${kind} receives the key type it needs. */
static const char *
sign_hash_of(const char *oid, int *kind)
{
	static const struct {
		const char *oid, *hash;
		int kind;
	} t[] = {
		{OID_ECDSA_SHA256, OID_SHA256, EVP_PKEY_EC},
		{OID_ECDSA_SHA384, OID_SHA384, EVP_PKEY_EC},
		{OID_ECDSA_SHA512, OID_SHA512, EVP_PKEY_EC},
		{OID_EC_PUBKEY, "", EVP_PKEY_EC},
		{OID_RSA_SHA256, OID_SHA256, EVP_PKEY_RSA},
		{OID_RSA_SHA384, OID_SHA384, EVP_PKEY_RSA},
		{OID_RSA_SHA512, OID_SHA512, EVP_PKEY_RSA},
		{OID_RSA, "", EVP_PKEY_RSA},
		{OID_RSA_PSS, "", EVP_PKEY_RSA},
		{OID_ED25519, "", EVP_PKEY_ED25519},
	};
	size_t i;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++)
		if (strcmp(oid, t[i].oid) == 0) {
			*kind = t[i].kind;
			return t[i].hash;
		}
	return NULL;
}

/** hk_audit_sig_verify(spki, spkilen, sign_oid, hash_oid, hash, hlen, sig,
 * siglen, why): verify a signature value under a SubjectPublicKeyInfo. */
int
hk_audit_sig_verify(const uint8_t *spki, size_t spkilen, const char *sign_oid,
    const char *hash_oid, const uint8_t *hash, size_t hlen, const uint8_t *sig,
    size_t siglen, const char **why)
{
	const unsigned char *p = spki;
	EVP_PKEY *pk = NULL;
	EVP_PKEY_CTX *ctx = NULL;
	EVP_MD_CTX *mctx = NULL;
	const EVP_MD *md;
	const char *named;
	int kind = 0, r = HK_EVERIFY;

	*why = NULL;
	if ((md = md_of(hash_oid)) == NULL) {
		*why = "unknown hash algorithm";
		return HK_EVERIFY;
	}
	if ((size_t)EVP_MD_get_size(md) != hlen) {
		*why = "the hash has the wrong length for its algorithm";
		return HK_EVERIFY;
	}
	if ((named = sign_hash_of(sign_oid, &kind)) == NULL) {
		*why = "unknown signature algorithm";
		return HK_EVERIFY;
	}
	if (named[0] != '\0' && strcmp(named, hash_oid) != 0) {
		*why = "the signature algorithm names another hash";
		return HK_EVERIFY;
	}
	if ((pk = d2i_PUBKEY(NULL, &p, (long)spkilen)) == NULL ||
	    p != spki + spkilen) {
		*why = "the key's SPKI does not parse";
		goto out;
	}
	if (EVP_PKEY_get_base_id(pk) != kind) {
		*why = "the signature algorithm does not fit the key";
		goto out;
	}
	if (kind == EVP_PKEY_ED25519) {
		if ((mctx = EVP_MD_CTX_new()) == NULL) {
			r = HK_ENOMEM;
			goto out;
		}
		if (EVP_DigestVerifyInit(mctx, NULL, NULL, NULL, pk) == 1 &&
		    EVP_DigestVerify(mctx, sig, siglen, hash, hlen) == 1)
			r = 0;
		goto out;
	}
	if ((ctx = EVP_PKEY_CTX_new(pk, NULL)) == NULL) {
		r = HK_ENOMEM;
		goto out;
	}
	if (EVP_PKEY_verify_init(ctx) != 1)
		goto out;
	if (kind == EVP_PKEY_RSA) {
		if (strcmp(sign_oid, OID_RSA_PSS) == 0) {
			if (EVP_PKEY_CTX_set_rsa_padding(ctx,
				RSA_PKCS1_PSS_PADDING) != 1 ||
			    EVP_PKEY_CTX_set_signature_md(ctx, md) != 1 ||
			    EVP_PKEY_CTX_set_rsa_mgf1_md(ctx, md) != 1 ||
			    EVP_PKEY_CTX_set_rsa_pss_saltlen(ctx,
				RSA_PSS_SALTLEN_DIGEST) != 1)
				goto out;
		} else if (EVP_PKEY_CTX_set_rsa_padding(ctx,
			       RSA_PKCS1_PADDING) != 1 ||
		    EVP_PKEY_CTX_set_signature_md(ctx, md) != 1) {
			goto out;
		}
	}
	if (EVP_PKEY_verify(ctx, sig, siglen, hash, hlen) == 1)
		r = 0;
out:
	if (r == HK_EVERIFY && *why == NULL)
		*why = "the signature value does not verify over the hash "
		       "under the key";
	ERR_clear_error();
	EVP_MD_CTX_free(mctx);
	EVP_PKEY_CTX_free(ctx);
	EVP_PKEY_free(pk);
	return r;
}

/* ---- event bodies ---------------------------------------------------------- */

static int
body_bin(struct hk_bytes body, uint64_t key, struct hk_bytes *out)
{
	struct hk_mpk_reader r;
	struct hk_bytes v;
	int e;

	if ((e = hk_event_body_value(body, key, &v)) != 0)
		return e;
	hk_mpk_reader_init(&r, v.p, v.n);
	return hk_mpk_get_bin(&r, out);
}

/* A bin of exactly ${n} bytes into ${out}. */
static int
body_fixed(struct hk_bytes body, uint64_t key, uint8_t *out, size_t n)
{
	struct hk_bytes b;

	if (body_bin(body, key, &b) != 0 || b.n != n)
		return HK_ENOTFOUND;
	memcpy(out, b.p, n);
	return 0;
}

static int
body_uint(struct hk_bytes body, uint64_t key, uint64_t *out)
{
	struct hk_mpk_reader r;
	struct hk_bytes v;
	int e;

	if ((e = hk_event_body_value(body, key, &v)) != 0)
		return e;
	hk_mpk_reader_init(&r, v.p, v.n);
	return hk_mpk_get_uint(&r, out);
}

static bool
body_true(struct hk_bytes body, uint64_t key)
{
	struct hk_mpk_reader r;
	struct hk_bytes v;
	bool b = false;

	if (hk_event_body_value(body, key, &v) != 0)
		return false;
	hk_mpk_reader_init(&r, v.p, v.n);
	return hk_mpk_get_bool(&r, &b) == 0 && b;
}

/* A str at ${key} as a C string of at most ${max}-1 bytes. */
static int
body_cstr(struct hk_bytes body, uint64_t key, char *out, size_t max)
{
	struct hk_bytes s;

	if (hk_event_body_str(body, key, &s) != 0 || s.n >= max)
		return HK_ENOTFOUND;
	memcpy(out, s.p, s.n);
	out[s.n] = '\0';
	return 0;
}

static void
hexs(char *out, const uint8_t *p, size_t n, size_t max)
{
	if (n > max)
		n = max;
	hk_hex_encode(out, p, n);
}

/* ---- the rules ------------------------------------------------------------ */

enum cstate { C_CREATED = 1, C_KEY, C_ACTIVE, C_SUSPENDED, C_DESTROYED };

static const char *
cstate_name(enum cstate s)
{
	switch (s) {
	case C_CREATED: return "created, without a key";
	case C_KEY: return "awaiting its certificate";
	case C_ACTIVE: return "active";
	case C_SUSPENDED: return "suspended";
	case C_DESTROYED: return "destroyed";
	}
	return "?";
}

struct akey {
	bool present;
	uint8_t id[16];
	uint8_t fp[32];
	uint8_t *spki;
	size_t spkilen;
};

struct abound {
	uint8_t fp[32];
	uint8_t *spki;
	size_t spkilen;
	struct abound *next;
};

struct acred {
	char signer[ID_MAX];
	enum cstate state;
	bool locked;
	struct akey key, pending;
	uint8_t retired[16];
	bool has_retired;
	struct abound *certs;
};

struct asad {
	char cred[ID_MAX];
	char hash_oid[OID_MAX];
	uint32_t n;
	uint8_t (*hashes)[HASH_MAX];
	size_t *lens;
	bool *used;
	uint64_t num, count;
	bool replaced;
	uint64_t replaced_seq;
	struct asad *by;        /* the extension that replaced it */
};

struct hk_audit_rules {
	bool partial;
	struct hk_strmap *creds;   /* id -> struct acred */
	struct hk_strmap *sads;    /* hex SAD id -> struct asad */
	struct hk_strmap *erased;  /* signer id -> (void *)1 */
};

static void
akey_clear(struct akey *k)
{
	free(k->spki);
	memset(k, 0, sizeof(*k));
}

static void
acred_free(void *p)
{
	struct acred *c = p;
	struct abound *b, *nb;

	if (c == NULL)
		return;
	akey_clear(&c->key);
	akey_clear(&c->pending);
	for (b = c->certs; b != NULL; b = nb) {
		nb = b->next;
		free(b->spki);
		free(b);
	}
	free(c);
}

static void
asad_free(void *p)
{
	struct asad *s = p;

	if (s == NULL)
		return;
	free(s->hashes);
	free(s->lens);
	free(s->used);
	free(s);
}

/** hk_audit_rules_new(partial): an empty replay. */
struct hk_audit_rules *
hk_audit_rules_new(bool partial)
{
	struct hk_audit_rules *rl;

	if ((rl = calloc(1, sizeof(*rl))) == NULL)
		return NULL;
	rl->partial = partial;
	if ((rl->creds = hk_strmap_new()) == NULL ||
	    (rl->sads = hk_strmap_new()) == NULL ||
	    (rl->erased = hk_strmap_new()) == NULL) {
		hk_audit_rules_free(rl);
		return NULL;
	}
	return rl;
}

/** hk_audit_rules_free(rl): accepts NULL. */
void
hk_audit_rules_free(struct hk_audit_rules *rl)
{
	if (rl == NULL)
		return;
	hk_strmap_free(rl->creds, acred_free);
	hk_strmap_free(rl->sads, asad_free);
	hk_strmap_free(rl->erased, NULL);
	free(rl);
}

/* The key in a key.generated / key.imported body; its SPKI must hash to
 * the fingerprint the event states. */
static int
key_of(const struct hk_event *ev, struct akey *k, struct hk_audit_report *rep)
{
	struct hk_bytes spki;
	uint8_t fp[32];

	memset(k, 0, sizeof(*k));
	if (body_fixed(ev->body, HK_BODY_KEY_ID, k->id, 16) != 0 ||
	    body_fixed(ev->body, HK_BODY_KEY_FINGERPRINT, k->fp, 32) != 0 ||
	    body_bin(ev->body, HK_BODY_KEY_SPKI, &spki) != 0 || spki.n == 0)
		return violation(rep, true, ev->seq, "%s without its key id, "
		    "SPKI SHA-256 or SPKI", hk_event_type_name(ev->type));
	{
		EVP_MD_CTX *m = EVP_MD_CTX_new();
		unsigned int n = 0;
		int ok = m != NULL && EVP_DigestInit_ex(m, EVP_sha256(), NULL) ==
		    1 && EVP_DigestUpdate(m, spki.p, spki.n) == 1 &&
		    EVP_DigestFinal_ex(m, fp, &n) == 1;

		EVP_MD_CTX_free(m);
		if (!ok)
			return HK_ECRYPTO;
	}
	if (memcmp(fp, k->fp, 32) != 0)
		return violation(rep, true, ev->seq, "%s: the SPKI SHA-256 in "
		    "the event is not the SHA-256 of its SPKI",
		    hk_event_type_name(ev->type));
	if ((k->spki = malloc(spki.n)) == NULL)
		return HK_ENOMEM;
	memcpy(k->spki, spki.p, spki.n);
	k->spkilen = spki.n;
	k->present = true;
	return 0;
}

static int
sad_hex(struct hk_bytes body, uint64_t key, char hex[65])
{
	uint8_t id[32];

	if (body_fixed(body, key, id, 32) != 0)
		return HK_ENOTFOUND;
	hk_hex_encode(hex, id, 32);
	return 0;
}

static int
rule_grant(struct hk_audit_rules *rl, const struct hk_event *ev,
    struct acred *c, const char *cid, struct hk_audit_report *rep)
{
	struct hk_mpk_reader r;
	struct hk_bytes v, h;
	struct asad *s = NULL, *old;
	char hex[65], ext[65];
	uint32_t n, i;
	int e;

	rep->authorizations++;
	if (c->state != C_ACTIVE)
		return violation(rep, true, ev->seq, "authorization.granted for "
		    "credential %s while it is %s", cid, cstate_name(c->state));
	if (c->locked)
		return violation(rep, true, ev->seq, "authorization.granted for "
		    "credential %s while it is locked", cid);
	if (sad_hex(ev->body, HK_BODY_AUTH_SAD_ID, hex) != 0)
		return violation(rep, true, ev->seq, "authorization.granted "
		    "without a SAD id");
	if (hk_strmap_get(rl->sads, hex, 64) != NULL)
		return violation(rep, true, ev->seq, "SAD id %.16s... granted "
		    "twice", hex);
	if ((s = calloc(1, sizeof(*s))) == NULL)
		return HK_ENOMEM;
	snprintf(s->cred, sizeof(s->cred), "%s", cid);
	if (body_cstr(ev->body, HK_BODY_AUTH_HASH_ALG, s->hash_oid,
		sizeof(s->hash_oid)) != 0 ||
	    body_uint(ev->body, HK_BODY_AUTH_NUM, &s->num) != 0 ||
	    hk_event_body_value(ev->body, HK_BODY_AUTH_HASHES, &v) != 0) {
		asad_free(s);
		return violation(rep, true, ev->seq, "authorization.granted "
		    "without its hash algorithm, numSignatures or hashes");
	}
	hk_mpk_reader_init(&r, v.p, v.n);
	if (hk_mpk_get_array(&r, &n) != 0 || n == 0 || n > 4096) {
		asad_free(s);
		return violation(rep, true, ev->seq, "authorization.granted: "
		    "hashes is not a non-empty array");
	}
	s->n = n;
	if ((s->hashes = calloc(n, HASH_MAX)) == NULL ||
	    (s->lens = calloc(n, sizeof(size_t))) == NULL ||
	    (s->used = calloc(n, sizeof(bool))) == NULL) {
		asad_free(s);
		return HK_ENOMEM;
	}
	for (i = 0; i < n; i++) {
		if (hk_mpk_get_bin(&r, &h) != 0 || h.n == 0 || h.n > HASH_MAX) {
			asad_free(s);
			return violation(rep, true, ev->seq,
			    "authorization.granted: a hash is not a bin of 1 to "
			    "64 bytes");
		}
		memcpy(s->hashes[i], h.p, h.n);
		s->lens[i] = h.n;
	}
	if (sad_hex(ev->body, HK_BODY_AUTH_EXTENDS, ext) == 0) {
		old = hk_strmap_get(rl->sads, ext, 64);
		if (old == NULL && !rl->partial) {
			asad_free(s);
			return violation(rep, true, ev->seq, "authorization.granted "
			    "extends SAD %.16s..., which was never granted", ext);
		}
		if (old != NULL && strcmp(old->cred, cid) != 0) {
			asad_free(s);
			return violation(rep, true, ev->seq, "authorization.granted "
			    "extends SAD %.16s... of another credential (%s)", ext,
			    old->cred);
		}
		if (old != NULL) {
			old->replaced = true;
			old->replaced_seq = ev->seq;
			old->by = s;
		}
	}
	if ((e = hk_strmap_put(rl->sads, hex, 64, s)) != 0) {
		asad_free(s);
		return e;
	}
	return 0;
}

static int
rule_signature(struct hk_audit_rules *rl, const struct hk_event *ev,
    struct acred *c, const char *cid, struct hk_audit_report *rep)
{
	struct hk_bytes hash, sig;
	struct asad *s;
	char hex[65], hoid[OID_MAX], soid[OID_MAX], hh[2 * HASH_MAX + 1];
	uint8_t kid[16], kfp[32];
	const char *why;
	uint32_t i;
	int e;

	rep->signatures++;
	if (c->state != C_ACTIVE)
		return violation(rep, true, ev->seq, "signature by credential %s "
		    "while it is %s", cid, cstate_name(c->state));
	if (c->locked)
		return violation(rep, true, ev->seq, "signature by credential %s "
		    "while it is locked", cid);
	if (sad_hex(ev->body, HK_BODY_SIG_SAD_ID, hex) != 0 ||
	    body_fixed(ev->body, HK_BODY_SIG_KEY_FP, kfp, 32) != 0 ||
	    body_fixed(ev->body, HK_BODY_SIG_KEY_ID, kid, 16) != 0 ||
	    body_cstr(ev->body, HK_BODY_SIG_HASH_ALG, hoid, sizeof(hoid)) != 0 ||
	    body_cstr(ev->body, HK_BODY_SIG_ALG, soid, sizeof(soid)) != 0 ||
	    body_bin(ev->body, HK_BODY_SIG_HASH, &hash) != 0 ||
	    body_bin(ev->body, HK_BODY_SIG_VALUE, &sig) != 0)
		return violation(rep, true, ev->seq, "signature.created without "
		    "its SAD id, key, algorithms, hash or value");
	if ((s = hk_strmap_get(rl->sads, hex, 64)) == NULL) {
		if (rl->partial) {
			rep->unchecked++;
			rep->signatures--;
			return 0;
		}
		return violation(rep, true, ev->seq, "signature.created with SAD "
		    "id %.16s... but no authorization.granted has that SAD id",
		    hex);
	}
	if (strcmp(s->cred, cid) != 0)
		return violation(rep, true, ev->seq, "signature.created by "
		    "credential %s with SAD %.16s..., which was granted to "
		    "credential %s", cid, hex, s->cred);
	/* An extension re-grants the hashes not yet taken. A signature
	 * request that took its hashes before the extension may commit after
	 * it, so only a hash the extension re-granted is refused. */
	if (s->replaced && s->by != NULL)
		for (i = 0; i < s->by->n; i++)
			if (s->by->lens[i] == hash.n &&
			    memcmp(s->by->hashes[i], hash.p, hash.n) == 0)
				return violation(rep, true, ev->seq,
				    "signature.created with SAD %.16s..., which an "
				    "extension at seq %" PRIu64 " replaced for "
				    "this hash", hex, s->replaced_seq);
	if (strcmp(s->hash_oid, hoid) != 0)
		return violation(rep, true, ev->seq, "signature.created: hash "
		    "algorithm %s, but SAD %.16s... authorised %s", hoid, hex,
		    s->hash_oid);
	if (s->count >= s->num || s->count >= s->n)
		return violation(rep, true, ev->seq, "signature.created exceeds "
		    "the count of SAD %.16s... (numSignatures %" PRIu64 ", %u "
		    "hashes, already %" PRIu64 " signatures)", hex, s->num, s->n,
		    s->count);
	for (i = 0; i < s->n; i++)
		if (!s->used[i] && s->lens[i] == hash.n &&
		    memcmp(s->hashes[i], hash.p, hash.n) == 0)
			break;
	if (i == s->n) {
		hexs(hh, hash.p, hash.n, HASH_MAX);
		return violation(rep, true, ev->seq, "signature.created over hash "
		    "%s, which SAD %.16s... does not authorise (or which it "
		    "already signed)", hh, hex);
	}
	s->used[i] = true;
	s->count++;
	if (!c->key.present || memcmp(kid, c->key.id, 16) != 0 ||
	    memcmp(kfp, c->key.fp, 32) != 0)
		return violation(rep, true, ev->seq, "signature.created by a key "
		    "(CKA_ID / SPKI SHA-256) that is not the key bound to "
		    "credential %s", cid);
	if ((e = hk_audit_sig_verify(c->key.spki, c->key.spkilen, soid, hoid,
		 hash.p, hash.n, sig.p, sig.n, &why)) != 0) {
		if (e != HK_EVERIFY)
			return e;
		return violation(rep, true, ev->seq, "signature.created: %s "
		    "(credential %s, signAlgo %s)", why, cid, soid);
	}
	return 0;
}

static int
rule_bound(struct hk_audit_rules *rl, const struct hk_event *ev,
    struct acred *c, const char *cid, struct hk_audit_report *rep)
{
	struct abound *b;
	uint8_t kid[16], fp[32];
	struct akey *k;

	(void)rl;
	if (body_fixed(ev->body, HK_BODY_CERT_KEY_ID, kid, 16) != 0 ||
	    body_fixed(ev->body, HK_BODY_CERT_FINGERPRINT, fp, 32) != 0)
		return violation(rep, true, ev->seq, "certificate.bound without "
		    "its key id or certificate SHA-256");
	if (c->pending.present && memcmp(kid, c->pending.id, 16) == 0) {
		memcpy(c->retired, c->key.id, 16);
		c->has_retired = true;
		akey_clear(&c->key);
		c->key = c->pending;
		memset(&c->pending, 0, sizeof(c->pending));
	} else if (c->state == C_KEY && memcmp(kid, c->key.id, 16) == 0) {
		c->state = C_ACTIVE;
	} else {
		return violation(rep, true, ev->seq, "certificate.bound for a key "
		    "that is not the key of credential %s awaiting a "
		    "certificate", cid);
	}
	k = &c->key;
	if ((b = calloc(1, sizeof(*b))) == NULL ||
	    (b->spki = malloc(k->spkilen)) == NULL) {
		free(b);
		return HK_ENOMEM;
	}
	memcpy(b->fp, fp, 32);
	memcpy(b->spki, k->spki, k->spkilen);
	b->spkilen = k->spkilen;
	b->next = c->certs;
	c->certs = b;
	return 0;
}

/* A credential event's transition (everything but grants, signatures
 * and certificates). */
static int
rule_cred(const struct hk_event *ev, struct acred *c, const char *cid,
    struct hk_audit_report *rep)
{
	struct akey k;
	uint8_t kid[16];
	int e;

	switch (ev->type) {
	case HK_EV_KEY_GENERATED:
	case HK_EV_KEY_IMPORTED:
		if ((e = key_of(ev, &k, rep)) != 0)
			return e;
		if (body_true(ev->body, HK_BODY_KEY_RENEWAL)) {
			if ((c->state != C_ACTIVE && c->state != C_SUSPENDED) ||
			    c->pending.present) {
				akey_clear(&k);
				return violation(rep, true, ev->seq, "renewal key "
				    "for credential %s while it is %s%s", cid,
				    cstate_name(c->state), c->pending.present ?
				    " with a renewal under way" : "");
			}
			c->pending = k;
		} else {
			if (c->state != C_CREATED) {
				akey_clear(&k);
				return violation(rep, true, ev->seq, "a second key "
				    "for credential %s (it is %s)", cid,
				    cstate_name(c->state));
			}
			c->key = k;
			c->state = C_KEY;
		}
		return 0;
	case HK_EV_SUSPENDED:
		if (c->state != C_ACTIVE)
			return violation(rep, true, ev->seq, "credential.suspended "
			    "for credential %s while it is %s", cid,
			    cstate_name(c->state));
		c->state = C_SUSPENDED;
		return 0;
	case HK_EV_RESUMED:
		if (c->state != C_SUSPENDED)
			return violation(rep, true, ev->seq, "credential.resumed "
			    "for credential %s while it is %s", cid,
			    cstate_name(c->state));
		c->state = C_ACTIVE;
		return 0;
	case HK_EV_KEY_DESTROYED:
		if (body_fixed(ev->body, HK_BODY_DESTROY_KEY_ID, kid, 16) == 0 &&
		    c->has_retired && memcmp(kid, c->retired, 16) == 0) {
			c->has_retired = false;
			return 0;
		}
		c->state = C_DESTROYED;
		akey_clear(&c->pending);
		return 0;
	case HK_EV_CREDENTIAL_LOCKED:
		c->locked = true;
		return 0;
	case HK_EV_CREDENTIAL_UNLOCKED:
		c->locked = false;
		return 0;
	}
	return 0;
}

static bool
is_cred_event(uint64_t type)
{
	switch (type) {
	case HK_EV_KEY_GENERATED:
	case HK_EV_KEY_IMPORTED:
	case HK_EV_CERT_BOUND:
	case HK_EV_AUTH_GRANTED:
	case HK_EV_SIGNATURE_CREATED:
	case HK_EV_SUSPENDED:
	case HK_EV_RESUMED:
	case HK_EV_KEY_DESTROYED:
	case HK_EV_CREDENTIAL_LOCKED:
	case HK_EV_CREDENTIAL_UNLOCKED:
		return true;
	}
	return false;
}

static int
id_of(struct hk_bytes b, char out[ID_MAX])
{
	if (b.n == 0 || b.n >= ID_MAX)
		return HK_EINVAL;
	memcpy(out, b.p, b.n);
	out[b.n] = '\0';
	return 0;
}

/** hk_audit_rules_apply(rl, ev, rep): apply one event. */
int
hk_audit_rules_apply(struct hk_audit_rules *rl, const struct hk_event *ev,
    struct hk_audit_report *rep)
{
	struct acred *c;
	char cid[ID_MAX], sid[ID_MAX];
	int e;

	switch (ev->type) {
	case HK_EV_SIGNER_REGISTERED:
		rep->signers++;
		return 0;
	case HK_EV_SIGNER_ERASED:
		if (id_of(ev->signer, sid) != 0)
			return violation(rep, true, ev->seq, "signer.erased "
			    "without a signer");
		return hk_strmap_put(rl->erased, sid, strlen(sid), (void *)1);
	case HK_EV_CREDENTIAL_CREATED:
		if (id_of(ev->credential, cid) != 0 ||
		    id_of(ev->signer, sid) != 0)
			return violation(rep, true, ev->seq, "credential.created "
			    "without a signer and credential id");
		if (hk_strmap_get(rl->creds, cid, strlen(cid)) != NULL)
			return violation(rep, true, ev->seq, "credential %s "
			    "created twice", cid);
		if ((c = calloc(1, sizeof(*c))) == NULL)
			return HK_ENOMEM;
		snprintf(c->signer, sizeof(c->signer), "%s", sid);
		c->state = C_CREATED;
		if ((e = hk_strmap_put(rl->creds, cid, strlen(cid), c)) != 0) {
			free(c);
			return e;
		}
		rep->credentials++;
		return 0;
	}
	if (!is_cred_event(ev->type))
		return 0;
	if (id_of(ev->credential, cid) != 0)
		return violation(rep, true, ev->seq, "%s without a credential id",
		    hk_event_type_name(ev->type));
	if ((c = hk_strmap_get(rl->creds, cid, strlen(cid))) == NULL) {
		if (rl->partial) {
			rep->unchecked++;
			return 0;
		}
		if (ev->type == HK_EV_SIGNATURE_CREATED)
			rep->signatures++;
		return violation(rep, true, ev->seq, "%s for credential %s, "
		    "which was never created", hk_event_type_name(ev->type), cid);
	}
	if (ev->signer.n != strlen(c->signer) ||
	    memcmp(ev->signer.p, c->signer, ev->signer.n) != 0)
		return violation(rep, true, ev->seq, "%s names signer %.*s, but "
		    "credential %s belongs to %s", hk_event_type_name(ev->type),
		    (int)ev->signer.n, (const char *)ev->signer.p, cid,
		    c->signer);
	switch (ev->type) {
	case HK_EV_AUTH_GRANTED:
		return rule_grant(rl, ev, c, cid, rep);
	case HK_EV_SIGNATURE_CREATED:
		return rule_signature(rl, ev, c, cid, rep);
	case HK_EV_CERT_BOUND:
		return rule_bound(rl, ev, c, cid, rep);
	}
	return rule_cred(ev, c, cid, rep);
}

/** hk_audit_rules_cert_check(rl, cid, der, derlen, rep): a bundled leaf. */
int
hk_audit_rules_cert_check(struct hk_audit_rules *rl, const char *cid,
    const uint8_t *der, size_t derlen, struct hk_audit_report *rep)
{
	const unsigned char *p = der;
	struct acred *c;
	struct abound *b;
	X509 *x = NULL;
	unsigned char *spki = NULL;
	uint8_t fp[32];
	unsigned int n = 0;
	int len, r;

	if ((c = hk_strmap_get(rl->creds, cid, strlen(cid))) == NULL)
		return violation(rep, false, 0, "certificate of credential %s: "
		    "no such credential in the ledger", cid);
	if (EVP_Digest(der, derlen, fp, &n, EVP_sha256(), NULL) != 1)
		return HK_ECRYPTO;
	for (b = c->certs; b != NULL; b = b->next)
		if (memcmp(b->fp, fp, 32) == 0)
			break;
	if (b == NULL)
		return violation(rep, false, 0, "certificate of credential %s: "
		    "its SHA-256 matches no certificate.bound of that "
		    "credential", cid);
	if ((x = d2i_X509(NULL, &p, (long)derlen)) == NULL ||
	    (len = i2d_PUBKEY(X509_get0_pubkey(x), &spki)) <= 0) {
		r = violation(rep, false, 0, "certificate of credential %s: "
		    "does not parse", cid);
		goto out;
	}
	if ((size_t)len != b->spkilen || memcmp(spki, b->spki, b->spkilen) != 0)
		r = violation(rep, false, 0, "certificate of credential %s: its "
		    "public key is not the key certificate.bound bound", cid);
	else
		r = 0;
out:
	ERR_clear_error();
	OPENSSL_free(spki);
	X509_free(x);
	return r;
}

/** hk_audit_rules_known(rl, cid): whether the replay saw ${cid} created. */
bool
hk_audit_rules_known(const struct hk_audit_rules *rl, const char *cid)
{
	return hk_strmap_get(rl->creds, cid, strlen(cid)) != NULL;
}

struct bound_walk {
	const struct hk_audit_rules *rl;
	hk_audit_bound_cb cb;
	void *arg;
};

static int
bound_one(void *arg, const char *key, size_t n, void *value)
{
	struct bound_walk *w = arg;
	struct acred *c = value;
	char cid[ID_MAX];

	if (c->certs == NULL || n >= ID_MAX)
		return 0;
	memcpy(cid, key, n);
	cid[n] = '\0';
	return w->cb(w->arg, cid, c->signer,
	    hk_strmap_get(w->rl->erased, c->signer, strlen(c->signer)) != NULL);
}

/** hk_audit_rules_bound(rl, cb, arg): credentials with a certificate. */
int
hk_audit_rules_bound(const struct hk_audit_rules *rl, hk_audit_bound_cb cb,
    void *arg)
{
	struct bound_walk w = {rl, cb, arg};

	return hk_strmap_foreach(rl->creds, bound_one, &w);
}

/* ---- manifest and JSON lines --------------------------------------------- */

#define MANIFEST_FLAGS (JSON_INDENT(1) | JSON_SORT_KEYS)

static int
sha256_hex(const void *p, size_t n, char hex[65])
{
	uint8_t d[32];
	unsigned int len = 0;

	if (EVP_Digest(p, n, d, &len, EVP_sha256(), NULL) != 1)
		return HK_ECRYPTO;
	hk_hex_encode(hex, d, 32);
	return 0;
}

/* The digest of ${m} without its "digest" member. */
static int
manifest_digest(const json_t *m, char hex[65])
{
	json_t *c;
	char *s;
	int r;

	if ((c = json_deep_copy(m)) == NULL)
		return HK_ENOMEM;
	(void)json_object_del(c, "digest");
	s = json_dumps(c, MANIFEST_FLAGS);
	json_decref(c);
	if (s == NULL)
		return HK_ENOMEM;
	r = sha256_hex(s, strlen(s), hex);
	free(s);
	return r;
}

/** hk_audit_manifest_seal(m, out): add the digest and render. */
int
hk_audit_manifest_seal(json_t *m, struct hk_buf *out)
{
	char hex[65], *s;
	int r;

	if ((r = manifest_digest(m, hex)) != 0)
		return r;
	if (json_object_set_new(m, "digest", json_string(hex)) != 0 ||
	    (s = json_dumps(m, MANIFEST_FLAGS)) == NULL)
		return HK_ENOMEM;
	r = hk_buf_puts(out, s);
	free(s);
	return r != 0 ? r : hk_buf_putc(out, '\n');
}

/** hk_audit_manifest_open(text, len, out, why): parse and check. */
int
hk_audit_manifest_open(const char *text, size_t len, json_t **out,
    const char **why)
{
	json_error_t jerr;
	json_t *m;
	const char *d;
	char hex[65], *s = NULL;
	int r = HK_EVERIFY;

	*out = NULL;
	if ((m = json_loadb(text, len, JSON_REJECT_DUPLICATES, &jerr)) ==
	    NULL || !json_is_object(m)) {
		*why = "manifest.json is not a JSON object";
		goto out;
	}
	if ((s = json_dumps(m, MANIFEST_FLAGS)) == NULL) {
		r = HK_ENOMEM;
		goto out;
	}
	if (strlen(s) + 1 != len || memcmp(s, text, len - 1) != 0 ||
	    text[len - 1] != '\n') {
		*why = "manifest.json is not in its canonical form (altered)";
		goto out;
	}
	if ((d = json_string_value(json_object_get(m, "digest"))) == NULL ||
	    (r = manifest_digest(m, hex)) != 0 || strcmp(d, hex) != 0) {
		if (r == 0 || r == HK_EVERIFY) {
			r = HK_EVERIFY;
			*why = "manifest.json: its digest does not match its "
			       "content (altered)";
		}
		goto out;
	}
	*out = m;
	m = NULL;
	r = 0;
out:
	free(s);
	json_decref(m);
	return r;
}

/** hk_audit_json_line(ev, leaf, out): one events.jsonl line. */
int
hk_audit_json_line(const struct hk_event *ev, const uint8_t leaf[32],
    struct hk_buf *out)
{
	json_t *j;
	char *s;
	int r;

	if ((j = hk_event_to_json(ev, leaf)) == NULL)
		return HK_EPROFILE;
	s = json_dumps(j, JSON_COMPACT | JSON_PRESERVE_ORDER);
	json_decref(j);
	if (s == NULL)
		return HK_ENOMEM;
	if ((r = hk_buf_puts(out, s)) == 0)
		r = hk_buf_putc(out, '\n');
	free(s);
	return r;
}

/* ---- bundle verification ---------------------------------------------------- */

struct vctx {
	const char *dir;
	const struct ledger_note_verifier *v;
	struct hk_audit_report *rep;
	json_t *m, *files;
	struct hk_sha256 *h;
	struct hk_audit_rules *rl;
	FILE *jsonl;
	uint64_t jsonl_line;
	uint64_t tiles_seen;
	struct hk_buf tmp;
	struct hk_buf line;
	char *linebuf;
	size_t linecap;
};

static int
path_join(char *out, size_t len, const char *dir, const char *rel)
{
	int n = snprintf(out, len, "%s/%s", dir, rel);

	return n < 0 || (size_t)n >= len ? HK_ETOOBIG : 0;
}

/* The whole file ${rel} of the bundle (at most ${max} bytes) into ${out}. */
static int
slurp(const char *dir, const char *rel, struct hk_buf *out, size_t max)
{
	char path[4096], chunk[65536];
	FILE *f;
	size_t n;
	int r = 0;

	hk_buf_reset(out);
	if (path_join(path, sizeof(path), dir, rel) != 0)
		return HK_ETOOBIG;
	if ((f = fopen(path, "rb")) == NULL)
		return errno == ENOENT ? HK_ENOTFOUND : HK_EIO;
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0) {
		if (out->len + n > max) {
			r = HK_ETOOBIG;
			break;
		}
		if ((r = hk_buf_put(out, chunk, n)) != 0)
			break;
	}
	if (r == 0 && ferror(f))
		r = HK_EIO;
	fclose(f);
	return r;
}

/* Paths in a manifest: relative, [A-Za-z0-9._/-], no empty, "." or ".."
 * component. */
static bool
path_ok(const char *p)
{
	const char *c, *seg = p;

	if (*p == '\0' || *p == '/' || strlen(p) > 512)
		return false;
	for (c = p;; c++) {
		if (*c == '/' || *c == '\0') {
			size_t n = (size_t)(c - seg);

			if (n == 0 || (n == 1 && seg[0] == '.') ||
			    (n == 2 && seg[0] == '.' && seg[1] == '.'))
				return false;
			if (*c == '\0')
				return true;
			seg = c + 1;
			continue;
		}
		if (!((*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') ||
			(*c >= '0' && *c <= '9') || *c == '.' || *c == '_' ||
			*c == '-'))
			return false;
	}
}

static int
check_file(struct vctx *x, const char *rel, json_t *ent)
{
	char path[4096], hex[65];
	uint8_t d[32], buf[65536];
	const char *want;
	EVP_MD_CTX *m = NULL;
	unsigned int dl = 0;
	uint64_t size = 0;
	struct stat st;
	FILE *f = NULL;
	size_t n;
	int r = HK_EVERIFY;

	want = json_string_value(json_object_get(ent, "sha256"));
	if (!path_ok(rel) || want == NULL ||
	    !json_is_integer(json_object_get(ent, "size")))
		return violation(x->rep, false, 0, "manifest.json: bad entry for "
		    "\"%.200s\"", rel);
	if (path_join(path, sizeof(path), x->dir, rel) != 0 ||
	    lstat(path, &st) != 0 || !S_ISREG(st.st_mode))
		return violation(x->rep, false, 0, "%s: missing from the bundle "
		    "(or not a regular file)", rel);
	if ((f = fopen(path, "rb")) == NULL)
		return HK_EIO;
	if ((m = EVP_MD_CTX_new()) == NULL ||
	    EVP_DigestInit_ex(m, EVP_sha256(), NULL) != 1) {
		r = HK_ECRYPTO;
		goto out;
	}
	while ((n = fread(buf, 1, sizeof(buf), f)) > 0) {
		size += n;
		if (EVP_DigestUpdate(m, buf, n) != 1) {
			r = HK_ECRYPTO;
			goto out;
		}
	}
	if (ferror(f) || EVP_DigestFinal_ex(m, d, &dl) != 1) {
		r = HK_EIO;
		goto out;
	}
	hk_hex_encode(hex, d, 32);
	if (strcmp(hex, want) != 0 ||
	    (json_int_t)size != json_integer_value(json_object_get(ent, "size")))
		r = violation(x->rep, false, 0, "%s: altered (its SHA-256 or "
		    "size differs from the manifest)", rel);
	else
		r = 0;
out:
	EVP_MD_CTX_free(m);
	fclose(f);
	return r;
}

/* Every regular file under ${rel} must be in the manifest. */
static int
walk(struct vctx *x, const char *rel)
{
	char path[4096], sub[4096];
	struct dirent *de;
	struct stat st;
	DIR *d;
	int r = 0;

	if (path_join(path, sizeof(path), x->dir, rel) != 0 ||
	    (d = opendir(path)) == NULL)
		return HK_EIO;
	while (r == 0 && (de = readdir(d)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		if (snprintf(sub, sizeof(sub), "%s%s%s", rel, rel[0] ? "/" : "",
			de->d_name) >= (int)sizeof(sub) ||
		    path_join(path, sizeof(path), x->dir, sub) != 0 ||
		    lstat(path, &st) != 0) {
			r = HK_EIO;
			break;
		}
		if (S_ISDIR(st.st_mode))
			r = walk(x, sub);
		else if (!S_ISREG(st.st_mode) ||
		    (strcmp(sub, HK_AUDIT_MANIFEST) != 0 &&
			json_object_get(x->files, sub) == NULL))
			r = violation(x->rep, false, 0, "%s: in the bundle but "
			    "not in its manifest", sub);
	}
	closedir(d);
	return r;
}

static int
same_verifier(const struct ledger_note_verifier *a,
    const struct ledger_note_verifier *b)
{
	return strcmp(a->name, b->name) == 0 &&
	    memcmp(a->keyid, b->keyid, sizeof(a->keyid)) == 0 &&
	    memcmp(a->pub, b->pub, sizeof(a->pub)) == 0;
}

/* The bundle's vkey file must hold the verifier key given. */
static int
check_vkey(struct vctx *x)
{
	struct ledger_note_verifier v;
	const char *p, *e, *end;
	int r;

	if ((r = slurp(x->dir, HK_AUDIT_VKEY, &x->tmp, 65536)) != 0)
		return r == HK_ENOTFOUND ? violation(x->rep, false, 0,
		    "vkey: missing") : r;
	p = (const char *)x->tmp.p;
	end = p + x->tmp.len;
	for (; p < end; p = e + 1) {
		if ((e = memchr(p, '\n', (size_t)(end - p))) == NULL)
			return violation(x->rep, false, 0, "vkey: a line "
			    "without its newline");
		if (ledger_note_vkey_parse(p, (size_t)(e - p), &v) != 0)
			return violation(x->rep, false, 0, "vkey: not a "
			    "verifier key");
		if (same_verifier(&v, x->v))
			return 0;
	}
	return violation(x->rep, false, 0, "vkey: the bundle's verifier key is "
	    "not the one given with --vkey");
}

static int
tile_cmp_cb(void *arg, int level, uint64_t index, unsigned width,
    const uint8_t (*hashes)[LEDGER_HASH_LEN])
{
	struct vctx *x = arg;
	char rel[LEDGER_TILE_PATH_MAX];
	int r;

	if ((r = ledger_tile_path(level, index, width, rel, sizeof(rel))) != 0)
		return r;
	x->tiles_seen++;
	if (json_object_get(x->files, rel) == NULL)
		return violation(x->rep, false, 0, "%s: missing from the bundle",
		    rel);
	if ((r = slurp(x->dir, rel, &x->tmp, 32 * LEDGER_TILE_WIDTH)) != 0)
		return r == HK_ETOOBIG ? violation(x->rep, false, 0,
		    "%s: longer than a tile", rel) : r;
	if (x->tmp.len != (size_t)width * LEDGER_HASH_LEN ||
	    memcmp(x->tmp.p, hashes, x->tmp.len) != 0)
		return violation(x->rep, false, 0, "%s: does not match the hashes "
		    "recomputed from the %s", rel, level == 0 ? "entries" :
		    "tiles below it");
	return 0;
}

/* One event of an entry bundle: profile, seq, origin, prev, time,
 * genesis, the rules, its events.jsonl line. */
static int
check_event(struct vctx *x, uint64_t index, const uint8_t *p, size_t n,
    const uint8_t prev[32], const uint8_t leaf[32])
{
	struct hk_audit_report *rep = x->rep;
	struct ledger_note_verifier gv;
	struct hk_mpk_error perr;
	struct hk_event ev;
	struct hk_bytes gk;
	ssize_t got;
	int r;

	if (hk_event_decode(p, n, &ev, &perr) != 0)
		return violation(rep, true, index, "event outside the profile: "
		    "%s at byte %zu", perr.msg, perr.off);
	if (ev.seq != index)
		return violation(rep, true, index, "seq continuity: the entry at "
		    "index %" PRIu64 " says seq %" PRIu64, index, ev.seq);
	if (ev.origin.n != strlen(rep->origin) ||
	    memcmp(ev.origin.p, rep->origin, ev.origin.n) != 0)
		return violation(rep, true, index, "the event names another "
		    "origin than the checkpoint");
	if (memcmp(ev.prev, prev, 32) != 0)
		return violation(rep, true, index, "prev chain broken: prev is "
		    "not the leaf hash of seq %" PRIu64, index - 1);
	if (index > x->rep->from && ev.time_ms < rep->last_ms)
		return violation(rep, true, index, "time goes backwards");
	if ((index == 0) != (ev.type == HK_EV_LEDGER_GENESIS))
		return violation(rep, true, index, index == 0 ?
		    "seq 0 is not ledger.genesis" : "ledger.genesis after seq 0");
	if (index == 0 &&
	    (hk_event_body_str(ev.body, HK_BODY_GENESIS_VKEY, &gk) != 0 ||
		ledger_note_vkey_parse((const char *)gk.p, gk.n, &gv) != 0 ||
		!same_verifier(&gv, x->v)))
		return violation(rep, true, index, "the genesis event records "
		    "another verifier key than --vkey");
	if (rep->events == 0)
		rep->first_ms = ev.time_ms;
	rep->last_ms = ev.time_ms;
	rep->events++;
	if ((r = hk_audit_rules_apply(x->rl, &ev, rep)) != 0)
		return r;
	hk_buf_reset(&x->line);
	if ((r = hk_audit_json_line(&ev, leaf, &x->line)) != 0)
		return r;
	x->jsonl_line++;
	got = getline(&x->linebuf, &x->linecap, x->jsonl);
	if (got < 0 || (size_t)got != x->line.len ||
	    memcmp(x->linebuf, x->line.p, x->line.len) != 0)
		return violation(rep, true, index, "events.jsonl: line %" PRIu64
		    " is not the decoded event", x->jsonl_line);
	return 0;
}

/* Hashes of the leaves before the first entry bundle, from level 0
 * tiles (their truth follows from the tiles above and the root). */
static int
feed_prefix(struct vctx *x, struct ledger_tiles *t, uint8_t last[32])
{
	char rel[LEDGER_TILE_PATH_MAX];
	uint64_t i, k;
	int r;

	for (i = 0; i < x->rep->from / LEDGER_TILE_WIDTH; i++) {
		if ((r = ledger_tile_path(0, i, LEDGER_TILE_WIDTH, rel,
			 sizeof(rel))) != 0)
			return r;
		if ((r = slurp(x->dir, rel, &x->tmp, 32 * LEDGER_TILE_WIDTH)) !=
		    0 || x->tmp.len != 32 * LEDGER_TILE_WIDTH) {
			if (r != 0 && r != HK_ENOTFOUND && r != HK_ETOOBIG)
				return r;
			return violation(x->rep, false, 0, "%s: missing or not "
			    "a full tile", rel);
		}
		for (k = 0; k < LEDGER_TILE_WIDTH; k++) {
			memcpy(last, x->tmp.p + 32 * k, 32);
			if ((r = ledger_tiles_add(t, last)) != 0)
				return r;
		}
	}
	return 0;
}

static int
check_entries(struct vctx *x, const struct ledger_checkpoint *cp)
{
	struct ledger_tiles *t = NULL;
	struct hk_buf eb = HK_BUF_INIT;
	char rel[LEDGER_TILE_PATH_MAX], path[4096];
	uint8_t prev[32] = {0}, leaf[32], root[32];
	uint64_t b, nb, index, size;
	unsigned width, k;
	size_t off, len;
	int r;

	if ((r = ledger_tiles_new(tile_cmp_cb, x, &t)) != 0)
		return r;
	if ((r = path_join(path, sizeof(path), x->dir, HK_AUDIT_EVENTS)) != 0)
		goto out;
	if ((x->jsonl = fopen(path, "rb")) == NULL) {
		r = violation(x->rep, false, 0, "events.jsonl: missing");
		goto out;
	}
	if ((r = feed_prefix(x, t, prev)) != 0)
		goto out;
	nb = ledger_tiles_count(cp->size, 0, NULL);
	index = x->rep->from;
	for (b = x->rep->from / LEDGER_TILE_WIDTH; b < nb; b++) {
		width = b + 1 < nb ? LEDGER_TILE_WIDTH :
		    (unsigned)(cp->size - b * LEDGER_TILE_WIDTH);
		if ((r = ledger_tile_path(LEDGER_TILE_ENTRIES, b, width, rel,
			 sizeof(rel))) != 0)
			goto out;
		x->tiles_seen++;
		if (json_object_get(x->files, rel) == NULL) {
			r = violation(x->rep, false, 0, "%s: missing from the "
			    "bundle", rel);
			goto out;
		}
		if ((r = slurp(x->dir, rel, &eb, (size_t)LEDGER_TILE_WIDTH *
			 (2 + HK_EVENT_MAX_LEN))) != 0)
			goto out;
		for (off = 0, k = 0; k < width; k++, index++) {
			if (eb.len - off < 2 ||
			    (len = (size_t)eb.p[off] << 8 | eb.p[off + 1]) >
				eb.len - off - 2) {
				r = violation(x->rep, true, index, "%s: entry "
				    "bundle truncated", rel);
				goto out;
			}
			off += 2;
			if ((r = ledger_merkle_leaf_hash(x->h, eb.p + off, len,
				 leaf)) != 0 ||
			    (r = check_event(x, index, eb.p + off, len, prev,
				 leaf)) != 0 ||
			    (r = ledger_tiles_add(t, leaf)) != 0)
				goto out;
			memcpy(prev, leaf, 32);
			off += len;
		}
		if (off != eb.len) {
			r = violation(x->rep, false, 0, "%s: bytes after its %u "
			    "entries", rel, width);
			goto out;
		}
	}
	if (getline(&x->linebuf, &x->linecap, x->jsonl) >= 0) {
		r = violation(x->rep, false, 0, "events.jsonl: more lines than "
		    "events");
		goto out;
	}
	if ((r = ledger_tiles_finish(t, &size, root)) != 0)
		goto out;
	if (size != cp->size || memcmp(root, cp->root, 32) != 0) {
		r = violation(x->rep, false, 0, "tiles: the root recomputed from "
		    "the entries and tiles is not the checkpoint's root");
		goto out;
	}
	r = 0;
out:
	hk_buf_release(&eb);
	ledger_tiles_free(t);
	return r;
}

/* The manifest's certificate list against the replay. */
static int
cert_listed(void *arg, const char *cid, const char *sid, bool erased)
{
	struct vctx *x = arg;
	json_t *a = json_object_get(x->m, "certificates"), *e;
	const char *st;
	size_t i;

	(void)sid;
	json_array_foreach(a, i, e) {
		if (strcmp(json_string_value(json_object_get(e, "credential")) ?
			json_string_value(json_object_get(e, "credential")) : "",
			cid) != 0)
			continue;
		st = json_string_value(json_object_get(e, "status"));
		if (st != NULL && strcmp(st, "erased") == 0 && !erased)
			return violation(x->rep, false, 0, "manifest.json: says the "
			    "signer of credential %s was erased, but the ledger "
			    "has no signer.erased for it", cid);
		return 0;
	}
	return violation(x->rep, false, 0, "manifest.json: credential %s has a "
	    "bound certificate that the bundle does not account for", cid);
}

static int
check_certs(struct vctx *x)
{
	json_t *a = json_object_get(x->m, "certificates"), *e;
	const char *cid, *st, *file;
	unsigned char *der = NULL;
	BIO *bio = NULL;
	X509 *xc = NULL;
	size_t i;
	int len, r = 0;

	if (!json_is_array(a))
		return violation(x->rep, false, 0, "manifest.json: no "
		    "certificates list");
	json_array_foreach(a, i, e) {
		cid = json_string_value(json_object_get(e, "credential"));
		st = json_string_value(json_object_get(e, "status"));
		if (cid == NULL || st == NULL)
			return violation(x->rep, false, 0, "manifest.json: a "
			    "certificate entry without credential or status");
		if (strcmp(st, "exported") != 0)
			continue;
		if ((file = json_string_value(json_object_get(e, "file"))) ==
		    NULL || json_object_get(x->files, file) == NULL)
			return violation(x->rep, false, 0, "manifest.json: the "
			    "certificate of %s names no bundled file", cid);
		if (x->rep->from > 0 && !hk_audit_rules_known(x->rl, cid)) {
			x->rep->unchecked++;
			continue;
		}
		if ((r = slurp(x->dir, file, &x->tmp, 1 << 20)) != 0)
			return r;
		if ((bio = BIO_new_mem_buf(x->tmp.p, (int)x->tmp.len)) == NULL)
			return HK_ENOMEM;
		xc = PEM_read_bio_X509(bio, NULL, NULL, NULL);
		BIO_free(bio);
		if (xc == NULL || (len = i2d_X509(xc, &der)) <= 0) {
			ERR_clear_error();
			X509_free(xc);
			return violation(x->rep, false, 0, "%s: not a PEM "
			    "certificate", file);
		}
		X509_free(xc);
		r = hk_audit_rules_cert_check(x->rl, cid, der, (size_t)len,
		    x->rep);
		OPENSSL_free(der);
		der = NULL;
		if (r != 0)
			return r;
		x->rep->certificates++;
	}
	return hk_audit_rules_bound(x->rl, cert_listed, x);
}

static uint64_t
jint(json_t *m, const char *k, bool *ok)
{
	json_t *v = json_object_get(m, k);

	if (!json_is_integer(v) || json_integer_value(v) < 0) {
		*ok = false;
		return 0;
	}
	return (uint64_t)json_integer_value(v);
}

/** hk_audit_bundle_verify(dir, v, rep): verify a bundle. */
int
hk_audit_bundle_verify(const char *dir, const struct ledger_note_verifier *v,
    struct hk_audit_report *rep)
{
	struct vctx x;
	struct ledger_checkpoint cp;
	const char *why, *key, *s;
	struct hk_buf rb = HK_BUF_INIT;
	json_t *ent;
	uint64_t tiles_listed = 0, to;
	size_t blen;
	bool ok = true;
	int r;

	memset(rep, 0, sizeof(*rep));
	memset(&x, 0, sizeof(x));
	x.dir = dir;
	x.v = v;
	x.rep = rep;
	if ((x.h = hk_sha256_new()) == NULL) {
		r = HK_ENOMEM;
		goto out;
	}
	/* 1. The manifest: canonical, digest, every file's SHA-256, nothing
	 * unlisted. */
	if ((r = slurp(dir, HK_AUDIT_MANIFEST, &x.tmp, 64u << 20)) != 0) {
		if (r == HK_ENOTFOUND)
			r = violation(rep, false, 0, "manifest.json: missing");
		goto out;
	}
	if ((r = hk_audit_manifest_open((const char *)x.tmp.p, x.tmp.len, &x.m,
		 &why)) != 0) {
		if (r == HK_EVERIFY)
			violation(rep, false, 0, "%s", why);
		goto out;
	}
	if ((s = json_string_value(json_object_get(x.m, "format"))) == NULL ||
	    strcmp(s, HK_AUDIT_FORMAT) != 0) {
		r = violation(rep, false, 0, "manifest.json: not a %s bundle",
		    HK_AUDIT_FORMAT);
		goto out;
	}
	if (!json_is_object(x.files = json_object_get(x.m, "files"))) {
		r = violation(rep, false, 0, "manifest.json: no files list");
		goto out;
	}
	json_object_foreach(x.files, key, ent) {
		if ((r = check_file(&x, key, ent)) != 0)
			goto out;
		if (strncmp(key, "tile/", 5) == 0)
			tiles_listed++;
	}
	if ((r = walk(&x, "")) != 0)
		goto out;
	/* 2. The verifier key and the checkpoint. */
	if ((r = check_vkey(&x)) != 0)
		goto out;
	if ((r = slurp(dir, HK_AUDIT_CHECKPOINT, &x.tmp, 65536)) != 0) {
		if (r == HK_ENOTFOUND)
			r = violation(rep, false, 0, "checkpoint: missing");
		goto out;
	}
	if (ledger_note_open((const char *)x.tmp.p, x.tmp.len, v, 1, &blen) !=
	    0) {
		r = violation(rep, false, 0, "checkpoint: not signed by the "
		    "verifier key given with --vkey");
		goto out;
	}
	if (ledger_note_checkpoint_parse((const char *)x.tmp.p, blen, &cp) !=
	    0) {
		r = violation(rep, false, 0, "checkpoint: malformed body");
		goto out;
	}
	memcpy(rep->origin, cp.origin, sizeof(rep->origin));
	rep->size = cp.size;
	memcpy(rep->root, cp.root, 32);
	rep->from = jint(x.m, "from", &ok);
	to = jint(x.m, "tree_size", &ok);
	if ((r = hk_b64_append(&rb, cp.root, 32)) != 0 ||
	    hk_buf_cstr(&rb) == NULL)
		goto out;
	if (!ok || to != cp.size || cp.size == 0 ||
	    (s = json_string_value(json_object_get(x.m, "origin"))) == NULL ||
	    strcmp(s, cp.origin) != 0 ||
	    (s = json_string_value(json_object_get(x.m, "root"))) == NULL ||
	    strcmp(s, (const char *)rb.p) != 0) {
		r = violation(rep, false, 0, "manifest.json: origin, tree size "
		    "or root differ from the signed checkpoint");
		goto out;
	}
	if (rep->from % LEDGER_TILE_WIDTH != 0 || rep->from >= cp.size) {
		r = violation(rep, false, 0, "manifest.json: \"from\" is not the "
		    "first leaf of an entry bundle inside the tree");
		goto out;
	}
	/* 3. Entries and tiles recompute to the root; the events and the
	 * rules. */
	if ((x.rl = hk_audit_rules_new(rep->from > 0)) == NULL) {
		r = HK_ENOMEM;
		goto out;
	}
	if ((r = check_entries(&x, &cp)) != 0)
		goto out;
	if (x.tiles_seen != tiles_listed) {
		r = violation(rep, false, 0, "manifest.json: lists tiles that "
		    "are not part of the tree");
		goto out;
	}
	/* 4. Certificates. */
	r = check_certs(&x);
out:
	if (x.jsonl != NULL)
		fclose(x.jsonl);
	free(x.linebuf);
	hk_audit_rules_free(x.rl);
	hk_buf_release(&x.tmp);
	hk_buf_release(&x.line);
	hk_buf_release(&rb);
	hk_sha256_free(x.h);
	json_decref(x.m);
	return r;
}

/* ---- receipts ---------------------------------------------------------------- */

/** hk_audit_receipt_verify(text, len, v, cert_pem, certlen, hash, hlen,
 * rep): verify a tlog-proof receipt and, optionally, its signature. */
int
hk_audit_receipt_verify(const char *text, size_t len,
    const struct ledger_note_verifier *v, const char *cert_pem,
    size_t certlen, const uint8_t *hash, size_t hlen,
    struct hk_audit_report *rep)
{
	struct ledger_receipt rc;
	struct hk_mpk_error perr;
	struct hk_event ev;
	struct hk_bytes h, sig;
	char hoid[OID_MAX], soid[OID_MAX];
	uint8_t kfp[32], fp[32];
	unsigned char *spki = NULL;
	unsigned int dl = 0;
	const char *why = NULL;
	BIO *bio = NULL;
	X509 *x = NULL;
	int r, n;

	memset(rep, 0, sizeof(*rep));
	memset(&rc, 0, sizeof(rc));
	if ((r = ledger_receipt_verify(text, len, v, 1, &rc, &why)) != 0) {
		violation(rep, false, 0, "receipt: %s", why ? why : "invalid");
		goto out;
	}
	rep->size = rc.cp.size;
	rep->seq = rc.index;
	rep->has_seq = true;
	memcpy(rep->origin, rc.cp.origin, sizeof(rep->origin));
	memcpy(rep->root, rc.cp.root, 32);
	if (hk_event_decode(rc.extra.p, rc.extra.len, &ev, &perr) != 0) {
		r = violation(rep, true, rc.index, "receipt: the event is outside "
		    "the profile: %s at byte %zu", perr.msg, perr.off);
		goto out;
	}
	if (ev.seq != rc.index) {
		r = violation(rep, true, rc.index, "receipt: the event says seq %"
		    PRIu64 " at index %" PRIu64, ev.seq, rc.index);
		goto out;
	}
	if (ev.origin.n != strlen(rc.cp.origin) ||
	    memcmp(ev.origin.p, rc.cp.origin, ev.origin.n) != 0) {
		r = violation(rep, true, rc.index, "receipt: the event names "
		    "another origin than its checkpoint");
		goto out;
	}
	rep->events = 1;
	rep->first_ms = rep->last_ms = ev.time_ms;
	if (hash == NULL && cert_pem == NULL) {
		r = 0;
		goto out;
	}
	if (ev.type != HK_EV_SIGNATURE_CREATED ||
	    body_bin(ev.body, HK_BODY_SIG_HASH, &h) != 0 ||
	    body_bin(ev.body, HK_BODY_SIG_VALUE, &sig) != 0 ||
	    body_fixed(ev.body, HK_BODY_SIG_KEY_FP, kfp, 32) != 0 ||
	    body_cstr(ev.body, HK_BODY_SIG_HASH_ALG, hoid, sizeof(hoid)) != 0 ||
	    body_cstr(ev.body, HK_BODY_SIG_ALG, soid, sizeof(soid)) != 0) {
		r = violation(rep, true, rc.index, "receipt: the event is not a "
		    "complete signature.created");
		goto out;
	}
	rep->signatures = 1;
	if (hash != NULL && (h.n != hlen || memcmp(h.p, hash, hlen) != 0)) {
		r = violation(rep, true, rc.index, "receipt: the event records "
		    "the signature of another hash than --hash");
		goto out;
	}
	if (cert_pem == NULL) {
		r = 0;
		goto out;
	}
	if ((bio = BIO_new_mem_buf(cert_pem, (int)certlen)) == NULL) {
		r = HK_ENOMEM;
		goto out;
	}
	if ((x = PEM_read_bio_X509(bio, NULL, NULL, NULL)) == NULL ||
	    (n = i2d_PUBKEY(X509_get0_pubkey(x), &spki)) <= 0) {
		r = violation(rep, true, rc.index, "receipt: --cert is not a PEM "
		    "certificate");
		goto out;
	}
	if (EVP_Digest(spki, (size_t)n, fp, &dl, EVP_sha256(), NULL) != 1) {
		r = HK_ECRYPTO;
		goto out;
	}
	if (memcmp(fp, kfp, 32) != 0) {
		r = violation(rep, true, rc.index, "receipt: the certificate's "
		    "public key is not the key that signed");
		goto out;
	}
	if ((r = hk_audit_sig_verify(spki, (size_t)n, soid, hoid, h.p, h.n,
		 sig.p, sig.n, &why)) != 0) {
		if (r == HK_EVERIFY)
			violation(rep, true, rc.index, "receipt: %s", why);
		goto out;
	}
	rep->certificates = 1;
out:
	ERR_clear_error();
	OPENSSL_free(spki);
	X509_free(x);
	BIO_free(bio);
	ledger_receipt_release(&rc);
	return r;
}
