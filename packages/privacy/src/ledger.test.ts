import { describe, expect, it } from 'vitest';
import { isCohortError } from '@cohortfl/wire';
import { composeRdp, rdpToEpsilon } from './rdp-conversion.js';
import { computeRdp } from './rdp-subsampled-gaussian.js';
import { createLedger, ledgerFromJSON } from './ledger.js';
import type { Mechanism } from './mechanism.js';

const code = (fn: () => unknown): string | undefined => {
  try {
    fn();
  } catch (error) {
    return isCohortError(error) ? error.code : 'NOT_COHORT_ERROR';
  }
  return undefined;
};

const ORDERS = [1.5, 2, 3, 4, 6, 8, 12, 16, 24, 32, 64];
const ROUND: Mechanism = { kind: 'gaussian', noiseMultiplier: 1.1, samplingRate: 0.01, steps: 50 };
const DDG: Mechanism = {
  kind: 'distributed-discrete-gaussian',
  params: { l2Clip: 1, grid: 1 / 1024, dimension: 1000, perSiteVariance: 2e5, minSites: 10, rounds: 1 },
};
const roundTrip = (json: unknown): unknown => JSON.parse(JSON.stringify(json));

describe('privacy budget ledger', () => {
  it('commits releases until the next would exceed ε_max, then refuses with BUDGET_EXHAUSTED and records nothing', () => {
    const ledger = createLedger({ epsilonMax: 2, delta: 1e-5, noiseFloor: 0.5, orders: ORDERS });
    expect(ledger.epsilonSpent()).toBe(0);
    let committed = 0;
    while (ledger.preview(ROUND).allowed) {
      const entry = ledger.commit(ROUND, `round ${committed + 1}`);
      committed++;
      expect(entry.round).toBe(committed);
      expect(entry.epsilonAfter).toBeLessThanOrEqual(2);
      expect(ledger.epsilonSpent()).toBe(entry.epsilonAfter);
    }
    expect(committed).toBeGreaterThan(1);
    const before = ledger.state();
    const preview = ledger.preview(ROUND);
    expect(preview.refusal).toBe('BUDGET_EXHAUSTED');
    expect(preview.epsilonAfter).toBeGreaterThan(2);
    expect(code(() => ledger.commit(ROUND))).toBe('BUDGET_EXHAUSTED');
    expect(ledger.state()).toEqual(before);
    expect(ledger.state().rounds).toBe(committed);
  });

  it('keeps the spent RDP equal to the composition of what it committed', () => {
    const ledger = createLedger({ epsilonMax: 50, delta: 1e-5, noiseFloor: 0, orders: ORDERS });
    ledger.commit(ROUND);
    ledger.commit(ROUND);
    const expected = composeRdp(computeRdp({ ...ROUND, orders: ORDERS }), computeRdp({ ...ROUND, orders: ORDERS }));
    expect(ledger.state().spentRdp).toEqual(expected);
    expect(ledger.epsilonSpent()).toBe(rdpToEpsilon(ORDERS, expected, 1e-5).epsilon);
    expect(ledger.preview(ROUND).epsilonAfter).toBeGreaterThan(ledger.epsilonSpent());
    expect(ledger.state().spentRdp).toEqual(expected); // preview changed nothing
  });

  it('refuses a noise multiplier below the floor with POLICY_REFUSED, before looking at the budget', () => {
    const ledger = createLedger({ epsilonMax: 100, delta: 1e-5, noiseFloor: 1.0, orders: ORDERS });
    const weak: Mechanism = { ...ROUND, noiseMultiplier: 0.9 } as Mechanism;
    expect(ledger.preview(weak)).toMatchObject({ allowed: false, refusal: 'POLICY_REFUSED' });
    expect(code(() => ledger.commit(weak))).toBe('POLICY_REFUSED');
    const tiny = createLedger({ epsilonMax: 1e-3, delta: 1e-5, noiseFloor: 1.0, orders: ORDERS });
    expect(tiny.preview(weak).refusal).toBe('POLICY_REFUSED'); // both rules broken: the policy answers
    expect(ledger.state().rounds).toBe(0);
  });

  it('checks an RDP curve against the floor only through its stated noise multiplier', () => {
    const rdp = computeRdp({ ...ROUND, orders: ORDERS });
    const strict = createLedger({ epsilonMax: 100, delta: 1e-5, noiseFloor: 1.0, orders: ORDERS });
    expect(code(() => strict.commit({ kind: 'rdp', rdp }))).toBe('POLICY_REFUSED');
    expect(code(() => strict.commit({ kind: 'rdp', rdp, noiseMultiplier: 0.5 }))).toBe('POLICY_REFUSED');
    strict.commit({ kind: 'rdp', rdp, noiseMultiplier: 1.1 });
    const open = createLedger({ epsilonMax: 100, delta: 1e-5, noiseFloor: 0, orders: ORDERS });
    open.commit({ kind: 'rdp', rdp });
    expect(open.state().spentRdp).toEqual(strict.state().spentRdp);
    expect(code(() => open.commit({ kind: 'rdp', rdp: rdp.slice(1) }))).toBe('CONFIG_INVALID');
    expect(code(() => open.commit({ kind: 'rdp', rdp: rdp.map(() => -1) }))).toBe('CONFIG_INVALID');
    expect(code(() => open.commit({ kind: 'laplace' } as unknown as Mechanism))).toBe('CONFIG_INVALID');
  });

  it('accounts distributed discrete Gaussian rounds, with their central noise multiplier for the floor', () => {
    const ledger = createLedger({ epsilonMax: 10, delta: 1e-5, noiseFloor: 1, orders: ORDERS });
    ledger.commit(DDG);
    expect(ledger.epsilonSpent()).toBeGreaterThan(0);
    const thin: Mechanism = { kind: 'distributed-discrete-gaussian', params: { ...(DDG as { params: object }).params, perSiteVariance: 1e4 } } as Mechanism;
    expect(code(() => ledger.commit(thin))).toBe('POLICY_REFUSED');
  });

  it('survives a JSON round trip, ∞ included, and continues exactly as the original', () => {
    const ledger = createLedger({ epsilonMax: 1e6, delta: 1e-5, noiseFloor: 0, orders: ORDERS });
    ledger.commit(ROUND, 'r1');
    ledger.commit(DDG, 'r2');
    ledger.commit({ kind: 'rdp', rdp: ORDERS.map((_, k) => (k === ORDERS.length - 1 ? Infinity : 0.01)) });
    const text = JSON.stringify(ledger.toJSON());
    expect(text).toContain('"Infinity"');
    const restored = ledgerFromJSON(JSON.parse(text));
    expect(restored.state()).toEqual(ledger.state());
    expect(restored.epsilonSpent()).toBe(ledger.epsilonSpent());
    expect(restored.config).toEqual(ledger.config);
    expect(restored.commit(ROUND)).toEqual(ledger.commit(ROUND));
    expect(restored.state().history.map((e) => e.label)).toEqual(['r1', 'r2', undefined, undefined]);
  });

  it('applies a stricter policy on load', () => {
    const ledger = createLedger({ epsilonMax: 10, delta: 1e-5, noiseFloor: 0, orders: ORDERS });
    ledger.commit(ROUND);
    const stricter = ledgerFromJSON(roundTrip(ledger.toJSON()), { epsilonMax: ledger.epsilonSpent() / 2 });
    expect(code(() => stricter.commit({ ...ROUND, samplingRate: 0 } as Mechanism))).toBe('BUDGET_EXHAUSTED');
    expect(code(() => ledgerFromJSON(roundTrip(ledger.toJSON()), { epsilonMax: -1 }))).toBe('CONFIG_INVALID');
  });

  it('refuses damaged or tampered JSON with DATA_INVALID', () => {
    const ledger = createLedger({ epsilonMax: 10, delta: 1e-5, noiseFloor: 0, orders: ORDERS });
    ledger.commit(ROUND);
    ledger.commit(ROUND);
    const good = roundTrip(ledger.toJSON()) as Record<string, unknown>;
    const mutate = (fn: (j: Record<string, any>) => void): unknown => {
      const copy = structuredClone(good) as Record<string, any>;
      fn(copy);
      return copy;
    };
    const bad = [
      mutate((j) => { j.spentRdp = j.spentRdp.map((r: number) => r / 2); }), // less spent than the history implies
      mutate((j) => { j.spentRdp = j.spentRdp.slice(1); }),
      mutate((j) => { j.rounds = 5; }),
      mutate((j) => { j.version = 2; }),
      mutate((j) => { j.format = 'other'; }),
      mutate((j) => { j.extra = true; }),
      mutate((j) => { j.history[0].round = 2; }),
      mutate((j) => { j.history[0].mechanism.noiseMultiplier = -1; }),
      mutate((j) => { j.history[0].mechanism.kind = 'laplace'; }),
      mutate((j) => { j.history[1].mechanism.extra = 1; }),
      mutate((j) => { j.spentRdp[0] = 'NaN'; }),
      mutate((j) => { delete j.config; }),
      null,
      'ledger',
    ];
    for (const json of bad) expect(code(() => ledgerFromJSON(json))).toBe('DATA_INVALID');
    // More spent than the history implies is kept (never lowers the spend).
    const more = ledgerFromJSON(mutate((j) => { j.spentRdp = j.spentRdp.map((r: number) => r * 2); }));
    expect(more.epsilonSpent()).toBeGreaterThan(ledger.epsilonSpent());
  });

  it('refuses bad configuration', () => {
    for (const config of [
      { epsilonMax: 0, delta: 1e-5, noiseFloor: 0 },
      { epsilonMax: 1, delta: 1, noiseFloor: 0 },
      { epsilonMax: 1, delta: 1e-5, noiseFloor: -1 },
      { epsilonMax: 1, delta: 1e-5, noiseFloor: 0, orders: [1] },
      { epsilonMax: Number.NaN, delta: 1e-5, noiseFloor: 0 },
    ]) {
      expect(code(() => createLedger(config))).toBe('CONFIG_INVALID');
    }
    const ledger = createLedger({ epsilonMax: 1, delta: 1e-5, noiseFloor: 0 });
    expect(ledger.config.orders.length).toBe(156);
    expect(code(() => ledger.commit(ROUND, 'x'.repeat(201)))).toBe('CONFIG_INVALID');
  });
});
