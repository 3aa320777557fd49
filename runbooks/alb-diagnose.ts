import type { Runbook } from "./lib/types.ts";
import { adviceStep } from "./lib/steps.ts";

export const albDiagnose: Runbook = {
  id: "alb-diagnose",
  title: "Diagnose load balancer errors: target health with reasons, what to do",
  whenToUse: "alb-5xx-rate or alb-unhealthy-hosts fired: find which targets fail and why before changing anything.",
  answersAlarms: ["alb-5xx-rate", "alb-unhealthy-hosts"],
  destructive: false,
  usesAws: true,
  params: [{ name: "target-group-arn", description: "the app's target group ARN", required: true, pattern: /^arn:aws[\w-]*:elasticloadbalancing:/, fromStack: "target-group" }],
  steps: [
    {
      id: "target-health",
      title: "Read the health of every target",
      timeoutSeconds: 60,
      onFailure: "abort",
      verifies: "the target group answered",
      async act(ctx) {
        const { DescribeTargetHealthCommand } = await import("@aws-sdk/client-elastic-load-balancing-v2");
        const out = await (await ctx.aws.elbv2()).send(new DescribeTargetHealthCommand({ TargetGroupArn: ctx.params["target-group-arn"] }));
        const targets = (out.TargetHealthDescriptions ?? []).map((d) => ({
          id: d.Target?.Id,
          state: d.TargetHealth?.State,
          reason: d.TargetHealth?.Reason,
          description: d.TargetHealth?.Description,
        }));
        return { targets };
      },
      async verify() {},
    },
    adviceStep((ctx) => {
      const targets = (ctx.outputs["target-health"]?.targets ?? []) as { id: string; state: string; reason?: string }[];
      const unhealthy = targets.filter((t) => t.state !== "healthy");
      const advice: string[] = [];
      if (targets.length === 0) advice.push("no targets registered: the Auto Scaling group is empty or not attached; scale-tier it up");
      else if (unhealthy.length === 0) advice.push("all targets healthy: 5xx come from the app; check its logs and /readyz (database or cache down gives 503)");
      else if (unhealthy.length === targets.length)
        advice.push("every target is unhealthy: a shared dependency (database, cache, a bad deploy) is down; check /readyz, roll back the deploy");
      else advice.push(`drain the unhealthy ones (drain-instance) so the group replaces them: ${unhealthy.map((t) => `${t.id} (${t.reason ?? t.state})`).join(", ")}`);
      return { unhealthy: unhealthy.map((t) => t.id), advice };
    }),
  ],
};
