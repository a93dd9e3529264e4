/**
 * The strategy contract (small hooks, one concrete driver in @cohortfl/protocol).
 * Weights and updates are flat Float32Arrays in the model's weight order; an
 * update is a site's new weights minus the global weights it started from.
 */

export type ConfigValue = number | string | boolean;
export type RoundConfig = Record<string, ConfigValue>;

export interface TrainResultIn {
  site: string;
  update: Float32Array;
  numExamples: number;
  metrics?: Record<string, number>;
}

export interface SiteFailure {
  site: string;
  /**
   * Machine-readable reason, e.g. 'TIMEOUT', 'DROPPED', or one the strategy gives when
   * it refuses a result: 'SHAPE_MISMATCH', 'NON_FINITE', 'BAD_WEIGHT', 'DUPLICATE_SITE'.
   */
  reason: string;
  message?: string;
}

export interface EvaluateResultIn {
  site: string;
  numExamples: number;
  metrics: Record<string, number>;
}

export interface ConfigureInput {
  round: number;
  /** Sites eligible this round (connected, policy-compatible). */
  available: string[];
  /** Seeded random in [0, 1) so cohort sampling is reproducible. */
  random: () => number;
}

export interface CohortPlan {
  sites: string[];
  config: RoundConfig;
}

export type AggregateOutcome =
  | {
      ok: true;
      weights: Float32Array;
      metrics: Record<string, number>;
      /** Results the strategy refused (wrong length, non-finite, zero weight). */
      rejected: SiteFailure[];
    }
  | { ok: false; code: 'NO_RESULTS' | 'ALL_REJECTED'; message: string; rejected: SiteFailure[] };

export interface Strategy {
  readonly name: string;
  /** True for aggregators that must see each update (median, trimmed mean): plaintext only. */
  readonly requiresIndividualUpdates: boolean;
  configureTrain(input: ConfigureInput): CohortPlan;
  aggregateTrain(input: {
    round: number;
    global: Float32Array;
    results: TrainResultIn[];
    failures: SiteFailure[];
  }): AggregateOutcome;
  configureEvaluate(input: ConfigureInput): CohortPlan;
  aggregateEvaluate(input: {
    round: number;
    results: EvaluateResultIn[];
    failures: SiteFailure[];
  }): Record<string, number>;
  /** Server-side state (e.g. Adam moments) for checkpoints; restored with `restore`. */
  state(): Record<string, unknown>;
  restore(state: Record<string, unknown>): void;
}

export interface StrategyOptions {
  /** Fraction of available sites to sample per round (default 1). */
  fractionFit?: number;
  /** Minimum sites per round (default 1). */
  minSites?: number;
  /** Fraction of available sites asked to evaluate (default 1: all of them). */
  fractionEvaluate?: number;
}
