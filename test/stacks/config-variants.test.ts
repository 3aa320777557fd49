import { expect } from "chai";
import { mkdtemp, readFile, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { StackValidationArgs } from "@pulumi/policy";
import { EXAMPLE_CONFIG, planStage, type Plan } from "../../stacks/plan.ts";
import { POLICIES } from "../../stacks/policy/rules.ts";
import { checkTransition } from "../../stacks/transition-guard.ts";
import { find, policyResources } from "./support/plans.ts";

// The example config with the optional parts turned on: what the settings change must still pass every check.
const VARIANT = {
  "sshAllowlist: []": 'sshAllowlist: ["203.0.113.7/32"]',
  "azCount: 2": "azCount: 3",
  "replicaCount: 2": "replicaCount: 0",
  "archiveAfterDays: 90": "archiveAfterDays: 30\n  scale-to-millions:warehouse: true\n  scale-to-millions:keepSingleBox: true",
  "alertEndpoint: oncall@example.com": "alertEndpoint: https://events.pagerduty.com/integration/abc/enqueue",
};

const policyViolations = (plan: Plan) => {
  const found: string[] = [];
  const args = { resources: policyResources(plan), stackTags: new Map(), getConfig: () => ({}) } as unknown as StackValidationArgs;
  for (const p of POLICIES) void p.validateStack(args, (m: string) => found.push(`${p.name}: ${m}`));
  return found;
};

describe("stacks: the optional settings", function () {
  this.timeout(120_000);
  const plans: Record<number, Plan> = {};
  before(async () => {
    const dir = await mkdtemp(join(tmpdir(), "stacks-variant-"));
    const file = join(dir, "Pulumi.variant.yaml");
    let text = await readFile(EXAMPLE_CONFIG, "utf8");
    for (const [from, to] of Object.entries(VARIANT)) {
      if (!text.includes(from)) throw new Error(`Pulumi.example.yaml no longer contains ${from}`);
      text = text.replace(from, to);
    }
    await writeFile(file, text);
    for (const stage of [0, 1, 2, 4, 5]) plans[stage] = await planStage(stage, { configFile: file });
  });

  it("opens port 22 only to the allowlist, in a group of its own (CloudFront's prefix list fills the other)", () => {
    const rules = (name: string) => find(plans[0]!, "aws:ec2/securityGroup:SecurityGroup", name).inputs.ingress as { fromPort: number; cidrBlocks?: string[] }[];
    expect(rules("box-ssh").map((r) => [r.fromPort, r.cidrBlocks])).to.deep.equal([[22, ["203.0.113.7/32"]]]);
    expect(rules("box-sg").map((r) => r.fromPort)).to.deep.equal([8080]);
  });

  it("spreads subnets over 3 AZs and keeps the box at stage 2 until the cut-over is done", () => {
    expect(plans[2]!.resources.filter((r) => r.type === "aws:ec2/subnet:Subnet")).to.have.length(6);
    expect(find(plans[2]!, "aws:ec2/eip:Eip").name).to.equal("box-eip");
    expect(checkTransition(plans[1]!, plans[2]!)).to.deep.equal([]);
  });

  it("adds a private warehouse at stage 5 whose namespace is stateful and protected, and no replica alarms without replicas", () => {
    const namespace = find(plans[5]!, "aws:redshiftserverless/namespace:Namespace");
    expect(namespace).to.include({ protect: true, retainOnDelete: true });
    const workgroup = find(plans[5]!, "aws:redshiftserverless/workgroup:Workgroup");
    expect(workgroup.inputs.publiclyAccessible).to.equal(false);
    expect(workgroup.inputs.subnetIds).to.have.length(3);
    expect(namespace.inputs.namespaceName).to.equal("plan-warehouse-namespace");
    expect(checkTransition(plans[5]!, plans[4]!)).to.deep.equal([]);
    const unretained = structuredClone(plans[5]!);
    find(unretained, "aws:redshiftserverless/namespace:Namespace").retainOnDelete = false;
    expect(checkTransition(unretained, plans[4]!).map((v) => v.rule)).to.deep.equal(["stateful-deleted"]);
    const alarms = plans[4]!.resources.filter((r) => r.type === "aws:cloudwatch/metricAlarm:MetricAlarm").map((r) => (r.inputs.tags as Record<string, string>)["scale:alarm"]);
    expect(alarms).not.to.include("rds-replica-lag");
  });

  it("subscribes an https endpoint as a secret", () => {
    expect(find(plans[0]!, "aws:sns/topicSubscription:TopicSubscription").inputs).to.include({ protocol: "https", endpoint: "[secret]" });
  });

  it("passes every policy", () => {
    for (const plan of Object.values(plans)) expect(policyViolations(plan), `stage ${plan.stage}`).to.deep.equal([]);
  });
});
