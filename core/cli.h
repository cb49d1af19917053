/* SPDX-License-Identifier: Apache-2.0 */
/*
 * cli: shared pieces of the `hanko` command line: option parsing, state
 * directory paths and exit codes. Commands print results on stdout and
 * diagnostics on stderr.
 */
#ifndef HK_CLI_H
#define HK_CLI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/buf.h"
#include "core/err.h"

/* Exit codes: 0 success, 1 a check failed (verification, refusal), 2 a
 * usage or operational error. */
#define CLI_OK 0
#define CLI_FAIL 1
#define CLI_ERROR 2

/* One "--name value" option; ${val} is set to the borrowed argv string. */
struct cli_opt {
	const char *name;
	const char **val;
};

/** cli_parse(argc, argv, opts, usage): parse "--name value" pairs into
 * ${opts} (terminated by a NULL name); 0, or prints ${usage} and returns
 * CLI_ERROR on anything unknown or incomplete. */
int cli_parse(int argc, char **argv, const struct cli_opt *opts,
    const char *usage);

/** cli_u64(s, name, out): parse a decimal uint64 strictly; 0 or
 * CLI_ERROR (with a message naming ${name}). */
int cli_u64(const char *s, const char *name, uint64_t *out);

/** cli_path(buf, len, dir, name): "${dir}/${name}" into ${buf}; 0 or
 * CLI_ERROR when it does not fit. */
int cli_path(char *buf, size_t len, const char *dir, const char *name);

/* Files of a state directory. */
#define HK_STATE_LEDGER "ledger"
#define HK_STATE_CPKEY "checkpoint.key"

/** cli_init_main(argc, argv): `hanko init ...`. */
int cli_init_main(int argc, char **argv);

/** cli_ledger_main(argc, argv): `hanko ledger ...`. */
int cli_ledger_main(int argc, char **argv);

/** cli_audit_main(argc, argv): `hanko audit ...` (core/cli_audit.c). */
int cli_audit_main(int argc, char **argv);

/** cli_hsm_main(argc, argv): `hanko hsm ...`. */
int cli_hsm_main(int argc, char **argv);

/** cli_admin_main(argc, argv): `hanko admin ...` (core/cli_admin.c). */
int cli_admin_main(int argc, char **argv);

/** cli_signer_main(argc, argv): `hanko signer ...` (core/cli_signer.c). */
int cli_signer_main(int argc, char **argv);

struct hk_https_url;
struct hk_https_opts;
struct json_t;

/** cli_api_call(u, o, auth, method, path, body, print, answer): one
 * request of the admin or signer API (core/cli_admin.c): send ${body}
 * (NULL: none) with ${auth} (NULL, or a secret Authorization value);
 * on 2xx print the JSON answer on stdout when ${print} and hand it out in
 * *${answer} (may be NULL) and return CLI_OK; on an API error print
 * "error: error_description" on stderr and return CLI_FAIL; CLI_ERROR
 * (reported) when there is no JSON answer. */
int cli_api_call(const struct hk_https_url *u, const struct hk_https_opts *o,
    const char *auth, const char *method, const char *path,
    struct json_t *body, bool print, struct json_t **answer);

/** cli_id_ok(s): true when ${s} (1..128 of [A-Za-z0-9._-]) can be put in
 * a URL path segment as it is. */
bool cli_id_ok(const char *s);

/** cli_read_file(path, max, out): the file's bytes (at most ${max}) into
 * ${out}, NUL-terminated (not counted); 0 or CLI_ERROR (reported). */
int cli_read_file(const char *path, size_t max, struct hk_buf *out);

#endif
