#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# Issue 7, the auditor API (docs/audit-api.md) end to end on the real
# hankod over mutual TLS: roles and records, views equal to `hanko ledger
# show`, receipts and consistency proofs verified offline, signature
# lookup by hash, strict queries, GET only. See audit_api.py.
set -u
export LSAN_OPTIONS="suppressions=$TOP/tests/hsm-lsan.supp${LSAN_OPTIONS:+:$LSAN_OPTIONS}"
export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}fast_unwind_on_malloc=0"
if [ -n "${HK_WRAP:-}" ]; then
	export HK_WRAP="$HK_WRAP --suppressions=$TOP/tests/hsm-valgrind.supp"
fi
limit=600
case "${HK_WRAP:-}${BUILD}" in *valgrind* | *asan*) limit=2400 ;; esac
exec timeout -k 20 "$limit" /usr/bin/python3 "$(dirname "$0")/audit_api.py"
