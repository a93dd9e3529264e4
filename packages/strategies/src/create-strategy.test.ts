import { describe, expect, it } from 'vitest';
import { CohortError } from '@cohortfl/wire';
import { expectOk, result } from './contract.test-suite.js';
import { createStrategy, parseStrategySpec } from './create-strategy.js';
import { STRATEGY_NAMES } from './strategy-spec.js';
import type { StrategySpec } from './strategy-spec.js';

function taskError(spec: unknown): CohortError {
  try {
    createStrategy(spec as StrategySpec);
  } catch (e) {
    if (e instanceof CohortError) return e;
    throw e;
  }
  throw new Error(`expected ${JSON.stringify(spec)} to be refused`);
}

describe('createStrategy', () => {
  it('builds every named strategy, with that name', () => {
    const params: Record<string, Record<string, number>> = { fedprox: { proxMu: 0.1 }, trimmedmean: { beta: 0.1 }, qfedavg: { q: 1 } };
    for (const name of STRATEGY_NAMES) {
      const spec = { name, ...params[name] } as StrategySpec;
      expect(createStrategy(spec).name).toBe(name);
    }
  });

  it('passes parameters through (a spec survives a JSON round trip)', () => {
    const spec: StrategySpec = { name: 'fedprox', proxMu: 0.25, fractionFit: 0.5 };
    const built = createStrategy(JSON.parse(JSON.stringify(spec)) as StrategySpec);
    const plan = built.configureTrain({ round: 1, available: ['a', 'b', 'c', 'd'], random: () => 0 });
    expect(plan).toEqual({ sites: ['a', 'b'], config: { proxMu: 0.25 } });
    const adam = createStrategy({ name: 'fedadam', serverLearningRate: 1, beta1: 0, beta2: 0, tau: 1 });
    // β1 = β2 = 0: m = Δ, v = Δ², step = Δ / (|Δ| + 1) = 2 / 3.
    const w = expectOk(adam.aggregateTrain({ round: 1, global: new Float32Array(1), results: [result('a', 1, [2])], failures: [] }));
    expect(w.weights[0]).toBeCloseTo(2 / 3, 6);
  });

  it('refuses an unknown name, listing the valid ones', () => {
    const e = taskError({ name: 'fedsgd' });
    expect(e.code).toBe('TASK_INVALID');
    for (const name of STRATEGY_NAMES) expect(e.message).toContain(name);
    expect(taskError({}).code).toBe('TASK_INVALID');
    expect(taskError(null).code).toBe('TASK_INVALID');
    expect(taskError(['fedavg']).code).toBe('TASK_INVALID');
  });

  it('refuses out-of-range parameters, naming the range', () => {
    const beta = taskError({ name: 'trimmedmean', beta: 0.6 });
    expect(beta.code).toBe('TASK_INVALID');
    expect(beta.message).toContain('beta must be a number in [0, 0.5), got 0.6');
    const eta = taskError({ name: 'fedadam', serverLearningRate: -0.01 });
    expect(eta.message).toContain('serverLearningRate must be a number > 0');
    expect(taskError({ name: 'fedyogi', beta2: 1 }).message).toContain('beta2');
    expect(taskError({ name: 'fedprox' }).message).toContain('proxMu');
    expect(taskError({ name: 'fedavg', minSites: 0 }).message).toContain('minSites');
  });

  it('refuses unknown or misspelled parameters and non-numeric values', () => {
    expect(taskError({ name: 'trimmedmean', betta: 0.1 }).message).toContain("unknown parameter 'betta'");
    expect(taskError({ name: 'fedadagrad', beta2: 0.9 }).message).toContain("unknown parameter 'beta2'");
    expect(taskError({ name: 'fedavg', proxMu: 0.1 }).message).toContain("unknown parameter 'proxMu'");
    expect(taskError({ name: 'fedprox', proxMu: '0.1' }).message).toContain('proxMu must be a number');
  });
});

describe('parseStrategySpec', () => {
  it('returns a copy of a valid spec and refuses an invalid one', () => {
    const input = { name: 'fedmedian', minSites: 3 };
    const parsed = parseStrategySpec(input);
    expect(parsed).toEqual(input);
    expect(parsed).not.toBe(input);
    expect(() => parseStrategySpec({ name: 'trimmedmean', beta: 0.5 })).toThrow(expect.objectContaining({ code: 'TASK_INVALID' }));
  });
});
