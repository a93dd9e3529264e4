import { describe, expect, it } from 'vitest';
import { isCohortError } from '@cohortfl/wire';
import { computeEpsilon } from './accountant.js';
import {
  accountDistributedDiscreteGaussian,
  ddgTau,
  distributedDiscreteGaussianRdp,
  roundedL2NormBound,
} from './distributed-discrete-gaussian.js';
import { DEFAULT_ORDERS } from './rdp-orders.js';
import { accountGaussianSiteLevel } from './site-level-gaussian.js';

const code = (fn: () => unknown): string | undefined => {
  try {
    fn();
  } catch (error) {
    return isCohortError(error) ? error.code : 'NOT_COHORT_ERROR';
  }
  return undefined;
};

const BASE = { l2Clip: 1, grid: 1 / 1024, dimension: 1000, perSiteVariance: 1e5, minSites: 10, rounds: 100, delta: 1e-5 };

describe('distributed discrete Gaussian: building blocks', () => {
  it('rounding inflation: c + √d plainly, the conditional bound when smaller', () => {
    expect(roundedL2NormBound(64, 1000, 0)).toBe(64 + Math.sqrt(1000));
    // β = e^{-1/2} makes √(2 log(1/β)) = 1.
    const conditional = Math.sqrt(64 * 64 + 1000 / 4 + 1 * (64 + Math.sqrt(1000) / 2));
    expect(roundedL2NormBound(64, 1000, Math.exp(-0.5))).toBeCloseTo(conditional, 12);
    // Tiny β: the conditional bound exceeds the plain one, which then holds.
    expect(roundedL2NormBound(1, 4, 1e-300)).toBe(3);
  });

  it('τ is 0 for one site and 10·Σ e^{−2π²σ²k/(k+1)} otherwise', () => {
    expect(ddgTau(1, 1)).toBe(0);
    expect(ddgTau(1, 2)).toBeCloseTo(10 * Math.exp(-Math.PI * Math.PI), 18);
    expect(ddgTau(1, 3)).toBeCloseTo(10 * (Math.exp(-(Math.PI ** 2)) + Math.exp(-(2 * Math.PI ** 2 * 2) / 3)), 18);
  });

  it('with one site it is the discrete Gaussian: RDP = α·Δ²/(2σ²) per round, Δ = C/γ + √d', () => {
    const r = distributedDiscreteGaussianRdp({ ...BASE, minSites: 1, rounds: 3, orders: [2, 7.5] });
    const delta = 1024 + Math.sqrt(1000);
    expect(r.tau).toBe(0);
    expect(r.sensitivityGrid).toBe(delta);
    expect(r.sensitivity).toBeCloseTo(delta / 1024, 15);
    expect(r.rdp[0]).toBeCloseTo((3 * 2 * delta * delta) / (2 * 1e5), 12);
    expect(r.rdp[1]).toBeCloseTo((3 * 7.5 * delta * delta) / (2 * 1e5), 12);
  });
});

describe('distributed discrete Gaussian: ε', () => {
  it('matches the authors\' formulas (accounting_utils.py) evaluated in Python/scipy', () => {
    // (C, γ, d, σ_g², n, rounds, q, β) → (ε, order) at δ = 1e-5 over DEFAULT_ORDERS.
    const cases = [
      { p: [1, 1 / 64, 1000, 400, 10, 100, 1, 0], epsilon: 184.62090893105136, order: 1.3 },
      { p: [1, 1 / 64, 1000, 400, 10, 100, 1, Math.exp(-0.5)], epsilon: 104.10027195569678, order: 1.5 },
      { p: [1, 1 / 64, 1000, 2, 5, 50, 1, 0], epsilon: 25256.996960951285, order: 1.1 },
      { p: [1, 1 / 64, 1000, 400, 10, 100, 0.3, 0], epsilon: 68.63457234392355, order: 2 },
    ];
    for (const { p, epsilon, order } of cases) {
      const [l2Clip, grid, dimension, perSiteVariance, minSites, rounds, samplingRate, roundingBeta] = p as [number, number, number, number, number, number, number, number];
      const r = accountDistributedDiscreteGaussian({ l2Clip, grid, dimension, perSiteVariance, minSites, rounds, samplingRate, roundingBeta, delta: 1e-5 });
      expect(Math.abs(r.epsilon / epsilon - 1)).toBeLessThan(1e-10);
      expect(r.order).toBe(order);
    }
  });

  it('is never better than the central continuous Gaussian with the same total noise and unrounded sensitivity', () => {
    for (const minSites of [2, 10, 100]) {
      for (const perSiteVariance of [1, 10, 1e4]) {
        const ddg = accountDistributedDiscreteGaussian({ ...BASE, minSites, perSiteVariance });
        const central = computeEpsilon({ noiseMultiplier: (Math.sqrt(minSites * perSiteVariance) / 1024), samplingRate: 1, steps: BASE.rounds, delta: BASE.delta });
        expect(ddg.epsilon).toBeGreaterThanOrEqual(central.epsilon);
      }
    }
  });

  it('approaches that Gaussian when the noise is large on the grid (τ ≈ 0) and the rounding small', () => {
    const ddg = accountDistributedDiscreteGaussian({ ...BASE, grid: 1 / 2 ** 20, perSiteVariance: 2 ** 40 / 10, dimension: 100 });
    const central = computeEpsilon({ noiseMultiplier: 1, samplingRate: 1, steps: BASE.rounds, delta: BASE.delta });
    expect(ddg.tau).toBe(0);
    expect(Math.abs(ddg.epsilon / central.epsilon - 1)).toBeLessThan(1e-4);
  });

  it('improves with more sites, fewer rounds, subsampling and conditional rounding', () => {
    const e = (over: object) => accountDistributedDiscreteGaussian({ ...BASE, ...over }).epsilon;
    expect(e({ minSites: 20 })).toBeLessThan(e({ minSites: 10 }));
    expect(e({ rounds: 50 })).toBeLessThan(e({ rounds: 100 }));
    expect(e({ samplingRate: 0.1 })).toBeLessThan(e({ samplingRate: 1 }));
    expect(e({ roundingBeta: Math.exp(-0.5) })).toBeLessThan(e({ roundingBeta: 0 }));
    expect(e({ samplingRate: 0 })).toBe(0);
    expect(e({ rounds: 0 })).toBe(0);
  });

  it('subsampled, at a fractional order, is bounded by the next integer order', () => {
    const r = distributedDiscreteGaussianRdp({ ...BASE, samplingRate: 0.2, orders: [2.5, 3] });
    expect(r.rdp[0]).toBeLessThanOrEqual(r.rdp[1]!);
  });

  it('refuses bad parameters', () => {
    const bad = [
      { perSiteVariance: 0.5 },
      { minSites: 0 },
      { minSites: 2.5 },
      { grid: 0 },
      { l2Clip: -1 },
      { dimension: 0 },
      { dimension: 10.5 },
      { rounds: -1 },
      { samplingRate: 1.2 },
      { roundingBeta: 1 },
      { roundingBeta: -0.1 },
      { delta: 0 },
      { orders: [0.5] },
    ];
    for (const over of bad) expect(code(() => accountDistributedDiscreteGaussian({ ...BASE, ...over }))).toBe('CONFIG_INVALID');
  });
});

describe('site-level Gaussian (plaintext local DP)', () => {
  it('is the Gaussian mechanism composed over rounds: RDP = rounds·α/(2z²)', () => {
    const r = accountGaussianSiteLevel({ noiseMultiplier: 5, rounds: 20, delta: 1e-5 });
    r.rdp.forEach((v, k) => expect(v).toBeCloseTo((20 * DEFAULT_ORDERS[k]!) / 50, 12));
    expect(r.epsilon).toBe(computeEpsilon({ noiseMultiplier: 5, samplingRate: 1, steps: 20, delta: 1e-5 }).epsilon);
    const sampled = accountGaussianSiteLevel({ noiseMultiplier: 5, rounds: 20, delta: 1e-5, samplingRate: 0.1 });
    expect(sampled.epsilon).toBeLessThan(r.epsilon);
    expect(code(() => accountGaussianSiteLevel({ noiseMultiplier: 5, rounds: 20, delta: 2 }))).toBe('CONFIG_INVALID');
    expect(code(() => accountGaussianSiteLevel({ noiseMultiplier: -5, rounds: 20, delta: 1e-5 }))).toBe('CONFIG_INVALID');
  });
});
