import { describe, expect, it } from 'vitest';
import { logErfc, logGamma } from './special-functions.js';

// Reference values: mpmath at 40 digits (log(erfc(x)), log|Γ(x)|).
describe('special functions', () => {
  it('log erfc matches mpmath across the real line, including the far tail', () => {
    const cases: Array<[number, number]> = [
      [-3.2, 0.6931441676748307],
      [-0.7, 0.5174841229791057],
      [0.1, -0.11930497373739561],
      [1, -1.8496055099332482],
      [1.99, -5.320852015139977],
      [2, -5.364941264616638],
      [3, -10.720363041981113],
      [30, -903.9741171106439],
      [7000, -49000009.42603038],
    ];
    for (const [x, ref] of cases) expect(Math.abs(logErfc(x) - ref)).toBeLessThanOrEqual(1e-14 * Math.max(1, Math.abs(ref)));
    expect(logErfc(0) === 0).toBe(true);
    expect(logErfc(Number.POSITIVE_INFINITY)).toBe(Number.NEGATIVE_INFINITY);
    expect(logErfc(Number.NEGATIVE_INFINITY)).toBe(Math.LN2);
  });

  it('log|Γ| matches mpmath, with exact zeros at 1 and 2 and poles at non-positive integers', () => {
    const cases: Array<[number, number]> = [
      [-250.75, -1136.6976446372873],
      [-10.3, -14.457515440024208],
      [-0.5, 1.2655121234846454],
      [0.1, 2.252712651734206],
      [1.5, -0.12078223763524522],
      [14.9, 24.924132002217277],
      [64, 201.00931639928152],
      [257.1, 1167.8120109832919],
      [1025, 6078.211884750051],
    ];
    for (const [x, ref] of cases) expect(Math.abs(logGamma(x) - ref)).toBeLessThanOrEqual(1e-14 * Math.max(1, Math.abs(ref)));
    expect(logGamma(1)).toBe(0);
    expect(logGamma(2)).toBe(0);
    expect(logGamma(0)).toBe(Number.POSITIVE_INFINITY);
    expect(logGamma(-3)).toBe(Number.POSITIVE_INFINITY);
  });
});
