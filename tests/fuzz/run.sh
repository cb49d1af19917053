#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# Runs every libFuzzer harness built in $1/fuzz (make fuzz) for $2 seconds
# (default 60), all at once, each on its working corpus $1/fuzz/corpus/NAME
# (seeded from tests/fuzz/corpus/NAME, and growing from run to run). One
# TAP line per harness with its executions and rate. A crash, leak,
# timeout or failed property check leaves its reproducer in
# $1/fuzz/crashes/ and makes the line "not ok" (docs/fuzzing.md).
#   FUZZ_ARGS   extra libFuzzer flags, e.g. "-jobs=4 -workers=4"
set -u
build=${1:-build}
secs=${2:-60}
top=$(cd "$(dirname "$0")/../.." && pwd)
case "$build" in /*) ;; *) build="$top/$build" ;; esac
names="http event json ipc query"
case "$secs" in
'' | *[!0-9]* | 0)
	echo "usage: $0 BUILD_DIR [SECONDS > 0]" >&2
	exit 2
	;;
esac
mkdir -p "$build/fuzz/crashes"

for name in $names; do
	bin=$build/fuzz/fuzz_$name
	corpus=$build/fuzz/corpus/$name
	mkdir -p "$corpus"
	cp -n "$top/tests/fuzz/corpus/$name/"* "$corpus/"
	maxlen=4096
	dict=
	if [ "$name" = http ]; then
		# A head may be 16 KiB: let inputs grow past that.
		maxlen=20000
		dict=-dict=$top/tests/fuzz/http.dict
	fi
	# shellcheck disable=SC2086
	"$bin" -max_total_time="$secs" -max_len="$maxlen" -timeout=10 \
	    -rss_limit_mb=2048 -print_final_stats=1 $dict \
	    -artifact_prefix="$build/fuzz/crashes/fuzz_$name-" \
	    ${FUZZ_ARGS:-} "$corpus" >"$build/fuzz/fuzz_$name.log" 2>&1 &
	eval "pid_$name=$!"
done

n=0
failed=0
for name in $names; do
	eval "pid=\$pid_$name"
	wait "$pid"
	rc=$?
	log=$build/fuzz/fuzz_$name.log
	execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
	rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -n 1)
	units=$(find "$build/fuzz/corpus/$name" -type f | wc -l)
	n=$((n + 1))
	if [ "$rc" -eq 0 ] && [ -n "$execs" ]; then
		echo "ok $n - fuzz_$name: ${secs}s, ${execs} execs (${rate}/s), corpus $units, no crash"
	else
		failed=$((failed + 1))
		echo "not ok $n - fuzz_$name exited with status $rc (log $log)"
		grep -E '^(==[0-9]+==|SUMMARY|Test unit written|artifact_prefix|.*runtime error)' \
		    "$log" | head -n 20 | sed 's/^/# /'
	fi
done
echo "1..$n"
[ "$failed" -eq 0 ]
