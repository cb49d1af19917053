#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# Interop (OPS-4, SIG-6): an independent implementation, Go's
# golang.org/x/mod/sumdb/note and sumdb/tlog from Debian, verifies Hanko's
# checkpoints with Hanko's vkey, Hanko's receipts (inclusion) and Hanko's
# consistency proofs at sizes 1, 2, 3, 255, 256, 257 and thousands, and
# rejects altered ones.
. "$(dirname "$0")/lib.sh"
GO=$BUILD/tests/tlogcheck
mkdir -p "$BUILD/go-cache"
if ! (cd "$TOP/tests/interop/tlogcheck" &&
	GOCACHE="$BUILD/go-cache" GOPATH=/usr/share/gocode GO111MODULE=off \
	go build -o "$GO" . 2>"$T/go.log"); then
	not_ok "build the Go verifier: $(cat "$T/go.log")"
	done_testing
	exit 1
fi
ok "Go verifier built against Debian's golang.org/x/mod"

S=$T/state
$HANKO ledger init --state "$S" --origin example.test/hanko/interop >/dev/null
$HANKO ledger vkey --state "$S" >"$T/vkey"
FILL=$BUILD/tests/tools/ledger_fill
sizes="1 2 3 255 256 257 1000 4097"
cur=1
for n in $sizes; do
	if [ $n -gt $cur ]; then
		$FILL --state "$S" --count $((n - cur)) --producers 3 2>/dev/null
		cur=$n
	fi
	$HANKO ledger checkpoint --state "$S" >"$T/cp.$n"
	check "Go verifies the checkpoint of size $n" quiet "$GO" checkpoint "$T/vkey" "$T/cp.$n"
	bad=0
	for s in 0 1 $((n / 2)) $((n - 2)) $((n - 1)); do
		[ $s -ge 0 ] && [ $s -lt $n ] || continue
		$HANKO ledger receipt --state "$S" --seq $s >"$T/r"
		"$GO" receipt "$T/vkey" "$T/r" >/dev/null 2>&1 || bad=$((bad + 1))
	done
	check "Go verifies receipts at size $n" [ $bad = 0 ]
done
# Consistency between every pair of sizes, from proofs made at the end.
bad=0 pairs=0
for m in $sizes; do
	for n in $sizes; do
		[ $m -lt $n ] || continue
		$HANKO ledger proof --state "$S" --old $m --new $n >"$T/p"
		"$GO" consistency "$T/vkey" "$T/cp.$m" "$T/p" >/dev/null 2>&1 || bad=$((bad + 1))
		pairs=$((pairs + 1))
	done
done
check "Go verifies all $pairs consistency proofs" [ $bad = 0 ]

# Altered objects are rejected by Go too.
$HANKO ledger receipt --state "$S" --seq 100 >"$T/r"
sed '4s/^./A/;4s/^A/B/' "$T/r" >"$T/r.bad"
cmp -s "$T/r" "$T/r.bad" && sed -i '4s/^B/C/' "$T/r.bad"
expect_exit 1 "Go rejects a receipt with an altered proof hash" quiet "$GO" receipt "$T/vkey" "$T/r.bad"
sed 's/^index 100$/index 101/' "$T/r" >"$T/r.bad"
expect_exit 1 "Go rejects a receipt moved to another index" quiet "$GO" receipt "$T/vkey" "$T/r.bad"
$HANKO ledger init --state "$T/other" --origin example.test/hanko/interop >/dev/null
$HANKO ledger vkey --state "$T/other" >"$T/vkey.other"
expect_exit 1 "Go rejects a checkpoint under another key" quiet "$GO" checkpoint "$T/vkey.other" "$T/cp.4097"
$HANKO ledger proof --state "$S" --old 255 --new 4097 >"$T/p"
expect_exit 1 "Go rejects a consistency proof against another old tree" quiet "$GO" consistency "$T/vkey" "$T/cp.256" "$T/p"
done_testing
