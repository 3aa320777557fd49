import { expect } from "chai";
import { alarmsWithoutRunbook, RUNBOOKS } from "../../runbooks/index.ts";
import { ALARM_DESCRIPTIONS, ALARM_IDS } from "../../stacks/alarms.ts";

describe("every alarm the stacks create has a runbook", () => {
  it("each alarm id is answered by at least one runbook", () => {
    expect(alarmsWithoutRunbook(ALARM_IDS), "alarms without a runbook").to.deep.equal([]);
  });

  it("the check names an alarm once its only runbook is gone", () => {
    const withoutReplicaLag = RUNBOOKS.filter((r) => r.id !== "replica-lag");
    expect(alarmsWithoutRunbook(ALARM_IDS, withoutReplicaLag)).to.deep.equal(["rds-replica-lag"]);
  });

  it("an alarm that names its runbook names one that exists and answers it", () => {
    const named = ALARM_IDS.flatMap((id) => (ALARM_DESCRIPTIONS[id].runbook ? [[id, ALARM_DESCRIPTIONS[id].runbook!] as const] : []));
    expect(named).to.deep.include(["queue-dlq-not-empty", "dlq-redrive"]);
    for (const [alarm, runbook] of named) expect(RUNBOOKS.find((r) => r.id === runbook)?.answersAlarms, `${alarm} -> ${runbook}`).to.include(alarm);
  });

  it("no runbook names an alarm that does not exist", () => {
    const known = new Set<string>(ALARM_IDS);
    const unknown = RUNBOOKS.flatMap((r) => r.answersAlarms.filter((a) => !known.has(a)).map((a) => `${r.id}: ${a}`));
    expect(unknown).to.deep.equal([]);
  });
});

describe("the runbook registry", () => {
  it("runbook ids are unique and every step has a timeout and an on-failure rule", () => {
    expect(new Set(RUNBOOKS.map((r) => r.id)).size).to.equal(RUNBOOKS.length);
    for (const r of RUNBOOKS)
      for (const s of r.steps) {
        expect(s.timeoutSeconds, `${r.id}/${s.id}`).to.be.greaterThan(0);
        expect(["abort", "continue"], `${r.id}/${s.id}`).to.include(s.onFailure);
      }
  });
});
