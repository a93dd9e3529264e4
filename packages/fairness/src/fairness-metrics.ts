import { CohortError } from '@cohortfl/wire';
import { checkArrayLike, checkBinary, checkSameLength } from './check-inputs.js';
import { builtinMax, builtinMin, checkMethod, nanMean } from './group-aggregate.js';
import type { DisparityMethod } from './group-aggregate.js';
import { metricFrame } from './metric-frame.js';
import { falsePositiveRate, selectionRate, truePositiveRate } from './rates.js';

export interface FairnessOptions {
  sensitiveFeatures: ArrayLike<string>;
  /** Default 'between_groups'. */
  method?: DisparityMethod;
}

export interface EqualizedOddsOptions extends FairnessOptions {
  /** 'worst_case' (default): the larger difference / smaller ratio of TPR and FPR; 'mean': their mean. */
  agg?: 'worst_case' | 'mean';
}

function frame(yTrue: ArrayLike<number>, yPred: ArrayLike<number>, sensitiveFeatures: ArrayLike<string>) {
  const n = checkArrayLike('yTrue', yTrue);
  checkSameLength('yPred', yPred, n, 'yTrue');
  checkBinary('yTrue', yTrue);
  checkBinary('yPred', yPred);
  return metricFrame({
    metrics: { tpr: truePositiveRate, fpr: falsePositiveRate, selection: (_: number[], p: number[]) => selectionRate(p) },
    yTrue,
    yPred,
    sensitiveFeatures,
  });
}

function aggregate(tpr: number, fpr: number, agg: unknown, worst: (a: number, b: number) => number): number {
  if (agg === 'worst_case') return worst(tpr, fpr);
  if (agg === 'mean') return nanMean([tpr, fpr]);
  throw new CohortError('CONFIG_INVALID', "agg must be 'worst_case' or 'mean'");
}

/** Largest minus smallest group selection rate (to_overall: largest |group − overall|). */
export function demographicParityDifference(yTrue: ArrayLike<number>, yPred: ArrayLike<number>, options: FairnessOptions): number {
  const method = checkMethod(options.method ?? 'between_groups');
  return frame(yTrue, yPred, options.sensitiveFeatures).difference(method).selection;
}

/** Smallest over largest group selection rate; NaN when no group selects anyone (0/0). */
export function demographicParityRatio(yTrue: ArrayLike<number>, yPred: ArrayLike<number>, options: FairnessOptions): number {
  const method = checkMethod(options.method ?? 'between_groups');
  return frame(yTrue, yPred, options.sensitiveFeatures).ratio(method).selection;
}

/** max(TPR difference, FPR difference) between groups, rates with Fairlearn's 0-for-empty rule. */
export function equalizedOddsDifference(yTrue: ArrayLike<number>, yPred: ArrayLike<number>, options: EqualizedOddsOptions): number {
  const method = checkMethod(options.method ?? 'between_groups');
  const d = frame(yTrue, yPred, options.sensitiveFeatures).difference(method);
  return aggregate(d.tpr, d.fpr, options.agg ?? 'worst_case', builtinMax);
}

/**
 * min(TPR ratio, FPR ratio), with Python's built-in min as Fairlearn uses it:
 * a NaN TPR ratio (every group TPR 0) gives NaN, a NaN FPR ratio alone is ignored.
 */
export function equalizedOddsRatio(yTrue: ArrayLike<number>, yPred: ArrayLike<number>, options: EqualizedOddsOptions): number {
  const method = checkMethod(options.method ?? 'between_groups');
  const r = frame(yTrue, yPred, options.sensitiveFeatures).ratio(method);
  return aggregate(r.tpr, r.fpr, options.agg ?? 'worst_case', builtinMin);
}

/** Largest minus smallest group TPR (Fairlearn ≥ 0.10 equal_opportunity_difference). */
export function equalOpportunityDifference(yTrue: ArrayLike<number>, yPred: ArrayLike<number>, options: FairnessOptions): number {
  const method = checkMethod(options.method ?? 'between_groups');
  return frame(yTrue, yPred, options.sensitiveFeatures).difference(method).tpr;
}

/** Smallest over largest group TPR (Fairlearn ≥ 0.10 equal_opportunity_ratio). */
export function equalOpportunityRatio(yTrue: ArrayLike<number>, yPred: ArrayLike<number>, options: FairnessOptions): number {
  const method = checkMethod(options.method ?? 'between_groups');
  return frame(yTrue, yPred, options.sensitiveFeatures).ratio(method).tpr;
}
