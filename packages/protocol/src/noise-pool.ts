/**
 * Pre-drawn distributed-DP noise. A site's discrete Gaussian noise does not depend on
 * its update, only on σ² and the vector length, so the site can draw the next
 * round's noise while it waits (after its reveal, before the next round/start) and
 * spend no time on it when the update is ready. The pool is bounded (`capacity`
 * vectors), lives in memory only, hands each vector out once (take() removes it;
 * the caller zeroes it once added), and zeroes and drops everything it holds as soon
 * as it is asked for another σ² or length. Drawing can be spread over many short
 * steps (prepare's `budget`), so a shell can keep its event loop responsive.
 */
import { createDiscreteGaussianSampler, type DiscreteGaussianSampler } from '@cohortfl/privacy';
import { CohortError } from '@cohortfl/wire';

export interface NoiseShape {
  /** σ² of each coordinate, in grid units². */
  sigmaSquared: number;
  /** Coordinates per vector. */
  length: number;
}

export interface NoisePoolOptions {
  /** Most complete vectors held at once (default 1). */
  capacity?: number;
  /** Largest vector the pool will pre-draw (default 2^26 coordinates, 256 MiB). */
  maxLength?: number;
  /** Tests only: the sampler of a σ² (default: the exact discrete Gaussian on node:crypto randomness). */
  createSampler?: (sigmaSquared: number) => DiscreteGaussianSampler;
}

const DEFAULT_MAX_LENGTH = 2 ** 26;

export class NoisePool {
  readonly capacity: number;
  readonly maxLength: number;
  readonly #createSampler: (sigmaSquared: number) => DiscreteGaussianSampler;
  #shape: NoiseShape | undefined;
  #sampler: DiscreteGaussianSampler | undefined;
  #ready: Int32Array[] = [];
  /** A vector being drawn, and how many of its coordinates are drawn. */
  #partial: { vector: Int32Array; filled: number } | undefined;
  #taken = 0;
  #reused = 0;

  constructor(options: NoisePoolOptions = {}) {
    const capacity = options.capacity ?? 1;
    const maxLength = options.maxLength ?? DEFAULT_MAX_LENGTH;
    if (!Number.isSafeInteger(capacity) || capacity < 1 || capacity > 16) throw new CohortError('CONFIG_INVALID', 'noise pool capacity must be an integer in 1..16');
    if (!Number.isSafeInteger(maxLength) || maxLength < 1) throw new CohortError('CONFIG_INVALID', 'noise pool maxLength must be a positive integer');
    this.capacity = capacity;
    this.maxLength = maxLength;
    this.#createSampler = options.createSampler ?? ((sigmaSquared) => createDiscreteGaussianSampler(sigmaSquared));
  }

  /** Complete vectors ready to be taken. */
  get size(): number {
    return this.#ready.length;
  }

  /** Vectors handed out so far, and how many of them were pre-drawn. */
  get stats(): { taken: number; preDrawn: number } {
    return { taken: this.#taken, preDrawn: this.#reused };
  }

  /**
   * Draws towards `capacity` vectors of `shape`, at most `budget` coordinates in this
   * call (default: all). Returns true when the pool is full. Asking for another shape
   * first discards what the pool holds.
   */
  prepare(shape: NoiseShape, budget = Number.POSITIVE_INFINITY): boolean {
    this.#select(shape);
    if (!(budget > 0)) throw new CohortError('CONFIG_INVALID', 'noise pool budget must be positive');
    let left = budget;
    while (this.#ready.length < this.capacity && left > 0) {
      this.#partial ??= { vector: new Int32Array(shape.length), filled: 0 };
      const partial = this.#partial;
      const count = Math.min(partial.vector.length - partial.filled, left);
      this.#sampler!.fill(partial.vector.subarray(partial.filled, partial.filled + count));
      partial.filled += count;
      left -= count;
      if (partial.filled === partial.vector.length) {
        this.#ready.push(partial.vector);
        this.#partial = undefined;
      }
    }
    return this.#ready.length >= this.capacity;
  }

  /**
   * A noise vector of `shape`, used by nobody before and handed to nobody after: a
   * pre-drawn one if the pool holds one of that shape, else drawn now (finishing a
   * partly drawn one first). The caller zeroes it once it has added it.
   */
  take(shape: NoiseShape): Int32Array {
    this.#select(shape);
    this.#taken++;
    const ready = this.#ready.shift();
    if (ready !== undefined) {
      this.#reused++;
      return ready;
    }
    const partial = this.#partial ?? { vector: new Int32Array(shape.length), filled: 0 };
    this.#partial = undefined;
    this.#sampler!.fill(partial.vector.subarray(partial.filled));
    return partial.vector;
  }

  /** Zeroes and drops every vector held, complete or partial. */
  discard(): void {
    for (const vector of this.#ready) vector.fill(0);
    this.#ready = [];
    this.#partial?.vector.fill(0);
    this.#partial = undefined;
  }

  #select(shape: NoiseShape): void {
    const sigmaSquared = shape?.sigmaSquared;
    const length = shape?.length;
    if (!Number.isSafeInteger(length) || length < 1 || length > this.maxLength) {
      throw new CohortError('CONFIG_INVALID', `noise vector length must be an integer in 1..${this.maxLength}`);
    }
    if (this.#shape !== undefined && this.#shape.sigmaSquared === sigmaSquared && this.#shape.length === length) return;
    this.discard();
    this.#shape = undefined;
    this.#sampler = undefined;
    // Refuses a σ² the sampler cannot draw (CONFIG_INVALID) before anything is kept.
    this.#sampler = this.#createSampler(sigmaSquared);
    this.#shape = { sigmaSquared, length };
  }
}
