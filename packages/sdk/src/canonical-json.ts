/**
 * Canonical JSON: object keys sorted, no whitespace, only finite numbers, no
 * undefined. Two processes that build the same task produce the same bytes,
 * hence the same hash; anything that cannot round-trip through JSON is refused.
 */
import { CohortError } from '@cohortfl/wire';

export function canonicalJson(value: unknown, path = '$'): string {
  if (value === null) return 'null';
  switch (typeof value) {
    case 'boolean':
      return value ? 'true' : 'false';
    case 'string':
      return JSON.stringify(value);
    case 'number':
      if (!Number.isFinite(value)) throw new CohortError('TASK_INVALID', `${path} is ${value}; a manifest holds only finite numbers`);
      return JSON.stringify(value);
    case 'object': {
      if (Array.isArray(value)) return `[${value.map((v, i) => canonicalJson(v, `${path}[${i}]`)).join(',')}]`;
      const proto = Object.getPrototypeOf(value);
      if (proto !== Object.prototype && proto !== null) {
        throw new CohortError('TASK_INVALID', `${path} is a ${proto?.constructor?.name ?? 'non-plain object'}; a manifest holds only plain JSON`);
      }
      const entries = Object.entries(value as Record<string, unknown>)
        .filter(([, v]) => v !== undefined)
        .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
      return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v, `${path}.${k}`)}`).join(',')}}`;
    }
    default:
      throw new CohortError('TASK_INVALID', `${path} is a ${typeof value}; a manifest holds only plain JSON (no code ships to a hospital)`);
  }
}
