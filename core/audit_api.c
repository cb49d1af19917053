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
audit_status(struct ledger *l, struct args *x, struct hk_audit_answer *a)
{
	struct hk_buf cp = HK_BUF_INIT;
	struct hk_mpk_writer w;
	struct hk_state_verified v;
	uint64_t size = 0;
	int r;

	(void)x;
	memset(&v, 0, sizeof(v));
	if (a->verified != NULL)
		v = *a->verified;
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
	struct hk_bytes signer, credential; /* n == 0: any */
	bool has_since, has_until;
	uint64_t since, until;
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
	if (f->has_since && ev->time_ms < f->since)
		return false;
	if (f->has_until && ev->time_ms >= f->until)
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
 */
static void
scan(struct ledger *l, uint64_t from, uint64_t limit, const struct filter *f,
    struct hk_audit_answer *a)
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
			if (ledger_merkle_leaf_hash(h, b.p, b.n, leaf) != 0 ||
			    (j = hk_event_to_json(&ev, leaf)) == NULL) {
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
	hk_mpk_put_map(&w, 3);
	hk_mpk_put_uint(&w, 1);
	hk_mpk_put_array(&w, count);
	hk_mpk_put_raw(&w, items.p, items.len);
	hk_mpk_put_uint(&w, 2);
	hk_mpk_put_uint(&w, next);
	hk_mpk_put_uint(&w, 3);
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
	EV_UNTIL,
};
static const struct argspec events_spec[] = {
    [EV_FROM] = {1, ARG_UINT, 0},
    [EV_LIMIT] = {2, ARG_UINT, 0},
    [EV_TYPE] = {3, ARG_STR, 64},
    [EV_SIGNER] = {4, ARG_STR, 64},
    [EV_CREDENTIAL] = {5, ARG_STR, 64},
    [EV_SINCE] = {6, ARG_UINT, 0},
    [EV_UNTIL] = {7, ARG_UINT, 0},
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
	scan(l, from, limit, &f, a);
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
	scan(l, from, UINT64_MAX, &f, a);
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

/* ---- dispatch -------------------------------------------------------------- */

static const struct {
	uint64_t type;
	const struct argspec *spec;
	size_t nspec;
	void (*fn)(struct ledger *l, struct args *x, struct hk_audit_answer *a);
} handlers[] = {
    {HK_IPC_AUDIT_STATUS, NULL, 0, audit_status},
    {HK_IPC_AUDIT_EVENTS, events_spec,
	sizeof(events_spec) / sizeof(events_spec[0]), audit_events},
    {HK_IPC_AUDIT_RECEIPT, receipt_spec,
	sizeof(receipt_spec) / sizeof(receipt_spec[0]), audit_receipt},
    {HK_IPC_AUDIT_CONSISTENCY, consistency_spec,
	sizeof(consistency_spec) / sizeof(consistency_spec[0]),
	audit_consistency},
    {HK_IPC_AUDIT_SIGNATURES, signatures_spec,
	sizeof(signatures_spec) / sizeof(signatures_spec[0]),
	audit_signatures},
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

/** hk_audit_api_run(l, type, body, n, a): answer one auditor request. */
void
hk_audit_api_run(struct ledger *l, uint64_t type, const uint8_t *body,
    size_t n, struct hk_audit_answer *a)
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
	handlers[i].fn(l, &x, a);
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
