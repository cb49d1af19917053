#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# Short libFuzzer runs (style item 30; NET-1, ACT-5, OPS-4): build the
# harnesses (HTTP head, ledger events, JSON request bodies, core IPC messages,
# auditor query strings)
# with clang (make fuzz) and run each for HK_FUZZ_SECONDS (default 20), in
# parallel; each run is one TAP test. Longer campaigns: ./build.sh fuzz
# SECONDS. A crash leaves its reproducer in $BUILD/fuzz/crashes/ (see
# docs/fuzzing.md for how to replay it).
. "$(dirname "$0")/lib.sh"
secs=${HK_FUZZ_SECONDS:-20}
if ! make -C "$TOP" -j2 BUILD="$BUILD" fuzz >"$T/make.log" 2>&1; then
	tail -n 20 "$T/make.log" | sed 's/^/# /'
	for name in http event json ipc query; do
		not_ok "fuzz_$name: harnesses did not build"
	done
	done_testing
	exit 1
fi
# The fuzzers are not wrapped in valgrind ($HK_WRAP): they carry ASan.
exec "$TOP/tests/fuzz/run.sh" "$BUILD" "$secs"
