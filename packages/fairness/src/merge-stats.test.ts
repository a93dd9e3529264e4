import { describe, expect, it } from 'vitest';
import { isCohortError } from '@cohortfl/wire';
import { scoreHistogram } from './eval-stats.js';
import type { EvalStats } from './eval-stats.js';
import { mergeStats } from './merge-stats.js';
import { syntheticPredictions } from './seeded-data.test-suite.js';

function site(n: number, seed: number, groupNames?: string[]): EvalStats {
  const d = syntheticPredictions(n, seed, groupNames);
  return scoreHistogram({ labels: d.labels, scores: d.scores, groups: { g: d.groups } });
}

/** Equal counts everywhere; Brier sums equal up to summation order. */
function expectSameStats(x: EvalStats, y: EvalStats): void {
  expect(x.bins).toBe(y.bins);
  expect(Object.keys(x.byGroup.g ?? {})).toEqual(Object.keys(y.byGroup.g ?? {}));
  const pairs = [[x.overall, y.overall], ...Object.keys(x.byGroup.g ?? {}).map((v) => [x.byGroup.g?.[v], y.byGroup.g?.[v]])];
  for (const [a, b] of pairs) {
    expect(a?.pos).toEqual(b?.pos);
    expect(a?.neg).toEqual(b?.neg);
    expect(a?.n).toBe(b?.n);
    expect(a?.brierSum).toBeCloseTo(b?.brierSum ?? Number.NaN, 9);
  }
}

describe('mergeStats', () => {
  const a = site(400, 1);
  const b = site(300, 2, ['a', 'b']);
  const c = site(200, 3, ['c', 'd']);

  it('is associative and commutative', () => {
    expectSameStats(mergeStats(mergeStats(a, b), c), mergeStats(a, mergeStats(b, c)));
    expectSameStats(mergeStats(a, b), mergeStats(b, a));
  });

  it('equals the histogram of the pooled data, with the union of group values', () => {
    const d1 = syntheticPredictions(250, 5);
    const d2 = syntheticPredictions(150, 6, ['b', 'z']);
    const pooled = scoreHistogram({
      labels: [...d1.labels, ...d2.labels],
      scores: [...d1.scores, ...d2.scores],
      groups: { g: [...d1.groups, ...d2.groups] },
    });
    const merged = mergeStats(
      scoreHistogram({ labels: d1.labels, scores: d1.scores, groups: { g: d1.groups } }),
      scoreHistogram({ labels: d2.labels, scores: d2.scores, groups: { g: d2.groups } }),
    );
    expectSameStats(merged, pooled);
    expect(Object.keys(merged.byGroup.g ?? {})).toEqual(['a', 'b', 'c', 'z']);
    expect(merged.overall.n).toBe(400);
  });

  it('does not modify its inputs', () => {
    const before = a.overall.pos.slice();
    mergeStats(a, a);
    expect(a.overall.pos).toEqual(before);
  });

  it('refuses different bins or group columns, and count overflow', () => {
    const tenBins = scoreHistogram({ labels: [1], scores: [0.5], groups: { g: ['a'] }, bins: 10 });
    const code = (fn: () => unknown) => {
      try {
        fn();
      } catch (e) {
        return isCohortError(e) ? e.code : 'other';
      }
      return 'none';
    };
    expect(code(() => mergeStats(a, tenBins))).toBe('SHAPE_MISMATCH');
    const other = scoreHistogram({ labels: [1], scores: [0.5], groups: { h: ['a'] } });
    expect(code(() => mergeStats(a, other))).toBe('SHAPE_MISMATCH');
    const noGroups = scoreHistogram({ labels: [1], scores: [0.5] });
    expect(code(() => mergeStats(a, noGroups))).toBe('SHAPE_MISMATCH');
    const big = scoreHistogram({ labels: [1], scores: [0.5], bins: 10 });
    big.overall.pos[5] = 0xffff_ffff;
    expect(code(() => mergeStats(big, scoreHistogram({ labels: [1], scores: [0.5], bins: 10 })))).toBe('DATA_INVALID');
  });
});
