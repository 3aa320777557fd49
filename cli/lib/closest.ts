/** The candidate nearest to a mistyped word (edit distance), or undefined when none is close. */
export function editDistance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let diag = row[0]!;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const up = row[j]!;
      row[j] = Math.min(up + 1, row[j - 1]! + 1, diag + (a[i - 1] === b[j - 1] ? 0 : 1));
      diag = up;
    }
  }
  return row[b.length]!;
}

export function closestWord(word: string, candidates: readonly string[]): string | undefined {
  let best: { id: string; d: number } | undefined;
  for (const id of candidates) {
    const d = editDistance(word, id);
    if (!best || d < best.d) best = { id, d };
  }
  // Past half the word's length, the "nearest" is a guess, not a typo.
  return best && best.d <= Math.max(2, Math.ceil(word.length / 2)) ? best.id : undefined;
}
