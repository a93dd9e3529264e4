import type { EvalCounts } from './eval-stats.js';

/**
 * ROC AUC from a score histogram: P(score⁺ > score⁻) + ½·P(same bin), i.e. the trapezoid
 * rule over the ROC points at the bin edges. Exact when no two different scores share a bin;
 * otherwise a positive and a negative in the same bin count ½ whatever their order.
 * NaN when there are no positives or no negatives.
 */
export function binnedAuc(counts: EvalCounts): number {
  let negativesBelow = 0;
  let positives = 0;
  let wins = 0;
  for (let i = 0; i < counts.pos.length; i++) {
    const p = counts.pos[i] ?? 0;
    const q = counts.neg[i] ?? 0;
    wins += p * (negativesBelow + q / 2);
    negativesBelow += q;
    positives += p;
  }
  if (positives === 0 || negativesBelow === 0) return Number.NaN;
  return wins / (positives * negativesBelow);
}
