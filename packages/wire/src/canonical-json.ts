/**
 * Canonical JSON: object keys sorted by UTF-16 code units at every depth, no whitespace,
 * undefined object members left out. One spelling per value, so the same value hashes
 * the same in every process: task manifests, audit entries and provenance records all
 * hash this. Anything that cannot round-trip through JSON is refused (code objects,
 * class instances, functions); non-finite numbers are refused too, or written `null`
 * where a record must never fail to be written (`nonFinite: 'null'`, the audit log).
 */
import { CohortError, type ErrorCode } from './errors.js';

export interface CanonicalJsonOptions {
  /** 'refuse' (default) throws on NaN and ±Infinity; 'null' writes them as JSON does. */
  nonFinite?: 'refuse' | 'null';
  /** The error code of a refusal (default MESSAGE_INVALID). */
  code?: ErrorCode;
  /** What is being written, for the refusal's message (default 'canonical JSON'). */
  what?: string;
}

export function canonicalJson(value: unknown, options: CanonicalJsonOptions = {}): string {
  return write(value, '$', options);
}

function write(value: unknown, path: string, options: CanonicalJsonOptions): string {
  const refuse = (why: string): never => {
    throw new CohortError(options.code ?? 'MESSAGE_INVALID', `${path} is ${why}; ${options.what ?? 'canonical JSON'} holds only plain JSON`);
  };
  if (value === null) return 'null';
  switch (typeof value) {
    case 'boolean':
      return value ? 'true' : 'false';
    case 'string':
      return JSON.stringify(value);
    case 'number':
      if (Number.isFinite(value)) return JSON.stringify(value);
      return options.nonFinite === 'null' ? 'null' : refuse(`${value}, not a finite number`);
    case 'object': {
      if (Array.isArray(value)) {
        // As JSON.stringify does, a hole or undefined in an array is null.
        return `[${Array.from(value, (v, i) => (v === undefined ? 'null' : write(v, `${path}[${i}]`, options))).join(',')}]`;
      }
      const proto = Object.getPrototypeOf(value) as { constructor?: { name?: string } } | null;
      if (proto !== Object.prototype && proto !== null) refuse(`a ${proto?.constructor?.name ?? 'non-plain object'}`);
      const entries = Object.entries(value as Record<string, unknown>)
        .filter(([, v]) => v !== undefined)
        .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
      return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${write(v, `${path}.${k}`, options)}`).join(',')}}`;
    }
    default:
      return refuse(`a ${typeof value}`);
  }
}
