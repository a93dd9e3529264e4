/** Runs of a task: at most one is 'running' at a time; finished runs stay for the record. */
import type Database from 'better-sqlite3';
import { checkPositiveInt, checkTaskHash, checkTime, clipMessage, refuse } from './check.js';
import { parseStoredObject, stringifyObject } from './json-codec.js';
import type { RunRow, RunStatus, Store } from './types.js';

export interface RunsRecord {
  id: number;
  task_hash: string;
  rounds: number;
  config_json: string;
  status: RunStatus;
  created_at: number;
  updated_at: number;
  message: string | null;
}

export const toRun = (r: RunsRecord): RunRow => ({
  id: r.id,
  taskHash: r.task_hash,
  rounds: r.rounds,
  config: parseStoredObject(r.config_json, `config of run ${r.id}`),
  status: r.status,
  createdAt: r.created_at,
  updatedAt: r.updated_at,
  message: r.message,
});

export type RunOps = Pick<Store, 'createRun' | 'getRun' | 'activeRun' | 'listRuns' | 'finishRun'>;

export function runOps(db: Database.Database): RunOps {
  const byId = db.prepare<[number], RunsRecord>('SELECT * FROM runs WHERE id = ?');
  const running = db.prepare<[], RunsRecord>("SELECT * FROM runs WHERE status = 'running'");
  const all = db.prepare<[], RunsRecord>('SELECT * FROM runs ORDER BY id');
  const taskExists = db.prepare<[string], { one: number }>('SELECT 1 AS one FROM tasks WHERE hash = ?');
  const insert = db.prepare<[string, number, string, number, number]>(
    "INSERT INTO runs (task_hash, rounds, config_json, status, created_at, updated_at) VALUES (?, ?, ?, 'running', ?, ?)",
  );
  const finish = db.prepare<[RunStatus, number, string | null, number]>(
    'UPDATE runs SET status = ?, updated_at = ?, message = ? WHERE id = ?',
  );

  const create = db.transaction((taskHash: string, rounds: number, configJson: string, at: number): RunRow => {
    if (!taskExists.get(taskHash)) refuse('NOT_FOUND', `task ${taskHash} is not published; publish it before starting a run`);
    const active = running.get();
    if (active) {
      refuse('ROUND_FAILED', `run ${active.id} (task ${active.task_hash}) is still running; finish or abort it before starting another run`);
    }
    const id = Number(insert.run(taskHash, rounds, configJson, at, at).lastInsertRowid);
    return toRun(byId.get(id)!);
  });

  const finishRun = db.transaction((id: number, status: RunStatus, at: number, message: string | null): RunRow => {
    const run = byId.get(id) ?? refuse('NOT_FOUND', `no run ${id}`);
    if (run.status === status) return toRun(run); // finishing twice the same way changes nothing
    if (run.status !== 'running') refuse('ROUND_FAILED', `run ${id} is already ${run.status}; it cannot become ${status}`);
    finish.run(status, at, message, id);
    return toRun(byId.get(id)!);
  });

  return {
    createRun(input) {
      const taskHash = checkTaskHash(input.taskHash, 'run task hash');
      const rounds = checkPositiveInt(input.rounds, 'run rounds');
      const configJson = stringifyObject(input.config, 'run config');
      return create.immediate(taskHash, rounds, configJson, checkTime(input.at, 'run creation time'));
    },
    getRun(id) {
      const row = byId.get(id);
      return row && toRun(row);
    },
    activeRun() {
      const row = running.get();
      return row && toRun(row);
    },
    listRuns: () => all.all().map(toRun),
    finishRun(id, input) {
      if (input.status !== 'completed' && input.status !== 'aborted') {
        refuse('DATA_INVALID', `a run finishes as 'completed' or 'aborted', not ${JSON.stringify(input.status)}`);
      }
      return finishRun.immediate(id, input.status, checkTime(input.at, 'run finish time'), clipMessage(input.message, 'run message'));
    },
  };
}
