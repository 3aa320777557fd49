import { expect } from "chai";
import { getStage, STAGES, STAGE_IDS } from "../../stacks/stages.ts";

describe("stacks/stages: the ladder", () => {
  it("runs 0 to 5 with the seed's names and a promotion signal for every stage after the first", () => {
    expect(STAGE_IDS).to.deep.equal([0, 1, 2, 3, 4, 5]);
    expect(STAGES.map((s) => s.name)).to.deep.equal(["single-box", "users+", "users++", "users+++", "users++++", "users+++++"]);
    expect(STAGES[0]!.promoteWhen).to.equal(null);
    for (const s of STAGES.slice(1)) expect(s.promoteWhen).to.be.a("string").with.length.greaterThan(10);
  });

  it("keeps everything of the previous stage except the single box, retired at stage 2", () => {
    for (const s of STAGES.slice(1)) {
      const before = Object.keys(getStage(s.id - 1).components).filter((k) => !(k === "singleBox" && s.id === 2));
      expect(Object.keys(s.components), `stage ${s.id}`).to.include.members(before);
    }
  });

  it("refuses an unknown stage, naming the valid ones", () => {
    expect(() => getStage(6)).to.throw(RangeError, "unknown stage 6: the stages are 0, 1, 2, 3, 4, 5");
  });
});
