import { describe, expect, it } from 'vitest';
import { isCohortError } from '@cohortfl/wire';
import { calibrateNoise, computeEpsilon } from './accountant.js';

const code = (fn: () => unknown): string | undefined => {
  try {
    fn();
  } catch (error) {
    return isCohortError(error) ? error.code : 'NOT_COHORT_ERROR';
  }
  return undefined;
};

const eps = (noiseMultiplier: number, samplingRate: number, steps: number, delta = 1e-5) =>
  computeEpsilon({ noiseMultiplier, samplingRate, steps, delta }).epsilon;

describe('ε of the sampled Gaussian: monotonicity', () => {
  it('decreases as σ grows', () => {
    const values = [0.6, 0.8, 1, 1.3, 2, 4].map((s) => eps(s, 0.01, 1000));
    for (let i = 1; i < values.length; i++) expect(values[i]).toBeLessThan(values[i - 1]!);
  });
  it('increases with the number of steps and with the sampling rate', () => {
    const bySteps = [10, 100, 1000, 10_000].map((t) => eps(1.1, 0.01, t));
    for (let i = 1; i < bySteps.length; i++) expect(bySteps[i]).toBeGreaterThan(bySteps[i - 1]!);
    const byRate = [0.001, 0.01, 0.1, 0.5, 1].map((q) => eps(1.1, q, 100));
    for (let i = 1; i < byRate.length; i++) expect(byRate[i]).toBeGreaterThan(byRate[i - 1]!);
  });
  it('increases as δ shrinks', () => {
    expect(eps(1.1, 0.01, 1000, 1e-7)).toBeGreaterThan(eps(1.1, 0.01, 1000, 1e-5));
  });
  it('matches the dp_accounting formulas evaluated with scipy over DEFAULT_ORDERS', () => {
    const { epsilon, order } = computeEpsilon({ noiseMultiplier: 1.1, samplingRate: 0.01, steps: 1000, delta: 1e-5 });
    expect(Math.abs(epsilon / 1.7117701662429012 - 1)).toBeLessThan(1e-10);
    expect(order).toBe(9.6);
  });
});

describe('calibrateNoise', () => {
  for (const [target, q, steps] of [[1, 0.01, 1000], [8, 0.004, 10_000], [0.5, 1, 10]] as const) {
    it(`round trip: ε ≤ ${target} at the returned σ, and > ${target} just below it (q = ${q}, ${steps} steps)`, () => {
      const tolerance = 1e-6;
      const sigma = calibrateNoise({ targetEpsilon: target, delta: 1e-5, samplingRate: q, steps, tolerance });
      expect(eps(sigma, q, steps)).toBeLessThanOrEqual(target);
      expect(eps(sigma * (1 - 2 * tolerance), q, steps)).toBeGreaterThan(target);
    });
  }

  it('returns 1e-3 when even that meets the target, and refuses unreachable targets', () => {
    expect(calibrateNoise({ targetEpsilon: 1e9, delta: 1e-5, samplingRate: 0.01, steps: 1 })).toBe(1e-3);
    expect(code(() => calibrateNoise({ targetEpsilon: 1e-4, delta: 1e-12, samplingRate: 1, steps: 1_000_000 }))).toBe('CONFIG_INVALID');
  });

  it('refuses bad inputs', () => {
    const base = { targetEpsilon: 1, delta: 1e-5, samplingRate: 0.01, steps: 100 };
    expect(code(() => calibrateNoise({ ...base, targetEpsilon: 0 }))).toBe('CONFIG_INVALID');
    expect(code(() => calibrateNoise({ ...base, delta: 0 }))).toBe('CONFIG_INVALID');
    expect(code(() => calibrateNoise({ ...base, samplingRate: 0 }))).toBe('CONFIG_INVALID');
    expect(code(() => calibrateNoise({ ...base, samplingRate: 2 }))).toBe('CONFIG_INVALID');
    expect(code(() => calibrateNoise({ ...base, steps: 0 }))).toBe('CONFIG_INVALID');
    expect(code(() => calibrateNoise({ ...base, steps: 1.5 }))).toBe('CONFIG_INVALID');
    expect(code(() => calibrateNoise({ ...base, tolerance: 1 }))).toBe('CONFIG_INVALID');
  });
});
