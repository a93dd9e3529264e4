/**
 * One site's local training for one round: start from the global weights, run
 * `epochs` of seeded minibatch steps, and return the update (new − global).
 * Dense stacks (what mlp() builds) take the fused path (fused-train.ts): a few
 * backend ops per step, the features uploaded once and batches gathered on the
 * backend. Other models take the tape path: a hand-written minimize loop
 * instead of model.fit, so the FedProx term is an ordinary part of the loss.
 * Neither reads anything back from the device per batch.
 */
import { CohortError } from '@cohortfl/wire';
import { FusedTrainer, fusedPlan, type FusedPlan } from './fused-train.js';
import { heapAccess } from './wasm-heap.js';
import { binaryCrossEntropy, makeOptimizer, proximalTerm, regularizationLosses } from './losses.js';
import { accuracyAtHalf, meanBce } from './metrics.js';
import { withModel, type CachedModel } from './model-cache.js';
import { mulberry32, shuffleInPlace } from './prng.js';
import { tf } from './tf.js';
import type { MatrixData, TrainingConfig, TrainLocalInput, TrainResult } from './types.js';
import { validateMatrix, validateSeed, validateTraining, validateWeights } from './validate.js';
import { flattenWeights, setFlatWeights } from './weights.js';

/** Batches between yields, so a long epoch does not starve heartbeats on the event loop. */
const YIELD_EVERY = 64;

function yieldToEventLoop(): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, 0));
}

interface EpochMetrics {
  loss: number;
  accuracy: number;
}

/**
 * The fused path: same shuffles, batches and metrics as runEpochs, each step
 * one FusedTrainer.step. Each batch is gathered on the host and uploaded as
 * one tensor: on the wasm backend that is a single copy, while a slice or a
 * gather of a resident matrix copies the whole matrix first (its kernels read
 * their input through readSync). On wasm the batch is gathered straight into
 * a tensor in the backend's heap, and its transpose, which the first layer's
 * kernel gradient needs, is made there by transpose-simd.ts (wasm-heap.ts): in
 * a profile at 256 × 10,000, about 3 CPU ms per step against 7 ms for
 * tfjs-wasm's transpose, and no upload copies.
 * Returns the metrics and the trained flat weights.
 */
export async function runFusedEpochs(
  plan: FusedPlan,
  global: Float32Array,
  data: MatrixData,
  training: TrainingConfig,
  seed: number,
): Promise<EpochMetrics & { weights: Float32Array }> {
  const { n, featureCount: k } = data;
  const batchSize = Math.min(training.batchSize, n);
  const random = mulberry32(seed);
  const order = Int32Array.from({ length: n }, (_, i) => i);
  const ys = new Float32Array(n); // the epoch's labels in shuffled order
  const scores = new Float32Array(n); // the last epoch's predictions, in the same order
  // On wasm the batch is gathered straight into a tensor in the backend's heap and transposed there
  // for the first layer's kernel gradient; elsewhere it is gathered here and uploaded.
  const heap = heapAccess();
  const xs = new Float32Array(heap === null ? batchSize * k : 0);
  const trainer = new FusedTrainer(plan, global, training);
  let batch = 0;
  for (let epoch = 0; epoch < training.epochs; epoch++) {
    shuffleInPlace(order, random);
    for (let r = 0; r < n; r++) ys[r] = data.y[order[r] as number] as number;
    const last = epoch === training.epochs - 1;
    for (let start = 0; start < n; start += batchSize) {
      const end = Math.min(n, start + batchSize);
      const rows = end - start;
      let xb: tf.Tensor2D | null = null;
      let xt: tf.Tensor2D | null = null;
      try {
        if (heap === null) {
          gatherRows(data.x, k, order, start, end, xs);
          xb = tf.tensor2d(xs.subarray(0, rows * k), [rows, k]);
        } else {
          const x = heap.allocate([rows, k]);
          xb = x.tensor;
          const t = heap.allocate([k, rows]);
          xt = t.tensor;
          gatherRows(data.x, k, order, start, end, heap.view(x.offset, rows * k));
          heap.transpose(x.offset, t.offset, rows, k);
        }
        trainer.step(xb, ys.subarray(start, end), last ? scores.subarray(start, end) : null, xt);
      } finally {
        xb?.dispose();
        xt?.dispose();
      }
      if (++batch % YIELD_EVERY === 0) await yieldToEventLoop();
    }
    if (!last) await yieldToEventLoop();
  }
  return { loss: meanBce(ys, scores), accuracy: accuracyAtHalf(ys, scores), weights: trainer.params };
}

/** Rows order[start … end) of the n × k matrix x, one after another into `into`. */
function gatherRows(x: Float32Array, k: number, order: Int32Array, start: number, end: number, into: Float32Array): void {
  for (let r = start; r < end; r++) {
    const src = order[r] as number;
    into.set(x.subarray(src * k, src * k + k), (r - start) * k);
  }
}

async function runEpochs(
  { model, layout }: CachedModel,
  global: Float32Array,
  data: MatrixData,
  training: TrainingConfig,
  seed: number,
): Promise<EpochMetrics> {
  const { n, featureCount: k } = data;
  const batchSize = Math.min(training.batchSize, n);
  const trainable = layout.slots.filter((s) => s.trainable);
  const varList = trainable.map((s) => s.variable.read() as tf.Variable);
  const mu = training.proxMu ?? 0;
  const anchors = mu > 0 ? trainable.map((s) => tf.tensor(global.subarray(s.offset, s.offset + s.size), s.shape, 'float32')) : [];
  const optimizer = makeOptimizer(training); // fresh per call: no moment estimates leak across rounds
  const random = mulberry32(seed);
  const order = Int32Array.from({ length: n }, (_, i) => i);
  // The epoch's records in shuffled order; minibatches are views into these.
  const xs = new Float32Array(n * k);
  const ys = new Float32Array(n);
  const sign = new Float32Array(n);
  const offset = new Float32Array(n);
  // Last epoch: each batch's predictions, kept on the device and read once at the end.
  const predictions: tf.Tensor[] = [];
  try {
    for (let epoch = 0; epoch < training.epochs; epoch++) {
      shuffleInPlace(order, random);
      for (let r = 0; r < n; r++) {
        const src = order[r] as number;
        const y = data.y[src] as number;
        xs.set(data.x.subarray(src * k, src * k + k), r * k);
        ys[r] = y;
        sign[r] = 2 * y - 1;
        offset[r] = 1 - y;
      }
      const last = epoch === training.epochs - 1;
      for (let start = 0, batch = 1; start < n; start += batchSize, batch++) {
        const end = Math.min(n, start + batchSize);
        const rows = end - start;
        optimizer.minimize(
          () => {
            const xb = tf.tensor2d(xs.subarray(start * k, end * k), [rows, k]);
            const p = model.apply(xb, { training: true }) as tf.Tensor;
            if (last) predictions.push(tf.keep(p));
            const bce = binaryCrossEntropy(p, tf.tensor2d(sign.subarray(start, end), [rows, 1]), tf.tensor2d(offset.subarray(start, end), [rows, 1]));
            const terms = [bce, ...regularizationLosses(model)];
            if (mu > 0) terms.push(proximalTerm(mu, varList, anchors));
            return terms.length === 1 ? bce : tf.addN(terms);
          },
          false,
          varList,
        );
        if (batch % YIELD_EVERY === 0) await yieldToEventLoop();
      }
      if (!last) await yieldToEventLoop();
    }
    // After the last shuffle, ys holds the labels in the order the predictions were made.
    const all = tf.concat(predictions);
    const scores = all.dataSync() as Float32Array;
    all.dispose();
    return { loss: meanBce(ys, scores), accuracy: accuracyAtHalf(ys, scores) };
  } finally {
    optimizer.dispose();
    tf.dispose([...anchors, ...predictions]);
  }
}

/** The model's weights minus `global`; ROUND_FAILED if training made any weight NaN or infinite. */
export function updateOf(model: tf.LayersModel, global: Float32Array): Float32Array {
  return updateFrom(flattenWeights(model), global);
}

/** `after` minus `global`; ROUND_FAILED if any difference is NaN or infinite. */
export function updateFrom(after: Float32Array, global: Float32Array): Float32Array {
  const update = new Float32Array(after.length);
  for (let i = 0; i < after.length; i++) {
    const d = (after[i] as number) - (global[i] as number);
    if (!Number.isFinite(d)) {
      throw new CohortError('ROUND_FAILED', 'local training diverged (a weight became NaN or infinite); lower training.learningRate');
    }
    update[i] = d;
  }
  return update;
}

/**
 * Trains the topology's model from `weights` on `data` and returns the update.
 * metrics.loss is the mean binary cross-entropy over the last epoch (without
 * regularization or proximal penalties); metrics.accuracy is the last epoch's
 * training accuracy at threshold 0.5. Same inputs and seed give a bit-identical
 * update on the same backend.
 */
export async function trainLocal(input: TrainLocalInput): Promise<TrainResult> {
  return trainLocalOn(input, 'auto');
}

/**
 * Which implementation runs: 'auto' (fused when the model allows it), or one of
 * them forced, for tests and the benchmark ('fused' on a model it cannot run is INTERNAL).
 */
export type TrainPath = 'auto' | 'fused' | 'tape';

export async function trainLocalOn(input: TrainLocalInput, path: TrainPath): Promise<TrainResult> {
  const { topology, weights, data, training, seed } = input;
  validateTraining(training);
  validateSeed(seed);
  return withModel(topology, async (cached) => {
    validateWeights(weights, cached.layout.total);
    validateMatrix(data, cached.inputDim);
    const plan = path === 'tape' ? null : fusedPlan(cached.model, cached.layout);
    if (path === 'fused' && plan === null) throw new CohortError('INTERNAL', 'this model cannot take the fused training path');
    if (plan !== null) {
      const { weights: after, ...metrics } = await runFusedEpochs(plan, weights, data, training, seed);
      return { update: updateFrom(after, weights), numExamples: data.n, metrics };
    }
    setFlatWeights(cached.model, weights);
    const metrics = await runEpochs(cached, weights, data, training, seed);
    return { update: updateOf(cached.model, weights), numExamples: data.n, metrics };
  });
}
