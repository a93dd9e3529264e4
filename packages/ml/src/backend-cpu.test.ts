import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isCohortError } from '@cohortfl/wire';
import { initBackend } from './backend.js';
import { CPU_BANNER, captureOutput, separable, type Capture } from './fixtures.test-suite.js';
import { initialWeights, mlp, modelToTopology, tf, trainLocal } from './index.js';

// Its own file, hence its own process: the backend choice is once per process.
describe('initBackend with an explicit preference', () => {
  let out: Capture;
  beforeAll(() => {
    out = captureOutput();
  });
  afterAll(() => out.restore());

  it('fails clearly when only tfjs-node is allowed and its binary is absent', async () => {
    await expect(initBackend(['tensorflow'])).rejects.toSatisfy(
      (e: unknown) => isCohortError(e, 'CONFIG_INVALID') && /tfjs-node not available/.test((e as Error).message),
    );
    expect(out.text()).toBe('');
  });

  it('falls back to cpu without the tfjs "install tfjs-node" banner', async () => {
    expect(await initBackend(['tensorflow', 'cpu'])).toBe('cpu');
    expect(tf.getBackend()).toBe('cpu');
    const model = mlp({ inputDim: 4, hidden: [] });
    const topology = modelToTopology(model);
    model.dispose();
    const training = { epochs: 1, batchSize: 8, optimizer: 'sgd', learningRate: 0.1 } as const;
    await trainLocal({ topology, weights: await initialWeights(topology, 2), data: separable(16, 4, 2), training, seed: 2 });
    expect(out.text()).not.toMatch(CPU_BANNER);
    expect(out.text().trim()).toBe('cohortfl: TensorFlow.js backend cpu (tfjs-node not available)');
    expect(tf.env().getBool('PROD')).toBe(false); // the silencing was temporary
  });
});
