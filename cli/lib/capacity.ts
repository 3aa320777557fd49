/**
 * The seed's back-of-the-envelope capacity math, plus a sizing with its assumptions stated.
 * Units are decimal (1 KB = 1,000 bytes, 1 TB = 10^12 bytes) and a month is 2.5 million seconds,
 * as in the seed, so its inputs give its figures exactly: 400 writes/s, 40,000 reads/s, 1 TB a month.
 */

export const SECONDS_PER_MONTH = 2_500_000;

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
  recommendedStage: { stage: number; why: string };
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
  const writesPerSecond = inputs.writesPerMonth / SECONDS_PER_MONTH;
  const readsPerSecond = writesPerSecond * inputs.readWriteRatio;
  const average = { writesPerSecond, readsPerSecond, requestsPerSecond: writesPerSecond + readsPerSecond };
  const peak = {
    writesPerSecond: writesPerSecond * inputs.peakFactor,
    readsPerSecond: readsPerSecond * inputs.peakFactor,
    requestsPerSecond: average.requestsPerSecond * inputs.peakFactor,
  };
  const bytesPerMonth = inputs.writesPerMonth * inputs.bytesPerWrite;
  const months = inputs.years * 12;

  const cacheMissReadsPerSecond = peak.readsPerSecond * (1 - a.cacheHitRatio);
  // N+1: one more server than the peak needs, so losing one (or an AZ's share) keeps up.
  const appServers = Math.max(2, Math.ceil(peak.requestsPerSecond / a.appServerRequestsPerSecond) + 1);
  const readReplicas = Math.ceil(cacheMissReadsPerSecond / a.replicaReadsPerSecond);
  const cacheMemoryBytes = (bytesPerMonth / 30) * a.hotSetDays * a.cacheOverheadFactor;

  return {
    inputs,
    average,
    peak,
    storage: { bytesPerMonth, bytesTotal: bytesPerMonth * months, months },
    recommendedStage: recommendStage(inputs, peak, bytesPerMonth * months),
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
  if (peak.writesPerSecond > a.primaryWritesPerSecond || bytesTotal > 10e12)
    return { stage: 5, why: "peak writes or stored data outgrow one MySQL primary: queues, warehouse, SQL scaling patterns" };
  if (peak.requestsPerSecond > 2 * a.appServerRequestsPerSecond && inputs.peakFactor >= 2)
    return { stage: 4, why: "several app servers and uneven traffic: autoscale them" };
  if (peak.readsPerSecond > a.replicaReadsPerSecond)
    return { stage: 3, why: "reads outgrow one database: add a cache and read replicas" };
  if (peak.requestsPerSecond > a.singleBoxRequestsPerSecond)
    return { stage: 2, why: "one web server is not enough at peak: load balancer and several servers" };
  if (bytesTotal > 100e9 || inputs.users > 1_000)
    return { stage: 1, why: "data and users grow: move MySQL to RDS and static content to S3" };
  return { stage: 0, why: "one box is enough" };
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

const SUFFIXES: Record<string, number> = { k: 1e3, m: 1e6, b: 1e9, g: 1e9, t: 1e12 };

/**
 * Parse "10M", "1e9", "1,000,000", "1KB" style input. Returns an error message naming the field and
 * the allowed range instead of throwing, so the command can exit 2 with it.
 */
export function parseQuantity(field: keyof CapacityInputs, raw: string): number | string {
  const m = /^\s*(-?[0-9][0-9_,]*(?:\.[0-9]+)?(?:e[0-9]+)?)\s*([kmbgt])?b?\s*$/i.exec(raw);
  const { min, max, integer } = LIMITS[field];
  const range = `between ${min.toLocaleString("en-US")} and ${max.toLocaleString("en-US")}`;
  if (!m?.[1]) return `"${raw}" is not a number; give a positive number such as 1000, 10M or 1e9 (${range})`;
  const value = Number(m[1].replace(/[_,]/g, "")) * (m[2] ? (SUFFIXES[m[2].toLowerCase()] ?? 1) : 1);
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
    `Sizing at peak:`,
    `  app servers:   ${r.sizing.appServers} (peak requests / ${formatNumber(a.appServerRequestsPerSecond)} per server, plus one spare)`,
    `  read replicas: ${r.sizing.readReplicas} (cache misses ${formatNumber(r.sizing.cacheMissReadsPerSecond)}/s at a ${a.cacheHitRatio * 100}% hit ratio / ${formatNumber(a.replicaReadsPerSecond)} per replica)`,
    `  cache memory:  ${formatBytes(r.sizing.cacheMemoryBytes)} (hot set = the last ${a.hotSetDays} day(s) of writes x ${a.cacheOverheadFactor} for Redis overhead)`,
    "",
    "Assumptions: per-server rates are from perf-baselines.md (2-core VM: ~20,000 cached reads/s, ~6,600 primary-key",
    "SELECTs/s) taken down for headroom; measure your own with `npm run bench` and treat these as a starting point.",
  ];
}
