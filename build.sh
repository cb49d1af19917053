#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# Hanko build driver (style item 31).
#   ./build.sh            build everything into build/
#   ./build.sh test       build, then run every test; last line "N passed, N failed"
#   ./build.sh run        hanko init ./state if needed (HANKO_STATE overrides), start hankod
#   ./build.sh asan       build with ASan+UBSan into build/asan and run every test there
#   ./build.sh valgrind   build, then run every test under valgrind
#   ./build.sh bench [NAME] [ARGS]  build, then run the benchmarks, or only
#                         build/bench/NAME (see docs/benchmarks.md)
#   ./build.sh fuzz [S]   build the libFuzzer harnesses, run each S seconds (60)
#   ./build.sh image      the appliance disk image into build/image (root)
#   ./build.sh image-test build, then tests/integration/90-image.sh: build the
#                         image, nspawn and qemu boots, a signing flow (root;
#                         about 5 minutes on 2 cores without KVM)
#   ./build.sh clean
# Missing Debian packages are installed with apt-get when run as root;
# otherwise they are named and the build stops.
set -eu
cd "$(dirname "$0")"

DEBS="build-essential pkg-config clang libuv1-dev libssl-dev liblmdb-dev
libsodium-dev libmsgpack-dev libjansson-dev libcmocka-dev libp11-kit-dev libinih-dev
softhsm2 opensc oathtool golang-go golang-golang-x-mod-dev python3-pytest
python3-cryptography python3-msgpack python3-lmdb lmdb-utils valgrind
openssl libclang-rt-14-dev libargon2-1"

# Only for the appliance image (./build.sh image, image-test): the image
# builder, the VM and the disk tools. The ordinary build never needs them.
IMAGE_DEBS="mmdebstrap e2fsprogs dosfstools mtools fdisk qemu-utils
qemu-system-x86 ovmf systemd-boot-efi systemd-container dpkg-dev curl zstd
util-linux"

deps() {
	missing=""
	for p in $DEBS ${EXTRA_DEBS:-}; do
		st=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
		case "$st" in
		*"install ok installed"*) ;;
		*) missing="$missing $p" ;;
		esac
	done
	[ -z "$missing" ] && return 0
	if [ "$(id -u)" = 0 ]; then
		echo "build.sh: installing:$missing" >&2
		DEBIAN_FRONTEND=noninteractive apt-get update -qq
		# shellcheck disable=SC2086
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq ${APT_EXTRA:-} $missing >&2
	else
		echo "build.sh: missing Debian packages:$missing" >&2
		echo "build.sh: install them with: sudo apt-get install$missing" >&2
		exit 1
	fi
}

# The auditor console's browser test (tests/integration/45-console.sh):
# Debian's chromium, Node.js with npm (a machine that has them keeps its
# own), and playwright-core at the version of tests/console/package-lock.json
# (no browser download). Without them the test reports itself skipped.
console_deps() {
	if [ "$(id -u)" = 0 ]; then
		want=""
		command -v chromium >/dev/null || want="chromium"
		if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
			want="$want nodejs npm"
		fi
		if [ -n "$want" ]; then
			echo "build.sh: installing:$want" >&2
			DEBIAN_FRONTEND=noninteractive apt-get update -qq
			# shellcheck disable=SC2086
			DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $want >&2
		fi
	fi
	if [ ! -d tests/console/node_modules/playwright-core ] &&
	    command -v npm >/dev/null; then
		(cd tests/console && npm ci --no-audit --no-fund >&2) ||
		    echo "build.sh: npm ci failed: 45-console.sh will skip" >&2
	fi
}

jobs=$(nproc 2>/dev/null || echo 2)
cmd=${1:-build}
[ $# -gt 0 ] && shift

case "$cmd" in
build)
	deps
	make -j"$jobs" "$@"
	;;
test)
	deps
	console_deps
	make -j"$jobs"
	exec tests/run.sh build "$@"
	;;
asan)
	deps
	console_deps
	make -j"$jobs" ASAN=1 UBSAN=1 BUILD=build/asan
	ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
	UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
	    exec tests/run.sh build/asan "$@"
	;;
valgrind)
	deps
	console_deps
	make -j"$jobs"
	HK_VALGRIND=1 exec tests/run.sh build "$@"
	;;
bench)
	deps
	make -j"$jobs"
	exec tests/bench/run.sh build "$@"
	;;
fuzz)
	deps
	make -j"$jobs" fuzz
	exec tests/fuzz/run.sh build "${1:-60}"
	;;
image)
	EXTRA_DEBS=$IMAGE_DEBS APT_EXTRA=--no-install-recommends deps
	exec appliance-image/build.sh all "${1:-build/image}"
	;;
image-test)
	EXTRA_DEBS=$IMAGE_DEBS APT_EXTRA=--no-install-recommends deps
	make -j"$jobs"
	HK_IMAGE_TEST=1 exec tests/run.sh build integration/90-image
	;;
run)
	deps
	make -j"$jobs"
	state=${HANKO_STATE:-"$PWD/state"}
	if [ ! -e "$state/hanko.conf" ]; then
		build/bin/hanko init --state "$state"
	fi
	signing=$(sed -n '/^\[signing\]/,/^\[/s/^listen = //p' "$state/hanko.conf")
	admin=$(sed -n '/^\[admin\]/,/^\[/s/^listen = //p' "$state/hanko.conf")
	echo "hanko: signing API https://$signing/  (try: curl --cacert $state/ca/operator-ca.crt https://$signing/healthz)"
	echo "hanko: admin API   https://$admin/  (client certificate $state/admin/admin.crt, key $state/admin/admin.key)"
	exec build/bin/hankod --state "$state" "$@"
	;;
clean)
	make clean
	rm -rf build
	;;
*)
	echo "usage: $0 [build|test|run|asan|valgrind|bench|fuzz [SECONDS]|image|image-test|clean]" >&2
	exit 2
	;;
esac
