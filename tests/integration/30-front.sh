#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# 30-front: the network front (net/front.c) from the outside (NET-1, NET-2,
# NET-3, ACT-5, OPS-6). tests/tools/front_harness runs net_front_run with a
# FAKE CORE (a test double on the other end of the socketpair; the real
# daemon's end-to-end tests are elsewhere) on loopback ports, with
# throwaway certificates made here by the openssl command. Independent
# clients talk to it: Python's ssl/http.client/asyncio
# (front_client.py), openssl s_client and curl. Covered: routes and JSON
# shapes, the core's answers (503, malformed -> 502, silence -> 504),
# keep-alive, pipelining, every malformed-request and limit status, the
# header/body/idle timeouts (slowloris), TLS 1.0/1.1 and plain HTTP
# refused, the admin listener's client certificates (and the fingerprint
# and subject the core sees), the Authorization header reaching the core
# and never the log, max_connections, SIGTERM with a request in flight,
# the core closing or breaking the channel, a 1,000-connection load and the
# same scaled down under valgrind; the admin/signer API and the CSC v2 API
# (docs/csc-api.md) route by route. Prints TAP.
. "$(dirname "$0")/lib.sh"
BIN=$BUILD/tests/tools/front_harness
VALGRIND="valgrind -q --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite"
ulimit -n 4096 2>/dev/null || true

# --- certificates -------------------------------------------------------
(
	set -e
	cd "$T"
	exec 2>gen.log
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
	    -keyout server.key -out server.pem -days 2 -subj /CN=localhost \
	    -addext subjectAltName=DNS:localhost,IP:127.0.0.1
	printf 'basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=clientAuth\n' >client.ext
	for ca in opca otherca; do
		openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 \
		    -nodes -keyout $ca.key -out $ca.pem -days 2 \
		    -subj "/CN=Hanko Test $ca" \
		    -addext basicConstraints=critical,CA:TRUE \
		    -addext keyUsage=critical,keyCertSign,cRLSign
	done
	for c in admin:opca mallory:otherca; do
		n=${c%%:*} ca=${c#*:}
		openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 \
		    -nodes -keyout $n.key -out $n.csr -subj "/O=Hanko Test/CN=$n-1"
		openssl x509 -req -in $n.csr -CA $ca.pem -CAkey $ca.key \
		    -CAcreateserial -days 2 -out $n.pem -extfile client.ext
	done
) || { not_ok "certificates made with openssl"; done_testing; exit 1; }

# free_ports N: N distinct loopback ports free right now.
free_ports() {
	$PY -c '
import socket, sys
ss = [socket.socket() for _ in range(int(sys.argv[1]))]
for s in ss:
    s.bind(("127.0.0.1", 0))
print(" ".join(str(s.getsockname()[1]) for s in ss))
for s in ss:
    s.close()' "$1"
}

# start NAME [HARNESS ARGS...]: run the harness in the background on two
# fresh ports (SPORT, APORT), logs in $T/NAME.log; sets PID. Waits for
# "ready" (30 s: valgrind starts slowly).
start() {
	local name=$1
	shift
	read -r SPORT APORT <<<"$(free_ports 2)"
	$WRAP "$BIN" --signing "$SPORT" --admin "$APORT" \
	    --cert "$T/server.pem" --key "$T/server.key" \
	    --client-ca "$T/opca.pem" "$@" >"$T/$name.out" 2>"$T/$name.log" &
	PID=$!
	for _ in $(seq 300); do
		grep -q '^ready' "$T/$name.out" 2>/dev/null && return 0
		kill -0 $PID 2>/dev/null || break
		sleep 0.1
	done
	not_ok "$name: front_harness did not start"
	sed 's/^/# /' "$T/$name.log" | tail -n 20
	return 1
}

# client CMD ARGS...: run one front_client.py command; its PASS/FAIL lines
# become TAP lines; a crash is a failure too.
client() {
	local line seen_fail=0
	while IFS= read -r line; do
		case $line in
		"PASS "*) ok "${line#PASS }" ;;
		"FAIL "*) not_ok "${line#FAIL }"; seen_fail=1 ;;
		"EXIT 0") ;;
		"EXIT "*) [ $seen_fail = 1 ] || not_ok "front_client $1: ${line}" ;;
		*) echo "# $line" ;;
		esac
	done < <($PY "$TOP/tests/integration/front_client.py" "$T" "$@" 2>&1
		echo "EXIT $?")
}

# wait_expect NAME CODE: the harness $PID must exit with CODE.
wait_expect() {
	local name=$1 want=$2 got
	wait "$PID"
	got=$?
	if [ "$got" = "$want" ]; then
		ok "$name: front exits $want"
	else
		not_ok "$name: front exits $got, want $want"
		grep -v ' info ' "$T/$name.log" | head -n 20 | sed 's/^/# /'
	fi
}

WRAP=${HK_WRAP:-}

# --- A: functional checks, short timeouts -------------------------------
if start A --header 2 --body 2 --idle 3 --core-timeout-ms 1500 \
    --record "$T/rec.txt" --steer "$T/steer"; then
	A_SPORT=$SPORT A_APORT=$APORT A_PID=$PID
	client basic "$SPORT" "$APORT"
	client limits "$SPORT"
	client tls "$SPORT" "$APORT"
	client timeouts "$SPORT" 2 2 3 1500
	client api "$SPORT" "$APORT"
	client csc "$SPORT" "$APORT"
	client cli "${HK_WRAP:-} $BUILD/bin/hanko" "$SPORT" "$APORT"

	# curl, a third independent client.
	out=$(curl -s --cacert "$T/server.pem" "https://127.0.0.1:$SPORT/healthz")
	check "curl GET /healthz" [ "$out" = '{"status":"ok"}' ]
	out=$(curl -s --cacert "$T/server.pem" --cert "$T/admin.pem" \
	    --key "$T/admin.key" "https://127.0.0.1:$APORT/readyz")
	check "curl with the admin certificate GET /readyz on the admin listener" \
	    [ "$out" = '{"ready":true,"ledger":true,"hsm":true}' ]
	check "curl without a client certificate: the admin listener refuses" \
	    bash -c "! curl -s --cacert '$T/server.pem' 'https://127.0.0.1:$APORT/healthz' >/dev/null 2>&1"
	check "curl plain http:// gets no HTTP answer" \
	    bash -c "! curl -s -m 5 'http://127.0.0.1:$SPORT/healthz' >/dev/null 2>&1"

	# A second front cannot take the same ports.
	$BIN --signing "$A_SPORT" --admin "$(free_ports 1)" \
	    --cert "$T/server.pem" --key "$T/server.key" \
	    --client-ca "$T/opca.pem" >/dev/null 2>"$T/busy.log"
	rc=$?
	check "a taken port: net_front_new fails (exit 2) with \"cannot bind 127.0.0.1:$A_SPORT: Address already in use\"" \
	    bash -c "[ $rc = 2 ] && grep -q 'cannot bind 127.0.0.1:$A_SPORT: Address already in use' '$T/busy.log'"

	kill -TERM "$A_PID"
	PID=$A_PID wait_expect A 0
	# What the front logged: one line per request, never a secret.
	token=$(cat "$T/token.txt" 2>/dev/null)
	check "the Authorization token reached the fake core" \
	    grep -qF "${token:-no-token}" "$T/rec.txt"
	check "the Authorization token never appears in the front's log" \
	    bash -c "[ -n '$token' ] && ! grep -qF '$token' '$T/A.log' && ! grep -qi 'authorization:' '$T/A.log'"
	# The line, whichever function of the front writes it.
	nreq=$(grep -Ec ' [a-z_]+: request [0-9a-f]{8}-[0-9]+ ' "$T/A.log")
	nbad=$(grep -E ' [a-z_]+: request [0-9a-f]{8}-[0-9]+ ' "$T/A.log" | grep -Evc \
	    ' request [0-9a-f]{8}-[0-9]+ listener=(signing|admin) peer=127\.0\.0\.1:[0-9]+ cert=([0-9a-f]{64}|-) method=([A-Z]+|-) path=[^ ]+ status=[1-5][0-9][0-9] ms=[0-9]+\.[0-9]{3} tls=TLSv1\.[23]$')
	check "one structured log line per request ($nreq lines: id, listener, peer, method, path, status, ms, TLS version)" \
	    [ "$nreq" -ge 40 -a "$nbad" = 0 ]
	# OPS-6: who made an admin request is in its line.
	check "admin requests with a client certificate log its SHA-256 fingerprint (cert=)" \
	    grep -Eq ' listener=admin peer=[^ ]+ cert=[0-9a-f]{64} ' "$T/A.log"
	check "signing requests without a client certificate log cert=-" \
	    grep -Eq ' listener=signing peer=[^ ]+ cert=- ' "$T/A.log"
	check "the front logged no error" bash -c "! grep -q ' error ' '$T/A.log'"
	# PINs, passwords, OTPs, enrollment codes, the otpauth secret and the
	# Basic credentials crossed the front, and none is in its log.
	leaked=$(grep -cFf "$T/api-secrets.txt" "$T/A.log" 2>/dev/null)
	check "no secret of the admin and signer API appears in the front's log" \
	    [ -s "$T/api-secrets.txt" -a "${leaked:-1}" = 0 ]
	# The CSC routes: bearer tokens, Basic login passwords, PINs, OTPs and
	# SADs crossed the front both ways, and none is in its log.
	leaked=$(grep -cFf "$T/csc-secrets.txt" "$T/A.log" 2>/dev/null)
	check "no token, password, PIN, OTP or SAD of the CSC API appears in the front's log" \
	    [ -s "$T/csc-secrets.txt" -a "${leaked:-1}" = 0 ]
	check "CSC requests are logged like the others (path, status)" \
	    grep -Eq ' listener=signing peer=[^ ]+ cert=- method=POST path=/csc/v2/signatures/signHash status=200 ' "$T/A.log"
	check "answers outside a route's schema are logged as 502 causes" \
	    grep -q "refused: the answer has a key outside the route's schema" "$T/A.log"
fi

# --- G: hanko admin --state DIR: hanko.conf's [admin] listen and the
# state's certificates; --cert/--key act as another privileged user ------
# hanko init loads SoftHSM, whose known leaks are suppressed by
# third-party frame under ASan (as in 10-daemon.sh).
read -r GS GA <<<"$(free_ports 2)"
if LSAN_OPTIONS="suppressions=$TOP/tests/hsm-lsan.supp${LSAN_OPTIONS:+:$LSAN_OPTIONS}" \
    ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}fast_unwind_on_malloc=0" \
    quiet ${HK_WRAP:+$HK_WRAP --suppressions=$TOP/tests/hsm-valgrind.supp} \
    "$BUILD/bin/hanko" init --state "$T/st" --origin hanko.test/cli \
    --signing-listen "127.0.0.1:$GS" --admin-listen "127.0.0.1:$GA"; then
	$WRAP "$BIN" --signing "$GS" --admin "$GA" \
	    --cert "$T/st/tls/server.crt" --key "$T/st/tls/server.key" \
	    --client-ca "$T/st/ca/operator-ca.crt" --record "$T/g-rec.txt" \
	    >"$T/G.out" 2>"$T/G.log" &
	PID=$!
	for _ in $(seq 300); do
		grep -q '^ready' "$T/G.out" 2>/dev/null && break
		sleep 0.1
	done
	fp_of() { openssl x509 -in "$1" -outform DER | sha256sum | cut -d' ' -f1; }
	out=$($HANKO admin --state "$T/st" status 2>"$T/g-err.txt")
	rc=$?
	check "hanko admin --state DIR status: exit 0 and the JSON answer" \
	    bash -c "[ $rc = 0 ] && echo '$out' | $PY -c 'import json,sys; assert json.load(sys.stdin)[\"origin\"] == \"hanko.test/fake\"'"
	check "hanko admin --state DIR presents DIR/admin/admin.crt to the admin listener" \
	    bash -c "tail -n 1 '$T/g-rec.txt' | grep -q ' type=10 listener=admin .* fp=$(fp_of "$T/st/admin/admin.crt") '"
	(
		set -e
		cd "$T"
		exec 2>>gen.log
		openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 \
		    -nodes -keyout so.key -out so.csr -subj "/CN=officer"
		openssl x509 -req -in so.csr -CA st/ca/operator-ca.crt \
		    -CAkey st/ca/operator-ca.key -CAcreateserial -days 2 \
		    -out so.pem -extfile client.ext
	) && $HANKO admin --state "$T/st" --cert "$T/so.pem" --key "$T/so.key" \
	    users list >/dev/null 2>>"$T/g-err.txt"
	check "hanko admin --state DIR --cert/--key acts as another privileged user" \
	    bash -c "tail -n 1 '$T/g-rec.txt' | grep -q ' type=11 listener=admin .* fp=$(fp_of "$T/so.pem") '"
	expect_exit 2 "hanko admin --state on a directory without hanko.conf: exit 2" \
	    quiet $HANKO admin --state "$T" status
	kill -TERM "$PID"
	wait_expect G 0
else
	not_ok "G: hanko init for the --state test"
fi

# --- B: max_connections -------------------------------------------------
if start B --max-connections 3; then
	client maxconn "$SPORT" 3
	kill -TERM "$PID"
	wait_expect B 0
fi

# --- C: the core closing or breaking the channel: the front exits 3 -------
for w in x-close:"core closed the channel" \
    x-garbage:"core sent a malformed message" \
    x-badid:"which was never issued"; do
	word=${w%%:*} msg=${w#*:}
	if start "C-$word"; then
		client corefail "$SPORT" "$word"
		wait_expect "C-$word" 3
		check "C-$word: the front logs \"$msg\"" grep -q "$msg" "$T/C-$word.log"
	fi
done

# --- F: a client that never reads (write high-water mark) ---------------
# Under ASan freed memory waits in a quarantine (256 MB by default), which
# would hide what the RSS check measures: turn it off for this front.
if ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}quarantine_size_mb=0" \
    start F --record "$T/rec.txt"; then
	: >"$T/rec.txt"
	client hwm "$SPORT" "$PID"
	kill -TERM "$PID"
	wait_expect F 0
fi

# --- D: load, then SIGTERM with a request in flight ------------------------
if [ -n "$WRAP" ]; then conns=50 per=3; else conns=1000 per=5; fi
if start D --max-connections $((conns + 100)); then
	client load "$SPORT" "$conns" "$per"
	client sigterm "$SPORT" "$PID" 2000
	wait_expect D 0
	check "D: the front logged no error" bash -c "! grep -q ' error ' '$T/D.log'"
fi

# --- E: the load scaled down under valgrind -------------------------------
if [ -n "$WRAP" ]; then
	ok "E: valgrind load # SKIP the whole run is under valgrind already"
elif nm "$BIN" 2>/dev/null | grep -q __asan_init; then
	ok "E: valgrind load # SKIP AddressSanitizer build (ASan checks it)"
else
	WRAP=$VALGRIND
	if start E --max-connections 100; then
		client load "$SPORT" 50 3
		client sigterm "$SPORT" "$PID" 500
		wait_expect E 0
		check "E: valgrind reported no error and no definite leak" \
		    bash -c "! grep -q '^==[0-9]*==' '$T/E.log'"
	fi
	WRAP=${HK_WRAP:-}
fi

done_testing
