/**
 * The discrete Gaussian sampler the sites use: the same exact algorithm as
 * createReferenceDiscreteGaussianSampler (Canonne, Kamath and Steinke 2020,
 * Algorithm 3 over their Algorithm 2 discrete Laplace), with every
 * Bernoulli(exp(−γ)) decided by comparing a uniform U ∈ [0, 1) with exp(−γ):
 * in doubles when U's first 32 bits are clear of a proven error margin, exactly
 * (exp-enclosure.ts) otherwise. Either way the outcome is the event U < exp(−γ),
 * so each test is exactly Bernoulli(exp(−γ)) and the output has exactly the
 * distribution N_Z(0, σ²). Random words come from node:crypto in 256 KiB batches.
 *
 * Error margin. With p = exp(−γ), the fast path computes γ̂ from integers
 * (exact products below 2^53, or BigInt products rounded once) with at most three
 * roundings, so γ̂ = γ(1 + δ), |δ| < 2^-51, and e = Math.exp(−γ̂) within one ulp
 * (2^-52 relative) while e is a normal double. For γ̂ ≤ 4096, |γ − γ̂| < 2^-38.9,
 * so p ∈ e·[1 − 2^-37, 1 + 2^-37]. The test uses the relative margin 2^-30 (128
 * times that, room for a libm far worse than one ulp) plus an absolute 2^-1000
 * above: accept when (w + 1)/2^32 ≤ e(1 − 2^-30), reject when w/2^32 ≥
 * e(1 + 2^-30) + 2^-1000, where w is U's first word. If γ̂ > 708, e is 0 or
 * subnormal: the accept bound is then below 2^-32 and never holds, and
 * p < 2^-1000 keeps the reject bound valid. Anything in between goes to the exact
 * comparison, which happens for a fraction ≈ 2^-29·p of the tests.
 */
import { randomFillSync } from 'node:crypto';
import { CohortError } from '@cohortfl/wire';
import { decideExpExactly, lazyBelowExp, type LazyUniform } from './exp-enclosure.js';
import type { DiscreteGaussianSampler } from './discrete-gaussian.js';
import type { RandomSource } from './random.js';
import { floorSqrtRational, roundSigmaSquared } from './sigma-rational.js';
import { requireInteger } from './validate.js';

const TWO_32 = 4_294_967_296;
const TWO_53 = 9_007_199_254_740_992;
const INT32_MAX = 2_147_483_647;
const POOL_WORDS = 65_536;
/** The relative error margin of the fast path (see the module comment). */
export const FAST_PATH_MARGIN = 2 ** -30;
const FLOOR = 2 ** -1000;

export interface BatchedDiscreteGaussianSampler extends DiscreteGaussianSampler {
  /** How many Bernoulli(exp(−γ)) tests so far needed the exact comparison. */
  readonly exactFallbacks: number;
}

/**
 * Exact N_Z(0, σ²) in batches. Without `rng`, words come straight from
 * node:crypto's CSPRNG; an injected source (tests only) is read word by word.
 * `margin` widens the band sent to the exact comparison (tests only: with a margin
 * of 1 no accept test passes in doubles and every geometric draw is exact).
 */
export function createBatchedDiscreteGaussianSampler(
  sigmaSquared: number,
  rng?: RandomSource,
  margin: number = FAST_PATH_MARGIN,
): BatchedDiscreteGaussianSampler {
  const { value, numerator: a, denominator: b } = roundSigmaSquared(sigmaSquared);
  if (!(margin >= FAST_PATH_MARGIN && margin <= 1)) throw new RangeError('margin must be in [2^-30, 1]');
  const t = floorSqrtRational(a, b) + 1;
  const tb = t * b;
  const bigA = BigInt(a);
  const bigTb = BigInt(tb);
  const bigT = BigInt(t);
  const bigD = 2n * bigA * BigInt(b) * bigT * bigT;
  const dDouble = Number(bigD);
  const loScale = (1 - margin) * TWO_32;
  const hiScale = (1 + margin) * TWO_32;
  const floor32 = FLOOR * TWO_32;

  const pool = new Uint32Array(POOL_WORDS);
  let position = POOL_WORDS;
  const refill =
    rng === undefined
      ? () => randomFillSync(pool)
      : () => {
          for (let i = 0; i < POOL_WORDS; i++) pool[i] = rng.nextUint32();
        };
  const word = (): number => {
    if (position === POOL_WORDS) {
      refill();
      position = 0;
    }
    return pool[position++]!;
  };
  let fallbacks = 0;
  let pending = 0;
  /**
   * U < exp(−γ) decided in doubles from e ≈ exp(−γ): 1 (yes), 0 (no) or −1 when U's
   * first word (kept in `pending`) is within the margin; the caller then calls exact().
   */
  const fast = (e: number): number => {
    const w = word();
    if (w + 1 <= e * loScale) return 1;
    if (w >= e * hiScale + floor32) return 0;
    pending = w;
    return -1;
  };
  const exact = (num: bigint, den: bigint): boolean => {
    fallbacks++;
    return decideExpExactly(pending, num, den, word);
  };
  const lnSlack = margin === FAST_PATH_MARGIN ? 2 ** -46 : margin;
  /** The rare geometric draw whose cell straddles an integer: compare W with e^{−j/t} exactly. */
  const exactGeometric = (k: number): number => {
    fallbacks++;
    const uniform: LazyUniform = { u: BigInt(k), bits: 53 };
    // 64 significant bits of W make the double guess below good to ±1.
    while (uniform.u < 1n << 63n) {
      uniform.u = (uniform.u << 32n) | BigInt(word());
      uniform.bits += 32;
    }
    const below = (j: number): boolean => lazyBelowExp(uniform, BigInt(j), bigT, word);
    let x = Math.max(0, Math.floor(-t * (Math.log(Number(uniform.u)) - uniform.bits * Math.LN2)));
    if (x > 0 && !below(x)) {
      do x--;
      while (x > 0 && !below(x));
      return x;
    }
    while (below(x + 1)) x++;
    return x;
  };
  /**
   * X ~ Geometric(1 − e^{−1/t}), P(X = x) ∝ e^{−x/t}, as X = ⌊−t·ln W⌋ for a uniform
   * real W (X ≥ j exactly when W ≤ e^{−j/t}). W's first 53 bits k put it in
   * [k, k + 1)/2^53, so −t·ln W lies in [z − t·ln(1 + 1/k), z] with z = −t·ln(k/2^53).
   * Math.log is within one ulp and the product adds one rounding, so the computed z
   * is within 2^-50·z of the true one; 2^-46 (plus 2^-46 absolute) covers it 16 times.
   * If the whole interval has one floor, that is X; otherwise exactGeometric decides.
   */
  const geometric = (): number => {
    const high = word() & 0x1f_ffff;
    const k = high * TWO_32 + word();
    if (k === 0) return exactGeometric(k);
    const z = -t * Math.log(k / TWO_53);
    const top = z + z * lnSlack + lnSlack;
    const bottom = z - z * lnSlack - lnSlack - (t / k) * (1 + lnSlack);
    const x = Math.floor(top);
    return Math.floor(bottom) === x ? x : exactGeometric(k);
  };
  let signWord = 0;
  let signBits = 0;

  /** Discrete Laplace of scale t: a geometric magnitude with a fair sign, rejecting "−0" (as discreteLaplaceOne). */
  const laplace = (): number => {
    for (;;) {
      const x = geometric();
      if (signBits === 0) {
        signWord = word();
        signBits = 32;
      }
      const negative = (signWord & 1) === 1;
      signWord >>>= 1;
      signBits--;
      if (negative && x === 0) continue;
      return negative ? -x : x;
    }
  };

  /** CKS Algorithm 3: accept |Y| with probability exp(−m²/D), m = |Y|·t·b − a, D = 2ab t². */
  const one = (): number => {
    for (;;) {
      const y = laplace();
      const magnitude = Math.abs(y);
      const product = magnitude * tb;
      let gamma: number;
      if (product <= TWO_53) {
        const m = product - a; // exact: integers below 2^53
        gamma = (m * m) / dDouble;
      } else {
        const m = BigInt(magnitude) * bigTb - bigA;
        gamma = Number(m * m) / dDouble;
      }
      let r = fast(Math.exp(-gamma));
      if (r === -1) {
        const m = BigInt(magnitude) * bigTb - bigA;
        r = exact(m * m, bigD) ? 1 : 0;
      }
      if (r === 1) {
        // Unreachable in practice (|y| > 2^31 needs > 2000σ); never wrap silently.
        if (magnitude > INT32_MAX) throw new CohortError('INTERNAL', 'discrete Gaussian sample outside int32');
        return y;
      }
    }
  };

  const fill = (out: Int32Array): Int32Array => {
    for (let i = 0; i < out.length; i++) out[i] = one();
    // The words drawn so far fixed the noise: leave none of them behind.
    pool.fill(0, 0, position);
    return out;
  };
  return {
    sigmaSquared: value,
    laplaceScale: t,
    fill,
    sample: (count) => fill(new Int32Array(requireInteger('count', count, 0, 2 ** 31 - 1))),
    get exactFallbacks() {
      return fallbacks;
    },
  };
}
