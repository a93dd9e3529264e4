/**
 * What the coordinator's durable store keeps, as plain camelCase objects.
 * Timestamps are milliseconds supplied by the caller: the store never reads a clock.
 * Nullable columns come back as `null`, never `undefined`.
 */

import type { AuditEntry } from '@cohortfl/identity';
export type SiteStatus = 'active' | 'revoked';
export type RunStatus = 'running' | 'completed' | 'aborted';
export type AttemptStatus = 'started' | 'failed' | 'completed';
export type ParticipantRole = 'trained' | 'failed' | 'evaluated';

export interface SiteRow {
  name: string;
  /** `ed25519:` + 43 base64url characters (@cohortfl/identity's text form). */
  publicKey: string;
  status: SiteStatus;
  enrolledAt: number;
  revokedAt: number | null;
  revokeReason: string | null;
  lastSeen: number | null;
}

export interface TaskRow {
  /** SHA-256 of the manifest, 64 lowercase hex characters. */
  hash: string;
  name: string;
  version: string;
  manifestJson: string;
  publishedAt: number;
}

export interface RunRow {
  id: number;
  taskHash: string;
  rounds: number;
  config: Record<string, unknown>;
  status: RunStatus;
  createdAt: number;
  updatedAt: number;
  message: string | null;
}

export interface AttemptRow {
  runId: number;
  round: number;
  attempt: number;
  status: AttemptStatus;
  code: string | null;
  message: string | null;
  startedAt: number;
  finishedAt: number | null;
}

export interface RoundFailure {
  site: string;
  reason: string;
  message?: string;
}

export interface SiteRoundMetrics {
  site: string;
  numExamples: number;
  metrics: Record<string, number>;
}

export interface SaveRoundInput {
  runId: number;
  round: number;
  attempt: number;
  cohort: string[];
  trained: string[];
  failures: RoundFailure[];
  trainMetrics: Record<string, number>;
  evalMetrics: Record<string, number>;
  /** Per-site evaluation results; each site becomes an 'evaluated' participant. */
  perSite: SiteRoundMetrics[];
  weights: Float32Array;
  strategyState: Record<string, unknown>;
  startedAt: number;
  finishedAt: number;
}

export interface RoundRow {
  runId: number;
  round: number;
  attempt: number;
  cohort: string[];
  trained: string[];
  failures: RoundFailure[];
  trainMetrics: Record<string, number>;
  evalMetrics: Record<string, number>;
  /** SHA-256 of the round's checkpoint weights (same as @cohortfl/wire's hashWeights). */
  weightsSha256: string;
  startedAt: number;
  finishedAt: number;
}

export interface Checkpoint {
  runId: number;
  round: number;
  /** A fresh, 4-byte-aligned copy; changing it does not change the store. */
  weights: Float32Array;
  sha256: string;
  strategyState: Record<string, unknown>;
  createdAt: number;
}

export interface ParticipantRow {
  runId: number;
  round: number;
  site: string;
  role: ParticipantRole;
  reason: string | null;
  numExamples: number | null;
}

export interface SiteMetricRow {
  runId: number;
  round: number;
  site: string;
  name: string;
  value: number;
}

/** The rounds table's columns exactly as stored. */
export interface RawRoundsRow {
  run_id: number;
  round: number;
  attempt: number;
  cohort_json: string;
  trained_json: string;
  failures_json: string;
  train_metrics_json: string;
  eval_metrics_json: string;
  started_at: number;
  finished_at: number;
}

/** The checkpoints table's columns exactly as stored. */
export interface RawCheckpointsRow {
  run_id: number;
  round: number;
  weights: Buffer;
  sha256: string;
  strategy_state_json: string;
  created_at: number;
}

export interface RawParticipantsRow {
  run_id: number;
  round: number;
  site: string;
  role: string;
  reason: string | null;
  num_examples: number | null;
}

export interface RawSiteMetricsRow {
  run_id: number;
  round: number;
  site: string;
  name: string;
  /** NULL stands for NaN: SQLite stores NaN as NULL. */
  value: number | null;
}

/** Every stored row of a run's rounds, for byte-identity checks. */
export interface RawRoundRows {
  rounds: RawRoundsRow[];
  checkpoints: RawCheckpointsRow[];
  participants: RawParticipantsRow[];
  siteMetrics: RawSiteMetricsRow[];
}

export interface AddSiteInput {
  name: string;
  publicKey: string;
  at: number;
}

export interface PublishTaskInput {
  hash: string;
  name: string;
  version: string;
  manifestJson: string;
  at: number;
}

export interface CreateRunInput {
  taskHash: string;
  rounds: number;
  config: Record<string, unknown>;
  at: number;
}

export interface FinishRunInput {
  status: 'completed' | 'aborted';
  at: number;
  message?: string;
}

export interface StartAttemptInput {
  runId: number;
  round: number;
  attempt: number;
  at: number;
}

export interface FailAttemptInput extends StartAttemptInput {
  /** Machine-readable, e.g. 'TOO_FEW_RESULTS' or a CohortError code. */
  code: string;
  message: string;
}

export interface Store {
  addSite(input: AddSiteInput): SiteRow;
  getSite(name: string): SiteRow | undefined;
  getSiteByKey(publicKey: string): SiteRow | undefined;
  listSites(): SiteRow[];
  revokeSite(name: string, options: { at: number; reason?: string }): SiteRow;
  touchSite(name: string, at: number): void;

  publishTask(input: PublishTaskInput): TaskRow;
  getTask(hash: string): TaskRow | undefined;
  findTask(nameOrHash: string): TaskRow | undefined;
  listTasks(): TaskRow[];

  createRun(input: CreateRunInput): RunRow;
  getRun(id: number): RunRow | undefined;
  activeRun(): RunRow | undefined;
  listRuns(): RunRow[];
  finishRun(id: number, input: FinishRunInput): RunRow;

  startAttempt(input: StartAttemptInput): AttemptRow;
  failAttempt(input: FailAttemptInput): AttemptRow;
  nextAttempt(runId: number, round: number): number;
  listAttempts(runId: number): AttemptRow[];

  saveRound(input: SaveRoundInput): RoundRow;
  completedRounds(runId: number): RoundRow[];
  getCheckpoint(runId: number, round: number): Checkpoint | undefined;
  lastCheckpoint(runId: number): Checkpoint | undefined;
  siteMetrics(runId: number, round?: number): SiteMetricRow[];
  participants(runId: number, round?: number): ParticipantRow[];
  rawRoundRows(runId: number): RawRoundRows;

  /** Append at the head of the audit chain; `build` gets the next seq and the head's hash, inside the transaction. */
  appendAuditEntry(build: (seq: number, prevHash: string) => AuditEntry): AuditEntry;
  /** Appends entries in order in one transaction (one commit); each build gets the seq and hash of the one before. */
  appendAuditEntries(builds: readonly ((seq: number, prevHash: string) => AuditEntry)[]): AuditEntry[];
  listAudit(): AuditEntry[];

  getMeta(key: string): string | undefined;
  setMeta(key: string, value: string): void;
  close(): void;
}
