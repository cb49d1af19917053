/* SPDX-License-Identifier: Apache-2.0 */
/*
 * hankod: the Hanko daemon. It reads STATE/hanko.conf, creates the
 * socketpair between its two processes, and forks:
 *   - the front (net/front.c), which loads the TLS files, binds both
 *     listeners, drops its privileges (core/privsep.c) and then parses all
 *     network input; it never loads the PKCS#11 module and never opens the
 *     ledger;
 *   - the core (core/monitor.c, this process), which opens the HSM and the
 *     ledger only after the fork and takes every decision.
 * If either process dies the other notices and the daemon exits non-zero
 * (a supervisor restarts it); SIGTERM drains in-flight requests and exits
 * 0 with appliance.stopped in the ledger. OPS-1, OPS-3, NET-1..4, ACT-3.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <sodium.h>

#include "core/cli.h"
#include "core/config.h"
#include "core/log.h"
#include "core/monitor.h"
#include "core/privsep.h"
#include "core/version.h"
#include "net/front.h"

static int
front_main(const struct hk_config *cfg, const char *state, int fd)
{
	struct net_front_opts o;
	struct net_front *f = NULL;
	char empty[HK_CONFIG_PATH_MAX + 16];
	sigset_t set;
	int r;

	memset(&o, 0, sizeof(o));
	o.cfg = cfg;
	o.ipc_fd = fd;
	hk_log_set_ident("hankod-front");
	/* Die with the core, even if it cannot say goodbye. */
	if (prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0) != 0 || getppid() == 1)
		return 2;
	snprintf(empty, sizeof(empty), "%s/empty", state);
	if ((r = net_front_new(&o, &f)) != 0 ||
	    (r = hk_privsep_drop(cfg->front_user, empty)) != 0) {
		net_front_free(f);
		return 2;
	}
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGCHLD);
	pthread_sigmask(SIG_UNBLOCK, &set, NULL);
	r = net_front_run(f);
	net_front_free(f);
	return r == 0 ? 0 : 1;
}

int
main(int argc, char **argv)
{
	const char *state = NULL;
	const struct cli_opt opts[] = {{"state", &state}, {NULL, NULL}};
	struct hk_config cfg;
	struct hk_monitor *m = NULL;
	char path[HK_CONFIG_PATH_MAX + 16], err[512];
	sigset_t set;
	int sv[2], r;
	pid_t front;

	hk_log_set_ident("hankod");
	if (sodium_init() < 0)
		return 2;
	if (cli_parse(argc - 1, argv + 1, opts, "hankod --state DIR") != 0)
		return 2;
	if (state == NULL) {
		fprintf(stderr, "usage: hankod --state DIR\n");
		return 2;
	}
	snprintf(path, sizeof(path), "%s/%s", state, HK_CONFIG_FILE);
	if (hk_config_load(path, state, &cfg, err, sizeof(err)) != 0) {
		hk_error_f("%s", err);
		if (access(path, F_OK) != 0)
			hk_error_f("create the state directory with: hanko init "
				   "--state %s", state);
		return 2;
	}
	/* The stop signals wait, blocked, until each process has its
	 * handlers; every thread started later inherits the mask. */
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGCHLD);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0) {
		hk_error_f("socketpair: %s", strerror(errno));
		return 1;
	}
	/* WARNING: nothing that holds PKCS#11 or LMDB state may exist before
	 * this fork (design "Known sharp edges"). */
	if ((front = fork()) < 0) {
		hk_error_f("fork: %s", strerror(errno));
		return 1;
	}
	if (front == 0) {
		close(sv[0]);
		_exit(front_main(&cfg, state, sv[1]));
	}
	close(sv[1]);
	hk_info_f("%s starting: front pid %ld", HK_SOFTWARE, (long)front);
	if ((r = hk_monitor_open(&cfg, state, &m)) != 0) {
		kill(front, SIGKILL);
		waitpid(front, NULL, 0);
		hk_error_f("not started");
		return 1;
	}
	r = hk_monitor_serve(m, sv[0], front);
	hk_monitor_close(m, r == 0 ? "SIGTERM" : hk_strerror(r));
	hk_info_f("stopped%s", r == 0 ? "" : " after a failure");
	return r == 0 ? 0 : 1;
}
