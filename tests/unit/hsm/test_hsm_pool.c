/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Unit tests of hsm_pool against a throwaway SoftHSMv2 token and, for
 * fault injection, the hsm_shim module that wraps it: clear errors for a
 * missing module, token or wrong PIN; PIN file checks; the bounded wait
 * (HK_EBUSY) of the session pool and of the job queue; concurrent signing
 * from every session yielding only valid signatures; callbacks exactly
 * once; fork refusal; one login, fixed sessions and key handles resolved
 * once; every CKR_ code from C_Sign handled, with session retirement and
 * recovery after the module drops all sessions. NET-4, OPS-5, REG-3.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <pthread.h>
#include <semaphore.h>
#include <stdatomic.h>
#include <time.h>

#include <openssl/rand.h>

#include "hsm/hsm_ckr.h"
#include "hsm/hsm_internal.h"
#include "hsm_fixture.h"

/* Seconds of concurrent signing (functional, not a benchmark). */
#define CONCURRENT_SECONDS 3

static struct fx fx;

static int
setup(void **state)
{
	(void)state;
	fx_setup(&fx);
	return 0;
}

static int
teardown(void **state)
{
	(void)state;
	fx_teardown(&fx);
	return 0;
}

static struct hsm_pool *
pool_open(unsigned sessions, unsigned queue, unsigned wait_ms)
{
	struct hsm_opts o = fx_opts(&fx);
	struct hsm_pool *p = NULL;

	o.sessions = sessions;
	o.queue = queue;
	o.wait_ms = wait_ms;
	assert_int_equal(hsm_pool_new(&o, &p), 0);
	return p;
}

/* ---- clear errors ------------------------------------------------------ */

static void
test_NET4_missing_module_clear_error(void **state)
{
	struct hsm_opts o = fx_opts(&fx);
	struct hsm_pool *p = (void *)1;
	char bogus[PATH_MAX];
	const char *log;

	(void)state;
	o.module = "/nonexistent/libpkcs11.so";
	fx_capture_begin(&fx);
	assert_int_equal(hsm_pool_new(&o, &p), HK_ECONFIG);
	log = fx_capture_end(&fx);
	assert_null(p);
	assert_non_null(strstr(log, "cannot load PKCS#11 module "
				    "/nonexistent/libpkcs11.so: No such file"));
	/* A file that is not a shared library at all. */
	snprintf(bogus, sizeof(bogus), "%s/bogus.so", fx.dir);
	fx_write(bogus, "not a library\n", 0644);
	o.module = bogus;
	fx_capture_begin(&fx);
	assert_int_equal(hsm_pool_new(&o, &p), HK_ECONFIG);
	log = fx_capture_end(&fx);
	assert_non_null(strstr(log, "cannot load PKCS#11 module"));
	assert_non_null(strstr(log, bogus));
}

static void
test_NET4_missing_token_clear_error(void **state)
{
	struct hsm_opts o = fx_opts(&fx);
	struct hsm_pool *p = (void *)1;
	const char *log;

	(void)state;
	o.token = "no-such-token";
	fx_capture_begin(&fx);
	assert_int_equal(hsm_pool_new(&o, &p), HK_ENOTFOUND);
	log = fx_capture_end(&fx);
	assert_null(p);
	assert_non_null(strstr(log, "no token labelled \"no-such-token\""));
	/* It names the tokens that are there. */
	assert_non_null(strstr(log, "\"" FX_TOKEN "\""));
}

static void
test_NET4_wrong_pin_clear_error(void **state)
{
	struct hsm_opts o = fx_opts(&fx);
	struct hsm_pool *p = (void *)1;
	const char *log;

	(void)state;
	/* The other token: no pool is logged in to it, so the module
	 * really checks the PIN. */
	o.token = FX_OTHER;
	o.pin_file = fx.badpin;
	fx_capture_begin(&fx);
	assert_int_equal(hsm_pool_new(&o, &p), HK_EAUTH);
	log = fx_capture_end(&fx);
	assert_null(p);
	assert_non_null(strstr(log, "wrong PIN"));
	assert_non_null(strstr(log, "CKR_PIN_INCORRECT"));
	/* Neither PIN ever reaches the log. */
	assert_null(strstr(log, "999999"));
	assert_null(strstr(log, FX_PIN));
	/* The right PIN works on the same token. */
	o.pin_file = fx.pin;
	assert_int_equal(hsm_pool_new(&o, &p), 0);
	hsm_pool_free(p);
}

static void
test_NET4_pin_file_refused(void **state)
{
	struct hsm_opts o = fx_opts(&fx);
	struct hsm_pool *p = (void *)1;
	char path[PATH_MAX];
	const char *log;

	(void)state;
	snprintf(path, sizeof(path), "%s/pin-loose", fx.dir);
	o.pin_file = path;
	fx_write(path, FX_PIN, 0640);
	fx_capture_begin(&fx);
	assert_int_equal(hsm_pool_new(&o, &p), HK_EDENIED);
	log = fx_capture_end(&fx);
	assert_non_null(strstr(log, "mode 0640"));
	assert_null(strstr(log, FX_PIN));
	fx_write(path, FX_PIN, 0604);
	assert_int_equal(hsm_pool_new(&o, &p), HK_EDENIED);
	fx_write(path, FX_PIN, 0620);
	assert_int_equal(hsm_pool_new(&o, &p), HK_EDENIED);
	fx_write(path, "", 0600);
	assert_int_equal(hsm_pool_new(&o, &p), HK_EINVAL);
	fx_write(path, "\n", 0600);
	assert_int_equal(hsm_pool_new(&o, &p), HK_EINVAL);
	o.pin_file = fx.dir; /* a directory */
	assert_int_equal(hsm_pool_new(&o, &p), HK_EINVAL);
	snprintf(path, sizeof(path), "%s/no-such-pin", fx.dir);
	o.pin_file = path;
	assert_int_equal(hsm_pool_new(&o, &p), HK_EIO);
	assert_null(p);
	/* "1234\r\n" is the PIN 1234. */
	snprintf(path, sizeof(path), "%s/pin-crlf", fx.dir);
	fx_write(path, FX_PIN "\r\n", 0400);
	o.pin_file = path;
	assert_int_equal(hsm_pool_new(&o, &p), 0);
	hsm_pool_free(p);
}

/* ---- self-test --------------------------------------------------------- */

static void
count_check(void *arg, const char *check, int result)
{
	int *n = arg;

	print_message("# self-test %s: %s\n", check, hk_strerror(result));
	n[0]++;
	if (result != 0)
		n[1]++;
}

static void
test_NET4_selftest_full(void **state)
{
	struct hsm_pool *p = pool_open(2, 0, 0);
	int n[2] = {0, 0};

	(void)state;
	assert_int_equal(hsm_pool_selftest(p, true, count_check, n), 0);
	assert_int_equal(n[0], 7);
	assert_int_equal(n[1], 0);
	hsm_pool_free(p);
}

/* ---- bounded waits ------------------------------------------------------ */

static void
test_NET4_busy_when_sessions_saturated(void **state)
{
	struct hsm_pool *p = pool_open(1, 0, 200);
	struct hsm_keyinfo ki;
	struct hsm_session *held = NULL;
	uint8_t dg[32] = {1}, sig[HSM_SIG_MAX];
	size_t siglen;

	(void)state;
	assert_int_equal(hsm_key_generate(p, HSM_ALG_EC_P256, NULL,
			     HSM_KEYGEN_SESSION, &ki),
	    0);
	/* Hold the only session, as a long operation would. */
	assert_int_equal(hsm_session_get(p, NULL, &held), 0);
	assert_int_equal(hsm_key_sign(p, ki.id, HSM_SIG_ECDSA, HSM_HASH_SHA256,
			     dg, 32, sig, &siglen),
	    HK_EBUSY);
	assert_int_equal(hsm_pool_random(p, dg, 8), HK_EBUSY);
	hsm_session_put(p, held);
	assert_int_equal(hsm_key_sign(p, ki.id, HSM_SIG_ECDSA, HSM_HASH_SHA256,
			     dg, 32, sig, &siglen),
	    0);
	assert_int_equal(hsm_key_destroy(p, ki.id), 0);
	hsm_pool_free(p);
}

struct blocker {
	sem_t started, release;
	int status;
};

static void
block_work(struct hsm_pool *p, void *arg, int status)
{
	struct blocker *b = arg;

	(void)p;
	b->status = status;
	sem_post(&b->started);
	sem_wait(&b->release);
}

struct result {
	sem_t done;
	atomic_int calls;
	int r;
	uint8_t sig[HSM_SIG_MAX];
	size_t siglen;
};

static void
sign_done(void *arg, int r, const uint8_t *sig, size_t siglen)
{
	struct result *res = arg;

	res->r = r;
	res->siglen = siglen;
	if (r == 0)
		memcpy(res->sig, sig, siglen);
	atomic_fetch_add(&res->calls, 1);
	sem_post(&res->done);
}

static void
test_NET4_busy_when_queue_full(void **state)
{
	struct hsm_pool *p = pool_open(1, 1, 200);
	struct timespec past = {0, 300000000L};
	struct hsm_keyinfo ki;
	struct blocker b;
	struct result late, ok;
	uint8_t dg[32] = {2};

	(void)state;
	memset(&late, 0, sizeof(late));
	memset(&ok, 0, sizeof(ok));
	sem_init(&b.started, 0, 0);
	sem_init(&b.release, 0, 0);
	sem_init(&late.done, 0, 0);
	sem_init(&ok.done, 0, 0);
	assert_int_equal(hsm_key_generate(p, HSM_ALG_EC_P256, NULL,
			     HSM_KEYGEN_SESSION, &ki),
	    0);
	/* The only worker is busy ... */
	assert_int_equal(hsm_pool_submit(p, block_work, &b), 0);
	sem_wait(&b.started);
	assert_int_equal(b.status, 0);
	/* ... the only queue slot fills ... */
	assert_int_equal(hsm_key_sign_submit(p, ki.id, HSM_SIG_ECDSA,
			     HSM_HASH_SHA256, dg, 32, sign_done, &late),
	    0);
	/* ... so the next submission is refused at once (a full queue
	 * never blocks the caller, which may be an event loop), without
	 * its callback. */
	assert_int_equal(hsm_key_sign_submit(p, ki.id, HSM_SIG_ECDSA,
			     HSM_HASH_SHA256, dg, 32, sign_done, &ok),
	    HK_EBUSY);
	assert_int_equal(hsm_pool_submit(p, block_work, &b), HK_EBUSY);
	/* Let the queued job's wait bound (200 ms) pass while the worker
	 * is still busy: it then completes busy, once, without touching
	 * the module. */
	nanosleep(&past, NULL);
	sem_post(&b.release);
	sem_wait(&late.done);
	assert_int_equal(late.r, HK_EBUSY);
	assert_int_equal(atomic_load(&late.calls), 1);
	assert_int_equal(atomic_load(&ok.calls), 0);
	/* With the pool idle again, a job goes through and its signature
	 * verifies. */
	assert_int_equal(hsm_key_sign_submit(p, ki.id, HSM_SIG_ECDSA,
			     HSM_HASH_SHA256, dg, 32, sign_done, &ok),
	    0);
	sem_wait(&ok.done);
	assert_int_equal(ok.r, 0);
	assert_int_equal(fx_verify(ki.spki, ki.spki_len, HSM_SIG_ECDSA,
			     HSM_HASH_SHA256, dg, 32, ok.sig, ok.siglen),
	    1);
	assert_int_equal(hsm_key_destroy(p, ki.id), 0);
	hsm_pool_free(p);
}

/* ---- concurrency ------------------------------------------------------- */

struct conc {
	struct hsm_pool *p;
	struct hsm_keyinfo keys[3];
	atomic_bool stop;
	atomic_ulong ok, bad, busy, other, async_out;
};

static const enum hsm_scheme conc_sc[3] = {HSM_SIG_ECDSA, HSM_SIG_ED25519,
    HSM_SIG_RSA_PSS};

static void
conc_check(struct conc *c, int k, int r, const uint8_t *in, size_t inlen,
    const uint8_t *sig, size_t siglen)
{
	enum hsm_hash h = k == 1 ? HSM_HASH_NONE : HSM_HASH_SHA256;

	if (r == HK_EBUSY)
		atomic_fetch_add(&c->busy, 1);
	else if (r != 0)
		atomic_fetch_add(&c->other, 1);
	else if (fx_verify(c->keys[k].spki, c->keys[k].spki_len, conc_sc[k],
		     h, in, inlen, sig, siglen) == 1)
		atomic_fetch_add(&c->ok, 1);
	else
		atomic_fetch_add(&c->bad, 1);
}

static void *
conc_sync(void *arg)
{
	struct conc *c = arg;
	uint8_t in[64], sig[HSM_SIG_MAX];
	size_t siglen = 0, inlen;
	unsigned i = 0;
	int k, r;

	while (!atomic_load(&c->stop)) {
		k = (int)(i++ % 3);
		inlen = k == 1 ? 64 : 32;
		RAND_bytes(in, (int)inlen);
		r = hsm_key_sign(c->p, c->keys[k].id, conc_sc[k],
		    k == 1 ? HSM_HASH_NONE : HSM_HASH_SHA256, in, inlen, sig,
		    &siglen);
		conc_check(c, k, r, in, inlen, sig, siglen);
	}
	return NULL;
}

struct conc_job {
	struct conc *c;
	int k;
	uint8_t in[64];
	size_t inlen;
};

static void
conc_done(void *arg, int r, const uint8_t *sig, size_t siglen)
{
	struct conc_job *j = arg;

	conc_check(j->c, j->k, r, j->in, j->inlen, sig, siglen);
	atomic_fetch_sub(&j->c->async_out, 1);
	free(j);
}

static void *
conc_async(void *arg)
{
	struct conc *c = arg;
	struct timespec backoff = {0, 1000000L};
	struct conc_job *j;
	unsigned i = 0;

	while (!atomic_load(&c->stop)) {
		j = malloc(sizeof(*j));
		assert_non_null(j);
		j->c = c;
		j->k = (int)(i++ % 3);
		j->inlen = j->k == 1 ? 64 : 32;
		RAND_bytes(j->in, (int)j->inlen);
		atomic_fetch_add(&c->async_out, 1);
		if (hsm_key_sign_submit(c->p, c->keys[j->k].id, conc_sc[j->k],
			j->k == 1 ? HSM_HASH_NONE : HSM_HASH_SHA256, j->in,
			j->inlen, conc_done, j) != 0) {
			/* Queue full: back off as a client given 503 would. */
			atomic_fetch_sub(&c->async_out, 1);
			free(j);
			nanosleep(&backoff, NULL);
		}
	}
	return NULL;
}

/* NET-4/REG-3: every pool session busy at once, synchronous callers and
 * the workers together, for several seconds: every signature verifies. */
static void
test_NET4_concurrent_signing_all_valid(void **state)
{
	enum { SESSIONS = 4 };
	static struct conc c;
	pthread_t th[SESSIONS + 1];
	struct timespec ts = {CONCURRENT_SECONDS, 0};
	int i;

	(void)state;
	memset(&c, 0, sizeof(c));
	c.p = pool_open(SESSIONS, 0, 10000);
	assert_int_equal(hsm_key_generate(c.p, HSM_ALG_EC_P256, NULL, 0,
			     &c.keys[0]),
	    0);
	assert_int_equal(hsm_key_generate(c.p, HSM_ALG_ED25519, NULL, 0,
			     &c.keys[1]),
	    0);
	assert_int_equal(hsm_key_generate(c.p, HSM_ALG_RSA_2048, NULL, 0,
			     &c.keys[2]),
	    0);
	for (i = 0; i < SESSIONS; i++)
		assert_int_equal(pthread_create(&th[i], NULL, conc_sync, &c),
		    0);
	assert_int_equal(pthread_create(&th[SESSIONS], NULL, conc_async, &c),
	    0);
	nanosleep(&ts, NULL);
	atomic_store(&c.stop, true);
	for (i = 0; i <= SESSIONS; i++)
		pthread_join(th[i], NULL);
	while (atomic_load(&c.async_out) > 0)
		sched_yield();
	print_message("# %lu valid signatures, %lu invalid, %lu busy, %lu "
		      "other errors\n",
	    atomic_load(&c.ok), atomic_load(&c.bad), atomic_load(&c.busy),
	    atomic_load(&c.other));
	assert_int_equal(atomic_load(&c.bad), 0);
	assert_int_equal(atomic_load(&c.other), 0);
	assert_true(atomic_load(&c.ok) > 3 * SESSIONS);
	for (i = 0; i < 3; i++)
		assert_int_equal(hsm_key_destroy(c.p, c.keys[i].id), 0);
	hsm_pool_free(c.p);
}

struct closer {
	struct hsm_pool *p;
};

static void *
close_pool(void *arg)
{
	hsm_pool_free(((struct closer *)arg)->p);
	return NULL;
}

/* A job accepted is answered exactly once, even when the pool closes
 * with it still queued. */
static void
test_NET4_callback_exactly_once_at_close(void **state)
{
	enum { JOBS = 6 };
	struct hsm_pool *p = pool_open(1, JOBS, 5000);
	struct hsm_keyinfo ki;
	struct blocker b;
	static struct result res[JOBS];
	struct closer cl;
	pthread_t th;
	uint8_t dg[32] = {3};
	int i;

	(void)state;
	sem_init(&b.started, 0, 0);
	sem_init(&b.release, 0, 0);
	assert_int_equal(hsm_key_generate(p, HSM_ALG_EC_P256, NULL,
			     HSM_KEYGEN_SESSION, &ki),
	    0);
	assert_int_equal(hsm_pool_submit(p, block_work, &b), 0);
	sem_wait(&b.started);
	for (i = 0; i < JOBS - 1; i++) {
		memset(&res[i], 0, sizeof(res[i]));
		sem_init(&res[i].done, 0, 0);
		assert_int_equal(hsm_key_sign_submit(p, ki.id, HSM_SIG_ECDSA,
				     HSM_HASH_SHA256, dg, 32, sign_done,
				     &res[i]),
		    0);
	}
	cl.p = p;
	assert_int_equal(pthread_create(&th, NULL, close_pool, &cl), 0);
	sem_post(&b.release);
	pthread_join(th, NULL);
	for (i = 0; i < JOBS - 1; i++) {
		assert_int_equal(atomic_load(&res[i].calls), 1);
		assert_true(res[i].r == 0 || res[i].r == HK_ECLOSED);
		if (res[i].r == 0)
			assert_int_equal(fx_verify(ki.spki, ki.spki_len,
					     HSM_SIG_ECDSA, HSM_HASH_SHA256, dg,
					     32, res[i].sig, res[i].siglen),
			    1);
	}
}

static void
test_NET4_forked_child_refused(void **state)
{
	struct hsm_pool *p = pool_open(2, 0, 0);
	uint8_t b[8];
	char verdict = '?';
	int fds[2], st = -1;
	pid_t pid;

	(void)state;
	assert_int_equal(pipe(fds), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		/* The verdict goes through a pipe, not the exit status:
		 * under valgrind the child's exit also reports the module's
		 * leaks with its own status. */
		verdict = hsm_pool_random(p, b, sizeof(b)) == HK_ESTATE ? 'y'
									: 'n';
		if (write(fds[1], &verdict, 1) != 1)
			_exit(3);
		_exit(0);
	}
	close(fds[1]);
	assert_int_equal(read(fds[0], &verdict, 1), 1);
	close(fds[0]);
	assert_int_equal(waitpid(pid, &st, 0), pid);
	assert_int_equal(verdict, 'y');
	/* The parent's pool is unaffected. */
	assert_int_equal(hsm_pool_random(p, b, sizeof(b)), 0);
	hsm_pool_free(p);
}

/* ---- through the fault-injecting module -------------------------------- */

struct shim {
	void *dl;
	void (*inject)(const char *, unsigned long, long);
	unsigned long (*count)(const char *);
	unsigned long (*flags)(void);
	char path[PATH_MAX];
};

static struct hsm_pool *
shim_pool(struct shim *s, unsigned sessions)
{
	char build[PATH_MAX - 64];
	struct hsm_opts o = fx_opts(&fx);
	struct hsm_pool *p = NULL;

	fx_build_dir(build, sizeof(build));
	snprintf(s->path, sizeof(s->path), "%s/tests/lib/hsm_shim.so", build);
	setenv("HSM_SHIM_TARGET", fx.module, 1);
	o.module = s->path;
	o.sessions = sessions;
	assert_int_equal(hsm_pool_new(&o, &p), 0);
	/* Keep the shim loaded across the pool's dlclose. */
	s->dl = dlopen(s->path, RTLD_NOW | RTLD_NOLOAD);
	assert_non_null(s->dl);
	*(void **)&s->inject = dlsym(s->dl, "hsm_shim_fail");
	*(void **)&s->count = dlsym(s->dl, "hsm_shim_count");
	*(void **)&s->flags = dlsym(s->dl, "hsm_shim_init_flags");
	assert_non_null(s->inject);
	assert_non_null(s->count);
	assert_non_null(s->flags);
	return p;
}

static void
shim_close(struct shim *s, struct hsm_pool *p)
{
	hsm_pool_free(p);
	dlclose(s->dl);
}

static void
sign_ok(struct hsm_pool *p, const struct hsm_keyinfo *ki)
{
	uint8_t dg[32], sig[HSM_SIG_MAX];
	size_t siglen = 0;

	RAND_bytes(dg, 32);
	assert_int_equal(hsm_key_sign(p, ki->id, HSM_SIG_ECDSA,
			     HSM_HASH_SHA256, dg, 32, sig, &siglen),
	    0);
	assert_int_equal(fx_verify(ki->spki, ki->spki_len, HSM_SIG_ECDSA,
			     HSM_HASH_SHA256, dg, 32, sig, siglen),
	    1);
}

/* NET-4: CKF_OS_LOCKING_OK, one login, a fixed set of sessions for the
 * pool's lifetime, key handles resolved once. OPS-5: ids and random
 * bytes come from the module's RNG. */
static void
test_NET4_one_login_fixed_sessions_handles_cached(void **state)
{
	struct shim s;
	struct hsm_pool *p = shim_pool(&s, 3), *p2;
	struct hsm_keyinfo ki;
	unsigned long opened, closed, logins, finds, rnd, signs;
	uint8_t b[16];
	int i;

	(void)state;
	assert_true(s.flags() & CKF_OS_LOCKING_OK);
	assert_int_equal(s.count("C_Login"), 1);
	/* Three pool sessions and the reserved one; the self-test opened no
	 * others. */
	assert_int_equal(s.count("C_OpenSession"), 3 + 1);
	rnd = s.count("C_GenerateRandom");
	assert_int_equal(hsm_key_generate(p, HSM_ALG_EC_P256, NULL, 0, &ki),
	    0);
	assert_true(s.count("C_GenerateRandom") > rnd);
	rnd = s.count("C_GenerateRandom");
	assert_int_equal(hsm_pool_random(p, b, sizeof(b)), 0);
	assert_int_equal(s.count("C_GenerateRandom"), rnd + 1);
	opened = s.count("C_OpenSession");
	closed = s.count("C_CloseSession");
	logins = s.count("C_Login");
	finds = s.count("C_FindObjectsInit");
	signs = s.count("C_Sign");
	for (i = 0; i < 300; i++)
		sign_ok(p, &ki);
	assert_int_equal(s.count("C_OpenSession"), opened);
	assert_int_equal(s.count("C_CloseSession"), closed);
	assert_int_equal(s.count("C_Login"), logins);
	assert_int_equal(s.count("C_FindObjectsInit"), finds);
	assert_int_equal(s.count("C_Sign"), signs + 300);
	shim_close(&s, p);
	/* A new pool (empty cache) resolves the persistent key once. */
	p2 = shim_pool(&s, 2);
	finds = s.count("C_FindObjectsInit");
	for (i = 0; i < 50; i++)
		sign_ok(p2, &ki);
	assert_int_equal(s.count("C_FindObjectsInit"), finds + 1);
	assert_int_equal(hsm_key_destroy(p2, ki.id), 0);
	shim_close(&s, p2);
}

/* The reserved session (the ledger's checkpoint signatures): it signs
 * while every pool session is checked out, without opening, closing or
 * logging in anything, and the signatures verify. */
static void
test_reserved_session_signs_while_pool_busy(void **state)
{
	struct shim s;
	struct hsm_pool *p = shim_pool(&s, 2);
	struct hsm_session *a = NULL, *b = NULL;
	struct hsm_keyinfo ki;
	unsigned long opened, closed, logins;
	uint8_t dg[32], sig[HSM_SIG_MAX];
	size_t siglen;
	int i;

	(void)state;
	assert_int_equal(hsm_key_generate(p, HSM_ALG_EC_P256, NULL, 0, &ki),
	    0);
	sign_ok(p, &ki); /* the key handle is cached */
	opened = s.count("C_OpenSession");
	closed = s.count("C_CloseSession");
	logins = s.count("C_Login");
	assert_int_equal(hsm_session_get(p, NULL, &a), 0);
	assert_int_equal(hsm_session_get(p, NULL, &b), 0);
	for (i = 0; i < 20; i++) {
		RAND_bytes(dg, 32);
		siglen = 0;
		assert_int_equal(hsm_key_sign_reserved(p, ki.id, HSM_SIG_ECDSA,
				     HSM_HASH_SHA256, dg, 32, sig, &siglen),
		    0);
		assert_int_equal(fx_verify(ki.spki, ki.spki_len, HSM_SIG_ECDSA,
				     HSM_HASH_SHA256, dg, 32, sig, siglen),
		    1);
	}
	hsm_session_put(p, a);
	hsm_session_put(p, b);
	assert_int_equal(s.count("C_OpenSession"), opened);
	assert_int_equal(s.count("C_CloseSession"), closed);
	assert_int_equal(s.count("C_Login"), logins);
	assert_int_equal(hsm_key_destroy(p, ki.id), 0);
	shim_close(&s, p);
}

/* NET-4: whatever C_Sign returns, the adapter answers with an HK_E*
 * code or recovers; session-fatal codes retire the session and open a
 * new one; the pool keeps working. */
static void
test_NET4_every_ckr_from_sign_handled(void **state)
{
	struct shim s;
	struct hsm_pool *p = shim_pool(&s, 2);
	struct hsm_keyinfo ki;
	uint8_t dg[32] = {9}, sig[HSM_SIG_MAX];
	unsigned long opened, closed, finds, logins;
	size_t siglen;
	const char *name;
	unsigned i;
	CK_RV rv;
	int r;

	(void)state;
	assert_int_equal(hsm_key_generate(p, HSM_ALG_EC_P256, NULL, 0, &ki),
	    0);
	for (i = 0; (name = hsm_ckr_at(i, &rv)) != NULL; i++) {
		if (rv == CKR_OK)
			continue;
		opened = s.count("C_OpenSession");
		closed = s.count("C_CloseSession");
		finds = s.count("C_FindObjectsInit");
		logins = s.count("C_Login");
		s.inject("C_Sign", rv, 1);
		fx_capture_begin(&fx);
		r = hsm_key_sign(p, ki.id, HSM_SIG_ECDSA, HSM_HASH_SHA256, dg,
		    32, sig, &siglen);
		(void)fx_capture_end(&fx);
		s.inject("C_Sign", CKR_OK, 0);
		if (hsm_ckr_retires(rv)) {
			/* Retired, replaced, retried. */
			assert_int_equal(r, 0);
			assert_int_equal(s.count("C_OpenSession"), opened + 1);
			assert_int_equal(s.count("C_CloseSession"),
			    closed + 1);
		} else if (rv == CKR_USER_NOT_LOGGED_IN) {
			assert_int_equal(r, 0);
			assert_int_equal(s.count("C_Login"), logins + 1);
		} else if (rv == CKR_KEY_HANDLE_INVALID ||
		    rv == CKR_OBJECT_HANDLE_INVALID) {
			/* Resolved again, then signed. */
			assert_int_equal(r, 0);
			assert_int_equal(s.count("C_FindObjectsInit"),
			    finds + 1);
		} else {
			if (r != hsm_ckr_err(rv))
				fail_msg("%s gave %d, want %d", name, r,
				    hsm_ckr_err(rv));
			assert_true(r < 0);
			assert_int_equal(s.count("C_OpenSession"), opened);
		}
		/* Healthy afterwards. */
		sign_ok(p, &ki);
	}
	/* A device that keeps failing: a bounded number of attempts, a
	 * clear error, and recovery once it is back. */
	s.inject("C_Sign", CKR_DEVICE_ERROR, -1);
	assert_int_equal(hsm_key_sign(p, ki.id, HSM_SIG_ECDSA, HSM_HASH_SHA256,
			     dg, 32, sig, &siglen),
	    HK_EHSM);
	s.inject("C_Sign", CKR_OK, 0);
	sign_ok(p, &ki);
	/* A failed key generation is reported, not retried. */
	s.inject("C_GenerateKeyPair", CKR_DEVICE_MEMORY, 1);
	assert_int_equal(hsm_key_generate(p, HSM_ALG_EC_P256, NULL, 0, &ki),
	    HK_ENOSPACE);
	assert_int_equal(hsm_key_destroy(p, ki.id), 0);
	shim_close(&s, p);
}

/* NET-4: the module drops every session and the login behind the
 * adapter's back (a network HSM restarting); every pooled session is
 * replaced, the adapter logs in again and resolves the key again. */
static void
test_NET4_survives_module_dropping_all_sessions(void **state)
{
	enum { SESSIONS = 3 };
	struct shim s;
	struct hsm_pool *p = shim_pool(&s, SESSIONS);
	struct hsm_keyinfo ki;
	unsigned long opened, logins;
	int i;

	(void)state;
	assert_int_equal(hsm_key_generate(p, HSM_ALG_EC_P256, NULL, 0, &ki),
	    0);
	sign_ok(p, &ki);
	opened = s.count("C_OpenSession");
	logins = s.count("C_Login");
	snprintf(fx.module, sizeof(fx.module), "%s", s.path);
	assert_int_equal(fx_p11_open(&fx), 0);
	assert_int_equal(fx.f->C_CloseAllSessions(fx_p11_slot(&fx)), CKR_OK);
	fx.f = NULL; /* its session is gone too */
	fx_p11_close(&fx);
	snprintf(fx.module, sizeof(fx.module), "%s", HSM_MODULE_DEFAULT);
	if (getenv("HK_HSM_MODULE") != NULL)
		snprintf(fx.module, sizeof(fx.module), "%s",
		    getenv("HK_HSM_MODULE"));
	/* Enough signatures to go through every session twice. */
	for (i = 0; i < 4 * SESSIONS; i++)
		sign_ok(p, &ki);
	assert_int_equal(s.count("C_OpenSession"), opened + 1 + SESSIONS);
	assert_int_equal(s.count("C_Login"), logins + 1);
	assert_int_equal(hsm_key_destroy(p, ki.id), 0);
	shim_close(&s, p);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_NET4_missing_module_clear_error),
		cmocka_unit_test(test_NET4_missing_token_clear_error),
		cmocka_unit_test(test_NET4_wrong_pin_clear_error),
		cmocka_unit_test(test_NET4_pin_file_refused),
		cmocka_unit_test(test_NET4_selftest_full),
		cmocka_unit_test(test_NET4_busy_when_sessions_saturated),
		cmocka_unit_test(test_NET4_busy_when_queue_full),
		cmocka_unit_test(test_NET4_concurrent_signing_all_valid),
		cmocka_unit_test(test_NET4_callback_exactly_once_at_close),
		cmocka_unit_test(test_NET4_forked_child_refused),
		cmocka_unit_test(
		    test_NET4_one_login_fixed_sessions_handles_cached),
		cmocka_unit_test(test_reserved_session_signs_while_pool_busy),
		cmocka_unit_test(test_NET4_every_ckr_from_sign_handled),
		cmocka_unit_test(
		    test_NET4_survives_module_dropping_all_sessions),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
