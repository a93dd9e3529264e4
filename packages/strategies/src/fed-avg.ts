import { buildStrategy } from './build-strategy.js';
import { resolveOptions } from './options.js';
import type { Strategy, StrategyOptions } from './types.js';
import { weightedMeanUpdate } from './weighted.js';

/** FedAvg (McMahan et al. 2017): w' = w + Σ n_i Δ_i / Σ n_i. */
export function createFedAvg(options: StrategyOptions = {}): Strategy {
  return buildStrategy(
    {
      name: 'fedavg',
      requiresIndividualUpdates: false,
      trainConfig: {},
      serverStep: weightedMeanUpdate,
    },
    resolveOptions('fedavg', options),
  );
}
