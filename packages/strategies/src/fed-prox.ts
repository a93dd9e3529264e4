import { buildStrategy } from './build-strategy.js';
import { resolveOptions } from './options.js';
import { requireNumber } from './params.js';
import type { Strategy, StrategyOptions } from './types.js';
import { weightedMeanUpdate } from './weighted.js';

export interface FedProxOptions extends StrategyOptions {
  /** μ of the proximal term μ/2‖w − w_g‖² each site adds to its local loss (≥ 0). */
  proxMu: number;
}

/**
 * FedProx (Li et al. 2020): server side is FedAvg; the round config carries
 * `proxMu` so sites keep local models near the global one on non-IID data.
 */
export function createFedProx(options: FedProxOptions): Strategy {
  const proxMu = requireNumber('fedprox', 'proxMu', options?.proxMu, { min: 0 });
  return buildStrategy(
    {
      name: 'fedprox',
      requiresIndividualUpdates: false,
      trainConfig: { proxMu },
      serverStep: weightedMeanUpdate,
    },
    resolveOptions('fedprox', options),
  );
}
