/* SPDX-License-Identifier: Apache-2.0 */
/*
 * audit_api_internal: what audit_api.c shares with the other auditor
 * handlers (audit_bundle.c): the strict request-map parser and the answer
 * helpers. Not an interface for anything else.
 */
#ifndef HK_AUDIT_API_INTERNAL_H
#define HK_AUDIT_API_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/audit_api.h"
#include "core/codec.h"
#include "core/mpk.h"

enum argk { ARG_UINT = 1, ARG_STR = 2 };

struct argspec {
	uint64_t key;
	enum argk kind;
	size_t max; /* str: the longest text */
};

#define ARGS_MAX 8

struct args {
	bool has[ARGS_MAX];
	uint64_t u[ARGS_MAX];
	struct hk_bytes s[ARGS_MAX];
};

/** hk_audit_api_parse(body, n, spec, nspec, out, a): the request map
 * ${body}[0..n): ascending keys of ${spec} only, each of its kind and
 * bounds; false with a 400 answer in ${a} otherwise. */
bool hk_audit_api_parse(const uint8_t *body, size_t n,
    const struct argspec *spec, size_t nspec, struct args *out,
    struct hk_audit_answer *a);

/** hk_audit_api_fail(a, status, code, desc): an error answer. */
void hk_audit_api_fail(struct hk_audit_answer *a, unsigned status,
    const char *code, const char *desc);

/** hk_audit_api_done(a, w): 200 with the map written by ${w}, or 500 if
 * it could not be encoded. */
void hk_audit_api_done(struct hk_audit_answer *a,
    const struct hk_mpk_writer *w);

#endif
