/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Unit tests for core/lifecycle, the core's executor of the admin and
 * signer API (docs/admin-api.md), driven directly: a temporary ledger, a
 * throwaway SoftHSM token holding the vault's seal key, a configuration
 * set in the struct, the state replayed from the ledger, and a done
 * callback that collects each answer. Requests are hk_ipc_msg values as
 * the front would send them; every test checks statuses, answer maps, the
 * events appended (read back from the ledger) and the state.
 *
 * They cover what the system test (tests/integration/lifecycle.py) cannot
 * do quickly or at all: enrollment codes expiring under a 1-second policy
 * (REG-2), approvals past their 24 hours (OPS-2), nonces past their 60
 * seconds (END-2), the whole role table and the listener split (OPS-1),
 * dual control including the last security officer (OPS-2), what the vault
 * holds (REG-1, REG-2), erasure (REG-1), every kind of failure counting
 * towards the lockout and what resets it (ACT-9), a ledger that stops
 * committing (OPS-6, SIG-3) and malformed bodies from an untrusted front
 * (ACT-3).
 */
#include <inttypes.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include <cmocka.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "core/codec.h"
#include "core/lifecycle.h"
#include "core/pki.h"
#include "core/totp.h"
#include "tests/unit/hsm/hsm_fixture.h"
#include "tests/unit/testutil.h"

/*
 * WARNING: a test seam. This program's time() replaces the C library's
 * for everything linked into it (lifecycle.c's now_s(), OpenSSL's
 * certificate checks, SoftHSM), so that the 60-second nonce lifetime (a
 * constant) and TOTP steps can be tested without waiting: it is the real
 * time plus clock_skew seconds. The millisecond clock (clock_gettime:
 * ledger times, enrollment codes, approvals) is not touched.
 */
static atomic_long clock_skew;

time_t
time(time_t *out)
{
	struct timespec ts;
	time_t now;

	clock_gettime(CLOCK_REALTIME, &ts);
	now = ts.tv_sec + (time_t)atomic_load(&clock_skew);
	if (out != NULL)
		*out = now;
	return now;
}

#define ORIGIN "example.test/hanko/lcunit"
#define PEER "192.0.2.7:4711"
/* The signer's personal data: none of it may be in clear at rest. */
#define NAME "Hanako Lcunit-Yamada"
#define EMAIL "hanako.lcunit@example.test"
#define PROOF "JPKI-lcunit-0xC0FFEE"
#define ORG "Lcunit Example KK"
#define PASSWORD "correct horse battery staple"
#define PIN "246810"
#define WRONG_PIN "135799"
#define ISSUER_CN "Lcunit issuing CA"

/* The privileged users (operator CA client certificates). */
enum who { ADM, SO, SO2, AUD, OPR, STRANGER, NWHO };
#define NOCERT (-1)

struct user {
	struct hk_pki_cert c;
	uint8_t fp[32];
	char hex[65];
	char pem[4096];
};

struct t {
	struct fx hsm;
	struct fixture led;
	struct ledger_note_signer signer; /* led's key; fails on demand */
	atomic_bool fail_commits;
	struct hsm_pool *pool;
	uint8_t vault_key[16];
	struct hk_config cfg;
	struct hk_state *st;
	struct hk_lc *lc;
	struct hk_pki_cert opca, ca; /* operator CA; the issuing CA */
	struct user u[NWHO];
	long serial;
	bool hide_cert; /* req(): the fingerprint without has_client_cert */
	/* The last answer, from the executor thread. */
	pthread_mutex_t mu;
	pthread_cond_t cv;
	bool answered;
	uint64_t next_id, ans_id;
	unsigned status;
	struct hk_buf resp;
	struct hk_buf body; /* the request being built */
};

/* ---- fixture ------------------------------------------------------------- */

/* The checkpoint signer of the ledger, which makes every commit fail
 * (and so the ledger fail closed) while fail_commits is set. */
static int
failing_sign(void *arg, const uint8_t *msg, size_t len,
    uint8_t sig[LEDGER_NOTE_ED25519_SIG_LEN])
{
	struct t *t = arg;
	const struct ledger_note_signer *k = hk_cpkey_signer(t->led.k);

	if (atomic_load(&t->fail_commits))
		return HK_EHSM;
	return k->sign(k->arg, msg, len, sig);
}

static void
t_open_ledger(struct t *t)
{
	ledger_close(t->led.l);
	t->led.l = NULL;
	t->signer = *hk_cpkey_signer(t->led.k);
	t->signer.sign = failing_sign;
	t->signer.arg = t;
	assert_int_equal(ledger_open(t->led.ledger, NULL, &t->signer,
			     &t->led.l), 0);
}

static void
done_cb(void *arg, uint64_t id, unsigned status, const uint8_t *body,
    size_t len)
{
	struct t *t = arg;

	/* The executor's thread: no cmocka assertions here. */
	pthread_mutex_lock(&t->mu);
	hk_buf_reset(&t->resp);
	if (len > 0 && hk_buf_put(&t->resp, body, len) != 0)
		abort();
	t->ans_id = id;
	t->status = status;
	t->answered = true;
	pthread_cond_signal(&t->cv);
	pthread_mutex_unlock(&t->mu);
}

static void
t_start(struct t *t)
{
	struct hk_lc_opts o;

	assert_non_null(t->st = hk_state_new());
	assert_int_equal(hk_state_replay(t->st, t->led.l, NULL), 0);
	assert_int_equal(hk_state_flagged(t->st, NULL, NULL), 0);
	memset(&o, 0, sizeof(o));
	o.cfg = &t->cfg;
	o.ledger = t->led.l;
	o.pool = t->pool;
	o.state = t->st;
	hk_pwhash_params_test(&o.pwhash);
	o.done = done_cb;
	o.arg = t;
	assert_int_equal(hk_lc_new(&o, &t->lc), 0);
}

static void
t_stop(struct t *t)
{
	hk_lc_free(t->lc);
	t->lc = NULL;
	hk_state_free(t->st);
	t->st = NULL;
}

/* t_restart(t): stop the executor, reopen the ledger and replay it: the
 * replayed state must equal the one the executor left (design "Event
 * sourcing"). */
static void
t_restart(struct t *t)
{
	uint8_t live[32], replayed[32];

	hk_lc_free(t->lc);
	t->lc = NULL;
	assert_int_equal(hk_state_digest(t->st, live), 0);
	hk_state_free(t->st);
	t->st = NULL;
	t_open_ledger(t);
	t_start(t);
	assert_int_equal(hk_state_digest(t->st, replayed), 0);
	assert_memory_equal(live, replayed, 32);
}

/* A privileged user recorded directly, as `hanko init` does for the
 * first administrator and security officer (core/cli_init.c). Only while
 * the executor is stopped. */
static void
t_bootstrap(struct t *t, enum who w, const char *role)
{
	struct hk_buf body = HK_BUF_INIT;
	struct hk_mpk_writer mw;
	struct hk_event ev;
	char subject[256];

	X509_NAME_oneline(X509_get_subject_name(t->u[w].c.cert), subject,
	    sizeof(subject));
	hk_mpk_writer_init(&mw, &body);
	hk_mpk_put_map(&mw, 5);
	hk_mpk_put_uint(&mw, HK_BODY_PU_FINGERPRINT);
	hk_mpk_put_bin(&mw, t->u[w].fp, 32);
	hk_mpk_put_uint(&mw, HK_BODY_PU_SUBJECT);
	hk_mpk_put_cstr(&mw, subject);
	hk_mpk_put_uint(&mw, HK_BODY_PU_ROLE);
	hk_mpk_put_cstr(&mw, role);
	hk_mpk_put_uint(&mw, HK_BODY_PU_ACTIVE);
	hk_mpk_put_bool(&mw, true);
	hk_mpk_put_uint(&mw, HK_BODY_PU_APPROVAL);
	hk_mpk_put_cstr(&mw, "");
	assert_int_equal(hk_mpk_writer_status(&mw), 0);
	memset(&ev, 0, sizeof(ev));
	ev.type = HK_EV_PRIV_USER_ADDED;
	ev.actor_kind = HK_ACTOR_SYSTEM;
	ev.actor_id = (struct hk_bytes){(const uint8_t *)"hanko-init", 10};
	ev.actor_channel = HK_CHANNEL_LOCAL;
	ev.body = (struct hk_bytes){body.p, body.len};
	assert_int_equal(ledger_append_wait(t->led.l, &ev, NULL), 0);
	hk_buf_release(&body);
}

static void
cert_pem(X509 *x, char *out, size_t max)
{
	BIO *b = BIO_new(BIO_s_mem());
	BUF_MEM *mem;

	assert_non_null(b);
	assert_int_equal(PEM_write_bio_X509(b, x), 1);
	BIO_get_mem_ptr(b, &mem);
	assert_true(mem->length < max);
	memcpy(out, mem->data, mem->length);
	out[mem->length] = '\0';
	BIO_free(b);
}

static int
setup(void **state)
{
	static const char *names[NWHO] = {"admin", "security-officer",
	    "security-officer-2", "auditor", "operator", "stranger"};
	struct hsm_keyinfo vk;
	struct hsm_opts ho;
	struct t *t;
	int i;

	assert_non_null(t = calloc(1, sizeof(*t)));
	pthread_mutex_init(&t->mu, NULL);
	pthread_cond_init(&t->cv, NULL);
	atomic_store(&clock_skew, 0);
	fx_setup(&t->hsm);
	ho = fx_opts(&t->hsm);
	assert_int_equal(hsm_pool_new(&ho, &t->pool), 0);
	assert_int_equal(hsm_sealkey_generate(t->pool, "hanko-vault", &vk), 0);
	memcpy(t->vault_key, vk.id, 16);
	assert_int_equal(fixture_new(&t->led, ORIGIN), 0);
	t_open_ledger(t);

	/* The operator CA and its client certificates (NET-2); an issuing
	 * CA for the signers' certificates (REG-6). */
	assert_int_equal(hk_pki_issue(NULL, "Lcunit operator CA", HK_PKI_CA,
			     30, &t->opca), 0);
	assert_int_equal(hk_pki_issue(NULL, ISSUER_CN, HK_PKI_CA, 30, &t->ca),
	    0);
	for (i = 0; i < NWHO; i++) {
		struct user *u = &t->u[i];

		assert_int_equal(hk_pki_issue(&t->opca, names[i],
				     HK_PKI_CLIENT, 30, &u->c), 0);
		assert_int_equal(hk_pki_fingerprint(u->c.cert, u->fp), 0);
		hk_hex_encode(u->hex, u->fp, 32);
		cert_pem(u->c.cert, u->pem, sizeof(u->pem));
	}
	snprintf(t->cfg.admin.client_ca, sizeof(t->cfg.admin.client_ca),
	    "%s/operator-ca.crt", t->led.dir);
	snprintf(t->cfg.trusted_cas, sizeof(t->cfg.trusted_cas),
	    "%s/trusted-cas.pem", t->led.dir);
	assert_int_equal(hk_pki_write(&t->opca, t->cfg.admin.client_ca, NULL),
	    0);
	assert_int_equal(hk_pki_write(&t->ca, t->cfg.trusted_cas, NULL), 0);

	/* Only the fields lifecycle.c reads. */
	snprintf(t->cfg.origin, sizeof(t->cfg.origin), "%s", ORIGIN);
	memcpy(t->cfg.vault_key, t->vault_key, 16);
	t->cfg.lockout_failures = 5;
	t->cfg.enrollment_code_s = 600;

	t_bootstrap(t, ADM, "administrator");
	t_bootstrap(t, SO, "security_officer");
	t_start(t);
	*state = t;
	return 0;
}

static int
teardown(void **state)
{
	struct t *t = *state;
	int i;

	t_stop(t);
	fixture_free(&t->led);
	hsm_pool_free(t->pool);
	fx_teardown(&t->hsm);
	hk_pki_cert_release(&t->opca);
	hk_pki_cert_release(&t->ca);
	for (i = 0; i < NWHO; i++)
		hk_pki_cert_release(&t->u[i].c);
	hk_buf_release(&t->resp);
	hk_buf_release(&t->body);
	pthread_cond_destroy(&t->cv);
	pthread_mutex_destroy(&t->mu);
	free(t);
	atomic_store(&clock_skew, 0);
	return 0;
}

/* ---- requests and answers ------------------------------------------------ */

/*
 * B(t, fmt, ...): the request body in t->body: a map with one entry per
 * character of ${fmt}, each an int key followed by its value: 's' str
 * (const char *), 'u' uint (unsigned), 'b' bin (const char *, its bytes
 * without the NUL), 't' bool (int), 'i' int (int, negative), 'n' nil (no
 * value argument).
 */
static const struct hk_buf *
B(struct t *t, const char *fmt, ...)
{
	struct hk_mpk_writer w;
	const char *s;
	va_list ap;

	hk_buf_reset(&t->body);
	hk_mpk_writer_init(&w, &t->body);
	hk_mpk_put_map(&w, (uint32_t)strlen(fmt));
	va_start(ap, fmt);
	for (; *fmt != '\0'; fmt++) {
		hk_mpk_put_uint(&w, (uint64_t)va_arg(ap, int));
		switch (*fmt) {
		case 's':
			hk_mpk_put_cstr(&w, va_arg(ap, const char *));
			break;
		case 'u':
			hk_mpk_put_uint(&w, va_arg(ap, unsigned));
			break;
		case 'b':
			s = va_arg(ap, const char *);
			hk_mpk_put_bin(&w, s, strlen(s));
			break;
		case 't':
			hk_mpk_put_bool(&w, va_arg(ap, int) != 0);
			break;
		case 'i':
			hk_mpk_put_int(&w, va_arg(ap, int));
			break;
		case 'n':
			hk_mpk_put_nil(&w);
			break;
		default:
			abort();
		}
	}
	va_end(ap);
	assert_int_equal(hk_mpk_writer_status(&w), 0);
	return &t->body;
}

/* raw(t, p, n): a body of arbitrary bytes. */
static const struct hk_buf *
raw(struct t *t, const void *p, size_t n)
{
	hk_buf_reset(&t->body);
	assert_int_equal(hk_buf_put(&t->body, p, n), 0);
	return &t->body;
}

/* req(t, type, listener, who, auth, body): submit one request as the
 * front would and wait for its answer; the status (body in t->resp). */
static unsigned
req(struct t *t, uint64_t type, uint64_t listener, int who, const char *auth,
    const struct hk_buf *body)
{
	static const uint8_t empty_map[] = {0x80};
	static const char subject[] = "CN=whoever,O=Hanko";
	struct hk_ipc_msg m;

	memset(&m, 0, sizeof(m));
	m.id = ++t->next_id;
	m.type = type;
	m.ctx.listener = listener;
	m.ctx.peer = (struct hk_bytes){(const uint8_t *)PEER, strlen(PEER)};
	if (who >= 0) {
		m.ctx.has_client_cert = !t->hide_cert;
		memcpy(m.ctx.client_fp, t->u[who].fp, 32);
		m.ctx.client_subject = (struct hk_bytes){
		    (const uint8_t *)subject, strlen(subject)};
	}
	if (auth != NULL)
		m.ctx.authorization = (struct hk_bytes){(const uint8_t *)auth,
		    strlen(auth)};
	m.body = body != NULL ? (struct hk_bytes){body->p, body->len} :
				(struct hk_bytes){empty_map, 1};
	pthread_mutex_lock(&t->mu);
	t->answered = false;
	pthread_mutex_unlock(&t->mu);
	assert_int_equal(hk_lc_submit(t->lc, &m), 0);
	pthread_mutex_lock(&t->mu);
	while (!t->answered)
		pthread_cond_wait(&t->cv, &t->mu);
	pthread_mutex_unlock(&t->mu);
	assert_int_equal(t->ans_id, m.id);
	return t->status;
}

#define ADMIN(t, type, who, body) req(t, type, HK_IPC_ADMIN, who, NULL, body)
#define SIGNER(t, type, auth, body) \
	req(t, type, HK_IPC_SIGNING, NOCERT, auth, body)

static struct hk_bytes
resp(const struct t *t)
{
	return (struct hk_bytes){t->resp.p, t->resp.len};
}

static bool
ans_has(const struct t *t, uint64_t key)
{
	struct hk_bytes v;

	return hk_event_body_value(resp(t), key, &v) == 0;
}

static void
ans_str(const struct t *t, uint64_t key, char *out, size_t max)
{
	struct hk_bytes s;

	assert_int_equal(hk_event_body_str(resp(t), key, &s), 0);
	assert_true(s.n < max);
	memcpy(out, s.p, s.n);
	out[s.n] = '\0';
}

static uint64_t
ans_uint(const struct t *t, uint64_t key)
{
	struct hk_mpk_reader r;
	struct hk_bytes v;
	uint64_t u = 0;

	assert_int_equal(hk_event_body_value(resp(t), key, &v), 0);
	hk_mpk_reader_init(&r, v.p, v.n);
	assert_int_equal(hk_mpk_get_uint(&r, &u), 0);
	return u;
}

static bool
ans_bool(const struct t *t, uint64_t key)
{
	struct hk_mpk_reader r;
	struct hk_bytes v;
	bool b = false;

	assert_int_equal(hk_event_body_value(resp(t), key, &v), 0);
	hk_mpk_reader_init(&r, v.p, v.n);
	assert_int_equal(hk_mpk_get_bool(&r, &b), 0);
	return b;
}

/* expect(t, status, code): the last answer was ${status} with error
 * ${code} (NULL for a success). */
static void
expect(const struct t *t, unsigned status, const char *code)
{
	char got[64], desc[256];

	if (t->status != status) {
		got[0] = desc[0] = '\0';
		if (ans_has(t, 1))
			ans_str(t, 1, got, sizeof(got));
		if (ans_has(t, 2))
			ans_str(t, 2, desc, sizeof(desc));
		fail_msg("answered %u %s (%s), expected %u %s", t->status, got,
		    desc, status, code != NULL ? code : "");
	}
	if (code != NULL) {
		ans_str(t, 1, got, sizeof(got));
		assert_string_equal(got, code);
		ans_str(t, 2, desc, sizeof(desc));
		assert_true(strlen(desc) > 0);
	}
}

/* ---- the ledger ---------------------------------------------------------- */

static uint64_t
nev(const struct t *t)
{
	uint64_t n = 0;

	assert_int_equal(ledger_size(t->led.l, &n, NULL), 0);
	return n;
}

/* ev_at(t, seq, buf, ev): event ${seq}, borrowing from ${buf}. */
static void
ev_at(const struct t *t, uint64_t seq, struct hk_buf *buf,
    struct hk_event *ev)
{
	hk_buf_reset(buf);
	assert_int_equal(ledger_event_get(t->led.l, seq, buf), 0);
	assert_int_equal(hk_event_decode(buf->p, buf->len, ev, NULL), 0);
	assert_int_equal(ev->seq, seq);
}

/* expect_events(t, from, n, type...): exactly these events since ${from}. */
static void
expect_events(const struct t *t, uint64_t from, unsigned n, ...)
{
	struct hk_buf buf = HK_BUF_INIT;
	struct hk_event ev;
	uint64_t want[16];
	va_list ap;
	unsigned i;

	assert_true(n <= 16);
	va_start(ap, n);
	for (i = 0; i < n; i++)
		want[i] = (uint64_t)va_arg(ap, int);
	va_end(ap);
	for (i = 0; i < nev(t) - from; i++) {
		ev_at(t, from + i, &buf, &ev);
		print_message("# event %" PRIu64 ": %s\n", from + i,
		    hk_event_type_name(ev.type));
	}
	assert_int_equal(nev(t) - from, n);
	for (i = 0; i < n; i++) {
		ev_at(t, from + i, &buf, &ev);
		if (ev.type != want[i])
			fail_msg("event %u is %s, expected %s", i,
			    hk_event_type_name(ev.type),
			    hk_event_type_name(want[i]));
	}
	hk_buf_release(&buf);
}

static bool
evb_has(const struct hk_event *ev, uint64_t key)
{
	struct hk_bytes v;

	return hk_event_body_value(ev->body, key, &v) == 0;
}

static void
evb_str(const struct hk_event *ev, uint64_t key, char *out, size_t max)
{
	struct hk_bytes s;

	assert_int_equal(hk_event_body_str(ev->body, key, &s), 0);
	assert_true(s.n < max);
	memcpy(out, s.p, s.n);
	out[s.n] = '\0';
}

static uint64_t
evb_uint(const struct hk_event *ev, uint64_t key)
{
	struct hk_mpk_reader r;
	struct hk_bytes v;
	uint64_t u = 0;

	assert_int_equal(hk_event_body_value(ev->body, key, &v), 0);
	hk_mpk_reader_init(&r, v.p, v.n);
	assert_int_equal(hk_mpk_get_uint(&r, &u), 0);
	return u;
}

static bool
bytes_eq(struct hk_bytes b, const char *s)
{
	return b.n == strlen(s) && (b.n == 0 || memcmp(b.p, s, b.n) == 0);
}

/* check_admin_record(t, seq, who, op, status): event ${seq} is the
 * admin.request (OPS-6) of ${who} from PEER for ${op}, answered
 * ${status}, allowed exactly when 2xx. */
static void
check_admin_record(const struct t *t, uint64_t seq, int who, const char *op,
    unsigned status)
{
	struct hk_buf buf = HK_BUF_INIT;
	struct hk_event ev;
	char s[256];
	bool allowed = status >= 200 && status < 300;

	ev_at(t, seq, &buf, &ev);
	assert_int_equal(ev.type, HK_EV_ADMIN_REQUEST);
	assert_int_equal(ev.actor_kind, HK_ACTOR_PRIVILEGED);
	assert_int_equal(ev.actor_channel, HK_CHANNEL_ADMIN);
	assert_true(bytes_eq(ev.actor_id, who >= 0 ? t->u[who].hex : ""));
	assert_true(bytes_eq(ev.actor_peer, PEER));
	evb_str(&ev, HK_BODY_AR_OPERATION, s, sizeof(s));
	assert_string_equal(s, op);
	assert_int_equal(evb_uint(&ev, HK_BODY_AR_STATUS), status);
	evb_str(&ev, HK_BODY_AR_OUTCOME, s, sizeof(s));
	assert_string_equal(s, allowed ? "allowed" : "refused");
	assert_true(evb_has(&ev, HK_BODY_AR_REASON) == !allowed);
	hk_buf_release(&buf);
}

static void
digest(const struct t *t, uint8_t out[32])
{
	assert_int_equal(hk_state_digest(t->st, out), 0);
}

/* The vault record "${prefix}/${id}" into ${out}: 0 or HK_ENOTFOUND. */
static int
vault(const struct t *t, const char *prefix, const char *id,
    struct hk_buf *out)
{
	char key[128];

	snprintf(key, sizeof(key), "%s/%s", prefix, id);
	hk_buf_reset(out);
	return ledger_vault_get(t->led.l, (const uint8_t *)key, strlen(key),
	    out);
}

static bool
contains(const uint8_t *p, size_t n, const void *needle, size_t k)
{
	size_t i;

	for (i = 0; k > 0 && i + k <= n; i++)
		if (memcmp(p + i, needle, k) == 0)
			return true;
	return false;
}

static bool
contains_str(const uint8_t *p, size_t n, const char *s)
{
	return contains(p, n, s, strlen(s));
}

/* ---- signers -------------------------------------------------------------- */

struct signer {
	char sid[HK_STATE_ID_MAX], cid[HK_STATE_ID_MAX];
	char code[64];
	char auth[256];
	uint8_t seed[HK_TOTP_SECRET_MAX];
	size_t seedlen;
	unsigned level;
};

static void
sg_register(struct t *t, struct signer *s)
{
	memset(s, 0, sizeof(*s));
	assert_int_equal(ADMIN(t, HK_IPC_SIGNER_REGISTER, ADM,
			     B(t, "sssss", 1, "natural", 2, NAME, 3, ORG, 4,
				 EMAIL, 5, PROOF)), 200);
	ans_str(t, 1, s->sid, sizeof(s->sid));
	assert_int_equal(strlen(s->sid), 18);
	assert_memory_equal(s->sid, "s-", 2);
}

static void
sg_credential(struct t *t, struct signer *s, const char *alg, unsigned level)
{
	assert_int_equal(ADMIN(t, HK_IPC_CREDENTIAL_CREATE, ADM,
			     B(t, "ssu", 1, s->sid, 2, alg, 3, level)), 200);
	ans_str(t, 1, s->cid, sizeof(s->cid));
	ans_str(t, 2, s->code, sizeof(s->code));
	assert_int_equal(strlen(s->cid), 18);
	assert_memory_equal(s->cid, "c-", 2);
	s->level = level;
}

static size_t
b32_decode(const char *in, size_t n, uint8_t *out, size_t max)
{
	uint64_t acc = 0;
	size_t i, o = 0;
	int bits = 0, v = 0;

	for (i = 0; i < n; i++) {
		if (in[i] >= 'A' && in[i] <= 'Z')
			v = in[i] - 'A';
		else if (in[i] >= '2' && in[i] <= '7')
			v = in[i] - '2' + 26;
		else
			fail_msg("not base32: %c", in[i]);
		acc = acc << 5 | (uint64_t)v;
		bits += 5;
		if (bits >= 8) {
			assert_true(o < max);
			out[o++] = (uint8_t)(acc >> (bits - 8));
			bits -= 8;
		}
	}
	return o;
}

/* sg_enroll(t, s): redeem ${s}'s code; keeps the TOTP seed of the URI. */
static unsigned
sg_enroll(struct t *t, struct signer *s)
{
	struct hk_buf a = HK_BUF_INIT;
	char uri[HK_TOTP_URI_MAX], user[128];
	const char *p;
	unsigned st;

	st = SIGNER(t, HK_IPC_SIGNER_ENROLL, NULL,
	    B(t, "sss", 1, s->code, 2, PASSWORD, 3, PIN));
	if (st != 200)
		return st;
	ans_str(t, 1, user, sizeof(user));
	assert_string_equal(user, s->sid);
	ans_str(t, 2, user, sizeof(user));
	assert_string_equal(user, s->cid);
	assert_true(ans_has(t, 3) == (s->level >= 2));
	if (s->level >= 2) {
		ans_str(t, 3, uri, sizeof(uri));
		assert_non_null(p = strstr(uri, "secret="));
		p += 7;
		s->seedlen = b32_decode(p, strcspn(p, "&"), s->seed,
		    sizeof(s->seed));
		assert_int_equal(s->seedlen, HK_TOTP_SECRET_DEFAULT);
	}
	snprintf(user, sizeof(user), "%s:%s", s->sid, PASSWORD);
	assert_int_equal(hk_buf_puts(&a, "Basic "), 0);
	assert_int_equal(hk_b64_append(&a, (const uint8_t *)user,
			     strlen(user)), 0);
	assert_true(a.len < sizeof(s->auth));
	memcpy(s->auth, a.p, a.len);
	s->auth[a.len] = '\0';
	hk_buf_release(&a);
	return st;
}

/* sg_new(t, s, level): a registered, enrolled signer with one p256
 * credential in the created state. */
static void
sg_new(struct t *t, struct signer *s, unsigned level)
{
	sg_register(t, s);
	sg_credential(t, s, "p256", level);
	assert_int_equal(sg_enroll(t, s), 200);
}

/* ${s}'s credential in the state. */
static struct hk_cred_info
cred(const struct t *t, const struct signer *s)
{
	struct hk_cred_info ci;

	assert_int_equal(hk_state_cred(t->st, s->cid, strlen(s->cid), &ci), 0);
	return ci;
}

/* issue_leaf(t, csr_pem, out, max): the issuing CA's certificate for the
 * CSR (one day, no extensions), PEM. */
static void
issue_leaf(struct t *t, const char *csr_pem, char *out, size_t max)
{
	BIO *b = BIO_new_mem_buf(csr_pem, -1);
	X509_REQ *rq;
	X509 *x;

	assert_non_null(b);
	assert_non_null(rq = PEM_read_bio_X509_REQ(b, NULL, NULL, NULL));
	BIO_free(b);
	assert_non_null(x = X509_new());
	assert_int_equal(X509_set_version(x, 2), 1);
	assert_int_equal(ASN1_INTEGER_set(X509_get_serialNumber(x),
			     ++t->serial + 1000), 1);
	assert_int_equal(X509_set_subject_name(x,
			     X509_REQ_get_subject_name(rq)), 1);
	assert_int_equal(X509_set_issuer_name(x,
			     X509_get_subject_name(t->ca.cert)), 1);
	assert_non_null(X509_gmtime_adj(X509_getm_notBefore(x), -3600));
	assert_non_null(X509_gmtime_adj(X509_getm_notAfter(x), 86400));
	assert_int_equal(X509_set_pubkey(x, X509_REQ_get0_pubkey(rq)), 1);
	assert_true(X509_sign(x, t->ca.key, EVP_sha256()) > 0);
	cert_pem(x, out, max);
	X509_free(x);
	X509_REQ_free(rq);
}

/* sg_bind(t, s): CSR for the key awaiting a certificate, the signer's
 * confirmation, the certificate: the credential is active. */
static void
sg_bind(struct t *t, struct signer *s)
{
	static char csr[8192], chain[8192];

	assert_int_equal(ADMIN(t, HK_IPC_CREDENTIAL_CSR, ADM,
			     B(t, "s", 1, s->cid)), 200);
	assert_int_equal(SIGNER(t, HK_IPC_SIGNER_CSR_CONFIRM, s->auth,
			     B(t, "ss", 1, s->cid, 2, PIN)), 200);
	assert_int_equal(ADMIN(t, HK_IPC_CREDENTIAL_CSR_GET, ADM,
			     B(t, "s", 1, s->cid)), 200);
	ans_str(t, 1, csr, sizeof(csr));
	issue_leaf(t, csr, chain, sizeof(chain));
	assert_int_equal(ADMIN(t, HK_IPC_CREDENTIAL_CERTIFICATE, ADM,
			     B(t, "ss", 1, s->cid, 2, chain)), 200);
	assert_int_equal(cred(t, s).state, HK_CRED_ACTIVE);
}

/* sg_active(t, s, level): a signer whose credential is active. */
static void
sg_active(struct t *t, struct signer *s, unsigned level)
{
	sg_new(t, s, level);
	assert_int_equal(ADMIN(t, HK_IPC_CREDENTIAL_KEY, ADM,
			     B(t, "s", 1, s->cid)), 200);
	sg_bind(t, s);
}

static void
sg_nonce(struct t *t, const struct signer *s, char out[33])
{
	assert_int_equal(SIGNER(t, HK_IPC_SIGNER_NONCE, s->auth, NULL), 200);
	ans_str(t, 1, out, 33);
	assert_int_equal(strlen(out), 32);
	assert_int_equal(ans_uint(t, 2), 60);
}

/* The TOTP code of ${s} now (time() included). */
static void
otp(const struct signer *s, char code[HK_TOTP_CODE_LEN])
{
	assert_int_equal(hk_totp_generate(HK_TOTP_SHA1, s->seed, s->seedlen,
			     (uint64_t)time(NULL), code), 0);
}

/* A six-digit code other than ${good}. */
static void
otp_wrong(const char *good, char code[HK_TOTP_CODE_LEN])
{
	memcpy(code, good, HK_TOTP_CODE_LEN);
	code[5] = code[5] == '9' ? '0' : (char)(code[5] + 1);
}

/* sg_end(t, s, type, cid, nonce, pin, otpcode, reason): a suspension or
 * destruction request of ${s} (otpcode and reason may be NULL). */
static unsigned
sg_end(struct t *t, const struct signer *s, uint64_t type, const char *cid,
    const char *nonce, const char *pin, const char *otpcode,
    const char *reason)
{
	struct hk_mpk_writer w;

	hk_buf_reset(&t->body);
	hk_mpk_writer_init(&w, &t->body);
	hk_mpk_put_map(&w, 3 + (otpcode != NULL) + (reason != NULL));
	hk_mpk_put_uint(&w, 1);
	hk_mpk_put_cstr(&w, cid);
	hk_mpk_put_uint(&w, 2);
	hk_mpk_put_cstr(&w, nonce);
	hk_mpk_put_uint(&w, 3);
	hk_mpk_put_cstr(&w, pin);
	if (otpcode != NULL) {
		hk_mpk_put_uint(&w, 4);
		hk_mpk_put_cstr(&w, otpcode);
	}
	if (reason != NULL) {
		hk_mpk_put_uint(&w, 5);
		hk_mpk_put_cstr(&w, reason);
	}
	assert_int_equal(hk_mpk_writer_status(&w), 0);
	return SIGNER(t, type, s->auth, &t->body);
}

/* t_add_user(t, w, role): ${w} becomes a privileged user under dual
 * control (the administrator asks, the security officer approves). */
static void
t_add_user(struct t *t, enum who w, const char *role)
{
	char id[HK_STATE_ID_MAX];

	assert_int_equal(ADMIN(t, HK_IPC_USERS_ADD, ADM,
			     B(t, "ss", 1, t->u[w].pem, 2, role)), 200);
	ans_str(t, 1, id, sizeof(id));
	assert_int_equal(ADMIN(t, HK_IPC_APPROVAL_DECIDE, SO,
			     B(t, "ss", 1, id, 2, "approve")), 200);
}

static uint64_t
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static bool
puser_active(const struct t *t, enum who w)
{
	struct hk_puser_info u;

	return hk_state_puser(t->st, t->u[w].fp, &u) == 0 && u.active;
}

/* ---- OPS-1: roles and listeners ------------------------------------------ */

#define RA (1u << ADM)
#define RS (1u << SO)
#define RU (1u << AUD)
#define RO (1u << OPR)

/* docs/admin-api.md "Roles", written out independently of lifecycle.c. */
static const struct {
	uint64_t type;
	const char *op;
	unsigned roles;
} role_table[] = {
	{HK_IPC_ADMIN_STATUS, "status", RA | RS | RO},
	{HK_IPC_USERS_LIST, "users.list", RS},
	{HK_IPC_USERS_ADD, "users.add", RA | RS},
	{HK_IPC_USERS_REMOVE, "users.remove", RA | RS},
	{HK_IPC_APPROVALS_LIST, "approvals.list", RS},
	{HK_IPC_APPROVAL_DECIDE, "approvals.decide", RS},
	{HK_IPC_SIGNER_REGISTER, "signers.register", RA},
	{HK_IPC_SIGNER_GET, "signers.get", RA},
	{HK_IPC_SIGNER_ERASE, "signers.erase", RA},
	{HK_IPC_CREDENTIAL_CREATE, "credentials.create", RA},
	{HK_IPC_CREDENTIAL_GET, "credentials.get", RA},
	{HK_IPC_CREDENTIAL_KEY, "credentials.key", RA},
	{HK_IPC_CREDENTIAL_CSR, "credentials.csr", RA},
	{HK_IPC_CREDENTIAL_CSR_GET, "credentials.csr_get", RA},
	{HK_IPC_CREDENTIAL_CERTIFICATE, "credentials.certificate", RA},
	{HK_IPC_CREDENTIAL_SUSPEND, "credentials.suspend", RA},
	{HK_IPC_CREDENTIAL_RESUME, "credentials.resume", RA},
	{HK_IPC_CREDENTIAL_DESTROY, "credentials.destroy", RA},
	{HK_IPC_CREDENTIAL_UNLOCK, "credentials.unlock", RA | RS},
	{HK_IPC_CREDENTIAL_RENEW, "credentials.renew", RA},
	/* docs/audit-api.md: the auditor only. */
	{HK_IPC_AUDIT_STATUS, "audit.status", RU},
	{HK_IPC_AUDIT_EVENTS, "audit.events", RU},
	{HK_IPC_AUDIT_RECEIPT, "audit.receipt", RU},
	{HK_IPC_AUDIT_CONSISTENCY, "audit.consistency", RU},
	{HK_IPC_AUDIT_SIGNATURES, "audit.signatures", RU},
	/* docs/console.md: the console's views and its access check. */
	{HK_IPC_AUDIT_SUMMARY, "audit.summary", RU},
	{HK_IPC_AUDIT_HISTORY, "audit.history", RU},
	{HK_IPC_AUDIT_SIGNERS, "audit.signers", RU},
	{HK_IPC_CONSOLE, "console", RU},
};
#define NROLE (sizeof(role_table) / sizeof(role_table[0]))

static const uint64_t signer_types[] = {HK_IPC_SIGNER_ENROLL,
    HK_IPC_SIGNER_CSR_GET, HK_IPC_SIGNER_CSR_CONFIRM, HK_IPC_SIGNER_NONCE,
    HK_IPC_SIGNER_SUSPEND, HK_IPC_SIGNER_DESTROY};

/* Every admin operation against every role, a user of the operator CA who
 * was never added, and a request without a certificate. A refused caller
 * gets 403 and changes nothing but the admin.request record; an allowed
 * one gets past the role check (an empty body then fails on its own
 * terms, never with 403) and is recorded as well. */
static void
test_OPS1_role_table_at_the_executor(void **state)
{
	static const int callers[] = {ADM, SO, AUD, OPR, STRANGER, NOCERT};
	struct t *t = *state;
	uint8_t before[32], after[32];
	uint64_t mark;
	size_t i, k;
	unsigned st;

	t_add_user(t, AUD, "auditor");
	t_add_user(t, OPR, "operator");
	assert_true(hk_lc_handles(HK_IPC_ADMIN_STATUS));
	for (i = 0; i < NROLE; i++) {
		assert_true(hk_lc_handles(role_table[i].type));
		for (k = 0; k < sizeof(callers) / sizeof(callers[0]); k++) {
			int who = callers[k];
			bool allowed = who >= 0 && who != STRANGER &&
			    (role_table[i].roles & (1u << who)) != 0;

			digest(t, before);
			mark = nev(t);
			st = ADMIN(t, role_table[i].type, who, B(t, ""));
			print_message("# %s by %d: %u\n", role_table[i].op, who,
			    st);
			if (allowed) {
				assert_int_not_equal(st, 403);
			} else {
				expect(t, 403, "forbidden");
				assert_int_equal(nev(t), mark + 1);
			}
			check_admin_record(t, nev(t) - 1, who, role_table[i].op,
			    st);
			digest(t, after);
			assert_memory_equal(before, after, 32);
		}
	}
	/* What the allowed calls answered. */
	assert_int_equal(ADMIN(t, HK_IPC_ADMIN_STATUS, OPR, NULL), 200);
	{
		char s[256];
		uint64_t signers, creds;

		ans_str(t, 1, s, sizeof(s));
		assert_string_equal(s, ORIGIN);
		ans_str(t, 5, s, sizeof(s));
		assert_string_equal(s, "operator");
		hk_state_counts(t->st, &signers, &creds);
		assert_int_equal(ans_uint(t, 3), signers);
		assert_int_equal(ans_uint(t, 4), creds);
		assert_true(ans_uint(t, 2) > 0);
	}
	/* A removed user is refused like a stranger. */
	assert_int_equal(ADMIN(t, HK_IPC_USERS_REMOVE, ADM,
			     B(t, "s", 1, t->u[OPR].hex)), 200);
	{
		char id[HK_STATE_ID_MAX];

		ans_str(t, 1, id, sizeof(id));
		assert_int_equal(ADMIN(t, HK_IPC_APPROVAL_DECIDE, SO,
				     B(t, "ss", 1, id, 2, "approve")), 200);
	}
	assert_false(puser_active(t, OPR));
	assert_int_equal(ADMIN(t, HK_IPC_ADMIN_STATUS, OPR, NULL), 403);
	expect(t, 403, "forbidden");
}

/* Admin types that arrive on the signing listener are refused whatever
 * certificate the front claims (only the admin listener authenticates
 * operators, NET-2), and recorded; signer types on the admin listener do
 * not exist (404, nothing recorded), nor do unknown types. */
static void
test_OPS1_listener_split(void **state)
{
	static const uint64_t unknown[] = {0, HK_IPC_HEALTH, HK_IPC_READY, 9,
	    30, 39, 46, HK_IPC_CSC_SIGN_HASH, 1000,
	    UINT64_MAX};
	static const uint64_t listeners[] = {HK_IPC_SIGNING, 0, 3};
	struct t *t = *state;
	struct signer s;
	uint8_t before[32], after[32];
	uint64_t mark;
	size_t i, k;

	sg_new(t, &s, 1);
	digest(t, before);
	for (i = 0; i < NROLE; i++) {
		for (k = 0; k < sizeof(listeners) / sizeof(listeners[0]); k++) {
			mark = nev(t);
			/* The administrator's fingerprint and a signer's
			 * valid Basic credentials, on the wrong listener. */
			assert_int_equal(req(t, role_table[i].type,
					     listeners[k], ADM, s.auth,
					     B(t, "")), 403);
			expect(t, 403, "forbidden");
			assert_int_equal(nev(t), mark + 1);
			{
				struct hk_buf buf = HK_BUF_INIT;
				struct hk_event ev;
				char o[32];

				ev_at(t, mark, &buf, &ev);
				assert_int_equal(ev.type, HK_EV_ADMIN_REQUEST);
				evb_str(&ev, HK_BODY_AR_OUTCOME, o, sizeof(o));
				assert_string_equal(o, "refused");
				assert_int_equal(evb_uint(&ev,
						     HK_BODY_AR_STATUS), 403);
				/* Not attributed to the administrator. */
				assert_false(bytes_eq(ev.actor_id,
				    t->u[ADM].hex));
				hk_buf_release(&buf);
			}
		}
	}
	for (i = 0; i < sizeof(signer_types) / sizeof(signer_types[0]); i++) {
		assert_true(hk_lc_handles(signer_types[i]));
		mark = nev(t);
		assert_int_equal(req(t, signer_types[i], HK_IPC_ADMIN, ADM,
				     s.auth, B(t, "s", 1, s.cid)), 404);
		expect(t, 404, "not_found");
		assert_int_equal(req(t, signer_types[i], 0, NOCERT, s.auth,
				     B(t, "s", 1, s.cid)), 404);
		assert_int_equal(nev(t), mark);
	}
	/* The CSC methods the executor serves (signHash is the SAM's) exist
	 * on the signing listener only. */
	for (i = HK_IPC_CSC_INFO; i < HK_IPC_CSC_SIGN_HASH; i++) {
		assert_true(hk_lc_handles(i));
		mark = nev(t);
		assert_int_equal(req(t, i, HK_IPC_ADMIN, ADM, s.auth,
				     B(t, "s", 1, s.cid)), 404);
		expect(t, 404, "not_found");
		assert_int_equal(nev(t), mark);
	}
	for (i = 0; i < sizeof(unknown) / sizeof(unknown[0]); i++) {
		assert_false(hk_lc_handles(unknown[i]));
		mark = nev(t);
		assert_int_equal(ADMIN(t, unknown[i], ADM, NULL), 404);
		expect(t, 404, "not_found");
		assert_int_equal(SIGNER(t, unknown[i], s.auth, NULL), 404);
		assert_int_equal(nev(t), mark);
	}
	/* On the admin listener, a fingerprint the front did not vouch for
	 * (no client certificate) is nobody's. */
	t->hide_cert = true;
	for (i = 0; i < NROLE; i++) {
		mark = nev(t);
		assert_int_equal(ADMIN(t, role_table[i].type, ADM, B(t, "")),
		    403);
		assert_int_equal(nev(t), mark + 1);
		check_admin_record(t, mark, NOCERT, role_table[i].op, 403);
	}
	t->hide_cert = false;
	digest(t, after);
	assert_memory_equal(before, after, 32);
	/* The signer routes answer on the signing listener. */
	assert_int_equal(SIGNER(t, HK_IPC_SIGNER_NONCE, s.auth, NULL), 200);
	assert_int_equal(SIGNER(t, HK_IPC_SIGNER_NONCE, NULL, NULL), 401);
	expect(t, 401, "unauthorized");
}

static const char *
op_name(uint64_t type)
{
	size_t i;

	for (i = 0; i < NROLE; i++)
		if (role_table[i].type == type)
			return role_table[i].op;
	return "?";
}

/* ---- OPS-2: dual control --------------------------------------------------- */

static void
test_OPS2_user_add_waits_for_another_security_officer(void **state)
{
	struct t *t = *state;
	struct hk_approval_info a;
	struct hk_buf buf = HK_BUF_INIT;
	struct hk_event ev;
	char id[HK_STATE_ID_MAX], s[256];
	uint64_t mark, t0;

	mark = nev(t);
	t0 = now_ms();
	assert_int_equal(ADMIN(t, HK_IPC_USERS_ADD, ADM,
			     B(t, "ss", 1, t->u[SO2].pem, 2,
				 "security_officer")), 200);
	ans_str(t, 1, id, sizeof(id));
	assert_int_equal(strlen(id), 18);
	assert_memory_equal(id, "a-", 2);
	expect_events(t, mark, 2, HK_EV_APPROVAL_REQUESTED, HK_EV_ADMIN_REQUEST);
	ev_at(t, mark, &buf, &ev);
	assert_int_equal(ev.actor_kind, HK_ACTOR_PRIVILEGED);
	assert_true(bytes_eq(ev.actor_id, t->u[ADM].hex));
	evb_str(&ev, HK_BODY_AP_OPERATION, s, sizeof(s));
	assert_string_equal(s, "user.add");
	evb_str(&ev, HK_BODY_AP_TARGET, s, sizeof(s));
	assert_string_equal(s, t->u[SO2].hex);
	/* 24 hours (APPROVAL_MS), from the moment of the request. */
	assert_true(evb_uint(&ev, HK_BODY_AP_EXPIRES) >= t0 + 86400000ULL);
	assert_true(evb_uint(&ev, HK_BODY_AP_EXPIRES) <=
	    now_ms() + 86400000ULL);
	check_admin_record(t, mark + 1, ADM, "users.add", 200);
	assert_int_equal(hk_state_approval(t->st, id, strlen(id), &a), 0);
	assert_int_equal(a.status, HK_APPROVAL_PENDING);
	assert_memory_equal(a.requester, t->u[ADM].fp, 32);
	assert_false(puser_active(t, SO2));
	assert_int_equal(ADMIN(t, HK_IPC_ADMIN_STATUS, SO2, NULL), 403);

	/* The administrator may not decide; the officer sees it listed. */
	assert_int_equal(ADMIN(t, HK_IPC_APPROVAL_DECIDE, ADM,
			     B(t, "ss", 1, id, 2, "approve")), 403);
	assert_int_equal(ADMIN(t, HK_IPC_APPROVALS_LIST, SO, NULL), 200);
	assert_true(contains_str(t->resp.p, t->resp.len, id));
	assert_true(contains_str(t->resp.p, t->resp.len, t->u[ADM].hex));

	mark = nev(t);
	assert_int_equal(ADMIN(t, HK_IPC_APPROVAL_DECIDE, SO,
			     B(t, "ss", 1, id, 2, "approve")), 200);
	ans_str(t, 2, s, sizeof(s));
	assert_string_equal(s, "approved");
	expect_events(t, mark, 3, HK_EV_APPROVAL_GRANTED,
	    HK_EV_PRIV_USER_ADDED, HK_EV_ADMIN_REQUEST);
	ev_at(t, mark + 1, &buf, &ev);
	evb_str(&ev, HK_BODY_PU_ROLE, s, sizeof(s));
	assert_string_equal(s, "security_officer");
	evb_str(&ev, HK_BODY_PU_APPROVAL, s, sizeof(s));
	assert_string_equal(s, id);
	assert_true(bytes_eq(ev.actor_id, t->u[SO].hex));
	assert_true(puser_active(t, SO2));
	assert_int_equal(ADMIN(t, HK_IPC_USERS_LIST, SO2, NULL), 200);
	assert_true(contains_str(t->resp.p, t->resp.len, t->u[SO2].hex));

	/* Used once; the listing no longer shows it. */
	mark = nev(t);
	assert_int_equal(ADMIN(t, HK_IPC_APPROVAL_DECIDE, SO2,
			     B(t, "ss", 1, id, 2, "approve")), 404);
	expect_events(t, mark, 1, HK_EV_ADMIN_REQUEST);
	assert_int_equal(ADMIN(t, HK_IPC_APPROVALS_LIST, SO, NULL), 200);
	assert_false(contains_str(t->resp.p, t->resp.len, id));
	/* Only client certificates of the operator CA: not the CA itself,
	 * not a server certificate it issued, not another CA's client. */
	{
		struct hk_pki_cert srv = {0}, other = {0}, rogue = {0};
		static char pem[4096];

		assert_int_equal(hk_pki_issue(&t->opca, "localhost",
				     HK_PKI_SERVER, 30, &srv), 0);
		assert_int_equal(hk_pki_issue(NULL, "Other CA", HK_PKI_CA, 30,
				     &other), 0);
		assert_int_equal(hk_pki_issue(&other, "rogue", HK_PKI_CLIENT,
				     30, &rogue), 0);
		cert_pem(t->opca.cert, pem, sizeof(pem));
		assert_int_equal(ADMIN(t, HK_IPC_USERS_ADD, ADM,
				     B(t, "ss", 1, pem, 2, "auditor")), 400);
		cert_pem(srv.cert, pem, sizeof(pem));
		assert_int_equal(ADMIN(t, HK_IPC_USERS_ADD, ADM,
				     B(t, "ss", 1, pem, 2, "auditor")), 400);
		cert_pem(rogue.cert, pem, sizeof(pem));
		assert_int_equal(ADMIN(t, HK_IPC_USERS_ADD, ADM,
				     B(t, "ss", 1, pem, 2, "auditor")), 400);
		cert_pem(t->ca.cert, pem, sizeof(pem));
		assert_int_equal(ADMIN(t, HK_IPC_USERS_ADD, ADM,
				     B(t, "ss", 1, pem, 2, "auditor")), 400);
		hk_pki_cert_release(&srv);
		hk_pki_cert_release(&rogue);
		hk_pki_cert_release(&other);
	}
	/* An active user cannot be added again. */
	assert_int_equal(ADMIN(t, HK_IPC_USERS_ADD, ADM,
			     B(t, "ss", 1, t->u[SO2].pem, 2, "auditor")), 409);
	hk_buf_release(&buf);
}

static void
test_OPS2_self_approval_is_refused(void **state)
{
	struct t *t = *state;
	struct hk_approval_info a;
	char id[HK_STATE_ID_MAX];
	uint8_t before[32], after[32];
	uint64_t mark;

	t_add_user(t, SO2, "security_officer");
	assert_int_equal(ADMIN(t, HK_IPC_USERS_ADD, SO,
			     B(t, "ss", 1, t->u[AUD].pem, 2, "auditor")), 200);
	ans_str(t, 1, id, sizeof(id));
	digest(t, before);
	mark = nev(t);
	assert_int_equal(ADMIN(t, HK_IPC_APPROVAL_DECIDE, SO,
			     B(t, "ss", 1, id, 2, "approve")), 403);
	expect(t, 403, "forbidden");
	expect_events(t, mark, 1, HK_EV_ADMIN_REQUEST);
	check_admin_record(t, mark, SO, "approvals.decide", 403);
	digest(t, after);
	assert_memory_equal(before, after, 32);
	assert_int_equal(hk_state_approval(t->st, id, strlen(id), &a), 0);
	assert_int_equal(a.status, HK_APPROVAL_PENDING);
	assert_false(puser_active(t, AUD));
	/* Another security officer may. */
	assert_int_equal(ADMIN(t, HK_IPC_APPROVAL_DECIDE, SO2,
			     B(t, "ss", 1, id, 2, "approve")), 200);
	assert_true(puser_active(t, AUD));
}

static void
test_OPS2_rejection_executes_nothing(void **state)
{
	struct t *t = *state;
	struct hk_approval_info a;
	char id[HK_STATE_ID_MAX], s[32];
	uint64_t mark;

	assert_int_equal(ADMIN(t, HK_IPC_USERS_ADD, ADM,
			     B(t, "ss", 1, t->u[OPR].pem, 2, "operator")), 200);
	ans_str(t, 1, id, sizeof(id));
	mark = nev(t);
	assert_int_equal(ADMIN(t, HK_IPC_APPROVAL_DECIDE, SO,
			     B(t, "ss", 1, id, 2, "reject")), 200);
	ans_str(t, 2, s, sizeof(s));
	assert_string_equal(s, "rejected");
	expect_events(t, mark, 2, HK_EV_APPROVAL_REJECTED, HK_EV_ADMIN_REQUEST);
	assert_int_equal(hk_state_approval(t->st, id, strlen(id), &a), 0);
	assert_int_equal(a.status, HK_APPROVAL_REJECTED);
	assert_false(puser_active(t, OPR));
	assert_int_equal(ADMIN(t, HK_IPC_ADMIN_STATUS, OPR, NULL), 403);
	assert_int_equal(ADMIN(t, HK_IPC_APPROVAL_DECIDE, SO,
			     B(t, "ss", 1, id, 2, "approve")), 404);
	assert_false(puser_active(t, OPR));
}

static void
test_OPS2_last_security_officer_cannot_be_removed(void **state)
{
	struct t *t = *state;
	struct hk_buf buf = HK_BUF_INIT;
	struct hk_event ev;
	char id[HK_STATE_ID_MAX], s[HK_STATE_ID_MAX];
	uint64_t mark;

	/* One officer: neither the administrator nor the officer can ask. */
	mark = nev(t);
	assert_int_equal(ADMIN(t, HK_IPC_USERS_REMOVE, ADM,
			     B(t, "s", 1, t->u[SO].hex)), 409);
	expect(t, 409, "conflict");
	assert_int_equal(ADMIN(t, HK_IPC_USERS_REMOVE, SO,
			     B(t, "s", 1, t->u[SO].hex)), 409);
	expect_events(t, mark, 2, HK_EV_ADMIN_REQUEST, HK_EV_ADMIN_REQUEST);
	assert_true(puser_active(t, SO));

	/* With a second officer, user.remove executes once approved. */
	t_add_user(t, SO2, "security_officer");
	assert_int_equal(ADMIN(t, HK_IPC_USERS_REMOVE, ADM,
			     B(t, "s", 1, t->u[SO].hex)), 200);
	ans_str(t, 1, id, sizeof(id));
	assert_true(puser_active(t, SO));
	mark = nev(t);
	assert_int_equal(ADMIN(t, HK_IPC_APPROVAL_DECIDE, SO2,
			     B(t, "ss", 1, id, 2, "approve")), 200);
	expect_events(t, mark, 3, HK_EV_APPROVAL_GRANTED,
	    HK_EV_PRIV_USER_CHANGED, HK_EV_ADMIN_REQUEST);
	ev_at(t, mark + 1, &buf, &ev);
	evb_str(&ev, HK_BODY_PU_APPROVAL, s, sizeof(s));
	assert_string_equal(s, id);
	assert_false(puser_active(t, SO));
	assert_int_equal(ADMIN(t, HK_IPC_USERS_LIST, SO, NULL), 403);
	expect(t, 403, "forbidden");
	/* The listing keeps the removed user, inactive. */
	assert_int_equal(ADMIN(t, HK_IPC_USERS_LIST, SO2, NULL), 200);
	assert_true(contains_str(t->resp.p, t->resp.len, t->u[SO].hex));
	/* Now SO2 is the last one; removing an inactive user is a 404. */
	assert_int_equal(ADMIN(t, HK_IPC_USERS_REMOVE, ADM,
			     B(t, "s", 1, t->u[SO2].hex)), 409);
	assert_int_equal(ADMIN(t, HK_IPC_USERS_REMOVE, ADM,
			     B(t, "s", 1, t->u[SO].hex)), 404);
	assert_true(puser_active(t, SO2));
	hk_buf_release(&buf);
}

/* The last-officer rule holds when the approval executes, not only when
 * it is requested: two removals asked while there were two officers must
 * not both execute. */
static void
test_OPS2_pending_removals_cannot_remove_every_security_officer(void **state)
{
	struct t *t = *state;
	char a1[HK_STATE_ID_MAX], a2[HK_STATE_ID_MAX];
	uint8_t before[32], after[32];
	uint64_t mark;

	t_add_user(t, SO2, "security_officer");
	assert_int_equal(ADMIN(t, HK_IPC_USERS_REMOVE, ADM,
			     B(t, "s", 1, t->u[SO].hex)), 200);
	ans_str(t, 1, a1, sizeof(a1));
	assert_int_equal(ADMIN(t, HK_IPC_USERS_REMOVE, ADM,
			     B(t, "s", 1, t->u[SO2].hex)), 200);
	ans_str(t, 1, a2, sizeof(a2));
	assert_int_equal(ADMIN(t, HK_IPC_APPROVAL_DECIDE, SO2,
			     B(t, "ss", 1, a1, 2, "approve")), 200);
	assert_false(puser_active(t, SO));
	/* SO2 did not ask for a2, so it may decide it; but executing it
	 * would leave no security officer at all. */
	digest(t, before);
	mark = nev(t);
	assert_int_equal(ADMIN(t, HK_IPC_APPROVAL_DECIDE, SO2,
			     B(t, "ss", 1, a2, 2, "approve")), 409);
	expect(t, 409, "conflict");
	expect_events(t, mark, 1, HK_EV_ADMIN_REQUEST);
	digest(t, after);
	assert_memory_equal(before, after, 32);
	assert_true(puser_active(t, SO2));
	assert_int_equal(ADMIN(t, HK_IPC_USERS_LIST, SO2, NULL), 200);
}

/* An approval past its 24 hours is refused (410) and closed as rejected
 * by the system; nothing executes. APPROVAL_MS is a constant, so the
 * approval is written to the ledger with an expiry in the past, as a
 * request made a day ago would have been. */
static void
test_OPS2_expired_approval_is_refused(void **state)
{
	static const char id[] = "a-00000000000e0001";
	struct t *t = *state;
	struct hk_approval_info a;
	struct hk_buf body = HK_BUF_INIT, buf = HK_BUF_INIT;
	struct hk_mpk_writer w;
	struct hk_event ev;
	unsigned char *der = NULL;
	char s[64];
	uint64_t mark;
	int n;

	t_stop(t);
	assert_true((n = i2d_X509(t->u[SO2].c.cert, &der)) > 0);
	hk_mpk_writer_init(&w, &body);
	hk_mpk_put_map(&w, 6);
	hk_mpk_put_uint(&w, HK_BODY_AP_ID);
	hk_mpk_put_cstr(&w, id);
	hk_mpk_put_uint(&w, HK_BODY_AP_OPERATION);
	hk_mpk_put_cstr(&w, "user.add");
	hk_mpk_put_uint(&w, HK_BODY_AP_TARGET);
	hk_mpk_put_cstr(&w, t->u[SO2].hex);
	hk_mpk_put_uint(&w, HK_BODY_AP_EXPIRES);
	hk_mpk_put_uint(&w, now_ms() - 1000);
	hk_mpk_put_uint(&w, HK_BODY_AP_ROLE);
	hk_mpk_put_cstr(&w, "security_officer");
	hk_mpk_put_uint(&w, HK_BODY_AP_CERT);
	hk_mpk_put_bin(&w, der, (size_t)n);
	assert_int_equal(hk_mpk_writer_status(&w), 0);
	memset(&ev, 0, sizeof(ev));
	ev.type = HK_EV_APPROVAL_REQUESTED;
	ev.actor_kind = HK_ACTOR_PRIVILEGED;
	ev.actor_id = (struct hk_bytes){(const uint8_t *)t->u[ADM].hex, 64};
	ev.actor_channel = HK_CHANNEL_ADMIN;
	ev.actor_peer = (struct hk_bytes){(const uint8_t *)PEER, strlen(PEER)};
	ev.body = (struct hk_bytes){body.p, body.len};
	assert_int_equal(ledger_append_wait(t->led.l, &ev, NULL), 0);
	OPENSSL_free(der);
	hk_buf_release(&body);
	t_start(t);
	assert_int_equal(hk_state_approval(t->st, id, strlen(id), &a), 0);
	assert_int_equal(a.status, HK_APPROVAL_PENDING);

	/* Not listed. */
	assert_int_equal(ADMIN(t, HK_IPC_APPROVALS_LIST, SO, NULL), 200);
	assert_false(contains_str(t->resp.p, t->resp.len, id));
	/* Refused, and closed by the system. */
	mark = nev(t);
	assert_int_equal(ADMIN(t, HK_IPC_APPROVAL_DECIDE, SO,
			     B(t, "ss", 1, id, 2, "approve")), 410);
	expect(t, 410, "gone");
	expect_events(t, mark, 2, HK_EV_APPROVAL_REJECTED, HK_EV_ADMIN_REQUEST);
	ev_at(t, mark, &buf, &ev);
	assert_int_equal(ev.actor_kind, HK_ACTOR_SYSTEM);
	evb_str(&ev, HK_BODY_AP_REASON, s, sizeof(s));
	assert_string_equal(s, "expired");
	check_admin_record(t, mark + 1, SO, "approvals.decide", 410);
	assert_int_equal(hk_state_approval(t->st, id, strlen(id), &a), 0);
	assert_int_equal(a.status, HK_APPROVAL_REJECTED);
	assert_false(puser_active(t, SO2));
	assert_int_equal(ADMIN(t, HK_IPC_APPROVAL_DECIDE, SO,
			     B(t, "ss", 1, id, 2, "approve")), 404);
	assert_false(puser_active(t, SO2));
	hk_buf_release(&buf);
	t_restart(t);
}

/* ---- REG-2: enrollment codes ------------------------------------------------ */

static void
test_REG2_enrollment_code_expires_under_a_one_second_policy(void **state)
{
	struct t *t = *state;
	struct signer s, s2;
	struct hk_buf v = HK_BUF_INIT, buf = HK_BUF_INIT;
	struct hk_event ev;
	struct timespec nap = {1, 200 * 1000 * 1000};
	char hex[65];
	uint8_t h[32];
	uint64_t mark, t0;

	t->cfg.enrollment_code_s = 1;
	sg_register(t, &s);
	t0 = now_ms();
	mark = nev(t);
	sg_credential(t, &s, "p256", 2);
	/* The answer and the event say when it expires. */
	assert_true(ans_uint(t, 3) >= t0 / 1000 + 1);
	assert_true(ans_uint(t, 3) <= now_ms() / 1000 + 1);
	ev_at(t, mark, &buf, &ev);
	assert_int_equal(ev.type, HK_EV_CREDENTIAL_CREATED);
	assert_true(evb_uint(&ev, HK_BODY_CR_CODE_EXPIRES) >= t0 + 1000);
	assert_true(evb_uint(&ev, HK_BODY_CR_CODE_EXPIRES) <= now_ms() + 1000);
	/* The vault keeps the code's hash, not the code. */
	crypto_hash_sha256(h, (const uint8_t *)s.code, strlen(s.code));
	hk_hex_encode(hex, h, 32);
	assert_int_equal(vault(t, "ec", hex, &v), 0);
	assert_false(contains_str(v.p, v.len, s.code));
	assert_false(contains_str(buf.p, buf.len, s.code));

	nanosleep(&nap, NULL);
	mark = nev(t);
	assert_int_equal(sg_enroll(t, &s), 410);
	expect(t, 410, "gone");
	assert_int_equal(nev(t), mark);
	assert_false(cred(t, &s).enrolled);
	assert_int_equal(vault(t, "pw", s.sid, &v), HK_ENOTFOUND);
	assert_int_equal(vault(t, "pin", s.cid, &v), HK_ENOTFOUND);

	/* Under a longer policy a fresh code works at once. */
	t->cfg.enrollment_code_s = 600;
	s2 = s;
	sg_credential(t, &s2, "p256", 1);
	assert_int_equal(sg_enroll(t, &s2), 200);
	assert_true(cred(t, &s2).enrolled);
	/* The first code is still dead. */
	assert_int_equal(sg_enroll(t, &s), 410);
	hk_buf_release(&v);
	hk_buf_release(&buf);
}

static void
test_REG2_enrollment_code_is_single_use(void **state)
{
	struct t *t = *state;
	struct signer s;
	struct hk_buf v = HK_BUF_INIT;
	char hex[65];
	uint8_t h[32];
	uint64_t mark;

	sg_register(t, &s);
	sg_credential(t, &s, "p256", 2);
	/* A wrong code and a bad PIN change nothing. */
	mark = nev(t);
	assert_int_equal(SIGNER(t, HK_IPC_SIGNER_ENROLL, NULL,
			     B(t, "sss", 1, "AAAAAAAAAAAAAAAAAAAAAAAA", 2,
				 PASSWORD, 3, PIN)), 410);
	assert_int_equal(SIGNER(t, HK_IPC_SIGNER_ENROLL, NULL,
			     B(t, "sss", 1, s.code, 2, PASSWORD, 3, "12ab56")),
	    400);
	assert_int_equal(SIGNER(t, HK_IPC_SIGNER_ENROLL, NULL,
			     B(t, "sss", 1, s.code, 2, "short", 3, PIN)), 400);
	assert_int_equal(nev(t), mark);
	assert_int_equal(sg_enroll(t, &s), 200);
	expect_events(t, mark, 1, HK_EV_CREDENTIAL_ENROLLED);
	crypto_hash_sha256(h, (const uint8_t *)s.code, strlen(s.code));
	hk_hex_encode(hex, h, 32);
	assert_int_equal(vault(t, "ec", hex, &v), HK_ENOTFOUND);
	mark = nev(t);
	assert_int_equal(sg_enroll(t, &s), 410);
	assert_int_equal(nev(t), mark);
	hk_buf_release(&v);
}

/* ---- REG-1, REG-2: the vault ------------------------------------------------- */

static bool
is_argon2id(const struct hk_buf *v)
{
	return v->len > 10 && memcmp(v->p, "$argon2id$", 10) == 0 &&
	    memchr(v->p, '\0', v->len) == NULL;
}

/* The password and PIN are argon2id strings; the attributes, the CSR and
 * the certificate are sealed: no personal datum in clear in any vault
 * value, in any event or anywhere in data.mdb. */
static void
test_REG1_vault_holds_hashes_and_sealed_personal_data(void **state)
{
	static const char *personal[] = {NAME, EMAIL, PROOF, PASSWORD, PIN};
	static const char *const prefixes[] = {"sk", "ss", "sa", "pw"};
	static const char *const cprefixes[] = {"pin", "otp", "csr", "cert"};
	struct t *t = *state;
	struct signer s;
	struct hk_buf v = HK_BUF_INIT, all = HK_BUF_INIT;
	struct hk_event ev;
	char path[600];
	uint8_t *mdb;
	struct stat sb;
	size_t i, k;
	uint64_t seq;
	FILE *f;

	sg_active(t, &s, 2);
	assert_int_equal(vault(t, "pw", s.sid, &v), 0);
	assert_true(is_argon2id(&v));
	assert_false(contains_str(v.p, v.len, PASSWORD));
	assert_int_equal(vault(t, "pin", s.cid, &v), 0);
	assert_true(is_argon2id(&v));
	assert_int_equal(vault(t, "otp", s.cid, &v), 0);
	assert_int_equal(v.len, s.seedlen + HSM_SEAL_OVERHEAD);
	assert_false(contains(v.p, v.len, s.seed, s.seedlen));
	/* Every record of the signer and the credential exists and holds
	 * nothing personal in clear. */
	for (i = 0; i < 4; i++) {
		assert_int_equal(vault(t, prefixes[i], s.sid, &v), 0);
		for (k = 0; k < 5; k++)
			assert_false(contains_str(v.p, v.len, personal[k]));
		assert_false(contains_str(v.p, v.len, ORG));
	}
	for (i = 0; i < 4; i++) {
		assert_int_equal(vault(t, cprefixes[i], s.cid, &v), 0);
		for (k = 0; k < 5; k++)
			assert_false(contains_str(v.p, v.len, personal[k]));
		assert_false(contains_str(v.p, v.len, ORG));
		assert_false(contains_str(v.p, v.len, "-----BEGIN"));
	}
	/* Still readable through the executor (it unseals). */
	assert_int_equal(ADMIN(t, HK_IPC_SIGNER_GET, ADM, B(t, "s", 1, s.sid)),
	    200);
	{
		char n[128];

		ans_str(t, 3, n, sizeof(n));
		assert_string_equal(n, NAME);
		ans_str(t, 5, n, sizeof(n));
		assert_string_equal(n, EMAIL);
		ans_str(t, 6, n, sizeof(n));
		assert_string_equal(n, PROOF);
		assert_false(ans_bool(t, 7));
	}
	assert_int_equal(ADMIN(t, HK_IPC_CREDENTIAL_GET, ADM,
			     B(t, "s", 1, s.cid)), 200);
	{
		static char pem[8192];

		ans_str(t, 8, pem, sizeof(pem));
		assert_non_null(strstr(pem, "-----BEGIN CERTIFICATE-----"));
	}
	/* No event carries them; signer.registered has kind and commitment
	 * only. */
	for (seq = 0; seq < nev(t); seq++) {
		ev_at(t, seq, &all, &ev);
		for (k = 0; k < 5; k++)
			assert_false(contains_str(all.p, all.len, personal[k]));
		if (ev.type == HK_EV_SIGNER_REGISTERED) {
			uint32_t n = 0;
			struct hk_mpk_reader r;

			hk_mpk_reader_init(&r, ev.body.p, ev.body.n);
			assert_int_equal(hk_mpk_get_map(&r, &n), 0);
			assert_int_equal(n, 2);
			assert_true(evb_has(&ev, HK_BODY_SG_KIND));
			assert_true(evb_has(&ev, HK_BODY_SG_COMMITMENT));
		}
	}
	/* The whole file: nothing in clear, but the public issuer is there
	 * (the grep has teeth). */
	snprintf(path, sizeof(path), "%s/data.mdb", t->led.ledger);
	assert_int_equal(stat(path, &sb), 0);
	assert_true(sb.st_size > 0 && sb.st_size < (64 << 20));
	assert_non_null(mdb = malloc((size_t)sb.st_size));
	assert_non_null(f = fopen(path, "rb"));
	assert_int_equal(fread(mdb, 1, (size_t)sb.st_size, f),
	    (size_t)sb.st_size);
	fclose(f);
	for (k = 0; k < 5; k++)
		assert_false(contains_str(mdb, (size_t)sb.st_size,
		    personal[k]));
	assert_false(contains(mdb, (size_t)sb.st_size, s.seed, s.seedlen));
	assert_true(contains_str(mdb, (size_t)sb.st_size, ISSUER_CN));
	free(mdb);
	hk_buf_release(&v);
	hk_buf_release(&all);
}

/* Erasure (REG-1) deletes the signer's data key, salt, sealed attributes
 * and password; it needs every credential destroyed first. */
static void
test_REG1_erasure_deletes_key_salt_and_attributes(void **state)
{
	static const char *const prefixes[] = {"sk", "ss", "sa", "pw"};
	struct t *t = *state;
	struct signer s;
	struct hk_buf v = HK_BUF_INIT;
	struct hsm_keyinfo ki;
	struct hk_cred_info ci;
	char id[HK_STATE_ID_MAX];
	uint64_t mark;
	size_t i;

	sg_active(t, &s, 1);
	ci = cred(t, &s);
	assert_int_equal(hsm_key_find(t->pool, ci.key.id, &ki), 0);
	/* Refused while a credential lives; nothing is deleted. */
	mark = nev(t);
	assert_int_equal(ADMIN(t, HK_IPC_SIGNER_ERASE, ADM,
			     B(t, "ss", 1, s.sid, 2, "data subject request")),
	    409);
	expect_events(t, mark, 1, HK_EV_ADMIN_REQUEST);
	for (i = 0; i < 4; i++)
		assert_int_equal(vault(t, prefixes[i], s.sid, &v), 0);
	/* Destroyed under dual control: the key leaves the HSM (END-3). */
	assert_int_equal(ADMIN(t, HK_IPC_CREDENTIAL_DESTROY, ADM,
			     B(t, "ss", 1, s.cid, 2, "termination")), 200);
	ans_str(t, 1, id, sizeof(id));
	assert_int_equal(cred(t, &s).state, HK_CRED_ACTIVE);
	assert_int_equal(ADMIN(t, HK_IPC_APPROVAL_DECIDE, ADM,
			     B(t, "ss", 1, id, 2, "approve")), 403);
	mark = nev(t);
	assert_int_equal(ADMIN(t, HK_IPC_APPROVAL_DECIDE, SO,
			     B(t, "ss", 1, id, 2, "approve")), 200);
	expect_events(t, mark, 3, HK_EV_APPROVAL_GRANTED, HK_EV_KEY_DESTROYED,
	    HK_EV_ADMIN_REQUEST);
	assert_int_equal(cred(t, &s).state, HK_CRED_DESTROYED);
	assert_int_equal(hsm_key_find(t->pool, ci.key.id, &ki),
	    HK_ENOTFOUND);

	mark = nev(t);
	assert_int_equal(ADMIN(t, HK_IPC_SIGNER_ERASE, ADM,
			     B(t, "ss", 1, s.sid, 2, "data subject request")),
	    200);
	expect_events(t, mark, 2, HK_EV_SIGNER_ERASED, HK_EV_ADMIN_REQUEST);
	for (i = 0; i < 4; i++)
		assert_int_equal(vault(t, prefixes[i], s.sid, &v),
		    HK_ENOTFOUND);
	/* The signer stays, without attributes; they cannot come back. */
	assert_int_equal(ADMIN(t, HK_IPC_SIGNER_GET, ADM, B(t, "s", 1, s.sid)),
	    200);
	assert_true(ans_bool(t, 7));
	assert_false(ans_has(t, 3));
	assert_false(ans_has(t, 5));
	assert_false(contains_str(t->resp.p, t->resp.len, NAME));
	assert_int_equal(ADMIN(t, HK_IPC_CREDENTIAL_GET, ADM,
			     B(t, "s", 1, s.cid)), 200);
	assert_false(contains_str(t->resp.p, t->resp.len, "BEGIN"));
	assert_int_equal(ADMIN(t, HK_IPC_SIGNER_ERASE, ADM,
			     B(t, "ss", 1, s.sid, 2, "again")), 409);
	assert_int_equal(ADMIN(t, HK_IPC_CREDENTIAL_CREATE, ADM,
			     B(t, "ssu", 1, s.sid, 2, "p256", 3, 1)), 409);
	/* The signer can no longer log in. */
	assert_int_equal(SIGNER(t, HK_IPC_SIGNER_NONCE, s.auth, NULL), 401);
	hk_buf_release(&v);
	t_restart(t);
}

/* ---- END-2: nonces ------------------------------------------------------------ */

static void
test_END2_nonce_is_single_use_bound_and_expires(void **state)
{
	struct t *t = *state;
	struct signer a, b;
	uint8_t before[32], after[32];
	char n[33], nb[33];
	uint64_t mark;

	sg_active(t, &a, 1);
	sg_active(t, &b, 1);
	/* Used up by a request that fails (wrong PIN). */
	sg_nonce(t, &a, n);
	assert_int_equal(sg_end(t, &a, HK_IPC_SIGNER_SUSPEND, a.cid, n,
			     WRONG_PIN, NULL, NULL), 401);
	digest(t, before);
	mark = nev(t);
	assert_int_equal(sg_end(t, &a, HK_IPC_SIGNER_SUSPEND, a.cid, n, PIN,
			     NULL, NULL), 410);
	expect(t, 410, "gone");
	/* Another signer's nonce. */
	sg_nonce(t, &b, nb);
	assert_int_equal(sg_end(t, &a, HK_IPC_SIGNER_SUSPEND, a.cid, nb, PIN,
			     NULL, NULL), 410);
	/* Unknown and malformed nonces. */
	assert_int_equal(sg_end(t, &a, HK_IPC_SIGNER_SUSPEND, a.cid,
			     "00000000000000000000000000000000", PIN, NULL,
			     NULL), 410);
	assert_int_equal(sg_end(t, &a, HK_IPC_SIGNER_DESTROY, a.cid, "", PIN,
			     NULL, "revocation"), 410);
	/* Expired: 61 seconds later by the executor's clock. */
	sg_nonce(t, &a, n);
	atomic_store(&clock_skew, 61);
	assert_int_equal(sg_end(t, &a, HK_IPC_SIGNER_SUSPEND, a.cid, n, PIN,
			     NULL, NULL), 410);
	assert_int_equal(sg_end(t, &a, HK_IPC_SIGNER_DESTROY, a.cid, n, PIN,
			     NULL, "revocation"), 410);
	assert_int_equal(nev(t), mark);
	digest(t, after);
	assert_memory_equal(before, after, 32);
	assert_int_equal(cred(t, &a).state, HK_CRED_ACTIVE);

	/* At 59 seconds it still works, once. */
	sg_nonce(t, &a, n);
	atomic_store(&clock_skew, 61 + 59);
	assert_int_equal(sg_end(t, &a, HK_IPC_SIGNER_SUSPEND, a.cid, n, PIN,
			     NULL, NULL), 200);
	assert_int_equal(cred(t, &a).state, HK_CRED_SUSPENDED);
	/* And a signer cannot reach another signer's credential. */
	sg_nonce(t, &a, n);
	assert_int_equal(sg_end(t, &a, HK_IPC_SIGNER_SUSPEND, b.cid, n, PIN,
			     NULL, NULL), 404);
	assert_int_equal(cred(t, &b).state, HK_CRED_ACTIVE);
}

/* ---- ACT-9: lockout --------------------------------------------------------- */

static uint64_t
denials_since(const struct t *t, uint64_t from, uint64_t *locks)
{
	struct hk_buf buf = HK_BUF_INIT;
	struct hk_event ev;
	uint64_t n = 0, seq;

	*locks = 0;
	for (seq = from; seq < nev(t); seq++) {
		ev_at(t, seq, &buf, &ev);
		n += ev.type == HK_EV_AUTH_DENIED;
		*locks += ev.type == HK_EV_CREDENTIAL_LOCKED;
	}
	hk_buf_release(&buf);
	return n;
}

/* Every kind of failed factor counts: a wrong PIN at CSR confirmation, at
 * suspension and at destruction, a wrong OTP and a replayed one. The
 * fifth locks (policy 5); a locked credential refuses even the right
 * factors (423) without counting; the unlock (dual control) and every
 * success start the count again. */
static void
test_ACT9_every_failure_kind_counts_and_locks(void **state)
{
	struct t *t = *state;
	struct signer s;
	struct hk_buf buf = HK_BUF_INIT;
	struct hk_event ev;
	char n[33], code[HK_TOTP_CODE_LEN], bad[HK_TOTP_CODE_LEN],
	    id[HK_STATE_ID_MAX];
	uint64_t mark, locks;

	sg_active(t, &s, 2);
	assert_int_equal(cred(t, &s).failures, 0);
	/* A success with an OTP (the step is recorded), then resumed. */
	sg_nonce(t, &s, n);
	otp(&s, code);
	assert_int_equal(sg_end(t, &s, HK_IPC_SIGNER_SUSPEND, s.cid, n, PIN,
			     code, NULL), 200);
	assert_int_equal(ADMIN(t, HK_IPC_CREDENTIAL_RESUME, ADM,
			     B(t, "s", 1, s.cid)), 200);

	mark = nev(t);
	/* 1: the same OTP again (replay). */
	sg_nonce(t, &s, n);
	assert_int_equal(sg_end(t, &s, HK_IPC_SIGNER_SUSPEND, s.cid, n, PIN,
			     code, NULL), 401);
	assert_int_equal(cred(t, &s).failures, 1);
	/* 2: a wrong OTP. */
	atomic_store(&clock_skew, 30);
	otp(&s, code);
	otp_wrong(code, bad);
	sg_nonce(t, &s, n);
	assert_int_equal(sg_end(t, &s, HK_IPC_SIGNER_SUSPEND, s.cid, n, PIN,
			     bad, NULL), 401);
	assert_int_equal(cred(t, &s).failures, 2);
	/* 3: a wrong PIN at suspension, with the right OTP. */
	sg_nonce(t, &s, n);
	assert_int_equal(sg_end(t, &s, HK_IPC_SIGNER_SUSPEND, s.cid, n,
			     WRONG_PIN, code, NULL), 401);
	assert_int_equal(cred(t, &s).failures, 3);
	/* 4: a wrong PIN at destruction. */
	sg_nonce(t, &s, n);
	assert_int_equal(sg_end(t, &s, HK_IPC_SIGNER_DESTROY, s.cid, n,
			     WRONG_PIN, code, "revocation"), 401);
	assert_int_equal(cred(t, &s).failures, 4);
	assert_false(cred(t, &s).locked);
	/* 5: a wrong PIN at CSR confirmation (of a renewal). */
	assert_int_equal(ADMIN(t, HK_IPC_CREDENTIAL_RENEW, ADM,
			     B(t, "s", 1, s.cid)), 200);
	assert_int_equal(ADMIN(t, HK_IPC_CREDENTIAL_CSR, ADM,
			     B(t, "s", 1, s.cid)), 200);
	assert_int_equal(SIGNER(t, HK_IPC_SIGNER_CSR_CONFIRM, s.auth,
			     B(t, "ss", 1, s.cid, 2, WRONG_PIN)), 401);
	expect(t, 401, "unauthorized");
	assert_int_equal(cred(t, &s).failures, 5);
	assert_true(cred(t, &s).locked);
	assert_int_equal(denials_since(t, mark, &locks), 5);
	assert_int_equal(locks, 1);
	ev_at(t, nev(t) - 1, &buf, &ev);
	assert_int_equal(ev.type, HK_EV_CREDENTIAL_LOCKED);
	assert_int_equal(ev.actor_kind, HK_ACTOR_SYSTEM);
	assert_int_equal(evb_uint(&ev, HK_BODY_LOCK_FAILURES), 5);

	/* Locked: the right factors are refused and nothing is counted. */
	mark = nev(t);
	assert_int_equal(SIGNER(t, HK_IPC_SIGNER_CSR_CONFIRM, s.auth,
			     B(t, "ss", 1, s.cid, 2, PIN)), 423);
	expect(t, 423, "locked");
	sg_nonce(t, &s, n);
	assert_int_equal(sg_end(t, &s, HK_IPC_SIGNER_SUSPEND, s.cid, n, PIN,
			     code, NULL), 423);
	sg_nonce(t, &s, n);
	assert_int_equal(sg_end(t, &s, HK_IPC_SIGNER_DESTROY, s.cid, n, PIN,
			     code, "revocation"), 423);
	assert_int_equal(nev(t), mark);
	assert_int_equal(cred(t, &s).state, HK_CRED_ACTIVE);

	/* Unlock under dual control resets the count. */
	assert_int_equal(ADMIN(t, HK_IPC_CREDENTIAL_UNLOCK, ADM,
			     B(t, "s", 1, s.cid)), 200);
	ans_str(t, 1, id, sizeof(id));
	assert_true(cred(t, &s).locked);
	assert_int_equal(ADMIN(t, HK_IPC_APPROVAL_DECIDE, SO,
			     B(t, "ss", 1, id, 2, "approve")), 200);
	assert_false(cred(t, &s).locked);
	assert_int_equal(cred(t, &s).failures, 0);
	assert_int_equal(ADMIN(t, HK_IPC_CREDENTIAL_UNLOCK, ADM,
			     B(t, "s", 1, s.cid)), 409);

	/* Four failures, a success (CSR confirmation), four failures: no
	 * lock. */
	for (int i = 0; i < 4; i++) {
		sg_nonce(t, &s, n);
		assert_int_equal(sg_end(t, &s, HK_IPC_SIGNER_SUSPEND, s.cid,
				     n, WRONG_PIN, code, NULL), 401);
	}
	assert_int_equal(cred(t, &s).failures, 4);
	assert_int_equal(SIGNER(t, HK_IPC_SIGNER_CSR_CONFIRM, s.auth,
			     B(t, "ss", 1, s.cid, 2, PIN)), 200);
	assert_int_equal(cred(t, &s).failures, 0);
	for (int i = 0; i < 4; i++) {
		sg_nonce(t, &s, n);
		assert_int_equal(sg_end(t, &s, HK_IPC_SIGNER_SUSPEND, s.cid,
				     n, WRONG_PIN, code, NULL), 401);
	}
	assert_false(cred(t, &s).locked);
	/* A success with an OTP resets it too. */
	sg_nonce(t, &s, n);
	assert_int_equal(sg_end(t, &s, HK_IPC_SIGNER_SUSPEND, s.cid, n, PIN,
			     code, NULL), 200);
	assert_int_equal(cred(t, &s).failures, 0);
	assert_false(cred(t, &s).locked);
	hk_buf_release(&buf);
	t_restart(t);
	assert_int_equal(cred(t, &s).failures, 0);
}

/* Level 1 (PIN only): a successful suspension by the signer is a success
 * like any other and ends the run of failures. */
static void
test_ACT9_level1_success_resets_the_count(void **state)
{
	struct t *t = *state;
	struct signer s;
	char n[33];

	t->cfg.lockout_failures = 3;
	sg_active(t, &s, 1);
	for (int i = 0; i < 2; i++) {
		sg_nonce(t, &s, n);
		assert_int_equal(sg_end(t, &s, HK_IPC_SIGNER_SUSPEND, s.cid, n,
				     WRONG_PIN, NULL, NULL), 401);
	}
	assert_int_equal(cred(t, &s).failures, 2);
	sg_nonce(t, &s, n);
	assert_int_equal(sg_end(t, &s, HK_IPC_SIGNER_SUSPEND, s.cid, n, PIN,
			     NULL, NULL), 200);
	assert_int_equal(cred(t, &s).failures, 0);
	assert_int_equal(ADMIN(t, HK_IPC_CREDENTIAL_RESUME, ADM,
			     B(t, "s", 1, s.cid)), 200);
	sg_nonce(t, &s, n);
	assert_int_equal(sg_end(t, &s, HK_IPC_SIGNER_SUSPEND, s.cid, n,
			     WRONG_PIN, NULL, NULL), 401);
	assert_false(cred(t, &s).locked);
	assert_int_equal(cred(t, &s).failures, 1);
	/* And the lock still comes at three in a row. */
	for (int i = 0; i < 2; i++) {
		sg_nonce(t, &s, n);
		assert_int_equal(sg_end(t, &s, HK_IPC_SIGNER_SUSPEND, s.cid, n,
				     WRONG_PIN, NULL, NULL), 401);
	}
	assert_true(cred(t, &s).locked);
	t_restart(t);
	assert_true(cred(t, &s).locked);
}

/* Two unlocks asked for the same lock: the first approval unlocks; the
 * second no longer applies and is not answered as a success. */
static void
test_ACT9_second_unlock_approval_is_a_conflict(void **state)
{
	struct t *t = *state;
	struct signer s;
	struct hk_buf buf = HK_BUF_INIT;
	struct hk_event ev;
	char n[33], a1[HK_STATE_ID_MAX], a2[HK_STATE_ID_MAX];
	uint64_t mark, seq;

	t->cfg.lockout_failures = 1;
	sg_active(t, &s, 1);
	sg_nonce(t, &s, n);
	assert_int_equal(sg_end(t, &s, HK_IPC_SIGNER_SUSPEND, s.cid, n,
			     WRONG_PIN, NULL, NULL), 401);
	assert_true(cred(t, &s).locked);
	assert_int_equal(ADMIN(t, HK_IPC_CREDENTIAL_UNLOCK, ADM,
			     B(t, "s", 1, s.cid)), 200);
	ans_str(t, 1, a1, sizeof(a1));
	assert_int_equal(ADMIN(t, HK_IPC_CREDENTIAL_UNLOCK, SO,
			     B(t, "s", 1, s.cid)), 200);
	ans_str(t, 1, a2, sizeof(a2));
	/* The security officer asked for a2: only another may approve. */
	assert_int_equal(ADMIN(t, HK_IPC_APPROVAL_DECIDE, SO,
			     B(t, "ss", 1, a2, 2, "approve")), 403);
	assert_int_equal(ADMIN(t, HK_IPC_APPROVAL_DECIDE, SO,
			     B(t, "ss", 1, a1, 2, "approve")), 200);
	assert_false(cred(t, &s).locked);
	t_add_user(t, SO2, "security_officer");
	mark = nev(t);
	assert_int_equal(ADMIN(t, HK_IPC_APPROVAL_DECIDE, SO2,
			     B(t, "ss", 1, a2, 2, "approve")), 409);
	expect(t, 409, "conflict");
	for (seq = mark; seq < nev(t); seq++) {
		ev_at(t, seq, &buf, &ev);
		assert_int_not_equal(ev.type, HK_EV_CREDENTIAL_UNLOCKED);
	}
	check_admin_record(t, nev(t) - 1, SO2, "approvals.decide", 409);
	assert_false(cred(t, &s).locked);
	hk_buf_release(&buf);
	t_restart(t);
}

/* ---- OPS-6, SIG-3: a ledger that stops committing ------------------------- */

/* When commits fail, the ledger fails closed: every request that would
 * write answers 503, and every admin request too (it cannot be recorded,
 * OPS-6); nothing is answered as a success and nothing happened: after a
 * restart the enrollment code still works and the state is the one
 * before the failure. */
static void
test_OPS6_failing_ledger_answers_503_and_nothing_succeeds(void **state)
{
	struct t *t = *state;
	struct signer s, e;
	uint8_t before[32], after[32];
	uint64_t mark, signers, creds, signers0, creds0;
	unsigned st;
	size_t i;
	char n[33];

	sg_active(t, &s, 1);
	sg_register(t, &e);
	sg_credential(t, &e, "p256", 1);
	hk_state_counts(t->st, &signers0, &creds0);
	digest(t, before);
	mark = nev(t);
	atomic_store(&t->fail_commits, true);

	assert_int_equal(ADMIN(t, HK_IPC_SIGNER_REGISTER, ADM,
			     B(t, "sssss", 1, "natural", 2, "Ledger Down", 3,
				 "", 4, "x@example.test", 5, "x")), 503);
	expect(t, 503, "unavailable");
	assert_non_null(ledger_failure(t->led.l));
	/* Every admin operation, allowed or not. */
	for (i = 0; i < NROLE; i++) {
		st = ADMIN(t, role_table[i].type, ADM, B(t, "s", 1, s.cid));
		if (st != 503)
			fail_msg("%s answered %u", role_table[i].op, st);
		st = ADMIN(t, role_table[i].type, STRANGER, NULL);
		assert_int_equal(st, 503);
	}
	/* The signer's writes. */
	assert_int_equal(sg_enroll(t, &e), 503);
	sg_nonce(t, &s, n);
	assert_int_equal(sg_end(t, &s, HK_IPC_SIGNER_SUSPEND, s.cid, n, PIN,
			     NULL, NULL), 503);
	sg_nonce(t, &s, n);
	assert_int_equal(sg_end(t, &s, HK_IPC_SIGNER_DESTROY, s.cid, n, PIN,
			     NULL, "termination"), 503);
	/* A wrong PIN is still refused (its record is lost with the
	 * ledger). */
	sg_nonce(t, &s, n);
	assert_int_equal(sg_end(t, &s, HK_IPC_SIGNER_SUSPEND, s.cid, n,
			     WRONG_PIN, NULL, NULL), 401);
	assert_int_equal(nev(t), mark);
	digest(t, after);
	assert_memory_equal(before, after, 32);
	hk_state_counts(t->st, &signers, &creds);
	assert_int_equal(signers, signers0);
	assert_int_equal(creds, creds0);
	assert_int_equal(cred(t, &s).state, HK_CRED_ACTIVE);

	/* Restart with a working ledger: nothing of the above happened. */
	atomic_store(&t->fail_commits, false);
	t_restart(t);
	assert_null(ledger_failure(t->led.l));
	assert_int_equal(nev(t), mark);
	assert_false(cred(t, &e).enrolled);
	assert_int_equal(sg_enroll(t, &e), 200);
	assert_true(cred(t, &e).enrolled);
}

/* ---- ACT-3: malformed bodies ------------------------------------------------ */

/* The core treats the front as untrusted input: wrong types, missing
 * keys and bodies that are not maps are 400 (or, for an id that is not an
 * id, 404), change nothing, and an admin request leaves only its
 * admin.request record. */
static void
test_ACT3_malformed_bodies_are_refused_without_effect(void **state)
{
	struct t *t = *state;
	struct signer s;
	uint8_t before[32], after[32];
	char aid[HK_STATE_ID_MAX], big[200];
	uint64_t mark;
	size_t i;
	struct {
		uint64_t type;
		int who;
		const struct hk_buf *body;
		unsigned status;
	} c;
	static const uint8_t not_a_map[] = {0x91, 0x01};  /* [1] */
	static const uint8_t truncated[] = {0x81, 0x01};  /* {1: */
	static const uint8_t garbage[] = {0xc1};          /* never used */
	static const uint8_t str_key[] = {0x81, 0xa1, 'a', 0x01}; /* {"a":1} */

	sg_active(t, &s, 2);
	assert_int_equal(ADMIN(t, HK_IPC_CREDENTIAL_UNLOCK, SO,
			     B(t, "s", 1, s.cid)), 409);
	/* A pending approval to decide. */
	assert_int_equal(ADMIN(t, HK_IPC_USERS_ADD, ADM,
			     B(t, "ss", 1, t->u[AUD].pem, 2, "auditor")), 200);
	ans_str(t, 1, aid, sizeof(aid));
	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';

#define CASE(ty, w, b, st)                                                  \
	do {                                                                \
		c.type = (ty);                                              \
		c.who = (w);                                                \
		digest(t, before);                                          \
		mark = nev(t);                                              \
		c.body = (b);                                               \
		c.status = (st);                                            \
		if (ADMIN(t, c.type, c.who, c.body) != c.status)            \
			fail_msg("line %d: type %" PRIu64 " answered %u",   \
			    __LINE__, c.type, t->status);                   \
		expect_events(t, mark, 1, HK_EV_ADMIN_REQUEST);             \
		check_admin_record(t, mark, c.who,                          \
		    op_name(c.type), c.status);                             \
		digest(t, after);                                           \
		assert_memory_equal(before, after, 32);                     \
	} while (0)

	for (i = 0; i < NROLE; i++) {
		int who = (role_table[i].roles & RA) ? ADM : SO;
		bool fields = role_table[i].type != HK_IPC_ADMIN_STATUS &&
		    role_table[i].type != HK_IPC_USERS_LIST &&
		    role_table[i].type != HK_IPC_APPROVALS_LIST;
		/* signers.get answers 404 for anything not a signer id. */
		unsigned bad = role_table[i].type == HK_IPC_SIGNER_GET ? 404 :
									 400;

		/* The auditor's views check their maps in
		 * core/audit_api.c: tests/unit/core/test_audit_api.c. */
		if (!fields || (role_table[i].roles & RU) != 0)
			continue;
		CASE(role_table[i].type, who, raw(t, not_a_map,
		    sizeof(not_a_map)), bad);
		CASE(role_table[i].type, who, raw(t, truncated,
		    sizeof(truncated)), bad);
		CASE(role_table[i].type, who, raw(t, garbage, sizeof(garbage)),
		    bad);
		CASE(role_table[i].type, who, raw(t, str_key, sizeof(str_key)),
		    bad);
		CASE(role_table[i].type, who, B(t, ""), bad);
		CASE(role_table[i].type, who, B(t, "u", 1, 7), bad);
		CASE(role_table[i].type, who, B(t, "b", 1, s.cid), bad);
		CASE(role_table[i].type, who, B(t, "n", 1), bad);
		CASE(role_table[i].type, who, B(t, "s", 1, big), bad);
	}
	/* Wrong types and missing keys beside a good id. */
	CASE(HK_IPC_USERS_ADD, ADM, B(t, "s", 1, t->u[OPR].pem), 400);
	CASE(HK_IPC_USERS_ADD, ADM, B(t, "su", 1, t->u[OPR].pem, 2, 1), 400);
	CASE(HK_IPC_USERS_ADD, ADM, B(t, "bs", 1, t->u[OPR].pem, 2,
	    "operator"), 400);
	CASE(HK_IPC_USERS_ADD, ADM, B(t, "ss", 1, t->u[OPR].pem, 2, "root"),
	    400);
	CASE(HK_IPC_USERS_ADD, ADM, B(t, "ss", 1, "-----BEGIN CERTIFICATE-----"
	    "\nAAAA\n-----END CERTIFICATE-----\n", 2, "operator"), 400);
	CASE(HK_IPC_USERS_REMOVE, SO, B(t, "b", 1, t->u[ADM].hex), 400);
	CASE(HK_IPC_USERS_REMOVE, SO, B(t, "s", 1, "zz"), 400);
	CASE(HK_IPC_APPROVAL_DECIDE, SO, B(t, "s", 1, aid), 400);
	CASE(HK_IPC_APPROVAL_DECIDE, SO, B(t, "ss", 1, aid, 2, "maybe"), 400);
	CASE(HK_IPC_APPROVAL_DECIDE, SO, B(t, "st", 1, aid, 2, 1), 400);
	CASE(HK_IPC_APPROVAL_DECIDE, SO, B(t, "ss", 1, "a-zz", 2, "reject"),
	    400);
	CASE(HK_IPC_SIGNER_REGISTER, ADM, B(t, "ss", 1, "natural", 2, NAME),
	    400);
	CASE(HK_IPC_SIGNER_REGISTER, ADM, B(t, "sus", 1, "natural", 2, 5, 5,
	    PROOF), 400);
	CASE(HK_IPC_SIGNER_REGISTER, ADM, B(t, "sbs", 1, "natural", 2, NAME,
	    5, PROOF), 400);
	CASE(HK_IPC_SIGNER_REGISTER, ADM, B(t, "uss", 1, 1, 2, NAME, 5,
	    PROOF), 400);
	CASE(HK_IPC_SIGNER_REGISTER, ADM, B(t, "sss", 1, "alien", 2, NAME, 5,
	    PROOF), 400);
	CASE(HK_IPC_SIGNER_REGISTER, ADM, B(t, "sss", 1, "legal", 2, NAME, 5,
	    PROOF), 400);
	CASE(HK_IPC_SIGNER_REGISTER, ADM, B(t, "ssss", 1, "legal", 2, NAME, 3,
	    "", 5, PROOF), 400);
	CASE(HK_IPC_SIGNER_REGISTER, ADM, B(t, "sssus", 1, "natural", 2, NAME,
	    3, ORG, 4, 7, 5, PROOF), 400);
	CASE(HK_IPC_SIGNER_REGISTER, ADM, B(t, "ssuss", 1, "natural", 2, NAME,
	    3, 7, 4, EMAIL, 5, PROOF), 400);
	CASE(HK_IPC_SIGNER_ERASE, ADM, B(t, "s", 1, s.sid), 400);
	CASE(HK_IPC_SIGNER_ERASE, ADM, B(t, "su", 1, s.sid, 2, 1), 400);
	CASE(HK_IPC_SIGNER_ERASE, ADM, B(t, "ss", 1, s.sid, 2, ""), 400);
	CASE(HK_IPC_CREDENTIAL_CREATE, ADM, B(t, "ss", 1, s.sid, 2, "p256"),
	    400);
	CASE(HK_IPC_CREDENTIAL_CREATE, ADM, B(t, "sss", 1, s.sid, 2, "p256", 3,
	    "2"), 400);
	CASE(HK_IPC_CREDENTIAL_CREATE, ADM, B(t, "ssi", 1, s.sid, 2, "p256", 3,
	    -2), 400);
	CASE(HK_IPC_CREDENTIAL_CREATE, ADM, B(t, "ssu", 1, s.sid, 2, "p256", 3,
	    3), 400);
	CASE(HK_IPC_CREDENTIAL_CREATE, ADM, B(t, "ssu", 1, s.sid, 2, "aes256",
	    3, 1), 400);
	CASE(HK_IPC_CREDENTIAL_CREATE, ADM, B(t, "suu", 1, s.sid, 2, 1, 3, 1),
	    400);
	CASE(HK_IPC_CREDENTIAL_CERTIFICATE, ADM, B(t, "s", 1, s.cid), 400);
	CASE(HK_IPC_CREDENTIAL_CERTIFICATE, ADM, B(t, "su", 1, s.cid, 2, 1),
	    400);
	CASE(HK_IPC_CREDENTIAL_SUSPEND, ADM, B(t, "s", 1, s.cid), 400);
	CASE(HK_IPC_CREDENTIAL_SUSPEND, ADM, B(t, "st", 1, s.cid, 2, 1), 400);
	CASE(HK_IPC_CREDENTIAL_DESTROY, ADM, B(t, "s", 1, s.cid), 400);
	CASE(HK_IPC_CREDENTIAL_DESTROY, ADM, B(t, "ss", 1, s.cid, 2,
	    "expired"), 400);
	CASE(HK_IPC_CREDENTIAL_DESTROY, ADM, B(t, "su", 1, s.cid, 2, 1), 400);
#undef CASE

	/* The signer routes: 400 (or 401, 410 where the check comes first)
	 * and no event at all. */
	digest(t, before);
	mark = nev(t);
	{
		struct {
			uint64_t type;
			const struct hk_buf *body;
			unsigned status;
		} sc;
		char nonce[33];

#define SCASE(ty, b, st)                                                    \
	do {                                                                \
		sc.type = (ty);                                             \
		sc.body = (b);                                              \
		sc.status = (st);                                           \
		if (SIGNER(t, sc.type, s.auth, sc.body) != sc.status)       \
			fail_msg("line %d: type %" PRIu64 " answered %u",   \
			    __LINE__, sc.type, t->status);                  \
	} while (0)
		SCASE(HK_IPC_SIGNER_ENROLL, raw(t, not_a_map,
		    sizeof(not_a_map)), 400);
		SCASE(HK_IPC_SIGNER_ENROLL, B(t, ""), 400);
		SCASE(HK_IPC_SIGNER_ENROLL, B(t, "ss", 1, "X", 2, PASSWORD),
		    400);
		SCASE(HK_IPC_SIGNER_ENROLL, B(t, "ssu", 1, "X", 2, PASSWORD, 3,
		    246810), 400);
		SCASE(HK_IPC_SIGNER_ENROLL, B(t, "bss", 1, "X", 2, PASSWORD, 3,
		    PIN), 400);
		SCASE(HK_IPC_SIGNER_CSR_GET, B(t, "u", 1, 1), 404);
		SCASE(HK_IPC_SIGNER_CSR_GET, raw(t, garbage, sizeof(garbage)),
		    404);
		SCASE(HK_IPC_SIGNER_CSR_CONFIRM, B(t, "s", 1, s.cid), 400);
		SCASE(HK_IPC_SIGNER_CSR_CONFIRM, B(t, "su", 1, s.cid, 2,
		    246810), 400);
		SCASE(HK_IPC_SIGNER_CSR_CONFIRM, B(t, "u", 1, 1), 404);
		SCASE(HK_IPC_SIGNER_SUSPEND, B(t, "s", 1, s.cid), 410);
		SCASE(HK_IPC_SIGNER_SUSPEND, B(t, "su", 1, s.cid, 2, 7), 410);
		sg_nonce(t, &s, nonce);
		SCASE(HK_IPC_SIGNER_SUSPEND, B(t, "ssu", 1, s.cid, 2, nonce, 3,
		    246810), 400);
		sg_nonce(t, &s, nonce);
		SCASE(HK_IPC_SIGNER_SUSPEND, B(t, "ss", 1, s.cid, 2, nonce),
		    400);
		/* Level 2 needs the OTP. */
		sg_nonce(t, &s, nonce);
		SCASE(HK_IPC_SIGNER_SUSPEND, B(t, "sss", 1, s.cid, 2, nonce, 3,
		    PIN), 400);
		sg_nonce(t, &s, nonce);
		SCASE(HK_IPC_SIGNER_SUSPEND, B(t, "sssu", 1, s.cid, 2, nonce,
		    3, PIN, 4, 123456), 400);
		sg_nonce(t, &s, nonce);
		SCASE(HK_IPC_SIGNER_DESTROY, B(t, "ssss", 1, s.cid, 2, nonce,
		    3, PIN, 4, "123456"), 400);
		sg_nonce(t, &s, nonce);
		SCASE(HK_IPC_SIGNER_DESTROY, B(t, "sssss", 1, s.cid, 2, nonce,
		    3, PIN, 4, "123456", 5, "renewal"), 400);
		sg_nonce(t, &s, nonce);
		SCASE(HK_IPC_SIGNER_DESTROY, B(t, "ssssu", 1, s.cid, 2, nonce,
		    3, PIN, 4, "123456", 5, 1), 400);
		/* Broken authorization headers. */
		{
			static const char *const auths[] = {"", "Basic",
			    "Basic ", "Basic !!!!", "Bearer abc",
			    "basic czotMDAwMDAwMDAwMDAwMDAwMDpwYXNzd29yZA=="};

			for (i = 0; i < sizeof(auths) / sizeof(auths[0]); i++)
				assert_int_equal(req(t, HK_IPC_SIGNER_NONCE,
						     HK_IPC_SIGNING, NOCERT,
						     auths[i], NULL), 401);
		}
#undef SCASE
	}
	assert_int_equal(nev(t), mark);
	digest(t, after);
	assert_memory_equal(before, after, 32);
	assert_int_equal(cred(t, &s).failures, 0);
	assert_int_equal(cred(t, &s).state, HK_CRED_ACTIVE);
}

/* auditor_refused(t, type, op, body): the auditor's well-formed request
 * ${type} is refused with 403 and changes nothing but its admin.request
 * record (OPS-6). */
static void
auditor_refused(struct t *t, uint64_t type, const char *op,
    const struct hk_buf *body)
{
	uint8_t before[32], after[32];
	struct hk_buf copy = HK_BUF_INIT;
	uint64_t mark = nev(t);

	print_message("# auditor asks %s\n", op);
	digest(t, before);
	assert_int_equal(hk_buf_put(&copy, body->p, body->len), 0);
	assert_int_equal(ADMIN(t, type, AUD, &copy), 403);
	expect(t, 403, "forbidden");
	assert_int_equal(nev(t), mark + 1);
	check_admin_record(t, mark, AUD, op, 403);
	digest(t, after);
	assert_memory_equal(before, after, 32);
	hk_buf_release(&copy);
}

/*
 * OPS-6 and the auditor API's "read-only by construction"
 * (docs/audit-api.md): an auditor identity is refused every admin
 * operation that changes state, each sent well formed (the same request
 * by a role that may do it then succeeds, shown for several), and nothing
 * changes but the admin.request record; the auditor's own views answer,
 * are recorded too and change no state.
 */
static void
test_OPS6_auditor_changes_nothing(void **state)
{
	static char chain[8192];
	struct t *t = *state;
	struct signer s, s2;
	uint8_t before[32], after[32];
	char approval[HK_STATE_ID_MAX], seq[24];
	uint64_t mark;

	t_add_user(t, AUD, "auditor");
	sg_active(t, &s, 1);
	sg_new(t, &s2, 1);
	/* A pending approval the auditor might try to decide. */
	assert_int_equal(ADMIN(t, HK_IPC_USERS_ADD, ADM,
			     B(t, "ss", 1, t->u[OPR].pem, 2, "operator")),
	    200);
	ans_str(t, 1, approval, sizeof(approval));
	cert_pem(t->ca.cert, chain, sizeof(chain));

	auditor_refused(t, HK_IPC_USERS_ADD, "users.add",
	    B(t, "ss", 1, t->u[STRANGER].pem, 2, "auditor"));
	auditor_refused(t, HK_IPC_USERS_REMOVE, "users.remove",
	    B(t, "s", 1, t->u[SO].hex));
	auditor_refused(t, HK_IPC_APPROVAL_DECIDE, "approvals.decide",
	    B(t, "ss", 1, approval, 2, "approve"));
	auditor_refused(t, HK_IPC_APPROVAL_DECIDE, "approvals.decide",
	    B(t, "ss", 1, approval, 2, "reject"));
	auditor_refused(t, HK_IPC_SIGNER_REGISTER, "signers.register",
	    B(t, "sssss", 1, "natural", 2, NAME, 3, ORG, 4, EMAIL, 5, PROOF));
	auditor_refused(t, HK_IPC_SIGNER_ERASE, "signers.erase",
	    B(t, "ss", 1, s2.sid, 2, "request of the signer"));
	auditor_refused(t, HK_IPC_CREDENTIAL_CREATE, "credentials.create",
	    B(t, "ssu", 1, s.sid, 2, "p256", 3, 1));
	auditor_refused(t, HK_IPC_CREDENTIAL_KEY, "credentials.key",
	    B(t, "s", 1, s2.cid));
	auditor_refused(t, HK_IPC_CREDENTIAL_CSR, "credentials.csr",
	    B(t, "s", 1, s.cid));
	auditor_refused(t, HK_IPC_CREDENTIAL_CERTIFICATE,
	    "credentials.certificate", B(t, "ss", 1, s.cid, 2, chain));
	auditor_refused(t, HK_IPC_CREDENTIAL_SUSPEND, "credentials.suspend",
	    B(t, "ss", 1, s.cid, 2, "lost token"));
	auditor_refused(t, HK_IPC_CREDENTIAL_RESUME, "credentials.resume",
	    B(t, "s", 1, s.cid));
	auditor_refused(t, HK_IPC_CREDENTIAL_DESTROY, "credentials.destroy",
	    B(t, "ss", 1, s.cid, 2, "revocation"));
	auditor_refused(t, HK_IPC_CREDENTIAL_UNLOCK, "credentials.unlock",
	    B(t, "s", 1, s.cid));
	auditor_refused(t, HK_IPC_CREDENTIAL_RENEW, "credentials.renew",
	    B(t, "s", 1, s.cid));
	/* Signer operations do not exist on the admin listener: 404 for
	 * anyone there, nothing recorded, nothing changed. */
	mark = nev(t);
	digest(t, before);
	assert_int_equal(ADMIN(t, HK_IPC_SIGNER_SUSPEND, AUD,
			     B(t, "sss", 1, s.cid, 2, "n", 3, PIN)),
	    404);
	assert_int_equal(nev(t), mark);
	digest(t, after);
	assert_memory_equal(before, after, 32);

	/* The same bodies were well formed: the roles that may, can. */
	assert_int_equal(ADMIN(t, HK_IPC_CREDENTIAL_SUSPEND, ADM,
			     B(t, "ss", 1, s.cid, 2, "lost token")),
	    200);
	assert_int_equal(cred(t, &s).state, HK_CRED_SUSPENDED);
	assert_int_equal(ADMIN(t, HK_IPC_CREDENTIAL_RESUME, ADM,
			     B(t, "s", 1, s.cid)),
	    200);
	assert_int_equal(ADMIN(t, HK_IPC_CREDENTIAL_KEY, ADM,
			     B(t, "s", 1, s2.cid)),
	    200);
	assert_int_equal(ADMIN(t, HK_IPC_APPROVAL_DECIDE, SO,
			     B(t, "ss", 1, approval, 2, "reject")),
	    200);

	/* The auditor's views: allowed, recorded, no state change. */
	snprintf(seq, sizeof(seq), "%d", 3);
	mark = nev(t);
	digest(t, before);
	assert_int_equal(ADMIN(t, HK_IPC_AUDIT_STATUS, AUD, NULL), 200);
	assert_int_equal(ans_uint(t, 2), mark);
	check_admin_record(t, mark, AUD, "audit.status", 200);
	assert_int_equal(ADMIN(t, HK_IPC_AUDIT_EVENTS, AUD,
			     B(t, "uu", 1, 0, 2, 2)),
	    200);
	assert_int_equal(ans_uint(t, 2), 2);
	check_admin_record(t, mark + 1, AUD, "audit.events", 200);
	assert_int_equal(ADMIN(t, HK_IPC_AUDIT_RECEIPT, AUD,
			     B(t, "s", 1, seq)),
	    200);
	check_admin_record(t, mark + 2, AUD, "audit.receipt", 200);
	assert_int_equal(ADMIN(t, HK_IPC_AUDIT_CONSISTENCY, AUD,
			     B(t, "u", 1, 2)),
	    200);
	check_admin_record(t, mark + 3, AUD, "audit.consistency", 200);
	assert_int_equal(ADMIN(t, HK_IPC_AUDIT_SIGNATURES, AUD,
			     B(t, "s", 1, "00ff")),
	    200);
	check_admin_record(t, mark + 4, AUD, "audit.signatures", 200);
	/* A bad view request: 400, recorded as refused. */
	assert_int_equal(ADMIN(t, HK_IPC_AUDIT_EVENTS, AUD,
			     B(t, "u", 2, 0)),
	    400);
	expect(t, 400, "invalid_request");
	check_admin_record(t, mark + 5, AUD, "audit.events", 400);
	assert_int_equal(nev(t), mark + 6);
	digest(t, after);
	assert_memory_equal(before, after, 32);
	/* Every other role is refused the views. */
	assert_int_equal(ADMIN(t, HK_IPC_AUDIT_STATUS, ADM, NULL), 403);
	assert_int_equal(ADMIN(t, HK_IPC_AUDIT_EVENTS, SO, NULL), 403);
	/* The console: the auditor is let in, an administrator is not;
	 * both recorded with the path asked for. */
	mark = nev(t);
	assert_int_equal(ADMIN(t, HK_IPC_CONSOLE, AUD,
			     B(t, "s", 1, "/console/app.js")),
	    200);
	check_admin_record(t, mark, AUD, "console", 200);
	assert_int_equal(ADMIN(t, HK_IPC_CONSOLE, ADM,
			     B(t, "s", 1, "/console/")),
	    403);
	check_admin_record(t, mark + 1, ADM, "console", 403);
	{
		struct hk_buf buf = HK_BUF_INIT;
		struct hk_event ev;
		char target[64];

		ev_at(t, mark, &buf, &ev);
		evb_str(&ev, HK_BODY_AR_TARGET, target, sizeof(target));
		assert_string_equal(target, "/console/app.js");
		hk_buf_release(&buf);
		ev_at(t, mark + 1, &buf, &ev);
		evb_str(&ev, HK_BODY_AR_TARGET, target, sizeof(target));
		assert_string_equal(target, "/console/");
		hk_buf_release(&buf);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(
		test_OPS1_role_table_at_the_executor, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_OPS1_listener_split, setup,
		teardown),
	    cmocka_unit_test_setup_teardown(
		test_OPS2_user_add_waits_for_another_security_officer, setup,
		teardown),
	    cmocka_unit_test_setup_teardown(
		test_OPS2_self_approval_is_refused, setup, teardown),
	    cmocka_unit_test_setup_teardown(
		test_OPS2_rejection_executes_nothing, setup, teardown),
	    cmocka_unit_test_setup_teardown(
		test_OPS2_last_security_officer_cannot_be_removed, setup,
		teardown),
	    cmocka_unit_test_setup_teardown(
		test_OPS2_pending_removals_cannot_remove_every_security_officer,
		setup, teardown),
	    cmocka_unit_test_setup_teardown(
		test_OPS2_expired_approval_is_refused, setup, teardown),
	    cmocka_unit_test_setup_teardown(
		test_REG2_enrollment_code_expires_under_a_one_second_policy,
		setup, teardown),
	    cmocka_unit_test_setup_teardown(
		test_REG2_enrollment_code_is_single_use, setup, teardown),
	    cmocka_unit_test_setup_teardown(
		test_REG1_vault_holds_hashes_and_sealed_personal_data, setup,
		teardown),
	    cmocka_unit_test_setup_teardown(
		test_REG1_erasure_deletes_key_salt_and_attributes, setup,
		teardown),
	    cmocka_unit_test_setup_teardown(
		test_END2_nonce_is_single_use_bound_and_expires, setup,
		teardown),
	    cmocka_unit_test_setup_teardown(
		test_ACT9_every_failure_kind_counts_and_locks, setup,
		teardown),
	    cmocka_unit_test_setup_teardown(
		test_ACT9_level1_success_resets_the_count, setup, teardown),
	    cmocka_unit_test_setup_teardown(
		test_ACT9_second_unlock_approval_is_a_conflict, setup,
		teardown),
	    cmocka_unit_test_setup_teardown(
		test_OPS6_failing_ledger_answers_503_and_nothing_succeeds,
		setup, teardown),
	    cmocka_unit_test_setup_teardown(
		test_ACT3_malformed_bodies_are_refused_without_effect, setup,
		teardown),
	    cmocka_unit_test_setup_teardown(test_OPS6_auditor_changes_nothing,
		setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
