/**
 * What a change to the stacks does to each stage: every stage planned at the base and at the head, and each pair
 * reviewed as if a stack at that stage were updated from one to the other (`scale stage diff`). Pure over the plans.
 */
import type { Plan } from "../../stacks/plan.ts";
import type { TreePlan } from "./base-tree.ts";
import { formatUsd } from "./cost.ts";
import { reviewBlocks, countActions, fitBlocks, REPORT_BUDGET, REPORT_MARKER, type Block } from "./plan-markdown.ts";
import { reviewJson, reviewPlans, type Review } from "./plan-report.ts";

export interface StageDiff {
  stage: number;
  name: string;
  /** "added"/"removed": the stage exists on one side only; "error": one side could not be planned. */
  status: "changed" | "unchanged" | "added" | "removed" | "error";
  review?: Review;
  error?: string;
}

export interface TreeLabel {
  ref: string;
  commit: string;
  /** The working tree has uncommitted changes (they are part of the head's plan). */
  dirty?: boolean;
}

export interface DiffReport {
  base: TreeLabel;
  head: TreeLabel;
  stages: StageDiff[];
}

const empty = (stage: number, name: string): Plan => ({ stage, name, resources: [], runtime: [] });

export function diffTrees(base: readonly TreePlan[], head: readonly TreePlan[]): StageDiff[] {
  const stages = [...new Set([...base, ...head].map((p) => p.stage))].sort((a, b) => a - b);
  return stages.map((stage): StageDiff => {
    const b = base.find((p) => p.stage === stage);
    const h = head.find((p) => p.stage === stage);
    const bPlan = b && "plan" in b ? b.plan : undefined;
    const hPlan = h && "plan" in h ? h.plan : undefined;
    const name = hPlan?.name ?? bPlan?.name ?? "";
    const missing = (p: TreePlan | undefined) => !p || ("error" in p && p.error === "no such stage in this tree");
    if (missing(b) && hPlan) return { stage, name, status: "added", review: reviewPlans(empty(stage, name), hPlan) };
    if (missing(h) && bPlan) return { stage, name, status: "removed", review: reviewPlans(bPlan, empty(stage, name)) };
    if (!bPlan || !hPlan) {
      const why = [b && "error" in b ? `base: ${b.error}` : "", h && "error" in h ? `head: ${h.error}` : ""].filter(Boolean).join("; ");
      return { stage, name, status: "error", error: why };
    }
    const review = reviewPlans(bPlan, hPlan);
    const changed = review.changes.length > 0 || review.runtime.length > 0;
    return { stage, name, status: changed ? "changed" : "unchanged", review };
  });
}

/** True when deploying the change to a stack at some stage could lose data. */
export function refused(report: DiffReport): StageDiff[] {
  return report.stages.filter((s) => s.review?.guard.verdict === "refused");
}

export function diffJson(report: DiffReport): Record<string, unknown> {
  return {
    base: report.base,
    head: report.head,
    guard: refused(report).length > 0 ? "refused" : "allowed",
    stages: report.stages.map((s) => ({ stage: s.stage, name: s.name, status: s.status, ...(s.error ? { error: s.error } : {}), ...(s.review ? reviewJson(s.review) : {}) })),
  };
}

function label(t: TreeLabel): string {
  return `\`${t.ref}\` (${t.commit.slice(0, 12)}${t.dirty ? ", with uncommitted changes" : ""})`;
}

function delta(r: Review): string {
  return `${r.cost.delta >= 0 ? "+" : "−"}${formatUsd(Math.abs(r.cost.delta))}`;
}

export function diffMarkdown(report: DiffReport, budget = REPORT_BUDGET): string {
  const rows = report.stages.map((s) => {
    const r = s.review;
    if (!r) return `| ${s.stage} ${s.name} | ⚠ not planned | | | |`;
    const verdict = r.guard.verdict === "refused" ? "⛔ **refused**" : "allowed";
    const what = s.status === "unchanged" ? "no change" : `${s.status === "changed" ? "" : `stage ${s.status}: `}${countActions(r.changes, true) || "runtime only"}`;
    return `| ${s.stage} ${s.name} | ${what} | ${verdict} | ${formatUsd(r.cost.before.monthly)} → ${formatUsd(r.cost.after.monthly)} | ${delta(r)} |`;
  });
  const refusedStages = refused(report);
  const blocks: Block[] = [
    { full: REPORT_MARKER },
    { full: "## Offline plan of this change, stage by stage" },
    { full: `Base ${label(report.base)} → head ${label(report.head)}. Each stage's Pulumi program is run under the SDK's mocks (no cloud account was asked); a stack at that stage would see these changes.\n` },
    ...(refusedStages.length ? [{ full: `**⛔ The transition guard refuses this change at stage ${refusedStages.map((s) => s.stage).join(", ")}: it could lose data there.**\n` }] : []),
    { full: ["| stage | changes | transition guard | monthly cost, base → head | difference |", "| --- | --- | --- | ---: | ---: |", ...rows, ""].join("\n") },
  ];
  for (const s of report.stages) {
    if (s.status === "error") blocks.push({ full: `### Stage ${s.stage} (${s.name})\n\n⚠ Could not be planned: ${s.error}\n` });
    if (!s.review || s.status === "unchanged") continue;
    blocks.push(...reviewBlocks(s.review, `### Stage ${s.stage} (${s.name})${s.status === "changed" ? "" : `, ${s.status} by this change`}`,
      { before: "base", after: "head", what: `deploying this change to a stack at stage ${s.stage}` }));
  }
  if (report.stages.every((s) => s.status === "unchanged")) blocks.push({ full: "No stage changes: the resources and every tier's runtime are the same at the base and the head." });
  return fitBlocks(blocks, budget);
}

/** The human form: one line per stage, then each changed stage's changes. */
export function formatDiff(report: DiffReport): string[] {
  const lines = [`base ${report.base.ref} (${report.base.commit.slice(0, 12)}) -> head ${report.head.ref} (${report.head.commit.slice(0, 12)}${report.head.dirty ? ", uncommitted changes" : ""})`];
  for (const s of report.stages) {
    const r = s.review;
    if (!r) {
      lines.push(`stage ${s.stage} (${s.name}): could not be planned: ${s.error}`);
      continue;
    }
    lines.push(`stage ${s.stage} (${s.name}): ${s.status === "unchanged" ? "no change" : countActions(r.changes)}; guard ${r.guard.verdict}; ${formatUsd(r.cost.before.monthly)} -> ${formatUsd(r.cost.after.monthly)}/month (${delta(r)})`);
    for (const c of r.changes) {
      lines.push(`  ${c.action.padEnd(7)} ${c.type} ${c.name}${c.stateful ? " [stateful]" : ""}`);
      for (const v of c.values) lines.push(`      ${v.path}: ${JSON.stringify(v.old) ?? "(unset)"} -> ${JSON.stringify(v.new) ?? "(unset)"}`.slice(0, 200));
    }
    for (const t of r.runtime) lines.push(`  runtime ${t.tier} (${t.action}): ${[...t.env, ...t.migrate].map((e) => e.name).join(", ")}`);
    for (const v of r.guard.violations) lines.push(`  REFUSED ${v.rule}: ${v.message}`);
  }
  return lines;
}
