/** The human form of a runbook run: each step, what it found, what it would do, the advice. */
import type { RunReport } from "../../runbooks/lib/run.ts";
import { foundLines } from "./runbook-view.ts";
import { style } from "./style.ts";

export function printRunReport(report: RunReport, log: (line: string) => void): void {
  const s = style();
  for (const step of report.steps) {
    const mark = {
      succeeded: s.green("ok  "),
      failed: s.red("FAIL"),
      skipped: s.dim("skip"),
      planned: s.cyan("plan"),
    }[step.status];
    log(`${mark} ${s.bold(step.id)} (${step.durationMs} ms)${step.error ? `: ${step.error}` : ""}`);
    for (const f of foundLines(step)) log(`     ${s.dim("found")} ${f}`);
    for (const c of step.calls) if (report.dryRun || !c.executed) log(`     ${c.executed ? "read" : "would call"} ${c.service}:${c.action} ${JSON.stringify(c.input)}`);
    for (const e of step.effects) if (report.dryRun) log(`     would: ${e}`);
    if (report.dryRun && step.status === "planned") log(`     then verify: ${step.verifies}`);
    const advice = step.outputs.advice as string[] | undefined;
    for (const a of advice ?? []) log(`     - ${a}`);
    if (typeof step.outputs.next === "string") log(`     next: ${step.outputs.next}`);
  }
  const result = { succeeded: s.green, failed: s.red, planned: s.cyan, interrupted: s.yellow }[report.result](report.result);
  log(`${report.runbook}: ${result} (run ${report.runId})`);
}
