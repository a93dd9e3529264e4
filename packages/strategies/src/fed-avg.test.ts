import { describe, expect, it } from 'vitest';
import { expectOk, result } from './contract.test-suite.js';
import { createFedAvg } from './fed-avg.js';

describe('createFedAvg', () => {
  it('adds the example-weighted mean update to the global weights', () => {
    // (1·[1, 1] + 3·[5, −3]) / 4 = [16, −8] / 4 = [4, −2]
    const outcome = expectOk(
      createFedAvg().aggregateTrain({
        round: 1,
        global: Float32Array.from([10, 20]),
        results: [result('a', 1, [1, 1], 0.5), result('b', 3, [5, -3], 0.1)],
        failures: [],
      }),
    );
    expect(Array.from(outcome.weights)).toEqual([14, 18]);
    expect(outcome.metrics.loss).toBeCloseTo((1 * 0.5 + 3 * 0.1) / 4, 12);
    expect(outcome.metrics.n).toBe(4);
  });

  it('accumulates in float64: identical updates with huge counts average to exactly themselves', () => {
    // In float32, 2^24 + 1 is not representable, so a float32 sum would drift.
    const delta = Math.fround(0.1);
    const outcome = expectOk(
      createFedAvg().aggregateTrain({
        round: 1,
        global: new Float32Array(1),
        results: [result('a', 2 ** 24, [delta]), result('b', 1, [delta]), result('c', 3, [delta])],
        failures: [],
      }),
    );
    expect(outcome.weights[0]).toBe(delta);
  });

  it('rejects bad sampling options with TASK_INVALID', () => {
    for (const bad of [{ fractionFit: 0 }, { fractionFit: 1.5 }, { minSites: 0 }, { minSites: 1.5 }, { fractionEvaluate: -1 }]) {
      expect(() => createFedAvg(bad)).toThrow(expect.objectContaining({ code: 'TASK_INVALID' }));
    }
  });

  it('has no training config and no server state beyond its name', () => {
    const s = createFedAvg();
    expect(s.configureTrain({ round: 1, available: ['a'], random: () => 0 }).config).toEqual({});
    expect(s.state()).toEqual({ name: 'fedavg' });
  });
});
