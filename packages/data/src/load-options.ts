import { CohortError } from '@cohortfl/wire';
import type { LoadOptions } from './dataset.js';

export interface ResolvedLoadOptions {
  seed: number;
  validationFraction: number;
}

const KEYS = new Set(['mapping', 'seed', 'validationFraction']);

/** Checks load options at the boundary (CONFIG_INVALID), filling defaults. */
export function resolveLoadOptions(options: LoadOptions): ResolvedLoadOptions {
  for (const key of Object.keys(options)) {
    if (!KEYS.has(key)) throw new CohortError('CONFIG_INVALID', `load options: unknown key '${key}', expected ${[...KEYS].join(', ')}`);
  }
  const seed = options.seed ?? 0;
  if (!Number.isSafeInteger(seed)) throw new CohortError('CONFIG_INVALID', `load options: seed must be an integer, got ${seed}`);
  const validationFraction = options.validationFraction ?? 0.2;
  if (!(validationFraction > 0 && validationFraction < 1)) {
    throw new CohortError('CONFIG_INVALID', `load options: validationFraction must be in (0, 1), got ${validationFraction}`);
  }
  return { seed, validationFraction };
}
