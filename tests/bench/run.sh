#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# Runs the benchmark programs of build directory $1 on the repository's
# disk and prints their tables (copied into docs/benchmarks.md by hand,
# with the date and the machine). Benchmarks are not tests: nothing here
# asserts a time.
set -eu
build=${1:-build}
shift || true
mkdir -p "$build/bench-tmp"
for b in "$build"/bench/*; do
	[ -x "$b" ] || continue
	echo "# $(basename "$b") $*"
	"$b" "$@"
	echo
done
rm -rf "$build/bench-tmp"
