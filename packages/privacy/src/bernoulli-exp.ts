import { type RandomSource, defaultRandom, uniformInt } from './random.js';
import { configError } from './validate.js';

/**
 * Exact Bernoulli(exp(−γ)) for rational γ, after Canonne, Kamath and Steinke,
 * "The Discrete Gaussian for Differential Privacy" (NeurIPS 2020), Algorithm 1:
 * for γ ∈ [0, 1], draw A_k ~ Bernoulli(γ/k) for k = 1, 2, … until one is 0; the
 * index K of that draw is odd with probability exactly exp(−γ). For γ > 1,
 * exp(−γ) = exp(−1)^⌊γ⌋ · exp(−(γ − ⌊γ⌋)). Every decision compares uniform
 * integers with integers, so no floating-point rounding enters the outcome.
 * Bernoulli(γ/k) is drawn as Bernoulli(γ) ∧ Bernoulli(1/k) (independent, so the
 * product of the probabilities), which keeps all integers small.
 */

const TWO_32 = 4_294_967_296;
const TWO_21 = 2_097_152;
const TWO_53N = 1n << 53n;
const TWO_52N = 1n << 52n;

/** Bernoulli(exp(−1)): Algorithm 1 with γ = 1 (Bernoulli(1/1) always succeeds). */
export function bernoulliExpMinusOne(rng: RandomSource): boolean {
  let k = 2;
  while (uniformInt(rng, k) === 0) k++;
  return k % 2 === 1;
}

/** Bernoulli(exp(−num/den)) for safe integers 0 ≤ num ≤ den (γ ≤ 1). */
export function bernoulliExpFraction(rng: RandomSource, num: number, den: number): boolean {
  if (num === 0) return true;
  let k = 1;
  for (;;) {
    const oneOverK = k === 1 || uniformInt(rng, k) === 0;
    if (!(oneOverK && uniformInt(rng, den) < num)) break;
    k++;
  }
  return k % 2 === 1;
}

/**
 * Bernoulli(r/d) for bigints 0 ≤ r < d with d > 2^53: compares a uniform real,
 * 53 bits at a time, with the binary expansion of r/d (exact; a second block is
 * needed with probability 2^-53).
 */
export function bernoulliBigFraction(rng: RandomSource, r: bigint, d: bigint): boolean {
  let rest = r;
  for (;;) {
    const scaled = rest * TWO_53N;
    const digit = scaled / d;
    const x = (rng.nextUint32() % TWO_21) * TWO_32 + rng.nextUint32();
    const p = Number(digit);
    if (x < p) return true;
    if (x > p) return false;
    rest = scaled - digit * d;
    if (rest === 0n) return false;
  }
}

/** Bernoulli(exp(−r/d)) for bigints 0 ≤ r < d. */
export function bernoulliExpBigFraction(rng: RandomSource, r: bigint, d: bigint): boolean {
  if (r === 0n) return true;
  if (d <= BigInt(Number.MAX_SAFE_INTEGER)) return bernoulliExpFraction(rng, Number(r), Number(d));
  let k = 1;
  for (;;) {
    const oneOverK = k === 1 || uniformInt(rng, k) === 0;
    if (!(oneOverK && bernoulliBigFraction(rng, r, d))) break;
    k++;
  }
  return k % 2 === 1;
}

/** Bernoulli(exp(−num/den)) for bigints num ≥ 0, den ≥ 1, any size. */
export function bernoulliExpBig(rng: RandomSource, num: bigint, den: bigint): boolean {
  const whole = num / den;
  for (let i = 0n; i < whole; i++) if (!bernoulliExpMinusOne(rng)) return false;
  return bernoulliExpBigFraction(rng, num - whole * den, den);
}

/**
 * Exactly Bernoulli(exp(−numerator/denominator)) for integers numerator ≥ 0 and
 * denominator ≥ 1 (numbers must be safe integers; bigints may be any size).
 */
export function sampleBernoulliExp(numerator: number | bigint, denominator: number | bigint, rng: RandomSource = defaultRandom()): boolean {
  const isInt = (v: number | bigint): boolean => typeof v === 'bigint' || Number.isSafeInteger(v);
  if (!isInt(numerator) || !isInt(denominator)) throw configError('exp(−γ) needs γ as a ratio of integers (safe integers or bigints)');
  const num = BigInt(numerator);
  const den = BigInt(denominator);
  if (num < 0n || den < 1n) throw configError('exp(−γ) needs numerator ≥ 0 and denominator ≥ 1');
  if (den <= TWO_52N && num <= TWO_52N) {
    const n = Number(num);
    const d = Number(den);
    const whole = Math.floor(n / d);
    // Correct the floating quotient so whole·d ≤ n < (whole + 1)·d holds exactly
    // (every product here stays below 2^53, so it is exact).
    let w = whole;
    let rest = n - w * d;
    if (rest < 0) { w -= 1; rest += d; }
    else if (rest >= d) { w += 1; rest -= d; }
    for (let i = 0; i < w; i++) if (!bernoulliExpMinusOne(rng)) return false;
    return bernoulliExpFraction(rng, rest, d);
  }
  return bernoulliExpBig(rng, num, den);
}
