/**
 * Poisson subsampling for DP-SGD: every record joins a step's batch
 * independently with probability q. The accountant's subsampled-Gaussian bound
 * assumes nobody can tell which records were drawn, so the coin flips come
 * from the operating system's CSPRNG (node:crypto), never from a seeded PRNG.
 */
import { randomFillSync } from 'node:crypto';

/** 32-bit words fetched from the CSPRNG at once (256 KiB): one call serves many steps. */
const POOL_WORDS = 64 * 1024;

/** Uniform draws in [0, 1) with 53 random bits each, buffered from the CSPRNG. */
export type UniformSource = () => number;

export function createCryptoUniform(): UniformSource {
  const pool = new Uint32Array(POOL_WORDS);
  let next = POOL_WORDS;
  return () => {
    if (next + 2 > POOL_WORDS) {
      randomFillSync(pool);
      next = 0;
    }
    const hi = (pool[next++] as number) >>> 11; // 21 bits
    const lo = pool[next++] as number; // 32 bits
    return (hi * 4294967296 + lo) / 9007199254740992; // / 2^53: exact in a double
  };
}

/**
 * Writes the indices of the records drawn for one step into `out` (length ≥ n)
 * and returns how many there are. With q = 1 every record is drawn.
 */
export function poissonSample(n: number, q: number, uniform: UniformSource, out: Int32Array): number {
  let count = 0;
  for (let i = 0; i < n; i++) {
    if (uniform() < q) out[count++] = i;
  }
  return count;
}
