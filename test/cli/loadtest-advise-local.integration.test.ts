/**
 * The loop end to end on local stages (contract §4): a read-heavy `scale loadtest` against a local stage 2 is
 * advised to move to stage 3 because of the database; the same load on a local stage 3 is not.
 *
 * Without Redis each app process keeps its own item cache, which holds this test's whole read set; a real stage 2
 * outgrows it (a working set larger than one server's memory, spread over several servers). The stage-2 run stands
 * for that with a 1 s item TTL in the process's cache, and both runs give the database a small pool, as a busy
 * primary has. Stage 3's shared Redis keeps its default TTL: that is the step the advice is about.
 */
import { expect } from "chai";
import { execFile, spawn } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";

const run = promisify(execFile);

async function scaleJson<T>(args: string[], timeoutMs: number): Promise<T> {
  const { stdout } = await run("bin/scale", [...args, "--json"], { timeout: timeoutMs, maxBuffer: 16 * 1024 * 1024 });
  return JSON.parse(stdout) as T;
}

/** `scale loadtest` in the background; resolves `running` once it has measured `warm` seconds. */
function backgroundLoad(endpoint: string, seconds: number, warm: number) {
  const proc = spawn("bin/scale", ["loadtest", "--url", endpoint, "--duration", `${seconds}s`, "--items", "2000", "--read-ratio", "100", "--zipf", "1.0", "--connections", "32", "--json"], {
    stdio: ["ignore", "pipe", "pipe"],
  });
  let out = "";
  let err = "";
  proc.stdout.on("data", (d: Buffer) => (out += d.toString()));
  const running = new Promise<void>((resolve, reject) => {
    proc.stderr.on("data", (d: Buffer) => {
      err += d.toString();
      if (new RegExp(`^\\s*${warm}s\\s`, "m").test(err)) resolve();
    });
    proc.once("exit", (code) => reject(new Error(`loadtest exited ${code} before it ran ${warm}s:\n${err}`)));
  });
  const done = new Promise<{ errors: number; requests: number }>((resolve, reject) =>
    proc.once("exit", (code) => (code === 0 ? resolve(JSON.parse(out) as { errors: number; requests: number }) : reject(new Error(`loadtest exited ${code}:\n${err}`)))),
  );
  return { running, done, proc };
}

interface AdviceDoc {
  stage: number | null;
  bottleneck: string;
  evidence: { metric: string; value: number; threshold: number }[];
  next: { stage?: number; technique?: string; why: string };
}

const SERVER_ENV: Record<number, string[]> = {
  2: ["RATE_LIMIT_PER_MINUTE=0", "DATABASE_POOL_SIZE=2", "CACHE_TTL_SECONDS=1"],
  3: ["RATE_LIMIT_PER_MINUTE=0", "DATABASE_POOL_SIZE=2"],
};

async function adviseUnderLoad(stage: number): Promise<AdviceDoc> {
  const dir = await mkdtemp(join(tmpdir(), `local-${stage}-`));
  try {
    const up = await scaleJson<{ endpoint: string }>(["local", "up", "--stage", String(stage), "--dir", dir, ...(SERVER_ENV[stage] ?? []).flatMap((e) => ["--env", e])], 600_000);
    const load = backgroundLoad(up.endpoint, 45, 5);
    try {
      await load.running;
      const advice = await scaleJson<AdviceDoc>(["advise", "--url", up.endpoint, "--dir", dir, "--window", "10s"], 120_000);
      const summary = await load.done;
      expect(summary.requests).to.be.greaterThan(0);
      return advice;
    } finally {
      load.proc.kill("SIGTERM");
    }
  } finally {
    await run("bin/scale", ["local", "down", "--purge", "--dir", dir], { timeout: 120_000 }).catch(() => undefined);
    await rm(dir, { recursive: true, force: true });
  }
}

describe("loadtest and advise on local stages", function () {
  this.timeout(900_000);

  it("a local stage 2 under a read-heavy load is told to move to stage 3 because of the database", async () => {
    const advice = await adviseUnderLoad(2);
    expect(advice.stage).to.equal(2);
    expect(advice.next.stage, JSON.stringify(advice)).to.equal(3);
    expect(advice.bottleneck).to.match(/database/);
    expect(advice.evidence.map((e) => e.metric)).to.include("database_read_share");
  });

  it("the same load on a local stage 3 is not", async () => {
    const advice = await adviseUnderLoad(3);
    expect(advice.stage).to.equal(3);
    expect(advice.next.stage ?? null, JSON.stringify(advice)).to.not.equal(3);
    expect(advice.bottleneck).to.not.equal("database (reads)");
  });
});
