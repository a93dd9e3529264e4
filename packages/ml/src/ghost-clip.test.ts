import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isCohortError } from '@cohortfl/wire';
import { denseStack, refuseBatchCoupledLayers, type DenseLayer } from './dense-stack.js';
import { clipFactors, ghostClippedSum, ghostSquaredNorms, type RecordBatch } from './ghost-clip.js';
import { normals, separable } from './fixtures.test-suite.js';
import { initBackend, mlp, setFlatWeights, tf, type MlpActivation } from './index.js';
import { perRecordBce } from './losses.js';
import { loopClippedSum } from './loop-clip.js';

const K = 5;
const ROWS = 12;
let batch: RecordBatch;

function makeBatch(): RecordBatch {
  const data = separable(ROWS, K, 3);
  const x = data.x.map((v, i) => v * (1 + (Math.floor(i / K) % 4))); // unequal row norms, so clipping bites unevenly
  return {
    x: tf.tensor2d(x, [ROWS, K]),
    sign: tf.tensor2d(data.y.map((y) => 2 * y - 1), [ROWS, 1]),
    offset: tf.tensor2d(data.y.map((y) => 1 - y), [ROWS, 1]),
  };
}

/** A 2-hidden-layer MLP with seeded weights, nonzero biases included. */
function model(activation: MlpActivation): tf.LayersModel {
  const m = mlp({ inputDim: K, hidden: [4, 3], activation });
  setFlatWeights(m, normals(m.countParams(), 17).map((v) => v * 0.4));
  return m;
}

function trainableOf(m: tf.LayersModel): tf.LayerVariable[] {
  return m.weights.filter((w) => w.trainable);
}

/** The reference: one tf.variableGrads per record, each flattened over the trainable weights. */
function explicitGrads(m: tf.LayersModel): Float64Array[] {
  const variables = trainableOf(m).map((v) => v.read() as tf.Variable);
  const out: Float64Array[] = [];
  for (let i = 0; i < ROWS; i++) {
    const flat = tf.tidy(() => {
      const { grads } = tf.variableGrads(() => {
        const p = m.predict(tf.slice(batch.x, [i, 0], [1, K])) as tf.Tensor;
        return tf.sum(perRecordBce(p, tf.slice(batch.sign, [i, 0], [1, 1]), tf.slice(batch.offset, [i, 0], [1, 1]))) as tf.Scalar;
      }, variables);
      return tf.concat(variables.map((v) => tf.reshape(grads[v.name] ?? tf.zerosLike(v), [-1])));
    });
    out.push(Float64Array.from(flat.dataSync()));
    flat.dispose();
  }
  return out;
}

const sq = (v: Float64Array) => v.reduce((s, x) => s + x * x, 0);

function flatten(ts: tf.Tensor[]): Float64Array {
  const flat = tf.concat(ts.map((t) => tf.reshape(t, [-1])));
  const out = Float64Array.from(flat.dataSync());
  flat.dispose();
  return out;
}

function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] as number;
}

beforeAll(async () => {
  await initBackend(undefined, { quiet: true });
  batch = makeBatch();
});

afterAll(() => tf.dispose([batch.x, batch.sign, batch.offset]));

describe('ghost norms', () => {
  it.each(['relu', 'tanh', 'sigmoid', 'elu', 'selu', 'linear'] as const)('equal per-record norms from a tf.grad loop (%s)', (activation) => {
    const m = model(activation);
    const stack = denseStack(m) as DenseLayer[];
    expect(stack).toHaveLength(3);
    const ghost = tf.tidy(() => ghostSquaredNorms(stack, batch));
    const got = ghost.dataSync();
    ghost.dispose();
    const want = explicitGrads(m).map(sq);
    // A record whose probability saturates past the loss's clipping has gradient 0 on both sides.
    expect(want.filter((w) => w > 1e-6).length).toBeGreaterThanOrEqual(ROWS - 2);
    want.forEach((w, i) => expect(Math.abs((got[i] as number) - w)).toBeLessThanOrEqual(1e-4 * w + 1e-12));
    m.dispose();
  });

  it('count only trainable weights (a frozen layer adds nothing)', () => {
    const m = model('tanh');
    (m.layers[0] as tf.layers.Layer).trainable = false;
    expect(trainableOf(m)).toHaveLength(4);
    const stack = denseStack(m) as DenseLayer[];
    const ghost = tf.tidy(() => ghostSquaredNorms(stack, batch));
    const got = ghost.dataSync();
    ghost.dispose();
    explicitGrads(m).map(sq).forEach((w, i) => expect(Math.abs((got[i] as number) - w)).toBeLessThanOrEqual(1e-4 * w + 1e-12));
    m.dispose();
  });
});

describe('clipped sums', () => {
  it('ghost sum = Σ explicitly clipped per-record gradients, each of norm ≤ C; the loop agrees', () => {
    const m = model('relu');
    const stack = denseStack(m) as DenseLayer[];
    const per = explicitGrads(m);
    const norms = per.map((g) => Math.sqrt(sq(g)));
    const clip = median(norms); // about half the records are clipped
    const want = new Float64Array(per[0]!.length);
    let clipped = 0;
    for (const [i, g] of per.entries()) {
      const c = Math.min(1, clip / (norms[i] as number));
      if (c < 1) clipped++;
      g.forEach((v, j) => (want[j] = (want[j] as number) + c * v));
    }
    expect(clipped).toBeGreaterThanOrEqual(ROWS / 2 - 1);

    const factors = tf.tidy(() => tf.mul(clipFactors(ghostSquaredNorms(stack, batch), clip), tf.sqrt(ghostSquaredNorms(stack, batch))));
    for (const scaledNorm of factors.dataSync()) expect(scaledNorm).toBeLessThanOrEqual(clip * (1 + 1e-6));
    factors.dispose();

    const ghost = tf.tidy(() => ghostClippedSum(stack, trainableOf(m), batch, clip));
    const loop = tf.tidy(() => loopClippedSum(m, trainableOf(m).map((v) => v.read() as tf.Variable), batch, clip));
    const scale = Math.sqrt(sq(want));
    for (const got of [flatten(ghost), flatten(loop)]) {
      expect(got).toHaveLength(want.length);
      got.forEach((v, j) => expect(Math.abs(v - (want[j] as number))).toBeLessThan(1e-5 * scale));
    }
    tf.dispose([...ghost, ...loop]);
    m.dispose();
  });

  it('a huge clip leaves the plain gradient sum', () => {
    const m = model('sigmoid');
    const stack = denseStack(m) as DenseLayer[];
    const want = new Float64Array(explicitGrads(m)[0]!.length);
    for (const g of explicitGrads(m)) g.forEach((v, j) => (want[j] = (want[j] as number) + v));
    const ghost = tf.tidy(() => ghostClippedSum(stack, trainableOf(m), batch, 1e9));
    const got = flatten(ghost);
    got.forEach((v, j) => expect(Math.abs(v - (want[j] as number))).toBeLessThan(1e-5 * Math.sqrt(sq(want))));
    tf.dispose(ghost);
    m.dispose();
  });
});

describe('model shapes', () => {
  it('only Sequential all-Dense models take the ghost path; batch norm is refused', () => {
    const withActivation = tf.sequential({
      layers: [tf.layers.dense({ units: 3, inputShape: [K] }), tf.layers.activation({ activation: 'relu' }), tf.layers.dense({ units: 1, activation: 'sigmoid' })],
    });
    expect(denseStack(withActivation)).toBeNull();
    refuseBatchCoupledLayers(withActivation);
    const withNorm = tf.sequential({
      layers: [tf.layers.dense({ units: 3, inputShape: [K] }), tf.layers.batchNormalization({ name: 'bn' }), tf.layers.dense({ units: 1, activation: 'sigmoid' })],
    });
    let error: unknown;
    try {
      refuseBatchCoupledLayers(withNorm);
    } catch (e) {
      error = e;
    }
    expect(isCohortError(error, 'CONFIG_INVALID')).toBe(true);
    expect((error as Error).message).toMatch(/layer 'bn' \(BatchNormalization\)/);
    withActivation.dispose();
    withNorm.dispose();
  });
});
