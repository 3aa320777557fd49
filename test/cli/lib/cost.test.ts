import { expect } from "chai";
import { estimateMonthlyCost, priceTable, type CostedResource } from "../../../cli/lib/cost.ts";

const r = (type: string, name: string, inputs: Record<string, unknown>, parent: string | null = null): CostedResource => ({
  urn: `urn:pulumi:dev::p::${type}::${name}`,
  type,
  name,
  parent,
  inputs,
});

describe("monthly cost estimate", () => {
  const p = priceTable();

  it("prices the single box: instance, root and data volumes, public IP", () => {
    const est = estimateMonthlyCost([
      r("aws:ec2/instance:Instance", "box", { instanceType: "t3.small", rootBlockDevice: { volumeSize: 16 } }),
      r("aws:ebs/volume:Volume", "box-data", { size: 50 }),
      r("aws:ec2/eip:Eip", "box-eip", {}),
    ]);
    const expected = 0.0208 * 730 + 16 * 0.08 + 50 * 0.08 + 0.005 * 730;
    expect(est.monthly).to.be.closeTo(expected, 0.01);
    expect(est).to.deep.include({ region: "us-east-1", asOf: p.asOf, unpriced: [] });
  });

  it("counts an auto scaling group at desired capacity with its launch template's type, and Multi-AZ RDS twice", () => {
    const est = estimateMonthlyCost([
      r("aws:ec2/launchTemplate:LaunchTemplate", "read-template", { instanceType: "t3.small" }, "urn:read"),
      r("aws:autoscaling/group:Group", "read-asg", { desiredCapacity: 4, minSize: 2 }, "urn:read"),
      r("aws:rds/instance:Instance", "db", { instanceClass: "db.t3.medium", allocatedStorage: 50, multiAz: true }),
    ]);
    const asg = est.lines.find((l) => l.name === "read-asg");
    expect(asg?.monthly).to.be.closeTo(4 * 0.0208 * 730, 0.001);
    const db = est.lines.filter((l) => l.name === "db").reduce((s, l) => s + l.monthly, 0);
    expect(db).to.be.closeTo(2 * 0.068 * 730 + 2 * 50 * 0.115, 0.001);
  });

  it("names what it cannot price instead of guessing, and lists usage-based services", () => {
    const est = estimateMonthlyCost([
      r("aws:ec2/instance:Instance", "box", { instanceType: "x9.mega" }),
      r("aws:s3/bucket:Bucket", "static", {}),
    ]);
    expect(est.unpriced).to.deep.equal(["box (x9.mega)"]);
    expect(est.usageBased).to.deep.equal(["aws:s3/bucket:Bucket"]);
    expect(est.monthly).to.equal(0);
  });
});

describe("monthly cost estimate: what it cannot price", () => {
  it("names a resource type the table neither prices, calls usage-based nor lists as free, and leaves free ones out", () => {
    const est = estimateMonthlyCost([
      r("aws:kms/key:Key", "alerts-key", {}),
      r("aws:iam/role:Role", "box-role", {}),
      r("scale:aws:Database", "db", {}),
      r("aws:sns/topic:Topic", "alerts", {}),
    ]);
    expect(est.unpriced).to.deep.equal(["alerts-key (aws:kms/key:Key: no price in the table)"]);
    expect(est.usageBased).to.deep.equal(["aws:sns/topic:Topic"]);
  });

  it("lists as free only types that exist in the plans (a typo in noCharge would hide a charge)", async () => {
    const { planStage } = await import("../../../stacks/plan.ts");
    const seen = new Set((await planStage(5)).resources.map((x) => x.type));
    for (const stage of [0, 2]) for (const x of (await planStage(stage)).resources) seen.add(x.type);
    expect(priceTable().noCharge.filter((t) => !seen.has(t))).to.deep.equal([]);
  }).timeout(120_000);
});

describe("the plan's cost section", () => {
  it("shows both stages and the change of a move", async () => {
    const { formatPlanCost } = await import("../../../cli/lib/cost.ts");
    const box = { urn: "u1", type: "aws:ec2/instance:Instance", name: "box", parent: null, inputs: { instanceType: "t3.small" } };
    const db = { urn: "u2", type: "aws:rds/instance:Instance", name: "db", parent: null, inputs: { instanceClass: "db.t3.medium", allocatedStorage: 50 } };
    const lines = formatPlanCost({ stage: 1, name: "users+", resources: [box, db] }, { stage: 0, name: "single-box", resources: [box] });
    expect(lines.join("\n")).to.include("stage 0 (single-box): $15.18/month").and.include("stage 1 (users+): $70.57/month").and.include("change: +$55.39/month");
    expect(lines[1]).to.match(/us-east-1, prices recorded \d{4}-\d{2}-\d{2}/);
  });
});
