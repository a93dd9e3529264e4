import { binnedAuc } from './binned-auc.js';
import { expectedCalibrationError } from './calibration.js';
import { confusionAt } from './threshold.js';
import type { EvalCounts, EvalStats } from './eval-stats.js';

export interface EvalMetrics {
  n: number;
  /** positives / n */
  prevalence: number;
  auc: number;
  accuracy: number;
  /** TPR = TP / positives; NaN without positives. */
  sensitivity: number;
  /** TNR = TN / negatives; NaN without negatives. */
  specificity: number;
  /** PPV = TP / (TP + FP); NaN when nothing is predicted positive. */
  precision: number;
  /** Selection rate: (TP + FP) / n. */
  positiveRate: number;
  /** Mean squared error of the probability, from the exact scores. */
  brier: number;
  /** Expected calibration error, 10 equal-width bins, bin centres as scores. */
  ece: number;
}

const ratio = (num: number, den: number): number => (den === 0 ? Number.NaN : num / den);

/** Threshold metrics (positive iff score ≥ threshold) and threshold-free metrics of one population. */
export function metricsFromStats(counts: EvalCounts, threshold = 0.5): EvalMetrics {
  const c = confusionAt(counts, threshold);
  const n = c.positives + c.negatives;
  return {
    n,
    prevalence: ratio(c.positives, n),
    auc: binnedAuc(counts),
    accuracy: ratio(c.tp + c.tn, n),
    sensitivity: ratio(c.tp, c.positives),
    specificity: ratio(c.tn, c.negatives),
    precision: ratio(c.tp, c.tp + c.fp),
    positiveRate: ratio(c.tp + c.fp, n),
    brier: ratio(counts.brierSum, n),
    ece: expectedCalibrationError(counts),
  };
}

/** metricsFromStats for every value of every group column. */
export function metricsByGroup(stats: EvalStats, threshold = 0.5): Record<string, Record<string, EvalMetrics>> {
  return Object.fromEntries(
    Object.entries(stats.byGroup).map(([column, values]) => [
      column,
      Object.fromEntries(Object.entries(values).map(([value, c]) => [value, metricsFromStats(c, threshold)])),
    ]),
  );
}
