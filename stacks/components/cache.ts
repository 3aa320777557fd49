import * as pulumi from "@pulumi/pulumi";
import * as aws from "@pulumi/aws";

/** Arguments of the Cache component. */
export interface CacheArgs {
  vpcId: pulumi.Input<string>;
  /** Private subnets in at least two AZs. */
  subnetIds: pulumi.Input<string>[];
  /** Security groups (by tier name) allowed on 6379; nothing else can. */
  clients: Record<string, pulumi.Input<string>>;
  /** ElastiCache node type. @default "cache.t3.small" */
  nodeType?: string;
  /** Nodes: one primary plus replicas in other AZs. @default 2 */
  nodeCount?: number;
  /** The AUTH token, a Pulumi secret. */
  authToken: pulumi.Input<string>;
}

/** Throws an error naming the bad field. */
export function validateCacheArgs(args: CacheArgs): void {
  const nodes = args.nodeCount ?? 2;
  if (!Number.isInteger(nodes) || nodes < 2 || nodes > 6) throw new Error(`Cache nodeCount must be 2-6 for Multi-AZ failover, got ${nodes}`);
}

/**
 * ElastiCache Redis: a replication group across AZs with automatic failover, encryption at rest and in transit and an
 * AUTH token kept in Secrets Manager (the servers read it there; it never lands in user data).
 */
export class Cache extends pulumi.ComponentResource {
  readonly endpoint: pulumi.Output<string>;
  readonly replicationGroupId: pulumi.Output<string>;
  readonly authSecretArn: pulumi.Output<string>;

  constructor(name: string, args: CacheArgs, opts?: pulumi.ComponentResourceOptions) {
    super("scale:aws:Cache", name, {}, opts);
    validateCacheArgs(args);
    const sg = new aws.ec2.SecurityGroup(`${name}-sg`, {
      vpcId: args.vpcId, description: "Redis: only from the app tiers", egress: [],
    }, { parent: this });
    for (const [tier, client] of Object.entries(args.clients)) {
      new aws.vpc.SecurityGroupIngressRule(`${name}-from-${tier}`, {
        securityGroupId: sg.id, referencedSecurityGroupId: client, ipProtocol: "tcp", fromPort: 6379, toPort: 6379,
      }, { parent: this });
    }
    const subnets = new aws.elasticache.SubnetGroup(`${name}-subnets`, { subnetIds: args.subnetIds }, { parent: this });
    const group = new aws.elasticache.ReplicationGroup(`${name}-redis`, {
      replicationGroupId: `${name}-redis`,
      description: "The app's read cache and sessions",
      engine: "redis",
      engineVersion: "7.1",
      nodeType: args.nodeType ?? "cache.t3.small",
      numCacheClusters: args.nodeCount ?? 2,
      multiAzEnabled: true,
      automaticFailoverEnabled: true,
      atRestEncryptionEnabled: true,
      transitEncryptionEnabled: true,
      authToken: pulumi.secret(args.authToken),
      subnetGroupName: subnets.name,
      securityGroupIds: [sg.id],
      port: 6379,
      snapshotRetentionLimit: 1,
    }, { parent: this });
    this.endpoint = group.primaryEndpointAddress;
    this.replicationGroupId = group.replicationGroupId;

    const secret = new aws.secretsmanager.Secret(`${name}-auth`, { description: "Redis AUTH token" }, { parent: this });
    new aws.secretsmanager.SecretVersion(`${name}-auth`, {
      secretId: secret.id, secretString: pulumi.secret(args.authToken),
    }, { parent: this });
    this.authSecretArn = secret.arn;
    this.registerOutputs({ endpoint: this.endpoint });
  }
}
