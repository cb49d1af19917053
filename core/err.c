/* SPDX-License-Identifier: Apache-2.0 */
/* err: names for the HK_E* codes (see err.h). */
#include "core/err.h"

/** hk_strerror(err): a static, human-readable name for ${err}; never NULL. */
const char *
hk_strerror(int err)
{
	switch (err) {
	case HK_OK: return "success";
	case HK_ENOMEM: return "out of memory";
	case HK_EINVAL: return "invalid argument";
	case HK_EPROFILE: return "msgpack outside the event profile";
	case HK_ERANGE: return "out of range";
	case HK_EIO: return "I/O error";
	case HK_ESTORE: return "storage (LMDB) error";
	case HK_ELEDGER_FAILED: return "ledger failed and refuses writes";
	case HK_ECORRUPT: return "stored data is corrupt";
	case HK_ECRYPTO: return "cryptographic library error";
	case HK_EVERIFY: return "verification failed";
	case HK_ENOTFOUND: return "not found";
	case HK_EEXIST: return "already exists";
	case HK_ESTATE: return "illegal state transition";
	case HK_ECLOSED: return "closed";
	case HK_EBUSY: return "busy";
	case HK_EHSM: return "crypto module (PKCS#11) error";
	case HK_EAUTH: return "authentication failed";
	case HK_EDENIED: return "permission denied";
	case HK_ETIMEOUT: return "timed out";
	case HK_ETOOBIG: return "too big";
	case HK_ECONFIG: return "invalid configuration";
	case HK_ENOSPACE: return "storage full";
	case HK_EAGAIN: return "incomplete input";
	case HK_ENOTSUP: return "not supported";
	case HK_ESELFTEST: return "self-test failed";
	case HK_EPROTO: return "protocol violation by the peer";
	case HK_ETRUNCATED: return "connection truncated (no clean close)";
	case HK_EREPLAY: return "one-time value replayed";
	case HK_EPOLICY: return "refused by policy";
	case HK_EROLLBACK: return "ledger rolled back or replaced";
	}
	return "unknown error";
}
