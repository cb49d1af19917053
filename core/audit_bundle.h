/* SPDX-License-Identifier: Apache-2.0 */
/*
 * audit_bundle: the audit bundle downloaded through the auditor API
 * (issue 7, docs/audit-api.md "GET /audit/v1/bundle"): the same bundle
 * `hanko audit export` writes (core/audit_export.h), packed as a POSIX
 * ustar archive in a spool directory of the core and handed to the front
 * in chunks that fit an IPC frame. OPS-4, OPS-6, SIG-6.
 *
 * The first request (HK_IPC_AUDIT_BUNDLE) exports and packs the range and
 * answers the first chunk, the archive's size and a handle; the front
 * then asks for the rest (HK_IPC_AUDIT_BUNDLE_READ) with that handle and
 * the next offset, as the client takes the bytes. A handle belongs to the
 * certificate that opened it, dies with its last chunk, after
 * HK_AUDIT_BUNDLE_IDLE_MS without a read, or when the spool is freed; its
 * file is removed then. Only reads of the ledger: nothing changes.
 */
#ifndef HK_AUDIT_BUNDLE_H
#define HK_AUDIT_BUNDLE_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "core/audit_api.h"
#include "core/audit_export.h"
#include "ledger/ledger.h"

/* The most events one download may hold (to - from, from rounded down to
 * its entry bundle): about 80 MB of bundle (JSON lines dominate). */
#define HK_AUDIT_BUNDLE_MAX_EVENTS 65536u
/* The bytes of archive in one answer (an IPC frame holds 1 MiB + 64 KiB). */
#define HK_AUDIT_BUNDLE_CHUNK ((size_t)1 << 20)
/* Open downloads at any time; more are refused with 503. */
#define HK_AUDIT_BUNDLE_OPEN_MAX 4
/* A download nobody reads for this long is dropped. */
#define HK_AUDIT_BUNDLE_IDLE_MS 300000u

struct hk_audit_spool;

/** hk_audit_spool_new(dir, out): use directory ${dir} (created 0700 if
 * missing; leftovers of an earlier process are removed) for archives. 0,
 * HK_EIO or HK_ENOMEM. */
HK_MUST_CHECK int hk_audit_spool_new(const char *dir,
    struct hk_audit_spool **out);

/** hk_audit_spool_free(s): drop every download and its file. NULL ok. */
void hk_audit_spool_free(struct hk_audit_spool *s);

/** hk_audit_bundle_open(s, l, owner, cert, arg, body, n, a): request map
 * {1: from uint, 2: to uint} (both optional; to 0 or absent: the latest
 * checkpoint): export and pack, then answer {1: chunk bin, 2: total uint,
 * 3: handle str ("" when the chunk is the whole archive), 4: file name
 * str}. 400 for a range that is refused (with why), 503 when the spool is
 * full or the ledger cannot be read. Certificates come from ${cert}
 * (NULL: none, recorded as such in the manifest). Any thread. */
void hk_audit_bundle_open(struct hk_audit_spool *s, struct ledger *l,
    const uint8_t owner[32], hk_audit_cert_cb cert, void *arg,
    const uint8_t *body, size_t n, struct hk_audit_answer *a);

/** hk_audit_bundle_read(s, owner, body, n, a): request map {1: handle
 * str, 2: offset uint}: answer {1: chunk bin, 2: total uint} from
 * ${offset}, which must be where the previous chunk ended. 404 for a
 * handle that is unknown, expired or not ${owner}'s; 400 for another
 * offset. Any thread. */
void hk_audit_bundle_read(struct hk_audit_spool *s, const uint8_t owner[32],
    const uint8_t *body, size_t n, struct hk_audit_answer *a);

/** hk_audit_tar_dir(dir, top, out, err, errlen): write the files under
 * ${dir} (sorted, recursively) as a POSIX ustar archive to the open
 * stream ${out}, each path prefixed with "${top}/". 0, HK_EIO (with
 * ${err}) or HK_ENOMEM. For tests and the download. */
HK_MUST_CHECK int hk_audit_tar_dir(const char *dir, const char *top,
    FILE *out, char *err, size_t errlen);

#endif
