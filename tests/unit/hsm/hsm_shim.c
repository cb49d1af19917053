/* SPDX-License-Identifier: Apache-2.0 */
/*
 * hsm_shim: a fault-injecting PKCS#11 module for the hsm/ unit tests
 * (NET-4, OPS-5). It loads the real module named by $HSM_SHIM_TARGET
 * (default: Debian's SoftHSMv2), hands out a copy of its function list
 * with a few entries wrapped, counts calls to them, records the flags
 * passed to C_Initialize, and makes a chosen function fail with a chosen
 * CKR_ code a given number of times. Tests reach the controls with
 * dlopen(RTLD_NOLOAD) + dlsym. Built as $(BUILD)/tests/lib/hsm_shim.so by
 * hsm/module.mk; never part of the product.
 */
#include <dlfcn.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include <p11-kit/pkcs11.h>

enum shim_fn {
	SHIM_INITIALIZE,
	SHIM_OPEN_SESSION,
	SHIM_CLOSE_SESSION,
	SHIM_LOGIN,
	SHIM_FIND_INIT,
	SHIM_SIGN_INIT,
	SHIM_SIGN,
	SHIM_RANDOM,
	SHIM_GENERATE_KEY_PAIR,
	SHIM_NFN
};

static const char *const shim_names[SHIM_NFN] = {
	"C_Initialize", "C_OpenSession", "C_CloseSession", "C_Login",
	"C_FindObjectsInit", "C_SignInit", "C_Sign", "C_GenerateRandom",
	"C_GenerateKeyPair",
};

static pthread_mutex_t shim_mu = PTHREAD_MUTEX_INITIALIZER;
static CK_FUNCTION_LIST *real;
static CK_FUNCTION_LIST shim;
static atomic_ulong counts[SHIM_NFN];
static atomic_ulong init_flags;
/* Injected failure: function, value, remaining count (-1: forever). */
static int fail_fn = -1;
static CK_RV fail_rv;
static long fail_left;

static int
shim_index(const char *name)
{
	int i;

	for (i = 0; i < SHIM_NFN; i++)
		if (strcmp(shim_names[i], name) == 0)
			return i;
	return -1;
}

/* Count a call to ${fn}; CKR_OK or the injected failure. */
static CK_RV
shim_enter(int fn)
{
	CK_RV rv = CKR_OK;

	atomic_fetch_add(&counts[fn], 1);
	pthread_mutex_lock(&shim_mu);
	if (fail_fn == fn && fail_left != 0) {
		rv = fail_rv;
		if (fail_left > 0)
			fail_left--;
	}
	pthread_mutex_unlock(&shim_mu);
	return rv;
}

/** hsm_shim_fail(fn, rv, times): make ${fn} return ${rv} the next
 * ${times} calls (-1: until changed; 0: stop). */
void
hsm_shim_fail(const char *fn, unsigned long rv, long times)
{
	pthread_mutex_lock(&shim_mu);
	fail_fn = shim_index(fn);
	fail_rv = rv;
	fail_left = times;
	pthread_mutex_unlock(&shim_mu);
}

/** hsm_shim_count(fn): calls to ${fn} so far. */
unsigned long
hsm_shim_count(const char *fn)
{
	int i = shim_index(fn);

	return i < 0 ? 0 : atomic_load(&counts[i]);
}

/** hsm_shim_init_flags(): the flags of the last C_Initialize. */
unsigned long
hsm_shim_init_flags(void)
{
	return atomic_load(&init_flags);
}

static CK_RV
shim_Initialize(void *args)
{
	CK_RV rv = shim_enter(SHIM_INITIALIZE);

	if (args != NULL)
		atomic_store(&init_flags,
		    ((CK_C_INITIALIZE_ARGS *)args)->flags);
	return rv != CKR_OK ? rv : real->C_Initialize(args);
}

static CK_RV
shim_OpenSession(CK_SLOT_ID slot, CK_FLAGS flags, void *app, CK_NOTIFY cb,
    CK_SESSION_HANDLE *s)
{
	CK_RV rv = shim_enter(SHIM_OPEN_SESSION);

	return rv != CKR_OK ? rv : real->C_OpenSession(slot, flags, app, cb, s);
}

static CK_RV
shim_CloseSession(CK_SESSION_HANDLE s)
{
	CK_RV rv = shim_enter(SHIM_CLOSE_SESSION);

	return rv != CKR_OK ? rv : real->C_CloseSession(s);
}

static CK_RV
shim_Login(CK_SESSION_HANDLE s, CK_USER_TYPE u, CK_UTF8CHAR *pin,
    CK_ULONG len)
{
	CK_RV rv = shim_enter(SHIM_LOGIN);

	return rv != CKR_OK ? rv : real->C_Login(s, u, pin, len);
}

static CK_RV
shim_FindObjectsInit(CK_SESSION_HANDLE s, CK_ATTRIBUTE *t, CK_ULONG n)
{
	CK_RV rv = shim_enter(SHIM_FIND_INIT);

	return rv != CKR_OK ? rv : real->C_FindObjectsInit(s, t, n);
}

static CK_RV
shim_SignInit(CK_SESSION_HANDLE s, CK_MECHANISM *m, CK_OBJECT_HANDLE k)
{
	CK_RV rv = shim_enter(SHIM_SIGN_INIT);

	return rv != CKR_OK ? rv : real->C_SignInit(s, m, k);
}

static CK_RV
shim_Sign(CK_SESSION_HANDLE s, CK_BYTE *d, CK_ULONG dl, CK_BYTE *sig,
    CK_ULONG *sl)
{
	CK_RV rv = shim_enter(SHIM_SIGN);
	CK_BYTE buf[1024];
	CK_ULONG bl = sizeof(buf);

	if (rv != CKR_OK) {
		/* A failed C_Sign ends the operation (PKCS#11 5.12): do
		 * the real one into a scratch buffer to end it there too. */
		real->C_Sign(s, d, dl, buf, &bl);
		return rv;
	}
	return real->C_Sign(s, d, dl, sig, sl);
}

static CK_RV
shim_GenerateRandom(CK_SESSION_HANDLE s, CK_BYTE *b, CK_ULONG n)
{
	CK_RV rv = shim_enter(SHIM_RANDOM);

	return rv != CKR_OK ? rv : real->C_GenerateRandom(s, b, n);
}

static CK_RV
shim_GenerateKeyPair(CK_SESSION_HANDLE s, CK_MECHANISM *m,
    CK_ATTRIBUTE *pt, CK_ULONG pn, CK_ATTRIBUTE *vt, CK_ULONG vn,
    CK_OBJECT_HANDLE *ph, CK_OBJECT_HANDLE *vh)
{
	CK_RV rv = shim_enter(SHIM_GENERATE_KEY_PAIR);

	return rv != CKR_OK ? rv
			    : real->C_GenerateKeyPair(s, m, pt, pn, vt, vn, ph,
				  vh);
}

/** C_GetFunctionList(list): the wrapped function list. */
CK_RV
C_GetFunctionList(CK_FUNCTION_LIST_PTR_PTR list)
{
	CK_RV (*get)(CK_FUNCTION_LIST_PTR_PTR);
	const char *target = getenv("HSM_SHIM_TARGET");
	void *dl;
	CK_RV rv = CKR_OK;

	pthread_mutex_lock(&shim_mu);
	if (real == NULL) {
		/* Never unloaded: the real module lives as long as the
		 * process. */
		dl = dlopen(target ? target : "/usr/lib/softhsm/libsofthsm2.so",
		    RTLD_NOW | RTLD_LOCAL);
		if (dl == NULL) {
			rv = CKR_LIBRARY_LOAD_FAILED;
			goto out;
		}
		*(void **)&get = dlsym(dl, "C_GetFunctionList");
		if (get == NULL || (rv = get(&real)) != CKR_OK) {
			rv = CKR_LIBRARY_LOAD_FAILED;
			real = NULL;
			goto out;
		}
		shim = *real;
		shim.C_Initialize = shim_Initialize;
		shim.C_OpenSession = shim_OpenSession;
		shim.C_CloseSession = shim_CloseSession;
		shim.C_Login = shim_Login;
		shim.C_FindObjectsInit = shim_FindObjectsInit;
		shim.C_SignInit = shim_SignInit;
		shim.C_Sign = shim_Sign;
		shim.C_GenerateRandom = shim_GenerateRandom;
		shim.C_GenerateKeyPair = shim_GenerateKeyPair;
	}
	*list = &shim;
out:
	pthread_mutex_unlock(&shim_mu);
	return rv;
}
