/* SPDX-License-Identifier: Apache-2.0 */
/*
 * cli_admin: `hanko admin ...`, one command per route of the admin API
 * (docs/admin-api.md; OPS-1, OPS-2, REG-1..6, END-1, END-3, ACT-9). The
 * command talks HTTPS to the admin listener with a privileged user's
 * client certificate (the administrator's from `hanko init` by default,
 * another with --cert/--key), prints the JSON answer on stdout and exits
 * 0 on 2xx, 1 on an API error ("code: description" on stderr) and 2 on a
 * usage or connection error. It decides nothing: the core checks roles
 * and states. Also the shared call-and-print step of `hanko signer`
 * (cli_api_call).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <jansson.h>
#include <sodium.h>

#include "core/buf.h"
#include "core/cli.h"
#include "core/config.h"
#include "core/https.h"

/* The largest file a command reads (a certificate chain). */
#define ADMIN_FILE_MAX 65536

/** cli_api_call(u, o, auth, method, path, body, print, answer): one API
 * request; see cli.h. */
int
cli_api_call(const struct hk_https_url *u, const struct hk_https_opts *o,
    const char *auth, const char *method, const char *path,
    struct json_t *body, bool print, struct json_t **answer)
{
	struct hk_https_response resp = {0};
	struct hk_buf text = HK_BUF_INIT;
	char err[HK_HTTPS_ERR_LEN] = "";
	json_t *j = NULL, *e, *d;
	size_t need;
	int r, rc = CLI_ERROR;

	if (body != NULL) {
		/* Into a buffer that is wiped: bodies hold PINs. */
		need = json_dumpb(body, NULL, 0, JSON_COMPACT);
		if (need == 0 || hk_buf_reserve(&text, need) != 0) {
			fprintf(stderr, "hanko: cannot encode the request\n");
			goto out;
		}
		text.len = json_dumpb(body, (char *)text.p, need, JSON_COMPACT);
	}
	if ((r = hk_https_request(o, u, method, path, auth,
		 body != NULL ? text.p : NULL, text.len, &resp, err)) != 0) {
		fprintf(stderr, "hanko: %s %s: %s\n", method, path, err);
		goto out;
	}
	if (hk_https_response_json(&resp, &j, err) != 0) {
		fprintf(stderr, "hanko: %s %s: %s\n", method, path, err);
		goto out;
	}
	if (resp.status >= 200 && resp.status < 300) {
		if (print) {
			if (json_dumpf(j, stdout, JSON_INDENT(2) |
				JSON_PRESERVE_ORDER) != 0 ||
			    fputc('\n', stdout) == EOF ||
			    fflush(stdout) != 0) {
				fprintf(stderr, "hanko: cannot write the "
						"answer\n");
				goto out;
			}
		}
		if (answer != NULL) {
			*answer = j;
			j = NULL;
		}
		rc = CLI_OK;
		goto out;
	}
	e = json_object_get(j, "error");
	d = json_object_get(j, "error_description");
	if (!json_is_string(e) || !json_is_string(d)) {
		fprintf(stderr, "hanko: %s %s: status %d without an error "
				"body\n",
		    method, path, resp.status);
		goto out;
	}
	fprintf(stderr, "%s: %s\n", json_string_value(e),
	    json_string_value(d));
	rc = CLI_FAIL;
out:
	json_decref(j);
	hk_buf_release(&text);
	hk_https_response_release(&resp);
	return rc;
}

/** cli_id_ok(s): can ${s} go into a path segment as it is? */
bool
cli_id_ok(const char *s)
{
	size_t i;

	for (i = 0; s[i] != '\0'; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' &&
			s[i] <= 'Z') || (s[i] >= '0' && s[i] <= '9') ||
			s[i] == '-' || s[i] == '_' || s[i] == '.'))
			return false;
	return i > 0 && i <= 128;
}

/** cli_read_file(path, max, out): the whole file ${path} (at most ${max}
 * bytes) into ${out}, NUL-terminated; 0 or CLI_ERROR (reported). */
int
cli_read_file(const char *path, size_t max, struct hk_buf *out)
{
	FILE *f;
	size_t n;
	int rc = CLI_ERROR;

	if ((f = fopen(path, "rb")) == NULL) {
		fprintf(stderr, "hanko: %s: %s\n", path, strerror(errno));
		return CLI_ERROR;
	}
	if (hk_buf_reserve(out, max + 1) != 0) {
		fprintf(stderr, "hanko: out of memory\n");
		goto out;
	}
	n = fread(out->p, 1, max + 1, f);
	if (ferror(f)) {
		fprintf(stderr, "hanko: %s: read error\n", path);
		goto out;
	}
	if (n > max) {
		fprintf(stderr, "hanko: %s: larger than %zu bytes\n", path,
		    max);
		goto out;
	}
	out->len = n;
	out->p[n] = '\0';
	rc = 0;
out:
	fclose(f);
	return rc;
}

/* ---- the commands ------------------------------------------------------- */

enum opt_kind {
	O_STR,  /* the value, as a JSON string */
	O_FILE, /* the named file's text, as a JSON string */
	O_UINT, /* the value, as a JSON integer */
};

struct body_opt {
	const char *flag;  /* without "--" */
	const char *field; /* JSON name */
	enum opt_kind kind;
};

#define ADMIN_MAX_OPTS 5

struct admin_cmd {
	const char *group; /* NULL: a command of one word */
	const char *verb;
	const char *method;
	const char *path; /* "%s": the positional id */
	const char *arg;  /* the positional's name, NULL for none */
	struct body_opt opts[ADMIN_MAX_OPTS];
};

#define A "/admin/v1"
#define C A "/credentials/%s"

static const struct admin_cmd cmds[] = {
    {NULL, "status", "GET", A "/status", NULL, {{0}}},
    {"users", "list", "GET", A "/users", NULL, {{0}}},
    {"users", "add", "POST", A "/users", NULL,
	{{"certificate", "certificate", O_FILE}, {"role", "role", O_STR}}},
    {"users", "remove", "DELETE", A "/users/%s", "FINGERPRINT", {{0}}},
    {"approvals", "list", "GET", A "/approvals", NULL, {{0}}},
    {"approvals", "approve", "POST", A "/approvals/%s/approve", "ID", {{0}}},
    {"approvals", "reject", "POST", A "/approvals/%s/reject", "ID", {{0}}},
    {"signers", "register", "POST", A "/signers", NULL,
	{{"kind", "kind", O_STR}, {"name", "name", O_STR},
	    {"organization", "organization", O_STR},
	    {"email", "email", O_STR},
	    {"identity-proofing", "identity_proofing", O_STR}}},
    {"signers", "get", "GET", A "/signers/%s", "ID", {{0}}},
    {"signers", "erase", "POST", A "/signers/%s/erase", "ID",
	{{"reason", "reason", O_STR}}},
    {"credentials", "create", "POST", A "/signers/%s/credentials",
	"SIGNER_ID",
	{{"algorithm", "algorithm", O_STR}, {"level", "level", O_UINT}}},
    {"credentials", "get", "GET", C, "ID", {{0}}},
    {"credentials", "key", "POST", C "/key", "ID", {{0}}},
    {"credentials", "csr", "POST", C "/csr", "ID", {{0}}},
    {"credentials", "csr-get", "GET", C "/csr", "ID", {{0}}},
    {"credentials", "certificate", "PUT", C "/certificate", "ID",
	{{"chain", "chain", O_FILE}}},
    {"credentials", "suspend", "POST", C "/suspend", "ID",
	{{"reason", "reason", O_STR}}},
    {"credentials", "resume", "POST", C "/resume", "ID", {{0}}},
    {"credentials", "destroy", "POST", C "/destroy", "ID",
	{{"reason", "reason", O_STR}}},
    {"credentials", "unlock", "POST", C "/unlock", "ID", {{0}}},
    {"credentials", "renew", "POST", C "/renew", "ID", {{0}}},
};

#define NCMDS (sizeof(cmds) / sizeof(cmds[0]))

static void
usage(void)
{
	size_t i, k;

	fprintf(stderr,
	    "usage: hanko admin [--state DIR | --url https://HOST:PORT --cert "
	    "CERT --key KEY --ca CA]\n"
	    "                   [--cert CERT --key KEY] COMMAND [ARGS]\n"
	    "commands:\n");
	for (i = 0; i < NCMDS; i++) {
		fprintf(stderr, "  %s%s%s%s%s", cmds[i].group ? cmds[i].group :
							       "",
		    cmds[i].group ? " " : "", cmds[i].verb,
		    cmds[i].arg ? " " : "", cmds[i].arg ? cmds[i].arg : "");
		for (k = 0; k < ADMIN_MAX_OPTS && cmds[i].opts[k].flag; k++)
			fprintf(stderr, " --%s %s", cmds[i].opts[k].flag,
			    cmds[i].opts[k].kind == O_FILE ? "FILE" : "VALUE");
		if (strcmp(cmds[i].verb, "csr-get") == 0)
			fprintf(stderr, " [--out FILE]");
		fputc('\n', stderr);
	}
}

/* Parsed command line: "--name value" pairs and positional words. */
#define ADMIN_MAX_ARGS 16

struct args {
	const char *name[ADMIN_MAX_ARGS], *val[ADMIN_MAX_ARGS];
	size_t nopt;
	const char *pos[ADMIN_MAX_ARGS];
	size_t npos;
	bool used[ADMIN_MAX_ARGS];
};

/* split(argc, argv, a): "--name value" pairs and positional words;
 * 0 or CLI_ERROR. */
static int
split(int argc, char **argv, struct args *a)
{
	int i;

	memset(a, 0, sizeof(*a));
	for (i = 0; i < argc; i++) {
		if (strncmp(argv[i], "--", 2) == 0) {
			if (i + 1 >= argc || a->nopt == ADMIN_MAX_ARGS) {
				fprintf(stderr, "hanko: %s needs a value\n",
				    argv[i]);
				return CLI_ERROR;
			}
			a->name[a->nopt] = argv[i] + 2;
			a->val[a->nopt++] = argv[++i];
		} else {
			if (a->npos == ADMIN_MAX_ARGS)
				return CLI_ERROR;
			a->pos[a->npos++] = argv[i];
		}
	}
	return 0;
}

/* opt(a, name): the value of --${name}, marked as used; NULL if absent.
 * A repeated option is a usage error (reported by unused()). */
static const char *
opt(struct args *a, const char *name)
{
	const char *v = NULL;
	size_t i;

	for (i = 0; i < a->nopt; i++)
		if (strcmp(a->name[i], name) == 0 && !a->used[i]) {
			a->used[i] = true;
			if (v == NULL)
				v = a->val[i];
			else
				a->used[i] = false; /* repeated */
		}
	return v;
}

/* unused(a): report an option no one asked for; CLI_ERROR or 0. */
static int
unused(const struct args *a)
{
	size_t i;

	for (i = 0; i < a->nopt; i++)
		if (!a->used[i]) {
			fprintf(stderr, "hanko: unexpected or repeated "
					"option --%s\n",
			    a->name[i]);
			return CLI_ERROR;
		}
	return 0;
}

/* connection(a, u, o, paths): the URL and TLS files from --state or
 * --url/--cert/--key/--ca (--cert/--key/--ca override the state's). */
static int
connection(struct args *a, struct hk_https_url *u, struct hk_https_opts *o,
    char paths[3][HK_CONFIG_PATH_MAX + 32])
{
	static struct hk_config cfg;
	const char *state = opt(a, "state"), *url = opt(a, "url");
	const char *cert = opt(a, "cert"), *key = opt(a, "key");
	const char *ca = opt(a, "ca"), *host;
	char conf[HK_CONFIG_PATH_MAX + 32], err[256], buf[300];
	int r;

	if ((state == NULL) == (url == NULL)) {
		fprintf(stderr, "hanko: give either --state DIR or --url\n");
		return CLI_ERROR;
	}
	if (state != NULL) {
		if (cli_path(conf, sizeof(conf), state, HK_CONFIG_FILE) != 0 ||
		    cli_path(paths[0], sizeof(paths[0]), state,
			"admin/admin.crt") != 0 ||
		    cli_path(paths[1], sizeof(paths[1]), state,
			"admin/admin.key") != 0 ||
		    cli_path(paths[2], sizeof(paths[2]), state,
			"ca/operator-ca.crt") != 0)
			return CLI_ERROR;
		if ((r = hk_config_load(conf, state, &cfg, err,
			 sizeof(err))) != 0) {
			fprintf(stderr, "hanko: %s\n",
			    r == HK_ENOTFOUND ? "no hanko.conf in --state" :
						err);
			return CLI_ERROR;
		}
		/* A wildcard listener is reached on loopback. */
		host = cfg.admin.host;
		if (strcmp(host, "0.0.0.0") == 0)
			host = "127.0.0.1";
		else if (strcmp(host, "[::]") == 0 || strcmp(host, "::") == 0)
			host = "[::1]";
		snprintf(buf, sizeof(buf), "https://%s:%u", host,
		    (unsigned)cfg.admin.port);
		if (hk_https_url_parse(buf, u) != 0) {
			fprintf(stderr, "hanko: [admin] listen is not usable "
					"as a URL: %s\n",
			    buf);
			return CLI_ERROR;
		}
		o->cert_file = cert != NULL ? cert : paths[0];
		o->key_file = key != NULL ? key : paths[1];
		o->ca_file = ca != NULL ? ca : paths[2];
		return 0;
	}
	if (hk_https_url_parse(url, u) != 0) {
		fprintf(stderr, "hanko: --url must be https://HOST:PORT\n");
		return CLI_ERROR;
	}
	if (cert == NULL || key == NULL || ca == NULL) {
		fprintf(stderr, "hanko: --url needs --cert, --key and --ca\n");
		return CLI_ERROR;
	}
	o->cert_file = cert;
	o->key_file = key;
	o->ca_file = ca;
	return 0;
}

/* body_of(c, a, out): the JSON body from the command's options. */
static int
body_of(const struct admin_cmd *c, struct args *a, json_t **out)
{
	struct hk_buf file = HK_BUF_INIT;
	json_t *body = NULL, *v;
	const char *val;
	uint64_t u;
	size_t k;
	int rc = CLI_ERROR;

	*out = NULL;
	if (c->opts[0].flag == NULL)
		return 0;
	if ((body = json_object()) == NULL)
		goto out;
	for (k = 0; k < ADMIN_MAX_OPTS && c->opts[k].flag != NULL; k++) {
		const struct body_opt *bo = &c->opts[k];

		if ((val = opt(a, bo->flag)) == NULL) {
			fprintf(stderr, "hanko: --%s is required\n", bo->flag);
			goto out;
		}
		switch (bo->kind) {
		case O_STR:
			v = json_string(val);
			break;
		case O_FILE:
			hk_buf_reset(&file);
			if (cli_read_file(val, ADMIN_FILE_MAX, &file) != 0)
				goto out;
			v = json_stringn((const char *)file.p, file.len);
			break;
		case O_UINT:
			if (cli_u64(val, bo->flag, &u) != 0)
				goto out;
			v = json_integer((json_int_t)u);
			break;
		default:
			abort();
		}
		if (v == NULL) {
			fprintf(stderr, "hanko: --%s is not UTF-8 text\n",
			    bo->flag);
			goto out;
		}
		if (json_object_set_new(body, bo->field, v) != 0)
			goto out;
	}
	*out = body;
	body = NULL;
	rc = 0;
out:
	json_decref(body);
	hk_buf_release(&file);
	return rc;
}

/* write_csr(answer, path): the "csr" of the answer into ${path}. */
static int
write_csr(json_t *answer, const char *path)
{
	const char *pem = json_string_value(json_object_get(answer, "csr"));
	FILE *f;

	if (pem == NULL) {
		fprintf(stderr, "hanko: the answer has no csr\n");
		return CLI_ERROR;
	}
	if ((f = fopen(path, "w")) == NULL) {
		fprintf(stderr, "hanko: %s: %s\n", path, strerror(errno));
		return CLI_ERROR;
	}
	if (fputs(pem, f) == EOF || fclose(f) != 0) {
		fprintf(stderr, "hanko: %s: write error\n", path);
		return CLI_ERROR;
	}
	return 0;
}

/** cli_admin_main(argc, argv): `hanko admin ...`. */
int
cli_admin_main(int argc, char **argv)
{
	static char paths[3][HK_CONFIG_PATH_MAX + 32];
	const struct admin_cmd *c = NULL;
	struct hk_https_url u;
	struct hk_https_opts o;
	struct args a;
	json_t *body = NULL, *answer = NULL;
	const char *out_file = NULL, *id = NULL;
	char path[512];
	size_t i, words;
	int rc;

	hk_https_json_wipe();
	memset(&o, 0, sizeof(o));
	if (split(argc, argv, &a) != 0 || a.npos == 0) {
		usage();
		return CLI_ERROR;
	}
	for (i = 0; i < NCMDS && c == NULL; i++) {
		if (cmds[i].group == NULL) {
			if (strcmp(a.pos[0], cmds[i].verb) == 0)
				c = &cmds[i];
		} else if (a.npos >= 2 &&
		    strcmp(a.pos[0], cmds[i].group) == 0 &&
		    strcmp(a.pos[1], cmds[i].verb) == 0) {
			c = &cmds[i];
		}
	}
	if (c == NULL) {
		fprintf(stderr, "hanko: unknown admin command\n");
		usage();
		return CLI_ERROR;
	}
	words = c->group != NULL ? 2 : 1;
	if (a.npos != words + (c->arg != NULL ? 1 : 0)) {
		fprintf(stderr, "hanko: %s %s takes %s%s\n",
		    c->group ? c->group : "", c->verb,
		    c->arg ? "the argument " : "no argument",
		    c->arg ? c->arg : "");
		return CLI_ERROR;
	}
	if (c->arg != NULL) {
		id = a.pos[words];
		if (!cli_id_ok(id)) {
			fprintf(stderr, "hanko: %s is not a valid %s\n", id,
			    c->arg);
			return CLI_ERROR;
		}
	}
	if ((rc = connection(&a, &u, &o, paths)) != 0 ||
	    (rc = body_of(c, &a, &body)) != 0)
		goto out;
	if (strcmp(c->verb, "csr-get") == 0)
		out_file = opt(&a, "out");
	if ((rc = unused(&a)) != 0)
		goto out;
	/* The path format holds at most one "%s": the id. */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
	snprintf(path, sizeof(path), c->path, id != NULL ? id : "");
#pragma GCC diagnostic pop
	rc = cli_api_call(&u, &o, NULL, c->method, path, body, true,
	    out_file != NULL ? &answer : NULL);
	if (rc == CLI_OK && out_file != NULL)
		rc = write_csr(answer, out_file);
out:
	json_decref(body);
	json_decref(answer);
	return rc;
}
