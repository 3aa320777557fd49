import { expect } from "chai";
import type { PolicyResource, StackValidationArgs } from "@pulumi/policy";
import { POLICIES } from "../../../stacks/policy/rules.ts";
import type { Plan } from "../../../stacks/plan.ts";
import { allPlans, clonePlan, find, policyResources } from "../support/plans.ts";

function violations(plan: Plan, only?: string): string[] {
  const found: string[] = [];
  const args = { resources: policyResources(plan), stackTags: new Map(), getConfig: () => ({}) } as unknown as StackValidationArgs;
  for (const policy of POLICIES.filter((p) => only === undefined || p.name === only)) {
    void policy.validateStack(args, (message: string) => found.push(`${policy.name}: ${message}`));
  }
  return found;
}

type Breakage = [policy: string, stage: number, breakIt: (plan: Plan) => void];
const set = (plan: Plan, type: string, name: string | undefined, inputs: Record<string, unknown>) => Object.assign(find(plan, type, name).inputs, inputs);
const SG = "aws:ec2/securityGroup:SecurityGroup";

// One deliberately broken stage per rule (and a few per rule where it checks several things): each must be caught.
const BREAKAGES: Breakage[] = [
  ["ssh-only-from-allowlist", 0, (p) => (find(p, SG, "box-sg").inputs.ingress as unknown[]).push({ protocol: "tcp", fromPort: 22, toPort: 22, cidrBlocks: ["0.0.0.0/0"] })],
  ["only-web-ports-public", 0, (p) => (find(p, SG, "box-sg").inputs.ingress as unknown[]).push({ protocol: "tcp", fromPort: 3306, toPort: 3306, cidrBlocks: ["0.0.0.0/0"] })],
  ["no-outbound-internet", 0, (p) => (find(p, SG, "box-sg").inputs.egress as unknown[]).push({ protocol: "-1", fromPort: 0, toPort: 0, cidrBlocks: ["0.0.0.0/0"] })],
  ["no-outbound-internet", 2, (p) => { delete find(p, SG, "read-sg").inputs.egress; }],
  ["data-tier-private", 1, (p) => set(p, "aws:rds/instance:Instance", "db-primary", { publiclyAccessible: true })],
  ["data-tier-private", 3, (p) => set(p, SG, "cache-sg", { ingress: [{ protocol: "tcp", fromPort: 6379, toPort: 6379, cidrBlocks: ["10.0.0.0/8"] }] })],
  ["encrypted-at-rest-and-in-transit", 0, (p) => set(p, "aws:ebs/volume:Volume", undefined, { encrypted: false })],
  ["encrypted-at-rest-and-in-transit", 1, (p) => set(p, "aws:rds/parameterGroup:ParameterGroup", undefined, { parameters: [] })],
  ["encrypted-at-rest-and-in-transit", 3, (p) => set(p, "aws:elasticache/replicationGroup:ReplicationGroup", undefined, { transitEncryptionEnabled: false })],
  ["encrypted-at-rest-and-in-transit", 5, (p) => set(p, "aws:sqs/queue:Queue", "jobs-dlq", { sqsManagedSseEnabled: false })],
  ["encrypted-at-rest-and-in-transit", 1, (p) => { p.resources = p.resources.filter((r) => !r.type.includes("bucketServerSideEncryptionConfiguration")); }],
  ["buckets-private-and-tls-only", 1, (p) => set(p, "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock", undefined, { restrictPublicBuckets: false })],
  ["buckets-private-and-tls-only", 1, (p) => set(p, "aws:s3/bucketPolicy:BucketPolicy", undefined, { policy: "{}" })],
  ["imdsv2-required", 0, (p) => set(p, "aws:ec2/instance:Instance", undefined, { metadataOptions: { httpTokens: "optional" } })],
  ["imdsv2-required", 2, (p) => set(p, "aws:ec2/launchTemplate:LaunchTemplate", "read-template", { metadataOptions: {} })],
  ["app-servers-no-public-ip", 2, (p) => set(p, "aws:autoscaling/group:Group", "write-asg", { vpcZoneIdentifiers: ["net-public-1-id", "net-public-2-id"] })],
  ["app-servers-no-public-ip", 2, (p) => set(p, "aws:ec2/launchTemplate:LaunchTemplate", "read-template", { networkInterfaces: [{ associatePublicIpAddress: "true" }] })],
  ["https-only", 2, (p) => set(p, "aws:lb/listener:Listener", "web-http", { defaultActions: [{ type: "forward", targetGroupArn: "x" }] })],
  ["https-only", 2, (p) => set(p, "aws:lb/listener:Listener", "web-https", { sslPolicy: "ELBSecurityPolicy-2016-08" })],
  ["https-only", 2, (p) => set(p, "aws:cloudfront/distribution:Distribution", undefined, { defaultCacheBehavior: { viewerProtocolPolicy: "allow-all" } })],
  ["databases-keep-their-data", 1, (p) => set(p, "aws:rds/instance:Instance", "db-primary", { deletionProtection: false })],
  ["databases-keep-their-data", 1, (p) => set(p, "aws:rds/instance:Instance", "db-primary", { backupRetentionPeriod: 1 })],
  ["databases-keep-their-data", 1, (p) => set(p, "aws:rds/instance:Instance", "db-primary", { skipFinalSnapshot: true })],
  ["least-privilege-roles", 0, (p) => set(p, "aws:iam/rolePolicy:RolePolicy", "box-access", { policy: JSON.stringify({ Statement: [{ Effect: "Allow", Action: "s3:*", Resource: "*" }] }) })],
  ["least-privilege-roles", 2, (p) => set(p, "aws:iam/rolePolicyAttachment:RolePolicyAttachment", "read-ssm", { policyArn: "arn:aws:iam::aws:policy/AdministratorAccess" })],
  // What AWS would reject, or accept and never act on.
  ["physical-names-per-stack", 1, (p) => set(p, "aws:rds/instance:Instance", "db-primary", { identifier: "db-primary" })],
  ["physical-names-per-stack", 1, (p) => set(p, "aws:rds/instance:Instance", "db-primary", { finalSnapshotIdentifier: "db-primary-final" })],
  ["physical-names-per-stack", 3, (p) => set(p, "aws:elasticache/replicationGroup:ReplicationGroup", undefined, { replicationGroupId: "cache-redis" })],
  ["physical-names-per-stack", 4, (p) => set(p, "aws:cloudwatch/dashboard:Dashboard", undefined, { dashboardName: "monitoring-overview" })],
  ["load-balancers-protected-and-logged", 2, (p) => set(p, "aws:lb/loadBalancer:LoadBalancer", undefined, { enableDeletionProtection: false })],
  ["load-balancers-protected-and-logged", 2, (p) => set(p, "aws:lb/loadBalancer:LoadBalancer", undefined, { accessLogs: undefined })],
  ["metrics-that-exist", 5, (p) => set(p, "aws:autoscaling/group:Group", "worker-asg", { enabledMetrics: undefined })],
  ["metrics-that-exist", 4, (p) => set(p, "aws:cloudwatch/metricAlarm:MetricAlarm", "monitoring-cache-cpu-high-1", { dimensions: { ReplicationGroupId: "plan-cache" } })],
  ["changes-aws-applies", 2, (p) => set(p, "aws:autoscaling/group:Group", "read-asg", { launchTemplate: { id: "read-template-id", version: "$Latest" } })],
  ["changes-aws-applies", 1, (p) => set(p, "aws:rds/instance:Instance", "db-primary", { applyImmediately: false })],
  ["changes-aws-applies", 5, (p) => set(p, "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration", "uploads-lifecycle", { rules: [{ id: "x", status: "Enabled", transitions: [{ days: 7, storageClass: "STANDARD_IA" }] }] })],
  ["changes-aws-applies", 5, (p) => p.resources.push({ ...find(p, "aws:autoscaling/group:Group", "worker-asg"), type: "aws:redshiftserverless/workgroup:Workgroup", urn: "urn:pulumi:plan::x::w", name: "w", inputs: { subnetIds: ["a", "b"] } })],
];

describe("stacks/policy: the security policy pack", function () {
  this.timeout(120_000);
  let plans: Plan[];
  before(async () => { plans = await allPlans(); });

  it("has a broken fixture for every policy", () => {
    expect(new Set(BREAKAGES.map(([name]) => name))).to.deep.equal(new Set(POLICIES.map((p) => p.name)));
  });

  for (let stage = 0; stage <= 5; stage++) {
    it(`stage ${stage} passes every policy`, () => {
      expect(violations(plans[stage]!)).to.deep.equal([]);
    });
  }

  BREAKAGES.forEach(([policy, stage, breakIt], i) => {
    it(`${policy} rejects broken fixture ${i + 1} (stage ${stage})`, () => {
      const broken = clonePlan(plans[stage]!);
      breakIt(broken);
      expect(violations(broken, policy)).to.have.length.greaterThan(0);
    });
  });

  it("derives physical names from the stack named in each URN: another stack's plan is held to its own prefix", () => {
    const other = clonePlan(plans[1]!);
    for (const r of other.resources) r.urn = r.urn.replace("urn:pulumi:plan::", "urn:pulumi:prod::");
    expect(violations(other, "physical-names-per-stack").join("\n")).to.include('db-primary identifier "plan-db-primary" must start with the stack\'s prefix "prod-"');
  });

  it("reports the offending resource's URN", () => {
    const broken = clonePlan(plans[0]!);
    set(broken, "aws:ebs/volume:Volume", undefined, { encrypted: false });
    const urns: (string | undefined)[] = [];
    const policy = POLICIES.find((p) => p.name === "encrypted-at-rest-and-in-transit")!;
    void policy.validateStack({ resources: policyResources(broken) as PolicyResource[] } as StackValidationArgs, (_m: string, urn?: string) => urns.push(urn));
    expect(urns).to.deep.equal([find(broken, "aws:ebs/volume:Volume").urn]);
  });
});
