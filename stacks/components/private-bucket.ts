import * as pulumi from "@pulumi/pulumi";
import * as aws from "@pulumi/aws";

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
}

/** Throws an error naming the bad field. */
export function validatePrivateBucketArgs(args: PrivateBucketArgs): void {
  if (args.transitionAfterDays !== undefined && (!Number.isInteger(args.transitionAfterDays) || args.transitionAfterDays < 1)) {
    throw new Error(`PrivateBucket transitionAfterDays must be a positive integer, got ${args.transitionAfterDays}`);
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

  constructor(name: string, args: PrivateBucketArgs, opts?: pulumi.ComponentResourceOptions) {
    super("scale:aws:PrivateBucket", name, {}, opts);
    validatePrivateBucketArgs(args);
    const bucket = new aws.s3.Bucket(`${name}-bucket`, {
      bucketPrefix: `${name}-`, tags: { "scale:purpose": args.purpose },
    }, { parent: this, protect: true, retainOnDelete: true });
    this.bucketName = bucket.bucket;
    this.arn = bucket.arn;
    this.regionalDomainName = bucket.bucketRegionalDomainName;

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
    if (args.transitionAfterDays !== undefined) {
      new aws.s3.BucketLifecycleConfiguration(`${name}-lifecycle`, {
        bucket: bucket.id,
        rules: [{
          id: "cold-after-age", status: "Enabled", filter: {},
          transitions: [{ days: args.transitionAfterDays, storageClass: args.transitionStorageClass ?? "GLACIER_IR" }],
        }],
      }, { parent: this });
    }
    new aws.s3.BucketPolicy(`${name}-policy`, {
      bucket: bucket.id, policy: bucketPolicy(bucket.arn, args.cloudFrontDistributionArn),
    }, { parent: this, dependsOn: [block] });
    this.registerOutputs({ bucketName: this.bucketName, arn: this.arn });
  }
}

function bucketPolicy(arn: pulumi.Output<string>, distributionArn: pulumi.Input<string | undefined>): pulumi.Output<string> {
  return pulumi.all([arn, distributionArn]).apply(([bucketArn, cdnArn]) => JSON.stringify({
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
    ],
  }));
}
