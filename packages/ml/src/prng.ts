/**
 * Seeded randomness owned by this package: tfjs initializers and shuffles use
 * an unseeded global RNG, so nothing reproducible may depend on them.
 */

/** mulberry32, shared with the round engine (see @cohortfl/wire). */
export { createSeededRandom as mulberry32 } from '@cohortfl/wire';

/** In-place Fisher–Yates shuffle driven by `random`. */
export function shuffleInPlace(order: Int32Array, random: () => number): void {
  for (let i = order.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    const tmp = order[i] as number;
    order[i] = order[j] as number;
    order[j] = tmp;
  }
}
