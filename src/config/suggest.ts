/**
 * Edit distance with adjacent transpositions (optimal string alignment), so `setWieght` is 1 from
 * `setWeight`. With `max`, stops as soon as the distance must exceed it and returns `max + 1`, so a
 * long word against many candidates costs little. Three rows of memory.
 */
export function editDistance(a: string, b: string, max = Number.POSITIVE_INFINITY): number {
  if (Math.abs(a.length - b.length) > max) return max + 1;
  const cols = b.length + 1;
  let before = new Array<number>(cols).fill(0);
  let previous = Array.from({ length: cols }, (_, j) => j);
  let current = new Array<number>(cols).fill(0);
  for (let i = 1; i <= a.length; i++) {
    current[0] = i;
    let rowBest = i;
    for (let j = 1; j < cols; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let best = Math.min(previous[j]! + 1, current[j - 1]! + 1, previous[j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) {
        best = Math.min(best, before[j - 2]! + 1);
      }
      current[j] = best;
      if (best < rowBest) rowBest = best;
    }
    if (rowBest > max) return max + 1;
    [before, previous, current] = [previous, current, before];
  }
  return previous[b.length]!;
}

/** Edit-distance cells suggestions may still compute (see withSuggestionBudget). */
let budget = Number.POSITIVE_INFINITY;

/**
 * Runs `work` allowing suggestions at most `cells` edit-distance cells in all; past that, names get
 * no "did you mean" (the message lists the allowed names instead). Comparing every unknown name with
 * every known one is quadratic: a file naming thousands of unknown services must still load fast.
 */
export function withSuggestionBudget<T>(cells: number, work: () => T): T {
  const saved = budget;
  budget = cells;
  try {
    return work();
  } finally {
    budget = saved;
  }
}

/** The candidate closest to `word`, only when it is close enough to be a likely typo. */
export function closestMatch(word: string, candidates: readonly string[]): string | undefined {
  const limit = Math.min(3, Math.max(1, Math.floor(word.length / 3)));
  const lower = word.toLowerCase();
  let best: string | undefined;
  let bestDistance = limit + 1;
  for (const candidate of candidates) {
    if (budget <= 0) break;
    budget -= (lower.length + 1) * (Math.min(candidate.length, lower.length + limit) + 1);
    const distance = editDistance(lower, candidate.toLowerCase(), bestDistance - 1);
    if (distance < bestDistance) {
      best = candidate;
      bestDistance = distance;
      if (distance === 0) break;
    }
  }
  return bestDistance <= limit ? best : undefined;
}

/** Names listed in a message at most; the rest are counted. */
const MAX_LISTED = 20;

function listed(names: readonly string[]): string {
  if (names.length <= MAX_LISTED) return names.join(", ");
  return `${names.slice(0, MAX_LISTED).join(", ")} and ${names.length - MAX_LISTED} more`;
}

/** `unknown field "replcas", did you mean "replicas"?` or, with nothing close, the allowed names. */
export function unknownNameMessage(kind: string, name: string, allowed: readonly string[]): string {
  const suggestion = closestMatch(name, allowed);
  if (suggestion !== undefined) return `unknown ${kind} "${name}", did you mean "${suggestion}"?`;
  return allowed.length > 0
    ? `unknown ${kind} "${name}"; expected one of: ${listed(allowed)}`
    : `unknown ${kind} "${name}"`;
}
