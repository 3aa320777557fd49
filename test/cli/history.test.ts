import { expect } from "chai";
import { appendFileSync } from "node:fs";
import { join } from "node:path";
import { json, scale } from "./run-scale.ts";
import type { HistoryEvent } from "../../cli/lib/history.ts";
import { tempDir } from "../support/tmp.ts";

describe("scale history", () => {
  let auditPath: string;
  beforeEach(() => {
    auditPath = join(tempDir("scale-history"), "audit.jsonl");
    const lines = [
      { at: "2026-12-01T10:00:00Z", who: "ana", kind: "stage.transition", stack: "prod", from: 2, to: 3, result: "succeeded" },
      { at: "2026-12-01T11:00:00Z", who: "bo", kind: "runbook.start", runId: "r1", runbook: "db-snapshot", dryRun: false, params: { instance: "prod-db" }, identity: { stack: "prod" } },
      { at: "2026-12-01T11:00:01Z", who: "bo", kind: "runbook.step", runId: "r1", runbook: "db-snapshot", step: "create-snapshot" },
      { at: "2026-12-01T11:05:00Z", who: "bo", kind: "runbook.end", runId: "r1", runbook: "db-snapshot", dryRun: false, result: "succeeded" },
      { at: "2026-12-01T12:00:00Z", who: "cy", kind: "deploy.start", stack: "prod", release: "v42" },
      { at: "2026-12-01T12:10:00Z", who: "cy", kind: "deploy.end", stack: "prod", release: "v42", result: "succeeded" },
      { at: "2026-12-01T13:00:00Z", who: "dee", kind: "db.migrate", target: "mysql://app:[redacted]@db/app", result: "succeeded", applied: ["0006_x"] },
      { at: "2026-12-01T14:00:00Z", who: "ed", kind: "stage.transition", stack: "staging", from: 0, to: 1, result: "failed", failedStep: "up" },
    ];
    for (const l of lines) appendFileSync(auditPath, JSON.stringify(l) + "\n");
  });

  it("lists moves, runbook runs, deploys and migrations, oldest first", async () => {
    const run = await scale(["history", "--audit-log", auditPath, "--json"]);
    expect(run.exit).to.equal(0);
    const { events } = json<{ events: HistoryEvent[] }>(run);
    expect(events.map((e) => `${e.kind}: ${e.what} -> ${e.result}`)).to.deep.equal([
      "move: stage 2 -> 3 -> succeeded",
      "runbook: db-snapshot instance=prod-db -> succeeded",
      "deploy: deploy v42 -> succeeded",
      "migrate: db migrate mysql://app:[redacted]@db/app: 0006_x -> succeeded",
      "move: stage 0 -> 1 -> failed at up",
    ]);
  });

  it("--stack, --kind and --limit narrow it", async () => {
    const { events } = json<{ events: HistoryEvent[] }>(await scale(["history", "--audit-log", auditPath, "--stack", "prod", "--kind", "move", "--kind", "runbook", "--json"]));
    expect(events.map((e) => e.kind)).to.deep.equal(["move", "runbook"]);
    const last = json<{ events: HistoryEvent[]; total: number }>(await scale(["history", "--audit-log", auditPath, "--limit", "1", "--json"]));
    expect(last.total).to.equal(5);
    expect(last.events[0]?.stack).to.equal("staging");
  });

  it("an empty or missing audit log says so", async () => {
    const run = await scale(["history", "--audit-log", join(tempDir("scale-history"), "none.jsonl")]);
    expect(run.exit).to.equal(0);
    expect(run.stdout).to.include("nothing recorded yet");
  });
});
