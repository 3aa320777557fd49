/**
 * The load generator: a pool of users signs up and logs in, seeds items, then reads (Zipf over the
 * seeded ids) and writes (1 KB, each with its own Idempotency-Key) at the given reads per write.
 *
 * Why our own scheduler over undici rather than autocannon: the reads need ids the writes returned and
 * every write needs a session and a fresh key (autocannon can, through hooks, at a CPU cost it already
 * pays too much of here: 85-97% of a core in our baselines), and at a fixed rate latency must be
 * measured from when a request was due, not from when a free connection finally sent it, or a stalled
 * service hides its own queueing (coordinated omission). The generator also watches its own CPU and
 * event-loop lag so a result it could not drive is labelled as such.
 */
import { randomBytes, randomUUID } from "node:crypto";
import { monitorEventLoopDelay } from "node:perf_hooks";
import { Histogram } from "./histogram.ts";
import { Zipf } from "./zipf.ts";
import type { Ramp } from "./options.ts";

export interface LoadTestOptions {
  url: URL;
  durationMs: number;
  connections: number;
  /** Reads per write. */
  readRatio: number;
  zipf: number;
  items: number;
  /** A fixed rate in requests a second (open loop); absent with no ramp: as fast as the connections go. */
  rate?: number;
  ramp?: Ramp;
  /** Signed-up users sharing the writes. */
  users?: number;
  /** Called once a second while the measured phase runs. */
  onSecond?: (s: SecondStats) => void;
  /** Setup progress ("signing up 20 users"). */
  onProgress?: (line: string) => void;
  /** Per-request timeout. */
  timeoutMs?: number;
  /** Ends the measured phase early (what was measured so far is the result), e.g. when a rehearsal is over. */
  signal?: AbortSignal;
}

export interface SecondStats {
  second: number;
  requests: number;
  errors: number;
  p50: number;
  p90: number;
  p99: number;
  max: number;
  /** The scheduled rate for that second (fixed rate or ramp), null in closed loop. */
  targetRps: number | null;
  /** The generator's own CPU in that second, as a share of one core. */
  cpu: number;
  /** The generator's event-loop delay p99 in that second, ms. */
  loopLagMs: number;
}

/** The document contract §6 promises for `--json`. */
export interface LoadTestSummary {
  url: string;
  seconds: number;
  requests: number;
  rps: number;
  reads: number;
  writes: number;
  latencyMs: { p50: number; p90: number; p99: number; max: number };
  statuses: Record<string, number>;
  errors: number;
}

export interface LoadTestResult {
  summary: LoadTestSummary;
  timeline: SecondStats[];
  generator: {
    /** True when the generator's own CPU or event loop, not the service, limited the run. */
    bound: boolean;
    reason: string | null;
    cpuP90: number;
    loopLagP99Ms: number;
    /** Requests due by the schedule that were never sent because every connection was busy (fixed rate). */
    behindSchedule: number;
  };
  mode: "closed" | "rate" | "ramp";
  users: number;
  items: number;
  errorSamples: string[];
}

export class LoadTestError extends Error {}

type Undici = typeof import("undici");
type Pool = InstanceType<Undici["Pool"]>;

const CONTENT = "x".repeat(1000);

/** Is this a network-level failure (nothing answering), as opposed to an HTTP answer? */
function describeNetworkError(err: unknown): string {
  const e = err as { code?: string; message?: string; cause?: { code?: string } };
  return e.code ?? e.cause?.code ?? e.message ?? String(err);
}

export async function runLoadTest(opts: LoadTestOptions): Promise<LoadTestResult> {
  const { Pool } = await import("undici");
  const base = opts.url.pathname.replace(/\/+$/, "");
  const timeoutMs = opts.timeoutMs ?? 10_000;
  const pool = new Pool(opts.url.origin, {
    connections: opts.connections,
    pipelining: 1,
    connect: { timeout: 3_000 },
    headersTimeout: timeoutMs,
    bodyTimeout: timeoutMs,
    keepAliveTimeout: 30_000,
  });
  const progress = opts.onProgress ?? (() => {});
  try {
    await probe(pool, base, opts.url);
    const users = await signUpUsers(pool, base, opts.users ?? Math.min(opts.connections, 20), progress);
    const ids = await seedItems(pool, base, users, opts.items, opts.connections, progress);
    return await measure(pool, base, opts, users, ids);
  } finally {
    await pool.destroy().catch(() => {});
  }
}

async function probe(pool: Pool, base: string, url: URL): Promise<void> {
  try {
    const res = await pool.request({ path: `${base}/healthz`, method: "GET", headersTimeout: 5_000, bodyTimeout: 5_000 });
    await res.body.dump();
    if (res.statusCode !== 200)
      throw new LoadTestError(`${url.href} answered ${res.statusCode} on /healthz: is this the service? Check --url`);
  } catch (err) {
    if (err instanceof LoadTestError) throw err;
    throw new LoadTestError(
      `nothing answers at ${url.origin} (${describeNetworkError(err)}): is the service running? Start it (e.g. \`scale local up\`) or check --url`,
    );
  }
}

interface User {
  token: string;
}

/**
 * A setup POST, retried while the service sheds load (503 with Retry-After, from its admission control): the
 * seeding's writes carry one Idempotency-Key across their retries, so a retry never makes a second item.
 */
async function postJson(pool: Pool, path: string, body: unknown, headers: Record<string, string> = {}) {
  for (let attempt = 1; ; attempt++) {
    const res = await postOnce(pool, path, body, headers);
    if (res.status !== 503 || attempt >= 8) return res;
    await new Promise((r) => setTimeout(r, Math.min(2_000, 100 * 2 ** attempt)));
  }
}

async function postOnce(pool: Pool, path: string, body: unknown, headers: Record<string, string>) {
  const res = await pool.request({
    path,
    method: "POST",
    headers: { "content-type": "application/json", ...headers },
    body: JSON.stringify(body),
  });
  const text = await res.body.text();
  let parsed: Record<string, unknown> = {};
  try {
    parsed = JSON.parse(text) as Record<string, unknown>;
  } catch {
    // Not JSON: the status and the raw text are reported below.
  }
  return { status: res.statusCode, json: parsed, text };
}

function setupRefused(what: string, status: number, detail: string): LoadTestError {
  if (status === 429)
    return new LoadTestError(
      `the service's rate limiter refused the load test's ${what} (429): run the service with RATE_LIMIT_PER_MINUTE=0 (or a limit above the test's rate) while testing`,
    );
  return new LoadTestError(`${what} failed: ${status} ${detail.slice(0, 200)}`);
}

async function inBatches<T>(count: number, concurrency: number, fn: (i: number) => Promise<T>): Promise<T[]> {
  const out: T[] = new Array(count);
  let next = 0;
  const worker = async () => {
    while (next < count) {
      const i = next++;
      out[i] = await fn(i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, count) }, worker));
  return out;
}

async function signUpUsers(pool: Pool, base: string, count: number, progress: (l: string) => void): Promise<User[]> {
  const run = randomBytes(4).toString("hex");
  progress(`signing up and logging in ${count} users`);
  return inBatches(count, 10, async (i) => {
    const username = `lt-${run}-${i}`;
    const password = randomBytes(12).toString("base64url");
    const made = await postJson(pool, `${base}/v1/users`, { username, password });
    if (made.status !== 201) throw setupRefused("sign-up", made.status, made.text);
    const session = await postJson(pool, `${base}/v1/sessions`, { username, password });
    if (session.status !== 201 || typeof session.json.token !== "string") throw setupRefused("log-in", session.status, session.text);
    return { token: session.json.token };
  });
}

async function writeItem(pool: Pool, base: string, user: User): Promise<{ status: number; id?: string; text: string }> {
  const res = await postJson(pool, `${base}/v1/items`, { content: CONTENT }, { authorization: `Bearer ${user.token}`, "idempotency-key": randomUUID() });
  return { status: res.status, id: typeof res.json.id === "string" ? res.json.id : undefined, text: res.text };
}

async function seedItems(pool: Pool, base: string, users: User[], count: number, concurrency: number, progress: (l: string) => void): Promise<string[]> {
  progress(`seeding ${count.toLocaleString("en-US")} items of 1 KB`);
  const ids = await inBatches(count, concurrency, async (i) => {
    const res = await writeItem(pool, base, users[i % users.length]!);
    if (res.status !== 201 || !res.id) throw setupRefused("seeding write", res.status, res.text);
    return res.id;
  });
  // Shuffle so the hottest Zipf ranks are not simply the first items written.
  for (let i = ids.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1));
    [ids[i], ids[j]] = [ids[j]!, ids[i]!];
  }
  return ids;
}

/** When request i is due, in ms after the start, for a fixed rate or a linear ramp (then held at its end rate). */
export function scheduleAt(i: number, rate: number | undefined, ramp: Ramp | undefined): number {
  if (ramp) {
    const T = ramp.ms / 1000;
    const slope = (ramp.to - ramp.from) / T;
    const atEnd = ramp.from * T + (slope * T * T) / 2;
    if (i <= atEnd) {
      const t = slope === 0 ? i / ramp.from : (-ramp.from + Math.sqrt(ramp.from * ramp.from + 2 * slope * i)) / slope;
      return t * 1000;
    }
    return (T + (i - atEnd) / ramp.to) * 1000;
  }
  return (i * 1000) / rate!;
}

function targetRateAt(second: number, rate: number | undefined, ramp: Ramp | undefined): number | null {
  if (ramp) {
    const t = Math.min(second + 0.5, ramp.ms / 1000);
    return Math.round(ramp.from + ((ramp.to - ramp.from) * t) / (ramp.ms / 1000));
  }
  return rate ?? null;
}

async function measure(pool: Pool, base: string, opts: LoadTestOptions, users: User[], ids: string[]): Promise<LoadTestResult> {
  const zipf = new Zipf(ids.length, opts.zipf);
  const mode = opts.ramp ? "ramp" : opts.rate ? "rate" : "closed";
  const total = new Histogram();
  const statuses: Record<string, number> = {};
  const errorSamples: string[] = [];
  const timeline: SecondStats[] = [];
  let perSecond = new Histogram();
  let secondErrors = 0;
  let reads = 0;
  let writes = 0;
  let errors = 0;
  let op = 0;
  const cycle = opts.readRatio + 1;

  const start = performance.now();
  const end = start + opts.durationMs;

  const record = (latencyMs: number, status: number | null, err?: unknown) => {
    total.recordMs(latencyMs);
    perSecond.recordMs(latencyMs);
    const key = status === null ? "error" : String(status);
    statuses[key] = (statuses[key] ?? 0) + 1;
    if (status === null || status >= 400) {
      errors++;
      secondErrors++;
      if (errorSamples.length < 5) errorSamples.push(status === null ? describeNetworkError(err) : `HTTP ${status}`);
    }
  };

  /** One request; `due` is when it should have been sent (performance.now() ms). */
  const send = async (due: number): Promise<void> => {
    const i = op++;
    // Write on the op where the running count of writes ticks over: exact for fractional ratios too.
    const isWrite = Math.floor((i + 1) / cycle) > Math.floor(i / cycle);
    try {
      let status: number;
      if (isWrite) {
        writes++;
        const user = users[i % users.length]!;
        const res = await pool.request({
          path: `${base}/v1/items`,
          method: "POST",
          headers: { "content-type": "application/json", authorization: `Bearer ${user.token}`, "idempotency-key": randomUUID() },
          body: JSON.stringify({ content: CONTENT }),
        });
        await res.body.dump();
        status = res.statusCode;
      } else {
        reads++;
        const res = await pool.request({ path: `${base}/v1/items/${ids[zipf.next()]}`, method: "GET" });
        await res.body.dump();
        status = res.statusCode;
      }
      record(performance.now() - due, status);
    } catch (err) {
      record(performance.now() - due, null, err);
    }
  };

  // The generator's own health, sampled each second.
  const lag = monitorEventLoopDelay({ resolution: 10 });
  lag.enable();
  let cpuBefore = process.cpuUsage();
  let tickBefore = performance.now();
  let second = 0;
  const tick = () => {
    const now = performance.now();
    const cpu = process.cpuUsage(cpuBefore);
    const cpuShare = (cpu.user + cpu.system) / 1000 / Math.max(1, now - tickBefore);
    cpuBefore = process.cpuUsage();
    tickBefore = now;
    const s: SecondStats = {
      second: ++second,
      requests: perSecond.count,
      errors: secondErrors,
      p50: round(perSecond.percentileMs(50)),
      p90: round(perSecond.percentileMs(90)),
      p99: round(perSecond.percentileMs(99)),
      max: round(perSecond.max / 1000),
      targetRps: targetRateAt(second - 1, opts.rate, opts.ramp),
      cpu: Math.round(cpuShare * 100) / 100,
      loopLagMs: round(lag.percentile(99) / 1e6),
    };
    lag.reset();
    perSecond = new Histogram();
    secondErrors = 0;
    timeline.push(s);
    opts.onSecond?.(s);
  };
  const ticker = setInterval(tick, 1000);

  const inflight = new Set<Promise<void>>();
  const track = (p: Promise<void>) => {
    inflight.add(p);
    void p.finally(() => inflight.delete(p));
    return p;
  };
  let behindSchedule = 0;

  if (mode === "closed") {
    const loop = async () => {
      while (performance.now() < end && !opts.signal?.aborted) {
        const p = send(performance.now());
        await track(p);
      }
    };
    await Promise.all(Array.from({ length: opts.connections }, loop));
  } else {
    let next = 0;
    await new Promise<void>((resolve) => {
      let timer: NodeJS.Timeout | undefined;
      let finished = false;
      const pump = () => {
        if (finished) return;
        if (timer) clearTimeout(timer);
        timer = undefined;
        const now = performance.now();
        // Send what is due while a connection is free; what waits keeps its due time, so its wait counts.
        while (inflight.size < opts.connections) {
          const due = start + scheduleAt(next, opts.rate, opts.ramp);
          if (due >= end) return finish();
          if (due > now) {
            timer = setTimeout(pump, Math.max(0, due - now));
            return;
          }
          next++;
          void track(send(due)).then(pump);
        }
      };
      const finish = () => {
        finished = true;
        if (timer) clearTimeout(timer);
        clearTimeout(stop);
        resolve();
      };
      const stop = setTimeout(() => {
        // Due but never sent: the service (or too few --connections) could not keep up with the schedule.
        while (start + scheduleAt(next, opts.rate, opts.ramp) < end) {
          next++;
          behindSchedule++;
        }
        finish();
      }, opts.durationMs);
      stop.unref();
      opts.signal?.addEventListener("abort", finish, { once: true });
      pump();
    });
  }
  await Promise.race([Promise.allSettled([...inflight]), new Promise((r) => setTimeout(r, (opts.timeoutMs ?? 10_000) + 1000).unref())]);
  const seconds = (performance.now() - start) / 1000;
  clearInterval(ticker);
  if (perSecond.count > 0) tick();
  lag.disable();

  const summary: LoadTestSummary = {
    url: opts.url.href,
    seconds: Math.round(seconds * 100) / 100,
    requests: total.count,
    rps: Math.round((total.count / Math.max(seconds, 0.001)) * 10) / 10,
    reads,
    writes,
    latencyMs: {
      p50: round(total.percentileMs(50)),
      p90: round(total.percentileMs(90)),
      p99: round(total.percentileMs(99)),
      max: round(total.max / 1000),
    },
    statuses,
    errors,
  };
  return { summary, timeline, generator: judgeGenerator(timeline, behindSchedule), mode, users: users.length, items: ids.length, errorSamples };
}

/** Generator CPU at 90% of a core, or its event loop late by 50 ms, for a quarter of the seconds: it was the limit. */
export const GENERATOR_LIMITS = { cpuShare: 0.9, loopLagMs: 50, shareOfSeconds: 0.25 } as const;

export function judgeGenerator(timeline: SecondStats[], behindSchedule: number): LoadTestResult["generator"] {
  const cpus = timeline.map((s) => s.cpu).sort((a, b) => a - b);
  const lags = timeline.map((s) => s.loopLagMs).sort((a, b) => a - b);
  const at = (xs: number[], p: number) => (xs.length ? xs[Math.min(xs.length - 1, Math.floor(p * xs.length))]! : 0);
  const busy = timeline.filter((s) => s.cpu >= GENERATOR_LIMITS.cpuShare || s.loopLagMs >= GENERATOR_LIMITS.loopLagMs).length;
  const bound = timeline.length > 0 && busy / timeline.length >= GENERATOR_LIMITS.shareOfSeconds;
  return {
    bound,
    reason: bound
      ? `the load generator itself was busy (CPU >= ${GENERATOR_LIMITS.cpuShare * 100}% of a core or event-loop lag >= ${GENERATOR_LIMITS.loopLagMs} ms) in ${busy} of ${timeline.length} seconds: the service may have more headroom than measured; run the generator on another machine`
      : null,
    cpuP90: at(cpus, 0.9),
    loopLagP99Ms: at(lags, 0.99),
    behindSchedule,
  };
}

function round(ms: number): number {
  return Math.round(ms * 100) / 100;
}
