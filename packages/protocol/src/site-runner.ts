/**
 * The site side of a round, sans-IO: a `round/start` goes in, the one message to
 * send back comes out. The step runs in a fixed order,
 *   policy → load → train → privatize → mask → sign → send,
 * and later layers (differential privacy, secure aggregation, signatures) plug
 * in as stage transforms without touching the runner.
 */
import { CohortError, isCohortError, type CoordinatorMessage, type EvalStatsWire, type EvalResult, type RoundStart, type SiteMessage, type UpdateSubmit } from '@cohortfl/wire';
import { enforcePolicy, minCellSizeOf, type SitePolicy } from './site-policy.js';
import { EvaluationGuard } from './evaluation-guard.js';
import { checkEvaluationNoise, evaluationMechanism, releaseEvaluation } from './safe-evaluation.js';
import { quantizerSettings } from './secure-settings.js';
import { SECURE_REFUSALS, SecureSiteRound, secureRefusal, type SecureSiteGuard } from './secure-site.js';
import type { Membership } from './membership.js';
import { NoisePool, type NoiseShape } from './noise-pool.js';
import { DEFAULT_COLLUDERS } from './site-policy.js';
import { clipByL2Norm, gaussianNoise, type Mechanism } from '@cohortfl/privacy';
import { roundPrivacy } from './privacy-settings.js';
import { flattenGroupAuc } from './evaluation-report.js';
import { fromJSON as fromStatsJSON, metricsFromStats } from '@cohortfl/fairness';
import { charge, checkBudget, patientPlan, secureSiteNoise, type DpSgdPlan, type LocalTrainingFacts, type SitePrivacy } from './site-privacy.js';

export const SITE_STAGES = ['policy', 'load', 'train', 'privatize', 'mask', 'sign', 'send'] as const;
export type SiteStage = (typeof SITE_STAGES)[number];

export interface TrainOutput {
  update: Float32Array;
  numExamples: number;
  metrics: Record<string, number>;
}

export interface EvaluateOutput {
  numExamples: number;
  metrics: Record<string, number>;
  /** Score histograms per label and subgroup (sufficient statistics for the coordinator's reports). */
  stats?: EvalStatsWire;
}

/** What the site computes with its own data; supplied by the shell (sdk, site agent). */
export interface SiteWork {
  /** Load and validate local data once; called before the first train or evaluate. */
  load(): Promise<void>;
  /** Local training; with `dpSgd`, patient-level DP-SGD under exactly that plan. */
  train(start: RoundStart, dpSgd?: DpSgdPlan): Promise<TrainOutput>;
  /** Size of the local training split and the task's training settings (patient-level DP needs them). */
  facts?(): LocalTrainingFacts;
  /** Mean loss of the given weights on the local training split (q-FedAvg needs F_k at the global weights). */
  trainLoss?(weights: Float32Array): Promise<number>;
  evaluate(start: RoundStart): Promise<EvaluateOutput>;
}

/** A transform of the outgoing update at one stage (clip + noise, mask, sign...). */
export type UpdateTransform = (update: UpdateSubmit, start: RoundStart) => UpdateSubmit | Promise<UpdateSubmit>;

export interface SiteRunnerOptions {
  site: string;
  policy: SitePolicy;
  work: SiteWork;
  transforms?: Partial<Record<'privatize' | 'mask' | 'sign', UpdateTransform[]>>;
  /** The site's identity secret key: signs its secure-aggregation key advertisements. */
  identitySecretKey?: Uint8Array;
  /** The hospital's privacy budget; when set, rounds without DP and rounds over budget are refused. */
  privacy?: SitePrivacy;
  /** The consortium membership the hospital approved: secure aggregation peers come only from it. */
  membership?: Membership;
  /** Rounds whose masks this site removed; the shell persists it (default: in memory). */
  revealed?: RevealedRounds;
  /** Every refusal, with its counted reason (`details.reason` of the error, else its code lowercased). */
  onRefusal?: (reason: string, error: CohortError) => void;
  /**
   * The site's record of evaluated models (evaluation-guard.ts), shared by every runner of
   * the site and persisted by the shell; absent: a record of this runner's own.
   */
  evaluations?: EvaluationGuard;
  /**
   * Distributed-DP noise drawn ahead of the round (noise-pool.ts); the shell fills it
   * with prepareNoise() while the site waits. Default: a pool of one vector.
   */
  noisePool?: NoisePool;
}

/**
 * The rounds a site has revealed for. Without DP, a second attempt of a round it
 * revealed for is refused: the difference of two sums that differ by one site is
 * that site's update.
 */
export interface RevealedRounds {
  has(taskHash: string, round: number): boolean;
  /** Must be durable when it returns (the reveal is sent right after). */
  add(taskHash: string, round: number): void;
}

export function memoryRevealedRounds(): RevealedRounds {
  const seen = new Set<string>();
  return { has: (t, r) => seen.has(`${t}:${r}`), add: (t, r) => void seen.add(`${t}:${r}`) };
}

/** The reason label of a refusal. */
export function refusalReason(error: CohortError): string {
  const reason = error.details?.['reason'];
  return typeof reason === 'string' ? reason : error.code.toLowerCase();
}

export class SiteRunner {
  private loaded = false;
  private lastSeen: { round: number; attempt: number } = { round: 0, attempt: 0 };
  private secure: SecureSiteRound | undefined;
  private readonly options: SiteRunnerOptions;
  private readonly revealed: RevealedRounds;
  private readonly evaluations: EvaluationGuard;
  private readonly noisePool: NoisePool;
  /** σ² and length of the last secure DP round's noise: what the next round will most likely need. */
  private noiseShape: NoiseShape | undefined;

  constructor(options: SiteRunnerOptions) {
    this.options = options;
    this.revealed = options.revealed ?? memoryRevealedRounds();
    this.evaluations = options.evaluations ?? new EvaluationGuard();
    this.noisePool = options.noisePool ?? new NoisePool();
  }

  /**
   * Pre-draws the next secure DP round's noise, shaped like the last one's, at most
   * `budget` coordinates per call. Returns true when nothing is left to draw (the
   * pool is full, or no secure DP round has been seen). A shell calls it while idle.
   */
  prepareNoise(budget?: number): boolean {
    if (this.noiseShape === undefined) return true;
    return this.noisePool.prepare(this.noiseShape, budget);
  }

  /** Zeroes and drops any pre-drawn noise (on shutdown, or when the task ends). */
  discardNoise(): void {
    this.noisePool.discard();
  }

  get site(): string {
    return this.options.site;
  }

  /** Handle one coordinator message; returns the message to send (an update, a result, a secure step or a refusal). */
  async handle(message: CoordinatorMessage): Promise<SiteMessage> {
    if (message.type !== 'round/start') return this.handleSecure(message);
    const start = message;
    try {
      this.checkStart(start);
      enforcePolicy(this.options.policy, start);
      // Training should continue from the model this site evaluated for the previous round; a mismatch is counted, not refused.
      if (start.phase === 'train') this.evaluations.checkTrainStart(start);
      if (!this.loaded) {
        await this.options.work.load();
        this.loaded = true;
      }
      return start.phase === 'train' ? await this.trainStep(start) : await this.evaluateStep(start);
    } catch (error) {
      const e = isCohortError(error) ? error : new CohortError('INTERNAL', 'the site failed to complete this phase', { cause: error });
      this.options.onRefusal?.(refusalReason(e), e);
      return {
        type: 'round/refuse',
        taskHash: start.taskHash,
        round: start.round,
        attempt: start.attempt,
        site: this.options.site,
        phase: start.phase,
        error: e.toWire(),
      };
    }
  }

  private checkStart(start: RoundStart): void {
    const { round, attempt } = this.lastSeen;
    if (start.round < round || (start.round === round && start.attempt < attempt)) {
      throw new CohortError('REPLAYED', `round ${start.round} attempt ${start.attempt} is older than round ${round} attempt ${attempt} already seen`);
    }
    for (let i = 0; i < start.weights.length; i++) {
      if (!Number.isFinite(start.weights[i]!)) throw new CohortError('MESSAGE_INVALID', `global weight ${i} is not finite`);
    }
    this.lastSeen = { round: start.round, attempt: start.attempt };
  }

  /** The steps after the first of a secure train phase: roster → shares, relay → masked, unmask → reveal. */
  private async handleSecure(message: Exclude<CoordinatorMessage, RoundStart>): Promise<SiteMessage> {
    const secure = this.secure;
    const refuse = (error: unknown): SiteMessage => {
      const e = isCohortError(error) ? error : new CohortError('INTERNAL', 'the site failed this secure aggregation step', { cause: error });
      if (secure && isCohortError(error) && error.code !== 'REPLAYED') this.secure = undefined; // never continue a round it refused
      this.options.onRefusal?.(refusalReason(e), e);
      return {
        type: 'round/refuse',
        taskHash: message.taskHash,
        round: message.round,
        attempt: message.attempt,
        site: this.options.site,
        phase: 'train',
        error: e.toWire(),
      };
    };
    try {
      const s = secure?.start;
      if (!secure || !s || s.taskHash !== message.taskHash || s.round !== message.round || s.attempt !== message.attempt) {
        throw new CohortError('REPLAYED', `${message.type} for round ${message.round} attempt ${message.attempt} does not belong to this site's current secure round`);
      }
      switch (message.type) {
        case 'secagg/roster':
          return secure.share(message);
        case 'secagg/relay':
          return secure.mask(message);
        case 'secagg/survivors':
          return secure.attest(message, this.options.identitySecretKey!);
        case 'secagg/unmask': {
          const reveal = secure.reveal(message);
          this.secure = undefined; // nothing more to reveal for this round, ever
          // Durable before the reveal leaves: a restarted site still refuses a retry of this round.
          this.revealed.add(s.taskHash, s.round);
          return reveal;
        }
      }
    } catch (error) {
      return refuse(error);
    }
  }

  private async trainStep(start: RoundStart): Promise<SiteMessage> {
    const settings = quantizerSettings(start.config);
    this.secure = undefined;
    const dp = roundPrivacy(start.config);
    const guard = this.options.privacy;
    if (guard && !dp) {
      throw new CohortError('POLICY_REFUSED', 'this site\'s policy sets a privacy budget, and the task applies no differential privacy');
    }
    // Decide what the round costs, and refuse it, before any work on patient data.
    let mechanism: Mechanism | undefined;
    let dpSgd: DpSgdPlan | undefined;
    let siteNoiseVariance: number | undefined;
    if (dp?.unit === 'patient') {
      if (!this.options.work.facts) throw new CohortError('CONFIG_INVALID', 'this site cannot run patient-level DP (no training facts)');
      dpSgd = patientPlan(dp, this.options.work.facts());
      mechanism = { kind: 'gaussian', noiseMultiplier: dpSgd.noiseMultiplier, samplingRate: dpSgd.samplingRate, steps: dpSgd.steps };
    } else if (dp && settings) {
      const noise = secureSiteNoise(dp, settings, start.weights.length);
      siteNoiseVariance = noise.perSiteVariance;
      mechanism = noise.mechanism;
    } else if (dp) {
      mechanism = { kind: 'gaussian', noiseMultiplier: dp.noiseMultiplier!, samplingRate: 1, steps: 1 };
    }
    if (mechanism) checkBudget(guard, mechanism);
    const secureGuard = settings ? this.secureGuard(start, dp, siteNoiseVariance !== undefined) : undefined;
    const trained = await this.options.work.train(start, dpSgd);
    let out = trained;
    if (dp?.unit === 'site') {
      // Site-level DP: every site counts once (its size would otherwise set its influence),
      // the update is clipped to C, and no per-site training metric leaves the site.
      const clipped = clipByL2Norm(trained.update, dp.clip).clipped;
      if (!settings) {
        const noise = gaussianNoise(clipped.length, dp.noiseMultiplier! * dp.clip);
        for (let i = 0; i < clipped.length; i++) clipped[i] = clipped[i]! + noise[i]!;
      }
      out = { update: clipped, numExamples: 1, metrics: {} };
    } else if (dp) {
      out = { ...trained, metrics: {} };
    }
    if (mechanism) charge(guard, mechanism, `${start.taskHash.slice(0, 12)} round ${start.round} attempt ${start.attempt}`);
    if (typeof start.config.qffl === 'number') out = await this.qfflStep(start, out, settings?.clip, dp !== undefined);
    if (out.update.length !== start.weights.length) {
      throw new CohortError('SHAPE_MISMATCH', `local update has ${out.update.length} values, the global model ${start.weights.length}`);
    }
    let message: UpdateSubmit = {
      type: 'update/submit',
      taskHash: start.taskHash,
      round: start.round,
      attempt: start.attempt,
      site: this.options.site,
      update: out.update,
      numExamples: out.numExamples,
      metrics: out.metrics,
    };
    for (const transform of this.options.transforms?.privatize ?? []) message = await transform(message, start);
    if (settings) {
      // Secure aggregation is the mask stage: the update only ever leaves quantized and masked.
      if (!this.options.identitySecretKey) throw new CohortError('CONFIG_INVALID', 'this site has no identity key to sign secure aggregation keys');
      const lossSlot = message.metrics.h ?? message.metrics.loss ?? Number.NaN;
      this.secure = new SecureSiteRound(this.options.site, start, settings, message.update, message.numExamples, lossSlot, secureGuard!, siteNoiseVariance, this.noisePool);
      if (siteNoiseVariance !== undefined) this.noiseShape = { sigmaSquared: siteNoiseVariance, length: message.update.length };
      return this.secure.advertise(this.options.identitySecretKey);
    }
    for (const stage of ['mask', 'sign'] as const) {
      for (const transform of this.options.transforms?.[stage] ?? []) message = await transform(message, start);
    }
    return message;
  }

  /**
   * The checks of a secure train round that need no data, run before any training: a
   * pinned membership, no second reveal of a round without DP, and a dpMinSites the
   * cohort can meet with honest sites and the hospital accepts.
   */
  private secureGuard(start: RoundStart, dp: ReturnType<typeof roundPrivacy>, distributedNoise: boolean): SecureSiteGuard {
    const { policy, membership } = this.options;
    if (!membership) {
      throw new CohortError('CONFIG_INVALID', 'this site has no approved consortium membership, so it cannot tell real peers from invented ones; pin one in the policy (consortium)');
    }
    if (!dp && this.revealed.has(start.taskHash, start.round)) {
      throw secureRefusal('POLICY_REFUSED', SECURE_REFUSALS.ROUND_REVEALED, `this site already revealed its masks for round ${start.round}; another attempt without differential privacy would let the difference of two sums expose one site`);
    }
    const colluders = policy.colluders ?? DEFAULT_COLLUDERS;
    const guard: SecureSiteGuard = { membership, colluders, minCohortSize: policy.minCohortSize };
    if (!distributedNoise || !dp) return guard;
    const floor = policy.minNoiseSites ?? 1;
    if (dp.minSites < floor) {
      throw secureRefusal('POLICY_REFUSED', SECURE_REFUSALS.NOISE_FLOOR, `the round counts on noise from ${dp.minSites} site(s); this site's policy requires at least ${floor}`);
    }
    if (dp.minSites > start.cohort.length - colluders) {
      throw secureRefusal('POLICY_REFUSED', SECURE_REFUSALS.NOISE_FLOOR, `the round counts on noise from ${dp.minSites} sites, more than the ${start.cohort.length} in its cohort less ${colluders} possible colluder(s)`);
    }
    return { ...guard, noiseSites: dp.minSites };
  }

  /**
   * * q-FedAvg (q-FFL): the update becomes u = F^q · L(w − w̄) and h = q F^(q−1) ‖L(w − w̄)‖² + L F^q (both divided by L²)
   * travels as `metrics.h` (or, under secure aggregation, in the sum's loss slot);
   * F is the site's training loss at the global weights. Each site counts once.
   */
  private async qfflStep(start: RoundStart, out: TrainOutput, secureClip: number | undefined, withDp: boolean): Promise<TrainOutput> {
    if (withDp) throw new CohortError('TASK_INVALID', 'q-FedAvg cannot be combined with differential privacy in this release');
    if (!this.options.work.trainLoss) throw new CohortError('CONFIG_INVALID', 'this site cannot compute its loss at the global weights for q-FedAvg');
    const q = Number(start.config.qffl);
    const L = Number(start.config.qfflL);
    const F = (await this.options.work.trainLoss(start.weights)) + 1e-10;
    const u = new Float32Array(out.update.length);
    let norm2 = 0;
    for (let i = 0; i < u.length; i++) {
      const dw = -L * out.update[i]!;
      norm2 += dw * dw;
      u[i] = F ** q * dw;
    }
    // Both u and h are divided by L² (the step −Σu/Σh is unchanged): they then stay
    // within a secure aggregation clip for the usual L = 1 / learning rate.
    const c = 1 / (L * L);
    for (let i = 0; i < u.length; i++) u[i] = u[i]! * c;
    const h = (q * F ** (q - 1) * norm2 + L * F ** q) * c;
    let uNorm = 0;
    for (let i = 0; i < u.length; i++) uNorm += u[i]! * u[i]!;
    if (secureClip !== undefined && (Math.sqrt(uNorm) > secureClip || h > secureClip)) {
      throw new CohortError('TASK_INVALID', `q-FedAvg's scaled update (norm ${Math.sqrt(uNorm).toFixed(2)}) or h (${h.toFixed(2)}) exceeds the secure aggregation clip ${secureClip}; raise secureAggregation.clip`);
    }
    return { update: u, numExamples: 1, metrics: { h } };
  }

  /**
   * Evaluation of the run's committed model, once (evaluation-guard.ts), released under
   * the hospital's small-cell rule and optional noise (safe-evaluation.ts). A noised
   * evaluation is charged to the ledger before anything leaves the site, and then only
   * what the noised histograms determine is sent.
   */
  private async evaluateStep(start: RoundStart): Promise<EvalResult> {
    const policy = this.options.policy;
    const minCellSize = minCellSizeOf(policy);
    const noise = policy.evaluationNoise ? checkEvaluationNoise(policy.evaluationNoise) : undefined;
    const guard = this.options.privacy;
    if (noise && !guard) throw new CohortError('CONFIG_INVALID', 'this site\'s policy noises evaluations but sets no privacy budget to charge them to');
    // A model with no group columns is the cheapest a noised evaluation can be: refuse early if even that is over budget.
    if (noise) checkBudget(guard, evaluationMechanism(noise, 0));
    this.evaluations.admitEvaluation(start);
    const out = await this.options.work.evaluate(start);
    if (!out.stats) {
      // Without histograms there is nothing to noise or suppress by label: only whole-site metrics, and only for a split of at least minCellSize.
      if (noise) throw new CohortError('POLICY_REFUSED', 'this site noises its evaluation histograms and has none for this model (non-finite scores)');
      if (out.numExamples < minCellSize) throw new CohortError('POLICY_REFUSED', `the validation split is below this site's minCellSize of ${minCellSize}; its evaluation is suppressed`);
      return this.evalResult(start, out.numExamples, out.metrics);
    }
    let mechanism: Mechanism | undefined;
    if (noise) {
      mechanism = evaluationMechanism(noise, Object.keys(out.stats.byGroup).length);
      checkBudget(guard, mechanism);
    }
    const release = releaseEvaluation(out.stats, { minCellSize, ...(noise ? { noise } : {}) });
    if (mechanism) charge(guard, mechanism, `${start.taskHash.slice(0, 12)} evaluate round ${start.round} attempt ${start.attempt}`);
    if (!release.released) throw new CohortError('POLICY_REFUSED', release.reason);
    const stats = release.stats;
    // Whole-site metrics: exact when the counts are exact (the split passed the small-cell rule),
    // else only what the noised histogram determines. Subgroup AUCs come from the released cells only.
    const overall = metricsFromStats(fromStatsJSON(stats).overall);
    const base = noise ? Object.fromEntries(Object.entries({ auc: overall.auc, accuracy: overall.accuracy }).filter(([, v]) => Number.isFinite(v))) : out.metrics;
    const numExamples = noise ? stats.overall.n : out.numExamples;
    if (numExamples < 1) throw new CohortError('POLICY_REFUSED', 'the noised validation counts are all zero; this evaluation is suppressed');
    return this.evalResult(start, numExamples, { ...base, ...flattenGroupAuc(stats, 64 - Object.keys(base).length) }, stats);
  }

  private evalResult(start: RoundStart, numExamples: number, metrics: Record<string, number>, stats?: EvalStatsWire): EvalResult {
    return {
      type: 'eval/result',
      taskHash: start.taskHash,
      round: start.round,
      attempt: start.attempt,
      site: this.options.site,
      numExamples,
      metrics,
      ...(stats ? { stats } : {}),
    };
  }
}
