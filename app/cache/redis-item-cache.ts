/**
 * ItemCache in Redis; the versioned set and the invalidation marker are Lua scripts, atomic on the server. The marker
 * script also publishes "<id> <version>" on the invalidation channel in the same step, so every process's L1 hears
 * of a write that reached Redis.
 */
import type { Redis } from "ioredis";
import type { ItemCache } from "../ports.ts";
import { ABSENT_ENTRY, DELETED, decodeItem, encodeItem, jitteredTtlMs } from "./cache-rules.ts";

/** The pub/sub channel carrying "<id> <minVersion>" for each invalidation (L1 listens to it). */
export const invalidationChannel = (prefix: string) => `${prefix}item-invalidations`;

/** The message on that channel after a flush: every L1 forgets everything. */
export const FLUSH_MESSAGE = "*";

// Same rules as cache-rules.ts maySet/mayMark.
const VERSION_OF = `local function ver(cur) return tonumber(string.match(cur, '^[VT](%d+)')) or 0 end`;
const SET_IF_NEWER = `${VERSION_OF}
local cur = redis.call('GET', KEYS[1])
local v = tonumber(ARGV[1])
if cur then
  local n = ver(cur)
  if string.sub(cur, 1, 1) == 'V' then if n >= v then return 0 end
  elseif n > v then return 0 end
end
redis.call('SET', KEYS[1], ARGV[2], 'PX', ARGV[3])
return 1`;
const MARK_IF_NEWER = `${VERSION_OF}
local cur = redis.call('GET', KEYS[1])
local m = tonumber(ARGV[1])
if cur and ver(cur) >= m then return 0 end
redis.call('SET', KEYS[1], 'T' .. ARGV[1], 'PX', ARGV[2])
redis.call('PUBLISH', ARGV[3], ARGV[4] .. ' ' .. ARGV[1])
return 1`;

type ScriptedRedis = Redis & {
  itemSetIfNewer(key: string, version: number, value: string, ttlMs: number): Promise<number>;
  itemMarkIfNewer(key: string, minVersion: number, ttlMs: number, channel: string, id: string): Promise<number>;
};

export function createRedisItemCache(redis: Redis, opts: { prefix: string; ttlSeconds: number }): ItemCache {
  redis.defineCommand("itemSetIfNewer", { numberOfKeys: 1, lua: SET_IF_NEWER });
  redis.defineCommand("itemMarkIfNewer", { numberOfKeys: 1, lua: MARK_IF_NEWER });
  const r = redis as ScriptedRedis;
  const keyOf = (id: string) => `${opts.prefix}item:${id}`;
  const leaseKeyOf = (id: string) => `${opts.prefix}lease:${id}`;
  const channel = invalidationChannel(opts.prefix);
  const mark = (id: string, minVersion: number) => r.itemMarkIfNewer(keyOf(id), minVersion, jitteredTtlMs(opts.ttlSeconds), channel, id);

  return {
    async get(id) {
      const raw = await r.get(keyOf(id));
      return decodeItem(raw);
    },
    async set(item, json) {
      return (await r.itemSetIfNewer(keyOf(item.id), item.version, encodeItem(item, json), jitteredTtlMs(opts.ttlSeconds))) === 1;
    },
    async setAbsent(id, ttlMs) {
      await r.set(keyOf(id), ABSENT_ENTRY, "PX", ttlMs, "NX");
    },
    async lease(id, ttlMs) {
      return (await r.set(leaseKeyOf(id), "1", "PX", ttlMs, "NX")) === "OK";
    },
    async release(id) {
      await r.del(leaseKeyOf(id));
    },
    async invalidate(id, minVersion) {
      await mark(id, minVersion);
    },
    async remove(id) {
      await mark(id, DELETED);
    },
    async flush() {
      let removed = 0;
      let cursor = "0";
      do {
        const [next, keys] = await r.scan(cursor, "MATCH", `${opts.prefix}item:*`, "COUNT", 500);
        cursor = next;
        if (keys.length) removed += await r.unlink(...keys);
      } while (cursor !== "0");
      await r.publish(channel, FLUSH_MESSAGE);
      return removed;
    },
    async ping() {
      await r.ping();
    },
  };
}
