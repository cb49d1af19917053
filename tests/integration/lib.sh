# SPDX-License-Identifier: Apache-2.0
# Shared helpers for integration scenarios: TAP output, a throwaway
# directory, and the programs under test (prefixed by $HK_WRAP, which is
# valgrind under ./build.sh valgrind).
set -u
: "${BUILD:?BUILD must name the build directory}"
: "${TOP:?TOP must name the repository}"
HANKO="${HK_WRAP:-} $BUILD/bin/hanko"
HANKOD="${HK_WRAP:-} $BUILD/bin/hankod"
PY=/usr/bin/python3
T=$(mktemp -d /tmp/hanko-it-XXXXXX)
trap 'rm -rf "$T"' EXIT
tap_n=0
tap_failed=0

ok() { tap_n=$((tap_n + 1)); echo "ok $tap_n - $*"; }
not_ok() {
	tap_n=$((tap_n + 1))
	tap_failed=$((tap_failed + 1))
	echo "not ok $tap_n - $*"
}
# check DESC CMD...: ok when CMD succeeds.
check() {
	d=$1
	shift
	if "$@"; then ok "$d"; else not_ok "$d"; fi
}
# expect_exit CODE DESC CMD...: ok when CMD exits with CODE.
expect_exit() {
	want=$1 d=$2
	shift 2
	"$@"
	got=$?
	if [ "$got" = "$want" ]; then ok "$d"; else not_ok "$d (exit $got, want $want)"; fi
}
# quiet CMD...: run CMD with its output discarded.
quiet() { "$@" >/dev/null 2>&1; }
done_testing() {
	echo "1..$tap_n"
	[ "$tap_failed" -eq 0 ]
}
