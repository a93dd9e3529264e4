/** A ready-made binary-risk network for task authors. */
import { CohortError } from '@cohortfl/wire';
import { requireBackend } from './backend.js';
import { tf } from './tf.js';
import type { MlpActivation, MlpOptions } from './types.js';

const ACTIVATIONS: readonly MlpActivation[] = ['relu', 'tanh', 'sigmoid', 'elu', 'selu', 'linear'];

function invalid(message: string): never {
  throw new CohortError('TASK_INVALID', message);
}

/**
 * Dense layers `hidden` then Dense(1, sigmoid); `hidden: []` is logistic
 * regression. Layers are named by position (hidden_0 …, output) so the same
 * options always serialize to the same topology. Call after `initBackend()`.
 */
export function mlp(options: MlpOptions): tf.LayersModel {
  const { inputDim, hidden, activation = 'relu', l2 = 0 } = options;
  if (!Number.isInteger(inputDim) || inputDim < 1) invalid(`mlp inputDim must be a positive integer, got ${inputDim}`);
  if (!Array.isArray(hidden) || hidden.some((u) => !Number.isInteger(u) || u < 1)) {
    invalid(`mlp hidden must be a list of positive integers (units per layer), got ${JSON.stringify(hidden)}`);
  }
  if (!ACTIVATIONS.includes(activation)) invalid(`mlp activation must be one of ${ACTIVATIONS.join(', ')}, got '${activation}'`);
  if (!(Number.isFinite(l2) && l2 >= 0)) invalid(`mlp l2 must be a finite number ≥ 0, got ${l2}`);
  requireBackend('mlp()');

  const regularizer = l2 > 0 ? { kernelRegularizer: tf.regularizers.l2({ l2 }) } : {};
  const model = tf.sequential({ name: 'mlp' });
  hidden.forEach((units, i) => {
    const input = i === 0 ? { inputShape: [inputDim] } : {};
    model.add(tf.layers.dense({ units, activation, name: `hidden_${i}`, ...input, ...regularizer }));
  });
  const input = hidden.length === 0 ? { inputShape: [inputDim] } : {};
  model.add(tf.layers.dense({ units: 1, activation: 'sigmoid', name: 'output', ...input, ...regularizer }));
  return model;
}
