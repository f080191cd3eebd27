// The Mesh Validator console (specs/console.md): a read-only single-page view of the validator,
// routed by the URL fragment (#/, #/karma, #/nodes/<key>, #/jobs/<id>, #/entries/<index>).
// Every number shown comes from the validator's JSON API; every claim marked with a badge is
// checked here, in the browser (verify.js), against the checkpoint key the validator publishes.

import * as V from "./verify.js";
import { settlementsChart, karmaDistributionChart } from "./charts.js";

const main = document.getElementById("main");
const state = { key: null, keyError: null, checkpoint: null, checkpointVerdict: null, note: null };

// MARK: Small DOM helpers (text only: nothing from the server is ever parsed as HTML)

function h(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === null || v === false) continue;
    if (k === "class") node.className = v;
    else if (k === "on") for (const [ev, fn] of Object.entries(v)) node.addEventListener(ev, fn);
    else node.setAttribute(k, v === true ? "" : String(v));
  }
  for (const c of children.flat(Infinity)) if (c !== undefined && c !== null && c !== false) node.append(c instanceof Node ? c : String(c));
  return node;
}

const short = (hex, n = 12) => (hex ? `${hex.slice(0, n)}…` : "—");
const nodeLink = (hex) => h("a", { href: `#/nodes/${hex}`, class: "mono", title: hex }, short(hex));
const jobLink = (hex) => h("a", { href: `#/jobs/${hex}`, class: "mono", title: hex }, short(hex));
const entryLink = (i) => h("a", { href: `#/entries/${i}`, class: "mono" }, `#${i}`);
const uk = (v) => `${Number(v).toLocaleString("en-US")} µK`;
const time = (ms) => (ms ? new Date(Number(ms)).toISOString().replace(".000Z", "Z") : "—");

function table(headers, rows, caption) {
  return h("table", {},
    caption ? h("caption", {}, caption) : null,
    h("thead", {}, h("tr", {}, headers.map((x) => h("th", { scope: "col" }, x)))),
    h("tbody", {}, rows.length ? rows.map((r) => h("tr", {}, r.map((c) => h("td", {}, c))))
      : h("tr", {}, h("td", { colspan: headers.length, class: "muted" }, "none"))));
}

function dl(pairs) {
  return h("dl", { class: "facts" }, pairs.flatMap(([k, v]) => [h("dt", {}, k), h("dd", {}, v)]));
}

/** A verification badge: valid / invalid / unverifiable / checking, with the reason. */
function badge(verdict, what) {
  const status = verdict ? verdict.status : "checking";
  const label = { valid: "✓ valid", invalid: "✗ invalid", unverifiable: "? unverifiable", checking: "… checking" }[status];
  return h("span", { class: `badge badge-${status}`, "data-status": status, "data-what": what, title: verdict ? verdict.reason : "verifying in this browser" },
    label, verdict ? h("span", { class: "reason" }, ` ${verdict.reason}`) : null);
}

/** A badge whose verdict arrives later. */
function pendingBadge(what, promise) {
  const slot = h("span", { class: "badge-slot" }, badge(null, what));
  promise.then((v) => slot.replaceChildren(badge(v, what)),
    (e) => slot.replaceChildren(badge({ status: "invalid", reason: String(e.message || e) }, what)));
  return slot;
}

async function api(path) {
  const r = await fetch(path, { headers: { Accept: "application/json" } });
  const text = await r.text();
  let body;
  try { body = JSON.parse(text); } catch { body = null; }
  if (!r.ok) throw new Error(body && body.error ? `${body.error.code}: ${body.error.message}` : `HTTP ${r.status}`);
  return body;
}

async function text(path) {
  const r = await fetch(path, { cache: "no-store" });
  if (!r.ok) throw new Error(`${path}: HTTP ${r.status}`);
  return r.text();
}

// MARK: The checkpoint, verified once per change

async function loadCheckpoint() {
  try {
    if (!state.key) state.key = await V.parseVerifierKey(await text("/checkpoint.vkey"));
  } catch (e) {
    state.keyError = `the published verifier key is unusable: ${e.message}`;
  }
  const note = await text("/checkpoint");
  if (note === state.note && state.checkpointVerdict) return;
  state.note = note;
  state.checkpointVerdict = state.key ? await V.verifyCheckpoint(note, state.key) : { status: "unverifiable", reason: state.keyError };
  state.checkpoint = state.checkpointVerdict.status === "valid" ? state.checkpointVerdict.checkpoint : null;
  renderHeaderCheckpoint();
}

function renderHeaderCheckpoint() {
  const slot = document.getElementById("checkpoint-status");
  const v = state.checkpointVerdict;
  const size = v && v.checkpoint ? `checkpoint ${v.checkpoint.size}` : "checkpoint";
  slot.replaceChildren(h("a", { href: "#/", class: "plain" }, size), " ", badge(v, "checkpoint"));
}

/** Verifies that ledger entry `view` (GET /v1/entries/{i} shape) is under the signed root. */
async function verifyEntry(view) {
  if (!state.checkpoint) return { status: "unverifiable", reason: "the checkpoint did not verify" };
  const data = V.b64decode(view.data);
  if (!data) return { status: "invalid", reason: "the entry bytes are not canonical base64" };
  if (BigInt(view.index) >= state.checkpoint.size) {
    return V.verifyInclusion(view.index, data, null, state.checkpoint, null);
  }
  const proof = await api(`/v1/proofs/inclusion?index=${view.index}&size=${state.checkpoint.size}`);
  return V.verifyInclusion(view.index, data, proof, state.checkpoint,
    { type: view.type, timestampMs: view.entry && view.entry.timestampMs, node: view.node });
}

async function verifyEntryAt(index) {
  return verifyEntry(await api(`/v1/entries/${index}`));
}

// MARK: Pages

async function overview() {
  const [status, settlements, slashes, series, nodes] = await Promise.all([
    api("/v1/status"), api("/v1/settlements?limit=15"), api("/v1/slashes?limit=10"),
    api("/v1/settlements/per-minute?minutes=60"), api("/v1/nodes?limit=1000"),
  ]);
  const cp = state.checkpointVerdict && state.checkpointVerdict.checkpoint;
  const jobs = status.jobs;
  const cards = h("section", { class: "cards", "aria-label": "summary" },
    card("Ledger entries", status.ledgerSize.toLocaleString("en-US"), "RFC 9162 Merkle log"),
    card("Signed checkpoint", cp ? `size ${cp.size}` : "—", badge(state.checkpointVerdict, "checkpoint")),
    card("Jobs", `${(jobs.settled || 0) + (jobs.disputed || 0)} final`,
      `${jobs.pending || 0} pending · ${jobs.settling || 0} settling · ${jobs.settled || 0} settled · ${jobs.disputed || 0} disputed`),
    card("Nodes", String(nodes.total), `${nodes.nodes.filter((n) => n.jailed).length} jailed`));
  const perMinute = series.minutes.reduce((n, m) => n + m.settled + m.disputed, 0);
  main.replaceChildren(
    h("h1", {}, "Overview"), cards,
    h("section", { "aria-labelledby": "cp-h" }, h("h2", { id: "cp-h" }, "Latest checkpoint"), checkpointBlock()),
    h("section", { class: "two" },
      h("div", {}, h("h2", {}, "Settlements per minute"), h("p", { class: "muted" }, `${perMinute} in the last 60 minutes (UTC); red: disputed`), settlementsChart(series)),
      h("div", {}, h("h2", {}, "Karma distribution"), h("p", { class: "muted" }, "earned karma per node; ", h("a", { href: "#/karma" }, "all nodes")), karmaDistributionChart(nodes.nodes))),
    h("section", { "aria-labelledby": "recent-h" }, h("h2", { id: "recent-h" }, "Recent settlements"), settlementsTable(settlements.settlements)),
    h("section", { "aria-labelledby": "slash-h" }, h("h2", { id: "slash-h" }, "Recent slashes"), slashesTable(slashes.entries)));
}

function card(title, value, note) {
  return h("div", { class: "card" }, h("div", { class: "card-title" }, title), h("div", { class: "card-value" }, value), h("div", { class: "card-note" }, note));
}

function checkpointBlock() {
  const v = state.checkpointVerdict;
  if (!v) return h("p", {}, "loading…");
  const cp = v.checkpoint;
  let karma = null;
  if (cp) { try { karma = V.karmaStateLine(cp); } catch { karma = null; } }
  return h("div", {},
    dl([
      ["Verification", badge(v, "checkpoint")],
      ["Verifier key", h("code", { class: "wrap" }, state.key ? state.key.text : state.keyError || "—")],
      ["Origin", cp ? cp.origin : "—"],
      ["Tree size", cp ? String(cp.size) : "—"],
      ["Root hash", cp ? h("code", { class: "wrap" }, cp.rootText) : "—"],
      ["Karma state", karma ? `${karma.count} accounts, state hash ${karma.stateHash}` : "—"],
    ]),
    h("details", {}, h("summary", {}, "The signed note"), h("pre", { class: "note" }, state.note || "")));
}

function verdictText(s) {
  const offences = s.settlement.offences.map((o) => `${o.offence} (${short(o.node, 8)})`);
  if (s.settlement.truth === null || s.settlement.truth === undefined) return "truth not established";
  return offences.length ? `slashed: ${offences.join(", ")}` : "all reporting nodes agreed";
}

function settlementsTable(items) {
  return table(["Job", "Status", "Method", "Verdict", "Settled"], items.map((s) => [
    jobLink(s.jobId), h("span", { class: `status status-${s.status}` }, s.status), s.settlement.method,
    verdictText(s), time(s.settlement.settledAtMs),
  ]));
}

function slashInfo(e) {
  const o = (e.entry && e.entry.offence) || {};
  return { kind: o.kind || e.type.replace("slash/", ""), amount: e.entry ? e.entry.amount : "0" };
}

function slashesTable(entries) {
  return table(["Entry", "Node", "Offence", "Burned", "Job", "Time", "In the log"], entries.map((e) => {
    const s = slashInfo(e);
    return [entryLink(e.index), nodeLink(e.node), s.kind, uk(s.amount), e.job ? jobLink(e.job) : "—",
      time(e.entry.timestampMs), pendingBadge(`entry-${e.index}`, verifyEntry(e))];
  }));
}

// Karma: a sortable table of every node.
const karmaColumns = [
  ["node", "Node", (a) => a.node], ["balance", "Balance", (a) => a.balance], ["escrow", "Escrow", (a) => a.escrow],
  ["bonded", "Bonded", (a) => a.bonded], ["unbonding", "Unbonding", (a) => a.unbonding], ["jailed", "Jailed", (a) => (a.jailed ? 1 : 0)],
  ["inference", "Inference", (a) => a.scores.inference], ["seeding", "Seeding", (a) => a.scores.seeding],
  ["uptime", "Uptime", (a) => a.scores.uptime], ["redundancy", "Redundancy", (a) => a.scores.redundancy],
  ["validation", "Validation", (a) => a.scores.validation], ["offences", "Offences", (a) => a.offences],
];

async function karma(params) {
  const list = await api("/v1/nodes?limit=1000");
  const sortKey = params.get("sort") || "balance";
  const dir = params.get("dir") === "asc" ? 1 : -1;
  const col = karmaColumns.find((c) => c[0] === sortKey) || karmaColumns[1];
  const rows = [...list.nodes].sort((a, b) => {
    const x = col[2](a), y = col[2](b);
    return (typeof x === "string" ? x.localeCompare(y) : x - y) * dir || a.node.localeCompare(b.node);
  });
  const head = h("tr", {}, karmaColumns.map(([k, label]) => {
    const active = k === col[0];
    const next = active && dir === -1 ? "asc" : "desc";
    return h("th", { scope: "col", "aria-sort": active ? (dir === 1 ? "ascending" : "descending") : "none" },
      h("a", { href: `#/karma?sort=${k}&dir=${next}`, class: "sort" }, label, active ? (dir === 1 ? " ▲" : " ▼") : ""));
  }));
  const body = h("tbody", {}, rows.map((a) => h("tr", {},
    h("td", {}, nodeLink(a.node)), h("td", { class: "num" }, uk(a.balance)), h("td", { class: "num" }, uk(a.escrow)),
    h("td", { class: "num" }, uk(a.bonded)), h("td", { class: "num" }, uk(a.unbonding)),
    h("td", {}, a.jailed ? h("span", { class: "status status-disputed" }, `until ${time(a.jailedUntilMs)}`) : "no"),
    ["inference", "seeding", "uptime", "redundancy", "validation"].map((k) => h("td", { class: "num" }, Number(a.scores[k]).toLocaleString("en-US"))),
    h("td", { class: "num" }, String(a.offences)))));
  main.replaceChildren(h("h1", {}, "Karma"),
    h("p", { class: "muted" }, `${list.total} nodes. Amounts in micro-karma (µK); accruals by kind are the nodes' scores (specs/karma.md). Sorted by ${col[1].toLowerCase()}.`),
    karmaDistributionChart(list.nodes),
    h("div", { class: "scroll" }, h("table", { id: "karma-table" }, h("caption", {}, "Nodes"), h("thead", {}, head), body)));
}

async function node(key, params) {
  const before = params.get("before");
  const rbefore = params.get("rbefore");
  const [account, history, receipts, slashes] = await Promise.all([
    api(`/v1/nodes/${key}?recent=0`),
    api(`/v1/nodes/${key}/history?limit=20${before ? `&before=${before}` : ""}`),
    api(`/v1/nodes/${key}/receipts?limit=20${rbefore ? `&before=${rbefore}` : ""}`),
    api(`/v1/slashes?node=${key}&limit=50`),
  ]);
  const proof = api(`/v1/nodes/${key}/proof`).then((doc) => V.verifyBalanceProof(doc, state.key),
    (e) => ({ status: "unverifiable", reason: `no balance proof: ${e.message}` }));
  const nav = (name, cursor, label) => cursor === undefined || cursor === null ? null
    : h("a", { href: `#/nodes/${key}?${name}=${cursor}`, class: "pager" }, label);
  main.replaceChildren(
    h("h1", {}, "Node ", h("code", { class: "wrap" }, key)),
    dl([
      ["Balance", uk(account.balance)], ["Escrow", uk(account.escrow)], ["Bonded", uk(account.bonded)],
      ["Unbonding", uk(account.unbonding)], ["Jailed", account.jailed ? `until ${time(account.jailedUntilMs)}` : "no"],
      ["Offences", String(account.offences)],
      ["Accruals by kind", Object.entries(account.scores).map(([k, v]) => `${k} ${Number(v).toLocaleString("en-US")}`).join(" · ")],
      ["Balance proof", pendingBadge("balance", proof)],
    ]),
    h("section", {}, h("h2", {}, "Slashes and their evidence"), slashes.entries.length ? slashes.entries.map(slashEvidence) : h("p", { class: "muted" }, "none")),
    h("section", {}, h("h2", {}, "History"),
      table(["Entry", "Type", "Change", "Detail", "Job", "Time"], history.entries.map((e) => [
        entryLink(e.index), e.type, h("span", { class: e.delta < 0 ? "neg" : "pos" }, `${e.delta > 0 ? "+" : ""}${uk(e.delta)}`),
        e.detail, e.job ? jobLink(e.job) : "—", time(e.timestampMs)])),
      h("p", {}, before ? h("a", { href: `#/nodes/${key}`, class: "pager" }, "⇤ newest") : null, " ", nav("before", history.next, "older →"))),
    h("section", {}, h("h2", {}, "Receipts"),
      table(["Job", "Job status", "Output commitment", "Proof", "Received"], receipts.receipts.map((r) => [
        jobLink(r.jobId), h("span", { class: `status status-${r.jobStatus}` }, r.jobStatus), h("code", {}, short(r.outputCommitment, 16)),
        r.hasProof ? "attached" : "—", time(r.receivedAtMs)])),
      h("p", {}, rbefore ? h("a", { href: `#/nodes/${key}`, class: "pager" }, "⇤ newest") : null, " ", nav("rbefore", receipts.next, "older receipts →"))));
}

function slashEvidence(e) {
  const s = slashInfo(e);
  return h("article", { class: "evidence" },
    h("h3", {}, entryLink(e.index), ` ${s.kind} — burned ${uk(s.amount)}`, e.job ? [" in job ", jobLink(e.job)] : null, " ", pendingBadge(`entry-${e.index}`, verifyEntry(e))),
    h("details", {}, h("summary", {}, "Evidence (the entry's JSON form, specs/karma.md §4.4)"), h("pre", {}, JSON.stringify(e.entry.offence, null, 2))));
}

async function job(id) {
  const j = await api(`/v1/jobs/${id}`);
  const s = j.settlement;
  const truth = s && s.truth;
  main.replaceChildren(
    h("h1", {}, "Job ", h("code", { class: "wrap" }, id)),
    h("section", {}, h("h2", {}, "Announcement"), dl([
      ["Status", h("span", { class: `status status-${j.status}` }, j.status)],
      ["Model", h("code", {}, j.modelId)], ["Layers", `[${j.layers[0]}, ${j.layers[1]})`],
      ["Input commitment", h("code", {}, j.inputCommitment)], ["Orchestrator", h("code", {}, j.orchestrator)],
      ["Nodes", h("span", {}, j.nodes.map((n, k) => [k ? ", " : "", nodeLink(n)]))],
      ["Deadline", time(j.deadlineMs)], ["SLA", `${j.slaMs} ms`],
    ])),
    h("section", {}, h("h2", {}, "Receipts"),
      table(["Node", "Output commitment", "Matches the truth", "Proof", "Received"], j.receipts.map((r) => [
        nodeLink(r.node), h("code", {}, r.outputCommitment),
        truth ? (r.outputCommitment === truth ? h("span", { class: "pos" }, "yes") : h("span", { class: "neg" }, "no")) : "—",
        r.hasProof ? "attached" : "—", time(r.receivedAtMs)]))),
    h("section", {}, h("h2", {}, "Verdict"), s ? dl([
      ["Established by", s.method === "re-execution" ? "re-execution on the deterministic kernel" : s.method === "proof" ? "a verified succinct proof" : s.method === "consensus" ? "consensus of every assigned node (no audit drawn)" : "nothing (truth unavailable)"],
      ["True output", truth ? h("code", {}, truth) : "—"],
      ["Majority", h("span", {}, s.majority ? h("code", {}, s.majority) : "none", s.majorityOverruled ? " — overruled by the established output" : "")],
      ["Outcomes", h("ul", {}, s.outcomes.map((o) => h("li", {}, nodeLink(o.node), `: ${o.outcome}`)))],
      ["Correlated", s.correlated ? "yes" : "no"], ["Note", s.note || "—"], ["Settled", time(s.settledAtMs)],
    ]) : h("p", { class: "muted" }, "not settled yet")),
    h("section", {}, h("h2", {}, "Ledger entries"), s ? table(["Entry", "Type", "Node", "In the log"], s.entries.map((e) => [
      entryLink(e.index), e.type, nodeLink(e.node), pendingBadge(`entry-${e.index}`, verifyEntryAt(e.index))])) : h("p", { class: "muted" }, "none yet")));
}

async function entry(index) {
  const e = await api(`/v1/entries/${index}`);
  main.replaceChildren(
    h("h1", {}, `Ledger entry #${e.index}`),
    dl([["Type", e.type], ["Node", e.node ? nodeLink(e.node) : "—"], ["Job", e.job ? jobLink(e.job) : "—"],
      ["Time", time(e.entry.timestampMs)], ["Inclusion", pendingBadge(`entry-${e.index}`, verifyEntry(e))]]),
    h("h2", {}, "JSON form"), h("pre", {}, JSON.stringify(e.entry, null, 2)),
    h("h2", {}, "Canonical bytes (base64)"), h("pre", { class: "wrap" }, e.data));
}

// MARK: Routing and live updates

async function route() {
  const hash = location.hash || "#/";
  const [path, query] = hash.slice(1).split("?");
  const params = new URLSearchParams(query || "");
  const parts = path.split("/").filter(Boolean);
  for (const a of document.querySelectorAll("nav a")) a.removeAttribute("aria-current");
  const current = document.querySelector(`nav a[data-page="${parts[0] || "overview"}"]`);
  if (current) current.setAttribute("aria-current", "page");
  main.setAttribute("aria-busy", "true");
  try {
    await loadCheckpoint();
    if (parts.length === 0) await overview();
    else if (parts[0] === "karma") await karma(params);
    else if (parts[0] === "nodes" && /^[0-9a-f]{64}$/.test(parts[1] || "")) await node(parts[1], params);
    else if (parts[0] === "jobs" && /^[0-9a-f]{64}$/.test(parts[1] || "")) await job(parts[1]);
    else if (parts[0] === "entries" && /^[0-9]{1,16}$/.test(parts[1] || "")) await entry(parts[1]);
    else main.replaceChildren(h("h1", {}, "Not found"), h("p", {}, "No such page. ", h("a", { href: "#/" }, "Overview")));
  } catch (e) {
    main.replaceChildren(h("h1", {}, "Could not load this page"), h("p", { class: "neg", role: "alert" }, e.message));
  } finally {
    main.removeAttribute("aria-busy");
    document.body.dataset.ready = "true";
  }
}

let refreshTimer = null;
function live() {
  const indicator = document.getElementById("live");
  if (!window.EventSource) { indicator.textContent = "live updates unavailable"; return; }
  const source = new EventSource("/v1/events");
  source.addEventListener("open", () => { indicator.textContent = "● live"; indicator.className = "live on"; });
  source.addEventListener("error", () => { indicator.textContent = "○ reconnecting"; indicator.className = "live off"; });
  const refresh = () => {
    clearTimeout(refreshTimer);
    refreshTimer = setTimeout(() => { if ((location.hash || "#/") === "#/" || location.hash === "") route(); }, 750);
  };
  source.addEventListener("settlement", (ev) => {
    let d = {};
    // A garbled event only skips this notice: the page refetches everything on the next one.
    try { d = JSON.parse(ev.data); } catch { return; }
    const log = document.getElementById("live-log");
    log.textContent = `job ${short(d.jobId, 8)} ${d.status} by ${d.method}`;
    refresh();
  });
  source.addEventListener("checkpoint", () => { state.note = null; loadCheckpoint().then(refresh); });
}

window.addEventListener("hashchange", route);
route();
live();
