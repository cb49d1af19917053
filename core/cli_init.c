/* SPDX-License-Identifier: Apache-2.0 */
/*
 * cli_init: `hanko init`, which makes a state directory ready to run on
 * the embedded default (OPS-3, OPS-5, NET-2, NET-4): a SoftHSMv2 token of
 * its own (initialised through PKCS#11 with random PINs kept in 0600
 * files), the checkpoint key generated in that token (Ed25519), the ledger
 * with its genesis event, a TLS server certificate for localhost, an
 * operator CA with a first administrator's client certificate, and
 * hanko.conf. With --module/--token/--pin-file it uses an existing token
 * of another PKCS#11 module instead. It never overwrites anything.
 */
#include <errno.h>
#include <fcntl.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <openssl/x509.h>
#include <sodium.h>

#include "core/ckpt.h"
#include "core/cli.h"
#include "core/codec.h"
#include "core/config.h"
#include "core/log.h"
#include "core/pki.h"
#include "core/version.h"
#include "hsm/hsm.h"
#include "ledger/ledger.h"

#define EMBEDDED_TOKEN "hanko"

struct init {
	const char *state, *origin, *signing, *admin, *module, *token, *pin;
	const char *trusted;           /* --trusted-cas FILE */
	char *trusted_pem;             /* its contents */
	struct ledger *ledger;         /* open for the bootstrap events */
	char path[16][HK_CONFIG_PATH_MAX];
	int npath;
};

/* join(in, rel): "${state}/${rel}", kept for the life of the command. */
static const char *
join(struct init *in, const char *rel)
{
	char *p = in->path[in->npath++ % 16];

	snprintf(p, HK_CONFIG_PATH_MAX, "%s/%s", in->state, rel);
	return p;
}

static int
mkdir_0700(const char *path)
{
	if (mkdir(path, 0700) != 0 && errno != EEXIST) {
		fprintf(stderr, "hanko: mkdir %s: %s\n", path, strerror(errno));
		return HK_EIO;
	}
	return 0;
}

static int
write_new(const char *path, const char *text)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	size_t n = strlen(text);

	if (fd < 0) {
		fprintf(stderr, "hanko: create %s: %s\n", path, strerror(errno));
		return errno == EEXIST ? HK_EEXIST : HK_EIO;
	}
	if (write(fd, text, n) != (ssize_t)n || fsync(fd) != 0) {
		fprintf(stderr, "hanko: write %s: %s\n", path, strerror(errno));
		close(fd);
		return HK_EIO;
	}
	close(fd);
	return 0;
}

/* A random PIN (OPS-5: the OS CSPRNG; the token's RNG is not reachable
 * before the token exists) written to a new 0600 file. */
static int
write_pin(const char *path)
{
	uint8_t raw[24];
	char hex[2 * sizeof(raw) + 2];
	int r;

	randombytes_buf(raw, sizeof(raw));
	hk_hex_encode(hex, raw, sizeof(raw));
	strcat(hex, "\n");
	r = write_new(path, hex);
	sodium_memzero(raw, sizeof(raw));
	sodium_memzero(hex, sizeof(hex));
	return r;
}

/* read_text(path): a whole small text file, NUL-terminated; NULL on
 * error. */
static char *
read_text(const char *path)
{
	FILE *f = fopen(path, "r");
	char *buf;
	size_t n;

	if (f == NULL)
		return NULL;
	if ((buf = calloc(1, 1 << 20)) != NULL) {
		n = fread(buf, 1, (1 << 20) - 1, f);
		if (ferror(f) || !feof(f)) {
			free(buf);
			buf = NULL;
		} else {
			buf[n] = '\0';
		}
	}
	fclose(f);
	return buf;
}

/* The unprivileged user the front runs as when hankod starts as root. */
static int
front_user(const char *name)
{
	char *argv[] = {"useradd", "--system", "--no-create-home",
	    "--home-dir", "/nonexistent", "--shell", "/usr/sbin/nologin",
	    (char *)name, NULL};
	pid_t pid;
	int st;

	if (geteuid() != 0 || getpwnam(name) != NULL)
		return 0;
	if ((pid = fork()) == 0) {
		execvp(argv[0], argv);
		_exit(127);
	}
	if (pid < 0 || waitpid(pid, &st, 0) != pid || !WIFEXITED(st) ||
	    WEXITSTATUS(st) != 0) {
		fprintf(stderr, "hanko: useradd %s failed\n", name);
		return HK_EIO;
	}
	printf("created system user %s for the network front\n", name);
	return 0;
}

/* The first administrator and security officer (OPS-1, OPS-2): recorded as
 * privileged users by the system at init, with no approval (there is no
 * one to approve yet); every later change needs dual control. */
static int
bootstrap_user(struct ledger *l, const struct hk_pki_cert *c,
    const char *role)
{
	struct hk_buf body = HK_BUF_INIT;
	struct hk_mpk_writer w;
	struct hk_event ev;
	uint8_t fp[32];
	char subject[256];
	int r;

	if ((r = hk_pki_fingerprint(c->cert, fp)) != 0)
		return r;
	X509_NAME_oneline(X509_get_subject_name(c->cert), subject,
	    sizeof(subject));
	hk_mpk_writer_init(&w, &body);
	hk_mpk_put_map(&w, 5);
	hk_mpk_put_uint(&w, HK_BODY_PU_FINGERPRINT);
	hk_mpk_put_bin(&w, fp, 32);
	hk_mpk_put_uint(&w, HK_BODY_PU_SUBJECT);
	hk_mpk_put_cstr(&w, subject);
	hk_mpk_put_uint(&w, HK_BODY_PU_ROLE);
	hk_mpk_put_cstr(&w, role);
	hk_mpk_put_uint(&w, HK_BODY_PU_ACTIVE);
	hk_mpk_put_bool(&w, true);
	hk_mpk_put_uint(&w, HK_BODY_PU_APPROVAL);
	hk_mpk_put_cstr(&w, "");
	if ((r = hk_mpk_writer_status(&w)) == 0) {
		memset(&ev, 0, sizeof(ev));
		ev.type = HK_EV_PRIV_USER_ADDED;
		ev.actor_kind = HK_ACTOR_SYSTEM;
		ev.actor_id = (struct hk_bytes){(const uint8_t *)"hanko-init", 10};
		ev.actor_channel = HK_CHANNEL_LOCAL;
		ev.body = (struct hk_bytes){body.p, body.len};
		r = ledger_append_wait(l, &ev, NULL);
	}
	hk_buf_release(&body);
	return r;
}

static int
bootstrap_users(struct init *in, const struct hk_pki_cert *adm,
    const struct hk_pki_cert *so)
{
	int r;

	if ((r = bootstrap_user(in->ledger, adm, "administrator")) != 0 ||
	    (r = bootstrap_user(in->ledger, so, "security_officer")) != 0)
		fprintf(stderr, "hanko: cannot record the first privileged "
				"users: %s\n", hk_strerror(r));
	return r;
}

static int
make_pki(struct init *in)
{
	struct hk_pki_cert ca = {0}, srv = {0}, adm = {0}, so = {0};
	int r;

	if ((r = mkdir_0700(join(in, "tls"))) != 0 ||
	    (r = mkdir_0700(join(in, "ca"))) != 0 ||
	    (r = mkdir_0700(join(in, "admin"))) != 0 ||
	    (r = mkdir_0700(join(in, "so"))) != 0)
		return r;
	if ((r = hk_pki_issue(NULL, "Hanko operator CA", HK_PKI_CA, 3650,
		 &ca)) != 0 ||
	    (r = hk_pki_issue(&ca, "localhost", HK_PKI_SERVER, 825, &srv)) !=
		0 ||
	    (r = hk_pki_issue(&ca, "admin", HK_PKI_CLIENT, 730, &adm)) != 0 ||
	    (r = hk_pki_issue(&ca, "security-officer", HK_PKI_CLIENT, 730,
		 &so)) != 0 ||
	    (r = hk_pki_write(&ca, join(in, "ca/operator-ca.crt"),
		 join(in, "ca/operator-ca.key"))) != 0 ||
	    (r = hk_pki_write(&srv, join(in, "tls/server.crt"),
		 join(in, "tls/server.key"))) != 0 ||
	    (r = hk_pki_write(&adm, join(in, "admin/admin.crt"),
		 join(in, "admin/admin.key"))) != 0 ||
	    (r = hk_pki_write(&so, join(in, "so/so.crt"),
		 join(in, "so/so.key"))) != 0 ||
	    (r = write_new(join(in, "ca/trusted-cas.pem"),
		 in->trusted_pem != NULL ? in->trusted_pem : "")) != 0 ||
	    (r = bootstrap_users(in, &adm, &so)) != 0)
		fprintf(stderr, "hanko: cannot create the certificates: %s\n",
		    hk_strerror(r));
	hk_pki_cert_release(&ca);
	hk_pki_cert_release(&srv);
	hk_pki_cert_release(&adm);
	hk_pki_cert_release(&so);
	return r;
}

static int
write_config(struct init *in, const char *origin, const uint8_t id[16],
    const uint8_t vault[16], int embedded)
{
	char keyhex[33], vaulthex[33], text[4096], when[32];
	time_t now = time(NULL);
	struct tm tm;

	hk_hex_encode(keyhex, id, 16);
	hk_hex_encode(vaulthex, vault, 16);
	gmtime_r(&now, &tm);
	strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm);
	snprintf(text, sizeof(text),
	    "# Hanko configuration, written by `hanko init` (%s) at %s.\n"
	    "# Paths are relative to this directory. See docs/configuration.md.\n"
	    "[ledger]\n"
	    "origin = %s\n"
	    "checkpoint_key = %s\n"
	    "[hsm]\n"
	    "module = %s\n"
	    "token = %s\n"
	    "pin_file = %s\n"
	    "vault_key = %s\n"
	    "%s%s%s"
	    "[ca]\n"
	    "trusted = ca/trusted-cas.pem\n"
	    "[signing]\n"
	    "listen = %s\n"
	    "cert = tls/server.crt\n"
	    "key = tls/server.key\n"
	    "[admin]\n"
	    "listen = %s\n"
	    "cert = tls/server.crt\n"
	    "key = tls/server.key\n"
	    "client_ca = ca/operator-ca.crt\n",
	    HK_SOFTWARE, when, origin, keyhex,
	    in->module ? in->module : HSM_MODULE_DEFAULT,
	    in->token ? in->token : EMBEDDED_TOKEN,
	    in->pin ? in->pin : "hsm.pin", vaulthex,
	    embedded ? "softhsm_conf = " : "", embedded ? "softhsm/softhsm2.conf" :
							 "",
	    embedded ? "\n" : "", in->signing, in->admin);
	return write_new(join(in, HK_CONFIG_FILE), text);
}

/** cli_init_main(argc, argv): `hanko init`. */
int
cli_init_main(int argc, char **argv)
{
	const char *usage = "hanko init --state DIR [--origin ORIGIN] "
			    "[--signing-listen HOST:PORT] [--admin-listen "
			    "HOST:PORT] [--module PATH --token LABEL --pin-file "
			    "FILE] [--trusted-cas PEM]";
	struct init in;
	const struct cli_opt opts[] = {{"state", &in.state},
	    {"origin", &in.origin}, {"signing-listen", &in.signing},
	    {"admin-listen", &in.admin}, {"module", &in.module},
	    {"token", &in.token}, {"pin-file", &in.pin},
	    {"trusted-cas", &in.trusted}, {NULL, NULL}};
	struct hsm_pool *pool = NULL;
	struct hsm_opts ho;
	struct hsm_info info;
	struct hsm_keyinfo ck, vk;
	struct hk_ckpt *ckpt = NULL;
	struct hk_buf vkey = HK_BUF_INIT, body = HK_BUF_INIT;
	struct hk_event ev;
	char gen[64], conf[HK_CONFIG_PATH_MAX + 64], keyhex[33];
	const char *origin;
	uint8_t rnd[4];
	int embedded, r = 0, rc = CLI_ERROR;

	hk_log_set_level(HK_LOG_WARN);
	memset(&in, 0, sizeof(in));
	in.signing = "127.0.0.1:8443";
	in.admin = "127.0.0.1:8444";
	if (cli_parse(argc, argv, opts, usage) != 0)
		return CLI_ERROR;
	if (in.state == NULL || (!!in.module != !!in.token) ||
	    (!!in.token != !!in.pin)) {
		fprintf(stderr, "usage: %s\n(--module, --token and --pin-file go "
				"together)\n", usage);
		return CLI_ERROR;
	}
	embedded = in.module == NULL;
	if (in.trusted != NULL && (in.trusted_pem = read_text(in.trusted)) ==
	    NULL) {
		fprintf(stderr, "hanko: cannot read %s\n", in.trusted);
		return CLI_ERROR;
	}
	if (in.origin == NULL) {
		randombytes_buf(rnd, sizeof(rnd));
		memcpy(gen, "localhost/hanko/", 16);
		hk_hex_encode(gen + 16, rnd, sizeof(rnd));
		in.origin = gen;
	}
	origin = in.origin;
	if (!ledger_note_name_valid(origin)) {
		fprintf(stderr, "hanko: invalid origin \"%s\"\n", origin);
		return CLI_ERROR;
	}
	if (mkdir_0700(in.state) != 0)
		return CLI_ERROR;
	if (access(join(&in, HK_CONFIG_FILE), F_OK) == 0 ||
	    access(join(&in, HK_STATE_LEDGER), F_OK) == 0 ||
	    access(join(&in, "softhsm"), F_OK) == 0) {
		fprintf(stderr, "hanko: %s is already initialised; refusing to "
				"overwrite it\n", in.state);
		return CLI_FAIL;
	}
	memset(&ho, 0, sizeof(ho));
	ho.sessions = 2;
	if (embedded) {
		snprintf(conf, sizeof(conf),
		    "directories.tokendir = %s/softhsm/tokens\n"
		    "objectstore.backend = file\n"
		    "log.level = ERROR\n"
		    "slots.removable = false\n", in.state);
		if ((r = mkdir_0700(join(&in, "softhsm"))) != 0 ||
		    (r = mkdir_0700(join(&in, "softhsm/tokens"))) != 0 ||
		    (r = write_new(join(&in, "softhsm/softhsm2.conf"), conf)) !=
			0 ||
		    (r = write_pin(join(&in, "hsm.pin"))) != 0 ||
		    (r = write_pin(join(&in, "hsm-so.pin"))) != 0)
			goto out;
		setenv("SOFTHSM2_CONF", join(&in, "softhsm/softhsm2.conf"), 1);
		if ((r = hsm_token_init(NULL, EMBEDDED_TOKEN,
			 join(&in, "hsm-so.pin"), join(&in, "hsm.pin"))) != 0) {
			fprintf(stderr, "hanko: cannot initialise the SoftHSM "
					"token: %s\n", hk_strerror(r));
			goto out;
		}
		ho.token = EMBEDDED_TOKEN;
		ho.pin_file = join(&in, "hsm.pin");
	} else {
		ho.module = in.module;
		ho.token = in.token;
		ho.pin_file = in.pin;
	}
	if ((r = hsm_pool_new(&ho, &pool)) != 0) {
		fprintf(stderr, "hanko: cannot use the HSM: %s\n",
		    hk_strerror(r));
		goto out;
	}
	hsm_pool_info(pool, &info);
	if (!info.has_eddsa) {
		fprintf(stderr, "hanko: the module (%s) lacks EdDSA; Hanko's "
				"checkpoint key is Ed25519 (signed-note type "
				"0x01), and ECDSA checkpoints are not "
				"implemented\n", info.library);
		r = HK_ENOTSUP;
		goto out;
	}
	if ((r = hsm_key_generate(pool, HSM_ALG_ED25519, "hanko-checkpoint", 0,
		 &ck)) != 0 ||
	    (r = hsm_sealkey_generate(pool, "hanko-vault", &vk)) != 0 ||
	    (r = hk_ckpt_open(pool, ck.id, origin, &ckpt)) != 0 ||
	    (r = ledger_note_vkey(origin, hk_ckpt_signer(ckpt)->pub, &vkey)) !=
		0 ||
	    hk_buf_cstr(&vkey) == NULL ||
	    (r = hk_event_genesis_body(HK_SOFTWARE, (const char *)vkey.p,
		 &body)) != 0) {
		fprintf(stderr, "hanko: cannot make the checkpoint key: %s\n",
		    hk_strerror(r));
		goto out;
	}
	memset(&ev, 0, sizeof(ev));
	ev.type = HK_EV_LEDGER_GENESIS;
	ev.actor_kind = HK_ACTOR_SYSTEM;
	ev.actor_id = (struct hk_bytes){(const uint8_t *)"hanko-init", 10};
	ev.actor_channel = HK_CHANNEL_LOCAL;
	ev.body = (struct hk_bytes){body.p, body.len};
	if ((r = ledger_create(join(&in, HK_STATE_LEDGER), origin,
		 hk_ckpt_signer(ckpt), &ev)) != 0 ||
	    (r = ledger_open(join(&in, HK_STATE_LEDGER), NULL,
		 hk_ckpt_signer(ckpt), &in.ledger)) != 0) {
		fprintf(stderr, "hanko: cannot create the ledger: %s\n",
		    hk_strerror(r));
		goto out;
	}
	if ((r = make_pki(&in)) != 0 || (r = front_user("hanko-front")) != 0 ||
	    (r = write_config(&in, origin, ck.id, vk.id, embedded)) != 0)
		goto out;
	hk_hex_encode(keyhex, ck.id, sizeof(ck.id));
	printf("Hanko initialised in %s\n"
	       "  origin        %s\n"
	       "  vkey          %s\n"
	       "  checkpoint    Ed25519 key %s in token \"%s\" (%s)\n"
	       "  signing API   https://%s/\n"
	       "  admin API     https://%s/ (client certificate required)\n"
	       "  admin cert    %s\n"
	       "  admin key     %s\n"
	       "  security officer cert %s (key %s)\n"
	       "  operator CA   %s\n"
	       "  configuration %s\n"
	       "  start with    hankod --state %s\n",
	    in.state, origin, (const char *)vkey.p, keyhex, info.token,
	    info.library, in.signing, in.admin, join(&in, "admin/admin.crt"),
	    join(&in, "admin/admin.key"), join(&in, "so/so.crt"),
	    join(&in, "so/so.key"), join(&in, "ca/operator-ca.crt"),
	    join(&in, HK_CONFIG_FILE), in.state);
	if (embedded)
		printf("  WARNING: the token's security officer PIN is in %s; "
		       "keep it offline\n", join(&in, "hsm-so.pin"));
	rc = CLI_OK;
out:
	if (rc != CLI_OK)
		fprintf(stderr, "hanko: init did not finish (%s); remove %s "
				"before trying again\n", hk_strerror(r),
		    in.state);
	ledger_close(in.ledger);
	free(in.trusted_pem);
	hk_ckpt_free(ckpt);
	hsm_pool_free(pool);
	hk_buf_release(&vkey);
	hk_buf_release(&body);
	return rc;
}
