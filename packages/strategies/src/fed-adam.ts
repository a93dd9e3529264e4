import { buildStrategy } from './build-strategy.js';
import { resolveOptions } from './options.js';
import { createServerOptimizerCore, resolveServerOptimizerParams } from './server-optimizer.js';
import type { ServerOptimizerOptions } from './server-optimizer.js';
import type { Strategy } from './types.js';

export type FedAdamOptions = ServerOptimizerOptions;

/** FedAdam: v_t = β2 v_{t−1} + (1 − β2) Δ_t². */
export function createFedAdam(options: FedAdamOptions = {}): Strategy {
  const params = resolveServerOptimizerParams('fedadam', options);
  const { beta2 } = params;
  const core = createServerOptimizerCore('fedadam', params, (v, d2) => beta2 * v + (1 - beta2) * d2);
  return buildStrategy(core, resolveOptions('fedadam', options));
}
