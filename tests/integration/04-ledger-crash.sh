#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# Crash safety (SIG-3, OPS-4): 100 times, a child appends from 4 producer
# threads and reports each acknowledged seq; it is killed with SIGKILL at a
# random moment; then the ledger must verify, hold every acknowledged event
# unchanged, and extend the checkpoint seen after the previous kill.
. "$(dirname "$0")/lib.sh"
S=$T/state
$HANKO ledger init --state "$S" --origin example.test/hanko/crash >/dev/null
"$BUILD/tests/tools/ledger_crash" --state "$S" --iterations "${HK_CRASH_ITERATIONS:-100}" --producers 4
