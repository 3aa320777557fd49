/**
 * What the app benchmarks share: numeric flags, starting a server script as a child process, the bench user,
 * the counters read from an app's /metrics, and clean-up of the names a run creates.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import { loadavg } from "node:os";
import { parseArgs } from "node:util";
import { Redis } from "ioredis";

/**
 * Parse the command line: `numbers` names every numeric flag with its default (undefined: may be left out),
 * `strings` the flags that take text. A numeric flag that is not a non-negative number, or an unknown flag, stops the
 * run with a message naming it.
 */
export function parseFlags<D extends Record<string, number | undefined>, S extends string = never>(
  numbers: D,
  strings: readonly S[] = [],
): { [K in keyof D]: undefined extends D[K] ? number | undefined : number } & Partial<Record<S, string>> {
  const names = [...Object.keys(numbers), ...strings];
  const { values } = parseArgs({ options: Object.fromEntries(names.map((n) => [n, { type: "string" as const }])), strict: true });
  const out: Record<string, number | string | undefined> = { ...numbers };
  for (const name of strings) out[name] = values[name] as string | undefined;
  for (const name of Object.keys(numbers)) {
    const raw = values[name];
    if (raw === undefined) continue;
    const value = Number(raw);
    if (typeof raw !== "string" || raw.trim() === "" || !Number.isFinite(value) || value < 0) {
      throw new Error(`--${name} must be a non-negative number, got ${JSON.stringify(raw)}`);
    }
    out[name] = value;
  }
  return out as never;
}

export interface StartedServer {
  proc: ChildProcess;
  url: string;
}

/** Run a TS entry point (app/main.ts, bench/bare-hono.ts) on a free port; resolves with the URL it prints. */
export function startServer(script: string, env: Record<string, string>): Promise<StartedServer> {
  const proc = spawn(process.execPath, ["--import", "tsx", script], {
    env: { ...process.env, ...env, PORT: "0" },
    stdio: ["ignore", "pipe", "inherit"],
  });
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

export function stopServers(servers: StartedServer[]): void {
  for (const { proc } of servers) if (proc.exitCode === null) proc.kill("SIGTERM");
}

/** POST JSON and expect 201. */
export async function post(url: string, body: unknown, headers: Record<string, string> = {}): Promise<Record<string, string>> {
  const res = await fetch(url, { method: "POST", headers: { "content-type": "application/json", ...headers }, body: JSON.stringify(body) });
  if (res.status !== 201) throw new Error(`POST ${url}: ${res.status} ${await res.text()}`);
  return res.json() as Promise<Record<string, string>>;
}

/** Sign up the bench user and sign in; returns its bearer token. */
export async function benchUserToken(appUrl: string): Promise<string> {
  await post(`${appUrl}/v1/users`, { username: "bench", password: "bench-password" });
  const { token } = await post(`${appUrl}/v1/sessions`, { username: "bench", password: "bench-password" });
  if (!token) throw new Error("POST /v1/sessions answered without a token");
  return token;
}

export const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

/** A name part no other run (or engineer) on the shared servers uses. */
export const uniqueSuffix = (): string => randomBytes(4).toString("hex");

/** The 1, 5 and 15 minute load averages, for the record next to a figure. */
export const loadAverage = (): string => loadavg().map((x) => x.toFixed(2)).join(", ");

export async function deleteRedisPrefix(redisUrl: string, prefix: string): Promise<void> {
  const redis = new Redis(redisUrl);
  try {
    const keys = await redis.keys(`${prefix}*`);
    if (keys.length) await redis.del(...keys);
  } finally {
    redis.disconnect();
  }
}

/** The read-path counters of one app process, from its /metrics. */
export interface Counters {
  /** item_db_reads_total: item reads that reached the database. */
  dbReads: number;
  /** item_cache_requests_total by result. */
  l1: number;
  hit: number;
  miss: number;
  bypass: number;
  /** db_reads_total{target} from the replica router ("primary" or a replica's host:port); empty without replicas. */
  readsByTarget: Record<string, number>;
  /** http_requests_total answered 4xx/5xx, by "METHOD route status". */
  failures: Record<string, number>;
}

export async function appCounters(url: string): Promise<Counters> {
  const text = await (await fetch(`${url}/metrics`)).text();
  const num = (re: RegExp) => Number(re.exec(text)?.[1] ?? 0);
  const cache = (r: string) => num(new RegExp(`^item_cache_requests_total\\{result="${r}"\\} (\\d+)`, "m"));
  const readsByTarget: Record<string, number> = {};
  for (const m of text.matchAll(/^db_reads_total\{target="([^"]+)"\} (\d+)/gm)) readsByTarget[m[1]!] = Number(m[2]);
  const failures: Record<string, number> = {};
  for (const m of text.matchAll(/^http_requests_total\{([^}]*)\} (\d+)/gm)) {
    const labels = Object.fromEntries([...m[1]!.matchAll(/(\w+)="([^"]*)"/g)].map((l) => [l[1]!, l[2]!]));
    if (Number(labels.status) >= 400) failures[`${labels.method} ${labels.route} ${labels.status}`] = Number(m[2]);
  }
  return {
    dbReads: num(/^item_db_reads_total (\d+)/m),
    l1: cache("l1"),
    hit: cache("hit"),
    miss: cache("miss"),
    bypass: cache("bypass"),
    readsByTarget,
    failures,
  };
}

function combineCounts(a: Record<string, number>, b: Record<string, number>, sign: 1 | -1): Record<string, number> {
  const out = { ...a };
  for (const [k, n] of Object.entries(b)) out[k] = (out[k] ?? 0) + sign * n;
  for (const [k, n] of Object.entries(out)) if (n === 0) delete out[k];
  return out;
}

function combine(a: Counters, b: Counters, sign: 1 | -1): Counters {
  return {
    dbReads: a.dbReads + sign * b.dbReads,
    l1: a.l1 + sign * b.l1,
    hit: a.hit + sign * b.hit,
    miss: a.miss + sign * b.miss,
    bypass: a.bypass + sign * b.bypass,
    readsByTarget: combineCounts(a.readsByTarget, b.readsByTarget, sign),
    failures: combineCounts(a.failures, b.failures, sign),
  };
}

/** The counters of several processes added up. */
export async function totalCounters(urls: string[]): Promise<Counters> {
  const all = await Promise.all(urls.map(appCounters));
  return all.reduce((a, x) => combine(a, x, 1));
}

export const counterDelta = (after: Counters, before: Counters): Counters => combine(after, before, -1);

/**
 * Hit ratios from a counter delta. `l1`: share of item reads answered in-process; `redis`: share of the reads that
 * got past L1 and were answered by Redis; `cached`: share answered by either (the rest reached the database path).
 */
export function hitRatios(c: Counters): { l1: number; redis: number; cached: number } {
  const reads = c.l1 + c.hit + c.miss + c.bypass;
  const round = (x: number) => Number(x.toFixed(4));
  return {
    l1: round(c.l1 / Math.max(1, reads)),
    redis: round(c.hit / Math.max(1, reads - c.l1)),
    cached: round((c.l1 + c.hit) / Math.max(1, reads)),
  };
}

/**
 * Insert `count` items of 1 KB for `ownerId` straight into the database (seeding 20,000 rows through HTTP would take
 * longer than the run), as the app stores them. Returns their ids in random order, so the hottest Zipf ranks are not
 * simply the newest rows.
 */
export async function seedItems(databaseUrl: string, ownerId: string, count: number): Promise<string[]> {
  const { createPool } = await import("mysql2/promise");
  const { v7: uuidv7 } = await import("uuid");
  const pool = createPool({ uri: databaseUrl, connectionLimit: 1 });
  const ids: string[] = [];
  try {
    const content = "x".repeat(1024);
    for (let i = 0; i < count; i += 1000) {
      const now = Date.now();
      const rows = Array.from({ length: Math.min(1000, count - i) }, () => [uuidv7(), ownerId, content, 1, now, now]);
      await pool.query("INSERT INTO items (id, owner_id, content, version, created_at, updated_at) VALUES ?", [rows]);
      for (const r of rows) ids.push(r[0] as string);
    }
  } finally {
    await pool.end();
  }
  return ids.sort(() => Math.random() - 0.5);
}
