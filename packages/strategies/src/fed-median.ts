import { buildStrategy } from './build-strategy.js';
import { reduceCoordinates } from './coordinate-wise.js';
import { resolveOptions } from './options.js';
import type { Strategy, StrategyOptions } from './types.js';

/** Median of a sorted column; the mean of the two middle values for an even count. */
export function medianOfSorted(sorted: Float64Array): number {
  const mid = sorted.length >> 1;
  const upper = sorted[mid] as number;
  return sorted.length % 2 === 1 ? upper : ((sorted[mid - 1] as number) + upper) / 2;
}

/**
 * Coordinate-wise median of the sites' updates, added to the global weights
 * (Yin et al. 2018). Needs every individual update: plaintext only, so secure
 * aggregation refuses it.
 */
export function createFedMedian(options: StrategyOptions = {}): Strategy {
  return buildStrategy(
    {
      name: 'fedmedian',
      requiresIndividualUpdates: true,
      trainConfig: {},
      serverStep: (accepted, length) => reduceCoordinates(accepted, length, medianOfSorted),
    },
    resolveOptions('fedmedian', options),
  );
}
