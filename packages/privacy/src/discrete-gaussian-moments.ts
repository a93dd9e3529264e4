import { configError, requireFiniteNumber } from './validate.js';

/** Above this σ² the series has ~4e5 terms and differs from σ² by a factor below e^{-2π²·1e8}: use σ² itself. */
const SERIES_LIMIT = 1e8;

export interface DiscreteGaussianMoments {
  variance: number;
  fourthMoment: number;
}

/**
 * E[Y²] and E[Y⁴] of N_Z(0, σ²) by summing the series over the integers:
 * Σ y^k e^{−y²/(2σ²)} / Σ e^{−y²/(2σ²)}, smallest terms first, up to the |y| where
 * the weights underflow (e^{−745}). The mean is 0 by symmetry. For σ² > 1e8 the
 * continuous values σ² and 3σ⁴ are returned: by Poisson summation the discrete
 * moments differ from them by a relative amount below 1e-300.
 */
export function discreteGaussianMoments(sigmaSquared: number): DiscreteGaussianMoments {
  const s2 = requireFiniteNumber('sigmaSquared', sigmaSquared);
  if (!(s2 > 0)) throw configError(`sigmaSquared must be positive, got ${s2}`);
  if (s2 > SERIES_LIMIT) return { variance: s2, fourthMoment: 3 * s2 * s2 };
  const last = Math.ceil(Math.sqrt(2 * 745 * s2)) + 1;
  let mass = 0;
  let second = 0;
  let fourth = 0;
  for (let y = last; y >= 1; y--) {
    const w = Math.exp(-(y * y) / (2 * s2));
    const y2 = y * y;
    mass += w;
    second += y2 * w;
    fourth += y2 * y2 * w;
  }
  const total = 1 + 2 * mass;
  return { variance: (2 * second) / total, fourthMoment: (2 * fourth) / total };
}

/**
 * Exact variance of the discrete Gaussian N_Z(0, σ²) (series over the integers).
 * It is below σ² (markedly for σ² < 1: 0.2150… for σ² = 0.25) and equal to σ² to
 * double precision once σ² ≳ 4.
 */
export function discreteGaussianVariance(sigmaSquared: number): number {
  return discreteGaussianMoments(sigmaSquared).variance;
}
