#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# The ledger through its command line (OPS-4, SIG-6): a standalone ledger
# made by `hanko ledger init` (software checkpoint key; the appliance's own
# ledger comes from `hanko init`, see 10-daemon), show (checked with
# python3-msgpack and
# hashlib, not with Hanko's code), vkey, receipt, proof, replay, usage
# errors, a pinned vkey, and a kept checkpoint detecting rollback and fork.
. "$(dirname "$0")/lib.sh"
S=$T/state
FILL=$BUILD/tests/tools/ledger_fill

out=$($HANKO ledger init --state "$S" --origin example.test/hanko/it1)
check "init creates a ledger" [ -f "$S/ledger/data.mdb" ]
check "init prints the origin" grep -qx "origin example.test/hanko/it1" <<<"$out"
check "checkpoint key is mode 0600" [ "$(stat -c %a "$S/checkpoint.key")" = 600 ]
expect_exit 1 "init twice refuses to overwrite" $HANKO ledger init --state "$S" 2>/dev/null
expect_exit 2 "init rejects an origin with a space" $HANKO ledger init --state "$T/x" --origin "a b" 2>/dev/null

vkey=$($HANKO ledger vkey --state "$S")
check "vkey has the signed-note form" grep -Eqx 'example\.test/hanko/it1\+[0-9a-f]{8}\+[A-Za-z0-9+/]{44}' <<<"$vkey"

# Events appended by producers, then a signer lifecycle.
$FILL --state "$S" --count 999 --producers 4 2>/dev/null
live=$($FILL --state "$S" --count 400 --lifecycle 42 2>/dev/null | sed -n 's/^digest //p')
cold=$($HANKO ledger replay --state "$S" | sed -n 's/^digest //p')
check "cold replay digest equals the live digest" [ -n "$live" -a "$live" = "$cold" ]

out=$($HANKO ledger verify --state "$S")
check "verify passes on an intact ledger" grep -q "^ok: 1400 events" <<<"$out"

# show: one JSON object per line; check every field against an
# independent decoding of the stored bytes (taken from receipts).
$HANKO ledger show --state "$S" --from 1300 --count 5 >"$T/show"
for s in 1300 1301 1302 1303 1304; do
	$HANKO ledger receipt --state "$S" --seq $s >"$T/r$s"
done
check "show decodes what python3-msgpack decodes" $PY - "$T" "$vkey" <<'PYEOF'
import base64, hashlib, json, msgpack, sys
t, vkey = sys.argv[1], sys.argv[2]
lines = open(t + "/show").read().splitlines()
assert len(lines) == 5, len(lines)
for i, line in enumerate(lines):
    j = json.loads(line)
    seq = 1300 + i
    extra = [l for l in open("%s/r%d" % (t, seq)).read().splitlines()
             if l.startswith("extra ")][0][6:]
    raw = base64.b64decode(extra)
    ev = msgpack.unpackb(raw, raw=False, strict_map_key=False)
    assert len(ev) == 9 and ev[0] == 1, ev
    assert ev[1] == j["origin"] == "example.test/hanko/it1"
    assert ev[2] == j["seq"] == seq
    assert ev[3] == j["time_ms"]
    assert ev[5][1] == j["actor"]["id"] and ev[6][0] == j["subject"]["signer"]
    assert ev[8].hex() == j["prev"]
    assert hashlib.sha256(b"\0" + raw).hexdigest() == j["leaf_hash"]
    # Re-encoding with an independent encoder gives the stored bytes.
    assert msgpack.packb(ev, use_bin_type=True) == raw
PYEOF
check "show --from/--count selects seqs" [ "$($PY -c 'import json,sys; print([json.loads(l)["seq"] for l in open(sys.argv[1])])' "$T/show")" = "[1300, 1301, 1302, 1303, 1304]" ]

head -n 1 "$T/r1300" >"$T/h"
check "receipt is a c2sp.org/tlog-proof@v1" grep -qx "c2sp.org/tlog-proof@v1" "$T/h"
$HANKO ledger proof --state "$S" --old 3 >"$T/p"
check "proof starts with the old size" grep -qx "old 3" <(head -n 1 "$T/p")
$HANKO ledger checkpoint --state "$S" >"$T/cp-now"
check "checkpoint ends with a signature line" grep -q "^— example.test/hanko/it1 " "$T/cp-now"

# Usage and refusals: clear errors, nothing changes.
expect_exit 2 "unknown option is a usage error" $HANKO ledger verify --state "$S" --bogus 1 2>/dev/null
expect_exit 2 "non-numeric seq is a usage error" $HANKO ledger receipt --state "$S" --seq 12x 2>/dev/null
expect_exit 1 "receipt beyond the end is refused" $HANKO ledger receipt --state "$S" --seq 999999 2>/dev/null
expect_exit 1 "proof to a size without checkpoint is refused" $HANKO ledger proof --state "$S" --old 1 --new 999999 2>/dev/null
expect_exit 2 "missing ledger is an error" $HANKO ledger verify --state "$T/none" 2>/dev/null
$HANKO ledger init --state "$T/other" --origin example.test/hanko/it1 >/dev/null
otherkey=$($HANKO ledger vkey --state "$T/other")
expect_exit 1 "verify with another key's vkey fails" quiet $HANKO ledger verify --state "$S" --vkey "$otherkey"
expect_exit 0 "verify with the pinned vkey passes" quiet $HANKO ledger verify --state "$S" --vkey "$vkey"

# A kept checkpoint: extension passes, rollback and fork are caught.
cp -a "$S/ledger" "$T/old-ledger"
$FILL --state "$S" --count 50 2>/dev/null
$HANKO ledger checkpoint --state "$S" >"$T/cp-later"
out=$($HANKO ledger verify --state "$S" --checkpoint "$T/cp-now")
check "ledger extends an earlier kept checkpoint" grep -q "consistent with the trusted checkpoint of size 1400" <<<"$out"
rm -rf "$S/ledger" && cp -a "$T/old-ledger" "$S/ledger"
expect_exit 0 "a rolled-back copy is internally consistent" quiet $HANKO ledger verify --state "$S"
out=$($HANKO ledger verify --state "$S" --checkpoint "$T/cp-later")
check "rollback is detected with a later checkpoint" grep -q "rolled back or truncated" <<<"$out"
$FILL --state "$S" --count 80 --pad 7 2>/dev/null
out=$($HANKO ledger verify --state "$S" --checkpoint "$T/cp-later")
check "a fork (same key, other events) is detected" grep -q "history was rewritten" <<<"$out"

done_testing
