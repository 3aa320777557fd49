import { expect } from "chai";
import { runCommand } from "@oclif/test";
import { mkdtemp, readFile, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { EXAMPLE_CONFIG } from "../../../stacks/plan.ts";

describe("scale stage plan", function () {
  this.timeout(120_000);

  it("prints exactly the contract's JSON for a stage", async () => {
    const { stdout, error } = await runCommand(["stage", "plan", "--stage", "1", "--json"]);
    expect(error).to.equal(undefined);
    const plan = JSON.parse(stdout) as { stage: number; name: string; resources: Record<string, unknown>[]; runtime: { tier: string; env: Record<string, unknown> }[]; changes?: unknown };
    expect(plan).to.include({ stage: 1, name: "users+" });
    expect(plan.changes).to.equal(undefined);
    expect(Object.keys(plan)).to.deep.equal(["stage", "name", "resources", "runtime"]);
    expect(plan.runtime.map((r) => r.tier)).to.deep.equal(["box"]);
    expect(plan.runtime[0]!.env).to.include({ HOST: "0.0.0.0", DATABASE_TLS: "verify" });
    for (const r of plan.resources) expect(Object.keys(r)).to.deep.equal(["urn", "type", "name", "parent", "protect", "inputs"]);
    expect(plan.resources.find((r) => r.type === "aws:rds/instance:Instance")).to.include({ protect: true, parent: "urn:pulumi:plan::scale-to-millions::scale:aws:Database::db" });
  });

  it("adds the changes of a move with --from", async () => {
    const { stdout } = await runCommand(["stage", "plan", "--stage", "3", "--from", "2", "--json"]);
    const plan = JSON.parse(stdout) as { changes: { urn: string; action: string; stateful: boolean; fields: string[] }[] };
    expect(plan.changes.find((c) => c.urn.endsWith("::cache-redis"))).to.deep.include({ action: "create", stateful: false });
    expect(plan.changes.filter((c) => c.action === "delete")).to.deep.equal([]);
  });

  it("groups the human form by component and marks stateful resources", async () => {
    const { stdout } = await runCommand(["stage", "plan", "--stage", "2", "--from", "1"]);
    expect(stdout).to.match(/^stage 1 -> 2: \d+ create, \d+ update, 0 replace, \d+ delete/);
    expect(stdout).to.include("db (scale:aws:Database)");
    expect(stdout).to.match(/update +aws:rds\/instance:Instance db-primary \(multiAz\) \[stateful\]/);
    expect(stdout).to.match(/delete +aws:ebs\/volume:Volume box-data \[stateful\]/);
  });

  it("lists a stage's resources by component in the human form", async () => {
    const { stdout } = await runCommand(["stage", "plan", "--stage", "0"]);
    // Providers (the tagged AWS provider, the CDN's us-east-1 one) are not counted as cloud resources.
    expect(stdout).to.match(/^stage 0 \(single-box\): 32 cloud resources in 6 components/);
    expect(stdout).to.include("box (scale:aws:SingleBox)");
    // The runtime, briefly: literals as they are, the rest as where they come from.
    expect(stdout).to.include("runtime (each tier's environment");
    expect(stdout).to.include("    DATABASE_URL=mysql://app@{box.databaseHost}:{box.databasePort}/app");
    expect(stdout).to.include("    DATABASE_PASSWORD_FILE=file (generated database-password)");
    expect(stdout).to.match(/aws:ebs\/volume:Volume box-data \[stateful\] protected/);
  });

  it("refuses an unknown stage with exit 2 and the valid ones", async () => {
    const { error } = await runCommand(["stage", "plan", "--stage", "9"]);
    expect(error?.oclif?.exit).to.equal(2);
    expect(error?.message).to.include("--stage 9 is not a stage: use one of 0, 1, 2, 3, 4, 5");
  });

  it("maps a bad config to exit 2 naming the key", async () => {
    const dir = await mkdtemp(join(tmpdir(), "stage-plan-"));
    const file = join(dir, "Pulumi.bad.yaml");
    const example = await readFile(EXAMPLE_CONFIG, "utf8");
    await writeFile(file, example.replace("sshAllowlist: []", 'sshAllowlist: ["0.0.0.0/0"]'));
    const { error } = await runCommand(["stage", "plan", "--stage", "0", "--config", file]);
    expect(error?.oclif?.exit).to.equal(2);
    expect(error?.message).to.include('config "scale-to-millions:sshAllowlist"');
  });
});

describe("scale stage list", () => {
  it("lists the ladder as JSON", async () => {
    const { stdout } = await runCommand(["stage", "list", "--json"]);
    const { stages } = JSON.parse(stdout) as { stages: { id: number; name: string }[] };
    expect(stages.map((s) => s.name)).to.deep.equal(["single-box", "users+", "users++", "users+++", "users++++", "users+++++"]);
  });
});
