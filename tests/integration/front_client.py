# SPDX-License-Identifier: Apache-2.0
"""Independent clients for tests/integration/30-front.sh (NET-1, NET-2,
NET-3, ACT-5, OPS-6): Python's ssl, socket, http.client and asyncio talk
to the network front run by tests/tools/front_harness (with its fake
core). Nothing here uses Hanko's code. Each check prints one line,
"PASS <what>" or "FAIL <what>: <detail>"; the shell script turns them into
TAP. Run with /usr/bin/python3.

usage: front_client.py DIR CMD [ARGS...]
  DIR holds server.pem (the server certificate, also the trust anchor),
  admin.pem/.key (issued by the operator CA), mallory.pem/.key (another
  CA) and the harness's record file rec.txt (what the fake core saw).
"""
import asyncio
import hashlib
import http.client
import json
import os
import signal
import socket
import ssl
import subprocess
import sys
import time

D = sys.argv[1]
HOST = "127.0.0.1"
failed = 0


def result(ok, what, detail=""):
    global failed
    if ok:
        print("PASS " + what, flush=True)
    else:
        failed += 1
        print("FAIL %s: %s" % (what, detail), flush=True)


def ctx(cert=None, tls_max=None):
    c = ssl.create_default_context(cafile=os.path.join(D, "server.pem"))
    c.check_hostname = False  # the certificate is for localhost; IP here
    if cert:
        c.load_cert_chain(os.path.join(D, cert + ".pem"),
                          os.path.join(D, cert + ".key"))
    if tls_max:
        c.maximum_version = tls_max
    return c


def tls_sock(port, cert=None, timeout=10):
    raw = socket.create_connection((HOST, port), timeout=timeout)
    s = ctx(cert).wrap_socket(raw, server_hostname="localhost")
    return s


def read_response(s, buf=b""):
    """Read one HTTP/1.1 response (Content-Length framed) from s.
    Returns (status, headers dict lower-case, body bytes, rest) or None on
    EOF before a complete head."""
    while b"\r\n\r\n" not in buf:
        try:
            d = s.recv(65536)
        except (ssl.SSLError, ConnectionError, socket.timeout):
            return None
        if not d:
            return None
        buf += d
    head, _, rest = buf.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split(" ")[1])
    hdrs = {}
    for l in lines[1:]:
        k, _, v = l.partition(":")
        hdrs[k.strip().lower()] = v.strip()
    n = int(hdrs.get("content-length", "0"))
    if status < 200:
        return status, hdrs, b"", rest
    while len(rest) < n:
        d = s.recv(65536)
        if not d:
            return None
        rest += d
    return status, hdrs, rest[:n], rest[n:]


def is_closed(s, wait=5):
    """True when the peer closed s (EOF or reset) within ${wait} s."""
    s.settimeout(wait)
    try:
        while True:
            d = s.recv(65536)
            if not d:
                return True
    except (ssl.SSLError, ConnectionError):
        return True
    except socket.timeout:
        return False


def get(port, path, auth=None, cert=None, method="GET"):
    c = http.client.HTTPSConnection(HOST, port, context=ctx(cert),
                                    timeout=10)
    h = {"Authorization": auth} if auth else {}
    c.request(method, path, headers=h)
    r = c.getresponse()
    body = r.read()
    c.close()
    return r.status, r, body


def json_error(body, code):
    try:
        j = json.loads(body)
    except ValueError:
        return False
    return (set(j) == {"error", "error_description"} and j["error"] == code
            and isinstance(j["error_description"], str)
            and j["error_description"] != "")


def records():
    with open(os.path.join(D, "rec.txt")) as f:
        return f.read().splitlines()


# ---------------------------------------------------------------------------
def cmd_basic(sport, aport):
    """Routes, JSON shapes, the core's answers, keep-alive, pipelining."""
    st, r, b = get(sport, "/healthz")
    result(st == 200 and json.loads(b) == {"status": "ok"} and
           r.getheader("Content-Type") == "application/json",
           "GET /healthz: 200 {\"status\":\"ok\"} application/json",
           "%s %r" % (st, b))
    st, r, b = get(sport, "/readyz")
    result(st == 200 and
           json.loads(b) == {"ready": True, "ledger": True, "hsm": True},
           "GET /readyz: 200 ready, ledger, hsm", "%s %r" % (st, b))
    st, r, b = get(sport, "/readyz", auth="Bearer x-notready")
    j = json.loads(b) if b else {}
    result(st == 503 and j == {"error": "not_ready",
                               "error_description": "HSM self-test failed",
                               "ledger": True, "hsm": False},
           "core answering 503 for READY gives 503 not_ready with its "
           "reason and flags", "%s %r" % (st, b))
    st, r, b = get(sport, "/readyz", auth="Bearer x-badready")
    result(st == 502 and json_error(b, "bad_gateway"),
           "READY answer with an unknown key gives 502", "%s %r" % (st, b))
    st, r, b = get(sport, "/healthz", auth="Bearer x-status-500")
    result(st == 502 and json_error(b, "bad_gateway"),
           "HEALTH answer with status 500 gives 502", "%s %r" % (st, b))
    st, r, b = get(sport, "/nosuch")
    result(st == 404 and json_error(b, "not_found"),
           "unknown path: 404 JSON", "%s %r" % (st, b))
    st, r, b = get(sport, "/healthz", method="POST")
    result(st == 405 and r.getheader("Allow") == "GET" and
           json_error(b, "method_not_allowed"),
           "POST /healthz: 405 with Allow: GET", "%s %r" % (st, b))
    st, r, b = get(sport, "/readyz", method="DELETE")
    result(st == 405 and r.getheader("Allow") == "GET",
           "DELETE /readyz: 405 with Allow: GET", "%s" % st)

    # HEAD gets the 405 head alone: Content-Length but no body bytes.
    s = tls_sock(sport)
    s.sendall(b"HEAD /healthz HTTP/1.1\r\nHost: a\r\n\r\n")
    data = b""
    s.settimeout(5)
    try:
        while True:
            d = s.recv(65536)
            if not d:
                break
            data += d
    except (ssl.SSLError, ConnectionError, socket.timeout):
        pass
    s.close()
    head, _, rest = data.partition(b"\r\n\r\n")
    result(head.startswith(b"HTTP/1.1 405 ") and b"\r\nAllow: GET" in head
           and b"\r\nContent-Length: " in head and rest == b"",
           "HEAD /healthz: 405 head without a body", repr(data[:200]))

    # Keep-alive: several requests on one TLS connection.
    c = http.client.HTTPSConnection(HOST, sport, context=ctx(), timeout=10)
    ok, ports = True, set()
    for i in range(5):
        c.request("GET", "/healthz" if i % 2 == 0 else "/readyz")
        r = c.getresponse()
        r.read()
        ok = ok and r.status == 200 and \
            r.getheader("Connection") == "keep-alive"
        ports.add(c.sock.getsockname()[1])
    c.close()
    result(ok and len(ports) == 1,
           "keep-alive: 5 requests on one connection", "ports %r" % ports)

    # Pipelining: three requests in one write, answered in order.
    s = tls_sock(sport)
    s.sendall(b"GET /healthz HTTP/1.1\r\nHost: a\r\n\r\n"
              b"GET /readyz HTTP/1.1\r\nHost: a\r\n\r\n"
              b"GET /nosuch HTTP/1.1\r\nHost: a\r\n\r\n")
    got, rest = [], b""
    for _ in range(3):
        x = read_response(s, rest)
        if x is None:
            break
        got.append((x[0], json.loads(x[2])))
        rest = x[3]
    s.close()
    result([g[0] for g in got] == [200, 200, 404] and
           got[0][1] == {"status": "ok"} and got[1][1]["ready"] is True,
           "pipelining: three requests in one write answered in order",
           repr(got))

    # Expect: 100-continue gets the interim response before the body.
    s = tls_sock(sport)
    s.sendall(b"POST /healthz HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n"
              b"Expect: 100-continue\r\n\r\n")
    x = read_response(s)
    y = None
    if x is not None and x[0] == 100:
        s.sendall(b"hello")
        y = read_response(s, x[3])
    s.close()
    result(x is not None and x[0] == 100 and y is not None and y[0] == 405,
           "Expect: 100-continue: 100, then the final answer",
           "%r %r" % (x and x[0], y and y[0]))

    # Authorization reaches the core, whole; the log check is the shell's.
    token = "Bearer s3cr3t-" + os.urandom(8).hex()
    st, r, b = get(sport, "/healthz", auth=token)
    rid = r.getheader("X-Request-Id")
    rec = [l for l in records() if (" rid=%s" % rid) in l]
    result(st == 200 and len(rec) == 1 and ("auth=" + token + " ") in rec[0]
           and " listener=signing " in rec[0] and " fp=- " in rec[0],
           "Authorization header forwarded to the core with the request id",
           repr(rec))
    with open(os.path.join(D, "token.txt"), "w") as f:
        f.write(token.split(" ")[1] + "\n")

    st, r, b = get(sport, "/healthz")
    rid = r.getheader("X-Request-Id")
    rec = [l for l in records() if (" rid=%s" % rid) in l]
    ok = len(rec) == 1 and " auth=- " in rec[0]
    peer = rec[0].split(" peer=")[1].split(" ")[0] if ok else ""
    result(ok and peer.startswith("127.0.0.1:") and
           int(peer.split(":")[1]) > 0,
           "the core sees the peer address:port and no Authorization "
           "when none was sent", repr(rec))
    return 0


def expect_refusal(port, raw, status, code, what):
    s = tls_sock(port)
    s.sendall(raw)
    x = read_response(s)
    closed = x is not None and is_closed(s)
    s.close()
    ok = x is not None and x[0] == status and json_error(x[2], code) and \
        x[1].get("connection") == "close" and closed
    result(ok, "%s: %d %s, then closed" % (what, status, code),
           repr(x and (x[0], x[2], x[1].get("connection"), closed)))


def cmd_limits(sport):
    """Each malformed request and each size limit; the front keeps serving
    others, including a connection opened before them all."""
    keep = http.client.HTTPSConnection(HOST, sport, context=ctx(),
                                       timeout=10)
    keep.request("GET", "/healthz")
    keep.getresponse().read()
    cases = [
        (b"GARBAGE\r\n\r\n", 400, "invalid_request", "garbage request line"),
        (b"GET /healthz HTTP/1.1\nHost: a\n\n", 400, "invalid_request",
         "bare LF line endings"),
        (b"GET /healthz HTTP/1.1\r\nHost: a\r\nX-A: b\r\n c\r\n\r\n", 400,
         "invalid_request", "obs-fold"),
        (b"POST /healthz HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\n"
         b"Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n", 400,
         "invalid_request", "Content-Length with Transfer-Encoding"),
        (b"POST /healthz HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked"
         b"\r\n\r\nzz\r\nabc\r\n0\r\n\r\n", 400, "invalid_request",
         "bad chunk size"),
        (b"POST /healthz HTTP/1.1\r\nHost: a\r\nContent-Length: 1\r\n"
         b"Content-Length: 2\r\n\r\nab", 400, "invalid_request",
         "duplicate Content-Length"),
        (b"GET /healthz HTTP/1.1\r\nHost: a\r\nAuthorization: Bearer a\r\n"
         b"Authorization: Bearer b\r\n\r\n", 400, "invalid_request",
         "two Authorization fields"),
        (b"BREW /healthz HTTP/1.1\r\nHost: a\r\n\r\n", 501,
         "not_implemented", "unknown method"),
        (b"GET /healthz HTTP/2.0\r\nHost: a\r\n\r\n", 505,
         "http_version_not_supported", "HTTP/2.0 request line"),
        (b"GET /healthz HTTP/1.1\r\nHost: a\r\nX-Big: " + b"a" * 20000 +
         b"\r\n\r\n", 431, "request_header_fields_too_large",
         "a 20 KB header field"),
        (b"GET /healthz HTTP/1.1\r\nHost: a\r\n" +
         b"".join(b"X-%d: v\r\n" % i for i in range(100)) + b"\r\n", 431,
         "request_header_fields_too_large", "100 header fields"),
        (b"POST /healthz HTTP/1.1\r\nHost: a\r\nContent-Length: 2000000\r\n"
         b"\r\n", 413, "payload_too_large", "Content-Length over 1 MiB"),
        (b"POST /healthz HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked"
         b"\r\n\r\n" + (b"10000\r\n" + b"a" * 65536 + b"\r\n") * 17 +
         b"0\r\n\r\n", 413, "payload_too_large", "chunked body over 1 MiB"),
    ]
    for raw, status, code, what in cases:
        expect_refusal(sport, raw, status, code, what)
    keep.request("GET", "/readyz")
    r = keep.getresponse()
    r.read()
    keep.close()
    st, _, _ = get(sport, "/healthz")
    result(r.status == 200 and st == 200,
           "after every refusal the front still serves an older "
           "keep-alive connection and new ones", "%s %s" % (r.status, st))
    return 0


def cmd_timeouts(sport, header_s, body_s, idle_s, core_ms):
    header_s, body_s, idle_s = float(header_s), float(body_s), float(idle_s)
    core_s = float(core_ms) / 1000
    # Slowloris: a head trickled one byte every 0.4 s.
    s = tls_sock(sport, timeout=header_s + 10)
    t0 = time.monotonic()
    s.sendall(b"GET /healthz HTTP/1.1\r\nHost: a\r\n")
    head = b"X-Slow: " + b"a" * 100 + b"\r\n"
    s.setblocking(True)
    x = None
    for ch in head:
        try:
            s.sendall(bytes([ch]))
        except (ssl.SSLError, ConnectionError):
            break
        s.settimeout(0.4)
        try:
            d = s.recv(65536)
        except socket.timeout:
            continue
        except (ssl.SSLError, ConnectionError):
            break
        s.settimeout(10)
        x = read_response(s, d)
        break
    dt = time.monotonic() - t0
    s.close()
    result(x is not None and x[0] == 408 and json_error(x[2],
                                                        "request_timeout")
           and header_s - 0.5 <= dt <= header_s + 3,
           "slowloris head (1 byte / 0.4 s): 408 after the header timeout "
           "(%.1f s)" % header_s,
           "%r after %.2f s" % (x and (x[0], x[2]), dt))

    # A body that stops arriving.
    s = tls_sock(sport)
    t0 = time.monotonic()
    s.sendall(b"POST /healthz HTTP/1.1\r\nHost: a\r\nContent-Length: 10\r\n"
              b"\r\nabcde")
    s.settimeout(body_s + 10)
    x = read_response(s)
    dt = time.monotonic() - t0
    s.close()
    result(x is not None and x[0] == 408 and
           json_error(x[2], "request_timeout") and
           body_s - 0.5 <= dt <= body_s + 3,
           "incomplete body: 408 after the body timeout (%.1f s)" % body_s,
           "%r after %.2f s" % (x and x[0], dt))

    # Idle keep-alive: closed silently (no HTTP bytes) after idle_timeout.
    s = tls_sock(sport)
    s.sendall(b"GET /healthz HTTP/1.1\r\nHost: a\r\n\r\n")
    x = read_response(s)
    t0 = time.monotonic()
    s.settimeout(idle_s + 10)
    extra = b""
    try:
        while True:
            d = s.recv(65536)
            if not d:
                break
            extra += d
    except (ssl.SSLError, ConnectionError):
        pass
    dt = time.monotonic() - t0
    s.close()
    result(x is not None and x[0] == 200 and extra == b"" and
           idle_s - 0.5 <= dt <= idle_s + 3,
           "idle keep-alive connection closed silently after %.1f s"
           % idle_s, "%r extra=%r after %.2f s" % (x and x[0], extra, dt))

    # The core not answering: 504 after the core timeout.
    t0 = time.monotonic()
    st, r, b = get(sport, "/healthz", auth="Bearer x-silent")
    dt = time.monotonic() - t0
    result(st == 504 and json_error(b, "gateway_timeout") and
           core_s - 0.5 <= dt <= core_s + 3,
           "core silent: 504 after the core timeout", "%s after %.2f s"
           % (st, dt))
    # The front still answers, and drops the core's late answer quietly.
    st, _, _ = get(sport, "/healthz", auth="Bearer x-delay-%d" %
                   int(core_s * 1000 + 700))
    time.sleep(1.0)
    st2, _, _ = get(sport, "/healthz")
    result(st == 504 and st2 == 200,
           "a late answer from the core is dropped; the front goes on",
           "%s %s" % (st, st2))
    return 0


def openssl_s_client(port, args):
    p = subprocess.run(["openssl", "s_client", "-connect",
                        "%s:%d" % (HOST, port), "-CAfile",
                        os.path.join(D, "server.pem")] + args,
                       input=b"", capture_output=True, timeout=20)
    return p.returncode, (p.stdout + p.stderr).decode("latin-1")


def cmd_tls(sport, aport):
    # TLS 1.1 (and 1.0) offered by a client willing to use it.
    rc, out = openssl_s_client(sport, ["-tls1_1", "-cipher",
                                       "DEFAULT:@SECLEVEL=0"])
    rc2, out2 = openssl_s_client(sport, ["-tls1_2"])
    result(rc != 0 and "protocol version" in out and
           "no protocols available" not in out and
           rc2 == 0 and "TLSv1.2" in out2,
           "TLS 1.1 refused by the server (protocol_version alert); "
           "TLS 1.2 from the same client accepted", out[-300:])
    rc, out = openssl_s_client(sport, ["-tls1", "-cipher",
                                       "DEFAULT:@SECLEVEL=0"])
    result(rc != 0 and "protocol version" in out, "TLS 1.0 refused",
           out[-300:])
    # Plain HTTP on the TLS port: no HTTP answer, connection closed.
    s = socket.create_connection((HOST, sport), timeout=10)
    s.sendall(b"GET /healthz HTTP/1.1\r\nHost: a\r\n\r\n")
    data = b""
    try:
        while True:
            d = s.recv(65536)
            if not d:
                break
            data += d
    except ConnectionError:
        pass
    s.close()
    result(not data.startswith(b"HTTP") and b"ok" not in data,
           "plain HTTP refused (no HTTP response, connection closed)",
           repr(data[:40]))

    # Admin listener: a client certificate from the operator CA only.
    def admin(cert):
        try:
            st, r, b = get(aport, "/healthz", cert=cert)
            return st, r.getheader("X-Request-Id")
        except (ssl.SSLError, ConnectionError, http.client.HTTPException) \
                as e:
            return "refused: %s" % e.__class__.__name__, None

    st, _ = admin(None)
    result(st != 200 and str(st).startswith("refused"),
           "admin listener refuses a client without a certificate", st)
    st, _ = admin("mallory")
    result(st != 200 and str(st).startswith("refused"),
           "admin listener refuses a certificate from another CA", st)
    st, rid = admin("admin")
    result(st == 200, "admin listener accepts the operator CA's client "
           "certificate", st)
    der = subprocess.run(["openssl", "x509", "-in",
                          os.path.join(D, "admin.pem"), "-outform", "DER"],
                         capture_output=True, check=True).stdout
    fp = hashlib.sha256(der).hexdigest()
    rec = [l for l in records() if (" rid=%s" % rid) in l]
    result(len(rec) == 1 and " listener=admin " in rec[0] and
           (" fp=%s " % fp) in rec[0] and
           " subject=CN=admin-1,O=Hanko Test " in rec[0],
           "the core sees the admin listener, the client certificate's "
           "SHA-256 fingerprint and subject", repr(rec))
    # openssl s_client as a second, independent client.
    p = subprocess.run(
        ["openssl", "s_client", "-connect", "%s:%d" % (HOST, aport),
         "-CAfile", os.path.join(D, "server.pem"), "-cert",
         os.path.join(D, "admin.pem"), "-key", os.path.join(D, "admin.key"),
         "-quiet"],
        input=b"GET /readyz HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n",
        capture_output=True, timeout=20)
    out = p.stdout.decode("latin-1")
    result(out.startswith("HTTP/1.1 200 ") and '"ready":true' in out,
           "openssl s_client with the admin certificate gets /readyz",
           out[:80])
    return 0


def cmd_maxconn(sport, limit):
    limit = int(limit)
    held = []
    for _ in range(limit):
        s = tls_sock(sport)
        s.sendall(b"GET /healthz HTTP/1.1\r\nHost: a\r\n\r\n")
        x = read_response(s)
        held.append(s)
    # One over the limit: handshake, then 503 with Connection: close.
    s = tls_sock(sport)
    s.sendall(b"GET /healthz HTTP/1.1\r\nHost: a\r\n\r\n")
    x = read_response(s)
    closed = x is not None and is_closed(s)
    s.close()
    result(x is not None and x[0] == 503 and
           json_error(x[2], "temporarily_unavailable") and
           x[1].get("connection") == "close" and closed,
           "connection over max_connections: 503 JSON, Connection: close, "
           "closed", repr(x and (x[0], x[2])))
    # Refused connections are bounded too: many that never handshake;
    # those beyond the bound are closed at once.
    raws = []
    for _ in range(300):
        raws.append(socket.create_connection((HOST, sport), timeout=10))
    time.sleep(0.5)
    closed_now = 0
    for r in raws:
        r.setblocking(False)
        try:
            if r.recv(1) == b"":
                closed_now += 1
        except BlockingIOError:
            pass
        except ConnectionError:
            closed_now += 1
    for r in raws:
        r.close()
    result(closed_now >= 300 - 256 - 2 and closed_now <= 300 - 256 + 2,
           "refused connections over their own bound (256) are closed at "
           "once", "%d of 300 closed at once" % closed_now)
    # Freeing a slot lets the next connection in.
    held.pop().close()
    time.sleep(0.3)
    ok = False
    for _ in range(20):
        try:
            st, _, _ = get(sport, "/healthz")
            if st == 200:
                ok = True
                break
        except (ssl.SSLError, ConnectionError, http.client.HTTPException):
            pass
        time.sleep(0.2)
    for s in held:
        s.close()
    result(ok, "a freed slot is usable again", "")
    return 0


def rss_kb(pid):
    with open("/proc/%d/status" % pid) as f:
        for l in f:
            if l.startswith("VmRSS:"):
                return int(l.split()[1])
    return 0


def cmd_hwm(sport, pid):
    """A client pipelining 200,000 requests and reading none of the
    answers: the front stops reading it once its queued output passes the
    high-water mark (the requests the core sees stop growing), its memory
    stays bounded, and it keeps serving another connection."""
    import threading
    n = 200000
    rss0 = rss_kb(pid)
    s = tls_sock(sport)
    blob = b"GET /healthz HTTP/1.1\r\nHost: a\r\n\r\n" * n

    def pump():
        try:
            s.sendall(blob)
        except (OSError, ssl.SSLError, ValueError):
            pass

    th = threading.Thread(target=pump, daemon=True)
    th.start()
    # Wait until the number of requests the core sees stops growing
    # (slower under valgrind), at most 60 s.
    c1, t0 = -1, time.monotonic()
    while time.monotonic() - t0 < 60:
        time.sleep(1)
        c = len(records())
        if c == c1:
            break
        c1 = c
    st, _, _ = get(sport, "/healthz")
    time.sleep(1.5)
    c2 = len(records()) - 1  # without the request just made
    rss1 = rss_kb(pid)
    result(st == 200, "while one client does not read, another is served",
           st)
    result(c1 == c2 and c2 < n,
           "a client that reads nothing is no longer read once its "
           "queued answers pass the high-water mark",
           "requests seen by the core: %d, then %d (of %d sent)"
           % (c1, c2, n))
    result(rss1 - rss0 < 48 * 1024,
           "the front's memory stays bounded (RSS grew %d KiB)"
           % (rss1 - rss0), "")
    # Drop it abruptly (reset): the front cleans up (checked at exit).
    s.shutdown(socket.SHUT_RDWR)  # wakes the blocked sender
    th.join(5)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER,
                 b"\x01\x00\x00\x00\x00\x00\x00\x00")
    s.close()
    time.sleep(0.3)
    st, _, _ = get(sport, "/healthz")
    result(st == 200, "after that client resets, the front goes on", st)
    return 0


def cmd_sigterm(sport, pid, delay_ms):
    """SIGTERM with a request in flight (the fake core answers after
    ${delay_ms}) and an idle keep-alive connection: the answer still
    arrives, the idle connection is closed at once, new connections are
    refused."""
    pid = int(pid)
    idle = tls_sock(sport)
    idle.sendall(b"GET /healthz HTTP/1.1\r\nHost: a\r\n\r\n")
    read_response(idle)
    busy = tls_sock(sport)
    t0 = time.monotonic()
    busy.sendall(b"GET /readyz HTTP/1.1\r\nHost: a\r\n"
                 b"Authorization: Bearer x-delay-%d\r\n\r\n" % delay_ms)
    time.sleep(0.5)
    os.kill(pid, signal.SIGTERM)
    t_idle = time.monotonic()
    idle_closed = is_closed(idle, wait=1.5)
    t_idle = time.monotonic() - t_idle
    refused = False
    time.sleep(0.2)
    try:
        socket.create_connection((HOST, sport), timeout=2).close()
    except ConnectionRefusedError:
        refused = True
    busy.settimeout(10)
    x = read_response(busy)
    dt = time.monotonic() - t0
    busy_closed = x is not None and is_closed(busy)
    result(idle_closed and t_idle < 1.5,
           "SIGTERM closes an idle keep-alive connection at once",
           "closed=%s after %.2f s" % (idle_closed, t_idle))
    result(refused, "after SIGTERM new connections are refused", "")
    result(x is not None and x[0] == 200 and
           json.loads(x[2])["ready"] is True and
           x[1].get("connection") == "close" and busy_closed and
           dt >= delay_ms / 1000 - 0.1,
           "SIGTERM: the request in flight still gets its answer "
           "(Connection: close)",
           "%r after %.2f s" % (x and (x[0], x[2]), dt))
    return 0


def cmd_corefail(sport, word):
    """A request that makes the fake core close the channel or misbehave:
    the client gets no answer (the front drops everything and exits)."""
    s = tls_sock(sport)
    s.sendall(b"GET /healthz HTTP/1.1\r\nHost: a\r\nAuthorization: Bearer "
              + word.encode() + b"\r\n\r\n")
    x = read_response(s)
    s.close()
    result(x is None, "core failure (%s): the connection is dropped "
           "without an answer" % word, repr(x and x[0]))
    return 0


# ---------------------------------------------------------------------------
# The admin and signer API (docs/admin-api.md) through the front to the
# fake core. Expected values are written out here from the contract and
# from the fake core's canned answers (front_harness.c), not derived from
# the front's route table.
SID = "s-0123456789abcdef"
CID = "c-0123456789abcdef"
AID = "a-0123456789abcdef"
UFP = "ab" * 32
FP_ADMIN = "1" * 64
FP_SO = "2" * 64
PIN = "PIN-S3CRET-8264"
PW = "PW-S3CRET-passphrase"
CODE = "CODE-S3CRET-1357"
OTP = "OTP-S3CRET-42"
BASIC_USER = "s-00000000000000bb"
BASIC = "Basic " + __import__("base64").b64encode(
    (BASIC_USER + ":" + PW).encode()).decode()
PEM_IN = ("-----BEGIN CERTIFICATE-----\nMIIBfake\n"
          "-----END CERTIFICATE-----\n")
PUB = "-----BEGIN PUBLIC KEY-----\nMFk=\n-----END PUBLIC KEY-----\n"
CSR = ("-----BEGIN CERTIFICATE REQUEST-----\nMIIB\n"
       "-----END CERTIFICATE REQUEST-----\n")
OTPAUTH = ("otpauth://totp/Hanko:s-00000000000000bb?secret="
           "JBSWY3DPEHPK3PXP&issuer=Hanko")
APPROVAL = {"approval": "a-00000000000000aa"}
KEY = {"key_fingerprint": "kfp-0001", "public_key": PUB}
SUBJECT = {"subject": "CN=Taro Yamada,O=Example KK,C=JP",
           "csr_state": "awaiting_signer"}
NAME = "\u5c71\u7530 \u592a\u90ce"

# (listener, method, path, JSON body or None, IPC type, body the core must
#  receive, status, JSON the client must receive)
A_ = "/admin/v1"
S_ = "/signer/v1"
API = [
    ("admin", "GET", A_ + "/status", None, 10, {}, 200,
     {"origin": "hanko.test/fake", "ledger_size": 42, "signers": 3,
      "credentials": 5, "role": "administrator"}),
    ("admin", "GET", A_ + "/users", None, 11, {}, 200,
     {"users": [{"fingerprint": FP_ADMIN, "subject": "CN=admin",
                 "role": "administrator", "active": True},
                {"fingerprint": FP_SO, "subject": "CN=officer,O=Hanko",
                 "role": "security_officer", "active": False}]}),
    ("admin", "POST", A_ + "/users",
     {"role": "security_officer", "certificate": PEM_IN}, 12,
     {"1": PEM_IN, "2": "security_officer"}, 202, APPROVAL),
    ("admin", "DELETE", A_ + "/users/" + UFP, None, 13, {"1": UFP}, 202,
     APPROVAL),
    ("admin", "GET", A_ + "/approvals", None, 14, {}, 200,
     {"approvals": [{"id": "a-00000000000000aa", "operation": "users.add",
                     "target": FP_SO, "requested_by": FP_ADMIN,
                     "expires": 1700086400}]}),
    ("admin", "POST", A_ + "/approvals/" + AID + "/approve", None, 15,
     {"1": AID, "2": "approve"}, 200, {"id": AID, "outcome": "approved"}),
    ("admin", "POST", A_ + "/approvals/" + AID + "/reject", None, 15,
     {"1": AID, "2": "reject"}, 200, {"id": AID, "outcome": "rejected"}),
    ("admin", "POST", A_ + "/signers",
     {"kind": "natural", "name": NAME, "organization": "Example KK",
      "email": "taro@example.jp", "identity_proofing": "JPKI-0001"}, 16,
     {"1": "natural", "2": NAME, "3": "Example KK", "4": "taro@example.jp",
      "5": "JPKI-0001"}, 201, {"signer_id": "s-00000000000000bb"}),
    ("admin", "GET", A_ + "/signers/" + SID, None, 17, {"1": SID}, 200,
     {"signer_id": SID, "kind": "natural", "name": NAME,
      "organization": "Example KK", "email": "taro@example.jp",
      "identity_proofing": "JPKI-0001", "erased": False,
      "credentials": [{"credential_id": "c-00000000000000cc",
                       "state": "active"}]}),
    ("admin", "POST", A_ + "/signers/" + SID + "/erase",
     {"reason": "erasure request #12"}, 18,
     {"1": SID, "2": "erasure request #12"}, 200, {"signer_id": SID}),
    ("admin", "POST", A_ + "/signers/" + SID + "/credentials",
     {"algorithm": "p384", "level": 2}, 19,
     {"1": SID, "2": "p384", "3": 2}, 201,
     {"credential_id": "c-00000000000000cc",
      "enrollment_code": "ENROLL-fake-code-7", "expires": 1700003600}),
    ("admin", "GET", A_ + "/credentials/" + CID, None, 20, {"1": CID}, 200,
     {"credential_id": CID, "signer_id": "s-00000000000000bb",
      "state": "key_generated", "locked": False, "algorithm": "p256",
      "level": 2, "key_fingerprint": "kfp-0001"}),
    ("admin", "POST", A_ + "/credentials/" + CID + "/key", None, 21,
     {"1": CID}, 200, KEY),
    ("admin", "POST", A_ + "/credentials/" + CID + "/csr", None, 22,
     {"1": CID}, 200, SUBJECT),
    ("admin", "GET", A_ + "/credentials/" + CID + "/csr", None, 23,
     {"1": CID}, 200, {"csr": CSR}),
    ("admin", "PUT", A_ + "/credentials/" + CID + "/certificate",
     {"chain": PEM_IN + PEM_IN}, 24, {"1": CID, "2": PEM_IN + PEM_IN}, 200,
     {"credential_id": CID, "state": "active",
      "certificate_fingerprint": "cfp-0001"}),
    ("admin", "POST", A_ + "/credentials/" + CID + "/suspend",
     {"reason": "token reported lost"}, 25,
     {"1": CID, "2": "token reported lost"}, 200, {"state": "suspended"}),
    ("admin", "POST", A_ + "/credentials/" + CID + "/resume", None, 26,
     {"1": CID}, 200, {"state": "active"}),
    ("admin", "POST", A_ + "/credentials/" + CID + "/destroy",
     {"reason": "revocation"}, 27, {"1": CID, "2": "revocation"}, 202,
     APPROVAL),
    ("admin", "POST", A_ + "/credentials/" + CID + "/unlock", None, 28,
     {"1": CID}, 202, APPROVAL),
    ("admin", "POST", A_ + "/credentials/" + CID + "/renew", None, 29,
     {"1": CID}, 200, KEY),
    ("signing", "POST", S_ + "/enroll",
     {"enrollment_code": CODE, "password": PW, "pin": PIN}, 40,
     {"1": CODE, "2": PW, "3": PIN}, 201,
     {"signer_id": "s-00000000000000bb",
      "credential_id": "c-00000000000000cc", "otpauth_uri": OTPAUTH}),
    ("signing", "GET", S_ + "/credentials/" + CID + "/csr", None, 41,
     {"1": CID}, 200, SUBJECT),
    ("signing", "POST", S_ + "/credentials/" + CID + "/csr/confirm",
     {"pin": PIN}, 42, {"1": CID, "2": PIN}, 200,
     {"csr_state": "confirmed"}),
    ("signing", "POST", S_ + "/nonce", None, 43, {}, 200,
     {"nonce": "n-fake-nonce-1", "expires_in": 60}),
    ("signing", "POST", S_ + "/credentials/" + CID + "/suspend",
     {"nonce": "n-1", "pin": PIN, "otp": OTP}, 44,
     {"1": CID, "2": "n-1", "3": PIN, "4": OTP}, 200,
     {"state": "suspended"}),
    ("signing", "POST", S_ + "/credentials/" + CID + "/destroy",
     {"nonce": "n-2", "pin": PIN, "otp": OTP, "reason": "termination"}, 45,
     {"1": CID, "2": "n-2", "3": PIN, "4": OTP, "5": "termination"}, 200,
     {"state": "destroyed"}),
]


def api_call(port, method, path, body=None, cert=None, auth=None,
             raw=None):
    """One request; returns (status, response, parsed JSON or None)."""
    c = http.client.HTTPSConnection(HOST, port, context=ctx(cert),
                                    timeout=10)
    h = {}
    if auth:
        h["Authorization"] = auth
    data = raw
    if body is not None:
        data = json.dumps(body).encode()
    if data is not None:
        h["Content-Type"] = "application/json"
    c.request(method, path, body=data, headers=h)
    r = c.getresponse()
    b = r.read()
    c.close()
    try:
        j = json.loads(b)
    except ValueError:
        j = None
    return r.status, r, j


def record_of(rid):
    """The fake core's record of request ${rid}: (type, listener, fp,
    auth, body) or None."""
    for l in records():
        if (" rid=%s body=" % rid) not in l:
            continue
        head, _, body = l.partition(" body=")
        f = head.split(" ")
        typ = f[1][len("type="):]
        lst = f[2][len("listener="):]
        fp = f[4][len("fp="):]
        auth = head.split(" auth=", 1)[1].rsplit(" rid=", 1)[0]
        return typ, lst, fp, auth, json.loads(body)
    return None


def admin_fp():
    der = subprocess.run(["openssl", "x509", "-in",
                          os.path.join(D, "admin.pem"), "-outform", "DER"],
                         capture_output=True, check=True).stdout
    return hashlib.sha256(der).hexdigest()


def steer(word):
    with open(os.path.join(D, "steer"), "w") as f:
        f.write(word + "\n")


def cmd_api(sport, aport):
    """Every route of docs/admin-api.md: the fake core receives exactly the
    type, listener, keys and values; the client exactly the JSON."""
    fp = admin_fp()
    for lst, method, path, body, typ, want_rec, want_st, want_json in API:
        admin = lst == "admin"
        port = aport if admin else sport
        basic = not admin and typ != 40
        # Admin routes get an Authorization header they must not forward.
        auth = BASIC if basic else ("Bearer not-for-admin" if admin
                                    else None)
        st, r, j = api_call(port, method, path, body,
                            cert="admin" if admin else None, auth=auth)
        rec = record_of(r.getheader("X-Request-Id"))
        what = "%s %s" % (method, path)
        result(st == want_st and j == want_json and
               r.getheader("Content-Type") == "application/json",
               "%s: %d and exactly the contract's JSON" % (what, want_st),
               "%s %r" % (st, j))
        ok = rec is not None and rec[0] == str(typ) and rec[1] == lst and \
            rec[4] == want_rec and \
            rec[3] == (BASIC if basic else "-") and \
            rec[2] == (fp if admin else "-")
        result(ok, "%s: the core receives type %d on the %s listener with "
               "exactly the keys and values %s, %s" %
               (what, typ, lst, sorted(want_rec),
                "the Basic credentials" if basic else "no Authorization"),
               repr(rec))
        # The same on the other listener: 404, nothing reaches the core.
        n0 = len(records())
        other = sport if admin else aport
        st2, _, j2 = api_call(other, method, path, body, cert="admin")
        result(st2 == 404 and j2 and j2.get("error") == "not_found" and
               len(records()) == n0,
               "%s on the %s listener: 404, nothing sent to the core" %
               (what, "signing" if admin else "admin"), "%s %r" % (st2, j2))
    with open(os.path.join(D, "api-secrets.txt"), "w") as f:
        f.write("\n".join([PIN, PW, CODE, OTP, "JBSWY3DPEHPK3PXP",
                           "ENROLL-fake-code-7",
                           BASIC.split(" ")[1]]) + "\n")

    # Refusals by the front: nothing reaches the core.
    cred = A_ + "/credentials/" + CID
    cases = [
        (aport, "admin", "GET", A_ + "/credentials/c-0123456789ABCDEF",
         None, None, 400, "invalid_request", "an upper-case credential id"),
        (aport, "admin", "DELETE", A_ + "/users/" + UFP[:-1], None, None,
         400, "invalid_request", "a 63-digit fingerprint"),
        (aport, "admin", "POST", A_ + "/approvals/" + SID + "/approve",
         None, None, 400, "invalid_request", "a signer id as approval id"),
        (aport, "admin", "POST", cred + "/suspend", {"reason": "x",
                                                     "pin": PIN},
         None, 400, "invalid_request", "an unknown field"),
        (aport, "admin", "POST", cred + "/suspend", {}, None, 400,
         "invalid_request", "a missing field"),
        (aport, "admin", "POST", A_ + "/signers/" + SID + "/credentials",
         {"algorithm": "p256", "level": "2"}, None, 400, "invalid_request",
         "a string for a uint"),
        (aport, "admin", "POST", A_ + "/signers",
         {"kind": "natural", "name": "x" * 257, "organization": "",
          "email": "e", "identity_proofing": "i"}, None, 400,
         "invalid_request", "an over-long name"),
        (aport, "admin", "POST", cred + "/resume", None, b"[1]", 400,
         "invalid_request", "a body that is not an object"),
        (aport, "admin", "GET", A_ + "/status?verbose=1", None, None, 400,
         "invalid_request", "a query string"),
        (sport, None, "POST", S_ + "/enroll", {"enrollment_code": CODE,
                                               "password": PW,
                                               "pin": PIN * 20},
         None, 400, "invalid_request", "an over-long PIN"),
        (aport, "admin", "DELETE", A_ + "/status", None, None, 405,
         "method_not_allowed", "DELETE on a GET route"),
        (aport, "admin", "PUT", A_ + "/users", None, None, 405,
         "method_not_allowed", "PUT /users"),
        (aport, "admin", "GET", A_ + "/credentials/" + CID + "/frobnicate",
         None, None, 404, "not_found", "an unknown sub-resource"),
    ]
    for port, cert, method, path, body, raw, want, code, what in cases:
        n0 = len(records())
        st, r, j = api_call(port, method, path, body, cert=cert, raw=raw)
        desc = j.get("error_description", "") if j else ""
        result(st == want and json_error(json.dumps(j).encode(), code) and
               len(records()) == n0 and PIN not in desc and
               r.getheader("Connection") == "close",
               "%s: %d %s, nothing sent to the core" % (what, want, code),
               "%s %r" % (st, j))
        if want == 405:
            result(r.getheader("Allow") ==
                   ("GET" if path.endswith("status") else "GET, POST"),
                   "%s: Allow lists the route's methods" % what,
                   r.getheader("Allow"))

    # The core's errors pass through as the contract's error body.
    for status, code in [(400, "invalid_request"), (401, "unauthorized"),
                         (403, "forbidden"), (404, "not_found"),
                         (409, "conflict"), (410, "gone"), (423, "locked"),
                         (500, "internal_error"), (503, "unavailable")]:
        steer("status-%d" % status)
        st, r, j = api_call(aport, "POST", cred + "/resume", cert="admin")
        result(st == status and j == {"error": code, "error_description":
                                      "fake core error %d" % status} and
               r.getheader("WWW-Authenticate") is None,
               "core answers %d: the client gets %d {\"error\": \"%s\"}" %
               (status, status, code), "%s %r" % (st, j))
    steer("status-401")
    st, r, j = api_call(sport, "POST", S_ + "/nonce", auth=BASIC)
    result(st == 401 and j and j.get("error") == "unauthorized" and
           (r.getheader("WWW-Authenticate") or "").startswith("Basic "),
           "401 on an HTTP Basic route carries WWW-Authenticate: Basic",
           "%s %r" % (st, r.getheader("WWW-Authenticate")))
    # Answers outside the schema: 502, never passed through.
    for word in ["badkey", "badtype", "missing", "badcode"]:
        steer(word)
        st, r, j = api_call(aport, "GET", cred, cert="admin")
        result(st == 502 and json_error(json.dumps(j).encode(),
                                        "bad_gateway") and
               "surprise" not in json.dumps(j),
               "the core's answer outside the schema (%s): 502" % word,
               "%s %r" % (st, j))
    return 0


def write(name, text):
    fn = os.path.join(D, name)
    with open(fn, "w") as f:
        f.write(text)
    return fn


def run_cli(hanko, args):
    p = subprocess.run(hanko.split() + args, capture_output=True,
                       timeout=60)
    return p.returncode, p.stdout.decode(), p.stderr.decode()


def cmd_cli(hanko, sport, aport):
    """hanko admin and hanko signer against the front and its fake core:
    each command sends its route with the right keys and values and prints
    the canned answer as JSON; errors exit 1 with "code: description",
    usage and connection errors exit 2 with nothing sent."""
    adm = ["admin", "--url", "https://127.0.0.1:%d" % aport, "--cert",
           os.path.join(D, "admin.pem"), "--key",
           os.path.join(D, "admin.key"), "--ca", os.path.join(D,
                                                             "server.pem")]
    sig = ["signer", "--url", "https://localhost:%d" % sport, "--ca",
           os.path.join(D, "server.pem")]
    pem = write("in.pem", PEM_IN)
    chain = write("chain.pem", PEM_IN + PEM_IN)
    pinf = write("pin.txt", PIN + "\n")
    pwf = write("pw.txt", PW + "\n")
    codef = write("code.txt", CODE)
    otpf = write("otp.txt", OTP + "\n")
    csr_out = os.path.join(D, "out.csr")
    cred = A_ + "/credentials/" + CID
    admin_argv = {
        ("GET", A_ + "/status"): ["status"],
        ("GET", A_ + "/users"): ["users", "list"],
        ("POST", A_ + "/users"): ["users", "add", "--certificate", pem,
                                  "--role", "security_officer"],
        ("DELETE", A_ + "/users/" + UFP): ["users", "remove", UFP],
        ("GET", A_ + "/approvals"): ["approvals", "list"],
        ("POST", A_ + "/approvals/" + AID + "/approve"):
            ["approvals", "approve", AID],
        ("POST", A_ + "/approvals/" + AID + "/reject"):
            ["approvals", "reject", AID],
        ("POST", A_ + "/signers"):
            ["signers", "register", "--kind", "natural", "--name", NAME,
             "--organization", "Example KK", "--email", "taro@example.jp",
             "--identity-proofing", "JPKI-0001"],
        ("GET", A_ + "/signers/" + SID): ["signers", "get", SID],
        ("POST", A_ + "/signers/" + SID + "/erase"):
            ["signers", "erase", SID, "--reason", "erasure request #12"],
        ("POST", A_ + "/signers/" + SID + "/credentials"):
            ["credentials", "create", SID, "--algorithm", "p384",
             "--level", "2"],
        ("GET", cred): ["credentials", "get", CID],
        ("POST", cred + "/key"): ["credentials", "key", CID],
        ("POST", cred + "/csr"): ["credentials", "csr", CID],
        ("GET", cred + "/csr"): ["credentials", "csr-get", CID, "--out",
                                 csr_out],
        ("PUT", cred + "/certificate"): ["credentials", "certificate", CID,
                                         "--chain", chain],
        ("POST", cred + "/suspend"): ["credentials", "suspend", CID,
                                      "--reason", "token reported lost"],
        ("POST", cred + "/resume"): ["credentials", "resume", CID],
        ("POST", cred + "/destroy"): ["credentials", "destroy", CID,
                                      "--reason", "revocation"],
        ("POST", cred + "/unlock"): ["credentials", "unlock", CID],
        ("POST", cred + "/renew"): ["credentials", "renew", CID],
    }
    basic = ["--user", BASIC_USER, "--password-file", pwf]
    signer_argv = {
        40: ["enroll", "--code-file", codef, "--password-file", pwf,
             "--pin-file", pinf],
        41: ["csr", CID] + basic,
        42: ["csr-confirm", CID, "--pin-file", pinf] + basic,
        44: ["suspend", CID, "--pin-file", pinf, "--otp", OTP] + basic,
        45: ["destroy", CID, "--pin-file", pinf, "--otp-file", otpf,
             "--reason", "termination"] + basic,
    }

    def last_records(n):
        out = []
        for l in records()[-n:]:
            head, _, body = l.partition(" body=")
            f = head.split(" ")
            auth = head.split(" auth=", 1)[1].rsplit(" rid=", 1)[0]
            out.append((f[1][5:], f[2][9:], auth, json.loads(body)))
        return out

    fp = admin_fp()
    for lst, method, path, body, typ, want_rec, want_st, want_json in API:
        if typ == 43:
            continue  # no command of its own: part of suspend/destroy
        if lst == "admin":
            argv = adm + admin_argv[(method, path)]
        else:
            argv = sig + signer_argv[typ]
        n0 = len(records())
        rc, out, err = run_cli(hanko, argv)
        try:
            got = json.loads(out)
        except ValueError:
            got = None
        what = "hanko %s %s" % (argv[0], " ".join(
            a for a in argv[len(adm if lst == "admin" else sig):]
            if not a.startswith(D)))
        nrec = 2 if typ in (44, 45) else 1
        recs = last_records(nrec) if len(records()) == n0 + nrec else []
        ok = rc == 0 and got == want_json and err == "" and \
            len(recs) == nrec and recs[-1][0] == str(typ) and \
            recs[-1][1] == lst and recs[-1][3] == dict(
                want_rec, **({"2": "n-fake-nonce-1"} if nrec == 2 else {}))
        if lst == "signing":
            ok = ok and recs[-1][2] == ("-" if typ == 40 else BASIC)
            if nrec == 2:
                ok = ok and recs[0][0] == "43" and recs[0][2] == BASIC
        result(ok, "%s: sends %s %s (type %d) with the contract's keys "
               "and prints the answer" % (what, method, path, typ),
               "rc=%d out=%r err=%r recs=%r" % (rc, out[:300], err[:300],
                                               recs))
        if typ == 23:
            with open(csr_out) as f:
                result(f.read() == CSR, "credentials csr-get --out writes "
                       "the CSR PEM", "")
        if lst == "signing":
            leak = [s for s in (PIN, PW, CODE) if s in out + err]
            result(not leak, "%s prints no PIN, password or code" % what,
                   repr(leak))
    rc, out, err = run_cli(hanko, sig + signer_argv[40])
    result(rc == 0 and out.count(OTPAUTH) == 1,
           "hanko signer enroll prints the otpauth URI once", out)

    # API errors: exit 1 with "code: description" on stderr.
    steer("status-409")
    rc, out, err = run_cli(hanko, adm + ["credentials", "resume", CID])
    result(rc == 1 and out == "" and
           err.strip() == "conflict: fake core error 409",
           "an API error: exit 1, \"conflict: fake core error 409\" on "
           "stderr", "rc=%d out=%r err=%r" % (rc, out, err))
    steer("badkey")
    rc, out, err = run_cli(hanko, adm + ["status"])
    result(rc == 1 and err.startswith("bad_gateway: "),
           "an answer the front refuses: exit 1 with bad_gateway",
           "rc=%d err=%r" % (rc, err))
    steer("status-401")
    rc, out, err = run_cli(hanko, sig + signer_argv[41])
    result(rc == 1 and err.startswith("unauthorized: "),
           "hanko signer with a refused password: exit 1 unauthorized",
           "rc=%d err=%r" % (rc, err))
    steer("status-410")
    rc, out, err = run_cli(hanko, sig + signer_argv[44])
    result(rc == 1 and err.startswith("gone: "),
           "hanko signer suspend with a used nonce: exit 1 gone",
           "rc=%d err=%r" % (rc, err))
    # Usage and connection errors: exit 2, nothing sent.
    usage = [
        (adm + ["users", "add", "--certificate", pem], "a missing --role"),
        (adm + ["credentials", "get"], "a missing id"),
        (adm + ["credentials", "get", "c-1/../x"], "an id with a slash"),
        (adm + ["credentials", "frob", CID], "an unknown command"),
        (adm + ["status", "--reason", "x"], "an option of another command"),
        (adm + ["credentials", "create", SID, "--algorithm", "p256",
                "--level", "two"], "a level that is not a number"),
        (adm[:2] + ["https://127.0.0.1:1"] + adm[3:] + ["status"],
         "a port nobody listens on"),
        (adm[:-1] + [os.path.join(D, "opca.pem"), "status"],
         "a server certificate from another CA"),
        (["admin", "status"], "neither --state nor --url"),
        (sig + ["suspend", CID, "--pin-file", pinf, "--otp", "123456",
                "--otp-file", pinf] + basic,
         "suspend with both --otp and --otp-file"),
        (sig + ["csr", CID, "--user", BASIC_USER, "--password-file",
                os.path.join(D, "nonexistent")], "a missing password file"),
        (sig + ["enroll", "--code-file", codef, "--password-file", pwf],
         "enroll without a PIN file"),
    ]
    for argv, what in usage:
        n0 = len(records())
        rc, out, err = run_cli(hanko, argv)
        result(rc == 2 and out == "" and err != "" and
               len(records()) == n0 and PW not in err,
               "%s: exit 2 with a message, nothing sent" % what,
               "rc=%d out=%r err=%r" % (rc, out, err))
    return 0


# ---------------------------------------------------------------------------
# The CSC v2 API (docs/csc-api.md) through the front to the fake core.
# Expected values are written out here from the contract and the fake
# core's canned answers (front_harness.c), not from the route table.
def b64(b):
    return __import__("base64").b64encode(b).decode()


def b64url(b):
    return __import__("base64").urlsafe_b64encode(b).decode().rstrip("=")


C_ = "/csc/v2"
CSC_A = "c-00000000000000c1"
CSC_B = "c-00000000000000c2"
ES256 = "1.2.840.10045.4.3.2"
PSS = "1.2.840.113549.1.1.10"
SHA256 = "2.16.840.1.101.3.4.2.1"
CSC_TOKEN = "CSC-TOKEN-S3CRET-" + os.urandom(8).hex()
BEARER = "Bearer " + CSC_TOKEN
CSC_PW = "LOGIN-PW-S3CRET-" + os.urandom(4).hex()
LOGIN = "Basic " + b64((BASIC_USER + ":" + CSC_PW).encode())
CSC_PIN = "CSC-PIN-S3CRET-" + os.urandom(4).hex()
CSC_OTP = "CSC-OTP-" + os.urandom(4).hex()
SAD_IN = "SAD-IN-S3CRET-" + os.urandom(8).hex()
ISSUED = ["tok-FAKE-access-token-0001", "SAD-FAKE-authorized-1",
          "SAD-FAKE-extended-2"]
H1 = hashlib.sha256(b"document 1").digest()
H2 = hashlib.sha256(b"document 2").digest()
H3 = hashlib.sha256(b"document 3").digest()
PSS_PARAMS = bytes.fromhex("300d06096086480165030402010500")
CSC_INFO = {
    "specs": "2.0.0.2", "name": "Hanko",
    "logo": "https://hanko.test/logo.png", "region": "JP", "lang": "en-US",
    "description": "Hanko remote signing (fake core)",
    "authType": ["basic"],
    "methods": ["auth/login", "auth/revoke", "credentials/list",
                "credentials/info", "credentials/authorize",
                "credentials/extendTransaction", "signatures/signHash"],
    "signAlgorithms": {"algos": [ES256, "1.2.840.113549.1.1.11"]},
    "signature_formats": {"formats": ["C"],
                          "envelope_properties": [["Detached",
                                                   "Attached"]]},
    "conformance_levels": []}
CRED_INFO = {
    "description": "Taro's signing key",
    "key": {"status": "enabled", "algo": [ES256], "len": 256,
            "curve": "1.2.840.10045.3.1.7"},
    "cert": {"status": "valid",
             "certificates": [b64(bytes.fromhex("308201fb")),
                              b64(bytes.fromhex("308201feff"))],
             "issuerDN": "CN=Hanko Test CA",
             "subjectDN": "CN=Taro Yamada,O=Example KK,C=JP",
             "serialNumber": "5aac41cd8fa22b953640",
             "validFrom": "20240101000000Z", "validTo": "20260101000000Z"},
    "auth": {"mode": "explicit", "expression": "PIN AND OTP",
             "objects": [{"type": "Password", "id": "PIN", "format": "N",
                          "label": "PIN"},
                         {"type": "Password", "id": "OTP", "format": "N",
                          "label": "OTP", "generator": "totp"}]},
    "SCAL": "2", "multisign": 5, "lang": "en-US", "hanko_level": 2}


def binrec(b):
    return "bin:" + b.hex()


# (method, path, JSON body or None, Authorization, IPC type, body the core
#  must receive, Authorization the core must receive, status, JSON the
#  client must receive (None: no body))
CSC_API = [
    ("GET", C_ + "/info", None, None, 50, {}, "-", 200, CSC_INFO),
    # Authorization is not forwarded on info; lang and userID: null are
    # ignored.
    ("POST", C_ + "/info", {"lang": "en-US", "userID": None},
     "Bearer not-for-info", 50, {}, "-", 200, CSC_INFO),
    ("POST", C_ + "/auth/login",
     {"rememberMe": "true", "clientData": "login-1"}, LOGIN, 51,
     {"1": True, "2": "login-1"}, LOGIN, 200,
     {"access_token": ISSUED[0], "expires_in": 28800}),
    ("POST", C_ + "/auth/revoke",
     {"token": CSC_TOKEN, "token_type_hint": "access_token"}, BEARER, 52,
     {"1": CSC_TOKEN, "2": "access_token"}, BEARER, 204, None),
    ("POST", C_ + "/credentials/list", {}, BEARER, 53, {}, BEARER, 200,
     {"credentialIDs": [CSC_A, CSC_B]}),
    ("POST", C_ + "/credentials/list",
     {"credentialInfo": True, "certInfo": "true", "authInfo": True,
      "onlyValid": "false", "certificates": "chain", "userID": None,
      "lang": "en-US", "clientData": ""}, BEARER, 53,
     {"1": True, "2": "chain", "3": True, "4": True, "5": False}, BEARER,
     200, {"credentialIDs": [CSC_A, CSC_B],
           "credentialInfos": [dict(CRED_INFO, credentialID=CSC_A)],
           "onlyValid": False}),
    ("POST", C_ + "/credentials/info",
     {"credentialID": CSC_A, "certificates": "chain", "certInfo": True,
      "authInfo": "true", "lang": "ja"}, BEARER, 54,
     {"1": CSC_A, "2": "chain", "3": True, "4": True}, BEARER, 200,
     CRED_INFO),
    # numSignatures as a string, one hash in each alphabet (URL without
    # padding), an out-of-band object, extra fields.
    ("POST", C_ + "/credentials/authorize",
     {"credentialID": CSC_A, "numSignatures": "2",
      "hashes": [b64(H1), b64url(H2)], "hashAlgorithmOID": SHA256,
      "authData": [{"id": "PIN", "value": CSC_PIN},
                   {"id": "OTP", "value": CSC_OTP}, {"id": "PUSH"}],
      "description": "Contract 42", "clientData": "",
      "operationMode": "S", "userID": None}, BEARER, 55,
     {"1": CSC_A, "2": 2, "3": [binrec(H1), binrec(H2)], "4": SHA256,
      "5": [{"1": "PIN", "2": CSC_PIN}, {"1": "OTP", "2": CSC_OTP},
            {"1": "PUSH"}], "6": "Contract 42"}, BEARER, 200,
     {"SAD": ISSUED[1], "expiresIn": 300}),
    ("POST", C_ + "/credentials/extendTransaction",
     {"credentialID": CSC_A, "SAD": SAD_IN, "hashes": [b64url(H3)],
      "hashAlgorithmOID": SHA256, "clientData": "nested-2"}, BEARER, 56,
     {"1": CSC_A, "2": SAD_IN, "3": [binrec(H3)], "4": SHA256,
      "5": "nested-2"}, BEARER, 200, {"SAD": ISSUED[2], "expiresIn": 300}),
    ("POST", C_ + "/signatures/signHash",
     {"credentialID": CSC_A, "SAD": SAD_IN, "hashes": [b64(H1), b64(H2)],
      "hashAlgorithmOID": SHA256, "signAlgo": ES256, "signAlgoParams": "",
      "clientData": "tx-9"}, BEARER, 57,
     {"1": CSC_A, "2": SAD_IN, "3": [binrec(H1), binrec(H2)],
      "4": SHA256, "5": ES256, "7": "tx-9"}, BEARER, 200,
     {"signatures": [b64(b"sig:" + H1), b64(b"sig:" + H2)],
      "hanko_seqs": [100, 101]}),
    ("POST", C_ + "/signatures/signHash",
     {"credentialID": CSC_A, "SAD": SAD_IN, "hashes": [b64url(H3) + "="],
      "signAlgo": PSS, "signAlgoParams": b64(PSS_PARAMS)}, BEARER, 57,
     {"1": CSC_A, "2": SAD_IN, "3": [binrec(H3)], "5": PSS,
      "6": binrec(PSS_PARAMS)}, BEARER, 200,
     {"signatures": [b64(b"sig:" + H3)], "hanko_seqs": [100]}),
]


def csc_call(port, method, path, body=None, auth=None, raw=None,
             cert=None):
    """One request; (status, response, raw body bytes)."""
    c = http.client.HTTPSConnection(HOST, port, context=ctx(cert),
                                    timeout=10)
    h = {}
    if auth:
        h["Authorization"] = auth
    data = raw if raw is not None else (
        json.dumps(body).encode() if body is not None else None)
    if data is not None:
        h["Content-Type"] = "application/json"
    c.request(method, path, body=data, headers=h)
    r = c.getresponse()
    b = r.read()
    c.close()
    return r.status, r, b


def cmd_csc(sport, aport):
    """Every CSC route of docs/csc-api.md end to end: what the core
    receives and what the client gets; refusals send nothing; the core's
    CSC errors pass through, others become 502; unknown CSC names 404."""
    for method, path, body, auth, typ, want_rec, want_auth, want_st, \
            want_json in CSC_API:
        st, r, b = csc_call(sport, method, path, body, auth)
        rec = record_of(r.getheader("X-Request-Id"))
        what = "%s %s (%s)" % (method, path, ", ".join(sorted(body or {})))
        if want_json is None:
            ok = st == want_st and b == b"" and \
                r.getheader("Content-Length") is None and \
                r.getheader("Content-Type") is None
        else:
            try:
                j = json.loads(b)
            except ValueError:
                j = None
            ok = st == want_st and j == want_json and \
                r.getheader("Content-Type") == "application/json"
        result(ok, "%s: %d and exactly the contract's JSON%s" %
               (what, want_st, " (no body)" if want_json is None else ""),
               "%s %r" % (st, b[:400]))
        ok = rec is not None and rec[0] == str(typ) and \
            rec[1] == "signing" and rec[4] == want_rec and \
            rec[3] == want_auth and rec[2] == "-"
        result(ok, "%s: the core receives type %d on the signing listener "
               "with exactly the keys and values %s and %s" %
               (what, typ, sorted(want_rec),
                "the Authorization value as sent" if want_auth != "-"
                else "no Authorization"), repr(rec))
        n0 = len(records())
        st2, _, b2 = csc_call(aport, method, path, body, auth,
                              cert="admin")
        result(st2 == 404 and json.loads(b2) == {
            "error": "not_found", "error_description": "no such resource"}
            and len(records()) == n0,
            "%s on the admin listener: 404 not_found, nothing sent to the "
            "core" % what, "%s %r" % (st2, b2))

    # Refusals by the front: nothing reaches the core.
    basic_ch = 'Basic realm="hanko signer", charset="UTF-8"'
    az = {"credentialID": CSC_A, "numSignatures": 1,
          "hashes": [b64(H1)], "hashAlgorithmOID": SHA256}
    sh = {"credentialID": CSC_A, "SAD": SAD_IN, "hashes": [b64(H1)],
          "signAlgo": ES256}
    malformed = "Malformed authentication parameter."
    refusals = [
        # (path, body or raw bytes, Authorization, status, error,
        #  description, WWW-Authenticate, what)
        ("/auth/login", {}, None, 401, "invalid_request", malformed,
         basic_ch, "login without Authorization"),
        ("/auth/login", {}, BEARER, 401, "invalid_request", malformed,
         basic_ch, "login with a Bearer token"),
        ("/auth/login", {}, "Basic " + CSC_PIN, 401, "invalid_request",
         malformed, basic_ch, "login with Basic that is not Base64"),
        ("/credentials/list", {}, None, 401, "invalid_token",
         "Missing access token", "Bearer", "list without Authorization"),
        ("/signatures/signHash", sh, None, 401, "invalid_token",
         "Missing access token", "Bearer", "signHash without a token"),
        ("/credentials/list", {}, LOGIN, 400, "invalid_request", malformed,
         None, "list with Basic instead of Bearer"),
        ("/signatures/signHash", sh, "Bearer " + CSC_PIN + " x", 400,
         "invalid_request", malformed, None,
         "a Bearer value that is not one b64token"),
        ("/credentials/info", {"credentialID": CSC_A, "userID": "s-1"},
         BEARER, 400, "invalid_request", "userID parameter MUST be null",
         None, "a non-null userID"),
        ("/credentials/info", {"credentialID": 42}, BEARER, 400,
         "invalid_request",
         "Missing (or invalid type) string parameter credentialID", None,
         "credentialID not a string"),
        ("/credentials/list", {"certificates": "all"}, BEARER, 400,
         "invalid_request", "Invalid parameter certificates", None,
         "certificates not none/single/chain"),
        ("/auth/revoke", {}, BEARER, 400, "invalid_request",
         "Missing (or invalid type) string parameter token", None,
         "revoke without token"),
        ("/credentials/authorize", dict(az, numSignatures="one"), BEARER,
         400, "invalid_request",
         "Missing (or invalid type) integer parameter numSignatures", None,
         "numSignatures not digits"),
        ("/credentials/authorize", dict(az, numSignatures=0), BEARER, 400,
         "invalid_request", "Invalid value for parameter numSignatures",
         None, "numSignatures 0"),
        ("/credentials/authorize", dict(az, hashes=[]), BEARER, 400,
         "invalid_request", "Empty hash array", None, "an empty hash array"),
        ("/credentials/authorize", dict(az, hashes=["AA"] * 1025), BEARER,
         400, "invalid_request", "Too many hashes", None, "1025 hashes"),
        ("/credentials/authorize", dict(az, hashes=[b64(H1)[:-2] + " ="]),
         BEARER, 400, "invalid_request",
         "Invalid Base64 hash string parameter", None,
         "a hash with a space"),
        ("/credentials/authorize",
         dict(az, authData=[{"id": "PIN", "value": 4711}]), BEARER, 400,
         "invalid_request", "Invalid parameter authData", None,
         "a PIN value that is not a string"),
        ("/signatures/signHash", dict(sh, signAlgoParams="%%" + CSC_PIN),
         BEARER, 400, "invalid_request", "Invalid parameter signAlgoParams",
         None, "signAlgoParams not Base64"),
        ("/signatures/signHash", {k: v for k, v in sh.items() if k != "SAD"},
         BEARER, 400, "invalid_request",
         "Missing (or invalid type) string parameter SAD", None,
         "signHash without SAD"),
        ("/signatures/signHash", b'{"SAD":"' + SAD_IN.encode() + b'"',
         BEARER, 400, "invalid_request", None, None, "a body that is not "
         "JSON"),
        ("/signatures/signDoc", {}, BEARER, 404, "invalid_request",
         "Unknown method", None, "signatures/signDoc (not served)"),
        ("/oauth2/token", {}, None, 404, "invalid_request", "Unknown method",
         None, "oauth2/token (not served)"),
        ("/credentials/sendOTP", {}, BEARER, 404, "invalid_request",
         "Unknown method", None, "credentials/sendOTP (not served)"),
        ("/", {}, None, 404, "invalid_request", "Unknown method", None,
         "/csc/v2/ itself"),
    ]
    for path, body, auth, want, code, desc, chal, what in refusals:
        n0 = len(records())
        raw = body if isinstance(body, bytes) else None
        st, r, b = csc_call(sport, "POST", C_ + path,
                            None if raw else body, auth, raw=raw)
        try:
            j = json.loads(b)
        except ValueError:
            j = {}
        ok = st == want and set(j) == {"error", "error_description"} and \
            j["error"] == code and (desc is None or
                                    j["error_description"] == desc) and \
            len(records()) == n0 and \
            r.getheader("WWW-Authenticate") == chal and \
            r.getheader("Connection") == "close"
        leak = [s for s in (CSC_PIN, SAD_IN, CSC_TOKEN) if s in b.decode()]
        result(ok and not leak, "%s: %d %s \"%s\"%s, nothing sent to the "
               "core" % (what, want, code, desc or "...",
                         " with WWW-Authenticate: " + chal if chal else ""),
               "%s %r %r leak=%r" % (st, b, r.getheader("WWW-Authenticate"),
                                     leak))
    for method, path, allow in [("GET", "/signatures/signHash", "POST"),
                                ("PUT", "/info", "GET, POST"),
                                ("DELETE", "/auth/login", "POST")]:
        n0 = len(records())
        st, r, b = csc_call(sport, method, C_ + path, auth=BEARER)
        result(st == 405 and r.getheader("Allow") == allow and
               len(records()) == n0,
               "%s %s: 405 with Allow: %s" % (method, C_ + path, allow),
               "%s %r" % (st, r.getheader("Allow")))

    # The core's CSC errors pass through, with the Bearer challenge on 401.
    signhash = CSC_API[-2]
    for code, status in [("invalid_request", 400),
                         ("invalid_authentication_data", 400),
                         ("authentication_error", 400),
                         ("invalid_token", 401),
                         ("temporarily_unavailable", 503)]:
        steer("csc-" + code)
        st, r, b = csc_call(sport, "POST", signhash[1], signhash[2], BEARER)
        want_ch = 'Bearer error="invalid_token"' if status == 401 else None
        result(st == status and json.loads(b) == {
            "error": code, "error_description": "fake core error " + code}
            and r.getheader("WWW-Authenticate") == want_ch,
            "core answers %d %s: the client gets it%s" %
            (status, code, " with WWW-Authenticate: " + want_ch
             if want_ch else ""), "%s %r %r" %
            (st, b, r.getheader("WWW-Authenticate")))
    steer("csc-authentication_error")
    st, r, b = csc_call(sport, "POST", C_ + "/auth/login", {}, LOGIN)
    result(st == 400 and json.loads(b)["error"] == "authentication_error",
           "auth/login: the core's 400 authentication_error passes",
           "%s %r" % (st, b))
    steer("csc-invalid_token")
    st, r, b = csc_call(sport, "POST", C_ + "/auth/login", {}, LOGIN)
    result(st == 401 and r.getheader("WWW-Authenticate") == basic_ch,
           "auth/login: a 401 of the core carries the Basic challenge",
           "%s %r" % (st, r.getheader("WWW-Authenticate")))
    # Anything else is 502, never passed through.
    for word, path, body in [
            ("status-409", signhash[1], signhash[2]),
            ("status-401", signhash[1], signhash[2]),
            ("status-503", signhash[1], signhash[2]),
            ("status-500", C_ + "/credentials/list", {}),
            ("badcode", signhash[1], signhash[2]),
            ("badkey", C_ + "/credentials/info", {"credentialID": CSC_A}),
            ("badkey", C_ + "/auth/revoke", {"token": CSC_TOKEN}),
            ("badtype", C_ + "/credentials/list", {}),
            ("missing", C_ + "/credentials/authorize", az),
            ("missing", C_ + "/auth/revoke", {"token": CSC_TOKEN})]:
        steer(word)
        st, r, b = csc_call(sport, "POST", path, body, BEARER)
        result(st == 502 and json_error(b, "bad_gateway") and
               b"surprise" not in b,
               "the core's answer outside CSC's contract (%s on %s): 502" %
               (word, path), "%s %r" % (st, b))
    with open(os.path.join(D, "csc-secrets.txt"), "w") as f:
        f.write("\n".join([CSC_TOKEN, CSC_PW, LOGIN.split(" ")[1], CSC_PIN,
                           CSC_OTP, SAD_IN] + ISSUED) + "\n")
    return 0


# ---------------------------------------------------------------------------
def cmd_load(sport, conns, per):
    conns, per = int(conns), int(per)
    errors = []
    t0 = time.monotonic()
    done = asyncio.run(load_conc(sport, conns, per, errors))
    dt = time.monotonic() - t0
    result(done == conns * per and not errors,
           "load: %d concurrent keep-alive TLS connections x %d /healthz: "
           "%d answers, %d errors, %.1f s (%.0f req/s)"
           % (conns, per, done, len(errors), dt, done / dt),
           repr(errors[:5]))
    return 0


async def load_conc(port, conns, per, errors):
    """Open every connection first (all concurrent), then run the requests
    on all of them at once."""
    c = ctx()
    sem = asyncio.Semaphore(200)  # bound handshakes in flight, not conns

    async def opener():
        async with sem:
            return await asyncio.open_connection(HOST, port, ssl=c,
                                                 server_hostname="localhost")

    streams = await asyncio.gather(*[opener() for _ in range(conns)],
                                   return_exceptions=True)
    live = []
    for s in streams:
        if isinstance(s, BaseException):
            errors.append("connect: %r" % s)
        else:
            live.append(s)

    async def run(r, w):
        done = 0
        try:
            for _ in range(per):
                w.write(b"GET /healthz HTTP/1.1\r\nHost: a\r\n\r\n")
                head = await r.readuntil(b"\r\n\r\n")
                if not head.startswith(b"HTTP/1.1 200 "):
                    errors.append("status: %r" % head[:20])
                    break
                ln = [l for l in head.split(b"\r\n")
                      if l.lower().startswith(b"content-length:")]
                body = await r.readexactly(int(ln[0].split(b":")[1]))
                if body != b'{"status":"ok"}':
                    errors.append("body: %r" % body)
                    break
                done += 1
        except (OSError, ssl.SSLError, asyncio.IncompleteReadError) as e:
            errors.append("io: %r" % e)
        return done

    res = await asyncio.gather(*[run(r, w) for r, w in live])
    for _, w in live:
        w.close()
    for _, w in live:
        try:
            await w.wait_closed()
        except (OSError, ssl.SSLError):
            pass
    return sum(res)


def main():
    cmd, args = sys.argv[2], sys.argv[3:]
    fn = globals()["cmd_" + cmd]
    fn(*[int(a) if a.isdigit() else a for a in args])
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
