/** The one rule for which round may start or be stored next: rounds of a running run, in order, once each. */
import type Database from 'better-sqlite3';
import { refuse } from './check.js';
import type { RunsRecord } from './runs.js';

export type RoundOrderCheck = (runId: number, round: number) => RunsRecord;

export function roundOrderCheck(db: Database.Database): RoundOrderCheck {
  const run = db.prepare<[number], RunsRecord>('SELECT * FROM runs WHERE id = ?');
  const stored = db.prepare<[number, number], { one: number }>('SELECT 1 AS one FROM rounds WHERE run_id = ? AND round = ?');
  const last = db.prepare<[number], { last: number }>('SELECT COALESCE(MAX(round), 0) AS last FROM rounds WHERE run_id = ?');

  // Call inside the caller's write transaction so the answer still holds when it writes.
  return (runId, round) => {
    const found = run.get(runId) ?? refuse('NOT_FOUND', `no run ${runId}`);
    if (stored.get(runId, round)) {
      refuse('ROUND_FAILED', `round ${round} of run ${runId} is already stored; completed rounds never change`);
    }
    if (found.status !== 'running') refuse('ROUND_FAILED', `run ${runId} is ${found.status}; it takes no more rounds`);
    if (round > found.rounds) refuse('ROUND_FAILED', `run ${runId} has ${found.rounds} rounds; there is no round ${round}`);
    const next = last.get(runId)!.last + 1;
    if (round !== next) refuse('ROUND_FAILED', `round ${round} of run ${runId} cannot come before round ${next}; rounds are stored in order`);
    return found;
  };
}
