import { BaseCommand } from "../../lib/base-command.ts";

// Placeholder until the ladder lands (issue 2): stacks/stages.ts is the single source of truth.
export default class StageList extends BaseCommand {
  static override description = "List the growth stages: what each adds and when to promote.";
  static override examples = ["<%= config.bin %> stage list", "<%= config.bin %> stage list --json"];

  async run() {
    await this.parse(StageList);
    const stages: unknown[] = [];
    if (!this.jsonEnabled()) this.log("no stages yet");
    return { stages };
  }
}
