import { expect } from "chai";
import { checkTransition } from "../../stacks/transition-guard.ts";
import type { Plan } from "../../stacks/plan.ts";
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

  it("lets replicas go: they hold no data of their own", () => {
    const to = clonePlan(plans[2]!);
    expect(checkTransition(plans[3]!, to)).to.deep.equal([]);
    expect(plans[3]!.resources.filter((r) => r.type === RDS && r.name.includes("replica")).every((r) => !r.protect)).to.equal(true);
  });
});
