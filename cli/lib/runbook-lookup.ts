/** Find a runbook by id for a command, or say which ids exist. */
import { getRunbook, RUNBOOKS } from "../../runbooks/index.ts";
import type { Runbook } from "../../runbooks/lib/types.ts";

export function lookupRunbook(id: string): Runbook | string {
  return getRunbook(id) ?? `unknown runbook "${id}"; \`scale runbook list\` shows them: ${RUNBOOKS.map((r) => r.id).join(", ")}`;
}

/** A runbook as plain JSON (patterns as strings). */
export function describeRunbook(r: Runbook) {
  return {
    id: r.id,
    title: r.title,
    whenToUse: r.whenToUse,
    answersAlarms: r.answersAlarms,
    destructive: r.destructive,
    params: r.params.map((p) => ({ ...p, pattern: p.pattern?.source })),
    steps: r.steps.map((s) => ({ id: s.id, title: s.title, verifies: s.verifies, timeoutSeconds: s.timeoutSeconds, onFailure: s.onFailure })),
  };
}
