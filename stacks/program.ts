/**
 * The Pulumi program as a function: the stage decides which components exist and with which arguments; no
 * component asks which stage it is in. `index.ts` runs it under the engine, `plan.ts` under the SDK's mocks.
 */
import * as pulumi from "@pulumi/pulumi";
import * as aws from "@pulumi/aws";
import type { StackConfig } from "./config.ts";
import { getStage } from "./stages.ts";
import { physicalName } from "./names.ts";
import { TierRuntimes } from "./tier-runtimes.ts";
import { taggedProvider } from "./tagging.ts";
import { parseS3Url, type Release } from "./user-data.ts";
import { createAppTiers } from "./app-tiers.ts";
import { APP_PORT } from "../runtime/servers.ts";
import type { RuntimeFacts } from "../runtime/settings.ts";
import type { TierRuntime } from "../runtime/sources.ts";
import { Alerts } from "./components/alerts.ts";
import { Cache } from "./components/cache.ts";
import { Cdn } from "./components/cdn.ts";
import { Database } from "./components/database.ts";
import { Dns } from "./components/dns.ts";
import { Monitoring } from "./components/monitoring.ts";
import { Network } from "./components/network.ts";
import { PrivateBucket } from "./components/private-bucket.ts";
import { Queue } from "./components/queue.ts";
import { SingleBox } from "./components/single-box.ts";
import { Warehouse } from "./components/warehouse.ts";

/** The stack outputs the CLI reads after a deployment. */
export interface StackOutputs {
  stage: number;
  /** The public URL: CloudFront, HTTPS, at every stage. */
  endpoint: pulumi.Output<string>;
  /** The MariaDB primary's host (the box's own at stage 0, RDS from stage 1). */
  databaseEndpoint: pulumi.Output<string>;
  replicaEndpoints: pulumi.Output<string[]>;
  /** The Redis primary endpoint, or "" before stage 3. */
  cacheEndpoint: pulumi.Output<string>;
  /** The single box's Elastic IP, or "" once it retired. */
  singleBoxIp: pulumi.Output<string>;
  staticBucket: pulumi.Output<string>;
  queueUrl: pulumi.Output<string>;
  alertTopicArn: pulumi.Output<string>;
  /** What `scale deploy` rolls a release through. */
  rollout: pulumi.Output<RolloutTargets>;
  /** Each compute tier's runtime in the plan's form (not exported by index.ts; `scale stage plan` shows it). */
  runtime: pulumi.Output<TierRuntime[]>;
}

const none = pulumi.output("");

/**
 * Where a release goes and what it rolls through: the bucket `release.artifact` names, the box (swapped in place), and
 * each app tier's auto scaling group with its target group and the alarms that roll an instance refresh back.
 */
export interface RolloutTargets {
  releaseBucket: string;
  box?: { instanceId: string };
  tiers: Array<{ tier: "read" | "write" | "worker"; group: string; targetGroupArn?: string; alarms: string[] }>;
}

/** The alarms that say a tier's new servers are worse than the old ones (stacks/alarms.ts ids, with their suffixes). */
const TIER_ALARMS: Record<"read" | "write" | "worker", string[]> = {
  read: ["alb-5xx-rate", "alb-p99-latency", "alb-unhealthy-hosts-1"],
  write: ["alb-5xx-rate", "alb-p99-latency", "alb-unhealthy-hosts-2"],
  // The queue's alarms may already be on from jobs that failed before the deploy: they would stop every refresh.
  worker: [],
};

/** Registers every resource of `config.stage` and returns the stack outputs. */
export function buildStack(config: StackConfig): StackOutputs {
  const stage = getStage(config.stage);
  const on = stage.components;
  const stack = pulumi.getStack();
  // Every component on the provider that tags its resources with the stack's name.
  const tagged = taggedProvider(stack);
  const release: Release = { version: config.release.version, sha256: config.release.sha256, ...parseS3Url(config.release.artifact) };
  const region = aws.getRegionOutput().region;
  const alerts = new Alerts("alerts", {
    endpoint: config.alertEndpoint,
    protocol: config.alertEndpoint?.startsWith("https://") ? "https" : "email",
  }, tagged);

  const [cdnArn, setCdnArn] = pulumi.deferredOutput<string | undefined>();
  const staticBucket = on.staticContent ? new PrivateBucket("static", { purpose: "static content", encryption: "s3", cloudFrontDistributionArn: cdnArn }, tagged) : undefined;
  const uploads = on.dataLifecycle ? new PrivateBucket("uploads", { purpose: "user uploads and derived files", transitionAfterDays: config.archiveAfterDays, transitionStorageClass: "STANDARD_IA" }, tagged) : undefined;
  const archive = on.dataLifecycle ? new PrivateBucket("archive", { purpose: `data older than ${config.archiveAfterDays} days`, transitionAfterDays: config.archiveAfterDays, transitionStorageClass: "GLACIER_IR" }, tagged) : undefined;
  const dataBucketArns = [staticBucket, uploads, archive].flatMap((b) => (b ? [b.arn] : []));

  const network = new Network("net", {
    azCount: config.azCount, s3BucketArns: [`arn:aws:s3:::${release.bucket}`, ...dataBucketArns], interfaceEndpoints: on.network.interfaceEndpoints,
  }, tagged);
  const cloudFront = aws.ec2.getManagedPrefixListOutput({ name: "com.amazonaws.global.cloudfront.origin-facing" });
  // The servers come before the database and cache (whose security groups admit them): their runtimes are deferred.
  const runtimes = new TierRuntimes();

  const keepBox = on.singleBox !== undefined || (config.keepSingleBox && stage.id === 2);
  const box = keepBox ? new SingleBox("box", {
    vpcId: network.vpcId, subnetId: network.publicSubnetIds[0]!, availabilityZone: network.availabilityZones[0]!,
    vpcCidr: network.cidrBlock, s3PrefixListId: network.s3PrefixListId, cloudFrontPrefixListId: cloudFront.id,
    instanceType: config.instanceTypes.box, sshAllowlist: config.sshAllowlist, runsDatabase: on.singleBox?.runsDatabase ?? false,
    dataVolumeGiB: config.boxDataVolumeGiB, release, region, alarmTopicArn: alerts.topicArn,
    // Behind CloudFront: one X-Forwarded-For hop. The box runs the migration step while it is the only server.
    runtime: runtimes.slot({ tier: "box", proxyHops: 1, migrates: true }),
    writableBucketArns: staticBucket ? [staticBucket.arn] : [],
  }, tagged) : undefined;

  const queue = on.queue ? new Queue("jobs", {}, tagged) : undefined;
  const tiers = on.appTiers ? createAppTiers({
    config, network, release, region, runtimes, writeBucketArns: dataBucketArns, queue, tagged, autoscaling: on.appTiers.autoscaling,
    cloudFrontPrefixListId: cloudFront.id,
  }) : undefined;

  const clients: Record<string, pulumi.Input<string>> = {};
  if (box) clients.box = box.securityGroupId;
  for (const [tier, app] of Object.entries(tiers?.apps ?? {})) clients[tier] = app.securityGroupId;
  const database = on.database ? new Database("db", {
    identifier: physicalName(stack, "db"),
    vpcId: network.vpcId, subnetIds: network.privateSubnetIds, availabilityZones: network.availabilityZones, clients,
    instanceClass: config.dbInstanceClass, storageGiB: config.dbStorageGiB, maxStorageGiB: config.dbMaxStorageGiB,
    multiAz: on.database.multiAz, replicaCount: on.database.readReplicas ? config.replicaCount : 0,
  }, tagged) : undefined;
  const cache = on.cache ? new Cache("cache", {
    replicationGroupId: physicalName(stack, "cache"),
    vpcId: network.vpcId, subnetIds: network.privateSubnetIds, nodeType: config.cacheNodeType,
    clients: Object.fromEntries(Object.entries(tiers?.apps ?? {}).map(([t, a]) => [t, a.securityGroupId])),
    authToken: pulumi.secret(config.cacheAuthToken ?? ""),
  }, tagged) : undefined;

  // HTTPS from stage 0: CloudFront terminates it (a bare instance can hold no ACM certificate and reaches no ACME
  // server), and calls the box over HTTP on the app's port, then the ALB over HTTPS (docs/stacks.md).
  const cdn = new Cdn("cdn", {
    domain: config.domain, hostedZoneId: config.hostedZoneId, staticBucketDomainName: staticBucket?.regionalDomainName,
    app: tiers ? { domainName: `origin.${config.domain}`, protocol: "https" } : { domainName: box!.publicDns, protocol: "http", port: APP_PORT },
  }, tagged);
  setCdnArn(cdn.distributionArn);
  new Dns("dns", {
    hostedZoneId: config.hostedZoneId, domain: config.domain,
    target: { alias: { name: cdn.domainName, zoneId: cdn.hostedZoneId } },
    aliases: tiers ? { origin: { name: tiers.loadBalancer.dnsName, zoneId: tiers.loadBalancer.zoneId } } : {},
  }, tagged);

  if (archive && config.warehouse) {
    new Warehouse("warehouse", { physicalName: physicalName(stack, "warehouse"), vpcId: network.vpcId, subnetIds: network.privateSubnetIds, archiveBucketArn: archive.arn }, tagged);
  }

  let monitoring: Monitoring | undefined;
  if (on.monitoring && tiers && database && cache) {
    monitoring = new Monitoring("monitoring", {
      dashboardName: physicalName(stack, "overview"),
      topicArn: alerts.topicArn,
      alb: { arnSuffix: tiers.loadBalancer.arnSuffix, targetGroupArnSuffixes: tiers.loadBalancer.targetGroupArnSuffixes },
      database: { primaryId: database.primaryIdentifier, replicaIds: database.replicaIdentifiers },
      cache: { nodeIds: cache.nodeIds },
      queue: queue ? { name: queue.name, deadLetterName: queue.deadLetterName } : undefined,
    }, tagged);
  }

  const facts: pulumi.Output<RuntimeFacts> = pulumi.all([
    region,
    database ? pulumi.all([database.primary, pulumi.all(database.replicas), database.appPassword, database.master]) : undefined,
    box?.databaseEndpoint,
    cache ? pulumi.all([cache.primary, cache.authToken]) : undefined,
    queue?.urlAttribute,
    uploads?.nameAttribute,
    archive?.nameAttribute,
  ]).apply(([regionName, rds, boxDb, redis, queueUrl, uploadsBucket, archiveBucket]) => ({
    region: regionName,
    database: rds
      ? { kind: "rds" as const, primary: rds[0], replicas: rds[1], appPassword: rds[2], master: rds[3] }
      : { kind: "box" as const, endpoint: boxDb! },
    ...(redis ? { cache: { primary: redis[0], authToken: redis[1] } } : {}),
    ...(queueUrl ? { queue: { url: queueUrl } } : {}),
    ...(uploadsBucket ? { uploads: { bucket: uploadsBucket } } : {}),
    ...(archiveBucket ? { archive: { bucket: archiveBucket, afterDays: config.archiveAfterDays } } : {}),
  }));

  return {
    stage: stage.id,
    endpoint: pulumi.output(`https://${config.domain}`),
    databaseEndpoint: database ? database.endpoint : pulumi.output("127.0.0.1"),
    replicaEndpoints: pulumi.all(database?.replicaEndpoints ?? []),
    cacheEndpoint: cache ? cache.endpoint : none,
    singleBoxIp: box ? box.publicIp : none,
    staticBucket: staticBucket ? staticBucket.bucketName : none,
    queueUrl: queue ? queue.url : none,
    alertTopicArn: alerts.topicArn,
    rollout: rolloutTargets(release.bucket, box, tiers, monitoring),
    runtime: runtimes.fill(facts),
  };
}

function rolloutTargets(releaseBucket: string, box: SingleBox | undefined, tiers: ReturnType<typeof createAppTiers> | undefined, monitoring: Monitoring | undefined): pulumi.Output<RolloutTargets> {
  const targetGroups: Record<string, pulumi.Output<string> | undefined> = { read: tiers?.loadBalancer.readTargetGroupArn, write: tiers?.loadBalancer.writeTargetGroupArn };
  const entries = Object.entries(tiers?.apps ?? {}).map(([tier, app]) => {
    const t = tier as "read" | "write" | "worker";
    const alarms = TIER_ALARMS[t].flatMap((id) => (monitoring?.alarmNames[id] ? [monitoring.alarmNames[id]] : []));
    return pulumi.all([app.groupName, targetGroups[t] ?? none, pulumi.all(alarms)]).apply(([group, tg, names]) => ({
      tier: t, group, ...(tg ? { targetGroupArn: tg } : {}), alarms: names,
    }));
  });
  return pulumi.all([box ? box.instanceId : none, pulumi.all(entries)]).apply(([instanceId, list]) => ({
    releaseBucket, ...(instanceId ? { box: { instanceId } } : {}), tiers: list,
  }));
}
