/* SPDX-License-Identifier: Apache-2.0 */
/*
 * hsm_token: initialising a token through PKCS#11 (C_InitToken, C_InitPIN)
 * for the embedded default that `hanko init` sets up (NET-4, OPS-5). The
 * PINs come from protected files, never from a command line (softhsm2-util
 * takes them as arguments, where ps(1) shows them).
 */
#include <dlfcn.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "core/log.h"
#include "hsm/hsm_ckr.h"
#include "hsm/hsm_internal.h"

/* Find slots by token state: the first free (uninitialised) one, and
 * whether an initialised token already carries ${label}. */
static int
slots_scan(struct hsm_pool *p, const char *label, CK_SLOT_ID *free_slot,
    bool *have_free, CK_SLOT_ID *labelled, bool *have_label)
{
	CK_SLOT_ID *slots = NULL;
	CK_ULONG n = 0, i;
	CK_TOKEN_INFO ti;
	char l[33];
	CK_RV rv;
	int r = 0;

	*have_free = *have_label = false;
	if ((rv = p->f->C_GetSlotList(CK_TRUE, NULL, &n)) != CKR_OK)
		return hsm_ckr_fail(__func__, "C_GetSlotList", rv);
	if (n == 0)
		return 0;
	if ((slots = calloc(n, sizeof(*slots))) == NULL)
		return HK_ENOMEM;
	if ((rv = p->f->C_GetSlotList(CK_TRUE, slots, &n)) != CKR_OK) {
		r = hsm_ckr_fail(__func__, "C_GetSlotList", rv);
		goto out;
	}
	for (i = 0; i < n; i++) {
		if (p->f->C_GetTokenInfo(slots[i], &ti) != CKR_OK)
			continue;
		if (!(ti.flags & CKF_TOKEN_INITIALIZED)) {
			if (!*have_free) {
				*free_slot = slots[i];
				*have_free = true;
			}
			continue;
		}
		hsm_p11_str(l, sizeof(l), ti.label, sizeof(ti.label));
		if (strcmp(l, label) == 0) {
			*labelled = slots[i];
			*have_label = true;
		}
	}
out:
	free(slots);
	return r;
}

/** hsm_token_init(module, label, so_pin_file, user_pin_file): C_InitToken
 * and C_InitPIN on a free token. */
int
hsm_token_init(const char *module, const char *label, const char *so_pin_file,
    const char *user_pin_file)
{
	struct hsm_pool p;
	CK_UTF8CHAR padded[32];
	CK_SESSION_HANDLE h = CK_INVALID_HANDLE;
	CK_SLOT_ID slot = 0, tok = 0;
	uint8_t *so = NULL, *user = NULL;
	size_t solen = 0, userlen = 0;
	bool have_free, have_label, logged_in = false;
	CK_RV rv;
	int r;

	memset(&p, 0, sizeof(p));
	if (sodium_init() < 0)
		return HK_ECRYPTO;
	if (module == NULL)
		module = HSM_MODULE_DEFAULT;
	if (label == NULL || label[0] == '\0' || strlen(label) > 32)
		return HK_EINVAL;
	if ((so = sodium_malloc(HSM_PIN_MAX)) == NULL ||
	    (user = sodium_malloc(HSM_PIN_MAX)) == NULL) {
		r = HK_ENOMEM;
		goto out;
	}
	if ((r = hsm_pin_read(so_pin_file, so, &solen)) != 0 ||
	    (r = hsm_pin_read(user_pin_file, user, &userlen)) != 0 ||
	    (r = hsm_module_load(&p, module)) != 0 ||
	    (r = hsm_module_init(&p, module)) != 0)
		goto out;
	if ((r = slots_scan(&p, label, &slot, &have_free, &tok,
		 &have_label)) != 0)
		goto out;
	if (have_label) {
		hk_error_f("a token labelled \"%s\" already exists", label);
		r = HK_EEXIST;
		goto out;
	}
	if (!have_free) {
		hk_error_f("%s offers no free token to initialise", module);
		r = HK_ENOTFOUND;
		goto out;
	}
	memset(padded, ' ', sizeof(padded));
	memcpy(padded, label, strlen(label));
	rv = p.f->C_InitToken(slot, so, (CK_ULONG)solen, padded);
	if (rv != CKR_OK) {
		r = hsm_ckr_fail(__func__, "C_InitToken", rv);
		goto out;
	}
	/* A module may move the token to another slot id once initialised
	 * (SoftHSM does): find it again by its label. */
	if ((r = slots_scan(&p, label, &slot, &have_free, &tok,
		 &have_label)) != 0)
		goto out;
	if (!have_label) {
		hk_error_f("token \"%s\" not found after C_InitToken", label);
		r = HK_EHSM;
		goto out;
	}
	if ((rv = p.f->C_OpenSession(tok, CKF_SERIAL_SESSION | CKF_RW_SESSION,
		 NULL, NULL, &h)) != CKR_OK) {
		r = hsm_ckr_fail(__func__, "C_OpenSession", rv);
		goto out;
	}
	if ((rv = p.f->C_Login(h, CKU_SO, so, (CK_ULONG)solen)) != CKR_OK) {
		r = hsm_ckr_fail(__func__, "C_Login(SO)", rv);
		goto out;
	}
	logged_in = true;
	if ((rv = p.f->C_InitPIN(h, user, (CK_ULONG)userlen)) != CKR_OK) {
		r = hsm_ckr_fail(__func__, "C_InitPIN", rv);
		goto out;
	}
	r = 0;
out:
	if (logged_in)
		(void)p.f->C_Logout(h);
	if (h != CK_INVALID_HANDLE)
		(void)p.f->C_CloseSession(h);
	if (p.f != NULL && p.initialised)
		(void)p.f->C_Finalize(NULL);
	/* The module stays mapped (RTLD_NODELETE), as with pools. */
	if (p.dl != NULL)
		dlclose(p.dl);
	sodium_free(so);
	sodium_free(user);
	return r;
}
