import { describe, expect, it } from 'vitest';
import { isCohortError } from '@cohortfl/wire';
import { sampleBernoulliExp } from './bernoulli-exp.js';
import { createSeededRandom } from './random.js';

describe('exact Bernoulli(exp(−γ)) (Canonne–Kamath–Steinke Algorithm 1)', () => {
  const n = 200_000;
  const cases: Array<[number | bigint, number | bigint]> = [
    [1, 2],
    [1, 1],
    [23, 10],
    [7, 3],
    [5, 1],
    // bigint path: denominator above 2^53, γ ≈ 1/3 + 2.3·10^-30
    [10n ** 30n + 7n, 3n * 10n ** 30n],
    // bigint path with an integer part: γ ≈ 1 + 1/3
    [4n * 10n ** 30n + 1n, 3n * 10n ** 30n],
  ];
  for (const [num, den] of cases) {
    it(`γ = ${String(num)}/${String(den)}: frequency within 6 standard errors of exp(−γ)`, () => {
      const rng = createSeededRandom(`bexp-${String(num)}-${String(den)}`);
      let hits = 0;
      for (let i = 0; i < n; i++) if (sampleBernoulliExp(num, den, rng)) hits++;
      const p = Math.exp(-Number(num) / Number(den));
      expect(Math.abs(hits / n - p)).toBeLessThan(6 * Math.sqrt((p * (1 - p)) / n));
    });
  }

  it('is certain at γ = 0 and (essentially) never true at γ = 60', () => {
    const rng = createSeededRandom('bexp-ends');
    for (let i = 0; i < 1_000; i++) expect(sampleBernoulliExp(0, 9, rng)).toBe(true);
    let hits = 0;
    for (let i = 0; i < 10_000; i++) if (sampleBernoulliExp(60, 1, rng)) hits++;
    expect(hits).toBe(0);
  });

  it('refuses negative, non-integer or zero-denominator γ', () => {
    const bad: Array<[number | bigint, number | bigint]> = [[-1, 2], [1, 0], [0.5, 2], [1, Number.NaN], [-1n, 2n], [1n, 0n]];
    for (const [num, den] of bad) {
      let caught: unknown;
      try {
        sampleBernoulliExp(num, den, createSeededRandom('bad'));
      } catch (error) {
        caught = error;
      }
      expect(isCohortError(caught, 'CONFIG_INVALID')).toBe(true);
    }
  });
});
