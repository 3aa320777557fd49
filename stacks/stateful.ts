/**
 * Which resources hold data, and which input changes replace a resource. The provider plugin (which knows
 * replacement exactly) is not available offline, so these lists are kept by hand from the provider's schema.
 */
// Kept free of Pulumi imports: the transition guard and the CLI load this file without loading the SDK.

/** Inputs whose change replaces an RDS instance (and so loses the primary's data). */
export const RDS_REPLACE_INPUTS = ["identifier", "identifierPrefix", "engine", "dbName", "username", "storageEncrypted",
  "kmsKeyId", "availabilityZone", "dbSubnetGroupName", "characterSetName", "snapshotIdentifier"] as const;

/** The minimal view of a planned resource these rules need. */
export interface ResourceView {
  type: string;
  inputs: Record<string, unknown>;
}

const REPLACE_INPUTS: Readonly<Record<string, readonly string[]>> = {
  "aws:rds/instance:Instance": RDS_REPLACE_INPUTS,
  "aws:s3/bucket:Bucket": ["bucket", "bucketPrefix", "objectLockEnabled"],
  "aws:ebs/volume:Volume": ["availabilityZone", "encrypted", "kmsKeyId", "snapshotId", "outpostArn"],
  // A new family (mysql8.0 -> mariadb10.11) is a new parameter group; the instance then moves to it in place.
  "aws:rds/parameterGroup:ParameterGroup": ["family", "name", "namePrefix", "description"],
  "aws:elasticache/replicationGroup:ReplicationGroup": ["replicationGroupId", "subnetGroupName", "atRestEncryptionEnabled", "engine"],
  "aws:redshiftserverless/namespace:Namespace": ["namespaceName", "kmsKeyId", "dbName", "adminUsername"],
  "aws:redshiftserverless/workgroup:Workgroup": ["workgroupName", "namespaceName"],
  "aws:cloudwatch/dashboard:Dashboard": ["dashboardName"],
  "aws:secretsmanager/secret:Secret": ["name", "namePrefix", "kmsKeyId"],
  "aws:lb/loadBalancer:LoadBalancer": ["name", "namePrefix", "internal", "loadBalancerType"],
  "aws:sqs/queue:Queue": ["name", "namePrefix", "fifoQueue"],
  "aws:ec2/instance:Instance": ["availabilityZone", "subnetId", "privateIp", "tenancy", "userDataReplaceOnChange"],
  "aws:ec2/subnet:Subnet": ["vpcId", "cidrBlock", "availabilityZone"],
  "aws:ec2/vpc:Vpc": ["cidrBlock"],
  "aws:ec2/securityGroup:SecurityGroup": ["vpcId", "name", "namePrefix", "description"],
  "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule": ["securityGroupId", "referencedSecurityGroupId", "ipProtocol", "fromPort", "toPort", "cidrIpv4"],
};

/** The inputs whose change replaces a resource of this type (empty when unknown). */
export function replaceTriggers(type: string): readonly string[] {
  return REPLACE_INPUTS[type] ?? [];
}

/**
 * True when the resource holds data that cannot be rebuilt: an RDS primary (a replica is rebuilt from it), a
 * bucket, the single box's data volume, the warehouse's namespace, a job queue (its jobs are work not yet done).
 */
export function isStateful(r: ResourceView): boolean {
  switch (r.type) {
    case "aws:rds/instance:Instance": return r.inputs.replicateSourceDb === undefined;
    case "aws:s3/bucket:Bucket":
    case "aws:ebs/volume:Volume":
    case "aws:redshiftserverless/namespace:Namespace":
    case "aws:sqs/queue:Queue": return true;
    default: return false;
  }
}

/**
 * True when AWS refuses to delete the resource until its deletion protection is lifted (the ALB). A move that drops
 * one must lift it first, after traffic is off it: Pulumi's delete fails otherwise, late in the update.
 */
export function isDeletionProtected(r: ResourceView): boolean {
  return r.type === "aws:lb/loadBalancer:LoadBalancer" && r.inputs.enableDeletionProtection === true;
}
