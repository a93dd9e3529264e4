import { CohortError } from '@cohortfl/wire';

export interface L2Clipped {
  clipped: Float64Array;
  /** L2 norm before clipping. */
  norm: number;
  /** The factor applied: min(1, maxNorm / norm). */
  factor: number;
}

/**
 * Scales an update so its L2 norm is at most maxNorm (the clipping differential
 * privacy calibrates to). Its coordinates then also lie in [−maxNorm, maxNorm], so
 * a quantizer with clip = maxNorm never clips further, at some cost in precision.
 */
export function clipL2(update: ArrayLike<number>, maxNorm: number): L2Clipped {
  if (!(typeof maxNorm === 'number' && Number.isFinite(maxNorm) && maxNorm > 0)) {
    throw new CohortError('CONFIG_INVALID', 'L2 clip norm must be a positive finite number');
  }
  // Scale by the largest magnitude first so squaring cannot overflow.
  let largest = 0;
  for (let i = 0; i < update.length; i++) {
    const value = update[i]!;
    if (!Number.isFinite(value)) throw new CohortError('DATA_INVALID', `update coordinate ${i} is not a finite number`);
    largest = Math.max(largest, Math.abs(value));
  }
  let sumSquares = 0;
  if (largest > 0) for (let i = 0; i < update.length; i++) sumSquares += (update[i]! / largest) ** 2;
  const norm = largest * Math.sqrt(sumSquares);
  const factor = norm > maxNorm ? maxNorm / norm : 1;
  const clipped = new Float64Array(update.length);
  for (let i = 0; i < update.length; i++) clipped[i] = update[i]! * factor;
  return { clipped, norm, factor };
}
