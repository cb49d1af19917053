#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# 20-hsm-cli: the HSM adapter from the outside, against a fresh SoftHSMv2
# token made here (REG-3, REG-4, END-3, NET-4). `hanko hsm selftest` and
# `hanko hsm keys`; signatures made through the adapter (tests/tools/
# hsm_tool) checked with `openssl pkeyutl -verify` and `openssl dgst
# -verify`; a destroyed key gone from `pkcs11-tool --list-objects`; clear
# errors for a missing module, a missing token, a wrong PIN and a PIN file
# others can read. Prints TAP.
set -u
# flip_byte FILE OFFSET: invert every bit of one byte in place (writing a
# fixed value would leave the file unchanged when the byte already held it).
flip_byte() {
	local b
	b=$(od -An -tu1 -j "$2" -N1 "$1" | tr -d ' ')
	printf "\\$(printf '%03o' $((b ^ 255)))" |
		dd of="$1" bs=1 seek="$2" conv=notrunc 2>/dev/null
}
: "${BUILD:?}" "${TOP:?}"
MODULE=${HK_HSM_MODULE:-/usr/lib/softhsm/libsofthsm2.so}
PIN=1234
tmp=$(mktemp -d /tmp/hanko-hsm-it-XXXXXX)
trap 'rm -rf "$tmp"' EXIT

mkdir "$tmp/tokens"
cat >"$tmp/softhsm2.conf" <<CONF
directories.tokendir = $tmp/tokens
objectstore.backend = file
log.level = ERROR
CONF
export SOFTHSM2_CONF="$tmp/softhsm2.conf"
softhsm2-util --init-token --free --label hk-it --so-pin 5678 --pin "$PIN" \
    >/dev/null || { echo "not ok 1 - softhsm2-util --init-token"; exit 1; }
printf '%s\n' "$PIN" >"$tmp/pin"
chmod 600 "$tmp/pin"

# Third-party leaks in SoftHSM 2.6.1 are suppressed (tests/hsm-lsan.supp,
# tests/hsm-valgrind.supp); Hanko's own never are.
export LSAN_OPTIONS="suppressions=$TOP/tests/hsm-lsan.supp${LSAN_OPTIONS:+:$LSAN_OPTIONS}"
export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}fast_unwind_on_malloc=0"
wrap=${HK_WRAP:-}
[ -n "$wrap" ] && wrap="$wrap --suppressions=$TOP/tests/hsm-valgrind.supp"

n=0
ok() { n=$((n + 1)); echo "ok $n - $1"; }
nok() { n=$((n + 1)); echo "not ok $n - $1"; }
# check DESCRIPTION COMMAND...: one TAP line from the command's status.
check() {
	local d=$1
	shift
	if "$@"; then ok "$d"; else nok "$d"; fi
}

opts=(--module "$MODULE" --token hk-it --pin-file "$tmp/pin")
hanko() { $wrap "$BUILD/bin/hanko" "$@"; }
tool() { $wrap "$BUILD/tests/tools/hsm_tool" "$@"; }
p11() {
	pkcs11-tool --module "$MODULE" --token-label hk-it --login \
	    --pin "$PIN" "$@" 2>/dev/null
}

# --- selftest and an empty token -------------------------------------------
hanko hsm selftest "${opts[@]}" >"$tmp/st.out" 2>"$tmp/st.err"
rc=$?
sed "s/^/# /" "$tmp/st.out"
check "hanko hsm selftest exits 0" test "$rc" -eq 0
check "selftest passed with every check ok" \
    bash -c "grep -q '^selftest passed' '$tmp/st.out' &&
	! grep -q FAILED '$tmp/st.out' &&
	[ \$(grep -c '^ok ' '$tmp/st.out') -ge 8 ]"
check "selftest names module and token" \
    bash -c "grep -q '^module .*SoftHSM' '$tmp/st.out' &&
	grep -q '^token  *\"hk-it\"' '$tmp/st.out'"
check "hanko hsm keys on a fresh token: 0 keys" \
    bash -c "$(declare -f hanko); wrap='$wrap'; BUILD='$BUILD';
	hanko hsm keys ${opts[*]} 2>/dev/null | grep -qx '0 keys'"

# --- every algorithm: generate, sign, verify with openssl ------------------
head -c 1000 /dev/urandom >"$tmp/msg"
ids=()
sign_case() { # name alg scheme hash
	local name=$1 alg=$2 scheme=$3 hash=$4 id d=$tmp/$1
	mkdir "$d"
	if ! id=$(tool gen "${opts[@]}" --alg "$alg" --label "it-$name" \
	    --spki "$d/spki.der" 2>"$d/err"); then
		nok "$name: generate"
		return
	fi
	ok "$name: generated key $id"
	ids+=("$id")
	echo "$id $alg" >>"$tmp/ids"
	openssl pkey -pubin -inform DER -in "$d/spki.der" -out "$d/pub.pem"
	local po=()
	if [ "$scheme" = ed25519 ]; then
		cp "$tmp/msg" "$d/in"
	else
		openssl dgst -"$hash" -binary "$tmp/msg" >"$d/in"
		case $scheme in
		pkcs1) po=(-pkeyopt "digest:$hash") ;;
		pss) po=(-pkeyopt rsa_padding_mode:pss -pkeyopt
			rsa_pss_saltlen:digest -pkeyopt "digest:$hash") ;;
		esac
	fi
	tool sign "${opts[@]}" --id "$id" --scheme "$scheme" --hash "$hash" \
	    --in "$d/in" --out "$d/sig" 2>>"$d/err"
	if [ "$scheme" = ed25519 ]; then
		check "$name: openssl pkeyutl -verify accepts the signature" \
		    openssl pkeyutl -verify -pubin -inkey "$d/pub.pem" -rawin \
		    -in "$d/in" -sigfile "$d/sig"
	else
		check "$name: openssl pkeyutl -verify accepts the signature" \
		    openssl pkeyutl -verify -pubin -inkey "$d/pub.pem" \
		    -in "$d/in" -sigfile "$d/sig" "${po[@]}"
		local so=()
		[ "$scheme" = pss ] && so=(-sigopt rsa_padding_mode:pss
			-sigopt rsa_pss_saltlen:-1)
		check "$name: openssl dgst -verify over the message agrees" \
		    openssl dgst -"$hash" -verify "$d/pub.pem" "${so[@]}" \
		    -signature "$d/sig" "$tmp/msg"
	fi
	# One flipped bit in the signature and openssl refuses it.
	cp "$d/sig" "$d/bad"
	flip_byte "$d/bad" 20
	if [ "$scheme" = ed25519 ]; then
		check "$name: a corrupted signature is refused" bash -c "! \
		    openssl pkeyutl -verify -pubin -inkey '$d/pub.pem' -rawin \
		    -in '$d/in' -sigfile '$d/bad' >/dev/null 2>&1"
	else
		check "$name: a corrupted signature is refused" bash -c "! \
		    openssl pkeyutl -verify -pubin -inkey '$d/pub.pem' \
		    -in '$d/in' -sigfile '$d/bad' ${po[*]} >/dev/null 2>&1"
	fi
	# REG-4: the fingerprint `hanko hsm keys` shows is SHA-256(SPKI).
	local fpr
	fpr=$(openssl dgst -sha256 -r "$d/spki.der" | cut -d' ' -f1)
	echo "$id $fpr" >>"$tmp/fprs"
}
sign_case p256 p256 ecdsa sha256
sign_case p384 p384 ecdsa sha384
sign_case rsa2048-pkcs1 rsa2048 pkcs1 sha256
sign_case rsa2048-pss rsa2048 pss sha256
sign_case ed25519 ed25519 ed25519 sha256

hanko hsm keys "${opts[@]}" >"$tmp/keys.out" 2>/dev/null
sed "s/^/# /" "$tmp/keys.out"
check "hanko hsm keys lists every key with its SHA-256 fingerprint" \
    bash -c "while read -r id fpr; do
	    grep -q \"^\$id .* sign  *sha256:\$fpr \" '$tmp/keys.out' || exit 1
	done <'$tmp/fprs'"
check "hanko hsm keys counts ${#ids[@]} keys" \
    grep -qx "${#ids[@]} keys" "$tmp/keys.out"

# --- END-3: destroy, then the module no longer has it ------------------------
victim=${ids[0]}
p11 --list-objects >"$tmp/before.txt"
check "pkcs11-tool lists the key before destruction" \
    grep -qi "ID: *$victim" "$tmp/before.txt"
check "hsm_tool destroy" tool destroy "${opts[@]}" --id "$victim"
p11 --list-objects >"$tmp/after.txt"
check "pkcs11-tool --list-objects: the destroyed key is gone" \
    bash -c "! grep -qi 'ID: *$victim' '$tmp/after.txt'"
check "other keys are still there" grep -qi "ID: *${ids[1]}" "$tmp/after.txt"
check "a destroyed key cannot sign" bash -c "$(declare -f tool);
	wrap='$wrap'; BUILD='$BUILD';
	! tool sign ${opts[*]} --id $victim --scheme ecdsa --in '$tmp/p256/in' \
	    --out '$tmp/x' 2>'$tmp/x.err' && grep -q 'not found' '$tmp/x.err'"
hanko hsm keys "${opts[@]}" >"$tmp/keys2.out" 2>/dev/null
check "hanko hsm keys no longer lists it" \
    bash -c "! grep -q '^$victim' '$tmp/keys2.out'"

# --- clear errors -----------------------------------------------------------
expect_error() { # description, expected stderr text, args...
	local d=$1 text=$2
	shift 2
	hanko hsm keys "$@" >/dev/null 2>"$tmp/e.err"
	local rc=$?
	if [ "$rc" -eq 2 ] && grep -q -- "$text" "$tmp/e.err"; then
		ok "$d"
	else
		nok "$d (exit $rc)"
		sed 's/^/# /' "$tmp/e.err"
	fi
}
expect_error "missing module: clear error" \
    "cannot load the PKCS#11 module /nonexistent/p11.so" \
    --module /nonexistent/p11.so --token hk-it --pin-file "$tmp/pin"
expect_error "missing module: the reason is logged" \
    "No such file or directory" \
    --module /nonexistent/p11.so --token hk-it --pin-file "$tmp/pin"
expect_error "missing token: clear error" 'no token labelled "nope"' \
    --module "$MODULE" --token nope --pin-file "$tmp/pin"
printf '999999\n' >"$tmp/badpin"
chmod 600 "$tmp/badpin"
expect_error "wrong PIN: clear error" "wrong or locked PIN" \
    --module "$MODULE" --token hk-it --pin-file "$tmp/badpin"
expect_error "wrong PIN: the CKR name is logged" "CKR_PIN_INCORRECT" \
    --module "$MODULE" --token hk-it --pin-file "$tmp/badpin"
check "wrong PIN: the PIN itself is not printed" \
    bash -c "! grep -q 999999 '$tmp/e.err'"
chmod 644 "$tmp/badpin"
expect_error "PIN file readable by others: refused" "chmod 600" \
    --module "$MODULE" --token hk-it --pin-file "$tmp/badpin"
expect_error "no PIN on the command line" "unknown argument --pin" \
    --module "$MODULE" --token hk-it --pin "$PIN"

echo "1..$n"
