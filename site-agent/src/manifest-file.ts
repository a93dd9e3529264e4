/**
 * Reads a task manifest file for `cohort-site check`. Accepts what
 * @cohortfl/sdk buildManifest produces: its canonical `json` written as is
 * (`{ "format": "cohortfl-task/1", "task": … }`), or the whole
 * `{ manifest, json, hash }` object, whose `json` must hash to its `hash`.
 */
import { readFileSync, statSync } from 'node:fs';
import { parseManifest, type BuiltManifest } from '@cohortfl/sdk';
import { CohortError, LIMITS } from '@cohortfl/wire';

export function readManifestFile(path: string): BuiltManifest {
  let text: string;
  try {
    if (statSync(path).size > LIMITS.MANIFEST_JSON_MAX * 2) {
      throw new CohortError('TASK_INVALID', `manifest ${path} is larger than a manifest can be`);
    }
    text = readFileSync(path, 'utf8');
  } catch (error) {
    if (error instanceof CohortError) throw error;
    throw new CohortError('TASK_INVALID', `cannot read manifest ${path}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`, { cause: error });
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new CohortError('TASK_INVALID', `manifest ${path} is not valid JSON`);
  }
  try {
    const built = parsed as Partial<BuiltManifest> | null;
    if (built !== null && typeof built === 'object' && typeof built.json === 'string' && typeof built.hash === 'string') {
      return parseManifest(built.json, built.hash);
    }
    return parseManifest(text);
  } catch (error) {
    if (error instanceof CohortError) throw new CohortError(error.code, `manifest ${path}: ${error.message}`, { cause: error });
    throw error;
  }
}
