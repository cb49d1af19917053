// SPDX-License-Identifier: Apache-2.0
// verify.js: the auditor console's offline verifier (issue 8; OPS-4,
// SIG-6; docs/console.md "The verifier"). No dependency: WebCrypto only
// (SHA-256, Ed25519). It checks what ledger/ledger_receipt.c and
// ledger/ledger_note.c check, in the same formats (docs/ledger-format.md):
//
//   vkey        <name>+<hex key ID>+<base64(0x01 || Ed25519 public key)>,
//               key ID = SHA-256(name || "\n" || 0x01 || public key)[:4]
//   checkpoint  "<origin>\n<size>\n<base64 root>\n" "\n"
//               "— <name> <base64(key ID || signature)>\n" (C2SP signed
//               note; the signature covers the text up to the blank line)
//   receipt     "c2sp.org/tlog-proof@v1\nextra <base64 event>\n"
//               "index <seq>\n" <base64 hash per line> "\n" <checkpoint>
//   consistency "old <m>\n" <base64 hash per line> "\n" <checkpoint>
//   tree        RFC 6962/9162: leaf = SHA-256(0x00 || event bytes),
//               node = SHA-256(0x01 || left || right)
//
// Each check is a list of named steps; the first that fails stops the
// check and is reported by name, so the auditor sees which step failed.
// Nothing here trusts the appliance: the vkey is the auditor's (pasted or
// pinned), and every hash is recomputed in this browser.
"use strict";

const HankoVerify = (() => {
  const enc = new TextEncoder();

  // A failed step: its name and why.
  class StepError extends Error {
    constructor(step, why) { super(why); this.step = step; }
  }

  // Strict standard Base64 (padding required, as the ledger writes it).
  function b64(step, text) {
    if (!/^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/.test(text))
      throw new StepError(step, "not valid base64: " + JSON.stringify(text.slice(0, 40)));
    const bin = atob(text);
    const out = new Uint8Array(bin.length);
    for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
    return out;
  }

  function hex(bytes) {
    return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
  }

  function concat(...parts) {
    const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
    let at = 0;
    for (const p of parts) { out.set(p, at); at += p.length; }
    return out;
  }

  function equal(a, b) {
    if (a.length !== b.length) return false;
    let d = 0;
    for (let i = 0; i < a.length; i++) d |= a[i] ^ b[i];
    return d === 0;
  }

  async function sha256(bytes) {
    return new Uint8Array(await crypto.subtle.digest("SHA-256", bytes));
  }
  const leafHash = (event) => sha256(concat(Uint8Array.of(0), event));
  const nodeHash = (l, r) => sha256(concat(Uint8Array.of(1), l, r));

  // A decimal without sign or leading zero, as BigInt-safe Number.
  function decimal(step, text) {
    if (!/^(0|[1-9][0-9]{0,15})$/.test(text))
      throw new StepError(step, "not a decimal number: " + JSON.stringify(text));
    return Number(text);
  }

  // ---- verifier key and signed notes -------------------------------------

  // parseVkey(text): {name, keyId, pub}; the key ID must match the key.
  async function parseVkey(text) {
    const step = "verifier key";
    // The base64 key may hold "+" itself: split at the first two only.
    const m = /^([^+\s]+)\+([^+]*)\+(\S+)$/.exec(text.trim());
    if (!m) throw new StepError(step, "a vkey is <name>+<key ID>+<key>");
    const [, name, idHex, keyB64] = m;
    if (!/^[0-9a-f]{8}$/.test(idHex))
      throw new StepError(step, "the key ID is not 8 hex digits");
    const key = b64(step, keyB64);
    if (key.length !== 33 || key[0] !== 1)
      throw new StepError(step, "not an Ed25519 key (0x01 and 32 bytes)");
    const pub = key.slice(1);
    const want = (await sha256(concat(enc.encode(name + "\n"), Uint8Array.of(1), pub))).slice(0, 4);
    if (hex(want) !== idHex)
      throw new StepError(step, "the key ID does not match the key");
    return { name, keyId: want, pub };
  }

  // openNote(lines, vkey, step): verify the signed note made of ${lines}
  // (text lines, blank line, signature lines; no trailing ""), return its
  // text lines. The signature must be the vkey's, over "text\n".
  async function openNote(lines, vkey, step) {
    const blank = lines.lastIndexOf("");
    if (blank < 1 || blank === lines.length - 1)
      throw new StepError(step, "no signature lines after a blank line");
    const text = lines.slice(0, blank);
    const signed = enc.encode(text.join("\n") + "\n");
    let mine = null;
    for (const sig of lines.slice(blank + 1)) {
      const m = /^\u2014 (\S+) (\S+)$/.exec(sig);
      if (!m) throw new StepError(step, "malformed signature line");
      if (m[1] !== vkey.name) continue;
      const raw = b64(step, m[2]);
      if (raw.length < 4 || !equal(raw.slice(0, 4), vkey.keyId)) continue;
      if (raw.length !== 68) throw new StepError(step, "the signature is not 64 bytes");
      mine = raw.slice(4);
    }
    if (mine === null)
      throw new StepError(step, "no signature by the key " + vkey.name + " (wrong vkey?)");
    let key;
    try {
      key = await crypto.subtle.importKey("raw", vkey.pub, { name: "Ed25519" }, false, ["verify"]);
    } catch (e) {
      throw new StepError(step, "this browser has no WebCrypto Ed25519: " + e.message);
    }
    if (!(await crypto.subtle.verify({ name: "Ed25519" }, key, mine, signed)))
      throw new StepError(step, "the Ed25519 signature does not verify");
    return text;
  }

  // checkpointBody(text): {origin, size, root} of a checkpoint's text.
  function checkpointBody(text) {
    const step = "checkpoint body";
    if (text.length !== 3) throw new StepError(step, "a checkpoint has 3 text lines");
    const root = b64(step, text[2]);
    if (root.length !== 32) throw new StepError(step, "the root is not 32 bytes");
    return { origin: text[0], size: decimal(step, text[1]), root };
  }

  // proofLines(lines, at, step): base64 hashes from ${at} to the blank line.
  function proofLines(lines, at, step) {
    const proof = [];
    for (; at < lines.length && lines[at] !== ""; at++) {
      const h = b64(step, lines[at]);
      if (h.length !== 32) throw new StepError(step, "a proof hash is not 32 bytes");
      proof.push(h);
    }
    if (at >= lines.length) throw new StepError(step, "the proof is not followed by a blank line and a checkpoint");
    return { proof, at: at + 1 };
  }

  function splitLines(text, step) {
    if (!text.endsWith("\n")) throw new StepError(step, "the text does not end with a newline (truncated?)");
    return text.slice(0, -1).split("\n");
  }

  // ---- RFC 9162 proofs --------------------------------------------------

  // rootFromInclusion: RFC 9162 2.1.3.2; throws when the proof's length
  // does not fit the tree.
  async function rootFromInclusion(index, size, leaf, proof) {
    const step = "inclusion proof";
    if (index >= size) throw new StepError(step, `index ${index} is not below the tree size ${size}`);
    let fn = index, sn = size - 1, r = leaf;
    for (const p of proof) {
      if (sn === 0) throw new StepError(step, "the proof is longer than the tree is deep");
      if (fn % 2 === 1 || fn === sn) {
        r = await nodeHash(p, r);
        if (fn % 2 === 0) while (fn % 2 === 0 && fn !== 0) { fn = Math.floor(fn / 2); sn = Math.floor(sn / 2); }
      } else {
        r = await nodeHash(r, p);
      }
      fn = Math.floor(fn / 2); sn = Math.floor(sn / 2);
    }
    if (sn !== 0) throw new StepError(step, `the proof has ${proof.length} hashes, too few for a tree of ${size} (truncated?)`);
    return r;
  }

  // consistent: RFC 9162 2.1.4.2: the tree of size m (root oldRoot) is a
  // prefix of the tree of size n (root newRoot).
  async function consistent(m, n, oldRoot, newRoot, proof) {
    const step = "consistency proof";
    if (m > n) throw new StepError(step, `old size ${m} is beyond the new size ${n}`);
    if (m === n) {
      if (proof.length !== 0 || !equal(oldRoot, newRoot))
        throw new StepError(step, "same size but different roots");
      return;
    }
    if (m === 0) return; // the empty tree is a prefix of every tree
    if (proof.length === 0) throw new StepError(step, "empty proof");
    let p = proof;
    if ((m & (m - 1)) === 0) p = [oldRoot, ...proof];
    let fn = m - 1, sn = n - 1;
    while (fn % 2 === 1) { fn = Math.floor(fn / 2); sn = Math.floor(sn / 2); }
    let fr = p[0], sr = p[0];
    for (const c of p.slice(1)) {
      if (sn === 0) throw new StepError(step, "the proof is too long");
      if (fn % 2 === 1 || fn === sn) {
        fr = await nodeHash(c, fr);
        sr = await nodeHash(c, sr);
        if (fn % 2 === 0) while (fn % 2 === 0 && fn !== 0) { fn = Math.floor(fn / 2); sn = Math.floor(sn / 2); }
      } else {
        sr = await nodeHash(sr, c);
      }
      fn = Math.floor(fn / 2); sn = Math.floor(sn / 2);
    }
    if (sn !== 0) throw new StepError(step, "the proof is too short (truncated?)");
    if (!equal(fr, oldRoot)) throw new StepError(step, "the proof does not lead to the old root");
    if (!equal(sr, newRoot)) throw new StepError(step, "the proof does not lead to the new root");
  }

  // ---- the checks -------------------------------------------------------

  // run(names, body): run ${body}(pass) where pass(name, detail) records a
  // step that passed; the first StepError names the failed step. Returns
  // {ok, steps: [{name, status: "pass"|"fail"|"skip", detail}], failed,
  // why, result}.
  async function run(names, body) {
    const steps = names.map((name) => ({ name, status: "skip", detail: "" }));
    const pass = (name, detail) => {
      const s = steps.find((x) => x.name === name);
      s.status = "pass"; s.detail = detail || "";
    };
    try {
      const result = await body(pass);
      return { ok: true, steps, failed: null, why: null, result };
    } catch (e) {
      const name = e instanceof StepError ? e.step : steps.find((s) => s.status === "skip")?.name || names[0];
      const s = steps.find((x) => x.name === name) || steps[0];
      s.status = "fail"; s.detail = e.message;
      return { ok: false, steps, failed: s.name, why: e.message, result: null };
    }
  }

  const RECEIPT_STEPS = ["receipt format", "verifier key", "checkpoint signature",
    "checkpoint body", "leaf hash", "inclusion proof"];

  // verifyReceipt(text, vkeyText): the receipt of one event against the
  // auditor's vkey. result: {index, size, origin, event (bytes), leaf}.
  function verifyReceipt(text, vkeyText) {
    return run(RECEIPT_STEPS, async (pass) => {
      const step = "receipt format";
      const lines = splitLines(text, step);
      if (lines[0] !== "c2sp.org/tlog-proof@v1") throw new StepError(step, "not a c2sp.org/tlog-proof@v1 receipt");
      if (!lines[1] || !lines[1].startsWith("extra ")) throw new StepError(step, "no extra line (the event)");
      const event = b64(step, lines[1].slice(6));
      if (!lines[2] || !lines[2].startsWith("index ")) throw new StepError(step, "no index line");
      const index = decimal(step, lines[2].slice(6));
      const { proof, at } = proofLines(lines, 3, step);
      pass(step, `event of ${event.length} bytes, index ${index}, ${proof.length} proof hashes`);

      const vkey = await parseVkey(vkeyText);
      pass("verifier key", `${vkey.name}, key ID ${hex(vkey.keyId)}`);

      const note = await openNote(lines.slice(at), vkey, "checkpoint signature");
      pass("checkpoint signature", "Ed25519 signature by " + vkey.name + " verifies");

      const cp = checkpointBody(note);
      if (cp.origin !== vkey.name) throw new StepError("checkpoint body", `origin ${cp.origin} is not the key's name ${vkey.name}`);
      pass("checkpoint body", `${cp.origin}, tree size ${cp.size}`);

      const leaf = await leafHash(event);
      pass("leaf hash", hex(leaf));

      const root = await rootFromInclusion(index, cp.size, leaf, proof);
      if (!equal(root, cp.root)) throw new StepError("inclusion proof", "the proof does not lead to the checkpoint's root");
      pass("inclusion proof", `event ${index} is in the tree of ${cp.size} (root ${hex(cp.root).slice(0, 16)}…)`);
      return { index, size: cp.size, origin: cp.origin, event, leaf };
    });
  }

  const CONSISTENCY_STEPS = ["verifier key", "old checkpoint signature",
    "proof format", "new checkpoint signature", "consistency proof"];

  // verifyConsistency(oldNote, proofText, vkeyText): the checkpoint
  // ${oldNote} (one the auditor kept) is a prefix of the checkpoint in
  // ${proofText} (the answer of /audit/v1/consistency?old=<its size>).
  function verifyConsistency(oldNote, proofText, vkeyText) {
    return run(CONSISTENCY_STEPS, async (pass) => {
      const vkey = await parseVkey(vkeyText);
      pass("verifier key", `${vkey.name}, key ID ${hex(vkey.keyId)}`);

      const oldText = await openNote(splitLines(oldNote, "old checkpoint signature"), vkey, "old checkpoint signature");
      const oldCp = checkpointBody(oldText);
      pass("old checkpoint signature", `tree size ${oldCp.size} signed by ${vkey.name}`);

      const step = "proof format";
      const lines = splitLines(proofText, step);
      const m = /^old (\S+)$/.exec(lines[0] || "");
      if (!m) throw new StepError(step, "no old line");
      const old = decimal(step, m[1]);
      if (old !== oldCp.size) throw new StepError(step, `the proof is from size ${old}, the old checkpoint has ${oldCp.size}`);
      const { proof, at } = proofLines(lines, 1, step);
      pass(step, `${proof.length} proof hashes from size ${old}`);

      const newCp = checkpointBody(await openNote(lines.slice(at), vkey, "new checkpoint signature"));
      if (newCp.origin !== oldCp.origin) throw new StepError("new checkpoint signature", "the checkpoints name different origins");
      pass("new checkpoint signature", `tree size ${newCp.size} signed by ${vkey.name}`);

      await consistent(oldCp.size, newCp.size, oldCp.root, newCp.root, proof);
      pass("consistency proof", `the tree of ${oldCp.size} is a prefix of the tree of ${newCp.size}`);
      return { oldSize: oldCp.size, newSize: newCp.size };
    });
  }

  // checkpointOf(note, vkeyText): a checkpoint's body after its signature.
  async function checkpointOf(note, vkeyText) {
    const vkey = await parseVkey(vkeyText);
    return checkpointBody(await openNote(splitLines(note, "checkpoint signature"), vkey, "checkpoint signature"));
  }

  return { verifyReceipt, verifyConsistency, checkpointOf, parseVkey, hex, b64, StepError,
    RECEIPT_STEPS, CONSISTENCY_STEPS };
})();
