/**
 * The reviewer's report as GitHub-flavoured markdown: the guard's verdict, the cost, what holds data, then the
 * changes by component and the runtime by tier. A pull-request comment is cut off by GitHub past 65,536 characters,
 * so a report over its budget summarises the largest detailed sections first (counts instead of values) and never
 * drops the verdict, the cost or the stateful list.
 */
import type { Plan } from "../../stacks/plan.ts";
import { isStateful } from "../../stacks/stateful.ts";
import type { RuntimeValue } from "../../runtime/sources.ts";
import { describeValue } from "./plan-format.ts";
import { estimateMonthlyCost, formatUsd } from "./cost.ts";
import type { EnvChange, GuardVerdict, Review, ReviewedChange, RuntimeChange, ValueChange } from "./plan-report.ts";

/** GitHub's limit on a comment's body. */
export const GITHUB_COMMENT_LIMIT = 65_536;
/** The report's own budget: the limit less room for a sticky-comment action's header and footer. */
export const REPORT_BUDGET = 60_000;
/** The first line of every report: a workflow finds its earlier comment by it. */
export const REPORT_MARKER = "<!-- scale-stage-report -->";

/** A piece of the report; one with a `summary` may be shortened to it when the report is over budget. */
export interface Block {
  full: string;
  summary?: string;
}

const MAX_INLINE = 100;
const MAX_LISTED = 40;

/** Joins blocks, summarising the largest detailed ones until the whole fits `budget` (then a last, marked cut). */
export function fitBlocks(blocks: Block[], budget = REPORT_BUDGET): string {
  const chosen = blocks.map((b) => b.full);
  const size = () => chosen.reduce((n, s) => n + s.length + 1, 0);
  const order = blocks
    .map((b, i) => ({ i, saves: b.summary === undefined ? 0 : b.full.length - b.summary.length }))
    .filter((x) => x.saves > 0)
    .sort((x, y) => y.saves - x.saves);
  let summarised = 0;
  for (const { i } of order) {
    if (size() <= budget) break;
    chosen[i] = blocks[i]!.summary!;
    summarised++;
  }
  if (summarised > 0) chosen.push(`\n_${summarised} section(s) summarised to stay under GitHub's comment limit: run the command locally for every value._`);
  const text = chosen.join("\n");
  if (text.length <= budget) return text;
  const note = "\n\n_…cut here at GitHub's comment limit: run the command locally for the whole report._\n";
  return text.slice(0, budget - note.length) + note;
}

/** `text` as inline code that survives backticks inside it, shortened to `max` characters. */
export function code(text: string, max = MAX_INLINE): string {
  const flat = text.replace(/\s*\n\s*/g, " ⏎ ");
  const cut = flat.length > max ? `${flat.slice(0, max - 1)}…` : flat;
  const longest = Math.max(0, ...[...cut.matchAll(/`+/g)].map((m) => m[0].length));
  const fence = "`".repeat(longest + 1);
  return longest > 0 ? `${fence} ${cut} ${fence}` : `${fence}${cut}${fence}`;
}

/** Text for inside HTML (a <summary>), where markdown is not rendered. */
function html(text: string): string {
  return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
}

function show(v: unknown): string {
  return code(typeof v === "string" ? JSON.stringify(v) : JSON.stringify(v) ?? "undefined");
}

/** Base64 that decodes to text (user data) is shown decoded; anything else is null. */
function decoded(v: unknown): string | null {
  if (typeof v !== "string" || v.length < 40 || !/^[A-Za-z0-9+/]+=*$/.test(v)) return null;
  const text = Buffer.from(v, "base64").toString("utf8");
  return /^[\t\n\r\x20-\x7e\u00a0-\uffff]*$/.test(text) && !text.includes("\ufffd") ? text : null;
}

/** One value change as a list item; long or encoded text as the lines that differ. */
function valueLine(v: ValueChange, indent: string): string {
  const a = decoded(v.old) ?? v.old;
  const b = decoded(v.new) ?? v.new;
  const isText = (x: unknown) => typeof x === "string" && (x.includes("\n") || x.length > MAX_INLINE);
  if (typeof a === "string" && typeof b === "string" && (isText(a) || isText(b))) {
    const before = a.split("\n");
    const after = b.split("\n");
    const gone = before.filter((l) => !after.includes(l));
    const added = after.filter((l) => !before.includes(l));
    const clip = (ls: string[], sign: string) => [...ls.slice(0, 8).map((l) => `${sign} ${l.length > 160 ? `${l.slice(0, 159)}…` : l}`), ...(ls.length > 8 ? [`${sign} … ${ls.length - 8} more line(s)`] : [])];
    const label = decoded(v.old) !== null || decoded(v.new) !== null ? " (base64, decoded)" : "";
    const fence = "```";
    return [`${indent}- ${code(v.path)}${label}: ${gone.length} line(s) out, ${added.length} in`, `${indent}  ${fence}diff`,
      ...[...clip(gone, "-"), ...clip(added, "+")].map((l) => `${indent}  ${l.replace(/```/g, "`‵`")}`), `${indent}  ${fence}`].join("\n");
  }
  const from = v.old === undefined ? "_(unset)_" : show(v.old);
  const to = v.new === undefined ? "_(unset)_" : show(v.new);
  return `${indent}- ${code(v.path)}: ${from} → ${to}`;
}

function marks(c: Pick<ReviewedChange, "stateful" | "protect" | "retainOnDelete">): string {
  return [c.stateful ? "**stateful**" : "", c.protect ? "protected" : "", c.retainOnDelete ? "retained on delete" : ""].filter(Boolean).join(", ");
}

const ACTIONS = ["create", "update", "replace", "delete"] as const;

/** "1 create, 0 update, 0 replace, 2 delete"; with `skipZero`, only the actions that occur. */
export function countActions(changes: readonly Pick<ReviewedChange, "action">[], skipZero = false): string {
  const counts = ACTIONS.map((a) => [a, changes.filter((c) => c.action === a).length] as const);
  return counts.filter(([, n]) => !skipZero || n > 0).map(([a, n]) => `${n} ${a}`).join(", ");
}

function guardBlock(guard: GuardVerdict, what: string): Block {
  if (guard.verdict === "allowed") return { full: `**Transition guard: allowed.** No stateful resource is deleted, replaced or left unprotected ${what}.\n` };
  const listed = guard.violations.slice(0, MAX_LISTED).map((v) => `- \`${v.rule}\`: ${v.message}`);
  if (guard.violations.length > MAX_LISTED) listed.push(`- … and ${guard.violations.length - MAX_LISTED} more`);
  return { full: [`**⛔ Transition guard: refused.** ${what.charAt(0).toUpperCase()}${what.slice(1)} could lose data (\`scale stage up/down\` would exit 3):`, ...listed, ""].join("\n") };
}

function costBlock(review: Review, beforeLabel: string, afterLabel: string): Block {
  const { cost } = review;
  const sign = cost.delta >= 0 ? "+" : "−";
  const lines = [
    `| monthly cost (${cost.region}, on-demand, prices of ${cost.asOf}, fixed charges only) | ${beforeLabel} | ${afterLabel} | difference |`,
    "| --- | ---: | ---: | ---: |",
    `| total | ${formatUsd(cost.before.monthly)} | ${formatUsd(cost.after.monthly)} | **${sign}${formatUsd(Math.abs(cost.delta))}** |`,
    "",
  ];
  const unpriced = [...new Set([...cost.before.unpriced, ...cost.after.unpriced])];
  if (unpriced.length > 0) {
    const shown = unpriced.slice(0, MAX_LISTED).join(", ");
    lines.push(`Not priced (left out of the totals): ${shown}${unpriced.length > MAX_LISTED ? `, … and ${unpriced.length - MAX_LISTED} more` : ""}.`);
  }
  const usage = [...new Set([...cost.before.usageBased, ...cost.after.usageBased])];
  if (usage.length > 0) lines.push(`Charged by use, not counted: ${usage.map((t) => `\`${t}\``).join(", ")}.`);
  return { full: `${lines.join("\n")}\n` };
}

function statefulBlock(changes: ReviewedChange[]): Block {
  const touched = changes.filter((c) => c.stateful || c.retainOnDelete || (c.protect && c.action !== "create"));
  if (touched.length === 0) return { full: "Stateful or retained resources: none touched.\n" };
  const rows = touched.slice(0, MAX_LISTED).map((c) => `| ${c.action} | \`${c.type}\` ${c.name} | ${c.stateful ? "yes" : "no"} | ${c.protect ? "yes" : "no"} | ${c.retainOnDelete ? "yes" : "no"} | ${c.fields.join(", ") || "—"} |`);
  if (touched.length > MAX_LISTED) rows.push(`| … | and ${touched.length - MAX_LISTED} more | | | | |`);
  return { full: ["**Stateful, protected or retained resources touched:**", "", "| action | resource | stateful | protected | retained on delete | fields |", "| --- | --- | --- | --- | --- | --- |", ...rows, ""].join("\n") };
}

function componentBlocks(changes: ReviewedChange[]): Block[] {
  const groups = new Map<string, ReviewedChange[]>();
  for (const c of changes) groups.set(c.component, [...(groups.get(c.component) ?? []), c]);
  return [...groups].map(([component, members]) => {
    const head = `${html(component)}: ${countActions(members, true)}`;
    const items = members.map((c) => {
      const m = marks(c);
      return [`- **${c.action}** \`${c.type}\` ${c.name}${m ? ` (${m})` : ""}`, ...c.values.map((v) => valueLine(v, "  "))].join("\n");
    });
    return { full: `<details><summary>${head}</summary>\n\n${items.join("\n")}\n\n</details>`, summary: `- ${head} (values left out)` };
  });
}

function describeEnv(v: RuntimeValue | undefined): string {
  return v === undefined ? "_(unset)_" : code(describeValue(v));
}

function envLines(changes: EnvChange[]): string[] {
  return changes.map((c) => `- \`${c.name}\`: ${describeEnv(c.old)} → ${describeEnv(c.new)}`);
}

function runtimeBlocks(runtime: RuntimeChange[]): Block[] {
  if (runtime.length === 0) return [{ full: "Runtime: every tier's environment is unchanged.\n" }];
  return runtime.map((r) => {
    const head = `${r.tier} tier ${r.action === "changed" ? "" : `${r.action} `}(${r.env.length} setting(s)${r.migrate.length ? `, ${r.migrate.length} for its migration step` : ""})`;
    const migrate = r.migrate.length ? ["", "its migration step:", ...envLines(r.migrate)] : [];
    return { full: `<details><summary>Runtime: ${head}</summary>\n\n${[...envLines(r.env), ...migrate].join("\n")}\n\n</details>`, summary: `- Runtime: ${head} (values left out)` };
  });
}

/** The blocks of one review, headed by `title`: used for a move and for each stage of a diff. */
export function reviewBlocks(review: Review, title: string, labels: { before: string; after: string; what: string }): Block[] {
  const heading = `${title}: ${review.changes.length > 0 ? countActions(review.changes, true) : review.runtime.length > 0 ? "runtime only" : "no change"}`;
  return [
    { full: heading },
    guardBlock(review.guard, labels.what),
    costBlock(review, labels.before, labels.after),
    ...(review.changes.length === 0 ? [] : [statefulBlock(review.changes), ...componentBlocks(review.changes)]),
    ...runtimeBlocks(review.runtime),
    { full: "" },
  ];
}

/** The report of a move between two stages (`scale stage plan --stage N --from M --markdown`). */
export function moveMarkdown(review: Review, budget = REPORT_BUDGET): string {
  const { before, after } = review;
  return fitBlocks([
    { full: REPORT_MARKER },
    ...reviewBlocks(review, `### Offline plan: stage ${before.stage} (${before.name}) → ${after.stage} (${after.name})`,
      { before: `stage ${before.stage}`, after: `stage ${after.stage}`, what: `moving from stage ${before.stage} to ${after.stage}` }),
  ], budget);
}

/** The report of one stage (`scale stage plan --stage N --markdown`): its resources, cost, guard and runtime. */
export function stageMarkdown(plan: Plan, guard: GuardVerdict, budget = REPORT_BUDGET): string {
  const est = estimateMonthlyCost(plan.resources);
  const custom = plan.resources.filter((r) => !r.type.startsWith("scale:") && !r.type.startsWith("pulumi:"));
  const byType = new Map<string, number>();
  for (const r of custom) byType.set(r.type, (byType.get(r.type) ?? 0) + 1);
  const resources = [...byType].sort().map(([t, n]) => `- ${n} × \`${t}\``);
  const stateful = custom.filter(isStateful).map((r) => `- \`${r.type}\` ${r.name}${r.protect ? " (protected)" : " (**not protected**)"}${r.retainOnDelete ? ", retained on delete" : ""}`);
  const runtime = plan.runtime.map((t) => ({
    full: `<details><summary>Runtime: ${t.tier} tier (${Object.keys(t.env).length} settings)</summary>\n\n${Object.entries(t.env).map(([n, v]) => `- \`${n}\` = ${code(describeValue(v))}`).join("\n")}\n\n</details>`,
    summary: `- Runtime: ${t.tier} tier (${Object.keys(t.env).length} settings; values left out)`,
  }));
  return fitBlocks([
    { full: REPORT_MARKER },
    { full: `### Offline plan: stage ${plan.stage} (${plan.name}): ${custom.length} cloud resources` },
    guardBlock(guard, `at stage ${plan.stage}`),
    { full: `Monthly cost (${est.region}, on-demand, prices of ${est.asOf}, fixed charges only): **${formatUsd(est.monthly)}**${est.unpriced.length ? `; not priced: ${est.unpriced.join(", ")}` : ""}${est.usageBased.length ? `; charged by use, not counted: ${est.usageBased.join(", ")}` : ""}.\n` },
    { full: ["**Stateful resources:**", ...(stateful.length ? stateful : ["- none"]), ""].join("\n") },
    { full: `<details><summary>Resources by type</summary>\n\n${resources.join("\n")}\n\n</details>`, summary: `- ${custom.length} resources of ${byType.size} types (list left out)` },
    ...runtime,
  ], budget);
}
