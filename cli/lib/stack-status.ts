/**
 * Where a stack is, without the Pulumi CLI: the stage and the last move from the audit log; alarms in
 * ALARM, unhealthy targets and the release each tier runs from the AWS APIs (resources found by the
 * `scale:stack` tag); drift from overrides the audit log recorded and, with `refresh`, from the live
 * Auto Scaling groups against the stage's offline plan.
 */
import { readAudit, type AuditEntry } from "./audit.ts";
import { findStackResources, STACK_TAG, type StackResources } from "./stack-resources.ts";
import type { PlanLike } from "./planner.ts";

export interface Drift {
  resource: string;
  field: string;
  stack: unknown;
  live: unknown;
  source: "audit" | "refresh";
  note: string;
}

export interface StackStatus {
  stack: string;
  region: string;
  stage: number | null;
  lastMove: { at: string; from: unknown; to: unknown; result: unknown; who: unknown; failedStep?: unknown } | null;
  alarms: { name: string; id: string | null; reason: string; since: string | null; runbook: string | null }[];
  unhealthyTargets: { targetGroup: string; tier: string | null; target: string; state: string; reason: string | null }[];
  releases: { tier: string; releases: string[]; instances: number }[];
  groups: StackResources["groups"];
  drift: Drift[];
  refreshed: boolean;
}

export interface StatusSources {
  resources?: typeof findStackResources;
  alarms?: (stack: string, region: string) => Promise<StackStatus["alarms"]>;
  unhealthy?: (resources: StackResources, region: string) => Promise<StackStatus["unhealthyTargets"]>;
  plan?: (stage: number) => Promise<PlanLike>;
}

const stackOf = (e: AuditEntry) => e.stack ?? (e.identity as { stack?: unknown } | undefined)?.stack;

export async function stackStatus(
  opts: { stack: string; region: string; auditPath: string; refresh: boolean },
  sources: StatusSources = {},
): Promise<StackStatus> {
  const entries = readAudit(opts.auditPath).filter((e) => stackOf(e) === opts.stack);
  const moves = entries.filter((e) => e.kind === "stage.transition");
  const lastOk = moves.filter((e) => e.result === "succeeded" || e.result === "unchanged").at(-1);
  const last = moves.at(-1);
  const stage = typeof lastOk?.to === "number" ? lastOk.to : null;

  const resources = await (sources.resources ?? findStackResources)(opts.stack, opts.region);
  const [alarms, unhealthyTargets] = await Promise.all([
    (sources.alarms ?? alarmsInAlarm)(opts.stack, opts.region),
    (sources.unhealthy ?? unhealthyTargetsOf)(resources, opts.region),
  ]);

  const tiers = new Map<string, { releases: Set<string>; instances: number }>();
  for (const i of resources.instances) {
    if (i.state !== "running" && i.state !== "pending") continue;
    const t = tiers.get(i.tier ?? "untagged") ?? { releases: new Set<string>(), instances: 0 };
    if (i.release) t.releases.add(i.release);
    t.instances++;
    tiers.set(i.tier ?? "untagged", t);
  }
  const releases = [...tiers].map(([tier, t]) => ({ tier, releases: [...t.releases].sort(), instances: t.instances }));

  // Overrides after the last successful move are still in force as far as the audit log knows.
  const sinceMove = lastOk ? entries.slice(entries.indexOf(lastOk) + 1) : entries;
  const drift: Drift[] = [];
  for (const o of sinceMove.filter((e) => e.kind === "stack.override")) {
    const group = resources.groups.find((g) => g.name === o.group);
    for (const [field, value] of Object.entries((o.values ?? {}) as Record<string, unknown>)) {
      const live = group ? { min: group.min, max: group.max, desired: group.desired }[field] : undefined;
      drift.push({
        resource: String(o.resource),
        field,
        stack: null,
        live: live ?? value,
        source: "audit",
        note: `set by ${String(o.runbook)} (${String(o.who)}, ${String(o.at)}) outside Pulumi: the next stage move or scheduled action reverts it`,
      });
    }
  }
  if (opts.refresh && stage !== null && sources.plan) drift.push(...planDrift(await sources.plan(stage), resources.groups));

  return {
    stack: opts.stack,
    region: opts.region,
    stage,
    lastMove: last ? { at: String(last.at), from: last.from, to: last.to, result: last.result, who: last.who, ...(last.failedStep ? { failedStep: last.failedStep } : {}) } : null,
    alarms,
    unhealthyTargets,
    releases,
    groups: resources.groups,
    drift,
    refreshed: opts.refresh,
  };
}

/** Live Auto Scaling group sizes against what the stage's program declares, matched by the `scale:tier` tag. */
export function planDrift(plan: PlanLike, groups: StackResources["groups"]): Drift[] {
  const out: Drift[] = [];
  for (const r of plan.resources.filter((x) => x.type === "aws:autoscaling/group:Group")) {
    const inputs = r.inputs as { minSize?: number; maxSize?: number; desiredCapacity?: number; tags?: { key: string; value: string }[] };
    const tier = inputs.tags?.find((t) => t.key === "scale:tier")?.value;
    const live = groups.find((g) => g.tier === tier);
    if (!tier || !live) continue;
    for (const [field, want, have] of [
      ["min", inputs.minSize, live.min],
      ["max", inputs.maxSize, live.max],
      ["desired", inputs.desiredCapacity, live.desired],
    ] as const) {
      if (typeof want === "number" && want !== have)
        out.push({ resource: `autoscaling group ${live.name}`, field, stack: want, live: have, source: "refresh", note: `the stack declares ${want}, AWS has ${have}` });
    }
  }
  return out;
}

async function alarmsInAlarm(stack: string, region: string): Promise<StackStatus["alarms"]> {
  const cw = await import("@aws-sdk/client-cloudwatch");
  const { ALARM_TAG } = await import("../../stacks/alarms.ts");
  const { RUNBOOKS } = await import("../../runbooks/index.ts");
  const client = new cw.CloudWatchClient({ region });
  try {
    const firing = (await client.send(new cw.DescribeAlarmsCommand({ StateValue: "ALARM" }))).MetricAlarms ?? [];
    const out: StackStatus["alarms"] = [];
    for (const a of firing) {
      const tags = (await client.send(new cw.ListTagsForResourceCommand({ ResourceARN: a.AlarmArn }))).Tags ?? [];
      if (tags.find((t) => t.Key === STACK_TAG)?.Value !== stack) continue;
      const id = tags.find((t) => t.Key === ALARM_TAG)?.Value ?? null;
      out.push({
        name: a.AlarmName ?? "?",
        id,
        reason: a.StateReason ?? "",
        since: a.StateUpdatedTimestamp?.toISOString() ?? null,
        runbook: (id && RUNBOOKS.find((r) => r.answersAlarms.includes(id))?.id) || null,
      });
    }
    return out;
  } finally {
    client.destroy();
  }
}

async function unhealthyTargetsOf(resources: StackResources, region: string): Promise<StackStatus["unhealthyTargets"]> {
  if (!resources.targetGroups.length) return [];
  const elb = await import("@aws-sdk/client-elastic-load-balancing-v2");
  const client = new elb.ElasticLoadBalancingV2Client({ region });
  try {
    const out: StackStatus["unhealthyTargets"] = [];
    for (const tg of resources.targetGroups) {
      const health = (await client.send(new elb.DescribeTargetHealthCommand({ TargetGroupArn: tg.arn }))).TargetHealthDescriptions ?? [];
      for (const h of health)
        if (h.TargetHealth?.State !== "healthy")
          out.push({ targetGroup: tg.name, tier: tg.tier, target: h.Target?.Id ?? "?", state: h.TargetHealth?.State ?? "unknown", reason: h.TargetHealth?.Reason ?? null });
    }
    return out;
  } finally {
    client.destroy();
  }
}
