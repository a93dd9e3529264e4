/**
 * Builds the sans-IO round engine for a run from what the store holds: the task
 * rebuilt from its stored manifest, the strategy, and either the initial weights
 * (a new run) or the last checkpoint (a resumed one).
 */
import { initBackend, initialWeights } from '@cohortfl/ml';
import { CoordinatorRun } from '@cohortfl/protocol';
import { consortiumOf } from './consortium.js';
import { parseManifest, roundPrivacyFor, secureOptionsFor, type Task } from '@cohortfl/sdk';
import { createStrategy, type Strategy } from '@cohortfl/strategies';
import type { CoordinatorConfig } from './config.js';
import type { RunRow, Store, TaskRow } from './store/index.js';

export interface RunSetup {
  task: Task;
  strategy: Strategy;
  run: CoordinatorRun;
  /** Rounds already completed and stored (0 for a new run). */
  completedRounds: number;
  firstAttempt: number;
}

/** The task a stored manifest describes (hash-checked). */
export function taskOf(row: TaskRow): Task {
  return parseManifest(row.manifestJson, row.hash).manifest.task;
}

/** Per-phase deadlines in ms: the config's overrides, else the task's own. */
export function timeoutsMs(config: CoordinatorConfig, task: Task): { train: number; evaluate: number } {
  return {
    train: Math.round((config.timeouts.train ?? task.timeouts.train) * 1000),
    evaluate: Math.round((config.timeouts.evaluate ?? task.timeouts.evaluate) * 1000),
  };
}

/** Weights and strategy state to start from: round 0 for a new run, the last checkpoint for a resumed one. */
export async function startingPoint(store: Store, task: Task, strategy: Strategy, runId: number | undefined) {
  const checkpoint = runId === undefined ? undefined : store.lastCheckpoint(runId);
  if (checkpoint) {
    strategy.restore(checkpoint.strategyState);
    return { weights: checkpoint.weights, completedRounds: checkpoint.round };
  }
  await initBackend();
  return { weights: await initialWeights(task.model, task.seed), completedRounds: 0 };
}

export function createStrategyFor(task: Task): Strategy {
  return createStrategy({ ...task.strategy, fractionFit: task.fractionFit, minSites: task.minSites });
}

/**
 * The engine of a stored run. A resumed run continues after its last stored round;
 * the interrupted round restarts as a fresh attempt (`nextAttempt`), so nothing a
 * site signed for the old attempt can be counted in the new one.
 */
export async function setupRun(store: Store, config: CoordinatorConfig, row: RunRow, taskRow: TaskRow): Promise<RunSetup> {
  const task = taskOf(taskRow);
  const strategy = createStrategyFor(task);
  const { weights, completedRounds } = await startingPoint(store, task, strategy, row.id);
  const firstAttempt = store.nextAttempt(row.id, Math.min(completedRounds + 1, row.rounds));
  const run = new CoordinatorRun({
    taskHash: taskRow.hash,
    strategy,
    initialWeights: weights,
    rounds: row.rounds,
    minSites: task.minSites,
    seed: task.seed,
    timeoutMs: timeoutsMs(config, task),
    completedRounds,
    firstAttempt,
    ...(heldOut(row).length > 0 ? { holdOut: heldOut(row) } : {}),
    // Every site applies (and its ledger is charged for) exactly this; sites with a budget refuse rounds without it.
    ...withPrivacy(roundPrivacyFor(task, row.rounds)),
    ...withSecure(task.secureAggregation.enabled ? secureOptionsFor(
      task,
      // Enrolled keys go into the roster; sites accept only those they pinned, and the graph is drawn over them.
      consortiumOf(store),
      config.timeouts.secagg === undefined ? undefined : Math.round(config.timeouts.secagg * 1000),
    ) : undefined),
  });
  return { task, strategy, run, completedRounds, firstAttempt };
}

/** Attempts a crash left 'started' are recorded as failed, so the audit trail says what happened to them. */
export function markInterrupted(store: Store, runId: number, at: number): void {
  for (const a of store.listAttempts(runId)) {
    if (a.status === 'started') {
      store.failAttempt({ runId, round: a.round, attempt: a.attempt, at, code: 'INTERRUPTED', message: 'the coordinator stopped during this attempt' });
    }
  }
}

function withPrivacy<T>(value: T | undefined): { privacy?: T } {
  return value === undefined ? {} : { privacy: value };
}

function withSecure<T>(value: T | undefined): { secureAggregation?: T } {
  return value === undefined ? {} : { secureAggregation: value };
}

/** The sites a run keeps out of training (stored in its config, so a resumed run keeps them out). */
function heldOut(row: RunRow): string[] {
  const h = (row.config as { holdOut?: unknown }).holdOut;
  return Array.isArray(h) ? h.filter((x): x is string => typeof x === 'string') : [];
}
