import { createCipheriv, createHash, randomFillSync } from 'node:crypto';
import { configError, requireInteger } from './validate.js';

/** The one primitive every sampler consumes: a uniform 32-bit word. */
export interface RandomSource {
  /** Uniform integer in [0, 2^32). */
  nextUint32(): number;
}

/** A random source with the derived exact draws the samplers use. */
export interface SecureRandom extends RandomSource {
  /** Uniform integer in [0, n) for a safe integer n ≥ 1 (exact: rejection sampling). */
  uniformInt(n: number): number;
  /** Uniform double k · 2^-53 for a uniform k in [0, 2^53). */
  uniformDouble(): number;
  /** Exactly Bernoulli(numerator / denominator) for integers 0 ≤ numerator ≤ denominator, denominator ≥ 1. */
  bernoulli(numerator: number | bigint, denominator: number | bigint): boolean;
}

const TWO_32 = 4_294_967_296;
const TWO_21 = 2_097_152;
const TWO_53 = 9_007_199_254_740_992;
const POOL_WORDS = 16_384;

/** Uniform integer in [0, n): one word (or two for n > 2^32), rejecting the biased top so every value is equally likely. */
export function uniformInt(rng: RandomSource, n: number): number {
  if (n <= TWO_32) {
    if (n === 1) return 0;
    const limit = TWO_32 - (TWO_32 % n);
    for (;;) {
      const w = rng.nextUint32();
      if (w < limit) return w % n;
    }
  }
  const limit = TWO_53 - (TWO_53 % n);
  for (;;) {
    const x = (rng.nextUint32() % TWO_21) * TWO_32 + rng.nextUint32();
    if (x < limit) return x % n;
  }
}

/** Uniform bigint in [0, n) for n ≥ 1: enough 32-bit words, rejection above the largest multiple of n. */
export function uniformBigInt(rng: RandomSource, n: bigint): bigint {
  const words = Math.ceil(n.toString(2).length / 32);
  const range = 1n << BigInt(32 * words);
  const limit = range - (range % n);
  for (;;) {
    let x = 0n;
    for (let i = 0; i < words; i++) x = (x << 32n) | BigInt(rng.nextUint32());
    if (x < limit) return x % n;
  }
}

export function uniformDouble(rng: RandomSource): number {
  return ((rng.nextUint32() % TWO_21) * TWO_32 + rng.nextUint32()) / TWO_53;
}

export function bernoulliRational(rng: RandomSource, numerator: number | bigint, denominator: number | bigint): boolean {
  if (typeof numerator === 'number' && typeof denominator === 'number' && denominator <= Number.MAX_SAFE_INTEGER) {
    requireInteger('denominator', denominator, 1);
    requireInteger('numerator', numerator, 0, denominator);
    return numerator === denominator || uniformInt(rng, denominator) < numerator;
  }
  const isInt = (v: number | bigint): boolean => typeof v === 'bigint' || Number.isSafeInteger(v);
  if (!isInt(numerator) || !isInt(denominator)) throw configError('bernoulli needs integer numerator and denominator');
  const num = BigInt(numerator);
  const den = BigInt(denominator);
  if (den < 1n || num < 0n || num > den) throw configError('bernoulli needs integers 0 ≤ numerator ≤ denominator, denominator ≥ 1');
  return num === den || uniformBigInt(rng, den) < num;
}

function withDraws(next: () => number): SecureRandom {
  const source: SecureRandom = {
    nextUint32: next,
    uniformInt: (n) => uniformInt(source, requireInteger('n', n, 1)),
    uniformDouble: () => uniformDouble(source),
    bernoulli: (numerator, denominator) => bernoulliRational(source, numerator, denominator),
  };
  return source;
}

/** Words served from a pool refilled a chunk at a time, so one syscall feeds thousands of draws. */
function pooled(fill: (words: Uint32Array) => void): () => number {
  const pool = new Uint32Array(POOL_WORDS);
  let position = POOL_WORDS;
  return () => {
    if (position === POOL_WORDS) {
      fill(pool);
      position = 0;
    }
    return pool[position++]!;
  };
}

/** Cryptographically secure randomness from node:crypto (the OS CSPRNG). Use this for all real noise. */
export function createSecureRandom(): SecureRandom {
  return withDraws(pooled((words) => randomFillSync(words)));
}

/**
 * FOR TESTS ONLY: a reproducible stream (ChaCha20 keystream keyed by SHA-256 of the
 * seed). Anyone who knows the seed knows the noise, which voids differential privacy.
 */
export function createSeededRandom(seed: string | number): SecureRandom {
  const key = createHash('sha256').update(`cohortfl/privacy/seeded-rng/v1:${String(seed)}`).digest();
  const cipher = createCipheriv('chacha20', key, Buffer.alloc(16));
  const zeros = new Uint8Array(POOL_WORDS * 4);
  return withDraws(
    pooled((words) => {
      const bytes = cipher.update(zeros);
      new Uint8Array(words.buffer, words.byteOffset, words.byteLength).set(bytes);
    }),
  );
}

let shared: SecureRandom | undefined;

/** The process-wide secure source the samplers use when no rng is injected. */
export function defaultRandom(): SecureRandom {
  shared ??= createSecureRandom();
  return shared;
}
