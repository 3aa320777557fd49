import { expect } from "chai";
import { json, scale } from "./run-scale.ts";

describe("scale usage: help, unknown commands, --param", () => {
  it("`scale help`, `scale -h` and `stage plan -h` print help and exit 0", async () => {
    for (const args of [["help"], ["-h"], ["stage", "plan", "-h"]]) {
      const run = await scale(args);
      expect(run.exit, args.join(" ")).to.equal(0);
      expect(run.stdout, args.join(" ")).to.include("USAGE");
    }
    expect((await scale(["stage", "plan", "-h"])).stdout).to.include("--stage");
  });

  it("`scale stgae list` exits 2 in the typed form and suggests `stage list`", async () => {
    const run = await scale(["stgae", "list"]);
    expect(run.exit).to.equal(2);
    expect(run.message).to.include('"stgae list" is not a scale command; did you mean "stage list"?');
    expect(run.message).not.to.include("stgae:list");
  });

  it("under --json an unknown command is one JSON document with the suggestion", async () => {
    const run = await scale(["stgae", "list", "--json"]);
    expect(run.exit).to.equal(2);
    const doc = json<{ error: { message: string; exit: number; suggestions: string[] } }>(run);
    expect(doc.error.exit).to.equal(2);
    expect(doc.error.suggestions).to.include("scale stage list");
  });

  it("`-p` before the runbook id takes one value, not the id", async () => {
    const run = await scale(["runbook", "run", "-p", "instance=a", "db-snapshot", "--dry-run", "--json", "--audit-log", "/dev/null"]);
    expect(run.exit, run.stdout + run.message).to.equal(0);
    expect(json<{ runbook: string }>(run).runbook).to.equal("db-snapshot");
  });

  it("a repeated -p is refused naming the parameter, not silently overwritten", async () => {
    const run = await scale(["runbook", "run", "db-snapshot", "-p", "instance=a", "-p", "instance=b", "--dry-run"]);
    expect(run.exit).to.equal(2);
    expect(run.message).to.include("--param instance is given twice");
  });

  it("help shows no empty default for -p", async () => {
    for (const args of [["runbook", "run", "--help"], ["stage", "up", "--help"]]) {
      const run = await scale(args);
      expect(run.stdout).to.include("--param");
      expect(run.stdout).not.to.include("[default: ]");
    }
  });
});
