import * as pulumi from "@pulumi/pulumi";
import * as aws from "@pulumi/aws";
import type { Attribute } from "../../runtime/settings.ts";

/** Arguments of the PrivateBucket component. */
export interface PrivateBucketArgs {
  /** What the bucket holds, for its tags. */
  purpose: string;
  /** Move objects to colder storage after this many days. @default undefined (never) */
  transitionAfterDays?: number;
  /** The storage class objects move to. @default "GLACIER_IR" */
  transitionStorageClass?: string;
  /**
   * "kms" (AWS managed key) or "s3" (SSE-S3). CloudFront's origin access control cannot decrypt objects under the
   * AWS managed KMS key, so a bucket CloudFront serves uses "s3". @default "kms"
   */
  encryption?: "kms" | "s3";
  /** A CloudFront distribution (ARN) allowed to read through origin access control. @default undefined (none) */
  cloudFrontDistributionArn?: pulumi.Input<string | undefined>;
  /** Delete objects after this many days (logs). @default undefined (never) */
  expireAfterDays?: number;
  /**
   * The region's Elastic Load Balancing account (ARN), allowed to write access logs under `alb/`. ALB access logs
   * support SSE-S3 only, so a log bucket uses `encryption: "s3"`. @default undefined (none)
   */
  elbLogDeliveryArn?: pulumi.Input<string>;
}

/** Storage classes S3 lets objects enter only after 30 days in Standard. */
const THIRTY_DAY_CLASSES = ["STANDARD_IA", "ONEZONE_IA"];

/** Throws an error naming the bad field. */
export function validatePrivateBucketArgs(args: PrivateBucketArgs): void {
  for (const field of ["transitionAfterDays", "expireAfterDays"] as const) {
    const days = args[field];
    if (days !== undefined && (!Number.isInteger(days) || days < 1)) throw new Error(`PrivateBucket ${field} must be a positive integer, got ${days}`);
  }
  const storageClass = args.transitionStorageClass ?? "GLACIER_IR";
  if (args.transitionAfterDays !== undefined && THIRTY_DAY_CLASSES.includes(storageClass) && args.transitionAfterDays < 30) {
    throw new Error(`PrivateBucket transitionAfterDays must be 30 or more for ${storageClass} (S3 refuses an earlier transition), got ${args.transitionAfterDays}`);
  }
  if (args.elbLogDeliveryArn !== undefined && args.encryption !== "s3") {
    throw new Error(`PrivateBucket encryption must be "s3" to receive load balancer logs (they support SSE-S3 only), got ${JSON.stringify(args.encryption ?? "kms")}`);
  }
}

/**
 * An S3 bucket that holds data: encrypted, versioned, every public access blocked, TLS-only, objects owned by the
 * bucket owner. The bucket is protected and retained on delete: leaving a stage never destroys its objects.
 */
export class PrivateBucket extends pulumi.ComponentResource {
  readonly bucketName: pulumi.Output<string>;
  readonly arn: pulumi.Output<string>;
  readonly regionalDomainName: pulumi.Output<string>;
  /** The bucket's name once its policy is in place (what a writer such as the ALB's log delivery must wait for). */
  readonly readyBucketName: pulumi.Output<string>;
  /** The bucket's name as the runtime names it (the bucket's URN and output). */
  readonly nameAttribute: pulumi.Output<Attribute>;

  constructor(name: string, args: PrivateBucketArgs, opts?: pulumi.ComponentResourceOptions) {
    super("scale:aws:PrivateBucket", name, {}, opts);
    validatePrivateBucketArgs(args);
    const bucket = new aws.s3.Bucket(`${name}-bucket`, {
      bucketPrefix: `${name}-`, tags: { "scale:purpose": args.purpose },
    }, { parent: this, protect: true, retainOnDelete: true });
    this.bucketName = bucket.bucket;
    this.arn = bucket.arn;
    this.regionalDomainName = bucket.bucketRegionalDomainName;
    this.nameAttribute = pulumi.all([bucket.urn, bucket.bucket]).apply(([urn, value]) => ({ urn, output: "bucket", value }));

    const block = new aws.s3.BucketPublicAccessBlock(`${name}-public-access`, {
      bucket: bucket.id, blockPublicAcls: true, blockPublicPolicy: true, ignorePublicAcls: true, restrictPublicBuckets: true,
    }, { parent: this });
    new aws.s3.BucketOwnershipControls(`${name}-ownership`, {
      bucket: bucket.id, rule: { objectOwnership: "BucketOwnerEnforced" },
    }, { parent: this });
    new aws.s3.BucketServerSideEncryptionConfiguration(`${name}-encryption`, {
      bucket: bucket.id,
      rules: [{
        applyServerSideEncryptionByDefault: { sseAlgorithm: args.encryption === "s3" ? "AES256" : "aws:kms" },
        bucketKeyEnabled: args.encryption !== "s3",
      }],
    }, { parent: this });
    new aws.s3.BucketVersioning(`${name}-versioning`, {
      bucket: bucket.id, versioningConfiguration: { status: "Enabled" },
    }, { parent: this });
    const rules = [
      ...(args.transitionAfterDays === undefined ? [] : [{
        id: "cold-after-age", status: "Enabled", filter: {},
        transitions: [{ days: args.transitionAfterDays, storageClass: args.transitionStorageClass ?? "GLACIER_IR" }],
      }]),
      ...(args.expireAfterDays === undefined ? [] : [{
        id: "expire-after-age", status: "Enabled", filter: {},
        expiration: { days: args.expireAfterDays }, noncurrentVersionExpiration: { noncurrentDays: 1 },
      }]),
    ];
    if (rules.length > 0) new aws.s3.BucketLifecycleConfiguration(`${name}-lifecycle`, { bucket: bucket.id, rules }, { parent: this });
    const policy = new aws.s3.BucketPolicy(`${name}-policy`, {
      bucket: bucket.id, policy: bucketPolicy(bucket.arn, args.cloudFrontDistributionArn, args.elbLogDeliveryArn),
    }, { parent: this, dependsOn: [block] });
    this.readyBucketName = pulumi.all([bucket.bucket, policy.id]).apply(([b]) => b);
    this.registerOutputs({ bucketName: this.bucketName, arn: this.arn });
  }
}

function bucketPolicy(arn: pulumi.Output<string>, distributionArn: pulumi.Input<string | undefined>, elbArn: pulumi.Input<string> | undefined): pulumi.Output<string> {
  return pulumi.all([arn, distributionArn, elbArn]).apply(([bucketArn, cdnArn, elbAccount]) => JSON.stringify({
    Version: "2012-10-17",
    Statement: [
      {
        Sid: "DenyInsecureTransport", Effect: "Deny", Principal: "*", Action: "s3:*",
        Resource: [bucketArn, `${bucketArn}/*`], Condition: { Bool: { "aws:SecureTransport": "false" } },
      },
      ...(cdnArn === undefined ? [] : [{
        Sid: "CloudFrontReadsThroughOriginAccessControl", Effect: "Allow",
        Principal: { Service: "cloudfront.amazonaws.com" }, Action: "s3:GetObject", Resource: `${bucketArn}/*`,
        Condition: { StringEquals: { "AWS:SourceArn": cdnArn } },
      }]),
      ...(elbAccount === undefined ? [] : [{
        Sid: "LoadBalancerAccessLogs", Effect: "Allow", Principal: { AWS: elbAccount }, Action: "s3:PutObject", Resource: `${bucketArn}/alb/*`,
      }]),
    ],
  }));
}
