/** `scale stage status` for a person: short sections, tables on a terminal, nothing hidden when piped. */
import type { StackStatus } from "./stack-status.ts";
import { describeIdentity, type Identity } from "./identity.ts";
import { style, table } from "./style.ts";

export function printStatus(s: StackStatus, identity: Identity, log: (line: string) => void): void {
  const st = style();
  log(`${st.bold(`Stack ${s.stack}`)}: ${s.stage === null ? "no successful move in the audit log" : `stage ${s.stage}`} (${describeIdentity(identity)})`);
  if (s.lastMove) {
    const m = s.lastMove;
    const result = m.result === "succeeded" ? st.green(String(m.result)) : st.red(String(m.result));
    log(`Last move: ${m.from ?? "?"} -> ${m.to ?? "?"} ${result} at ${m.at} by ${String(m.who)}${m.failedStep ? ` (failed at ${String(m.failedStep)})` : ""}`);
  }
  log("");
  log(s.alarms.length ? st.red(`Alarms in ALARM (${s.alarms.length}):`) : st.green("Alarms: none in ALARM"));
  if (s.alarms.length)
    for (const l of table(["alarm", "since", "runbook", "reason"], s.alarms.map((a) => [a.id ?? a.name, a.since ?? "", a.runbook ? `scale runbook run ${a.runbook}` : "-", a.reason.slice(0, 80)]), st)) log(`  ${l}`);
  log(s.unhealthyTargets.length ? st.red(`Unhealthy targets (${s.unhealthyTargets.length}):`) : st.green("Targets: all healthy"));
  if (s.unhealthyTargets.length)
    for (const l of table(["target", "tier", "state", "reason"], s.unhealthyTargets.map((t) => [t.target, t.tier ?? "-", t.state, t.reason ?? ""]), st)) log(`  ${l}`);
  log("Releases:");
  if (!s.releases.length) log("  no running instances tagged with this stack");
  for (const l of table(["tier", "instances", "release"], s.releases.map((r) => [r.tier, String(r.instances), r.releases.join(", ") || "untagged"]), st)) log(`  ${l}`);
  if (s.releases.some((r) => r.releases.length > 1)) log(st.yellow("  a tier runs more than one release: a deploy is under way or stopped half way"));
  if (s.groups.length) {
    log("Auto Scaling groups:");
    for (const l of table(["group", "tier", "min", "max", "desired", "in service"], s.groups.map((g) => [g.name, g.tier ?? "-", String(g.min), String(g.max), String(g.desired), String(g.inService)]), st)) log(`  ${l}`);
  }
  log(s.drift.length ? st.yellow(`Drift from the stack (${s.drift.length}):`) : `Drift: none known${s.refreshed ? "" : " (--refresh also compares the live groups with the stage's program)"}`);
  for (const d of s.drift) log(`  ${d.resource} ${d.field}: ${d.stack === null ? "" : `stack ${String(d.stack)}, `}live ${String(d.live)} (${d.note})`);
}
