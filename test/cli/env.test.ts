import { expect } from "chai";
import { join } from "node:path";
import { json, scale } from "./run-scale.ts";
import { tempDir } from "../support/tmp.ts";

/** Run with one environment variable set (to "" for an empty one), then put it back. */
async function withEnv<T>(name: string, value: string, work: () => Promise<T>): Promise<T> {
  const before = process.env[name];
  process.env[name] = value;
  try {
    return await work();
  } finally {
    if (before === undefined) delete process.env[name];
    else process.env[name] = before;
  }
}

describe("scale: the environment and the audit sink are checked first", () => {
  it("`DATABASE_URL= scale db migrate --data-dir /tmp/x` exits 2 naming DATABASE_URL", async () => {
    const run = await withEnv("DATABASE_URL", "", () => scale(["db", "migrate", "--data-dir", join(tempDir("scale-env"), "x")]));
    expect(run.exit).to.equal(2);
    expect(run.message).to.include("DATABASE_URL").and.include("empty");
    expect(run.message).not.to.match(/ZodError|"code":/);
  });

  it("`AWS_REGION= scale runbook run db-snapshot ... --dry-run --json` is one JSON error, exit 2", async () => {
    const run = await withEnv("AWS_REGION", "", () => scale(["runbook", "run", "db-snapshot", "-p", "instance=app-db", "--dry-run", "--json"]));
    expect(run.exit).to.equal(2);
    expect(json<{ error: { message: string } }>(run).error.message).to.include("AWS_REGION");
  });

  for (const name of ["SCALE_OPERATOR", "SCALE_STACK", "SCALE_AUDIT_LOG", "DATA_DIR"]) {
    it(`an empty ${name} exits 2 naming it`, async () => {
      const run = await withEnv(name, "", () => scale(["stage", "status", "--json"]));
      expect(run.exit).to.equal(2);
      expect(json<{ error: { message: string } }>(run).error.message).to.include(name);
    });
  }

  it("an unknown region in AWS_REGION exits 2 naming it", async () => {
    const run = await withEnv("AWS_REGION", "mars-1", () => scale(["runbook", "run", "db-snapshot", "-p", "instance=app-db", "--dry-run"]));
    expect(run.exit).to.equal(2);
    expect(run.message).to.include("AWS_REGION").and.include("mars-1");
  });

  const sinks: [string, RegExp][] = [
    ["/proc/nope/a.jsonl", /kernel file system/],
    ["/etc/passwd/x", /is a file, not a folder/],
    ["", /the path is empty/],
  ];
  for (const [path, reason] of sinks) {
    it(`--audit-log "${path}" exits 2 at once with the path and the reason`, async () => {
      for (const cmd of [
        ["runbook", "run", "db-snapshot", "-p", "instance=app-db", "--dry-run"],
        ["stage", "up", "--yes"],
      ]) {
        const run = await scale([...cmd, "--audit-log", path]);
        expect(run.exit, cmd.join(" ")).to.equal(2);
        // oclif's own parser may refuse an empty value before the command runs: also exit 2, naming the flag.
        if (path === "" && run.message?.includes("--audit-log expects a value")) continue;
        expect(run.message).to.include(`audit log ${JSON.stringify(path)}`).and.match(reason);
      }
    });
  }

  it("a folder given as the audit log exits 2", async () => {
    const dir = tempDir("scale-audit-dir");
    const run = await scale(["runbook", "run", "db-snapshot", "-p", "instance=app-db", "--dry-run", "--audit-log", dir]);
    expect(run.exit).to.equal(2);
    expect(run.message).to.include("is a folder");
  });
});
