/**
 * The site side of a round, sans-IO: a `round/start` goes in, the one message to
 * send back comes out. The step runs in a fixed order,
 *   policy → load → train → privatize → mask → sign → send,
 * and later layers (differential privacy, secure aggregation, signatures) plug
 * in as stage transforms without touching the runner.
 */
import { CohortError, isCohortError, type EvalResult, type RoundStart, type SiteMessage, type UpdateSubmit } from '@cohortfl/wire';
import { enforcePolicy, type SitePolicy } from './site-policy.js';

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
}

/** What the site computes with its own data; supplied by the shell (sdk, site agent). */
export interface SiteWork {
  /** Load and validate local data once; called before the first train or evaluate. */
  load(): Promise<void>;
  train(start: RoundStart): Promise<TrainOutput>;
  evaluate(start: RoundStart): Promise<EvaluateOutput>;
}

/** A transform of the outgoing update at one stage (clip + noise, mask, sign...). */
export type UpdateTransform = (update: UpdateSubmit, start: RoundStart) => UpdateSubmit | Promise<UpdateSubmit>;

export interface SiteRunnerOptions {
  site: string;
  policy: SitePolicy;
  work: SiteWork;
  transforms?: Partial<Record<'privatize' | 'mask' | 'sign', UpdateTransform[]>>;
}

export class SiteRunner {
  private loaded = false;
  private lastSeen: { round: number; attempt: number } = { round: 0, attempt: 0 };
  private readonly options: SiteRunnerOptions;

  constructor(options: SiteRunnerOptions) {
    this.options = options;
  }

  get site(): string {
    return this.options.site;
  }

  /** Handle one round/start; returns the message to send (an update, a result or a refusal). */
  async handle(start: RoundStart): Promise<SiteMessage> {
    try {
      this.checkStart(start);
      enforcePolicy(this.options.policy, start);
      if (!this.loaded) {
        await this.options.work.load();
        this.loaded = true;
      }
      return start.phase === 'train' ? await this.trainStep(start) : await this.evaluateStep(start);
    } catch (error) {
      const e = isCohortError(error) ? error : new CohortError('INTERNAL', 'the site failed to complete this phase', { cause: error });
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

  private async trainStep(start: RoundStart): Promise<UpdateSubmit> {
    const out = await this.options.work.train(start);
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
    for (const stage of ['privatize', 'mask', 'sign'] as const) {
      for (const transform of this.options.transforms?.[stage] ?? []) message = await transform(message, start);
    }
    return message;
  }

  private async evaluateStep(start: RoundStart): Promise<EvalResult> {
    const out = await this.options.work.evaluate(start);
    return {
      type: 'eval/result',
      taskHash: start.taskHash,
      round: start.round,
      attempt: start.attempt,
      site: this.options.site,
      numExamples: out.numExamples,
      metrics: out.metrics,
    };
  }
}
