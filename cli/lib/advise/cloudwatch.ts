/**
 * Evidence for a deployed stack from CloudWatch: one GetMetricData call (paged) of SEARCH expressions
 * over the stack's own resources, which all carry the stack's prefix in their names (stacks/names.ts).
 */
import { GetMetricDataCommand, type CloudWatchClient, type MetricDataQuery, type MetricDataResult } from "@aws-sdk/client-cloudwatch";
import { stackPrefix } from "../../../stacks/names.ts";
import type { Evidence } from "./rules.ts";

export class StackEvidenceError extends Error {}

interface Query {
  id: string;
  namespace: string;
  dimension: string;
  metric: string;
  stat: string;
}

/** What each query reads. Ids are CloudWatch query ids (lower-case first letter). */
export const QUERIES: readonly Query[] = [
  { id: "webcpu", namespace: "AWS/EC2", dimension: "AutoScalingGroupName", metric: "CPUUtilization", stat: "Average" },
  { id: "webnet", namespace: "AWS/EC2", dimension: "AutoScalingGroupName", metric: "NetworkOut", stat: "Sum" },
  { id: "albreq", namespace: "AWS/ApplicationELB", dimension: "LoadBalancer", metric: "RequestCount", stat: "Sum" },
  { id: "alb5xx", namespace: "AWS/ApplicationELB", dimension: "LoadBalancer", metric: "HTTPCode_Target_5XX_Count", stat: "Sum" },
  { id: "alblat", namespace: "AWS/ApplicationELB", dimension: "LoadBalancer", metric: "TargetResponseTime", stat: "p99" },
  { id: "rdscpu", namespace: "AWS/RDS", dimension: "DBInstanceIdentifier", metric: "CPUUtilization", stat: "Average" },
  { id: "rdsmem", namespace: "AWS/RDS", dimension: "DBInstanceIdentifier", metric: "FreeableMemory", stat: "Minimum" },
  { id: "rdsriops", namespace: "AWS/RDS", dimension: "DBInstanceIdentifier", metric: "ReadIOPS", stat: "Average" },
  { id: "rdswiops", namespace: "AWS/RDS", dimension: "DBInstanceIdentifier", metric: "WriteIOPS", stat: "Average" },
  { id: "rdslag", namespace: "AWS/RDS", dimension: "DBInstanceIdentifier", metric: "ReplicaLag", stat: "Maximum" },
  { id: "rdsconn", namespace: "AWS/RDS", dimension: "DBInstanceIdentifier", metric: "DatabaseConnections", stat: "Maximum" },
  { id: "cachehit", namespace: "AWS/ElastiCache", dimension: "CacheClusterId", metric: "CacheHitRate", stat: "Average" },
  { id: "cacheevict", namespace: "AWS/ElastiCache", dimension: "CacheClusterId", metric: "Evictions", stat: "Sum" },
  { id: "cachecpu", namespace: "AWS/ElastiCache", dimension: "CacheClusterId", metric: "EngineCPUUtilization", stat: "Average" },
  { id: "sqsage", namespace: "AWS/SQS", dimension: "QueueName", metric: "ApproximateAgeOfOldestMessage", stat: "Maximum" },
];

/** The daily curve needs a day of hourly request counts. */
const DAY_MS = 24 * 3_600_000;

export function periodFor(sinceMs: number): number {
  return sinceMs <= 3 * 3_600_000 ? 60 : sinceMs <= DAY_MS ? 300 : 3_600;
}

export function buildQueries(stack: string, sinceMs: number): MetricDataQuery[] {
  const prefix = stackPrefix(stack);
  const period = periodFor(sinceMs);
  const search = (q: Query, p: number) => `SEARCH('{${q.namespace},${q.dimension}} MetricName="${q.metric}" "${prefix}"', '${q.stat}', ${p})`;
  const out: MetricDataQuery[] = QUERIES.map((q) => ({ Id: q.id, Expression: search(q, period), ReturnData: true }));
  if (sinceMs >= DAY_MS) out.push({ Id: "albreqhourly", Expression: search(QUERIES.find((q) => q.id === "albreq")!, 3_600), ReturnData: true });
  return out;
}

type Series = { timestamps: Date[]; values: number[] }[];

async function fetchAll(cw: CloudWatchClient, queries: MetricDataQuery[], start: Date, end: Date): Promise<Map<string, Series>> {
  const out = new Map<string, Series>();
  let token: string | undefined;
  do {
    const res = await cw.send(new GetMetricDataCommand({ MetricDataQueries: queries, StartTime: start, EndTime: end, NextToken: token, ScanBy: "TimestampAscending" }));
    for (const r of res.MetricDataResults ?? ([] as MetricDataResult[])) {
      if (!r.Id) continue;
      const list = out.get(r.Id) ?? [];
      list.push({ timestamps: r.Timestamps ?? [], values: r.Values ?? [] });
      out.set(r.Id, list);
    }
    token = res.NextToken;
  } while (token);
  return out;
}

const values = (s: Series | undefined) => (s ?? []).flatMap((x) => x.values);
const maxOf = (s: Series | undefined) => (values(s).length ? Math.max(...values(s)) : undefined);
const minOf = (s: Series | undefined) => (values(s).length ? Math.min(...values(s)) : undefined);

/** Sum across series at each timestamp (e.g. every load balancer's requests in one period). */
function sumByTime(s: Series | undefined): Map<number, number> {
  const out = new Map<number, number>();
  for (const x of s ?? []) x.timestamps.forEach((t, i) => out.set(t.getTime(), (out.get(t.getTime()) ?? 0) + (x.values[i] ?? 0)));
  return out;
}

/**
 * The daily curve: the mean request count of each UTC hour of the day, its peak over its trough, and the
 * hours above the midpoint between them (the business hours, when there are some).
 */
export function dailyCurve(hourly: Map<number, number>): { peakToTrough: number; busyHoursUtc: number[] } | undefined {
  const byHour = Array.from({ length: 24 }, () => ({ total: 0, n: 0 }));
  for (const [t, v] of hourly) {
    const h = byHour[new Date(t).getUTCHours()]!;
    h.total += v;
    h.n++;
  }
  if (byHour.some((h) => h.n === 0)) return undefined;
  const means = byHour.map((h) => h.total / h.n);
  const peak = Math.max(...means);
  const trough = Math.min(...means);
  const mid = (peak + trough) / 2;
  return { peakToTrough: peak / Math.max(trough, 1), busyHoursUtc: means.flatMap((m, h) => (m > mid ? [h] : [])) };
}

export async function gatherStackEvidence(cw: CloudWatchClient, stack: string, sinceMs: number, now: Date): Promise<{ evidence: Evidence; stage: number | null; notes: string[] }> {
  const period = periodFor(sinceMs);
  let data: Map<string, Series>;
  try {
    data = await fetchAll(cw, buildQueries(stack, sinceMs), new Date(now.getTime() - sinceMs), now);
  } catch (err) {
    throw new StackEvidenceError(`CloudWatch GetMetricData failed (${(err as Error).name}: ${(err as Error).message}): check the AWS credentials, --region and that cloudwatch:GetMetricData is allowed`);
  }
  const found = [...data.entries()].filter(([, s]) => values(s).length > 0).map(([id]) => id);
  if (found.length === 0)
    throw new StackEvidenceError(`no CloudWatch metrics found for stack "${stack}" (names starting ${stackPrefix(stack)}-) in the last ${Math.round(sinceMs / 60_000)} min: check --stack, --region and --since`);

  const notes: string[] = [];
  const e: Evidence = {};
  const set = (k: keyof Evidence, v: number | undefined) => {
    if (v !== undefined && Number.isFinite(v)) e[k] = v;
  };
  set("web_cpu_percent", maxOf(data.get("webcpu")));
  const requests = sumByTime(data.get("albreq"));
  const errors5xx = sumByTime(data.get("alb5xx"));
  if (requests.size) {
    const peak = Math.max(...requests.values());
    set("requests_per_second", peak / period);
    const total = [...requests.values()].reduce((a, b) => a + b, 0);
    const bad = [...errors5xx.values()].reduce((a, b) => a + b, 0);
    if (total > 0) set("alb_5xx_share", bad / total);
  }
  const lat = maxOf(data.get("alblat"));
  set("alb_latency_p99_ms", lat === undefined ? undefined : lat * 1000);
  set("rds_cpu_percent", maxOf(data.get("rdscpu")));
  set("rds_freeable_memory_bytes", minOf(data.get("rdsmem")));
  const riops = maxOf(data.get("rdsriops"));
  const wiops = maxOf(data.get("rdswiops"));
  set("rds_read_iops", riops);
  if (riops !== undefined && wiops !== undefined) set("rds_read_write_iops_ratio", riops / Math.max(wiops, 1));
  set("replica_lag_seconds", maxOf(data.get("rdslag")));
  set("rds_connections", maxOf(data.get("rdsconn")));
  const hit = data.get("cachehit");
  if (values(hit).length) set("cache_hit_ratio", values(hit).reduce((a, b) => a + b, 0) / values(hit).length / 100);
  const evict = maxOf(data.get("cacheevict"));
  set("cache_evictions_per_second", evict === undefined ? undefined : evict / period);
  set("cache_cpu_percent", maxOf(data.get("cachecpu")));
  set("queue_oldest_message_seconds", maxOf(data.get("sqsage")));

  if (sinceMs >= DAY_MS) {
    const curve = dailyCurve(sumByTime(data.get("albreqhourly")));
    if (curve) {
      set("daily_peak_to_trough", curve.peakToTrough);
      if (curve.busyHoursUtc.length) notes.push(`busy hours (UTC): ${curve.busyHoursUtc.map((h) => String(h).padStart(2, "0")).join(" ")}`);
    } else notes.push("fewer than 24 hours of hourly requests: no daily curve");
  } else notes.push("--since is under 24h: give --since 7d to look for a daily cycle");

  const has = (id: string) => found.includes(id);
  const stage = has("sqsage") ? 5 : has("cachehit") || has("cachecpu") ? 3 : has("albreq") ? 2 : has("rdscpu") ? 1 : 0;
  return { evidence: e, stage, notes };
}
