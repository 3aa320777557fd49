/**
 * The versioned-set rule, on both cache adapters: a set never replaces a newer version with an older one, an
 * invalidation marker refuses versions below it, a delete marker refuses everything.
 */
import { expect } from "chai";
import { randomBytes } from "node:crypto";
import { Redis } from "ioredis";
import { createRedisItemCache } from "../../../app/cache/redis-item-cache.ts";
import { createMemoryItemCache } from "../../../app/cache/memory-item-cache.ts";
import type { Item, ItemCache } from "../../../app/ports.ts";
import { SHARED_REDIS } from "../support.ts";

const item = (version: number, id = "0190-item"): Item => ({
  id,
  ownerId: "owner",
  content: `v${version}`,
  version,
  createdAt: "2026-01-01T00:00:00.000Z",
  updatedAt: "2026-01-01T00:00:00.000Z",
});

function describeCache(name: string, make: () => Promise<{ cache: ItemCache; close(): Promise<void> }>) {
  describe(`${name} item cache`, () => {
    let cache: ItemCache;
    let close: () => Promise<void>;
    beforeEach(async () => {
      ({ cache, close } = await make());
    });
    afterEach(async () => close());

    it("stores an item and never replaces it with an older or equal version", async () => {
      expect(await cache.set(item(2))).to.equal(true);
      expect(await cache.set(item(1))).to.equal(false);
      expect(await cache.set(item(2))).to.equal(false);
      expect(JSON.parse((await cache.get("0190-item"))!.json)).to.deep.equal(item(2));
      expect(await cache.set(item(3))).to.equal(true);
      expect((await cache.get("0190-item"))?.version).to.equal(3);
    });

    it("after invalidate(id, v) reads miss and only version v or newer may be stored (the stale-set race)", async () => {
      await cache.set(item(1));
      await cache.invalidate("0190-item", 2); // a write committed version 2
      expect(await cache.get("0190-item")).to.equal(null);
      expect(await cache.set(item(1))).to.equal(false); // a slow reader still holding v1
      expect(await cache.set(item(2))).to.equal(true);
      await cache.invalidate("0190-item", 2); // a late duplicate invalidation does not evict v2
      expect((await cache.get("0190-item"))?.version).to.equal(2);
    });

    it("after remove(id) refuses every set, so a deleted item is not put back", async () => {
      await cache.set(item(4));
      await cache.remove("0190-item");
      expect(await cache.get("0190-item")).to.equal(null);
      expect(await cache.set(item(4))).to.equal(false);
      expect(await cache.set(item(999))).to.equal(false);
    });

    it("flushes every item entry", async () => {
      await cache.set(item(1, "a"));
      await cache.set(item(1, "b"));
      expect(await cache.flush()).to.equal(2);
      expect(await cache.get("a")).to.equal(null);
    });
  });
}

describeCache("in-process", async () => ({ cache: createMemoryItemCache({ ttlSeconds: 60 }), close: async () => undefined }));

describeCache("Redis", async () => {
  const redis = new Redis(SHARED_REDIS);
  const prefix = `cachetest:${randomBytes(4).toString("hex")}:`;
  return {
    cache: createRedisItemCache(redis, { prefix, ttlSeconds: 60 }),
    async close() {
      const keys = await redis.keys(`${prefix}*`);
      if (keys.length) await redis.del(...keys);
      redis.disconnect();
    },
  };
});
