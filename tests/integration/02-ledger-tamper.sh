#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# Tampering with the ledger file on disk is detected by `hanko ledger
# verify` (OPS-4): a flipped byte in a stored event, in a stored leaf hash,
# in a stored node hash and in a checkpoint signature; two events swapped;
# the tail deleted; the file truncated. Each case starts from a pristine
# copy, and verify must exit 1 naming what is wrong. Bytes are located
# with python (the event bytes from a receipt, hashes from python3-lmdb).
. "$(dirname "$0")/lib.sh"
S=$T/state
$HANKO ledger init --state "$S" --origin example.test/hanko/tamper >/dev/null
$BUILD/tests/tools/ledger_fill --state "$S" --count 2999 --producers 4 2>/dev/null
expect_exit 0 "pristine ledger verifies" quiet $HANKO ledger verify --state "$S"
cp -a "$S/ledger" "$T/pristine"

restore() { rm -rf "$S/ledger" && cp -a "$T/pristine" "$S/ledger"; }

# verify_fails DESC PATTERN: verify exits 1 and its report matches PATTERN.
verify_fails() {
	out=$($HANKO ledger verify --state "$S" 2>&1)
	rc=$?
	if [ $rc = 1 ] && grep -Eq "$2" <<<"$out"; then
		ok "$1"
	else
		not_ok "$1 (exit $rc: $out)"
	fi
}

# flip FILE NEEDLE_HEX OFFSET [SKIP_PREFIX_HEX]: flip the byte at OFFSET
# inside every occurrence of NEEDLE in FILE but those preceded by
# SKIP_PREFIX. (LMDB is copy-on-write: stale copies of a value can sit in
# free pages, so the live copy is not necessarily the only one.)
flip() {
	$PY - "$@" <<'PYEOF'
import sys
path, needle, off = sys.argv[1], bytes.fromhex(sys.argv[2]), int(sys.argv[3])
skip = bytes.fromhex(sys.argv[4]) if len(sys.argv) > 4 else None
data = bytearray(open(path, "rb").read())
hits, i = [], data.find(needle)
while i >= 0:
    if not (skip and data[i - len(skip):i] == skip):
        hits.append(i)
    i = data.find(needle, i + 1)
assert hits, "not found"
for h in hits:
    data[h + off] ^= 0x01
open(path, "wb").write(data)
PYEOF
}

# 1. A byte of a stored event.
ev=$($HANKO ledger receipt --state "$S" --seq 1500 | sed -n 's/^extra //p' |
	$PY -c 'import base64,sys; print(base64.b64decode(sys.stdin.read()).hex())')
flip "$S/ledger/data.mdb" "$ev" 40
verify_fails "flipped event byte is found at its seq" "FAILED at seq 1500"
restore

# 2. A stored leaf hash (not its copy in the next event's prev field,
#    which follows a bin8 header c4 20).
leaf=$($HANKO ledger show --state "$S" --from 1234 --count 1 |
	$PY -c 'import json,sys; print(json.loads(sys.stdin.read())["leaf_hash"])')
flip "$S/ledger/data.mdb" "$leaf" 7 c420
verify_fails "flipped leaf hash is found at its seq" "FAILED at seq 1234: stored leaf hash"
restore

# 3. A stored node hash: leaf 1023 closes subtrees up to level 10.
node=$($PY - "$S/ledger" <<'PYEOF'
import lmdb, sys
env = lmdb.open(sys.argv[1], max_dbs=4, readonly=True, lock=False)
h = env.open_db(b"h", create=False)
with env.begin() as t:
    v = t.get((1023).to_bytes(8, "big"), db=h)
assert len(v) == 11 * 32
print(v[5 * 32:6 * 32].hex())
PYEOF
)
flip "$S/ledger/data.mdb" "$node" 3
verify_fails "flipped node hash is found at its seq" "FAILED at seq 1023: stored node hash"
restore

# 4. A checkpoint signature.
$PY - "$S/ledger" <<'PYEOF'
import lmdb, sys
env = lmdb.open(sys.argv[1], max_dbs=4)
cp = env.open_db(b"cp", create=False)
with env.begin(write=True) as t:
    k, v = next(iter(t.cursor(db=cp)))        # the first checkpoint
    v = bytearray(v); v[-5] = ord("A") if v[-5] != ord("A") else ord("B")
    t.put(k, bytes(v), db=cp)
PYEOF
verify_fails "altered checkpoint signature is found" "checkpoint for size 1: signature does not verify"
restore

# 5. Two events swapped.
$PY - "$S/ledger" <<'PYEOF'
import lmdb, sys
env = lmdb.open(sys.argv[1], max_dbs=4)
ev = env.open_db(b"ev", create=False)
with env.begin(write=True) as t:
    a, b = (700).to_bytes(8, "big"), (701).to_bytes(8, "big")
    va, vb = t.get(a, db=ev), t.get(b, db=ev)
    t.put(a, vb, db=ev); t.put(b, va, db=ev)
PYEOF
verify_fails "swapped events are found" "FAILED at seq 700: event records seq 701"
restore

# 6. The tail deleted (events and their hashes).
$PY - "$S/ledger" <<'PYEOF'
import lmdb, sys
env = lmdb.open(sys.argv[1], max_dbs=4)
ev, h = env.open_db(b"ev", create=False), env.open_db(b"h", create=False)
with env.begin(write=True) as t:
    for s in range(2990, 3000):
        k = s.to_bytes(8, "big")
        assert t.delete(k, db=ev) and t.delete(k, db=h)
PYEOF
verify_fails "deleted tail is found" "tail deleted|FAILED"
$HANKO ledger verify --state "$S" 2>&1 | grep -q "last event 2989" &&
	ok "the report names where the ledger now ends" ||
	not_ok "the report names where the ledger now ends"
restore

# 7. The file truncated: to half of what LMDB's pages use (the file itself
# is longer, zero-filled ahead by the writer).
used=$($PY - "$S/ledger" <<'PYEOF'
import sys, lmdb
env = lmdb.open(sys.argv[1], readonly=True, lock=False, max_dbs=16)
print((env.info()["last_pgno"] + 1) * env.stat()["psize"])
PYEOF
)
check "the file is at least as long as its pages" \
	[ "$(stat -c %s "$S/ledger/data.mdb")" -ge "$used" ]
truncate -s $((used / 2)) "$S/ledger/data.mdb"
verify_fails "truncated file is found" "truncated"
restore

expect_exit 0 "the restored copy verifies again" quiet $HANKO ledger verify --state "$S"
done_testing
