# SPDX-License-Identifier: Apache-2.0
"""Anti-rollback (issue 7, OPS-4): the latest checkpoint is kept in the
HSM token as a private data object; at start hankod refuses a ledger that
is behind it or not on its history, and accepts a normal restart after
SIGKILL.

The token is read with pkcs11-tool (OpenSC), which shares no code with
Hanko; the checkpoint in it is checked against `hanko ledger checkpoint`.
Prints TAP. Run by 18-anchor.sh."""
import os
import random
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import lifecycle as LC  # noqa: E402

tap = LC.tap
LABEL = "hanko-ledger-anchor"
KILLS = 3 if LC.SLOW else 8


def p11(state, *args, login=True):
    conf = open(state + "/hanko.conf").read()
    token = re.search(r"(?m)^token = (.*)$", conf).group(1)
    pin = open(state + "/hsm.pin").read().strip()
    env = dict(os.environ, SOFTHSM2_CONF=state + "/softhsm/softhsm2.conf")
    auth = ["--login", "--pin", pin] if login else []
    return LC.run(["pkcs11-tool", "--module",
                   "/usr/lib/softhsm/libsofthsm2.so", "--token-label", token]
                  + auth + list(args), env=env)


def anchor(state, work):
    """The anchor's bytes as pkcs11-tool reads them (None: no object)."""
    out = work + "/anchor.bin"
    if os.path.exists(out):
        os.unlink(out)
    r = p11(state, "--read-object", "--type", "data", "--label", LABEL,
            "--output-file", out)
    if r.returncode != 0 or not os.path.exists(out):
        return None
    return open(out, "rb").read()


def anchor_size(note):
    lines = note.decode().split("\n")
    return int(lines[1]), lines[2]


def ledger_size(state):
    return LC.Ledger(state).size()


def checkpoint(state, size):
    return LC.must(LC.HANKO + ["ledger", "checkpoint", "--state", state,
                               "--size", str(size)]).encode()


class Load(threading.Thread):
    """Admin requests (each one an admin.request event) until stopped."""

    def __init__(self, api):
        super().__init__(daemon=True)
        self.api, self.stop = api, threading.Event()

    def run(self):
        while not self.stop.is_set():
            try:
                self.api.call("GET", "/admin/v1/users")
            except Exception:
                time.sleep(0.05)


def ready_status(t):
    import http.client
    import ssl
    ctx = ssl.create_default_context(cafile=t.state + "/ca/operator-ca.crt")
    try:
        c = http.client.HTTPSConnection("localhost", t.signing, context=ctx,
                                        timeout=5)
        c.request("GET", "/readyz")
        r = c.getresponse()
        return r.status, r.read().decode("utf-8", "replace")
    except OSError as e:
        return None, repr(e)


def start_fails(t, why_re):
    """hankod on this state must exit non-zero, saying ${why_re}."""
    log = t.work + "/refused.log"
    if os.path.exists(log):
        os.unlink(log)
    try:
        r = subprocess.run(LC.HANKOD + ["--state", t.state],
                           capture_output=True, text=True,
                           timeout=120 if LC.SLOW else 30)
        text = r.stdout + r.stderr
        code = r.returncode
    except subprocess.TimeoutExpired as e:
        return False, "still running: %s" % e
    return code != 0 and re.search(why_re, text) is not None, \
        (code, text[-600:])


def main():
    t = LC.T()
    t.work = tempfile.mkdtemp(prefix="hanko-anchor-")
    t.state = t.work + "/state"
    t.signing, t.admin_port = LC.free_port(), LC.free_port()
    d = None
    try:
        r = LC.run(LC.HANKO + ["init", "--state", t.state, "--origin",
                               "example.test/hanko/anchor",
                               "--signing-listen",
                               "127.0.0.1:%d" % t.signing,
                               "--admin-listen",
                               "127.0.0.1:%d" % t.admin_port])
        if not tap(r.returncode == 0, "hanko init", r.stderr):
            return
        with open(t.state + "/hanko.conf") as f:
            conf = f.read()
        conf = conf.replace("[ledger]\n",
                            "[ledger]\nanchor_interval_ms = 200\n"
                            "verify_interval_s = 1\n", 1)
        with open(t.state + "/hanko.conf", "w") as f:
            f.write(conf)
        opca = t.state + "/ca/operator-ca.crt"
        admin = LC.Api(t.admin_port, opca, (t.state + "/admin/admin.crt",
                                            t.state + "/admin/admin.key"))
        tap(anchor(t.state, t.work) is None,
            "a new appliance has no anchor in the token yet")
        d = LC.Daemon(t.state, t.work + "/hankod.log")
        if not tap(d.start(t.signing), "hankod starts", d.text()[-600:]):
            return
        tap("no ledger anchor in the HSM yet" in d.text(),
            "it says the token has no anchor yet")
        deadline = time.time() + (60 if LC.SLOW else 10)
        ver = []
        while time.time() < deadline and not ver:
            ver = [e for e in LC.Ledger(t.state).events()
                   if e["type"] == "ledger.verified"]
            time.sleep(0.3)
        tap(ver and ver[0]["body"].get("result") == "ok" and
            ver[0]["body"].get("events", 0) >= 3,
            "OPS-4: the core verifies the whole ledger in the background "
            "(verify_interval_s = 1) and records ledger.verified ok",
            ver[:1])
        for _ in range(5):
            admin.call("GET", "/admin/v1/users")
        time.sleep(0.6)
        a = anchor(t.state, t.work)
        n = ledger_size(t.state)
        ok = a is not None and 1 <= anchor_size(a)[0] <= n
        tap(ok, "OPS-4: while running, the token holds a private data "
            "object %s with a checkpoint of at most the ledger's size (%s "
            "of %d)" % (LABEL, a and anchor_size(a)[0], n), a)
        if ok:
            size = anchor_size(a)[0]
            tap(a == checkpoint(t.state, size),
                "the anchor is the ledger's own signed checkpoint for "
                "that size, byte for byte", (a, checkpoint(t.state, size)))
        r = p11(t.state, "--list-objects", "--type", "data")
        r2 = p11(t.state, "--list-objects", "--type", "data", login=False)
        tap(r.returncode == 0 and LABEL in r.stdout and
            r2.returncode == 0 and LABEL not in r2.stdout,
            "the anchor object is private: visible only after the user "
            "login", (r.stdout, r2.stdout))
        d.stop()
        a = anchor(t.state, t.work)
        n = ledger_size(t.state)
        tap(a is not None and anchor_size(a)[0] == n,
            "after a clean stop the anchor names the final size (%d)" % n,
            a)
        # A backup of the ledger taken now; history then moves on.
        old = t.work + "/ledger-old"
        shutil.copytree(t.state + "/ledger", old)
        old_size = n
        # SIGKILLs at random moments under load: every restart accepted.
        bad = []
        for i in range(KILLS):
            if not d.start(t.signing):
                bad.append((i, "start", d.text()[-400:]))
                break
            load = Load(admin)
            load.start()
            time.sleep(random.uniform(0.1, 1.2))
            d.proc.send_signal(signal.SIGKILL)
            d.proc.wait(30)
            load.stop.set()
            load.join(30)
            # The front notices its core is gone and exits by itself.
            time.sleep(0.3)
        tap(not bad and d.start(t.signing),
            "OPS-4: after each of %d SIGKILLs under load hankod restarts: "
            "the anchor is never ahead of the durable ledger" % KILLS,
            bad or d.text()[-600:])
        tap("the ledger extends its HSM anchor" in d.text(),
            "and it says the ledger extends its anchor")
        for _ in range(5):
            admin.call("GET", "/admin/v1/users")
        d.stop()
        a_now = anchor(t.state, t.work)
        now_size = ledger_size(t.state)
        # 1. The old copy put back: behind the anchor.
        cur = t.work + "/ledger-cur"
        shutil.move(t.state + "/ledger", cur)
        shutil.copytree(old, t.state + "/ledger")
        ok, detail = start_fails(t, r"refusing to start: the ledger holds "
                                 r"%d events but the HSM anchor says %d "
                                 r"were committed" % (old_size, now_size))
        tap(ok, "OPS-4: an older copy of the ledger put back (%d events, "
            "anchor %d) is refused at start, saying why" % (old_size,
                                                            now_size),
            detail)
        tap(anchor(t.state, t.work) == a_now,
            "the refusal leaves the anchor as it was")
        # 2. A forked history of at least the anchor's length: the old copy
        # grown by a daemon that was shown no anchor (as if the token were
        # wiped), then the real anchor put back.
        r = p11(t.state, "--delete-object", "--type", "data", "--label",
                LABEL)
        tap(r.returncode == 0 and anchor(t.state, t.work) is None,
            "(set-up) the anchor deleted with pkcs11-tool", r.stderr)
        if d.start(t.signing):
            while ledger_size(t.state) < now_size + 3:
                admin.call("GET", "/admin/v1/users")
            d.stop()
        forked = ledger_size(t.state)
        r = p11(t.state, "--delete-object", "--type", "data", "--label",
                LABEL)
        with open(t.work + "/real-anchor.bin", "wb") as f:
            f.write(a_now)
        r2 = p11(t.state, "--write-object", t.work + "/real-anchor.bin",
                 "--type", "data", "--label", LABEL, "--application-label",
                 "hanko", "--private")
        tap(r.returncode == 0 and r2.returncode == 0 and
            anchor(t.state, t.work) == a_now and forked >= now_size,
            "(set-up) a forked ledger of %d events and the real anchor "
            "(%d) back in the token" % (forked, now_size),
            (r.stderr, r2.stderr))
        ok, detail = start_fails(t, r"refusing to start: the ledger's first "
                                 r"%d events do not hash to the root the "
                                 r"HSM anchor holds" % now_size)
        tap(ok, "OPS-4: a ledger with another history (longer than the "
            "anchor) is refused at start, saying why", detail)
        # 3. A tampered anchor (not signed by the ledger's key).
        bad_note = a_now.replace(b"\n" + str(now_size).encode() + b"\n",
                                 b"\n" + str(now_size - 1).encode() + b"\n",
                                 1)
        p11(t.state, "--delete-object", "--type", "data", "--label", LABEL)
        with open(t.work + "/bad-anchor.bin", "wb") as f:
            f.write(bad_note)
        p11(t.state, "--write-object", t.work + "/bad-anchor.bin", "--type",
            "data", "--label", LABEL, "--application-label", "hanko",
            "--private")
        shutil.rmtree(t.state + "/ledger")
        shutil.move(cur, t.state + "/ledger")
        ok, detail = start_fails(t, r"refusing to start: the ledger anchor "
                                 r"in the HSM is not a checkpoint signed by "
                                 r"this ledger's key")
        tap(ok, "OPS-4: an anchor whose checkpoint was altered is refused",
            detail)
        # 4. The real ledger and the real anchor: accepted again.
        p11(t.state, "--delete-object", "--type", "data", "--label", LABEL)
        p11(t.state, "--write-object", t.work + "/real-anchor.bin", "--type",
            "data", "--label", LABEL, "--application-label", "hanko",
            "--private")
        tap(d.start(t.signing) and
            LC.run(LC.HANKO + ["ledger", "verify", "--state", t.state])
            .returncode == 0,
            "the real ledger with its real anchor starts and verifies",
            d.text()[-400:])
        # 5. A byte of an old event changed under the running daemon: the
        # background verification notices, /readyz turns red, the failure
        # is recorded.
        extra = [ln[6:] for ln in LC.must(
            LC.HANKO + ["ledger", "receipt", "--state", t.state, "--seq",
                        "2"]).splitlines() if ln.startswith("extra ")][0]
        ev = __import__("base64").b64decode(extra)
        mark = ledger_size(t.state)
        with open(t.state + "/ledger/data.mdb", "r+b") as f:
            data = f.read()
            i = data.find(ev)
            hits = 0
            while i >= 0:
                f.seek(i + 20)
                f.write(bytes([data[i + 20] ^ 1]))
                hits += 1
                i = data.find(ev, i + 1)
        ready = None
        deadline = time.time() + (60 if LC.SLOW else 10)
        while time.time() < deadline:
            st, body = ready_status(t)
            if st == 503:
                ready = (st, body)
                break
            time.sleep(0.2)
        tap(hits > 0 and ready is not None and
            "failed its background verification" in ready[1],
            "OPS-4: a byte changed in event 2 of the running ledger turns "
            "/readyz red (503) within seconds, saying why",
            (hits, ready))
        tap(re.search(r"background verification FAILED", d.text()) and
            "signing is stopped" in d.text(),
            "the log says the verification failed and signing stopped",
            d.text()[-600:])
        shown = LC.run(LC.HANKO + ["ledger", "show", "--state", t.state,
                                   "--from", str(mark)])
        failed = [json for json in (
            __import__("json").loads(x) for x in shown.stdout.splitlines()
            if x) if json["type"] == "ledger.verified" and
            json["body"].get("result") == "failed"]
        tap(failed and "seq 2" in failed[0]["body"].get("message", ""),
            "the failure is recorded as ledger.verified failed, naming "
            "seq 2", failed[:1] or shown.stderr[-300:])
        d.stop()
    finally:
        if d is not None and getattr(d, "proc", None) is not None and \
                d.proc.poll() is None:
            d.proc.kill()
        if LC.FAILED == 0 and t.work:
            shutil.rmtree(t.work, ignore_errors=True)
        elif t.work:
            print("# work directory kept: %s" % t.work)
    print("1..%d" % LC.N)
    sys.exit(1 if LC.FAILED else 0)


if __name__ == "__main__":
    main()
