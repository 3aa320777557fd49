import { BaseCommand } from "../../lib/base-command.ts";

export default class RunbookList extends BaseCommand {
  static override description = "List the runbooks: what each is for and which alarms it answers.";
  static override examples = ["<%= config.bin %> runbook list", "<%= config.bin %> runbook list --json"];

  async run() {
    await this.parse(RunbookList);
    // Loaded here, not at the top: oclif loads every command file to print --help.
    const { RUNBOOKS } = await import("../../../runbooks/index.ts");
    const runbooks = RUNBOOKS.map((r) => ({ id: r.id, title: r.title, answersAlarms: r.answersAlarms, destructive: r.destructive }));
    if (!this.jsonEnabled()) {
      const width = Math.max(...runbooks.map((r) => r.id.length));
      for (const r of runbooks) {
        const alarms = r.answersAlarms.length ? `  [alarms: ${r.answersAlarms.join(", ")}]` : "";
        this.log(`${r.id.padEnd(width)}  ${r.title}${alarms}`);
      }
    }
    return { runbooks };
  }
}
