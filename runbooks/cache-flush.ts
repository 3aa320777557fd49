import type { Runbook } from "./lib/types.ts";
import { VerifyFailed } from "./lib/types.ts";
import { redisConnection, scanKeys } from "./lib/connections.ts";

export const cacheFlush: Runbook = {
  id: "cache-flush",
  title: "Delete cached entries matching a pattern (SCAN + UNLINK, never FLUSHALL)",
  whenToUse: "The cache serves wrong or stale data (after a bad deploy, a manual data fix, a schema change).",
  answersAlarms: [],
  destructive: true,
  params: [
    { name: "redis-url", description: "redis:// URL of the cache", required: true, secret: true },
    { name: "pattern", description: "key pattern to delete", default: "item:*", pattern: /^[^\s]+$/ },
  ],
  steps: [
    {
      id: "count",
      title: "Count the keys that match",
      timeoutSeconds: 300,
      onFailure: "abort",
      verifies: "the cache answered",
      async act(ctx) {
        const redis = await redisConnection(ctx, ctx.params["redis-url"] as string);
        return { matching: (await scanKeys(redis, ctx.params.pattern as string)).length };
      },
      async verify() {},
    },
    {
      id: "flush",
      title: "Delete the matching keys in batches",
      timeoutSeconds: 900,
      onFailure: "abort",
      verifies: "no key matches the pattern any more",
      async act(ctx) {
        const redis = await redisConnection(ctx, ctx.params["redis-url"] as string);
        const pattern = ctx.params.pattern as string;
        const deleted = await ctx.effect(`UNLINK every key matching ${pattern} (SCAN, 500 at a time)`, async () => {
          let n = 0;
          const keys = await scanKeys(redis, pattern);
          for (let i = 0; i < keys.length; i += 500) n += await redis.unlink(...keys.slice(i, i + 500));
          return n;
        });
        return { deleted: deleted ?? 0 };
      },
      async verify(ctx) {
        const redis = await redisConnection(ctx, ctx.params["redis-url"] as string);
        const left = (await scanKeys(redis, ctx.params.pattern as string, 1)).length;
        if (left > 0) throw new VerifyFailed(`keys matching ${ctx.params.pattern} remain (writers may be refilling them)`);
      },
    },
  ],
};
