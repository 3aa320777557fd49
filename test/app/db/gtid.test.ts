import { expect } from "chai";
import fc from "fast-check";
import { gtidCovers, mergeGtidPositions, parseGtidPosition, validGtidPosition } from "../../../app/db/gtid.ts";

describe("GTID positions", () => {
  it("covers by sequence number within each domain", () => {
    expect(gtidCovers("0-1-10", "0-1-10")).to.equal(true);
    expect(gtidCovers("0-1-10", "0-1-9")).to.equal(true);
    expect(gtidCovers("0-1-9", "0-1-10")).to.equal(false);
    // A domain the server has never applied is not covered.
    expect(gtidCovers("0-1-10", "1-1-1")).to.equal(false);
    expect(gtidCovers("0-1-10,1-2-5", "1-2-5")).to.equal(true);
    expect(gtidCovers("", "0-1-1")).to.equal(false);
    expect(gtidCovers("0-1-1", "")).to.equal(true);
  });

  it("compares sequence numbers as numbers, not text, beyond 2^53", () => {
    expect(gtidCovers("0-1-100", "0-1-99")).to.equal(true);
    expect(gtidCovers("0-1-9007199254740993", "0-1-9007199254740992")).to.equal(true);
    expect(gtidCovers("0-1-9007199254740992", "0-1-9007199254740993")).to.equal(false);
  });

  it("merges to the newest per domain", () => {
    expect(mergeGtidPositions("0-1-5", "0-1-7")).to.equal("0-1-7");
    expect(mergeGtidPositions("0-1-7", "0-1-5")).to.equal("0-1-7");
    expect(mergeGtidPositions("1-2-3", "0-1-5")).to.equal("0-1-5,1-2-3");
    expect(mergeGtidPositions(undefined, "0-1-5")).to.equal("0-1-5");
  });

  it("a merged position covers both inputs (property)", () => {
    const gtid = fc.tuple(fc.integer({ min: 0, max: 3 }), fc.integer({ min: 1, max: 9 }), fc.bigInt({ min: 1n, max: 2n ** 64n - 1n }));
    const position = fc.array(gtid, { maxLength: 4 }).map((gs) => gs.map(([d, s, n]) => `${d}-${s}-${n}`).join(","));
    fc.assert(
      fc.property(position, position, (a, b) => {
        const merged = mergeGtidPositions(a, b);
        return gtidCovers(merged, a) && gtidCovers(merged, b);
      }),
    );
  });

  it("refuses malformed positions, naming the bad part", () => {
    expect(() => parseGtidPosition("0-1-x")).to.throw(/not a MariaDB GTID: "0-1-x"/);
    expect(validGtidPosition("0-1-1'; DROP TABLE items")).to.equal(undefined);
    expect(validGtidPosition(42)).to.equal(undefined);
    expect(validGtidPosition("")).to.equal(undefined);
    expect(validGtidPosition(" 0-1-4 ")).to.equal("0-1-4");
  });
});
