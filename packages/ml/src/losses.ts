/** Loss pieces of the local objective, as tensor ops (call inside tidy/minimize). */
import { tf } from './tf.js';
import type { OptimizerName, TrainingConfig } from './types.js';

/** Keras' epsilon: probabilities are clipped to [EPS, 1 − EPS] before the log. */
export const EPS = 1e-7;

/**
 * Mean binary cross-entropy, given per record sign = 2y − 1 and offset = 1 − y
 * (prepared on the host). q = p·sign + offset is the probability given to the
 * true label, so the loss is −mean(log q): six ops instead of Keras' eleven,
 * and the training loop runs one such loss per minibatch.
 */
export function binaryCrossEntropy(p: tf.Tensor, sign: tf.Tensor, offset: tf.Tensor): tf.Scalar {
  const q = tf.clipByValue(tf.add(tf.mul(p, sign), offset), EPS, 1 - EPS);
  return tf.neg(tf.mean(tf.log(q))) as tf.Scalar;
}

/**
 * Each record's binary cross-entropy, rows × 1, with the same clipping as
 * binaryCrossEntropy: DP-SGD differentiates their sum, so row i of a gradient
 * with respect to a layer's outputs is record i's own gradient.
 */
export function perRecordBce(p: tf.Tensor, sign: tf.Tensor, offset: tf.Tensor): tf.Tensor {
  return tf.neg(tf.log(tf.clipByValue(tf.add(tf.mul(p, sign), offset), EPS, 1 - EPS)));
}

/**
 * Weight-regularizer penalties of every layer. Collected layer by layer because
 * Sequential.calculateLosses() returns nothing in tfjs 4.22.
 */
type Layer = tf.LayersModel['layers'][number];

export function regularizationLosses(container: { layers: Layer[] }): tf.Scalar[] {
  const out: tf.Scalar[] = [];
  for (const layer of container.layers) {
    const nested = layer as unknown as { layers?: Layer[] };
    if (Array.isArray(nested.layers)) out.push(...regularizationLosses({ layers: nested.layers }));
    else out.push(...layer.calculateLosses());
  }
  return out;
}

/** FedProx term μ/2 · Σ‖w − w_global‖² over the trainable weights. */
export function proximalTerm(mu: number, current: tf.Tensor[], anchors: tf.Tensor[]): tf.Scalar {
  const sq = current.map((w, i) => tf.sum(tf.squaredDifference(w, anchors[i] as tf.Tensor)));
  return tf.mul(mu / 2, tf.addN(sq)) as tf.Scalar;
}

export function makeOptimizer(training: TrainingConfig): tf.Optimizer {
  const lr = training.learningRate;
  const byName: Record<OptimizerName, () => tf.Optimizer> = {
    sgd: () => tf.train.sgd(lr),
    adam: () => tf.train.adam(lr),
    rmsprop: () => tf.train.rmsprop(lr),
    adagrad: () => tf.train.adagrad(lr),
  };
  return byName[training.optimizer]();
}
