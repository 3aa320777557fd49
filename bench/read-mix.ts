/**
 * Issue 4's benchmark: 100 reads per write (PUTs of 1 KB), Zipf(1.0) over 100,000 items, two app processes on a
 * throwaway MariaDB primary + one replica (test/support/replication.ts) and a throwaway Redis, against two bare Hono
 * processes under the same mix and load tool. Reports in one run: throughput and p99 of each and their ratio, and over
 * the measured window only (one cache TTL long by default): the compulsory-read ratio, database reads ÷ distinct
 * keys read in the window (at most 1 when every key reaches the database once per TTL across the fleet; database
 * reads per 1,000 requests depend on the key space and the TTL, not on the code), the L1 and Redis hit ratios, and
 * reads by target (primary/replica); then the database reads caused by 500 concurrent misses on one cold key across
 * both processes.
 *
 *   npm run bench:mix -- [--seconds <ttl>] [--ttl 30] [--warmup <1.1 x ttl + 5>] [--items 100000] [--zipf 1.0]
 *                        [--connections 50] [--tool wrk|autocannon]
 *
 * Steady state: with a cache TTL of T, every entry alive after 1.1 T (the TTL's +10% jitter) was set under the bench's
 * own load, so from then on the cache holds what this traffic keeps in it and no longer the cold start. The warm-up
 * defaults to that plus 5 s for L1 and the JIT; it runs in slices whose database reads per 1,000 requests are printed
 * so the decay is visible. T defaults to 30 s (the app's default is 300 s, which would need a five-minute warm-up).
 */
import { createPool } from "mysql2/promise";
import { v7 as uuidv7 } from "uuid";
import { startReplicaSet } from "../test/support/replication.ts";
import { startRedis } from "../test/support/servers.ts";
import { haveWrk, runLoad, type LoadOptions } from "./load.ts";
import {
  benchUserToken,
  counterDelta,
  hitRatios,
  loadAverage,
  parseFlags,
  post,
  startServer,
  stopServers,
  totalCounters,
  type Counters,
  type StartedServer,
} from "./support.ts";

const args = parseFlags({ seconds: undefined, ttl: 30, warmup: undefined, items: 100_000, zipf: 1.0, connections: 50 }, ["tool"]);
// The measured window is one cache TTL by default: within it, each distinct key read needs at most one database read.
const seconds = args.seconds ?? args.ttl;
const tool = (args.tool ?? ((await haveWrk()) ? "wrk" : "autocannon")) as LoadOptions["tool"];
if (tool !== "wrk" && tool !== "autocannon") throw new Error("--tool must be wrk or autocannon");
const warmup = args.warmup ?? Math.ceil(1.1 * args.ttl) + 5;
const WARMUP_SLICE_SECONDS = 5;
const database = "bench";

const perThousand = (n: number, requests: number) => Number(((n * 1000) / Math.max(1, requests)).toFixed(1));
/**
 * Database reads ÷ distinct keys read in the window: 1.0 or less is the compulsory minimum (one read per cold key per
 * TTL across the fleet); above it, the cache or single-flight let a key reach the database twice.
 */
const compulsoryRatio = (dbReads: number, distinctReads: number) => Number((dbReads / Math.max(1, distinctReads)).toFixed(3));

/** db_reads_total{target} grouped into the primary and the replica (the router labels a replica by host:port). */
function readsByRole(c: Counters): { primary: number; replica: number } {
  const primary = c.readsByTarget.primary ?? 0;
  const all = Object.values(c.readsByTarget).reduce((a, n) => a + n, 0);
  return { primary, replica: all - primary };
}

const started = new Date();
process.stderr.write(`starting a MariaDB primary + 1 replica and a Redis...\n`);
const [set, redis] = await Promise.all([startReplicaSet({ replicas: 1, database }), startRedis()]);
const servers: StartedServer[] = [];
try {
  // The test servers' 32 MB buffer pool would send the Zipf tail to disk; a database server holds its working set.
  for (const server of [set.primary, ...set.replicas]) await server.sql("SET GLOBAL innodb_buffer_pool_size = 268435456");

  const appEnv = {
    DATABASE_URL: `${set.primary.url}/${database}`,
    DATABASE_REPLICA_URLS: `${set.replica(0).url}/${database}`,
    REDIS_URL: redis.url,
    REDIS_KEY_PREFIX: "benchmix:",
    CACHE_TTL_SECONDS: String(args.ttl),
    LOG_LEVEL: "warn",
    RATE_LIMIT_PER_MINUTE: "0",
  };
  const a = await startServer("app/main.ts", appEnv); // migrates
  servers.push(a);
  const b = await startServer("app/main.ts", { ...appEnv, MIGRATE_ON_START: "0" });
  servers.push(b);
  const apps = [a.url, b.url];

  const token = await benchUserToken(a.url);
  const auth = { authorization: `Bearer ${token}` };
  const owner = (await post(`${a.url}/v1/items`, { content: "owner probe" }, auth)).ownerId!;
  // Seeding 100,000 rows through HTTP would dominate the run: insert them in batches, as the app would store them.
  process.stderr.write(`seeding ${args.items} items of 1 KB on the primary...\n`);
  const admin = createPool({ uri: `${set.primary.url}/${database}`, connectionLimit: 1 });
  const ids: string[] = [];
  try {
    const content = "x".repeat(1024);
    for (let i = 0; i < args.items; i += 1000) {
      const now = Date.now();
      const rows = Array.from({ length: Math.min(1000, args.items - i) }, () => [uuidv7(), owner, content, 1, now, now]);
      await admin.query("INSERT INTO items (id, owner_id, content, version, created_at, updated_at) VALUES ?", [rows]);
      for (const r of rows) ids.push(r[0] as string);
    }
  } finally {
    await admin.end();
  }
  await set.waitAllCaughtUp(120);
  ids.sort(() => Math.random() - 0.5); // rank order random: the hottest keys are not simply the newest
  const paths = ids.map((id) => `/v1/items/${id}`);
  const sample = await (await fetch(`${a.url}${paths[0]}`)).text();
  const bareA = await startServer("bench/bare-hono.ts", { BODY: sample });
  servers.push(bareA);
  const bareB = await startServer("bench/bare-hono.ts", { BODY: sample });
  servers.push(bareB);

  const writes = { share: 1 / 101, headers: { ...auth, "content-type": "application/json" }, body: JSON.stringify({ content: "y".repeat(1024) }) };
  const load = (urls: string[], seconds: number) => runLoad({ tool, urls, paths, zipfS: args.zipf, connections: args.connections, seconds, writes });

  process.stderr.write(`warming the app up from a cold cache for ${warmup}s (cache TTL ${args.ttl}s), in slices:\n`);
  const warmupSlices: Array<{ endsAtSecond: number; dbReadsPer1000: number; requestsPerSecond: number }> = [];
  for (let done = 0; done < warmup; ) {
    const slice = Math.min(WARMUP_SLICE_SECONDS, warmup - done);
    const before = await totalCounters(apps);
    const res = await load(apps, slice);
    const delta = counterDelta(await totalCounters(apps), before);
    done += slice;
    warmupSlices.push({ endsAtSecond: done, dbReadsPer1000: perThousand(delta.dbReads, res.requests), requestsPerSecond: Math.round(res.requestsPerSecond) });
    process.stderr.write(`  ${String(done).padStart(3)}s: ${perThousand(delta.dbReads, res.requests)} database reads per 1,000 requests, ${Math.round(res.requestsPerSecond)} req/s\n`);
  }

  process.stderr.write(`measuring the app (${seconds}s)...\n`);
  const before = await totalCounters(apps);
  const app = await load(apps, seconds);
  const steady = counterDelta(await totalCounters(apps), before);

  process.stderr.write(`measuring bare Hono (3s warm-up, ${seconds}s)...\n`);
  await load([bareA.url, bareB.url], 3);
  const bare = await load([bareA.url, bareB.url], seconds);

  // 500 concurrent misses on one cold key, split over both processes. The replica is caught up first: a read that
  // reached it before the row would be a (correct, cached) 404 and measure something else.
  const cold = await post(`${a.url}/v1/items`, { content: "cold" }, auth);
  await set.waitAllCaughtUp();
  const beforeCold = await totalCounters(apps);
  const coldResponses = await Promise.all(Array.from({ length: 500 }, (_, i) => fetch(`${apps[i % apps.length]!}/v1/items/${cold.id}`)));
  await Promise.all(coldResponses.map((r) => r.arrayBuffer()));
  const coldDelta = counterDelta(await totalCounters(apps), beforeCold);

  const report = {
    date: started.toISOString(),
    loadAverage: loadAverage(),
    tool,
    items: args.items,
    zipf: args.zipf,
    connections: args.connections,
    seconds,
    cacheTtlSeconds: args.ttl,
    warmupSeconds: warmup,
    warmupSlices,
    topology: "2 app processes, MariaDB primary + 1 replica, Redis; baseline: 2 bare Hono processes",
    bare: { requestsPerSecond: Math.round(bare.requestsPerSecond), p99Ms: Number(bare.p99Ms.toFixed(1)), errors: bare.errors + bare.non2xx },
    app: { requestsPerSecond: Math.round(app.requestsPerSecond), p99Ms: Number(app.p99Ms.toFixed(1)), errors: app.errors + app.non2xx, failures: steady.failures },
    throughputRatio: Number((app.requestsPerSecond / bare.requestsPerSecond).toFixed(2)),
    p99Ratio: Number((app.p99Ms / bare.p99Ms).toFixed(2)),
    dbReads: steady.dbReads,
    distinctKeysRead: app.distinctReads,
    writes: app.writes,
    compulsoryReadRatio: compulsoryRatio(steady.dbReads, app.distinctReads),
    dbReadsPer1000Requests: perThousand(steady.dbReads, app.requests),
    hitRatios: hitRatios(steady),
    readsByTarget: readsByRole(steady),
    coldKey500Misses: {
      dbReads: coldDelta.dbReads,
      readsByTarget: readsByRole(coldDelta),
      non200: coldResponses.filter((r) => r.status !== 200).length,
    },
  };
  const { l1, redis: redisRatio, cached } = report.hitRatios;
  console.log(
    `\nmixed read path (${tool}, 100:1, Zipf(${args.zipf}) over ${args.items} items, ${args.connections} connections, ` +
      `${seconds}s after a ${warmup}s warm-up, cache TTL ${args.ttl}s; load average ${report.loadAverage})`,
  );
  console.log(`  bare Hono x2 : ${report.bare.requestsPerSecond} req/s, p99 ${report.bare.p99Ms} ms`);
  console.log(`  app x2       : ${report.app.requestsPerSecond} req/s, p99 ${report.app.p99Ms} ms, errors ${report.app.errors} ${JSON.stringify(steady.failures)}`);
  console.log(`  ratio app/bare: throughput ${report.throughputRatio}, p99 ${report.p99Ratio}`);
  console.log(
    `  compulsory-read ratio (measured window): ${report.compulsoryReadRatio} = ${steady.dbReads} database reads ÷ ${app.distinctReads} distinct keys read ` +
      `(${app.writes} writes in the window; each may add one necessary read; for reference ${report.dbReadsPer1000Requests} per 1,000 requests)`,
  );
  console.log(`  hit ratios: L1 ${l1} of reads, Redis ${redisRatio} of L1 misses, ${cached} cached overall`);
  console.log(`  database reads by target: primary ${report.readsByTarget.primary}, replica ${report.readsByTarget.replica}`);
  console.log(
    `  500 concurrent misses on one cold key: ${coldDelta.dbReads} database read(s) ` +
      `(primary ${report.coldKey500Misses.readsByTarget.primary}, replica ${report.coldKey500Misses.readsByTarget.replica}), ` +
      `${report.coldKey500Misses.non200} non-200`,
  );
  console.log(JSON.stringify(report));
} finally {
  stopServers(servers);
  await Promise.all([set.stop(), redis.stop()]);
}
