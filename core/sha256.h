/* SPDX-License-Identifier: Apache-2.0 */
/*
 * sha256: SHA-256 through a pre-fetched EVP_MD and a reused EVP_MD_CTX.
 * WARNING: OpenSSL 3's one-shot SHA256() re-fetches the algorithm on every
 * call and costs ~5x more per node hash (shared/research/ledger-anchors.md
 * 6.2); never use it on a hot path. A context is not thread-safe: one per
 * thread. Leaf module (OPS-4 relies on it).
 */
#ifndef HK_SHA256_H
#define HK_SHA256_H

#include <stddef.h>
#include <stdint.h>

#include "core/err.h"

#define HK_SHA256_LEN 32

struct hk_sha256;

/** hk_sha256_new(): a hashing context; NULL on ENOMEM. */
struct hk_sha256 *hk_sha256_new(void);

/** hk_sha256_free(h): free ${h}; accepts NULL. */
void hk_sha256_free(struct hk_sha256 *h);

/** hk_sha256_digest(h, p, n, out): ${out} = SHA-256(${p}[0..n)). Returns 0
 * or HK_ECRYPTO. */
HK_MUST_CHECK int hk_sha256_digest(struct hk_sha256 *h, const void *p,
    size_t n, uint8_t out[static HK_SHA256_LEN]);

/** hk_sha256_digest3(h, a, an, b, bn, c, cn, out): SHA-256 over the
 * concatenation a||b||c (any part may be empty). 0 or HK_ECRYPTO. */
HK_MUST_CHECK int hk_sha256_digest3(struct hk_sha256 *h, const void *a,
    size_t an, const void *b, size_t bn, const void *c, size_t cn,
    uint8_t out[static HK_SHA256_LEN]);

#endif
