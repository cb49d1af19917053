/* SPDX-License-Identifier: Apache-2.0 */
/*
 * hsm_ckr: names for every PKCS#11 return value (CKR_*) and the Hanko error
 * each one maps to, so that every module failure is logged with the
 * Cryptoki function and the CKR name and reaches callers as one HK_E* code
 * (NET-4: the adapter never crashes or guesses on a module error). Also
 * says which values retire a session (see hsm_internal.h). Internal to
 * hsm/: only hsm/ and its tests include <p11-kit/pkcs11.h>.
 */
#ifndef HK_HSM_CKR_H
#define HK_HSM_CKR_H

#include <stdbool.h>

#include <p11-kit/pkcs11.h>

#include "core/err.h"

/** hsm_ckr_name(rv): the static name of ${rv} ("CKR_PIN_INCORRECT"), or
 * "CKR_VENDOR_DEFINED+0x..." / "CKR_0x..." written into a thread-local
 * buffer for values the header does not name; never NULL. Any thread. */
const char *hsm_ckr_name(CK_RV rv);

/** hsm_ckr_err(rv): the HK_E* code for ${rv} (HK_OK for CKR_OK; HK_EHSM for
 * values without a closer meaning, including vendor-defined ones). */
int hsm_ckr_err(CK_RV rv);

/** hsm_ckr_retires(rv): true when ${rv} means the session (or the device
 * behind it) can no longer be trusted, so it must be closed and replaced:
 * CKR_SESSION_HANDLE_INVALID, CKR_SESSION_CLOSED, CKR_DEVICE_ERROR,
 * CKR_DEVICE_REMOVED, CKR_GENERAL_ERROR, CKR_TOKEN_NOT_PRESENT and
 * CKR_OPERATION_ACTIVE (which can only come from a session left in an
 * unknown state, since the pool never runs two operations on one). */
bool hsm_ckr_retires(CK_RV rv);

/** hsm_ckr_fail(where, fn, rv): log "${fn}: CKR_NAME (0x..)" at error level
 * under the function name ${where} and return hsm_ckr_err(${rv}). Use it
 * exactly once, where the failure is first seen (style item 13). */
int hsm_ckr_fail(const char *where, const char *fn, CK_RV rv);

/** hsm_ckr_count(): the number of named CKR values (for tests). */
unsigned hsm_ckr_count(void);

/** hsm_ckr_at(i, rv): the ${i}-th named value into ${rv} and its name
 * returned; NULL past the end (for tests). */
const char *hsm_ckr_at(unsigned i, CK_RV *rv);

#endif
