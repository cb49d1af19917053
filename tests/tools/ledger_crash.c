/* SPDX-License-Identifier: Apache-2.0 */
/*
 * ledger_crash: the crash-safety test of the ledger (SIG-3, OPS-4), a test
 * tool speaking TAP.
 *
 *   ledger_crash --state DIR [--iterations N] [--producers P] [--seed S]
 *
 * Each iteration forks a child that opens the ledger and appends from P
 * producer threads; every append callback writes "seq tag" to a pipe (the
 * tag is unique to the event the producer submitted). The parent reads the
 * pipe, kills the child with SIGKILL at a random moment, then checks:
 * the ledger verifies end to end; every seq the child reported holds the
 * event with the reported tag; and the tree extends the latest checkpoint
 * seen after the previous kill (no checkpoint is ever inconsistent with a
 * later one).
 */
#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <sodium.h>

#include "core/cli.h"
#include "core/cpkey.h"
#include "core/log.h"
#include "ledger/ledger.h"
#include "tests/unit/testutil.h"

#define CHILD_CAP 4000 /* events per child at most, to bound the run */

static struct ledger *cl;
static int outfd;
static atomic_int issued;

static void
child_cb(void *arg, int status, uint64_t seq)
{
	char line[64];
	int n;

	if (status != 0)
		return;
	n = snprintf(line, sizeof(line), "%" PRIu64 " %" PRIu64 "\n", seq,
	    (uint64_t)(uintptr_t)arg);
	/* One write per line: atomic on a pipe (n < PIPE_BUF). */
	if (write(outfd, line, (size_t)n) != n)
		_exit(3);
}

static void *
child_producer(void *arg)
{
	struct hk_buf body = HK_BUF_INIT;
	struct hk_event ev;
	uint64_t id = (uint64_t)(uintptr_t)arg, i = 0, tag;

	while (atomic_fetch_add(&issued, 1) < CHILD_CAP) {
		tag = (id + 1) << 40 | i++;
		if (event_build(&ev, &body, HK_EV_CONFIG_APPLIED, "", "", tag,
			64 + tag % 200) != 0 ||
		    ledger_append(cl, &ev, child_cb, (void *)(uintptr_t)tag) != 0)
			_exit(4);
	}
	hk_buf_release(&body);
	return NULL;
}

static void
child(const char *dir, const char *key, const char *origin, int fd,
    uint64_t producers, uint64_t run)
{
	struct hk_cpkey *k = NULL;
	pthread_t th[16];
	uint64_t i;

	outfd = fd;
	if (hk_cpkey_load(key, origin, &k) != 0 ||
	    ledger_open(dir, NULL, hk_cpkey_signer(k), &cl) != 0)
		_exit(5);
	for (i = 0; i < producers; i++)
		pthread_create(&th[i], NULL, child_producer,
		    (void *)(uintptr_t)(run * 16 + i));
	for (i = 0; i < producers; i++)
		pthread_join(th[i], NULL);
	/* Wait to be killed. */
	for (;;)
		pause();
}

struct report {
	uint64_t seq, tag;
};

static uint64_t
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* Read "seq tag" lines from fd until the deadline (then kill) and EOF. */
static size_t
collect(int fd, pid_t pid, uint64_t kill_at, struct report **out)
{
	static char buf[1 << 16];
	size_t len = 0, n = 0, cap = 1024;
	struct report *r = malloc(cap * sizeof(*r));
	int killed = 0;

	for (;;) {
		struct pollfd p = {fd, POLLIN, 0};
		int64_t wait = killed ? -1 : (int64_t)kill_at - (int64_t)now_ms();
		ssize_t got;
		char *s, *nl;

		if (!killed && wait <= 0) {
			kill(pid, SIGKILL);
			killed = 1;
			continue;
		}
		if (poll(&p, 1, killed ? -1 : (int)wait) <= 0)
			continue;
		got = read(fd, buf + len, sizeof(buf) - len);
		if (got <= 0)
			break;
		len += (size_t)got;
		s = buf;
		while ((nl = memchr(s, '\n', len - (size_t)(s - buf))) != NULL) {
			unsigned long long a, b;

			*nl = '\0';
			if (sscanf(s, "%llu %llu", &a, &b) == 2) {
				if (n == cap)
					r = realloc(r, (cap *= 2) * sizeof(*r));
				r[n++] = (struct report){a, b};
			}
			s = nl + 1;
		}
		len -= (size_t)(s - buf);
		memmove(buf, s, len);
	}
	if (!killed)
		kill(pid, SIGKILL);
	*out = r;
	return n;
}

static int
tag_of(struct ledger *l, uint64_t seq, uint64_t *tag)
{
	struct hk_buf b = HK_BUF_INIT;
	struct hk_mpk_reader r;
	struct hk_bytes v;
	struct hk_event ev;
	int e;

	if ((e = ledger_event_get(l, seq, &b)) == 0 &&
	    (e = hk_event_decode(b.p, b.len, &ev, NULL)) == 0 &&
	    (e = hk_event_body_value(ev.body, 1, &v)) == 0) {
		hk_mpk_reader_init(&r, v.p, v.n);
		e = hk_mpk_get_uint(&r, tag);
	}
	hk_buf_release(&b);
	return e;
}

int
main(int argc, char **argv)
{
	const char *state = NULL, *it_s = NULL, *prod_s = NULL, *seed_s = NULL;
	const struct cli_opt opts[] = {{"state", &state}, {"iterations", &it_s},
	    {"producers", &prod_s}, {"seed", &seed_s}, {NULL, NULL}};
	struct ledger_opts ro = {0};
	struct ledger_verify_report rep;
	char dir[4096], key[4096], origin[256];
	uint8_t prev_root[32], root[32];
	uint64_t iters = 100, producers = 4, seed = 0, it, prev_size = 0;
	uint64_t total_reported = 0, failures = 0;
	struct ledger *l = NULL;

	if (sodium_init() < 0)
		return 1;
	hk_log_set_level(HK_LOG_ERROR);
	if (cli_parse(argc - 1, argv + 1, opts, "ledger_crash --state DIR "
						 "[--iterations N] [--producers P] "
						 "[--seed S]") != 0 ||
	    state == NULL ||
	    (it_s != NULL && cli_u64(it_s, "iterations", &iters) != 0) ||
	    (prod_s != NULL && cli_u64(prod_s, "producers", &producers) != 0) ||
	    (seed_s != NULL && cli_u64(seed_s, "seed", &seed) != 0) ||
	    producers == 0 || producers > 16)
		return 2;
	if (seed == 0)
		seed = (uint64_t)time(NULL);
	srand((unsigned)seed);
	printf("# seed %" PRIu64 "\n1..%" PRIu64 "\n", seed, iters);
	if (cli_path(dir, sizeof(dir), state, HK_STATE_LEDGER) != 0 ||
	    cli_path(key, sizeof(key), state, HK_STATE_CPKEY) != 0)
		return 2;
	ro.readonly = 1;
	if (ledger_open(dir, &ro, NULL, &l) != 0)
		return 1;
	snprintf(origin, sizeof(origin), "%s", ledger_origin(l));
	if (ledger_size(l, &prev_size, prev_root) != 0)
		return 1;
	ledger_close(l);
	l = NULL;
	for (it = 1; it <= iters; it++) {
		struct report *reps = NULL;
		size_t n, i;
		int fds[2], status, e, ok = 1;
		char why[300] = "";
		uint64_t size, tag;
		pid_t pid;

		fflush(stdout);
		if (pipe(fds) != 0 || (pid = fork()) < 0)
			return 1;
		if (pid == 0) {
			close(fds[0]);
			child(dir, key, origin, fds[1], producers, it);
		}
		close(fds[1]);
		n = collect(fds[0], pid, now_ms() + 2 + (uint64_t)rand() % 60,
		    &reps);
		close(fds[0]);
		waitpid(pid, &status, 0);
		total_reported += n;
		if (!WIFSIGNALED(status) || WTERMSIG(status) != SIGKILL) {
			snprintf(why, sizeof(why), "child ended with status %d",
			    status);
			ok = 0;
		}
		if (ok && (e = ledger_open(dir, &ro, NULL, &l)) != 0) {
			snprintf(why, sizeof(why), "ledger does not open: %s",
			    hk_strerror(e));
			ok = 0;
		}
		if (ok && (e = ledger_verify(l, NULL, 0, &rep)) != 0) {
			snprintf(why, sizeof(why), "verify: %s", rep.msg);
			ok = 0;
		}
		for (i = 0; ok && i < n; i++) {
			if ((e = tag_of(l, reps[i].seq, &tag)) != 0 ||
			    tag != reps[i].tag) {
				snprintf(why, sizeof(why), "acknowledged seq %"
				    PRIu64 " lost or changed", reps[i].seq);
				ok = 0;
			}
		}
		if (ok && (ledger_size(l, &size, root) != 0 || size < prev_size ||
			      ledger_tree_hash(l, prev_size, root) != 0 ||
			      memcmp(root, prev_root, 32) != 0)) {
			snprintf(why, sizeof(why), "tree does not extend the "
			    "checkpoint of size %" PRIu64, prev_size);
			ok = 0;
		}
		if (ok && ledger_size(l, &prev_size, prev_root) != 0)
			ok = 0;
		printf("%s %" PRIu64 " - kill %" PRIu64 ": %zu acknowledged, "
		       "ledger size %" PRIu64 "%s%s\n", ok ? "ok" : "not ok", it,
		    it, n, prev_size, ok ? "" : ": ", why);
		failures += !ok;
		ledger_close(l);
		l = NULL;
		free(reps);
	}
	printf("# %" PRIu64 " acknowledged events checked over %" PRIu64
	       " kills\n", total_reported, iters);
	return failures == 0 ? 0 : 1;
}
