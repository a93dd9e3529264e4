/**
 * The fused training path against the tape path (layers' apply, tf gradients
 * and tfjs's optimizers): same gradients, same updates up to float rounding.
 * Run once per backend (fused-train.test.ts on wasm, fused-train-cpu.test.ts on cpu).
 */
import { describe, expect, it } from 'vitest';
import { isCohortError } from '@cohortfl/wire';
import { separable } from './fixtures.test-suite.js';
import { fusedPlan } from './fused-train.js';
import { initialWeights, mlp, modelToTopology, tf, type MlpActivation, type ModelTopology, type TrainingConfig } from './index.js';
import { withModel } from './model-cache.js';
import { trainLocalOn } from './train-local.js';

function topologyOf(model: tf.LayersModel): ModelTopology {
  const t = modelToTopology(model);
  model.dispose();
  return t;
}

/** max |a − b| / max(1, max |b|): float32 rounding of a few thousand steps stays far below 1e-4. */
function relativeGap(a: Float32Array, b: Float32Array): number {
  expect(a.length).toBe(b.length);
  let gap = 0;
  let scale = 1;
  for (let i = 0; i < a.length; i++) {
    gap = Math.max(gap, Math.abs((a[i] as number) - (b[i] as number)));
    scale = Math.max(scale, Math.abs(b[i] as number));
  }
  return gap / scale;
}

function norm(v: Float32Array): number {
  return Math.sqrt(v.reduce((s, x) => s + x * x, 0));
}

const SHAPES: { k: number; hidden: number[]; activation: MlpActivation; l2?: number }[] = [
  { k: 7, hidden: [], activation: 'relu' },
  { k: 12, hidden: [8], activation: 'relu' },
  { k: 12, hidden: [8, 5], activation: 'tanh', l2: 0.01 },
  { k: 9, hidden: [6], activation: 'elu' },
  { k: 9, hidden: [6], activation: 'selu' },
  { k: 9, hidden: [6], activation: 'sigmoid', l2: 0.05 },
  { k: 9, hidden: [5, 4], activation: 'linear' },
  // Wider than the batch, as genomic inputs are.
  { k: 600, hidden: [3], activation: 'relu' },
];

export function fusedPathSuite(): void {
  describe('fused training steps match the tape path', () => {
    it('one full-batch sgd step: the same gradient of every weight (update = −lr · gradient)', async () => {
      for (const { k, hidden, activation, l2 } of SHAPES) {
        const topology = topologyOf(mlp({ inputDim: k, hidden, activation, l2 }));
        const weights = await initialWeights(topology, 4);
        const data = separable(40, k, 3);
        const training: TrainingConfig = { epochs: 1, batchSize: 40, optimizer: 'sgd', learningRate: 1 };
        const tape = await trainLocalOn({ topology, weights, data, training, seed: 1 }, 'tape');
        const fused = await trainLocalOn({ topology, weights, data, training, seed: 1 }, 'fused');
        expect(norm(tape.update)).toBeGreaterThan(1e-3); // a real gradient, not two zeros
        expect(relativeGap(fused.update, tape.update)).toBeLessThan(1e-5);
        expect(fused.metrics.loss).toBeCloseTo(tape.metrics.loss, 5);
        expect(fused.metrics.accuracy).toBe(tape.metrics.accuracy);
      }
    });

    it('several epochs of minibatches, every optimizer, with and without FedProx: the same updated weights', async () => {
      for (const { k, hidden, activation, l2 } of SHAPES) {
        const topology = topologyOf(mlp({ inputDim: k, hidden, activation, l2 }));
        const weights = await initialWeights(topology, 5);
        const data = separable(150, k, 6);
        for (const optimizer of ['sgd', 'adam', 'rmsprop', 'adagrad'] as const) {
          for (const proxMu of [0, 0.3]) {
            // 150 records in batches of 32: the last batch of each epoch is shorter.
            const training: TrainingConfig = { epochs: 2, batchSize: 32, optimizer, learningRate: 0.03, proxMu };
            const tape = await trainLocalOn({ topology, weights, data, training, seed: 8 }, 'tape');
            const fused = await trainLocalOn({ topology, weights, data, training, seed: 8 }, 'fused');
            expect(norm(tape.update)).toBeGreaterThan(1e-3);
            expect(relativeGap(fused.update, tape.update), `${JSON.stringify(hidden)} ${activation} ${optimizer} μ=${proxMu}`).toBeLessThan(1e-4);
            expect(fused.metrics.loss).toBeCloseTo(tape.metrics.loss, 4);
          }
        }
      }
    });

    it('layers without bias, and a last batch of one record', async () => {
      const model = tf.sequential({
        layers: [
          tf.layers.dense({ units: 4, activation: 'relu', useBias: false, inputShape: [6] }),
          tf.layers.dense({ units: 3, activation: 'tanh' }),
          tf.layers.dense({ units: 1, activation: 'sigmoid', useBias: false }),
        ],
      });
      const topology = topologyOf(model);
      expect(await withModel(topology, (m) => fusedPlan(m.model, m.layout))).not.toBeNull();
      const weights = await initialWeights(topology, 9);
      const data = separable(33, 6, 4); // batches of 16, 16 and 1
      for (const optimizer of ['sgd', 'adam'] as const) {
        const training: TrainingConfig = { epochs: 3, batchSize: 16, optimizer, learningRate: 0.05 };
        const tape = await trainLocalOn({ topology, weights, data, training, seed: 2 }, 'tape');
        const fused = await trainLocalOn({ topology, weights, data, training, seed: 2 }, 'fused');
        expect(norm(tape.update)).toBeGreaterThan(1e-3);
        expect(relativeGap(fused.update, tape.update)).toBeLessThan(1e-4);
      }
    });

    it('a saturated wrong prediction contributes no gradient, as Keras clipping makes it on the tape path', async () => {
      const k = 4;
      const topology = topologyOf(mlp({ inputDim: k, hidden: [] }));
      // w = (40, 0, 0, 0), b = 0: records with x0 > ~0.5 get p = 1 in float32, the others p in (0, 1).
      const weights = new Float32Array([40, 0, 0, 0, 0]);
      const x = new Float32Array([2, 0.1, 0.2, 0.3, -0.01, 0.5, 0.1, 0.2, 0.01, -0.3, 0.4, 0.1, 1.5, 0.2, 0.2, 0.2]);
      const y = new Float32Array([0, 1, 0, 1]); // record 0: p = 1 for y = 0 (clipped away); record 3: p = 1 for y = 1
      const data = { x, y, n: 4, featureCount: k };
      const training: TrainingConfig = { epochs: 1, batchSize: 4, optimizer: 'sgd', learningRate: 1 };
      const tape = await trainLocalOn({ topology, weights, data, training, seed: 1 }, 'tape');
      const fused = await trainLocalOn({ topology, weights, data, training, seed: 1 }, 'fused');
      expect(relativeGap(fused.update, tape.update)).toBeLessThan(1e-6);
      // Without the clip, record 0 alone would move w0 by −2/4 = −0.5.
      expect(Math.abs(fused.update[0] as number)).toBeLessThan(0.1);
    });

    it('is bit-identical for the same seed and leaks no tensors', async () => {
      const topology = topologyOf(mlp({ inputDim: 10, hidden: [4] }));
      const weights = await initialWeights(topology, 2);
      const data = separable(90, 10, 2);
      const training: TrainingConfig = { epochs: 2, batchSize: 16, optimizer: 'adam', learningRate: 0.02, proxMu: 0.1 };
      const a = await trainLocalOn({ topology, weights, data, training, seed: 3 }, 'fused');
      const before = tf.memory().numTensors;
      const b = await trainLocalOn({ topology, weights, data, training, seed: 3 }, 'fused');
      expect(tf.memory().numTensors).toBe(before);
      expect(Buffer.from(a.update.buffer).equals(Buffer.from(b.update.buffer))).toBe(true);
    });

    it('takes the tape path for models it cannot reproduce; forcing the fused path there is INTERNAL', async () => {
      const softmaxHidden = tf.sequential({
        layers: [tf.layers.dense({ units: 3, activation: 'softplus', inputShape: [5] }), tf.layers.dense({ units: 1, activation: 'sigmoid' })],
      });
      const l1 = tf.sequential({ layers: [tf.layers.dense({ units: 1, activation: 'sigmoid', inputShape: [5], kernelRegularizer: tf.regularizers.l1({ l1: 0.1 }) })] });
      const separateSigmoid = tf.sequential({ layers: [tf.layers.dense({ units: 1, inputShape: [5] }), tf.layers.activation({ activation: 'sigmoid' })] });
      const frozen = mlp({ inputDim: 5, hidden: [3] });
      (frozen.layers[0] as tf.layers.Layer).trainable = false;
      const data = separable(30, 5, 1);
      const training: TrainingConfig = { epochs: 1, batchSize: 8, optimizer: 'sgd', learningRate: 0.1 };
      for (const model of [softmaxHidden, l1, separateSigmoid, frozen]) {
        const topology = topologyOf(model);
        expect(await withModel(topology, (m) => fusedPlan(m.model, m.layout))).toBeNull();
        const weights = await initialWeights(topology, 1);
        const auto = await trainLocalOn({ topology, weights, data, training, seed: 1 }, 'auto');
        const tape = await trainLocalOn({ topology, weights, data, training, seed: 1 }, 'tape');
        expect(Buffer.from(auto.update.buffer).equals(Buffer.from(tape.update.buffer))).toBe(true);
        await expect(trainLocalOn({ topology, weights, data, training, seed: 1 }, 'fused')).rejects.toSatisfy((e: unknown) => isCohortError(e, 'INTERNAL'));
      }
      const plain = topologyOf(mlp({ inputDim: 5, hidden: [3], l2: 0.01 }));
      expect(await withModel(plain, (m) => fusedPlan(m.model, m.layout))).not.toBeNull();
    });
  });
}
