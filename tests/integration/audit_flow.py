# SPDX-License-Identifier: Apache-2.0
"""Issue 7 (offline half) on a real hankod: a whole signer flow (register,
enroll, generate, CSR, certificate, authorise, sign with ECDSA P-256, RSA
PKCS#1 v1.5 and RSA-PSS, suspend, resume, destroy, erase one signer),
then `hanko audit export` while hankod runs, `hanko audit verify`, every
signature's receipt through `hanko audit receipt-verify` with the
certificate and the hash, Go's sumdb/tlog over the bundle and the
receipts, and a byte-flip over every bundle file.

Usage: audit_flow.py GO_TLOGCHECK. Prints TAP. Run by 40-audit.sh."""
import hashlib
import os
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import cscclient as C  # noqa: E402
from cscclient import LC, authorize, sign_hash, SHA256  # noqa: E402
from cryptography.hazmat.primitives import serialization  # noqa: E402

tap = LC.tap
HANKO = LC.HANKO
GO = sys.argv[1]


def run(cmd):
    return subprocess.run(cmd, capture_output=True, text=True)


def sign_some(w, tok, c, n, algo, params=None):
    hs = [os.urandom(32) for _ in range(n)]
    r = authorize(w.csc, tok, c, hs)
    if r.status != 200:
        raise RuntimeError("authorize: %r" % r)
    r = sign_hash(w.csc, tok, c, r.js["SAD"], hs, algo, oid=SHA256,
                  params=params)
    if r.status != 200:
        raise RuntimeError("signHash: %r" % r)
    return hs


def main():
    work = tempfile.mkdtemp(prefix="hanko-audit-")
    w = None
    try:
        w = C.World(work, "audit")
        alice = w.signer("natural", "Alice Audit")
        corp = w.signer("legal", "Audit Seal", org="Audit Corp")
        bob = w.signer("natural", "Bob Erased")
        a256 = w.credential(alice, "p256", 2)
        arsa = w.credential(alice, "rsa2048", 2)
        seal = w.credential(corp, "p256", 1)
        bcred = w.credential(bob, "p256", 1)
        tap(True, "signers registered, credentials enrolled, keys "
            "generated, CSRs confirmed, certificates bound")
        creds = [a256, arsa, seal, bcred]
        signed = {}
        tok_a = w.csc.token(alice, w.passwords[alice])
        signed[a256.cid] = sign_some(w, tok_a, a256, 3, C.ECDSA_SHA256)
        signed[arsa.cid] = sign_some(w, tok_a, arsa, 2, C.RSA_SHA256)
        signed[arsa.cid] += sign_some(w, tok_a, arsa, 2, C.RSA_PSS,
                                      params=C.PSS_SHA256_DER)
        tok_c = w.csc.token(corp, w.passwords[corp])
        signed[seal.cid] = sign_some(w, tok_c, seal, 2, C.ECDSA_SHA256)
        tok_b = w.csc.token(bob, w.passwords[bob])
        signed[bcred.cid] = sign_some(w, tok_b, bcred, 1, C.ECDSA_SHA256)
        tap(True, "signatures made: ECDSA P-256, RSA PKCS#1 v1.5, RSA-PSS, "
            "an e-seal")
        # Suspend, resume, sign again; destroy; erase Bob.
        st, js = w.A.call("POST", "/admin/v1/credentials/%s/suspend" %
                          seal.cid, {"reason": "audit test"})
        st2, js2 = w.A.call("POST", "/admin/v1/credentials/%s/resume" %
                            seal.cid)
        signed[seal.cid] += sign_some(w, tok_c, seal, 1, C.ECDSA_SHA256)
        ok = st == 200 and st2 == 200
        for c in (seal, bcred):
            st, js = w.A.call("POST", "/admin/v1/credentials/%s/destroy" %
                              c.cid, {"reason": "termination"})
            aid = (js or {}).get("approval", "")
            st3, js3 = w.SO.call("POST", "/admin/v1/approvals/%s/approve" %
                                 aid)
            ok = ok and st3 == 200 and \
                w.admin_cred(c.cid).get("state") == "destroyed"
        st, js = w.A.call("POST", "/admin/v1/signers/%s/erase" % bob,
                          {"reason": "data subject request"})
        tap(ok and st == 200, "suspend, resume, destroy (dual control), "
            "erase a signer", js)

        # Export while hankod runs.
        vkey = work + "/vkey"
        with open(vkey, "w") as f:
            f.write(w.vkey() + "\n")
        b = work + "/bundle"
        r = run(HANKO + ["audit", "export", "--state", w.state, "--out", b])
        tap(r.returncode == 0, "audit export while hankod runs",
            r.stdout + r.stderr)
        r2 = run(HANKO + ["audit", "export", "--state", w.state, "--out", b])
        tap(r2.returncode == 2 and "refusing to overwrite" in r2.stderr,
            "audit export refuses an existing output", r2.stderr)
        import json
        man = json.load(open(b + "/manifest.json"))
        st = {c["credential"]: c["status"] for c in man["certificates"]}
        tap(st.get(a256.cid) == "exported" and st.get(seal.cid) ==
            "exported" and st.get(bcred.cid) == "erased" and
            os.path.exists(b + "/certs/%s.pem" % a256.cid) and
            not os.path.exists(b + "/certs/%s.pem" % bcred.cid),
            "OPS-6: the bundle holds every recoverable certificate; the "
            "erased signer's is marked erased", st)
        r = run(HANKO + ["audit", "verify", b, "--vkey", vkey])
        nsig = sum(len(v) for v in signed.values())
        tap(r.returncode == 0 and "signatures %d (each verified)" % nsig in
            r.stdout and "certificates 3 checked" in r.stdout,
            "SIG-6: audit verify passes: %d signatures verified, 3 "
            "certificates checked" % nsig, r.stdout + r.stderr)
        r = run([GO, "bundle", vkey, b])
        tap(r.returncode == 0, "Go sumdb/tlog reads the bundle's tiles and "
            "entries", r.stdout + r.stderr)

        # Every signature's receipt, with its certificate and hash.
        evs = w.events()
        sigs = [e for e in evs if e["type"] == "signature.created"]
        bad = []
        gobad = []
        certs = {}
        for c in creds:
            p = "%s/%s.pem" % (work, c.cid)
            with open(p, "wb") as f:
                f.write(c.cert.public_bytes(serialization.Encoding.PEM))
            certs[c.cid] = p
        for e in sigs:
            cid = e["subject"]["credential"]
            rp = "%s/r%d" % (work, e["seq"])
            with open(rp, "w") as f:
                f.write(w.receipt(e["seq"]))
            h = e["body"]["hash"]
            r = run(HANKO + ["audit", "receipt-verify", rp, "--vkey", vkey,
                             "--cert", certs[cid], "--hash", h])
            if r.returncode != 0:
                bad.append((e["seq"], r.stdout + r.stderr))
            if run([GO, "receipt", vkey, rp]).returncode != 0:
                gobad.append(e["seq"])
        tap(len(sigs) == nsig and not bad, "SIG-6: each of the %d receipts "
            "verifies with its certificate and hash" % len(sigs), bad[:2])
        tap(not gobad, "Go verifies each receipt", gobad)
        e = sigs[0]
        rp = "%s/r%d" % (work, e["seq"])
        other = [c for c in creds if c.cid != e["subject"]["credential"]][0]
        r = run(HANKO + ["audit", "receipt-verify", rp, "--vkey", vkey,
                         "--cert", certs[other.cid]])
        tap(r.returncode == 1 and "not the key that signed" in r.stdout,
            "receipt-verify refuses another credential's certificate",
            r.stdout)
        r = run(HANKO + ["audit", "receipt-verify", rp, "--vkey", vkey,
                         "--hash", "00" * 32])
        tap(r.returncode == 1 and "another hash" in r.stdout,
            "receipt-verify refuses another hash", r.stdout)

        # A byte flipped anywhere in any file is detected.
        files = []
        for d, _, fs in os.walk(b):
            files += [os.path.join(d, f) for f in fs]
        missed = []
        n = 0
        f2 = work + "/flip"
        for path in sorted(files):
            rel = os.path.relpath(path, b)
            size = os.path.getsize(path)
            for off in sorted({0, size // 3, size // 2, size - 1}):
                shutil.rmtree(f2, ignore_errors=True)
                shutil.copytree(b, f2)
                with open(os.path.join(f2, rel), "r+b") as f:
                    f.seek(off)
                    c = f.read(1)
                    f.seek(off)
                    f.write(bytes([c[0] ^ 0x01]))
                r = run(HANKO + ["audit", "verify", f2, "--vkey", vkey])
                n += 1
                if r.returncode != 1 or "FAILED" not in r.stdout:
                    missed.append((rel, off, r.returncode, r.stdout[-200:]))
        tap(not missed, "every single-byte change (%d, in all %d files) is "
            "detected" % (n, len(files)), missed[:3])
    except Exception as ex:
        import traceback
        traceback.print_exc()
        tap(False, "the audit flow ran to the end", repr(ex))
    finally:
        if w is not None:
            try:
                w.stop()
            except Exception:
                pass
        if not LC.FAILED:
            shutil.rmtree(work, ignore_errors=True)
        else:
            print("# work directory kept: " + work)
    print("1..%d" % LC.N)
    return 1 if LC.FAILED else 0


if __name__ == "__main__":
    sys.exit(main())
