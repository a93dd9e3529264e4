/**
 * The coordinator side of a federated run, sans-IO: it is fed the current time,
 * the sites available and the messages received, and answers with actions
 * (messages to send, a timer to set, rounds completed or failed). The network
 * shell and the in-process simulation drive this same object.
 */
import { evaluationReport, flattenReport } from './evaluation-report.js';
import { MODEL_HASH_KEY } from './evaluation-guard.js';
import { CohortError, hashWeights, type EvalResult, type EvalStatsWire, type Phase, type RoundRefuse, type SecAggSiteMessage, type SiteMessage, type UpdateSubmit } from '@cohortfl/wire';
import type { EvaluateResultIn, SiteFailure, Strategy, TrainResultIn } from '@cohortfl/strategies';
import type { CoordinatorAction, RejectReason, RoundRecord } from './actions.js';
import { createRandom, deriveSeed } from './random.js';
import { quantizerSettings, secureRoundConfig, type SecureAggregationOptions } from './secure-settings.js';
import { privacyRoundConfig, type RoundPrivacy } from './privacy-settings.js';
import { SecureTrainPhase, type SecureStep } from './secure-train.js';

export interface CoordinatorRunOptions {
  taskHash: string;
  strategy: Strategy;
  initialWeights: Float32Array;
  /** Total rounds of the run. */
  rounds: number;
  /** Fewest sites whose results a phase needs; fewer and the attempt fails. */
  minSites: number;
  seed: number;
  /** Per-phase deadlines in milliseconds. */
  timeoutMs: { train: number; evaluate: number };
  /** Resume after this many completed rounds (a restarted coordinator). Default 0. */
  completedRounds?: number;
  /** Attempt number to use for the first round started (resume). Default 1. */
  firstAttempt?: number;
  /** Secure aggregation of the train phase; absent = plaintext updates. */
  secureAggregation?: SecureAggregationOptions;
  /** Differential privacy every site must apply in the train phase; absent = none. */
  privacy?: RoundPrivacy;
  /** Sites never trained on but evaluated every round (external validation at unseen hospitals). */
  holdOut?: string[];
}

type PhaseState = {
  phase: Phase;
  cohort: string[];
  deadline: number;
  answered: Set<string>;
  train: TrainResultIn[];
  evals: (EvaluateResultIn & { stats?: EvalStatsWire })[];
  failures: SiteFailure[];
  secure?: SecureTrainPhase;
};

export class CoordinatorRun {
  private weights: Float32Array;
  private round: number;
  private attempt: number;
  private current: PhaseState | undefined;
  private available: string[] = [];
  private roundStartedAt = 0;
  private trained: string[] = [];
  private trainFailures: SiteFailure[] = [];
  private trainMetrics: Record<string, number> = {};
  private cohort: string[] = [];
  /**
   * Sites asked to unmask in a failed attempt of this round. Without DP they refuse any
   * further attempt of the round (two sums differing by one site would expose it), so a
   * retry leaves them out instead of asking.
   */
  private revealedThisRound = new Set<string>();
  private readonly options: CoordinatorRunOptions;

  constructor(options: CoordinatorRunOptions) {
    if (!Number.isInteger(options.rounds) || options.rounds < 1) {
      throw new CohortError('CONFIG_INVALID', `rounds must be a positive integer, got ${options.rounds}`);
    }
    if (!Number.isInteger(options.minSites) || options.minSites < 1) {
      throw new CohortError('CONFIG_INVALID', `minSites must be a positive integer, got ${options.minSites}`);
    }
    if (options.secureAggregation && options.strategy.requiresIndividualUpdates) {
      throw new CohortError('TASK_INVALID', `strategy '${options.strategy.name}' needs each site's update, which secure aggregation hides; use fedavg, fedprox, fedadam, fedyogi or fedadagrad, or turn secure aggregation off`);
    }
    if (options.secureAggregation && options.minSites < 2) {
      throw new CohortError('TASK_INVALID', 'secure aggregation needs minSites ≥ 2: the sum of one site is that site');
    }
    this.options = options;
    this.weights = options.initialWeights.slice();
    this.round = (options.completedRounds ?? 0) + 1;
    this.attempt = options.firstAttempt ?? 1;
  }

  get status(): {
    round: number;
    attempt: number;
    phase: Phase | 'idle' | 'done';
    secureStep?: SecureStep;
    cohort: string[];
    answered: number;
    /** The cohort members that answered the open phase (the rest are its stragglers). */
    answeredSites: string[];
  } {
    const done = this.round > this.options.rounds;
    const secure = this.current?.secure;
    return {
      round: Math.min(this.round, this.options.rounds),
      attempt: this.attempt,
      phase: done ? 'done' : (this.current?.phase ?? 'idle'),
      ...(secure ? { secureStep: secure.step } : {}),
      cohort: this.current?.cohort ?? [],
      answered: this.current?.answered.size ?? 0,
      answeredSites: [...(this.current?.answered ?? [])].sort(),
    };
  }

  get globalWeights(): Float32Array {
    return this.weights;
  }

  get finished(): boolean {
    return this.round > this.options.rounds;
  }

  /** Begin the next round (or a fresh attempt of a failed one) with the sites available now. */
  startRound(now: number, available: readonly string[]): CoordinatorAction[] {
    if (this.finished) throw new CohortError('ROUND_FAILED', 'the run is already complete');
    if (this.current) throw new CohortError('ROUND_FAILED', `round ${this.round} is still in its ${this.current.phase} phase`);
    this.available = [...available].sort();
    this.roundStartedAt = now;
    const random = createRandom(deriveSeed(this.options.seed, `train:${this.round}:${this.attempt}`));
    const holdOut = new Set(this.options.holdOut ?? []);
    const retryable = this.available.filter((s) => !holdOut.has(s) && !this.revealedThisRound.has(s));
    const plan = this.options.strategy.configureTrain({ round: this.round, available: retryable, random });
    if (plan.sites.length < this.options.minSites) {
      const revealed = this.revealedThisRound.size > 0 ? `; ${this.revealedThisRound.size} of them revealed masks in a failed attempt of this round and refuse to repeat it without DP` : '';
      return this.fail('NOT_ENOUGH_SITES', `round ${this.round} needs ${this.options.minSites} sites, ${this.available.length} available${revealed}`);
    }
    this.cohort = plan.sites;
    return this.openPhase(now, 'train', plan.sites, plan.config);
  }

  /** What receive refuses any message for before looking at its body; undefined when it may go on. */
  private screen(from: string, message: SiteMessage): { reason: RejectReason; message: string } | undefined {
    if (message.taskHash !== this.options.taskHash) return { reason: 'WRONG_TASK', message: `task ${message.taskHash.slice(0, 12)} is not the running task` };
    if (message.site !== from) return { reason: 'SITE_MISMATCH', message: `message names site '${message.site}' but came from '${from}'` };
    if (message.round !== this.round || message.attempt !== this.attempt) {
      return { reason: 'REPLAYED', message: `message for round ${message.round} attempt ${message.attempt}; current is round ${this.round} attempt ${this.attempt}` };
    }
    const state = this.current;
    const phaseOf = message.type === 'eval/result' ? 'evaluate' : message.type === 'round/refuse' ? message.phase : 'train';
    if (!state || state.phase !== phaseOf) return { reason: 'WRONG_PHASE', message: `${message.type} arrived outside the ${phaseOf} phase` };
    if (!state.cohort.includes(from)) return { reason: 'NOT_IN_COHORT', message: `site '${from}' is not in this round's cohort` };
    return undefined;
  }

  /**
   * For a secure aggregation message (`secagg/*`): the refusal receive would give it, found
   * without recording anything, or undefined when receive would take it. The coordinator asks
   * before its replay guard records the message, so a wrong-length masked vector, a bad shares
   * or reveal list or an attestation that does not verify does not use up the site's answer.
   * Other messages: always undefined (receive decides).
   */
  check(from: string, message: SiteMessage): { reason: RejectReason; message: string } | undefined {
    if (!message.type.startsWith('secagg/')) return undefined;
    const screened = this.screen(from, message);
    if (screened) return screened;
    const secure = this.current!.secure;
    if (!secure) return { reason: 'WRONG_PHASE', message: `${message.type} arrived in a round without secure aggregation` };
    if (!secure.awaits(from)) return { reason: 'DUPLICATE', message: `site '${from}' is not expected in the ${secure.step} step (already answered or left out)` };
    try {
      const verdict = secure.check(from, message as SecAggSiteMessage);
      return verdict.ok ? undefined : { reason: 'WRONG_PHASE', message: verdict.reason };
    } catch (error) {
      // An aborted exchange: receive would throw the abort; the message itself is not taken.
      return { reason: 'WRONG_PHASE', message: (error as Error).message };
    }
  }

  /** A message from a site. `from` is the authenticated sender, not a field of the message. */
  receive(now: number, from: string, message: SiteMessage): CoordinatorAction[] {
    const reject = (reason: RejectReason, text: string): CoordinatorAction[] => [{ kind: 'rejected', from, reason, message: text }];
    const screened = this.screen(from, message);
    if (screened) return reject(screened.reason, screened.message);
    const state = this.current!;
    if (state.secure) return this.receiveSecure(now, state, state.secure, from, message);
    if (message.type.startsWith('secagg/')) return reject('WRONG_PHASE', `${message.type} arrived in a round without secure aggregation`);
    if (state.answered.has(from)) return reject('DUPLICATE', `site '${from}' already answered this phase`);
    state.answered.add(from);
    this.record(state, message);
    return state.answered.size === state.cohort.length ? this.closePhase(now) : [];
  }

  /** Advance time: a phase whose deadline passed closes with the sites that answered. */
  tick(now: number): CoordinatorAction[] {
    const state = this.current;
    if (!state || now < state.deadline) return [];
    if (state.secure) {
      for (const site of state.cohort) state.secure.fail(site, 'TIMEOUT', 'no answer before the deadline');
      return this.advanceSecure(now, state, state.secure);
    }
    for (const site of state.cohort) {
      if (!state.answered.has(site)) state.failures.push({ site, reason: 'TIMEOUT', message: `no ${state.phase} result before the deadline` });
    }
    return this.closePhase(now);
  }

  /** A site disconnected: it counts as failed for the current phase at once. */
  siteLost(now: number, site: string): CoordinatorAction[] {
    const state = this.current;
    if (state?.secure) {
      if (!state.secure.awaits(site)) return [];
      state.secure.fail(site, 'DROPPED', 'connection lost');
      return state.secure.complete ? this.advanceSecure(now, state, state.secure) : [];
    }
    if (!state || !state.cohort.includes(site) || state.answered.has(site)) return [];
    state.answered.add(site);
    state.failures.push({ site, reason: 'DROPPED', message: 'connection lost' });
    return state.answered.size === state.cohort.length ? this.closePhase(now) : [];
  }

  private record(state: PhaseState, message: SiteMessage): void {
    if (message.type === 'round/refuse') {
      const refuse = message as RoundRefuse;
      state.failures.push({ site: refuse.site, reason: refuse.error.code, message: refuse.error.message });
    } else if (message.type === 'update/submit') {
      const u = message as UpdateSubmit;
      state.train.push({ site: u.site, update: u.update, numExamples: u.numExamples, metrics: u.metrics });
    } else {
      const e = message as EvalResult;
      state.evals.push({ site: e.site, numExamples: e.numExamples, metrics: e.metrics, ...(e.stats ? { stats: e.stats } : {}) });
    }
  }

  private openPhase(now: number, phase: Phase, cohort: string[], baseConfig: Record<string, number | string | boolean>): CoordinatorAction[] {
    const deadline = now + this.options.timeoutMs[phase];
    const secureOptions = phase === 'train' ? this.options.secureAggregation : undefined;
    const privacy = phase === 'train' ? this.options.privacy : undefined;
    const config = {
      ...baseConfig,
      ...(privacy ? privacyRoundConfig(privacy) : {}),
      ...(secureOptions ? secureRoundConfig(secureOptions, cohort.length, privacy, baseConfig.qffl !== undefined) : {}),
      // The evaluate phase names the model it evaluates: the round's committed global model
      // (its checkpoint hash), which sites check the weights against and evaluate once.
      ...(phase === 'evaluate' ? { [MODEL_HASH_KEY]: hashWeights(this.weights) } : {}),
    };
    this.current = { phase, cohort, deadline, answered: new Set(), train: [], evals: [], failures: [] };
    if (secureOptions) {
      this.current.secure = new SecureTrainPhase({
        taskHash: this.options.taskHash,
        round: this.round,
        attempt: this.attempt,
        cohort,
        parameterCount: this.weights.length,
        options: secureOptions,
        quantizer: quantizerSettings(config)!,
        ...(privacy?.unit === 'site' ? { noiseSites: privacy.minSites } : {}),
      });
    }
    const actions: CoordinatorAction[] = [{ kind: 'phase-started', round: this.round, attempt: this.attempt, phase, cohort }];
    for (const to of cohort) {
      actions.push({
        kind: 'send',
        to,
        message: { type: 'round/start', taskHash: this.options.taskHash, round: this.round, attempt: this.attempt, phase, cohort, config, weights: this.weights },
      });
    }
    actions.push({ kind: 'timer', at: deadline });
    return actions;
  }

  private receiveSecure(now: number, state: PhaseState, secure: SecureTrainPhase, from: string, message: SiteMessage): CoordinatorAction[] {
    const reject = (reason: RejectReason, text: string): CoordinatorAction[] => [{ kind: 'rejected', from, reason, message: text }];
    if (message.type === 'round/refuse') {
      secure.fail(from, message.error.code, message.error.message);
    } else if (message.type === 'update/submit' || message.type === 'eval/result') {
      return reject('WRONG_PHASE', `${message.type} refused: this round uses secure aggregation, plaintext updates are never accepted`);
    } else {
      if (!secure.awaits(from)) return reject('DUPLICATE', `site '${from}' is not expected in the ${secure.step} step (already answered or left out)`);
      const accepted = secure.receive(from, message as SecAggSiteMessage);
      if (!accepted.ok) return reject('WRONG_PHASE', accepted.reason);
      state.answered.add(from);
    }
    return secure.complete ? this.advanceSecure(now, state, secure) : [];
  }

  private advanceSecure(now: number, state: PhaseState, secure: SecureTrainPhase): CoordinatorAction[] {
    const outcome = secure.close();
    if (outcome.kind === 'aborted') return this.fail('SECAGG_ABORTED', `round ${this.round}: secure aggregation aborted: ${outcome.message}`);
    if (outcome.kind === 'continue') {
      state.deadline = now + this.options.secureAggregation!.stepTimeoutMs;
      const actions: CoordinatorAction[] = outcome.sends.map((s) => ({ kind: 'send', to: s.to, message: s.message }));
      actions.push({ kind: 'timer', at: state.deadline });
      if (outcome.step === 'reveal' && !this.options.privacy) for (const s of outcome.sends) this.revealedThisRound.add(s.to);
      if (outcome.sends.length === 0) return [...this.fail('SECAGG_ABORTED', `round ${this.round}: no site left in the ${outcome.step} step`)];
      return actions;
    }
    this.current = undefined;
    state.train = [{ site: 'secure-aggregate', update: outcome.update, numExamples: outcome.numExamples, metrics: { loss: outcome.loss } }];
    // A survivor that vanished while unmasking is still in the sum: it trained, it did not fail.
    state.failures = secure.failures.filter((f) => !outcome.survivors.includes(f.site));
    return this.closeTrain(now, state, outcome.survivors);
  }

  private closePhase(now: number): CoordinatorAction[] {
    const state = this.current!;
    this.current = undefined;
    return state.phase === 'train' ? this.closeTrain(now, state) : this.closeEvaluate(now, state);
  }

  private closeTrain(now: number, state: PhaseState, secureSurvivors?: string[]): CoordinatorAction[] {
    const contributors = secureSurvivors?.length ?? state.train.length;
    if (contributors < this.options.minSites) {
      return this.fail('TOO_FEW_RESULTS', `round ${this.round}: ${contributors} of ${state.cohort.length} sites returned updates, ${this.options.minSites} needed`);
    }
    const outcome = this.options.strategy.aggregateTrain({ round: this.round, global: this.weights, results: state.train, failures: state.failures });
    const failures = [...state.failures, ...outcome.rejected];
    if (!outcome.ok) return this.fail(outcome.code, outcome.message);
    const rejected = new Set(outcome.rejected.map((r) => r.site));
    // Sorted, so a stored round does not depend on the order in which answers arrived.
    this.trained = (secureSurvivors ? (rejected.size > 0 ? [] : [...secureSurvivors]) : state.train.map((r) => r.site).filter((s) => !rejected.has(s))).sort();
    if (this.trained.length < this.options.minSites) {
      return this.fail('TOO_FEW_RESULTS', `round ${this.round}: only ${this.trained.length} valid updates, ${this.options.minSites} needed`);
    }
    this.weights = outcome.weights;
    this.trainFailures = failures;
    this.trainMetrics = outcome.metrics;
    const random = createRandom(deriveSeed(this.options.seed, `evaluate:${this.round}:${this.attempt}`));
    const plan = this.options.strategy.configureEvaluate({ round: this.round, available: this.available, random });
    if (plan.sites.length === 0) return this.completeRound(now, [], {});
    return this.openPhase(now, 'evaluate', plan.sites, plan.config);
  }

  private closeEvaluate(now: number, state: PhaseState): CoordinatorAction[] {
    const metrics = this.options.strategy.aggregateEvaluate({ round: this.round, results: state.evals, failures: state.failures });
    return this.completeRound(now, state.evals, metrics);
  }

  private completeRound(now: number, perSite: (EvaluateResultIn & { stats?: EvalStatsWire })[], aggregated: Record<string, number>): CoordinatorAction[] {
    let evalMetrics = aggregated;
    const evaluation = evaluationReport(perSite);
    if (evaluation) evalMetrics = { ...evalMetrics, ...flattenReport(evaluation) };
    const record: RoundRecord = {
      round: this.round,
      attempt: this.attempt,
      cohort: this.cohort,
      trained: this.trained,
      failures: this.trainFailures,
      trainMetrics: this.trainMetrics,
      evalMetrics,
      perSite: [...perSite].sort((a, b) => a.site.localeCompare(b.site)),
      ...(evaluation ? { evaluation } : {}),
      weights: this.weights,
      startedAt: this.roundStartedAt,
      finishedAt: now,
    };
    this.round += 1;
    this.attempt = 1;
    this.revealedThisRound = new Set();
    const actions: CoordinatorAction[] = [{ kind: 'round-complete', record }];
    if (this.finished) actions.push({ kind: 'run-complete', weights: this.weights, rounds: this.options.rounds });
    return actions;
  }

  /** An attempt failed: nothing of it is kept; the next attempt starts fresh. */
  private fail(code: string, message: string): CoordinatorAction[] {
    const failed = { kind: 'round-failed' as const, round: this.round, attempt: this.attempt, code, message };
    this.current = undefined;
    this.attempt += 1;
    return [failed];
  }
}
