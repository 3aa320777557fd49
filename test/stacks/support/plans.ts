// Each stage's program runs once per test process; every stacks test shares these plans.
import type { PolicyResource } from "@pulumi/policy";
import { planStage, type Plan, type PlannedResource } from "../../../stacks/plan.ts";
import { STAGE_IDS } from "../../../stacks/stages.ts";

let all: Promise<Plan[]> | undefined;

/** The plans of stages 0..5, in order. */
export function allPlans(): Promise<Plan[]> {
  all ??= (async () => {
    const plans: Plan[] = [];
    for (const id of STAGE_IDS) plans.push(await planStage(id));
    return plans;
  })();
  return all;
}

/** A deep copy to break on purpose. */
export function clonePlan(plan: Plan): Plan {
  return structuredClone(plan);
}

/** The first resource of a type (throws when absent). */
export function find(plan: Plan, type: string, name?: string): PlannedResource {
  const r = plan.resources.find((x) => x.type === type && (name === undefined || x.name === name));
  if (!r) throw new Error(`stage ${plan.stage} has no ${type} ${name ?? ""}`);
  return r;
}

/** The plan's resources as @pulumi/policy sees them (props = the mock's id plus the inputs). */
export function policyResources(plan: Plan): PolicyResource[] {
  const byUrn = new Map<string, PolicyResource>();
  const list = plan.resources.map((r) => {
    const pr = { type: r.type, props: { id: `${r.name}-id`, ...r.inputs }, urn: r.urn, name: r.name, parentUrn: r.parent } as unknown as PolicyResource & { parentUrn: string | null };
    byUrn.set(r.urn, pr);
    return pr;
  });
  for (const pr of list) {
    const parentUrn = (pr as unknown as { parentUrn: string | null }).parentUrn;
    (pr as { parent?: PolicyResource }).parent = parentUrn ? byUrn.get(parentUrn) : undefined;
  }
  return list;
}
