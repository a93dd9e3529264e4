import { CohortError } from '@cohortfl/wire';

/**
 * Samples max(minSites, ceil(fraction × n)) of the n available sites. The input is
 * de-duplicated and sorted first, so the same random sequence picks the same cohort
 * whatever order the sites connected in. With fewer than minSites available the
 * cohort is empty: the round driver then waits for more sites or fails the round.
 * When every site is taken no random number is consumed.
 */
export function sampleCohort(
  available: readonly string[],
  fraction: number,
  minSites: number,
  random: () => number,
): string[] {
  const pool = [...new Set(available)].sort(compareIds);
  const n = pool.length;
  if (n < minSites || n === 0) return [];
  // toPrecision guards against 0.3 * 10 = 3.0000000000000004 rounding up to 4.
  const wanted = Math.ceil(Number((fraction * n).toPrecision(12)));
  const k = Math.min(n, Math.max(minSites, wanted));
  if (k === n) return pool;
  // Partial Fisher–Yates: the first k slots end up a uniform sample without replacement.
  for (let i = 0; i < k; i++) {
    const r = random();
    if (!(r >= 0 && r < 1)) {
      throw new CohortError('CONFIG_INVALID', `cohort sampling: random() must return a number in [0, 1), got ${r}`);
    }
    const j = i + Math.floor(r * (n - i));
    const picked = pool[j] as string;
    pool[j] = pool[i] as string;
    pool[i] = picked;
  }
  return pool.slice(0, k).sort(compareIds);
}

/** Code-unit order, independent of the host's locale. */
export function compareIds(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
