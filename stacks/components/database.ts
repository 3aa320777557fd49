import * as pulumi from "@pulumi/pulumi";
import * as aws from "@pulumi/aws";

/** Arguments of the Database component. */
export interface DatabaseArgs {
  vpcId: pulumi.Input<string>;
  /** Private subnets in at least two AZs. */
  subnetIds: pulumi.Input<string>[];
  /** AZs for the read replicas, one each in turn. */
  availabilityZones: pulumi.Input<string>[];
  /** Security groups (by tier name) allowed to connect on 3306; nothing else can. */
  clients: Record<string, pulumi.Input<string>>;
  /** RDS instance class. @default "db.t3.medium" */
  instanceClass?: string;
  /** Allocated storage in GiB. @default 50 */
  storageGiB?: number;
  /** Storage autoscaling ceiling in GiB. @default 500 */
  maxStorageGiB?: number;
  /** A standby in another AZ. @default false */
  multiAz?: boolean;
  /** Number of read replicas. @default 0 */
  replicaCount?: number;
}

/** Throws an error naming the bad field. */
export function validateDatabaseArgs(args: DatabaseArgs): void {
  if (args.subnetIds.length < 2) throw new Error(`Database subnetIds needs subnets in 2 AZs, got ${args.subnetIds.length}`);
  const replicas = args.replicaCount ?? 0;
  if (!Number.isInteger(replicas) || replicas < 0 || replicas > 5) throw new Error(`Database replicaCount must be 0-5, got ${replicas}`);
}

/**
 * RDS MySQL: an encrypted primary in private subnets (protected, deletion protection, final snapshot, 7-day backups,
 * TLS required, password managed by Secrets Manager), optionally Multi-AZ, plus N read replicas in different AZs.
 */
export class Database extends pulumi.ComponentResource {
  readonly endpoint: pulumi.Output<string>;
  readonly replicaEndpoints: pulumi.Output<string>[];
  readonly primaryIdentifier: pulumi.Output<string>;
  readonly replicaIdentifiers: pulumi.Output<string>[];
  readonly passwordSecretArn: pulumi.Output<string>;
  readonly securityGroupId: pulumi.Output<string>;

  constructor(name: string, args: DatabaseArgs, opts?: pulumi.ComponentResourceOptions) {
    super("scale:aws:Database", name, {}, opts);
    validateDatabaseArgs(args);
    const sg = new aws.ec2.SecurityGroup(`${name}-sg`, {
      vpcId: args.vpcId, description: "MySQL: only from the web and app tiers", egress: [],
    }, { parent: this });
    this.securityGroupId = sg.id;
    for (const [tier, client] of Object.entries(args.clients)) {
      new aws.vpc.SecurityGroupIngressRule(`${name}-from-${tier}`, {
        securityGroupId: sg.id, referencedSecurityGroupId: client, ipProtocol: "tcp", fromPort: 3306, toPort: 3306,
      }, { parent: this });
    }
    const subnets = new aws.rds.SubnetGroup(`${name}-subnets`, { subnetIds: args.subnetIds }, { parent: this });
    const params = new aws.rds.ParameterGroup(`${name}-params`, {
      family: "mysql8.0",
      parameters: [{ name: "require_secure_transport", value: "ON" }],
    }, { parent: this });

    const primary = new aws.rds.Instance(`${name}-primary`, {
      identifier: `${name}-primary`,
      engine: "mysql",
      engineVersion: "8.0",
      instanceClass: args.instanceClass ?? "db.t3.medium",
      allocatedStorage: args.storageGiB ?? 50,
      maxAllocatedStorage: args.maxStorageGiB ?? 500,
      storageType: "gp3",
      storageEncrypted: true,
      dbName: "app",
      username: "app_admin",
      manageMasterUserPassword: true,
      dbSubnetGroupName: subnets.name,
      parameterGroupName: params.name,
      vpcSecurityGroupIds: [sg.id],
      publiclyAccessible: false,
      multiAz: args.multiAz ?? false,
      backupRetentionPeriod: 7,
      deletionProtection: true,
      skipFinalSnapshot: false,
      finalSnapshotIdentifier: `${name}-primary-final`,
      copyTagsToSnapshot: true,
      autoMinorVersionUpgrade: true,
      applyImmediately: false,
    }, { parent: this, protect: true, retainOnDelete: true });
    this.endpoint = primary.address;
    this.primaryIdentifier = primary.identifier;
    this.passwordSecretArn = primary.masterUserSecrets.apply((s) => s[0]?.secretArn ?? "");

    // Replicas hold no data of their own: the primary rebuilds them, so they are neither protected nor retained.
    const replicas = Array.from({ length: args.replicaCount ?? 0 }, (_, i) => new aws.rds.Instance(`${name}-replica-${i + 1}`, {
      identifier: `${name}-replica-${i + 1}`,
      replicateSourceDb: primary.identifier,
      instanceClass: args.instanceClass ?? "db.t3.medium",
      availabilityZone: args.availabilityZones[(i + 1) % args.availabilityZones.length],
      storageEncrypted: true,
      parameterGroupName: params.name,
      vpcSecurityGroupIds: [sg.id],
      publiclyAccessible: false,
      skipFinalSnapshot: true,
      deletionProtection: false,
      autoMinorVersionUpgrade: true,
    }, { parent: this }));
    this.replicaEndpoints = replicas.map((r) => r.address);
    this.replicaIdentifiers = replicas.map((r) => r.identifier);
    this.registerOutputs({ endpoint: this.endpoint, replicaEndpoints: this.replicaEndpoints });
  }
}
