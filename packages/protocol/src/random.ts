/**
 * Seeded PRNG for decisions that must be reproducible (cohort sampling,
 * simulated dropouts). Not for keys, masks or noise: those use node:crypto.
 */
export { createSeededRandom as createRandom } from '@cohortfl/wire';

/** Derive a child seed from a seed and a label, so streams stay independent. */
export function deriveSeed(seed: number, label: string): number {
  let h = (seed ^ 0x9e3779b9) >>> 0;
  for (let i = 0; i < label.length; i++) {
    h = Math.imul(h ^ label.charCodeAt(i), 0x01000193) >>> 0;
  }
  return (h ^ (h >>> 16)) >>> 0;
}
