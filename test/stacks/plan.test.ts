import { expect } from "chai";
import { ALARM_IDS, ALARM_TAG } from "../../stacks/alarms.ts";
import { diffPlans, planStage, type Plan } from "../../stacks/plan.ts";
import { StackConfigError } from "../../stacks/config.ts";
import { STAGES } from "../../stacks/stages.ts";
import { allPlans, find } from "./support/plans.ts";

// What each stage must contain (component types), and where each first appears: later ones must not leak earlier.
const FIRST_STAGE: Record<string, number> = {
  "scale:aws:Network": 0, "scale:aws:Alerts": 0, "scale:aws:Dns": 0, "scale:aws:Cdn": 0, "scale:aws:Certificate": 0,
  "scale:aws:PrivateBucket": 1, "scale:aws:Database": 1,
  "scale:aws:LoadBalancer": 2, "scale:aws:AppTier": 2,
  "scale:aws:Cache": 3, "scale:aws:Monitoring": 4, "scale:aws:Queue": 5,
};
const count = (plan: Plan, type: string) => plan.resources.filter((r) => r.type === type).length;
const alarmIds = (plan: Plan) => plan.resources.filter((r) => r.type === "aws:cloudwatch/metricAlarm:MetricAlarm")
  .map((r) => (r.inputs.tags as Record<string, string>)[ALARM_TAG]);

describe("stacks/plan: the offline plan of every stage", function () {
  this.timeout(120_000);
  let plans: Plan[];
  before(async () => { plans = await allPlans(); });

  it("names each plan after its stage and records every resource once", () => {
    for (const plan of plans) {
      expect(plan.name).to.equal(STAGES[plan.stage]!.name);
      expect(new Set(plan.resources.map((r) => r.urn)).size).to.equal(plan.resources.length);
      expect(plan.resources.length).to.be.greaterThan(20);
    }
  });

  for (const stage of STAGES) {
    it(`stage ${stage.id} has its components and nothing of a later stage`, () => {
      const plan = plans[stage.id]!;
      for (const [type, first] of Object.entries(FIRST_STAGE)) {
        if (first <= stage.id) expect(count(plan, type), `${type} at stage ${stage.id}`).to.be.greaterThan(0);
        else expect(count(plan, type), `${type} leaks into stage ${stage.id}`).to.equal(0);
      }
      expect(count(plan, "scale:aws:SingleBox"), "single box").to.equal(stage.id <= 1 ? 1 : 0);
    });
  }

  it("stage 0: a VPC across 2 AZs, one box with IMDSv2, an encrypted protected data volume, an EIP, CloudFront in front", () => {
    const p = plans[0]!;
    expect(count(p, "aws:ec2/subnet:Subnet")).to.equal(4);
    const box = find(p, "aws:ec2/instance:Instance");
    expect(box.inputs.metadataOptions).to.include({ httpTokens: "required" });
    expect(box.inputs.tags).to.deep.include({ "scale:tier": "box", "scale:release": "0.1.0-example" });
    expect(String(box.inputs.userData)).to.include("dnf install -y mariadb1011-server");
    const volume = find(p, "aws:ebs/volume:Volume");
    expect(volume).to.include({ protect: true, retainOnDelete: true });
    expect(volume.inputs.encrypted).to.equal(true);
    expect(count(p, "aws:ec2/eip:Eip")).to.equal(1);
    // HTTPS from the first stage: the public name aliases CloudFront, which calls the box over HTTP on the app's port.
    expect(find(p, "aws:route53/record:Record", "dns-apex").inputs.aliases).to.deep.equal([{ name: "cdn-distribution.cloudfront.net", zoneId: "Z2FDTNDATAQYW2", evaluateTargetHealth: false }]);
    const cdn = find(p, "aws:cloudfront/distribution:Distribution");
    expect(cdn.inputs.origins).to.deep.equal([{
      originId: "app", domainName: "ec2-203-0-113-10.compute-1.amazonaws.com",
      customOriginConfig: { httpPort: 8080, httpsPort: 443, originProtocolPolicy: "http-only", originSslProtocols: ["TLSv1.2"] },
    }]);
    expect(cdn.inputs.defaultCacheBehavior).to.include({ targetOriginId: "app", viewerProtocolPolicy: "redirect-to-https" });
    // Only CloudFront reaches the box, on the app's port; the example's allowlist is empty: no 22, no SSH group.
    expect(find(p, "aws:ec2/securityGroup:SecurityGroup", "box-sg").inputs.ingress).to.deep.equal([
      { protocol: "tcp", fromPort: 8080, toPort: 8080, prefixListIds: ["pl-3b927c52"], description: "from CloudFront" },
    ]);
    expect(p.resources.filter((r) => r.name === "box-ssh")).to.deep.equal([]);
  });

  it("stage 1: RDS is private, encrypted, protected, backed up; the static bucket is private; the box no longer runs MySQL", () => {
    const db = find(plans[1]!, "aws:rds/instance:Instance", "db-primary");
    expect(db).to.include({ protect: true });
    expect(db.inputs).to.include({ publiclyAccessible: false, storageEncrypted: true, deletionProtection: true, skipFinalSnapshot: false, multiAz: false, backupRetentionPeriod: 7 });
    expect(find(plans[1]!, "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock").inputs).to.include({ blockPublicAcls: true, restrictPublicBuckets: true });
    expect(String(find(plans[1]!, "aws:ec2/instance:Instance").inputs.userData)).not.to.include("mariadb");
  });

  it("stage 2: ALB redirects HTTP, routes GET/HEAD to the read tier, tiers span 2 private subnets, RDS Multi-AZ, DNS aliases CloudFront", () => {
    const p = plans[2]!;
    expect(find(p, "aws:lb/listener:Listener", "web-http").inputs.defaultActions).to.deep.include({ type: "redirect", redirect: { protocol: "HTTPS", port: "443", statusCode: "HTTP_301" } });
    expect(find(p, "aws:lb/listenerRule:ListenerRule").inputs.conditions).to.deep.equal([{ httpRequestMethod: { values: ["GET", "HEAD"] } }]);
    expect(find(p, "aws:lb/targetGroup:TargetGroup", "web-read").inputs.healthCheck).to.include({ path: "/readyz" });
    expect(find(p, "aws:cloudfront/distribution:Distribution").inputs.origins).to.deep.include({
      originId: "app", domainName: "origin.app.example.com",
      customOriginConfig: { httpPort: 80, httpsPort: 443, originProtocolPolicy: "https-only", originSslProtocols: ["TLSv1.2"] },
    });
    for (const tier of ["read-asg", "write-asg"]) expect(find(p, "aws:autoscaling/group:Group", tier).inputs.vpcZoneIdentifiers).to.deep.equal(["net-private-1-id", "net-private-2-id"]);
    expect(find(p, "aws:rds/instance:Instance", "db-primary").inputs.multiAz).to.equal(true);
    expect(find(p, "aws:route53/record:Record", "dns-apex").inputs.aliases).to.deep.equal([{ name: "cdn-distribution.cloudfront.net", zoneId: "Z2FDTNDATAQYW2", evaluateTargetHealth: false }]);
    expect(count(p, "aws:ec2/eip:Eip")).to.equal(0);
    expect(count(p, "aws:autoscaling/policy:Policy")).to.equal(0);
    // One rule from CloudFront's prefix list (it weighs ~55 of the 60 rules a group may hold), HTTPS only.
    expect(find(p, "aws:ec2/securityGroup:SecurityGroup", "web-sg").inputs.ingress).to.have.length(1);
    // CloudFront's origin access control cannot read objects under the AWS managed KMS key: SSE-S3 for static content.
    const staticSse = p.resources.find((r) => r.name === "static-encryption")!;
    expect(JSON.stringify(staticSse.inputs.rules)).to.include('"sseAlgorithm":"AES256"');
  });

  it("stage 3: a Multi-AZ encrypted Redis with its token as a secret, and 2 replicas in different AZs", () => {
    const redis = find(plans[3]!, "aws:elasticache/replicationGroup:ReplicationGroup");
    expect(redis.inputs).to.include({ multiAzEnabled: true, automaticFailoverEnabled: true, atRestEncryptionEnabled: true, transitEncryptionEnabled: true, authToken: "[secret]" });
    const replicas = plans[3]!.resources.filter((r) => r.type === "aws:rds/instance:Instance" && r.inputs.replicateSourceDb !== undefined);
    expect(replicas.map((r) => r.inputs.availabilityZone)).to.deep.equal(["us-east-1b", "us-east-1a"]);
    expect(JSON.stringify(plans[3])).not.to.include("offline-plan-placeholder-secret");
  });

  it("stage 4: target tracking per tier, business-hours schedules, the alarms of the contract and a dashboard", () => {
    const p = plans[4]!;
    expect(count(p, "aws:autoscaling/policy:Policy")).to.equal(4);
    expect(count(p, "aws:autoscaling/schedule:Schedule")).to.equal(2);
    expect(count(p, "aws:cloudwatch/dashboard:Dashboard")).to.equal(1);
    expect(new Set(alarmIds(p))).to.deep.equal(new Set(["alb-5xx-rate", "alb-p99-latency", "alb-unhealthy-hosts", "rds-cpu-high", "rds-free-storage-low", "rds-replica-lag", "cache-cpu-high", "cache-evictions"]));
  });

  it("stage 5: an encrypted queue with a DLQ, a worker group scaling on backlog, upload and archive buckets with lifecycle", () => {
    const p = plans[5]!;
    expect(count(p, "aws:sqs/queue:Queue")).to.equal(2);
    expect(String(find(p, "aws:sqs/queue:Queue", "jobs-jobs").inputs.redrivePolicy)).to.include("maxReceiveCount");
    expect(find(p, "aws:autoscaling/policy:Policy", "worker-backlog").inputs.policyType).to.equal("TargetTrackingScaling");
    // uploads and archive move to colder storage; the ALB's access logs expire.
    expect(count(p, "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration")).to.equal(3);
    expect(alarmIds(p)).to.include.members(["queue-dlq-not-empty", "queue-backlog-age"]);
    const dlqAlarm = p.resources.find((r) => r.type === "aws:cloudwatch/metricAlarm:MetricAlarm" && (r.inputs.tags as Record<string, string>)[ALARM_TAG] === "queue-dlq-not-empty")!;
    expect(dlqAlarm.inputs.alarmDescription).to.match(/Runbook: scale runbook run dlq-redrive/);
    expect(dlqAlarm.inputs.metricName).to.equal("ApproximateNumberOfMessagesVisible");
  });

  it("reaches AWS APIs through interface endpoints only where a stage needs them", () => {
    const endpoints = (plan: Plan) => plan.resources.filter((r) => r.inputs.vpcEndpointType === "Interface").map((r) => String(r.inputs.serviceName).split(".").pop()).sort();
    expect(endpoints(plans[0]!)).to.deep.equal([]);
    expect(endpoints(plans[1]!)).to.deep.equal(["ec2messages", "secretsmanager", "ssm", "ssmmessages"]);
    expect(endpoints(plans[5]!)).to.include("sqs");
    expect(find(plans[0]!, "aws:ec2/vpcEndpoint:VpcEndpoint", "net-s3").inputs.vpcEndpointType).to.equal("Gateway");
  });

  it("tags every alarm with a known id, and each id exists at some stage", () => {
    const seen = new Set(plans.flatMap(alarmIds));
    for (const id of seen) expect(ALARM_IDS).to.include(id);
    expect([...seen].sort()).to.deep.equal([...ALARM_IDS].sort());
    expect(new Set(alarmIds(plans[0]!))).to.deep.equal(new Set(["box-cpu-high", "box-status-check-failed"]));
    // CloudWatch can publish only to a topic whose key admits it: our own key, not the AWS managed one.
    expect(find(plans[0]!, "aws:sns/topic:Topic").inputs.kmsMasterKeyId).to.equal("alerts-key-id");
    expect(String(find(plans[0]!, "aws:kms/key:Key").inputs.policy)).to.include("cloudwatch.amazonaws.com");
  });

  it("diffs two stages by URN: 1 to 2 updates the primary in place, points CloudFront at the ALB and drops the box", () => {
    const changes = diffPlans(plans[1]!, plans[2]!);
    expect(changes.find((c) => c.urn.endsWith("::db-primary"))).to.deep.include({ action: "update", stateful: true, fields: ["multiAz"] });
    expect(changes.find((c) => c.urn.endsWith("::box-data"))).to.deep.include({ action: "delete", stateful: true });
    // The distribution stays (the public name never moves); its app origin changes from the box to the ALB.
    expect(changes.find((c) => c.urn.endsWith("::cdn-distribution"))).to.deep.include({ action: "update", fields: ["origins"] });
    expect(changes.find((c) => c.urn.endsWith("::dns-apex"))).to.equal(undefined);
    expect(diffPlans(plans[3]!, plans[3]!)).to.deep.equal([]);
  });

  it("diffs 0 to 1 without touching the box instance (its user data is ignored on update)", () => {
    const changes = diffPlans(plans[0]!, plans[1]!);
    expect(changes.find((c) => c.urn.endsWith("::box-instance"))).to.equal(undefined);
    expect(find(plans[0]!, "aws:ec2/instance:Instance").inputs.userData).not.to.equal(find(plans[1]!, "aws:ec2/instance:Instance").inputs.userData);
    expect(changes.filter((c) => c.action === "delete" || c.action === "replace")).to.deep.equal([]);
  });

  it("refuses an unknown stage with a StackConfigError naming the valid ones", async () => {
    const error = await planStage(9).catch((e: unknown) => e);
    expect(error).to.be.instanceOf(StackConfigError);
    expect((error as Error).message).to.include("0, 1, 2, 3, 4, 5");
  });
});
