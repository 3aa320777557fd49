/**
 * Per-client fixed one-minute windows shared by every process behind the load balancer, without a round trip to the
 * shared store on most requests. A process counts in memory, adds its counts to the store in one batch per flush, and
 * judges a client by the total it last read plus its own unflushed hits. Past half its budget a client is counted at
 * once, request by request, so the last half is exact across processes; once the total passes the limit the process
 * refuses the client with no store work until the window ends.
 *
 * Cost: per process, one batched add and one read per flush interval while it has traffic (not per request), plus
 * one add and one read per request in the upper half of a busy client's budget (at most limit/2 per client and
 * window, across all processes); a refused request costs nothing.
 * Bound: only a burst that reaches P processes within one flush can pass the limit, by at most (P-1) x limit/2; at a
 * steady rate the excess is what the other processes let through since their last flush.
 * The store failing (down, or read-only during a write freeze): requests pass (fail open), each process still
 * refusing a client its own count puts over the limit; unflushed counts are added when the store answers again.
 */
import { LRUCache } from "lru-cache";
import type { RateLimiter } from "../ports.ts";

export const WINDOW_MS = 60_000;
/** After a store error, count in memory only for this long instead of trying the store on every request. */
const STORE_BACKOFF_MS = 5_000;
const BATCH_ROWS = 500;
/** Longest client key kept (an IPv6 address is 45 characters). */
export const CLIENT_KEY_MAX = 64;

/** Where the processes' counts meet: hits added per client and window, and the totals read back. */
export interface CountStore {
  /** Add the hits; a store that learns the new totals in doing so (Redis's INCRBY) returns them. */
  add(window: number, rows: Array<[client: string, hits: number]>): Promise<Map<string, number> | void>;
  totals(window: number, clients: string[]): Promise<Map<string, number>>;
  /** Forget windows before this one (a store whose entries expire by themselves does nothing). */
  sweep(before: number): Promise<void>;
}

interface Count {
  window: number;
  /** The store's total for this client and window when last read. */
  shared: number;
  /** Hits this process admitted that are not in the store yet. */
  pending: number;
}

export interface BatchedRateLimiterOptions {
  perMinute: number;
  /** @default 1000 */
  flushMs?: number;
  /** Clients remembered per process (least recently seen dropped first). @default 100000 */
  maxClients?: number;
  /** Told about store errors (already throttled by the back-off). */
  onError?: (err: Error) => void;
  /** Milliseconds since the epoch; tests pin it so a run never straddles a window. @default Date.now */
  now?: () => number;
}

export interface BatchedRateLimiter extends RateLimiter {
  /** Add the unflushed counts to the store now (the timer does this every flushMs). */
  flush(): Promise<void>;
  close(): Promise<void>;
}

export function createBatchedRateLimiter(store: CountStore, opts: BatchedRateLimiterOptions): BatchedRateLimiter {
  const clock = opts.now ?? Date.now;
  const counts = new LRUCache<string, Count>({ max: opts.maxClients ?? 100_000 });
  const dirty = new Set<string>();
  const countAtOnceFrom = Math.floor(opts.perMinute / 2);
  let storeBackoffUntil = 0;
  let sweptBefore = 0;
  let flushing: Promise<void> | undefined;

  const failed = (err: unknown) => {
    if (clock() >= storeBackoffUntil) opts.onError?.(err as Error);
    storeBackoffUntil = clock() + STORE_BACKOFF_MS;
  };
  const putBack = (key: string, window: number, hits: number) => {
    const count = counts.get(key);
    if (count?.window !== window) return; // a new window started: old hits no longer matter
    count.pending += hits;
    dirty.add(key);
  };
  const learn = (key: string, window: number, total: number) => {
    const count = counts.get(key);
    if (count?.window === window) count.shared = Math.max(count.shared, total);
  };

  async function flushOnce(): Promise<void> {
    const window = Math.floor(clock() / WINDOW_MS);
    const batch: Array<[string, number]> = [];
    for (const key of dirty) {
      const count = counts.get(key);
      if (count?.window === window && count.pending > 0) {
        batch.push([key, count.pending]);
        count.pending = 0;
      }
    }
    dirty.clear();
    for (let i = 0; i < batch.length; i += BATCH_ROWS) {
      const rows = batch.slice(i, i + BATCH_ROWS);
      let totals: Map<string, number> | void;
      try {
        totals = await store.add(window, rows);
      } catch (err) {
        for (const [key, hits] of batch.slice(i)) putBack(key, window, hits);
        failed(err);
        return;
      }
      try {
        totals ??= await store.totals(window, rows.map(([key]) => key));
        for (const [key, total] of totals) learn(key, window, total);
      } catch (err) {
        failed(err); // the hits are in; the next flush reads the totals again
      }
    }
    if (window - 1 > sweptBefore) {
      await store.sweep(window - 1).then(() => (sweptBefore = window - 1), failed);
    }
  }

  const flush = () => (flushing ??= flushOnce().finally(() => (flushing = undefined)));
  const timer = setInterval(() => void flush(), opts.flushMs ?? 1000);
  timer.unref();

  /** This window's count for the client, started afresh when the window moved on. */
  function countOf(key: string, window: number): Count {
    let count = counts.get(key);
    if (count?.window !== window) {
      count = { window, shared: 0, pending: 0 };
      counts.set(key, count);
    }
    return count;
  }

  /** The verdict memory can give: true (counted here), false (refused), undefined (the store must count it). */
  function decide(key: string, now: number): boolean | undefined {
    const count = countOf(key, Math.floor(now / WINDOW_MS));
    const seen = count.shared + count.pending;
    if (seen >= opts.perMinute) return false;
    if (seen + 1 <= countAtOnceFrom || now < storeBackoffUntil) {
      count.pending += 1;
      dirty.add(key);
      return true;
    }
    return undefined;
  }

  return {
    admit: (clientId) => decide(clientId.slice(0, CLIENT_KEY_MAX), clock()),

    async hit(clientId) {
      const now = clock();
      const window = Math.floor(now / WINDOW_MS);
      const retryAfterSeconds = Math.max(1, Math.ceil(((window + 1) * WINDOW_MS - now) / 1000));
      const key = clientId.slice(0, CLIENT_KEY_MAX);
      const verdict = decide(key, now);
      if (verdict !== undefined) return { allowed: verdict, retryAfterSeconds };
      // The upper half of the budget: count in the store now, with any hits not yet flushed.
      const count = countOf(key, window);
      const hits = count.pending + 1;
      count.pending = 0;
      let added: Map<string, number> | void;
      try {
        added = await store.add(window, [[key, hits]]);
      } catch (err) {
        putBack(key, window, hits);
        failed(err);
        return { allowed: true, retryAfterSeconds }; // fail open
      }
      const total = (added ?? (await store.totals(window, [key]).catch(() => undefined)))?.get(key);
      if (total === undefined) return { allowed: true, retryAfterSeconds };
      learn(key, window, total);
      return { allowed: total <= opts.perMinute, retryAfterSeconds };
    },
    flush,
    async close() {
      clearInterval(timer);
      await flush().catch(() => undefined);
    },
  };
}
