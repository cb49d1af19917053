/* SPDX-License-Identifier: Apache-2.0 */
/*
 * testutil: fixtures shared by unit tests (header-only, static): a
 * throwaway state directory with a checkpoint key and a fresh ledger, and
 * builders for events with a body of a given size.
 */
#ifndef HK_TESTUTIL_H
#define HK_TESTUTIL_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sodium.h>

#include "core/cpkey.h"
#include "core/event.h"
#include "ledger/ledger.h"

struct fixture {
	char dir[256];
	char ledger[300];
	char key[300];
	struct hk_cpkey *k;
	struct ledger *l;
};

static inline int
fixture_rm(const char *dir)
{
	char cmd[600];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	return system(cmd);
}

/* fixture_new_in(f, base, origin): a new ledger with its genesis event in
 * a fresh directory under ${base}, open for writing with default options. */
static inline int
fixture_new_in(struct fixture *f, const char *base, const char *origin)
{
	struct hk_buf vkey = HK_BUF_INIT, body = HK_BUF_INIT;
	struct hk_event ev;
	int r;

	memset(f, 0, sizeof(*f));
	snprintf(f->dir, sizeof(f->dir), "%s/hanko-test-XXXXXX", base);
	if (mkdtemp(f->dir) == NULL)
		return HK_EIO;
	snprintf(f->ledger, sizeof(f->ledger), "%s/ledger", f->dir);
	snprintf(f->key, sizeof(f->key), "%s/checkpoint.key", f->dir);
	if ((r = hk_cpkey_generate(f->key, origin, &f->k)) != 0 ||
	    (r = ledger_note_vkey(origin, hk_cpkey_signer(f->k)->pub, &vkey)) !=
		0 ||
	    hk_buf_cstr(&vkey) == NULL ||
	    (r = hk_event_genesis_body("hanko test", (const char *)vkey.p,
		 &body)) != 0)
		goto out;
	memset(&ev, 0, sizeof(ev));
	ev.type = HK_EV_LEDGER_GENESIS;
	ev.body = (struct hk_bytes){body.p, body.len};
	if ((r = ledger_create(f->ledger, origin, hk_cpkey_signer(f->k), &ev)) !=
	    0)
		goto out;
	r = ledger_open(f->ledger, NULL, hk_cpkey_signer(f->k), &f->l);
out:
	hk_buf_release(&vkey);
	hk_buf_release(&body);
	return r;
}

static inline int
fixture_new(struct fixture *f, const char *origin)
{
	return fixture_new_in(f, "/tmp", origin);
}

static inline int
fixture_reopen(struct fixture *f, const struct ledger_opts *o)
{
	ledger_close(f->l);
	f->l = NULL;
	return ledger_open(f->ledger, o, o && o->readonly ? NULL :
	    hk_cpkey_signer(f->k), &f->l);
}

static inline void
fixture_free(struct fixture *f)
{
	ledger_close(f->l);
	hk_cpkey_free(f->k);
	if (f->dir[0] != '\0')
		fixture_rm(f->dir);
	memset(f, 0, sizeof(*f));
}

/* event_build(ev, body, type, signer, cred, tag, pad): an event whose body
 * is {1: tag, 2: bin(pad bytes)}; strings are borrowed. */
static inline int
event_build(struct hk_event *ev, struct hk_buf *body, uint64_t type,
    const char *signer, const char *cred, uint64_t tag, size_t pad)
{
	static const uint8_t zeros[65536];
	struct hk_mpk_writer w;

	hk_buf_reset(body);
	hk_mpk_writer_init(&w, body);
	hk_mpk_put_map(&w, 2);
	hk_mpk_put_uint(&w, 1);
	hk_mpk_put_uint(&w, tag);
	hk_mpk_put_uint(&w, 2);
	hk_mpk_put_bin(&w, zeros, pad);
	memset(ev, 0, sizeof(*ev));
	ev->type = type;
	ev->actor_kind = HK_ACTOR_SYSTEM;
	ev->actor_id = (struct hk_bytes){(const uint8_t *)"test", 4};
	ev->signer = (struct hk_bytes){(const uint8_t *)signer, strlen(signer)};
	ev->credential = (struct hk_bytes){(const uint8_t *)cred, strlen(cred)};
	ev->body = (struct hk_bytes){body->p, body->len};
	return hk_mpk_writer_status(&w);
}

/* lifecycle_body(type, cred, body): a body with the fields the state fold
 * reads for ${type}; the key id of a credential is derived from its id,
 * so a certificate event can name the key generated before it. */
static inline int
lifecycle_body(uint64_t type, const char *cred, struct hk_buf *body)
{
	uint8_t kid[32], fp[32];
	struct hk_mpk_writer w;

	crypto_hash_sha256(kid, (const uint8_t *)cred, strlen(cred));
	crypto_hash_sha256(fp, kid, sizeof(kid));
	hk_buf_reset(body);
	hk_mpk_writer_init(&w, body);
	switch (type) {
	case HK_EV_SIGNER_REGISTERED:
		hk_mpk_put_map(&w, 2);
		hk_mpk_put_uint(&w, HK_BODY_SG_KIND);
		hk_mpk_put_cstr(&w, "natural");
		hk_mpk_put_uint(&w, HK_BODY_SG_COMMITMENT);
		hk_mpk_put_bin(&w, fp, 32);
		break;
	case HK_EV_CREDENTIAL_CREATED:
		hk_mpk_put_map(&w, 2);
		hk_mpk_put_uint(&w, HK_BODY_CR_ALGORITHM);
		hk_mpk_put_cstr(&w, "p256");
		hk_mpk_put_uint(&w, HK_BODY_CR_LEVEL);
		hk_mpk_put_uint(&w, 2);
		break;
	case HK_EV_KEY_GENERATED:
	case HK_EV_KEY_IMPORTED:
		hk_mpk_put_map(&w, 4);
		hk_mpk_put_uint(&w, HK_BODY_KEY_ALGORITHM);
		hk_mpk_put_cstr(&w, "p256");
		hk_mpk_put_uint(&w, HK_BODY_KEY_ID);
		hk_mpk_put_bin(&w, kid, 16);
		hk_mpk_put_uint(&w, HK_BODY_KEY_FINGERPRINT);
		hk_mpk_put_bin(&w, fp, 32);
		hk_mpk_put_uint(&w, HK_BODY_KEY_SPKI);
		hk_mpk_put_bin(&w, fp, 20);
		break;
	case HK_EV_CSR_ISSUED:
	case HK_EV_CSR_CONFIRMED:
		hk_mpk_put_map(&w, 1);
		hk_mpk_put_uint(&w, HK_BODY_CSR_SHA256);
		hk_mpk_put_bin(&w, fp, 32);
		break;
	case HK_EV_CERT_BOUND:
		hk_mpk_put_map(&w, 4);
		hk_mpk_put_uint(&w, HK_BODY_CERT_FINGERPRINT);
		hk_mpk_put_bin(&w, fp, 32);
		hk_mpk_put_uint(&w, HK_BODY_CERT_NOT_BEFORE);
		hk_mpk_put_uint(&w, 1700000000);
		hk_mpk_put_uint(&w, HK_BODY_CERT_NOT_AFTER);
		hk_mpk_put_uint(&w, 1900000000);
		hk_mpk_put_uint(&w, HK_BODY_CERT_KEY_ID);
		hk_mpk_put_bin(&w, kid, 16);
		break;
	default:
		hk_mpk_put_map(&w, 0);
	}
	return hk_mpk_writer_status(&w);
}

/* lifecycle_event(ev, body, type, signer, cred): an event of ${type} with
 * a lifecycle body; strings are borrowed. */
static inline int
lifecycle_event(struct hk_event *ev, struct hk_buf *body, uint64_t type,
    const char *signer, const char *cred)
{
	int r;

	if ((r = lifecycle_body(type, cred, body)) != 0)
		return r;
	memset(ev, 0, sizeof(*ev));
	ev->type = type;
	ev->actor_kind = HK_ACTOR_SYSTEM;
	ev->actor_id = (struct hk_bytes){(const uint8_t *)"test", 4};
	ev->signer = (struct hk_bytes){(const uint8_t *)signer, strlen(signer)};
	ev->credential = (struct hk_bytes){(const uint8_t *)cred, strlen(cred)};
	ev->body = (struct hk_bytes){body->p, body->len};
	return 0;
}

/* lifecycle_next(rnd, nsigners, ev, body, s, c): the next event of a
 * seeded random signer lifecycle over ${nsigners} signers with up to 3
 * credentials each; legal or not (the caller checks it against state).
 * ${s} (16 bytes) and ${c} (40 bytes) hold the ids ${ev} borrows. */
static inline int
lifecycle_next(uint64_t *rnd, unsigned nsigners, struct hk_event *ev,
    struct hk_buf *body, char *s, char *c)
{
	static const uint64_t types[] = {HK_EV_SIGNER_REGISTERED,
	    HK_EV_CREDENTIAL_CREATED, HK_EV_CREDENTIAL_ENROLLED,
	    HK_EV_KEY_GENERATED, HK_EV_CSR_ISSUED, HK_EV_CSR_CONFIRMED,
	    HK_EV_CERT_BOUND, HK_EV_AUTH_GRANTED, HK_EV_SIGNATURE_CREATED,
	    HK_EV_SIGNATURE_CREATED, HK_EV_SUSPENDED, HK_EV_RESUMED,
	    HK_EV_CREDENTIAL_LOCKED, HK_EV_CREDENTIAL_UNLOCKED,
	    HK_EV_KEY_DESTROYED, HK_EV_AUTH_DENIED, HK_EV_SIGNER_UPDATED};
	uint64_t type;

	*rnd = *rnd * 6364136223846793005ULL + 1442695040888963407ULL;
	snprintf(s, 16, "s%u", (unsigned)(*rnd >> 33) % nsigners);
	snprintf(c, 40, "%s-c%u", s, (unsigned)(*rnd >> 40) % 3);
	type = types[(*rnd >> 20) % (sizeof(types) / sizeof(types[0]))];
	return lifecycle_event(ev, body, type, s,
	    type == HK_EV_SIGNER_REGISTERED ? "" : c);
}

#endif
