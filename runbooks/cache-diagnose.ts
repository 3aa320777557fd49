import type { Runbook } from "./lib/types.ts";
import { redisConnection } from "./lib/connections.ts";
import { adviceStep } from "./lib/steps.ts";

function parseInfo(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of text.split("\r\n")) {
    const i = line.indexOf(":");
    if (i > 0 && !line.startsWith("#")) out[line.slice(0, i)] = line.slice(i + 1);
  }
  return out;
}

export const cacheDiagnose: Runbook = {
  id: "cache-diagnose",
  title: "Diagnose the cache: memory, evictions, hit ratio, slow commands, what to do",
  whenToUse: "cache-cpu-high or cache-evictions fired, or the database sees more reads than the cache should let through.",
  answersAlarms: ["cache-cpu-high", "cache-evictions"],
  destructive: false,
  params: [{ name: "redis-url", description: "redis:// URL of the cache", required: true, secret: true, url: "redis" }],
  steps: [
    {
      id: "stats",
      title: "Read INFO and the slow log",
      timeoutSeconds: 60,
      onFailure: "abort",
      verifies: "the cache answered",
      async act(ctx) {
        const redis = await redisConnection(ctx, ctx.params["redis-url"] as string);
        const info = parseInfo(await redis.info());
        const slow = (await redis.call("SLOWLOG", "GET", "10")) as unknown[];
        const hits = Number(info.keyspace_hits ?? 0);
        const misses = Number(info.keyspace_misses ?? 0);
        return {
          usedMemory: Number(info.used_memory ?? 0),
          maxMemory: Number(info.maxmemory ?? 0),
          maxMemoryPolicy: info.maxmemory_policy,
          evictedKeys: Number(info.evicted_keys ?? 0),
          hitRatio: hits + misses ? hits / (hits + misses) : null,
          opsPerSecond: Number(info.instantaneous_ops_per_sec ?? 0),
          slowCommands: slow.length,
        };
      },
      async verify() {},
    },
    adviceStep((ctx) => {
      const s = ctx.outputs.stats ?? {};
      const advice: string[] = [];
      if ((s.evictedKeys as number) > 0)
        advice.push("evictions: the hot set is larger than the cache; give it a bigger node type (see `scale capacity` for the hot-set size) or shorten TTLs");
      if (s.maxMemoryPolicy && !String(s.maxMemoryPolicy).includes("lru") && !String(s.maxMemoryPolicy).includes("lfu"))
        advice.push(`maxmemory-policy is ${s.maxMemoryPolicy}: use allkeys-lru for a cache`);
      if ((s.slowCommands as number) > 0) advice.push("slow commands logged: look for KEYS, big MGETs or large values (SLOWLOG GET)");
      if (s.hitRatio !== null && (s.hitRatio as number) < 0.8) advice.push("hit ratio under 80%: check TTLs and that reads go through the cache");
      if (advice.length === 0) advice.push("no eviction, no slow commands: high CPU is load; add shards or replicas to the cache");
      return { advice };
    }),
  ],
};
