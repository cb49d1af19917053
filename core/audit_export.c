/* SPDX-License-Identifier: Apache-2.0 */
/*
 * audit_export: the bundle writer and the export of a ledger (see
 * audit_export.h, docs/audit.md). OPS-6, SIG-6, OPS-4.
 */
#define _XOPEN_SOURCE 700 /* nftw() */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>
#include <openssl/evp.h>

#include "core/audit.h"
#include "core/audit_export.h"
#include "core/audit_internal.h"
#include "core/codec.h"
#include "core/strmap.h"
#include "core/version.h"
#include "ledger/ledger_tiles.h"

struct hk_audit_writer {
	char dir[4096];
	uint64_t from;          /* first leaf of the first entry bundle */
	uint64_t n;             /* events added */
	struct hk_sha256 *h;
	struct ledger_tiles *tiles;
	struct hk_buf bundle;   /* the open entry bundle */
	unsigned in_bundle;
	FILE *jsonl;
	EVP_MD_CTX *jmd;
	uint64_t jbytes;
	struct hk_buf line;
	json_t *files;          /* path -> {sha256, size} */
	json_t *certs;          /* array */
	struct hk_audit_export_report rep;
	int finished;
};

static int
join(char *out, size_t len, const char *dir, const char *rel)
{
	int n = snprintf(out, len, "%s/%s", dir, rel);

	return n < 0 || (size_t)n >= len ? HK_ETOOBIG : 0;
}

/* mkdir -p for the parent directories of ${path} below the bundle. */
static int
mkparents(struct hk_audit_writer *w, const char *rel)
{
	char path[4096];
	size_t base = strlen(w->dir) + 1, i;

	if (join(path, sizeof(path), w->dir, rel) != 0)
		return HK_ETOOBIG;
	for (i = base; path[i] != '\0'; i++) {
		if (path[i] != '/')
			continue;
		path[i] = '\0';
		if (mkdir(path, 0755) != 0 && errno != EEXIST)
			return HK_EIO;
		path[i] = '/';
	}
	return 0;
}

static int
listed(struct hk_audit_writer *w, const char *rel, const uint8_t d[32],
    uint64_t size)
{
	char hex[65];
	json_t *e;

	hk_hex_encode(hex, d, 32);
	if ((e = json_pack("{s:s,s:I}", "sha256", hex, "size",
		 (json_int_t)size)) == NULL ||
	    json_object_set_new(w->files, rel, e) != 0)
		return HK_ENOMEM;
	w->rep.files++;
	w->rep.bytes += size;
	return 0;
}

/* Write a new file ${rel} of the bundle and list it. */
static int
put_file(struct hk_audit_writer *w, const char *rel, const void *p, size_t n)
{
	char path[4096];
	uint8_t d[32];
	unsigned int dl = 0;
	FILE *f;
	int fd, r;

	if ((r = mkparents(w, rel)) != 0 ||
	    (r = join(path, sizeof(path), w->dir, rel)) != 0)
		return r;
	if ((fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644)) <
	    0)
		return HK_EIO;
	if ((f = fdopen(fd, "wb")) == NULL) {
		close(fd);
		return HK_EIO;
	}
	r = (n > 0 && fwrite(p, 1, n, f) != n) ? HK_EIO : 0;
	if (fclose(f) != 0)
		r = HK_EIO;
	if (r != 0)
		return r;
	if (EVP_Digest(p, n, d, &dl, EVP_sha256(), NULL) != 1)
		return HK_ECRYPTO;
	return listed(w, rel, d, n);
}

static int
tile_write_cb(void *arg, int level, uint64_t index, unsigned width,
    const uint8_t (*hashes)[LEDGER_HASH_LEN])
{
	struct hk_audit_writer *w = arg;
	char rel[LEDGER_TILE_PATH_MAX];
	int r;

	if ((r = ledger_tile_path(level, index, width, rel, sizeof(rel))) != 0)
		return r;
	return put_file(w, rel, hashes, (size_t)width * LEDGER_HASH_LEN);
}

static int
rm_cb(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)ftw;
	if (flag == FTW_DP)
		return rmdir(path) == 0 ? 0 : -1;
	return unlink(path) == 0 ? 0 : -1;
}

/** hk_audit_rm_tree(path): remove ${path} and all below it. */
void
hk_audit_rm_tree(const char *path)
{
	(void)nftw(path, rm_cb, 16, FTW_DEPTH | FTW_PHYS);
}

/** hk_audit_writer_free(w): release; unfinished bundles are removed. */
void
hk_audit_writer_free(struct hk_audit_writer *w)
{
	if (w == NULL)
		return;
	if (w->jsonl != NULL)
		fclose(w->jsonl);
	if (!w->finished && w->dir[0] != '\0')
		hk_audit_rm_tree(w->dir);
	EVP_MD_CTX_free(w->jmd);
	ledger_tiles_free(w->tiles);
	hk_sha256_free(w->h);
	hk_buf_release(&w->bundle);
	hk_buf_release(&w->line);
	json_decref(w->files);
	json_decref(w->certs);
	free(w);
}

/** hk_audit_writer_new(dir, from, out): start a bundle in a new ${dir}. */
int
hk_audit_writer_new(const char *dir, uint64_t from,
    struct hk_audit_writer **out)
{
	struct hk_audit_writer *w;
	char path[4096];
	int r = HK_ENOMEM;

	if (strlen(dir) >= sizeof(w->dir) - 600)
		return HK_ETOOBIG;
	if ((w = calloc(1, sizeof(*w))) == NULL)
		return HK_ENOMEM;
	if (mkdir(dir, 0755) != 0) {
		r = errno == EEXIST ? HK_EEXIST : HK_EIO;
		free(w);
		return r;
	}
	snprintf(w->dir, sizeof(w->dir), "%s", dir);
	w->from = from - from % LEDGER_TILE_WIDTH;
	w->rep.from = w->from;
	if ((w->h = hk_sha256_new()) == NULL ||
	    (w->files = json_object()) == NULL ||
	    (w->certs = json_array()) == NULL ||
	    (w->jmd = EVP_MD_CTX_new()) == NULL ||
	    (r = ledger_tiles_new(tile_write_cb, w, &w->tiles)) != 0)
		goto fail;
	r = HK_EIO;
	if (join(path, sizeof(path), w->dir, HK_AUDIT_EVENTS) != 0 ||
	    (w->jsonl = fopen(path, "wbx")) == NULL ||
	    EVP_DigestInit_ex(w->jmd, EVP_sha256(), NULL) != 1)
		goto fail;
	*out = w;
	return 0;
fail:
	hk_audit_writer_free(w);
	return r;
}

static int
flush_bundle(struct hk_audit_writer *w)
{
	char rel[LEDGER_TILE_PATH_MAX];
	uint64_t index;
	int r;

	if (w->in_bundle == 0)
		return 0;
	index = (w->n - 1) / LEDGER_TILE_WIDTH;
	if ((r = ledger_tile_path(LEDGER_TILE_ENTRIES, index, w->in_bundle, rel,
		 sizeof(rel))) != 0 ||
	    (r = put_file(w, rel, w->bundle.p, w->bundle.len)) != 0)
		return r;
	hk_buf_reset(&w->bundle);
	w->in_bundle = 0;
	return 0;
}

/** hk_audit_writer_add(w, p, n): the next event. */
int
hk_audit_writer_add(struct hk_audit_writer *w, const uint8_t *p, size_t n)
{
	struct hk_mpk_error perr;
	struct hk_event ev;
	uint8_t leaf[LEDGER_HASH_LEN];
	uint8_t len[2] = {(uint8_t)(n >> 8), (uint8_t)n};
	int r;

	if (n > HK_EVENT_MAX_LEN)
		return HK_ETOOBIG;
	if ((r = ledger_merkle_leaf_hash(w->h, p, n, leaf)) != 0 ||
	    (r = ledger_tiles_add(w->tiles, leaf)) != 0)
		return r;
	if (w->n++ < w->from)
		return 0;
	if ((r = hk_buf_put(&w->bundle, len, 2)) != 0 ||
	    (r = hk_buf_put(&w->bundle, p, n)) != 0)
		return r;
	w->rep.events++;
	hk_buf_reset(&w->line);
	if (hk_event_decode(p, n, &ev, &perr) != 0)
		r = hk_buf_printf(&w->line, "{\"seq\":%" PRIu64 ",\"error\":"
		    "\"outside the profile\"}\n", w->n - 1);
	else
		r = hk_audit_json_line(&ev, leaf, &w->line);
	if (r != 0)
		return r;
	if (fwrite(w->line.p, 1, w->line.len, w->jsonl) != w->line.len ||
	    EVP_DigestUpdate(w->jmd, w->line.p, w->line.len) != 1)
		return HK_EIO;
	w->jbytes += w->line.len;
	if (++w->in_bundle == LEDGER_TILE_WIDTH)
		return flush_bundle(w);
	return 0;
}

/** hk_audit_writer_cert(w, cid, sid, status, pem, len): a certificate. */
int
hk_audit_writer_cert(struct hk_audit_writer *w, const char *cid,
    const char *sid, const char *status, const char *pem, size_t len)
{
	char rel[128];
	json_t *e;
	int r;

	if (snprintf(rel, sizeof(rel), "%s/%s.pem", HK_AUDIT_CERTS, cid) >=
	    (int)sizeof(rel))
		return HK_ETOOBIG;
	if ((e = json_pack("{s:s,s:s,s:s}", "credential", cid, "signer", sid,
		 "status", status)) == NULL)
		return HK_ENOMEM;
	if (strcmp(status, "exported") == 0) {
		if ((r = put_file(w, rel, pem, len)) != 0 ||
		    json_object_set_new(e, "file", json_string(rel)) != 0) {
			json_decref(e);
			return r != 0 ? r : HK_ENOMEM;
		}
		w->rep.certificates++;
	} else {
		w->rep.cert_missing++;
	}
	return json_array_append_new(w->certs, e) == 0 ? 0 : HK_ENOMEM;
}

/** hk_audit_writer_finish(w, note, notelen, signer, vkey, rep, msg,
 * msglen): checkpoint, vkey, manifest. */
int
hk_audit_writer_finish(struct hk_audit_writer *w, const char *note,
    size_t notelen, const struct ledger_note_signer *signer, const char *vkey,
    struct hk_audit_export_report *rep, char *msg, size_t msglen)
{
	struct ledger_checkpoint cp;
	struct hk_buf body = HK_BUF_INIT, signed_note = HK_BUF_INIT,
		      rb = HK_BUF_INIT, man = HK_BUF_INIT, vk = HK_BUF_INIT;
	uint8_t root[LEDGER_HASH_LEN], d[32];
	const char *sep;
	unsigned int dl = 0;
	uint64_t size;
	struct timespec ts;
	json_t *m = NULL;
	int r;

	if ((r = flush_bundle(w)) != 0 ||
	    (r = ledger_tiles_finish(w->tiles, &size, root)) != 0)
		goto out;
	if (fclose(w->jsonl) != 0) {
		w->jsonl = NULL;
		r = HK_EIO;
		goto out;
	}
	w->jsonl = NULL;
	if (EVP_DigestFinal_ex(w->jmd, d, &dl) != 1 ||
	    (r = listed(w, HK_AUDIT_EVENTS, d, w->jbytes)) != 0) {
		r = r != 0 ? r : HK_ECRYPTO;
		goto out;
	}
	if (note == NULL) {
		if ((r = ledger_note_checkpoint_body(signer->name, size, root,
			 &body)) != 0 ||
		    (r = ledger_note_sign(signer, (const char *)body.p,
			 body.len, &signed_note)) != 0)
			goto out;
		note = (const char *)signed_note.p;
		notelen = signed_note.len;
	}
	for (sep = note; sep + 1 < note + notelen; sep++)
		if (sep[0] == '\n' && sep[1] == '\n')
			break;
	if (sep + 1 >= note + notelen ||
	    ledger_note_checkpoint_parse(note, (size_t)(sep - note) + 1, &cp) !=
		0) {
		snprintf(msg, msglen, "the checkpoint is malformed");
		r = HK_ECORRUPT;
		goto out;
	}
	if (cp.size != size || memcmp(cp.root, root, LEDGER_HASH_LEN) != 0) {
		snprintf(msg, msglen, "the events do not hash to the checkpoint "
		    "of size %" PRIu64 ": run hanko ledger verify", cp.size);
		r = HK_ECORRUPT;
		goto out;
	}
	if ((r = put_file(w, HK_AUDIT_CHECKPOINT, note, notelen)) != 0 ||
	    (r = hk_buf_printf(&vk, "%s\n", vkey)) != 0 ||
	    (r = put_file(w, HK_AUDIT_VKEY, vk.p, vk.len)) != 0 ||
	    (r = hk_b64_append(&rb, root, sizeof(root))) != 0 ||
	    hk_buf_cstr(&rb) == NULL)
		goto out;
	clock_gettime(CLOCK_REALTIME, &ts);
	if ((m = json_pack("{s:s,s:s,s:I,s:s,s:I,s:s,s:I,s:O,s:O}", "format",
		 HK_AUDIT_FORMAT, "tool", HK_SOFTWARE, "exported_ms",
		 (json_int_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000, "origin",
		 cp.origin, "tree_size", (json_int_t)size, "root",
		 (const char *)rb.p, "from", (json_int_t)w->from, "files",
		 w->files, "certificates", w->certs)) == NULL) {
		r = HK_ENOMEM;
		goto out;
	}
	if ((r = hk_audit_manifest_seal(m, &man)) != 0 ||
	    (r = put_file(w, HK_AUDIT_MANIFEST, man.p, man.len)) != 0)
		goto out;
	w->rep.files--; /* the manifest does not list itself */
	w->rep.bytes -= man.len;
	w->rep.size = size;
	w->finished = 1;
	if (rep != NULL)
		*rep = w->rep;
out:
	json_decref(m);
	hk_buf_release(&body);
	hk_buf_release(&signed_note);
	hk_buf_release(&rb);
	hk_buf_release(&man);
	hk_buf_release(&vk);
	return r;
}

/* ---- export of a ledger ---------------------------------------------------- */

struct bound {
	char cid[64], sid[64];
};

struct scan {
	struct bound *b;
	size_t n, cap;
	struct hk_strmap *seen;    /* cid */
	struct hk_strmap *erased;  /* sid */
};

static int
scan_event(struct scan *s, const uint8_t *p, size_t n)
{
	struct hk_event ev;
	struct bound *nb;
	char sid[64];

	if (hk_event_decode(p, n, &ev, NULL) != 0)
		return 0; /* the verifier reports it */
	if (ev.type == HK_EV_SIGNER_ERASED && ev.signer.n > 0 &&
	    ev.signer.n < sizeof(sid)) {
		memcpy(sid, ev.signer.p, ev.signer.n);
		sid[ev.signer.n] = '\0';
		return hk_strmap_put(s->erased, sid, ev.signer.n, (void *)1);
	}
	if (ev.type != HK_EV_CERT_BOUND || ev.credential.n == 0 ||
	    ev.credential.n >= sizeof(s->b->cid) || ev.signer.n >= sizeof(sid) ||
	    hk_strmap_get(s->seen, (const char *)ev.credential.p,
		ev.credential.n) != NULL)
		return 0;
	if (s->n == s->cap) {
		s->cap = s->cap ? 2 * s->cap : 16;
		if ((nb = realloc(s->b, s->cap * sizeof(*nb))) == NULL)
			return HK_ENOMEM;
		s->b = nb;
	}
	memset(&s->b[s->n], 0, sizeof(s->b[0]));
	memcpy(s->b[s->n].cid, ev.credential.p, ev.credential.n);
	memcpy(s->b[s->n].sid, ev.signer.p, ev.signer.n);
	s->n++;
	return hk_strmap_put(s->seen, (const char *)ev.credential.p,
	    ev.credential.n, (void *)1);
}

/** hk_audit_export(l, o, rep, msg, msglen): export a bundle. */
int
hk_audit_export(struct ledger *l, const struct hk_audit_export_opts *o,
    struct hk_audit_export_report *rep, char *msg, size_t msglen)
{
	struct hk_audit_writer *w = NULL;
	struct ledger_iter *it = NULL;
	struct hk_buf note = HK_BUF_INIT, pem = HK_BUF_INIT,
		      st = HK_BUF_INIT;
	struct scan s = {0};
	struct hk_bytes ev;
	uint64_t size = 0, seq, want;
	const char *why;
	size_t i;
	int r;

	msg[0] = '\0';
	if ((s.seen = hk_strmap_new()) == NULL ||
	    (s.erased = hk_strmap_new()) == NULL) {
		r = HK_ENOMEM;
		goto out;
	}
	/* The checkpoint first: events below its size never change, so a
	 * later read snapshot sees the same ones. */
	if ((r = ledger_checkpoint_get(l, o->to, &note, &size)) != 0) {
		if (r == HK_ENOTFOUND)
			snprintf(msg, msglen, "no checkpoint is stored for tree "
			    "size %" PRIu64 " (checkpoints are stored per "
			    "commit; see hanko ledger checkpoint --size N)",
			    o->to);
		goto out;
	}
	if (o->from >= size) {
		snprintf(msg, msglen, "--from %" PRIu64 " is beyond the tree of "
		    "%" PRIu64 " events", o->from, size);
		r = HK_ERANGE;
		goto out;
	}
	if ((r = hk_audit_writer_new(o->out, o->from, &w)) != 0) {
		snprintf(msg, msglen, "%s: %s", o->out, r == HK_EEXIST ?
		    "already exists; refusing to overwrite" :
		    "cannot create the directory");
		w = NULL;
		goto out;
	}
	if ((r = ledger_iter_new(l, 0, &it)) != 0)
		goto out;
	for (want = 0; want < size; want++) {
		if ((r = ledger_iter_next(it, &seq, &ev)) != 0 || seq != want) {
			snprintf(msg, msglen, "event %" PRIu64 " is missing from "
			    "the ledger", want);
			r = r != 0 && r != HK_ENOTFOUND ? r : HK_ECORRUPT;
			goto out;
		}
		if ((r = hk_audit_writer_add(w, ev.p, ev.n)) != 0 ||
		    (r = scan_event(&s, ev.p, ev.n)) != 0)
			goto out;
	}
	ledger_iter_free(it);
	it = NULL;
	for (i = 0; i < s.n; i++) {
		hk_buf_reset(&pem);
		hk_buf_reset(&st);
		if (hk_strmap_get(s.erased, s.b[i].sid, strlen(s.b[i].sid)) !=
		    NULL) {
			r = hk_audit_writer_cert(w, s.b[i].cid, s.b[i].sid,
			    "erased", NULL, 0);
		} else if (o->cert == NULL) {
			r = hk_buf_printf(&st, "unavailable: %s",
			    o->no_cert ? o->no_cert : "not requested");
			if (r == 0 && hk_buf_cstr(&st) != NULL)
				r = hk_audit_writer_cert(w, s.b[i].cid,
				    s.b[i].sid, (const char *)st.p, NULL, 0);
		} else if (o->cert(o->cert_arg, s.b[i].cid, s.b[i].sid, &pem,
			       &why) == 0) {
			r = hk_audit_writer_cert(w, s.b[i].cid, s.b[i].sid,
			    "exported", (const char *)pem.p, pem.len);
		} else {
			r = hk_buf_printf(&st, "unavailable: %s", why ? why :
			    "cannot be read");
			if (r == 0 && hk_buf_cstr(&st) != NULL)
				r = hk_audit_writer_cert(w, s.b[i].cid,
				    s.b[i].sid, (const char *)st.p, NULL, 0);
		}
		if (r != 0)
			goto out;
	}
	r = hk_audit_writer_finish(w, (const char *)note.p, note.len, NULL,
	    ledger_vkey(l), rep, msg, msglen);
out:
	if (r != 0 && msg[0] == '\0')
		snprintf(msg, msglen, "%s", hk_strerror(r));
	ledger_iter_free(it);
	hk_audit_writer_free(w);
	hk_buf_release(&note);
	hk_buf_release(&pem);
	hk_buf_release(&st);
	hk_strmap_free(s.seen, NULL);
	hk_strmap_free(s.erased, NULL);
	free(s.b);
	return r;
}
