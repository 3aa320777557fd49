/** Run a runbook in-process with fast polling and a throwaway audit log. */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { openAudit } from "../../cli/lib/audit.ts";
import { runRunbook, resolveParams, type RunReport } from "../../runbooks/lib/run.ts";
import type { Runbook } from "../../runbooks/lib/types.ts";
import { tempDir } from "../support/tmp.ts";

export async function runForTest(
  runbook: Runbook,
  params: Record<string, string>,
  opts: { dryRun?: boolean; maxStepTimeoutMs?: number } = {},
): Promise<{ report: RunReport; audit: Record<string, unknown>[] }> {
  const path = join(tempDir("scale-audit"), "audit.jsonl");
  const report = await runRunbook(runbook, {
    params: resolveParams(runbook, params),
    dryRun: opts.dryRun ?? false,
    region: "us-east-1",
    audit: openAudit(path, "tester"),
    pollIntervalMs: 1,
    maxStepTimeoutMs: opts.maxStepTimeoutMs ?? 5000,
  });
  const audit = readFileSync(path, "utf8")
    .trim()
    .split("\n")
    .map((l) => JSON.parse(l) as Record<string, unknown>);
  return { report, audit };
}
