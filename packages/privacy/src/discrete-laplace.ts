import { bernoulliExpFraction, bernoulliExpMinusOne } from './bernoulli-exp.js';
import { type RandomSource, defaultRandom, uniformInt } from './random.js';
import { requireInteger } from './validate.js';

/** Largest integer scale accepted: keeps U + t·V far inside the safe-integer range. */
export const MAX_LAPLACE_SCALE = 2 ** 30;

/**
 * One draw of the discrete Laplace distribution P(y) ∝ exp(−|y|/t) for an integer
 * scale t ≥ 1, by the geometric method of Canonne, Kamath and Steinke (2020),
 * Algorithm 2 with s = 1: U uniform on {0, …, t−1} kept with probability
 * exp(−U/t), plus t·V with V ~ Geometric(1 − e^{-1}) counted in Bernoulli(e^{-1})
 * successes, gives X ~ Geometric(1 − e^{-1/t}); a fair sign, rejecting "−0",
 * makes it two-sided. Exact: every step is an integer comparison.
 */
export function discreteLaplaceOne(rng: RandomSource, t: number): number {
  for (;;) {
    const u = uniformInt(rng, t);
    if (!bernoulliExpFraction(rng, u, t)) continue;
    let v = 0;
    while (bernoulliExpMinusOne(rng)) v++;
    const x = u + t * v;
    const negative = (rng.nextUint32() & 1) === 1;
    if (negative && x === 0) continue;
    return negative ? -x : x;
  }
}

/** `count` independent discrete Laplace draws of integer scale t (P(y) ∝ exp(−|y|/t)). */
export function sampleDiscreteLaplace(scale: number, count: number, rng: RandomSource = defaultRandom()): Float64Array {
  const t = requireInteger('scale', scale, 1, MAX_LAPLACE_SCALE);
  const n = requireInteger('count', count, 0);
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) out[i] = discreteLaplaceOne(rng, t);
  return out;
}
