import { Args, Flags } from "@oclif/core";
import { BaseCommand } from "../../lib/base-command.ts";
import { ExitCode } from "../../lib/exit-codes.ts";
import { loadConfig } from "../../lib/config.ts";
import type { RunReport } from "../../../runbooks/lib/run.ts";

export default class RunbookRun extends BaseCommand {
  static override description =
    "Run a runbook step by step: each step acts, then verifies; every step is recorded in the audit log. " +
    "Parameters, the audit log and your AWS identity are checked before the first step; Ctrl-C stops it and says what it left.";
  static override examples = [
    "<%= config.bin %> runbook run db-snapshot --param instance=app-db --dry-run",
    "<%= config.bin %> runbook run scale-tier --param group=web --param min=2 --param max=10 --param desired=4 --yes",
    "<%= config.bin %> runbook run alb-diagnose --stack prod   # the target group found from the stack's tags",
  ];
  static override args = { id: Args.string({ description: "runbook id (scale runbook list)", required: true }) };
  static override flags = {
    param: Flags.string({ char: "p", description: "a parameter as name=value (repeat for more)", multiple: true, multipleNonGreedy: true }),
    "dry-run": Flags.boolean({ description: "print what would be called; change nothing" }),
    yes: Flags.boolean({ char: "y", description: "do not ask for confirmation (needed without a terminal)" }),
    stack: Flags.string({ description: "the stack whose resources (instance, group, target group, queue) fill parameters you leave out [env: SCALE_STACK]" }),
    "audit-log": Flags.string({ description: "audit log file (JSON lines) [env: SCALE_AUDIT_LOG; default .scale/audit.jsonl]" }),
    region: Flags.string({ description: "AWS region [env: AWS_REGION; default us-east-1]" }),
  };

  async run(): Promise<RunReport> {
    const { args, flags } = await this.parse(RunbookRun);
    const config = await loadConfig();
    // Loaded here, not at the top: oclif loads every command file to print --help.
    const { checkAuditPath, openAudit } = await import("../../lib/audit.ts");
    const { lookupRunbook } = await import("../../lib/runbook-lookup.ts");
    const { parseParamFlags, resolveParams, runRunbook, ParamError } = await import("../../../runbooks/lib/run.ts");
    const { checkRegion, resolveIdentity, describeIdentity } = await import("../../lib/identity.ts");
    const { confirm, canAsk } = await import("../../lib/confirm.ts");
    const { promptDetails } = await import("../../lib/runbook-view.ts");
    const { maskParams } = await import("../../../runbooks/lib/mask.ts");

    const auditPath = flags["audit-log"] ?? config.auditLog;
    checkAuditPath(auditPath);
    const runbook = lookupRunbook(args.id);
    if (typeof runbook === "string") this.usageError(runbook);
    const region = flags.region ?? config.region;
    checkRegion(region, flags.region ? "--region" : "AWS_REGION");
    const stack = flags.stack ?? config.stack;
    let given: Record<string, string>;
    try {
      given = parseParamFlags(flags.param);
      if (flags.stack) {
        const { fillFromStack } = await import("../../lib/stack-resources.ts");
        given = { ...(await fillFromStack(runbook, given, { stack, region, log: (l) => this.progress(l) })), ...given };
      }
    } catch (err) {
      if (err instanceof ParamError) this.usageError(err.message, [`scale runbook show ${runbook.id}`]);
      throw err;
    }
    let params;
    try {
      params = resolveParams(runbook, given);
    } catch (err) {
      if (err instanceof ParamError) this.usageError(err.message, [`scale runbook show ${runbook.id}`]);
      throw err;
    }
    const dryRun = flags["dry-run"];
    const identity = await this.identity(resolveIdentity, { stack, region, aws: Boolean(runbook.usesAws) }, dryRun);
    this.progress(`${dryRun ? "[dry-run] " : ""}${runbook.id} on ${describeIdentity(identity)}`);
    const warnings = runbook.warnings?.(params) ?? [];
    for (const w of warnings) this.progress(`WARNING: ${w}`);

    if (runbook.destructive && !dryRun && !flags.yes) {
      if (!canAsk({})) this.refuse(`${runbook.id} changes state and there is no terminal to confirm: pass --yes, or --dry-run to see what it would do`);
      // What will change comes from a dry run of the same steps: reads run, changes are listed, nothing is recorded.
      const preview = await runRunbook(runbook, { params, dryRun: true, region });
      const answer = await confirm(`Run ${runbook.id} on ${identity.account ? `account ${identity.account}, ` : ""}stack ${stack}?`, {
        yes: false,
        details: promptDetails(runbook, params, identity, warnings, preview),
      });
      if (answer === "cancelled") this.refuse("cancelled; nothing was changed");
      if (answer !== "yes") this.refuse("not confirmed; nothing was changed");
    }

    const audit = openAudit(auditPath, config.operator);
    // Ctrl-C or SIGTERM stops the run between two awaits of the current step; the runner records where.
    const interrupt = new AbortController();
    const onSignal = (signal: NodeJS.Signals) => {
      this.progress(`\n${signal}: stopping ${runbook.id} and recording where it stopped...`);
      interrupt.abort();
    };
    process.once("SIGINT", onSignal);
    process.once("SIGTERM", onSignal);
    let report: RunReport;
    try {
      report = await runRunbook(runbook, {
        params,
        dryRun,
        region,
        audit,
        signal: interrupt.signal,
        log: (line) => this.progress(line),
        context: { identity, params: maskParams(runbook, params), ...(warnings.length ? { warnings } : {}) },
      });
    } finally {
      process.off("SIGINT", onSignal);
      process.off("SIGTERM", onSignal);
    }
    if (!this.jsonEnabled()) {
      const { printRunReport } = await import("../../lib/runbook-report.ts");
      printRunReport(report, (l) => this.log(l));
    }
    if (report.result === "interrupted" && report.interrupted) {
      const i = report.interrupted;
      const message = `${runbook.id} was interrupted in step ${i.step}.\nState: ${i.state}.\nTo clean up: ${i.cleanup}.\nAudit: ${audit.path} (run ${report.runId})`;
      this.progress(message);
      // 130 is what a shell reports for a command ended by Ctrl-C; scripts test for it.
      process.exitCode = 130;
      if (!this.jsonEnabled()) this.exit(130);
      return report;
    }
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

  /**
   * The identity, or for a dry run that cannot get one (no credentials, or STS out of reach) a hint and no account:
   * a dry run changes nothing.
   */
  private async identity(
    resolve: typeof import("../../lib/identity.ts").resolveIdentity,
    opts: { stack: string; region: string; aws: boolean },
    dryRun: boolean,
  ) {
    try {
      return await resolve(opts);
    } catch (err) {
      const { isOperatorMistake } = await import("../../lib/errors.ts");
      if (!dryRun) throw err;
      const hint = isOperatorMistake(err) ? (err.suggestions[0] ?? "") : "";
      this.progress(`no AWS identity (${(err as Error).message}); the dry run goes on without one. ${hint}`);
      return { stack: opts.stack, region: opts.region, account: null, arn: null };
    }
  }
}
