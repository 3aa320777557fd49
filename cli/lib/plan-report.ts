/**
 * What a reviewer needs to know about going from one plan to another: each change with its old and new values,
 * which changes touch data (stateful, protected, retained on delete), the transition guard's verdict, what each
 * tier's servers are given differently, and the monthly cost before and after. Pure: the plans come in, data goes
 * out; `plan-markdown.ts` and the human form render it.
 */
import { diffPlans, type Change, type Plan, type PlannedResource } from "../../stacks/plan.ts";
import { checkTransition, type Violation } from "../../stacks/transition-guard.ts";
import type { RuntimeValue, TierRuntime } from "../../runtime/sources.ts";
import { estimateMonthlyCost, type CostEstimate } from "./cost.ts";

/** One leaf value that differs, by its path in the inputs (`origins[0].domainName`); a missing side is absent. */
export interface ValueChange {
  path: string;
  old?: unknown;
  new?: unknown;
}

/** A change of contracts.md §1, with what a reviewer needs besides the field names. */
export interface ReviewedChange extends Change {
  name: string;
  /** The top-level component it belongs to, as `name (type)`. */
  component: string;
  /** In the plan it ends in (the one it leaves, for a delete). */
  protect: boolean;
  retainOnDelete: boolean;
  /** The values behind `fields` (empty for create and delete). */
  values: ValueChange[];
}

export interface GuardVerdict {
  verdict: "allowed" | "refused";
  violations: Violation[];
}

export interface EnvChange {
  name: string;
  old?: RuntimeValue;
  new?: RuntimeValue;
}

/** One tier's runtime difference: a tier that appears, goes away, or is given something else. */
export interface RuntimeChange {
  tier: string;
  action: "added" | "removed" | "changed";
  env: EnvChange[];
  /** The migration step's settings (names and sources only; never a value of a secret). */
  migrate: EnvChange[];
}

export interface StageCost {
  stage: number;
  name: string;
  monthly: number;
  unpriced: string[];
  usageBased: string[];
}

export interface CostComparison {
  region: string;
  currency: string;
  asOf: string;
  before: StageCost;
  after: StageCost;
  /** after - before, in currency per month (fixed charges only). */
  delta: number;
}

export interface Review {
  before: { stage: number; name: string };
  after: { stage: number; name: string };
  changes: ReviewedChange[];
  guard: GuardVerdict;
  runtime: RuntimeChange[];
  cost: CostComparison;
}

/** The review of moving from plan `before` to plan `after` (two stages, or one stage at two commits). */
export function reviewPlans(before: Plan, after: Plan): Review {
  const byUrn = new Map<string, PlannedResource>([...before.resources, ...after.resources].map((r) => [r.urn, r]));
  const beforeByUrn = new Map(before.resources.map((r) => [r.urn, r]));
  const afterByUrn = new Map(after.resources.map((r) => [r.urn, r]));
  const changes = diffPlans(before, after).map((c): ReviewedChange => {
    const old = beforeByUrn.get(c.urn);
    const next = afterByUrn.get(c.urn);
    const ends = next ?? old!;
    const values = old && next ? c.fields.flatMap((f) => valueChanges(f, old.inputs[f], next.inputs[f])) : [];
    return { ...c, name: ends.name, component: componentOf(c.urn, byUrn), protect: ends.protect, retainOnDelete: ends.retainOnDelete, values };
  });
  const violations = checkTransition(before, after);
  return {
    before: { stage: before.stage, name: before.name },
    after: { stage: after.stage, name: after.name },
    changes,
    guard: { verdict: violations.length > 0 ? "refused" : "allowed", violations },
    runtime: runtimeChanges(before.runtime ?? [], after.runtime ?? []),
    cost: compareCost(before, after),
  };
}

/** The guard's verdict on one stage alone: every stateful resource it registers must be protected. */
export function guardStage(plan: Plan): GuardVerdict {
  const violations = checkTransition({ ...plan, resources: [] }, plan);
  return { verdict: violations.length > 0 ? "refused" : "allowed", violations };
}

/** The leaves under `path` that differ between `a` and `b` (objects by key, arrays by index). */
export function valueChanges(path: string, a: unknown, b: unknown): ValueChange[] {
  if (JSON.stringify(a) === JSON.stringify(b)) return [];
  if (isRecord(a) && isRecord(b)) {
    const keys = [...new Set([...Object.keys(a), ...Object.keys(b)])].sort();
    return keys.flatMap((k) => valueChanges(`${path}.${k}`, a[k], b[k]));
  }
  if (Array.isArray(a) && Array.isArray(b)) {
    const out: ValueChange[] = [];
    for (let i = 0; i < Math.max(a.length, b.length); i++) out.push(...valueChanges(`${path}[${i}]`, a[i], b[i]));
    return out;
  }
  return [{ path, ...(a === undefined ? {} : { old: a }), ...(b === undefined ? {} : { new: b }) }];
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** The top-level component a URN belongs to, walking up the parents, as `name (type)`. */
export function componentOf(urn: string, byUrn: Map<string, PlannedResource>): string {
  let current = byUrn.get(urn);
  while (current?.parent && byUrn.has(current.parent)) current = byUrn.get(current.parent);
  return current ? `${current.name} (${current.type})` : "(unknown)";
}

export function runtimeChanges(before: readonly TierRuntime[], after: readonly TierRuntime[]): RuntimeChange[] {
  const out: RuntimeChange[] = [];
  const tiers = [...new Set([...before.map((t) => t.tier), ...after.map((t) => t.tier)])];
  for (const tier of tiers) {
    const a = before.find((t) => t.tier === tier);
    const b = after.find((t) => t.tier === tier);
    const env = envChanges(a?.env ?? {}, b?.env ?? {});
    const migrate = envChanges(a?.migrate ?? {}, b?.migrate ?? {});
    const action = !a ? "added" : !b ? "removed" : "changed";
    if (action !== "changed" || env.length > 0 || migrate.length > 0) out.push({ tier, action, env, migrate });
  }
  return out;
}

function envChanges(a: Record<string, RuntimeValue>, b: Record<string, RuntimeValue>): EnvChange[] {
  const names = [...new Set([...Object.keys(a), ...Object.keys(b)])];
  return names
    .filter((n) => JSON.stringify(a[n]) !== JSON.stringify(b[n]))
    .map((name) => ({ name, ...(a[name] === undefined ? {} : { old: a[name] }), ...(b[name] === undefined ? {} : { new: b[name] }) }));
}

function stageCost(plan: Plan, estimate: CostEstimate): StageCost {
  return { stage: plan.stage, name: plan.name, monthly: estimate.monthly, unpriced: estimate.unpriced, usageBased: estimate.usageBased };
}

export function compareCost(before: Plan, after: Plan): CostComparison {
  const b = estimateMonthlyCost(before.resources);
  const a = estimateMonthlyCost(after.resources);
  return {
    region: a.region,
    currency: a.currency,
    asOf: a.asOf,
    before: stageCost(before, b),
    after: stageCost(after, a),
    delta: Math.round((a.monthly - b.monthly) * 100) / 100,
  };
}

/** The JSON form of a review: the `changes`, `guard`, `runtimeChanges` and `cost` keys `--json` adds to a move. */
export function reviewJson(review: Review): Record<string, unknown> {
  return { changes: review.changes, guard: review.guard, runtimeChanges: review.runtime, cost: review.cost };
}
