# SPDX-License-Identifier: Apache-2.0
"""Black-box tests of issue 5: privileged users, dual control, signers,
enrollment, keys, CSRs, certificates, suspension, destruction, renewal,
lockout and erasure, on the real hankod over real TLS.

Everything Hanko says is checked with tools that share no code with it:
python's ssl/http.client as the client, the openssl command line as the
test CA and CSR verifier, python3-cryptography for keys and fingerprints,
oathtool for TOTP codes, pkcs11-tool for what is really in the token, and
`hanko ledger show` (the ledger's own decoder, checked against the Go
sumdb verifier in 03-ledger-interop-go.sh) for the events.
Prints TAP. Run by 15-lifecycle.sh."""
import base64
import hashlib
import http.client
import json
import os
import re
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import tempfile
import time
import urllib.parse

from cryptography import x509
from cryptography.hazmat.primitives import serialization

BUILD = os.environ["BUILD"]
WRAP = os.environ.get("HK_WRAP", "").split()
SLOW = bool(WRAP) or "asan" in BUILD
HANKO = WRAP + [BUILD + "/bin/hanko"]
HANKOD = WRAP + [BUILD + "/bin/hankod"]
N = 0
FAILED = 0
ZERO_S = "s-" + "0" * 16
ZERO_C = "c-" + "0" * 16
ZERO_A = "a-" + "0" * 16
ZERO_FP = "0" * 64


def tap(ok, desc, detail=""):
    global N, FAILED
    N += 1
    if not ok:
        FAILED += 1
    print("%s %d - %s%s" % ("ok" if ok else "not ok", N, desc,
                           "" if ok or not detail else ": " + str(detail)[:400]))
    sys.stdout.flush()
    return ok


def run(cmd, **kw):
    return subprocess.run(cmd, capture_output=True, text=True, **kw)


def must(cmd, **kw):
    r = run(cmd, **kw)
    if r.returncode != 0:
        raise RuntimeError("%s: %s" % (" ".join(cmd), r.stderr[-500:]))
    return r.stdout


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    p = s.getsockname()[1]
    s.close()
    return p


# ---- the test CA, with the openssl command line -----------------------------

class CA:
    """A CA directory for `openssl ca`: a root (self-signed) or an
    intermediate (issued by another CA)."""

    def __init__(self, work, name, parent=None):
        self.dir = "%s/%s" % (work, name)
        os.makedirs(self.dir + "/new")
        open(self.dir + "/index.txt", "w").close()
        with open(self.dir + "/serial", "w") as f:
            f.write("1000\n")
        self.key, self.crt = self.dir + "/ca.key", self.dir + "/ca.crt"
        self.cnf = self.dir + "/ca.cnf"
        with open(self.cnf, "w") as f:
            f.write("""[ca]
default_ca = this
[this]
dir = %s
database = $dir/index.txt
new_certs_dir = $dir/new
serial = $dir/serial
default_md = sha256
policy = anything
unique_subject = no
copy_extensions = none
default_days = 365
[anything]
commonName = optional
[leaf]
basicConstraints = critical,CA:FALSE
keyUsage = critical,digitalSignature,nonRepudiation
[leaf_kenc]
basicConstraints = critical,CA:FALSE
keyUsage = critical,keyEncipherment
[leaf_ca]
basicConstraints = critical,CA:TRUE
keyUsage = critical,keyCertSign,digitalSignature
[sub_ca]
basicConstraints = critical,CA:TRUE,pathlen:0
keyUsage = critical,keyCertSign,cRLSign
""" % self.dir)
        subj = "/O=Hanko Test PKI/CN=%s" % name
        if parent is None:
            must(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
                  "ec_paramgen_curve:P-256", "-nodes", "-keyout", self.key,
                  "-out", self.crt, "-days", "3650", "-subj", subj,
                  "-addext", "basicConstraints=critical,CA:TRUE",
                  "-addext", "keyUsage=critical,keyCertSign,cRLSign"])
        else:
            csr = self.dir + "/ca.csr"
            must(["openssl", "req", "-new", "-newkey", "ec", "-pkeyopt",
                  "ec_paramgen_curve:P-256", "-nodes", "-keyout", self.key,
                  "-out", csr, "-subj", subj])
            parent.issue(csr, self.crt, ext="sub_ca", days=3000)

    def issue(self, csr, out, ext="leaf", days=365, start=None, end=None):
        cmd = ["openssl", "ca", "-batch", "-notext", "-preserveDN",
               "-config", self.cnf, "-cert", self.crt, "-keyfile", self.key,
               "-extfile", self.cnf, "-extensions", ext, "-in", csr,
               "-out", out]
        if start:
            cmd += ["-startdate", start, "-enddate", end]
        else:
            cmd += ["-days", str(days)]
        must(cmd)
        return open(out).read()


def client_cert(work, name, opca_crt, opca_key):
    """A client certificate from the operator CA, for a privileged user."""
    key, csr, crt = ("%s/%s.%s" % (work, name, e) for e in
                     ("key", "csr", "crt"))
    ext = "%s/%s.ext" % (work, name)
    with open(ext, "w") as f:
        f.write("basicConstraints=critical,CA:FALSE\n"
                "keyUsage=critical,digitalSignature\n"
                "extendedKeyUsage=clientAuth\n")
    must(["openssl", "req", "-new", "-newkey", "ec", "-pkeyopt",
          "ec_paramgen_curve:P-256", "-nodes", "-keyout", key, "-out", csr,
          "-subj", "/O=Hanko/CN=%s" % name])
    must(["openssl", "x509", "-req", "-in", csr, "-CA", opca_crt,
          "-CAkey", opca_key, "-CAcreateserial", "-days", "30",
          "-extfile", ext, "-out", crt])
    return crt, key


def cert_fp(pem_path):
    c = x509.load_pem_x509_certificate(open(pem_path, "rb").read())
    return hashlib.sha256(c.public_bytes(serialization.Encoding.DER)) \
        .hexdigest()


# ---- talking to hankod -------------------------------------------------------

class Api:
    def __init__(self, port, ca, cert=None):
        self.port = port
        self.ctx = ssl.create_default_context(cafile=ca)
        if cert:
            self.ctx.load_cert_chain(*cert)

    def call(self, method, path, body=None, basic=None, raw=None):
        c = http.client.HTTPSConnection("localhost", self.port,
                                        context=self.ctx, timeout=120)
        headers = {"Connection": "close"}
        data = None
        if raw is not None:
            data = raw
        elif body is not None:
            data = json.dumps(body).encode()
        if data is not None:
            headers["Content-Type"] = "application/json"
        if basic:
            headers["Authorization"] = "Basic " + base64.b64encode(
                ("%s:%s" % basic).encode()).decode()
        try:
            c.request(method, path, body=data, headers=headers)
            r = c.getresponse()
            text = r.read()
        finally:
            c.close()
        try:
            js = json.loads(text) if text else None
        except ValueError:
            js = {"_raw": text[:200]}
        return r.status, js


def err(js):
    return (js or {}).get("error_description", "")


class Daemon:
    def __init__(self, state, log):
        self.state, self.log = state, log

    def start(self, signing):
        self.logf = open(self.log, "ab")
        self.proc = subprocess.Popen(HANKOD + ["--state", self.state],
                                     stdout=self.logf, stderr=self.logf)
        ctx = ssl.create_default_context(cafile=self.state +
                                         "/ca/operator-ca.crt")
        deadline = time.time() + (120 if SLOW else 30)
        while time.time() < deadline:
            if self.proc.poll() is not None:
                return False
            try:
                c = http.client.HTTPSConnection("localhost", signing,
                                                context=ctx, timeout=5)
                c.request("GET", "/readyz")
                if c.getresponse().status == 200:
                    return True
            except OSError:
                pass
            time.sleep(0.2)
        return False

    def stop(self):
        self.proc.send_signal(signal.SIGTERM)
        try:
            return self.proc.wait(120 if SLOW else 30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            return None

    def text(self):
        with open(self.log, "rb") as f:
            return f.read().decode("utf-8", "replace")


class Ledger:
    """The ledger as `hanko ledger show` decodes it."""

    def __init__(self, state):
        self.state = state
        self.mark_at = 0

    def events(self, start=0):
        out = must(HANKO + ["ledger", "show", "--state", self.state,
                            "--from", str(start)])
        return [json.loads(line) for line in out.splitlines() if line]

    def size(self):
        return len(self.events())

    def mark(self):
        self.mark_at = self.size()

    def since(self):
        return self.events(self.mark_at)


def types(evs):
    return [e["type"] for e in evs]


# ---- TOTP with oathtool --------------------------------------------------------

class Totp:
    def __init__(self, uri):
        u = urllib.parse.urlparse(uri)
        q = urllib.parse.parse_qs(u.query)
        self.uri = u
        self.q = q
        self.secret = q["secret"][0]
        self.last = 0

    def _next(self):
        while True:
            now = int(time.time())
            step = max(self.last + 1, now // 30 - 1)
            if step <= now // 30 + 1:
                return step
            time.sleep(1)

    def _oath(self, step):
        return must(["oathtool", "--totp", "-b", "-N", "@%d" % (step * 30),
                     self.secret]).strip()

    def code(self):
        """A code for a step after the last one the server accepted and
        within one step of now (the server's window), from oathtool; for
        a request expected to succeed (the step is then used up)."""
        self.last = self._next()
        return self._oath(self.last)

    def peek(self):
        """A valid code for a request expected to fail before the OTP is
        accepted (the step stays unused)."""
        return self._oath(self._next())


def pkcs11_keys(state):
    """The private keys really in the token, as pkcs11-tool lists them:
    CKA_ID -> the object's text (label, usage, access)."""
    conf = open(state + "/hanko.conf").read()
    label = re.search(r"(?m)^token = (.*)$", conf).group(1)
    pin = open(state + "/hsm.pin").read().strip()
    env = dict(os.environ,
               SOFTHSM2_CONF=state + "/softhsm/softhsm2.conf")
    out = must(["pkcs11-tool", "--module", "/usr/lib/softhsm/libsofthsm2.so",
                "--token-label", label, "--login", "--pin", pin,
                "--list-objects", "--type", "privkey"], env=env)
    keys = {}
    for obj in out.split("Private Key Object")[1:]:
        m = re.search(r"ID:\s+([0-9a-f]+)", obj)
        if m:
            keys[m.group(1)] = obj
    return keys


def pkcs11_key_ids(state):
    return set(pkcs11_keys(state))


def grep_state(state, needles):
    """Which of ${needles} (bytes) appear anywhere under the state
    directory's ledger and token files."""
    found = set()
    for root, _, files in os.walk(state):
        for f in files:
            data = open(os.path.join(root, f), "rb").read()
            for n in needles:
                if n in data:
                    found.add((n, os.path.relpath(os.path.join(root, f),
                                                  state)))
    return found


# ---- the tests -------------------------------------------------------------------

class T:
    pass


def setup():
    t = T()
    t.work = tempfile.mkdtemp(prefix="hanko-lifecycle-")
    pki = t.work + "/pki"
    os.makedirs(pki)
    # Two trusted roots (SIG-7), an intermediate under the first, and a
    # root nobody trusts.
    t.root_a = CA(pki, "root-a")
    t.int_a = CA(pki, "int-a", parent=t.root_a)
    t.root_b = CA(pki, "root-b")
    t.root_c = CA(pki, "root-c")
    bundle = pki + "/trusted.pem"
    with open(bundle, "w") as f:
        f.write(open(t.root_a.crt).read() + open(t.root_b.crt).read())
    t.state = t.work + "/state"
    t.signing, t.admin_port = free_port(), free_port()
    r = run(HANKO + ["init", "--state", t.state, "--origin",
                     "example.test/hanko/lifecycle", "--trusted-cas", bundle,
                     "--signing-listen", "127.0.0.1:%d" % t.signing,
                     "--admin-listen", "127.0.0.1:%d" % t.admin_port])
    tap(r.returncode == 0, "hanko init with two trusted CAs", r.stderr)
    # Enrollment codes live 60 s (the policy minimum), so that one of them
    # can be seen to expire during the run.
    with open(t.state + "/hanko.conf", "a") as f:
        f.write("[policy]\nenrollment_code_s = 60\n")
    t.opca = t.state + "/ca/operator-ca.crt"
    opkey = t.state + "/ca/operator-ca.key"
    t.certs = {
        "administrator": (t.state + "/admin/admin.crt",
                          t.state + "/admin/admin.key"),
        "security_officer": (t.state + "/so/so.crt", t.state + "/so/so.key"),
    }
    for name in ("so2", "auditor", "operator", "stranger", "admin2"):
        t.certs[name] = client_cert(pki, name, t.opca, opkey)
    t.fp = {k: cert_fp(v[0]) for k, v in t.certs.items()}
    t.api = {k: Api(t.admin_port, t.opca, v) for k, v in t.certs.items()}
    t.A = t.api["administrator"]
    t.SO = t.api["security_officer"]
    t.sign = Api(t.signing, t.opca)
    t.d = Daemon(t.state, t.work + "/hankod.log")
    t.L = Ledger(t.state)
    tap(t.d.start(t.signing), "hankod starts", t.d.text()[-800:])
    return t


def approve(t, who, aid):
    return t.api[who].call("POST", "/admin/v1/approvals/%s/approve" % aid)


def privileged_users(t):
    """OPS-1, OPS-2, OPS-6: users, roles, dual control, attribution."""
    st, js = t.A.call("GET", "/admin/v1/status")
    tap(st == 200 and js["role"] == "administrator" and
        js["origin"] == "example.test/hanko/lifecycle",
        "OPS-1: the administrator's status names its role", js)
    st, js = t.SO.call("GET", "/admin/v1/users")
    users = {u["fingerprint"]: u for u in (js or {}).get("users", [])}
    tap(st == 200 and len(users) == 2 and
        users.get(t.fp["administrator"], {}).get("role") == "administrator"
        and users.get(t.fp["security_officer"], {}).get("role") ==
        "security_officer",
        "OPS-1: hanko init made one administrator and one security officer",
        js)

    # Dual control: the administrator asks to add a second security
    # officer; it is not done until another security officer approves.
    t.L.mark()
    so2 = open(t.certs["so2"][0]).read()
    st, js = t.A.call("POST", "/admin/v1/users",
                      {"certificate": so2, "role": "security_officer"})
    aid = (js or {}).get("approval", "")
    tap(st in (200, 201, 202) and re.fullmatch(r"a-[0-9a-f]{16}", aid),
        "OPS-2: adding a privileged user only creates an approval", js)
    evs = t.L.since()
    tap(types(evs) == ["approval.requested", "admin.request"] and
        evs[0]["body"]["operation"] == "user.add" and
        evs[0]["body"]["target"] == t.fp["so2"] and
        evs[0]["actor"]["id"] == t.fp["administrator"],
        "OPS-2: the request is an event naming requester and target",
        types(evs))
    st, _ = t.api["so2"].call("GET", "/admin/v1/status")
    tap(st == 403, "OPS-2: the new user cannot act before approval", st)
    st, js = t.A.call("POST", "/admin/v1/approvals/%s/approve" % aid)
    tap(st == 403, "OPS-2: an administrator cannot approve", js)
    st, js = t.SO.call("GET", "/admin/v1/approvals")
    pend = {a["id"]: a for a in (js or {}).get("approvals", [])}
    tap(st == 200 and aid in pend and
        pend[aid]["requested_by"] == t.fp["administrator"] and
        pend[aid]["operation"] == "user.add" and
        pend[aid]["expires"] > time.time(),
        "OPS-2: the security officer sees the pending approval", js)
    t.L.mark()
    st, js = approve(t, "security_officer", aid)
    evs = t.L.since()
    tap(st == 200 and js.get("outcome") and
        types(evs) == ["approval.granted", "privileged_user.added",
                       "admin.request"] and
        evs[1]["body"]["fingerprint"] == t.fp["so2"] and
        evs[1]["body"]["role"] == "security_officer" and
        evs[1]["body"]["approval"] == aid,
        "OPS-2: approval by another security officer executes it; request, "
        "approval and execution are events", (st, js, types(evs)))
    st, js = t.api["so2"].call("GET", "/admin/v1/users")
    tap(st == 200 and len(js["users"]) == 3, "OPS-2: the new security "
        "officer acts after approval", js)
    st, js = approve(t, "so2", aid)
    tap(st == 404, "OPS-2: an approval is used once", js)

    # Self-approval is refused; another officer approves.
    aud = open(t.certs["auditor"][0]).read()
    st, js = t.SO.call("POST", "/admin/v1/users",
                       {"certificate": aud, "role": "auditor"})
    aid = (js or {}).get("approval", "")
    t.L.mark()
    st, js = approve(t, "security_officer", aid)
    evs = t.L.since()
    tap(st == 403 and "another" in err(js) and
        types(evs) == ["admin.request"] and
        evs[0]["body"]["outcome"] == "refused",
        "OPS-2: a security officer cannot approve their own request; "
        "recorded, nothing else changes", (st, js, types(evs)))
    st, js = approve(t, "so2", aid)
    tap(st == 200, "OPS-2: a different security officer approves it", js)

    # A rejected request changes nothing.
    op = open(t.certs["operator"][0]).read()
    st, js = t.A.call("POST", "/admin/v1/users",
                      {"certificate": op, "role": "operator"})
    aid = js["approval"]
    t.L.mark()
    st, js = t.SO.call("POST", "/admin/v1/approvals/%s/reject" % aid)
    evs = t.L.since()
    st2, _ = t.api["operator"].call("GET", "/admin/v1/status")
    tap(st == 200 and types(evs) == ["approval.rejected", "admin.request"]
        and st2 == 403, "OPS-2: a rejected request is recorded and not "
        "executed", (st, js, types(evs), st2))
    st, js = t.SO.call("POST", "/admin/v1/approvals/%s/approve" % aid)
    tap(st == 404, "OPS-2: a rejected approval cannot be approved later", js)
    st, js = t.A.call("POST", "/admin/v1/users",
                      {"certificate": op, "role": "operator"})
    st, _ = approve(t, "security_officer", js["approval"])
    st2, js2 = t.api["operator"].call("GET", "/admin/v1/status")
    tap(st == 200 and st2 == 200 and js2["role"] == "operator",
        "OPS-1: the operator, once approved, reads the status", js2)

    # Refusals of the user operations.
    rogue = open(t.root_c.crt).read()
    t.L.mark()
    st, js = t.A.call("POST", "/admin/v1/users",
                      {"certificate": rogue, "role": "auditor"})
    evs = t.L.since()
    tap(st == 400 and "operator CA" in err(js) and
        types(evs) == ["admin.request"],
        "OPS-1: a certificate not issued by the operator CA is refused", js)
    st, js = t.A.call("POST", "/admin/v1/users",
                      {"certificate": so2, "role": "security_officer"})
    tap(st == 409, "OPS-1: an active user cannot be added twice", js)
    st, js = t.A.call("POST", "/admin/v1/users",
                      {"certificate": so2, "role": "root"})
    tap(st == 400, "OPS-1: an unknown role is refused", js)
    st, js = t.SO.call("DELETE", "/admin/v1/users/" + ZERO_FP)
    tap(st == 404, "OPS-2: removing an unknown user is refused", js)

    # OPS-6: the stranger (operator CA, never registered) is refused and
    # recorded with fingerprint, peer and outcome.
    t.L.mark()
    st, js = t.api["stranger"].call("GET", "/admin/v1/status")
    evs = t.L.since()
    ok = (st == 403 and len(evs) == 1 and
          evs[0]["type"] == "admin.request" and
          evs[0]["actor"]["id"] == t.fp["stranger"] and
          re.fullmatch(r"127\.0\.0\.1:\d+", evs[0]["actor"]["peer"]) and
          evs[0]["body"]["operation"] == "status" and
          evs[0]["body"]["outcome"] == "refused" and
          evs[0]["body"]["status"] == 403)
    tap(ok, "OPS-6: a refused request is recorded with certificate "
        "fingerprint, peer, operation and outcome", evs)
    t.L.mark()
    st, js = t.A.call("GET", "/admin/v1/status")
    evs = t.L.since()
    tap(st == 200 and types(evs) == ["admin.request"] and
        evs[0]["body"]["outcome"] == "allowed" and
        evs[0]["actor"]["id"] == t.fp["administrator"] and
        evs[0]["actor"]["channel"] == "admin",
        "OPS-6: an allowed request is recorded too", evs)


# What each role may do (docs/admin-api.md "Roles"): the operation, its
# method and path, a body that passes the front's schema, and the roles
# that pass the core's role check.
MATRIX = [
    ("status", "GET", "/admin/v1/status", None,
     {"administrator", "security_officer", "operator"}),
    ("users.list", "GET", "/admin/v1/users", None, {"security_officer"}),
    ("users.add", "POST", "/admin/v1/users",
     {"certificate": "not a certificate", "role": "auditor"},
     {"administrator", "security_officer"}),
    ("users.remove", "DELETE", "/admin/v1/users/" + ZERO_FP, None,
     {"administrator", "security_officer"}),
    ("approvals.list", "GET", "/admin/v1/approvals", None,
     {"security_officer"}),
    ("approvals.decide", "POST", "/admin/v1/approvals/%s/approve" % ZERO_A,
     None, {"security_officer"}),
    ("approvals.decide", "POST", "/admin/v1/approvals/%s/reject" % ZERO_A,
     None, {"security_officer"}),
    ("signers.register", "POST", "/admin/v1/signers",
     {"kind": "legal", "name": "x", "organization": "",
      "email": "x@example.test", "identity_proofing": "none"},
     {"administrator"}),
    ("signers.get", "GET", "/admin/v1/signers/" + ZERO_S, None,
     {"administrator"}),
    ("signers.erase", "POST", "/admin/v1/signers/%s/erase" % ZERO_S,
     {"reason": "matrix"}, {"administrator"}),
    ("credentials.create", "POST", "/admin/v1/signers/%s/credentials"
     % ZERO_S, {"algorithm": "p256", "level": 2}, {"administrator"}),
    ("credentials.get", "GET", "/admin/v1/credentials/" + ZERO_C, None,
     {"administrator"}),
    ("credentials.key", "POST", "/admin/v1/credentials/%s/key" % ZERO_C,
     None, {"administrator"}),
    ("credentials.csr", "POST", "/admin/v1/credentials/%s/csr" % ZERO_C,
     None, {"administrator"}),
    ("credentials.csr_get", "GET", "/admin/v1/credentials/%s/csr" % ZERO_C,
     None, {"administrator"}),
    ("credentials.certificate", "PUT", "/admin/v1/credentials/%s/certificate"
     % ZERO_C, {"chain": "x"}, {"administrator"}),
    ("credentials.suspend", "POST", "/admin/v1/credentials/%s/suspend"
     % ZERO_C, {"reason": "matrix"}, {"administrator"}),
    ("credentials.resume", "POST", "/admin/v1/credentials/%s/resume"
     % ZERO_C, None, {"administrator"}),
    ("credentials.destroy", "POST", "/admin/v1/credentials/%s/destroy"
     % ZERO_C, {"reason": "termination"}, {"administrator"}),
    ("credentials.unlock", "POST", "/admin/v1/credentials/%s/unlock"
     % ZERO_C, None, {"administrator", "security_officer"}),
    ("credentials.renew", "POST", "/admin/v1/credentials/%s/renew" % ZERO_C,
     None, {"administrator"}),
]


def role_matrix(t):
    """OPS-1: every role against every admin operation. A refused role
    gets 403 and changes nothing but the admin.request record; an allowed
    role gets past the role check (the placeholder target then fails on
    its own terms: 400, 404 or 409, never 403)."""
    who = ["administrator", "security_officer", "auditor", "operator",
           "stranger"]
    for op, method, path, body, allowed in MATRIX:
        for role in who:
            t.L.mark()
            st, js = t.api[role].call(method, path, body)
            evs = t.L.since()
            rec = [e for e in evs if e["type"] == "admin.request"]
            recorded = (len(rec) == 1 and
                        rec[0]["actor"]["id"] == t.fp[role] and
                        rec[0]["body"]["operation"] == op and
                        rec[0]["body"]["status"] == st)
            if role in allowed:
                ok = st != 403 and recorded
                what = "may"
            else:
                ok = (st == 403 and recorded and len(evs) == 1 and
                      rec[0]["body"]["outcome"] == "refused")
                what = "may not"
            tap(ok, "OPS-1 matrix: %s %s %s (%s %s -> %d)" %
                (role, what, op, method, path.split("/v1")[1], st),
                (st, js, types(evs)))
    # Signer routes do not exist on the admin listener, and admin routes
    # do not exist on the signing listener.
    st, _ = t.A.call("POST", "/signer/v1/nonce")
    st2, _ = t.sign.call("GET", "/admin/v1/status")
    tap(st == 404 and st2 == 404,
        "OPS-1: no admin route on the signing listener and no signer route "
        "on the admin listener", (st, st2))


def enroll(t, code, password, pin):
    return t.sign.call("POST", "/signer/v1/enroll",
                       {"enrollment_code": code, "password": password,
                        "pin": pin})


def nonce(t, auth):
    st, js = t.sign.call("POST", "/signer/v1/nonce", basic=auth)
    return (js or {}).get("nonce", "") if st == 200 else ""


def cred(t, cid):
    return t.A.call("GET", "/admin/v1/credentials/" + cid)[1] or {}


def spki_fp(pem):
    k = serialization.load_pem_public_key(pem.encode())
    return hashlib.sha256(k.public_bytes(
        serialization.Encoding.DER,
        serialization.PublicFormat.SubjectPublicKeyInfo)).hexdigest()


def certify(t, cid, auth, pin, ca, chain_extra=(), tag="leaf"):
    """The signer confirms the CSR with their PIN; the administrator
    takes it; ${ca} issues the certificate with openssl; returns the path
    of the chain file (leaf first)."""
    st, js = t.sign.call("POST", "/signer/v1/credentials/%s/csr/confirm" %
                         cid, {"pin": pin}, basic=auth)
    st2, js2 = t.A.call("GET", "/admin/v1/credentials/%s/csr" % cid)
    if st != 200 or st2 != 200:
        raise RuntimeError("confirm %s %s / csr %s %s" % (st, js, st2, js2))
    csr = "%s/%s-%s.csr" % (t.work, cid, tag)
    with open(csr, "w") as f:
        f.write(js2["csr"])
    leaf = "%s/%s-%s.crt" % (t.work, cid, tag)
    ca.issue(csr, leaf)
    chain = leaf + ".chain"
    with open(chain, "w") as f:
        f.write(open(leaf).read() + "".join(open(c).read()
                                            for c in chain_extra))
    return chain, leaf


def signer_lifecycle(t):
    """REG-1..6, SIG-2 (certificate side), SIG-7, SIG-8, END-1..3,
    ACT-9."""
    tag = os.urandom(4).hex()
    name = "Hanako Yamada %s" % tag
    email = "hanako.%s@example.test" % tag
    proof = "JPKI-%s" % tag
    t.secrets = [name.encode(), email.encode(), proof.encode()]

    # REG-1: registration; the attributes come back to the administrator
    # and the event carries only a kind and a commitment.
    t.L.mark()
    st, js = t.A.call("POST", "/admin/v1/signers",
                      {"kind": "natural", "name": name,
                       "organization": "Example KK", "email": email,
                       "identity_proofing": proof})
    sid = (js or {}).get("signer_id", "")
    evs = t.L.since()
    reg = [e for e in evs if e["type"] == "signer.registered"]
    tap(st in (200, 201) and re.fullmatch(r"s-[0-9a-f]{16}", sid) and
        len(reg) == 1 and set(reg[0]["body"]) == {"kind", "commitment"} and
        len(reg[0]["body"]["commitment"]) == 64 and
        reg[0]["subject"]["signer"] == sid,
        "REG-1: a signer is registered; the event has a commitment, not "
        "the attributes", (st, js, evs))
    st, js = t.A.call("GET", "/admin/v1/signers/" + sid)
    tap(st == 200 and js["name"] == name and js["email"] == email and
        js["identity_proofing"] == proof and js["kind"] == "natural" and
        js["erased"] is False,
        "REG-1: the administrator reads the attributes back", js)
    for body, why in (
            ({"kind": "legal", "name": "Seal", "organization": "",
              "email": "a@b.test", "identity_proofing": "x"},
             "SIG-8: a legal person without an organization is refused"),
            ({"kind": "natural", "name": "x" * 2000, "organization": "",
              "email": "a@b.test", "identity_proofing": "x"},
             "REG-1: an over-long name is refused"),
            ({"kind": "natural", "name": "x", "organization": "",
              "email": "a@b.test", "identity_proofing": "x", "pin": "1"},
             "REG-1: an unknown field is refused")):
        t.L.mark()
        st, js = t.A.call("POST", "/admin/v1/signers", body)
        evs = t.L.since()
        tap(st == 400 and all(e["type"] == "admin.request" for e in evs),
            why + " and nothing is registered", (st, js, types(evs)))
    st, js = t.A.call("GET", "/admin/v1/signers/" + ZERO_S)
    tap(st == 404, "REG-1: an unknown signer is 404", js)

    # SIG-8: a seal owner (legal person).
    st, js = t.A.call("POST", "/admin/v1/signers",
                      {"kind": "legal", "name": "Corporate Seal %s" % tag,
                       "organization": "Example Seal KK %s" % tag,
                       "email": "seal.%s@example.test" % tag,
                       "identity_proofing": "registry-%s" % tag})
    seal_sid = (js or {}).get("signer_id", "")
    st2, js2 = t.A.call("GET", "/admin/v1/signers/" + seal_sid)
    tap(st in (200, 201) and st2 == 200 and js2["kind"] == "legal" and
        js2["organization"] == "Example Seal KK %s" % tag,
        "SIG-8: a seal owner (legal person) is registered", js2)
    t.seal_sid = seal_sid

    # REG-2: a credential and its enrollment code.
    t.L.mark()
    st, js = t.A.call("POST", "/admin/v1/signers/%s/credentials" % sid,
                      {"algorithm": "p256", "level": 2})
    cid = (js or {}).get("credential_id", "")
    code = (js or {}).get("enrollment_code", "")
    evs = t.L.since()
    cre = [e for e in evs if e["type"] == "credential.created"]
    tap(st in (200, 201) and re.fullmatch(r"c-[0-9a-f]{16}", cid) and
        len(code) >= 16 and js["expires"] > time.time() and
        js["expires"] <= time.time() + 61 and len(cre) == 1 and
        code not in json.dumps(evs),
        "REG-2: a credential comes with a one-time enrollment code that "
        "expires and is not in the ledger", (st, js, evs))
    t.secrets.append(code.encode())
    st, js = t.A.call("POST", "/admin/v1/signers/%s/credentials" % ZERO_S,
                      {"algorithm": "p256", "level": 2})
    tap(st == 404, "REG-2: no credential for an unknown signer", js)
    st, js = t.A.call("POST", "/admin/v1/signers/%s/credentials" % sid,
                      {"algorithm": "dsa1024", "level": 2})
    tap(st == 400, "REG-3: an algorithm outside policy is refused", js)

    password = "correct horse %s" % tag
    pin = "%06d" % (int(tag, 16) % 1000000)
    t.secrets += [password.encode()]
    # Wrong, malformed: nothing changes, and the code still works after.
    for c, pw, p, want, why in (
            ("X" * len(code), password, pin, 410, "a wrong code"),
            (code, "short", pin, 400, "a password under 12 characters"),
            (code, password, "12ab56", 400, "a PIN that is not digits"),
            (code, password, "123", 400, "a PIN under 6 digits")):
        t.L.mark()
        st, js = enroll(t, c, pw, p)
        evs = t.L.since()
        tap(st == want and evs == [],
            "REG-2: enrollment with %s is refused (%d) and records nothing"
            % (why, want), (st, js, types(evs)))
    t.L.mark()
    st, js = enroll(t, code, password, pin)
    evs = t.L.since()
    uri = (js or {}).get("otpauth_uri", "")
    ok = st == 200 and js["signer_id"] == sid and js["credential_id"] == cid
    tap(ok and types(evs) == ["credential.enrolled"] and
        evs[0]["actor"]["kind"] == "signer" and
        uri not in json.dumps(evs) and password not in json.dumps(evs),
        "REG-2: the signer redeems the code, sets password and PIN, and "
        "gets the TOTP seed once", (st, js, evs))
    otp = Totp(uri) if uri.startswith("otpauth://totp/") else None
    tap(otp is not None and otp.q.get("algorithm") == ["SHA1"] and
        otp.q.get("digits") == ["6"] and otp.q.get("period") == ["30"] and
        len(base64.b32decode(otp.secret + "=" * (-len(otp.secret) % 8)))
        >= 20, "REG-2: otpauth://totp URI, SHA-1, 6 digits, 30 s, a "
        "160-bit seed", uri[:20])
    t.secrets.append(otp.secret.encode() if otp else b"no-otp-secret")
    t.L.mark()
    st, js = enroll(t, code, password, pin)
    tap(st == 410 and t.L.since() == [],
        "REG-2: a redeemed code is refused and changes nothing", (st, js))
    auth = (sid, password)
    st, js = t.sign.call("GET", "/signer/v1/credentials/%s/csr" % cid,
                         basic=(sid, password + "x"))
    tap(st == 401, "REG-2: a wrong password is refused", js)

    # REG-3, REG-4: the key is generated in the HSM; the event records
    # the SPKI fingerprint, which python3-cryptography recomputes.
    before = pkcs11_key_ids(t.state)
    t.L.mark()
    st, js = t.A.call("POST", "/admin/v1/credentials/%s/key" % cid)
    evs = t.L.since()
    kg = [e for e in evs if e["type"] == "key.generated"]
    pub = (js or {}).get("public_key", "")
    keyid = kg[0]["body"]["key_id"] if kg else "?"
    tap(st == 200 and pub and spki_fp(pub) == js["key_fingerprint"] and
        kg and kg[0]["body"]["spki_sha256"] == js["key_fingerprint"],
        "REG-3, REG-4: key generated; its SPKI fingerprint is in the event",
        (st, js, evs))
    after = pkcs11_key_ids(t.state)
    tap(after - before == {keyid},
        "REG-3: pkcs11-tool sees the new private key in the token",
        (before, after, keyid))
    obj = pkcs11_keys(t.state).get(keyid, "")
    access = re.search(r"Access:\s+(.*)", obj)
    access = set(a.strip() for a in access.group(1).split(",")) \
        if access else set()
    tap({"sensitive", "always sensitive", "never extractable",
         "local"} <= access and "extractable" not in access and
        re.search(r"Usage:\s+sign\s*$", obj, re.M),
        "REG-3: the key was generated in the token, sensitive and never "
        "extractable, for signing only", obj)
    st, js = t.A.call("POST", "/admin/v1/credentials/%s/key" % cid)
    tap(st == 409, "REG-3: a second key for the same credential is refused",
        js)
    key_fp = cred(t, cid).get("key_fingerprint")

    # REG-4, REG-5: CSR; the administrator gets it only after the signer
    # confirmed the subject with the PIN.
    st, js = t.A.call("GET", "/admin/v1/credentials/%s/csr" % cid)
    tap(st in (403, 404), "REG-5: no CSR before one is made", (st, js))
    st, js = t.A.call("POST", "/admin/v1/credentials/%s/csr" % cid)
    tap(st == 200 and name in js["subject"] and
        js["csr_state"] == "awaiting_signer",
        "REG-4: the CSR is made for the registered subject", js)
    st, js = t.A.call("GET", "/admin/v1/credentials/%s/csr" % cid)
    tap(st == 403, "REG-5: the CSR is not released before the signer "
        "confirms", js)
    st, js = t.sign.call("GET", "/signer/v1/credentials/%s/csr" % cid,
                         basic=auth)
    tap(st == 200 and name in js["subject"],
        "REG-5: the signer sees the subject to confirm", js)
    st, js = t.sign.call("POST", "/signer/v1/credentials/%s/csr/confirm" %
                         cid, {"pin": "000000" if pin != "000000"
                               else "111111"}, basic=auth)
    tap(st == 401 and cred(t, cid).get("csr_state") == "awaiting_signer",
        "REG-5: a wrong PIN does not confirm", (st, js))
    st, js = t.sign.call("POST", "/signer/v1/credentials/%s/csr/confirm" %
                         cid, {"pin": pin}, basic=(seal_sid, password))
    tap(st == 401, "REG-5: a signer who has not enrolled cannot authenticate", (st, js))
    chain_ok, leaf_ok = certify(t, cid, auth, pin, t.int_a,
                                chain_extra=[t.int_a.crt])
    csrf = "%s/%s-leaf.csr" % (t.work, cid)
    r = run(["openssl", "req", "-verify", "-noout", "-in", csrf])
    tap(r.returncode == 0 and "verify OK" in (r.stdout + r.stderr),
        "REG-4: openssl req -verify accepts the CSR signed in the HSM",
        r.stderr)
    req = x509.load_pem_x509_csr(open(csrf, "rb").read())
    cn = req.subject.get_attributes_for_oid(x509.NameOID.COMMON_NAME)
    tap(cn and cn[0].value == name and
        hashlib.sha256(req.public_key().public_bytes(
            serialization.Encoding.DER,
            serialization.PublicFormat.SubjectPublicKeyInfo)).hexdigest()
        == key_fp,
        "REG-4: the CSR names the signer and carries the generated key",
        req.subject.rfc4514_string())

    # REG-6: every refusal of a certificate, each with its own reason,
    # and the credential is unchanged after each.
    csr_path = csrf
    bad = {}
    p = lambda n: "%s/%s-%s.crt" % (t.work, cid, n)  # noqa: E731
    t.int_a.issue(csr_path, p("expired"), start="20200101000000Z",
                  end="20210101000000Z")
    bad["expired"] = (open(p("expired")).read() + open(t.int_a.crt).read(),
                      "has expired")
    t.int_a.issue(csr_path, p("future"), start="20300101000000Z",
                  end="20310101000000Z")
    bad["not yet valid"] = (open(p("future")).read() +
                            open(t.int_a.crt).read(), "not yet valid")
    t.int_a.issue(csr_path, p("kenc"), ext="leaf_kenc")
    bad["key usage"] = (open(p("kenc")).read() + open(t.int_a.crt).read(),
                        "key usage")
    t.int_a.issue(csr_path, p("ca"), ext="leaf_ca")
    bad["a CA certificate"] = (open(p("ca")).read() +
                               open(t.int_a.crt).read(), "CA certificate")
    t.root_c.issue(csr_path, p("untrusted"))
    bad["an untrusted CA"] = (open(p("untrusted")).read(),
                              "does not chain to a trusted CA")
    bad["a missing intermediate"] = (open(leaf_ok).read(),
                                     "does not chain to a trusted CA")
    other = t.work + "/other"
    must(["openssl", "req", "-new", "-newkey", "ec", "-pkeyopt",
          "ec_paramgen_curve:P-256", "-nodes", "-keyout", other + ".key",
          "-out", other + ".csr", "-subj", "/CN=%s" % name])
    t.int_a.issue(other + ".csr", other + ".crt")
    bad["another key"] = (open(other + ".crt").read() +
                          open(t.int_a.crt).read(), "not the credential's")
    bad["garbage"] = ("-----BEGIN CERTIFICATE-----\nAAAA\n"
                      "-----END CERTIFICATE-----\n", "not a PEM")
    for what, (chain, reason) in bad.items():
        t.L.mark()
        st, js = t.A.call("PUT", "/admin/v1/credentials/%s/certificate" %
                          cid, {"chain": chain})
        evs = t.L.since()
        c = cred(t, cid)
        tap(st == 400 and reason in err(js) and
            types(evs) == ["admin.request"] and c.get("state") ==
            "key_generated",
            "REG-6: a certificate with %s is refused (\"%s\") and changes "
            "nothing" % (what, err(js)), (st, js, c.get("state")))

    t.L.mark()
    st, js = t.A.call("PUT", "/admin/v1/credentials/%s/certificate" % cid,
                      {"chain": open(chain_ok).read()})
    evs = t.L.since()
    leaf = x509.load_pem_x509_certificate(open(leaf_ok, "rb").read())
    leaf_fp = hashlib.sha256(leaf.public_bytes(
        serialization.Encoding.DER)).hexdigest()
    cb = [e for e in evs if e["type"] == "certificate.bound"]
    tap(st == 200 and js["state"] == "active" and
        js["certificate_fingerprint"] == leaf_fp and cb and
        cb[0]["body"]["certificate_sha256"] == leaf_fp and
        cb[0]["body"]["key_id"] == keyid and
        cb[0]["body"]["serial"] == format(leaf.serial_number, "x"),
        "REG-6, SIG-2: a valid chain through the intermediate is bound; the "
        "credential is active", (st, js, evs))
    c = cred(t, cid)
    tap(c.get("state") == "active" and leaf_fp in [
        hashlib.sha256(x509.load_pem_x509_certificate(
            c.get("certificate", "").encode()).public_bytes(
                serialization.Encoding.DER)).hexdigest()]
        if c.get("certificate") else False,
        "REG-6: the bound certificate is served back", c.get("state"))
    st, js = t.A.call("PUT", "/admin/v1/credentials/%s/certificate" % cid,
                      {"chain": open(chain_ok).read()})
    tap(st == 409, "REG-6: an active credential takes no second "
        "certificate without renewal", js)

    t.sid, t.cid, t.pin, t.password, t.auth, t.otp = \
        sid, cid, pin, password, auth, otp
    t.keyid, t.name, t.leaf_ok = keyid, name, leaf_ok


def cli_admin(t, *args):
    r = run(HANKO + ["admin", "--state", t.state] + list(args))
    try:
        js = json.loads(r.stdout) if r.stdout.strip() else None
    except ValueError:
        js = None
    return r.returncode, js, r.stderr


def cli_signer(t, user, *args):
    cmd = HANKO + ["signer", "--url", "https://localhost:%d" % t.signing,
                   "--ca", t.opca]
    if user:
        cmd += ["--user", user[0], "--password-file", user[1]]
    r = run(cmd + list(args))
    return r.returncode, r.stdout, r.stderr


def secret_file(t, name, value):
    path = "%s/%s" % (t.work, name)
    with open(path, "w") as f:
        f.write(value + "\n")
    os.chmod(path, 0o600)
    return path


def seal_owner_by_cli(t):
    """SIG-7, SIG-8 and the command line: the seal owner's credential goes
    through `hanko admin` and `hanko signer` only, and its certificate
    comes from the second trusted root."""
    sid = t.seal_sid
    rc, js, e = cli_admin(t, "credentials", "create", sid, "--algorithm",
                          "p384", "--level", "1")
    cid = (js or {}).get("credential_id", "")
    code = (js or {}).get("enrollment_code", "")
    tap(rc == 0 and cid and code, "hanko admin credentials create", e)
    t.secrets.append(code.encode())
    pw = "seal owner password %s" % os.urandom(3).hex()
    pin = "%08d" % int.from_bytes(os.urandom(3), "big")
    t.secrets.append(pw.encode())
    fcode = secret_file(t, "seal.code", code)
    fpw = secret_file(t, "seal.pw", pw)
    fpin = secret_file(t, "seal.pin", pin)
    rc, out, e = cli_signer(t, None, "enroll", "--code-file", fcode,
                            "--password-file", fpw, "--pin-file", fpin)
    js = json.loads(out) if rc == 0 else {}
    tap(rc == 0 and js.get("credential_id") == cid and
        "otpauth_uri" not in js,
        "hanko signer enroll; a level 1 (PIN only) credential gets no OTP "
        "seed", (rc, out, e))
    rc, js, e = cli_admin(t, "credentials", "key", cid)
    tap(rc == 0 and js and js.get("key_fingerprint"),
        "hanko admin credentials key", e)
    rc, js, e = cli_admin(t, "credentials", "csr", cid)
    tap(rc == 0 and js and js.get("csr_state") == "awaiting_signer",
        "hanko admin credentials csr", e)
    rc, out, e = cli_signer(t, (sid, fpw), "csr", cid)
    tap(rc == 0 and "Example Seal KK" in out,
        "hanko signer csr shows the subject", out + e)
    rc, out, e = cli_signer(t, (sid, fpw), "csr-confirm", cid, "--pin-file",
                            fpin)
    tap(rc == 0, "hanko signer csr-confirm", e)
    csr = t.work + "/seal.csr"
    rc, js, e = cli_admin(t, "credentials", "csr-get", cid, "--out", csr)
    r = run(["openssl", "req", "-verify", "-noout", "-in", csr])
    tap(rc == 0 and r.returncode == 0,
        "hanko admin credentials csr-get; openssl verifies the P-384 CSR",
        e + r.stderr)
    leaf = t.work + "/seal.crt"
    t.root_b.issue(csr, leaf)
    rc, js, e = cli_admin(t, "credentials", "certificate", cid, "--chain",
                          leaf)
    tap(rc == 0 and js and js.get("state") == "active",
        "SIG-7: a certificate from the second trusted root is bound "
        "(hanko admin credentials certificate)", e)
    rc, js, e = cli_admin(t, "credentials", "get", cid)
    tap(rc == 0 and js and js.get("state") == "active" and
        js.get("algorithm") == "p384" and js.get("level") == 1,
        "hanko admin credentials get", e)
    rc, js, e = cli_admin(t, "credentials", "suspend", cid, "--reason",
                          "cli check")
    rc2, js2, e2 = cli_admin(t, "credentials", "resume", cid)
    tap(rc == 0 and rc2 == 0 and js["state"] == "suspended" and
        js2["state"] == "active",
        "hanko admin credentials suspend and resume", e + e2)
    rc, js, e = cli_admin(t, "credentials", "resume", cid)
    tap(rc == 1 and "conflict" in e,
        "END-1: resuming an active credential is refused (exit 1, the "
        "error code on stderr)", e)
    t.seal = (sid, cid, pw, pin, fpw, fpin)


def signer_end(t, cid, auth, pin, otp, n, what="suspend", reason=None):
    body = {"nonce": n, "pin": pin}
    if otp is not None:
        body["otp"] = otp
    if reason:
        body["reason"] = reason
    return t.sign.call("POST", "/signer/v1/credentials/%s/%s" % (cid, what),
                       body, basic=auth)


def suspension_and_lockout(t):
    """END-1, END-2, ACT-9."""
    cid, auth, pin = t.cid, t.auth, t.pin
    # END-1 by the administrator.
    t.L.mark()
    st, js = t.A.call("POST", "/admin/v1/credentials/%s/suspend" % cid,
                      {"reason": "lost phone"})
    evs = t.L.since()
    tap(st == 200 and js["state"] == "suspended" and
        "credential.suspended" in types(evs) and
        cred(t, cid)["state"] == "suspended",
        "END-1: the administrator suspends a credential", (st, js))
    st, js = t.A.call("POST", "/admin/v1/credentials/%s/suspend" % cid,
                      {"reason": "again"})
    tap(st == 409, "END-1: a suspended credential cannot be suspended "
        "again", js)
    st, js = t.A.call("POST", "/admin/v1/credentials/%s/resume" % cid)
    tap(st == 200 and js["state"] == "active",
        "END-1: the administrator resumes it", js)

    # END-1, END-2 by the signer: nonce, PIN, OTP.
    n1 = nonce(t, auth)
    tap(re.fullmatch(r"[0-9a-f]{32}", n1) is not None,
        "END-2: the signer gets a server nonce", n1)
    body = {"nonce": n1, "pin": pin, "otp": t.otp.code()}
    t.L.mark()
    st, js = t.sign.call("POST", "/signer/v1/credentials/%s/suspend" % cid,
                         body, basic=auth)
    evs = t.L.since()
    sus = [e for e in evs if e["type"] == "credential.suspended"]
    tap(st == 200 and js["state"] == "suspended" and sus and
        sus[0]["body"]["by"] == "signer" and
        sus[0]["actor"]["kind"] == "signer" and
        sus[0]["actor"]["id"] == t.sid,
        "END-1: the signer suspends with nonce, PIN and OTP", (st, js, evs))
    st, js = t.A.call("POST", "/admin/v1/credentials/%s/resume" % cid)
    t.L.mark()
    st, js = t.sign.call("POST", "/signer/v1/credentials/%s/suspend" % cid,
                         body, basic=auth)
    tap(st == 410 and t.L.since() == [] and
        cred(t, cid)["state"] == "active",
        "END-2: the captured request replayed is refused (410) and "
        "changes nothing", (st, js))
    st, js = signer_end(t, cid, auth, pin, t.otp.peek(), "0" * 32)
    tap(st == 410 and cred(t, cid)["state"] == "active",
        "END-2: an unknown nonce is refused", (st, js))
    # A nonce of another signer (the seal owner) is foreign.
    ssid, scid, spw = t.seal[0], t.seal[1], t.seal[2]
    foreign = nonce(t, (ssid, spw))
    st, js = signer_end(t, cid, auth, pin, t.otp.peek(), foreign)
    tap(st == 410 and cred(t, cid)["state"] == "active",
        "END-2: another signer's nonce is refused", (st, js))
    st, js = signer_end(t, scid, auth, pin, t.otp.peek(), nonce(t, auth))
    tap(st in (403, 404) and cred(t, scid)["state"] == "active",
        "END-1: a signer cannot suspend another signer's credential",
        (st, js))
    st, js = t.sign.call("POST", "/signer/v1/credentials/%s/suspend" % cid,
                         {"pin": pin, "otp": "123456"}, basic=auth)
    tap(st == 400, "END-2: a request without a nonce is refused", (st, js))
    n = nonce(t, auth)
    code = t.otp.code()
    st, js = signer_end(t, cid, auth, pin, code, n)
    st2, js2 = t.A.call("POST", "/admin/v1/credentials/%s/resume" % cid)
    st3, js3 = signer_end(t, cid, auth, pin, code, nonce(t, auth))
    tap(st == 200 and st2 == 200 and st3 == 401 and
        cred(t, cid)["state"] == "active",
        "END-1: an OTP is accepted once (a reused code is refused)",
        (st, st2, st3, js3))
    t.early_nonce = nonce(t, auth)
    t.early_nonce_at = time.time()

    # ACT-9: consecutive failures lock the credential; five by policy.
    # The reused OTP above was the first; four wrong PINs make five.
    wrong = "000000" if pin != "000000" else "111111"
    t.L.mark()
    sts = [signer_end(t, cid, auth, wrong, "123456", nonce(t, auth))[0]
           for _ in range(5)]
    evs = t.L.since()
    locked = [e for e in evs if e["type"] == "credential.locked"]
    c = cred(t, cid)
    tap(sts == [401] * 4 + [423] and
        types(evs).count("authorization.denied") == 4 and
        len(locked) == 1 and locked[0]["body"]["failures"] == 5 and
        c["locked"] is True and c["state"] == "active",
        "ACT-9: a reused OTP and four wrong PINs (five consecutive "
        "failures) lock the credential; each failure and the lock are "
        "events; the next attempt is 423", (sts, types(evs), c))
    st, js = signer_end(t, cid, auth, pin, t.otp.peek(), nonce(t, auth))
    tap(st == 423 and cred(t, cid)["state"] == "active",
        "ACT-9: a locked credential refuses even the right PIN", (st, js))
    # Unlock: dual control.
    st, js = t.A.call("POST", "/admin/v1/credentials/%s/unlock" % cid)
    aid = (js or {}).get("approval", "")
    tap(st in (200, 202) and aid, "ACT-9: the administrator requests an "
        "unlock (an approval)", js)
    tap(cred(t, cid)["locked"] is True,
        "ACT-9: the credential stays locked until approved")
    st, js = approve(t, "administrator", aid)
    tap(st == 403, "ACT-9: the administrator cannot approve the unlock", js)
    t.L.mark()
    st, js = approve(t, "security_officer", aid)
    evs = t.L.since()
    ul = [e for e in evs if e["type"] == "credential.unlocked"]
    tap(st == 200 and ul and ul[0]["body"]["approval"] == aid and
        cred(t, cid)["locked"] is False,
        "ACT-9: a security officer's approval unlocks it", (st, js, evs))
    st, js = t.A.call("POST", "/admin/v1/credentials/%s/unlock" % cid)
    tap(st == 409, "ACT-9: an unlocked credential needs no unlock", js)
    st, js = signer_end(t, cid, auth, pin, t.otp.code(), nonce(t, auth))
    st2, _ = t.A.call("POST", "/admin/v1/credentials/%s/resume" % cid)
    tap(st == 200 and st2 == 200,
        "ACT-9: after the unlock the right PIN works again", (st, js))
    # The counter restarts after a success: four failures do not lock.
    sts = [signer_end(t, cid, auth, wrong, "123456", nonce(t, auth))[0]
           for _ in range(4)]
    st, js = signer_end(t, cid, auth, pin, t.otp.code(), nonce(t, auth))
    st2, _ = t.A.call("POST", "/admin/v1/credentials/%s/resume" % cid)
    tap(sts == [401] * 4 and st == 200 and cred(t, cid)["locked"] is False,
        "ACT-9: failures are counted consecutively (a success resets them)",
        (sts, st, js))


def renewal(t):
    """Renewal: a new key and CSR for the same credential; the old key is
    destroyed when the new certificate is bound."""
    cid = t.cid
    old_fp = cred(t, cid)["key_fingerprint"]
    t.L.mark()
    st, js = t.A.call("POST", "/admin/v1/credentials/%s/renew" % cid)
    evs = t.L.since()
    kg = [e for e in evs if e["type"] == "key.generated"]
    new_id = kg[0]["body"]["key_id"] if kg else "?"
    tap(st == 200 and js["key_fingerprint"] != old_fp and kg and
        kg[0]["body"].get("renewal") is True and
        spki_fp(js["public_key"]) == js["key_fingerprint"],
        "renewal: a new key is generated for the same credential",
        (st, js, evs))
    c = cred(t, cid)
    ids = pkcs11_key_ids(t.state)
    tap(c["state"] == "active" and c["key_fingerprint"] == old_fp and
        t.keyid in ids and new_id in ids,
        "renewal: the old key stays in use (and in the token) until the new "
        "certificate is bound", (c["state"], ids))
    st, js = t.A.call("POST", "/admin/v1/credentials/%s/renew" % cid)
    tap(st == 409, "renewal: one renewal at a time", js)
    st, js = t.A.call("POST", "/admin/v1/credentials/%s/csr" % cid)
    tap(st == 200 and js["csr_state"] == "awaiting_signer",
        "renewal: a CSR for the new key", js)
    st, js = t.A.call("PUT", "/admin/v1/credentials/%s/certificate" % cid,
                      {"chain": open(t.leaf_ok).read() +
                       open(t.int_a.crt).read()})
    tap(st == 400 and "not the credential's" in err(js),
        "renewal: the old key's certificate does not complete it", js)
    chain, leaf = certify(t, cid, t.auth, t.pin, t.int_a,
                          chain_extra=[t.int_a.crt], tag="renewed")
    req = x509.load_pem_x509_csr(open("%s/%s-renewed.csr" % (t.work, cid),
                                      "rb").read())
    tap(hashlib.sha256(req.public_key().public_bytes(
        serialization.Encoding.DER,
        serialization.PublicFormat.SubjectPublicKeyInfo)).hexdigest() ==
        js_fp(kg), "renewal: the CSR carries the new key", "")
    t.L.mark()
    st, js = t.A.call("PUT", "/admin/v1/credentials/%s/certificate" % cid,
                      {"chain": open(chain).read()})
    evs = t.L.since()
    kd = [e for e in evs if e["type"] == "key.destroyed"]
    ids = pkcs11_key_ids(t.state)
    c = cred(t, cid)
    tap(st == 200 and kd and kd[0]["body"]["reason"] == "renewal" and
        kd[0]["body"]["key_id"] == t.keyid and t.keyid not in ids and
        new_id in ids and c["state"] == "active" and
        c["key_fingerprint"] == js_fp(kg),
        "renewal: binding the new certificate destroys the old key "
        "(pkcs11-tool no longer lists it)", (st, js, types(evs), ids))
    t.keyid = new_id


def js_fp(kg):
    return kg[0]["body"]["spki_sha256"] if kg else None


def destruction(t):
    """END-3: destruction by the administrator under dual control, and by
    the signer with a nonce; the key leaves the HSM; every later use is
    refused."""
    cid = t.cid
    st, js = t.A.call("POST", "/admin/v1/credentials/%s/destroy" % cid,
                      {"reason": "expired"})
    tap(st == 400, "END-3: a destruction reason outside renewal, "
        "revocation, termination is refused", js)
    t.L.mark()
    st, js = t.A.call("POST", "/admin/v1/credentials/%s/destroy" % cid,
                      {"reason": "termination"})
    aid = (js or {}).get("approval", "")
    evs = t.L.since()
    tap(st in (200, 202) and aid and cred(t, cid)["state"] == "active" and
        t.keyid in pkcs11_key_ids(t.state) and
        "key.destroyed" not in types(evs),
        "END-3: the administrator's destruction request waits for "
        "approval; the key is still there", (st, js))
    st, js = approve(t, "administrator", aid)
    tap(st == 403, "END-3: the requester cannot approve it", js)
    t.L.mark()
    st, js = approve(t, "so2", aid)
    evs = t.L.since()
    kd = [e for e in evs if e["type"] == "key.destroyed"]
    ids = pkcs11_key_ids(t.state)
    tap(st == 200 and kd and kd[0]["body"]["reason"] == "termination" and
        kd[0]["body"]["approval"] == aid and kd[0]["body"]["key_id"] ==
        t.keyid and t.keyid not in ids and
        cred(t, cid)["state"] == "destroyed",
        "END-3: approved by a security officer, the key is deleted from the "
        "HSM (pkcs11-tool) and the credential is destroyed", (st, js, ids))
    for what, method, path, body in (
            ("suspend", "POST", "suspend", {"reason": "x"}),
            ("resume", "POST", "resume", None),
            ("key generation", "POST", "key", None),
            ("renewal", "POST", "renew", None),
            ("CSR", "POST", "csr", None),
            ("certificate", "PUT", "certificate",
             {"chain": open(t.leaf_ok).read()}),
            ("destruction", "POST", "destroy", {"reason": "revocation"}),
            ("unlock", "POST", "unlock", None)):
        t.L.mark()
        st, js = t.A.call(method, "/admin/v1/credentials/%s/%s" %
                          (cid, path), body)
        evs = t.L.since()
        tap(st == 409 and types(evs) == ["admin.request"],
            "END-3: %s of a destroyed credential is refused" % what,
            (st, js))
    st, js = signer_end(t, cid, t.auth, t.pin, t.otp.peek(),
                        nonce(t, t.auth))
    tap(st == 409, "END-3: the signer cannot use a destroyed credential",
        (st, js))

    # By the signer, from the command line (level 1: PIN, no OTP).
    sid, scid, pw, pin, fpw, fpin = t.seal
    sk = cred(t, scid)
    before = pkcs11_key_ids(t.state)
    t.L.mark()
    rc, out, e = cli_signer(t, (sid, fpw), "destroy", scid, "--pin-file",
                            fpin, "--reason", "revocation")
    evs = t.L.since()
    kd = [e for e in evs if e["type"] == "key.destroyed"]
    after = pkcs11_key_ids(t.state)
    tap(rc == 0 and kd and kd[0]["actor"]["kind"] == "signer" and
        kd[0]["body"]["reason"] == "revocation" and
        kd[0]["body"]["key_id"] in before and
        kd[0]["body"]["key_id"] not in after and
        cred(t, scid)["state"] == "destroyed",
        "END-2, END-3: the seal owner destroys their credential with a "
        "nonce and PIN (hanko signer destroy); the key leaves the HSM",
        (rc, out, e, types(evs), sk.get("state")))


def erasure(t):
    """REG-1: erasure deletes the per-signer key and salt; the attributes
    are unrecoverable; the ledger still verifies."""
    sid = t.sid
    st, js = t.A.call("POST", "/admin/v1/signers/%s/erase" % sid, {})
    tap(st == 400, "REG-1: an erasure needs a reason", js)
    t.L.mark()
    st, js = t.A.call("POST", "/admin/v1/signers/%s/erase" % sid,
                      {"reason": "data subject request"})
    evs = t.L.since()
    st2, js2 = t.A.call("GET", "/admin/v1/signers/" + sid)
    tap(st == 200 and "signer.erased" in types(evs) and st2 == 200 and
        js2["erased"] is True and "name" not in js2 and
        "email" not in js2,
        "REG-1: after erasure the attributes are gone, the signer record "
        "stays", (st, js, js2))
    st, js = t.A.call("POST", "/admin/v1/signers/%s/erase" % sid,
                      {"reason": "again"})
    tap(st == 409, "REG-1: a signer is erased once", js)
    st, js = t.A.call("POST", "/admin/v1/signers/%s/credentials" % sid,
                      {"algorithm": "p256", "level": 2})
    tap(st == 409, "REG-1: an erased signer gets no new credential", js)
    r = run(HANKO + ["ledger", "verify", "--state", t.state])
    tap(r.returncode == 0, "REG-1: the ledger still verifies after "
        "erasure", r.stdout + r.stderr)


def expiry(t):
    """REG-2: an expired enrollment code, END-2: an expired nonce; both
    change nothing."""
    wait = max(t.code_created + 62, t.early_nonce_at + 62) - time.time()
    if wait > 0:
        time.sleep(wait)
    t.L.mark()
    st, js = enroll(t, t.exp_code, "a long enough password", "123456")
    evs = t.L.since()
    c = cred(t, t.exp_cid)
    tap(st == 410 and evs == [] and c["state"] == "created",
        "REG-2: an expired enrollment code is refused and changes nothing",
        (st, js, c.get("state")))
    t.L.mark()
    st, js = signer_end(t, t.cid, t.auth, t.pin, t.otp.peek(),
                        t.early_nonce)
    tap(st == 410 and t.L.since() == [] and
        cred(t, t.cid)["state"] == "active",
        "END-2: an expired nonce is refused and changes nothing", (st, js))


def personal_data_at_rest(t):
    """REG-1, REG-2: no name, email, identity-proofing reference,
    enrollment code, password or OTP seed in clear anywhere in the state
    directory (data.mdb, the token files)."""
    found = grep_state(t.state, t.secrets)
    tap(not found and len(t.secrets) >= 8,
        "REG-1: no personal attribute or secret in clear under the state "
        "directory (%d strings grepped)" % len(t.secrets), found)
    mdb = open(t.state + "/ledger/data.mdb", "rb").read()
    tap(b"Hanko Test PKI" in mdb,
        "the grep has teeth: a certificate issuer (public) is found in "
        "data.mdb", "")


def restart(t):
    """Cold restart: the state replayed from the ledger equals the state
    the daemon held."""
    snap = {}
    for cid in (t.cid, t.seal[1], t.exp_cid):
        snap[cid] = cred(t, cid)
    snap["signer"] = t.A.call("GET", "/admin/v1/signers/" + t.seal_sid)[1]
    snap["users"] = t.SO.call("GET", "/admin/v1/users")[1]
    rc = t.d.stop()
    text = t.d.text()
    m = re.findall(r"state at stop: (\d+) events, digest ([0-9a-f]{64})",
                   text)
    tap(rc == 0 and m, "hankod stops and logs the live state's digest",
        text[-600:])
    r = run(HANKO + ["ledger", "replay", "--state", t.state])
    dg = re.search(r"digest ([0-9a-f]{64})", r.stdout)
    tap(m and dg and dg.group(1) == m[-1][1],
        "cold replay (hanko ledger replay) gives the digest of the state "
        "the daemon held", (m[-1:] if m else None, r.stdout))
    tap(t.d.start(t.signing), "hankod restarts", t.d.text()[-600:])
    m2 = re.findall(r"state replayed: (\d+) events, digest ([0-9a-f]{64})",
                    t.d.text())
    tap(m and m2 and m2[-1] == m[-1],
        "the restarted daemon replays to the same digest", (m2[-1:], m[-1:]))
    same = {}
    for cid in (t.cid, t.seal[1], t.exp_cid):
        same[cid] = cred(t, cid)
    same["signer"] = t.A.call("GET", "/admin/v1/signers/" + t.seal_sid)[1]
    same["users"] = t.SO.call("GET", "/admin/v1/users")[1]
    tap(same == snap, "signers, credentials and users read the same after "
        "the restart", (snap, same))


def main():
    t = setup()
    try:
        # An enrollment code left to expire (REG-2).
        st, js = t.A.call("POST", "/admin/v1/signers",
                          {"kind": "natural", "name": "Expiry Test",
                           "organization": "", "email": "e@example.test",
                           "identity_proofing": "expiry"})
        st, js = t.A.call("POST", "/admin/v1/signers/%s/credentials" %
                          js["signer_id"], {"algorithm": "p256",
                                            "level": 2})
        t.exp_cid, t.exp_code = js["credential_id"], js["enrollment_code"]
        t.code_created = time.time()
        privileged_users(t)
        role_matrix(t)
        signer_lifecycle(t)
        seal_owner_by_cli(t)
        suspension_and_lockout(t)
        expiry(t)
        renewal(t)
        destruction(t)
        erasure(t)
        t.secrets.append(t.exp_code.encode())
        personal_data_at_rest(t)
        restart(t)
        r = run(HANKO + ["ledger", "verify", "--state", t.state])
        tap(r.returncode == 0, "the ledger verifies at the end", r.stderr)
        text = t.d.text()
        tap(not any(s.decode() in text for s in t.secrets),
            "no personal attribute or secret appears in hankod's log")
    except Exception as e:  # a crash of the test is a failure
        import traceback
        traceback.print_exc()
        tap(False, "the lifecycle test ran to the end", repr(e))
    finally:
        if t.d.proc and t.d.proc.poll() is None:
            t.d.stop()
        if not FAILED and not os.environ.get("HK_KEEP"):
            shutil.rmtree(t.work, ignore_errors=True)
    print("1..%d" % N)
    return 1 if FAILED else 0


if __name__ == "__main__":
    sys.exit(main())
