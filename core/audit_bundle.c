/* SPDX-License-Identifier: Apache-2.0 */
/*
 * audit_bundle: the audit bundle downloaded through the auditor API (see
 * audit_bundle.h and docs/audit-api.md). OPS-4, OPS-6, SIG-6.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <sodium.h>

#include "core/audit_api_internal.h"
#include "core/audit_bundle.h"
#include "core/log.h"

#define PATH_LEN 4096

/* ---- POSIX ustar (pax interchange format's base, IEEE 1003.1) --------- */

#define TAR_BLOCK 512u
#define TAR_RECORD 10240u /* 20 blocks: what tar(1) reads at a time */

/* octal(dst, width, v): ${width}-1 octal digits, zero-padded, then NUL. */
static bool
octal(char *dst, size_t width, uint64_t v)
{
	size_t i = width - 1;

	dst[i] = '\0';
	while (i > 0) {
		dst[--i] = (char)('0' + (v & 7));
		v >>= 3;
	}
	return v == 0; /* false: it did not fit */
}

/* tar_header(out, path, dir, size, mtime, err, errlen): one header block
 * for ${path} (a directory's ends in '/'). */
static int
tar_header(FILE *out, const char *path, bool dir, uint64_t size,
    uint64_t mtime, char *err, size_t errlen)
{
	unsigned char h[TAR_BLOCK];
	size_t len = strlen(path), i, cut = 0;
	unsigned sum = 0;

	memset(h, 0, sizeof(h));
	if (len <= 100) {
		memcpy(h, path, len);
	} else {
		/* ustar: prefix (155) "/" name (100), split at a slash. */
		for (i = len - 1; i > 0; i--)
			if (path[i] == '/' && i <= 155 && len - i - 1 <= 100 &&
			    len - i - 1 > 0) {
				cut = i;
				break;
			}
		if (cut == 0) {
			snprintf(err, errlen, "%s: path too long for ustar",
			    path);
			return HK_EIO;
		}
		memcpy(h + 345, path, cut);
		memcpy(h, path + cut + 1, len - cut - 1);
	}
	if (!octal((char *)h + 100, 8, dir ? 0755 : 0644) ||
	    !octal((char *)h + 108, 8, 0) || !octal((char *)h + 116, 8, 0) ||
	    !octal((char *)h + 124, 12, size) ||
	    !octal((char *)h + 136, 12, mtime)) {
		snprintf(err, errlen, "%s: too large for ustar", path);
		return HK_EIO;
	}
	h[156] = dir ? '5' : '0';
	memcpy(h + 257, "ustar", 6); /* with its NUL */
	memcpy(h + 263, "00", 2);
	memcpy(h + 265, "root", 4);
	memcpy(h + 297, "root", 4);
	/* The checksum counts its own field as eight spaces. */
	memset(h + 148, ' ', 8);
	for (i = 0; i < sizeof(h); i++)
		sum += h[i];
	octal((char *)h + 148, 7, sum);
	h[155] = ' ';
	if (fwrite(h, 1, sizeof(h), out) != sizeof(h)) {
		snprintf(err, errlen, "cannot write the archive: %s",
		    strerror(errno));
		return HK_EIO;
	}
	return 0;
}

static int
not_dots(const struct dirent *d)
{
	return strcmp(d->d_name, ".") != 0 && strcmp(d->d_name, "..") != 0;
}

/* tar_walk(dir, rel, out, mtime, err, errlen): the entries of ${dir},
 * named ${rel}/<name>, sorted; directories before their contents. */
static int
tar_walk(const char *dir, const char *rel, FILE *out, uint64_t mtime,
    char *err, size_t errlen)
{
	struct dirent **names = NULL;
	char path[PATH_LEN], name[PATH_LEN];
	unsigned char buf[65536];
	struct stat st;
	int n, i, r = 0;

	if ((n = scandir(dir, &names, not_dots, alphasort)) < 0) {
		snprintf(err, errlen, "%s: %s", dir, strerror(errno));
		return HK_EIO;
	}
	for (i = 0; i < n && r == 0; i++) {
		FILE *in;
		uint64_t left;
		size_t k;

		if ((size_t)snprintf(path, sizeof(path), "%s/%s", dir,
			names[i]->d_name) >= sizeof(path) ||
		    (size_t)snprintf(name, sizeof(name), "%s/%s", rel,
			names[i]->d_name) >= sizeof(name) - 1) {
			snprintf(err, errlen, "%s: path too long", dir);
			r = HK_EIO;
			break;
		}
		if (lstat(path, &st) != 0) {
			snprintf(err, errlen, "%s: %s", path, strerror(errno));
			r = HK_EIO;
			break;
		}
		if (S_ISDIR(st.st_mode)) {
			strcat(name, "/");
			if ((r = tar_header(out, name, true, 0, mtime, err,
				 errlen)) == 0) {
				name[strlen(name) - 1] = '\0';
				r = tar_walk(path, name, out, mtime, err,
				    errlen);
			}
			continue;
		}
		if (!S_ISREG(st.st_mode)) {
			snprintf(err, errlen, "%s: not a regular file", path);
			r = HK_EIO;
			break;
		}
		if ((r = tar_header(out, name, false, (uint64_t)st.st_size,
			 mtime, err, errlen)) != 0)
			break;
		if ((in = fopen(path, "rb")) == NULL) {
			snprintf(err, errlen, "%s: %s", path, strerror(errno));
			r = HK_EIO;
			break;
		}
		for (left = (uint64_t)st.st_size; left > 0 && r == 0;
		     left -= k) {
			k = left < sizeof(buf) ? (size_t)left : sizeof(buf);
			if (fread(buf, 1, k, in) != k ||
			    fwrite(buf, 1, k, out) != k) {
				snprintf(err, errlen, "%s: short copy", path);
				r = HK_EIO;
				k = (size_t)left;
			}
		}
		fclose(in);
		k = (size_t)(st.st_size % TAR_BLOCK);
		if (r == 0 && k != 0) {
			memset(buf, 0, TAR_BLOCK - k);
			if (fwrite(buf, 1, TAR_BLOCK - k, out) != TAR_BLOCK - k) {
				snprintf(err, errlen, "cannot write the "
						      "archive");
				r = HK_EIO;
			}
		}
	}
	for (i = 0; i < n; i++)
		free(names[i]);
	free(names);
	return r;
}

/** hk_audit_tar_dir(dir, top, out, err, errlen): ${dir} as ustar. */
int
hk_audit_tar_dir(const char *dir, const char *top, FILE *out, char *err,
    size_t errlen)
{
	static const unsigned char zero[TAR_BLOCK];
	char name[PATH_LEN];
	long pos;
	uint64_t mtime = (uint64_t)time(NULL);
	int r;

	snprintf(name, sizeof(name), "%s/", top);
	if ((r = tar_header(out, name, true, 0, mtime, err, errlen)) != 0 ||
	    (r = tar_walk(dir, top, out, mtime, err, errlen)) != 0)
		return r;
	/* The end: two zero blocks, then zeros to a whole record. */
	if (fwrite(zero, 1, TAR_BLOCK, out) != TAR_BLOCK ||
	    fwrite(zero, 1, TAR_BLOCK, out) != TAR_BLOCK ||
	    (pos = ftell(out)) < 0) {
		snprintf(err, errlen, "cannot write the archive");
		return HK_EIO;
	}
	while (pos % TAR_RECORD != 0) {
		if (fwrite(zero, 1, TAR_BLOCK, out) != TAR_BLOCK) {
			snprintf(err, errlen, "cannot write the archive");
			return HK_EIO;
		}
		pos += TAR_BLOCK;
	}
	if (fflush(out) != 0) {
		snprintf(err, errlen, "cannot write the archive: %s",
		    strerror(errno));
		return HK_EIO;
	}
	return 0;
}

/* ---- the spool ------------------------------------------------------------ */

struct download {
	bool used, ready;  /* slot taken; archive complete */
	char handle[33];
	uint8_t owner[32];
	int fd;            /* the archive, already unlinked */
	uint64_t total, next, last_ms;
};

struct hk_audit_spool {
	pthread_mutex_t mu;
	char dir[PATH_LEN];
	struct download d[HK_AUDIT_BUNDLE_OPEN_MAX];
};

static uint64_t
mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static void
drop(struct download *d)
{
	if (d->fd >= 0)
		close(d->fd);
	memset(d, 0, sizeof(*d));
	d->fd = -1;
}

/* expire(s): drop downloads nobody read for HK_AUDIT_BUNDLE_IDLE_MS.
 * Under s->mu. */
static void
expire(struct hk_audit_spool *s)
{
	uint64_t now = mono_ms();
	size_t i;

	for (i = 0; i < HK_AUDIT_BUNDLE_OPEN_MAX; i++)
		if (s->d[i].used && s->d[i].ready &&
		    now - s->d[i].last_ms > HK_AUDIT_BUNDLE_IDLE_MS) {
			hk_info_f("audit bundle download %.8s... dropped after "
				  "%u s without a read", s->d[i].handle,
			    HK_AUDIT_BUNDLE_IDLE_MS / 1000);
			drop(&s->d[i]);
		}
}

/** hk_audit_spool_new(dir, out): a spool in ${dir}. */
int
hk_audit_spool_new(const char *dir, struct hk_audit_spool **out)
{
	struct hk_audit_spool *s;
	size_t i;

	*out = NULL;
	if (strlen(dir) >= PATH_LEN - 64)
		return HK_EINVAL;
	if ((s = calloc(1, sizeof(*s))) == NULL)
		return HK_ENOMEM;
	snprintf(s->dir, sizeof(s->dir), "%s", dir);
	/* Leftovers of a process that stopped in the middle of an export. */
	hk_audit_rm_tree(s->dir);
	if (mkdir(s->dir, 0700) != 0) {
		hk_error_f("cannot create the audit spool %s: %s", s->dir,
		    strerror(errno));
		free(s);
		return HK_EIO;
	}
	pthread_mutex_init(&s->mu, NULL);
	for (i = 0; i < HK_AUDIT_BUNDLE_OPEN_MAX; i++)
		s->d[i].fd = -1;
	*out = s;
	return 0;
}

/** hk_audit_spool_free(s): drop every download. */
void
hk_audit_spool_free(struct hk_audit_spool *s)
{
	size_t i;

	if (s == NULL)
		return;
	for (i = 0; i < HK_AUDIT_BUNDLE_OPEN_MAX; i++)
		drop(&s->d[i]);
	hk_audit_rm_tree(s->dir);
	pthread_mutex_destroy(&s->mu);
	free(s);
}

/* chunk(d, a, first, name): answer the next chunk of ${d}: {1: chunk,
 * 2: total} (and, for the first, {3: handle, 4: name}). The download is
 * dropped after its last chunk. Under s->mu. */
static void
chunk(struct download *d, struct hk_audit_answer *a, bool first,
    const char *name)
{
	struct hk_mpk_writer w;
	uint64_t left = d->total - d->next;
	size_t n = left < HK_AUDIT_BUNDLE_CHUNK ? (size_t)left :
						  HK_AUDIT_BUNDLE_CHUNK;
	bool last = n == left;
	uint8_t *buf;
	ssize_t got;
	size_t have = 0;

	if ((buf = malloc(n > 0 ? n : 1)) == NULL) {
		hk_audit_api_fail(a, 500, "internal_error", "out of memory");
		drop(d);
		return;
	}
	while (have < n) {
		got = pread(d->fd, buf + have, n - have,
		    (off_t)(d->next + have));
		if (got <= 0) {
			if (got < 0 && errno == EINTR)
				continue;
			free(buf);
			hk_error_f("audit bundle: read at %" PRIu64 " failed",
			    d->next + have);
			hk_audit_api_fail(a, 503, "unavailable",
			    "the archive cannot be read");
			drop(d);
			return;
		}
		have += (size_t)got;
	}
	hk_buf_reset(a->resp);
	hk_mpk_writer_init(&w, a->resp);
	hk_mpk_put_map(&w, first ? 4 : 2);
	hk_mpk_put_uint(&w, 1);
	hk_mpk_put_bin(&w, buf, n);
	hk_mpk_put_uint(&w, 2);
	hk_mpk_put_uint(&w, d->total);
	if (first) {
		hk_mpk_put_uint(&w, 3);
		hk_mpk_put_cstr(&w, last ? "" : d->handle);
		hk_mpk_put_uint(&w, 4);
		hk_mpk_put_cstr(&w, name);
	}
	free(buf);
	hk_audit_api_done(a, &w);
	d->next += n;
	d->last_ms = mono_ms();
	if (last || a->status != 200)
		drop(d);
}

static const struct argspec open_spec[] = {
    {1, ARG_UINT, 0},
    {2, ARG_UINT, 0},
};

/** hk_audit_bundle_open(...): export, pack, answer the first chunk. */
void
hk_audit_bundle_open(struct hk_audit_spool *s, struct ledger *l,
    const uint8_t owner[32], hk_audit_cert_cb cert, void *arg,
    const uint8_t *body, size_t n, struct hk_audit_answer *a)
{
	struct hk_audit_export_opts o;
	struct hk_audit_export_report rep;
	struct hk_buf cp = HK_BUF_INIT;
	struct download *d = NULL;
	struct args x;
	char dir[PATH_LEN + 64], tar[PATH_LEN + 64], name[96], msg[512], hex[33];
	uint8_t rnd[16];
	uint64_t from, to, latest = 0;
	FILE *f = NULL;
	size_t i;
	int r, fd = -1;

	if (!hk_audit_api_parse(body, n, open_spec,
		sizeof(open_spec) / sizeof(open_spec[0]), &x, a))
		return;
	from = x.has[0] ? x.u[0] : 0;
	if ((r = ledger_checkpoint_get(l, 0, &cp, &latest)) != 0) {
		hk_buf_release(&cp);
		hk_audit_api_fail(a, 503, "unavailable",
		    "the ledger cannot be read");
		return;
	}
	hk_buf_release(&cp);
	to = x.has[1] && x.u[1] != 0 ? x.u[1] : latest;
	if (a->target != NULL)
		snprintf(a->target, a->target_max, "%" PRIu64 "..%" PRIu64,
		    from, to);
	if (to > latest) {
		snprintf(msg, sizeof(msg), "to (%" PRIu64 ") is beyond the "
		    "ledger's size (%" PRIu64 ")", to, latest);
		hk_audit_api_fail(a, 400, "invalid_request", msg);
		return;
	}
	if (from >= to) {
		snprintf(msg, sizeof(msg), "from (%" PRIu64 ") must be below "
		    "to (%" PRIu64 ")", from, to);
		hk_audit_api_fail(a, 400, "invalid_request", msg);
		return;
	}
	if (to - from / 256 * 256 > HK_AUDIT_BUNDLE_MAX_EVENTS) {
		snprintf(msg, sizeof(msg), "a download holds at most %u "
		    "events (from is rounded down to a multiple of 256): "
		    "ask for a smaller range", HK_AUDIT_BUNDLE_MAX_EVENTS);
		hk_audit_api_fail(a, 400, "invalid_request", msg);
		return;
	}
	/* A slot, taken before the export so that the spool stays bounded. */
	randombytes_buf(rnd, sizeof(rnd));
	sodium_bin2hex(hex, sizeof(hex), rnd, sizeof(rnd));
	pthread_mutex_lock(&s->mu);
	expire(s);
	for (i = 0; i < HK_AUDIT_BUNDLE_OPEN_MAX && s->d[i].used; i++)
		;
	if (i < HK_AUDIT_BUNDLE_OPEN_MAX) {
		d = &s->d[i];
		d->used = true;
		d->ready = false;
		memcpy(d->handle, hex, sizeof(hex));
		memcpy(d->owner, owner, 32);
	}
	pthread_mutex_unlock(&s->mu);
	if (d == NULL) {
		hk_audit_api_fail(a, 503, "unavailable",
		    "too many bundle downloads are open; try again later");
		return;
	}
	snprintf(dir, sizeof(dir), "%s/%s.d", s->dir, hex);
	snprintf(tar, sizeof(tar), "%s/%s.tar", s->dir, hex);
	snprintf(name, sizeof(name), "hanko-audit-%" PRIu64 "-%" PRIu64, from,
	    to);
	memset(&o, 0, sizeof(o));
	o.out = dir;
	o.from = from;
	o.to = to;
	o.cert = cert;
	o.cert_arg = arg;
	o.no_cert = "not exported (no certificate source)";
	msg[0] = '\0';
	r = hk_audit_export(l, &o, &rep, msg, sizeof(msg));
	if (r == 0) {
		if ((fd = open(tar, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC,
			 0600)) < 0 ||
		    (f = fdopen(dup(fd), "wb")) == NULL) {
			snprintf(msg, sizeof(msg), "cannot create the "
			    "archive in the spool: %s", strerror(errno));
			r = HK_EIO;
		} else {
			r = hk_audit_tar_dir(dir, name, f, msg, sizeof(msg));
		}
		if (f != NULL && fclose(f) != 0 && r == 0) {
			snprintf(msg, sizeof(msg), "cannot write the archive");
			r = HK_EIO;
		}
		/* Only the descriptor keeps it: nothing is left behind. */
		unlink(tar);
	}
	hk_audit_rm_tree(dir);
	pthread_mutex_lock(&s->mu);
	if (r != 0) {
		if (fd >= 0)
			close(fd);
		drop(d);
		pthread_mutex_unlock(&s->mu);
		if (r == HK_ENOTFOUND || r == HK_ERANGE) {
			hk_audit_api_fail(a, 400, "invalid_request", msg);
		} else if (r == HK_ECORRUPT) {
			hk_error_f("audit bundle: %s", msg);
			hk_audit_api_fail(a, 500, "internal_error", msg);
		} else {
			hk_error_f("audit bundle: %s (%s)", msg,
			    hk_strerror(r));
			hk_audit_api_fail(a, r == HK_ENOMEM ? 500 : 503,
			    r == HK_ENOMEM ? "internal_error" : "unavailable",
			    "the bundle could not be written");
		}
		return;
	}
	d->fd = fd;
	d->total = (uint64_t)lseek(fd, 0, SEEK_END);
	d->next = 0;
	d->ready = true;
	hk_info_f("audit bundle %" PRIu64 "..%" PRIu64 ": %" PRIu64 " events, "
		  "%" PRIu64 " files, %" PRIu64 " bytes archived",
	    from, to, rep.events, rep.files, d->total);
	snprintf(msg, sizeof(msg), "%s.tar", name);
	chunk(d, a, true, msg);
	pthread_mutex_unlock(&s->mu);
}

static const struct argspec read_spec[] = {
    {1, ARG_STR, 32},
    {2, ARG_UINT, 0},
};

/** hk_audit_bundle_read(s, owner, body, n, a): the next chunk. */
void
hk_audit_bundle_read(struct hk_audit_spool *s, const uint8_t owner[32],
    const uint8_t *body, size_t n, struct hk_audit_answer *a)
{
	struct args x;
	size_t i;

	if (!hk_audit_api_parse(body, n, read_spec,
		sizeof(read_spec) / sizeof(read_spec[0]), &x, a))
		return;
	if (!x.has[0] || !x.has[1] || x.s[0].n != 32) {
		hk_audit_api_fail(a, 400, "invalid_request",
		    "a handle and an offset are required");
		return;
	}
	pthread_mutex_lock(&s->mu);
	expire(s);
	for (i = 0; i < HK_AUDIT_BUNDLE_OPEN_MAX; i++)
		if (s->d[i].used && s->d[i].ready &&
		    sodium_memcmp(s->d[i].handle, x.s[0].p, 32) == 0 &&
		    sodium_memcmp(s->d[i].owner, owner, 32) == 0)
			break;
	if (i == HK_AUDIT_BUNDLE_OPEN_MAX) {
		pthread_mutex_unlock(&s->mu);
		hk_audit_api_fail(a, 404, "not_found",
		    "no such bundle download (finished, expired or not "
		    "yours)");
		return;
	}
	if (x.u[1] != s->d[i].next) {
		pthread_mutex_unlock(&s->mu);
		hk_audit_api_fail(a, 400, "invalid_request",
		    "the offset is not where the previous chunk ended");
		return;
	}
	chunk(&s->d[i], a, false, NULL);
	pthread_mutex_unlock(&s->mu);
}
