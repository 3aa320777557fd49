/**
 * L1: a small in-process cache in front of Redis for hot keys (lru-cache, bounded by entries and bytes, short TTL).
 * It follows the same versioned rule as the shared cache: an invalidation heard from any process leaves a marker that
 * refuses older versions, so a reader that fetched v from Redis just before a write cannot put v back here.
 */
import { LRUCache } from "lru-cache";
import type { Redis } from "ioredis";
import type { Logger } from "pino";
import { ABSENT, type CachedItem } from "../ports.ts";

/** json null: an invalidation marker, "nothing below this version". */
type Entry = CachedItem | { version: number; json: null } | typeof ABSENT;

export interface L1Options {
  ttlMs: number;
  maxEntries: number;
  maxBytes: number;
}

export class L1Cache {
  private readonly lru: LRUCache<string, Entry>;
  private readonly listeners = new Set<(id: string, minVersion: number) => void>();

  constructor(opts: L1Options) {
    this.lru = new LRUCache<string, Entry>({
      max: opts.maxEntries,
      maxSize: opts.maxBytes,
      ttl: opts.ttlMs,
      // The JSON dominates an entry; the rest is a rough constant for the key and object overhead.
      sizeCalculation: (e) => (typeof e === "object" && e.json ? e.json.length * 2 : 0) + 128,
    });
  }

  get(id: string): CachedItem | typeof ABSENT | undefined {
    const e = this.lru.get(id);
    return e === undefined || e === ABSENT || e.json !== null ? (e as CachedItem | typeof ABSENT | undefined) : undefined;
  }

  /** Store what the shared cache or the database answered, unless L1 already holds or expects a newer version. */
  set(id: string, value: CachedItem | typeof ABSENT): void {
    const cur = this.lru.get(id);
    if (cur !== undefined && cur !== ABSENT) {
      if (value === ABSENT || value.version < cur.version || (cur.json !== null && value.version === cur.version)) return;
    }
    this.lru.set(id, value);
  }

  /** A write made `minVersion` (Number.MAX_SAFE_INTEGER for a delete): drop anything older, keep a marker. */
  invalidate(id: string, minVersion: number): void {
    const cur = this.lru.get(id);
    if (cur === undefined || cur === ABSENT || cur.version < minVersion) this.lru.set(id, { version: minVersion, json: null });
    for (const listener of this.listeners) listener(id, minVersion);
  }

  /** Called on every invalidation, local or heard from another process. */
  onInvalidate(listener: (id: string, minVersion: number) => void): void {
    this.listeners.add(listener);
  }

  clear(): void {
    this.lru.clear();
  }

  get size(): number {
    return this.lru.size;
  }
}

/**
 * Listen on the invalidation channel (published by the Redis cache's marker script) with a connection of its own.
 * While that connection is down messages are lost, so L1 is emptied whenever it (re)connects.
 */
export async function subscribeInvalidations(redis: Redis, channel: string, l1: L1Cache, logger: Logger): Promise<Redis> {
  const sub = redis.duplicate({ enableOfflineQueue: true });
  sub.on("error", () => undefined); // the main client already reports Redis being away
  sub.on("ready", () => {
    l1.clear();
    sub.subscribe(channel).catch((err: Error) => logger.warn({ err: err.message }, "L1 invalidation subscribe failed"));
  });
  sub.on("message", (_channel: string, message: string) => {
    const space = message.lastIndexOf(" ");
    const version = Number(message.slice(space + 1));
    if (space > 0 && Number.isSafeInteger(version)) l1.invalidate(message.slice(0, space), version);
  });
  await sub.connect().catch(() => undefined);
  return sub;
}
