/**
 * The manifest is what a hospital approves: canonical JSON with a SHA-256.
 * It holds the model topology, never weights or code; the initial weights
 * follow from the topology and the seed.
 */
import { createHash } from 'node:crypto';
import { canonicalJson, CohortError } from '@cohortfl/wire';
import type { Task } from './define-task.js';

export const MANIFEST_FORMAT = 'cohortfl-task/1' as const;

export interface Manifest {
  format: typeof MANIFEST_FORMAT;
  task: Task;
}

export interface BuiltManifest {
  manifest: Manifest;
  /** Canonical JSON bytes (UTF-8) that the hash covers. */
  json: string;
  /** Lowercase hex SHA-256 of `json`. */
  hash: string;
}

export function buildManifest(task: Task): BuiltManifest {
  const manifest: Manifest = { format: MANIFEST_FORMAT, task };
  // No code ships to a hospital: a manifest is plain JSON, and its canonical bytes are what is hashed and approved.
  const json = canonicalJson(manifest, { code: 'TASK_INVALID', what: 'a manifest' });
  return { manifest: JSON.parse(json) as Manifest, json, hash: createHash('sha256').update(json, 'utf8').digest('hex') };
}

/** Parse a manifest received as JSON, checking it against the hash it claims. */
export function parseManifest(json: string, expectedHash?: string): BuiltManifest {
  let parsed: unknown;
  try {
    parsed = JSON.parse(json);
  } catch (cause) {
    throw new CohortError('TASK_INVALID', 'the manifest is not valid JSON', { cause });
  }
  const m = parsed as Partial<Manifest>;
  if (m?.format !== MANIFEST_FORMAT || typeof m.task !== 'object') {
    throw new CohortError('TASK_INVALID', `the manifest format must be '${MANIFEST_FORMAT}'`);
  }
  const built = buildManifest(m.task as Task);
  if (expectedHash !== undefined && built.hash !== expectedHash) {
    throw new CohortError('TASK_INVALID', `the manifest hashes to ${built.hash}, not the expected ${expectedHash}`);
  }
  return built;
}
