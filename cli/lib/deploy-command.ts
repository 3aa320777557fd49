/** What `scale deploy` and `scale rollback` share: flags, the target, confirmation, audit, and exit codes. */
import { Flags } from "@oclif/core";
import { BaseCommand } from "./base-command.ts";
import { loadConfig } from "./config.ts";
import { confirm } from "./confirm.ts";
import { deployDeps } from "./deploy-deps.ts";
import { PulumiCliMissing } from "./engine.ts";
import type { DeployReport } from "../../rollout/report.ts";

export const targetFlags = {
  stack: Flags.string({ description: "Pulumi stack to deploy to", exclusive: ["local"] }),
  local: Flags.boolean({ description: "deploy to the local stage in --dir (`scale local up`)", exclusive: ["stack"] }),
  dir: Flags.string({ description: "the local stage's folder [default .scale/local]", dependsOn: ["local"] }),
  yes: Flags.boolean({ char: "y", description: "do not ask for confirmation (needed without a terminal for --stack)" }),
  "audit-log": Flags.string({ description: "audit log file (JSON lines) [env: SCALE_AUDIT_LOG; default .scale/audit.jsonl]" }),
  region: Flags.string({ description: "AWS region [env: AWS_REGION; default us-east-1]" }),
  "releases-dir": Flags.string({ description: "where `scale release build` leaves archives (a --release VERSION is found there)", default: ".scale/releases" }),
};

export interface TargetFlags {
  stack?: string;
  local: boolean;
  dir?: string;
  yes: boolean;
  "audit-log"?: string;
  region?: string;
  "releases-dir": string;
  release?: string;
}

export abstract class DeployCommandBase extends BaseCommand {
  /** The report of a deploy that failed after rolling (e.g. rolled back): the --json error document carries it. */
  private failedReport: DeployReport | undefined;

  protected override toErrorJson(err: unknown): unknown {
    return { ...(super.toErrorJson(err) as object), ...this.failedReport };
  }

  protected async deploy(flags: TargetFlags, rollback: boolean): Promise<DeployReport> {
    if (!flags.stack && !flags.local) this.usageError("name where to deploy: --stack NAME (AWS) or --local [--dir DIR] (a local stage)");
    const config = await loadConfig();
    const { openAudit, readAudit } = await import("./audit.ts");
    const { runDeploy } = await import("../../rollout/run.ts");
    const { DeployError } = await import("../../rollout/report.ts");
    const auditPath = flags["audit-log"] ?? config.auditLog;
    const target = flags.stack ? { kind: "stack" as const, stack: flags.stack, region: flags.region ?? config.region } : { kind: "local" as const, dir: flags.dir ?? ".scale/local" };
    if (target.kind === "stack") {
      const what = rollback ? "roll back to its previous release" : `roll ${flags.release ?? "this checkout's release"} through every tier`;
      const answer = await confirm(`Stack ${target.stack}: ${what}?`, { yes: flags.yes });
      if (answer === "no-tty") this.refuse(`a deploy to stack ${target.stack} replaces its servers: run it in a terminal to confirm, or pass --yes`);
      if (answer === "no") this.refuse("not confirmed; nothing changed");
    }
    const audit = openAudit(auditPath, config.operator);
    try {
      const report = await runDeploy({
        target, release: flags.release, rollback, releasesDir: flags["releases-dir"],
        history: readAudit(auditPath), record: (e) => audit.record(e), log: (l) => this.progress(l),
      }, deployDeps());
      if (!this.jsonEnabled()) this.log(describe(report));
      return report;
    } catch (err) {
      if (err instanceof PulumiCliMissing) this.failed(err.message);
      if (err instanceof DeployError) {
        if (err.report) {
          this.progress(describe(err.report));
          this.failedReport = err.report;
        }
        if (err.exit === 2) this.usageError(err.message);
        if (err.exit === 3) this.refuse(err.message);
        this.failed(err.message, [`the audit log (${auditPath}) has the deploy's start and end`]);
      }
      this.failed((err as Error).message);
    }
  }
}

function describe(report: DeployReport): string {
  const tiers = report.tiers.map((t) => `  ${t.tier}: ${t.replaced}/${t.total} replaced in ${t.seconds} s`).join("\n");
  return `release ${report.release}${report.rolledBack ? " rolled back" : " in service"}\n${tiers}`;
}
