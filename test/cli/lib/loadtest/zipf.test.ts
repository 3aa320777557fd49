import { expect } from "chai";
import { Zipf } from "../../../../cli/lib/loadtest/zipf.ts";

/** A seeded generator so the counts below are the same on every run. */
function lcg(seed: number): () => number {
  let s = seed;
  return () => ((s = (s * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
}

describe("loadtest Zipf picks", () => {
  it("draws rank k about 1/k as often as rank 1 with s = 1", () => {
    const z = new Zipf(1000, 1, lcg(7));
    const counts = new Array<number>(1000).fill(0);
    for (let i = 0; i < 200_000; i++) counts[z.next()]!++;
    const harmonic = Array.from({ length: 1000 }, (_, k) => 1 / (k + 1)).reduce((a, b) => a + b);
    expect(counts[0]! / 200_000).to.be.closeTo(1 / harmonic, 0.01);
    expect(counts[1]! / counts[0]!).to.be.closeTo(0.5, 0.05);
    expect(counts[9]! / counts[0]!).to.be.closeTo(0.1, 0.03);
    expect(counts.every((c) => c >= 0)).to.equal(true);
  });

  it("is uniform with s = 0 and stays in range", () => {
    const z = new Zipf(10, 0, lcg(3));
    const counts = new Array<number>(10).fill(0);
    for (let i = 0; i < 50_000; i++) counts[z.next()]!++;
    for (const c of counts) expect(c / 50_000).to.be.closeTo(0.1, 0.01);
  });

  it("refuses a bad size or exponent", () => {
    expect(() => new Zipf(0, 1)).to.throw(/n must be/);
    expect(() => new Zipf(10, -1)).to.throw(/exponent/);
  });
});
