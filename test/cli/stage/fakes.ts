/** A fake engine and planner for stage-move tests: they record what was asked and answer from a script. */
import type { StackEngine } from "../../../cli/lib/engine.ts";
import type { ChangeLike, PlanLike, Planner, ViolationLike } from "../../../cli/lib/planner.ts";

export interface EngineCall {
  op: string;
  stage?: number;
  targets?: string[];
}

export class FakeEngine implements StackEngine {
  calls: EngineCall[] = [];
  failUp = false;
  constructor(
    public stage: number | undefined,
    public deployedOutputs: Record<string, unknown>,
  ) {}
  async currentStage() {
    this.calls.push({ op: "currentStage" });
    return this.stage;
  }
  async outputs() {
    return this.deployedOutputs;
  }
  async preview(_stack: string, stage: number, onOutput: (l: string) => void) {
    this.calls.push({ op: "preview", stage });
    this.stage = stage;
    onOutput("Previewing update (dev)");
    return { changeSummary: { create: 3, same: 10 } };
  }
  async up(_stack: string, stage: number, _onOutput: (l: string) => void, targets?: string[]) {
    this.calls.push({ op: "up", stage, ...(targets ? { targets } : {}) });
    if (this.failUp && !targets) throw new Error("aws:rds/instance:Instance creating failed: quota exceeded");
    this.stage = stage;
    return { outputs: this.deployedOutputs, changeSummary: { create: 3 } };
  }
  async unprotect(_stack: string, urns: string[]) {
    this.calls.push({ op: "unprotect", targets: urns });
  }
  async setStage(_stack: string, stage: number) {
    this.calls.push({ op: "setStage", stage });
    this.stage = stage;
  }
}

export class FakePlanner implements Planner {
  violations: ViolationLike[] = [];
  changes: ChangeLike[] = [];
  async plan(stage: number): Promise<PlanLike> {
    return { stage, name: `stage-${stage}`, resources: [] };
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
