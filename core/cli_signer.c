/* SPDX-License-Identifier: Apache-2.0 */
/*
 * cli_signer: `hanko signer ...`, the signer's side of docs/admin-api.md
 * on the signing listener (REG-2 enrollment, REG-5 CSR confirmation,
 * END-1/END-2 suspension and destruction with a single-use nonce).
 * Secrets (the enrollment code, the password, the PIN) come from files,
 * never from the command line where ps would show them; they live in
 * sodium_malloc'd memory and are wiped after use, and so is everything
 * jansson and the HTTPS client held. Nothing secret is printed except
 * the otpauth URI, once, in the answer to `enroll`. The one-time OTP code
 * may be given with --otp (it is valid for 30 seconds) or --otp-file
 * (level 2 credentials; level 1 ones need none).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <sodium.h>

#include "core/buf.h"
#include "core/cli.h"
#include "core/https.h"

/* The longest secret read from a file. */
#define SIGNER_SECRET_MAX 1024

/* A secret read from a file: sodium_malloc'd, NUL-terminated. */
struct secret {
	char *p;
	size_t n;
};

/* secret_read(path, what, s): the file's text without one trailing
 * newline; 0 or CLI_ERROR (reported, never with the content). */
static int
secret_read(const char *path, const char *what, struct secret *s)
{
	struct hk_buf b = HK_BUF_INIT;
	int rc = CLI_ERROR;

	s->p = NULL;
	s->n = 0;
	if (path == NULL) {
		fprintf(stderr, "hanko: --%s is required\n", what);
		return CLI_ERROR;
	}
	if (cli_read_file(path, SIGNER_SECRET_MAX, &b) != 0)
		goto out;
	if (b.len > 0 && b.p[b.len - 1] == '\n')
		b.len--;
	if (b.len > 0 && b.p[b.len - 1] == '\r')
		b.len--;
	if (b.len == 0 || memchr(b.p, '\0', b.len) != NULL ||
	    memchr(b.p, '\n', b.len) != NULL) {
		fprintf(stderr, "hanko: %s: must hold one non-empty line\n",
		    path);
		goto out;
	}
	if ((s->p = sodium_malloc(b.len + 1)) == NULL) {
		fprintf(stderr, "hanko: out of memory\n");
		goto out;
	}
	memcpy(s->p, b.p, b.len);
	s->p[b.len] = '\0';
	s->n = b.len;
	rc = 0;
out:
	hk_buf_release(&b); /* wiped */
	return rc;
}

static void
secret_free(struct secret *s)
{
	sodium_free(s->p); /* wipes; accepts NULL */
	s->p = NULL;
	s->n = 0;
}

/* basic(user, pw, out): "Basic base64(user:pw)" in sodium_malloc'd
 * memory. */
static int
basic(const char *user, const struct secret *pw, struct secret *out)
{
	size_t ul = strlen(user), raw_n = ul + 1 + pw->n, b64;
	char *raw = NULL;
	int rc = CLI_ERROR;

	b64 = sodium_base64_encoded_len(raw_n,
	    sodium_base64_VARIANT_ORIGINAL);
	if ((raw = sodium_malloc(raw_n)) == NULL ||
	    (out->p = sodium_malloc(6 + b64)) == NULL) {
		fprintf(stderr, "hanko: out of memory\n");
		goto out;
	}
	memcpy(raw, user, ul);
	raw[ul] = ':';
	memcpy(raw + ul + 1, pw->p, pw->n);
	memcpy(out->p, "Basic ", 6);
	sodium_bin2base64(out->p + 6, b64, (const unsigned char *)raw, raw_n,
	    sodium_base64_VARIANT_ORIGINAL);
	out->n = strlen(out->p);
	rc = 0;
out:
	sodium_free(raw);
	return rc;
}

static void
usage(void)
{
	fprintf(stderr,
	    "usage: hanko signer --url https://HOST:PORT --ca CA "
	    "[--user SIGNER_ID --password-file FILE] COMMAND [ARGS]\n"
	    "commands:\n"
	    "  enroll --code-file FILE --password-file FILE --pin-file FILE\n"
	    "  csr CRED_ID                      (show the subject to confirm)\n"
	    "  csr-confirm CRED_ID --pin-file FILE\n"
	    "  suspend CRED_ID --pin-file FILE [--otp CODE | --otp-file FILE]\n"
	    "  destroy CRED_ID --pin-file FILE [--otp CODE | --otp-file FILE] "
	    "--reason R\n");
}

/* The signer's options; secrets are file names only. */
struct sopts {
	const char *url, *ca, *user, *password_file, *code_file, *pin_file,
	    *otp, *otp_file, *reason;
};

static int
parse(int argc, char **argv, struct sopts *so, const char **pos, int *npos)
{
	const struct {
		const char *name;
		const char **val;
	} t[] = {{"url", &so->url}, {"ca", &so->ca}, {"user", &so->user},
	    {"password-file", &so->password_file},
	    {"code-file", &so->code_file}, {"pin-file", &so->pin_file},
	    {"otp", &so->otp}, {"otp-file", &so->otp_file},
	    {"reason", &so->reason}};
	size_t k;
	int i;

	memset(so, 0, sizeof(*so));
	*npos = 0;
	for (i = 0; i < argc; i++) {
		if (strncmp(argv[i], "--", 2) != 0) {
			if (*npos == 2) {
				fprintf(stderr, "hanko: too many arguments\n");
				return CLI_ERROR;
			}
			pos[(*npos)++] = argv[i];
			continue;
		}
		for (k = 0; k < sizeof(t) / sizeof(t[0]); k++)
			if (strcmp(argv[i] + 2, t[k].name) == 0)
				break;
		if (k == sizeof(t) / sizeof(t[0]) || i + 1 >= argc ||
		    *t[k].val != NULL) {
			fprintf(stderr, "hanko: unknown, repeated or "
					"incomplete option %s\n",
			    argv[i]);
			return CLI_ERROR;
		}
		*t[k].val = argv[++i];
	}
	return 0;
}

/** cli_signer_main(argc, argv): `hanko signer ...`. */
int
cli_signer_main(int argc, char **argv)
{
	struct secret pw = {0}, auth = {0}, code = {0}, pin = {0}, otp = {0};
	struct hk_https_url u;
	struct hk_https_opts o;
	struct sopts so;
	const char *pos[2] = {NULL, NULL}, *cmd, *id = NULL;
	json_t *body = NULL, *nonce_answer = NULL, *nonce;
	char path[256];
	int npos, rc = CLI_ERROR;
	bool need_pin, may_otp, need_reason;

	hk_https_json_wipe();
	memset(&o, 0, sizeof(o));
	if (parse(argc, argv, &so, pos, &npos) != 0 || npos == 0) {
		usage();
		return CLI_ERROR;
	}
	cmd = pos[0];
	if (strcmp(cmd, "csr-show") == 0)
		cmd = "csr";
	need_pin = strcmp(cmd, "csr-confirm") == 0 ||
	    strcmp(cmd, "suspend") == 0 || strcmp(cmd, "destroy") == 0;
	may_otp = strcmp(cmd, "suspend") == 0 || strcmp(cmd, "destroy") == 0;
	need_reason = strcmp(cmd, "destroy") == 0;
	if (strcmp(cmd, "enroll") != 0 && strcmp(cmd, "csr") != 0 &&
	    !need_pin) {
		fprintf(stderr, "hanko: unknown signer command %s\n", cmd);
		usage();
		return CLI_ERROR;
	}
	/* Options that do not belong to the command are refused. */
	if (npos != (strcmp(cmd, "enroll") == 0 ? 1 : 2) ||
	    (strcmp(cmd, "enroll") == 0) != (so.code_file != NULL) ||
	    (!need_pin && strcmp(cmd, "enroll") != 0 && so.pin_file != NULL) ||
	    (!may_otp && (so.otp != NULL || so.otp_file != NULL)) ||
	    (so.otp != NULL && so.otp_file != NULL) ||
	    need_reason != (so.reason != NULL)) {
		usage();
		return CLI_ERROR;
	}
	if (so.url == NULL || so.ca == NULL ||
	    hk_https_url_parse(so.url, &u) != 0) {
		fprintf(stderr, "hanko: --url https://HOST:PORT and --ca are "
				"required\n");
		return CLI_ERROR;
	}
	o.ca_file = so.ca;
	if (npos == 2) {
		id = pos[1];
		if (!cli_id_ok(id)) {
			fprintf(stderr, "hanko: %s is not a valid credential "
					"id\n",
			    id);
			return CLI_ERROR;
		}
	}

	if (strcmp(cmd, "enroll") == 0) {
		if (so.user != NULL) {
			fprintf(stderr, "hanko: enroll takes no --user (the "
					"code identifies)\n");
			goto out;
		}
		if (secret_read(so.code_file, "code-file", &code) != 0 ||
		    secret_read(so.password_file, "password-file", &pw) != 0 ||
		    secret_read(so.pin_file, "pin-file", &pin) != 0)
			goto out;
		if ((body = json_object()) == NULL ||
		    json_object_set_new(body, "enrollment_code",
			json_stringn(code.p, code.n)) != 0 ||
		    json_object_set_new(body, "password",
			json_stringn(pw.p, pw.n)) != 0 ||
		    json_object_set_new(body, "pin",
			json_stringn(pin.p, pin.n)) != 0) {
			fprintf(stderr, "hanko: the secrets must be UTF-8 "
					"text\n");
			goto out;
		}
		rc = cli_api_call(&u, &o, NULL, "POST", "/signer/v1/enroll",
		    body, true, NULL);
		goto out;
	}

	/* Every other command authenticates with HTTP Basic. */
	if (so.user == NULL || !cli_id_ok(so.user) ||
	    strchr(so.user, ':') != NULL) {
		fprintf(stderr, "hanko: --user SIGNER_ID is required\n");
		goto out;
	}
	if (secret_read(so.password_file, "password-file", &pw) != 0 ||
	    basic(so.user, &pw, &auth) != 0)
		goto out;
	if (strcmp(cmd, "csr") == 0) {
		snprintf(path, sizeof(path), "/signer/v1/credentials/%s/csr",
		    id);
		rc = cli_api_call(&u, &o, auth.p, "GET", path, NULL, true,
		    NULL);
		goto out;
	}
	if (secret_read(so.pin_file, "pin-file", &pin) != 0)
		goto out;
	if (may_otp && (so.otp != NULL || so.otp_file != NULL)) {
		if (so.otp_file != NULL) {
			if (secret_read(so.otp_file, "otp-file", &otp) != 0)
				goto out;
		} else if ((otp.p = sodium_malloc(strlen(so.otp) + 1)) ==
		    NULL) {
			goto out;
		} else {
			otp.n = strlen(so.otp);
			memcpy(otp.p, so.otp, otp.n + 1);
		}
	}
	if ((body = json_object()) == NULL ||
	    json_object_set_new(body, "pin", json_stringn(pin.p, pin.n)) !=
		0) {
		fprintf(stderr, "hanko: the PIN must be UTF-8 text\n");
		goto out;
	}
	if (strcmp(cmd, "csr-confirm") == 0) {
		snprintf(path, sizeof(path),
		    "/signer/v1/credentials/%s/csr/confirm", id);
		rc = cli_api_call(&u, &o, auth.p, "POST", path, body, true,
		    NULL);
		goto out;
	}
	/* Suspension and destruction carry a fresh single-use nonce
	 * (END-2). */
	if ((rc = cli_api_call(&u, &o, auth.p, "POST", "/signer/v1/nonce",
		 NULL, false, &nonce_answer)) != CLI_OK)
		goto out;
	rc = CLI_ERROR;
	if (!json_is_string(nonce = json_object_get(nonce_answer, "nonce"))) {
		fprintf(stderr, "hanko: the nonce answer has no nonce\n");
		goto out;
	}
	if (json_object_set(body, "nonce", nonce) != 0 ||
	    (otp.p != NULL && json_object_set_new(body, "otp",
				  json_stringn(otp.p, otp.n)) != 0) ||
	    (need_reason && json_object_set_new(body, "reason",
				json_string(so.reason)) != 0)) {
		fprintf(stderr, "hanko: the OTP and reason must be UTF-8 "
				"text\n");
		goto out;
	}
	snprintf(path, sizeof(path), "/signer/v1/credentials/%s/%s", id, cmd);
	rc = cli_api_call(&u, &o, auth.p, "POST", path, body, true, NULL);
out:
	json_decref(body);
	json_decref(nonce_answer);
	secret_free(&pw);
	secret_free(&auth);
	secret_free(&code);
	secret_free(&pin);
	secret_free(&otp);
	return rc;
}
