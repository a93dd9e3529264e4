import { CohortError } from '@cohortfl/wire';
import { binnedAuc } from './binned-auc.js';
import { builtinMax, builtinMin, groupDifference, groupRatio, nanMax, nanMin } from './group-aggregate.js';
import { confusionAt } from './threshold.js';
import type { EvalCounts } from './eval-stats.js';

export interface GroupRates {
  n: number;
  positives: number;
  negatives: number;
  selectionRate: number;
  /** TP / positives, 0 without positives (Fairlearn's rule, see README). */
  truePositiveRate: number;
  /** FP / negatives, 0 without negatives. */
  falsePositiveRate: number;
  /** NaN without positives or without negatives. */
  auc: number;
}

export interface StatsFairness {
  demographicParityDifference: number;
  demographicParityRatio: number;
  equalizedOddsDifference: number;
  equalizedOddsRatio: number;
  equalOpportunityDifference: number;
  aucByGroup: Record<string, number>;
  /** Smallest group AUC, NaN groups skipped; NaN if no group has one. */
  worstGroupAuc: number;
  /** Largest minus smallest group AUC, NaN groups skipped. */
  aucGap: number;
  byGroup: Record<string, GroupRates>;
}

function rates(counts: EvalCounts, threshold: number): GroupRates {
  const c = confusionAt(counts, threshold);
  const n = c.positives + c.negatives;
  return {
    n,
    positives: c.positives,
    negatives: c.negatives,
    selectionRate: (c.tp + c.fp) / n,
    truePositiveRate: c.positives === 0 ? 0 : c.tp / c.positives,
    falsePositiveRate: c.negatives === 0 ? 0 : c.fp / c.negatives,
    auc: binnedAuc(counts),
  };
}

/**
 * The same disparities as the plain-array functions (between groups, Fairlearn semantics),
 * from the pooled histograms of one group column, e.g. fairnessFromStats(stats.byGroup.sex).
 * Predictions are score ≥ threshold. Groups with no examples are skipped, since they
 * cannot occur in Fairlearn's groupby; with no non-empty group the call is refused.
 */
export function fairnessFromStats(statsByGroup: Record<string, EvalCounts>, threshold = 0.5): StatsFairness {
  const entries = Object.entries(statsByGroup ?? {})
    .map(([g, counts]): [string, GroupRates] => [g, rates(counts, threshold)])
    .filter(([, r]) => r.n > 0);
  if (entries.length === 0) throw new CohortError('DATA_INVALID', 'fairnessFromStats needs at least one non-empty group');
  const values = (key: keyof GroupRates): number[] => entries.map(([, r]) => r[key]);
  const selection = values('selectionRate');
  const tpr = values('truePositiveRate');
  const fpr = values('falsePositiveRate');
  const auc = values('auc');
  const diff = (v: number[]) => groupDifference(v, Number.NaN, 'between_groups');
  const ratio = (v: number[]) => groupRatio(v, Number.NaN, 'between_groups');
  return {
    demographicParityDifference: diff(selection),
    demographicParityRatio: ratio(selection),
    equalizedOddsDifference: builtinMax(diff(tpr), diff(fpr)),
    equalizedOddsRatio: builtinMin(ratio(tpr), ratio(fpr)),
    equalOpportunityDifference: diff(tpr),
    aucByGroup: Object.fromEntries(entries.map(([g, r]) => [g, r.auc])),
    worstGroupAuc: nanMin(auc),
    aucGap: nanMax(auc) - nanMin(auc),
    byGroup: Object.fromEntries(entries),
  };
}
