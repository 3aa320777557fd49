/**
 * The service on a real primary with a real replica (issue 4, replicas): item reads and lists come from the replica,
 * a session reads its own writes through a lagging replica, and /metrics shows each replica's lag and state.
 */
import { expect } from "chai";
import { randomBytes } from "node:crypto";
import { Redis } from "ioredis";
import { loadConfig } from "../../app/config.ts";
import { buildDeps, type Deps } from "../../app/wiring.ts";
import { createApp, type App } from "../../app/app.ts";
import { startReplicaSet, type ReplicaSet } from "../support/replication.ts";
import { createItem, newUser, SHARED_REDIS, type ItemBody } from "./support.ts";

async function eventually(what: string, probe: () => Promise<boolean>, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await probe()) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`timed out waiting until ${what}`);
}

describe("the service on a primary with a read replica", function () {
  this.timeout(120_000);
  const database = "replica_reads";
  const prefix = `replicatest:${randomBytes(4).toString("hex")}:`;
  let set: ReplicaSet;
  let deps: Deps;
  let app: App;

  async function start(maxLagSeconds: number) {
    deps = await buildDeps(
      loadConfig({
        LOG_LEVEL: "silent",
        RATE_LIMIT_PER_MINUTE: "0",
        DATABASE_URL: `${set.primary.url}/${database}`,
        DATABASE_REPLICA_URLS: `${set.replica(0).url}/${database}`,
        DATABASE_REPLICA_MAX_LAG_SECONDS: String(maxLagSeconds),
        DATABASE_REPLICA_CHECK_INTERVAL_MS: "150",
        DATABASE_REPLICA_GTID_WAIT_MS: "100",
        REDIS_URL: SHARED_REDIS,
        REDIS_KEY_PREFIX: prefix,
      }),
    );
    app = createApp(deps);
    await set.waitAllCaughtUp();
    await eventually("the replica is in rotation", async () => (await metricsText()).includes(`db_replica_in_rotation{replica="127.0.0.1:${set.replica(0).port}"} 1`));
  }

  const metricsText = async () => (await app.request("/metrics")).text();
  const metricValue = async (name: string, labels: string) => {
    const line = (await metricsText()).split("\n").find((l) => l.startsWith(`${name}{${labels}}`));
    return line === undefined ? undefined : Number(line.split(" ").at(-1));
  };
  const replicaLabel = () => `replica="127.0.0.1:${set.replica(0).port}"`;

  before(async () => {
    set = await startReplicaSet({ replicas: 1, database });
  });
  afterEach(async () => {
    await deps?.close();
    await set.startSqlThread(0);
    await set.waitAllCaughtUp();
  });
  after(async () => {
    const redis = new Redis(SHARED_REDIS);
    const keys = await redis.keys(`${prefix}*`);
    if (keys.length) await redis.del(...keys);
    redis.disconnect();
    await set?.stop();
  });

  it("serves a session's own writes through a lagging replica, for items and lists; others see the replica", async () => {
    // A loose lag bound keeps the lagging replica in rotation: only the session's GTID protects its reads.
    await start(3600);
    const u = await newUser(app);
    const before = await createItem(app, u.auth, "before the lag");
    await set.waitAllCaughtUp();
    await set.stopSqlThread(0);

    const item = await createItem(app, u.auth, "written while the replica lags");
    const read = await app.request(`/v1/items/${item.id}`, { headers: u.auth });
    expect(read.status).to.equal(200);
    expect(((await read.json()) as ItemBody).content).to.equal("written while the replica lags");

    const list = await app.request(`/v1/users/${u.id}/items`, { headers: u.auth });
    expect(((await list.json()) as { items: ItemBody[] }).items.map((i) => i.id)).to.deep.equal([item.id, before.id]);

    const put = await app.request(`/v1/items/${before.id}`, {
      method: "PUT",
      headers: { ...u.auth, "content-type": "application/json" },
      body: JSON.stringify({ content: "updated while lagging" }),
    });
    expect(put.status).to.equal(200);
    const reread = (await (await app.request(`/v1/items/${before.id}`, { headers: u.auth })).json()) as ItemBody;
    expect(reread).to.include({ version: 2, content: "updated while lagging" });

    // Someone without the session reads the list from the lagging replica: the new item is not there yet,
    // which is what makes the checks above mean something.
    const anonymous = await app.request(`/v1/users/${u.id}/items`);
    expect(((await anonymous.json()) as { items: ItemBody[] }).items.map((i) => i.id)).to.deep.equal([before.id]);
    expect(await metricValue("db_read_primary_fallbacks_total", 'reason="gtid_wait_timeout"')).to.be.at.least(2);
    expect(await metricValue("db_reads_total", replicaLabel().replace("replica=", "target="))).to.be.at.least(1);
  });

  it("takes the lagging replica out of rotation as its lag in /metrics rises, and back when it catches up", async () => {
    await start(1);
    const u = await newUser(app);
    await set.stopSqlThread(0);
    await eventually("the replica leaves rotation", async () => (await metricValue("db_replica_in_rotation", replicaLabel())) === 0);
    expect(await metricValue("db_replica_lag_seconds", replicaLabel())).to.be.above(1);

    const item = await createItem(app, u.auth, "read from the primary");
    const list = await app.request(`/v1/users/${u.id}/items`);
    expect(((await list.json()) as { items: ItemBody[] }).items.map((i) => i.id)).to.deep.equal([item.id]);
    expect(await metricValue("db_read_primary_fallbacks_total", 'reason="no_replica_in_rotation"')).to.be.at.least(1);

    await set.startSqlThread(0);
    await eventually("the replica is back in rotation", async () => (await metricValue("db_replica_in_rotation", replicaLabel())) === 1);
    expect(await metricValue("db_replica_lag_seconds", replicaLabel())).to.be.below(1);
  });
});
