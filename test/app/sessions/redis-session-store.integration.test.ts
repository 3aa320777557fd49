/**
 * The Redis session store against the shared Redis, in front of a real database (SQLite in a temp folder): a
 * session's write records survive concurrent writers; the database row is the durable record behind Redis.
 */
import { expect } from "chai";
import { randomBytes } from "node:crypto";
import { Redis } from "ioredis";
import { openDatabase, type DbHandle } from "../../../app/db/connect.ts";
import { migrateWith } from "../../../app/db/migrate.ts";
import { createRedisSessionStore } from "../../../app/sessions/redis-session-store.ts";
import { createDbSessionStore } from "../../../app/sessions/db-session-store.ts";
import { createSessionRepository, type SessionRecords } from "../../../app/sessions/session.repository.ts";
import { hashToken } from "../../../app/sessions/session-token.ts";
import type { SessionStore } from "../../../app/ports.ts";
import { tempDir } from "../../support/tmp.ts";
import { SHARED_REDIS } from "../support.ts";

describe("Redis session store", function () {
  this.timeout(20_000);
  const prefix = `test:sessions:${randomBytes(4).toString("hex")}:`;
  // Two clients and two stores: two app processes writing for one session at the same time.
  const clients = [new Redis(SHARED_REDIS, { lazyConnect: true }), new Redis(SHARED_REDIS, { lazyConnect: true })];
  let handle: DbHandle;
  let records: SessionRecords;
  let stores: SessionStore[];

  before(async () => {
    handle = openDatabase({ dataDir: tempDir("scale-sessions") });
    await migrateWith(handle);
    records = createSessionRepository(handle);
    await Promise.all(clients.map((c) => c.connect()));
    stores = clients.map((c) => createRedisSessionStore(c, records, { prefix, ttlSeconds: 60 }));
  });
  after(async () => {
    const keys = await clients[0]!.keys(`${prefix}*`);
    if (keys.length) await clients[0]!.del(...keys);
    await Promise.all(stores.map((s) => s.close?.()));
    await Promise.all(clients.map((c) => c.quit()));
    await handle.close();
  });
  const keyOf = (token: string) => `${prefix}sess:${hashToken(token)}`;

  it("keeps every write of one session recorded by two processes at once, and the newest GTID", async () => {
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
    expect(await records.find(hashToken(token))).to.equal(null);
  });

  it("finds a session Redis lost in the database, and puts it back in Redis", async () => {
    const { token } = await stores[0]!.create({ userId: "u3", username: "carol" });
    await clients[0]!.del(keyOf(token)); // a Redis restarted empty
    const session = await stores[1]!.get(token);
    expect(session).to.include({ userId: "u3", username: "carol" });
    expect(await clients[0]!.get(keyOf(token))).to.be.a("string").and.contain("carol");
  });

  it("serves a session made without Redis (the database store), and a logout through Redis ends it there too", async () => {
    const withoutRedis = createDbSessionStore(records, { ttlSeconds: 60 });
    const { token } = await withoutRedis.create({ userId: "u4", username: "dave" });
    expect(await stores[0]!.get(token)).to.include({ userId: "u4" });
    await stores[0]!.delete(token);
    expect(await withoutRedis.get(token)).to.equal(null);
    expect(await stores[1]!.get(token)).to.equal(null);
  });

  it("remembers an unknown token briefly, so a flood of made-up tokens does not each reach the database", async () => {
    const token = randomBytes(32).toString("base64url");
    expect(await stores[0]!.get(token)).to.equal(null);
    expect(await clients[0]!.get(keyOf(token))).to.equal("-");
    expect(await clients[0]!.pttl(keyOf(token))).to.be.within(1, 60_000);
  });
});
