/**
 * What the per-client rate limiter costs on the cached read path: the app on MariaDB + Redis with the limiter off,
 * and with it on (the default 600 per client and minute, behind one proxy: TRUST_PROXY=1), taking turns round after
 * round under the same load: Zipf(1.0) reads over 20,000 cached items, each request's X-Forwarded-For drawn from
 * `clients` addresses (10,000: each client well under its budget, so nothing is refused). Prints per target the
 * median req/s, p99 and server CPU per request, the ratio of on to off, and the Redis commands per request.
 *
 *   npm run bench:limiter -- [--seconds 10] [--warmup 3] [--rounds 3] [--items 20000] [--clients 10000]
 *                            [--connections 100]
 *   BENCH_DATABASE_URL (server URL without a database; default the local MariaDB), BENCH_REDIS_URL
 */
import { Redis } from "ioredis";
import { createPool } from "mysql2/promise";
import { cpuSeconds, haveWrk, runLoad } from "./load.ts";
import { benchUserToken, deleteRedisPrefix, loadAverage, median, parseFlags, post, seedItems, startServer, stopServers, uniqueSuffix, type StartedServer } from "./support.ts";

const args = parseFlags({ seconds: 10, warmup: 3, rounds: 3, items: 20_000, clients: 10_000, connections: 100 });
if (!(await haveWrk())) throw new Error("this bench varies X-Forwarded-For through a wrk script: install wrk (Debian package wrk)");

const serverUrl = process.env.BENCH_DATABASE_URL ?? "mysql://root@127.0.0.1:3306";
const redisUrl = process.env.BENCH_REDIS_URL ?? "redis://127.0.0.1:6379";
const suffix = uniqueSuffix();
const database = `bench_${suffix}`;
const prefix = `bench:${suffix}:`;
const started = new Date();
const loadAtStart = loadAverage();
const admin = createPool({ uri: serverUrl, connectionLimit: 1 });
await admin.query(`CREATE DATABASE \`${database}\` CHARACTER SET utf8mb4`);
const redis = new Redis(redisUrl);
const commandsProcessed = async () => Number(/total_commands_processed:(\d+)/.exec(await redis.info("stats"))?.[1]);
const servers: StartedServer[] = [];
try {
  const env = { LOG_LEVEL: "warn", DATABASE_URL: `${serverUrl}/${database}`, REDIS_URL: redisUrl, REDIS_KEY_PREFIX: prefix, TRUST_PROXY: "1" };
  const off = await startServer("app/main.ts", { ...env, RATE_LIMIT_PER_MINUTE: "0" });
  servers.push(off);
  const on = await startServer("app/main.ts", { ...env, RATE_LIMIT_PER_MINUTE: "600" });
  servers.push(on);

  process.stderr.write(`seeding ${args.items} items of 1 KB, filling the cache...\n`);
  const auth = { authorization: `Bearer ${await benchUserToken(off.url)}` };
  const owner = (await post(`${off.url}/v1/items`, { content: "x" }, auth)).ownerId!;
  const paths = (await seedItems(`${serverUrl}/${database}`, owner, args.items)).map((id) => `/v1/items/${id}`);
  for (let i = 0; i < paths.length; i += 100) await Promise.all(paths.slice(i, i + 100).map(async (p) => (await fetch(`${off.url}${p}`)).text()));

  const targets = [
    { name: "limiter off", server: off },
    { name: "limiter on", server: on },
  ];
  const load = (server: StartedServer, seconds: number) =>
    runLoad({ tool: "wrk", urls: [server.url], paths, zipfS: 1, connections: args.connections, seconds, clients: args.clients });
  for (const t of targets) await load(t.server, args.warmup);
  const rounds = new Map(targets.map((t) => [t.name, [] as Array<{ rps: number; p99: number; cpu: number; redis: number; refused: number }>]));
  for (let r = 0; r < args.rounds; r++) {
    for (const t of targets) {
      const [cpuBefore, commandsBefore] = [await cpuSeconds(t.server.proc.pid), await commandsProcessed()];
      const res = await load(t.server, args.seconds);
      const [cpuAfter, commandsAfter] = [await cpuSeconds(t.server.proc.pid), await commandsProcessed()];
      const round = {
        rps: res.requestsPerSecond,
        p99: res.p99Ms,
        cpu: cpuBefore !== undefined && cpuAfter !== undefined ? ((cpuAfter - cpuBefore) * 1e6) / res.requests : NaN,
        redis: (commandsAfter - commandsBefore) / res.requests,
        refused: res.non2xx + res.errors,
      };
      rounds.get(t.name)!.push(round);
      process.stderr.write(
        `  round ${r + 1} ${t.name}: ${Math.round(round.rps)} req/s, p99 ${round.p99.toFixed(1)} ms, CPU ${round.cpu.toFixed(0)} µs/req, ` +
          `Redis ${round.redis.toFixed(2)} commands/req, non-2xx or errors ${round.refused}; load ${loadAverage()}\n`,
      );
    }
  }
  const summary = (name: string) => {
    const rs = rounds.get(name)!;
    const m = (f: (x: (typeof rs)[number]) => number) => median(rs.map(f));
    return { requestsPerSecond: Math.round(m((x) => x.rps)), p99Ms: Number(m((x) => x.p99).toFixed(1)), cpuMicrosPerRequest: Math.round(m((x) => x.cpu)), redisCommandsPerRequest: Number(m((x) => x.redis).toFixed(2)), nonOk: rs.reduce((a, x) => a + x.refused, 0) };
  };
  const [a, b] = [summary("limiter off"), summary("limiter on")];
  console.log(
    `\nrate limiter on the cached read path (wrk, ${args.connections} connections, ${args.clients} clients, ${args.seconds}s x ${args.rounds} rounds, medians; ` +
      `${started.toISOString()}; load average ${loadAtStart} at start, ${loadAverage()} at end)`,
  );
  for (const [name, s] of [["limiter off", a], ["limiter on ", b]] as const) {
    console.log(`  ${name}  ${String(s.requestsPerSecond).padStart(6)} req/s  p99 ${String(s.p99Ms).padStart(5)} ms  CPU ${s.cpuMicrosPerRequest} µs/req  Redis ${s.redisCommandsPerRequest} commands/req  non-2xx ${s.nonOk}`);
  }
  console.log(`  on / off: throughput ${(b.requestsPerSecond / a.requestsPerSecond).toFixed(2)}, p99 ${(b.p99Ms / a.p99Ms).toFixed(2)}`);
} finally {
  stopServers(servers);
  await admin.query(`DROP DATABASE IF EXISTS \`${database}\``).catch(() => undefined);
  await admin.end();
  await deleteRedisPrefix(redisUrl, prefix).catch(() => undefined);
  redis.disconnect();
}
