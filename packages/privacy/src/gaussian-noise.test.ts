import { describe, expect, it } from 'vitest';
import { isCohortError } from '@cohortfl/wire';
import { gaussianNoise } from './gaussian-noise.js';
import { createSeededRandom } from './random.js';

describe('continuous Gaussian noise (Box–Muller)', () => {
  it('has mean 0, variance σ² and P(|Z| < σ) = 0.6827 within 6 standard errors', () => {
    const n = 200_001; // odd: the last value comes from a half-used pair
    const sigma = 2.5;
    const z = gaussianNoise(n, sigma, createSeededRandom('gauss'));
    expect(z.length).toBe(n);
    let sum = 0;
    let squares = 0;
    let inside = 0;
    for (const v of z) {
      sum += v;
      squares += v * v;
      if (Math.abs(v) < sigma) inside++;
    }
    const s2 = sigma * sigma;
    expect(Math.abs(sum / n)).toBeLessThan(6 * Math.sqrt(s2 / n));
    expect(Math.abs(squares / n - s2)).toBeLessThan(6 * Math.sqrt((2 * s2 * s2) / n));
    const p = 0.6826894921370859; // erf(1/√2)
    expect(Math.abs(inside / n - p)).toBeLessThan(6 * Math.sqrt((p * (1 - p)) / n));
    expect(z[n - 1]).not.toBe(0);
  });

  it('gives zeros for σ = 0 and refuses bad arguments', () => {
    expect(Array.from(gaussianNoise(3, 0))).toEqual([0, 0, 0]);
    for (const [count, sigma] of [[-1, 1], [1.5, 1], [3, -1], [3, Number.NaN], [3, Number.POSITIVE_INFINITY]] as const) {
      let caught: unknown;
      try {
        gaussianNoise(count, sigma);
      } catch (error) {
        caught = error;
      }
      expect(isCohortError(caught, 'CONFIG_INVALID')).toBe(true);
    }
  });
});
