import { createFedAdagrad } from './fed-adagrad.js';
import { createFedAdam } from './fed-adam.js';
import { createFedAvg } from './fed-avg.js';
import { createFedMedian } from './fed-median.js';
import { createFedProx } from './fed-prox.js';
import { createFedYogi } from './fed-yogi.js';
import { checkSpecShape } from './strategy-spec.js';
import type { StrategySpec } from './strategy-spec.js';
import { createTrimmedMean } from './trimmed-mean.js';
import { createQFedAvg } from './q-fed-avg.js';
import type { Strategy } from './types.js';

/**
 * Builds a strategy from the spec a task manifest stores, so simulation and the
 * coordinator construct the same thing. Throws CohortError('TASK_INVALID') for an
 * unknown name, an unknown parameter, or a parameter out of range.
 */
export function createStrategy(spec: StrategySpec): Strategy {
  const checked = checkSpecShape(spec);
  switch (checked.name) {
    case 'fedavg':
      return createFedAvg(checked);
    case 'fedprox':
      return createFedProx(checked);
    case 'fedadam':
      return createFedAdam(checked);
    case 'fedyogi':
      return createFedYogi(checked);
    case 'fedadagrad':
      return createFedAdagrad(checked);
    case 'fedmedian':
      return createFedMedian(checked);
    case 'trimmedmean':
      return createTrimmedMean(checked);
    case 'qfedavg':
      return createQFedAvg(checked);
  }
}

/** Validates an untrusted spec (e.g. from a manifest file) fully, ranges included. */
export function parseStrategySpec(value: unknown): StrategySpec {
  const spec = checkSpecShape(value);
  createStrategy(spec);
  return { ...spec };
}
