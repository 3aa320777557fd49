import { expect } from "chai";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { scale } from "../run-scale.ts";
import { tempDir } from "../../support/tmp.ts";

describe("scale runbook run: every parameter is checked before the first step", () => {
  let auditPath: string;
  beforeEach(() => (auditPath = join(tempDir("scale-params"), "audit.jsonl")));
  const kinds = () => (existsSync(auditPath) ? readFileSync(auditPath, "utf8").trim().split("\n").filter(Boolean).map((l) => JSON.parse(l).kind) : []);

  const cases: [string[], RegExp][] = [
    [["scale-tier", "-p", "group=g", "-p", "min=5", "-p", "max=2", "-p", "desired=6", "--dry-run"], /--param min \(5\) is above --param max \(2\)/],
    [["scale-tier", "-p", "group=g", "-p", "min=1", "-p", "max=4", "-p", "desired=6", "--dry-run"], /--param desired \(6\) is outside/],
    [["db-resize", "-p", "instance=app-db", "--dry-run"], /instance-class=.*storage-gb=/],
    [["migrate-box-to-rds", "-p", "source=x", "-p", "target=y", "--dry-run"], /--param source: not a URL; write it as mysql:\/\//],
    [["migrate-box-to-rds", "-p", "source=mysql://a@h/app", "-p", "target=redis://h:6379", "--dry-run"], /--param target: a redis:\/\/ URL where a mysql:\/\/ URL is needed/],
    [["migrate-box-to-rds", "-p", "source=mysql://a@h/", "-p", "target=mysql://a@h/app", "--dry-run"], /--param source: names no database/],
    [["cache-diagnose", "-p", "redis-url=http://h", "--dry-run"], /--param redis-url: a http:\/\/ URL/],
  ];
  for (const [args, message] of cases) {
    it(`runbook run ${args.join(" ")} exits 2 and writes no runbook.start`, async () => {
      const run = await scale(["runbook", "run", ...args, "--audit-log", auditPath]);
      expect(run.exit, run.message).to.equal(2);
      expect(run.message).to.match(message);
      expect(kinds()).not.to.include("runbook.start");
    });
  }

  it("a URL parameter's error never echoes the value (it may hold a password)", async () => {
    const run = await scale(["runbook", "run", "migrate-box-to-rds", "-p", "source=mysql://u:hunter2@h/", "-p", "target=mysql://a@h/app", "--dry-run", "--audit-log", auditPath]);
    expect(run.exit).to.equal(2);
    expect(run.message).not.to.include("hunter2");
  });
});
