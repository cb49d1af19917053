#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# lint-units.sh ROOT: offline checks of Hanko's units in a root file system
# (no boot needed): systemd-analyze verify, and the exposure score of
# systemd-analyze security --offline=true against a threshold.
# HANKO_SECURITY_THRESHOLD is the score x10 (systemd's --threshold unit);
# the default, 25, means "2.5 OK" at worst. What the unit still exposes,
# and why, is written in hankod.service ("EXPOSURE:").
set -eu
r=$1
thr=${HANKO_SECURITY_THRESHOLD:-25}
[ -f "$r/lib/systemd/system/hankod.service" ] || { echo "lint-units.sh: no hankod.service in $r" >&2; exit 1; }
systemd-analyze verify --root="$r" hankod.service hanko-provision.service
echo "lint-units.sh: systemd-analyze verify: ok"
out=$(systemd-analyze security --offline=true --root="$r" --no-pager hankod.service 2>&1) || true
score=$(echo "$out" | sed -n 's/.*Overall exposure level for hankod.service: \([0-9.]*\).*/\1/p')
[ -n "$score" ] || { echo "$out" >&2; echo "lint-units.sh: no exposure score" >&2; exit 1; }
echo "$out" | grep -E '^✗' || true
if systemd-analyze security --offline=true --root="$r" --threshold="$thr" hankod.service >/dev/null 2>&1; then
	echo "lint-units.sh: hankod.service exposure $score (threshold $(echo "$thr" | sed 's/\(.\)$/.\1/'))"
else
	echo "lint-units.sh: hankod.service exposure $score is above the threshold $thr/10" >&2
	exit 1
fi
