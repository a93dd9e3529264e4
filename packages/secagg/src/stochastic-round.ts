import { randomFillSync } from 'node:crypto';

const CHUNK = 8_192;
const TWO_POW_53 = 9_007_199_254_740_992;

/**
 * Uniform doubles in [0, 1) with 53 random bits each, from node:crypto's CSPRNG,
 * drawn a chunk at a time.
 */
export function createUniformSource(): () => number {
  const words = new Uint32Array(CHUNK * 2);
  let position = words.length;
  return () => {
    if (position === words.length) {
      randomFillSync(words);
      position = 0;
    }
    const high = words[position++]! >>> 5; // 27 bits
    const low = words[position++]! >>> 6; // 26 bits
    return (high * 67_108_864 + low) / TWO_POW_53;
  };
}

/**
 * floor(x) + 1 with probability x − floor(x), else floor(x): E[result] = x, so
 * rounding adds no bias to the aggregate (up to 2^-53 per coordinate).
 */
export function stochasticRound(x: number, uniform: () => number): number {
  const floor = Math.floor(x);
  return uniform() < x - floor ? floor + 1 : floor;
}
