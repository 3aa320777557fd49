/**
 * Load drivers for the app benches: wrk (with a Lua script that draws Zipf-distributed ids) when it is installed,
 * autocannon otherwise. Both hold `connections` open for `seconds`, optionally mix in PUTs, and report req/s and p99.
 */
import { execFile } from "node:child_process";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import autocannon from "autocannon";

const run = promisify(execFile);

export interface LoadResult {
  requestsPerSecond: number;
  p99Ms: number;
  errors: number;
  non2xx: number;
  requests: number;
  /** How many distinct paths were read (GET), and how many writes (PUT) were sent. */
  distinctReads: number;
  writes: number;
}

/**
 * CPU seconds a process has used (user + system, from /proc; Linux only, else undefined). CPU per request is steadier
 * than req/s on a box shared with other work: it does not count time the process waited for a core.
 */
export async function cpuSeconds(pid: number | undefined): Promise<number | undefined> {
  if (!pid) return undefined;
  try {
    const stat = await readFile(`/proc/${pid}/stat`, "utf8");
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return (Number(fields[11]) + Number(fields[12])) / 100; // utime, stime in USER_HZ ticks (100/s on Linux)
  } catch {
    return undefined;
  }
}

/** Zipf(s) over ranks 1..n: the cumulative distribution, sampled by binary search. */
export function zipfSampler(n: number, s: number, random = Math.random): () => number {
  const cdf = new Float64Array(n);
  let sum = 0;
  for (let i = 0; i < n; i++) cdf[i] = sum += 1 / Math.pow(i + 1, s);
  for (let i = 0; i < n; i++) cdf[i]! /= sum;
  return () => {
    const u = random();
    let lo = 0;
    let hi = n - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (cdf[mid]! < u) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  };
}

export async function haveWrk(): Promise<boolean> {
  return run("wrk", ["--version"]).then(
    () => true,
    (err: { code?: string; stdout?: string }) => err.code !== "ENOENT" && Boolean(err.stdout?.includes("wrk")),
  );
}

export interface LoadOptions {
  tool: "wrk" | "autocannon";
  /** Servers to load; connections are split evenly over them (two app processes behind no balancer). */
  urls: string[];
  /** Request paths by Zipf rank (index 0 is the hottest). */
  paths: string[];
  zipfS: number;
  connections: number;
  seconds: number;
  /** Make this share of requests a PUT of `body` (with `headers`, content-type included) to a Zipf-drawn path. */
  writes?: { share: number; headers: Record<string, string>; body: string };
  /** Send each GET with an X-Forwarded-For drawn from this many addresses (a service behind one proxy sees that many clients). */
  clients?: number;
}

/**
 * The wrk script: each thread is pointed at one of the servers in turn (wrk 4's `thread.addr`), so one wrk process
 * drives them all and its latency histogram covers every request.
 */
function wrkScript(opts: LoadOptions): string {
  const addresses = opts.urls.map((u) => {
    const { hostname, port } = new URL(u);
    return `{ ${JSON.stringify(hostname)}, ${JSON.stringify(port)} }`;
  });
  const writes = opts.writes ?? { share: 0, headers: {}, body: "" };
  const luaHeaders = Object.entries(writes.headers).map(([k, v]) => `[${JSON.stringify(k)}] = ${JSON.stringify(v)}`);
  return `local paths = { ${opts.paths.map((p) => JSON.stringify(p)).join(", ")} }
local n = #paths
local cdf, sum = {}, 0
for i = 1, n do sum = sum + 1 / (i ^ ${opts.zipfS}); cdf[i] = sum end
for i = 1, n do cdf[i] = cdf[i] / sum end
local addresses = { ${addresses.join(", ")} }
local writeShare = ${writes.share}
local writeHeaders = { ${luaHeaders.join(", ")} }
local writeBody = ${JSON.stringify(writes.body)}
local clients = ${opts.clients ?? 0}
local threads = 0
local all = {}
setup = function(thread)
  local a = addresses[threads % #addresses + 1]
  threads = threads + 1
  thread.addr = wrk.lookup(a[1], a[2])[1]
  table.insert(all, thread)
end
-- Per thread: the ranks read (as a set) and the writes sent; done() takes their union across threads.
seen = {}
writes = 0
math.randomseed(os.time() + tonumber(string.sub(tostring({}), 8), 16))
request = function()
  local u, lo, hi = math.random(), 1, n
  while lo < hi do
    local mid = math.floor((lo + hi) / 2)
    if cdf[mid] < u then lo = mid + 1 else hi = mid end
  end
  if writeShare > 0 and math.random() < writeShare then
    writes = writes + 1
    return wrk.format("PUT", paths[lo], writeHeaders, writeBody)
  end
  seen[lo] = true
  if clients > 0 then
    local c = math.random(0, clients - 1)
    local from = string.format("10.%d.%d.%d", math.floor(c / 65536) % 256, math.floor(c / 256) % 256, c % 256)
    return wrk.format("GET", paths[lo], { ["X-Forwarded-For"] = from })
  end
  return wrk.format("GET", paths[lo])
end
done = function(summary, latency, requests)
  local union, distinct, sent = {}, 0, 0
  for _, t in ipairs(all) do
    for rank, _ in pairs(t:get("seen") or {}) do
      if not union[rank] then union[rank] = true; distinct = distinct + 1 end
    end
    sent = sent + (t:get("writes") or 0)
  end
  io.write(string.format("RESULT %f %f %d %d %d %d %d\\n", summary.requests / (summary.duration / 1e6), latency:percentile(99) / 1000,
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout, summary.errors.status, summary.requests, distinct, sent))
end
`;
}

export async function runLoad(opts: LoadOptions): Promise<LoadResult> {
  return opts.tool === "wrk" ? runWrk(opts) : runAutocannon(opts);
}

async function runWrk(opts: LoadOptions): Promise<LoadResult> {
  const dir = await mkdtemp(join(tmpdir(), "bench-wrk-"));
  const script = join(dir, "zipf.lua");
  try {
    // The script may hold the bench user's bearer token: a private folder, removed after the run.
    await writeFile(script, wrkScript(opts), { mode: 0o600 });
    const threads = opts.urls.length * Math.max(1, Math.floor(2 / opts.urls.length));
    const { stdout } = await run("wrk", [`-t${threads}`, `-c${Math.max(threads, opts.connections)}`, `-d${opts.seconds}s`, "-s", script, opts.urls[0]!], {
      timeout: (opts.seconds + 30) * 1000,
      maxBuffer: 16 * 1024 * 1024,
    });
    const m = /RESULT (\S+) (\S+) (\d+) (\d+) (\d+) (\d+) (\d+)/.exec(stdout);
    if (!m) throw new Error(`could not read wrk's output:\n${stdout}`);
    const [rps, p99, errors, non2xx, requests, distinctReads, writes] = m.slice(1).map(Number) as [number, number, number, number, number, number, number];
    return { requestsPerSecond: rps, p99Ms: p99, errors, non2xx, requests, distinctReads, writes };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/**
 * The fallback: one autocannon instance per server, in this process. The combined p99 is the worst of theirs (an
 * upper bound: autocannon's histograms are not merged).
 */
async function runAutocannon(opts: LoadOptions): Promise<LoadResult> {
  if (opts.clients) throw new Error("the autocannon driver sends no X-Forwarded-For; use --tool wrk");
  const next = zipfSampler(opts.paths.length, opts.zipfS);
  const { writes } = opts;
  const seen = new Set<string>();
  let sent = 0;
  const results = await Promise.all(
    opts.urls.map((url) =>
      autocannon({
        url,
        connections: Math.max(1, Math.round(opts.connections / opts.urls.length)),
        duration: opts.seconds,
        requests: [
          {
            setupRequest: (req) => {
              const path = opts.paths[next()]!;
              if (writes && Math.random() < writes.share) {
                sent++;
                return { ...req, method: "PUT", path, headers: writes.headers, body: writes.body };
              }
              seen.add(path);
              return { ...req, method: "GET", path, headers: {}, body: undefined };
            },
          },
        ],
      }),
    ),
  );
  const requests = results.reduce((a, r) => a + r.requests.total, 0);
  return {
    requestsPerSecond: requests / opts.seconds,
    p99Ms: Math.max(...results.map((r) => r.latency.p99)),
    errors: results.reduce((a, r) => a + r.errors + r.timeouts, 0),
    non2xx: results.reduce((a, r) => a + r.non2xx, 0),
    requests,
    distinctReads: seen.size,
    writes: sent,
  };
}
