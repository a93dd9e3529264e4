/**
 * Attempts at a round. Numbers only grow: a round interrupted by a crash stays
 * 'started' and the restarted coordinator begins `nextAttempt` afresh, so no two
 * attempts (and no two sets of secure-aggregation keys) ever share a number.
 */
import type Database from 'better-sqlite3';
import { LIMITS } from '@cohortfl/wire';
import { checkPositiveInt, checkText, checkTime, clipMessage, refuse } from './check.js';
import type { RoundOrderCheck } from './round-order.js';
import type { AttemptRow, AttemptStatus, Store } from './types.js';

export interface AttemptsRecord {
  run_id: number;
  round: number;
  attempt: number;
  status: AttemptStatus;
  code: string | null;
  message: string | null;
  started_at: number;
  finished_at: number | null;
}

const toAttempt = (r: AttemptsRecord): AttemptRow => ({
  runId: r.run_id,
  round: r.round,
  attempt: r.attempt,
  status: r.status,
  code: r.code,
  message: r.message,
  startedAt: r.started_at,
  finishedAt: r.finished_at,
});

export type AttemptOps = Pick<Store, 'startAttempt' | 'failAttempt' | 'nextAttempt' | 'listAttempts'>;

export function attemptOps(db: Database.Database, checkOrder: RoundOrderCheck): AttemptOps {
  const one = db.prepare<[number, number, number], AttemptsRecord>(
    'SELECT * FROM attempts WHERE run_id = ? AND round = ? AND attempt = ?',
  );
  const highest = db.prepare<[number, number], { highest: number }>(
    'SELECT COALESCE(MAX(attempt), 0) AS highest FROM attempts WHERE run_id = ? AND round = ?',
  );
  const ofRun = db.prepare<[number], AttemptsRecord>('SELECT * FROM attempts WHERE run_id = ? ORDER BY round, attempt');
  const runExists = db.prepare<[number], { one: number }>('SELECT 1 AS one FROM runs WHERE id = ?');
  const insert = db.prepare<[number, number, number, number]>(
    "INSERT INTO attempts (run_id, round, attempt, status, started_at) VALUES (?, ?, ?, 'started', ?)",
  );
  const markFailed = db.prepare<[string, string | null, number, number, number, number]>(
    "UPDATE attempts SET status = 'failed', code = ?, message = ?, finished_at = ? WHERE run_id = ? AND round = ? AND attempt = ?",
  );

  const start = db.transaction((runId: number, round: number, attempt: number, at: number): AttemptRow => {
    checkOrder(runId, round);
    const next = highest.get(runId, round)!.highest + 1;
    if (attempt < next) {
      refuse('ROUND_FAILED', `attempt ${attempt} of round ${round} of run ${runId} was already started; the next attempt is ${next}`);
    }
    insert.run(runId, round, attempt, at);
    return toAttempt(one.get(runId, round, attempt)!);
  });

  const fail = db.transaction((runId: number, round: number, attempt: number, code: string, message: string | null, at: number) => {
    const found = one.get(runId, round, attempt) ?? refuse('NOT_FOUND', `attempt ${attempt} of round ${round} of run ${runId} was never started`);
    if (found.status !== 'started') {
      refuse('ROUND_FAILED', `attempt ${attempt} of round ${round} of run ${runId} is already ${found.status}`);
    }
    markFailed.run(code, message, at, runId, round, attempt);
    return toAttempt(one.get(runId, round, attempt)!);
  });

  const ints = (runId: number, round: number, attempt: number): [number, number, number] => [
    checkPositiveInt(runId, 'run id'),
    checkPositiveInt(round, 'round'),
    checkPositiveInt(attempt, 'attempt'),
  ];

  return {
    startAttempt(input) {
      return start.immediate(...ints(input.runId, input.round, input.attempt), checkTime(input.at, 'attempt start time'));
    },
    failAttempt(input) {
      const code = checkText(input.code, 'failure code', LIMITS.KEY_MAX);
      const message = clipMessage(input.message, 'failure message');
      return fail.immediate(...ints(input.runId, input.round, input.attempt), code, message, checkTime(input.at, 'attempt failure time'));
    },
    nextAttempt(runId, round) {
      checkPositiveInt(round, 'round');
      if (!runExists.get(runId)) refuse('NOT_FOUND', `no run ${runId}`);
      return highest.get(runId, round)!.highest + 1;
    },
    listAttempts: (runId) => ofRun.all(runId).map(toAttempt),
  };
}
