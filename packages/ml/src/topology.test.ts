import { beforeAll, describe, expect, it } from 'vitest';
import { isCohortError } from '@cohortfl/wire';
import { countParameters, createModel, initBackend, inputDim, mlp, modelToTopology, tf, type ModelTopology } from './index.js';

const taskInvalid = (pattern: RegExp) => (e: unknown) => isCohortError(e, 'TASK_INVALID') && pattern.test((e as Error).message);

function topologyOf(model: tf.LayersModel): ModelTopology {
  const t = modelToTopology(model);
  model.dispose();
  return t;
}

function functional(build: (input: tf.SymbolicTensor) => tf.SymbolicTensor | tf.SymbolicTensor[], shape = [5]): ModelTopology {
  const input = tf.input({ shape, name: 'features' });
  return topologyOf(tf.model({ inputs: input, outputs: build(input), name: 'f' }));
}

const dense = (units: number, activation: 'sigmoid' | 'softmax' | 'linear', name: string) =>
  tf.layers.dense({ units, activation, name });

beforeAll(async () => {
  await initBackend(undefined, { quiet: true });
});

describe('topology JSON', () => {
  it('round-trips through JSON text alone and rebuilds the same architecture', async () => {
    const topology = topologyOf(mlp({ inputDim: 12, hidden: [8, 4], activation: 'tanh', l2: 0.001 }));
    const text = JSON.stringify(topology);
    const rebuilt = await createModel(JSON.parse(text) as ModelTopology);
    expect(rebuilt.countParams()).toBe(12 * 8 + 8 + 8 * 4 + 4 + 4 + 1);
    expect(await countParameters(JSON.parse(text) as ModelTopology)).toBe(rebuilt.countParams());
    expect(JSON.stringify(modelToTopology(rebuilt))).toBe(text);
    rebuilt.dispose();
  });

  it('mlp serializes identically however many models were built before', () => {
    const a = topologyOf(mlp({ inputDim: 3, hidden: [2] }));
    tf.sequential({ layers: [tf.layers.dense({ units: 1, inputShape: [3] })] }).dispose(); // moves tfjs's name counters
    const b = topologyOf(mlp({ inputDim: 3, hidden: [2] }));
    expect(JSON.stringify(a)).toBe(JSON.stringify(b));
  });

  it('reads the input width from sequential and functional JSON', () => {
    expect(inputDim(topologyOf(mlp({ inputDim: 7, hidden: [] })))).toBe(7);
    expect(inputDim(functional((x) => dense(1, 'sigmoid', 'out').apply(x) as tf.SymbolicTensor))).toBe(5);
  });

  it('accepts a functional binary-risk model', async () => {
    const t = functional((x) => dense(1, 'sigmoid', 'out').apply(dense(3, 'linear', 'h').apply(x)) as tf.SymbolicTensor);
    const model = await createModel(t);
    expect(model.countParams()).toBe(5 * 3 + 3 + 3 + 1);
    model.dispose();
  });
});

describe('invalid topologies are refused with TASK_INVALID', () => {
  it('an output that is not a sigmoid', async () => {
    const linear = topologyOf(tf.sequential({ layers: [tf.layers.dense({ units: 1, inputShape: [4], name: 'o' })] }));
    await expect(createModel(linear)).rejects.toSatisfy(taskInvalid(/'o' must use a sigmoid activation.*'linear'/));
  });

  it('an output of width other than 1', async () => {
    const t = topologyOf(tf.sequential({ layers: [tf.layers.dense({ units: 2, activation: 'softmax', inputShape: [4] })] }));
    await expect(createModel(t)).rejects.toSatisfy(taskInvalid(/output must have shape \[null, 1\].*\[null,2\]/));
  });

  it('two outputs', async () => {
    const t = functional((x) => [dense(1, 'sigmoid', 'a').apply(x), dense(1, 'sigmoid', 'b').apply(x)] as tf.SymbolicTensor[]);
    await expect(createModel(t)).rejects.toSatisfy(taskInvalid(/exactly one output, found 2/));
  });

  it('two inputs', () => {
    const a = tf.input({ shape: [2], name: 'a' });
    const b = tf.input({ shape: [3], name: 'b' });
    const joined = tf.layers.concatenate().apply([a, b]) as tf.SymbolicTensor;
    const t = topologyOf(tf.model({ inputs: [a, b], outputs: dense(1, 'sigmoid', 'o').apply(joined) as tf.SymbolicTensor }));
    expect(() => inputDim(t)).toThrow(/exactly one input, found 2/);
  });

  it('an input that is not a flat feature vector', async () => {
    const t = functional((x) => dense(1, 'sigmoid', 'o').apply(tf.layers.flatten().apply(x)) as tf.SymbolicTensor, [4, 3]);
    await expect(createModel(t)).rejects.toSatisfy(taskInvalid(/input must have shape \[null, k\].*\[null,4,3\]/));
  });

  it('a model without trainable weights', async () => {
    const t = topologyOf(tf.sequential({ layers: [tf.layers.activation({ activation: 'sigmoid', inputShape: [1] })] }));
    await expect(createModel(t)).rejects.toSatisfy(taskInvalid(/no trainable weights/));
  });

  it('JSON that is not a model, or names an unknown layer', async () => {
    await expect(createModel({})).rejects.toSatisfy(taskInvalid(/'class_name' and 'config'/));
    await expect(createModel([] as unknown as ModelTopology)).rejects.toSatisfy(taskInvalid(/JSON object/));
    const good = topologyOf(mlp({ inputDim: 2, hidden: [] })) as { config: { layers: Array<{ class_name: string }> } };
    (good.config.layers[0] as { class_name: string }).class_name = 'EvalCode';
    await expect(createModel(good as unknown as ModelTopology)).rejects.toSatisfy(taskInvalid(/cannot be built.*EvalCode/));
  });

  it('mlp options out of range', () => {
    expect(() => mlp({ inputDim: 0, hidden: [] })).toThrow(/inputDim/);
    expect(() => mlp({ inputDim: 3, hidden: [2.5] })).toThrow(/hidden/);
    expect(() => mlp({ inputDim: 3, hidden: [], activation: 'gelu' as never })).toThrow(/activation/);
    expect(() => mlp({ inputDim: 3, hidden: [], l2: -1 })).toThrow(/l2/);
  });
});
