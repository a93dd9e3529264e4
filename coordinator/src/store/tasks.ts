/** Published tasks, keyed by manifest hash: hospitals approve hashes, so a hash names one manifest forever. */
import type Database from 'better-sqlite3';
import { LIMITS, SHA256_HEX_PATTERN, isSiteName } from '@cohortfl/wire';
import { checkTaskHash, checkText, checkTime, refuse } from './check.js';
import type { Store, TaskRow } from './types.js';

interface TasksRecord {
  hash: string;
  name: string;
  version: string;
  manifest_json: string;
  published_at: number;
}

const toTask = (r: TasksRecord): TaskRow => ({
  hash: r.hash,
  name: r.name,
  version: r.version,
  manifestJson: r.manifest_json,
  publishedAt: r.published_at,
});

export type TaskOps = Pick<Store, 'publishTask' | 'getTask' | 'findTask' | 'listTasks'>;

export function taskOps(db: Database.Database): TaskOps {
  const byHash = db.prepare<[string], TasksRecord>('SELECT * FROM tasks WHERE hash = ?');
  // Ties in published_at go to the later insert.
  const latestByName = db.prepare<[string], TasksRecord>(
    'SELECT * FROM tasks WHERE name = ? ORDER BY published_at DESC, rowid DESC LIMIT 1',
  );
  const all = db.prepare<[], TasksRecord>('SELECT * FROM tasks ORDER BY published_at, rowid');
  const insert = db.prepare<[string, string, string, string, number]>(
    'INSERT INTO tasks (hash, name, version, manifest_json, published_at) VALUES (?, ?, ?, ?, ?)',
  );

  const publish = db.transaction((task: TasksRecord): TaskRow => {
    const existing = byHash.get(task.hash);
    if (existing) {
      if (existing.manifest_json !== task.manifest_json || existing.name !== task.name || existing.version !== task.version) {
        refuse('TASK_INVALID', `task hash ${task.hash} is already published with a different manifest, name or version`);
      }
      return toTask(existing); // republishing the same manifest keeps the first publication time
    }
    insert.run(task.hash, task.name, task.version, task.manifest_json, task.published_at);
    return toTask(task);
  });

  return {
    publishTask(input) {
      const hash = checkTaskHash(input.hash, 'task hash');
      // Task names follow the same rule as site names (see the sdk's defineTask).
      if (!isSiteName(input.name)) refuse('TASK_INVALID', `task name ${JSON.stringify(input.name)} must be 1-64 characters of a-z, 0-9, '.', '_' or '-'`);
      const version = checkText(input.version, 'task version', LIMITS.KEY_MAX, 'TASK_INVALID');
      const manifestJson = checkText(input.manifestJson, 'task manifest', LIMITS.MANIFEST_JSON_MAX, 'TASK_INVALID');
      try {
        JSON.parse(manifestJson);
      } catch (cause) {
        refuse('TASK_INVALID', `the manifest of task '${input.name}' is not valid JSON: ${(cause as Error).message}`);
      }
      const at = checkTime(input.at, 'publication time');
      return publish.immediate({ hash, name: input.name, version, manifest_json: manifestJson, published_at: at });
    },
    getTask(hash) {
      const row = byHash.get(hash);
      return row && toTask(row);
    },
    findTask(nameOrHash) {
      const row = (SHA256_HEX_PATTERN.test(nameOrHash) ? byHash.get(nameOrHash) : undefined) ?? latestByName.get(nameOrHash);
      return row && toTask(row);
    },
    listTasks: () => all.all().map(toTask),
  };
}
