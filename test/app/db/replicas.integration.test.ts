import { expect } from "chai";
import { sql, type Kysely } from "kysely";
import { Registry } from "prom-client";
import { createMysqlKysely } from "../../../app/db/mysql.ts";
import { ReplicaRouter, type ReplicaRouterOptions } from "../../../app/db/replicas.ts";
import { mergeGtidPositions } from "../../../app/db/gtid.ts";
import { sessionReadRouter } from "../../../app/db/session-read-router.ts";
import { startReplicaSet, type ReplicaSet } from "../../support/replication.ts";

interface DB {
  notes: { id: number; body: string };
}

const DATABASE = "replica_router";

async function eventually(what: string, probe: () => Promise<boolean> | boolean, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await probe()) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`timed out waiting until ${what}`);
}

async function metric(registry: Registry, name: string, labels: Record<string, string>): Promise<number | undefined> {
  const m = registry.getSingleMetric(name);
  if (!m) return undefined;
  const { values } = await m.get();
  const hit = values.find((v) => Object.entries(labels).every(([k, val]) => v.labels[k] === val));
  return hit?.value;
}

const serverId = (db: Kysely<DB>) =>
  sql<{ id: number }>`SELECT @@server_id AS id`.execute(db).then(({ rows }) => Number(rows[0]?.id));
const findNote = (id: number) => (db: Kysely<DB>) =>
  db.selectFrom("notes").select(["id", "body"]).where("id", "=", id).executeTakeFirst();

describe("replica router (real primary and two replicas)", function () {
  this.timeout(120_000);
  let set: ReplicaSet;
  let primary: Kysely<DB>;
  const routers: ReplicaRouter<DB>[] = [];
  let nextId = 1;

  const replicaUrl = (i: number) => `${set.replica(i).url}/${DATABASE}`;
  const label = (i: number) => `127.0.0.1:${set.replica(i).port}`;

  async function router(overrides: Partial<ReplicaRouterOptions<DB>> = {}) {
    const registry = new Registry();
    const r = await ReplicaRouter.start<DB>({
      primary,
      replicaUrls: [replicaUrl(0), replicaUrl(1)],
      maxLagSeconds: 1,
      checkIntervalMs: 150,
      gtidWaitMs: 100,
      rise: 2,
      registry,
      ...overrides,
    });
    routers.push(r);
    return { router: r, registry };
  }

  async function insertNote(r: ReplicaRouter<DB>, body: string) {
    const id = nextId++;
    const { gtid } = await r.write((trx) => trx.insertInto("notes").values({ id, body }).execute());
    return { id, gtid };
  }

  before(async () => {
    set = await startReplicaSet({ replicas: 2, database: DATABASE });
    primary = createMysqlKysely<DB>(`${set.primary.url}/${DATABASE}`);
    await sql`CREATE TABLE notes (id INT PRIMARY KEY, body VARCHAR(100) NOT NULL) ENGINE=InnoDB`.execute(primary);
    await set.waitAllCaughtUp();
  });
  afterEach(async () => {
    await Promise.all(routers.splice(0).map((r) => r.close()));
    if (!set.primary.running) await set.primary.start();
    for (const i of [0, 1]) {
      if (!set.replica(i).running) await set.startReplica(i);
      await set.startSqlThread(i);
    }
    await set.waitAllCaughtUp();
  });
  after(async () => {
    await primary?.destroy();
    await set?.stop();
  });

  it("spreads reads over the replicas and counts them per target", async () => {
    const { router: r, registry } = await router();
    await eventually("both replicas are in rotation", () => r.health().every((h) => h.inRotation));
    const served = new Set<number>();
    for (let i = 0; i < 10; i++) served.add(await r.read(serverId));
    expect([...served].sort()).to.deep.equal([2, 3]);
    expect(await metric(registry, "db_reads_total", { target: label(0) })).to.equal(5);
    expect(await metric(registry, "db_reads_total", { target: label(1) })).to.equal(5);
    expect(await metric(registry, "db_replica_in_rotation", { replica: label(0) })).to.equal(1);
  });

  it("reports the GTID of a write, and a read for that session sees the write", async () => {
    const { router: r } = await router();
    const { id, gtid } = await insertNote(r, "hello");
    expect(gtid).to.match(/^0-1-\d+$/);
    expect(await r.read(findNote(id), { gtid })).to.deep.equal({ id, body: "hello" });
    const second = await insertNote(r, "again");
    expect(mergeGtidPositions(gtid, second.gtid)).to.equal(second.gtid);
  });

  it("keeps answering with no errors when a replica is killed, and takes it back when it returns", async () => {
    // No background checks here: only the failed reads themselves can take the replica out.
    const { router: r, registry } = await router({ checkIntervalMs: 60_000 });
    const checked = async () => {
      await r.checkNow();
      return r.health().every((h) => h.inRotation);
    };
    await eventually("both replicas are in rotation", checked);
    const { id } = await insertNote(r, "survives");
    await set.waitAllCaughtUp();
    await set.killReplica(0);
    const results = await Promise.all(Array.from({ length: 40 }, () => r.read(findNote(id))));
    expect(results.every((row) => row?.body === "survives")).to.equal(true);
    expect(r.health()[0]).to.include({ inRotation: false });
    expect(await metric(registry, "db_replica_in_rotation", { replica: label(0) })).to.equal(0);
    expect(await metric(registry, "db_read_primary_fallbacks_total", { reason: "replica_error" })).to.be.at.least(1);
    for (let i = 0; i < 10; i++) expect(await r.read(serverId)).to.equal(3);

    await set.startReplica(0);
    await eventually("replica 0 is back in rotation", checked);
    const served = new Set<number>();
    for (let i = 0; i < 10; i++) served.add(await r.read(serverId));
    expect([...served].sort()).to.deep.equal([2, 3]);
  });

  it("answers a read in flight when its replica crashes, from the primary", async () => {
    const { router: r, registry } = await router({ replicaUrls: [replicaUrl(0)] });
    await eventually("replica 0 is in rotation", () => r.health()[0]?.inRotation === true);
    const db = await r.forRead();
    const slow = sql<{ id: number }>`SELECT @@server_id AS id, SLEEP(2) AS slept`.execute(db);
    await new Promise((resolve) => setTimeout(resolve, 300));
    await set.killReplica(0);
    const { rows } = await slow;
    expect(Number(rows[0]?.id)).to.equal(1);
    expect(r.health()[0]?.inRotation).to.equal(false);
    expect(await metric(registry, "db_read_primary_fallbacks_total", { reason: "replica_error" })).to.equal(1);
  });

  it("refuses a transaction on a replica connection", async () => {
    const { router: r } = await router({ replicaUrls: [replicaUrl(0)] });
    await eventually("replica 0 is in rotation", () => r.health()[0]?.inRotation === true);
    const db = await r.forRead();
    let error: unknown;
    await db.transaction().execute(async () => undefined).catch((err: unknown) => (error = err));
    expect(String(error)).to.match(/run transactions on the primary/);
  });

  it("with no replica reachable, reads go to the primary and count a fallback", async () => {
    const { router: r, registry } = await router();
    await set.killReplica(0);
    await set.killReplica(1);
    for (let i = 0; i < 5; i++) expect(await r.read(serverId)).to.equal(1);
    expect(r.health().map((h) => h.inRotation)).to.deep.equal([false, false]);
    expect(await metric(registry, "db_reads_total", { target: "primary" })).to.equal(5);
    expect(await metric(registry, "db_read_primary_fallbacks_total", { reason: "no_replica_in_rotation" })).to.be.at.least(3);
  });

  it("takes a lagging replica (SQL thread stopped) out of rotation as its lag metric rises, and back when it catches up", async () => {
    const { router: r, registry } = await router();
    await set.stopSqlThread(0);
    await eventually("replica 0 leaves rotation", () => r.health()[0]?.inRotation === false);
    expect(r.health()[0]?.reason).to.match(/lag .* above the bound of 1 s/);
    expect(await metric(registry, "db_replica_lag_seconds", { replica: label(0) })).to.be.above(1);
    expect(await metric(registry, "db_replica_lag_seconds", { replica: label(1) })).to.be.below(1);
    expect(r.health()[1]?.inRotation).to.equal(true);

    // Read-your-writes while replica 0 lags: every read for the session sees the write.
    const { id, gtid } = await insertNote(r, "mine");
    for (let i = 0; i < 10; i++) expect(await r.read(findNote(id), { gtid })).to.deep.equal({ id, body: "mine" });
    for (let i = 0; i < 10; i++) expect(await r.read(serverId)).to.equal(3);

    await set.startSqlThread(0);
    await eventually("replica 0 is back in rotation", () => r.health()[0]?.inRotation === true);
    expect(await metric(registry, "db_replica_lag_seconds", { replica: label(0) })).to.be.below(1);
  });

  it("read-your-writes holds on a lagging replica still in rotation: waits, then falls back to the primary", async () => {
    // A lag bound this loose keeps the lagging replica in rotation, so only the GTID wait protects the session.
    const { router: r, registry } = await router({ maxLagSeconds: 3600, replicaUrls: [replicaUrl(0)] });
    await set.stopSqlThread(0);
    const { id, gtid } = await insertNote(r, "fresh");
    expect(r.health()[0]?.inRotation).to.equal(true);
    // Without the session's GTID the replica answers, and it has not got the row: the check below can fail.
    expect(await r.read(findNote(id))).to.equal(undefined);
    expect(await r.read(findNote(id), { gtid })).to.deep.equal({ id, body: "fresh" });
    expect(await metric(registry, "db_read_primary_fallbacks_total", { reason: "gtid_wait_timeout" })).to.equal(1);
    // The same through the service's seam, with the position carried in the session.
    const seam = sessionReadRouter(r);
    expect(await findNote(id)(await seam.forRead({ session: { lastWriteGtid: gtid ?? null } }))).to.deep.equal({ id, body: "fresh" });
    expect(await findNote(id)(await seam.forRead({ session: { lastWriteGtid: null } }))).to.equal(undefined);
    expect(await metric(registry, "db_read_primary_fallbacks_total", { reason: "gtid_wait_timeout" })).to.equal(2);

    // Once the replica applies the write, the same session reads from it again, without falling back.
    await set.startSqlThread(0);
    await set.waitCaughtUp(0);
    expect(await r.read(findNote(id), { gtid })).to.deep.equal({ id, body: "fresh" });
    expect(await metric(registry, "db_read_primary_fallbacks_total", { reason: "gtid_wait_timeout" })).to.equal(2);
  });

  it("a malformed session position reads from the primary; an empty one is no position", async () => {
    const { router: r } = await router({ replicaUrls: [replicaUrl(0)] });
    await eventually("replica 0 is in rotation", () => r.health()[0]?.inRotation === true);
    expect(await r.read(serverId, { gtid: "0-1-x'; DROP TABLE notes" })).to.equal(1);
    expect(await r.read(serverId, { gtid: "" })).to.equal(2);
    expect(await r.read(serverId, { gtid: null })).to.equal(2);
  });

  it("create() serves from the primary at once and from replicas once the first check admits them", async () => {
    const r = ReplicaRouter.create<DB>({ primary, replicaUrls: [replicaUrl(0)], checkIntervalMs: 150, registry: new Registry() });
    routers.push(r);
    expect(await r.read(serverId)).to.equal(1);
    await eventually("replica 0 is in rotation", () => r.health()[0]?.inRotation === true);
    expect(await r.read(serverId)).to.equal(2);
  });

  it("keeps replicas in rotation while the primary is down, so reads go on", async () => {
    const { router: r, registry } = await router();
    await eventually("both replicas are in rotation", () => r.health().every((h) => h.inRotation));
    const { id } = await insertNote(r, "while the primary sleeps");
    await set.waitAllCaughtUp();
    await set.primary.kill();
    // Several check rounds without the primary's heartbeat.
    await new Promise((resolve) => setTimeout(resolve, 600));
    expect(r.health().map((h) => h.inRotation)).to.deep.equal([true, true]);
    for (let i = 0; i < 10; i++) expect(await r.read(findNote(id))).to.deep.equal({ id, body: "while the primary sleeps" });
    expect(await metric(registry, "db_reads_total", { target: "primary" })).to.equal(0);
  });

  it("with no replicas configured, every read goes to the primary without counting fallbacks", async () => {
    const { router: r, registry } = await router({ replicaUrls: [] });
    expect(await r.read(serverId)).to.equal(1);
    expect(await metric(registry, "db_read_primary_fallbacks_total", { reason: "no_replica_in_rotation" })).to.equal(undefined);
  });
});
