/**
 * The seed's back-of-the-envelope capacity math, plus a sizing with its assumptions stated.
 * Units are decimal (1 KB = 1,000 bytes, 1 TB = 10^12 bytes) and a month is 2.5 million seconds,
 * as in the seed, so its inputs give its figures exactly: 400 writes/s, 40,000 reads/s, 1 TB a month.
 * That one month is used everywhere, for rates and for the hot set alike.
 */

export const SECONDS_PER_MONTH = 2_500_000;
const SECONDS_PER_DAY = 86_400;
/** The seed's month in days (about 28.9): the hot set's "a day of writes" comes from the same month as the rates. */
export const DAYS_PER_MONTH = SECONDS_PER_MONTH / SECONDS_PER_DAY;

/** Binary floating point leaves 11999.999999999998 where 12,000 was meant: twelve significant digits are plenty. */
const clean = (n: number) => Number(n.toPrecision(12));

export interface CapacityInputs {
  users: number;
  writesPerMonth: number;
  readWriteRatio: number;
  bytesPerWrite: number;
  years: number;
  /** Peak rate over the average rate (traffic is uneven). */
  peakFactor: number;
}

/** The seed's inputs: 10 M users, 1 billion writes a month, 100:1, 1 KB per write, 3 years. */
export const SEED_INPUTS: CapacityInputs = {
  users: 10_000_000,
  writesPerMonth: 1_000_000_000,
  readWriteRatio: 100,
  bytesPerWrite: 1_000,
  years: 3,
  peakFactor: 3,
};

/**
 * Per-server figures the sizing divides by. They come from /work/shared/notes/perf-baselines.md
 * (a 2-core VM: ~20,000 cached reads/s and ~6,600 primary-key SELECTs/s through Hono, with the load
 * generator on the same box) taken down to leave headroom for real handlers, TLS and spikes.
 */
export const ASSUMPTIONS = {
  appServerRequestsPerSecond: 5_000,
  cacheHitRatio: 0.9,
  replicaReadsPerSecond: 5_000,
  /** Past this, one MySQL primary with small rows needs help (sharding, a queue, NoSQL): the seed's last stage. */
  primaryWritesPerSecond: 1_000,
  /** The hot set is what was written in the last day: uneven traffic reads mostly recent content. */
  hotSetDays: 1,
  /** Redis keeps a 1 KB value in roughly 1.5 KB with keys, pointers and fragmentation. */
  cacheOverheadFactor: 1.5,
  /** What one box (web server and MySQL together) handles before it needs splitting. */
  singleBoxRequestsPerSecond: 500,
} as const;

export interface CapacityReport {
  inputs: CapacityInputs;
  average: { writesPerSecond: number; readsPerSecond: number; requestsPerSecond: number };
  peak: { writesPerSecond: number; readsPerSecond: number; requestsPerSecond: number };
  storage: { bytesPerMonth: number; bytesTotal: number; months: number };
  recommendedStage: { stage: number; why: string; decidedBy: { limit: string; value: number; threshold: number } | null };
  sizing: {
    appServers: number;
    readReplicas: number;
    cacheMemoryBytes: number;
    cacheMissReadsPerSecond: number;
  };
  assumptions: typeof ASSUMPTIONS & { secondsPerMonth: number };
}

export function computeCapacity(inputs: CapacityInputs): CapacityReport {
  const a = ASSUMPTIONS;
  const writesPerSecond = clean(inputs.writesPerMonth / SECONDS_PER_MONTH);
  const readsPerSecond = clean(writesPerSecond * inputs.readWriteRatio);
  const average = { writesPerSecond, readsPerSecond, requestsPerSecond: clean(writesPerSecond + readsPerSecond) };
  const peak = {
    writesPerSecond: clean(writesPerSecond * inputs.peakFactor),
    readsPerSecond: clean(readsPerSecond * inputs.peakFactor),
    requestsPerSecond: clean(average.requestsPerSecond * inputs.peakFactor),
  };
  const bytesPerMonth = clean(inputs.writesPerMonth * inputs.bytesPerWrite);
  const months = clean(inputs.years * 12);
  const bytesTotal = clean(bytesPerMonth * months);
  const recommendedStage = recommendStage(inputs, peak, bytesTotal);
  const stage = recommendedStage.stage;

  // The sizing is of the recommended stage: one box below stage 2, no cache or replicas below stage 3.
  const cacheMissReadsPerSecond = stage >= 3 ? clean(peak.readsPerSecond * (1 - a.cacheHitRatio)) : peak.readsPerSecond;
  // N+1 from stage 2: one more server than the peak needs, so losing one (or an AZ's share) keeps up.
  const appServers = stage < 2 ? 1 : Math.max(2, Math.ceil(peak.requestsPerSecond / a.appServerRequestsPerSecond) + 1);
  const readReplicas = stage < 3 ? 0 : Math.max(1, Math.ceil(cacheMissReadsPerSecond / a.replicaReadsPerSecond));
  const cacheMemoryBytes = stage < 3 ? 0 : clean((bytesPerMonth / DAYS_PER_MONTH) * a.hotSetDays * a.cacheOverheadFactor);

  return {
    inputs,
    average,
    peak,
    storage: { bytesPerMonth, bytesTotal, months },
    recommendedStage,
    sizing: { appServers, readReplicas, cacheMemoryBytes, cacheMissReadsPerSecond },
    assumptions: { ...a, secondsPerMonth: SECONDS_PER_MONTH },
  };
}

function recommendStage(
  inputs: CapacityInputs,
  peak: CapacityReport["peak"],
  bytesTotal: number,
): CapacityReport["recommendedStage"] {
  const a = ASSUMPTIONS;
  const f = formatNumber;
  // Highest stage first: the first limit passed decides, and the reason names it with both numbers.
  const rules: { stage: number; limit: string; value: number; threshold: number; unit: string; what: string }[] = [
    { stage: 5, limit: "peak writes/s over one MySQL primary", value: peak.writesPerSecond, threshold: a.primaryWritesPerSecond, unit: "writes/s", what: "queues, warehouse, SQL scaling patterns" },
    { stage: 5, limit: "stored bytes over one MySQL primary", value: bytesTotal, threshold: 10e12, unit: "bytes", what: "queues, warehouse, SQL scaling patterns" },
    ...(inputs.peakFactor >= 2
      ? [{ stage: 4, limit: "peak requests/s over two app servers, with uneven traffic", value: peak.requestsPerSecond, threshold: 2 * a.appServerRequestsPerSecond, unit: "requests/s", what: "autoscale the app servers" }]
      : []),
    { stage: 3, limit: "peak reads/s over one database", value: peak.readsPerSecond, threshold: a.replicaReadsPerSecond, unit: "reads/s", what: "add a cache and read replicas" },
    { stage: 2, limit: "peak requests/s over one web server", value: peak.requestsPerSecond, threshold: a.singleBoxRequestsPerSecond, unit: "requests/s", what: "load balancer and several servers" },
    { stage: 1, limit: "stored bytes over one box's disk", value: bytesTotal, threshold: 100e9, unit: "bytes", what: "move MySQL to RDS and static content to S3" },
    { stage: 1, limit: "users over one box's comfort", value: inputs.users, threshold: 1_000, unit: "users", what: "move MySQL to RDS and static content to S3" },
  ];
  const show = (v: number, unit: string) => (unit === "bytes" ? formatBytes(v) : `${f(v)} ${unit}`);
  for (const r of rules) {
    if (r.value > r.threshold)
      return {
        stage: r.stage,
        why: `${r.limit}: ${show(r.value, r.unit)} > ${show(r.threshold, r.unit)}; ${r.what}`,
        decidedBy: { limit: r.limit, value: r.value, threshold: r.threshold },
      };
  }
  return { stage: 0, why: `one box is enough: every limit is below its threshold (peak ${f(peak.requestsPerSecond)} requests/s <= ${f(a.singleBoxRequestsPerSecond)})`, decidedBy: null };
}

/** Largest values we accept; past these the input is a typo, not a plan. */
export const LIMITS: Record<keyof CapacityInputs, { min: number; max: number; integer: boolean }> = {
  users: { min: 1, max: 10e9, integer: true },
  writesPerMonth: { min: 1, max: 1e15, integer: true },
  readWriteRatio: { min: 0.001, max: 1e6, integer: false },
  bytesPerWrite: { min: 1, max: 1e9, integer: true },
  years: { min: 0.1, max: 50, integer: false },
  peakFactor: { min: 1, max: 100, integer: false },
};

/** Counts: k thousand, M million, B billion, T trillion. */
const COUNT_SUFFIXES: Record<string, number> = { k: 1e3, m: 1e6, b: 1e9, t: 1e12 };
/** Sizes, decimal: B, KB, MB, GB, TB. */
const BYTE_SUFFIXES: Record<string, number> = { b: 1, kb: 1e3, mb: 1e6, gb: 1e9, tb: 1e12 };
const NUMBER = "(-?[0-9][0-9_,]*(?:\\.[0-9]+)?(?:e[+]?[0-9]+)?)";

/**
 * Parse "10M", "1e9", "1,000,000" (counts) or "1KB", "2 MB" (bytes-per-write only). A count with a byte unit
 * (`--users 10MB`) or a size with a count suffix is refused. Returns an error message naming the allowed
 * forms and range instead of throwing, so the command can exit 2 with it.
 */
export function parseQuantity(field: keyof CapacityInputs, raw: string): number | string {
  const bytes = field === "bytesPerWrite";
  const m = new RegExp(`^\\s*${NUMBER}\\s*(${bytes ? "[kmgt]?b" : "[kmbt]"})?\\s*$`, "i").exec(raw);
  const { min, max, integer } = LIMITS[field];
  const range = `between ${min.toLocaleString("en-US")} and ${max.toLocaleString("en-US")}`;
  const forms = bytes ? "a size such as 1000, 1KB or 2MB" : "a number such as 1000, 10M or 1e9 (k, M, B, T; no units)";
  if (!m?.[1]) return `"${raw}" is not ${forms} (${range})`;
  const table = bytes ? BYTE_SUFFIXES : COUNT_SUFFIXES;
  const value = clean(Number(m[1].replace(/[_,]/g, "")) * (m[2] ? (table[m[2].toLowerCase()] ?? NaN) : 1));
  if (!Number.isFinite(value) || value < min || value > max) return `${raw} is out of range; give a value ${range}`;
  if (integer && !Number.isInteger(value)) return `${raw} must be a whole number`;
  return value;
}

const UNITS = ["B", "KB", "MB", "GB", "TB", "PB", "EB"];

/** Decimal bytes, e.g. 36e12 -> "36 TB". */
export function formatBytes(bytes: number): string {
  let i = 0;
  let v = bytes;
  while (v >= 1000 && i < UNITS.length - 1) {
    v /= 1000;
    i++;
  }
  return `${formatNumber(v)} ${UNITS[i]}`;
}

/** 40000 -> "40,000"; 2.5e6 -> "2,500,000"; keeps up to two decimals for small values. */
export function formatNumber(n: number): string {
  if (n > 0 && n < 0.01) return n.toLocaleString("en-US", { maximumSignificantDigits: 2 });
  return n.toLocaleString("en-US", { maximumFractionDigits: n < 10 ? 2 : n < 100 ? 1 : 0 });
}

export function renderCapacity(r: CapacityReport): string[] {
  const a = r.assumptions;
  const i = r.inputs;
  return [
    `Inputs: ${formatNumber(i.users)} users, ${formatNumber(i.writesPerMonth)} writes/month, ${formatNumber(i.readWriteRatio)}:1 reads to writes, ${formatBytes(i.bytesPerWrite)} per write, ${formatNumber(i.years)} years, peak ${formatNumber(i.peakFactor)}x average`,
    "",
    `Average: ${formatNumber(r.average.writesPerSecond)} writes/s, ${formatNumber(r.average.readsPerSecond)} reads/s (a month is ${formatNumber(a.secondsPerMonth)} s)`,
    `Peak:    ${formatNumber(r.peak.writesPerSecond)} writes/s, ${formatNumber(r.peak.readsPerSecond)} reads/s`,
    `Storage: ${formatBytes(r.storage.bytesPerMonth)} of new content a month, ${formatBytes(r.storage.bytesTotal)} in ${formatNumber(i.years)} years`,
    "",
    `Recommended stage: ${r.recommendedStage.stage} (${r.recommendedStage.why})`,
    `Sizing of stage ${r.recommendedStage.stage} at peak:`,
    r.recommendedStage.stage < 2
      ? `  app servers:   1 (one box: stage ${r.recommendedStage.stage} runs a single server)`
      : `  app servers:   ${r.sizing.appServers} (peak requests / ${formatNumber(a.appServerRequestsPerSecond)} per server, plus one spare)`,
    r.recommendedStage.stage < 3
      ? `  read replicas: 0, cache: none (stage ${r.recommendedStage.stage} reads ${formatNumber(r.sizing.cacheMissReadsPerSecond)}/s from the one database)`
      : `  read replicas: ${r.sizing.readReplicas} (cache misses ${formatNumber(r.sizing.cacheMissReadsPerSecond)}/s at a ${a.cacheHitRatio * 100}% hit ratio / ${formatNumber(a.replicaReadsPerSecond)} per replica)`,
    ...(r.recommendedStage.stage < 3
      ? []
      : [`  cache memory:  ${formatBytes(r.sizing.cacheMemoryBytes)} (hot set = the last ${a.hotSetDays} day(s) of writes, a day being 1/${formatNumber(DAYS_PER_MONTH)} of the same month, x ${a.cacheOverheadFactor} for Redis overhead)`]),
    "",
    "Assumptions: per-server rates are from perf-baselines.md (2-core VM: ~20,000 cached reads/s, ~6,600 primary-key",
    "SELECTs/s) taken down for headroom; measure your own with `npm run bench` and treat these as a starting point.",
  ];
}
