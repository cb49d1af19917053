/* SPDX-License-Identifier: Apache-2.0 */
/*
 * cli_ledger: `hanko ledger ...`, the operator's and auditor's view of the
 * ledger (OPS-4, SIG-6): create it, verify it end to end, print events as
 * JSON lines, print the verifier key, receipts, consistency proofs and
 * checkpoints, and replay it into signer state. Every command but init
 * opens the ledger read-only, so it is safe while hankod runs.
 */
#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jansson.h>
#include <sodium.h>

#include "core/cli.h"
#include "core/codec.h"
#include "core/cpkey.h"
#include "core/event_json.h"
#include "core/log.h"
#include "core/state.h"
#include "core/version.h"
#include "ledger/ledger.h"

static int
open_ro(const char *state, struct ledger **l)
{
	struct ledger_opts o = {0};
	char dir[4096];
	int r;

	if (state == NULL) {
		fprintf(stderr, "hanko: --state DIR is required\n");
		return CLI_ERROR;
	}
	if (cli_path(dir, sizeof(dir), state, HK_STATE_LEDGER) != 0)
		return CLI_ERROR;
	o.readonly = 1;
	if ((r = ledger_open(dir, &o, NULL, l)) != 0) {
		fprintf(stderr, "hanko: cannot open the ledger in %s: %s\n", dir,
		    hk_strerror(r));
		return r == HK_ECORRUPT ? CLI_FAIL : CLI_ERROR;
	}
	return 0;
}

static int
write_out(const struct hk_buf *b)
{
	if (fwrite(b->p, 1, b->len, stdout) != b->len || fflush(stdout) != 0) {
		fprintf(stderr, "hanko: write: %s\n", strerror(errno));
		return CLI_ERROR;
	}
	return CLI_OK;
}

static int
cmd_init(int argc, char **argv)
{
	const char *usage = "hanko ledger init --state DIR [--origin ORIGIN]";
	const char *state = NULL, *origin = NULL;
	const struct cli_opt opts[] = {{"state", &state}, {"origin", &origin},
	    {NULL, NULL}};
	char dir[4096], key[4096], gen[64];
	struct hk_cpkey *k = NULL;
	struct hk_buf vkey = HK_BUF_INIT, body = HK_BUF_INIT;
	struct hk_event ev;
	uint8_t rnd[4];
	int r, rc = CLI_ERROR;

	if (cli_parse(argc, argv, opts, usage) != 0)
		return CLI_ERROR;
	if (state == NULL) {
		fprintf(stderr, "usage: %s\n", usage);
		return CLI_ERROR;
	}
	if (origin == NULL) {
		randombytes_buf(rnd, sizeof(rnd));
		memcpy(gen, "localhost/hanko/", 16);
		hk_hex_encode(gen + 16, rnd, sizeof(rnd));
		origin = gen;
	}
	if (!ledger_note_name_valid(origin)) {
		fprintf(stderr, "hanko: invalid origin \"%s\": 1-255 printable "
				"ASCII characters without space or '+'\n", origin);
		return CLI_ERROR;
	}
	if (mkdir(state, 0700) != 0 && errno != EEXIST) {
		fprintf(stderr, "hanko: mkdir %s: %s\n", state, strerror(errno));
		return CLI_ERROR;
	}
	if (cli_path(dir, sizeof(dir), state, HK_STATE_LEDGER) != 0 ||
	    cli_path(key, sizeof(key), state, HK_STATE_CPKEY) != 0)
		return CLI_ERROR;
	if (access(dir, F_OK) == 0 || access(key, F_OK) == 0) {
		fprintf(stderr, "hanko: %s already holds a ledger or checkpoint "
				"key; refusing to overwrite\n", state);
		return CLI_FAIL;
	}
	if ((r = hk_cpkey_generate(key, origin, &k)) != 0) {
		fprintf(stderr, "hanko: cannot create the checkpoint key: %s\n",
		    hk_strerror(r));
		return CLI_ERROR;
	}
	if ((r = ledger_note_vkey(origin, hk_cpkey_signer(k)->pub, &vkey)) != 0 ||
	    hk_buf_cstr(&vkey) == NULL ||
	    (r = hk_event_genesis_body(HK_SOFTWARE, (const char *)vkey.p,
		 &body)) != 0)
		goto out;
	memset(&ev, 0, sizeof(ev));
	ev.type = HK_EV_LEDGER_GENESIS;
	ev.actor_kind = HK_ACTOR_SYSTEM;
	ev.actor_id = (struct hk_bytes){(const uint8_t *)"hanko-ledger-init", 17};
	ev.actor_channel = HK_CHANNEL_LOCAL;
	ev.body = (struct hk_bytes){body.p, body.len};
	if ((r = ledger_create(dir, origin, hk_cpkey_signer(k), &ev)) != 0)
		goto out;
	printf("origin %s\nvkey %.*s\nledger %s\n", origin, (int)vkey.len,
	    (const char *)vkey.p, dir);
	rc = CLI_OK;
out:
	if (rc != CLI_OK) {
		fprintf(stderr, "hanko: ledger init failed: %s\n", hk_strerror(r));
		unlink(key);
	}
	hk_cpkey_free(k);
	hk_buf_release(&vkey);
	hk_buf_release(&body);
	return rc;
}

/* Reading LMDB pages damaged on disk can fault; say so instead of dying
 * silently. Only async-signal-safe calls here. */
static void
fault_handler(int sig)
{
	static const char msg[] = "hanko: ledger verify: FAILED: the LMDB file "
				  "is structurally damaged (fault while reading "
				  "its pages)\n";

	(void)sig;
	if (write(STDERR_FILENO, msg, sizeof(msg) - 1) < 0)
		_exit(CLI_FAIL);
	_exit(CLI_FAIL);
}

static int
read_file(const char *path, struct hk_buf *out)
{
	char chunk[4096];
	size_t n;
	FILE *f;
	int r = 0;

	if ((f = fopen(path, "rb")) == NULL)
		return HK_ENOTFOUND;
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
		if ((r = hk_buf_put(out, chunk, n)) != 0)
			break;
	if (ferror(f))
		r = HK_EIO;
	fclose(f);
	return r;
}

/* A vkey given inline or as the path of a file holding one. */
static int
load_vkey(const char *arg, struct ledger_note_verifier *v)
{
	struct hk_buf b = HK_BUF_INIT;
	int r;

	if (read_file(arg, &b) == 0)
		r = ledger_note_vkey_parse((const char *)b.p, b.len, v);
	else
		r = ledger_note_vkey_parse(arg, strlen(arg), v);
	hk_buf_release(&b);
	if (r != 0)
		fprintf(stderr, "hanko: --vkey: not a valid Ed25519 verifier "
				"key: %s\n", arg);
	return r;
}

/* The ledger must extend a checkpoint the verifier kept from earlier. */
static int
check_trusted(struct ledger *l, const char *path,
    const struct ledger_note_verifier *v, uint64_t size)
{
	struct hk_buf b = HK_BUF_INIT;
	struct ledger_checkpoint cp;
	uint8_t root[LEDGER_HASH_LEN];
	size_t blen;
	int r, rc = CLI_FAIL;

	if (read_file(path, &b) != 0) {
		fprintf(stderr, "hanko: cannot read %s\n", path);
		rc = CLI_ERROR;
		goto out;
	}
	if (ledger_note_open((const char *)b.p, b.len, v, 1, &blen) != 0 ||
	    ledger_note_checkpoint_parse((const char *)b.p, blen, &cp) != 0) {
		printf("ledger verify: FAILED: %s is not a checkpoint signed by "
		       "the ledger's key\n", path);
		goto out;
	}
	if (strcmp(cp.origin, ledger_origin(l)) != 0) {
		printf("ledger verify: FAILED: %s is for origin %s\n", path,
		    cp.origin);
		goto out;
	}
	if (cp.size > size) {
		printf("ledger verify: FAILED: the ledger has %" PRIu64
		       " events but signed a checkpoint of size %" PRIu64
		       " before: it was rolled back or truncated\n",
		    size, cp.size);
		goto out;
	}
	if ((r = ledger_tree_hash(l, cp.size, root)) != 0) {
		fprintf(stderr, "hanko: %s\n", hk_strerror(r));
		rc = CLI_ERROR;
		goto out;
	}
	if (memcmp(root, cp.root, LEDGER_HASH_LEN) != 0) {
		printf("ledger verify: FAILED: the ledger's tree at size %" PRIu64
		       " differs from the trusted checkpoint: history was "
		       "rewritten (fork)\n", cp.size);
		goto out;
	}
	printf("consistent with the trusted checkpoint of size %" PRIu64 "\n",
	    cp.size);
	rc = CLI_OK;
out:
	hk_buf_release(&b);
	return rc;
}

static int
cmd_verify(int argc, char **argv)
{
	const char *usage = "hanko ledger verify --state DIR [--vkey VKEY|FILE] "
			    "[--checkpoint FILE]";
	const char *state = NULL, *vkey = NULL, *cpfile = NULL;
	const struct cli_opt opts[] = {{"state", &state}, {"vkey", &vkey},
	    {"checkpoint", &cpfile}, {NULL, NULL}};
	struct ledger_note_verifier v;
	struct ledger_verify_report rep;
	struct hk_buf rb = HK_BUF_INIT;
	struct sigaction sa;
	struct ledger *l = NULL;
	int r, rc;

	if (cli_parse(argc, argv, opts, usage) != 0)
		return CLI_ERROR;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = fault_handler;
	sigaction(SIGSEGV, &sa, NULL);
	sigaction(SIGBUS, &sa, NULL);
	if (vkey != NULL && load_vkey(vkey, &v) != 0)
		return CLI_ERROR;
	if ((rc = open_ro(state, &l)) != 0) {
		if (rc == CLI_FAIL)
			printf("ledger verify: FAILED: the ledger does not open "
			       "consistently (see the message above)\n");
		return rc;
	}
	if (vkey == NULL &&
	    ledger_note_vkey_parse(ledger_vkey(l), strlen(ledger_vkey(l)), &v) !=
		0) {
		printf("ledger verify: FAILED: stored verifier key malformed\n");
		rc = CLI_FAIL;
		goto out;
	}
	r = ledger_verify(l, &v, 1, &rep);
	if (r == HK_ECORRUPT) {
		if (rep.has_bad_seq)
			printf("ledger verify: FAILED at seq %" PRIu64 ": %s\n",
			    rep.bad_seq, rep.msg);
		else
			printf("ledger verify: FAILED: %s\n", rep.msg);
		rc = CLI_FAIL;
		goto out;
	}
	if (r != 0) {
		fprintf(stderr, "hanko: ledger verify: %s\n", hk_strerror(r));
		rc = CLI_ERROR;
		goto out;
	}
	if ((r = hk_b64_append(&rb, rep.root, sizeof(rep.root))) != 0 ||
	    hk_buf_cstr(&rb) == NULL) {
		rc = CLI_ERROR;
		goto out;
	}
	printf("ok: %" PRIu64 " events, %" PRIu64 " checkpoints, root %s\n"
	       "origin %s\nvkey %s\n", rep.events, rep.checkpoints,
	    (const char *)rb.p, ledger_origin(l), ledger_vkey(l));
	rc = cpfile != NULL ? check_trusted(l, cpfile, &v, rep.events) : CLI_OK;
out:
	hk_buf_release(&rb);
	ledger_close(l);
	return rc;
}

static int
cmd_show(int argc, char **argv)
{
	const char *usage = "hanko ledger show --state DIR [--from N] "
			    "[--count K]";
	const char *state = NULL, *from_s = NULL, *count_s = NULL;
	const struct cli_opt opts[] = {{"state", &state}, {"from", &from_s},
	    {"count", &count_s}, {NULL, NULL}};
	struct hk_sha256 *h = NULL;
	struct ledger_iter *it = NULL;
	struct ledger *l = NULL;
	struct hk_mpk_error perr;
	struct hk_event ev;
	struct hk_bytes b;
	uint8_t leaf[LEDGER_HASH_LEN];
	uint64_t from = 0, count = UINT64_MAX, seq, n = 0;
	json_t *j;
	char *s;
	int r, rc;

	if (cli_parse(argc, argv, opts, usage) != 0 ||
	    (from_s != NULL && cli_u64(from_s, "from", &from) != 0) ||
	    (count_s != NULL && cli_u64(count_s, "count", &count) != 0))
		return CLI_ERROR;
	if ((rc = open_ro(state, &l)) != 0)
		return rc;
	if ((h = hk_sha256_new()) == NULL ||
	    (r = ledger_iter_new(l, from, &it)) != 0) {
		rc = CLI_ERROR;
		goto out;
	}
	rc = CLI_OK;
	while (n < count && (r = ledger_iter_next(it, &seq, &b)) == 0) {
		if (hk_event_decode(b.p, b.n, &ev, &perr) != 0) {
			fprintf(stderr, "hanko: seq %" PRIu64 ": event outside the "
					"profile: %s at byte %zu\n", seq, perr.msg,
			    perr.off);
			rc = CLI_FAIL;
			break;
		}
		if (ledger_merkle_leaf_hash(h, b.p, b.n, leaf) != 0 ||
		    (j = hk_event_to_json(&ev, leaf)) == NULL) {
			rc = CLI_ERROR;
			break;
		}
		s = json_dumps(j, JSON_COMPACT | JSON_PRESERVE_ORDER);
		json_decref(j);
		if (s == NULL) {
			rc = CLI_ERROR;
			break;
		}
		printf("%s\n", s);
		free(s);
		n++;
	}
	if (rc == CLI_OK && r != 0 && r != HK_ENOTFOUND)
		rc = CLI_ERROR;
out:
	ledger_iter_free(it);
	hk_sha256_free(h);
	ledger_close(l);
	return rc;
}

static int
cmd_vkey(int argc, char **argv)
{
	const char *usage = "hanko ledger vkey --state DIR";
	const char *state = NULL;
	const struct cli_opt opts[] = {{"state", &state}, {NULL, NULL}};
	struct ledger *l = NULL;
	int rc;

	if (cli_parse(argc, argv, opts, usage) != 0)
		return CLI_ERROR;
	if ((rc = open_ro(state, &l)) != 0)
		return rc;
	printf("%s\n", ledger_vkey(l));
	ledger_close(l);
	return CLI_OK;
}

static int
cmd_receipt(int argc, char **argv)
{
	const char *usage = "hanko ledger receipt --state DIR --seq N";
	const char *state = NULL, *seq_s = NULL;
	const struct cli_opt opts[] = {{"state", &state}, {"seq", &seq_s},
	    {NULL, NULL}};
	struct hk_buf out = HK_BUF_INIT;
	struct ledger *l = NULL;
	uint64_t seq;
	int r, rc;

	if (cli_parse(argc, argv, opts, usage) != 0)
		return CLI_ERROR;
	if (seq_s == NULL) {
		fprintf(stderr, "usage: %s\n", usage);
		return CLI_ERROR;
	}
	if (cli_u64(seq_s, "seq", &seq) != 0)
		return CLI_ERROR;
	if ((rc = open_ro(state, &l)) != 0)
		return rc;
	if ((r = ledger_receipt(l, seq, &out)) != 0) {
		fprintf(stderr, "hanko: no receipt for seq %" PRIu64 ": %s\n", seq,
		    r == HK_ENOTFOUND ? "no such event" : hk_strerror(r));
		rc = CLI_FAIL;
	} else {
		rc = write_out(&out);
	}
	hk_buf_release(&out);
	ledger_close(l);
	return rc;
}

static int
cmd_proof(int argc, char **argv)
{
	const char *usage = "hanko ledger proof --state DIR --old M [--new N]";
	const char *state = NULL, *old_s = NULL, *new_s = NULL;
	const struct cli_opt opts[] = {{"state", &state}, {"old", &old_s},
	    {"new", &new_s}, {NULL, NULL}};
	struct hk_buf out = HK_BUF_INIT;
	struct ledger *l = NULL;
	uint64_t m, n = 0;
	int r, rc;

	if (cli_parse(argc, argv, opts, usage) != 0)
		return CLI_ERROR;
	if (old_s == NULL) {
		fprintf(stderr, "usage: %s\n", usage);
		return CLI_ERROR;
	}
	if (cli_u64(old_s, "old", &m) != 0 ||
	    (new_s != NULL && cli_u64(new_s, "new", &n) != 0))
		return CLI_ERROR;
	if (new_s != NULL && n == 0) {
		fprintf(stderr, "hanko: --new must be at least 1\n");
		return CLI_ERROR;
	}
	if ((rc = open_ro(state, &l)) != 0)
		return rc;
	if ((r = ledger_consistency_text(l, m, n, &out)) != 0) {
		if (r == HK_ENOTFOUND)
			fprintf(stderr, "hanko: no checkpoint stored for size %"
					PRIu64 "\n", n);
		else if (r == HK_ERANGE)
			fprintf(stderr, "hanko: --old %" PRIu64 " is beyond "
					"the new tree\n", m);
		else
			fprintf(stderr, "hanko: %s\n", hk_strerror(r));
		rc = CLI_FAIL;
	} else {
		rc = write_out(&out);
	}
	hk_buf_release(&out);
	ledger_close(l);
	return rc;
}

static int
cmd_checkpoint(int argc, char **argv)
{
	const char *usage = "hanko ledger checkpoint --state DIR [--size N]";
	const char *state = NULL, *size_s = NULL;
	const struct cli_opt opts[] = {{"state", &state}, {"size", &size_s},
	    {NULL, NULL}};
	struct hk_buf out = HK_BUF_INIT;
	struct ledger *l = NULL;
	uint64_t size = 0;
	int r, rc;

	if (cli_parse(argc, argv, opts, usage) != 0 ||
	    (size_s != NULL && cli_u64(size_s, "size", &size) != 0))
		return CLI_ERROR;
	if ((rc = open_ro(state, &l)) != 0)
		return rc;
	if ((r = ledger_checkpoint_get(l, size, &out, NULL)) != 0) {
		fprintf(stderr, "hanko: no checkpoint stored for size %" PRIu64
				": %s\n", size, hk_strerror(r));
		rc = CLI_FAIL;
	} else {
		rc = write_out(&out);
	}
	hk_buf_release(&out);
	ledger_close(l);
	return rc;
}

static int
cmd_replay(int argc, char **argv)
{
	const char *usage = "hanko ledger replay --state DIR";
	const char *state = NULL;
	const struct cli_opt opts[] = {{"state", &state}, {NULL, NULL}};
	struct hk_state *st = NULL;
	struct ledger *l = NULL;
	uint8_t dg[32];
	char hex[65];
	uint64_t events, flagged, first;
	const char *why;
	int r, rc;

	if (cli_parse(argc, argv, opts, usage) != 0)
		return CLI_ERROR;
	if ((rc = open_ro(state, &l)) != 0)
		return rc;
	if ((st = hk_state_new()) == NULL) {
		rc = CLI_ERROR;
		goto out;
	}
	if ((r = hk_state_replay(st, l, &events)) != 0 ||
	    (r = hk_state_digest(st, dg)) != 0) {
		fprintf(stderr, "hanko: replay failed: %s\n", hk_strerror(r));
		rc = CLI_FAIL;
		goto out;
	}
	hk_hex_encode(hex, dg, sizeof(dg));
	flagged = hk_state_flagged(st, &first, &why);
	printf("events %" PRIu64 "\nflagged %" PRIu64 "\ndigest %s\n", events,
	    flagged, hex);
	if (flagged > 0) {
		printf("first flagged seq %" PRIu64 ": %s\n", first, why);
		rc = CLI_FAIL;
	}
out:
	hk_state_free(st);
	ledger_close(l);
	return rc;
}

static const struct {
	const char *name;
	int (*fn)(int, char **);
} cmds[] = {
	{"init", cmd_init},
	{"verify", cmd_verify},
	{"show", cmd_show},
	{"vkey", cmd_vkey},
	{"receipt", cmd_receipt},
	{"proof", cmd_proof},
	{"checkpoint", cmd_checkpoint},
	{"replay", cmd_replay},
};

/** cli_ledger_main(argc, argv): dispatch `hanko ledger <command>`. */
int
cli_ledger_main(int argc, char **argv)
{
	size_t i;

	hk_log_set_level(HK_LOG_WARN);
	if (argc >= 1)
		for (i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++)
			if (strcmp(argv[0], cmds[i].name) == 0)
				return cmds[i].fn(argc - 1, argv + 1);
	fprintf(stderr, "usage: hanko ledger <init|verify|show|vkey|receipt|"
			"proof|checkpoint|replay> --state DIR ...\n");
	return CLI_ERROR;
}
