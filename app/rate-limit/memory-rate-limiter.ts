/** Fixed one-minute windows per client in this process (embedded default). */
import { LRUCache } from "lru-cache";
import type { RateLimiter } from "../ports.ts";

const WINDOW_MS = 60_000;

export function createMemoryRateLimiter(opts: { perMinute: number; maxClients?: number }): RateLimiter {
  // Bounded, so a flood of distinct addresses cannot grow memory without limit.
  const counts = new LRUCache<string, { window: number; count: number }>({ max: opts.maxClients ?? 100_000 });
  return {
    async hit(clientId) {
      const now = Date.now();
      const window = Math.floor(now / WINDOW_MS);
      const entry = counts.get(clientId);
      const current = entry && entry.window === window ? entry : { window, count: 0 };
      current.count += 1;
      counts.set(clientId, current);
      const retryAfterSeconds = Math.max(1, Math.ceil(((window + 1) * WINDOW_MS - now) / 1000));
      return { allowed: current.count <= opts.perMinute, retryAfterSeconds };
    },
  };
}
