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
  const clipped = new Float64Array(update.length);
  const { norm, factor } = clipL2Into(update, maxNorm, clipped);
  return { clipped, norm, factor };
}

/**
 * clipL2 written into `out` (same length as the update): out[i] = update[i] · factor,
 * rounded to out's element type. Lets a caller clip straight into the buffer it sends.
 */
export function clipL2Into(update: ArrayLike<number>, maxNorm: number, out: Float64Array | Float32Array): { norm: number; factor: number } {
  if (!(typeof maxNorm === 'number' && Number.isFinite(maxNorm) && maxNorm > 0)) {
    throw new CohortError('CONFIG_INVALID', 'L2 clip norm must be a positive finite number');
  }
  const length = update.length;
  if (out.length !== length) throw new CohortError('DATA_INVALID', 'clip output must have the length of the update');
  // Scale by the largest magnitude first so squaring cannot overflow.
  let largest = 0;
  for (let i = 0; i < length; i++) {
    const value = update[i]!;
    if (!Number.isFinite(value)) throw new CohortError('DATA_INVALID', `update coordinate ${i} is not a finite number`);
    largest = Math.max(largest, Math.abs(value));
  }
  let sumSquares = 0;
  if (largest > 0) {
    for (let i = 0; i < length; i++) {
      const r = update[i]! / largest;
      sumSquares += r * r;
    }
  }
  const norm = largest * Math.sqrt(sumSquares);
  const factor = norm > maxNorm ? maxNorm / norm : 1;
  if (factor === 1) for (let i = 0; i < length; i++) out[i] = update[i]!;
  else for (let i = 0; i < length; i++) out[i] = update[i]! * factor;
  return { norm, factor };
}
