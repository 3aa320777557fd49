/**
 * What happened to a stack, from the audit log: stage moves, deploys (and rollbacks), runbook runs,
 * schema migrations and overrides made outside the stack, newest last, one line each.
 */
import { readAudit, type AuditEntry } from "./audit.ts";

export type HistoryKind = "move" | "deploy" | "runbook" | "migrate" | "override";

export interface HistoryEvent {
  at: string;
  kind: HistoryKind;
  stack: string | null;
  what: string;
  result: string;
  who: string;
}

const stackOf = (e: AuditEntry): string | null => {
  const s = e.stack ?? (e.identity as { stack?: unknown } | undefined)?.stack;
  return typeof s === "string" ? s : null;
};

export function history(auditPath: string, opts: { stack?: string; kinds?: HistoryKind[] } = {}): HistoryEvent[] {
  const entries = readAudit(auditPath);
  const starts = new Map<unknown, AuditEntry>();
  const out: HistoryEvent[] = [];
  for (const e of entries) {
    const base = { at: String(e.at ?? ""), stack: stackOf(e), who: String(e.who ?? "?") };
    if (e.kind === "runbook.start") {
      starts.set(e.runId, e);
    } else if (e.kind === "runbook.end") {
      const start = starts.get(e.runId);
      const params = Object.entries((start?.params ?? {}) as Record<string, string>).map(([k, v]) => `${k}=${v}`).join(" ");
      out.push({
        ...base,
        stack: base.stack ?? (start ? stackOf(start) : null),
        kind: "runbook",
        what: `${String(e.runbook)}${e.dryRun ? " (dry run)" : ""}${params ? ` ${params}` : ""}`,
        result: `${String(e.result)}${e.failedStep ? ` at ${String(e.failedStep)}` : ""}`,
      });
    } else if (e.kind === "stage.transition") {
      out.push({ ...base, kind: "move", what: `stage ${e.from ?? "?"} -> ${e.to ?? "?"}`, result: `${String(e.result)}${e.failedStep ? ` at ${String(e.failedStep)}` : ""}` });
    } else if (e.kind.startsWith("deploy") || e.kind.startsWith("rollback")) {
      // deploy.start carries no outcome; the end record (or a single deploy record) does.
      if (e.kind.endsWith(".start")) continue;
      out.push({ ...base, kind: "deploy", what: `${e.kind.split(".")[0]} ${String(e.release ?? e.version ?? "")}`.trim(), result: String(e.result ?? (e.rolledBack ? "rolled back" : "done")) });
    } else if (e.kind === "db.migrate") {
      const applied = Array.isArray(e.applied) ? e.applied : [];
      out.push({ ...base, kind: "migrate", what: `db migrate ${String(e.target)}${applied.length ? `: ${applied.join(", ")}` : ""}`, result: String(e.result) });
    } else if (e.kind === "stack.override") {
      out.push({ ...base, kind: "override", what: `${String(e.resource)} ${JSON.stringify(e.values)} (by ${String(e.runbook)})`, result: "outside the stack" });
    }
  }
  return out.filter((h) => (!opts.stack || h.stack === opts.stack) && (!opts.kinds?.length || opts.kinds.includes(h.kind)));
}
