import { CohortError } from '@cohortfl/wire';
import { badConfig, invalid } from './fail.js';
import { randomFillSync } from 'node:crypto';

const INT32_MAX = 0x7fff_ffff;
const UINT32_MAX = 0xffff_ffff;
const TWO_POW_53 = 9_007_199_254_740_992;
/** Coordinates rounded per randomFillSync batch (128 KiB of random words). */
const ROUNDING_CHUNK = 16_384;

export interface QuantizerConfig {
  /** Coordinate-wise clip bound: every Δ_j is clamped to [−clip, clip]. */
  clip: number;
  /** Most sites whose quantized vectors may be summed without wrapping. */
  maxSites: number;
  /** Largest numExamples of one site; a site's weight is numExamples / weightScale ∈ (0, 1]. */
  weightScale: number;
}

export interface DequantizedSum {
  /** Σ n_i Δ_i / Σ n_i: the example-weighted mean update. */
  weightedMeanUpdate: Float32Array;
  /** Σ n_i, exact. */
  totalExamples: number;
  /** Σ n_i Δ_i (float64). */
  weightedSum: Float64Array;
}

export interface Quantizer {
  readonly clip: number;
  readonly maxSites: number;
  readonly weightScale: number;
  /** s: quantization steps per unit of w·Δ. */
  readonly scale: number;
  /**
   * Encodes an update and its example count as P + 1 words of Z_2^32: word j is
   * the stochastic rounding of w · clamp(Δ_j) · s (⌊x⌋ + 1 with probability x − ⌊x⌋,
   * else ⌊x⌋, from 53 random bits: unbiased up to 2^-53) mod 2^32, the last word is numExamples.
   */
  quantize(update: ArrayLike<number>, numExamples: number): Uint32Array;
  /** Decodes the mod-2^32 sum of `sites` quantized vectors (coordinates read as int32). */
  dequantizeSum(sum: Uint32Array, sites: number): DequantizedSum;
  /** Bound on |error| of each weightedSum coordinate from rounding `sites` vectors: sites · weightScale / s. */
  maxRoundingError(sites: number): number;
}

/**
 * Fixed-point encoding for secure aggregation. s = floor((2^31 − 1 − maxSites) /
 * (maxSites · clip)): each word is below (2^31 − 1) / maxSites in magnitude even
 * after rounding up, so a sum over up to maxSites sites never wraps and reads back
 * exactly as int32. (The brief's (2^31 − 1) / (maxSites · clip) less a margin of one
 * step per site for the rounding.) Word P carries numExamples; maxSites ·
 * weightScale must fit in a uint32 so the example total does not wrap either.
 */
export function createQuantizer(config: QuantizerConfig): Quantizer {
  const { clip, maxSites, weightScale } = config ?? ({} as QuantizerConfig);
  if (!(typeof clip === 'number' && Number.isFinite(clip) && clip > 0)) throw badConfig('clip must be a positive finite number');
  if (!Number.isInteger(maxSites) || maxSites < 1) throw badConfig('maxSites must be a positive integer');
  if (!Number.isInteger(weightScale) || weightScale < 1) throw badConfig('weightScale must be a positive integer');
  if (maxSites * weightScale > UINT32_MAX) throw badConfig('maxSites × weightScale must not exceed 2^32 − 1');
  const scale = Math.floor((INT32_MAX - maxSites) / (maxSites * clip));
  if (!(scale >= 1)) throw badConfig(`clip ${clip} × maxSites ${maxSites} leaves no fixed-point precision`);
  const perSiteBound = Math.floor(INT32_MAX / maxSites);

  const quantize = (update: ArrayLike<number>, numExamples: number): Uint32Array => {
    if (update === null || typeof update !== 'object' || typeof update.length !== 'number' || update.length < 1) {
      throw new CohortError('DATA_INVALID', 'update must be a non-empty array of numbers');
    }
    if (!Number.isInteger(numExamples) || numExamples < 1 || numExamples > weightScale) {
      throw new CohortError('DATA_INVALID', `numExamples ${String(numExamples)} must be an integer in 1..${weightScale} (weightScale)`);
    }
    const factor = (numExamples / weightScale) * scale;
    const length = update.length;
    const out = new Uint32Array(length + 1);
    // Int32 view: the same bits as the uint32 word of a negative value, without the conversion.
    const signed = new Int32Array(out.buffer, 0, length);
    // Two node:crypto words per coordinate (27 + 26 bits of a uniform double), a chunk at a time.
    const words = new Uint32Array(2 * ROUNDING_CHUNK);
    try {
      for (let base = 0; base < length; base += ROUNDING_CHUNK) {
        const end = Math.min(length, base + ROUNDING_CHUNK);
        randomFillSync(words.subarray(0, 2 * (end - base)));
        roundChunk(update, signed, words, base, end, clip, factor, perSiteBound);
      }
    } finally {
      words.fill(0);
    }
    out[update.length] = numExamples;
    return out;
  };

  const dequantizeSum = (sum: Uint32Array, sites: number): DequantizedSum => {
    if (!(sum instanceof Uint32Array) || sum.length < 2) throw invalid('a quantized sum must be a Uint32Array of length P + 1 ≥ 2');
    if (!Number.isInteger(sites) || sites < 1 || sites > maxSites) throw invalid(`sites ${String(sites)} must be an integer in 1..${maxSites}`);
    const length = sum.length - 1;
    const totalExamples = sum[length]!;
    if (totalExamples < sites || totalExamples > sites * weightScale) {
      throw invalid(`example total ${totalExamples} is impossible for ${sites} sites with weightScale ${weightScale}`);
    }
    const weightedSum = new Float64Array(length);
    const weightedMeanUpdate = new Float32Array(length);
    const unit = weightScale / scale;
    for (let j = 0; j < length; j++) {
      weightedSum[j] = (sum[j]! | 0) * unit;
      weightedMeanUpdate[j] = weightedSum[j]! / totalExamples;
    }
    return { weightedMeanUpdate, totalExamples, weightedSum };
  };

  return {
    clip,
    maxSites,
    weightScale,
    scale,
    quantize,
    dequantizeSum,
    maxRoundingError: (sites) => (sites * weightScale) / scale,
  };
}

/**
 * signed[j] ← stochastic rounding of clamp(update[j], ±clip) · factor, for j in
 * [base, end), clamped to ±bound, from two words of `words` per coordinate.
 */
function roundChunk(update: ArrayLike<number>, signed: Int32Array, words: Uint32Array, base: number, end: number, clip: number, factor: number, bound: number): void {
  for (let j = base, w = 0; j < end; j++, w += 2) {
    const value = update[j]!;
    if (!Number.isFinite(value)) throw new CohortError('DATA_INVALID', `update coordinate ${j} is not a finite number`);
    const x = (value > clip ? clip : value < -clip ? -clip : value) * factor;
    const floor = Math.floor(x);
    const uniform = ((words[w]! >>> 5) * 67_108_864 + (words[w + 1]! >>> 6)) / TWO_POW_53;
    // floor + 1 exactly when uniform < x − floor: x − floor is exact, and the sign of the
    // rounded difference is the sign of the exact one, so its ceiling is 1 or 0. (Branch
    // free: a random branch mispredicts half the time, which costs more than the rest.)
    const q = floor + Math.ceil(x - floor - uniform);
    // The bound holds by construction; the clamp only guards against float edge cases.
    signed[j] = q > bound ? bound : q < -bound ? -bound : q;
  }
}
