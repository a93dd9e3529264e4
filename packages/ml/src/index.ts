export { tf } from './tf.js';
export { initBackend, currentBackend } from './backend.js';
export { modelToTopology, createModel, inputDim } from './topology.js';
export { flattenWeights, setFlatWeights, weightShapes } from './weights.js';
export { countParameters, disposeModels } from './model-cache.js';
export { initialWeights } from './init-weights.js';
export { trainLocal } from './train-local.js';
export { trainLocalDp } from './train-local-dp.js';
export { predict, evaluate } from './predict.js';
export { rocAuc } from './roc-auc.js';
export { mlp } from './mlp.js';
export type {
  BackendName,
  DpSgdConfig,
  DpTrainResult,
  EvaluateInput,
  EvaluateResult,
  GaussianNoise,
  InitBackendOptions,
  MatrixData,
  MlpActivation,
  MlpOptions,
  ModelTopology,
  OptimizerName,
  PredictInput,
  TrainingConfig,
  TrainLocalDpInput,
  TrainLocalInput,
  TrainResult,
} from './types.js';
