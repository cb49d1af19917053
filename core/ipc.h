/* SPDX-License-Identifier: Apache-2.0 */
/*
 * ipc: the messages between the unprivileged network front and the core
 * (monitor) over a socketpair (design "Shape"; style item 4; ACT-3: every
 * decision is taken in the core, so the core treats the front as
 * untrusted input).
 *
 * A frame is a 4-byte big-endian length and one msgpack value in the
 * profile of mpk.h, at most HK_IPC_MAX_FRAME bytes:
 *   request   [1, 0, id, type, ctx, body]
 *   response  [1, 1, id, status, body]
 * id is the front's request id (unsigned, echoed in the response), type an
 * enum hk_ipc_type, status an HTTP status code, ctx the credentials and
 * channel facts the front observed (it authenticates nothing itself), body
 * a type-specific map. Leaf module.
 */
#ifndef HK_IPC_H
#define HK_IPC_H

#include <stdbool.h>
#include <stdint.h>

#include "core/buf.h"
#include "core/err.h"
#include "core/mpk.h"

#define HK_IPC_VERSION 1
/* The largest HTTP body (1 MiB) plus room for context and framing. */
#define HK_IPC_MAX_FRAME ((size_t)1 << 20 | (size_t)64 << 10)
#define HK_IPC_HEADER_LEN 4

/*
 * Request types. The front translates each route into one of these; the
 * core never sees HTTP or JSON. Bodies (maps with unsigned keys):
 *   HEALTH  request {}; response 200 {} (the core is alive and answering)
 *   READY   request {}; response 200 or 503
 *           {HK_IPC_READY_LEDGER: bool, HK_IPC_READY_HSM: bool,
 *            HK_IPC_READY_REASON: str (only when 503)}
 */
enum hk_ipc_type {
	HK_IPC_HEALTH = 1, /* liveness */
	HK_IPC_READY = 2,  /* ledger writable, HSM self-test passed */
	/*
	 * The admin API (admin listener) and the signer API (signing
	 * listener) of docs/admin-api.md, which gives each type's request
	 * and response keys. Types between these numbers are unassigned;
	 * hk_ipc_decode admits every type up to HK_IPC_TYPE_MAX, and the
	 * core answers the ones it does not know.
	 */
	HK_IPC_ADMIN_STATUS = 10,           /* GET /admin/v1/status */
	HK_IPC_USERS_LIST = 11,             /* GET /admin/v1/users */
	HK_IPC_USERS_ADD = 12,              /* POST /admin/v1/users */
	HK_IPC_USERS_REMOVE = 13,           /* DELETE .../users/{fp} */
	HK_IPC_APPROVALS_LIST = 14,         /* GET /admin/v1/approvals */
	HK_IPC_APPROVAL_DECIDE = 15,        /* .../{id}/approve, /reject */
	HK_IPC_SIGNER_REGISTER = 16,        /* POST /admin/v1/signers */
	HK_IPC_SIGNER_GET = 17,             /* GET .../signers/{id} */
	HK_IPC_SIGNER_ERASE = 18,           /* POST .../{id}/erase */
	HK_IPC_CREDENTIAL_CREATE = 19,      /* POST .../{id}/credentials */
	HK_IPC_CREDENTIAL_GET = 20,         /* GET .../credentials/{id} */
	HK_IPC_CREDENTIAL_KEY = 21,         /* POST .../{id}/key */
	HK_IPC_CREDENTIAL_CSR = 22,         /* POST .../{id}/csr */
	HK_IPC_CREDENTIAL_CSR_GET = 23,     /* GET .../{id}/csr */
	HK_IPC_CREDENTIAL_CERTIFICATE = 24, /* PUT .../{id}/certificate */
	HK_IPC_CREDENTIAL_SUSPEND = 25,     /* POST .../{id}/suspend */
	HK_IPC_CREDENTIAL_RESUME = 26,      /* POST .../{id}/resume */
	HK_IPC_CREDENTIAL_DESTROY = 27,     /* POST .../{id}/destroy */
	HK_IPC_CREDENTIAL_UNLOCK = 28,      /* POST .../{id}/unlock */
	HK_IPC_CREDENTIAL_RENEW = 29,       /* POST .../{id}/renew */
	HK_IPC_SIGNER_ENROLL = 40,          /* POST /signer/v1/enroll */
	HK_IPC_SIGNER_CSR_GET = 41,         /* GET .../{id}/csr */
	HK_IPC_SIGNER_CSR_CONFIRM = 42,     /* POST .../{id}/csr/confirm */
	HK_IPC_SIGNER_NONCE = 43,           /* POST /signer/v1/nonce */
	HK_IPC_SIGNER_SUSPEND = 44,         /* POST .../{id}/suspend */
	HK_IPC_SIGNER_DESTROY = 45,         /* POST .../{id}/destroy */
	/* The CSC v2 signing API of docs/csc-api.md (signing listener). */
	HK_IPC_CSC_INFO = 50,               /* /csc/v2/info */
	HK_IPC_CSC_LOGIN = 51,              /* /csc/v2/auth/login */
	HK_IPC_CSC_REVOKE = 52,             /* /csc/v2/auth/revoke */
	HK_IPC_CSC_LIST = 53,               /* /csc/v2/credentials/list */
	HK_IPC_CSC_CRED_INFO = 54,          /* /csc/v2/credentials/info */
	HK_IPC_CSC_AUTHORIZE = 55,          /* .../credentials/authorize */
	HK_IPC_CSC_EXTEND = 56,             /* .../extendTransaction */
	HK_IPC_CSC_SIGN_HASH = 57,          /* /csc/v2/signatures/signHash */
	/* The auditor API of docs/audit-api.md (admin listener, auditor
	 * role only, read-only). */
	HK_IPC_AUDIT_STATUS = 60,           /* GET /audit/v1/status */
	HK_IPC_AUDIT_EVENTS = 61,           /* GET /audit/v1/events */
	HK_IPC_AUDIT_RECEIPT = 62,          /* GET /audit/v1/receipts/{seq} */
	HK_IPC_AUDIT_CONSISTENCY = 63,      /* GET /audit/v1/consistency */
	HK_IPC_AUDIT_SIGNATURES = 64,       /* GET /audit/v1/signatures */
	HK_IPC_AUDIT_BUNDLE = 65,           /* GET /audit/v1/bundle */
	HK_IPC_AUDIT_BUNDLE_READ = 66,      /* its next chunk (the front) */
	HK_IPC_CONSOLE = 67,                /* GET /console/... (access) */
	HK_IPC_AUDIT_SUMMARY = 68,          /* GET /audit/v1/summary */
	HK_IPC_AUDIT_HISTORY = 69,          /* GET /audit/v1/history */
	HK_IPC_AUDIT_SIGNERS = 70,          /* GET /audit/v1/signers */
	HK_IPC_TYPE_MAX = 70,
};

enum {
	HK_IPC_READY_LEDGER = 1,
	HK_IPC_READY_HSM = 2,
	HK_IPC_READY_REASON = 3,
};

enum hk_ipc_listener {
	HK_IPC_SIGNING = 1, /* server-auth TLS */
	HK_IPC_ADMIN = 2,   /* mutual TLS, operator CA */
};

/* What the front saw on the connection. Borrowed fields. */
struct hk_ipc_ctx {
	uint64_t listener;         /* enum hk_ipc_listener */
	struct hk_bytes peer;      /* "address:port" */
	bool has_client_cert;
	uint8_t client_fp[32];     /* SHA-256 of the client certificate DER */
	struct hk_bytes client_subject;
	/* WARNING: secret (bearer token or Basic credentials). Never log it. */
	struct hk_bytes authorization;
	struct hk_bytes request_id; /* for log correlation */
	struct hk_bytes tls;        /* TLS version, e.g. "TLSv1.3"; optional */
};

struct hk_ipc_msg {
	bool response;
	uint64_t id;
	uint64_t type;   /* requests */
	uint64_t status; /* responses */
	struct hk_ipc_ctx ctx;
	struct hk_bytes body; /* an encoded profile map */
};

/** hk_ipc_encode(m, out): append one frame (length and value) for ${m}
 * to ${out}. HK_EINVAL for an unknown type, a body that is not a profile
 * map or non-UTF-8 text; HK_ETOOBIG over HK_IPC_MAX_FRAME; HK_ENOMEM. */
HK_MUST_CHECK int hk_ipc_encode(const struct hk_ipc_msg *m, struct hk_buf *out);

/** hk_ipc_decode(p, n, m, err): strictly decode one frame's value (without
 * its length prefix) into ${m}; fields borrow from ${p}. 0 or HK_EPROFILE
 * with ${err} (may be NULL) saying why. */
HK_MUST_CHECK int hk_ipc_decode(const uint8_t *p, size_t n,
    struct hk_ipc_msg *m, struct hk_mpk_error *err);

/** hk_ipc_frame_next(buf, len, frame, flen, consumed): find the first
 * complete frame in ${buf}[0..len): 0 with ${frame}/${flen} pointing at
 * its value and ${consumed} its total length; HK_EAGAIN when more bytes
 * are needed; HK_ETOOBIG when the announced length exceeds
 * HK_IPC_MAX_FRAME or is zero (the peer is broken or hostile). */
HK_MUST_CHECK int hk_ipc_frame_next(const uint8_t *buf, size_t len,
    const uint8_t **frame, size_t *flen, size_t *consumed);

#endif
