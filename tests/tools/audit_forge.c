/* SPDX-License-Identifier: Apache-2.0 */
/*
 * audit_forge: a test tool (never installed) that writes audit bundles
 * breaking exactly one rule of `hanko audit verify` each
 * (tests/unit/audit_forge.h; tests/integration/40-audit.sh).
 *
 *   audit_forge --list
 *       one line per scenario: NAME<TAB>expected message ("-" for ok)
 *   audit_forge --key FILE --other FILE --vkey
 *       print the verifier key of the checkpoint key FILE
 *   audit_forge --key FILE --other FILE --scenario NAME --out DIR
 *       write the bundle; FILE and the other key are created when
 *       missing (Ed25519 seeds, named example.test/hanko/forge)
 */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <sodium.h>

#include "core/cli.h"
#include "tests/unit/audit_forge.h"

static int
key(const char *path, struct hk_cpkey **k)
{
	if (access(path, F_OK) == 0)
		return hk_cpkey_load(path, FORGE_ORIGIN, k);
	return hk_cpkey_generate(path, FORGE_ORIGIN, k);
}

int
main(int argc, char **argv)
{
	const char *kpath = NULL, *opath = NULL, *sc = NULL, *out = NULL;
	struct hk_cpkey *k = NULL, *o = NULL;
	struct hk_buf vk = HK_BUF_INIT;
	size_t i;
	int r = 2, a;

	if (sodium_init() < 0)
		return 2;
	if (argc == 2 && strcmp(argv[1], "--list") == 0) {
		for (i = 0; i < FORGE_NSCENARIOS; i++)
			printf("%s\t%s\n", forge_scenarios[i].name,
			    forge_scenarios[i].expect ? forge_scenarios[i].expect :
							"-");
		return 0;
	}
	for (a = 1; a < argc; a++) {
		if (strcmp(argv[a], "--vkey") == 0)
			sc = "";
		else if (a + 1 < argc && strcmp(argv[a], "--key") == 0)
			kpath = argv[++a];
		else if (a + 1 < argc && strcmp(argv[a], "--other") == 0)
			opath = argv[++a];
		else if (a + 1 < argc && strcmp(argv[a], "--scenario") == 0)
			sc = argv[++a];
		else if (a + 1 < argc && strcmp(argv[a], "--out") == 0)
			out = argv[++a];
		else
			goto usage;
	}
	if (kpath == NULL || opath == NULL || sc == NULL ||
	    (sc[0] != '\0' && out == NULL))
		goto usage;
	if (key(kpath, &k) != 0 || key(opath, &o) != 0) {
		fprintf(stderr, "audit_forge: cannot load or create the keys\n");
		goto out;
	}
	if (sc[0] == '\0') {
		if (ledger_note_vkey(FORGE_ORIGIN, hk_cpkey_signer(k)->pub, &vk) !=
			0 ||
		    hk_buf_cstr(&vk) == NULL)
			goto out;
		printf("%s\n", (const char *)vk.p);
		r = 0;
		goto out;
	}
	for (i = 0; i < FORGE_NSCENARIOS; i++)
		if (strcmp(sc, forge_scenarios[i].name) == 0)
			break;
	if (i == FORGE_NSCENARIOS) {
		fprintf(stderr, "audit_forge: no scenario %s\n", sc);
		goto out;
	}
	if ((r = forge_bundle(sc, out, k, o)) != 0) {
		fprintf(stderr, "audit_forge: %s: %s\n", sc, hk_strerror(r));
		r = 1;
	}
out:
	hk_buf_release(&vk);
	hk_cpkey_free(k);
	hk_cpkey_free(o);
	return r;
usage:
	fprintf(stderr, "usage: audit_forge --list | --key F --other F "
			"(--vkey | --scenario NAME --out DIR)\n");
	return 2;
}
