import type { Runbook } from "./lib/types.ts";
import { VerifyFailed } from "./lib/types.ts";
import { redisConnection, scanKeys } from "./lib/connections.ts";
import { adminPost } from "./lib/app-admin.ts";

const viaApp = (p: Record<string, string>) => !p["redis-url"];

export const cacheFlush: Runbook = {
  id: "cache-flush",
  title: "Delete the cached items: through the app's admin endpoint, or SCAN + UNLINK on Redis (never FLUSHALL)",
  whenToUse: "The cache serves wrong or stale data (after a bad deploy, a manual data fix, a schema change).",
  answersAlarms: [],
  destructive: true,
  params: [
    { name: "app-url", description: "the app's base URL, to flush through POST /admin/cache/flush", pattern: /^https?:\/\/\S+$/, url: "http" },
    { name: "admin-token", description: "the app's ADMIN_TOKEN", secret: true },
    { name: "redis-url", description: "redis:// URL of the cache, to flush directly instead", secret: true, url: "redis" },
    { name: "pattern", description: "key pattern for the direct flush (the app's keys are <REDIS_KEY_PREFIX>item:<id>)", default: "stm:item:*", pattern: /^[^\s]+$/ },
  ],
  validate: (p) =>
    p["redis-url"] || (p["app-url"] && p["admin-token"])
      ? undefined
      : "give --param app-url=... --param admin-token=... (through the app) or --param redis-url=... (directly)",
  warnings: (p) =>
    p["redis-url"] && /^\*+$/.test(p.pattern ?? "")
      ? [`pattern ${p.pattern} is the whole keyspace: every key in this Redis goes (sessions and rate limits too, not only cached items); the app's keys are <prefix>item:*`]
      : [],
  steps: [
    {
      id: "count",
      title: "Count the keys that match (direct flush only)",
      timeoutSeconds: 300,
      onFailure: "abort",
      verifies: "the cache answered",
      async act(ctx) {
        if (viaApp(ctx.params)) return { via: "app" };
        const redis = await redisConnection(ctx, ctx.params["redis-url"] as string);
        return { via: "redis", matching: (await scanKeys(redis, ctx.params.pattern as string)).length };
      },
      async verify() {},
    },
    {
      id: "flush",
      title: "Delete the entries",
      timeoutSeconds: 900,
      onFailure: "abort",
      verifies: "the app reports how many it removed, or no key matches the pattern any more",
      async act(ctx) {
        if (viaApp(ctx.params)) {
          const out = await ctx.effect(`POST ${ctx.params["app-url"]}/admin/cache/flush`, () =>
            adminPost(ctx.params["app-url"] as string, "/admin/cache/flush", ctx.params["admin-token"] as string),
          );
          return { removed: out?.removed ?? 0 };
        }
        const redis = await redisConnection(ctx, ctx.params["redis-url"] as string);
        const pattern = ctx.params.pattern as string;
        const deleted = await ctx.effect(`UNLINK every key matching ${pattern} (SCAN, 500 at a time)`, async () => {
          let n = 0;
          const keys = await scanKeys(redis, pattern);
          for (let i = 0; i < keys.length; i += 500) n += await redis.unlink(...keys.slice(i, i + 500));
          return n;
        });
        return { removed: deleted ?? 0 };
      },
      async verify(ctx, acted) {
        if (viaApp(ctx.params)) {
          if (typeof acted.removed !== "number") throw new VerifyFailed(`the app did not say how many entries it removed`);
          return;
        }
        const redis = await redisConnection(ctx, ctx.params["redis-url"] as string);
        const left = (await scanKeys(redis, ctx.params.pattern as string, 1)).length;
        if (left > 0) throw new VerifyFailed(`keys matching ${ctx.params.pattern} remain (writers may be refilling them)`);
      },
    },
  ],
};
