import { CohortError } from '@cohortfl/wire';
import { compareKeys, emptyCounts } from './eval-stats.js';
import type { EvalCounts, EvalStats } from './eval-stats.js';

const UINT32_MAX = 0xffff_ffff;

function addCounts(a: EvalCounts, b: EvalCounts): EvalCounts {
  const out = emptyCounts(a.pos.length);
  for (let i = 0; i < out.pos.length; i++) {
    const p = (a.pos[i] ?? 0) + (b.pos[i] ?? 0);
    const q = (a.neg[i] ?? 0) + (b.neg[i] ?? 0);
    if (p > UINT32_MAX || q > UINT32_MAX) {
      throw new CohortError('DATA_INVALID', `merged count in bin ${i} exceeds 2^32 - 1`);
    }
    out.pos[i] = p;
    out.neg[i] = q;
  }
  out.brierSum = a.brierSum + b.brierSum;
  out.n = a.n + b.n;
  return out;
}

/**
 * Pools two populations (sites): counts add bin by bin, group values are the union.
 * Both must use the same bins and the same group columns, since a column missing at one
 * site would silently cover only part of the pool. Inputs are not modified.
 */
export function mergeStats(a: EvalStats, b: EvalStats): EvalStats {
  if (a.bins !== b.bins) {
    throw new CohortError('SHAPE_MISMATCH', `cannot merge statistics with ${a.bins} and ${b.bins} bins`);
  }
  const columnsA = Object.keys(a.byGroup).sort(compareKeys);
  const columnsB = Object.keys(b.byGroup).sort(compareKeys);
  if (columnsA.length !== columnsB.length || columnsA.some((c, i) => c !== columnsB[i])) {
    throw new CohortError('SHAPE_MISMATCH', 'cannot merge statistics with different group columns', {
      details: { columnsA, columnsB },
    });
  }
  const byGroup = columnsA.map((column): [string, Record<string, EvalCounts>] => {
    const ga = a.byGroup[column] ?? {};
    const gb = b.byGroup[column] ?? {};
    const values = [...new Set([...Object.keys(ga), ...Object.keys(gb)])].sort(compareKeys);
    const merged = values.map((v): [string, EvalCounts] => {
      const ca = Object.hasOwn(ga, v) ? ga[v] : undefined;
      const cb = Object.hasOwn(gb, v) ? gb[v] : undefined;
      return [v, addCounts(ca ?? emptyCounts(a.bins), cb ?? emptyCounts(a.bins))];
    });
    return [column, Object.fromEntries(merged)];
  });
  return { bins: a.bins, overall: addCounts(a.overall, b.overall), byGroup: Object.fromEntries(byGroup) };
}
