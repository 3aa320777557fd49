/** What `scale stage up` and `scale stage down` share: flags, running the move, and turning its errors into exit codes. */
import { Flags } from "@oclif/core";
import { BaseCommand } from "./base-command.ts";
import { loadConfig } from "./config.ts";
import { confirm } from "./confirm.ts";
import { PulumiCliMissing } from "./engine.ts";
import { stageDeps } from "./stage-deps.ts";
import type { TransitionReport } from "./transition.ts";

export const moveFlags = {
  to: Flags.integer({ description: "target stage (default: the next one in this direction)" }),
  yes: Flags.boolean({ char: "y", description: "do not ask for confirmation (needed without a terminal)" }),
  stack: Flags.string({ description: "Pulumi stack [env: SCALE_STACK; default dev]" }),
  config: Flags.string({ description: "Pulumi.<stack>.yaml for the offline safety check (default: the example config)" }),
  param: Flags.string({
    char: "p",
    description: "data-move parameter name=value (0 -> 1: source, target: admin mysql:// URLs; source-host: the box as RDS reaches it)",
    multiple: true,
    multipleNonGreedy: true,
  }),
  resume: Flags.boolean({ description: "continue the stack's interrupted move where it stopped", exclusive: ["abort", "to"] }),
  abort: Flags.boolean({ description: "clean up the stack's interrupted move: the box writable again, the stage put back", exclusive: ["resume", "to"] }),
  "audit-log": Flags.string({ description: "audit log file (JSON lines) [env: SCALE_AUDIT_LOG; default .scale/audit.jsonl]" }),
  region: Flags.string({ description: "AWS region [env: AWS_REGION; default us-east-1]" }),
};

export abstract class StageMoveCommand extends BaseCommand {
  protected async move(
    direction: "up" | "down",
    flags: {
      to?: number;
      yes: boolean;
      stack?: string;
      config?: string;
      param?: string[];
      "audit-log"?: string;
      region?: string;
      resume?: boolean;
      abort?: boolean;
    },
  ): Promise<TransitionReport> {
    const config = await loadConfig();
    const { checkAuditPath } = await import("./audit.ts");
    const { STAGE_IDS, isStageId } = await import("../../stacks/stages.ts");
    const auditPath = flags["audit-log"] ?? config.auditLog;
    checkAuditPath(auditPath);
    if (flags.to !== undefined && !isStageId(flags.to))
      this.usageError(`--to ${flags.to} is not a stage: use one of ${STAGE_IDS.join(", ")}`, ["scale stage list"]);
    const stack = flags.stack ?? config.stack;
    if (!/^[\w.-]+$/.test(stack)) this.usageError(`--stack ${JSON.stringify(stack)} is not a stack name: letters, digits, - _ . (e.g. --stack prod)`);
    const region = flags.region ?? config.region;
    const { checkRegion } = await import("./identity.ts");
    checkRegion(region, flags.region ? "--region" : "AWS_REGION");
    // Loaded here, not at the top: oclif loads every command file to print --help.
    const { runTransition, TransitionError } = await import("./transition.ts");
    const { parseParamFlags, ParamError } = await import("../../runbooks/lib/run.ts");
    let params: Record<string, string>;
    try {
      params = parseParamFlags(flags.param);
    } catch (err) {
      if (err instanceof ParamError) this.usageError(err.message);
      throw err;
    }
    const identity = await stageDeps().identity({ stack, region });
    const { describeIdentity } = await import("./identity.ts");
    this.progress(`stage ${direction} on ${describeIdentity(identity)}`);
    // Ctrl-C or a TERM stops the move at its next safe point, which records where it stopped; a second one kills.
    const interrupt = new AbortController();
    const onSignal = (signal: NodeJS.Signals) => {
      if (interrupt.signal.aborted) process.exit(130);
      this.progress(`${signal}: stopping at the next safe point (again to kill)`);
      interrupt.abort(new Error(signal));
    };
    process.on("SIGINT", onSignal);
    process.on("SIGTERM", onSignal);
    try {
      const report = await runTransition(
        {
          stack,
          direction,
          to: flags.to,
          params,
          configFile: flags.config,
          auditPath,
          operator: config.operator,
          region,
          identity,
          log: (line) => this.progress(line),
          confirm: (question) => confirm(question, { yes: flags.yes }),
          resume: flags.resume,
          abort: flags.abort,
          signal: interrupt.signal,
        },
        stageDeps(),
      );
      if (!this.jsonEnabled())
        this.log(
          report.result === "unchanged"
            ? `stack ${report.stack} is already at stage ${report.to}; nothing to do`
            : report.result === "aborted"
              ? `the interrupted move of stack ${report.stack} from ${report.from} to ${report.to} is cleaned up; the stack is at stage ${report.from}`
              : `stack ${report.stack} moved from stage ${report.from} to ${report.to} and answers at ${String(report.outputs.endpoint)}`,
        );
      return report;
    } catch (err) {
      if (err instanceof PulumiCliMissing) this.failed(err.message);
      if (err instanceof TransitionError) {
        const where = err.step ? `step ${err.step}: ` : "";
        const message = `${where}${err.message}\nState: ${err.state}.`;
        if (err.exit === 2) this.usageError(message);
        if (err.exit === 3) this.refuse(message);
        this.failed(message, ["`scale stage status` shows where the stack is; the audit log has every step"]);
      }
      throw err;
    } finally {
      process.off("SIGINT", onSignal);
      process.off("SIGTERM", onSignal);
    }
  }
}
