import { describe, expect, it } from 'vitest';
import { encodePublicKey, generateIdentity } from '@cohortfl/identity';
import { createDiscreteGaussianSampler, createSeededRandom, type DiscreteGaussianSampler } from '@cohortfl/privacy';
import { isCohortError, type RoundStart } from '@cohortfl/wire';
import { createMembership } from './membership.js';
import { NoisePool } from './noise-pool.js';
import { SecureSiteRound } from './secure-site.js';

/** A seeded sampler that remembers every buffer it filled, so a test can see them zeroed. */
function recording(): { createSampler: (s2: number) => DiscreteGaussianSampler; filled: Int32Array[]; created: number[] } {
  const filled: Int32Array[] = [];
  const created: number[] = [];
  const createSampler = (sigmaSquared: number): DiscreteGaussianSampler => {
    created.push(sigmaSquared);
    const inner = createDiscreteGaussianSampler(sigmaSquared, createSeededRandom(`pool-${created.length}`));
    return {
      sigmaSquared: inner.sigmaSquared,
      laplaceScale: inner.laplaceScale,
      sample: (count) => inner.sample(count),
      fill: (out) => {
        filled.push(new Int32Array(out.buffer, 0, out.buffer.byteLength / 4));
        return inner.fill(out);
      },
    };
  };
  return { createSampler, filled, created };
}

const code = (fn: () => unknown): string | undefined => {
  try {
    fn();
  } catch (error) {
    return isCohortError(error) ? error.code : 'NOT_COHORT_ERROR';
  }
  return undefined;
};

const allZero = (v: Int32Array) => v.every((x) => x === 0);

describe('noise pool', () => {
  const A = { sigmaSquared: 1e6, length: 1000 };
  const B = { sigmaSquared: 2e6, length: 1000 };

  it('hands a pre-drawn vector out once, then draws a fresh one', () => {
    const { createSampler } = recording();
    const pool = new NoisePool({ createSampler });
    expect(pool.prepare(A)).toBe(true);
    expect(pool.size).toBe(1);
    const first = pool.take(A);
    expect(pool.size).toBe(0);
    expect(pool.stats).toEqual({ taken: 1, preDrawn: 1 });
    expect(allZero(first)).toBe(false);
    const second = pool.take(A);
    expect(second).not.toBe(first);
    expect(second.buffer).not.toBe(first.buffer);
    expect(pool.stats).toEqual({ taken: 2, preDrawn: 1 });
    expect(Array.from(second)).not.toEqual(Array.from(first));
  });

  it('stays within its capacity and draws in slices of the budget', () => {
    const pool = new NoisePool({ capacity: 2, createSampler: recording().createSampler });
    expect(pool.prepare(A, 600)).toBe(false);
    expect(pool.size).toBe(0);
    expect(pool.prepare(A, 600)).toBe(false);
    expect(pool.size).toBe(1);
    expect(pool.prepare(A)).toBe(true);
    expect(pool.size).toBe(2);
    expect(pool.prepare(A)).toBe(true);
    expect(pool.size).toBe(2);
    // A partly drawn vector is finished on demand, never handed out half drawn.
    pool.take(A);
    pool.take(A);
    pool.prepare(A, 10);
    const v = pool.take(A);
    expect(v.length).toBe(A.length);
    expect(v.subarray(10).some((x) => x !== 0)).toBe(true);
  });

  it('zeroes and drops what it holds when σ² or the length changes, or on discard', () => {
    const { createSampler, filled, created } = recording();
    const pool = new NoisePool({ capacity: 2, createSampler });
    pool.prepare(A);
    const held = filled.slice();
    expect(held.length).toBe(2);
    expect(held.some(allZero)).toBe(false);
    const b = pool.take(B);
    expect(held.every(allZero)).toBe(true);
    expect(pool.stats.preDrawn).toBe(0);
    expect(b.length).toBe(B.length);
    expect(created).toEqual([1e6, 2e6]);

    const partialAt = filled.length;
    pool.prepare(B, 500); // partly drawn
    const partial = filled[partialAt]!;
    expect(allZero(partial.subarray(0, 500))).toBe(false);
    pool.prepare({ sigmaSquared: 2e6, length: 999 });
    expect(allZero(partial)).toBe(true);
    expect(pool.take({ sigmaSquared: 2e6, length: 999 }).length).toBe(999);

    pool.prepare(A);
    const before = filled.length;
    pool.discard();
    expect(filled.slice(before - 2).every(allZero)).toBe(true);
    expect(pool.size).toBe(0);
  });

  it('refuses bad shapes, capacities and budgets without keeping anything', () => {
    const pool = new NoisePool();
    for (const shape of [{ sigmaSquared: 0, length: 10 }, { sigmaSquared: Number.NaN, length: 10 }, { sigmaSquared: 1, length: 0 }, { sigmaSquared: 1, length: 1.5 }]) {
      expect(code(() => pool.prepare(shape))).toBe('CONFIG_INVALID');
      expect(code(() => pool.take(shape))).toBe('CONFIG_INVALID');
    }
    expect(code(() => new NoisePool({ maxLength: 10 }).prepare({ sigmaSquared: 1, length: 11 }))).toBe('CONFIG_INVALID');
    expect(code(() => new NoisePool({ capacity: 0 }))).toBe('CONFIG_INVALID');
    expect(code(() => new NoisePool({ capacity: 17 }))).toBe('CONFIG_INVALID');
    expect(code(() => pool.prepare({ sigmaSquared: 1, length: 10 }, 0))).toBe('CONFIG_INVALID');
    expect(pool.size).toBe(0);
  });

  it('a secure site round adds the pre-drawn noise to its vector and zeroes it', () => {
    const sites = ['a', 'b'];
    const membership = createMembership(sites.map((site) => ({ site, identityKey: encodePublicKey(generateIdentity().publicKey) })));
    const { createSampler, filled } = recording();
    const pool = new NoisePool({ createSampler });
    const P = 1000;
    pool.prepare({ sigmaSquared: 1e6, length: P });
    const noise = Int32Array.from(filled[0]!);
    const start = { type: 'round/start', taskHash: '7'.repeat(64), round: 1, attempt: 0, phase: 'train', cohort: sites, config: {}, weights: new Float32Array(P) } as RoundStart;
    const guard = { membership, colluders: 0, minCohortSize: 2, noiseSites: 1 };
    // A zero update quantizes to zeros exactly, so the vector before masking is the noise.
    const round = new SecureSiteRound('a', start, { clip: 1, weightScale: 1, maxSites: 2 }, new Float32Array(P), 1, 0, guard, 1e6, pool);
    const vector = (round as unknown as { vector: Uint32Array }).vector;
    expect(Array.from(vector.subarray(0, P), (w) => w | 0)).toEqual(Array.from(noise));
    expect(vector[P]).toBe(0); // the loss slot
    expect(vector[P + 1]).toBe(1); // numExamples
    expect(allZero(filled[0]!)).toBe(true);
    expect(pool.stats).toEqual({ taken: 1, preDrawn: 1 });
  });
});
