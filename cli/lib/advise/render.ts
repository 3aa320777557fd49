/** The human form of the advice: a short evidence table and the one recommendation. */
import { fmt, type Advice } from "./rules.ts";

export function renderAdvice(a: Advice): string[] {
  const lines: string[] = [];
  lines.push(`Current stage: ${a.stage ?? "unknown"}    Bottleneck: ${a.bottleneck}`);
  if (a.evidence.length) {
    const w = Math.max(6, ...a.evidence.map((e) => e.metric.length));
    lines.push("", `  ${"metric".padEnd(w)}  ${"value".padStart(10)}  ${"threshold".padStart(10)}`);
    for (const e of a.evidence) lines.push(`  ${e.metric.padEnd(w)}  ${fmt(e.value).padStart(10)}  ${fmt(e.threshold).padStart(10)}`);
  }
  lines.push("");
  lines.push("stage" in a.next ? `Next: move to stage ${a.next.stage}` : `Next: ${a.next.technique}`);
  lines.push(`Why: ${a.next.why}`);
  return lines;
}
