/* SPDX-License-Identifier: Apache-2.0 */
/*
 * audit_export: writes audit bundles (OPS-6, SIG-6, OPS-4): the C2SP
 * tlog-tiles layout of the ledger (checkpoint, hash tiles, entry bundles),
 * the verifier key, the certificates bound to credentials, the events as
 * JSON lines and a manifest (docs/audit.md). hk_audit_export() reads a
 * ledger opened read-only, so it is safe while hankod runs; the writer
 * underneath also serves test tools that forge bundles from event lists.
 */
#ifndef HK_AUDIT_EXPORT_H
#define HK_AUDIT_EXPORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/buf.h"
#include "core/err.h"
#include "ledger/ledger.h"

struct hk_audit_export_report {
	uint64_t size;          /* tree size of the bundle's checkpoint */
	uint64_t from;          /* first seq with its entry in the bundle */
	uint64_t events;        /* entries written */
	uint64_t files;         /* files listed in the manifest */
	uint64_t bytes;         /* their total size */
	uint64_t certificates;  /* certificates written */
	uint64_t cert_missing;  /* bound certificates not written */
};

struct hk_audit_writer;

/** hk_audit_writer_new(dir, from, out): create the directory ${dir} (it
 * must not exist) for a bundle whose entry bundles start at the one that
 * holds seq ${from}. 0, HK_EEXIST, HK_EIO or HK_ENOMEM. */
HK_MUST_CHECK int hk_audit_writer_new(const char *dir, uint64_t from,
    struct hk_audit_writer **out);

/** hk_audit_writer_add(w, p, n): the stored bytes of the next event (seq
 * 0 first). Events before the first entry bundle are only hashed. 0,
 * HK_EIO or HK_ENOMEM. */
HK_MUST_CHECK int hk_audit_writer_add(struct hk_audit_writer *w,
    const uint8_t *p, size_t n);

/** hk_audit_writer_cert(w, cid, sid, status, pem, len): account for the
 * certificate of credential ${cid} of signer ${sid}: with ${status}
 * "exported", ${pem} is written to certs/<cid>.pem; otherwise ${status}
 * ("erased", or "unavailable: <why>") goes to the manifest. */
HK_MUST_CHECK int hk_audit_writer_cert(struct hk_audit_writer *w,
    const char *cid, const char *sid, const char *status, const char *pem,
    size_t len);

/** hk_audit_writer_finish(w, note, notelen, signer, vkey, rep, msg,
 * msglen): write the partial tiles, the checkpoint (${note} verbatim,
 * which must sign the recomputed tree; or, when ${note} is NULL, a new
 * one signed by ${signer}), the verifier key text ${vkey} and the
 * manifest. 0; HK_ECORRUPT with ${msg} when ${note} does not match the
 * events; HK_EIO, HK_ENOMEM. */
HK_MUST_CHECK int hk_audit_writer_finish(struct hk_audit_writer *w,
    const char *note, size_t notelen, const struct ledger_note_signer *signer,
    const char *vkey, struct hk_audit_export_report *rep, char *msg,
    size_t msglen);

/** hk_audit_rm_tree(path): remove the file or directory ${path} and
 * everything below it, without following symbolic links (best effort;
 * a missing path is no error). */
void hk_audit_rm_tree(const char *path);

/** hk_audit_writer_free(w): release ${w}; a bundle that was not finished
 * is removed from disk. Accepts NULL. */
void hk_audit_writer_free(struct hk_audit_writer *w);

/* Supplies the certificate chain (PEM) bound to credential ${cid} of
 * signer ${sid} into ${pem}: 0; or a negative HK_E* with a short reason
 * in ${why} that goes to the manifest as "unavailable: <why>". */
typedef int (*hk_audit_cert_cb)(void *arg, const char *cid, const char *sid,
    struct hk_buf *pem, const char **why);

struct hk_audit_export_opts {
	const char *out;      /* bundle directory; must not exist */
	uint64_t from;        /* first seq wanted (rounded down to 256) */
	uint64_t to;          /* tree size; 0: the latest checkpoint. A
				 checkpoint must be stored for it */
	hk_audit_cert_cb cert; /* NULL: no certificates, see below */
	void *cert_arg;
	const char *no_cert;  /* with cert NULL: the reason recorded */
};

/** hk_audit_export(l, o, rep, msg, msglen): write the bundle of ${l} as
 * ${o} says. The events are read in one pass and re-hashed: a ledger
 * whose events do not hash to its own checkpoint is refused (HK_ECORRUPT)
 * and nothing is left on disk. 0; HK_EEXIST (the output exists);
 * HK_ENOTFOUND (no checkpoint stored for ${o}->to); HK_ERANGE (${o}->from
 * beyond the tree); HK_EIO, HK_ESTORE, HK_ENOMEM; ${msg} says why. */
HK_MUST_CHECK int hk_audit_export(struct ledger *l,
    const struct hk_audit_export_opts *o, struct hk_audit_export_report *rep,
    char *msg, size_t msglen);

#endif
