/** Prometheus metrics (prom-client), one registry per app instance so tests can run several side by side. */
import { Counter, Histogram, Gauge, Registry, collectDefaultMetrics } from "prom-client";

export type CacheResult = "l1" | "hit" | "miss" | "bypass";

export function createMetrics(pool: () => { total: number; free: number; queued: number } | undefined) {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const httpRequests = new Counter({
    name: "http_requests_total",
    help: "HTTP requests by method, route and status",
    labelNames: ["method", "route", "status"] as const,
    registers: [registry],
  });
  const httpDuration = new Histogram({
    name: "http_request_duration_seconds",
    help: "HTTP request latency by method, route and status",
    labelNames: ["method", "route", "status"] as const,
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
    registers: [registry],
  });
  const cacheRequests = new Counter({
    name: "item_cache_requests_total",
    help: "Item reads by cache result (hit, miss, bypass when the cache is unavailable)",
    labelNames: ["result"] as const,
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
  return { registry, httpRequests, httpDuration, cacheRequests };
}

export type Metrics = ReturnType<typeof createMetrics>;
