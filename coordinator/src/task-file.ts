/**
 * `tasks publish <file>`: a manifest .json (from the sdk's buildManifest) or a JS
 * module exporting `task` or a default Task. Either way the task is re-validated
 * with defineTask and must hash to the same manifest, since hospitals approve hashes.
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { initBackend } from '@cohortfl/ml';
import { buildManifest, defineTask, parseManifest, type BuiltManifest, type Task } from '@cohortfl/sdk';
import { CohortError, LIMITS } from '@cohortfl/wire';
import type { Store, TaskRow } from './store/index.js';

function checked(built: BuiltManifest, source: string): BuiltManifest {
  const again = buildManifest(defineTask(built.manifest.task));
  if (again.hash !== built.hash) {
    throw new CohortError('TASK_INVALID', `${source}: the manifest is not in the canonical form defineTask produces (hash ${built.hash} vs ${again.hash}); rebuild it with buildManifest`);
  }
  if (built.json.length > LIMITS.MANIFEST_JSON_MAX) {
    throw new CohortError('TASK_INVALID', `${source}: the manifest is ${built.json.length} characters, above the protocol's ${LIMITS.MANIFEST_JSON_MAX}`);
  }
  return built;
}

function isTask(value: unknown): value is Task {
  return typeof value === 'object' && value !== null && 'name' in value && 'model' in value && 'schema' in value;
}

/** Load and validate a task file; nothing is stored. */
export async function readTaskFile(file: string): Promise<BuiltManifest> {
  const path = resolve(file);
  await initBackend(undefined, { quiet: true });
  if (/\.json$/i.test(path)) {
    let text: string;
    try {
      text = readFileSync(path, 'utf8');
    } catch (cause) {
      throw new CohortError('CONFIG_INVALID', `cannot read ${path}: ${(cause as Error).message}`, { cause });
    }
    return checked(parseManifest(text), path);
  }
  let mod: Record<string, unknown>;
  try {
    mod = (await import(pathToFileURL(path).href)) as Record<string, unknown>;
  } catch (cause) {
    throw new CohortError('TASK_INVALID', `cannot import ${path}: ${(cause as Error).message}`, { cause });
  }
  const task = mod['task'] ?? mod['default'];
  if (!isTask(task)) throw new CohortError('TASK_INVALID', `${path} exports no task: export \`task\` (or a default export) made with defineTask`);
  return checked(buildManifest(task), path);
}

export function publishManifest(store: Store, built: BuiltManifest, at: number): TaskRow {
  const task = built.manifest.task;
  return store.publishTask({ hash: built.hash, name: task.name, version: task.version, manifestJson: built.json, at });
}
