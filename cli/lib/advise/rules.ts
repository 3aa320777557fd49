/**
 * The advice as data: each rule names the evidence it needs (a metric, a comparison, a threshold),
 * the seed's next step and why. The first rule whose conditions all hold (and one of its `any`, when
 * it has some) wins; a rule for a step the service has already taken is passed over.
 * Thresholds come from `scale capacity`'s per-server figures (cli/lib/capacity.ts), which the
 * benchmarks measure, and from the alarms the stacks set.
 */
import { ASSUMPTIONS, SEED_INPUTS } from "../capacity.ts";

/** The measurements a rule can ask about. Absent = not measured (a rule needing it does not fire). */
export type MetricId =
  | "requests_per_second"
  | "reads_per_write"
  | "item_reads_per_second"
  | "writes_per_second"
  | "database_read_share"
  | "database_reads_per_second"
  | "database_cpu_cores"
  | "database_pool_waiting"
  | "database_threads_running"
  | "cache_hit_ratio"
  | "cache_evictions_per_second"
  | "app_servers"
  | "app_cpu_cores"
  | "event_loop_lag_ms"
  | "read_latency_p99_ms"
  | "replica_lag_seconds"
  | "rds_cpu_percent"
  | "rds_read_iops"
  | "rds_read_write_iops_ratio"
  | "rds_freeable_memory_bytes"
  | "rds_connections"
  | "alb_5xx_share"
  | "alb_latency_p99_ms"
  | "web_cpu_percent"
  | "cache_cpu_percent"
  | "queue_oldest_message_seconds"
  | "daily_peak_to_trough";

export type Evidence = Partial<Record<MetricId, number>>;

export interface Condition {
  metric: MetricId;
  op: ">=" | "<=";
  threshold: number;
}

export interface Rule {
  id: string;
  bottleneck: string;
  /** Every condition must hold... */
  when: Condition[];
  /** ...and at least one of these, when there are any. */
  any?: Condition[];
  next: { stage: number } | { technique: string };
  /** Rules proposing a stage are skipped once the service is at that stage or past it. */
  why: string;
}

/** A database serves its capacity-model figure at the peak, which is `peakFactor` times the average. */
const DB_READS_BUSY = Math.round(ASSUMPTIONS.replicaReadsPerSecond / SEED_INPUTS.peakFactor);

export const THRESHOLDS = {
  readHeavy: 10,
  /**
   * More reads reach the database than the capacity plan lets through a shared cache (1 - its hit ratio):
   * no cache, or only each server's own, which every server fills separately.
   */
  uncachedShare: Math.round((1 - ASSUMPTIONS.cacheHitRatio) * 100) / 100,
  dbReadsBusy: DB_READS_BUSY,
  /** Half a core of mariadbd: on a 2-core server with the app beside it, the database is the hungriest process. */
  dbCpuCores: 0.5,
  /** The stacks' RDS and box CPU alarms fire at 80%. */
  cpuPercent: 80,
  poolWaiting: 1,
  cacheHitRatio: ASSUMPTIONS.cacheHitRatio,
  webCpuCores: 0.8,
  eventLoopLagMs: 100,
  writesNearPrimary: ASSUMPTIONS.primaryWritesPerSecond * 0.8,
  replicaLagSeconds: 30,
  queueAgeSeconds: 300,
  dailyPeakToTrough: SEED_INPUTS.peakFactor,
} as const;

const T = THRESHOLDS;

export const RULES: readonly Rule[] = Object.freeze([
  {
    id: "writes-near-primary-limit",
    bottleneck: "database primary (writes)",
    when: [{ metric: "writes_per_second", op: ">=", threshold: T.writesNearPrimary }],
    next: { stage: 5 },
    why: "writes are near what one primary takes: queue the slow work, archive old data, then the SQL scaling patterns (federation, sharding on the time-ordered ids)",
  },
  {
    id: "read-heavy-database",
    bottleneck: "database (reads)",
    when: [
      { metric: "reads_per_write", op: ">=", threshold: T.readHeavy },
      { metric: "database_read_share", op: ">=", threshold: T.uncachedShare },
    ],
    any: [
      { metric: "database_reads_per_second", op: ">=", threshold: T.dbReadsBusy },
      { metric: "database_cpu_cores", op: ">=", threshold: T.dbCpuCores },
      { metric: "database_pool_waiting", op: ">=", threshold: T.poolWaiting },
    ],
    next: { stage: 3 },
    why: "a read-heavy mix sends more reads to the database than a shared cache would, and the database is busy: a cache (Redis) and read replicas take the reads off the primary",
  },
  {
    id: "read-heavy-rds",
    bottleneck: "database (reads)",
    when: [{ metric: "rds_read_write_iops_ratio", op: ">=", threshold: T.readHeavy }],
    any: [
      { metric: "rds_cpu_percent", op: ">=", threshold: T.cpuPercent },
      { metric: "rds_read_iops", op: ">=", threshold: T.dbReadsBusy },
    ],
    next: { stage: 3 },
    why: "RDS is busy with reads: a cache (ElastiCache) and read replicas take them off the primary",
  },
  {
    id: "replica-lag",
    bottleneck: "read replicas",
    when: [{ metric: "replica_lag_seconds", op: ">=", threshold: T.replicaLagSeconds }],
    next: { technique: "replica lag: look for long writes or a replica smaller than the primary; run `scale runbook show replica-lag`" },
    why: "a lagging replica serves stale reads or drops out of rotation, sending its reads to the primary",
  },
  {
    id: "cache-hit-low",
    bottleneck: "cache",
    when: [
      { metric: "cache_hit_ratio", op: "<=", threshold: T.cacheHitRatio },
      { metric: "reads_per_write", op: ">=", threshold: T.readHeavy },
    ],
    next: { technique: "cache: a longer TTL, more memory if it evicts, and cache what is read most (lists as well as items)" },
    why: `the cache answers fewer reads than the capacity plan assumes (${T.cacheHitRatio * 100}%), so the database takes the rest`,
  },
  {
    id: "queue-backlog",
    bottleneck: "workers",
    when: [{ metric: "queue_oldest_message_seconds", op: ">=", threshold: T.queueAgeSeconds }],
    next: { technique: "workers: scale the worker tier out, or look for a job that fails and retries (the dead-letter queue)" },
    why: "jobs wait longer than the alarm allows",
  },
  {
    id: "one-web-server-saturated",
    bottleneck: "web server",
    when: [{ metric: "app_servers", op: "<=", threshold: 1 }],
    any: [
      { metric: "app_cpu_cores", op: ">=", threshold: T.webCpuCores },
      { metric: "event_loop_lag_ms", op: ">=", threshold: T.eventLoopLagMs },
      { metric: "web_cpu_percent", op: ">=", threshold: T.cpuPercent },
    ],
    next: { stage: 2 },
    why: "one web server is saturated: a load balancer and several servers (and redundancy)",
  },
  {
    id: "daily-cycle",
    bottleneck: "fixed capacity under a daily cycle",
    when: [{ metric: "daily_peak_to_trough", op: ">=", threshold: T.dailyPeakToTrough }],
    next: { stage: 4 },
    why: "traffic follows the business day: autoscaling with business-hours schedules stops paying for the peak all night",
  },
  {
    id: "web-servers-saturated",
    bottleneck: "web servers",
    when: [{ metric: "app_servers", op: ">=", threshold: 2 }],
    any: [
      { metric: "app_cpu_cores", op: ">=", threshold: T.webCpuCores },
      { metric: "web_cpu_percent", op: ">=", threshold: T.cpuPercent },
    ],
    next: { stage: 4 },
    why: "the web servers are saturated: autoscale them on CPU and requests",
  },
] satisfies Rule[]);

export interface Advice {
  stage: number | null;
  bottleneck: string;
  evidence: { metric: MetricId; value: number; threshold: number }[];
  next: { stage: number; why: string } | { technique: string; why: string };
  rule: string | null;
}

function holds(c: Condition, e: Evidence): boolean {
  const v = e[c.metric];
  if (v === undefined || Number.isNaN(v)) return false;
  return c.op === ">=" ? v >= c.threshold : v <= c.threshold;
}

/** The one recommendation: the first rule that fires for a step not yet taken. */
export function advise(measured: Evidence, stage: number | null, rules: readonly Rule[] = RULES): Advice {
  for (const rule of rules) {
    if ("stage" in rule.next && stage !== null && stage >= rule.next.stage) continue;
    if (!rule.when.every((c) => holds(c, measured))) continue;
    const anyHeld = rule.any?.filter((c) => holds(c, measured)) ?? [];
    if (rule.any && anyHeld.length === 0) continue;
    const used = [...rule.when, ...anyHeld].map((c) => ({ metric: c.metric, value: measured[c.metric]!, threshold: c.threshold }));
    const figures = used.map((u) => `${u.metric.replace(/_/g, " ")} ${fmt(u.value)} (threshold ${fmt(u.threshold)})`).join(", ");
    const why = `${rule.why}: ${figures}`;
    return { stage, bottleneck: rule.bottleneck, evidence: used, next: "stage" in rule.next ? { stage: rule.next.stage, why } : { technique: rule.next.technique, why }, rule: rule.id };
  }
  // Nothing fired: show each measured figure beside the first threshold a rule holds it to.
  const seen = new Set<MetricId>();
  const evidence: Advice["evidence"] = [];
  for (const c of rules.flatMap((r) => [...r.when, ...(r.any ?? [])])) {
    const v = measured[c.metric];
    if (v === undefined || Number.isNaN(v) || seen.has(c.metric)) continue;
    seen.add(c.metric);
    evidence.push({ metric: c.metric, value: v, threshold: c.threshold });
  }
  return {
    stage,
    bottleneck: "none",
    evidence,
    next: { technique: "none: nothing measured is near a limit; load test at the expected peak (scale loadtest) and ask again", why: "no rule fired" },
    rule: null,
  };
}

export function fmt(v: number): string {
  if (Math.abs(v) >= 100) return Math.round(v).toLocaleString("en-US");
  return String(Math.round(v * 100) / 100);
}
