/**
 * A seeded PRNG (mulberry32) for decisions that must be reproducible in any process:
 * initial weights, shuffles, cohort sampling, simulated faults. Never for keys,
 * masks, noise or DP sampling: those use node:crypto.
 */
export function createSeededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
