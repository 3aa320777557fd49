/** ItemCache in this process (the embedded default): lru-cache bounded by entries, same versioned-set rule. */
import { LRUCache } from "lru-cache";
import type { ItemCache } from "../ports.ts";
import { ABSENT_ENTRY, DELETED, decodeItem, encodeItem, jitteredTtlMs, mayMark, maySet } from "./cache-rules.ts";

export function createMemoryItemCache(opts: { ttlSeconds: number; maxEntries?: number }): ItemCache {
  const lru = new LRUCache<string, string>({ max: opts.maxEntries ?? 50_000, ttl: opts.ttlSeconds * 1000 });
  const mark = (id: string, minVersion: number) => {
    if (mayMark(lru.get(id), minVersion)) lru.set(id, `T${minVersion}`, { ttl: jitteredTtlMs(opts.ttlSeconds) });
  };
  return {
    async get(id) {
      return decodeItem(lru.get(id));
    },
    peek(id) {
      return decodeItem(lru.get(id));
    },
    async set(item, json) {
      if (!maySet(lru.get(item.id), item.version)) return false;
      lru.set(item.id, encodeItem(item, json), { ttl: jitteredTtlMs(opts.ttlSeconds) });
      return true;
    },
    async setAbsent(id, ttlMs) {
      if (!lru.has(id)) lru.set(id, ABSENT_ENTRY, { ttl: ttlMs });
    },
    // One process: the service's in-process single-flight already makes one filler per key.
    async lease() {
      return true;
    },
    async release() {},
    async invalidate(id, minVersion) {
      mark(id, minVersion);
    },
    async remove(id) {
      mark(id, DELETED);
    },
    async flush() {
      const n = lru.size;
      lru.clear();
      return n;
    },
    async ping() {},
  };
}
