/**
 * L1: an in-process cache in front of Redis for hot keys (lru-cache, bounded by entries and bytes and a TTL).
 * It follows the same versioned rule as the shared cache: an invalidation heard from any process leaves a marker that
 * refuses older versions, so a reader that fetched v from Redis just before a write cannot put v back here.
 *
 * L1 is only as fresh as the invalidation feed that reaches it, so it is used only while that feed is known to be
 * live: it starts suspended, is resumed once the subscription is confirmed, and is emptied and suspended the moment
 * the feed's connection drops or stops answering its heartbeat. Its TTL is then a bound on memory and on a lost
 * message, not the usual staleness: a write is dropped from every process's L1 as soon as its message arrives.
 */
import { LRUCache } from "lru-cache";
import type { Redis } from "ioredis";
import type { Logger } from "pino";
import { ABSENT, type CachedItem } from "../ports.ts";
import { FLUSH_MESSAGE } from "./redis-item-cache.ts";

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
  private live = false;
  /** Bumped at every suspension: a value read before one may predate a message that was lost, and is not kept. */
  private suspensions = 0;

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
    if (!this.live) return undefined;
    const e = this.lru.get(id);
    return e === undefined || e === ABSENT || e.json !== null ? (e as CachedItem | typeof ABSENT | undefined) : undefined;
  }

  /** Where a read of the shared cache starts: set() refuses its answer if the feed was suspended since. */
  get epoch(): number {
    return this.suspensions;
  }

  /** Store what the shared cache or the database answered, unless L1 already holds or expects a newer version. */
  set(id: string, value: CachedItem | typeof ABSENT, epoch: number): void {
    if (!this.live || epoch !== this.suspensions) return;
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

  /** The feed is down or silent: forget everything and answer nothing until it is back. */
  suspend(): void {
    this.live = false;
    this.flush();
  }

  /** The shared cache was flushed: forget everything, including values being read from it right now. */
  flush(): void {
    this.suspensions++;
    this.lru.clear();
  }

  /** The feed is confirmed live (subscribed, or its heartbeat answered): messages are arriving again. */
  resume(): void {
    this.live = true;
  }

  get isLive(): boolean {
    return this.live;
  }

  get size(): number {
    return this.lru.size;
  }
}

export interface FeedOptions {
  /** How often the feed's connection is pinged. */
  heartbeatMs: number;
  /** A ping unanswered this long suspends L1: messages may be stuck behind it. */
  silentMs: number;
}

export const FEED_DEFAULTS: FeedOptions = { heartbeatMs: 1000, silentMs: 3000 };

/**
 * Listen on the invalidation channel (published by the Redis cache's marker script) with a connection of its own.
 * Messages published while that connection is down are lost, so L1 is suspended (and emptied) when it closes and
 * resumed only once the channel is subscribed again. A connection that is up but silent (a stalled network path)
 * is caught by a heartbeat: Redis answers a PING on the same stream as the messages, after every message published
 * before it, so while pings come back within `silentMs` no invalidation is held up longer than that.
 */
export async function subscribeInvalidations(redis: Redis, channel: string, l1: L1Cache, logger: Logger, feed: FeedOptions = FEED_DEFAULTS) {
  const sub = redis.duplicate({ enableOfflineQueue: true });
  let subscribed = false;
  let pingSentAt: number | undefined;
  const down = () => {
    subscribed = false;
    pingSentAt = undefined;
    l1.suspend();
  };
  sub.on("error", () => undefined); // the main client already reports Redis being away
  sub.on("close", down);
  let firstSubscribed: () => void = () => undefined;
  const subscribedOnce = new Promise<void>((resolve) => (firstSubscribed = resolve));
  sub.on("ready", () => {
    sub.subscribe(channel).then(
      () => {
        subscribed = true;
        l1.resume();
        firstSubscribed();
      },
      (err: Error) => logger.warn({ err: err.message }, "L1 invalidation subscribe failed; L1 stays off until it succeeds"),
    );
  });
  sub.on("message", (_channel: string, message: string) => {
    if (message === FLUSH_MESSAGE) return l1.flush();
    const space = message.lastIndexOf(" ");
    const version = Number(message.slice(space + 1));
    if (space > 0 && Number.isSafeInteger(version)) l1.invalidate(message.slice(0, space), version);
  });
  const heartbeat = setInterval(() => {
    if (!subscribed) return;
    if (pingSentAt !== undefined) {
      if (l1.isLive && performance.now() - pingSentAt > feed.silentMs) {
        logger.warn({ silentMs: feed.silentMs }, "L1 invalidation feed silent; L1 suspended until it answers");
        l1.suspend();
      }
      return;
    }
    const sentAt = (pingSentAt = performance.now());
    sub.ping().then(
      () => {
        if (pingSentAt !== sentAt) return; // the connection was lost meanwhile
        pingSentAt = undefined;
        if (subscribed && !l1.isLive) l1.resume();
      },
      () => undefined,
    );
  }, feed.heartbeatMs).unref();
  // Started with Redis up, L1 is in use from the first request; with Redis down it starts off and follows the feed.
  await sub.connect().then(() => subscribedOnce, () => undefined);
  return {
    async close() {
      clearInterval(heartbeat);
      sub.disconnect();
    },
  };
}
