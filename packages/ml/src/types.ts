/** Model topology as JSON: the output of `model.toJSON(null, false)` parsed, a Keras-style config. */
export type ModelTopology = Record<string, unknown>;

export type OptimizerName = 'sgd' | 'adam' | 'rmsprop' | 'adagrad';

export interface TrainingConfig {
  /** Local epochs per round. */
  epochs: number;
  batchSize: number;
  optimizer: OptimizerName;
  learningRate: number;
  /** FedProx proximal coefficient μ: adds μ/2·‖w − w_global‖² to the local loss. 0 = plain. */
  proxMu?: number;
}

/** A site's encoded training data (see @cohortfl/data EncodedSplit). */
export interface MatrixData {
  x: Float32Array;
  y: Float32Array;
  n: number;
  featureCount: number;
}

export interface TrainResult {
  /** new − global weights, flattened in model.getWeights() order. */
  update: Float32Array;
  numExamples: number;
  metrics: { loss: number; accuracy: number };
}

export interface EvaluateResult {
  scores: Float32Array;
  loss: number;
  accuracy: number;
  auc: number;
  n: number;
}

export type BackendName = 'tensorflow' | 'wasm' | 'cpu';

export interface InitBackendOptions {
  /** Do not print the one-line backend announcement (also: env COHORTFL_QUIET=1). */
  quiet?: boolean;
}

export interface TrainLocalInput {
  topology: ModelTopology;
  /** Global weights, flattened in model.getWeights() order. */
  weights: Float32Array;
  data: MatrixData;
  training: TrainingConfig;
  /** Seeds the minibatch shuffling (an integer). */
  seed: number;
}

/** DP-SGD settings (Abadi et al. 2016) with Poisson subsampling. */
export interface DpSgdConfig {
  /** C: every record's gradient over all trainable weights is clipped to this L2 norm. */
  l2Clip: number;
  /** σ: the summed clipped gradients get N(0, σ²C²) noise per coordinate. 0 = clipping only. */
  noiseMultiplier: number;
  /** q: each record joins each step's batch independently with this probability, in (0, 1]. */
  samplingRate: number;
  /** Optimizer steps (= noisy gradient releases the accountant counts). */
  steps: number;
}

/**
 * A secure Gaussian sampler: `count` independent N(0, sigma²) draws. Injected
 * so the privacy package owns the noise source (this package draws none itself).
 */
export type GaussianNoise = (count: number, sigma: number) => Float64Array | Float32Array;

export interface TrainLocalDpInput extends TrainLocalInput {
  dp: DpSgdConfig;
  noise: GaussianNoise;
}

export interface DpTrainResult extends TrainResult {
  /** What was run, for the accountant: q·n is the expected batch size the sums were divided by. */
  dp: { steps: number; samplingRate: number; noiseMultiplier: number; l2Clip: number; expectedBatchSize: number };
}

export interface PredictInput {
  topology: ModelTopology;
  weights: Float32Array;
  /** n × featureCount, row-major. */
  x: Float32Array;
  n: number;
  featureCount: number;
}

export interface EvaluateInput {
  topology: ModelTopology;
  weights: Float32Array;
  data: MatrixData;
}

export type MlpActivation = 'relu' | 'tanh' | 'sigmoid' | 'elu' | 'selu' | 'linear';

export interface MlpOptions {
  inputDim: number;
  /** Units per hidden layer; [] gives logistic regression. */
  hidden: number[];
  /** Hidden-layer activation (default relu). */
  activation?: MlpActivation;
  /** L2 penalty on every kernel (default 0: none). */
  l2?: number;
}
