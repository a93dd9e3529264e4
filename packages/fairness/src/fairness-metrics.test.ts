import { describe, expect, it } from 'vitest';
import {
  demographicParityDifference,
  demographicParityRatio,
  equalizedOddsDifference,
  equalizedOddsRatio,
  equalOpportunityDifference,
  equalOpportunityRatio,
} from './fairness-metrics.js';
import { falsePositiveRate, selectionRate, truePositiveRate } from './rates.js';

// Worked example:
//   yTrue 1 1 0 | 0 1 0
//   yPred 1 0 1 | 0 1 0
//   group a a a | b b b
// a: selection 2/3, TPR 1/2 (1 of 2 positives), FPR 1/1 = 1
// b: selection 1/3, TPR 1/1 = 1,               FPR 0/2 = 0
// overall selection 3/6 = 1/2
const yTrue = [1, 1, 0, 0, 1, 0];
const yPred = [1, 0, 1, 0, 1, 0];
const sensitiveFeatures = ['a', 'a', 'a', 'b', 'b', 'b'];

describe('base rates', () => {
  it('computes selection rate, TPR and FPR', () => {
    expect(selectionRate(yPred)).toBe(0.5); // 3 / 6
    expect(truePositiveRate(yTrue, yPred)).toBeCloseTo(0.6666666667, 9); // 2 / 3
    expect(falsePositiveRate(yTrue, yPred)).toBeCloseTo(0.3333333333, 9); // 1 / 3
  });
  it('returns 0, as Fairlearn does, for TPR without positives and FPR without negatives', () => {
    expect(truePositiveRate([0, 0], [1, 0])).toBe(0);
    expect(falsePositiveRate([1, 1], [1, 0])).toBe(0);
  });
  it('refuses empty, non-binary and mismatched input', () => {
    expect(() => selectionRate([])).toThrow(/empty/);
    expect(() => selectionRate([0.7])).toThrow(/0 or 1/);
    expect(() => truePositiveRate([1, 0], [1])).toThrow(/yPred has 1 entries/);
    expect(() => falsePositiveRate([1, Number.NaN], [1, 0])).toThrow(/0 or 1/);
  });
});

describe('fairness metrics on the worked example', () => {
  const opts = { sensitiveFeatures };
  it('demographic parity', () => {
    expect(demographicParityDifference(yTrue, yPred, opts)).toBeCloseTo(0.3333333333, 9); // 2/3 - 1/3
    expect(demographicParityRatio(yTrue, yPred, opts)).toBeCloseTo(0.5, 12); // (1/3) / (2/3)
    // to_overall: |2/3 - 1/2| = |1/3 - 1/2| = 1/6; ratios (2/3)/(1/2) = 4/3 -> 3/4, (1/3)/(1/2) = 2/3
    expect(demographicParityDifference(yTrue, yPred, { ...opts, method: 'to_overall' })).toBeCloseTo(0.1666666667, 9);
    expect(demographicParityRatio(yTrue, yPred, { ...opts, method: 'to_overall' })).toBeCloseTo(0.6666666667, 9);
  });
  it('equalized odds and equal opportunity', () => {
    // TPR difference 1 - 1/2 = 0.5, FPR difference 1 - 0 = 1 -> worst case 1, mean 0.75
    expect(equalizedOddsDifference(yTrue, yPred, opts)).toBe(1);
    expect(equalizedOddsDifference(yTrue, yPred, { ...opts, agg: 'mean' })).toBeCloseTo(0.75, 12);
    // TPR ratio (1/2)/1 = 0.5, FPR ratio 0/1 = 0 -> worst case 0, mean 0.25
    expect(equalizedOddsRatio(yTrue, yPred, opts)).toBe(0);
    expect(equalizedOddsRatio(yTrue, yPred, { ...opts, agg: 'mean' })).toBeCloseTo(0.25, 12);
    expect(equalOpportunityDifference(yTrue, yPred, opts)).toBeCloseTo(0.5, 12);
    expect(equalOpportunityRatio(yTrue, yPred, opts)).toBeCloseTo(0.5, 12);
  });
  it('is 0 difference and ratio 1 for identical groups', () => {
    const g = ['x', 'y', 'x', 'y'];
    expect(demographicParityDifference([1, 1, 0, 0], [1, 1, 0, 0], { sensitiveFeatures: g })).toBe(0);
    expect(equalizedOddsRatio([1, 1, 0, 0], [1, 1, 0, 0], { sensitiveFeatures: g })).toBe(1);
  });
});

describe("Fairlearn's handling of groups without positives or negatives", () => {
  it('counts a group without positives as TPR 0 (not NaN, not skipped)', () => {
    // a: yTrue 1 0 1, yPred 1 0 0 -> TPR 1/2, FPR 0
    // c: yTrue 0 0 0, yPred 1 1 0 -> TPR 0 (no positives), FPR 2/3
    const t = [1, 0, 1, 0, 0, 0];
    const p = [1, 0, 0, 1, 1, 0];
    const sf = ['a', 'a', 'a', 'c', 'c', 'c'];
    expect(equalOpportunityDifference(t, p, { sensitiveFeatures: sf })).toBeCloseTo(0.5, 12); // 1/2 - 0
    expect(equalizedOddsDifference(t, p, { sensitiveFeatures: sf })).toBeCloseTo(0.6666666667, 9); // max(1/2, 2/3)
  });
  it('gives NaN ratios for 0/0 and ignores a NaN FPR ratio after a defined TPR ratio (Python min)', () => {
    // every group selects nobody -> selection ratio 0/0
    expect(demographicParityRatio([1, 0, 1, 0], [0, 0, 0, 0], { sensitiveFeatures: ['a', 'a', 'b', 'b'] })).toBeNaN();
    // a: TPR 1, FPR 0; b: TPR 1/2, FPR 0 -> TPR ratio 0.5, FPR ratio 0/0 = NaN -> min(0.5, NaN) = 0.5
    const sf = ['a', 'a', 'b', 'b', 'b'];
    expect(equalizedOddsRatio([1, 0, 1, 1, 0], [1, 0, 1, 0, 0], { sensitiveFeatures: sf })).toBeCloseTo(0.5, 12);
    // a: TPR 0, FPR 1; b: TPR 0, FPR 0 -> TPR ratio 0/0 = NaN first -> min(NaN, 0) = NaN
    expect(equalizedOddsRatio([1, 0, 1, 0], [0, 1, 0, 0], { sensitiveFeatures: ['a', 'a', 'b', 'b'] })).toBeNaN();
  });
});

describe('bad inputs', () => {
  it('refuses mismatched lengths, non-binary values, bad options', () => {
    expect(() => demographicParityDifference([1, 0], [1, 0], { sensitiveFeatures: ['a'] })).toThrow(/sensitiveFeatures/);
    expect(() => equalizedOddsDifference([1, 0], [1], { sensitiveFeatures: ['a', 'b'] })).toThrow(/yPred/);
    expect(() => equalizedOddsDifference([1, 0], [1, 0.5], { sensitiveFeatures: ['a', 'b'] })).toThrow(/0 or 1/);
    expect(() => demographicParityRatio([], [], { sensitiveFeatures: [] })).toThrow(/empty/);
    const badMethod = { sensitiveFeatures: ['a', 'b'], method: 'pairwise' as 'to_overall' };
    expect(() => demographicParityDifference([1, 0], [1, 0], badMethod)).toThrow(/method/);
    const badAgg = { sensitiveFeatures: ['a', 'b'], agg: 'max' as 'mean' };
    expect(() => equalizedOddsDifference([1, 0], [1, 0], badAgg)).toThrow(/agg/);
  });
});
