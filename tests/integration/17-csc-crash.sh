#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# Issue 6 crash test (SIG-3, ACT-6): signing load over the CSC API, SIGKILL
# of hankod's process group at random moments (50 cycles; 10 under
# valgrind or ASan), then every signature a client received must be in the
# ledger with the same bytes, no SAD may work twice, and the ledger must
# verify. See csc_crash.py.
set -u
export LSAN_OPTIONS="suppressions=$TOP/tests/hsm-lsan.supp${LSAN_OPTIONS:+:$LSAN_OPTIONS}"
export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}fast_unwind_on_malloc=0"
if [ -n "${HK_WRAP:-}" ]; then
	export HK_WRAP="$HK_WRAP --suppressions=$TOP/tests/hsm-valgrind.supp"
fi
limit=600
case "${HK_WRAP:-}${BUILD}" in *valgrind* | *asan*) limit=3000 ;; esac
exec timeout -k 20 "$limit" /usr/bin/python3 "$(dirname "$0")/csc_crash.py"
