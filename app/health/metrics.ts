/** Prometheus metrics (prom-client), one registry per app instance so tests can run several side by side. */
import { Counter, Gauge, Registry, collectDefaultMetrics } from "prom-client";
import { RequestMetrics } from "./request-metrics.ts";

export type CacheResult = "l1" | "hit" | "miss" | "bypass";

export function createMetrics(pool: () => { total: number; free: number; queued: number } | undefined) {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const requests = new RequestMetrics(registry);
  // Counted in plain numbers on the read path and handed to prom-client when scraped: a labelled inc() hashes its
  // labels on every call.
  const cacheCounts: Record<CacheResult, number> = { l1: 0, hit: 0, miss: 0, bypass: 0 };
  new Counter({
    name: "item_cache_requests_total",
    help: "Item reads by cache result (l1: in-process, hit: shared cache, miss, bypass when the cache is unavailable)",
    labelNames: ["result"] as const,
    registers: [registry],
    collect() {
      for (const result of Object.keys(cacheCounts) as CacheResult[]) {
        if (cacheCounts[result] > 0) this.inc({ result }, cacheCounts[result]);
        cacheCounts[result] = 0;
      }
    },
  });
  const cacheRequests = { inc: (result: CacheResult) => void cacheCounts[result]++ };
  const dbReads = new Counter({
    name: "item_db_reads_total",
    help: "Item reads that reached the database (after L1, the shared cache and single-flight)",
    registers: [registry],
  });
  const stat = (key: "total" | "free" | "queued", name: string, help: string) =>
    new Gauge({
      name,
      help,
      registers: [registry],
      collect() {
        const s = pool();
        if (s) this.set(s[key]);
      },
    });
  stat("total", "db_pool_connections", "Open connections in the primary's pool");
  stat("free", "db_pool_connections_free", "Idle connections in the primary's pool");
  stat("queued", "db_pool_waiting_requests", "Queries waiting for a pool connection");
  return { registry, requests, cacheRequests, dbReads };
}

export type Metrics = ReturnType<typeof createMetrics>;
