import { createHash } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { isCohortError } from '@cohortfl/wire';
import {
  countParameters,
  createModel,
  flattenWeights,
  initBackend,
  initialWeights,
  mlp,
  modelToTopology,
  setFlatWeights,
  tf,
  weightShapes,
  type ModelTopology,
} from './index.js';

let topology: ModelTopology;

beforeAll(async () => {
  await initBackend(undefined, { quiet: true });
  const m = mlp({ inputDim: 6, hidden: [4] });
  topology = modelToTopology(m);
  m.dispose();
});

describe('flat weights', () => {
  it('round-trip through setFlatWeights / flattenWeights in getWeights() order', async () => {
    const model = await createModel(topology);
    expect(weightShapes(model)).toEqual([[6, 4], [4], [4, 1], [1]]);
    const flat = Float32Array.from({ length: 33 }, (_, i) => i / 7 - 2);
    setFlatWeights(model, flat);
    expect(flattenWeights(model)).toEqual(flat);
    const viaGetWeights = model.getWeights().flatMap((t) => Array.from(t.dataSync()));
    expect(Array.from(flat)).toEqual(viaGetWeights);
    model.dispose();
  });

  it('refuses a vector of the wrong length with SHAPE_MISMATCH', async () => {
    const model = await createModel(topology);
    const before = flattenWeights(model);
    expect(() => setFlatWeights(model, new Float32Array(32))).toThrow(
      expect.objectContaining({ code: 'SHAPE_MISMATCH', message: 'weights have 32 values but the model has 33 parameters' }),
    );
    expect(flattenWeights(model)).toEqual(before);
    model.dispose();
  });

  it('counts parameters from the topology', async () => {
    expect(await countParameters(topology)).toBe(6 * 4 + 4 + 4 + 1);
  });
});

describe('initialWeights', () => {
  it('is deterministic: same seed, same bytes (pinned, so any process agrees)', async () => {
    const a = await initialWeights(topology, 42);
    const b = await initialWeights(topology, 42);
    expect(Buffer.from(a.buffer).equals(Buffer.from(b.buffer))).toBe(true);
    const digest = createHash('sha256').update(new Uint8Array(a.buffer)).digest('hex');
    expect(digest).toBe('f95ff9f34aa1a24966ac2e7de3814e0525f3b07f90dcf432ae176f4eb17a9710');
  });

  it('differs across seeds, is Glorot-bounded for kernels and zero for biases', async () => {
    const a = await initialWeights(topology, 1);
    const b = await initialWeights(topology, 2);
    expect(a).not.toEqual(b);
    const limit1 = Math.sqrt(6 / (6 + 4));
    const kernel1 = a.subarray(0, 24);
    expect(Math.max(...kernel1.map(Math.abs))).toBeLessThanOrEqual(limit1);
    expect(Math.max(...kernel1.map(Math.abs))).toBeGreaterThan(limit1 / 2);
    expect(Array.from(a.subarray(24, 28))).toEqual([0, 0, 0, 0]);
    expect(Math.max(...a.subarray(28, 32).map(Math.abs))).toBeLessThanOrEqual(Math.sqrt(6 / 5));
    expect(a[32]).toBe(0);
  });

  it('starts batch-norm scale and running variance at one', async () => {
    const m = tf.sequential({
      layers: [
        tf.layers.dense({ units: 2, inputShape: [3], name: 'h' }),
        tf.layers.batchNormalization({ name: 'bn' }),
        tf.layers.dense({ units: 1, activation: 'sigmoid', name: 'o' }),
      ],
    });
    const t = modelToTopology(m);
    m.dispose();
    const w = await initialWeights(t, 3);
    // Order: h/kernel(6) h/bias(2) bn/gamma(2) bn/beta(2) o/kernel(2) o/bias(1) bn/moving_mean(2) bn/moving_variance(2)
    expect(Array.from(w.subarray(8, 12))).toEqual([1, 1, 0, 0]);
    expect(Array.from(w.subarray(15, 19))).toEqual([0, 0, 1, 1]);
  });

  it('refuses a non-integer seed', async () => {
    await expect(initialWeights(topology, 1.5)).rejects.toSatisfy((e: unknown) => isCohortError(e, 'CONFIG_INVALID'));
  });
});
