import { describe, expect, it } from 'vitest';
import { isCohortError } from '@cohortfl/wire';
import type { AggregateOutcome, Strategy, StrategyOptions, TrainResultIn } from './types.js';

/** Mulberry32: a tiny seeded PRNG so cohort sampling in tests is reproducible. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function result(site: string, numExamples: number, update: number[], loss?: number): TrainResultIn {
  const out: TrainResultIn = { site, numExamples, update: Float32Array.from(update) };
  if (loss !== undefined) out.metrics = { loss };
  return out;
}

/** Narrows an outcome to its success branch, failing the test otherwise. */
export function expectOk(outcome: AggregateOutcome): Extract<AggregateOutcome, { ok: true }> {
  if (!outcome.ok) throw new Error(`expected ok, got ${outcome.code}: ${outcome.message}`);
  return outcome;
}

export interface ContractSubject {
  label: string;
  /** A fresh strategy with the given sampling options on top of its own parameters. */
  make: (options?: StrategyOptions) => Strategy;
  requiresIndividualUpdates: boolean;
}

const GLOBAL = [0.5, -1, 2];
const global = () => Float32Array.from(GLOBAL);
const round1 = () => [
  result('b', 3, [0.2, -0.4, 0.1], 2),
  result('a', 2, [0.1, 0.3, -0.2], 1),
  result('c', 5, [-0.3, 0.2, 0.4], 4),
];
const round2 = () => [
  result('a', 4, [0.05, -0.1, 0.3]),
  result('b', 1, [0.4, 0.2, -0.2]),
  result('c', 2, [-0.1, 0.1, 0.1]),
];

function aggregate(strategy: Strategy, results: TrainResultIn[], failures = [] as { site: string; reason: string }[]) {
  return strategy.aggregateTrain({ round: 1, global: global(), results, failures });
}

/** The shared suite every strategy must pass (one call per strategy). */
export function runStrategyContract(subject: ContractSubject): void {
  const { make } = subject;

  describe(`strategy contract: ${subject.label}`, () => {
    it('declares whether it needs individual updates', () => {
      expect(make().requiresIndividualUpdates).toBe(subject.requiresIndividualUpdates);
    });

    it('reports NO_RESULTS for an empty cohort', () => {
      const outcome = aggregate(make(), [], [{ site: 'a', reason: 'TIMEOUT' }]);
      expect(outcome).toMatchObject({ ok: false, code: 'NO_RESULTS', rejected: [] });
    });

    it('aggregates, moves the weights, never mutates global, and reports metrics', () => {
      const g = global();
      const outcome = expectOk(make().aggregateTrain({ round: 1, global: g, results: round1(), failures: [] }));
      expect(Array.from(g)).toEqual(Array.from(Float32Array.from(GLOBAL)));
      expect(outcome.weights).not.toBe(g);
      expect(outcome.weights).toBeInstanceOf(Float32Array);
      expect(outcome.weights.length).toBe(GLOBAL.length);
      expect(Array.from(outcome.weights)).not.toEqual(Array.from(g));
      expect(outcome.rejected).toEqual([]);
      expect(outcome.metrics).toMatchObject({ sites: 3, n: 10, failures: 0, rejected: 0 });
      expect(outcome.metrics.loss).toBeCloseTo((3 * 2 + 2 * 1 + 5 * 4) / 10, 12);
    });

    it('passes failed sites through and aggregates the rest', () => {
      const failures = [{ site: 'd', reason: 'TIMEOUT' }, { site: 'e', reason: 'DROPPED' }];
      const outcome = expectOk(aggregate(make(), round1(), failures));
      expect(outcome.metrics.failures).toBe(2);
      expect(outcome.metrics.sites).toBe(3);
      expect(outcome.weights).toEqual(expectOk(aggregate(make(), round1())).weights);
    });

    const badCases: [string, TrainResultIn, string][] = [
      ['a too-short update', result('x', 4, [1, 2]), 'SHAPE_MISMATCH'],
      ['a too-long update', result('x', 4, [1, 2, 3, 4]), 'SHAPE_MISMATCH'],
      ['a NaN value', result('x', 4, [1, Number.NaN, 3]), 'NON_FINITE'],
      ['an Infinity value', result('x', 4, [1, 2, Number.POSITIVE_INFINITY]), 'NON_FINITE'],
      ['zero examples', result('x', 0, [1, 2, 3]), 'BAD_WEIGHT'],
      ['negative examples', result('x', -2, [1, 2, 3]), 'BAD_WEIGHT'],
      ['fractional examples', result('x', 1.5, [1, 2, 3]), 'BAD_WEIGHT'],
      ['NaN examples', result('x', Number.NaN, [1, 2, 3]), 'BAD_WEIGHT'],
      ['a second result from one site', result('a', 4, [9, 9, 9]), 'DUPLICATE_SITE'],
    ];
    for (const [label, bad, reason] of badCases) {
      it(`rejects ${label} (${reason}) while the others aggregate as if it were absent`, () => {
        const outcome = expectOk(aggregate(make(), [...round1(), bad]));
        expect(outcome.rejected).toHaveLength(1);
        expect(outcome.rejected[0]).toMatchObject({ site: bad.site, reason });
        expect(outcome.metrics).toMatchObject({ sites: 3, rejected: 1 });
        expect(outcome.weights).toEqual(expectOk(aggregate(make(), round1())).weights);
      });
    }

    it('reports ALL_REJECTED, listing every rejection, when nothing is usable', () => {
      const outcome = aggregate(make(), [result('a', 1, [1]), result('b', 1, [1, Number.NaN, 1]), result('c', 0, [1, 1, 1])]);
      expect(outcome.ok).toBe(false);
      if (outcome.ok) return;
      expect(outcome.code).toBe('ALL_REJECTED');
      expect(outcome.rejected.map((r) => [r.site, r.reason])).toEqual([
        ['a', 'SHAPE_MISMATCH'],
        ['b', 'NON_FINITE'],
        ['c', 'BAD_WEIGHT'],
      ]);
    });

    it('is deterministic, whatever order results arrive in', () => {
      const first = expectOk(aggregate(make(), round1()));
      const again = expectOk(aggregate(make(), round1()));
      const reversed = expectOk(aggregate(make(), round1().reverse()));
      expect(again.weights).toEqual(first.weights);
      expect(reversed.weights).toEqual(first.weights);
      expect(reversed.metrics).toEqual(first.metrics);
    });

    it('resumes exactly from JSON-serialized state()', () => {
      const original = make();
      const w1 = expectOk(aggregate(original, round1())).weights;
      const saved = JSON.parse(JSON.stringify(original.state())) as Record<string, unknown>;
      const resumed = make();
      resumed.restore(saved);
      const next = (s: Strategy) =>
        expectOk(s.aggregateTrain({ round: 2, global: w1, results: round2(), failures: [] })).weights;
      expect(next(resumed)).toEqual(next(original));
      expect(JSON.stringify(resumed.state())).toEqual(JSON.stringify(original.state()));
      if (Object.keys(saved).length > 1) {
        // Stateful: a fresh instance must differ, or this test would prove nothing.
        expect(next(make())).not.toEqual(next(resumed));
      }
    });

    it('refuses state saved by another strategy', () => {
      const strategy = make();
      const foreign = { ...strategy.state(), name: 'not-a-strategy' };
      expect(() => strategy.restore(foreign)).toThrow(expect.objectContaining({ code: 'DATA_INVALID' }));
    });

    const sites = Array.from({ length: 10 }, (_, i) => `site-${i}`);
    it('samples max(minSites, ceil(fractionFit × n)) distinct available sites', () => {
      const plan = make({ fractionFit: 0.3, minSites: 2 }).configureTrain({ round: 1, available: sites, random: seededRandom(1) });
      expect(plan.sites).toHaveLength(3);
      expect(new Set(plan.sites).size).toBe(3);
      expect(plan.sites.every((s) => sites.includes(s))).toBe(true);
      const floor = make({ fractionFit: 0.1, minSites: 2 }).configureTrain({ round: 1, available: sites, random: seededRandom(1) });
      expect(floor.sites).toHaveLength(2);
      const all = make().configureTrain({ round: 1, available: sites, random: seededRandom(1) });
      expect(all.sites).toEqual([...sites].sort());
    });

    it('returns an empty cohort when fewer than minSites are available', () => {
      const plan = make({ minSites: 4 }).configureTrain({ round: 1, available: ['a', 'b', 'c'], random: seededRandom(1) });
      expect(plan.sites).toEqual([]);
    });

    it('samples the same cohort for the same seed, independent of input order', () => {
      const s = make({ fractionFit: 0.4 });
      const pick = (available: string[], seed: number) => s.configureTrain({ round: 1, available, random: seededRandom(seed) }).sites;
      expect(pick([...sites].reverse(), 7)).toEqual(pick(sites, 7));
      const cohorts = new Set([1, 2, 3, 4, 5, 6].map((seed) => pick(sites, seed).join(',')));
      expect(cohorts.size).toBeGreaterThan(1);
    });

    it('evaluates on all available sites by default', () => {
      const plan = make().configureEvaluate({ round: 1, available: ['b', 'a', 'c'], random: seededRandom(1) });
      expect(plan.sites).toEqual(['a', 'b', 'c']);
    });

    it('averages evaluation metrics by examples, skipping NaN', () => {
      const metrics = make().aggregateEvaluate({
        round: 1,
        results: [
          { site: 'a', numExamples: 1, metrics: { auc: 0.5, loss: Number.NaN } },
          { site: 'b', numExamples: 3, metrics: { auc: 0.9, loss: 2 } },
        ],
        failures: [{ site: 'c', reason: 'TIMEOUT' }],
      });
      expect(metrics.auc).toBeCloseTo(0.8, 12);
      expect(metrics.loss).toBe(2);
      expect(metrics.n).toBe(4);
      expect(metrics.failures).toBe(1);
    });

    it('throws CONFIG_INVALID for a random source outside [0, 1)', () => {
      const s = make({ fractionFit: 0.5 });
      for (const bad of [1, -0.1, Number.NaN]) {
        let caught: unknown;
        try {
          s.configureTrain({ round: 1, available: sites, random: () => bad });
        } catch (e) {
          caught = e;
        }
        expect(isCohortError(caught, 'CONFIG_INVALID')).toBe(true);
      }
    });
  });
}
