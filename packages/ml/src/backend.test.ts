import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isCohortError } from '@cohortfl/wire';
import { currentBackend, initBackend } from './backend.js';
import { CPU_BANNER, captureOutput, separable, type Capture } from './fixtures.test-suite.js';
import { evaluate, initialWeights, mlp, modelToTopology, tf, trainLocal } from './index.js';

// Order matters in this file: it is the first use of TensorFlow.js in its process.
describe('initBackend (default preference)', () => {
  let out: Capture;
  beforeAll(() => {
    out = captureOutput();
  });
  afterAll(() => out.restore());

  it('refuses to build a model before a backend is chosen', () => {
    expect(() => mlp({ inputDim: 3, hidden: [] })).toThrow(/initBackend/);
    expect(currentBackend()).toBeNull();
  });

  it('rejects an unknown preference or COHORTFL_BACKEND without memoizing the failure', async () => {
    await expect(initBackend(['gpu' as never])).rejects.toSatisfy((e: unknown) => isCohortError(e, 'CONFIG_INVALID'));
    process.env.COHORTFL_BACKEND = 'tpu';
    try {
      await expect(initBackend()).rejects.toThrow(/COHORTFL_BACKEND is 'tpu'/);
    } finally {
      delete process.env.COHORTFL_BACKEND;
    }
  });

  it('picks wasm here (no tfjs-node binary) and announces it in one line, once', async () => {
    expect(await initBackend()).toBe('wasm');
    expect(await initBackend(['cpu'])).toBe('wasm'); // memoized: the first choice stands
    expect(tf.getBackend()).toBe('wasm');
    expect(currentBackend()).toBe('wasm');
    const lines = out.text().split('\n').filter((l) => l.includes('cohortfl: TensorFlow.js backend'));
    expect(lines).toEqual(['cohortfl: TensorFlow.js backend wasm (tfjs-node not available)']);
  });

  it('prints nothing but its line (no tfjs banner) during model building, training and evaluation', async () => {
    const model = mlp({ inputDim: 4, hidden: [3] });
    const topology = modelToTopology(model);
    model.dispose();
    const data = separable(32, 4, 1);
    const weights = await initialWeights(topology, 1);
    const training = { epochs: 1, batchSize: 8, optimizer: 'adam', learningRate: 0.01 } as const;
    await trainLocal({ topology, weights, data, training, seed: 1 });
    await evaluate({ topology, weights, data });
    expect(out.text()).not.toMatch(CPU_BANNER);
    // No tfjs-node noise either: our one line is all that was printed.
    const printed = out.text().split('\n').filter((l) => l.trim() !== '');
    expect(printed).toEqual(['cohortfl: TensorFlow.js backend wasm (tfjs-node not available)']);
  });

  it('would have caught the banner (control: a fresh cpu backend prints it on first write)', () => {
    const cpu = new tf.MathBackendCPU();
    cpu.write(new Float32Array(1), [1], 'float32');
    cpu.dispose();
    expect(out.text()).toMatch(CPU_BANNER);
  });
});
