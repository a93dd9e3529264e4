/**
 * Schema history, keyed by `PRAGMA user_version`. A new version appends a
 * migration; shipped migrations never change, so every database reaches the same
 * schema whatever version it started from. Each migration runs in one transaction
 * together with its user_version bump.
 */
import type Database from 'better-sqlite3';
import { CohortError } from '@cohortfl/wire';

export interface Migration {
  version: number;
  description: string;
  sql: string;
}

// STRICT tables make SQLite refuse a value of the wrong type instead of storing it.
const V1 = `
CREATE TABLE sites (
  name TEXT PRIMARY KEY,
  public_key TEXT NOT NULL UNIQUE,
  status TEXT NOT NULL CHECK (status IN ('active', 'revoked')),
  enrolled_at INTEGER NOT NULL,
  revoked_at INTEGER,
  revoke_reason TEXT,
  last_seen INTEGER,
  CHECK ((status = 'revoked') = (revoked_at IS NOT NULL))
) STRICT;

CREATE TABLE tasks (
  hash TEXT PRIMARY KEY CHECK (length(hash) = 64),
  name TEXT NOT NULL,
  version TEXT NOT NULL,
  manifest_json TEXT NOT NULL,
  published_at INTEGER NOT NULL
) STRICT;
CREATE INDEX tasks_by_name ON tasks (name, published_at);

CREATE TABLE runs (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  task_hash TEXT NOT NULL REFERENCES tasks (hash),
  rounds INTEGER NOT NULL CHECK (rounds >= 1),
  config_json TEXT NOT NULL,
  status TEXT NOT NULL CHECK (status IN ('running', 'completed', 'aborted')),
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL,
  message TEXT
) STRICT;
-- At most one running run, whatever the code above does.
CREATE UNIQUE INDEX runs_one_running ON runs (status) WHERE status = 'running';

CREATE TABLE attempts (
  run_id INTEGER NOT NULL REFERENCES runs (id),
  round INTEGER NOT NULL CHECK (round >= 1),
  attempt INTEGER NOT NULL CHECK (attempt >= 1),
  status TEXT NOT NULL CHECK (status IN ('started', 'failed', 'completed')),
  code TEXT,
  message TEXT,
  started_at INTEGER NOT NULL,
  finished_at INTEGER,
  PRIMARY KEY (run_id, round, attempt)
) STRICT;

CREATE TABLE rounds (
  run_id INTEGER NOT NULL REFERENCES runs (id),
  round INTEGER NOT NULL CHECK (round >= 1),
  attempt INTEGER NOT NULL,
  cohort_json TEXT NOT NULL,
  trained_json TEXT NOT NULL,
  failures_json TEXT NOT NULL,
  train_metrics_json TEXT NOT NULL,
  eval_metrics_json TEXT NOT NULL,
  started_at INTEGER NOT NULL,
  finished_at INTEGER NOT NULL,
  UNIQUE (run_id, round),
  FOREIGN KEY (run_id, round, attempt) REFERENCES attempts (run_id, round, attempt)
) STRICT;

CREATE TABLE checkpoints (
  run_id INTEGER NOT NULL,
  round INTEGER NOT NULL,
  weights BLOB NOT NULL,
  sha256 TEXT NOT NULL CHECK (length(sha256) = 64),
  strategy_state_json TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  UNIQUE (run_id, round),
  FOREIGN KEY (run_id, round) REFERENCES rounds (run_id, round)
) STRICT;

CREATE TABLE participants (
  run_id INTEGER NOT NULL,
  round INTEGER NOT NULL,
  site TEXT NOT NULL,
  role TEXT NOT NULL CHECK (role IN ('trained', 'failed', 'evaluated')),
  reason TEXT,
  num_examples INTEGER,
  PRIMARY KEY (run_id, round, site, role),
  FOREIGN KEY (run_id, round) REFERENCES rounds (run_id, round)
) STRICT;

CREATE TABLE site_metrics (
  run_id INTEGER NOT NULL,
  round INTEGER NOT NULL,
  site TEXT NOT NULL,
  name TEXT NOT NULL,
  value REAL, -- NULL is NaN: SQLite stores NaN as NULL
  PRIMARY KEY (run_id, round, site, name),
  FOREIGN KEY (run_id, round) REFERENCES rounds (run_id, round)
) STRICT;

CREATE TABLE meta (
  key TEXT PRIMARY KEY,
  value TEXT NOT NULL
) STRICT;
${['rounds', 'checkpoints', 'participants', 'site_metrics']
  .flatMap((table) =>
    ['UPDATE', 'DELETE'].map(
      (op) => `CREATE TRIGGER ${table}_no_${op.toLowerCase()} BEFORE ${op} ON ${table}
BEGIN SELECT RAISE(ABORT, 'completed rounds never change: ${op} on ${table} refused'); END;`,
    ),
  )
  .join('\n')}
`;

// The audit log is append-only: the hash chain shows tampering, the triggers stop it through this store.
const V2 = `
CREATE TABLE audit (
  seq INTEGER PRIMARY KEY CHECK (seq >= 1),
  at INTEGER NOT NULL,
  kind TEXT NOT NULL,
  site TEXT NULL,
  data_json TEXT NOT NULL,
  prev_hash TEXT NOT NULL CHECK (length(prev_hash) = 64),
  hash TEXT NOT NULL CHECK (length(hash) = 64),
  sig TEXT NOT NULL
) STRICT;
${['UPDATE', 'DELETE']
  .map(
    (op) => `CREATE TRIGGER audit_no_${op.toLowerCase()} BEFORE ${op} ON audit
BEGIN SELECT RAISE(ABORT, 'the audit log is append-only: ${op} on audit refused'); END;`,
  )
  .join('\n')}
`;

export const MIGRATIONS: readonly Migration[] = [
  { version: 1, description: 'sites, tasks, runs, attempts, rounds, checkpoints, participants, site metrics, meta', sql: V1 },
  { version: 2, description: 'append-only, hash-chained audit log', sql: V2 },
];

export const SCHEMA_VERSION = MIGRATIONS.length;

/** Bring the database to SCHEMA_VERSION; returns the version it started at. */
export function migrate(db: Database.Database, migrations: readonly Migration[] = MIGRATIONS): number {
  const from = db.pragma('user_version', { simple: true }) as number;
  const latest = migrations.length;
  if (from > latest) {
    throw new CohortError(
      'CONFIG_INVALID',
      `the store's schema is version ${from}, newer than this coordinator understands (${latest}); upgrade the coordinator`,
    );
  }
  migrations.forEach((m, i) => {
    if (m.version !== i + 1) throw new CohortError('INTERNAL', `migration ${i + 1} is numbered ${m.version}`);
  });
  for (const migration of migrations.slice(from)) {
    db.transaction(() => {
      db.exec(migration.sql);
      db.pragma(`user_version = ${migration.version}`);
    }).immediate();
  }
  return from;
}
