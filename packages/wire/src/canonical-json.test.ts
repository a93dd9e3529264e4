import { describe, expect, it } from 'vitest';
import { canonicalJson } from './canonical-json.js';
import { isCohortError } from './errors.js';

describe('canonicalJson', () => {
  it('sorts keys at every depth, including integer-like keys, with no whitespace', () => {
    expect(canonicalJson({ b: 1, a: { d: [{ z: 1, y: 2 }], c: null } })).toBe('{"a":{"c":null,"d":[{"y":2,"z":1}]},"b":1}');
    // JS enumerates integer-like keys numerically; canonical order is by code units.
    expect(canonicalJson({ 9: 'a', 10: 'b', x: true })).toBe('{"10":"b","9":"a","x":true}');
    expect(canonicalJson({ é: 1, z: 2, Z: 3 })).toBe('{"Z":3,"z":2,"é":1}');
  });

  it('writes the same bytes for the same value built in any key order', () => {
    expect(canonicalJson({ a: 1, b: [1, 2] })).toBe(canonicalJson({ b: [1, 2], a: 1 }));
  });

  it('leaves out undefined members and writes undefined array slots as null, like JSON', () => {
    expect(canonicalJson({ a: undefined, b: [undefined, 1] })).toBe('{"b":[null,1]}');
  });

  it('refuses non-finite numbers with a path, or writes null when asked', () => {
    const error = (() => {
      try {
        canonicalJson({ m: { auc: Number.NaN } }, { code: 'TASK_INVALID', what: 'a manifest' });
      } catch (e) {
        return e;
      }
      return undefined;
    })();
    expect(isCohortError(error, 'TASK_INVALID')).toBe(true);
    expect((error as Error).message).toMatch(/\$\.m\.auc is NaN.*a manifest/);
    expect(canonicalJson({ x: Number.POSITIVE_INFINITY, y: [Number.NaN] }, { nonFinite: 'null' })).toBe('{"x":null,"y":[null]}');
  });

  it('refuses functions, class instances and other non-JSON values', () => {
    expect(() => canonicalJson({ f: () => 1 })).toThrow(/\$\.f is a function/);
    expect(() => canonicalJson({ d: new Date(0) })).toThrow(/\$\.d is a Date/);
    expect(() => canonicalJson({ t: new Float32Array(1) })).toThrow(/Float32Array/);
    expect(() => canonicalJson(10n)).toThrow(/bigint/);
    expect(canonicalJson(Object.create(null) as object)).toBe('{}');
  });
});
