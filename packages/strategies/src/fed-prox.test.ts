import { describe, expect, it } from 'vitest';
import { expectOk, result, seededRandom } from './contract.test-suite.js';
import { createFedAvg } from './fed-avg.js';
import { createFedProx } from './fed-prox.js';

describe('createFedProx', () => {
  it('puts proxMu into every training round config', () => {
    const plan = createFedProx({ proxMu: 0.01 }).configureTrain({ round: 3, available: ['a', 'b'], random: seededRandom(1) });
    expect(plan.config).toEqual({ proxMu: 0.01 });
    expect(plan.sites).toEqual(['a', 'b']);
  });

  it('gives each call its own config object', () => {
    const s = createFedProx({ proxMu: 0.5 });
    const first = s.configureTrain({ round: 1, available: ['a'], random: seededRandom(1) });
    first.config.proxMu = 99;
    expect(s.configureTrain({ round: 2, available: ['a'], random: seededRandom(1) }).config).toEqual({ proxMu: 0.5 });
  });

  it('aggregates exactly like FedAvg', () => {
    const input = {
      round: 1,
      global: Float32Array.from([1, 2]),
      results: [result('a', 1, [1, 1]), result('b', 3, [5, -3])],
      failures: [],
    };
    const prox = expectOk(createFedProx({ proxMu: 1 }).aggregateTrain(input));
    expect(Array.from(prox.weights)).toEqual([5, 0]);
    expect(prox.weights).toEqual(expectOk(createFedAvg().aggregateTrain(input)).weights);
  });

  it('accepts μ = 0 and rejects a negative, missing or non-finite μ', () => {
    expect(createFedProx({ proxMu: 0 }).name).toBe('fedprox');
    for (const proxMu of [-0.1, Number.NaN, Number.POSITIVE_INFINITY, undefined]) {
      expect(() => createFedProx({ proxMu } as { proxMu: number })).toThrow(
        expect.objectContaining({ code: 'TASK_INVALID', message: expect.stringContaining('proxMu') }),
      );
    }
  });
});
