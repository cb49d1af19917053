/* SPDX-License-Identifier: Apache-2.0 */
/*
 * sam: the Signature Activation Module of the core (issue 6;
 * docs/csc-api.md). ACT-1..9, SIG-1..3, SIG-6.
 *
 * It keeps the signers' sessions (CSC access tokens) and the SADs in
 * memory, only as SHA-256 hashes of the secrets, and runs
 * signatures/signHash: check the token, the credential and the SAD, take
 * the hashes from the SAD, have the HSM sign them in parallel, append one
 * signature.created event per signature and answer only when every one is
 * durable. Logging in, authorising and extending run on the lifecycle
 * executor (argon2id and TOTP checks block); they use the session and SAD
 * store below.
 *
 * Nothing here survives a restart: after one, every signer logs in again
 * and no SAD works twice (a used SAD cannot be revived because no SAD is).
 *
 * Threads: the store functions may be called from any thread (one mutex).
 * hk_sam_sign_hash() is meant for the core's event loop: it never blocks
 * on the HSM or the ledger; its answer comes through the done callback,
 * from an HSM worker or the ledger's writer thread.
 */
#ifndef HK_SAM_H
#define HK_SAM_H

#include <stdbool.h>
#include <stdint.h>

#include "core/config.h"
#include "core/err.h"
#include "core/ipc.h"
#include "core/state.h"
#include "hsm/hsm.h"
#include "ledger/ledger.h"

/* Tokens and SADs: 32 random bytes, unpadded base64url. */
#define HK_SAM_SECRET_BYTES 32
#define HK_SAM_SECRET_LEN 43
/* The most hashes one SAD binds (credentials/info multisign). */
#define HK_SAM_MULTISIGN 1024
#define HK_SAM_HASH_MAX 64
/* At most this many live sessions and SADs each. */
#define HK_SAM_MAX_LIVE 65536

typedef void (*hk_sam_done_cb)(void *arg, uint64_t id, unsigned status,
    const uint8_t *body, size_t len);

struct hk_sam_opts {
	const struct hk_config *cfg;
	struct ledger *ledger;
	struct hsm_pool *pool;
	struct hk_state *state;
	hk_sam_done_cb done;
	void *arg;
};

struct hk_sam;

/* What a SAD binds (ACT-4, ACT-6). */
struct hk_sam_grant {
	char credential[HK_STATE_ID_MAX];
	char signer[HK_STATE_ID_MAX];
	uint8_t session[32];          /* SHA-256 of the access token */
	char hash_oid[32];            /* hashAlgorithmOID */
	size_t hash_len;
	size_t nhashes;
	uint8_t (*hashes)[HK_SAM_HASH_MAX]; /* nhashes entries */
	uint64_t expires_ms;
};

/** hk_sam_new(o, out): an empty store. 0 or HK_ENOMEM. */
HK_MUST_CHECK int hk_sam_new(const struct hk_sam_opts *o, struct hk_sam **out);

/** hk_sam_free(s): wait for signHash requests in flight, free. NULL ok. */
void hk_sam_free(struct hk_sam *s);

/** hk_sam_fail_closed(s): refuse every signHash from now on (503), as
 * after a failed ledger write: the ledger's background verification
 * failed. Any thread. */
void hk_sam_fail_closed(struct hk_sam *s);

/** hk_sam_random(s, buf, n): ${n} random bytes from the HSM's RNG
 * (OPS-5). Not on an event loop. */
HK_MUST_CHECK int hk_sam_random(struct hk_sam *s, uint8_t *buf, size_t n);

/** hk_sam_login(s, signer, token, expires_in): a new session for
 * ${signer}: ${token} receives the access token (HK_SAM_SECRET_LEN + 1
 * bytes, the caller wipes it). 0, HK_EBUSY (too many sessions), HK_E*. */
HK_MUST_CHECK int hk_sam_login(struct hk_sam *s, const char *signer,
    char token[static HK_SAM_SECRET_LEN + 1], uint64_t *expires_in);

/** hk_sam_session(s, authorization, n, signer, session): the signer of
 * the bearer token in the Authorization value ${authorization} ("Bearer
 * <token>"), refreshing its idle timer (ACT-8); ${session} receives the
 * token's SHA-256. 0 or HK_EAUTH (unknown, revoked, idle too long, past
 * its lifetime, malformed). */
HK_MUST_CHECK int hk_sam_session(struct hk_sam *s, const uint8_t *authorization,
    size_t n, char signer[static HK_STATE_ID_MAX], uint8_t session[static 32]);

/** hk_sam_revoke(s, signer, token, n): end ${signer}'s session whose
 * token is ${token}. 0 or HK_ENOTFOUND (unknown, or another signer's). */
HK_MUST_CHECK int hk_sam_revoke(struct hk_sam *s, const char *signer,
    const uint8_t *token, size_t n);

/** hk_sam_sad_new(s, g, sad, id): store a SAD binding ${g} (copied);
 * ${sad} receives it (HK_SAM_SECRET_LEN + 1 bytes), ${id} its SHA-256.
 * 0, HK_EBUSY (too many SADs) or HK_E*. */
HK_MUST_CHECK int hk_sam_sad_new(struct hk_sam *s, const struct hk_sam_grant *g,
    char sad[static HK_SAM_SECRET_LEN + 1], uint8_t id[static 32]);

/** hk_sam_sad_take(s, sad, n, credential, signer, session, out, id):
 * remove the SAD ${sad} and fill ${out} with what it still binds (the
 * hashes not yet signed; ${out}->hashes is malloc'ed, the caller frees it)
 * and ${id} with its SHA-256 (extendTransaction: the old SAD dies).
 * ${session} (SHA-256 of the access token; NULL: any) must be the session
 * that obtained it. 0, HK_ENOTFOUND (unknown, or of another credential,
 * signer or session: left alone), HK_ETIMEOUT (expired: left for the
 * sweep, so that it keeps saying so). */
HK_MUST_CHECK int hk_sam_sad_take(struct hk_sam *s, const uint8_t *sad,
    size_t n, const char *credential, const char *signer,
    const uint8_t *session, struct hk_sam_grant *out, uint8_t id[static 32]);

/** hk_sam_handles(type): whether ${type} is served by hk_sam_sign_hash. */
bool hk_sam_handles(uint64_t type);

/** hk_sam_sign_hash(s, req): start signatures/signHash; the answer comes
 * through the done callback. 0, or HK_ENOMEM (then no callback). */
HK_MUST_CHECK int hk_sam_sign_hash(struct hk_sam *s,
    const struct hk_ipc_msg *req);

/* ---- algorithm tables (also for credentials/info) ---------------------- */

/** hk_sam_hash_oid(oid, n, hash): the hash named by OID ${oid}; 0 or
 * HK_EINVAL. Only SHA-256, SHA-384 and SHA-512. */
HK_MUST_CHECK int hk_sam_hash_oid(const char *oid, size_t n,
    enum hsm_hash *hash);

/** hk_sam_key_algos(alg, oids, max): the signAlgo OIDs a key of Hanko
 * algorithm ${alg} ("p256", ...) accepts, into ${oids}; their count. */
size_t hk_sam_key_algos(const char *alg, const char **oids, size_t max);

/** hk_sam_key_shape(alg, bits, curve): key length in bits and, for EC
 * keys, the curve OID (else NULL). false for an unknown algorithm. */
bool hk_sam_key_shape(const char *alg, unsigned *bits, const char **curve);

#endif
