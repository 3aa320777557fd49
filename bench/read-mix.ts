/**
 * Mixed-load benchmark for issue 4's read path: 100 reads per write, Zipf(1.0) over 100,000 items, two app processes
 * on one MariaDB + Redis (the primary: no replica harness is on main yet), against a bare Hono baseline under the
 * same load. Reports in one run: throughput and p99 of each and their ratio, database reads per 1,000 requests at
 * steady state, the L1 and Redis hit ratios, and the database reads caused by 500 concurrent misses on one cold key.
 *
 *   npm run bench:mix -- [--seconds 15] [--warmup 10] [--items 100000] [--zipf 1.0] [--connections 50]
 *   BENCH_DATABASE_URL (server URL without a database; default the local MariaDB), BENCH_REDIS_URL
 */
import { spawn, type ChildProcess } from "node:child_process";
import { parseArgs } from "node:util";
import { randomBytes } from "node:crypto";
import { createPool } from "mysql2/promise";
import { Redis } from "ioredis";
import { v7 as uuidv7 } from "uuid";
import autocannon from "autocannon";
import { zipfSampler } from "./load.ts";

const { values: args } = parseArgs({
  options: {
    seconds: { type: "string", default: "15" },
    warmup: { type: "string", default: "10" },
    items: { type: "string", default: "100000" },
    zipf: { type: "string", default: "1.0" },
    connections: { type: "string", default: "50" },
  },
});
const seconds = Number(args.seconds);
const itemCount = Number(args.items);
const zipfS = Number(args.zipf);
const connections = Number(args.connections);
const serverUrl = process.env.BENCH_DATABASE_URL ?? "mysql://root@127.0.0.1:3306";
const redisUrl = process.env.BENCH_REDIS_URL ?? "redis://127.0.0.1:6379";
const suffix = randomBytes(4).toString("hex");
const database = `benchmix_${suffix}`;
const prefix = `benchmix:${suffix}:`;

function startServer(script: string, env: Record<string, string>): Promise<{ proc: ChildProcess; url: string }> {
  const proc = spawn(process.execPath, ["--import", "tsx", script], { env: { ...process.env, ...env, PORT: "0" }, stdio: ["ignore", "pipe", "inherit"] });
  return new Promise((resolve, reject) => {
    let out = "";
    proc.stdout!.on("data", (d: Buffer) => {
      out += d.toString();
      const m = /listening on (http:\/\/\S+)/.exec(out);
      if (m) resolve({ proc, url: m[1]! });
    });
    proc.once("exit", (code) => reject(new Error(`${script} exited with ${code}: ${out}`)));
  });
}

async function post(url: string, body: unknown, headers: Record<string, string> = {}) {
  const res = await fetch(url, { method: "POST", headers: { "content-type": "application/json", ...headers }, body: JSON.stringify(body) });
  if (res.status !== 201) throw new Error(`POST ${url}: ${res.status} ${await res.text()}`);
  return res.json() as Promise<Record<string, string>>;
}

/** The counters this bench reads from an app's /metrics. */
async function counters(url: string) {
  const text = await (await fetch(`${url}/metrics`)).text();
  const num = (re: RegExp) => Number(re.exec(text)?.[1] ?? 0);
  const cache = (r: string) => num(new RegExp(`item_cache_requests_total\\{result="${r}"\\} (\\d+)`));
  return { dbReads: num(/item_db_reads_total (\d+)/), l1: cache("l1"), hit: cache("hit"), miss: cache("miss"), bypass: cache("bypass") };
}
type Counters = Awaited<ReturnType<typeof counters>>;
const sum = (xs: Counters[]): Counters => xs.reduce((a, x) => ({ dbReads: a.dbReads + x.dbReads, l1: a.l1 + x.l1, hit: a.hit + x.hit, miss: a.miss + x.miss, bypass: a.bypass + x.bypass }));
const minus = (a: Counters, b: Counters): Counters => ({ dbReads: a.dbReads - b.dbReads, l1: a.l1 - b.l1, hit: a.hit - b.hit, miss: a.miss - b.miss, bypass: a.bypass - b.bypass });

/** 100:1 reads to writes over Zipf-ranked ids, split over the given URLs; returns the combined result. */
async function mixedLoad(urls: string[], ids: string[], token: string, duration: number) {
  const next = zipfSampler(ids.length, zipfS);
  const content = JSON.stringify({ content: "y".repeat(1024) });
  const headers = { authorization: `Bearer ${token}`, "content-type": "application/json" };
  const results = await Promise.all(
    urls.map((url) =>
      autocannon({
        url,
        connections: Math.max(1, Math.round(connections / urls.length)),
        duration,
        requests: [
          {
            setupRequest: (req) => {
              const path = `/v1/items/${ids[next()]!}`;
              return Math.random() < 1 / 101 ? { ...req, method: "PUT", path, headers, body: content } : { ...req, method: "GET", path, headers: {}, body: undefined };
            },
          },
        ],
      }),
    ),
  );
  const total = results.reduce((a, r) => a + r.requests.total, 0);
  for (const r of results) if (r.errors + r.timeouts + r.non2xx > 0) process.stderr.write(`errors: ${JSON.stringify({ errors: r.errors, timeouts: r.timeouts, non2xx: r.non2xx, statusCodes: r.statusCodeStats })}\n`);
  return {
    requestsPerSecond: Math.round(total / duration),
    p99Ms: Math.max(...results.map((r) => r.latency.p99)),
    errors: results.reduce((a, r) => a + r.errors + r.timeouts + r.non2xx, 0),
    requests: total,
  };
}

const admin = createPool({ uri: serverUrl, connectionLimit: 2 });
await admin.query(`CREATE DATABASE \`${database}\` CHARACTER SET utf8mb4`);
const servers: ChildProcess[] = [];
try {
  const appEnv = { DATABASE_URL: `${serverUrl}/${database}`, REDIS_URL: redisUrl, REDIS_KEY_PREFIX: prefix, LOG_LEVEL: "warn", RATE_LIMIT_PER_MINUTE: "0" };
  const a = await startServer("app/main.ts", appEnv);
  servers.push(a.proc);
  const b = await startServer("app/main.ts", { ...appEnv, MIGRATE_ON_START: "0" });
  servers.push(b.proc);
  const apps: [string, string] = [a.url, b.url];

  await post(`${a.url}/v1/users`, { username: "bench", password: "bench-password" });
  const token = (await post(`${a.url}/v1/sessions`, { username: "bench", password: "bench-password" })).token!;
  const owner = (await post(`${a.url}/v1/items`, { content: "owner probe" }, { authorization: `Bearer ${token}` })).ownerId!;
  // Seeding 100,000 rows through HTTP would dominate the run: insert them in batches, as the app would store them.
  process.stderr.write(`seeding ${itemCount} items of 1 KB in the database...\n`);
  const ids: string[] = [];
  const content = "x".repeat(1024);
  for (let i = 0; i < itemCount; i += 1000) {
    const now = Date.now();
    const rows = Array.from({ length: Math.min(1000, itemCount - i) }, () => [uuidv7(), owner, content, 1, now, now]);
    await admin.query(`INSERT INTO \`${database}\`.items (id, owner_id, content, version, created_at, updated_at) VALUES ?`, [rows]);
    for (const r of rows) ids.push(r[0] as string);
  }
  ids.sort(() => Math.random() - 0.5); // rank order random: the hottest keys are not simply the newest
  const sample = await (await fetch(`${a.url}/v1/items/${ids[0]}`)).text();
  const bare = await startServer("bench/bare-hono.ts", { BODY: sample });
  servers.push(bare.proc);

  process.stderr.write(`warming the app (${args.warmup}s), cold cache...\n`);
  await mixedLoad(apps, ids, token, Number(args.warmup));
  const before = sum(await Promise.all(apps.map(counters)));
  process.stderr.write(`measuring the app (${seconds}s)...\n`);
  const app = await mixedLoad(apps, ids, token, seconds);
  const steady = minus(sum(await Promise.all(apps.map(counters))), before);
  process.stderr.write(`measuring bare Hono (${seconds}s)...\n`);
  await mixedLoad([bare.url, bare.url], ids, token, Math.min(3, seconds));
  const base = await mixedLoad([bare.url, bare.url], ids, token, seconds);

  // 500 concurrent misses on one cold key, split over both processes.
  const cold = await post(`${a.url}/v1/items`, { content: "cold" }, { authorization: `Bearer ${token}` });
  const beforeCold = sum(await Promise.all(apps.map(counters)));
  const coldRes = await Promise.all(Array.from({ length: 500 }, (_, i) => fetch(`${apps[i % 2]!}/v1/items/${cold.id}`)));
  const coldReads = sum(await Promise.all(apps.map(counters))).dbReads - beforeCold.dbReads;

  const reads = steady.l1 + steady.hit + steady.miss + steady.bypass;
  const report = {
    items: itemCount,
    zipf: zipfS,
    connections,
    seconds,
    database: "primary only (no replica harness on main yet)",
    bare: base,
    app,
    throughputRatio: Number((app.requestsPerSecond / base.requestsPerSecond).toFixed(2)),
    dbReadsPer1000Requests: Number(((steady.dbReads * 1000) / app.requests).toFixed(2)),
    l1HitRatio: Number((steady.l1 / reads).toFixed(4)),
    redisHitRatio: Number((steady.hit / reads).toFixed(4)),
    coldKey500Misses: { dbReads: coldReads, non200: coldRes.filter((r) => r.status !== 200).length },
  };
  console.log(`\nmixed read path (100:1, Zipf(${zipfS}) over ${itemCount} items, 2 app processes, ${connections} connections, ${seconds}s)`);
  console.log(`  bare Hono : ${base.requestsPerSecond} req/s, p99 ${base.p99Ms} ms`);
  console.log(`  app       : ${app.requestsPerSecond} req/s, p99 ${app.p99Ms} ms, errors ${app.errors}; ratio ${report.throughputRatio}`);
  console.log(`  database reads per 1,000 requests (steady state): ${report.dbReadsPer1000Requests}`);
  console.log(`  hit ratio: L1 ${report.l1HitRatio}, Redis ${report.redisHitRatio}`);
  console.log(`  500 concurrent misses on one cold key: ${coldReads} database read(s)`);
  console.log(JSON.stringify(report));
} finally {
  for (const proc of servers) proc.kill("SIGTERM");
  await admin.query(`DROP DATABASE IF EXISTS \`${database}\``);
  await admin.end();
  const redis = new Redis(redisUrl);
  const keys = await redis.keys(`${prefix}*`);
  if (keys.length) await redis.del(...keys);
  redis.disconnect();
}
