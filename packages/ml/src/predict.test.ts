import { beforeAll, describe, expect, it } from 'vitest';
import { evaluate, initBackend, mlp, modelToTopology, predict, type ModelTopology } from './index.js';

let topology: ModelTopology;
// Logistic regression on 2 features: kernel [2, -1], bias 0.5.
const weights = Float32Array.from([2, -1, 0.5]);
const x = Float32Array.from([0, 0, 1, 1, -1, 2, 0.25, 3]);
const sigmoid = (z: number) => 1 / (1 + Math.exp(-z));
const expected = [sigmoid(0.5), sigmoid(1.5), sigmoid(-3.5), sigmoid(-2)];

beforeAll(async () => {
  await initBackend(undefined, { quiet: true });
  const m = mlp({ inputDim: 2, hidden: [] });
  topology = modelToTopology(m);
  m.dispose();
});

describe('predict', () => {
  it('computes sigmoid(x·w + b) per record', async () => {
    const scores = await predict({ topology, weights, x, n: 4, featureCount: 2 });
    expect(scores).toBeInstanceOf(Float32Array);
    Array.from(scores).forEach((s, i) => expect(s).toBeCloseTo(expected[i] as number, 6));
  });

  it('refuses a feature count the model does not take', async () => {
    await expect(predict({ topology, weights, x, n: 2, featureCount: 4 })).rejects.toThrow(/4 features per record but the model takes 2/);
    await expect(predict({ topology, weights, x, n: 3, featureCount: 2 })).rejects.toThrow(/expected n × featureCount = 3 × 2/);
  });
});

describe('evaluate', () => {
  it('reports BCE, accuracy at 0.5 and AUC that match a hand computation', async () => {
    // scores ≈ 0.62, 0.82, 0.03, 0.12
    const y = Float32Array.from([0, 1, 0, 1]);
    const r = await evaluate({ topology, weights, data: { x, y, n: 4, featureCount: 2 } });
    const bce = -(Math.log(1 - expected[0]!) + Math.log(expected[1]!) + Math.log(1 - expected[2]!) + Math.log(expected[3]!)) / 4;
    expect(r.n).toBe(4);
    expect(r.loss).toBeCloseTo(bce, 6);
    expect(r.accuracy).toBe(0.5); // records 0 (0.62, label 0) and 3 (0.12, label 1) are wrong
    // pairs (pos, neg): (0.82,0.62) ✓ (0.82,0.03) ✓ (0.12,0.62) ✗ (0.12,0.03) ✓
    expect(r.auc).toBe(0.75);
  });

  it('gives NaN AUC on single-class data', async () => {
    const y = Float32Array.from([0, 0, 0, 0]);
    const r = await evaluate({ topology, weights, data: { x, y, n: 4, featureCount: 2 } });
    expect(r.auc).toBeNaN();
    expect(r.accuracy).toBe(0.5);
  });
});
