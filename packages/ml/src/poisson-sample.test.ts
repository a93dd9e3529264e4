import { describe, expect, it } from 'vitest';
import { createCryptoUniform, poissonSample } from './poisson-sample.js';

// The sampler is a CSPRNG by design (privacy needs the draws secret), so these
// checks are statistical with 5σ bounds: a false failure has odds below 1e-6.
describe('createCryptoUniform', () => {
  it('draws in [0, 1) with mean 1/2 and variance 1/12, across pool refills', () => {
    const uniform = createCryptoUniform();
    const m = 100_000; // 200,000 words: the 65,536-word pool refills three times
    let sum = 0;
    let sumSq = 0;
    let outside = 0;
    for (let i = 0; i < m; i++) {
      const u = uniform();
      if (!(u >= 0 && u < 1)) outside++;
      sum += u;
      sumSq += u * u;
    }
    expect(outside).toBe(0);
    const mean = sum / m;
    expect(Math.abs(mean - 0.5)).toBeLessThan(5 * Math.sqrt(1 / 12 / m));
    expect(Math.abs(sumSq / m - mean * mean - 1 / 12)).toBeLessThan(5 * Math.sqrt(1 / 180 / m));
  });

  it('two sources are independent, not replays of one seed', () => {
    const a = createCryptoUniform();
    const b = createCryptoUniform();
    const same = Array.from({ length: 8 }, () => a() === b()).filter(Boolean).length;
    expect(same).toBe(0);
  });
});

describe('poissonSample', () => {
  it('includes each record with probability q (count and per-position rate)', () => {
    const uniform = createCryptoUniform();
    const n = 1000;
    const q = 0.1;
    const out = new Int32Array(n);
    const hits = new Float64Array(n);
    const rounds = 100;
    let total = 0;
    for (let r = 0; r < rounds; r++) {
      const count = poissonSample(n, q, uniform, out);
      total += count;
      for (let i = 0; i < count; i++) {
        if (i > 0) expect(out[i]).toBeGreaterThan(out[i - 1] as number); // ascending, no repeats
        const j = out[i] as number;
        hits[j] = (hits[j] as number) + 1;
      }
    }
    const trials = n * rounds;
    expect(Math.abs(total - trials * q)).toBeLessThan(5 * Math.sqrt(trials * q * (1 - q)));
    // First and second halves of the records are drawn alike (no positional bias).
    const firstHalf = hits.subarray(0, n / 2).reduce((s, h) => s + h, 0);
    expect(Math.abs(firstHalf - total / 2)).toBeLessThan(5 * Math.sqrt(total / 4));
  });

  it('q = 1 draws every record; a tiny q draws few', () => {
    const uniform = createCryptoUniform();
    const out = new Int32Array(50);
    expect(poissonSample(50, 1, uniform, out)).toBe(50);
    expect(Array.from(out)).toEqual(Array.from({ length: 50 }, (_, i) => i));
    let drawn = 0;
    for (let r = 0; r < 100; r++) drawn += poissonSample(50, 1e-4, uniform, out);
    expect(drawn).toBeLessThan(7); // expected 0.5; P(≥ 7) < 1e-6
  });
});
