#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# smoke-nspawn.sh ROOTFS: boot the appliance's root file system with
# systemd-nspawn (volatile overlay: the directory is not changed; private
# network: nothing leaves the container) and wait for hankod's /readyz over
# TLS, verified against the operator CA that first-boot provisioning made.
# A credential (hanko.origin) is passed the way a hypervisor would pass it.
# Prints TAP-friendly lines; exits 0 when /readyz answered and no unit
# failed. Needs root, systemd-nspawn, nsenter, curl.
set -eu
r=$1
tmo=${TIMEOUT:-60}
keep_log=${LOG:+1}
log=${LOG:-/tmp/hanko-nspawn-$$.log}
origin="nspawn.test/hanko/smoke"
# No systemd as PID 1 and no D-Bus on the build machine: --register=no
# --keep-unit. The root must be pristine: run this before mkdisk.sh writes
# the image's fstab (its PARTUUIDs do not exist in a container).
systemd-nspawn --quiet --boot --register=no --keep-unit --private-network \
    --volatile=overlay --console=read-only -M hanko-smoke-$$ \
    --set-credential=hanko.origin:"$origin" -D "$r" >"$log" 2>&1 &
np=$!
leader="" ok=1 start=$(date +%s)
cleanup() {
	kill -TERM "$np" 2>/dev/null || true
	wait "$np" 2>/dev/null || true
	[ -n "$keep_log" ] || rm -f "$log"
}
trap cleanup EXIT
while [ $(( $(date +%s) - start )) -lt "$tmo" ] && kill -0 "$np" 2>/dev/null; do
	# The container's PID 1 (systemd), a child of systemd-nspawn; other
	# short-lived children come and go before it.
	leader=$(ps -o pid=,comm= --ppid "$np" | awk '$2 == "systemd" { print $1; exit }')
	ca="/proc/$leader/root/var/lib/hanko/ca/operator-ca.crt"
	if [ -n "$leader" ] && [ -f "$ca" ] &&
	    nsenter -t "$leader" -n curl -fsS --max-time 3 --cacert "$ca" \
	        --resolve localhost:8443:127.0.0.1 https://localhost:8443/readyz >/dev/null 2>&1; then
		ok=0
		break
	fi
	sleep 0.5
done
el=$(( $(date +%s) - start ))
if [ "$ok" = 0 ]; then
	echo "# nspawn: /readyz answered over TLS after ${el} s"
else
	echo "# nspawn: /readyz did not answer within ${tmo} s; container log:"
	tail -n 40 "$log" | sed 's/^/#   /'
fi
if [ -n "$leader" ]; then
	failed=$(nsenter -t "$leader" -m -u -i -n -p systemctl --failed --plain --no-legend --no-pager 2>/dev/null || true)
	if [ -n "$failed" ]; then
		echo "# nspawn: failed units:"
		echo "$failed" | sed 's/^/#   /'
		nsenter -t "$leader" -m -u -i -n -p journalctl -b --no-pager -n 60 2>/dev/null | sed 's/^/#   /' || true
		ok=1
	fi
	got=$(sed -n 's/^origin = //p' "/proc/$leader/root/var/lib/hanko/hanko.conf" 2>/dev/null || true)
	if [ "$got" != "$origin" ]; then
		echo "# nspawn: the hanko.origin credential did not reach hanko init (origin \"$got\")"
		ok=1
	fi
fi
exit "$ok"
