# SPDX-License-Identifier: Apache-2.0
"""Shared pieces of the CSC v2 black-box tests (16-csc, 17-csc-crash): an
independent CSC client over python's ssl/http.client, TOTP codes from
oathtool, signature verification with python3-cryptography, DER for the
RSASSA-PSS parameters (a small encoder written here, checked against a
known constant), an offline verifier of `hanko ledger receipt` (RFC 9162
inclusion proof, C2SP signed note with Ed25519 from python3-cryptography,
the event decoded with python3-msgpack), and the test world (a real
hankod made with `hanko init`, a test CA made with the openssl command
line, signers and credentials set up through the admin API).

Nothing here shares code with Hanko. The lifecycle helpers (CA, Api,
Daemon, Ledger, certify) come from tests/integration/lifecycle.py."""
import base64
import hashlib
import http.client
import json
import os
import re
import ssl
import sys
import threading
import time
import urllib.parse

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import lifecycle as LC  # noqa: E402

import msgpack  # noqa: E402
from cryptography import x509  # noqa: E402
from cryptography.exceptions import InvalidSignature  # noqa: E402
from cryptography.hazmat.primitives import hashes as H  # noqa: E402
from cryptography.hazmat.primitives import serialization  # noqa: E402
from cryptography.hazmat.primitives.asymmetric import ec, padding  # noqa: E402
from cryptography.hazmat.primitives.asymmetric import utils as asym_utils  # noqa: E402
from cryptography.hazmat.primitives.asymmetric.ed25519 import \
    Ed25519PublicKey  # noqa: E402

BUILD = LC.BUILD
SLOW = LC.SLOW
HANKO = LC.HANKO
HANKOD = LC.HANKOD
TIMEOUT = 180 if SLOW else 30

# ---- OIDs (CSC uses dotted strings) ------------------------------------------

SHA256 = "2.16.840.1.101.3.4.2.1"
SHA384 = "2.16.840.1.101.3.4.2.2"
SHA512 = "2.16.840.1.101.3.4.2.3"
ECDSA_SHA256 = "1.2.840.10045.4.3.2"
ECDSA_SHA384 = "1.2.840.10045.4.3.3"
RSA_ENC = "1.2.840.113549.1.1.1"
RSA_SHA256 = "1.2.840.113549.1.1.11"
RSA_PSS = "1.2.840.113549.1.1.10"
MGF1 = "1.2.840.113549.1.1.8"
CURVE_P256 = "1.2.840.10045.3.1.7"
CURVE_P384 = "1.3.132.0.34"
HASH_LEN = {SHA256: 32, SHA384: 48, SHA512: 64}
HASH_OBJ = {SHA256: H.SHA256, SHA384: H.SHA384, SHA512: H.SHA512}


# ---- DER (a minimal encoder, for the RSASSA-PSS parameters) -------------------

def der_len(n):
    if n < 0x80:
        return bytes([n])
    b = n.to_bytes((n.bit_length() + 7) // 8, "big")
    return bytes([0x80 | len(b)]) + b


def der(tag, content):
    return bytes([tag]) + der_len(len(content)) + content


def der_oid(dotted):
    arcs = [int(a) for a in dotted.split(".")]
    out = bytes([40 * arcs[0] + arcs[1]])
    for a in arcs[2:]:
        enc = [a & 0x7f]
        a >>= 7
        while a:
            enc.insert(0, 0x80 | (a & 0x7f))
            a >>= 7
        out += bytes(enc)
    return der(0x06, out)


def der_int(v):
    b = v.to_bytes(max(1, (v.bit_length() + 8) // 8), "big")
    return der(0x02, b)


def der_seq(*items):
    return der(0x30, b"".join(items))


DER_NULL = b"\x05\x00"


def pss_params(hash_oid=SHA256, salt=32):
    """RSASSA-PSS-params (RFC 8017 A.2.3): hashAlgorithm [0], maskGenAlgorithm
    [1] = MGF1 with the same hash, saltLength [2]; trailerField default."""
    alg = der_seq(der_oid(hash_oid), DER_NULL)
    return der_seq(der(0xa0, alg),
                   der(0xa1, der_seq(der_oid(MGF1), alg)),
                   der(0xa2, der_int(salt)))


# The well-known encoding of SHA-256 / MGF1-SHA-256 / salt 32 (as in RFC
# 4055 profiles and every PAdES signer): the encoder above must give it.
PSS_SHA256_DER = bytes.fromhex(
    "3034a00f300d06096086480165030402010500a11c301a06092a864886f70d010108"
    "300d06096086480165030402010500a203020120")
assert pss_params() == PSS_SHA256_DER


# ---- Base64 -----------------------------------------------------------------

def b64(b):
    return base64.b64encode(b).decode()


def b64u(b):
    """Base64url without padding."""
    return base64.urlsafe_b64encode(b).decode().rstrip("=")


def unb64(s):
    """Decode standard or URL Base64, with or without padding."""
    s = s.replace("-", "+").replace("_", "/")
    return base64.b64decode(s + "=" * (-len(s) % 4), validate=True)


B64URL_32 = re.compile(r"^[A-Za-z0-9_-]{43}=?$")


def is_b64url32(s):
    """A string of 32 bytes in Base64url (the contract's token and SAD)."""
    return isinstance(s, str) and B64URL_32.match(s) is not None and \
        len(unb64(s)) == 32


def secret_ids(s):
    """The two readings of 'SHA-256 of the SAD/token' (of its text, or of
    the 32 bytes it encodes), hex. The contract says 'SHA-256 of the SAD';
    the tests accept either, but the same one everywhere."""
    out = {hashlib.sha256(s.encode()).hexdigest()}
    try:
        out.add(hashlib.sha256(unb64(s)).hexdigest())
    except Exception:
        pass
    return out


def isint(v):
    return isinstance(v, int) and not isinstance(v, bool)


def digest(oid=SHA256, data=None):
    """A fresh digest of random data (what a client would hash)."""
    data = os.urandom(64) if data is None else data
    h = hashlib.new({SHA256: "sha256", SHA384: "sha384",
                     SHA512: "sha512"}[oid])
    h.update(data)
    return h.digest()


# ---- the CSC client -----------------------------------------------------------

class Resp:
    def __init__(self, status, body, headers, tls, local):
        self.status = status
        self.raw = body
        self.headers = headers
        self.tls = tls
        self.local = local
        try:
            self.js = json.loads(body) if body else None
        except ValueError:
            self.js = {"_raw": body[:200]}

    def err(self):
        return (self.js or {}).get("error"), \
            (self.js or {}).get("error_description")

    def __repr__(self):
        return "HTTP %s %s" % (self.status, (self.raw or b"")[:300])


class Csc:
    """A CSC v2 client: one request per TLS connection (or a kept-alive
    connection with keep=True)."""

    def __init__(self, port, cafile, tls_max=None, timeout=TIMEOUT):
        self.port = port
        self.ctx = ssl.create_default_context(cafile=cafile)
        if tls_max is not None:
            self.ctx.maximum_version = tls_max
        self.timeout = timeout
        self.conn = None

    def connect(self):
        c = http.client.HTTPSConnection("localhost", self.port,
                                        context=self.ctx,
                                        timeout=self.timeout)
        c.connect()
        return c

    def close(self):
        if self.conn is not None:
            self.conn.close()
            self.conn = None

    def call(self, method, body=None, token=None, auth=None, raw=None,
             verb="POST", keep=False, conn=None, headers=None):
        """POST /csc/v2/${method}. body: a dict (JSON) or None; raw: bytes
        sent as is; token: a Bearer token; auth: an Authorization value,
        or a (user, password) tuple for Basic."""
        hdrs = {}
        data = None
        if raw is not None:
            data = raw
        elif body is not None:
            data = json.dumps(body).encode()
        elif verb == "POST":
            data = b""
        if data is not None:
            hdrs["Content-Type"] = "application/json"
        if token is not None:
            hdrs["Authorization"] = "Bearer " + token
        if isinstance(auth, tuple):
            hdrs["Authorization"] = "Basic " + base64.b64encode(
                ("%s:%s" % auth).encode()).decode()
        elif auth is not None:
            hdrs["Authorization"] = auth
        if headers:
            hdrs.update(headers)
        own = False
        if conn is None:
            if keep:
                if self.conn is None:
                    self.conn = self.connect()
                conn = self.conn
            else:
                conn = self.connect()
                own = True
                hdrs["Connection"] = "close"
        try:
            local = "%s:%d" % conn.sock.getsockname()[:2] if conn.sock \
                else None
            tls = conn.sock.version() if conn.sock else None
            conn.request(verb, "/csc/v2/" + method, body=data, headers=hdrs)
            r = conn.getresponse()
            text = r.read()
            return Resp(r.status, text, dict(r.getheaders()), tls, local)
        except Exception:
            if keep:
                self.close()
            raise
        finally:
            if own:
                conn.close()

    # Convenience wrappers.
    def login(self, user, password, body=None):
        return self.call("auth/login", body, auth=(user, password))

    def token(self, user, password):
        r = self.login(user, password)
        if r.status != 200 or not isinstance(r.js, dict) or \
                "access_token" not in r.js:
            raise RuntimeError("login %s: %r" % (user, r))
        return r.js["access_token"]


def expect(r, status, error=None, desc=None):
    """True when ${r} has exactly this status, error code and description
    (None: not checked). For an error, the body must be exactly
    {error, error_description}."""
    if r.status != status:
        return False
    if error is None and desc is None:
        return True
    if not isinstance(r.js, dict):
        return False
    if set(r.js) != {"error", "error_description"}:
        return False
    if error is not None and r.js.get("error") != error:
        return False
    if desc is not None:
        if isinstance(desc, (set, tuple, list)):
            return r.js.get("error_description") in desc
        return r.js.get("error_description") == desc
    return True


# ---- TOTP (oathtool) ------------------------------------------------------------

class Totp:
    """Codes from oathtool for a credential's otpauth:// URI. The server
    accepts steps now-1..now+1, each once per credential. code() picks the
    earliest unused step that stays valid for at least ${margin} seconds
    (so a request that takes a while still lands inside the window), and
    marks it used; peek() gives such a code without marking it."""

    MARGIN = 20 if SLOW else 6

    def __init__(self, uri):
        q = urllib.parse.parse_qs(urllib.parse.urlparse(uri).query)
        self.secret = q["secret"][0]
        self.last = 0
        self.lock = threading.Lock()

    def _pick(self):
        while True:
            now = time.time()
            cur = int(now) // 30
            for s in (cur - 1, cur, cur + 1):
                if s <= self.last:
                    continue
                # valid while cur in [s-1, s+1]: until (s+2)*30
                if (s + 2) * 30 - now >= self.MARGIN:
                    return s
            time.sleep(1)

    def oath(self, step):
        return LC.must(["oathtool", "--totp", "-b", "-N", "@%d" % (step * 30),
                        self.secret]).strip()

    def code(self):
        with self.lock:
            s = self._pick()
            self.last = s
            self.last_step = s
            return self.oath(s)

    def peek(self):
        with self.lock:
            s = self._pick()
            self.peek_step = s
            return self.oath(s)

    def burn(self):
        """Treat the last peeked step as used (after a request that might
        have consumed it)."""
        with self.lock:
            self.last = max(self.last, self.peek_step)

    def wrong(self):
        """A well-formed code that is none of the codes valid now."""
        cur = int(time.time()) // 30
        valid = {self.oath(s) for s in range(cur - 2, cur + 3)}
        for c in ("000000", "111111", "123456", "654321", "999999"):
            if c not in valid:
                return c
        return "012345"


# ---- signatures (python3-cryptography) -------------------------------------------

def verify_sig(cert, sign_algo, digest_bytes, sig, hash_oid=None,
               params=None):
    """Verify ${sig} over the prehashed ${digest_bytes} with the public key
    of ${cert} (an x509.Certificate). ECDSA: DER SEQUENCE{r,s}; RSA:
    PKCS#1 v1.5 (sha256WithRSAEncryption, or rsaEncryption with
    ${hash_oid}); RSASSA-PSS with ${params} = SHA-256/MGF1-SHA-256/salt 32.
    Returns None when it verifies, else the reason."""
    pub = cert.public_key()
    try:
        if sign_algo in (ECDSA_SHA256, ECDSA_SHA384):
            hcls = H.SHA256 if sign_algo == ECDSA_SHA256 else H.SHA384
            if hash_oid:
                hcls = HASH_OBJ[hash_oid]
            # DER, not r||s: decode_dss_signature refuses anything else.
            asym_utils.decode_dss_signature(sig)
            pub.verify(sig, digest_bytes,
                       ec.ECDSA(asym_utils.Prehashed(hcls())))
        elif sign_algo == RSA_SHA256:
            pub.verify(sig, digest_bytes, padding.PKCS1v15(),
                       asym_utils.Prehashed(H.SHA256()))
        elif sign_algo == RSA_ENC:
            pub.verify(sig, digest_bytes, padding.PKCS1v15(),
                       asym_utils.Prehashed(HASH_OBJ[hash_oid]()))
        elif sign_algo == RSA_PSS:
            if params != PSS_SHA256_DER:
                return "only SHA-256 PSS parameters are checked here"
            pub.verify(sig, digest_bytes,
                       padding.PSS(mgf=padding.MGF1(H.SHA256()),
                                   salt_length=32),
                       asym_utils.Prehashed(H.SHA256()))
        else:
            return "unknown signAlgo %s" % sign_algo
    except InvalidSignature:
        return "InvalidSignature"
    except Exception as e:
        return repr(e)
    return None


def spki_sha256(cert):
    return hashlib.sha256(cert.public_key().public_bytes(
        serialization.Encoding.DER,
        serialization.PublicFormat.SubjectPublicKeyInfo)).hexdigest()


# ---- receipts, verified offline -----------------------------------------------------

def verify_inclusion(index, size, leaf, proof, root):
    """RFC 9162 section 2.1.3.2."""
    if index >= size:
        return False
    fn, sn, r = index, size - 1, leaf
    for p in proof:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            r = hashlib.sha256(b"\x01" + p + r).digest()
            if not fn & 1:
                while not fn & 1 and fn != 0:
                    fn >>= 1
                    sn >>= 1
        else:
            r = hashlib.sha256(b"\x01" + r + p).digest()
        fn >>= 1
        sn >>= 1
    return sn == 0 and r == root


def verify_receipt(text, vkey):
    """A `hanko ledger receipt` (c2sp.org/tlog-proof@v1) checked offline:
    the checkpoint's Ed25519 note signature under ${vkey}, the inclusion of
    the event bytes under its root. Returns (event as decoded by
    python3-msgpack, index); raises ValueError when anything fails."""
    lines = text.split("\n")
    if lines[0] != "c2sp.org/tlog-proof@v1" or \
            not lines[1].startswith("extra ") or \
            not lines[2].startswith("index "):
        raise ValueError("not a tlog-proof@v1")
    extra = base64.b64decode(lines[1][6:], validate=True)
    index = int(lines[2][6:])
    i, proof = 3, []
    while lines[i] != "":
        proof.append(base64.b64decode(lines[i], validate=True))
        i += 1
    note = "\n".join(lines[i + 1:])
    body, sigs = note.split("\n\n", 1)
    body += "\n"
    origin, size, root = body.split("\n")[:3]
    size, root = int(size), base64.b64decode(root, validate=True)
    # The key is standard Base64: it may hold "+" itself.
    name, keyid, keyb = vkey.strip().split("+", 2)
    key = base64.b64decode(keyb)
    if name != origin or key[0] != 1 or \
            hashlib.sha256(name.encode() + b"\n" + key).digest()[:4].hex() \
            != keyid:
        raise ValueError("vkey does not name this log")
    good = False
    for line in sigs.split("\n"):
        if not line.startswith("\u2014 "):
            continue
        n, s = line[2:].split(" ")
        raw = base64.b64decode(s)
        if n == origin and raw[:4].hex() == keyid:
            Ed25519PublicKey.from_public_bytes(key[1:]).verify(
                raw[4:], body.encode())
            good = True
    if not good:
        raise ValueError("no signature by the log's key")
    leaf = hashlib.sha256(b"\x00" + extra).digest()
    if not verify_inclusion(index, size, leaf, proof, root):
        raise ValueError("inclusion proof fails")
    ev = msgpack.unpackb(extra, raw=False, strict_map_key=False)
    return ev, index


# ---- the test world: a real hankod with signers and credentials -----------------------

class Cred:
    pass


def add_user(w, pem_path, role):
    """A privileged user of ${role} for the certificate ${pem_path}: added
    by the administrator of World ${w}, approved by its security
    officer."""
    st, js = w.A.call("POST", "/admin/v1/users",
                      {"certificate": open(pem_path).read(), "role": role})
    if st != 200:
        raise RuntimeError("users.add %s: %s %s" % (role, st, js))
    st, js = w.SO.call("POST", "/admin/v1/approvals/%s/approve" %
                       js["approval"])
    if st != 200:
        raise RuntimeError("approve %s: %s %s" % (role, st, js))


class World:
    """A state made by `hanko init`, a running hankod, the admin API as the
    administrator and a security officer, a test PKI (root, intermediate),
    and helpers that register signers and bring credentials to active."""

    def __init__(self, work, name, policy="", pki=None, start=True):
        self.work = "%s/%s" % (work, name)
        os.makedirs(self.work)
        if pki is None:
            p = self.work + "/pki"
            os.makedirs(p)
            self.root = LC.CA(p, "root-a")
            self.inter = LC.CA(p, "int-a", parent=self.root)
        else:
            self.root, self.inter = pki
        bundle = self.work + "/trusted.pem"
        with open(bundle, "w") as f:
            f.write(open(self.root.crt).read())
        self.state = self.work + "/state"
        self.signing, self.admin_port = LC.free_port(), LC.free_port()
        LC.must(HANKO + ["init", "--state", self.state, "--origin",
                         "example.test/hanko/" + name, "--trusted-cas",
                         bundle, "--signing-listen",
                         "127.0.0.1:%d" % self.signing, "--admin-listen",
                         "127.0.0.1:%d" % self.admin_port])
        if policy:
            with open(self.state + "/hanko.conf", "a") as f:
                f.write("[policy]\n" + policy)
        self.opca = self.state + "/ca/operator-ca.crt"
        self.A = LC.Api(self.admin_port, self.opca,
                        (self.state + "/admin/admin.crt",
                         self.state + "/admin/admin.key"))
        self.SO = LC.Api(self.admin_port, self.opca,
                         (self.state + "/so/so.crt", self.state + "/so/so.key"))
        self.sign = LC.Api(self.signing, self.opca)
        self.csc = Csc(self.signing, self.opca)
        self.d = LC.Daemon(self.state, self.work + "/hankod.log")
        self.d.proc = None
        self.L = LC.Ledger(self.state)
        self.passwords = {}
        self.secrets = []
        if start and not self.d.start(self.signing):
            raise RuntimeError("hankod did not start: " + self.d.text()[-800:])

    def vkey(self):
        return LC.must(HANKO + ["ledger", "vkey", "--state", self.state]) \
            .strip()

    def events(self, start=0):
        return self.L.events(start)

    def event(self, seq):
        out = LC.must(HANKO + ["ledger", "show", "--state", self.state,
                               "--from", str(seq), "--count", "1"])
        return json.loads(out.splitlines()[0])

    def receipt(self, seq):
        return LC.must(HANKO + ["ledger", "receipt", "--state", self.state,
                                "--seq", str(seq)])

    def signer(self, kind, name, org=""):
        tag = os.urandom(3).hex()
        st, js = self.A.call("POST", "/admin/v1/signers", {
            "kind": kind, "name": "%s %s" % (name, tag),
            "organization": (org + " " + tag) if org else "",
            "email": "%s@example.test" % tag,
            "identity_proofing": "test-" + tag})
        if st not in (200, 201):
            raise RuntimeError("register: %s %s" % (st, js))
        sid = js["signer_id"]
        self.passwords[sid] = "signer password %s" % os.urandom(4).hex()
        self.secrets.append(self.passwords[sid])
        return sid

    def credential(self, sid, algorithm, level, chain="inter", cert=True,
                   not_after=None):
        """Create, enroll, generate the key, CSR, confirm, issue with the
        test CA (via the intermediate, or the root directly, or with a
        notAfter of ${not_after} epoch seconds), bind. Returns a Cred."""
        c = Cred()
        c.sid, c.algorithm, c.level = sid, algorithm, level
        c.password = self.passwords[sid]
        st, js = self.A.call("POST", "/admin/v1/signers/%s/credentials" % sid,
                             {"algorithm": algorithm, "level": level})
        if st not in (200, 201):
            raise RuntimeError("create: %s %s" % (st, js))
        c.cid, code = js["credential_id"], js["enrollment_code"]
        c.pin = "%08d" % (int.from_bytes(os.urandom(4), "big") % 10 ** 8)
        self.secrets += [code, c.pin]
        st, js = self.sign.call("POST", "/signer/v1/enroll", {
            "enrollment_code": code, "password": c.password, "pin": c.pin})
        if st != 200:
            raise RuntimeError("enroll: %s %s" % (st, js))
        c.totp = Totp(js["otpauth_uri"]) if level >= 2 else None
        if c.totp:
            self.secrets.append(c.totp.secret)
        mark = self.L.size()
        st, js = self.A.call("POST", "/admin/v1/credentials/%s/key" % c.cid)
        if st != 200:
            raise RuntimeError("key: %s %s" % (st, js))
        c.key_fp = js["key_fingerprint"]
        kg = [e for e in self.L.events(mark) if e["type"] == "key.generated"
              and e["subject"]["credential"] == c.cid]
        c.key_id = kg[0]["body"]["key_id"] if kg else None
        c.cert = None
        if not cert:
            return c
        st, js = self.A.call("POST", "/admin/v1/credentials/%s/csr" % c.cid)
        if st != 200:
            raise RuntimeError("csr: %s %s" % (st, js))
        auth = (sid, c.password)
        st, js = self.sign.call("POST", "/signer/v1/credentials/%s/csr/confirm"
                                % c.cid, {"pin": c.pin}, basic=auth)
        st2, js2 = self.A.call("GET", "/admin/v1/credentials/%s/csr" % c.cid)
        if st != 200 or st2 != 200:
            raise RuntimeError("confirm %s %s / csr %s %s" % (st, js, st2,
                                                              js2))
        csr = "%s/%s.csr" % (self.work, c.cid)
        with open(csr, "w") as f:
            f.write(js2["csr"])
        leaf = "%s/%s.crt" % (self.work, c.cid)
        extra = []
        if not_after is not None:
            fmt = "%Y%m%d%H%M%SZ"
            self.root.issue(csr, leaf, start=time.strftime(
                fmt, time.gmtime(time.time() - 3600)),
                end=time.strftime(fmt, time.gmtime(not_after)))
        elif chain == "inter":
            self.inter.issue(csr, leaf)
            extra = [self.inter.crt]
        else:
            self.root.issue(csr, leaf)
        pem = open(leaf).read() + "".join(open(p).read() for p in extra)
        st, js = self.A.call("PUT", "/admin/v1/credentials/%s/certificate" %
                             c.cid, {"chain": pem})
        if st != 200 or js.get("state") != "active":
            raise RuntimeError("bind: %s %s" % (st, js))
        c.cert = x509.load_pem_x509_certificate(open(leaf, "rb").read())
        c.chain = [c.cert] + [x509.load_pem_x509_certificate(
            open(p, "rb").read()) for p in extra]
        return c

    def admin_cred(self, cid):
        return self.A.call("GET", "/admin/v1/credentials/" + cid)[1] or {}

    def stop(self):
        if self.d.proc is not None and self.d.proc.poll() is None:
            return self.d.stop()
        return None


# ---- the CSC requests the tests make again and again --------------------------------

def auth_data(c, pin=None, otp=None, with_otp=None):
    """authData for ${c}: its PIN and, at level 2, a fresh OTP (marked
    used)."""
    ad = [{"id": "PIN", "value": c.pin if pin is None else pin}]
    if with_otp is None:
        with_otp = c.level >= 2
    if with_otp:
        ad.append({"id": "OTP", "value": otp if otp is not None
                   else c.totp.code()})
    return ad


def authorize(csc, token, c, hashes, oid=SHA256, n=None, ad=None, extra=None,
              conn=None):
    body = {"credentialID": c.cid,
            "numSignatures": len(hashes) if n is None else n,
            "hashes": [b64(h) for h in hashes],
            "hashAlgorithmOID": oid,
            "authData": auth_data(c) if ad is None else ad}
    if extra:
        body.update(extra)
    return csc.call("credentials/authorize", body, token=token, conn=conn)


def sign_hash(csc, token, c, sad, hashes, algo, oid=None, params=None,
              extra=None, conn=None, keep=False):
    body = {"credentialID": c.cid, "SAD": sad,
            "hashes": [b64(h) for h in hashes], "signAlgo": algo}
    if oid is not None:
        body["hashAlgorithmOID"] = oid
    if params is not None:
        body["signAlgoParams"] = b64(params)
    if extra:
        body.update(extra)
    return csc.call("signatures/signHash", body, token=token, conn=conn,
                    keep=keep)


def sig_algo_for(c):
    return {"p256": (ECDSA_SHA256, SHA256), "p384": (ECDSA_SHA384, SHA384),
            "rsa2048": (RSA_SHA256, SHA256)}[c.algorithm]
