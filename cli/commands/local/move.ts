import { Flags } from "@oclif/core";
import { dirFlag, LocalCommand } from "../../lib/local-command.ts";

export default class LocalMove extends LocalCommand {
  static override description =
    "Move the local stage one stage at a time to N (expand, move the data, switch, verify, contract) while the endpoint keeps serving. " +
    "Ctrl-C stops at the next safe point and records where; --resume continues a stopped move, --abort cleans it up.";
  static override examples = [
    "<%= config.bin %> local move --to 1",
    "<%= config.bin %> local move --to 5 --json",
    "<%= config.bin %> local move --resume",
    "<%= config.bin %> local move --abort",
  ];
  static override flags = {
    to: Flags.integer({ description: "the stage to reach (0-5)", exactlyOne: ["to", "resume", "abort"] }),
    resume: Flags.boolean({ description: "continue the move that stopped, from the step where it stopped", exactlyOne: ["to", "resume", "abort"] }),
    abort: Flags.boolean({ description: "clean up the move that stopped and stay at the stage it started from", exactlyOne: ["to", "resume", "abort"] }),
    dir: dirFlag,
  };

  async run() {
    const { flags } = await this.parse(LocalMove);
    const { isStageId, STAGE_IDS } = await import("../../../stacks/stages.ts");
    if (flags.to !== undefined && !isStageId(flags.to)) this.usageError(`unknown stage ${flags.to}: the stages are ${STAGE_IDS.join(", ")}`);
    const { LocalStage } = await import("../../../local/engine.ts");
    const { resolveDir } = await import("../../../local/state.ts");
    const { openAudit } = await import("../../lib/audit.ts");
    const { loadConfig } = await import("../../lib/config.ts");
    const config = await loadConfig();
    const audit = openAudit(config.auditLog, config.operator);
    const dir = resolveDir(flags.dir);
    const action = flags.resume ? "resume" : flags.abort ? "abort" : "move";
    audit.record({ kind: "local-move", event: "start", dir, action, ...(flags.to !== undefined ? { to: flags.to } : {}) });
    // Ctrl-C or a TERM stops the move at its next safe point, which records where it stopped; a second one kills.
    const interrupt = new AbortController();
    const onSignal = (signal: NodeJS.Signals) => {
      if (interrupt.signal.aborted) process.exit(130);
      this.progress(`${signal}: stopping at the next safe point (again to kill)`);
      interrupt.abort(new Error(`interrupted by ${signal}`));
    };
    process.on("SIGINT", onSignal);
    process.on("SIGTERM", onSignal);
    const engine = new LocalStage(dir, { progress: this.progressLine });
    const opts = {
      onStep: (s: { name: string; status: string; seconds: number }) => this.progress(`${s.status === "ok" ? "done" : s.status}: ${s.name} (${s.seconds} s)`),
      signal: interrupt.signal,
      audit,
    };
    let doc;
    try {
      doc = await this.guarded(() => (flags.resume ? engine.resume(opts) : flags.abort ? engine.abort(opts) : engine.move(flags.to!, opts)));
    } catch (err) {
      audit.record({ kind: "local-move", event: "interrupted", dir, action, error: (err as Error).message });
      throw err;
    } finally {
      process.off("SIGINT", onSignal);
      process.off("SIGTERM", onSignal);
    }
    audit.record({ kind: "local-move", event: "end", dir, action, ...doc });
    if (!this.jsonEnabled()) {
      this.log(
        flags.abort
          ? `The stopped move is cleaned up; the local stage is at stage ${doc.from}.`
          : `Moved from stage ${doc.from} to ${doc.to}; writes unavailable for ${doc.writeUnavailableSeconds} s in all.`,
      );
      for (const s of doc.steps) this.log(`  ${s.status.padEnd(7)} ${s.name} (${s.seconds} s)`);
    }
    return doc;
  }
}
