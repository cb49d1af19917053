/* SPDX-License-Identifier: Apache-2.0 */
/*
 * bundle_bench: the audit bundle download of the auditor API (issue 7,
 * core/audit_bundle.c) at the scale of a large ledger, against its
 * physical limit measured in the same run (docs/benchmarks.md).
 *
 *   bundle_bench [--events N] [--range R]
 *
 * Makes a ledger of N events (default 1,000,000; 300-byte events, group
 * commits) in a temporary directory, then for the last R events (default
 * 65,536, the most one download holds):
 *   1. hk_audit_export of that range alone (the floor: the same bundle,
 *      without packing or chunking), run twice, the second reported (the
 *      first warms the page cache for both);
 *   2. the download as the core serves it: hk_audit_bundle_open (export,
 *      pack into the spool) and every HK_AUDIT_BUNDLE_CHUNK read
 *      (hk_audit_bundle_read), the answers encoded as for the front;
 * and prints wall times, the archive's size and the ratio 1/2.
 */
#include <inttypes.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sodium.h>

#include "core/audit_bundle.h"
#include "core/cli.h"
#include "core/log.h"
#include "core/mpk.h"
#include "tests/unit/testutil.h"

static atomic_uint_fast64_t failed;

static double
now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void
done_cb(void *arg, int status, uint64_t seq)
{
	(void)arg;
	(void)seq;
	if (status != 0)
		atomic_fetch_add(&failed, 1);
}

static int
fill(struct ledger *l, uint64_t n)
{
	struct hk_buf body = HK_BUF_INIT;
	struct hk_event ev;
	uint64_t i;
	int r = 0;

	for (i = 0; i < n && r == 0; i++) {
		if ((r = event_build(&ev, &body, HK_EV_CONFIG_APPLIED, "", "",
			 i, 200)) != 0)
			break;
		if (i + 1 == n) {
			r = ledger_append_wait(l, &ev, NULL);
			break;
		}
		while ((r = ledger_append(l, &ev, done_cb, NULL)) == HK_EBUSY)
			;
	}
	hk_buf_release(&body);
	return r != 0 || atomic_load(&failed) != 0 ? 1 : 0;
}

int
main(int argc, char **argv)
{
	const char *events_s = NULL, *range_s = NULL;
	const struct cli_opt opts[] = {{"events", &events_s},
	    {"range", &range_s}, {NULL, NULL}};
	struct fixture f;
	struct hk_audit_spool *sp = NULL;
	struct hk_audit_export_opts o;
	struct hk_audit_export_report rep;
	struct hk_buf req = HK_BUF_INIT, resp = HK_BUF_INIT;
	struct hk_mpk_writer w;
	char spool[400], out[400], msg[256], reason[160], target[80],
	    handle[33] = "";
	uint8_t owner[32] = {7};
	uint64_t n = 1000000, range = HK_AUDIT_BUNDLE_MAX_EVENTS, size = 0,
		 from, total = 0, got = 0, chunks = 0;
	double t0, t_fill, t_export, t_dl;
	int rc = 1;

	out[0] = '\0';
	if (sodium_init() < 0)
		return 1;
	hk_log_set_level(HK_LOG_WARN);
	if (cli_parse(argc - 1, argv + 1, opts,
		"bundle_bench [--events N] [--range R]") != 0 ||
	    (events_s != NULL && cli_u64(events_s, "events", &n) != 0) ||
	    (range_s != NULL && cli_u64(range_s, "range", &range) != 0) ||
	    n < 2 || range < 1 || range > HK_AUDIT_BUNDLE_MAX_EVENTS)
		return 2;
	if (fixture_new_in(&f, getenv("TMPDIR") != NULL ? getenv("TMPDIR") :
							 "/var/tmp",
		"example.test/hanko/bundle-bench") != 0)
		return 1;
	t0 = now_s();
	if (fill(f.l, n - 1) != 0 || ledger_size(f.l, &size, NULL) != 0) {
		fprintf(stderr, "bundle_bench: cannot fill the ledger\n");
		goto out;
	}
	t_fill = now_s() - t0;
	from = size > range ? (size - range + 255) / 256 * 256 : 0;

	/* 1. The export alone. */
	snprintf(out, sizeof(out), "%s/export", f.dir);
	memset(&o, 0, sizeof(o));
	o.out = out;
	o.from = from;
	o.no_cert = "not exported (benchmark)";
	/* Twice: the first run warms the page cache for both measurements;
	 * the second is the one reported. */
	for (int pass = 0; pass < 2; pass++) {
		hk_audit_rm_tree(out);
		t0 = now_s();
		if (hk_audit_export(f.l, &o, &rep, msg, sizeof(msg)) != 0) {
			fprintf(stderr, "bundle_bench: export: %s\n", msg);
			goto out;
		}
		t_export = now_s() - t0;
	}

	/* 2. The download as the core serves it. */
	snprintf(spool, sizeof(spool), "%s/spool", f.dir);
	if (hk_audit_spool_new(spool, &sp) != 0)
		goto out;
	hk_mpk_writer_init(&w, &req);
	hk_mpk_put_map(&w, 1);
	hk_mpk_put_uint(&w, 1);
	hk_mpk_put_uint(&w, from);
	t0 = now_s();
	for (;;) {
		struct hk_audit_answer a = {0, &resp, reason, sizeof(reason),
		    target, sizeof(target)};
		struct hk_mpk_reader r;
		struct hk_bytes chunk, h;
		uint64_t k;
		uint32_t m;

		if (chunks == 0) {
			hk_audit_bundle_open(sp, f.l, owner, NULL, NULL, req.p,
			    req.len, &a);
		} else {
			hk_buf_reset(&req);
			hk_mpk_writer_init(&w, &req);
			hk_mpk_put_map(&w, 2);
			hk_mpk_put_uint(&w, 1);
			hk_mpk_put_cstr(&w, handle);
			hk_mpk_put_uint(&w, 2);
			hk_mpk_put_uint(&w, got);
			hk_audit_bundle_read(sp, owner, req.p, req.len, &a);
		}
		if (a.status != 200) {
			fprintf(stderr, "bundle_bench: answer %u: %s\n",
			    a.status, reason);
			goto out;
		}
		hk_mpk_reader_init(&r, resp.p, resp.len);
		if (hk_mpk_get_map(&r, &m) != 0 || hk_mpk_get_uint(&r, &k) != 0 ||
		    hk_mpk_get_bin(&r, &chunk) != 0 ||
		    hk_mpk_get_uint(&r, &k) != 0 ||
		    hk_mpk_get_uint(&r, &total) != 0)
			goto out;
		if (chunks == 0 && m == 4 &&
		    (hk_mpk_get_uint(&r, &k) != 0 ||
			hk_mpk_get_str(&r, &h) != 0 || h.n >= sizeof(handle)))
			goto out;
		if (chunks == 0 && m == 4) {
			memcpy(handle, h.p, h.n);
			handle[h.n] = '\0';
		}
		got += chunk.n;
		chunks++;
		if (got >= total)
			break;
	}
	t_dl = now_s() - t0;
	printf("bundle download (core side), ledger of %" PRIu64 " events "
	       "(filled in %.1f s):\n", size, t_fill);
	printf("| range | bundle files | archive bytes | chunks | export alone "
	       "| download (export, pack, chunks) | export / download |\n");
	printf("|---|---:|---:|---:|---:|---:|---:|\n");
	printf("| %" PRIu64 "..%" PRIu64 " (%" PRIu64 " events) | %" PRIu64
	       " | %" PRIu64 " | %" PRIu64 " | %.2f s | %.2f s | %.0f%% |\n",
	    from, size, rep.events, rep.files, total, chunks, t_export, t_dl,
	    100.0 * t_export / t_dl);
	rc = 0;
out:
	hk_audit_spool_free(sp);
	hk_buf_release(&req);
	hk_buf_release(&resp);
	if (out[0] != '\0')
		hk_audit_rm_tree(out);
	fixture_free(&f);
	return rc;
}
