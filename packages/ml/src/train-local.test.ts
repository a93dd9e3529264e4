import { beforeAll, describe, expect, it } from 'vitest';
import { isCohortError } from '@cohortfl/wire';
import { separable } from './fixtures.test-suite.js';
import {
  evaluate,
  initBackend,
  initialWeights,
  mlp,
  modelToTopology,
  tf,
  trainLocal,
  type ModelTopology,
  type TrainingConfig,
} from './index.js';

const data = separable(300, 8, 7);
const training: TrainingConfig = { epochs: 4, batchSize: 32, optimizer: 'adam', learningRate: 0.05 };
let logistic: ModelTopology;
let hidden: ModelTopology;

function topology(h: number[]): ModelTopology {
  const m = mlp({ inputDim: 8, hidden: h });
  const t = modelToTopology(m);
  m.dispose();
  return t;
}

function norm(v: Float32Array): number {
  return Math.sqrt(v.reduce((s, x) => s + x * x, 0));
}

function add(a: Float32Array, b: Float32Array): Float32Array {
  return a.map((x, i) => x + (b[i] as number));
}

beforeAll(async () => {
  await initBackend(undefined, { quiet: true });
  logistic = topology([]);
  hidden = topology([6]);
});

describe('trainLocal', () => {
  it('learns a separable problem: loss falls, AUC > 0.9', async () => {
    for (const t of [logistic, hidden]) {
      const global = await initialWeights(t, 3);
      const before = await evaluate({ topology: t, weights: global, data });
      const result = await trainLocal({ topology: t, weights: global, data, training, seed: 11 });
      const after = await evaluate({ topology: t, weights: add(global, result.update), data });
      expect(result.numExamples).toBe(300);
      expect(after.loss).toBeLessThan(before.loss * 0.7);
      expect(after.auc).toBeGreaterThan(0.9);
      expect(result.metrics.loss).toBeLessThan(before.loss);
      expect(result.metrics.accuracy).toBeGreaterThan(0.8);
    }
  });

  it('is bit-identical for the same inputs and seed, and differs for another seed', async () => {
    const global = await initialWeights(hidden, 5);
    const a = await trainLocal({ topology: hidden, weights: global, data, training, seed: 9 });
    const b = await trainLocal({ topology: hidden, weights: global, data, training, seed: 9 });
    const c = await trainLocal({ topology: hidden, weights: global, data, training, seed: 10 });
    expect(Buffer.from(a.update.buffer).equals(Buffer.from(b.update.buffer))).toBe(true);
    expect(a.metrics).toEqual(b.metrics);
    expect(Buffer.from(a.update.buffer).equals(Buffer.from(c.update.buffer))).toBe(false);
  });

  it('keeps concurrent calls on one cached model apart', async () => {
    const g1 = await initialWeights(hidden, 1);
    const g2 = await initialWeights(hidden, 2);
    const alone = await trainLocal({ topology: hidden, weights: g1, data, training, seed: 4 });
    const [together] = await Promise.all([
      trainLocal({ topology: hidden, weights: g1, data, training, seed: 4 }),
      trainLocal({ topology: hidden, weights: g2, data, training, seed: 5 }),
    ]);
    expect(together.update).toEqual(alone.update);
  });

  it('FedProx (μ > 0) pulls the update toward the global weights', async () => {
    const global = await initialWeights(logistic, 8);
    const sgd: TrainingConfig = { epochs: 3, batchSize: 16, optimizer: 'sgd', learningRate: 0.5 };
    const plain = await trainLocal({ topology: logistic, weights: global, data, training: sgd, seed: 2 });
    const prox = await trainLocal({ topology: logistic, weights: global, data, training: { ...sgd, proxMu: 1 }, seed: 2 });
    expect(norm(prox.update)).toBeLessThan(0.9 * norm(plain.update));
  });

  it('leaks no tensors', async () => {
    const global = await initialWeights(hidden, 6);
    await trainLocal({ topology: hidden, weights: global, data, training: { ...training, proxMu: 0.1 }, seed: 1 }); // warm the cache
    const before = tf.memory().numTensors;
    for (const optimizer of ['sgd', 'adam', 'rmsprop', 'adagrad'] as const) {
      await trainLocal({ topology: hidden, weights: global, data, training: { ...training, optimizer, proxMu: 0.1 }, seed: 1 });
    }
    await evaluate({ topology: hidden, weights: global, data });
    await expect(trainLocal({ topology: hidden, weights: global.subarray(1), data, training, seed: 1 })).rejects.toThrow();
    expect(tf.memory().numTensors).toBe(before);
  });
});

describe('trainLocal refuses bad input', () => {
  const code = (c: string) => (e: unknown) => isCohortError(e, c as never);

  it('bad training settings → CONFIG_INVALID', async () => {
    const weights = await initialWeights(logistic, 1);
    for (const bad of [
      { ...training, epochs: 0 },
      { ...training, batchSize: 1.5 },
      { ...training, learningRate: -1 },
      { ...training, optimizer: 'lbfgs' as never },
      { ...training, proxMu: Number.NaN },
    ]) {
      await expect(trainLocal({ topology: logistic, weights, data, training: bad, seed: 1 })).rejects.toSatisfy(code('CONFIG_INVALID'));
    }
  });

  it('wrong widths → SHAPE_MISMATCH; bad values → DATA_INVALID', async () => {
    const weights = await initialWeights(logistic, 1);
    const other = separable(10, 5, 1);
    await expect(trainLocal({ topology: logistic, weights, data: other, training, seed: 1 })).rejects.toSatisfy(code('SHAPE_MISMATCH'));
    await expect(trainLocal({ topology: logistic, weights: new Float32Array(3), data, training, seed: 1 })).rejects.toSatisfy(
      code('SHAPE_MISMATCH'),
    );
    const y = data.y.slice();
    y[4] = 2;
    await expect(trainLocal({ topology: logistic, weights, data: { ...data, y }, training, seed: 1 })).rejects.toThrow(
      'label of record 4 is 2, expected 0 or 1',
    );
    const x = data.x.slice();
    x[8 * 3 + 2] = Number.NaN;
    await expect(trainLocal({ topology: logistic, weights, data: { ...data, x }, training, seed: 1 })).rejects.toThrow(
      'feature value of record 3, column 2 is not a finite number',
    );
    const w = weights.slice();
    w[0] = Number.POSITIVE_INFINITY;
    await expect(trainLocal({ topology: logistic, weights: w, data, training, seed: 1 })).rejects.toSatisfy(code('DATA_INVALID'));
  });

  it('a diverging run → ROUND_FAILED, not a NaN update', async () => {
    const weights = new Float32Array(9); // logits 0, so the first huge gradient is not clipped away
    const x = data.x.map((v) => v * 1e30);
    const wild: TrainingConfig = { epochs: 2, batchSize: 8, optimizer: 'sgd', learningRate: 1e30 };
    await expect(trainLocal({ topology: logistic, weights, data: { ...data, x }, training: wild, seed: 1 })).rejects.toSatisfy(
      code('ROUND_FAILED'),
    );
  });
});
