import { configError, requireFiniteNumber } from './validate.js';

/** σ² is accepted in [2^-20, 2^40]: below, the noise is all zeros in practice; above, samples could leave int32. */
export const MIN_SIGMA_SQUARED = 2 ** -20;
export const MAX_SIGMA_SQUARED = 2 ** 40;

const SIGNIFICANT = 2 ** 19;

export interface SigmaSquaredRational {
  /** σ² actually sampled: numerator / denominator ≥ the requested σ². */
  value: number;
  numerator: number;
  /** A power of two. */
  denominator: number;
}

/**
 * The exact rational the discrete Gaussian sampler uses for σ²: the requested
 * value rounded UP to a multiple of 2^-k, with k the smallest exponent that gives
 * a numerator ≥ 2^19 (k = 0, an integer, for σ² ≥ 2^19). The relative increase is
 * below 2^-19 ≈ 1.9e-6 and never makes the noise smaller than asked; values that
 * are already such a rational (0.25, 1, 10, 1e4, …) are used exactly. Bounding
 * the numerator keeps the sampler's integer arithmetic inside 2^53 for σ² up to
 * about 6e7, so it stays on its fast exact path.
 */
export function roundSigmaSquared(sigmaSquared: number): SigmaSquaredRational {
  const s2 = requireFiniteNumber('sigmaSquared', sigmaSquared);
  if (!(s2 >= MIN_SIGMA_SQUARED && s2 <= MAX_SIGMA_SQUARED)) {
    throw configError(`sigmaSquared must be in [2^-20, 2^40], got ${s2}`);
  }
  let denominator = 1;
  // Multiplying by a power of two is exact in binary floating point.
  while (s2 * denominator < SIGNIFICANT) denominator *= 2;
  let numerator = Math.ceil(s2 * denominator);
  while (denominator > 1 && numerator % 2 === 0) {
    numerator /= 2;
    denominator /= 2;
  }
  return { value: numerator / denominator, numerator, denominator };
}

/** ⌊√(a/b)⌋ exactly for positive integers with a ≤ 2^40·b. */
export function floorSqrtRational(a: number, b: number): number {
  let s = Math.floor(Math.sqrt(a / b));
  while ((s + 1) * (s + 1) * b <= a) s++;
  while (s > 0 && s * s * b > a) s--;
  return s;
}
