/** Argument checks shared by the store's writers: refuse bad values before any SQL runs. */
import { CohortError, LIMITS, SHA256_HEX_PATTERN, isSiteName, type ErrorCode } from '@cohortfl/wire';

export function refuse(code: ErrorCode, message: string): never {
  throw new CohortError(code, message);
}

export function checkSiteName(value: unknown, what: string, code: ErrorCode = 'CONFIG_INVALID'): string {
  if (!isSiteName(value)) {
    refuse(code, `${what} ${JSON.stringify(value)} is not a site name (1-${LIMITS.SITE_NAME_MAX} characters of a-z, 0-9, '.', '_' or '-', starting with a letter or digit)`);
  }
  return value;
}

/** Milliseconds since the epoch as a non-negative integer. */
export function checkTime(value: unknown, what: string): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) {
    refuse('DATA_INVALID', `${what} must be a non-negative integer number of milliseconds, got ${String(value)}`);
  }
  return value;
}

export function checkPositiveInt(value: unknown, what: string): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 1) {
    refuse('DATA_INVALID', `${what} must be a positive integer, got ${String(value)}`);
  }
  return value;
}

export function checkTaskHash(value: unknown, what: string): string {
  if (typeof value !== 'string' || !SHA256_HEX_PATTERN.test(value)) {
    refuse('TASK_INVALID', `${what} must be a SHA-256 digest as 64 lowercase hex characters`);
  }
  return value;
}

/** A non-empty string no longer than `max`. */
export function checkText(value: unknown, what: string, max: number, code: ErrorCode = 'DATA_INVALID'): string {
  if (typeof value !== 'string' || value.length === 0 || value.length > max) {
    refuse(code, `${what} must be a non-empty string of at most ${max} characters`);
  }
  return value;
}

/**
 * Free text (error messages, revocation reasons) is cut to the protocol's message
 * limit rather than refused: recording a failure must not fail because its message is long.
 */
export function clipMessage(value: unknown, what: string): string | null {
  if (value === undefined || value === null) return null;
  if (typeof value !== 'string') refuse('DATA_INVALID', `${what} must be a string`);
  return value.length <= LIMITS.MESSAGE_MAX ? value : `${value.slice(0, LIMITS.MESSAGE_MAX - 1)}…`;
}

/** Each site at most once in a list. */
export function checkUniqueSites(sites: readonly string[], what: string): void {
  const seen = new Set<string>();
  for (const site of sites) {
    if (seen.has(site)) refuse('DATA_INVALID', `${what} lists site '${site}' twice`);
    seen.add(site);
  }
}

export function checkArray(value: unknown, what: string): unknown[] {
  if (!Array.isArray(value)) refuse('DATA_INVALID', `${what} must be an array`);
  return value;
}
