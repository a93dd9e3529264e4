import { CohortError } from '@cohortfl/wire';
import { requirePositive } from './validate.js';

export interface ClipResult {
  /** A new array: the input scaled by `factor`. */
  clipped: Float32Array;
  /** L2 norm of the input (computed in float64). */
  norm: number;
  /** Scale applied: 1 when norm ≤ maxNorm, else just below maxNorm / norm. */
  factor: number;
}

function l2Norm(v: Float32Array): number {
  // float32 squares sum in float64 without overflow (≤ 1.2e77 each).
  let sum = 0;
  for (let i = 0; i < v.length; i++) sum += v[i]! * v[i]!;
  return Math.sqrt(sum);
}

/**
 * Scales `vector` so its L2 norm is at most `maxNorm`, the sensitivity every
 * accountant here assumes. Rounding the scaled values to float32 can raise the norm
 * by up to 2^-24 relative, so the factor is shrunk until the float32 result itself
 * has norm ≤ maxNorm (checked, not assumed). Vectors already within the bound,
 * including the zero vector, are copied unchanged.
 */
export function clipByL2Norm(vector: Float32Array, maxNorm: number): ClipResult {
  if (!(vector instanceof Float32Array)) throw new CohortError('DATA_INVALID', 'clipByL2Norm needs a Float32Array');
  const bound = requirePositive('maxNorm', maxNorm);
  for (let i = 0; i < vector.length; i++) {
    if (!Number.isFinite(vector[i]!)) throw new CohortError('DATA_INVALID', `vector coordinate ${i} is not a finite number`);
  }
  const norm = l2Norm(vector);
  if (norm <= bound) return { clipped: Float32Array.from(vector), norm, factor: 1 };
  let factor = bound / norm;
  for (;;) {
    const clipped = new Float32Array(vector.length);
    for (let i = 0; i < vector.length; i++) clipped[i] = vector[i]! * factor;
    if (l2Norm(clipped) <= bound) return { clipped, norm, factor };
    factor *= 1 - 2 ** -22;
  }
}
