import { expect } from "chai";
import { mockClient } from "aws-sdk-client-mock";
import {
  AutoScalingClient,
  EnterStandbyCommand,
  DescribeAutoScalingInstancesCommand,
  UpdateAutoScalingGroupCommand,
  DescribeAutoScalingGroupsCommand,
} from "@aws-sdk/client-auto-scaling";
import { ElasticLoadBalancingV2Client, DescribeTargetHealthCommand } from "@aws-sdk/client-elastic-load-balancing-v2";
import {
  EC2Client,
  StopInstancesCommand,
  StartInstancesCommand,
  DescribeInstancesCommand,
  DescribeInstanceStatusCommand,
  ModifyInstanceAttributeCommand,
} from "@aws-sdk/client-ec2";
import { scaleTier } from "../../runbooks/scale-tier.ts";
import { drainInstance } from "../../runbooks/drain-instance.ts";
import { boxRecover } from "../../runbooks/box-recover.ts";
import { albDiagnose } from "../../runbooks/alb-diagnose.ts";
import { runForTest } from "./helpers.ts";

const TG = "arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/web/abc";

describe("compute runbooks", () => {
  // The stubs' own types are long generics; these tests only use on/commandCalls.
  let asg: ReturnType<typeof mockClient>;
  let elb: ReturnType<typeof mockClient>;
  let ec2: ReturnType<typeof mockClient>;
  before(() => {
    asg = mockClient(AutoScalingClient) as unknown as ReturnType<typeof mockClient>;
    elb = mockClient(ElasticLoadBalancingV2Client) as unknown as ReturnType<typeof mockClient>;
    ec2 = mockClient(EC2Client) as unknown as ReturnType<typeof mockClient>;
  });
  after(() => [asg, elb, ec2].forEach((m) => m.restore()));
  afterEach(() => [asg, elb, ec2].forEach((m) => m.reset()));

  describe("scale-tier", () => {
    it("refuses min > desired before any step (a usage error, not a failed step)", async () => {
      let error: Error | undefined;
      await runForTest(scaleTier, { group: "web", min: "5", max: "6", desired: "4" }).catch((e: Error) => (error = e));
      expect(error?.name).to.equal("ParamError");
      expect(error?.message).to.match(/--param desired \(4\) is outside min 5 \.\. max 6/);
      expect(asg.calls()).to.have.length(0);
    });

    it("times out when instances never become healthy", async () => {
      asg.on(UpdateAutoScalingGroupCommand).resolves({});
      asg.on(DescribeAutoScalingGroupsCommand).resolves({
        AutoScalingGroups: [{ MinSize: 1, MaxSize: 3, DesiredCapacity: 2, Instances: [{ InstanceId: "i-1", LifecycleState: "Pending", HealthStatus: "Healthy" }] }],
      } as never);
      const { report } = await runForTest(scaleTier, { group: "web", min: "1", max: "3", desired: "2" }, { maxStepTimeoutMs: 200 });
      expect(report.failedStep, report.steps[0]?.error).to.equal("wait-healthy");
      expect(report.steps[1]?.error).to.match(/timed out/);
    });
  });

  describe("drain-instance", () => {
    it("puts the instance in Standby, keeps desired capacity, and waits until the target is drained", async () => {
      asg.on(EnterStandbyCommand).resolves({});
      asg
        .on(DescribeAutoScalingInstancesCommand)
        .resolvesOnce({ AutoScalingInstances: [{ LifecycleState: "EnteringStandby" }] } as never)
        .resolves({ AutoScalingInstances: [{ LifecycleState: "Standby" }] } as never);
      elb
        .on(DescribeTargetHealthCommand)
        .resolvesOnce({ TargetHealthDescriptions: [{ Target: { Id: "i-0abc12345" }, TargetHealth: { State: "draining" } }] } as never)
        .resolves({ TargetHealthDescriptions: [] } as never);
      const { report } = await runForTest(drainInstance, { group: "web", instance: "i-0abc12345", "target-group-arn": TG });
      expect(report.result, JSON.stringify(report.steps)).to.equal("succeeded");
      expect(asg.commandCalls(EnterStandbyCommand)[0]?.args[0].input).to.deep.include({ ShouldDecrementDesiredCapacity: false });
      expect(report.steps[1]?.outputs.targetState).to.equal("deregistered");
    });

    it("rejects an instance id that is not one", async () => {
      try {
        await runForTest(drainInstance, { group: "web", instance: "web-1" });
        expect.fail("accepted a bad instance id");
      } catch (err) {
        expect((err as Error).message).to.match(/--param instance: "web-1" does not match/);
      }
    });
  });

  describe("box-recover", () => {
    it("stops, resizes, starts and waits for both status checks", async () => {
      ec2.on(StopInstancesCommand).resolves({});
      ec2.on(StartInstancesCommand).resolves({});
      ec2.on(ModifyInstanceAttributeCommand).resolves({});
      ec2
        .on(DescribeInstancesCommand)
        .resolves({ Reservations: [{ Instances: [{ State: { Name: "stopped" }, InstanceType: "t3.large" }] }] } as never);
      ec2
        .on(DescribeInstanceStatusCommand)
        .resolvesOnce({ InstanceStatuses: [{ InstanceState: { Name: "running" }, SystemStatus: { Status: "initializing" }, InstanceStatus: { Status: "initializing" } }] } as never)
        .resolves({ InstanceStatuses: [{ InstanceState: { Name: "running" }, SystemStatus: { Status: "ok" }, InstanceStatus: { Status: "ok" } }] } as never);
      const { report } = await runForTest(boxRecover, { instance: "i-0abc12345", "instance-type": "t3.large" });
      expect(report.result, JSON.stringify(report.steps)).to.equal("succeeded");
      expect(ec2.commandCalls(ModifyInstanceAttributeCommand)[0]?.args[0].input).to.deep.equal({ InstanceId: "i-0abc12345", InstanceType: { Value: "t3.large" } });
      expect(report.steps[1]?.outputs.next).to.match(/stack's config/);
    });

    it("fails the resize when the instance does not report the new type", async () => {
      ec2.on(StopInstancesCommand).resolves({});
      ec2.on(ModifyInstanceAttributeCommand).resolves({});
      ec2.on(DescribeInstancesCommand).resolves({ Reservations: [{ Instances: [{ State: { Name: "stopped" }, InstanceType: "t3.small" }] }] } as never);
      const { report } = await runForTest(boxRecover, { instance: "i-0abc12345", "instance-type": "t3.large" });
      expect(report.failedStep).to.equal("resize");
      expect(ec2.commandCalls(StartInstancesCommand)).to.have.length(0);
    });
  });

  describe("alb-diagnose", () => {
    it("names the unhealthy targets and their reasons", async () => {
      elb.on(DescribeTargetHealthCommand).resolves({
        TargetHealthDescriptions: [
          { Target: { Id: "i-1" }, TargetHealth: { State: "healthy" } },
          { Target: { Id: "i-2" }, TargetHealth: { State: "unhealthy", Reason: "Target.Timeout" } },
        ],
      } as never);
      const { report } = await runForTest(albDiagnose, { "target-group-arn": TG });
      expect(report.steps[1]?.outputs.unhealthy).to.deep.equal(["i-2"]);
      expect((report.steps[1]?.outputs.advice as string[])[0]).to.match(/drain-instance.*i-2 \(Target.Timeout\)/);
    });

    it("points at a shared dependency when every target is unhealthy", async () => {
      elb.on(DescribeTargetHealthCommand).resolves({
        TargetHealthDescriptions: [{ Target: { Id: "i-1" }, TargetHealth: { State: "unhealthy" } }],
      } as never);
      const { report } = await runForTest(albDiagnose, { "target-group-arn": TG });
      expect((report.steps[1]?.outputs.advice as string[])[0]).to.match(/shared dependency/);
    });
  });
});
