import type { Runbook } from "./lib/types.ts";
import { VerifyFailed } from "./lib/types.ts";

export const drainInstance: Runbook = {
  id: "drain-instance",
  title: "Move an instance to Standby and wait for its in-flight requests to drain",
  whenToUse: "An instance is unhealthy or misbehaving and must be inspected or replaced without dropping requests.",
  answersAlarms: ["alb-unhealthy-hosts"],
  destructive: true,
  usesAws: true,
  params: [
    { name: "group", description: "Auto Scaling group name", required: true, pattern: /^[\w.-]{1,255}$/, fromStack: "group" },
    { name: "instance", description: "EC2 instance id", required: true, pattern: /^i-[0-9a-f]{8,17}$/ },
    { name: "target-group-arn", description: "the ALB target group, to wait until the instance is drained from it", fromStack: "target-group" },
  ],
  steps: [
    {
      id: "enter-standby",
      title: "Put the instance in Standby (the group launches a replacement)",
      timeoutSeconds: 300,
      onFailure: "abort",
      verifies: "the instance's lifecycle state is Standby",
      async act(ctx) {
        const { EnterStandbyCommand } = await import("@aws-sdk/client-auto-scaling");
        const asg = await ctx.aws.autoScaling();
        // Keep desired capacity so a replacement takes the drained instance's share.
        await asg.send(
          new EnterStandbyCommand({
            AutoScalingGroupName: ctx.params.group,
            InstanceIds: [ctx.params.instance as string],
            ShouldDecrementDesiredCapacity: false,
          }),
        );
      },
      async verify(ctx) {
        const { DescribeAutoScalingInstancesCommand } = await import("@aws-sdk/client-auto-scaling");
        const asg = await ctx.aws.autoScaling();
        return ctx.waitFor(`${ctx.params.instance} to be in Standby`, async () => {
          const i = (await asg.send(new DescribeAutoScalingInstancesCommand({ InstanceIds: [ctx.params.instance as string] })))
            .AutoScalingInstances?.[0];
          if (!i) throw new VerifyFailed(`${ctx.params.instance} is not in an Auto Scaling group`);
          return i.LifecycleState === "Standby" ? { lifecycleState: i.LifecycleState } : undefined;
        });
      },
    },
    {
      id: "wait-drained",
      title: "Wait until the load balancer has drained the instance",
      timeoutSeconds: 900,
      onFailure: "abort",
      verifies: "the target is gone from the target group or reports unused (no in-flight requests)",
      async act() {},
      async verify(ctx) {
        const arn = ctx.params["target-group-arn"];
        if (!arn) return { note: "no target group given: waited for Standby only" };
        const { DescribeTargetHealthCommand } = await import("@aws-sdk/client-elastic-load-balancing-v2");
        const elb = await ctx.aws.elbv2();
        return ctx.waitFor(`${ctx.params.instance} to drain`, async () => {
          const out = await elb.send(new DescribeTargetHealthCommand({ TargetGroupArn: arn }));
          const t = out.TargetHealthDescriptions?.find((d) => d.Target?.Id === ctx.params.instance);
          const state = t?.TargetHealth?.State;
          return !t || state === "unused" ? { targetState: state ?? "deregistered" } : undefined;
        });
      },
    },
  ],
};
