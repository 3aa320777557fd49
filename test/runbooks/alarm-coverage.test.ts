import { expect } from "chai";
import { RUNBOOKS } from "../../runbooks/index.ts";
import { alarmIds } from "./alarm-ids.ts";
import { repoFileExists } from "../support/optional-module.ts";

describe("every alarm the stacks create has a runbook", () => {
  before(function () {
    if (!repoFileExists("stacks/alarms.ts")) this.skip();
  });

  it("each alarm id is answered by at least one runbook", async () => {
    const answered = new Set(RUNBOOKS.flatMap((r) => r.answersAlarms));
    const unanswered = (await alarmIds()).filter((id) => !answered.has(id));
    expect(unanswered, "alarms without a runbook").to.deep.equal([]);
  });

  it("no runbook names an alarm that does not exist", async () => {
    const known = new Set(await alarmIds());
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
