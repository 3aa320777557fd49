/**
 * Faults with throwaway servers: Redis killed mid-test, the database stopped. Reads keep working where they can,
 * writes fail closed with 503 + Retry-After, nothing acknowledged is lost or half-written, and sessions outlive Redis.
 */
import { expect } from "chai";
import { startMariaDb, startRedis, type MariaDbServer, type RedisServer } from "../support/servers.ts";
import { createItem, expectProblem, json, newUser, startApp, type Harness, type ItemBody } from "./support.ts";
import { eventually } from "../support/eventually.ts";

describe("faults: Redis killed mid-test", function () {
  this.timeout(60_000);
  let redis: RedisServer;
  let h: Harness;
  before(async () => {
    redis = await startRedis();
    // The limiter is on: with its store gone it must let requests through (fail open), not fail them.
    // L1 off: this test is about what happens when reads reach a dead Redis.
    h = await startApp("servers", { redisUrl: redis.url, env: { RATE_LIMIT_PER_MINUTE: "10000", CACHE_L1_TTL_MS: "0" } });
  });
  after(async () => {
    await h?.close();
    await redis?.stop();
  });

  it("serves reads from the database (X-Cache: bypass), refuses writes with 503, and recovers", async () => {
    const u = await newUser(h.app);
    const item = await createItem(h.app, u.auth, "survives");
    await h.app.request(`/v1/items/${item.id}`);
    expect((await h.app.request(`/v1/items/${item.id}`)).headers.get("x-cache")).to.equal("hit");

    await redis.kill();
    const read = await h.app.request(`/v1/items/${item.id}`);
    expect(read.status).to.equal(200);
    expect(read.headers.get("x-cache")).to.equal("bypass");
    expect(((await read.json()) as ItemBody).content).to.equal("survives");
    const list = await h.app.request(`/v1/users/${u.id}/items`);
    expect(list.status).to.equal(200);

    // Sessions fail closed: nobody gets in while the session store cannot be asked.
    const write = await h.app.request("/v1/items", { method: "POST", ...json({ content: "nope" }, u.auth) });
    await expectProblem(write, 503);
    expect(write.headers.get("retry-after")).to.match(/^\d+$/);
    const login = await h.app.request("/v1/sessions", { method: "POST", ...json({ username: u.username, password: "correct-horse" }) });
    await expectProblem(login, 503);
    const ready = await expectProblem(await h.app.request("/readyz"), 503);
    expect(ready.detail).to.contain("cache");

    await redis.start();
    // Redis restarted empty: the session comes back from the database (its durable record), a new login works, and
    // the cache fills again.
    await eventually("Redis reconnect", async () => ((await h.app.request("/readyz")).status === 200 ? true : undefined));
    expect((await h.app.request("/v1/items", { method: "POST", ...json({ content: "x" }, u.auth) })).status).to.equal(201);
    const again = await h.app.request("/v1/sessions", { method: "POST", ...json({ username: u.username, password: "correct-horse" }) });
    expect(again.status).to.equal(201);
    expect((await h.app.request(`/v1/items/${item.id}`)).headers.get("x-cache")).to.equal("miss");
    expect((await h.app.request(`/v1/items/${item.id}`)).headers.get("x-cache")).to.equal("hit");
  });
});

describe("faults: the database stopped", function () {
  this.timeout(90_000);
  let db: MariaDbServer;
  let h: Harness;
  before(async () => {
    db = await startMariaDb();
    h = await startApp("servers", { mariadbUrl: db.url });
  });
  after(async () => {
    await h?.close();
    await db?.stop();
  });

  it("serves cached reads, answers misses and writes with 503 + Retry-After, and loses no acknowledged write", async () => {
    const u = await newUser(h.app);
    const cached = await createItem(h.app, u.auth, "cached");
    const uncached = await createItem(h.app, u.auth, "uncached");
    await h.app.request(`/v1/items/${cached.id}`);

    await db.kill();
    const hit = await h.app.request(`/v1/items/${cached.id}`);
    expect(hit.status).to.equal(200);
    expect(hit.headers.get("x-cache")).to.match(/^(hit|l1)$/);
    for (const res of [
      await h.app.request(`/v1/items/${uncached.id}`),
      await h.app.request("/v1/items", { method: "POST", ...json({ content: "lost?" }, u.auth) }),
      await h.app.request(`/v1/items/${cached.id}`, { method: "PUT", ...json({ content: "lost?" }, u.auth) }),
      await h.app.request(`/v1/users/${u.id}/items`),
    ]) {
      const p = await expectProblem(res, 503);
      expect(p.detail).to.contain("database");
      expect(res.headers.get("retry-after")).to.match(/^\d+$/);
    }
    expect((await expectProblem(await h.app.request("/readyz"), 503)).detail).to.contain("database");

    await db.start();
    const after = await eventually("a write after the restart", async () => {
      const res = await h.app.request("/v1/items", { method: "POST", ...json({ content: "after" }, u.auth) });
      return res.status === 201 ? ((await res.json()) as ItemBody) : undefined;
    });
    const list = (await (await h.app.request(`/v1/users/${u.id}/items`)).json()) as { items: ItemBody[] };
    // exactly the acknowledged writes: nothing from the refused POST, nothing lost
    expect(list.items.map((i) => i.content)).to.deep.equal(["after", "uncached", "cached"]);
    expect(list.items[0]!.id).to.equal(after.id);
    expect(list.items.find((i) => i.id === cached.id)!.version).to.equal(1);
  });
});
