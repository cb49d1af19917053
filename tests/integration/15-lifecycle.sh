#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# Issue 5 end to end: privileged users and dual control, signers,
# enrollment, keys, CSRs, certificates, suspension, destruction, renewal,
# lockout, erasure, restart. See lifecycle.py.
set -u
export LSAN_OPTIONS="suppressions=$TOP/tests/hsm-lsan.supp${LSAN_OPTIONS:+:$LSAN_OPTIONS}"
export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}fast_unwind_on_malloc=0"
if [ -n "${HK_WRAP:-}" ]; then
	export HK_WRAP="$HK_WRAP --suppressions=$TOP/tests/hsm-valgrind.supp"
fi
exec /usr/bin/python3 "$(dirname "$0")/lifecycle.py"
