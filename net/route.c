/* SPDX-License-Identifier: Apache-2.0 */
/*
 * route: the route table of docs/admin-api.md and the generic schema
 * translation both ways (NET-1, ACT-3, ACT-5, OPS-1, OPS-6); see route.h.
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

#include <jansson.h>
#include <sodium.h>

#include "net/route.h"

/* Bounds of the response text fields (requests have their own). */
#define RESP_STR_MAX 4096
#define RESP_PEM_MAX 65536

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

/*
 * /healthz and /readyz forward Authorization as before (the fake-core
 * harness steers them with it); the admin routes never do (the client
 * certificate identifies), the signer routes with HTTP Basic do.
 */
static const struct net_route routes[] = {
    {NET_HTTP_GET, "/healthz", BOTH, HK_IPC_HEALTH, AUTH, NET_ROUTE_HEALTH,
	NOREQ, NULL, 0},
    {NET_HTTP_GET, "/readyz", BOTH, HK_IPC_READY, AUTH, NET_ROUTE_READY,
	NOREQ, NULL, 0},

    {NET_HTTP_GET, A "/status", ADM, HK_IPC_ADMIN_STATUS, 0, 0, NOREQ,
	RESP(r_status)},
    {NET_HTTP_GET, A "/users", ADM, HK_IPC_USERS_LIST, 0, 0, NOREQ,
	RESP(r_users)},
    {NET_HTTP_POST, A "/users", ADM, HK_IPC_USERS_ADD, 0, 0,
	REQ(q_users_add), RESP(r_approval)},
    {NET_HTTP_DELETE, A "/users/{fingerprint}", ADM, HK_IPC_USERS_REMOVE, 0,
	0, REQ(q_users_remove), RESP(r_approval)},
    {NET_HTTP_GET, A "/approvals", ADM, HK_IPC_APPROVALS_LIST, 0, 0, NOREQ,
	RESP(r_approvals)},
    {NET_HTTP_POST, A "/approvals/{id}/approve", ADM, HK_IPC_APPROVAL_DECIDE,
	0, 0, REQ(q_approve), RESP(r_decision)},
    {NET_HTTP_POST, A "/approvals/{id}/reject", ADM, HK_IPC_APPROVAL_DECIDE,
	0, 0, REQ(q_reject), RESP(r_decision)},
    {NET_HTTP_POST, A "/signers", ADM, HK_IPC_SIGNER_REGISTER, 0, 0,
	REQ(q_signer_register), RESP(r_signer_id)},
    {NET_HTTP_GET, A "/signers/{signer_id}", ADM, HK_IPC_SIGNER_GET, 0, 0,
	REQ(q_signer), RESP(r_signer)},
    {NET_HTTP_POST, A "/signers/{signer_id}/erase", ADM, HK_IPC_SIGNER_ERASE,
	0, 0, REQ(q_signer_erase), RESP(r_signer_id)},
    {NET_HTTP_POST, A "/signers/{signer_id}/credentials", ADM,
	HK_IPC_CREDENTIAL_CREATE, 0, 0, REQ(q_credential_create),
	RESP(r_credential_create)},
    {NET_HTTP_GET, A CRED, ADM, HK_IPC_CREDENTIAL_GET, 0, 0,
	REQ(q_credential), RESP(r_credential)},
    {NET_HTTP_POST, A CRED "/key", ADM, HK_IPC_CREDENTIAL_KEY, 0, 0,
	REQ(q_credential), RESP(r_key)},
    {NET_HTTP_POST, A CRED "/csr", ADM, HK_IPC_CREDENTIAL_CSR, 0, 0,
	REQ(q_credential), RESP(r_csr_subject)},
    {NET_HTTP_GET, A CRED "/csr", ADM, HK_IPC_CREDENTIAL_CSR_GET, 0, 0,
	REQ(q_credential), RESP(r_csr)},
    {NET_HTTP_PUT, A CRED "/certificate", ADM, HK_IPC_CREDENTIAL_CERTIFICATE,
	0, 0, REQ(q_certificate), RESP(r_certificate)},
    {NET_HTTP_POST, A CRED "/suspend", ADM, HK_IPC_CREDENTIAL_SUSPEND, 0, 0,
	REQ(q_suspend), RESP(r_state)},
    {NET_HTTP_POST, A CRED "/resume", ADM, HK_IPC_CREDENTIAL_RESUME, 0, 0,
	REQ(q_credential), RESP(r_state)},
    {NET_HTTP_POST, A CRED "/destroy", ADM, HK_IPC_CREDENTIAL_DESTROY, 0, 0,
	REQ(q_destroy), RESP(r_approval)},
    {NET_HTTP_POST, A CRED "/unlock", ADM, HK_IPC_CREDENTIAL_UNLOCK, 0, 0,
	REQ(q_credential), RESP(r_approval)},
    {NET_HTTP_POST, A CRED "/renew", ADM, HK_IPC_CREDENTIAL_RENEW, 0, 0,
	REQ(q_credential), RESP(r_key)},

    {NET_HTTP_POST, S "/enroll", SIGN, HK_IPC_SIGNER_ENROLL, 0, 0,
	REQ(q_enroll), RESP(r_enroll)},
    {NET_HTTP_GET, S CRED "/csr", SIGN, HK_IPC_SIGNER_CSR_GET, BASIC, 0,
	REQ(q_credential), RESP(r_csr_subject)},
    {NET_HTTP_POST, S CRED "/csr/confirm", SIGN, HK_IPC_SIGNER_CSR_CONFIRM,
	BASIC, 0, REQ(q_csr_confirm), RESP(r_csr_state)},
    {NET_HTTP_POST, S "/nonce", SIGN, HK_IPC_SIGNER_NONCE, BASIC, 0, NOREQ,
	RESP(r_nonce)},
    {NET_HTTP_POST, S CRED "/suspend", SIGN, HK_IPC_SIGNER_SUSPEND, BASIC, 0,
	REQ(q_signer_suspend), RESP(r_state)},
    {NET_HTTP_POST, S CRED "/destroy", SIGN, HK_IPC_SIGNER_DESTROY, BASIC, 0,
	REQ(q_signer_destroy), RESP(r_state)},
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

/* id_ok(shape, s): does the path segment ${s} have ${shape}? */
static bool
id_ok(enum net_route_id shape, struct net_http_str s)
{
	const char *prefix;

	switch (shape) {
	case NET_ROUTE_ANY: return true;
	case NET_ROUTE_FINGERPRINT: return s.len == 64 && lower_hex(s.p, 64);
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

/* body_value(obj, f): the JSON value of body field ${f}, NULL when absent
 * (a null counts as absent; net_json_check refused a null required). */
static json_t *
body_value(json_t *obj, const struct net_route_field *f)
{
	json_t *v = obj != NULL ? json_object_get(obj, f->name) : NULL;

	return v == NULL || json_is_null(v) ? NULL : v;
}

/* check_text(f, s, n, e): bounds and allowed values of a str field. */
static int
check_text(const struct net_route_field *f, const char *s, size_t n,
    struct net_json_error *e)
{
	char set[128];

	if (f->oneof != NULL) {
		if (in_set(f->oneof, s, n))
			return 0;
		set_text(f->oneof, set, sizeof(set));
		why(e, "field \"%s\" must be one of %s", f->name, set);
		return HK_EINVAL;
	}
	if (n < f->min) {
		why(e, f->min == 1 ? "field \"%s\" must not be empty" :
				     "field \"%s\" is shorter than %llu bytes",
		    f->name, (unsigned long long)f->min);
		return HK_EINVAL;
	}
	if (f->max != 0 && n > f->max) {
		why(e, "field \"%s\" is longer than %llu bytes", f->name,
		    (unsigned long long)f->max);
		return HK_EINVAL;
	}
	return 0;
}

/* put_field(w, f, obj, path, len, e): write ${f}'s key and value, or
 * nothing when an optional body field is absent. */
static int
put_field(struct hk_mpk_writer *w, const struct net_route_field *f,
    json_t *obj, const char *path, size_t len, const struct net_route *rt,
    struct net_json_error *e)
{
	struct net_http_str seg = {NULL, 0};
	json_int_t iv;
	json_t *v;
	int r;

	switch (f->src) {
	case NET_ROUTE_PATH:
		if (!pattern_match(rt->pattern, path, len, f->name, &seg) ||
		    seg.p == NULL || !id_ok(f->id, seg)) {
			why(e, "path parameter \"%s\" must be %s", f->name,
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
	if ((v = body_value(obj, f)) == NULL)
		return 0;
	switch (f->type) {
	case NET_ROUTE_STR:
	case NET_ROUTE_SECRET:
	case NET_ROUTE_PEM:
		if ((r = check_text(f, json_string_value(v),
			 json_string_length(v), e)) != 0)
			return r;
		hk_mpk_put_uint(w, f->key);
		hk_mpk_put_str(w, json_string_value(v), json_string_length(v));
		return 0;
	case NET_ROUTE_UINT:
		iv = json_integer_value(v);
		if (iv < 0 || (uint64_t)iv < f->min ||
		    (f->max != 0 && (uint64_t)iv > f->max)) {
			if (f->max != 0)
				why(e, "field \"%s\" must be an integer from "
				       "%llu to %llu",
				    f->name, (unsigned long long)f->min,
				    (unsigned long long)f->max);
			else
				why(e, "field \"%s\" must be an integer of at "
				       "least %llu",
				    f->name, (unsigned long long)f->min);
			return HK_EINVAL;
		}
		hk_mpk_put_uint(w, f->key);
		hk_mpk_put_uint(w, (uint64_t)iv);
		return 0;
	case NET_ROUTE_BOOL:
		hk_mpk_put_uint(w, f->key);
		hk_mpk_put_bool(w, json_is_true(v));
		return 0;
	case NET_ROUTE_LIST:
		break;
	}
	abort(); /* a LIST in a request schema: the table is wrong */
}

static enum net_json_type
json_type_of(enum net_route_type t)
{
	switch (t) {
	case NET_ROUTE_UINT: return NET_JSON_INTEGER;
	case NET_ROUTE_BOOL: return NET_JSON_BOOLEAN;
	case NET_ROUTE_LIST: return NET_JSON_ARRAY;
	default: return NET_JSON_STRING;
	}
}

/** net_route_request(rt, path, len, body, blen, out, e): JSON -> map. */
int
net_route_request(const struct net_route *rt, const char *path, size_t len,
    const uint8_t *body, size_t blen, struct hk_buf *out,
    struct net_json_error *e)
{
	struct net_json_field jf[NET_ROUTE_MAX_FIELDS];
	struct hk_buf map = HK_BUF_INIT;
	struct hk_mpk_writer w;
	json_t *obj = NULL;
	size_t i, nbody = 0;
	uint32_t count = 0;
	int r;

	if (rt->nreq > NET_ROUTE_MAX_FIELDS)
		abort(); /* the table is wrong */
	for (i = 0; i < rt->nreq; i++)
		if (rt->req[i].src == NET_ROUTE_BODY)
			jf[nbody++] = (struct net_json_field){rt->req[i].name,
			    json_type_of(rt->req[i].type), rt->req[i].required};
	/* A route without body fields takes no body, or an empty object. */
	if ((nbody > 0 || blen > 0) &&
	    ((r = net_json_parse(NULL, body, blen, &obj, e)) != 0 ||
		(r = net_json_check(obj, jf, nbody, false, e)) != 0))
		goto out;
	for (i = 0; i < rt->nreq; i++)
		if (rt->req[i].src != NET_ROUTE_BODY ||
		    body_value(obj, &rt->req[i]) != NULL)
			count++;
	hk_mpk_writer_init(&w, &map);
	hk_mpk_put_map(&w, count);
	for (i = 0; i < rt->nreq; i++)
		if ((r = put_field(&w, &rt->req[i], obj, path, len, rt, e)) !=
		    0)
			goto out;
	if ((r = hk_mpk_writer_status(&w)) != 0) {
		why(e, "request text is not UTF-8");
		goto out;
	}
	r = hk_buf_put(out, map.p, map.len);
out:
	json_decref(obj);
	hk_buf_release(&map); /* wiped: it may hold a PIN */
	return r;
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
    const struct net_route_field *fs, size_t n, json_t *obj,
    const char **why_out);

/* value_to_json(r, f, out, why): read one value of field ${f}. */
static int
value_to_json(struct hk_mpk_reader *r, const struct net_route_field *f,
    json_t **out, const char **why_out)
{
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
	case NET_ROUTE_LIST:
		break;
	}
	if (kind != HK_MPK_ARRAY || hk_mpk_get_array(r, &cnt) != 0) {
		*why_out = "a list field of the answer is not an array";
		return HK_EPROTO;
	}
	if ((arr = json_array()) == NULL)
		return HK_ENOMEM;
	for (i = 0; i < cnt; i++) {
		if ((item = json_object()) == NULL) {
			rc = HK_ENOMEM;
			goto bad;
		}
		if ((rc = map_to_json(r, f->items, f->nitems, item, why_out)) !=
			0)
			goto bad;
		if (json_array_append_new(arr, item) != 0) {
			item = NULL;
			rc = HK_ENOMEM;
			goto bad;
		}
		item = NULL;
	}
	*out = arr;
	return 0;
bad:
	json_decref(item);
	json_decref(arr);
	return rc;
}

/* map_to_json(r, fs, n, obj, why): read one map of the schema ${fs} into
 * ${obj} (members in key order). */
static int
map_to_json(struct hk_mpk_reader *r, const struct net_route_field *fs,
    size_t n, json_t *obj, const char **why_out)
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
		if ((rc = value_to_json(r, f, &v, why_out)) != 0)
			return rc;
		if (json_object_set_new(obj, f->name, v) != 0)
			return HK_ENOMEM;
		seen[f - fs] = true;
	}
	for (i = 0; i < n; i++)
		if (fs[i].required && !seen[i]) {
			*why_out = "the answer lacks a required field";
			return HK_EPROTO;
		}
	return 0;
}

/* The error code the contract pairs with each error status. */
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
	const char *code = NULL;
	json_t *obj = NULL;
	size_t need;
	int rc;

	*why_out = "";
	if (status != 200 && status != 201 && status != 202 &&
	    (code = error_code(status)) == NULL) {
		*why_out = "the answer's status is not in the contract";
		return HK_EPROTO;
	}
	if ((obj = json_object()) == NULL)
		return HK_ENOMEM;
	hk_mpk_reader_init(&r, body.p, body.n);
	if (code == NULL)
		rc = map_to_json(&r, rt->resp, rt->nresp, obj, why_out);
	else
		rc = map_to_json(&r, error_fields, NELEM(error_fields), obj,
		    why_out);
	if (rc != 0)
		goto out;
	if (r.p != r.end) {
		*why_out = "trailing bytes after the answer";
		rc = HK_EPROTO;
		goto out;
	}
	if (code != NULL &&
	    strcmp(json_string_value(json_object_get(obj, "error")), code) !=
		0) {
		*why_out =
		    "the answer's code (key 1) does not match its status";
		rc = HK_EPROTO;
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
