/* SPDX-License-Identifier: Apache-2.0 */
/* pki: certificates for the embedded default (see pki.h). NET-2, OPS-5. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include "core/log.h"
#include "core/pki.h"

static int
add_ext(X509 *cert, X509 *issuer, int nid, const char *value)
{
	X509V3_CTX ctx;
	X509_EXTENSION *ext;
	int ok;

	X509V3_set_ctx(&ctx, issuer, cert, NULL, NULL, 0);
	if ((ext = X509V3_EXT_conf_nid(NULL, &ctx, nid, value)) == NULL)
		return 0;
	ok = X509_add_ext(cert, ext, -1);
	X509_EXTENSION_free(ext);
	return ok == 1;
}

/** hk_pki_issue(ca, cn, usage, days, out): a key and its certificate. */
int
hk_pki_issue(const struct hk_pki_cert *ca, const char *cn,
    enum hk_pki_usage usage, unsigned days, struct hk_pki_cert *out)
{
	X509_NAME *name = NULL;
	BIGNUM *serial = NULL;
	X509 *issuer_cert;
	EVP_PKEY *issuer_key;
	struct hk_pki_cert c = {NULL, NULL};
	int r = HK_ECRYPTO;

	if ((ca == NULL) != (usage == HK_PKI_CA) || cn == NULL || cn[0] == '\0')
		return HK_EINVAL;
	if ((c.key = EVP_EC_gen("P-256")) == NULL ||
	    (c.cert = X509_new()) == NULL || (serial = BN_new()) == NULL ||
	    (name = X509_NAME_new()) == NULL)
		goto out;
	issuer_cert = ca != NULL ? ca->cert : c.cert;
	issuer_key = ca != NULL ? ca->key : c.key;
	/* 127 random bits: positive, and unpredictable to the subject. */
	if (BN_rand(serial, 127, BN_RAND_TOP_ANY, BN_RAND_BOTTOM_ANY) != 1 ||
	    BN_to_ASN1_INTEGER(serial, X509_get_serialNumber(c.cert)) == NULL ||
	    X509_set_version(c.cert, 2) != 1 ||
	    X509_gmtime_adj(X509_getm_notBefore(c.cert), -300) == NULL ||
	    X509_gmtime_adj(X509_getm_notAfter(c.cert),
		(long)days * 86400L) == NULL ||
	    X509_NAME_add_entry_by_txt(name, "O", MBSTRING_UTF8,
		(const unsigned char *)"Hanko", -1, -1, 0) != 1 ||
	    X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8,
		(const unsigned char *)cn, -1, -1, 0) != 1 ||
	    X509_set_subject_name(c.cert, name) != 1 ||
	    X509_set_issuer_name(c.cert, X509_get_subject_name(issuer_cert)) !=
		1 ||
	    X509_set_pubkey(c.cert, c.key) != 1)
		goto out;
	if (!add_ext(c.cert, issuer_cert, NID_subject_key_identifier, "hash") ||
	    !add_ext(c.cert, issuer_cert, NID_authority_key_identifier,
		"keyid:always"))
		goto out;
	switch (usage) {
	case HK_PKI_CA:
		if (!add_ext(c.cert, issuer_cert, NID_basic_constraints,
			"critical,CA:TRUE,pathlen:0") ||
		    !add_ext(c.cert, issuer_cert, NID_key_usage,
			"critical,keyCertSign,cRLSign"))
			goto out;
		break;
	case HK_PKI_SERVER:
		if (!add_ext(c.cert, issuer_cert, NID_basic_constraints,
			"critical,CA:FALSE") ||
		    !add_ext(c.cert, issuer_cert, NID_key_usage,
			"critical,digitalSignature") ||
		    !add_ext(c.cert, issuer_cert, NID_ext_key_usage,
			"serverAuth") ||
		    !add_ext(c.cert, issuer_cert, NID_subject_alt_name,
			"DNS:localhost,IP:127.0.0.1,IP:::1"))
			goto out;
		break;
	case HK_PKI_CLIENT:
		if (!add_ext(c.cert, issuer_cert, NID_basic_constraints,
			"critical,CA:FALSE") ||
		    !add_ext(c.cert, issuer_cert, NID_key_usage,
			"critical,digitalSignature") ||
		    !add_ext(c.cert, issuer_cert, NID_ext_key_usage,
			"clientAuth"))
			goto out;
		break;
	}
	if (X509_sign(c.cert, issuer_key, EVP_sha256()) <= 0)
		goto out;
	*out = c;
	c.key = NULL;
	c.cert = NULL;
	r = 0;
out:
	if (r != 0)
		hk_error_f("cannot issue the certificate for %s", cn);
	hk_pki_cert_release(&c);
	X509_NAME_free(name);
	BN_free(serial);
	return r;
}

static FILE *
create_0600(const char *path)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	FILE *f;

	if (fd < 0) {
		hk_error_f("create %s: %s", path, strerror(errno));
		return NULL;
	}
	if ((f = fdopen(fd, "w")) == NULL)
		close(fd);
	return f;
}

/** hk_pki_write(c, cert_path, key_path): PEM files, 0600, exclusive. */
int
hk_pki_write(const struct hk_pki_cert *c, const char *cert_path,
    const char *key_path)
{
	FILE *f;
	int ok;

	if (access(cert_path, F_OK) == 0 ||
	    (key_path != NULL && access(key_path, F_OK) == 0))
		return HK_EEXIST;
	if ((f = create_0600(cert_path)) == NULL)
		return HK_EIO;
	ok = PEM_write_X509(f, c->cert) == 1;
	ok = fclose(f) == 0 && ok;
	if (!ok)
		return HK_EIO;
	if (key_path == NULL)
		return 0;
	if ((f = create_0600(key_path)) == NULL)
		return HK_EIO;
	ok = PEM_write_PrivateKey(f, c->key, NULL, NULL, 0, NULL, NULL) == 1;
	ok = fclose(f) == 0 && ok;
	return ok ? 0 : HK_EIO;
}

/** hk_pki_fingerprint(cert, out): SHA-256 of the certificate's DER. */
int
hk_pki_fingerprint(X509 *cert, uint8_t out[static 32])
{
	unsigned int n = 32;

	return X509_digest(cert, EVP_sha256(), out, &n) == 1 && n == 32 ?
	    0 : HK_ECRYPTO;
}

/** hk_pki_cert_release(c): free the key and certificate. */
void
hk_pki_cert_release(struct hk_pki_cert *c)
{
	EVP_PKEY_free(c->key);
	X509_free(c->cert);
	c->key = NULL;
	c->cert = NULL;
}
