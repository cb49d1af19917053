#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# Issue 8, the read-only auditor console (docs/console.md) end to end in
# Debian's chromium driven by playwright-core (tests/console/): pages,
# filters, signature lookup, the in-browser verifier, refusals recorded,
# 405, CSP, and no request leaving the appliance's origin. Screenshots in
# $BUILD/console-shots/. Skips (TAP "# SKIP" with the reason) only when
# chromium or playwright-core is not installed; .ci/run installs both.
set -u
export LSAN_OPTIONS="suppressions=$TOP/tests/hsm-lsan.supp${LSAN_OPTIONS:+:$LSAN_OPTIONS}"
export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}fast_unwind_on_malloc=0"
if [ -n "${HK_WRAP:-}" ]; then
	export HK_WRAP="$HK_WRAP --suppressions=$TOP/tests/hsm-valgrind.supp"
fi
limit=900
case "${HK_WRAP:-}${BUILD}" in *valgrind* | *asan*) limit=2400 ;; esac
exec timeout -k 20 "$limit" /usr/bin/python3 "$(dirname "$0")/console_e2e.py"
