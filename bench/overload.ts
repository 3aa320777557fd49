/**
 * Overload: 2,000 connections of cached Zipf(1.0) reads over 20,000 items against one app process on MariaDB + Redis,
 * with admission control on (the defaults, or the flags) and off, and bare node:http (the floor: what the box can
 * answer at that many connections at all), side by side in one run. Reports for each the
 * latency of the admitted reads (p50/p99/max), how many were refused with 503 and how fast, and the timeouts (no
 * answer within 2 s). The load generator is bench/flood.ts (wrk cannot tell an admitted read's latency from a 503's).
 *
 *   npm run bench:overload -- [--connections 2000] [--seconds 15] [--rounds 3] [--items 20000] [--zipf 1.0]
 *                             [--max-in-flight N] [--max-lag-ms N]
 */
import { createPool } from "mysql2/promise";
import { flood, type FloodResult } from "./flood.ts";
import { zipfSampler } from "./load.ts";
import { benchUserToken, deleteRedisPrefix, loadAverage, median, parseFlags, post, seedItems, startServer, stopServers, uniqueSuffix, type StartedServer } from "./support.ts";

const args = parseFlags({ connections: 2000, seconds: 15, rounds: 3, items: 20_000, zipf: 1.0, "max-in-flight": undefined, "max-lag-ms": undefined });
const serverUrl = process.env.BENCH_DATABASE_URL ?? "mysql://root@127.0.0.1:3306";
const redisUrl = process.env.BENCH_REDIS_URL ?? "redis://127.0.0.1:6379";
const suffix = uniqueSuffix();
const database = `bench_${suffix}`;
const prefix = `bench:${suffix}:`;

const started = new Date();
const loadAtStart = loadAverage();
const admin = createPool({ uri: serverUrl, connectionLimit: 1 });
await admin.query(`CREATE DATABASE \`${database}\` CHARACTER SET utf8mb4`);
const servers: StartedServer[] = [];
try {
  const env = { DATABASE_URL: `${serverUrl}/${database}`, REDIS_URL: redisUrl, REDIS_KEY_PREFIX: prefix, LOG_LEVEL: "warn", RATE_LIMIT_PER_MINUTE: "0" };
  const limits: Record<string, string> = {};
  if (args["max-in-flight"] !== undefined) limits.ADMISSION_MAX_IN_FLIGHT = String(args["max-in-flight"]);
  if (args["max-lag-ms"] !== undefined) limits.ADMISSION_MAX_LAG_MS = String(args["max-lag-ms"]);
  const on = await startServer("app/main.ts", { ...env, ...limits });
  servers.push(on);
  const off = await startServer("app/main.ts", { ...env, MIGRATE_ON_START: "0", ADMISSION_MAX_IN_FLIGHT: "0", ADMISSION_MAX_LAG_MS: "0" });
  servers.push(off);

  process.stderr.write(`seeding ${args.items} items of 1 KB...\n`);
  const content = "x".repeat(1024);
  const auth = { authorization: `Bearer ${await benchUserToken(on.url)}` };
  const owner = (await post(`${on.url}/v1/items`, { content }, auth)).ownerId!;
  const paths = (await seedItems(`${serverUrl}/${database}`, owner, args.items)).map((id) => `/v1/items/${id}`);
  process.stderr.write(`filling the cache...\n`);
  for (let i = 0; i < paths.length; i += 100) await Promise.all(paths.slice(i, i + 100).map(async (p) => (await fetch(`${on.url}${p}`)).text()));

  // The floor: node:http answering the same body under the same flood, what this box can do at all.
  const sample = await (await fetch(`${on.url}${paths[0]}`)).text();
  const floor = await startServer("bench/bare-node.ts", { BODY: sample });
  servers.push(floor);

  const next = zipfSampler(paths.length, args.zipf);
  const nextPath = () => paths[next()]!;
  const results: Record<"node:http" | "off" | "on", FloodResult[]> = { "node:http": [], off: [], on: [] };
  for (let r = 0; r < args.rounds; r++) {
    for (const [name, server] of [["node:http", floor], ["off", off], ["on", on]] as const) {
      const res = await flood({ url: server.url, connections: args.connections, seconds: args.seconds, nextPath });
      results[name].push(res);
      process.stderr.write(
        `  round ${r + 1} ${name === "node:http" ? "bare node:http" : `admission ${name}`}: ${res.requestsPerSecond} answers/s; admitted ${res.ok} (p50 ${res.admitted.p50} ms, p99 ${res.admitted.p99} ms, ` +
          `max ${res.admitted.max} ms); refused ${res.refused} (p99 ${res.refusals.p99} ms); other ${res.other}; timeouts ${res.timeouts}; ` +
          `connect errors ${res.connectErrors}; load ${loadAverage()}\n`,
      );
      // Let the closed sockets and the server settle before the next target.
      await new Promise((done) => setTimeout(done, 2000));
    }
  }
  const summary = (rs: FloodResult[]) => ({
    answersPerSecond: median(rs.map((x) => x.requestsPerSecond)),
    admittedP50Ms: median(rs.map((x) => x.admitted.p50)),
    admittedP99Ms: median(rs.map((x) => x.admitted.p99)),
    admittedMaxMs: median(rs.map((x) => x.admitted.max)),
    admitted: median(rs.map((x) => x.ok)),
    refused: median(rs.map((x) => x.refused)),
    refusedP99Ms: median(rs.map((x) => x.refusals.p99)),
    timeouts: rs.reduce((a, x) => a + x.timeouts, 0),
    connectErrors: rs.reduce((a, x) => a + x.connectErrors, 0),
    otherErrors: rs.reduce((a, x) => a + x.other, 0),
  });
  const report = {
    date: started.toISOString(),
    loadAverageAtStart: loadAtStart,
    loadAverageAtEnd: loadAverage(),
    connections: args.connections,
    seconds: args.seconds,
    rounds: args.rounds,
    items: args.items,
    zipf: args.zipf,
    limits: Object.keys(limits).length ? limits : "defaults",
    bareNode: summary(results["node:http"]),
    off: summary(results.off),
    on: summary(results.on),
  };
  console.log(
    `\noverload (${args.connections} connections, Zipf(${args.zipf}) over ${args.items} cached items, MariaDB + Redis, ${args.seconds}s x ${args.rounds} rounds, ` +
      `medians; ${report.date}; load average ${loadAtStart} at start, ${report.loadAverageAtEnd} at end)`,
  );
  for (const [name, s] of [["bare node:http", report.bareNode], ["admission off", report.off], ["admission on", report.on]] as const) {
    console.log(
      `  ${name.padEnd(14)}: ${s.answersPerSecond} answers/s; admitted reads p50 ${s.admittedP50Ms} ms, p99 ${s.admittedP99Ms} ms, max ${s.admittedMaxMs} ms; ` +
        `refused ${s.refused} per round (p99 ${s.refusedP99Ms} ms); timeouts ${s.timeouts}, connect errors ${s.connectErrors}, other errors ${s.otherErrors} (all rounds)`,
    );
  }
  console.log(JSON.stringify(report));
} finally {
  stopServers(servers);
  await admin.query(`DROP DATABASE IF EXISTS \`${database}\``);
  await admin.end();
  await deleteRedisPrefix(redisUrl, prefix);
}
