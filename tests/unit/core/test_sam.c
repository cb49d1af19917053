/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Unit tests for the SAM (core/sam.c) and the CSC methods of the executor
 * (core/lifecycle.c), below the network: a throwaway ledger and SoftHSM
 * token, a signer with an active P-256 credential made from events (as the
 * admin API would have recorded them), and CSC requests submitted as the
 * front would send them. Signatures are verified with OpenSSL against the
 * key's SPKI; events are read back from the ledger.
 * ACT-1, ACT-2, ACT-4, ACT-6, ACT-8, ACT-9, SIG-1, SIG-2, SIG-3, OPS-4.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>



#include <cmocka.h>
#include <sodium.h>

#include "core/codec.h"
#include "core/lifecycle.h"
#include "core/mpk.h"
#include "core/pwhash.h"
#include "core/sam.h"
#include "core/state.h"
#include "core/totp.h"
#include "tests/unit/hsm/hsm_fixture.h"
#include "tests/unit/testutil.h"

#define SID "s-00000000000000a1"
#define CID2 "c-00000000000000b2" /* level 2: PIN and TOTP */
#define CID1 "c-00000000000000b1" /* level 1: PIN */
/* The credential the helpers use (most tests: level 1, so that they need
 * no TOTP step each; TOTP has its own tests on CID2). */
static const char *CID = CID1;
static bool L2; /* CID is CID2 */
#define PASSWORD "correct horse battery"
#define PIN "246810"

/* The bin at ${key} of an event body. */
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

static void
sleep_ms(long ms)
{
	struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};

	nanosleep(&ts, NULL);
}

/* ---- answers --------------------------------------------------------------- */

struct answer {
	struct answer *next;
	uint64_t id;
	unsigned status;
	size_t len;
	uint8_t body[];
};

static pthread_mutex_t amu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t acv = PTHREAD_COND_INITIALIZER;
static struct answer *answers;

static void
done_cb(void *arg, uint64_t id, unsigned status, const uint8_t *body,
    size_t len)
{
	struct answer *a = malloc(sizeof(*a) + len);

	(void)arg;
	if (a == NULL)
		abort();
	a->id = id;
	a->status = status;
	a->len = len;
	memcpy(a->body, body, len);
	pthread_mutex_lock(&amu);
	a->next = answers;
	answers = a;
	pthread_cond_broadcast(&acv);
	pthread_mutex_unlock(&amu);
}

/* wait_answer(id): the answer to request ${id} (the caller frees it). */
static struct answer *
wait_answer(uint64_t id)
{
	struct answer **p, *a = NULL;
	struct timespec until;

	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += 30;
	pthread_mutex_lock(&amu);
	while (a == NULL) {
		for (p = &answers; *p != NULL; p = &(*p)->next)
			if ((*p)->id == id) {
				a = *p;
				*p = a->next;
				break;
			}
		if (a == NULL &&
		    pthread_cond_timedwait(&acv, &amu, &until) != 0)
			break;
	}
	pthread_mutex_unlock(&amu);
	assert_non_null(a);
	return a;
}

/* ---- the world ---------------------------------------------------------------- */

static struct {
	struct fx x;
	struct fixture f;
	struct hsm_pool *pool;
	struct hsm_keyinfo vault, key, key2;
	struct hk_config cfg;
	struct hk_state *st;
	struct hk_sam *sam;
	struct hk_lc *lc;
	uint8_t seed[20];
	uint64_t next_id;
	uint64_t last_step;
	char ca[512], trust[512];
} W;

static void
append(uint64_t type, const char *sid, const char *cid, struct hk_buf *body,
    const struct ledger_vault_op *ops, size_t nops)
{
	struct hk_event ev;
	const char *why = NULL;

	memset(&ev, 0, sizeof(ev));
	ev.type = type;
	ev.actor_kind = HK_ACTOR_SYSTEM;
	ev.actor_id = (struct hk_bytes){(const uint8_t *)"test", 4};
	ev.signer = (struct hk_bytes){(const uint8_t *)sid, strlen(sid)};
	ev.credential = (struct hk_bytes){(const uint8_t *)cid, strlen(cid)};
	ev.body = (struct hk_bytes){body->p, body->len};
	assert_int_equal(hk_state_check(W.st, &ev, &why), 0);
	assert_int_equal(ledger_append_vault_wait(W.f.l, &ev, ops, nops,
			     &ev.seq),
	    0);
	assert_int_equal(hk_state_apply(W.st, &ev, &why), 0);
	hk_buf_release(body);
}

static struct ledger_vault_op
vop(const char *key, const void *val, size_t n)
{
	return (struct ledger_vault_op){(const uint8_t *)key, strlen(key),
	    (const uint8_t *)val, n};
}

/* A signer (password) as the admin API records it. */
static void
make_signer(const char *sid)
{
	struct hk_buf b = HK_BUF_INIT;
	struct hk_mpk_writer w;
	uint8_t fake[32];

	memset(fake, 0x5a, sizeof(fake));
	hk_mpk_writer_init(&w, &b);
	hk_mpk_put_map(&w, 2);
	hk_mpk_put_uint(&w, HK_BODY_SG_KIND);
	hk_mpk_put_cstr(&w, "natural");
	hk_mpk_put_uint(&w, HK_BODY_SG_COMMITMENT);
	hk_mpk_put_bin(&w, fake, 32);
	append(HK_EV_SIGNER_REGISTERED, sid, "", &b, NULL, 0);
}

/* An enrolled, certified, active P-256 credential of ${sid} at ${level}
 * with key ${key}, recorded as the admin API records it. */
static void
make_cred(const char *sid, const char *cid, unsigned level,
    const struct hsm_keyinfo *key, const uint8_t *seed)
{
	struct hk_buf b = HK_BUF_INIT;
	struct hk_mpk_writer w;
	struct hk_pwhash_params pp;
	struct ledger_vault_op ops[3];
	char pwh[HK_PWHASH_STR_LEN], pinh[HK_PWHASH_STR_LEN];
	char kpw[48], kpin[48], kotp[48];
	uint8_t sealed[64 + HSM_SEAL_OVERHEAD], fake[32];
	size_t slen = 0;
	uint64_t now = (uint64_t)time(NULL);

	memset(fake, 0x5a, sizeof(fake));
	hk_mpk_writer_init(&w, &b);
	hk_mpk_put_map(&w, 3);
	hk_mpk_put_uint(&w, HK_BODY_CR_ALGORITHM);
	hk_mpk_put_cstr(&w, "p256");
	hk_mpk_put_uint(&w, HK_BODY_CR_LEVEL);
	hk_mpk_put_uint(&w, level);
	hk_mpk_put_uint(&w, HK_BODY_CR_CODE_EXPIRES);
	hk_mpk_put_uint(&w, (now + 3600) * 1000);
	append(HK_EV_CREDENTIAL_CREATED, sid, cid, &b, NULL, 0);

	hk_pwhash_params_test(&pp);
	assert_int_equal(hk_pwhash_hash(&pp, (const uint8_t *)PASSWORD,
			     strlen(PASSWORD), pwh),
	    0);
	assert_int_equal(hk_pwhash_hash(&pp, (const uint8_t *)PIN,
			     strlen(PIN), pinh),
	    0);
	snprintf(kpw, sizeof(kpw), "pw/%s", sid);
	snprintf(kpin, sizeof(kpin), "pin/%s", cid);
	snprintf(kotp, sizeof(kotp), "otp/%s", cid);
	assert_int_equal(hsm_seal(W.pool, W.vault.id, (const uint8_t *)kotp,
			     strlen(kotp), seed, 20, sealed, &slen),
	    0);
	ops[0] = vop(kpw, pwh, strlen(pwh));
	ops[1] = vop(kpin, pinh, strlen(pinh));
	ops[2] = vop(kotp, sealed, slen);
	hk_mpk_writer_init(&w, &b);
	hk_mpk_put_map(&w, 0);
	append(HK_EV_CREDENTIAL_ENROLLED, sid, cid, &b, ops, level >= 2 ? 3 : 2);

	hk_mpk_writer_init(&w, &b);
	hk_mpk_put_map(&w, 4);
	hk_mpk_put_uint(&w, HK_BODY_KEY_ALGORITHM);
	hk_mpk_put_cstr(&w, "p256");
	hk_mpk_put_uint(&w, HK_BODY_KEY_ID);
	hk_mpk_put_bin(&w, key->id, 16);
	hk_mpk_put_uint(&w, HK_BODY_KEY_FINGERPRINT);
	hk_mpk_put_bin(&w, key->fpr, 32);
	hk_mpk_put_uint(&w, HK_BODY_KEY_SPKI);
	hk_mpk_put_bin(&w, key->spki, key->spki_len);
	append(HK_EV_KEY_GENERATED, sid, cid, &b, NULL, 0);

	hk_mpk_writer_init(&w, &b);
	hk_mpk_put_map(&w, 6);
	hk_mpk_put_uint(&w, HK_BODY_CERT_FINGERPRINT);
	hk_mpk_put_bin(&w, fake, 32);
	hk_mpk_put_uint(&w, HK_BODY_CERT_NOT_BEFORE);
	hk_mpk_put_uint(&w, now - 60);
	hk_mpk_put_uint(&w, HK_BODY_CERT_NOT_AFTER);
	hk_mpk_put_uint(&w, now + 86400);
	hk_mpk_put_uint(&w, HK_BODY_CERT_ISSUER);
	hk_mpk_put_cstr(&w, "CN=Test CA");
	hk_mpk_put_uint(&w, HK_BODY_CERT_SERIAL);
	hk_mpk_put_cstr(&w, "01");
	hk_mpk_put_uint(&w, HK_BODY_CERT_KEY_ID);
	hk_mpk_put_bin(&w, key->id, 16);
	append(HK_EV_CERT_BOUND, sid, cid, &b, NULL, 0);
}

static int
setup(void **state)
{
	struct hsm_opts o;
	struct hk_sam_opts so;
	struct hk_lc_opts lo;
	char cmd[2048];
	struct hk_cred_info ci;

	(void)state;
	fx_setup(&W.x);
	o = fx_opts(&W.x);
	if (hsm_pool_new(&o, &W.pool) != 0 ||
	    hsm_sealkey_generate(W.pool, "vault", &W.vault) != 0 ||
	    hsm_key_generate(W.pool, HSM_ALG_EC_P256, "signer", 0, &W.key) !=
		0 ||
	    hsm_key_generate(W.pool, HSM_ALG_EC_P256, "signer2", 0, &W.key2) !=
		0 ||
	    fixture_new(&W.f, "example.test/hanko/sam") != 0)
		return -1;
	/* The executor loads an operator CA and a trust bundle at start. */
	snprintf(W.ca, sizeof(W.ca), "%s/ca.pem", W.x.dir);
	snprintf(W.trust, sizeof(W.trust), "%s/trust.pem", W.x.dir);
	snprintf(cmd, sizeof(cmd),
	    "openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 "
	    "-nodes -keyout %s/ca.key -out %s -days 2 -subj /CN=op "
	    ">/dev/null 2>&1 && : > %s",
	    W.x.dir, W.ca, W.trust);
	if (system(cmd) != 0)
		return -1;
	snprintf(W.cfg.admin.client_ca, sizeof(W.cfg.admin.client_ca), "%s",
	    W.ca);
	snprintf(W.cfg.trusted_cas, sizeof(W.cfg.trusted_cas), "%s", W.trust);
	memcpy(W.cfg.vault_key, W.vault.id, 16);
	W.cfg.session_idle_s = 900;
	W.cfg.session_lifetime_s = 28800;
	W.cfg.sad_lifetime_s = 300;
	W.cfg.lockout_failures = 5;
	W.cfg.enrollment_code_s = 3600;
	if ((W.st = hk_state_new()) == NULL ||
	    hk_state_replay(W.st, W.f.l, NULL) != 0)
		return -1;
	randombytes_buf(W.seed, sizeof(W.seed));
	make_signer(SID);
	make_cred(SID, CID1, 1, &W.key, W.seed);
	make_cred(SID, CID2, 2, &W.key2, W.seed);
	if (hk_state_cred(W.st, CID2, strlen(CID2), &ci) != 0 ||
	    ci.state != HK_CRED_ACTIVE || !ci.enrolled || ci.level != 2)
		return -1;
	memset(&so, 0, sizeof(so));
	so.cfg = &W.cfg;
	so.ledger = W.f.l;
	so.pool = W.pool;
	so.state = W.st;
	so.done = done_cb;
	memset(&lo, 0, sizeof(lo));
	lo.cfg = &W.cfg;
	lo.ledger = W.f.l;
	lo.pool = W.pool;
	lo.state = W.st;
	hk_pwhash_params_test(&lo.pwhash);
	lo.done = done_cb;
	if (hk_sam_new(&so, &W.sam) != 0)
		return -1;
	lo.sam = W.sam;
	if (hk_lc_new(&lo, &W.lc) != 0)
		return -1;
	W.next_id = 1;
	return 0;
}

static int
teardown(void **state)
{
	(void)state;
	hk_lc_free(W.lc);
	hk_sam_free(W.sam);
	hk_state_free(W.st);
	fixture_free(&W.f);
	hsm_pool_free(W.pool);
	fx_teardown(&W.x);
	return 0;
}

/* ---- requests -------------------------------------------------------------------- */

/* call(type, auth, body): submit a request as the front would and wait
 * for its answer (the caller frees it). */
static struct answer *
call(uint64_t type, const char *auth, const struct hk_buf *body)
{
	struct hk_ipc_msg m;
	uint64_t id = W.next_id++;

	memset(&m, 0, sizeof(m));
	m.id = id;
	m.type = type;
	m.ctx.listener = HK_IPC_SIGNING;
	m.ctx.peer = (struct hk_bytes){(const uint8_t *)"127.0.0.1:5555", 14};
	m.ctx.request_id = (struct hk_bytes){(const uint8_t *)"t-1", 3};
	m.ctx.tls = (struct hk_bytes){(const uint8_t *)"TLSv1.3", 7};
	if (auth != NULL)
		m.ctx.authorization = (struct hk_bytes){(const uint8_t *)auth,
		    strlen(auth)};
	m.body = (struct hk_bytes){body->p, body->len};
	if (type == HK_IPC_CSC_SIGN_HASH)
		assert_int_equal(hk_sam_sign_hash(W.sam, &m), 0);
	else
		assert_int_equal(hk_lc_submit(W.lc, &m), 0);
	return wait_answer(id);
}

/* The str at ${key} of an answer map, as a C string (static buffer). */
static const char *
astr(const struct answer *a, uint64_t key)
{
	static char s[4][512];
	static int k;
	struct hk_bytes b;

	k = (k + 1) % 4;
	s[k][0] = '\0';
	if (hk_event_body_str((struct hk_bytes){a->body, a->len}, key, &b) ==
		0 &&
	    b.n < sizeof(s[k])) {
		memcpy(s[k], b.p, b.n);
		s[k][b.n] = '\0';
	}
	return s[k];
}

static void
expect_error(struct answer *a, unsigned status, const char *code,
    const char *desc)
{
	if (a->status != status || strcmp(astr(a, 1), code) != 0 ||
	    (desc != NULL && strcmp(astr(a, 2), desc) != 0))
		fail_msg("got %u %s \"%s\", wanted %u %s \"%s\"", a->status,
		    astr(a, 1), astr(a, 2), status, code, desc ? desc : "*");
	free(a);
}

static void
bearer(char *out, size_t max, const char *token)
{
	snprintf(out, max, "Bearer %s", token);
}

static void
login(char token[64])
{
	struct hk_buf b = HK_BUF_INIT;
	char basic[128], raw[64];
	struct hk_mpk_writer w;
	struct answer *a;
	size_t n;

	hk_mpk_writer_init(&w, &b);
	hk_mpk_put_map(&w, 0);
	n = (size_t)snprintf(raw, sizeof(raw), "%s:%s", SID, PASSWORD);
	strcpy(basic, "Basic ");
	sodium_bin2base64(basic + 6, sizeof(basic) - 6, (const uint8_t *)raw,
	    n, sodium_base64_VARIANT_ORIGINAL);
	a = call(HK_IPC_CSC_LOGIN, basic, &b);
	assert_int_equal(a->status, 200);
	snprintf(token, 64, "%s", astr(a, 1));
	assert_int_equal(strlen(token), HK_SAM_SECRET_LEN);
	free(a);
	hk_buf_release(&b);
}

/* A fresh TOTP code for a step after the last one used. */
static void
otp_code(char code[HK_TOTP_CODE_LEN])
{
	uint64_t now = (uint64_t)time(NULL), step = now / 30;

	if (step - 1 > W.last_step)
		step = step - 1;
	else if (step <= W.last_step)
		step = W.last_step + 1;
	while (step > (uint64_t)time(NULL) / 30 + 1)
		sleep_ms(500);
	W.last_step = step;
	assert_int_equal(hk_totp_generate(HK_TOTP_SHA1, W.seed, 20, step * 30,
			     code),
	    0);
}

static void
put_hashes(struct hk_mpk_writer *w, uint8_t (*h)[32], size_t n)
{
	size_t i;

	hk_mpk_put_array(w, (uint32_t)n);
	for (i = 0; i < n; i++)
		hk_mpk_put_bin(w, h[i], 32);
}

/* authorize(tok, h, n, pin, otp): the answer of credentials/authorize. */
static struct answer *
authorize(const char *tok, uint8_t (*h)[32], size_t n, const char *pin,
    const char *otp)
{
	struct hk_buf b = HK_BUF_INIT;
	struct hk_mpk_writer w;
	char auth[96];
	struct answer *a;

	bearer(auth, sizeof(auth), tok);
	hk_mpk_writer_init(&w, &b);
	hk_mpk_put_map(&w, 5);
	hk_mpk_put_uint(&w, 1);
	hk_mpk_put_cstr(&w, CID);
	hk_mpk_put_uint(&w, 2);
	hk_mpk_put_uint(&w, n);
	hk_mpk_put_uint(&w, 3);
	put_hashes(&w, h, n);
	hk_mpk_put_uint(&w, 4);
	hk_mpk_put_cstr(&w, "2.16.840.1.101.3.4.2.1");
	hk_mpk_put_uint(&w, 5);
	hk_mpk_put_array(&w, otp != NULL ? 2 : 1);
	hk_mpk_put_map(&w, 2);
	hk_mpk_put_uint(&w, 1);
	hk_mpk_put_cstr(&w, "PIN");
	hk_mpk_put_uint(&w, 2);
	hk_mpk_put_cstr(&w, pin);
	if (otp != NULL) {
		hk_mpk_put_map(&w, 2);
		hk_mpk_put_uint(&w, 1);
		hk_mpk_put_cstr(&w, "OTP");
		hk_mpk_put_uint(&w, 2);
		hk_mpk_put_cstr(&w, otp);
	}
	a = call(HK_IPC_CSC_AUTHORIZE, auth, &b);
	hk_buf_release(&b);
	return a;
}

static void
authorize_ok(const char *tok, uint8_t (*h)[32], size_t n, char sad[64])
{
	char code[HK_TOTP_CODE_LEN];
	struct answer *a;

	if (L2)
		otp_code(code);
	a = authorize(tok, h, n, PIN, L2 ? code : NULL);
	if (a->status != 200)
		fail_msg("authorize: %u %s %s", a->status, astr(a, 1),
		    astr(a, 2));
	snprintf(sad, 64, "%s", astr(a, 1));
	free(a);
}

/* sign(tok, sad, h, n): the answer of signatures/signHash (ECDSA
 * with SHA-256). */
static struct answer *
sign(const char *tok, const char *sad, uint8_t (*h)[32], size_t n)
{
	struct hk_buf b = HK_BUF_INIT;
	struct hk_mpk_writer w;
	char auth[96];
	struct answer *a;

	bearer(auth, sizeof(auth), tok);
	hk_mpk_writer_init(&w, &b);
	hk_mpk_put_map(&w, 4);
	hk_mpk_put_uint(&w, 1);
	hk_mpk_put_cstr(&w, CID);
	hk_mpk_put_uint(&w, 2);
	hk_mpk_put_cstr(&w, sad);
	hk_mpk_put_uint(&w, 3);
	put_hashes(&w, h, n);
	hk_mpk_put_uint(&w, 5);
	hk_mpk_put_cstr(&w, "1.2.840.10045.4.3.2");
	a = call(HK_IPC_CSC_SIGN_HASH, auth, &b);
	hk_buf_release(&b);
	return a;
}

/* check_signatures(a, h, n): every signature verifies against the key
 * over its hash, and the ledger holds it at the seq given, with the same
 * bytes (SIG-3). */
static void
check_signatures(const struct answer *a, uint8_t (*h)[32], size_t n)
{
	struct hk_mpk_reader r, s;
	struct hk_bytes v, sig, evbody, bsig, bhash;
	struct hk_event ev;
	struct hk_buf raw = HK_BUF_INIT;
	uint32_t cnt, scnt;
	uint64_t seq;
	size_t i;

	assert_int_equal(a->status, 200);
	assert_int_equal(hk_event_body_value((struct hk_bytes){a->body, a->len},
			     1, &v),
	    0);
	hk_mpk_reader_init(&r, v.p, v.n);
	assert_int_equal(hk_mpk_get_array(&r, &cnt), 0);
	assert_int_equal(cnt, n);
	assert_int_equal(hk_event_body_value((struct hk_bytes){a->body, a->len},
			     2, &v),
	    0);
	hk_mpk_reader_init(&s, v.p, v.n);
	assert_int_equal(hk_mpk_get_array(&s, &scnt), 0);
	assert_int_equal(scnt, n);
	for (i = 0; i < n; i++) {
		assert_int_equal(hk_mpk_get_bin(&r, &sig), 0);
		const struct hsm_keyinfo *k = L2 ? &W.key2 : &W.key;

		assert_int_equal(fx_verify(k->spki, k->spki_len,
				     HSM_SIG_ECDSA, HSM_HASH_SHA256, h[i], 32,
				     sig.p, sig.n),
		    1);
		assert_int_equal(hk_mpk_get_uint(&s, &seq), 0);
		hk_buf_reset(&raw);
		assert_int_equal(ledger_event_get(W.f.l, seq, &raw), 0);
		assert_int_equal(hk_event_decode(raw.p, raw.len, &ev, NULL), 0);
		assert_int_equal(ev.type, HK_EV_SIGNATURE_CREATED);
		evbody = ev.body;
		assert_int_equal(body_bin(evbody, HK_BODY_SIG_VALUE,
				     &bsig),
		    0);
		assert_int_equal(bsig.n, sig.n);
		assert_memory_equal(bsig.p, sig.p, sig.n);
		assert_int_equal(body_bin(evbody, HK_BODY_SIG_HASH,
				     &bhash),
		    0);
		assert_int_equal(bhash.n, 32);
		assert_memory_equal(bhash.p, h[i], 32);
		assert_int_equal(ev.credential.n, strlen(CID));
		assert_memory_equal(ev.credential.p, CID, strlen(CID));
	}
	hk_buf_release(&raw);
}

static void
random_hashes(uint8_t (*h)[32], size_t n)
{
	randombytes_buf(h, n * 32);
}

/* ---- tests ----------------------------------------------------------------------- */

static void
test_ACT4_authorize_then_sign_exactly_the_approved_hashes(void **state)
{
	char tok[64], sad[64];
	uint8_t h[3][32], other[1][32];
	struct answer *a;

	(void)state;
	login(tok);
	random_hashes(h, 3);
	random_hashes(other, 1);
	authorize_ok(tok, h, 3, sad);
	assert_int_equal(strlen(sad), HK_SAM_SECRET_LEN);
	/* A hash the signer did not approve. */
	expect_error(sign(tok, sad, other, 1), 400, "invalid_request",
	    "Hash is not authorized by the SAD.");
	/* Two of the three, then the third; then the SAD is spent. */
	a = sign(tok, sad, h, 2);
	check_signatures(a, h, 2);
	free(a);
	/* A hash already signed is no longer authorised. */
	expect_error(sign(tok, sad, h, 1), 400, "invalid_request",
	    "Hash is not authorized by the SAD.");
	a = sign(tok, sad, &h[2], 1);
	check_signatures(a, &h[2], 1);
	free(a);
	expect_error(sign(tok, sad, &h[2], 1), 400, "invalid_request",
	    "Invalid parameter SAD");
}

static void
test_ACT6_one_hash_one_signature_under_concurrency(void **state)
{
	char tok[64], sad[64], auth[96];
	uint8_t h[1][32];
	struct hk_buf b = HK_BUF_INIT;
	struct hk_mpk_writer w;
	struct hk_ipc_msg m;
	struct answer *a;
	unsigned ok = 0, refused = 0;
	uint64_t first;
	int i;

	(void)state;
	login(tok);
	random_hashes(h, 1);
	authorize_ok(tok, h, 1, sad);
	bearer(auth, sizeof(auth), tok);
	hk_mpk_writer_init(&w, &b);
	hk_mpk_put_map(&w, 4);
	hk_mpk_put_uint(&w, 1);
	hk_mpk_put_cstr(&w, CID);
	hk_mpk_put_uint(&w, 2);
	hk_mpk_put_cstr(&w, sad);
	hk_mpk_put_uint(&w, 3);
	put_hashes(&w, h, 1);
	hk_mpk_put_uint(&w, 5);
	hk_mpk_put_cstr(&w, "1.2.840.10045.4.3.2");
	/* 64 requests in flight at once for the same SAD and hash. */
	first = W.next_id;
	for (i = 0; i < 64; i++) {
		memset(&m, 0, sizeof(m));
		m.id = W.next_id++;
		m.type = HK_IPC_CSC_SIGN_HASH;
		m.ctx.listener = HK_IPC_SIGNING;
		m.ctx.peer = (struct hk_bytes){(const uint8_t *)"p", 1};
		m.ctx.authorization = (struct hk_bytes){(const uint8_t *)auth,
		    strlen(auth)};
		m.body = (struct hk_bytes){b.p, b.len};
		assert_int_equal(hk_sam_sign_hash(W.sam, &m), 0);
	}
	for (i = 0; i < 64; i++) {
		a = wait_answer(first + (uint64_t)i);
		if (a->status == 200) {
			check_signatures(a, h, 1);
			ok++;
		} else if (a->status == 400 &&
		    strcmp(astr(a, 2), "Invalid parameter SAD") == 0) {
			refused++;
		}
		free(a);
	}
	assert_int_equal(ok, 1);
	assert_int_equal(refused, 63);
	hk_buf_release(&b);
}

static void
test_ACT6_extend_transaction_renews_for_the_rest(void **state)
{
	char tok[64], sad[64], sad2[64], auth[96];
	uint8_t h[3][32];
	struct hk_buf b = HK_BUF_INIT;
	struct hk_mpk_writer w;
	struct answer *a;

	(void)state;
	login(tok);
	random_hashes(h, 3);
	authorize_ok(tok, h, 3, sad);
	a = sign(tok, sad, h, 1);
	check_signatures(a, h, 1);
	free(a);
	bearer(auth, sizeof(auth), tok);
	hk_mpk_writer_init(&w, &b);
	hk_mpk_put_map(&w, 2);
	hk_mpk_put_uint(&w, 1);
	hk_mpk_put_cstr(&w, CID);
	hk_mpk_put_uint(&w, 2);
	hk_mpk_put_cstr(&w, sad);
	a = call(HK_IPC_CSC_EXTEND, auth, &b);
	assert_int_equal(a->status, 200);
	snprintf(sad2, sizeof(sad2), "%s", astr(a, 1));
	free(a);
	assert_string_not_equal(sad, sad2);
	/* The old SAD is dead; the new one signs what was left. */
	expect_error(sign(tok, sad, &h[1], 1), 400, "invalid_request",
	    "Invalid parameter SAD");
	expect_error(sign(tok, sad2, &h[0], 1), 400, "invalid_request",
	    "Hash is not authorized by the SAD.");
	a = sign(tok, sad2, &h[1], 2);
	check_signatures(a, &h[1], 2);
	free(a);
	/* Extending a spent SAD is refused. */
	a = call(HK_IPC_CSC_EXTEND, auth, &b);
	expect_error(a, 400, "invalid_request", "Invalid parameter SAD");
	hk_buf_release(&b);
}

static void
test_ACT4_sad_expires(void **state)
{
	char tok[64], sad[64];
	uint8_t h[1][32];

	(void)state;
	login(tok);
	random_hashes(h, 1);
	W.cfg.sad_lifetime_s = 1;
	authorize_ok(tok, h, 1, sad);
	W.cfg.sad_lifetime_s = 300;
	sleep_ms(1100);
	/* Refused, and it keeps saying why (until the sweep drops it). */
	expect_error(sign(tok, sad, h, 1), 400, "invalid_request",
	    "SAD expired");
	expect_error(sign(tok, sad, h, 1), 400, "invalid_request",
	    "SAD expired");
}

/* ACT-4, ACT-5: a SAD works only with the session that obtained it, not
 * with another token of the same signer; the owner can still use it. */
static void
test_ACT4_sad_is_bound_to_its_session(void **state)
{
	char tok[64], tok2[64], sad[64];
	uint8_t h[1][32];
	struct answer *a;

	(void)state;
	login(tok);
	login(tok2);
	random_hashes(h, 1);
	authorize_ok(tok, h, 1, sad);
	expect_error(sign(tok2, sad, h, 1), 400, "invalid_request",
	    "Invalid parameter SAD");
	a = sign(tok, sad, h, 1);
	check_signatures(a, h, 1);
	free(a);
}

static void
test_ACT2_refusals_of_authorize(void **state)
{
	char tok[64], code[HK_TOTP_CODE_LEN];
	uint8_t h[2][32];

	(void)state;
	CID = CID2;
	L2 = true;
	login(tok);
	random_hashes(h, 2);
	expect_error(authorize("not-a-token-at-all-not-a-token-at-all-abcde",
			 h, 1, PIN, "123456"),
	    401, "invalid_token", NULL);
	/* Level 2 needs the OTP. */
	expect_error(authorize(tok, h, 1, PIN, NULL), 400, "invalid_request",
	    "Missing (or invalid type) authData OTP");
	/* The OTP is accepted once: its step is used up (ACT-2, ACT-5). */
	otp_code(code);
	{
		char sad[64];
		struct answer *a = authorize(tok, h, 1, PIN, code);

		assert_int_equal(a->status, 200);
		snprintf(sad, sizeof(sad), "%s", astr(a, 1));
		free(a);
	}
	expect_error(authorize(tok, &h[1], 1, PIN, code), 400,
	    "invalid_authentication_data",
	    "The authentication data is invalid");
	/* A success ends the run of failures. */
	{
		char sad[64];
		struct answer *a;

		authorize_ok(tok, &h[1], 1, sad);
		a = sign(tok, sad, &h[1], 1);
		check_signatures(a, &h[1], 1);
		free(a);
	}
	/* A level 2 credential refuses the PIN alone; a level 1 one an
	 * OTP it does not have. */
	expect_error(authorize(tok, h, 1, PIN, NULL), 400, "invalid_request",
	    "Missing (or invalid type) authData OTP");
	CID = CID1;
	L2 = false;
	expect_error(authorize(tok, h, 1, PIN, "123456"), 400,
	    "invalid_request", "Invalid parameter authData");
}

static void
test_ACT8_sessions_idle_out_and_revoke(void **state)
{
	char tok[64], tok2[64], auth[96];
	struct hk_buf b = HK_BUF_INIT;
	struct hk_mpk_writer w;
	uint8_t h[1][32];
	uint8_t sess[32];
	char who[HK_STATE_ID_MAX];

	(void)state;
	login(tok);
	login(tok2);
	random_hashes(h, 1);
	/* Idle timeout. */
	W.cfg.session_idle_s = 1;
	sleep_ms(1100);
	bearer(auth, sizeof(auth), tok);
	assert_int_equal(hk_sam_session(W.sam, (const uint8_t *)auth,
			     strlen(auth), who, sess),
	    HK_EAUTH);
	W.cfg.session_idle_s = 900;
	/* Revoke: the second token dies; revoking again is refused. */
	bearer(auth, sizeof(auth), tok2);
	hk_mpk_writer_init(&w, &b);
	hk_mpk_put_map(&w, 1);
	hk_mpk_put_uint(&w, 1);
	hk_mpk_put_cstr(&w, tok2);
	{
		struct answer *a = call(HK_IPC_CSC_REVOKE, auth, &b);

		assert_int_equal(a->status, 204);
		free(a);
	}
	expect_error(call(HK_IPC_CSC_REVOKE, auth, &b), 401, "invalid_token",
	    NULL);
	hk_buf_release(&b);
}

static void
test_SIG3_events_record_the_authorisation_and_signatures(void **state)
{
	struct ledger_iter *it = NULL;
	struct hk_bytes raw, v;
	struct hk_event ev;
	uint64_t seq, grants = 0, sigs = 0;
	int r;

	(void)state;
	assert_int_equal(ledger_iter_new(W.f.l, 0, &it), 0);
	while ((r = ledger_iter_next(it, &seq, &raw)) == 0) {
		assert_int_equal(hk_event_decode(raw.p, raw.n, &ev, NULL), 0);
		if (ev.type == HK_EV_AUTH_GRANTED) {
			grants++;
			assert_int_equal(body_bin(ev.body,
					     HK_BODY_AUTH_SAD_ID, &v),
			    0);
			assert_int_equal(v.n, 32);
			assert_int_equal(hk_event_body_str(ev.body,
					     HK_BODY_AUTH_TLS, &v),
			    0);
			assert_int_equal(ev.actor_peer.n, 14);
		}
		if (ev.type == HK_EV_SIGNATURE_CREATED) {
			sigs++;
			assert_int_equal(body_bin(ev.body,
					     HK_BODY_SIG_KEY_FP, &v),
			    0);
			assert_true(memcmp(v.p, W.key.fpr, 32) == 0 ||
			    memcmp(v.p, W.key2.fpr, 32) == 0);
			assert_int_equal(body_bin(ev.body,
					     HK_BODY_SIG_SAD_ID, &v),
			    0);
		}
	}
	ledger_iter_free(it);
	assert_true(grants >= 5);
	assert_true(sigs >= 7);
}

static void
test_ACT9_five_failures_lock(void **state)
{
	char tok[64], sad[64];
	uint8_t h[1][32];
	struct hk_cred_info ci;
	int i;

	(void)state;
	login(tok);
	random_hashes(h, 1);
	authorize_ok(tok, h, 1, sad);
	for (i = 0; i < 5; i++)
		expect_error(authorize(tok, h, 1, "000000", NULL), 400,
		    "invalid_authentication_data",
		    "The authentication data is invalid");
	assert_int_equal(hk_state_cred(W.st, CID, strlen(CID), &ci), 0);
	assert_true(ci.locked);
	expect_error(authorize(tok, h, 1, PIN, NULL), 400, "invalid_request",
	    "Credential locked");
	/* SIG-2: the SAD obtained before the lock no longer signs. */
	expect_error(sign(tok, sad, h, 1), 400, "invalid_request",
	    "Credential locked");
}

/* The ledger failed its background verification: no more signatures,
 * even under a valid SAD (issue 7). Runs last: the SAM stays closed. */
static void
test_OPS4_failed_verification_stops_signing(void **state)
{
	char tok[64], sad[64];
	uint8_t h[1][32];

	(void)state;
	/* CID1 is locked by now (ACT-9 test): the level 2 credential. */
	CID = CID2;
	L2 = true;
	login(tok);
	random_hashes(h, 1);
	authorize_ok(tok, h, 1, sad);
	hk_sam_fail_closed(W.sam);
	expect_error(sign(tok, sad, h, 1), 503, "temporarily_unavailable",
	    NULL);
	CID = CID1;
	L2 = false;
}

/* credentials/list and credentials/info with every option: the answers
 * are profile maps that the monitor can frame for the front. */
static void
test_ACT8_list_and_info_with_everything_encode(void **state)
{
	static const char *certs[] = {"none", "single", "chain"};
	struct hk_buf b = HK_BUF_INIT, frame = HK_BUF_INIT;
	struct hk_mpk_writer w;
	struct hk_mpk_error err;
	struct hk_ipc_msg m;
	char tok[64], auth[96];
	struct answer *a;
	size_t i;

	(void)state;
	login(tok);
	bearer(auth, sizeof(auth), tok);
	for (i = 0; i < 3; i++) {
		hk_buf_reset(&b);
		hk_mpk_writer_init(&w, &b);
		hk_mpk_put_map(&w, 4);
		hk_mpk_put_uint(&w, 1);
		hk_mpk_put_bool(&w, true);
		hk_mpk_put_uint(&w, 2);
		hk_mpk_put_cstr(&w, certs[i]);
		hk_mpk_put_uint(&w, 3);
		hk_mpk_put_bool(&w, true);
		hk_mpk_put_uint(&w, 4);
		hk_mpk_put_bool(&w, true);
		a = call(HK_IPC_CSC_LIST, auth, &b);
		assert_int_equal(a->status, 200);
		if (hk_mpk_check(a->body, a->len, &err) != 0)
			fail_msg("%s: %s at %zu", certs[i], err.msg, err.off);
		memset(&m, 0, sizeof(m));
		m.response = true;
		m.id = 1;
		m.status = a->status;
		m.body = (struct hk_bytes){a->body, a->len};
		hk_buf_reset(&frame);
		assert_int_equal(hk_ipc_encode(&m, &frame), 0);
		free(a);
	}
	hk_buf_release(&frame);
	hk_buf_release(&b);
}

static void
test_OPS4_live_state_equals_replay(void **state)
{
	struct hk_state *cold = hk_state_new();
	uint8_t a[32], b[32];

	(void)state;
	assert_non_null(cold);
	assert_int_equal(hk_state_replay(cold, W.f.l, NULL), 0);
	assert_int_equal(hk_state_digest(W.st, a), 0);
	assert_int_equal(hk_state_digest(cold, b), 0);
	assert_memory_equal(a, b, 32);
	hk_state_free(cold);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(
		    test_ACT4_authorize_then_sign_exactly_the_approved_hashes),
		cmocka_unit_test(
		    test_ACT6_one_hash_one_signature_under_concurrency),
		cmocka_unit_test(test_ACT6_extend_transaction_renews_for_the_rest),
		cmocka_unit_test(test_ACT4_sad_expires),
		cmocka_unit_test(test_ACT4_sad_is_bound_to_its_session),
		cmocka_unit_test(test_ACT2_refusals_of_authorize),
		cmocka_unit_test(test_ACT8_sessions_idle_out_and_revoke),
		cmocka_unit_test(
		    test_SIG3_events_record_the_authorisation_and_signatures),
		cmocka_unit_test(test_ACT9_five_failures_lock),
		cmocka_unit_test(test_ACT8_list_and_info_with_everything_encode),
		cmocka_unit_test(test_OPS4_live_state_equals_replay),
		cmocka_unit_test(test_OPS4_failed_verification_stops_signing),
	};

	if (sodium_init() < 0)
		return 1;
	return cmocka_run_group_tests(tests, setup, teardown);
}
