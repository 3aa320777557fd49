import { Args } from "@oclif/core";
import { BaseCommand } from "../../lib/base-command.ts";

export default class RunbookShow extends BaseCommand {
  static override description = "Show a runbook: when to use it, its parameters and its steps.";
  static override examples = ["<%= config.bin %> runbook show db-snapshot", "<%= config.bin %> runbook show replica-lag --json"];
  static override args = { id: Args.string({ description: "runbook id", required: true }) };

  async run() {
    const { args } = await this.parse(RunbookShow);
    const { describeRunbook, lookupRunbook } = await import("../../lib/runbook-lookup.ts");
    const found = lookupRunbook(args.id);
    if (typeof found === "string") this.usageError(found);
    const r = describeRunbook(found);
    if (!this.jsonEnabled()) {
      this.log(`${r.id}: ${r.title}`);
      this.log(`When to use: ${r.whenToUse}`);
      if (r.answersAlarms.length) this.log(`Answers alarms: ${r.answersAlarms.join(", ")}`);
      this.log(r.destructive ? "Changes state: asks for confirmation (or --yes)." : "Read-only or safe to repeat.");
      this.log("Parameters:");
      for (const p of r.params)
        this.log(`  ${p.name}${p.required ? " (required)" : p.default ? ` (default ${p.default})` : ""}${p.secret ? " [secret]" : ""}: ${p.description}`);
      this.log("Steps:");
      r.steps.forEach((s, i) => this.log(`  ${i + 1}. ${s.id}: ${s.title}\n     verifies: ${s.verifies}; timeout ${s.timeoutSeconds} s; on failure: ${s.onFailure}`));
    }
    return r;
  }
}
