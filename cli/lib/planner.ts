/**
 * The offline side of a stage move: the two stages' plans (the Pulumi program under SDK mocks),
 * what changes between them, and the transition guard's reasons to refuse. Faked in tests.
 */
export interface PlanLike {
  stage: number;
  name: string;
  resources: { urn: string; type: string; protect: boolean; inputs: Record<string, unknown> }[];
}
export interface ChangeLike {
  urn: string;
  type: string;
  action: "create" | "delete" | "update" | "replace";
  stateful: boolean;
  fields: string[];
}
export interface ViolationLike {
  urn: string;
  type: string;
  rule: string;
  message: string;
}

export interface Planner {
  plan(stage: number, configFile?: string): Promise<PlanLike>;
  diff(from: PlanLike, to: PlanLike): ChangeLike[];
  check(from: PlanLike, to: PlanLike): ViolationLike[];
}

// The stacks package is loaded only by the commands that plan: it pulls in @pulumi/* (1-2 s).
const PLAN_MODULE = "../../stacks/plan.ts";
const GUARD_MODULE = "../../stacks/transition-guard.ts";

export async function stacksPlanner(): Promise<Planner> {
  const plan = (await import(PLAN_MODULE)) as {
    planStage(stage: number, opts?: { configFile?: string }): Promise<PlanLike>;
    diffPlans(from: PlanLike, to: PlanLike): ChangeLike[];
  };
  const guard = (await import(GUARD_MODULE)) as { checkTransition(from: PlanLike, to: PlanLike): ViolationLike[] };
  return {
    plan: (stage, configFile) => plan.planStage(stage, configFile ? { configFile } : {}),
    diff: (from, to) => plan.diffPlans(from, to),
    check: (from, to) => guard.checkTransition(from, to),
  };
}
