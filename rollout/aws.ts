/**
 * A rolling deploy on AWS: the archive goes to the stack's artifact bucket, the stack's `release` config points at it,
 * the box (stages 0-1) swaps it in place through SSM, and each app tier gets a new launch template version (the same
 * template with the new release in its user data) and an instance refresh onto that version: new servers launch
 * before old ones go, checkpoints pause it, the target group's /readyz decides health, and the tier's alarms roll it
 * back automatically. A tier that fails sends every tier already rolled back to its previous version.
 */
import { CreateOrUpdateTagsCommand, DescribeAutoScalingGroupsCommand, DescribeInstanceRefreshesCommand, RollbackInstanceRefreshCommand, StartInstanceRefreshCommand, type AutoScalingClient } from "@aws-sdk/client-auto-scaling";
import { CreateLaunchTemplateVersionCommand, CreateTagsCommand, DescribeLaunchTemplateVersionsCommand, type EC2Client } from "@aws-sdk/client-ec2";
import { DescribeTargetHealthCommand, type ElasticLoadBalancingV2Client } from "@aws-sdk/client-elastic-load-balancing-v2";
import type { S3Client } from "@aws-sdk/client-s3";
import { GetCommandInvocationCommand, SendCommandCommand, type SSMClient } from "@aws-sdk/client-ssm";
import type { RolloutTargets } from "../stacks/program.ts";
import { bootUserData, parseS3Url, readBootArgs, type Release } from "../stacks/user-data.ts";
import { boxSwapScript } from "./box-swap.ts";
import { publishRelease } from "./publish.ts";
import { DeployError, secondsSince, type DeployReport, type ReleaseArchive, type TierReport } from "./report.ts";

export interface AwsClients {
  s3: S3Client;
  autoscaling: AutoScalingClient;
  ec2: EC2Client;
  elb: ElasticLoadBalancingV2Client;
  ssm: SSMClient;
}

/** The stack's `release` config as stacks/config.ts reads it. */
export interface ReleaseConfig {
  version: string;
  artifact: string;
  sha256: string;
}

/** What a deploy reads from and writes to the Pulumi stack. */
export interface StackRecord {
  release(stack: string): Promise<ReleaseConfig>;
  setRelease(stack: string, release: ReleaseConfig): Promise<void>;
  targets(stack: string): Promise<RolloutTargets>;
}

/** The instance refresh's settings. */
export interface RefreshSettings {
  /**
   * 100: no server leaves before its replacement is healthy in the target group (with maxHealthyPercentage above 100,
   * AWS launches first; it rounds to at least one instance, so small tiers go one server at a time).
   */
  minHealthyPercentage: number;
  maxHealthyPercentage: number;
  /** Seconds a new server gets before its health counts (the boot program installs and migrates). */
  instanceWarmup: number;
  /** Pause at these percentages for checkpointDelay seconds, so the alarms see the new servers under load. */
  checkpointPercentages: number[];
  checkpointDelay: number;
}

export const DEFAULT_REFRESH: RefreshSettings = { minHealthyPercentage: 100, maxHealthyPercentage: 110, instanceWarmup: 120, checkpointPercentages: [50, 100], checkpointDelay: 120 };

export interface AwsDeployArgs {
  stack: string;
  region: string;
  archive: ReleaseArchive;
  refresh?: RefreshSettings;
  /** How often DescribeInstanceRefreshes and GetCommandInvocation are asked. @default 15000 */
  pollMs?: number;
  /** Longest wait for one tier's refresh (or the box's swap) before the deploy gives up on it. @default 3600000 */
  tierTimeoutMs?: number;
  log?: (line: string) => void;
}

/** The deploy's report, with what the audit log records besides. */
export interface AwsDeployResult extends DeployReport {
  artifact: string;
  uploaded: boolean;
  previous: ReleaseConfig;
}

const DONE = new Set(["Successful", "Failed", "Cancelled", "RollbackSuccessful", "RollbackFailed"]);

export async function deployStack(clients: AwsClients, record: StackRecord, args: AwsDeployArgs): Promise<AwsDeployResult> {
  const opts = { refresh: DEFAULT_REFRESH, pollMs: 15_000, tierTimeoutMs: 3_600_000, log: () => undefined, ...args } as Required<AwsDeployArgs>;
  const previous = await record.release(args.stack);
  const targets = await record.targets(args.stack);
  const bucket = parseS3Url(previous.artifact).bucket;
  const { artifact, uploaded } = await publishRelease(clients.s3, bucket, args.archive);
  opts.log(uploaded ? `uploaded ${artifact}` : `${artifact} is already in the bucket`);
  const next: ReleaseConfig = { version: args.archive.version, artifact, sha256: args.archive.sha256 };
  const release: Release = { version: next.version, sha256: next.sha256, ...parseS3Url(artifact) };
  // The stack's config first: a later `pulumi up` then writes the same release, not the old one back.
  await record.setRelease(args.stack, next);
  const tiers: TierReport[] = [];
  const rolled: Array<{ group: string; templateId: string; version: string }> = [];
  const fail = async (message: string): Promise<never> => {
    for (const r of rolled) await refreshBack(clients, r, opts);
    await record.setRelease(args.stack, previous);
    throw new DeployError(`${message}; every tier is back on ${previous.version}`, 1, { release: next.version, tiers, rolledBack: true });
  };

  if (targets.box) {
    const started = performance.now();
    const report: TierReport = { tier: "box", replaced: 0, total: 1, seconds: 0 };
    tiers.push(report);
    const ok = await swapBox(clients.ssm, targets.box.instanceId, release, opts);
    report.seconds = secondsSince(started);
    if (!ok) await fail(`the box did not become ready on ${next.version} and went back to its previous release`);
    report.replaced = 1;
    await clients.ec2.send(new CreateTagsCommand({ Resources: [targets.box.instanceId], Tags: [{ Key: "scale:release", Value: next.version }] }));
    opts.log(`box: 1/1 replaced, ${report.seconds} s`);
  }
  for (const target of targets.tiers) {
    const started = performance.now();
    const group = (await clients.autoscaling.send(new DescribeAutoScalingGroupsCommand({ AutoScalingGroupNames: [target.group] }))).AutoScalingGroups?.[0];
    const template = group?.LaunchTemplate;
    if (!group || !template?.LaunchTemplateId || !template.Version) await fail(`${target.tier}: auto scaling group ${target.group} has no launch template`);
    const report: TierReport = { tier: target.tier, replaced: 0, total: group!.DesiredCapacity ?? 0, seconds: 0 };
    tiers.push(report);
    const version = await newTemplateVersion(clients.ec2, template!.LaunchTemplateId!, template!.Version!, release);
    await clients.autoscaling.send(new CreateOrUpdateTagsCommand({ Tags: [{ ResourceId: target.group, ResourceType: "auto-scaling-group", Key: "scale:release", Value: next.version, PropagateAtLaunch: true }] }));
    const outcome = await refresh(clients.autoscaling, target, template!.LaunchTemplateId!, version, report, started, opts);
    report.seconds = secondsSince(started);
    if (outcome.startsWith("still")) {
      // Too long: AWS's own rollback puts back the servers it replaced.
      await attempt(() => clients.autoscaling.send(new RollbackInstanceRefreshCommand({ AutoScalingGroupName: target.group })), (m) => opts.log(`${target.tier}: rollback refused: ${m}`));
    } else if (outcome !== "Successful" && outcome !== "RollbackSuccessful") {
      rolled.unshift({ group: target.group, templateId: template!.LaunchTemplateId!, version: template!.Version! });
    }
    if (outcome !== "Successful") await fail(`${target.tier}: the instance refresh ended ${outcome}`);
    rolled.unshift({ group: target.group, templateId: template!.LaunchTemplateId!, version: template!.Version! });
    if (target.targetGroupArn) {
      const unhealthy = await unhealthyTargets(clients.elb, target.targetGroupArn);
      if (unhealthy.length > 0) await fail(`${target.tier}: targets ${unhealthy.join(", ")} are not healthy after the refresh`);
    }
  }
  return { release: next.version, tiers, rolledBack: false, artifact, uploaded, previous };
}

/** A new version of the launch template: the running version's settings with the new release's user data. */
async function newTemplateVersion(ec2: EC2Client, templateId: string, sourceVersion: string, release: Release): Promise<string> {
  const current = (await ec2.send(new DescribeLaunchTemplateVersionsCommand({ LaunchTemplateId: templateId, Versions: [sourceVersion] }))).LaunchTemplateVersions?.[0];
  const userData = current?.LaunchTemplateData?.UserData;
  if (!userData) throw new DeployError(`launch template ${templateId} version ${sourceVersion} has no user data`, 1);
  const boot = readBootArgs(Buffer.from(userData, "base64").toString("utf8"));
  const made = await ec2.send(new CreateLaunchTemplateVersionCommand({
    LaunchTemplateId: templateId, SourceVersion: sourceVersion, VersionDescription: `release ${release.version}`,
    LaunchTemplateData: { UserData: Buffer.from(bootUserData({ ...boot, release })).toString("base64") },
  }));
  const number = made.LaunchTemplateVersion?.VersionNumber;
  if (number === undefined) throw new DeployError(`launch template ${templateId}: no version number came back`, 1);
  return String(number);
}

type Target = RolloutTargets["tiers"][number];

/** Starts the refresh onto `version` and follows it to its end; returns its final status. */
async function refresh(autoscaling: AutoScalingClient, target: Target, templateId: string, version: string, report: TierReport, started: number, opts: Required<AwsDeployArgs>): Promise<string> {
  const p = opts.refresh;
  const { InstanceRefreshId: id } = await autoscaling.send(new StartInstanceRefreshCommand({
    AutoScalingGroupName: target.group, Strategy: "Rolling",
    DesiredConfiguration: { LaunchTemplate: { LaunchTemplateId: templateId, Version: version } },
    Preferences: {
      MinHealthyPercentage: p.minHealthyPercentage, MaxHealthyPercentage: p.maxHealthyPercentage, InstanceWarmup: p.instanceWarmup,
      CheckpointPercentages: p.checkpointPercentages, CheckpointDelay: p.checkpointDelay, SkipMatching: true,
      AutoRollback: true, ...(target.alarms.length ? { AlarmSpecification: { Alarms: target.alarms } } : {}),
    },
  }));
  opts.log(`${target.tier}: instance refresh ${id} onto launch template ${templateId} version ${version}`);
  const deadline = performance.now() + opts.tierTimeoutMs;
  let last = "";
  for (;;) {
    const r = (await autoscaling.send(new DescribeInstanceRefreshesCommand({ AutoScalingGroupName: target.group, InstanceRefreshIds: [id!] }))).InstanceRefreshes?.[0];
    const status = r?.Status ?? "Pending";
    if (r?.InstancesToUpdate !== undefined) report.replaced = Math.max(0, report.total - r.InstancesToUpdate);
    const line = `${target.tier}: ${report.replaced}/${report.total} replaced, ${status}${r?.StatusReason ? ` (${r.StatusReason})` : ""}`;
    if (line !== last) opts.log(`${line}, ${secondsSince(started)} s`);
    last = line;
    if (DONE.has(status)) return status;
    if (performance.now() > deadline) return `still ${status} after ${opts.tierTimeoutMs / 1000} s`;
    await new Promise((res) => setTimeout(res, opts.pollMs));
  }
}

/** Back to the launch template version the tier ran before, with the same refresh (no rollback of a rollback). */
async function refreshBack(clients: AwsClients, r: { group: string; templateId: string; version: string }, opts: Required<AwsDeployArgs>): Promise<void> {
  opts.log(`${r.group}: refreshing back onto launch template version ${r.version}`);
  await attempt(() => clients.autoscaling.send(new StartInstanceRefreshCommand({
    AutoScalingGroupName: r.group, Strategy: "Rolling",
    DesiredConfiguration: { LaunchTemplate: { LaunchTemplateId: r.templateId, Version: r.version } },
    Preferences: { MinHealthyPercentage: opts.refresh.minHealthyPercentage, MaxHealthyPercentage: opts.refresh.maxHealthyPercentage, InstanceWarmup: opts.refresh.instanceWarmup, SkipMatching: true },
  })), (m) => opts.log(`${r.group}: could not start the refresh back: ${m}`));
}

/** A step of the way back: its failure is reported, and the rest of the way back still runs. */
async function attempt(step: () => Promise<unknown>, report: (message: string) => void): Promise<void> {
  try {
    await step();
  } catch (err) {
    report((err as Error).message);
  }
}

async function unhealthyTargets(elb: ElasticLoadBalancingV2Client, targetGroupArn: string): Promise<string[]> {
  const health = (await elb.send(new DescribeTargetHealthCommand({ TargetGroupArn: targetGroupArn }))).TargetHealthDescriptions ?? [];
  return health.filter((h) => h.TargetHealth?.State !== "healthy").map((h) => `${h.Target?.Id ?? "?"} (${h.TargetHealth?.State ?? "unknown"})`);
}

/** Runs the swap script on the box and waits for it; true when the box answers on the new release. */
async function swapBox(ssm: SSMClient, instanceId: string, release: Release, opts: Required<AwsDeployArgs>): Promise<boolean> {
  const timeoutSeconds = Math.ceil(opts.tierTimeoutMs / 1000);
  const sent = await ssm.send(new SendCommandCommand({
    InstanceIds: [instanceId], DocumentName: "AWS-RunShellScript", TimeoutSeconds: timeoutSeconds,
    Comment: `scale deploy ${release.version}`,
    Parameters: { commands: [boxSwapScript({ release, region: opts.region, readySeconds: 120 })], executionTimeout: [String(timeoutSeconds)] },
  }));
  const commandId = sent.Command?.CommandId;
  if (!commandId) throw new DeployError(`SSM did not accept the swap command for ${instanceId}`, 1);
  opts.log(`box: swapping ${instanceId} to ${release.version} (SSM command ${commandId})`);
  const deadline = performance.now() + opts.tierTimeoutMs;
  for (;;) {
    await new Promise((res) => setTimeout(res, opts.pollMs));
    const inv = await ssm.send(new GetCommandInvocationCommand({ CommandId: commandId, InstanceId: instanceId })).catch((err: Error) => {
      // The invocation appears a moment after SendCommand returns.
      if (err.name === "InvocationDoesNotExist") return undefined;
      throw err;
    });
    const status = inv?.Status ?? "Pending";
    if (status === "Success") return true;
    if (["Failed", "Cancelled", "TimedOut"].includes(status)) {
      opts.log(`box: ${status}: ${(inv?.StandardErrorContent ?? "").trim()}`);
      return false;
    }
    if (performance.now() > deadline) return false;
  }
}
