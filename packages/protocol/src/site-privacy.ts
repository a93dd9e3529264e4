/**
 * What differential privacy costs a site in one round, decided before any work:
 * the mechanism its ledger is charged for (DP-SGD steps for patient-level DP, the
 * distributed discrete Gaussian under secure aggregation, the Gaussian for local
 * DP), checked against the hospital's noise floor and budget.
 */
import { calibrateNoise, type Ledger, type Mechanism } from '@cohortfl/privacy';
import { createQuantizer } from '@cohortfl/secagg';
import { CohortError } from '@cohortfl/wire';
import { perSiteNoiseVariance, type RoundPrivacy } from './privacy-settings.js';
import type { QuantizerSettings } from './secure-settings.js';

/** DP-SGD settings for one round at one site (see @cohortfl/ml trainLocalDp). */
export interface DpSgdPlan {
  l2Clip: number;
  noiseMultiplier: number;
  samplingRate: number;
  steps: number;
}

/** Facts of the site's own data the patient-level plan needs. */
export interface LocalTrainingFacts {
  trainExamples: number;
  epochs: number;
  batchSize: number;
}

export interface SitePrivacy {
  ledger: Ledger;
  /** Called after each charge, so the shell can store the ledger and report ε spent. */
  onSpent?: (ledger: Ledger) => void;
}

/**
 * Patient-level DP-SGD: Poisson sampling with an expected batch of `batchSize`, so
 * q = batchSize / n and `epochs` passes are epochs·n/batchSize steps a round. With a
 * target ε, σ is calibrated by the site for the whole run (all rounds of the task).
 */
export function patientPlan(dp: RoundPrivacy, facts: LocalTrainingFacts): DpSgdPlan {
  if (!(facts.trainExamples > 0)) throw new CohortError('DATA_INVALID', 'this site has no training records for DP-SGD');
  const samplingRate = Math.min(1, facts.batchSize / facts.trainExamples);
  const steps = Math.max(1, Math.round((facts.epochs * facts.trainExamples) / facts.batchSize));
  const noiseMultiplier =
    dp.noiseMultiplier ?? calibrateNoise({ targetEpsilon: dp.targetEpsilon!, delta: dp.delta, samplingRate, steps: steps * dp.rounds });
  return { l2Clip: dp.clip, noiseMultiplier, samplingRate, steps };
}

/** The distributed discrete Gaussian of a secure site-level round, in the quantizer's grid. */
export function secureSiteNoise(dp: RoundPrivacy, quantizer: QuantizerSettings, dimension: number) {
  const scale = createQuantizer({ clip: quantizer.clip, weightScale: quantizer.weightScale, maxSites: quantizer.maxSites }).scale;
  const perSiteVariance = perSiteNoiseVariance(dp, scale);
  const mechanism: Mechanism = {
    kind: 'distributed-discrete-gaussian',
    params: { l2Clip: dp.clip, grid: 1 / scale, dimension, perSiteVariance, minSites: dp.minSites, rounds: 1 },
  };
  return { perSiteVariance, mechanism };
}

/** Refuses the round (BUDGET_EXHAUSTED, POLICY_REFUSED) if the ledger would not allow it. */
export function checkBudget(privacy: SitePrivacy | undefined, mechanism: Mechanism): void {
  if (!privacy) return;
  const preview = privacy.ledger.preview(mechanism);
  if (!preview.allowed) {
    throw new CohortError(preview.refusal ?? 'BUDGET_EXHAUSTED', preview.reason ?? `this round would bring ε to ${preview.epsilonAfter.toFixed(3)}, over this site's budget`);
  }
}

export function charge(privacy: SitePrivacy | undefined, mechanism: Mechanism, label: string): void {
  if (!privacy) return;
  privacy.ledger.commit(mechanism, label);
  privacy.onSpent?.(privacy.ledger);
}
