/**
 * Per-record gradient clipping for Dense stacks without a per-record loop
 * (the "ghost norm" trick: Goodfellow 2015; Lee & Kifer 2021). For a Dense
 * layer z = a·W + b and the batch's upstream gradient G = ∂L/∂z (rows × out,
 * L the summed loss), record i's gradients are ∇W_i = a_iᵀ g_i and ∇b_i = g_i,
 * so ‖∇W_i‖² = ‖a_i‖²·‖g_i‖² and ‖∇b_i‖² = ‖g_i‖²: every norm comes from
 * batched tensors, and the clipped sums are Aᵀ(c ⊙ G) and cᵀG.
 * Call inside tf.tidy.
 */
import { CohortError } from '@cohortfl/wire';
import type { DenseLayer } from './dense-stack.js';
import { perRecordBce } from './losses.js';
import { tf } from './tf.js';

/** One batch of records: features rows × k, and per record sign = 2y − 1 and offset = 1 − y (rows × 1). */
export interface RecordBatch {
  x: tf.Tensor2D;
  sign: tf.Tensor2D;
  offset: tf.Tensor2D;
}

interface Pass {
  /** Each layer's input a (rows × in). */
  inputs: tf.Tensor2D[];
  /** ∂(Σ losses)/∂z for each layer's pre-activation z (rows × out). */
  upstream: tf.Tensor2D[];
}

/**
 * tᵀ as a new tensor. Products below take explicit transposes: tfjs-wasm runs
 * matMul with a transpose flag on a path about 10× slower than its plain
 * product. Never a reshape, even of a row or a column: tfjs-wasm keys its
 * cached matMul operators by the data of the right operand, so a reshaped
 * view of a kernel already multiplied would reuse the kernel's operator and
 * its shape (a wrong product).
 */
function transposed(t: tf.Tensor2D): tf.Tensor2D {
  return tf.transpose(t);
}

function activate(layer: DenseLayer, z: tf.Tensor2D): tf.Tensor2D {
  return layer.activationName === 'linear' ? z : (layer.activation.apply(z) as tf.Tensor2D);
}

/** Forward pass keeping inputs and pre-activations, then the backward pass by hand through the Dense layers. */
function forwardBackward(stack: DenseLayer[], { x, sign, offset }: RecordBatch): Pass {
  const inputs: tf.Tensor2D[] = [];
  const pre: tf.Tensor2D[] = [];
  let a = x;
  for (const layer of stack) {
    inputs.push(a);
    const xw = tf.matMul(a, layer.kernel.read()) as tf.Tensor2D;
    const z = layer.bias === null ? xw : tf.add<tf.Tensor2D>(xw, layer.bias.read());
    pre.push(z);
    a = activate(layer, z);
  }
  const upstream: tf.Tensor2D[] = new Array<tf.Tensor2D>(stack.length);
  const lastIndex = stack.length - 1;
  const last = stack[lastIndex] as DenseLayer;
  // The output activation and the loss in one vector-Jacobian product.
  let g = tf.grad((z: tf.Tensor) => tf.sum(perRecordBce(activate(last, z as tf.Tensor2D), sign, offset)))(pre[lastIndex] as tf.Tensor2D) as tf.Tensor2D;
  upstream[lastIndex] = g;
  for (let l = lastIndex - 1; l >= 0; l--) {
    const next = stack[l + 1] as DenseLayer;
    const layer = stack[l] as DenseLayer;
    const dA = tf.matMul(g, transposed(next.kernel.read() as tf.Tensor2D)) as tf.Tensor2D;
    // The activation acts on each record's row alone, so its VJP keeps rows apart.
    g = layer.activationName === 'linear' ? dA : (tf.grad((z: tf.Tensor) => activate(layer, z as tf.Tensor2D))(pre[l] as tf.Tensor2D, dA) as tf.Tensor2D);
    upstream[l] = g;
  }
  return { inputs, upstream };
}

function rowSquares(t: tf.Tensor2D): tf.Tensor1D {
  return tf.sum(tf.square(t), 1);
}

function squaredNorms(stack: DenseLayer[], pass: Pass): tf.Tensor1D {
  const terms: tf.Tensor1D[] = [];
  stack.forEach((layer, l) => {
    const g2 = rowSquares(pass.upstream[l] as tf.Tensor2D);
    if (layer.kernel.trainable) terms.push(tf.mul(rowSquares(pass.inputs[l] as tf.Tensor2D), g2));
    if (layer.bias?.trainable === true) terms.push(g2);
  });
  const rows = (pass.inputs[0] as tf.Tensor2D).shape[0];
  return terms.length === 0 ? tf.zeros([rows]) : terms.length === 1 ? (terms[0] as tf.Tensor1D) : tf.addN(terms);
}

/** Each record's squared gradient norm over all trainable weights of the stack (length rows). */
export function ghostSquaredNorms(stack: DenseLayer[], batch: RecordBatch): tf.Tensor1D {
  return squaredNorms(stack, forwardBackward(stack, batch));
}

/** c_i = min(1, C/‖∇_i‖), written C / max(‖∇_i‖, C) so a zero gradient needs no epsilon. */
export function clipFactors(squared: tf.Tensor1D, clip: number): tf.Tensor1D {
  return tf.div(clip, tf.maximum(tf.sqrt(squared), clip));
}

/**
 * Σ_i clip_C(∇_i) for each variable in `variables` (the model's trainable
 * weights, in order): two matmuls per layer, no per-record loop.
 */
export function ghostClippedSum(stack: DenseLayer[], variables: tf.LayerVariable[], batch: RecordBatch, clip: number): tf.Tensor[] {
  const pass = forwardBackward(stack, batch);
  const c = tf.expandDims(clipFactors(squaredNorms(stack, pass), clip), 0); // 1 × rows
  const column = transposed(c as tf.Tensor2D); // rows × 1
  const byVariable = new Map<tf.LayerVariable, tf.Tensor>();
  stack.forEach((layer, l) => {
    const g = pass.upstream[l] as tf.Tensor2D;
    const a = pass.inputs[l] as tf.Tensor2D;
    // Aᵀ(c ⊙ G) = (c ⊙ A)ᵀ G: scale whichever side is narrower.
    if (layer.kernel.trainable) {
      byVariable.set(layer.kernel, a.shape[1] <= g.shape[1] ? tf.matMul(transposed(tf.mul(a, column)), g) : tf.matMul(transposed(a), tf.mul(g, column)));
    }
    if (layer.bias?.trainable === true) byVariable.set(layer.bias, tf.reshape(tf.matMul(c, g), [g.shape[1]]));
  });
  return variables.map((v) => {
    const grad = byVariable.get(v);
    if (grad === undefined) throw new CohortError('INTERNAL', `ghost clipping: weight ${v.name} is not a Dense weight of the model`);
    return grad;
  });
}
