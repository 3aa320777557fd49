/**
 * `scale deploy` and `scale rollback` as functions of injected parts: which release (an archive, or the previous one
 * from the audit log), where (a stack on AWS or a local stage), the roll itself, and the audit log's start and end
 * records with the release, who, and the outcome.
 */
import { existsSync } from "node:fs";
import { join, resolve } from "node:path";
import { deployStack, type AwsClients, type ReleaseConfig, type StackRecord } from "./aws.ts";
import { DEPLOY_END, previousRelease, type AuditEntry } from "./history.ts";
import { rollLocal, type LocalRollOptions, type LocalStage, type UnpackedRelease } from "./local.ts";
import { resolveReleaseArchive } from "./release-archive.ts";
import { DeployError, type DeployReport, type ReleaseArchive } from "./report.ts";

export type DeployTarget = { kind: "stack"; stack: string; region: string } | { kind: "local"; dir: string };

export interface DeployRequest {
  target: DeployTarget;
  /** `--release FILE|VERSION`; absent: build this checkout (deploy) or the previous release (rollback). */
  release?: string;
  rollback: boolean;
  /** Where `scale release build` leaves archives (a VERSION is looked up there). */
  releasesDir: string;
  /** The audit log as it stands, and how to append to it. */
  history: AuditEntry[];
  record(entry: AuditEntry): void;
  log(line: string): void;
}

export interface DeployDeps {
  aws(region: string): Promise<AwsClients>;
  stackRecord(): Promise<StackRecord>;
  localStage(dir: string): Promise<LocalStage>;
  /** Unpacks an archive for a local stage into `<into>/<version>`. */
  unpack(archive: ReleaseArchive, into: string): Promise<UnpackedRelease>;
  /** Builds this checkout's release (release/build.ts), for a deploy without --release. */
  build(releasesDir: string, log: (line: string) => void): Promise<ReleaseArchive>;
  awsOptions?: { pollMs?: number; tierTimeoutMs?: number };
  localOptions?: Omit<LocalRollOptions, "log">;
}

/** The audit log's name for a target: the stack, or `local:<absolute dir>`. */
export function targetName(target: DeployTarget): string {
  return target.kind === "stack" ? target.stack : `local:${resolve(target.dir)}`;
}

export async function runDeploy(req: DeployRequest, deps: DeployDeps): Promise<DeployReport> {
  return req.target.kind === "stack" ? deployToStack(req, req.target, deps) : deployToLocal(req, req.target.dir, deps);
}

async function deployToStack(req: DeployRequest, target: Extract<DeployTarget, { kind: "stack" }>, deps: DeployDeps): Promise<DeployReport> {
  // The archive first: a wrong --release is a usage error, whatever the stack says.
  let archive = req.rollback ? undefined : await chooseArchive(req, deps);
  const record = await deps.stackRecord();
  const current = await record.release(target.stack);
  if (!archive) {
    const back = previousRelease<ReleaseConfig>(req.history, target.stack, current.version);
    if (!back) throw new DeployError(`stack ${target.stack} runs ${current.version} and the audit log has no release deployed before it: deploy one with --release`, 2);
    archive = { version: back.version, sha256: back.sha256 };
  }
  const name = targetName(req.target);
  req.record({ kind: "deploy.start", target: name, release: { version: archive.version, sha256: archive.sha256 }, previous: current, rollback: req.rollback });
  try {
    const result = await deployStack(await deps.aws(target.region), record, { stack: target.stack, region: target.region, archive, log: req.log, ...deps.awsOptions });
    req.record({ kind: DEPLOY_END, target: name, release: { version: result.release, artifact: result.artifact, sha256: archive.sha256 }, previous: current, outcome: "succeeded", rollback: req.rollback, uploaded: result.uploaded, tiers: result.tiers });
    return { release: result.release, tiers: result.tiers, rolledBack: false };
  } catch (err) {
    const report = err instanceof DeployError ? err.report : undefined;
    req.record({ kind: DEPLOY_END, target: name, release: { version: archive.version, sha256: archive.sha256 }, previous: current, outcome: report?.rolledBack ? "rolledBack" : "failed", rollback: req.rollback, error: (err as Error).message, ...(report ? { tiers: report.tiers } : {}) });
    throw err;
  }
}

async function deployToLocal(req: DeployRequest, dir: string, deps: DeployDeps): Promise<DeployReport> {
  const stage = await deps.localStage(dir);
  const processes = await stage.processes();
  if (processes.length === 0) throw new DeployError(`the local stage in ${dir} runs no app process to deploy to`, 1);
  const current = await stage.releaseOf(processes[0]!);
  const releasesDir = join(dir, "releases");
  let release: UnpackedRelease;
  let sha256 = "";
  if (req.rollback) {
    const back = previousRelease<{ version: string; sha256: string }>(req.history, targetName(req.target), current.version);
    if (!back) throw new DeployError(`the local stage in ${dir} runs ${current.version} and the audit log has no release deployed to it before: deploy one with --release`, 2);
    const unpacked = join(releasesDir, back.version);
    if (!existsSync(unpacked)) throw new DeployError(`release ${back.version} is no longer unpacked in ${unpacked}: deploy its archive with --release`, 1);
    release = { version: back.version, dir: unpacked };
    sha256 = back.sha256;
  } else {
    const archive = await chooseArchive(req, deps);
    release = await deps.unpack(archive, releasesDir);
    sha256 = archive.sha256;
  }
  const name = targetName(req.target);
  const previous = { version: current.version };
  req.record({ kind: "deploy.start", target: name, release: { version: release.version, sha256 }, previous, rollback: req.rollback });
  let report: DeployReport;
  try {
    report = await rollLocal(stage, release, { ...deps.localOptions, log: req.log });
    if (!report.rolledBack) await stage.adopt?.(release);
  } catch (err) {
    req.record({ kind: DEPLOY_END, target: name, release: { version: release.version, sha256 }, previous, outcome: "failed", rollback: req.rollback, error: (err as Error).message });
    throw new DeployError(`the local deploy of ${release.version} stopped: ${(err as Error).message}; \`scale local status\` shows what runs`, 1);
  }
  req.record({ kind: DEPLOY_END, target: name, release: { version: release.version, sha256 }, previous, outcome: report.rolledBack ? "rolledBack" : "succeeded", rollback: req.rollback, tiers: report.tiers });
  if (report.rolledBack) throw new DeployError(`release ${release.version} did not become ready; every process is back on ${current.version}`, 1, report);
  return report;
}

async function chooseArchive(req: DeployRequest, deps: DeployDeps): Promise<ReleaseArchive> {
  if (req.release) return resolveReleaseArchive(req.release, req.releasesDir);
  req.log(`building this checkout's release into ${req.releasesDir}`);
  return deps.build(req.releasesDir, req.log);
}
