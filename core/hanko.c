/* SPDX-License-Identifier: Apache-2.0 */
/*
 * hanko: the operator and auditor command line. Subcommand groups are a
 * table; each group parses its own arguments.
 */
#include <stdio.h>
#include <string.h>

#include <sodium.h>

#include "core/cli.h"
#include "core/log.h"
#include "core/version.h"

static const struct {
	const char *name;
	int (*main)(int argc, char **argv);
	const char *help;
} groups[] = {
	{"init", cli_init_main, "--state DIR: a ready-to-run state directory "
				"(embedded SoftHSM token, ledger, TLS, operator "
				"CA)"},
	{"ledger", cli_ledger_main, "init, verify, show, vkey, receipt, proof, "
				    "checkpoint, replay"},
	{"audit", cli_audit_main, "export, verify, receipt-verify (offline "
				  "audit bundles and receipts)"},
	{"hsm", cli_hsm_main, "selftest, keys (the PKCS#11 crypto module)"},
	{"admin", cli_admin_main, "status, users, approvals, signers, "
				  "credentials (the admin API)"},
	{"signer", cli_signer_main, "enroll, csr, csr-confirm, suspend, "
				    "destroy (the signer API)"},
};

static void
usage(void)
{
	size_t i;

	fprintf(stderr, "usage: hanko <group> <command> [options]\n");
	for (i = 0; i < sizeof(groups) / sizeof(groups[0]); i++)
		fprintf(stderr, "  hanko %-8s %s\n", groups[i].name,
		    groups[i].help);
	fprintf(stderr, "  hanko version\n");
}

int
main(int argc, char **argv)
{
	size_t i;

	hk_log_set_ident("hanko");
	if (sodium_init() < 0) {
		fprintf(stderr, "hanko: libsodium failed to initialise\n");
		return CLI_ERROR;
	}
	if (argc < 2) {
		usage();
		return CLI_ERROR;
	}
	if (strcmp(argv[1], "version") == 0) {
		printf("%s\n", HK_SOFTWARE);
		return CLI_OK;
	}
	for (i = 0; i < sizeof(groups) / sizeof(groups[0]); i++)
		if (strcmp(argv[1], groups[i].name) == 0)
			return groups[i].main(argc - 2, argv + 2);
	usage();
	return CLI_ERROR;
}
