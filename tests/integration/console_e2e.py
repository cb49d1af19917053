# SPDX-License-Identifier: Apache-2.0
"""The auditor console (issue 8, docs/console.md) end to end in a real
browser: a throwaway appliance (hanko init, hankod, SoftHSM) with a real
signing flow and an auditor certificate, then Debian's chromium driven by
playwright-core (tests/console/e2e.mjs) as the auditor, an administrator
and a client without a certificate. This side prepares what the browser
must find (the signer, the signature, a receipt, the vkey from `hanko
ledger vkey`, a wrong vkey), then compares what the browser saw with the
ledger: the overview's size with `hanko ledger verify`, the filtered
events with `hanko ledger show`, and the refusals recorded as
admin.request events. Prints TAP; skips (with the reason) only when
chromium or the npm module is not installed. Run by 45-console.sh."""
import base64
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time

from cryptography.hazmat.primitives.asymmetric import ed25519
from cryptography.hazmat.primitives import serialization

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import cscclient as C  # noqa: E402
import lifecycle as LC  # noqa: E402

tap = LC.tap
TOP = os.environ.get("TOP", os.path.abspath(os.path.dirname(__file__) +
                                            "/../.."))
BUILD = os.environ.get("BUILD", TOP + "/build")
CHROMIUM = "/usr/bin/chromium"
MODULES = TOP + "/tests/console/node_modules/playwright-core"


def skip(why):
    print("1..0 # SKIP %s" % why)
    sys.exit(0)


def wrong_vkey(name):
    """A well-formed vkey of the same name with another Ed25519 key."""
    pub = ed25519.Ed25519PrivateKey.generate().public_key().public_bytes(
        serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    kid = hashlib.sha256(name.encode() + b"\n\x01" + pub).digest()[:4]
    return "%s+%s+%s" % (name, kid.hex(),
                         base64.b64encode(b"\x01" + pub).decode())


def main():
    if not os.access(CHROMIUM, os.X_OK):
        skip("Debian's chromium is not installed (apt-get install chromium)")
    if not os.path.isdir(MODULES):
        skip("playwright-core is not installed (cd tests/console && npm ci)")
    if shutil.which("node") is None:
        skip("node is not installed (apt-get install nodejs)")
    work = tempfile.mkdtemp(prefix="hanko-console-")
    shots = BUILD + "/console-shots"
    os.makedirs(shots, exist_ok=True)
    w = None
    try:
        w = C.World(work, "console")
        tap(True, "hanko init and hankod start")
        pki = w.work + "/pki"
        opkey = w.state + "/ca/operator-ca.key"
        aud = LC.client_cert(pki, "auditor", w.opca, opkey)
        C.add_user(w, aud[0], "auditor")
        fp_aud = LC.cert_fp(aud[0])
        fp_adm = LC.cert_fp(w.state + "/admin/admin.crt")

        # A real signing flow: one signature over a known hash.
        sid = w.signer("natural", "Zanzibar Quux")
        c = w.credential(sid, "p256", 1)
        tok = w.csc.token(sid, c.password)
        h = os.urandom(32)
        r = C.authorize(w.csc, tok, c, [h])
        r2 = C.sign_hash(w.csc, tok, c, r.js["SAD"], [h], C.ECDSA_SHA256) \
            if r.status == 200 else r
        if r2.status != 200:
            raise RuntimeError("signing: %r %r" % (r, r2))
        sig_seq = r2.js["hanko_seqs"][0]
        sig_day = time.gmtime(time.time()).tm_mday
        bound = [e for e in w.events() if e["type"] == "certificate.bound"
                 and e["subject"]["credential"] == c.cid]
        vkey = w.vkey()
        origin = vkey.split("+")[0]
        mark = w.L.size()

        cfg = {
            "origin": "https://localhost:%d" % w.admin_port,
            "auditor": {"cert": aud[0], "key": aud[1]},
            "admin": {"cert": w.state + "/admin/admin.crt",
                      "key": w.state + "/admin/admin.key"},
            "vkey": vkey, "wrong_vkey": wrong_vkey(origin),
            "signer": sid, "credential": c.cid, "sig_seq": sig_seq,
            "hash_hex": h.hex(), "hash_b64": base64.b64encode(h).decode(),
            "cert_sha256": bound[-1]["body"]["certificate_sha256"],
            "cli_receipt": w.receipt(sig_seq),
            "personal": ["Zanzibar Quux"],
            "auditor_fp": fp_aud,
            "shots": shots,
        }
        cfg_path, out_path = work + "/cfg.json", work + "/out.json"
        with open(cfg_path, "w") as f:
            json.dump(cfg, f)
        p = subprocess.run(["node", TOP + "/tests/console/e2e.mjs", cfg_path,
                            out_path], capture_output=True, text=True,
                           timeout=600, cwd=TOP + "/tests/console")
        if p.returncode != 0 or not os.path.exists(out_path):
            tap(False, "the browser test ran to the end",
                (p.returncode, p.stderr[-1500:]))
            return
        out = json.load(open(out_path))
        for res in out["results"]:
            tap(res["ok"], "browser: " + res["name"], res["detail"])
        facts = out["facts"]
        note("%d requests from the browser; screenshots in %s" %
             (facts.get("requests", 0), shots))

        # The overview's size against `hanko ledger verify`: the console's
        # own views are recorded (OPS-6), so the ledger grew after the
        # overview read it, by admin.request records only, and the first
        # of them is the overview's own status request.
        v = LC.run(LC.HANKO + ["ledger", "verify", "--state", w.state])
        vsize = int(v.stdout.split()[1]) if v.stdout.startswith("ok: ") \
            else -1
        size = facts.get("overview_size", -1)
        evs = w.events(mark)
        after = [e for e in evs if e["seq"] >= size]
        first = after[0] if after else {}
        tap(v.returncode == 0 and vsize == w.L.size() and mark <= size <=
            vsize and all(e["type"] == "admin.request" for e in after) and
            first.get("body", {}).get("operation") == "audit.status" and
            first.get("actor", {}).get("id") == fp_aud,
            "the overview showed the size `hanko ledger verify` finds, but "
            "for the recorded views that came after it (overview %d, verify "
            "%d)" % (size, vsize), (v.stdout, size, first))
        tap(facts.get("overview_vkey") == vkey,
            "the overview shows the vkey of `hanko ledger vkey`",
            facts.get("overview_vkey"))
        tap(facts.get("overview_signatures") == 1,
            "the overview counts the one signature",
            facts.get("overview_signatures"))
        tap(facts.get("overview_today") == 1 or
            time.gmtime(time.time()).tm_mday != sig_day,
            "... and it was made today (UTC)", facts.get("overview_today"))

        # The signer filter equals `hanko ledger show` filtered.
        want = [e["seq"] for e in w.events() if
                e["subject"]["signer"] == sid]
        got = [r["seq"] for r in facts.get("signer_rows", [])]
        tap(got == want[:len(got)] and len(got) == min(len(want), 50) and
            len(got) > 5, "the signer filter shows exactly the signer's "
            "events of `hanko ledger show` (%d)" % len(got), (got, want))

        # Every console request recorded; the refusal of the administrator
        # too (the certificate-less client never reached the core).
        recs = [e for e in w.events(mark) if e["type"] == "admin.request" and
                e["body"]["operation"] == "console"]
        allowed = [e for e in recs if e["actor"]["id"] == fp_aud and
                   e["body"]["outcome"] == "allowed"]
        refused = [e for e in recs if e["actor"]["id"] == fp_adm and
                   e["body"]["outcome"] == "refused" and
                   e["body"]["status"] == 403]
        tap(len(allowed) >= 4 and
            {"/console/", "/console/app.js", "/console/verify.js",
             "/console/style.css"} <= {e["body"]["target"] for e in allowed},
            "OPS-6: the auditor's console requests are recorded with their "
            "path", sorted({e["body"]["target"] for e in allowed}))
        tap(len(refused) == 2 and
            {e["body"]["target"] for e in refused} ==
            {"/console/", "/console/app.js"},
            "OPS-6: the administrator's refusals are recorded "
            "(admin.request console refused 403)", refused)
        tap(facts.get("admin_status") == 403, "the administrator got 403",
            facts.get("admin_status"))
        others = [e for e in w.events(mark) if e["type"] != "admin.request"]
        tap(others == [], "the console changed nothing: every event it "
            "caused is an admin.request record", others[:3])
        r = LC.run(LC.HANKO + ["ledger", "verify", "--state", w.state])
        tap(r.returncode == 0, "the ledger verifies at the end", r.stdout)
    except Exception as e:  # a crash of the test is a failure
        import traceback
        traceback.print_exc()
        tap(False, "the console test ran to the end", repr(e))
    finally:
        if w is not None:
            w.stop()
        if not LC.FAILED and not os.environ.get("HK_KEEP"):
            shutil.rmtree(work, ignore_errors=True)
    print("1..%d" % LC.N)
    return 1 if LC.FAILED else 0


def note(msg):
    print("# " + msg)
    sys.stdout.flush()


if __name__ == "__main__":
    sys.exit(main())
