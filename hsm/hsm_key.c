/* SPDX-License-Identifier: Apache-2.0 */
/*
 * hsm_key: signing keys in the crypto module. Generation happens inside
 * the module, with the private key sensitive, never extractable and
 * usable only to sign (REG-3, NET-4); the public key leaves as a
 * SubjectPublicKeyInfo built here and its SHA-256 fingerprint (REG-4);
 * every new key passes a pairwise sign/verify check before it is handed
 * out. Import by unwrapping under a module-held AES key (REG-7, adapter
 * part), destruction (END-3, adapter part), look-up and listing. Key
 * handles are resolved once per id, cached, and resolved again after
 * CKR_OBJECT_HANDLE_INVALID / CKR_KEY_HANDLE_INVALID.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "core/codec.h"
#include "core/log.h"
#include "hsm/hsm_ckr.h"
#include "hsm/hsm_der.h"
#include "hsm/hsm_internal.h"

/* Attempts in all for one signature (one per recovery cause). */
#define HSM_SIGN_TRIES 4
/* The digest signed by the pairwise consistency check. */
#define HSM_PAIRWISE_MSG "hanko hsm pairwise consistency check"

static CK_BBOOL ck_true = CK_TRUE;
static CK_BBOOL ck_false = CK_FALSE;

#define ATTR(t, v) ((CK_ATTRIBUTE){(t), &(v), sizeof(v)})
#define ATTR_P(t, p, n) ((CK_ATTRIBUTE){(t), (void *)(p), (CK_ULONG)(n)})

/* ---- id -> handle cache ---------------------------------------------- */

static size_t
cache_slot(const struct hsm_pool *p, const uint8_t *id)
{
	uint8_t h[crypto_shorthash_BYTES];
	uint64_t v;

	crypto_shorthash(h, id, HSM_KEYID_LEN, p->hashkey);
	memcpy(&v, h, sizeof(v));
	return (size_t)(v & (p->nbuckets - 1));
}

/** hsm_key_cache_init(p): an empty cache with a random hash key. */
int
hsm_key_cache_init(struct hsm_pool *p)
{
	p->nbuckets = 64;
	if ((p->buckets = calloc(p->nbuckets, sizeof(*p->buckets))) == NULL)
		return HK_ENOMEM;
	_Static_assert(sizeof(p->hashkey) == crypto_shorthash_KEYBYTES,
	    "siphash key size");
	randombytes_buf(p->hashkey, sizeof(p->hashkey));
	return 0;
}

/** hsm_key_cache_free(p): drop every entry. */
void
hsm_key_cache_free(struct hsm_pool *p)
{
	struct hsm_kent *e, *next;
	size_t i;

	if (p->buckets == NULL)
		return;
	for (i = 0; i < p->nbuckets; i++)
		for (e = p->buckets[i]; e != NULL; e = next) {
			next = e->next;
			free(e);
		}
	free(p->buckets);
	p->buckets = NULL;
}

static bool
cache_get(struct hsm_pool *p, const uint8_t *id, struct hsm_kref *ref)
{
	struct hsm_kent *e;
	bool found = false;

	pthread_mutex_lock(&p->cache_mu);
	for (e = p->buckets[cache_slot(p, id)]; e != NULL; e = e->next)
		if (memcmp(e->id, id, HSM_KEYID_LEN) == 0) {
			*ref = e->ref;
			found = true;
			break;
		}
	pthread_mutex_unlock(&p->cache_mu);
	return found;
}

/* Double the table; on ENOMEM keep the old one (only slower). */
static void
cache_grow(struct hsm_pool *p)
{
	struct hsm_kent **old = p->buckets, **nb, *e, *next;
	size_t i, oldn = p->nbuckets;

	if ((nb = calloc(oldn * 2, sizeof(*nb))) == NULL)
		return;
	p->buckets = nb;
	p->nbuckets = oldn * 2;
	for (i = 0; i < oldn; i++)
		for (e = old[i]; e != NULL; e = next) {
			next = e->next;
			e->next = nb[cache_slot(p, e->id)];
			nb[cache_slot(p, e->id)] = e;
		}
	free(old);
}

static void
cache_put(struct hsm_pool *p, const uint8_t *id, const struct hsm_kref *ref)
{
	struct hsm_kent *e;
	size_t b;

	pthread_mutex_lock(&p->cache_mu);
	b = cache_slot(p, id);
	for (e = p->buckets[b]; e != NULL; e = e->next)
		if (memcmp(e->id, id, HSM_KEYID_LEN) == 0) {
			e->ref = *ref;
			goto out;
		}
	/* Without memory the key is simply resolved on every use. */
	if ((e = malloc(sizeof(*e))) == NULL)
		goto out;
	memcpy(e->id, id, HSM_KEYID_LEN);
	e->ref = *ref;
	e->next = p->buckets[b];
	p->buckets[b] = e;
	if (++p->nkeys > 2 * p->nbuckets)
		cache_grow(p);
out:
	pthread_mutex_unlock(&p->cache_mu);
}

static void
cache_del(struct hsm_pool *p, const uint8_t *id)
{
	struct hsm_kent **pp, *e;

	pthread_mutex_lock(&p->cache_mu);
	for (pp = &p->buckets[cache_slot(p, id)]; (e = *pp) != NULL;
	     pp = &e->next)
		if (memcmp(e->id, id, HSM_KEYID_LEN) == 0) {
			*pp = e->next;
			free(e);
			p->nkeys--;
			break;
		}
	pthread_mutex_unlock(&p->cache_mu);
}

/* ---- names ------------------------------------------------------------ */

static const char *const alg_names[] = {
	[HSM_ALG_NONE] = "?",
	[HSM_ALG_EC_P256] = "p256",
	[HSM_ALG_EC_P384] = "p384",
	[HSM_ALG_RSA_2048] = "rsa2048",
	[HSM_ALG_RSA_3072] = "rsa3072",
	[HSM_ALG_ED25519] = "ed25519",
	[HSM_ALG_AES_256] = "aes256",
};

/** hsm_alg_name(alg): a short static name. */
const char *
hsm_alg_name(enum hsm_alg alg)
{
	if ((unsigned)alg >= sizeof(alg_names) / sizeof(alg_names[0]))
		return "?";
	return alg_names[alg];
}

/** hsm_alg_from_name(name): the algorithm called ${name}. */
enum hsm_alg
hsm_alg_from_name(const char *name)
{
	unsigned i;

	for (i = 1; i < sizeof(alg_names) / sizeof(alg_names[0]); i++)
		if (strcmp(name, alg_names[i]) == 0)
			return (enum hsm_alg)i;
	return HSM_ALG_NONE;
}

/** hsm_hash_len(hash): the digest length of ${hash}. */
size_t
hsm_hash_len(enum hsm_hash hash)
{
	switch (hash) {
	case HSM_HASH_SHA256:
		return 32;
	case HSM_HASH_SHA384:
		return 48;
	case HSM_HASH_SHA512:
		return 64;
	default:
		return 0;
	}
}

static void
id_hex(char out[2 * HSM_KEYID_LEN + 1], const uint8_t *id)
{
	hk_hex_encode(out, id, HSM_KEYID_LEN);
}

/* ---- resolving -------------------------------------------------------- */

/* The algorithm of the key object ${h}. */
static int
obj_alg(struct hsm_pool *p, struct hsm_session *s, CK_OBJECT_HANDLE h,
    enum hsm_alg *alg)
{
	CK_KEY_TYPE kt = CKK_VENDOR_DEFINED;
	CK_ULONG vlen = 0;
	uint8_t params[64], mod[600];
	CK_ATTRIBUTE t[] = {
		ATTR(CKA_KEY_TYPE, kt),
		ATTR(CKA_EC_PARAMS, params),
		ATTR(CKA_MODULUS, mod),
		ATTR(CKA_VALUE_LEN, vlen),
	};
	int r;

	*alg = HSM_ALG_NONE;
	if ((r = hsm_obj_attrs(p, s, h, t, 4)) != 0)
		return r;
	if (t[0].ulValueLen != sizeof(kt))
		return HK_ENOTSUP;
	switch (kt) {
	case CKK_EC:
	case CKK_EC_EDWARDS:
		if (t[1].ulValueLen == CK_UNAVAILABLE_INFORMATION)
			break;
		*alg = hsm_der_ec_alg(params, t[1].ulValueLen);
		if ((kt == CKK_EC) != (*alg != HSM_ALG_ED25519))
			*alg = HSM_ALG_NONE;
		break;
	case CKK_RSA:
		if (t[2].ulValueLen == 256)
			*alg = HSM_ALG_RSA_2048;
		else if (t[2].ulValueLen == 384)
			*alg = HSM_ALG_RSA_3072;
		break;
	case CKK_AES:
		if (t[3].ulValueLen == sizeof(vlen) && vlen == 32)
			*alg = HSM_ALG_AES_256;
		break;
	}
	return *alg == HSM_ALG_NONE ? HK_ENOTSUP : 0;
}

/* Find the private key ${id} and its algorithm, bypassing the cache. */
static int
key_resolve(struct hsm_pool *p, struct hsm_session *s, const uint8_t *id,
    struct hsm_kref *ref)
{
	CK_OBJECT_HANDLE h[2];
	CK_ULONG n = 0;
	char hex[2 * HSM_KEYID_LEN + 1];
	int r;

	if ((r = hsm_obj_find(p, s, CKO_PRIVATE_KEY, id, HSM_KEYID_LEN, h, 2,
		 &n)) != 0)
		return r;
	id_hex(hex, id);
	if (n == 0) {
		hk_warn_f("no private key with id %s", hex);
		return HK_ENOTFOUND;
	}
	if (n > 1) {
		hk_error_f("%lu private keys share id %s", (unsigned long)n,
		    hex);
		return HK_ECORRUPT;
	}
	if ((r = obj_alg(p, s, h[0], &ref->alg)) != 0) {
		hk_error_f("key %s is of a type the adapter does not handle",
		    hex);
		return r;
	}
	ref->priv = h[0];
	return 0;
}

/* The cached reference for ${id}, resolving it on a miss. */
static int
key_ref(struct hsm_pool *p, struct hsm_session *s, const uint8_t *id,
    struct hsm_kref *ref)
{
	int r;

	if (cache_get(p, id, ref))
		return 0;
	if ((r = key_resolve(p, s, id, ref)) != 0)
		return r;
	cache_put(p, id, ref);
	return 0;
}

/* ---- signing ---------------------------------------------------------- */

static bool
scheme_fits(enum hsm_scheme sc, enum hsm_alg a)
{
	switch (sc) {
	case HSM_SIG_ECDSA:
		return a == HSM_ALG_EC_P256 || a == HSM_ALG_EC_P384;
	case HSM_SIG_RSA_PKCS1:
	case HSM_SIG_RSA_PSS:
		return a == HSM_ALG_RSA_2048 || a == HSM_ALG_RSA_3072;
	case HSM_SIG_ED25519:
		return a == HSM_ALG_ED25519;
	}
	return false;
}

/* Check the shape of a signing request before touching the module. */
static int
sign_args_check(enum hsm_scheme scheme, enum hsm_hash hash, size_t inlen)
{
	if (scheme == HSM_SIG_ED25519) {
		if (hash != HSM_HASH_NONE)
			return HK_EINVAL;
		return inlen > HSM_MSG_MAX ? HK_ETOOBIG : 0;
	}
	if (scheme != HSM_SIG_ECDSA && scheme != HSM_SIG_RSA_PKCS1 &&
	    scheme != HSM_SIG_RSA_PSS)
		return HK_EINVAL;
	if (hsm_hash_len(hash) == 0 || inlen != hsm_hash_len(hash))
		return HK_EINVAL;
	return 0;
}

/* One C_SignInit + C_Sign. ${in} is what the mechanism signs (the
 * DigestInfo for CKM_RSA_PKCS). */
static CK_RV
sign_once(struct hsm_pool *p, struct hsm_session *s, CK_OBJECT_HANDLE key,
    enum hsm_scheme scheme, enum hsm_hash hash, const uint8_t *in,
    size_t inlen, uint8_t *raw, CK_ULONG *rawlen, const char **fn)
{
	CK_MECHANISM m = {0, NULL, 0};
	CK_RSA_PKCS_PSS_PARAMS pss;
	CK_RV rv;

	switch (scheme) {
	case HSM_SIG_ECDSA:
		m.mechanism = CKM_ECDSA;
		break;
	case HSM_SIG_RSA_PKCS1:
		m.mechanism = CKM_RSA_PKCS;
		break;
	case HSM_SIG_RSA_PSS:
		m.mechanism = CKM_RSA_PKCS_PSS;
		pss.sLen = hsm_hash_len(hash);
		if (hash == HSM_HASH_SHA256) {
			pss.hashAlg = CKM_SHA256;
			pss.mgf = CKG_MGF1_SHA256;
		} else if (hash == HSM_HASH_SHA384) {
			pss.hashAlg = CKM_SHA384;
			pss.mgf = CKG_MGF1_SHA384;
		} else {
			pss.hashAlg = CKM_SHA512;
			pss.mgf = CKG_MGF1_SHA512;
		}
		m.pParameter = &pss;
		m.ulParameterLen = sizeof(pss);
		break;
	case HSM_SIG_ED25519:
		m.mechanism = CKM_EDDSA;
		break;
	}
	*fn = "C_SignInit";
	if ((rv = p->f->C_SignInit(s->h, &m, key)) != CKR_OK)
		return rv;
	*fn = "C_Sign";
	*rawlen = HSM_SIG_MAX;
	return p->f->C_Sign(s->h, (CK_BYTE_PTR)in, (CK_ULONG)inlen, raw,
	    rawlen);
}

/* Sign on a checked-out session, with every recovery rule; ${sig} gets
 * the final encoding. The caller holds keys_rw for reading. */
static int
sign_on(struct hsm_pool *p, struct hsm_session *s, const uint8_t *id,
    enum hsm_scheme scheme, enum hsm_hash hash, const uint8_t *in,
    size_t inlen, uint8_t *sig, size_t *siglen)
{
	uint8_t di[HSM_DER_DIGESTINFO_MAX], raw[HSM_SIG_MAX];
	struct hsm_kref ref;
	const uint8_t *data = in;
	size_t dlen = inlen;
	CK_ULONG rawlen = 0;
	const char *fn = "?";
	char hex[2 * HSM_KEYID_LEN + 1];
	CK_RV rv;
	int r, tries;

	if ((r = key_ref(p, s, id, &ref)) != 0)
		return r;
	if (!scheme_fits(scheme, ref.alg)) {
		id_hex(hex, id);
		hk_error_f("key %s is %s: it cannot make this kind of "
			   "signature", hex, hsm_alg_name(ref.alg));
		return HK_EINVAL;
	}
	if (scheme == HSM_SIG_RSA_PKCS1) {
		if ((r = hsm_der_digestinfo(hash, in, inlen, di, sizeof(di),
			 &dlen)) != 0)
			return r;
		data = di;
	}
	for (tries = 1;; tries++) {
		rv = sign_once(p, s, ref.priv, scheme, hash, data, dlen, raw,
		    &rawlen, &fn);
		if (rv == CKR_OK)
			break;
		if (tries >= HSM_SIGN_TRIES)
			return hsm_ckr_fail(__func__, fn, rv);
		if (rv == CKR_KEY_HANDLE_INVALID ||
		    rv == CKR_OBJECT_HANDLE_INVALID) {
			/* The module forgot the handle (logout, another
			 * process, a restart): look the id up again. */
			id_hex(hex, id);
			hk_warn_f("%s: %s for key %s; resolving it again", fn,
			    hsm_ckr_name(rv), hex);
			cache_del(p, id);
			if ((r = key_ref(p, s, id, &ref)) != 0)
				return r;
			continue;
		}
		if (hsm_session_recover(p, s, rv))
			continue;
		return hsm_ckr_fail(__func__, fn, rv);
	}
	if (scheme == HSM_SIG_ECDSA)
		return hsm_der_ecdsa_sig(raw, rawlen, sig, HSM_SIG_MAX, siglen);
	memcpy(sig, raw, rawlen);
	*siglen = rawlen;
	return 0;
}

/* hsm_key_sign() with an explicit session deadline (NULL: wait bound). */
static int
key_sign(struct hsm_pool *p, const uint8_t *id, enum hsm_scheme scheme,
    enum hsm_hash hash, const uint8_t *in, size_t inlen,
    const struct timespec *deadline, uint8_t *sig, size_t *siglen)
{
	struct hsm_session *s = NULL;
	int r;

	if ((r = sign_args_check(scheme, hash, inlen)) != 0)
		return r;
	pthread_rwlock_rdlock(&p->keys_rw);
	if ((r = hsm_session_get(p, deadline, &s)) == 0) {
		r = sign_on(p, s, id, scheme, hash, in, inlen, sig, siglen);
		hsm_session_put(p, s);
	}
	pthread_rwlock_unlock(&p->keys_rw);
	return r;
}

/** hsm_key_sign(p, id, scheme, hash, in, inlen, sig, siglen): sign. */
int
hsm_key_sign(struct hsm_pool *p, const uint8_t id[static HSM_KEYID_LEN],
    enum hsm_scheme scheme, enum hsm_hash hash, const uint8_t *in,
    size_t inlen, uint8_t sig[static HSM_SIG_MAX], size_t *siglen)
{
	return key_sign(p, id, scheme, hash, in, inlen, NULL, sig, siglen);
}

/** hsm_key_sign_reserved(p, id, scheme, hash, in, inlen, sig, siglen): as
 * hsm_key_sign(), on the reserved session. */
int
hsm_key_sign_reserved(struct hsm_pool *p,
    const uint8_t id[static HSM_KEYID_LEN], enum hsm_scheme scheme,
    enum hsm_hash hash, const uint8_t *in, size_t inlen,
    uint8_t sig[static HSM_SIG_MAX], size_t *siglen)
{
	struct hsm_session *s = NULL;
	int r;

	if ((r = sign_args_check(scheme, hash, inlen)) != 0)
		return r;
	pthread_rwlock_rdlock(&p->keys_rw);
	if ((r = hsm_session_get_reserved(p, &s)) == 0) {
		r = sign_on(p, s, id, scheme, hash, in, inlen, sig, siglen);
		hsm_session_put_reserved(p, s);
	}
	pthread_rwlock_unlock(&p->keys_rw);
	return r;
}

/** hsm_key_run_job(p, j): a queued signature, on a worker thread. */
void
hsm_key_run_job(struct hsm_pool *p, struct hsm_job *j)
{
	uint8_t sig[HSM_SIG_MAX];
	size_t siglen = 0;
	int r;

	/* The session wait ends at the job's own deadline: the wait bound
	 * covers queueing and session wait together. */
	r = key_sign(p, j->id, j->scheme, j->hash, j->msg, j->msglen,
	    &j->deadline, sig, &siglen);
	j->sign_cb(j->arg, r, r == 0 ? sig : NULL, r == 0 ? siglen : 0);
}

/* ---- describing ------------------------------------------------------- */

/* The SPKI of a public key object (or, for RSA, of the private key's
 * public attributes). */
static int
obj_spki(struct hsm_pool *p, struct hsm_session *s, CK_OBJECT_HANDLE h,
    enum hsm_alg alg, uint8_t *out, size_t *outlen)
{
	uint8_t a[600], b[16];
	const uint8_t *pt;
	CK_ATTRIBUTE t[2];
	CK_ULONG nt = 1;
	size_t raw;
	int r;

	switch (alg) {
	case HSM_ALG_EC_P256:
	case HSM_ALG_EC_P384:
	case HSM_ALG_ED25519:
		t[0] = ATTR(CKA_EC_POINT, a);
		break;
	case HSM_ALG_RSA_2048:
	case HSM_ALG_RSA_3072:
		t[0] = ATTR(CKA_MODULUS, a);
		t[1] = ATTR(CKA_PUBLIC_EXPONENT, b);
		nt = 2;
		break;
	default:
		return HK_EINVAL;
	}
	if ((r = hsm_obj_attrs(p, s, h, t, nt)) != 0)
		return r;
	if (t[0].ulValueLen == CK_UNAVAILABLE_INFORMATION ||
	    (nt == 2 && t[1].ulValueLen == CK_UNAVAILABLE_INFORMATION)) {
		hk_error_f("the public key attributes are unavailable");
		return HK_EHSM;
	}
	if (alg == HSM_ALG_RSA_2048 || alg == HSM_ALG_RSA_3072)
		return hsm_der_spki_rsa(a, t[0].ulValueLen, b, t[1].ulValueLen,
		    out, HSM_SPKI_MAX, outlen);
	raw = alg == HSM_ALG_ED25519 ? 32 : alg == HSM_ALG_EC_P256 ? 65 : 97;
	if ((r = hsm_der_ec_point(a, t[0].ulValueLen, raw, &pt)) != 0) {
		hk_error_f("CKA_EC_POINT has an unexpected form (%lu bytes)",
		    (unsigned long)t[0].ulValueLen);
		return r;
	}
	if (alg == HSM_ALG_ED25519)
		return hsm_der_spki_ed25519(pt, out, HSM_SPKI_MAX, outlen);
	return hsm_der_spki_ec(alg, pt, raw, out, HSM_SPKI_MAX, outlen);
}

/* Label and CKA_TOKEN of ${h} into ${ki}. */
static int
obj_meta(struct hsm_pool *p, struct hsm_session *s, CK_OBJECT_HANDLE h,
    struct hsm_keyinfo *ki)
{
	CK_BBOOL tok = CK_FALSE;
	char label[HSM_LABEL_MAX];
	CK_ATTRIBUTE t[] = {ATTR(CKA_LABEL, label), ATTR(CKA_TOKEN, tok)};
	int r;

	if ((r = hsm_obj_attrs(p, s, h, t, 2)) != 0)
		return r;
	ki->label[0] = '\0';
	if (t[0].ulValueLen != CK_UNAVAILABLE_INFORMATION) {
		memcpy(ki->label, label, t[0].ulValueLen);
		ki->label[t[0].ulValueLen] = '\0';
	}
	ki->token = t[1].ulValueLen == sizeof(tok) && tok == CK_TRUE;
	return 0;
}

/* Describe the signing pair whose private key is ${priv}. */
static int
pair_info(struct hsm_pool *p, struct hsm_session *s, const uint8_t *id,
    CK_OBJECT_HANDLE priv, enum hsm_alg alg, struct hsm_keyinfo *ki)
{
	CK_OBJECT_HANDLE pub[2];
	CK_ULONG n = 0;
	int r;

	memset(ki, 0, sizeof(*ki));
	memcpy(ki->id, id, HSM_KEYID_LEN);
	ki->alg = alg;
	ki->kind = HSM_KIND_SIGN;
	if ((r = obj_meta(p, s, priv, ki)) != 0 ||
	    (r = hsm_obj_find(p, s, CKO_PUBLIC_KEY, id, HSM_KEYID_LEN, pub, 2,
		 &n)) != 0)
		return r;
	if (n > 1) {
		hk_error_f("several public keys share one id");
		return HK_ECORRUPT;
	}
	/* Without a public key object, RSA's public part is on the private
	 * key; an EC private key does not carry its point. */
	if (n == 0 && alg != HSM_ALG_RSA_2048 && alg != HSM_ALG_RSA_3072) {
		hk_error_f("the public key object of an %s key is missing",
		    hsm_alg_name(alg));
		return HK_ENOTFOUND;
	}
	if ((r = obj_spki(p, s, n ? pub[0] : priv, alg, ki->spki,
		 &ki->spki_len)) != 0)
		return r;
	crypto_hash_sha256(ki->fpr, ki->spki, ki->spki_len);
	return 0;
}

/* hsm_key_find() on a checked-out session. */
static int
find_on(struct hsm_pool *p, struct hsm_session *s, const uint8_t *id,
    struct hsm_keyinfo *ki)
{
	CK_OBJECT_HANDLE h[2];
	CK_ULONG n = 0;
	struct hsm_kref ref;
	int r;

	if ((r = hsm_obj_find(p, s, CKO_PRIVATE_KEY, id, HSM_KEYID_LEN, h, 2,
		 &n)) != 0)
		return r;
	if (n > 1)
		return HK_ECORRUPT;
	if (n == 1) {
		if ((r = obj_alg(p, s, h[0], &ref.alg)) != 0)
			return r;
		ref.priv = h[0];
		cache_put(p, id, &ref);
		return pair_info(p, s, id, h[0], ref.alg, ki);
	}
	if ((r = hsm_obj_find(p, s, CKO_SECRET_KEY, id, HSM_KEYID_LEN, h, 2,
		 &n)) != 0)
		return r;
	if (n == 0)
		return HK_ENOTFOUND;
	if (n > 1)
		return HK_ECORRUPT;
	memset(ki, 0, sizeof(*ki));
	memcpy(ki->id, id, HSM_KEYID_LEN);
	ki->kind = HSM_KIND_UNWRAP;
	if ((r = obj_alg(p, s, h[0], &ki->alg)) != 0)
		return r;
	if (ki->alg != HSM_ALG_AES_256)
		return HK_ENOTSUP;
	return obj_meta(p, s, h[0], ki);
}

/** hsm_key_find(p, id, out): describe key ${id}. */
int
hsm_key_find(struct hsm_pool *p, const uint8_t id[static HSM_KEYID_LEN],
    struct hsm_keyinfo *out)
{
	struct hsm_session *s = NULL;
	int r;

	/* Read-locked like a signature: a handle cached here must not be
	 * one a concurrent hsm_key_destroy() is about to free. */
	pthread_rwlock_rdlock(&p->keys_rw);
	if ((r = hsm_session_get(p, NULL, &s)) == 0) {
		r = find_on(p, s, id, out);
		hsm_session_put(p, s);
	}
	pthread_rwlock_unlock(&p->keys_rw);
	return r;
}

struct list_ctx {
	CK_OBJECT_CLASS cls;
	uint8_t (*ids)[HSM_KEYID_LEN];
	size_t n, cap, skipped;
};

static CK_RV
list_op(struct hsm_pool *p, struct hsm_session *s, void *arg,
    const char **fn)
{
	struct list_ctx *c = arg;
	CK_ATTRIBUTE t[] = {ATTR(CKA_TOKEN, ck_true), ATTR(CKA_CLASS, c->cls)};
	CK_OBJECT_HANDLE h[32];
	CK_ULONG got, i;
	uint8_t id[64];
	CK_ATTRIBUTE a;
	void *grown;
	CK_RV rv, rv2;

	*fn = "C_FindObjectsInit";
	if ((rv = p->f->C_FindObjectsInit(s->h, t, 2)) != CKR_OK)
		return rv;
	for (;;) {
		*fn = "C_FindObjects";
		rv = p->f->C_FindObjects(s->h, h, 32, &got);
		if (rv != CKR_OK || got == 0)
			break;
		for (i = 0; i < got; i++) {
			a = ATTR(CKA_ID, id);
			*fn = "C_GetAttributeValue";
			rv = p->f->C_GetAttributeValue(s->h, h[i], &a, 1);
			if (rv == CKR_BUFFER_TOO_SMALL ||
			    rv == CKR_ATTRIBUTE_TYPE_INVALID ||
			    (rv == CKR_OK && a.ulValueLen != HSM_KEYID_LEN)) {
				c->skipped++;
				continue;
			}
			if (rv != CKR_OK)
				goto out;
			if (c->n == c->cap) {
				c->cap = c->cap ? 2 * c->cap : 32;
				grown = realloc(c->ids,
				    c->cap * sizeof(*c->ids));
				if (grown == NULL) {
					rv = CKR_HOST_MEMORY;
					goto out;
				}
				c->ids = grown;
			}
			memcpy(c->ids[c->n++], id, HSM_KEYID_LEN);
		}
	}
out:
	rv2 = p->f->C_FindObjectsFinal(s->h);
	if (rv == CKR_OK) {
		*fn = "C_FindObjectsFinal";
		rv = rv2;
	}
	return rv;
}

/** hsm_key_list(p, cb, arg, skipped): every Hanko key on the token. */
int
hsm_key_list(struct hsm_pool *p, hsm_key_list_cb cb, void *arg,
    size_t *skipped)
{
	static const CK_OBJECT_CLASS classes[] = {CKO_PRIVATE_KEY,
	    CKO_SECRET_KEY};
	struct list_ctx c;
	struct hsm_session *s = NULL;
	struct hsm_keyinfo *ki = NULL;
	size_t i, k, before;
	int r;

	memset(&c, 0, sizeof(c));
	if ((ki = malloc(sizeof(*ki))) == NULL)
		return HK_ENOMEM;
	if ((r = hsm_session_get(p, NULL, &s)) != 0)
		goto out;
	for (k = 0; k < 2; k++) {
		c.cls = classes[k];
		before = c.n;
		r = hsm_session_run(p, s, list_op, &c, true, __func__);
		if (r != 0) {
			c.n = before;
			break;
		}
	}
	hsm_session_put(p, s);
	if (r != 0)
		goto out;
	/* One find per key with no session held between keys, so that a
	 * long listing never pins a session and ${cb} may call the pool. */
	for (i = 0; i < c.n; i++) {
		if ((r = hsm_key_find(p, c.ids[i], ki)) == HK_ENOTSUP ||
		    r == HK_ENOTFOUND) {
			c.skipped++;
			continue;
		}
		if (r != 0 || (r = cb(arg, ki)) != 0)
			goto out;
	}
	r = 0;
out:
	if (skipped != NULL)
		*skipped = c.skipped;
	free(c.ids);
	free(ki);
	return r;
}

/* ---- generation ------------------------------------------------------- */

/* Sign a fixed digest with ${priv} and verify it with OpenSSL against
 * ${spki}: the pairwise consistency check (FIPS 140 style) that ties the
 * SPKI handed out to the private key in the module. */
static int
pairwise_check(struct hsm_pool *p, struct hsm_session *s,
    CK_OBJECT_HANDLE priv, enum hsm_alg alg, const uint8_t *spki,
    size_t spkilen)
{
	uint8_t dg[32], raw[HSM_SIG_MAX], der[HSM_SIG_MAX], di[64];
	const uint8_t *msg = dg, *sig = raw;
	enum hsm_scheme sc;
	enum hsm_hash hash = HSM_HASH_SHA256;
	size_t mlen = sizeof(dg), dlen, siglen;
	CK_ULONG rawlen = 0;
	const char *fn = "?";
	CK_RV rv;
	int r;

	crypto_hash_sha256(dg, (const uint8_t *)HSM_PAIRWISE_MSG,
	    strlen(HSM_PAIRWISE_MSG));
	switch (alg) {
	case HSM_ALG_EC_P256:
	case HSM_ALG_EC_P384:
		sc = HSM_SIG_ECDSA;
		break;
	case HSM_ALG_ED25519:
		sc = HSM_SIG_ED25519;
		hash = HSM_HASH_NONE;
		msg = (const uint8_t *)HSM_PAIRWISE_MSG;
		mlen = strlen(HSM_PAIRWISE_MSG);
		break;
	default:
		sc = HSM_SIG_RSA_PKCS1;
		break;
	}
	if (sc == HSM_SIG_RSA_PKCS1) {
		if ((r = hsm_der_digestinfo(hash, dg, sizeof(dg), di,
			 sizeof(di), &dlen)) != 0)
			return r;
		rv = sign_once(p, s, priv, sc, hash, di, dlen, raw, &rawlen,
		    &fn);
	} else {
		rv = sign_once(p, s, priv, sc, hash, msg, mlen, raw, &rawlen,
		    &fn);
	}
	if (rv != CKR_OK) {
		(void)hsm_session_recover(p, s, rv);
		return hsm_ckr_fail(__func__, fn, rv);
	}
	siglen = rawlen;
	if (sc == HSM_SIG_ECDSA) {
		if ((r = hsm_der_ecdsa_sig(raw, rawlen, der, sizeof(der),
			 &siglen)) != 0)
			return r;
		sig = der;
	}
	if ((r = hsm_der_verify(spki, spkilen, sc, hash, msg, mlen, sig,
		 siglen)) != 0) {
		hk_error_f("pairwise consistency check failed: the module's "
			   "%s signature does not verify with its public key",
		    hsm_alg_name(alg));
		return HK_ESELFTEST;
	}
	return 0;
}

struct keygen_ctx {
	CK_MECHANISM mech;
	CK_ATTRIBUTE *pub, *priv;
	CK_ULONG npub, npriv;
	CK_OBJECT_HANDLE hpub, hpriv;
};

static CK_RV
keygen_op(struct hsm_pool *p, struct hsm_session *s, void *arg,
    const char **fn)
{
	struct keygen_ctx *c = arg;

	*fn = "C_GenerateKeyPair";
	return p->f->C_GenerateKeyPair(s->h, &c->mech, c->pub, c->npub,
	    c->priv, c->npriv, &c->hpub, &c->hpriv);
}

/* Destroy what a failed creation left, logging (not returning) errors. */
static void
undo(struct hsm_pool *p, struct hsm_session *s, CK_OBJECT_HANDLE h1,
    CK_OBJECT_HANDLE h2)
{
	if (h1 != CK_INVALID_HANDLE && hsm_obj_destroy(p, s, h1) != 0)
		hk_error_f("could not remove a half-made key object");
	if (h2 != CK_INVALID_HANDLE && hsm_obj_destroy(p, s, h2) != 0)
		hk_error_f("could not remove a half-made key object");
}

/* Fill ${ki} for a new pair and cache it. */
static int
pair_finish(struct hsm_pool *p, struct hsm_session *s, const uint8_t *id,
    const char *label, enum hsm_alg alg, bool token, CK_OBJECT_HANDLE hpub,
    CK_OBJECT_HANDLE hpriv, struct hsm_keyinfo *ki)
{
	struct hsm_kref ref = {hpriv, alg};
	int r;

	memset(ki, 0, sizeof(*ki));
	memcpy(ki->id, id, HSM_KEYID_LEN);
	ki->alg = alg;
	ki->kind = HSM_KIND_SIGN;
	ki->token = token;
	memcpy(ki->label, label, strlen(label) + 1);
	if ((r = obj_spki(p, s, hpub, alg, ki->spki, &ki->spki_len)) != 0 ||
	    (r = pairwise_check(p, s, hpriv, alg, ki->spki, ki->spki_len)) !=
		0)
		return r;
	crypto_hash_sha256(ki->fpr, ki->spki, ki->spki_len);
	cache_put(p, id, &ref);
	return 0;
}

/** hsm_key_generate(p, alg, label, flags, out): a new key pair. */
int
hsm_key_generate(struct hsm_pool *p, enum hsm_alg alg, const char *label,
    unsigned flags, struct hsm_keyinfo *out)
{
	static CK_MECHANISM_TYPE m_ec[] = {CKM_ECDSA};
	static CK_MECHANISM_TYPE m_rsa[] = {CKM_RSA_PKCS, CKM_RSA_PKCS_PSS};
	static CK_MECHANISM_TYPE m_ed[] = {CKM_EDDSA};
	static CK_ULONG mod_bits[] = {2048, 3072};
	static uint8_t f4[] = {0x01, 0x00, 0x01};
	struct hsm_session *s = NULL;
	struct keygen_ctx c;
	CK_BBOOL *tok = (flags & HSM_KEYGEN_SESSION) ? &ck_false : &ck_true;
	CK_KEY_TYPE kt;
	uint8_t id[HSM_KEYID_LEN];
	char lab[HSM_LABEL_MAX + 1], hex[2 * HSM_KEYID_LEN + 1];
	const uint8_t *params = NULL;
	size_t plen = 0;
	CK_MECHANISM_TYPE *am;
	CK_ULONG amlen;
	int r;

	switch (alg) {
	case HSM_ALG_EC_P256:
	case HSM_ALG_EC_P384:
		c.mech = (CK_MECHANISM){CKM_EC_KEY_PAIR_GEN, NULL, 0};
		kt = CKK_EC;
		am = m_ec;
		amlen = sizeof(m_ec);
		break;
	case HSM_ALG_ED25519:
		if (!p->info.has_eddsa) {
			hk_error_f("the module has no Ed25519 "
				   "(CKM_EC_EDWARDS_KEY_PAIR_GEN, CKM_EDDSA)");
			return HK_ENOTSUP;
		}
		c.mech = (CK_MECHANISM){CKM_EC_EDWARDS_KEY_PAIR_GEN, NULL, 0};
		kt = CKK_EC_EDWARDS;
		am = m_ed;
		amlen = sizeof(m_ed);
		break;
	case HSM_ALG_RSA_2048:
	case HSM_ALG_RSA_3072:
		c.mech = (CK_MECHANISM){CKM_RSA_PKCS_KEY_PAIR_GEN, NULL, 0};
		kt = CKK_RSA;
		am = m_rsa;
		amlen = sizeof(m_rsa);
		break;
	default:
		hk_error_f("cannot generate a signing key of algorithm %d",
		    (int)alg);
		return HK_EINVAL;
	}
	params = hsm_der_ec_params(alg, &plen);
	/* The id comes from the module's RNG (OPS-5). */
	if ((r = hsm_pool_random(p, id, sizeof(id))) != 0 ||
	    (r = hsm_obj_label(label, id, lab)) != 0)
		return r;
	{
		CK_ATTRIBUTE pub[] = {
			ATTR(CKA_KEY_TYPE, kt),
			ATTR_P(CKA_TOKEN, tok, sizeof(*tok)),
			ATTR(CKA_PRIVATE, ck_false),
			ATTR(CKA_VERIFY, ck_true),
			ATTR(CKA_ENCRYPT, ck_false),
			ATTR(CKA_WRAP, ck_false),
			ATTR_P(CKA_ID, id, sizeof(id)),
			ATTR_P(CKA_LABEL, lab, strlen(lab)),
			/* Algorithm-specific, filled below. */
			ATTR_P(CKA_EC_PARAMS, params, plen),
			ATTR_P(CKA_PUBLIC_EXPONENT, f4, sizeof(f4)),
		};
		CK_ATTRIBUTE priv[] = {
			ATTR(CKA_KEY_TYPE, kt),
			ATTR_P(CKA_TOKEN, tok, sizeof(*tok)),
			ATTR(CKA_PRIVATE, ck_true),
			ATTR(CKA_SENSITIVE, ck_true),
			ATTR(CKA_EXTRACTABLE, ck_false),
			ATTR(CKA_SIGN, ck_true),
			ATTR(CKA_SIGN_RECOVER, ck_false),
			ATTR(CKA_DECRYPT, ck_false),
			ATTR(CKA_UNWRAP, ck_false),
			ATTR(CKA_DERIVE, ck_false),
			ATTR_P(CKA_ID, id, sizeof(id)),
			ATTR_P(CKA_LABEL, lab, strlen(lab)),
			ATTR_P(CKA_ALLOWED_MECHANISMS, am, amlen),
		};

		c.pub = pub;
		c.npub = sizeof(pub) / sizeof(pub[0]);
		c.priv = priv;
		c.npriv = sizeof(priv) / sizeof(priv[0]);
		if (kt == CKK_RSA) {
			pub[8] = ATTR_P(CKA_MODULUS_BITS,
			    &mod_bits[alg == HSM_ALG_RSA_3072],
			    sizeof(CK_ULONG));
		} else {
			c.npub--; /* no exponent */
		}
		c.hpub = c.hpriv = CK_INVALID_HANDLE;
		if ((r = hsm_session_get(p, NULL, &s)) != 0)
			return r;
		/* Not retried: a failed generation may have left objects
		 * behind, and a second try would make a second pair. */
		pthread_mutex_lock(&p->objects_mu);
		r = hsm_session_run(p, s, keygen_op, &c, false, __func__);
		pthread_mutex_unlock(&p->objects_mu);
		if (r == 0) {
			r = pair_finish(p, s, id, lab, alg,
			    !(flags & HSM_KEYGEN_SESSION), c.hpub, c.hpriv,
			    out);
			if (r != 0)
				undo(p, s, c.hpriv, c.hpub);
		}
		hsm_session_put(p, s);
	}
	if (r == 0) {
		id_hex(hex, id);
		hk_log_msg((flags & HSM_KEYGEN_SESSION) ? HK_LOG_DEBUG
							: HK_LOG_INFO,
		    __func__, "generated %s key %s \"%s\"%s",
		    hsm_alg_name(alg), hex, lab,
		    (flags & HSM_KEYGEN_SESSION) ? " (session object)" : "");
	}
	return r;
}

/* ---- destruction ------------------------------------------------------ */

/** hsm_key_destroy(p, id): destroy every object with CKA_ID ${id}. */
int
hsm_key_destroy(struct hsm_pool *p, const uint8_t id[static HSM_KEYID_LEN])
{
	static const CK_OBJECT_CLASS order[] = {CKO_PRIVATE_KEY,
	    CKO_SECRET_KEY, CKO_PUBLIC_KEY};
	struct hsm_session *s = NULL;
	CK_OBJECT_HANDLE h[8];
	CK_ULONG n, i, total = 0;
	CK_BBOOL tok = CK_FALSE;
	CK_ATTRIBUTE ta = ATTR(CKA_TOKEN, tok);
	char hex[2 * HSM_KEYID_LEN + 1];
	size_t k;
	int r = 0;

	id_hex(hex, id);
	/* Exclusive: no signature may be running on a handle of this key
	 * (a module may hand the handle number to a new object once this
	 * one is gone). */
	pthread_rwlock_wrlock(&p->keys_rw);
	pthread_mutex_lock(&p->objects_mu);
	cache_del(p, id);
	if ((r = hsm_session_get(p, NULL, &s)) != 0)
		goto out;
	for (k = 0; k < 3 && r == 0; k++) {
		r = hsm_obj_find(p, s, order[k], id, HSM_KEYID_LEN, h, 8, &n);
		if (r == 0 && n > 0 && total == 0)
			r = hsm_obj_attrs(p, s, h[0], &ta, 1);
		for (i = 0; r == 0 && i < n && i < 8; i++, total++)
			r = hsm_obj_destroy(p, s, h[i]);
	}
	hsm_session_put(p, s);
	if (r == 0 && total == 0) {
		hk_warn_f("no key object with id %s", hex);
		r = HK_ENOTFOUND;
	}
out:
	pthread_mutex_unlock(&p->objects_mu);
	pthread_rwlock_unlock(&p->keys_rw);
	if (r == 0)
		hk_log_msg(tok == CK_TRUE ? HK_LOG_INFO : HK_LOG_DEBUG,
		    __func__, "destroyed key %s (%lu objects)", hex,
		    (unsigned long)total);
	return r;
}

/* ---- import ----------------------------------------------------------- */

struct unwrap_ctx {
	CK_MECHANISM mech;
	CK_OBJECT_HANDLE kek;
	const uint8_t *wrapped;
	size_t wlen;
	CK_ATTRIBUTE *t;
	CK_ULONG nt;
	CK_OBJECT_HANDLE out;
};

static CK_RV
unwrap_op(struct hsm_pool *p, struct hsm_session *s, void *arg,
    const char **fn)
{
	struct unwrap_ctx *c = arg;

	*fn = "C_UnwrapKey";
	return p->f->C_UnwrapKey(s->h, &c->mech, c->kek,
	    (CK_BYTE_PTR)c->wrapped, (CK_ULONG)c->wlen, c->t, c->nt, &c->out);
}

struct create_ctx {
	CK_ATTRIBUTE *t;
	CK_ULONG nt;
	CK_OBJECT_HANDLE out;
};

static CK_RV
create_op(struct hsm_pool *p, struct hsm_session *s, void *arg,
    const char **fn)
{
	struct create_ctx *c = arg;

	*fn = "C_CreateObject";
	return p->f->C_CreateObject(s->h, c->t, c->nt, &c->out);
}

/* The import key ${kek}: one secret key that may unwrap. */
static int
kek_find(struct hsm_pool *p, struct hsm_session *s, const uint8_t *kek,
    CK_OBJECT_HANDLE *out)
{
	CK_OBJECT_HANDLE h[2];
	CK_ULONG n = 0;
	char hex[2 * HSM_KEYID_LEN + 1];
	int r;

	if ((r = hsm_obj_find(p, s, CKO_SECRET_KEY, kek, HSM_KEYID_LEN, h, 2,
		 &n)) != 0)
		return r;
	id_hex(hex, kek);
	if (n != 1) {
		hk_error_f("%s import key with id %s",
		    n ? "more than one" : "no", hex);
		return n ? HK_ECORRUPT : HK_ENOTFOUND;
	}
	*out = h[0];
	return 0;
}

/* Create the public key object of an imported pair from ${pk}. */
static int
import_pub(struct hsm_pool *p, struct hsm_session *s, const uint8_t *id,
    const char *lab, const struct hsm_der_pub *pk, CK_OBJECT_HANDLE *out)
{
	CK_OBJECT_CLASS cls = CKO_PUBLIC_KEY;
	CK_KEY_TYPE kt;
	uint8_t pt[2 + sizeof(pk->point)];
	const uint8_t *params;
	size_t plen;
	struct create_ctx c;
	CK_ATTRIBUTE t[] = {
		ATTR(CKA_CLASS, cls),
		ATTR(CKA_KEY_TYPE, kt),
		ATTR(CKA_TOKEN, ck_true),
		ATTR(CKA_PRIVATE, ck_false),
		ATTR(CKA_VERIFY, ck_true),
		ATTR(CKA_ENCRYPT, ck_false),
		ATTR(CKA_WRAP, ck_false),
		ATTR_P(CKA_ID, id, HSM_KEYID_LEN),
		ATTR_P(CKA_LABEL, lab, strlen(lab)),
		{0, NULL, 0},
		{0, NULL, 0},
	};
	int r;

	if (pk->alg == HSM_ALG_RSA_2048 || pk->alg == HSM_ALG_RSA_3072) {
		kt = CKK_RSA;
		t[9] = ATTR_P(CKA_MODULUS, pk->n, pk->nlen);
		t[10] = ATTR_P(CKA_PUBLIC_EXPONENT, pk->e, pk->elen);
	} else {
		kt = pk->alg == HSM_ALG_ED25519 ? CKK_EC_EDWARDS : CKK_EC;
		params = hsm_der_ec_params(pk->alg, &plen);
		/* CKA_EC_POINT is the DER OCTET STRING of the point; every
		 * point here is shorter than 128 bytes. */
		pt[0] = 0x04;
		pt[1] = (uint8_t)pk->ptlen;
		memcpy(pt + 2, pk->point, pk->ptlen);
		t[9] = ATTR_P(CKA_EC_PARAMS, params, plen);
		t[10] = ATTR_P(CKA_EC_POINT, pt, pk->ptlen + 2);
	}
	c.t = t;
	c.nt = sizeof(t) / sizeof(t[0]);
	c.out = CK_INVALID_HANDLE;
	if ((r = hsm_session_run(p, s, create_op, &c, false, __func__)) != 0)
		return r;
	*out = c.out;
	return 0;
}

/* REG-7 (duplicate import): is there already a public key object with the
 * public key ${pk}? Its CKA_ID goes to ${id}. CKA_EC_POINT is searched in
 * both the DER form PKCS#11 specifies and the bare form some modules
 * keep. */
static int
pub_exists(struct hsm_pool *p, struct hsm_session *s,
    const struct hsm_der_pub *pk, uint8_t id[HSM_KEYID_LEN], bool *found)
{
	CK_OBJECT_CLASS cls = CKO_PUBLIC_KEY;
	uint8_t pt[2 + sizeof(pk->point)], idbuf[64];
	CK_OBJECT_HANDLE h;
	CK_ATTRIBUTE t[3], a;
	CK_ULONG n = 0;
	int r, form;

	*found = false;
	t[0] = ATTR(CKA_CLASS, cls);
	for (form = 0; form < 2 && n == 0; form++) {
		if (pk->alg == HSM_ALG_RSA_2048 ||
		    pk->alg == HSM_ALG_RSA_3072) {
			if (form == 1)
				break;
			t[1] = ATTR_P(CKA_MODULUS, pk->n, pk->nlen);
			t[2] = ATTR_P(CKA_PUBLIC_EXPONENT, pk->e, pk->elen);
		} else if (form == 0) {
			pt[0] = 0x04;
			pt[1] = (uint8_t)pk->ptlen;
			memcpy(pt + 2, pk->point, pk->ptlen);
			t[1] = ATTR_P(CKA_EC_POINT, pt, pk->ptlen + 2);
			t[2] = t[1];
		} else {
			t[1] = ATTR_P(CKA_EC_POINT, pk->point, pk->ptlen);
			t[2] = t[1];
		}
		if ((r = hsm_obj_find_by(p, s, t, 3, &h, 1, &n)) != 0)
			return r;
	}
	if (n == 0)
		return 0;
	*found = true;
	memset(id, 0, HSM_KEYID_LEN);
	a = ATTR(CKA_ID, idbuf);
	if ((r = hsm_obj_attrs(p, s, h, &a, 1)) != 0)
		return r;
	if (a.ulValueLen == HSM_KEYID_LEN)
		memcpy(id, idbuf, HSM_KEYID_LEN);
	return 0;
}

/** hsm_key_import(p, kek, alg, label, wrapped, wlen, spki, spkilen, out):
 * unwrap a CA-generated key into the module. */
int
hsm_key_import(struct hsm_pool *p, const uint8_t kek[static HSM_KEYID_LEN],
    enum hsm_alg alg, const char *label, const uint8_t *wrapped, size_t wlen,
    const uint8_t *spki, size_t spkilen, struct hsm_keyinfo *out)
{
	static CK_MECHANISM_TYPE m_ec[] = {CKM_ECDSA};
	static CK_MECHANISM_TYPE m_rsa[] = {CKM_RSA_PKCS, CKM_RSA_PKCS_PSS};
	static CK_MECHANISM_TYPE m_ed[] = {CKM_EDDSA};
	CK_OBJECT_CLASS cls = CKO_PRIVATE_KEY;
	struct hsm_session *s = NULL;
	struct hsm_der_pub *pk = NULL;
	struct unwrap_ctx u;
	CK_OBJECT_HANDLE hpub = CK_INVALID_HANDLE;
	CK_KEY_TYPE kt;
	CK_MECHANISM_TYPE *am;
	CK_ULONG amlen;
	uint8_t id[HSM_KEYID_LEN], dup[HSM_KEYID_LEN];
	char lab[HSM_LABEL_MAX + 1], hex[2 * HSM_KEYID_LEN + 1];
	bool found = false;
	int r;

	u.out = CK_INVALID_HANDLE;
	if (p->wrap_mech == 0) {
		hk_error_f("the module has no RFC 5649 key unwrapping "
			   "(CKM_AES_KEY_WRAP_KWP or CKM_AES_KEY_WRAP_PAD)");
		return HK_ENOTSUP;
	}
	switch (alg) {
	case HSM_ALG_EC_P256:
	case HSM_ALG_EC_P384:
		kt = CKK_EC;
		am = m_ec;
		amlen = sizeof(m_ec);
		break;
	case HSM_ALG_ED25519:
		kt = CKK_EC_EDWARDS;
		am = m_ed;
		amlen = sizeof(m_ed);
		break;
	case HSM_ALG_RSA_2048:
	case HSM_ALG_RSA_3072:
		kt = CKK_RSA;
		am = m_rsa;
		amlen = sizeof(m_rsa);
		break;
	default:
		return HK_EINVAL;
	}
	if (wlen == 0 || wlen > HSM_MSG_MAX)
		return HK_EINVAL;
	if ((pk = malloc(sizeof(*pk))) == NULL)
		return HK_ENOMEM;
	if ((r = hsm_der_spki_parse(spki, spkilen, pk)) != 0 ||
	    pk->alg != alg) {
		hk_error_f("the public key given for the import is not a "
			   "valid %s key", hsm_alg_name(alg));
		r = HK_EINVAL;
		goto out;
	}
	if ((r = hsm_pool_random(p, id, sizeof(id))) != 0 ||
	    (r = hsm_obj_label(label, id, lab)) != 0)
		goto out;
	{
		CK_ATTRIBUTE t[] = {
			ATTR(CKA_CLASS, cls),
			ATTR(CKA_KEY_TYPE, kt),
			ATTR(CKA_TOKEN, ck_true),
			ATTR(CKA_PRIVATE, ck_true),
			ATTR(CKA_SENSITIVE, ck_true),
			ATTR(CKA_EXTRACTABLE, ck_false),
			ATTR(CKA_SIGN, ck_true),
			ATTR(CKA_SIGN_RECOVER, ck_false),
			ATTR(CKA_DECRYPT, ck_false),
			ATTR(CKA_UNWRAP, ck_false),
			ATTR(CKA_DERIVE, ck_false),
			ATTR_P(CKA_ID, id, sizeof(id)),
			ATTR_P(CKA_LABEL, lab, strlen(lab)),
			ATTR_P(CKA_ALLOWED_MECHANISMS, am, amlen),
		};

		u.mech = (CK_MECHANISM){p->wrap_mech, NULL, 0};
		u.wrapped = wrapped;
		u.wlen = wlen;
		u.t = t;
		u.nt = sizeof(t) / sizeof(t[0]);
		if ((r = hsm_session_get(p, NULL, &s)) != 0)
			goto out;
		if ((r = pub_exists(p, s, pk, dup, &found)) != 0)
			goto out;
		if (found) {
			id_hex(hex, dup);
			hk_error_f("refusing a duplicate import: the module "
				   "already holds this public key (key %s)",
			    hex);
			r = HK_EEXIST;
			goto out;
		}
		if ((r = kek_find(p, s, kek, &u.kek)) != 0)
			goto out;
		/* Not retried: it creates an object. */
		if ((r = hsm_session_run(p, s, unwrap_op, &u, false,
			 __func__)) != 0) {
			u.out = CK_INVALID_HANDLE;
			goto out;
		}
	}
	if ((r = import_pub(p, s, id, lab, pk, &hpub)) != 0)
		goto out;
	if ((r = pair_finish(p, s, id, lab, alg, true, hpub, u.out, out)) !=
	    0) {
		if (r == HK_ESELFTEST) {
			hk_error_f("the unwrapped private key does not match "
				   "the public key given with it");
			r = HK_EVERIFY;
		}
		goto out;
	}
	id_hex(hex, id);
	hk_info_f("imported %s key %s \"%s\"", hsm_alg_name(alg), hex, lab);
out:
	if (r != 0 && s != NULL)
		undo(p, s, u.out, hpub);
	if (s != NULL)
		hsm_session_put(p, s);
	free(pk);
	return r;
}
