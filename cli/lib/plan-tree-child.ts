/**
 * Child process of `planTree` (base-tree.ts): plans stages with the program of the tree in argv[2] and writes
 * `[{stage, plan} | {stage, error}]` to the file in argv[3]. Usage: node --import tsx plan-tree-child.ts DIR OUT
 * [CONFIG|""] [STAGE...]. Everything it needs comes from DIR, so it plans any commit that has stacks/plan.ts.
 */
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { pathToFileURL } from "node:url";

interface TreeModules {
  planStage(stage: number, opts?: { configFile?: string }): Promise<unknown>;
}

const [dir, out, config, ...wanted] = process.argv.slice(2);
if (!dir || !out) {
  process.stderr.write("usage: plan-tree-child.ts DIR OUT [CONFIG] [STAGE...]\n");
  process.exit(2);
}
const load = (file: string) => import(pathToFileURL(join(dir, file)).href);
const plan = (await load("stacks/plan.ts")) as TreeModules;
const ladder = (await load("stacks/stages.ts")) as { STAGE_IDS?: readonly number[]; STAGES?: readonly { id: number }[] };
const ids = wanted.length > 0 ? wanted.map(Number) : [...(ladder.STAGE_IDS ?? ladder.STAGES?.map((s) => s.id) ?? [])];
const known = new Set(ladder.STAGE_IDS ?? ladder.STAGES?.map((s) => s.id) ?? []);
const results: unknown[] = [];
for (const stage of ids) {
  if (!known.has(stage)) {
    results.push({ stage, error: "no such stage in this tree" });
    continue;
  }
  try {
    results.push({ stage, plan: await plan.planStage(stage, config ? { configFile: config } : {}) });
  } catch (error) {
    results.push({ stage, error: (error as Error).message });
  }
}
await writeFile(out, JSON.stringify(results));
