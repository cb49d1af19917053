/* SPDX-License-Identifier: Apache-2.0 */
/*
 * event: encoding and strict decoding of ledger events (see event.h).
 * Serves SIG-3, SIG-6 (what is recorded), OPS-4 (a fixed, deterministic
 * profile so any modification is detectable) and OPS-6 (actor fields).
 */
#include <string.h>

#include "core/event.h"

static const char *const type_names[HK_EV_TYPE_MAX + 1] = {
	[HK_EV_LEDGER_GENESIS] = "ledger.genesis",
	[HK_EV_APPLIANCE_STARTED] = "appliance.started",
	[HK_EV_APPLIANCE_STOPPED] = "appliance.stopped",
	[HK_EV_CONFIG_APPLIED] = "config.applied",
	[HK_EV_CHECKPOINT_KEY_ROTATED] = "checkpoint.key_rotated",
	[HK_EV_PRIV_USER_ADDED] = "privileged_user.added",
	[HK_EV_PRIV_USER_CHANGED] = "privileged_user.changed",
	[HK_EV_SIGNER_REGISTERED] = "signer.registered",
	[HK_EV_SIGNER_UPDATED] = "signer.updated",
	[HK_EV_CREDENTIAL_ENROLLED] = "credential.enrolled",
	[HK_EV_KEY_GENERATED] = "key.generated",
	[HK_EV_KEY_IMPORTED] = "key.imported",
	[HK_EV_CSR_ISSUED] = "csr.issued",
	[HK_EV_CERT_BOUND] = "certificate.bound",
	[HK_EV_AUTH_GRANTED] = "authorization.granted",
	[HK_EV_AUTH_DENIED] = "authorization.denied",
	[HK_EV_CREDENTIAL_LOCKED] = "credential.locked",
	[HK_EV_CREDENTIAL_UNLOCKED] = "credential.unlocked",
	[HK_EV_SIGNATURE_CREATED] = "signature.created",
	[HK_EV_SUSPENDED] = "credential.suspended",
	[HK_EV_RESUMED] = "credential.resumed",
	[HK_EV_KEY_DESTROYED] = "key.destroyed",
	[HK_EV_ADMIN_REQUEST] = "admin.request",
	[HK_EV_APPROVAL_REQUESTED] = "approval.requested",
	[HK_EV_APPROVAL_GRANTED] = "approval.granted",
	[HK_EV_APPROVAL_REJECTED] = "approval.rejected",
	[HK_EV_SIGNER_ERASED] = "signer.erased",
	[HK_EV_CREDENTIAL_CREATED] = "credential.created",
	[HK_EV_CSR_CONFIRMED] = "csr.confirmed",
	[HK_EV_LEDGER_VERIFIED] = "ledger.verified",
};

/* JSON names of body keys, per event type. Later event types add rows. */
static const struct {
	uint64_t type;
	uint64_t key;
	const char *name;
} body_names[] = {
	{HK_EV_LEDGER_GENESIS, HK_BODY_GENESIS_SOFTWARE, "software"},
	{HK_EV_LEDGER_GENESIS, HK_BODY_GENESIS_VKEY, "vkey"},
	{HK_EV_APPLIANCE_STARTED, HK_BODY_APPLIANCE_VERSION, "version"},
	{HK_EV_APPLIANCE_STARTED, HK_BODY_APPLIANCE_CONFIG, "config_sha256"},
	{HK_EV_APPLIANCE_STOPPED, HK_BODY_APPLIANCE_VERSION, "version"},
	{HK_EV_APPLIANCE_STOPPED, HK_BODY_APPLIANCE_CONFIG, "config_sha256"},
	{HK_EV_APPLIANCE_STOPPED, HK_BODY_APPLIANCE_REASON, "reason"},
	{HK_EV_CONFIG_APPLIED, HK_BODY_CONFIG_PREVIOUS, "previous_sha256"},
	{HK_EV_LEDGER_VERIFIED, HK_BODY_VERIFY_EVENTS, "events"},
	{HK_EV_LEDGER_VERIFIED, HK_BODY_VERIFY_CHECKPOINTS, "checkpoints"},
	{HK_EV_LEDGER_VERIFIED, HK_BODY_VERIFY_ROOT, "root"},
	{HK_EV_LEDGER_VERIFIED, HK_BODY_VERIFY_RESULT, "result"},
	{HK_EV_LEDGER_VERIFIED, HK_BODY_VERIFY_MESSAGE, "message"},
	{HK_EV_LEDGER_VERIFIED, HK_BODY_VERIFY_MS, "ms"},
	{HK_EV_CONFIG_APPLIED, HK_BODY_APPLIANCE_CONFIG, "config_sha256"},
	{HK_EV_CHECKPOINT_KEY_ROTATED, HK_BODY_ROTATE_OLD_VKEY, "old_vkey"},
	{HK_EV_PRIV_USER_ADDED, HK_BODY_PU_FINGERPRINT, "fingerprint"},
	{HK_EV_PRIV_USER_ADDED, HK_BODY_PU_SUBJECT, "subject"},
	{HK_EV_PRIV_USER_ADDED, HK_BODY_PU_ROLE, "role"},
	{HK_EV_PRIV_USER_ADDED, HK_BODY_PU_ACTIVE, "active"},
	{HK_EV_PRIV_USER_ADDED, HK_BODY_PU_APPROVAL, "approval"},
	{HK_EV_PRIV_USER_CHANGED, HK_BODY_PU_FINGERPRINT, "fingerprint"},
	{HK_EV_PRIV_USER_CHANGED, HK_BODY_PU_SUBJECT, "subject"},
	{HK_EV_PRIV_USER_CHANGED, HK_BODY_PU_ROLE, "role"},
	{HK_EV_PRIV_USER_CHANGED, HK_BODY_PU_ACTIVE, "active"},
	{HK_EV_PRIV_USER_CHANGED, HK_BODY_PU_APPROVAL, "approval"},
	{HK_EV_ADMIN_REQUEST, HK_BODY_AR_OPERATION, "operation"},
	{HK_EV_ADMIN_REQUEST, HK_BODY_AR_TARGET, "target"},
	{HK_EV_ADMIN_REQUEST, HK_BODY_AR_OUTCOME, "outcome"},
	{HK_EV_ADMIN_REQUEST, HK_BODY_AR_STATUS, "status"},
	{HK_EV_ADMIN_REQUEST, HK_BODY_AR_REASON, "reason"},
	{HK_EV_APPROVAL_REQUESTED, HK_BODY_AP_ID, "approval"},
	{HK_EV_APPROVAL_REQUESTED, HK_BODY_AP_OPERATION, "operation"},
	{HK_EV_APPROVAL_REQUESTED, HK_BODY_AP_TARGET, "target"},
	{HK_EV_APPROVAL_REQUESTED, HK_BODY_AP_EXPIRES, "expires_ms"},
	{HK_EV_APPROVAL_REQUESTED, HK_BODY_AP_ROLE, "role"},
	{HK_EV_APPROVAL_REQUESTED, HK_BODY_AP_CERT, "certificate_der"},
	{HK_EV_APPROVAL_REQUESTED, HK_BODY_AP_REASON, "reason"},
	{HK_EV_APPROVAL_GRANTED, HK_BODY_AP_ID, "approval"},
	{HK_EV_APPROVAL_REJECTED, HK_BODY_AP_ID, "approval"},
	{HK_EV_APPROVAL_REJECTED, HK_BODY_AP_REASON, "reason"},
	{HK_EV_SIGNER_REGISTERED, HK_BODY_SG_KIND, "kind"},
	{HK_EV_SIGNER_REGISTERED, HK_BODY_SG_COMMITMENT, "commitment"},
	{HK_EV_SIGNER_ERASED, HK_BODY_SG_REASON, "reason"},
	{HK_EV_CREDENTIAL_CREATED, HK_BODY_CR_ALGORITHM, "algorithm"},
	{HK_EV_CREDENTIAL_CREATED, HK_BODY_CR_LEVEL, "level"},
	{HK_EV_CREDENTIAL_CREATED, HK_BODY_CR_CODE_EXPIRES, "code_expires_ms"},
	{HK_EV_KEY_GENERATED, HK_BODY_KEY_ALGORITHM, "algorithm"},
	{HK_EV_KEY_GENERATED, HK_BODY_KEY_ID, "key_id"},
	{HK_EV_KEY_GENERATED, HK_BODY_KEY_FINGERPRINT, "spki_sha256"},
	{HK_EV_KEY_GENERATED, HK_BODY_KEY_SPKI, "spki"},
	{HK_EV_KEY_GENERATED, HK_BODY_KEY_RENEWAL, "renewal"},
	{HK_EV_KEY_IMPORTED, HK_BODY_KEY_ALGORITHM, "algorithm"},
	{HK_EV_KEY_IMPORTED, HK_BODY_KEY_ID, "key_id"},
	{HK_EV_KEY_IMPORTED, HK_BODY_KEY_FINGERPRINT, "spki_sha256"},
	{HK_EV_KEY_IMPORTED, HK_BODY_KEY_SPKI, "spki"},
	{HK_EV_CSR_ISSUED, HK_BODY_CSR_SHA256, "csr_sha256"},
	{HK_EV_CSR_CONFIRMED, HK_BODY_CSR_SHA256, "csr_sha256"},
	{HK_EV_CERT_BOUND, HK_BODY_CERT_FINGERPRINT, "certificate_sha256"},
	{HK_EV_CERT_BOUND, HK_BODY_CERT_NOT_BEFORE, "not_before"},
	{HK_EV_CERT_BOUND, HK_BODY_CERT_NOT_AFTER, "not_after"},
	{HK_EV_CERT_BOUND, HK_BODY_CERT_ISSUER, "issuer"},
	{HK_EV_CERT_BOUND, HK_BODY_CERT_SERIAL, "serial"},
	{HK_EV_CERT_BOUND, HK_BODY_CERT_KEY_ID, "key_id"},
	{HK_EV_SUSPENDED, HK_BODY_SUSP_REASON, "reason"},
	{HK_EV_SUSPENDED, HK_BODY_SUSP_BY, "by"},
	{HK_EV_RESUMED, HK_BODY_SUSP_REASON, "reason"},
	{HK_EV_RESUMED, HK_BODY_SUSP_BY, "by"},
	{HK_EV_KEY_DESTROYED, HK_BODY_DESTROY_REASON, "reason"},
	{HK_EV_KEY_DESTROYED, HK_BODY_DESTROY_KEY_ID, "key_id"},
	{HK_EV_KEY_DESTROYED, HK_BODY_DESTROY_APPROVAL, "approval"},
	{HK_EV_CREDENTIAL_LOCKED, HK_BODY_LOCK_APPROVAL, "approval"},
	{HK_EV_CREDENTIAL_LOCKED, HK_BODY_LOCK_FAILURES, "failures"},
	{HK_EV_CREDENTIAL_UNLOCKED, HK_BODY_LOCK_APPROVAL, "approval"},
	{HK_EV_AUTH_DENIED, HK_BODY_DENIED_REASON, "reason"},
	{HK_EV_AUTH_DENIED, HK_BODY_AUTH_HASH_ALG, "hash_algorithm"},
	{HK_EV_AUTH_DENIED, HK_BODY_AUTH_HASHES, "hashes"},
	{HK_EV_AUTH_DENIED, HK_BODY_AUTH_NUM, "num_signatures"},
	{HK_EV_AUTH_DENIED, HK_BODY_AUTH_SESSION, "session"},
	{HK_EV_AUTH_DENIED, HK_BODY_AUTH_TLS, "tls"},
	{HK_EV_AUTH_DENIED, HK_BODY_AUTH_CLIENT_DATA, "client_data"},
	{HK_EV_AUTH_GRANTED, HK_BODY_AUTH_SAD_ID, "sad_id"},
	{HK_EV_AUTH_GRANTED, HK_BODY_AUTH_HASH_ALG, "hash_algorithm"},
	{HK_EV_AUTH_GRANTED, HK_BODY_AUTH_HASHES, "hashes"},
	{HK_EV_AUTH_GRANTED, HK_BODY_AUTH_NUM, "num_signatures"},
	{HK_EV_AUTH_GRANTED, HK_BODY_AUTH_EXPIRES, "expires_ms"},
	{HK_EV_AUTH_GRANTED, HK_BODY_AUTH_EXTENDS, "extends"},
	{HK_EV_AUTH_GRANTED, HK_BODY_AUTH_LEVEL, "level"},
	{HK_EV_AUTH_GRANTED, HK_BODY_AUTH_SESSION, "session"},
	{HK_EV_AUTH_GRANTED, HK_BODY_AUTH_TLS, "tls"},
	{HK_EV_AUTH_GRANTED, HK_BODY_AUTH_CLIENT_DATA, "client_data"},
	{HK_EV_SIGNATURE_CREATED, HK_BODY_SIG_SAD_ID, "sad_id"},
	{HK_EV_SIGNATURE_CREATED, HK_BODY_SIG_KEY_FP, "spki_sha256"},
	{HK_EV_SIGNATURE_CREATED, HK_BODY_SIG_HASH_ALG, "hash_algorithm"},
	{HK_EV_SIGNATURE_CREATED, HK_BODY_SIG_HASH, "hash"},
	{HK_EV_SIGNATURE_CREATED, HK_BODY_SIG_ALG, "sign_algorithm"},
	{HK_EV_SIGNATURE_CREATED, HK_BODY_SIG_VALUE, "signature"},
	{HK_EV_SIGNATURE_CREATED, HK_BODY_SIG_KEY_ID, "key_id"},
	{HK_EV_SIGNATURE_CREATED, HK_BODY_SIG_SESSION, "session"},
	{HK_EV_SIGNATURE_CREATED, HK_BODY_SIG_TLS, "tls"},
	{HK_EV_SIGNATURE_CREATED, HK_BODY_SIG_CLIENT_DATA, "client_data"},
	{HK_EV_SIGNATURE_CREATED, HK_BODY_SIG_PARAMS, "sign_params"},
	{HK_EV_SIGNATURE_CREATED, HK_BODY_SIG_INDEX, "index"},
	{HK_EV_CHECKPOINT_KEY_ROTATED, HK_BODY_ROTATE_NEW_VKEY, "new_vkey"},
};

/** hk_event_type_name(type): the registered name, or NULL. */
const char *
hk_event_type_name(uint64_t type)
{
	if (type == 0 || type > HK_EV_TYPE_MAX)
		return NULL;
	return type_names[type];
}

/** hk_event_type_from_name(name, type): look up a type by its name. */
int
hk_event_type_from_name(const char *name, uint64_t *type)
{
	uint64_t t;

	for (t = 1; t <= HK_EV_TYPE_MAX; t++) {
		if (strcmp(type_names[t], name) == 0) {
			*type = t;
			return 0;
		}
	}
	return HK_ENOTFOUND;
}

/** hk_event_body_key_name(type, key): JSON name of a body key, or NULL. */
const char *
hk_event_body_key_name(uint64_t type, uint64_t key)
{
	size_t i;

	if (key == HK_BODY_OTP_STEP)
		return "otp_step";
	for (i = 0; i < sizeof(body_names) / sizeof(body_names[0]); i++)
		if (body_names[i].type == type && body_names[i].key == key)
			return body_names[i].name;
	return NULL;
}

static int
body_is_map(struct hk_bytes body, struct hk_mpk_error *err)
{
	struct hk_mpk_reader r;
	enum hk_mpk_kind kind;
	int e;

	if ((e = hk_mpk_check(body.p, body.n, err)) != 0)
		return e;
	hk_mpk_reader_init(&r, body.p, body.n);
	if ((e = hk_mpk_peek(&r, &kind)) != 0)
		return e;
	if (kind != HK_MPK_MAP) {
		if (err != NULL) {
			err->msg = "event body is not a map";
			err->off = 0;
		}
		return HK_EPROFILE;
	}
	return 0;
}

/** hk_event_encode_mid(ev, out): append fields [4..7]. */
int
hk_event_encode_mid(const struct hk_event *ev, struct hk_buf *out)
{
	struct hk_mpk_writer w;

	if (hk_event_type_name(ev->type) == NULL ||
	    ev->actor_kind > HK_ACTOR_KIND_MAX ||
	    ev->actor_channel > HK_CHANNEL_MAX ||
	    body_is_map(ev->body, NULL) != 0)
		return HK_EINVAL;
	hk_mpk_writer_init(&w, out);
	hk_mpk_put_uint(&w, ev->type);
	hk_mpk_put_array(&w, 4);
	hk_mpk_put_uint(&w, ev->actor_kind);
	hk_mpk_put_str(&w, (const char *)ev->actor_id.p, ev->actor_id.n);
	hk_mpk_put_uint(&w, ev->actor_channel);
	hk_mpk_put_str(&w, (const char *)ev->actor_peer.p, ev->actor_peer.n);
	hk_mpk_put_array(&w, 2);
	hk_mpk_put_str(&w, (const char *)ev->signer.p, ev->signer.n);
	hk_mpk_put_str(&w, (const char *)ev->credential.p, ev->credential.n);
	hk_mpk_put_raw(&w, ev->body.p, ev->body.n);
	return hk_mpk_writer_status(&w);
}

/** hk_event_encode_frame(origin, seq, time_ms, mid, prev, out): append a
 * complete event around pre-encoded ${mid}. */
int
hk_event_encode_frame(struct hk_bytes origin, uint64_t seq,
    uint64_t time_ms, struct hk_bytes mid,
    const uint8_t prev[static HK_EVENT_PREV_LEN], struct hk_buf *out)
{
	struct hk_mpk_writer w;
	size_t start = out->len;
	int e;

	if (origin.n == 0 || origin.n > HK_EVENT_ORIGIN_MAX)
		return HK_EINVAL;
	hk_mpk_writer_init(&w, out);
	hk_mpk_put_array(&w, HK_EVENT_NFIELDS);
	hk_mpk_put_uint(&w, HK_EVENT_VERSION);
	hk_mpk_put_str(&w, (const char *)origin.p, origin.n);
	hk_mpk_put_uint(&w, seq);
	hk_mpk_put_uint(&w, time_ms);
	hk_mpk_put_raw(&w, mid.p, mid.n);
	hk_mpk_put_bin(&w, prev, HK_EVENT_PREV_LEN);
	if ((e = hk_mpk_writer_status(&w)) != 0) {
		out->len = start;
		return e;
	}
	if (out->len - start > HK_EVENT_MAX_LEN) {
		out->len = start;
		return HK_ETOOBIG;
	}
	return 0;
}

/** hk_event_encode(ev, out): append the complete encoding of ${ev}. */
int
hk_event_encode(const struct hk_event *ev, struct hk_buf *out)
{
	struct hk_buf mid = HK_BUF_INIT;
	int e;

	if ((e = hk_event_encode_mid(ev, &mid)) == 0)
		e = hk_event_encode_frame(ev->origin, ev->seq, ev->time_ms,
		    (struct hk_bytes){mid.p, mid.len}, ev->prev, out);
	hk_buf_release(&mid);
	return e;
}

static int
bad(struct hk_mpk_reader *r, struct hk_mpk_error *err, const uint8_t *at,
    const char *msg)
{
	if (err != NULL) {
		/* An encoding error found by the reader says more than the
		 * field's message; a kind mismatch ("expected ...") less. */
		if (r->err.msg != NULL && strncmp(r->err.msg, "expected ", 9) != 0)
			msg = NULL;
		if (msg != NULL) {
			err->msg = msg;
			err->off = (size_t)(at - r->base);
		} else {
			*err = r->err;
		}
	}
	return HK_EPROFILE;
}

/** hk_event_decode(p, n, ev, err): strictly decode one event. */
int
hk_event_decode(const uint8_t *p, size_t n, struct hk_event *ev,
    struct hk_mpk_error *err)
{
	struct hk_mpk_reader r;
	struct hk_bytes prev;
	const uint8_t *at;
	uint32_t cnt;

	if (n > HK_EVENT_MAX_LEN) {
		if (err != NULL) {
			err->msg = "event longer than 65535 bytes";
			err->off = 0;
		}
		return HK_EPROFILE;
	}
	/* The typed reads check each field's encoding (shortest forms,
	 * UTF-8), hk_mpk_skip checks the whole body, and nothing may follow:
	 * together that is the full profile check, in one pass. */
	memset(ev, 0, sizeof(*ev));
	hk_mpk_reader_init(&r, p, n);
	at = r.p;
	if (hk_mpk_get_array(&r, &cnt) != 0)
		return bad(&r, err, at, "event is not an array");
	if (cnt != HK_EVENT_NFIELDS)
		return bad(&r, err, at, "event array does not have 9 fields");
	at = r.p;
	if (hk_mpk_get_uint(&r, &ev->version) != 0)
		return bad(&r, err, at, "version is not an unsigned integer");
	if (ev->version != HK_EVENT_VERSION)
		return bad(&r, err, at, "unknown event format version");
	at = r.p;
	if (hk_mpk_get_str(&r, &ev->origin) != 0)
		return bad(&r, err, at, "origin is not a str");
	if (ev->origin.n == 0 || ev->origin.n > HK_EVENT_ORIGIN_MAX)
		return bad(&r, err, at, "origin is empty or too long");
	at = r.p;
	if (hk_mpk_get_uint(&r, &ev->seq) != 0)
		return bad(&r, err, at, "seq is not an unsigned integer");
	at = r.p;
	if (hk_mpk_get_uint(&r, &ev->time_ms) != 0)
		return bad(&r, err, at, "time is not an unsigned integer");
	at = r.p;
	if (hk_mpk_get_uint(&r, &ev->type) != 0)
		return bad(&r, err, at, "type is not an unsigned integer");
	if (hk_event_type_name(ev->type) == NULL)
		return bad(&r, err, at, "unknown event type");
	at = r.p;
	if (hk_mpk_get_array(&r, &cnt) != 0 || cnt != 4)
		return bad(&r, err, at, "actor is not an array of 4");
	at = r.p;
	if (hk_mpk_get_uint(&r, &ev->actor_kind) != 0 ||
	    ev->actor_kind > HK_ACTOR_KIND_MAX)
		return bad(&r, err, at, "unknown actor kind");
	at = r.p;
	if (hk_mpk_get_str(&r, &ev->actor_id) != 0)
		return bad(&r, err, at, "actor id is not a str");
	at = r.p;
	if (hk_mpk_get_uint(&r, &ev->actor_channel) != 0 ||
	    ev->actor_channel > HK_CHANNEL_MAX)
		return bad(&r, err, at, "unknown actor channel");
	at = r.p;
	if (hk_mpk_get_str(&r, &ev->actor_peer) != 0)
		return bad(&r, err, at, "actor peer is not a str");
	at = r.p;
	if (hk_mpk_get_array(&r, &cnt) != 0 || cnt != 2)
		return bad(&r, err, at, "subject is not an array of 2");
	at = r.p;
	if (hk_mpk_get_str(&r, &ev->signer) != 0)
		return bad(&r, err, at, "subject signer is not a str");
	at = r.p;
	if (hk_mpk_get_str(&r, &ev->credential) != 0)
		return bad(&r, err, at, "subject credential is not a str");
	at = r.p;
	{
		enum hk_mpk_kind kind;

		if (hk_mpk_peek(&r, &kind) != 0 || kind != HK_MPK_MAP)
			return bad(&r, err, at, "body is not a map");
	}
	if (hk_mpk_skip(&r, &ev->body) != 0)
		return bad(&r, err, at, NULL);
	at = r.p;
	if (hk_mpk_get_bin(&r, &prev) != 0 || prev.n != HK_EVENT_PREV_LEN)
		return bad(&r, err, at, "prev is not a 32-byte bin");
	memcpy(ev->prev, prev.p, HK_EVENT_PREV_LEN);
	if (r.p != r.end)
		return bad(&r, err, r.p, "trailing bytes after the value");
	return 0;
}

/** hk_event_body_value(body, key, value): borrow the value at ${key}. */
int
hk_event_body_value(struct hk_bytes body, uint64_t key, struct hk_bytes *value)
{
	struct hk_mpk_reader r;
	uint32_t n, i;
	uint64_t k;
	int e;

	hk_mpk_reader_init(&r, body.p, body.n);
	if ((e = hk_mpk_get_map(&r, &n)) != 0)
		return e;
	for (i = 0; i < n; i++) {
		if ((e = hk_mpk_get_uint(&r, &k)) != 0 ||
		    (e = hk_mpk_skip(&r, value)) != 0)
			return e;
		if (k == key)
			return 0;
	}
	return HK_ENOTFOUND;
}

/** hk_event_body_str(body, key, s): the str at ${key}. */
int
hk_event_body_str(struct hk_bytes body, uint64_t key, struct hk_bytes *s)
{
	struct hk_mpk_reader r;
	struct hk_bytes v;
	int e;

	if ((e = hk_event_body_value(body, key, &v)) != 0)
		return e;
	hk_mpk_reader_init(&r, v.p, v.n);
	return hk_mpk_get_str(&r, s);
}

/** hk_event_genesis_body(software, vkey, out): the genesis event body. */
int
hk_event_genesis_body(const char *software, const char *vkey,
    struct hk_buf *out)
{
	struct hk_mpk_writer w;

	hk_mpk_writer_init(&w, out);
	hk_mpk_put_map(&w, 2);
	hk_mpk_put_uint(&w, HK_BODY_GENESIS_SOFTWARE);
	hk_mpk_put_cstr(&w, software);
	hk_mpk_put_uint(&w, HK_BODY_GENESIS_VKEY);
	hk_mpk_put_cstr(&w, vkey);
	return hk_mpk_writer_status(&w);
}
