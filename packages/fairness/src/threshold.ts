import { CohortError } from '@cohortfl/wire';
import { checkBins } from './eval-stats.js';
import type { EvalCounts } from './eval-stats.js';

/**
 * First bin predicted positive at `threshold` (positive iff score ≥ threshold).
 * Histograms can only split at bin edges, so the threshold must be a multiple of 1/bins
 * in [0, 1): 0.5 with 1000 bins is exact, 0.1234 is refused rather than silently rounded.
 */
export function thresholdBin(threshold: number, bins: number): number {
  if (typeof threshold !== 'number' || !(threshold >= 0 && threshold < 1)) {
    throw new CohortError('CONFIG_INVALID', 'threshold must be a number in [0, 1)');
  }
  const k = Math.round(threshold * bins);
  if (k / bins !== threshold) {
    throw new CohortError('CONFIG_INVALID', `threshold ${threshold} is not a multiple of 1/${bins}; binned statistics split only at bin edges`);
  }
  return k;
}

export interface Confusion {
  tp: number;
  fp: number;
  tn: number;
  fn: number;
  /** Examples with label 1 and label 0. */
  positives: number;
  negatives: number;
}

/** Structural check of counts handed in by a caller (they may not come from scoreHistogram). */
export function checkCounts(counts: EvalCounts): number {
  const bins = counts?.pos?.length;
  if (!(counts?.pos instanceof Uint32Array) || !(counts.neg instanceof Uint32Array) || counts.neg.length !== bins) {
    throw new CohortError('DATA_INVALID', 'counts must hold pos and neg as Uint32Arrays of equal length');
  }
  return checkBins(bins, 'DATA_INVALID');
}

export function confusionAt(counts: EvalCounts, threshold: number): Confusion {
  const k = thresholdBin(threshold, checkCounts(counts));
  let tp = 0;
  let fp = 0;
  let positives = 0;
  let negatives = 0;
  for (let i = 0; i < counts.pos.length; i++) {
    const p = counts.pos[i] ?? 0;
    const q = counts.neg[i] ?? 0;
    positives += p;
    negatives += q;
    if (i >= k) {
      tp += p;
      fp += q;
    }
  }
  return { tp, fp, tn: negatives - fp, fn: positives - tp, positives, negatives };
}
