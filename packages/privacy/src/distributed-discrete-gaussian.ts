import { type EpsilonAtOrder, rdpToEpsilon } from './rdp-conversion.js';
import { DEFAULT_ORDERS } from './rdp-orders.js';
import { poissonSubsampledRdpBound } from './subsampled-rdp-bound.js';
import {
  configError,
  requireDelta,
  requireFiniteNumber,
  requireInteger,
  requireOrders,
  requirePositive,
  requireSamplingRate,
} from './validate.js';

/**
 * Privacy of the distributed discrete Gaussian (DDG): Kairouz, Liu and Steinke,
 * "The Distributed Discrete Gaussian Mechanism for Federated Learning with Secure
 * Aggregation" (ICML 2021, arXiv:2102.06387). Each of n sites scales its clipped
 * update by 1/γ, rounds it to the integer grid, adds N_Z(0, σ_g²) noise (σ_g² in
 * grid units) and the server sees only the sum. Formulas as in the paper and its
 * authors' accounting code (google-research/federated, distributed_dp/accounting_utils.py).
 */

/**
 * L2 norm bound (grid units) after randomized rounding of a vector of norm ≤ c
 * (grid units) in d dimensions, paper Theorem 1 (rounding) / Proposition 22:
 * plain randomized rounding gives c + √d; with conditional randomized rounding
 * (re-round until the norm is within the bound, failure probability β) also
 * √(c² + d/4 + √(2 log(1/β))·(c + √d/2)), and the smaller one holds.
 */
export function roundedL2NormBound(c: number, dimension: number, beta: number): number {
  const plain = c + Math.sqrt(dimension);
  if (beta === 0) return plain;
  const conditional = Math.sqrt(c * c + 0.25 * dimension + Math.sqrt(2 * Math.log(1 / beta)) * (c + 0.5 * Math.sqrt(dimension)));
  return Math.min(plain, conditional);
}

/**
 * τ = 10 Σ_{k=1}^{n−1} exp(−2π²σ²·k/(k+1)): how far the sum of n independent
 * N_Z(0, σ²) is from N_Z(0, nσ²) (paper Theorem 1; 0 for n = 1).
 */
export function ddgTau(perSiteVariance: number, sites: number): number {
  let sum = 0;
  for (let k = 1; k < sites; k++) sum += Math.exp(-2 * Math.PI * Math.PI * perSiteVariance * (k / (k + 1)));
  return 10 * sum;
}

interface DdgScales {
  /** Δ₂ / √(nσ_g²). */
  l2: number;
  /** Δ₁ / √(nσ_g²), with Δ₁ ≤ Δ₂·min(√d, Δ₂) for an integer vector. */
  l1: number;
  tau: number;
  dimension: number;
}

/**
 * One round without subsampling (paper Proposition 14, eq. 17):
 * min{ α/2·l2² + τd,  α/2·(l2² + 2·l1·τ + τ²d),  α/2·(l2 + √d·τ)² }.
 * With n = 1 (τ = 0) this is the discrete Gaussian's α·Δ²/(2σ²).
 */
function ddgRdpOne(alpha: number, s: DdgScales): number {
  const d = s.dimension;
  return Math.min(
    (alpha / 2) * s.l2 * s.l2 + s.tau * d,
    (alpha / 2) * (s.l2 * s.l2 + 2 * s.l1 * s.tau + s.tau * s.tau * d),
    (alpha / 2) * (s.l2 + Math.sqrt(d) * s.tau) ** 2,
  );
}

export interface DistributedDiscreteGaussianParams {
  /** C: L2 clip norm of each site's update, in model units. */
  l2Clip: number;
  /** γ: grid step (1/scale) in model units. */
  grid: number;
  /** d: number of coordinates summed. */
  dimension: number;
  /** σ_g²: the σ² parameter of each site's N_Z(0, σ_g²) noise, in grid units (must be ≥ 1). */
  perSiteVariance: number;
  /** n_min: fewest sites whose noise is in every released sum (the secure-aggregation threshold). */
  minSites: number;
  rounds: number;
  /** Probability that the site takes part in a round; 1 (default) = every round. */
  samplingRate?: number;
  /** β ∈ [0, 1) of conditional randomized rounding; 0 (default) = plain randomized rounding. */
  roundingBeta?: number;
  orders?: readonly number[];
}

export interface AccountDistributedDiscreteGaussianParams extends DistributedDiscreteGaussianParams {
  delta: number;
}

export interface DistributedDiscreteGaussianRdp {
  /** Inflated L2 sensitivity Δ₂ in model units (grid units × γ). */
  sensitivity: number;
  /** Same in grid units. */
  sensitivityGrid: number;
  tau: number;
  /** √(n_min·σ_g²)·γ / Δ₂: the central noise multiplier the sum amounts to. */
  noiseMultiplier: number;
  orders: readonly number[];
  /** Total RDP over all rounds, per order. */
  rdp: number[];
}

export interface DistributedDiscreteGaussianAccount extends DistributedDiscreteGaussianRdp, EpsilonAtOrder {}

/**
 * RDP and (ε, δ) of `rounds` rounds of the DDG for one site (neighbouring inputs:
 * that site's update present or replaced by zeros; all sites still add noise).
 * Accounting at n_min sites covers any n ≥ n_min: the extra sites' noise is
 * independent post-processing. With samplingRate q < 1, each order α uses the
 * Zhu–Wang bound at ⌈α⌉ (RDP grows with α, so that bounds order α too), capped by
 * the unsampled value. Rounds compose by adding RDP.
 */
export function distributedDiscreteGaussianRdp(params: DistributedDiscreteGaussianParams): DistributedDiscreteGaussianRdp {
  const c = requirePositive('l2Clip', params.l2Clip);
  const grid = requirePositive('grid', params.grid);
  const dimension = requireInteger('dimension', params.dimension, 1);
  const variance = requireFiniteNumber('perSiteVariance', params.perSiteVariance);
  // The paper's analysis needs σ ≥ 1/2; we ask σ_g ≥ 1, far below any useful setting.
  if (!(variance >= 1)) throw configError(`perSiteVariance must be ≥ 1 grid unit², got ${variance}`);
  const sites = requireInteger('minSites', params.minSites, 1, 1_000_000);
  const rounds = requireInteger('rounds', params.rounds, 0);
  const q = requireSamplingRate(params.samplingRate ?? 1);
  const beta = requireFiniteNumber('roundingBeta', params.roundingBeta ?? 0);
  if (!(beta >= 0 && beta < 1)) throw configError(`roundingBeta must be in [0, 1), got ${beta}`);
  const orders = requireOrders(params.orders ?? DEFAULT_ORDERS);

  const l2Grid = roundedL2NormBound(c / grid, dimension, beta);
  const l1Grid = l2Grid * Math.min(Math.sqrt(dimension), l2Grid);
  const totalStd = Math.sqrt(sites * variance);
  const tau = ddgTau(variance, sites);
  const scales: DdgScales = { l2: l2Grid / totalStd, l1: l1Grid / totalStd, tau, dimension };
  const base = (alpha: number): number => ddgRdpOne(alpha, scales);
  const perRound = (alpha: number): number => {
    if (q === 0) return 0;
    if (q === 1) return base(alpha);
    return Math.min(base(alpha), poissonSubsampledRdpBound(Math.max(2, Math.ceil(alpha)), q, base));
  };
  return {
    sensitivity: l2Grid * grid,
    sensitivityGrid: l2Grid,
    tau,
    noiseMultiplier: totalStd / l2Grid,
    orders,
    rdp: orders.map((alpha) => (rounds === 0 ? 0 : rounds * perRound(alpha))),
  };
}

/** distributedDiscreteGaussianRdp, converted to (ε, δ) with rdpToEpsilon. */
export function accountDistributedDiscreteGaussian(params: AccountDistributedDiscreteGaussianParams): DistributedDiscreteGaussianAccount {
  const delta = requireDelta(params.delta);
  const account = distributedDiscreteGaussianRdp(params);
  return { ...account, ...rdpToEpsilon(account.orders, account.rdp, delta) };
}
