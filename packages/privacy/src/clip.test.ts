import { describe, expect, it } from 'vitest';
import { isCohortError } from '@cohortfl/wire';
import { clipByL2Norm } from './clip.js';
import { createSeededRandom } from './random.js';

const norm = (v: Float32Array): number => Math.sqrt(v.reduce((s, x) => s + x * x, 0));

describe('clipByL2Norm', () => {
  it('brings the float32 result to norm ≤ C for many random vectors (checked after rounding)', () => {
    const rng = createSeededRandom('clip');
    for (let trial = 0; trial < 300; trial++) {
      const length = 1 + rng.uniformInt(300);
      const scale = 10 ** (rng.uniformInt(8) - 3);
      const v = Float32Array.from({ length }, () => (rng.uniformDouble() * 2 - 1) * scale);
      const c = 0.1 + rng.uniformDouble();
      const { clipped, norm: before, factor } = clipByL2Norm(v, c);
      expect(norm(clipped)).toBeLessThanOrEqual(c);
      expect(before).toBeCloseTo(norm(v), 6);
      if (before > c) {
        expect(factor).toBeLessThan(1);
        expect(norm(clipped)).toBeGreaterThan(c * (1 - 1e-6)); // clipped to the bound, not far below
      } else {
        expect(factor).toBe(1);
      }
    }
  });

  it('corrects the float32 overshoot of plain scaling', () => {
    const v = Float32Array.of(0.324756920337677, 0.9315398335456848);
    const plain = v.map((x) => x * (0.5 / norm(v)));
    expect(norm(plain)).toBeGreaterThan(0.5); // rounding to float32 pushed it over
    expect(norm(clipByL2Norm(v, 0.5).clipped)).toBeLessThanOrEqual(0.5);
  });

  it('leaves a vector within the bound unchanged (a copy), including the zero vector and norm exactly C', () => {
    const v = Float32Array.of(0.3, 0.4);
    const small = clipByL2Norm(v, 1);
    expect(Array.from(small.clipped)).toEqual(Array.from(v));
    expect(small.clipped).not.toBe(v);
    expect(small.factor).toBe(1);
    const zero = clipByL2Norm(new Float32Array(5), 1);
    expect(zero.norm).toBe(0);
    expect(zero.factor).toBe(1);
    expect(Array.from(zero.clipped)).toEqual([0, 0, 0, 0, 0]);
    const exact = clipByL2Norm(Float32Array.of(3, 4), 5);
    expect(Array.from(exact.clipped)).toEqual([3, 4]);
    const big = clipByL2Norm(Float32Array.of(3e38, -3e38), 2);
    expect(norm(big.clipped)).toBeLessThanOrEqual(2);
    expect(Array.from(v)).toEqual([Math.fround(0.3), Math.fround(0.4)]); // input untouched
  });

  it('refuses non-finite coordinates, bad bounds and other array types', () => {
    const expectCode = (fn: () => unknown, wanted: string) => {
      let caught: unknown;
      try {
        fn();
      } catch (error) {
        caught = error;
      }
      expect(isCohortError(caught) && caught.code).toBe(wanted);
    };
    expectCode(() => clipByL2Norm(Float32Array.of(1, Number.NaN), 1), 'DATA_INVALID');
    expectCode(() => clipByL2Norm(Float32Array.of(Number.POSITIVE_INFINITY), 1), 'DATA_INVALID');
    expectCode(() => clipByL2Norm([1, 2] as unknown as Float32Array, 1), 'DATA_INVALID');
    expectCode(() => clipByL2Norm(Float32Array.of(1), 0), 'CONFIG_INVALID');
    expectCode(() => clipByL2Norm(Float32Array.of(1), -1), 'CONFIG_INVALID');
    expectCode(() => clipByL2Norm(Float32Array.of(1), Number.POSITIVE_INFINITY), 'CONFIG_INVALID');
  });
});
