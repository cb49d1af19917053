#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# Runs every test against the build directory $1 and ends with one line
# "N passed, N failed". Every test program speaks TAP ("ok ..." / "not ok
# ..."); a program that exits non-zero without reporting a failure counts as
# one failure. Optional $2: a substring filter on test paths.
#   HK_VALGRIND=1   run unit tests and the programs integration tests start
#                   under valgrind (errors and definite leaks fail).
set -u
build=${1:-build}
filter=${2:-}
top=$(cd "$(dirname "$0")/.." && pwd)
case "$build" in /*) ;; *) build="$top/$build" ;; esac
export BUILD="$build" TOP="$top"
if [ "${HK_VALGRIND:-}" = 1 ]; then
	# SoftHSM 2.6.1's own leaks are suppressed by its frames only
	# (tests/hsm-valgrind.supp); Hanko's never are.
	HK_WRAP="valgrind -q --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite --track-fds=no --suppressions=$top/tests/hsm-valgrind.supp"
else
	HK_WRAP=""
fi
export HK_WRAP
logdir="$build/test-logs"
mkdir -p "$logdir"

passed=0
failed=0

run_one() {
	name=$1
	shift
	log="$logdir/$(echo "$name" | tr '/' '_').log"
	start=$(date +%s)
	"$@" >"$log" 2>&1
	rc=$?
	ok=$(grep -c '^ok ' "$log")
	nok=$(grep -c '^not ok ' "$log")
	if [ "$rc" -ne 0 ] && [ "$nok" -eq 0 ]; then
		nok=1
		echo "not ok - $name exited with status $rc" >>"$log"
	fi
	passed=$((passed + ok))
	failed=$((failed + nok))
	printf '%-48s %4d ok %4d failed  (%ss)\n' "$name" "$ok" "$nok" \
	    "$(( $(date +%s) - start ))"
	if [ "$nok" -gt 0 ]; then
		grep -E '^not ok |^# ' "$log" | head -n 40 | sed 's/^/    /'
		echo "    (full log: $log)"
	fi
}

for t in "$build"/tests/unit/*/test_*; do
	[ -x "$t" ] || continue
	name=${t#"$build"/tests/}
	case "$name" in *"$filter"*) ;; *) continue ;; esac
	# shellcheck disable=SC2086
	CMOCKA_MESSAGE_OUTPUT=TAP run_one "$name" $HK_WRAP "$t"
done

for t in "$top"/tests/integration/[0-9]*.sh; do
	[ -f "$t" ] || continue
	name=integration/$(basename "$t")
	case "$name" in *"$filter"*) ;; *) continue ;; esac
	run_one "$name" bash "$t"
done

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
