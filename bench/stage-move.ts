/**
 * `npm run bench:stage-move`: the move rehearsal as a benchmark. Stage 3 runs on this machine (`scale local`, from
 * the checkout's release) under a 100:1 read/write load at a fixed rate (open loop: latency counts from when a
 * request was due); it moves down to 2 and back up to 3 while the load runs. For each move: requests per second,
 * the worst second's p99 and the errors before, during and after it, and its write-unavailable seconds. The baseline
 * is the same load on the same stage in the seconds before the move.
 * Flags: --rate 200 (requests a second) --settle 15 (seconds of load before and after each move) --items 2000
 * --release FILE|source (default: the checkout's release, built once and cached)
 */
import { mkdtemp, rm } from "node:fs/promises";
import { loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { runLoadTest, type SecondStats } from "../cli/lib/loadtest/run.ts";
import { spawn } from "node:child_process";
import { once } from "node:events";
import { LocalStage, type MoveDocument } from "../local/engine.ts";
import { projectRoot } from "../release/project-root.ts";
import { releaseLauncher, sourceLauncher } from "../local/launcher.ts";

const { values } = parseArgs({
  options: {
    rate: { type: "string", default: "200" },
    settle: { type: "string", default: "15" },
    items: { type: "string", default: "2000" },
    release: { type: "string" },
  },
  strict: true,
});
const rate = Number(values.rate);
const settle = Number(values.settle);
const items = Number(values.items);
for (const [name, v] of [["rate", rate], ["settle", settle], ["items", items]] as const)
  if (!Number.isInteger(v) || v < 1) throw new Error(`--${name} takes a positive integer (got ${String(v)})`);

const load = () => loadavg().map((l) => l.toFixed(2)).join(" ");
const log = (line: string) => process.stderr.write(`${line}\n`);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface Window {
  rps: number;
  worstP99Ms: number;
  /** The generator's own worst event-loop delay: high, and the latency is partly its own. */
  generatorLagMs: number;
  errors: number;
  seconds: number;
}

/** Mean requests a second, the worst second's p99 and the errors over timeline[from, to). */
function window(timeline: SecondStats[], from: number, to: number): Window {
  const secs = timeline.slice(from, to);
  const requests = secs.reduce((a, s) => a + s.requests, 0);
  return {
    rps: Math.round(requests / Math.max(1, secs.length)),
    worstP99Ms: Math.max(0, ...secs.map((s) => s.p99)),
    generatorLagMs: Math.max(0, ...secs.map((s) => s.loopLagMs)),
    errors: secs.reduce((a, s) => a + s.errors, 0),
    seconds: secs.length,
  };
}

/**
 * The move runs as an operator runs it, `scale local move` in a process of its own: in this process its work (the
 * offline plan of a stage not seen yet takes a CPU-second) would stall the load generator and show as latency.
 */
async function moveWithCli(to: number): Promise<MoveDocument> {
  const child = spawn(process.execPath, [join(projectRoot(import.meta.url), "bin", "scale"), "local", "move", "--to", String(to), "--dir", dir, "--json"], {
    stdio: ["ignore", "pipe", "pipe"],
  });
  let out = "";
  child.stdout.on("data", (d: Buffer) => (out += d.toString()));
  child.stderr.on("data", (d: Buffer) => process.stderr.write(d));
  const [code] = (await once(child, "exit")) as [number | null];
  if (code !== 0) throw new Error(`scale local move --to ${to} exited ${code}: ${out}`);
  return JSON.parse(out) as MoveDocument;
}

const started = new Date();
const loadAtStart = load();
const dir = await mkdtemp(join(tmpdir(), "bench-stage-move-"));
const launcher = values.release === "source" ? sourceLauncher() : await releaseLauncher(dir, { ...(values.release ? { file: values.release } : {}), log });
const stage = new LocalStage(dir, { launcher, progress: log });
const timeline: SecondStats[] = [];
const stop = new AbortController();
try {
  log(`starting stage 3 in ${dir}...`);
  const up = await stage.up(3, { RATE_LIMIT_PER_MINUTE: "0" });
  const running = runLoadTest({
    url: new URL(up.endpoint), durationMs: 3_600_000, connections: 64, readRatio: 100, zipf: 1, items, rate,
    onSecond: (s) => timeline.push(s), onProgress: log, signal: stop.signal,
  });
  const waitSeconds = async (n: number) => {
    const target = timeline.length + n;
    while (timeline.length < target) await sleep(100);
  };
  const moves: { from: number; to: number; before: Window; during: Window; after: Window; writeUnavailableSeconds: number; moveSeconds: number }[] = [];
  await waitSeconds(settle);
  for (const to of [2, 3]) {
    const from = timeline.length;
    const beforeFrom = Math.max(0, from - settle);
    log(`moving to stage ${to} under ${rate} requests a second...`);
    const t0 = performance.now();
    const doc = await moveWithCli(to);
    const moveSeconds = Math.round((performance.now() - t0) / 100) / 10;
    // The second the move ended in counts as during.
    const during = timeline.length + 1;
    await waitSeconds(settle + 1);
    moves.push({
      from: doc.from, to: doc.to, moveSeconds, writeUnavailableSeconds: doc.writeUnavailableSeconds,
      before: window(timeline, beforeFrom, from), during: window(timeline, from, during), after: window(timeline, during, during + settle),
    });
  }
  stop.abort();
  const result = await running;

  const row = (label: string, w: Window, base: Window) =>
    `    ${label.padEnd(7)} ${String(w.rps).padStart(6)} req/s (×${(w.rps / Math.max(1, base.rps)).toFixed(2)})  worst-second p99 ${w.worstP99Ms.toFixed(1).padStart(7)} ms (×${(w.worstP99Ms / Math.max(0.001, base.worstP99Ms)).toFixed(2)})  errors ${w.errors}  over ${w.seconds} s  (generator lag ${w.generatorLagMs} ms)`;
  console.log(`\nstage move under load (local stage 3, ${rate} req/s fixed rate, 100 reads per write, Zipf(1) over ${items} items; ${started.toISOString()}; load average ${loadAtStart} at start, ${load()} at end)`);
  for (const m of moves) {
    console.log(`  ${m.from}→${m.to}: move ${m.moveSeconds} s, writes unavailable ${m.writeUnavailableSeconds} s`);
    console.log(row("before", m.before, m.before));
    console.log(row("during", m.during, m.before));
    console.log(row("after", m.after, m.before));
  }
  const s = result.summary;
  console.log(`  whole run: ${s.requests} requests, statuses ${JSON.stringify(s.statuses)}; generator CPU p90 ${result.generator.cpuP90} of a core${result.generator.bound ? ` (${result.generator.reason})` : ""}`);
  console.log(JSON.stringify({ date: started.toISOString(), loadAverageAtStart: loadAtStart, loadAverageAtEnd: load(), rate, settle, items, moves, statuses: s.statuses }));
} finally {
  stop.abort();
  await stage.down(true).catch((err: Error) => log(`could not stop the stage in ${dir}: ${err.message}`));
  await rm(dir, { recursive: true, force: true });
}
