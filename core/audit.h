/* SPDX-License-Identifier: Apache-2.0 */
/*
 * audit: offline verification of what Hanko signed (SIG-6, OPS-4, OPS-6):
 * an audit bundle (core/audit_export.h writes one; docs/audit.md), a
 * signature receipt, and the rules every signature must satisfy.
 *
 * The rules engine is written apart from core/state.c on purpose: it
 * re-derives, from the events alone, which key each credential had and in
 * which state, which authorisations were granted and how much of each was
 * used, and verifies each signature value with OpenSSL. A ledger that the
 * appliance's own state machine accepted is thus checked by a second,
 * independent reading; a flaw in one is not silently shared by the other.
 *
 * Verification needs nothing but the bundle (or receipt) and the ledger's
 * verifier key. Everything runs in the calling thread.
 */
#ifndef HK_AUDIT_H
#define HK_AUDIT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/err.h"
#include "core/event.h"
#include "ledger/ledger_merkle.h"
#include "ledger/ledger_note.h"

#define HK_AUDIT_MSG_MAX 512
#define HK_AUDIT_FORMAT "hanko-audit-bundle/1"

/* What a verification found. ${msg} names the first violation (empty when
 * none); ${has_seq} says whether ${seq} is the event it concerns. */
struct hk_audit_report {
	uint64_t size;            /* tree size of the checkpoint */
	uint64_t from;            /* first seq whose event is in the bundle */
	uint64_t events;          /* events checked */
	uint64_t signers;         /* signer.registered */
	uint64_t credentials;     /* credential.created */
	uint64_t authorizations;  /* authorization.granted */
	uint64_t signatures;      /* signature.created, each verified */
	uint64_t unchecked;       /* events about credentials whose history
				     starts before ${from} (partial bundle) */
	uint64_t certificates;    /* bundled certificates checked */
	uint64_t first_ms, last_ms;
	char origin[LEDGER_NOTE_NAME_MAX + 1];
	uint8_t root[LEDGER_HASH_LEN];
	bool has_seq;
	uint64_t seq;
	char msg[HK_AUDIT_MSG_MAX];
};

/* ---- signature values ---------------------------------------------------- */

/** hk_audit_sig_verify(spki, spkilen, sign_oid, hash_oid, hash, hlen, sig,
 * siglen, why): verify signature value ${sig} over the hash ${hash} under
 * the SubjectPublicKeyInfo DER ${spki}: ECDSA (DER signature) for EC keys
 * with an ecdsa-with-SHA* or id-ecPublicKey signAlgo; RSASSA-PKCS1-v1_5
 * over the DigestInfo for sha*WithRSAEncryption or rsaEncryption;
 * RSASSA-PSS with MGF1 and salt length = hash length for id-RSASSA-PSS;
 * Ed25519 over the hash bytes for Ed25519 keys. ${sign_oid} and
 * ${hash_oid} are NUL-terminated dotted OIDs; a signAlgo that names a hash
 * must name ${hash_oid}'s. Returns 0; HK_EVERIFY with a static reason in
 * ${why} when the value does not verify or the algorithms do not fit the
 * key; HK_ENOMEM. */
HK_MUST_CHECK int hk_audit_sig_verify(const uint8_t *spki, size_t spkilen,
    const char *sign_oid, const char *hash_oid, const uint8_t *hash,
    size_t hlen, const uint8_t *sig, size_t siglen, const char **why);

/* ---- the rules ------------------------------------------------------------ */

struct hk_audit_rules;

/** hk_audit_rules_new(partial): an empty replay. With ${partial}, events
 * about a credential or SAD whose history is not in the replay are
 * counted as unchecked instead of refused (bundles exported with
 * --from). NULL on ENOMEM. */
struct hk_audit_rules *hk_audit_rules_new(bool partial);

/** hk_audit_rules_free(rl): accepts NULL. */
void hk_audit_rules_free(struct hk_audit_rules *rl);

/** hk_audit_rules_apply(rl, ev, rep): apply the decoded event ${ev} (its
 * seq in order) and update the counters in ${rep}. 0; HK_EVERIFY with the
 * violation in ${rep}->msg; HK_ENOMEM. Rules: docs/audit.md. */
HK_MUST_CHECK int hk_audit_rules_apply(struct hk_audit_rules *rl,
    const struct hk_event *ev, struct hk_audit_report *rep);

/** hk_audit_rules_cert_check(rl, cid, der, derlen, rep): check a bundled
 * leaf certificate (DER) of credential ${cid}: its SHA-256 is that of a
 * certificate.bound of ${cid} and its public key is the key that event
 * bound. 0, or HK_EVERIFY with the reason in ${rep}->msg. */
HK_MUST_CHECK int hk_audit_rules_cert_check(struct hk_audit_rules *rl,
    const char *cid, const uint8_t *der, size_t derlen,
    struct hk_audit_report *rep);

/** hk_audit_rules_known(rl, cid): whether the replay saw credential
 * ${cid} created. */
bool hk_audit_rules_known(const struct hk_audit_rules *rl, const char *cid);

/* Called for each credential that had a certificate bound in the replay:
 * its id, its signer, whether that signer was erased. Nonzero stops. */
typedef int (*hk_audit_bound_cb)(void *arg, const char *cid, const char *sid,
    bool erased);

/** hk_audit_rules_bound(rl, cb, arg): list the credentials with a bound
 * certificate, in no particular order; returns what ${cb} returned. */
int hk_audit_rules_bound(const struct hk_audit_rules *rl, hk_audit_bound_cb cb,
    void *arg);

/* ---- bundles and receipts ------------------------------------------------ */

/** hk_audit_bundle_verify(dir, v, rep): verify the bundle in directory
 * ${dir} against the verifier key ${v} (docs/audit.md "Verification").
 * 0 when everything holds; HK_EVERIFY with the first violation in ${rep}
 * (which holds the summary either way); HK_EIO / HK_ENOMEM when the
 * bundle cannot be read at all. Changes nothing on disk. */
HK_MUST_CHECK int hk_audit_bundle_verify(const char *dir,
    const struct ledger_note_verifier *v, struct hk_audit_report *rep);

/** hk_audit_receipt_verify(text, len, v, cert_pem, certlen, hash, hlen,
 * rep): verify a c2sp.org/tlog-proof@v1 receipt: the checkpoint signature,
 * the inclusion proof, the event profile (seq = index, origin = the
 * checkpoint's); with ${hash} (may be NULL) the event is a
 * signature.created of that hash; with ${cert_pem} (may be NULL) the
 * certificate's key is the key that signed and the signature value
 * verifies under it. 0, or HK_EVERIFY / HK_EINVAL with the reason in
 * ${rep}->msg (${rep}->seq is the receipt's index). */
HK_MUST_CHECK int hk_audit_receipt_verify(const char *text, size_t len,
    const struct ledger_note_verifier *v, const char *cert_pem,
    size_t certlen, const uint8_t *hash, size_t hlen,
    struct hk_audit_report *rep);

#endif
