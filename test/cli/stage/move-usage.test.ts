import { expect } from "chai";
import { join } from "node:path";
import { useStageDeps } from "../../../cli/lib/stage-deps.ts";
import { scale } from "../run-scale.ts";
import { FakeEngine, FakePlanner, fakeIdentity } from "./fakes.ts";
import { tempDir } from "../../support/tmp.ts";

describe("scale stage up / down: usage mistakes exit 2 before Pulumi is needed", () => {
  let engine: FakeEngine;
  let restore: () => void;
  beforeEach(() => {
    engine = new FakeEngine(2, {});
    // An engine that is never asked: a usage mistake must be caught before the stack is looked at.
    restore = useStageDeps({ identity: fakeIdentity, engine: async () => engine, planner: async () => new FakePlanner() });
  });
  afterEach(() => restore());
  const audit = () => join(tempDir("scale-usage"), "audit.jsonl");

  const cases: [string[], RegExp][] = [
    [["stage", "up", "--to", "9"], /--to 9 is not a stage: use one of 0, 1, 2, 3, 4, 5/],
    [["stage", "down", "--to", "-1"], /--to -1 is not a stage/],
    [["stage", "up", "--stack", ""], /--stack "" is not a stack name|--stack expects a value/],
    [["stage", "up", "--stack", "prod/west"], /is not a stack name/],
    [["stage", "up", "--region", "mars-1"], /--region: "mars-1" is not an AWS region/],
  ];
  for (const [args, message] of cases) {
    it(`${args.join(" ")} exits 2`, async () => {
      const run = await scale([...args, "--yes", "--audit-log", audit()]);
      expect(run.exit, run.message).to.equal(2);
      expect(run.message).to.match(message);
      expect(engine.calls).to.deep.equal([]);
    });
  }
});
