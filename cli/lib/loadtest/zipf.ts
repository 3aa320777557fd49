/**
 * Zipf-distributed picks over n ranks (rank k drawn with probability ∝ 1/k^s): the seed's uneven
 * traffic, where a few items take most reads. s = 0 is uniform. The cumulative table costs 8 bytes a
 * rank, so n is bounded by the caller (--items).
 */
export class Zipf {
  private readonly cdf: Float64Array;

  constructor(
    readonly n: number,
    readonly s: number,
    private readonly random: () => number = Math.random,
  ) {
    if (!Number.isInteger(n) || n < 1) throw new RangeError(`zipf: n must be a whole number >= 1, got ${n}`);
    if (!(s >= 0)) throw new RangeError(`zipf: exponent must be >= 0, got ${s}`);
    this.cdf = new Float64Array(n);
    let sum = 0;
    for (let k = 1; k <= n; k++) {
      sum += 1 / k ** s;
      this.cdf[k - 1] = sum;
    }
    for (let i = 0; i < n; i++) this.cdf[i]! /= sum;
  }

  /** A rank index in [0, n): 0 is the most popular. */
  next(): number {
    const u = this.random();
    let lo = 0;
    let hi = this.n - 1;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.cdf[mid]! < u) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }
}
