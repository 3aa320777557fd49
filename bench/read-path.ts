/**
 * Read-path benchmark: cached GET /v1/items/:id against a bare Hono handler and a bare node:http server returning a
 * same-sized JSON body, in one run, under the same load (100 connections):
 * - hot id: one item read over and over, on the embedded default (SQLite + in-process cache) and on MariaDB + Redis
 *   (L1 in front of Redis);
 * - Zipf: Zipf(1.0) over 20,000 items on MariaDB + Redis, the cache filled first.
 * Within a case the targets take turns, round after round, so drift on a shared box hits them alike; each figure is
 * the median of the rounds, and the report gives throughput and p99 as ratios to bare Hono (and to node:http).
 *
 *   npm run bench -- [--tool wrk|autocannon] [--seconds 10] [--warmup 3] [--rounds 3] [--items 20000] [--zipf 1.0]
 *                    [--connections 100]
 *   BENCH_DATABASE_URL (server URL without a database; default the local MariaDB), BENCH_REDIS_URL
 */
import { createPool } from "mysql2/promise";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { cpuSeconds, haveWrk, runLoad, type LoadResult } from "./load.ts";
import {
  appCounters,
  benchUserToken,
  counterDelta,
  deleteRedisPrefix,
  hitRatios,
  loadAverage,
  median,
  parseFlags,
  post,
  seedItems,
  startServer,
  stopServers,
  uniqueSuffix,
  type StartedServer,
} from "./support.ts";

const args = parseFlags({ seconds: 10, warmup: 3, rounds: 3, items: 20_000, zipf: 1.0, connections: 100 }, ["tool"]);
const { seconds, rounds, connections } = args;
const tool = (args.tool ?? ((await haveWrk()) ? "wrk" : "autocannon")) as "wrk" | "autocannon";
if (tool !== "wrk" && tool !== "autocannon") throw new Error("--tool must be wrk or autocannon");

const serverUrl = process.env.BENCH_DATABASE_URL ?? "mysql://root@127.0.0.1:3306";
const redisUrl = process.env.BENCH_REDIS_URL ?? "redis://127.0.0.1:6379";
const suffix = uniqueSuffix();
const database = `bench_${suffix}`;
const prefix = `bench:${suffix}:`;
const quiet = { LOG_LEVEL: "warn", RATE_LIMIT_PER_MINUTE: "0" };

type Target = { name: string; server: StartedServer; paths: string[] };
type Round = LoadResult & { cpuMicrosPerRequest?: number };

const started = new Date();
const loadAtStart = loadAverage();
const admin = createPool({ uri: serverUrl, connectionLimit: 1 });
await admin.query(`CREATE DATABASE \`${database}\` CHARACTER SET utf8mb4`);
const dataDir = await mkdtemp(join(tmpdir(), "bench-embedded-"));
const servers: StartedServer[] = [];
try {
  const redisApp = await startServer("app/main.ts", { ...quiet, DATABASE_URL: `${serverUrl}/${database}`, REDIS_URL: redisUrl, REDIS_KEY_PREFIX: prefix });
  servers.push(redisApp);
  const embeddedApp = await startServer("app/main.ts", { ...quiet, DATA_DIR: dataDir });
  servers.push(embeddedApp);

  process.stderr.write(`seeding ${args.items} items of 1 KB...\n`);
  const content = "x".repeat(1024);
  const redisAuth = { authorization: `Bearer ${await benchUserToken(redisApp.url)}` };
  const owner = (await post(`${redisApp.url}/v1/items`, { content }, redisAuth)).ownerId!;
  const paths = (await seedItems(`${serverUrl}/${database}`, owner, args.items)).map((id) => `/v1/items/${id}`);
  const embeddedAuth = { authorization: `Bearer ${await benchUserToken(embeddedApp.url)}` };
  const embeddedHot = `/v1/items/${(await post(`${embeddedApp.url}/v1/items`, { content }, embeddedAuth)).id!}`;
  const sample = await (await fetch(`${redisApp.url}${paths[0]}`)).text();

  // Fill the cache so the timed runs measure the cached path (the Zipf tail would otherwise keep missing). Filled
  // again right before the Zipf case: the shared cache's entries live CACHE_TTL_SECONDS (300 s +-10%), less than
  // the whole run, and the case would otherwise measure the database reads of the entries that ran out.
  const fill = async () => {
    process.stderr.write(`filling the cache...\n`);
    for (let i = 0; i < paths.length; i += 100) await Promise.all(paths.slice(i, i + 100).map(async (p) => (await fetch(`${redisApp.url}${p}`)).text()));
  };
  await fill();
  await (await fetch(`${embeddedApp.url}${embeddedHot}`)).text();

  const bareHono = await startServer("bench/bare-hono.ts", { BODY: sample });
  servers.push(bareHono);
  const bareNode = await startServer("bench/bare-node.ts", { BODY: sample });
  servers.push(bareNode);

  const cases: Record<string, { before?: () => Promise<void>; targets: Target[] }> = {
    "hot id": { targets: [
      { name: "node:http", server: bareNode, paths: [paths[0]!] },
      { name: "bare Hono", server: bareHono, paths: [paths[0]!] },
      { name: "app embedded", server: embeddedApp, paths: [embeddedHot] },
      { name: "app Redis", server: redisApp, paths: [paths[0]!] },
    ] },
    [`Zipf(${args.zipf}) over ${args.items}`]: { before: fill, targets: [
      { name: "node:http", server: bareNode, paths },
      { name: "bare Hono", server: bareHono, paths },
      { name: "app Redis", server: redisApp, paths },
    ] },
  };

  const report: Record<string, unknown> = { date: started.toISOString(), loadAverageAtStart: loadAtStart, tool, connections, seconds, rounds };
  const lines: string[] = [];
  for (const [label, { before, targets }] of Object.entries(cases)) {
    await before?.();
    const countersBefore = await appCounters(redisApp.url);
    const results = new Map<string, Round[]>(targets.map((t) => [t.name, []]));
    const load = (t: Target, secs: number) => runLoad({ tool, urls: [t.server.url], paths: t.paths, zipfS: args.zipf, connections, seconds: secs });
    process.stderr.write(`${label}: warming up (${args.warmup}s each)...\n`);
    for (const t of targets) await load(t, args.warmup);
    for (let r = 0; r < rounds; r++) {
      for (const t of targets) {
        const cpuBefore = await cpuSeconds(t.server.proc.pid);
        const res = await load(t, seconds);
        const cpuAfter = await cpuSeconds(t.server.proc.pid);
        const cpuMicrosPerRequest = cpuBefore !== undefined && cpuAfter !== undefined ? ((cpuAfter - cpuBefore) * 1e6) / res.requests : undefined;
        results.get(t.name)!.push({ ...res, cpuMicrosPerRequest });
        process.stderr.write(
          `  round ${r + 1} ${t.name}: ${Math.round(res.requestsPerSecond)} req/s, p99 ${res.p99Ms.toFixed(1)} ms, ` +
            `server CPU ${cpuMicrosPerRequest?.toFixed(0) ?? "?"} µs/req, errors ${res.errors}, non-2xx ${res.non2xx}; load ${loadAverage()}\n`,
        );
      }
    }
    const summary = (name: string) => {
      const rs = results.get(name)!;
      return {
        requestsPerSecond: Math.round(median(rs.map((x) => x.requestsPerSecond))),
        p99Ms: Number(median(rs.map((x) => x.p99Ms)).toFixed(1)),
        cpuMicrosPerRequest: rs.every((x) => x.cpuMicrosPerRequest !== undefined) ? Math.round(median(rs.map((x) => x.cpuMicrosPerRequest!))) : null,
        errors: rs.reduce((a, x) => a + x.errors + x.non2xx, 0),
      };
    };
    const hono = summary("bare Hono");
    const node = summary("node:http");
    const rows = targets.map((t) => {
      const s = summary(t.name);
      return {
        target: t.name,
        ...s,
        vsHono: Number((s.requestsPerSecond / hono.requestsPerSecond).toFixed(2)),
        p99VsHono: Number((s.p99Ms / hono.p99Ms).toFixed(2)),
        vsNode: Number((s.requestsPerSecond / node.requestsPerSecond).toFixed(2)),
      };
    });
    // What answered the Redis wiring's reads in this case (warm-ups included): the share L1, Redis, and the database took.
    const served = counterDelta(await appCounters(redisApp.url), countersBefore);
    const ratios = hitRatios(served);
    report[label] = { targets: rows, redisApp: { ...ratios, databaseReads: served.dbReads } };
    lines.push(`  ${label} (app Redis: L1 ${ratios.l1}, Redis ${ratios.redis} of the rest, ${served.dbReads} database reads):`);
    for (const row of rows) {
      lines.push(
        `    ${row.target.padEnd(13)} ${String(row.requestsPerSecond).padStart(6)} req/s  p99 ${String(row.p99Ms).padStart(6)} ms  ` +
          `CPU ${row.cpuMicrosPerRequest ?? "?"} µs/req  ×Hono ${row.vsHono.toFixed(2)} (p99 ×${row.p99VsHono.toFixed(2)})  ×node ${row.vsNode.toFixed(2)}  errors ${row.errors}`,
      );
    }
  }
  report.loadAverageAtEnd = loadAverage();
  console.log(
    `\nread path (${tool}, ${connections} connections, ${seconds}s x ${rounds} rounds, medians; ${started.toISOString()}; ` +
      `load average ${loadAtStart} at start, ${String(report.loadAverageAtEnd)} at end)`,
  );
  for (const line of lines) console.log(line);
  console.log(JSON.stringify(report));
} finally {
  stopServers(servers);
  await admin.query(`DROP DATABASE IF EXISTS \`${database}\``);
  await admin.end();
  await deleteRedisPrefix(redisUrl, prefix);
  await rm(dataDir, { recursive: true, force: true });
}
