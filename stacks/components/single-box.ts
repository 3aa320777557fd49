import * as pulumi from "@pulumi/pulumi";
import * as aws from "@pulumi/aws";
import { alarmTags } from "../alarms.ts";
import { APP_PORT, MARIADB } from "../../runtime/servers.ts";
import { secretArnsOf, type Endpoint } from "../../runtime/settings.ts";
import type { TierRuntime } from "../../runtime/sources.ts";
import { bootUserData, type Release } from "../user-data.ts";
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
  /** CloudFront's origin-facing prefix list: the only source allowed on the app's port. */
  cloudFrontPrefixListId: pulumi.Input<string>;
  /** EC2 instance type; change it to scale vertically. @default "t3.small" */
  instanceType?: string;
  /** CIDRs allowed on port 22. @default [] (no port 22 at all) */
  sshAllowlist?: readonly string[];
  /** MariaDB runs on the box, its data on the data volume (stage 0). */
  runsDatabase: boolean;
  /** Size of the encrypted data volume. @default 50 */
  dataVolumeGiB?: number;
  /** The release the box runs. */
  release: Release;
  region: pulumi.Input<string>;
  /** The box's runtime (server form: outputs concrete, secrets as ARNs); its secrets are what the role may read. */
  runtime: pulumi.Input<TierRuntime>;
  /** Buckets the box may read and write (static content). @default [] */
  writableBucketArns?: pulumi.Input<string>[];
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
 * The stage-0 box: one EC2 instance in a public subnet with an Elastic IP (CloudFront's origin, and SSH from the
 * allowlist), MariaDB's data on its own encrypted EBS volume (protected, retained on delete), the app's port open to
 * CloudFront only, no outbound internet, IMDSv2.
 */
export class SingleBox extends pulumi.ComponentResource {
  readonly publicIp: pulumi.Output<string>;
  /** The Elastic IP's public DNS name: CloudFront's origin (an origin must be a name, not an address). */
  readonly publicDns: pulumi.Output<string>;
  readonly securityGroupId: pulumi.Output<string>;
  readonly instanceId: pulumi.Output<string>;
  /** The box's own MariaDB (when it runs one), as the runtime names it: this component's URN, 127.0.0.1:3306. */
  readonly databaseEndpoint: pulumi.Output<Endpoint> | undefined;

  constructor(name: string, args: SingleBoxArgs, opts?: pulumi.ComponentResourceOptions) {
    super("scale:aws:SingleBox", name, {}, opts);
    validateSingleBoxArgs(args);
    const sgs = this.createSecurityGroups(name, args);
    this.securityGroupId = sgs[0]!.id;
    const profile = instanceRole(this, name, {
      readBucketArns: [`arn:aws:s3:::${args.release.bucket}`], writeBucketArns: args.writableBucketArns ?? [],
      secretArns: pulumi.output(args.runtime).apply(secretArnsOf),
    });
    const ami = aws.ec2.getAmiOutput({
      mostRecent: true, owners: ["amazon"], filters: [{ name: "name", values: ["al2023-ami-2023.*-x86_64"] }],
    }, { parent: this });

    // The volume outlives the instance: resizing the box never touches the database's data.
    const mount = args.runsDatabase ? "/var/lib/mysql" : "/srv/previous-data";
    const volume = new aws.ebs.Volume(`${name}-data`, {
      availabilityZone: args.availabilityZone, size: args.dataVolumeGiB ?? 50, type: "gp3", encrypted: true,
      tags: { Name: `${name}-data`, "scale:holds": args.runsDatabase ? "mariadb" : "pre-migration-copy" },
    }, { parent: this, protect: true, retainOnDelete: true });

    const tags = { Name: name, "scale:tier": "box", "scale:release": args.release.version };
    const instance = new aws.ec2.Instance(`${name}-instance`, {
      ami: ami.id,
      instanceType: args.instanceType ?? "t3.small",
      subnetId: args.subnetId,
      availabilityZone: args.availabilityZone,
      vpcSecurityGroupIds: sgs.map((sg) => sg.id),
      iamInstanceProfile: profile.name,
      associatePublicIpAddress: false,
      metadataOptions: { httpTokens: "required", httpEndpoint: "enabled", httpPutResponseHopLimit: 1 },
      rootBlockDevice: { encrypted: true, volumeType: "gp3", volumeSize: 16 },
      userData: pulumi.all([args.runtime, args.region, volume.id]).apply(([runtime, region, volumeId]) => bootUserData({
        release: args.release, region, runtime, dataVolume: { volumeId, mount, runsDatabase: args.runsDatabase },
      })),
      tags, volumeTags: tags,
    // User data runs at first boot only: a change would just stop and start the one production box. Later settings
    // and releases reach a running box through the guided steps of `scale stage up` (docs/stacks.md).
    }, { parent: this, ignoreChanges: ["ami", "userData"] });
    this.instanceId = instance.id;
    new aws.ec2.VolumeAttachment(`${name}-data`, {
      deviceName: "/dev/sdf", volumeId: volume.id, instanceId: instance.id, stopInstanceBeforeDetaching: true,
    }, { parent: this });

    const eip = new aws.ec2.Eip(`${name}-eip`, { domain: "vpc", instance: instance.id, tags: { Name: name } }, { parent: this });
    this.publicIp = eip.publicIp;
    this.publicDns = eip.publicDns;
    // The URN computed, not read from `this.urn`: an input depending on this component would wait for all its
    // children, the instance among them (its user data carries this endpoint), and never resolve.
    this.databaseEndpoint = args.runsDatabase ? pulumi.createUrn(name, "scale:aws:SingleBox", opts?.parent).apply((urn) => ({
      host: { urn, output: "databaseHost", value: "127.0.0.1" }, port: { urn, output: "databasePort", value: String(MARIADB.port) },
    })) : undefined;
    this.createAlarms(name, instance.id, args.alarmTopicArn);
    this.registerOutputs({
      publicIp: this.publicIp, instanceId: this.instanceId,
      ...(args.runsDatabase ? { databaseHost: "127.0.0.1", databasePort: String(MARIADB.port) } : {}),
    });
  }

  // Two groups: CloudFront's prefix list weighs ~55 of a group's 60 rules, so SSH gets a group of its own.
  private createSecurityGroups(name: string, args: SingleBoxArgs): aws.ec2.SecurityGroup[] {
    const app = new aws.ec2.SecurityGroup(`${name}-sg`, {
      vpcId: args.vpcId,
      description: "Single box: the app's port from CloudFront only, no outbound internet",
      ingress: [{ protocol: "tcp", fromPort: APP_PORT, toPort: APP_PORT, prefixListIds: [args.cloudFrontPrefixListId], description: "from CloudFront" }],
      egress: [
        { protocol: "tcp", fromPort: 443, toPort: 443, prefixListIds: [args.s3PrefixListId], description: "S3 through the gateway endpoint" },
        { protocol: "tcp", fromPort: 0, toPort: 65535, cidrBlocks: [args.vpcCidr], description: "inside the VPC only" },
      ],
    }, { parent: this });
    const allowlist = args.sshAllowlist ?? [];
    if (allowlist.length === 0) return [app];
    const ssh = new aws.ec2.SecurityGroup(`${name}-ssh`, {
      vpcId: args.vpcId, description: "Single box: SSH from the allowlist",
      ingress: [{ protocol: "tcp", fromPort: 22, toPort: 22, cidrBlocks: [...allowlist], description: "SSH from the allowlist" }],
      egress: [],
    }, { parent: this });
    return [app, ssh];
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
