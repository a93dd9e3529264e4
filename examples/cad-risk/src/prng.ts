import { createHash } from 'node:crypto';

/**
 * Seeded randomness for the synthetic consortium. Everything is built on 32-bit
 * integer arithmetic (sfc32) plus Math.log/sqrt/cos, so a seed gives the same
 * numbers on every machine. Each named stream gets its own state, so adding a
 * site or a variant never shifts the draws of another stream.
 */
export interface Rng {
  /** Uniform in [0, 1), 32 bits of resolution. */
  uniform(): number;
  /** Uniform integer in [0, n). */
  int(n: number): number;
  /** Standard normal (Box–Muller). */
  normal(): number;
  /** Normal with the given mean and standard deviation. */
  gaussian(mean: number, sd: number): number;
  /** Gamma(shape, 1) by Marsaglia–Tsang. */
  gamma(shape: number): number;
  /** Beta(a, b) as G1 / (G1 + G2) of two Gamma draws. */
  beta(a: number, b: number): number;
  bernoulli(p: number): boolean;
  /** Index drawn with probability proportional to `weights` (non-negative, positive sum). */
  categorical(weights: readonly number[]): number;
  /** `k` distinct indices of [0, n), in increasing order (partial Fisher–Yates). */
  sample(n: number, k: number): number[];
}

const TWO_POW_32 = 4294967296;

/** sfc32 (Chris Doty-Humphrey's Small Fast Counting generator): 128-bit state, passes PractRand. */
function sfc32(a: number, b: number, c: number, d: number): () => number {
  return () => {
    a |= 0;
    b |= 0;
    c |= 0;
    d |= 0;
    const t = (((a + b) | 0) + d) | 0;
    d = (d + 1) | 0;
    a = b ^ (b >>> 9);
    b = (c + (c << 3)) | 0;
    c = (c << 21) | (c >>> 11);
    c = (c + t) | 0;
    return t >>> 0;
  };
}

/**
 * The generator of stream `stream` under `seed`. The 128-bit state is the head of
 * SHA-256(seed, stream), so streams with related names are still independent.
 */
export function createRng(seed: number, stream: string): Rng {
  const digest = createHash('sha256').update(`cohortfl-cad-risk/${seed}/${stream}`).digest();
  const next = sfc32(digest.readUInt32LE(0), digest.readUInt32LE(4), digest.readUInt32LE(8), digest.readUInt32LE(12));
  // sfc32 mixes its state over its first outputs; discard them as its author advises.
  for (let i = 0; i < 15; i++) next();

  const uniform = (): number => next() / TWO_POW_32;
  let spare: number | null = null;
  const normal = (): number => {
    if (spare !== null) {
      const z = spare;
      spare = null;
      return z;
    }
    const u1 = 1 - uniform(); // (0, 1], so the log is finite
    const u2 = uniform();
    const r = Math.sqrt(-2 * Math.log(u1));
    spare = r * Math.sin(2 * Math.PI * u2);
    return r * Math.cos(2 * Math.PI * u2);
  };
  const gamma = (shape: number): number => {
    if (!(shape > 0)) throw new RangeError(`gamma shape must be > 0, got ${shape}`);
    // Shape < 1: boost to shape + 1 and scale by U^(1/shape) (Marsaglia–Tsang, section 6).
    if (shape < 1) return gamma(shape + 1) * Math.pow(1 - uniform(), 1 / shape);
    const d = shape - 1 / 3;
    const c = 1 / Math.sqrt(9 * d);
    for (;;) {
      const x = normal();
      const v0 = 1 + c * x;
      if (v0 <= 0) continue;
      const v = v0 * v0 * v0;
      const u = 1 - uniform();
      if (Math.log(u) < 0.5 * x * x + d - d * v + d * Math.log(v)) return d * v;
    }
  };
  const int = (n: number): number => Math.floor(uniform() * n);

  return {
    uniform,
    int,
    normal,
    gaussian: (mean, sd) => mean + sd * normal(),
    gamma,
    beta: (a, b) => {
      // Both draws can underflow to 0 for tiny shapes; redraw rather than return NaN.
      for (;;) {
        const x = gamma(a);
        const y = gamma(b);
        if (x + y > 0) return x / (x + y);
      }
    },
    bernoulli: (p) => uniform() < p,
    categorical: (weights) => {
      let total = 0;
      for (const w of weights) total += w;
      let r = uniform() * total;
      for (let i = 0; i < weights.length; i++) {
        r -= weights[i] ?? 0;
        if (r < 0) return i;
      }
      // Rounding can leave r at ~0 after the last weight: return the last positive one.
      for (let i = weights.length - 1; i >= 0; i--) if ((weights[i] ?? 0) > 0) return i;
      throw new RangeError('categorical weights must have a positive sum');
    },
    sample: (n, k) => {
      if (k > n || k < 0) throw new RangeError(`cannot sample ${k} of ${n}`);
      const pool = Array.from({ length: n }, (_, i) => i);
      for (let i = 0; i < k; i++) {
        const j = i + int(n - i);
        const tmp = pool[i] as number;
        pool[i] = pool[j] as number;
        pool[j] = tmp;
      }
      return pool.slice(0, k).sort((a, b) => a - b);
    },
  };
}
