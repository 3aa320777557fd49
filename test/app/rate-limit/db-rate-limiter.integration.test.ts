/**
 * The rate limiter in the shared database (no Redis): two limiters on one database stand for two app processes.
 * One limit holds across both within the documented bound; clients below half their budget cost one batched write
 * per flush, not one per request; a store that is down lets requests through at once and gets the counts later.
 */
import { expect } from "chai";
import { randomBytes } from "node:crypto";
import { InsertQueryNode, type KyselyPlugin } from "kysely";
import { openDatabase, type DbHandle } from "../../../app/db/connect.ts";
import { migrateWith } from "../../../app/db/migrate.ts";
import { createDbRateLimiter, type DbRateLimiter } from "../../../app/rate-limit/db-rate-limiter.ts";
import { startMariaDb, type MariaDbServer } from "../../support/servers.ts";
import { createDatabase, dropDatabase, SHARED_MARIADB } from "../support.ts";

/** Counts the statements that reach the database, and the inserts among them. */
function counting(handle: DbHandle) {
  const seen = { statements: 0, inserts: 0 };
  const plugin: KyselyPlugin = {
    transformQuery(args) {
      seen.statements++;
      if (InsertQueryNode.is(args.node)) seen.inserts++;
      return args.node;
    },
    transformResult: async (args) => args.result,
  };
  return { handle: { ...handle, db: handle.db.withPlugin(plugin) }, seen };
}

async function hits(limiter: DbRateLimiter, client: string, n: number) {
  const verdicts = [];
  for (let i = 0; i < n; i++) verdicts.push(await limiter.hit(client));
  return verdicts;
}

describe("rate limiter in the shared database", function () {
  this.timeout(60_000);
  const database = `app_rl_${randomBytes(4).toString("hex")}`;
  let handles: DbHandle[] = [];
  let limiters: DbRateLimiter[] = [];
  const open = () => {
    const handle = openDatabase({ databaseUrl: `${SHARED_MARIADB}/${database}`, poolSize: 2 });
    handles.push(handle);
    return handle;
  };
  // One fixed instant (mid-window), so no test straddles a minute; the flush interval is long, the test flushes itself.
  const now = () => 1_800_000_030_000;
  const limiter = (handle: DbHandle, perMinute: number) => {
    const l = createDbRateLimiter(handle, { perMinute, flushMs: 3_600_000, now });
    limiters.push(l);
    return l;
  };

  before(async () => {
    await createDatabase(SHARED_MARIADB, database);
    await migrateWith(open());
  });
  afterEach(async () => {
    await Promise.all(limiters.map((l) => l.close()));
    limiters = [];
  });
  after(async () => {
    await Promise.all(handles.map((h) => h.close()));
    handles = [];
    await dropDatabase(SHARED_MARIADB, database);
  });

  it("holds one limit across two processes: a client alternating between them gets at most limit + limit/2", async () => {
    const [a, b] = [limiter(open(), 10), limiter(open(), 10)];
    const verdicts = [];
    for (let i = 0; i < 30; i++) verdicts.push(await (i % 2 === 0 ? a : b).hit("198.51.100.20"));
    const allowed = verdicts.filter((v) => v.allowed).length;
    // Each process alone would let 10 through (20 in all); the shared count stops it near 10.
    expect(allowed).to.be.within(10, 15);
    for (const v of verdicts.filter((v) => !v.allowed)) expect(v.retryAfterSeconds).to.be.within(1, 60);
  });

  it("counts clients below half their budget in memory and writes them in one statement per flush", async () => {
    const { handle, seen } = counting(open());
    const l = limiter(handle, 100);
    for (let c = 0; c < 50; c++) for (const v of await hits(l, `10.1.0.${c}`, 3)) expect(v.allowed).to.equal(true);
    expect(seen.statements, "no database work while clients are below half their budget").to.equal(0);
    await l.flush();
    expect(seen.inserts).to.equal(1);
    const rows = await handles[0]!.db.selectFrom("rate_limits").select(["client_key", "hits"]).where("client_key", "like", "10.1.0.%").execute();
    expect(rows).to.have.length(50);
    expect(rows.every((r) => Number(r.hits) === 3)).to.equal(true);
  });

  it("refuses a client past the limit from what another process flushed, without a write per refusal", async () => {
    const [a, bCounted] = [limiter(open(), 6), counting(open())];
    const b = limiter(bCounted.handle, 6);
    expect((await hits(a, "198.51.100.30", 3)).every((v) => v.allowed)).to.equal(true);
    await a.flush();
    // b knows nothing yet: it admits up to half the budget from its own count, then counts in the table and learns
    // the total, so the client gets exactly the limit in all.
    const [first, second, third, ...refused] = await hits(b, "198.51.100.30", 8);
    expect([first, second, third].map((v) => v!.allowed)).to.deep.equal([true, true, true]);
    expect(refused.map((v) => v.allowed)).to.deep.equal([false, false, false, false, false]);
    const writes = bCounted.seen.inserts;
    await hits(b, "198.51.100.30", 20);
    expect(bCounted.seen.inserts, "refusals past the limit cost no database work").to.equal(writes);
  });
});

describe("rate limiter in the shared database, with the database down", function () {
  this.timeout(90_000);
  let db: MariaDbServer;
  let handle: DbHandle;
  let l: DbRateLimiter;
  before(async () => {
    db = await startMariaDb();
    await db.sql("CREATE DATABASE rl");
    handle = openDatabase({ databaseUrl: `${db.url}/rl`, poolSize: 2 });
    await migrateWith(handle);
  });
  after(async () => {
    await l?.close();
    await handle?.close();
    await db?.stop();
  });

  it("lets requests through at once (fails open), then adds the counts when the database is back", async () => {
    const errors: Error[] = [];
    let clock = 1_800_000_030_000;
    l = createDbRateLimiter(handle, { perMinute: 4, flushMs: 3_600_000, onError: (err) => errors.push(err), now: () => clock });
    await db.kill();
    // Upper half at once: the store is tried, fails, and the request passes; then it counts in memory only.
    const verdicts = await hits(l, "198.51.100.40", 3);
    expect(verdicts.map((v) => v.allowed)).to.deep.equal([true, true, true]);
    expect(errors).to.have.length(1);
    for (let c = 0; c < 20; c++) expect((await l.hit(`10.2.0.${c}`)).allowed).to.equal(true);
    await db.start();
    clock += 6_000; // past the back-off after a store error
    await l.flush();
    if (errors.length > 1) await l.flush(); // the pool's first try may have found a connection from before the restart
    const rows = await handle.db.selectFrom("rate_limits").select(["client_key", "hits"]).execute();
    const byKey = new Map(rows.map((r) => [r.client_key, Number(r.hits)]));
    expect(byKey.get("198.51.100.40")).to.equal(3);
    expect(byKey.get("10.2.0.19")).to.equal(1);
  });
});
