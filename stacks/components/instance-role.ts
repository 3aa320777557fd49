import * as pulumi from "@pulumi/pulumi";
import * as aws from "@pulumi/aws";

/** What an instance role may touch: nothing beyond these. */
export interface InstanceRoleGrants {
  /** Buckets whose objects the instances read. */
  readBucketArns: pulumi.Input<string>[];
  /** Buckets whose objects the instances read and write. @default [] */
  writeBucketArns?: pulumi.Input<string>[];
  /** Secrets (ARNs) the instances read; "" entries are skipped. @default [] */
  secretArns?: pulumi.Input<string[]>;
  /** SQS queues (ARNs) the instances send to and receive from. @default [] */
  queueArns?: pulumi.Input<string>[];
}

/**
 * A least-privilege role and instance profile for EC2 instances, as children of `parent`: SSM for shell access
 * without SSH, and exactly the buckets, secrets and queues granted.
 */
export function instanceRole(parent: pulumi.Resource, name: string, grants: InstanceRoleGrants): aws.iam.InstanceProfile {
  const role = new aws.iam.Role(`${name}-role`, {
    assumeRolePolicy: JSON.stringify({
      Version: "2012-10-17",
      Statement: [{ Effect: "Allow", Principal: { Service: "ec2.amazonaws.com" }, Action: "sts:AssumeRole" }],
    }),
  }, { parent });
  new aws.iam.RolePolicyAttachment(`${name}-ssm`, {
    role: role.name, policyArn: "arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore",
  }, { parent });
  new aws.iam.RolePolicy(`${name}-access`, { role: role.name, policy: accessPolicy(grants) }, { parent });
  return new aws.iam.InstanceProfile(`${name}-profile`, { role: role.name }, { parent });
}

function accessPolicy(grants: InstanceRoleGrants): pulumi.Output<string> {
  return pulumi.all([
    pulumi.all(grants.readBucketArns), pulumi.all(grants.writeBucketArns ?? []),
    pulumi.output(grants.secretArns ?? []), pulumi.all(grants.queueArns ?? []),
  ]).apply(([read, write, secrets, queues]) => {
    const objects = (arns: string[]) => arns.map((arn) => `${arn}/*`);
    // IAM refuses a statement without resources: only grants that name something become statements.
    const statements = [
      { Effect: "Allow", Action: ["s3:GetObject"], Resource: objects(read) },
      { Effect: "Allow", Action: ["s3:GetObject", "s3:PutObject", "s3:DeleteObject"], Resource: objects(write) },
      { Effect: "Allow", Action: ["secretsmanager:GetSecretValue"], Resource: secrets.filter((arn) => arn !== "") },
      {
        Effect: "Allow",
        Action: ["sqs:SendMessage", "sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:ChangeMessageVisibility", "sqs:GetQueueAttributes"],
        Resource: queues,
      },
    ].filter((statement) => statement.Resource.length > 0);
    return JSON.stringify({ Version: "2012-10-17", Statement: statements });
  });
}
