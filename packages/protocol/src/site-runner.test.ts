import { describe, expect, it } from 'vitest';
import { hashWeights, type RoundStart, type UpdateSubmit } from '@cohortfl/wire';
import { SiteRunner, type SiteWork } from './site-runner.js';
import type { SitePolicy } from './site-policy.js';

const TASK = 'c'.repeat(64);
// The fixture's validation split is 5 records: its small-cell rule is set to 1 (see safe-evaluation.test.ts for the rule).
const policy: SitePolicy = { acceptTasks: true, approvedTaskHashes: [TASK], minCohortSize: 2, minCellSize: 1 };

function start(over: Partial<RoundStart> = {}): RoundStart {
  return { type: 'round/start', taskHash: TASK, round: 1, attempt: 1, phase: 'train', cohort: ['a', 'b'], config: {}, weights: new Float32Array([0, 0]), ...over };
}

function work(log: string[] = []): SiteWork {
  return {
    load: async () => void log.push('load'),
    train: async (s) => (log.push('train'), { update: new Float32Array(s.weights.length).fill(1), numExamples: 10, metrics: { loss: 0.5 } }),
    evaluate: async () => (log.push('evaluate'), { numExamples: 5, metrics: { auc: 0.7 } }),
  };
}

describe('SiteRunner', () => {
  it('loads once, trains, and applies transforms in the order privatize → mask → sign', async () => {
    const log: string[] = [];
    const tag = (name: string) => (u: UpdateSubmit) => (log.push(name), { ...u, metrics: { ...u.metrics, [name]: 1 } });
    const runner = new SiteRunner({ site: 'a', policy, work: work(log), transforms: { sign: [tag('sign')], mask: [tag('mask')], privatize: [tag('privatize')] } });
    const out = await runner.handle(start());
    expect(out.type).toBe('update/submit');
    expect(log).toEqual(['load', 'train', 'privatize', 'mask', 'sign']);
    const ev = await runner.handle(start({ phase: 'evaluate', config: { modelHash: hashWeights(new Float32Array([0, 0])) } }));
    expect(ev).toMatchObject({ type: 'eval/result', site: 'a', numExamples: 5, metrics: { auc: 0.7 } });
    expect(log.filter((l) => l === 'load')).toHaveLength(1);
  });

  it('refuses unapproved tasks, small cohorts and a paused site before touching data', async () => {
    const log: string[] = [];
    const runner = new SiteRunner({ site: 'a', policy, work: work(log) });
    expect(await runner.handle(start({ taskHash: 'd'.repeat(64) }))).toMatchObject({ type: 'round/refuse', error: { code: 'POLICY_REFUSED' } });
    expect(await runner.handle(start({ cohort: ['a'] }))).toMatchObject({ error: { code: 'POLICY_REFUSED', message: expect.stringContaining('minimum of 2') } });
    const paused = new SiteRunner({ site: 'a', policy: { ...policy, acceptTasks: false }, work: work(log) });
    expect(await paused.handle(start())).toMatchObject({ error: { code: 'POLICY_REFUSED' } });
    expect(log).toEqual([]);
  });

  it('refuses an older round than one already seen, and non-finite global weights', async () => {
    const runner = new SiteRunner({ site: 'a', policy, work: work() });
    await runner.handle(start({ round: 3, attempt: 2 }));
    expect(await runner.handle(start({ round: 3, attempt: 1 }))).toMatchObject({ error: { code: 'REPLAYED' } });
    expect(await runner.handle(start({ round: 4, weights: new Float32Array([0, Number.NaN]) }))).toMatchObject({ error: { code: 'MESSAGE_INVALID' } });
  });

  it('turns a failure in local work into a refusal carrying only code and message', async () => {
    const broken: SiteWork = { ...work(), train: async () => { throw new Error('/secret/path exploded'); } };
    const runner = new SiteRunner({ site: 'a', policy, work: broken });
    const out = await runner.handle(start());
    expect(out).toMatchObject({ type: 'round/refuse', error: { code: 'INTERNAL' } });
    expect(JSON.stringify(out)).not.toContain('/secret/path');
  });

  it('refuses an update whose length differs from the global model', async () => {
    const bad: SiteWork = { ...work(), train: async () => ({ update: new Float32Array(3), numExamples: 1, metrics: {} }) };
    const out = await new SiteRunner({ site: 'a', policy, work: bad }).handle(start());
    expect(out).toMatchObject({ error: { code: 'SHAPE_MISMATCH' } });
  });
});
