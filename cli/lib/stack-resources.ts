/**
 * A stack's resources found through the AWS APIs by their `scale:stack` tag (the stacks set it as a
 * provider default tag; compute also carries `scale:tier` and `scale:release`), so runbooks and
 * `stage status` need neither pasted ARNs nor the Pulumi CLI.
 */
import type { Runbook, ParamSpec } from "../../runbooks/lib/types.ts";
import { ParamError } from "../../runbooks/lib/run.ts";

export const STACK_TAG = "scale:stack";
export const TIER_TAG = "scale:tier";
export const RELEASE_TAG = "scale:release";

type Tags = { Key?: string; Value?: string }[] | undefined;
const tag = (tags: Tags, key: string) => tags?.find((t) => t.Key === key)?.Value;

export interface StackResources {
  instances: { id: string; tier: string | null; release: string | null; state: string | null }[];
  groups: { name: string; tier: string | null; min: number; max: number; desired: number; inService: number }[];
  targetGroups: { arn: string; name: string; tier: string | null }[];
  dbInstances: { id: string; status: string | null; replicaOf: string | null; instanceClass: string | null }[];
  queues: { url: string; name: string }[];
}

/** Every part of the stack the CLI acts on. Each service is asked once; nothing is changed. */
export async function findStackResources(stack: string, region: string): Promise<StackResources> {
  const [ec2, asg, elb, rds, sqs] = await Promise.all([
    import("@aws-sdk/client-ec2"),
    import("@aws-sdk/client-auto-scaling"),
    import("@aws-sdk/client-elastic-load-balancing-v2"),
    import("@aws-sdk/client-rds"),
    import("@aws-sdk/client-sqs"),
  ]);
  const byStack = [{ Name: `tag:${STACK_TAG}`, Values: [stack] }];

  const ec2c = new ec2.EC2Client({ region });
  const reservations = (await ec2c.send(new ec2.DescribeInstancesCommand({ Filters: [...byStack, { Name: "instance-state-name", Values: ["pending", "running", "stopping", "stopped"] }] }))).Reservations ?? [];
  const instances = reservations.flatMap((r) => r.Instances ?? []).map((i) => ({
    id: i.InstanceId ?? "?",
    tier: tag(i.Tags, TIER_TAG) ?? null,
    release: tag(i.Tags, RELEASE_TAG) ?? null,
    state: i.State?.Name ?? null,
  }));

  const asgc = new asg.AutoScalingClient({ region });
  const groups = ((await asgc.send(new asg.DescribeAutoScalingGroupsCommand({ Filters: [{ Name: `tag:${STACK_TAG}`, Values: [stack] }] }))).AutoScalingGroups ?? []).map((g) => ({
    name: g.AutoScalingGroupName ?? "?",
    tier: tag(g.Tags, TIER_TAG) ?? null,
    min: g.MinSize ?? 0,
    max: g.MaxSize ?? 0,
    desired: g.DesiredCapacity ?? 0,
    inService: (g.Instances ?? []).filter((i) => i.LifecycleState === "InService").length,
  }));

  const elbc = new elb.ElasticLoadBalancingV2Client({ region });
  const allGroups = (await elbc.send(new elb.DescribeTargetGroupsCommand({}))).TargetGroups ?? [];
  const targetGroups: StackResources["targetGroups"] = [];
  // DescribeTags takes at most 20 ARNs at a time.
  for (let i = 0; i < allGroups.length; i += 20) {
    const arns = allGroups.slice(i, i + 20).map((g) => g.TargetGroupArn!).filter(Boolean);
    const described = (await elbc.send(new elb.DescribeTagsCommand({ ResourceArns: arns }))).TagDescriptions ?? [];
    for (const d of described) {
      if (tag(d.Tags, STACK_TAG) !== stack) continue;
      const g = allGroups.find((x) => x.TargetGroupArn === d.ResourceArn);
      targetGroups.push({ arn: d.ResourceArn!, name: g?.TargetGroupName ?? "?", tier: tag(d.Tags, TIER_TAG) ?? null });
    }
  }

  const rdsc = new rds.RDSClient({ region });
  const dbInstances = ((await rdsc.send(new rds.DescribeDBInstancesCommand({}))).DBInstances ?? [])
    .filter((d) => tag(d.TagList, STACK_TAG) === stack)
    .map((d) => ({
      id: d.DBInstanceIdentifier ?? "?",
      status: d.DBInstanceStatus ?? null,
      replicaOf: d.ReadReplicaSourceDBInstanceIdentifier ?? null,
      instanceClass: d.DBInstanceClass ?? null,
    }));

  const sqsc = new sqs.SQSClient({ region });
  const queues: StackResources["queues"] = [];
  for (const url of (await sqsc.send(new sqs.ListQueuesCommand({}))).QueueUrls ?? []) {
    const tags = (await sqsc.send(new sqs.ListQueueTagsCommand({ QueueUrl: url }))).Tags ?? {};
    if (tags[STACK_TAG] === stack) queues.push({ url, name: url.split("/").pop() ?? url });
  }
  for (const c of [ec2c, asgc, elbc, rdsc, sqsc]) c.destroy();
  return { instances, groups, targetGroups, dbInstances, queues };
}

/** The candidates for one kind of parameter, each with a label for an "ambiguous" message. */
function candidates(kind: NonNullable<ParamSpec["fromStack"]>, r: StackResources): { value: string; label: string }[] {
  const tierLabel = (v: string, tier: string | null) => `${v}${tier ? ` (tier ${tier})` : ""}`;
  switch (kind) {
    case "box-instance":
      return r.instances.filter((i) => i.tier === "box").map((i) => ({ value: i.id, label: i.id }));
    case "db-instance":
      return r.dbInstances.filter((d) => !d.replicaOf).map((d) => ({ value: d.id, label: d.id }));
    case "group":
      return r.groups.map((g) => ({ value: g.name, label: tierLabel(g.name, g.tier) }));
    case "target-group":
      return r.targetGroups.map((t) => ({ value: t.arn, label: tierLabel(t.name, t.tier) }));
    case "queue":
      return r.queues.filter((q) => !/dlq|dead/i.test(q.name)).map((q) => ({ value: q.url, label: q.name }));
    case "dlq":
      return r.queues.filter((q) => /dlq|dead/i.test(q.name)).map((q) => ({ value: q.url, label: q.name }));
  }
}

/**
 * The parameters the stack can answer and the operator left out. One match fills the parameter;
 * several are a usage error listing them; none leaves it for the usual "needs --param" check.
 */
export async function fillFromStack(
  runbook: Runbook,
  given: Record<string, string>,
  opts: { stack: string; region: string; log: (line: string) => void; find?: typeof findStackResources },
): Promise<Record<string, string>> {
  const wanted = runbook.params.filter((p) => p.fromStack && given[p.name] === undefined);
  if (!wanted.length) return {};
  const resources = await (opts.find ?? findStackResources)(opts.stack, opts.region);
  const out: Record<string, string> = {};
  for (const p of wanted) {
    const found = candidates(p.fromStack!, resources);
    if (found.length === 1) {
      out[p.name] = found[0]!.value;
      opts.log(`--param ${p.name}=${found[0]!.value} (from stack ${opts.stack})`);
    } else if (found.length > 1) {
      throw new ParamError(
        `stack ${opts.stack} has ${found.length} candidates for --param ${p.name}: ${found.map((f) => f.label).join(", ")}; name one with --param ${p.name}=...`,
      );
    }
  }
  return out;
}
