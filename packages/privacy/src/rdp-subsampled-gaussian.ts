import { logAdd, logBinomial, logErfc } from './special-functions.js';
import { DEFAULT_ORDERS } from './rdp-orders.js';
import { requireInteger, requireNonNegative, requireOrders, requireSamplingRate } from './validate.js';

/**
 * RDP of the Poisson-subsampled Gaussian mechanism (Mironov, Talwar and Zhang,
 * "Rényi Differential Privacy of the Sampled Gaussian Mechanism", 2019,
 * arXiv:1908.10530), computed as google/differential-privacy's dp_accounting
 * RdpAccountant does for PoissonSampledDpEvent(q, GaussianDpEvent(σ)):
 * RDP(α) = log(A_α)/(α − 1) with A_α = E_{z∼μ0}[(μ(z)/μ0(z))^α],
 * μ0 = N(0, σ²), μ = (1 − q)·μ0 + q·N(1, σ²).
 */

/** Integer α: A_α = Σ_{i=0}^{α} C(α,i) q^i (1−q)^{α−i} exp((i² − i)/(2σ²)) (MTZ19 §3.2), summed in log space. */
export function logAInteger(q: number, sigma: number, alpha: number): number {
  const logQ = Math.log(q);
  const log1mQ = Math.log1p(-q);
  let logA = Number.NEGATIVE_INFINITY;
  for (let i = 0; i <= alpha; i++) {
    const term = logBinomial(alpha, i) + i * logQ + (alpha - i) * log1mQ + (i * i - i) / (2 * sigma * sigma);
    logA = logAdd(logA, term);
  }
  return logA;
}

const MAX_STEPS_FRACTIONAL = 1000;

/**
 * Fractional α (MTZ19 §3.3): split the integral at z0 = σ² log(1/q − 1) + ½, where
 * μ/μ0 crosses 1, and expand each half in a binomial series in the smaller ratio;
 * the i-th terms carry Gaussian tail factors ½·erfc(·). Like dp_accounting, the
 * series uses |C(α, i)| (log|Γ|), stops once both term sequences decrease and
 * are 30 nats below the running total, and gives +∞ (the order is then
 * useless, never optimistic) if 1000 terms do not suffice.
 */
export function logAFractional(q: number, sigma: number, alpha: number): number {
  const logQ = Math.log(q);
  const log1mQ = Math.log1p(-q);
  const z0 = sigma * sigma * Math.log(1 / q - 1) + 0.5;
  const scale = Math.SQRT2 * sigma;
  const twoSigma2 = 2 * sigma * sigma;
  let logA0 = Number.NEGATIVE_INFINITY;
  let logA1 = Number.NEGATIVE_INFINITY;
  let lastS0 = Number.NEGATIVE_INFINITY;
  let lastS1 = Number.NEGATIVE_INFINITY;
  for (let i = 0; i < MAX_STEPS_FRACTIONAL; i++) {
    const logCoef = logBinomial(alpha, i);
    const j = alpha - i;
    const logT0 = logCoef + i * logQ + j * log1mQ;
    const logT1 = logCoef + j * logQ + i * log1mQ;
    const logE0 = Math.log(0.5) + logErfc((i - z0) / scale);
    const logE1 = Math.log(0.5) + logErfc((z0 - j) / scale);
    const s0 = logT0 + (i * i - i) / twoSigma2 + logE0;
    const s1 = logT1 + (j * j - j) / twoSigma2 + logE1;
    logA0 = logAdd(logA0, s0);
    logA1 = logAdd(logA1, s1);
    const total = logAdd(logA0, logA1);
    if (s0 < lastS0 && s1 < lastS1 && Math.max(s0, s1) < total - 30) return total;
    lastS0 = s0;
    lastS1 = s1;
  }
  return Number.POSITIVE_INFINITY;
}

/** RDP at one order of one step (q in (0,1) handled by the series, the ends in closed form). */
export function subsampledGaussianRdpOne(q: number, sigma: number, alpha: number): number {
  if (q === 0) return 0;
  if (sigma === 0) return Number.POSITIVE_INFINITY;
  if (q === 1) return alpha / (2 * sigma * sigma);
  const logA = Number.isInteger(alpha) ? logAInteger(q, sigma, alpha) : logAFractional(q, sigma, alpha);
  // A_α ≥ 1 in exact arithmetic; clamp a rounding-level negative to the true bound 0.
  return Math.max(0, logA / (alpha - 1));
}

export interface ComputeRdpParams {
  /** σ: noise standard deviation divided by the L2 sensitivity. 0 means no noise (RDP ∞). */
  noiseMultiplier: number;
  /** q ∈ [0, 1]: Poisson sampling probability of each record per step. */
  samplingRate: number;
  /** Number of steps (composed by adding RDP). */
  steps: number;
  /** RDP orders α > 1; DEFAULT_ORDERS if omitted. */
  orders?: readonly number[];
}

/**
 * RDP of `steps` compositions of the Poisson-subsampled Gaussian mechanism at each
 * order: q = 0 → 0, σ = 0 → ∞, q = 1 → α/(2σ²) per step, else the series above.
 */
export function computeRdp(params: ComputeRdpParams): number[] {
  const sigma = requireNonNegative('noiseMultiplier', params.noiseMultiplier);
  const q = requireSamplingRate(params.samplingRate);
  const steps = requireInteger('steps', params.steps, 0);
  const orders = requireOrders(params.orders ?? DEFAULT_ORDERS);
  return orders.map((alpha) => {
    if (steps === 0) return 0;
    return steps * subsampledGaussianRdpOne(q, sigma, alpha);
  });
}
