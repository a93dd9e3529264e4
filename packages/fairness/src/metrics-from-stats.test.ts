import { describe, expect, it } from 'vitest';
import { isCohortError } from '@cohortfl/wire';
import { scoreHistogram } from './eval-stats.js';
import { metricsByGroup, metricsFromStats } from './metrics-from-stats.js';
import { rocAuc } from './roc-auc.js';
import { syntheticPredictions } from './seeded-data.test-suite.js';

// Worked example (threshold 0.5):
//   labels  1    1    0    0    1    0
//   scores  0.9  0.4  0.6  0.2  0.8  0.3
//   pred    1    0    1    0    1    0
//   group   a    a    a    b    b    b
// Overall: TP = 2 (0.9, 0.8), FN = 1 (0.4), FP = 1 (0.6), TN = 2 (0.2, 0.3).
const labels = [1, 1, 0, 0, 1, 0];
const scores = [0.9, 0.4, 0.6, 0.2, 0.8, 0.3];
const sex = ['a', 'a', 'a', 'b', 'b', 'b'];
const stats = scoreHistogram({ labels, scores, groups: { sex } });

describe('metricsFromStats on the worked example', () => {
  const m = metricsFromStats(stats.overall);
  it('computes every metric', () => {
    expect(m.n).toBe(6);
    expect(m.prevalence).toBeCloseTo(0.5, 12); // 3 / 6
    // pairs won by positives: 0.9 beats 3 negatives, 0.8 beats 3, 0.4 beats 0.2 and 0.3 -> 8 / 9
    expect(m.auc).toBeCloseTo(0.8888888889, 9);
    expect(m.accuracy).toBeCloseTo(0.6666666667, 9); // (TP 2 + TN 2) / 6
    expect(m.sensitivity).toBeCloseTo(0.6666666667, 9); // 2 / 3
    expect(m.specificity).toBeCloseTo(0.6666666667, 9); // 2 / 3
    expect(m.precision).toBeCloseTo(0.6666666667, 9); // 2 / (2 + 1)
    expect(m.positiveRate).toBeCloseTo(0.5, 12); // 3 / 6
    expect(m.brier).toBeCloseTo(0.15, 12); // 0.90 / 6
    // One example per calibration bin; bin centres 0.9005, 0.4005, 0.6005, 0.2005, 0.8005, 0.3005:
    // |0.9005-1| + |0.4005-1| + |0.6005-0| + |0.2005-0| + |0.8005-1| + |0.3005-0|
    // = 0.0995 + 0.5995 + 0.6005 + 0.2005 + 0.1995 + 0.3005 = 2.0, weight 1/6 each -> 1/3
    expect(m.ece).toBeCloseTo(0.3333333333, 9);
  });

  it('computes each group', () => {
    const g = metricsByGroup(stats).sex ?? {};
    // a: labels 1 1 0, pred 1 0 1 -> TP 1, FN 1, FP 1, TN 0
    expect(g.a?.accuracy).toBeCloseTo(0.3333333333, 9); // 1 / 3
    expect(g.a?.sensitivity).toBeCloseTo(0.5, 12); // 1 / 2
    expect(g.a?.specificity).toBe(0); // 0 / 1
    expect(g.a?.precision).toBeCloseTo(0.5, 12); // 1 / 2
    expect(g.a?.positiveRate).toBeCloseTo(0.6666666667, 9); // 2 / 3
    expect(g.a?.auc).toBeCloseTo(0.5, 12); // 0.9 > 0.6 wins, 0.4 < 0.6 loses -> 1 / 2
    expect(g.a?.brier).toBeCloseTo(0.2433333333, 9); // (0.01 + 0.36 + 0.36) / 3
    // b: labels 0 1 0, pred 0 1 0 -> perfect
    expect(g.b?.accuracy).toBe(1);
    expect(g.b?.auc).toBe(1);
    expect(g.b?.prevalence).toBeCloseTo(0.3333333333, 9);
  });

  it('moves the threshold-dependent metrics with the threshold', () => {
    // threshold 0.35: pred 1 1 1 0 1 0 -> TP 3, FP 1, TN 2, FN 0
    const t = metricsFromStats(stats.overall, 0.35);
    expect(t.sensitivity).toBe(1);
    expect(t.specificity).toBeCloseTo(0.6666666667, 9);
    expect(t.precision).toBeCloseTo(0.75, 12);
    expect(t.auc).toBeCloseTo(m.auc, 12);
    // threshold 0: everything positive
    expect(metricsFromStats(stats.overall, 0).positiveRate).toBe(1);
  });
});

describe('edge cases', () => {
  it('gives NaN AUC and sensitivity without positives', () => {
    const m = metricsFromStats(scoreHistogram({ labels: [0, 0], scores: [0.2, 0.7] }).overall);
    expect(m.auc).toBeNaN();
    expect(m.sensitivity).toBeNaN();
    expect(m.specificity).toBeCloseTo(0.5, 12);
    expect(m.prevalence).toBe(0);
  });
  it('gives NaN AUC and specificity without negatives, NaN precision with no predicted positive', () => {
    const m = metricsFromStats(scoreHistogram({ labels: [1, 1], scores: [0.2, 0.3] }).overall);
    expect(m.auc).toBeNaN();
    expect(m.specificity).toBeNaN();
    expect(m.precision).toBeNaN(); // nothing scored >= 0.5
    expect(m.sensitivity).toBe(0);
  });
  it('gives NaN for every rate of an empty population', () => {
    const m = metricsFromStats(scoreHistogram({ labels: [], scores: [] }).overall);
    expect(m.n).toBe(0);
    for (const key of ['prevalence', 'auc', 'accuracy', 'brier', 'ece', 'positiveRate'] as const) expect(m[key]).toBeNaN();
  });
  it('refuses thresholds off the bin grid or outside [0, 1)', () => {
    for (const t of [0.1234, 1, -0.1, Number.NaN]) {
      try {
        metricsFromStats(stats.overall, t);
        throw new Error('accepted');
      } catch (e) {
        expect(isCohortError(e, 'CONFIG_INVALID')).toBe(true);
      }
    }
  });
  it('refuses malformed counts', () => {
    const bad = { pos: new Uint32Array(7), neg: new Uint32Array(7), brierSum: 0, n: 0 };
    expect(() => metricsFromStats(bad)).toThrow(/multiple of 10/);
  });
});

describe('binned AUC against the exact AUC', () => {
  it('is within 0.001 on 5,000 seeded continuous scores', () => {
    const d = syntheticPredictions(5000, 42);
    const exact = rocAuc(d.labels, d.scores);
    const binned = metricsFromStats(scoreHistogram({ labels: d.labels, scores: d.scores }).overall).auc;
    expect(exact).toBeGreaterThan(0.8); // the data must be informative for the check to mean something
    expect(Math.abs(binned - exact)).toBeLessThan(0.001);
  });
  it('equals the exact AUC when scores lie on the bin grid (ties included)', () => {
    const d = syntheticPredictions(3000, 7);
    const gridScores = d.scores.map((s) => Math.round(s * 1000) / 1000);
    const binned = metricsFromStats(scoreHistogram({ labels: d.labels, scores: gridScores }).overall).auc;
    expect(binned).toBeCloseTo(rocAuc(d.labels, gridScores), 12);
  });
  it('gives accuracy and Brier equal to direct computation', () => {
    const d = syntheticPredictions(2000, 3);
    const m = metricsFromStats(scoreHistogram({ labels: d.labels, scores: d.scores }).overall);
    const correct = d.labels.filter((y, i) => ((d.scores[i] as number) >= 0.5 ? 1 : 0) === y).length;
    expect(m.accuracy).toBeCloseTo(correct / 2000, 12);
    const brier = d.labels.reduce((s, y, i) => s + ((d.scores[i] as number) - y) ** 2, 0) / 2000;
    expect(m.brier).toBeCloseTo(brier, 12);
  });
});
