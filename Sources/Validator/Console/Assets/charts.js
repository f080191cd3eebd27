// Plain SVG charts for the console: no library, no inline styles (colours come from classes in
// style.css, so the page's Content-Security-Policy can forbid inline style).

const NS = "http://www.w3.org/2000/svg";

function el(name, attrs = {}, text) {
  const node = document.createElementNS(NS, name);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, String(v));
  if (text !== undefined) node.textContent = text;
  return node;
}

function niceMax(v) {
  if (v <= 0) return 1;
  const p = 10 ** Math.floor(Math.log10(v));
  for (const m of [1, 2, 5, 10]) if (m * p >= v) return m * p;
  return 10 * p;
}

/**
 * Stacked bars, one per minute: settled (clean) and disputed. `series` is the
 * GET /v1/settlements/per-minute answer. Returns an <svg> with a <title> and a text summary.
 */
export function settlementsChart(series) {
  const W = 640, H = 180, L = 36, B = 22, T = 10;
  const from = series.fromMinute, to = series.toMinute, n = to - from + 1;
  const byMinute = new Map(series.minutes.map((m) => [m.minute, m]));
  let peak = 0, total = 0, disputed = 0;
  for (const m of series.minutes) { peak = Math.max(peak, m.settled + m.disputed); total += m.settled + m.disputed; disputed += m.disputed; }
  const top = niceMax(peak);
  const svg = el("svg", { viewBox: `0 0 ${W} ${H}`, class: "chart", role: "img", "aria-labelledby": "chart-settlements-title" });
  svg.append(el("title", { id: "chart-settlements-title" }, `Settlements per minute over the last ${n} minutes: ${total} in all, ${disputed} disputed`));
  const y = (v) => T + (H - T - B) * (1 - v / top);
  for (const v of [0, top / 2, top]) {
    svg.append(el("line", { x1: L, x2: W, y1: y(v), y2: y(v), class: "grid" }));
    svg.append(el("text", { x: L - 4, y: y(v) + 4, class: "axis", "text-anchor": "end" }, String(v)));
  }
  const bw = (W - L) / n;
  for (let k = 0; k < n; k++) {
    const m = byMinute.get(from + k);
    if (!m) continue;
    const x = L + k * bw + 1, w = Math.max(1, bw - 2);
    const clean = el("rect", { x, y: y(m.settled), width: w, height: y(0) - y(m.settled), class: "bar-settled" });
    clean.append(el("title", {}, `${minuteLabel(from + k)}: ${m.settled} settled, ${m.disputed} disputed`));
    svg.append(clean);
    if (m.disputed > 0) {
      const d = el("rect", { x, y: y(m.settled + m.disputed), width: w, height: y(m.settled) - y(m.settled + m.disputed), class: "bar-disputed" });
      d.append(el("title", {}, `${minuteLabel(from + k)}: ${m.disputed} disputed`));
      svg.append(d);
    }
  }
  for (const [k, anchor] of [[0, "start"], [Math.floor((n - 1) / 2), "middle"], [n - 1, "end"]]) {
    const x = anchor === "start" ? L : anchor === "end" ? W - 2 : L + (k + 0.5) * bw;
    svg.append(el("text", { x, y: H - 6, class: "axis", "text-anchor": anchor }, minuteLabel(from + k)));
  }
  return svg;
}

function minuteLabel(minute) {
  const d = new Date(minute * 60000);
  return `${String(d.getUTCHours()).padStart(2, "0")}:${String(d.getUTCMinutes()).padStart(2, "0")}Z`;
}

/**
 * A histogram of earned karma (balance + escrow, µK) over nodes, in up to 8 equal bins, with
 * jailed nodes counted apart. `nodes` is the GET /v1/nodes list.
 */
export function karmaDistributionChart(nodes) {
  const W = 640, H = 180, L = 36, B = 34, T = 10;
  const values = nodes.map((a) => ({ v: Number(a.balance) + Number(a.escrow), jailed: a.jailed }));
  const max = Math.max(1, ...values.map((x) => x.v));
  const bins = Math.min(8, Math.max(1, values.length));
  const width = Math.ceil((max + 1) / bins);
  const counts = Array.from({ length: bins }, () => ({ free: 0, jailed: 0 }));
  for (const x of values) {
    const b = Math.min(bins - 1, Math.floor(x.v / width));
    if (x.jailed) counts[b].jailed++; else counts[b].free++;
  }
  const top = niceMax(Math.max(...counts.map((c) => c.free + c.jailed)));
  const svg = el("svg", { viewBox: `0 0 ${W} ${H}`, class: "chart", role: "img", "aria-labelledby": "chart-karma-title" });
  svg.append(el("title", { id: "chart-karma-title" }, `Earned karma (balance + escrow) of ${values.length} nodes in ${bins} bins; jailed nodes in red`));
  const y = (v) => T + (H - T - B) * (1 - v / top);
  for (const v of [0, top]) {
    svg.append(el("line", { x1: L, x2: W, y1: y(v), y2: y(v), class: "grid" }));
    svg.append(el("text", { x: L - 4, y: y(v) + 4, class: "axis", "text-anchor": "end" }, String(v)));
  }
  const bw = (W - L) / bins;
  counts.forEach((c, k) => {
    const x = L + k * bw + 2, w = bw - 4;
    const label = `${fmt(k * width)}–${fmt((k + 1) * width - 1)} µK`;
    if (c.free) {
      const r = el("rect", { x, y: y(c.free), width: w, height: y(0) - y(c.free), class: "bar-settled" });
      r.append(el("title", {}, `${label}: ${c.free} node(s)`));
      svg.append(r);
    }
    if (c.jailed) {
      const r = el("rect", { x, y: y(c.free + c.jailed), width: w, height: y(c.free) - y(c.free + c.jailed), class: "bar-disputed" });
      r.append(el("title", {}, `${label}: ${c.jailed} jailed node(s)`));
      svg.append(r);
    }
    svg.append(el("text", { x: x + w / 2, y: H - 18, class: "axis", "text-anchor": "middle" }, fmt(k * width)));
  });
  svg.append(el("text", { x: W - 2, y: H - 4, class: "axis", "text-anchor": "end" }, "earned µK (bin start)"));
  return svg;
}

function fmt(v) {
  if (v >= 1e9) return `${(v / 1e9).toFixed(1)}G`;
  if (v >= 1e6) return `${(v / 1e6).toFixed(1)}M`;
  if (v >= 1e3) return `${(v / 1e3).toFixed(1)}k`;
  return String(v);
}
