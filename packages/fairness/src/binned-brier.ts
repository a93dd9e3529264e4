import type { EvalCounts } from './eval-stats.js';

/**
 * Σ (score − label)² with each score replaced by its bin's centre (i + ½)/bins: the
 * Brier sum a histogram determines. A site releases this value instead of the sum over
 * the exact scores, so the field carries nothing the released counts do not already
 * say; each term is within 1/bins of the exact one.
 */
export function binnedBrierSum(pos: ArrayLike<number>, neg: ArrayLike<number>): number {
  const bins = pos.length;
  let sum = 0;
  for (let i = 0; i < bins; i++) {
    const centre = (i + 0.5) / bins;
    sum += (pos[i] ?? 0) * (1 - centre) ** 2 + (neg[i] ?? 0) * centre * centre;
  }
  return sum;
}

/** binnedBrierSum of one population's counts. */
export function countsBrierSum(counts: EvalCounts): number {
  return binnedBrierSum(counts.pos, counts.neg);
}
