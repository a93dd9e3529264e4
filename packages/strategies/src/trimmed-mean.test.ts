import { describe, expect, it } from 'vitest';
import { expectOk, result } from './contract.test-suite.js';
import { createFedAvg } from './fed-avg.js';
import { createTrimmedMean } from './trimmed-mean.js';
import type { Strategy, TrainResultIn } from './types.js';

const run = (strategy: Strategy, results: TrainResultIn[]) =>
  Array.from(expectOk(strategy.aggregateTrain({ round: 1, global: new Float32Array(2), results, failures: [] })).weights);

// Five sites; site e sends a huge outlier in column 0, site a in column 1.
const FIVE = [
  result('a', 1, [1, -1e6]),
  result('b', 1, [2, 0]),
  result('c', 1, [3, 1]),
  result('d', 1, [4, 2]),
  result('e', 1, [1e6, 3]),
];

describe('createTrimmedMean', () => {
  it('with β = 0.2 on 5 sites trims one value from each end and resists an outlier', () => {
    // ⌊0.2·5⌋ = 1. Column 0: drop 1 and 1e6 → mean(2, 3, 4) = 3. Column 1: drop −1e6 and 3 → mean(0, 1, 2) = 1.
    expect(run(createTrimmedMean({ beta: 0.2 }), FIVE)).toEqual([3, 1]);
    // FedAvg, for contrast, is dragged by ~2e5.
    const avg = run(createFedAvg(), FIVE);
    expect(Math.abs(avg[0] as number)).toBeGreaterThan(1e5);
  });

  it('is the plain unweighted mean with β = 0', () => {
    expect(run(createTrimmedMean({ beta: 0 }), [result('a', 1, [1, 2]), result('b', 9, [3, 6])])).toEqual([2, 4]);
  });

  it('trims nothing while ⌊β·n⌋ = 0 (β = 0.2 on 4 sites)', () => {
    const four = FIVE.slice(1);
    expect(run(createTrimmedMean({ beta: 0.2 }), four)).toEqual([(2 + 3 + 4 + 1e6) / 4, 6 / 4]);
  });

  it('with β = 0.4 on 5 sites keeps only the middle value', () => {
    expect(run(createTrimmedMean({ beta: 0.4 }), FIVE)).toEqual([3, 1]);
  });

  it('floors β·n robustly (β = 0.29 on 100 sites trims 29, not 28)', () => {
    // 0.29 · 100 is 28.999999999999996 in floating point. Column values i² for i = 0..99:
    // trimming 29 keeps i = 29..70, mean (Σ_{1..70} i² − Σ_{1..28} i²) / 42 = (116795 − 7714) / 42;
    // trimming 28 would give (121836 − 6930) / 44 = 2611.5.
    const many = Array.from({ length: 100 }, (_, i) => result(`s${String(i).padStart(3, '0')}`, 1, [i * i, 0]));
    const [mean] = run(createTrimmedMean({ beta: 0.29 }), many);
    expect(mean).toBeCloseTo(109081 / 42, 2);
  });

  it('rejects β outside [0, 0.5)', () => {
    for (const beta of [0.5, 0.6, -0.1, Number.NaN]) {
      expect(() => createTrimmedMean({ beta })).toThrow(
        expect.objectContaining({ code: 'TASK_INVALID', message: expect.stringContaining('[0, 0.5)') }),
      );
    }
  });
});
