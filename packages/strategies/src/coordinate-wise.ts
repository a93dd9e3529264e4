import type { TrainResultIn } from './types.js';

/**
 * Applies `reduce` to each coordinate's sorted column of site values. Robust
 * aggregators are unweighted on purpose: numExamples is self-reported, and
 * weighting by it would let one site claim a huge n and dominate again.
 */
export function reduceCoordinates(
  accepted: readonly TrainResultIn[],
  length: number,
  reduce: (sortedColumn: Float64Array) => number,
): Float64Array {
  const column = new Float64Array(accepted.length);
  const out = new Float64Array(length);
  for (let i = 0; i < length; i++) {
    for (let s = 0; s < accepted.length; s++) column[s] = (accepted[s] as TrainResultIn).update[i] as number;
    column.sort(); // typed-array sort is numeric
    out[i] = reduce(column);
  }
  return out;
}
