/* SPDX-License-Identifier: Apache-2.0 */
/* sha256: SHA-256 with a pre-fetched EVP_MD (see sha256.h). */
#include <stdlib.h>

#include <openssl/evp.h>

#include "core/sha256.h"

struct hk_sha256 {
	EVP_MD *md;
	EVP_MD_CTX *ctx;
};

/** hk_sha256_new(): a hashing context; NULL on ENOMEM. */
struct hk_sha256 *
hk_sha256_new(void)
{
	struct hk_sha256 *h;

	if ((h = calloc(1, sizeof(*h))) == NULL)
		return NULL;
	if ((h->md = EVP_MD_fetch(NULL, "SHA256", NULL)) == NULL ||
	    (h->ctx = EVP_MD_CTX_new()) == NULL) {
		hk_sha256_free(h);
		return NULL;
	}
	return h;
}

/** hk_sha256_free(h): free ${h}; accepts NULL. */
void
hk_sha256_free(struct hk_sha256 *h)
{
	if (h == NULL)
		return;
	EVP_MD_CTX_free(h->ctx);
	EVP_MD_free(h->md);
	free(h);
}

/** hk_sha256_digest3(h, a, an, b, bn, c, cn, out): SHA-256(a||b||c). */
int
hk_sha256_digest3(struct hk_sha256 *h, const void *a, size_t an,
    const void *b, size_t bn, const void *c, size_t cn,
    uint8_t out[static HK_SHA256_LEN])
{
	unsigned int len = 0;

	if (EVP_DigestInit_ex(h->ctx, h->md, NULL) != 1 ||
	    (an && EVP_DigestUpdate(h->ctx, a, an) != 1) ||
	    (bn && EVP_DigestUpdate(h->ctx, b, bn) != 1) ||
	    (cn && EVP_DigestUpdate(h->ctx, c, cn) != 1) ||
	    EVP_DigestFinal_ex(h->ctx, out, &len) != 1 ||
	    len != HK_SHA256_LEN)
		return HK_ECRYPTO;
	return 0;
}

/** hk_sha256_digest(h, p, n, out): SHA-256(p). */
int
hk_sha256_digest(struct hk_sha256 *h, const void *p, size_t n,
    uint8_t out[static HK_SHA256_LEN])
{
	return hk_sha256_digest3(h, p, n, NULL, 0, NULL, 0, out);
}
