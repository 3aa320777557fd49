/** ItemCache in Redis; the versioned set and the invalidation marker are Lua scripts, atomic on the server. */
import type { Redis } from "ioredis";
import type { ItemCache } from "../ports.ts";
import { DELETED, decodeItem, encodeItem, jitteredTtlMs } from "./cache-rules.ts";

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
return 1`;

type ScriptedRedis = Redis & {
  itemSetIfNewer(key: string, version: number, value: string, ttlMs: number): Promise<number>;
  itemMarkIfNewer(key: string, minVersion: number, ttlMs: number): Promise<number>;
};

export function createRedisItemCache(redis: Redis, opts: { prefix: string; ttlSeconds: number }): ItemCache {
  redis.defineCommand("itemSetIfNewer", { numberOfKeys: 1, lua: SET_IF_NEWER });
  redis.defineCommand("itemMarkIfNewer", { numberOfKeys: 1, lua: MARK_IF_NEWER });
  const r = redis as ScriptedRedis;
  const keyOf = (id: string) => `${opts.prefix}item:${id}`;
  const mark = (id: string, minVersion: number) => r.itemMarkIfNewer(keyOf(id), minVersion, jitteredTtlMs(opts.ttlSeconds));

  return {
    async get(id) {
      const raw = await r.get(keyOf(id));
      return decodeItem(raw);
    },
    async set(item) {
      return (await r.itemSetIfNewer(keyOf(item.id), item.version, encodeItem(item), jitteredTtlMs(opts.ttlSeconds))) === 1;
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
      return removed;
    },
    async ping() {
      await r.ping();
    },
  };
}
