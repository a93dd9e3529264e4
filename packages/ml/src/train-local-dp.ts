/**
 * Patient-level differentially private local training: DP-SGD (Abadi et al.
 * 2016) with Poisson subsampling, so @cohortfl/privacy's RDP accountant for
 * the Poisson-subsampled Gaussian applies exactly. Each step draws every record
 * with probability q (CSPRNG), clips each record's gradient over all trainable
 * weights to L2 norm C, adds N(0, σ²C²) per coordinate from the injected
 * sampler, divides by the expected batch size q·n (as Opacus does: unbiased,
 * and the sensitivity stays C/(q·n) whatever the realized size) and applies
 * the result with the configured optimizer.
 */
import { CohortError } from '@cohortfl/wire';
import { denseStack, refuseBatchCoupledLayers, type DenseLayer } from './dense-stack.js';
import { ghostClippedSum, type RecordBatch } from './ghost-clip.js';
import { loopClippedSum } from './loop-clip.js';
import { makeOptimizer, regularizationLosses } from './losses.js';
import { accuracyAtHalf, meanBce } from './metrics.js';
import { withModel, type CachedModel } from './model-cache.js';
import { createCryptoUniform, poissonSample, type UniformSource } from './poisson-sample.js';
import { score } from './predict.js';
import { tf } from './tf.js';
import { updateOf } from './train-local.js';
import type { DpSgdConfig, DpTrainResult, GaussianNoise, MatrixData, TrainingConfig, TrainLocalDpInput } from './types.js';
import { validateDp, validateMatrix, validateSeed, validateTraining, validateWeights } from './validate.js';
import { setFlatWeights } from './weights.js';

/** Steps between yields, so a long run does not starve heartbeats on the event loop. */
const YIELD_EVERY = 64;
/** Records per forward/backward pass: bounds device memory when q·n is large. */
const MAX_ROWS = 4096;

function yieldToEventLoop(): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, 0));
}

/** One call of the injected sampler, checked: a broken noise source must not pass as privacy. */
function drawNoise(noise: GaussianNoise, count: number, sigma: number): Float32Array {
  const drawn = noise(count, sigma);
  if (!(drawn instanceof Float64Array || drawn instanceof Float32Array) || drawn.length !== count) {
    throw new CohortError('INTERNAL', `the noise sampler returned ${drawn?.length ?? 'no'} values, expected ${count}`);
  }
  const out = Float32Array.from(drawn);
  for (let i = 0; i < count; i++) {
    if (!Number.isFinite(out[i])) throw new CohortError('INTERNAL', 'the noise sampler returned a value that is not finite');
  }
  return out;
}

interface StepContext {
  model: tf.LayersModel;
  stack: DenseLayer[] | null;
  layerVariables: tf.LayerVariable[];
  variables: tf.Variable[];
  shapes: number[][];
  dp: DpSgdConfig;
  expectedBatch: number;
  hasPenalty: boolean;
}

/** Σ_i clip_C(∇_i) over the drawn records, a chunk at a time (clipping is per record, so chunks add up exactly). */
function clippedSum(ctx: StepContext, chunks: RecordBatch[]): tf.Tensor[] {
  let sums: tf.Tensor[] = ctx.variables.map((v) => tf.zerosLike(v)); // an empty Poisson batch still releases noise
  for (const chunk of chunks) {
    const part =
      ctx.stack !== null
        ? ghostClippedSum(ctx.stack, ctx.layerVariables, chunk, ctx.dp.l2Clip)
        : loopClippedSum(ctx.model, ctx.variables, chunk, ctx.dp.l2Clip);
    sums = sums.map((s, j) => tf.add(s, part[j] as tf.Tensor));
  }
  return sums;
}

/** (Σ clipped + noise) / (q·n), plus the regularizers' gradient (data-independent, so free of privacy cost). */
function noisyGradient(ctx: StepContext, chunks: RecordBatch[], drawn: Float32Array | null): tf.Tensor[] {
  return tf.tidy(() => {
    const { variables } = ctx;
    const sums = clippedSum(ctx, chunks);
    const penalty = ctx.hasPenalty ? tf.variableGrads(() => tf.addN(regularizationLosses(ctx.model)), variables).grads : {};
    let at = 0;
    return sums.map((sum, j) => {
      const shape = ctx.shapes[j] as number[];
      const size = shape.reduce((a, b) => a * b, 1);
      const noisy = drawn === null ? sum : tf.add(sum, tf.tensor(drawn.subarray(at, at + size), shape, 'float32'));
      at += size;
      const mean = tf.div(noisy, ctx.expectedBatch);
      const p = penalty[(variables[j] as tf.Variable).name];
      return p === undefined ? mean : tf.add(mean, p);
    });
  });
}

async function runSteps(
  { model, layout }: CachedModel,
  data: MatrixData,
  training: TrainingConfig,
  dp: DpSgdConfig,
  noise: GaussianNoise,
  uniform: UniformSource,
): Promise<void> {
  const { n, featureCount: k } = data;
  const trainable = layout.slots.filter((s) => s.trainable);
  const ctx: StepContext = {
    model,
    stack: denseStack(model),
    layerVariables: trainable.map((s) => s.variable),
    variables: trainable.map((s) => s.variable.read() as tf.Variable),
    shapes: trainable.map((s) => s.shape),
    dp,
    expectedBatch: dp.samplingRate * n,
    hasPenalty: tf.tidy(() => regularizationLosses(model).length > 0),
  };
  const count = trainable.reduce((a, s) => a + s.size, 0);
  const sigma = dp.noiseMultiplier * dp.l2Clip;
  // A per-record-loop step costs one backward pass per record: yield after each.
  const yieldEvery = ctx.stack === null ? 1 : YIELD_EVERY;
  const optimizer = makeOptimizer(training); // fresh per call: no moment estimates leak across rounds
  const picked = new Int32Array(n);
  const xs = new Float32Array(n * k);
  const sign = new Float32Array(n);
  const offset = new Float32Array(n);
  try {
    for (let step = 1; step <= dp.steps; step++) {
      const rows = poissonSample(n, dp.samplingRate, uniform, picked);
      for (let r = 0; r < rows; r++) {
        const src = picked[r] as number;
        const y = data.y[src] as number;
        xs.set(data.x.subarray(src * k, src * k + k), r * k);
        sign[r] = 2 * y - 1;
        offset[r] = 1 - y;
      }
      const drawn = sigma > 0 ? drawNoise(noise, count, sigma) : null;
      const chunks: RecordBatch[] = [];
      try {
        for (let start = 0; start < rows; start += MAX_ROWS) {
          const end = Math.min(rows, start + MAX_ROWS);
          chunks.push({
            x: tf.tensor2d(xs.subarray(start * k, end * k), [end - start, k]),
            sign: tf.tensor2d(sign.subarray(start, end), [end - start, 1]),
            offset: tf.tensor2d(offset.subarray(start, end), [end - start, 1]),
          });
        }
        const grads = noisyGradient(ctx, chunks, drawn);
        optimizer.applyGradients(grads.map((tensor, j) => ({ name: (ctx.variables[j] as tf.Variable).name, tensor })));
        tf.dispose(grads);
      } finally {
        tf.dispose(chunks.flatMap((c) => [c.x, c.sign, c.offset]));
      }
      if (step % yieldEvery === 0) await yieldToEventLoop();
    }
  } finally {
    optimizer.dispose();
  }
}

/**
 * DP-SGD from `weights` on `data`: `dp.steps` noisy steps as described above,
 * then the update (new − global) as trainLocal returns it. training.epochs and
 * training.batchSize are not used (dp.steps and dp.samplingRate replace them);
 * training.optimizer and learningRate are. proxMu > 0 is refused. The record
 * sampling is secret, so `seed` does not make DP training repeatable.
 * metrics are the final model's mean BCE and accuracy on all of `data`: they
 * are not privatized and must stay at the site.
 */
export async function trainLocalDp(input: TrainLocalDpInput): Promise<DpTrainResult> {
  const { topology, weights, data, training, seed, dp, noise } = input;
  validateTraining(training);
  validateSeed(seed);
  validateDp(dp, training, noise);
  return withModel(topology, async (cached) => {
    validateWeights(weights, cached.layout.total);
    validateMatrix(data, cached.inputDim);
    refuseBatchCoupledLayers(cached.model);
    setFlatWeights(cached.model, weights);
    await runSteps(cached, data, training, dp, noise, createCryptoUniform());
    const update = updateOf(cached.model, weights);
    const scores = score(cached, data.x, data.n, data.featureCount);
    const { steps, samplingRate, noiseMultiplier, l2Clip } = dp;
    return {
      update,
      numExamples: data.n,
      metrics: { loss: meanBce(data.y, scores), accuracy: accuracyAtHalf(data.y, scores) },
      dp: { steps, samplingRate, noiseMultiplier, l2Clip, expectedBatchSize: samplingRate * data.n },
    };
  });
}
