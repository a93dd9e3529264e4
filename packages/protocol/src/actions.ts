import type { CoordinatorMessage, EvalStatsWire, Phase } from '@cohortfl/wire';
import type { EvaluationReport } from './evaluation-report.js';
import type { SiteFailure } from '@cohortfl/strategies';

/** Why a coordinator refused a message; each becomes a log line and a counter label. */
export const REJECT_REASONS = [
  'WRONG_TASK',
  'REPLAYED',
  'WRONG_PHASE',
  'NOT_IN_COHORT',
  'SITE_MISMATCH',
  'DUPLICATE',
] as const;
export type RejectReason = (typeof REJECT_REASONS)[number];

export interface SiteEvalMetrics {
  site: string;
  numExamples: number;
  metrics: Record<string, number>;
  stats?: EvalStatsWire;
}

/** Everything a completed round leaves behind: what a store would persist. */
export interface RoundRecord {
  round: number;
  attempt: number;
  cohort: string[];
  trained: string[];
  failures: SiteFailure[];
  trainMetrics: Record<string, number>;
  evalMetrics: Record<string, number>;
  perSite: SiteEvalMetrics[];
  /** Per-site and pooled metrics per subgroup, fairness gaps, disparity across sites (when sites sent statistics). */
  evaluation?: EvaluationReport;
  weights: Float32Array;
  startedAt: number;
  finishedAt: number;
}

export type CoordinatorAction =
  | { kind: 'send'; to: string; message: CoordinatorMessage }
  | { kind: 'timer'; at: number }
  | { kind: 'phase-started'; round: number; attempt: number; phase: Phase; cohort: string[] }
  | { kind: 'rejected'; from: string; reason: RejectReason; message: string }
  | { kind: 'round-failed'; round: number; attempt: number; code: string; message: string }
  | { kind: 'round-complete'; record: RoundRecord }
  | { kind: 'run-complete'; weights: Float32Array; rounds: number };
