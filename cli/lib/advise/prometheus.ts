/** Just enough of the Prometheus text format to read our own /metrics: samples with labels and values. */
export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

const LINE = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s+(\S+)(?:\s+\d+)?$/;
const LABEL = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g;

export function parsePrometheus(text: string): Sample[] {
  const out: Sample[] = [];
  for (const raw of text.split("\n")) {
    const line = raw.trim();
    if (!line || line.startsWith("#")) continue;
    const m = LINE.exec(line);
    if (!m) continue;
    const labels: Record<string, string> = {};
    for (const l of (m[2] ?? "").matchAll(LABEL)) labels[l[1]!] = l[2]!.replace(/\\(.)/g, (_, c: string) => (c === "n" ? "\n" : c));
    const v = m[3]!;
    out.push({ name: m[1]!, labels, value: v === "+Inf" ? Infinity : v === "-Inf" ? -Infinity : Number(v) });
  }
  return out;
}

/** Sum of a metric's samples whose labels match `where` (a value or a predicate per label). */
export function sum(samples: Sample[], name: string, where: Record<string, string | ((v: string) => boolean)> = {}): number {
  let total = 0;
  for (const s of samples) {
    if (s.name !== name) continue;
    let ok = true;
    for (const [k, want] of Object.entries(where)) {
      const got = s.labels[k] ?? "";
      if (typeof want === "string" ? got !== want : !want(got)) ok = false;
    }
    if (ok && Number.isFinite(s.value)) total += s.value;
  }
  return total;
}

export function has(samples: Sample[], name: string): boolean {
  return samples.some((s) => s.name === name);
}

/** A histogram's cumulative bucket counts by upper bound, for the samples matching `where`. */
export function buckets(samples: Sample[], name: string, where: Record<string, string | ((v: string) => boolean)> = {}): Map<number, number> {
  const out = new Map<number, number>();
  for (const s of samples) {
    if (s.name !== `${name}_bucket`) continue;
    const le = s.labels.le === "+Inf" ? Infinity : Number(s.labels.le);
    let ok = true;
    for (const [k, want] of Object.entries(where)) {
      const got = s.labels[k] ?? "";
      if (typeof want === "string" ? got !== want : !want(got)) ok = false;
    }
    if (ok) out.set(le, (out.get(le) ?? 0) + s.value);
  }
  return out;
}

/** The q-quantile (0-1) from the difference of two cumulative bucket maps, interpolated within a bucket. */
export function quantileOfDelta(before: Map<number, number>, after: Map<number, number>, q: number): number | undefined {
  const bounds = [...after.keys()].sort((a, b) => a - b);
  const counts = bounds.map((b) => (after.get(b) ?? 0) - (before.get(b) ?? 0));
  const total = counts.at(-1) ?? 0;
  if (total <= 0) return undefined;
  const rank = q * total;
  let prevBound = 0;
  let prevCount = 0;
  for (let i = 0; i < bounds.length; i++) {
    if (counts[i]! >= rank) {
      const b = bounds[i]!;
      if (!Number.isFinite(b)) return prevBound;
      const inBucket = counts[i]! - prevCount;
      return inBucket > 0 ? prevBound + ((b - prevBound) * (rank - prevCount)) / inBucket : b;
    }
    prevBound = bounds[i]!;
    prevCount = counts[i]!;
  }
  return prevBound;
}
