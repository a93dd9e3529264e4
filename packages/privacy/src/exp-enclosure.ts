/**
 * The exact side of the batched samplers' Bernoulli(exp(−γ)) test. A Bernoulli(p)
 * is decided by comparing a uniform real U ∈ [0, 1), drawn bit by bit, with p: the
 * outcome is U < p. The fast path compares U's first 32 bits with a double estimate
 * of p and a proven error margin; when U falls within the margin, this module
 * finishes the comparison exactly, drawing more bits of U and bounding p = exp(−γ)
 * for rational γ between two fixed-point integers computed with BigInt arithmetic
 * (an alternating Taylor series, then repeated squaring, every rounding directed
 * outward). The enclosure narrows as the precision doubles, so the comparison ends
 * with probability 1 and its outcome is exactly Bernoulli(exp(−γ)).
 */

/** lo / 2^bits ≤ exp(−num/den) ≤ hi / 2^bits, for integers num ≥ 0, den ≥ 1, bits ≥ 1. */
export function expEnclosure(num: bigint, den: bigint, bits: number): { lo: bigint; hi: bigint } {
  if (num < 0n || den < 1n || !Number.isInteger(bits) || bits < 1) throw new RangeError('expEnclosure needs num ≥ 0, den ≥ 1, bits ≥ 1');
  const one = 1n << BigInt(bits);
  if (num === 0n) return { lo: one, hi: one };
  // exp(−γ) = exp(−y)^(2^s) with y = γ / 2^s < 1.
  let s = 0;
  while (den << BigInt(s) <= num) s++;
  const yDen = den << BigInt(s);
  // Working precision: squaring at most doubles the absolute error (x ↦ x² has slope ≤ 2
  // on [0, 1]) and adds one unit per step, so s + 8 guard bits keep the result within
  // 2^-bits of exp(−γ).
  const work = bits + s + 8;
  const scale = 1n << BigInt(work);
  // Partial sums S_k = Σ_{j ≤ k} (−y)^j / j! kept exactly as A_k / D_k with
  // D_k = yDen^k · k!. For 0 < y < 1 the terms y^j / j! decrease, so exp(−y) lies
  // between any two consecutive partial sums.
  let a = 1n;
  let d = 1n;
  let power = 1n;
  let previousA = a;
  let previousD = d;
  for (let k = 1; ; k++) {
    previousA = a;
    previousD = d;
    power *= num;
    const step = yDen * BigInt(k);
    a = a * step + (k % 2 === 1 ? -power : power);
    d *= step;
    // Stop once the last term y^k / k! = power / d is below 2^-(work + 1).
    if (power << BigInt(work + 1) < d) break;
  }
  const floorDiv = (n: bigint, m: bigint): bigint => (n >= 0n ? n / m : -((-n + m - 1n) / m));
  const ceilDiv = (n: bigint, m: bigint): bigint => -floorDiv(-n, m);
  // Cross-multiply to order the two partial sums.
  const firstIsLower = previousA * d <= a * previousD;
  const [lowA, lowD, highA, highD] = firstIsLower ? [previousA, previousD, a, d] : [a, d, previousA, previousD];
  let lo = floorDiv(lowA * scale, lowD);
  let hi = ceilDiv(highA * scale, highD);
  if (lo < 0n) lo = 0n;
  if (hi > scale) hi = scale;
  for (let i = 0; i < s; i++) {
    lo = (lo * lo) >> BigInt(work);
    hi = (hi * hi + scale - 1n) >> BigInt(work);
  }
  const drop = BigInt(work - bits);
  return { lo: lo >> drop, hi: (hi + (1n << drop) - 1n) >> drop };
}

/** A uniform real U ∈ [0, 1) of which the first `bits` bits are drawn: U ∈ [u, u + 1) / 2^bits. */
export interface LazyUniform {
  u: bigint;
  bits: number;
}

/**
 * Decides U < exp(−num/den) exactly, drawing further 32-bit words of U from `next`
 * as needed (they stay in `uniform`, so later comparisons see the same U).
 */
export function lazyBelowExp(uniform: LazyUniform, num: bigint, den: bigint, next: () => number): boolean {
  if (num === 0n) return true;
  for (;;) {
    if (uniform.bits > 0) {
      const { lo, hi } = expEnclosure(num, den, uniform.bits);
      if (uniform.u + 1n <= lo) return true;
      if (uniform.u >= hi) return false;
    }
    const target = Math.max(64, 2 * uniform.bits);
    while (uniform.bits < target) {
      uniform.u = (uniform.u << 32n) | BigInt(next() >>> 0);
      uniform.bits += 32;
    }
  }
}

/**
 * Finishes the test U < exp(−num/den) exactly, for a uniform U ∈ [0, 1) whose first
 * 32 bits are `prefix` (already drawn); `next` supplies further uniform 32-bit words.
 */
export function decideExpExactly(prefix: number, num: bigint, den: bigint, next: () => number): boolean {
  return lazyBelowExp({ u: BigInt(prefix >>> 0), bits: 32 }, num, den, next);
}
