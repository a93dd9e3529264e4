/** Reading stored rounds back: parsed rows, verified checkpoints, and the raw rows for audits. */
import type Database from 'better-sqlite3';
import { decodeMetrics, parseStored, parseStoredObject } from './json-codec.js';
import { decodeWeights } from './weights-codec.js';
import type {
  Checkpoint,
  ParticipantRole,
  RawCheckpointsRow,
  RawParticipantsRow,
  RawRoundsRow,
  RawSiteMetricsRow,
  RoundFailure,
  RoundRow,
  Store,
} from './types.js';

type RoundJoined = RawRoundsRow & { sha256: string };

function toRound(r: RoundJoined): RoundRow {
  const what = `round ${r.round} of run ${r.run_id}`;
  return {
    runId: r.run_id,
    round: r.round,
    attempt: r.attempt,
    cohort: parseStored(r.cohort_json, `cohort of ${what}`) as string[],
    trained: parseStored(r.trained_json, `trained sites of ${what}`) as string[],
    failures: parseStored(r.failures_json, `failures of ${what}`) as RoundFailure[],
    trainMetrics: decodeMetrics(r.train_metrics_json, `train metrics of ${what}`),
    evalMetrics: decodeMetrics(r.eval_metrics_json, `eval metrics of ${what}`),
    weightsSha256: r.sha256,
    startedAt: r.started_at,
    finishedAt: r.finished_at,
  };
}

function toCheckpoint(r: RawCheckpointsRow): Checkpoint {
  const what = `checkpoint of round ${r.round} of run ${r.run_id}`;
  return {
    runId: r.run_id,
    round: r.round,
    weights: decodeWeights(r.weights, r.sha256, what),
    sha256: r.sha256,
    strategyState: parseStoredObject(r.strategy_state_json, `strategy state of ${what}`),
    createdAt: r.created_at,
  };
}

export type RoundReadOps = Pick<
  Store,
  'completedRounds' | 'getCheckpoint' | 'lastCheckpoint' | 'siteMetrics' | 'participants' | 'rawRoundRows'
> & { readRound(runId: number, round: number): RoundRow | undefined };

export function roundReadOps(db: Database.Database): RoundReadOps {
  const joined = 'SELECT r.*, c.sha256 FROM rounds r JOIN checkpoints c ON c.run_id = r.run_id AND c.round = r.round';
  const oneRound = db.prepare<[number, number], RoundJoined>(`${joined} WHERE r.run_id = ? AND r.round = ?`);
  const roundsOf = db.prepare<[number], RoundJoined>(`${joined} WHERE r.run_id = ? ORDER BY r.round`);
  const checkpoint = db.prepare<[number, number], RawCheckpointsRow>('SELECT * FROM checkpoints WHERE run_id = ? AND round = ?');
  const lastOf = db.prepare<[number], RawCheckpointsRow>('SELECT * FROM checkpoints WHERE run_id = ? ORDER BY round DESC LIMIT 1');
  const metricsOrder = 'ORDER BY round, site, name';
  const metricsOf = db.prepare<[number], RawSiteMetricsRow>(`SELECT * FROM site_metrics WHERE run_id = ? ${metricsOrder}`);
  const metricsOfRound = db.prepare<[number, number], RawSiteMetricsRow>(
    `SELECT * FROM site_metrics WHERE run_id = ? AND round = ? ${metricsOrder}`,
  );
  const partsOrder = 'ORDER BY round, role, site';
  const partsOf = db.prepare<[number], RawParticipantsRow>(`SELECT * FROM participants WHERE run_id = ? ${partsOrder}`);
  const partsOfRound = db.prepare<[number, number], RawParticipantsRow>(
    `SELECT * FROM participants WHERE run_id = ? AND round = ? ${partsOrder}`,
  );
  const rawRounds = db.prepare<[number], RawRoundsRow>('SELECT * FROM rounds WHERE run_id = ? ORDER BY round');
  const rawCheckpoints = db.prepare<[number], RawCheckpointsRow>('SELECT * FROM checkpoints WHERE run_id = ? ORDER BY round');

  return {
    readRound(runId, round) {
      const row = oneRound.get(runId, round);
      return row && toRound(row);
    },
    completedRounds: (runId) => roundsOf.all(runId).map(toRound),
    getCheckpoint(runId, round) {
      const row = checkpoint.get(runId, round);
      return row && toCheckpoint(row);
    },
    lastCheckpoint(runId) {
      const row = lastOf.get(runId);
      return row && toCheckpoint(row);
    },
    siteMetrics(runId, round) {
      const rows = round === undefined ? metricsOf.all(runId) : metricsOfRound.all(runId, round);
      return rows.map((r) => ({ runId: r.run_id, round: r.round, site: r.site, name: r.name, value: r.value ?? Number.NaN }));
    },
    participants(runId, round) {
      const rows = round === undefined ? partsOf.all(runId) : partsOfRound.all(runId, round);
      return rows.map((r) => ({
        runId: r.run_id,
        round: r.round,
        site: r.site,
        role: r.role as ParticipantRole,
        reason: r.reason,
        numExamples: r.num_examples,
      }));
    },
    rawRoundRows(runId) {
      return {
        rounds: rawRounds.all(runId),
        checkpoints: rawCheckpoints.all(runId),
        participants: partsOf.all(runId),
        siteMetrics: metricsOf.all(runId),
      };
    },
  };
}
