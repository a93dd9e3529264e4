/** Scoring and evaluation of global weights on a site's data. */
import { accuracyAtHalf, meanBce } from './metrics.js';
import { withModel, type CachedModel } from './model-cache.js';
import { rocAuc } from './roc-auc.js';
import { tf } from './tf.js';
import type { EvaluateInput, EvaluateResult, PredictInput } from './types.js';
import { validateFeatures, validateMatrix, validateWeights } from './validate.js';
import { setFlatWeights } from './weights.js';

/** Rows per forward pass: bounds device memory on large sites. */
const CHUNK_ROWS = 4096;

/** Sigmoid scores of n records, CHUNK_ROWS at a time. */
export function score({ model }: CachedModel, x: Float32Array, n: number, k: number): Float32Array {
  const out = new Float32Array(n);
  for (let start = 0; start < n; start += CHUNK_ROWS) {
    const end = Math.min(n, start + CHUNK_ROWS);
    // apply() in inference mode, not predict(): predict() re-batches by 32 rows,
    // which made scoring 2000 × 213 records ~50× slower on wasm.
    const p = tf.tidy(() => model.apply(tf.tensor2d(x.subarray(start * k, end * k), [end - start, k]), { training: false }) as tf.Tensor);
    try {
      out.set(p.dataSync(), start);
    } finally {
      p.dispose();
    }
  }
  return out;
}

/** Risk scores (sigmoid outputs) of n records under `weights`. */
export function predict(input: PredictInput): Promise<Float32Array> {
  const { topology, weights, x, n, featureCount } = input;
  return withModel(topology, (cached) => {
    validateWeights(weights, cached.layout.total);
    validateFeatures(x, n, featureCount, cached.inputDim);
    setFlatWeights(cached.model, weights);
    return score(cached, x, n, featureCount);
  });
}

/**
 * Scores plus mean binary cross-entropy (probabilities clipped to
 * [1e-7, 1 − 1e-7]), accuracy at threshold 0.5 (score ≥ 0.5 is positive) and
 * ROC AUC (NaN when the data hold a single class).
 */
export function evaluate(input: EvaluateInput): Promise<EvaluateResult> {
  const { topology, weights, data } = input;
  return withModel(topology, (cached) => {
    validateWeights(weights, cached.layout.total);
    validateMatrix(data, cached.inputDim);
    setFlatWeights(cached.model, weights);
    const scores = score(cached, data.x, data.n, data.featureCount);
    return { scores, loss: meanBce(data.y, scores), accuracy: accuracyAtHalf(data.y, scores), auc: rocAuc(data.y, scores), n: data.n };
  });
}
