/**
 * The load test as a page a person can look at: throughput, latency percentiles and errors per
 * second as inline SVG in one self-contained HTML file (no script, no font, no network).
 */
import type { LoadTestResult, SecondStats } from "./run.ts";

const W = 900;
const H = 220;
const PAD = { left: 64, right: 16, top: 16, bottom: 32 };

export const SERIES_COLOURS = { rps: "#1f77b4", target: "#7f7f7f", p50: "#2ca02c", p90: "#ff7f0e", p99: "#d62728", errors: "#9467bd" } as const;

function esc(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]!);
}

function niceMax(v: number): number {
  if (v <= 0) return 1;
  const p = 10 ** Math.floor(Math.log10(v));
  for (const m of [1, 2, 2.5, 5, 10]) if (v <= m * p) return m * p;
  return 10 * p;
}

interface Line {
  label: string;
  colour: string;
  values: (number | null)[];
  dashed?: boolean;
}

function chart(title: string, unit: string, seconds: number[], lines: Line[], bars?: Line): string {
  const all = [...lines, ...(bars ? [bars] : [])].flatMap((l) => l.values.filter((v): v is number => v !== null));
  const yMax = niceMax(Math.max(0, ...all));
  const n = Math.max(1, seconds.length);
  const plotW = W - PAD.left - PAD.right;
  const plotH = H - PAD.top - PAD.bottom;
  const x = (i: number) => PAD.left + (n === 1 ? plotW / 2 : (i / (n - 1)) * plotW);
  const y = (v: number) => PAD.top + plotH - (v / yMax) * plotH;
  const parts: string[] = [];
  for (let k = 0; k <= 4; k++) {
    const v = (yMax * k) / 4;
    parts.push(`<line x1="${PAD.left}" x2="${W - PAD.right}" y1="${y(v)}" y2="${y(v)}" stroke="#ddd"/>`);
    parts.push(`<text x="${PAD.left - 6}" y="${y(v) + 4}" text-anchor="end" font-size="11" fill="#555">${fmt(v)}</text>`);
  }
  const step = Math.max(1, Math.ceil(n / 10));
  for (let i = 0; i < n; i += step)
    parts.push(`<text x="${x(i)}" y="${H - 10}" text-anchor="middle" font-size="11" fill="#555">${seconds[i] ?? i + 1}s</text>`);
  if (bars) {
    const bw = Math.max(2, (plotW / n) * 0.6);
    bars.values.forEach((v, i) => {
      if (v) parts.push(`<rect x="${x(i) - bw / 2}" y="${y(v)}" width="${bw}" height="${PAD.top + plotH - y(v)}" fill="${bars.colour}"/>`);
    });
  }
  for (const l of lines) {
    const pts = l.values.map((v, i) => (v === null ? null : `${x(i).toFixed(1)},${y(v).toFixed(1)}`)).filter((p) => p !== null);
    if (pts.length === 1) pts.push(pts[0]!.replace(/^[\d.]+/, (s) => String(Number(s) + 2)));
    if (pts.length)
      parts.push(`<polyline fill="none" stroke="${l.colour}" stroke-width="2.5"${l.dashed ? ' stroke-dasharray="6 4"' : ""} points="${pts.join(" ")}"/>`);
  }
  parts.push(`<rect x="${PAD.left}" y="${PAD.top}" width="${plotW}" height="${plotH}" fill="none" stroke="#999"/>`);
  const legend = [...lines, ...(bars ? [bars] : [])]
    .map((l) => `<span class="key"><span class="sw" style="background:${l.colour}"></span>${esc(l.label)}</span>`)
    .join(" ");
  return `<section><h2>${esc(title)} <small>(${esc(unit)})</small></h2><div class="legend">${legend}</div>
<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" role="img" aria-label="${esc(title)}">${parts.join("")}</svg></section>`;
}

function fmt(v: number): string {
  if (v >= 1000) return `${Math.round(v / 100) / 10}k`;
  return String(Math.round(v * 100) / 100);
}

export function renderReport(result: LoadTestResult, when: Date = new Date()): string {
  const t = result.timeline;
  const seconds = t.map((s: SecondStats) => s.second);
  const s = result.summary;
  const hasTarget = t.some((x) => x.targetRps !== null);
  const throughput = chart("Throughput", "requests per second", seconds, [
    { label: "completed", colour: SERIES_COLOURS.rps, values: t.map((x) => x.requests) },
    ...(hasTarget ? [{ label: "scheduled", colour: SERIES_COLOURS.target, values: t.map((x) => x.targetRps), dashed: true }] : []),
  ]);
  const latency = chart("Latency percentiles", "ms, from when each request was due", seconds, [
    { label: "p50", colour: SERIES_COLOURS.p50, values: t.map((x) => x.p50) },
    { label: "p90", colour: SERIES_COLOURS.p90, values: t.map((x) => x.p90) },
    { label: "p99", colour: SERIES_COLOURS.p99, values: t.map((x) => x.p99) },
  ]);
  const errors = chart("Errors", "failed requests per second", seconds, [], { label: "errors (no answer, or 4xx/5xx)", colour: SERIES_COLOURS.errors, values: t.map((x) => x.errors) });
  const statuses = Object.entries(s.statuses)
    .map(([k, v]) => `${esc(k)}: ${v.toLocaleString("en-US")}`)
    .join(", ");
  const g = result.generator;
  const rows: [string, string][] = [
    ["URL", s.url],
    ["when", when.toISOString()],
    ["mode", result.mode === "closed" ? "closed loop (as fast as the connections go)" : result.mode === "rate" ? "fixed rate" : "ramp"],
    ["duration", `${s.seconds} s`],
    ["requests", `${s.requests.toLocaleString("en-US")} (${s.reads.toLocaleString("en-US")} reads, ${s.writes.toLocaleString("en-US")} writes)`],
    ["throughput", `${s.rps.toLocaleString("en-US")} req/s`],
    ["latency", `p50 ${s.latencyMs.p50} ms, p90 ${s.latencyMs.p90} ms, p99 ${s.latencyMs.p99} ms, max ${s.latencyMs.max} ms`],
    ["statuses", statuses || "none"],
    ["errors", String(s.errors)],
    ["users, items", `${result.users}, ${result.items.toLocaleString("en-US")}`],
    ["generator", `CPU p90 ${Math.round(g.cpuP90 * 100)}% of a core, event-loop lag p99 ${g.loopLagP99Ms} ms${g.behindSchedule ? `, ${g.behindSchedule} requests never sent (behind schedule)` : ""}`],
  ];
  const warning = g.bound ? `<p class="warn">${esc(g.reason ?? "")}</p>` : "";
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>scale loadtest: ${esc(s.url)}</title>
<style>
body{font:14px/1.4 system-ui,sans-serif;margin:24px;color:#222;background:#fff}
h1{font-size:20px;margin:0 0 12px}h2{font-size:15px;margin:18px 0 4px}small{color:#666;font-weight:normal}
table{border-collapse:collapse}td{padding:2px 12px 2px 0;vertical-align:top}td:first-child{color:#666}
.legend{font-size:12px;margin-bottom:2px}.key{margin-right:14px}.sw{display:inline-block;width:12px;height:12px;margin-right:4px;vertical-align:-1px}
.warn{background:#fff3cd;border:1px solid #e0c36c;padding:6px 10px}
</style></head><body>
<h1>Load test of ${esc(s.url)}</h1>
${warning}
<table>${rows.map(([k, v]) => `<tr><td>${esc(k)}</td><td>${esc(v)}</td></tr>`).join("")}</table>
${throughput}
${latency}
${errors}
</body></html>
`;
}
