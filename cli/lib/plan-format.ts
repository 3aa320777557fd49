// The human form of `scale stage plan`: resources and changes grouped by their top-level component, stateful ones
// marked. Pure functions over the plan data; the command prints what they return.
import type { Change, Plan, PlannedResource } from "../../stacks/plan.ts";
import { isStateful } from "../../stacks/stateful.ts";
import { urnName, type RuntimeValue } from "../../runtime/sources.ts";
import type { GuardVerdict, ReviewedChange, RuntimeChange } from "./plan-report.ts";

/** Marks a resource that holds data. */
export const STATEFUL_MARK = "[stateful]";

/** The plan as contracts.md §1 and §3 print it: {urn,type,name,parent,protect,inputs} per resource, and each tier's runtime. */
export function planJson(plan: Plan, changes?: Change[]): Record<string, unknown> {
  const resources = plan.resources.map(({ urn, type, name, parent, protect, inputs }) => ({ urn, type, name, parent, protect, inputs }));
  return { stage: plan.stage, name: plan.name, resources, runtime: plan.runtime, ...(changes ? { changes } : {}) };
}

/** One runtime value in a line: literals as they are, the rest as where they come from. */
export function describeValue(value: RuntimeValue): string {
  if (typeof value === "string") return value;
  switch (value.from) {
    case "output": return `${urnName(value.urn)}.${value.output}`;
    case "secret": return `secret ${urnName(value.urn)}${value.field ? `.${value.field}` : ""}`;
    case "generated": return `generated ${value.name}`;
    case "file": return `file (${describeValue(value.content)})`;
    case "template": return value.template.replace(/\{([A-Za-z0-9_]+)\}/g, (_, part: string) => `{${value.parts[part] === undefined ? part : describeValue(value.parts[part])}}`);
  }
}

/** Lines showing what each tier's servers get (the migration step's settings named, not shown). */
export function formatRuntime(plan: Plan): string[] {
  const lines = ["", "runtime (each tier's environment; --json shows where every value comes from)"];
  for (const tier of plan.runtime) {
    lines.push(`  ${tier.tier}`);
    for (const [name, value] of Object.entries(tier.env)) lines.push(`    ${name}=${describeValue(value)}`);
    const adminOnly = Object.keys(tier.migrate ?? {}).filter((name) => !(name in tier.env));
    if (adminOnly.length > 0) lines.push(`    (and, for its migration step only: ${adminOnly.join(", ")})`);
  }
  return lines;
}

/** The top-level component (name) a URN belongs to, walking up the parents. */
function componentOf(urn: string, byUrn: Map<string, PlannedResource>): string {
  let current = byUrn.get(urn);
  while (current?.parent && byUrn.has(current.parent)) current = byUrn.get(current.parent);
  return current ? `${current.name} (${current.type})` : "(removed)";
}

function group<T>(items: T[], key: (item: T) => string): Map<string, T[]> {
  const groups = new Map<string, T[]>();
  for (const item of items) groups.set(key(item), [...(groups.get(key(item)) ?? []), item]);
  return groups;
}

/** Lines describing the plan's resources by component. */
export function formatPlan(plan: Plan): string[] {
  const byUrn = new Map(plan.resources.map((r) => [r.urn, r]));
  const custom = plan.resources.filter((r) => !r.type.startsWith("scale:"));
  const lines = [`stage ${plan.stage} (${plan.name}): ${custom.length} cloud resources in ${plan.resources.length - custom.length} components`];
  for (const [component, members] of group(custom, (r) => componentOf(r.urn, byUrn))) {
    lines.push("", `${component}`);
    for (const r of members) lines.push(`  ${r.type} ${r.name}${isStateful(r) ? ` ${STATEFUL_MARK}` : ""}${r.protect ? " protected" : ""}`);
  }
  return [...lines, ...formatRuntime(plan)];
}

function brief(v: unknown): string {
  const text = v === undefined ? "(unset)" : JSON.stringify(v);
  return text.length > 80 ? `${text.slice(0, 79)}…` : text;
}

/** Lines describing the changes from `from` to `to` by component. */
export function formatChanges(from: Plan, to: Plan, changes: Change[]): string[] {
  const byUrn = new Map([...from.resources, ...to.resources].map((r) => [r.urn, r]));
  const counts = group(changes, (c) => c.action);
  const summary = ["create", "update", "replace", "delete"].map((a) => `${counts.get(a)?.length ?? 0} ${a}`).join(", ");
  const lines = [`stage ${from.stage} -> ${to.stage}: ${summary}`];
  for (const [component, members] of group(changes, (c) => componentOf(c.urn, byUrn))) {
    lines.push("", component);
    for (const c of members) {
      const name = c.urn.split("::").pop();
      const fields = c.fields.length > 0 ? ` (${c.fields.join(", ")})` : "";
      lines.push(`  ${c.action.padEnd(7)} ${c.type} ${name}${fields}${c.stateful ? ` ${STATEFUL_MARK}` : ""}`);
      // A reviewed change (plan-report.ts) carries its values: old -> new, each shortened to a line.
      const values = (c as Partial<ReviewedChange>).values ?? [];
      for (const v of values) lines.push(`          ${v.path}: ${brief(v.old)} -> ${brief(v.new)}`);
    }
  }
  return lines;
}

/** The transition guard's verdict in the human form. */
export function formatGuard(guard: GuardVerdict): string[] {
  if (guard.verdict === "allowed") return ["", "transition guard: allowed (no stateful resource deleted, replaced or unprotected)"];
  return ["", "transition guard: REFUSED (scale stage up/down would exit 3)", ...guard.violations.map((v) => `  ${v.rule}: ${v.message}`)];
}

/** Each tier's runtime changes in the human form: a setting's old and new source. */
export function formatRuntimeChanges(changes: RuntimeChange[]): string[] {
  if (changes.length === 0) return ["", "runtime: unchanged on every tier"];
  const lines = ["", "runtime changes"];
  const show = (v: RuntimeValue | undefined) => (v === undefined ? "(unset)" : describeValue(v));
  for (const c of changes) {
    lines.push(`  ${c.tier}${c.action === "changed" ? "" : ` (${c.action})`}`);
    for (const e of c.env) lines.push(`    ${e.name}: ${show(e.old)} -> ${show(e.new)}`);
    for (const e of c.migrate) lines.push(`    (migration step) ${e.name}: ${show(e.old)} -> ${show(e.new)}`);
  }
  return lines;
}
