import { Args, Flags } from "@oclif/core";
import { BaseCommand } from "../../lib/base-command.ts";
import { ExitCode } from "../../lib/exit-codes.ts";
import { loadConfig } from "../../lib/config.ts";
import { confirm } from "../../lib/confirm.ts";
import type { RunReport } from "../../../runbooks/lib/run.ts";

export default class RunbookRun extends BaseCommand {
  static override description =
    "Run a runbook step by step: each step acts, then verifies; every step is recorded in the audit log.";
  static override examples = [
    "<%= config.bin %> runbook run db-snapshot --param instance=app-db --dry-run",
    "<%= config.bin %> runbook run scale-tier --param group=web --param min=2 --param max=10 --param desired=4 --yes",
  ];
  static override args = { id: Args.string({ description: "runbook id (scale runbook list)", required: true }) };
  static override flags = {
    param: Flags.string({ char: "p", description: "a parameter as name=value (repeat for more)", multiple: true, multipleNonGreedy: true }),
    "dry-run": Flags.boolean({ description: "print what would be called; change nothing" }),
    yes: Flags.boolean({ char: "y", description: "do not ask for confirmation (needed without a terminal)" }),
    "audit-log": Flags.string({ description: "audit log file (JSON lines) [env: SCALE_AUDIT_LOG; default .scale/audit.jsonl]" }),
    region: Flags.string({ description: "AWS region [env: AWS_REGION; default us-east-1]" }),
  };

  async run(): Promise<RunReport> {
    const { args, flags } = await this.parse(RunbookRun);
    // Loaded here, not at the top: oclif loads every command file to print --help.
    const { lookupRunbook } = await import("../../lib/runbook-lookup.ts");
    const { parseParamFlags, resolveParams, runRunbook, ParamError } = await import("../../../runbooks/lib/run.ts");
    const { openAudit } = await import("../../lib/audit.ts");
    const runbook = lookupRunbook(args.id);
    if (typeof runbook === "string") this.usageError(runbook);
    let params;
    try {
      params = resolveParams(runbook, parseParamFlags(flags.param));
    } catch (err) {
      if (err instanceof ParamError) this.usageError(err.message, [`scale runbook show ${runbook.id}`]);
      throw err;
    }
    const dryRun = flags["dry-run"];
    if (runbook.destructive && !dryRun) {
      const answer = await confirm(`Run ${runbook.id} (${runbook.title})?`, { yes: flags.yes });
      if (answer === "no-tty") this.refuse(`${runbook.id} changes state and there is no terminal to confirm: pass --yes, or --dry-run to see what it would do`);
      if (answer === "no") this.refuse("not confirmed; nothing was changed");
    }
    const config = await loadConfig();
    const audit = openAudit(flags["audit-log"] ?? config.auditLog, config.operator);
    const report = await runRunbook(runbook, {
      params,
      dryRun,
      region: flags.region ?? config.region,
      audit,
      log: (line) => this.progress(line),
    });
    if (!this.jsonEnabled()) this.printReport(report);
    if (report.result === "failed") {
      const step = report.steps.find((s) => s.id === report.failedStep);
      const done = report.steps.filter((s) => s.status === "succeeded").map((s) => s.id);
      const message = `${runbook.id} failed at step ${report.failedStep}: ${step?.error}. Done before it: ${done.join(", ") || "nothing"}. Audit: ${audit.path} (run ${report.runId})`;
      // Under --json the report is the one document on stdout, and the exit code still says it failed.
      if (this.jsonEnabled()) {
        process.exitCode = ExitCode.Failed;
        return report;
      }
      this.failed(message);
    }
    return report;
  }

  private printReport(report: RunReport) {
    for (const s of report.steps) {
      const mark = { succeeded: "ok  ", failed: "FAIL", skipped: "skip", planned: "plan" }[s.status];
      this.log(`${mark} ${s.id} (${s.durationMs} ms)${s.error ? `: ${s.error}` : ""}`);
      for (const c of s.calls) if (report.dryRun || !c.executed) this.log(`     ${c.executed ? "read" : "would call"} ${c.service}:${c.action} ${JSON.stringify(c.input)}`);
      for (const e of s.effects) if (report.dryRun) this.log(`     would: ${e}`);
      if (report.dryRun && s.status === "planned") this.log(`     then verify: ${s.verifies}`);
      const advice = s.outputs.advice as string[] | undefined;
      for (const a of advice ?? []) this.log(`     - ${a}`);
      if (typeof s.outputs.next === "string") this.log(`     next: ${s.outputs.next}`);
    }
    this.log(`${report.runbook}: ${report.result} (run ${report.runId})`);
  }
}
