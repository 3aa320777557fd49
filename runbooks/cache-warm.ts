import type { Runbook } from "./lib/types.ts";
import { VerifyFailed } from "./lib/types.ts";

async function readItem(appUrl: string, id: string): Promise<{ status: number; cache: string | null }> {
  const res = await fetch(new URL(`/v1/items/${encodeURIComponent(id)}`, appUrl), { signal: AbortSignal.timeout(5000) });
  await res.arrayBuffer();
  return { status: res.status, cache: res.headers.get("x-cache") };
}

/** Warms through the app's own read path, so what lands in the cache is exactly what the app would put there. */
export const cacheWarm: Runbook = {
  id: "cache-warm",
  title: "Warm the cache by reading hot items through the app",
  whenToUse: "After a cache flush, a new cache node or a failover, before traffic returns (a cold cache sends every read to the database).",
  answersAlarms: [],
  destructive: false,
  params: [
    { name: "app-url", description: "the app's base URL (the load balancer or one server)", required: true, pattern: /^https?:\/\/\S+$/ },
    { name: "ids", description: "comma-separated item ids to warm (the hot set)", required: true, pattern: /^[\w-]+(,[\w-]+)*$/ },
  ],
  steps: [
    {
      id: "warm",
      title: "Read each item once",
      timeoutSeconds: 600,
      onFailure: "abort",
      verifies: "every item was read (200) or is gone (404)",
      async act(ctx) {
        const ids = (ctx.params.ids as string).split(",");
        const statuses: Record<string, number> = {};
        // A read fills the cache; a dry run records what it would read and reads nothing.
        await ctx.effect(`GET ${ctx.params["app-url"]}/v1/items/<id> for ${ids.length} ids`, async () => {
          for (const id of ids) statuses[id] = (await readItem(ctx.params["app-url"] as string, id)).status;
        });
        return { statuses };
      },
      async verify(_ctx, acted) {
        const bad = Object.entries(acted.statuses as Record<string, number>).filter(([, s]) => s !== 200 && s !== 404);
        if (bad.length) throw new VerifyFailed(`reads failed: ${bad.map(([id, s]) => `${id} -> ${s}`).join(", ")}`);
      },
    },
    {
      id: "verify-cached",
      title: "Read again and check the cache served them",
      timeoutSeconds: 600,
      onFailure: "continue",
      verifies: "the second read of each found item says X-Cache: hit or l1",
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
