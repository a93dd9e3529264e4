import { optionalNumber } from './params.js';
import type { StrategyOptions } from './types.js';

export interface ResolvedOptions {
  fractionFit: number;
  minSites: number;
  fractionEvaluate: number;
}

/** Names of the options every strategy accepts (used to reject typos in specs). */
export const COMMON_OPTION_KEYS = ['fractionFit', 'minSites', 'fractionEvaluate'] as const;

export function resolveOptions(strategy: string, options: StrategyOptions = {}): ResolvedOptions {
  const fraction = { min: 0, max: 1, minExclusive: true };
  return {
    fractionFit: optionalNumber(strategy, 'fractionFit', options.fractionFit, 1, fraction),
    minSites: optionalNumber(strategy, 'minSites', options.minSites, 1, { min: 1, integer: true }),
    fractionEvaluate: optionalNumber(strategy, 'fractionEvaluate', options.fractionEvaluate, 1, fraction),
  };
}
