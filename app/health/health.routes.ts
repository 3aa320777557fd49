/** /healthz (liveness), /readyz (the database and cache answer), /metrics (Prometheus text). */
import { Hono } from "hono";
import type { Deps } from "../wiring.ts";
import type { AppEnv } from "../http/env.ts";
import { problem } from "../http/problem.ts";

const PROBE_TIMEOUT_MS = 1500;

function withTimeout(p: Promise<void>, ms: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
    p.then(resolve, reject).finally(() => clearTimeout(timer));
  });
}

export function healthRoutes(deps: Pick<Deps, "readiness" | "metrics">) {
  return new Hono<AppEnv>()
    .get("/healthz", (c) => c.json({ status: "ok" }))
    .get("/readyz", async (c) => {
      const names = Object.keys(deps.readiness);
      const results = await Promise.allSettled(names.map((n) => withTimeout(deps.readiness[n]!(), PROBE_TIMEOUT_MS)));
      const down = names.filter((_, i) => results[i]!.status === "rejected");
      if (down.length) return problem(c, 503, "not-ready", `not ready: ${down.join(" and ")} not answering`, { "Retry-After": "5" });
      return c.json({ status: "ready", checks: Object.fromEntries(names.map((n) => [n, "up"])) });
    })
    .get("/metrics", async (c) => {
      c.header("Content-Type", deps.metrics.registry.contentType);
      return c.body(await deps.metrics.registry.metrics());
    });
}
