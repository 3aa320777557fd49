import * as pulumi from "@pulumi/pulumi";
import * as aws from "@pulumi/aws";
import { ADMIN_DATABASE_USER, DATABASE_NAME, MARIADB } from "../../runtime/servers.ts";
import type { Endpoint, SecretRef } from "../../runtime/settings.ts";
import { checkPhysicalName } from "../names.ts";

/** Arguments of the Database component. */
export interface DatabaseArgs {
  /** The physical name every instance's identifier starts with (derived from the stack: `<stack>-db`). */
  identifier: string;
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

/** The longest suffix an identifier gets (`-primary-final`), within RDS's 63 characters. */
const LONGEST_SUFFIX = "-primary-final".length;

/** Throws an error naming the bad field. */
export function validateDatabaseArgs(args: DatabaseArgs): void {
  checkPhysicalName("Database identifier", args.identifier, 63 - LONGEST_SUFFIX);
  if (args.subnetIds.length < 2) throw new Error(`Database subnetIds needs subnets in 2 AZs, got ${args.subnetIds.length}`);
  const replicas = args.replicaCount ?? 0;
  if (!Number.isInteger(replicas) || replicas < 0 || replicas > 5) throw new Error(`Database replicaCount must be 0-5, got ${replicas}`);
}

/**
 * RDS for MariaDB (the major the box and the tests run): an encrypted primary in private subnets (protected, deletion
 * protection, final snapshot, 7-day backups, TLS required, master password managed by Secrets Manager), optionally
 * Multi-AZ, plus N read replicas in different AZs; and the application user's password in a secret of its own.
 */
export class Database extends pulumi.ComponentResource {
  readonly endpoint: pulumi.Output<string>;
  readonly replicaEndpoints: pulumi.Output<string>[];
  readonly primaryIdentifier: pulumi.Output<string>;
  readonly replicaIdentifiers: pulumi.Output<string>[];
  /** The primary and the replicas as the runtime names them (URN, attribute, value). */
  readonly primary: pulumi.Output<Endpoint>;
  readonly replicas: pulumi.Output<Endpoint>[];
  /** The master user's secret (RDS-managed, rotated by RDS): the migration step's only. */
  readonly master: pulumi.Output<SecretRef>;
  /** The application user's password: what every server connects with. */
  readonly appPassword: pulumi.Output<SecretRef>;
  readonly securityGroupId: pulumi.Output<string>;

  constructor(name: string, args: DatabaseArgs, opts?: pulumi.ComponentResourceOptions) {
    super("scale:aws:Database", name, {}, opts);
    validateDatabaseArgs(args);
    const sg = new aws.ec2.SecurityGroup(`${name}-sg`, {
      vpcId: args.vpcId, description: "MariaDB: only from the web and app tiers", egress: [],
    }, { parent: this });
    this.securityGroupId = sg.id;
    for (const [tier, client] of Object.entries(args.clients)) {
      new aws.vpc.SecurityGroupIngressRule(`${name}-from-${tier}`, {
        securityGroupId: sg.id, referencedSecurityGroupId: client, ipProtocol: "tcp", fromPort: MARIADB.port, toPort: MARIADB.port,
      }, { parent: this });
    }
    const subnets = new aws.rds.SubnetGroup(`${name}-subnets`, { subnetIds: args.subnetIds }, { parent: this });
    const params = new aws.rds.ParameterGroup(`${name}-params`, {
      family: MARIADB.parameterFamily,
      parameters: [
        { name: "require_secure_transport", value: "ON" },
        // Row events replicate exactly what the primary wrote (RDS's default is MIXED). MariaDB gives every
        // transaction a GTID whatever the format, which read-your-writes waits for on the replicas.
        { name: "binlog_format", value: "ROW" },
      ],
    }, { parent: this });

    const primary = new aws.rds.Instance(`${name}-primary`, {
      identifier: `${args.identifier}-primary`,
      engine: "mariadb",
      engineVersion: MARIADB.engineVersion,
      instanceClass: args.instanceClass ?? "db.t3.medium",
      allocatedStorage: args.storageGiB ?? 50,
      maxAllocatedStorage: args.maxStorageGiB ?? 500,
      storageType: "gp3",
      storageEncrypted: true,
      dbName: DATABASE_NAME,
      username: ADMIN_DATABASE_USER,
      manageMasterUserPassword: true,
      dbSubnetGroupName: subnets.name,
      parameterGroupName: params.name,
      vpcSecurityGroupIds: [sg.id],
      publiclyAccessible: false,
      multiAz: args.multiAz ?? false,
      backupRetentionPeriod: 7,
      deletionProtection: true,
      skipFinalSnapshot: false,
      finalSnapshotIdentifier: `${args.identifier}-primary-final`,
      copyTagsToSnapshot: true,
      autoMinorVersionUpgrade: true,
      // Stage moves change Multi-AZ: applied now, so the move's checks see the standby, not a pending change.
      applyImmediately: true,
    }, { parent: this, protect: true, retainOnDelete: true });
    this.endpoint = primary.address;
    this.primaryIdentifier = primary.identifier;
    this.primary = endpointOf(primary);
    this.master = pulumi.all([primary.urn, primary.masterUserSecrets]).apply(([urn, secrets]) => ({
      urn, ...(secrets[0]?.secretArn ? { arn: secrets[0].secretArn } : {}), field: "password",
    }));

    // Replicas hold no data of their own: the primary rebuilds them, so they are neither protected nor retained.
    const replicas = Array.from({ length: args.replicaCount ?? 0 }, (_, i) => new aws.rds.Instance(`${name}-replica-${i + 1}`, {
      identifier: `${args.identifier}-replica-${i + 1}`,
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
      applyImmediately: true,
    }, { parent: this }));
    this.replicaEndpoints = replicas.map((r) => r.address);
    this.replicaIdentifiers = replicas.map((r) => r.identifier);
    this.replicas = replicas.map(endpointOf);
    this.appPassword = this.createAppPassword(name);
    this.registerOutputs({ endpoint: this.endpoint, replicaEndpoints: this.replicaEndpoints });
  }

  /**
   * The application user's password, generated by Secrets Manager and written once (a write-only input, marked
   * secret: never in the plan, encrypted in state). The migration step sets the user's password from the secret.
   */
  private createAppPassword(name: string): pulumi.Output<SecretRef> {
    const secret = new aws.secretsmanager.Secret(`${name}-app-password`, {
      description: "The application database user's password (the migration step sets it on the database)",
    }, { parent: this });
    const generated = aws.secretsmanager.getRandomPasswordOutput({ passwordLength: 32, excludePunctuation: true }, { parent: this });
    new aws.secretsmanager.SecretVersion(`${name}-app-password`, {
      secretId: secret.id,
      secretStringWo: pulumi.secret(generated.randomPassword),
      // Bump to set a new password (the next `pulumi up` writes a fresh one; the migration step applies it).
      secretStringWoVersion: 1,
    }, { parent: this });
    return pulumi.all([secret.urn, secret.arn]).apply(([urn, arn]) => ({ urn, arn }));
  }
}

function endpointOf(instance: aws.rds.Instance): pulumi.Output<Endpoint> {
  return pulumi.all([instance.urn, instance.address, instance.port]).apply(([urn, address, port]) => ({
    host: { urn, output: "address", value: address }, port: { urn, output: "port", value: String(port) },
  }));
}
