import Database from 'better-sqlite3';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { TASK_HASH, completeRound, expectCohortError, storeWithRun, tempDir } from './fixtures.test-suite.js';
import { MIGRATIONS, SCHEMA_VERSION, migrate } from './migrations.js';
import { openStore, storeOnDatabase } from './open-store.js';

describe('durability', () => {
  let tmp: ReturnType<typeof tempDir>;
  beforeEach(() => {
    tmp = tempDir();
  });
  afterEach(() => tmp.cleanup());

  it('runs its connection with WAL, synchronous FULL, foreign keys and a busy timeout', () => {
    const db = new Database(tmp.path);
    const store = storeOnDatabase(db);
    try {
      expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
      expect(db.pragma('synchronous', { simple: true })).toBe(2); // FULL
      expect(db.pragma('foreign_keys', { simple: true })).toBe(1);
      expect(db.pragma('busy_timeout', { simple: true })).toBe(5000);
      expect(db.pragma('user_version', { simple: true })).toBe(SCHEMA_VERSION);
    } finally {
      store.close();
    }
  });

  it('keeps everything across close and reopen', () => {
    const { store, run } = storeWithRun(tmp.path, 3);
    completeRound(store, run.id, 1);
    completeRound(store, run.id, 2);
    store.startAttempt({ runId: run.id, round: 3, attempt: 1, at: 1 });
    store.revokeSite('site-c', { at: 5, reason: 'left the consortium' });
    store.setMeta('coordinator.key', 'ed25519:abc');
    const snapshot = {
      sites: store.listSites(),
      tasks: store.listTasks(),
      runs: store.listRuns(),
      attempts: store.listAttempts(run.id),
      rounds: store.completedRounds(run.id),
      raw: store.rawRoundRows(run.id),
      checkpoint: store.lastCheckpoint(run.id),
    };
    store.close();

    const reopened = openStore(tmp.path);
    try {
      expect({
        sites: reopened.listSites(),
        tasks: reopened.listTasks(),
        runs: reopened.listRuns(),
        attempts: reopened.listAttempts(run.id),
        rounds: reopened.completedRounds(run.id),
        raw: reopened.rawRoundRows(run.id),
        checkpoint: reopened.lastCheckpoint(run.id),
      }).toEqual(snapshot);
      expect(reopened.activeRun()!.id).toBe(run.id);
      expect(reopened.nextAttempt(run.id, 3)).toBe(2);
      expect(reopened.getMeta('coordinator.key')).toBe('ed25519:abc');
    } finally {
      reopened.close();
    }
  });

  it('stores meta values and overwrites them', () => {
    const store = openStore(tmp.path);
    try {
      expect(store.getMeta('k')).toBeUndefined();
      store.setMeta('k', 'one');
      store.setMeta('k', 'two');
      expect(store.getMeta('k')).toBe('two');
      expectCohortError(() => store.setMeta('', 'x'), 'DATA_INVALID', /meta key/);
    } finally {
      store.close();
    }
  });

  it('refuses a store written by a newer coordinator', () => {
    const raw = new Database(tmp.path);
    raw.pragma(`user_version = ${SCHEMA_VERSION + 1}`);
    raw.close();
    expectCohortError(() => openStore(tmp.path), 'CONFIG_INVALID', /newer than this coordinator understands/);
  });

  it('refuses a path it cannot open, naming it', () => {
    const path = join(tmp.dir, 'missing-dir', 'coordinator.db');
    expectCohortError(() => openStore(path), 'CONFIG_INVALID', /missing-dir/);
    expectCohortError(() => openStore(''), 'CONFIG_INVALID');
  });

  it('applies a later migration to an existing store, keeping its data', () => {
    const { store } = storeWithRun(tmp.path, 1);
    store.close();
    const raw = new Database(tmp.path);
    try {
      const v2 = { version: SCHEMA_VERSION + 1, description: 'notes', sql: 'CREATE TABLE notes (id INTEGER PRIMARY KEY, entry TEXT NOT NULL) STRICT;' };
      expect(migrate(raw, [...MIGRATIONS, v2])).toBe(SCHEMA_VERSION);
      expect(raw.pragma('user_version', { simple: true })).toBe(SCHEMA_VERSION + 1);
      expect(raw.prepare('SELECT hash FROM tasks').pluck().all()).toEqual([TASK_HASH]);
      expect(migrate(raw, [...MIGRATIONS, v2])).toBe(SCHEMA_VERSION + 1); // already there: nothing runs
    } finally {
      raw.close();
    }
  });

  it('rolls a failing migration back whole, version included', () => {
    const raw = new Database(tmp.path);
    try {
      migrate(raw);
      const bad = { version: SCHEMA_VERSION + 1, description: 'broken', sql: 'CREATE TABLE half (x INTEGER); INSERT INTO nowhere VALUES (1);' };
      expect(() => migrate(raw, [...MIGRATIONS, bad])).toThrow(/nowhere/);
      expect(raw.pragma('user_version', { simple: true })).toBe(SCHEMA_VERSION);
      expect(raw.prepare("SELECT name FROM sqlite_master WHERE name = 'half'").all()).toEqual([]);
    } finally {
      raw.close();
    }
  });

  it('enforces the task foreign key of runs in the schema', () => {
    openStore(tmp.path).close();
    const raw = new Database(tmp.path);
    try {
      raw.pragma('foreign_keys = ON');
      const insert = raw.prepare("INSERT INTO runs (task_hash, rounds, config_json, status, created_at, updated_at) VALUES (?, 1, '{}', 'running', 1, 1)");
      expect(() => insert.run(TASK_HASH)).toThrow(/FOREIGN KEY/);
    } finally {
      raw.close();
    }
  });
});
