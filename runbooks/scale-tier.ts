import type { Runbook } from "./lib/types.ts";
import { VerifyFailed } from "./lib/types.ts";

export const scaleTier: Runbook = {
  id: "scale-tier",
  title: "Set an Auto Scaling group's min/max/desired and wait for healthy instances",
  whenToUse: "Latency or a queue backlog grows faster than autoscaling reacts, or ahead of a known traffic peak.",
  answersAlarms: ["alb-p99-latency", "queue-backlog-age"],
  destructive: true,
  usesAws: true,
  params: [
    { name: "group", description: "Auto Scaling group name", required: true, pattern: /^[\w.-]{1,255}$/, fromStack: "group" },
    { name: "min", description: "minimum size", required: true, pattern: /^\d+$/, integer: { min: 0, max: 1000 } },
    { name: "max", description: "maximum size", required: true, pattern: /^\d+$/, integer: { min: 0, max: 1000 } },
    { name: "desired", description: "desired capacity", required: true, pattern: /^\d+$/, integer: { min: 0, max: 1000 } },
  ],
  validate: (p) => {
    const [min, max, desired] = [p.min, p.max, p.desired].map(Number) as [number, number, number];
    if (min > max) return `--param min (${min}) is above --param max (${max}); need min <= desired <= max`;
    if (desired < min || desired > max) return `--param desired (${desired}) is outside min ${min} .. max ${max}; need min <= desired <= max`;
    return undefined;
  },
  warnings: (p) => [
    `this sets ${p.group}'s sizes outside Pulumi: the next \`scale stage up/down\` (or \`pulumi up\`) and any scheduled action put the stack's sizes back without a word. ` +
      "The override is recorded in the audit log and `scale stage status` shows it as drift until the stack's config says the same.",
  ],
  overrides: (p) => ({ resource: `autoscaling group ${p.group}`, group: p.group, values: { min: Number(p.min), max: Number(p.max), desired: Number(p.desired) } }),
  steps: [
    {
      id: "set-capacity",
      title: "Update the group's sizes",
      timeoutSeconds: 60,
      onFailure: "abort",
      verifies: "the group reports the new min, max and desired",
      async act(ctx) {
        const [min, max, desired] = [ctx.params.min, ctx.params.max, ctx.params.desired].map(Number) as [number, number, number];
        const { UpdateAutoScalingGroupCommand } = await import("@aws-sdk/client-auto-scaling");
        const asg = await ctx.aws.autoScaling();
        await asg.send(
          new UpdateAutoScalingGroupCommand({ AutoScalingGroupName: ctx.params.group, MinSize: min, MaxSize: max, DesiredCapacity: desired }),
        );
        return { min, max, desired };
      },
      async verify(ctx, acted) {
        const { DescribeAutoScalingGroupsCommand } = await import("@aws-sdk/client-auto-scaling");
        const asg = await ctx.aws.autoScaling();
        const g = (await asg.send(new DescribeAutoScalingGroupsCommand({ AutoScalingGroupNames: [ctx.params.group as string] })))
          .AutoScalingGroups?.[0];
        if (!g) throw new VerifyFailed(`no Auto Scaling group ${ctx.params.group}`);
        if (g.MinSize !== acted.min || g.MaxSize !== acted.max || g.DesiredCapacity !== acted.desired)
          throw new VerifyFailed(`group reports min ${g.MinSize}, max ${g.MaxSize}, desired ${g.DesiredCapacity}`);
      },
    },
    {
      id: "wait-healthy",
      title: "Wait until the desired number of instances are InService and Healthy",
      timeoutSeconds: 900,
      onFailure: "abort",
      verifies: "InService + Healthy instances = desired",
      async act() {},
      async verify(ctx) {
        const { DescribeAutoScalingGroupsCommand } = await import("@aws-sdk/client-auto-scaling");
        const asg = await ctx.aws.autoScaling();
        const desired = Number(ctx.params.desired);
        return ctx.waitFor(`${desired} healthy instances in ${ctx.params.group}`, async () => {
          const g = (await asg.send(new DescribeAutoScalingGroupsCommand({ AutoScalingGroupNames: [ctx.params.group as string] })))
            .AutoScalingGroups?.[0];
          const healthy = (g?.Instances ?? []).filter((i) => i.LifecycleState === "InService" && i.HealthStatus === "Healthy");
          return healthy.length === desired ? { healthy: healthy.map((i) => i.InstanceId) } : undefined;
        });
      },
    },
  ],
};
