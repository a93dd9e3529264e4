/**
 * The messages of a round, shared by the coordinator side and the site side.
 * This is the protocol's one vocabulary module: string-literal unions and
 * `as const` objects, no enums. Runtime validation and the binary codec
 * live beside these types in this package.
 */
import type { WireError } from './errors.js';

export const PHASES = ['train', 'evaluate'] as const;
export type Phase = (typeof PHASES)[number];

export const MESSAGE_TYPES = {
  ROUND_START: 'round/start',
  UPDATE: 'update/submit',
  EVAL_RESULT: 'eval/result',
  REFUSE: 'round/refuse',
} as const;

export type ConfigValue = number | string | boolean;

/** Coordinator → site: run one phase of one round on these global weights. */
export interface RoundStart {
  type: 'round/start';
  taskHash: string;
  round: number;
  attempt: number;
  phase: Phase;
  /** Sites taking part in this phase (their count is what cohort-size policies check). */
  cohort: string[];
  config: Record<string, ConfigValue>;
  weights: Float32Array;
}

/** Site → coordinator: a training update (new − global weights). */
export interface UpdateSubmit {
  type: 'update/submit';
  taskHash: string;
  round: number;
  attempt: number;
  site: string;
  update: Float32Array;
  numExamples: number;
  metrics: Record<string, number>;
}

/** Site → coordinator: metrics of the global model on the site's validation split. */
export interface EvalResult {
  type: 'eval/result';
  taskHash: string;
  round: number;
  attempt: number;
  site: string;
  numExamples: number;
  metrics: Record<string, number>;
}

/** Site → coordinator: the site will not take part in this phase, and why. */
export interface RoundRefuse {
  type: 'round/refuse';
  taskHash: string;
  round: number;
  attempt: number;
  site: string;
  phase: Phase;
  error: WireError;
}

export type SiteMessage = UpdateSubmit | EvalResult | RoundRefuse;
export type CoordinatorMessage = RoundStart;
