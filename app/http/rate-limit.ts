/** Per-client rate limit: 429 with Retry-After. If the limiter's store is down, requests pass (fail open). */
import type { Context, Next } from "hono";
import { getConnInfo } from "@hono/node-server/conninfo";
import type { RateLimiter } from "../ports.ts";
import type { AppEnv } from "./env.ts";
import { requestLog } from "./observe.ts";
import { AppError } from "./problem.ts";

export function clientAddress(c: Context, trustProxy: boolean): string {
  if (trustProxy) {
    // The load balancer appends the address it saw: the last hop is the only one a client cannot forge.
    const hops = c.req.header("x-forwarded-for")?.split(",").map((s) => s.trim()).filter(Boolean);
    const last = hops?.at(-1);
    if (last) return last;
  }
  try {
    return getConnInfo(c).remote.address ?? "unknown";
  } catch {
    return "unknown"; // in-process app.request() has no socket
  }
}

export function rateLimit(limiter: RateLimiter, opts: { trustProxy: boolean }) {
  return async function limitRate(c: Context<AppEnv>, next: Next) {
    let verdict: { allowed: boolean; retryAfterSeconds: number } | undefined;
    try {
      verdict = await limiter.hit(clientAddress(c, opts.trustProxy));
    } catch (err) {
      requestLog(c).warn({ err: (err as Error).message }, "rate limiter unavailable; request allowed");
    }
    if (verdict && !verdict.allowed) {
      throw new AppError(429, "rate-limited", "too many requests from this client; retry after the Retry-After seconds", {
        "Retry-After": String(verdict.retryAfterSeconds),
      });
    }
    await next();
  };
}
