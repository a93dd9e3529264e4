/**
 * The site's record of the models it has evaluated, on disk:
 * `<stateDir>/evaluated-models.json`, replaced atomically each time an evaluation is
 * admitted, before the site works on its data (SiteRunner's EvaluationGuard). A
 * restart continues from it, so a restarted site still evaluates each committed model
 * once; a damaged file stops the agent rather than forgetting what was evaluated.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Logger } from 'pino';
import { EvaluationGuard } from '@cohortfl/protocol';
import { CohortError } from '@cohortfl/wire';
import { writeFileAtomic } from './atomic-file.js';
import type { SiteMetrics } from './metrics.js';

export const EVALUATION_RECORD_FILE = 'evaluated-models.json';

export function evaluationRecordPath(stateDir: string): string {
  return join(stateDir, EVALUATION_RECORD_FILE);
}

/** The stored record, or undefined when this site has evaluated nothing yet. */
export function readEvaluationRecord(stateDir: string): unknown {
  const path = evaluationRecordPath(stateDir);
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new CohortError('CONFIG_INVALID', `cannot read the record of evaluated models ${path}: ${(error as Error).message}`, { cause: error });
  }
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    throw new CohortError('CONFIG_INVALID', `the record of evaluated models ${path} is not valid JSON; restore it from a backup (starting afresh would let the coordinator evaluate models again)`, { cause: error });
  }
}

/** The site's guard, continuing from the stored record; every admission is saved, every refusal counted. */
export function loadEvaluationGuard(stateDir: string, options: { logger?: Logger; metrics?: SiteMetrics } = {}): EvaluationGuard {
  const record = readEvaluationRecord(stateDir);
  try {
    return new EvaluationGuard({
      ...(record === undefined ? {} : { record }),
      onChange: (json) => writeFileAtomic(stateDir, EVALUATION_RECORD_FILE, `${JSON.stringify(json, null, 2)}\n`),
      onCounted: (reason, error) => {
        options.metrics?.rejected.inc({ reason });
        const what = reason === 'train_model_unbound' ? 'training does not continue from the model this site evaluated' : 'evaluation refused';
        options.logger?.warn({ reason, code: error.code, message: error.message }, what);
      },
    });
  } catch (error) {
    const why = error instanceof Error ? error.message : String(error);
    throw new CohortError('CONFIG_INVALID', `${evaluationRecordPath(stateDir)}: ${why}`, { cause: error });
  }
}
