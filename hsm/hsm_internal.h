/* SPDX-License-Identifier: Apache-2.0 */
/*
 * hsm_internal: declarations shared inside hsm/ (and by its unit tests):
 * the pool structure, session check-out with a bounded wait, session
 * retirement, the key-handle cache and the PIN file reader. REG-3, NET-4.
 *
 * Locking order: keys_rw (read: sign; write: destroy), then the session
 * pool's mutex, then login_mu or cache_mu. Nothing is called back while a
 * lock is held.
 */
#ifndef HK_HSM_INTERNAL_H
#define HK_HSM_INTERNAL_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <time.h>

#include <p11-kit/pkcs11.h>

#include "core/err.h"
#include "hsm/hsm.h"

/* PKCS#11 3.0 names RFC 5649 key wrap CKM_AES_KEY_WRAP_KWP; Cryptoki 2.40
 * (p11-kit's header) does not define it. */
#ifndef CKM_AES_KEY_WRAP_KWP
#define CKM_AES_KEY_WRAP_KWP 0x0000210bUL
#endif

/* Longest PIN accepted from the PIN file. */
#define HSM_PIN_MAX 256
/* Inline message room in a queued signing job (covers every digest). */
#define HSM_JOB_INLINE 64

/* One pooled session. Owned by whoever checked it out. */
struct hsm_session {
	CK_SESSION_HANDLE h;	/* CK_INVALID_HANDLE: reopen before use */
	struct hsm_session *next;
	unsigned idx;
};

/* A cached key handle, copied out under cache_mu. */
struct hsm_kref {
	CK_OBJECT_HANDLE priv;
	enum hsm_alg alg;
};

/* One entry of the id -> handle cache (chained hash). */
struct hsm_kent {
	struct hsm_kent *next;
	uint8_t id[HSM_KEYID_LEN];
	struct hsm_kref ref;
};

/* A queued asynchronous job: either generic work or a signature. */
struct hsm_job {
	struct hsm_job *next;
	struct timespec deadline;	/* CLOCK_MONOTONIC */
	hsm_work_cb work;		/* generic job when non-NULL */
	void *arg;
	hsm_sign_cb sign_cb;
	uint8_t id[HSM_KEYID_LEN];
	enum hsm_scheme scheme;
	enum hsm_hash hash;
	uint8_t *msg;			/* inline or malloc'd copy */
	size_t msglen;
	uint8_t inline_msg[HSM_JOB_INLINE];
};

struct hsm_pool {
	void *dl;
	CK_FUNCTION_LIST *f;
	bool initialised;	/* we called C_Initialize: we finalise */
	pid_t pid;		/* process that initialised the module */
	unsigned fork_gen;	/* fork generation it was made in */
	CK_SLOT_ID slot;
	unsigned wait_ms;
	struct hsm_info info;
	unsigned long wrap_mech;

	/* The PIN, kept to log in again if the module drops the login
	 * (e.g. a network HSM reconnecting). sodium_malloc'd, no access
	 * between uses. */
	uint8_t *pin;
	size_t pinlen;
	pthread_mutex_t login_mu;

	/* Session pool. */
	pthread_mutex_t mu;
	pthread_cond_t free_cv;
	struct hsm_session *sessions;
	unsigned nsessions;
	struct hsm_session *free_head;	/* FIFO: sessions take turns, so a */
	struct hsm_session *free_tail;	/* dead one is found on next use */
	/* One more session, never in the free list, for
	 * hsm_key_sign_reserved() (the ledger's checkpoint signature, made
	 * once per group commit on the ledger's single writer thread): it
	 * never waits behind the workers, whose signatures keep every pool
	 * session busy under load. One operation at a time (reserved_mu). */
	struct hsm_session reserved;
	pthread_mutex_t reserved_mu;

	/* Workers and the bounded job queue. */
	pthread_mutex_t qmu;
	pthread_cond_t work_cv;		/* a job is queued or stopping */
	pthread_t *threads;
	unsigned nthreads;
	struct hsm_job *jobs;		/* slab of qcap jobs */
	unsigned qcap;
	struct hsm_job *job_free;
	struct hsm_job *q_head, *q_tail;
	unsigned idle;			/* workers waiting on work_cv */
	bool stopping;

	/* Key handles: keys_rw is held for reading by every signature and
	 * for writing by destruction, so that no signature can run on a
	 * handle the module may reuse after C_DestroyObject. */
	pthread_rwlock_t keys_rw;
	pthread_mutex_t cache_mu;
	/* Token objects are created and destroyed one at a time: SoftHSM
	 * answered CKR_TEMPLATE_INCONSISTENT to a key generation that ran
	 * while another session created a data object (seen in 16-csc). */
	pthread_mutex_t objects_mu;
	struct hsm_kent **buckets;
	size_t nbuckets, nkeys;
	uint8_t hashkey[16];
};

/** hsm_session_get(p, deadline, out): check out a free session, waiting
 * until ${deadline} (CLOCK_MONOTONIC; NULL = the pool's wait bound from
 * now). A session whose handle was lost is reopened here. 0, HK_EBUSY,
 * HK_ESTATE (forked child) or HK_E*. */
HK_MUST_CHECK int hsm_session_get(struct hsm_pool *p,
    const struct timespec *deadline, struct hsm_session **out);

/** hsm_session_put(p, s): return ${s} to the pool. */
void hsm_session_put(struct hsm_pool *p, struct hsm_session *s);

/** hsm_session_get_reserved(p, out): take the reserved session (waits
 * only for another reserved user), reopened if its handle was lost. 0,
 * HK_ESTATE (forked child) or HK_E*; on success the caller holds
 * reserved_mu until hsm_session_put_reserved(). */
HK_MUST_CHECK int hsm_session_get_reserved(struct hsm_pool *p,
    struct hsm_session **out);

/** hsm_session_put_reserved(p, s): give the reserved session back. */
void hsm_session_put_reserved(struct hsm_pool *p, struct hsm_session *s);

/** hsm_session_retire(p, s): replace ${s}'s handle with a new logged-in
 * session (opened before the old one is closed, so the slot never drops
 * to zero sessions: SoftHSM bug #464). On failure the handle is left
 * invalid and reopened at the next check-out. 0 or HK_E*. */
HK_MUST_CHECK int hsm_session_retire(struct hsm_pool *p,
    struct hsm_session *s);

/** hsm_session_relogin(p, s): log in again through ${s} after
 * CKR_USER_NOT_LOGGED_IN (CKR_USER_ALREADY_LOGGED_IN counts as success).
 * 0 or HK_EAUTH / HK_E*. */
HK_MUST_CHECK int hsm_session_relogin(struct hsm_pool *p,
    struct hsm_session *s);

/** hsm_session_recover(p, s, rv): after ${rv} from a call on ${s}, retire
 * the session or log in again if ${rv} calls for it. Returns true when
 * the caller should retry the operation once. */
bool hsm_session_recover(struct hsm_pool *p, struct hsm_session *s,
    CK_RV rv);

/** hsm_deadline(ts, ms): ${ts} = now (CLOCK_MONOTONIC) + ${ms}. */
void hsm_deadline(struct timespec *ts, unsigned ms);

/** hsm_pool_check(p): HK_ESTATE when called in a child forked after the
 * pool was made, else 0. */
HK_MUST_CHECK int hsm_pool_check(struct hsm_pool *p);

/** hsm_module_load(p, path): dlopen the PKCS#11 library at ${path} into
 * ${p}->dl and fetch ${p}->f. 0 or HK_ECONFIG (logged). */
HK_MUST_CHECK int hsm_module_load(struct hsm_pool *p, const char *path);

/** hsm_module_init(p, path): C_Initialize ${p}->f with OS locking and fill
 * ${p}->info's library fields; ${p}->initialised says whether this call
 * did it (and C_Finalize is then ours). 0 or HK_E*. */
HK_MUST_CHECK int hsm_module_init(struct hsm_pool *p, const char *path);

/** hsm_p11_str(dst, dstlen, src, srclen): a blank-padded PKCS#11 string
 * as a NUL-terminated one. */
void hsm_p11_str(char *dst, size_t dstlen, const unsigned char *src,
    size_t srclen);

/** hsm_pin_read(path, pin, pinlen): read the PIN file at ${path} into
 * ${pin} (HSM_PIN_MAX bytes, caller-provided, e.g. sodium_malloc'd). The
 * file must be a regular file with no group or other permission bits;
 * one trailing "\n" or "\r\n" is dropped. 0, HK_EDENIED (mode), HK_EIO,
 * HK_EINVAL (empty, or not a regular file) or HK_ETOOBIG. Never logs the
 * PIN. */
HK_MUST_CHECK int hsm_pin_read(const char *path, uint8_t *pin,
    size_t *pinlen);

/* One attempt at an operation on a session, for hsm_session_run(): returns
 * the CK_RV of the first call that failed and sets *fn to its name. */
typedef CK_RV (*hsm_op_fn)(struct hsm_pool *p, struct hsm_session *s,
    void *ctx, const char **fn);

/** hsm_session_run(p, s, op, ctx, retry, where): run ${op} on ${s}. On a
 * failure that retires the session or drops the login, recover and, if
 * ${retry} (operations without side effects), run it again, at most three
 * times in all. Other failures are logged under ${where} with the CKR
 * name and mapped. 0 or HK_E*. */
HK_MUST_CHECK int hsm_session_run(struct hsm_pool *p, struct hsm_session *s,
    hsm_op_fn op, void *ctx, bool retry, const char *where);

/** hsm_obj_find(p, s, cls, id, idlen, out, max, n): up to ${max} handles
 * of objects of class ${cls} (any class if ${cls} is
 * CK_UNAVAILABLE_INFORMATION) with CKA_ID ${id}, retrying as
 * hsm_session_run() does. *${n} = number found (may exceed ${max}: then
 * only ${max} are stored). 0 or HK_E*. */
HK_MUST_CHECK int hsm_obj_find(struct hsm_pool *p, struct hsm_session *s,
    CK_OBJECT_CLASS cls, const uint8_t *id, size_t idlen,
    CK_OBJECT_HANDLE *out, CK_ULONG max, CK_ULONG *n);

/** hsm_obj_find_by(p, s, t, nt, out, max, n): as hsm_obj_find() for the
 * search template ${t}[0..nt). */
HK_MUST_CHECK int hsm_obj_find_by(struct hsm_pool *p, struct hsm_session *s,
    CK_ATTRIBUTE *t, CK_ULONG nt, CK_OBJECT_HANDLE *out, CK_ULONG max,
    CK_ULONG *n);

/** hsm_obj_attrs(p, s, h, t, n): C_GetAttributeValue of the template
 * ${t}[0..n) on ${h}, retrying as hsm_session_run() does. Attributes the
 * object lacks or hides come back with ulValueLen =
 * CK_UNAVAILABLE_INFORMATION (not an error). 0 or HK_E*. */
HK_MUST_CHECK int hsm_obj_attrs(struct hsm_pool *p, struct hsm_session *s,
    CK_OBJECT_HANDLE h, CK_ATTRIBUTE *t, CK_ULONG n);

/** hsm_obj_destroy(p, s, h): C_DestroyObject(${h}). 0 or HK_E*. */
HK_MUST_CHECK int hsm_obj_destroy(struct hsm_pool *p, struct hsm_session *s,
    CK_OBJECT_HANDLE h);

/** hsm_obj_label(label, id, buf): ${label}, or "hanko-" and the hex of
 * ${id} when NULL, into ${buf} (HSM_LABEL_MAX + 1 bytes). HK_EINVAL if
 * ${label} is empty or longer than HSM_LABEL_MAX. */
HK_MUST_CHECK int hsm_obj_label(const char *label,
    const uint8_t id[static HSM_KEYID_LEN], char *buf);

/** hsm_key_cache_init(p) / hsm_key_cache_free(p): the id -> handle
 * cache. */
HK_MUST_CHECK int hsm_key_cache_init(struct hsm_pool *p);
void hsm_key_cache_free(struct hsm_pool *p);

/** hsm_key_run_job(p, j): run the signing job ${j} on a worker thread and
 * call its callback. */
void hsm_key_run_job(struct hsm_pool *p, struct hsm_job *j);

#endif
