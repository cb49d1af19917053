#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# Issue 6 end to end: the CSC v2 signing API and the Signature Activation
# Module on the real hankod over real TLS: every method and error row of
# docs/csc-api.md, signatures verified with python3-cryptography, ledger
# events and receipts, lockout, races, session and SAD timeouts. See
# csc.py. Takes a little over 5 minutes: the shortest session lifetime the
# configuration allows is 300 s.
set -u
export LSAN_OPTIONS="suppressions=$TOP/tests/hsm-lsan.supp${LSAN_OPTIONS:+:$LSAN_OPTIONS}"
export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}fast_unwind_on_malloc=0"
if [ -n "${HK_WRAP:-}" ]; then
	export HK_WRAP="$HK_WRAP --suppressions=$TOP/tests/hsm-valgrind.supp"
fi
# Never hang: the whole run is bounded (csc.py stops its daemons on TERM).
limit=1200
case "${HK_WRAP:-}${BUILD}" in *valgrind* | *asan*) limit=3600 ;; esac
exec timeout -k 20 "$limit" /usr/bin/python3 "$(dirname "$0")/csc.py"
