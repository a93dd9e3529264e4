/**
 * Secure aggregation settings of a run, and how they travel: the quantizer's
 * parameters ride in the signed `round/start` config (every site must quantize
 * alike); threshold and graph degree ride in the signed `secagg/roster`.
 */
import { CohortError, type ConfigValue } from '@cohortfl/wire';
import { minimumThreshold } from '@cohortfl/secagg';
import { quantizerSitesWithNoise, type RoundPrivacy } from './privacy-settings.js';
import type { Membership } from './membership.js';
import { DEFAULT_COLLUDERS } from './site-policy.js';

export interface SecureAggregationOptions {
  /**
   * Fewest sites whose sum may be revealed: a fraction of the cohort in (0, 1] or a count ≥ 2.
   * Default: the least the consistency rule allows, 2t > holders + colluders.
   */
  threshold?: number;
  /** Colluding sites the threshold tolerates (default DEFAULT_COLLUDERS). */
  colluders?: number;
  /** Neighbour graph: 0 = full graph (default), else the degree k of a k-regular graph. */
  degree?: number;
  /** L2 norm bound of a site's update; larger updates are scaled down to it. */
  clip: number;
  /** Sample counts are divided by this (≥ any site's count) to weight updates inside the sum. */
  weightScale: number;
  /** Deadline of each exchange after the training step, in milliseconds. */
  stepTimeoutMs: number;
  /**
   * The consortium: every enrolled site and its identity key. Roster entries carry these
   * keys (sites accept only the ones they pinned), and the neighbour graph is drawn over it.
   */
  membership: Membership;
}

export const SECAGG_CONFIG_KEYS = { ENABLED: 'secagg', CLIP: 'secaggClip', WEIGHT_SCALE: 'secaggWeightScale', MAX_SITES: 'secaggMaxSites' } as const;

/** Holders of one site's shares at most, for a cohort of n: all n on the full graph, k + 1 on a k-regular one. */
export function holderGroup(n: number, degree = 0): number {
  return degree > 0 ? Math.min(degree + 1, n) : n;
}

/**
 * The threshold for a cohort of n sites: what the task set, else the least that keeps
 * the assumed colluders from splitting a holder group (2t > holders + colluders).
 */
export function resolveThreshold(n: number, options: Pick<SecureAggregationOptions, 'threshold' | 'colluders' | 'degree'>): number {
  const { threshold } = options;
  if (threshold !== undefined) return Math.max(2, threshold <= 1 ? Math.ceil(threshold * n) : Math.floor(threshold));
  return minimumThreshold(holderGroup(n, options.degree), options.colluders ?? DEFAULT_COLLUDERS);
}

/**
 * Under site-level DP the sum weighs sites equally (weight scale 1, each site counts
 * 1): its sensitivity is then one clipped update, and a site's size cannot set its
 * influence. The quantizer also leaves headroom for the noise.
 */
export function secureRoundConfig(options: SecureAggregationOptions, cohortSize: number, privacy?: RoundPrivacy, uniformWeights = false): Record<string, ConfigValue> {
  const siteDp = privacy?.unit === 'site';
  // Sites that count once each (site-level DP, q-FedAvg) send weight 1 of scale 1.
  return {
    [SECAGG_CONFIG_KEYS.ENABLED]: true,
    [SECAGG_CONFIG_KEYS.CLIP]: siteDp ? privacy.clip : options.clip,
    [SECAGG_CONFIG_KEYS.WEIGHT_SCALE]: siteDp || uniformWeights ? 1 : options.weightScale,
    [SECAGG_CONFIG_KEYS.MAX_SITES]: quantizerSitesWithNoise(cohortSize, privacy),
  };
}

export interface QuantizerSettings {
  clip: number;
  weightScale: number;
  maxSites: number;
}

/** The quantizer settings a signed round config carries, or undefined for a plaintext round. */
export function quantizerSettings(config: Record<string, ConfigValue>): QuantizerSettings | undefined {
  if (config[SECAGG_CONFIG_KEYS.ENABLED] !== true) return undefined;
  const clip = config[SECAGG_CONFIG_KEYS.CLIP];
  const weightScale = config[SECAGG_CONFIG_KEYS.WEIGHT_SCALE];
  const maxSites = config[SECAGG_CONFIG_KEYS.MAX_SITES];
  if (typeof clip !== 'number' || !(clip > 0) || typeof weightScale !== 'number' || !(weightScale >= 1) || typeof maxSites !== 'number' || !(maxSites >= 2)) {
    throw new CohortError('MESSAGE_INVALID', 'secure aggregation round config lacks a valid clip, weight scale or cohort size');
  }
  return { clip, weightScale, maxSites };
}
