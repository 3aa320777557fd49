/**
 * The item read path, the hottest code in the service: L1 → shared cache → database, with
 * - single-flight: concurrent misses on one id in this process share one load;
 * - a fill lease in the shared cache: across processes one loader per cold id, the others poll the cache briefly
 *   (bounded by fillWaitMs) and then read the database themselves;
 * - negative entries for ids the database does not have;
 * - a floor per id for invalidations that did not reach the cache (Redis blip after a commit): this process never
 *   serves an older cached version than its own committed write, and retries the marker until it lands;
 * - the session's own floors (`Session.recentWrites`): whichever process serves it, a session is never answered from
 *   a cached copy older than what it wrote, even while another process's L1 or a missed marker still holds one.
 */
import type { Deps } from "../wiring.ts";
import type { CacheResult } from "../health/metrics.ts";
import type { L1Cache } from "../cache/l1-cache.ts";
import { DELETED } from "../cache/cache-rules.ts";
import { ABSENT, type CachedItem, type ReadContext } from "../ports.ts";

export interface ReadResult {
  item: CachedItem | null;
  cache: CacheResult;
}

export interface ReaderOptions {
  l1: L1Cache | null;
  negativeTtlMs: number;
  leaseMs: number;
  fillWaitMs: number;
  /** How long an unconfirmed invalidation is retried: the shared cache's TTL, after which the old entry is gone. */
  floorTtlMs: number;
}

const FILL_POLL_MS = 10;
const RETRY_MS = 500;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const atLeast = (hit: CachedItem | typeof ABSENT, floor: number) => (hit === ABSENT ? floor === DELETED : hit.version >= floor);

export function createItemReader(deps: Pick<Deps, "items" | "cache" | "metrics" | "logger">, opts: ReaderOptions) {
  const { items, cache, metrics } = deps;
  const { l1 } = opts;
  const inflight = new Map<string, Promise<ReadResult>>();
  const floors = new Map<string, { version: number; until: number }>();
  let retryTimer: NodeJS.Timeout | undefined;

  // A write (here or, through L1's channel, elsewhere) makes any load already in flight for that id too old to join.
  l1?.onInvalidate((id) => inflight.delete(id));

  /** Is a cached answer at least as new as this process's unconfirmed write of the id, and the session's own write? */
  function fresh(id: string, hit: CachedItem | typeof ABSENT, own: number | undefined): boolean {
    if (own !== undefined && !atLeast(hit, own)) return false;
    if (floors.size === 0) return true;
    const floor = floors.get(id)?.version;
    return floor === undefined || atLeast(hit, floor);
  }

  async function fromDatabase(id: string, ctx: ReadContext, cacheUp: boolean, epoch: number): Promise<ReadResult> {
    metrics.dbReads.inc();
    const item = await items.findById(id, ctx);
    // Serialised once: the cache stores and the response sends these same bytes.
    const cached = item ? { version: item.version, json: JSON.stringify(item) } : null;
    if (cacheUp) {
      if (item) {
        if (cached && (await cache.set(item, cached.json).catch(() => false))) l1?.set(id, cached, epoch);
      } else if (opts.negativeTtlMs > 0) {
        await cache.setAbsent(id, opts.negativeTtlMs).catch(() => undefined);
      }
    }
    return { item: cached, cache: cacheUp ? "miss" : "bypass" };
  }

  /** Another process holds the fill lease: poll the cache until it has filled it, for at most fillWaitMs. */
  async function awaitFill(id: string, own: number | undefined, epoch: number): Promise<ReadResult | null> {
    const deadline = Date.now() + opts.fillWaitMs;
    while (Date.now() < deadline) {
      await sleep(FILL_POLL_MS);
      const hit = await cache.get(id).catch(() => null);
      if (hit !== null && fresh(id, hit, own)) {
        l1?.set(id, hit, epoch);
        return { item: hit === ABSENT ? null : hit, cache: "hit" };
      }
    }
    return null;
  }

  async function load(id: string, ctx: ReadContext, own: number | undefined): Promise<ReadResult> {
    const epoch = l1?.epoch ?? 0;
    let cacheUp = true;
    try {
      const hit = await cache.get(id);
      if (hit !== null && fresh(id, hit, own)) {
        l1?.set(id, hit, epoch);
        return { item: hit === ABSENT ? null : hit, cache: "hit" };
      }
    } catch {
      cacheUp = false;
    }
    if (!cacheUp) return fromDatabase(id, ctx, false, epoch);
    // null: the lease could not be asked (Redis just went away); read the database rather than wait on nothing.
    const leased = await cache.lease(id, opts.leaseMs).catch(() => null);
    if (leased === false) {
      const filled = await awaitFill(id, own, epoch);
      if (filled) return filled;
    }
    try {
      return await fromDatabase(id, ctx, true, epoch);
    } finally {
      if (leased) void cache.release(id).catch(() => undefined);
    }
  }

  function retryFloors() {
    retryTimer = undefined;
    const now = Date.now();
    for (const [id, floor] of floors) {
      if (floor.until < now) {
        floors.delete(id);
        continue;
      }
      const mark = floor.version === DELETED ? cache.remove(id) : cache.invalidate(id, floor.version);
      mark.then(
        () => floors.get(id) === floor && floors.delete(id),
        () => undefined,
      );
    }
    if (floors.size > 0) retryTimer = setTimeout(retryFloors, RETRY_MS).unref();
  }

  /** What memory answers when it is fresh for `own`: L1, or an in-process shared cache (the embedded default). */
  function fromMemory(id: string, own: number | undefined): ReadResult | undefined {
    const near = l1?.get(id);
    if (near !== undefined) return fresh(id, near, own) ? { item: near === ABSENT ? null : near, cache: "l1" } : undefined;
    const local = cache.peek?.(id);
    if (local != null && fresh(id, local, own)) return { item: local === ABSENT ? null : local, cache: "hit" };
    return undefined;
  }

  return {
    /**
     * An anonymous read of an item memory holds, without a promise, when `mayAnswer` (asked only then) agrees;
     * undefined: read() it. Counted in the cache metrics only when answered, so a read that falls back is counted once.
     */
    peek(id: string, mayAnswer?: () => boolean): (ReadResult & { item: CachedItem }) | undefined {
      const result = fromMemory(id, undefined);
      if (!result?.item || (mayAnswer && !mayAnswer())) return undefined;
      metrics.cacheRequests.inc(result.cache);
      return result as ReadResult & { item: CachedItem };
    },

    async read(id: string, ctx: ReadContext): Promise<ReadResult> {
      const own = ctx.session?.recentWrites?.[id];
      let result = fromMemory(id, own);
      if (!result && (own !== undefined || ctx.session?.lastWriteGtid)) {
        // A session that has written reads on its own: a shared load may have started before its write.
        result = await load(id, ctx, own);
      } else if (!result) {
        let flight = inflight.get(id);
        if (!flight) {
          flight = load(id, ctx, undefined).finally(() => {
            if (inflight.get(id) === flight) inflight.delete(id);
          });
          inflight.set(id, flight);
        }
        result = await flight;
      }
      metrics.cacheRequests.inc(result.cache);
      return result;
    },

    /** After a commit of `version` (DELETED for a delete): L1 and in-flight loads forget older versions at once. */
    written(id: string, version: number) {
      inflight.delete(id);
      l1?.invalidate(id, version);
    },

    /** The shared cache did not take the marker for a committed write: hold a floor and retry in the background. */
    unconfirmed(id: string, version: number) {
      const cur = floors.get(id);
      if (!cur || cur.version < version) floors.set(id, { version, until: Date.now() + opts.floorTtlMs });
      retryTimer ??= setTimeout(retryFloors, RETRY_MS).unref();
    },
  };
}

export type ItemReader = ReturnType<typeof createItemReader>;
