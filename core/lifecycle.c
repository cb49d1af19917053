/* SPDX-License-Identifier: Apache-2.0 */
/*
 * lifecycle: the admin and signer API of issue 5, in the core (see
 * lifecycle.h and docs/admin-api.md). REG-1..6, REG-8, END-1..3, OPS-1,
 * OPS-2, OPS-6, ACT-9.
 *
 * Every admin request, allowed or refused, ends with an admin.request
 * event naming the certificate fingerprint, the peer, the operation, the
 * target and the outcome (OPS-6). Personal data never enters an event:
 * identity attributes, CSRs and certificates (which name the signer) live
 * in the vault, the attributes sealed under a per-signer data key that is
 * itself sealed by an AES key inside the HSM (REG-1); events carry ids,
 * hashes, fingerprints and public keys.
 */
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <sodium.h>

#include "core/audit_api.h"
#include "core/audit_bundle.h"
#include "core/certcheck.h"
#include "core/codec.h"
#include "core/csr.h"
#include "core/lifecycle.h"
#include "core/log.h"
#include "core/pki.h"
#include "core/seal.h"
#include "core/totp.h"

#define QUEUE_MAX 1024
#define APPROVAL_MS (24ULL * 3600 * 1000)
#define NONCE_S 60
#define NONCES_MAX 4096
#define CODE_BYTES 15 /* 120 bits: 24 base32 characters */

/* Roles, as a bit mask. */
enum {
	R_ADMIN = 1,
	R_SO = 2,
	R_AUDITOR = 4,
	R_OPERATOR = 8,
};

struct job {
	struct job *next;
	uint64_t id, type;
	uint64_t listener;
	bool has_cert;
	uint8_t fp[32];
	char fp_hex[65];
	char peer[128];
	char subject[256];
	char tls[33];
	struct hk_buf auth;   /* Authorization header (secret) */
	struct hk_buf body;   /* request body map */
	/* The answer. */
	unsigned status;
	struct hk_buf resp;
	/* For admin.request. */
	char target[80];
	char reason[160];
	/* The authenticated signer (signer routes). */
	char sid[HK_STATE_ID_MAX];
};

struct nonce {
	char value[33];
	char sid[HK_STATE_ID_MAX];
	uint64_t expires;
	bool used;
};

/* A queue and its worker thread. */
struct lane {
	struct hk_lc *lc;
	pthread_t thread;
	bool started;
	pthread_cond_t cv;
	struct job *head, **tail;
	size_t queued, max;
};

struct hk_lc {
	struct hk_lc_opts o;
	struct hk_certcheck_store *trust;
	X509_STORE *operators;
	pthread_mutex_t mu;   /* the lanes' queues, stopping */
	/* Lane 0 runs every operation but the bundle exports, which take
	 * seconds and run on lane 1 so that nothing waits behind them. */
	struct lane lane[2];
	bool stopping;
	struct hk_audit_spool *spool; /* NULL: no bundle downloads */
	struct nonce nonces[NONCES_MAX];
	size_t nnonces;
};

typedef void (*handler_fn)(struct hk_lc *lc, struct job *j);

/* ---- small helpers -------------------------------------------------------- */

static uint64_t
now_s(void)
{
	return (uint64_t)time(NULL);
}

static uint64_t
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* The body of an answer: a map of n entries the caller then writes. */
static void
resp_map(struct job *j, struct hk_mpk_writer *w, uint32_t n)
{
	hk_buf_reset(&j->resp);
	hk_mpk_writer_init(w, &j->resp);
	hk_mpk_put_map(w, n);
}

static void
fail(struct job *j, unsigned status, const char *code, const char *desc)
{
	struct hk_mpk_writer w;

	j->status = status;
	resp_map(j, &w, 2);
	hk_mpk_put_uint(&w, 1);
	hk_mpk_put_cstr(&w, code);
	hk_mpk_put_uint(&w, 2);
	hk_mpk_put_cstr(&w, desc);
	if (hk_mpk_writer_status(&w) != 0) {
		hk_buf_reset(&j->resp);
		if (hk_buf_put(&j->resp, "\x80", 1) != 0)
			j->resp.len = 0;
	}
	snprintf(j->reason, sizeof(j->reason), "%s", desc);
}

static void
ok_status(struct job *j, const struct hk_mpk_writer *w)
{
	j->status = hk_mpk_writer_status(w) == 0 ? 200 : 500;
	if (j->status != 200)
		fail(j, 500, "internal_error", "cannot encode the answer");
}

/* Request fields: the body map's value at ${key}. */
static int
field(const struct job *j, uint64_t key, struct hk_mpk_reader *r)
{
	struct hk_bytes v;
	int e;

	if ((e = hk_event_body_value((struct hk_bytes){j->body.p, j->body.len},
		 key, &v)) != 0)
		return e;
	hk_mpk_reader_init(r, v.p, v.n);
	return 0;
}

static int
field_bytes(const struct job *j, uint64_t key, struct hk_bytes *out)
{
	struct hk_mpk_reader r;
	int e;

	if ((e = field(j, key, &r)) != 0)
		return e;
	return hk_mpk_get_str(&r, out);
}

/* field_str(j, key, out, max): a text field into ${out}; absent gives "". */
static int
field_str(const struct job *j, uint64_t key, char *out, size_t max)
{
	struct hk_bytes b;
	int e;

	out[0] = '\0';
	if ((e = field_bytes(j, key, &b)) == HK_ENOTFOUND)
		return 0;
	if (e != 0)
		return e;
	if (b.n >= max)
		return HK_ETOOBIG;
	memcpy(out, b.p, b.n);
	out[b.n] = '\0';
	return 0;
}

static int
field_uint(const struct job *j, uint64_t key, uint64_t *out)
{
	struct hk_mpk_reader r;
	int e;

	if ((e = field(j, key, &r)) != 0)
		return e;
	return hk_mpk_get_uint(&r, out);
}

static bool
valid_id(const char *id, char prefix)
{
	size_t i;

	if (strlen(id) != 18 || id[0] != prefix || id[1] != '-')
		return false;
	for (i = 2; i < 18; i++)
		if (!((id[i] >= '0' && id[i] <= '9') ||
			(id[i] >= 'a' && id[i] <= 'f')))
			return false;
	return true;
}

static int
rng(void *arg, uint8_t *buf, size_t n)
{
	struct hk_lc *lc = arg;

	return hsm_pool_random(lc->o.pool, buf, n);
}

/* new_id(lc, prefix, out): "x-" and 16 hex digits from the module RNG
 * (OPS-5). */
static int
new_id(struct hk_lc *lc, char prefix, char out[19])
{
	uint8_t b[8];
	int r;

	if ((r = rng(lc, b, sizeof(b))) != 0)
		return r;
	out[0] = prefix;
	out[1] = '-';
	hk_hex_encode(out + 2, b, sizeof(b));
	return 0;
}

/* ---- events -------------------------------------------------------------- */

/* emit(lc, j, type, sid, cid, body, ops, nops, why): one event by the
 * job's actor: checked against the state, appended with its vault records,
 * durable, then applied. HK_ESTATE (with ${why}) when illegal. */
static int
emit(struct hk_lc *lc, const struct job *j, uint64_t type, const char *sid,
    const char *cid, const struct hk_buf *body,
    const struct ledger_vault_op *ops, size_t nops, const char **why)
{
	struct hk_event ev;
	const char *w = NULL;
	int r;

	memset(&ev, 0, sizeof(ev));
	ev.type = type;
	if (j == NULL) {
		ev.actor_kind = HK_ACTOR_SYSTEM;
		ev.actor_id = (struct hk_bytes){(const uint8_t *)"hankod", 6};
		ev.actor_channel = HK_CHANNEL_INTERNAL;
	} else if (j->listener == HK_IPC_ADMIN) {
		ev.actor_kind = HK_ACTOR_PRIVILEGED;
		ev.actor_id = (struct hk_bytes){(const uint8_t *)j->fp_hex,
		    j->has_cert ? 64 : 0};
		ev.actor_channel = HK_CHANNEL_ADMIN;
	} else {
		ev.actor_kind = j->sid[0] ? HK_ACTOR_SIGNER : HK_ACTOR_SYSTEM;
		ev.actor_id = (struct hk_bytes){(const uint8_t *)j->sid,
		    strlen(j->sid)};
		ev.actor_channel = HK_CHANNEL_SIGNING;
	}
	if (j != NULL)
		ev.actor_peer = (struct hk_bytes){(const uint8_t *)j->peer,
		    strlen(j->peer)};
	ev.signer = (struct hk_bytes){(const uint8_t *)sid, strlen(sid)};
	ev.credential = (struct hk_bytes){(const uint8_t *)cid, strlen(cid)};
	ev.body = (struct hk_bytes){body->p, body->len};
	/* Decide, append and apply as one step: the SAM's signHash appends
	 * under the same lock, so neither overtakes the other. */
	hk_state_decide_lock(lc->o.state);
	if ((r = hk_state_check(lc->o.state, &ev, &w)) != 0) {
		hk_state_decide_unlock(lc->o.state);
		if (why != NULL)
			*why = w;
		return r;
	}
	if ((r = ledger_append_vault_wait(lc->o.ledger, &ev, ops, nops,
		 &ev.seq)) != 0) {
		hk_state_decide_unlock(lc->o.state);
		return r;
	}
	if (hk_state_apply(lc->o.state, &ev, &w) != 0)
		hk_error_f("state refused a committed %s at seq %" PRIu64 ": %s",
		    hk_event_type_name(type), ev.seq, w);
	hk_state_decide_unlock(lc->o.state);
	return 0;
}

/* A body being built; check ->w's status once at the end. */
struct bb {
	struct hk_buf buf;
	struct hk_mpk_writer w;
};

static void
bb_init(struct bb *b, uint32_t n)
{
	b->buf = (struct hk_buf)HK_BUF_INIT;
	hk_mpk_writer_init(&b->w, &b->buf);
	hk_mpk_put_map(&b->w, n);
}

static void
bb_str(struct bb *b, uint64_t key, const char *s)
{
	hk_mpk_put_uint(&b->w, key);
	hk_mpk_put_cstr(&b->w, s);
}

static void
bb_uint(struct bb *b, uint64_t key, uint64_t v)
{
	hk_mpk_put_uint(&b->w, key);
	hk_mpk_put_uint(&b->w, v);
}

static void
bb_bool(struct bb *b, uint64_t key, bool v)
{
	hk_mpk_put_uint(&b->w, key);
	hk_mpk_put_bool(&b->w, v);
}

static void
bb_bin(struct bb *b, uint64_t key, const void *p, size_t n)
{
	hk_mpk_put_uint(&b->w, key);
	hk_mpk_put_bin(&b->w, p, n);
}

/* emit_simple(): emit with a finished bb, releasing it. */
static int
emit_bb(struct hk_lc *lc, const struct job *j, uint64_t type,
    const char *sid, const char *cid, struct bb *b,
    const struct ledger_vault_op *ops, size_t nops, const char **why)
{
	int r = hk_mpk_writer_status(&b->w);

	if (r == 0)
		r = emit(lc, j, type, sid, cid, &b->buf, ops, nops, why);
	hk_buf_release(&b->buf);
	return r;
}

/* Map an emit() failure to an answer. */
static void
fail_emit(struct job *j, int r, const char *why)
{
	if (r == HK_ESTATE)
		fail(j, 409, "conflict", why != NULL ? why :
		    "illegal state transition");
	else if (r == HK_ELEDGER_FAILED || r == HK_ECLOSED)
		fail(j, 503, "unavailable", "the ledger refuses writes");
	else
		fail(j, 500, "internal_error", hk_strerror(r));
}

/* ---- vault --------------------------------------------------------------- */

static int
vault_get(struct hk_lc *lc, const char *key, struct hk_buf *out)
{
	return ledger_vault_get(lc->o.ledger, (const uint8_t *)key, strlen(key),
	    out);
}

static struct ledger_vault_op
vput(const char *key, const void *val, size_t n)
{
	return (struct ledger_vault_op){(const uint8_t *)key, strlen(key),
	    (const uint8_t *)val, n};
}

static struct ledger_vault_op
vdel(const char *key)
{
	return (struct ledger_vault_op){(const uint8_t *)key, strlen(key), NULL,
	    0};
}

/* The data key of signer ${sid}, unsealed by the HSM into ${key}
 * (HK_SEAL_KEY_LEN bytes, the caller's guarded memory). */
static int
data_key(struct hk_lc *lc, const char *sid, uint8_t *key)
{
	struct hk_buf sealed = HK_BUF_INIT;
	char vk[64];
	size_t n = 0;
	int r;

	snprintf(vk, sizeof(vk), "sk/%s", sid);
	if ((r = vault_get(lc, vk, &sealed)) == 0)
		r = hsm_unseal(lc->o.pool, lc->o.cfg->vault_key,
		    (const uint8_t *)sid, strlen(sid), sealed.p, sealed.len, key,
		    &n);
	if (r == 0 && n != HK_SEAL_KEY_LEN)
		r = HK_ECORRUPT;
	hk_buf_release(&sealed);
	return r;
}

/* The decrypted attributes of ${sid} into ${plain} (to wipe) and ${a}. */
static int
attributes(struct hk_lc *lc, const char *sid, uint8_t *plain, size_t max,
    struct hk_seal_attrs *a)
{
	struct hk_buf box = HK_BUF_INIT;
	uint8_t *key = hk_seal_key_new();
	char vk[64];
	size_t n;
	int r;

	if (key == NULL)
		return HK_ENOMEM;
	snprintf(vk, sizeof(vk), "sa/%s", sid);
	if ((r = data_key(lc, sid, key)) == 0 && (r = vault_get(lc, vk, &box)) ==
	    0 &&
	    (r = hk_seal_decrypt(key, box.p, box.len, plain, max, &n)) == 0)
		r = hk_seal_attrs_decode(plain, n, a);
	hk_seal_key_free(key);
	hk_buf_release(&box);
	return r;
}

/*
 * Personal data other than the attributes (the CSR and the certificate
 * name the signer) is kept like them: sealed under the signer's data key
 * (REG-1), so nothing personal is in clear in data.mdb and erasure makes
 * it unrecoverable too. seal_personal() boxes ${n} bytes into ${out};
 * vault_get_personal() reads and opens one.
 */
static int
seal_personal(struct hk_lc *lc, const char *sid, const void *plain, size_t n,
    struct hk_buf *out)
{
	uint8_t *key = hk_seal_key_new();
	size_t blen = 0;
	int r;

	if (key == NULL)
		return HK_ENOMEM;
	hk_buf_reset(out);
	if ((r = data_key(lc, sid, key)) == 0 &&
	    (r = hk_buf_reserve(out, HK_SEAL_SEALED_LEN(n))) == 0 &&
	    (r = hk_seal_encrypt(key, plain, n, rng, lc, out->p,
		 HK_SEAL_SEALED_LEN(n), &blen)) == 0)
		out->len = blen;
	hk_seal_key_free(key);
	return r;
}

static int
vault_get_personal(struct hk_lc *lc, const char *sid, const char *vk,
    struct hk_buf *out)
{
	struct hk_buf box = HK_BUF_INIT;
	uint8_t *key = hk_seal_key_new();
	size_t n = 0;
	int r;

	if (key == NULL)
		return HK_ENOMEM;
	hk_buf_reset(out);
	if ((r = vault_get(lc, vk, &box)) == 0 &&
	    (r = box.len < HK_SEAL_OVERHEAD ? HK_ECORRUPT : 0) == 0 &&
	    (r = data_key(lc, sid, key)) == 0 &&
	    (r = hk_buf_reserve(out, box.len - HK_SEAL_OVERHEAD + 1)) == 0 &&
	    (r = hk_seal_decrypt(key, box.p, box.len, out->p,
		 box.len - HK_SEAL_OVERHEAD + 1, &n)) == 0)
		out->len = n;
	hk_seal_key_free(key);
	hk_buf_release(&box);
	return r;
}

/* ---- privileged users ------------------------------------------------------ */

static unsigned
role_bit(const char *role)
{
	if (strcmp(role, "administrator") == 0)
		return R_ADMIN;
	if (strcmp(role, "security_officer") == 0)
		return R_SO;
	if (strcmp(role, "auditor") == 0)
		return R_AUDITOR;
	if (strcmp(role, "operator") == 0)
		return R_OPERATOR;
	return 0;
}

/* A certificate in PEM that the operator CA issued for TLS clients. */
static int
operator_cert(struct hk_lc *lc, struct hk_bytes pem, X509 **out)
{
	X509_STORE_CTX *ctx = NULL;
	X509 *x = NULL;
	BIO *bio;
	int r = HK_EINVAL;

	if ((bio = BIO_new_mem_buf(pem.p, (int)pem.n)) == NULL)
		return HK_ENOMEM;
	x = PEM_read_bio_X509(bio, NULL, NULL, NULL);
	BIO_free(bio);
	if (x == NULL || (ctx = X509_STORE_CTX_new()) == NULL ||
	    X509_STORE_CTX_init(ctx, lc->operators, x, NULL) != 1)
		goto out;
	X509_STORE_CTX_set_purpose(ctx, X509_PURPOSE_SSL_CLIENT);
	if (X509_verify_cert(ctx) != 1)
		goto out;
	*out = x;
	x = NULL;
	r = 0;
out:
	X509_STORE_CTX_free(ctx);
	X509_free(x);
	return r;
}

/* ---- the operations ---------------------------------------------------------- */

static void
op_status(struct hk_lc *lc, struct job *j)
{
	struct hk_mpk_writer w;
	struct hk_puser_info u;
	uint64_t size = 0, signers, creds;

	if (ledger_size(lc->o.ledger, &size, NULL) != 0)
		size = 0;
	hk_state_counts(lc->o.state, &signers, &creds);
	if (hk_state_puser(lc->o.state, j->fp, &u) != 0)
		u.role[0] = '\0';
	resp_map(j, &w, 5);
	hk_mpk_put_uint(&w, 1);
	hk_mpk_put_cstr(&w, lc->o.cfg->origin);
	hk_mpk_put_uint(&w, 2);
	hk_mpk_put_uint(&w, size);
	hk_mpk_put_uint(&w, 3);
	hk_mpk_put_uint(&w, signers);
	hk_mpk_put_uint(&w, 4);
	hk_mpk_put_uint(&w, creds);
	hk_mpk_put_uint(&w, 5);
	hk_mpk_put_cstr(&w, u.role);
	ok_status(j, &w);
}

struct list_ctx {
	struct hk_mpk_writer *w;
	uint32_t n;
	bool count_only;
	uint64_t now;
};

static int
user_cb(void *arg, const struct hk_puser_info *u)
{
	struct list_ctx *c = arg;
	char hex[65];

	c->n++;
	if (c->count_only)
		return 0;
	hk_hex_encode(hex, u->fp, 32);
	hk_mpk_put_map(c->w, 4);
	hk_mpk_put_uint(c->w, 1);
	hk_mpk_put_cstr(c->w, hex);
	hk_mpk_put_uint(c->w, 2);
	hk_mpk_put_cstr(c->w, u->subject);
	hk_mpk_put_uint(c->w, 3);
	hk_mpk_put_cstr(c->w, u->role);
	hk_mpk_put_uint(c->w, 4);
	hk_mpk_put_bool(c->w, u->active);
	return 0;
}

static void
op_users_list(struct hk_lc *lc, struct job *j)
{
	struct hk_mpk_writer w;
	struct list_ctx c = {&w, 0, true, 0};

	(void)hk_state_foreach_puser(lc->o.state, user_cb, &c);
	resp_map(j, &w, 1);
	hk_mpk_put_uint(&w, 1);
	hk_mpk_put_array(&w, c.n);
	c.count_only = false;
	(void)hk_state_foreach_puser(lc->o.state, user_cb, &c);
	ok_status(j, &w);
}

/* request_approval(): record a dual-control request and answer its id. */
static void
request_approval(struct hk_lc *lc, struct job *j, const char *op,
    const char *target, const char *sid, const char *cid, const char *role,
    const uint8_t *cert, size_t certlen, const char *reason)
{
	struct hk_mpk_writer w;
	struct bb b;
	const char *why = NULL;
	char id[19];
	int r;

	if ((r = new_id(lc, 'a', id)) != 0) {
		fail(j, 500, "internal_error", "no random id");
		return;
	}
	bb_init(&b, 4 + (role != NULL) + (cert != NULL) + (reason != NULL));
	bb_str(&b, HK_BODY_AP_ID, id);
	bb_str(&b, HK_BODY_AP_OPERATION, op);
	bb_str(&b, HK_BODY_AP_TARGET, target);
	bb_uint(&b, HK_BODY_AP_EXPIRES, now_ms() + APPROVAL_MS);
	if (role != NULL)
		bb_str(&b, HK_BODY_AP_ROLE, role);
	if (cert != NULL)
		bb_bin(&b, HK_BODY_AP_CERT, cert, certlen);
	if (reason != NULL)
		bb_str(&b, HK_BODY_AP_REASON, reason);
	if ((r = emit_bb(lc, j, HK_EV_APPROVAL_REQUESTED, sid, cid, &b, NULL, 0,
		 &why)) != 0) {
		fail_emit(j, r, why);
		return;
	}
	resp_map(j, &w, 1);
	hk_mpk_put_uint(&w, 1);
	hk_mpk_put_cstr(&w, id);
	ok_status(j, &w);
}

static void
op_users_add(struct hk_lc *lc, struct job *j)
{
	struct hk_puser_info u;
	struct hk_bytes pem;
	unsigned char *der = NULL;
	X509 *x = NULL;
	uint8_t fp[32];
	char role[24], hex[65];
	int n;

	if (field_bytes(j, 1, &pem) != 0 ||
	    field_str(j, 2, role, sizeof(role)) != 0 || role_bit(role) == 0) {
		fail(j, 400, "invalid_request", "certificate and a role "
						"(administrator, security_officer, "
						"auditor, operator) are required");
		return;
	}
	if (operator_cert(lc, pem, &x) != 0) {
		fail(j, 400, "invalid_request", "not a client certificate issued "
						"by the operator CA");
		return;
	}
	if (hk_pki_fingerprint(x, fp) != 0 || (n = i2d_X509(x, &der)) <= 0) {
		fail(j, 500, "internal_error", "cannot read the certificate");
		goto out;
	}
	hk_hex_encode(hex, fp, 32);
	snprintf(j->target, sizeof(j->target), "%s", hex);
	if (hk_state_puser(lc->o.state, fp, &u) == 0 && u.active) {
		fail(j, 409, "conflict", "already an active privileged user");
		goto out;
	}
	request_approval(lc, j, "user.add", hex, "", "", role, der, (size_t)n,
	    NULL);
out:
	OPENSSL_free(der);
	X509_free(x);
}

static int
count_so(void *arg, const struct hk_puser_info *u)
{
	if (u->active && strcmp(u->role, "security_officer") == 0)
		(*(unsigned *)arg)++;
	return 0;
}

/* Whether ${hex} names the only active security officer. */
static bool
last_so(struct hk_lc *lc, const char *hex)
{
	struct hk_puser_info u;
	uint8_t fp[32];
	size_t n;
	unsigned sos = 0;

	if (hk_hex_decode(fp, 32, hex, strlen(hex), &n) != 0 ||
	    hk_state_puser(lc->o.state, fp, &u) != 0 || !u.active ||
	    strcmp(u.role, "security_officer") != 0)
		return false;
	(void)hk_state_foreach_puser(lc->o.state, count_so, &sos);
	return sos < 2;
}

static void
op_users_remove(struct hk_lc *lc, struct job *j)
{
	struct hk_puser_info u;
	uint8_t fp[32];
	char hex[65];
	size_t n;
	unsigned sos = 0;

	if (field_str(j, 1, hex, sizeof(hex)) != 0 || strlen(hex) != 64 ||
	    hk_hex_decode(fp, 32, hex, 64, &n) != 0) {
		fail(j, 400, "invalid_request", "a certificate fingerprint is "
						"required");
		return;
	}
	snprintf(j->target, sizeof(j->target), "%s", hex);
	if (hk_state_puser(lc->o.state, fp, &u) != 0 || !u.active) {
		fail(j, 404, "not_found", "no such active privileged user");
		return;
	}
	(void)hk_state_foreach_puser(lc->o.state, count_so, &sos);
	if (strcmp(u.role, "security_officer") == 0 && sos < 2) {
		fail(j, 409, "conflict", "the last security officer cannot be "
					 "removed");
		return;
	}
	request_approval(lc, j, "user.remove", hex, "", "", NULL, NULL, 0, NULL);
}

static int
approval_cb(void *arg, const struct hk_approval_info *a)
{
	struct list_ctx *c = arg;
	char hex[65];

	if (a->status != HK_APPROVAL_PENDING || a->expires_ms <= c->now)
		return 0;
	c->n++;
	if (c->count_only)
		return 0;
	hk_hex_encode(hex, a->requester, 32);
	hk_mpk_put_map(c->w, 5);
	hk_mpk_put_uint(c->w, 1);
	hk_mpk_put_cstr(c->w, a->id);
	hk_mpk_put_uint(c->w, 2);
	hk_mpk_put_cstr(c->w, a->op);
	hk_mpk_put_uint(c->w, 3);
	hk_mpk_put_cstr(c->w, a->target);
	hk_mpk_put_uint(c->w, 4);
	hk_mpk_put_cstr(c->w, hex);
	hk_mpk_put_uint(c->w, 5);
	hk_mpk_put_uint(c->w, a->expires_ms / 1000);
	return 0;
}

static void
op_approvals_list(struct hk_lc *lc, struct job *j)
{
	struct hk_mpk_writer w;
	struct list_ctx c = {&w, 0, true, now_ms()};

	(void)hk_state_foreach_approval(lc->o.state, approval_cb, &c);
	resp_map(j, &w, 1);
	hk_mpk_put_uint(&w, 1);
	hk_mpk_put_array(&w, c.n);
	c.count_only = false;
	(void)hk_state_foreach_approval(lc->o.state, approval_cb, &c);
	ok_status(j, &w);
}

/* Carry out an approved operation; its events follow approval.granted. */
static int
execute_approved(struct hk_lc *lc, struct job *j,
    const struct hk_approval_info *a, const char **why)
{
	struct hk_cred_info ci;
	struct bb b;
	X509 *x = NULL;
	const unsigned char *p = a->cert;
	char subject[256];
	uint8_t fp[32];
	size_t n;
	int r;

	if (strcmp(a->op, "user.add") == 0) {
		if ((x = d2i_X509(NULL, &p, (long)a->cert_len)) == NULL ||
		    hk_pki_fingerprint(x, fp) != 0) {
			X509_free(x);
			return HK_EINVAL;
		}
		X509_NAME_oneline(X509_get_subject_name(x), subject,
		    sizeof(subject));
		X509_free(x);
		bb_init(&b, 5);
		bb_bin(&b, HK_BODY_PU_FINGERPRINT, fp, 32);
		bb_str(&b, HK_BODY_PU_SUBJECT, subject);
		bb_str(&b, HK_BODY_PU_ROLE, a->role);
		bb_bool(&b, HK_BODY_PU_ACTIVE, true);
		bb_str(&b, HK_BODY_PU_APPROVAL, a->id);
		return emit_bb(lc, j, HK_EV_PRIV_USER_ADDED, "", "", &b, NULL, 0,
		    why);
	}
	if (strcmp(a->op, "user.remove") == 0) {
		if (hk_hex_decode(fp, 32, a->target, strlen(a->target), &n) != 0)
			return HK_EINVAL;
		bb_init(&b, 3);
		bb_bin(&b, HK_BODY_PU_FINGERPRINT, fp, 32);
		bb_bool(&b, HK_BODY_PU_ACTIVE, false);
		bb_str(&b, HK_BODY_PU_APPROVAL, a->id);
		return emit_bb(lc, j, HK_EV_PRIV_USER_CHANGED, "", "", &b, NULL,
		    0, why);
	}
	if (strcmp(a->op, "credential.unlock") == 0) {
		bb_init(&b, 1);
		bb_str(&b, HK_BODY_LOCK_APPROVAL, a->id);
		return emit_bb(lc, j, HK_EV_CREDENTIAL_UNLOCKED, a->signer,
		    a->credential, &b, NULL, 0, why);
	}
	if (strcmp(a->op, "credential.destroy") == 0) {
		if ((r = hk_state_cred(lc->o.state, a->credential,
			 strlen(a->credential), &ci)) != 0)
			return r;
		/* Recorded first: once the ledger says destroyed nothing can
		 * use the key, whatever happens to the HSM call after. */
		bb_init(&b, ci.key.present ? 3 : 2);
		bb_str(&b, HK_BODY_DESTROY_REASON, a->reason);
		if (ci.key.present)
			bb_bin(&b, HK_BODY_DESTROY_KEY_ID, ci.key.id, 16);
		bb_str(&b, HK_BODY_DESTROY_APPROVAL, a->id);
		if ((r = emit_bb(lc, j, HK_EV_KEY_DESTROYED, a->signer,
			 a->credential, &b, NULL, 0, why)) != 0)
			return r;
		if (ci.key.present &&
		    (r = hsm_key_destroy(lc->o.pool, ci.key.id)) != 0)
			hk_error_f("credential %s destroyed in the ledger but the "
				   "HSM refused to delete its key: %s",
			    a->credential, hk_strerror(r));
		if (ci.pending.present &&
		    hsm_key_destroy(lc->o.pool, ci.pending.id) != 0)
			hk_error_f("the renewal key of %s is left in the HSM",
			    a->credential);
		return 0;
	}
	return HK_EINVAL;
}

static void
op_approval_decide(struct hk_lc *lc, struct job *j)
{
	struct hk_approval_info *a = malloc(sizeof(*a));
	struct hk_mpk_writer w;
	struct bb b;
	const char *why = NULL;
	char id[HK_STATE_ID_MAX], decision[16];
	bool approve;
	int r;

	if (a == NULL) {
		fail(j, 500, "internal_error", "out of memory");
		return;
	}
	if (field_str(j, 1, id, sizeof(id)) != 0 ||
	    field_str(j, 2, decision, sizeof(decision)) != 0 ||
	    !valid_id(id, 'a') ||
	    (strcmp(decision, "approve") != 0 &&
		strcmp(decision, "reject") != 0)) {
		fail(j, 400, "invalid_request", "an approval id and a decision "
						"(approve or reject) are required");
		goto out;
	}
	approve = strcmp(decision, "approve") == 0;
	snprintf(j->target, sizeof(j->target), "%s", id);
	if (hk_state_approval(lc->o.state, id, strlen(id), a) != 0 ||
	    a->status != HK_APPROVAL_PENDING) {
		fail(j, 404, "not_found", "no such pending approval");
		goto out;
	}
	if (a->expires_ms <= now_ms()) {
		bb_init(&b, 2);
		bb_str(&b, HK_BODY_AP_ID, id);
		bb_str(&b, HK_BODY_AP_REASON, "expired");
		if ((r = emit_bb(lc, NULL, HK_EV_APPROVAL_REJECTED, a->signer,
			 a->credential, &b, NULL, 0, &why)) != 0)
			fail_emit(j, r, why);
		else
			fail(j, 410, "gone", "the approval expired");
		goto out;
	}
	/* Dual control (OPS-2): the one who asked never approves. */
	if (approve && sodium_memcmp(a->requester, j->fp, 32) == 0) {
		fail(j, 403, "forbidden", "a request must be approved by another "
					  "security officer");
		goto out;
	}
	/* Checked again now: another removal may have executed since this
	 * one was asked for. */
	if (approve && strcmp(a->op, "user.remove") == 0 &&
	    last_so(lc, a->target)) {
		fail(j, 409, "conflict", "the last security officer cannot be "
					 "removed");
		goto out;
	}
	if (!approve) {
		bb_init(&b, 2);
		bb_str(&b, HK_BODY_AP_ID, id);
		bb_str(&b, HK_BODY_AP_REASON, "rejected");
		r = emit_bb(lc, j, HK_EV_APPROVAL_REJECTED, a->signer,
		    a->credential, &b, NULL, 0, &why);
	} else {
		bb_init(&b, 1);
		bb_str(&b, HK_BODY_AP_ID, id);
		if ((r = emit_bb(lc, j, HK_EV_APPROVAL_GRANTED, a->signer,
			 a->credential, &b, NULL, 0, &why)) == 0)
			r = execute_approved(lc, j, a, &why);
	}
	if (r != 0) {
		fail_emit(j, r, why);
		goto out;
	}
	resp_map(j, &w, 2);
	hk_mpk_put_uint(&w, 1);
	hk_mpk_put_cstr(&w, id);
	hk_mpk_put_uint(&w, 2);
	hk_mpk_put_cstr(&w, approve ? "approved" : "rejected");
	ok_status(j, &w);
out:
	free(a);
}

static void
op_signer_register(struct hk_lc *lc, struct job *j)
{
	struct hk_seal_attrs a;
	struct hk_mpk_writer w;
	struct ledger_vault_op ops[3];
	struct bb b;
	uint8_t *key = hk_seal_key_new();
	uint8_t salt[HK_SEAL_SALT_LEN], commit[HK_SEAL_COMMIT_LEN];
	uint8_t plain[HK_SEAL_ATTRS_MAX], box[HK_SEAL_SEALED_LEN(
					     HK_SEAL_ATTRS_MAX)];
	uint8_t sealed[HK_SEAL_KEY_LEN + HSM_SEAL_OVERHEAD];
	char kind[16], sid[19], k1[32], k2[32], k3[32];
	const char *why = NULL;
	size_t plen = 0, blen = 0, slen = 0;
	int r;

	memset(&a, 0, sizeof(a));
	if (key == NULL ||
	    field_str(j, 1, kind, sizeof(kind)) != 0 ||
	    field_bytes(j, 2, &a.name) != 0 || a.name.n == 0 ||
	    field_bytes(j, 5, &a.proofing_ref) != 0 || a.proofing_ref.n == 0) {
		fail(j, 400, "invalid_request", "kind, name and "
						"identity_proofing are required");
		goto out;
	}
	/* Optional, but text when present. */
	if (((r = field_bytes(j, 3, &a.organization)) != 0 &&
		r != HK_ENOTFOUND) ||
	    ((r = field_bytes(j, 4, &a.email)) != 0 && r != HK_ENOTFOUND)) {
		fail(j, 400, "invalid_request", "organization and email are "
						"text");
		goto out;
	}
	if (strcmp(kind, "natural") == 0) {
		a.kind = HK_SEAL_NATURAL;
	} else if (strcmp(kind, "legal") == 0 && a.organization.n > 0) {
		a.kind = HK_SEAL_LEGAL; /* an e-seal owner (SIG-8) */
	} else {
		fail(j, 400, "invalid_request", "kind is natural, or legal with "
						"an organization");
		goto out;
	}
	if ((r = new_id(lc, 's', sid)) != 0 ||
	    (r = hk_seal_key_generate(rng, lc, key)) != 0 ||
	    (r = hk_seal_salt_generate(rng, lc, salt)) != 0) {
		fail(j, 500, "internal_error", "the HSM's RNG failed");
		goto out;
	}
	snprintf(j->target, sizeof(j->target), "%s", sid);
	if ((r = hk_seal_attrs_encode(&a, plain, sizeof(plain), &plen)) != 0) {
		fail(j, 400, "invalid_request", r == HK_ETOOBIG ?
		    "an attribute is too long" : "attributes must be UTF-8");
		goto out;
	}
	if ((r = hk_seal_commit(salt, &a, commit)) != 0 ||
	    (r = hk_seal_encrypt(key, plain, plen, rng, lc, box, sizeof(box),
		 &blen)) != 0 ||
	    (r = hsm_seal(lc->o.pool, lc->o.cfg->vault_key, (const uint8_t *)sid,
		 strlen(sid), key, HK_SEAL_KEY_LEN, sealed, &slen)) != 0) {
		fail(j, 500, "internal_error", "cannot seal the attributes");
		goto out;
	}
	snprintf(k1, sizeof(k1), "sk/%s", sid);
	snprintf(k2, sizeof(k2), "ss/%s", sid);
	snprintf(k3, sizeof(k3), "sa/%s", sid);
	ops[0] = vput(k1, sealed, slen);
	ops[1] = vput(k2, salt, sizeof(salt));
	ops[2] = vput(k3, box, blen);
	bb_init(&b, 2);
	bb_str(&b, HK_BODY_SG_KIND, kind);
	bb_bin(&b, HK_BODY_SG_COMMITMENT, commit, sizeof(commit));
	if ((r = emit_bb(lc, j, HK_EV_SIGNER_REGISTERED, sid, "", &b, ops, 3,
		 &why)) != 0) {
		fail_emit(j, r, why);
		goto out;
	}
	resp_map(j, &w, 1);
	hk_mpk_put_uint(&w, 1);
	hk_mpk_put_cstr(&w, sid);
	ok_status(j, &w);
out:
	hk_seal_key_free(key);
	hk_seal_wipe(plain, sizeof(plain));
	hk_seal_wipe(salt, sizeof(salt));
}

static int
cred_count_cb(void *arg, const char *id, const struct hk_cred_info *c)
{
	(void)id;
	(void)c;
	(*(uint32_t *)arg)++;
	return 0;
}

static int
cred_list_cb(void *arg, const char *id, const struct hk_cred_info *c)
{
	struct hk_mpk_writer *w = arg;

	hk_mpk_put_map(w, 2);
	hk_mpk_put_uint(w, 1);
	hk_mpk_put_cstr(w, id);
	hk_mpk_put_uint(w, 2);
	hk_mpk_put_cstr(w, hk_state_cred_state_name(c->state));
	return 0;
}

static void
put_bytes(struct hk_mpk_writer *w, uint64_t key, struct hk_bytes b)
{
	hk_mpk_put_uint(w, key);
	hk_mpk_put_str(w, (const char *)b.p, b.n);
}

static void
op_signer_get(struct hk_lc *lc, struct job *j)
{
	struct hk_signer_info si;
	struct hk_seal_attrs a;
	struct hk_mpk_writer w;
	uint8_t plain[HK_SEAL_ATTRS_MAX];
	char sid[HK_STATE_ID_MAX];
	uint32_t ncred = 0;

	memset(&a, 0, sizeof(a));
	if (field_str(j, 1, sid, sizeof(sid)) != 0 || !valid_id(sid, 's') ||
	    hk_state_signer(lc->o.state, sid, strlen(sid), &si) != 0) {
		fail(j, 404, "not_found", "no such signer");
		return;
	}
	snprintf(j->target, sizeof(j->target), "%s", sid);
	if (!si.erased &&
	    attributes(lc, sid, plain, sizeof(plain), &a) != 0) {
		fail(j, 500, "internal_error", "cannot unseal the attributes");
		goto out;
	}
	(void)hk_state_foreach_cred(lc->o.state, sid, cred_count_cb, &ncred);
	/* An erased signer has no attributes: the keys are left out, not
	 * given as empty text (REG-1). */
	resp_map(j, &w, si.erased ? 4 : 8);
	hk_mpk_put_uint(&w, 1);
	hk_mpk_put_cstr(&w, sid);
	hk_mpk_put_uint(&w, 2);
	hk_mpk_put_cstr(&w, si.kind);
	if (!si.erased) {
		put_bytes(&w, 3, a.name);
		put_bytes(&w, 4, a.organization);
		put_bytes(&w, 5, a.email);
		put_bytes(&w, 6, a.proofing_ref);
	}
	hk_mpk_put_uint(&w, 7);
	hk_mpk_put_bool(&w, si.erased);
	hk_mpk_put_uint(&w, 8);
	hk_mpk_put_array(&w, ncred);
	(void)hk_state_foreach_cred(lc->o.state, sid, cred_list_cb, &w);
	ok_status(j, &w);
out:
	hk_seal_wipe(plain, sizeof(plain));
}

static void
op_signer_erase(struct hk_lc *lc, struct job *j)
{
	struct hk_signer_info si;
	struct hk_mpk_writer w;
	struct ledger_vault_op ops[4];
	struct bb b;
	const char *why = NULL;
	char sid[HK_STATE_ID_MAX], reason[128], k[4][32];
	int r;

	if (field_str(j, 1, sid, sizeof(sid)) != 0 ||
	    field_str(j, 2, reason, sizeof(reason)) != 0 || reason[0] == '\0' ||
	    !valid_id(sid, 's')) {
		fail(j, 400, "invalid_request", "a signer id and a reason are "
						"required");
		return;
	}
	snprintf(j->target, sizeof(j->target), "%s", sid);
	if (hk_state_signer(lc->o.state, sid, strlen(sid), &si) != 0) {
		fail(j, 404, "not_found", "no such signer");
		return;
	}
	/* REG-1: the key, salt and sealed attributes go; the commitment in
	 * the ledger can no longer be opened, and every proof stays valid. */
	snprintf(k[0], 32, "sk/%s", sid);
	snprintf(k[1], 32, "ss/%s", sid);
	snprintf(k[2], 32, "sa/%s", sid);
	snprintf(k[3], 32, "pw/%s", sid);
	for (r = 0; r < 4; r++)
		ops[r] = vdel(k[r]);
	bb_init(&b, 1);
	bb_str(&b, HK_BODY_SG_REASON, reason);
	if ((r = emit_bb(lc, j, HK_EV_SIGNER_ERASED, sid, "", &b, ops, 4,
		 &why)) != 0) {
		fail_emit(j, r, why);
		return;
	}
	resp_map(j, &w, 1);
	hk_mpk_put_uint(&w, 1);
	hk_mpk_put_cstr(&w, sid);
	ok_status(j, &w);
}

static enum hsm_alg
cred_alg(const char *name)
{
	enum hsm_alg a = hsm_alg_from_name(name);

	return a == HSM_ALG_AES_256 ? HSM_ALG_NONE : a;
}

static void
op_cred_create(struct hk_lc *lc, struct job *j)
{
	struct hk_signer_info si;
	struct hk_mpk_writer w;
	struct ledger_vault_op op;
	struct bb b;
	uint8_t raw[CODE_BYTES], h[32], rec[19 + 8];
	char sid[HK_STATE_ID_MAX], alg[16], cid[19], code[64], key[80],
	    hex[65];
	const char *why = NULL;
	uint64_t level = 0, expires;
	int r, i;

	if (field_str(j, 1, sid, sizeof(sid)) != 0 ||
	    field_str(j, 2, alg, sizeof(alg)) != 0 ||
	    field_uint(j, 3, &level) != 0 || !valid_id(sid, 's') ||
	    cred_alg(alg) == HSM_ALG_NONE || (level != 1 && level != 2)) {
		fail(j, 400, "invalid_request", "a signer id, an algorithm "
						"(p256, p384, rsa2048, rsa3072, "
						"ed25519) and a level (1 or 2) "
						"are required");
		return;
	}
	snprintf(j->target, sizeof(j->target), "%s", sid);
	if (hk_state_signer(lc->o.state, sid, strlen(sid), &si) != 0) {
		fail(j, 404, "not_found", "no such signer");
		return;
	}
	if ((r = new_id(lc, 'c', cid)) != 0 || (r = rng(lc, raw, sizeof(raw))) !=
	    0 ||
	    (r = hk_totp_base32_encode(code, sizeof(code), raw, sizeof(raw))) !=
		0) {
		fail(j, 500, "internal_error", "the HSM's RNG failed");
		return;
	}
	snprintf(j->target, sizeof(j->target), "%s", cid);
	/* The vault keeps only the code's hash (REG-1): a leaked vault does
	 * not let anyone enroll. */
	crypto_hash_sha256(h, (const uint8_t *)code, strlen(code));
	hk_hex_encode(hex, h, 32);
	snprintf(key, sizeof(key), "ec/%s", hex);
	expires = now_ms() + (uint64_t)lc->o.cfg->enrollment_code_s * 1000;
	memcpy(rec, cid, 19);
	for (i = 0; i < 8; i++)
		rec[19 + i] = (uint8_t)(expires >> (56 - 8 * i));
	op = vput(key, rec, sizeof(rec));
	bb_init(&b, 3);
	bb_str(&b, HK_BODY_CR_ALGORITHM, alg);
	bb_uint(&b, HK_BODY_CR_LEVEL, level);
	bb_uint(&b, HK_BODY_CR_CODE_EXPIRES, expires);
	if ((r = emit_bb(lc, j, HK_EV_CREDENTIAL_CREATED, sid, cid, &b, &op, 1,
		 &why)) != 0) {
		fail_emit(j, r, why);
		goto out;
	}
	resp_map(j, &w, 3);
	hk_mpk_put_uint(&w, 1);
	hk_mpk_put_cstr(&w, cid);
	hk_mpk_put_uint(&w, 2);
	hk_mpk_put_cstr(&w, code);
	hk_mpk_put_uint(&w, 3);
	hk_mpk_put_uint(&w, expires / 1000);
	ok_status(j, &w);
out:
	sodium_memzero(code, sizeof(code));
	sodium_memzero(raw, sizeof(raw));
}

/* cred_of(lc, j, key, cid, ci): the credential named by field ${key}. */
static int
cred_of(struct hk_lc *lc, struct job *j, uint64_t key, char *cid,
    struct hk_cred_info *ci)
{
	if (field_str(j, key, cid, HK_STATE_ID_MAX) != 0 || !valid_id(cid, 'c')) {
		fail(j, 400, "invalid_request", "a credential id is required");
		return HK_EINVAL;
	}
	snprintf(j->target, sizeof(j->target), "%s", cid);
	if (hk_state_cred(lc->o.state, cid, strlen(cid), ci) != 0) {
		fail(j, 404, "not_found", "no such credential");
		return HK_ENOTFOUND;
	}
	return 0;
}

static int
spki_pem(const uint8_t *spki, size_t len, char *out, size_t max)
{
	struct hk_buf b = HK_BUF_INIT;
	size_t i;
	int r = 0;

	if ((r = hk_buf_puts(&b, "-----BEGIN PUBLIC KEY-----\n")) != 0)
		goto out;
	for (i = 0; i < len && r == 0; i += 48) {
		r = hk_b64_append(&b, spki + i, len - i < 48 ? len - i : 48);
		if (r == 0)
			r = hk_buf_putc(&b, '\n');
	}
	if (r == 0)
		r = hk_buf_puts(&b, "-----END PUBLIC KEY-----\n");
	if (r == 0 && b.len >= max)
		r = HK_ETOOBIG;
	if (r == 0) {
		memcpy(out, b.p, b.len);
		out[b.len] = '\0';
	}
out:
	hk_buf_release(&b);
	return r;
}

/* keygen(): generate the credential's key (or a renewal's) in the HSM
 * (REG-3) and record its SPKI fingerprint (REG-4). */
static void
keygen(struct hk_lc *lc, struct job *j, bool renewal)
{
	struct hk_cred_info ci;
	struct hsm_keyinfo ki;
	struct hk_mpk_writer w;
	struct bb b;
	char cid[HK_STATE_ID_MAX], label[48], fphex[65], pem[1200];
	const char *why = NULL;
	enum hsm_alg alg;
	int r;

	if (cred_of(lc, j, 1, cid, &ci) != 0)
		return;
	if (renewal ? (ci.state != HK_CRED_ACTIVE &&
			  ci.state != HK_CRED_SUSPENDED) ||
			  ci.pending.present :
		      ci.state != HK_CRED_CREATED) {
		fail(j, 409, "conflict", renewal ? "only a certified credential "
						   "without a renewal under way "
						   "is renewed" :
						   "the credential already has "
						   "a key");
		return;
	}
	alg = cred_alg(ci.algorithm);
	snprintf(label, sizeof(label), "hanko-%s", cid);
	if ((r = hsm_key_generate(lc->o.pool, alg, label, 0, &ki)) != 0) {
		fail(j, r == HK_ENOTSUP ? 400 : 503, r == HK_ENOTSUP ?
		    "invalid_request" : "unavailable", r == HK_ENOTSUP ?
		    "the HSM does not support this algorithm" :
		    "the HSM could not generate the key");
		return;
	}
	bb_init(&b, renewal ? 5 : 4);
	bb_str(&b, HK_BODY_KEY_ALGORITHM, ci.algorithm);
	bb_bin(&b, HK_BODY_KEY_ID, ki.id, 16);
	bb_bin(&b, HK_BODY_KEY_FINGERPRINT, ki.fpr, 32);
	bb_bin(&b, HK_BODY_KEY_SPKI, ki.spki, ki.spki_len);
	if (renewal)
		bb_bool(&b, HK_BODY_KEY_RENEWAL, true);
	if ((r = emit_bb(lc, j, HK_EV_KEY_GENERATED, ci.signer, cid, &b, NULL, 0,
		 &why)) != 0) {
		/* Not recorded: the key must not outlive the refusal. */
		if (hsm_key_destroy(lc->o.pool, ki.id) != 0)
			hk_error_f("an unrecorded key of %s is left in the HSM",
			    cid);
		fail_emit(j, r, why);
		return;
	}
	hk_hex_encode(fphex, ki.fpr, 32);
	if (spki_pem(ki.spki, ki.spki_len, pem, sizeof(pem)) != 0)
		pem[0] = '\0';
	resp_map(j, &w, 2);
	hk_mpk_put_uint(&w, 1);
	hk_mpk_put_cstr(&w, fphex);
	hk_mpk_put_uint(&w, 2);
	hk_mpk_put_cstr(&w, pem);
	ok_status(j, &w);
}

static void
op_cred_key(struct hk_lc *lc, struct job *j)
{
	keygen(lc, j, false);
}

static void
op_cred_renew(struct hk_lc *lc, struct job *j)
{
	keygen(lc, j, true);
}

static void
put_hex(struct hk_mpk_writer *w, uint64_t key, const uint8_t *p, size_t n,
    bool present)
{
	char hex[129];

	hk_hex_encode(hex, p, n);
	hk_mpk_put_uint(w, key);
	hk_mpk_put_cstr(w, present ? hex : "");
}

static void
op_cred_get(struct hk_lc *lc, struct job *j)
{
	struct hk_cred_info ci;
	struct hk_mpk_writer w;
	struct hk_buf cert = HK_BUF_INIT;
	char cid[HK_STATE_ID_MAX], key[48];

	if (cred_of(lc, j, 1, cid, &ci) != 0)
		return;
	snprintf(key, sizeof(key), "cert/%s", cid);
	if (vault_get_personal(lc, ci.signer, key, &cert) != 0)
		hk_buf_reset(&cert);
	resp_map(j, &w, 9);
	hk_mpk_put_uint(&w, 1);
	hk_mpk_put_cstr(&w, cid);
	hk_mpk_put_uint(&w, 2);
	hk_mpk_put_cstr(&w, ci.signer);
	hk_mpk_put_uint(&w, 3);
	hk_mpk_put_cstr(&w, hk_state_cred_state_name(ci.state));
	hk_mpk_put_uint(&w, 4);
	hk_mpk_put_bool(&w, ci.locked);
	hk_mpk_put_uint(&w, 5);
	hk_mpk_put_cstr(&w, ci.algorithm);
	hk_mpk_put_uint(&w, 6);
	hk_mpk_put_uint(&w, ci.level);
	put_hex(&w, 7, ci.key.fp, 32, ci.key.present);
	hk_mpk_put_uint(&w, 8);
	hk_mpk_put_str(&w, (const char *)cert.p, cert.len);
	hk_mpk_put_uint(&w, 9);
	hk_mpk_put_cstr(&w, hk_state_csr_name(ci.csr));
	ok_status(j, &w);
	hk_buf_release(&cert);
}

/* The key being certified: a renewal's pending key, else the key. */
static const struct hk_key_info *
certified_key(const struct hk_cred_info *ci)
{
	return ci->pending.present ? &ci->pending : &ci->key;
}

struct csr_sign {
	struct hk_lc *lc;
	const uint8_t *id;
	enum hsm_scheme scheme;
	enum hsm_hash hash;
};

static int
csr_sign_cb(void *arg, const uint8_t *in, size_t inlen, uint8_t *sig,
    size_t *siglen)
{
	struct csr_sign *c = arg;
	uint8_t out[HSM_SIG_MAX];
	size_t n = 0;
	int r;

	if ((r = hsm_key_sign(c->lc->o.pool, c->id, c->scheme, c->hash, in,
		 inlen, out, &n)) != 0)
		return r;
	if (n > *siglen)
		return HK_ETOOBIG;
	memcpy(sig, out, n);
	*siglen = n;
	return 0;
}

static int
csr_scheme(const char *alg, enum hk_csr_scheme *cs, enum hsm_scheme *hs,
    enum hsm_hash *hh)
{
	switch (cred_alg(alg)) {
	case HSM_ALG_EC_P256:
		*cs = HK_CSR_ECDSA_P256_SHA256;
		*hs = HSM_SIG_ECDSA;
		*hh = HSM_HASH_SHA256;
		return 0;
	case HSM_ALG_EC_P384:
		*cs = HK_CSR_ECDSA_P384_SHA384;
		*hs = HSM_SIG_ECDSA;
		*hh = HSM_HASH_SHA384;
		return 0;
	case HSM_ALG_RSA_2048:
	case HSM_ALG_RSA_3072:
		*cs = HK_CSR_RSA_PKCS1_SHA256;
		*hs = HSM_SIG_RSA_PKCS1;
		*hh = HSM_HASH_SHA256;
		return 0;
	case HSM_ALG_ED25519:
		*cs = HK_CSR_ED25519;
		*hs = HSM_SIG_ED25519;
		*hh = HSM_HASH_NONE;
		return 0;
	default:
		return HK_EINVAL;
	}
}

/* Text of an attribute as a NUL-terminated string (bounded). */
static void
attr_text(struct hk_bytes b, char *out, size_t max)
{
	size_t n = b.n < max - 1 ? b.n : max - 1;

	memcpy(out, b.p, n);
	out[n] = '\0';
}

static bool
printable_ascii(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || (unsigned char)*s > 0x7e)
			return false;
	return true;
}

/* REG-4, REG-5: the CSR for the registered subject, signed by the key in
 * the HSM; released only after the signer confirmed the subject. */
static void
op_cred_csr(struct hk_lc *lc, struct job *j)
{
	struct hk_cred_info ci;
	struct hk_seal_attrs a;
	struct hk_csr_subject subj;
	struct hk_csr *csr = NULL;
	struct hk_mpk_writer w;
	struct ledger_vault_op op;
	struct csr_sign cs;
	struct bb b;
	enum hk_csr_scheme scheme;
	uint8_t plain[HK_SEAL_ATTRS_MAX], h[32];
	struct hk_buf box = HK_BUF_INIT;
	char cid[HK_STATE_ID_MAX], name[HK_CSR_NAME_MAX + 1],
	    org[HK_CSR_NAME_MAX + 1], email[HK_CSR_EMAIL_MAX + 1], key[48],
	    text[HK_CSR_SUBJECT_TEXT_MAX];
	const char *why = NULL;
	int r;

	memset(&subj, 0, sizeof(subj));
	if (cred_of(lc, j, 1, cid, &ci) != 0)
		return;
	if (ci.state != HK_CRED_KEY_GENERATED && !ci.pending.present) {
		fail(j, 409, "conflict", "no key awaits a certificate");
		return;
	}
	if ((csr = calloc(1, sizeof(*csr))) == NULL) {
		fail(j, 500, "internal_error", "out of memory");
		return;
	}
	if (attributes(lc, ci.signer, plain, sizeof(plain), &a) != 0) {
		fail(j, 409, "conflict", "the signer's attributes are not "
					 "available (erased?)");
		goto out;
	}
	attr_text(a.name, name, sizeof(name));
	attr_text(a.organization, org, sizeof(org));
	attr_text(a.email, email, sizeof(email));
	subj.common_name = name;
	subj.organization = org[0] ? org : NULL;
	subj.email = email[0] && printable_ascii(email) ? email : NULL;
	cs.lc = lc;
	cs.id = certified_key(&ci)->id;
	if (csr_scheme(ci.algorithm, &scheme, &cs.scheme, &cs.hash) != 0 ||
	    (r = hk_csr_build(certified_key(&ci)->spki,
		 certified_key(&ci)->spki_len, &subj, scheme, csr_sign_cb, &cs,
		 csr)) != 0 ||
	    (r = hk_csr_subject_text(csr->der, csr->der_len, text)) != 0) {
		fail(j, 500, "internal_error", "cannot build the CSR");
		goto out;
	}
	/* The CSR names the signer: it stays in the vault; the event has its
	 * hash. */
	crypto_hash_sha256(h, csr->der, csr->der_len);
	snprintf(key, sizeof(key), "csr/%s", cid);
	if (seal_personal(lc, ci.signer, csr->der, csr->der_len, &box) != 0) {
		fail(j, 500, "internal_error", "cannot seal the CSR");
		goto out;
	}
	op = vput(key, box.p, box.len);
	bb_init(&b, 1);
	bb_bin(&b, HK_BODY_CSR_SHA256, h, 32);
	if ((r = emit_bb(lc, j, HK_EV_CSR_ISSUED, ci.signer, cid, &b, &op, 1,
		 &why)) != 0) {
		fail_emit(j, r, why);
		goto out;
	}
	resp_map(j, &w, 2);
	hk_mpk_put_uint(&w, 1);
	hk_mpk_put_cstr(&w, text);
	hk_mpk_put_uint(&w, 2);
	hk_mpk_put_cstr(&w, hk_state_csr_name(HK_CSR_AWAITING));
	ok_status(j, &w);
out:
	hk_seal_wipe(plain, sizeof(plain));
	hk_buf_release(&box);
	free(csr);
}

static void
op_cred_csr_get(struct hk_lc *lc, struct job *j)
{
	struct hk_cred_info ci;
	struct hk_mpk_writer w;
	struct hk_buf der = HK_BUF_INIT;
	char cid[HK_STATE_ID_MAX], key[48];
	X509_REQ *req = NULL;
	const unsigned char *p;
	BIO *bio = NULL;
	BUF_MEM *mem;

	if (cred_of(lc, j, 1, cid, &ci) != 0)
		return;
	if (ci.csr != HK_CSR_CONFIRMED) {
		fail(j, 403, "forbidden", "the signer has not confirmed the CSR's "
					  "subject");
		return;
	}
	snprintf(key, sizeof(key), "csr/%s", cid);
	if (vault_get_personal(lc, ci.signer, key, &der) != 0 ||
	    (p = der.p, req = d2i_X509_REQ(NULL, &p, (long)der.len)) == NULL ||
	    (bio = BIO_new(BIO_s_mem())) == NULL ||
	    PEM_write_bio_X509_REQ(bio, req) != 1) {
		fail(j, 500, "internal_error", "cannot read the CSR");
		goto out;
	}
	BIO_get_mem_ptr(bio, &mem);
	resp_map(j, &w, 1);
	hk_mpk_put_uint(&w, 1);
	hk_mpk_put_str(&w, mem->data, mem->length);
	ok_status(j, &w);
out:
	BIO_free(bio);
	X509_REQ_free(req);
	hk_buf_release(&der);
}

/* REG-6: a chain is bound only if its key is the credential's, it is
 * valid now, allows signing and chains to a trusted CA (SIG-7: several). */
static void
op_cred_certificate(struct hk_lc *lc, struct job *j)
{
	struct hk_cred_info ci;
	struct hk_certcheck_info info;
	struct hk_mpk_writer w;
	struct ledger_vault_op op;
	struct bb b;
	struct hk_bytes pem;
	enum hk_certcheck_reason reason;
	const struct hk_key_info *k;
	char cid[HK_STATE_ID_MAX], key[48], fphex[65];
	const char *why = NULL;
	bool renewal;
	struct hk_buf box = HK_BUF_INIT;
	uint8_t retired[16];
	int r;

	if (cred_of(lc, j, 1, cid, &ci) != 0)
		return;
	if (field_bytes(j, 2, &pem) != 0) {
		fail(j, 400, "invalid_request", "a PEM chain is required");
		return;
	}
	if (ci.state != HK_CRED_KEY_GENERATED && !ci.pending.present) {
		fail(j, 409, "conflict", "no key awaits a certificate");
		return;
	}
	if (HK_SEAL_SEALED_LEN(pem.n) > LEDGER_VAULT_VAL_MAX) {
		fail(j, 400, "invalid_request", "the chain is too large");
		return;
	}
	k = certified_key(&ci);
	renewal = ci.pending.present;
	memcpy(retired, ci.key.id, 16);
	r = hk_certcheck_chain(lc->trust, (const char *)pem.p, pem.n, k->spki,
	    k->spki_len, (int64_t)now_s(), &info, &reason);
	if (r != 0 || reason != HK_CERTCHECK_OK) {
		fail(j, reason == HK_CERTCHECK_INTERNAL ? 500 : 400,
		    reason == HK_CERTCHECK_INTERNAL ? "internal_error" :
		    "invalid_request", hk_certcheck_reason_text(reason));
		return;
	}
	snprintf(key, sizeof(key), "cert/%s", cid);
	if ((r = seal_personal(lc, ci.signer, pem.p, pem.n, &box)) != 0) {
		fail(j, 500, "internal_error", "cannot seal the certificate");
		goto out;
	}
	op = vput(key, box.p, box.len);
	bb_init(&b, 6);
	bb_bin(&b, HK_BODY_CERT_FINGERPRINT, info.fingerprint, 32);
	bb_uint(&b, HK_BODY_CERT_NOT_BEFORE, (uint64_t)info.not_before);
	bb_uint(&b, HK_BODY_CERT_NOT_AFTER, (uint64_t)info.not_after);
	bb_str(&b, HK_BODY_CERT_ISSUER, info.issuer);
	bb_str(&b, HK_BODY_CERT_SERIAL, info.serial);
	bb_bin(&b, HK_BODY_CERT_KEY_ID, k->id, 16);
	if ((r = emit_bb(lc, j, HK_EV_CERT_BOUND, ci.signer, cid, &b, &op, 1,
		 &why)) != 0) {
		fail_emit(j, r, why);
		goto out;
	}
	if (renewal) {
		/* END-3: the old key goes once the new certificate is bound. */
		bb_init(&b, 2);
		bb_str(&b, HK_BODY_DESTROY_REASON, "renewal");
		bb_bin(&b, HK_BODY_DESTROY_KEY_ID, retired, 16);
		if ((r = emit_bb(lc, j, HK_EV_KEY_DESTROYED, ci.signer, cid, &b,
			 NULL, 0, &why)) != 0) {
			fail_emit(j, r, why);
			goto out;
		}
		if ((r = hsm_key_destroy(lc->o.pool, retired)) != 0)
			hk_error_f("renewal of %s: the HSM refused to delete the "
				   "old key: %s", cid, hk_strerror(r));
	}
	hk_hex_encode(fphex, info.fingerprint, 32);
	resp_map(j, &w, 3);
	hk_mpk_put_uint(&w, 1);
	hk_mpk_put_cstr(&w, cid);
	hk_mpk_put_uint(&w, 2);
	hk_mpk_put_cstr(&w, "active");
	hk_mpk_put_uint(&w, 3);
	hk_mpk_put_cstr(&w, fphex);
	ok_status(j, &w);
out:
	hk_buf_release(&box);
}

static void
suspend_resume(struct hk_lc *lc, struct job *j, const char *cid,
    const char *sid, bool suspend, const char *reason, const char *by,
    uint64_t otp_step)
{
	struct hk_mpk_writer w;
	struct bb b;
	const char *why = NULL;
	int r;

	bb_init(&b, 2 + (otp_step != 0));
	bb_str(&b, HK_BODY_SUSP_REASON, reason);
	bb_str(&b, HK_BODY_SUSP_BY, by);
	if (otp_step != 0)
		bb_uint(&b, HK_BODY_OTP_STEP, otp_step);
	if ((r = emit_bb(lc, j, suspend ? HK_EV_SUSPENDED : HK_EV_RESUMED, sid,
		 cid, &b, NULL, 0, &why)) != 0) {
		fail_emit(j, r, why);
		return;
	}
	resp_map(j, &w, 1);
	hk_mpk_put_uint(&w, 1);
	hk_mpk_put_cstr(&w, suspend ? "suspended" : "active");
	ok_status(j, &w);
}

static void
op_cred_suspend(struct hk_lc *lc, struct job *j)
{
	struct hk_cred_info ci;
	char cid[HK_STATE_ID_MAX], reason[128];

	if (cred_of(lc, j, 1, cid, &ci) != 0)
		return;
	if (field_str(j, 2, reason, sizeof(reason)) != 0 || reason[0] == '\0') {
		fail(j, 400, "invalid_request", "a reason is required");
		return;
	}
	suspend_resume(lc, j, cid, ci.signer, true, reason, "administrator", 0);
}

static void
op_cred_resume(struct hk_lc *lc, struct job *j)
{
	struct hk_cred_info ci;
	char cid[HK_STATE_ID_MAX];

	if (cred_of(lc, j, 1, cid, &ci) != 0)
		return;
	suspend_resume(lc, j, cid, ci.signer, false, "resumed", "administrator",
	    0);
}

static void
op_cred_destroy(struct hk_lc *lc, struct job *j)
{
	struct hk_cred_info ci;
	char cid[HK_STATE_ID_MAX], reason[32];

	if (cred_of(lc, j, 1, cid, &ci) != 0)
		return;
	if (field_str(j, 2, reason, sizeof(reason)) != 0 ||
	    (strcmp(reason, "renewal") != 0 && strcmp(reason, "revocation") != 0 &&
		strcmp(reason, "termination") != 0)) {
		fail(j, 400, "invalid_request", "reason is renewal, revocation "
						"or termination");
		return;
	}
	if (ci.state == HK_CRED_DESTROYED) {
		fail(j, 409, "conflict", "credential destroyed");
		return;
	}
	request_approval(lc, j, "credential.destroy", cid, ci.signer, cid, NULL,
	    NULL, 0, reason);
}

static void
op_cred_unlock(struct hk_lc *lc, struct job *j)
{
	struct hk_cred_info ci;
	char cid[HK_STATE_ID_MAX];

	if (cred_of(lc, j, 1, cid, &ci) != 0)
		return;
	if (!ci.locked) {
		fail(j, 409, "conflict", "credential not locked");
		return;
	}
	request_approval(lc, j, "credential.unlock", cid, ci.signer, cid, NULL,
	    NULL, 0, NULL);
}

/* ---- the signer's side ------------------------------------------------------- */

/* basic_auth(lc, j): the signer of the Basic credentials, checked against
 * the argon2id hash of their password (REG-2); fills j->sid. 0, HK_EINVAL
 * when the value is not Base64 of "user:pass", HK_EAUTH otherwise. */
static int
basic_auth(struct hk_lc *lc, struct job *j)
{
	struct hk_buf stored = HK_BUF_INIT;
	uint8_t dec[512];
	char key[48];
	const char *colon;
	size_t n = 0;
	int r = HK_EAUTH;

	if (j->auth.len < 7 || memcmp(j->auth.p, "Basic ", 6) != 0 ||
	    hk_b64_decode(dec, sizeof(dec) - 1, (const char *)j->auth.p + 6,
		j->auth.len - 6, &n) != 0 ||
	    (colon = memchr(dec, ':', n)) == NULL) {
		r = HK_EINVAL; /* not "user:pass" at all */
		goto out;
	}
	if ((size_t)((const uint8_t *)colon - dec) >= sizeof(j->sid))
		goto out;
	memcpy(j->sid, dec, (size_t)((const uint8_t *)colon - dec));
	j->sid[(const uint8_t *)colon - dec] = '\0';
	if (!valid_id(j->sid, 's'))
		goto out;
	snprintf(key, sizeof(key), "pw/%s", j->sid);
	if (vault_get(lc, key, &stored) != 0 || hk_buf_cstr(&stored) == NULL)
		goto out;
	if (hk_pwhash_verify((const char *)stored.p,
		(const uint8_t *)colon + 1,
		n - (size_t)((const uint8_t *)colon + 1 - dec)) == 0)
		r = 0;
out:
	if (r != 0)
		j->sid[0] = '\0';
	sodium_memzero(dec, sizeof(dec));
	hk_buf_release(&stored);
	return r;
}

static bool
require_signer(struct hk_lc *lc, struct job *j)
{
	if (basic_auth(lc, j) != 0) {
		fail(j, 401, "unauthorized", "the signer id or password is "
					     "wrong");
		return false;
	}
	return true;
}

/* The signer's own credential named by field ${key}. */
static int
own_cred(struct hk_lc *lc, struct job *j, uint64_t key, char *cid,
    struct hk_cred_info *ci)
{
	if (field_str(j, key, cid, HK_STATE_ID_MAX) != 0 || !valid_id(cid, 'c') ||
	    hk_state_cred(lc->o.state, cid, strlen(cid), ci) != 0 ||
	    strcmp(ci->signer, j->sid) != 0) {
		/* Another signer's credential looks like none at all. */
		fail(j, 404, "not_found", "no such credential");
		return HK_ENOTFOUND;
	}
	return 0;
}

/* A failed factor: record authorization.denied (it counts towards the
 * lockout) and lock at the configured count (ACT-9). */
static void
deny(struct hk_lc *lc, struct job *j, const char *cid,
    const struct hk_cred_info *ci, const char *what)
{
	struct bb b;
	struct hk_cred_info after;
	const char *why = NULL;

	bb_init(&b, 1);
	bb_str(&b, HK_BODY_DENIED_REASON, what);
	if (emit_bb(lc, j, HK_EV_AUTH_DENIED, ci->signer, cid, &b, NULL, 0,
		&why) != 0)
		hk_error_f("cannot record a denial for %s", cid);
	if (hk_state_cred(lc->o.state, cid, strlen(cid), &after) == 0 &&
	    after.failures >= lc->o.cfg->lockout_failures && !after.locked) {
		bb_init(&b, 1);
		bb_uint(&b, HK_BODY_LOCK_FAILURES, after.failures);
		if (emit_bb(lc, NULL, HK_EV_CREDENTIAL_LOCKED, ci->signer, cid,
			&b, NULL, 0, &why) != 0)
			hk_error_f("cannot lock %s", cid);
	}
	fail(j, 401, "unauthorized", what);
}

/* check_pin(): the credential's PIN against its argon2id hash. */
static int
check_pin(struct hk_lc *lc, const char *cid, struct hk_bytes pin)
{
	struct hk_buf stored = HK_BUF_INIT;
	char key[48];
	int r;

	snprintf(key, sizeof(key), "pin/%s", cid);
	if ((r = vault_get(lc, key, &stored)) == 0 &&
	    hk_buf_cstr(&stored) != NULL)
		r = hk_pwhash_verify((const char *)stored.p, pin.p, pin.n);
	hk_buf_release(&stored);
	return r == 0 ? 0 : HK_EAUTH;
}

/* check_otp(): the TOTP code against the sealed seed; *step is the step it
 * matched (must exceed the last one used: replay refusal). */
static int
check_otp(struct hk_lc *lc, const char *cid, const struct hk_cred_info *ci,
    struct hk_bytes otp, uint64_t *step)
{
	struct hk_buf sealed = HK_BUF_INIT;
	uint8_t seed[HSM_SEAL_MAX];
	char key[48], code[16];
	size_t n = 0;
	int r;

	if (otp.n == 0 || otp.n >= sizeof(code))
		return HK_EAUTH;
	memcpy(code, otp.p, otp.n);
	code[otp.n] = '\0';
	snprintf(key, sizeof(key), "otp/%s", cid);
	if ((r = vault_get(lc, key, &sealed)) == 0 &&
	    (r = hsm_unseal(lc->o.pool, lc->o.cfg->vault_key,
		 (const uint8_t *)key, strlen(key), sealed.p, sealed.len, seed,
		 &n)) == 0)
		r = hk_totp_verify(seed, n, code, now_s(), 1, ci->otp_step, step);
	sodium_memzero(seed, sizeof(seed));
	hk_buf_release(&sealed);
	return r == 0 ? 0 : HK_EAUTH;
}

/* REG-1, REG-2: redeem an enrollment code; choose password and PIN; get
 * the TOTP seed once. A wrong, used or expired code changes nothing. */
static void
op_enroll(struct hk_lc *lc, struct job *j)
{
	struct hk_cred_info ci;
	struct hk_mpk_writer w;
	struct ledger_vault_op ops[4];
	struct hk_bytes code, pw, pin;
	struct hk_buf rec = HK_BUF_INIT, stored = HK_BUF_INIT;
	struct bb b;
	char hex[65], eckey[80], pwkey[48], pinkey[48], otpkey[48],
	    cid[HK_STATE_ID_MAX], pwh[HK_PWHASH_STR_LEN],
	    pinh[HK_PWHASH_STR_LEN], uri[HK_TOTP_URI_MAX];
	uint8_t h[32], seed[HK_TOTP_SECRET_DEFAULT];
	uint8_t sealed[HK_TOTP_SECRET_DEFAULT + HSM_SEAL_OVERHEAD];
	const char *why = NULL;
	uint64_t expires = 0;
	size_t slen = 0, nops = 0, i;
	bool have_pw;
	int r;

	uri[0] = '\0';
	if (field_bytes(j, 1, &code) != 0 || field_bytes(j, 2, &pw) != 0 ||
	    field_bytes(j, 3, &pin) != 0) {
		fail(j, 400, "invalid_request", "enrollment_code, password and "
						"pin are required");
		goto out;
	}
	crypto_hash_sha256(h, code.p, code.n);
	hk_hex_encode(hex, h, 32);
	snprintf(eckey, sizeof(eckey), "ec/%s", hex);
	if (vault_get(lc, eckey, &rec) != 0 || rec.len != 19 + 8) {
		fail(j, 410, "gone", "unknown, used or expired enrollment code");
		goto out;
	}
	memcpy(cid, rec.p, 18);
	cid[18] = '\0';
	for (i = 0; i < 8; i++)
		expires = expires << 8 | rec.p[19 + i];
	if (expires <= now_ms() ||
	    hk_state_cred(lc->o.state, cid, strlen(cid), &ci) != 0 ||
	    ci.enrolled || ci.state == HK_CRED_DESTROYED) {
		fail(j, 410, "gone", "unknown, used or expired enrollment code");
		goto out;
	}
	snprintf(j->sid, sizeof(j->sid), "%s", ci.signer);
	if (hk_pwhash_pin_check(pin.p, pin.n) != 0) {
		fail(j, 400, "invalid_request", "the PIN must be 6 to 12 digits");
		goto out;
	}
	snprintf(pwkey, sizeof(pwkey), "pw/%s", ci.signer);
	have_pw = vault_get(lc, pwkey, &stored) == 0 &&
	    hk_buf_cstr(&stored) != NULL;
	if (have_pw) {
		/* A signer who has a password proves it; a code alone does not
		 * take over an account. */
		if (hk_pwhash_verify((const char *)stored.p, pw.p, pw.n) != 0) {
			fail(j, 401, "unauthorized", "this signer already has a "
						     "password: give it");
			goto out;
		}
	} else {
		if (hk_pwhash_password_check(pw.p, pw.n) != 0) {
			fail(j, 400, "invalid_request", "the password must be "
							"12 to 128 bytes of "
							"UTF-8");
			goto out;
		}
		if (hk_pwhash_hash(&lc->o.pwhash, pw.p, pw.n, pwh) != 0) {
			fail(j, 500, "internal_error", "cannot hash");
			goto out;
		}
		ops[nops++] = vput(pwkey, pwh, strlen(pwh));
	}
	if (hk_pwhash_hash(&lc->o.pwhash, pin.p, pin.n, pinh) != 0) {
		fail(j, 500, "internal_error", "cannot hash");
		goto out;
	}
	snprintf(pinkey, sizeof(pinkey), "pin/%s", cid);
	ops[nops++] = vput(pinkey, pinh, strlen(pinh));
	if (ci.level >= 2) {
		snprintf(otpkey, sizeof(otpkey), "otp/%s", cid);
		if (rng(lc, seed, sizeof(seed)) != 0 ||
		    hsm_seal(lc->o.pool, lc->o.cfg->vault_key,
			(const uint8_t *)otpkey, strlen(otpkey), seed,
			sizeof(seed), sealed, &slen) != 0 ||
		    hk_totp_uri("Hanko", cid, seed, sizeof(seed), uri) != 0) {
			fail(j, 500, "internal_error", "cannot make the OTP seed");
			goto out;
		}
		ops[nops++] = vput(otpkey, sealed, slen);
	}
	ops[nops++] = vdel(eckey);
	bb_init(&b, 0);
	if ((r = emit_bb(lc, j, HK_EV_CREDENTIAL_ENROLLED, ci.signer, cid, &b,
		 ops, nops, &why)) != 0) {
		fail_emit(j, r, why);
		goto out;
	}
	/* Level 1 (PIN only) has no OTP seed: no URI. */
	resp_map(j, &w, ci.level >= 2 ? 3 : 2);
	hk_mpk_put_uint(&w, 1);
	hk_mpk_put_cstr(&w, ci.signer);
	hk_mpk_put_uint(&w, 2);
	hk_mpk_put_cstr(&w, cid);
	if (ci.level >= 2) {
		hk_mpk_put_uint(&w, 3);
		hk_mpk_put_cstr(&w, uri);
	}
	ok_status(j, &w);
out:
	sodium_memzero(seed, sizeof(seed));
	sodium_memzero(uri, sizeof(uri));
	sodium_memzero(pwh, sizeof(pwh));
	sodium_memzero(pinh, sizeof(pinh));
	hk_buf_release(&rec);
	hk_buf_release(&stored);
}

static void
op_signer_csr_get(struct hk_lc *lc, struct job *j)
{
	struct hk_cred_info ci;
	struct hk_mpk_writer w;
	struct hk_buf der = HK_BUF_INIT;
	char cid[HK_STATE_ID_MAX], key[48], text[HK_CSR_SUBJECT_TEXT_MAX];

	if (!require_signer(lc, j) || own_cred(lc, j, 1, cid, &ci) != 0)
		return;
	snprintf(key, sizeof(key), "csr/%s", cid);
	if (ci.csr == HK_CSR_NONE ||
	    vault_get_personal(lc, ci.signer, key, &der) != 0 ||
	    hk_csr_subject_text(der.p, der.len, text) != 0) {
		fail(j, 404, "not_found", "no CSR for this credential");
		goto out;
	}
	resp_map(j, &w, 2);
	hk_mpk_put_uint(&w, 1);
	hk_mpk_put_cstr(&w, text);
	hk_mpk_put_uint(&w, 2);
	hk_mpk_put_cstr(&w, hk_state_csr_name(ci.csr));
	ok_status(j, &w);
out:
	hk_buf_release(&der);
}

static void
op_signer_csr_confirm(struct hk_lc *lc, struct job *j)
{
	struct hk_cred_info ci;
	struct hk_mpk_writer w;
	struct hk_bytes pin;
	struct bb b;
	char cid[HK_STATE_ID_MAX];
	const char *why = NULL;
	int r;

	if (!require_signer(lc, j) || own_cred(lc, j, 1, cid, &ci) != 0)
		return;
	if (field_bytes(j, 2, &pin) != 0) {
		fail(j, 400, "invalid_request", "the PIN is required");
		return;
	}
	if (ci.locked) {
		fail(j, 423, "locked", "the credential is locked");
		return;
	}
	if (ci.csr != HK_CSR_AWAITING) {
		fail(j, 409, "conflict", "no CSR awaits confirmation");
		return;
	}
	if (check_pin(lc, cid, pin) != 0) {
		deny(lc, j, cid, &ci, "wrong PIN");
		return;
	}
	bb_init(&b, 1);
	bb_bin(&b, HK_BODY_CSR_SHA256, ci.csr_sha, 32);
	if ((r = emit_bb(lc, j, HK_EV_CSR_CONFIRMED, ci.signer, cid, &b, NULL, 0,
		 &why)) != 0) {
		fail_emit(j, r, why);
		return;
	}
	resp_map(j, &w, 1);
	hk_mpk_put_uint(&w, 1);
	hk_mpk_put_cstr(&w, hk_state_csr_name(HK_CSR_CONFIRMED));
	ok_status(j, &w);
}

/* END-2: a nonce for one suspension or destruction request. */
static void
op_signer_nonce(struct hk_lc *lc, struct job *j)
{
	struct hk_mpk_writer w;
	struct nonce *n = NULL;
	uint8_t raw[16];
	uint64_t now = now_s();
	size_t i;

	if (!require_signer(lc, j))
		return;
	for (i = 0; i < lc->nnonces; i++)
		if (lc->nonces[i].used || lc->nonces[i].expires <= now) {
			n = &lc->nonces[i];
			break;
		}
	if (n == NULL && lc->nnonces < NONCES_MAX)
		n = &lc->nonces[lc->nnonces++];
	if (n == NULL || rng(lc, raw, sizeof(raw)) != 0) {
		fail(j, 503, "unavailable", "no nonce available now");
		return;
	}
	hk_hex_encode(n->value, raw, sizeof(raw));
	snprintf(n->sid, sizeof(n->sid), "%s", j->sid);
	n->expires = now + NONCE_S;
	n->used = false;
	resp_map(j, &w, 2);
	hk_mpk_put_uint(&w, 1);
	hk_mpk_put_cstr(&w, n->value);
	hk_mpk_put_uint(&w, 2);
	hk_mpk_put_uint(&w, NONCE_S);
	ok_status(j, &w);
}

/* Take a nonce: it must be this signer's, unused and unexpired; it is
 * used up whatever happens next. */
static bool
take_nonce(struct hk_lc *lc, struct job *j)
{
	char value[40];
	size_t i;

	if (field_str(j, 2, value, sizeof(value)) != 0 || strlen(value) != 32)
		return false;
	for (i = 0; i < lc->nnonces; i++) {
		struct nonce *n = &lc->nonces[i];

		if (n->used || sodium_memcmp(n->value, value, 32) != 0)
			continue;
		n->used = true;
		return strcmp(n->sid, j->sid) == 0 && n->expires > now_s();
	}
	return false;
}

/* END-1, END-2: the verified signer suspends or destroys their own
 * credential with a fresh nonce, PIN and (level 2) OTP. */
static void
signer_end(struct hk_lc *lc, struct job *j, bool destroy)
{
	struct hk_cred_info ci;
	struct hk_mpk_writer w;
	struct hk_bytes pin, otp = {NULL, 0};
	struct bb b;
	char cid[HK_STATE_ID_MAX], reason[32];
	const char *why = NULL;
	uint64_t step = 0;
	int r;

	if (!require_signer(lc, j) || own_cred(lc, j, 1, cid, &ci) != 0)
		return;
	if (!take_nonce(lc, j)) {
		fail(j, 410, "gone", "unknown, used, expired or foreign nonce");
		return;
	}
	if (field_bytes(j, 3, &pin) != 0 ||
	    (ci.level >= 2 && field_bytes(j, 4, &otp) != 0)) {
		fail(j, 400, "invalid_request", "PIN and OTP are required");
		return;
	}
	reason[0] = '\0';
	if (destroy && (field_str(j, 5, reason, sizeof(reason)) != 0 ||
			   (strcmp(reason, "revocation") != 0 &&
			       strcmp(reason, "termination") != 0))) {
		fail(j, 400, "invalid_request", "reason is revocation or "
						"termination");
		return;
	}
	if (ci.locked) {
		fail(j, 423, "locked", "the credential is locked");
		return;
	}
	if (check_pin(lc, cid, pin) != 0) {
		deny(lc, j, cid, &ci, "wrong PIN");
		return;
	}
	if (ci.level >= 2 && check_otp(lc, cid, &ci, otp, &step) != 0) {
		deny(lc, j, cid, &ci, "wrong or reused OTP");
		return;
	}
	if (!destroy) {
		/* Level 1 has no OTP step: the next one still records the
		 * success, which ends the run of failures (ACT-9). */
		suspend_resume(lc, j, cid, ci.signer, true, "signer", "signer",
		    step ? step : ci.otp_step + 1);
		return;
	}
	bb_init(&b, ci.key.present ? 3 : 2);
	bb_str(&b, HK_BODY_DESTROY_REASON, reason);
	if (ci.key.present)
		bb_bin(&b, HK_BODY_DESTROY_KEY_ID, ci.key.id, 16);
	bb_uint(&b, HK_BODY_OTP_STEP, step ? step : ci.otp_step + 1);
	if ((r = emit_bb(lc, j, HK_EV_KEY_DESTROYED, ci.signer, cid, &b, NULL, 0,
		 &why)) != 0) {
		fail_emit(j, r, why);
		return;
	}
	if (ci.key.present && (r = hsm_key_destroy(lc->o.pool, ci.key.id)) != 0)
		hk_error_f("credential %s destroyed in the ledger but the HSM "
			   "refused to delete its key: %s", cid, hk_strerror(r));
	if (ci.pending.present && hsm_key_destroy(lc->o.pool, ci.pending.id) != 0)
		hk_error_f("the renewal key of %s is left in the HSM", cid);
	resp_map(j, &w, 1);
	hk_mpk_put_uint(&w, 1);
	hk_mpk_put_cstr(&w, "destroyed");
	ok_status(j, &w);
}

static void
op_signer_suspend(struct hk_lc *lc, struct job *j)
{
	signer_end(lc, j, false);
}

static void
op_signer_destroy(struct hk_lc *lc, struct job *j)
{
	signer_end(lc, j, true);
}

/* ---- dispatch --------------------------------------------------------------- */

/* ---- the CSC v2 methods on the executor (docs/csc-api.md) -------------- */

#define CSC_BAD(j, desc) fail((j), 400, "invalid_request", (desc))
#define CSC_UNAVAILABLE(j) \
	fail((j), 503, "temporarily_unavailable", "The service is unavailable")

/* csc_secret(j, secret, n): answer {1: ${secret}, 2: ${n}} (an access
 * token or a SAD and its lifetime), then wipe ${secret}. */
static void
csc_secret(struct job *j, char *secret, size_t cap, uint64_t n)
{
	struct hk_mpk_writer w;

	resp_map(j, &w, 2);
	hk_mpk_put_uint(&w, 1);
	hk_mpk_put_cstr(&w, secret);
	hk_mpk_put_uint(&w, 2);
	hk_mpk_put_uint(&w, n);
	ok_status(j, &w);
	sodium_memzero(secret, cap);
}

/* Authorization data of one request, for the events (SIG-3). */
struct authctx {
	const uint8_t *session;      /* 32 bytes */
	const char *hash_oid;
	uint8_t (*hashes)[HK_SAM_HASH_MAX];
	size_t nhashes, hlen;
	uint64_t num;
	const char *client_data;
};

/* The common part of authorization.denied / .granted bodies. */
static uint32_t
auth_count(const struct authctx *a, const struct job *j)
{
	return (a->hash_oid != NULL) * 3 + 1 + (j->tls[0] != '\0') +
	    (a->client_data != NULL && a->client_data[0] != '\0');
}

static void
auth_put(struct bb *b, const struct authctx *a)
{
	size_t i;

	if (a->hash_oid != NULL) {
		bb_str(b, HK_BODY_AUTH_HASH_ALG, a->hash_oid);
		hk_mpk_put_uint(&b->w, HK_BODY_AUTH_HASHES);
		hk_mpk_put_array(&b->w, (uint32_t)a->nhashes);
		for (i = 0; i < a->nhashes; i++)
			hk_mpk_put_bin(&b->w, a->hashes[i], a->hlen);
		bb_uint(b, HK_BODY_AUTH_NUM, a->num);
	}
}

static void
auth_put_tail(struct bb *b, const struct authctx *a, const struct job *j)
{
	bb_bin(b, HK_BODY_AUTH_SESSION, a->session, 32);
	if (j->tls[0] != '\0')
		bb_str(b, HK_BODY_AUTH_TLS, j->tls);
	if (a->client_data != NULL && a->client_data[0] != '\0')
		bb_str(b, HK_BODY_AUTH_CLIENT_DATA, a->client_data);
}

/* csc_deny(): a failed factor in credentials/authorize: the denial event
 * with the authorization data, the lockout count (ACT-9), and the CSC
 * answer. */
static void
csc_deny(struct hk_lc *lc, struct job *j, const char *cid,
    const struct hk_cred_info *ci, const char *what, const struct authctx *a)
{
	struct bb b;
	struct hk_cred_info after;
	const char *why = NULL;

	bb_init(&b, 1 + auth_count(a, j));
	bb_str(&b, HK_BODY_DENIED_REASON, what);
	auth_put(&b, a);
	auth_put_tail(&b, a, j);
	if (emit_bb(lc, j, HK_EV_AUTH_DENIED, ci->signer, cid, &b, NULL, 0,
		&why) != 0)
		hk_error_f("cannot record a denial for %s", cid);
	if (hk_state_cred(lc->o.state, cid, strlen(cid), &after) == 0 &&
	    after.failures >= lc->o.cfg->lockout_failures && !after.locked) {
		bb_init(&b, 1);
		bb_uint(&b, HK_BODY_LOCK_FAILURES, after.failures);
		if (emit_bb(lc, NULL, HK_EV_CREDENTIAL_LOCKED, ci->signer, cid,
			&b, NULL, 0, &why) != 0)
			hk_error_f("cannot lock %s", cid);
	}
	fail(j, 400, "invalid_authentication_data",
	    "The authentication data is invalid");
}

/* csc_session(): the bearer's signer into j->sid and its token hash;
 * false (answered 401) when there is none. */
static bool
csc_session(struct hk_lc *lc, struct job *j, uint8_t session[32])
{
	if (hk_sam_session(lc->o.sam, j->auth.p, j->auth.len, j->sid,
		session) != 0) {
		fail(j, 401, "invalid_token", "Invalid or expired access token");
		return false;
	}
	return true;
}

/* csc_cred(): the caller's credential named by field 1, one that has a
 * certificate (else it does not exist for CSC). */
static bool
csc_cred(struct hk_lc *lc, struct job *j, char *cid,
    struct hk_cred_info *ci)
{
	if (field_str(j, 1, cid, HK_STATE_ID_MAX) != 0 || cid[0] == '\0') {
		CSC_BAD(j, "Missing (or invalid type) string parameter "
			   "credentialID");
		return false;
	}
	if (hk_state_cred(lc->o.state, cid, strlen(cid), ci) != 0 ||
	    strcmp(ci->signer, j->sid) != 0 || !ci->has_cert ||
	    ci->state == HK_CRED_CREATED || ci->state == HK_CRED_KEY_GENERATED) {
		CSC_BAD(j, "Invalid parameter credentialID");
		return false;
	}
	snprintf(j->target, sizeof(j->target), "%s", cid);
	return true;
}

/* csc_usable(): may the credential authorise now? (SIG-2, ACT-9) */
static bool
csc_usable(struct job *j, const struct hk_cred_info *ci)
{
	uint64_t now = now_s();

	if (ci->state != HK_CRED_ACTIVE || !ci->enrolled || !ci->key.present)
		CSC_BAD(j, "The credential identified by credentialID is "
			   "disabled");
	else if (ci->locked)
		CSC_BAD(j, "Credential locked");
	else if (now > ci->not_after)
		CSC_BAD(j, "Signing certificate is expired.");
	else if (now < ci->not_before)
		CSC_BAD(j, "Signing certificate is not yet valid.");
	else
		return true;
	return false;
}

static bool
field_bool(const struct job *j, uint64_t key, bool dflt)
{
	struct hk_mpk_reader r;
	bool v;

	if (field(j, key, &r) != 0 || hk_mpk_get_bool(&r, &v) != 0)
		return dflt;
	return v;
}

static void
op_csc_info(struct hk_lc *lc, struct job *j)
{
	static const char *const methods[] = {"auth/login", "auth/revoke",
	    "credentials/list", "credentials/info", "credentials/authorize",
	    "credentials/extendTransaction", "signatures/signHash"};
	const char *algos[16];
	struct hk_mpk_writer w;
	size_t i, n = 0, k;

	(void)lc;
	/* Every signAlgo some key kind accepts, once. */
	n = hk_sam_key_algos("p256", algos, 16);
	n += hk_sam_key_algos("rsa2048", algos + n, 16 - n);
	resp_map(j, &w, 11);
	hk_mpk_put_uint(&w, 1);
	hk_mpk_put_cstr(&w, "2.0.0.2");
	hk_mpk_put_uint(&w, 2);
	hk_mpk_put_cstr(&w, "Hanko");
	hk_mpk_put_uint(&w, 3);
	hk_mpk_put_cstr(&w, "");
	hk_mpk_put_uint(&w, 4);
	hk_mpk_put_cstr(&w, "JP");
	hk_mpk_put_uint(&w, 5);
	hk_mpk_put_cstr(&w, "en-US");
	hk_mpk_put_uint(&w, 6);
	hk_mpk_put_cstr(&w, "Hanko remote signing service (SCAL 2, HSM-held "
			    "keys)");
	hk_mpk_put_uint(&w, 7);
	hk_mpk_put_array(&w, 1);
	hk_mpk_put_cstr(&w, "basic");
	hk_mpk_put_uint(&w, 8);
	hk_mpk_put_array(&w, sizeof(methods) / sizeof(methods[0]));
	for (i = 0; i < sizeof(methods) / sizeof(methods[0]); i++)
		hk_mpk_put_cstr(&w, methods[i]);
	hk_mpk_put_uint(&w, 9);
	hk_mpk_put_map(&w, 1);
	hk_mpk_put_uint(&w, 1);
	hk_mpk_put_array(&w, (uint32_t)n);
	for (k = 0; k < n; k++)
		hk_mpk_put_cstr(&w, algos[k]);
	hk_mpk_put_uint(&w, 10);
	hk_mpk_put_map(&w, 2);
	hk_mpk_put_uint(&w, 1);
	hk_mpk_put_array(&w, 0);
	hk_mpk_put_uint(&w, 2);
	hk_mpk_put_array(&w, 0);
	hk_mpk_put_uint(&w, 11);
	hk_mpk_put_array(&w, 0);
	ok_status(j, &w);
}

static void
op_csc_login(struct hk_lc *lc, struct job *j)
{
	char token[HK_SAM_SECRET_LEN + 1];
	uint64_t expires = 0;
	int r;

	if (j->auth.len < 7 || memcmp(j->auth.p, "Basic ", 6) != 0) {
		fail(j, 401, "invalid_request",
		    "Malformed authentication parameter.");
		return;
	}
	if ((r = basic_auth(lc, j)) == HK_EINVAL) {
		fail(j, 400, "invalid_request", "Malformed username-password.");
		return;
	}
	if (r != 0) {
		fail(j, 400, "authentication_error",
		    "An error occurred during authentication process");
		return;
	}
	if ((r = hk_sam_login(lc->o.sam, j->sid, token, &expires)) != 0) {
		CSC_UNAVAILABLE(j);
		return;
	}
	csc_secret(j, token, sizeof(token), expires);
}

static void
op_csc_revoke(struct hk_lc *lc, struct job *j)
{
	struct hk_mpk_writer w;
	struct hk_bytes tok;
	uint8_t session[32];
	char hint[32];

	if (!csc_session(lc, j, session))
		return;
	if (field_bytes(j, 1, &tok) != 0) {
		CSC_BAD(j, "Missing (or invalid type) string parameter token");
		return;
	}
	if (field_str(j, 2, hint, sizeof(hint)) != 0 ||
	    (hint[0] != '\0' && strcmp(hint, "access_token") != 0 &&
		strcmp(hint, "refresh_token") != 0)) {
		CSC_BAD(j, "Invalid string parameter token_type_hint");
		return;
	}
	/* No refresh tokens are issued: only an access token can match. */
	if (strcmp(hint, "refresh_token") == 0 ||
	    hk_sam_revoke(lc->o.sam, j->sid, tok.p, tok.n) != 0) {
		CSC_BAD(j, "Invalid string parameter token");
		return;
	}
	resp_map(j, &w, 0);
	ok_status(j, &w);
	if (j->status == 200)
		j->status = 204;
}

/* gentime(t, out): GeneralizedTime text YYYYMMDDHHMMSSZ. */
static void
gentime(const ASN1_TIME *t, char out[16])
{
	struct tm tm;

	out[0] = '\0';
	if (ASN1_TIME_to_tm(t, &tm) == 1 &&
	    strftime(out, 16, "%Y%m%d%H%M%SZ", &tm) != 15)
		out[0] = '\0';
}

/* RFC 4514 §3: the attribute types written by name; others by OID. */
static const char *
rfc4514_type(int nid)
{
	switch (nid) {
	case NID_commonName: return "CN";
	case NID_localityName: return "L";
	case NID_stateOrProvinceName: return "ST";
	case NID_organizationName: return "O";
	case NID_organizationalUnitName: return "OU";
	case NID_countryName: return "C";
	case NID_streetAddress: return "STREET";
	case NID_domainComponent: return "DC";
	case NID_userId: return "UID";
	default: return NULL;
	}
}

/* Append the RFC 4514 escaped form of UTF-8 ${v}[0..n). */
static int
rfc4514_value(struct hk_buf *b, const unsigned char *v, size_t n)
{
	static const char hexd[] = "0123456789ABCDEF";
	size_t i;
	int r = 0;

	for (i = 0; i < n && r == 0; i++) {
		unsigned char c = v[i];

		if (c == 0) {
			r = hk_buf_put(b, "\\00", 3);
		} else if (c < 0x20 || c == 0x7f) {
			char e[3] = {'\\', hexd[c >> 4], hexd[c & 15]};

			r = hk_buf_put(b, e, 3);
		} else if (strchr("\\\"+,;<>", c) != NULL ||
		    (i == 0 && (c == '#' || c == ' ')) ||
		    (i == n - 1 && c == ' ')) {
			r = hk_buf_putc(b, '\\');
			if (r == 0)
				r = hk_buf_putc(b, c);
		} else {
			r = hk_buf_putc(b, c);
		}
	}
	return r;
}

/* put_name(w, nm): ${nm} as an RFC 4514 string (last RDN first, "+" inside
 * a multi-valued RDN), the form python3-cryptography and RFC 4514 give. */
static void
put_name(struct hk_mpk_writer *w, const X509_NAME *nm)
{
	struct hk_buf b = HK_BUF_INIT;
	int i, n = X509_NAME_entry_count(nm), set = -1, r = 0;

	for (i = n - 1; i >= 0 && r == 0; i--) {
		const X509_NAME_ENTRY *e = X509_NAME_get_entry(nm, i);
		const ASN1_OBJECT *o = X509_NAME_ENTRY_get_object(e);
		const char *t = rfc4514_type(OBJ_obj2nid(o));
		unsigned char *v = NULL;
		char oid[80];
		int vn;

		if (set >= 0)
			r = hk_buf_putc(&b, X509_NAME_ENTRY_set(e) == set ? '+' :
									    ',');
		set = X509_NAME_ENTRY_set(e);
		if (t == NULL) {
			if (OBJ_obj2txt(oid, sizeof(oid), o, 1) <= 0)
				snprintf(oid, sizeof(oid), "?");
			t = oid;
		}
		if (r == 0)
			r = hk_buf_put(&b, t, strlen(t));
		if (r == 0)
			r = hk_buf_putc(&b, '=');
		vn = ASN1_STRING_to_UTF8(&v,
		    X509_NAME_ENTRY_get_data((X509_NAME_ENTRY *)e));
		if (r == 0 && vn >= 0)
			r = rfc4514_value(&b, v, (size_t)vn);
		OPENSSL_free(v);
	}
	if (r == 0)
		hk_mpk_put_str(w, (const char *)b.p, b.len);
	else
		hk_mpk_put_cstr(w, "");
	hk_buf_release(&b);
}

/* The certificates of credential ${cid} (leaf first), from the vault. */
static STACK_OF(X509) *
cred_chain(struct hk_lc *lc, const char *cid, const char *sid)
{
	struct hk_buf pem = HK_BUF_INIT;
	STACK_OF(X509) *sk = NULL;
	char key[48];
	BIO *bio = NULL;
	X509 *x;

	snprintf(key, sizeof(key), "cert/%s", cid);
	if (vault_get_personal(lc, sid, key, &pem) != 0 ||
	    (bio = BIO_new_mem_buf(pem.p, (int)pem.len)) == NULL ||
	    (sk = sk_X509_new_null()) == NULL)
		goto out;
	while ((x = PEM_read_bio_X509(bio, NULL, NULL, NULL)) != NULL)
		if (sk_X509_push(sk, x) == 0) {
			X509_free(x);
			break;
		}
	ERR_clear_error();
out:
	BIO_free(bio);
	sodium_memzero(pem.p, pem.cap);
	hk_buf_release(&pem);
	return sk;
}

/* put_cred_info(): the credentials/info map of ${cid} (keys 1..8), plus
 * key 20 (its id) when ${with_id}. */
static int
put_cred_info(struct hk_lc *lc, struct hk_mpk_writer *w, const char *cid,
    const struct hk_cred_info *ci, const char *certs, bool cert_info,
    bool auth_info, bool with_id)
{
	const char *algos[8], *curve;
	STACK_OF(X509) *sk = cred_chain(lc, cid, ci->signer);
	X509 *leaf = sk != NULL && sk_X509_num(sk) > 0 ? sk_X509_value(sk, 0) :
							  NULL;
	unsigned bits = 0;
	size_t na, i;
	int ncert = 0, k;
	uint64_t now = now_s();
	const char *cstatus;

	na = hk_sam_key_algos(ci->algorithm, algos, 8);
	(void)hk_sam_key_shape(ci->algorithm, &bits, &curve);
	if (leaf != NULL)
		ncert = strcmp(certs, "none") == 0 ? 0 :
		    strcmp(certs, "chain") == 0 ? sk_X509_num(sk) : 1;
	/* The certificate's own status: a Hanko suspension disables the key
	 * (key status), it does not suspend the certificate at its CA. */
	cstatus = ci->state == HK_CRED_DESTROYED ? "revoked" :
	    now > ci->not_after || now < ci->not_before ? "expired" : "valid";
	hk_mpk_put_map(w, 7 + (auth_info ? 1 : 0) + (with_id ? 1 : 0));
	/* keys 1, 2, 3, [4], 5, 6, 7, 8, [20] */
	hk_mpk_put_uint(w, 1);
	hk_mpk_put_cstr(w, ci->level >= 2 ? "Hanko credential, PIN and OTP" :
					    "Hanko credential, PIN");
	hk_mpk_put_uint(w, 2);
	hk_mpk_put_map(w, 3 + (curve != NULL));
	hk_mpk_put_uint(w, 1);
	hk_mpk_put_cstr(w, ci->state == HK_CRED_ACTIVE && !ci->locked ?
		"enabled" : "disabled");
	hk_mpk_put_uint(w, 2);
	hk_mpk_put_array(w, (uint32_t)na);
	for (i = 0; i < na; i++)
		hk_mpk_put_cstr(w, algos[i]);
	hk_mpk_put_uint(w, 3);
	hk_mpk_put_uint(w, bits);
	if (curve != NULL) {
		hk_mpk_put_uint(w, 4);
		hk_mpk_put_cstr(w, curve);
	}
	hk_mpk_put_uint(w, 3);
	hk_mpk_put_map(w, 1 + (ncert > 0) + (cert_info && leaf != NULL ? 5 : 0));
	hk_mpk_put_uint(w, 1);
	hk_mpk_put_cstr(w, cstatus);
	if (ncert > 0) {
		hk_mpk_put_uint(w, 2);
		hk_mpk_put_array(w, (uint32_t)ncert);
		for (k = 0; k < ncert; k++) {
			unsigned char *der = NULL;
			int dn = i2d_X509(sk_X509_value(sk, k), &der);

			if (dn > 0)
				hk_mpk_put_bin(w, der, (size_t)dn);
			else
				hk_mpk_put_bin(w, "", 0);
			OPENSSL_free(der);
		}
	}
	if (cert_info && leaf != NULL) {
		char t[16], *hex;
		BIGNUM *bn = ASN1_INTEGER_to_BN(X509_get0_serialNumber(leaf),
		    NULL);

		hk_mpk_put_uint(w, 3);
		put_name(w, X509_get_issuer_name(leaf));
		hk_mpk_put_uint(w, 4);
		put_name(w, X509_get_subject_name(leaf));
		hk_mpk_put_uint(w, 5);
		hex = bn != NULL ? BN_bn2hex(bn) : NULL;
		hk_mpk_put_cstr(w, hex != NULL ? hex : "");
		OPENSSL_free(hex);
		BN_free(bn);
		hk_mpk_put_uint(w, 6);
		gentime(X509_get0_notBefore(leaf), t);
		hk_mpk_put_cstr(w, t);
		hk_mpk_put_uint(w, 7);
		gentime(X509_get0_notAfter(leaf), t);
		hk_mpk_put_cstr(w, t);
	}
	if (auth_info) {
		bool two = ci->level >= 2;

		hk_mpk_put_uint(w, 4);
		hk_mpk_put_map(w, 3);
		hk_mpk_put_uint(w, 1);
		hk_mpk_put_cstr(w, "explicit");
		hk_mpk_put_uint(w, 2);
		hk_mpk_put_cstr(w, two ? "PIN AND OTP" : "PIN");
		hk_mpk_put_uint(w, 3);
		hk_mpk_put_array(w, two ? 2 : 1);
		hk_mpk_put_map(w, 4);
		hk_mpk_put_uint(w, 1);
		hk_mpk_put_cstr(w, "Password");
		hk_mpk_put_uint(w, 2);
		hk_mpk_put_cstr(w, "PIN");
		hk_mpk_put_uint(w, 3);
		hk_mpk_put_cstr(w, "N");
		hk_mpk_put_uint(w, 4);
		hk_mpk_put_cstr(w, "PIN");
		if (two) {
			hk_mpk_put_map(w, 5);
			hk_mpk_put_uint(w, 1);
			hk_mpk_put_cstr(w, "Password");
			hk_mpk_put_uint(w, 2);
			hk_mpk_put_cstr(w, "OTP");
			hk_mpk_put_uint(w, 3);
			hk_mpk_put_cstr(w, "N");
			hk_mpk_put_uint(w, 4);
			hk_mpk_put_cstr(w, "OTP");
			hk_mpk_put_uint(w, 5);
			hk_mpk_put_cstr(w, "totp");
		}
	}
	hk_mpk_put_uint(w, 5);
	hk_mpk_put_cstr(w, "2");
	hk_mpk_put_uint(w, 6);
	hk_mpk_put_uint(w, HK_SAM_MULTISIGN);
	hk_mpk_put_uint(w, 7);
	hk_mpk_put_cstr(w, "en-US");
	hk_mpk_put_uint(w, 8);
	hk_mpk_put_uint(w, ci->level >= 2 ? 2 : 1);
	if (with_id) {
		hk_mpk_put_uint(w, 20);
		hk_mpk_put_cstr(w, cid);
	}
	sk_X509_pop_free(sk, X509_free);
	return leaf != NULL ? 0 : HK_ENOTFOUND;
}

static bool
certs_arg(struct job *j, uint64_t key, char out[8])
{
	if (field_str(j, key, out, 8) != 0 ||
	    (out[0] != '\0' && strcmp(out, "none") != 0 &&
		strcmp(out, "single") != 0 && strcmp(out, "chain") != 0)) {
		CSC_BAD(j, "Invalid parameter certificates");
		return false;
	}
	if (out[0] == '\0')
		snprintf(out, 8, "single");
	return true;
}

static void
op_csc_cred_info(struct hk_lc *lc, struct job *j)
{
	struct hk_cred_info ci;
	struct hk_mpk_writer w;
	uint8_t session[32];
	char cid[HK_STATE_ID_MAX], certs[8];

	if (!csc_session(lc, j, session) || !csc_cred(lc, j, cid, &ci) ||
	    !certs_arg(j, 2, certs))
		return;
	hk_buf_reset(&j->resp);
	hk_mpk_writer_init(&w, &j->resp);
	if (put_cred_info(lc, &w, cid, &ci, certs, field_bool(j, 3, false),
		field_bool(j, 4, false), false) != 0) {
		fail(j, 500, "server_error", "The certificate cannot be read");
		return;
	}
	ok_status(j, &w);
}

struct csc_list_ctx {
	struct hk_lc *lc;
	const char *sid;
	bool only_valid, info, cert_info, auth_info;
	const char *certs;
	struct hk_mpk_writer *w;
	uint32_t n;
	bool count_only;
};

static bool
listed(const struct csc_list_ctx *c, const struct hk_cred_info *ci)
{
	uint64_t now = now_s();

	if (strcmp(ci->signer, c->sid) != 0 || !ci->has_cert ||
	    (ci->state != HK_CRED_ACTIVE && ci->state != HK_CRED_SUSPENDED))
		return false;
	return !c->only_valid ||
	    (ci->state == HK_CRED_ACTIVE && !ci->locked &&
		now >= ci->not_before && now <= ci->not_after);
}

static int
list_cb(void *arg, const char *id, const struct hk_cred_info *ci)
{
	struct csc_list_ctx *c = arg;

	if (!listed(c, ci))
		return 0;
	if (c->count_only)
		c->n++;
	else if (c->info)
		(void)put_cred_info(c->lc, c->w, id, ci, c->certs, c->cert_info,
		    c->auth_info, true);
	else
		hk_mpk_put_cstr(c->w, id);
	return 0;
}

static void
op_csc_list(struct hk_lc *lc, struct job *j)
{
	struct hk_mpk_writer w;
	struct csc_list_ctx c;
	uint8_t session[32];
	char certs[8];

	if (!csc_session(lc, j, session) || !certs_arg(j, 2, certs))
		return;
	memset(&c, 0, sizeof(c));
	c.lc = lc;
	c.sid = j->sid;
	c.info = field_bool(j, 1, false);
	c.certs = certs;
	c.cert_info = field_bool(j, 3, false);
	c.auth_info = field_bool(j, 4, false);
	c.only_valid = field_bool(j, 5, false);
	c.count_only = true;
	(void)hk_state_foreach_cred(lc->o.state, j->sid, list_cb, &c);
	c.count_only = false;
	hk_buf_reset(&j->resp);
	hk_mpk_writer_init(&w, &j->resp);
	c.w = &w;
	hk_mpk_put_map(&w, 1 + c.info + c.only_valid);
	hk_mpk_put_uint(&w, 1);
	hk_mpk_put_array(&w, c.n);
	c.info = false;
	(void)hk_state_foreach_cred(lc->o.state, j->sid, list_cb, &c);
	if (field_bool(j, 1, false)) {
		c.info = true;
		hk_mpk_put_uint(&w, 2);
		hk_mpk_put_array(&w, c.n);
		(void)hk_state_foreach_cred(lc->o.state, j->sid, list_cb, &c);
	}
	if (c.only_valid) {
		hk_mpk_put_uint(&w, 3);
		hk_mpk_put_bool(&w, true);
	}
	ok_status(j, &w);
}

/* read_hashes(j, key, hash, out, n): the binlist at ${key}, each of the
 * length of ${hash}, none twice; false when answered. */
static bool
read_hashes(struct job *j, uint64_t key, enum hsm_hash hash,
    uint8_t (**out)[HK_SAM_HASH_MAX], size_t *n)
{
	struct hk_mpk_reader r;
	struct hk_bytes h;
	uint32_t cnt, i, k;
	size_t len = hsm_hash_len(hash);

	*out = NULL;
	*n = 0;
	if (field(j, key, &r) != 0 || hk_mpk_get_array(&r, &cnt) != 0) {
		CSC_BAD(j, "Missing (or invalid type) array parameter hashes");
		return false;
	}
	if (cnt == 0) {
		CSC_BAD(j, "Empty hash array");
		return false;
	}
	if (cnt > HK_SAM_MULTISIGN) {
		CSC_BAD(j, "Numbers of signatures is too high");
		return false;
	}
	if ((*out = calloc(cnt, HK_SAM_HASH_MAX)) == NULL) {
		fail(j, 500, "server_error", "out of memory");
		return false;
	}
	for (i = 0; i < cnt; i++) {
		if (hk_mpk_get_bin(&r, &h) != 0) {
			CSC_BAD(j, "Invalid Base64 hash string parameter");
			goto bad;
		}
		if (h.n != len) {
			CSC_BAD(j, "Invalid digest value length");
			goto bad;
		}
		memcpy((*out)[i], h.p, h.n);
		for (k = 0; k < i; k++)
			if (memcmp((*out)[k], (*out)[i], HK_SAM_HASH_MAX) == 0) {
				CSC_BAD(j, "Duplicate hash");
				goto bad;
			}
	}
	*n = cnt;
	return true;
bad:
	free(*out);
	*out = NULL;
	return false;
}

/* The hash algorithm of field ${key}; false when answered. */
static bool
read_hash_oid(struct job *j, uint64_t key, enum hsm_hash *hash,
    char oid[32])
{
	if (field_str(j, key, oid, 32) != 0 || oid[0] == '\0') {
		CSC_BAD(j, "Missing (or invalid type) string parameter "
			   "hashAlgorithmOID");
		return false;
	}
	if (hk_sam_hash_oid(oid, strlen(oid), hash) != 0) {
		CSC_BAD(j, "Invalid parameter hashAlgorithmOID");
		return false;
	}
	return true;
}

/* grant(): store the SAD and record authorization.granted; answer. */
static void
grant(struct hk_lc *lc, struct job *j, const char *cid,
    const struct hk_cred_info *ci, struct hk_sam_grant *g,
    const struct authctx *a, const uint8_t *extends, uint64_t step)
{
	struct hk_sam_grant gone;
	struct bb b;
	char sad[HK_SAM_SECRET_LEN + 1];
	uint8_t id[32], dead[32];
	const char *why = NULL;
	uint64_t life = lc->o.cfg->sad_lifetime_s;
	int r;

	g->expires_ms = now_ms() + life * 1000;
	if ((r = hk_sam_sad_new(lc->o.sam, g, sad, id)) != 0) {
		CSC_UNAVAILABLE(j);
		return;
	}
	/* sad_id, expires, level, and what auth_count() counts. */
	bb_init(&b, 3 + auth_count(a, j) + (extends != NULL) + (step != 0));
	bb_bin(&b, HK_BODY_AUTH_SAD_ID, id, 32);
	auth_put(&b, a);
	bb_uint(&b, HK_BODY_AUTH_EXPIRES, g->expires_ms);
	if (extends != NULL)
		bb_bin(&b, HK_BODY_AUTH_EXTENDS, extends, 32);
	bb_uint(&b, HK_BODY_AUTH_LEVEL, ci->level);
	auth_put_tail(&b, a, j);
	if (step != 0)
		bb_uint(&b, HK_BODY_OTP_STEP, step);
	if ((r = emit_bb(lc, j, HK_EV_AUTH_GRANTED, ci->signer, cid, &b, NULL,
		 0, &why)) != 0) {
		/* Not recorded: the SAD must not work. */
		if (hk_sam_sad_take(lc->o.sam, (const uint8_t *)sad,
			HK_SAM_SECRET_LEN, cid, ci->signer, NULL, &gone, dead) == 0)
			free(gone.hashes);
		sodium_memzero(sad, sizeof(sad));
		if (r == HK_ESTATE)
			CSC_BAD(j, "The credential identified by credentialID "
				   "is disabled");
		else
			CSC_UNAVAILABLE(j);
		return;
	}
	csc_secret(j, sad, sizeof(sad), life);
}

static void
op_csc_authorize(struct hk_lc *lc, struct job *j)
{
	struct hk_cred_info ci;
	struct hk_sam_grant g;
	struct authctx a;
	struct hk_mpk_reader r;
	struct hk_bytes pin = {NULL, 0}, otp = {NULL, 0};
	uint8_t session[32], (*hashes)[HK_SAM_HASH_MAX] = NULL;
	char cid[HK_STATE_ID_MAX], oid[32], cd[1100];
	enum hsm_hash hash;
	uint64_t num = 0, step = 0;
	uint32_t nauth, i, nkeys;
	size_t nh = 0;

	memset(&a, 0, sizeof(a));
	if (!csc_session(lc, j, session) || !csc_cred(lc, j, cid, &ci))
		return;
	if (field_uint(j, 2, &num) != 0) {
		CSC_BAD(j, "Missing (or invalid type) integer parameter "
			   "numSignatures");
		return;
	}
	if (num < 1) {
		CSC_BAD(j, "Invalid value for parameter numSignatures");
		return;
	}
	if (num > HK_SAM_MULTISIGN) {
		CSC_BAD(j, "Numbers of signatures is too high");
		return;
	}
	if (!read_hash_oid(j, 4, &hash, oid) ||
	    !read_hashes(j, 3, hash, &hashes, &nh))
		return;
	if (nh != num) {
		CSC_BAD(j, "The number of hashes does not match numSignatures");
		goto out;
	}
	if (field_str(j, 7, cd, sizeof(cd)) != 0) {
		CSC_BAD(j, "Invalid parameter clientData");
		goto out;
	}
	/* authData: [{1: id, 2: value}] with PIN (and OTP at level 2). */
	if (field(j, 5, &r) != 0 || hk_mpk_get_array(&r, &nauth) != 0) {
		CSC_BAD(j, "Missing (or invalid type) authData PIN");
		goto out;
	}
	for (i = 0; i < nauth; i++) {
		struct hk_bytes id = {NULL, 0}, val = {NULL, 0};
		uint64_t key;
		uint32_t k;

		if (hk_mpk_get_map(&r, &nkeys) != 0) {
			CSC_BAD(j, "Invalid parameter authData");
			goto out;
		}
		for (k = 0; k < nkeys; k++) {
			if (hk_mpk_get_uint(&r, &key) != 0 ||
			    (key == 1 && hk_mpk_get_str(&r, &id) != 0) ||
			    (key == 2 && hk_mpk_get_str(&r, &val) != 0) ||
			    (key != 1 && key != 2)) {
				CSC_BAD(j, "Invalid parameter authData");
				goto out;
			}
		}
		if (id.n == 3 && memcmp(id.p, "PIN", 3) == 0 && pin.p == NULL)
			pin = val;
		else if (id.n == 3 && memcmp(id.p, "OTP", 3) == 0 &&
		    otp.p == NULL)
			otp = val;
		else {
			CSC_BAD(j, "Invalid parameter authData");
			goto out;
		}
	}
	if (pin.p == NULL || pin.n == 0) {
		CSC_BAD(j, "Missing (or invalid type) authData PIN");
		goto out;
	}
	if (ci.level >= 2 && (otp.p == NULL || otp.n == 0)) {
		CSC_BAD(j, "Missing (or invalid type) authData OTP");
		goto out;
	}
	if (ci.level < 2 && otp.p != NULL) {
		CSC_BAD(j, "Invalid parameter authData");
		goto out;
	}
	if (!csc_usable(j, &ci))
		goto out;
	a.session = session;
	a.hash_oid = oid;
	a.hashes = hashes;
	a.nhashes = nh;
	a.hlen = hsm_hash_len(hash);
	a.num = num;
	a.client_data = cd;
	/* ACT-1, ACT-2: PIN (argon2id), then TOTP with replay refusal. */
	if (check_pin(lc, cid, pin) != 0) {
		csc_deny(lc, j, cid, &ci, "wrong PIN", &a);
		goto out;
	}
	if (ci.level >= 2 && check_otp(lc, cid, &ci, otp, &step) != 0) {
		csc_deny(lc, j, cid, &ci, "wrong or reused OTP", &a);
		goto out;
	}
	memset(&g, 0, sizeof(g));
	snprintf(g.credential, sizeof(g.credential), "%s", cid);
	snprintf(g.signer, sizeof(g.signer), "%s", j->sid);
	memcpy(g.session, session, 32);
	snprintf(g.hash_oid, sizeof(g.hash_oid), "%s", oid);
	g.hash_len = a.hlen;
	g.nhashes = nh;
	g.hashes = hashes;
	grant(lc, j, cid, &ci, &g, &a, NULL, step);
out:
	free(hashes);
}

static void
op_csc_extend(struct hk_lc *lc, struct job *j)
{
	struct hk_cred_info ci;
	struct hk_sam_grant g;
	struct authctx a;
	struct hk_bytes sad;
	uint8_t session[32], old[32], (*more)[HK_SAM_HASH_MAX] = NULL;
	char cid[HK_STATE_ID_MAX], oid[32], cd[1100];
	enum hsm_hash hash;
	size_t nmore = 0, i, k;
	struct hk_mpk_reader r;
	int e;

	memset(&a, 0, sizeof(a));
	memset(&g, 0, sizeof(g));
	if (!csc_session(lc, j, session) || !csc_cred(lc, j, cid, &ci))
		return;
	if (field_bytes(j, 2, &sad) != 0) {
		CSC_BAD(j, "Missing (or invalid type) string parameter SAD");
		return;
	}
	if (field_str(j, 5, cd, sizeof(cd)) != 0) {
		CSC_BAD(j, "Invalid parameter clientData");
		return;
	}
	if (field(j, 3, &r) == 0 &&
	    (!read_hash_oid(j, 4, &hash, oid) ||
		!read_hashes(j, 3, hash, &more, &nmore)))
		return;
	if (!csc_usable(j, &ci))
		goto out;
	/* ACT-6: the old SAD dies here, whatever follows. */
	e = hk_sam_sad_take(lc->o.sam, sad.p, sad.n, cid, j->sid, session, &g,
	    old);
	if (e == HK_ETIMEOUT) {
		CSC_BAD(j, "SAD expired");
		goto out;
	}
	if (e != 0) {
		CSC_BAD(j, "Invalid parameter SAD");
		goto out;
	}
	/* Every hash is bound at authorisation (SCAL 2): hashes given here
	 * must be among those not yet signed. */
	if (nmore > 0 && strcmp(oid, g.hash_oid) != 0) {
		CSC_BAD(j, "Invalid parameter hashAlgorithmOID");
		goto out;
	}
	for (i = 0; i < nmore; i++) {
		for (k = 0; k < g.nhashes; k++)
			if (memcmp(more[i], g.hashes[k], HK_SAM_HASH_MAX) == 0)
				break;
		if (k == g.nhashes) {
			CSC_BAD(j, "Numbers of signatures is too high");
			goto out;
		}
	}
	memcpy(g.session, session, 32);
	a.session = session;
	a.hash_oid = g.hash_oid;
	a.hashes = g.hashes;
	a.nhashes = g.nhashes;
	a.hlen = g.hash_len;
	a.num = g.nhashes;
	a.client_data = cd;
	grant(lc, j, cid, &ci, &g, &a, old, 0);
out:
	free(g.hashes);
	free(more);
}

/* The certificate chain bound to ${cid}, opened with the signer's data
 * key (for the bundle's certs/). */
static int
bundle_cert(void *arg, const char *cid, const char *sid, struct hk_buf *pem,
    const char **why)
{
	struct hk_lc *lc = arg;
	char key[128];
	int r;

	*why = NULL;
	snprintf(key, sizeof(key), "cert/%s", cid);
	if ((r = vault_get_personal(lc, sid, key, pem)) != 0)
		*why = r == HK_ENOTFOUND ? "no certificate or data key in the "
					   "vault" :
					   "the certificate's box does not open";
	return r;
}

/* GET /audit/v1/bundle and its chunks (core/audit_bundle.h), owned by the
 * certificate that asked. */
static void
op_audit_bundle(struct hk_lc *lc, struct job *j)
{
	struct hk_audit_answer a = {0, &j->resp, j->reason, sizeof(j->reason),
	    j->target, sizeof(j->target)};

	if (lc->spool == NULL) {
		fail(j, 503, "unavailable", "bundle downloads are not "
					    "configured");
		return;
	}
	if (j->type == HK_IPC_AUDIT_BUNDLE)
		hk_audit_bundle_open(lc->spool, lc->o.ledger, j->fp,
		    bundle_cert, lc, j->body.p, j->body.len, &a);
	else
		hk_audit_bundle_read(lc->spool, j->fp, j->body.p, j->body.len,
		    &a);
	j->status = a.status;
}

/* The auditor API (docs/audit-api.md): read-only handlers of their own
 * file, run like every admin operation (role check, admin.request). */
static void
op_audit(struct hk_lc *lc, struct job *j)
{
	struct hk_audit_answer a = {0, &j->resp, j->reason, sizeof(j->reason),
	    j->target, sizeof(j->target)};
	struct hk_audit_ctx cx = {lc->o.ledger, lc->o.state, now_ms(), NULL};

	hk_audit_api_run(&cx, j->type, j->body.p, j->body.len, &a);
	j->status = a.status;
}

static const struct {
	uint64_t type;
	const char *op;
	unsigned roles; /* 0: a signer route */
	handler_fn fn;
} ops_table[] = {
	{HK_IPC_ADMIN_STATUS, "status", R_ADMIN | R_SO | R_OPERATOR, op_status},
	{HK_IPC_USERS_LIST, "users.list", R_SO, op_users_list},
	{HK_IPC_USERS_ADD, "users.add", R_ADMIN | R_SO, op_users_add},
	{HK_IPC_USERS_REMOVE, "users.remove", R_ADMIN | R_SO, op_users_remove},
	{HK_IPC_APPROVALS_LIST, "approvals.list", R_SO, op_approvals_list},
	{HK_IPC_APPROVAL_DECIDE, "approvals.decide", R_SO, op_approval_decide},
	{HK_IPC_SIGNER_REGISTER, "signers.register", R_ADMIN,
	    op_signer_register},
	{HK_IPC_SIGNER_GET, "signers.get", R_ADMIN, op_signer_get},
	{HK_IPC_SIGNER_ERASE, "signers.erase", R_ADMIN, op_signer_erase},
	{HK_IPC_CREDENTIAL_CREATE, "credentials.create", R_ADMIN,
	    op_cred_create},
	{HK_IPC_CREDENTIAL_GET, "credentials.get", R_ADMIN, op_cred_get},
	{HK_IPC_CREDENTIAL_KEY, "credentials.key", R_ADMIN, op_cred_key},
	{HK_IPC_CREDENTIAL_CSR, "credentials.csr", R_ADMIN, op_cred_csr},
	{HK_IPC_CREDENTIAL_CSR_GET, "credentials.csr_get", R_ADMIN,
	    op_cred_csr_get},
	{HK_IPC_CREDENTIAL_CERTIFICATE, "credentials.certificate", R_ADMIN,
	    op_cred_certificate},
	{HK_IPC_CREDENTIAL_SUSPEND, "credentials.suspend", R_ADMIN,
	    op_cred_suspend},
	{HK_IPC_CREDENTIAL_RESUME, "credentials.resume", R_ADMIN,
	    op_cred_resume},
	{HK_IPC_CREDENTIAL_DESTROY, "credentials.destroy", R_ADMIN,
	    op_cred_destroy},
	{HK_IPC_CREDENTIAL_UNLOCK, "credentials.unlock", R_ADMIN | R_SO,
	    op_cred_unlock},
	{HK_IPC_CREDENTIAL_RENEW, "credentials.renew", R_ADMIN, op_cred_renew},
	{HK_IPC_AUDIT_STATUS, "audit.status", R_AUDITOR, op_audit},
	{HK_IPC_AUDIT_EVENTS, "audit.events", R_AUDITOR, op_audit},
	{HK_IPC_AUDIT_RECEIPT, "audit.receipt", R_AUDITOR, op_audit},
	{HK_IPC_AUDIT_CONSISTENCY, "audit.consistency", R_AUDITOR, op_audit},
	{HK_IPC_AUDIT_SIGNATURES, "audit.signatures", R_AUDITOR, op_audit},
	{HK_IPC_AUDIT_BUNDLE, "audit.bundle", R_AUDITOR, op_audit_bundle},
	{HK_IPC_AUDIT_BUNDLE_READ, "audit.bundle_read", R_AUDITOR,
	    op_audit_bundle},
	{HK_IPC_AUDIT_SUMMARY, "audit.summary", R_AUDITOR, op_audit},
	{HK_IPC_AUDIT_HISTORY, "audit.history", R_AUDITOR, op_audit},
	{HK_IPC_AUDIT_SIGNERS, "audit.signers", R_AUDITOR, op_audit},
	/* The auditor console (issue 8): the front serves its assets only
	 * after this answers 200. */
	{HK_IPC_CONSOLE, "console", R_AUDITOR, op_audit},
	{HK_IPC_SIGNER_ENROLL, "enroll", 0, op_enroll},
	{HK_IPC_SIGNER_CSR_GET, "signer.csr_get", 0, op_signer_csr_get},
	{HK_IPC_SIGNER_CSR_CONFIRM, "signer.csr_confirm", 0,
	    op_signer_csr_confirm},
	{HK_IPC_SIGNER_NONCE, "signer.nonce", 0, op_signer_nonce},
	{HK_IPC_SIGNER_SUSPEND, "signer.suspend", 0, op_signer_suspend},
	{HK_IPC_SIGNER_DESTROY, "signer.destroy", 0, op_signer_destroy},
	{HK_IPC_CSC_INFO, "csc.info", 0, op_csc_info},
	{HK_IPC_CSC_LOGIN, "csc.login", 0, op_csc_login},
	{HK_IPC_CSC_REVOKE, "csc.revoke", 0, op_csc_revoke},
	{HK_IPC_CSC_LIST, "csc.list", 0, op_csc_list},
	{HK_IPC_CSC_CRED_INFO, "csc.credentials_info", 0, op_csc_cred_info},
	{HK_IPC_CSC_AUTHORIZE, "csc.authorize", 0, op_csc_authorize},
	{HK_IPC_CSC_EXTEND, "csc.extend", 0, op_csc_extend},
};
#define NOPS (sizeof(ops_table) / sizeof(ops_table[0]))

/** hk_lc_handles(type): whether ${type} is one of the executor's. */
bool
hk_lc_handles(uint64_t type)
{
	size_t i;

	for (i = 0; i < NOPS; i++)
		if (ops_table[i].type == type)
			return true;
	return false;
}

/* OPS-6: every admin request, allowed or refused, with who, from where,
 * what, on what, and how it ended. */
static void
record_admin(struct hk_lc *lc, struct job *j, const char *op)
{
	struct bb b;
	const char *why = NULL;
	bool allowed = j->status >= 200 && j->status < 300;

	bb_init(&b, allowed ? 4 : 5);
	bb_str(&b, HK_BODY_AR_OPERATION, op);
	bb_str(&b, HK_BODY_AR_TARGET, j->target);
	bb_str(&b, HK_BODY_AR_OUTCOME, allowed ? "allowed" : "refused");
	bb_uint(&b, HK_BODY_AR_STATUS, j->status);
	if (!allowed)
		bb_str(&b, HK_BODY_AR_REASON, j->reason);
	if (emit_bb(lc, j, HK_EV_ADMIN_REQUEST, "", "", &b, NULL, 0, &why) !=
	    0) {
		hk_error_f("cannot record admin request %s: the answer becomes "
			   "503", op);
		fail(j, 503, "unavailable", "the request could not be recorded");
	}
}

static void
run(struct hk_lc *lc, struct job *j)
{
	struct hk_puser_info u;
	size_t i;

	for (i = 0; i < NOPS && ops_table[i].type != j->type; i++)
		;
	if (i == NOPS) {
		fail(j, 404, "not_found", "unknown operation");
		return;
	}
	if (ops_table[i].roles == 0) {
		if (j->listener != HK_IPC_SIGNING) {
			fail(j, 404, "not_found", "unknown operation");
			return;
		}
		ops_table[i].fn(lc, j);
		return;
	}
	/* Admin routes: the certificate names the privileged user (REG-8,
	 * OPS-1); the front only forwarded what it saw. A refused console
	 * request is recorded with the path it asked for. */
	hk_audit_api_target(j->type, j->body.p, j->body.len, j->target,
	    sizeof(j->target));
	if (j->listener != HK_IPC_ADMIN || !j->has_cert) {
		fail(j, 403, "forbidden", "a privileged user's certificate is "
					  "required");
	} else if (hk_state_puser(lc->o.state, j->fp, &u) != 0 || !u.active) {
		fail(j, 403, "forbidden", "not an active privileged user");
	} else if ((role_bit(u.role) & ops_table[i].roles) == 0) {
		fail(j, 403, "forbidden", "this role may not do that");
	} else {
		ops_table[i].fn(lc, j);
	}
	/* One HTTP request, one record: a bundle's further chunks are the
	 * front fetching the rest of the download that audit.bundle
	 * recorded; only a refused one is recorded again. */
	if (j->type == HK_IPC_AUDIT_BUNDLE_READ && j->status == 200)
		return;
	record_admin(lc, j, ops_table[i].op);
}

static void
job_free(struct job *j)
{
	if (j == NULL)
		return;
	hk_buf_release(&j->auth);
	hk_buf_release(&j->body);
	hk_buf_release(&j->resp);
	free(j);
}

static void *
thread_main(void *arg)
{
	struct lane *ln = arg;
	struct hk_lc *lc = ln->lc;
	struct job *j;

	hk_thread_name(ln == &lc->lane[0] ? "hk-exec" : "hk-exec-bulk");
	pthread_mutex_lock(&lc->mu);
	for (;;) {
		while (ln->head == NULL && !lc->stopping)
			pthread_cond_wait(&ln->cv, &lc->mu);
		if ((j = ln->head) == NULL)
			break;
		ln->head = j->next;
		if (ln->head == NULL)
			ln->tail = &ln->head;
		ln->queued--;
		pthread_mutex_unlock(&lc->mu);
		run(lc, j);
		lc->o.done(lc->o.arg, j->id, j->status, j->resp.p, j->resp.len);
		job_free(j);
		pthread_mutex_lock(&lc->mu);
	}
	pthread_mutex_unlock(&lc->mu);
	return NULL;
}

/** hk_lc_submit(lc, req): queue a copy of ${req}. */
int
hk_lc_submit(struct hk_lc *lc, const struct hk_ipc_msg *req)
{
	struct lane *ln;
	struct job *j;
	size_t n;
	int r;

	if ((j = calloc(1, sizeof(*j))) == NULL)
		return HK_ENOMEM;
	j->id = req->id;
	j->type = req->type;
	j->listener = req->ctx.listener;
	j->has_cert = req->ctx.has_client_cert;
	memcpy(j->fp, req->ctx.client_fp, 32);
	hk_hex_encode(j->fp_hex, j->fp, 32);
	n = req->ctx.peer.n < sizeof(j->peer) - 1 ? req->ctx.peer.n :
						     sizeof(j->peer) - 1;
	if (n > 0)
		memcpy(j->peer, req->ctx.peer.p, n);
	n = req->ctx.client_subject.n < sizeof(j->subject) - 1 ?
	    req->ctx.client_subject.n : sizeof(j->subject) - 1;
	if (n > 0)
		memcpy(j->subject, req->ctx.client_subject.p, n);
	n = req->ctx.tls.n < sizeof(j->tls) - 1 ? req->ctx.tls.n :
						   sizeof(j->tls) - 1;
	if (n > 0)
		memcpy(j->tls, req->ctx.tls.p, n);
	if ((r = hk_buf_put(&j->auth, req->ctx.authorization.p,
		 req->ctx.authorization.n)) != 0 ||
	    (r = hk_buf_put(&j->body, req->body.p, req->body.n)) != 0) {
		job_free(j);
		return r;
	}
	ln = &lc->lane[j->type == HK_IPC_AUDIT_BUNDLE ? 1 : 0];
	pthread_mutex_lock(&lc->mu);
	if (lc->stopping || ln->queued >= ln->max) {
		pthread_mutex_unlock(&lc->mu);
		job_free(j);
		return HK_EBUSY;
	}
	*ln->tail = j;
	ln->tail = &j->next;
	ln->queued++;
	pthread_cond_signal(&ln->cv);
	pthread_mutex_unlock(&lc->mu);
	return 0;
}

static int
load_trust(struct hk_lc *lc)
{
	FILE *f;
	char *pem = NULL;
	size_t n = 0;
	bool blank = true;
	int r = 0;

	if ((lc->trust = hk_certcheck_store_new()) == NULL ||
	    (lc->operators = X509_STORE_new()) == NULL)
		return HK_ENOMEM;
	if (X509_STORE_load_file(lc->operators, lc->o.cfg->admin.client_ca) !=
	    1) {
		hk_error_f("cannot load the operator CA %s",
		    lc->o.cfg->admin.client_ca);
		return HK_ECONFIG;
	}
	if ((f = fopen(lc->o.cfg->trusted_cas, "r")) == NULL) {
		hk_error_f("cannot open %s: %s", lc->o.cfg->trusted_cas,
		    strerror(errno));
		return HK_ECONFIG;
	}
	if ((pem = calloc(1, 1 << 20)) != NULL)
		n = fread(pem, 1, (1 << 20) - 1, f);
	fclose(f);
	if (pem == NULL)
		return HK_ENOMEM;
	for (size_t i = 0; i < n; i++)
		if (pem[i] != ' ' && pem[i] != '\n' && pem[i] != '\r' &&
		    pem[i] != '\t')
			blank = false;
	/* An empty bundle is allowed: no certificate is accepted until the
	 * operator configures the issuing CAs. */
	if (!blank && (r = hk_certcheck_store_add_pem(lc->trust, pem, n)) != 0)
		hk_error_f("%s: not a bundle of CA certificates",
		    lc->o.cfg->trusted_cas);
	else
		hk_info_f("%zu trusted issuing CA(s)",
		    hk_certcheck_store_count(lc->trust));
	free(pem);
	return r == 0 ? 0 : HK_ECONFIG;
}

/* lanes_stop(lc): finish the queued jobs, stop the started threads. */
static void
lanes_stop(struct hk_lc *lc)
{
	size_t i;

	pthread_mutex_lock(&lc->mu);
	lc->stopping = true;
	for (i = 0; i < 2; i++)
		pthread_cond_broadcast(&lc->lane[i].cv);
	pthread_mutex_unlock(&lc->mu);
	for (i = 0; i < 2; i++) {
		if (lc->lane[i].started)
			pthread_join(lc->lane[i].thread, NULL);
		pthread_cond_destroy(&lc->lane[i].cv);
	}
}

/** hk_lc_new(o, out): start the executor. */
int
hk_lc_new(const struct hk_lc_opts *o, struct hk_lc **out)
{
	struct hk_lc *lc;
	size_t i;
	int r;

	if ((lc = calloc(1, sizeof(*lc))) == NULL)
		return HK_ENOMEM;
	lc->o = *o;
	pthread_mutex_init(&lc->mu, NULL);
	for (i = 0; i < 2; i++) {
		lc->lane[i].lc = lc;
		lc->lane[i].tail = &lc->lane[i].head;
		lc->lane[i].max = i == 0 ? QUEUE_MAX : HK_AUDIT_BUNDLE_OPEN_MAX;
		pthread_cond_init(&lc->lane[i].cv, NULL);
	}
	if ((r = load_trust(lc)) == 0 && o->spool_dir != NULL)
		r = hk_audit_spool_new(o->spool_dir, &lc->spool);
	for (i = 0; i < 2 && r == 0; i++) {
		if (pthread_create(&lc->lane[i].thread, NULL, thread_main,
			&lc->lane[i]) != 0)
			r = HK_ENOMEM;
		else
			lc->lane[i].started = true;
	}
	if (r != 0) {
		lanes_stop(lc);
		hk_audit_spool_free(lc->spool);
		hk_certcheck_store_free(lc->trust);
		X509_STORE_free(lc->operators);
		free(lc);
		return r;
	}
	*out = lc;
	return 0;
}

/** hk_lc_free(lc): finish the queue, stop the thread. */
void
hk_lc_free(struct hk_lc *lc)
{
	if (lc == NULL)
		return;
	lanes_stop(lc);
	hk_audit_spool_free(lc->spool);
	hk_certcheck_store_free(lc->trust);
	X509_STORE_free(lc->operators);
	sodium_memzero(lc->nonces, sizeof(lc->nonces));
	pthread_mutex_destroy(&lc->mu);
	free(lc);
}
