#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# Runs the benchmark programs of build directory $1 on the repository's
# disk and prints their tables (copied into docs/benchmarks.md by hand,
# with the date and the machine). Benchmarks are not tests: nothing here
# asserts a time.
#   tests/bench/run.sh build [ARGS]          every program, each with ARGS
#   tests/bench/run.sh build NAME [ARGS]     only build/bench/NAME
# bench_csc needs a running appliance: tests/bench/bench_csc.py makes a
# throwaway one, runs it with ARGS and removes the appliance.
set -eu
build=${1:-build}
shift || true
only=""
if [ $# -gt 0 ] && [ -x "$build/bench/$1" ]; then
	only=$1
	shift
fi
mkdir -p "$build/bench-tmp"
for b in "$build"/bench/*; do
	[ -x "$b" ] || continue
	name=$(basename "$b")
	[ -z "$only" ] || [ "$name" = "$only" ] || continue
	echo "# $name $*"
	case "$name" in
	bench_csc)
		/usr/bin/python3 "$(dirname "$0")/bench_csc.py" --build "$build" "$@"
		;;
	*)
		"$b" "$@"
		;;
	esac
	echo
done
rm -rf "$build/bench-tmp"
