/* SPDX-License-Identifier: Apache-2.0 */
/*
 * pki: the certificates `hanko init` creates for the embedded default: an
 * operator CA, a TLS server certificate for localhost, and client
 * certificates for the first privileged users (NET-2: the admin listener
 * authenticates operators by certificates from this CA). ECDSA P-256,
 * SHA-256, random 128-bit serials. Keys are written 0600 and never
 * overwrite a file.
 */
#ifndef HK_PKI_H
#define HK_PKI_H

#include <openssl/evp.h>
#include <openssl/x509.h>

#include "core/err.h"

enum hk_pki_usage {
	HK_PKI_CA,
	HK_PKI_SERVER, /* serverAuth; SAN DNS:localhost, IP:127.0.0.1, ::1 */
	HK_PKI_CLIENT, /* clientAuth */
};

struct hk_pki_cert {
	EVP_PKEY *key;
	X509 *cert;
};

/** hk_pki_issue(ca, cn, usage, days, out): a new P-256 key and a
 * certificate for it, signed by ${ca} (NULL: self-signed, for HK_PKI_CA).
 * The subject is CN=${cn}, O=Hanko. 0, HK_EINVAL or HK_ECRYPTO. The
 * caller releases ${out} with hk_pki_cert_release(). */
HK_MUST_CHECK int hk_pki_issue(const struct hk_pki_cert *ca, const char *cn,
    enum hk_pki_usage usage, unsigned days, struct hk_pki_cert *out);

/** hk_pki_write(c, cert_path, key_path): write the certificate and (if
 * ${key_path} is not NULL) the private key as PEM, each file created
 * exclusively with mode 0600. HK_EEXIST if either exists. */
HK_MUST_CHECK int hk_pki_write(const struct hk_pki_cert *c,
    const char *cert_path, const char *key_path);

/** hk_pki_fingerprint(cert, out): SHA-256 of the certificate's DER. */
HK_MUST_CHECK int hk_pki_fingerprint(X509 *cert, uint8_t out[static 32]);

/** hk_pki_cert_release(c): free the key and certificate; accepts zeros. */
void hk_pki_cert_release(struct hk_pki_cert *c);

#endif
