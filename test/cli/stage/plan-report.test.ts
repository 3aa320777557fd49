import { expect } from "chai";
import { scale, json } from "../run-scale.ts";

interface MoveJson {
  changes: { urn: string; name: string; action: string; stateful: boolean; protect: boolean; retainOnDelete: boolean; fields: string[]; values: { path: string; old?: unknown; new?: unknown }[] }[];
  guard: { verdict: string; violations: unknown[] };
  runtimeChanges: { tier: string; action: string; env: { name: string }[] }[];
  cost: { before: { stage: number; monthly: number; unpriced: string[] }; after: { stage: number; monthly: number; unpriced: string[] }; delta: number };
}

describe("scale stage plan --from: the reviewer's report", function () {
  this.timeout(120_000);

  it("gives old and new values, what holds data, the guard's verdict, runtime changes and both stages' cost in --json", async () => {
    const run = await scale(["stage", "plan", "--stage", "2", "--from", "1", "--json"]);
    expect(run.exit, run.message).to.equal(0);
    const doc = json<MoveJson>(run);
    expect(Object.keys(doc)).to.deep.equal(["stage", "name", "resources", "runtime", "changes", "guard", "runtimeChanges", "cost"]);
    const db = doc.changes.find((c) => c.name === "db-primary")!;
    expect(db).to.deep.include({ action: "update", stateful: true, protect: true, retainOnDelete: true, fields: ["multiAz"] });
    expect(db.values).to.deep.equal([{ path: "multiAz", old: false, new: true }]);
    expect(doc.changes.find((c) => c.name === "box-data" && c.urn.includes("ebs"))).to.deep.include({ action: "delete", stateful: true, retainOnDelete: true });
    expect(doc.guard).to.deep.equal({ verdict: "allowed", violations: [] });
    expect(doc.runtimeChanges.map((t) => [t.tier, t.action])).to.deep.equal([["box", "removed"], ["read", "added"], ["write", "added"]]);
    // Example config: the box (t3.small) and single-AZ RDS give way to two tiers of two, Multi-AZ RDS and the ALB.
    expect(doc.cost).to.deep.include({ delta: 114.08 });
    expect(doc.cost.before).to.deep.include({ stage: 1, monthly: 138.1 });
    expect(doc.cost.after).to.deep.include({ stage: 2, monthly: 252.18 });
    expect(doc.cost.after.unpriced).to.include("db-app-password (aws:secretsmanager/secret:Secret: no price in the table)");
  });

  it("prints the same as markdown, and --check passes a move the guard allows", async () => {
    const run = await scale(["stage", "plan", "--stage", "3", "--from", "2", "--markdown", "--check"]);
    expect(run.exit, run.message).to.equal(0);
    const md = run.stdout;
    expect(md).to.match(/^<!-- scale-stage-report -->\n### Offline plan: stage 2 \(users\+\+\) → 3 \(users\+\+\+\): \d+ create, \d+ update/);
    expect(md).to.include("**Transition guard: allowed.**");
    expect(md).to.include(`| total | $252.18 | $401.10 | **+$148.92** |`);
    expect(md).to.match(/<summary>Runtime: read tier \(\d+ setting\(s\)\)<\/summary>\n\n[^]*- `REDIS_URL`: _\(unset\)_ → `/);
    expect(md).to.include("Not priced (left out of the totals): ").and.include("cache-auth (aws:secretsmanager/secret:Secret: no price in the table)");
  });

  it("shows values and the guard in the human form too", async () => {
    const run = await scale(["stage", "plan", "--stage", "2", "--from", "1"]);
    expect(run.stdout).to.include("transition guard: allowed");
    expect(run.stdout).to.match(/update +aws:rds\/instance:Instance db-primary \(multiAz\) \[stateful\]\n +multiAz: false -> true\n/);
    expect(run.stdout).to.match(/runtime changes\n {2}box \(removed\)/);
  });

  it("refuses --markdown with --json (exit 2)", async () => {
    const run = await scale(["stage", "plan", "--stage", "1", "--markdown", "--json"]);
    expect(run.exit).to.equal(2);
  });
});
