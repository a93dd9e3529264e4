import { describe, expect, it } from 'vitest';
import { isCohortError } from '@cohortfl/wire';
import { createDiscreteGaussianSampler, sampleDiscreteGaussian } from './discrete-gaussian.js';
import { discreteGaussianMoments, discreteGaussianVariance } from './discrete-gaussian-moments.js';
import { sampleDiscreteLaplace } from './discrete-laplace.js';
import { createSeededRandom } from './random.js';
import { roundSigmaSquared } from './sigma-rational.js';

const code = (fn: () => unknown): string | undefined => {
  try {
    fn();
  } catch (error) {
    return isCohortError(error) ? error.code : 'NOT_COHORT_ERROR';
  }
  return undefined;
};

/** Mean and mean square (the mean is known to be 0, so E[Y²] estimates the variance). */
function moments(values: ArrayLike<number>): { mean: number; meanSquare: number } {
  let sum = 0;
  let squares = 0;
  for (let i = 0; i < values.length; i++) {
    sum += values[i]!;
    squares += values[i]! * values[i]!;
  }
  return { mean: sum / values.length, meanSquare: squares / values.length };
}

describe('discrete Gaussian moments (series)', () => {
  it('matches 40-digit mpmath sums', () => {
    // Σ y^k e^{−y²/(2σ²)} / Σ e^{−y²/(2σ²)} over Z, computed with mpmath.nsum at 40 digits.
    expect(discreteGaussianVariance(0.25)).toBeCloseTo(0.21501267508813849, 14);
    expect(discreteGaussianMoments(0.25).fourthMoment).toBeCloseTo(0.22134716196854497, 14);
    expect(discreteGaussianVariance(1)).toBeCloseTo(0.99999978876772808, 14);
    expect(discreteGaussianMoments(1).fourthMoment).toBeCloseTo(3.0000070717222108, 13);
    expect(discreteGaussianVariance(1e4) / 1e4).toBeCloseTo(1, 12);
    expect(discreteGaussianVariance(1e9)).toBe(1e9);
    expect(code(() => discreteGaussianVariance(0))).toBe('CONFIG_INVALID');
    expect(code(() => discreteGaussianVariance(Number.NaN))).toBe('CONFIG_INVALID');
  });
});

describe('exact discrete Gaussian sampler', () => {
  const N = 200_000;
  for (const sigma2 of [0.25, 1, 10, 1e4]) {
    it(`σ² = ${sigma2}: mean 0 and variance (series) within 6 standard errors over ${N} draws`, () => {
      const sample = sampleDiscreteGaussian(sigma2, N, createSeededRandom(`dg-${sigma2}`));
      const { variance, fourthMoment } = discreteGaussianMoments(sigma2);
      const { mean, meanSquare } = moments(sample);
      expect(Math.abs(mean)).toBeLessThan(6 * Math.sqrt(variance / N));
      // Var(Y²) = E[Y⁴] − (E[Y²])², exact from the series.
      expect(Math.abs(meanSquare - variance)).toBeLessThan(6 * Math.sqrt((fourthMoment - variance * variance) / N));
    });
  }

  it('σ² = 0.25: the variance really is below σ² (the sample rejects 0.25 by > 20 standard errors)', () => {
    const sample = sampleDiscreteGaussian(0.25, N, createSeededRandom('dg-small'));
    const { variance, fourthMoment } = discreteGaussianMoments(0.25);
    expect(variance).toBeLessThan(0.25);
    const se = Math.sqrt((fourthMoment - variance * variance) / N);
    expect(0.25 - moments(sample).meanSquare).toBeGreaterThan(20 * se);
  });

  it('σ² = 2: the frequencies of −5…5 and both tails fit the pmf (chi-square, p > 1e-6)', () => {
    const sample = sampleDiscreteGaussian(2, N, createSeededRandom('dg-chi2'));
    const weight = (y: number) => Math.exp(-(y * y) / 4);
    let mass = 0;
    for (let y = -60; y <= 60; y++) mass += weight(y);
    const bins = new Map<number, number>();
    for (const y of sample) {
      const bin = Math.max(-6, Math.min(6, y));
      bins.set(bin, (bins.get(bin) ?? 0) + 1);
    }
    let chi2 = 0;
    for (let bin = -6; bin <= 6; bin++) {
      let p = 0;
      if (Math.abs(bin) < 6) p = weight(bin) / mass;
      else for (let y = 6; y <= 60; y++) p += weight(y) / mass;
      const expected = p * N;
      chi2 += ((bins.get(bin) ?? 0) - expected) ** 2 / expected;
    }
    expect(chi2).toBeLessThan(52.75); // chi-square(12) quantile at 1 − 1e-6
  });

  it('σ² = 1e8 (bigint accept path): mean and variance within 6 standard errors', () => {
    const n = 50_000;
    const sample = sampleDiscreteGaussian(1e8, n, createSeededRandom('dg-big'));
    const { mean, meanSquare } = moments(sample);
    expect(Math.abs(mean)).toBeLessThan(6 * Math.sqrt(1e8 / n));
    expect(Math.abs(meanSquare - 1e8)).toBeLessThan(6 * Math.sqrt((3e16 - 1e16) / n));
  });

  it('sums of n shares of variance σ²/n have variance σ² (distributed noise)', () => {
    const shares = 10;
    const sums = 20_000;
    const perShare = 10; // σ² = 100 in total
    const sampler = createDiscreteGaussianSampler(perShare, createSeededRandom('dg-shares'));
    const total = new Float64Array(sums);
    for (let k = 0; k < shares; k++) {
      const draw = sampler.sample(sums);
      for (let i = 0; i < sums; i++) total[i]! += draw[i]!;
    }
    const { variance, fourthMoment } = discreteGaussianMoments(perShare);
    const sumVariance = shares * variance;
    // Sum of n iid zero-mean terms: E[S⁴] = n·μ4 + 3n(n−1)·μ2².
    const sumFourth = shares * fourthMoment + 3 * shares * (shares - 1) * variance * variance;
    expect(Math.abs(sumVariance - 100)).toBeLessThan(1e-9);
    const { mean, meanSquare } = moments(total);
    expect(Math.abs(mean)).toBeLessThan(6 * Math.sqrt(sumVariance / sums));
    expect(Math.abs(meanSquare - sumVariance)).toBeLessThan(6 * Math.sqrt((sumFourth - sumVariance ** 2) / sums));
  });

  it('returns the requested count, reproducibly for a seed, and uses the rounded σ²', () => {
    const a = sampleDiscreteGaussian(3, 1_000, createSeededRandom('same'));
    const b = sampleDiscreteGaussian(3, 1_000, createSeededRandom('same'));
    expect(a).toBeInstanceOf(Int32Array);
    expect(a.length).toBe(1_000);
    expect(Array.from(a)).toEqual(Array.from(b));
    expect(sampleDiscreteGaussian(1, 0).length).toBe(0);
    const third = createDiscreteGaussianSampler(1 / 3, createSeededRandom('x'));
    expect(third.sigmaSquared).toBeGreaterThanOrEqual(1 / 3);
    expect(third.sigmaSquared / (1 / 3) - 1).toBeLessThan(2 ** -19);
    expect(third.laplaceScale).toBe(1);
    expect(createDiscreteGaussianSampler(1e4).laplaceScale).toBe(101);
    expect(createDiscreteGaussianSampler(99.99).laplaceScale).toBe(10);
  });

  it('draws nothing but zeros at the smallest σ² (2^-20)', () => {
    expect(sampleDiscreteGaussian(2 ** -20, 1_000, createSeededRandom('tiny')).every((v) => v === 0)).toBe(true);
  });

  it('refuses bad σ² and counts', () => {
    for (const s2 of [0, -1, Number.NaN, Number.POSITIVE_INFINITY, 2 ** -21, 2 ** 41]) {
      expect(code(() => sampleDiscreteGaussian(s2, 1))).toBe('CONFIG_INVALID');
    }
    for (const count of [-1, 1.5, Number.NaN]) expect(code(() => sampleDiscreteGaussian(1, count))).toBe('CONFIG_INVALID');
  });
});

describe('σ² as a rational', () => {
  it('keeps dyadic values exactly and rounds others up by < 2^-19 relative', () => {
    expect(roundSigmaSquared(0.25)).toEqual({ value: 0.25, numerator: 1, denominator: 4 });
    expect(roundSigmaSquared(10)).toEqual({ value: 10, numerator: 10, denominator: 1 });
    expect(roundSigmaSquared(1e4)).toEqual({ value: 1e4, numerator: 1e4, denominator: 1 });
    for (const s2 of [0.1, 1 / 3, 1234.5678, 7e5 + 0.3, 2 ** -20 * 3.7]) {
      const r = roundSigmaSquared(s2);
      expect(r.numerator / r.denominator).toBe(r.value);
      expect(r.value).toBeGreaterThanOrEqual(s2);
      expect(r.value / s2 - 1).toBeLessThan(2 ** -19);
      expect(Number.isInteger(Math.log2(r.denominator))).toBe(true);
    }
  });
});

describe('discrete Laplace (geometric method)', () => {
  it('has mean 0 and variance 2e^{-1/t}/(1 − e^{-1/t})² within 6 standard errors', () => {
    const t = 3;
    const n = 100_000;
    const sample = sampleDiscreteLaplace(t, n, createSeededRandom('dlap'));
    const r = Math.exp(-1 / t);
    const variance = (2 * r) / (1 - r) ** 2;
    // E[Y⁴] by summing the pmf r^|y| / Σ r^|y|.
    let z = 1;
    let m4 = 0;
    for (let y = 1; y < 2_000; y++) {
      z += 2 * r ** y;
      m4 += 2 * y ** 4 * r ** y;
    }
    m4 /= z;
    const { mean, meanSquare } = moments(sample);
    expect(Math.abs(mean)).toBeLessThan(6 * Math.sqrt(variance / n));
    expect(Math.abs(meanSquare - variance)).toBeLessThan(6 * Math.sqrt((m4 - variance ** 2) / n));
    expect(code(() => sampleDiscreteLaplace(0, 1))).toBe('CONFIG_INVALID');
    expect(code(() => sampleDiscreteLaplace(1.5, 1))).toBe('CONFIG_INVALID');
  });
});
