# SPDX-License-Identifier: Apache-2.0
"""Set up a throwaway Hanko appliance and run build/bench/bench_csc on it
(issue 6; docs/benchmarks.md, "Signing (issue 6)").

The set-up is the one of tests/integration/lifecycle.py, whose helpers it
imports: `hanko init` with a test CA made by the openssl command line,
hankod started, then per benchmark credential: a signer registered, a
level 1 P-256 credential created, enrolled (password, PIN), its key
generated in the HSM, its CSR confirmed by the signer and issued by the
test CA, the certificate bound. The credentials are written to a file
(mode 0600) for bench_csc, which is then run with every argument this
script does not know; hankod is stopped and the directory removed at the
end (unless --keep).

    python3 tests/bench/bench_csc.py [--build build] [--creds 4]
        [--set section.key=value ...] [--keep] [--setup-only]
        [bench_csc options...]

--set changes hanko.conf before the start (e.g. --set hsm.sessions=2,
--set ledger.commit_window_us=500). --setup-only leaves the appliance
running and prints the bench_csc command (for profiling by hand); stop it
with kill PID."""
import argparse
import os
import shutil
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))


def set_conf(path, settings):
    """Set section.key=value in the INI file ${path}: replace the key in
    its section or add it (and the section) at the end of the section."""
    lines = open(path).read().splitlines()
    for item in settings:
        key, value = item.split("=", 1)
        section, name = key.split(".", 1)
        cur, insert_at, done = None, None, False
        for i, line in enumerate(lines):
            s = line.strip()
            if s.startswith("[") and s.endswith("]"):
                if cur == section:
                    insert_at = i
                cur = s[1:-1]
            elif cur == section and s.split("=", 1)[0].strip() == name:
                lines[i] = "%s = %s" % (name, value)
                done = True
        if done:
            continue
        if cur == section and insert_at is None:
            insert_at = len(lines)
        if insert_at is None:
            lines += ["[%s]" % section, "%s = %s" % (name, value)]
        else:
            lines.insert(insert_at, "%s = %s" % (name, value))
    with open(path, "w") as f:
        f.write("\n".join(lines) + "\n")


def credential(lc, t, ca, i):
    """One active level 1 P-256 credential; returns the creds line."""
    tag = os.urandom(4).hex()
    st, js = t.A.call("POST", "/admin/v1/signers",
                      {"kind": "natural", "name": "Bench Signer %d %s" %
                       (i, tag), "organization": "",
                       "email": "bench%d.%s@example.test" % (i, tag),
                       "identity_proofing": "bench-%s" % tag})
    if st not in (200, 201):
        raise RuntimeError("register: %s %s" % (st, js))
    sid = js["signer_id"]
    st, js = t.A.call("POST", "/admin/v1/signers/%s/credentials" % sid,
                      {"algorithm": "p256", "level": 1})
    if st not in (200, 201):
        raise RuntimeError("credential: %s %s" % (st, js))
    cid, code = js["credential_id"], js["enrollment_code"]
    password = "bench-password-" + os.urandom(8).hex()
    pin = "%08d" % (int.from_bytes(os.urandom(4), "big") % 100000000)
    st, js = lc.enroll(t, code, password, pin)
    if st != 200:
        raise RuntimeError("enroll: %s %s" % (st, js))
    t.L.mark()
    st, js = t.A.call("POST", "/admin/v1/credentials/%s/key" % cid)
    kg = [e for e in t.L.since() if e["type"] == "key.generated"]
    if st != 200 or not kg:
        raise RuntimeError("key: %s %s" % (st, js))
    keyid = kg[0]["body"]["key_id"]
    st, js = t.A.call("POST", "/admin/v1/credentials/%s/csr" % cid)
    if st != 200:
        raise RuntimeError("csr: %s %s" % (st, js))
    chain, _ = lc.certify(t, cid, (sid, password), pin, ca)
    st, js = t.A.call("PUT", "/admin/v1/credentials/%s/certificate" % cid,
                      {"chain": open(chain).read()})
    if st != 200 or js.get("state") != "active":
        raise RuntimeError("certificate: %s %s" % (st, js))
    return "\t".join((sid, password, cid, pin, keyid))


def main():
    ap = argparse.ArgumentParser(add_help=False)
    ap.add_argument("--build", default=os.path.join(ROOT, "build"))
    ap.add_argument("--creds", type=int, default=4)
    ap.add_argument("--set", action="append", default=[])
    ap.add_argument("--keep", action="store_true")
    ap.add_argument("--setup-only", action="store_true")
    ap.add_argument("-h", "--help", action="store_true")
    opts, rest = ap.parse_known_args()
    if opts.help:
        print(__doc__)
        return 0
    build = os.path.abspath(opts.build)
    os.environ["BUILD"] = build
    sys.path.insert(0, os.path.join(ROOT, "tests", "integration"))
    import lifecycle as lc  # noqa: E402 (needs BUILD set first)

    class T:
        pass

    t = T()
    t.work = tempfile.mkdtemp(prefix="hanko-cscbench-")
    t.d = None
    ok = False
    try:
        pki = t.work + "/pki"
        os.makedirs(pki)
        ca = lc.CA(pki, "bench-root")
        t.state = t.work + "/state"
        t.signing, t.admin_port = lc.free_port(), lc.free_port()
        lc.must(lc.HANKO + ["init", "--state", t.state, "--origin",
                            "example.test/hanko/bench", "--trusted-cas",
                            ca.crt, "--signing-listen",
                            "127.0.0.1:%d" % t.signing, "--admin-listen",
                            "127.0.0.1:%d" % t.admin_port])
        if opts.set:
            set_conf(t.state + "/hanko.conf", opts.set)
        t.opca = t.state + "/ca/operator-ca.crt"
        t.A = lc.Api(t.admin_port, t.opca, (t.state + "/admin/admin.crt",
                                            t.state + "/admin/admin.key"))
        t.sign = lc.Api(t.signing, t.opca)
        t.L = lc.Ledger(t.state)
        t.d = lc.Daemon(t.state, t.work + "/hankod.log")
        if not t.d.start(t.signing):
            raise RuntimeError("hankod did not start: " + t.d.text()[-800:])
        creds = t.work + "/creds.tsv"
        lines = [credential(lc, t, ca, i) for i in range(opts.creds)]
        fd = os.open(creds, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as f:
            f.write("\n".join(lines) + "\n")
        cmd = [build + "/bench/bench_csc", "--state", t.state, "--creds",
               creds, "--pid", str(t.d.proc.pid)] + rest
        if opts.setup_only:
            print("appliance in %s (hankod pid %d, log %s/hankod.log)\n%s"
                  % (t.work, t.d.proc.pid, t.work, " ".join(cmd)))
            sys.stdout.flush()
            os._exit(0)
        sys.stdout.flush()
        r = subprocess.run(cmd)
        ok = r.returncode == 0
    finally:
        if t.d is not None and t.d.proc.poll() is None:
            t.d.stop()
        if not ok:
            sys.stderr.write("bench_csc.py: hankod log tail:\n%s\n" %
                             (t.d.text()[-2000:] if t.d else ""))
        if opts.keep or not ok:
            sys.stderr.write("bench_csc.py: kept %s\n" % t.work)
        else:
            shutil.rmtree(t.work, ignore_errors=True)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
