import type { Runbook } from "./lib/types.ts";
import { VerifyFailed } from "./lib/types.ts";

/**
 * Stop and start the single box: it comes back on other hardware (the cure for a failed system
 * status check), and with instance-type it comes back bigger (vertical scaling). The Elastic IP
 * stays attached, so DNS does not change. Set the same type in the stack config afterwards.
 */
export const boxRecover: Runbook = {
  id: "box-recover",
  title: "Stop and start the single box, optionally on a bigger instance type",
  whenToUse: "Stage 0: the box fails its status checks, or its CPU stays high and a bigger box is the answer.",
  answersAlarms: ["box-status-check-failed", "box-cpu-high"],
  destructive: true,
  usesAws: true,
  params: [
    { name: "instance", description: "EC2 instance id of the box", required: true, pattern: /^i-[0-9a-f]{8,17}$/, fromStack: "box-instance" },
    { name: "instance-type", description: "new instance type, e.g. t3.large (omit to keep the type)", pattern: /^[a-z][a-z0-9-]*\.[a-z0-9]+$/ },
  ],
  steps: [
    {
      id: "stop",
      title: "Stop the instance",
      timeoutSeconds: 600,
      onFailure: "abort",
      verifies: "the instance is stopped",
      async act(ctx) {
        const { StopInstancesCommand } = await import("@aws-sdk/client-ec2");
        await (await ctx.aws.ec2()).send(new StopInstancesCommand({ InstanceIds: [ctx.params.instance as string] }));
      },
      async verify(ctx) {
        return ctx.waitFor("the instance to stop", async () => ((await state(ctx)) === "stopped" ? { state: "stopped" } : undefined));
      },
    },
    {
      id: "resize",
      title: "Change the instance type (when instance-type is given)",
      timeoutSeconds: 120,
      onFailure: "abort",
      verifies: "the instance reports the new type",
      async act(ctx) {
        const type = ctx.params["instance-type"];
        if (!type) return { skipped: "no instance-type given" };
        const { ModifyInstanceAttributeCommand } = await import("@aws-sdk/client-ec2");
        await (await ctx.aws.ec2()).send(
          new ModifyInstanceAttributeCommand({ InstanceId: ctx.params.instance, InstanceType: { Value: type } }),
        );
        return { instanceType: type };
      },
      async verify(ctx, acted) {
        if (!acted.instanceType) return;
        const { DescribeInstancesCommand } = await import("@aws-sdk/client-ec2");
        const out = await (await ctx.aws.ec2()).send(new DescribeInstancesCommand({ InstanceIds: [ctx.params.instance as string] }));
        const type = out.Reservations?.[0]?.Instances?.[0]?.InstanceType;
        if (type !== acted.instanceType) throw new VerifyFailed(`instance type is ${type}, not ${acted.instanceType}`);
        return { next: `set the same type in the stack's config so the next \`scale stage up\` keeps it` };
      },
    },
    {
      id: "start",
      title: "Start the instance and wait for both status checks to pass",
      timeoutSeconds: 900,
      onFailure: "abort",
      verifies: "the instance is running with system and instance status ok",
      async act(ctx) {
        const { StartInstancesCommand } = await import("@aws-sdk/client-ec2");
        await (await ctx.aws.ec2()).send(new StartInstancesCommand({ InstanceIds: [ctx.params.instance as string] }));
      },
      async verify(ctx) {
        const { DescribeInstanceStatusCommand } = await import("@aws-sdk/client-ec2");
        const ec2 = await ctx.aws.ec2();
        return ctx.waitFor("status checks to pass", async () => {
          const s = (await ec2.send(new DescribeInstanceStatusCommand({ InstanceIds: [ctx.params.instance as string] })))
            .InstanceStatuses?.[0];
          const ok = s?.InstanceState?.Name === "running" && s.SystemStatus?.Status === "ok" && s.InstanceStatus?.Status === "ok";
          return ok ? { state: "running", checks: "ok" } : undefined;
        });
      },
    },
  ],
};

async function state(ctx: Parameters<Runbook["steps"][number]["act"]>[0]): Promise<string | undefined> {
  const { DescribeInstancesCommand } = await import("@aws-sdk/client-ec2");
  const out = await (await ctx.aws.ec2()).send(new DescribeInstancesCommand({ InstanceIds: [ctx.params.instance as string] }));
  return out.Reservations?.[0]?.Instances?.[0]?.State?.Name;
}
