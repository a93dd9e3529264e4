/** Boundary checks for what training and evaluation receive. */
import { CohortError } from '@cohortfl/wire';
import type { DpSgdConfig, MatrixData, OptimizerName, TrainingConfig } from './types.js';

const OPTIMIZERS: readonly OptimizerName[] = ['sgd', 'adam', 'rmsprop', 'adagrad'];

function config(message: string): never {
  throw new CohortError('CONFIG_INVALID', message);
}

export function validateTraining(t: TrainingConfig): void {
  if (typeof t !== 'object' || t === null) config('training config must be an object');
  if (!Number.isInteger(t.epochs) || t.epochs < 1) config(`training.epochs must be a positive integer, got ${t.epochs}`);
  if (!Number.isInteger(t.batchSize) || t.batchSize < 1) config(`training.batchSize must be a positive integer, got ${t.batchSize}`);
  if (!OPTIMIZERS.includes(t.optimizer)) config(`training.optimizer must be one of ${OPTIMIZERS.join(', ')}, got '${t.optimizer}'`);
  if (!(Number.isFinite(t.learningRate) && t.learningRate > 0)) config(`training.learningRate must be a positive number, got ${t.learningRate}`);
  const mu = t.proxMu ?? 0;
  if (!(Number.isFinite(mu) && mu >= 0)) config(`training.proxMu must be a finite number ≥ 0, got ${t.proxMu}`);
}

/** DP-SGD settings; FedProx is refused rather than silently combined (see trainLocalDp). */
export function validateDp(dp: DpSgdConfig, training: TrainingConfig, noise: unknown): void {
  if (typeof dp !== 'object' || dp === null) config('dp config must be an object { l2Clip, noiseMultiplier, samplingRate, steps }');
  if (!(Number.isFinite(dp.l2Clip) && dp.l2Clip > 0)) config(`dp.l2Clip must be a positive number, got ${dp.l2Clip}`);
  if (!(Number.isFinite(dp.noiseMultiplier) && dp.noiseMultiplier >= 0)) {
    config(`dp.noiseMultiplier must be a finite number ≥ 0, got ${dp.noiseMultiplier}`);
  }
  if (!(Number.isFinite(dp.samplingRate) && dp.samplingRate > 0 && dp.samplingRate <= 1)) {
    config(`dp.samplingRate must be in (0, 1], got ${dp.samplingRate}`);
  }
  if (!Number.isSafeInteger(dp.steps) || dp.steps < 1) config(`dp.steps must be a positive integer, got ${dp.steps}`);
  if ((training.proxMu ?? 0) > 0) {
    config('training.proxMu > 0 (FedProx) is not supported with DP-SGD; set proxMu to 0 or train without dp');
  }
  if (typeof noise !== 'function') config('DP-SGD needs a noise sampler (count, sigma) => Float64Array');
}

export function validateSeed(seed: number): void {
  if (!Number.isSafeInteger(seed)) config(`seed must be an integer, got ${seed}`);
}

/** x is n × featureCount row-major and finite; the model expects `expectedK` features. */
export function validateFeatures(x: Float32Array, n: number, featureCount: number, expectedK: number): void {
  if (!(x instanceof Float32Array)) throw new CohortError('DATA_INVALID', 'features must be a Float32Array');
  if (!Number.isInteger(n) || n < 1) throw new CohortError('DATA_INVALID', `need at least one record, got n = ${n}`);
  if (featureCount !== expectedK) {
    throw new CohortError('SHAPE_MISMATCH', `the data has ${featureCount} features per record but the model takes ${expectedK}`, {
      details: { expected: expectedK, actual: featureCount },
    });
  }
  if (x.length !== n * featureCount) {
    throw new CohortError('SHAPE_MISMATCH', `features hold ${x.length} values, expected n × featureCount = ${n} × ${featureCount}`);
  }
  if (allFinite(x)) return;
  for (let i = 0; i < x.length; i++) {
    if (!Number.isFinite(x[i])) {
      throw new CohortError('DATA_INVALID', `feature value of record ${Math.floor(i / featureCount)}, column ${i % featureCount} is not a finite number`);
    }
  }
}

/**
 * Whether every value is finite, without a branch per value: v·0 is ±0 for a
 * finite v and NaN for ±∞ or NaN, so the sums stay 0 exactly when all are
 * finite. Four running sums, about twice as fast as a Number.isFinite test
 * per value (this runs over every feature value of every training call).
 */
function allFinite(x: Float32Array): boolean {
  let s0 = 0;
  let s1 = 0;
  let s2 = 0;
  let s3 = 0;
  const end = x.length - (x.length % 4);
  for (let i = 0; i < end; i += 4) {
    s0 += (x[i] as number) * 0;
    s1 += (x[i + 1] as number) * 0;
    s2 += (x[i + 2] as number) * 0;
    s3 += (x[i + 3] as number) * 0;
  }
  for (let i = end; i < x.length; i++) s0 += (x[i] as number) * 0;
  return s0 + s1 + s2 + s3 === 0;
}

export function validateMatrix(data: MatrixData, expectedK: number): void {
  if (typeof data !== 'object' || data === null) throw new CohortError('DATA_INVALID', 'data must be an object { x, y, n, featureCount }');
  validateFeatures(data.x, data.n, data.featureCount, expectedK);
  if (!(data.y instanceof Float32Array) || data.y.length !== data.n) {
    throw new CohortError('SHAPE_MISMATCH', `labels must be a Float32Array of n = ${data.n} values, got ${data.y?.length ?? 'none'}`);
  }
  for (let i = 0; i < data.n; i++) {
    const label = data.y[i];
    if (label !== 0 && label !== 1) throw new CohortError('DATA_INVALID', `label of record ${i} is ${label}, expected 0 or 1`);
  }
}

/** Global weights: right length for the model, every value finite. */
export function validateWeights(weights: Float32Array, expected: number): void {
  if (!(weights instanceof Float32Array) || weights.length !== expected) {
    throw new CohortError('SHAPE_MISMATCH', `weights have ${weights?.length ?? 0} values but the model has ${expected} parameters`, {
      details: { expected, actual: weights?.length ?? 0 },
    });
  }
  for (let i = 0; i < weights.length; i++) {
    if (!Number.isFinite(weights[i])) throw new CohortError('DATA_INVALID', `weight ${i} is not a finite number`);
  }
}
