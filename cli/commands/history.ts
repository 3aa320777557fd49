import { Flags } from "@oclif/core";
import { BaseCommand } from "../lib/base-command.ts";
import { loadConfig } from "../lib/config.ts";
import type { HistoryEvent, HistoryKind } from "../lib/history.ts";

const KINDS: HistoryKind[] = ["move", "deploy", "runbook", "migrate", "override"];

export default class History extends BaseCommand {
  static override description = "What was done, from the audit log: stage moves, deploys, runbook runs, migrations and overrides, newest last.";
  static override examples = [
    "<%= config.bin %> history",
    "<%= config.bin %> history --stack prod --kind move --kind runbook --limit 50",
    "<%= config.bin %> history --json",
  ];
  static override flags = {
    stack: Flags.string({ description: "only this stack's events (default: every stack)" }),
    kind: Flags.string({ description: "only these kinds (repeat)", options: KINDS, multiple: true, multipleNonGreedy: true }),
    limit: Flags.integer({ description: "the last N events", default: 20, min: 1 }),
    "audit-log": Flags.string({ description: "audit log file (JSON lines) [env: SCALE_AUDIT_LOG; default .scale/audit.jsonl]" }),
  };

  async run(): Promise<{ events: HistoryEvent[]; total: number }> {
    const { flags } = await this.parse(History);
    const config = await loadConfig();
    const { history } = await import("../lib/history.ts");
    const all = history(flags["audit-log"] ?? config.auditLog, { stack: flags.stack, kinds: flags.kind as HistoryKind[] | undefined });
    const events = all.slice(-flags.limit);
    if (!this.jsonEnabled()) {
      const { style, table } = await import("../lib/style.ts");
      if (!events.length) this.log("nothing recorded yet (the audit log is empty or has no such events)");
      else for (const l of table(["when", "kind", "stack", "what", "result", "who"], events.map((e) => [e.at, e.kind, e.stack ?? "-", e.what, e.result, e.who]), style())) this.log(l);
      if (all.length > events.length) this.log(`(${all.length - events.length} earlier; --limit ${all.length} shows all)`);
    }
    return { events, total: all.length };
  }
}
