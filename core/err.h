/* SPDX-License-Identifier: Apache-2.0 */
/*
 * err: Hanko's single error space. Every fallible function returns 0 or a
 * negative HK_E* code from this enum, and hk_strerror() names it. Leaf
 * module: includes nothing else of ours.
 */
#ifndef HK_ERR_H
#define HK_ERR_H

#define HK_MUST_CHECK __attribute__((warn_unused_result))

enum hk_err {
	HK_OK = 0,
	HK_ENOMEM = -1,		/* allocation failed */
	HK_EINVAL = -2,		/* invalid argument or malformed input */
	HK_EPROFILE = -3,	/* msgpack outside the event profile */
	HK_ERANGE = -4,		/* value or index out of range */
	HK_EIO = -5,		/* operating-system I/O failure */
	HK_ESTORE = -6,		/* LMDB failure */
	HK_ELEDGER_FAILED = -7, /* ledger refused writes after a failure */
	HK_ECORRUPT = -8,	/* stored data fails verification */
	HK_ECRYPTO = -9,	/* cryptographic library failure */
	HK_EVERIFY = -10,	/* a proof or signature did not verify */
	HK_ENOTFOUND = -11,	/* no such object */
	HK_EEXIST = -12,	/* object already exists */
	HK_ESTATE = -13,	/* illegal state transition */
	HK_ECLOSED = -14,	/* object is closing or closed */
	HK_EBUSY = -15,		/* resource busy: try again later */
	HK_EHSM = -16,		/* PKCS#11 module failure */
	HK_EAUTH = -17,		/* authentication failed */
	HK_EDENIED = -18,	/* authenticated but not allowed */
	HK_ETIMEOUT = -19,	/* deadline passed */
	HK_ETOOBIG = -20,	/* input exceeds a size limit */
	HK_ECONFIG = -21,	/* configuration invalid */
	HK_ENOSPACE = -22,	/* storage full */
	HK_EAGAIN = -23,	/* incomplete input: call again with more */
	HK_ENOTSUP = -24,	/* not supported (e.g. by the crypto module) */
	HK_ESELFTEST = -25,	/* a power-up or conditional self-test failed */
	HK_EPROTO = -26,	/* the peer violated a protocol */
	HK_ETRUNCATED = -27,	/* peer closed without a clean close */
	HK_EREPLAY = -28,	/* a one-time value was presented again */
	HK_EPOLICY = -29,	/* well-formed but refused by policy */
	HK_EROLLBACK = -30,	/* the ledger is behind or off its HSM anchor */
};

/** hk_strerror(err): a static, human-readable name for ${err}; never NULL. */
const char *hk_strerror(int err);

#endif
