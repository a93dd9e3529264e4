import { describe, expect, it } from 'vitest';
import { result } from './contract.test-suite.js';
import { screenResults } from './screen-results.js';

describe('screenResults', () => {
  it('sorts accepted results by site id so float sums do not depend on arrival order', () => {
    const { accepted } = screenResults(1, [result('b', 1, [1]), result('C', 1, [1]), result('a', 1, [1])]);
    expect(accepted.map((r) => r.site)).toEqual(['C', 'a', 'b']);
  });

  it('checks shape before values, and values before weight, giving one reason per result', () => {
    const { accepted, rejected } = screenResults(2, [
      result('a', 0, [Number.NaN]),
      result('b', 0, [Number.NaN, 1]),
      result('c', 0, [1, 1]),
    ]);
    expect(accepted).toEqual([]);
    expect(rejected.map((r) => r.reason)).toEqual(['SHAPE_MISMATCH', 'NON_FINITE', 'BAD_WEIGHT']);
  });

  it('keeps the first of two results from one site, even if the first is the bad one', () => {
    // A rejected first result does not make a later one a duplicate: it never entered the aggregate.
    const { accepted, rejected } = screenResults(1, [result('a', 1, [Number.NaN]), result('a', 1, [2]), result('a', 1, [3])]);
    expect(accepted.map((r) => Array.from(r.update))).toEqual([[2]]);
    expect(rejected.map((r) => r.reason)).toEqual(['NON_FINITE', 'DUPLICATE_SITE']);
  });

  it('never puts update values in messages', () => {
    const { rejected } = screenResults(2, [result('a', 1, [123.456, Number.NaN])]);
    expect(rejected[0]?.message).not.toContain('123.456');
    expect(rejected[0]?.message).toContain('index 1');
  });
});
