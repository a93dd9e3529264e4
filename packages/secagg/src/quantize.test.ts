import { describe, expect, it } from 'vitest';
import { clipL2, clipL2Into } from './clip.js';
import { createQuantizer } from './quantize.js';
import { seeded } from './round-harness.test-suite.js';

const code = (fn: () => unknown): string | undefined => {
  try {
    fn();
  } catch (error) {
    return (error as { code?: string }).code;
  }
  return undefined;
};

function sumVectors(vectors: Uint32Array[]): Uint32Array {
  const out = new Uint32Array(vectors[0]!.length);
  for (const v of vectors) for (let i = 0; i < out.length; i++) out[i] = out[i]! + v[i]!;
  return out;
}

describe('quantizer', () => {
  it('dequantizes a sum to the example-weighted mean within the rounding bound', () => {
    const rng = seeded(5);
    const q = createQuantizer({ clip: 0.5, maxSites: 20, weightScale: 1000 });
    const P = 500;
    const sites = Array.from({ length: 20 }, () => ({
      update: Float32Array.from({ length: P }, () => (rng.next() - 0.5) * 1.4),
      n: rng.int(1, 1000),
    }));
    const result = q.dequantizeSum(sumVectors(sites.map((s) => q.quantize(s.update, s.n))), sites.length);
    const total = sites.reduce((acc, s) => acc + s.n, 0);
    expect(result.totalExamples).toBe(total);
    const bound = q.maxRoundingError(sites.length);
    expect(bound).toBeLessThan(1e-4); // 20 · 1000 / s with s ≈ 2.1e8
    let worst = 0;
    for (let j = 0; j < P; j++) {
      const exact = sites.reduce((acc, s) => acc + s.n * Math.min(0.5, Math.max(-0.5, s.update[j]!)), 0);
      worst = Math.max(worst, Math.abs(result.weightedSum[j]! - exact));
      const mean = exact / total;
      expect(Math.abs(result.weightedMeanUpdate[j]! - mean)).toBeLessThanOrEqual(bound / total + Math.abs(mean) * 2 ** -23);
    }
    expect(worst).toBeLessThanOrEqual(bound);
    expect(worst).toBeGreaterThan(0); // rounding happened, so the check above measured something
  });

  it('rounds stochastically without bias (mean error within 6 standard errors)', () => {
    const q = createQuantizer({ clip: 2 ** 20, maxSites: 1, weightScale: 1 });
    const N = 200_000;
    for (const target of [10.3, -10.3, 0.01]) {
      const words = q.quantize(new Float64Array(N).fill(target / q.scale), 1);
      let total = 0;
      const seen = new Set<number>();
      for (let j = 0; j < N; j++) {
        total += words[j]! | 0;
        seen.add(words[j]! | 0);
      }
      const frac = target - Math.floor(target);
      const se = Math.sqrt((frac * (1 - frac)) / N);
      expect(Math.abs(total / N - target)).toBeLessThan(6 * se);
      expect(seen).toEqual(new Set([Math.floor(target), Math.floor(target) + 1]));
    }
  });

  it('never wraps: maxSites sites at ±clip (and beyond, clipped) sum exactly as int32', () => {
    const rng = seeded(9);
    for (const [clip, maxSites] of [[1.5, 50], [0.3, 3], [1e-3, 1024], [7, 1]] as const) {
      const q = createQuantizer({ clip, maxSites, weightScale: 100 });
      for (const sign of [1, -1]) {
        const vectors = Array.from({ length: maxSites }, () => q.quantize(Float64Array.from({ length: 64 }, () => sign * clip * (1 + rng.next())), 100));
        const sum = sumVectors(vectors);
        for (let j = 0; j < 64; j++) {
          const exact = vectors.reduce((acc, v) => acc + (v[j]! | 0), 0);
          expect(Math.abs(exact)).toBeLessThanOrEqual(2 ** 31 - 1);
          expect(sum[j]! | 0).toBe(exact);
          expect(Math.sign(exact)).toBe(sign);
        }
        expect(sum[64]).toBe(100 * maxSites);
      }
    }
  });

  it('carries numExamples exactly in the last word', () => {
    const q = createQuantizer({ clip: 1, maxSites: 4, weightScale: 1_000_000_000 });
    const counts = [1, 999_999_999, 1_000_000_000, 123_456_789];
    const vectors = counts.map((n) => q.quantize([0.5, -0.25], n));
    counts.forEach((n, i) => expect(vectors[i]![2]).toBe(n));
    expect(q.dequantizeSum(sumVectors(vectors), 4).totalExamples).toBe(counts.reduce((a, b) => a + b, 0));
  });

  it('refuses bad configurations, updates, counts and sums', () => {
    expect(code(() => createQuantizer({ clip: 0, maxSites: 2, weightScale: 1 }))).toBe('CONFIG_INVALID');
    expect(code(() => createQuantizer({ clip: Number.NaN, maxSites: 2, weightScale: 1 }))).toBe('CONFIG_INVALID');
    expect(code(() => createQuantizer({ clip: 1, maxSites: 0, weightScale: 1 }))).toBe('CONFIG_INVALID');
    expect(code(() => createQuantizer({ clip: 1, maxSites: 2, weightScale: 0.5 }))).toBe('CONFIG_INVALID');
    expect(code(() => createQuantizer({ clip: 1, maxSites: 5, weightScale: 1e9 }))).toBe('CONFIG_INVALID');
    expect(code(() => createQuantizer({ clip: 1e9, maxSites: 10, weightScale: 1 }))).toBe('CONFIG_INVALID');
    const q = createQuantizer({ clip: 1, maxSites: 3, weightScale: 100 });
    expect(code(() => q.quantize([0.1], 101))).toBe('DATA_INVALID');
    expect(code(() => q.quantize([0.1], 0))).toBe('DATA_INVALID');
    expect(code(() => q.quantize([0.1], 1.5))).toBe('DATA_INVALID');
    expect(code(() => q.quantize([0.1, Number.NaN], 1))).toBe('DATA_INVALID');
    expect(code(() => q.quantize([Number.POSITIVE_INFINITY], 1))).toBe('DATA_INVALID');
    expect(code(() => q.quantize([], 1))).toBe('DATA_INVALID');
    const one = q.quantize([0.1], 10);
    expect(code(() => q.dequantizeSum(one, 4))).toBe('MESSAGE_INVALID');
    expect(code(() => q.dequantizeSum(one, 0))).toBe('MESSAGE_INVALID');
    expect(code(() => q.dequantizeSum(Uint32Array.of(5, 0), 1))).toBe('MESSAGE_INVALID'); // no examples
    expect(code(() => q.dequantizeSum(Uint32Array.of(5, 101), 1))).toBe('MESSAGE_INVALID');
    expect(code(() => q.dequantizeSum(Uint32Array.of(5), 1))).toBe('MESSAGE_INVALID');
  });
});

describe('L2 clipping', () => {
  it('scales an update down to the norm bound and leaves a small one alone', () => {
    const big = clipL2([3, 4], 1);
    expect(big.norm).toBe(5);
    expect(big.factor).toBeCloseTo(0.2, 15);
    expect(Math.hypot(...big.clipped)).toBeCloseTo(1, 12);
    const small = clipL2(Float32Array.of(0.3, 0.4), 1);
    expect(small.factor).toBe(1);
    expect(Array.from(small.clipped)).toEqual([Math.fround(0.3), Math.fround(0.4)]);
    const huge = clipL2([1e200, -1e200], 2);
    expect(Math.hypot(...huge.clipped)).toBeCloseTo(2, 10);
  });

  it('refuses non-finite values and a bad bound', () => {
    expect(code(() => clipL2([1, Number.NaN], 1))).toBe('DATA_INVALID');
    expect(code(() => clipL2([1], 0))).toBe('CONFIG_INVALID');
    expect(code(() => clipL2([1], Number.POSITIVE_INFINITY))).toBe('CONFIG_INVALID');
  });

  it('clips into a caller buffer exactly as clipL2 does, rounded to its element type', () => {
    const update = Float32Array.from({ length: 1000 }, (_, i) => Math.sin(i) * 0.3);
    const reference = clipL2(update, 1);
    expect(reference.factor).toBeLessThan(1);
    const wide = new Float64Array(1000);
    const narrow = new Float32Array(1000);
    expect(clipL2Into(update, 1, wide)).toEqual({ norm: reference.norm, factor: reference.factor });
    clipL2Into(update, 1, narrow);
    expect(wide).toEqual(reference.clipped);
    expect(narrow).toEqual(Float32Array.from(reference.clipped));
    expect(code(() => clipL2Into(update, 1, new Float32Array(999)))).toBe('DATA_INVALID');
  });
});
