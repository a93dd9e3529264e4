import { describe, expect, it } from 'vitest';
import { seededRandom } from './contract.test-suite.js';
import { sampleCohort } from './sampling.js';

describe('sampleCohort', () => {
  it('does not round 0.3 × 10 up to 4', () => {
    const ids = Array.from({ length: 10 }, (_, i) => `s${i}`);
    expect(sampleCohort(ids, 0.3, 1, seededRandom(3))).toHaveLength(3);
  });

  it('de-duplicates the available list', () => {
    expect(sampleCohort(['b', 'a', 'b', 'a'], 1, 1, seededRandom(1))).toEqual(['a', 'b']);
    expect(sampleCohort(['a', 'a', 'a'], 1, 2, seededRandom(1))).toEqual([]);
  });

  it('returns nothing when nobody is available', () => {
    expect(sampleCohort([], 1, 1, seededRandom(1))).toEqual([]);
  });

  it('takes everyone without consuming randomness when the cohort is all sites', () => {
    let calls = 0;
    const random = () => {
      calls += 1;
      return 0.5;
    };
    expect(sampleCohort(['c', 'a', 'b'], 0.9, 1, random)).toEqual(['a', 'b', 'c']);
    expect(calls).toBe(0);
  });

  it('samples each site with probability k/n (chi-square, 3 dof, p ≈ 0.001 bound)', () => {
    const ids = ['a', 'b', 'c', 'd'];
    const random = seededRandom(2024);
    const trials = 4000;
    const counts = new Map(ids.map((id) => [id, 0]));
    for (let t = 0; t < trials; t++) {
      for (const id of sampleCohort(ids, 0.5, 1, random)) counts.set(id, (counts.get(id) ?? 0) + 1);
    }
    const expected = (trials * 2) / 4;
    let chi2 = 0;
    for (const count of counts.values()) chi2 += (count - expected) ** 2 / expected;
    // Each trial picks exactly 2 of 4, so totals are fixed: 3 degrees of freedom; 16.27 is the 0.999 quantile.
    expect(chi2).toBeLessThan(16.27);
  });
});
