import { expect } from "chai";
import { appendFileSync } from "node:fs";
import { join } from "node:path";
import { mockClient } from "aws-sdk-client-mock";
import { STSClient, GetCallerIdentityCommand } from "@aws-sdk/client-sts";
import { EC2Client, DescribeInstancesCommand } from "@aws-sdk/client-ec2";
import { AutoScalingClient, DescribeAutoScalingGroupsCommand } from "@aws-sdk/client-auto-scaling";
import { ElasticLoadBalancingV2Client, DescribeTargetGroupsCommand, DescribeTagsCommand, DescribeTargetHealthCommand } from "@aws-sdk/client-elastic-load-balancing-v2";
import { RDSClient, DescribeDBInstancesCommand } from "@aws-sdk/client-rds";
import { SQSClient, ListQueuesCommand } from "@aws-sdk/client-sqs";
import { CloudWatchClient, DescribeAlarmsCommand, ListTagsForResourceCommand } from "@aws-sdk/client-cloudwatch";
import { useStageDeps } from "../../../cli/lib/stage-deps.ts";
import { json, scale } from "../run-scale.ts";
import { FakePlanner } from "./fakes.ts";
import type { StackStatus } from "../../../cli/lib/stack-status.ts";
import type { PlanLike } from "../../../cli/lib/planner.ts";
import { tempDir } from "../../support/tmp.ts";

const stackTags = (tier: string, release?: string) => [
  { Key: "scale:stack", Value: "prod" },
  { Key: "scale:tier", Value: tier },
  ...(release ? [{ Key: "scale:release", Value: release }] : []),
];

describe("scale stage status (AWS APIs and the audit log, no Pulumi CLI)", () => {
  const mocks: ReturnType<typeof mockClient>[] = [];
  let auditPath: string;
  let restore: () => void = () => {};
  const mock = <T>(c: T) => {
    const m = mockClient(c as never) as unknown as ReturnType<typeof mockClient>;
    mocks.push(m);
    return m;
  };

  before(() => {
    mock(STSClient).on(GetCallerIdentityCommand).resolves({ Account: "123456789012", Arn: "arn:aws:iam::123456789012:user/oncall" });
    mock(EC2Client).on(DescribeInstancesCommand).resolves({
      Reservations: [
        { Instances: [
          { InstanceId: "i-0aaa", State: { Name: "running" }, Tags: stackTags("read", "v42") },
          { InstanceId: "i-0bbb", State: { Name: "running" }, Tags: stackTags("read", "v41") },
          { InstanceId: "i-0ccc", State: { Name: "running" }, Tags: stackTags("write", "v42") },
        ] },
      ],
    });
    mock(AutoScalingClient).on(DescribeAutoScalingGroupsCommand).resolves({
      AutoScalingGroups: [
        { AutoScalingGroupName: "prod-read", MinSize: 2, MaxSize: 10, DesiredCapacity: 6, Tags: stackTags("read"), Instances: [], DefaultCooldown: 0, AvailabilityZones: [], HealthCheckType: "ELB", CreatedTime: new Date() },
      ],
    });
    const elb = mock(ElasticLoadBalancingV2Client);
    elb.on(DescribeTargetGroupsCommand).resolves({ TargetGroups: [{ TargetGroupArn: "arn:aws:elasticloadbalancing:tg/read", TargetGroupName: "prod-read" }, { TargetGroupArn: "arn:aws:elasticloadbalancing:tg/other", TargetGroupName: "other" }] });
    elb.on(DescribeTagsCommand).resolves({ TagDescriptions: [{ ResourceArn: "arn:aws:elasticloadbalancing:tg/read", Tags: stackTags("read") }, { ResourceArn: "arn:aws:elasticloadbalancing:tg/other", Tags: [{ Key: "scale:stack", Value: "staging" }] }] });
    elb.on(DescribeTargetHealthCommand).resolves({ TargetHealthDescriptions: [
      { Target: { Id: "i-0aaa" }, TargetHealth: { State: "healthy" } },
      { Target: { Id: "i-0bbb" }, TargetHealth: { State: "unhealthy", Reason: "Target.ResponseCodeMismatch" } },
    ] });
    mock(RDSClient).on(DescribeDBInstancesCommand).resolves({ DBInstances: [] });
    mock(SQSClient).on(ListQueuesCommand).resolves({ QueueUrls: [] });
    const cw = mock(CloudWatchClient);
    cw.on(DescribeAlarmsCommand).resolves({ MetricAlarms: [
      { AlarmName: "prod-alb-5xx-rate-1a2b", AlarmArn: "arn:alarm:1", StateReason: "Threshold Crossed: 3 datapoints", StateUpdatedTimestamp: new Date("2026-12-03T03:00:00Z") },
      { AlarmName: "staging-x", AlarmArn: "arn:alarm:2", StateReason: "other stack" },
    ] });
    cw.on(ListTagsForResourceCommand, { ResourceARN: "arn:alarm:1" }).resolves({ Tags: [{ Key: "scale:stack", Value: "prod" }, { Key: "scale:alarm", Value: "alb-5xx-rate" }] });
    cw.on(ListTagsForResourceCommand, { ResourceARN: "arn:alarm:2" }).resolves({ Tags: [{ Key: "scale:stack", Value: "staging" }] });
  });
  after(() => mocks.forEach((m) => m.restore()));
  beforeEach(() => {
    auditPath = join(tempDir("scale-status"), "audit.jsonl");
    const lines = [
      { at: "2026-12-01T10:00:00Z", who: "ana", kind: "stage.transition", stack: "prod", from: 2, to: 3, result: "succeeded" },
      { at: "2026-12-02T10:00:00Z", who: "bo", kind: "stage.transition", stack: "prod", from: 3, to: 4, result: "failed", failedStep: "up" },
      { at: "2026-12-02T11:00:00Z", who: "cy", kind: "stack.override", runbook: "scale-tier", resource: "autoscaling group prod-read", group: "prod-read", values: { min: 2, max: 10, desired: 6 }, identity: { stack: "prod" } },
      { at: "2026-12-02T12:00:00Z", who: "dee", kind: "stage.transition", stack: "staging", from: 0, to: 1, result: "succeeded" },
    ];
    for (const l of lines) appendFileSync(auditPath, JSON.stringify(l) + "\n");
  });
  afterEach(() => restore());

  it("reports the stage, the last move, alarms in ALARM with their runbook, unhealthy targets and each tier's release", async () => {
    const run = await scale(["stage", "status", "--stack", "prod", "--audit-log", auditPath, "--json"]);
    expect(run.exit, run.stdout + run.message).to.equal(0);
    const s = json<StackStatus & { identity: { account: string } }>(run);
    expect(s.stage).to.equal(3);
    expect(s.lastMove).to.deep.include({ from: 3, to: 4, result: "failed", failedStep: "up" });
    expect(s.alarms).to.have.length(1);
    expect(s.alarms[0]).to.deep.include({ id: "alb-5xx-rate", runbook: "alb-diagnose" });
    expect(s.unhealthyTargets).to.deep.equal([{ targetGroup: "prod-read", tier: "read", target: "i-0bbb", state: "unhealthy", reason: "Target.ResponseCodeMismatch" }]);
    expect(s.releases).to.deep.include({ tier: "read", releases: ["v41", "v42"], instances: 2 });
    expect(s.identity.account).to.equal("123456789012");
  });

  it("shows a scale-tier override recorded in the audit log as drift", async () => {
    const s = json<StackStatus>(await scale(["stage", "status", "--stack", "prod", "--audit-log", auditPath, "--json"]));
    expect(s.drift.map((d) => `${d.field}=${String(d.live)}`)).to.deep.equal(["min=2", "max=10", "desired=6"]);
    expect(s.drift[0]?.note).to.match(/scale-tier .* outside Pulumi/);
  });

  it("--refresh compares the live groups with the stage's plan", async () => {
    const planner = new FakePlanner();
    planner.plan = async (stage: number): Promise<PlanLike> => ({
      stage,
      name: "s",
      resources: [{ urn: "urn:g", type: "aws:autoscaling/group:Group", protect: false, inputs: { minSize: 2, maxSize: 6, desiredCapacity: 2, tags: [{ key: "scale:tier", value: "read" }] } }],
    });
    restore = useStageDeps({ planner: async () => planner });
    const s = json<StackStatus>(await scale(["stage", "status", "--stack", "prod", "--refresh", "--audit-log", auditPath, "--json"]));
    const refreshed = s.drift.filter((d) => d.source === "refresh");
    expect(refreshed.map((d) => [d.field, d.stack, d.live])).to.deep.equal([["max", 6, 10], ["desired", 2, 6]]);
  });

  it("the human form has the sections, and no colour when piped", async () => {
    const run = await scale(["stage", "status", "--stack", "prod", "--audit-log", auditPath]);
    expect(run.stdout).to.match(/Stack prod: stage 3/).and.match(/Alarms in ALARM \(1\)/).and.match(/scale runbook run alb-diagnose/);
    expect(run.stdout).to.match(/Unhealthy targets \(1\)/).and.match(/Drift from the stack \(3\)/).and.match(/Next: stage 4/);
    expect(run.stdout).not.to.include("\u001b[");
  });
});
