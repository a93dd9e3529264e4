/**
 * Fused training steps for Dense stacks (what mlp() builds): the forward and
 * backward passes written out as a few backend ops, instead of layers' apply,
 * a gradient tape and one optimizer update per variable. On the wasm backend a
 * step of a narrow model is dominated by the cost of dispatching each op
 * (microseconds), not by the arithmetic, so the op count is what makes it
 * fast; at genomic width (10,000+ inputs) the two large matrix products of the
 * first layer are most of the work.
 *
 * Per step: the weights uploaded from the flat host vector; one fused matMul
 * (bias and activation included) per layer forward; the predictions read back
 * and the loss gradient of sigmoid + clipped binary cross-entropy computed on
 * the host; per layer backward, transpose(A)·G for the kernel, a column sum for
 * the bias and G·Wᵀ for the layer below (plain products: see kernelGradient;
 * for the first layer the caller may pass the batch's transpose, laid out on
 * the host where the batch is gathered, instead of a backend transpose);
 * the gradients read back and the optimizer applied in one pass over the flat
 * parameter vector (model.getWeights() order) on the host.
 *
 * The result is the same as the tape-and-optimizer path (train-local.ts) up to
 * float rounding: same loss (including Keras' probability clipping, whose zero
 * gradient is reproduced), same L2 weight penalties and FedProx term, and the
 * same update rules as tfjs's sgd, adam, rmsprop and adagrad optimizers.
 */
import type { DenseLayer } from './dense-stack.js';
import { denseStack } from './dense-stack.js';
import { createAdamKernel } from './adam-simd.js';
import { EPS } from './losses.js';
import { tf } from './tf.js';
import type { OptimizerName, TrainingConfig } from './types.js';
import type { WeightLayout } from './weights.js';

/** Activations whose derivative the fused step computes from the layer's output. */
export const FUSED_ACTIVATIONS = ['linear', 'relu', 'sigmoid', 'elu', 'tanh', 'selu'] as const;
type FusedActivation = (typeof FUSED_ACTIVATIONS)[number];
/** The ones tf.fused.matMul applies inside the product on every backend. */
const IN_MATMUL = new Set<FusedActivation>(['linear', 'relu', 'sigmoid', 'elu']);

// tfjs's selu constants (tfjs-core selu_util), so the derivative matches tf.selu's gradient.
const SELU_SCALE = 1.0507009873554805;
const SELU_SCALE_ALPHA = 1.7580993408473768;

/** One Dense layer of the plan: where its weights sit in the flat vector and what it computes. */
export interface FusedLayer {
  inputs: number;
  units: number;
  activation: FusedActivation;
  kernelOffset: number;
  /** Offset of the bias in the flat vector, or -1 for a layer without bias. */
  biasOffset: number;
}

export interface FusedPlan {
  layers: FusedLayer[];
  /** Parameters in the flat vector (all of the model's weights). */
  total: number;
  /** 2·l2 per parameter from L2 weight regularizers, or null when there are none. */
  decay: Float32Array | null;
}

interface Regularizer {
  className?: string;
  config?: { l1?: number; l2?: number };
}

/** The l2 coefficient of a serialized weight regularizer; null for one the fused step does not reproduce. */
function l2Of(serialized: unknown): number | null {
  if (serialized === null || serialized === undefined) return 0;
  const r = serialized as Regularizer;
  if (r.className !== 'L1L2' && r.className !== 'L2') return null;
  const l1 = r.config?.l1 ?? 0;
  const l2 = r.config?.l2 ?? 0;
  return l1 === 0 && Number.isFinite(l2) && l2 >= 0 ? l2 : null;
}

/**
 * The fused plan for `model`, or null when the model is not a stack of Dense
 * layers with supported activations ending in Dense(1, sigmoid), all weights
 * trainable, and at most L2 weight regularizers (then training takes the tape path).
 */
export function fusedPlan(model: tf.LayersModel, layout: WeightLayout): FusedPlan | null {
  const stack: DenseLayer[] | null = denseStack(model);
  if (stack === null) return null;
  if (layout.slots.some((s) => !s.trainable)) return null;
  const offsetOf = new Map(layout.slots.map((s) => [s.variable, s.offset]));
  const decay = new Float32Array(layout.total);
  let anyDecay = false;
  const layers: FusedLayer[] = [];
  let expected = 0; // the flat vector must be kernel, bias, kernel, bias … in layer order
  for (const [i, layer] of stack.entries()) {
    const activation = layer.activationName as FusedActivation;
    if (!(FUSED_ACTIVATIONS as readonly string[]).includes(activation)) return null;
    if (i === stack.length - 1 && (activation !== 'sigmoid' || layer.kernel.shape[1] !== 1)) return null;
    const kernelOffset = offsetOf.get(layer.kernel);
    const biasOffset = layer.bias === null ? -1 : offsetOf.get(layer.bias);
    if (kernelOffset === undefined || biasOffset === undefined) return null;
    const [inputs, units] = layer.kernel.shape as [number, number];
    if (kernelOffset !== expected || (biasOffset >= 0 && biasOffset !== kernelOffset + inputs * units)) return null;
    expected = kernelOffset + inputs * units + (biasOffset >= 0 ? units : 0);
    const dense = model.layers[i] as unknown as { getConfig(): Record<string, unknown> };
    const config = dense.getConfig();
    const kernelL2 = l2Of(config.kernelRegularizer);
    const biasL2 = l2Of(config.biasRegularizer);
    if (kernelL2 === null || biasL2 === null) return null;
    if (kernelL2 > 0) {
      decay.fill(2 * kernelL2, kernelOffset, kernelOffset + inputs * units);
      anyDecay = true;
    }
    if (biasL2 > 0 && biasOffset >= 0) {
      decay.fill(2 * biasL2, biasOffset, biasOffset + units);
      anyDecay = true;
    }
    layers.push({ inputs, units, activation, kernelOffset, biasOffset });
  }
  if (expected !== layout.total) return null;
  return { layers, total: layout.total, decay: anyDecay ? decay : null };
}

/**
 * An optimizer over one flat parameter vector, on the host: one pass per step
 * over the parameters, with tfjs's update rule for the same name (same
 * defaults: adam β1 0.9, β2 0.999; rmsprop decay 0.9, momentum 0; adagrad
 * initial accumulator 0.1; ε the backend's epsilon) and the penalties' gradient
 * added per coordinate: g = G·scale + decay·w − pull.
 */
export interface FlatOptimizer {
  /** The parameters it updates (a copy of the starting weights, flat). */
  readonly params: Float32Array;
  /** Starts a step (advances adam's bias correction). */
  begin(): void;
  /** Updates params[offset … offset + grad.length) with gradient grad·scale (+ penalties); overwrites grad. */
  apply(offset: number, grad: Float32Array, scale: number): void;
}

export interface Penalties {
  /** 2·l2_i + μ per parameter. */
  decay: Float32Array;
  /** μ·w_global per parameter. */
  pull: Float32Array;
}

/**
 * g_j ← g_j·scale plus, with penalties, decay_i·w_i − pull_i (i = offset + j), in place:
 * the gradient each update loop below reads.
 */
function fullGradient(grad: Float32Array, scale: number, offset: number, params: Float32Array, penalties: Penalties | null): Float32Array {
  if (penalties === null) {
    if (scale !== 1) for (let j = 0; j < grad.length; j++) grad[j] = (grad[j] as number) * scale;
    return grad;
  }
  const { decay, pull } = penalties;
  for (let j = 0; j < grad.length; j++) {
    const i = offset + j;
    grad[j] = (grad[j] as number) * scale + (decay[i] as number) * (params[i] as number) - (pull[i] as number);
  }
  return grad;
}

/** `simd: false` keeps adam on its JavaScript loop (tests compare the two). */
export function flatOptimizer(
  name: OptimizerName,
  learningRate: number,
  start: Float32Array,
  penalties: Penalties | null,
  epsilon: number,
  simd = true,
): FlatOptimizer {
  const lr = learningRate;
  const size = start.length;
  if (name === 'adam') return adamOptimizer(lr, start, penalties, epsilon, simd);
  const params = Float32Array.from(start);
  if (name === 'sgd') {
    return {
      params,
      begin: () => undefined,
      apply(offset, grad, scale) {
        const g = fullGradient(grad, scale, offset, params, penalties);
        const w = params.subarray(offset, offset + g.length);
        for (let j = 0; j < g.length; j++) w[j] = (w[j] as number) - lr * (g[j] as number);
      },
    };
  }
  // rmsprop (ρ 0.9) and adagrad (accumulator from 0.1) share one rule: s = keep·s + add·g²,
  // w −= lr·g / √(s + ε); for adagrad keep = add = 1.
  const [keep, add, initial] = name === 'rmsprop' ? [0.9, 1 - 0.9, 0] : [1, 1, 0.1];
  const squares = new Float32Array(size).fill(initial);
  return {
    params,
    begin: () => undefined,
    apply(offset, grad, scale) {
      const g = fullGradient(grad, scale, offset, params, penalties);
      const end = offset + g.length;
      const [w, acc] = [params.subarray(offset, end), squares.subarray(offset, end)];
      for (let j = 0; j < g.length; j++) {
        const gj = g[j] as number;
        const sj = keep * (acc[j] as number) + add * gj * gj;
        acc[j] = sj;
        w[j] = (w[j] as number) - (lr * gj) / Math.sqrt(sj + epsilon);
      }
    },
  };
}

/**
 * Adam (β1 0.9, β2 0.999). lr·m̂/(√v̂ + ε) with m̂ = m/(1 − β1ᵗ), v̂ = v/(1 − β2ᵗ)
 * is a·m/(√v + e) with a = lr·√(1 − β2ᵗ)/(1 − β1ᵗ) and e = ε·√(1 − β2ᵗ): one
 * division and one square root per weight. Four weights at a time with
 * WebAssembly SIMD (adam-simd.ts) where available, else a JavaScript loop.
 */
function adamOptimizer(lr: number, start: Float32Array, penalties: Penalties | null, epsilon: number, simd: boolean): FlatOptimizer {
  const beta1 = 0.9;
  const beta2 = 0.999;
  const kernel = simd ? createAdamKernel(start.length) : null;
  const params = kernel?.params ?? new Float32Array(start.length);
  params.set(start);
  const m = kernel?.m ?? new Float32Array(start.length);
  const v = kernel?.v ?? new Float32Array(start.length);
  let t = 0;
  let a = 0;
  let e = 0;
  return {
    params,
    begin() {
      t += 1;
      const root = Math.sqrt(1 - beta2 ** t);
      a = (lr * root) / (1 - beta1 ** t);
      e = epsilon * root;
    },
    apply(offset, grad, scale) {
      if (kernel !== null) {
        const g = penalties === null ? grad : fullGradient(grad, scale, offset, params, penalties);
        kernel.grad.set(g);
        kernel.update(offset, g.length, penalties === null ? scale : 1, a, e);
        return;
      }
      const g = fullGradient(grad, scale, offset, params, penalties);
      const end = offset + g.length;
      const [w, mm, vv] = [params.subarray(offset, end), m.subarray(offset, end), v.subarray(offset, end)];
      for (let j = 0; j < g.length; j++) {
        const gj = g[j] as number;
        const mj = beta1 * (mm[j] as number) + (1 - beta1) * gj;
        const vj = beta2 * (vv[j] as number) + (1 - beta2) * gj * gj;
        mm[j] = mj;
        vv[j] = vj;
        w[j] = (w[j] as number) - (a * mj) / (Math.sqrt(vj) + e);
      }
    },
  };
}

/**
 * Training state: the flat parameters and the optimizer on the host, the
 * products on the backend. A step uploads the batch and the weights, runs the
 * forward and backward passes as backend ops and reads back the predictions
 * and the gradients. On the wasm and cpu backends a read or a write is a
 * memory copy, and one pass of plain JavaScript over the parameters costs less
 * than the dozen backend ops (each a pass and a dispatch) of the same update.
 */
export class FusedTrainer {
  private readonly optimizer: FlatOptimizer;
  private readonly dz: Float32Array;
  /** The step's gradient, read back from the backend (reused: no allocation per step). */
  private readonly gradients: Float32Array;

  constructor(
    private readonly plan: FusedPlan,
    global: Float32Array,
    training: TrainingConfig,
  ) {
    const mu = training.proxMu ?? 0;
    let penalties: Penalties | null = null;
    if (plan.decay !== null || mu > 0) {
      const decay = new Float32Array(plan.total);
      const pull = new Float32Array(plan.total);
      for (let i = 0; i < plan.total; i++) {
        decay[i] = (plan.decay?.[i] ?? 0) + mu;
        pull[i] = mu * (global[i] as number);
      }
      penalties = { decay, pull };
    }
    this.optimizer = flatOptimizer(training.optimizer, training.learningRate, global, penalties, tf.backend().epsilon());
    this.dz = new Float32Array(training.batchSize);
    this.gradients = new Float32Array(plan.total);
  }

  /** Copies t's values into this.gradients from `offset` on and returns that run. */
  private read(t: tf.Tensor, offset: number): Float32Array {
    const into = this.gradients.subarray(offset, offset + t.size);
    const memory = wasmMemory(t);
    into.set(memory ?? (t.dataSync() as Float32Array));
    return into;
  }

  /** The trained weights, flat, in model.getWeights() order. */
  get params(): Float32Array {
    return this.optimizer.params;
  }

  /**
   * One step on the batch `x` (rows × inputs) with labels `y` (0 or 1, length rows).
   * Writes the batch's predictions into `predictions` when given. `xt`, when
   * given, is xᵀ (inputs × rows), laid out by the caller; otherwise the backend
   * transposes x for the first layer's kernel gradient.
   */
  step(x: tf.Tensor2D, y: Float32Array, predictions: Float32Array | null, xt: tf.Tensor2D | null = null): void {
    const rows = x.shape[0];
    const { layers } = this.plan;
    const params = this.params;
    this.optimizer.begin();
    const grads: Float32Array[] = []; // runs of this.gradients, in the flat vector's layout
    tf.tidy(() => {
      const kernels = layers.map((layer) => tf.tensor2d(params.subarray(layer.kernelOffset, layer.kernelOffset + layer.inputs * layer.units), [layer.inputs, layer.units]));
      const biases = layers.map((layer) => (layer.biasOffset < 0 ? undefined : tf.tensor1d(params.subarray(layer.biasOffset, layer.biasOffset + layer.units))));
      // Forward: each layer's output, which is all the backward pass needs.
      const outputs: tf.Tensor2D[] = [x];
      let a = x;
      layers.forEach((layer, l) => {
        const b = kernels[l] as tf.Tensor2D;
        const bias = biases[l];
        if (IN_MATMUL.has(layer.activation)) {
          a = tf.fused.matMul({ a, b, bias, activation: layer.activation as tf.fused.Activation }) as tf.Tensor2D;
        } else {
          const z = tf.fused.matMul({ a, b, bias }) as tf.Tensor2D;
          a = (layer.activation === 'tanh' ? tf.tanh(z) : tf.selu(z)) as tf.Tensor2D;
        }
        outputs.push(a);
      });
      // Σ-loss gradient at the output's pre-activation: p − y, and 0 where Keras' clip of the
      // probability to [ε, 1 − ε] cuts the gradient (a saturated prediction, right or wrong).
      const p = a.dataSync();
      const dz = this.dz.subarray(0, rows);
      for (let r = 0; r < rows; r++) {
        const pr = p[r] as number;
        dz[r] = pr >= LOW && pr <= HIGH ? pr - (y[r] as number) : 0;
      }
      if (predictions !== null) predictions.set(p);
      let g = tf.tensor2d(dz, [rows, 1]);
      for (let l = layers.length - 1; l >= 0; l--) {
        const layer = layers[l] as FusedLayer;
        const input = outputs[l] as tf.Tensor2D;
        const kernelGrad = l === 0 && xt !== null ? tf.matMul(xt, g) : kernelGradient(input, g);
        grads.push(this.read(kernelGrad, layer.kernelOffset));
        if (layer.biasOffset >= 0) grads.push(this.read(tf.sum(g, 0), layer.biasOffset));
        if (l > 0) {
          const below = layers[l - 1] as FusedLayer;
          const dA = tf.matMul(g, transposed(kernels[l] as tf.Tensor2D)) as tf.Tensor2D;
          g = activationBackward(below.activation, input, dA);
        }
      }
    });
    // The mean over the batch is the optimizer's scale.
    for (const values of grads) this.optimizer.apply(values.byteOffset / 4, values, 1 / rows);
  }
}

/** What wasmMemory reads of tfjs-wasm's backend (BackendWasm: its tensor table and heap). */
interface WasmBackendMemory {
  dataIdMap?: { get(dataId: object): { memoryOffset?: number | null } | undefined };
  wasm?: { HEAPU8?: Uint8Array };
}

/**
 * A float32 tensor's values as a view of tfjs-wasm's heap (valid until the
 * next backend op), or null on another backend. dataSync on wasm copies the
 * values into a new array (a slice of the heap): at genomic width a
 * megabyte-sized allocation per gradient and step, which the garbage collector
 * then pays for again.
 */
function wasmMemory(t: tf.Tensor): Float32Array | null {
  if (t.dtype !== 'float32' || tf.getBackend() !== 'wasm') return null;
  const backend = tf.backend() as unknown as WasmBackendMemory;
  const offset = backend.dataIdMap?.get(t.dataId)?.memoryOffset;
  const heap = backend.wasm?.HEAPU8;
  if (typeof offset !== 'number' || heap === undefined || offset + 4 * t.size > heap.buffer.byteLength) return null;
  return new Float32Array(heap.buffer, offset, t.size);
}

/** Keras' clip bounds as float32, as the backend compares them. */
const LOW = Math.fround(EPS);
const HIGH = Math.fround(1 - EPS);

/**
 * tᵀ as a new tensor. Never a reshape, even of a row or a column: tfjs-wasm
 * keys its cached matMul operators by the data of the right operand, so a
 * reshaped view of a kernel already multiplied would reuse that product's
 * operator and shape (a wrong result).
 */
function transposed(t: tf.Tensor2D): tf.Tensor2D {
  return tf.transpose(t);
}

/**
 * Aᵀ·G, the kernel gradient (in × out), as transpose(A)·G. On the wasm backend
 * a matMul with a transpose flag takes a path about 10× slower than the plain
 * product, and the plain product packs its right operand on every call: Gᵀ·A
 * would pack the whole batch (as slow as the product itself at genomic width),
 * while transposing A costs one copy.
 */
function kernelGradient(a: tf.Tensor2D, g: tf.Tensor2D): tf.Tensor2D {
  return tf.matMul(transposed(a), g);
}

/** dL/dz of a layer from dL/da and its output a = act(z): the activation's derivative written in terms of a. */
function activationBackward(activation: FusedActivation, a: tf.Tensor2D, dA: tf.Tensor2D): tf.Tensor2D {
  switch (activation) {
    case 'linear':
      return dA;
    case 'relu':
      return tf.mul(dA, tf.step(a)); // a > 0 exactly when z > 0
    case 'sigmoid':
      return tf.mul(dA, tf.mul(a, tf.sub(1, a)));
    case 'tanh':
      return tf.mul(dA, tf.sub(1, tf.square(a)));
    case 'elu':
      return tf.engine().runKernel('EluGrad', { dy: dA, y: a }) as tf.Tensor2D; // the kernel tf.elu's own gradient uses
    case 'selu':
      // z > 0: scale; z ≤ 0: a + scale·alpha (a = scale·alpha·(eᶻ − 1)).
      return tf.mul(dA, tf.add(tf.add(tf.minimum(a, 0), SELU_SCALE_ALPHA), tf.mul(tf.step(a), SELU_SCALE - SELU_SCALE_ALPHA)));
  }
}
