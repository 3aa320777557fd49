/**
 * The rate limiter's counts in the shared database, for a service with no Redis: every process behind the load
 * balancer enforces one limit. Counting each request there would make every request a write on the primary; the
 * batched limiter (batched-rate-limiter.ts) adds each process's counts in one multi-row upsert per flush.
 */
import { sql } from "kysely";
import type { DbHandle } from "../db/connect.ts";
import { createBatchedRateLimiter, type BatchedRateLimiter, type BatchedRateLimiterOptions, type CountStore } from "./batched-rate-limiter.ts";

export type DbRateLimiter = BatchedRateLimiter;

function createRateLimitTable(handle: DbHandle): CountStore {
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

export function createDbRateLimiter(handle: DbHandle, opts: BatchedRateLimiterOptions): DbRateLimiter {
  return createBatchedRateLimiter(createRateLimitTable(handle), opts);
}
