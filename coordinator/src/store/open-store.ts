/** Opening the store: durability settings, schema migrations, then the operations over one connection. */
import Database from 'better-sqlite3';
import { endianness } from 'node:os';
import { CohortError } from '@cohortfl/wire';
import { attemptOps } from './attempts.js';
import { auditOps } from './audit.js';
import { metaOps } from './meta.js';
import { migrate } from './migrations.js';
import { roundOrderCheck } from './round-order.js';
import { roundReadOps } from './round-reads.js';
import { roundOps } from './rounds.js';
import { runOps } from './runs.js';
import { siteOps } from './sites.js';
import { taskOps } from './tasks.js';
import type { Store } from './types.js';

/** Open (creating if needed) the SQLite store at `path`; ':memory:' gives a non-durable store for tests. */
export function openStore(path: string): Store {
  if (typeof path !== 'string' || path.length === 0) {
    throw new CohortError('CONFIG_INVALID', 'the store needs a database file path');
  }
  let db: Database.Database;
  try {
    db = new Database(path);
  } catch (cause) {
    throw new CohortError('CONFIG_INVALID', `cannot open the store at ${path}: ${(cause as Error).message}`, { cause });
  }
  try {
    return storeOnDatabase(db);
  } catch (error) {
    db.close();
    throw error;
  }
}

/** The store over an open connection (the crash test registers SQL functions on it first). */
export function storeOnDatabase(db: Database.Database): Store {
  // Checkpoints store a Float32Array's native bytes and promise little-endian ones.
  if (endianness() !== 'LE') throw new CohortError('INTERNAL', 'the store needs a little-endian platform');
  db.pragma('busy_timeout = 5000');
  const mode = db.pragma('journal_mode = WAL', { simple: true });
  if (mode !== 'wal' && !db.memory) {
    throw new CohortError('CONFIG_INVALID', `the store at ${db.name} cannot use write-ahead logging (journal mode is ${String(mode)})`);
  }
  // FULL: a commit is on disk before saveRound returns, not just ordered.
  db.pragma('synchronous = FULL');
  db.pragma('foreign_keys = ON');
  migrate(db);

  const checkOrder = roundOrderCheck(db);
  const reads = roundReadOps(db);
  const { readRound: _internal, ...publicReads } = reads;
  return {
    ...siteOps(db),
    ...taskOps(db),
    ...runOps(db),
    ...attemptOps(db, checkOrder),
    ...roundOps(db, checkOrder, reads),
    ...publicReads,
    ...metaOps(db),
    ...auditOps(db),
    close: () => db.close(),
  };
}
