/** Request id, one JSON log line per request, and the request metrics. */
import type { Context, Next } from "hono";
import type { Logger } from "pino";
import { routePath } from "hono/route";
import { randomUUID } from "node:crypto";
import type { Deps } from "../wiring.ts";
import type { AppEnv } from "./env.ts";

const INCOMING_ID = /^[A-Za-z0-9._-]{1,128}$/;

/** The request's logger (bound to its id), created on first use: most requests never log. */
export function requestLog(c: Context<AppEnv>): Logger {
  let log = c.get("requestLog");
  if (!log) {
    log = c.get("logger").child({ reqId: c.get("requestId") });
    c.set("requestLog", log);
  }
  return log;
}

export function observe(deps: Pick<Deps, "logger" | "metrics">) {
  const { httpRequests, httpDuration } = deps.metrics;
  return async function observeRequest(c: Context<AppEnv>, next: Next) {
    const started = performance.now();
    const incoming = c.req.header("x-request-id");
    const requestId = incoming && INCOMING_ID.test(incoming) ? incoming : randomUUID();
    c.set("requestId", requestId);
    c.set("logger", deps.logger);
    c.set("session", null);
    // Before next(): set once the response exists, Hono would have to copy it into a streamed Response (3x the CPU).
    c.header("X-Request-Id", requestId);
    await next();
    // The matched route pattern, not the raw path, keeps label cardinality bounded.
    const route = c.res.status === 404 && !c.error ? "unmatched" : routePath(c);
    const labels = { method: c.req.method, route, status: String(c.res.status) };
    const seconds = (performance.now() - started) / 1000;
    httpRequests.inc(labels);
    httpDuration.observe(labels, seconds);
    if (deps.logger.isLevelEnabled("info")) requestLog(c).info({ method: c.req.method, path: c.req.path, route, status: c.res.status, ms: Math.round(seconds * 1e4) / 10 }, "request");
  };
}
