/**
 * Weights as one flat Float32Array, in model.getWeights() order (trainable
 * weights first, then non-trainable ones such as batch-norm statistics). This
 * is the form updates take on the wire, in secure aggregation and in strategies.
 */
import { CohortError } from '@cohortfl/wire';
import { tf } from './tf.js';

export interface WeightSlot {
  /** The layer variable, as ordered by model.weights (= model.getWeights()). */
  variable: tf.LayerVariable;
  /** Name without tfjs's uniqueness suffix, e.g. 'dense/kernel'. */
  name: string;
  shape: number[];
  offset: number;
  size: number;
  trainable: boolean;
}

export interface WeightLayout {
  slots: WeightSlot[];
  total: number;
}

export function weightLayout(model: tf.LayersModel): WeightLayout {
  let offset = 0;
  const slots = model.weights.map((variable) => {
    const shape = [...variable.shape] as number[];
    const size = shape.reduce((a, b) => a * b, 1);
    const slot = { variable, name: variable.originalName, shape, offset, size, trainable: variable.trainable };
    offset += size;
    return slot;
  });
  return { slots, total: offset };
}

/** The shape of each weight tensor, in flat order. */
export function weightShapes(model: tf.LayersModel): number[][] {
  return model.weights.map((w) => [...w.shape] as number[]);
}

/** All weights in one Float32Array (a copy; one device read). */
export function flattenWeights(model: tf.LayersModel): Float32Array {
  const variables = model.weights;
  if (variables.length === 0) return new Float32Array(0);
  const flat = tf.tidy(() => tf.concat(variables.map((v) => tf.reshape(v.read(), [-1]))));
  try {
    // Copy: some backends hand back their own storage.
    return new Float32Array(flat.dataSync());
  } finally {
    flat.dispose();
  }
}

/** Writes a flat vector into the model's weights; SHAPE_MISMATCH when the length differs. */
export function setFlatWeights(model: tf.LayersModel, flat: Float32Array): void {
  const layout = weightLayout(model);
  if (!(flat instanceof Float32Array) || flat.length !== layout.total) {
    throw new CohortError(
      'SHAPE_MISMATCH',
      `weights have ${flat?.length ?? 0} values but the model has ${layout.total} parameters`,
      { details: { expected: layout.total, actual: flat?.length ?? 0 } },
    );
  }
  for (const slot of layout.slots) {
    tf.tidy(() => {
      slot.variable.write(tf.tensor(flat.subarray(slot.offset, slot.offset + slot.size), slot.shape, 'float32'));
    });
  }
}
