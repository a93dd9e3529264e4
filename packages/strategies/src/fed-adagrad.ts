import { buildStrategy } from './build-strategy.js';
import { resolveOptions } from './options.js';
import { createServerOptimizerCore, resolveServerOptimizerParams } from './server-optimizer.js';
import type { ServerOptimizerOptions } from './server-optimizer.js';
import type { Strategy } from './types.js';

/** FedAdagrad has no β2: v only accumulates. */
export type FedAdagradOptions = Omit<ServerOptimizerOptions, 'beta2'>;

/** FedAdagrad: v_t = v_{t−1} + Δ_t². */
export function createFedAdagrad(options: FedAdagradOptions = {}): Strategy {
  const params = resolveServerOptimizerParams('fedadagrad', { ...options, beta2: undefined });
  const core = createServerOptimizerCore('fedadagrad', params, (v, d2) => v + d2);
  return buildStrategy(core, resolveOptions('fedadagrad', options));
}
