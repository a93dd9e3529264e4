/**
 * JSON columns. Only values JSON keeps exactly are accepted, so what is read back
 * equals what was written: a Float32Array, a Map or a NaN inside a config would
 * otherwise be silently turned into something else.
 */
import { CohortError } from '@cohortfl/wire';
import { refuse } from './check.js';

function isPlainObject(value: object): boolean {
  const proto = Object.getPrototypeOf(value) as unknown;
  return proto === Object.prototype || proto === null;
}

function checkPlain(value: unknown, where: string, ancestors: Set<object>): void {
  if (value === null || typeof value === 'string' || typeof value === 'boolean') return;
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) refuse('DATA_INVALID', `${where} is ${value}, which JSON cannot store`);
    return;
  }
  if (typeof value !== 'object') refuse('DATA_INVALID', `${where} is of type ${typeof value}, which JSON cannot store`);
  if (ancestors.has(value)) refuse('DATA_INVALID', `${where} contains itself`);
  const entries: [string, unknown][] = Array.isArray(value)
    ? value.map((item, i) => [`[${i}]`, item])
    : isPlainObject(value)
      ? Object.entries(value)
          .filter(([, v]) => v !== undefined) // an absent key reads back the same
          .map(([k, v]) => [`.${k}`, v])
      : refuse('DATA_INVALID', `${where} is a ${value.constructor?.name ?? 'non-plain object'}; store plain objects, arrays, strings, finite numbers, booleans or null`);
  ancestors.add(value);
  for (const [key, item] of entries) checkPlain(item, where + key, ancestors);
  ancestors.delete(value);
}

/** JSON text of a plain object (a run's config, a strategy's state). */
export function stringifyObject(value: unknown, what: string): string {
  if (typeof value !== 'object' || value === null || Array.isArray(value) || !isPlainObject(value)) {
    refuse('DATA_INVALID', `${what} must be a plain object`);
  }
  checkPlain(value, what, new Set());
  return JSON.stringify(value);
}

/** Any plain JSON value (site lists, failures). */
export function stringifyValue(value: unknown, what: string): string {
  checkPlain(value, what, new Set());
  return JSON.stringify(value);
}

/** JSON read back from the database; a parse failure means the file was altered. */
export function parseStored(text: string, what: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch (cause) {
    throw new CohortError('INTERNAL', `${what} in the store is not valid JSON; the database is corrupt`, { cause });
  }
}

export function parseStoredObject(text: string, what: string): Record<string, unknown> {
  const value = parseStored(text, what);
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new CohortError('INTERNAL', `${what} in the store is not a JSON object; the database is corrupt`);
  }
  return value as Record<string, unknown>;
}

// Metrics may legitimately be NaN or ±Infinity (an AUC with one class present);
// JSON has no such numbers, so they travel as these strings and come back as numbers.
const NON_FINITE = new Map<string, number>([
  ['NaN', Number.NaN],
  ['Infinity', Number.POSITIVE_INFINITY],
  ['-Infinity', Number.NEGATIVE_INFINITY],
]);

export function encodeMetrics(value: unknown, what: string): string {
  if (typeof value !== 'object' || value === null || Array.isArray(value) || !isPlainObject(value)) {
    refuse('DATA_INVALID', `${what} must be a plain object of numbers`);
  }
  const out: [string, number | string][] = [];
  for (const [name, metric] of Object.entries(value)) {
    if (typeof metric !== 'number') refuse('DATA_INVALID', `${what}.${name} must be a number, got ${typeof metric}`);
    out.push([name, Number.isFinite(metric) ? metric : String(metric)]);
  }
  return JSON.stringify(Object.fromEntries(out));
}

export function decodeMetrics(text: string, what: string): Record<string, number> {
  const entries = Object.entries(parseStoredObject(text, what)).map(([name, metric]): [string, number] => {
    if (typeof metric === 'number') return [name, metric];
    const special = typeof metric === 'string' ? NON_FINITE.get(metric) : undefined;
    if (special === undefined) throw new CohortError('INTERNAL', `${what}.${name} in the store is not a number; the database is corrupt`);
    return [name, special];
  });
  return Object.fromEntries(entries);
}
