/**
 * Per-client fixed one-minute windows counted in the shared database, for a service with no Redis: every process
 * behind the load balancer enforces one limit. Counting each request there would make every request a write on the
 * primary, so a process counts in memory, adds its counts to the table in one statement per flush, and judges a
 * client by the total it last read plus its own unflushed hits. Past half its budget a client is counted at once,
 * request by request, so the last half is exact across processes; once the total passes the limit the process
 * refuses the client with no database work until the window ends.
 *
 * Cost: per process, one multi-row upsert and one read per flush interval while it has traffic (not per request),
 * plus one upsert and one read per request in the upper half of a busy client's budget (at most limit/2 per client
 * and window, across all processes); a refused request costs nothing.
 * Bound: only a burst that reaches P processes within one flush can pass the limit, by at most (P-1) x limit/2; at a
 * steady rate the excess is what the other processes let through since their last flush.
 * The store failing (down, or read-only during a write freeze): requests pass (fail open), each process still
 * refusing a client its own count puts over the limit; unflushed counts are added when the store answers again.
 */
import { LRUCache } from "lru-cache";
import { sql } from "kysely";
import type { DbHandle } from "../db/connect.ts";
import type { RateLimiter } from "../ports.ts";

const WINDOW_MS = 60_000;
/** After a store error, count in memory only for this long instead of trying the store on every request. */
const STORE_BACKOFF_MS = 5_000;
const BATCH_ROWS = 500;
/** Longest client key kept (an IPv6 address is 45 characters). */
export const CLIENT_KEY_MAX = 64;

interface Count {
  window: number;
  /** The table's total for this client and window when last read. */
  shared: number;
  /** Hits this process admitted that are not in the table yet. */
  pending: number;
}

export interface DbRateLimiterOptions {
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

export interface DbRateLimiter extends RateLimiter {
  /** Add the unflushed counts to the table now (the timer does this every flushMs). */
  flush(): Promise<void>;
  close(): Promise<void>;
}

function createRateLimitTable(handle: DbHandle) {
  const { db } = handle;
  return {
    /** Add hits per client; rows sorted by key so concurrent batches lock rows in one order (no deadlocks). */
    async add(window: number, rows: Array<[string, number]>): Promise<void> {
      const values = [...rows].sort(([a], [b]) => (a < b ? -1 : 1)).map(([client_key, hits]) => ({ window_start: window, client_key, hits }));
      const insert = db.insertInto("rate_limits").values(values);
      await (handle.dialect === "mysql"
        ? insert.onDuplicateKeyUpdate({ hits: sql`hits + VALUES(hits)` })
        : insert.onConflict((oc) => oc.columns(["window_start", "client_key"]).doUpdateSet({ hits: sql`rate_limits.hits + excluded.hits` }))
      ).execute();
    },
    async totals(window: number, keys: string[]): Promise<Map<string, number>> {
      const rows = await db.selectFrom("rate_limits").select(["client_key", "hits"]).where("window_start", "=", window).where("client_key", "in", keys).execute();
      return new Map(rows.map((r) => [r.client_key, Number(r.hits)]));
    },
    async sweep(before: number): Promise<void> {
      await db.deleteFrom("rate_limits").where("window_start", "<", before).execute();
    },
  };
}

export function createDbRateLimiter(handle: DbHandle, opts: DbRateLimiterOptions): DbRateLimiter {
  const table = createRateLimitTable(handle);
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
      try {
        await table.add(window, rows);
      } catch (err) {
        for (const [key, hits] of batch.slice(i)) putBack(key, window, hits);
        failed(err);
        return;
      }
      try {
        for (const [key, total] of await table.totals(window, rows.map(([key]) => key))) learn(key, window, total);
      } catch (err) {
        failed(err); // the hits are in; the next flush reads the totals again
      }
    }
    if (window - 1 > sweptBefore) {
      await table.sweep(window - 1).then(() => (sweptBefore = window - 1), failed);
    }
  }

  const flush = () => (flushing ??= flushOnce().finally(() => (flushing = undefined)));
  const timer = setInterval(() => void flush(), opts.flushMs ?? 1000);
  timer.unref();

  return {
    async hit(clientId) {
      const now = clock();
      const window = Math.floor(now / WINDOW_MS);
      const retryAfterSeconds = Math.max(1, Math.ceil(((window + 1) * WINDOW_MS - now) / 1000));
      const key = clientId.slice(0, CLIENT_KEY_MAX);
      let count = counts.get(key);
      if (count?.window !== window) {
        count = { window, shared: 0, pending: 0 };
        counts.set(key, count);
      }
      if (count.shared + count.pending >= opts.perMinute) return { allowed: false, retryAfterSeconds };
      count.pending += 1;
      if (count.shared + count.pending <= countAtOnceFrom || now < storeBackoffUntil) {
        dirty.add(key);
        return { allowed: true, retryAfterSeconds };
      }
      // The upper half of the budget: count in the table now, with any hits not yet flushed.
      const hits = count.pending;
      count.pending = 0;
      try {
        await table.add(window, [[key, hits]]);
      } catch (err) {
        putBack(key, window, hits);
        failed(err);
        return { allowed: true, retryAfterSeconds }; // fail open
      }
      const total = (await table.totals(window, [key]).catch(() => undefined))?.get(key);
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
