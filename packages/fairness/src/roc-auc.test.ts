import { describe, expect, it } from 'vitest';
import { rocAuc } from './roc-auc.js';

describe('rocAuc', () => {
  it('averages ties', () => {
    // positives 0.5, 0.9; negatives 0.5, 0.1
    // 0.5 vs 0.5 tie = 0.5, 0.5 vs 0.1 = 1, 0.9 vs both = 2 -> 3.5 / 4
    expect(rocAuc([1, 0, 1, 0], [0.5, 0.5, 0.9, 0.1])).toBeCloseTo(0.875, 12);
  });
  it('is 1, 0 and 0.5 for perfect, inverted and constant scores', () => {
    expect(rocAuc([0, 1], [0.1, 0.9])).toBe(1);
    expect(rocAuc([0, 1], [0.9, 0.1])).toBe(0);
    expect(rocAuc([0, 1, 0, 1], [0.3, 0.3, 0.3, 0.3])).toBe(0.5);
  });
  it('accepts logits', () => {
    expect(rocAuc([0, 1, 1], [-3, 2, -4])).toBeCloseTo(0.5, 12); // 2 > -3 wins, -4 < -3 loses
  });
  it('is NaN with a single class (scikit-learn >= 1.6)', () => {
    expect(rocAuc([1, 1], [0.2, 0.8])).toBeNaN();
    expect(rocAuc([0], [0.2])).toBeNaN();
  });
  it('refuses bad inputs', () => {
    expect(() => rocAuc([1, 0], [0.5])).toThrow(/scores has 1 entries/);
    expect(() => rocAuc([], [])).toThrow(/empty/);
    expect(() => rocAuc([1, 0], [0.5, Number.NaN])).toThrow(/finite/);
    expect(() => rocAuc([1, 0], [0.5, Number.POSITIVE_INFINITY])).toThrow(/finite/);
    expect(() => rocAuc([1, 3], [0.5, 0.2])).toThrow(/0 or 1/);
  });
});
