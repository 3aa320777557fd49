/**
 * The offline side of a stage move: the two stages' plans (the Pulumi program under SDK mocks),
 * what changes between them, and the transition guard's reasons to refuse. Faked in tests.
 */
import type { Change, Plan } from "../../stacks/plan.ts";
import type { Violation } from "../../stacks/transition-guard.ts";

export type PlanLike = Pick<Plan, "stage" | "name"> & {
  resources: Pick<Plan["resources"][number], "urn" | "type" | "protect" | "inputs">[];
  /** Each compute tier's runtime (the switch of a data move sends the box's to the box). */
  runtime?: Plan["runtime"];
};
export type ChangeLike = Change;
export type ViolationLike = Violation;

export interface Planner {
  plan(stage: number, configFile?: string): Promise<PlanLike>;
  diff(from: PlanLike, to: PlanLike): ChangeLike[];
  check(from: PlanLike, to: PlanLike): ViolationLike[];
}

/** The stacks' own planner and guard, loaded only when a move is planned: they pull in @pulumi/* (1-2 s). */
export async function stacksPlanner(): Promise<Planner> {
  const { planStage, diffPlans } = await import("../../stacks/plan.ts");
  const { checkTransition } = await import("../../stacks/transition-guard.ts");
  return {
    plan: (stage, configFile) => planStage(stage, configFile ? { configFile } : {}),
    // The real planner hands back real Plans; the fakes in tests never reach these.
    diff: (from, to) => diffPlans(from as Plan, to as Plan),
    check: (from, to) => checkTransition(from as Plan, to as Plan),
  };
}
