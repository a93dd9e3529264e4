import { type DistributedDiscreteGaussianParams, distributedDiscreteGaussianRdp } from './distributed-discrete-gaussian.js';
import { computeRdp } from './rdp-subsampled-gaussian.js';
import { configError, requireNonNegative, requireRdp } from './validate.js';

/** A privacy-consuming release, described so the ledger can compute its RDP itself. */
export type Mechanism =
  /** `steps` Poisson-subsampled Gaussian releases with noise multiplier σ (computeRdp). */
  | { kind: 'gaussian'; noiseMultiplier: number; samplingRate: number; steps: number }
  /** Distributed discrete Gaussian rounds (distributedDiscreteGaussianRdp); `orders` come from the ledger. */
  | { kind: 'distributed-discrete-gaussian'; params: Omit<DistributedDiscreteGaussianParams, 'orders'> }
  /** A precomputed RDP curve over the ledger's orders; `noiseMultiplier` is what the noise floor checks. */
  | { kind: 'rdp'; rdp: readonly number[]; noiseMultiplier?: number };

const DDG_KEYS = ['l2Clip', 'grid', 'dimension', 'perSiteVariance', 'minSites', 'rounds', 'samplingRate', 'roundingBeta'] as const;

/** A copy holding only the fields that define the mechanism (what the ledger stores). */
export function canonicalMechanism(mechanism: Mechanism): Mechanism {
  switch (mechanism?.kind) {
    case 'gaussian':
      return { kind: 'gaussian', noiseMultiplier: mechanism.noiseMultiplier, samplingRate: mechanism.samplingRate, steps: mechanism.steps };
    case 'distributed-discrete-gaussian': {
      const params: Record<string, unknown> = {};
      for (const key of DDG_KEYS) if (mechanism.params?.[key] !== undefined) params[key] = mechanism.params[key];
      return { kind: 'distributed-discrete-gaussian', params: params as Omit<DistributedDiscreteGaussianParams, 'orders'> };
    }
    case 'rdp':
      return mechanism.noiseMultiplier === undefined
        ? { kind: 'rdp', rdp: [...mechanism.rdp] }
        : { kind: 'rdp', rdp: [...mechanism.rdp], noiseMultiplier: mechanism.noiseMultiplier };
    default:
      throw configError(`unknown mechanism kind ${JSON.stringify((mechanism as { kind?: unknown } | undefined)?.kind)}`);
  }
}

/** RDP of a mechanism over `orders`. */
export function mechanismRdp(mechanism: Mechanism, orders: readonly number[]): number[] {
  switch (mechanism?.kind) {
    case 'gaussian':
      return computeRdp({ noiseMultiplier: mechanism.noiseMultiplier, samplingRate: mechanism.samplingRate, steps: mechanism.steps, orders });
    case 'distributed-discrete-gaussian':
      if (typeof mechanism.params !== 'object' || mechanism.params === null) throw configError('distributed-discrete-gaussian needs params');
      return distributedDiscreteGaussianRdp({ ...mechanism.params, orders }).rdp;
    case 'rdp':
      return [...requireRdp(mechanism.rdp, orders)];
    default:
      throw configError(`unknown mechanism kind ${JSON.stringify((mechanism as { kind?: unknown } | undefined)?.kind)}`);
  }
}

/**
 * The noise multiplier the hospital's noise floor is checked against: σ for the
 * Gaussian; for the distributed discrete Gaussian the multiplier of the summed noise
 * over its rounded sensitivity, √(n_min·σ_g²)/Δ₂; for a raw RDP curve the value the
 * caller states (undefined if none).
 */
export function mechanismNoiseMultiplier(mechanism: Mechanism, orders: readonly number[]): number | undefined {
  switch (mechanism.kind) {
    case 'gaussian':
      return mechanism.noiseMultiplier;
    case 'distributed-discrete-gaussian':
      return distributedDiscreteGaussianRdp({ ...mechanism.params, orders }).noiseMultiplier;
    case 'rdp':
      return mechanism.noiseMultiplier === undefined ? undefined : requireNonNegative('noiseMultiplier', mechanism.noiseMultiplier);
  }
}
