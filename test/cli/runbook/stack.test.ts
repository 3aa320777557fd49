import { expect } from "chai";
import { mockClient } from "aws-sdk-client-mock";
import { STSClient, GetCallerIdentityCommand } from "@aws-sdk/client-sts";
import { EC2Client, DescribeInstancesCommand } from "@aws-sdk/client-ec2";
import { AutoScalingClient, DescribeAutoScalingGroupsCommand, UpdateAutoScalingGroupCommand } from "@aws-sdk/client-auto-scaling";
import { ElasticLoadBalancingV2Client, DescribeTargetGroupsCommand, DescribeTagsCommand, DescribeTargetHealthCommand } from "@aws-sdk/client-elastic-load-balancing-v2";
import { RDSClient, DescribeDBInstancesCommand, CreateDBSnapshotCommand } from "@aws-sdk/client-rds";
import { SQSClient, ListQueuesCommand, ListQueueTagsCommand } from "@aws-sdk/client-sqs";
import { json, scale } from "../run-scale.ts";

const tags = (stack: string, tier?: string) => [{ Key: "scale:stack", Value: stack }, ...(tier ? [{ Key: "scale:tier", Value: tier }] : [])];

describe("scale runbook run --stack: parameters found from the stack's tags", () => {
  const mocks: ReturnType<typeof mockClient>[] = [];
  let asg: ReturnType<typeof mockClient>;
  let rds: ReturnType<typeof mockClient>;
  const mock = <T>(c: T) => {
    const m = mockClient(c as never) as unknown as ReturnType<typeof mockClient>;
    mocks.push(m);
    return m;
  };
  before(() => {
    mock(STSClient).on(GetCallerIdentityCommand).resolves({ Account: "123456789012" });
    mock(EC2Client).on(DescribeInstancesCommand).resolves({ Reservations: [] });
    asg = mock(AutoScalingClient);
    asg.on(DescribeAutoScalingGroupsCommand).resolves({ AutoScalingGroups: [
      { AutoScalingGroupName: "prod-read-asg", Tags: tags("prod", "read"), MinSize: 2, MaxSize: 6, DesiredCapacity: 2, Instances: [], DefaultCooldown: 0, AvailabilityZones: [], HealthCheckType: "ELB", CreatedTime: new Date() },
      { AutoScalingGroupName: "prod-write-asg", Tags: tags("prod", "write"), MinSize: 2, MaxSize: 6, DesiredCapacity: 2, Instances: [], DefaultCooldown: 0, AvailabilityZones: [], HealthCheckType: "ELB", CreatedTime: new Date() },
    ] });
    const elb = mock(ElasticLoadBalancingV2Client);
    elb.on(DescribeTargetGroupsCommand).resolves({ TargetGroups: [{ TargetGroupArn: "arn:aws:elasticloadbalancing:us-east-1:1:targetgroup/prod-app/1", TargetGroupName: "prod-app" }] });
    elb.on(DescribeTagsCommand).resolves({ TagDescriptions: [{ ResourceArn: "arn:aws:elasticloadbalancing:us-east-1:1:targetgroup/prod-app/1", Tags: tags("prod") }] });
    elb.on(DescribeTargetHealthCommand).resolves({ TargetHealthDescriptions: [{ Target: { Id: "i-1" }, TargetHealth: { State: "healthy" } }] });
    rds = mock(RDSClient);
    rds.on(DescribeDBInstancesCommand).resolves({ DBInstances: [
      { DBInstanceIdentifier: "prod-db", TagList: tags("prod") },
      { DBInstanceIdentifier: "prod-db-replica-1", ReadReplicaSourceDBInstanceIdentifier: "prod-db", TagList: tags("prod") },
      { DBInstanceIdentifier: "staging-db", TagList: tags("staging") },
    ] });
    const sqs = mock(SQSClient);
    sqs.on(ListQueuesCommand).resolves({ QueueUrls: [] });
    sqs.on(ListQueueTagsCommand).resolves({ Tags: {} });
  });
  after(() => mocks.forEach((m) => m.restore()));

  it("alb-diagnose --stack prod finds the target group", async () => {
    const run = await scale(["runbook", "run", "alb-diagnose", "--stack", "prod", "--json", "--audit-log", "/dev/null"]);
    expect(run.exit, run.message).to.equal(0);
    expect(run.stderr).to.include("--param target-group-arn=arn:aws:elasticloadbalancing:us-east-1:1:targetgroup/prod-app/1 (from stack prod)");
  });

  it("db-snapshot --stack prod finds the primary, not the replica or another stack's", async () => {
    const run = await scale(["runbook", "run", "db-snapshot", "--stack", "prod", "--dry-run", "--json", "--audit-log", "/dev/null"]);
    expect(run.exit, run.message).to.equal(0);
    const calls = json<{ steps: { calls: { action: string; input: { DBInstanceIdentifier?: string } }[] }[] }>(run).steps[0]!.calls;
    expect(calls.find((c) => c.action === "CreateDBSnapshot")?.input.DBInstanceIdentifier).to.equal("prod-db");
    expect(rds.commandCalls(CreateDBSnapshotCommand)).to.have.length(0);
  });

  it("several candidates are a usage error listing them (exit 2)", async () => {
    const run = await scale(["runbook", "run", "scale-tier", "--stack", "prod", "-p", "min=2", "-p", "max=6", "-p", "desired=3", "--dry-run"]);
    expect(run.exit).to.equal(2);
    expect(run.message).to.match(/stack prod has 2 candidates for --param group: prod-read-asg \(tier read\), prod-write-asg \(tier write\)/);
  });

  it("scale-tier says in the preview that it overrides Pulumi and that stage status will show the drift", async () => {
    const run = await scale(["runbook", "run", "scale-tier", "-p", "group=prod-read-asg", "-p", "min=2", "-p", "max=6", "-p", "desired=3", "--dry-run", "--audit-log", "/dev/null"]);
    expect(run.exit).to.equal(0);
    expect(run.stderr).to.match(/WARNING: this sets prod-read-asg's sizes outside Pulumi/).and.match(/stage status/);
    expect(asg.commandCalls(UpdateAutoScalingGroupCommand)).to.have.length(0);
  });
});
