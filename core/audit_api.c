/* SPDX-License-Identifier: Apache-2.0 */
/*
 * audit_api: the auditor API's handlers (see audit_api.h and
 * docs/audit-api.md). OPS-4, OPS-6, SIG-6.
 */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "core/audit_api.h"
#include "core/audit_api_internal.h"
#include "core/codec.h"
#include "core/event_json.h"
#include "core/ipc.h"
#include "core/mpk.h"
#include "core/sha256.h"
#include "core/state.h"
#include "core/version.h"
#include "ledger/ledger_merkle.h"

/* The longest hash the signature lookup accepts (SHA-512). */
#define HASH_MAX 64
/* Each JSON event of an answer is at most this long (route.c agrees). */
#define EVENT_JSON_MAX ((size_t)256 << 10)

/* ---- answers ------------------------------------------------------------- */

static void
set_text(char *out, size_t max, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void
set_text(char *out, size_t max, const char *fmt, ...)
{
	va_list ap;

	if (out == NULL || max == 0)
		return;
	va_start(ap, fmt);
	vsnprintf(out, max, fmt, ap);
	va_end(ap);
}

static void
fail(struct hk_audit_answer *a, unsigned status, const char *code,
    const char *desc)
{
	struct hk_mpk_writer w;

	a->status = status;
	hk_buf_reset(a->resp);
	hk_mpk_writer_init(&w, a->resp);
	hk_mpk_put_map(&w, 2);
	hk_mpk_put_uint(&w, 1);
	hk_mpk_put_cstr(&w, code);
	hk_mpk_put_uint(&w, 2);
	hk_mpk_put_cstr(&w, desc);
	if (hk_mpk_writer_status(&w) != 0) {
		hk_buf_reset(a->resp);
		if (hk_buf_put(a->resp, "\x80", 1) != 0)
			a->resp->len = 0;
	}
	set_text(a->reason, a->reason_max, "%s", desc);
}

#define BAD(a, desc) fail(a, 400, "invalid_request", desc)

static void
unavailable(struct hk_audit_answer *a, int r)
{
	if (r == HK_ENOMEM)
		fail(a, 500, "internal_error", "out of memory");
	else
		fail(a, 503, "unavailable", "the ledger cannot be read");
}

static void
done(struct hk_audit_answer *a, const struct hk_mpk_writer *w)
{
	if (hk_mpk_writer_status(w) != 0) {
		fail(a, 500, "internal_error", "cannot encode the answer");
		return;
	}
	a->status = 200;
}

/* ---- request maps ---------------------------------------------------------- */

/*
 * parse(body, n, spec, nspec, out, a): read the request map strictly:
 * ascending keys of ${spec} only, each of its kind and bounds (ACT-3: the
 * front is untrusted). False with a 400 answer otherwise.
 */
static bool
parse(const uint8_t *body, size_t n, const struct argspec *spec,
    size_t nspec, struct args *out, struct hk_audit_answer *a)
{
	struct hk_mpk_reader r;
	uint64_t key, prev = 0;
	uint32_t cnt, i;
	size_t k;

	memset(out, 0, sizeof(*out));
	hk_mpk_reader_init(&r, body, n);
	if (hk_mpk_get_map(&r, &cnt) != 0) {
		BAD(a, "the request is not a map");
		return false;
	}
	for (i = 0; i < cnt; i++) {
		if (hk_mpk_get_uint(&r, &key) != 0 || (i > 0 && key <= prev)) {
			BAD(a, "request keys are not ascending uints");
			return false;
		}
		prev = key;
		for (k = 0; k < nspec && spec[k].key != key; k++)
			;
		if (k == nspec) {
			BAD(a, "the request has a key this operation does not "
			       "take");
			return false;
		}
		if (spec[k].kind == ARG_UINT) {
			if (hk_mpk_get_uint(&r, &out->u[k]) != 0) {
				BAD(a, "a number of the request is not a uint");
				return false;
			}
		} else if (hk_mpk_get_str(&r, &out->s[k]) != 0 ||
		    out->s[k].n == 0 || out->s[k].n > spec[k].max) {
			BAD(a, "a text of the request is not a str of the "
			       "allowed length");
			return false;
		}
		out->has[k] = true;
	}
	if (r.p != r.end) {
		BAD(a, "trailing bytes after the request");
		return false;
	}
	return true;
}

/* ---- status ---------------------------------------------------------------- */

static void
audit_status(const struct hk_audit_ctx *cx, struct args *x,
    struct hk_audit_answer *a)
{
	struct ledger *l = cx->ledger;
	struct hk_buf cp = HK_BUF_INIT;
	struct hk_mpk_writer w;
	struct hk_state_verified v;
	uint64_t size = 0;
	int r;

	(void)x;
	memset(&v, 0, sizeof(v));
	if (cx->verified != NULL)
		v = *cx->verified;
	else if (cx->state != NULL)
		hk_state_last_verified(cx->state, &v);
	if ((r = ledger_checkpoint_get(l, 0, &cp, &size)) != 0) {
		unavailable(a, r);
		goto out;
	}
	hk_buf_reset(a->resp);
	hk_mpk_writer_init(&w, a->resp);
	hk_mpk_put_map(&w, 9);
	hk_mpk_put_uint(&w, 1);
	hk_mpk_put_cstr(&w, ledger_origin(l));
	hk_mpk_put_uint(&w, 2);
	hk_mpk_put_uint(&w, size);
	hk_mpk_put_uint(&w, 3);
	hk_mpk_put_str(&w, (const char *)cp.p, cp.len);
	hk_mpk_put_uint(&w, 4);
	hk_mpk_put_cstr(&w, ledger_vkey(l));
	/* The last full verification, as the ledger recorded it (its
	 * ledger.verified event, replayed into the state at start). */
	hk_mpk_put_uint(&w, 5);
	hk_mpk_put_uint(&w, v.has ? v.at_ms : 0);
	hk_mpk_put_uint(&w, 6);
	hk_mpk_put_uint(&w, v.has ? v.events : 0);
	hk_mpk_put_uint(&w, 7);
	hk_mpk_put_cstr(&w, !v.has ? "none" : v.ok ? "ok" : "failed");
	hk_mpk_put_uint(&w, 8);
	hk_mpk_put_cstr(&w, v.has && !v.ok ? v.msg : "");
	hk_mpk_put_uint(&w, 9);
	hk_mpk_put_uint(&w, v.has ? v.seq : 0);
	done(a, &w);
out:
	hk_buf_release(&cp);
}

/* ---- scans ----------------------------------------------------------------- */

/* What a scan keeps (all given filters must hold). */
struct filter {
	bool has_type;
	uint64_t type;
	struct hk_bytes signer, credential, actor; /* n == 0: any */
	bool has_since, has_until;
	uint64_t since, until;
	/* The state history: only the events that change a signer's or a
	 * credential's state, each answered as a short history entry. */
	bool history;
	/* The signature lookup: signature.created with this hash. */
	bool by_hash;
	uint8_t hash[HASH_MAX];
	size_t hash_len;
};

static bool
same(struct hk_bytes a, struct hk_bytes b)
{
	return a.n == b.n && (a.n == 0 || memcmp(a.p, b.p, a.n) == 0);
}

/*
 * history_state(ev): the state a signer or credential is in after ${ev}
 * (the labels of core/state.h and docs/audit-api.md "history"), or NULL
 * for an event that changes no such state (signatures, authorisations,
 * admin requests, ...). A key.destroyed event with a key id may retire
 * the old key of a renewal rather than end the credential; it is
 * labelled "key_destroyed" and the current state (from the live state)
 * says which.
 */
static const char *
history_state(const struct hk_event *ev)
{
	struct hk_bytes v;

	switch (ev->type) {
	case HK_EV_SIGNER_REGISTERED: return "registered";
	case HK_EV_SIGNER_UPDATED: return "updated";
	case HK_EV_SIGNER_ERASED: return "erased";
	case HK_EV_CREDENTIAL_CREATED: return "created";
	case HK_EV_CREDENTIAL_ENROLLED: return "enrolled";
	case HK_EV_KEY_GENERATED:
	case HK_EV_KEY_IMPORTED: return "key_generated";
	case HK_EV_CSR_ISSUED: return "csr_issued";
	case HK_EV_CSR_CONFIRMED: return "csr_confirmed";
	case HK_EV_CERT_BOUND: return "active";
	case HK_EV_CREDENTIAL_LOCKED: return "locked";
	case HK_EV_CREDENTIAL_UNLOCKED: return "unlocked";
	case HK_EV_SUSPENDED: return "suspended";
	case HK_EV_RESUMED: return "active";
	case HK_EV_KEY_DESTROYED:
		return hk_event_body_value(ev->body, HK_BODY_DESTROY_KEY_ID,
			   &v) == 0 ?
		    "key_destroyed" :
		    "destroyed";
	}
	return NULL;
}

/* history_json(ev): the history entry of ${ev}: {"seq", "time_ms",
 * "time", "type", "signer", "credential", "state"}; NULL on ENOMEM. */
static json_t *
history_json(const struct hk_event *ev)
{
	json_t *j = hk_event_to_json(ev, NULL), *o;

	if (j == NULL)
		return NULL;
	o = json_pack("{s:O?, s:O?, s:O?, s:O?, s:s%, s:s%, s:s}", "seq",
	    json_object_get(j, "seq"), "time_ms", json_object_get(j, "time_ms"),
	    "time", json_object_get(j, "time"), "type",
	    json_object_get(j, "type"), "signer",
	    ev->signer.n > 0 ? (const char *)ev->signer.p : "", ev->signer.n,
	    "credential",
	    ev->credential.n > 0 ? (const char *)ev->credential.p : "",
	    ev->credential.n, "state", history_state(ev));
	json_decref(j);
	return o;
}

static bool
matches(const struct filter *f, const struct hk_event *ev)
{
	struct hk_mpk_reader r;
	struct hk_bytes v, h;

	if (f->has_type && ev->type != f->type)
		return false;
	if (f->signer.n > 0 && !same(f->signer, ev->signer))
		return false;
	if (f->credential.n > 0 && !same(f->credential, ev->credential))
		return false;
	if (f->actor.n > 0 && !same(f->actor, ev->actor_id))
		return false;
	if (f->has_since && ev->time_ms < f->since)
		return false;
	if (f->has_until && ev->time_ms >= f->until)
		return false;
	if (f->history && history_state(ev) == NULL)
		return false;
	if (f->by_hash) {
		/* docs/ledger-format.md: signature.created body key 4. */
		if (ev->type != HK_EV_SIGNATURE_CREATED ||
		    hk_event_body_value(ev->body, 4, &v) != 0)
			return false;
		hk_mpk_reader_init(&r, v.p, v.n);
		if (hk_mpk_get_bin(&r, &h) != 0 || h.n != f->hash_len ||
		    memcmp(h.p, f->hash, h.n) != 0)
			return false;
	}
	return true;
}

/*
 * scan(l, from, limit, f, a): the answer {1: [JSON text of each matching
 * event], 2: next, 3: size} for the events from seq ${from} below the
 * committed size, at most ${limit} of them, examining at most
 * HK_AUDIT_SCAN_MAX events and HK_AUDIT_RESP_BUDGET bytes of JSON.
 * With ${subject} (a JSON object's text, the state history) the answer is
 * {1: subject, 2: [history entries], 3: next, 4: size} instead.
 */
static void
scan(struct ledger *l, uint64_t from, uint64_t limit, const struct filter *f,
    const char *subject, struct hk_audit_answer *a)
{
	struct hk_buf items = HK_BUF_INIT;
	struct hk_mpk_writer iw, w;
	struct ledger_iter *it = NULL;
	struct hk_sha256 *h = NULL;
	struct hk_event ev;
	struct hk_bytes b;
	uint8_t leaf[LEDGER_HASH_LEN];
	uint64_t size = 0, seq, next = from, scanned = 0;
	uint32_t count = 0;
	json_t *j;
	char *s;
	size_t sl;
	int r;

	hk_mpk_writer_init(&iw, &items);
	if ((r = ledger_size(l, &size, NULL)) != 0 ||
	    (h = hk_sha256_new()) == NULL ||
	    (from < size && (r = ledger_iter_new(l, from, &it)) != 0)) {
		unavailable(a, h == NULL && r == 0 ? HK_ENOMEM : r);
		goto out;
	}
	while (it != NULL && next < size && count < limit &&
	    scanned < HK_AUDIT_SCAN_MAX) {
		if ((r = ledger_iter_next(it, &seq, &b)) != 0 || seq != next) {
			/* Every seq below the committed size is stored. */
			unavailable(a, r == 0 ? HK_ESTORE : r);
			goto out;
		}
		if (hk_event_decode(b.p, b.n, &ev, NULL) != 0) {
			fail(a, 500, "internal_error",
			    "an event of the ledger is outside the profile");
			goto out;
		}
		if (matches(f, &ev)) {
			if (f->history)
				j = history_json(&ev);
			else if (ledger_merkle_leaf_hash(h, b.p, b.n, leaf) !=
			    0)
				j = NULL;
			else
				j = hk_event_to_json(&ev, leaf);
			if (j == NULL) {
				fail(a, 500, "internal_error",
				    "cannot decode an event");
				goto out;
			}
			s = json_dumps(j, JSON_COMPACT | JSON_PRESERVE_ORDER);
			json_decref(j);
			if (s == NULL) {
				unavailable(a, HK_ENOMEM);
				goto out;
			}
			sl = strlen(s);
			/* Over the budget: stop before it (it comes next). */
			if (sl > EVENT_JSON_MAX || (count > 0 &&
				items.len + sl > HK_AUDIT_RESP_BUDGET)) {
				free(s);
				if (count == 0) {
					fail(a, 500, "internal_error",
					    "an event is too large to answer");
					goto out;
				}
				break;
			}
			hk_mpk_put_str(&iw, s, sl);
			free(s);
			count++;
		}
		scanned++;
		next = seq + 1;
	}
	hk_buf_reset(a->resp);
	hk_mpk_writer_init(&w, a->resp);
	hk_mpk_put_map(&w, subject != NULL ? 4 : 3);
	if (subject != NULL) {
		hk_mpk_put_uint(&w, 1);
		hk_mpk_put_cstr(&w, subject);
	}
	hk_mpk_put_uint(&w, subject != NULL ? 2 : 1);
	hk_mpk_put_array(&w, count);
	hk_mpk_put_raw(&w, items.p, items.len);
	hk_mpk_put_uint(&w, subject != NULL ? 3 : 2);
	hk_mpk_put_uint(&w, next);
	hk_mpk_put_uint(&w, subject != NULL ? 4 : 3);
	hk_mpk_put_uint(&w, size);
	if (hk_mpk_writer_status(&iw) != 0)
		fail(a, 500, "internal_error", "cannot encode the answer");
	else
		done(a, &w);
out:
	ledger_iter_free(it);
	hk_sha256_free(h);
	hk_buf_release(&items);
}

/* /events request keys (docs/audit-api.md). */
enum {
	EV_FROM, EV_LIMIT, EV_TYPE, EV_SIGNER, EV_CREDENTIAL, EV_SINCE,
	EV_UNTIL, EV_ACTOR,
};
static const struct argspec events_spec[] = {
    [EV_FROM] = {1, ARG_UINT, 0},
    [EV_LIMIT] = {2, ARG_UINT, 0},
    [EV_TYPE] = {3, ARG_STR, 64},
    [EV_SIGNER] = {4, ARG_STR, 64},
    [EV_CREDENTIAL] = {5, ARG_STR, 64},
    [EV_SINCE] = {6, ARG_UINT, 0},
    [EV_UNTIL] = {7, ARG_UINT, 0},
    [EV_ACTOR] = {8, ARG_STR, 64},
};

static void
audit_events(struct ledger *l, struct args *x, struct hk_audit_answer *a)
{
	struct filter f;
	uint64_t from = x->has[EV_FROM] ? x->u[EV_FROM] : 0;
	uint64_t limit = x->has[EV_LIMIT] ? x->u[EV_LIMIT] :
					      HK_AUDIT_LIMIT_DEFAULT;
	char name[65];

	memset(&f, 0, sizeof(f));
	set_text(a->target, a->target_max, "from %" PRIu64, from);
	if (limit == 0 || limit > HK_AUDIT_LIMIT_MAX) {
		BAD(a, "limit must be from 1 to 500");
		return;
	}
	if (x->has[EV_TYPE]) {
		memcpy(name, x->s[EV_TYPE].p, x->s[EV_TYPE].n);
		name[x->s[EV_TYPE].n] = '\0';
		if (strlen(name) != x->s[EV_TYPE].n ||
		    hk_event_type_from_name(name, &f.type) != 0) {
			BAD(a, "type is not an event type name");
			return;
		}
		f.has_type = true;
	}
	if (x->has[EV_SIGNER])
		f.signer = x->s[EV_SIGNER];
	if (x->has[EV_CREDENTIAL])
		f.credential = x->s[EV_CREDENTIAL];
	f.has_since = x->has[EV_SINCE];
	f.since = x->u[EV_SINCE];
	f.has_until = x->has[EV_UNTIL];
	f.until = x->u[EV_UNTIL];
	if (x->has[EV_ACTOR])
		f.actor = x->s[EV_ACTOR];
	scan(l, from, limit, &f, NULL, a);
}

/*
 * hash_of(s, out, len): the hash text of /signatures: hex (either case,
 * when every character is a hex digit) or Base64 (standard or URL-safe,
 * padding optional). 1 to HASH_MAX bytes.
 */
static bool
hash_of(struct hk_bytes s, uint8_t out[HASH_MAX], size_t *len)
{
	char b64[4 * ((HASH_MAX + 2) / 3) + 1];
	size_t i, n = s.n, hex = 0;
	bool url = false, std = false;

	for (i = 0; i < n; i++) {
		char c = (char)s.p[i];

		if ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') ||
		    (c >= 'A' && c <= 'F'))
			hex++;
	}
	if (hex == n)
		return hk_hex_decode(out, HASH_MAX, (const char *)s.p, n,
			   len) == 0 &&
		    *len > 0;
	/* Base64: to the standard alphabet with padding, then strictly. */
	while (n > 0 && s.p[n - 1] == '=')
		n--;
	if (n == 0 || n % 4 == 1 || (n + 3) / 4 * 4 >= sizeof(b64) ||
	    s.n - n > 2)
		return false;
	for (i = 0; i < n; i++) {
		char c = (char)s.p[i];

		if (c == '-' || c == '_')
			url = true;
		else if (c == '+' || c == '/')
			std = true;
		if (c == '-')
			c = '+';
		else if (c == '_')
			c = '/';
		b64[i] = c;
	}
	if (url && std)
		return false; /* one alphabet or the other */
	/* Padding, when present, must be what the length needs. */
	if (s.n != n && s.n != (n + 3) / 4 * 4)
		return false;
	while (i % 4 != 0)
		b64[i++] = '=';
	return hk_b64_decode(out, HASH_MAX, b64, i, len) == 0 && *len > 0;
}

enum { SG_HASH, SG_FROM };
static const struct argspec signatures_spec[] = {
    [SG_HASH] = {1, ARG_STR, 256},
    [SG_FROM] = {2, ARG_UINT, 0},
};

static void
audit_signatures(struct ledger *l, struct args *x, struct hk_audit_answer *a)
{
	struct filter f;
	uint64_t from = x->has[SG_FROM] ? x->u[SG_FROM] : 0;

	memset(&f, 0, sizeof(f));
	if (!x->has[SG_HASH]) {
		BAD(a, "hash is required");
		return;
	}
	set_text(a->target, a->target_max, "hash %.*s",
	    (int)(x->s[SG_HASH].n > 64 ? 64 : x->s[SG_HASH].n),
	    (const char *)x->s[SG_HASH].p);
	if (!hash_of(x->s[SG_HASH], f.hash, &f.hash_len)) {
		BAD(a, "hash must be 1 to 64 bytes in hex or Base64");
		return;
	}
	f.by_hash = true;
	scan(l, from, UINT64_MAX, &f, NULL, a);
}

/* ---- proofs ---------------------------------------------------------------- */

enum { RC_SEQ };
static const struct argspec receipt_spec[] = {
    [RC_SEQ] = {1, ARG_STR, 19},
};

/* decimal(s, out): 1 to 19 digits, no leading zero but "0". */
static bool
decimal(struct hk_bytes s, uint64_t *out)
{
	uint64_t u = 0;
	size_t i;

	if (s.n == 0 || s.n > 19 || (s.n > 1 && s.p[0] == '0'))
		return false;
	for (i = 0; i < s.n; i++) {
		if (s.p[i] < '0' || s.p[i] > '9')
			return false;
		u = u * 10 + (uint64_t)(s.p[i] - '0');
	}
	*out = u;
	return true;
}

/* put_text(a, text): the answer {1: text}. */
static void
put_text(struct hk_audit_answer *a, const struct hk_buf *text)
{
	struct hk_mpk_writer w;

	hk_buf_reset(a->resp);
	hk_mpk_writer_init(&w, a->resp);
	hk_mpk_put_map(&w, 1);
	hk_mpk_put_uint(&w, 1);
	hk_mpk_put_str(&w, (const char *)text->p, text->len);
	done(a, &w);
}

static void
audit_receipt(struct ledger *l, struct args *x, struct hk_audit_answer *a)
{
	struct hk_buf text = HK_BUF_INIT;
	uint64_t seq = 0;
	int r;

	if (!x->has[RC_SEQ] || !decimal(x->s[RC_SEQ], &seq)) {
		BAD(a, "seq must be a decimal number without leading zeros");
		return;
	}
	set_text(a->target, a->target_max, "seq %" PRIu64, seq);
	if ((r = ledger_receipt(l, seq, &text)) == HK_ENOTFOUND)
		fail(a, 404, "not_found", "no event with that seq is covered "
					  "by the latest checkpoint");
	else if (r != 0)
		unavailable(a, r);
	else
		put_text(a, &text);
	hk_buf_release(&text);
}

enum { CS_OLD, CS_NEW };
static const struct argspec consistency_spec[] = {
    [CS_OLD] = {1, ARG_UINT, 0},
    [CS_NEW] = {2, ARG_UINT, 0},
};

static void
audit_consistency(struct ledger *l, struct args *x, struct hk_audit_answer *a)
{
	struct hk_buf text = HK_BUF_INIT;
	uint64_t m = x->u[CS_OLD], n = x->has[CS_NEW] ? x->u[CS_NEW] : 0;
	int r;

	set_text(a->target, a->target_max, "old %" PRIu64 " new %" PRIu64, m,
	    n);
	if (!x->has[CS_OLD] || m == 0) {
		BAD(a, "old must be a tree size of at least 1");
		return;
	}
	if (x->has[CS_NEW] && (n == 0 || m > n)) {
		BAD(a, "new must be a tree size of at least old");
		return;
	}
	if ((r = ledger_consistency_text(l, m, n, &text)) == HK_ENOTFOUND)
		fail(a, 404, "not_found", "no checkpoint is stored for that "
					  "tree size");
	else if (r == HK_ERANGE)
		BAD(a, "old is beyond the checkpoint's tree size");
	else if (r != 0)
		unavailable(a, r);
	else
		put_text(a, &text);
	hk_buf_release(&text);
}

/* ---- the console's views (issue 8) ---------------------------------------- */

enum { CO_PATH };
static const struct argspec console_spec[] = {
    [CO_PATH] = {1, ARG_STR, 256},
};

/* The console access check: the role check is the executor's; here only
 * the record's target (the asset path) and the empty answer. */
static void
audit_console(const struct hk_audit_ctx *cx, struct args *x,
    struct hk_audit_answer *a)
{
	struct hk_mpk_writer w;

	(void)cx;
	if (!x->has[CO_PATH]) {
		BAD(a, "path is required");
		return;
	}
	set_text(a->target, a->target_max, "%.*s",
	    (int)(x->s[CO_PATH].n > 72 ? 72 : x->s[CO_PATH].n),
	    (const char *)x->s[CO_PATH].p);
	hk_buf_reset(a->resp);
	hk_mpk_writer_init(&w, a->resp);
	hk_mpk_put_map(&w, 0);
	done(a, &w);
}

/* Counts for the summary, gathered under the state lock. */
struct tally {
	uint64_t signers, erased, creds, locked;
	uint64_t by_state[HK_CRED_DESTROYED + 1];
};

static int
tally_signer(void *arg, const char *id, const struct hk_signer_info *si)
{
	struct tally *t = arg;

	(void)id;
	t->signers++;
	if (si->erased)
		t->erased++;
	return 0;
}

static int
tally_cred(void *arg, const char *id, const struct hk_cred_info *ci)
{
	struct tally *t = arg;

	(void)id;
	t->creds++;
	if (ci->state >= HK_CRED_CREATED && ci->state <= HK_CRED_DESTROYED)
		t->by_state[ci->state]++;
	if (ci->locked)
		t->locked++;
	return 0;
}

/*
 * audit_summary: {1: signers, 2: erased signers, 3: credentials, 4..8:
 * credentials created, key_generated, active, suspended, destroyed, 9:
 * locked, 10: signatures in all, 11: signatures today (UTC day of
 * now_ms), 12: start of today (ms), 13: ledger size, 14: version}: counts
 * of the live state (a fold of the ledger, core/state.h), no personal
 * data.
 */
static void
audit_summary(const struct hk_audit_ctx *cx, struct args *x,
    struct hk_audit_answer *a)
{
	struct hk_mpk_writer w;
	struct tally t;
	uint64_t size = 0, total = 0, today = 0;
	uint64_t day = cx->now_ms / HK_STATE_DAY_MS;
	int r, k;

	(void)x;
	memset(&t, 0, sizeof(t));
	if ((r = hk_state_foreach_signer(cx->state, tally_signer, &t)) != 0 ||
	    (r = hk_state_foreach_cred(cx->state, NULL, tally_cred, &t)) !=
		0 ||
	    (r = ledger_size(cx->ledger, &size, NULL)) != 0) {
		unavailable(a, r);
		return;
	}
	hk_state_signature_counts(cx->state, day, &total, &today);
	hk_buf_reset(a->resp);
	hk_mpk_writer_init(&w, a->resp);
	hk_mpk_put_map(&w, 14);
	hk_mpk_put_uint(&w, 1);
	hk_mpk_put_uint(&w, t.signers);
	hk_mpk_put_uint(&w, 2);
	hk_mpk_put_uint(&w, t.erased);
	hk_mpk_put_uint(&w, 3);
	hk_mpk_put_uint(&w, t.creds);
	for (k = HK_CRED_CREATED; k <= HK_CRED_DESTROYED; k++) {
		hk_mpk_put_uint(&w, 3 + (uint64_t)k);
		hk_mpk_put_uint(&w, t.by_state[k]);
	}
	hk_mpk_put_uint(&w, 9);
	hk_mpk_put_uint(&w, t.locked);
	hk_mpk_put_uint(&w, 10);
	hk_mpk_put_uint(&w, total);
	hk_mpk_put_uint(&w, 11);
	hk_mpk_put_uint(&w, today);
	hk_mpk_put_uint(&w, 12);
	hk_mpk_put_uint(&w, day * HK_STATE_DAY_MS);
	hk_mpk_put_uint(&w, 13);
	hk_mpk_put_uint(&w, size);
	hk_mpk_put_uint(&w, 14);
	hk_mpk_put_cstr(&w, HK_VERSION);
	done(a, &w);
}

/* cred_json(id, ci): what the auditor sees of a credential: its state
 * and counters, never key material beyond whether a certificate is
 * bound. NULL on ENOMEM. */
static json_t *
cred_json(const char *id, const struct hk_cred_info *ci)
{
	return json_pack("{s:s, s:s, s:s, s:b, s:b, s:I, s:I, s:s, s:I, "
			 "s:b, s:I, s:I}",
	    "credential", id, "signer", ci->signer, "state",
	    hk_state_cred_state_name(ci->state), "locked", ci->locked,
	    "enrolled", ci->enrolled, "signatures", (json_int_t)ci->signatures,
	    "last_seq", (json_int_t)ci->last_seq, "algorithm", ci->algorithm,
	    "level", (json_int_t)ci->level, "certificate", ci->has_cert,
	    "not_before", (json_int_t)ci->not_before, "not_after",
	    (json_int_t)ci->not_after);
}

/* signer_json(id, si): a signer without its attributes: only whether
 * they are committed (sealed, a commitment in the ledger) or erased. */
static json_t *
signer_json(const char *id, const struct hk_signer_info *si)
{
	return json_pack("{s:s, s:s, s:s, s:I, s:[]}", "signer", id, "kind",
	    si->kind, "attributes", si->erased ? "erased" : "committed",
	    "registered_seq", (json_int_t)si->registered_seq, "credentials");
}

static int
add_cred(void *arg, const char *id, const struct hk_cred_info *ci)
{
	json_t *list = arg, *c = cred_json(id, ci);

	return c == NULL || json_array_append_new(list, c) != 0 ? HK_ENOMEM :
								  0;
}

/* dump(j, out): ${j}'s compact text (malloc'd) and free ${j}; NULL on
 * ENOMEM. */
static char *
dump(json_t *j)
{
	char *s = j != NULL ? json_dumps(j, JSON_COMPACT | JSON_PRESERVE_ORDER) :
			      NULL;

	json_decref(j);
	return s;
}

enum { HI_SIGNER, HI_CREDENTIAL, HI_FROM };
static const struct argspec history_spec[] = {
    [HI_SIGNER] = {1, ARG_STR, 64},
    [HI_CREDENTIAL] = {2, ARG_STR, 64},
    [HI_FROM] = {3, ARG_UINT, 0},
};

/*
 * audit_history: the current state of one signer (with its credentials)
 * or one credential, from the live state, and the ledger events that
 * changed it, paged like /events.
 */
static void
audit_history(const struct hk_audit_ctx *cx, struct args *x,
    struct hk_audit_answer *a)
{
	struct hk_signer_info si;
	struct hk_cred_info ci;
	struct filter f;
	char id[65];
	json_t *j = NULL;
	char *subject = NULL;
	uint64_t from = x->has[HI_FROM] ? x->u[HI_FROM] : 0;
	bool by_signer = x->has[HI_SIGNER];
	struct hk_bytes v = by_signer ? x->s[HI_SIGNER] : x->s[HI_CREDENTIAL];

	memset(&f, 0, sizeof(f));
	if (x->has[HI_SIGNER] == x->has[HI_CREDENTIAL]) {
		BAD(a, "exactly one of signer and credential is required");
		return;
	}
	memcpy(id, v.p, v.n);
	id[v.n] = '\0';
	set_text(a->target, a->target_max, "%s %s from %" PRIu64,
	    by_signer ? "signer" : "credential", id, from);
	if (strlen(id) != v.n) {
		BAD(a, "the id holds a NUL");
		return;
	}
	if (by_signer) {
		if (hk_state_signer(cx->state, id, v.n, &si) != 0) {
			fail(a, 404, "not_found", "no such signer");
			return;
		}
		if ((j = signer_json(id, &si)) == NULL ||
		    hk_state_foreach_cred(cx->state, id, add_cred,
			json_object_get(j, "credentials")) != 0) {
			json_decref(j);
			unavailable(a, HK_ENOMEM);
			return;
		}
		f.signer = v;
	} else {
		if (hk_state_cred(cx->state, id, v.n, &ci) != 0) {
			fail(a, 404, "not_found", "no such credential");
			return;
		}
		j = cred_json(id, &ci);
		f.credential = v;
	}
	if ((subject = dump(j)) == NULL) {
		unavailable(a, HK_ENOMEM);
		return;
	}
	f.history = true;
	scan(cx->ledger, from, HK_AUDIT_LIMIT_MAX, &f, subject, a);
	free(subject);
}

enum { SI_AFTER, SI_LIMIT };
static const struct argspec signers_spec[] = {
    [SI_AFTER] = {1, ARG_STR, 64},
    [SI_LIMIT] = {2, ARG_UINT, 0},
};

/* A page of signers being listed, and their credentials' counts. */
struct page {
	const char *after; /* NULL: from the first */
	uint64_t limit;
	json_t *list;
	bool more;
	int err;
};

static int
page_signer(void *arg, const char *id, const struct hk_signer_info *si)
{
	struct page *p = arg;
	json_t *j;

	if (p->after != NULL && strcmp(id, p->after) <= 0)
		return 0;
	if (json_array_size(p->list) == p->limit) {
		p->more = true;
		return 1; /* stop */
	}
	if ((j = signer_json(id, si)) == NULL ||
	    json_object_set_new(j, "credentials", json_object()) != 0 ||
	    json_array_append_new(p->list, j) != 0) {
		p->err = HK_ENOMEM;
		return 1;
	}
	return 0;
}

/* count_cred: credentials by state for the listed signers (binary search
 * in the page, which is in id order). */
static int
count_cred(void *arg, const char *id, const struct hk_cred_info *ci)
{
	struct page *p = arg;
	size_t lo = 0, hi = json_array_size(p->list);
	const char *name = hk_state_cred_state_name(ci->state);

	(void)id;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		json_t *s = json_array_get(p->list, mid);
		int c = strcmp(ci->signer,
		    json_string_value(json_object_get(s, "signer")));

		if (c == 0) {
			json_t *m = json_object_get(s, "credentials");
			json_t *n = json_object_get(m, name);

			if (json_object_set_new(m, name,
				json_integer(n != NULL ? json_integer_value(n) + 1 :
							 1)) != 0)
				return HK_ENOMEM;
			return 0;
		}
		if (c < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	return 0;
}

/*
 * audit_signers: {1: [signer objects], 2: next id (absent at the end)}:
 * up to ${limit} signers after the id ${after} in id order, each with its
 * kind, the attributes marker, and its credentials counted by state.
 */
static void
audit_signers(const struct hk_audit_ctx *cx, struct args *x,
    struct hk_audit_answer *a)
{
	struct hk_buf items = HK_BUF_INIT;
	struct hk_mpk_writer iw, w;
	struct page p;
	char after[65];
	size_t i;
	int r;

	memset(&p, 0, sizeof(p));
	p.limit = x->has[SI_LIMIT] ? x->u[SI_LIMIT] : HK_AUDIT_SIGNERS_DEFAULT;
	if (x->has[SI_AFTER]) {
		memcpy(after, x->s[SI_AFTER].p, x->s[SI_AFTER].n);
		after[x->s[SI_AFTER].n] = '\0';
		p.after = after;
	}
	set_text(a->target, a->target_max, "after %s",
	    p.after != NULL ? p.after : "-");
	if (p.limit == 0 || p.limit > HK_AUDIT_SIGNERS_MAX) {
		BAD(a, "limit must be from 1 to 200");
		return;
	}
	if ((p.list = json_array()) == NULL) {
		unavailable(a, HK_ENOMEM);
		return;
	}
	r = hk_state_foreach_signer(cx->state, page_signer, &p);
	if (r < 0 || p.err != 0 ||
	    (r = hk_state_foreach_cred(cx->state, NULL, count_cred, &p)) != 0) {
		unavailable(a, HK_ENOMEM);
		goto out;
	}
	hk_mpk_writer_init(&iw, &items);
	for (i = 0; i < json_array_size(p.list); i++) {
		char *s = json_dumps(json_array_get(p.list, i),
		    JSON_COMPACT | JSON_PRESERVE_ORDER);

		if (s == NULL) {
			unavailable(a, HK_ENOMEM);
			goto out;
		}
		hk_mpk_put_cstr(&iw, s);
		free(s);
	}
	hk_buf_reset(a->resp);
	hk_mpk_writer_init(&w, a->resp);
	hk_mpk_put_map(&w, p.more ? 2 : 1);
	hk_mpk_put_uint(&w, 1);
	hk_mpk_put_array(&w, (uint32_t)json_array_size(p.list));
	hk_mpk_put_raw(&w, items.p, items.len);
	if (p.more) {
		hk_mpk_put_uint(&w, 2);
		hk_mpk_put_cstr(&w, json_string_value(json_object_get(
					json_array_get(p.list,
					    json_array_size(p.list) - 1),
					"signer")));
	}
	if (hk_mpk_writer_status(&iw) != 0)
		fail(a, 500, "internal_error", "cannot encode the answer");
	else
		done(a, &w);
out:
	json_decref(p.list);
	hk_buf_release(&items);
}

/* ---- dispatch -------------------------------------------------------------- */

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

static const struct {
	uint64_t type;
	const struct argspec *spec;
	size_t nspec;
	/* One of the two: the views of the ledger alone, or of the
	 * context. */
	void (*fn)(struct ledger *l, struct args *x, struct hk_audit_answer *a);
	void (*cfn)(const struct hk_audit_ctx *cx, struct args *x,
	    struct hk_audit_answer *a);
} handlers[] = {
    {HK_IPC_AUDIT_STATUS, NULL, 0, NULL, audit_status},
    {HK_IPC_AUDIT_EVENTS, events_spec,
	sizeof(events_spec) / sizeof(events_spec[0]), audit_events, NULL},
    {HK_IPC_AUDIT_RECEIPT, receipt_spec,
	sizeof(receipt_spec) / sizeof(receipt_spec[0]), audit_receipt, NULL},
    {HK_IPC_AUDIT_CONSISTENCY, consistency_spec,
	sizeof(consistency_spec) / sizeof(consistency_spec[0]),
	audit_consistency, NULL},
    {HK_IPC_AUDIT_SIGNATURES, signatures_spec,
	sizeof(signatures_spec) / sizeof(signatures_spec[0]),
	audit_signatures, NULL},
    {HK_IPC_CONSOLE, console_spec, NELEM(console_spec), NULL, audit_console},
    {HK_IPC_AUDIT_SUMMARY, NULL, 0, NULL, audit_summary},
    {HK_IPC_AUDIT_HISTORY, history_spec, NELEM(history_spec), NULL,
	audit_history},
    {HK_IPC_AUDIT_SIGNERS, signers_spec, NELEM(signers_spec), NULL,
	audit_signers},
};
#define NHANDLERS (sizeof(handlers) / sizeof(handlers[0]))

/** hk_audit_api_handles(type): an auditor API type? */
bool
hk_audit_api_handles(uint64_t type)
{
	size_t i;

	for (i = 0; i < NHANDLERS; i++)
		if (handlers[i].type == type)
			return true;
	return false;
}

/** hk_audit_api_target(type, body, n, out, max): a request's target. */
void
hk_audit_api_target(uint64_t type, const uint8_t *body, size_t n, char *out,
    size_t max)
{
	struct hk_audit_answer a;
	struct hk_buf scratch = HK_BUF_INIT;
	struct args x;

	set_text(out, max, "%s", "");
	if (type != HK_IPC_CONSOLE)
		return;
	memset(&a, 0, sizeof(a));
	a.resp = &scratch;
	if (parse(body, n, console_spec, NELEM(console_spec), &x, &a) &&
	    x.has[CO_PATH])
		set_text(out, max, "%.*s",
		    (int)(x.s[CO_PATH].n > 72 ? 72 : x.s[CO_PATH].n),
		    (const char *)x.s[CO_PATH].p);
	hk_buf_release(&scratch);
}

/** hk_audit_api_run(cx, type, body, n, a): answer one auditor request. */
void
hk_audit_api_run(const struct hk_audit_ctx *cx, uint64_t type,
    const uint8_t *body, size_t n, struct hk_audit_answer *a)
{
	struct args x;
	size_t i;

	set_text(a->target, a->target_max, "%s", "");
	for (i = 0; i < NHANDLERS && handlers[i].type != type; i++)
		;
	if (i == NHANDLERS) {
		fail(a, 404, "not_found", "unknown operation");
		return;
	}
	if (!parse(body, n, handlers[i].spec, handlers[i].nspec, &x, a))
		return;
	if (handlers[i].fn != NULL)
		handlers[i].fn(cx->ledger, &x, a);
	else
		handlers[i].cfn(cx, &x, a);
}

/* For the bundle download (audit_bundle.c): the same strict request maps
 * and answers. */
bool
hk_audit_api_parse(const uint8_t *body, size_t n, const struct argspec *spec,
    size_t nspec, struct args *out, struct hk_audit_answer *a)
{
	return parse(body, n, spec, nspec, out, a);
}

void
hk_audit_api_fail(struct hk_audit_answer *a, unsigned status,
    const char *code, const char *desc)
{
	fail(a, status, code, desc);
}

void
hk_audit_api_done(struct hk_audit_answer *a, const struct hk_mpk_writer *w)
{
	done(a, w);
}
