#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# customize.sh ROOT OVERLAY: the appliance policy, applied to the root file
# system by build.sh (an mmdebstrap customize hook, after hanko is
# installed). Everything here runs at image build time; the image itself
# has a read-only root.
set -eu
r=$1 overlay=$2
[ -d "$r/usr/lib/hanko" ] || { echo "customize.sh: hanko is not installed in $r" >&2; exit 1; }

cp -a "$overlay/." "$r/"
rm -f "$r/etc/nftables.d/.keep"

# Non-interactive first boot (systemd-firstboot never prompts; the kernel
# command line also says systemd.firstboot=off).
echo hanko >"$r/etc/hostname"
printf '127.0.0.1\tlocalhost\n127.0.1.1\thanko\n::1\tlocalhost ip6-localhost ip6-loopback\n' >"$r/etc/hosts"
echo 'LANG=C.UTF-8' >"$r/etc/locale.conf"
echo 'KEYMAP=us' >"$r/etc/vconsole.conf"
ln -sf /usr/share/zoneinfo/Etc/UTC "$r/etc/localtime"
echo Etc/UTC >"$r/etc/timezone"
# An empty machine-id: each boot gets a transient one (the root is
# read-only); see README "Known limits".
: >"$r/etc/machine-id"
rm -f "$r/var/lib/dbus/machine-id"

# No default password: root is locked (no console login, no sulogin shell
# in emergency mode) and no other account has a password.
sed -i 's/^root:[^:]*:/root:!*:/' "$r/etc/shadow"

# Units: network, name resolution, time, firewall, Hanko.
chroot "$r" systemctl enable systemd-networkd.service systemd-resolved.service \
    systemd-timesyncd.service nftables.service hanko-provision.service hankod.service
ln -sf ../run/systemd/resolve/stub-resolv.conf "$r/etc/resolv.conf"
# Nothing in the image may wait for a network that a firewalled appliance
# with restricted networking may never get.
chroot "$r" systemctl mask systemd-networkd-wait-online.service
# /tmp on tmpfs: the root is read-only, and systemd 252 builds
# PrivateDevices= mounts under /tmp.
chroot "$r" systemctl enable tmp.mount 2>/dev/null ||
    ln -sf /usr/share/systemd/tmp.mount "$r/etc/systemd/system/tmp.mount"

# SSH: only when asked for at build time, key-only, host keys made at first
# boot on /var (never baked into the image, which would give every copy the
# same host keys).
if [ -n "${HANKO_IMAGE_SSH_KEYS:-}" ]; then
	install -d -m 0700 "$r/root/.ssh"
	install -m 0600 "$HANKO_IMAGE_SSH_KEYS" "$r/root/.ssh/authorized_keys"
	rm -f "$r"/etc/ssh/ssh_host_*
	cat >"$r/etc/ssh/sshd_config.d/hanko.conf" <<'SSHD'
# Hanko appliance: keys only, host keys on /var.
PasswordAuthentication no
KbdInteractiveAuthentication no
PermitRootLogin prohibit-password
HostKey /var/lib/hanko-ssh/etc/ssh/ssh_host_ed25519_key
HostKey /var/lib/hanko-ssh/etc/ssh/ssh_host_rsa_key
SSHD
	install -d "$r/etc/systemd/system/ssh.service.d"
	cat >"$r/etc/systemd/system/ssh.service.d/hanko.conf" <<'UNIT'
[Service]
ExecStartPre=
ExecStartPre=/bin/mkdir -p /var/lib/hanko-ssh/etc/ssh
ExecStartPre=/usr/bin/ssh-keygen -A -f /var/lib/hanko-ssh
ExecStartPre=/usr/sbin/sshd -t
UNIT
	echo 'tcp dport 22 accept' >"$r/etc/nftables.d/ssh.nft"
	chroot "$r" systemctl enable ssh.service
fi

# Smaller image: apt's lists and caches are rebuilt by apt when needed.
rm -rf "$r"/var/lib/apt/lists/* "$r"/var/cache/apt/*.bin "$r"/var/cache/apt/archives/*.deb
rm -rf "$r"/var/log/*.log "$r"/var/log/apt/* 2>/dev/null || true
