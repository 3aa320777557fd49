/**
 * The Pulumi program as a function: the stage decides which components exist and with which arguments; no
 * component asks which stage it is in. `index.ts` runs it under the engine, `plan.ts` under the SDK's mocks.
 */
import * as pulumi from "@pulumi/pulumi";
import * as aws from "@pulumi/aws";
import type { StackConfig } from "./config.ts";
import { getStage } from "./stages.ts";
import { Alerts } from "./components/alerts.ts";
import { AppTier } from "./components/app-tier.ts";
import { Cache } from "./components/cache.ts";
import { Cdn } from "./components/cdn.ts";
import { Certificate } from "./components/certificate.ts";
import { Database } from "./components/database.ts";
import { Dns } from "./components/dns.ts";
import { LoadBalancer } from "./components/load-balancer.ts";
import { Monitoring } from "./components/monitoring.ts";
import { Network } from "./components/network.ts";
import { PrivateBucket } from "./components/private-bucket.ts";
import { Queue } from "./components/queue.ts";
import { SingleBox } from "./components/single-box.ts";
import { Warehouse } from "./components/warehouse.ts";

/** The stack outputs the CLI reads after a deployment. */
export interface StackOutputs {
  stage: number;
  /** The public URL. */
  endpoint: pulumi.Output<string>;
  /** The MySQL primary's host (the box's private name at stages 0, RDS from stage 1). */
  databaseEndpoint: pulumi.Output<string>;
  replicaEndpoints: pulumi.Output<string[]>;
  /** The Redis primary endpoint, or "" before stage 3. */
  cacheEndpoint: pulumi.Output<string>;
  /** The single box's Elastic IP, or "" once it retired. */
  singleBoxIp: pulumi.Output<string>;
  staticBucket: pulumi.Output<string>;
  queueUrl: pulumi.Output<string>;
  alertTopicArn: pulumi.Output<string>;
}

const none = pulumi.output("");

/** Registers every resource of `config.stage` and returns the stack outputs. */
export function buildStack(config: StackConfig): StackOutputs {
  const stage = getStage(config.stage);
  const on = stage.components;
  const artifact = parseArtifact(config.appArtifact);
  const artifactArn = `arn:aws:s3:::${artifact.bucket}`;
  const alerts = new Alerts("alerts", {
    endpoint: config.alertEndpoint,
    protocol: config.alertEndpoint?.startsWith("https://") ? "https" : "email",
  });

  const [cdnArn, setCdnArn] = pulumi.deferredOutput<string | undefined>();
  const staticBucket = on.staticContent ? new PrivateBucket("static", { purpose: "static content", encryption: "s3", cloudFrontDistributionArn: cdnArn }) : undefined;
  const uploads = on.dataLifecycle ? new PrivateBucket("uploads", { purpose: "user uploads and derived files", transitionAfterDays: config.archiveAfterDays, transitionStorageClass: "STANDARD_IA" }) : undefined;
  const archive = on.dataLifecycle ? new PrivateBucket("archive", { purpose: `data older than ${config.archiveAfterDays} days`, transitionAfterDays: config.archiveAfterDays, transitionStorageClass: "GLACIER_IR" }) : undefined;
  const dataBucketArns = [staticBucket, uploads, archive].flatMap((b) => (b ? [b.arn] : []));

  const network = new Network("net", {
    azCount: config.azCount, s3BucketArns: [artifactArn, ...dataBucketArns], interfaceEndpoints: on.network.interfaceEndpoints,
  });
  // The servers come before the database and cache (whose security groups admit them), so their settings are deferred.
  const [appEnv, setAppEnv] = pulumi.deferredOutput<Record<string, string>>();
  const [secretArns, setSecretArns] = pulumi.deferredOutput<string[]>();

  const keepBox = on.singleBox !== undefined || (config.keepSingleBox && stage.id === 2);
  const box = keepBox ? new SingleBox("box", {
    vpcId: network.vpcId, subnetId: network.publicSubnetIds[0]!, availabilityZone: network.availabilityZones[0]!,
    vpcCidr: network.cidrBlock, s3PrefixListId: network.s3PrefixListId, instanceType: config.instanceTypes.box,
    sshAllowlist: config.sshAllowlist, runsDatabase: on.singleBox?.runsDatabase ?? false,
    dataVolumeGiB: config.boxDataVolumeGiB, artifact, appEnvironment: appEnv, alarmTopicArn: alerts.topicArn,
    writableBucketArns: staticBucket ? [staticBucket.arn] : [], secretArns,
  }) : undefined;

  const queue = on.queue ? new Queue("jobs", {}) : undefined;
  const tiers = on.appTiers ? createAppTiers(config, network, artifact, appEnv, secretArns, dataBucketArns, queue, on.appTiers.autoscaling) : undefined;

  const clients: Record<string, pulumi.Input<string>> = {};
  if (box) clients.box = box.securityGroupId;
  for (const [tier, app] of Object.entries(tiers?.apps ?? {})) clients[tier] = app.securityGroupId;
  const database = on.database ? new Database("db", {
    vpcId: network.vpcId, subnetIds: network.privateSubnetIds, availabilityZones: network.availabilityZones, clients,
    instanceClass: config.dbInstanceClass, storageGiB: config.dbStorageGiB, maxStorageGiB: config.dbMaxStorageGiB,
    multiAz: on.database.multiAz, replicaCount: on.database.readReplicas ? config.replicaCount : 0,
  }) : undefined;
  const cache = on.cache ? new Cache("cache", {
    vpcId: network.vpcId, subnetIds: network.privateSubnetIds, nodeType: config.cacheNodeType,
    clients: Object.fromEntries(Object.entries(tiers?.apps ?? {}).map(([t, a]) => [t, a.securityGroupId])),
    authToken: pulumi.secret(config.cacheAuthToken ?? ""),
  }) : undefined;

  const cdn = on.cdn && staticBucket && tiers ? new Cdn("cdn", {
    domain: config.domain, hostedZoneId: config.hostedZoneId, staticBucketDomainName: staticBucket.regionalDomainName,
    albOriginDomain: `origin.${config.domain}`,
  }) : undefined;
  setCdnArn(cdn ? cdn.distributionArn : pulumi.output(undefined));
  new Dns("dns", {
    hostedZoneId: config.hostedZoneId, domain: config.domain,
    target: cdn ? { alias: { name: cdn.domainName, zoneId: cdn.hostedZoneId } } : { ip: box!.publicIp },
    aliases: tiers ? { origin: { name: tiers.loadBalancer.dnsName, zoneId: tiers.loadBalancer.zoneId } } : {},
  });

  if (archive && config.warehouse) {
    new Warehouse("warehouse", { vpcId: network.vpcId, subnetIds: network.privateSubnetIds, archiveBucketArn: archive.arn });
  }

  if (on.monitoring && tiers && database && cache) {
    new Monitoring("monitoring", {
      topicArn: alerts.topicArn,
      alb: { arnSuffix: tiers.loadBalancer.arnSuffix, targetGroupArnSuffixes: tiers.loadBalancer.targetGroupArnSuffixes },
      database: { primaryId: database.primaryIdentifier, replicaIds: database.replicaIdentifiers },
      cache: { replicationGroupId: cache.replicationGroupId },
      queue: queue ? { name: queue.name, deadLetterName: queue.deadLetterName } : undefined,
    });
  }

  const databaseEndpoint = database ? database.endpoint : pulumi.output("127.0.0.1");
  const replicaEndpoints = pulumi.all(database?.replicaEndpoints ?? []);
  setSecretArns(pulumi.all([database ? database.passwordSecretArn : none, cache ? cache.authSecretArn : none]));
  setAppEnv(pulumi.all({
    DATABASE_HOST: databaseEndpoint,
    DATABASE_PASSWORD_SECRET_ARN: database ? database.passwordSecretArn : none,
    DATABASE_REPLICA_HOSTS: replicaEndpoints.apply((r) => r.join(",")),
    REDIS_HOST: cache ? cache.endpoint : none,
    REDIS_AUTH_SECRET_ARN: cache ? cache.authSecretArn : none,
    STATIC_BUCKET: staticBucket ? staticBucket.bucketName : none,
    UPLOADS_BUCKET: uploads ? uploads.bucketName : none,
    QUEUE_URL: queue ? queue.url : none,
  }));

  return {
    stage: stage.id,
    endpoint: pulumi.output(`https://${config.domain}`),
    databaseEndpoint,
    replicaEndpoints,
    cacheEndpoint: cache ? cache.endpoint : none,
    singleBoxIp: box ? box.publicIp : none,
    staticBucket: staticBucket ? staticBucket.bucketName : none,
    queueUrl: queue ? queue.url : none,
    alertTopicArn: alerts.topicArn,
  };
}

interface Tiers {
  loadBalancer: LoadBalancer;
  apps: Record<string, AppTier>;
}

function createAppTiers(config: StackConfig, network: Network, artifact: { bucket: string; key: string },
  appEnvironment: pulumi.Output<Record<string, string>>, secretArns: pulumi.Output<string[]>, bucketArns: pulumi.Output<string>[], queue: Queue | undefined,
  autoscaling: boolean): Tiers {
  const cert = new Certificate("origin-cert", { domainName: `origin.${config.domain}`, hostedZoneId: config.hostedZoneId });
  const cloudFront = aws.ec2.getManagedPrefixListOutput({ name: "com.amazonaws.global.cloudfront.origin-facing" });
  const lb = new LoadBalancer("web", {
    vpcId: network.vpcId, vpcCidr: network.cidrBlock, subnetIds: network.publicSubnetIds,
    certificateArn: cert.arn, cloudFrontPrefixListId: cloudFront.id,
  });
  const schedule = autoscaling && config.schedule ? {
    timeZone: config.schedule.timeZone, start: config.schedule.businessHoursStart, end: config.schedule.businessHoursEnd,
    businessHoursMin: config.schedule.businessHoursMinRead,
  } : undefined;
  const common = {
    vpcId: network.vpcId, vpcCidr: network.cidrBlock, s3PrefixListId: network.s3PrefixListId,
    subnetIds: network.privateSubnetIds, artifact, appEnvironment,
    grants: { writeBucketArns: bucketArns, secretArns, queueArns: queue ? [queue.arn] : [] },
  };
  const apps: Record<string, AppTier> = {
    read: new AppTier("read", {
      ...common, tier: "read", instanceType: config.instanceTypes.read, capacity: config.capacity.read,
      target: { targetGroupArn: lb.readTargetGroupArn, albSecurityGroupId: lb.securityGroupId, resourceLabel: pulumi.interpolate`${lb.arnSuffix}/${lb.targetGroupArnSuffixes[0]!}` },
      scaling: autoscaling ? { cpuPercent: 60, requestsPerTarget: 1000 } : undefined, schedule,
    }),
    write: new AppTier("write", {
      ...common, tier: "write", instanceType: config.instanceTypes.write, capacity: config.capacity.write,
      target: { targetGroupArn: lb.writeTargetGroupArn, albSecurityGroupId: lb.securityGroupId, resourceLabel: pulumi.interpolate`${lb.arnSuffix}/${lb.targetGroupArnSuffixes[1]!}` },
      scaling: autoscaling ? { cpuPercent: 60, requestsPerTarget: 500 } : undefined,
    }),
  };
  if (queue) {
    apps.worker = new AppTier("worker", {
      ...common, tier: "worker", instanceType: config.instanceTypes.worker, capacity: config.capacity.worker,
      backlogScaling: { queueName: queue.name, messagesPerInstance: 100 },
    });
  }
  return { loadBalancer: lb, apps };
}

function parseArtifact(url: string): { bucket: string; key: string } {
  const match = /^s3:\/\/([^/]+)\/(.+)$/.exec(url);
  if (!match) throw new Error(`appArtifact must be s3://bucket/key, got ${url}`);
  return { bucket: match[1]!, key: match[2]! };
}
