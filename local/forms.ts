/**
 * What each part of a stage becomes on one machine. The topology of a local stage is derived from the ladder
 * (stacks/stages.ts) and the stage's offline plan (its resources and each tier's `runtime`), never written per stage:
 * every ladder component and every resource type the plan registers must have an entry here, or the derivation
 * throws an error naming it (so a new component in the ladder fails a test until it has a local form).
 */
import type { Stage, StageComponents } from "../stacks/stages.ts";
import { urnName, urnType, type Tier, type TierRuntime } from "../runtime/sources.ts";

/** The plan as the local stages read it (stacks/plan.ts's Plan, or a test's fake). */
export interface PlanView {
  stage: number;
  resources: { urn: string; type: string; name: string; parent: string | null; inputs: Record<string, unknown> }[];
  runtime: TierRuntime[];
}

/** A MariaDB server: the box's own database, the RDS primary, or an RDS read replica (a GTID replica locally). */
export interface DatabaseForm {
  name: string;
  role: "box" | "primary" | "replica";
  /** The plan's URN this server stands in for (what `{from: "output"}` values name). */
  urn: string;
  /** Replication server id: unique per server, stable per name. */
  serverId: number;
}

/** One compute tier: its process count (the stage's desired capacity) and its runtime from the plan. */
export interface TierForm {
  tier: Tier;
  count: number;
  runtime: TierRuntime;
}

/** A local stage: every server it runs, derived from the ladder entry and the plan. */
export interface Topology {
  stage: number;
  databases: DatabaseForm[];
  /** ElastiCache stands in as one `redis-server` (with the AUTH token); its URN, for outputs. */
  cache?: { urn: string };
  /** S3 buckets (plan resource names), served by one S3-protocol server. */
  buckets: string[];
  /** SQS queues (plan resource names), served by one SQS-protocol server; `deadLetterOf`: the queue it backs. */
  queues: { name: string; deadLetterOf?: string }[];
  tiers: TierForm[];
  /** Stage 0-1: everything to the box; stage 2+: GET/HEAD to the read tier, the rest to the write tier (the ALB rule). */
  frontDoor: "box" | "split";
  /** Parts with no local form beyond being reported (autoscaling, alarms, CDN, DNS...), one line each. */
  reported: string[];
}

export class LocalFormError extends Error {}

/**
 * Each ladder component's local form, in words (`scale local status` and the docs show them). Typed by the ladder's
 * own keys, so a new component fails `tsc` here; the runtime check catches a ladder entry built some other way.
 */
export const LADDER_FORMS: Readonly<Record<keyof StageComponents, string>> = Object.freeze({
  network: "127.0.0.1: every server binds to the loopback, on free ports",
  singleBox: "the box tier's app process(es), and `mariadbd` for the box's own database while it runs one",
  staticContent: "reported: static content is served by CloudFront from S3, not by the app",
  database: "`mariadbd` as the RDS primary, with GTID replicas (CHANGE MASTER ... MASTER_USE_GTID) for read replicas",
  appTiers: "read and write tiers: as many app processes as the desired capacity, behind HAProxy's GET/HEAD rule",
  cdn: "reported: HAProxy is the front door (one X-Forwarded-For hop); HTTPS stops at CloudFront on AWS",
  cache: "`redis-server` with the AUTH token, as ElastiCache",
  monitoring: "reported: alarms and the dashboard have no local form; `scale local status` checks each process",
  queue: "an SQS-protocol server (fauxqs) with the job queue and its dead-letter queue, and the worker tier",
  dataLifecycle: "an S3-protocol server (fauxqs) with the uploads and archive buckets",
});

type ResourceForm = "box" | "database" | "cache" | "bucket" | "queue" | "tier" | "front-door" | "none";

/**
 * Every resource type a plan registers, and what it becomes locally. `none`: nothing runs for it (the network,
 * IAM, certificates, alarms: the machine, the loopback and the process list stand in), listed so that a type nobody
 * has thought about is an error rather than silently left out.
 */
const RESOURCE_FORMS: Readonly<Record<string, ResourceForm>> = Object.freeze({
  "aws:ec2/instance:Instance": "box",
  "aws:rds/instance:Instance": "database",
  "aws:elasticache/replicationGroup:ReplicationGroup": "cache",
  "aws:s3/bucket:Bucket": "bucket",
  "aws:sqs/queue:Queue": "queue",
  "aws:autoscaling/group:Group": "tier",
  "aws:lb/loadBalancer:LoadBalancer": "front-door",
  "aws:lb/listener:Listener": "front-door",
  "aws:lb/listenerRule:ListenerRule": "front-door",
  "aws:lb/targetGroup:TargetGroup": "front-door",
  ...Object.fromEntries([
    "aws:acm/certificate:Certificate", "aws:acm/certificateValidation:CertificateValidation",
    "aws:autoscaling/policy:Policy", "aws:autoscaling/schedule:Schedule",
    "aws:cloudfront/distribution:Distribution", "aws:cloudfront/originAccessControl:OriginAccessControl",
    "aws:cloudwatch/dashboard:Dashboard", "aws:cloudwatch/metricAlarm:MetricAlarm",
    "aws:ebs/volume:Volume", "aws:ec2/volumeAttachment:VolumeAttachment", "aws:ec2/eip:Eip",
    "aws:ec2/internetGateway:InternetGateway", "aws:ec2/launchTemplate:LaunchTemplate", "aws:ec2/routeTable:RouteTable",
    "aws:ec2/routeTableAssociation:RouteTableAssociation", "aws:ec2/securityGroup:SecurityGroup", "aws:ec2/subnet:Subnet",
    "aws:ec2/vpc:Vpc", "aws:ec2/vpcEndpoint:VpcEndpoint", "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule",
    "aws:elasticache/subnetGroup:SubnetGroup", "aws:rds/parameterGroup:ParameterGroup", "aws:rds/subnetGroup:SubnetGroup",
    "aws:iam/instanceProfile:InstanceProfile", "aws:iam/role:Role", "aws:iam/rolePolicy:RolePolicy",
    "aws:iam/rolePolicyAttachment:RolePolicyAttachment", "aws:kms/key:Key", "aws:route53/record:Record",
    "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration", "aws:s3/bucketOwnershipControls:BucketOwnershipControls",
    "aws:s3/bucketPolicy:BucketPolicy", "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock",
    "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
    "aws:s3/bucketVersioning:BucketVersioning", "aws:secretsmanager/secret:Secret", "aws:secretsmanager/secretVersion:SecretVersion",
    "aws:sns/topic:Topic", "aws:sns/topicSubscription:TopicSubscription", "pulumi:providers:aws",
  ].map((t) => [t, "none" as const])),
});

/**
 * The buckets the service itself reads and writes, and the setting that names each (app/photos/photo-config.ts);
 * the others (static content, load balancer logs) are written and read by AWS services only: reported, not run.
 */
export const SERVICE_BUCKETS: Readonly<Record<string, string>> = Object.freeze({ "uploads-bucket": "UPLOADS_BUCKET", "archive-bucket": "ARCHIVE_BUCKET" });

/** Component resources (`scale:aws:*`) only group their children, which carry the local forms. */
const isComponentResource = (type: string) => type.startsWith("scale:");

/** The box's database server id; the RDS primary's; replicas from REPLICA_SERVER_ID + n. */
const BOX_SERVER_ID = 1;
const PRIMARY_SERVER_ID = 2;
const REPLICA_SERVER_ID = 10;

/**
 * The local topology of `stage` from its ladder entry and its plan. Throws LocalFormError naming a ladder component
 * or a resource type that has no local form, or a tier whose capacity or runtime the plan does not give.
 */
export function deriveTopology(stage: Pick<Stage, "id" | "components">, plan: PlanView): Topology {
  for (const key of Object.keys(stage.components)) {
    if (!Object.hasOwn(LADDER_FORMS, key)) {
      throw new LocalFormError(`stage ${stage.id}'s ladder component "${key}" has no local form: add one to LADDER_FORMS in local/forms.ts`);
    }
  }
  const databases: DatabaseForm[] = [];
  const counts = new Map<Tier, number>();
  const topology: Topology = { stage: stage.id, databases, buckets: [], queues: [], tiers: [], frontDoor: "box", reported: [] };
  for (const r of plan.resources) {
    if (isComponentResource(r.type)) continue;
    const form = RESOURCE_FORMS[r.type];
    if (form === undefined) {
      throw new LocalFormError(`the plan of stage ${stage.id} has ${r.type} (${r.name}), which has no local form: add it to RESOURCE_FORMS in local/forms.ts`);
    }
    switch (form) {
      case "box":
        counts.set("box", 1);
        break;
      case "database": {
        const replica = typeof r.inputs.replicateSourceDb === "string" && r.inputs.replicateSourceDb !== "";
        const n = databases.filter((d) => d.role === "replica").length + 1;
        databases.push({
          name: replica ? `mariadb-replica-${n}` : "mariadb-primary", role: replica ? "replica" : "primary", urn: r.urn,
          serverId: replica ? REPLICA_SERVER_ID + n : PRIMARY_SERVER_ID,
        });
        break;
      }
      case "cache":
        topology.cache = { urn: r.urn };
        break;
      case "bucket":
        topology.buckets.push(r.name);
        break;
      case "queue":
        topology.queues.push({ name: r.name });
        break;
      case "tier": {
        const tierName = r.parent ? urnName(r.parent) : "";
        if (!isTier(tierName)) throw new LocalFormError(`the auto scaling group ${r.name} belongs to no tier (its parent is ${r.parent ?? "none"})`);
        const desired = r.inputs.desiredCapacity;
        if (typeof desired !== "number" || !Number.isInteger(desired) || desired < 1) {
          throw new LocalFormError(`the auto scaling group ${r.name} has no desired capacity in the plan`);
        }
        counts.set(tierName, desired);
        break;
      }
      case "front-door":
        if (r.type === "aws:lb/listenerRule:ListenerRule") topology.frontDoor = "split";
        break;
      case "none":
        break;
    }
  }
  // The box runs its own MariaDB while the ladder says so (its volume is not a resource type of its own).
  if (stage.components.singleBox?.runsDatabase) {
    const box = plan.resources.find((r) => r.type === "scale:aws:SingleBox");
    if (!box) throw new LocalFormError(`stage ${stage.id} runs its database on the box, but the plan has no scale:aws:SingleBox`);
    databases.unshift({ name: "mariadb-box", role: "box", urn: box.urn, serverId: BOX_SERVER_ID });
  }
  for (const runtime of plan.runtime) {
    const count = counts.get(runtime.tier);
    if (count === undefined) throw new LocalFormError(`the plan gives the ${runtime.tier} tier a runtime but no servers (no instance or auto scaling group)`);
    topology.tiers.push({ tier: runtime.tier, count, runtime });
  }
  for (const tier of counts.keys()) {
    if (!plan.runtime.some((r) => r.tier === tier)) throw new LocalFormError(`the plan runs the ${tier} tier without a runtime for it`);
  }
  if (databases.filter((d) => d.role !== "replica").length !== 1) {
    throw new LocalFormError(`stage ${stage.id} must have exactly one writable database, found ${databases.filter((d) => d.role !== "replica").map((d) => d.name).join(", ") || "none"}`);
  }
  if (topology.frontDoor === "split" && !(counts.has("read") && counts.has("write"))) {
    throw new LocalFormError(`stage ${stage.id}'s load balancer splits reads and writes, but the plan lacks a read or a write tier`);
  }
  // A dead-letter queue is named in the redrive policy of the queue it backs.
  for (const q of topology.queues) {
    const main = plan.resources.find((r) => r.type === "aws:sqs/queue:Queue" && typeof r.inputs.redrivePolicy === "string"
      && (r.inputs.redrivePolicy as string).includes(`/${q.name}"`));
    if (main) q.deadLetterOf = main.name;
  }
  topology.reported = reportedParts(stage, plan.resources.length);
  return topology;
}

function reportedParts(stage: Pick<Stage, "components">, resources: number): string[] {
  const lines: string[] = [];
  if (stage.components.appTiers?.autoscaling) lines.push("autoscaling: target tracking and schedules have no local form; each tier runs its desired capacity");
  if (stage.components.monitoring) lines.push("monitoring: alarms and the dashboard have no local form");
  if (stage.components.cdn) lines.push("cdn: HAProxy is the front door; TLS and CloudFront have no local form");
  if (stage.components.staticContent) lines.push("staticContent: the static bucket is not served locally");
  lines.push(`plan: ${resources} resources`);
  return lines;
}

function isTier(value: string): value is Tier {
  return value === "box" || value === "read" || value === "write" || value === "worker";
}

/**
 * The local server standing in for the resource a `{from: "output"}` value names, and which of its facts the output
 * is: `host` (always 127.0.0.1) or `port`. Throws naming the URN and output that have no local stand-in.
 */
export type OutputStandIn =
  | { component: string; fact: "host" | "port" }
  | { queue: string }
  | { bucket: string };

export function outputStandIn(topology: Topology, urn: string, output: string): OutputStandIn {
  const name = urnName(urn);
  // Stage 5's queue URL and bucket names come from the S3/SQS stand-in, once it runs.
  if (output === "url" && topology.queues.some((q) => q.name === name)) return { queue: name };
  if (output === "bucket" && topology.buckets.includes(name)) return { bucket: name };
  const fact = /address|host/i.test(output) ? "host" : /port/i.test(output) ? "port" : undefined;
  const db = topology.databases.find((d) => d.urn === urn);
  const component = db?.name ?? (topology.cache?.urn === urn ? "redis" : undefined);
  if (!component || !fact) throw new LocalFormError(`no local stand-in for ${urnType(urn)} ${name}'s output ${output}`);
  return { component, fact };
}
