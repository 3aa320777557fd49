/**
 * Read-path benchmark: the app on MySQL + Redis against a bare Hono handler returning a same-sized JSON body, under
 * the same load (100 connections, cached GET /v1/items/:id over Zipf-distributed keys). Rounds alternate between the
 * two so drift on a shared box hits both alike; the report is the median of each and their ratio.
 *
 *   npm run bench -- [--tool wrk|autocannon] [--seconds 10] [--rounds 3] [--items 10000] [--zipf 0.99]
 *   BENCH_DATABASE_URL (server URL without a database; default the local MariaDB), BENCH_REDIS_URL
 */
import { createPool } from "mysql2/promise";
import { cpuSeconds, haveWrk, runLoad, type LoadResult } from "./load.ts";
import { appCounters, benchUserToken, deleteRedisPrefix, hitRatios, loadAverage, median, parseFlags, post, startServer, stopServers, uniqueSuffix, type StartedServer } from "./support.ts";

const args = parseFlags({ seconds: 10, warmup: 3, rounds: 3, items: 10_000, zipf: 0.99, connections: 100 }, ["tool"]);
const { seconds, rounds, connections } = args;
const itemCount = args.items;
const zipfS = args.zipf;
const tool = (args.tool ?? ((await haveWrk()) ? "wrk" : "autocannon")) as "wrk" | "autocannon";
if (tool !== "wrk" && tool !== "autocannon") throw new Error("--tool must be wrk or autocannon");

const serverUrl = process.env.BENCH_DATABASE_URL ?? "mysql://root@127.0.0.1:3306";
const redisUrl = process.env.BENCH_REDIS_URL ?? "redis://127.0.0.1:6379";
const suffix = uniqueSuffix();
const database = `bench_${suffix}`;
const prefix = `bench:${suffix}:`;

const started = new Date();
const admin = createPool({ uri: serverUrl, connectionLimit: 1 });
await admin.query(`CREATE DATABASE \`${database}\` CHARACTER SET utf8mb4`);
const servers: StartedServer[] = [];
try {
  const app = await startServer("app/main.ts", {
    DATABASE_URL: `${serverUrl}/${database}`,
    REDIS_URL: redisUrl,
    REDIS_KEY_PREFIX: prefix,
    LOG_LEVEL: "warn",
    RATE_LIMIT_PER_MINUTE: "0",
  });
  servers.push(app);

  process.stderr.write(`seeding ${itemCount} items of 1 KB...\n`);
  const token = await benchUserToken(app.url);
  const ids: string[] = [];
  const content = "x".repeat(1024);
  for (let i = 0; i < itemCount; i += 50) {
    const batch = Array.from({ length: Math.min(50, itemCount - i) }, () => post(`${app.url}/v1/items`, { content }, { authorization: `Bearer ${token}` }));
    for (const item of await Promise.all(batch)) ids.push(item.id!);
  }
  // Rank order is random, so the hottest keys are not simply the newest.
  ids.sort(() => Math.random() - 0.5);
  const paths = ids.map((id) => `/v1/items/${id}`);
  const sample = await (await fetch(`${app.url}${paths[0]}`)).text();

  // Fill the cache once so the timed runs measure the cached path (the Zipf tail would otherwise keep missing).
  for (let i = 0; i < paths.length; i += 100) await Promise.all(paths.slice(i, i + 100).map(async (p) => (await fetch(`${app.url}${p}`)).text()));

  const bare = await startServer("bench/bare-hono.ts", { BODY: sample });
  servers.push(bare);

  const targets = { app: app.url, bare: bare.url };
  const pids = { app: app.proc.pid, bare: bare.proc.pid };
  const results: Record<keyof typeof targets, Array<LoadResult & { cpuMicrosPerRequest?: number }>> = { app: [], bare: [] };
  process.stderr.write(`warming up (${args.warmup}s each)...\n`);
  for (const url of Object.values(targets)) await runLoad({ tool, urls: [url], paths, zipfS, connections, seconds: args.warmup });
  for (let r = 0; r < rounds; r++) {
    for (const name of ["bare", "app"] as const) {
      const cpuBefore = await cpuSeconds(pids[name]);
      const res = await runLoad({ tool, urls: [targets[name]], paths, zipfS, connections, seconds });
      const cpuAfter = await cpuSeconds(pids[name]);
      const cpuMicrosPerRequest = cpuBefore !== undefined && cpuAfter !== undefined ? ((cpuAfter - cpuBefore) * 1e6) / res.requests : undefined;
      results[name].push({ ...res, cpuMicrosPerRequest });
      process.stderr.write(
        `round ${r + 1} ${name}: ${Math.round(res.requestsPerSecond)} req/s, p99 ${res.p99Ms.toFixed(1)} ms, ` +
          `server CPU ${cpuMicrosPerRequest?.toFixed(0) ?? "?"} µs/req, errors ${res.errors}, non-2xx ${res.non2xx}\n`,
      );
    }
  }
  const cache = await appCounters(app.url);
  const summary = (name: keyof typeof targets) => ({
    requestsPerSecond: Math.round(median(results[name].map((x) => x.requestsPerSecond))),
    p99Ms: Number(median(results[name].map((x) => x.p99Ms)).toFixed(1)),
    errors: results[name].reduce((a, x) => a + x.errors + x.non2xx, 0),
    cpuMicrosPerRequest: results[name].every((x) => x.cpuMicrosPerRequest !== undefined)
      ? Math.round(median(results[name].map((x) => x.cpuMicrosPerRequest!)))
      : null,
  });
  const report = {
    date: started.toISOString(),
    loadAverage: loadAverage(),
    tool,
    connections,
    seconds,
    rounds,
    items: itemCount,
    zipf: zipfS,
    bare: summary("bare"),
    app: summary("app"),
    ratio: Number((summary("app").requestsPerSecond / summary("bare").requestsPerSecond).toFixed(2)),
    cpuRatio:
      summary("app").cpuMicrosPerRequest && summary("bare").cpuMicrosPerRequest
        ? Number((summary("bare").cpuMicrosPerRequest! / summary("app").cpuMicrosPerRequest!).toFixed(2))
        : null,
    // Since the start, so the fill's misses are in it; L1 and Redis apart (see hitRatios).
    cacheHitRatios: hitRatios(cache),
  };
  console.log(`\nread path (${tool}, ${connections} connections, ${seconds}s x ${rounds} rounds, Zipf(${zipfS}) over ${itemCount} items; load average ${report.loadAverage})`);
  console.log(`  bare Hono : ${report.bare.requestsPerSecond} req/s, p99 ${report.bare.p99Ms} ms, server CPU ${report.bare.cpuMicrosPerRequest} µs/req`);
  console.log(`  app       : ${report.app.requestsPerSecond} req/s, p99 ${report.app.p99Ms} ms, server CPU ${report.app.cpuMicrosPerRequest} µs/req`);
  console.log(`  ratio app/bare: ${report.ratio} (throughput), ${report.cpuRatio ?? "?"} (bare CPU per request / app CPU per request)`);
  const { l1, redis, cached } = report.cacheHitRatios;
  console.log(`  cache hit ratios since start (includes the fill's misses): L1 ${l1}, Redis ${redis} of L1 misses, ${cached} overall`);
  console.log(JSON.stringify(report));
} finally {
  stopServers(servers);
  await admin.query(`DROP DATABASE IF EXISTS \`${database}\``);
  await admin.end();
  await deleteRedisPrefix(redisUrl, prefix);
}
