import { expect } from "chai";
import { checkTransition } from "../../stacks/transition-guard.ts";
import { diffPlans, type Plan } from "../../stacks/plan.ts";
import { isDeletionProtected } from "../../stacks/stateful.ts";
import { allPlans, clonePlan, find } from "./support/plans.ts";

const RDS = "aws:rds/instance:Instance";

describe("stacks/transition-guard: no promotion or demotion loses data", function () {
  this.timeout(120_000);
  let plans: Plan[];
  before(async () => { plans = await allPlans(); });

  for (let from = 0; from < 5; from++) {
    for (const [a, b] of [[from, from + 1], [from + 1, from]] as const) {
      it(`allows ${a} -> ${b}`, () => {
        expect(checkTransition(plans[a]!, plans[b]!)).to.deep.equal([]);
      });
    }
  }

  it("refuses deleting the RDS primary unless it is retained", () => {
    const from = clonePlan(plans[1]!);
    find(from, RDS, "db-primary").retainOnDelete = false;
    const violations = checkTransition(from, plans[0]!);
    expect(violations.map((v) => v.rule)).to.deep.equal(["stateful-deleted"]);
    expect(violations[0]!.message).to.match(/db-primary would be deleted/);
  });

  it("refuses deleting the single box's data volume unless it is retained (the 1 -> 2 retirement)", () => {
    const from = clonePlan(plans[1]!);
    find(from, "aws:ebs/volume:Volume").retainOnDelete = false;
    expect(checkTransition(from, plans[2]!).map((v) => v.rule)).to.deep.equal(["stateful-deleted"]);
  });

  it("refuses dropping the job queues at 5 -> 4 unless they are retained (queued jobs are work not yet done)", () => {
    const queues = plans[5]!.resources.filter((r) => r.type === "aws:sqs/queue:Queue");
    expect(queues.map((q) => q.name).sort()).to.deep.equal(["jobs-dlq", "jobs-jobs"]);
    expect(queues.every((q) => q.protect && q.retainOnDelete)).to.equal(true);
    const from = clonePlan(plans[5]!);
    find(from, "aws:sqs/queue:Queue", "jobs-jobs").retainOnDelete = false;
    expect(checkTransition(from, plans[4]!).map((v) => v.rule)).to.deep.equal(["stateful-deleted"]);
  });

  it("refuses a replace-triggering change to the primary, a bucket or the volume", () => {
    for (const [type, name, field, value, stage] of [
      [RDS, "db-primary", "identifier", "db-primary-2", 3],
      [RDS, "db-primary", "storageEncrypted", false, 1],
      // The engine itself: RDS cannot turn MySQL into MariaDB in place.
      [RDS, "db-primary", "engine", "mysql", 1],
      ["aws:s3/bucket:Bucket", "static-bucket", "bucketPrefix", "other-", 2],
      ["aws:ebs/volume:Volume", "box-data", "availabilityZone", "us-east-1b", 0],
    ] as const) {
      // The next stage with one replace-triggering input of a stateful resource changed.
      const to = clonePlan(plans[stage + 1]!);
      find(to, type, name).inputs[field] = value;
      const violations = checkTransition(plans[stage]!, to);
      expect(violations.map((v) => v.rule), `${name}.${field}`).to.include("stateful-replaced");
      expect(violations.find((v) => v.rule === "stateful-replaced")!.message).to.include(field);
    }
  });

  it("refuses a stage whose stateful resources are not protected", () => {
    const to = clonePlan(plans[2]!);
    find(to, "aws:s3/bucket:Bucket").protect = false;
    expect(checkTransition(plans[1]!, to).map((v) => v.rule)).to.deep.equal(["stateful-unprotected"]);
  });

  it("marks a parameter group family change as a replace, and lets it pass: the group holds no data", () => {
    const to = clonePlan(plans[2]!);
    find(to, "aws:rds/parameterGroup:ParameterGroup").inputs.family = "mysql8.0";
    expect(diffPlans(plans[1]!, to).find((c) => c.urn.endsWith("::db-params"))).to.deep.include({ action: "replace", stateful: false, fields: ["family"] });
    expect(checkTransition(plans[1]!, to)).to.deep.equal([]);
  });

  it("keeps the ALB's access logs when 2 -> 1 drops the ALB (the log bucket is retained), and says the ALB must be unprotected first", () => {
    const logs = find(plans[2]!, "aws:s3/bucket:Bucket", "alb-logs-bucket");
    expect(logs).to.include({ protect: true, retainOnDelete: true });
    const drops = diffPlans(plans[2]!, plans[1]!).filter((c) => c.action === "delete");
    expect(drops.find((c) => c.urn === logs.urn)).to.deep.include({ stateful: true });
    const unretained = clonePlan(plans[2]!);
    find(unretained, "aws:s3/bucket:Bucket", "alb-logs-bucket").retainOnDelete = false;
    expect(checkTransition(unretained, plans[1]!).map((v) => v.rule)).to.deep.equal(["stateful-deleted"]);
    const protectedDrops = drops.map((c) => plans[2]!.resources.find((r) => r.urn === c.urn)!).filter(isDeletionProtected);
    expect(protectedDrops.map((r) => r.name)).to.deep.equal(["web-alb"]);
  });

  it("lets replicas go: they hold no data of their own", () => {
    const to = clonePlan(plans[2]!);
    expect(checkTransition(plans[3]!, to)).to.deep.equal([]);
    expect(plans[3]!.resources.filter((r) => r.type === RDS && r.name.includes("replica")).every((r) => !r.protect)).to.equal(true);
  });
});
