/**
 * The stage ladder: the single source of truth for what each growth stage turns on.
 * The Pulumi program, `scale stage list` and the README's stage table all read this file.
 * It stays free of Pulumi imports so the CLI can load it cheaply.
 */

/** A stage id on the ladder. */
export type StageId = 0 | 1 | 2 | 3 | 4 | 5;

/** What a stage turns on, with the arguments that differ between stages. Absent = not provisioned. */
export interface StageComponents {
  /** VPC with public and private subnets across the configured AZs; always present. */
  network: { interfaceEndpoints: readonly string[] };
  /** The single EC2 box with its Elastic IP; `runsDatabase` = MariaDB runs on the box's data volume. */
  singleBox?: { runsDatabase: boolean };
  /** S3 bucket for static content. */
  staticContent?: Record<string, never>;
  /** RDS for MariaDB primary; `multiAz` standby; `readReplicas` = config's replicaCount replicas. */
  database?: { multiAz: boolean; readReplicas: boolean };
  /** ALB with TLS, read and write app tiers in auto scaling groups; `autoscaling` = target tracking + schedules. */
  appTiers?: { autoscaling: boolean };
  /** CloudFront in front of the app (the box, then the ALB) and the static bucket: HTTPS from stage 0; DNS aliases to it. */
  cdn?: Record<string, never>;
  /** ElastiCache Redis replication group. */
  cache?: Record<string, never>;
  /** CloudWatch alarms on the ALB, RDS and cache, and a dashboard (the box alarms come with the box). */
  monitoring?: Record<string, never>;
  /** SQS queue with a dead-letter queue and a worker auto scaling group scaling on backlog per instance. */
  queue?: Record<string, never>;
  /** Buckets for user uploads and the archive of data older than the configured age. */
  dataLifecycle?: Record<string, never>;
}

/** One rung of the ladder. */
export interface Stage {
  id: StageId;
  /** The seed's name for the stage. */
  name: string;
  /** One line: what the stage is. */
  summary: string;
  /** The signal that says it is time to promote to this stage (null for the first). */
  promoteWhen: string | null;
  /** What the stage provisions. */
  components: StageComponents;
}

const network = { interfaceEndpoints: [] } as const;
// No outbound internet, so AWS APIs are reached through interface endpoints (~$7/month per AZ each): from stage 1
// the database password in Secrets Manager, and SSM so the guided steps (and people) reach servers without SSH.
const networkWithSecrets = { interfaceEndpoints: ["secretsmanager", "ssm", "ssmmessages", "ec2messages"] } as const;
// Stage 5's app and workers talk to SQS.
const networkWithQueue = { interfaceEndpoints: [...networkWithSecrets.interfaceEndpoints, "sqs"] } as const;

/** The ladder, stage 0 to 5. Stage N keeps everything of N-1 except the single box, retired at stage 2. */
export const STAGES: readonly Stage[] = Object.freeze([
  {
    id: 0,
    name: "single-box",
    summary: "One EC2 box runs the app and MariaDB behind CloudFront (HTTPS), with an Elastic IP and a DNS alias.",
    promoteWhen: null,
    components: { network, singleBox: { runsDatabase: true }, cdn: {} },
  },
  {
    id: 1,
    name: "users+",
    summary: "Static content moves to S3 and the database to RDS for MariaDB; the box keeps serving the app.",
    promoteWhen: "MySQL taking memory/CPU and disk filling",
    components: {
      network: networkWithSecrets,
      singleBox: { runsDatabase: false },
      staticContent: {},
      database: { multiAz: false, readReplicas: false },
      cdn: {},
    },
  },
  {
    id: 2,
    name: "users++",
    summary: "ALB with read and write app tiers across AZs behind CloudFront, RDS Multi-AZ; the single box retires.",
    promoteWhen: "web server bottlenecks at peak, need redundancy",
    components: {
      network: networkWithSecrets,
      staticContent: {},
      database: { multiAz: true, readReplicas: false },
      appTiers: { autoscaling: false },
      cdn: {},
    },
  },
  {
    id: 3,
    name: "users+++",
    summary: "ElastiCache Redis and RDS read replicas take the read load off the primary.",
    promoteWhen: "read-heavy, database suffers",
    components: {
      network: networkWithSecrets,
      staticContent: {},
      database: { multiAz: true, readReplicas: true },
      appTiers: { autoscaling: false },
      cdn: {},
      cache: {},
    },
  },
  {
    id: 4,
    name: "users++++",
    summary: "Autoscaling per tier on CPU and requests, business-hours schedules, alarms and a dashboard.",
    promoteWhen: "traffic spikes by time of day",
    components: {
      network: networkWithSecrets,
      staticContent: {},
      database: { multiAz: true, readReplicas: true },
      appTiers: { autoscaling: true },
      cdn: {},
      cache: {},
      monitoring: {},
    },
  },
  {
    id: 5,
    name: "users+++++",
    summary: "Queues and workers for async work, upload and archive buckets for old data.",
    promoteWhen: "data and write load outgrow one primary",
    components: {
      network: networkWithQueue,
      staticContent: {},
      database: { multiAz: true, readReplicas: true },
      appTiers: { autoscaling: true },
      cdn: {},
      cache: {},
      monitoring: {},
      queue: {},
      dataLifecycle: {},
    },
  },
] satisfies Stage[]);

/** The valid stage ids, for messages and flag options. */
export const STAGE_IDS: readonly StageId[] = STAGES.map((s) => s.id);

/** True when `value` is a stage id on the ladder. */
export function isStageId(value: unknown): value is StageId {
  return typeof value === "number" && (STAGE_IDS as readonly number[]).includes(value);
}

/** The stage with this id; throws a RangeError naming the valid ids otherwise. */
export function getStage(id: number): Stage {
  const stage = STAGES.find((s) => s.id === id);
  if (!stage) throw new RangeError(`unknown stage ${id}: the stages are ${STAGE_IDS.join(", ")}`);
  return stage;
}
