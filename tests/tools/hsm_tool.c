/* SPDX-License-Identifier: Apache-2.0 */
/*
 * hsm_tool: a test driver for hsm/ used by tests/integration/2*-hsm-*.sh
 * (REG-3, REG-4, END-3). It generates, signs with and destroys keys through
 * the adapter so that the scripts can check the results with tools that
 * know nothing of Hanko (openssl pkeyutl, pkcs11-tool). Not installed: in
 * the product these operations happen only through the core, which records
 * them in the ledger.
 *
 *   hsm_tool gen     OPTS --alg ALG [--label L] --spki FILE   prints the id
 *   hsm_tool sign    OPTS --id HEX --scheme S [--hash H] --in FILE --out FILE
 *   hsm_tool destroy OPTS --id HEX
 * OPTS: [--module PATH] --token LABEL --pin-file PATH.
 * ALG: p256 p384 rsa2048 rsa3072 ed25519; S: ecdsa pkcs1 pss ed25519;
 * H: sha256 (default) sha384 sha512. --in holds the digest (raw bytes) or,
 * for ed25519, the message.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/cli.h"
#include "core/codec.h"
#include "hsm/hsm.h"

static int
slurp(const char *path, uint8_t *buf, size_t max, size_t *n)
{
	FILE *f = fopen(path, "rb");

	if (f == NULL) {
		perror(path);
		return -1;
	}
	*n = fread(buf, 1, max, f);
	fclose(f);
	return 0;
}

static int
spit(const char *path, const uint8_t *buf, size_t n)
{
	FILE *f = fopen(path, "wb");

	if (f == NULL || fwrite(buf, 1, n, f) != n || fclose(f) != 0) {
		perror(path);
		return -1;
	}
	return 0;
}

int
main(int argc, char **argv)
{
	const char *usage = "hsm_tool gen|sign|destroy [--module PATH] "
			    "--token LABEL --pin-file PATH ...";
	const char *module = NULL, *token = NULL, *pin = NULL, *alg = NULL;
	const char *label = NULL, *spki = NULL, *idhex = NULL, *scheme = NULL;
	const char *hash = "sha256", *in = NULL, *out = NULL;
	const struct cli_opt opts[] = {{"module", &module}, {"token", &token},
	    {"pin-file", &pin}, {"alg", &alg}, {"label", &label},
	    {"spki", &spki}, {"id", &idhex}, {"scheme", &scheme},
	    {"hash", &hash}, {"in", &in}, {"out", &out}, {NULL, NULL}};
	struct hsm_opts o;
	struct hsm_pool *p = NULL;
	struct hsm_keyinfo ki;
	static uint8_t buf[HSM_MSG_MAX];
	uint8_t id[HSM_KEYID_LEN], sig[HSM_SIG_MAX];
	char hex[2 * HSM_KEYID_LEN + 1];
	enum hsm_scheme sc;
	enum hsm_hash h;
	size_t n = 0, siglen = 0;
	int r = 0, rc = 2;

	if (argc < 2 || cli_parse(argc - 2, argv + 2, opts, usage) != 0)
		return 2;
	memset(&o, 0, sizeof(o));
	o.module = module;
	o.token = token;
	o.pin_file = pin;
	o.sessions = 2;
	if (idhex != NULL && (hk_hex_decode(id, sizeof(id), idhex,
				  strlen(idhex), &n) != 0 ||
				 n != HSM_KEYID_LEN)) {
		fprintf(stderr, "hsm_tool: bad --id\n");
		return 2;
	}
	if ((r = hsm_pool_new(&o, &p)) != 0) {
		fprintf(stderr, "hsm_tool: %s\n", hk_strerror(r));
		return 2;
	}
	if (strcmp(argv[1], "gen") == 0 && alg != NULL && spki != NULL) {
		if ((r = hsm_key_generate(p, hsm_alg_from_name(alg), label, 0,
			 &ki)) != 0 ||
		    spit(spki, ki.spki, ki.spki_len) != 0)
			goto out;
		hk_hex_encode(hex, ki.id, HSM_KEYID_LEN);
		printf("%s\n", hex);
		rc = 0;
	} else if (strcmp(argv[1], "sign") == 0 && idhex && scheme && in &&
	    out) {
		sc = strcmp(scheme, "ecdsa") == 0 ? HSM_SIG_ECDSA
		    : strcmp(scheme, "pkcs1") == 0 ? HSM_SIG_RSA_PKCS1
		    : strcmp(scheme, "pss") == 0   ? HSM_SIG_RSA_PSS
						   : HSM_SIG_ED25519;
		h = sc == HSM_SIG_ED25519	     ? HSM_HASH_NONE
		    : strcmp(hash, "sha384") == 0 ? HSM_HASH_SHA384
		    : strcmp(hash, "sha512") == 0 ? HSM_HASH_SHA512
						  : HSM_HASH_SHA256;
		if (slurp(in, buf, sizeof(buf), &n) != 0 ||
		    (r = hsm_key_sign(p, id, sc, h, buf, n, sig, &siglen)) !=
			0 ||
		    spit(out, sig, siglen) != 0)
			goto out;
		rc = 0;
	} else if (strcmp(argv[1], "destroy") == 0 && idhex != NULL) {
		if ((r = hsm_key_destroy(p, id)) != 0)
			goto out;
		rc = 0;
	} else {
		fprintf(stderr, "usage: %s\n", usage);
	}
out:
	if (r != 0)
		fprintf(stderr, "hsm_tool: %s: %s\n", argv[1], hk_strerror(r));
	hsm_pool_free(p);
	return rc;
}
