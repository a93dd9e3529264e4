import { type EpsilonAtOrder, rdpToEpsilon } from './rdp-conversion.js';
import { DEFAULT_ORDERS } from './rdp-orders.js';
import { computeRdp } from './rdp-subsampled-gaussian.js';
import { requireDelta, requireOrders } from './validate.js';

export interface GaussianSiteLevelParams {
  /** z: each site adds N(0, (z·C)²) per coordinate to its own update clipped to L2 norm C. */
  noiseMultiplier: number;
  rounds: number;
  delta: number;
  /** Probability the site takes part in a round; 1 (default) = every round. */
  samplingRate?: number;
  orders?: readonly number[];
}

export interface GaussianSiteLevelAccount extends EpsilonAtOrder {
  orders: readonly number[];
  rdp: number[];
}

/**
 * Site-level local DP without secure aggregation: the coordinator sees each site's
 * noisy update, so the site's own noise σ = z·C must protect it alone. The unit is
 * the site's whole data (its update present or replaced by zeros, sensitivity C),
 * so a round costs the Gaussian mechanism's α·C²/(2σ²) = α/(2z²) (Mironov 2017),
 * composed over rounds; with samplingRate < 1 the Poisson-subsampled curve applies.
 */
export function accountGaussianSiteLevel(params: GaussianSiteLevelParams): GaussianSiteLevelAccount {
  const delta = requireDelta(params.delta);
  const orders = requireOrders(params.orders ?? DEFAULT_ORDERS);
  const rdp = computeRdp({ noiseMultiplier: params.noiseMultiplier, samplingRate: params.samplingRate ?? 1, steps: params.rounds, orders });
  return { orders, rdp, ...rdpToEpsilon(orders, rdp, delta) };
}
