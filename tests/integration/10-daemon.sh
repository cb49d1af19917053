#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# hankod end to end (issue 4): init, TLS, limits, privilege separation,
# process supervision, start/stop events, load. See daemon.py.
set -u
# The load test holds a thousand connections on each side.
ulimit -n 8192 2>/dev/null || ulimit -n 4096 2>/dev/null || true
# The core loads SoftHSM 2.6.1, whose known leaks (tests/hsm-lsan.supp)
# are suppressed by third-party frame; Hanko's own leaks never are.
export LSAN_OPTIONS="suppressions=$TOP/tests/hsm-lsan.supp${LSAN_OPTIONS:+:$LSAN_OPTIONS}"
export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}fast_unwind_on_malloc=0"
if [ -n "${HK_WRAP:-}" ]; then
	export HK_WRAP="$HK_WRAP --suppressions=$TOP/tests/hsm-valgrind.supp"
fi
exec /usr/bin/python3 "$(dirname "$0")/daemon.py"
