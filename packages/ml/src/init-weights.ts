/**
 * Seeded initial global weights. tfjs initializers draw from an unseeded RNG,
 * so the coordinator would start every run from different weights; here the
 * same topology and seed give the same bytes in any process, on any backend.
 */
import { withModel } from './model-cache.js';
import { mulberry32 } from './prng.js';
import { validateSeed } from './validate.js';
import type { ModelTopology } from './types.js';
import type { WeightSlot } from './weights.js';

/** Keras' "ones" weights: batch-norm scale and running variance. */
const ONES = [/(^|\/)gamma$/, /(^|\/)moving_variance$/];

/** Glorot-uniform limit sqrt(6 / (fanIn + fanOut)), fans as Keras computes them. */
function glorotLimit(shape: number[]): number {
  const receptive = shape.slice(0, -2).reduce((a, b) => a * b, 1);
  const fanIn = (shape[shape.length - 2] as number) * receptive;
  const fanOut = (shape[shape.length - 1] as number) * receptive;
  return Math.sqrt(6 / (fanIn + fanOut));
}

function fillSlot(out: Float32Array, slot: WeightSlot, random: () => number): void {
  const view = out.subarray(slot.offset, slot.offset + slot.size);
  if (ONES.some((re) => re.test(slot.name))) {
    view.fill(1);
  } else if (slot.shape.length >= 2) {
    const limit = glorotLimit(slot.shape);
    for (let i = 0; i < view.length; i++) view[i] = (2 * random() - 1) * limit;
  }
  // Anything else (biases, offsets, running means) starts at zero.
}

/**
 * Deterministic initial weights: Glorot-uniform kernels (rank ≥ 2), zero
 * biases, ones for batch-norm gamma and moving variance; one mulberry32 stream
 * walks the weights in flat order.
 */
export async function initialWeights(topology: ModelTopology, seed: number): Promise<Float32Array> {
  validateSeed(seed);
  return withModel(topology, ({ layout }) => {
    const out = new Float32Array(layout.total);
    const random = mulberry32(seed);
    for (const slot of layout.slots) fillSlot(out, slot, random);
    return out;
  });
}
