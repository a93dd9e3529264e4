import { describe, expect, it } from 'vitest';
import { createFedAvg } from '@cohortfl/strategies';
import type { RoundStart, SiteMessage } from '@cohortfl/wire';
import { CoordinatorRun } from './coordinator-run.js';
import type { CoordinatorAction } from './actions.js';

const TASK = 'a'.repeat(64);

function makeRun(overrides: Partial<ConstructorParameters<typeof CoordinatorRun>[0]> = {}) {
  return new CoordinatorRun({
    taskHash: TASK,
    strategy: createFedAvg(),
    initialWeights: new Float32Array([0, 0]),
    rounds: 2,
    minSites: 2,
    seed: 7,
    timeoutMs: { train: 1000, evaluate: 500 },
    ...overrides,
  });
}

/** The round/starts among the actions (these plaintext runs send nothing else). */
const sends = (actions: CoordinatorAction[]) =>
  actions.flatMap((a) => (a.kind === 'send' && a.message.type === 'round/start' ? [{ to: a.to, message: a.message as RoundStart }] : []));

function update(start: RoundStart, site: string, delta: number[], n: number): SiteMessage {
  return { type: 'update/submit', taskHash: TASK, round: start.round, attempt: start.attempt, site, update: new Float32Array(delta), numExamples: n, metrics: { loss: n } };
}
function evalResult(start: RoundStart, site: string, auc: number, n: number): SiteMessage {
  return { type: 'eval/result', taskHash: TASK, round: start.round, attempt: start.attempt, site, numExamples: n, metrics: { auc } };
}

describe('CoordinatorRun', () => {
  it('runs a round: train, aggregate by sample weight, evaluate, record', () => {
    const run = makeRun();
    const started = run.startRound(0, ['c', 'a', 'b']);
    const starts = sends(started);
    expect(starts.map((s) => s.to)).toEqual(['a', 'b', 'c']);
    expect(started.find((a) => a.kind === 'timer')).toEqual({ kind: 'timer', at: 1000 });
    const s = starts[0]!.message;
    expect(run.receive(1, 'a', update(s, 'a', [1, 1], 1))).toEqual([]);
    expect(run.receive(2, 'b', update(s, 'b', [5, -3], 3))).toEqual([]);
    const evalStart = run.receive(3, 'c', update(s, 'c', [0, 0], 0));
    // c's zero-weight update is rejected by the strategy; the others aggregate.
    const evalSends = sends(evalStart);
    expect(evalSends).toHaveLength(3);
    expect(Array.from(evalSends[0]!.message.weights)).toEqual([4, -2]);
    expect(evalSends[0]!.message.phase).toBe('evaluate');
    const e = evalSends[0]!.message;
    run.receive(4, 'a', evalResult(e, 'a', 0.6, 10));
    run.receive(5, 'b', evalResult(e, 'b', 0.8, 30));
    const done = run.receive(6, 'c', evalResult(e, 'c', 0.7, 0));
    const complete = done.find((a) => a.kind === 'round-complete');
    expect(complete?.kind).toBe('round-complete');
    if (complete?.kind !== 'round-complete') throw new Error('unreachable');
    expect(complete.record.trained).toEqual(['a', 'b']);
    expect(complete.record.failures.map((f) => [f.site, f.reason])).toEqual([['c', 'BAD_WEIGHT']]);
    expect(complete.record.evalMetrics.auc).toBeCloseTo(0.75, 10);
    expect(complete.record.perSite.map((p) => p.site)).toEqual(['a', 'b', 'c']);
    expect(run.status.round).toBe(2);
  });

  it('closes a phase at its deadline with the sites that answered', () => {
    const run = makeRun();
    const s = sends(run.startRound(0, ['a', 'b', 'c']))[0]!.message;
    run.receive(1, 'a', update(s, 'a', [1, 0], 1));
    run.receive(1, 'b', update(s, 'b', [3, 0], 1));
    expect(run.tick(999)).toEqual([]);
    const after = run.tick(1000);
    expect(after[0]).toMatchObject({ kind: 'phase-started', phase: 'evaluate' });
    expect(Array.from(sends(after)[0]!.message.weights)).toEqual([2, 0]);
  });

  it('fails an attempt with too few results, then refuses its late messages as replays', () => {
    const run = makeRun();
    const s = sends(run.startRound(0, ['a', 'b']))[0]!.message;
    run.receive(1, 'a', update(s, 'a', [1, 0], 1));
    const failed = run.tick(1000);
    expect(failed).toEqual([expect.objectContaining({ kind: 'round-failed', round: 1, attempt: 1, code: 'TOO_FEW_RESULTS' })]);
    expect(Array.from(run.globalWeights)).toEqual([0, 0]);
    const retry = sends(run.startRound(2000, ['a', 'b']))[0]!.message;
    expect(retry.attempt).toBe(2);
    const late = run.receive(2001, 'b', update(s, 'b', [9, 9], 1));
    expect(late).toEqual([expect.objectContaining({ kind: 'rejected', reason: 'REPLAYED' })]);
  });

  it('refuses wrong task, impersonation, duplicates, outsiders and wrong-phase messages', () => {
    const run = makeRun({ minSites: 1 });
    const s = sends(run.startRound(0, ['a', 'b']))[0]!.message;
    const reasons = (actions: CoordinatorAction[]) => actions.map((a) => (a.kind === 'rejected' ? a.reason : a.kind));
    expect(reasons(run.receive(1, 'a', { ...update(s, 'a', [1, 0], 1), taskHash: 'b'.repeat(64) }))).toEqual(['WRONG_TASK']);
    expect(reasons(run.receive(1, 'a', update(s, 'b', [1, 0], 1)))).toEqual(['SITE_MISMATCH']);
    expect(reasons(run.receive(1, 'x', update(s, 'x', [1, 0], 1)))).toEqual(['NOT_IN_COHORT']);
    expect(reasons(run.receive(1, 'a', evalResult(s, 'a', 0.5, 1)))).toEqual(['WRONG_PHASE']);
    expect(run.receive(1, 'a', update(s, 'a', [1, 0], 1))).toEqual([]);
    expect(reasons(run.receive(1, 'a', update(s, 'a', [1, 0], 1)))).toEqual(['DUPLICATE']);
  });

  it('counts a refusal and a lost connection as failures, and fails when too few remain', () => {
    const run = makeRun();
    const s = sends(run.startRound(0, ['a', 'b', 'c']))[0]!.message;
    run.receive(1, 'a', { type: 'round/refuse', taskHash: TASK, round: 1, attempt: 1, site: 'a', phase: 'train', error: { code: 'POLICY_REFUSED', message: 'no' } });
    run.receive(2, 'b', update(s, 'b', [1, 0], 1));
    const out = run.siteLost(3, 'c');
    expect(out).toEqual([expect.objectContaining({ kind: 'round-failed', code: 'TOO_FEW_RESULTS' })]);
  });

  it('fails without burning the model when fewer sites than the minimum are available', () => {
    const run = makeRun({ minSites: 3 });
    expect(run.startRound(0, ['a', 'b'])).toEqual([expect.objectContaining({ kind: 'round-failed', code: 'NOT_ENOUGH_SITES' })]);
    expect(run.status.phase).toBe('idle');
  });

  it('completes the run after the last round and resumes from a given round', () => {
    const run = makeRun({ rounds: 1, minSites: 1, completedRounds: 0 });
    const s = sends(run.startRound(0, ['a']))[0]!.message;
    const e = sends(run.receive(1, 'a', update(s, 'a', [1, 2], 4)))[0]!.message;
    const out = run.receive(2, 'a', evalResult(e, 'a', 0.9, 4));
    expect(out.map((a) => a.kind)).toEqual(['round-complete', 'run-complete']);
    expect(run.finished).toBe(true);
    expect(() => run.startRound(3, ['a'])).toThrow(/already complete/);
    const resumed = makeRun({ rounds: 3, completedRounds: 2, firstAttempt: 4 });
    const r = sends(resumed.startRound(0, ['a', 'b']))[0]!.message;
    expect([r.round, r.attempt]).toEqual([3, 4]);
  });

  it('never trains on a held-out site but evaluates it', () => {
    const run = makeRun({ minSites: 1, holdOut: ['c'] });
    const s = sends(run.startRound(0, ['a', 'b', 'c']));
    expect(s.map((x) => x.to)).toEqual(['a', 'b']);
    const start = s[0]!.message;
    run.receive(1, 'a', update(start, 'a', [1, 0], 1));
    const evals = sends(run.receive(2, 'b', update(start, 'b', [1, 0], 1)));
    expect(evals.map((x) => x.to)).toEqual(['a', 'b', 'c']);
  });

  it('validates its options', () => {
    expect(() => makeRun({ rounds: 0 })).toThrow(/rounds/);
    expect(() => makeRun({ minSites: 0 })).toThrow(/minSites/);
  });
});
