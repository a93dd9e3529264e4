import { describe, expect, it } from 'vitest';
import { isCohortError } from '@cohortfl/wire';
import { createSecureRandom, createSeededRandom, uniformBigInt } from './random.js';

const code = (fn: () => unknown): string | undefined => {
  try {
    fn();
  } catch (error) {
    return isCohortError(error) ? error.code : 'NOT_COHORT_ERROR';
  }
  return undefined;
};

describe('random sources', () => {
  it('draws uniform integers: every value of [0, 7) equally often (chi-square, p > 1e-6)', () => {
    const rng = createSeededRandom('uniform-int');
    const counts = new Array<number>(7).fill(0);
    const n = 70_000;
    for (let i = 0; i < n; i++) counts[rng.uniformInt(7)]! += 1;
    const expected = n / 7;
    const chi2 = counts.reduce((s, c) => s + (c - expected) ** 2 / expected, 0);
    expect(chi2).toBeLessThan(38.26); // chi-square(6) quantile at 1 − 1e-6
  });

  it('stays in range for n = 1, 2^32 and 2^40', () => {
    const rng = createSeededRandom('ranges');
    expect(rng.uniformInt(1)).toBe(0);
    let maxA = 0;
    let maxB = 0;
    let minA = Infinity;
    for (let i = 0; i < 2_000; i++) {
      const a = rng.uniformInt(2 ** 32);
      const b = rng.uniformInt(2 ** 40);
      minA = Math.min(minA, a);
      maxA = Math.max(maxA, a);
      maxB = Math.max(maxB, b);
    }
    expect(minA).toBeGreaterThanOrEqual(0);
    expect(maxA).toBeLessThan(2 ** 32);
    expect(maxB).toBeLessThan(2 ** 40);
    expect(maxB).toBeGreaterThan(2 ** 39); // the high bits are used
    const big = uniformBigInt(rng, 10n ** 30n);
    expect(big >= 0n && big < 10n ** 30n).toBe(true);
  });

  it('draws uniform doubles in [0, 1) with mean 1/2 (6 standard errors)', () => {
    const rng = createSeededRandom('double');
    const n = 100_000;
    let sum = 0;
    let min = 1;
    let max = 0;
    for (let i = 0; i < n; i++) {
      const u = rng.uniformDouble();
      sum += u;
      min = Math.min(min, u);
      max = Math.max(max, u);
    }
    expect(min).toBeGreaterThanOrEqual(0);
    expect(max).toBeLessThan(1);
    expect(Math.abs(sum / n - 0.5)).toBeLessThan(6 * Math.sqrt(1 / 12 / n));
  });

  it('draws exact Bernoulli(p) for rational p, as numbers and as bigints', () => {
    const rng = createSeededRandom('bernoulli');
    const n = 100_000;
    for (const [num, den] of [[3, 7], [1n, 3n], [10n ** 30n + 1n, 3n * 10n ** 30n]] as const) {
      let hits = 0;
      for (let i = 0; i < n; i++) if (rng.bernoulli(num, den)) hits++;
      const p = Number(num) / Number(den);
      expect(Math.abs(hits / n - p)).toBeLessThan(6 * Math.sqrt((p * (1 - p)) / n));
    }
    expect(rng.bernoulli(0, 5)).toBe(false);
    expect(rng.bernoulli(5, 5)).toBe(true);
  });

  it('refuses malformed draws', () => {
    const rng = createSeededRandom('bad');
    expect(code(() => rng.bernoulli(4, 3))).toBe('CONFIG_INVALID');
    expect(code(() => rng.bernoulli(1, 0))).toBe('CONFIG_INVALID');
    expect(code(() => rng.bernoulli(0.5, 1))).toBe('CONFIG_INVALID');
    expect(code(() => rng.bernoulli(-1n, 3n))).toBe('CONFIG_INVALID');
    expect(code(() => rng.bernoulli(0.5, 3n))).toBe('CONFIG_INVALID');
    expect(code(() => rng.uniformInt(0))).toBe('CONFIG_INVALID');
    expect(code(() => rng.uniformInt(2.5))).toBe('CONFIG_INVALID');
  });

  it('reproduces a seeded stream and separates seeds; the secure source is not repeatable', () => {
    const take = (rng: { nextUint32(): number }) => Array.from({ length: 8 }, () => rng.nextUint32());
    expect(take(createSeededRandom(42))).toEqual(take(createSeededRandom(42)));
    expect(take(createSeededRandom(42))).not.toEqual(take(createSeededRandom(43)));
    expect(take(createSecureRandom())).not.toEqual(take(createSecureRandom()));
    // Words span the full 32-bit range across a pool refill.
    const rng = createSecureRandom();
    let max = 0;
    for (let i = 0; i < 40_000; i++) max = Math.max(max, rng.nextUint32());
    expect(max).toBeGreaterThan(2 ** 31);
    expect(max).toBeLessThan(2 ** 32);
  });
});
