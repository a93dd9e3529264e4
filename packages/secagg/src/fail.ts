import { CohortError } from '@cohortfl/wire';

/** A malformed or inconsistent input: refused, nothing about the round changes. */
export function invalid(message: string, details?: Record<string, unknown>): CohortError {
  return new CohortError('MESSAGE_INVALID', message, details === undefined ? {} : { details });
}

/** The round cannot (or must not) continue for this party. */
export function aborted(message: string, details?: Record<string, unknown>): CohortError {
  return new CohortError('SECAGG_ABORTED', message, details === undefined ? {} : { details });
}

/** A local configuration error (quantizer, server construction). */
export function badConfig(message: string): CohortError {
  return new CohortError('CONFIG_INVALID', message);
}
