import { CohortError } from '@cohortfl/wire';
import { createBatchedDiscreteGaussianSampler } from './batched-discrete-gaussian.js';
import { bernoulliExpBigFraction, bernoulliExpFraction, bernoulliExpMinusOne } from './bernoulli-exp.js';
import { discreteLaplaceOne } from './discrete-laplace.js';
import { type RandomSource, defaultRandom } from './random.js';
import { floorSqrtRational, roundSigmaSquared } from './sigma-rational.js';
import { requireInteger } from './validate.js';

const TWO_26 = 67_108_864;
const TWO_52 = 4_503_599_627_370_496;
const INT32_MAX = 2_147_483_647;

export interface DiscreteGaussianSampler {
  /** The σ² sampled exactly (the request rounded up, see roundSigmaSquared). */
  readonly sigmaSquared: number;
  /** The Laplace scale t = ⌊σ⌋ + 1 of the proposal. */
  readonly laplaceScale: number;
  /** `count` independent draws of N_Z(0, σ²). */
  sample(count: number): Int32Array;
  /** Overwrites `out` with independent draws. */
  fill(out: Int32Array): Int32Array;
}

/**
 * Exact sampler for N_Z(0, σ²): the batched sampler (batched-discrete-gaussian.ts),
 * which decides each exp(−γ) test in doubles with a proven margin and exactly near
 * the boundary. Uses node:crypto randomness unless an rng is injected (tests only).
 */
export function createDiscreteGaussianSampler(sigmaSquared: number, rng?: RandomSource): DiscreteGaussianSampler {
  return createBatchedDiscreteGaussianSampler(sigmaSquared, rng);
}

/**
 * The reference sampler, kept as the oracle the batched one is tested against:
 * exact sampler for the discrete Gaussian N_Z(0, σ²), P(y) ∝ exp(−y²/(2σ²)) on the
 * integers: Canonne, Kamath and Steinke (NeurIPS 2020), Algorithm 3. Propose Y
 * from the discrete Laplace of scale t = ⌊σ⌋ + 1 and accept with probability
 * exp(−(|Y| − σ²/t)²/(2σ²)). With σ² = a/b that exponent is m²/D for the integers
 * m = |Y|·t·b − a and D = 2·a·b·t², so the accept decision is an exact
 * Bernoulli(exp(−m²/D)) (Algorithm 1) in integers: doubles while every product
 * stays below 2^52, bigints beyond (large σ² or extreme tails).
 */
export function createReferenceDiscreteGaussianSampler(sigmaSquared: number, rng: RandomSource = defaultRandom()): DiscreteGaussianSampler {
  const { value, numerator: a, denominator: b } = roundSigmaSquared(sigmaSquared);
  const t = floorSqrtRational(a, b) + 1;
  const tb = t * b;
  const d = 2 * a * b * t * t;
  const smallD = d <= TWO_52;
  const bigA = BigInt(a);
  const bigTb = BigInt(tb);
  const bigD = 2n * bigA * BigInt(b) * BigInt(t) * BigInt(t);

  const accept = (magnitude: number): boolean => {
    const m = magnitude * tb - a;
    if (smallD && Math.abs(m) <= TWO_26) {
      const m2 = m * m;
      let whole = Math.floor(m2 / d);
      let rest = m2 - whole * d;
      if (rest < 0) { whole -= 1; rest += d; }
      else if (rest >= d) { whole += 1; rest -= d; }
      for (let i = 0; i < whole; i++) if (!bernoulliExpMinusOne(rng)) return false;
      return bernoulliExpFraction(rng, rest, d);
    }
    const big = BigInt(magnitude) * bigTb - bigA;
    const m2 = big * big;
    const whole = m2 / bigD;
    for (let i = 0n; i < whole; i++) if (!bernoulliExpMinusOne(rng)) return false;
    return bernoulliExpBigFraction(rng, m2 - whole * bigD, bigD);
  };

  const one = (): number => {
    for (;;) {
      const y = discreteLaplaceOne(rng, t);
      if (accept(Math.abs(y))) {
        // Unreachable in practice (|y| > 2^31 needs > 2000σ); never wrap silently.
        if (Math.abs(y) > INT32_MAX) throw new CohortError('INTERNAL', 'discrete Gaussian sample outside int32');
        return y;
      }
    }
  };

  const fill = (out: Int32Array): Int32Array => {
    for (let i = 0; i < out.length; i++) out[i] = one();
    return out;
  };
  return {
    sigmaSquared: value,
    laplaceScale: t,
    fill,
    sample: (count) => fill(new Int32Array(requireInteger('count', count, 0, 2 ** 31 - 1))),
  };
}

/**
 * `count` independent exact draws of the discrete Gaussian N_Z(0, σ²) as int32.
 * σ² is rounded up to a rational with relative error < 2^-19 (roundSigmaSquared).
 * Uses node:crypto randomness unless an rng is injected (tests only).
 */
export function sampleDiscreteGaussian(sigmaSquared: number, count: number, rng?: RandomSource): Int32Array {
  return createDiscreteGaussianSampler(sigmaSquared, rng).sample(count);
}
