import { buildStrategy } from './build-strategy.js';
import { resolveOptions } from './options.js';
import { createServerOptimizerCore, resolveServerOptimizerParams } from './server-optimizer.js';
import type { ServerOptimizerOptions } from './server-optimizer.js';
import type { Strategy } from './types.js';

export type FedYogiOptions = ServerOptimizerOptions;

/**
 * FedYogi: v_t = v_{t−1} − (1 − β2) Δ_t² sign(v_{t−1} − Δ_t²). Unlike Adam, v
 * moves additively, so a burst of large pseudo-gradients does not inflate it fast.
 */
export function createFedYogi(options: FedYogiOptions = {}): Strategy {
  const params = resolveServerOptimizerParams('fedyogi', options);
  const { beta2 } = params;
  const core = createServerOptimizerCore('fedyogi', params, (v, d2) => v - (1 - beta2) * d2 * Math.sign(v - d2));
  return buildStrategy(core, resolveOptions('fedyogi', options));
}
