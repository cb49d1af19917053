#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# build-deb.sh [OUTDIR]: build hanko_<version>_<arch>.deb with dpkg-deb.
#
# The binaries are built from this checkout with Debian's hardening flags
# (dpkg-buildflags, hardening=+all) into build/deb, stripped (the debug
# symbols are not shipped), and the Depends line is derived from the ELF
# files with dpkg-shlibdeps, plus the packages Hanko needs at run time that
# no ELF names: libsofthsm2 (the embedded default PKCS#11 module, loaded with
# dlopen) and passwd (useradd, for the front user on hosts without
# systemd-sysusers). The package installs on any Debian 12 host; see
# appliance-image/README.md.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
out=${1:-"$top/build/image"}
mkdir -p "$out"
out=$(cd "$out" && pwd)

for t in dpkg-deb dpkg-shlibdeps dpkg-buildflags dpkg-gencontrol make cc strip; do
	command -v "$t" >/dev/null 2>&1 || {
		echo "build-deb.sh: $t is missing (apt-get install dpkg-dev build-essential)" >&2
		exit 1
	}
done

ver=$(sed -n 's/^#define HK_VERSION "\(.*\)"$/\1/p' "$top/core/version.h")
[ -n "$ver" ] || { echo "build-deb.sh: no HK_VERSION in core/version.h" >&2; exit 1; }
if git -C "$top" rev-parse --short=8 HEAD >/dev/null 2>&1; then
	ver="$ver+g$(git -C "$top" rev-parse --short=8 HEAD)"
	[ -z "$(git -C "$top" status --porcelain --untracked-files=no)" ] || ver="$ver.dirty"
fi
arch=$(dpkg --print-architecture)

# Hardened build in its own directory, so the ordinary build is untouched.
eval "$(DEB_BUILD_MAINT_OPTIONS=hardening=+all dpkg-buildflags --export=sh)"
make -C "$top" -j"$(nproc 2>/dev/null || echo 2)" BUILD=build/deb \
    EXTRA_CFLAGS="$CFLAGS $CPPFLAGS" EXTRA_LDFLAGS="$LDFLAGS" \
    build/deb/bin/hanko build/deb/bin/hankod >&2

work=$(mktemp -d /tmp/hanko-deb-XXXXXX)
trap 'rm -rf "$work"' EXIT
root="$work/root"
install -d "$root/DEBIAN" "$root/usr/bin" "$root/usr/sbin" \
    "$root/usr/lib/hanko" "$root/lib/systemd/system" "$root/usr/lib/sysusers.d" \
    "$root/usr/share/doc/hanko/docs"
install -m 0755 "$top/build/deb/bin/hanko" "$root/usr/bin/hanko"
install -m 0755 "$top/build/deb/bin/hankod" "$root/usr/sbin/hankod"
strip --strip-unneeded --remove-section=.comment --remove-section=.note \
    "$root/usr/bin/hanko" "$root/usr/sbin/hankod"
install -m 0755 "$here/../provision/hanko-provision" "$root/usr/lib/hanko/hanko-provision"
install -m 0644 "$here/../systemd/hankod.service" "$here/../systemd/hanko-provision.service" \
    "$root/lib/systemd/system/"
install -m 0644 "$here/sysusers-hanko.conf" "$root/usr/lib/sysusers.d/hanko.conf"
install -m 0755 "$here/postinst" "$here/prerm" "$here/postrm" "$root/DEBIAN/"
install -m 0644 "$top/README.md" "$root/usr/share/doc/hanko/README.md"
install -m 0644 "$here/../README.md" "$root/usr/share/doc/hanko/appliance.md"
install -m 0644 "$top"/docs/*.md "$root/usr/share/doc/hanko/docs/"
install -m 0644 "$here/copyright" "$root/usr/share/doc/hanko/copyright"

# dpkg-shlibdeps wants a debian/control in the current directory.
mkdir -p "$work/src/debian"
cat >"$work/src/debian/control" <<CTL
Source: hanko
Maintainer: Hanko developers <hanko@localhost>

Package: hanko
Architecture: any
Depends: \${shlibs:Depends}, libsofthsm2 (>= 2.6), passwd
CTL
(cd "$work/src" && dpkg-shlibdeps -O "$root/usr/bin/hanko" "$root/usr/sbin/hankod") >"$work/shlibs"
shlibs=$(sed -n 's/^shlibs:Depends=//p' "$work/shlibs")
[ -n "$shlibs" ] || { echo "build-deb.sh: dpkg-shlibdeps found no dependencies" >&2; exit 1; }
size=$(du -sk --exclude=DEBIAN "$root" | cut -f1)
cat >"$root/DEBIAN/control" <<CTL
Package: hanko
Version: $ver
Architecture: $arch
Maintainer: Hanko developers <hanko@localhost>
Installed-Size: $size
Depends: $shlibs, libsofthsm2 (>= 2.6), passwd
Recommends: systemd
Section: admin
Priority: optional
Homepage: https://localhost/hanko
Description: remote signing appliance with an append-only, provable ledger
 Hanko holds signers' keys in an HSM (PKCS#11; an embedded SoftHSMv2 token by
 default), lets each signer activate their key only for the signatures they
 approved (CSC API v2), and records every registration, activation and
 signature in a hash-chained, Merkle-tree LMDB ledger with signed checkpoints.
 .
 This package ships hankod (the daemon), hanko (the CLI), a hardened systemd
 unit and a first-boot provisioning unit that runs "hanko init" once.
CTL
deb="$out/hanko_${ver}_${arch}.deb"
dpkg-deb --root-owner-group -Zxz --build "$root" "$deb" >&2
echo "$deb"
