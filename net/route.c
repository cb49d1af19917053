/* SPDX-License-Identifier: Apache-2.0 */
/*
 * route: the route table of docs/admin-api.md and docs/csc-api.md and the
 * generic schema translation both ways (NET-1, ACT-3, ACT-5, ACT-8,
 * OPS-1, OPS-6); see route.h.
 *
 * The table is data only. A request becomes a msgpack map written in the
 * order of the route's request fields, which are sorted by key (the unit
 * tests check every schema), so the map's keys ascend as the profile
 * (core/mpk.h) requires. A response is read key by key and each key is
 * looked up in the response schema: an unknown key, a value of another
 * type, a missing required key or a bound exceeded makes the whole
 * answer untrusted (502 in the front).
 */
#define _GNU_SOURCE /* malloc_usable_size */
#include <malloc.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <jansson.h>
#include <sodium.h>

#include "core/codec.h"
#include "net/route.h"

/* Bounds of the response text fields (requests have their own), and of
 * each bin of an answer (a DER certificate, a signature). */
#define RESP_STR_MAX 4096
#define RESP_PEM_MAX 65536
#define RESP_BIN_MAX 65536
/* A receipt (an event of up to 64 KiB in Base64 plus a proof) and one
 * event as JSON (bin values in hex) fit in this. */
#define RESP_TEXT_MAX (256 * 1024)

/* ---- the table ---------------------------------------------------------- */

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

/* Request fields. */
#define Q_STR(k, n, lo, hi) \
	{.name = n, .key = k, .type = NET_ROUTE_STR, .required = true, \
	    .min = lo, .max = hi}
#define Q_ONEOF(k, n, set) \
	{.name = n, .key = k, .type = NET_ROUTE_STR, .required = true, \
	    .min = 1, .max = 32, .oneof = set}
#define Q_SECRET(k, n, lo, hi) \
	{.name = n, .key = k, .type = NET_ROUTE_SECRET, .required = true, \
	    .min = lo, .max = hi}
/* An optional secret: the OTP, which level 1 credentials do not use. */
#define Q_SECRET_OPT(k, n, lo, hi) \
	{.name = n, .key = k, .type = NET_ROUTE_SECRET, .min = lo, .max = hi}
#define Q_PEM(k, n) \
	{.name = n, .key = k, .type = NET_ROUTE_PEM, .required = true, \
	    .min = 1, .max = 65536}
#define Q_UINT(k, n, lo, hi) \
	{.name = n, .key = k, .type = NET_ROUTE_UINT, .required = true, \
	    .min = lo, .max = hi}
/* Optional fields (the query parameters of docs/audit-api.md). */
#define Q_UINT_OPT(k, n, lo, hi) \
	{.name = n, .key = k, .type = NET_ROUTE_UINT, .min = lo, .max = hi}
#define Q_STR_OPT(k, n, lo, hi) \
	{.name = n, .key = k, .type = NET_ROUTE_STR, .min = lo, .max = hi}
#define Q_PATH(k, n, shape) \
	{.name = n, .key = k, .type = NET_ROUTE_STR, .src = NET_ROUTE_PATH, \
	    .required = true, .id = shape}
#define Q_CONST(k, n, v) \
	{.name = n, .key = k, .type = NET_ROUTE_STR, .src = NET_ROUTE_CONST, \
	    .required = true, .value = v}

/* Response fields: R_ required, O_ optional (absent or nil). */
#define R_STR(k, n) \
	{.name = n, .key = k, .type = NET_ROUTE_STR, .required = true, \
	    .max = RESP_STR_MAX}
#define O_STR(k, n) \
	{.name = n, .key = k, .type = NET_ROUTE_STR, .max = RESP_STR_MAX}
#define R_SECRET(k, n) \
	{.name = n, .key = k, .type = NET_ROUTE_SECRET, .required = true, \
	    .max = RESP_STR_MAX}
#define O_SECRET(k, n) \
	{.name = n, .key = k, .type = NET_ROUTE_SECRET, .max = RESP_STR_MAX}
#define R_PEM(k, n) \
	{.name = n, .key = k, .type = NET_ROUTE_PEM, .required = true, \
	    .max = RESP_PEM_MAX}
#define O_PEM(k, n) \
	{.name = n, .key = k, .type = NET_ROUTE_PEM, .max = RESP_PEM_MAX}
#define R_UINT(k, n) \
	{.name = n, .key = k, .type = NET_ROUTE_UINT, .required = true}
#define R_BOOL(k, n) \
	{.name = n, .key = k, .type = NET_ROUTE_BOOL, .required = true}
#define R_LIST(k, n, it) \
	{.name = n, .key = k, .type = NET_ROUTE_LIST, .required = true, \
	    .items = it, .nitems = NELEM(it)}
#define O_LIST(k, n, it) \
	{.name = n, .key = k, .type = NET_ROUTE_LIST, .items = it, \
	    .nitems = NELEM(it)}
#define O_UINT(k, n) {.name = n, .key = k, .type = NET_ROUTE_UINT}
#define O_BOOL(k, n) {.name = n, .key = k, .type = NET_ROUTE_BOOL}
#define R_MAP(k, n, it) \
	{.name = n, .key = k, .type = NET_ROUTE_MAP, .required = true, \
	    .items = it, .nitems = NELEM(it)}
#define O_MAP(k, n, it) \
	{.name = n, .key = k, .type = NET_ROUTE_MAP, .items = it, \
	    .nitems = NELEM(it)}
#define R_STRLIST(k, n) \
	{.name = n, .key = k, .type = NET_ROUTE_STRLIST, .required = true, \
	    .max = RESP_STR_MAX}
#define R_STRLISTLIST(k, n) \
	{.name = n, .key = k, .type = NET_ROUTE_STRLISTLIST, \
	    .required = true, .max = RESP_STR_MAX}
#define R_BINLIST(k, n) \
	{.name = n, .key = k, .type = NET_ROUTE_BINLIST, .required = true, \
	    .max = RESP_BIN_MAX}
#define O_BINLIST(k, n) \
	{.name = n, .key = k, .type = NET_ROUTE_BINLIST, .max = RESP_BIN_MAX}
/* A long text (a receipt, a proof) and a list of JSON objects' texts. */
#define R_TEXT(k, n) \
	{.name = n, .key = k, .type = NET_ROUTE_STR, .required = true, \
	    .max = RESP_TEXT_MAX}
#define R_JSONLIST(k, n) \
	{.name = n, .key = k, .type = NET_ROUTE_JSONLIST, .required = true, \
	    .max = RESP_TEXT_MAX}
#define R_UINTLIST(k, n) \
	{.name = n, .key = k, .type = NET_ROUTE_UINTLIST, .required = true}

/*
 * CSC request fields (docs/csc-api.md; the CSC dialect of route.h): C_
 * required, CO_ optional. ${bad} is CSC's text for a value that is
 * present but not allowed.
 */
#define C_STR(k, n, lo, hi, why) \
	{.name = n, .key = k, .type = NET_ROUTE_STR, .required = true, \
	    .min = lo, .max = hi, .bad = why}
#define CO_STR(k, n, lo, hi, why) \
	{.name = n, .key = k, .type = NET_ROUTE_STR, .min = lo, .max = hi, \
	    .bad = why}
#define C_SECRET(k, n, lo, hi, why) \
	{.name = n, .key = k, .type = NET_ROUTE_SECRET, .required = true, \
	    .min = lo, .max = hi, .bad = why}
#define CO_ONEOF(k, n, set, why) \
	{.name = n, .key = k, .type = NET_ROUTE_STR, .min = 1, .max = 32, \
	    .oneof = set, .bad = why}
#define CO_BOOL(k, n) {.name = n, .key = k, .type = NET_ROUTE_BOOL}
#define C_UINT(k, n, lo, hi) \
	{.name = n, .key = k, .type = NET_ROUTE_UINT, .required = true, \
	    .min = lo, .max = hi}
/* hashes: 1 to 1024 Base64 strings, each decoded to a bin. */
#define C_HASHES(k, req) \
	{.name = "hashes", .key = k, .type = NET_ROUTE_BINLIST, \
	    .required = req, .min = 1, .max = 1024, \
	    .bad = "Invalid Base64 hash string parameter", \
	    .few = "Empty hash array", .many = "Too many hashes"}
/* clientData: opaque text for the records; "" counts as absent. */
#define C_CLIENT_DATA(k) \
	{.name = "clientData", .key = k, .type = NET_ROUTE_STR, .max = 1024, \
	    .blank = true}
/* The credential a method is about. */
#define C_CREDENTIAL_ID(k) \
	C_STR(k, "credentialID", 1, 256, "Invalid parameter credentialID")
#define CO_CERTIFICATES(k) \
	CO_ONEOF(k, "certificates", csc_certificates, \
	    "Invalid parameter certificates")
#define C_SAD(k) C_SECRET(k, "SAD", 1, 1024, "Invalid parameter SAD")
#define CO_HASH_OID(k) \
	CO_STR(k, "hashAlgorithmOID", 1, 128, \
	    "Invalid parameter hashAlgorithmOID")

static const char *const roles[] = {"administrator", "security_officer",
    "auditor", "operator", NULL};
static const char *const kinds[] = {"natural", "legal", NULL};
static const char *const algorithms[] = {"p256", "p384", "rsa2048",
    "rsa3072", "ed25519", NULL};
static const char *const destroy_reasons[] = {"renewal", "revocation",
    "termination", NULL};

/* Request schemas. */
static const struct net_route_field q_users_add[] = {
    Q_PEM(1, "certificate"),
    Q_ONEOF(2, "role", roles),
};
static const struct net_route_field q_users_remove[] = {
    Q_PATH(1, "fingerprint", NET_ROUTE_FINGERPRINT),
};
static const struct net_route_field q_approve[] = {
    Q_PATH(1, "id", NET_ROUTE_APPROVAL_ID),
    Q_CONST(2, "decision", "approve"),
};
static const struct net_route_field q_reject[] = {
    Q_PATH(1, "id", NET_ROUTE_APPROVAL_ID),
    Q_CONST(2, "decision", "reject"),
};
static const struct net_route_field q_signer_register[] = {
    Q_ONEOF(1, "kind", kinds),
    Q_STR(2, "name", 1, 256),
    Q_STR(3, "organization", 0, 256),
    Q_STR(4, "email", 1, 254),
    Q_STR(5, "identity_proofing", 1, 256),
};
static const struct net_route_field q_signer[] = {
    Q_PATH(1, "signer_id", NET_ROUTE_SIGNER_ID),
};
static const struct net_route_field q_signer_erase[] = {
    Q_PATH(1, "signer_id", NET_ROUTE_SIGNER_ID),
    Q_STR(2, "reason", 1, 256),
};
static const struct net_route_field q_credential_create[] = {
    Q_PATH(1, "signer_id", NET_ROUTE_SIGNER_ID),
    Q_ONEOF(2, "algorithm", algorithms),
    Q_UINT(3, "level", 1, 2),
};
static const struct net_route_field q_credential[] = {
    Q_PATH(1, "credential_id", NET_ROUTE_CREDENTIAL_ID),
};
static const struct net_route_field q_certificate[] = {
    Q_PATH(1, "credential_id", NET_ROUTE_CREDENTIAL_ID),
    Q_PEM(2, "chain"),
};
static const struct net_route_field q_suspend[] = {
    Q_PATH(1, "credential_id", NET_ROUTE_CREDENTIAL_ID),
    Q_STR(2, "reason", 1, 256),
};
static const struct net_route_field q_destroy[] = {
    Q_PATH(1, "credential_id", NET_ROUTE_CREDENTIAL_ID),
    Q_ONEOF(2, "reason", destroy_reasons),
};
static const struct net_route_field q_enroll[] = {
    Q_SECRET(1, "enrollment_code", 1, 128),
    Q_SECRET(2, "password", 1, 1024),
    Q_SECRET(3, "pin", 1, 128),
};
static const struct net_route_field q_csr_confirm[] = {
    Q_PATH(1, "credential_id", NET_ROUTE_CREDENTIAL_ID),
    Q_SECRET(2, "pin", 1, 128),
};
static const struct net_route_field q_signer_suspend[] = {
    Q_PATH(1, "credential_id", NET_ROUTE_CREDENTIAL_ID),
    Q_STR(2, "nonce", 1, 128),
    Q_SECRET(3, "pin", 1, 128),
    Q_SECRET_OPT(4, "otp", 1, 16),
};
static const struct net_route_field q_signer_destroy[] = {
    Q_PATH(1, "credential_id", NET_ROUTE_CREDENTIAL_ID),
    Q_STR(2, "nonce", 1, 128),
    Q_SECRET(3, "pin", 1, 128),
    Q_SECRET_OPT(4, "otp", 1, 16),
    Q_STR(5, "reason", 1, 256),
};

/* Auditor request schemas (docs/audit-api.md): from the query. */
static const struct net_route_field q_audit_events[] = {
    Q_UINT_OPT(1, "from", 0, 0),
    Q_UINT_OPT(2, "limit", 1, 500),
    Q_STR_OPT(3, "type", 1, 64),
    Q_STR_OPT(4, "signer", 1, 64),
    Q_STR_OPT(5, "credential", 1, 64),
    Q_UINT_OPT(6, "since", 0, 0),
    Q_UINT_OPT(7, "until", 0, 0),
    Q_STR_OPT(8, "actor", 1, 64),
};
static const struct net_route_field q_audit_receipt[] = {
    Q_PATH(1, "seq", NET_ROUTE_SEQ),
};
static const struct net_route_field q_audit_consistency[] = {
    Q_UINT(1, "old", 1, 0),
    Q_UINT_OPT(2, "new", 1, 0),
};
static const struct net_route_field q_audit_bundle[] = {
    Q_UINT_OPT(1, "from", 0, 0),
    Q_UINT_OPT(2, "to", 0, 0),
};
static const struct net_route_field q_audit_signatures[] = {
    Q_STR(1, "hash", 1, 256),
    Q_UINT_OPT(2, "from", 0, 0),
};
/* The console's views (issue 8). */
static const struct net_route_field q_audit_history[] = {
    Q_STR_OPT(1, "signer", 1, 64),
    Q_STR_OPT(2, "credential", 1, 64),
    Q_UINT_OPT(3, "from", 0, 0),
};
static const struct net_route_field q_audit_signers[] = {
    Q_STR_OPT(1, "after", 1, 64),
    Q_UINT_OPT(2, "limit", 1, 200),
};

/* CSC request schemas (docs/csc-api.md "Request and response maps"). */
static const char *const csc_certificates[] = {"none", "single", "chain",
    NULL};
static const char *const csc_token_hints[] = {"access_token",
    "refresh_token", NULL};
static const struct net_route_field q_csc_login[] = {
    CO_BOOL(1, "rememberMe"),
    C_CLIENT_DATA(2),
};
static const struct net_route_field q_csc_revoke[] = {
    C_SECRET(1, "token", 1, 1024, "Invalid string parameter token"),
    CO_ONEOF(2, "token_type_hint", csc_token_hints,
	"Invalid string parameter token_type_hint"),
    C_CLIENT_DATA(3),
};
static const struct net_route_field q_csc_list[] = {
    CO_BOOL(1, "credentialInfo"),
    CO_CERTIFICATES(2),
    CO_BOOL(3, "certInfo"),
    CO_BOOL(4, "authInfo"),
    CO_BOOL(5, "onlyValid"),
    C_CLIENT_DATA(6),
};
static const struct net_route_field q_csc_cred_info[] = {
    C_CREDENTIAL_ID(1),
    CO_CERTIFICATES(2),
    CO_BOOL(3, "certInfo"),
    CO_BOOL(4, "authInfo"),
    C_CLIENT_DATA(5),
};
/* One authData object: {"id": "PIN", "value": "..."}; value is absent
 * for out-of-band objects. */
static const struct net_route_field q_csc_auth_item[] = {
    C_STR(1, "id", 1, 64, NULL),
    {.name = "value", .key = 2, .type = NET_ROUTE_SECRET, .min = 1,
	.max = 128},
};
static const struct net_route_field q_csc_authorize[] = {
    C_CREDENTIAL_ID(1),
    C_UINT(2, "numSignatures", 1, 0xffffffffu),
    C_HASHES(3, true),
    CO_HASH_OID(4),
    {.name = "authData", .key = 5, .type = NET_ROUTE_LIST, .max = 8,
	.items = q_csc_auth_item, .nitems = NELEM(q_csc_auth_item),
	.bad = "Invalid parameter authData"},
    CO_STR(6, "description", 0, 500, "Invalid parameter description"),
    C_CLIENT_DATA(7),
};
static const struct net_route_field q_csc_extend[] = {
    C_CREDENTIAL_ID(1),
    C_SAD(2),
    C_HASHES(3, false),
    CO_HASH_OID(4),
    C_CLIENT_DATA(5),
};
static const struct net_route_field q_csc_sign_hash[] = {
    C_CREDENTIAL_ID(1),
    C_SAD(2),
    C_HASHES(3, true),
    CO_HASH_OID(4),
    C_STR(5, "signAlgo", 1, 128, "Invalid parameter signAlgo"),
    /* Base64 of DER (RSASSA-PSS parameters); "" counts as absent. */
    {.name = "signAlgoParams", .key = 6, .type = NET_ROUTE_BIN, .min = 1,
	.max = 4096, .blank = true, .bad = "Invalid parameter signAlgoParams"},
    C_CLIENT_DATA(7),
};

/* Response schemas. */
static const struct net_route_field r_status[] = {
    R_STR(1, "origin"),
    R_UINT(2, "ledger_size"),
    R_UINT(3, "signers"),
    R_UINT(4, "credentials"),
    R_STR(5, "role"),
};
static const struct net_route_field r_user_item[] = {
    R_STR(1, "fingerprint"),
    R_STR(2, "subject"),
    R_STR(3, "role"),
    R_BOOL(4, "active"),
};
static const struct net_route_field r_users[] = {
    R_LIST(1, "users", r_user_item),
};
static const struct net_route_field r_approval[] = {
    R_STR(1, "approval"),
};
static const struct net_route_field r_approval_item[] = {
    R_STR(1, "id"),
    R_STR(2, "operation"),
    R_STR(3, "target"),
    R_STR(4, "requested_by"),
    R_UINT(5, "expires"),
};
static const struct net_route_field r_approvals[] = {
    R_LIST(1, "approvals", r_approval_item),
};
static const struct net_route_field r_decision[] = {
    R_STR(1, "id"),
    R_STR(2, "outcome"),
};
static const struct net_route_field r_signer_id[] = {
    R_STR(1, "signer_id"),
};
static const struct net_route_field r_credential_item[] = {
    R_STR(1, "credential_id"),
    R_STR(2, "state"),
};
/* Identity attributes are absent once the signer is erased (REG-1). */
static const struct net_route_field r_signer[] = {
    R_STR(1, "signer_id"),
    R_STR(2, "kind"),
    O_STR(3, "name"),
    O_STR(4, "organization"),
    O_STR(5, "email"),
    O_STR(6, "identity_proofing"),
    R_BOOL(7, "erased"),
    R_LIST(8, "credentials", r_credential_item),
};
static const struct net_route_field r_credential_create[] = {
    R_STR(1, "credential_id"),
    R_SECRET(2, "enrollment_code"),
    R_UINT(3, "expires"),
};
/* No key, certificate or CSR before the steps that make them. */
static const struct net_route_field r_credential[] = {
    R_STR(1, "credential_id"),
    R_STR(2, "signer_id"),
    R_STR(3, "state"),
    R_BOOL(4, "locked"),
    R_STR(5, "algorithm"),
    R_UINT(6, "level"),
    O_STR(7, "key_fingerprint"),
    O_PEM(8, "certificate"),
    O_STR(9, "csr_state"),
};
static const struct net_route_field r_key[] = {
    R_STR(1, "key_fingerprint"),
    R_PEM(2, "public_key"),
};
static const struct net_route_field r_csr_subject[] = {
    R_STR(1, "subject"),
    R_STR(2, "csr_state"),
};
static const struct net_route_field r_csr[] = {
    R_PEM(1, "csr"),
};
static const struct net_route_field r_certificate[] = {
    R_STR(1, "credential_id"),
    R_STR(2, "state"),
    R_STR(3, "certificate_fingerprint"),
};
static const struct net_route_field r_state[] = {
    R_STR(1, "state"),
};
static const struct net_route_field r_enroll[] = {
    R_STR(1, "signer_id"),
    R_STR(2, "credential_id"),
    O_SECRET(3, "otpauth_uri"), /* level 2 only */
};
static const struct net_route_field r_csr_state[] = {
    R_STR(1, "csr_state"),
};
static const struct net_route_field r_nonce[] = {
    R_STR(1, "nonce"),
    R_UINT(2, "expires_in"),
};

/* Auditor response schemas. */
static const struct net_route_field r_audit_status[] = {
    R_STR(1, "origin"),
    R_UINT(2, "size"),
    R_STR(3, "checkpoint"),
    R_STR(4, "vkey"),
    R_UINT(5, "verified_at"),
    R_UINT(6, "verified_events"),
    R_STR(7, "verified_result"),
    R_STR(8, "verified_message"),
    R_UINT(9, "verified_seq"),
};
static const struct net_route_field r_audit_events[] = {
    R_JSONLIST(1, "events"),
    R_UINT(2, "next"),
    R_UINT(3, "size"),
};
static const struct net_route_field r_audit_receipt[] = {
    R_TEXT(1, "receipt"),
};
static const struct net_route_field r_audit_consistency[] = {
    R_TEXT(1, "proof"),
};
static const struct net_route_field r_audit_signatures[] = {
    R_JSONLIST(1, "signatures"),
    R_UINT(2, "next"),
    R_UINT(3, "size"),
};
static const struct net_route_field r_audit_summary[] = {
    R_UINT(1, "signers"),
    R_UINT(2, "signers_erased"),
    R_UINT(3, "credentials"),
    R_UINT(4, "credentials_created"),
    R_UINT(5, "credentials_key_generated"),
    R_UINT(6, "credentials_active"),
    R_UINT(7, "credentials_suspended"),
    R_UINT(8, "credentials_destroyed"),
    R_UINT(9, "credentials_locked"),
    R_UINT(10, "signatures"),
    R_UINT(11, "signatures_today"),
    R_UINT(12, "today_since"),
    R_UINT(13, "size"),
    R_STR(14, "version"),
};
static const struct net_route_field r_audit_history[] = {
    {.name = "subject", .key = 1, .type = NET_ROUTE_JSON, .required = true,
	.max = RESP_TEXT_MAX},
    R_JSONLIST(2, "history"),
    R_UINT(3, "next"),
    R_UINT(4, "size"),
};
static const struct net_route_field r_audit_signers[] = {
    R_JSONLIST(1, "signers"),
    O_STR(2, "next"),
};

/* CSC response schemas. */
static const struct net_route_field r_csc_algos[] = {
    R_STRLIST(1, "algos"),
};
static const struct net_route_field r_csc_formats[] = {
    R_STRLIST(1, "formats"),
    R_STRLISTLIST(2, "envelope_properties"),
};
static const struct net_route_field r_csc_info[] = {
    R_STR(1, "specs"),
    R_STR(2, "name"),
    R_STR(3, "logo"),
    R_STR(4, "region"),
    R_STR(5, "lang"),
    R_STR(6, "description"),
    R_STRLIST(7, "authType"),
    R_STRLIST(8, "methods"),
    R_MAP(9, "signAlgorithms", r_csc_algos),
    R_MAP(10, "signature_formats", r_csc_formats),
    R_STRLIST(11, "conformance_levels"),
};
static const struct net_route_field r_csc_login[] = {
    R_SECRET(1, "access_token"),
    R_UINT(2, "expires_in"),
};
static const struct net_route_field r_csc_key[] = {
    R_STR(1, "status"),
    R_STRLIST(2, "algo"),
    R_UINT(3, "len"),
    O_STR(4, "curve"), /* EC keys only */
};
/* certificates: absent for "none"; keys 3-7 only with certInfo. */
static const struct net_route_field r_csc_cert[] = {
    R_STR(1, "status"),
    O_BINLIST(2, "certificates"),
    O_STR(3, "issuerDN"),
    O_STR(4, "subjectDN"),
    O_STR(5, "serialNumber"),
    O_STR(6, "validFrom"),
    O_STR(7, "validTo"),
};
static const struct net_route_field r_csc_auth_object[] = {
    R_STR(1, "type"),
    R_STR(2, "id"),
    R_STR(3, "format"),
    R_STR(4, "label"),
    O_STR(5, "generator"), /* OTP only */
};
static const struct net_route_field r_csc_auth[] = {
    R_STR(1, "mode"),
    R_STR(2, "expression"),
    R_LIST(3, "objects", r_csc_auth_object),
};
/* credentials/info; description and lang are optional in CSC, auth comes
 * only with authInfo. */
#define CSC_CRED_INFO \
	O_STR(1, "description"), R_MAP(2, "key", r_csc_key), \
	    R_MAP(3, "cert", r_csc_cert), O_MAP(4, "auth", r_csc_auth), \
	    R_STR(5, "SCAL"), R_UINT(6, "multisign"), O_STR(7, "lang"), \
	    R_UINT(8, "hanko_level")
static const struct net_route_field r_csc_cred_info[] = {
    CSC_CRED_INFO,
};
static const struct net_route_field r_csc_cred_item[] = {
    CSC_CRED_INFO,
    R_STR(20, "credentialID"),
};
static const struct net_route_field r_csc_list[] = {
    R_STRLIST(1, "credentialIDs"),
    O_LIST(2, "credentialInfos", r_csc_cred_item), /* with credentialInfo */
    O_BOOL(3, "onlyValid"),                         /* when asked */
};
static const struct net_route_field r_csc_sad[] = {
    R_SECRET(1, "SAD"),
    R_UINT(2, "expiresIn"),
};
static const struct net_route_field r_csc_sign_hash[] = {
    R_BINLIST(1, "signatures"),
    R_UINTLIST(2, "hanko_seqs"),
};

#define SIGN NET_ROUTE_SIGNING
#define ADM NET_ROUTE_ADMIN
#define BOTH (NET_ROUTE_SIGNING | NET_ROUTE_ADMIN)
#define AUTH NET_ROUTE_FORWARD_AUTH
#define BASIC (NET_ROUTE_FORWARD_AUTH | NET_ROUTE_BASIC)
#define NOREQ NULL, 0
#define REQ(a) a, NELEM(a)
#define RESP(a) a, NELEM(a)
#define A "/admin/v1"
#define S "/signer/v1"
#define CRED "/credentials/{credential_id}"
#define CSC_V2 "/csc/v2"
#define AU "/audit/v1"
#define QUERY NET_ROUTE_QUERY
#define CSC NET_ROUTE_CSC
#define CSC_LOGIN \
	(NET_ROUTE_CSC | NET_ROUTE_FORWARD_AUTH | NET_ROUTE_BASIC | \
	    NET_ROUTE_NEED_BASIC)
#define CSC_BEARER \
	(NET_ROUTE_CSC | NET_ROUTE_FORWARD_AUTH | NET_ROUTE_NEED_BEARER)

/*
 * /healthz and /readyz forward Authorization as before (the fake-core
 * harness steers them with it); the admin routes never do (the client
 * certificate identifies), the signer routes with HTTP Basic do, and so
 * do the CSC routes but info (docs/csc-api.md: Basic for auth/login,
 * Bearer for the others, their shape checked here first).
 */
static const struct net_route routes[] = {
    {NET_HTTP_GET, "/healthz", BOTH, HK_IPC_HEALTH, AUTH, NET_ROUTE_HEALTH,
	NOREQ, NULL, 0, 0},
    {NET_HTTP_GET, "/readyz", BOTH, HK_IPC_READY, AUTH, NET_ROUTE_READY,
	NOREQ, NULL, 0, 0},

    {NET_HTTP_GET, A "/status", ADM, HK_IPC_ADMIN_STATUS, 0, 0, NOREQ,
	RESP(r_status), 0},
    {NET_HTTP_GET, A "/users", ADM, HK_IPC_USERS_LIST, 0, 0, NOREQ,
	RESP(r_users), 0},
    {NET_HTTP_POST, A "/users", ADM, HK_IPC_USERS_ADD, 0, 0,
	REQ(q_users_add), RESP(r_approval), 0},
    {NET_HTTP_DELETE, A "/users/{fingerprint}", ADM, HK_IPC_USERS_REMOVE, 0,
	0, REQ(q_users_remove), RESP(r_approval), 0},
    {NET_HTTP_GET, A "/approvals", ADM, HK_IPC_APPROVALS_LIST, 0, 0, NOREQ,
	RESP(r_approvals), 0},
    {NET_HTTP_POST, A "/approvals/{id}/approve", ADM, HK_IPC_APPROVAL_DECIDE,
	0, 0, REQ(q_approve), RESP(r_decision), 0},
    {NET_HTTP_POST, A "/approvals/{id}/reject", ADM, HK_IPC_APPROVAL_DECIDE,
	0, 0, REQ(q_reject), RESP(r_decision), 0},
    {NET_HTTP_POST, A "/signers", ADM, HK_IPC_SIGNER_REGISTER, 0, 0,
	REQ(q_signer_register), RESP(r_signer_id), 0},
    {NET_HTTP_GET, A "/signers/{signer_id}", ADM, HK_IPC_SIGNER_GET, 0, 0,
	REQ(q_signer), RESP(r_signer), 0},
    {NET_HTTP_POST, A "/signers/{signer_id}/erase", ADM, HK_IPC_SIGNER_ERASE,
	0, 0, REQ(q_signer_erase), RESP(r_signer_id), 0},
    {NET_HTTP_POST, A "/signers/{signer_id}/credentials", ADM,
	HK_IPC_CREDENTIAL_CREATE, 0, 0, REQ(q_credential_create),
	RESP(r_credential_create), 0},
    {NET_HTTP_GET, A CRED, ADM, HK_IPC_CREDENTIAL_GET, 0, 0,
	REQ(q_credential), RESP(r_credential), 0},
    {NET_HTTP_POST, A CRED "/key", ADM, HK_IPC_CREDENTIAL_KEY, 0, 0,
	REQ(q_credential), RESP(r_key), 0},
    {NET_HTTP_POST, A CRED "/csr", ADM, HK_IPC_CREDENTIAL_CSR, 0, 0,
	REQ(q_credential), RESP(r_csr_subject), 0},
    {NET_HTTP_GET, A CRED "/csr", ADM, HK_IPC_CREDENTIAL_CSR_GET, 0, 0,
	REQ(q_credential), RESP(r_csr), 0},
    {NET_HTTP_PUT, A CRED "/certificate", ADM, HK_IPC_CREDENTIAL_CERTIFICATE,
	0, 0, REQ(q_certificate), RESP(r_certificate), 0},
    {NET_HTTP_POST, A CRED "/suspend", ADM, HK_IPC_CREDENTIAL_SUSPEND, 0, 0,
	REQ(q_suspend), RESP(r_state), 0},
    {NET_HTTP_POST, A CRED "/resume", ADM, HK_IPC_CREDENTIAL_RESUME, 0, 0,
	REQ(q_credential), RESP(r_state), 0},
    {NET_HTTP_POST, A CRED "/destroy", ADM, HK_IPC_CREDENTIAL_DESTROY, 0, 0,
	REQ(q_destroy), RESP(r_approval), 0},
    {NET_HTTP_POST, A CRED "/unlock", ADM, HK_IPC_CREDENTIAL_UNLOCK, 0, 0,
	REQ(q_credential), RESP(r_approval), 0},
    {NET_HTTP_POST, A CRED "/renew", ADM, HK_IPC_CREDENTIAL_RENEW, 0, 0,
	REQ(q_credential), RESP(r_key), 0},

    {NET_HTTP_GET, AU "/status", ADM, HK_IPC_AUDIT_STATUS, QUERY, 0, NOREQ,
	RESP(r_audit_status), 200},
    {NET_HTTP_GET, AU "/events", ADM, HK_IPC_AUDIT_EVENTS, QUERY, 0,
	REQ(q_audit_events), RESP(r_audit_events), 200},
    {NET_HTTP_GET, AU "/receipts/{seq}", ADM, HK_IPC_AUDIT_RECEIPT, QUERY, 0,
	REQ(q_audit_receipt), RESP(r_audit_receipt), 200},
    {NET_HTTP_GET, AU "/consistency", ADM, HK_IPC_AUDIT_CONSISTENCY, QUERY,
	0, REQ(q_audit_consistency), RESP(r_audit_consistency), 200},
    {NET_HTTP_GET, AU "/signatures", ADM, HK_IPC_AUDIT_SIGNATURES, QUERY, 0,
	REQ(q_audit_signatures), RESP(r_audit_signatures), 200},
    {NET_HTTP_GET, AU "/bundle", ADM, HK_IPC_AUDIT_BUNDLE, QUERY,
	NET_ROUTE_STREAM, REQ(q_audit_bundle), NULL, 0, 200},
    {NET_HTTP_GET, AU "/summary", ADM, HK_IPC_AUDIT_SUMMARY, QUERY, 0, NOREQ,
	RESP(r_audit_summary), 200},
    {NET_HTTP_GET, AU "/history", ADM, HK_IPC_AUDIT_HISTORY, QUERY, 0,
	REQ(q_audit_history), RESP(r_audit_history), 200},
    {NET_HTTP_GET, AU "/signers", ADM, HK_IPC_AUDIT_SIGNERS, QUERY, 0,
	REQ(q_audit_signers), RESP(r_audit_signers), 200},

    /* The auditor console (docs/console.md): GET and HEAD only; the
     * front asks the core (auditor role, recorded), then serves the
     * built-in asset. */
    {NET_HTTP_GET, "/console/*", ADM, HK_IPC_CONSOLE, 0, NET_ROUTE_CONSOLE,
	NOREQ, NULL, 0, 200},
    {NET_HTTP_HEAD, "/console/*", ADM, HK_IPC_CONSOLE, 0, NET_ROUTE_CONSOLE,
	NOREQ, NULL, 0, 200},

    {NET_HTTP_POST, S "/enroll", SIGN, HK_IPC_SIGNER_ENROLL, 0, 0,
	REQ(q_enroll), RESP(r_enroll), 0},
    {NET_HTTP_GET, S CRED "/csr", SIGN, HK_IPC_SIGNER_CSR_GET, BASIC, 0,
	REQ(q_credential), RESP(r_csr_subject), 0},
    {NET_HTTP_POST, S CRED "/csr/confirm", SIGN, HK_IPC_SIGNER_CSR_CONFIRM,
	BASIC, 0, REQ(q_csr_confirm), RESP(r_csr_state), 0},
    {NET_HTTP_POST, S "/nonce", SIGN, HK_IPC_SIGNER_NONCE, BASIC, 0, NOREQ,
	RESP(r_nonce), 0},
    {NET_HTTP_POST, S CRED "/suspend", SIGN, HK_IPC_SIGNER_SUSPEND, BASIC, 0,
	REQ(q_signer_suspend), RESP(r_state), 0},
    {NET_HTTP_POST, S CRED "/destroy", SIGN, HK_IPC_SIGNER_DESTROY, BASIC, 0,
	REQ(q_signer_destroy), RESP(r_state), 0},

    {NET_HTTP_GET, CSC_V2 "/info", SIGN, HK_IPC_CSC_INFO, CSC, 0, NOREQ,
	RESP(r_csc_info), 200},
    {NET_HTTP_POST, CSC_V2 "/info", SIGN, HK_IPC_CSC_INFO, CSC, 0, NOREQ,
	RESP(r_csc_info), 200},
    {NET_HTTP_POST, CSC_V2 "/auth/login", SIGN, HK_IPC_CSC_LOGIN, CSC_LOGIN,
	0, REQ(q_csc_login), RESP(r_csc_login), 200},
    {NET_HTTP_POST, CSC_V2 "/auth/revoke", SIGN, HK_IPC_CSC_REVOKE,
	CSC_BEARER, 0, REQ(q_csc_revoke), NULL, 0, 204},
    {NET_HTTP_POST, CSC_V2 "/credentials/list", SIGN, HK_IPC_CSC_LIST,
	CSC_BEARER, 0, REQ(q_csc_list), RESP(r_csc_list), 200},
    {NET_HTTP_POST, CSC_V2 "/credentials/info", SIGN, HK_IPC_CSC_CRED_INFO,
	CSC_BEARER, 0, REQ(q_csc_cred_info), RESP(r_csc_cred_info), 200},
    {NET_HTTP_POST, CSC_V2 "/credentials/authorize", SIGN,
	HK_IPC_CSC_AUTHORIZE, CSC_BEARER, 0, REQ(q_csc_authorize),
	RESP(r_csc_sad), 200},
    {NET_HTTP_POST, CSC_V2 "/credentials/extendTransaction", SIGN,
	HK_IPC_CSC_EXTEND, CSC_BEARER, 0, REQ(q_csc_extend), RESP(r_csc_sad),
	200},
    {NET_HTTP_POST, CSC_V2 "/signatures/signHash", SIGN,
	HK_IPC_CSC_SIGN_HASH, CSC_BEARER, 0, REQ(q_csc_sign_hash),
	RESP(r_csc_sign_hash), 200},
};

/** net_route_table(n): the routes. */
const struct net_route *
net_route_table(size_t *n)
{
	*n = NELEM(routes);
	return routes;
}

/* ---- matching ------------------------------------------------------------ */

/*
 * pattern_match(pat, path, len, name, seg): does ${path}[0..len) match
 * ${pat}? A "{x}" segment matches one non-empty path segment. When
 * ${name} is not NULL, ${seg} receives the segment matched by "{name}".
 */
static bool
pattern_match(const char *pat, const char *path, size_t len,
    const char *name, struct net_http_str *seg)
{
	size_t i = 0, nl = name != NULL ? strlen(name) : 0;

	while (*pat != '\0') {
		if (pat[0] == '*' && pat[1] == '\0')
			return true; /* any rest, even none */
		if (*pat == '{') {
			const char *close = strchr(pat, '}');
			size_t start = i;

			while (i < len && path[i] != '/')
				i++;
			if (i == start)
				return false;
			if (name != NULL && (size_t)(close - pat - 1) == nl &&
			    memcmp(pat + 1, name, nl) == 0) {
				seg->p = path + start;
				seg->len = i - start;
			}
			pat = close + 1;
			continue;
		}
		if (i >= len || path[i] != *pat)
			return false;
		i++;
		pat++;
	}
	return i == len;
}

/** net_route_match(path, len, method, listener, out, allow): route it. */
int
net_route_match(const char *path, size_t len, enum net_http_method method,
    unsigned listener, const struct net_route **out,
    char allow[static NET_ROUTE_ALLOW_LEN])
{
	/* The order of the methods in Allow. */
	static const enum net_http_method order[] = {NET_HTTP_GET,
	    NET_HTTP_HEAD, NET_HTTP_POST, NET_HTTP_PUT, NET_HTTP_DELETE,
	    NET_HTTP_OPTIONS};
	unsigned seen = 0;
	size_t i, k, at = 0;

	allow[0] = '\0';
	for (i = 0; i < NELEM(routes); i++) {
		if ((routes[i].listeners & listener) == 0 ||
		    !pattern_match(routes[i].pattern, path, len, NULL, NULL))
			continue;
		if (routes[i].method == method) {
			*out = &routes[i];
			return 0;
		}
		seen |= 1u << routes[i].method;
	}
	if (seen == 0)
		return HK_ENOTFOUND;
	for (k = 0; k < NELEM(order); k++) {
		const char *m = net_http_method_name(order[k]);

		if ((seen & (1u << order[k])) == 0)
			continue;
		/* At most six short names: always fits. */
		at += (size_t)snprintf(allow + at, NET_ROUTE_ALLOW_LEN - at,
		    "%s%s", at > 0 ? ", " : "", m);
	}
	return HK_ENOTSUP;
}

/* ---- requests ------------------------------------------------------------ */

static void
why(struct net_json_error *e, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void
why(struct net_json_error *e, const char *fmt, ...)
{
	va_list ap;

	if (e == NULL)
		return;
	va_start(ap, fmt);
	vsnprintf(e->text, sizeof(e->text), fmt, ap);
	va_end(ap);
}

static bool
lower_hex(const char *p, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (!((p[i] >= '0' && p[i] <= '9') || (p[i] >= 'a' &&
			p[i] <= 'f')))
			return false;
	return true;
}

/* decimal_shape(s): 1 to 19 ASCII digits, no leading zero but "0". */
static bool
decimal_shape(struct net_http_str s)
{
	size_t i;

	if (s.len == 0 || s.len > 19 || (s.len > 1 && s.p[0] == '0'))
		return false;
	for (i = 0; i < s.len; i++)
		if (s.p[i] < '0' || s.p[i] > '9')
			return false;
	return true;
}

/* id_ok(shape, s): does the path segment ${s} have ${shape}? */
static bool
id_ok(enum net_route_id shape, struct net_http_str s)
{
	const char *prefix;

	switch (shape) {
	case NET_ROUTE_ANY: return true;
	case NET_ROUTE_FINGERPRINT: return s.len == 64 && lower_hex(s.p, 64);
	case NET_ROUTE_SEQ: return decimal_shape(s);
	case NET_ROUTE_SIGNER_ID: prefix = "s-"; break;
	case NET_ROUTE_CREDENTIAL_ID: prefix = "c-"; break;
	case NET_ROUTE_APPROVAL_ID: prefix = "a-"; break;
	default: return false;
	}
	return s.len == 18 && memcmp(s.p, prefix, 2) == 0 &&
	    lower_hex(s.p + 2, 16);
}

static const char *
id_shape(enum net_route_id shape)
{
	switch (shape) {
	case NET_ROUTE_SIGNER_ID:
		return "\"s-\" followed by 16 lowercase hex digits";
	case NET_ROUTE_CREDENTIAL_ID:
		return "\"c-\" followed by 16 lowercase hex digits";
	case NET_ROUTE_APPROVAL_ID:
		return "\"a-\" followed by 16 lowercase hex digits";
	case NET_ROUTE_FINGERPRINT:
		return "64 lowercase hex digits (a SHA-256 fingerprint)";
	case NET_ROUTE_SEQ:
		return "a decimal number without leading zeros";
	default: return "well formed";
	}
}

/* in_set(set, s, n): is ${s}[0..n) one of ${set}? */
static bool
in_set(const char *const *set, const char *s, size_t n)
{
	for (; *set != NULL; set++)
		if (strlen(*set) == n && memcmp(*set, s, n) == 0)
			return true;
	return false;
}

/* set_text(f, buf, len): "\"a\", \"b\"" for the refusal text. */
static void
set_text(const char *const *set, char *buf, size_t len)
{
	size_t at = 0;

	buf[0] = '\0';
	for (; *set != NULL && at < len; set++)
		at += (size_t)snprintf(buf + at, len - at, "%s\"%s\"",
		    at > 0 ? ", " : "", *set);
}

/* The state of one request translation. */
struct req {
	const struct net_route *rt;
	const char *path;
	size_t len;
	bool csc;                 /* the CSC dialect */
	struct net_json_error *e;
	struct hk_buf scratch;    /* decoded Base64; wiped at the end */
};

/* The JSON type of a field, in net_json's terms. */
static enum net_json_type
json_type_of(enum net_route_type t)
{
	switch (t) {
	case NET_ROUTE_UINT: return NET_JSON_INTEGER;
	case NET_ROUTE_BOOL: return NET_JSON_BOOLEAN;
	case NET_ROUTE_LIST:
	case NET_ROUTE_STRLIST:
	case NET_ROUTE_BINLIST:
	case NET_ROUTE_UINTLIST:
	case NET_ROUTE_JSONLIST:
	case NET_ROUTE_STRLISTLIST: return NET_JSON_ARRAY;
	case NET_ROUTE_MAP:
	case NET_ROUTE_JSON: return NET_JSON_OBJECT;
	default: return NET_JSON_STRING;
	}
}

/* The JSON type of a field in the words of CSC's texts. */
static const char *
csc_type_name(enum net_route_type t)
{
	switch (json_type_of(t)) {
	case NET_JSON_INTEGER: return "integer";
	case NET_JSON_BOOLEAN: return "boolean";
	case NET_JSON_ARRAY: return "array";
	case NET_JSON_OBJECT: return "object";
	default: return "string";
	}
}

/* refuse_type(x, f): ${f} is missing or not of its JSON type. (The strict
 * dialect's net_json_check refused both before, with its own texts.) */
static int
refuse_type(struct req *x, const struct net_route_field *f)
{
	if (x->csc)
		why(x->e, "Missing (or invalid type) %s parameter %s",
		    csc_type_name(f->type), f->name);
	else
		why(x->e, "field \"%s\" is missing or of the wrong type",
		    f->name);
	return HK_EINVAL;
}

/* refuse_bad(x, f, text, strict): ${f} is present but not allowed: CSC's
 * ${text} (NULL: the field's own, then "Invalid parameter <name>"), or
 * the strict dialect's ${strict} text about ${f}. */
static int
refuse_bad(struct req *x, const struct net_route_field *f, const char *text,
    const char *strict)
{
	if (!x->csc)
		why(x->e, "field \"%s\" %s", f->name, strict);
	else if (text != NULL || (text = f->bad) != NULL)
		why(x->e, "%s", text);
	else
		why(x->e, "Invalid parameter %s", f->name);
	return HK_EINVAL;
}

/* body_value(x, f, obj): the JSON value of body field ${f} of ${obj}, NULL
 * when absent: missing, null (net_json_check refused a null required in
 * the strict dialect), or "" where the field says so (CSC). */
static json_t *
body_value(const struct req *x, const struct net_route_field *f,
    json_t *obj)
{
	json_t *v = obj != NULL ? json_object_get(obj, f->name) : NULL;

	if (v == NULL || json_is_null(v))
		return NULL;
	if (x->csc && f->blank && json_is_string(v) &&
	    json_string_length(v) == 0)
		return NULL;
	return v;
}

/* check_text(x, f, s, n): bounds and allowed values of a str field. */
static int
check_text(struct req *x, const struct net_route_field *f, const char *s,
    size_t n)
{
	char set[128];

	if (f->oneof != NULL) {
		if (in_set(f->oneof, s, n))
			return 0;
		if (x->csc)
			return refuse_bad(x, f, NULL, NULL);
		set_text(f->oneof, set, sizeof(set));
		why(x->e, "field \"%s\" must be one of %s", f->name, set);
		return HK_EINVAL;
	}
	if (n < f->min) {
		if (x->csc)
			return refuse_bad(x, f, NULL, NULL);
		why(x->e, f->min == 1 ? "field \"%s\" must not be empty" :
					"field \"%s\" is shorter than %llu "
					"bytes",
		    f->name, (unsigned long long)f->min);
		return HK_EINVAL;
	}
	if (f->max != 0 && n > f->max) {
		if (x->csc)
			return refuse_bad(x, f, NULL, NULL);
		why(x->e, "field \"%s\" is longer than %llu bytes", f->name,
		    (unsigned long long)f->max);
		return HK_EINVAL;
	}
	return 0;
}

/* Results of reading a lenient scalar. */
enum lenient { LEN_OK, LEN_TYPE, LEN_RANGE };

/*
 * uint_of(x, v, out): a JSON integer, or in the CSC dialect also a string
 * of 1 to 19 ASCII digits ("1"). LEN_RANGE for a negative integer or a
 * value above INT64_MAX, LEN_TYPE for anything else.
 */
static enum lenient
uint_of(const struct req *x, json_t *v, uint64_t *out)
{
	const char *s;
	size_t n, i;
	uint64_t u = 0;

	if (json_is_integer(v)) {
		if (json_integer_value(v) < 0)
			return LEN_RANGE;
		*out = (uint64_t)json_integer_value(v);
		return LEN_OK;
	}
	if (!x->csc || !json_is_string(v))
		return LEN_TYPE;
	s = json_string_value(v);
	n = json_string_length(v);
	if (n == 0)
		return LEN_TYPE;
	for (i = 0; i < n; i++)
		if (s[i] < '0' || s[i] > '9')
			return LEN_TYPE;
	if (n > 19)
		return LEN_RANGE;
	for (i = 0; i < n; i++)
		u = u * 10 + (uint64_t)(s[i] - '0');
	if (u > (uint64_t)INT64_MAX)
		return LEN_RANGE;
	*out = u;
	return LEN_OK;
}

/* bool_of(x, v, out): a JSON boolean, or in the CSC dialect also the
 * string "true" or "false". */
static enum lenient
bool_of(const struct req *x, json_t *v, bool *out)
{
	if (json_is_boolean(v)) {
		*out = json_is_true(v);
		return LEN_OK;
	}
	if (!x->csc || !json_is_string(v))
		return LEN_TYPE;
	if (strcmp(json_string_value(v), "true") == 0 &&
	    json_string_length(v) == 4) {
		*out = true;
		return LEN_OK;
	}
	if (strcmp(json_string_value(v), "false") == 0 &&
	    json_string_length(v) == 5) {
		*out = false;
		return LEN_OK;
	}
	return LEN_TYPE;
}

/*
 * b64_of(x, s, n, out): decode the Base64 text ${s}[0..n) into x->scratch:
 * the standard or the URL-safe alphabet (not both in one string), padding
 * optional but correct when present, no whitespace or other bytes, zero
 * pad bits (libsodium's decoder, constant-time). ${out} borrows from
 * x->scratch until the next call. 0, HK_EINVAL or HK_ENOMEM.
 */
static int
b64_of(struct req *x, const char *s, size_t n, struct hk_bytes *out)
{
	bool url = false, std = false, pad = n > 0 && s[n - 1] == '=';
	size_t i, got = 0;
	int variant, r;

	for (i = 0; i < n; i++) {
		if (s[i] == '-' || s[i] == '_')
			url = true;
		else if (s[i] == '+' || s[i] == '/')
			std = true;
	}
	if (url && std)
		return HK_EINVAL;
	if (url)
		variant = pad ? sodium_base64_VARIANT_URLSAFE :
				sodium_base64_VARIANT_URLSAFE_NO_PADDING;
	else
		variant = pad ? sodium_base64_VARIANT_ORIGINAL :
				sodium_base64_VARIANT_ORIGINAL_NO_PADDING;
	hk_buf_reset(&x->scratch);
	if ((r = hk_buf_reserve(&x->scratch, n / 4 * 3 + 3)) != 0)
		return r;
	if (sodium_base642bin(x->scratch.p, x->scratch.cap, s, n, NULL, &got,
		NULL, variant) != 0)
		return HK_EINVAL;
	*out = (struct hk_bytes){x->scratch.p, got};
	return 0;
}

static int put_map(struct req *x, const struct net_route_field *fs,
    size_t n, json_t *obj, struct hk_mpk_writer *w);

/* put_count(x, f, n): the bounds on the number of items of a list. */
static int
put_count(struct req *x, const struct net_route_field *f, size_t n)
{
	char text[64];

	if (n < f->min) {
		snprintf(text, sizeof(text), "must have at least %llu items",
		    (unsigned long long)f->min);
		return refuse_bad(x, f, f->few, text);
	}
	if (f->max != 0 && n > f->max) {
		snprintf(text, sizeof(text), "must have at most %llu items",
		    (unsigned long long)f->max);
		return refuse_bad(x, f, f->many, text);
	}
	if (n > UINT32_MAX)
		return refuse_bad(x, f, f->many, "has too many items");
	return 0;
}

/* put_value(x, f, v, w): write the value ${v} (present) of body field
 * ${f}, checked and converted by its type. */
static int
put_value(struct req *x, const struct net_route_field *f, json_t *v,
    struct hk_mpk_writer *w)
{
	struct hk_bytes bin;
	json_t *item;
	enum lenient l;
	uint64_t u = 0;
	size_t i;
	bool b = false;
	int r;

	switch (f->type) {
	case NET_ROUTE_STR:
	case NET_ROUTE_SECRET:
	case NET_ROUTE_PEM:
		if (!json_is_string(v))
			return refuse_type(x, f);
		if ((r = check_text(x, f, json_string_value(v),
			 json_string_length(v))) != 0)
			return r;
		hk_mpk_put_str(w, json_string_value(v), json_string_length(v));
		return 0;
	case NET_ROUTE_UINT:
		if ((l = uint_of(x, v, &u)) == LEN_TYPE)
			return refuse_type(x, f);
		if (l == LEN_RANGE || u < f->min || (f->max != 0 && u > f->max)) {
			if (x->csc) {
				why(x->e, "Invalid value for parameter %s",
				    f->name);
			} else if (f->max != 0) {
				why(x->e, "field \"%s\" must be an integer "
					  "from %llu to %llu",
				    f->name, (unsigned long long)f->min,
				    (unsigned long long)f->max);
			} else {
				why(x->e, "field \"%s\" must be an integer of "
					  "at least %llu",
				    f->name, (unsigned long long)f->min);
			}
			return HK_EINVAL;
		}
		hk_mpk_put_uint(w, u);
		return 0;
	case NET_ROUTE_BOOL:
		if (bool_of(x, v, &b) != LEN_OK)
			return refuse_type(x, f);
		hk_mpk_put_bool(w, b);
		return 0;
	case NET_ROUTE_BIN:
		if (!json_is_string(v))
			return refuse_type(x, f);
		if ((r = b64_of(x, json_string_value(v), json_string_length(v),
			 &bin)) == HK_ENOMEM)
			return r;
		if (r != 0 || bin.n < f->min || (f->max != 0 && bin.n > f->max))
			return refuse_bad(x, f, NULL,
			    "must be Base64 of the allowed length");
		hk_mpk_put_bin(w, bin.p, bin.n);
		return 0;
	case NET_ROUTE_BINLIST:
		if (!json_is_array(v))
			return refuse_type(x, f);
		if ((r = put_count(x, f, json_array_size(v))) != 0)
			return r;
		hk_mpk_put_array(w, (uint32_t)json_array_size(v));
		json_array_foreach (v, i, item) {
			/* Each item: a string of non-empty Base64. */
			if (!json_is_string(item))
				return refuse_bad(x, f, NULL,
				    "must hold Base64 strings");
			if ((r = b64_of(x, json_string_value(item),
				 json_string_length(item), &bin)) ==
			    HK_ENOMEM)
				return r;
			if (r != 0 || bin.n == 0)
				return refuse_bad(x, f, NULL,
				    "must hold Base64 strings");
			hk_mpk_put_bin(w, bin.p, bin.n);
		}
		return 0;
	case NET_ROUTE_LIST:
		if (!json_is_array(v))
			return refuse_type(x, f);
		if ((r = put_count(x, f, json_array_size(v))) != 0)
			return r;
		hk_mpk_put_array(w, (uint32_t)json_array_size(v));
		json_array_foreach (v, i, item) {
			if (!json_is_object(item))
				return refuse_bad(x, f, NULL,
				    "must hold objects");
			/* An item's own refusal, or the list's CSC text. */
			if ((r = put_map(x, f->items, f->nitems, item, w)) !=
				0) {
				if (r == HK_EINVAL && x->csc && f->bad != NULL)
					why(x->e, "%s", f->bad);
				return r;
			}
		}
		return 0;
	case NET_ROUTE_MAP:
		if (!json_is_object(v))
			return refuse_type(x, f);
		return put_map(x, f->items, f->nitems, v, w);
	case NET_ROUTE_STRLIST:
	case NET_ROUTE_UINTLIST:
	case NET_ROUTE_STRLISTLIST:
	case NET_ROUTE_JSON:
	case NET_ROUTE_JSONLIST:
		break;
	}
	abort(); /* a response-only type in a request schema: the table */
}

/* put_field(x, f, obj, w): write ${f}'s key and value, or nothing when an
 * optional body field is absent. */
static int
put_field(struct req *x, const struct net_route_field *f, json_t *obj,
    struct hk_mpk_writer *w)
{
	struct net_http_str seg = {NULL, 0};
	json_t *v;

	switch (f->src) {
	case NET_ROUTE_PATH:
		if (!pattern_match(x->rt->pattern, x->path, x->len, f->name,
			&seg) ||
		    seg.p == NULL || !id_ok(f->id, seg)) {
			why(x->e, "path parameter \"%s\" must be %s", f->name,
			    id_shape(f->id));
			return HK_EINVAL;
		}
		hk_mpk_put_uint(w, f->key);
		hk_mpk_put_str(w, seg.p, seg.len);
		return 0;
	case NET_ROUTE_CONST:
		hk_mpk_put_uint(w, f->key);
		hk_mpk_put_cstr(w, f->value);
		return 0;
	case NET_ROUTE_BODY:
		break;
	}
	if ((v = body_value(x, f, obj)) == NULL)
		return f->required ? refuse_type(x, f) : 0;
	hk_mpk_put_uint(w, f->key);
	return put_value(x, f, v, w);
}

/*
 * put_map(x, fs, n, obj, w): write the map of the schema ${fs} (path
 * parameters, constants, and the body fields of the JSON object ${obj},
 * NULL for none), keys ascending. The strict dialect first checks ${obj}
 * with net_json_check (unknown fields refused); the CSC dialect ignores
 * unknown fields.
 */
static int
put_map(struct req *x, const struct net_route_field *fs, size_t n,
    json_t *obj, struct hk_mpk_writer *w)
{
	struct net_json_field jf[NET_ROUTE_MAX_FIELDS] = {{NULL, 0, false}};
	size_t i, nbody = 0;
	uint32_t count = 0;
	int r;

	if (n > NET_ROUTE_MAX_FIELDS)
		abort(); /* the table is wrong */
	if (!x->csc && obj != NULL) {
		for (i = 0; i < n; i++)
			if (fs[i].src == NET_ROUTE_BODY)
				jf[nbody++] = (struct net_json_field){
				    fs[i].name, json_type_of(fs[i].type),
				    fs[i].required};
		if ((r = net_json_check(obj, jf, nbody, false, x->e)) != 0)
			return r;
	}
	for (i = 0; i < n; i++)
		if (fs[i].src != NET_ROUTE_BODY ||
		    body_value(x, &fs[i], obj) != NULL)
			count++;
	hk_mpk_put_map(w, count);
	for (i = 0; i < n; i++)
		if ((r = put_field(x, &fs[i], obj, w)) != 0)
			return r;
	return 0;
}

/* request_map(x, obj, out): the map of x->rt's schema from the JSON object
 * ${obj} (NULL: none), appended to ${out}. */
static int
request_map(struct req *x, json_t *obj, struct hk_buf *out)
{
	struct hk_buf map = HK_BUF_INIT;
	struct hk_mpk_writer w;
	int r;

	hk_mpk_writer_init(&w, &map);
	if ((r = put_map(x, x->rt->req, x->rt->nreq, obj, &w)) != 0)
		goto out;
	if ((r = hk_mpk_writer_status(&w)) != 0) {
		if (r == HK_EINVAL)
			why(x->e, x->csc ? "Invalid parameter: text is not UTF-8" :
					   "request text is not UTF-8");
		goto out;
	}
	r = hk_buf_put(out, map.p, map.len);
out:
	hk_buf_release(&map); /* wiped: it may hold a PIN */
	return r;
}

/** net_route_request(rt, path, len, body, blen, out, e): JSON -> map. */
int
net_route_request(const struct net_route *rt, const char *path, size_t len,
    const uint8_t *body, size_t blen, struct hk_buf *out,
    struct net_json_error *e)
{
	struct req x = {rt, path, len, (rt->flags & NET_ROUTE_CSC) != 0, e,
	    HK_BUF_INIT};
	json_t *obj = NULL, *uid;
	size_t i, nbody = 0;
	int r;

	if ((rt->flags & NET_ROUTE_QUERY) != 0)
		return net_route_request_query(rt, path, len, NULL, 0, body,
		    blen, out, e);
	for (i = 0; i < rt->nreq; i++)
		if (rt->req[i].src == NET_ROUTE_BODY)
			nbody++;
	/*
	 * Strict: a route without body fields takes no body, or an empty
	 * object; one with fields needs an object. CSC: an empty body is
	 * "{}", any other body must be one object.
	 */
	if (((x.csc && blen > 0) || (!x.csc && (nbody > 0 || blen > 0))) &&
	    (r = net_json_parse(NULL, body, blen, &obj, e)) != 0)
		goto out;
	if (x.csc && (uid = json_object_get(obj, "userID")) != NULL &&
	    !json_is_null(uid)) {
		/* The token is bound to its user (docs/csc-api.md). */
		why(e, "userID parameter MUST be null");
		r = HK_EINVAL;
		goto out;
	}
	r = request_map(&x, obj, out);
out:
	json_decref(obj);
	hk_buf_release(&x.scratch);
	return r;
}

/* ---- queries ------------------------------------------------------------- */

static int
hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* form_decode(s, n, out): ${s}[0..n) with "+" as a space and "%XX" as a
 * byte, into ${out} (reset first). HK_EINVAL for a bad escape or a NUL. */
static int
form_decode(const char *s, size_t n, struct hk_buf *out)
{
	size_t i;
	uint8_t c;
	int r;

	hk_buf_reset(out);
	for (i = 0; i < n; i++) {
		if (s[i] == '%') {
			if (i + 2 >= n || hexval(s[i + 1]) < 0 ||
			    hexval(s[i + 2]) < 0)
				return HK_EINVAL;
			c = (uint8_t)(hexval(s[i + 1]) << 4 | hexval(s[i + 2]));
			i += 2;
		} else {
			c = s[i] == '+' ? ' ' : (uint8_t)s[i];
		}
		if (c == 0)
			return HK_EINVAL;
		if ((r = hk_buf_put(out, &c, 1)) != 0)
			return r;
	}
	return 0;
}

/* query_field(rt, name, n): the body field of ${rt} named ${name}[0..n). */
static const struct net_route_field *
query_field(const struct net_route *rt, const uint8_t *name, size_t n)
{
	size_t i;

	for (i = 0; i < rt->nreq; i++)
		if (rt->req[i].src == NET_ROUTE_BODY &&
		    strlen(rt->req[i].name) == n &&
		    memcmp(rt->req[i].name, name, n) == 0)
			return &rt->req[i];
	return NULL;
}

/* query_uint(v, out): 1 to 19 ASCII digits, at most INT64_MAX. */
static bool
query_uint(const struct hk_buf *v, uint64_t *out)
{
	uint64_t u = 0;
	size_t i;

	if (v->len == 0 || v->len > 19)
		return false;
	for (i = 0; i < v->len; i++) {
		if (v->p[i] < '0' || v->p[i] > '9')
			return false;
		u = u * 10 + (uint64_t)(v->p[i] - '0');
	}
	if (u > (uint64_t)INT64_MAX)
		return false;
	*out = u;
	return true;
}

/*
 * query_object(x, q, qn, obj): the query ${q}[0..qn) as a JSON object of
 * the route's body fields (docs/audit-api.md "Queries"), values typed by
 * the schema. Refusals never quote the client's text: they name a field
 * of the table or nothing.
 */
static int
query_object(struct req *x, const char *q, size_t qn, json_t *obj)
{
	struct hk_buf name = HK_BUF_INIT, val = HK_BUF_INIT;
	const struct net_route_field *f;
	const char *eq;
	size_t pos = 0, end, pl;
	uint64_t u;
	json_t *v;
	int r = HK_EINVAL;

	while (qn > 0 && pos <= qn) {
		for (end = pos; end < qn && q[end] != '&'; end++)
			;
		pl = end - pos;
		if (pl == 0) {
			why(x->e, "empty query parameter");
			goto out;
		}
		if ((eq = memchr(q + pos, '=', pl)) == NULL) {
			why(x->e, "query parameter without \"=\"");
			goto out;
		}
		if (eq == q + pos) {
			why(x->e, "query parameter without a name");
			goto out;
		}
		if ((r = form_decode(q + pos, (size_t)(eq - (q + pos)),
			 &name)) != 0 ||
		    (r = form_decode(eq + 1, (size_t)(q + end - eq - 1),
			 &val)) != 0) {
			if (r == HK_EINVAL)
				why(x->e, "malformed percent-encoding (or a "
					  "NUL) in the query");
			goto out;
		}
		r = HK_EINVAL;
		if ((f = query_field(x->rt, name.p, name.len)) == NULL) {
			why(x->e, "unknown query parameter");
			goto out;
		}
		if (json_object_get(obj, f->name) != NULL) {
			why(x->e, "query parameter \"%s\" appears more than "
				  "once", f->name);
			goto out;
		}
		if (f->type == NET_ROUTE_UINT) {
			if (!query_uint(&val, &u)) {
				why(x->e, "query parameter \"%s\" must be a "
					  "decimal integer",
				    f->name);
				goto out;
			}
			v = json_integer((json_int_t)u);
		} else {
			if (!hk_utf8_valid(val.p, val.len)) {
				why(x->e, "query text is not UTF-8");
				goto out;
			}
			v = json_stringn(val.len > 0 ? (const char *)val.p :
						       "",
			    val.len);
		}
		if (v == NULL || json_object_set_new(obj, f->name, v) != 0) {
			r = HK_ENOMEM;
			goto out;
		}
		pos = end + 1;
		if (end == qn)
			break;
		if (pos == qn) {
			why(x->e, "empty query parameter");
			goto out;
		}
	}
	r = 0;
out:
	hk_buf_release(&name);
	hk_buf_release(&val);
	return r;
}

/** net_route_request_query(...): query (and path) -> map. */
int
net_route_request_query(const struct net_route *rt, const char *path,
    size_t len, const char *query, size_t qlen, const uint8_t *body,
    size_t blen, struct hk_buf *out, struct net_json_error *e)
{
	struct req x = {rt, path, len, false, e, HK_BUF_INIT};
	json_t *obj;
	int r;

	if ((rt->flags & NET_ROUTE_QUERY) == 0) {
		if (query != NULL) {
			why(e, "this resource takes no query");
			return HK_EINVAL;
		}
		return net_route_request(rt, path, len, body, blen, out, e);
	}
	if (blen > 0) {
		why(e, "this resource takes no body");
		return HK_EINVAL;
	}
	if ((obj = json_object()) == NULL)
		return HK_ENOMEM;
	if (query == NULL || (r = query_object(&x, query, qlen, obj)) == 0)
		r = request_map(&x, obj, out);
	json_decref(obj);
	hk_buf_release(&x.scratch);
	return r;
}

/* ---- authorization ------------------------------------------------------- */

static const char basic_challenge[] =
    "WWW-Authenticate: Basic realm=\"hanko signer\", charset=\"UTF-8\"\r\n";
static const char bearer_challenge[] = "WWW-Authenticate: Bearer\r\n";
static const char bearer_invalid[] =
    "WWW-Authenticate: Bearer error=\"invalid_token\"\r\n";

/* scheme(v, n, name, rest): ${v} is the auth-scheme ${name}
 * (case-insensitive), one or more spaces, then ${rest} (non-empty). */
static bool
scheme(const char *v, size_t n, const char *name, struct net_http_str *rest)
{
	size_t nl = strlen(name), i;

	if (n <= nl || strncasecmp(v, name, nl) != 0 || v[nl] != ' ')
		return false;
	for (i = nl; i < n && v[i] == ' '; i++)
		;
	*rest = (struct net_http_str){v + i, n - i};
	return rest->len > 0;
}

static bool
alnum(char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
	    (c >= '0' && c <= '9');
}

/* b64_shape(s): standard Base64 with its padding: 4k characters of the
 * alphabet, at most two '=' at the end only. */
static bool
b64_shape(struct net_http_str s)
{
	size_t i = 0, pad = 0;

	if (s.len == 0 || s.len % 4 != 0)
		return false;
	while (i < s.len && (alnum(s.p[i]) || s.p[i] == '+' || s.p[i] == '/'))
		i++;
	while (i < s.len && s.p[i] == '=' && pad < 2) {
		i++;
		pad++;
	}
	return i == s.len;
}

/* b64token(s): RFC 6750's b64token: 1*(ALPHA / DIGIT / "-" / "." / "_" /
 * "~" / "+" / "/") *"=". */
static bool
b64token(struct net_http_str s)
{
	size_t i = 0;

	/* strchr finds the terminating NUL too: test for it first. */
	while (i < s.len && s.p[i] != '\0' &&
	    (alnum(s.p[i]) || strchr("-._~+/", s.p[i]) != NULL))
		i++;
	if (i == 0)
		return false;
	while (i < s.len && s.p[i] == '=')
		i++;
	return i == s.len;
}

/** net_route_auth(rt, present, value, len, out): the header's shape. */
int
net_route_auth(const struct net_route *rt, bool present, const char *value,
    size_t len, struct net_route_refusal *out)
{
	struct net_http_str rest;

	if ((rt->flags & NET_ROUTE_NEED_BASIC) != 0 &&
	    (!present || !scheme(value, len, "Basic", &rest) ||
		!b64_shape(rest))) {
		*out = (struct net_route_refusal){401, "invalid_request",
		    "Malformed authentication parameter.", basic_challenge};
		return HK_EAUTH;
	}
	if ((rt->flags & NET_ROUTE_NEED_BEARER) != 0 && !present) {
		*out = (struct net_route_refusal){401, "invalid_token",
		    "Missing access token", bearer_challenge};
		return HK_EAUTH;
	}
	if ((rt->flags & NET_ROUTE_NEED_BEARER) != 0 &&
	    (!scheme(value, len, "Bearer", &rest) || !b64token(rest))) {
		*out = (struct net_route_refusal){400, "invalid_request",
		    "Malformed authentication parameter.", NULL};
		return HK_EAUTH;
	}
	return 0;
}

/** net_route_challenge(rt): WWW-Authenticate for a 401 of the core. */
const char *
net_route_challenge(const struct net_route *rt)
{
	if ((rt->flags & NET_ROUTE_BASIC) != 0)
		return basic_challenge;
	if ((rt->flags & NET_ROUTE_NEED_BEARER) != 0)
		return bearer_invalid;
	return NULL;
}

/* Namespaces whose unknown paths answer with their API's own 404. */
static const struct {
	const char *prefix;
	unsigned listeners;
	const char *error, *description;
} namespaces[] = {
    {CSC_V2 "/", SIGN, "invalid_request", "Unknown method"},
};

/** net_route_not_found(path, len, listener, error, description): 404. */
void
net_route_not_found(const char *path, size_t len, unsigned listener,
    const char **error, const char **description)
{
	size_t i, pl;

	for (i = 0; i < NELEM(namespaces); i++) {
		pl = strlen(namespaces[i].prefix);
		if ((namespaces[i].listeners & listener) != 0 && len >= pl &&
		    memcmp(path, namespaces[i].prefix, pl) == 0) {
			*error = namespaces[i].error;
			*description = namespaces[i].description;
			return;
		}
	}
	*error = "not_found";
	*description = "no such resource";
}

/* ---- responses ----------------------------------------------------------- */

static const struct net_route_field *
field_by_key(const struct net_route_field *fs, size_t n, uint64_t key)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (fs[i].key == key)
			return &fs[i];
	return NULL;
}

static int map_to_json(struct hk_mpk_reader *r,
    const struct net_route_field *fs, size_t n, bool csc, json_t *obj,
    const char **why_out);

/* b64_json(p, n, out): standard padded Base64 of ${p}[0..n) as a JSON
 * string. */
static int
b64_json(const uint8_t *p, size_t n, json_t **out)
{
	size_t len = sodium_base64_ENCODED_LEN(n,
	    sodium_base64_VARIANT_ORIGINAL);
	char *text;

	if ((text = malloc(len)) == NULL)
		return HK_ENOMEM;
	sodium_bin2base64(text, len, p, n, sodium_base64_VARIANT_ORIGINAL);
	*out = json_stringn(text, len - 1);
	sodium_memzero(text, len);
	free(text);
	return *out != NULL ? 0 : HK_ENOMEM;
}

/* item_field(f): the schema of one item of the array field ${f}. */
static struct net_route_field
item_field(const struct net_route_field *f)
{
	struct net_route_field it = *f;

	it.required = true; /* no nil items */
	switch (f->type) {
	case NET_ROUTE_LIST: it.type = NET_ROUTE_MAP; break;
	case NET_ROUTE_STRLIST: it.type = NET_ROUTE_STR; break;
	case NET_ROUTE_BINLIST: it.type = NET_ROUTE_BIN; break;
	case NET_ROUTE_UINTLIST: it.type = NET_ROUTE_UINT; break;
	case NET_ROUTE_STRLISTLIST: it.type = NET_ROUTE_STRLIST; break;
	case NET_ROUTE_JSONLIST: it.type = NET_ROUTE_JSON; break;
	default: abort();
	}
	return it;
}

/* value_to_json(r, f, csc, out, why): read one value of field ${f}. */
static int
value_to_json(struct hk_mpk_reader *r, const struct net_route_field *f,
    bool csc, json_t **out, const char **why_out)
{
	struct net_route_field it;
	struct hk_bytes s;
	enum hk_mpk_kind kind;
	json_t *arr = NULL, *item = NULL;
	uint64_t u;
	uint32_t cnt, i;
	bool b;
	int rc;

	if (hk_mpk_peek(r, &kind) != 0) {
		*why_out = "answer outside the msgpack profile";
		return HK_EPROTO;
	}
	if (kind == HK_MPK_NIL && !f->required) {
		if (hk_mpk_get_nil(r) != 0 || (*out = json_null()) == NULL)
			return HK_EPROTO;
		return 0;
	}
	switch (f->type) {
	case NET_ROUTE_STR:
	case NET_ROUTE_SECRET:
	case NET_ROUTE_PEM:
		if (kind != HK_MPK_STR || hk_mpk_get_str(r, &s) != 0) {
			*why_out = "a text field of the answer is not a str";
			return HK_EPROTO;
		}
		if (f->max != 0 && s.n > f->max) {
			*why_out = "a text field of the answer is too long";
			return HK_EPROTO;
		}
		if ((*out = json_stringn((const char *)s.p, s.n)) == NULL)
			return HK_ENOMEM;
		return 0;
	case NET_ROUTE_BIN:
		if (kind != HK_MPK_BIN || hk_mpk_get_bin(r, &s) != 0) {
			*why_out = "a bin field of the answer is not a bin";
			return HK_EPROTO;
		}
		if (f->max != 0 && s.n > f->max) {
			*why_out = "a bin field of the answer is too long";
			return HK_EPROTO;
		}
		return b64_json(s.p, s.n, out);
	case NET_ROUTE_UINT:
		if (kind != HK_MPK_UINT || hk_mpk_get_uint(r, &u) != 0 ||
		    u > (uint64_t)INT64_MAX) {
			*why_out = "an integer field of the answer is not a "
				   "uint (up to 2^63-1)";
			return HK_EPROTO;
		}
		if ((*out = json_integer((json_int_t)u)) == NULL)
			return HK_ENOMEM;
		return 0;
	case NET_ROUTE_BOOL:
		if (kind != HK_MPK_BOOL || hk_mpk_get_bool(r, &b) != 0) {
			*why_out = "a boolean field of the answer is not a "
				   "bool";
			return HK_EPROTO;
		}
		*out = json_boolean(b);
		return 0;
	case NET_ROUTE_JSON:
		/* One JSON object's text (an event as `hanko ledger show`
		 * prints it): parsed strictly, embedded as the object. */
		if (kind != HK_MPK_STR || hk_mpk_get_str(r, &s) != 0) {
			*why_out = "a JSON field of the answer is not a str";
			return HK_EPROTO;
		}
		if (f->max != 0 && s.n > f->max) {
			*why_out = "a JSON field of the answer is too long";
			return HK_EPROTO;
		}
		if ((*out = json_loadb((const char *)s.p, s.n,
			 JSON_REJECT_DUPLICATES, NULL)) == NULL ||
		    !json_is_object(*out)) {
			json_decref(*out);
			*out = NULL;
			*why_out = "a JSON field of the answer is not one JSON "
				   "object";
			return HK_EPROTO;
		}
		return 0;
	case NET_ROUTE_MAP:
		if ((*out = json_object()) == NULL)
			return HK_ENOMEM;
		if ((rc = map_to_json(r, f->items, f->nitems, csc, *out,
			 why_out)) != 0) {
			json_decref(*out);
			*out = NULL;
		}
		return rc;
	case NET_ROUTE_LIST:
	case NET_ROUTE_STRLIST:
	case NET_ROUTE_BINLIST:
	case NET_ROUTE_UINTLIST:
	case NET_ROUTE_STRLISTLIST:
	case NET_ROUTE_JSONLIST:
		break;
	}
	if (kind != HK_MPK_ARRAY || hk_mpk_get_array(r, &cnt) != 0) {
		*why_out = "a list field of the answer is not an array";
		return HK_EPROTO;
	}
	it = item_field(f);
	if ((arr = json_array()) == NULL)
		return HK_ENOMEM;
	for (i = 0; i < cnt; i++) {
		if ((rc = value_to_json(r, &it, csc, &item, why_out)) != 0)
			goto bad;
		if (json_array_append_new(arr, item) != 0) {
			rc = HK_ENOMEM;
			goto bad;
		}
	}
	*out = arr;
	return 0;
bad:
	json_decref(arr);
	return rc;
}

/* map_to_json(r, fs, n, csc, obj, why): read one map of the schema ${fs}
 * into ${obj} (members in key order; on CSC routes a nil optional field
 * is left out). */
static int
map_to_json(struct hk_mpk_reader *r, const struct net_route_field *fs,
    size_t n, bool csc, json_t *obj, const char **why_out)
{
	const struct net_route_field *f;
	uint64_t key, prev = 0;
	uint32_t cnt, i;
	json_t *v = NULL;
	bool seen[NET_ROUTE_MAX_FIELDS] = {false};
	int rc;

	if (n > NET_ROUTE_MAX_FIELDS)
		abort(); /* the table is wrong */
	if (hk_mpk_get_map(r, &cnt) != 0) {
		*why_out = "the answer (or a list item) is not a map";
		return HK_EPROTO;
	}
	for (i = 0; i < cnt; i++) {
		if (hk_mpk_get_uint(r, &key) != 0 || (i > 0 && key <= prev)) {
			*why_out = "answer keys are not ascending uints";
			return HK_EPROTO;
		}
		prev = key;
		if ((f = field_by_key(fs, n, key)) == NULL) {
			*why_out = "the answer has a key outside the route's "
				   "schema";
			return HK_EPROTO;
		}
		if ((rc = value_to_json(r, f, csc, &v, why_out)) != 0)
			return rc;
		seen[f - fs] = true;
		if (csc && json_is_null(v)) {
			json_decref(v);
			continue;
		}
		if (json_object_set_new(obj, f->name, v) != 0)
			return HK_ENOMEM;
	}
	for (i = 0; i < n; i++)
		if (fs[i].required && !seen[i]) {
			*why_out = "the answer lacks a required field";
			return HK_EPROTO;
		}
	return 0;
}

/* The error code the admin and signer contract pairs with each error
 * status. */
static const char *
error_code(uint64_t status)
{
	switch (status) {
	case 400: return "invalid_request";
	case 401: return "unauthorized";
	case 403: return "forbidden";
	case 404: return "not_found";
	case 409: return "conflict";
	case 410: return "gone";
	case 423: return "locked";
	case 500: return "internal_error";
	case 503: return "unavailable";
	}
	return NULL;
}

/* The status and code pairs of the core's CSC errors (docs/csc-api.md
 * "Errors the core returns"). */
static const struct {
	uint64_t status;
	const char *code;
} csc_errors[] = {
    {400, "invalid_request"},
    {400, "invalid_authentication_data"},
    {400, "authentication_error"},
    {401, "invalid_token"},
    {503, "temporarily_unavailable"},
};

/* error_status(rt, status): is ${status} an error status of ${rt}'s
 * contract? */
static bool
error_status(const struct net_route *rt, uint64_t status)
{
	size_t i;

	if ((rt->flags & NET_ROUTE_CSC) == 0)
		return error_code(status) != NULL;
	for (i = 0; i < NELEM(csc_errors); i++)
		if (csc_errors[i].status == status)
			return true;
	return false;
}

/* error_pair(rt, status, code): does the contract pair ${code} with
 * ${status}? */
static bool
error_pair(const struct net_route *rt, uint64_t status, const char *code)
{
	size_t i;

	if ((rt->flags & NET_ROUTE_CSC) == 0)
		return strcmp(error_code(status), code) == 0;
	for (i = 0; i < NELEM(csc_errors); i++)
		if (csc_errors[i].status == status &&
		    strcmp(csc_errors[i].code, code) == 0)
			return true;
	return false;
}

static const struct net_route_field error_fields[] = {
    {.name = "error", .key = 1, .type = NET_ROUTE_STR, .required = true,
	.max = 64},
    {.name = "error_description", .key = 2, .type = NET_ROUTE_STR,
	.required = true, .max = NET_ROUTE_ERROR_DESC_MAX},
};

/** net_route_response(rt, status, body, out, why): answer -> JSON. */
int
net_route_response(const struct net_route *rt, uint64_t status,
    struct hk_bytes body, struct hk_buf *out, const char **why_out)
{
	struct hk_mpk_reader r;
	bool ok, csc = (rt->flags & NET_ROUTE_CSC) != 0;
	json_t *obj = NULL;
	size_t need;
	int rc;

	*why_out = "";
	ok = rt->status != 0 ? status == (uint64_t)rt->status :
			       status == 200 || status == 201 || status == 202;
	if (!ok && !error_status(rt, status)) {
		*why_out = "the answer's status is not in the contract";
		return HK_EPROTO;
	}
	if ((obj = json_object()) == NULL)
		return HK_ENOMEM;
	hk_mpk_reader_init(&r, body.p, body.n);
	if (ok)
		rc = map_to_json(&r, rt->resp, rt->nresp, csc, obj, why_out);
	else
		rc = map_to_json(&r, error_fields, NELEM(error_fields), false,
		    obj, why_out);
	if (rc != 0)
		goto out;
	if (r.p != r.end) {
		*why_out = "trailing bytes after the answer";
		rc = HK_EPROTO;
		goto out;
	}
	if (!ok && !error_pair(rt, status,
		       json_string_value(json_object_get(obj, "error")))) {
		*why_out =
		    "the answer's code (key 1) does not match its status";
		rc = HK_EPROTO;
		goto out;
	}
	if (status == 204) {
		rc = 0; /* no body */
		goto out;
	}
	/* Into ${out} directly: jansson's own buffer would not be wiped. */
	need = json_dumpb(obj, NULL, 0, JSON_COMPACT | JSON_PRESERVE_ORDER);
	if (need == 0 || (rc = hk_buf_reserve(out, need)) != 0) {
		rc = HK_ENOMEM;
		goto out;
	}
	out->len += json_dumpb(obj, (char *)out->p + out->len, need,
	    JSON_COMPACT | JSON_PRESERVE_ORDER);
	rc = 0;
out:
	json_decref(obj);
	return rc;
}

/* ---- wiping jansson's frees ---------------------------------------------- */

/* wipe_free(p): jansson's free: wipe the whole block first. Blocks come
 * from plain malloc, so a block jansson allocated before the switch, or a
 * string freed with free(3) by a caller, is handled the same. */
static void
wipe_free(void *p)
{
	if (p == NULL)
		return;
	sodium_memzero(p, malloc_usable_size(p));
	free(p);
}

/** net_route_json_wipe(): jansson wipes what it frees. */
void
net_route_json_wipe(void)
{
	json_set_alloc_funcs(malloc, wipe_free);
}
