/**
 * A rolling deploy on a stage-2-shaped local stage (HAProxy, two read and two write processes of the real service,
 * MariaDB holding the sessions, no Redis) under a 100:1 read/write load with logged-in sessions: no request fails
 * while a new release rolls through both tiers, and a release that never becomes ready is rolled back with the
 * tiers serving the old one throughout.
 */
import { expect } from "chai";
import { randomBytes } from "node:crypto";
import { rollLocal, type UnpackedRelease } from "../../rollout/local.ts";
import { makeRelease, RolloutStage, unpackTo } from "../support/rollout-stage.ts";
import { eventually } from "../support/eventually.ts";
import { tempDir } from "../support/tmp.ts";
import { createDatabase, dropDatabase, SHARED_MARIADB } from "../app/support.ts";

interface Load {
  stop(): Promise<{ requests: number; reads: number; writes: number; failures: string[]; backends: Set<string> }>;
}

/** `connections` loops of 100 reads (with the session's token) then one write, until stopped. */
function startLoad(endpoint: string, token: string, itemIds: string[], connections = 6): Load {
  let running = true;
  const failures: string[] = [];
  const backends = new Set<string>();
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
      backends.add(res.headers.get("x-backend") ?? "?");
      if (res.status !== 200 && res.status !== 201) failures.push(`${method} ${path}: ${res.status} from ${res.headers.get("x-backend") ?? "HAProxy itself"}`);
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
      await one("POST", "/v1/items", { content: `during the roll ${writes}` });
      writes += 1;
    }
  };
  const loops = Array.from({ length: connections }, loop);
  return {
    async stop() {
      running = false;
      await Promise.all(loops);
      return { requests: reads + writes, reads, writes, failures, backends };
    },
  };
}

describe("scale deploy --local: a rolling deploy under load", function () {
  this.timeout(600_000);
  const database = `app_roll_${randomBytes(4).toString("hex")}`;
  const releasesDir = tempDir("scale-rollout-releases");
  let stage: RolloutStage;
  let v1: UnpackedRelease;
  let v2: UnpackedRelease;
  let bad: UnpackedRelease;
  let token = "";
  const itemIds: string[] = [];

  before(async () => {
    await createDatabase(SHARED_MARIADB, database);
    const unpacked = tempDir("scale-rollout-unpacked");
    [v1, v2, bad] = await Promise.all([
      makeRelease(releasesDir, "1.0.0", "good").then((f) => unpackTo(f, "1.0.0", unpacked)),
      makeRelease(releasesDir, "1.1.0", "good").then((f) => unpackTo(f, "1.1.0", unpacked)),
      makeRelease(releasesDir, "1.2.0-broken", "bad").then((f) => unpackTo(f, "1.2.0-broken", unpacked)),
    ]);
    // Sessions and the limiter live in the database without Redis; the limiter is off so the load is not throttled.
    stage = new RolloutStage({ DATABASE_URL: `${SHARED_MARIADB}/${database}`, RATE_LIMIT_PER_MINUTE: "0", SHUTDOWN_DEADLINE_MS: "10000" });
    await stage.up(v1);
    const creds = { username: `roll_${randomBytes(3).toString("hex")}`, password: "correct-horse" };
    const post = (path: string, body: unknown, auth?: string) => fetch(`${stage.endpoint}${path}`, {
      method: "POST", body: JSON.stringify(body),
      headers: { "content-type": "application/json", ...(auth ? { authorization: `Bearer ${auth}` } : {}) },
    });
    expect((await post("/v1/users", creds)).status).to.equal(201);
    token = ((await (await post("/v1/sessions", creds)).json()) as { token: string }).token;
    for (let i = 0; i < 20; i++) itemIds.push(((await (await post("/v1/items", { content: `item ${i}` }, token)).json()) as { id: string }).id);
  });
  after(async () => {
    await stage?.down();
    await dropDatabase(SHARED_MARIADB, database);
  });

  it("rolls a new release through the read and write tiers with no failed request", async () => {
    expect(Object.values(stage.serving())).to.deep.equal(["1.0.0", "1.0.0", "1.0.0", "1.0.0"]);
    const load = startLoad(stage.endpoint, token, itemIds);
    const lines: string[] = [];
    const report = await rollLocal(stage, v2, { log: (l) => lines.push(l) });
    const result = await load.stop();
    expect(report).to.deep.include({ release: "1.1.0", rolledBack: false });
    expect(report.tiers.map((t) => [t.tier, t.replaced, t.total])).to.deep.equal([["read", 2, 2], ["write", 2, 2]]);
    expect(result.failures, result.failures.slice(0, 5).join("\n")).to.deep.equal([]);
    expect(result.writes).to.be.greaterThan(0);
    expect(result.backends).to.include.members(["app-read-1", "app-read-2", "app-write-1", "app-write-2"]);
    expect(Object.values(stage.serving())).to.deep.equal(["1.1.0", "1.1.0", "1.1.0", "1.1.0"]);
    expect(lines.some((l) => l.startsWith("write: 2/2 replaced"))).to.equal(true);
    console.error(lines.map((l) => `    ${l}`).join("\n"));
    console.error(`    ${JSON.stringify(report)}`);
    console.error(`    ${result.requests} requests (${result.reads} reads, ${result.writes} writes) during the roll, 0 failed`);
  });

  it("rolls back a release whose /readyz never answers 200, the tier serving the old release throughout", async () => {
    const before = stage.serving();
    const load = startLoad(stage.endpoint, token, itemIds);
    const report = await rollLocal(stage, bad, { readyTimeoutMs: 8000 });
    const result = await load.stop();
    expect(report.rolledBack).to.equal(true);
    expect(report.tiers[0]).to.deep.include({ tier: "read", replaced: 0, total: 2 });
    expect(result.failures, result.failures.slice(0, 5).join("\n")).to.deep.equal([]);
    expect(stage.serving()).to.deep.equal(before);
    // HAProxy's checks on a loaded machine may briefly mark one "UP 1/2"; every server settles UP again.
    await eventually("every server UP", async () => ((await stage.haproxy.servers()).every((s) => s.status === "UP") ? true : undefined), 30_000);
  });
});
