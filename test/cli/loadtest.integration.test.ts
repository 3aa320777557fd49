/**
 * `scale loadtest` against a real service process (the embedded default: no servers to share), its
 * --json document, and its report opened in headless Chromium.
 */
import { expect } from "chai";
import { spawn } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { json, scale } from "./run-scale.ts";
import { startMain } from "../support/app-process.ts";
import { countPixels, screenshot } from "../support/chromium.ts";
import { SERIES_COLOURS } from "../../cli/lib/loadtest/report.ts";

describe("scale loadtest against a running service", function () {
  this.timeout(180_000);
  let dir: string;
  let app: ReturnType<typeof startMain>;
  let url: string;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), "loadtest-"));
    app = startMain({ PORT: "0", DATA_DIR: join(dir, "data"), RATE_LIMIT_PER_MINUTE: "0" });
    url = await app.listening;
  });
  after(async () => {
    app?.proc.kill("SIGTERM");
    await app?.exited;
    await rm(dir, { recursive: true, force: true });
  });

  it("prints exactly the contract's document, with reads and writes at the asked ratio", async () => {
    const report = join(dir, "report.html");
    const run = await scale(["loadtest", "--url", url, "--duration", "3s", "--connections", "8", "--items", "200", "--read-ratio", "9", "--report", report, "--json"]);
    expect(run.exit, `${run.message}\n${run.stderr}`).to.equal(0);
    const doc = json(run);
    expect(Object.keys(doc).sort()).to.deep.equal(["errors", "latencyMs", "reads", "requests", "rps", "seconds", "statuses", "url", "writes"]);
    const s = doc as { requests: number; reads: number; writes: number; errors: number; statuses: Record<string, number>; latencyMs: { p50: number; p90: number; p99: number; max: number } };
    expect(Object.keys(s.latencyMs)).to.deep.equal(["p50", "p90", "p99", "max"]);
    expect(s.requests).to.be.greaterThan(20);
    expect(s.reads + s.writes).to.equal(s.requests);
    // One write in every ten requests (exact up to the last incomplete cycle of each connection).
    expect(s.writes).to.be.closeTo(s.requests / 10, 8 + 1);
    // On a busy shared box the service's admission control may shed some load with 503: the only error allowed.
    const shed = s.statuses["503"] ?? 0;
    expect(s.errors).to.equal(shed);
    expect((s.statuses["200"] ?? 0) + (s.statuses["201"] ?? 0) + shed).to.equal(s.requests);
    expect(s.statuses["200"]).to.be.greaterThan(0);
    expect(s.latencyMs.p50).to.be.at.most(s.latencyMs.p99);
    expect(s.latencyMs.p99).to.be.at.most(s.latencyMs.max);
    // Progress went to stderr, once a second; a quiet machine serves thousands a second ("1,234 req/s").
    expect(run.stderr).to.match(/\b\d+s +[\d,]+ req\/s +p99 +[\d.]+ ms +errors \d+/);
  });

  it("stops at Ctrl-C and still prints the summary of what ran", async () => {
    const child = spawn("bin/scale", ["loadtest", "--url", url, "--duration", "60s", "--rate", "100", "--items", "50", "--json"], { stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d) => (stdout += d));
    const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
    // Two seconds measured, then Ctrl-C.
    const measuring = new Promise<void>((resolve) =>
      child.stderr.on("data", (d) => {
        stderr += d;
        if (/\b2s +[\d,]+ req\/s/.test(stderr)) resolve();
      }),
    );
    await Promise.race([measuring, exited]);
    child.kill("SIGINT");
    expect(await exited, stderr).to.equal(0);
    expect(stderr).to.include("SIGINT: stopping the load");
    const s = JSON.parse(stdout) as { seconds: number; requests: number };
    // Far short of the 60 s asked for, and what ran is counted: about 100 a second.
    expect(s.seconds).to.be.within(2, 20);
    expect(s.requests).to.be.within(s.seconds * 100 - 60, s.seconds * 100 + 10);
  });

  it("keeps to a fixed rate and says what it scheduled", async () => {
    const run = await scale(["loadtest", "--url", url, "--duration", "3s", "--rate", "50", "--items", "50", "--json"]);
    expect(run.exit, run.stderr).to.equal(0);
    const s = json<{ requests: number }>(run);
    // 50 a second for 3 s is 150 due; none is sent early, and the service keeps up with 50/s.
    expect(s.requests).to.be.at.most(150);
    expect(s.requests).to.be.at.least(140);
    expect(run.stderr).to.include("(scheduled 50/s)");
  });

  it("writes a report that Chromium draws as charts, not an empty page", async () => {
    const file = join(dir, "report.html");
    const png = await screenshot(file, dir);
    // The throughput chart's plot area sits below the summary table; its line is drawn in its series colour.
    const region = { left: 0, top: 300, width: 1000, height: 1000 };
    const drawn = await countPixels(png, region, SERIES_COLOURS.rps);
    expect(drawn.inked / drawn.total).to.be.greaterThan(0.02);
    expect(drawn.matching).to.be.greaterThan(300);
    const p99 = await countPixels(png, region, SERIES_COLOURS.p99);
    expect(p99.matching).to.be.greaterThan(300);

    // The check can fail: a page with the same title and no charts is near-empty in that region.
    const blank = join(dir, "blank.html");
    await writeFile(blank, "<!doctype html><html><head><title>scale loadtest</title></head><body><h1>Load test</h1></body></html>");
    const empty = await countPixels(await screenshot(blank, dir), region, SERIES_COLOURS.rps);
    expect(empty.inked / empty.total).to.be.lessThan(0.001);
    expect(empty.matching).to.equal(0);
  });

  it("names the rate limiter when it refuses the load test's sign-ups", async () => {
    const limited = startMain({ PORT: "0", DATA_DIR: join(dir, "data-limited"), RATE_LIMIT_PER_MINUTE: "3" });
    try {
      const run = await scale(["loadtest", "--url", await limited.listening, "--duration", "2s", "--connections", "4", "--items", "10"]);
      expect(run.exit).to.equal(1);
      expect(run.message).to.match(/rate limiter refused .* \(429\): run the service with RATE_LIMIT_PER_MINUTE=0/);
    } finally {
      limited.proc.kill("SIGTERM");
      await limited.exited;
    }
  });
});
