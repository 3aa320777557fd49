/**
 * Sessions across stage moves, in-process on the shared MariaDB and Redis: a token issued with sessions in the
 * database (no Redis, stages 0-2) works once Redis is configured (stage 3 and up), and one issued with Redis works
 * without it; a logout on either ends it on both. Two processes without Redis keep read-your-writes through the
 * session's record in the database, although each has its own in-process cache.
 */
import { expect } from "chai";
import { Redis } from "ioredis";
import { hashToken } from "../../../app/sessions/session-token.ts";
import { createItem, expectProblem, json, newUser, SHARED_REDIS, startApp, type Harness, type ItemBody } from "../support.ts";

describe("sessions across stage moves", function () {
  this.timeout(60_000);
  let noRedis: Harness;
  let withRedis: Harness;
  let noRedisB: Harness;
  before(async () => {
    noRedis = await startApp("servers", { redisUrl: null });
    withRedis = await startApp("servers", { names: noRedis.names! });
    noRedisB = await startApp("servers", { redisUrl: null, names: noRedis.names! });
  });
  after(async () => {
    await noRedisB?.close();
    await withRedis?.close();
    await noRedis?.close();
  });

  const write = (h: Harness, auth: Record<string, string>) => h.app.request("/v1/items", { method: "POST", ...json({ content: "moved" }, auth) });
  const logout = (h: Harness, auth: Record<string, string>) => h.app.request("/v1/sessions/current", { method: "DELETE", headers: auth });

  it("keeps a login made without Redis once Redis is configured, and a logout there ends it everywhere", async () => {
    const u = await newUser(noRedis.app);
    expect((await write(withRedis, u.auth)).status).to.equal(201);
    expect((await logout(withRedis, u.auth)).status).to.equal(204);
    await expectProblem(await write(noRedis, u.auth), 401);
    await expectProblem(await write(withRedis, u.auth), 401);
  });

  it("keeps a login made with Redis once Redis is gone; a logout there ends the Redis copy at its next recheck", async () => {
    const u = await newUser(withRedis.app);
    expect((await write(noRedis, u.auth)).status).to.equal(201);
    expect((await logout(noRedis, u.auth)).status).to.equal(204);
    await expectProblem(await write(noRedis, u.auth), 401);
    // A process with Redis (the same rolling move) trusts its copy until it is due for a recheck against the row...
    expect((await write(withRedis, u.auth)).status).to.equal(201);
    // ...which the test brings forward instead of waiting SESSION_RECHECK_MS.
    const redis = new Redis(SHARED_REDIS);
    try {
      await redis.del(`${noRedis.names!.prefix}sess-ok:${hashToken(u.token)}`);
    } finally {
      redis.disconnect();
    }
    await expectProblem(await write(withRedis, u.auth), 401);
  });

  it("without Redis, a session reads its own write from another process whose cache holds the older version", async () => {
    const u = await newUser(noRedis.app);
    const item = await createItem(noRedis.app, u.auth, "v1");
    const path = `/v1/items/${item.id}`;
    await noRedisB.app.request(path); // B caches version 1
    expect((await noRedisB.app.request(path)).headers.get("x-cache")).to.equal("hit");
    const put = await noRedis.app.request(path, { method: "PUT", ...json({ content: "v2" }, u.auth) });
    expect(put.status).to.equal(200);

    // Anyone else may get B's cached copy until its TTL (the "no stale cache" bound)...
    expect(((await (await noRedisB.app.request(path)).json()) as ItemBody).version).to.equal(1);
    // ...but not the writer: its session's record, in the database, makes B refuse the older copy.
    const own = await noRedisB.app.request(path, { headers: u.auth });
    expect(((await own.json()) as ItemBody).version).to.equal(2);
  });
});
