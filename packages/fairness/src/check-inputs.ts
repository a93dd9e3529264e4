import { CohortError } from '@cohortfl/wire';

/**
 * Input checks shared by every entry point. Messages name the array and the index,
 * never the value: labels and scores are patient-level data and errors may travel.
 */

/** Bounds on subgroup breakdowns, so a histogram stays a few MB at most on the wire. */
export const GROUP_LIMITS = {
  MAX_COLUMNS: 16,
  MAX_VALUES_PER_COLUMN: 256,
  MAX_NAME_LENGTH: 64,
} as const;

/** Returns the length of an array or typed array; refuses anything else. */
export function checkArrayLike(name: string, values: unknown): number {
  const length = (values as { length?: unknown } | null | undefined)?.length;
  if (typeof values !== 'object' || values === null || typeof length !== 'number') {
    throw new CohortError('DATA_INVALID', `${name} is not an array`);
  }
  return length;
}

export function checkSameLength(name: string, values: ArrayLike<unknown>, expected: number, reference: string): void {
  checkArrayLike(name, values);
  if (values.length !== expected) {
    throw new CohortError('SHAPE_MISMATCH', `${name} has ${values.length} entries but ${reference} has ${expected}`, {
      details: { name, length: values.length, expected },
    });
  }
}

export function checkNonEmpty(name: string, values: ArrayLike<unknown>): void {
  if (values.length === 0) throw new CohortError('DATA_INVALID', `${name} is empty`);
}

/** Each entry must be the number 0 or 1. */
export function checkBinary(name: string, values: ArrayLike<number>): void {
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (v !== 0 && v !== 1) {
      throw new CohortError('DATA_INVALID', `${name}[${i}] is not 0 or 1`, { details: { name, index: i } });
    }
  }
}

/** Each entry must be a probability: a number in [0, 1] (NaN is refused). */
export function checkProbabilities(name: string, values: ArrayLike<number>): void {
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (typeof v !== 'number' || !(v >= 0 && v <= 1)) {
      throw new CohortError('DATA_INVALID', `${name}[${i}] is not a number in [0, 1]`, { details: { name, index: i } });
    }
  }
}

/** Each entry must be a finite number (scores for ranking, metric inputs). */
export function checkFinite(name: string, values: ArrayLike<number>): void {
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (typeof v !== 'number' || !Number.isFinite(v)) {
      throw new CohortError('DATA_INVALID', `${name}[${i}] is not a finite number`, { details: { name, index: i } });
    }
  }
}

/** Group labels: strings (missing values must be mapped to an explicit category first). */
export function checkGroupValues(name: string, values: ArrayLike<string>): void {
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (typeof v !== 'string') {
      throw new CohortError('DATA_INVALID', `${name}[${i}] is not a string; map missing values to a category first`, {
        details: { name, index: i },
      });
    }
    if (v.length > GROUP_LIMITS.MAX_NAME_LENGTH) {
      throw new CohortError('DATA_INVALID', `${name}[${i}] is longer than ${GROUP_LIMITS.MAX_NAME_LENGTH} characters`, {
        details: { name, index: i },
      });
    }
  }
}

export function checkColumnName(name: string): void {
  if (name.length === 0 || name.length > GROUP_LIMITS.MAX_NAME_LENGTH) {
    throw new CohortError('CONFIG_INVALID', `group column names must have 1 to ${GROUP_LIMITS.MAX_NAME_LENGTH} characters`);
  }
}
