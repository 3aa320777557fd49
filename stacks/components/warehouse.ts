import * as pulumi from "@pulumi/pulumi";
import * as aws from "@pulumi/aws";
import { checkPhysicalName } from "../names.ts";

/** Arguments of the Warehouse component. */
export interface WarehouseArgs {
  /** The namespace's and workgroup's name prefix, derived from the stack (`<stack>-warehouse`). */
  physicalName: string;
  vpcId: pulumi.Input<string>;
  /** Private subnets in three AZs or more (Redshift Serverless refuses fewer). */
  subnetIds: pulumi.Input<string>[];
  /** The archive bucket the warehouse loads from (read only). */
  archiveBucketArn: pulumi.Input<string>;
  /** Security groups (by tier name) allowed on 5439. @default {} (none: reach it through the query editor) */
  clients?: Record<string, pulumi.Input<string>>;
  /** Redshift processing units at rest. @default 8 (the smallest) */
  baseCapacity?: number;
}

/** Throws an error naming the bad field. */
export function validateWarehouseArgs(args: WarehouseArgs): void {
  checkPhysicalName("Warehouse physicalName", args.physicalName, 64 - "-namespace".length);
  if (args.subnetIds.length < 3) throw new Error(`Warehouse subnetIds needs subnets in 3 AZs (Redshift Serverless refuses fewer), got ${args.subnetIds.length}`);
  const rpu = args.baseCapacity ?? 8;
  if (!Number.isInteger(rpu) || rpu < 8 || rpu % 8 !== 0) throw new Error(`Warehouse baseCapacity must be a multiple of 8 from 8, got ${rpu}`);
}

/**
 * The optional data warehouse for data older than the database keeps (the seed's Redshift): Redshift Serverless in
 * private subnets, not public, encrypted, its admin password managed by Secrets Manager; it reads the archive bucket.
 */
export class Warehouse extends pulumi.ComponentResource {
  readonly workgroupName: pulumi.Output<string>;

  constructor(name: string, args: WarehouseArgs, opts?: pulumi.ComponentResourceOptions) {
    super("scale:aws:Warehouse", name, {}, opts);
    validateWarehouseArgs(args);
    const role = new aws.iam.Role(`${name}-role`, {
      assumeRolePolicy: JSON.stringify({
        Version: "2012-10-17",
        Statement: [{ Effect: "Allow", Principal: { Service: "redshift.amazonaws.com" }, Action: "sts:AssumeRole" }],
      }),
    }, { parent: this });
    new aws.iam.RolePolicy(`${name}-archive`, {
      role: role.name,
      policy: pulumi.jsonStringify({
        Version: "2012-10-17",
        Statement: [{ Effect: "Allow", Action: ["s3:GetObject", "s3:ListBucket"], Resource: [args.archiveBucketArn, pulumi.interpolate`${args.archiveBucketArn}/*`] }],
      }),
    }, { parent: this });
    const sg = new aws.ec2.SecurityGroup(`${name}-sg`, {
      vpcId: args.vpcId, description: "Warehouse: only from the named tiers", egress: [],
    }, { parent: this });
    for (const [tier, client] of Object.entries(args.clients ?? {})) {
      new aws.vpc.SecurityGroupIngressRule(`${name}-from-${tier}`, {
        securityGroupId: sg.id, referencedSecurityGroupId: client, ipProtocol: "tcp", fromPort: 5439, toPort: 5439,
      }, { parent: this });
    }
    const namespace = new aws.redshiftserverless.Namespace(`${name}-namespace`, {
      namespaceName: `${args.physicalName}-namespace`, dbName: "archive", adminUsername: "warehouse_admin", manageAdminPassword: true,
      iamRoles: [role.arn], defaultIamRoleArn: role.arn,
    }, { parent: this, protect: true, retainOnDelete: true });
    const workgroup = new aws.redshiftserverless.Workgroup(`${name}-workgroup`, {
      workgroupName: `${args.physicalName}-workgroup`, namespaceName: namespace.namespaceName, baseCapacity: args.baseCapacity ?? 8,
      subnetIds: args.subnetIds, securityGroupIds: [sg.id], publiclyAccessible: false, enhancedVpcRouting: true,
    }, { parent: this });
    this.workgroupName = workgroup.workgroupName;
    this.registerOutputs({ workgroupName: this.workgroupName });
  }
}
