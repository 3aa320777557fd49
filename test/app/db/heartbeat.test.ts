import { expect } from "chai";
import { lagSeconds } from "../../../app/db/heartbeat.ts";

describe("heartbeat lag", () => {
  const primary = { stampedUs: 10_000_000, positionBefore: "0-1-50" };

  it("is the gap between the primary's stamp and the replica's copy", () => {
    expect(lagSeconds(primary, { stampedUs: 7_500_000, appliedGtid: "0-1-40" })).to.equal(2.5);
  });

  it("is zero when the replica has applied everything written before the stamp", () => {
    expect(lagSeconds(primary, { stampedUs: 7_500_000, appliedGtid: "0-1-50" })).to.equal(0);
    expect(lagSeconds(primary, { stampedUs: undefined, appliedGtid: "0-1-50" })).to.equal(0);
  });

  it("is infinite before the first stamp reached the replica", () => {
    expect(lagSeconds(primary, { stampedUs: undefined, appliedGtid: "0-1-3" })).to.equal(Number.POSITIVE_INFINITY);
  });

  it("is never negative when another server stamped later", () => {
    expect(lagSeconds(primary, { stampedUs: 10_200_000, appliedGtid: "0-1-40" })).to.equal(0);
  });
});
