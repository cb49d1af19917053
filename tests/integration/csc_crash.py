# SPDX-License-Identifier: Apache-2.0
"""Crash test of issue 6 (SIG-3, ACT-6, SIG-6): under signing load over
the CSC v2 API, hankod's whole process group is killed with SIGKILL at a
random moment, at least 50 times (fewer under valgrind/ASan). After each
restart:

- every signature any client received (HTTP 200, fully read) is in the
  ledger as a signature.created event with the same bytes, the same hash,
  the SAD id of the authorisation that produced it, at the seq the answer
  named (hanko_seqs): the answer never leaves before the record is
  durable (SIG-3);
- every SAD obtained before the kill, used or not, is refused ("Invalid
  parameter SAD"): no SAD works twice (ACT-6);
- `hanko ledger verify` passes.

At the end, over the whole ledger: no (SAD, hash) pair is signed twice;
every signature.created follows an authorization.granted of its SAD that
lists its hash; no SAD has more signatures than its num_signatures.

The clients are independent (python ssl/http.client, keep-alive), the
credentials are level 1 seals (PIN only: TOTP steps, 30 s each, would
throttle the load at level 2) set up through the admin API. Prints TAP.
Run by 17-csc-crash.sh."""
import base64
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import cscclient as C  # noqa: E402
from cscclient import LC, SHA256, ECDSA_SHA256, RSA_SHA256, b64  # noqa: E402

tap = LC.tap
SLOW = C.SLOW
CYCLES = int(os.environ.get("HK_CSC_CRASH_CYCLES", 10 if SLOW else 50))
CLIENTS = 2 if SLOW else 4
BAD_SAD = ("invalid_request", "Invalid parameter SAD")


def live_members(pgid):
    """Processes of group ${pgid} that are not zombies: a killed front
    whose parent died waits for PID 1 to reap it, and PID 1 is not always
    quick (or an init) on test machines."""
    alive = []
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        try:
            with open("/proc/%s/stat" % d) as f:
                st = f.read()
        except OSError:
            continue
        fields = st[st.rindex(")") + 2:].split()
        if int(fields[2]) == pgid and fields[0] != "Z":
            alive.append(int(d))
    return alive


class Daemon:
    """hankod in its own process group, so that SIGKILL reaches the core
    and the front at once."""

    def __init__(self, w):
        self.w = w
        self.proc = None

    def start(self):
        self.logf = open(self.w.work + "/hankod.log", "ab")
        self.proc = subprocess.Popen(C.HANKOD + ["--state", self.w.state],
                                     stdout=self.logf, stderr=self.logf,
                                     start_new_session=True)
        deadline = time.time() + (180 if SLOW else 30)
        while time.time() < deadline:
            if self.proc.poll() is not None:
                return False
            try:
                r = self.w.csc.call("info", verb="GET")
                if r.status == 200:
                    return True
            except OSError:
                pass
            time.sleep(0.05)
        return False

    def kill(self):
        try:
            os.killpg(self.proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        self.proc.wait(30)
        # Every process of the group is gone before the restart.
        deadline = time.time() + 10
        while time.time() < deadline and live_members(self.proc.pid):
            time.sleep(0.05)
        self.logf.close()

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(60)
            except subprocess.TimeoutExpired:
                self.kill()


class Client(threading.Thread):
    """Logs in, then loops: authorize 2 hashes, signHash them one by one
    (or both at once), on one keep-alive TLS connection, until told to
    stop or the daemon dies."""

    def __init__(self, w, cred, algo):
        super().__init__(daemon=True)
        self.w, self.c, self.algo = w, cred, algo
        self.csc = C.Csc(w.signing, w.opca, timeout=60 if SLOW else 10)
        self.stop = threading.Event()
        self.sads = []        # (SAD, [hashes]) obtained
        self.signed = []      # (SAD, hash, signature bytes, seq)
        self.errors = []      # unexpected answers while the daemon lived
        self.cut = False      # a request was in flight at the kill

    def run(self):
        try:
            r = self.csc.call("auth/login", {}, auth=(self.c.sid,
                                                       self.c.password),
                              keep=True)
            if r.status != 200:
                self.errors.append(("login", r))
                return
            tok = r.js["access_token"]
            while not self.stop.is_set():
                hs = [C.digest(), C.digest()]
                r = self.csc.call(
                    "credentials/authorize",
                    {"credentialID": self.c.cid, "numSignatures": 2,
                     "hashes": [b64(h) for h in hs],
                     "hashAlgorithmOID": SHA256,
                     "authData": [{"id": "PIN", "value": self.c.pin}]},
                    token=tok, keep=True)
                if r.status != 200:
                    self.errors.append(("authorize", r))
                    return
                sad = r.js["SAD"]
                self.sads.append((sad, hs))
                batches = [hs] if random.random() < 0.3 else [[hs[0]],
                                                             [hs[1]]]
                for b in batches:
                    r = C.sign_hash(self.csc, tok, self.c, sad, b, self.algo,
                                    keep=True)
                    if r.status != 200:
                        self.errors.append(("signHash", r))
                        return
                    for h, s, q in zip(b, r.js["signatures"],
                                       r.js["hanko_seqs"]):
                        self.signed.append((sad, h, base64.b64decode(s), q))
        except Exception as e:
            # The daemon was killed under this request (or between two).
            self.cut = True
            self.exc = repr(e)
        finally:
            self.csc.close()


def main():
    def on_term(signum, frame):
        raise SystemExit("terminated")
    signal.signal(signal.SIGTERM, on_term)
    work = None
    d = None
    rng = random.Random(int.from_bytes(os.urandom(4), "big"))
    try:
        work = tempfile.mkdtemp(prefix="hanko-csc-crash-")
        w = C.World(work, "crash")
        # The World started a daemon the lifecycle way; set up the
        # credentials with it, then restart it in its own process group.
        creds = []
        for i in range(CLIENTS):
            sid = w.signer("legal", "Crash Seal %d" % i, org="Crash Corp")
            algo = "rsa2048" if i == CLIENTS - 1 else "p256"
            creds.append(w.credential(sid, algo, 1, chain="root"))
        w.stop()
        d = Daemon(w)
        started = d.start()
        tap(started, "hankod started in its own process group, %d level 1 "
            "credentials (p256, rsa2048)" % len(creds))
        if not started:
            return
        r = w.csc.call("info", {})
        if not tap(r.status == 200 and isinstance(r.js, dict) and
                   r.js.get("specs") == "2.0.0.2",
                   "the CSC API answers (is it implemented?)", r):
            return
        vkey = w.vkey()
        t_start = time.time()
        lost, unrefused, verify_bad, restart_bad, errors = [], [], [], [], []
        n_sigs = n_sads = n_cut = 0
        seen_size = 0
        for cycle in range(CYCLES):
            clients = [Client(w, c, RSA_SHA256 if c.algorithm == "rsa2048"
                              else ECDSA_SHA256) for c in creds]
            for cl in clients:
                cl.start()
            time.sleep(rng.uniform(0.15, 1.5) * (4 if SLOW else 1))
            d.kill()
            for cl in clients:
                cl.stop.set()
            for cl in clients:
                cl.join(120)
            if not d.start():
                restart_bad.append(cycle)
                break
            for cl in clients:
                errors += [(cycle, e) for e in cl.errors]
                n_cut += cl.cut
            # Every signature received is recorded with the same bytes.
            evs = w.L.events(seen_size)
            created = {}
            for e in evs:
                if e["type"] == "signature.created":
                    created[e["seq"]] = e
            if evs:
                seen_size = evs[-1]["seq"] + 1
            for cl in clients:
                for sad, h, sig, seq in cl.signed:
                    n_sigs += 1
                    e = created.get(seq)
                    if e is None or e["body"].get("hash") != h.hex() or \
                            e["body"].get("signature") != sig.hex() or \
                            e["body"].get("sad_id") not in \
                            C.secret_ids(sad) or \
                            e["subject"]["credential"] != cl.c.cid:
                        lost.append((cycle, seq, e and e["body"]))
                    why = C.verify_sig(cl.c.cert, cl.algo, h, sig)
                    if why:
                        lost.append((cycle, seq, "signature: " + why))
            # Every SAD obtained before the kill is refused now.
            for cl in clients:
                if not cl.sads:
                    continue
                csc = C.Csc(w.signing, w.opca)
                tok = csc.token(cl.c.sid, cl.c.password)
                for sad, hs in cl.sads:
                    n_sads += 1
                    r = C.sign_hash(csc, tok, cl.c, sad, hs[-1:], cl.algo,
                                    keep=True)
                    if not C.expect(r, 400, *BAD_SAD):
                        unrefused.append((cycle, r))
                csc.close()
            r = LC.run(C.HANKO + ["ledger", "verify", "--state", w.state])
            if r.returncode != 0:
                verify_bad.append((cycle, r.stdout[-200:] + r.stderr[-200:]))
        elapsed = time.time() - t_start
        done = CYCLES - len(restart_bad)
        tap(not restart_bad, "hankod restarted after each of %d SIGKILLs of "
            "its process group (%.0f s)" % (CYCLES, elapsed), restart_bad)
        tap(not errors, "while the daemon lived, no client got an "
            "unexpected answer", errors[:5])
        tap(n_sigs >= 2 * done and n_cut >= done // 2,
            "the load was real: %d signatures received, %d SADs, requests "
            "cut by %d kills" % (n_sigs, n_sads, n_cut), (n_sigs, n_cut))
        tap(not lost, "SIG-3: after every kill, each of the %d signatures "
            "clients received is a signature.created event with the same "
            "hash, signature bytes and SAD id at the seq it was answered "
            "with, and verifies" % n_sigs, lost[:5])
        tap(not unrefused, "ACT-6: after every restart, each of the %d SADs "
            "obtained before the kill (used or not) is refused (\"Invalid "
            "parameter SAD\")" % n_sads, unrefused[:5])
        tap(not verify_bad, "SIG-6: hanko ledger verify passes after every "
            "restart", verify_bad[:3])
        # Whole-ledger invariants.
        granted, count, pairs, bad = {}, {}, set(), []
        for e in w.L.events(0):
            b = e["body"]
            if e["type"] == "authorization.granted":
                granted[b["sad_id"]] = (set(b.get("hashes", [])),
                                        b.get("num_signatures"))
            elif e["type"] == "signature.created":
                sid = b.get("sad_id")
                key = (sid, b.get("hash"))
                if sid not in granted or b.get("hash") not in granted[sid][0]:
                    bad.append(("no grant", e["seq"]))
                if key in pairs:
                    bad.append(("twice", e["seq"]))
                pairs.add(key)
                count[sid] = count.get(sid, 0) + 1
                if sid in granted and count[sid] > granted[sid][1]:
                    bad.append(("over count", e["seq"]))
        tap(not bad and len(pairs) >= n_sigs,
            "ACT-6, SIG-3: over the whole ledger (%d signatures), no SAD "
            "signed a hash twice or more than its count, and every "
            "signature follows the authorisation that listed its hash" %
            len(pairs), bad[:5])
        try:
            seq = max(s for cl in clients for _, _, _, s in cl.signed)
        except ValueError:
            seq = None
        if seq is not None:
            try:
                ev, idx = C.verify_receipt(w.receipt(seq), vkey)
                ok = idx == seq and ev[4] == 19
            except Exception as e:
                ok, ev = False, repr(e)
            tap(ok, "SIG-6: the receipt of a signature made just before a "
                "kill verifies offline", ev)
    except BaseException as e:
        import traceback
        traceback.print_exc()
        tap(False, "the crash test ran to the end", repr(e))
    finally:
        if d is not None:
            d.stop()
        if work and not LC.FAILED and not os.environ.get("HK_KEEP"):
            shutil.rmtree(work, ignore_errors=True)
        elif work:
            print("# work directory kept: " + work)
    print("1..%d" % LC.N)
    return 1 if LC.FAILED else 0


if __name__ == "__main__":
    sys.exit(main())
