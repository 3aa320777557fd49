import { BaseCommand } from "../../lib/base-command.ts";
import { STAGES } from "../../../stacks/stages.ts";

export default class StageList extends BaseCommand {
  static override description = "List the growth stages: what each adds and when to promote.";
  static override examples = ["<%= config.bin %> stage list", "<%= config.bin %> stage list --json"];

  async run() {
    await this.parse(StageList);
    if (!this.jsonEnabled()) {
      for (const s of STAGES) {
        this.log(`${s.id}  ${s.name.padEnd(11)} ${s.summary}`);
        if (s.promoteWhen) this.log(`${" ".repeat(15)}promote when: ${s.promoteWhen}`);
      }
    }
    return { stages: STAGES };
  }
}
