/** Run a runbook in-process with fast polling and a throwaway audit log. */
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { openAudit } from "../../cli/lib/audit.ts";
import { runRunbook, resolveParams, type RunReport } from "../../runbooks/lib/run.ts";
import type { Runbook } from "../../runbooks/lib/types.ts";

export async function runForTest(
  runbook: Runbook,
  params: Record<string, string>,
  opts: { dryRun?: boolean; maxStepTimeoutMs?: number } = {},
): Promise<{ report: RunReport; audit: Record<string, unknown>[] }> {
  const path = join(mkdtempSync(join(tmpdir(), "scale-audit-")), "audit.jsonl");
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
