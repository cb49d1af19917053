/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Unit tests for core/certcheck (REG-4, REG-6, SIG-2, SIG-7). A CA
 * hierarchy is made with the openssl command in a temporary directory: two
 * independent roots, an intermediate under each, and end-entity
 * certificates issued from CSRs built by core/csr (good ones under either
 * root, one expired and one not yet valid via `openssl ca -startdate
 * -enddate`, one with only keyEncipherment, one CA:TRUE, one signed by a
 * non-CA). Each refusal reason is checked, and acceptance with either
 * root, with the details the ledger records compared against the openssl
 * command's view of the same certificate.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "core/certcheck.h"
#include "core/csr.h"

#define YAMADA "\xe5\xb1\xb1\xe7\x94\xb0 \xe5\xa4\xaa\xe9\x83\x8e"

/* The expired certificate's fixed validity. */
#define EXPIRED_FROM "20200101000000Z"
#define EXPIRED_TO "20210101000000Z"
#define EXPIRED_FROM_UNIX 1577836800
#define EXPIRED_TO_UNIX 1609459200

static const char ca_cnf[] =
    "[req]\n"
    "distinguished_name = dn\n"
    "string_mask = utf8only\n"
    "utf8 = yes\n"
    "prompt = no\n"
    "[dn]\n"
    "CN = unused\n"
    "[v3_root]\n"
    "basicConstraints = critical,CA:TRUE\n"
    "keyUsage = critical,keyCertSign,cRLSign\n"
    "subjectKeyIdentifier = hash\n"
    "[v3_inter]\n"
    "basicConstraints = critical,CA:TRUE\n"
    "keyUsage = critical,keyCertSign,cRLSign\n"
    "subjectKeyIdentifier = hash\n"
    "authorityKeyIdentifier = keyid:always\n"
    "[ee_sign]\n"
    "basicConstraints = critical,CA:FALSE\n"
    "keyUsage = critical,nonRepudiation\n"
    "subjectKeyIdentifier = hash\n"
    "authorityKeyIdentifier = keyid:always\n"
    "[ee_ds]\n"
    "basicConstraints = critical,CA:FALSE\n"
    "keyUsage = critical,digitalSignature\n"
    "[ee_noku]\n"
    "basicConstraints = critical,CA:FALSE\n"
    "[ee_kenc]\n"
    "basicConstraints = critical,CA:FALSE\n"
    "keyUsage = critical,keyEncipherment\n"
    "[ee_ca]\n"
    "basicConstraints = critical,CA:TRUE\n"
    "keyUsage = critical,digitalSignature,keyCertSign\n"
    "[ca]\n"
    "default_ca = ca_inter1\n"
    "[ca_inter1]\n"
    "database = index.txt\n"
    "new_certs_dir = newcerts\n"
    "serial = serial\n"
    "certificate = inter1.crt\n"
    "private_key = inter1.key\n"
    "default_md = sha256\n"
    "policy = policy_any\n"
    "unique_subject = no\n"
    "copy_extensions = none\n"
    "email_in_dn = no\n"
    "[policy_any]\n"
    "commonName = supplied\n";

/* A leaf: its key (in memory only, as if in the HSM), SPKI and chain. */
struct leaf {
	EVP_PKEY *key;
	uint8_t spki[HK_CSR_SPKI_MAX];
	size_t spkilen;
	char *chain; /* leaf PEM followed by its intermediate's */
};

static struct {
	char dir[64];
	char *root1, *root2, *inter1, *inter2;
	struct leaf a; /* root1 > inter1, nonRepudiation, Japanese CN */
	struct leaf b; /* root2 > inter2, Ed25519, digitalSignature */
	struct leaf c; /* expired (2020) */
	struct leaf d; /* not yet valid (+30 days) */
	struct leaf e; /* keyEncipherment only */
	struct leaf f; /* CA:TRUE */
	struct leaf g; /* no keyUsage extension */
	struct leaf h; /* issued by a non-CA end entity (fakeca) */
	char *fakeca;  /* CA:FALSE, issued by inter1 */
} T;

static int
soft_sign(
    void *arg, const uint8_t *in, size_t inlen, uint8_t *sig, size_t *siglen)
{
	EVP_PKEY *key = arg;
	EVP_PKEY_CTX *c = NULL;
	EVP_MD_CTX *m = NULL;
	int ok;

	if (EVP_PKEY_is_a(key, "ED25519")) {
		ok = (m = EVP_MD_CTX_new()) != NULL &&
		    EVP_DigestSignInit(m, NULL, NULL, NULL, key) == 1 &&
		    EVP_DigestSign(m, sig, siglen, in, inlen) == 1;
	} else {
		ok = (c = EVP_PKEY_CTX_new(key, NULL)) != NULL &&
		    EVP_PKEY_sign_init(c) == 1 &&
		    EVP_PKEY_sign(c, sig, siglen, in, inlen) == 1;
	}
	EVP_MD_CTX_free(m);
	EVP_PKEY_CTX_free(c);
	return ok ? 0 : HK_ECRYPTO;
}

/* sh(fmt, ...): run a command in the test directory, quietly; its
 * status. */
static int sh(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static int
sh(const char *fmt, ...)
{
	char cmd[4096];
	int n;
	va_list ap;

	n = snprintf(cmd, sizeof(cmd), "cd '%s' && (", T.dir);
	va_start(ap, fmt);
	n += vsnprintf(cmd + n, sizeof(cmd) - (size_t)n, fmt, ap);
	va_end(ap);
	snprintf(cmd + n, sizeof(cmd) - (size_t)n, ") >/dev/null 2>&1");
	return system(cmd);
}

/* slurp(fmt, ...): the test directory's file named by ${fmt},
 * NUL-terminated; NULL if it cannot be read. */
static char *slurp(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static char *
slurp(const char *fmt, ...)
{
	char path[256];
	char *buf;
	long n;
	int k;
	FILE *f;
	va_list ap;

	k = snprintf(path, sizeof(path), "%s/", T.dir);
	va_start(ap, fmt);
	vsnprintf(path + k, sizeof(path) - (size_t)k, fmt, ap);
	va_end(ap);
	if ((f = fopen(path, "r")) == NULL)
		return NULL;
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	fseek(f, 0, SEEK_SET);
	buf = calloc(1, (size_t)n + 1);
	if (buf != NULL && fread(buf, 1, (size_t)n, f) != (size_t)n) {
		free(buf);
		buf = NULL;
	}
	fclose(f);
	return buf;
}

static char *
concat(const char *a, const char *b)
{
	size_t na = strlen(a), nb = strlen(b);
	char *s = malloc(na + nb + 1);

	if (s != NULL) {
		memcpy(s, a, na);
		memcpy(s + na, b, nb + 1);
	}
	return s;
}

/* make_csr(l, keytype, cn, name): a key for ${l} and, through core/csr,
 * the file ${name}.csr. 0 on success. */
static int
make_csr(struct leaf *l, const char *keytype, const char *cn, const char *name)
{
	static struct hk_csr csr;
	struct hk_csr_subject subj = {
	    .country = "JP", .organization = "Hanko", .common_name = cn};
	unsigned char *p;
	char path[256];
	FILE *f;
	int n;

	l->key = strcmp(keytype, "ed25519") == 0
	    ? EVP_PKEY_Q_keygen(NULL, NULL, "ED25519")
	    : EVP_EC_gen("P-256");
	if (l->key == NULL || (n = i2d_PUBKEY(l->key, NULL)) <= 0 ||
	    n > HK_CSR_SPKI_MAX)
		return -1;
	p = l->spki;
	l->spkilen = (size_t)i2d_PUBKEY(l->key, &p);
	if (hk_csr_build(l->spki, l->spkilen, &subj,
	        strcmp(keytype, "ed25519") == 0 ? HK_CSR_ED25519
	                                        : HK_CSR_ECDSA_P256_SHA256,
	        soft_sign, l->key, &csr) != 0)
		return -1;
	snprintf(path, sizeof(path), "%s/%s.csr", T.dir, name);
	if ((f = fopen(path, "w")) == NULL)
		return -1;
	fputs(csr.pem, f);
	return fclose(f);
}

/* issue(l, keytype, cn, name, ca, ext): a leaf certificate ${name}.crt
 * from a core/csr CSR, issued by ${ca} with extension section ${ext}
 * (`openssl x509 -req`); its chain is the leaf then ${ca}.crt. */
static int
issue(struct leaf *l, const char *keytype, const char *cn, const char *name,
    const char *ca, const char *ext)
{
	char *leaf, *inter;

	if (make_csr(l, keytype, cn, name) != 0 ||
	    sh("openssl x509 -req -in %s.csr -CA %s.crt -CAkey %s.key "
	       "-CAcreateserial -extfile ca.cnf -extensions %s -days 365 "
	       "-out %s.crt",
	        name, ca, ca, ext, name) != 0)
		return -1;
	if ((leaf = slurp("%s.crt", name)) == NULL)
		return -1;
	inter = slurp("%s.crt", ca);
	l->chain = inter != NULL ? concat(leaf, inter) : NULL;
	free(leaf);
	free(inter);
	return l->chain != NULL ? 0 : -1;
}

/* issue_dated(l, cn, name, from, to): a leaf from inter1 with a chosen
 * validity (`openssl ca -startdate -enddate`). */
static int
issue_dated(struct leaf *l, const char *cn, const char *name, const char *from,
    const char *to)
{
	char *leaf;

	if (make_csr(l, "ec", cn, name) != 0 ||
	    sh("openssl ca -config ca.cnf -batch -notext -preserveDN "
	       "-extensions ee_sign -extfile ca.cnf -startdate %s -enddate %s "
	       "-in %s.csr -out %s.crt",
	        from, to, name, name) != 0)
		return -1;
	if ((leaf = slurp("%s.crt", name)) == NULL)
		return -1;
	l->chain = concat(leaf, T.inter1);
	free(leaf);
	return l->chain != NULL ? 0 : -1;
}

static int
make_root(const char *name, const char *subj)
{
	return sh("openssl req -x509 -new -config ca.cnf -extensions v3_root "
	          "-newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes "
	          "-keyout %s.key -out %s.crt -days 3650 -subj '%s'",
	    name, name, subj);
}

static int
make_inter(
    const char *name, const char *subj, const char *root, const char *ext)
{
	return sh("openssl req -new -config ca.cnf -newkey ec -pkeyopt "
	          "ec_paramgen_curve:P-256 -nodes -keyout %s.key -out %s.csr "
	          "-subj '%s' && openssl x509 -req -in %s.csr -CA %s.crt "
	          "-CAkey %s.key -CAcreateserial -extfile ca.cnf -extensions "
	          "%s -days 1825 -out %s.crt",
	    name, name, subj, name, root, root, ext, name);
}

static int
setup(void **state)
{
	char from[32], to[32], path[128];
	time_t now = time(NULL), t;
	struct tm tm;
	FILE *f;

	(void)state;
	memset(&T, 0, sizeof(T));
	snprintf(T.dir, sizeof(T.dir), "/tmp/hanko-certcheck-XXXXXX");
	if (mkdtemp(T.dir) == NULL)
		return -1;
	snprintf(path, sizeof(path), "%s/ca.cnf", T.dir);
	if ((f = fopen(path, "w")) == NULL)
		return -1;
	fputs(ca_cnf, f);
	fclose(f);
	if (sh("mkdir newcerts && : > index.txt && echo 1000 > serial") != 0 ||
	    make_root("root1", "/C=JP/O=Root One/CN=Root One CA") != 0 ||
	    make_root("root2", "/C=JP/O=Root Two/CN=Root Two CA") != 0 ||
	    make_inter("inter1", "/C=JP/O=Root One/CN=Inter One CA", "root1",
	        "v3_inter") != 0 ||
	    make_inter("inter2", "/C=JP/O=Root Two/CN=Inter Two CA", "root2",
	        "v3_inter") != 0 ||
	    (T.root1 = slurp("root1.crt")) == NULL ||
	    (T.root2 = slurp("root2.crt")) == NULL ||
	    (T.inter1 = slurp("inter1.crt")) == NULL ||
	    (T.inter2 = slurp("inter2.crt")) == NULL)
		return -1;
	/* A non-CA end entity of inter1, which then "issues" leaf h. */
	if (make_inter("fakeca", "/C=JP/O=Root One/CN=Not A CA", "inter1",
	        "ee_ds") != 0 ||
	    (T.fakeca = slurp("fakeca.crt")) == NULL)
		return -1;
	t = now + 30 * 86400;
	strftime(from, sizeof(from), "%Y%m%d%H%M%SZ", gmtime_r(&t, &tm));
	t = now + 400 * 86400;
	strftime(to, sizeof(to), "%Y%m%d%H%M%SZ", gmtime_r(&t, &tm));
	if (issue(&T.a, "ec", YAMADA, "a", "inter1", "ee_sign") != 0 ||
	    issue(&T.b, "ed25519", "Seal B", "b", "inter2", "ee_ds") != 0 ||
	    issue_dated(&T.c, "Expired C", "c", EXPIRED_FROM, EXPIRED_TO) !=
	        0 ||
	    issue_dated(&T.d, "Future D", "d", from, to) != 0 ||
	    issue(&T.e, "ec", "Kenc E", "e", "inter1", "ee_kenc") != 0 ||
	    issue(&T.f, "ec", "CA F", "f", "inter1", "ee_ca") != 0 ||
	    issue(&T.g, "ec", "NoKU G", "g", "inter1", "ee_noku") != 0 ||
	    issue(&T.h, "ec", "Fake H", "h", "fakeca", "ee_sign") != 0)
		return -1;
	return 0;
}

static void
leaf_free(struct leaf *l)
{
	EVP_PKEY_free(l->key);
	free(l->chain);
}

static int
teardown(void **state)
{
	(void)state;
	leaf_free(&T.a);
	leaf_free(&T.b);
	leaf_free(&T.c);
	leaf_free(&T.d);
	leaf_free(&T.e);
	leaf_free(&T.f);
	leaf_free(&T.g);
	leaf_free(&T.h);
	free(T.root1);
	free(T.root2);
	free(T.inter1);
	free(T.inter2);
	free(T.fakeca);
	if (T.dir[0] != '\0') {
		char cmd[128];

		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", T.dir);
		return system(cmd) == 0 ? 0 : -1;
	}
	return 0;
}

/* store_of(pems...): a store with each NULL-terminated argument added by
 * its own call (one CA file each). */
static struct hk_certcheck_store *
store_of(const char *first, ...)
{
	struct hk_certcheck_store *s = hk_certcheck_store_new();
	const char *p;
	va_list ap;

	assert_non_null(s);
	va_start(ap, first);
	for (p = first; p != NULL; p = va_arg(ap, const char *))
		assert_int_equal(
		    hk_certcheck_store_add_pem(s, p, strlen(p)), 0);
	va_end(ap);
	return s;
}

/* check(s, chain, l, now, reason): hk_certcheck_chain for leaf ${l}'s
 * key; returns the result, *${reason} set. */
static int
check(struct hk_certcheck_store *s, const char *chain, const struct leaf *l,
    int64_t now, enum hk_certcheck_reason *reason,
    struct hk_certcheck_info *info)
{
	return hk_certcheck_chain(
	    s, chain, strlen(chain), l->spki, l->spkilen, now, info, reason);
}

static void
test_SIG7_accepted_with_either_root(void **state)
{
	struct hk_certcheck_store *both, *one, *two, *bundle;
	struct hk_certcheck_info info;
	enum hk_certcheck_reason why = HK_CERTCHECK_INTERNAL;
	int64_t now = (int64_t)time(NULL);
	char *roots;

	(void)state;
	both = store_of(T.root1, T.root2, NULL);
	assert_int_equal(hk_certcheck_store_count(both), 2);
	assert_int_equal(check(both, T.a.chain, &T.a, now, &why, &info), 0);
	assert_int_equal(why, HK_CERTCHECK_OK);
	assert_int_equal(check(both, T.b.chain, &T.b, now, &why, &info), 0);
	/* One bundle file holding both roots works the same. */
	assert_non_null(roots = concat(T.root1, T.root2));
	bundle = store_of(roots, NULL);
	assert_int_equal(hk_certcheck_store_count(bundle), 2);
	assert_int_equal(check(bundle, T.a.chain, &T.a, now, &why, &info), 0);
	assert_int_equal(check(bundle, T.b.chain, &T.b, now, &why, &info), 0);
	/* Each root alone accepts its own chain and nothing else. */
	one = store_of(T.root1, NULL);
	two = store_of(T.root2, NULL);
	assert_int_equal(check(one, T.a.chain, &T.a, now, &why, &info), 0);
	assert_int_equal(
	    check(one, T.b.chain, &T.b, now, &why, &info), HK_EVERIFY);
	assert_int_equal(why, HK_CERTCHECK_UNTRUSTED);
	assert_int_equal(check(two, T.b.chain, &T.b, now, &why, &info), 0);
	assert_int_equal(
	    check(two, T.a.chain, &T.a, now, &why, &info), HK_EVERIFY);
	assert_int_equal(why, HK_CERTCHECK_UNTRUSTED);
	/* Leaves without any keyUsage, or with digitalSignature, pass. */
	assert_int_equal(check(one, T.g.chain, &T.g, now, &why, &info), 0);
	free(roots);
	hk_certcheck_store_free(both);
	hk_certcheck_store_free(bundle);
	hk_certcheck_store_free(one);
	hk_certcheck_store_free(two);
	hk_certcheck_store_free(NULL);
}

/* openssl_field(cert, opt, out): the value printed by `openssl x509
 * -noout ${opt}` after its '='. */
static void
openssl_field(const char *cert, const char *opt, char *out, size_t n)
{
	char cmd[512], line[1024], *eq;
	FILE *p;

	snprintf(cmd, sizeof(cmd), "openssl x509 -noout %s -in '%s/%s'", opt,
	    T.dir, cert);
	assert_non_null(p = popen(cmd, "r"));
	assert_non_null(fgets(line, sizeof(line), p));
	assert_int_equal(pclose(p), 0);
	line[strcspn(line, "\n")] = '\0';
	assert_non_null(eq = strchr(line, '='));
	snprintf(out, n, "%s", eq + 1);
}

/* unix_of(t): ${t} in unix seconds through ASN1_TIME_diff, independent of
 * the module's own conversion. */
static int64_t
unix_of(const ASN1_TIME *t)
{
	ASN1_TIME *epoch = ASN1_TIME_set(NULL, 0);
	int days = 0, secs = 0;

	assert_non_null(epoch);
	assert_int_equal(ASN1_TIME_diff(&days, &secs, epoch, t), 1);
	ASN1_TIME_free(epoch);
	return (int64_t)days * 86400 + secs;
}

static void
test_REG6_details_for_the_ledger(void **state)
{
	struct hk_certcheck_store *s = store_of(T.root1, NULL);
	struct hk_certcheck_info info;
	enum hk_certcheck_reason why;
	char want[1024], got[200];
	X509 *x;
	BIO *b;
	size_t i, j;

	(void)state;
	assert_int_equal(
	    check(s, T.a.chain, &T.a, (int64_t)time(NULL), &why, &info), 0);
	assert_int_equal(info.chain_len, 2);
	assert_string_equal(info.subject, "CN=" YAMADA ",O=Hanko,C=JP");
	assert_string_equal(info.issuer, "CN=Inter One CA,O=Root One,C=JP");
	/* Fingerprint: as `openssl x509 -fingerprint -sha256` shows it. */
	openssl_field("a.crt", "-fingerprint -sha256", want, sizeof(want));
	for (i = 0, j = 0; i < sizeof(info.fingerprint); i++)
		j += (size_t)snprintf(got + j, sizeof(got) - j, "%s%02X",
		    i ? ":" : "", info.fingerprint[i]);
	assert_string_equal(got, want);
	/* Serial: as `openssl x509 -serial` shows it, in lower case. */
	openssl_field("a.crt", "-serial", want, sizeof(want));
	assert_int_equal(strcasecmp(info.serial, want), 0);
	for (i = 0; info.serial[i] != '\0'; i++)
		assert_false(info.serial[i] >= 'A' && info.serial[i] <= 'F');
	/* Validity, converted independently. */
	assert_non_null(b = BIO_new_mem_buf(T.a.chain, -1));
	assert_non_null(x = PEM_read_bio_X509(b, NULL, NULL, NULL));
	assert_int_equal(info.not_before, unix_of(X509_get0_notBefore(x)));
	assert_int_equal(info.not_after, unix_of(X509_get0_notAfter(x)));
	assert_int_equal(info.not_after - info.not_before, 365 * 86400);
	X509_free(x);
	BIO_free(b);
	hk_certcheck_store_free(s);
}

static void
test_REG4_wrong_key_refused(void **state)
{
	struct hk_certcheck_store *s = store_of(T.root1, T.root2, NULL);
	struct hk_certcheck_info info;
	enum hk_certcheck_reason why;
	int64_t now = (int64_t)time(NULL);

	(void)state;
	/* Leaf a's chain presented for the credential holding key b (and
	 * for one holding key g: same curve, another key). */
	memset(&info, 0x5a, sizeof(info));
	assert_int_equal(
	    check(s, T.a.chain, &T.b, now, &why, &info), HK_EVERIFY);
	assert_int_equal(why, HK_CERTCHECK_WRONG_KEY);
	assert_int_equal(info.chain_len, 0);
	assert_string_equal(info.subject, "");
	assert_int_equal(
	    check(s, T.a.chain, &T.g, now, &why, &info), HK_EVERIFY);
	assert_int_equal(why, HK_CERTCHECK_WRONG_KEY);
	/* A truncated SPKI is not the key either. */
	assert_int_equal(hk_certcheck_chain(s, T.a.chain, strlen(T.a.chain),
	                     T.a.spki, T.a.spkilen - 1, now, &info, &why),
	    HK_EVERIFY);
	assert_int_equal(why, HK_CERTCHECK_WRONG_KEY);
	hk_certcheck_store_free(s);
}

static void
test_REG6_validity_refused(void **state)
{
	struct hk_certcheck_store *s = store_of(T.root1, NULL);
	struct hk_certcheck_info info;
	enum hk_certcheck_reason why;
	int64_t now = (int64_t)time(NULL);

	(void)state;
	assert_int_equal(
	    check(s, T.c.chain, &T.c, now, &why, &info), HK_EVERIFY);
	assert_int_equal(why, HK_CERTCHECK_EXPIRED);
	assert_int_equal(
	    check(s, T.d.chain, &T.d, now, &why, &info), HK_EVERIFY);
	assert_int_equal(why, HK_CERTCHECK_NOT_YET_VALID);
	/* The good leaf, a year and a day from now, and a day ago. */
	assert_int_equal(
	    check(s, T.a.chain, &T.a, now + 366 * 86400, &why, &info),
	    HK_EVERIFY);
	assert_int_equal(why, HK_CERTCHECK_EXPIRED);
	assert_int_equal(
	    check(s, T.a.chain, &T.a, now - 86400, &why, &info), HK_EVERIFY);
	assert_int_equal(why, HK_CERTCHECK_NOT_YET_VALID);
	/* The future leaf inside its own validity is fine: the check uses
	 * the time given, for every certificate and for the chain. */
	assert_int_equal(
	    check(s, T.d.chain, &T.d, now + 60 * 86400, &why, &info), 0);
	hk_certcheck_store_free(s);
}

static void
test_REG6_key_usage_and_ca_refused(void **state)
{
	struct hk_certcheck_store *s = store_of(T.root1, NULL);
	struct hk_certcheck_info info;
	enum hk_certcheck_reason why;
	int64_t now = (int64_t)time(NULL);

	(void)state;
	assert_int_equal(
	    check(s, T.e.chain, &T.e, now, &why, &info), HK_EVERIFY);
	assert_int_equal(why, HK_CERTCHECK_KEY_USAGE);
	assert_int_equal(
	    check(s, T.f.chain, &T.f, now, &why, &info), HK_EVERIFY);
	assert_int_equal(why, HK_CERTCHECK_IS_CA);
	hk_certcheck_store_free(s);
}

/* tampered(pem): ${pem} with the last byte of its first certificate's DER
 * (inside the signature) changed; caller frees. */
static char *
tampered(const char *pem, const char *rest)
{
	unsigned char *der = NULL;
	char *name = NULL, *header = NULL, *out, *p;
	BIO *in, *mem;
	long len, n;

	assert_non_null(in = BIO_new_mem_buf(pem, -1));
	assert_int_equal(PEM_read_bio(in, &name, &header, &der, &len), 1);
	der[len - 1] ^= 0x01;
	assert_non_null(mem = BIO_new(BIO_s_mem()));
	assert_true(PEM_write_bio(mem, "CERTIFICATE", "", der, len) > 0);
	n = BIO_get_mem_data(mem, &p);
	assert_non_null(out = calloc(1, (size_t)n + strlen(rest) + 1));
	memcpy(out, p, (size_t)n);
	strcat(out, rest);
	BIO_free(mem);
	BIO_free(in);
	OPENSSL_free(der);
	OPENSSL_free(name);
	OPENSSL_free(header);
	return out;
}

static void
test_REG6_untrusted_and_invalid_chains(void **state)
{
	struct hk_certcheck_store *s = store_of(T.root1, NULL);
	struct hk_certcheck_info info;
	enum hk_certcheck_reason why;
	int64_t now = (int64_t)time(NULL);
	char *leaf_only, *chain, *bad;
	size_t n;

	(void)state;
	/* Without its intermediate, the leaf has an unknown issuer. */
	n = strstr(T.a.chain, "-----END CERTIFICATE-----") - T.a.chain + 26;
	assert_non_null(leaf_only = strndup(T.a.chain, n));
	assert_int_equal(
	    check(s, leaf_only, &T.a, now, &why, &info), HK_EVERIFY);
	assert_int_equal(why, HK_CERTCHECK_UNTRUSTED);
	/* The intermediate of the other hierarchy does not help. */
	assert_non_null(chain = concat(leaf_only, T.inter2));
	assert_int_equal(check(s, chain, &T.a, now, &why, &info), HK_EVERIFY);
	assert_int_equal(why, HK_CERTCHECK_UNTRUSTED);
	free(chain);
	/* The root itself in the chain is fine (it is trusted anyway)... */
	assert_non_null(chain = concat(T.a.chain, T.root1));
	assert_int_equal(check(s, chain, &T.a, now, &why, &info), 0);
	assert_int_equal(info.chain_len, 3);
	free(chain);
	/* ...but another root presented in the chain is not trusted. */
	assert_non_null(chain = concat(T.b.chain, T.root2));
	assert_int_equal(check(s, chain, &T.b, now, &why, &info), HK_EVERIFY);
	assert_int_equal(why, HK_CERTCHECK_UNTRUSTED);
	free(chain);
	/* A path through an end entity acting as a CA. */
	assert_non_null(chain = concat(T.h.chain, T.inter1));
	assert_int_equal(check(s, chain, &T.h, now, &why, &info), HK_EVERIFY);
	assert_int_equal(why, HK_CERTCHECK_CHAIN_INVALID);
	free(chain);
	/* A leaf whose signature was altered. */
	bad = tampered(T.a.chain, T.inter1);
	assert_int_equal(check(s, bad, &T.a, now, &why, &info), HK_EVERIFY);
	assert_int_equal(why, HK_CERTCHECK_CHAIN_INVALID);
	free(bad);
	/* An empty store trusts nothing. */
	hk_certcheck_store_free(s);
	assert_non_null(s = hk_certcheck_store_new());
	assert_int_equal(hk_certcheck_store_count(s), 0);
	assert_int_equal(
	    check(s, T.a.chain, &T.a, now, &why, &info), HK_EVERIFY);
	assert_int_equal(why, HK_CERTCHECK_UNTRUSTED);
	free(leaf_only);
	hk_certcheck_store_free(s);
}

static void
test_REG6_malformed_empty_too_many(void **state)
{
	static const char bad_b64[] = "-----BEGIN CERTIFICATE-----\n"
	                              "not*base64\n"
	                              "-----END CERTIFICATE-----\n";
	static const char not_der[] = "-----BEGIN CERTIFICATE-----\n"
	                              "aGVsbG8gd29ybGQ=\n"
	                              "-----END CERTIFICATE-----\n";
	struct hk_certcheck_store *s = store_of(T.root1, NULL);
	struct hk_certcheck_info info;
	enum hk_certcheck_reason why;
	int64_t now = (int64_t)time(NULL);
	char *p, *many, *key, *big;
	size_t i, n;

	(void)state;
	assert_int_equal(check(s, "", &T.a, now, &why, &info), HK_EINVAL);
	assert_int_equal(why, HK_CERTCHECK_EMPTY);
	assert_int_equal(
	    check(s, " \n\t\r\n", &T.a, now, &why, &info), HK_EINVAL);
	assert_int_equal(why, HK_CERTCHECK_EMPTY);
	assert_int_equal(check(s, "hello", &T.a, now, &why, &info), HK_EINVAL);
	assert_int_equal(why, HK_CERTCHECK_MALFORMED);
	assert_int_equal(check(s, bad_b64, &T.a, now, &why, &info), HK_EINVAL);
	assert_int_equal(why, HK_CERTCHECK_MALFORMED);
	assert_int_equal(check(s, not_der, &T.a, now, &why, &info), HK_EINVAL);
	assert_int_equal(why, HK_CERTCHECK_MALFORMED);
	/* Truncated inside the first certificate. */
	assert_non_null(p = strndup(T.a.chain, 200));
	assert_int_equal(check(s, p, &T.a, now, &why, &info), HK_EINVAL);
	assert_int_equal(why, HK_CERTCHECK_MALFORMED);
	free(p);
	/* A private key among the certificates. */
	assert_non_null(key = slurp("root1.key"));
	assert_non_null(p = concat(T.a.chain, key));
	assert_int_equal(check(s, p, &T.a, now, &why, &info), HK_EINVAL);
	assert_int_equal(why, HK_CERTCHECK_MALFORMED);
	free(p);
	free(key);
	/* Text around the blocks is ignored (as `openssl x509 -text` makes
	 * it). */
	assert_non_null(p = concat("Certificate for Yamada:\n", T.a.chain));
	assert_non_null(many = concat(p, "\n-- end --\n"));
	assert_int_equal(check(s, many, &T.a, now, &why, &info), 0);
	free(p);
	free(many);
	/* Eight certificates are the most: nine are refused. */
	n = strlen(T.inter1);
	assert_non_null(many = calloc(1, strlen(T.a.chain) + 8 * n + 1));
	strcpy(many, T.a.chain);
	for (i = 0; i < 6; i++)
		strcat(many, T.inter1);
	assert_int_equal(check(s, many, &T.a, now, &why, &info), 0);
	assert_int_equal(info.chain_len, 8);
	strcat(many, T.inter1);
	assert_int_equal(check(s, many, &T.a, now, &why, &info), HK_ETOOBIG);
	assert_int_equal(why, HK_CERTCHECK_TOO_MANY);
	free(many);
	/* More than HK_CERTCHECK_PEM_MAX bytes, even of padding. */
	assert_non_null(big = calloc(1, HK_CERTCHECK_PEM_MAX + 2));
	memset(big, '\n', HK_CERTCHECK_PEM_MAX + 1);
	memcpy(big, T.a.chain, strlen(T.a.chain));
	assert_int_equal(check(s, big, &T.a, now, &why, &info), HK_ETOOBIG);
	assert_int_equal(why, HK_CERTCHECK_TOO_MANY);
	free(big);
	hk_certcheck_store_free(s);
}

static void
test_SIG7_store_takes_only_self_signed_cas(void **state)
{
	struct hk_certcheck_store *s = hk_certcheck_store_new();
	char *bundle;

	(void)state;
	assert_non_null(s);
	assert_int_equal(hk_certcheck_store_add_pem(s, "", 0), HK_EINVAL);
	assert_int_equal(hk_certcheck_store_add_pem(s, "junk", 4), HK_EINVAL);
	/* An intermediate is a CA but not self-signed; a leaf is neither. */
	assert_int_equal(
	    hk_certcheck_store_add_pem(s, T.inter1, strlen(T.inter1)),
	    HK_EINVAL);
	assert_int_equal(
	    hk_certcheck_store_add_pem(s, T.a.chain, strlen(T.a.chain)),
	    HK_EINVAL);
	/* All or nothing: root1 is not added with the intermediate. */
	assert_non_null(bundle = concat(T.root1, T.inter1));
	assert_int_equal(
	    hk_certcheck_store_add_pem(s, bundle, strlen(bundle)), HK_EINVAL);
	assert_int_equal(hk_certcheck_store_count(s), 0);
	free(bundle);
	assert_int_equal(
	    hk_certcheck_store_add_pem(s, T.root1, strlen(T.root1)), 0);
	assert_int_equal(hk_certcheck_store_count(s), 1);
	/* Adding the same root again changes nothing. */
	assert_int_equal(
	    hk_certcheck_store_add_pem(s, T.root1, strlen(T.root1)), 0);
	assert_int_equal(hk_certcheck_store_count(s), 1);
	hk_certcheck_store_free(s);
}

static void
test_SIG2_validity_at_signing_time(void **state)
{
	enum hk_certcheck_reason why = HK_CERTCHECK_INTERNAL;
	char *leaf_c;
	size_t n;

	(void)state;
	/* Both ends inclusive. */
	assert_int_equal(hk_certcheck_period(100, 200, 100, &why), 0);
	assert_int_equal(why, HK_CERTCHECK_OK);
	assert_int_equal(hk_certcheck_period(100, 200, 200, &why), 0);
	assert_int_equal(hk_certcheck_period(100, 200, 99, &why), HK_EVERIFY);
	assert_int_equal(why, HK_CERTCHECK_NOT_YET_VALID);
	assert_int_equal(hk_certcheck_period(100, 200, 201, &why), HK_EVERIFY);
	assert_int_equal(why, HK_CERTCHECK_EXPIRED);
	/* From the stored PEM of the expired leaf, to the second. */
	n = strstr(T.c.chain, "-----END CERTIFICATE-----") - T.c.chain + 26;
	assert_non_null(leaf_c = strndup(T.c.chain, n));
	assert_int_equal(
	    hk_certcheck_valid_at(leaf_c, n, EXPIRED_FROM_UNIX, &why), 0);
	assert_int_equal(
	    hk_certcheck_valid_at(leaf_c, n, EXPIRED_TO_UNIX, &why), 0);
	assert_int_equal(
	    hk_certcheck_valid_at(leaf_c, n, EXPIRED_FROM_UNIX - 1, &why),
	    HK_EVERIFY);
	assert_int_equal(why, HK_CERTCHECK_NOT_YET_VALID);
	assert_int_equal(
	    hk_certcheck_valid_at(leaf_c, n, EXPIRED_TO_UNIX + 1, &why),
	    HK_EVERIFY);
	assert_int_equal(why, HK_CERTCHECK_EXPIRED);
	/* Now: expired; the good chain is valid; every certificate counts. */
	assert_int_equal(
	    hk_certcheck_valid_at(leaf_c, n, (int64_t)time(NULL), &why),
	    HK_EVERIFY);
	assert_int_equal(hk_certcheck_valid_at(T.a.chain, strlen(T.a.chain),
	                     (int64_t)time(NULL), &why),
	    0);
	/* Five years and a day from now, inter1 (1825 days) has expired. */
	assert_int_equal(hk_certcheck_valid_at(T.inter1, strlen(T.inter1),
	                     (int64_t)time(NULL) + 1826 * 86400, &why),
	    HK_EVERIFY);
	assert_int_equal(why, HK_CERTCHECK_EXPIRED);
	assert_int_equal(hk_certcheck_valid_at("", 0, 0, &why), HK_EINVAL);
	assert_int_equal(why, HK_CERTCHECK_EMPTY);
	free(leaf_c);
}

static void
test_REG6_every_reason_has_a_message(void **state)
{
	const char *names[HK_CERTCHECK_INTERNAL + 1];
	int i, j;

	(void)state;
	for (i = 0; i <= HK_CERTCHECK_INTERNAL; i++) {
		names[i] = hk_certcheck_reason_name(i);
		assert_string_not_equal(names[i], "unknown");
		assert_true(strlen(hk_certcheck_reason_text(i)) > 10);
		for (j = 0; j < i; j++) {
			assert_string_not_equal(names[i], names[j]);
			assert_string_not_equal(hk_certcheck_reason_text(i),
			    hk_certcheck_reason_text(j));
		}
	}
	assert_string_equal(hk_certcheck_reason_name(99), "unknown");
	assert_string_equal(
	    hk_certcheck_reason_name(HK_CERTCHECK_WRONG_KEY), "wrong_key");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_SIG7_accepted_with_either_root),
	    cmocka_unit_test(test_REG6_details_for_the_ledger),
	    cmocka_unit_test(test_REG4_wrong_key_refused),
	    cmocka_unit_test(test_REG6_validity_refused),
	    cmocka_unit_test(test_REG6_key_usage_and_ca_refused),
	    cmocka_unit_test(test_REG6_untrusted_and_invalid_chains),
	    cmocka_unit_test(test_REG6_malformed_empty_too_many),
	    cmocka_unit_test(test_SIG7_store_takes_only_self_signed_cas),
	    cmocka_unit_test(test_SIG2_validity_at_signing_time),
	    cmocka_unit_test(test_REG6_every_reason_has_a_message),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
