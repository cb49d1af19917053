/* SPDX-License-Identifier: Apache-2.0 */
/* log: line-oriented logging to stderr (see log.h). */
#define _POSIX_C_SOURCE 200809L
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <time.h>
#include <unistd.h>

#include "core/log.h"

static int log_level = HK_LOG_INFO;
static const char *log_ident = "hanko";

/* The pid in every line, without a getpid(2) per line (glibc no longer
 * caches it, and the front logs one line per request): looked up once,
 * forgotten in every child of fork(). */
static atomic_long log_pid;
static pthread_once_t log_pid_once = PTHREAD_ONCE_INIT;

static void
log_pid_forget(void)
{
	atomic_store(&log_pid, 0);
}

static void
log_pid_watch(void)
{
	(void)pthread_atfork(NULL, NULL, log_pid_forget);
}

static long
log_getpid(void)
{
	long pid;

	pthread_once(&log_pid_once, log_pid_watch);
	if ((pid = atomic_load(&log_pid)) == 0) {
		pid = (long)getpid();
		atomic_store(&log_pid, pid);
	}
	return pid;
}

/** hk_log_set_level(level): messages above ${level} are dropped. */
void
hk_log_set_level(int level)
{
	log_level = level;
}

/** hk_log_set_ident(ident): prefix every line with ${ident}. */
void
hk_log_set_ident(const char *ident)
{
	log_ident = ident;
}

/** hk_log_msg(level, func, fmt, ...): write one line with one write(2). */
void
hk_log_msg(int level, const char *func, const char *fmt, ...)
{
	static const char *names[] = {"error", "warn", "info", "debug"};
	char line[1024];
	struct timespec ts;
	struct tm tm;
	va_list ap;
	int n, m;

	if (level > log_level)
		return;
	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	n = snprintf(line, sizeof(line),
	    "%04d-%02d-%02dT%02d:%02d:%02d.%03ldZ %s[%ld] %s %s: ",
	    tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
	    tm.tm_min, tm.tm_sec, ts.tv_nsec / 1000000L, log_ident,
	    log_getpid(), names[level & 3], func);
	if (n < 0 || (size_t)n >= sizeof(line))
		n = 0;
	va_start(ap, fmt);
	m = vsnprintf(line + n, sizeof(line) - (size_t)n - 1, fmt, ap);
	va_end(ap);
	if (m < 0)
		m = 0;
	n += m;
	if ((size_t)n > sizeof(line) - 2)
		n = (int)sizeof(line) - 2;
	line[n++] = '\n';
	/* A failed log write has nowhere to be reported. */
	if (write(STDERR_FILENO, line, (size_t)n) < 0)
		return;
}

void
hk_thread_name(const char *name)
{
	(void)prctl(PR_SET_NAME, (unsigned long)name, 0UL, 0UL, 0UL);
}
