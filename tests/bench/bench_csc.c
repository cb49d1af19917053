/* SPDX-License-Identifier: Apache-2.0 */
/*
 * bench_csc: the CSC v2 signing path of a running hankod measured against
 * the raw PKCS#11 module, in one run (issue 6; docs/benchmarks.md,
 * "Signing (issue 6)"). It measures:
 *
 *   raw     T threads (T = the daemon's [hsm] sessions, the size of its
 *           HSM pool), one session each, C_SignInit + C_Sign in a loop,
 *           on the very key object of a benchmark credential (a P-256
 *           token key in the daemon's own token), with the process CPU
 *           time per signature: the module's cost;
 *   e2e     N keep-alive TLS connections to the signing listener, each
 *           logged in (auth/login) and calling signatures/signHash with
 *           batches of B hashes (B = 1 and 16 by default) as fast as the
 *           answers come (closed loop), with SADs obtained beforehand
 *           (see "Authorisation" below); signatures/s, the ratio to raw,
 *           signHash latency p50/p99/max, and the CPU of hankod's core
 *           and front processes (/proc/PID/stat) per signature;
 *   paced   the same at a fixed fraction (70%) of the measured maximum,
 *           open loop (each connection sends on a fixed schedule and the
 *           latency counts from the scheduled time, so a stall is not
 *           hidden by the client waiting for it);
 *   authz   credentials/authorize per second (argon2id PIN verification
 *           in the core), closed loop on N connections;
 *   txn     whole transactions as a plain CSC client makes them:
 *           credentials/authorize for B hashes, then signHash of the B.
 *
 * Raw and e2e take turns (raw, B=1, B=16, raw, ...) for --rounds rounds:
 * this 2-vCPU VM shares its host, and interleaving spreads a slow spell
 * over both sides of each ratio.
 *
 * Authorisation. Every signHash needs a SAD from credentials/authorize,
 * which verifies the PIN with argon2id (tens of milliseconds of CPU). To
 * measure the signing path rather than argon2id, the benchmark uses level
 * 1 credentials (PIN only: a level 2 TOTP step is accepted once per
 * credential, so level 2 authorisations are capped at a few per 30 s) and
 * authorises each SAD for many hashes at once (numSignatures = the
 * credential's multisign, at most 1024 and --sad-hashes), outside the
 * timed window; signHash then consumes the SAD batch by batch, which
 * docs/csc-api.md allows ("more hashes than the SAD has left"). The
 * authorisation rate is measured on its own (authz).
 *
 * CPU per signature excluding the module: the module runs inside the
 * core process, so (core + front CPU during a run) / signatures minus the
 * raw loop's process CPU per signature (same module, same key, same
 * thread count) estimates what Hanko itself spends. The client's own CPU
 * per signature is reported too: it shares the two cores with hankod.
 *
 *   bench_csc --state DIR --creds FILE [--pid PID] [--ca PEM]
 *             [--conns 32] [--duration 1] [--rounds 10] [--batches 1,16]
 *             [--load 0.7] [--authz-duration 5] [--authz-conns N]
 *             [--sad-hashes 1024] [--sign-algo OID] [--raw-only yes]
 *             [--client-threads 1] [--paced-duration S]
 * --creds lists the benchmark credentials, one per line, tab-separated:
 * signer id, login password, credential id, PIN, key id (32 hex digits);
 * tests/bench/bench_csc.py makes a throwaway appliance with such
 * credentials and runs this program. Output: Markdown on stdout.
 */
#include <ctype.h>
#include <dirent.h>
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>
#include <openssl/crypto.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <p11-kit/pkcs11.h>

#include "core/cli.h"
#include "core/config.h"
#include "ledger/ledger_internal.h"

#define MAXCONN 512
#define MAXCRED 64
#define MAXBATCH 1024
#define MAXRAW 64
#define HASH_B64 48 /* stride of a stored Base64 SHA-256 (44 + NUL) */
#define OID_SHA256 "2.16.840.1.101.3.4.2.1"
#define OID_ECDSA_SHA256 "1.2.840.10045.4.3.2"

/* ---- small helpers --------------------------------------------------- */

static double
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static double
cpu_self(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void
sleep_until(double t)
{
	struct timespec ts;

	ts.tv_sec = (time_t)t;
	ts.tv_nsec = (long)((t - (double)ts.tv_sec) * 1e9);
	while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) ==
	    EINTR)
		;
}

static void
die(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));

static void
die(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "bench_csc: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(2);
}

static int
cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* Percentile ${q} (0..1) of the sorted ${v}, nearest rank. */
static double
pct(const double *v, size_t n, double q)
{
	size_t i;

	if (n == 0)
		return NAN;
	i = (size_t)ceil(q * (double)n);
	return v[i == 0 ? 0 : i - 1];
}

/* ---- hankod's processes and their CPU ---------------------------------- */

/* utime + stime of /proc/${path}/stat in seconds; -1 if unreadable. */
static double
stat_cpu(const char *path)
{
	char buf[1024], *p;
	unsigned long ut, st;
	FILE *f;
	size_t n;

	if ((f = fopen(path, "r")) == NULL)
		return -1;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	/* The command name is in parentheses and may hold spaces. */
	if ((p = strrchr(buf, ')')) == NULL)
		return -1;
	/* After ")": state(3) ppid(4) ... utime(14) stime(15). */
	if (sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu",
		&ut, &st) != 2)
		return -1;
	return (double)(ut + st) / (double)sysconf(_SC_CLK_TCK);
}

static double
pid_cpu(pid_t pid)
{
	char path[64];

	if (pid <= 0)
		return 0;
	snprintf(path, sizeof(path), "/proc/%ld/stat", (long)pid);
	return stat_cpu(path);
}

/* The parent pid of ${pid}, or -1. */
static pid_t
pid_ppid(pid_t pid)
{
	char path[64], buf[1024], *p;
	long pp;
	FILE *f;
	size_t n;

	snprintf(path, sizeof(path), "/proc/%ld/stat", (long)pid);
	if ((f = fopen(path, "r")) == NULL)
		return -1;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	if ((p = strrchr(buf, ')')) == NULL || sscanf(p + 2, "%*c %ld", &pp) != 1)
		return -1;
	return (pid_t)pp;
}

/* Whether /proc/${pid}/cmdline runs hankod with --state ${state}. */
static bool
is_hankod(pid_t pid, const char *state)
{
	char path[64], buf[4096];
	bool name = false, st = false;
	size_t n, i;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%ld/cmdline", (long)pid);
	if ((f = fopen(path, "r")) == NULL)
		return false;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	for (i = 0; i < n; i += strlen(buf + i) + 1) {
		const char *base = strrchr(buf + i, '/');

		if (i == 0 || !name)
			name = name ||
			    strcmp(base ? base + 1 : buf + i, "hankod") == 0;
		if (strcmp(buf + i, state) == 0)
			st = true;
	}
	return name && st;
}

/* Find the core (the hankod whose parent is not hankod) and the front
 * (its child) of the daemon serving ${state}, unless *${core} is given. */
static void
find_daemon(const char *state, pid_t *core, pid_t *front)
{
	DIR *d = opendir("/proc");
	struct dirent *e;
	pid_t p;

	*front = -1;
	if (d == NULL)
		return;
	while ((e = readdir(d)) != NULL) {
		if (!isdigit((unsigned char)e->d_name[0]))
			continue;
		p = (pid_t)atol(e->d_name);
		if (!is_hankod(p, state))
			continue;
		if (*core <= 0 && !is_hankod(pid_ppid(p), state))
			*core = p;
	}
	rewinddir(d);
	while ((e = readdir(d)) != NULL) {
		if (!isdigit((unsigned char)e->d_name[0]))
			continue;
		p = (pid_t)atol(e->d_name);
		if (*core > 0 && pid_ppid(p) == *core)
			*front = p;
	}
	closedir(d);
}

/* The machine's busy and stolen CPU seconds since boot (/proc/stat). */
static void
machine_cpu(double *busy, double *steal)
{
	unsigned long long v[8] = {0};
	FILE *f = fopen("/proc/stat", "r");
	double hz = (double)sysconf(_SC_CLK_TCK);

	*busy = *steal = 0;
	if (f == NULL)
		return;
	/* cpu user nice system idle iowait irq softirq steal */
	if (fscanf(f, "cpu %llu %llu %llu %llu %llu %llu %llu %llu", &v[0],
		&v[1], &v[2], &v[3], &v[4], &v[5], &v[6], &v[7]) == 8) {
		*busy = (double)(v[0] + v[1] + v[2] + v[5] + v[6]) / hz;
		*steal = (double)v[7] / hz;
	}
	fclose(f);
}

/* CPU seconds of every thread of ${pid}, for a per-thread breakdown. */
struct tcpu {
	size_t n;
	long tid[256];
	double cpu[256];
	char name[256][16]; /* the thread's comm */
};

static void
threads_cpu(pid_t pid, struct tcpu *t)
{
	char path[64], p2[400];
	struct dirent *e;
	DIR *d;

	t->n = 0;
	snprintf(path, sizeof(path), "/proc/%ld/task", (long)pid);
	if ((d = opendir(path)) == NULL)
		return;
	while ((e = readdir(d)) != NULL && t->n < 256) {
		if (!isdigit((unsigned char)e->d_name[0]))
			continue;
		FILE *f;

		snprintf(p2, sizeof(p2), "%s/%s/stat", path, e->d_name);
		t->tid[t->n] = atol(e->d_name);
		t->cpu[t->n] = stat_cpu(p2);
		t->name[t->n][0] = '\0';
		snprintf(p2, sizeof(p2), "%s/%s/comm", path, e->d_name);
		if ((f = fopen(p2, "r")) != NULL) {
			if (fgets(t->name[t->n], sizeof(t->name[0]), f) != NULL)
				t->name[t->n][strcspn(t->name[t->n], "\n")] =
				    '\0';
			fclose(f);
		}
		t->n++;
	}
	closedir(d);
}

/* ---- configuration and credentials ------------------------------------ */

struct cred {
	char sid[64], password[256], cid[64], pin[64];
	uint8_t keyid[16];
};

struct bench {
	const char *state, *ca;
	struct hk_config cfg;
	struct cred creds[MAXCRED];
	unsigned ncreds;
	pid_t core, front;
	unsigned conns, rounds, authz_conns, sad_hashes;
	unsigned client_threads; /* 0: one blocking thread per connection */
	double duration, load, authz_duration, paced_duration;
	unsigned batches[8], nbatches;
	const char *sign_algo;
	SSL_CTX *tls;
	struct sockaddr_storage addr;
	socklen_t addrlen;
	unsigned multisign;
	EVP_PKEY *pub; /* the first credential's public key, for a check */
	struct ledger *ledger; /* the daemon's, read-only: commit counts */
};

static int
hexval(int c)
{
	return c >= '0' && c <= '9' ? c - '0' :
	    c >= 'a' && c <= 'f'    ? c - 'a' + 10 :
	    c >= 'A' && c <= 'F'    ? c - 'A' + 10 :
				      -1;
}

static void
load_creds(struct bench *b, const char *path)
{
	char line[1024], *f[5], *save;
	FILE *fp = fopen(path, "r");
	unsigned i;

	if (fp == NULL)
		die("%s: %s", path, strerror(errno));
	while (fgets(line, sizeof(line), fp) != NULL && b->ncreds < MAXCRED) {
		struct cred *c = &b->creds[b->ncreds];

		line[strcspn(line, "\n")] = '\0';
		if (line[0] == '\0' || line[0] == '#')
			continue;
		f[0] = strtok_r(line, "\t", &save);
		for (i = 1; i < 5; i++)
			f[i] = f[i - 1] ? strtok_r(NULL, "\t", &save) : NULL;
		if (f[4] == NULL || strlen(f[4]) != 32)
			die("%s: want sid, password, cid, pin, key id", path);
		snprintf(c->sid, sizeof(c->sid), "%s", f[0]);
		snprintf(c->password, sizeof(c->password), "%s", f[1]);
		snprintf(c->cid, sizeof(c->cid), "%s", f[2]);
		snprintf(c->pin, sizeof(c->pin), "%s", f[3]);
		for (i = 0; i < 16; i++) {
			int h = hexval(f[4][2 * i]), l = hexval(f[4][2 * i + 1]);

			if (h < 0 || l < 0)
				die("%s: bad key id", path);
			c->keyid[i] = (uint8_t)(h << 4 | l);
		}
		b->ncreds++;
	}
	fclose(fp);
	if (b->ncreds == 0)
		die("%s: no credentials", path);
}

/* ---- raw PKCS#11 ------------------------------------------------------- */

struct raw {
	CK_FUNCTION_LIST *f;
	CK_SLOT_ID slot;
	unsigned threads;
	CK_SESSION_HANDLE s[MAXRAW];
	CK_OBJECT_HANDLE key[MAXRAW];
	char library[80], token[33];
	/* One slice. */
	double t_end;
	atomic_ulong done;
	atomic_int errors;
	/* Totals over all slices. */
	double sigs, secs, cpu;
	double slice_rate[32], slice_other[32];
	unsigned nslices;
	/* The ledger's Ed25519 checkpoint key, signed with on one thread
	 * (the ledger writer signs one checkpoint at a time). */
	CK_OBJECT_HANDLE cpkey;
	bool has_cpkey;
	double ed_sigs, ed_cpu, ed_secs;
};

struct raw_arg {
	struct raw *r;
	unsigned i;
};

static void
trim32(char *dst, const unsigned char *src, size_t n)
{
	memcpy(dst, src, n);
	dst[n] = '\0';
	while (n > 0 && dst[n - 1] == ' ')
		dst[--n] = '\0';
}

/* Open the daemon's token in this process: C_Initialize, find the token,
 * log in once, open one session per thread and find the key object. */
static void
raw_open(struct bench *b, struct raw *r)
{
	CK_RV (*get)(CK_FUNCTION_LIST_PTR_PTR);
	CK_C_INITIALIZE_ARGS args;
	CK_SLOT_ID slots[64];
	CK_ULONG n = 64, i, got;
	CK_TOKEN_INFO ti;
	CK_INFO info;
	CK_OBJECT_CLASS cls = CKO_PRIVATE_KEY;
	CK_ATTRIBUTE t[] = {{CKA_CLASS, &cls, sizeof(cls)},
	    {CKA_ID, b->creds[0].keyid, 16}};
	char pin[256], label[33];
	size_t pinlen;
	bool found = false;
	FILE *fp;
	void *dl;
	CK_RV rv;

	if (b->cfg.softhsm_conf[0] != '\0')
		setenv("SOFTHSM2_CONF", b->cfg.softhsm_conf, 1);
	if ((dl = dlopen(b->cfg.hsm_module, RTLD_NOW | RTLD_LOCAL)) == NULL)
		die("dlopen %s: %s", b->cfg.hsm_module, dlerror());
	*(void **)&get = dlsym(dl, "C_GetFunctionList");
	if (get == NULL || get(&r->f) != CKR_OK)
		die("%s: no C_GetFunctionList", b->cfg.hsm_module);
	memset(&args, 0, sizeof(args));
	args.flags = CKF_OS_LOCKING_OK;
	if ((rv = r->f->C_Initialize(&args)) != CKR_OK)
		die("C_Initialize: 0x%lx", (unsigned long)rv);
	if (r->f->C_GetInfo(&info) == CKR_OK) {
		char man[33], desc[33];

		trim32(man, info.manufacturerID, 32);
		trim32(desc, info.libraryDescription, 32);
		snprintf(r->library, sizeof(r->library), "%s %s %u.%u", man,
		    desc, info.libraryVersion.major,
		    info.libraryVersion.minor);
	}
	r->f->C_GetSlotList(CK_TRUE, slots, &n);
	for (i = 0; i < n && !found; i++) {
		if (r->f->C_GetTokenInfo(slots[i], &ti) != CKR_OK)
			continue;
		trim32(label, ti.label, 32);
		if (strcmp(label, b->cfg.hsm_token) == 0) {
			r->slot = slots[i];
			found = true;
		}
	}
	if (!found)
		die("token \"%s\" not found", b->cfg.hsm_token);
	snprintf(r->token, sizeof(r->token), "%s", b->cfg.hsm_token);
	if ((fp = fopen(b->cfg.hsm_pin_file, "r")) == NULL)
		die("%s: %s", b->cfg.hsm_pin_file, strerror(errno));
	pinlen = fread(pin, 1, sizeof(pin) - 1, fp);
	fclose(fp);
	while (pinlen > 0 && (pin[pinlen - 1] == '\n' || pin[pinlen - 1] == '\r'))
		pinlen--;
	for (i = 0; i < r->threads; i++) {
		if ((rv = r->f->C_OpenSession(r->slot,
			 CKF_SERIAL_SESSION | CKF_RW_SESSION, NULL, NULL,
			 &r->s[i])) != CKR_OK)
			die("C_OpenSession: 0x%lx", (unsigned long)rv);
		if (i == 0 && (rv = r->f->C_Login(r->s[0], CKU_USER,
				   (CK_UTF8CHAR *)pin, (CK_ULONG)pinlen)) !=
			CKR_OK && rv != CKR_USER_ALREADY_LOGGED_IN)
			die("C_Login: 0x%lx", (unsigned long)rv);
		got = 0;
		if (r->f->C_FindObjectsInit(r->s[i], t, 2) != CKR_OK ||
		    r->f->C_FindObjects(r->s[i], &r->key[i], 1, &got) !=
			CKR_OK ||
		    r->f->C_FindObjectsFinal(r->s[i]) != CKR_OK || got != 1)
			die("the credential's key is not in the token");
	}
	/* The checkpoint key, by the CKA_ID in hanko.conf. */
	{
		CK_ATTRIBUTE ct[] = {{CKA_CLASS, &cls, sizeof(cls)},
		    {CKA_ID, b->cfg.checkpoint_key, 16}};

		got = 0;
		if (r->f->C_FindObjectsInit(r->s[0], ct, 2) == CKR_OK &&
		    r->f->C_FindObjects(r->s[0], &r->cpkey, 1, &got) ==
			CKR_OK &&
		    r->f->C_FindObjectsFinal(r->s[0]) == CKR_OK && got == 1)
			r->has_cpkey = true;
	}
	OPENSSL_cleanse(pin, sizeof(pin));
}

/* ${secs} of Ed25519 signatures with the checkpoint key on one thread
 * (C_SignInit + C_Sign of a checkpoint-sized text, as the ledger writer
 * makes them): the module's CPU per checkpoint signature. */
static void
ed_slice(struct raw *r, double secs)
{
	CK_MECHANISM m = {CKM_EDDSA, NULL, 0};
	unsigned char msg[120], sig[64];
	CK_ULONG sl;
	double t0 = now(), t_end, c0 = cpu_self();
	unsigned long n = 0;

	if (!r->has_cpkey)
		return;
	memset(msg, 'c', sizeof(msg));
	for (t_end = t0 + secs; now() < t_end; n++) {
		sl = sizeof(sig);
		if (r->f->C_SignInit(r->s[0], &m, r->cpkey) != CKR_OK ||
		    r->f->C_Sign(r->s[0], msg, sizeof(msg), sig, &sl) !=
			CKR_OK)
			die("raw Ed25519 C_Sign failed");
	}
	r->ed_cpu += cpu_self() - c0;
	r->ed_secs += now() - t0;
	r->ed_sigs += (double)n;
}

static void *
raw_thread(void *arg)
{
	struct raw_arg *a = arg;
	struct raw *r = a->r;
	CK_MECHANISM m = {CKM_ECDSA, NULL, 0};
	CK_BYTE dg[32], sig[256];
	CK_ULONG siglen;
	unsigned long n = 0;

	RAND_bytes(dg, sizeof(dg));
	while (now() < r->t_end) {
		siglen = sizeof(sig);
		if (r->f->C_SignInit(r->s[a->i], &m, r->key[a->i]) != CKR_OK ||
		    r->f->C_Sign(r->s[a->i], dg, sizeof(dg), sig, &siglen) !=
			CKR_OK) {
			atomic_fetch_add(&r->errors, 1);
			break;
		}
		n++;
	}
	atomic_fetch_add(&r->done, n);
	return NULL;
}

/* One raw slice of ${secs}: T threads sign until the deadline. */
static void
raw_slice(struct raw *r, double secs)
{
	pthread_t th[MAXRAW];
	struct raw_arg a[MAXRAW];
	double t0, c0, t1, c1, m0, m1, st;
	unsigned i;

	atomic_store(&r->done, 0);
	machine_cpu(&m0, &st);
	c0 = cpu_self();
	t0 = now();
	r->t_end = t0 + secs;
	for (i = 0; i < r->threads; i++) {
		a[i].r = r;
		a[i].i = i;
		pthread_create(&th[i], NULL, raw_thread, &a[i]);
	}
	for (i = 0; i < r->threads; i++)
		pthread_join(th[i], NULL);
	t1 = now();
	c1 = cpu_self();
	machine_cpu(&m1, &st);
	r->cpu += c1 - c0;
	r->sigs += (double)atomic_load(&r->done);
	r->secs += t1 - t0;
	if (r->nslices < 32) {
		r->slice_other[r->nslices] = (m1 - m0 - (c1 - c0)) / (t1 - t0);
		r->slice_rate[r->nslices++] =
		    (double)atomic_load(&r->done) / (t1 - t0);
	}
	if (atomic_load(&r->errors))
		die("raw C_Sign failed");
}

/* ---- TLS connections and HTTP/1.1 ------------------------------------- */

struct sad {
	char sad[128];
	unsigned n, used;
	char *b64; /* n hashes, HASH_B64 bytes apart */
	double t;  /* when it was issued */
};

struct conn {
	struct bench *b;
	unsigned idx;
	const struct cred *cred;
	int fd;
	SSL *ssl;
	char token[256];
	char *in;
	size_t inlen, incap;
	char *out;
	size_t outcap;
	/* SADs waiting to be used, oldest first. */
	struct sad *sads;
	size_t nsads, capsads, cursad;
	/* Results of the current run. */
	double *lat, *svc;
	size_t nlat, caplat;
	unsigned long sigs, reqs;
	double starved; /* time the SADs ran out, 0 if they did not */
	int failed;
	char err[256];
};

static void
conn_fail(struct conn *c, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void
conn_fail(struct conn *c, const char *fmt, ...)
{
	va_list ap;

	if (c->failed++)
		return;
	va_start(ap, fmt);
	vsnprintf(c->err, sizeof(c->err), fmt, ap);
	va_end(ap);
}

static void
conn_close(struct conn *c)
{
	if (c->ssl != NULL) {
		SSL_shutdown(c->ssl);
		SSL_free(c->ssl);
		c->ssl = NULL;
	}
	if (c->fd >= 0)
		close(c->fd);
	c->fd = -1;
}

static int
conn_open(struct conn *c)
{
	struct bench *b = c->b;
	int one = 1;

	conn_close(c);
	c->inlen = 0;
	if ((c->fd = socket(b->addr.ss_family, SOCK_STREAM, 0)) < 0)
		return -1;
	setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	if (connect(c->fd, (struct sockaddr *)&b->addr, b->addrlen) != 0)
		return -1;
	if ((c->ssl = SSL_new(b->tls)) == NULL)
		return -1;
	SSL_set_fd(c->ssl, c->fd);
	SSL_set_tlsext_host_name(c->ssl, "localhost");
	if (SSL_set1_host(c->ssl, "localhost") != 1)
		return -1;
	ERR_clear_error();
	if (SSL_connect(c->ssl) != 1) {
		ERR_print_errors_fp(stderr);
		return -1;
	}
	return 0;
}

static int
io_write(struct conn *c, const char *p, size_t n)
{
	int w;

	while (n > 0) {
		ERR_clear_error();
		if ((w = SSL_write(c->ssl, p, (int)n)) <= 0)
			return -1;
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

/* Room for 16 KiB more (and a NUL) in c->in. */
static void
in_room(struct conn *c)
{
	if (c->incap - c->inlen < 16384) {
		c->incap = c->incap ? 2 * c->incap : 65536;
		if ((c->in = realloc(c->in, c->incap)) == NULL)
			die("out of memory");
	}
}

/* The head of the answer in c->in, once all of it is in: its length with
 * the blank line in *${hl}, the status, the body's Content-Length and
 * whether the server closes after it. 1, 0 (read more) or -1 (no status
 * line). */
static int
answer_head(const struct conn *c, size_t *hl, int *status, size_t *clen,
    bool *close_after)
{
	const char *hend, *p;

	*clen = 0;
	*close_after = false;
	if (c->inlen == 0 || (hend = strstr(c->in, "\r\n\r\n")) == NULL)
		return 0;
	*hl = (size_t)(hend - c->in) + 4;
	if (sscanf(c->in, "HTTP/1.%*c %d", status) != 1)
		return -1;
	for (p = strstr(c->in, "\r\n"); p != NULL && p < hend;
	     p = strstr(p + 2, "\r\n")) {
		if (strncasecmp(p + 2, "Content-Length:", 15) == 0)
			*clen = (size_t)strtoul(p + 17, NULL, 10);
		else if (strncasecmp(p + 2, "Connection: close", 17) == 0)
			*close_after = true;
	}
	return 1;
}

/* Read more into c->in; -1 at EOF or error. */
static int
io_read(struct conn *c)
{
	int n;

	in_room(c);
	ERR_clear_error();
	n = SSL_read(c->ssl, c->in + c->inlen, (int)(c->incap - c->inlen - 1));
	if (n <= 0)
		return -1;
	c->inlen += (size_t)n;
	c->in[c->inlen] = '\0';
	return 0;
}

/* One request on the connection (reopened if the server closed it):
 * ${auth} is a complete Authorization value or NULL. The answer's body is
 * in c->in at *${body} (NUL-terminated) until the next call; *${status}
 * is the HTTP status. 0 or -1 (I/O failure, already recorded). */
static int
http_call(struct conn *c, const char *method, const char *path,
    const char *auth, const char *body, size_t len, int *status,
    const char **rbody, size_t *rlen)
{
	char head[1024];
	size_t clen, hl;
	int n, h, tries;
	bool close_after;

	for (tries = 0; tries < 2; tries++) {
		if (c->ssl == NULL && conn_open(c) != 0) {
			conn_fail(c, "cannot connect");
			return -1;
		}
		n = snprintf(head, sizeof(head),
		    "%s %s HTTP/1.1\r\nHost: localhost\r\n%s%s%s"
		    "Content-Type: application/json\r\nContent-Length: %zu"
		    "\r\n\r\n",
		    method, path, auth ? "Authorization: " : "",
		    auth ? auth : "", auth ? "\r\n" : "", len);
		if (n < 0 || (size_t)n >= sizeof(head))
			die("request head too long");
		/* One write for head and body: one TLS record, one segment. */
		if ((size_t)n + len > c->outcap) {
			c->outcap = (size_t)n + len + 4096;
			if ((c->out = realloc(c->out, c->outcap)) == NULL)
				die("out of memory");
		}
		memcpy(c->out, head, (size_t)n);
		memcpy(c->out + n, body, len);
		/* The previous answer is still in the buffer: empty it. */
		c->inlen = 0;
		if (c->in != NULL)
			c->in[0] = '\0';
		if (io_write(c, c->out, (size_t)n + len) == 0)
			break;
		/* The server closed an idle keep-alive connection. */
		conn_close(c);
	}
	if (tries == 2) {
		conn_fail(c, "write failed");
		return -1;
	}
	while ((h = answer_head(c, &hl, status, &clen, &close_after)) == 0)
		if (io_read(c) != 0) {
			conn_fail(c, "connection closed before the answer");
			conn_close(c);
			return -1;
		}
	if (h < 0) {
		conn_fail(c, "bad status line");
		conn_close(c);
		return -1;
	}
	while (c->inlen < hl + clen)
		if (io_read(c) != 0) {
			conn_fail(c, "connection closed in the body");
			conn_close(c);
			return -1;
		}
	c->in[hl + clen] = '\0';
	*rbody = c->in + hl;
	*rlen = clen;
	if (close_after)
		conn_close(c);
	return 0;
}

/* A JSON call that must answer 200: the parsed answer, or NULL (failure
 * recorded with the server's error_description). */
static json_t *
json_call(struct conn *c, const char *path, const char *auth,
    const char *body, size_t len)
{
	const char *rb;
	size_t rl;
	int st;
	json_t *j;

	if (http_call(c, "POST", path, auth, body, len, &st, &rb, &rl) != 0)
		return NULL;
	j = json_loadb(rb, rl, 0, NULL);
	if (st != 200) {
		const char *d = j ? json_string_value(json_object_get(j,
					"error_description")) : NULL;

		conn_fail(c, "%s: %d %s", path, st, d ? d : rb);
		json_decref(j);
		return NULL;
	}
	if (j == NULL)
		conn_fail(c, "%s: not JSON", path);
	return j;
}

static char *
basic_auth(const struct cred *cr)
{
	char up[400];
	unsigned char enc[600];
	char *out;
	int n;

	snprintf(up, sizeof(up), "%s:%s", cr->sid, cr->password);
	n = EVP_EncodeBlock(enc, (unsigned char *)up, (int)strlen(up));
	OPENSSL_cleanse(up, sizeof(up));
	if ((out = malloc((size_t)n + 8)) == NULL)
		die("out of memory");
	snprintf(out, (size_t)n + 8, "Basic %s", enc);
	return out;
}

static int
conn_login(struct conn *c)
{
	char *auth = basic_auth(c->cred);
	json_t *j = json_call(c, "/csc/v2/auth/login", auth, "{}", 2);
	const char *tok;

	free(auth);
	if (j == NULL)
		return -1;
	tok = json_string_value(json_object_get(j, "access_token"));
	if (tok == NULL || strlen(tok) > sizeof(c->token) - 8) {
		conn_fail(c, "login: no access_token");
		json_decref(j);
		return -1;
	}
	snprintf(c->token, sizeof(c->token), "Bearer %s", tok);
	json_decref(j);
	return 0;
}

/* ---- request bodies ---------------------------------------------------- */

struct sbuf {
	char *p;
	size_t len, cap;
};

static void
sb_add(struct sbuf *s, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void
sb_add(struct sbuf *s, const char *fmt, ...)
{
	va_list ap;
	int n;

	for (;;) {
		va_start(ap, fmt);
		n = vsnprintf(s->p ? s->p + s->len : NULL,
		    s->p ? s->cap - s->len : 0, fmt, ap);
		va_end(ap);
		if (n < 0)
			die("vsnprintf");
		if (s->p != NULL && (size_t)n < s->cap - s->len) {
			s->len += (size_t)n;
			return;
		}
		s->cap = s->cap * 2 + (size_t)n + 256;
		if ((s->p = realloc(s->p, s->cap)) == NULL)
			die("out of memory");
	}
}

static void
hashes_json(struct sbuf *s, const char *b64, unsigned n)
{
	unsigned i;

	sb_add(s, "\"hashes\":[");
	for (i = 0; i < n; i++)
		sb_add(s, "%s\"%s\"", i ? "," : "", b64 + (size_t)i * HASH_B64);
	sb_add(s, "]");
}

/* ${n} fresh random SHA-256-sized hashes, Base64, HASH_B64 apart. */
static char *
random_hashes(unsigned n)
{
	char *b64 = malloc((size_t)n * HASH_B64);
	unsigned char h[32];
	unsigned i;

	if (b64 == NULL)
		die("out of memory");
	for (i = 0; i < n; i++) {
		RAND_bytes(h, sizeof(h));
		EVP_EncodeBlock((unsigned char *)b64 + (size_t)i * HASH_B64, h,
		    32);
	}
	return b64;
}

/* credentials/authorize for ${n} hashes (${b64}); the SAD into ${out}.
 * 0 or -1 (recorded). */
static int
authorize(struct conn *c, const char *b64, unsigned n, char *out,
    size_t outlen)
{
	struct sbuf s = {NULL, 0, 0};
	const char *sad;
	json_t *j;

	sb_add(&s, "{\"credentialID\":\"%s\",\"numSignatures\":%u,",
	    c->cred->cid, n);
	hashes_json(&s, b64, n);
	sb_add(&s, ",\"hashAlgorithmOID\":\"" OID_SHA256 "\",\"authData\":"
		   "[{\"id\":\"PIN\",\"value\":\"%s\"}]}",
	    c->cred->pin);
	j = json_call(c, "/csc/v2/credentials/authorize", c->token, s.p,
	    s.len);
	OPENSSL_cleanse(s.p, s.len);
	free(s.p);
	if (j == NULL)
		return -1;
	sad = json_string_value(json_object_get(j, "SAD"));
	if (sad == NULL || strlen(sad) >= outlen) {
		conn_fail(c, "authorize: no SAD");
		json_decref(j);
		return -1;
	}
	snprintf(out, outlen, "%s", sad);
	json_decref(j);
	return 0;
}

/* signatures/signHash of ${n} hashes under ${sad}; the answer's signatures
 * in *${sigs} (caller json_decref) when ${sigs} is not NULL. 0 or -1. */
static int
sign_hash(struct conn *c, const char *sad, const char *b64, unsigned n,
    json_t **sigs)
{
	struct sbuf s = {NULL, 0, 0};
	json_t *j, *a;
	int r = -1;

	sb_add(&s, "{\"credentialID\":\"%s\",\"SAD\":\"%s\",", c->cred->cid,
	    sad);
	hashes_json(&s, b64, n);
	sb_add(&s, ",\"hashAlgorithmOID\":\"" OID_SHA256 "\",\"signAlgo\":"
		   "\"%s\"}",
	    c->b->sign_algo);
	j = json_call(c, "/csc/v2/signatures/signHash", c->token, s.p, s.len);
	free(s.p);
	if (j == NULL)
		return -1;
	a = json_object_get(j, "signatures");
	if (!json_is_array(a) || json_array_size(a) != n) {
		conn_fail(c, "signHash: %zu signatures for %u hashes",
		    json_is_array(a) ? json_array_size(a) : 0, n);
	} else {
		r = 0;
		if (sigs != NULL)
			*sigs = json_incref(a);
	}
	json_decref(j);
	return r;
}

/* ---- the SAD supply ------------------------------------------------------ */

static void
sad_drop_used(struct conn *c, double max_age)
{
	size_t i, k = 0;
	double t = now();

	for (i = 0; i < c->nsads; i++) {
		struct sad *s = &c->sads[i];

		if (s->used >= s->n || t - s->t > max_age) {
			free(s->b64);
			continue;
		}
		c->sads[k++] = *s;
	}
	c->nsads = k;
	c->cursad = 0;
}

static unsigned
sad_left(const struct conn *c)
{
	unsigned n = 0;
	size_t i;

	for (i = 0; i < c->nsads; i++)
		n += c->sads[i].n - c->sads[i].used;
	return n;
}

/* Authorise SADs of ${per} hashes until ${want} hashes are available. */
static int
sad_fill(struct conn *c, unsigned want, unsigned per)
{
	while (sad_left(c) < want) {
		struct sad *s;

		if (c->nsads == c->capsads) {
			c->capsads = c->capsads ? 2 * c->capsads : 16;
			c->sads = realloc(c->sads, c->capsads * sizeof(*s));
			if (c->sads == NULL)
				die("out of memory");
		}
		s = &c->sads[c->nsads];
		memset(s, 0, sizeof(*s));
		s->n = per;
		s->b64 = random_hashes(per);
		s->t = now();
		if (authorize(c, s->b64, per, s->sad, sizeof(s->sad)) != 0) {
			free(s->b64);
			return -1;
		}
		c->nsads++;
	}
	return 0;
}

/* The next ${batch} hashes: the SAD and a pointer to its Base64 hashes;
 * NULL when the supply is used up. A SAD's size is a multiple of the
 * batch, so a batch never straddles two SADs. */
static struct sad *
sad_next(struct conn *c, unsigned batch, const char **b64)
{
	while (c->cursad < c->nsads) {
		struct sad *s = &c->sads[c->cursad];

		if (s->n - s->used >= batch) {
			*b64 = s->b64 + (size_t)s->used * HASH_B64;
			s->used += batch;
			return s;
		}
		c->cursad++;
	}
	return NULL;
}

/* ---- runs ---------------------------------------------------------------- */

enum mode { M_FILL, M_CLOSED, M_PACED, M_AUTHZ, M_TXN, M_LOGIN };

struct run {
	struct bench *b;
	struct conn *conns;
	unsigned n;
	enum mode mode;
	unsigned batch;
	unsigned fill_want, fill_per;
	double t0, t_end, period; /* period: paced, per connection */
};

struct run_arg {
	struct run *r;
	struct conn *c;
};

static void
lat_add(struct conn *c, double lat, double svc)
{
	if (c->nlat == c->caplat) {
		c->caplat = c->caplat ? 2 * c->caplat : 4096;
		c->lat = realloc(c->lat, c->caplat * sizeof(double));
		c->svc = realloc(c->svc, c->caplat * sizeof(double));
		if (c->lat == NULL || c->svc == NULL)
			die("out of memory");
	}
	c->lat[c->nlat] = lat;
	c->svc[c->nlat++] = svc;
}

static void *
run_thread(void *arg)
{
	struct run_arg *a = arg;
	struct run *r = a->r;
	struct conn *c = a->c;
	double t, sched = 0;
	const char *b64;
	struct sad *s;
	unsigned long k = 0;

	switch (r->mode) {
	case M_LOGIN:
		conn_login(c);
		return NULL;
	case M_FILL:
		sad_fill(c, r->fill_want, r->fill_per);
		return NULL;
	case M_AUTHZ:
		while (!c->failed && (t = now()) < r->t_end) {
			char sad[128], *h = random_hashes(1);

			if (authorize(c, h, 1, sad, sizeof(sad)) == 0) {
				double d = now() - t;

				lat_add(c, d, d);
				c->reqs++;
			}
			free(h);
		}
		return NULL;
	case M_TXN:
		/* What a plain CSC client does: authorise the batch, sign it. */
		while (!c->failed && (t = now()) < r->t_end) {
			char sad[128], *h = random_hashes(r->batch);

			if (authorize(c, h, r->batch, sad, sizeof(sad)) == 0 &&
			    sign_hash(c, sad, h, r->batch, NULL) == 0) {
				double d = now() - t;

				lat_add(c, d, d);
				c->reqs++;
				c->sigs += r->batch;
			}
			free(h);
		}
		return NULL;
	case M_CLOSED:
	case M_PACED:
		break;
	}
	if (r->mode == M_PACED)
		sched = r->t0 + r->period * (double)c->idx / (double)r->n;
	else
		sleep_until(r->t0); /* the window starts for all at t0 */
	while (!c->failed) {
		if (r->mode == M_PACED) {
			if (sched >= r->t_end)
				break;
			sleep_until(sched);
		} else if (now() >= r->t_end) {
			break;
		}
		if ((s = sad_next(c, r->batch, &b64)) == NULL) {
			c->starved = now();
			break;
		}
		t = now();
		if (sign_hash(c, s->sad, b64, r->batch, NULL) != 0)
			break;
		{
			double done = now();

			lat_add(c, r->mode == M_PACED ? done - sched : done - t,
			    done - t);
		}
		c->reqs++;
		c->sigs += r->batch;
		k++;
		if (r->mode == M_PACED)
			sched = r->t0 + r->period * ((double)c->idx /
			    (double)r->n + (double)k);
	}
	return NULL;
}

/* ---- the event-driven client (closed and paced runs) -------------------- */

/*
 * The timed runs drive every connection from --client-threads threads
 * (default 1), each an epoll loop over its share of the connections with
 * non-blocking TLS, instead of one blocking thread per connection: a group
 * commit answers ten or more requests at once, and one thread reading them
 * all costs the shared two cores far fewer wake-ups and context switches
 * than ten threads each woken for its own (docs/benchmarks.md, "The
 * client"). --client-threads 0 keeps the thread-per-connection client.
 *
 * A request's answer must be 200 with as many strings in "signatures" as
 * the request had hashes; the probe before the runs has verified the
 * signatures themselves.
 */
enum ev_phase { EV_WAIT, EV_SEND, EV_RECV, EV_DONE };

struct ev_conn {
	struct conn *c;
	enum ev_phase phase;
	size_t outlen, outoff;
	double sched, t_send;
	unsigned long k;
	bool want_write;
};

struct ev_arg {
	struct run *r;
	unsigned first, step; /* connections first, first+step, ... */
};

/* Append ${n} bytes to ${s} without a format. */
static void
sb_put(struct sbuf *s, const char *p, size_t n)
{
	if (s->len + n + 1 > s->cap) {
		s->cap = 2 * (s->len + n) + 256;
		if ((s->p = realloc(s->p, s->cap)) == NULL)
			die("out of memory");
	}
	memcpy(s->p + s->len, p, n);
	s->len += n;
	s->p[s->len] = '\0';
}

static void
sb_str(struct sbuf *s, const char *p)
{
	sb_put(s, p, strlen(p));
}

/* The whole signHash request (head and body) for the next batch into
 * c->out; -1 when the SADs are used up. */
static int
ev_build(struct ev_conn *e, unsigned batch)
{
	struct conn *c = e->c;
	struct sbuf body = {NULL, 0, 0}, all = {NULL, 0, 0};
	const char *b64;
	struct sad *s;
	char num[32];
	unsigned i;

	if ((s = sad_next(c, batch, &b64)) == NULL)
		return -1;
	sb_str(&body, "{\"credentialID\":\"");
	sb_str(&body, c->cred->cid);
	sb_str(&body, "\",\"SAD\":\"");
	sb_str(&body, s->sad);
	sb_str(&body, "\",\"hashes\":[");
	for (i = 0; i < batch; i++) {
		sb_put(&body, i ? ",\"" : "\"", i ? 2 : 1);
		sb_put(&body, b64 + (size_t)i * HASH_B64, 44);
		sb_put(&body, "\"", 1);
	}
	sb_str(&body, "],\"hashAlgorithmOID\":\"" OID_SHA256
		      "\",\"signAlgo\":\"");
	sb_str(&body, c->b->sign_algo);
	sb_str(&body, "\"}");
	sb_str(&all, "POST /csc/v2/signatures/signHash HTTP/1.1\r\n"
		     "Host: localhost\r\nAuthorization: ");
	sb_str(&all, c->token);
	sb_str(&all, "\r\nContent-Type: application/json\r\n"
		     "Content-Length: ");
	snprintf(num, sizeof(num), "%zu\r\n\r\n", body.len);
	sb_str(&all, num);
	sb_put(&all, body.p, body.len);
	free(body.p);
	free(c->out);
	c->out = all.p;
	c->outcap = all.cap;
	e->outlen = all.len;
	e->outoff = 0;
	return 0;
}

static void
ev_fail(struct ev_conn *e, int ep, const char *what)
{
	conn_fail(e->c, "%s", what);
	if (e->c->fd >= 0)
		epoll_ctl(ep, EPOLL_CTL_DEL, e->c->fd, NULL);
	conn_close(e->c);
	e->phase = EV_DONE;
}

static void
ev_want_write(struct ev_conn *e, int ep, bool on)
{
	struct epoll_event ev;

	if (e->want_write == on)
		return;
	ev.events = EPOLLIN | (on ? EPOLLOUT : 0);
	ev.data.ptr = e;
	epoll_ctl(ep, EPOLL_CTL_MOD, e->c->fd, &ev);
	e->want_write = on;
}

/* Write what is left of the request; 1 when all of it is out. */
static int
ev_send(struct ev_conn *e, int ep)
{
	struct conn *c = e->c;
	int w;

	while (e->outoff < e->outlen) {
		ERR_clear_error();
		w = SSL_write(c->ssl, c->out + e->outoff,
		    (int)(e->outlen - e->outoff));
		if (w > 0) {
			e->outoff += (size_t)w;
			continue;
		}
		if (SSL_get_error(c->ssl, w) == SSL_ERROR_WANT_WRITE) {
			ev_want_write(e, ep, true);
			return 0;
		}
		ev_fail(e, ep, "write failed");
		return -1;
	}
	ev_want_write(e, ep, false);
	return 1;
}

/* Count the strings of the "signatures" array of a JSON body (Base64
 * holds neither quotes nor brackets); -1 without one. */
static long
count_signatures(const char *body)
{
	const char *p = strstr(body, "\"signatures\":[");
	long q = 0;

	if (p == NULL)
		return -1;
	for (p += 14; *p != '\0' && *p != ']'; p++)
		q += *p == '"';
	return *p == ']' && q % 2 == 0 ? q / 2 : -1;
}

/* Read what has arrived; 1 when the whole answer is in and checked. */
static int
ev_recv(struct ev_conn *e, int ep, unsigned batch)
{
	struct conn *c = e->c;
	size_t hl, clen;
	int n, h, st;
	bool close_after;

	for (;;) {
		in_room(c);
		ERR_clear_error();
		n = SSL_read(c->ssl, c->in + c->inlen,
		    (int)(c->incap - c->inlen - 1));
		if (n > 0) {
			c->inlen += (size_t)n;
			c->in[c->inlen] = '\0';
			continue;
		}
		if (SSL_get_error(c->ssl, n) == SSL_ERROR_WANT_READ)
			break;
		ev_fail(e, ep, "connection closed before the answer");
		return -1;
	}
	if ((h = answer_head(c, &hl, &st, &clen, &close_after)) == 0 ||
	    (h > 0 && c->inlen < hl + clen))
		return 0;
	if (h < 0) {
		ev_fail(e, ep, "bad status line");
		return -1;
	}
	if (c->inlen > hl + clen) {
		ev_fail(e, ep, "more bytes than the answer");
		return -1;
	}
	if (st != 200) {
		json_t *j = json_loadb(c->in + hl, clen, 0, NULL);
		const char *d = j ? json_string_value(json_object_get(j,
					"error_description")) : NULL;
		char msg[256];

		snprintf(msg, sizeof(msg), "signHash: HTTP %.12s %s",
		    c->in + 9, d ? d : "");
		json_decref(j);
		ev_fail(e, ep, msg);
		return -1;
	}
	if (count_signatures(c->in + hl) != (long)batch) {
		ev_fail(e, ep, "signHash: not one signature per hash");
		return -1;
	}
	c->inlen = 0;
	c->in[0] = '\0';
	return 1;
}

/* Start the connection's next request if it is due, or mark it done. */
static void
ev_start(struct ev_conn *e, struct run *r, int ep, double t)
{
	struct conn *c = e->c;

	if ((r->mode == M_PACED && e->sched >= r->t_end) ||
	    (r->mode == M_CLOSED && t >= r->t_end)) {
		epoll_ctl(ep, EPOLL_CTL_DEL, c->fd, NULL);
		e->phase = EV_DONE;
		return;
	}
	if (t < e->sched) {
		e->phase = EV_WAIT;
		return;
	}
	if (ev_build(e, r->batch) != 0) {
		c->starved = t;
		epoll_ctl(ep, EPOLL_CTL_DEL, c->fd, NULL);
		e->phase = EV_DONE;
		return;
	}
	e->t_send = now();
	e->phase = EV_SEND;
	if (ev_send(e, ep) == 1)
		e->phase = EV_RECV;
}

static void
ev_answered(struct ev_conn *e, struct run *r)
{
	struct conn *c = e->c;
	double done = now();

	lat_add(c, r->mode == M_PACED ? done - e->sched : done - e->t_send,
	    done - e->t_send);
	c->reqs++;
	c->sigs += r->batch;
	e->k++;
	if (r->mode == M_PACED)
		e->sched = r->t0 + r->period * ((double)c->idx / (double)r->n +
					  (double)e->k);
}

/* epoll_pwait2 (a timeout to the nanosecond, for the paced schedule), or
 * epoll_wait rounded up to the millisecond where the kernel lacks it. */
static int
ev_wait(int ep, struct epoll_event *evs, int max, const struct timespec *ts)
{
	static atomic_bool no_pwait2;
	int m, ms;

	if (!atomic_load(&no_pwait2)) {
		m = epoll_pwait2(ep, evs, max, ts, NULL);
		if (m >= 0 || errno == EINTR)
			return m < 0 ? 0 : m;
		if (errno != ENOSYS)
			die("epoll_pwait2: %s", strerror(errno));
		atomic_store(&no_pwait2, true);
	}
	ms = ts == NULL ? -1 :
			  (int)(ts->tv_sec * 1000 + (ts->tv_nsec + 999999) /
						       1000000);
	m = epoll_wait(ep, evs, max, ms);
	if (m < 0 && errno != EINTR)
		die("epoll_wait: %s", strerror(errno));
	return m < 0 ? 0 : m;
}

/* Input on a connection with no request out: the server closed it (or
 * sent what nobody asked for). */
static void
ev_idle_input(struct ev_conn *e, int ep)
{
	char b[256];
	int n;

	ERR_clear_error();
	n = SSL_read(e->c->ssl, b, sizeof(b));
	if (n <= 0 && SSL_get_error(e->c->ssl, n) == SSL_ERROR_WANT_READ)
		return;
	ev_fail(e, ep, n > 0 ? "bytes from the server with no request out" :
			       "the server closed an idle connection");
}

static void *
ev_thread(void *arg)
{
	struct ev_arg *a = arg;
	struct run *r = a->r;
	struct ev_conn es[MAXCONN], *ans[64];
	struct epoll_event evs[64], ev;
	unsigned i, n = 0, live;
	int ep = epoll_create1(0), nans;

	if (ep < 0)
		die("epoll_create1: %s", strerror(errno));
	for (i = a->first; i < r->n; i += a->step) {
		struct ev_conn *e = &es[n++];
		struct conn *c = &r->conns[i];

		memset(e, 0, sizeof(*e));
		e->c = c;
		e->phase = EV_WAIT;
		/* Closed loop: every connection starts at t0. */
		e->sched = r->t0;
		if (r->mode == M_PACED)
			e->sched += r->period * (double)c->idx / (double)r->n;
		/* A keep-alive connection the server closed since. */
		if (c->ssl == NULL && conn_open(c) != 0) {
			conn_fail(c, "cannot connect");
			e->phase = EV_DONE;
			continue;
		}
		c->inlen = 0;
		fcntl(c->fd, F_SETFL, fcntl(c->fd, F_GETFL) | O_NONBLOCK);
		ev.events = EPOLLIN;
		ev.data.ptr = e;
		if (epoll_ctl(ep, EPOLL_CTL_ADD, c->fd, &ev) != 0)
			die("epoll_ctl: %s", strerror(errno));
	}
	for (;;) {
		double t = now(), next = 0;
		struct timespec ts, *tsp = NULL;
		int k, m;

		/* Start whatever is due; note the earliest schedule. */
		for (i = 0, live = 0; i < n; i++) {
			struct ev_conn *e = &es[i];

			if (e->phase == EV_WAIT)
				ev_start(e, r, ep, t);
			if (e->phase == EV_DONE)
				continue;
			live++;
			if (e->phase == EV_WAIT && (next == 0 || e->sched < next))
				next = e->sched;
		}
		if (live == 0)
			break;
		if (next > 0) {
			double d = next - now();

			if (d < 0)
				d = 0;
			ts.tv_sec = (time_t)d;
			ts.tv_nsec = (long)((d - (double)ts.tv_sec) * 1e9);
			tsp = &ts;
		}
		m = ev_wait(ep, evs, 64, tsp);
		/* Read every answer that is in (each timed as it is read),
		 * then send the next requests. */
		for (k = 0, nans = 0; k < m; k++) {
			struct ev_conn *e = evs[k].data.ptr;

			if (e->phase == EV_WAIT) {
				ev_idle_input(e, ep);
				continue;
			}
			if (e->phase == EV_SEND && ev_send(e, ep) == 1)
				e->phase = EV_RECV;
			if (e->phase != EV_RECV)
				continue;
			if (ev_recv(e, ep, r->batch) == 1) {
				ev_answered(e, r);
				ans[nans++] = e;
			}
		}
		for (k = 0; k < nans; k++)
			ev_start(ans[k], r, ep, now());
	}
	for (i = 0; i < n; i++) {
		struct conn *c = es[i].c;

		if (c->fd < 0)
			continue;
		epoll_ctl(ep, EPOLL_CTL_DEL, c->fd, NULL);
		fcntl(c->fd, F_SETFL, fcntl(c->fd, F_GETFL) & ~O_NONBLOCK);
	}
	close(ep);
	return NULL;
}

/* What one run measured. */
struct result {
	double secs, sigs, reqs;
	double core_cpu, front_cpu, self_cpu; /* seconds */
	double other_cpu, steal;	       /* seconds, machine-wide */
	double p50, p99, max;	  /* latency, from the scheduled time */
	double sp50, sp99, smax; /* service time (from the send) */
	unsigned failed, starved;
	char err[256];
	struct tcpu core_before, core_after;
	double events, commits; /* ledger entries and checkpoints added */
};

/* The ledger's events and checkpoints (one per group commit) so far. */
static void
ledger_counts(struct ledger *l, double *events, double *commits)
{
	MDB_txn *txn;
	MDB_stat st;

	*events = *commits = 0;
	if (l == NULL || ledger_rtxn_begin(l, &txn) != 0)
		return;
	if (mdb_stat(txn, l->ev, &st) == 0)
		*events = (double)st.ms_entries;
	if (mdb_stat(txn, l->cp, &st) == 0)
		*commits = (double)st.ms_entries;
	ledger_rtxn_end(l, txn);
}

static void
run_all(struct run *r, struct result *res)
{
	pthread_t th[MAXCONN];
	struct run_arg a[MAXCONN];
	struct ev_arg ea[MAXCONN];
	double c0 = 0, f0 = 0, s0 = 0, m0 = 0, st0 = 0, m1, st1, t1, cut;
	double ev0 = 0, cp0 = 0;
	double *lat = NULL, *svc = NULL;
	size_t nl = 0, i, j;

	for (i = 0; i < r->n; i++) {
		struct conn *c = &r->conns[i];

		c->nlat = 0;
		c->sigs = c->reqs = 0;
		c->starved = 0;
		a[i].r = r;
		a[i].c = c;
	}
	if (res != NULL) {
		memset(res, 0, sizeof(*res));
		ledger_counts(r->b->ledger, &ev0, &cp0);
		threads_cpu(r->b->core, &res->core_before);
		c0 = pid_cpu(r->b->core);
		f0 = pid_cpu(r->b->front);
		s0 = cpu_self();
		machine_cpu(&m0, &st0);
	}
	r->t0 = now() + 0.01;
	r->t_end = r->t0 + (r->mode == M_AUTHZ || r->mode == M_TXN ?
				r->b->authz_duration :
			    r->mode == M_PACED ? r->b->paced_duration :
						 r->b->duration);
	if ((r->mode == M_CLOSED || r->mode == M_PACED) &&
	    r->b->client_threads > 0) {
		unsigned nt = r->b->client_threads < r->n ?
		    r->b->client_threads : r->n;

		for (i = 0; i < nt; i++) {
			ea[i].r = r;
			ea[i].first = (unsigned)i;
			ea[i].step = nt;
			pthread_create(&th[i], NULL, ev_thread, &ea[i]);
		}
		for (i = 0; i < nt; i++)
			pthread_join(th[i], NULL);
	} else {
		for (i = 0; i < r->n; i++)
			pthread_create(&th[i], NULL, run_thread, &a[i]);
		for (i = 0; i < r->n; i++)
			pthread_join(th[i], NULL);
	}
	t1 = now();
	if (res == NULL)
		goto check;
	res->core_cpu = pid_cpu(r->b->core) - c0;
	ledger_counts(r->b->ledger, &res->events, &res->commits);
	res->events -= ev0;
	res->commits -= cp0;
	res->front_cpu = pid_cpu(r->b->front) - f0;
	res->self_cpu = cpu_self() - s0;
	machine_cpu(&m1, &st1);
	res->other_cpu = m1 - m0 - res->core_cpu - res->front_cpu -
	    res->self_cpu;
	res->steal = st1 - st0;
	threads_cpu(r->b->core, &res->core_after);
	/* A connection that ran out of SADs ends the window for all (the
	 * rate would otherwise be that of fewer connections). */
	cut = t1;
	for (i = 0; i < r->n; i++)
		if (r->conns[i].starved > 0 && r->conns[i].starved < cut) {
			cut = r->conns[i].starved;
			res->starved++;
		}
	res->secs = (cut < t1 ? cut : (r->mode == M_PACED ? r->t_end : t1)) -
	    r->t0;
	for (i = 0; i < r->n; i++) {
		res->sigs += (double)r->conns[i].sigs;
		res->reqs += (double)r->conns[i].reqs;
		nl += r->conns[i].nlat;
	}
	if (cut < t1) {
		/* Scale the counts to the window before the first starvation;
		 * CPU, events and commits by the same factor, so that the
		 * figures per signature stay those of the whole run. */
		double f = res->secs / (t1 - r->t0);

		res->sigs *= f;
		res->reqs *= f;
		res->core_cpu *= f;
		res->front_cpu *= f;
		res->self_cpu *= f;
		res->events *= f;
		res->commits *= f;
	}
	if (nl > 0) {
		lat = malloc(nl * sizeof(double));
		svc = malloc(nl * sizeof(double));
		if (lat == NULL || svc == NULL)
			die("out of memory");
		for (i = 0, nl = 0; i < r->n; i++)
			for (j = 0; j < r->conns[i].nlat; j++) {
				lat[nl] = r->conns[i].lat[j];
				svc[nl++] = r->conns[i].svc[j];
			}
		qsort(lat, nl, sizeof(double), cmp_double);
		qsort(svc, nl, sizeof(double), cmp_double);
		res->p50 = pct(lat, nl, 0.50);
		res->p99 = pct(lat, nl, 0.99);
		res->max = pct(lat, nl, 1.0);
		res->sp50 = pct(svc, nl, 0.50);
		res->sp99 = pct(svc, nl, 0.99);
		res->smax = pct(svc, nl, 1.0);
	}
	free(lat);
	free(svc);
check:
	for (i = 0; i < r->n; i++)
		if (r->conns[i].failed) {
			if (res != NULL && res->failed++ == 0)
				snprintf(res->err, sizeof(res->err), "%s",
				    r->conns[i].err);
			else if (res == NULL)
				die("connection %zu: %s", i, r->conns[i].err);
			r->conns[i].failed = 0;
		}
}

/* The core's threads by CPU over a run times ${scale}, largest first, each
 * with its name; the event loop's thread (the process's main thread) is
 * "loop". */
static void
print_threads(const struct result *res, pid_t core, double scale)
{
	const struct tcpu *a = &res->core_after;
	double d[256];
	size_t idx[256], i, j, n = 0;

	for (i = 0; i < a->n; i++) {
		double before = 0;

		for (j = 0; j < res->core_before.n; j++)
			if (res->core_before.tid[j] == a->tid[i])
				before = res->core_before.cpu[j];
		d[n] = a->cpu[i] - before;
		idx[n++] = i;
	}
	/* Largest first (n is small). */
	for (i = 0; i < n; i++)
		for (j = i + 1; j < n; j++)
			if (d[j] > d[i]) {
				double x = d[i];
				size_t y = idx[i];

				d[i] = d[j];
				idx[i] = idx[j];
				d[j] = x;
				idx[j] = y;
			}
	for (i = 0; i < n && d[i] > 0; i++)
		printf("%s%s %.1f", i ? ", " : "",
		    a->tid[idx[i]] == (long)core ? "loop" : a->name[idx[i]],
		    scale * d[i]);
	if (i == 0)
		printf("(below the clock tick)");
}

/* Decode standard Base64 ${s} into ${out}; the length or -1. */
static int
b64_decode(const char *s, unsigned char *out, size_t max)
{
	size_t n = strlen(s);
	int len;

	if (n == 0 || n % 4 != 0 || n / 4 * 3 > max)
		return -1;
	if ((len = EVP_DecodeBlock(out, (const unsigned char *)s, (int)n)) < 0)
		return -1;
	/* EVP_DecodeBlock counts the padding as zero bytes. */
	if (s[n - 1] == '=')
		len--;
	if (s[n - 2] == '=')
		len--;
	return len;
}

/* Whether ${sig64} (Base64 of a DER ECDSA signature, or of r||s) is a
 * signature by ${pub} over the hash Base64 ${hash64}. */
static bool
verify(EVP_PKEY *pub, const char *sig64, const char *hash64)
{
	unsigned char sig[256], hash[64], *der = NULL;
	EVP_PKEY_CTX *vc = NULL;
	ECDSA_SIG *es = NULL;
	int sl, hl, dl;
	bool ok = false;

	if (sig64 == NULL || (sl = b64_decode(sig64, sig, sizeof(sig))) < 0 ||
	    (hl = b64_decode(hash64, hash, sizeof(hash))) != 32 ||
	    (vc = EVP_PKEY_CTX_new(pub, NULL)) == NULL ||
	    EVP_PKEY_verify_init(vc) != 1)
		goto out;
	if (EVP_PKEY_verify(vc, sig, (size_t)sl, hash, 32) == 1) {
		ok = true;
		goto out;
	}
	if (sl != 64 || (es = ECDSA_SIG_new()) == NULL)
		goto out;
	ECDSA_SIG_set0(es, BN_bin2bn(sig, 32, NULL),
	    BN_bin2bn(sig + 32, 32, NULL));
	if ((dl = i2d_ECDSA_SIG(es, &der)) > 0)
		ok = EVP_PKEY_verify(vc, der, (size_t)dl, hash, 32) == 1;
out:
	OPENSSL_free(der);
	ECDSA_SIG_free(es);
	EVP_PKEY_CTX_free(vc);
	return ok;
}

/* ---- the probe: what the daemon offers ------------------------------------ */

/* GET /csc/v2/info answers 200? */
static bool
csc_ready(struct bench *b)
{
	struct conn c;
	const char *rb;
	size_t rl;
	int st = 0;
	bool ok;

	memset(&c, 0, sizeof(c));
	c.b = b;
	c.fd = -1;
	ok = http_call(&c, "GET", "/csc/v2/info", NULL, "", 0, &st, &rb,
		 &rl) == 0 &&
	    st == 200;
	conn_close(&c);
	free(c.in);
	free(c.out);
	return ok;
}

/* On connection ${c} (logged in): read multisign and the certificate,
 * then authorise two hashes and sign them one by one (a SAD used in two
 * calls, as the benchmark uses it), and verify the signatures against
 * the certificate with OpenSSL. */
static void
probe(struct bench *b, struct conn *c)
{
	struct sbuf s = {NULL, 0, 0};
	json_t *j, *sigs = NULL;
	char *h = random_hashes(2), sad[128];
	const char *cert;
	unsigned char der[8192];
	const unsigned char *p;
	X509 *x;
	int n, i;

	sb_add(&s, "{\"credentialID\":\"%s\",\"certificates\":\"single\","
		   "\"certInfo\":true,\"authInfo\":true}",
	    c->cred->cid);
	j = json_call(c, "/csc/v2/credentials/info", c->token, s.p, s.len);
	free(s.p);
	if (j == NULL)
		die("credentials/info: %s", c->err);
	b->multisign = (unsigned)json_integer_value(json_object_get(j,
	    "multisign"));
	cert = json_string_value(json_array_get(json_object_get(
	    json_object_get(j, "cert"), "certificates"), 0));
	if (b->multisign == 0)
		die("credentials/info: no multisign");
	if (cert != NULL) {
		n = b64_decode(cert, der, sizeof(der));
		p = der;
		if (n > 0 && (x = d2i_X509(NULL, &p, n)) != NULL) {
			b->pub = X509_get_pubkey(x);
			X509_free(x);
		}
	}
	json_decref(j);
	if (b->multisign < 2) {
		/* Each SAD then serves one signHash of one hash: the signing
		 * rate would be the authorisation rate. */
		fprintf(stderr, "bench_csc: multisign is %u\n", b->multisign);
		free(h);
		return;
	}
	if (authorize(c, h, 2, sad, sizeof(sad)) != 0)
		die("probe: %s", c->err);
	for (i = 0; i < 2; i++) {
		if (sign_hash(c, sad, h + (size_t)i * HASH_B64, 1, &sigs) != 0)
			die("probe: a SAD for two hashes, signHash of hash %d: "
			    "%s", i + 1, c->err);
		if (b->pub != NULL &&
		    !verify(b->pub, json_string_value(json_array_get(sigs, 0)),
			h + (size_t)i * HASH_B64))
			die("probe: the signature does not verify with the "
			    "certificate's key");
		json_decref(sigs);
	}
	free(h);
}

/* ---- report -------------------------------------------------------------- */

static void
environment(struct bench *b, struct raw *r)
{
	struct utsname u;
	char line[256], model[256] = "?";
	FILE *f;

	if ((f = fopen("/proc/cpuinfo", "r")) != NULL) {
		while (fgets(line, sizeof(line), f) != NULL)
			if (strncmp(line, "model name", 10) == 0) {
				snprintf(model, sizeof(model), "%s",
				    strchr(line, ':') + 2);
				model[strcspn(model, "\n")] = '\0';
				break;
			}
		fclose(f);
	}
	uname(&u);
	printf("- CPU: %s, %ld online cores; kernel %s %s; %s\n", model,
	    sysconf(_SC_NPROCESSORS_ONLN), u.sysname, u.release,
	    OpenSSL_version(OPENSSL_VERSION));
	printf("- module: %s (%s), token \"%s\"; key: the first benchmark "
	       "credential's P-256 token object\n",
	    r->library, b->cfg.hsm_module, r->token);
	printf("- hankod: core pid %ld, front pid %ld; HSM pool "
	       "([hsm] sessions) %u = raw threads; ledger commit window %u "
	       "us\n",
	    (long)b->core, (long)b->front, b->cfg.hsm_sessions,
	    b->cfg.commit_window_us);
}

static void
print_lat(double v)
{
	if (isnan(v))
		printf(" - |");
	else
		printf(" %.2f ms |", 1e3 * v);
}

int
main(int argc, char **argv)
{
	const char *usage =
	    "bench_csc --state DIR --creds FILE [--pid PID] [--ca PEM] "
	    "[--conns 32] [--duration 1] [--rounds 10] [--batches 1,16] "
	    "[--load 0.7] [--authz-duration 5] [--authz-conns N] "
	    "[--sad-hashes 1024] [--sign-algo OID] [--raw-only yes] "
	    "[--client-threads 1] [--paced-duration S]";
	const char *state = NULL, *creds = NULL, *pid = NULL, *ca = NULL;
	const char *conns = "32", *duration = "1", *rounds = "10";
	const char *batches = "1,16", *load = "0.7", *authz_dur = "5";
	const char *authz_conns = NULL, *sad_hashes = "1024";
	const char *sign_algo = OID_ECDSA_SHA256, *raw_only = "no";
	const char *client_threads = "1", *paced_dur = NULL;
	struct cli_opt opts[] = {{"state", &state}, {"creds", &creds},
	    {"pid", &pid}, {"ca", &ca}, {"conns", &conns},
	    {"duration", &duration}, {"rounds", &rounds},
	    {"batches", &batches}, {"load", &load},
	    {"authz-duration", &authz_dur}, {"authz-conns", &authz_conns},
	    {"sad-hashes", &sad_hashes}, {"sign-algo", &sign_algo},
	    {"raw-only", &raw_only}, {"client-threads", &client_threads},
	    {"paced-duration", &paced_dur}, {NULL, NULL}};
	static struct bench b;
	static struct raw r;
	static struct conn cs[MAXCONN];
	static struct result closed[8][32], paced[8], authz, txn[8];
	struct run run;
	char path[HK_CONFIG_PATH_MAX + 32], err[512], buf[64], *tok;
	struct addrinfo hints, *ai;
	char port[8];
	double max_rate[8], mean_rate[8], raw_rate, raw_cpu, ed_cpu;
	unsigned i, k, rd, per;

	if (cli_parse(argc - 1, argv + 1, opts, usage) != 0)
		return 2;
	if (state == NULL || creds == NULL) {
		fprintf(stderr, "usage: %s\n", usage);
		return 2;
	}
	memset(&b, 0, sizeof(b));
	b.state = state;
	b.conns = (unsigned)atoi(conns);
	b.rounds = (unsigned)atoi(rounds);
	b.duration = atof(duration);
	b.load = atof(load);
	b.authz_duration = atof(authz_dur);
	b.authz_conns = authz_conns ? (unsigned)atoi(authz_conns) : b.conns;
	b.sad_hashes = (unsigned)atoi(sad_hashes);
	b.sign_algo = sign_algo;
	b.client_threads = (unsigned)atoi(client_threads);
	/* The paced p99 needs many samples: by default as long as all the
	 * closed-loop rounds of one batch size together. */
	b.paced_duration = paced_dur ? atof(paced_dur) : b.rounds * b.duration;
	if (b.conns == 0 || b.conns > MAXCONN || b.rounds == 0 ||
	    b.rounds > 32 || b.duration <= 0 || b.load <= 0 || b.load > 1 ||
	    b.authz_conns == 0 || b.authz_conns > b.conns ||
	    b.sad_hashes == 0 || b.sad_hashes > MAXBATCH ||
	    b.client_threads > MAXCONN || b.paced_duration <= 0)
		die("bad option value; usage: %s", usage);
	snprintf(buf, sizeof(buf), "%s", batches);
	for (tok = strtok(buf, ","); tok && b.nbatches < 8;
	     tok = strtok(NULL, ","))
		if ((k = (unsigned)atoi(tok)) > 0 && k <= MAXBATCH)
			b.batches[b.nbatches++] = k;
	snprintf(path, sizeof(path), "%s/%s", state, HK_CONFIG_FILE);
	if (hk_config_load(path, state, &b.cfg, err, sizeof(err)) != 0)
		die("%s", err);
	load_creds(&b, creds);
	b.core = pid ? (pid_t)atol(pid) : -1;
	find_daemon(state, &b.core, &b.front);
	if (b.core <= 0)
		die("no hankod --state %s running (core %ld, front %ld)", state,
		    (long)b.core, (long)b.front);

	/* The daemon's ledger, read-only: events and commits per run. */
	{
		struct ledger_opts ro = {0};

		ro.readonly = 1;
		snprintf(path, sizeof(path), "%s/ledger", state);
		if (ledger_open(path, &ro, NULL, &b.ledger) != 0)
			die("cannot open the ledger %s read-only", path);
	}

	/* The raw side: the daemon's pool size, the credential's key. */
	r.threads = b.cfg.hsm_sessions;
	if (r.threads == 0 || r.threads > MAXRAW)
		die("[hsm] sessions %u", r.threads);
	raw_open(&b, &r);

	printf("## CSC signing benchmark (build/bench/bench_csc)\n\n");
	environment(&b, &r);
	fflush(stdout);

	/* The client side: TLS to the signing listener, verified against the
	 * operator CA that issued the server certificate. */
	b.tls = SSL_CTX_new(TLS_client_method());
	snprintf(path, sizeof(path), "%s/ca/operator-ca.crt", state);
	if (b.tls == NULL ||
	    SSL_CTX_load_verify_locations(b.tls, ca ? ca : path, NULL) != 1)
		die("cannot load %s", ca ? ca : path);
	SSL_CTX_set_verify(b.tls, SSL_VERIFY_PEER, NULL);
	SSL_CTX_set_min_proto_version(b.tls, TLS1_2_VERSION);
	memset(&hints, 0, sizeof(hints));
	hints.ai_socktype = SOCK_STREAM;
	snprintf(port, sizeof(port), "%u", b.cfg.signing.port);
	if (getaddrinfo(b.cfg.signing.host, port, &hints, &ai) != 0)
		die("cannot resolve %s", b.cfg.signing.host);
	memcpy(&b.addr, ai->ai_addr, ai->ai_addrlen);
	b.addrlen = ai->ai_addrlen;
	freeaddrinfo(ai);

	if (strcmp(raw_only, "yes") != 0 && !csc_ready(&b)) {
		printf("- hankod does not answer GET /csc/v2/info with 200 "
		       "(the CSC routes are not there yet): raw side only\n");
		raw_only = "yes";
	}
	if (strcmp(raw_only, "yes") == 0) {
		printf("\n| slice | raw C_SignInit+C_Sign /s | other "
		       "processes, cores |\n|---|---:|---:|\n");
		for (rd = 0; rd < b.rounds; rd++) {
			raw_slice(&r, b.duration);
			printf("| %u | %.0f | %.2f |\n", rd + 1,
			    r.slice_rate[r.nslices - 1],
			    r.slice_other[r.nslices - 1]);
		}
		printf("\nRaw, %u threads: **%.0f signatures/s**, process CPU "
		       "%.1f us per signature (%.2f cores busy)\n",
		    r.threads, r.sigs / r.secs, 1e6 * r.cpu / r.sigs,
		    r.cpu / r.secs);
		return 0;
	}

	/* Connections: each logged in as its credential's signer. */
	for (i = 0; i < b.conns; i++) {
		cs[i].b = &b;
		cs[i].idx = i;
		cs[i].fd = -1;
		cs[i].cred = &b.creds[i % b.ncreds];
	}
	memset(&run, 0, sizeof(run));
	run.b = &b;
	run.conns = cs;
	run.n = b.conns;
	run.mode = M_LOGIN;
	run_all(&run, NULL);
	probe(&b, &cs[0]);
	per = b.sad_hashes < b.multisign ? b.sad_hashes : b.multisign;
	printf("- client: this program, %u keep-alive TLS connections "
	       "(%u credentials, level 1: PIN only, round robin), ",
	    b.conns, b.ncreds);
	if (b.client_threads > 0) {
		unsigned nt = b.client_threads < b.conns ? b.client_threads :
							   b.conns;

		printf("timed runs driven by %u epoll thread%s (non-blocking "
		       "TLS)",
		    nt, nt > 1 ? "s" : "");
	}
	else
		printf("one blocking thread each");
	printf("; signAlgo %s, hashAlgorithmOID %s\n", b.sign_algo,
	    OID_SHA256);
	printf("- SADs: authorised before each timed window for up to %u "
	       "hashes each (credential multisign %u), consumed batch by "
	       "batch; signatures verified against the certificate's key in a "
	       "probe first%s\n",
	    per, b.multisign, b.pub ? "" : " (no certificate returned: not "
					     "verified)");
	printf("- %u rounds of: raw %.1f s (then %.2f s of the checkpoint "
	       "key), then each batch size %.1f s (closed loop); then each "
	       "batch size paced at %.0f%% of its maximum for %.1f s; then "
	       "authorisations %.1f s on %u connections\n\n",
	    b.rounds, b.duration, b.duration / 4, b.duration, 100 * b.load,
	    b.paced_duration, b.authz_duration, b.authz_conns);
	fflush(stdout);

	/* Rounds: raw, then each batch size, closed loop. */
	printf("| round | raw /s |");
	for (k = 0; k < b.nbatches; k++)
		printf(" batch %u sig/s | x raw |", b.batches[k]);
	printf(" other processes, cores (raw");
	for (k = 0; k < b.nbatches; k++)
		printf(" / B=%u", b.batches[k]);
	printf(") |\n|---|---:|");
	for (k = 0; k < b.nbatches; k++)
		printf("---:|---:|");
	printf("---|\n");
	memset(max_rate, 0, sizeof(max_rate));
	for (rd = 0; rd < b.rounds; rd++) {
		double rr;

		raw_slice(&r, b.duration);
		ed_slice(&r, b.duration / 4);
		rr = r.slice_rate[r.nslices - 1];
		printf("| %u | %.0f |", rd + 1, rr);
		fflush(stdout);
		for (k = 0; k < b.nbatches; k++) {
			unsigned batch = b.batches[k];
			unsigned sadn = per / batch * batch;
			double est = max_rate[k] > 0 ? max_rate[k] : 1.2 * rr;
			struct result *res = &closed[k][rd];

			if (sadn == 0)
				die("batch %u > SAD size %u", batch, per);
			/* Enough SADs for 1.5x the expected signatures. */
			run.mode = M_FILL;
			run.fill_per = sadn;
			run.fill_want = (unsigned)(1.5 * est * b.duration /
			    b.conns) + batch;
			for (i = 0; i < b.conns; i++)
				sad_drop_used(&cs[i],
				    0.8 * b.cfg.sad_lifetime_s);
			run_all(&run, NULL);
			run.mode = M_CLOSED;
			run.batch = batch;
			run_all(&run, res);
			if (res->failed)
				die("batch %u: %u connections failed: %s",
				    batch, res->failed, res->err);
			if (res->sigs / res->secs > max_rate[k])
				max_rate[k] = res->sigs / res->secs;
			printf(" %.0f%s | %.1f%% |", res->sigs / res->secs,
			    res->starved ? " (SADs ran out)" : "",
			    100 * res->sigs / res->secs / rr);
			fflush(stdout);
		}
		printf(" %.2f", r.slice_other[r.nslices - 1]);
		for (k = 0; k < b.nbatches; k++)
			printf(" / %.2f", closed[k][rd].other_cpu /
			    closed[k][rd].secs);
		printf(" |\n");
	}
	raw_rate = r.sigs / r.secs;
	raw_cpu = r.cpu / r.sigs;

	/* Totals over the rounds. */
	printf("\nRaw, %u threads (= the daemon's HSM pool): **%.0f "
	       "signatures/s** over %.1f s; process CPU %.1f us per "
	       "signature (%.2f cores busy): the module's cost per "
	       "signature\n\n",
	    r.threads, raw_rate, r.secs, 1e6 * raw_cpu, r.cpu / r.secs);
	ed_cpu = r.ed_sigs > 0 ? r.ed_cpu / r.ed_sigs : 0;
	if (r.has_cpkey)
		printf("Checkpoint key (Ed25519, token object, 1 thread, %.1f s "
		       "in the same rounds): process CPU %.1f us per signature: "
		       "the module's cost per group commit\n\n",
		    r.ed_secs, 1e6 * ed_cpu);
	else
		printf("The checkpoint key (CKA_ID from hanko.conf) is not in "
		       "the token: its share is not measured (shown as 0)\n\n");
	printf("| batch | signatures/s | requests/s | x raw | signHash p50 | "
	       "p99 | max | core+front CPU us/sig | of which module (raw) | "
	       "**Hanko excl. module us/sig** | events/commit | of which "
	       "checkpoint signatures (module) | Hanko excl. both | front "
	       "us/sig | client us/sig |\n|---:|---:|---:|---:|---:|---:|---:|"
	       "---:|---:|---:|---:|---:|---:|---:|---:|\n");
	for (k = 0; k < b.nbatches; k++) {
		double sigs = 0, secs = 0, reqs = 0, cc = 0, fc = 0, sc = 0;
		double p50 = 0, p99 = 0, mx = 0, ev = 0, cm = 0;

		for (rd = 0; rd < b.rounds; rd++) {
			struct result *x = &closed[k][rd];
			sigs += x->sigs;
			secs += x->secs;
			reqs += x->reqs;
			cc += x->core_cpu;
			fc += x->front_cpu;
			sc += x->self_cpu;
			ev += x->events;
			cm += x->commits;
			/* Latency: the round's own percentiles, averaged
			 * (p50, p99) and the worst (max). */
			p50 += x->sp50 / b.rounds;
			p99 += x->sp99 / b.rounds;
			mx = x->smax > mx ? x->smax : mx;
		}
		printf("| %u | %.0f | %.0f | %.1f%% |", b.batches[k],
		    sigs / secs, reqs / secs, 100 * sigs / secs / raw_rate);
		print_lat(p50);
		print_lat(p99);
		print_lat(mx);
		printf(" %.1f | %.1f | **%.1f** | %.1f | %.1f | %.1f | %.1f | "
		       "%.1f |\n",
		    1e6 * (cc + fc) / sigs, 1e6 * raw_cpu,
		    1e6 * ((cc + fc) / sigs - raw_cpu),
		    cm > 0 ? ev / cm : 0, 1e6 * ed_cpu * cm / sigs,
		    1e6 * ((cc + fc) / sigs - raw_cpu - ed_cpu * cm / sigs),
		    1e6 * fc / sigs, 1e6 * sc / sigs);
		mean_rate[k] = sigs / secs;
	}
	printf("\nCore threads, CPU us per signature in the last round, "
	       "largest first (the HSM pool's workers carry the module):\n\n");
	for (k = 0; k < b.nbatches; k++) {
		struct result *x = &closed[k][b.rounds - 1];

		printf("- batch %u: ", b.batches[k]);
		print_threads(x, b.core, 1e6 / x->sigs);
		printf("\n");
	}
	fflush(stdout);

	/* Paced runs at --load of each batch size's maximum. */
	printf("\nOpen loop at %.0f%% of the measured maximum (the closed "
	       "loop's rate over all rounds; latency from the scheduled send "
	       "time; service time from the actual send):\n\n| batch | "
	       "target sig/s | achieved sig/s | p50 | **p99** | max | service "
	       "p99 | core+front CPU us/sig | events/commit |\n"
	       "|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n",
	    100 * b.load);
	for (k = 0; k < b.nbatches; k++) {
		unsigned batch = b.batches[k];
		unsigned sadn = per / batch * batch;
		double target = b.load * mean_rate[k];
		struct result *res = &paced[k];

		run.mode = M_FILL;
		run.fill_per = sadn;
		run.fill_want = (unsigned)(1.3 * target * b.paced_duration /
		    b.conns) + 2 * batch;
		for (i = 0; i < b.conns; i++)
			sad_drop_used(&cs[i], 0.8 * b.cfg.sad_lifetime_s);
		run_all(&run, NULL);
		run.mode = M_PACED;
		run.batch = batch;
		/* Each connection sends one request per period. */
		run.period = (double)b.conns * batch / target;
		run_all(&run, res);
		if (res->failed)
			die("paced batch %u: %s", batch, res->err);
		printf("| %u | %.0f | %.0f |", batch, target,
		    res->sigs / res->secs);
		print_lat(res->p50);
		print_lat(res->p99);
		print_lat(res->max);
		print_lat(res->sp99);
		printf(" %.1f | %.1f |\n",
		    1e6 * (res->core_cpu + res->front_cpu) / res->sigs,
		    res->commits > 0 ? res->events / res->commits : 0);
		fflush(stdout);
	}

	/* Authorisations: argon2id PIN verification in the core. */
	run.mode = M_AUTHZ;
	run.n = b.authz_conns;
	run_all(&run, &authz);
	if (authz.failed)
		die("authorize: %s", authz.err);
	printf("\nAuthorisations (credentials/authorize, 1 hash, PIN by "
	       "argon2id), closed loop on %u connections for %.1f s:\n\n"
	       "| authorisations/s | p50 | p99 | max | core CPU ms per "
	       "authorisation | cores busy in the core |\n"
	       "|---:|---:|---:|---:|---:|---:|\n| %.1f |",
	    b.authz_conns, authz.secs, authz.reqs / authz.secs);
	print_lat(authz.sp50);
	print_lat(authz.sp99);
	print_lat(authz.smax);
	printf(" %.1f | %.2f |\n\n", 1e3 * authz.core_cpu / authz.reqs,
	    authz.core_cpu / authz.secs);
	printf("Core threads, CPU ms per authorisation: ");
	print_threads(&authz, b.core, 1e3 / authz.reqs);
	printf("\n");

	/* Whole transactions: authorize(B hashes) + signHash(B). */
	printf("\nTransactions (credentials/authorize for B hashes, then "
	       "signatures/signHash of them), closed loop on %u connections "
	       "for %.1f s each:\n\n| batch | transactions/s | signatures/s "
	       "| x raw | p50 | p99 | max |\n|---:|---:|---:|---:|---:|---:|"
	       "---:|\n",
	    b.authz_conns, b.authz_duration);
	for (k = 0; k < b.nbatches; k++) {
		struct result *x = &txn[k];

		run.mode = M_TXN;
		run.batch = b.batches[k];
		run_all(&run, x);
		if (x->failed)
			die("transactions: %s", x->err);
		printf("| %u | %.1f | %.0f | %.1f%% |", b.batches[k],
		    x->reqs / x->secs, x->sigs / x->secs,
		    100 * x->sigs / x->secs / raw_rate);
		print_lat(x->sp50);
		print_lat(x->sp99);
		print_lat(x->smax);
		printf("\n");
		fflush(stdout);
	}

	for (i = 0; i < b.conns; i++) {
		conn_close(&cs[i]);
		for (k = 0; k < cs[i].nsads; k++)
			free(cs[i].sads[k].b64);
		free(cs[i].sads);
		free(cs[i].in);
		free(cs[i].out);
		free(cs[i].lat);
		free(cs[i].svc);
	}
	EVP_PKEY_free(b.pub);
	SSL_CTX_free(b.tls);
	ledger_close(b.ledger);
	return 0;
}
