import { expect } from "chai";
import { Histogram } from "../../../../cli/lib/loadtest/histogram.ts";

describe("loadtest histogram", () => {
  it("gives percentiles within 1% of the exact ones", () => {
    const h = new Histogram();
    const values: number[] = [];
    for (let i = 1; i <= 10_000; i++) {
      const ms = (i * 7919) % 5000 / 10 + 0.05;
      values.push(ms);
      h.recordMs(ms);
    }
    values.sort((a, b) => a - b);
    for (const p of [50, 90, 99, 99.9]) {
      const exact = values[Math.ceil((p / 100) * values.length) - 1]!;
      expect(Math.abs(h.percentileMs(p) - exact) / exact).to.be.lessThan(0.011, `p${p}`);
    }
    expect(h.max / 1000).to.be.closeTo(values.at(-1)!, 1e-9);
    expect(h.count).to.equal(10_000);
  });

  it("is empty at 0 and adds another histogram's counts", () => {
    const a = new Histogram();
    expect(a.percentileMs(99)).to.equal(0);
    const b = new Histogram();
    b.recordMs(5);
    b.recordMs(500);
    a.recordMs(1);
    a.add(b);
    expect(a.count).to.equal(3);
    expect(a.percentileMs(100)).to.be.closeTo(500, 5);
    expect(a.percentileMs(1)).to.be.closeTo(1, 0.02);
  });

  it("keeps a value past an hour in the last slot without losing the max", () => {
    const h = new Histogram();
    h.recordMs(5 * 3_600_000);
    expect(h.percentileMs(50)).to.equal(5 * 3_600_000);
  });
});
