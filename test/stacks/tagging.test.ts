import { expect } from "chai";
import type { Plan } from "../../stacks/plan.ts";
import { STACK_TAG } from "../../stacks/tagging.ts";
import { allPlans, clonePlan } from "./support/plans.ts";

/** AWS resources not registered with a provider whose default tags name the stack (the offline plan's is "plan"). */
function untagged(plan: Plan, stack = "plan"): string[] {
  const tagging = new Set(plan.resources.filter((r) => r.type === "pulumi:providers:aws").filter((p) => {
    const tags = typeof p.inputs.defaultTags === "string" ? (JSON.parse(p.inputs.defaultTags) as { tags?: Record<string, string> }).tags : undefined;
    return tags?.[STACK_TAG] === stack;
  }).map((p) => `${p.urn}::${p.name}-id`));
  return plan.resources.filter((r) => r.type.startsWith("aws:") && !tagging.has(r.provider)).map((r) => r.urn);
}

describe("stacks: tags", function () {
  this.timeout(120_000);
  let plans: Plan[];
  before(async () => { plans = await allPlans(); });

  it("registers every AWS resource of every stage with a provider whose default tags name the stack", () => {
    for (const plan of plans) {
      expect(plan.resources.filter((r) => r.type.startsWith("aws:")).length, `stage ${plan.stage}`).to.be.above(10);
      expect(untagged(plan), `stage ${plan.stage}`).to.deep.equal([]);
    }
  });

  it("finds a resource on the default provider, or on a provider without the stack's tag", () => {
    const broken = clonePlan(plans[2]!);
    const bucket = broken.resources.find((r) => r.type === "aws:s3/bucket:Bucket")!;
    bucket.provider = "";
    expect(untagged(broken)).to.deep.equal([bucket.urn]);
    expect(untagged(plans[2]!, "another-stack").length).to.equal(plans[2]!.resources.filter((r) => r.type.startsWith("aws:")).length);
  });

  it("tags the target groups with their tier, and every server with its tier and release", () => {
    for (const plan of plans.slice(2)) {
      const groups = plan.resources.filter((r) => r.type === "aws:lb/targetGroup:TargetGroup");
      expect(groups.map((g) => g.inputs.tags), `stage ${plan.stage}`).to.deep.equal([{ "scale:tier": "read" }, { "scale:tier": "write" }]);
      for (const asg of plan.resources.filter((r) => r.type === "aws:autoscaling/group:Group")) {
        const tags = asg.inputs.tags as { key: string; value: string; propagateAtLaunch: boolean }[];
        expect(tags.filter((t) => t.propagateAtLaunch).map((t) => t.key), asg.name).to.include.members(["scale:tier", "scale:release"]);
      }
    }
    for (const plan of plans.slice(0, 2)) {
      const box = plan.resources.find((r) => r.type === "aws:ec2/instance:Instance")!;
      expect(box.inputs.tags).to.include.keys("scale:tier", "scale:release");
    }
  });
});
