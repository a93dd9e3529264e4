import { beforeAll, describe, expect, it } from 'vitest';
import { isCohortError } from '@cohortfl/wire';
import { normals, separable } from './fixtures.test-suite.js';
import {
  evaluate,
  initBackend,
  initialWeights,
  mlp,
  modelToTopology,
  tf,
  trainLocalDp,
  type DpSgdConfig,
  type GaussianNoise,
  type MatrixData,
  type ModelTopology,
  type TrainingConfig,
} from './index.js';

// Record sampling uses the OS CSPRNG on purpose, so only the injected noise is
// seeded here; every assertion holds for any sampling outcome (or has 5σ room).
const data = separable(300, 8, 7);
const sgd: TrainingConfig = { epochs: 1, batchSize: 32, optimizer: 'sgd', learningRate: 1 };
let logistic: ModelTopology;
let hidden: ModelTopology;

function topology(h: number[], k = 8): ModelTopology {
  const m = mlp({ inputDim: k, hidden: h });
  const t = modelToTopology(m);
  m.dispose();
  return t;
}

/** Seeded N(0, σ²) draws that remember each call. */
function seededNoise(seed: number): GaussianNoise & { calls: { count: number; sigma: number; values: Float64Array }[] } {
  const calls: { count: number; sigma: number; values: Float64Array }[] = [];
  let next = seed;
  const fn = (count: number, sigma: number) => {
    const values = Float64Array.from(normals(count, next++), (z) => z * sigma);
    calls.push({ count, sigma, values });
    return values;
  };
  return Object.assign(fn, { calls });
}

const norm = (v: ArrayLike<number>) => Math.sqrt(Array.from(v).reduce((s, x) => s + x * x, 0));

beforeAll(async () => {
  await initBackend(undefined, { quiet: true });
  logistic = topology([]);
  hidden = topology([6]);
});

describe('trainLocalDp noise', () => {
  it('adds N(0, σ²C²) to the clipped sum and divides by the expected batch q·n, not the realized one', async () => {
    // x = 0 makes every record's kernel gradient exactly 0, whichever records are drawn:
    // after 4 sgd steps (lr 1) the kernel's update is −Σ_steps noise / (q·n) alone. A division
    // by the realized batch sizes instead would need all four to equal q·n = 100 (odds ~1e-5).
    const n = 200;
    const k = 2000;
    const zero: MatrixData = { x: new Float32Array(n * k), y: Float32Array.from({ length: n }, (_, i) => i % 2), n, featureCount: k };
    const t = topology([], k);
    const dp: DpSgdConfig = { l2Clip: 0.5, noiseMultiplier: 2, samplingRate: 0.5, steps: 4 };
    const noise = seededNoise(40);
    const result = await trainLocalDp({ topology: t, weights: new Float32Array(k + 1), data: zero, training: sgd, seed: 1, dp, noise });
    expect(noise.calls).toHaveLength(4);
    for (const call of noise.calls) expect(call).toMatchObject({ count: k + 1, sigma: 1 }); // σ·C
    const kernel = result.update.subarray(0, k);
    kernel.forEach((u, j) => {
      const summed = noise.calls.reduce((s, c) => s + (c.values[j] as number), 0);
      expect(u).toBeCloseTo(-summed / 100, 5);
    });
    // Statistically: sd of the kernel update = √4 · σC/(q·n) = 0.02 (sd estimate from 2000 draws: ±8% at 5σ).
    const sd = norm(kernel) / Math.sqrt(k);
    expect(sd).toBeGreaterThan(0.02 * 0.92);
    expect(sd).toBeLessThan(0.02 * 1.08);
    expect(result.dp).toEqual({ steps: 4, samplingRate: 0.5, noiseMultiplier: 2, l2Clip: 0.5, expectedBatchSize: 100 });
  });

  it('draws fresh noise every step, and none when σ = 0', async () => {
    const weights = await initialWeights(logistic, 1);
    const noise = seededNoise(1);
    await trainLocalDp({ topology: logistic, weights, data, training: sgd, seed: 1, dp: { l2Clip: 1, noiseMultiplier: 0.5, samplingRate: 0.01, steps: 7 }, noise });
    expect(noise.calls.map((c) => c.count)).toEqual(Array(7).fill(9));
    const silent = seededNoise(1);
    await trainLocalDp({ topology: logistic, weights, data, training: sgd, seed: 1, dp: { l2Clip: 1, noiseMultiplier: 0, samplingRate: 0.1, steps: 3 }, noise: silent });
    expect(silent.calls).toHaveLength(0);
  });
});

describe('trainLocalDp clipping', () => {
  it('with σ = 0 and a tiny clip, a full-batch step moves the weights by at most lr·C', async () => {
    const clip = 1e-3;
    for (const t of [logistic, hidden]) {
      const weights = await initialWeights(t, 2);
      const dp = { l2Clip: clip, noiseMultiplier: 0, samplingRate: 1, steps: 1 };
      const { update } = await trainLocalDp({ topology: t, weights, data, training: sgd, seed: 1, dp, noise: seededNoise(1) });
      // Σ of n gradients each of norm ≤ C, divided by q·n = n.
      expect(norm(update)).toBeLessThanOrEqual(clip * (1 + 1e-4));
      expect(norm(update)).toBeGreaterThan(0.1 * clip); // the clipped gradients still point one way
    }
  });

  it('with q = 1, σ = 0 and a huge clip, a step is plain full-batch gradient descent (over two 4096-row chunks)', async () => {
    const n = 5000;
    const k = 3;
    const big = separable(n, k, 21);
    const t = topology([], k);
    const weights = Float32Array.from([0.3, -0.2, 0.1, 0.05]); // kernel then bias
    const dp = { l2Clip: 1e6, noiseMultiplier: 0, samplingRate: 1, steps: 1 };
    const { update } = await trainLocalDp({ topology: t, weights, data: big, training: sgd, seed: 1, dp, noise: seededNoise(1) });
    const want = new Float64Array(k + 1); // −(1/n) Σ (p − y)·[x, 1]
    for (let i = 0; i < n; i++) {
      let z = weights[k] as number;
      for (let j = 0; j < k; j++) z += (weights[j] as number) * (big.x[i * k + j] as number);
      const r = 1 / (1 + Math.exp(-z)) - (big.y[i] as number);
      for (let j = 0; j < k; j++) want[j] = (want[j] as number) - (r * (big.x[i * k + j] as number)) / n;
      want[k] = (want[k] as number) - r / n;
    }
    update.forEach((u, j) => expect(u).toBeCloseTo(want[j] as number, 5));
  });

  it('with q < 1 a step is bounded by C·(realized batch)/(q·n) ≤ C/q', async () => {
    const clip = 1e-3;
    const weights = await initialWeights(hidden, 3);
    const dp = { l2Clip: clip, noiseMultiplier: 0, samplingRate: 0.2, steps: 1 };
    const { update } = await trainLocalDp({ topology: hidden, weights, data, training: sgd, seed: 1, dp, noise: seededNoise(1) });
    expect(norm(update)).toBeLessThanOrEqual((clip / 0.2) * (1 + 1e-4));
  });

  it('a non-Dense model (per-record loop) gives the same steps as its all-Dense twin (ghost norms)', async () => {
    // Dense(4, linear) → Activation(tanh) has the same weights and function as Dense(4, tanh).
    const build = (split: boolean) => {
      const m = tf.sequential({
        layers: split
          ? [tf.layers.dense({ units: 4, inputShape: [8], name: 'd0' }), tf.layers.activation({ activation: 'tanh' }), tf.layers.dense({ units: 1, activation: 'sigmoid', name: 'd1' })]
          : [tf.layers.dense({ units: 4, inputShape: [8], activation: 'tanh', name: 'd0' }), tf.layers.dense({ units: 1, activation: 'sigmoid', name: 'd1' })],
      });
      const t = modelToTopology(m);
      m.dispose();
      return t;
    };
    const weights = await initialWeights(build(false), 4);
    const small = separable(60, 8, 8);
    const dp = { l2Clip: 0.05, noiseMultiplier: 0, samplingRate: 1, steps: 3 };
    const training: TrainingConfig = { ...sgd, learningRate: 0.5 };
    const ghost = await trainLocalDp({ topology: build(false), weights, data: small, training, seed: 1, dp, noise: seededNoise(1) });
    const loop = await trainLocalDp({ topology: build(true), weights, data: small, training, seed: 1, dp, noise: seededNoise(1) });
    expect(norm(ghost.update)).toBeGreaterThan(0.005); // three steps of up to lr·C = 0.025 each
    ghost.update.forEach((u, j) => expect(Math.abs(u - (loop.update[j] as number))).toBeLessThan(1e-5));
  });
});

describe('trainLocalDp learning', () => {
  it('learns a separable problem under moderate noise (σ = 1): AUC > 0.8', async () => {
    const dp = { l2Clip: 1, noiseMultiplier: 1, samplingRate: 0.1, steps: 150 };
    const training: TrainingConfig = { ...sgd, optimizer: 'adam', learningRate: 0.05 };
    for (const t of [logistic, hidden]) {
      const global = await initialWeights(t, 5);
      const before = await evaluate({ topology: t, weights: global, data });
      const result = await trainLocalDp({ topology: t, weights: global, data, training, seed: 1, dp, noise: seededNoise(9) });
      const weights = global.map((w, i) => w + (result.update[i] as number));
      const after = await evaluate({ topology: t, weights, data });
      expect(after.auc).toBeGreaterThan(0.8);
      expect(after.loss).toBeLessThan(before.loss);
      expect(result.numExamples).toBe(300);
      expect(result.metrics.loss).toBeCloseTo(after.loss, 5); // final model, all records
      expect(result.metrics.accuracy).toBeCloseTo(after.accuracy, 10);
    }
  });
});

describe('trainLocalDp resources and refusals', () => {
  const code = (c: string) => (e: unknown) => isCohortError(e, c as never);
  const dp: DpSgdConfig = { l2Clip: 1, noiseMultiplier: 1, samplingRate: 0.05, steps: 4 };

  it('leaks no tensors (ghost path, loop path, empty batches, every optimizer, a failed call)', async () => {
    const split = tf.sequential({
      layers: [tf.layers.dense({ units: 3, inputShape: [8] }), tf.layers.activation({ activation: 'relu' }), tf.layers.dense({ units: 1, activation: 'sigmoid' })],
    });
    const loopTopology = modelToTopology(split);
    split.dispose();
    const runs: [ModelTopology, DpSgdConfig][] = [
      [hidden, dp],
      [loopTopology, dp],
      [hidden, { ...dp, samplingRate: 1e-4 }], // mostly empty batches
    ];
    const weightsOf = new Map<ModelTopology, Float32Array>();
    for (const [t] of runs) weightsOf.set(t, await initialWeights(t, 6));
    for (const [t, d] of runs) await trainLocalDp({ topology: t, weights: weightsOf.get(t)!, data, training: sgd, seed: 1, dp: d, noise: seededNoise(1) }); // warm the cache
    const before = tf.memory().numTensors;
    for (const optimizer of ['sgd', 'adam', 'rmsprop', 'adagrad'] as const) {
      for (const [t, d] of runs) {
        await trainLocalDp({ topology: t, weights: weightsOf.get(t)!, data, training: { ...sgd, optimizer, learningRate: 0.01 }, seed: 1, dp: d, noise: seededNoise(2) });
      }
    }
    const broken: GaussianNoise = (count) => new Float64Array(count - 1);
    await expect(trainLocalDp({ topology: hidden, weights: weightsOf.get(hidden)!, data, training: sgd, seed: 1, dp, noise: broken })).rejects.toSatisfy(code('INTERNAL'));
    expect(tf.memory().numTensors).toBe(before);
  });

  it('bad dp settings, FedProx and a missing sampler → CONFIG_INVALID', async () => {
    const weights = await initialWeights(logistic, 1);
    const noise = seededNoise(1);
    const bad: [Partial<DpSgdConfig>, TrainingConfig?][] = [
      [{ l2Clip: 0 }],
      [{ l2Clip: -1 }],
      [{ l2Clip: Number.NaN }],
      [{ noiseMultiplier: -0.1 }],
      [{ noiseMultiplier: Number.POSITIVE_INFINITY }],
      [{ samplingRate: 0 }],
      [{ samplingRate: 1.01 }],
      [{ samplingRate: Number.NaN }],
      [{ steps: 0 }],
      [{ steps: 2.5 }],
      [{}, { ...sgd, proxMu: 0.1 }],
    ];
    for (const [change, training] of bad) {
      await expect(trainLocalDp({ topology: logistic, weights, data, training: training ?? sgd, seed: 1, dp: { ...dp, ...change }, noise })).rejects.toSatisfy(
        code('CONFIG_INVALID'),
      );
    }
    await expect(trainLocalDp({ topology: logistic, weights, data, training: sgd, seed: 1, dp, noise: undefined as never })).rejects.toSatisfy(code('CONFIG_INVALID'));
    await expect(trainLocalDp({ topology: logistic, weights, data, training: sgd, seed: 1, dp: undefined as never, noise })).rejects.toSatisfy(code('CONFIG_INVALID'));
    expect(noise.calls).toHaveLength(0);
  });

  it('batch normalization → CONFIG_INVALID; wrong widths → SHAPE_MISMATCH; non-finite noise → INTERNAL', async () => {
    const bn = tf.sequential({ layers: [tf.layers.dense({ units: 3, inputShape: [8] }), tf.layers.batchNormalization(), tf.layers.dense({ units: 1, activation: 'sigmoid' })] });
    const bnTopology = modelToTopology(bn);
    bn.dispose();
    const bnWeights = await initialWeights(bnTopology, 1);
    await expect(trainLocalDp({ topology: bnTopology, weights: bnWeights, data, training: sgd, seed: 1, dp, noise: seededNoise(1) })).rejects.toSatisfy(code('CONFIG_INVALID'));
    const weights = await initialWeights(logistic, 1);
    await expect(trainLocalDp({ topology: logistic, weights: weights.subarray(1), data, training: sgd, seed: 1, dp, noise: seededNoise(1) })).rejects.toSatisfy(code('SHAPE_MISMATCH'));
    const nan: GaussianNoise = (count) => new Float64Array(count).fill(Number.NaN);
    await expect(trainLocalDp({ topology: logistic, weights, data, training: sgd, seed: 1, dp, noise: nan })).rejects.toSatisfy(code('INTERNAL'));
  });
});
