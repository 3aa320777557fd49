import { expect } from "chai";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { useStageDeps } from "../../../cli/lib/stage-deps.ts";
import { scale } from "../run-scale.ts";
import { FakeEngine, FakePlanner, fakeIdentity } from "./fakes.ts";
import { tempDir } from "../../support/tmp.ts";

describe("scale stage up / down: the audit record of a failed move", () => {
  let restore: () => void;
  afterEach(() => restore());

  it("a move that fails before the stack answers records null and the stage asked for, never -1", async () => {
    const engine = new FakeEngine(2, {});
    engine.currentStage = async () => {
      throw new Error("error: no stack named 'prod' found");
    };
    restore = useStageDeps({ identity: fakeIdentity, engine: async () => engine, planner: async () => new FakePlanner() });
    const auditPath = join(tempDir("scale-move-audit"), "audit.jsonl");
    const run = await scale(["stage", "up", "--to", "3", "--stack", "prod", "--yes", "--audit-log", auditPath]);
    expect(run.exit).to.equal(1);
    const entry = JSON.parse(readFileSync(auditPath, "utf8").trim().split("\n").at(-1)!);
    expect(entry).to.deep.include({ kind: "stage.transition", stack: "prod", from: null, to: 3, direction: "up", result: "failed", failedStep: "check-move" });
  });

  it("a move that fails in a later step records its real from and to", async () => {
    const engine = new FakeEngine(2, {});
    engine.failUp = true;
    restore = useStageDeps({ identity: fakeIdentity, engine: async () => engine, planner: async () => new FakePlanner(), healthTimeoutMs: 50, healthIntervalMs: 10 });
    const auditPath = join(tempDir("scale-move-audit"), "audit.jsonl");
    const run = await scale(["stage", "up", "--yes", "--audit-log", auditPath]);
    expect(run.exit).to.equal(1);
    const entry = JSON.parse(readFileSync(auditPath, "utf8").trim().split("\n").at(-1)!);
    expect(entry).to.deep.include({ from: 2, to: 3, result: "failed", failedStep: "up" });
  });

  it("the identity is shown before anything runs and recorded with the move", async () => {
    const engine = new FakeEngine(2, {});
    engine.failUp = true;
    restore = useStageDeps({ identity: fakeIdentity, engine: async () => engine, planner: async () => new FakePlanner() });
    const auditPath = join(tempDir("scale-move-audit"), "audit.jsonl");
    const run = await scale(["stage", "up", "--stack", "prod", "--region", "eu-west-1", "--yes", "--audit-log", auditPath]);
    expect(run.stderr).to.include("stage up on stack prod, region eu-west-1, account 123456789012");
    const entry = JSON.parse(readFileSync(auditPath, "utf8").trim().split("\n").at(-1)!);
    expect(entry.identity).to.deep.include({ account: "123456789012", region: "eu-west-1", stack: "prod" });
  });

  it("no AWS credentials: exit 2 with a hint before the stack is looked at", async () => {
    const engine = new FakeEngine(2, {});
    const { OperatorMistake } = await import("../../../cli/lib/errors.ts");
    restore = useStageDeps({
      identity: async () => {
        throw new OperatorMistake("no usable AWS credentials (Could not load credentials from any providers): set AWS_PROFILE or run `aws sso login`");
      },
      engine: async () => engine,
      planner: async () => new FakePlanner(),
    });
    const run = await scale(["stage", "up", "--yes", "--audit-log", join(tempDir("scale-move-audit"), "audit.jsonl")]);
    expect(run.exit).to.equal(2);
    expect(run.message).to.include("AWS_PROFILE");
    expect(engine.calls).to.deep.equal([]);
  });
});
