export { createFedAvg } from './fed-avg.js';
export { createFedProx } from './fed-prox.js';
export type { FedProxOptions } from './fed-prox.js';
export { createFedAdam } from './fed-adam.js';
export type { FedAdamOptions } from './fed-adam.js';
export { createFedYogi } from './fed-yogi.js';
export type { FedYogiOptions } from './fed-yogi.js';
export { createFedAdagrad } from './fed-adagrad.js';
export type { FedAdagradOptions } from './fed-adagrad.js';
export type { ServerOptimizerOptions } from './server-optimizer.js';
export { createFedMedian } from './fed-median.js';
export { createTrimmedMean } from './trimmed-mean.js';
export type { TrimmedMeanOptions } from './trimmed-mean.js';
export { createStrategy, parseStrategySpec } from './create-strategy.js';
export { STRATEGY_NAMES, isStrategyName } from './strategy-spec.js';
export type { StrategyName, StrategySpec } from './strategy-spec.js';
export { sampleCohort } from './sampling.js';
export type {
  AggregateOutcome,
  CohortPlan,
  ConfigValue,
  ConfigureInput,
  EvaluateResultIn,
  RoundConfig,
  SiteFailure,
  Strategy,
  StrategyOptions,
  TrainResultIn,
} from './types.js';
export { createQFedAvg, QFFL_CONFIG } from './q-fed-avg.js';
export type { QFedAvgOptions } from './q-fed-avg.js';
