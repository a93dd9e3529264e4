/**
 * Per-record gradient clipping for any architecture: one tf.variableGrads call
 * per record. Exact but slower than ghost clipping (ghost-clip.ts), which
 * covers the Dense stacks that mlp() builds; this is the fallback for the rest.
 * Call inside tf.tidy.
 */
import type { RecordBatch } from './ghost-clip.js';
import { perRecordBce } from './losses.js';
import { tf } from './tf.js';

/** Σ_i clip_C(∇_i) for each of `variables` (the trainable weights, in order). */
export function loopClippedSum(model: tf.LayersModel, variables: tf.Variable[], { x, sign, offset }: RecordBatch, clip: number): tf.Tensor[] {
  const [rows, k] = x.shape;
  let sums: tf.Tensor[] = variables.map((v) => tf.zerosLike(v));
  for (let i = 0; i < rows; i++) {
    const next = tf.tidy(() => {
      const xi = tf.slice(x, [i, 0], [1, k]);
      const { grads } = tf.variableGrads(() => {
        const p = model.apply(xi, { training: true }) as tf.Tensor;
        return tf.sum(perRecordBce(p, tf.slice(sign, [i, 0], [1, 1]), tf.slice(offset, [i, 0], [1, 1]))) as tf.Scalar;
      }, variables);
      // A weight the loss does not reach has a zero gradient (variableGrads leaves it out).
      const own = variables.map((v) => grads[v.name] ?? tf.zerosLike(v));
      const squared = tf.addN(own.map((g) => tf.sum(tf.square(g))));
      const c = tf.div(clip, tf.maximum(tf.sqrt(squared), clip));
      return sums.map((s, j) => tf.add(s, tf.mul(own[j] as tf.Tensor, c)));
    });
    tf.dispose(sums);
    sums = next;
  }
  return sums;
}
