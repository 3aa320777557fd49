/** The Redis session store against the shared Redis: a session's write records survive concurrent writers. */
import { expect } from "chai";
import { randomBytes } from "node:crypto";
import { Redis } from "ioredis";
import { createRedisSessionStore } from "../../../app/sessions/redis-session-store.ts";
import { hashToken } from "../../../app/sessions/session-token.ts";
import { SHARED_REDIS } from "../support.ts";

describe("Redis session store", function () {
  this.timeout(20_000);
  const prefix = `test:sessions:${randomBytes(4).toString("hex")}:`;
  // Two clients and two stores: two app processes writing for one session at the same time.
  const clients = [new Redis(SHARED_REDIS, { lazyConnect: true }), new Redis(SHARED_REDIS, { lazyConnect: true })];
  const stores = clients.map((c) => createRedisSessionStore(c, { prefix, ttlSeconds: 60 }));

  after(async () => {
    const keys = await clients[0]!.keys(`${prefix}*`);
    if (keys.length) await clients[0]!.del(...keys);
    await Promise.all(stores.map((s) => s.close?.()));
    await Promise.all(clients.map((c) => c.quit()));
  });

  it("keeps every write of one session recorded by two processes at once, and the newest GTID", async () => {
    await Promise.all(clients.map((c) => c.connect()));
    const { token } = await stores[0]!.create({ userId: "u1", username: "alice" });
    const writes = Array.from({ length: 40 }, (_, i) => ({ itemId: `item-${i}`, version: 1, gtid: `0-1-${100 + i}` }));
    await Promise.all(writes.map((w, i) => stores[i % 2]!.recordWrite(hashToken(token), w)));
    const session = await stores[1]!.get(token);
    expect(Object.keys(session?.recentWrites ?? {})).to.have.length(32); // the newest 32 of 40, none lost to a race
    expect(session?.lastWriteGtid).to.equal("0-1-139");
  });

  it("records nothing for a session that has ended, and does not bring it back", async () => {
    const { token } = await stores[0]!.create({ userId: "u2", username: "bob" });
    await stores[0]!.delete(token);
    await stores[1]!.recordWrite(hashToken(token), { itemId: "x", version: 1, gtid: null });
    expect(await stores[0]!.get(token)).to.equal(null);
  });
});
