/* SPDX-License-Identifier: Apache-2.0 */
/*
 * hsm: the PKCS#11 adapter, the only code in Hanko that talks to the crypto
 * module. It loads any PKCS#11 library with dlopen, logs in to one token
 * once with a PIN read from a protected file, keeps a fixed pool of
 * sessions open for the process lifetime (one operation per session at a
 * time) and runs asynchronous work on its own worker threads, so that no
 * PKCS#11 call ever blocks an event loop. Signing keys are generated inside
 * the module, sensitive and never extractable (REG-3, NET-4), their public
 * key leaves as a SubjectPublicKeyInfo with a SHA-256 fingerprint (REG-4),
 * keys arrive from a CA only wrapped under an AES import key held by the
 * module (REG-7, adapter part), are destroyed in the module (END-3,
 * adapter part), and random bytes come from the module's RNG (OPS-5).
 * A power-up self-test must pass before the pool serves anything.
 *
 * Threads: the synchronous functions may be called from any thread that
 * is not an event loop (they block for up to the pool's wait bound plus
 * one module call). hsm_key_sign_submit() and hsm_pool_submit() never
 * block and may be called from an event loop; their callbacks run on a
 * worker thread (the daemon bounces them to libuv with uv_async_send()).
 *
 * WARNING: PKCS#11 state does not survive fork(): create the pool in the
 * process that uses it, after any daemonising fork. Calls from a forked
 * child return HK_ESTATE.
 */
#ifndef HK_HSM_H
#define HK_HSM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/err.h"
#include "core/buf.h"
#include "core/sha256.h"

/* Hanko-assigned key identifier (CKA_ID): 16 bytes from the module RNG. */
#define HSM_KEYID_LEN 16
/* Longest CKA_LABEL the adapter writes or reports (bytes, without NUL). */
#define HSM_LABEL_MAX 64
/* Largest SubjectPublicKeyInfo DER (RSA-4096 is 550 bytes). */
#define HSM_SPKI_MAX 600
/* Largest signature: RSA-4096 (ECDSA P-384 DER is at most 104 bytes). */
#define HSM_SIG_MAX 512
/* Largest message for Ed25519 (signed whole, e.g. a CSR's TBS). */
#define HSM_MSG_MAX 65536
/* Largest digest (SHA-512). */
#define HSM_DIGEST_MAX 64
/* Default bound on waits for a session or a worker, in milliseconds. */
#define HSM_WAIT_MS_DEFAULT 2000
/* Default module path (Debian's SoftHSMv2). */
#define HSM_MODULE_DEFAULT "/usr/lib/softhsm/libsofthsm2.so"

/* Key algorithms. The numbers are stable (they may be recorded). */
enum hsm_alg {
	HSM_ALG_NONE = 0,
	HSM_ALG_EC_P256 = 1,	/* ECDSA over NIST P-256 */
	HSM_ALG_EC_P384 = 2,	/* ECDSA over NIST P-384 */
	HSM_ALG_RSA_2048 = 3,	/* RSA 2048, PKCS#1 v1.5 or PSS */
	HSM_ALG_RSA_3072 = 4,	/* RSA 3072, PKCS#1 v1.5 or PSS */
	HSM_ALG_ED25519 = 5,	/* EdDSA over edwards25519 (RFC 8032) */
	HSM_ALG_AES_256 = 6,	/* an import (unwrapping) key */
};

/* Signature schemes. */
enum hsm_scheme {
	HSM_SIG_ECDSA = 1,	/* ECDSA over a digest; DER output */
	HSM_SIG_RSA_PKCS1 = 2,	/* RSASSA-PKCS1-v1_5 over a digest */
	HSM_SIG_RSA_PSS = 3,	/* RSASSA-PSS, MGF1 same hash, salt = hLen */
	HSM_SIG_ED25519 = 4,	/* pure Ed25519 over the whole message */
};

/* Digest algorithms of the input to hsm_key_sign(). */
enum hsm_hash {
	HSM_HASH_NONE = 0,	/* Ed25519: the input is the message */
	HSM_HASH_SHA256 = 1,
	HSM_HASH_SHA384 = 2,
	HSM_HASH_SHA512 = 3,
};

/* Kinds of key object the adapter manages. */
enum hsm_kind {
	HSM_KIND_SIGN = 1,	/* a signing key pair */
	HSM_KIND_UNWRAP = 2,	/* an AES import key, usable only to unwrap */
	HSM_KIND_SEAL = 3,	/* an AES-GCM key, only to encrypt/decrypt */
};

/* hsm_key_generate() flags. */
#define HSM_KEYGEN_SESSION 0x1 /* WARNING: a session object, not stored on
				  the token and gone when its session is
				  closed or retired; only for self-tests and
				  benchmarks, never for a signer's key. */

struct hsm_opts {
	const char *module;	/* PKCS#11 library path; NULL = default */
	const char *token;	/* token label (required) */
	const char *pin_file;	/* file holding the user PIN (required);
				   must not be accessible by group or
				   others; one trailing newline is ignored */
	unsigned sessions;	/* pool size = worker threads; 0 = online
				   CPUs (at least 2) */
	unsigned queue;		/* asynchronous jobs that may wait; 0 = 256
				   x sessions */
	unsigned wait_ms;	/* bound on the wait for a session, and on a
				   queued job's wait for a worker; 0 =
				   HSM_WAIT_MS_DEFAULT */
};

/* What the adapter knows about one key object; filled by value, so the
 * caller needs no allocation (style item 22). */
struct hsm_keyinfo {
	uint8_t id[HSM_KEYID_LEN];
	enum hsm_alg alg;
	enum hsm_kind kind;
	bool token;			/* persistent (CKA_TOKEN) */
	char label[HSM_LABEL_MAX + 1];	/* NUL-terminated CKA_LABEL */
	size_t spki_len;		/* 0 for HSM_KIND_UNWRAP */
	uint8_t spki[HSM_SPKI_MAX];	/* SubjectPublicKeyInfo DER */
	uint8_t fpr[HK_SHA256_LEN];	/* SHA-256(spki) (REG-4) */
};

/* Module and token identity, for operators. */
struct hsm_info {
	char library[80];	/* manufacturer and description */
	char token[33];		/* token label */
	char model[17];
	char serial[17];
	char manufacturer[33];
	unsigned lib_major, lib_minor;
	unsigned sessions;
	unsigned queue;		/* job queue depth */
	bool has_eddsa;		/* CKM_EC_EDWARDS_KEY_PAIR_GEN + CKM_EDDSA */
	bool has_rsa_pss;	/* CKM_RSA_PKCS_PSS */
	unsigned long wrap_mech; /* mechanism used for imports, 0 if none */
};

struct hsm_pool;

/** hsm_pool_new(opts, out): load ${opts}->module, initialise it with
 * CKF_OS_LOCKING_OK, find the token labelled ${opts}->token, read the PIN
 * from ${opts}->pin_file and log in once, open the session pool, start the
 * workers and run the fast power-up self-test (hsm_pool_selftest(p,
 * false, ...)); the pool is handed out only if all of that succeeded.
 * Returns 0, HK_ECONFIG (module cannot be loaded or is not PKCS#11),
 * HK_ENOTFOUND (no such token), HK_EDENIED (PIN file accessible by group
 * or others), HK_EIO (PIN file unreadable), HK_EINVAL (empty PIN),
 * HK_EAUTH (wrong or locked PIN), HK_ESELFTEST, HK_EHSM or HK_ENOMEM. The
 * reason is logged; the PIN never is. Any non-loop thread. */
HK_MUST_CHECK int hsm_pool_new(const struct hsm_opts *opts,
    struct hsm_pool **out);

/** hsm_pool_free(p): stop the workers (queued jobs complete with
 * HK_ECLOSED), close the sessions, finalise the module if this pool
 * initialised it, unload it and wipe the PIN. Accepts NULL. Must not be
 * called from a callback of ${p}. */
void hsm_pool_free(struct hsm_pool *p);

/** hsm_pool_info(p, out): fill ${out} with the module's and token's
 * identity. */
void hsm_pool_info(struct hsm_pool *p, struct hsm_info *out);

/** Per-check report of hsm_pool_selftest(): ${check} names the check
 * (static string), ${result} is 0 or HK_E*. */
typedef void (*hsm_selftest_cb)(void *arg, const char *check, int result);

/** hsm_pool_selftest(p, full, cb, arg): the power-up self-test. Draws
 * from the module RNG (two draws must differ), runs known-answer tests of
 * the adapter's own encoders, and for P-256 ECDSA and (if the module has
 * it) Ed25519 generates a session key pair in the module, signs, verifies
 * the signature with OpenSSL from the SPKI the adapter built, and checks
 * that a corrupted signature is rejected. ${full} adds P-384 and RSA-2048
 * with PKCS#1 v1.5 and PSS. ${cb} (may be NULL) hears every check.
 * Returns 0 or HK_ESELFTEST (details logged). Any non-loop thread. */
HK_MUST_CHECK int hsm_pool_selftest(struct hsm_pool *p, bool full,
    hsm_selftest_cb cb, void *arg);

/** hsm_pool_random(p, buf, n): fill ${buf} with ${n} bytes from the
 * module's RNG (C_GenerateRandom; OPS-5). 0, HK_EBUSY or HK_E*. */
HK_MUST_CHECK int hsm_pool_random(struct hsm_pool *p, uint8_t *buf,
    size_t n);

/** Work run on a worker thread by hsm_pool_submit(): ${status} is 0, or
 * HK_EBUSY when no worker picked the job up within the wait bound, or
 * HK_ECLOSED when the pool is closing; in those cases do not call the
 * adapter, just complete. */
typedef void (*hsm_work_cb)(struct hsm_pool *p, void *arg, int status);

/** hsm_pool_submit(p, work, arg): queue ${work}(${p}, ${arg}, status) to
 * run on a worker thread, typically calling the synchronous functions
 * (key generation, destruction, import). Never waits: a full queue is
 * HK_EBUSY at once. Returns 0 (then ${work} runs exactly once) or
 * HK_EBUSY / HK_ECLOSED / HK_ESTATE (then it never runs). Safe on an
 * event loop. */
HK_MUST_CHECK int hsm_pool_submit(struct hsm_pool *p, hsm_work_cb work,
    void *arg);

/** hsm_key_generate(p, alg, label, flags, out): generate a key pair of
 * ${alg} inside the module with a fresh random CKA_ID, CKA_LABEL
 * ${label} (NULL: "hanko-" and the hex id), CKA_TOKEN (unless
 * HSM_KEYGEN_SESSION), CKA_PRIVATE, CKA_SENSITIVE, not CKA_EXTRACTABLE,
 * usable only to sign; check pairwise consistency (sign, verify with
 * OpenSSL) and fill ${out} with the id, SPKI and fingerprint. On a failed
 * check the pair is destroyed and HK_ESELFTEST returned. Returns 0,
 * HK_EINVAL, HK_ENOTSUP, HK_EBUSY, HK_ESELFTEST or HK_E*. */
HK_MUST_CHECK int hsm_key_generate(struct hsm_pool *p, enum hsm_alg alg,
    const char *label, unsigned flags, struct hsm_keyinfo *out);

/** hsm_key_find(p, id, out): describe the key object with CKA_ID ${id}
 * (signing pair or import key). 0, HK_ENOTFOUND, HK_ENOTSUP (a key type
 * the adapter does not handle), HK_ECORRUPT (duplicate id) or HK_E*. */
HK_MUST_CHECK int hsm_key_find(struct hsm_pool *p,
    const uint8_t id[static HSM_KEYID_LEN], struct hsm_keyinfo *out);

/** Called by hsm_key_list() for each key; ${ki} is valid during the call
 * only. A non-zero return stops the listing and is returned. */
typedef int (*hsm_key_list_cb)(void *arg, const struct hsm_keyinfo *ki);

/** hsm_key_list(p, cb, arg): call ${cb} for every persistent signing key
 * and import key on the token with a HSM_KEYID_LEN-byte CKA_ID (objects
 * of other tools are skipped and counted in *${skipped}, which may be
 * NULL). No session is held while ${cb} runs. 0, ${cb}'s value or HK_E*. */
HK_MUST_CHECK int hsm_key_list(struct hsm_pool *p, hsm_key_list_cb cb,
    void *arg, size_t *skipped);

/** hsm_key_destroy(p, id): destroy every object with CKA_ID ${id} (the
 * private key first, then the public key) in the module (END-3) and drop
 * the cached handle. Waits for signatures in flight with the same pool.
 * 0, HK_ENOTFOUND or HK_E*. */
HK_MUST_CHECK int hsm_key_destroy(struct hsm_pool *p,
    const uint8_t id[static HSM_KEYID_LEN]);

/** hsm_key_sign(p, id, scheme, hash, in, inlen, sig, siglen): sign with
 * key ${id}. For ECDSA, RSA PKCS#1 v1.5 and RSA-PSS ${in} is a digest of
 * ${hash} (its length must match); ECDSA output is DER (SEQUENCE of two
 * INTEGERs), RSA PKCS#1 signs a DigestInfo the adapter builds, PSS uses
 * MGF1 with the same hash and a salt of the hash length. For Ed25519,
 * ${hash} is HSM_HASH_NONE and ${in} is the whole message (at most
 * HSM_MSG_MAX). ${sig} holds HSM_SIG_MAX bytes; *${siglen} is set. The
 * key handle is cached per id and re-resolved after
 * CKR_OBJECT_HANDLE_INVALID; a retired session is replaced and the
 * signature retried once per cause. 0, HK_EINVAL (scheme does not fit the
 * key, bad length), HK_ENOTFOUND (no such key), HK_EBUSY (no session
 * within the wait bound), HK_ETOOBIG or HK_E*. Any non-loop thread. */
HK_MUST_CHECK int hsm_key_sign(struct hsm_pool *p,
    const uint8_t id[static HSM_KEYID_LEN], enum hsm_scheme scheme,
    enum hsm_hash hash, const uint8_t *in, size_t inlen,
    uint8_t sig[static HSM_SIG_MAX], size_t *siglen);

/** hsm_key_sign_reserved(p, id, scheme, hash, in, inlen, sig, siglen): as
 * hsm_key_sign(), on the pool's one reserved session instead of a pool
 * session: it never queues behind the signature workers (which keep every
 * pool session busy under load) and never answers HK_EBUSY; concurrent
 * callers take turns. For rare signatures on a latency-critical path (the
 * ledger's checkpoint, once per group commit). Any non-loop thread. */
HK_MUST_CHECK int hsm_key_sign_reserved(struct hsm_pool *p,
    const uint8_t id[static HSM_KEYID_LEN], enum hsm_scheme scheme,
    enum hsm_hash hash, const uint8_t *in, size_t inlen,
    uint8_t sig[static HSM_SIG_MAX], size_t *siglen);

/** Completion of hsm_key_sign_submit(), on a worker thread: ${result} as
 * hsm_key_sign() returns it; ${sig} (${siglen} bytes) is valid during the
 * call only. */
typedef void (*hsm_sign_cb)(void *arg, int result, const uint8_t *sig,
    size_t siglen);

/** hsm_key_sign_submit(p, id, scheme, hash, in, inlen, cb, arg): as
 * hsm_key_sign(), on a worker thread. ${in} is copied, so it need not
 * outlive the call. Never waits: a full queue is HK_EBUSY at once, and a
 * job that no worker starts (or that finds no session) within the wait
 * bound completes with HK_EBUSY. Returns 0 (then ${cb} is called exactly
 * once, possibly before this returns) or HK_EINVAL / HK_ETOOBIG /
 * HK_EBUSY / HK_ECLOSED / HK_ENOMEM (then never). Safe on an event
 * loop. */
HK_MUST_CHECK int hsm_key_sign_submit(struct hsm_pool *p,
    const uint8_t id[static HSM_KEYID_LEN], enum hsm_scheme scheme,
    enum hsm_hash hash, const uint8_t *in, size_t inlen, hsm_sign_cb cb,
    void *arg);

/** hsm_unwrapkey_generate(p, label, out): generate an AES-256 import key
 * inside the module: persistent, sensitive, not extractable, CKA_UNWRAP
 * only (no wrap, encrypt, decrypt, sign, verify or derive) and limited to
 * the import mechanism; fill ${out}. 0 or HK_E*. Use it when the CA can
 * receive the key by a module-to-module transfer; see
 * hsm_unwrapkey_create() for a shared transport key. */
HK_MUST_CHECK int hsm_unwrapkey_generate(struct hsm_pool *p,
    const char *label, struct hsm_keyinfo *out);

/** hsm_unwrapkey_create(p, label, value, len, out): create the same kind
 * of import key from a transport key agreed with a CA (${len} = 32
 * bytes), e.g. assembled from key components at a key ceremony. ${value}
 * is only read; the caller wipes it. 0, HK_EINVAL or HK_E*. */
HK_MUST_CHECK int hsm_unwrapkey_create(struct hsm_pool *p,
    const char *label, const uint8_t *value, size_t len,
    struct hsm_keyinfo *out);

/** hsm_key_import(p, kek, alg, label, wrapped, wlen, spki, spkilen, out):
 * unwrap a private key of ${alg} (PKCS#8 PrivateKeyInfo wrapped with AES
 * key wrap with padding, RFC 5649) with the import key ${kek} inside the
 * module, as a persistent, sensitive, non-extractable signing key with a
 * fresh CKA_ID and ${label}; create its public key object from ${spki}
 * (the CA's certificate gives it); check that the two form a pair by
 * signing and verifying. On any failure nothing is left behind. 0,
 * HK_EINVAL (SPKI malformed or not ${alg}), HK_EEXIST (the module already
 * holds a key with this public key: a duplicate import), HK_ENOTFOUND (no
 * such import key), HK_EVERIFY (blob refused by the module's integrity
 * check, or the key does not match ${spki}), HK_ENOTSUP or HK_E*.
 * WARNING: SoftHSM 2.6.1 reports a failed integrity check as
 * CKR_GENERAL_ERROR, which maps to HK_EHSM there. */
HK_MUST_CHECK int hsm_key_import(struct hsm_pool *p,
    const uint8_t kek[static HSM_KEYID_LEN], enum hsm_alg alg,
    const char *label, const uint8_t *wrapped, size_t wlen,
    const uint8_t *spki, size_t spkilen, struct hsm_keyinfo *out);

/* Sealing data under a key that never leaves the module: AES-256-GCM,
 * 12-byte IV from the module RNG, 16-byte tag. A sealed blob is
 * IV || ciphertext || tag, HSM_SEAL_OVERHEAD bytes longer than the input. */
#define HSM_SEAL_OVERHEAD (12 + 16)
#define HSM_SEAL_MAX 4096 /* largest input */

/** hsm_sealkey_generate(p, label, out): generate an AES-256 key inside the
 * module: persistent, sensitive, not extractable, usable only to encrypt
 * and decrypt with CKM_AES_GCM. For the vault's data keys (REG-1): whoever
 * copies the state directory without the HSM learns nothing. 0 or HK_E*. */
HK_MUST_CHECK int hsm_sealkey_generate(struct hsm_pool *p, const char *label,
    struct hsm_keyinfo *out);

/** hsm_seal(p, id, aad, aadlen, in, inlen, out, outlen): encrypt ${in}
 * (at most HSM_SEAL_MAX bytes) with seal key ${id}, authenticating ${aad}
 * too; ${out} holds inlen + HSM_SEAL_OVERHEAD bytes. 0, HK_EINVAL,
 * HK_ENOTFOUND, HK_EBUSY or HK_E*. Any non-loop thread. */
HK_MUST_CHECK int hsm_seal(struct hsm_pool *p,
    const uint8_t id[static HSM_KEYID_LEN], const uint8_t *aad, size_t aadlen,
    const uint8_t *in, size_t inlen, uint8_t *out, size_t *outlen);

/** hsm_unseal(p, id, aad, aadlen, in, inlen, out, outlen): the inverse;
 * HK_EVERIFY when ${in} or ${aad} was altered or the key is another.
 * ${out} holds inlen - HSM_SEAL_OVERHEAD bytes. */
HK_MUST_CHECK int hsm_unseal(struct hsm_pool *p,
    const uint8_t id[static HSM_KEYID_LEN], const uint8_t *aad, size_t aadlen,
    const uint8_t *in, size_t inlen, uint8_t *out, size_t *outlen);

/* Small private token data objects (CKO_DATA, CKA_APPLICATION "hanko"),
 * named by label: the ledger's anti-rollback anchor. */
#define HSM_DATA_MAX 4096
#define HSM_DATA_OBJS 8 /* objects of one label looked at */

typedef int (*hsm_data_cb)(void *arg, const uint8_t *v, size_t n);

/** hsm_data_read(p, label, cb, arg): call ${cb} with the value of each
 * data object labelled ${label} (normally one; two after a crash inside
 * hsm_data_put). 0 (also when there is none), ${cb}'s first non-zero
 * result, HK_ETOOBIG or HK_E*. Not on an event loop. */
HK_MUST_CHECK int hsm_data_read(struct hsm_pool *p, const char *label,
    hsm_data_cb cb, void *arg);

/** hsm_data_put(p, label, v, n): store ${v}[0..n) (1..HSM_DATA_MAX bytes)
 * as a new private token object ${label}, then destroy the older ones.
 * 0, HK_EINVAL or HK_E*. */
HK_MUST_CHECK int hsm_data_put(struct hsm_pool *p, const char *label,
    const uint8_t *v, size_t n);

/** hsm_data_delete(p, label): destroy data object ${label} (0 also when
 * there is none). */
HK_MUST_CHECK int hsm_data_delete(struct hsm_pool *p, const char *label);

/** hsm_token_init(module, label, so_pin_file, user_pin_file): initialise
 * a free token of ${module} (NULL: default) with ${label}, the security
 * officer PIN and the user PIN read from the two files (same rules as
 * hsm_opts.pin_file): C_InitToken, then C_InitPIN as the security
 * officer. For `hanko init` of the embedded SoftHSM token; a production
 * HSM is initialised by its own ceremony. HK_EEXIST if a token already
 * has ${label}, HK_ENOTFOUND if no free token is present, HK_EINVAL for a
 * label over 32 bytes, HK_ECONFIG, HK_EIO, HK_EDENIED or HK_E*. Must not
 * run while a pool of the same module exists in the process. */
HK_MUST_CHECK int hsm_token_init(const char *module, const char *label,
    const char *so_pin_file, const char *user_pin_file);

/** hsm_alg_name(alg): "p256", "p384", "rsa2048", "rsa3072", "ed25519",
 * "aes256", or "?"; static. */
const char *hsm_alg_name(enum hsm_alg alg);

/** hsm_alg_from_name(name): the inverse of hsm_alg_name(); HSM_ALG_NONE
 * for anything else. */
enum hsm_alg hsm_alg_from_name(const char *name);

/** hsm_hash_len(hash): digest length in bytes of ${hash}; 0 for NONE. */
size_t hsm_hash_len(enum hsm_hash hash);

#endif
