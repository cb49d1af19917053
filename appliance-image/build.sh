#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# appliance-image/build.sh: the Hanko appliance disk image.
#
#   appliance-image/build.sh [OUTDIR]        everything, into OUTDIR (build/image)
#   appliance-image/build.sh deb OUTDIR      only the .deb
#   appliance-image/build.sh rootfs DIR DEB  the root file system, in DIR
#   appliance-image/build.sh lint DIR        unit checks on a root file system
#   appliance-image/build.sh disk DIR OUTDIR disk images from a root file system
#
# Steps: hanko_<v>.deb (deb/build-deb.sh) -> root file system with
# mmdebstrap (Debian 12 from the apt mirror this machine uses; hanko, systemd,
# timesyncd, nftables, the cloud kernel) -> offline unit checks
# (lint-units.sh) -> GPT disk with no loop device and no mount (mkdisk.sh:
# ESP with systemd-boot, root A read-only, root B empty, /var) ->
# hanko-appliance-<v>.raw and .qcow2 (compressed) with SHA256SUMS.
# Environment: IMAGE_VERSION (default: the package version), KERNEL_PKG
# (linux-image-cloud-amd64; linux-image-amd64 for bare metal),
# HANKO_IMAGE_SSH_KEYS=FILE (an authorized_keys file: the image gets
# OpenSSH, key-only root login, port 22 open; without it there is no SSH),
# MIRROR (default: the first deb.debian.org-style URI in the host's apt
# sources). Runs as root; takes about 2-3 minutes on 2 cores.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/.." && pwd)

die() { echo "appliance-image/build.sh: $*" >&2; exit 1; }
log() { echo "appliance-image/build.sh: $*" >&2; }

# Debian packages this script needs on the build host (build.sh image-deps).
HOST_DEBS="mmdebstrap e2fsprogs dosfstools mtools fdisk qemu-utils systemd-boot-efi
dpkg-dev zstd"

need() {
	missing=""
	for t in mmdebstrap mkfs.ext4 mkfs.vfat mmd mcopy sfdisk qemu-img \
	    systemd-analyze dpkg-deb sha256sum; do
		command -v "$t" >/dev/null 2>&1 || missing="$missing $t"
	done
	[ -e /usr/lib/systemd/boot/efi/systemd-bootx64.efi ] ||
	    missing="$missing systemd-bootx64.efi"
	[ -z "$missing" ] || die "missing:$missing (apt-get install $HOST_DEBS)"
	[ "$(id -u)" = 0 ] || die "must run as root (mmdebstrap --mode=root, file ownership in the image)"
}

mirror() {
	if [ -n "${MIRROR:-}" ]; then
		echo "$MIRROR"
		return
	fi
	# The host's own Debian mirror (deb822 or one-line sources).
	m=$(cat /etc/apt/sources.list.d/*.sources /etc/apt/sources.list 2>/dev/null |
	    sed -n -e 's|^URIs: *\(http[^ ]*/debian\)/*$|\1|p' \
	        -e 's|^deb  *\(\[[^]]*\] *\)\{0,1\}\(http[^ ]*/debian\)/* .*|\2|p' | head -n 1)
	echo "${m:-http://deb.debian.org/debian}"
}

# rootfs DIR DEB: the root file system.
rootfs() {
	dir=$1 deb=$2
	[ -f "$deb" ] || die "no package $deb"
	[ ! -e "$dir" ] || die "$dir exists; remove it first"
	m=$(mirror)
	sec=$(echo "$m" | sed 's|/debian$|/debian-security|')
	ssh=""
	if [ -n "${HANKO_IMAGE_SSH_KEYS:-}" ]; then
		[ -s "$HANKO_IMAGE_SSH_KEYS" ] || die "HANKO_IMAGE_SSH_KEYS=$HANKO_IMAGE_SSH_KEYS is not a non-empty file"
		ssh=",openssh-server"
	fi
	log "root file system from $m (kernel ${KERNEL_PKG:-linux-image-cloud-amd64})"
	# Our .deb goes through apt with the rest (so its Depends are resolved
	# exactly as on any Debian 12 host); the file-mirror-automount hook
	# makes its path visible inside the chroot.
	mmdebstrap --variant=minbase --mode=root --format=directory \
	    --include="systemd,systemd-sysv,udev,dbus,libpam-systemd,systemd-timesyncd,systemd-resolved,nftables,openssl,ca-certificates,initramfs-tools,zstd,${KERNEL_PKG:-linux-image-cloud-amd64}$ssh" \
	    --dpkgopt='path-exclude=/usr/share/doc/*' \
	    --dpkgopt='path-include=/usr/share/doc/*/copyright' \
	    --dpkgopt='path-include=/usr/share/doc/hanko/*' \
	    --dpkgopt='path-exclude=/usr/share/man/*' \
	    --dpkgopt='path-exclude=/usr/share/locale/*' \
	    --setup-hook="cp -a '$here/overlay/etc/initramfs-tools' \"\$1/etc/\"" \
	    --include="$deb" \
	    --hook-dir=/usr/share/mmdebstrap/hooks/file-mirror-automount \
	    --customize-hook="HANKO_IMAGE_SSH_KEYS='${HANKO_IMAGE_SSH_KEYS:-}' '$here/customize.sh' \"\$1\" '$here/overlay'" \
	    bookworm "$dir" \
	    "deb $m bookworm main" \
	    "deb $m bookworm-updates main" \
	    "deb $sec bookworm-security main" >&2
}

lint() {
	"$here/lint-units.sh" "$1"
}

# disk DIR OUTDIR VERSION
disk() {
	dir=$1 out=$2 ver=$3
	mkdir -p "$out"
	raw="$out/hanko-appliance-$ver.raw"
	"$here/mkdisk.sh" "$dir" "$raw" "$ver"
	log "qcow2 (compressed)"
	qemu-img convert -c -O qcow2 "$raw" "$out/hanko-appliance-$ver.qcow2"
	(cd "$out" && sha256sum "hanko-appliance-$ver.raw" "hanko-appliance-$ver.qcow2" \
	    >"hanko-appliance-$ver.SHA256SUMS")
	log "$(cd "$out" && ls -ls "hanko-appliance-$ver".*)"
}

pkgver() { dpkg-deb -f "$1" Version; }

cmd=${1:-all}
case "$cmd" in
deb)
	[ $# = 2 ] || die "usage: build.sh deb OUTDIR"
	"$here/deb/build-deb.sh" "$2"
	;;
rootfs)
	[ $# = 3 ] || die "usage: build.sh rootfs DIR DEB"
	need
	rootfs "$2" "$3"
	;;
lint)
	[ $# = 2 ] || die "usage: build.sh lint DIR"
	lint "$2"
	;;
disk)
	[ $# = 3 ] || die "usage: build.sh disk DIR OUTDIR"
	need
	ver=${IMAGE_VERSION:-$(chroot "$2" dpkg-query -W -f='${Version}' hanko)}
	disk "$2" "$3" "$ver"
	;;
all | /* | ./* | ../*)
	if [ "$cmd" = all ]; then out=${2:-"$top/build/image"}; else out=$cmd; fi
	need
	start=$(date +%s)
	mkdir -p "$out"
	out=$(cd "$out" && pwd)
	deb=$("$here/deb/build-deb.sh" "$out")
	ver=${IMAGE_VERSION:-$(pkgver "$deb")}
	work=$(mktemp -d /tmp/hanko-image-XXXXXX)
	trap 'rm -rf "$work"' EXIT
	rootfs "$work/rootfs" "$deb"
	lint "$work/rootfs"
	disk "$work/rootfs" "$out" "$ver"
	log "done in $(( $(date +%s) - start )) s: $out/hanko-appliance-$ver.{raw,qcow2}"
	;;
*)
	die "usage: build.sh [all [OUTDIR] | OUTDIR | deb OUTDIR | rootfs DIR DEB | lint DIR | disk DIR OUTDIR]"
	;;
esac
