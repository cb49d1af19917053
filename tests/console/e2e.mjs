// SPDX-License-Identifier: Apache-2.0
// The auditor console in a real browser (issue 8): Debian's chromium
// driven by playwright-core. Run by tests/integration/console_e2e.py,
// which starts a throwaway appliance and passes what it knows in a JSON
// file (argv[2]); this script drives the pages as the auditor would, and
// writes back what it saw and checked (argv[3]): a list of
// {ok, name, detail} plus facts the Python side compares with the ledger.
// Screenshots of each page go to cfg.shots.
import { chromium } from "playwright-core";
import fs from "node:fs";

const cfg = JSON.parse(fs.readFileSync(process.argv[2], "utf8"));
const results = [];
const facts = {};
const check = (ok, name, detail) => results.push({ ok: !!ok, name, detail: ok ? "" : String(detail ?? "") });
const origin = cfg.origin; // https://localhost:PORT

const FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
  "--disable-background-networking", "--disable-component-update", "--disable-sync"];

const browser = await chromium.launch({
  executablePath: "/usr/bin/chromium", headless: true, args: FLAGS,
});

// A context presenting ${cert} (or none) to the admin listener. The
// appliance's server certificate is from its own operator CA, which this
// throwaway browser profile does not trust: ignoreHTTPSErrors (the TLS
// identity is the business of tests/integration/30-front.sh).
async function newContext(cert) {
  return browser.newContext({
    ignoreHTTPSErrors: true,
    viewport: { width: 1360, height: 900 },
    clientCertificates: cert ? [{ origin, certPath: cert.cert, keyPath: cert.key }] : [],
    acceptDownloads: true,
  });
}

const requests = [];
const consoleErrors = [];
const ctx = await newContext(cfg.auditor);
ctx.on("request", (r) => requests.push(r.url()));
const page = await ctx.newPage();
page.on("console", (m) => { if (m.type() === "error") consoleErrors.push(m.text()); });
page.on("pageerror", (e) => consoleErrors.push("pageerror: " + e.message));

async function open(hash, ready) {
  await page.evaluate(() => { document.body.dataset.ready = ""; }).catch(() => {});
  await page.goto(origin + "/console/" + hash);
  await page.waitForSelector(`body[data-ready="${ready}"], body[data-ready="error"]`, { timeout: 60000 });
  const state = await page.getAttribute("body", "data-ready");
  if (state === "error") throw new Error(hash + ": " + (await page.textContent("main")));
}
async function waitReady(ready) {
  await page.waitForSelector(`body[data-ready="${ready}"], body[data-ready="error"]`, { timeout: 60000 });
  if ((await page.getAttribute("body", "data-ready")) === "error")
    throw new Error(await page.textContent("main"));
}
const shot = (name) => page.screenshot({ path: `${cfg.shots}/${name}.png`, fullPage: true });

async function step(name, fn) {
  try { await fn(); } catch (e) { check(false, name, e.stack || e.message); }
}

// ---- the page itself: headers, no inline code ----------------------------
await step("page and headers", async () => {
  const resp = await page.goto(origin + "/console/");
  const hd = resp.headers();
  check(resp.status() === 200, "GET /console/ answers 200 to the auditor", resp.status());
  check((hd["content-security-policy"] || "").startsWith("default-src 'self'"),
    "Content-Security-Policy: default-src 'self' on the page", hd["content-security-policy"]);
  check(hd["x-frame-options"] === "DENY", "X-Frame-Options: DENY", hd["x-frame-options"]);
  check(hd["x-content-type-options"] === "nosniff", "X-Content-Type-Options: nosniff", hd["x-content-type-options"]);
  check(!("set-cookie" in hd), "no cookie is set", hd["set-cookie"]);
  await page.waitForSelector('body[data-ready="overview"]', { timeout: 60000 });
  const inline = await page.evaluate(() => ({
    scripts: [...document.querySelectorAll("script")].filter((s) => !s.src).length,
    styles: document.querySelectorAll("style").length,
    styleAttrs: document.querySelectorAll("[style]").length,
    handlers: [...document.querySelectorAll("*")].filter((e) => [...e.attributes].some((a) => a.name.startsWith("on"))).length,
  }));
  check(inline.scripts === 0 && inline.styles === 0 && inline.styleAttrs === 0 && inline.handlers === 0,
    "no inline script, style or event handler in the page", JSON.stringify(inline));
  const cookies = await ctx.cookies();
  check(cookies.length === 0, "the browser holds no cookie for the appliance", JSON.stringify(cookies));
});

// ---- overview -------------------------------------------------------------
await step("overview", async () => {
  await open("#/overview", "overview");
  const size = Number((await page.textContent("#ov-size")).replace(/,/g, ""));
  facts.overview_size = size;
  facts.overview_vkey = (await page.textContent("#ov-vkey")).trim();
  facts.overview_signatures = Number((await page.textContent("#ov-signatures")).replace(/,/g, ""));
  facts.overview_today = Number((await page.textContent("#ov-today")).replace(/,/g, ""));
  facts.overview_origin = (await page.textContent("#ov-origin")).trim();
  facts.overview_checkpoint = await page.textContent("#ov-checkpoint");
  check(size > 0, "the overview shows the ledger size", size);
  await shot("overview");
});

// ---- events: a filter finds the known signer's events ---------------------
await step("events", async () => {
  await open("#/events", "events");
  await shot("events");
  await page.fill('#ev-filters input[name="signer"]', cfg.signer);
  await page.evaluate(() => { document.body.dataset.ready = ""; });
  await page.click('#ev-filters button[type="submit"]');
  await waitReady("events");
  const rows = await page.$$eval("#ev-table tr.row", (trs) => trs.map((tr) => ({
    seq: Number(tr.dataset.seq), signer: tr.children[3].textContent, type: tr.children[2].textContent })));
  facts.signer_rows = rows;
  await shot("events-signer");
  check(rows.length > 0 && rows.every((r) => r.signer === cfg.signer),
    "the signer filter finds the known signer's events and only them", JSON.stringify(rows).slice(0, 300));
  check(page.url().includes("signer=" + cfg.signer), "the filter is a deep link", page.url());
  // A row expands to the decoded event with its seq.
  const first = await page.$("#ev-table tr.row");
  await first.click();
  const detail = await page.evaluate(() => {
    const tr = document.querySelector("#ev-table tr.row + tr.detail");
    return tr && !tr.hidden ? tr.textContent : "";
  });
  check(detail.includes('"seq": ' + rows[0].seq) && detail.includes('"type": "' + rows[0].type + '"'),
    "a row expands to the decoded event and its seq", detail.slice(0, 200));
  // The actor filter: the auditor's own recorded views.
  await open(`#/events?actor=${cfg.auditor_fp}&type=admin.request`, "events");
  const mine = await page.$$eval("#ev-table tr.row", (trs) => trs.map((tr) => tr.children[5].title));
  check(mine.length > 0 && mine.every((a) => a === cfg.auditor_fp),
    "the actor filter finds the auditor's own recorded views", JSON.stringify(mine).slice(0, 200));
  // Deep link by seq.
  await open(`#/events?from=${cfg.sig_seq}&type=signature.created`, "events");
  const firstSeq = await page.$eval("#ev-table tr.row", (tr) => Number(tr.dataset.seq));
  check(firstSeq === cfg.sig_seq, "a deep link by seq opens at that event", firstSeq);
});

// ---- signers and credentials -----------------------------------------------
await step("signers", async () => {
  await open("#/signers", "signers");
  const listed = await page.$$eval("#sg-table tbody tr td:first-child", (tds) => tds.map((t) => t.textContent));
  check(listed.includes(cfg.signer), "the signers page lists the known signer", listed.join(","));
  const pageText = await page.textContent("main");
  check(!cfg.personal.some((p) => pageText.includes(p)), "no personal attribute in clear on the signers page");
  await shot("signers");
  await open("#/signer/" + cfg.signer, "signer");
  const states = await page.$$eval("#hi-table tbody tr td:last-child", (tds) => tds.map((t) => t.textContent));
  facts.signer_history = states;
  check(states[0] === "registered" && states.includes("active"),
    "the signer's state history comes from the ledger (registered ... active)", states.join(","));
  const text = await page.textContent("main");
  check(!cfg.personal.some((p) => text.includes(p)) && text.includes("committed"),
    "personal attributes only as the committed/erased marker", text.slice(0, 300));
  await shot("signer");
  await open("#/credential/" + cfg.credential, "credential");
  const cstates = await page.$$eval("#hi-table tbody tr td:last-child", (tds) => tds.map((t) => t.textContent));
  check(cstates[0] === "created" && cstates[cstates.length - 1] === "active",
    "the credential's history: created ... active", cstates.join(","));
  await shot("credential");
});

// ---- signature lookup -------------------------------------------------------
await step("signatures", async () => {
  for (const [form, text] of [["hex", cfg.hash_hex], ["base64", cfg.hash_b64]]) {
    await open("#/signatures", "signatures");
    await page.fill('#sig-form input[name="hash"]', text);
    await page.evaluate(() => { document.body.dataset.ready = ""; });
    await page.click('#sig-form button[type="submit"]');
    await waitReady("signatures");
    const found = await page.$$eval("#sig-results h2", (hs) => hs.map((x) => x.textContent));
    check(found.includes(`Signature at seq ${cfg.sig_seq}`),
      `a signature lookup by ${form} finds the known signature`, found.join(","));
    const cert = await page.textContent("#sig-results .sig-cert");
    check(cert.includes(cfg.cert_sha256), `the lookup shows the signer's certificate (${form})`, cert);
  }
  await shot("signatures");
  const [dl] = await Promise.all([page.waitForEvent("download"),
    page.click("#sig-results button:text('Download receipt')")]);
  const receipt = fs.readFileSync(await dl.path(), "utf8");
  facts.downloaded_receipt = receipt;
  check(receipt.startsWith("c2sp.org/tlog-proof@v1\n"), "the receipt downloads", receipt.slice(0, 60));
});

// ---- the verifier -----------------------------------------------------------
async function verifyWith(receipt, vkey, shotName) {
  await page.fill("#vf-vkey", vkey);
  await page.fill("#vf-receipt", receipt);
  await page.click("#vf-run");
  await page.waitForSelector("#vf-result", { timeout: 30000 });
  const verdict = await page.textContent("#vf-result .verdict");
  const failed = await page.$$eval("#vf-result li[data-status='fail']", (ls) => ls.map((l) => l.dataset.step));
  if (shotName) await shot(shotName);
  return { verdict, failed };
}

function flipProofByte(receipt) {
  const lines = receipt.split("\n");
  const raw = Buffer.from(lines[3], "base64");
  raw[5] ^= 0x01;
  lines[3] = raw.toString("base64");
  return lines.join("\n");
}
function dropProofLine(receipt) {
  const lines = receipt.split("\n");
  const blank = lines.indexOf("", 3);
  lines.splice(blank - 1, 1);
  return lines.join("\n");
}

await step("verifier", async () => {
  await open("#/verify", "verify");
  // The receipt the page fetches itself.
  await page.fill("#vf-vkey", cfg.vkey);
  await page.fill("#vf-seq", String(cfg.sig_seq));
  await page.click("#vf-fetch");
  await page.waitForFunction(() => document.querySelector("#vf-receipt").value.startsWith("c2sp.org/tlog-proof@v1"));
  await page.click("#vf-run");
  await page.waitForSelector("#vf-result");
  let v = { verdict: await page.textContent("#vf-result .verdict") };
  check(v.verdict.includes("verified"), "the in-browser verifier says verified for the page's own receipt", v.verdict);
  await shot("verify-ok");
  const receipt = await page.inputValue("#vf-receipt");

  v = await verifyWith(cfg.cli_receipt, cfg.vkey);
  check(v.verdict.includes("verified") && v.failed.length === 0,
    "a receipt from `hanko ledger receipt` verifies in the browser", JSON.stringify(v));

  v = await verifyWith(flipProofByte(receipt), cfg.vkey, "verify-flipped");
  check(!v.verdict.includes("✔") && v.failed[0] === "inclusion proof",
    "one flipped proof byte: fails at the inclusion proof step", JSON.stringify(v));

  v = await verifyWith(receipt, cfg.wrong_vkey, "verify-wrong-vkey");
  check(!v.verdict.includes("✔") && v.failed[0] === "checkpoint signature",
    "a wrong vkey: fails at the checkpoint signature step", JSON.stringify(v));

  v = await verifyWith(dropProofLine(receipt), cfg.vkey);
  check(!v.verdict.includes("✔") && v.failed[0] === "inclusion proof" && /too few|truncated/.test(v.verdict + JSON.stringify(await page.textContent("#vf-result"))),
    "a truncated proof (one hash short): fails at the inclusion proof step", JSON.stringify(v));

  v = await verifyWith(receipt.slice(0, Math.floor(receipt.length / 2)), cfg.vkey);
  check(!v.verdict.includes("✔") && v.failed[0] === "receipt format",
    "a receipt cut in half: fails at the receipt format step", JSON.stringify(v));

  const evFlip = receipt.replace(/^extra (.)/m, (m, c) => "extra " + (c === "A" ? "B" : "A"));
  v = await verifyWith(evFlip, cfg.vkey);
  check(!v.verdict.includes("✔") && v.failed[0] === "inclusion proof",
    "an altered event: its leaf hash no longer leads to the root", JSON.stringify(v));

  // A receipt dropped onto the page.
  await page.fill("#vf-receipt", "");
  await page.fill("#vf-vkey", cfg.vkey);
  const dt = await page.evaluateHandle((text) => {
    const d = new DataTransfer();
    d.items.add(new File([text], "receipt.txt", { type: "text/plain" }));
    return d;
  }, cfg.cli_receipt);
  await page.evaluate(() => document.querySelector("#vf-out").replaceChildren());
  await page.dispatchEvent("#vf-drop", "drop", { dataTransfer: dt });
  await page.waitForSelector("#vf-result");
  const dropped = await page.textContent("#vf-result .verdict");
  check(dropped.includes("verified"), "a receipt dropped onto the page verifies", dropped);

  // Consistency: the checkpoint the overview showed vs the latest.
  await page.fill("#vf-old", facts.overview_checkpoint);
  await page.click("#vf-crun");
  await page.waitForSelector("#vf-cresult", { timeout: 30000 });
  const cons = await page.textContent("#vf-cresult .verdict");
  check(cons.includes("verified"), "the latest checkpoint is consistent with the previous one (in the browser)", cons);
  await shot("verify-consistency");
  // The same with the wrong vkey fails at the key's signature.
  await page.fill("#vf-vkey", cfg.wrong_vkey);
  await page.click("#vf-crun");
  await page.waitForSelector("#vf-cresult");
  const failedC = await page.$$eval("#vf-cresult li[data-status='fail']", (ls) => ls.map((l) => l.dataset.step));
  check(failedC[0] === "old checkpoint signature", "consistency with a wrong vkey fails at the old checkpoint's signature", failedC.join(","));
});

// ---- export ------------------------------------------------------------------
await step("export", async () => {
  await open("#/export", "export");
  const href = await page.getAttribute("#ex-link", "href");
  check(/^\/audit\/v1\/bundle\?from=0&to=\d+$/.test(href), "the export page links to the bundle of the chosen range", href);
  await page.fill("#ex-from", "5");
  const href2 = await page.getAttribute("#ex-link", "href");
  check(href2.startsWith("/audit/v1/bundle?from=5&to="), "the link follows the chosen range", href2);
  // What the link downloads: the bundle as a POSIX tar archive.
  const got = await page.evaluate(async (u) => {
    const r = await fetch(u);
    const b = new Uint8Array(await r.arrayBuffer());
    return { status: r.status, type: r.headers.get("content-type"), disp: r.headers.get("content-disposition"),
             len: b.length, magic: new TextDecoder().decode(b.subarray(257, 262)),
             name: new TextDecoder().decode(b.subarray(0, 40)).replace(/\0.*$/s, "") };
  }, href2);
  check(got.status === 200 && got.type === "application/x-tar" && got.len > 0 && got.len % 512 === 0 &&
        got.magic === "ustar" && /^hanko-audit-5-\d+\/$/.test(got.name) && /attachment; filename="hanko-audit-5-\d+\.tar"/.test(got.disp),
        "the export link downloads the bundle of that range as a ustar archive", JSON.stringify(got));
  await shot("export");
});

// The page's own errors so far (the 405 probes below log their answers).
const pageErrors = consoleErrors.splice(0);

// ---- read-only: other methods are 405 ----------------------------------------
await step("methods", async () => {
  await open("#/overview", "overview");
  const st = await page.evaluate(async () => {
    const out = {};
    for (const m of ["POST", "PUT", "DELETE"]) {
      const r = await fetch("/console/", { method: m, body: m === "DELETE" ? undefined : "{}" });
      out[m] = [r.status, r.headers.get("allow")];
    }
    const r = await fetch("/audit/v1/summary", { method: "POST", body: "{}" });
    out.summary = [r.status, r.headers.get("allow")];
    return out;
  });
  check(["POST", "PUT", "DELETE"].every((m) => st[m][0] === 405 && st[m][1] === "GET, HEAD"),
    "POST, PUT, DELETE on /console/: 405 (Allow: GET, HEAD)", JSON.stringify(st));
  check(st.summary[0] === 405 && st.summary[1] === "GET", "POST on an audit view: 405", JSON.stringify(st.summary));
});

check(pageErrors.length === 0, "no script error, failed load or CSP violation in the browser console", pageErrors.join(" | "));
const foreign = requests.filter((u) => !(u === origin || u.startsWith(origin + "/") || u.startsWith("blob:" + origin + "/")));
facts.requests = requests.length;
check(requests.length > 20 && foreign.length === 0,
  `no request from the page leaves the appliance's origin (${requests.length} requests)`, foreign.join(" "));
await ctx.close();

// ---- who may not ---------------------------------------------------------------
await step("refusals", async () => {
  const adm = await newContext(cfg.admin);
  const p = await adm.newPage();
  const r = await p.goto(origin + "/console/");
  const body = await p.textContent("body");
  facts.admin_status = r.status();
  check(r.status() === 403 && body.includes("forbidden") && !body.includes("auditor console"),
    "an administrator certificate is refused the console (403)", r.status() + " " + body.slice(0, 120));
  const rj = await p.goto(origin + "/console/app.js");
  check(rj.status() === 403, "... and its script (403)", rj.status());
  await p.screenshot({ path: `${cfg.shots}/refused-administrator.png` });
  await adm.close();

  const none = await newContext(null);
  const q = await none.newPage();
  let err = "";
  try { await q.goto(origin + "/console/", { timeout: 20000 }); } catch (e) { err = e.message; }
  check(err !== "", "no client certificate: the admin listener refuses the connection", err.slice(0, 200));
  facts.nocert_error = err.split("\n")[0];
  await none.close();
});

await browser.close();
fs.writeFileSync(process.argv[3], JSON.stringify({ results, facts }, null, 1));
