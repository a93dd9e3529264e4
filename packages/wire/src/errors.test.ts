import { describe, expect, it } from 'vitest';
import { CohortError, ERROR_CODES, exitCodeFor, isCohortError } from './errors.js';

describe('CohortError', () => {
  it('carries a code, details and cause, and maps to an exit code', () => {
    const cause = new Error('disk');
    const e = new CohortError('DATA_INVALID', 'clinical.csv line 3: bad', { cause, details: { line: 3 } });
    expect(e.code).toBe('DATA_INVALID');
    expect(e.details).toEqual({ line: 3 });
    expect(e.cause).toBe(cause);
    expect(exitCodeFor(e)).toBe(ERROR_CODES.DATA_INVALID);
    expect(exitCodeFor(new Error('x'))).toBe(ERROR_CODES.INTERNAL);
    expect(isCohortError(e, 'DATA_INVALID')).toBe(true);
    expect(isCohortError(e, 'CONFIG_INVALID')).toBe(false);
  });

  it('puts only code and message on the wire', () => {
    const e = new CohortError('POLICY_REFUSED', 'task not approved', { details: { path: '/secret' } });
    expect(e.toWire()).toEqual({ code: 'POLICY_REFUSED', message: 'task not approved' });
  });

  it('gives every code a distinct exit code', () => {
    const values = Object.values(ERROR_CODES);
    expect(new Set(values).size).toBe(values.length);
    expect(values.every((v) => v > 1 && v < 128)).toBe(true);
  });
});
