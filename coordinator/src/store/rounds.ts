/**
 * Storing a completed round: its row, checkpoint, participants, per-site metrics
 * and the attempt's completion are one SQLite transaction, so a crash at any
 * instant leaves either all of the round or none of it.
 */
import type Database from 'better-sqlite3';
import { refuse } from './check.js';
import type { AttemptsRecord } from './attempts.js';
import { roundColumns, type RoundColumns } from './round-input.js';
import type { RoundOrderCheck } from './round-order.js';
import type { RoundReadOps } from './round-reads.js';
import type { RoundRow, Store } from './types.js';

export function roundOps(db: Database.Database, checkOrder: RoundOrderCheck, reads: RoundReadOps): Pick<Store, 'saveRound'> {
  const attemptOf = db.prepare<[number, number, number], Pick<AttemptsRecord, 'status'>>(
    'SELECT status FROM attempts WHERE run_id = ? AND round = ? AND attempt = ?',
  );
  const insertRound = db.prepare<[number, number, number, string, string, string, string, string, number, number]>(
    `INSERT INTO rounds (run_id, round, attempt, cohort_json, trained_json, failures_json,
       train_metrics_json, eval_metrics_json, started_at, finished_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
  );
  const insertCheckpoint = db.prepare<[number, number, Buffer, string, string, number]>(
    'INSERT INTO checkpoints (run_id, round, weights, sha256, strategy_state_json, created_at) VALUES (?, ?, ?, ?, ?, ?)',
  );
  const insertParticipant = db.prepare<[number, number, string, string, string | null, number | null]>(
    'INSERT INTO participants (run_id, round, site, role, reason, num_examples) VALUES (?, ?, ?, ?, ?, ?)',
  );
  const insertMetric = db.prepare<[number, number, string, string, number]>(
    'INSERT INTO site_metrics (run_id, round, site, name, value) VALUES (?, ?, ?, ?, ?)',
  );
  const completeAttempt = db.prepare<[number, number, number, number]>(
    "UPDATE attempts SET status = 'completed', finished_at = ? WHERE run_id = ? AND round = ? AND attempt = ?",
  );

  const save = db.transaction((c: RoundColumns): RoundRow => {
    checkOrder(c.runId, c.round);
    const attempt = attemptOf.get(c.runId, c.round, c.attempt);
    if (attempt?.status !== 'started') {
      const state = attempt ? `is ${attempt.status}` : 'was never started';
      refuse('ROUND_FAILED', `attempt ${c.attempt} of round ${c.round} of run ${c.runId} ${state}; only a started attempt can complete`);
    }
    const { runId, round } = c;
    insertRound.run(runId, round, c.attempt, c.cohortJson, c.trainedJson, c.failuresJson, c.trainMetricsJson, c.evalMetricsJson, c.startedAt, c.finishedAt);
    insertCheckpoint.run(runId, round, c.weights, c.sha256, c.strategyStateJson, c.finishedAt);
    for (const site of c.trained) insertParticipant.run(runId, round, site, 'trained', null, null);
    for (const f of c.failures) insertParticipant.run(runId, round, f.site, 'failed', f.reason, null);
    for (const p of c.perSite) {
      insertParticipant.run(runId, round, p.site, 'evaluated', null, p.numExamples);
      for (const [name, value] of p.metrics) insertMetric.run(runId, round, p.site, name, value);
    }
    completeAttempt.run(c.finishedAt, runId, round, c.attempt);
    return reads.readRound(runId, round)!;
  });

  return {
    saveRound: (input) => save.immediate(roundColumns(input)),
  };
}
