/** Database and Redis connections for steps, loaded lazily and closed when the run ends. */
import type { Connection } from "mysql2/promise";
import type { Redis } from "ioredis";
import type { StepContext } from "./context.ts";

export async function mysqlConnection(ctx: StepContext, url: string): Promise<Connection> {
  const { createConnection } = await import("mysql2/promise");
  const conn = await createConnection({ uri: url, multipleStatements: false, connectTimeout: 10_000 });
  ctx.onCleanup(() => conn.end());
  return conn;
}

export async function redisConnection(ctx: StepContext, url: string): Promise<Redis> {
  const { Redis } = await import("ioredis");
  const redis = new Redis(url, {
    lazyConnect: true,
    maxRetriesPerRequest: 2,
    connectTimeout: 5000,
    retryStrategy: (attempt) => (attempt > 3 ? null : 200),
  });
  // Failures surface through the command that fails; without a listener ioredis prints every retry.
  redis.on("error", () => {});
  try {
    await redis.connect();
  } catch (err) {
    redis.disconnect();
    throw new Error(`cannot connect to Redis: ${(err as Error).message}`);
  }
  ctx.onCleanup(() => redis.quit());
  return redis;
}

/** Every key matching `pattern`, found with SCAN (never KEYS, which blocks Redis). */
export async function scanKeys(redis: Redis, pattern: string, limit = Infinity): Promise<string[]> {
  const keys: string[] = [];
  let cursor = "0";
  do {
    const [next, batch] = await redis.scan(cursor, "MATCH", pattern, "COUNT", 1000);
    cursor = next;
    keys.push(...batch);
  } while (cursor !== "0" && keys.length < limit);
  return keys;
}
