import { runStrategyContract } from './contract.test-suite.js';
import { createStrategy } from './create-strategy.js';
import { STRATEGY_NAMES } from './strategy-spec.js';
import type { StrategyName, StrategySpec } from './strategy-spec.js';
import type { StrategyOptions } from './types.js';

// Each strategy with parameters that make its behaviour visible on tiny inputs.
const SPECS: Record<StrategyName, StrategySpec> = {
  fedavg: { name: 'fedavg' },
  fedprox: { name: 'fedprox', proxMu: 0.1 },
  fedadam: { name: 'fedadam', serverLearningRate: 0.1 },
  fedyogi: { name: 'fedyogi', serverLearningRate: 0.1 },
  fedadagrad: { name: 'fedadagrad', serverLearningRate: 0.1 },
  fedmedian: { name: 'fedmedian' },
  trimmedmean: { name: 'trimmedmean', beta: 0.2 },
  qfedavg: { name: 'qfedavg', q: 1, lipschitz: 10 },
};

for (const name of STRATEGY_NAMES) {
  runStrategyContract({
    label: name,
    make: (options: StrategyOptions = {}) => createStrategy({ ...SPECS[name], ...options }),
    requiresIndividualUpdates: name === 'fedmedian' || name === 'trimmedmean',
  });
}
