#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# Issue 7, offline half (SIG-6, OPS-4, OPS-6): `hanko audit export`,
# `verify` and `receipt-verify`.
#  - every verify rule: a bundle forged to break exactly that rule
#    (tests/tools/audit_forge) is refused with the matching message and
#    exit status 1; the unbroken one passes, and Go's sumdb/tlog reads it;
#  - receipts at tree sizes 1, 255, 256, 257 and 4097 verify with Hanko's
#    receipt-verify and with Go; exports at those sizes verify with both;
#    partial exports (--from), --to, and bad input change nothing;
#  - the whole signer flow on a real hankod, export while it runs, every
#    receipt with its certificate and hash, and a byte flipped in every
#    bundle file (audit_flow.py).
. "$(dirname "$0")/lib.sh"
export LSAN_OPTIONS="suppressions=$TOP/tests/hsm-lsan.supp${LSAN_OPTIONS:+:$LSAN_OPTIONS}"
export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}fast_unwind_on_malloc=0"
if [ -n "${HK_WRAP:-}" ]; then
	export HK_WRAP="$HK_WRAP --suppressions=$TOP/tests/hsm-valgrind.supp"
fi
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

# ---- one forged bundle per rule ------------------------------------------------
FORGE="${HK_WRAP:-} $BUILD/tests/tools/audit_forge"
K="--key $T/fk --other $T/fo"
$FORGE $K --vkey >"$T/fvkey"
while IFS="$(printf '\t')" read -r name want; do
	if ! $FORGE $K --scenario "$name" --out "$T/f.$name" 2>"$T/err"; then
		not_ok "forge $name: $(cat "$T/err")"
		continue
	fi
	out=$($HANKO audit verify "$T/f.$name" --vkey "$T/fvkey" 2>&1)
	rc=$?
	if [ "$want" = "-" ]; then
		check "the unbroken forged bundle verifies" [ $rc = 0 ]
		check "Go reads the unbroken forged bundle" quiet "$GO" bundle "$T/fvkey" "$T/f.$name"
		continue
	fi
	case "$out" in
	*"$want"*) check "rule $name: refused with \"$want\"" [ $rc = 1 ] ;;
	*) not_ok "rule $name: want \"$want\", got (exit $rc): $out" ;;
	esac
done < <($BUILD/tests/tools/audit_forge --list)
expect_exit 1 "Go refuses the bundle with a bad level-1 tile" quiet "$GO" bundle "$T/fvkey" "$T/f.tile-level1"
expect_exit 1 "Go refuses the bundle with a bad level-0 tile" quiet "$GO" bundle "$T/fvkey" "$T/f.tile-level0"

# ---- receipts and exports at the tile edges -------------------------------------
S=$T/state
$HANKO ledger init --state "$S" --origin example.test/hanko/audit >/dev/null
$HANKO ledger vkey --state "$S" >"$T/vkey"
FILL=$BUILD/tests/tools/ledger_fill
cur=1
for n in 1 255 256 257 4097; do
	if [ $n -gt $cur ]; then
		$FILL --state "$S" --count $((n - cur)) --producers 3 2>/dev/null
		cur=$n
	fi
	bad=0 gobad=0
	for s in 0 1 $((n / 2)) 254 255 256 $((n - 2)) $((n - 1)); do
		[ $s -ge 0 ] && [ $s -lt $n ] || continue
		$HANKO ledger receipt --state "$S" --seq $s >"$T/r"
		quiet $HANKO audit receipt-verify "$T/r" --vkey "$T/vkey" || bad=$((bad + 1))
		quiet "$GO" receipt "$T/vkey" "$T/r" || gobad=$((gobad + 1))
	done
	check "receipt-verify accepts receipts at size $n" [ $bad = 0 ]
	check "Go accepts the same receipts at size $n" [ $gobad = 0 ]
	rm -rf "$T/b.$n"
	check "export at size $n" quiet $HANKO audit export --state "$S" --out "$T/b.$n"
	check "verify the export at size $n" quiet $HANKO audit verify "$T/b.$n" --vkey "$T/vkey"
	check "Go reads the export at size $n" quiet "$GO" bundle "$T/vkey" "$T/b.$n"
done
$HANKO ledger receipt --state "$S" --seq 1000 >"$T/r"
sed 's/^index 1000$/index 1001/' "$T/r" >"$T/r.bad"
expect_exit 1 "receipt-verify refuses a receipt moved to another index" quiet $HANKO audit receipt-verify "$T/r.bad" --vkey "$T/vkey"
expect_exit 1 "receipt-verify refuses a receipt under another key" quiet $HANKO audit receipt-verify "$T/r" --vkey "$T/fvkey"
expect_exit 1 "receipt-verify refuses --hash on an event that is no signature" quiet $HANKO audit receipt-verify "$T/r" --vkey "$T/vkey" --hash 00
out=$($HANKO audit export --state "$S" --out "$T/p" --from 3000)
check "a partial export (--from 3000) starts at its entry bundle (seq 2816)" \
	grep -q "entries from seq 2816" <<<"$out"
out=$($HANKO audit verify "$T/p" --vkey "$T/vkey")
check "the partial export verifies" grep -q "events 1281 (seq 2816 to 4096)" <<<"$out"
check "Go reads the partial export" quiet "$GO" bundle "$T/vkey" "$T/p"
check "export --to a stored checkpoint size" quiet $HANKO audit export --state "$S" --out "$T/to" --to 257
check "which verifies as a tree of 257" sh -c "$HANKO audit verify $T/to --vkey $T/vkey | grep -q 'tree size 257,'"
expect_exit 2 "export --to a size without a stored checkpoint is refused" quiet $HANKO audit export --state "$S" --out "$T/to2" --to 300
check "... and leaves nothing behind" [ ! -e "$T/to2" ]
expect_exit 2 "export --from beyond the tree is refused" quiet $HANKO audit export --state "$S" --out "$T/to3" --from 5000
check "... and leaves nothing behind" [ ! -e "$T/to3" ]
expect_exit 2 "verify without --vkey is a usage error" quiet $HANKO audit verify "$T/p"
expect_exit 2 "verify of a missing directory is an error" quiet $HANKO audit verify "$T/nothing" --vkey "$T/vkey"
done_testing
st=$?

# ---- the whole flow on a real daemon ------------------------------------------------
/usr/bin/python3 "$TOP/tests/integration/audit_flow.py" "$GO" || st=1
exit $st
