/**
 * Stage 2's web layer and after: the ALB (with its origin certificate and its access-log bucket) and the read, write
 * and (stage 5) worker tiers, each with its runtime from the contract.
 */
import * as pulumi from "@pulumi/pulumi";
import * as aws from "@pulumi/aws";
import type { StackConfig } from "./config.ts";
import type { TierRuntimes } from "./tier-runtimes.ts";
import type { Release } from "./user-data.ts";
import { AppTier } from "./components/app-tier.ts";
import { Certificate } from "./components/certificate.ts";
import { LoadBalancer } from "./components/load-balancer.ts";
import type { Network } from "./components/network.ts";
import { PrivateBucket } from "./components/private-bucket.ts";
import type { Queue } from "./components/queue.ts";

/** The load balancer and the app tiers by tier name. */
export interface Tiers {
  loadBalancer: LoadBalancer;
  apps: Record<string, AppTier>;
}

export interface AppTiersArgs {
  config: StackConfig;
  network: Network;
  release: Release;
  region: pulumi.Input<string>;
  runtimes: TierRuntimes;
  /** Buckets the tiers read and write (static content, uploads, archive). */
  writeBucketArns: pulumi.Output<string>[];
  queue: Queue | undefined;
  /** Target tracking and business-hours schedules (stage 4+). */
  autoscaling: boolean;
  /** CloudFront's origin-facing prefix list: the only source the ALB admits. */
  cloudFrontPrefixListId: pulumi.Input<string>;
  /** The stack's tagged provider, for every component here. */
  tagged: pulumi.ComponentResourceOptions;
}

/** Days the ALB's access logs are kept. */
const ACCESS_LOG_DAYS = 90;
/** Behind CloudFront and the ALB: two X-Forwarded-For hops the service trusts. */
const PROXY_HOPS = 2;

export function createAppTiers(args: AppTiersArgs): Tiers {
  const { config, network, queue } = args;
  const cert = new Certificate("origin-cert", { domainName: `origin.${config.domain}`, hostedZoneId: config.hostedZoneId }, args.tagged);
  // A bucket holds data, so it is protected and retained like any other: a move below stage 2 leaves the logs in AWS.
  const logs = new PrivateBucket("alb-logs", {
    purpose: "load balancer access logs", encryption: "s3", expireAfterDays: ACCESS_LOG_DAYS,
    elbLogDeliveryArn: aws.elb.getServiceAccountOutput({}).arn,
  }, args.tagged);
  const lb = new LoadBalancer("web", {
    vpcId: network.vpcId, vpcCidr: network.cidrBlock, subnetIds: network.publicSubnetIds,
    certificateArn: cert.arn, cloudFrontPrefixListId: args.cloudFrontPrefixListId, accessLogBucket: logs.readyBucketName,
  }, args.tagged);
  const schedule = args.autoscaling && config.schedule ? {
    timeZone: config.schedule.timeZone, start: config.schedule.businessHoursStart, end: config.schedule.businessHoursEnd,
    businessHoursMin: config.schedule.businessHoursMinRead,
  } : undefined;
  const common = {
    vpcId: network.vpcId, vpcCidr: network.cidrBlock, s3PrefixListId: network.s3PrefixListId,
    subnetIds: network.privateSubnetIds, release: args.release, region: args.region,
    grants: { writeBucketArns: args.writeBucketArns, queueArns: queue ? [queue.arn] : [] },
  };
  const apps: Record<string, AppTier> = {
    read: new AppTier("read", {
      ...common, tier: "read", instanceType: config.instanceTypes.read, capacity: config.capacity.read,
      runtime: args.runtimes.slot({ tier: "read", proxyHops: PROXY_HOPS, migrates: false }),
      target: { targetGroupArn: lb.readTargetGroupArn, albSecurityGroupId: lb.securityGroupId, resourceLabel: pulumi.interpolate`${lb.arnSuffix}/${lb.targetGroupArnSuffixes[0]!}` },
      scaling: args.autoscaling ? { cpuPercent: 60, requestsPerTarget: 1000 } : undefined, schedule,
    }, args.tagged),
    // Every write server runs the migration step before its service starts (the step is idempotent and locks).
    write: new AppTier("write", {
      ...common, tier: "write", instanceType: config.instanceTypes.write, capacity: config.capacity.write,
      runtime: args.runtimes.slot({ tier: "write", proxyHops: PROXY_HOPS, migrates: true }),
      target: { targetGroupArn: lb.writeTargetGroupArn, albSecurityGroupId: lb.securityGroupId, resourceLabel: pulumi.interpolate`${lb.arnSuffix}/${lb.targetGroupArnSuffixes[1]!}` },
      scaling: args.autoscaling ? { cpuPercent: 60, requestsPerTarget: 500 } : undefined,
    }, args.tagged),
  };
  if (queue) {
    apps.worker = new AppTier("worker", {
      ...common, tier: "worker", instanceType: config.instanceTypes.worker, capacity: config.capacity.worker,
      runtime: args.runtimes.slot({ tier: "worker", migrates: false }),
      backlogScaling: { queueName: queue.name, messagesPerInstance: 100 },
    }, args.tagged);
  }
  return { loadBalancer: lb, apps };
}
