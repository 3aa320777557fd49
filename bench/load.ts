/**
 * Load drivers for the read-path bench: wrk (with a Lua script that draws Zipf-distributed ids) when it is installed,
 * autocannon otherwise. Both hold `connections` open for `seconds` and report req/s and p99 latency.
 */
import { execFile } from "node:child_process";
import { readFile, writeFile } from "node:fs/promises";
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

function wrkScript(paths: string[], zipfS: number): string {
  return `local paths = { ${paths.map((p) => JSON.stringify(p)).join(", ")} }
local n = #paths
local cdf, sum = {}, 0
for i = 1, n do sum = sum + 1 / (i ^ ${zipfS}); cdf[i] = sum end
for i = 1, n do cdf[i] = cdf[i] / sum end
math.randomseed(os.time() + tonumber(string.sub(tostring({}), 8), 16))
request = function()
  local u, lo, hi = math.random(), 1, n
  while lo < hi do
    local mid = math.floor((lo + hi) / 2)
    if cdf[mid] < u then lo = mid + 1 else hi = mid end
  end
  return wrk.format("GET", paths[lo])
end
done = function(summary, latency, requests)
  io.write(string.format("RESULT %f %f %d %d %d\\n", summary.requests / (summary.duration / 1e6), latency:percentile(99) / 1000,
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout, summary.errors.status, summary.requests))
end
`;
}

export async function runLoad(opts: {
  tool: "wrk" | "autocannon";
  url: string;
  paths: string[];
  zipfS: number;
  connections: number;
  seconds: number;
}): Promise<LoadResult> {
  if (opts.tool === "wrk") {
    const script = join(tmpdir(), `bench-zipf-${process.pid}.lua`);
    await writeFile(script, wrkScript(opts.paths, opts.zipfS));
    const { stdout } = await run("wrk", ["-t2", `-c${opts.connections}`, `-d${opts.seconds}s`, "-s", script, opts.url], {
      timeout: (opts.seconds + 30) * 1000,
    });
    const m = /RESULT (\S+) (\S+) (\d+) (\d+) (\d+)/.exec(stdout);
    if (!m) throw new Error(`could not read wrk's output:\n${stdout}`);
    return { requestsPerSecond: Number(m[1]), p99Ms: Number(m[2]), errors: Number(m[3]), non2xx: Number(m[4]), requests: Number(m[5]) };
  }
  const next = zipfSampler(opts.paths.length, opts.zipfS);
  const result = await autocannon({
    url: opts.url,
    connections: opts.connections,
    duration: opts.seconds,
    requests: [{ setupRequest: (req) => ({ ...req, path: opts.paths[next()]! }) }],
  });
  return {
    requestsPerSecond: result.requests.average,
    p99Ms: result.latency.p99,
    errors: result.errors + result.timeouts,
    non2xx: result.non2xx,
    requests: result.requests.total,
  };
}
