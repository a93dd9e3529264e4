import { CohortError } from '@cohortfl/wire';
import { badConfig, invalid } from './fail.js';
import { createUniformSource, stochasticRound } from './stochastic-round.js';

const INT32_MAX = 0x7fff_ffff;
const UINT32_MAX = 0xffff_ffff;

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
   * stochasticRound(w · clamp(Δ_j) · s) mod 2^32, the last word is numExamples.
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
    const uniform = createUniformSource();
    const out = new Uint32Array(update.length + 1);
    for (let j = 0; j < update.length; j++) {
      const value = update[j]!;
      if (!Number.isFinite(value)) throw new CohortError('DATA_INVALID', `update coordinate ${j} is not a finite number`);
      const q = stochasticRound(Math.min(clip, Math.max(-clip, value)) * factor, uniform);
      // The bound holds by construction; the clamp only guards against float edge cases.
      out[j] = Math.min(perSiteBound, Math.max(-perSiteBound, q));
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
