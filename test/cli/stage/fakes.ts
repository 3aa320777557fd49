/**
 * A fake engine and planner for stage-move tests: they record what was asked and answer from a script. Like Pulumi,
 * the engine refuses a target or URN that is not its stack's own ("target ... could not be found"): the offline
 * plan's URNs (`urn:pulumi:plan::...`) must be mapped to the stack's before they reach it.
 */
import type { StackEngine } from "../../../cli/lib/engine.ts";
import type { ChangeLike, PlanLike, Planner, ViolationLike } from "../../../cli/lib/planner.ts";

export interface EngineCall {
  op: string;
  stage?: number;
  targets?: string[];
}

/** A URN of the offline plan, as the planner hands it out. */
export const planUrn = (typeChain: string, name: string) => `urn:pulumi:plan::scale-to-millions::${typeChain}::${name}`;

export class FakeEngine implements StackEngine {
  calls: EngineCall[] = [];
  failUp = false;
  /** The stack's state: outputs by URN (what resourceOutputs answers). */
  state: Record<string, Record<string, unknown>> = {};
  constructor(
    public stage: number | undefined,
    public deployedOutputs: Record<string, unknown>,
    readonly stackName = "dev",
  ) {}
  private own(stack: string, urns: string[]) {
    if (stack !== this.stackName) throw new Error(`no stack named '${stack}' found`);
    for (const urn of urns)
      if (!urn.startsWith(`urn:pulumi:${this.stackName}::scale-to-millions::`)) throw new Error(`target '${urn}' could not be found in the stack's state`);
  }
  async currentStage() {
    this.calls.push({ op: "currentStage" });
    return this.stage;
  }
  async outputs() {
    return this.deployedOutputs;
  }
  async preview(stack: string, stage: number, onOutput: (l: string) => void) {
    this.own(stack, []);
    this.calls.push({ op: "preview", stage });
    this.stage = stage;
    onOutput("Previewing update (dev)");
    return { changeSummary: { create: 3, same: 10 } };
  }
  async up(stack: string, stage: number, _onOutput: (l: string) => void, targets?: string[]) {
    this.own(stack, targets ?? []);
    this.calls.push({ op: "up", stage, ...(targets ? { targets } : {}) });
    if (this.failUp && !targets) throw new Error("aws:rds/instance:Instance creating failed: quota exceeded");
    this.stage = stage;
    return { outputs: this.deployedOutputs, changeSummary: { create: 3 } };
  }
  async unprotect(stack: string, urns: string[]) {
    this.own(stack, urns);
    this.calls.push({ op: "unprotect", targets: urns });
  }
  async resourceOutputs(stack: string, urn: string) {
    this.own(stack, [urn]);
    return this.state[urn] ?? { arn: `arn:aws:fake:us-east-1:123456789012:${urn.split("::").at(-1)}` };
  }
  async setStage(_stack: string, stage: number) {
    this.calls.push({ op: "setStage", stage });
    this.stage = stage;
  }
}

export class FakePlanner implements Planner {
  violations: ViolationLike[] = [];
  changes: ChangeLike[] = [];
  resources: PlanLike["resources"] = [];
  runtime: PlanLike["runtime"] = [];
  async plan(stage: number): Promise<PlanLike> {
    return { stage, name: `stage-${stage}`, resources: this.resources, runtime: this.runtime };
  }
  diff(): ChangeLike[] {
    return this.changes;
  }
  check(): ViolationLike[] {
    return this.violations;
  }
}

/** The identity stage moves resolve first, without STS. */
export const fakeIdentity = async (opts: { stack: string; region: string }) => ({ ...opts, account: "123456789012", arn: "arn:aws:iam::123456789012:user/tester" });
