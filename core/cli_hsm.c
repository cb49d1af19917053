/* SPDX-License-Identifier: Apache-2.0 */
/*
 * cli_hsm: `hanko hsm ...`, the operator's view of the crypto module
 * (NET-4, REG-3, OPS-5): `selftest` runs the adapter's full self-test
 * against the configured token, `keys` lists the signing and import keys
 * on it. The PIN is read from --pin-file, never from the command line.
 * Key generation, import and destruction are deliberately absent here:
 * they happen only through the core, which records each one in the ledger.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/cli.h"
#include "core/codec.h"
#include "core/log.h"
#include "hsm/hsm.h"

#define HSM_USAGE_OPTS                                                         \
	"[--module PATH] --token LABEL --pin-file PATH [--sessions N]"

struct hsm_cli {
	const char *module, *token, *pin_file, *sessions;
};

static int
hsm_cli_open(int argc, char **argv, const char *usage, struct hsm_pool **pool,
    struct hsm_opts *o)
{
	struct hsm_cli c = {NULL, NULL, NULL, NULL};
	const struct cli_opt opts[] = {{"module", &c.module},
	    {"token", &c.token}, {"pin-file", &c.pin_file},
	    {"sessions", &c.sessions}, {NULL, NULL}};
	uint64_t n = 0;
	int r;

	if (cli_parse(argc, argv, opts, usage) != 0)
		return CLI_ERROR;
	if (c.token == NULL || c.pin_file == NULL) {
		fprintf(stderr, "usage: %s\n", usage);
		return CLI_ERROR;
	}
	if (c.sessions != NULL &&
	    (cli_u64(c.sessions, "sessions", &n) != 0 || n == 0 || n > 256)) {
		fprintf(stderr, "hanko: --sessions must be 1 to 256\n");
		return CLI_ERROR;
	}
	memset(o, 0, sizeof(*o));
	o->module = c.module ? c.module : HSM_MODULE_DEFAULT;
	o->token = c.token;
	o->pin_file = c.pin_file;
	o->sessions = (unsigned)n;
	if ((r = hsm_pool_new(o, pool)) == 0)
		return 0;
	switch (r) {
	case HK_ECONFIG:
		fprintf(stderr, "hanko: cannot load the PKCS#11 module %s\n",
		    o->module);
		return CLI_ERROR;
	case HK_ENOTFOUND:
		fprintf(stderr, "hanko: no token labelled \"%s\" in %s\n",
		    o->token, o->module);
		return CLI_ERROR;
	case HK_EAUTH:
		fprintf(stderr, "hanko: login to token \"%s\" failed: wrong "
				"or locked PIN\n", o->token);
		return CLI_ERROR;
	case HK_EDENIED:
		fprintf(stderr, "hanko: refusing the PIN file %s: group or "
				"others have access (chmod 600 it)\n",
		    o->pin_file);
		return CLI_ERROR;
	case HK_EIO:
	case HK_EINVAL:
	case HK_ETOOBIG:
		fprintf(stderr, "hanko: cannot use the PIN file %s\n",
		    o->pin_file);
		return CLI_ERROR;
	case HK_ESELFTEST:
		fprintf(stderr, "hanko: the crypto module failed its power-up "
				"self-test; do not use it\n");
		return CLI_FAIL;
	default:
		fprintf(stderr, "hanko: cannot open token \"%s\": %s\n",
		    o->token, hk_strerror(r));
		return CLI_ERROR;
	}
}

static void
print_check(void *arg, const char *check, int result)
{
	(void)arg;
	if (result == 0)
		printf("ok      %s\n", check);
	else
		printf("FAILED  %s: %s\n", check, hk_strerror(result));
}

static const char *
mech_name(unsigned long m)
{
	switch (m) {
	case 0:
		return "none";
	case 0x210a:
		return "CKM_AES_KEY_WRAP_PAD (RFC 5649)";
	case 0x210b:
		return "CKM_AES_KEY_WRAP_KWP (RFC 5649)";
	}
	return "?";
}

static int
cmd_selftest(int argc, char **argv)
{
	const char *usage = "hanko hsm selftest " HSM_USAGE_OPTS;
	struct hsm_pool *pool = NULL;
	struct hsm_opts o;
	struct hsm_info in;
	int r;

	if ((r = hsm_cli_open(argc, argv, usage, &pool, &o)) != 0)
		return r;
	hsm_pool_info(pool, &in);
	printf("module   %s %u.%u (%s)\n", in.library, in.lib_major,
	    in.lib_minor, o.module);
	printf("token    \"%s\" model %s serial %s (%s)\n", in.token, in.model,
	    in.serial, in.manufacturer);
	printf("sessions %u\n", in.sessions);
	printf("ed25519  %s\nrsa-pss  %s\nimport   %s\n",
	    in.has_eddsa ? "yes" : "no", in.has_rsa_pss ? "yes" : "no",
	    mech_name(in.wrap_mech));
	printf("ok      power-up self-test\n");
	r = hsm_pool_selftest(pool, true, print_check, NULL);
	printf("selftest %s\n", r == 0 ? "passed" : "FAILED");
	hsm_pool_free(pool);
	return r == 0 ? CLI_OK : CLI_FAIL;
}

struct keys_ctx {
	size_t n;
};

static int
print_key(void *arg, const struct hsm_keyinfo *ki)
{
	struct keys_ctx *c = arg;
	char id[2 * HSM_KEYID_LEN + 1], fpr[2 * HK_SHA256_LEN + 1];

	hk_hex_encode(id, ki->id, HSM_KEYID_LEN);
	if (ki->kind == HSM_KIND_SIGN) {
		hk_hex_encode(fpr, ki->fpr, HK_SHA256_LEN);
		printf("%s  %-7s  sign    sha256:%s  \"%s\"\n", id,
		    hsm_alg_name(ki->alg), fpr, ki->label);
	} else {
		printf("%s  %-7s  import  %-71s  \"%s\"\n", id,
		    hsm_alg_name(ki->alg), "-", ki->label);
	}
	c->n++;
	return 0;
}

static int
cmd_keys(int argc, char **argv)
{
	const char *usage = "hanko hsm keys " HSM_USAGE_OPTS;
	struct hsm_pool *pool = NULL;
	struct keys_ctx c = {0};
	struct hsm_opts o;
	size_t skipped = 0;
	int r;

	if ((r = hsm_cli_open(argc, argv, usage, &pool, &o)) != 0)
		return r;
	r = hsm_key_list(pool, print_key, &c, &skipped);
	hsm_pool_free(pool);
	if (r != 0) {
		fprintf(stderr, "hanko: listing keys failed: %s\n",
		    hk_strerror(r));
		return CLI_ERROR;
	}
	printf("%zu keys", c.n);
	if (skipped > 0)
		printf(" (other objects skipped: %zu)", skipped);
	printf("\n");
	return CLI_OK;
}

/** cli_hsm_main(argc, argv): `hanko hsm ...`. */
int
cli_hsm_main(int argc, char **argv)
{
	if (argc >= 1 && strcmp(argv[0], "selftest") == 0)
		return cmd_selftest(argc - 1, argv + 1);
	if (argc >= 1 && strcmp(argv[0], "keys") == 0)
		return cmd_keys(argc - 1, argv + 1);
	fprintf(stderr, "usage: hanko hsm selftest " HSM_USAGE_OPTS "\n"
			"       hanko hsm keys " HSM_USAGE_OPTS "\n");
	return CLI_ERROR;
}
