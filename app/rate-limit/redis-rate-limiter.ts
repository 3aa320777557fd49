/** Fixed one-minute windows per client in Redis, shared by every app server. */
import type { Redis } from "ioredis";
import type { RateLimiter } from "../ports.ts";

const WINDOW_MS = 60_000;
// INCR and set the expiry on the first hit of a window, atomically; return the count and the time left.
const HIT = `local n = redis.call('INCR', KEYS[1])
if n == 1 then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end
return {n, redis.call('PTTL', KEYS[1])}`;

export function createRedisRateLimiter(redis: Redis, opts: { prefix: string; perMinute: number }): RateLimiter {
  redis.defineCommand("rateLimitHit", { numberOfKeys: 1, lua: HIT });
  const r = redis as Redis & { rateLimitHit(key: string, windowMs: number): Promise<[number, number]> };
  return {
    async hit(clientId) {
      const window = Math.floor(Date.now() / WINDOW_MS);
      const [count, pttl] = await r.rateLimitHit(`${opts.prefix}rl:${window}:${clientId}`, WINDOW_MS);
      return { allowed: count <= opts.perMinute, retryAfterSeconds: Math.max(1, Math.ceil(pttl / 1000)) };
    },
  };
}
