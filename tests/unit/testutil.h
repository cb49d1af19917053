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

/* lifecycle_next(rnd, nsigners, ev, body, s, c, tag): the next event of a
 * seeded random signer lifecycle over ${nsigners} signers with up to 3
 * credentials each; legal or not (the caller checks it against state).
 * ${s} (16 bytes) and ${c} (40 bytes) hold the ids ${ev} borrows. */
static inline int
lifecycle_next(uint64_t *rnd, unsigned nsigners, struct hk_event *ev,
    struct hk_buf *body, char *s, char *c, uint64_t tag)
{
	static const uint64_t types[] = {HK_EV_SIGNER_REGISTERED,
	    HK_EV_CREDENTIAL_ENROLLED, HK_EV_KEY_GENERATED, HK_EV_CSR_ISSUED,
	    HK_EV_CERT_BOUND, HK_EV_AUTH_GRANTED, HK_EV_SIGNATURE_CREATED,
	    HK_EV_SIGNATURE_CREATED, HK_EV_SUSPENDED, HK_EV_RESUMED,
	    HK_EV_CREDENTIAL_LOCKED, HK_EV_CREDENTIAL_UNLOCKED,
	    HK_EV_KEY_DESTROYED, HK_EV_AUTH_DENIED, HK_EV_SIGNER_UPDATED};
	uint64_t type;

	*rnd = *rnd * 6364136223846793005ULL + 1442695040888963407ULL;
	snprintf(s, 16, "s%u", (unsigned)(*rnd >> 33) % nsigners);
	snprintf(c, 40, "%s-c%u", s, (unsigned)(*rnd >> 40) % 3);
	type = types[(*rnd >> 20) % (sizeof(types) / sizeof(types[0]))];
	return event_build(ev, body, type, s,
	    type == HK_EV_SIGNER_REGISTERED ? "" : c, tag, 16);
}

#endif
