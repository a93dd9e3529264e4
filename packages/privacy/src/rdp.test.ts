import { describe, expect, it } from 'vitest';
import { isCohortError } from '@cohortfl/wire';
import { computeEpsilon } from './accountant.js';
import { composeRdp, rdpToEpsilon, rdpToEpsilonMironov2017 } from './rdp-conversion.js';
import { DEFAULT_ORDERS } from './rdp-orders.js';
import { computeRdp, logAFractional, logAInteger } from './rdp-subsampled-gaussian.js';

const code = (fn: () => unknown): string | undefined => {
  try {
    fn();
  } catch (error) {
    return isCohortError(error) ? error.code : 'NOT_COHORT_ERROR';
  }
  return undefined;
};

/** |actual/expected − 1| ≤ tol. */
const expectRelative = (actual: number, expected: number, tol: number) => {
  expect(Math.abs(actual / expected - 1)).toBeLessThanOrEqual(tol);
};

// Orders of TensorFlow Privacy's compute_dp_sgd_privacy_lib (and its test).
const TF_ORDERS = [1.25, 1.5, 1.75, 2, 2.25, 2.5, 3, 3.5, 4, 4.5, ...Array.from({ length: 59 }, (_, i) => 5 + i), 128, 256, 512];

// tensorflow/privacy, tensorflow_privacy/privacy/analysis/compute_dp_sgd_privacy_test.py,
// test_compute_dp_sgd_privacy: (n, batch, σ, epochs, δ) → (ε, order); q = batch/n,
// steps = ⌈epochs·n/batch⌉. "current" = today's file (dp_accounting conversion);
// "classic" = the same test before TF Privacy moved to it (ε = RDP − log δ/(α−1)).
const TF_CASES = [
  { n: 60_000, batch: 150, sigma: 1.3, epochs: 15, delta: 1e-5, current: 0.7242234026109595, classic: 0.941870567, order: 19 },
  { n: 100_000, batch: 100, sigma: 1.0, epochs: 30, delta: 1e-7, current: 1.4154988495444845, classic: 1.70928734, order: 13 },
  { n: 100_000_000, batch: 1024, sigma: 0.1, epochs: 10, delta: 1e-7, current: 5907982.31138195, classic: 5907984.81339406, order: 1.25 },
];

describe('RDP accountant: published reference values', () => {
  for (const c of TF_CASES) {
    const q = c.batch / c.n;
    const steps = Math.ceil((c.epochs * c.n) / c.batch);
    const rdp = computeRdp({ noiseMultiplier: c.sigma, samplingRate: q, steps, orders: TF_ORDERS });
    it(`TF Privacy: q = ${c.batch}/${c.n}, σ = ${c.sigma}, ${steps} steps, δ = ${c.delta} → ε = ${c.current} at order ${c.order} (current conversion)`, () => {
      const { epsilon, order } = rdpToEpsilon(TF_ORDERS, rdp, c.delta);
      expectRelative(epsilon, c.current, 1e-9);
      expect(order).toBe(c.order);
    });
    it(`…and ε = ${c.classic} with the classic conversion TF Privacy published before`, () => {
      const { epsilon, order } = rdpToEpsilonMironov2017(TF_ORDERS, rdp, c.delta);
      expectRelative(epsilon, c.classic, 1e-8);
      expect(order).toBe(c.order);
    });
  }

  it('dp_accounting test_compute_rdp_poisson_sampled_gaussian: q = 0.01, σ = 2.5, 50 steps', () => {
    // google/differential-privacy, python/dp_accounting/dp_accounting/rdp/rdp_privacy_accountant_test.py
    const rdp = computeRdp({ noiseMultiplier: 2.5, samplingRate: 0.01, steps: 50, orders: [1.5, 2.5, 5, 50, 100] });
    const expected = [6.70579741e-4, 1.0854871e-3, 2.18075656e-3, 2.38460375e-2, 1.67416308e2];
    expected.forEach((e, k) => expectRelative(rdp[k]!, e, 1e-8));
  });

  it('dp_accounting test_compute_epsilon_delta_pure_dp: RDP 1.1 at orders 2…32, δ = 1e-5 → ε = 1.32783806176 at 32', () => {
    const orders = Array.from({ length: 31 }, (_, i) => i + 2);
    const { epsilon, order } = rdpToEpsilon(orders, new Array<number>(31).fill(1.1), 1e-5);
    expectRelative(epsilon, 1.32783806176, 1e-10);
    expect(order).toBe(32);
  });

  it('dp_accounting test_compute_epsilon_delta_gaussian: σ = 4.530877117 gives exactly (1, 1e-6)-DP', () => {
    const orders = Array.from({ length: 98_999 }, (_, i) => 0.001 * (i + 1001));
    const rdp = computeRdp({ noiseMultiplier: 4.530877117, samplingRate: 1, steps: 1, orders });
    expect(rdpToEpsilon(orders, rdp, 1e-6).epsilon).toBeCloseTo(1, 7);
  });

  it('DEFAULT_ORDERS are dp_accounting DEFAULT_RDP_ORDERS', () => {
    expect(DEFAULT_ORDERS.length).toBe(156);
    expect(DEFAULT_ORDERS.slice(0, 3)).toEqual([1.1, 1.2, 1 + 3 / 10]);
    expect(DEFAULT_ORDERS[98]).toBe(1 + 99 / 10);
    expect(DEFAULT_ORDERS.slice(99, 101)).toEqual([11, 12]);
    expect(DEFAULT_ORDERS.slice(-5)).toEqual([63, 128, 256, 512, 1024]);
  });
});

describe('RDP of the sampled Gaussian: the log A_α series', () => {
  // log A_α by 30-digit mpmath quadrature of E_{μ0}[(μ/μ0)^α] (as dp_accounting's
  // test_compute_log_a_equals_mp does), and by dp_accounting's own formulas evaluated
  // with scipy (gammaln, log_ndtr). The fractional series sums |C(α,i)|, so it is an
  // upper bound that is within 1e-3 of the integral.
  const cases = [
    { q: 1e-4, sigma: 1, alpha: 1.5, integral: 6.442686970363956e-9, formula: 6.445198025030585e-9 },
    { q: 0.01, sigma: 1.1, alpha: 9.6, integral: 0.0064160681168229875, formula: 0.006416068762035739 },
    { q: 0.05, sigma: 2, alpha: 3.3, integral: 0.0027459186450775616, formula: 0.0027460623918400635 },
    { q: 0.2, sigma: 0.8, alpha: 4.7, integral: 6.086814791807165, formula: 6.086816312892785 },
  ];
  for (const c of cases) {
    it(`fractional α = ${c.alpha}, q = ${c.q}, σ = ${c.sigma}`, () => {
      const logA = logAFractional(c.q, c.sigma, c.alpha);
      expectRelative(logA, c.formula, 1e-9);
      expect(logA).toBeGreaterThanOrEqual(c.integral * (1 - 1e-9));
      expectRelative(logA, c.integral, 1e-3);
    });
  }
  it('integer orders match the integral', () => {
    expectRelative(logAInteger(1e-3, 1, 2), 1.7182803522127806e-6, 1e-10);
    expectRelative(logAInteger(0.01, 10, 20), 0.00019129699912825616, 1e-10);
  });

  it('takes the closed forms at the ends: q = 1, q = 0, σ = 0, steps = 0', () => {
    const orders = [1.5, 2, 32];
    expect(computeRdp({ noiseMultiplier: 2, samplingRate: 1, steps: 3, orders })).toEqual(orders.map((a) => (3 * a) / 8));
    expect(computeRdp({ noiseMultiplier: 2, samplingRate: 0, steps: 3, orders })).toEqual([0, 0, 0]);
    expect(computeRdp({ noiseMultiplier: 0, samplingRate: 0.5, steps: 3, orders })).toEqual([Infinity, Infinity, Infinity]);
    expect(computeRdp({ noiseMultiplier: 0, samplingRate: 0, steps: 3, orders })).toEqual([0, 0, 0]);
    expect(computeRdp({ noiseMultiplier: 0, samplingRate: 0.5, steps: 0, orders })).toEqual([0, 0, 0]);
    expect(computeEpsilon({ noiseMultiplier: 0, samplingRate: 0.5, steps: 1, delta: 1e-5 }).epsilon).toBe(Infinity);
  });
});

describe('RDP to (ε, δ)', () => {
  it('the current conversion is below the classic one at every order > 1.01', () => {
    const orders = [1.02, 1.5, 2, 8, 64];
    const rdp = [0.01, 0.2, 0.5, 1, 3];
    for (let k = 0; k < orders.length; k++) {
      const a = orders[k]!;
      expect(rdpToEpsilon([a], [rdp[k]!], 1e-5).epsilon).toBeLessThan(rdpToEpsilonMironov2017([a], [rdp[k]!], 1e-5).epsilon);
      expectRelative(
        rdpToEpsilonMironov2017([a], [rdp[k]!], 1e-5).epsilon - rdpToEpsilon([a], [rdp[k]!], 1e-5).epsilon,
        Math.log(a) / (a - 1) - Math.log1p(-1 / a),
        1e-12,
      );
    }
  });

  it('uses the KL bound (ε = 0) when δ ≥ √(1 − e^{−RDP}), and ∞ at orders ≤ 1.01', () => {
    expect(rdpToEpsilon([2], [1e-6], 0.01)).toEqual({ epsilon: 0, order: 2 });
    expect(rdpToEpsilon([1.005], [0.5], 1e-5).epsilon).toBe(Infinity);
    expect(rdpToEpsilon([2, 3], [Infinity, Infinity], 1e-5).epsilon).toBe(Infinity);
  });

  it('composes by adding RDP: two runs of 500 steps equal one of 1000', () => {
    const a = computeRdp({ noiseMultiplier: 1.1, samplingRate: 0.01, steps: 500 });
    const b = computeRdp({ noiseMultiplier: 1.1, samplingRate: 0.01, steps: 1000 });
    composeRdp(a, a).forEach((r, k) => expectRelative(r, b[k]!, 1e-12));
    expect(code(() => composeRdp(a, [1, 2]))).toBe('CONFIG_INVALID');
    expect(code(() => composeRdp())).toBe('CONFIG_INVALID');
    expect(code(() => composeRdp([Number.NaN]))).toBe('CONFIG_INVALID');
  });

  it('refuses bad inputs', () => {
    const base = { noiseMultiplier: 1, samplingRate: 0.1, steps: 10 };
    expect(code(() => computeRdp({ ...base, samplingRate: 1.5 }))).toBe('CONFIG_INVALID');
    expect(code(() => computeRdp({ ...base, samplingRate: -0.1 }))).toBe('CONFIG_INVALID');
    expect(code(() => computeRdp({ ...base, noiseMultiplier: -1 }))).toBe('CONFIG_INVALID');
    expect(code(() => computeRdp({ ...base, noiseMultiplier: Number.NaN }))).toBe('CONFIG_INVALID');
    expect(code(() => computeRdp({ ...base, steps: 2.5 }))).toBe('CONFIG_INVALID');
    expect(code(() => computeRdp({ ...base, steps: -1 }))).toBe('CONFIG_INVALID');
    expect(code(() => computeRdp({ ...base, orders: [] }))).toBe('CONFIG_INVALID');
    expect(code(() => computeRdp({ ...base, orders: [1] }))).toBe('CONFIG_INVALID');
    expect(code(() => computeRdp({ ...base, orders: [2, Infinity] }))).toBe('CONFIG_INVALID');
    for (const delta of [0, 1, -1e-5, Number.NaN]) expect(code(() => rdpToEpsilon([2], [1], delta))).toBe('CONFIG_INVALID');
    expect(code(() => rdpToEpsilon([2, 3], [1], 1e-5))).toBe('CONFIG_INVALID');
    expect(code(() => rdpToEpsilon([2], [-0.1], 1e-5))).toBe('CONFIG_INVALID');
    expect(code(() => rdpToEpsilon([2], [Number.NaN], 1e-5))).toBe('CONFIG_INVALID');
  });
});
