/**
 * `scale advise --url` against a real service process on the real MariaDB (and Redis), under a real
 * read-heavy load from the load generator: with every read reaching the database it is told stage 3;
 * with the cache in front the same load leaves the database alone.
 */
import { expect } from "chai";
import { randomBytes } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { json, scale } from "./run-scale.ts";
import { startMain } from "../support/app-process.ts";
import { createDatabase, dropDatabase } from "../app/support.ts";
import { runLoadTest } from "../../cli/lib/loadtest/run.ts";
import { gatherUrlEvidence } from "../../cli/lib/advise/url.ts";
import { advise } from "../../cli/lib/advise/rules.ts";

const MARIADB = "mysql://root@127.0.0.1:3306";
const REDIS = "redis://127.0.0.1:6379";

/** Start a read-heavy load and resolve once its measured phase has run `warm` seconds. */
/** `items`/`zipf`: the read set; a wide, flat one outruns a 1 s cache TTL at any request rate this box reaches. */
function loadUnder(url: string, seconds: number, warm = 1, read: { items: number; zipf: number } = { items: 300, zipf: 1 }) {
  let started!: () => void;
  const running = new Promise<void>((r) => (started = r));
  const done = runLoadTest({ url: new URL(url), durationMs: seconds * 1000, connections: 16, readRatio: 100, ...read, onSecond: (s) => s.second >= warm && started() });
  void done.catch(() => started());
  return { running, done };
}

describe("scale advise --url on a real service under load", function () {
  this.timeout(240_000);
  let dir: string;
  const database = `advise_${randomBytes(4).toString("hex")}`;
  const apps: ReturnType<typeof startMain>[] = [];

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), "advise-"));
    await createDatabase(MARIADB, database);
  });
  after(async () => {
    for (const a of apps) {
      a.proc.kill("SIGTERM");
      await a.exited;
    }
    await dropDatabase(MARIADB, database);
    await rm(dir, { recursive: true, force: true });
  });

  function start(env: Record<string, string>) {
    // A small pool, as a busy primary would have: reads queue for connections instead of for the CPU the load
    // generator shares. A 1 s item TTL keeps the process's own cache from absorbing the test's small item set, as a
    // working set larger than one server's cache would.
    const app = startMain({ PORT: "0", DATABASE_URL: `${MARIADB}/${database}`, RATE_LIMIT_PER_MINUTE: "0", DATABASE_POOL_SIZE: "2", CACHE_TTL_SECONDS: "1", ...env });
    apps.push(app);
    return app.listening;
  }

  it("with every read reaching the database, a read-heavy load is told to move to stage 3 because of the database", async () => {
    const url = await start({});
    const load = loadUnder(url, 25, 1, { items: 3000, zipf: 0 });
    await load.running;
    const run = await scale(["advise", "--url", url, "--database-url", MARIADB, "--window", "6s", "--json"]);
    const summary = (await load.done).summary;
    expect(run.exit, run.stderr).to.equal(0);
    const doc = json<{ stage: number | null; bottleneck: string; evidence: { metric: string; value: number; threshold: number }[]; next: { stage?: number; why: string } }>(run);
    expect(Object.keys(doc).sort()).to.deep.equal(["bottleneck", "evidence", "next", "stage"]);
    expect(doc.next.stage, JSON.stringify(doc)).to.equal(3);
    expect(doc.bottleneck).to.equal("database (reads)");
    const ev = Object.fromEntries(doc.evidence.map((e) => [e.metric, e.value]));
    expect(ev.reads_per_write).to.be.at.least(10);
    expect(ev.database_read_share).to.be.at.least(0.1);
    expect(doc.next.why).to.match(/read-heavy mix sends more reads to the database than a shared cache would/);
    expect(summary.errors).to.equal(0);
  });

  it("with the cache in front, the same load leaves the database alone: no stage 3 for it", async () => {
    const url = await start({ REDIS_URL: REDIS, REDIS_KEY_PREFIX: `${database}:`, CACHE_TTL_SECONDS: "300" });
    // Past the first seconds, when every item is read for the first time and misses.
    const load = loadUnder(url, 20, 5);
    await load.running;
    const got = await gatherUrlEvidence({ url: new URL(url), windowMs: 6000, databaseUrl: MARIADB, redisUrl: REDIS });
    await load.done;
    expect(got.evidence.cache_hit_ratio, JSON.stringify(got.evidence)).to.be.greaterThan(0.5);
    expect(got.evidence.database_read_share).to.be.lessThan(0.1);
    expect(got.stage).to.equal(3);
    // Even asked as if it were stage 2, the database rule holds back: the reads do not reach the database.
    expect(advise(got.evidence, 2).rule).to.not.equal("read-heavy-database");
  });

  it("fails with a clear message (exit 1) when the service is stopped", async () => {
    const app = startMain({ PORT: "0", DATA_DIR: join(dir, "stopped") });
    const url = await app.listening;
    app.proc.kill("SIGTERM");
    await app.exited;
    const run = await scale(["advise", "--url", url, "--window", "2s"]);
    expect(run.exit).to.equal(1);
    expect(run.message).to.match(/nothing answers at http:\/\/127\.0\.0\.1:\d+.*is the service running\?/);
  });
});
