/* SPDX-License-Identifier: Apache-2.0 */
/*
 * hsm_fixture: a throwaway SoftHSMv2 test bed for the hsm/ unit tests
 * (REG-3, NET-4): its own SOFTHSM2_CONF and token directory in a fresh
 * temporary directory, two tokens initialised with softhsm2-util, PIN files
 * of mode 0600, direct access to the module (to read attributes behind the
 * adapter's back), stderr capture (to check error messages) and an
 * independent OpenSSL verifier. Header-only: each test file includes it.
 */
#ifndef HK_TEST_HSM_FIXTURE_H
#define HK_TEST_HSM_FIXTURE_H

#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>
#include <p11-kit/pkcs11.h>

#include "core/codec.h"
#include "hsm/hsm.h"

/*
 * Under ASan: full stacks on malloc (libcrypto has no frame pointers, so
 * the fast unwinder never reaches SoftHSM's frames) and the third-party
 * suppressions of tests/hsm-lsan.supp, embedded because these hooks run
 * before the sanitizer runtime can read environment or files (return
 * literals only). test_hsm_der checks the copy against the file.
 */
#define FX_LSAN_SUPPRESSIONS "leak:libsofthsm2.so\n"

const char *__asan_default_options(void);
const char *__lsan_default_suppressions(void);

__attribute__((used)) const char *
__asan_default_options(void)
{
	return "fast_unwind_on_malloc=0";
}

__attribute__((used)) const char *
__lsan_default_suppressions(void)
{
	return FX_LSAN_SUPPRESSIONS;
}

#define FX_TOKEN "hk-test"
#define FX_OTHER "hk-other"
#define FX_PIN "1234"
#define FX_SO_PIN "5678"

struct fx {
	char dir[64];		/* /tmp/hanko-hsm-test-XXXXXX */
	char conf[PATH_MAX];
	char pin[PATH_MAX];	/* "1234\n", mode 0600 */
	char badpin[PATH_MAX];	/* "999999", mode 0600 */
	char module[PATH_MAX];
	/* Direct module access (fx_p11_open). */
	void *dl;
	CK_FUNCTION_LIST *f;
	CK_SESSION_HANDLE s;
	/* stderr capture. */
	int saved_err;
	char cap[PATH_MAX];
};

static inline void
fx_write(const char *path, const char *text, mode_t mode)
{
	FILE *f = fopen(path, "w");

	if (f == NULL || fputs(text, f) < 0 || fclose(f) != 0) {
		fprintf(stderr, "fixture: cannot write %s\n", path);
		exit(99);
	}
	chmod(path, mode);
}

static inline int
fx_run_quiet(char *const argv[])
{
	pid_t pid = fork();
	int st, fd;

	if (pid == 0) {
		if ((fd = open("/dev/null", O_WRONLY)) >= 0) {
			dup2(fd, 1);
			dup2(fd, 2);
		}
		execvp(argv[0], argv);
		_exit(127);
	}
	if (pid < 0 || waitpid(pid, &st, 0) != pid)
		return -1;
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static inline void
fx_init_token(const char *label)
{
	char *argv[] = {"softhsm2-util", "--init-token", "--free", "--label",
	    (char *)label, "--so-pin", FX_SO_PIN, "--pin", FX_PIN, NULL};

	if (fx_run_quiet(argv) != 0) {
		fprintf(stderr, "fixture: softhsm2-util --init-token failed\n");
		exit(99);
	}
}

/* A fresh SoftHSM configuration with tokens FX_TOKEN and FX_OTHER. */
static inline void
fx_setup(struct fx *x)
{
	char buf[PATH_MAX + 128];
	const char *m = getenv("HK_HSM_MODULE");

	memset(x, 0, sizeof(*x));
	x->saved_err = -1;
	snprintf(x->dir, sizeof(x->dir), "/tmp/hanko-hsm-test-XXXXXX");
	if (mkdtemp(x->dir) == NULL) {
		perror("mkdtemp");
		exit(99);
	}
	snprintf(buf, sizeof(buf), "%s/tokens", x->dir);
	mkdir(buf, 0700);
	snprintf(x->conf, sizeof(x->conf), "%s/softhsm2.conf", x->dir);
	snprintf(buf, sizeof(buf),
	    "directories.tokendir = %s/tokens\nobjectstore.backend = file\n"
	    "log.level = ERROR\nslots.removable = false\n",
	    x->dir);
	fx_write(x->conf, buf, 0600);
	setenv("SOFTHSM2_CONF", x->conf, 1);
	snprintf(x->pin, sizeof(x->pin), "%s/pin", x->dir);
	fx_write(x->pin, FX_PIN "\n", 0600);
	snprintf(x->badpin, sizeof(x->badpin), "%s/badpin", x->dir);
	fx_write(x->badpin, "999999", 0600);
	snprintf(x->module, sizeof(x->module), "%s",
	    m ? m : HSM_MODULE_DEFAULT);
	fx_init_token(FX_TOKEN);
	fx_init_token(FX_OTHER);
}

static inline void
fx_teardown(struct fx *x)
{
	char *argv[] = {"rm", "-rf", x->dir, NULL};

	if (x->dir[0] != '\0')
		fx_run_quiet(argv);
}

static inline struct hsm_opts
fx_opts(const struct fx *x)
{
	struct hsm_opts o;

	memset(&o, 0, sizeof(o));
	o.module = x->module;
	o.token = FX_TOKEN;
	o.pin_file = x->pin;
	return o;
}

/* Redirect stderr (the adapter's log) into a file until fx_capture_end,
 * which returns what was written (static buffer). */
static inline void
fx_capture_begin(struct fx *x)
{
	int fd;

	fflush(stderr);
	snprintf(x->cap, sizeof(x->cap), "%s/stderr", x->dir);
	fd = open(x->cap, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	x->saved_err = dup(2);
	dup2(fd, 2);
	close(fd);
}

static inline const char *
fx_capture_end(struct fx *x)
{
	static char text[16384];
	size_t n = 0;
	FILE *f;

	fflush(stderr);
	dup2(x->saved_err, 2);
	close(x->saved_err);
	x->saved_err = -1;
	text[0] = '\0';
	if ((f = fopen(x->cap, "r")) != NULL) {
		n = fread(text, 1, sizeof(text) - 1, f);
		fclose(f);
	}
	text[n] = '\0';
	/* Show it in the test log too. */
	fputs(text, stderr);
	return text;
}

/* Open the module directly, as a second user in this process, and a
 * session on FX_TOKEN. Call while a pool is open (the pool initialised
 * the module and shares its login); close with fx_p11_close before the
 * pool is freed. Returns 0 or -1. */
static inline int
fx_p11_open(struct fx *x)
{
	CK_RV (*get)(CK_FUNCTION_LIST_PTR_PTR);
	CK_C_INITIALIZE_ARGS args;
	CK_SLOT_ID slots[16];
	CK_ULONG n = 16, i;
	CK_TOKEN_INFO ti;
	CK_RV rv;

	if ((x->dl = dlopen(x->module, RTLD_NOW | RTLD_LOCAL)) == NULL)
		return -1;
	*(void **)&get = dlsym(x->dl, "C_GetFunctionList");
	if (get == NULL || get(&x->f) != CKR_OK)
		return -1;
	memset(&args, 0, sizeof(args));
	args.flags = CKF_OS_LOCKING_OK;
	rv = x->f->C_Initialize(&args);
	if (rv != CKR_OK && rv != CKR_CRYPTOKI_ALREADY_INITIALIZED)
		return -1;
	if (x->f->C_GetSlotList(CK_TRUE, slots, &n) != CKR_OK)
		return -1;
	for (i = 0; i < n; i++) {
		if (x->f->C_GetTokenInfo(slots[i], &ti) != CKR_OK)
			continue;
		if (memcmp(ti.label, FX_TOKEN, strlen(FX_TOKEN)) == 0 &&
		    ti.label[strlen(FX_TOKEN)] == ' ')
			break;
	}
	if (i == n)
		return -1;
	rv = x->f->C_OpenSession(slots[i], CKF_SERIAL_SESSION | CKF_RW_SESSION,
	    NULL, NULL, &x->s);
	return rv == CKR_OK ? 0 : -1;
}

static inline CK_SLOT_ID
fx_p11_slot(struct fx *x)
{
	CK_SESSION_INFO si;

	x->f->C_GetSessionInfo(x->s, &si);
	return si.slotID;
}

static inline void
fx_p11_close(struct fx *x)
{
	if (x->f != NULL)
		x->f->C_CloseSession(x->s);
	if (x->dl != NULL)
		dlclose(x->dl);
	x->f = NULL;
	x->dl = NULL;
}

/* Number of objects of ${cls} (any class: CK_UNAVAILABLE_INFORMATION)
 * with CKA_ID ${id} (any id: NULL); first handle in *h. */
static inline CK_ULONG
fx_p11_find(struct fx *x, CK_OBJECT_CLASS cls, const uint8_t *id,
    size_t idlen, CK_OBJECT_HANDLE *h)
{
	CK_ATTRIBUTE t[2];
	CK_ULONG nt = 0, got = 0, total = 0;
	CK_OBJECT_HANDLE hs[64];

	if (id != NULL)
		t[nt++] = (CK_ATTRIBUTE){CKA_ID, (void *)id, idlen};
	if (cls != CK_UNAVAILABLE_INFORMATION)
		t[nt++] = (CK_ATTRIBUTE){CKA_CLASS, &cls, sizeof(cls)};
	if (x->f->C_FindObjectsInit(x->s, t, nt) != CKR_OK)
		return (CK_ULONG)-1;
	while (x->f->C_FindObjects(x->s, hs, 64, &got) == CKR_OK && got > 0) {
		if (total == 0 && h != NULL)
			*h = hs[0];
		total += got;
	}
	x->f->C_FindObjectsFinal(x->s);
	return total;
}

/* CK_BBOOL attribute of ${h}: 1 true, 0 false, -1 unreadable. */
static inline int
fx_p11_bool(struct fx *x, CK_OBJECT_HANDLE h, CK_ATTRIBUTE_TYPE type)
{
	CK_BBOOL v = 2;
	CK_ATTRIBUTE a = {type, &v, sizeof(v)};

	if (x->f->C_GetAttributeValue(x->s, h, &a, 1) != CKR_OK ||
	    a.ulValueLen != sizeof(v))
		return -1;
	return v == CK_TRUE ? 1 : 0;
}

/* Independent OpenSSL verification (not the adapter's hsm_der_verify):
 * 1 valid, 0 invalid, -1 error. */
static inline int
fx_verify(const uint8_t *spki, size_t spkilen, enum hsm_scheme sc,
    enum hsm_hash hash, const uint8_t *in, size_t inlen, const uint8_t *sig,
    size_t siglen)
{
	const uint8_t *pp = spki;
	EVP_PKEY *pk = d2i_PUBKEY(NULL, &pp, (long)spkilen);
	EVP_PKEY_CTX *c = NULL;
	EVP_MD_CTX *m = NULL;
	const EVP_MD *md = hash == HSM_HASH_SHA256 ? EVP_sha256()
	    : hash == HSM_HASH_SHA384		    ? EVP_sha384()
	    : hash == HSM_HASH_SHA512		    ? EVP_sha512()
						    : NULL;
	int v = -1;

	if (pk == NULL)
		goto out;
	if (sc == HSM_SIG_ED25519) {
		if ((m = EVP_MD_CTX_new()) == NULL ||
		    EVP_DigestVerifyInit(m, NULL, NULL, NULL, pk) != 1)
			goto out;
		v = EVP_DigestVerify(m, sig, siglen, in, inlen) == 1;
		goto out;
	}
	if ((c = EVP_PKEY_CTX_new(pk, NULL)) == NULL ||
	    EVP_PKEY_verify_init(c) != 1 ||
	    EVP_PKEY_CTX_set_signature_md(c, md) != 1)
		goto out;
	if (sc == HSM_SIG_RSA_PSS &&
	    (EVP_PKEY_CTX_set_rsa_padding(c, RSA_PKCS1_PSS_PADDING) != 1 ||
		EVP_PKEY_CTX_set_rsa_pss_saltlen(c, (int)inlen) != 1 ||
		EVP_PKEY_CTX_set_rsa_mgf1_md(c, md) != 1))
		goto out;
	v = EVP_PKEY_verify(c, sig, siglen, in, inlen) == 1;
out:
	ERR_clear_error();
	EVP_MD_CTX_free(m);
	EVP_PKEY_CTX_free(c);
	EVP_PKEY_free(pk);
	return v;
}

/* The directory of the running test binary's build tree ($BUILD). */
static inline void
fx_build_dir(char *out, size_t len)
{
	char exe[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	char *p;
	int up;

	const char *src = exe;
	size_t k;

	exe[n > 0 ? n : 0] = '\0';
	/* $BUILD/tests/unit/hsm/test_x: strip four components. */
	for (up = 0; up < 4 && (p = strrchr(exe, '/')) != NULL; up++)
		*p = '\0';
	if (getenv("BUILD") != NULL)
		src = getenv("BUILD");
	k = strlen(src) < len ? strlen(src) : len - 1;
	memcpy(out, src, k);
	out[k] = '\0';
}

#endif
