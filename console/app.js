// SPDX-License-Identifier: Apache-2.0
// app.js: the auditor console's pages (issue 8; OPS-4, OPS-6, SIG-6;
// docs/console.md). Plain JS, no framework, no build step. Every datum
// comes from a GET of the auditor API on this origin (docs/audit-api.md);
// proofs are checked by verify.js in this browser. Nothing is written
// anywhere but the browser's localStorage (the pinned vkey and
// checkpoint, the auditor's own choice). All text from the appliance is
// put in the page as text nodes, never as HTML.
"use strict";

(() => {
  const PAGE = 50; // events per page
  const main = document.getElementById("main");
  const V = HankoVerify;

  // ---- small helpers ------------------------------------------------------

  // h(tag, attrs, ...children): an element; strings become text nodes.
  function h(tag, attrs, ...kids) {
    const e = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (v === undefined || v === null || v === false) continue;
      if (k === "class") e.className = v;
      else if (k.startsWith("on")) e.addEventListener(k.slice(2), v);
      else e.setAttribute(k, v === true ? "" : v);
    }
    for (const k of kids.flat(Infinity)) if (k !== null && k !== undefined) e.append(k instanceof Node ? k : String(k));
    return e;
  }
  const num = (n) => (typeof n === "number" ? n.toLocaleString("en-US") : String(n ?? "—"));
  const stateTag = (s) => h("span", { class: "state st-" + String(s).replace(/[^a-z_]/g, "") }, s);
  function show(...kids) { main.replaceChildren(...kids); }
  function fail(e) { return h("p", { class: "error" }, String(e.message || e)); }

  // api(path, params): GET /audit/v1/<path>?<params> as JSON; an error
  // answer throws with the appliance's description.
  async function api(path, params) {
    const q = new URLSearchParams();
    for (const [k, v] of Object.entries(params || {}))
      if (v !== undefined && v !== null && v !== "") q.set(k, v);
    const qs = q.toString();
    const r = await fetch("/audit/v1/" + path + (qs ? "?" + qs : ""), { cache: "no-store" });
    let js = null;
    try { js = await r.json(); } catch (e) { /* no JSON body */ }
    if (!r.ok) throw new Error(`${r.status} ${js?.error || ""}: ${js?.error_description || r.statusText}`);
    return js;
  }

  // The route: "#/page?query".
  function route() {
    const m = /^#\/([a-z]+)(?:\/([^?]*))?(?:\?(.*))?$/.exec(location.hash || "");
    return { page: m ? m[1] : "overview", arg: m && m[2] ? decodeURIComponent(m[2]) : "",
      q: new URLSearchParams(m && m[3] ? m[3] : "") };
  }
  function go(page, params) {
    const q = new URLSearchParams();
    for (const [k, v] of Object.entries(params || {})) if (v !== undefined && v !== "") q.set(k, v);
    const s = q.toString();
    location.hash = "#/" + page + (s ? "?" + s : "");
  }

  function download(name, text, type) {
    const url = URL.createObjectURL(new Blob([text], { type: type || "text/plain" }));
    const a = h("a", { href: url, download: name });
    document.body.append(a);
    a.click();
    a.remove();
    setTimeout(() => URL.revokeObjectURL(url), 10000);
  }

  const pinned = {
    get vkey() { return localStorage.getItem("hanko.console.vkey") || ""; },
    set vkey(v) { localStorage.setItem("hanko.console.vkey", v); },
    get checkpoint() { return localStorage.getItem("hanko.console.checkpoint") || ""; },
    set checkpoint(v) { localStorage.setItem("hanko.console.checkpoint", v); },
  };
  // The checkpoint this page saw first (the "previous" one by default).
  let firstCheckpoint = "";
  // A receipt handed to the verifier by another page.
  let pendingReceipt = "";

  // ---- overview -----------------------------------------------------------

  async function overview() {
    const [st, sm] = await Promise.all([api("status"), api("summary")]);
    if (!firstCheckpoint) firstCheckpoint = st.checkpoint;
    const ver = () => {
      if (!("verified_result" in st)) return [h("span", { class: "muted" }, "not reported by this appliance")];
      const when = st.verified_at ? new Date(st.verified_at).toISOString() : "never";
      return [stateTag(st.verified_result), " ", when,
        st.verified_events !== undefined ? ` — ${num(st.verified_events)} events` : "",
        st.verified_message ? h("div", { class: "muted" }, st.verified_message) : null];
    };
    const card = (n, label, id) => h("div", { class: "card" }, h("div", { class: "n", id }, num(n)), h("div", { class: "l" }, label));
    const byState = ["created", "key_generated", "active", "suspended", "destroyed", "locked"];
    show(
      h("h2", {}, "Appliance"),
      h("table", { class: "kv" },
        h("tr", {}, h("th", {}, "Identity (log origin)"), h("td", { class: "mono", id: "ov-origin" }, st.origin)),
        h("tr", {}, h("th", {}, "Version"), h("td", { id: "ov-version" }, "hanko " + sm.version)),
        h("tr", {}, h("th", {}, "Ledger size (events)"), h("td", { class: "num", id: "ov-size" }, num(st.size))),
        h("tr", {}, h("th", {}, "Last full verification"), h("td", { id: "ov-verified" }, ...ver()))),
      h("div", { class: "cards" },
        card(sm.signers, `signers (${num(sm.signers_erased)} erased)`, "ov-signers"),
        card(sm.credentials, "credentials", "ov-credentials"),
        card(sm.signatures, "signatures in total", "ov-signatures"),
        card(sm.signatures_today, "signatures today (UTC)", "ov-today")),
      h("h2", {}, "Credentials by state"),
      h("table", { id: "ov-states" },
        h("tr", {}, byState.map((s) => h("th", { class: "num" }, stateTag(s)))),
        h("tr", {}, byState.map((s) => h("td", { class: "num" }, num(sm["credentials_" + s]))))),
      h("h2", {}, "Latest checkpoint"),
      h("pre", { id: "ov-checkpoint" }, st.checkpoint),
      h("h2", {}, "Verifier key (vkey)"),
      h("pre", { id: "ov-vkey" }, st.vkey),
      h("p", { class: "muted" }, "The vkey shown here comes from the appliance. Verify against one you obtained independently: paste it on the Verify page and pin it. ",
        pinned.vkey ? (pinned.vkey.trim() === st.vkey.trim() ? h("span", { class: "ok" }, "It equals your pinned vkey.")
          : h("span", { class: "error" }, "It differs from your pinned vkey!")) : "No vkey pinned yet."));
  }

  // ---- events -------------------------------------------------------------

  const EVENT_TYPES = ["", "ledger.genesis", "appliance.started", "appliance.stopped", "config.applied",
    "checkpoint.key_rotated", "privileged_user.added", "privileged_user.changed", "signer.registered",
    "signer.updated", "signer.erased", "credential.created", "credential.enrolled", "key.generated",
    "key.imported", "csr.issued", "csr.confirmed", "certificate.bound", "auth.granted", "auth.denied",
    "credential.locked", "credential.unlocked", "signature.created", "credential.suspended",
    "credential.resumed", "key.destroyed", "admin.request", "approval.requested", "approval.granted",
    "approval.rejected", "ledger.verified"];

  // UTC datetime-local text <-> ms.
  const toMs = (s) => (s ? String(Date.parse(s + "Z")) : "");
  const fromMs = (ms) => (ms ? new Date(Number(ms)).toISOString().slice(0, 16) : "");

  function eventRow(ev, cols) {
    const detail = h("tr", { class: "detail", hidden: true }, h("td", { colspan: cols },
      h("div", {}, "seq ", h("b", {}, String(ev.seq)), " · leaf hash ", h("span", { class: "mono" }, ev.leaf_hash || ""), " · ",
        h("a", { href: `#/events?from=${ev.seq}` }, "link to this event"), " · ",
        h("button", { class: "plain", onclick: (e) => { e.stopPropagation(); receiptOf(ev.seq, "download"); } }, "Download receipt"), " ",
        h("button", { class: "plain", onclick: (e) => { e.stopPropagation(); receiptOf(ev.seq, "verify"); } }, "Verify receipt")),
      h("pre", {}, JSON.stringify(ev, null, 2))));
    const row = h("tr", { class: "row", "data-seq": ev.seq, onclick: () => { detail.hidden = !detail.hidden; } },
      h("td", { class: "num" }, String(ev.seq)),
      h("td", { class: "mono" }, ev.time || ""),
      h("td", {}, ev.type),
      h("td", { class: "mono" }, ev.subject?.signer || ""),
      h("td", { class: "mono" }, ev.subject?.credential || ""),
      h("td", { class: "mono", title: ev.actor?.id || "" }, ev.actor ? `${ev.actor.kind || ""} ${String(ev.actor.id || "").slice(0, 16)}` : ""));
    return [row, detail];
  }

  function eventTable(events, id) {
    return h("table", { class: "wide", id },
      h("thead", {}, h("tr", {}, h("th", { class: "num" }, "seq"), h("th", {}, "time (UTC)"), h("th", {}, "type"),
        h("th", {}, "signer"), h("th", {}, "credential"), h("th", {}, "actor"))),
      h("tbody", {}, events.map((ev) => eventRow(ev, 6))));
  }

  async function receiptOf(seq, what) {
    try {
      const r = await api("receipts/" + seq);
      if (what === "download") download(`receipt-${seq}.txt`, r.receipt);
      else { pendingReceipt = r.receipt; go("verify"); }
    } catch (e) { alert("receipt of seq " + seq + ": " + e.message); }
  }

  async function events(q) {
    const f = {
      from: q.get("from") || "0", type: q.get("type") || "", signer: q.get("signer") || "",
      credential: q.get("credential") || "", actor: q.get("actor") || "",
      since: q.get("since") || "", until: q.get("until") || "",
    };
    const form = h("form", { class: "filters", id: "ev-filters" },
      h("label", {}, "from seq", h("input", { name: "from", value: f.from, size: 9, inputmode: "numeric" })),
      h("label", {}, "type", h("select", { name: "type" }, EVENT_TYPES.map((t) => h("option", { value: t, selected: t === f.type }, t || "any")))),
      h("label", {}, "signer", h("input", { name: "signer", value: f.signer, size: 20, placeholder: "s-…" })),
      h("label", {}, "credential", h("input", { name: "credential", value: f.credential, size: 20, placeholder: "c-…" })),
      h("label", {}, "actor", h("input", { name: "actor", value: f.actor, size: 20, placeholder: "fingerprint, s-…" })),
      h("label", {}, "since (UTC)", h("input", { name: "since", type: "datetime-local", value: fromMs(f.since) })),
      h("label", {}, "until (UTC)", h("input", { name: "until", type: "datetime-local", value: fromMs(f.until) })),
      h("button", { type: "submit" }, "Filter"));
    form.addEventListener("submit", (e) => {
      e.preventDefault();
      const d = new FormData(form);
      go("events", { from: d.get("from") || "0", type: d.get("type"), signer: d.get("signer").trim(),
        credential: d.get("credential").trim(), actor: d.get("actor").trim(),
        since: toMs(d.get("since")), until: toMs(d.get("until")) });
    });
    const status = h("p", { class: "muted", id: "ev-status" }, "Searching…");
    show(h("h2", {}, "Events"), form, status);
    // Server-side paging: each request examines at most 100,000 events;
    // continue with next until a page is full or the ledger's end.
    const found = [];
    let from = Number(f.from) || 0, size = 0, next = from, requests = 0;
    const t0 = performance.now();
    do {
      const r = await api("events", { from: next, limit: PAGE - found.length, type: f.type,
        signer: f.signer, credential: f.credential, actor: f.actor, since: f.since, until: f.until });
      requests++;
      size = r.size;
      found.push(...r.events);
      next = r.next;
      status.textContent = `Examined up to seq ${num(next)} of ${num(size)}…`;
    } while (found.length < PAGE && next < size && requests < 20);
    const ms = Math.round(performance.now() - t0);
    status.textContent = `${found.length} event(s) from seq ${num(from)}; examined up to seq ${num(next)} of ${num(size)} ` +
      `in ${requests} request(s), ${ms} ms.` + (next < size && found.length < PAGE ? " Not the end: continue with Next." : "");
    const pager = h("div", { class: "pager" },
      h("button", { class: "plain", disabled: from === 0, onclick: () => history.back() }, "◀ Back"),
      h("button", { class: "plain", id: "ev-next", disabled: next >= size,
        onclick: () => go("events", { ...f, from: next }) }, "Next ▶"));
    main.append(pager, found.length ? eventTable(found, "ev-table") : h("p", { id: "ev-none" }, "No event matches."));
  }

  // ---- signers and credentials -------------------------------------------

  async function signers(q) {
    const after = q.get("after") || "";
    const r = await api("signers", { after, limit: 50 });
    const look = h("form", { class: "filters" },
      h("label", {}, "signer or credential id", h("input", { name: "id", size: 28, placeholder: "s-… or c-…" })),
      h("button", { type: "submit" }, "Show history"));
    look.addEventListener("submit", (e) => {
      e.preventDefault();
      const id = new FormData(look).get("id").trim();
      if (id) location.hash = (id.startsWith("c-") ? "#/credential/" : "#/signer/") + encodeURIComponent(id);
    });
    const states = ["active", "suspended", "key_generated", "created", "destroyed"];
    show(h("h2", {}, "Signers and credentials"), look,
      h("table", { class: "wide", id: "sg-table" },
        h("thead", {}, h("tr", {}, h("th", {}, "signer"), h("th", {}, "kind"), h("th", {}, "attributes"),
          h("th", { class: "num" }, "registered at seq"), states.map((s) => h("th", { class: "num" }, stateTag(s))))),
        h("tbody", {}, r.signers.map((s) => h("tr", {},
          h("td", { class: "mono" }, h("a", { href: "#/signer/" + encodeURIComponent(s.signer) }, s.signer)),
          h("td", {}, s.kind), h("td", {}, stateTag(s.attributes)),
          h("td", { class: "num" }, h("a", { href: `#/events?from=${s.registered_seq}` }, String(s.registered_seq))),
          states.map((st) => h("td", { class: "num" }, num(s.credentials[st] || 0))))))),
      h("div", { class: "pager" },
        h("button", { class: "plain", disabled: !after, onclick: () => history.back() }, "◀ Back"),
        h("button", { class: "plain", disabled: !r.next, onclick: () => go("signers", { after: r.next }) }, "Next ▶")),
      h("p", { class: "muted" }, "Personal attributes are never shown: only whether they are committed (sealed, with a commitment in the ledger) or erased."));
  }

  async function history(kind, id, q) {
    const from = q.get("from") || "0";
    const r = await api("history", { [kind]: id, from });
    const s = r.subject;
    const kv = (k, v) => h("tr", {}, h("th", {}, k), h("td", {}, v));
    const head = kind === "signer"
      ? [h("table", { class: "kv", id: "hi-subject" }, kv("signer", h("span", { class: "mono" }, s.signer)), kv("kind", s.kind),
        kv("attributes", stateTag(s.attributes)), kv("registered at seq", String(s.registered_seq))),
      h("h2", {}, "Credentials"),
      h("table", { class: "wide" }, h("thead", {}, h("tr", {}, h("th", {}, "credential"), h("th", {}, "state"), h("th", {}, "locked"),
        h("th", {}, "algorithm"), h("th", { class: "num" }, "level"), h("th", { class: "num" }, "signatures"), h("th", { class: "num" }, "last change (seq)"))),
      h("tbody", {}, s.credentials.map((c) => h("tr", {},
        h("td", { class: "mono" }, h("a", { href: "#/credential/" + encodeURIComponent(c.credential) }, c.credential)),
        h("td", {}, stateTag(c.state)), h("td", {}, c.locked ? stateTag("locked") : "no"), h("td", {}, c.algorithm),
        h("td", { class: "num" }, String(c.level)), h("td", { class: "num" }, num(c.signatures)), h("td", { class: "num" }, String(c.last_seq))))))]
      : [h("table", { class: "kv", id: "hi-subject" }, kv("credential", h("span", { class: "mono" }, s.credential)),
        kv("signer", h("a", { href: "#/signer/" + encodeURIComponent(s.signer) }, s.signer)), kv("state", stateTag(s.state)),
        kv("locked", s.locked ? stateTag("locked") : "no"), kv("enrolled", s.enrolled ? "yes" : "no"), kv("algorithm", s.algorithm),
        kv("level", String(s.level)), kv("signatures", num(s.signatures)), kv("certificate bound", s.certificate ? "yes" : "no"),
        kv("validity", s.certificate ? `${new Date(s.not_before * 1000).toISOString()} – ${new Date(s.not_after * 1000).toISOString()}` : "—"))];
    show(h("h2", {}, kind === "signer" ? "Signer" : "Credential"), ...head,
      h("h2", {}, "State history (from the ledger)"),
      h("table", { class: "wide", id: "hi-table" },
        h("thead", {}, h("tr", {}, h("th", { class: "num" }, "seq"), h("th", {}, "time (UTC)"), h("th", {}, "event"),
          h("th", {}, "credential"), h("th", {}, "state after"))),
        h("tbody", {}, r.history.map((e) => h("tr", {},
          h("td", { class: "num" }, h("a", { href: `#/events?from=${e.seq}` }, String(e.seq))),
          h("td", { class: "mono" }, e.time), h("td", {}, e.type), h("td", { class: "mono" }, e.credential),
          h("td", {}, stateTag(e.state)))))),
      h("p", { class: "muted" }, `Examined seq ${num(Number(from))} to ${num(r.next)} of ${num(r.size)}. `,
        r.next < r.size ? h("a", { href: `#/${kind}/${encodeURIComponent(id)}?from=${r.next}` }, "Continue") : "All of the ledger examined.",
        " · ", h("a", { href: `#/events?${kind}=${encodeURIComponent(id)}` }, "all events of this " + kind)));
  }

  // ---- signature lookup ---------------------------------------------------

  async function signatures(q) {
    const hash = q.get("hash") || "";
    const form = h("form", { class: "filters", id: "sig-form" },
      h("label", {}, "hash signed (hex or base64)", h("input", { name: "hash", value: hash, size: 70 })),
      h("button", { type: "submit" }, "Look up"));
    form.addEventListener("submit", (e) => { e.preventDefault(); go("signatures", { hash: new FormData(form).get("hash").trim() }); });
    show(h("h2", {}, "Signature lookup"), form);
    if (!hash) return;
    const status = h("p", { class: "muted", id: "sig-status" }, "Searching…");
    main.append(status);
    const found = [];
    let next = 0, size = 0, requests = 0;
    do {
      const r = await api("signatures", { hash, from: next });
      requests++;
      found.push(...r.signatures);
      next = r.next; size = r.size;
      status.textContent = `Examined ${num(next)} of ${num(size)} events…`;
    } while (next < size && requests < 100);
    status.textContent = `${found.length} signature(s) of this hash among ${num(next)} events (${requests} request(s)).`;
    const box = h("div", { id: "sig-results" });
    main.append(box);
    for (const ev of found) {
      const cert = await certificateFor(ev);
      box.append(h("h2", {}, `Signature at seq ${ev.seq}`),
        h("table", { class: "kv" },
          h("tr", {}, h("th", {}, "time (UTC)"), h("td", { class: "mono" }, ev.time)),
          h("tr", {}, h("th", {}, "signer"), h("td", { class: "mono" }, h("a", { href: "#/signer/" + encodeURIComponent(ev.subject.signer) }, ev.subject.signer))),
          h("tr", {}, h("th", {}, "credential"), h("td", { class: "mono" }, h("a", { href: "#/credential/" + encodeURIComponent(ev.subject.credential) }, ev.subject.credential))),
          h("tr", {}, h("th", {}, "key (SPKI SHA-256)"), h("td", { class: "mono" }, ev.body.spki_sha256)),
          h("tr", {}, h("th", {}, "hash signed"), h("td", { class: "mono" }, ev.body.hash)),
          h("tr", {}, h("th", {}, "authorisation (SAD id)"), h("td", { class: "mono" }, ev.body.sad_id)),
          h("tr", {}, h("th", {}, "certificate"), h("td", { class: "mono sig-cert" }, cert))),
        h("div", {}, h("button", { onclick: () => receiptOf(ev.seq, "download") }, "Download receipt"), " ",
          h("button", { class: "plain", onclick: () => receiptOf(ev.seq, "verify") }, "Verify receipt"), " ",
          h("a", { href: `#/events?from=${ev.seq}` }, "event in the ledger")),
        h("pre", {}, JSON.stringify(ev, null, 2)));
    }
  }

  // certificateFor(sig): the certificate.bound event of the signature's
  // credential in force at its seq, for the key that signed.
  async function certificateFor(sig) {
    let next = 0, best = null, requests = 0;
    try {
      do {
        const r = await api("events", { type: "certificate.bound", credential: sig.subject.credential, from: next, limit: 500 });
        for (const e of r.events) if (e.seq < sig.seq && (!sig.body.key_id || e.body.key_id === sig.body.key_id)) best = e;
        next = r.next; requests++;
      } while (next < sig.seq && requests < 100);
    } catch (e) { return "lookup failed: " + e.message; }
    if (!best) return "no certificate.bound event before this signature";
    const b = best.body;
    return `SHA-256 ${b.certificate_sha256}; issuer ${b.issuer}; serial ${b.serial}; valid ` +
      `${new Date(b.not_before * 1000).toISOString()} – ${new Date(b.not_after * 1000).toISOString()} (bound at seq ${best.seq})`;
  }

  // ---- verify -------------------------------------------------------------

  function stepsList(res, id) {
    return h("div", { id },
      h("p", { class: "verdict" }, res.ok ? h("span", { class: "ok" }, "✔ verified")
        : h("span", { class: "error" }, `✘ failed at step: ${res.failed}`)),
      h("ol", { class: "steps" }, res.steps.map((s) => h("li", { "data-step": s.name, "data-status": s.status },
        h("span", { class: "mark " + s.status }, s.status === "pass" ? "pass" : s.status === "fail" ? "FAIL" : "not run"),
        h("b", {}, s.name), s.detail ? " — " + s.detail : ""))));
  }

  async function verify() {
    if (!firstCheckpoint) firstCheckpoint = (await api("status")).checkpoint;
    const vkey = h("textarea", { id: "vf-vkey", rows: 2, placeholder: "origin+keyid+base64key (hanko ledger vkey)" });
    vkey.value = pinned.vkey;
    const receipt = h("textarea", { id: "vf-receipt", rows: 12, placeholder: "c2sp.org/tlog-proof@v1 …" });
    receipt.value = pendingReceipt;
    pendingReceipt = "";
    const seq = h("input", { id: "vf-seq", size: 10, placeholder: "seq" });
    const out = h("div", { id: "vf-out" });
    const drop = h("div", { class: "drop", id: "vf-drop" }, "Drop a receipt file here, or paste it above.");
    drop.addEventListener("dragover", (e) => { e.preventDefault(); drop.classList.add("over"); });
    drop.addEventListener("dragleave", () => drop.classList.remove("over"));
    drop.addEventListener("drop", async (e) => {
      e.preventDefault(); drop.classList.remove("over");
      const f = e.dataTransfer.files[0];
      if (f) { receipt.value = await f.text(); run(); }
    });
    async function run() { out.replaceChildren(stepsList(await V.verifyReceipt(receipt.value, vkey.value), "vf-result")); }

    const oldCp = h("textarea", { id: "vf-old", rows: 6 });
    oldCp.value = pinned.checkpoint || firstCheckpoint;
    const cout = h("div", { id: "vf-cout" });
    async function runConsistency() {
      cout.replaceChildren(h("p", { class: "muted" }, "Fetching the proof…"));
      let size;
      try {
        size = (await V.checkpointOf(oldCp.value, vkey.value)).size;
      } catch (e) {
        cout.replaceChildren(stepsList(await V.verifyConsistency(oldCp.value, "", vkey.value), "vf-cresult"));
        return;
      }
      let proof = "";
      try { proof = (await api("consistency", { old: size })).proof; } catch (e) { cout.replaceChildren(fail(e)); return; }
      const res = await V.verifyConsistency(oldCp.value, proof, vkey.value);
      cout.replaceChildren(stepsList(res, "vf-cresult"), h("pre", {}, proof));
    }

    show(
      h("h2", {}, "Verifier key"),
      h("p", { class: "muted" }, "Paste the vkey you obtained independently of this page (for example from `hanko ledger vkey` on the appliance's console, or from your records), then pin it in this browser."),
      vkey,
      h("div", { class: "pager" },
        h("button", { class: "plain", id: "vf-pin", onclick: () => { pinned.vkey = vkey.value.trim(); verifyPage(); } }, "Pin this vkey"),
        h("span", { class: "muted" }, pinned.vkey ? "A vkey is pinned." : "No vkey pinned.")),
      h("div", { class: "grid2" },
        h("div", {},
          h("h2", {}, "Receipt (inclusion of one event)"),
          h("div", { class: "pager" }, "Fetch the receipt of seq ", seq,
            h("button", { class: "plain", id: "vf-fetch", onclick: async () => {
              try { receipt.value = (await api("receipts/" + seq.value.trim())).receipt; } catch (e) { out.replaceChildren(fail(e)); }
            } }, "Fetch")),
          receipt, drop,
          h("button", { id: "vf-run", onclick: run }, "Verify receipt"),
          out),
        h("div", {},
          h("h2", {}, "Consistency (latest checkpoint vs a previous one)"),
          h("p", { class: "muted" }, "The previous checkpoint: your pinned one, else the one this page saw when it loaded."),
          oldCp,
          h("div", { class: "pager" },
            h("button", { id: "vf-crun", onclick: runConsistency }, "Verify latest against it"),
            h("button", { class: "plain", onclick: async () => {
              try { const st = await api("status"); pinned.checkpoint = st.checkpoint; oldCp.value = st.checkpoint; } catch (e) { cout.replaceChildren(fail(e)); }
            } }, "Pin the latest checkpoint")),
          cout)));
    if (receipt.value && vkey.value) await run();
  }
  const verifyPage = () => render();

  // ---- export -------------------------------------------------------------

  async function exportPage() {
    const st = await api("status");
    const from = h("input", { id: "ex-from", value: "0", size: 10 });
    const to = h("input", { id: "ex-to", value: String(st.size), size: 10 });
    const link = h("a", { id: "ex-link", download: "" }, "");
    const update = () => {
      const href = `/audit/v1/bundle?from=${encodeURIComponent(from.value.trim())}&to=${encodeURIComponent(to.value.trim())}`;
      link.setAttribute("href", href);
      link.setAttribute("download", `hanko-audit-${from.value.trim()}-${to.value.trim()}.tar`);
      link.textContent = "Download the audit bundle (tar) of seq " + from.value.trim() + " to " + to.value.trim();
    };
    from.addEventListener("input", update);
    to.addEventListener("input", update);
    update();
    show(h("h2", {}, "Export"),
      h("p", {}, "The audit bundle (C2SP tlog-tiles, checkpoint, certificates, manifest) of a range of the ledger, for `hanko audit verify` offline with your vkey."),
      h("form", { class: "filters" }, h("label", {}, "from seq", from), h("label", {}, "to seq (exclusive)", to)),
      h("p", {}, link),
      h("p", { class: "muted" }, `The ledger holds ${num(st.size)} events. The download is GET /audit/v1/bundle (docs/audit-api.md).`));
  }

  // ---- the router ---------------------------------------------------------

  async function render() {
    const r = route();
    for (const a of document.querySelectorAll("#nav a"))
      a.classList.toggle("active", a.dataset.page === r.page || (a.dataset.page === "signers" && (r.page === "signer" || r.page === "credential")));
    try {
      switch (r.page) {
        case "events": await events(r.q); break;
        case "signers": await signers(r.q); break;
        case "signer": await history("signer", r.arg, r.q); break;
        case "credential": await history("credential", r.arg, r.q); break;
        case "signatures": await signatures(r.q); break;
        case "verify": await verify(); break;
        case "export": await exportPage(); break;
        default: await overview();
      }
      document.body.dataset.ready = r.page;
    } catch (e) {
      show(h("h2", {}, "Error"), fail(e));
      document.body.dataset.ready = "error";
    }
  }
  window.addEventListener("hashchange", () => { document.body.dataset.ready = ""; render(); });
  render();
})();
