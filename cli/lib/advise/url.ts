/**
 * Evidence for a running service: its /metrics scraped once a second over a short window (counters
 * become rates, gauges their worst value), and where reachable the database's and cache's own
 * counters (MariaDB SHOW GLOBAL STATUS, Redis INFO) and the database process's CPU.
 */
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { buckets, has, parsePrometheus, quantileOfDelta, sum, type Sample } from "./prometheus.ts";
import type { Evidence } from "./rules.ts";

export interface LocalComponent {
  name: string;
  kind?: string;
  address: string;
  pid?: number;
}

export interface LocalState {
  stage: number;
  endpoint: string;
  components: LocalComponent[];
}

export interface UrlSources {
  url: URL;
  windowMs: number;
  /** App servers to scrape directly (a local stage's components); otherwise the URL, which a load balancer spreads. */
  appAddresses?: string[];
  databaseUrl?: string;
  databasePid?: number;
  redisUrl?: string;
  stage?: number | null;
  onProgress?: (line: string) => void;
}

export interface UrlEvidence {
  evidence: Evidence;
  stage: number | null;
  notes: string[];
}

export class AdviseError extends Error {}

/** A local stage's DIR/state.json, with what advise needs from it. */
export async function readLocalState(dir: string): Promise<LocalState> {
  let text: string;
  try {
    text = await readFile(join(dir, "state.json"), "utf8");
  } catch {
    throw new AdviseError(`no local stage in ${dir} (no state.json): run \`scale local up\` or give --url without --dir`);
  }
  const s = JSON.parse(text) as LocalState;
  if (typeof s.stage !== "number" || !Array.isArray(s.components)) throw new AdviseError(`${join(dir, "state.json")} is not a local stage's state`);
  return s;
}

/** The sources a local stage offers: its app servers, its primary database (and pid) and its cache. */
export function sourcesFromLocalState(state: LocalState): Pick<UrlSources, "appAddresses" | "databaseUrl" | "databasePid" | "redisUrl" | "stage"> {
  const apps = state.components.filter((c) => /^app-/.test(c.name)).map((c) => c.address);
  const db = state.components.find((c) => c.name === "mariadb-primary") ?? state.components.find((c) => c.name === "mariadb-box");
  const redis = state.components.find((c) => c.name === "redis");
  return {
    stage: state.stage,
    appAddresses: apps.length ? apps : undefined,
    databaseUrl: db ? `mysql://root@${db.address}` : undefined,
    databasePid: db?.pid,
    redisUrl: redis ? `redis://${redis.address}` : undefined,
  };
}

interface Instance {
  first: { at: number; samples: Sample[] };
  last: { at: number; samples: Sample[] };
  maxLagMs: number;
  maxWaiting: number;
  maxReplicaLag: number;
}

const IGNORED_ROUTES = new Set(["/metrics", "/healthz", "/readyz", "unmatched"]);

async function scrape(base: string): Promise<Sample[]> {
  const res = await fetch(`${base.replace(/\/+$/, "")}/metrics`, { signal: AbortSignal.timeout(5_000) });
  if (res.status !== 200) throw new AdviseError(`${base}/metrics answered ${res.status}: is this one of our services?`);
  return parsePrometheus(await res.text());
}

export async function gatherUrlEvidence(src: UrlSources): Promise<UrlEvidence> {
  const notes: string[] = [];
  const direct = src.appAddresses?.map((a) => (a.includes("://") ? a : `http://${a}`));
  const targets = direct ?? [src.url.href];
  // Through a load balancer each scrape may reach another server: scrape more than once and tell them apart.
  const perRound = direct ? 1 : 3;
  const instances = new Map<string, Instance>();
  const db = await DatabaseProbe.open(src.databaseUrl, src.databasePid, notes);
  const cache = await CacheProbe.open(src.redisUrl, notes);

  const sampleOnce = async () => {
    for (const target of targets) {
      for (let k = 0; k < perRound; k++) {
        let samples: Sample[];
        try {
          samples = await scrape(target);
        } catch (err) {
          if (err instanceof AdviseError) throw err;
          throw new AdviseError(`nothing answers at ${target} (${(err as Error).cause ? String((err as { cause: { code?: string } }).cause.code) : (err as Error).message}): is the service running?`);
        }
        const key = direct ? target : String(sum(samples, "process_start_time_seconds"));
        const now = performance.now();
        const inst = instances.get(key) ?? { first: { at: now, samples }, last: { at: now, samples }, maxLagMs: 0, maxWaiting: 0, maxReplicaLag: 0 };
        inst.last = { at: now, samples };
        inst.maxLagMs = Math.max(inst.maxLagMs, sum(samples, "nodejs_eventloop_lag_p99_seconds") * 1000);
        inst.maxWaiting = Math.max(inst.maxWaiting, sum(samples, "db_pool_waiting_requests"));
        for (const s of samples) if (s.name === "db_replica_lag_seconds" && Number.isFinite(s.value)) inst.maxReplicaLag = Math.max(inst.maxReplicaLag, s.value);
        instances.set(key, inst);
      }
    }
  };

  src.onProgress?.(`reading ${targets.join(", ")} /metrics for ${src.windowMs / 1000} s`);
  const started = performance.now();
  await sampleOnce();
  await db?.sample();
  await cache?.sample();
  while (performance.now() - started < src.windowMs) {
    await new Promise((r) => setTimeout(r, Math.min(1000, Math.max(0, src.windowMs - (performance.now() - started)))));
    await sampleOnce();
  }
  await db?.sample();
  await cache?.sample();
  await db?.close();
  await cache?.close();

  const e: Evidence = {};
  let requests = 0, reads = 0, writes = 0, itemReads = 0, hits = 0, misses = 0, dbReads = 0, seconds = 0, appCpu = 0;
  let lag = 0, waiting = 0, replicaLag = 0, cachePresent = false, sharedCache = false, replicas = false;
  const latencyBefore = new Map<number, number>();
  const latencyAfter = new Map<number, number>();
  const measured = [...instances.values()].filter((i) => i.last.at > i.first.at);
  if (measured.length < instances.size) notes.push(`${instances.size - measured.length} server(s) answered only once in the window: their counters are left out`);
  for (const inst of measured) {
    const a = inst.first.samples;
    const b = inst.last.samples;
    const dt = (inst.last.at - inst.first.at) / 1000;
    seconds = Math.max(seconds, dt);
    const d = (name: string, where: Parameters<typeof sum>[2] = {}) => Math.max(0, sum(b, name, where) - sum(a, name, where));
    const api = (r: string) => r.startsWith("/v1/") && !IGNORED_ROUTES.has(r);
    requests += d("http_requests_total", { route: (r) => !IGNORED_ROUTES.has(r) }) / dt;
    reads += d("http_requests_total", { route: api, method: (m) => m === "GET" || m === "HEAD" }) / dt;
    writes += d("http_requests_total", { route: api, method: (m) => m !== "GET" && m !== "HEAD" }) / dt;
    const cacheDelta = (result: string) => d("item_cache_requests_total", { result });
    hits += cacheDelta("l1") + cacheDelta("hit");
    misses += cacheDelta("miss");
    itemReads += d("item_cache_requests_total");
    dbReads += d("item_db_reads_total");
    appCpu = Math.max(appCpu, d("process_cpu_seconds_total") / dt);
    lag = Math.max(lag, inst.maxLagMs);
    waiting = Math.max(waiting, inst.maxWaiting);
    replicaLag = Math.max(replicaLag, inst.maxReplicaLag);
    if (cacheDelta("l1") + cacheDelta("hit") + cacheDelta("miss") > 0) cachePresent = true;
    // Only a service with Redis keeps an L1 in front of it; without Redis each server caches on its own.
    if (cacheDelta("l1") > 0) sharedCache = true;
    if (has(b, "db_replica_in_rotation")) replicas = true;
    for (const [le, v] of buckets(a, "http_request_duration_seconds", { method: "GET", route: "/v1/items/:id" })) latencyBefore.set(le, (latencyBefore.get(le) ?? 0) + v);
    for (const [le, v] of buckets(b, "http_request_duration_seconds", { method: "GET", route: "/v1/items/:id" })) latencyAfter.set(le, (latencyAfter.get(le) ?? 0) + v);
  }
  if (measured.length === 0) throw new AdviseError("no server answered twice within the window: give a longer --window");

  const itemSeconds = seconds || 1;
  e.app_servers = measured.length;
  e.requests_per_second = requests;
  e.writes_per_second = writes;
  if (writes > 0) e.reads_per_write = reads / writes;
  else if (reads > 0) e.reads_per_write = Infinity;
  e.item_reads_per_second = itemReads / itemSeconds;
  e.database_reads_per_second = dbReads / itemSeconds;
  if (itemReads > 0) e.database_read_share = dbReads / itemReads;
  if (cachePresent && hits + misses > 0) e.cache_hit_ratio = hits / (hits + misses);
  e.app_cpu_cores = appCpu;
  e.event_loop_lag_ms = lag;
  e.database_pool_waiting = waiting;
  if (replicas) e.replica_lag_seconds = replicaLag;
  const p99 = quantileOfDelta(latencyBefore, latencyAfter, 0.99);
  if (p99 !== undefined) e.read_latency_p99_ms = p99 * 1000;
  if (db) Object.assign(e, db.evidence());
  if (cache) {
    const c = cache.evidence();
    if (e.cache_hit_ratio === undefined && c.cache_hit_ratio !== undefined) e.cache_hit_ratio = c.cache_hit_ratio;
    if (c.cache_evictions_per_second !== undefined) e.cache_evictions_per_second = c.cache_evictions_per_second;
  }
  if (requests === 0) notes.push("the service had no traffic in the window: run the advice under load (e.g. beside `scale loadtest`)");

  const stage = src.stage ?? (sharedCache || replicas ? 3 : measured.length >= 2 ? 2 : null);
  return { evidence: e, stage, notes };
}

/** MariaDB's own counters, and its process's CPU when it runs on this machine. */
class DatabaseProbe {
  private status: { at: number; v: Map<string, number> }[] = [];
  private cpu: { at: number; ticks: number }[] = [];
  private constructor(
    private readonly conn: import("mysql2/promise").Connection | null,
    private pid: number | undefined,
  ) {}

  static async open(url: string | undefined, pid: number | undefined, notes: string[]): Promise<DatabaseProbe | null> {
    if (!url && !pid) return null;
    let conn: import("mysql2/promise").Connection | null = null;
    if (url) {
      try {
        const mysql = await import("mysql2/promise");
        conn = await mysql.createConnection({ uri: url, connectTimeout: 3_000 });
        if (!pid && /^(127\.|localhost|\[?::1)/.test(new URL(url).hostname)) {
          const [rows] = await conn.query("SELECT @@pid_file AS f");
          const file = (rows as { f: string }[])[0]?.f;
          if (file) pid = Number((await readFile(file, "utf8").catch(() => "")).trim()) || undefined;
        }
      } catch (err) {
        notes.push(`database counters not read (${(err as Error).message}): give --database-url with a user that may run SHOW GLOBAL STATUS`);
        conn = null;
      }
    }
    return new DatabaseProbe(conn, pid);
  }

  async sample(): Promise<void> {
    const at = performance.now();
    if (this.conn) {
      const [rows] = await this.conn.query("SHOW GLOBAL STATUS");
      this.status.push({ at, v: new Map((rows as { Variable_name: string; Value: string }[]).map((r) => [r.Variable_name, Number(r.Value)])) });
    }
    const ticks = await processTicks(this.pid);
    if (ticks !== undefined) this.cpu.push({ at, ticks });
  }

  evidence(): Evidence {
    const e: Evidence = {};
    const [c0, c1] = [this.cpu[0], this.cpu.at(-1)];
    // Linux counts process CPU in clock ticks of 1/100 s (USER_HZ).
    if (c0 && c1 && c1.at > c0.at) e.database_cpu_cores = (c1.ticks - c0.ticks) / 100 / ((c1.at - c0.at) / 1000);
    const [s0, s1] = [this.status[0], this.status.at(-1)];
    if (s0 && s1 && s1.at > s0.at) e.database_threads_running = Math.max(s0.v.get("Threads_running") ?? 0, s1.v.get("Threads_running") ?? 0);
    return e;
  }

  async close(): Promise<void> {
    await this.conn?.end().catch(() => {});
  }
}

async function processTicks(pid: number | undefined): Promise<number | undefined> {
  if (!pid) return undefined;
  const stat = await readFile(`/proc/${pid}/stat`, "utf8").catch(() => undefined);
  if (!stat) return undefined;
  // Fields after the command's closing parenthesis; utime and stime are the 14th and 15th of the line.
  const rest = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return Number(rest[11]) + Number(rest[12]);
}

/** Redis's own hit and eviction counters. */
class CacheProbe {
  private samples: { at: number; hits: number; misses: number; evicted: number }[] = [];
  private constructor(private readonly redis: import("ioredis").Redis) {}

  static async open(url: string | undefined, notes: string[]): Promise<CacheProbe | null> {
    if (!url) return null;
    const { Redis } = await import("ioredis");
    const redis = new Redis(url, { lazyConnect: true, connectTimeout: 3_000, maxRetriesPerRequest: 1, enableOfflineQueue: false });
    try {
      await redis.connect();
      return new CacheProbe(redis);
    } catch (err) {
      notes.push(`cache counters not read (${(err as Error).message})`);
      redis.disconnect();
      return null;
    }
  }

  async sample(): Promise<void> {
    const info = await this.redis.info("stats");
    const field = (k: string) => Number(new RegExp(`^${k}:(\\d+)`, "m").exec(info)?.[1] ?? 0);
    this.samples.push({ at: performance.now(), hits: field("keyspace_hits"), misses: field("keyspace_misses"), evicted: field("evicted_keys") });
  }

  evidence(): Evidence {
    const [a, b] = [this.samples[0], this.samples.at(-1)];
    if (!a || !b || b.at <= a.at) return {};
    const hits = b.hits - a.hits;
    const misses = b.misses - a.misses;
    return {
      ...(hits + misses > 0 ? { cache_hit_ratio: hits / (hits + misses) } : {}),
      cache_evictions_per_second: (b.evicted - a.evicted) / ((b.at - a.at) / 1000),
    };
  }

  async close(): Promise<void> {
    this.redis.disconnect();
  }
}
