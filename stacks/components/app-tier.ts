import * as pulumi from "@pulumi/pulumi";
import * as aws from "@pulumi/aws";
import { APP_PORT } from "../../runtime/servers.ts";
import { secretArnsOf } from "../../runtime/settings.ts";
import type { Tier, TierRuntime } from "../../runtime/sources.ts";
import { bootUserData, type Release } from "../user-data.ts";
import { instanceRole, type InstanceRoleGrants } from "./instance-role.ts";

/** Min, max and desired instance counts. */
export interface Capacity { min: number; max: number; desired: number }

/** Arguments of the AppTier component. */
export interface AppTierArgs {
  /** "read", "write" or "worker": the `scale:tier` tag, and what the boot program starts. */
  tier: Exclude<Tier, "box">;
  vpcId: pulumi.Input<string>;
  /** The VPC's CIDR: the only place the servers may connect to, besides S3. */
  vpcCidr: string;
  s3PrefixListId: pulumi.Input<string>;
  /** Private subnets in at least two AZs; the instances get no public IP. */
  subnetIds: pulumi.Input<string>[];
  /** @default "t3.small" */
  instanceType?: string;
  capacity: Capacity;
  /** The ALB target group and the ALB's security group; absent for workers. */
  target?: { targetGroupArn: pulumi.Input<string>; albSecurityGroupId: pulumi.Input<string>; resourceLabel: pulumi.Input<string> };
  /** The release the tier runs. */
  release: Release;
  region: pulumi.Input<string>;
  /** The tier's runtime (server form: outputs concrete, secrets as ARNs); its secrets are what the role may read. */
  runtime: pulumi.Input<TierRuntime>;
  /** What the instance role may touch besides the release bucket and the runtime's secrets. */
  grants?: Omit<InstanceRoleGrants, "readBucketArns" | "secretArns">;
  /** Target tracking (CPU, and ALB requests per target when behind the ALB). @default undefined (fixed size) */
  scaling?: { cpuPercent: number; requestsPerTarget?: number };
  /** Worker scaling on queue backlog per instance. @default undefined */
  backlogScaling?: { queueName: pulumi.Input<string>; messagesPerInstance: number };
  /** Business-hours schedule (cron in timeZone). @default undefined (none) */
  schedule?: { timeZone: string; start: string; end: string; businessHoursMin: number };
}

/** Throws an error naming the bad field. */
export function validateAppTierArgs(args: AppTierArgs): void {
  const { min, max, desired } = args.capacity;
  if (!(min <= desired && desired <= max)) throw new Error(`AppTier ${args.tier} capacity needs min <= desired <= max, got ${min}/${desired}/${max}`);
  if (args.subnetIds.length < 2) throw new Error(`AppTier ${args.tier} subnetIds needs 2 AZs, got ${args.subnetIds.length}`);
  if (args.target && args.tier === "worker") throw new Error("AppTier worker target must be absent: workers serve no HTTP");
}

/**
 * Group metrics the ASG publishes to CloudWatch (AWS/AutoScaling). Off by default in AWS: a policy on
 * GroupInServiceInstances (the worker's backlog per instance) would never see a data point without them.
 */
export const GROUP_METRICS = ["GroupMinSize", "GroupMaxSize", "GroupDesiredCapacity", "GroupInServiceInstances", "GroupTotalInstances"] as const;

/**
 * One app tier: a launch template (IMDSv2, encrypted root, no public IP), an auto scaling group across the private
 * subnets, and optionally target tracking, backlog scaling and business-hours schedules.
 */
export class AppTier extends pulumi.ComponentResource {
  readonly securityGroupId: pulumi.Output<string>;
  readonly groupName: pulumi.Output<string>;

  constructor(name: string, args: AppTierArgs, opts?: pulumi.ComponentResourceOptions) {
    super("scale:aws:AppTier", name, {}, opts);
    validateAppTierArgs(args);
    const sg = new aws.ec2.SecurityGroup(`${name}-sg`, {
      vpcId: args.vpcId,
      description: `App tier ${args.tier}: from the ALB only, no outbound internet`,
      ingress: args.target ? [{ protocol: "tcp", fromPort: APP_PORT, toPort: APP_PORT, securityGroups: [args.target.albSecurityGroupId], description: "from the ALB" }] : [],
      egress: [
        { protocol: "tcp", fromPort: 443, toPort: 443, prefixListIds: [args.s3PrefixListId], description: "S3 through the gateway endpoint" },
        { protocol: "tcp", fromPort: 0, toPort: 65535, cidrBlocks: [args.vpcCidr], description: "inside the VPC only" },
      ],
    }, { parent: this });
    this.securityGroupId = sg.id;
    const profile = instanceRole(this, name, {
      readBucketArns: [`arn:aws:s3:::${args.release.bucket}`], ...args.grants,
      secretArns: pulumi.output(args.runtime).apply(secretArnsOf),
    });
    const ami = aws.ec2.getAmiOutput({
      mostRecent: true, owners: ["amazon"], filters: [{ name: "name", values: ["al2023-ami-2023.*-x86_64"] }],
    }, { parent: this });
    const template = new aws.ec2.LaunchTemplate(`${name}-template`, {
      imageId: ami.id,
      instanceType: args.instanceType ?? "t3.small",
      iamInstanceProfile: { arn: profile.arn },
      vpcSecurityGroupIds: [sg.id],
      metadataOptions: { httpTokens: "required", httpEndpoint: "enabled", httpPutResponseHopLimit: 1 },
      blockDeviceMappings: [{ deviceName: "/dev/xvda", ebs: { encrypted: "true", volumeType: "gp3", volumeSize: 16 } }],
      userData: pulumi.all([args.runtime, args.region]).apply(([runtime, region]) => Buffer.from(bootUserData({ release: args.release, region, runtime })).toString("base64")),
      updateDefaultVersion: true,
    }, { parent: this });
    const group = new aws.autoscaling.Group(`${name}-asg`, {
      vpcZoneIdentifiers: args.subnetIds,
      minSize: args.capacity.min, maxSize: args.capacity.max, desiredCapacity: args.capacity.desired,
      // A named version: an instance refresh starts when it changes, never for "$Latest".
      launchTemplate: { id: template.id, version: template.latestVersion.apply(String) },
      targetGroupArns: args.target ? [args.target.targetGroupArn] : [],
      healthCheckType: args.target ? "ELB" : "EC2", healthCheckGracePeriod: 120,
      instanceRefresh: { strategy: "Rolling", preferences: { minHealthyPercentage: 90 } },
      enabledMetrics: [...GROUP_METRICS], metricsGranularity: "1Minute",
      tags: [
        { key: "scale:tier", value: args.tier, propagateAtLaunch: true },
        { key: "scale:release", value: args.release.version, propagateAtLaunch: true },
      ],
    }, { parent: this, ignoreChanges: args.scaling ? ["desiredCapacity"] : [] });
    this.groupName = group.name;
    if (args.scaling) this.createTargetTracking(name, group, args);
    if (args.backlogScaling) this.createBacklogScaling(name, group, args.backlogScaling);
    if (args.schedule) this.createSchedule(name, group, args.capacity, args.schedule);
    this.registerOutputs({ groupName: this.groupName });
  }

  private createTargetTracking(name: string, group: aws.autoscaling.Group, args: AppTierArgs): void {
    new aws.autoscaling.Policy(`${name}-cpu`, {
      autoscalingGroupName: group.name, policyType: "TargetTrackingScaling",
      targetTrackingConfiguration: {
        predefinedMetricSpecification: { predefinedMetricType: "ASGAverageCPUUtilization" },
        targetValue: args.scaling!.cpuPercent,
      },
    }, { parent: this });
    if (args.target && args.scaling!.requestsPerTarget !== undefined) {
      new aws.autoscaling.Policy(`${name}-requests`, {
        autoscalingGroupName: group.name, policyType: "TargetTrackingScaling",
        targetTrackingConfiguration: {
          predefinedMetricSpecification: { predefinedMetricType: "ALBRequestCountPerTarget", resourceLabel: args.target.resourceLabel },
          targetValue: args.scaling!.requestsPerTarget,
        },
      }, { parent: this });
    }
  }

  // Backlog per instance = visible messages / in-service instances, the metric AWS recommends for queue workers.
  private createBacklogScaling(name: string, group: aws.autoscaling.Group, backlog: NonNullable<AppTierArgs["backlogScaling"]>): void {
    new aws.autoscaling.Policy(`${name}-backlog`, {
      autoscalingGroupName: group.name, policyType: "TargetTrackingScaling",
      targetTrackingConfiguration: {
        targetValue: backlog.messagesPerInstance,
        customizedMetricSpecification: {
          metrics: [
            { id: "visible", returnData: false, metricStat: { stat: "Sum", metric: { namespace: "AWS/SQS", metricName: "ApproximateNumberOfMessagesVisible", dimensions: [{ name: "QueueName", value: backlog.queueName }] } } },
            { id: "instances", returnData: false, metricStat: { stat: "Average", metric: { namespace: "AWS/AutoScaling", metricName: "GroupInServiceInstances", dimensions: [{ name: "AutoScalingGroupName", value: group.name }] } } },
            { id: "backlog", returnData: true, expression: "visible / IF(instances > 0, instances, 1)", label: "backlog per instance" },
          ],
        },
      },
    }, { parent: this });
  }

  private createSchedule(name: string, group: aws.autoscaling.Group, capacity: Capacity, schedule: NonNullable<AppTierArgs["schedule"]>): void {
    const peakMin = Math.min(Math.max(schedule.businessHoursMin, capacity.min), capacity.max);
    new aws.autoscaling.Schedule(`${name}-business-hours`, {
      autoscalingGroupName: group.name, scheduledActionName: `${name}-business-hours`, recurrence: schedule.start,
      timeZone: schedule.timeZone, minSize: peakMin, maxSize: capacity.max, desiredCapacity: peakMin,
    }, { parent: this });
    new aws.autoscaling.Schedule(`${name}-after-hours`, {
      autoscalingGroupName: group.name, scheduledActionName: `${name}-after-hours`, recurrence: schedule.end,
      timeZone: schedule.timeZone, minSize: capacity.min, maxSize: capacity.max, desiredCapacity: capacity.min,
    }, { parent: this });
  }
}
