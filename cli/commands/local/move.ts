import { Flags } from "@oclif/core";
import { dirFlag, LocalCommand } from "../../lib/local-command.ts";

export default class LocalMove extends LocalCommand {
  static override description =
    "Move the local stage one stage at a time to N (expand, move the data, switch, verify, contract) while the endpoint keeps serving.";
  static override examples = ["<%= config.bin %> local move --to 1", "<%= config.bin %> local move --to 5 --json"];
  static override flags = { to: Flags.integer({ description: "the stage to reach (0-5)", required: true }), dir: dirFlag };

  async run() {
    const { flags } = await this.parse(LocalMove);
    const { isStageId, STAGE_IDS } = await import("../../../stacks/stages.ts");
    if (!isStageId(flags.to)) this.usageError(`unknown stage ${flags.to}: the stages are ${STAGE_IDS.join(", ")}`);
    const { LocalStage } = await import("../../../local/engine.ts");
    const { resolveDir } = await import("../../../local/state.ts");
    const { openAudit } = await import("../../lib/audit.ts");
    const { loadConfig } = await import("../../lib/config.ts");
    const config = await loadConfig();
    const audit = openAudit(config.auditLog, config.operator);
    const dir = resolveDir(flags.dir);
    audit.record({ kind: "local-move", event: "start", dir, to: flags.to });
    const engine = new LocalStage(dir, { progress: this.progressLine });
    let doc;
    try {
      doc = await this.guarded(() => engine.move(flags.to, (s) => this.progress(`${s.status === "ok" ? "done" : s.status}: ${s.name} (${s.seconds} s)`)));
    } catch (err) {
      audit.record({ kind: "local-move", event: "interrupted", dir, to: flags.to, error: (err as Error).message });
      throw err;
    }
    audit.record({ kind: "local-move", event: "end", dir, ...doc });
    if (!this.jsonEnabled()) {
      this.log(`Moved from stage ${doc.from} to ${doc.to}; writes unavailable for ${doc.writeUnavailableSeconds} s in all.`);
      for (const s of doc.steps) this.log(`  ${s.status.padEnd(7)} ${s.name} (${s.seconds} s)`);
    }
    return doc;
  }
}
