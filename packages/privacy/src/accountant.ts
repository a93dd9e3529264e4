import { type EpsilonAtOrder, rdpToEpsilon } from './rdp-conversion.js';
import { DEFAULT_ORDERS } from './rdp-orders.js';
import { computeRdp } from './rdp-subsampled-gaussian.js';
import { configError, requireDelta, requireInteger, requireOrders, requirePositive, requireSamplingRate } from './validate.js';

export interface ComputeEpsilonParams {
  noiseMultiplier: number;
  samplingRate: number;
  steps: number;
  delta: number;
  orders?: readonly number[];
}

/** ε of `steps` Poisson-subsampled Gaussian steps at δ: computeRdp, then rdpToEpsilon (Balle et al. 2020). */
export function computeEpsilon(params: ComputeEpsilonParams): EpsilonAtOrder {
  const orders = requireOrders(params.orders ?? DEFAULT_ORDERS);
  const delta = requireDelta(params.delta);
  const rdp = computeRdp({ noiseMultiplier: params.noiseMultiplier, samplingRate: params.samplingRate, steps: params.steps, orders });
  return rdpToEpsilon(orders, rdp, delta);
}

export interface CalibrateNoiseParams {
  targetEpsilon: number;
  delta: number;
  samplingRate: number;
  steps: number;
  orders?: readonly number[];
  /** Relative width of the final bracket; default 1e-6. */
  tolerance?: number;
}

/** Noise multipliers searched: below, the privacy is worthless; above, utility is. */
export const MIN_NOISE_MULTIPLIER = 1e-3;
export const MAX_NOISE_MULTIPLIER = 1e4;

/**
 * Smallest noise multiplier σ whose ε (computeEpsilon) is ≤ targetEpsilon, by
 * bisection on a bracket [lo, hi] with ε(lo) > target ≥ ε(hi), found by doubling
 * or halving from σ = 1. ε is non-increasing in σ (each RDP(α) is, and the
 * conversion is monotone), so the bracket holds the answer. Returns hi once
 * hi − lo ≤ tolerance·hi: the result always meets the target and exceeds the
 * smallest multiplier that does by a relative amount ≤ tolerance (1e-6 by default).
 * The search covers σ ∈ [1e-3, 1e4]: CONFIG_INVALID if σ = 1e4 misses the target,
 * and 1e-3 is returned if it already meets it.
 */
export function calibrateNoise(params: CalibrateNoiseParams): number {
  const target = requirePositive('targetEpsilon', params.targetEpsilon);
  const delta = requireDelta(params.delta);
  const q = requireSamplingRate(params.samplingRate);
  if (q === 0) throw configError('samplingRate 0 releases nothing: there is no noise to calibrate');
  const steps = requireInteger('steps', params.steps, 1);
  const orders = requireOrders(params.orders ?? DEFAULT_ORDERS);
  const tolerance = requirePositive('tolerance', params.tolerance ?? 1e-6);
  if (tolerance >= 1) throw configError('tolerance must be below 1 (it is relative)');
  const epsilonAt = (sigma: number): number => computeEpsilon({ noiseMultiplier: sigma, samplingRate: q, steps, delta, orders }).epsilon;

  let lo = 1;
  let hi = 1;
  if (epsilonAt(1) > target) {
    do {
      if (hi === MAX_NOISE_MULTIPLIER) {
        throw configError(`no noise multiplier up to ${MAX_NOISE_MULTIPLIER} reaches ε = ${target} at δ = ${delta} (q = ${q}, ${steps} steps)`);
      }
      lo = hi;
      hi = Math.min(2 * hi, MAX_NOISE_MULTIPLIER);
    } while (epsilonAt(hi) > target);
  } else {
    do {
      if (lo === MIN_NOISE_MULTIPLIER) return lo; // even the smallest multiplier searched meets the target
      hi = lo;
      lo = Math.max(lo / 2, MIN_NOISE_MULTIPLIER);
    } while (epsilonAt(lo) <= target);
  }
  while (hi - lo > tolerance * hi) {
    const mid = (lo + hi) / 2;
    if (epsilonAt(mid) > target) lo = mid;
    else hi = mid;
  }
  return hi;
}
