import { CohortError } from '@cohortfl/wire';

/** An allowed numeric range; bounds are inclusive unless marked exclusive. */
export interface Range {
  min?: number;
  max?: number;
  minExclusive?: boolean;
  maxExclusive?: boolean;
  integer?: boolean;
}

export function describeRange(range: Range): string {
  const kind = range.integer === true ? 'an integer' : 'a number';
  const { min, max } = range;
  if (min !== undefined && max !== undefined) {
    const open = range.minExclusive === true ? '(' : '[';
    const close = range.maxExclusive === true ? ')' : ']';
    return `${kind} in ${open}${min}, ${max}${close}`;
  }
  if (min !== undefined) return `${kind} ${range.minExclusive === true ? '>' : '>='} ${min}`;
  if (max !== undefined) return `${kind} ${range.maxExclusive === true ? '<' : '<='} ${max}`;
  return `a finite ${kind.replace(/^an? /, '')}`;
}

function inRange(value: number, range: Range): boolean {
  if (!Number.isFinite(value)) return false;
  if (range.integer === true && !Number.isInteger(value)) return false;
  if (range.min !== undefined && (range.minExclusive === true ? value <= range.min : value < range.min)) return false;
  if (range.max !== undefined && (range.maxExclusive === true ? value >= range.max : value > range.max)) return false;
  return true;
}

/** A required numeric parameter; anything else is a TASK_INVALID naming the strategy, key and range. */
export function requireNumber(strategy: string, key: string, value: unknown, range: Range): number {
  if (typeof value !== 'number' || !inRange(value, range)) {
    const got = value === undefined ? 'nothing' : typeof value === 'number' ? String(value) : `a ${typeof value}`;
    throw new CohortError('TASK_INVALID', `${strategy}: ${key} must be ${describeRange(range)}, got ${got}`, {
      details: { strategy, key },
    });
  }
  return value;
}

/** An optional numeric parameter with a default. */
export function optionalNumber(strategy: string, key: string, value: unknown, fallback: number, range: Range): number {
  return value === undefined ? fallback : requireNumber(strategy, key, value, range);
}
