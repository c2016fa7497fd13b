// Distance is quadratic in length; typos are short, hostile keys are not.
const MAX_WORD = 64;
const MAX_CANDIDATES = 200;

/** Edit distance: insert, delete, substitute, and swap of neighbours (three rolling rows). */
export function editDistance(a: string, b: string): number {
  if (a === b) return 0;
  if (a.length === 0) return b.length;
  if (b.length === 0) return a.length;
  const n = b.length + 1;
  let prev2 = new Uint32Array(n);
  let prev = Uint32Array.from({ length: n }, (_, j) => j);
  let row = new Uint32Array(n);
  for (let i = 1; i <= a.length; i++) {
    row[0] = i;
    for (let j = 1; j < n; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let best = Math.min(prev[j]! + 1, row[j - 1]! + 1, prev[j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) best = Math.min(best, prev2[j - 2]! + 1);
      row[j] = best;
    }
    [prev2, prev, row] = [prev, row, prev2];
  }
  return prev[b.length]!;
}

/**
 * The candidate a typo most likely meant, or undefined when nothing is close.
 * Close means a case-insensitive match, or at most a third of the word's
 * letters changed (at least one, at most three).
 */
export function didYouMean(word: string, candidates: Iterable<string>): string | undefined {
  if (word.length > MAX_WORD) return undefined;
  const lower = word.toLowerCase();
  const limit = Math.min(3, Math.max(1, Math.floor(word.length / 3)));
  let best: string | undefined;
  let bestDistance = Number.POSITIVE_INFINITY;
  let looked = 0;
  for (const c of candidates) {
    if (++looked > MAX_CANDIDATES) break;
    if (c === word || c.length > MAX_WORD || Math.abs(c.length - word.length) > limit) continue;
    const distance = c.toLowerCase() === lower ? 0 : editDistance(lower, c.toLowerCase());
    if (distance <= limit && distance < bestDistance) {
      best = c;
      bestDistance = distance;
    }
  }
  return best;
}

/** ` (did you mean "x"?)` or nothing. */
export function suggestion(word: string, candidates: Iterable<string>): string {
  const s = didYouMean(word, candidates);
  return s === undefined ? '' : ` (did you mean "${s}"?)`;
}
