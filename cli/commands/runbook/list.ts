import { Flags } from "@oclif/core";
import { BaseCommand } from "../../lib/base-command.ts";

export default class RunbookList extends BaseCommand {
  static override description = "List the runbooks: what each is for and which alarms it answers (--alarm: the runbooks for one alarm).";
  static override examples = [
    "<%= config.bin %> runbook list",
    "<%= config.bin %> runbook list --alarm rds-replica-lag",
    "<%= config.bin %> runbook list --json",
  ];
  static override flags = {
    alarm: Flags.string({ description: "an alarm id (as in the alarm's scale:alarm tag or its name): only the runbooks that answer it" }),
  };

  async run() {
    const { flags } = await this.parse(RunbookList);
    // Loaded here, not at the top: oclif loads every command file to print --help.
    const { RUNBOOKS } = await import("../../../runbooks/index.ts");
    const { ALARM_IDS } = await import("../../../stacks/alarms.ts");
    let chosen = RUNBOOKS;
    if (flags.alarm !== undefined) {
      // An alarm's physical name carries its id (prod-alb-5xx-rate-1a2b): accept either.
      const id = ALARM_IDS.find((a) => a === flags.alarm) ?? ALARM_IDS.find((a) => flags.alarm!.includes(a));
      if (!id) this.usageError(`--alarm ${JSON.stringify(flags.alarm)} is not an alarm the stacks create; they are: ${ALARM_IDS.join(", ")}`);
      chosen = RUNBOOKS.filter((r) => r.answersAlarms.includes(id));
    }
    const runbooks = chosen.map((r) => ({ id: r.id, title: r.title, answersAlarms: r.answersAlarms, destructive: r.destructive }));
    if (!this.jsonEnabled()) {
      const { style, table } = await import("../../lib/style.ts");
      const s = style();
      if (!runbooks.length) this.log(`no runbook answers ${flags.alarm}`);
      else
        for (const line of table(
          ["runbook", "changes state", "title", "alarms"],
          runbooks.map((r) => [r.id, r.destructive ? "yes" : "no", r.title, r.answersAlarms.join(", ")]),
          s,
        ))
          this.log(line);
    }
    return { runbooks };
  }
}
