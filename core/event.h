/* SPDX-License-Identifier: Apache-2.0 */
/*
 * event: the ledger's unit of record (SIG-3, SIG-6, OPS-4, OPS-6).
 *
 * An event is one msgpack value in the profile of mpk.h: a fixed-position
 * array of HK_EVENT_NFIELDS fields
 *
 *   [0] version   uint, HK_EVENT_VERSION
 *   [1] origin    str, the ledger's identity (same as the checkpoint origin)
 *   [2] seq       uint, equals the event's leaf index in the Merkle tree
 *   [3] time      uint, appliance clock in milliseconds since the Unix epoch
 *   [4] type      uint, enum hk_event_type
 *   [5] actor     [kind uint, id str, channel uint, peer str]
 *   [6] subject   [signer id str, credential id str] ("" when not relevant)
 *   [7] body      map with unsigned keys, type-specific (see event.c)
 *   [8] prev      bin(32), the previous event's leaf hash; zeros for seq 0
 *
 * The stored bytes are what is hashed: verifiers never re-encode. Numbers
 * of types, actor kinds and channels are part of the format and are never
 * reused. Leaf module (includes only other leaf modules).
 */
#ifndef HK_EVENT_H
#define HK_EVENT_H

#include <stdint.h>

#include "core/buf.h"
#include "core/err.h"
#include "core/mpk.h"
#include "core/sha256.h"

#define HK_EVENT_VERSION 1
#define HK_EVENT_NFIELDS 9
/* C2SP tlog-tiles entry bundles carry entries of at most 65,535 bytes. */
#define HK_EVENT_MAX_LEN 65535
#define HK_EVENT_PREV_LEN HK_SHA256_LEN
/* Longest origin (the C2SP checkpoint origin line); keep it a short URL. */
#define HK_EVENT_ORIGIN_MAX 255

enum hk_event_type {
	HK_EV_LEDGER_GENESIS = 1,
	HK_EV_APPLIANCE_STARTED = 2,
	HK_EV_APPLIANCE_STOPPED = 3,
	HK_EV_CONFIG_APPLIED = 4,
	HK_EV_CHECKPOINT_KEY_ROTATED = 5,
	HK_EV_PRIV_USER_ADDED = 6,
	HK_EV_PRIV_USER_CHANGED = 7,
	HK_EV_SIGNER_REGISTERED = 8,
	HK_EV_SIGNER_UPDATED = 9,
	HK_EV_CREDENTIAL_ENROLLED = 10,
	HK_EV_KEY_GENERATED = 11,
	HK_EV_KEY_IMPORTED = 12,
	HK_EV_CSR_ISSUED = 13,
	HK_EV_CERT_BOUND = 14,
	HK_EV_AUTH_GRANTED = 15,
	HK_EV_AUTH_DENIED = 16,
	HK_EV_CREDENTIAL_LOCKED = 17,
	HK_EV_CREDENTIAL_UNLOCKED = 18,
	HK_EV_SIGNATURE_CREATED = 19,
	HK_EV_SUSPENDED = 20,
	HK_EV_RESUMED = 21,
	HK_EV_KEY_DESTROYED = 22,
	HK_EV_ADMIN_REQUEST = 23,       /* every admin request and its outcome */
	HK_EV_APPROVAL_REQUESTED = 24,  /* dual control: the request */
	HK_EV_APPROVAL_GRANTED = 25,    /* ... approved by a security officer */
	HK_EV_APPROVAL_REJECTED = 26,   /* ... rejected (or expired) */
	HK_EV_SIGNER_ERASED = 27,       /* attributes' key and salt deleted */
	HK_EV_CREDENTIAL_CREATED = 28,  /* credential and enrollment code made */
	HK_EV_CSR_CONFIRMED = 29,       /* the signer confirmed the subject */
	HK_EV_LEDGER_VERIFIED = 30,     /* a background full verification */
	HK_EV_TYPE_MAX = 30,
};

enum hk_actor_kind {
	HK_ACTOR_SYSTEM = 0,     /* the appliance itself */
	HK_ACTOR_SIGNER = 1,     /* a registered signer (natural person) */
	HK_ACTOR_PRIVILEGED = 2, /* administrator, security officer, ... */
	HK_ACTOR_CLIENT = 3,     /* an authorised client system (e-seal) */
	HK_ACTOR_KIND_MAX = 3,
};

enum hk_channel {
	HK_CHANNEL_INTERNAL = 0, /* inside the appliance */
	HK_CHANNEL_LOCAL = 1,    /* local operator command line */
	HK_CHANNEL_SIGNING = 2,  /* signing API over TLS */
	HK_CHANNEL_ADMIN = 3,    /* admin API over mutual TLS */
	HK_CHANNEL_MAX = 3,
};

/* Body keys of the event types this version emits (see event.c for the
 * names shown in JSON). */
enum {
	HK_BODY_GENESIS_SOFTWARE = 1, /* str: software name and version */
	HK_BODY_GENESIS_VKEY = 2,     /* str: checkpoint verifier key */
	HK_BODY_APPLIANCE_VERSION = 1, /* str */
	HK_BODY_APPLIANCE_CONFIG = 2,  /* bin(32): configuration hash */
	HK_BODY_APPLIANCE_REASON = 3,  /* str */
	HK_BODY_CONFIG_PREVIOUS = 1,   /* config.applied: bin(32) before */
	/* ledger.verified */
	HK_BODY_VERIFY_EVENTS = 1,     /* uint: events checked */
	HK_BODY_VERIFY_CHECKPOINTS = 2, /* uint: checkpoints checked */
	HK_BODY_VERIFY_ROOT = 3,       /* bin(32): root of what was checked */
	HK_BODY_VERIFY_RESULT = 4,     /* str: "ok" or "failed" */
	HK_BODY_VERIFY_MESSAGE = 5,    /* str: what is wrong (failed only) */
	HK_BODY_VERIFY_MS = 6,         /* uint: duration in milliseconds */
	/* config.applied uses HK_BODY_APPLIANCE_CONFIG (2) for the new hash */
	HK_BODY_ROTATE_OLD_VKEY = 1,   /* str */
	HK_BODY_ROTATE_NEW_VKEY = 2,   /* str */
};

/* Body keys of the lifecycle events (issue 5; docs/ledger-format.md).
 * Personal data never goes into a body: only ids, hashes, fingerprints,
 * public keys and states. */
enum {
	/* privileged_user.added / .changed */
	HK_BODY_PU_FINGERPRINT = 1, /* bin(32): client certificate SHA-256 */
	HK_BODY_PU_SUBJECT = 2,     /* str: the certificate's subject */
	HK_BODY_PU_ROLE = 3,        /* str */
	HK_BODY_PU_ACTIVE = 4,      /* bool */
	HK_BODY_PU_APPROVAL = 5,    /* str: approval id, "" at bootstrap */
	/* admin.request */
	HK_BODY_AR_OPERATION = 1,   /* str */
	HK_BODY_AR_TARGET = 2,      /* str */
	HK_BODY_AR_OUTCOME = 3,     /* str: "allowed" or "refused" */
	HK_BODY_AR_STATUS = 4,      /* uint: the HTTP status answered */
	HK_BODY_AR_REASON = 5,      /* str: why refused */
	/* approval.requested / .granted / .rejected */
	HK_BODY_AP_ID = 1,          /* str */
	HK_BODY_AP_OPERATION = 2,   /* str: user.add, user.remove,
				       credential.unlock, credential.destroy */
	HK_BODY_AP_TARGET = 3,      /* str */
	HK_BODY_AP_EXPIRES = 4,     /* uint: ms since the epoch */
	HK_BODY_AP_ROLE = 5,        /* str (user.add) */
	HK_BODY_AP_CERT = 6,        /* bin: certificate DER (user.add) */
	HK_BODY_AP_REASON = 7,      /* str (credential.destroy; rejections) */
	/* signer.registered / signer.erased */
	HK_BODY_SG_KIND = 1,        /* str: "natural" or "legal" */
	HK_BODY_SG_COMMITMENT = 2,  /* bin(32): HMAC of the attributes */
	HK_BODY_SG_REASON = 3,      /* str (erasure) */
	/* credential.created */
	HK_BODY_CR_ALGORITHM = 1,   /* str */
	HK_BODY_CR_LEVEL = 2,       /* uint: 1 or 2 */
	HK_BODY_CR_CODE_EXPIRES = 3, /* uint: ms since the epoch */
	/* key.generated / key.imported */
	HK_BODY_KEY_ALGORITHM = 1,  /* str */
	HK_BODY_KEY_ID = 2,         /* bin(16): CKA_ID in the HSM */
	HK_BODY_KEY_FINGERPRINT = 3, /* bin(32): SHA-256 of the SPKI */
	HK_BODY_KEY_SPKI = 4,       /* bin: SubjectPublicKeyInfo DER */
	HK_BODY_KEY_RENEWAL = 5,    /* bool */
	/* csr.issued / csr.confirmed */
	HK_BODY_CSR_SHA256 = 1,     /* bin(32): SHA-256 of the CSR DER */
	/* certificate.bound */
	HK_BODY_CERT_FINGERPRINT = 1, /* bin(32) */
	HK_BODY_CERT_NOT_BEFORE = 2,  /* uint: seconds since the epoch */
	HK_BODY_CERT_NOT_AFTER = 3,   /* uint */
	HK_BODY_CERT_ISSUER = 4,      /* str */
	HK_BODY_CERT_SERIAL = 5,      /* str: hex */
	HK_BODY_CERT_KEY_ID = 6,      /* bin(16): the key it certifies */
	/* credential.suspended / .resumed */
	HK_BODY_SUSP_REASON = 1,    /* str */
	HK_BODY_SUSP_BY = 2,        /* str: "signer" or "administrator" */
	/* key.destroyed */
	HK_BODY_DESTROY_REASON = 1, /* str: renewal, revocation, termination */
	HK_BODY_DESTROY_KEY_ID = 2, /* bin(16) */
	HK_BODY_DESTROY_APPROVAL = 3, /* str */
	/* credential.locked / .unlocked */
	HK_BODY_LOCK_APPROVAL = 1,  /* str */
	HK_BODY_LOCK_FAILURES = 2,  /* uint */
	/* authorization.denied */
	HK_BODY_DENIED_REASON = 1,  /* str: which factor failed, or why */
	/* Any event a signer authenticated with an OTP: the TOTP step it
	 * used (replays need a greater step). One key for every type. */
	HK_BODY_OTP_STEP = 15,      /* uint */
};

/* Body keys of the SAM's events (issue 6; docs/csc-api.md). The SAD and
 * the access token never go into a body, only their SHA-256. */
enum {
	/* authorization.granted (also: authorization.denied adds 2..4 and
	 * 8..10 when it knows them) */
	HK_BODY_AUTH_SAD_ID = 1,      /* bin(32): SHA-256 of the SAD */
	HK_BODY_AUTH_HASH_ALG = 2,    /* str: hash algorithm OID */
	HK_BODY_AUTH_HASHES = 3,      /* array of bin: the authorised hashes */
	HK_BODY_AUTH_NUM = 4,         /* uint: numSignatures */
	HK_BODY_AUTH_EXPIRES = 5,     /* uint: ms since the epoch */
	HK_BODY_AUTH_EXTENDS = 6,     /* bin(32): the SAD id it replaces */
	HK_BODY_AUTH_LEVEL = 7,       /* uint: 1 or 2 */
	HK_BODY_AUTH_SESSION = 8,     /* bin(32): SHA-256 of the access token */
	HK_BODY_AUTH_TLS = 9,         /* str: TLS version of the channel */
	HK_BODY_AUTH_CLIENT_DATA = 10, /* str: CSC clientData */
	/* signature.created (one event per signature) */
	HK_BODY_SIG_SAD_ID = 1,       /* bin(32) */
	HK_BODY_SIG_KEY_FP = 2,       /* bin(32): SPKI SHA-256 of the key */
	HK_BODY_SIG_HASH_ALG = 3,     /* str: OID */
	HK_BODY_SIG_HASH = 4,         /* bin: the hash signed */
	HK_BODY_SIG_ALG = 5,          /* str: signAlgo OID */
	HK_BODY_SIG_VALUE = 6,        /* bin: the signature value returned */
	HK_BODY_SIG_KEY_ID = 7,       /* bin(16): CKA_ID */
	HK_BODY_SIG_SESSION = 8,      /* bin(32): SHA-256 of the access token */
	HK_BODY_SIG_TLS = 9,          /* str */
	HK_BODY_SIG_CLIENT_DATA = 10, /* str */
	HK_BODY_SIG_PARAMS = 11,      /* bin: signAlgoParams DER (PSS) */
	HK_BODY_SIG_INDEX = 12,       /* uint: position in the request */
};

/*
 * A decoded (or to-be-encoded) event. All hk_bytes fields are borrowed: from
 * the decoded buffer, or from the caller when encoding.
 */
struct hk_event {
	uint64_t version;
	struct hk_bytes origin;
	uint64_t seq;
	uint64_t time_ms;
	uint64_t type;
	uint64_t actor_kind;
	struct hk_bytes actor_id;
	uint64_t actor_channel;
	struct hk_bytes actor_peer;
	struct hk_bytes signer;
	struct hk_bytes credential;
	struct hk_bytes body; /* one encoded profile map */
	uint8_t prev[HK_EVENT_PREV_LEN];
};

/** hk_event_type_name(type): "signer.registered" etc., or NULL if ${type}
 * is not a type of this format version. */
const char *hk_event_type_name(uint64_t type);

/** hk_event_type_from_name(name, type): the inverse; 0 or HK_ENOTFOUND. */
HK_MUST_CHECK int hk_event_type_from_name(const char *name, uint64_t *type);

/** hk_event_encode_mid(ev, out): append the encoding of fields [4..7]
 * (type, actor, subject, body) to ${out}. Producers do this before the
 * ledger writer assigns seq, time and prev. Returns 0, HK_EINVAL (bad
 * field, non-UTF-8 text, body not a profile map) or HK_ENOMEM. */
HK_MUST_CHECK int hk_event_encode_mid(const struct hk_event *ev,
    struct hk_buf *out);

/** hk_event_encode_frame(origin, seq, time_ms, mid, prev, out): append the
 * complete event around pre-encoded ${mid} (from hk_event_encode_mid).
 * 0, HK_EINVAL, HK_ETOOBIG (over HK_EVENT_MAX_LEN) or HK_ENOMEM. */
HK_MUST_CHECK int hk_event_encode_frame(struct hk_bytes origin, uint64_t seq,
    uint64_t time_ms, struct hk_bytes mid,
    const uint8_t prev[static HK_EVENT_PREV_LEN], struct hk_buf *out);

/** hk_event_encode(ev, out): append the complete encoding of ${ev}. */
HK_MUST_CHECK int hk_event_encode(const struct hk_event *ev,
    struct hk_buf *out);

/** hk_event_decode(p, n, ev, err): strictly decode ${p}[0..n) into ${ev}
 * (fields borrow from ${p}). Refuses anything outside the profile or the
 * field layout, an unknown version, type, actor kind or channel, and
 * events over HK_EVENT_MAX_LEN. 0 or HK_EPROFILE with ${err} (may be NULL)
 * saying why and where. */
HK_MUST_CHECK int hk_event_decode(const uint8_t *p, size_t n,
    struct hk_event *ev, struct hk_mpk_error *err);

/** hk_event_body_key_name(type, key): the JSON name of a body key of
 * ${type}, or NULL when the key has no registered name. */
const char *hk_event_body_key_name(uint64_t type, uint64_t key);

/** hk_event_genesis_body(software, vkey, out): append the body of a
 * ledger.genesis event ({1: software, 2: vkey}) to ${out}; 0, HK_EINVAL
 * (text not UTF-8) or HK_ENOMEM. */
HK_MUST_CHECK int hk_event_genesis_body(const char *software,
    const char *vkey, struct hk_buf *out);

/** hk_event_body_value(body, key, value): find ${key} in the encoded body
 * map and borrow the encoding of its value. 0, HK_ENOTFOUND or
 * HK_EPROFILE. */
HK_MUST_CHECK int hk_event_body_value(struct hk_bytes body, uint64_t key,
    struct hk_bytes *value);

/** hk_event_body_str(body, key, s): the str at ${key}; 0, HK_ENOTFOUND or
 * HK_EPROFILE (present but not a str). */
HK_MUST_CHECK int hk_event_body_str(struct hk_bytes body, uint64_t key,
    struct hk_bytes *s);

#endif
