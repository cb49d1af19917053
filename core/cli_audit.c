/* SPDX-License-Identifier: Apache-2.0 */
/*
 * cli_audit: `hanko audit ...`, the auditor's and relying party's tools
 * (SIG-6, OPS-4, OPS-6): export an audit bundle from a state directory
 * (read-only, safe while hankod runs), verify a bundle offline, verify a
 * signature receipt offline. docs/audit.md.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <sodium.h>

#include "core/audit.h"
#include "core/audit_export.h"
#include "core/cli.h"
#include "core/codec.h"
#include "core/config.h"
#include "core/log.h"
#include "core/seal.h"
#include "hsm/hsm.h"
#include "ledger/ledger.h"

/* A vkey given inline or as the path of a file holding one. */
static int
load_vkey(const char *arg, struct ledger_note_verifier *v)
{
	struct hk_buf b = HK_BUF_INIT;
	size_t n;
	int r;

	if (access(arg, R_OK) == 0) {
		if (cli_read_file(arg, 65536, &b) != 0)
			return CLI_ERROR;
		n = b.len;
		while (n > 0 && (b.p[n - 1] == '\n' || b.p[n - 1] == '\r'))
			n--;
		r = ledger_note_vkey_parse((const char *)b.p, n, v);
	} else {
		r = ledger_note_vkey_parse(arg, strlen(arg), v);
	}
	hk_buf_release(&b);
	if (r != 0) {
		fprintf(stderr, "hanko: --vkey: not a valid Ed25519 verifier "
				"key: %s\n", arg);
		return CLI_ERROR;
	}
	return 0;
}

static void
fmt_ms(char *out, size_t len, uint64_t ms)
{
	struct tm tm;
	time_t t = (time_t)(ms / 1000);

	if (gmtime_r(&t, &tm) == NULL ||
	    strftime(out, len, "%Y-%m-%dT%H:%M:%S", &tm) == 0)
		snprintf(out, len, "?");
	else
		snprintf(out + strlen(out), len - strlen(out), ".%03uZ",
		    (unsigned)(ms % 1000));
}

/* ---- export ------------------------------------------------------------------ */

struct certsrc {
	struct ledger *l;
	struct hsm_pool *pool;
	struct hk_config *cfg;
};

/* The certificate chain of ${cid}: the signer's data key unsealed by the
 * HSM, then the vault's cert/<cid> box opened with it (as core/lifecycle.c
 * stores it). */
static int
cert_from_vault(void *arg, const char *cid, const char *sid,
    struct hk_buf *pem, const char **why)
{
	struct certsrc *c = arg;
	struct hk_buf sealed = HK_BUF_INIT, box = HK_BUF_INIT;
	uint8_t *key = hk_seal_key_new();
	char vk[128];
	size_t n = 0;
	int r;

	*why = NULL;
	if (key == NULL)
		return HK_ENOMEM;
	snprintf(vk, sizeof(vk), "sk/%s", sid);
	if ((r = ledger_vault_get(c->l, (const uint8_t *)vk, strlen(vk),
		 &sealed)) != 0) {
		*why = r == HK_ENOTFOUND ? "the signer's data key is gone" :
		    "vault read failed";
		goto out;
	}
	if ((r = hsm_unseal(c->pool, c->cfg->vault_key, (const uint8_t *)sid,
		 strlen(sid), sealed.p, sealed.len, key, &n)) != 0 ||
	    n != HK_SEAL_KEY_LEN) {
		*why = "the HSM did not unseal the signer's data key";
		r = r != 0 ? r : HK_ECORRUPT;
		goto out;
	}
	snprintf(vk, sizeof(vk), "cert/%s", cid);
	if ((r = ledger_vault_get(c->l, (const uint8_t *)vk, strlen(vk),
		 &box)) != 0) {
		*why = r == HK_ENOTFOUND ? "no certificate in the vault" :
		    "vault read failed";
		goto out;
	}
	if (box.len < HK_SEAL_OVERHEAD ||
	    (r = hk_buf_reserve(pem, box.len)) != 0 ||
	    (r = hk_seal_decrypt(key, box.p, box.len, pem->p, box.len, &n)) !=
		0) {
		*why = "the certificate's box does not open";
		r = r != 0 ? r : HK_ECORRUPT;
		goto out;
	}
	pem->len = n;
out:
	hk_seal_key_free(key);
	hk_buf_release(&sealed);
	hk_buf_release(&box);
	return r;
}

static int
cmd_export(int argc, char **argv)
{
	const char *usage = "hanko audit export --state DIR --out PATH "
			    "[--from N] [--to M] [--certs auto|none]";
	const char *state = NULL, *out = NULL, *from_s = NULL, *to_s = NULL,
		   *certs = NULL;
	const struct cli_opt opts[] = {{"state", &state}, {"out", &out},
	    {"from", &from_s}, {"to", &to_s}, {"certs", &certs},
	    {NULL, NULL}};
	struct hk_audit_export_opts o;
	struct hk_audit_export_report rep;
	struct hk_config cfg;
	struct certsrc cs = {0};
	struct ledger_opts lo = {0};
	struct hsm_opts ho;
	struct ledger *l = NULL;
	struct timespec t0, t1;
	char dir[4096], conf[4096], err[512], msg[512];
	int r, rc = CLI_ERROR;

	memset(&o, 0, sizeof(o));
	if (cli_parse(argc, argv, opts, usage) != 0 ||
	    (from_s != NULL && cli_u64(from_s, "from", &o.from) != 0) ||
	    (to_s != NULL && cli_u64(to_s, "to", &o.to) != 0))
		return CLI_ERROR;
	if (state == NULL || out == NULL || (certs != NULL &&
	    strcmp(certs, "auto") != 0 && strcmp(certs, "none") != 0)) {
		fprintf(stderr, "usage: %s\n", usage);
		return CLI_ERROR;
	}
	if (to_s != NULL && o.to == 0) {
		fprintf(stderr, "hanko: --to must be at least 1\n");
		return CLI_ERROR;
	}
	o.out = out;
	if (cli_path(dir, sizeof(dir), state, HK_STATE_LEDGER) != 0 ||
	    cli_path(conf, sizeof(conf), state, HK_CONFIG_FILE) != 0)
		return CLI_ERROR;
	if (access(out, F_OK) == 0) {
		fprintf(stderr, "hanko: %s already exists; refusing to "
				"overwrite\n", out);
		return CLI_ERROR;
	}
	clock_gettime(CLOCK_MONOTONIC, &t0);
	lo.readonly = 1;
	if ((r = ledger_open(dir, &lo, NULL, &l)) != 0) {
		fprintf(stderr, "hanko: cannot open the ledger in %s: %s\n", dir,
		    hk_strerror(r));
		return r == HK_ECORRUPT ? CLI_FAIL : CLI_ERROR;
	}
	if (certs != NULL && strcmp(certs, "none") == 0) {
		o.no_cert = "not exported (--certs none)";
	} else if ((r = hk_config_load(conf, state, &cfg, err, sizeof(err))) ==
	    HK_ENOTFOUND) {
		o.no_cert = "no hanko.conf in the state directory, so no HSM "
			    "to unseal it";
	} else if (r != 0) {
		fprintf(stderr, "hanko: %s\n", err);
		goto out;
	} else {
		if (cfg.softhsm_conf[0] != '\0')
			setenv("SOFTHSM2_CONF", cfg.softhsm_conf, 1);
		memset(&ho, 0, sizeof(ho));
		ho.module = cfg.hsm_module;
		ho.token = cfg.hsm_token;
		ho.pin_file = cfg.hsm_pin_file;
		ho.sessions = 1;
		if ((r = hsm_pool_new(&ho, &cs.pool)) != 0) {
			fprintf(stderr, "hanko: cannot log in to token \"%s\" to "
					"unseal the certificates (%s); use "
					"--certs none to export without them\n",
			    cfg.hsm_token, hk_strerror(r));
			goto out;
		}
		cs.l = l;
		cs.cfg = &cfg;
		o.cert = cert_from_vault;
		o.cert_arg = &cs;
	}
	if ((r = hk_audit_export(l, &o, &rep, msg, sizeof(msg))) != 0) {
		fprintf(stderr, "hanko: audit export: %s\n", msg);
		rc = r == HK_ECORRUPT ? CLI_FAIL : CLI_ERROR;
		goto out;
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	printf("exported %s\ntree size %" PRIu64 ", entries from seq %" PRIu64
	       " (%" PRIu64 " events)\nfiles %" PRIu64 ", %" PRIu64 " bytes\n"
	       "certificates %" PRIu64 " exported, %" PRIu64 " not "
	       "(see manifest.json)\nseconds %.3f\n", out, rep.size, rep.from,
	    rep.events, rep.files, rep.bytes, rep.certificates,
	    rep.cert_missing, (double)(t1.tv_sec - t0.tv_sec) +
		(double)(t1.tv_nsec - t0.tv_nsec) / 1e9);
	rc = CLI_OK;
out:
	hsm_pool_free(cs.pool);
	ledger_close(l);
	return rc;
}

/* ---- verify ------------------------------------------------------------------- */

/* "PATH --opt v ..." : the positional argument first. */
static int
positional(int argc, char **argv, const char **pos, const char *usage)
{
	if (argc < 1 || strncmp(argv[0], "--", 2) == 0) {
		fprintf(stderr, "usage: %s\n", usage);
		return CLI_ERROR;
	}
	*pos = argv[0];
	return 0;
}

static void
print_failure(const char *what, const struct hk_audit_report *rep)
{
	if (rep->has_seq)
		printf("%s: FAILED at seq %" PRIu64 ": %s\n", what, rep->seq,
		    rep->msg);
	else
		printf("%s: FAILED: %s\n", what, rep->msg);
}

static int
cmd_verify(int argc, char **argv)
{
	const char *usage = "hanko audit verify PATH --vkey VKEY|FILE";
	const char *path = NULL, *vkey = NULL;
	const struct cli_opt opts[] = {{"vkey", &vkey}, {NULL, NULL}};
	struct ledger_note_verifier v;
	struct hk_audit_report rep;
	struct hk_buf rb = HK_BUF_INIT;
	char t0[40], t1[40];
	struct stat st;
	int r;

	if (positional(argc, argv, &path, usage) != 0 ||
	    cli_parse(argc - 1, argv + 1, opts, usage) != 0)
		return CLI_ERROR;
	if (vkey == NULL) {
		fprintf(stderr, "usage: %s\n", usage);
		return CLI_ERROR;
	}
	if (load_vkey(vkey, &v) != 0)
		return CLI_ERROR;
	if (stat(path, &st) != 0 || !S_ISDIR(st.st_mode)) {
		fprintf(stderr, "hanko: audit verify: %s is not a bundle "
				"directory\n", path);
		return CLI_ERROR;
	}
	r = hk_audit_bundle_verify(path, &v, &rep);
	if (r == HK_EVERIFY) {
		print_failure("audit verify", &rep);
		return CLI_FAIL;
	}
	if (r != 0) {
		fprintf(stderr, "hanko: audit verify: cannot read the bundle %s: "
				"%s\n", path, hk_strerror(r));
		return CLI_ERROR;
	}
	if (hk_b64_append(&rb, rep.root, 32) != 0 || hk_buf_cstr(&rb) == NULL)
		return CLI_ERROR;
	fmt_ms(t0, sizeof(t0), rep.first_ms);
	fmt_ms(t1, sizeof(t1), rep.last_ms);
	printf("audit verify: ok\norigin %s\ntree size %" PRIu64 ", root %s\n"
	       "events %" PRIu64 " (seq %" PRIu64 " to %" PRIu64 ")\n"
	       "signers %" PRIu64 ", credentials %" PRIu64 ", authorizations %"
	       PRIu64 ", signatures %" PRIu64 " (each verified)\n"
	       "certificates %" PRIu64 " checked\nfirst %s\nlast %s\n",
	    rep.origin, rep.size, (const char *)rb.p, rep.events, rep.from,
	    rep.size - 1, rep.signers, rep.credentials, rep.authorizations,
	    rep.signatures, rep.certificates, t0, t1);
	if (rep.unchecked > 0)
		printf("partial bundle: %" PRIu64 " events concern credentials "
		       "whose history starts before seq %" PRIu64 " and were not "
		       "replayed\n", rep.unchecked, rep.from);
	hk_buf_release(&rb);
	return CLI_OK;
}

static int
cmd_receipt_verify(int argc, char **argv)
{
	const char *usage = "hanko audit receipt-verify RECEIPT --vkey "
			    "VKEY|FILE [--cert PEM] [--hash HEX]";
	const char *path = NULL, *vkey = NULL, *cert = NULL, *hash_s = NULL;
	const struct cli_opt opts[] = {{"vkey", &vkey}, {"cert", &cert},
	    {"hash", &hash_s}, {NULL, NULL}};
	struct ledger_note_verifier v;
	struct hk_audit_report rep;
	struct hk_buf text = HK_BUF_INIT, pem = HK_BUF_INIT;
	uint8_t hash[64];
	size_t hlen = 0;
	int r, rc = CLI_ERROR;

	if (positional(argc, argv, &path, usage) != 0 ||
	    cli_parse(argc - 1, argv + 1, opts, usage) != 0)
		return CLI_ERROR;
	if (vkey == NULL) {
		fprintf(stderr, "usage: %s\n", usage);
		return CLI_ERROR;
	}
	if (hash_s != NULL && (hk_hex_decode(hash, sizeof(hash), hash_s,
				   strlen(hash_s), &hlen) != 0 || hlen == 0)) {
		fprintf(stderr, "hanko: --hash: not a hex hash of 1 to 64 "
				"bytes\n");
		return CLI_ERROR;
	}
	if (load_vkey(vkey, &v) != 0 || cli_read_file(path, 1 << 20, &text) !=
	    0 || (cert != NULL && cli_read_file(cert, 1 << 20, &pem) != 0))
		goto out;
	r = hk_audit_receipt_verify((const char *)text.p, text.len, &v,
	    cert ? (const char *)pem.p : NULL, pem.len,
	    hash_s ? hash : NULL, hlen, &rep);
	if (r == HK_EVERIFY || r == HK_EINVAL) {
		print_failure("receipt verify", &rep);
		rc = CLI_FAIL;
		goto out;
	}
	if (r != 0) {
		fprintf(stderr, "hanko: receipt verify: %s\n", hk_strerror(r));
		goto out;
	}
	printf("receipt verify: ok: seq %" PRIu64 " is in the tree of size %"
	       PRIu64 " of %s\n", rep.seq, rep.size, rep.origin);
	if (hash_s != NULL)
		printf("the event is the signature of hash %s\n", hash_s);
	if (cert != NULL)
		printf("the signature value verifies under the certificate's "
		       "key, the key that signed\n");
	rc = CLI_OK;
out:
	hk_buf_release(&text);
	hk_buf_release(&pem);
	return rc;
}

static const struct {
	const char *name;
	int (*fn)(int, char **);
} cmds[] = {
	{"export", cmd_export},
	{"verify", cmd_verify},
	{"receipt-verify", cmd_receipt_verify},
};

/** cli_audit_main(argc, argv): dispatch `hanko audit <command>`. */
int
cli_audit_main(int argc, char **argv)
{
	size_t i;

	hk_log_set_level(HK_LOG_WARN);
	if (argc >= 1)
		for (i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++)
			if (strcmp(argv[0], cmds[i].name) == 0)
				return cmds[i].fn(argc - 1, argv + 1);
	fprintf(stderr, "usage: hanko audit <export|verify|receipt-verify> "
			"...\n");
	return CLI_ERROR;
}
