# SPDX-License-Identifier: Apache-2.0
"""Issue 9 end to end: the appliance image. Builds it with
appliance-image/build.sh (the .deb, the root file system, the offline unit
lint, the disk), boots the root file system under systemd-nspawn, then the
compressed qcow2 under qemu (KVM when present, TCG otherwise) with OVMF and
user networking (restrict=on, hostfwd on 127.0.0.1 only):
  boot 1: first-boot provisioning from systemd credentials (SMBIOS type 11),
          /readyz over TLS through hostfwd, clean power-off;
  the state is read back from the /var partition with debugfs (no mount):
          the first administrator's certificate, the ledger (verified);
  boot 2: no re-provisioning, /readyz, and a real signing flow as the
          administrator whose key came off the disk: register, enroll,
          key, CSR, certificate from a test CA, CSC login, authorize (PIN +
          TOTP), signHash, the signature verified with python3-cryptography;
  after boot 2: the ledger keeps boot 1's events, has one genesis, verifies,
          and the signature event's receipt verifies offline.
Neither serial log may show a failed unit. Prints TAP; run by 90-image.sh,
which decides whether to skip. Times and sizes are printed as "# " lines."""
import base64
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import cscclient as C  # noqa: E402
from cscclient import LC  # noqa: E402

TOP = os.environ["TOP"]
BUILD = os.environ["BUILD"]
HANKO = [BUILD + "/bin/hanko"]
IMG = TOP + "/appliance-image"
BOOT_TIMEOUT = int(os.environ.get("HK_IMAGE_BOOT_TIMEOUT", "300"))
N = 0
FAILED = 0


def tap(ok, desc, detail=""):
    global N, FAILED
    N += 1
    if not ok:
        FAILED += 1
    print("%s %d - %s%s" % ("ok" if ok else "not ok", N, desc,
                           "" if ok or not detail else ": " + str(detail)[-1500:]))
    sys.stdout.flush()
    return ok


def note(msg):
    for line in str(msg).splitlines():
        print("# " + line)
    sys.stdout.flush()


def run(cmd, **kw):
    return subprocess.run(cmd, capture_output=True, text=True, **kw)


def timed(cmd, **kw):
    t = time.time()
    r = run(cmd, **kw)
    return r, time.time() - t


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    p = s.getsockname()[1]
    s.close()
    return p


def mib(path):
    return os.stat(path).st_size / 1048576


def alloc_mib(path):
    return os.stat(path).st_blocks * 512 / 1048576


# ---- qemu -----------------------------------------------------------------

class Vm:
    """One boot of ${disk} (qcow2). The host side of hostfwd listens on
    127.0.0.1 only; restrict=on cuts the guest off from everything else."""

    def __init__(self, work, disk, name, creds=()):
        self.work, self.disk, self.name = work, disk, name
        self.log = "%s/serial-%s.log" % (work, name)
        self.mon = "%s/mon-%s.sock" % (work, name)
        self.vars = "%s/vars-%s.fd" % (work, name)
        shutil.copy(OVMF_VARS, self.vars)
        self.signing, self.admin = free_port(), free_port()
        cmd = ["qemu-system-x86_64", "-accel", "kvm", "-accel", "tcg",
               "-machine", "q35", "-cpu", "max", "-smp", "2", "-m", "1024",
               "-nographic", "-no-reboot",
               "-drive", "if=pflash,format=raw,unit=0,readonly=on,file=" +
               OVMF_CODE,
               "-drive", "if=pflash,format=raw,unit=1,file=" + self.vars,
               "-drive", "file=%s,format=qcow2,if=virtio" % disk,
               "-netdev", "user,id=n0,restrict=on,"
               "hostfwd=tcp:127.0.0.1:%d-:8443,"
               "hostfwd=tcp:127.0.0.1:%d-:8444" % (self.signing, self.admin),
               "-device", "virtio-net-pci,netdev=n0",
               "-monitor", "unix:%s,server,nowait" % self.mon]
        for k, v in creds:
            cmd += ["-smbios", "type=11,value=io.systemd.credential.binary:"
                    "%s=%s" % (k, base64.b64encode(v).decode())]
        self.logf = open(self.log, "wb")
        self.t0 = time.time()
        self.proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL,
                                     stdout=self.logf, stderr=self.logf)

    def wait_ready(self, cafile):
        """Seconds from qemu's start to the first 200 from /readyz over
        TLS verified with ${cafile}; None on timeout or qemu exit."""
        api = LC.Api(self.signing, cafile)
        while time.time() - self.t0 < BOOT_TIMEOUT:
            if self.proc.poll() is not None:
                return None
            try:
                st, js = api.call("GET", "/readyz")
                if st == 200 and js and js.get("ready") is True:
                    return time.time() - self.t0
            except (OSError, ValueError):
                pass
            time.sleep(0.5)
        return None

    def powerdown(self, timeout=120):
        """ACPI power button (systemd-logind powers off); True when qemu
        exited on its own."""
        try:
            s = socket.socket(socket.AF_UNIX)
            s.connect(self.mon)
            time.sleep(0.2)
            s.sendall(b"system_powerdown\n")
            time.sleep(0.5)
            s.close()
        except OSError:
            pass
        try:
            self.proc.wait(timeout)
            return True
        except subprocess.TimeoutExpired:
            self.kill()
            return False

    def kill(self):
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        self.logf.close()

    def serial(self):
        with open(self.log, "rb") as f:
            return f.read().decode("utf-8", "replace")


def failed_units(serial):
    return [line for line in serial.splitlines()
            if re.search(r"FAILED|Dependency failed|Failed to start", line)]


def read_state(work, qcow2, dest):
    """/var/lib/hanko off the disk: qcow2 -> raw, then debugfs on the var
    partition (GPT entry 4) at its byte offset; no loop device, no mount."""
    raw = work + "/readback.raw"
    run(["qemu-img", "convert", "-O", "raw", qcow2, raw], check=True)
    pt = json.loads(run(["sfdisk", "-J", raw], check=True).stdout)
    var = [p for p in pt["partitiontable"]["partitions"]
           if p.get("name") == "var"][0]
    shutil.rmtree(dest, ignore_errors=True)
    os.makedirs(dest)
    r = run(["debugfs", "-R", "rdump /lib/hanko %s" % dest,
             "%s?offset=%d" % (raw, var["start"] * 512)])
    os.unlink(raw)
    if not os.path.exists(dest + "/hanko/hanko.conf"):
        raise RuntimeError("debugfs rdump: " + r.stderr[-500:])
    return dest + "/hanko"


def read_journal(work, qcow2, dest):
    """/var/log/journal off the disk, like read_state()."""
    raw = work + "/readback.raw"
    run(["qemu-img", "convert", "-O", "raw", qcow2, raw], check=True)
    pt = json.loads(run(["sfdisk", "-J", raw], check=True).stdout)
    var = [p for p in pt["partitiontable"]["partitions"]
           if p.get("name") == "var"][0]
    os.makedirs(dest)
    run(["debugfs", "-R", "rdump /log/journal %s" % dest,
         "%s?offset=%d" % (raw, var["start"] * 512)])
    os.unlink(raw)
    return dest + "/journal"


def ledger_events(state):
    out = run(HANKO + ["ledger", "show", "--state", state, "--from", "0"],
              check=True).stdout
    return [json.loads(x) for x in out.splitlines() if x]


# ---- the signing flow against the VM ------------------------------------------------

def signing_flow(work, vm, tls_ca, state1, pki):
    """register, enroll, key, CSR, certificate, CSC login, authorize,
    signHash; returns the credential and the digest it signed."""
    root, inter = pki
    A = LC.Api(vm.admin, tls_ca, (state1 + "/admin/admin.crt",
                                  state1 + "/admin/admin.key"))
    S = LC.Api(vm.signing, tls_ca)
    csc = C.Csc(vm.signing, tls_ca, timeout=120)
    tag = os.urandom(3).hex()
    st, js = A.call("POST", "/admin/v1/signers", {
        "kind": "natural", "name": "Image Tester " + tag,
        "organization": "", "email": tag + "@example.test",
        "identity_proofing": "test-" + tag})
    tap(st in (200, 201), "register a signer over the admin API, as the "
        "first administrator whose key came off the disk", (st, js))
    sid = js["signer_id"]
    password = "signer password " + os.urandom(4).hex()
    st, js = A.call("POST", "/admin/v1/signers/%s/credentials" % sid,
                    {"algorithm": "p256", "level": 2})
    tap(st in (200, 201), "create a P-256 level-2 credential", (st, js))
    cid, code = js["credential_id"], js["enrollment_code"]
    pin = "%08d" % (int.from_bytes(os.urandom(4), "big") % 10 ** 8)
    st, js = S.call("POST", "/signer/v1/enroll", {
        "enrollment_code": code, "password": password, "pin": pin})
    tap(st == 200 and "otpauth_uri" in (js or {}), "enroll (password, PIN, "
        "TOTP seed)", (st, js))
    totp = C.Totp(js["otpauth_uri"])
    st, js = A.call("POST", "/admin/v1/credentials/%s/key" % cid)
    tap(st == 200, "generate the key in the appliance's HSM", (st, js))
    st, js = A.call("POST", "/admin/v1/credentials/%s/csr" % cid)
    tap(st == 200, "make the CSR", (st, js))
    st, js = S.call("POST", "/signer/v1/credentials/%s/csr/confirm" % cid,
                    {"pin": pin}, basic=(sid, password))
    st2, js2 = A.call("GET", "/admin/v1/credentials/%s/csr" % cid)
    tap(st == 200 and st2 == 200, "the signer confirms the CSR", (st, js))
    csr, leaf = work + "/flow.csr", work + "/flow.crt"
    with open(csr, "w") as f:
        f.write(js2["csr"])
    # Backdated by an hour: the guest reads its clock from the emulated
    # RTC, whole seconds, so "now" on the host can be a second ahead of the
    # guest, where a certificate from this second is not yet valid.
    fmt = "%Y%m%d%H%M%SZ"
    inter.issue(csr, leaf, start=time.strftime(fmt, time.gmtime(
        time.time() - 3600)), end=time.strftime(fmt, time.gmtime(
            time.time() + 30 * 86400)))
    pem = open(leaf).read() + open(inter.crt).read()
    st, js = A.call("PUT", "/admin/v1/credentials/%s/certificate" % cid,
                    {"chain": pem})
    tap(st == 200 and (js or {}).get("state") == "active", "bind the "
        "certificate from the test CA (trusted through the hanko.trusted-cas "
        "credential): the credential is active", (st, js))
    c = C.Cred()
    c.sid, c.cid, c.pin, c.level, c.totp = sid, cid, pin, 2, totp
    c.password, c.algorithm = password, "p256"
    c.cert = C.x509.load_pem_x509_certificate(open(leaf, "rb").read())
    token = csc.token(sid, password)
    h = C.digest()
    r = C.authorize(csc, token, c, [h])
    tap(r.status == 200 and "SAD" in (r.js or {}), "CSC credentials/"
        "authorize with PIN and TOTP", r)
    r = C.sign_hash(csc, token, c, r.js["SAD"], [h], C.ECDSA_SHA256)
    sig = None
    if r.status == 200 and (r.js or {}).get("signatures"):
        sig = base64.b64decode(r.js["signatures"][0])
    why = C.verify_sig(c.cert, C.ECDSA_SHA256, h, sig) if sig else "no sig"
    tap(why is None, "CSC signatures/signHash: the signature verifies with "
        "python3-cryptography against the certificate", why or r)
    return c, h, time.time()


# ---- main -------------------------------------------------------------------------

def main():
    global OVMF_CODE, OVMF_VARS
    OVMF_CODE = os.environ["HK_OVMF_CODE"]
    OVMF_VARS = os.environ["HK_OVMF_VARS"]
    work = tempfile.mkdtemp(prefix="hanko-image-it-", dir="/tmp")
    vms = []
    try:
        body(work, vms)
    except Exception as e:  # noqa: BLE001 - report, do not hang
        tap(False, "the image test ran to the end", repr(e))
        for vm in vms:
            note("last serial lines of boot %s:" % vm.name)
            note("\n".join(vm.serial().splitlines()[-60:]))
    finally:
        for vm in vms:
            vm.kill()
        shutil.rmtree(work, ignore_errors=True)
    print("1..%d" % N)
    return 1 if FAILED else 0


def body(work, vms):
    out = work + "/out"
    t_all = time.time()
    # The build, stage by stage (the same stages as `build.sh` alone).
    r, t = timed([IMG + "/build.sh", "deb", out])
    deb = r.stdout.strip().splitlines()[-1] if r.returncode == 0 else ""
    tap(r.returncode == 0 and deb.endswith(".deb"), "the .deb builds "
        "(dpkg-deb; Depends from dpkg-shlibdeps)", r.stderr)
    note("deb: %.0f s, %s, %.0f KiB" % (t, os.path.basename(deb),
                                        os.path.getsize(deb) / 1024))
    fields = run(["dpkg-deb", "-f", deb, "Depends"]).stdout
    tap(all(x in fields for x in ("libssl3", "liblmdb0", "libsodium23",
                                  "libuv1", "libjansson4", "libinih1",
                                  "libsofthsm2")),
        "its Depends name the runtime libraries", fields)
    rootfs = work + "/rootfs"
    r, t_root = timed([IMG + "/build.sh", "rootfs", rootfs, deb])
    tap(r.returncode == 0, "mmdebstrap root file system with the .deb "
        "installed through apt", r.stderr[-2000:])
    note("root file system: %.0f s" % t_root)
    r = run([IMG + "/build.sh", "lint", rootfs])
    tap(r.returncode == 0, "systemd-analyze verify and security (offline) "
        "within the threshold", r.stdout + r.stderr)
    m = re.search(r"exposure ([0-9.]+)", r.stdout)
    note("hankod.service exposure: %s" % (m.group(1) if m else "?"))
    r, t = timed([IMG + "/smoke-nspawn.sh", rootfs])
    tap(r.returncode == 0, "nspawn smoke: provisioning took the credential, "
        "hankod answers /readyz over TLS, no failed unit", r.stdout)
    note(r.stdout.strip())
    r, t_disk = timed([IMG + "/build.sh", "disk", rootfs, out],
                      env=dict(os.environ, IMAGE_VERSION="it"))
    raw, qcow = out + "/hanko-appliance-it.raw", out + "/hanko-appliance-it.qcow2"
    tap(r.returncode == 0 and os.path.exists(qcow), "disk images (raw, "
        "qcow2) with SHA256SUMS", r.stderr[-2000:])
    ck = run(["sha256sum", "-c", "hanko-appliance-it.SHA256SUMS"], cwd=out)
    tap(ck.returncode == 0, "the checksums match", ck.stdout + ck.stderr)
    note("disk + qcow2: %.0f s; build total %.0f s" % (t_disk,
                                                      time.time() - t_all))
    note("raw %.0f MiB (%.0f MiB allocated), qcow2 %.1f MiB" % (
        mib(raw), alloc_mib(raw), mib(qcow)))
    shutil.rmtree(rootfs)
    os.unlink(raw)

    # Credentials for first boot: an origin, the test CA that issues signer
    # certificates, and the listeners' TLS certificate and key.
    pki = work + "/pki"
    os.makedirs(pki)
    root = LC.CA(pki, "root-img")
    inter = LC.CA(pki, "int-img", parent=root)
    tls_key, tls_crt = work + "/tls.key", work + "/tls.crt"
    run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
         "ec_paramgen_curve:P-256", "-nodes", "-keyout", tls_key, "-out",
         tls_crt, "-days", "30", "-subj", "/CN=localhost", "-addext",
         "subjectAltName=DNS:localhost,IP:127.0.0.1"], check=True)
    origin = "image.test/hanko/" + os.urandom(3).hex()
    creds = [("hanko.origin", origin.encode()),
             ("hanko.trusted-cas", open(root.crt, "rb").read()),
             ("hanko.tls-cert", open(tls_crt, "rb").read()),
             ("hanko.tls-key", open(tls_key, "rb").read())]
    disk = work + "/disk.qcow2"
    shutil.copy(qcow, disk)

    vm = Vm(work, disk, "1", creds)
    vms.append(vm)
    t1 = vm.wait_ready(tls_crt)
    tap(t1 is not None, "boot 1 (UEFI, systemd-boot): first-boot "
        "provisioning, then /readyz over TLS on 127.0.0.1 through hostfwd, "
        "with the certificate from the hanko.tls-cert credential")
    note("boot 1: qemu start to /readyz %.1f s" % (t1 or -1))
    down = vm.powerdown()
    vm.kill()
    s1 = vm.serial()
    tap(down, "boot 1 powers off cleanly (ACPI power button)")
    tap("Hanko is provisioned in /var/lib/hanko" in s1 and
        "first administrator's certificate: /var/lib/hanko/admin/admin.crt"
        in s1, "the console names the first administrator's certificate")
    bad = failed_units(s1)
    tap(not bad, "boot 1: no failed unit on the serial console", bad)

    state1 = read_state(work, disk, work + "/state1")
    conf = open(state1 + "/hanko.conf").read()
    tap("origin = %s\n" % origin in conf and
        open(state1 + "/tls/server.crt").read() == open(tls_crt).read(),
        "provisioning used the credentials (origin, TLS certificate)", conf)
    r = run(HANKO + ["ledger", "verify", "--state", state1])
    tap(r.returncode == 0, "boot 1's ledger verifies", r.stdout + r.stderr)
    ev1 = ledger_events(state1)
    vkey = run(HANKO + ["ledger", "vkey", "--state", state1],
               check=True).stdout.strip()

    vm = Vm(work, disk, "2")
    vms.append(vm)
    t2 = vm.wait_ready(tls_crt)
    tap(t2 is not None, "boot 2: /readyz answers")
    note("boot 2: qemu start to /readyz %.1f s" % (t2 or -1))
    signed_at = None
    if t2 is not None:
        cred, h, signed_at = signing_flow(work, vm, tls_crt, state1,
                                          (root, inter))
    down = vm.powerdown()
    vm.kill()
    s2 = vm.serial()
    tap(down, "boot 2 powers off cleanly")
    tap("initialising /var/lib/hanko" not in s2 and
        "Hanko is provisioned" not in s2,
        "boot 2 does not provision again")
    bad = failed_units(s2)
    tap(not bad, "boot 2: no failed unit on the serial console", bad)

    # The persistent journal, read on the host: both boots, nothing failed,
    # the firewall and time sync ran.
    jd = read_journal(work, disk, work + "/journal")
    j = run(["journalctl", "-D", jd, "--no-pager", "-o", "short-monotonic"])
    boots = run(["journalctl", "-D", jd, "--no-pager", "--list-boots"])
    nboots = len([x for x in boots.stdout.splitlines() if x.strip() and
                  not x.lstrip().startswith("IDX")])
    tap(nboots == 2, "the persistent journal on /var holds both boots",
        boots.stdout + boots.stderr)
    bad = [x for x in j.stdout.splitlines() if re.search(
        r"Failed with result|Failed to start|Dependency failed|"
        r"code=(killed|dumped)", x)]
    tap(not bad and j.returncode == 0, "the journal shows no failed unit "
        "and no killed process", bad or j.stderr)
    tap(len(re.findall(r"Finished nftables.service", j.stdout)) == 2 and
        len(re.findall(r"Started systemd-timesyncd.service", j.stdout)) == 2,
        "the nftables firewall was loaded and timesyncd started, at each "
        "boot", [x for x in j.stdout.splitlines() if "nftables" in x or
                 "timesyncd" in x][:6])

    state2 = read_state(work, disk, work + "/state2")
    r = run(HANKO + ["ledger", "verify", "--state", state2])
    tap(r.returncode == 0, "after boot 2 the ledger verifies",
        r.stdout + r.stderr)
    ev2 = ledger_events(state2)
    tap([json.dumps(e, sort_keys=True) for e in ev2[:len(ev1)]] ==
        [json.dumps(e, sort_keys=True) for e in ev1] and
        [e["type"] for e in ev2].count("ledger.genesis") == 1 and
        [e["type"] for e in ev2].count("appliance.started") == 2,
        "the ledger kept boot 1's events: one genesis, two starts",
        [e["type"] for e in ev2])
    sigs = [e for e in ev2 if e["type"] == "signature.created"]
    tap(len(sigs) == 1, "one signature.created event for the one signature",
        [e["type"] for e in ev2])
    if sigs and signed_at:
        note("guest clock vs host at the signature: %+.1f s" % (
            sigs[0]["time_ms"] / 1000 - signed_at))
    if sigs:
        rc = run(HANKO + ["ledger", "receipt", "--state", state2, "--seq",
                          str(sigs[0]["seq"])])
        try:
            ev, idx = C.verify_receipt(rc.stdout, vkey)
            ok = idx == sigs[0]["seq"]
            why = ""
        except Exception as e:  # noqa: BLE001
            ok, why = False, repr(e)
        tap(ok, "the signature's receipt verifies offline against boot 1's "
            "verifier key", why or rc.stderr)


if __name__ == "__main__":
    sys.exit(main())
