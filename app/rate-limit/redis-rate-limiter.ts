/**
 * The rate limiter's counts in Redis, shared by every app server. Each process counts in memory and adds its counts in
 * one pipeline per flush (batched-rate-limiter.ts), so a request below half its client's budget costs no round trip.
 * A window's key expires by itself two windows on.
 */
import type { Redis } from "ioredis";
import { createBatchedRateLimiter, WINDOW_MS, type BatchedRateLimiter, type BatchedRateLimiterOptions, type CountStore } from "./batched-rate-limiter.ts";

export function createRedisRateLimiter(redis: Redis, opts: BatchedRateLimiterOptions & { prefix: string }): BatchedRateLimiter {
  const keyOf = (window: number, client: string) => `${opts.prefix}rl:${window}:${client}`;
  // The keys this process has given an expiry in the current window: one PEXPIRE per client and window, not per flush.
  let expiring = { window: -1, keys: new Set<string>() };
  const store: CountStore = {
    async add(window, rows) {
      if (expiring.window !== window) expiring = { window, keys: new Set() };
      const batch = redis.pipeline();
      const totalAt: Array<[string, number]> = []; // each client's INCRBY reply: its new total
      for (const [client, hits] of rows) {
        totalAt.push([client, batch.length]);
        batch.incrby(keyOf(window, client), hits);
        if (!expiring.keys.has(client)) batch.pexpire(keyOf(window, client), 2 * WINDOW_MS);
      }
      const results = await batch.exec();
      const failed = results?.find(([err]) => err)?.[0];
      if (!results || failed) throw failed ?? new Error("the rate-limit counts were not added");
      for (const [client] of rows) expiring.keys.add(client);
      return new Map(totalAt.map(([client, at]) => [client, Number(results[at]![1])]));
    },
    async totals(window, clients) {
      const values = await redis.mget(clients.map((c) => keyOf(window, c)));
      const totals = new Map<string, number>();
      clients.forEach((c, i) => values[i] != null && totals.set(c, Number(values[i])));
      return totals;
    },
    async sweep() {},
  };
  return createBatchedRateLimiter(store, opts);
}
