import * as pulumi from "@pulumi/pulumi";
import * as aws from "@pulumi/aws";
import { alarmTags } from "../alarms.ts";
import { instanceRole } from "./instance-role.ts";

/** Arguments of the SingleBox component. */
export interface SingleBoxArgs {
  vpcId: pulumi.Input<string>;
  /** The public subnet the box lives in (the first AZ's; it never moves). */
  subnetId: pulumi.Input<string>;
  availabilityZone: pulumi.Input<string>;
  /** The VPC's CIDR: the only place the box may open connections to, besides S3. */
  vpcCidr: string;
  /** The S3 gateway endpoint's prefix list, for the box's one way out. */
  s3PrefixListId: pulumi.Input<string>;
  /** EC2 instance type; change it to scale vertically. @default "t3.small" */
  instanceType?: string;
  /** CIDRs allowed on port 22. @default [] (no port 22 at all) */
  sshAllowlist?: readonly string[];
  /** MySQL runs on the box, its data on the data volume (stage 0). */
  runsDatabase: boolean;
  /** Size of the encrypted data volume. @default 50 */
  dataVolumeGiB?: number;
  /** Bucket and key of the app's release archive. */
  artifact: { bucket: string; key: string };
  /** Environment for the app (DATABASE_URL etc.); values may be secret. */
  appEnvironment?: pulumi.Input<Record<string, pulumi.Input<string>>>;
  /** Buckets the box may read and write (static content). @default [] */
  writableBucketArns?: pulumi.Input<string>[];
  /** Secrets the box reads (the database password). @default [] */
  secretArns?: pulumi.Input<string[]>;
  /** Where the box's alarms notify. */
  alarmTopicArn: pulumi.Input<string>;
}

/** Throws an error naming the bad field. */
export function validateSingleBoxArgs(args: SingleBoxArgs): void {
  for (const cidr of args.sshAllowlist ?? []) {
    if (cidr === "0.0.0.0/0") throw new Error("SingleBox sshAllowlist must not contain 0.0.0.0/0");
  }
}

/**
 * The stage-0 box: one EC2 instance in a public subnet with an Elastic IP, MySQL's data on its own encrypted EBS
 * volume (protected, retained on delete), 80/443 open, 22 only from the allowlist, no outbound internet, IMDSv2.
 */
export class SingleBox extends pulumi.ComponentResource {
  readonly publicIp: pulumi.Output<string>;
  readonly securityGroupId: pulumi.Output<string>;
  readonly instanceId: pulumi.Output<string>;

  constructor(name: string, args: SingleBoxArgs, opts?: pulumi.ComponentResourceOptions) {
    super("scale:aws:SingleBox", name, {}, opts);
    validateSingleBoxArgs(args);
    const sg = this.createSecurityGroup(name, args);
    this.securityGroupId = sg.id;
    const profile = instanceRole(this, name, { readBucketArns: [`arn:aws:s3:::${args.artifact.bucket}`],
      writeBucketArns: args.writableBucketArns ?? [], secretArns: args.secretArns });
    const ami = aws.ec2.getAmiOutput({
      mostRecent: true, owners: ["amazon"], filters: [{ name: "name", values: ["al2023-ami-2023.*-x86_64"] }],
    }, { parent: this });

    const instance = new aws.ec2.Instance(`${name}-instance`, {
      ami: ami.id,
      instanceType: args.instanceType ?? "t3.small",
      subnetId: args.subnetId,
      availabilityZone: args.availabilityZone,
      vpcSecurityGroupIds: [sg.id],
      iamInstanceProfile: profile.name,
      associatePublicIpAddress: false,
      metadataOptions: { httpTokens: "required", httpEndpoint: "enabled", httpPutResponseHopLimit: 1 },
      rootBlockDevice: { encrypted: true, volumeType: "gp3", volumeSize: 16 },
      userData: pulumi.output(args.appEnvironment ?? {}).apply((env) => boxUserData(args, env)),
      tags: { Name: name },
    // User data runs at first boot only: a change would just stop and start the one production box. Later settings
    // reach a running box through the guided steps of `scale stage up` (docs/stacks.md).
    }, { parent: this, ignoreChanges: ["ami", "userData"] });
    this.instanceId = instance.id;

    // The volume outlives the instance: resizing the box never touches MySQL's data.
    const volume = new aws.ebs.Volume(`${name}-data`, {
      availabilityZone: args.availabilityZone, size: args.dataVolumeGiB ?? 50, type: "gp3", encrypted: true,
      tags: { Name: `${name}-data`, "scale:holds": args.runsDatabase ? "mysql" : "pre-migration-copy" },
    }, { parent: this, protect: true, retainOnDelete: true });
    new aws.ec2.VolumeAttachment(`${name}-data`, {
      deviceName: "/dev/sdf", volumeId: volume.id, instanceId: instance.id, stopInstanceBeforeDetaching: true,
    }, { parent: this });

    const eip = new aws.ec2.Eip(`${name}-eip`, { domain: "vpc", instance: instance.id, tags: { Name: name } }, { parent: this });
    this.publicIp = eip.publicIp;
    this.createAlarms(name, instance.id, args.alarmTopicArn);
    this.registerOutputs({ publicIp: this.publicIp, instanceId: this.instanceId });
  }

  private createSecurityGroup(name: string, args: SingleBoxArgs): aws.ec2.SecurityGroup {
    const ssh = (args.sshAllowlist ?? []).length === 0 ? [] : [
      { protocol: "tcp", fromPort: 22, toPort: 22, cidrBlocks: [...(args.sshAllowlist ?? [])], description: "SSH from the allowlist" },
    ];
    return new aws.ec2.SecurityGroup(`${name}-sg`, {
      vpcId: args.vpcId,
      description: "Single box: HTTP/HTTPS from anywhere, SSH from the allowlist, no outbound internet",
      ingress: [
        { protocol: "tcp", fromPort: 80, toPort: 80, cidrBlocks: ["0.0.0.0/0"], description: "HTTP" },
        { protocol: "tcp", fromPort: 443, toPort: 443, cidrBlocks: ["0.0.0.0/0"], description: "HTTPS" },
        ...ssh,
      ],
      egress: [
        { protocol: "tcp", fromPort: 443, toPort: 443, prefixListIds: [args.s3PrefixListId], description: "S3 through the gateway endpoint" },
        { protocol: "tcp", fromPort: 0, toPort: 65535, cidrBlocks: [args.vpcCidr], description: "inside the VPC only" },
      ],
    }, { parent: this });
  }

  private createAlarms(name: string, instanceId: pulumi.Output<string>, topicArn: pulumi.Input<string>): void {
    const common = { namespace: "AWS/EC2", dimensions: { InstanceId: instanceId }, alarmActions: [topicArn], okActions: [topicArn] };
    new aws.cloudwatch.MetricAlarm(`${name}-cpu-high`, {
      ...common, metricName: "CPUUtilization", statistic: "Average", period: 300, evaluationPeriods: 2,
      threshold: 80, comparisonOperator: "GreaterThanThreshold", tags: alarmTags("box-cpu-high"),
      alarmDescription: "The single box's CPU is above 80% for 10 minutes: scale vertically or promote.",
    }, { parent: this });
    new aws.cloudwatch.MetricAlarm(`${name}-status-check`, {
      ...common, metricName: "StatusCheckFailed", statistic: "Maximum", period: 60, evaluationPeriods: 2,
      threshold: 0, comparisonOperator: "GreaterThanThreshold", tags: alarmTags("box-status-check-failed"),
      alarmDescription: "The single box failed an EC2 status check.",
    }, { parent: this });
  }
}

// Packages come from Amazon Linux's own repositories (in S3, through the gateway endpoint), the app from our bucket.
function boxUserData(args: SingleBoxArgs, env: Record<string, string>): string {
  const mount = args.runsDatabase ? "/var/lib/mysql" : "/srv/previous-data";
  const envLines = Object.entries(env).map(([k, v]) => `${k}=${v}`).join("\n");
  return [
    "#!/bin/bash",
    "set -euo pipefail",
    `dnf install -y nodejs20 ${args.runsDatabase ? "mariadb105-server" : ""}`.trimEnd(),
    "dev=/dev/nvme1n1; [ -e \"$dev\" ] || dev=/dev/sdf",
    "blkid \"$dev\" || mkfs.xfs \"$dev\"",
    `mkdir -p ${mount} && echo "$dev ${mount} xfs defaults,nofail 0 2" >> /etc/fstab && mount -a`,
    ...(args.runsDatabase ? ["chown -R mysql:mysql /var/lib/mysql", "systemctl enable --now mariadb"] : []),
    `aws s3 cp s3://${args.artifact.bucket}/${args.artifact.key} /tmp/app.tgz`,
    "mkdir -p /opt/app && tar -xzf /tmp/app.tgz -C /opt/app",
    `cat > /etc/scale-app.env <<'ENV'\nPORT=80\n${envLines}\nENV`,
    "systemctl enable --now /opt/app/deploy/scale-app.service",
  ].join("\n");
}
