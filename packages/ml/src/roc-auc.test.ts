import { describe, expect, it } from 'vitest';
import { isCohortError } from '@cohortfl/wire';
import { rocAuc } from './roc-auc.js';

describe('rocAuc (rank-based, exact)', () => {
  it('perfect, inverted and chance orderings', () => {
    expect(rocAuc([0, 0, 1, 1], [0.1, 0.2, 0.8, 0.9])).toBe(1);
    expect(rocAuc([1, 1, 0, 0], [0.1, 0.2, 0.8, 0.9])).toBe(0);
    expect(rocAuc([0, 1], [0.5, 0.5])).toBe(0.5);
  });

  it('a hand-counted mixed case: 3 of 4 positive–negative pairs ordered right', () => {
    // pairs (pos, neg): (0.35,0.1) ✓ (0.35,0.4) ✗ (0.8,0.1) ✓ (0.8,0.4) ✓ → 3/4
    expect(rocAuc([0, 1, 0, 1], [0.1, 0.35, 0.4, 0.8])).toBe(0.75);
  });

  it('ties count one half (average ranks)', () => {
    // pos {0.5, 0.9}, neg {0.5, 0.2}: (0.5,0.5) ½, (0.5,0.2) 1, (0.9,0.5) 1, (0.9,0.2) 1 → 3.5/4
    expect(rocAuc([1, 0, 1, 0], [0.5, 0.5, 0.9, 0.2])).toBe(0.875);
    // three-way tie across classes: pos {0.3, 0.3}, neg {0.3, 0.1, 0.7}
    // (0.3,0.3) ½ ×2, (0.3,0.1) 1 ×2, (0.3,0.7) 0 ×2 → 3/6
    expect(rocAuc([1, 1, 0, 0, 0], [0.3, 0.3, 0.3, 0.1, 0.7])).toBe(0.5);
  });

  it('does not depend on record order and accepts typed arrays', () => {
    const labels = Float32Array.from([1, 0, 0, 1, 1, 0]);
    const scores = Float32Array.from([0.9, 0.3, 0.6, 0.6, 0.2, 0.1]);
    // pos {0.9, 0.6, 0.2}, neg {0.3, 0.6, 0.1}: 3 + (1 + ½ + 1) + (0 + 0 + 1) = 6.5 of 9
    expect(rocAuc(labels, scores)).toBeCloseTo(6.5 / 9, 12);
    expect(rocAuc([...labels].reverse(), [...scores].reverse())).toBeCloseTo(6.5 / 9, 12);
  });

  it('is NaN when a class is absent (AUC is undefined)', () => {
    expect(rocAuc([1, 1], [0.2, 0.3])).toBeNaN();
    expect(rocAuc([0, 0, 0], [0.2, 0.3, 0.1])).toBeNaN();
    expect(rocAuc([], [])).toBeNaN();
  });

  it('refuses mismatched lengths, non-binary labels and non-finite scores', () => {
    expect(() => rocAuc([0, 1], [0.1])).toThrow(expect.objectContaining({ code: 'SHAPE_MISMATCH' }));
    expect(() => rocAuc([0, 2], [0.1, 0.2])).toThrow(/label 1 is 2/);
    try {
      rocAuc([0, 1], [0.1, Number.NaN]);
      expect.unreachable();
    } catch (e) {
      expect(isCohortError(e, 'DATA_INVALID')).toBe(true);
    }
  });
});
