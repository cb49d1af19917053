/* SPDX-License-Identifier: Apache-2.0 */
/*
 * audit_forge: builds audit bundles that break exactly one verification
 * rule each (header-only, static; shared by tests/unit/core/test_audit.c
 * and tests/tools/audit_forge.c). Events are encoded with the event codec
 * and written with the bundle writer (core/audit_export.h), which signs
 * the checkpoint with the test's checkpoint key; real P-256 keys,
 * signatures and self-signed certificates come from OpenSSL. Scenario
 * "ok" is a valid bundle: ~300 filler events (so that there are full,
 * partial and level-1 tiles), a signer with two credentials, grants,
 * signatures, an extension, a lock, a suspension, a resumption, a
 * destruction, and both certificates.
 *
 * Each scenario names the substring of the message `hanko audit verify`
 * must print (docs/audit.md, "Messages").
 */
#ifndef HK_AUDIT_FORGE_H
#define HK_AUDIT_FORGE_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "core/audit.h"
#include "core/audit_export.h"
#include "core/audit_internal.h"
#include "core/codec.h"
#include "core/cpkey.h"
#include "core/event.h"
#include "core/mpk.h"
#include "ledger/ledger_merkle.h"
#include "ledger/ledger_note.h"

static const struct {
	const char *name, *expect;
} forge_scenarios[] = {
	{"ok", NULL},
	{"manifest-altered", "tile/entries/000: altered"},
	{"manifest-digest", "digest does not match its content"},
	{"unlisted-file", "extra.txt: in the bundle but not in its manifest"},
	{"vkey-file", "vkey: the bundle's verifier key is not the one given"},
	{"checkpoint-key", "checkpoint: not signed by the verifier key"},
	{"root", "is not the checkpoint's root"},
	{"tile-level0", "tile/0/000: does not match the hashes recomputed "
			"from the entries"},
	{"tile-level1", "tile/1/000.p/1: does not match the hashes recomputed "
			"from the tiles below"},
	{"profile", "at seq 100: event outside the profile"},
	{"seq", "at seq 100: seq continuity"},
	{"prev", "at seq 100: prev chain broken"},
	{"time", "at seq 100: time goes backwards"},
	{"origin", "at seq 100: the event names another origin"},
	{"genesis-vkey", "at seq 0: the genesis event records another "
			 "verifier key"},
	{"jsonl", "events.jsonl: line 6 is not the decoded event"},
	{"key-fp", "is not the SHA-256 of its SPKI"},
	{"grant-inactive", "authorization.granted for credential c-1 while it "
			   "is suspended"},
	{"sig-inactive", "signature by credential c-3 while it is awaiting "
			 "its certificate"},
	{"sig-suspended", "signature by credential c-1 while it is suspended"},
	{"sig-destroyed", "signature by credential c-1 while it is destroyed"},
	{"sig-locked", "signature by credential c-1 while it is locked"},
	{"sig-no-grant", "but no authorization.granted has that SAD id"},
	{"sig-other-sad", "which was granted to credential c-1"},
	{"sig-count", "exceeds the count of SAD"},
	{"sig-hash", "which SAD"},
	{"sig-extended", "which an extension at seq"},
	{"sig-key", "is not the key bound to credential c-1"},
	{"sig-value", "the signature value does not verify over the hash"},
	{"cert-sha", "its SHA-256 matches no certificate.bound"},
	{"cert-key", "its public key is not the key certificate.bound bound"},
	{"cert-missing", "credential c-2 has a bound certificate that the "
			 "bundle does not account for"},
};

#define FORGE_NSCENARIOS (sizeof(forge_scenarios) / sizeof(forge_scenarios[0]))
#define FORGE_FILLERS 300
#define FORGE_BAD_SEQ 100
#define FORGE_ORIGIN "example.test/hanko/forge"

struct forge_key {
	EVP_PKEY *pk;
	uint8_t id[16];
	uint8_t fp[32];
	uint8_t spki[512];
	size_t spkilen;
};

struct forge {
	const char *sc;
	struct hk_audit_writer *w;
	struct hk_sha256 *h;
	uint8_t prev[32];
	uint64_t seq, t;
	struct forge_key k1, k2;
	char *pem1, *pem1b, *pem2, *pemx; /* certificates (PEM) */
	uint8_t fp1[32], fp1b[32], fp2[32], fpx[32];
	struct hk_buf ev, body;
	int r;
};

static inline int
forge_is(const struct forge *f, const char *sc)
{
	return strcmp(f->sc, sc) == 0;
}

static inline int
forge_keygen(struct forge_key *k, uint8_t tag)
{
	unsigned char *p = NULL;
	unsigned int n = 0;
	int len;

	if ((k->pk = EVP_EC_gen("P-256")) == NULL ||
	    (len = i2d_PUBKEY(k->pk, &p)) <= 0 || (size_t)len > sizeof(k->spki))
		return HK_ECRYPTO;
	memcpy(k->spki, p, (size_t)len);
	k->spkilen = (size_t)len;
	OPENSSL_free(p);
	memset(k->id, tag, sizeof(k->id));
	return EVP_Digest(k->spki, k->spkilen, k->fp, &n, EVP_sha256(), NULL) ==
		1 ? 0 : HK_ECRYPTO;
}

/* A self-signed certificate over ${subject}'s key, signed by ${issuer}. */
static inline char *
forge_cert(struct forge_key *subject, struct forge_key *issuer, long serial,
    uint8_t fp[32])
{
	X509 *x = X509_new();
	X509_NAME *nm = X509_NAME_new();
	BIO *b = BIO_new(BIO_s_mem());
	unsigned char *der = NULL;
	unsigned int n = 0;
	char *out = NULL, *mem;
	long len;
	int dlen;

	if (x == NULL || nm == NULL || b == NULL ||
	    X509_set_version(x, 2) != 1 ||
	    ASN1_INTEGER_set(X509_get_serialNumber(x), serial) != 1 ||
	    X509_NAME_add_entry_by_txt(nm, "CN", MBSTRING_ASC,
		(const unsigned char *)"Forge Test", -1, -1, 0) != 1 ||
	    X509_set_subject_name(x, nm) != 1 ||
	    X509_set_issuer_name(x, nm) != 1 ||
	    X509_gmtime_adj(X509_getm_notBefore(x), 0) == NULL ||
	    X509_gmtime_adj(X509_getm_notAfter(x), 86400) == NULL ||
	    X509_set_pubkey(x, subject->pk) != 1 ||
	    X509_sign(x, issuer->pk, EVP_sha256()) == 0 ||
	    PEM_write_bio_X509(b, x) != 1 || (dlen = i2d_X509(x, &der)) <= 0 ||
	    EVP_Digest(der, (size_t)dlen, fp, &n, EVP_sha256(), NULL) != 1)
		goto out;
	len = BIO_get_mem_data(b, &mem);
	if ((out = malloc((size_t)len + 1)) != NULL) {
		memcpy(out, mem, (size_t)len);
		out[len] = '\0';
	}
out:
	OPENSSL_free(der);
	BIO_free(b);
	X509_NAME_free(nm);
	X509_free(x);
	return out;
}

static inline int
forge_sign(struct forge_key *k, const uint8_t hash[32], uint8_t *sig,
    size_t *siglen)
{
	EVP_PKEY_CTX *c = EVP_PKEY_CTX_new(k->pk, NULL);
	int ok = c != NULL && EVP_PKEY_sign_init(c) == 1 &&
	    EVP_PKEY_sign(c, sig, siglen, hash, 32) == 1;

	EVP_PKEY_CTX_free(c);
	return ok ? 0 : HK_ECRYPTO;
}

/* Append the next event (seq, time, prev filled in, with the scenario's
 * damage at FORGE_BAD_SEQ). */
static inline void
forge_add(struct forge *f, uint64_t type, const char *signer,
    const char *cred)
{
	struct hk_event ev;
	uint8_t leaf[32];

	if (f->r != 0)
		return;
	memset(&ev, 0, sizeof(ev));
	ev.version = HK_EVENT_VERSION;
	ev.origin = (struct hk_bytes){(const uint8_t *)FORGE_ORIGIN,
	    strlen(FORGE_ORIGIN)};
	ev.seq = f->seq;
	ev.time_ms = f->t + f->seq;
	ev.type = type;
	ev.actor_kind = HK_ACTOR_SYSTEM;
	ev.actor_id = (struct hk_bytes){(const uint8_t *)"forge", 5};
	ev.actor_peer = (struct hk_bytes){(const uint8_t *)"", 0};
	ev.signer = (struct hk_bytes){(const uint8_t *)signer, strlen(signer)};
	ev.credential = (struct hk_bytes){(const uint8_t *)cred, strlen(cred)};
	ev.body = (struct hk_bytes){f->body.p, f->body.len};
	memcpy(ev.prev, f->prev, 32);
	if (f->seq == FORGE_BAD_SEQ) {
		if (forge_is(f, "seq"))
			ev.seq++;
		if (forge_is(f, "prev"))
			ev.prev[7] ^= 1;
		if (forge_is(f, "time"))
			ev.time_ms = f->t - 1000;
		if (forge_is(f, "origin"))
			ev.origin = (struct hk_bytes){(const uint8_t *)"other/x",
			    7};
	}
	hk_buf_reset(&f->ev);
	if ((f->r = hk_event_encode(&ev, &f->ev)) != 0)
		return;
	if (f->seq == FORGE_BAD_SEQ && forge_is(f, "profile") &&
	    (f->r = hk_buf_putc(&f->ev, 0xc0)) != 0)
		return;
	if ((f->r = ledger_merkle_leaf_hash(f->h, f->ev.p, f->ev.len, leaf)) !=
		0 ||
	    (f->r = hk_audit_writer_add(f->w, f->ev.p, f->ev.len)) != 0)
		return;
	memcpy(f->prev, leaf, 32);
	f->seq++;
}

/* Body writers: start a map of ${n} pairs in ${w} (which points into
 * itself, so it is never copied). */
static inline void
forge_body(struct forge *f, struct hk_mpk_writer *w, uint32_t n)
{
	hk_buf_reset(&f->body);
	hk_mpk_writer_init(w, &f->body);
	hk_mpk_put_map(w, n);
}

static inline void
forge_kbin(struct hk_mpk_writer *w, uint64_t k, const void *p, size_t n)
{
	hk_mpk_put_uint(w, k);
	hk_mpk_put_bin(w, p, n);
}

static inline void
forge_kstr(struct hk_mpk_writer *w, uint64_t k, const char *s)
{
	hk_mpk_put_uint(w, k);
	hk_mpk_put_cstr(w, s);
}

static inline void
forge_kuint(struct hk_mpk_writer *w, uint64_t k, uint64_t v)
{
	hk_mpk_put_uint(w, k);
	hk_mpk_put_uint(w, v);
}

static inline void
forge_empty(struct forge *f, uint64_t type, const char *sid, const char *cid)
{
	struct hk_mpk_writer w;

	forge_body(f, &w, 0);
	forge_add(f, type, sid, cid);
}

static inline void
forge_keyev(struct forge *f, const char *cid, struct forge_key *k)
{
	struct hk_mpk_writer w;

	forge_body(f, &w, 4);
	uint8_t fp[32];

	memcpy(fp, k->fp, 32);
	if (forge_is(f, "key-fp") && strcmp(cid, "c-2") == 0)
		fp[0] ^= 1;
	forge_kstr(&w, HK_BODY_KEY_ALGORITHM, "p256");
	forge_kbin(&w, HK_BODY_KEY_ID, k->id, 16);
	forge_kbin(&w, HK_BODY_KEY_FINGERPRINT, fp, 32);
	forge_kbin(&w, HK_BODY_KEY_SPKI, k->spki, k->spkilen);
	forge_add(f, HK_EV_KEY_GENERATED, "s-1", cid);
}

static inline void
forge_bound(struct forge *f, const char *cid, const uint8_t kid[16],
    const uint8_t fp[32])
{
	struct hk_mpk_writer w;

	forge_body(f, &w, 6);

	forge_kbin(&w, HK_BODY_CERT_FINGERPRINT, fp, 32);
	forge_kuint(&w, HK_BODY_CERT_NOT_BEFORE, 1700000000);
	forge_kuint(&w, HK_BODY_CERT_NOT_AFTER, 1900000000);
	forge_kstr(&w, HK_BODY_CERT_ISSUER, "CN=Forge Test");
	forge_kstr(&w, HK_BODY_CERT_SERIAL, "01");
	forge_kbin(&w, HK_BODY_CERT_KEY_ID, kid, 16);
	forge_add(f, HK_EV_CERT_BOUND, "s-1", cid);
}

static inline void
forge_hash(uint8_t out[32], int i)
{
	memset(out, 0xa0 + i, 32);
}

static inline void
forge_sad(uint8_t out[32], int i)
{
	memset(out, 0x50 + i, 32);
}

/* authorization.granted of SAD ${sad} for hashes ${h0}..${h1}. */
static inline void
forge_grant(struct forge *f, const char *cid, int sad, int h0, int h1,
    uint64_t num, int extends)
{
	struct hk_mpk_writer w;

	forge_body(f, &w, extends ? 6 : 5);
	uint8_t id[32], h[32];
	int i;

	forge_sad(id, sad);
	forge_kbin(&w, HK_BODY_AUTH_SAD_ID, id, 32);
	forge_kstr(&w, HK_BODY_AUTH_HASH_ALG, "2.16.840.1.101.3.4.2.1");
	hk_mpk_put_uint(&w, HK_BODY_AUTH_HASHES);
	hk_mpk_put_array(&w, (uint32_t)(h1 - h0 + 1));
	for (i = h0; i <= h1; i++) {
		forge_hash(h, i);
		hk_mpk_put_bin(&w, h, 32);
	}
	forge_kuint(&w, HK_BODY_AUTH_NUM, num);
	forge_kuint(&w, HK_BODY_AUTH_EXPIRES, 4000000000000ull);
	if (extends) {
		forge_sad(id, extends);
		forge_kbin(&w, HK_BODY_AUTH_EXTENDS, id, 32);
	}
	forge_add(f, HK_EV_AUTH_GRANTED, "s-1", cid);
}

/* signature.created by ${cid} with SAD ${sad} over hash ${hi}, signed by
 * ${k} (whose key id and fingerprint the event names). */
static inline void
forge_sig(struct forge *f, const char *cid, int sad, int hi,
    struct forge_key *k)
{
	struct hk_mpk_writer w;

	forge_body(f, &w, 7);
	uint8_t id[32], h[32], sig[128];
	size_t siglen = sizeof(sig);

	if (f->r != 0)
		return;
	forge_sad(id, sad);
	forge_hash(h, hi);
	if ((f->r = forge_sign(k, h, sig, &siglen)) != 0)
		return;
	if (forge_is(f, "sig-value") && hi == 1)
		sig[siglen - 1] ^= 1;
	forge_kbin(&w, HK_BODY_SIG_SAD_ID, id, 32);
	forge_kbin(&w, HK_BODY_SIG_KEY_FP, k->fp, 32);
	forge_kstr(&w, HK_BODY_SIG_HASH_ALG, "2.16.840.1.101.3.4.2.1");
	forge_kbin(&w, HK_BODY_SIG_HASH, h, 32);
	forge_kstr(&w, HK_BODY_SIG_ALG, "1.2.840.10045.4.3.2");
	forge_kbin(&w, HK_BODY_SIG_VALUE, sig, siglen);
	forge_kbin(&w, HK_BODY_SIG_KEY_ID, k->id, 16);
	forge_add(f, HK_EV_SIGNATURE_CREATED, "s-1", cid);
}

/* Recompute the manifest's file list (and, with ${root}, its root) and
 * seal it again: what a forger holding nothing but the bundle can do. */
static inline int
forge_reseal(const char *dir, const char *root)
{
	struct hk_buf b = HK_BUF_INIT, out = HK_BUF_INIT;
	json_t *m = NULL, *files, *e;
	const char *key;
	char path[4096], hex[65];
	uint8_t d[32];
	unsigned int n;
	FILE *fp;
	int r = HK_EIO;

	snprintf(path, sizeof(path), "%s/%s", dir, HK_AUDIT_MANIFEST);
	if ((m = json_load_file(path, 0, NULL)) == NULL)
		goto out;
	files = json_object_get(m, "files");
	json_object_foreach(files, key, e) {
		char chunk[65536];
		size_t k;

		snprintf(path, sizeof(path), "%s/%s", dir, key);
		hk_buf_reset(&b);
		if ((fp = fopen(path, "rb")) == NULL)
			goto out;
		while ((k = fread(chunk, 1, sizeof(chunk), fp)) > 0)
			if (hk_buf_put(&b, chunk, k) != 0)
				break;
		fclose(fp);
		if (EVP_Digest(b.p, b.len, d, &n, EVP_sha256(), NULL) != 1)
			goto out;
		hk_hex_encode(hex, d, 32);
		json_object_set_new(e, "sha256", json_string(hex));
		json_object_set_new(e, "size", json_integer((json_int_t)b.len));
	}
	if (root != NULL)
		json_object_set_new(m, "root", json_string(root));
	json_object_del(m, "digest");
	if ((r = hk_audit_manifest_seal(m, &out)) != 0)
		goto out;
	snprintf(path, sizeof(path), "%s/%s", dir, HK_AUDIT_MANIFEST);
	r = HK_EIO;
	if ((fp = fopen(path, "wb")) == NULL)
		goto out;
	if (fwrite(out.p, 1, out.len, fp) == out.len)
		r = 0;
	if (fclose(fp) != 0)
		r = HK_EIO;
out:
	json_decref(m);
	hk_buf_release(&b);
	hk_buf_release(&out);
	return r;
}

static inline int
forge_flip(const char *dir, const char *rel, long off)
{
	char path[4096];
	FILE *fp;
	int c, r = HK_EIO;

	snprintf(path, sizeof(path), "%s/%s", dir, rel);
	if ((fp = fopen(path, "r+b")) == NULL)
		return HK_EIO;
	if (fseek(fp, off, SEEK_SET) == 0 && (c = fgetc(fp)) != EOF &&
	    fseek(fp, off, SEEK_SET) == 0 && fputc(c ^ 1, fp) != EOF)
		r = 0;
	if (fclose(fp) != 0)
		r = HK_EIO;
	return r;
}

static inline int
forge_put(const char *dir, const char *rel, const char *text)
{
	char path[4096];
	FILE *fp;
	int r = 0;

	snprintf(path, sizeof(path), "%s/%s", dir, rel);
	if ((fp = fopen(path, "wb")) == NULL)
		return HK_EIO;
	if (fputs(text, fp) == EOF)
		r = HK_EIO;
	if (fclose(fp) != 0)
		r = HK_EIO;
	return r;
}

/* After the writer: damage that needs the finished bundle. */
static inline int
forge_post(struct forge *f, const char *dir, const struct hk_cpkey *cp)
{
	struct hk_buf body = HK_BUF_INIT, note = HK_BUF_INIT, rb = HK_BUF_INIT,
		      txt = HK_BUF_INIT;
	struct ledger_checkpoint c;
	char path[4096], line[8192];
	json_t *m = NULL;
	FILE *fp;
	size_t blen;
	int r = 0, i;

	if (forge_is(f, "manifest-altered"))
		return forge_flip(dir, "tile/entries/000", 40);
	if (forge_is(f, "unlisted-file"))
		return forge_put(dir, "extra.txt", "hello\n");
	if (forge_is(f, "tile-level0")) {
		if ((r = forge_flip(dir, "tile/0/000", 100)) == 0)
			r = forge_reseal(dir, NULL);
		return r;
	}
	if (forge_is(f, "tile-level1")) {
		if ((r = forge_flip(dir, "tile/1/000.p/1", 3)) == 0)
			r = forge_reseal(dir, NULL);
		return r;
	}
	if (forge_is(f, "manifest-digest")) {
		snprintf(path, sizeof(path), "%s/%s", dir, HK_AUDIT_MANIFEST);
		if ((m = json_load_file(path, 0, NULL)) == NULL)
			return HK_EIO;
		json_object_set_new(m, "tool", json_string("hanko 9.9.9"));
		r = json_dump_file(m, path, JSON_INDENT(1) | JSON_SORT_KEYS) ==
			0 ? 0 : HK_EIO;
		json_decref(m);
		if (r == 0 && (fp = fopen(path, "ab")) != NULL) {
			fputc('\n', fp);
			fclose(fp);
		}
		return r;
	}
	if (forge_is(f, "jsonl")) {
		snprintf(path, sizeof(path), "%s/%s", dir, HK_AUDIT_EVENTS);
		if ((fp = fopen(path, "rb")) == NULL)
			return HK_EIO;
		for (i = 1; fgets(line, sizeof(line), fp) != NULL; i++) {
			if (i == 6 && (r = hk_buf_puts(&txt, "{\"seq\":5}\n")) != 0)
				break;
			if (i != 6 && (r = hk_buf_puts(&txt, line)) != 0)
				break;
		}
		fclose(fp);
		if (r == 0 && hk_buf_cstr(&txt) != NULL &&
		    (r = forge_put(dir, HK_AUDIT_EVENTS,
			 (const char *)txt.p)) == 0)
			r = forge_reseal(dir, NULL);
		hk_buf_release(&txt);
		return r;
	}
	if (forge_is(f, "root")) {
		/* A checkpoint of the right size over another root, signed
		 * by the right key; the manifest follows it. */
		snprintf(path, sizeof(path), "%s/%s", dir, HK_AUDIT_CHECKPOINT);
		if ((fp = fopen(path, "rb")) == NULL)
			return HK_EIO;
		blen = fread(line, 1, sizeof(line) - 1, fp);
		fclose(fp);
		line[blen] = '\0';
		if ((r = ledger_note_checkpoint_parse(line,
			 (size_t)(strstr(line, "\n\n") - line) + 1, &c)) != 0)
			return r;
		c.root[0] ^= 1;
		if ((r = ledger_note_checkpoint_body(c.origin, c.size, c.root,
			 &body)) == 0 &&
		    (r = ledger_note_sign(hk_cpkey_signer(cp),
			 (const char *)body.p, body.len, &note)) == 0 &&
		    (r = hk_b64_append(&rb, c.root, 32)) == 0 &&
		    hk_buf_cstr(&rb) != NULL && hk_buf_cstr(&note) != NULL &&
		    (r = forge_put(dir, HK_AUDIT_CHECKPOINT,
			 (const char *)note.p)) == 0)
			r = forge_reseal(dir, (const char *)rb.p);
		hk_buf_release(&body);
		hk_buf_release(&note);
		hk_buf_release(&rb);
		return r;
	}
	return 0;
}

/** forge_bundle(sc, dir, cp, other): write the bundle of scenario ${sc}
 * to the new directory ${dir}, checkpoints signed by ${cp} (named
 * FORGE_ORIGIN); ${other} is a second key of the same name. 0 or HK_E*. */
static inline int
forge_bundle(const char *sc, const char *dir, const struct hk_cpkey *cp,
    const struct hk_cpkey *other)
{
	struct forge f;
	struct hk_buf vkey = HK_BUF_INIT, ovkey = HK_BUF_INIT, gbody =
					      HK_BUF_INIT;
	const struct hk_cpkey *signer = cp;
	const char *vk, *pem;
	char msg[256];
	int i, r;

	memset(&f, 0, sizeof(f));
	f.sc = sc;
	f.t = 1790000000000ull;
	if ((f.h = hk_sha256_new()) == NULL)
		return HK_ENOMEM;
	if ((r = ledger_note_vkey(FORGE_ORIGIN, hk_cpkey_signer(cp)->pub,
		 &vkey)) != 0 ||
	    (r = ledger_note_vkey(FORGE_ORIGIN, hk_cpkey_signer(other)->pub,
		 &ovkey)) != 0 ||
	    hk_buf_cstr(&vkey) == NULL || hk_buf_cstr(&ovkey) == NULL ||
	    (r = forge_keygen(&f.k1, 0x11)) != 0 ||
	    (r = forge_keygen(&f.k2, 0x22)) != 0 ||
	    (f.pem1 = forge_cert(&f.k1, &f.k1, 1, f.fp1)) == NULL ||
	    (f.pem1b = forge_cert(&f.k1, &f.k1, 2, f.fp1b)) == NULL ||
	    (f.pem2 = forge_cert(&f.k2, &f.k2, 3, f.fp2)) == NULL ||
	    (f.pemx = forge_cert(&f.k2, &f.k2, 4, f.fpx)) == NULL) {
		r = r != 0 ? r : HK_ECRYPTO;
		goto out;
	}
	if ((r = hk_audit_writer_new(dir, 0, &f.w)) != 0)
		goto out;
	/* Genesis and fillers. */
	if ((r = hk_event_genesis_body("hanko forge", forge_is(&f,
		 "genesis-vkey") ? (const char *)ovkey.p : (const char *)vkey.p,
		 &gbody)) != 0)
		goto out;
	hk_buf_reset(&f.body);
	if ((r = hk_buf_put(&f.body, gbody.p, gbody.len)) != 0)
		goto out;
	forge_add(&f, HK_EV_LEDGER_GENESIS, "", "");
	for (i = 0; i < FORGE_FILLERS; i++) {
		struct hk_mpk_writer w;

	forge_body(&f, &w, 1);

		forge_kuint(&w, 1, (uint64_t)i);
		forge_add(&f, HK_EV_CONFIG_APPLIED, "", "");
	}
	/* A signer; c-1 and c-2 active. */
	forge_empty(&f, HK_EV_SIGNER_REGISTERED, "s-1", "");
	forge_empty(&f, HK_EV_CREDENTIAL_CREATED, "s-1", "c-1");
	forge_empty(&f, HK_EV_CREDENTIAL_ENROLLED, "s-1", "c-1");
	forge_keyev(&f, "c-1", &f.k1);
	forge_bound(&f, "c-1", f.k1.id, forge_is(&f, "cert-key") ? f.fpx :
	    f.fp1);
	forge_empty(&f, HK_EV_CREDENTIAL_CREATED, "s-1", "c-2");
	forge_keyev(&f, "c-2", &f.k2);
	forge_bound(&f, "c-2", f.k2.id, f.fp2);
	/* SAD 1: hashes 1..3 (numSignatures 1 for sig-count). */
	forge_grant(&f, "c-1", 1, 1, 3, forge_is(&f, "sig-count") ? 1 : 3, 0);
	if (forge_is(&f, "sig-key"))
		forge_sig(&f, "c-1", 1, 1, &f.k2);
	else if (forge_is(&f, "sig-hash"))
		forge_sig(&f, "c-1", 1, 9, &f.k1);
	else
		forge_sig(&f, "c-1", 1, 1, &f.k1);
	forge_sig(&f, "c-1", 1, 2, &f.k1);
	if (forge_is(&f, "sig-no-grant"))
		forge_sig(&f, "c-1", 7, 3, &f.k1);
	if (forge_is(&f, "sig-other-sad"))
		forge_sig(&f, "c-2", 1, 3, &f.k2);
	if (forge_is(&f, "sig-inactive")) {
		forge_empty(&f, HK_EV_CREDENTIAL_CREATED, "s-1", "c-3");
		forge_keyev(&f, "c-3", &f.k2);
		forge_sig(&f, "c-3", 1, 3, &f.k2);
	}
	/* SAD 2 extends SAD 1, re-granting the hash not yet signed (3). */
	forge_grant(&f, "c-1", 2, 3, 3, 1, 1);
	if (forge_is(&f, "sig-extended"))
		forge_sig(&f, "c-1", 1, 3, &f.k1);
	forge_sig(&f, "c-1", 2, 3, &f.k1);
	/* SAD 3: hashes 5..7; lock, suspension, resumption, destruction. */
	forge_grant(&f, "c-1", 3, 5, 7, 3, 0);
	forge_sig(&f, "c-1", 3, 5, &f.k1);
	forge_empty(&f, HK_EV_CREDENTIAL_LOCKED, "s-1", "c-1");
	if (forge_is(&f, "sig-locked"))
		forge_sig(&f, "c-1", 3, 6, &f.k1);
	forge_empty(&f, HK_EV_CREDENTIAL_UNLOCKED, "s-1", "c-1");
	forge_empty(&f, HK_EV_SUSPENDED, "s-1", "c-1");
	if (forge_is(&f, "sig-suspended"))
		forge_sig(&f, "c-1", 3, 6, &f.k1);
	if (forge_is(&f, "grant-inactive"))
		forge_grant(&f, "c-1", 4, 8, 8, 1, 0);
	forge_empty(&f, HK_EV_RESUMED, "s-1", "c-1");
	forge_sig(&f, "c-1", 3, 6, &f.k1);
	forge_empty(&f, HK_EV_KEY_DESTROYED, "s-1", "c-1");
	if (forge_is(&f, "sig-destroyed"))
		forge_sig(&f, "c-1", 3, 7, &f.k1);
	if ((r = f.r) != 0)
		goto out;
	/* Certificates. */
	pem = forge_is(&f, "cert-sha") ? f.pem1b : forge_is(&f, "cert-key") ?
	    f.pemx : f.pem1;
	if ((r = hk_audit_writer_cert(f.w, "c-1", "s-1", "exported", pem,
		 strlen(pem))) != 0)
		goto out;
	if (!forge_is(&f, "cert-missing") &&
	    (r = hk_audit_writer_cert(f.w, "c-2", "s-1", "exported", f.pem2,
		 strlen(f.pem2))) != 0)
		goto out;
	if (forge_is(&f, "checkpoint-key"))
		signer = other;
	vk = forge_is(&f, "vkey-file") ? (const char *)ovkey.p :
	    (const char *)vkey.p;
	if ((r = hk_audit_writer_finish(f.w, NULL, 0, hk_cpkey_signer(signer),
		 vk, NULL, msg, sizeof(msg))) != 0)
		goto out;
	r = forge_post(&f, dir, cp);
out:
	hk_audit_writer_free(f.w);
	hk_sha256_free(f.h);
	EVP_PKEY_free(f.k1.pk);
	EVP_PKEY_free(f.k2.pk);
	free(f.pem1);
	free(f.pem1b);
	free(f.pem2);
	free(f.pemx);
	hk_buf_release(&f.ev);
	hk_buf_release(&f.body);
	hk_buf_release(&vkey);
	hk_buf_release(&ovkey);
	hk_buf_release(&gbody);
	return r;
}

#endif
