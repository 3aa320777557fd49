/**
 * How a runbook run reads to a person: the prompt's details (who, where, with what, what will
 * change) and the report after it (what each step found, not only that it passed).
 */
import type { RunReport, StepReport } from "../../runbooks/lib/run.ts";
import type { Runbook, Params } from "../../runbooks/lib/types.ts";
import { describeIdentity, type Identity } from "./identity.ts";

import { maskParams } from "../../runbooks/lib/mask.ts";

/** What the prompt shows before "Run ...? [y/N]". `preview` is a dry run of the same runbook. */
export function promptDetails(runbook: Runbook, params: Params, identity: Identity, warnings: string[], preview?: RunReport): string[] {
  const lines = [`${runbook.id}: ${runbook.title}`, `  target:     ${describeIdentity(identity)}`];
  const shown = Object.entries(maskParams(runbook, params));
  lines.push(`  parameters: ${shown.map(([k, v]) => `${k}=${v}`).join(" ") || "none"}`);
  if (preview) {
    lines.push("  will change:");
    const changes = preview.steps.flatMap((s) => [
      ...s.calls.filter((c) => !c.executed).map((c) => `${s.id}: ${c.service}:${c.action} ${JSON.stringify(c.input)}`),
      ...s.effects.map((e) => `${s.id}: ${e}`),
    ]);
    for (const c of changes.length ? changes : ["nothing that the dry run could see"]) lines.push(`    - ${c}`);
    const found = preview.steps.flatMap((s) => foundLines(s).map((f) => `${s.id}: ${f}`));
    if (found.length) lines.push("  found:", ...found.map((f) => `    ${f}`));
    if (preview.result === "failed") lines.push(`  the dry run failed at ${preview.failedStep}: ${preview.steps.find((s) => s.id === preview.failedStep)?.error}`);
  }
  for (const w of warnings) lines.push(`  WARNING: ${w}`);
  return lines;
}

const SKIP = new Set(["advice", "next"]);

function formatValue(key: string, v: unknown): string | undefined {
  if (v === null || v === undefined) return undefined;
  if (typeof v === "number") {
    if (/ratio/i.test(key) && v <= 1) return `${(v * 100).toFixed(1)}%`;
    if (/memory|bytes/i.test(key)) return bytes(v);
    return v.toLocaleString("en-US");
  }
  if (typeof v === "string" || typeof v === "boolean") return String(v);
  if (Array.isArray(v)) {
    if (v.length === 0) return "none";
    if (v.every((x) => typeof x !== "object")) return v.length > 8 ? `${v.slice(0, 8).join(", ")} ... (${v.length})` : v.join(", ");
    return `${v.length} entries`;
  }
  if (typeof v === "object") {
    const entries = Object.entries(v as Record<string, unknown>);
    if (entries.length <= 6 && entries.every(([, x]) => typeof x !== "object")) return entries.map(([k, x]) => `${k} ${formatValue(k, x)}`).join(", ");
    return `${entries.length} entries`;
  }
  return undefined;
}

function bytes(n: number): string {
  const units = ["B", "KB", "MB", "GB", "TB"];
  let i = 0;
  while (n >= 1000 && i < units.length - 1) {
    n /= 1000;
    i++;
  }
  return `${n.toFixed(n < 10 && i > 0 ? 1 : 0)} ${units[i]}`;
}

/** "usedMemory: 1.2 MB" lines for what a step found. */
export function foundLines(s: StepReport): string[] {
  const out: string[] = [];
  for (const [k, v] of Object.entries(s.outputs)) {
    if (SKIP.has(k)) continue;
    const text = formatValue(k, v);
    if (text !== undefined) out.push(`${k}: ${text}`);
  }
  return out;
}
