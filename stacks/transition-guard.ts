/**
 * The transition guard: refuses a stage move that could lose data. `scale stage up/down` calls it on the two
 * offline plans and exits 3 on any violation. Pure: no Pulumi import.
 */
import { changedFields, type Plan, type PlannedResource } from "./plan.ts";
import { isStateful, replaceTriggers } from "./stateful.ts";

/** Why a move is refused. */
export interface Violation {
  urn: string;
  type: string;
  rule: "stateful-deleted" | "stateful-replaced" | "stateful-unprotected";
  message: string;
}

/**
 * Every reason the move from `from` to `to` could lose data:
 * - a stateful resource leaves the stack without `retainOnDelete` (leaving with it is allowed: the cloud object and
 *   its data stay, only Pulumi stops managing it);
 * - a stateful resource's replace-triggering input changes;
 * - a stateful resource in `to` is not `protect`ed.
 */
export function checkTransition(from: Plan, to: Plan): Violation[] {
  const after = new Map(to.resources.map((r) => [r.urn, r]));
  const violations: Violation[] = [];
  for (const old of from.resources.filter(isStateful)) {
    const next = after.get(old.urn);
    if (!next) {
      if (!old.retainOnDelete) violations.push(violation(old, "stateful-deleted", `would be deleted with its data moving from stage ${from.stage} to ${to.stage}; mark it retainOnDelete or keep it`));
      continue;
    }
    const fields = changedFields(old.inputs, next.inputs).filter((f) => replaceTriggers(old.type).includes(f));
    if (fields.length > 0) {
      violations.push(violation(old, "stateful-replaced", `would be replaced (losing its data): ${fields.join(", ")} changed`));
    }
  }
  for (const r of to.resources.filter(isStateful)) {
    if (!r.protect) violations.push(violation(r, "stateful-unprotected", `holds data but is not protected at stage ${to.stage}`));
  }
  return violations;
}

function violation(r: PlannedResource, rule: Violation["rule"], why: string): Violation {
  return { urn: r.urn, type: r.type, rule, message: `${r.type} ${r.name} ${why}` };
}
