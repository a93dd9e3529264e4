import { describe, expect, it } from 'vitest';
import { scoreHistogram } from './eval-stats.js';
import { fairnessFromStats } from './fairness-from-stats.js';
import {
  demographicParityDifference,
  demographicParityRatio,
  equalizedOddsDifference,
  equalizedOddsRatio,
  equalOpportunityDifference,
} from './fairness-metrics.js';
import { rocAuc } from './roc-auc.js';
import { syntheticPredictions } from './seeded-data.test-suite.js';

describe('fairnessFromStats', () => {
  it('reproduces the worked example', () => {
    // labels 1 1 0 | 0 1 0, scores 0.9 0.4 0.6 | 0.2 0.8 0.3, pred@0.5 1 0 1 | 0 1 0
    const s = scoreHistogram({
      labels: [1, 1, 0, 0, 1, 0],
      scores: [0.9, 0.4, 0.6, 0.2, 0.8, 0.3],
      groups: { sex: ['a', 'a', 'a', 'b', 'b', 'b'] },
    });
    const f = fairnessFromStats(s.byGroup.sex ?? {});
    expect(f.demographicParityDifference).toBeCloseTo(0.3333333333, 9); // 2/3 - 1/3
    expect(f.demographicParityRatio).toBeCloseTo(0.5, 12); // (1/3) / (2/3)
    expect(f.equalizedOddsDifference).toBe(1); // max(TPR 1 - 1/2, FPR 1 - 0)
    expect(f.equalizedOddsRatio).toBe(0); // min(TPR 1/2, FPR 0/1)
    expect(f.equalOpportunityDifference).toBeCloseTo(0.5, 12);
    expect(f.aucByGroup).toEqual({ a: 0.5, b: 1 }); // a: 0.9>0.6 win, 0.4<0.6 loss; b: 0.8 beats 0.2, 0.3
    expect(f.worstGroupAuc).toBe(0.5);
    expect(f.aucGap).toBe(0.5);
    expect(f.byGroup.a).toMatchObject({ n: 3, positives: 2, negatives: 1, falsePositiveRate: 1 });
  });

  it('agrees with the plain-array functions on seeded data at several thresholds', () => {
    const d = syntheticPredictions(3000, 11);
    const s = scoreHistogram({ labels: d.labels, scores: d.scores, groups: { g: d.groups } });
    for (const threshold of [0.3, 0.5, 0.72]) {
      const yPred = d.scores.map((x) => (x >= threshold ? 1 : 0));
      const opts = { sensitiveFeatures: d.groups };
      const f = fairnessFromStats(s.byGroup.g ?? {}, threshold);
      expect(f.demographicParityDifference).toBeCloseTo(demographicParityDifference(d.labels, yPred, opts), 12);
      expect(f.demographicParityRatio).toBeCloseTo(demographicParityRatio(d.labels, yPred, opts), 12);
      expect(f.equalizedOddsDifference).toBeCloseTo(equalizedOddsDifference(d.labels, yPred, opts), 12);
      expect(f.equalizedOddsRatio).toBeCloseTo(equalizedOddsRatio(d.labels, yPred, opts), 12);
      expect(f.equalOpportunityDifference).toBeCloseTo(equalOpportunityDifference(d.labels, yPred, opts), 12);
      expect(f.demographicParityDifference).toBeGreaterThan(0.01); // the groups really differ
    }
    const f = fairnessFromStats(s.byGroup.g ?? {});
    for (const g of ['a', 'b', 'c']) {
      const idx = d.groups.flatMap((x, i) => (x === g ? [i] : []));
      const exact = rocAuc(idx.map((i) => d.labels[i] as number), idx.map((i) => d.scores[i] as number));
      expect(Math.abs((f.aucByGroup[g] ?? Number.NaN) - exact)).toBeLessThan(0.002);
    }
  });

  it("uses Fairlearn's TPR 0 for a group without positives and skips its NaN AUC", () => {
    // a: labels 1 0, scores 0.9 0.1 -> TPR 1, FPR 0, AUC 1
    // c: labels 0 0, scores 0.7 0.2 -> TPR 0 (no positives), FPR 1/2, AUC NaN
    const s = scoreHistogram({ labels: [1, 0, 0, 0], scores: [0.9, 0.1, 0.7, 0.2], groups: { g: ['a', 'a', 'c', 'c'] } });
    const f = fairnessFromStats(s.byGroup.g ?? {});
    expect(f.equalOpportunityDifference).toBe(1);
    expect(f.equalizedOddsDifference).toBe(1); // max(1 - 0, 1/2 - 0)
    expect(f.aucByGroup.c).toBeNaN();
    expect(f.worstGroupAuc).toBe(1);
    expect(f.aucGap).toBe(0);
  });

  it('refuses no groups and bad thresholds', () => {
    expect(() => fairnessFromStats({})).toThrow(/non-empty group/);
    const s = scoreHistogram({ labels: [1, 0], scores: [0.9, 0.1], groups: { g: ['a', 'b'] } });
    expect(() => fairnessFromStats(s.byGroup.g ?? {}, 0.33333)).toThrow(/multiple of 1\/1000/);
  });
});
