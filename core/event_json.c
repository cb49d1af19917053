/* SPDX-License-Identifier: Apache-2.0 */
/* event_json: events as JSON (see event_json.h). SIG-6. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/codec.h"
#include "core/event_json.h"

static const char *const kind_names[] = {"system", "signer", "privileged",
    "client"};
static const char *const channel_names[] = {"internal", "local", "signing",
    "admin"};

static json_t *
jstr(struct hk_bytes b)
{
	return json_stringn((const char *)b.p, b.n);
}

static json_t *
jhex(const uint8_t *p, size_t n)
{
	char *s;
	json_t *j;

	if ((s = malloc(2 * n + 1)) == NULL)
		return NULL;
	hk_hex_encode(s, p, n);
	j = json_string(s);
	free(s);
	return j;
}

/* value(r, type, depth): convert one profile value; body map keys of the
 * top level get the names registered for ${type}. */
static json_t *
value(struct hk_mpk_reader *r, uint64_t type, int depth)
{
	enum hk_mpk_kind kind;
	struct hk_bytes b;
	json_t *j = NULL, *c;
	uint64_t u, key;
	int64_t i;
	uint32_t n, k;
	bool bv;

	if (hk_mpk_peek(r, &kind) != 0)
		return NULL;
	switch (kind) {
	case HK_MPK_NIL:
		return hk_mpk_get_nil(r) == 0 ? json_null() : NULL;
	case HK_MPK_BOOL:
		return hk_mpk_get_bool(r, &bv) == 0 ? json_boolean(bv) : NULL;
	case HK_MPK_UINT:
		if (hk_mpk_get_uint(r, &u) != 0)
			return NULL;
		if (u <= INT64_MAX)
			return json_integer((json_int_t)u);
		{
			char s[24];

			snprintf(s, sizeof(s), "%" PRIu64, u);
			return json_string(s);
		}
	case HK_MPK_NINT:
		return hk_mpk_get_int(r, &i) == 0 ? json_integer(i) : NULL;
	case HK_MPK_STR:
		return hk_mpk_get_str(r, &b) == 0 ? jstr(b) : NULL;
	case HK_MPK_BIN:
		return hk_mpk_get_bin(r, &b) == 0 ? jhex(b.p, b.n) : NULL;
	case HK_MPK_ARRAY:
		if (hk_mpk_get_array(r, &n) != 0 || (j = json_array()) == NULL)
			return NULL;
		for (k = 0; k < n; k++)
			if ((c = value(r, type, depth + 1)) == NULL ||
			    json_array_append_new(j, c) != 0)
				goto fail;
		return j;
	case HK_MPK_MAP:
		if (hk_mpk_get_map(r, &n) != 0 || (j = json_object()) == NULL)
			return NULL;
		for (k = 0; k < n; k++) {
			const char *name = NULL;
			char num[24];

			if (hk_mpk_get_uint(r, &key) != 0)
				goto fail;
			if (depth == 0)
				name = hk_event_body_key_name(type, key);
			if (name == NULL) {
				snprintf(num, sizeof(num), "%" PRIu64, key);
				name = num;
			}
			if ((c = value(r, type, depth + 1)) == NULL ||
			    json_object_set_new(j, name, c) != 0)
				goto fail;
		}
		return j;
	}
fail:
	json_decref(j);
	return NULL;
}

static json_t *
iso_time(uint64_t ms)
{
	char s[64];
	time_t t = (time_t)(ms / 1000);
	struct tm tm;

	gmtime_r(&t, &tm);
	snprintf(s, sizeof(s), "%04d-%02d-%02dT%02d:%02d:%02d.%03uZ",
	    tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min,
	    tm.tm_sec, (unsigned)(ms % 1000));
	return json_string(s);
}

/** hk_event_to_json(ev, leaf): a JSON object for ${ev}. */
json_t *
hk_event_to_json(const struct hk_event *ev, const uint8_t leaf[HK_SHA256_LEN])
{
	struct hk_mpk_reader r;
	json_t *j, *body;

	hk_mpk_reader_init(&r, ev->body.p, ev->body.n);
	if ((body = value(&r, ev->type, 0)) == NULL)
		return NULL;
	j = json_pack("{s:I, s:s, s:I, s:o, s:I, s:s, s:{s:s, s:s%, s:s, s:s%},"
		      " s:{s:s%, s:s%}, s:o, s:o}",
	    "seq", (json_int_t)ev->seq,
	    "type", hk_event_type_name(ev->type),
	    "time_ms", (json_int_t)ev->time_ms,
	    "time", iso_time(ev->time_ms),
	    "v", (json_int_t)ev->version,
	    "origin", "",
	    "actor",
		"kind", kind_names[ev->actor_kind],
		"id", (const char *)ev->actor_id.p, ev->actor_id.n,
		"channel", channel_names[ev->actor_channel],
		"peer", (const char *)ev->actor_peer.p, ev->actor_peer.n,
	    "subject",
		"signer", (const char *)ev->signer.p, ev->signer.n,
		"credential", (const char *)ev->credential.p, ev->credential.n,
	    "body", body,
	    "prev", jhex(ev->prev, HK_EVENT_PREV_LEN));
	if (j == NULL)
		return NULL;
	if (json_object_set_new(j, "origin", jstr(ev->origin)) != 0 ||
	    (leaf != NULL && json_object_set_new(j, "leaf_hash",
				 jhex(leaf, HK_SHA256_LEN)) != 0)) {
		json_decref(j);
		return NULL;
	}
	return j;
}
