#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# mkdisk.sh ROOTFS OUT.raw VERSION: a GPT disk image from a root file
# system, with no loop device and no mount (the build machine can mount
# neither; its kernel has no vfat):
#   1  ESP   128 MiB  vfat (mkfs.vfat + mtools): systemd-boot, kernel, initrd,
#                     a Boot Loader Specification entry for root A
#   2  root A         ext4 (mkfs.ext4 -d), mounted read-only
#   3  root B         same size, empty, GPT name "_empty": the slot a later
#                     A/B update writes (no updater exists yet: README)
#   4  var   2 GiB    ext4: everything that changes (/var/lib/hanko, journal)
# Partition types are the Discoverable Partitions ones. The root is found
# by PARTUUID, in lower case (initramfs-tools needs that).
set -eu
rootfs=$1 out=$2 ver=$3
die() { echo "mkdisk.sh: $*" >&2; exit 1; }
[ -d "$rootfs/usr/lib/hanko" ] || die "$rootfs is not a Hanko root file system"
sdboot=/usr/lib/systemd/boot/efi/systemd-bootx64.efi
[ -f "$sdboot" ] || die "no $sdboot (apt-get install systemd-boot-efi)"
kernel=$(ls "$rootfs"/boot/vmlinuz-* 2>/dev/null | head -n 1)
[ -n "$kernel" ] || die "no kernel in $rootfs/boot"
kver=${kernel##*/vmlinuz-}
[ -f "$rootfs/boot/initrd.img-$kver" ] || die "no initrd for $kver"
work=$(mktemp -d /tmp/hanko-mkdisk-XXXXXX)
trap 'rm -rf "$work"; [ ! -d "$work.var" ] || { rm -rf "$rootfs/var"; mv "$work.var" "$rootfs/var"; }' EXIT

uuid() { tr 'A-F' 'a-f' </proc/sys/kernel/random/uuid; }
ROOTA=$(uuid) ROOTB=$(uuid) VAR=$(uuid) ESP=$(uuid)
esp_mb=128 var_mb=${VAR_MB:-2048}

mkdir -p "$rootfs/efi"
cat >"$rootfs/etc/fstab" <<FSTAB
# Hanko appliance $ver (written by mkdisk.sh)
PARTUUID=$ROOTA	/	ext4	ro,nodev	0	1
PARTUUID=$VAR	/var	ext4	rw,nosuid,nodev	0	2
PARTUUID=$ESP	/efi	vfat	noauto,umask=0077	0	2
FSTAB

# /var goes to its own partition; the root keeps an empty mount point.
mv "$rootfs/var" "$work.var"
mkdir -m 0755 "$rootfs/var"
root_mb=$(( $(du -sm "$rootfs" | cut -f1) * 13 / 10 + 64 ))
mkfs.ext4 -q -F -L "hanko-root" -U "$(uuid)" -d "$rootfs" "$work/root.img" "${root_mb}M"
mkfs.ext4 -q -F -L "hanko-var" -U "$(uuid)" -d "$work.var" "$work/var.img" "${var_mb}M"
rmdir "$rootfs/var"
mv "$work.var" "$rootfs/var"

mkfs.vfat -n HANKO-ESP -C "$work/esp.img" $((esp_mb * 1024)) >/dev/null
export MTOOLS_SKIP_CHECK=1
mmd -i "$work/esp.img" ::/EFI ::/EFI/BOOT ::/EFI/systemd ::/loader ::/loader/entries ::/hanko
mcopy -i "$work/esp.img" "$sdboot" ::/EFI/BOOT/BOOTX64.EFI
mcopy -i "$work/esp.img" "$sdboot" ::/EFI/systemd/systemd-bootx64.efi
mcopy -i "$work/esp.img" "$kernel" "::/hanko/vmlinuz-$ver"
mcopy -i "$work/esp.img" "$rootfs/boot/initrd.img-$kver" "::/hanko/initrd-$ver"
printf 'timeout 0\ndefault hanko-*\neditor no\n' >"$work/loader.conf"
cat >"$work/entry.conf" <<ENTRY
title Hanko appliance $ver (root A)
version $ver
linux /hanko/vmlinuz-$ver
initrd /hanko/initrd-$ver
options root=PARTUUID=$ROOTA ro console=tty0 console=ttyS0,115200 systemd.firstboot=off quiet
ENTRY
mcopy -i "$work/esp.img" "$work/loader.conf" ::/loader/loader.conf
mcopy -i "$work/esp.img" "$work/entry.conf" "::/loader/entries/hanko-a.conf"

mb() { echo $(( $(stat -c %s "$1") / 1048576 )); }
root=$(mb "$work/root.img")
rm -f "$out"
truncate -s $(( 1 + esp_mb + 2 * root + var_mb + 1 ))M "$out"
sfdisk -q "$out" <<SF
label: gpt
start=1MiB, size=${esp_mb}MiB, type=C12A7328-F81F-11D2-BA4B-00A0C93EC93B, uuid=$ESP, name=esp
size=${root}MiB, type=4F68BCE3-E8CD-4DB1-96E7-FBCAF984B709, uuid=$ROOTA, name=hanko-$ver
size=${root}MiB, type=4F68BCE3-E8CD-4DB1-96E7-FBCAF984B709, uuid=$ROOTB, name=_empty
size=${var_mb}MiB, type=4D21B016-B534-45C2-A9FB-5C16E091FD2D, uuid=$VAR, name=var
SF
dd if="$work/esp.img" of="$out" bs=1M seek=1 conv=notrunc,sparse status=none
dd if="$work/root.img" of="$out" bs=1M seek=$((1 + esp_mb)) conv=notrunc,sparse status=none
dd if="$work/var.img" of="$out" bs=1M seek=$((1 + esp_mb + 2 * root)) conv=notrunc,sparse status=none
echo "mkdisk.sh: $out: ESP ${esp_mb} MiB, root A/B ${root} MiB each, var ${var_mb} MiB" >&2
