/** Per-client rate limit: 429 with Retry-After. If the limiter's store is down, requests pass (fail open). */
import type { Context, Next } from "hono";
import { getConnInfo } from "@hono/node-server/conninfo";
import type { RateLimiter } from "../ports.ts";
import type { AppEnv } from "./env.ts";
import { requestLog } from "./observe.ts";
import { AppError } from "./problem.ts";

/**
 * The client's address. Each of the `trustedHops` proxies in front of the service appends the address it saw to
 * X-Forwarded-For, so the one the outermost proxy saw, the client, is `trustedHops` from the right; whatever a
 * client writes into the header itself sits further left and is ignored. A chain shorter than that (a request that
 * came through fewer proxies) gives its leftmost entry. 0 trusts no header: the socket's peer.
 */
export function clientAddress(c: Context, trustedHops: number): string {
  return clientAddressOf(c.req.header("x-forwarded-for"), () => {
    try {
      return getConnInfo(c).remote.address;
    } catch {
      return undefined; // in-process app.request() has no socket
    }
  }, trustedHops);
}

/** clientAddress from the X-Forwarded-For header and the socket's peer (asked only when the header does not say). */
export function clientAddressOf(forwardedFor: string | undefined, peer: () => string | undefined, trustedHops: number): string {
  if (trustedHops > 0) {
    const chain = forwardedFor?.split(",").map((s) => s.trim()).filter(Boolean) ?? [];
    const client = chain.length >= trustedHops ? chain[chain.length - trustedHops] : chain[0];
    if (client) return client;
  }
  return peer() ?? "unknown";
}

export function rateLimit(limiter: RateLimiter, opts: { trustedHops: number }) {
  return async function limitRate(c: Context<AppEnv>, next: Next) {
    let verdict: { allowed: boolean; retryAfterSeconds: number } | undefined;
    try {
      verdict = await limiter.hit(clientAddress(c, opts.trustedHops));
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
