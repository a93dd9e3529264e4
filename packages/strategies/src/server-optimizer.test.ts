import { describe, expect, it } from 'vitest';
import { expectOk, result } from './contract.test-suite.js';
import { createFedAdagrad } from './fed-adagrad.js';
import { createFedAdam } from './fed-adam.js';
import { createFedYogi } from './fed-yogi.js';
import type { Strategy } from './types.js';

/*
 * Hand-computed two-step runs with η = 1, β1 = 0.5, β2 = 0.75, τ = 0.5 (v0 = τ² = 0.25),
 * from w0 = [0, 0]. Step 1: two sites n = 1, Δ = [−1, 2] and [3, −6] → pseudo-gradient
 * [1, −2]. Step 2: one site, Δ = [3, 0.5]. First moment (all three):
 *   m1 = 0.5·[1, −2] = [0.5, −1];   m2 = 0.5·m1 + 0.5·[3, 0.5] = [1.75, −0.25].
 * Then w_t = w_{t−1} + m_t / (√v_t + 0.5), with v_t per algorithm below.
 */
const PARAMS = { serverLearningRate: 1, beta1: 0.5, beta2: 0.75, tau: 0.5 };

function twoSteps(strategy: Strategy): [number[], number[]] {
  const first = expectOk(
    strategy.aggregateTrain({
      round: 1,
      global: new Float32Array(2),
      results: [result('a', 1, [-1, 2]), result('b', 1, [3, -6])],
      failures: [],
    }),
  );
  const second = expectOk(
    strategy.aggregateTrain({ round: 2, global: first.weights, results: [result('a', 2, [3, 0.5])], failures: [] }),
  );
  return [Array.from(first.weights), Array.from(second.weights)];
}

function expectClose(actual: number[], expected: number[]): void {
  expect(actual).toHaveLength(expected.length);
  actual.forEach((value, i) => expect(value).toBeCloseTo(expected[i] as number, 6));
}

describe('FedAdam', () => {
  it('matches two hand-computed steps', () => {
    // v1 = 0.75·0.25 + 0.25·[1, 4] = [0.4375, 1.1875]
    //   w1 = [0.5/(0.661438 + 0.5), −1/(1.089725 + 0.5)] = [0.430501, −0.629040]
    // v2 = 0.75·v1 + 0.25·[9, 0.25] = [2.578125, 0.953125]
    //   w2 = w1 + [1.75/(1.605654 + 0.5), −0.25/(0.976281 + 0.5)] = [1.261597, −0.798384]
    const [w1, w2] = twoSteps(createFedAdam(PARAMS));
    expectClose(w1, [0.430500874, -0.6290397183]);
    expectClose(w2, [1.2615965526, -0.7983841483]);
  });

  it('uses η = 1e-2, β1 = 0.9, β2 = 0.99, τ = 1e-3 by default', () => {
    // m1 = 0.1·[1, −2]; v1 = 0.99·1e-6 + 0.01·[1, 4] = [0.01000099, 0.04000099]
    // w1 = 0.01·m1 / (√v1 + 0.001) = [0.0099005049, −0.0099501262]
    const outcome = expectOk(
      createFedAdam().aggregateTrain({ round: 1, global: new Float32Array(2), results: [result('a', 1, [1, -2])], failures: [] }),
    );
    expectClose(Array.from(outcome.weights), [0.0099005049, -0.0099501262]);
  });
});

describe('FedYogi', () => {
  it('matches two hand-computed steps, growing and shrinking v', () => {
    // v1 = 0.25 − 0.25·[1, 4]·sign(0.25 − [1, 4]) = [0.5, 1.25]
    //   w1 = [0.5/(√0.5 + 0.5), −1/(√1.25 + 0.5)] = [√2 − 1, −(√5 − 1)/2]
    // v2 = v1 − 0.25·[9, 0.25]·sign(v1 − [9, 0.25]) = [0.5 + 2.25, 1.25 − 0.0625] = [2.75, 1.1875]
    //   w2 = w1 + [1.75/(1.658312 + 0.5), −0.25/(1.089725 + 0.5)] = [1.225032, −0.775294]
    const [w1, w2] = twoSteps(createFedYogi(PARAMS));
    expectClose(w1, [0.4142135624, -0.6180339887]);
    expectClose(w2, [1.225032239, -0.7752939183]);
  });
});

describe('FedAdagrad', () => {
  it('matches two hand-computed steps', () => {
    // v1 = 0.25 + [1, 4] = [1.25, 4.25];   w1 = [0.5/(1.118034 + 0.5), −1/(2.061553 + 0.5)]
    // v2 = v1 + [9, 0.25] = [10.25, 4.5];  w2 = w1 + [1.75/(3.201562 + 0.5), −0.25/(2.121320 + 0.5)]
    const [w1, w2] = twoSteps(createFedAdagrad({ serverLearningRate: 1, beta1: 0.5, tau: 0.5 }));
    expectClose(w1, [0.3090169944, -0.3903882032]);
    expectClose(w2, [0.7817903652, -0.4857599881]);
  });
});

describe('server optimizer state', () => {
  it('is JSON-safe, versioned, and starts empty', () => {
    const s = createFedAdam(PARAMS);
    expect(s.state()).toEqual({ name: 'fedadam', version: 1, steps: 0, m: null, v: null });
    twoSteps(s);
    const saved = JSON.parse(JSON.stringify(s.state())) as Record<string, unknown>;
    expect(saved).toMatchObject({ name: 'fedadam', steps: 2 });
    expect(typeof saved.m).toBe('string');
  });

  it('refuses a model whose size differs from its moments, leaving state untouched', () => {
    const s = createFedYogi(PARAMS);
    twoSteps(s);
    const before = JSON.stringify(s.state());
    const run = () =>
      s.aggregateTrain({ round: 3, global: new Float32Array(3), results: [result('a', 1, [1, 1, 1])], failures: [] });
    expect(run).toThrow(expect.objectContaining({ code: 'SHAPE_MISMATCH' }));
    expect(JSON.stringify(s.state())).toBe(before);
  });

  it('refuses corrupt or mismatched checkpoints with DATA_INVALID', () => {
    const source = createFedAdam(PARAMS);
    twoSteps(source);
    const good = source.state();
    const bad: Record<string, unknown>[] = [
      { ...good, version: 2 },
      { ...good, steps: -1 },
      { ...good, m: null },
      { ...good, m: '***' },
      { ...good, m: btoa('1234567') },
      { ...good, v: 'AAAAAAAAAAA=' }, // one float64 where m holds two
      { ...good, v: 'AAAAAAAA8L8AAAAAAADwvw==' }, // [−1, −1]: v must be non-negative
      { ...good, name: 'fedyogi' },
    ];
    for (const state of bad) {
      expect(() => createFedAdam(PARAMS).restore(state)).toThrow(expect.objectContaining({ code: 'DATA_INVALID' }));
    }
  });

  it('rejects out-of-range hyperparameters with TASK_INVALID', () => {
    const cases = [{ serverLearningRate: -0.1 }, { serverLearningRate: 0 }, { beta1: 1 }, { beta2: -0.1 }, { tau: 0 }];
    for (const bad of cases) {
      expect(() => createFedAdam(bad)).toThrow(expect.objectContaining({ code: 'TASK_INVALID' }));
      expect(() => createFedYogi(bad)).toThrow(expect.objectContaining({ code: 'TASK_INVALID' }));
    }
  });
});
