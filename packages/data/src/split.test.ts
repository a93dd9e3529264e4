import { describe, expect, it } from 'vitest';
import { assignSplit, splitPosition } from './index.js';

const ids = Array.from({ length: 2000 }, (_, i) => `P${String(i).padStart(5, '0')}`);
const validationSet = (list: string[], seed: number): Set<string> => {
  const side = assignSplit(list, seed, 0.2);
  return new Set(list.filter((_, i) => side[i] === 1));
};

describe('assignSplit', () => {
  it('is the same for the same seed and differs for another seed', () => {
    expect([...validationSet(ids, 7)]).toEqual([...validationSet(ids, 7)]);
    const a = validationSet(ids, 7);
    const b = validationSet(ids, 8);
    const overlap = [...a].filter((id) => b.has(id)).length;
    // Independent 20% draws overlap on about 4% of 2000 = 80 records; identical sets would be ~400.
    expect(overlap).toBeLessThan(150);
  });

  it('does not depend on row order', () => {
    const reversed = [...ids].reverse();
    expect([...validationSet(reversed, 3)].sort()).toEqual([...validationSet(ids, 3)].sort());
  });

  it('holds out about the requested fraction (binomial bound)', () => {
    const n = validationSet(ids, 11).size;
    const sd = Math.sqrt(2000 * 0.2 * 0.8);
    expect(Math.abs(n - 400)).toBeLessThan(4 * sd);
  });

  it('gives each side at least one record when there are two or more', () => {
    for (let seed = 0; seed < 50; seed++) {
      const side = assignSplit(['a', 'b'], seed, 0.2);
      expect([...side].sort()).toEqual([0, 1]);
    }
    const all = assignSplit(['a', 'b', 'c'], 1, 0.999999);
    expect(all.filter((s) => s === 0).length).toBe(1);
    expect([...assignSplit(['only'], 0, 0.2)]).toHaveLength(1);
  });

  it('maps IDs into [0, 1) with different positions for neighbouring seeds', () => {
    const p0 = splitPosition('P1', 0);
    expect(p0).toBeGreaterThanOrEqual(0);
    expect(p0).toBeLessThan(1);
    expect(splitPosition('P1', 1)).not.toBe(p0);
  });
});
