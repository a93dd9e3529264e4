import { describe, expect, it } from 'vitest';
import { expectOk, result } from './contract.test-suite.js';
import { createFedMedian } from './fed-median.js';
import type { TrainResultIn } from './types.js';

const run = (results: TrainResultIn[]) =>
  Array.from(expectOk(createFedMedian().aggregateTrain({ round: 1, global: Float32Array.from([10, 10]), results, failures: [] })).weights);

describe('createFedMedian', () => {
  it('takes the coordinate-wise median of an odd number of updates', () => {
    // column 0: 1, 2, 100 → 2;  column 1: −5, 0, 10 → 0
    expect(run([result('a', 1, [1, 10]), result('b', 1, [2, -5]), result('c', 1, [100, 0])])).toEqual([12, 10]);
  });

  it('averages the two middle values for an even number of updates', () => {
    // column 0: 1, 2, 3, 10 → 2.5;  column 1: −1, 0, 3, 4 → 1.5
    expect(run([result('a', 1, [1, 4]), result('b', 1, [2, 3]), result('c', 1, [10, -1]), result('d', 1, [3, 0])])).toEqual([
      12.5, 11.5,
    ]);
  });

  it('ignores numExamples, so a site cannot buy influence by claiming a huge n', () => {
    const equal = run([result('a', 1, [1, 1]), result('b', 1, [2, 2]), result('c', 1, [3, 3])]);
    const skewed = run([result('a', 1, [1, 1]), result('b', 1, [2, 2]), result('c', 1_000_000, [3, 3])]);
    expect(skewed).toEqual(equal);
  });

  it('needs individual updates', () => {
    expect(createFedMedian().requiresIndividualUpdates).toBe(true);
  });
});
