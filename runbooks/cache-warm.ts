import type { Runbook } from "./lib/types.ts";
import { VerifyFailed } from "./lib/types.ts";
import { adminPost, fetchOrSay } from "./lib/app-admin.ts";

async function readItem(appUrl: string, id: string): Promise<{ status: number; cache: string | null }> {
  const res = await fetchOrSay(new URL(`/v1/items/${encodeURIComponent(id)}`, appUrl), { signal: AbortSignal.timeout(5000) });
  await res.arrayBuffer();
  return { status: res.status, cache: res.headers.get("x-cache") };
}

/** Warms through the app, so what lands in the cache is exactly what the app would put there. */
export const cacheWarm: Runbook = {
  id: "cache-warm",
  title: "Warm the cache through the app: its admin endpoint (newest items), or by reading given items",
  whenToUse: "After a cache flush, a new cache node or a failover, before traffic returns (a cold cache sends every read to the database).",
  answersAlarms: [],
  destructive: false,
  params: [
    { name: "app-url", description: "the app's base URL (the load balancer or one server)", required: true, pattern: /^https?:\/\/\S+$/, url: "http" },
    { name: "admin-token", description: "the app's ADMIN_TOKEN: warm the newest items with POST /admin/cache/warm", secret: true },
    { name: "limit", description: "how many of the newest items the admin endpoint loads", default: "1000", pattern: /^[1-9]\d{0,5}$/ },
    { name: "ids", description: "comma-separated item ids to read instead (the hot set)", pattern: /^[\w-]+(,[\w-]+)*$/ },
  ],
  validate: (p) => (p.ids || p["admin-token"] ? undefined : "give --param admin-token=... (newest items) or --param ids=a,b,c"),
  steps: [
    {
      id: "warm",
      title: "Load the items into the cache",
      timeoutSeconds: 600,
      onFailure: "abort",
      verifies: "the app answered the warm call, or every item read gave 200 (or 404: gone)",
      async act(ctx) {
        const app = ctx.params["app-url"] as string;
        if (ctx.params.ids) {
          const ids = ctx.params.ids.split(",");
          const statuses: Record<string, number> = {};
          // A read fills the cache; a dry run records what it would read and reads nothing.
          await ctx.effect(`GET ${app}/v1/items/<id> for ${ids.length} ids`, async () => {
            for (const id of ids) statuses[id] = (await readItem(app, id)).status;
          });
          return { statuses };
        }
        const out = await ctx.effect(`POST ${app}/admin/cache/warm?limit=${ctx.params.limit}`, () =>
          adminPost(app, `/admin/cache/warm?limit=${ctx.params.limit}`, ctx.params["admin-token"] as string),
        );
        return { read: out?.read, stored: out?.stored };
      },
      async verify(ctx, acted) {
        if (!ctx.params.ids) {
          if (typeof acted.read !== "number") throw new VerifyFailed("the app did not say how many items it read");
          return;
        }
        const bad = Object.entries(acted.statuses as Record<string, number>).filter(([, s]) => s !== 200 && s !== 404);
        if (bad.length) throw new VerifyFailed(`reads failed: ${bad.map(([id, s]) => `${id} -> ${s}`).join(", ")}`);
      },
    },
    {
      id: "verify-cached",
      title: "Read the given items again and check the cache served them",
      timeoutSeconds: 600,
      onFailure: "continue",
      verifies: "the second read of each found item says X-Cache: hit or l1 (with ids only)",
      async act() {},
      async verify(ctx) {
        const statuses = (ctx.outputs.warm?.statuses ?? {}) as Record<string, number>;
        const found = Object.entries(statuses).filter(([, s]) => s === 200).map(([id]) => id);
        const misses: string[] = [];
        for (const id of found) {
          const { cache } = await readItem(ctx.params["app-url"] as string, id);
          if (cache !== "hit" && cache !== "l1") misses.push(`${id} (${cache ?? "no X-Cache"})`);
        }
        if (misses.length) throw new VerifyFailed(`not served from the cache: ${misses.join(", ")}`);
        return { cached: found.length };
      },
    },
  ],
};
