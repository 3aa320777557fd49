/**
 * What the load balancer answers for a move: a new tier's targets healthy (AWS's own health checks hit /readyz),
 * and the ALB's deletion protection lifted before a move down deletes it (AWS refuses the delete otherwise).
 */
import {
  DescribeLoadBalancerAttributesCommand,
  DescribeTargetHealthCommand,
  ModifyLoadBalancerAttributesCommand,
  type ElasticLoadBalancingV2Client,
} from "@aws-sdk/client-elastic-load-balancing-v2";

/** Every registered target of the group is healthy (and there is at least one); otherwise what is not. */
export async function targetsHealthy(elb: ElasticLoadBalancingV2Client, targetGroupArn: string): Promise<{ healthy: boolean; detail: string }> {
  const r = await elb.send(new DescribeTargetHealthCommand({ TargetGroupArn: targetGroupArn }));
  const targets = r.TargetHealthDescriptions ?? [];
  const bad = targets.filter((t) => t.TargetHealth?.State !== "healthy");
  if (targets.length === 0) return { healthy: false, detail: `${targetGroupArn} has no registered targets` };
  if (bad.length) return { healthy: false, detail: bad.map((t) => `${t.Target?.Id}: ${t.TargetHealth?.State} ${t.TargetHealth?.Reason ?? ""}`.trim()).join(", ") };
  return { healthy: true, detail: `${targets.length} healthy` };
}

export async function liftDeletionProtection(elb: ElasticLoadBalancingV2Client, loadBalancerArn: string): Promise<void> {
  await elb.send(
    new ModifyLoadBalancerAttributesCommand({ LoadBalancerArn: loadBalancerArn, Attributes: [{ Key: "deletion_protection.enabled", Value: "false" }] }),
  );
  const r = await elb.send(new DescribeLoadBalancerAttributesCommand({ LoadBalancerArn: loadBalancerArn }));
  const value = r.Attributes?.find((a) => a.Key === "deletion_protection.enabled")?.Value;
  if (value !== "false") throw new Error(`${loadBalancerArn} still has deletion protection (${value ?? "unknown"}) after lifting it`);
}
