/* SPDX-License-Identifier: Apache-2.0 */
/*
 * hsm_pool: loading the PKCS#11 module, the one login, the fixed session
 * pool and the worker threads (NET-4; see hsm.h). Shaped by SoftHSM
 * 2.6.1's concurrency bugs (shared/design.md "Known sharp edges"): sessions
 * are opened once and kept for the process lifetime, one operation runs on
 * a session at a time, a session is replaced only by opening the new one
 * before closing the old, and the module is initialised with
 * CKF_OS_LOCKING_OK in the process that uses it, never before a fork.
 * Random bytes come from the module's RNG (OPS-5).
 */
/* pthread_rwlockattr_setkind_np (writer preference), adaptive mutexes and
 * RTLD_NODELETE are GNU extensions. */
#define _GNU_SOURCE
#include <assert.h>
#include <dlfcn.h>
#include <errno.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sodium.h>

#include "core/log.h"
#include "hsm/hsm_ckr.h"
#include "hsm/hsm_internal.h"

/* Chunk size for C_GenerateRandom (some modules limit one call). */
#define HSM_RANDOM_CHUNK 1024
/* Sessions are opened read-write: key generation and destruction need
 * it, and a pool with separate read-only sessions would double the
 * number of sessions the module must hold. */
#define HSM_SESSION_FLAGS (CKF_SERIAL_SESSION | CKF_RW_SESSION)

/** hsm_deadline(ts, ms): now + ${ms} on CLOCK_MONOTONIC. */
void
hsm_deadline(struct timespec *ts, unsigned ms)
{
	clock_gettime(CLOCK_MONOTONIC, ts);
	ts->tv_sec += ms / 1000;
	ts->tv_nsec += (long)(ms % 1000) * 1000000L;
	if (ts->tv_nsec >= 1000000000L) {
		ts->tv_sec++;
		ts->tv_nsec -= 1000000000L;
	}
}

static bool
deadline_passed(const struct timespec *d)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return now.tv_sec > d->tv_sec ||
	    (now.tv_sec == d->tv_sec && now.tv_nsec >= d->tv_nsec);
}

/* Incremented in every child of fork() (pthread_atfork), so that a pool
 * notices it was inherited without a getpid() system call per operation:
 * SoftHSM already makes about five per signature, and each one showed in
 * the benchmark's profile. */
static atomic_uint fork_gen;
static pthread_once_t fork_once = PTHREAD_ONCE_INIT;

static void
fork_child(void)
{
	atomic_fetch_add(&fork_gen, 1);
}

static void
fork_watch(void)
{
	if (pthread_atfork(NULL, NULL, fork_child) != 0)
		abort();
}

/** hsm_pool_check(p): refuse use from a forked child. */
int
hsm_pool_check(struct hsm_pool *p)
{
	if (atomic_load_explicit(&fork_gen, memory_order_relaxed) !=
	    p->fork_gen) {
		hk_error_f("the crypto module was initialised in process %ld; "
			   "a forked child (%ld) must make its own pool",
		    (long)p->pid, (long)getpid());
		return HK_ESTATE;
	}
	return 0;
}

/** hsm_p11_str(dst, dstlen, src, srclen): copy a blank-padded PKCS#11
 * string into a NUL-terminated one. */
void
hsm_p11_str(char *dst, size_t dstlen, const unsigned char *src, size_t srclen)
{
	size_t n = srclen < dstlen - 1 ? srclen : dstlen - 1;

	memcpy(dst, src, n);
	while (n > 0 && (dst[n - 1] == ' ' || dst[n - 1] == '\0'))
		n--;
	dst[n] = '\0';
}

/** hsm_session_relogin(p, s): log in again through ${s}. */
int
hsm_session_relogin(struct hsm_pool *p, struct hsm_session *s)
{
	CK_RV rv;

	pthread_mutex_lock(&p->login_mu);
	sodium_mprotect_readonly(p->pin);
	rv = p->f->C_Login(s->h, CKU_USER, p->pin, (CK_ULONG)p->pinlen);
	sodium_mprotect_noaccess(p->pin);
	pthread_mutex_unlock(&p->login_mu);
	if (rv == CKR_OK || rv == CKR_USER_ALREADY_LOGGED_IN)
		return 0;
	if (rv == CKR_PIN_INCORRECT) {
		hk_error_f("C_Login: wrong PIN for token \"%s\" "
			   "(CKR_PIN_INCORRECT)", p->info.token);
		return HK_EAUTH;
	}
	if (rv == CKR_PIN_LOCKED) {
		hk_error_f("C_Login: the user PIN of token \"%s\" is locked "
			   "(CKR_PIN_LOCKED)", p->info.token);
		return HK_EAUTH;
	}
	return hsm_ckr_fail(__func__, "C_Login", rv);
}

/* Open a session into *h and make sure it is logged in. */
static int
session_open(struct hsm_pool *p, struct hsm_session *s, CK_SESSION_HANDLE *h)
{
	struct hsm_session tmp = *s;
	CK_SESSION_INFO si;
	CK_RV rv;
	int r;

	rv = p->f->C_OpenSession(p->slot, HSM_SESSION_FLAGS, NULL, NULL, h);
	if (rv != CKR_OK)
		return hsm_ckr_fail(__func__, "C_OpenSession", rv);
	rv = p->f->C_GetSessionInfo(*h, &si);
	if (rv != CKR_OK) {
		r = hsm_ckr_fail(__func__, "C_GetSessionInfo", rv);
		goto fail;
	}
	if (si.state != CKS_RW_USER_FUNCTIONS &&
	    si.state != CKS_RO_USER_FUNCTIONS) {
		/* The module dropped the login (all sessions closed, device
		 * reset): log in again. */
		hk_warn_f("session %u is not logged in; logging in again",
		    s->idx);
		tmp.h = *h;
		if ((r = hsm_session_relogin(p, &tmp)) != 0)
			goto fail;
	}
	return 0;
fail:
	p->f->C_CloseSession(*h);
	*h = CK_INVALID_HANDLE;
	return r;
}

/** hsm_session_retire(p, s): replace ${s}'s handle. */
int
hsm_session_retire(struct hsm_pool *p, struct hsm_session *s)
{
	CK_SESSION_HANDLE h = CK_INVALID_HANDLE, old = s->h;
	CK_RV rv;
	int r;

	/* Open first, then close: closing the last session of a slot
	 * while another thread opens one loses the new one (SoftHSM #464),
	 * and closing the last session would also log the token out. */
	r = session_open(p, s, &h);
	if (old != CK_INVALID_HANDLE) {
		rv = p->f->C_CloseSession(old);
		if (rv != CKR_OK)
			hk_debug_f("C_CloseSession of retired session %u: %s",
			    s->idx, hsm_ckr_name(rv));
	}
	s->h = h;
	if (r != 0)
		hk_error_f("session %u lost; it will be reopened at its next "
			   "use", s->idx);
	return r;
}

/** hsm_session_recover(p, s, rv): retire or log in again as ${rv} asks. */
bool
hsm_session_recover(struct hsm_pool *p, struct hsm_session *s, CK_RV rv)
{
	if (hsm_ckr_retires(rv)) {
		hk_warn_f("retiring session %u after %s", s->idx,
		    hsm_ckr_name(rv));
		return hsm_session_retire(p, s) == 0;
	}
	if (rv == CKR_USER_NOT_LOGGED_IN) {
		hk_warn_f("the module dropped the login (session %u); "
			  "logging in again", s->idx);
		return hsm_session_relogin(p, s) == 0;
	}
	return false;
}

/** hsm_session_get(p, deadline, out): check out a session. */
int
hsm_session_get(struct hsm_pool *p, const struct timespec *deadline,
    struct hsm_session **out)
{
	struct hsm_session *s;
	struct timespec dl;
	CK_SESSION_HANDLE h;
	int r, rc = 0;

	if ((r = hsm_pool_check(p)) != 0)
		return r;
	if (deadline == NULL) {
		hsm_deadline(&dl, p->wait_ms);
		deadline = &dl;
	}
	pthread_mutex_lock(&p->mu);
	while (p->free_head == NULL && rc != ETIMEDOUT)
		rc = pthread_cond_timedwait(&p->free_cv, &p->mu, deadline);
	if ((s = p->free_head) == NULL) {
		pthread_mutex_unlock(&p->mu);
		hk_debug_f("no free session within the wait bound");
		return HK_EBUSY;
	}
	if ((p->free_head = s->next) == NULL)
		p->free_tail = NULL;
	pthread_mutex_unlock(&p->mu);
	if (s->h == CK_INVALID_HANDLE) {
		if ((r = session_open(p, s, &h)) != 0) {
			hsm_session_put(p, s);
			return r;
		}
		s->h = h;
	}
	*out = s;
	return 0;
}

/** hsm_session_put(p, s): return ${s}. */
void
hsm_session_put(struct hsm_pool *p, struct hsm_session *s)
{
	s->next = NULL;
	pthread_mutex_lock(&p->mu);
	if (p->free_tail != NULL)
		p->free_tail->next = s;
	else
		p->free_head = s;
	p->free_tail = s;
	pthread_cond_signal(&p->free_cv);
	pthread_mutex_unlock(&p->mu);
}

/** hsm_session_get_reserved(p, out): take the reserved session. */
int
hsm_session_get_reserved(struct hsm_pool *p, struct hsm_session **out)
{
	struct hsm_session *s = &p->reserved;
	CK_SESSION_HANDLE h;
	int r;

	if ((r = hsm_pool_check(p)) != 0)
		return r;
	pthread_mutex_lock(&p->reserved_mu);
	if (s->h == CK_INVALID_HANDLE) {
		if ((r = session_open(p, s, &h)) != 0) {
			pthread_mutex_unlock(&p->reserved_mu);
			return r;
		}
		s->h = h;
	}
	*out = s;
	return 0;
}

/** hsm_session_put_reserved(p, s): give the reserved session back. */
void
hsm_session_put_reserved(struct hsm_pool *p, struct hsm_session *s)
{
	assert(s == &p->reserved);
	pthread_mutex_unlock(&p->reserved_mu);
}

/* Run one dequeued job; ${stopping} as seen when it was dequeued. */
static void
job_run(struct hsm_pool *p, struct hsm_job *j, bool stopping)
{
	int status = 0;

	if (stopping)
		status = HK_ECLOSED;
	else if (deadline_passed(&j->deadline))
		status = HK_EBUSY;
	if (j->work != NULL)
		j->work(p, j->arg, status);
	else if (status != 0)
		j->sign_cb(j->arg, status, NULL, 0);
	else
		hsm_key_run_job(p, j);
	if (j->msg != NULL && j->msg != j->inline_msg)
		free(j->msg);
	j->msg = NULL;
}

static void *
worker_main(void *arg)
{
	struct hsm_pool *p = arg;
	struct hsm_job *j, run;
	bool stopping;

	hk_thread_name("hk-hsm");
	pthread_mutex_lock(&p->qmu);
	for (;;) {
		while (p->q_head == NULL && !p->stopping) {
			p->idle++;
			pthread_cond_wait(&p->work_cv, &p->qmu);
			p->idle--;
		}
		if ((j = p->q_head) == NULL)
			break;
		if ((p->q_head = j->next) == NULL)
			p->q_tail = NULL;
		stopping = p->stopping;
		/* Run a copy, so that the slot is free while the job runs:
		 * the queue bound counts waiting jobs only. */
		run = *j;
		if (j->msg == j->inline_msg)
			run.msg = run.inline_msg;
		j->msg = NULL;
		j->next = p->job_free;
		p->job_free = j;
		pthread_mutex_unlock(&p->qmu);
		job_run(p, &run, stopping);
		pthread_mutex_lock(&p->qmu);
	}
	pthread_mutex_unlock(&p->qmu);
	return NULL;
}

/* Queue a copy of ${tmpl} if a slot is free; never waits, so that an
 * event loop may call it. One lock section per job. On failure a malloc'd
 * message is freed. The job's start deadline is the wait bound from now. */
static int
job_submit(struct hsm_pool *p, const struct hsm_job *tmpl)
{
	struct hsm_job *j;
	int r;

	if ((r = hsm_pool_check(p)) != 0)
		goto fail;
	pthread_mutex_lock(&p->qmu);
	if (p->stopping || (j = p->job_free) == NULL) {
		r = p->stopping ? HK_ECLOSED : HK_EBUSY;
		pthread_mutex_unlock(&p->qmu);
		if (r == HK_EBUSY)
			hk_debug_f("the job queue is full");
		goto fail;
	}
	p->job_free = j->next;
	*j = *tmpl;
	if (tmpl->msg == tmpl->inline_msg)
		j->msg = j->inline_msg;
	hsm_deadline(&j->deadline, p->wait_ms);
	j->next = NULL;
	if (p->q_tail != NULL)
		p->q_tail->next = j;
	else
		p->q_head = j;
	p->q_tail = j;
	if (p->idle > 0)
		pthread_cond_signal(&p->work_cv);
	pthread_mutex_unlock(&p->qmu);
	return 0;
fail:
	if (tmpl->msg != NULL && tmpl->msg != tmpl->inline_msg)
		free(tmpl->msg);
	return r;
}

/** hsm_pool_submit(p, work, arg): run ${work} on a worker. */
int
hsm_pool_submit(struct hsm_pool *p, hsm_work_cb work, void *arg)
{
	struct hsm_job j;

	memset(&j, 0, offsetof(struct hsm_job, inline_msg));
	j.work = work;
	j.arg = arg;
	return job_submit(p, &j);
}

/** hsm_key_sign_submit(p, id, scheme, hash, in, inlen, cb, arg): queue a
 * signature. */
int
hsm_key_sign_submit(struct hsm_pool *p,
    const uint8_t id[static HSM_KEYID_LEN], enum hsm_scheme scheme,
    enum hsm_hash hash, const uint8_t *in, size_t inlen, hsm_sign_cb cb,
    void *arg)
{
	struct hsm_job j;

	if (inlen > HSM_MSG_MAX)
		return HK_ETOOBIG;
	if (inlen == 0 && scheme != HSM_SIG_ED25519)
		return HK_EINVAL;
	memset(&j, 0, offsetof(struct hsm_job, inline_msg));
	if (inlen <= sizeof(j.inline_msg))
		j.msg = j.inline_msg;
	else if ((j.msg = malloc(inlen)) == NULL)
		return HK_ENOMEM;
	if (inlen > 0)
		memcpy(j.msg, in, inlen);
	j.msglen = inlen;
	memcpy(j.id, id, HSM_KEYID_LEN);
	j.scheme = scheme;
	j.hash = hash;
	j.sign_cb = cb;
	j.arg = arg;
	return job_submit(p, &j);
}

/** hsm_pool_random(p, buf, n): bytes from the module RNG. */
int
hsm_pool_random(struct hsm_pool *p, uint8_t *buf, size_t n)
{
	struct hsm_session *s = NULL;
	size_t off = 0, k;
	int r, tries = 0;
	CK_RV rv;

	if ((r = hsm_session_get(p, NULL, &s)) != 0)
		return r;
	while (off < n) {
		k = n - off < HSM_RANDOM_CHUNK ? n - off : HSM_RANDOM_CHUNK;
		rv = p->f->C_GenerateRandom(s->h, buf + off, (CK_ULONG)k);
		if (rv == CKR_OK) {
			off += k;
			continue;
		}
		if (tries++ < 2 && hsm_session_recover(p, s, rv))
			continue;
		r = hsm_ckr_fail(__func__, "C_GenerateRandom", rv);
		break;
	}
	hsm_session_put(p, s);
	if (r != 0)
		sodium_memzero(buf, n);
	return r;
}

/** hsm_pool_info(p, out): module and token identity. */
void
hsm_pool_info(struct hsm_pool *p, struct hsm_info *out)
{
	*out = p->info;
}

/** hsm_module_load(p, path): dlopen the module, get its function list. */
int
hsm_module_load(struct hsm_pool *p, const char *path)
{
	CK_RV (*get)(CK_FUNCTION_LIST_PTR_PTR);
	struct stat st;
	CK_RV rv;

	if (stat(path, &st) != 0) {
		hk_error_f("cannot load PKCS#11 module %s: %s", path,
		    strerror(errno));
		return HK_ECONFIG;
	}
	/* RTLD_NODELETE: the module stays mapped after hsm_pool_free().
	 * Unmapping a library that may have started threads or registered
	 * exit handlers is unsafe, and a leak report with its frames
	 * unmapped cannot name (or suppress) the library it came from. */
	if ((p->dl = dlopen(path, RTLD_NOW | RTLD_LOCAL | RTLD_NODELETE)) ==
	    NULL) {
		hk_error_f("cannot load PKCS#11 module %s: %s", path,
		    dlerror());
		return HK_ECONFIG;
	}
	/* POSIX allows converting dlsym's result to a function pointer. */
	*(void **)&get = dlsym(p->dl, "C_GetFunctionList");
	if (get == NULL) {
		hk_error_f("%s is not a PKCS#11 module (no "
			   "C_GetFunctionList)", path);
		return HK_ECONFIG;
	}
	rv = get(&p->f);
	if (rv != CKR_OK || p->f == NULL) {
		hk_error_f("C_GetFunctionList of %s: %s", path,
		    hsm_ckr_name(rv));
		p->f = NULL;
		return HK_ECONFIG;
	}
	return 0;
}

/** hsm_module_init(p, path): C_Initialize with OS locking; remember
 * whether we own the initialisation. */
int
hsm_module_init(struct hsm_pool *p, const char *path)
{
	CK_C_INITIALIZE_ARGS args;
	CK_INFO ci;
	CK_RV rv;
	char man[33], desc[33];

	memset(&args, 0, sizeof(args));
	args.flags = CKF_OS_LOCKING_OK;
	rv = p->f->C_Initialize(&args);
	if (rv == CKR_CRYPTOKI_ALREADY_INITIALIZED) {
		/* Another part of this process initialised it; it will
		 * finalise it too. */
		hk_info_f("%s was already initialised in this process", path);
	} else if (rv != CKR_OK) {
		return hsm_ckr_fail(__func__, "C_Initialize", rv);
	} else {
		p->initialised = true;
	}
	rv = p->f->C_GetInfo(&ci);
	if (rv != CKR_OK)
		return hsm_ckr_fail(__func__, "C_GetInfo", rv);
	hsm_p11_str(man, sizeof(man), ci.manufacturerID,
	    sizeof(ci.manufacturerID));
	hsm_p11_str(desc, sizeof(desc), ci.libraryDescription,
	    sizeof(ci.libraryDescription));
	snprintf(p->info.library, sizeof(p->info.library), "%s %s", man,
	    desc);
	p->info.lib_major = ci.libraryVersion.major;
	p->info.lib_minor = ci.libraryVersion.minor;
	return 0;
}

/* Find the one slot whose token carries ${label}. */
static int
token_find(struct hsm_pool *p, const char *label)
{
	CK_SLOT_ID *slots = NULL;
	CK_ULONG n = 0, i, found = 0;
	CK_TOKEN_INFO ti;
	char l[33], seen[512];
	size_t sl = 0;
	CK_RV rv;
	int r = HK_ENOTFOUND;

	seen[0] = '\0';
	rv = p->f->C_GetSlotList(CK_TRUE, NULL, &n);
	if (rv != CKR_OK)
		return hsm_ckr_fail(__func__, "C_GetSlotList", rv);
	if (n > 0) {
		if ((slots = calloc(n, sizeof(*slots))) == NULL)
			return HK_ENOMEM;
		rv = p->f->C_GetSlotList(CK_TRUE, slots, &n);
		if (rv != CKR_OK) {
			r = hsm_ckr_fail(__func__, "C_GetSlotList", rv);
			goto out;
		}
	}
	for (i = 0; i < n; i++) {
		rv = p->f->C_GetTokenInfo(slots[i], &ti);
		if (rv != CKR_OK) {
			hk_warn_f("C_GetTokenInfo(slot %lu): %s",
			    (unsigned long)slots[i], hsm_ckr_name(rv));
			continue;
		}
		if (!(ti.flags & CKF_TOKEN_INITIALIZED))
			continue;
		hsm_p11_str(l, sizeof(l), ti.label, sizeof(ti.label));
		if (sl < sizeof(seen) - 40) {
			int k = snprintf(seen + sl, sizeof(seen) - sl,
			    "%s\"%s\"", sl ? ", " : "", l);
			if (k > 0)
				sl += (size_t)k;
		}
		if (strcmp(l, label) != 0)
			continue;
		if (found++ == 0) {
			p->slot = slots[i];
			memcpy(p->info.token, l, sizeof(p->info.token));
			hsm_p11_str(p->info.model, sizeof(p->info.model), ti.model,
			    sizeof(ti.model));
			hsm_p11_str(p->info.serial, sizeof(p->info.serial),
			    ti.serialNumber, sizeof(ti.serialNumber));
			hsm_p11_str(p->info.manufacturer,
			    sizeof(p->info.manufacturer), ti.manufacturerID,
			    sizeof(ti.manufacturerID));
			if (!(ti.flags & CKF_USER_PIN_INITIALIZED)) {
				hk_error_f("token \"%s\" has no user PIN set",
				    label);
				r = HK_EAUTH;
				goto out;
			}
			if (ti.flags & CKF_USER_PIN_LOCKED) {
				hk_error_f("the user PIN of token \"%s\" is "
					   "locked", label);
				r = HK_EAUTH;
				goto out;
			}
		}
	}
	if (found == 0) {
		hk_error_f("no token labelled \"%s\" (tokens present: %s)",
		    label, sl ? seen : "none");
		r = HK_ENOTFOUND;
		goto out;
	}
	if (found > 1) {
		hk_error_f("%lu tokens are labelled \"%s\"; labels must be "
			   "unique", (unsigned long)found, label);
		r = HK_ECONFIG;
		goto out;
	}
	r = 0;
out:
	free(slots);
	return r;
}

static bool
mech_has(struct hsm_pool *p, CK_MECHANISM_TYPE m, CK_FLAGS need)
{
	CK_MECHANISM_INFO mi;

	return p->f->C_GetMechanismInfo(p->slot, m, &mi) == CKR_OK &&
	    (mi.flags & need) == need;
}

/* What the token can do that the adapter cares about. */
static void
mechs_probe(struct hsm_pool *p)
{
	p->info.has_eddsa = mech_has(p, CKM_EC_EDWARDS_KEY_PAIR_GEN,
				CKF_GENERATE_KEY_PAIR) &&
	    mech_has(p, CKM_EDDSA, CKF_SIGN);
	p->info.has_rsa_pss = mech_has(p, CKM_RSA_PKCS_PSS, CKF_SIGN);
	/* RFC 5649 wrapping: PKCS#11 3.0 calls it CKM_AES_KEY_WRAP_KWP;
	 * SoftHSM 2.6.1 implements RFC 5649 under the 2.40 name
	 * CKM_AES_KEY_WRAP_PAD (docs/hsm.md). Prefer the unambiguous one. */
	if (mech_has(p, CKM_AES_KEY_WRAP_KWP, CKF_UNWRAP))
		p->wrap_mech = CKM_AES_KEY_WRAP_KWP;
	else if (mech_has(p, CKM_AES_KEY_WRAP_PAD, CKF_UNWRAP))
		p->wrap_mech = CKM_AES_KEY_WRAP_PAD;
	else
		p->wrap_mech = 0;
	p->info.wrap_mech = p->wrap_mech;
}

/* Open every session; the first one logs in. */
static int
sessions_open(struct hsm_pool *p)
{
	struct hsm_session *s;
	CK_RV rv;
	unsigned i;
	int r;

	for (i = 0; i < p->nsessions; i++) {
		s = &p->sessions[i];
		s->idx = i;
		s->h = CK_INVALID_HANDLE;
		if (i == 0) {
			rv = p->f->C_OpenSession(p->slot, HSM_SESSION_FLAGS,
			    NULL, NULL, &s->h);
			if (rv != CKR_OK) {
				s->h = CK_INVALID_HANDLE;
				return hsm_ckr_fail(__func__, "C_OpenSession",
				    rv);
			}
			if ((r = hsm_session_relogin(p, s)) != 0)
				return r;
		} else if ((r = session_open(p, s, &s->h)) != 0) {
			return r;
		}
		hsm_session_put(p, s);
	}
	p->reserved.idx = p->nsessions;
	if ((r = session_open(p, &p->reserved, &p->reserved.h)) != 0) {
		p->reserved.h = CK_INVALID_HANDLE;
		return r;
	}
	return 0;
}

static int
threads_start(struct hsm_pool *p, unsigned qcap)
{
	unsigned i;

	if ((p->jobs = calloc(qcap, sizeof(*p->jobs))) == NULL ||
	    (p->threads = calloc(p->nsessions, sizeof(*p->threads))) == NULL)
		return HK_ENOMEM;
	p->qcap = qcap;
	p->info.queue = qcap;
	for (i = 0; i < qcap; i++) {
		p->jobs[i].next = p->job_free;
		p->job_free = &p->jobs[i];
	}
	for (i = 0; i < p->nsessions; i++) {
		if (pthread_create(&p->threads[i], NULL, worker_main, p) != 0) {
			hk_error_f("pthread_create failed");
			return HK_ENOMEM;
		}
		p->nthreads++;
	}
	return 0;
}

static int
sync_init(struct hsm_pool *p)
{
	pthread_condattr_t ca;
	pthread_rwlockattr_t ra;
	pthread_mutexattr_t ma;
	int ok;

	if (pthread_condattr_init(&ca) != 0)
		return HK_ENOMEM;
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_rwlockattr_init(&ra);
	/* Writers (destruction) must not starve behind a steady stream of
	 * signatures holding the lock for reading. */
	pthread_rwlockattr_setkind_np(&ra,
	    PTHREAD_RWLOCK_PREFER_WRITER_NONRECURSIVE_NP);
	/* The session and queue locks are held for a few instructions by
	 * several threads per signature: spin briefly before sleeping. */
	pthread_mutexattr_init(&ma);
	pthread_mutexattr_settype(&ma, PTHREAD_MUTEX_ADAPTIVE_NP);
	ok = pthread_mutex_init(&p->mu, &ma) == 0 &&
	    pthread_mutex_init(&p->qmu, &ma) == 0 &&
	    pthread_mutex_init(&p->login_mu, NULL) == 0 &&
	    pthread_mutex_init(&p->reserved_mu, NULL) == 0 &&
	    pthread_mutex_init(&p->cache_mu, NULL) == 0 &&
	    pthread_mutex_init(&p->objects_mu, NULL) == 0 &&
	    pthread_cond_init(&p->free_cv, &ca) == 0 &&
	    pthread_cond_init(&p->work_cv, &ca) == 0 &&
	    pthread_rwlock_init(&p->keys_rw, &ra) == 0;
	pthread_condattr_destroy(&ca);
	pthread_rwlockattr_destroy(&ra);
	pthread_mutexattr_destroy(&ma);
	return ok ? 0 : HK_ENOMEM;
}

static unsigned
default_sessions(void)
{
	long n = sysconf(_SC_NPROCESSORS_ONLN);

	if (n < 2)
		return 2;
	return n > 64 ? 64 : (unsigned)n;
}

/** hsm_pool_new(opts, out): open the module, log in, start the pool. */
int
hsm_pool_new(const struct hsm_opts *opts, struct hsm_pool **out)
{
	struct hsm_pool *p = NULL;
	const char *path = opts->module ? opts->module : HSM_MODULE_DEFAULT;
	unsigned qcap;
	int r = HK_ENOMEM;

	*out = NULL;
	if (opts->token == NULL || opts->pin_file == NULL) {
		hk_error_f("a token label and a PIN file are required");
		return HK_ECONFIG;
	}
	if (strlen(opts->token) > 32) {
		hk_error_f("token label \"%s\" is longer than 32 bytes",
		    opts->token);
		return HK_ECONFIG;
	}
	if (sodium_init() < 0)
		return HK_ECRYPTO;
	if ((p = calloc(1, sizeof(*p))) == NULL)
		return HK_ENOMEM;
	pthread_once(&fork_once, fork_watch);
	p->pid = getpid();
	p->fork_gen = atomic_load(&fork_gen);
	p->nsessions = opts->sessions ? opts->sessions : default_sessions();
	p->wait_ms = opts->wait_ms ? opts->wait_ms : HSM_WAIT_MS_DEFAULT;
	/* The queue is a fixed slab of small jobs; its depth only decides
	 * when a burst is answered "busy" at once, while each job's wait
	 * for a worker is bounded by wait_ms. */
	qcap = opts->queue ? opts->queue : 256 * p->nsessions;
	p->info.sessions = p->nsessions;
	if ((r = sync_init(p)) != 0)
		goto fail_sync;
	r = HK_ENOMEM;
	if ((p->pin = sodium_malloc(HSM_PIN_MAX)) == NULL ||
	    (p->sessions = calloc(p->nsessions, sizeof(*p->sessions))) ==
		NULL)
		goto out;
	if ((r = hsm_pin_read(opts->pin_file, p->pin, &p->pinlen)) != 0)
		goto out;
	sodium_mprotect_noaccess(p->pin);
	if ((r = hsm_key_cache_init(p)) != 0 ||
	    (r = hsm_module_load(p, path)) != 0 ||
	    (r = hsm_module_init(p, path)) != 0 ||
	    (r = token_find(p, opts->token)) != 0)
		goto out;
	mechs_probe(p);
	if ((r = sessions_open(p)) != 0 ||
	    (r = threads_start(p, qcap)) != 0)
		goto out;
	if ((r = hsm_pool_selftest(p, false, NULL, NULL)) != 0) {
		hk_error_f("power-up self-test failed: refusing to serve");
		goto out;
	}
	*out = p;
	p = NULL;
	r = 0;
out:
	hsm_pool_free(p);
	return r;
fail_sync:
	free(p);
	return r;
}

/** hsm_pool_free(p): stop, close, finalise, unload, wipe. */
void
hsm_pool_free(struct hsm_pool *p)
{
	unsigned i;

	if (p == NULL)
		return;
	pthread_mutex_lock(&p->qmu);
	p->stopping = true;
	pthread_cond_broadcast(&p->work_cv);
	pthread_mutex_unlock(&p->qmu);
	for (i = 0; i < p->nthreads; i++)
		pthread_join(p->threads[i], NULL);
	if (p->f != NULL && p->sessions != NULL) {
		for (i = 0; i < p->nsessions; i++)
			if (p->sessions[i].h != CK_INVALID_HANDLE)
				p->f->C_CloseSession(p->sessions[i].h);
		if (p->reserved.h != CK_INVALID_HANDLE)
			p->f->C_CloseSession(p->reserved.h);
	}
	if (p->f != NULL && p->initialised)
		p->f->C_Finalize(NULL);
	if (p->dl != NULL)
		dlclose(p->dl);
	if (p->pin != NULL)
		sodium_free(p->pin);
	hsm_key_cache_free(p);
	free(p->threads);
	free(p->jobs);
	free(p->sessions);
	pthread_mutex_destroy(&p->mu);
	pthread_mutex_destroy(&p->qmu);
	pthread_mutex_destroy(&p->login_mu);
	pthread_mutex_destroy(&p->reserved_mu);
	pthread_mutex_destroy(&p->cache_mu);
	pthread_mutex_destroy(&p->objects_mu);
	pthread_cond_destroy(&p->free_cv);
	pthread_cond_destroy(&p->work_cv);
	pthread_rwlock_destroy(&p->keys_rw);
	free(p);
}
