import { describe, expect, it } from 'vitest';
import { metricFrame } from './metric-frame.js';
import { selectionRate } from './rates.js';
import { rocAuc } from './roc-auc.js';

const accuracy = (t: number[], p: number[]) => t.filter((y, i) => y === p[i]).length / t.length;

describe('metricFrame', () => {
  // yTrue 1 1 0 | 0 1 0, yPred 1 0 1 | 0 1 0
  // accuracy: a 1/3, b 3/3 = 1, overall 4/6; selection: a 2/3, b 1/3, overall 1/2
  const mf = metricFrame({
    metrics: { accuracy, selection: (_t: number[], p: number[]) => selectionRate(p) },
    yTrue: [1, 1, 0, 0, 1, 0],
    yPred: [1, 0, 1, 0, 1, 0],
    sensitiveFeatures: ['a', 'a', 'a', 'b', 'b', 'b'],
  });
  it('computes overall and by-group values', () => {
    expect(mf.groups).toEqual(['a', 'b']);
    expect(mf.overall.accuracy).toBeCloseTo(0.6666666667, 9);
    expect(mf.byGroup.a?.accuracy).toBeCloseTo(0.3333333333, 9);
    expect(mf.byGroup.b?.accuracy).toBe(1);
    expect(mf.groupMin().selection).toBeCloseTo(0.3333333333, 9);
    expect(mf.groupMax().selection).toBeCloseTo(0.6666666667, 9);
  });
  it('computes differences and ratios both ways', () => {
    expect(mf.difference().accuracy).toBeCloseTo(0.6666666667, 9); // 1 - 1/3
    // to_overall: |1/3 - 2/3| = 1/3, |1 - 2/3| = 1/3
    expect(mf.difference('to_overall').accuracy).toBeCloseTo(0.3333333333, 9);
    expect(mf.ratio().accuracy).toBeCloseTo(0.3333333333, 9); // (1/3) / 1
    // to_overall: (1/3)/(2/3) = 1/2; 1/(2/3) = 3/2 -> 2/3; min 1/2
    expect(mf.ratio('to_overall').accuracy).toBeCloseTo(0.5, 12);
    expect(() => mf.ratio('worst' as 'to_overall')).toThrow(/method/);
  });
  it('skips NaN group values in aggregations, as pandas does', () => {
    // group c has only negatives -> its AUC is NaN and drops out of min/max
    // a: labels 1 0, scores 0.9 0.1 -> AUC 1; b: labels 1 0, scores 0.2 0.6 -> AUC 0
    const f = metricFrame({
      metrics: { auc: rocAuc },
      yTrue: [1, 0, 1, 0, 0, 0],
      yPred: [0.9, 0.1, 0.2, 0.6, 0.3, 0.4],
      sensitiveFeatures: ['a', 'a', 'b', 'b', 'c', 'c'],
    });
    expect(f.byGroup.c?.auc).toBeNaN();
    expect(f.difference().auc).toBe(1);
    expect(f.ratio().auc).toBe(0);
    const allNaN = metricFrame({ metrics: { auc: rocAuc }, yTrue: [0, 0], yPred: [0.1, 0.2], sensitiveFeatures: ['a', 'b'] });
    expect(allNaN.difference().auc).toBeNaN();
  });
  it('folds to_overall ratios below 1 and handles a zero overall like pandas', () => {
    // selection: a 0, b 0 -> overall 0: 0/0 NaN skipped -> NaN
    const f = metricFrame({ metrics: { s: (_t: number[], p: number[]) => selectionRate(p) }, yTrue: [1, 0], yPred: [0, 0], sensitiveFeatures: ['a', 'b'] });
    expect(f.ratio('to_overall').s).toBeNaN();
  });
  it('refuses bad inputs', () => {
    expect(() => metricFrame({ metrics: { accuracy }, yTrue: [1, 0], yPred: [1], sensitiveFeatures: ['a', 'b'] })).toThrow(/yPred/);
    expect(() => metricFrame({ metrics: { accuracy }, yTrue: [1, 0], yPred: [1, 0], sensitiveFeatures: ['a'] })).toThrow(/sensitiveFeatures/);
    expect(() => metricFrame({ metrics: { accuracy }, yTrue: [], yPred: [], sensitiveFeatures: [] })).toThrow(/empty/);
    expect(() => metricFrame({ metrics: { accuracy }, yTrue: [1, 0], yPred: [1, Number.NaN], sensitiveFeatures: ['a', 'b'] })).toThrow(/finite/);
    expect(() => metricFrame({ metrics: {}, yTrue: [1], yPred: [1], sensitiveFeatures: ['a'] })).toThrow(/metrics/);
  });
});
