import { describe, expect, it } from 'vitest';
import { isCohortError } from '@cohortfl/wire';
import { decodeFloat64, encodeFloat64 } from './float-codec.js';

describe('float64 base64 codec', () => {
  it('round-trips exactly, including -0, subnormals and extremes', () => {
    const values = Float64Array.from([0, -0, 1 / 3, -1e-310, Number.MAX_VALUE, Number.MIN_VALUE, 0.1 + 0.2]);
    const decoded = decodeFloat64(encodeFloat64(values), 'test');
    expect(Array.from(decoded).map((x) => Object.is(x, -0) ? '-0' : x)).toEqual(
      Array.from(values).map((x) => Object.is(x, -0) ? '-0' : x),
    );
  });

  it('is little-endian regardless of host, so checkpoints move between machines', () => {
    expect(encodeFloat64(Float64Array.from([1]))).toBe('AAAAAAAA8D8=');
  });

  it('handles arrays larger than one encoding chunk', () => {
    const values = Float64Array.from({ length: 10_000 }, (_, i) => i * 0.5 - 7);
    expect(decodeFloat64(encodeFloat64(values), 'test')).toEqual(values);
  });

  it('refuses invalid base64 and partial values with DATA_INVALID', () => {
    for (const bad of ['@@@', btoa('12345')]) {
      let caught: unknown;
      try {
        decodeFloat64(bad, 'state m');
      } catch (e) {
        caught = e;
      }
      expect(isCohortError(caught, 'DATA_INVALID')).toBe(true);
    }
  });
});
