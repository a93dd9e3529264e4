import { CohortError } from '@cohortfl/wire';
import type { FedAdagradOptions } from './fed-adagrad.js';
import type { FedAdamOptions } from './fed-adam.js';
import type { FedProxOptions } from './fed-prox.js';
import type { FedYogiOptions } from './fed-yogi.js';
import { COMMON_OPTION_KEYS } from './options.js';
import type { TrimmedMeanOptions } from './trimmed-mean.js';
import type { QFedAvgOptions } from './q-fed-avg.js';
import type { StrategyOptions } from './types.js';

export const STRATEGY_NAMES = [
  'fedavg',
  'fedprox',
  'fedadam',
  'fedyogi',
  'fedadagrad',
  'fedmedian',
  'trimmedmean',
  'qfedavg',
] as const;

export type StrategyName = (typeof STRATEGY_NAMES)[number];

/** A JSON-safe description of a strategy, as stored in a task manifest. */
export type StrategySpec =
  | ({ name: 'fedavg' } & StrategyOptions)
  | ({ name: 'fedprox' } & FedProxOptions)
  | ({ name: 'fedadam' } & FedAdamOptions)
  | ({ name: 'fedyogi' } & FedYogiOptions)
  | ({ name: 'fedadagrad' } & FedAdagradOptions)
  | ({ name: 'fedmedian' } & StrategyOptions)
  | ({ name: 'trimmedmean' } & TrimmedMeanOptions)
  | ({ name: 'qfedavg' } & QFedAvgOptions);

const OPTIMIZER_KEYS = ['serverLearningRate', 'beta1', 'beta2', 'tau'] as const;

/** Parameters each strategy accepts besides the common sampling options. */
const OWN_KEYS: Record<StrategyName, readonly string[]> = {
  fedavg: [],
  fedprox: ['proxMu'],
  fedadam: OPTIMIZER_KEYS,
  fedyogi: OPTIMIZER_KEYS,
  fedadagrad: OPTIMIZER_KEYS.filter((k) => k !== 'beta2'),
  fedmedian: [],
  trimmedmean: ['beta'],
  qfedavg: ['q', 'lipschitz'],
};

export function isStrategyName(value: unknown): value is StrategyName {
  return typeof value === 'string' && (STRATEGY_NAMES as readonly string[]).includes(value);
}

/**
 * Checks a spec's shape: a plain object, a known name, only keys that strategy
 * accepts (so a typo fails loudly), numeric values. Ranges are checked by the
 * factories, which `createStrategy` calls.
 */
export function checkSpecShape(value: unknown): StrategySpec {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new CohortError('TASK_INVALID', `strategy spec must be an object like { "name": "fedavg" }`);
  }
  const record = value as Record<string, unknown>;
  const { name } = record;
  if (!isStrategyName(name)) {
    const got = typeof name === 'string' ? `'${name}'` : `a ${typeof name}`;
    throw new CohortError('TASK_INVALID', `unknown strategy ${got}; valid names: ${STRATEGY_NAMES.join(', ')}`, {
      details: { validNames: [...STRATEGY_NAMES] },
    });
  }
  const allowed = [...COMMON_OPTION_KEYS, ...OWN_KEYS[name]];
  for (const [key, param] of Object.entries(record)) {
    if (key === 'name') continue;
    if (!allowed.includes(key)) {
      throw new CohortError(
        'TASK_INVALID',
        `${name}: unknown parameter '${key}'; valid parameters: ${allowed.join(', ')}`,
        { details: { strategy: name, key } },
      );
    }
    if (typeof param !== 'number') {
      throw new CohortError('TASK_INVALID', `${name}: ${key} must be a number, got a ${typeof param}`, {
        details: { strategy: name, key },
      });
    }
  }
  return record as StrategySpec;
}
