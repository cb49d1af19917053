/* SPDX-License-Identifier: Apache-2.0 */
/*
 * hankod: the Hanko daemon. In this version it owns the ledger: it opens
 * it, rebuilds signer state by replay, records appliance.started, waits
 * for SIGTERM or SIGINT and records appliance.stopped. The network front,
 * the HSM adapter and the signing API are later issues and absent here
 * (README.md says so). OPS-3 (start/stop with the software version),
 * OPS-4.
 */
#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include <sodium.h>

#include "core/cli.h"
#include "core/cpkey.h"
#include "core/log.h"
#include "core/state.h"
#include "core/version.h"
#include "ledger/ledger.h"

static int
record(struct ledger *l, uint64_t type, const char *reason, uint64_t *seq)
{
	struct hk_buf body = HK_BUF_INIT;
	struct hk_mpk_writer w;
	struct hk_event ev;
	int r;

	hk_mpk_writer_init(&w, &body);
	hk_mpk_put_map(&w, reason != NULL ? 2 : 1);
	hk_mpk_put_uint(&w, HK_BODY_APPLIANCE_VERSION);
	hk_mpk_put_cstr(&w, HK_SOFTWARE);
	if (reason != NULL) {
		hk_mpk_put_uint(&w, HK_BODY_APPLIANCE_REASON);
		hk_mpk_put_cstr(&w, reason);
	}
	if ((r = hk_mpk_writer_status(&w)) == 0) {
		memset(&ev, 0, sizeof(ev));
		ev.type = type;
		ev.actor_kind = HK_ACTOR_SYSTEM;
		ev.actor_id = (struct hk_bytes){(const uint8_t *)"hankod", 6};
		ev.actor_channel = HK_CHANNEL_INTERNAL;
		ev.body = (struct hk_bytes){body.p, body.len};
		r = ledger_append_wait(l, &ev, seq);
	}
	hk_buf_release(&body);
	return r;
}

int
main(int argc, char **argv)
{
	const char *state = NULL;
	const struct cli_opt opts[] = {{"state", &state}, {NULL, NULL}};
	char dir[4096], key[4096];
	struct hk_cpkey *k = NULL;
	struct ledger *l = NULL;
	struct hk_state *st = NULL;
	uint64_t events = 0, seq = 0;
	sigset_t set;
	int sig = 0, r, rc = 1;

	hk_log_set_ident("hankod");
	if (sodium_init() < 0)
		return 1;
	if (cli_parse(argc - 1, argv + 1, opts, "hankod --state DIR") != 0)
		return 2;
	if (state == NULL) {
		fprintf(stderr, "usage: hankod --state DIR\n");
		return 2;
	}
	if (cli_path(dir, sizeof(dir), state, HK_STATE_LEDGER) != 0 ||
	    cli_path(key, sizeof(key), state, HK_STATE_CPKEY) != 0)
		return 2;
	/* Block the stop signals before any thread starts, so that only
	 * sigwait() below receives them. */
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	{
		/* The key name is the ledger's origin: read it first. */
		struct ledger_opts ro = {0};
		struct ledger *tmp = NULL;
		char origin[HK_EVENT_ORIGIN_MAX + 1];

		ro.readonly = 1;
		if ((r = ledger_open(dir, &ro, NULL, &tmp)) != 0) {
			hk_error_f("cannot open the ledger in %s: %s", dir,
			    hk_strerror(r));
			goto out;
		}
		snprintf(origin, sizeof(origin), "%s", ledger_origin(tmp));
		ledger_close(tmp);
		if ((r = hk_cpkey_load(key, origin, &k)) != 0) {
			hk_error_f("cannot load the checkpoint key: %s",
			    hk_strerror(r));
			goto out;
		}
	}
	if ((r = ledger_open(dir, NULL, hk_cpkey_signer(k), &l)) != 0) {
		hk_error_f("cannot open the ledger for writing: %s",
		    hk_strerror(r));
		goto out;
	}
	if ((st = hk_state_new()) == NULL ||
	    (r = hk_state_replay(st, l, &events)) != 0) {
		hk_error_f("replay failed: %s", hk_strerror(r));
		goto out;
	}
	if (hk_state_flagged(st, NULL, NULL) > 0) {
		uint64_t first;
		const char *why;

		hk_state_flagged(st, &first, &why);
		hk_warn_f("replay flagged %" PRIu64 " illegal transitions; first "
			  "at seq %" PRIu64 ": %s",
		    hk_state_flagged(st, NULL, NULL), first, why);
	}
	if ((r = record(l, HK_EV_APPLIANCE_STARTED, NULL, &seq)) != 0) {
		hk_error_f("cannot record the start: %s", hk_strerror(r));
		goto out;
	}
	hk_info_f("started: ledger %s, %" PRIu64 " events replayed, "
		  "appliance.started at seq %" PRIu64
		  "; signing API, admin API and HSM adapter are not in this "
		  "version", ledger_origin(l), events, seq);
	if (sigwait(&set, &sig) != 0)
		goto out;
	if ((r = record(l, HK_EV_APPLIANCE_STOPPED,
		 sig == SIGTERM ? "SIGTERM" : "SIGINT", &seq)) != 0) {
		hk_error_f("cannot record the stop: %s", hk_strerror(r));
		goto out;
	}
	hk_info_f("stopped: appliance.stopped at seq %" PRIu64, seq);
	rc = 0;
out:
	hk_state_free(st);
	ledger_close(l);
	hk_cpkey_free(k);
	return rc;
}
