import { expect } from "chai";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { useStageDeps } from "../../../cli/lib/stage-deps.ts";
import { scale } from "../run-scale.ts";
import { FakeEngine, FakePlanner } from "./fakes.ts";
import { tempDir } from "../../support/tmp.ts";

describe("scale stage up / down: the audit record of a failed move", () => {
  let restore: () => void;
  afterEach(() => restore());

  it("a move that fails before the stack answers records null and the stage asked for, never -1", async () => {
    const engine = new FakeEngine(2, {});
    engine.currentStage = async () => {
      throw new Error("error: no stack named 'prod' found");
    };
    restore = useStageDeps({ engine: async () => engine, planner: async () => new FakePlanner() });
    const auditPath = join(tempDir("scale-move-audit"), "audit.jsonl");
    const run = await scale(["stage", "up", "--to", "3", "--stack", "prod", "--yes", "--audit-log", auditPath]);
    expect(run.exit).to.equal(1);
    const entry = JSON.parse(readFileSync(auditPath, "utf8").trim().split("\n").at(-1)!);
    expect(entry).to.deep.include({ kind: "stage.transition", stack: "prod", from: null, to: 3, direction: "up", result: "failed", failedStep: "check-move" });
  });

  it("a move that fails in a later step records its real from and to", async () => {
    const engine = new FakeEngine(2, {});
    engine.failUp = true;
    restore = useStageDeps({ engine: async () => engine, planner: async () => new FakePlanner(), healthTimeoutMs: 50, healthIntervalMs: 10 });
    const auditPath = join(tempDir("scale-move-audit"), "audit.jsonl");
    const run = await scale(["stage", "up", "--yes", "--audit-log", auditPath]);
    expect(run.exit).to.equal(1);
    const entry = JSON.parse(readFileSync(auditPath, "utf8").trim().split("\n").at(-1)!);
    expect(entry).to.deep.include({ from: 2, to: 3, result: "failed", failedStep: "up" });
  });
});
