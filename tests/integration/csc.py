# SPDX-License-Identifier: Apache-2.0
"""Black-box tests of issue 6: the CSC v2 signing API (net/route.c) and the
Signature Activation Module (core/sam.c), judged against docs/csc-api.md
on the real hankod over real TLS.

The client is written here (python ssl/http.client, cscclient.py); TOTP
codes come from oathtool; every signature is verified with
python3-cryptography against the public key of the bound certificate
(made by a test CA driven with the openssl command line); ledger events
are read with `hanko ledger show` and every signature's receipt (`hanko
ledger receipt`) is verified offline (Ed25519 note signature and RFC 9162
inclusion, cscclient.verify_receipt; the event bytes decoded with
python3-msgpack).

Two daemons: D1 with the default policy for almost everything, and D2
with the shortest policy the configuration allows (session_idle_s 60,
session_lifetime_s 300, sad_lifetime_s 10) for the timeouts (ACT-8, SAD
expiry), which runs in a thread while D1 is being tested.

Each TAP line names the requirement it proves (docs: ../shared
requirements ACT-*, SIG-*, NET-1) or the contract section ("csc-api")
for pure shape checks. Where the contract leaves something open the test
takes the reading closest to CSC v2.0.0.2 and says so in a comment.
Prints TAP. Run by 16-csc.sh."""
import base64
import json
import os
import re
import shutil
import signal
import socket
import ssl
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import cscclient as C  # noqa: E402
from cscclient import (LC, SHA256, SHA384, ECDSA_SHA256,  # noqa: E402
                       ECDSA_SHA384, RSA_ENC, RSA_SHA256, RSA_PSS,
                       CURVE_P256, CURVE_P384, PSS_SHA256_DER, b64, b64u,
                       expect, isint, authorize, sign_hash, auth_data,
                       secret_ids, digest)

tap = LC.tap
SLOW = C.SLOW
METHODS = ["auth/login", "auth/revoke", "credentials/list",
           "credentials/info", "credentials/authorize",
           "credentials/extendTransaction", "signatures/signHash"]
BEARER_METHODS = METHODS[1:]
_H = base64.b64encode(bytes(32)).decode()
WELL_FORMED = {
    "auth/revoke": {"token": "A" * 43},
    "credentials/list": {},
    "credentials/info": {"credentialID": "c-0000000000000001"},
    "credentials/authorize": {"credentialID": "c-0000000000000001",
                              "numSignatures": 1, "hashes": [_H],
                              "hashAlgorithmOID": C.SHA256},
    "credentials/extendTransaction": {"credentialID": "c-0000000000000001",
                                      "SAD": "A" * 43, "hashes": [_H],
                                      "hashAlgorithmOID": C.SHA256},
    "signatures/signHash": {"credentialID": "c-0000000000000001",
                            "SAD": "A" * 43, "hashes": [_H],
                            "hashAlgorithmOID": C.SHA256,
                            "signAlgo": C.ECDSA_SHA256},
}
INVALID_TOKEN = ("invalid_token", "Invalid or expired access token")
BAD_CRED = ("invalid_request", "Invalid parameter credentialID")
BAD_SAD = ("invalid_request", "Invalid parameter SAD")
NOT_AUTH = ("invalid_request", "Hash is not authorized by the SAD.")
DISABLED = ("invalid_request",
            "The credential identified by credentialID is disabled")
LOCKED = ("invalid_request", "Credential locked")
BAD_AUTH = ("invalid_authentication_data",
            "The authentication data is invalid")
TOO_HIGH = ("invalid_request", "Numbers of signatures is too high")
D1_SAD_LIFETIME = 300       # the default (docs/configuration.md)
D1_SESSION_LIFETIME = 28800
D2_IDLE = 60                # the minimums core/config.c allows
D2_LIFETIME = 300
D2_SAD = 30 if SLOW else 10
GT = "%Y%m%d%H%M%SZ"


class Ctx:
    pass


T = Ctx()
T.tokens = []      # every access token and SAD seen: never in ledger or log
T.sads = []
T.otps = []


def bad(r, pair, desc=None):
    """expect() for a 400/401 (status from the error code)."""
    status = 401 if pair[0] == "invalid_token" else 400
    return expect(r, status, pair[0], pair[1] if desc is None else desc)


def keep_token(tok):
    T.tokens.append(tok)
    return tok


def login(w, c_or_sid, password=None):
    sid = c_or_sid if password else c_or_sid.sid
    pw = password or c_or_sid.password
    return keep_token(w.csc.token(sid, pw))


def note(msg):
    print("# " + msg)
    sys.stdout.flush()


def evs_since(w, mark, types=None):
    evs = w.events(mark)
    if types:
        evs = [e for e in evs if e["type"] in types]
    return evs


def otp_of(ad):
    for o in ad:
        if o.get("id") == "OTP":
            T.otps.append(o.get("value"))
            return o.get("value")
    return None


# ---- checks of one authorisation and its signatures ------------------------------

def do_authorize(w, tok, c, hashes, oid=SHA256, client_data=None, conn=None,
                 lifetime=D1_SAD_LIFETIME, label="", extra=None):
    """Authorise ${hashes} and check the answer and the
    authorization.granted event exactly (ACT-4, SIG-3, SIG-6). Returns
    (SAD, granted event) or (None, detail)."""
    mark = w.L.size()
    ad = auth_data(c)
    otp = otp_of(ad)
    ex = dict(extra or {})
    if client_data is not None:
        ex["clientData"] = client_data
    t0 = time.time()
    r = authorize(w.csc, tok, c, hashes, oid=oid, ad=ad, extra=ex, conn=conn)
    t1 = time.time()
    if r.status != 200:
        tap(False, "%sauthorize %s (%s): 200" % (label, c.cid, c.algorithm), r)
        return None, r
    js = r.js
    sad = js.get("SAD")
    T.sads.append(sad)
    shape = (set(js) == {"SAD", "expiresIn"} and C.is_b64url32(sad) and
             isint(js["expiresIn"]) and
             lifetime - 2 - (t1 - t0) <= js["expiresIn"] <= lifetime)
    evs = w.events(mark)
    g = [e for e in evs if e["type"] == "authorization.granted"]
    ok = shape and len(g) == 1
    detail = (js, [e["type"] for e in evs])
    if ok:
        e = g[0]
        b = e["body"]
        want_hashes = sorted(h.hex() for h in hashes)
        ok = (b.get("sad_id") in secret_ids(sad) and
              sorted(b.get("hashes", [])) == want_hashes and
              b.get("hash_algorithm") == oid and
              b.get("num_signatures") == len(hashes) and
              b.get("level") == c.level and
              abs(b.get("expires_ms", 0) - e["time_ms"] -
                  lifetime * 1000) <= 1500 and
              b.get("session") in secret_ids(tok) and
              b.get("tls") == r.tls and
              "extends" not in b and
              e["subject"] == {"signer": c.sid, "credential": c.cid} and
              e["actor"]["id"] == c.sid and
              e["actor"]["channel"] == "signing" and
              e["actor"]["peer"] == r.local and
              (client_data is None or b.get("client_data") == client_data))
        if c.level >= 2:
            ok = ok and b.get("otp_step") == c.totp.last_step
        text = json.dumps(e)
        ok = ok and c.pin not in text and sad not in text and \
            tok not in text and (otp is None or '"%s"' % otp not in text)
        detail = (js, e)
    tap(ok, "%sACT-4, SIG-3: authorize %s (%s, level %d) answers {SAD, "
        "expiresIn} and records authorization.granted with the SAD id, "
        "hash algorithm, every hash, count, expiry, level, OTP step, "
        "session, TLS version, peer and clientData" %
        (label, c.cid, c.algorithm, c.level), detail)
    return (sad, g[0]) if ok else (sad if shape else None, detail)


def check_signed(w, tok, c, sad, granted, hashes, algo, r, oid=None,
                 params=None, client_data=None, label="", vkey=None):
    """The signHash answer ${r}: signatures verified with
    python3-cryptography in request order (SIG-1, SIG-5), one
    signature.created event each with every field (SIG-3, SIG-6), each
    event's receipt verified offline (SIG-6, ACT-7). Returns the
    signature bytes or None."""
    eff_oid = oid or {ECDSA_SHA256: SHA256, ECDSA_SHA384: SHA384,
                      RSA_SHA256: SHA256}.get(algo)
    js = r.js if isinstance(r.js, dict) else {}
    sigs = js.get("signatures")
    seqs = js.get("hanko_seqs")
    ok = (r.status == 200 and set(js) == {"signatures", "hanko_seqs"} and
          isinstance(sigs, list) and len(sigs) == len(hashes) and
          isinstance(seqs, list) and len(seqs) == len(hashes) and
          all(isinstance(s, str) for s in sigs) and
          all(isint(s) for s in seqs) and len(set(seqs)) == len(seqs))
    if not tap(ok, "%sSIG-5: signHash %s (%s, %d hash%s) answers "
               "{signatures, hanko_seqs}, one per hash" %
               (label, c.cid, algo, len(hashes),
                "" if len(hashes) == 1 else "es"), r):
        return None
    raw = [base64.b64decode(s, validate=True) for s in sigs]
    why = [C.verify_sig(c.cert, algo, h, s, hash_oid=eff_oid, params=params)
           for h, s in zip(hashes, raw)]
    tap(all(x is None for x in why),
        "%sSIG-1, SIG-5: every signature verifies with python3-cryptography "
        "against the bound certificate's key, over its own hash, in request "
        "order (%s)" % (label, algo), why)
    bad_ev = []
    for i, (h, s, seq) in enumerate(zip(hashes, raw, seqs)):
        e = w.event(seq)
        b = e["body"]
        want = {
            "type": e["type"] == "signature.created",
            "subject": e["subject"] == {"signer": c.sid,
                                        "credential": c.cid},
            "actor": e["actor"]["id"] == c.sid and
            e["actor"]["channel"] == "signing" and
            e["actor"]["peer"] == r.local,
            "sad_id": b.get("sad_id") == (granted["body"]["sad_id"]
                                          if granted else None) and
            b.get("sad_id") in secret_ids(sad),
            "spki": b.get("spki_sha256") == C.spki_sha256(c.cert) ==
            c.key_fp,
            "key_id": b.get("key_id") == c.key_id,
            "hash": b.get("hash") == h.hex(),
            "hash_alg": b.get("hash_algorithm") == eff_oid,
            "sign_alg": b.get("sign_algorithm") == algo,
            "value": b.get("signature") == s.hex(),
            "session": b.get("session") in secret_ids(tok),
            "tls": b.get("tls") == r.tls,
            "index": b.get("index") == i,
            "params": params is None or b.get("sign_params") ==
            params.hex(),
            "client_data": client_data is None or
            b.get("client_data") == client_data,
            "after grant": granted is None or
            (e["seq"] > granted["seq"] and
             e["time_ms"] >= granted["time_ms"]),
        }
        miss = [k for k, v in want.items() if not v]
        if miss:
            bad_ev.append((seq, miss, e))
    tap(not bad_ev, "%sSIG-3, SIG-6: each signature is a signature.created "
        "event (hanko_seqs) naming signer, credential, key fingerprint and "
        "CKA_ID, hash, algorithms, the value returned, the SAD id of its "
        "authorization, session, TLS version, peer, index" % label, bad_ev)
    vkey = vkey or w.vkey()
    rbad = []
    for h, s, seq in zip(hashes, raw, seqs):
        try:
            ev, idx = C.verify_receipt(w.receipt(seq), vkey)
            if not (idx == seq and ev[4] == 19 and ev[7].get(4) == h and
                    ev[7].get(6) == s and ev[6] == [c.sid, c.cid]):
                rbad.append((seq, "event bytes", ev))
        except Exception as e:  # a failed verification is a failure
            rbad.append((seq, repr(e)))
    tap(not rbad, "%sSIG-6, ACT-7: each signature's `hanko ledger receipt` "
        "verifies offline (Ed25519 checkpoint, RFC 9162 inclusion) and its "
        "event bytes carry that hash and that signature value" % label, rbad)
    return raw


# ---- the world --------------------------------------------------------------------

def setup():
    T.work = tempfile.mkdtemp(prefix="hanko-csc-")
    w = C.World(T.work, "d1")
    T.w = w
    tap(True, "D1: hanko init, test CA, hankod started")
    # D2: the shortest policy the configuration allows (core/config.c:
    # session_idle_s >= 60, session_lifetime_s >= 300, sad_lifetime_s
    # >= 10).
    T.w2 = C.World(T.work, "d2", policy="session_idle_s = %d\n"
                   "session_lifetime_s = %d\nsad_lifetime_s = %d\n" %
                   (D2_IDLE, D2_LIFETIME, D2_SAD), pki=(w.root, w.inter))
    tap(True, "D2 (session_idle_s %d, session_lifetime_s %d, sad_lifetime_s "
        "%d): started" % (D2_IDLE, D2_LIFETIME, D2_SAD))
    return w


def make_credentials(w):
    alice = w.signer("natural", "Alice Example")
    bob = w.signer("natural", "Bob Example")
    corp = w.signer("legal", "Example Seal", org="Example Corp")
    T.alice, T.bob, T.corp = alice, bob, corp
    T.a256 = w.credential(alice, "p256", 2, chain="inter")
    T.a384 = w.credential(alice, "p384", 2, chain="root")
    T.arsa = w.credential(alice, "rsa2048", 2, chain="inter")
    T.alock = w.credential(alice, "p256", 2)
    T.adis = w.credential(alice, "p256", 2)
    T.apend = w.credential(alice, "p256", 2, cert=False)
    T.b256 = w.credential(bob, "p256", 2)
    T.seal = w.credential(corp, "p256", 1)
    T.active_alice = sorted(c.cid for c in (T.a256, T.a384, T.arsa, T.alock,
                                            T.adis))
    tap(True, "signers (2 natural, 1 legal) and credentials (p256, p384, "
        "rsa2048 at level 2; a level 1 seal) are active")


# ---- info, login, header handling ---------------------------------------------------

def t_info(w):
    """csc-api info: fields, JSON types, exact values."""
    r = w.csc.call("info", {})
    ok = r.status == 200 and isinstance(r.js, dict)
    if not tap(ok, "csc-api: POST /csc/v2/info answers 200 with a JSON "
               "object (is the CSC API implemented?)", r):
        return False
    js = r.js
    keys = {"specs", "name", "logo", "region", "lang", "description",
            "authType", "methods", "signAlgorithms", "signature_formats",
            "conformance_levels"}
    tap(set(js) == keys, "csc-api: info has exactly the v2 fields", sorted(js))
    tap(js.get("specs") == "2.0.0.2" and
        all(isinstance(js.get(k), str) for k in
            ("name", "logo", "lang", "description")) and
        re.fullmatch(r"[A-Z]{2}", js.get("region") or "") is not None,
        "csc-api: info specs is \"2.0.0.2\"; name, logo, region (ISO "
        "3166-1 alpha-2), lang, description are strings", js)
    tap(js.get("authType") == ["basic"], "csc-api: authType is [\"basic\"]",
        js.get("authType"))
    tap(isinstance(js.get("methods"), list) and
        sorted(js["methods"]) == sorted(METHODS) and
        len(js["methods"]) == 7,
        "csc-api: methods lists exactly the seven methods served",
        js.get("methods"))
    sa = js.get("signAlgorithms")
    algos = sa.get("algos") if isinstance(sa, dict) else None
    tap(isinstance(sa, dict) and set(sa) == {"algos"} and
        isinstance(algos, list) and
        all(isinstance(a, str) and re.fullmatch(r"[0-9]+(\.[0-9]+)+", a)
            for a in algos) and
        {ECDSA_SHA256, ECDSA_SHA384, RSA_SHA256, RSA_PSS} <= set(algos),
        "csc-api: signAlgorithms is {algos: [OID...]} with ECDSA-SHA256, "
        "ECDSA-SHA384, sha256WithRSAEncryption and RSASSA-PSS", sa)
    T.info_algos = set(algos or [])
    tap(js.get("signature_formats") == {"formats": [],
                                        "envelope_properties": []} and
        js.get("conformance_levels") == [],
        "csc-api: signature_formats is {formats: [], envelope_properties: "
        "[]} and conformance_levels is [] (no signDoc)",
        (js.get("signature_formats"), js.get("conformance_levels")))
    tap(r.headers.get("Content-Type", "").startswith("application/json"),
        "csc-api: info is served as application/json", r.headers)
    g = w.csc.call("info", verb="GET")
    e = w.csc.call("info", raw=b"")
    x = w.csc.call("info", {"lang": "en-US", "foo": [1, {"a": None}]})
    tap(g.status == 200 and g.js == js and e.status == 200 and e.js == js
        and x.status == 200 and x.js == js,
        "csc-api: info also answers GET, an empty body, and ignores "
        "unknown fields (lang)", (g, e, x))
    for m in ("signatures/signDoc", "signatures/timestamp", "oauth2/token",
              "oauth2/authorize", "credentials/sendOTP",
              "credentials/getChallenge", "signatures/signPolling",
              "credentials/authorizeCheck", "nosuch"):
        r = w.csc.call(m, {})
        tap(expect(r, 404, "invalid_request", "Unknown method"),
            "csc-api: %s answers 404 invalid_request \"Unknown method\"" % m,
            r)
    return True


def t_login(w):
    a = T.a256
    t0 = time.time()
    r = w.csc.login(a.sid, a.password)
    t1 = time.time()
    js = r.js if isinstance(r.js, dict) else {}
    tok = js.get("access_token")
    ok = (r.status == 200 and set(js) == {"access_token", "expires_in"} and
          C.is_b64url32(tok) and isint(js.get("expires_in")) and
          D1_SESSION_LIFETIME - 2 - (t1 - t0) <= js["expires_in"] <=
          D1_SESSION_LIFETIME)
    tap(ok, "ACT-8: auth/login with Basic signer id:password answers "
        "{access_token (32 bytes, Base64url), expires_in = the absolute "
        "lifetime left}", r)
    if tok:
        keep_token(tok)
    T.tok_a = tok
    r2 = w.csc.login(a.sid, a.password, body={"rememberMe": True,
                                              "clientData": "x"})
    js2 = r2.js if isinstance(r2.js, dict) else {}
    if js2.get("access_token"):
        keep_token(js2["access_token"])
    tap(r2.status == 200 and set(js2) == {"access_token", "expires_in"} and
        js2.get("access_token") != tok,
        "ACT-8: every login gets a new token; rememberMe gets no refresh "
        "token", r2)
    for who, cred, why in ((a.sid, a.password + "x", "a wrong password"),
                           ("s-" + "0" * 16, a.password, "an unknown signer"),
                           (a.sid, a.pin, "the PIN instead of the password"),
                           (a.sid, "", "an empty password")):
        r = w.csc.login(who, cred)
        tap(expect(r, 400, "authentication_error",
                   "An error occurred during authentication process"),
            "ACT-5: login with %s is 400 authentication_error" % why, r)
    r = w.csc.call("auth/login", {})
    tap(expect(r, 401, "invalid_request",
               "Malformed authentication parameter."),
        "ACT-5: login without Authorization is 401 \"Malformed "
        "authentication parameter.\"", r)
    r = w.csc.call("auth/login", {}, token=tok or "x")
    tap(expect(r, 401, "invalid_request",
               "Malformed authentication parameter."),
        "ACT-5: login with a Bearer header is 401 \"Malformed "
        "authentication parameter.\"", r)
    r = w.csc.call("auth/login", {}, auth="Basic " +
                   base64.b64encode(b"no-colon-here").decode())
    tap(expect(r, 400, "invalid_request", "Malformed username-password."),
        "ACT-5: Basic without user:pass is 400 \"Malformed "
        "username-password.\"", r)
    # Bearer handling on every method that needs it.
    for m in BEARER_METHODS:
        r = w.csc.call(m, {})
        tap(expect(r, 401, "invalid_token", "Missing access token") and
            r.headers.get("WWW-Authenticate", "").startswith("Bearer"),
            "ACT-5: %s without a token is 401 invalid_token \"Missing "
            "access token\" with WWW-Authenticate: Bearer" % m,
            (r, r.headers.get("WWW-Authenticate")))
        r = w.csc.call(m, {}, auth=("x", "y"))
        tap(expect(r, 400, "invalid_request",
                   "Malformed authentication parameter."),
            "ACT-5: %s with Basic instead of Bearer is 400 \"Malformed "
            "authentication parameter.\"" % m, r)
        # A well-formed body: the front checks shape, the core the token.
        r = w.csc.call(m, WELL_FORMED[m], token=C.b64u(os.urandom(32)))
        tap(bad(r, INVALID_TOKEN), "ACT-8: %s with a forged token is 401 "
            "invalid_token" % m, r)
    if tok:
        r = w.csc.call("credentials/list", {}, token=tok[:-1] +
                       ("A" if tok[-1] != "A" else "B"))
        tap(bad(r, INVALID_TOKEN), "ACT-8: a token with one character "
            "changed is refused", r)
        r = w.csc.call("credentials/list", {}, token=tok.lower())
        tap(bad(r, INVALID_TOKEN), "ACT-8: tokens are case-sensitive", r)


# ---- credentials/list and credentials/info --------------------------------------------

def dn_forms(name):
    """RFC 4514 (most specific first, as python3-cryptography writes it)
    and the same attributes in X.500 order: the contract only says str;
    CSC examples use either."""
    rdns = name.rfc4514_string()
    fwd = ",".join(a.rfc4514_string() for a in name.rdns)
    return {rdns, fwd}


def check_info_shape(c, js, certificates="single", cert_info=False,
                     auth_info=False, status="valid", key_status="enabled"):
    """The credentials/info answer for ${c}; returns the list of problems."""
    p = []
    keys = {"description", "key", "cert", "SCAL", "multisign", "lang",
            "hanko_level"}
    if auth_info:
        keys.add("auth")
    if not isinstance(js, dict):
        return ["not an object"]
    if set(js) - {"credentialID"} != keys:
        p.append(("keys", sorted(js)))
    if not isinstance(js.get("description"), str):
        p.append("description")
    if js.get("SCAL") != "2":
        p.append(("SCAL", js.get("SCAL")))
    if not isint(js.get("multisign")) or js["multisign"] < 2:
        p.append(("multisign", js.get("multisign")))
    if not isinstance(js.get("lang"), str):
        p.append("lang")
    if js.get("hanko_level") != c.level or not isint(js.get("hanko_level")):
        p.append(("hanko_level", js.get("hanko_level")))
    k = js.get("key") or {}
    bits, curve = {"p256": (256, CURVE_P256), "p384": (384, CURVE_P384),
                   "rsa2048": (2048, None)}[c.algorithm]
    want_algo = {"p256": {ECDSA_SHA256}, "p384": {ECDSA_SHA384},
                 "rsa2048": {RSA_SHA256, RSA_PSS}}[c.algorithm]
    kk = {"status", "algo", "len"} | ({"curve"} if curve else set())
    if set(k) != kk or k.get("status") != key_status or \
            k.get("len") != bits or not isint(k.get("len")) or \
            (curve and k.get("curve") != curve) or \
            not isinstance(k.get("algo"), list) or \
            not want_algo <= set(k.get("algo")) or \
            not set(k.get("algo")) <= T.info_algos:
        p.append(("key", k))
    ce = js.get("cert") or {}
    ck = {"status"}
    if certificates != "none":
        ck.add("certificates")
    if cert_info:
        ck |= {"issuerDN", "subjectDN", "serialNumber", "validFrom",
               "validTo"}
    if set(ce) != ck or ce.get("status") != status:
        p.append(("cert keys/status", sorted(ce), ce.get("status")))
    der = [x.public_bytes(C.serialization.Encoding.DER) for x in c.chain]
    if certificates == "single" and ce.get("certificates") != [b64(der[0])]:
        p.append(("single", ce.get("certificates")))
    if certificates == "chain":
        got = ce.get("certificates") or []
        # Leaf first, then the bound intermediates; the root may follow.
        root = c.root_der if hasattr(c, "root_der") else None
        if got[:len(der)] != [b64(d) for d in der] or \
                len(got) not in (len(der), len(der) + 1) or \
                (len(got) == len(der) + 1 and got[-1] != root):
            p.append(("chain", len(got)))
    if cert_info:
        if ce.get("subjectDN") not in dn_forms(c.cert.subject):
            p.append(("subjectDN", ce.get("subjectDN")))
        if ce.get("issuerDN") not in dn_forms(c.cert.issuer):
            p.append(("issuerDN", ce.get("issuerDN")))
        try:
            if int(ce.get("serialNumber"), 16) != c.cert.serial_number or \
                    not re.fullmatch(r"[0-9A-Fa-f]+", ce["serialNumber"]):
                p.append(("serialNumber", ce.get("serialNumber")))
        except (TypeError, ValueError):
            p.append(("serialNumber", ce.get("serialNumber")))
        if ce.get("validFrom") != c.cert.not_valid_before.strftime(GT) or \
                ce.get("validTo") != c.cert.not_valid_after.strftime(GT):
            p.append(("validity", ce.get("validFrom"), ce.get("validTo")))
    if auth_info:
        a = js.get("auth") or {}
        objs = a.get("objects") or []
        exp = "PIN AND OTP" if c.level >= 2 else "PIN"
        want_ids = ["PIN", "OTP"] if c.level >= 2 else ["PIN"]
        okobj = (isinstance(objs, list) and
                 [o.get("id") for o in objs] == want_ids and
                 all(o.get("type") == "Password" and o.get("format") == "N"
                     and isinstance(o.get("label"), str) for o in objs) and
                 all(set(o) == ({"type", "id", "format", "label",
                                 "generator"} if o["id"] == "OTP" else
                                {"type", "id", "format", "label"})
                     for o in objs) and
                 all(o.get("generator") == "totp" for o in objs
                     if o.get("id") == "OTP"))
        if set(a) != {"mode", "expression", "objects"} or \
                a.get("mode") != "explicit" or a.get("expression") != exp \
                or not okobj:
            p.append(("auth", a))
    return p


def info(w, tok, c, **kw):
    body = {"credentialID": c.cid}
    body.update(kw)
    return w.csc.call("credentials/info", body, token=tok)


def t_list_info(w):
    tok = T.tok_a
    root_der = w.root.crt
    from cryptography import x509
    rd = b64(x509.load_pem_x509_certificate(open(root_der, "rb").read())
             .public_bytes(C.serialization.Encoding.DER))
    for c in (T.a256, T.a384, T.arsa, T.alock, T.adis, T.b256, T.seal):
        c.root_der = rd
    r = w.csc.call("credentials/list", {}, token=tok)
    js = r.js if isinstance(r.js, dict) else {}
    tap(r.status == 200 and set(js) == {"credentialIDs"} and
        isinstance(js.get("credentialIDs"), list) and
        sorted(js["credentialIDs"]) == T.active_alice,
        "ACT-8, SIG-1: credentials/list gives exactly the caller's active "
        "credentials (not another signer's, not one without a certificate)",
        (r, T.active_alice))
    tb = login(w, T.b256)
    T.tok_b = tb
    r = w.csc.call("credentials/list", {"credentialInfo": False}, token=tb)
    tap(r.status == 200 and r.js == {"credentialIDs": [T.b256.cid]},
        "ACT-8: another signer's token lists only theirs", r)
    ts = login(w, T.seal)
    T.tok_s = ts
    r = w.csc.call("credentials/list", {}, token=ts)
    tap(r.status == 200 and r.js == {"credentialIDs": [T.seal.cid]},
        "SIG-8: the legal person lists its seal credential", r)
    r = w.csc.call("credentials/list", {"credentialInfo": True,
                                        "certInfo": True, "authInfo": True,
                                        "certificates": "chain"}, token=tok)
    js = r.js if isinstance(r.js, dict) else {}
    infos = js.get("credentialInfos") or []
    byid = {i.get("credentialID"): i for i in infos
            if isinstance(i, dict)}
    probs = {}
    for c in (T.a256, T.a384, T.arsa):
        probs[c.cid] = check_info_shape(c, byid.get(c.cid), "chain", True,
                                        True)
    tap(r.status == 200 and set(js) == {"credentialIDs", "credentialInfos"}
        and sorted(js.get("credentialIDs", [])) == T.active_alice and
        sorted(byid) == T.active_alice and len(infos) == len(byid) and
        not any(probs.values()),
        "csc-api: list with credentialInfo gives one info per credential, "
        "each with its credentialID", (r.status, sorted(js), probs))
    r = w.csc.call("credentials/list", {"onlyValid": True}, token=tok)
    tap(r.status == 200 and r.js == {"credentialIDs": T.active_alice,
                                     "onlyValid": True} or
        (r.status == 200 and isinstance(r.js, dict) and
         r.js.get("onlyValid") is True and
         sorted(r.js.get("credentialIDs", [])) == T.active_alice and
         set(r.js) == {"credentialIDs", "onlyValid"}),
        "csc-api: list with onlyValid says onlyValid: true", r)
    for body, what, desc in (
            ({"credentialInfo": "yes"}, "credentialInfo \"yes\"",
             "Missing (or invalid type) boolean parameter credentialInfo"),
            ({"onlyValid": 1}, "onlyValid 1",
             "Missing (or invalid type) boolean parameter onlyValid"),
            ({"userID": T.alice}, "a non-null userID",
             "userID parameter MUST be null")):
        r = w.csc.call("credentials/list", body, token=tok)
        tap(expect(r, 400, "invalid_request", desc),
            "csc-api: list with %s is 400 \"%s\"" % (what, desc), r)
    r = w.csc.call("credentials/list", {"userID": None, "lang": "en-US",
                                        "maxResults": 10}, token=tok)
    tap(r.status == 200 and sorted((r.js or {}).get("credentialIDs", [])) ==
        T.active_alice, "csc-api: list accepts userID null and ignores "
        "unknown fields (lang, maxResults)", r)

    # credentials/info
    for c in (T.a256, T.a384, T.arsa):
        r = info(w, tok, c)
        tap(r.status == 200 and not check_info_shape(c, r.js),
            "csc-api: info of %s (%s) by default: key {status, algo, len%s}, "
            "cert {status valid, certificates [leaf]}, SCAL \"2\", "
            "multisign integer, lang, hanko_level 2; no auth" %
            (c.cid, c.algorithm, ", curve" if c.algorithm != "rsa2048"
             else ""), (r, check_info_shape(c, r.js)))
        r = info(w, tok, c, certificates="chain", certInfo=True,
                 authInfo=True)
        tap(r.status == 200 and not check_info_shape(c, r.js, "chain", True,
                                                     True),
            "csc-api: info of %s with chain, certInfo, authInfo: the chain "
            "leaf first, issuerDN, subjectDN, serialNumber (hex), validFrom/"
            "validTo (GeneralizedTime) equal to the certificate, auth {mode "
            "explicit, expression \"PIN AND OTP\", objects PIN and OTP "
            "(totp)}" % c.cid,
            (r, check_info_shape(c, r.js, "chain", True, True)))
        r = info(w, tok, c, certificates="none")
        tap(r.status == 200 and not check_info_shape(c, r.js, "none"),
            "csc-api: info of %s with certificates none has no "
            "certificates" % c.cid, (r, check_info_shape(c, r.js, "none")))
    T.multisign = (info(w, tok, T.a256).js or {}).get("multisign", 2)
    T.subject_dn = {}
    r = info(w, ts, T.seal, authInfo=True, certInfo=True)
    tap(r.status == 200 and not check_info_shape(T.seal, r.js, "single",
                                                 True, True),
        "ACT-1, SIG-8: the seal's info says level 1: expression \"PIN\", "
        "one PIN object, hanko_level 1",
        (r, check_info_shape(T.seal, r.js, "single", True, True)))
    # Quirks (research section 5): booleans as strings, null as absent.
    r = info(w, tok, T.a256, certInfo="true", authInfo="false",
             certificates=None, lang="en-US", clientData="")
    tap(r.status == 200 and not check_info_shape(T.a256, r.js, "single",
                                                 True, False),
        "csc-api quirks: certInfo \"true\" counts as true, authInfo "
        "\"false\" as false, certificates null as absent", r)
    for c, t, what in ((T.b256, tok, "another signer's credential"),
                       (T.apend, tok, "a credential without a certificate"),
                       (None, tok, "an unknown credential")):
        body = {"credentialID": c.cid if c else "c-" + "0" * 16}
        r = w.csc.call("credentials/info", body, token=t)
        tap(bad(r, BAD_CRED), "ACT-8, SIG-1: info of %s is 400 \"Invalid "
            "parameter credentialID\"" % what, r)
    for body, what, desc in (
            ({}, "no credentialID",
             "Missing (or invalid type) string parameter credentialID"),
            ({"credentialID": 5}, "credentialID 5",
             "Missing (or invalid type) string parameter credentialID"),
            ({"credentialID": T.a256.cid, "certInfo": 3}, "certInfo 3",
             "Missing (or invalid type) boolean parameter certInfo"),
            ({"credentialID": T.a256.cid, "certificates": "all"},
             "certificates \"all\"", "Invalid parameter certificates"),
            ({"credentialID": T.a256.cid, "userID": T.alice},
             "a userID", "userID parameter MUST be null")):
        r = w.csc.call("credentials/info", body, token=tok)
        tap(expect(r, 400, "invalid_request", desc),
            "csc-api: info with %s is 400 \"%s\"" % (what, desc), r)
    r = w.csc.call("credentials/info", raw=b'{"credentialID": ',
                   token=tok)
    tap(expect(r, 400, "invalid_request"),
        "csc-api: malformed JSON is 400 invalid_request", r)


# ---- signing with each algorithm ------------------------------------------------------

def t_sign_algorithms(w):
    """SIG-1, SIG-3, SIG-5, SIG-6, ACT-2, ACT-4: one authorisation and
    signature per key type, every signature verified."""
    tok = T.tok_a
    vkey = w.vkey()
    T.vkey = vkey
    # P-256, hashAlgorithmOID implied by ecdsa-with-SHA256.
    c = T.a256
    h = digest()
    sad, g = do_authorize(w, tok, c, [h], client_data="doc-p256",
                          label="P-256: ")
    T.a256_step = c.totp.last_step
    T.a256_code = c.totp.oath(c.totp.last_step)
    if sad and g:
        r = sign_hash(w.csc, tok, c, sad, [h], ECDSA_SHA256,
                      extra={"clientData": "doc-p256"})
        check_signed(w, tok, c, sad, g, [h], ECDSA_SHA256, r,
                     client_data="doc-p256", label="P-256: ", vkey=vkey)
        r = sign_hash(w.csc, tok, c, sad, [h], ECDSA_SHA256)
        tap(bad(r, BAD_SAD), "ACT-6: a used-up SAD (1 of 1 signed) is "
            "refused: \"Invalid parameter SAD\"", r)
    # P-384 with SHA-384, hashAlgorithmOID given.
    c = T.a384
    h = digest(SHA384)
    sad, g = do_authorize(w, tok, c, [h], oid=SHA384, label="P-384: ")
    if sad and g:
        r = sign_hash(w.csc, tok, c, sad, [h], ECDSA_SHA384, oid=SHA384)
        check_signed(w, tok, c, sad, g, [h], ECDSA_SHA384, r, oid=SHA384,
                     label="P-384: ", vkey=vkey)
    # RSA-2048: PKCS#1 v1.5 (sha256WithRSAEncryption) and PSS, and
    # rsaEncryption + hashAlgorithmOID when the key lists it.
    c = T.arsa
    algos = set(((info(w, tok, c).js or {}).get("key") or {}).get("algo")
                or [])
    hs = [digest(), digest()] + ([digest()] if RSA_ENC in algos else [])
    sad, g = do_authorize(w, tok, c, hs, label="RSA: ")
    if sad and g:
        r = sign_hash(w.csc, tok, c, sad, [hs[0]], RSA_SHA256)
        check_signed(w, tok, c, sad, g, [hs[0]], RSA_SHA256, r,
                     label="RSA PKCS#1 v1.5: ", vkey=vkey)
        mark = w.L.size()
        r = sign_hash(w.csc, tok, c, sad, [hs[1]], RSA_PSS, oid=SHA256)
        tap(expect(r, 400, "invalid_request", "Missing (or invalid type) "
                   "string parameter signAlgoParams"),
            "SIG-1: RSASSA-PSS without signAlgoParams is 400 \"Missing (or "
            "invalid type) string parameter signAlgoParams\"", r)
        r = sign_hash(w.csc, tok, c, sad, [hs[1]], RSA_PSS, oid=SHA256,
                      params=b"\x01\x02\x03")
        tap(expect(r, 400, "invalid_request",
                   "Invalid parameter signAlgoParams"),
            "SIG-1: RSASSA-PSS with parameters that are not DER is 400 "
            "\"Invalid parameter signAlgoParams\"", r)
        r = sign_hash(w.csc, tok, c, sad, [hs[1]], RSA_PSS, oid=SHA256,
                      extra={"signAlgoParams": "%%%not base64"})
        tap(expect(r, 400, "invalid_request",
                   "Invalid parameter signAlgoParams"),
            "csc-api: signAlgoParams that is not Base64 is 400 \"Invalid "
            "parameter signAlgoParams\"", r)
        r = sign_hash(w.csc, tok, c, sad, [hs[1]], ECDSA_SHA256)
        tap(bad(r, ("invalid_request", "Invalid parameter signAlgo")),
            "SIG-1: ECDSA on an RSA key is 400 \"Invalid parameter "
            "signAlgo\"", r)
        r = sign_hash(w.csc, tok, c, sad, [hs[1]], "1.2.3.4.5")
        tap(bad(r, ("invalid_request", "Invalid parameter signAlgo")),
            "SIG-1: an unknown signAlgo is 400 \"Invalid parameter "
            "signAlgo\"", r)
        tap(not evs_since(w, mark, {"signature.created"}),
            "SIG-1: the refused requests signed nothing")
        # SHA-256 / MGF1-SHA-256 / salt 32: the DER is built by the small
        # encoder in cscclient.py (pss_params) and checked there against
        # the well-known constant.
        r = sign_hash(w.csc, tok, c, sad, [hs[1]], RSA_PSS, oid=SHA256,
                      params=PSS_SHA256_DER)
        check_signed(w, tok, c, sad, g, [hs[1]], RSA_PSS, r, oid=SHA256,
                     params=PSS_SHA256_DER, label="RSA-PSS: ", vkey=vkey)
        if RSA_ENC in algos:
            r = sign_hash(w.csc, tok, c, sad, [hs[2]], RSA_ENC)
            tap(expect(r, 400, "invalid_request", "Missing (or invalid type) "
                       "string parameter hashAlgorithmOID"),
                "SIG-1: rsaEncryption without hashAlgorithmOID is 400 "
                "\"Missing (or invalid type) string parameter "
                "hashAlgorithmOID\"", r)
            r = sign_hash(w.csc, tok, c, sad, [hs[2]], RSA_ENC, oid=SHA256)
            check_signed(w, tok, c, sad, g, [hs[2]], RSA_ENC, r, oid=SHA256,
                         label="RSA rsaEncryption+SHA-256: ", vkey=vkey)
        else:
            note("the RSA key does not list rsaEncryption (%s): not tested"
                 % RSA_ENC)
    # SIG-4, SIG-8, ACT-1: the legal person's seal, level 1 (PIN only):
    # an explicit, recorded authorisation for each batch.
    c = T.seal
    ts = T.tok_s
    hs = [digest(), digest()]
    r = w.csc.call("signatures/signHash", {
        "credentialID": c.cid, "hashes": [b64(hs[0])],
        "signAlgo": ECDSA_SHA256}, token=ts)
    tap(expect(r, 400, "invalid_request",
               "Missing (or invalid type) string parameter SAD"),
        "SIG-4: the seal cannot sign without a SAD (\"Missing (or invalid "
        "type) string parameter SAD\")", r)
    r = authorize(w.csc, ts, c, hs, ad=[])
    tap(expect(r, 400, "invalid_request",
               "Missing (or invalid type) authData PIN"),
        "SIG-4, ACT-1: the seal's authorisation needs its PIN", r)
    sad, g = do_authorize(w, ts, c, hs, client_data="batch-42",
                          label="seal: ")
    if sad and g:
        tap("otp_step" not in g["body"] and g["body"]["level"] == 1,
            "ACT-1, SIG-4: the seal's authorisation is recorded at level 1 "
            "without an OTP step", g["body"])
        r = sign_hash(w.csc, ts, c, sad, hs, ECDSA_SHA256, oid=SHA256,
                      extra={"clientData": "batch-42"})
        check_signed(w, ts, c, sad, g, hs, ECDSA_SHA256, r, oid=SHA256,
                     client_data="batch-42", label="SIG-4, SIG-8 seal: ",
                     vkey=vkey)
        st, js = w.A.call("GET", "/admin/v1/signers/" + c.sid)
        tap(st == 200 and js.get("kind") == "legal",
            "SIG-8: the seal's signer is a legal person, in the same "
            "appliance as natural persons' credentials", js)


def t_bulk_and_chain(w):
    """ACT-6: a set of N hashes under one SAD in one request, and a chain
    of SADs (extendTransaction), each used once."""
    tok = T.tok_a
    c = T.a256
    n = max(2, min(T.multisign, 5))
    hs = [digest() for _ in range(n)]
    sad, g = do_authorize(w, tok, c, hs, label="bulk: ")
    if sad and g:
        r = sign_hash(w.csc, tok, c, sad, hs, ECDSA_SHA256, oid=SHA256)
        sigs = check_signed(w, tok, c, sad, g, hs, ECDSA_SHA256, r,
                            oid=SHA256, label="ACT-6 bulk (%d): " % n,
                            vkey=T.vkey)
        tap(sigs is not None and len(set(sigs)) == n,
            "ACT-6: one SAD for %d listed hashes gives %d distinct "
            "signatures in one request" % (n, n))
        r = sign_hash(w.csc, tok, c, sad, hs[:1], ECDSA_SHA256)
        tap(bad(r, BAD_SAD), "ACT-6: the bulk SAD is used up", r)
    # The chain: authorize 3 hashes, sign one, extend, sign, extend, sign.
    hs = [digest() for _ in range(3)]
    s1, g1 = do_authorize(w, tok, c, hs, label="chain: ")
    if not (s1 and g1):
        return
    r = sign_hash(w.csc, tok, c, s1, hs[:1], ECDSA_SHA256)
    check_signed(w, tok, c, s1, g1, hs[:1], ECDSA_SHA256, r,
                 label="chain 1/3: ", vkey=T.vkey)
    prev_sad, prev_g, left = s1, g1, hs[1:]
    for step in (2, 3):
        mark = w.L.size()
        t0 = time.time()
        r = w.csc.call("credentials/extendTransaction", {
            "credentialID": c.cid, "SAD": prev_sad}, token=tok)
        js = r.js if isinstance(r.js, dict) else {}
        nsad = js.get("SAD")
        evs = evs_since(w, mark, {"authorization.granted"})
        ok = (r.status == 200 and set(js) == {"SAD", "expiresIn"} and
              C.is_b64url32(nsad) and nsad != prev_sad and
              isint(js.get("expiresIn")) and
              D1_SAD_LIFETIME - 2 - (time.time() - t0) <= js["expiresIn"]
              <= D1_SAD_LIFETIME and len(evs) == 1)
        if ok:
            T.sads.append(nsad)
            b = evs[0]["body"]
            ok = (b.get("extends") == prev_g["body"]["sad_id"] and
                  b.get("sad_id") in secret_ids(nsad) and
                  sorted(b.get("hashes", [])) == sorted(x.hex()
                                                        for x in left) and
                  b.get("num_signatures") == len(left) and
                  b.get("session") in secret_ids(tok) and
                  evs[0]["subject"] == {"signer": c.sid,
                                        "credential": c.cid})
        tap(ok, "ACT-6: extendTransaction (%d/3) gives a new SAD with a "
            "fresh expiry, recorded as authorization.granted extending the "
            "old SAD id, for the hashes not yet signed" % step,
            (r, [e["body"] for e in evs]))
        if not ok:
            return
        r = sign_hash(w.csc, tok, c, prev_sad, left[:1], ECDSA_SHA256)
        tap(bad(r, BAD_SAD), "ACT-6: the extended SAD is dead (\"Invalid "
            "parameter SAD\")", r)
        r = w.csc.call("credentials/extendTransaction", {
            "credentialID": c.cid, "SAD": prev_sad}, token=tok)
        tap(bad(r, BAD_SAD), "ACT-6: an extended SAD cannot be extended "
            "again", r)
        r = sign_hash(w.csc, tok, c, nsad, [hs[0]], ECDSA_SHA256)
        tap(bad(r, NOT_AUTH), "ACT-6: the new SAD does not cover the hash "
            "already signed (\"Hash is not authorized by the SAD.\")", r)
        r = sign_hash(w.csc, tok, c, nsad, left[:1], ECDSA_SHA256)
        check_signed(w, tok, c, nsad, evs[0], left[:1], ECDSA_SHA256, r,
                     label="chain %d/3: " % step, vkey=T.vkey)
        prev_sad, prev_g, left = nsad, evs[0], left[1:]
    r = sign_hash(w.csc, tok, c, prev_sad, [hs[2]], ECDSA_SHA256)
    tap(bad(r, BAD_SAD), "ACT-6: the last SAD of the chain is used up", r)
    r = w.csc.call("credentials/extendTransaction", {
        "credentialID": c.cid, "SAD": prev_sad}, token=tok)
    tap(bad(r, BAD_SAD), "ACT-6: a used-up SAD cannot be extended", r)


def t_sad_rules(w):
    """ACT-4, ACT-5, ACT-6, ACT-7, SIG-1: what a SAD does not allow."""
    tok, tb = T.tok_a, T.tok_b
    c = T.a384
    hs = [digest(SHA384) for _ in range(3)]
    sad, g = do_authorize(w, tok, c, hs, oid=SHA384, label="SAD rules: ")
    if not (sad and g):
        return
    mark = w.L.size()
    other = digest(SHA384)
    flipped = bytes([hs[0][0] ^ 1]) + hs[0][1:]
    cases = [
        ("ACT-4: a hash outside the SAD's set", {"hashes": [b64(other)]},
         NOT_AUTH),
        ("ACT-7: an authorised hash with one bit flipped",
         {"hashes": [b64(flipped)]}, NOT_AUTH),
        ("ACT-4: an authorised hash with one outside the set",
         {"hashes": [b64(hs[0]), b64(other)]}, NOT_AUTH),
        ("ACT-5: a forged SAD", {"SAD": b64u(os.urandom(32))}, BAD_SAD),
        ("ACT-5: the SAD with one character changed",
         {"SAD": sad[:-2] + ("AA" if sad[-2:] != "AA" else "BB")}, BAD_SAD),
        ("ACT-5: no SAD (skipping authorize)", {"SAD": None},
         ("invalid_request",
          "Missing (or invalid type) string parameter SAD")),
        ("csc-api: SAD of the wrong type", {"SAD": 7},
         ("invalid_request",
          "Missing (or invalid type) string parameter SAD")),
        ("csc-api: no signAlgo", {"signAlgo": None},
         ("invalid_request",
          "Missing (or invalid type) string parameter signAlgo")),
        ("SIG-1: an RSA signAlgo on an EC key", {"signAlgo": RSA_SHA256},
         ("invalid_request", "Invalid parameter signAlgo")),
        ("csc-api: no hashes", {"hashes": None},
         ("invalid_request",
          "Missing (or invalid type) array parameter hashes")),
        ("csc-api: hashes as a string", {"hashes": b64(hs[0])},
         ("invalid_request",
          "Missing (or invalid type) array parameter hashes")),
        ("csc-api: an empty hash array", {"hashes": []},
         ("invalid_request", "Empty hash array")),
        ("csc-api: a hash that is not Base64", {"hashes": ["*not*b64*"]},
         ("invalid_request", "Invalid Base64 hash string parameter")),
        ("csc-api: a Base64 hash with whitespace",
         {"hashes": [b64(hs[0])[:10] + " " + b64(hs[0])[10:]]},
         ("invalid_request", "Invalid Base64 hash string parameter")),
        ("csc-api: a hash that is not a string", {"hashes": [12345]},
         ("invalid_request", "Invalid Base64 hash string parameter")),
        ("csc-api: 1025 hashes", {"hashes": [b64(digest(SHA384))
                                             for _ in range(1025)]},
         ("invalid_request", "Too many hashes")),
        ("csc-api: a non-null userID", {"userID": T.alice},
         ("invalid_request", "userID parameter MUST be null")),
    ]
    for what, mod, pair in cases:
        body = {"credentialID": c.cid, "SAD": sad, "hashes": [b64(hs[0])],
                "signAlgo": ECDSA_SHA384, "hashAlgorithmOID": SHA384}
        for k, v in mod.items():
            if v is None:
                body.pop(k)
            else:
                body[k] = v
        r = w.csc.call("signatures/signHash", body, token=tok)
        tap(bad(r, pair), "%s is refused: \"%s\"" % (what, pair[1]), r)
    # A wrong digest length: either check may fire first; both refuse.
    r = sign_hash(w.csc, tok, c, sad, [hs[0][:32]], ECDSA_SHA384,
                  oid=SHA384)
    tap(r.status == 400 and r.err() in (
        ("invalid_request", "Invalid digest value length"), NOT_AUTH),
        "ACT-7: signHash with a truncated digest is refused", r)
    # Another user: with bob's token, alice's credential is not his; with
    # his credential, alice's SAD is not his.
    # (Both rows fit: the credential is not his, nor is the SAD.)
    r = sign_hash(w.csc, tb, c, sad, hs[:1], ECDSA_SHA384)
    tap(bad(r, BAD_CRED) or bad(r, BAD_SAD), "ACT-4, ACT-8: another "
        "signer's token cannot use the credential and SAD", r)
    # The SAD is bound to the session that obtained it.
    t2 = login(w, T.a384)
    r = sign_hash(w.csc, t2, c, sad, hs[:1], ECDSA_SHA384)
    tap(bad(r, BAD_SAD), "ACT-4, ACT-5: the SAD is bound to the session "
        "that obtained it: the same signer's other token is refused", r)
    tap(not evs_since(w, mark, {"signature.created"}),
        "SIG-1: none of the refused requests signed anything")
    # Partial use, then the rules on what is left.
    r = sign_hash(w.csc, tok, c, sad, hs[:1], ECDSA_SHA384, oid=SHA384)
    check_signed(w, tok, c, sad, g, hs[:1], ECDSA_SHA384, r, oid=SHA384,
                 label="SAD rules 1/3: ", vkey=T.vkey)
    mark = w.L.size()
    r = sign_hash(w.csc, tok, c, sad, hs[:1], ECDSA_SHA384)
    tap(bad(r, NOT_AUTH), "ACT-6: a hash already signed under the SAD is "
        "refused (\"Hash is not authorized by the SAD.\")", r)
    # Three hashes when two are left (one of them already signed): the
    # contract has two rows that fit; either way nothing is signed.
    r = sign_hash(w.csc, tok, c, sad, [hs[1], hs[2], hs[0]], ECDSA_SHA384)
    tap(r.status == 400 and r.err() in (TOO_HIGH, NOT_AUTH),
        "ACT-6: more hashes than the SAD has left is refused", r)
    tap(not evs_since(w, mark, {"signature.created"}),
        "ACT-6: a refused request signs none of its hashes (all or "
        "nothing)")
    r = sign_hash(w.csc, tok, c, sad, hs[1:], ECDSA_SHA384, oid=SHA384)
    check_signed(w, tok, c, sad, g, hs[1:], ECDSA_SHA384, r, oid=SHA384,
                 label="SAD rules 2,3/3: ", vkey=T.vkey)
    r = sign_hash(w.csc, tok, c, sad, hs[1:2], ECDSA_SHA384)
    tap(bad(r, BAD_SAD), "ACT-6: the SAD is used up after its count", r)


def t_authorize_rules(w):
    """ACT-4, ACT-5 and the contract's authorize rows, on the level 1 seal
    (PIN only: no OTP step is spent). After each refusal a successful
    authorisation resets the failure counter, whatever the implementation
    counts."""
    c, ts = T.seal, T.tok_s
    ms = T.multisign
    h1, h2 = digest(), digest()

    def ok_reset():
        r = authorize(w.csc, ts, c, [digest()])
        if r.status == 200:
            T.sads.append(r.js.get("SAD"))
        return r.status == 200

    mark = w.L.size()
    big = min(ms + 1, 1024)
    cases = [
        ("numSignatures 0", {"numSignatures": 0, "hashes": [b64(h1)]},
         ("invalid_request", "Invalid value for parameter numSignatures")),
        ("numSignatures above multisign (%d)" % ms,
         {"numSignatures": ms + 1,
          "hashes": [b64(digest()) for _ in range(big)]}, TOO_HIGH),
        ("2 hashes for numSignatures 1", {"numSignatures": 1,
                                          "hashes": [b64(h1), b64(h2)]},
         ("invalid_request",
          "The number of hashes does not match numSignatures")),
        ("1 hash for numSignatures 2", {"numSignatures": 2,
                                        "hashes": [b64(h1)]},
         ("invalid_request",
          "The number of hashes does not match numSignatures")),
        ("an unknown hashAlgorithmOID", {"hashAlgorithmOID": "1.2.3.4"},
         ("invalid_request", "Invalid parameter hashAlgorithmOID")),
        ("no hashAlgorithmOID", {"hashAlgorithmOID": None},
         ("invalid_request",
          "Missing (or invalid type) string parameter hashAlgorithmOID")),
        ("a 31-byte SHA-256 digest", {"hashes": [b64(h1[:31])]},
         ("invalid_request", "Invalid digest value length")),
        ("a 32-byte digest declared SHA-384",
         {"hashAlgorithmOID": SHA384},
         ("invalid_request", "Invalid digest value length")),
        ("a 48-byte digest declared SHA-256",
         {"hashes": [b64(digest(SHA384))]},
         ("invalid_request", "Invalid digest value length")),
        ("the same hash twice", {"numSignatures": 2,
                                 "hashes": [b64(h1), b64(h1)]},
         ("invalid_request", "Duplicate hash")),
        ("no hashes (SCAL 2)", {"hashes": None},
         ("invalid_request",
          "Missing (or invalid type) array parameter hashes")),
        ("an empty hash array", {"hashes": []},
         ("invalid_request", "Empty hash array")),
        ("a hash that is not Base64", {"hashes": ["@@@@"]},
         ("invalid_request", "Invalid Base64 hash string parameter")),
        ("no numSignatures", {"numSignatures": None},
         ("invalid_request",
          "Missing (or invalid type) integer parameter numSignatures")),
        ("numSignatures \"one\"", {"numSignatures": "one"},
         ("invalid_request",
          "Missing (or invalid type) integer parameter numSignatures")),
        ("numSignatures 1.5", {"numSignatures": 1.5},
         ("invalid_request",
          "Missing (or invalid type) integer parameter numSignatures")),
        ("no credentialID", {"credentialID": None},
         ("invalid_request",
          "Missing (or invalid type) string parameter credentialID")),
        ("another signer's credentialID", {"credentialID": T.b256.cid},
         BAD_CRED),
        ("an unknown credentialID", {"credentialID": "c-" + "f" * 16},
         BAD_CRED),
        ("no PIN in authData", {"authData": []},
         ("invalid_request", "Missing (or invalid type) authData PIN")),
        ("an unknown authData id",
         {"authData": [{"id": "PIN", "value": c.pin},
                       {"id": "FINGERPRINT", "value": "x"}]},
         ("invalid_request", "Invalid parameter authData")),
        ("authData that is not an array", {"authData": {"PIN": c.pin}},
         ("invalid_request",
          "Missing (or invalid type) array parameter authData")),
        ("a non-null userID", {"userID": c.sid},
         ("invalid_request", "userID parameter MUST be null")),
    ]
    for what, mod, pair in cases:
        body = {"credentialID": c.cid, "numSignatures": 1,
                "hashes": [b64(h1)], "hashAlgorithmOID": SHA256,
                "authData": [{"id": "PIN", "value": c.pin}]}
        for k, v in mod.items():
            if v is None:
                body.pop(k)
            else:
                body[k] = v
        r = w.csc.call("credentials/authorize", body, token=ts)
        tap(bad(r, pair), "ACT-4: authorize with %s is refused: \"%s\"" %
            (what, pair[1]), r)
        ok_reset()
    evs = evs_since(w, mark)
    granted_bad = [e for e in evs if e["type"] == "authorization.granted"
                   and h1.hex() in e["body"].get("hashes", [])]
    tap(not granted_bad, "ACT-4: none of the refused authorisations was "
        "granted", granted_bad)
    # Wrong PIN on the seal: invalid_authentication_data, recorded.
    mark = w.L.size()
    r = authorize(w.csc, ts, c, [h1], ad=[{"id": "PIN", "value":
                                           "9" + c.pin[1:] if c.pin[0] != "9"
                                           else "1" + c.pin[1:]}])
    evs = evs_since(w, mark)
    tap(bad(r, BAD_AUTH) and [e["type"] for e in evs] ==
        ["authorization.denied"] and
        evs[0]["subject"]["credential"] == c.cid and
        c.pin not in json.dumps(evs),
        "ACT-1, ACT-9: a wrong PIN is 400 invalid_authentication_data and "
        "one authorization.denied event (without the PIN)", (r, evs))
    ok_reset()
    tap(w.admin_cred(c.cid).get("locked") is False,
        "ACT-9: the seal is not locked after the refusals above (each "
        "followed by a success)")
    # Quirks on the seal: numSignatures as a string, base64url hashes,
    # userID null, null optional fields, unknown fields, clientData "".
    hq = digest()
    while "+" not in b64(hq) and "/" not in b64(hq):
        hq = digest()
    r = w.csc.call("credentials/authorize", {
        "credentialID": c.cid, "numSignatures": "1", "hashes": [b64u(hq)],
        "hashAlgorithmOID": SHA256, "authData": [{"id": "PIN",
                                                  "value": c.pin}],
        "userID": None, "description": None, "clientData": "",
        "lang": "en-US"}, token=ts)
    sad = (r.js or {}).get("SAD") if r.status == 200 else None
    if sad:
        T.sads.append(sad)
    tap(r.status == 200 and C.is_b64url32(sad),
        "csc-api quirks: authorize accepts numSignatures \"1\", a "
        "Base64url hash without padding, userID null, description null, "
        "clientData \"\" and lang", r)
    if sad:
        r = w.csc.call("signatures/signHash", {
            "credentialID": c.cid, "SAD": sad, "hashes": [b64(hq)],
            "signAlgo": ECDSA_SHA256, "signAlgoParams": "",
            "hashAlgorithmOID": None, "operationMode": "S",
            "clientData": ""}, token=ts)
        sig = (r.js or {}).get("signatures", [None])[0] \
            if r.status == 200 else None
        tap(sig is not None and C.verify_sig(
            c.cert, ECDSA_SHA256, hq, base64.b64decode(sig)) is None,
            "csc-api quirks: signHash with the same hash in standard "
            "Base64, signAlgoParams \"\", hashAlgorithmOID null and "
            "operationMode signs it (verified)", r)


def t_level2_factors(w):
    """ACT-2, ACT-5: level 2 needs PIN and OTP, each OTP once."""
    tok = T.tok_a
    c = T.a256
    h = digest()
    r = authorize(w.csc, tok, c, [h], ad=[{"id": "PIN", "value": c.pin}])
    tap(bad(r, ("invalid_request",
                "Missing (or invalid type) authData OTP")),
        "ACT-2: level 2 without the OTP is 400 \"Missing (or invalid type) "
        "authData OTP\"", r)
    r = authorize(w.csc, tok, c, [h], ad=[{"id": "OTP",
                                           "value": c.totp.peek()}])
    tap(bad(r, ("invalid_request",
                "Missing (or invalid type) authData PIN")),
        "ACT-2: level 2 without the PIN is 400 \"Missing (or invalid type) "
        "authData PIN\"", r)
    c.totp.burn()
    # The code accepted in t_sign_algorithms, again.
    mark = w.L.size()
    r = authorize(w.csc, tok, c, [h], ad=[{"id": "PIN", "value": c.pin},
                                          {"id": "OTP",
                                           "value": T.a256_code}])
    evs = evs_since(w, mark)
    tap(bad(r, BAD_AUTH) and [e["type"] for e in evs] ==
        ["authorization.denied"],
        "ACT-5: a reused OTP (step %d, accepted before) is 400 "
        "invalid_authentication_data and recorded as denied" % T.a256_step,
        (r, evs))
    # The password as the PIN: login and key authorisation are separate.
    r = authorize(w.csc, tok, c, [h], ad=[{"id": "PIN", "value":
                                           c.password},
                                          {"id": "OTP",
                                           "value": c.totp.peek()}])
    c.totp.burn()
    tap(bad(r, BAD_AUTH), "ACT-2: the login password is not the PIN "
        "(invalid_authentication_data)", r)
    # A success resets the failures above (ACT-9 counter).
    sad, g = do_authorize(w, tok, c, [h], label="after failures: ")
    T.a256_spare = (sad, h)   # kept unused for the restart test
    if sad:
        # Same key type and hash, so only the SAD's binding can refuse.
        r = sign_hash(w.csc, tok, T.alock, sad, [h], ECDSA_SHA256)
        tap(bad(r, BAD_SAD), "ACT-4: the SAD used with another of the "
            "signer's credentials is refused (\"Invalid parameter SAD\")",
            r)
        r = sign_hash(w.csc, T.tok_b, T.b256, sad, [h], ECDSA_SHA256)
        tap(bad(r, BAD_SAD), "ACT-4: another signer cannot use the SAD with "
            "their own credential (\"Invalid parameter SAD\")", r)
    # Concurrent authorisations with one OTP: exactly one is granted.
    cb, tb = T.b256, T.tok_b
    code = cb.totp.code()
    T.otps.append(code)
    res = [None] * 4
    conns = [w.csc.connect() for _ in res]
    bar = threading.Barrier(len(res))

    def one(i):
        try:
            bar.wait(10)
            res[i] = authorize(w.csc, tb, cb, [digest()],
                               ad=[{"id": "PIN", "value": cb.pin},
                                   {"id": "OTP", "value": code}],
                               conn=conns[i])
        except Exception as e:
            res[i] = e
    ths = [threading.Thread(target=one, args=(i,)) for i in range(len(res))]
    for t in ths:
        t.start()
    for t in ths:
        t.join(C.TIMEOUT * 2)
    for cn in conns:
        cn.close()
    oks = [r for r in res if isinstance(r, C.Resp) and r.status == 200]
    nos = [r for r in res if isinstance(r, C.Resp) and bad(r, BAD_AUTH)]
    for r in oks:
        T.sads.append(r.js.get("SAD"))
    tap(len(oks) == 1 and len(nos) == 3, "ACT-5: 4 concurrent authorisations "
        "with the same OTP: exactly one granted, 3 invalid_authentication_"
        "data", res)


def t_race(w):
    """ACT-6: 64 concurrent signHash calls sharing one SAD for one hash
    yield exactly one signature."""
    c, tok = T.b256, T.tok_b
    h = digest()
    sad, g = do_authorize(w, tok, c, [h], label="race: ")
    if not (sad and g):
        return
    n = 64
    conns = []
    for _ in range(n):
        conns.append(w.csc.connect())
    res = [None] * n
    bar = threading.Barrier(n)

    def one(i):
        try:
            bar.wait(30)
            res[i] = sign_hash(w.csc, tok, c, sad, [h], ECDSA_SHA256,
                               conn=conns[i])
        except Exception as e:
            res[i] = e
    mark = w.L.size()
    ths = [threading.Thread(target=one, args=(i,)) for i in range(n)]
    for t in ths:
        t.start()
    for t in ths:
        t.join(C.TIMEOUT * 3)
    for cn in conns:
        cn.close()
    oks = [r for r in res if isinstance(r, C.Resp) and r.status == 200]
    refused = [r for r in res if isinstance(r, C.Resp) and r.status == 400
               and r.err() in (BAD_SAD, NOT_AUTH)]
    other = [r for r in res if r not in oks and r not in refused]
    sigs = [base64.b64decode(r.js["signatures"][0]) for r in oks
            if r.js.get("signatures")]
    tap(len(oks) == 1 and len(refused) == n - 1 and
        C.verify_sig(c.cert, ECDSA_SHA256, h, sigs[0]) is None,
        "ACT-6: 64 concurrent signHash calls sharing one SAD for one hash: "
        "exactly one 200 with a valid signature, 63 refused (\"Invalid "
        "parameter SAD\" / \"Hash is not authorized by the SAD.\")",
        (len(oks), len(refused), other[:3]))
    created = [e for e in evs_since(w, mark, {"signature.created"})
               if e["body"].get("sad_id") == g["body"]["sad_id"]]
    tap(len(created) == 1 and sigs and
        created[0]["body"]["signature"] == sigs[0].hex(),
        "ACT-6, SIG-3: exactly one signature.created event for that SAD, "
        "with the signature returned", [e["seq"] for e in created])


def t_lockout(w):
    """ACT-9: five consecutive failures lock; the lock is recorded; a held
    SAD stops working; unlock is dual control; a success resets the
    count."""
    c, tok = T.alock, T.tok_a
    h1, h2 = digest(), digest()
    sad, g = do_authorize(w, tok, c, [h1, h2], label="lockout: ")
    wrong_pin = ("1" if c.pin[0] != "1" else "2") + c.pin[1:]
    accepted = c.totp.oath(c.totp.last_step)
    mark = w.L.size()
    results = []
    # 1: wrong PIN, valid OTP (the step is treated as spent afterwards).
    results.append(authorize(w.csc, tok, c, [digest()], ad=[
        {"id": "PIN", "value": wrong_pin},
        {"id": "OTP", "value": c.totp.peek()}]))
    c.totp.burn()
    # 2: right PIN, wrong OTP.
    results.append(authorize(w.csc, tok, c, [digest()], ad=[
        {"id": "PIN", "value": c.pin}, {"id": "OTP",
                                        "value": c.totp.wrong()}]))
    # 3: right PIN, the OTP already accepted.
    results.append(authorize(w.csc, tok, c, [digest()], ad=[
        {"id": "PIN", "value": c.pin}, {"id": "OTP", "value": accepted}]))
    # 4, 5: wrong PIN.
    for _ in range(2):
        results.append(authorize(w.csc, tok, c, [digest()], ad=[
            {"id": "PIN", "value": wrong_pin},
            {"id": "OTP", "value": c.totp.wrong()}]))
    evs = evs_since(w, mark)
    types = [e["type"] for e in evs]
    lk = [e for e in evs if e["type"] == "credential.locked"]
    tap(all(bad(r, BAD_AUTH) for r in results[:4]) and
        (bad(results[4], BAD_AUTH) or bad(results[4], LOCKED)),
        "ACT-9: wrong PIN, wrong OTP, reused OTP, wrong PIN, wrong PIN: "
        "each 400 invalid_authentication_data", results)
    tap(types.count("authorization.denied") == 5 and len(lk) == 1 and
        lk[0]["body"].get("failures") == 5 and
        lk[0]["subject"]["credential"] == c.cid and
        types.index("credential.locked") > max(
            i for i, t in enumerate(types) if t == "authorization.denied"),
        "ACT-9: five authorization.denied events, then credential.locked "
        "with failures 5", types)
    tap(w.admin_cred(c.cid).get("locked") is True,
        "ACT-9: the admin API shows the credential locked")
    r = authorize(w.csc, tok, c, [digest()], ad=[
        {"id": "PIN", "value": c.pin}, {"id": "OTP",
                                        "value": c.totp.peek()}])
    tap(bad(r, LOCKED), "ACT-9: the right PIN and OTP on a locked "
        "credential: 400 \"Credential locked\"", r)
    if sad:
        mark = w.L.size()
        r = sign_hash(w.csc, tok, c, sad, [h1], ECDSA_SHA256)
        tap(bad(r, LOCKED) and not evs_since(w, mark,
                                             {"signature.created"}),
            "ACT-9, SIG-2: a SAD obtained before the lock no longer signs "
            "(\"Credential locked\")", r)
    st, js = w.A.call("POST", "/admin/v1/credentials/%s/unlock" % c.cid)
    aid = (js or {}).get("approval", "")
    st2, _ = w.A.call("POST", "/admin/v1/approvals/%s/approve" % aid)
    tap(st2 == 403 and w.admin_cred(c.cid).get("locked") is True,
        "ACT-9: the administrator alone cannot unlock (dual control)", st2)
    mark = w.L.size()
    st3, js3 = w.SO.call("POST", "/admin/v1/approvals/%s/approve" % aid)
    ul = evs_since(w, mark, {"credential.unlocked"})
    tap(st3 == 200 and len(ul) == 1 and
        w.admin_cred(c.cid).get("locked") is False,
        "ACT-9: a security officer's approval unlocks it "
        "(credential.unlocked)", (st3, js3))
    sad2, g2 = do_authorize(w, tok, c, [digest()], label="after unlock: ")
    # Consecutive: 4 failures, a success, 4 failures: not locked.
    for _ in range(4):
        authorize(w.csc, tok, c, [digest()], ad=[
            {"id": "PIN", "value": wrong_pin},
            {"id": "OTP", "value": c.totp.wrong()}])
    sad3, _ = do_authorize(w, tok, c, [digest()], label="reset: ")
    for _ in range(4):
        authorize(w.csc, tok, c, [digest()], ad=[
            {"id": "PIN", "value": wrong_pin},
            {"id": "OTP", "value": c.totp.wrong()}])
    tap(w.admin_cred(c.cid).get("locked") is False,
        "ACT-9: failures are counted consecutively: 4, a success, 4 do not "
        "lock")
    do_authorize(w, tok, c, [digest()], label="ACT-9 reset 2: ")


def t_suspend_destroy(w):
    """SIG-2: a suspended or destroyed credential does not authorise or
    sign; a SAD held across the suspension does not sign."""
    c, tok = T.adis, T.tok_a
    hs = [digest(), digest()]
    sad, g = do_authorize(w, tok, c, hs, label="suspend: ")
    st, js = w.A.call("POST", "/admin/v1/credentials/%s/suspend" % c.cid,
                      {"reason": "csc test"})
    tap(st == 200, "END-1 (setup): the administrator suspends the "
        "credential", js)
    mark = w.L.size()
    r = authorize(w.csc, tok, c, [digest()], ad=[
        {"id": "PIN", "value": c.pin}, {"id": "OTP",
                                        "value": c.totp.peek()}])
    tap(bad(r, DISABLED), "SIG-2: authorize on a suspended credential is "
        "400 \"The credential identified by credentialID is disabled\"", r)
    if sad:
        r = sign_hash(w.csc, tok, c, sad, hs[:1], ECDSA_SHA256)
        tap(bad(r, DISABLED), "SIG-2: a SAD obtained before the suspension "
            "does not sign (\"...is disabled\")", r)
    tap(not evs_since(w, mark, {"signature.created",
                                "authorization.granted"}),
        "SIG-2: nothing was granted or signed while suspended")
    r = info(w, tok, c)
    tap(r.status == 200 and not check_info_shape(c, r.js,
                                                 key_status="disabled"),
        "SIG-2: info of a suspended credential says key status disabled",
        r)
    r = w.csc.call("credentials/list", {"onlyValid": True}, token=tok)
    ids = (r.js or {}).get("credentialIDs", []) if r.status == 200 else None
    r2 = w.csc.call("credentials/list", {}, token=tok)
    ids2 = (r2.js or {}).get("credentialIDs", []) \
        if r2.status == 200 else None
    tap(ids is not None and c.cid not in ids and T.a256.cid in ids and
        ids2 is not None and c.cid in ids2,
        "csc-api: list onlyValid leaves the suspended credential out; the "
        "plain list shows it", (ids, ids2))
    st, js = w.A.call("POST", "/admin/v1/credentials/%s/resume" % c.cid)
    sad2, g2 = do_authorize(w, tok, c, [hs[0], digest()],
                            label="resumed: ")
    # Destruction: dual control; then nothing works.
    st, js = w.A.call("POST", "/admin/v1/credentials/%s/destroy" % c.cid,
                      {"reason": "termination"})
    aid = (js or {}).get("approval", "")
    st2, js2 = w.SO.call("POST", "/admin/v1/approvals/%s/approve" % aid)
    tap(st2 == 200 and w.admin_cred(c.cid).get("state") == "destroyed",
        "END-3 (setup): the credential is destroyed", (st, js, st2, js2))
    mark = w.L.size()
    r = authorize(w.csc, tok, c, [digest()], ad=[
        {"id": "PIN", "value": c.pin}, {"id": "OTP",
                                        "value": c.totp.peek()}])
    tap(bad(r, DISABLED), "SIG-2: authorize on a destroyed credential is "
        "400 \"...is disabled\"", r)
    if sad2:
        r = sign_hash(w.csc, tok, c, sad2, [hs[0]], ECDSA_SHA256)
        tap(bad(r, DISABLED), "SIG-2: a SAD obtained before the destruction "
            "does not sign (\"...is disabled\")", r)
    tap(not evs_since(w, mark, {"signature.created",
                                "authorization.granted"}),
        "SIG-2: nothing was granted or signed after the destruction")


def t_expired_cert(w):
    """SIG-2: a certificate that expires: authorisation and signing stop
    at its notAfter, even with a SAD obtained before."""
    tok = T.tok_a
    life = 90 if SLOW else 25
    not_after = int(time.time()) + life
    c = w.credential(T.alice, "p256", 2, not_after=not_after)
    hs = [digest(), digest()]
    sad, g = do_authorize(w, tok, c, hs, label="expiring cert: ")
    if sad and g:
        r = sign_hash(w.csc, tok, c, sad, hs[:1], ECDSA_SHA256)
        check_signed(w, tok, c, sad, g, hs[:1], ECDSA_SHA256, r,
                     label="before notAfter: ", vkey=T.vkey)
    wait = not_after + 2 - time.time()
    if wait > 0:
        time.sleep(wait)
    # docs/csc-api.md: CSC's text without the subject DN (the signing path
    # never unseals the signer's personal data, REG-1).
    desc = "Signing certificate is expired."
    mark = w.L.size()
    if sad:
        r = sign_hash(w.csc, tok, c, sad, hs[1:], ECDSA_SHA256)
        tap(bad(r, ("invalid_request", desc)),
            "SIG-2: after notAfter a SAD obtained before does not sign: "
            "\"%s\"" % desc, r)
    r = authorize(w.csc, tok, c, [digest()], ad=[
        {"id": "PIN", "value": c.pin}, {"id": "OTP",
                                        "value": c.totp.peek()}])
    tap(bad(r, ("invalid_request", desc)),
        "SIG-2: authorize with an expired certificate is 400 \"%s\"" % desc,
        r)
    tap(not evs_since(w, mark, {"signature.created",
                                "authorization.granted"}),
        "SIG-2: nothing was granted or signed after notAfter")
    r = info(w, tok, c)
    tap(r.status == 200 and ((r.js or {}).get("cert") or {}).get("status")
        == "expired", "SIG-2: info says cert status expired", r)


def t_revoke(w):
    """ACT-8: revoke kills the token at once; only one's own token."""
    c = T.a256
    t1 = login(w, c)
    t2 = login(w, c)
    tb = T.tok_b
    r = w.csc.call("auth/revoke", {"token": tb}, token=t1)
    tap(bad(r, ("invalid_request", "Invalid string parameter token")),
        "ACT-8: revoking another signer's token is 400 \"Invalid string "
        "parameter token\"", r)
    r = w.csc.call("credentials/list", {}, token=tb)
    tap(r.status == 200, "ACT-8: ... and that token still works", r)
    r = w.csc.call("auth/revoke", {"token": b64u(os.urandom(32))}, token=t1)
    tap(bad(r, ("invalid_request", "Invalid string parameter token")),
        "ACT-8: revoking an unknown token is 400 \"Invalid string parameter "
        "token\"", r)
    r = w.csc.call("auth/revoke", {}, token=t1)
    tap(bad(r, ("invalid_request",
                "Missing (or invalid type) string parameter token")),
        "csc-api: revoke without token is 400 \"Missing (or invalid type) "
        "string parameter token\"", r)
    h = digest()
    sad, g = do_authorize(w, t2, c, [h], label="revoke: ")
    r = w.csc.call("auth/revoke", {"token": t2,
                                   "token_type_hint": "access_token",
                                   "clientData": "bye"}, token=t2)
    tap(r.status == 204 and r.raw == b"", "ACT-8: revoking one's own token "
        "is 204 with no body", r)
    r = w.csc.call("credentials/list", {}, token=t2)
    tap(bad(r, INVALID_TOKEN), "ACT-8: the revoked token is refused at "
        "once (401 invalid_token)", r)
    if sad:
        r = sign_hash(w.csc, t2, c, sad, [h], ECDSA_SHA256)
        tap(bad(r, INVALID_TOKEN), "ACT-8: the revoked token cannot use its "
            "SAD (401)", r)
        r = sign_hash(w.csc, t1, c, sad, [h], ECDSA_SHA256)
        tap(bad(r, BAD_SAD), "ACT-4: nor can another token of the same "
            "signer (\"Invalid parameter SAD\")", r)
    r = w.csc.call("credentials/list", {}, token=t1)
    tap(r.status == 200, "ACT-8: the signer's other token is unaffected", r)
    r = w.csc.call("auth/revoke", {"token": t1}, token=t1)
    r2 = w.csc.call("auth/revoke", {"token": t1}, token=t1)
    tap(r.status == 204 and bad(r2, INVALID_TOKEN),
        "ACT-8: a token revoked by itself cannot be used to revoke again",
        (r, r2))


def t_tls(w):
    """NET-1: the signing API is TLS only; the channel's TLS version is in
    the signature's record, binding the user's session to the digest."""
    c = T.a384
    s12 = C.Csc(w.signing, w.opca, tls_max=ssl.TLSVersion.TLSv1_2)
    tok = keep_token(s12.token(c.sid, c.password))
    h = digest(SHA384)
    mark = w.L.size()
    ad = auth_data(c)
    otp_of(ad)
    r = authorize(s12, tok, c, [h], oid=SHA384, ad=ad)
    g = evs_since(w, mark, {"authorization.granted"})
    sad = (r.js or {}).get("SAD") if r.status == 200 else None
    if sad:
        T.sads.append(sad)
    tap(r.tls == "TLSv1.2" and sad and len(g) == 1 and
        g[0]["body"].get("tls") == "TLSv1.2",
        "NET-1: an authorisation over TLS 1.2 is recorded with tls "
        "TLSv1.2", (r, g))
    if sad and g:
        r = sign_hash(s12, tok, c, sad, [h], ECDSA_SHA384, oid=SHA384)
        check_signed(w, tok, c, sad, g[0], [h], ECDSA_SHA384, r, oid=SHA384,
                     label="NET-1 TLS 1.2: ", vkey=T.vkey)
    # Plain HTTP on the signing port gets no HTTP answer.
    s = socket.create_connection(("127.0.0.1", w.signing), timeout=10)
    try:
        s.sendall(b"POST /csc/v2/info HTTP/1.1\r\nHost: x\r\n"
                  b"Content-Length: 2\r\n\r\n{}")
        data = b""
        try:
            while len(data) < 4096:
                d = s.recv(4096)
                if not d:
                    break
                data += d
        except (socket.timeout, ConnectionResetError):
            pass
    finally:
        s.close()
    tap(not data.startswith(b"HTTP/") or b" 200 " not in data[:20],
        "NET-1: plain HTTP to the signing port gets no CSC answer", data[:60])


# ---- D2: session idle timeout and lifetime, SAD expiry (ACT-8, ACT-6) ----------------------

class Timeline(threading.Thread):
    """Runs on D2 while D1 is tested; results are printed at the end."""

    def __init__(self, w):
        super().__init__(daemon=True)
        self.w = w
        self.results = []
        self.stop_at = None

    def res(self, ok, desc, detail=""):
        self.results.append((bool(ok), desc, detail))

    def run(self):
        try:
            self._run()
        except Exception as e:
            import traceback
            traceback.print_exc()
            self.res(False, "D2 timeline ran to the end", repr(e))

    def _run(self):
        w = self.w
        c = self.c
        csc = w.csc
        t_send = time.time()
        r = csc.login(c.sid, c.password)
        t_recv = time.time()
        js = r.js if isinstance(r.js, dict) else {}
        tl = js.get("access_token")
        ok = r.status == 200 and isint(js.get("expires_in")) and \
            D2_LIFETIME - 2 - (t_recv - t_send) <= js["expires_in"] <= \
            D2_LIFETIME
        self.res(ok, "ACT-8: with session_lifetime_s %d, login's "
                 "expires_in is %d" % (D2_LIFETIME, D2_LIFETIME), r)
        if not ok:
            return
        keep_token(tl)
        dead_from = t_recv + js["expires_in"]
        alive_until = t_send + js["expires_in"]
        ti = keep_token(csc.token(c.sid, c.password))
        ti2 = keep_token(csc.token(c.sid, c.password))
        for t in (tl, ti, ti2):
            r = csc.call("credentials/list", {}, token=t)
            if r.status != 200:
                self.res(False, "D2: fresh tokens work", r)
                return
        ti_used = ti2_used = time.time()
        # SAD expiry and renewal (sad_lifetime_s D2_SAD).
        ha, hb = [digest(), digest()], [digest(), digest()]
        ra = authorize(csc, tl, c, ha, ad=[{"id": "PIN", "value": c.pin}])
        ta = time.time()
        sa = (ra.js or {}).get("SAD") if ra.status == 200 else None
        self.res(sa and isint(ra.js.get("expiresIn")) and
                 D2_SAD - 2 <= ra.js["expiresIn"] <= D2_SAD,
                 "ACT-6: with sad_lifetime_s %d, authorize's expiresIn is "
                 "%d" % (D2_SAD, D2_SAD), ra)
        rb = authorize(csc, tl, c, hb, ad=[{"id": "PIN", "value": c.pin}])
        tb = time.time()
        sb = (rb.js or {}).get("SAD") if rb.status == 200 else None
        T.sads += [s for s in (sa, sb) if s]
        if not (sa and sb):
            self.res(False, "D2: authorisations for the SAD expiry test",
                     (ra, rb))
            return
        r = sign_hash(csc, tl, c, sb, hb[:1], ECDSA_SHA256)
        self.res(r.status == 200, "ACT-6: a fresh SAD signs", r)
        self.sleep_until(tb + D2_SAD / 2)
        r = csc.call("credentials/extendTransaction", {
            "credentialID": c.cid, "SAD": sb}, token=tl)
        sb2 = (r.js or {}).get("SAD") if r.status == 200 else None
        tb2 = time.time()
        if sb2:
            T.sads.append(sb2)
        self.res(sb2 and D2_SAD - 2 <= r.js.get("expiresIn", 0) <= D2_SAD,
                 "ACT-6: extendTransaction halfway through gives a SAD "
                 "with a fresh expiresIn of %d" % D2_SAD, r)
        self.sleep_until(max(ta, tb) + D2_SAD + 2)
        r = sign_hash(csc, tl, c, sa, ha[:1], ECDSA_SHA256)
        self.res(bad(r, ("invalid_request", "SAD expired")),
                 "ACT-6: a SAD past its expiresIn is 400 \"SAD expired\"", r)
        r = csc.call("credentials/extendTransaction", {
            "credentialID": c.cid, "SAD": sa}, token=tl)
        self.res(bad(r, ("invalid_request", "SAD expired")),
                 "ACT-6: an expired SAD cannot be extended (\"SAD "
                 "expired\")", r)
        if sb2 and time.time() < tb2 + D2_SAD - 1:
            r = sign_hash(csc, tl, c, sb2, hb[1:], ECDSA_SHA256)
            self.res(r.status == 200, "ACT-6: the extended SAD still signs "
                     "after the original SAD's expiry", r)
        elif sb2:
            self.res(False, "ACT-6: the extended SAD was checked in time "
                     "(the test was too slow)", time.time() - tb2)
        # Sessions: idle timeout (since last use) and absolute lifetime.
        events = [(ti2_used + 40, "use ti2")]
        events.append((ti_used + D2_IDLE + 3, "ti dead"))
        events.append((ti2_used + 80, "ti2 alive"))
        events.append((ti2_used + 80 + D2_IDLE + 3, "ti2 dead"))
        t = time.time() + 20
        while t < alive_until - 20:
            events.append((t, "keep tl"))
            t += 20
        events.append((alive_until - 15, "tl alive"))
        events.append((dead_from + 3, "tl dead"))
        events.sort()
        for when, what in events:
            self.sleep_until(when)
            tok = {"use ti2": ti2, "ti dead": ti, "ti2 alive": ti2,
                   "ti2 dead": ti2, "keep tl": tl, "tl alive": tl,
                   "tl dead": tl}[what]
            r = csc.call("credentials/list", {}, token=tok)
            if what == "use ti2":
                self.res(r.status == 200, "ACT-8: a token used 40 s after "
                         "the last use works", r)
            elif what == "ti dead":
                self.res(bad(r, INVALID_TOKEN), "ACT-8: a token idle for "
                         "%d s (session_idle_s %d) is 401 \"Invalid or "
                         "expired access token\"" % (D2_IDLE + 3, D2_IDLE),
                         r)
            elif what == "ti2 alive":
                self.res(r.status == 200, "ACT-8: the idle timeout counts "
                         "from the last use: a token used every 40 s is "
                         "alive 80 s after login", r)
            elif what == "ti2 dead":
                self.res(bad(r, INVALID_TOKEN), "ACT-8: ... and dies %d s "
                         "after its last use" % (D2_IDLE + 3), r)
            elif what == "keep tl" and r.status != 200:
                self.res(False, "ACT-8: a token kept busy stays alive "
                         "before its lifetime", r)
                return
            elif what == "tl alive":
                self.res(r.status == 200, "ACT-8: a token kept busy is "
                         "alive 15 s before its absolute lifetime", r)
            elif what == "tl dead":
                self.res(bad(r, INVALID_TOKEN), "ACT-8: a token kept busy "
                         "dies at its absolute lifetime (session_lifetime_s "
                         "%d): 401 \"Invalid or expired access token\"" %
                         D2_LIFETIME, r)

    def sleep_until(self, t):
        d = t - time.time()
        if d > 0:
            time.sleep(d)


# ---- restart, secrets, ledger ------------------------------------------------------------

def t_restart(w):
    """ACT-6, ACT-8: sessions and SADs do not survive a restart; the
    ledger verifies and replays to the live state."""
    c = T.a256
    spare = getattr(T, "a256_spare", (None, None))
    tok = T.tok_a
    rc = w.d.stop()
    text = w.d.text()
    m = re.findall(r"state at stop: (\d+) events, digest ([0-9a-f]{64})",
                   text)
    tap(rc == 0 and m, "hankod (D1) stops cleanly", text[-400:])
    r = LC.run(HANKO + ["ledger", "verify", "--state", w.state])
    tap(r.returncode == 0, "SIG-6: hanko ledger verify passes on D1's "
        "ledger", r.stdout[-300:] + r.stderr[-300:])
    r = LC.run(HANKO + ["ledger", "replay", "--state", w.state])
    dg = re.search(r"digest ([0-9a-f]{64})", r.stdout)
    tap(m and dg and dg.group(1) == m[-1][1],
        "cold replay gives the digest of the state the daemon held",
        (m[-1:] if m else None, r.stdout[-200:]))
    tap(w.d.start(w.signing), "hankod (D1) restarts", w.d.text()[-400:])
    r = w.csc.call("credentials/list", {}, token=tok)
    tap(bad(r, INVALID_TOKEN), "ACT-8: a token does not survive a restart",
        r)
    t2 = login(w, c)
    if spare[0]:
        r = sign_hash(w.csc, t2, c, spare[0], [spare[1]], ECDSA_SHA256)
        tap(bad(r, BAD_SAD), "ACT-6: an unused SAD does not survive a "
            "restart (\"Invalid parameter SAD\")", r)
    h = digest()
    sad, g = do_authorize(w, t2, c, [h], label="after restart: ")
    if sad and g:
        r = sign_hash(w.csc, t2, c, sad, [h], ECDSA_SHA256)
        check_signed(w, t2, c, sad, g, [h], ECDSA_SHA256, r,
                     label="after restart: ")


HANKO = C.HANKO


def t_secrets(w, w2):
    """ACT-5, OPS: no SAD, access token, PIN, OTP or password in the
    ledger or the daemon's log."""
    for ww, name in ((w, "D1"), (w2, "D2")):
        show = LC.must(HANKO + ["ledger", "show", "--state", ww.state])
        log = ww.d.text()
        leaks = []
        long_secrets = [s for s in T.tokens + T.sads if s] + \
            [s for s in ww.secrets if s and len(s) > 12]
        for s in long_secrets:
            for where, text in (("ledger", show), ("log", log)):
                if s in text:
                    leaks.append((where, s[:8]))
            try:
                hx = C.unb64(s).hex()
                if len(hx) >= 32 and hx in show:
                    leaks.append(("ledger hex", s[:8]))
            except Exception:
                pass
        digits = [s for s in ww.secrets if s and s.isdigit()] + \
            [o for o in T.otps if o]
        for s in set(digits):
            pat = re.compile(r"(?<![0-9A-Za-z])%s(?![0-9A-Za-z])" % s)
            for where, text in (("ledger", show), ("log", log)):
                if pat.search(text):
                    leaks.append((where, "digits:" + s))
        tap(not leaks and len(long_secrets) > 5,
            "ACT-5: no access token, SAD (as text or bytes), password, "
            "PIN or OTP in %s's `hanko ledger show` or hankod log (%d "
            "strings and %d codes checked)" % (name, len(long_secrets),
                                               len(set(digits))), leaks)


def main():
    def on_term(signum, frame):
        raise SystemExit("terminated")
    signal.signal(signal.SIGTERM, on_term)
    w = w2 = None
    tl = None
    try:
        w = setup()
        w2 = T.w2
        if not t_info(w):
            tap(False, "the CSC API answers on D1: skipping the rest "
                "(implementation missing?)")
            return
        # D2: one level 1 credential; its timeline runs in a thread.
        corp2 = w2.signer("legal", "Timeline Seal", org="Timeline Corp")
        c2 = w2.credential(corp2, "p256", 1, chain="root")
        tl = Timeline(w2)
        tl.c = c2
        tl.start()
        make_credentials(w)
        for f in (t_login, t_list_info, t_sign_algorithms, t_bulk_and_chain,
                  t_sad_rules, t_authorize_rules, t_level2_factors, t_race,
                  t_lockout, t_suspend_destroy, t_revoke, t_tls,
                  t_expired_cert):
            try:
                f(w)
            except Exception as e:  # a crash of one part is a failure
                import traceback
                traceback.print_exc()
                tap(False, "%s ran to the end" % f.__name__, repr(e))
        tl.join(D2_LIFETIME + 200)
        for ok, desc, detail in tl.results:
            tap(ok, "D2: " + desc, detail)
        tap(not tl.is_alive() and len(tl.results) >= 12,
            "D2: the timeline finished (%d checks)" % len(tl.results))
        try:
            t_restart(w)
        except Exception as e:
            import traceback
            traceback.print_exc()
            tap(False, "t_restart ran to the end", repr(e))
        t_secrets(w, w2)
    except BaseException as e:
        import traceback
        traceback.print_exc()
        tap(False, "the CSC test ran to the end", repr(e))
    finally:
        for ww in (w, w2):
            if ww is not None:
                try:
                    ww.stop()
                except Exception:
                    pass
        if not LC.FAILED and not os.environ.get("HK_KEEP") and \
                getattr(T, "work", None):
            shutil.rmtree(T.work, ignore_errors=True)
        elif getattr(T, "work", None):
            note("work directory kept: " + T.work)
    print("1..%d" % LC.N)
    return 1 if LC.FAILED else 0


if __name__ == "__main__":
    sys.exit(main())
