import { beforeAll, describe, expect, it } from 'vitest';
import { isCohortError } from '@cohortfl/wire';
import { countParameters, disposeModels, initBackend, mlp, modelToTopology, tf, type ModelTopology } from './index.js';

function logistic(inputDim: number): ModelTopology {
  const m = mlp({ inputDim, hidden: [] });
  const t = modelToTopology(m);
  m.dispose();
  return t;
}

const settle = () => new Promise((resolve) => setTimeout(resolve, 0));

beforeAll(async () => {
  await initBackend(undefined, { quiet: true });
});

describe('model cache', () => {
  it('builds a topology once and frees everything on disposeModels', async () => {
    await disposeModels();
    const base = tf.memory().numTensors;
    await countParameters(logistic(3));
    await countParameters(logistic(3));
    expect(tf.memory().numTensors - base).toBe(2); // one kernel, one bias
    await disposeModels();
    expect(tf.memory().numTensors).toBe(base);
  });

  it('keeps at most 8 models, freeing the least recently used', async () => {
    await disposeModels();
    const base = tf.memory().numTensors;
    for (let k = 1; k <= 10; k++) expect(await countParameters(logistic(k))).toBe(k + 1);
    await settle();
    expect(tf.memory().numTensors - base).toBe(8 * 2);
    await disposeModels();
  });

  it('does not cache a topology that fails to build', async () => {
    const bad = { class_name: 'Sequential', config: { layers: [{ class_name: 'Nope', config: { batch_input_shape: [null, 2] } }] } };
    for (let i = 0; i < 2; i++) {
      await expect(countParameters(bad)).rejects.toSatisfy((e: unknown) => isCohortError(e, 'TASK_INVALID'));
    }
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    await expect(countParameters(cyclic)).rejects.toSatisfy((e: unknown) => isCohortError(e, 'TASK_INVALID'));
  });
});
