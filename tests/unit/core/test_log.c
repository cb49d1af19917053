/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Unit tests for core/log: the line format ("<time> <ident>[<pid>] <level>
 * <function>: <text>", one line per message, cut at the buffer and still
 * ended by a newline), the level filter, the pid after fork(), and thread
 * names (the per-thread CPU figures of docs/benchmarks.md and ps -L read
 * them).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <pthread.h>
#include <sys/wait.h>
#include <unistd.h>

#include "core/log.h"

/* Run ${fn} with stderr sent to a temporary file; what it wrote, in
 * ${out} (NUL-terminated). */
static void
capture(void (*fn)(void), char *out, size_t max)
{
	FILE *tmp = tmpfile();
	int saved = dup(STDERR_FILENO);
	size_t n;

	assert_non_null(tmp);
	assert_true(saved >= 0);
	assert_true(dup2(fileno(tmp), STDERR_FILENO) >= 0);
	fn();
	assert_true(dup2(saved, STDERR_FILENO) >= 0);
	close(saved);
	rewind(tmp);
	n = fread(out, 1, max - 1, tmp);
	out[n] = '\0';
	fclose(tmp);
}

static void
write_two(void)
{
	hk_log_set_ident("hk-test");
	hk_log_set_level(HK_LOG_INFO);
	hk_info_f("first %d", 1);
	hk_log_msg(HK_LOG_DEBUG, "hidden", "not shown");
	hk_error_f("second");
}

static void
test_line_format_and_level(void **state)
{
	char out[4096], want[128], *nl;
	int y, mo, d, h, mi, s, ms;

	(void)state;
	capture(write_two, out, sizeof(out));
	assert_int_equal(sscanf(out, "%4d-%2d-%2dT%2d:%2d:%2d.%3dZ ", &y, &mo,
				 &d, &h, &mi, &s, &ms),
	    7);
	snprintf(want, sizeof(want),
	    "Z hk-test[%ld] info write_two: first 1\n", (long)getpid());
	assert_non_null(strstr(out, want));
	nl = strchr(out, '\n');
	assert_non_null(nl);
	snprintf(want, sizeof(want),
	    "Z hk-test[%ld] error write_two: second\n", (long)getpid());
	assert_non_null(strstr(nl + 1, want));
	/* The debug line is filtered: exactly two lines. */
	assert_null(strstr(out, "not shown"));
	assert_null(strchr(strchr(nl + 1, '\n') + 1, '\n'));
}

static void
write_long(void)
{
	char big[3000];

	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	hk_info_f("%s", big);
}

static void
test_long_line_cut_and_ended(void **state)
{
	char out[8192];
	size_t n;

	(void)state;
	capture(write_long, out, sizeof(out));
	n = strlen(out);
	assert_true(n > 500 && n <= 1024);
	assert_int_equal(out[n - 1], '\n');
	assert_ptr_equal(strchr(out, '\n'), out + n - 1);
}

static void
test_pid_after_fork(void **state)
{
	char out[4096], want[64];
	pid_t child;
	int pipefd[2], st;
	ssize_t n;

	(void)state;
	/* The parent has looked its pid up already. */
	capture(write_two, out, sizeof(out));
	assert_int_equal(pipe(pipefd), 0);
	if ((child = fork()) == 0) {
		dup2(pipefd[1], STDERR_FILENO);
		hk_info_f("child");
		_exit(0);
	}
	assert_true(child > 0);
	close(pipefd[1]);
	n = read(pipefd[0], out, sizeof(out) - 1);
	close(pipefd[0]);
	assert_true(n > 0);
	out[n] = '\0';
	assert_int_equal(waitpid(child, &st, 0), child);
	snprintf(want, sizeof(want), "hk-test[%ld] info", (long)child);
	assert_non_null(strstr(out, want));
}

static char comm[64];

static void *
named(void *arg)
{
	FILE *f;

	hk_thread_name(arg);
	comm[0] = '\0';
	if ((f = fopen("/proc/thread-self/comm", "r")) != NULL) {
		if (fgets(comm, sizeof(comm), f) == NULL)
			comm[0] = '\0';
		fclose(f);
	}
	return NULL;
}

static void
test_thread_name(void **state)
{
	pthread_t t;

	(void)state;
	assert_int_equal(pthread_create(&t, NULL, named, "hk-ledger"), 0);
	pthread_join(t, NULL);
	assert_string_equal(comm, "hk-ledger\n");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_line_format_and_level),
	    cmocka_unit_test(test_long_line_cut_and_ended),
	    cmocka_unit_test(test_pid_after_fork),
	    cmocka_unit_test(test_thread_name),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
