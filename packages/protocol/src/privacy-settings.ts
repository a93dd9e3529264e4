/**
 * Differential privacy settings of a round, carried in the signed `round/start`
 * config so that every site applies (and accounts for) exactly what the task
 * asked, and checks it against its own policy before touching data.
 */
import { CohortError, type ConfigValue } from '@cohortfl/wire';

export interface RoundPrivacy {
  unit: 'site' | 'patient';
  /** L2 bound of a site's update ('site') or of a patient's gradient ('patient'). */
  clip: number;
  /** σ; absent for patient-level DP calibrated by each site to `targetEpsilon`. */
  noiseMultiplier?: number;
  targetEpsilon?: number;
  delta: number;
  /** Rounds of the run: patient-level calibration spreads `targetEpsilon` over them. */
  rounds: number;
  /** n_min: the fewest sites whose noise shares add up in the sum (the task's minSites). */
  minSites: number;
}

export const DP_CONFIG_KEYS = {
  UNIT: 'dpUnit',
  CLIP: 'dpClip',
  NOISE: 'dpNoiseMultiplier',
  TARGET: 'dpTargetEpsilon',
  DELTA: 'dpDelta',
  ROUNDS: 'dpRounds',
  MIN_SITES: 'dpMinSites',
} as const;

export function privacyRoundConfig(p: RoundPrivacy): Record<string, ConfigValue> {
  return {
    [DP_CONFIG_KEYS.UNIT]: p.unit,
    [DP_CONFIG_KEYS.CLIP]: p.clip,
    ...(p.noiseMultiplier === undefined ? {} : { [DP_CONFIG_KEYS.NOISE]: p.noiseMultiplier }),
    ...(p.targetEpsilon === undefined ? {} : { [DP_CONFIG_KEYS.TARGET]: p.targetEpsilon }),
    [DP_CONFIG_KEYS.DELTA]: p.delta,
    [DP_CONFIG_KEYS.ROUNDS]: p.rounds,
    [DP_CONFIG_KEYS.MIN_SITES]: p.minSites,
  };
}

/** The privacy settings a signed round config carries, or undefined for a round without DP. */
export function roundPrivacy(config: Record<string, ConfigValue>): RoundPrivacy | undefined {
  const unit = config[DP_CONFIG_KEYS.UNIT];
  if (unit === undefined) return undefined;
  const num = (key: string) => (typeof config[key] === 'number' ? (config[key] as number) : undefined);
  const clip = num(DP_CONFIG_KEYS.CLIP);
  const delta = num(DP_CONFIG_KEYS.DELTA);
  const rounds = num(DP_CONFIG_KEYS.ROUNDS);
  const minSites = num(DP_CONFIG_KEYS.MIN_SITES);
  const noiseMultiplier = num(DP_CONFIG_KEYS.NOISE);
  const targetEpsilon = num(DP_CONFIG_KEYS.TARGET);
  const ok =
    (unit === 'site' || unit === 'patient') &&
    clip !== undefined && clip > 0 &&
    delta !== undefined && delta > 0 && delta < 1 &&
    rounds !== undefined && Number.isInteger(rounds) && rounds >= 1 &&
    minSites !== undefined && Number.isInteger(minSites) && minSites >= 1 &&
    (noiseMultiplier !== undefined ? noiseMultiplier > 0 : unit === 'patient' && targetEpsilon !== undefined && targetEpsilon > 0);
  if (!ok) throw new CohortError('MESSAGE_INVALID', 'the round config carries incomplete or invalid differential privacy settings');
  return {
    unit: unit as 'site' | 'patient',
    clip: clip!,
    delta: delta!,
    rounds: rounds!,
    minSites: minSites!,
    ...(noiseMultiplier === undefined ? {} : { noiseMultiplier }),
    ...(targetEpsilon === undefined ? {} : { targetEpsilon }),
  };
}

/**
 * Headroom for site-level noise inside the Z_2^32 sum: the quantizer is built for this
 * many "sites' worth" of clipped updates, so the noise (≈ σ·clip in total, bounded here
 * at 12 standard deviations) cannot wrap the sum.
 */
export function quantizerSitesWithNoise(cohortSize: number, p: RoundPrivacy | undefined): number {
  if (!p || p.unit !== 'site' || p.noiseMultiplier === undefined) return cohortSize;
  const headroom = cohortSize + Math.ceil(12 * p.noiseMultiplier * Math.sqrt(Math.max(1, cohortSize / p.minSites)));
  // A coarser grid keeps each site's discrete Gaussian variance below 2^38 grid units²
  // (the sampler's exact range), while the grid stays ~2^-13 of the noise's deviation.
  const coarse = Math.ceil((p.noiseMultiplier * 2 ** 12) / Math.sqrt(p.minSites));
  return Math.max(headroom, coarse);
}

/** Each site's share of the sum's noise variance, in grid units² (σ²C²/n_min scaled to the grid). */
export function perSiteNoiseVariance(p: RoundPrivacy, scale: number): number {
  const sigma = p.noiseMultiplier ?? 0;
  return (sigma * p.clip * scale) ** 2 / p.minSites;
}
