/**
 * The README's stage table, generated from the ladder. `npm run readme:stages` rewrites the table between the
 * markers; a test fails when README.md differs from what this returns.
 */
import { readFile, writeFile } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import { STAGES } from "./stages.ts";

export const TABLE_BEGIN = "<!-- stages:begin -->";
export const TABLE_END = "<!-- stages:end -->";
export const README = fileURLToPath(new URL("../README.md", import.meta.url));

/** The markdown table of the ladder. */
export function stageTable(): string {
  const rows = STAGES.map((s) => `| ${s.id} | \`${s.name}\` | ${s.summary} | ${s.promoteWhen ?? "(start here)"} |`);
  return ["| stage | name | what it adds | promote when |", "| --- | --- | --- | --- |", ...rows].join("\n");
}

/** The text between the markers in `readme`, or undefined when the markers are missing. */
export function tableIn(readme: string): string | undefined {
  const start = readme.indexOf(TABLE_BEGIN);
  const end = readme.indexOf(TABLE_END);
  if (start < 0 || end < start) return undefined;
  return readme.slice(start + TABLE_BEGIN.length, end).trim();
}

/** Rewrites README.md's table from the ladder. */
export async function writeStageTable(): Promise<void> {
  const readme = await readFile(README, "utf8");
  if (tableIn(readme) === undefined) throw new Error(`README.md has no ${TABLE_BEGIN} ... ${TABLE_END} markers`);
  const start = readme.indexOf(TABLE_BEGIN) + TABLE_BEGIN.length;
  await writeFile(README, `${readme.slice(0, start)}\n${stageTable()}\n${readme.slice(readme.indexOf(TABLE_END))}`);
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) await writeStageTable();
