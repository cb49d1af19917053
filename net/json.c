/* SPDX-License-Identifier: Apache-2.0 */
/*
 * json: strict JSON request bodies (NET-1, ACT-5); see json.h. jansson
 * does the decoding (json_loadb with JSON_REJECT_DUPLICATES; its default
 * end-of-input check refuses trailing bytes, and without JSON_ALLOW_NUL it
 * refuses NUL characters). Before it runs, one pass over the bytes bounds
 * the nesting depth, so a hostile body never makes jansson recurse 2048
 * levels deep or build a large tree it would then be refused for.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "net/json.h"

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

/*
 * scan_depth(p, n): the deepest nesting of '[' and '{' outside strings.
 * Exact for valid JSON (strings and escapes are skipped exactly); for
 * invalid input any answer is fine, since jansson refuses it anyway.
 */
static unsigned
scan_depth(const uint8_t *p, size_t n)
{
	unsigned depth = 0, max = 0;
	bool in_str = false;
	size_t i;

	for (i = 0; i < n; i++) {
		uint8_t ch = p[i];

		if (in_str) {
			if (ch == '\\')
				i++; /* an escaped byte cannot end it */
			else if (ch == '"')
				in_str = false;
			continue;
		}
		switch (ch) {
		case '"':
			in_str = true;
			break;
		case '[':
		case '{':
			if (++depth > max)
				max = depth;
			break;
		case ']':
		case '}':
			if (depth > 0)
				depth--;
			break;
		}
	}
	return max;
}

/* The reason for jansson's refusal, in our words (its own text may quote
 * the input, which may be a secret). */
static const char *
reason(const json_error_t *err)
{
	switch (json_error_code(err)) {
	case json_error_out_of_memory: return "out of memory";
	case json_error_stack_overflow: return "nested too deeply";
	case json_error_invalid_utf8: return "invalid UTF-8";
	case json_error_premature_end_of_input:
		return "unexpected end of input";
	case json_error_end_of_input_expected:
		return "trailing bytes after the JSON value";
	case json_error_null_character:
		return "NUL character in a string";
	case json_error_null_byte_in_key: return "NUL character in a key";
	case json_error_duplicate_key: return "duplicate key in an object";
	case json_error_numeric_overflow: return "number out of range";
	case json_error_wrong_type: return "not an object or array";
	default: return "invalid syntax";
	}
}

/** net_json_parse(lim, p, n, out, e): decode one strict JSON object. */
int
net_json_parse(const struct net_json_limits *lim, const uint8_t *p, size_t n,
    json_t **out, struct net_json_error *e)
{
	static const struct net_json_limits def = NET_JSON_LIMITS_DEFAULT;
	json_error_t err;
	json_t *v = NULL;
	int r;

	if (lim == NULL)
		lim = &def;
	if (n > lim->max_size) {
		why(e, "request body too large (limit %zu bytes)",
		    lim->max_size);
		r = HK_ETOOBIG;
		goto out;
	}
	if (n == 0) {
		why(e, "request body is empty; a JSON object is expected");
		r = HK_EINVAL;
		goto out;
	}
	if (scan_depth(p, n) > lim->max_depth) {
		why(e, "JSON nested deeper than %u levels", lim->max_depth);
		r = HK_ETOOBIG;
		goto out;
	}
	memset(&err, 0, sizeof(err));
	if ((v = json_loadb((const char *)p, n,
		 JSON_REJECT_DUPLICATES | JSON_DECODE_ANY,
		 &err)) == NULL) {
		if (json_error_code(&err) == json_error_out_of_memory) {
			r = HK_ENOMEM;
			goto out;
		}
		why(e, "request body is not valid JSON: %s at line %d, column "
		       "%d",
		    reason(&err), err.line, err.column);
		r = HK_EINVAL;
		goto out;
	}
	if (!json_is_object(v)) {
		why(e, "request body must be a JSON object");
		r = HK_EINVAL;
		goto out;
	}
	*out = v;
	v = NULL;
	r = 0;
out:
	json_decref(v);
	return r;
}

/** net_json_depth(v): the nesting depth of ${v}. */
unsigned
net_json_depth(const json_t *v)
{
	const char *key;
	json_t *item;
	unsigned d, max = 0;
	size_t i;

	if (json_is_object(v)) {
		json_object_foreach ((json_t *)v, key, item) {
			if ((d = net_json_depth(item)) > max)
				max = d;
		}
		return max + 1;
	}
	if (json_is_array(v)) {
		json_array_foreach (v, i, item) {
			if ((d = net_json_depth(item)) > max)
				max = d;
		}
		return max + 1;
	}
	return 0;
}

static bool
has_type(const json_t *v, enum net_json_type t)
{
	switch (t) {
	case NET_JSON_STRING: return json_is_string(v);
	case NET_JSON_INTEGER: return json_is_integer(v);
	case NET_JSON_BOOLEAN: return json_is_boolean(v);
	case NET_JSON_ARRAY: return json_is_array(v);
	case NET_JSON_OBJECT: return json_is_object(v);
	}
	return false;
}

static const char *
type_name(enum net_json_type t)
{
	switch (t) {
	case NET_JSON_STRING: return "a string";
	case NET_JSON_INTEGER: return "an integer";
	case NET_JSON_BOOLEAN: return "a boolean";
	case NET_JSON_ARRAY: return "an array";
	case NET_JSON_OBJECT: return "an object";
	}
	return "?";
}

/* printable(s): a key short and plain enough to quote back. */
static bool
printable(const char *s)
{
	size_t i;

	for (i = 0; s[i] != '\0'; i++)
		if (i >= 40 || s[i] < 0x20 || s[i] > 0x7e || s[i] == '"' ||
		    s[i] == '\\')
			return false;
	return true;
}

/** net_json_check(obj, fields, n, allow_unknown, e): check the fields. */
int
net_json_check(const json_t *obj, const struct net_json_field *fields,
    size_t n, bool allow_unknown, struct net_json_error *e)
{
	const char *key;
	json_t *v;
	size_t i;

	if (!json_is_object(obj)) {
		why(e, "request body must be a JSON object");
		return HK_EINVAL;
	}
	for (i = 0; i < n; i++) {
		v = json_object_get(obj, fields[i].name);
		if (v == NULL || (json_is_null(v) && !fields[i].required)) {
			if (!fields[i].required)
				continue;
			why(e, "missing field \"%s\"", fields[i].name);
			return HK_EINVAL;
		}
		if (!has_type(v, fields[i].type)) {
			why(e, "field \"%s\" must be %s", fields[i].name,
			    type_name(fields[i].type));
			return HK_EINVAL;
		}
	}
	if (allow_unknown)
		return 0;
	json_object_foreach ((json_t *)obj, key, v) {
		for (i = 0; i < n; i++)
			if (strcmp(key, fields[i].name) == 0)
				break;
		if (i < n)
			continue;
		if (printable(key))
			why(e, "unknown field \"%s\"", key);
		else
			why(e, "unknown field in the request body");
		return HK_EINVAL;
	}
	return 0;
}
