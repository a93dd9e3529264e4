import { buildStrategy } from './build-strategy.js';
import { reduceCoordinates } from './coordinate-wise.js';
import { resolveOptions } from './options.js';
import { requireNumber } from './params.js';
import type { Strategy, StrategyOptions } from './types.js';

export interface TrimmedMeanOptions extends StrategyOptions {
  /** Fraction trimmed from each end per coordinate, in [0, 0.5). */
  beta: number;
}

/**
 * Coordinate-wise β-trimmed mean of the sites' updates (Yin et al. 2018): drop the
 * ⌊β·n⌋ smallest and largest values of each coordinate, average the rest. Since
 * β < 0.5 at least one value always remains. Plaintext only (needs each update).
 */
export function createTrimmedMean(options: TrimmedMeanOptions): Strategy {
  const beta = requireNumber('trimmedmean', 'beta', options?.beta, { min: 0, max: 0.5, maxExclusive: true });
  return buildStrategy(
    {
      name: 'trimmedmean',
      requiresIndividualUpdates: true,
      trainConfig: {},
      serverStep: (accepted, length) => {
        // toPrecision guards against 0.29 * 100 = 28.999999999999996 flooring to 28.
        const trim = Math.floor(Number((beta * accepted.length).toPrecision(12)));
        return reduceCoordinates(accepted, length, (sorted) => {
          let sum = 0;
          for (let i = trim; i < sorted.length - trim; i++) sum += sorted[i] as number;
          return sum / (sorted.length - 2 * trim);
        });
      },
    },
    resolveOptions('trimmedmean', options),
  );
}
