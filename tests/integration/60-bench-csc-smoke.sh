#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# The CSC benchmark program still works end to end (issue 6; what
# docs/benchmarks.md records is measured with it): tests/bench/bench_csc.py
# sets up a throwaway appliance and bench_csc runs every phase for a
# fraction of a second. Nothing here asserts a rate or a time; the checks
# are that each phase ran, signed (the probe verifies a signature against
# the certificate first), counted the ledger's commits and the checkpoint
# key, and ended without a failed connection.
. "$(dirname "$0")/lib.sh"
# SoftHSM 2.6.1's known leaks (its frames only), as in the other tests.
export LSAN_OPTIONS="suppressions=$TOP/tests/hsm-lsan.supp${LSAN_OPTIONS:+:$LSAN_OPTIONS}"
export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}fast_unwind_on_malloc=0"
if [ -n "${HK_WRAP:-}" ]; then
	# A benchmark under valgrind measures nothing, and its argon2id
	# authorisations take minutes there.
	echo "ok 1 - CSC benchmark smoke run # SKIP under valgrind"
	echo "1..1"
	exit 0
fi
out=$T/bench.md
$PY "$TOP/tests/bench/bench_csc.py" --build "$BUILD" --creds 2 \
	--conns 4 --rounds 2 --duration 0.3 --paced-duration 0.5 \
	--authz-duration 0.3 --batches 1,4 >"$out" 2>"$T/err"
rc=$?
check "bench_csc.py exits 0" [ "$rc" = 0 ]
[ "$rc" = 0 ] || sed 's/^/# /' "$T/err" | tail -20

# row PATTERN: the first line of the report matching PATTERN.
row() { grep -m1 -E "$1" "$out"; }
# field N LINE: the N-th |-separated field of LINE, trimmed.
field() { awk -F'|' -v n="$1" '{gsub(/[ *%]/, "", $n); print $n}' <<<"$2"; }
positive() { awk -v v="$1" 'BEGIN { exit !(v + 0 > 0) }'; }

check "the client is the epoll one" grep -q "driven by 1 epoll thread" "$out"
check "the probe verified a signature against the certificate" \
	grep -q "signatures verified against the certificate's key" "$out"
r1=$(row '^\| 1 \| [0-9]+ \| [0-9]+ \|')
positive "$(field 3 "$r1")" && positive "$(field 4 "$r1")" &&
	positive "$(field 6 "$r1")" && ok "round 1 rates: $r1" ||
	not_ok "round 1 rates: $r1"
check "the checkpoint key was found and timed" \
	grep -qE "^Checkpoint key \(Ed25519.*process CPU [0-9.]+ us" "$out"
for b in 1 4; do
	s=$(row "^\| $b \| [0-9]+ \| [0-9]+ \| [0-9.]+% \| [0-9.]+ ms \|")
	# signatures/s is field 3 of the summary row, events/commit 12.
	positive "$(field 3 "$s")" && positive "$(field 12 "$s")" &&
		ok "batch $b: signatures/s and events/commit are positive" ||
		not_ok "batch $b summary: $s"
	p=$(row "^\| $b \| [0-9]+ \| [0-9]+ \| [0-9.]+ ms \|")
	positive "$(field 4 "$p")" &&
		ok "batch $b paced: achieved a positive rate" ||
		not_ok "batch $b paced: $p"
done
check "authorisations ran" grep -qE "^\| [0-9.]+ \| [0-9.]+ ms \|" "$out"
check "no phase reported failed connections" \
	bash -c "! grep -qiE 'connections failed|SADs ran out' '$out'"
done_testing
