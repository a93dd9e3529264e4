import { CohortError } from '@cohortfl/wire';

/** Where a data error is: the file's base name, the 1-based line, the column as the site names it. */
export interface DataLocation {
  file: string;
  line?: number;
  column?: string;
}

/**
 * A hospital's data error. The message starts with the file and line (the form
 * IT staff can jump to) and the caller ends it with the fix.
 */
export function dataError(where: DataLocation, message: string, cause?: unknown): CohortError {
  const prefix = where.line === undefined ? where.file : `${where.file} line ${where.line}`;
  return new CohortError('DATA_INVALID', `${prefix}: ${message}`, {
    details: { file: where.file, line: where.line, column: where.column },
    ...(cause === undefined ? {} : { cause }),
  });
}

/** "'years' (age)" when a site column is mapped to a task column, else "'age'". */
export function describeColumn(local: string, task: string): string {
  return local === task ? `'${local}'` : `'${local}' (${task})`;
}

/** The first `limit` items then "and N more", for messages that list many IDs. */
export function listSome(items: readonly string[], limit = 10): string {
  const shown = items.slice(0, limit).join(', ');
  return items.length > limit ? `${shown} and ${items.length - limit} more` : shown;
}
