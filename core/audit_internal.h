/* SPDX-License-Identifier: Apache-2.0 */
/*
 * audit_internal: what the bundle writer (audit_export.c) and the verifier
 * (audit.c) must agree on byte for byte: file names and the manifest's
 * canonical form.
 */
#ifndef HK_AUDIT_INTERNAL_H
#define HK_AUDIT_INTERNAL_H

#include <jansson.h>

#include "core/buf.h"
#include "core/err.h"
#include "core/event.h"

#define HK_AUDIT_MANIFEST "manifest.json"
#define HK_AUDIT_CHECKPOINT "checkpoint"
#define HK_AUDIT_VKEY "vkey"
#define HK_AUDIT_EVENTS "events.jsonl"
#define HK_AUDIT_CERTS "certs"

/** hk_audit_manifest_seal(m, out): add "digest" (SHA-256 of the canonical
 * rendering of ${m} without it) to ${m} and append the canonical rendering
 * of the result to ${out}: json_dumps(JSON_INDENT(1) | JSON_SORT_KEYS)
 * and a newline. 0, HK_ENOMEM or HK_ECRYPTO. */
HK_MUST_CHECK int hk_audit_manifest_seal(json_t *m, struct hk_buf *out);

/** hk_audit_manifest_open(text, len, out, why): parse a manifest and check
 * that ${text} is exactly its canonical rendering and that its digest
 * holds. 0 with a new reference in ${out}; HK_EVERIFY with a static
 * reason in ${why}; HK_ENOMEM. */
HK_MUST_CHECK int hk_audit_manifest_open(const char *text, size_t len,
    json_t **out, const char **why);

/** hk_audit_json_line(ev, leaf, out): append the events.jsonl line of
 * ${ev} (compact JSON with the leaf hash, then a newline). 0, HK_ENOMEM
 * or HK_EPROFILE (a body that does not decode). */
HK_MUST_CHECK int hk_audit_json_line(const struct hk_event *ev,
    const uint8_t leaf[32], struct hk_buf *out);

#endif
