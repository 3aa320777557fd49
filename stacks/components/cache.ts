import * as pulumi from "@pulumi/pulumi";
import * as aws from "@pulumi/aws";
import { REDIS } from "../../runtime/servers.ts";
import type { Endpoint, SecretRef } from "../../runtime/settings.ts";
import { checkPhysicalName } from "../names.ts";

/** Arguments of the Cache component. */
export interface CacheArgs {
  /** The replication group id, derived from the stack (`<stack>-cache`); its nodes are `<id>-001`, `<id>-002`... */
  replicationGroupId: string;
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
  checkPhysicalName("Cache replicationGroupId", args.replicationGroupId, 40);
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
  /** The member clusters (one per node): CloudWatch publishes the engine's metrics per node, by CacheClusterId. */
  readonly nodeIds: string[];
  /** The primary endpoint as the runtime names it, and the AUTH token's secret. */
  readonly primary: pulumi.Output<Endpoint>;
  readonly authToken: pulumi.Output<SecretRef>;

  constructor(name: string, args: CacheArgs, opts?: pulumi.ComponentResourceOptions) {
    super("scale:aws:Cache", name, {}, opts);
    validateCacheArgs(args);
    const sg = new aws.ec2.SecurityGroup(`${name}-sg`, {
      vpcId: args.vpcId, description: "Redis: only from the app tiers", egress: [],
    }, { parent: this });
    for (const [tier, client] of Object.entries(args.clients)) {
      new aws.vpc.SecurityGroupIngressRule(`${name}-from-${tier}`, {
        securityGroupId: sg.id, referencedSecurityGroupId: client, ipProtocol: "tcp", fromPort: REDIS.port, toPort: REDIS.port,
      }, { parent: this });
    }
    const subnets = new aws.elasticache.SubnetGroup(`${name}-subnets`, { subnetIds: args.subnetIds }, { parent: this });
    const group = new aws.elasticache.ReplicationGroup(`${name}-redis`, {
      replicationGroupId: args.replicationGroupId,
      description: "The app's read cache and sessions",
      engine: "redis",
      engineVersion: REDIS.engineVersion,
      nodeType: args.nodeType ?? "cache.t3.small",
      numCacheClusters: args.nodeCount ?? 2,
      multiAzEnabled: true,
      automaticFailoverEnabled: true,
      atRestEncryptionEnabled: true,
      transitEncryptionEnabled: true,
      authToken: pulumi.secret(args.authToken),
      subnetGroupName: subnets.name,
      securityGroupIds: [sg.id],
      port: REDIS.port,
      snapshotRetentionLimit: 1,
    }, { parent: this });
    this.endpoint = group.primaryEndpointAddress;
    this.replicationGroupId = group.replicationGroupId;
    this.nodeIds = Array.from({ length: args.nodeCount ?? 2 }, (_, i) => `${args.replicationGroupId}-${String(i + 1).padStart(3, "0")}`);
    this.primary = pulumi.all([group.urn, group.primaryEndpointAddress, group.port]).apply(([urn, host, port]) => ({
      host: { urn, output: "primaryEndpointAddress", value: host }, port: { urn, output: "port", value: String(port ?? REDIS.port) },
    }));

    const secret = new aws.secretsmanager.Secret(`${name}-auth`, { description: "Redis AUTH token" }, { parent: this });
    new aws.secretsmanager.SecretVersion(`${name}-auth`, {
      secretId: secret.id, secretString: pulumi.secret(args.authToken),
    }, { parent: this });
    this.authToken = pulumi.all([secret.urn, secret.arn]).apply(([urn, arn]) => ({ urn, arn }));
    this.registerOutputs({ endpoint: this.endpoint });
  }
}
