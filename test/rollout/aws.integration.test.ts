/**
 * `scale deploy --stack` and `scale rollback --stack` with AWS mocked at the SDK (Auto Scaling, EC2, ELB, SSM) and the
 * artifact bucket on a real S3-protocol server: the archive lands once under its sha256, the stack's release config
 * follows, each tier gets a new launch template version carrying the new release and an instance refresh onto that
 * version (never $Latest) with checkpoints and alarm rollback, the box swaps through SSM, and a tier whose refresh
 * rolls back sends the tiers already rolled back too.
 */
import { expect } from "chai";
import { mockClient, type AwsClientStub } from "aws-sdk-client-mock";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { AutoScalingClient, CreateOrUpdateTagsCommand, DescribeAutoScalingGroupsCommand, DescribeInstanceRefreshesCommand, StartInstanceRefreshCommand } from "@aws-sdk/client-auto-scaling";
import { CreateLaunchTemplateVersionCommand, CreateTagsCommand, DescribeLaunchTemplateVersionsCommand, EC2Client } from "@aws-sdk/client-ec2";
import { DescribeTargetHealthCommand, ElasticLoadBalancingV2Client } from "@aws-sdk/client-elastic-load-balancing-v2";
import { S3Client } from "@aws-sdk/client-s3";
import { GetCommandInvocationCommand, SendCommandCommand, SSMClient } from "@aws-sdk/client-ssm";
import { startLocalS3, type LocalS3 } from "../support/aws-servers.ts";
import { makeRelease } from "../support/rollout-stage.ts";
import { tempDir } from "../support/tmp.ts";
import { json, scale } from "../cli/run-scale.ts";
import { useDeployDeps } from "../../cli/lib/deploy-deps.ts";
import { sha256File } from "../../rollout/release-archive.ts";
import type { ReleaseConfig, StackRecord } from "../../rollout/aws.ts";
import type { DeployReport } from "../../rollout/report.ts";
import type { RolloutTargets } from "../../stacks/program.ts";
import { bootUserData, readBootArgs } from "../../stacks/user-data.ts";

const BUCKET = "scale-releases-test";
const OLD: ReleaseConfig = { version: "1.0.0", artifact: `s3://${BUCKET}/releases/old/scale-app-1.0.0.tar.gz`, sha256: "a".repeat(64) };
const TARGETS: RolloutTargets = {
  releaseBucket: BUCKET,
  box: { instanceId: "i-0box" },
  tiers: [
    { tier: "read", group: "read-asg", targetGroupArn: "arn:tg/read", alarms: ["alb-5xx", "alb-p99", "alb-unhealthy-read"] },
    { tier: "write", group: "write-asg", targetGroupArn: "arn:tg/write", alarms: ["alb-5xx", "alb-p99", "alb-unhealthy-write"] },
  ],
};

class MemoryRecord implements StackRecord {
  history: ReleaseConfig[] = [];
  constructor(public current: ReleaseConfig) {}
  async release() {
    return this.current;
  }
  async setRelease(_stack: string, release: ReleaseConfig) {
    this.current = release;
    this.history.push(release);
  }
  async targets() {
    return TARGETS;
  }
}

describe("scale deploy --stack: instance refreshes on new launch template versions", function () {
  this.timeout(60_000);
  // Made in before() and restored in after(): a client class mocked from load time on would stay wrapped for every
  // other file's mocks of the same client.
  let asg: AwsClientStub<AutoScalingClient>;
  let ec2: AwsClientStub<EC2Client>;
  let elb: AwsClientStub<ElasticLoadBalancingV2Client>;
  let ssm: AwsClientStub<SSMClient>;
  let s3server: LocalS3;
  let s3: S3Client;
  let record: MemoryRecord;
  let restore: () => void;
  let auditPath: string;
  let archive: string;
  const releases = tempDir("scale-aws-releases");
  let refreshOutcome: Record<string, string>;

  before(async () => {
    [asg, ec2, elb, ssm] = [mockClient(AutoScalingClient), mockClient(EC2Client), mockClient(ElasticLoadBalancingV2Client), mockClient(SSMClient)];
    s3server = await startLocalS3([BUCKET]);
    s3 = new S3Client({ endpoint: s3server.endpoint, region: "us-east-1", forcePathStyle: true });
    archive = await makeRelease(releases, "1.1.0", "good");
  });
  after(async () => {
    for (const m of [asg, ec2, elb, ssm]) m.restore();
    s3.destroy();
    await s3server.stop();
  });

  beforeEach(() => {
    for (const m of [asg, ec2, elb, ssm]) m.reset();
    record = new MemoryRecord(OLD);
    auditPath = join(tempDir("scale-aws-audit"), "audit.jsonl");
    refreshOutcome = { "read-asg": "Successful", "write-asg": "Successful" };
    const userData = (tier: "read" | "write") => Buffer.from(bootUserData({
      release: { version: OLD.version, bucket: BUCKET, key: "releases/old/scale-app-1.0.0.tar.gz", sha256: OLD.sha256 },
      region: "us-east-1", runtime: { tier, env: { PORT: "8080", DATABASE_URL: "mysql://app@db.internal/app" } },
    })).toString("base64");
    asg.on(DescribeAutoScalingGroupsCommand).callsFake((input: { AutoScalingGroupNames: string[] }) => ({
      AutoScalingGroups: [{ AutoScalingGroupName: input.AutoScalingGroupNames[0], DesiredCapacity: 2, LaunchTemplate: { LaunchTemplateId: `lt-${input.AutoScalingGroupNames[0]}`, Version: "7" } }],
    }));
    ec2.on(DescribeLaunchTemplateVersionsCommand).callsFake((input: { LaunchTemplateId: string }) => ({
      LaunchTemplateVersions: [{ VersionNumber: 7, LaunchTemplateData: { UserData: userData(input.LaunchTemplateId.includes("read") ? "read" : "write") } }],
    }));
    ec2.on(CreateLaunchTemplateVersionCommand).resolves({ LaunchTemplateVersion: { VersionNumber: 8 } });
    ec2.on(CreateTagsCommand).resolves({});
    asg.on(CreateOrUpdateTagsCommand).resolves({});
    asg.on(StartInstanceRefreshCommand).callsFake((input: { AutoScalingGroupName: string }) => ({ InstanceRefreshId: `ir-${input.AutoScalingGroupName}` }));
    // Each refresh: in progress with one of two replaced, then its outcome.
    const polls: Record<string, number> = {};
    asg.on(DescribeInstanceRefreshesCommand).callsFake((input: { AutoScalingGroupName: string }) => {
      const n = (polls[input.AutoScalingGroupName] = (polls[input.AutoScalingGroupName] ?? 0) + 1);
      const outcome = refreshOutcome[input.AutoScalingGroupName]!;
      return { InstanceRefreshes: [n < 2 ? { Status: "InProgress", InstancesToUpdate: 1 } : { Status: outcome, InstancesToUpdate: outcome === "Successful" ? 0 : 2, StatusReason: outcome === "Successful" ? undefined : "alarm alb-5xx in ALARM" }] };
    });
    elb.on(DescribeTargetHealthCommand).resolves({ TargetHealthDescriptions: [{ Target: { Id: "i-1" }, TargetHealth: { State: "healthy" } }, { Target: { Id: "i-2" }, TargetHealth: { State: "healthy" } }] });
    ssm.on(SendCommandCommand).resolves({ Command: { CommandId: "cmd-1" } });
    ssm.on(GetCommandInvocationCommand).resolvesOnce({ Status: "InProgress" }).resolves({ Status: "Success" });
    restore = useDeployDeps({
      aws: async () => ({ s3, autoscaling: new AutoScalingClient({ region: "us-east-1" }), ec2: new EC2Client({ region: "us-east-1" }), elb: new ElasticLoadBalancingV2Client({ region: "us-east-1" }), ssm: new SSMClient({ region: "us-east-1" }) }),
      stackRecord: async () => record,
      awsOptions: { pollMs: 5, tierTimeoutMs: 5000 },
    });
  });
  afterEach(() => restore());

  const deploy = (...args: string[]) => scale(["deploy", "--stack", "prod", "--audit-log", auditPath, "--yes", "--json", ...args]);
  const message = (run: { message?: string; stdout: string }) => run.message ?? (JSON.parse(run.stdout) as { error: { message: string } }).error.message;
  const audit = () => readFileSync(auditPath, "utf8").trim().split("\n").map((l) => JSON.parse(l) as Record<string, unknown>);

  it("publishes once under the sha256, points the stack at it, swaps the box and refreshes each tier onto a new version", async () => {
    const sha = await sha256File(archive);
    const run = await deploy("--release", archive);
    expect(run.exit, run.stderr + run.message).to.equal(0);
    const report = json<DeployReport>(run);
    expect(report).to.deep.equal({
      release: "1.1.0", rolledBack: false,
      tiers: report.tiers.map((t) => ({ ...t, replaced: t.total })),
    });
    expect(report.tiers.map((t) => [t.tier, t.replaced, t.total])).to.deep.equal([["box", 1, 1], ["read", 2, 2], ["write", 2, 2]]);
    const key = `releases/${sha}/scale-app-1.1.0.tar.gz`;
    expect(await s3server.keys(BUCKET)).to.deep.equal([key]);
    expect(record.current).to.deep.equal({ version: "1.1.0", artifact: `s3://${BUCKET}/${key}`, sha256: sha });

    // The new version carries the same runtime with the new release; the refresh names that version, never $Latest.
    const made = ec2.commandCalls(CreateLaunchTemplateVersionCommand).map((c) => c.args[0].input);
    expect(made.map((m) => m.SourceVersion)).to.deep.equal(["7", "7"]);
    const boot = readBootArgs(Buffer.from(made[0]!.LaunchTemplateData!.UserData!, "base64").toString());
    expect(boot.release).to.deep.equal({ version: "1.1.0", bucket: BUCKET, key, sha256: sha });
    expect(boot.runtime).to.deep.equal({ tier: "read", env: { PORT: "8080", DATABASE_URL: "mysql://app@db.internal/app" } });
    const refreshes = asg.commandCalls(StartInstanceRefreshCommand).map((c) => c.args[0].input);
    expect(refreshes.map((r) => r.DesiredConfiguration?.LaunchTemplate)).to.deep.equal([
      { LaunchTemplateId: "lt-read-asg", Version: "8" }, { LaunchTemplateId: "lt-write-asg", Version: "8" },
    ]);
    expect(refreshes[0]!.Preferences).to.deep.include({ MinHealthyPercentage: 100, AutoRollback: true, CheckpointPercentages: [50, 100], SkipMatching: true });
    expect(refreshes[0]!.Preferences!.AlarmSpecification).to.deep.equal({ Alarms: ["alb-5xx", "alb-p99", "alb-unhealthy-read"] });

    const script = ssm.commandCalls(SendCommandCommand)[0]!.args[0].input.Parameters!.commands![0]!;
    expect(script).to.include(`${sha}  /var/tmp/scale-app-1.1.0.tar.gz`).and.include("systemctl restart scale-app").and.include("/readyz");
    expect(run.stderr).to.include("read: 1/2 replaced, InProgress").and.include("write: 2/2 replaced, Successful");
    expect(audit().at(-1)).to.deep.include({ kind: "deploy.end", target: "prod", outcome: "succeeded" });
    expect(audit().at(-1)).to.include.keys("who", "at");

    // The same archive again: nothing uploaded.
    const again = await deploy("--release", archive);
    expect(again.exit).to.equal(0);
    expect(again.stderr).to.include("is already in the bucket");
  });

  it("rolls every tier back when one tier's refresh is rolled back by its alarms, and exits 1", async () => {
    refreshOutcome["write-asg"] = "RollbackSuccessful";
    const run = await deploy("--release", archive);
    expect(run.exit).to.equal(1);
    expect(message(run)).to.include("write: the instance refresh ended RollbackSuccessful").and.include("back on 1.0.0");
    // The read tier, already on the new version, is refreshed back onto version 7; the write tier rolled back itself.
    const refreshes = asg.commandCalls(StartInstanceRefreshCommand).map((c) => c.args[0].input);
    expect(refreshes.map((r) => [r.AutoScalingGroupName, r.DesiredConfiguration?.LaunchTemplate?.Version])).to.deep.equal([["read-asg", "8"], ["write-asg", "8"], ["read-asg", "7"]]);
    expect(record.current).to.deep.equal(OLD);
    expect(audit().at(-1)).to.deep.include({ kind: "deploy.end", outcome: "rolledBack" });
  });

  it("stops on an unhealthy target after a refresh, and on a box that did not become ready", async () => {
    elb.on(DescribeTargetHealthCommand).resolves({ TargetHealthDescriptions: [{ Target: { Id: "i-9" }, TargetHealth: { State: "unhealthy" } }] });
    const unhealthy = await deploy("--release", archive);
    expect(unhealthy.exit).to.equal(1);
    expect(message(unhealthy)).to.include("i-9 (unhealthy)");
    ssm.on(GetCommandInvocationCommand).resolves({ Status: "Failed", StandardErrorContent: "release 1.1.0 did not answer /readyz" });
    const box = await deploy("--release", archive);
    expect(box.exit).to.equal(1);
    expect(message(box)).to.include("the box did not become ready");
    // The unhealthy read tier was refreshed back onto version 7; the failed box's deploy started no refresh at all.
    expect(asg.commandCalls(StartInstanceRefreshCommand).map((c) => c.args[0].input.DesiredConfiguration?.LaunchTemplate?.Version)).to.deep.equal(["8", "7"]);
    expect(record.current).to.deep.equal(OLD);
  });

  it("rollback returns to the release deployed before the current one, without uploading it again", async () => {
    expect((await deploy("--release", archive)).exit).to.equal(0);
    const second = await makeRelease(tempDir("scale-aws-releases-2"), "1.2.0", "good");
    expect((await deploy("--release", second)).exit).to.equal(0);
    expect(record.current.version).to.equal("1.2.0");
    const back = await scale(["rollback", "--stack", "prod", "--audit-log", auditPath, "--yes", "--json"]);
    expect(back.exit, back.message).to.equal(0);
    expect(json<DeployReport>(back).release).to.equal("1.1.0");
    expect(back.stderr).to.include("is already in the bucket");
    expect(record.current.version).to.equal("1.1.0");
    expect(audit().at(-1)).to.deep.include({ kind: "deploy.end", rollback: true, outcome: "succeeded" });
    // Nothing deployed before the first release: a usage error naming what to do.
    record.current = OLD;
    const none = await scale(["rollback", "--stack", "prod", "--audit-log", join(tempDir("scale-aws-empty"), "a.jsonl"), "--yes"]);
    expect(none.exit).to.equal(2);
    expect(none.message).to.include("no release deployed before it");
  });
});
