import { describe, expect, it } from 'vitest';
import { isCohortError } from '@cohortfl/wire';
import { createBatchedDiscreteGaussianSampler, FAST_PATH_MARGIN } from './batched-discrete-gaussian.js';
import { createReferenceDiscreteGaussianSampler } from './discrete-gaussian.js';
import { discreteGaussianMoments } from './discrete-gaussian-moments.js';
import { decideExpExactly, expEnclosure } from './exp-enclosure.js';
import { createSeededRandom, type RandomSource } from './random.js';
import { logErfc } from './special-functions.js';

const code = (fn: () => unknown): string | undefined => {
  try {
    fn();
  } catch (error) {
    return isCohortError(error) ? error.code : 'NOT_COHORT_ERROR';
  }
  return undefined;
};

/** Upper 1e-6 quantile of chi-square(df), Wilson–Hilferty (within ~1% for df ≥ 5). */
const chi2Limit = (df: number): number => {
  const z = 4.753;
  const c = 2 / (9 * df);
  return df * (1 - c + z * Math.sqrt(c)) ** 3;
};

/** Mean and variance of `values` checked against the exact series moments (6 standard errors). */
function expectMoments(values: Int32Array, sigma2: number): void {
  const n = values.length;
  const { variance, fourthMoment } = discreteGaussianMoments(sigma2);
  let sum = 0;
  let squares = 0;
  for (const y of values) {
    sum += y;
    squares += y * y;
  }
  expect(Math.abs(sum / n)).toBeLessThan(6 * Math.sqrt(variance / n));
  expect(Math.abs(squares / n - variance)).toBeLessThan(6 * Math.sqrt((fourthMoment - variance * variance) / n));
}

/** Chi-square of the sample against the exact pmf ∝ exp(−y²/(2σ²)) on bins −r…r plus both tails. */
function chi2AgainstPmf(values: Int32Array, sigma2: number, r: number): { chi2: number; df: number } {
  const weight = (y: number) => Math.exp(-(y * y) / (2 * sigma2));
  const far = Math.ceil(40 * Math.sqrt(sigma2)) + r + 10;
  let mass = 0;
  for (let y = -far; y <= far; y++) mass += weight(y);
  const counts = new Map<number, number>();
  for (const y of values) {
    const bin = Math.max(-r - 1, Math.min(r + 1, y));
    counts.set(bin, (counts.get(bin) ?? 0) + 1);
  }
  let chi2 = 0;
  let bins = 0;
  for (let bin = -r - 1; bin <= r + 1; bin++) {
    let p = 0;
    if (Math.abs(bin) <= r) p = weight(bin) / mass;
    else for (let y = r + 1; y <= far; y++) p += weight(y) / mass;
    const expected = p * values.length;
    if (expected < 5) continue;
    chi2 += ((counts.get(bin) ?? 0) - expected) ** 2 / expected;
    bins++;
  }
  return { chi2, df: bins - 1 };
}

describe('batched exact discrete Gaussian sampler', () => {
  const N = 200_000;
  for (const [sigma2, r] of [[1, 4], [10, 12], [1000, 0]] as const) {
    it(`σ² = ${sigma2}: mean, variance (series) and a chi-square fit to the exact pmf over ${N} draws`, () => {
      const sampler = createBatchedDiscreteGaussianSampler(sigma2, createSeededRandom(`batched-${sigma2}`));
      const sample = sampler.sample(N);
      expectMoments(sample, sigma2);
      if (r > 0) {
        const { chi2, df } = chi2AgainstPmf(sample, sigma2, r);
        expect(df).toBeGreaterThanOrEqual(2 * r - 2);
        expect(chi2).toBeLessThan(chi2Limit(df));
      } else {
        // σ² = 1000: bins of width 4 around 0 (±120, then both tails).
        const weight = (y: number) => Math.exp(-(y * y) / (2 * sigma2));
        let mass = 0;
        for (let y = -2000; y <= 2000; y++) mass += weight(y);
        const width = 4;
        const half = 30;
        const counts = new Float64Array(2 * half + 2);
        const binOf = (y: number) => Math.max(-1, Math.min(2 * half, Math.floor(y / width) + half)) + 1;
        for (const y of sample) counts[binOf(y)]!++;
        const expected = new Float64Array(2 * half + 2);
        for (let y = -2000; y <= 2000; y++) expected[binOf(y)]! += (weight(y) / mass) * N;
        let chi2 = 0;
        for (let i = 0; i < counts.length; i++) chi2 += (counts[i]! - expected[i]!) ** 2 / expected[i]!;
        expect(chi2).toBeLessThan(chi2Limit(counts.length - 1));
      }
    });
  }

  it('σ² = 2.7e11 (the site-DP scale): variance and a chi-square on standardized bins, all on the fast path', () => {
    const sigma2 = 2.7e11;
    const n = 200_000;
    const sampler = createBatchedDiscreteGaussianSampler(sigma2, createSeededRandom('batched-large'));
    const sample = sampler.sample(n);
    // At σ ≈ 5.2e5 the discrete Gaussian's moments equal the continuous ones to double precision.
    expectMoments(sample, sampler.sigmaSquared);
    const sigma = Math.sqrt(sampler.sigmaSquared);
    // Bins on y/σ with edges −3, −2.5, …, 3; the normal CDF stands in for the pmf's sums
    // (their difference is far below 1e-9 at this σ).
    const edges = Array.from({ length: 13 }, (_, i) => -3 + 0.5 * i);
    const upperTail = (x: number) => (x >= 0 ? 0.5 * Math.exp(logErfc(x / Math.SQRT2)) : 1 - 0.5 * Math.exp(logErfc(-x / Math.SQRT2)));
    const cdf = (x: number) => 1 - upperTail(x);
    const counts = new Float64Array(edges.length + 1);
    for (const y of sample) {
      const z = y / sigma;
      let bin = 0;
      while (bin < edges.length && z >= edges[bin]!) bin++;
      counts[bin]!++;
    }
    let chi2 = 0;
    for (let bin = 0; bin <= edges.length; bin++) {
      const lo = bin === 0 ? 0 : cdf(edges[bin - 1]!);
      const hi = bin === edges.length ? 1 : cdf(edges[bin]!);
      const expected = (hi - lo) * n;
      chi2 += (counts[bin]! - expected) ** 2 / expected;
    }
    expect(chi2).toBeLessThan(chi2Limit(edges.length));
    expect(sampler.exactFallbacks).toBeLessThan(10);
  });

  it('with every decision sent to the exact comparison, still fits the pmf (σ² = 10)', () => {
    const n = 20_000;
    const sampler = createBatchedDiscreteGaussianSampler(10, createSeededRandom('batched-exact'), 1);
    const sample = sampler.sample(n);
    expect(sampler.exactFallbacks).toBeGreaterThan(n);
    expectMoments(sample, 10);
    const { chi2, df } = chi2AgainstPmf(sample, 10, 8);
    expect(chi2).toBeLessThan(chi2Limit(df));
  });

  it('agrees with the reference sampler (two-sample chi-square, σ² = 3)', () => {
    const n = 100_000;
    const a = createBatchedDiscreteGaussianSampler(3, createSeededRandom('two-a')).sample(n);
    const b = createReferenceDiscreteGaussianSampler(3, createSeededRandom('two-b')).sample(n);
    const r = 6;
    const countsOf = (v: Int32Array) => {
      const c = new Float64Array(2 * r + 3);
      for (const y of v) c[Math.max(-r - 1, Math.min(r + 1, y)) + r + 1]!++;
      return c;
    };
    const ca = countsOf(a);
    const cb = countsOf(b);
    let chi2 = 0;
    let bins = 0;
    for (let i = 0; i < ca.length; i++) {
      if (ca[i]! + cb[i]! < 10) continue;
      chi2 += (ca[i]! - cb[i]!) ** 2 / (ca[i]! + cb[i]!);
      bins++;
    }
    expect(chi2).toBeLessThan(chi2Limit(bins - 1));
  });

  it('is reproducible for a seed, returns int32 and the rounded σ², and wipes the words it used', () => {
    const a = createBatchedDiscreteGaussianSampler(3, createSeededRandom('same')).sample(1000);
    const b = createBatchedDiscreteGaussianSampler(3, createSeededRandom('same')).sample(1000);
    expect(a).toBeInstanceOf(Int32Array);
    expect(Array.from(a)).toEqual(Array.from(b));
    const s = createBatchedDiscreteGaussianSampler(1 / 3);
    expect(s.sigmaSquared).toBeGreaterThanOrEqual(1 / 3);
    expect(s.laplaceScale).toBe(1);
    expect(createBatchedDiscreteGaussianSampler(1e4).laplaceScale).toBe(101);
    expect(createBatchedDiscreteGaussianSampler(2 ** -20).sample(1000).every((v) => v === 0)).toBe(true);
  });

  it('refuses bad σ², counts and margins', () => {
    for (const s2 of [0, -1, Number.NaN, Number.POSITIVE_INFINITY, 2 ** -21, 2 ** 41]) {
      expect(code(() => createBatchedDiscreteGaussianSampler(s2))).toBe('CONFIG_INVALID');
    }
    const sampler = createBatchedDiscreteGaussianSampler(1);
    for (const count of [-1, 1.5, Number.NaN, 2 ** 31]) expect(code(() => sampler.sample(count))).toBe('CONFIG_INVALID');
    expect(() => createBatchedDiscreteGaussianSampler(1, undefined, FAST_PATH_MARGIN / 2)).toThrow(RangeError);
    expect(() => createBatchedDiscreteGaussianSampler(1, undefined, 2)).toThrow(RangeError);
  });
});

describe('exact exp(−γ) comparison', () => {
  it('encloses exp(−γ) tightly at every precision, the enclosures nest, and refuses bad input', () => {
    for (const [num, den] of [[1n, 1n], [1n, 3n], [7n, 2n], [123_456_789n, 1_000_000n], [0n, 5n], [1n, 1_000_000_007n]] as const) {
      const g = Number(num) / Number(den);
      let previous: { lo: bigint; hi: bigint; bits: number } | undefined;
      for (const bits of [32, 64, 128, 256]) {
        const { lo, hi } = expEnclosure(num, den, bits);
        expect(lo).toBeLessThanOrEqual(hi);
        expect(hi - lo).toBeLessThanOrEqual(2n);
        const mid = Number(lo) / 2 ** bits;
        expect(Math.abs(mid - Math.exp(-g))).toBeLessThanOrEqual(Math.exp(-g) * 2 ** -45 + 2 ** -(bits - 1));
        if (previous) {
          const shift = BigInt(bits - previous.bits);
          expect(lo).toBeLessThanOrEqual(previous.hi << shift);
          expect(hi).toBeGreaterThanOrEqual(previous.lo << shift);
        }
        previous = { lo, hi, bits };
      }
    }
    // exp(−1)·exp(−1) and exp(−2): the product of the bounds brackets the other enclosure.
    const one = expEnclosure(1n, 1n, 128);
    const two = expEnclosure(2n, 1n, 256);
    expect(one.lo * one.lo).toBeLessThanOrEqual(two.hi);
    expect(one.hi * one.hi).toBeGreaterThanOrEqual(two.lo);
    expect(() => expEnclosure(-1n, 1n, 64)).toThrow(RangeError);
    expect(() => expEnclosure(1n, 0n, 64)).toThrow(RangeError);
  });

  it('decides a uniform that falls inside the fast margin exactly, from the injected bits', () => {
    // U's first word is ⌊2^32·e^{-1}⌋: the doubles cannot tell U from e^{-1}.
    const { lo, hi } = expEnclosure(1n, 1n, 96);
    const prefix = Number(lo >> 64n);
    expect(Math.abs(prefix / 2 ** 32 - Math.exp(-1))).toBeLessThan(FAST_PATH_MARGIN);
    const wordsOf = (u: bigint): RandomSource => {
      const rest = [Number((u >> 32n) & 0xffff_ffffn), Number(u & 0xffff_ffffn)];
      let i = 0;
      return { nextUint32: () => (i < rest.length ? rest[i++]! : 0) };
    };
    for (const [u, expected] of [[lo - 3n, true], [lo - 1n, true], [hi + 1n, false], [hi + 1000n, false]] as const) {
      expect(u >> 64n).toBe(BigInt(prefix));
      const source = wordsOf(u);
      expect(decideExpExactly(prefix, 1n, 1n, () => source.nextUint32())).toBe(expected);
    }
    // A prefix far below the boundary needs no more bits.
    expect(decideExpExactly(0, 1n, 1n, () => { throw new Error('drew a word'); })).toBe(true);
    expect(decideExpExactly(0xffff_ffff, 1n, 1n, () => { throw new Error('drew a word'); })).toBe(false);
  });
});
