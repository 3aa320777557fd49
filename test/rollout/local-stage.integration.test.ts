/**
 * `scale deploy --local` and `scale rollback --local` against a real local stage (`scale local up --stage 2`: its
 * supervisor, HAProxy in master-worker mode, MariaDB), under a 100:1 read/write load with a logged-in session: a
 * release rolls through both tiers with no failed request; a release whose /readyz never answers 200 is rolled
 * back (exit 1, rolledBack) with the stage serving throughout; rollback returns to the release deployed before.
 */
import { expect } from "chai";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { useDeployDeps } from "../../cli/lib/deploy-deps.ts";
import { json, scale } from "../cli/run-scale.ts";
import { local, localDir, login, type StageDoc } from "../local/support.ts";
import { makeRelease, releaseOfPid } from "../support/rollout-stage.ts";
import { tempDir } from "../support/tmp.ts";

interface LoadResult { requests: number; reads: number; writes: number; failures: string[] }

/** `connections` loops of 100 reads (with the session's token) then one write, until stopped. */
function startLoad(endpoint: string, token: string, itemIds: string[], connections = 4): { stop(): Promise<LoadResult> } {
  let running = true;
  const failures: string[] = [];
  let reads = 0;
  let writes = 0;
  const headers = { authorization: `Bearer ${token}` };
  const one = async (method: string, path: string, body?: unknown) => {
    try {
      const res = await fetch(`${endpoint}${path}`, {
        method, headers: body ? { ...headers, "content-type": "application/json" } : headers,
        body: body ? JSON.stringify(body) : undefined, signal: AbortSignal.timeout(15_000),
      });
      await res.arrayBuffer();
      if (res.status !== 200 && res.status !== 201) failures.push(`${method} ${path}: ${res.status}`);
    } catch (err) {
      failures.push(`${method} ${path}: ${(err as Error).message}`);
    }
  };
  const loop = async () => {
    while (running) {
      for (let i = 0; i < 100 && running; i++) {
        await one("GET", `/v1/items/${itemIds[Math.floor(Math.random() * itemIds.length)]!}`);
        reads += 1;
      }
      if (!running) break;
      await one("POST", "/v1/items", { content: `during the deploy ${writes}` });
      writes += 1;
    }
  };
  const loops = Array.from({ length: connections }, loop);
  return {
    async stop() {
      running = false;
      await Promise.all(loops);
      return { requests: reads + writes, reads, writes, failures };
    },
  };
}

describe("scale deploy --local on a stage started by scale local up", function () {
  this.timeout(900_000);
  const dir = localDir("scale-deploy-local");
  const archives = tempDir("scale-deploy-archives");
  const auditLog = join(tempDir("scale-deploy-audit"), "audit.jsonl");
  let up: StageDoc;
  let token = "";
  const itemIds: string[] = [];
  let restore: () => void = () => undefined;

  /** The release each app process's command line names, by name ("source" when it runs the checkout). */
  const serving = async () => {
    const status = await local("status", "--dir", dir);
    return Object.fromEntries(status.components.filter((c) => c.kind === "app").map((c) => [c.name, c.pid ? (releaseOfPid(c.pid) ?? "source") : "down"]));
  };
  const deploy = (...args: string[]) => scale([...args, "--local", "--dir", dir, "--audit-log", auditLog, "--json"]);

  before(async () => {
    // The bad release's readiness wait is shortened; everything else is the real dependencies.
    restore = useDeployDeps({ localOptions: { readyTimeoutMs: 20_000 } });
    up = await local("up", "--stage", "2", "--release", "source", "--dir", dir, "--env", "RATE_LIMIT_PER_MINUTE=0");
    token = await login(up.endpoint, "deployer");
    for (let i = 0; i < 10; i++) {
      const res = await fetch(`${up.endpoint}/v1/items`, {
        method: "POST", headers: { "content-type": "application/json", authorization: `Bearer ${token}` }, body: JSON.stringify({ content: `item ${i}` }),
      });
      expect(res.status).to.equal(201);
      itemIds.push(((await res.json()) as { id: string }).id);
    }
  });
  after(async () => {
    restore();
    await local("down", "--purge", "--dir", dir).catch(() => undefined);
  });

  it("rolls a release through the read and write tiers with no failed request", async () => {
    const file = await makeRelease(archives, "1.0.0", "good");
    const before = await serving();
    expect(Object.keys(before)).to.have.length.greaterThan(1);
    expect(Object.values(before).every((v) => v === "source")).to.equal(true);
    const load = startLoad(up.endpoint, token, itemIds);
    const run = await deploy("deploy", "--release", file);
    const result = await load.stop();
    expect(run.exit, run.stdout || run.message).to.equal(0);
    const report = json<{ release: string; rolledBack: boolean; tiers: { tier: string; replaced: number; total: number }[] }>(run);
    expect(report).to.deep.include({ release: "1.0.0", rolledBack: false });
    expect(report.tiers.map((t) => t.tier)).to.deep.equal(["read", "write"]);
    for (const t of report.tiers) expect(t.replaced).to.equal(t.total);
    expect(result.failures, result.failures.slice(0, 5).join("\n")).to.deep.equal([]);
    expect(result.writes).to.be.greaterThan(0);
    const after = await serving();
    expect(Object.keys(after)).to.deep.equal(Object.keys(before));
    expect(Object.values(after).every((v) => v === "1.0.0"), JSON.stringify(after)).to.equal(true);
    // Processes the stage starts later (a move, a replaced process) run the deployed release too.
    const state = JSON.parse(readFileSync(join(dir, "state.json"), "utf8")) as { launcher: string };
    expect(state.launcher).to.equal("release 1.0.0");
    console.error(`    ${JSON.stringify(report)}; ${result.requests} requests (${result.reads} reads, ${result.writes} writes), 0 failed`);
  });

  it("rolls back a release whose /readyz never answers 200 (exit 1, rolledBack), the stage serving throughout", async () => {
    const file = await makeRelease(archives, "1.1.0-broken", "bad");
    const before = await serving();
    const load = startLoad(up.endpoint, token, itemIds);
    const run = await deploy("deploy", "--release", file);
    const result = await load.stop();
    expect(run.exit, run.stdout || run.message).to.equal(1);
    const doc = json<{ error: { message: string }; rolledBack: boolean; release: string }>(run);
    expect(doc).to.deep.include({ release: "1.1.0-broken", rolledBack: true });
    expect(doc.error.message).to.match(/did not become ready/);
    expect(result.failures, result.failures.slice(0, 5).join("\n")).to.deep.equal([]);
    expect(await serving()).to.deep.equal(before);
    const res = await fetch(`${up.endpoint}/v1/items/${itemIds[0]!}`, { headers: { authorization: `Bearer ${token}` } });
    expect(res.status).to.equal(200);
    console.error(`    rolled back; ${result.requests} requests during it, 0 failed`);
  });

  it("rollback --local returns to the release deployed before", async () => {
    await makeRelease(archives, "1.2.0", "good").then((file) => deploy("deploy", "--release", file)).then((run) => expect(run.exit, run.message).to.equal(0));
    expect(Object.values(await serving()).every((v) => v === "1.2.0")).to.equal(true);
    const run = await deploy("rollback");
    expect(run.exit, run.stdout || run.message).to.equal(0);
    expect(json(run)).to.deep.include({ release: "1.0.0", rolledBack: false });
    expect(Object.values(await serving()).every((v) => v === "1.0.0")).to.equal(true);
  });
});

describe("scale deploy --local without a local stage", function () {
  this.timeout(60_000);
  it("exits 1 naming the folder and `scale local up`", async () => {
    const empty = tempDir("scale-deploy-nostage");
    const run = await scale(["deploy", "--local", "--dir", empty, "--release", "1.0.0", "--json"]);
    expect(run.exit).to.equal(1);
    expect(run.stdout).to.include(empty).and.to.include("scale local up");
  });
});
