import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { OTHER_HASH, TASK_HASH, completeRound, expectCohortError, roundInput, storeWithRun, tempDir } from './fixtures.test-suite.js';
import type { RunRow, Store } from './types.js';

describe('runs', () => {
  let tmp: ReturnType<typeof tempDir>;
  let store: Store;
  let run: RunRow;
  beforeEach(() => {
    tmp = tempDir();
    ({ store, run } = storeWithRun(tmp.path, 3));
  });
  afterEach(() => {
    store.close();
    tmp.cleanup();
  });

  it('creates a running run with its config', () => {
    expect(run).toEqual({
      id: 1,
      taskHash: TASK_HASH,
      rounds: 3,
      config: { minSites: 2, seed: 7 },
      status: 'running',
      createdAt: 3000,
      updatedAt: 3000,
      message: null,
    });
    expect(store.activeRun()).toEqual(run);
    expect(store.getRun(run.id)).toEqual(run);
    expect(store.getRun(99)).toBeUndefined();
  });

  it('refuses a second run while one is running, naming it', () => {
    expectCohortError(() => store.createRun({ taskHash: TASK_HASH, rounds: 2, config: {}, at: 4000 }), 'ROUND_FAILED', /run 1 .* is still running/);
    expect(store.listRuns()).toHaveLength(1);
  });

  it('enforces one running run in the schema too', () => {
    const raw = new Database(tmp.path);
    try {
      const insert = raw.prepare("INSERT INTO runs (task_hash, rounds, config_json, status, created_at, updated_at) VALUES (?, 1, '{}', 'running', 1, 1)");
      expect(() => insert.run(TASK_HASH)).toThrow(/UNIQUE/);
    } finally {
      raw.close();
    }
  });

  it('drops undefined config entries, which JSON would drop on reading anyway', () => {
    store.finishRun(run.id, { status: 'completed', at: 5000 });
    const next = store.createRun({ taskHash: TASK_HASH, rounds: 1, config: { mu: 0.1, epsilon: undefined, nested: { a: [1, 'x', null, true] } }, at: 6000 });
    expect(next.config).toEqual({ mu: 0.1, nested: { a: [1, 'x', null, true] } });
    expect(Object.keys(store.getRun(next.id)!.config)).toEqual(['mu', 'nested']);
  });

  it('finishes a run, then allows the next one', () => {
    const done = store.finishRun(run.id, { status: 'completed', at: 5000, message: 'all rounds stored' });
    expect(done).toMatchObject({ status: 'completed', updatedAt: 5000, createdAt: 3000, message: 'all rounds stored' });
    expect(store.activeRun()).toBeUndefined();
    const next = store.createRun({ taskHash: TASK_HASH, rounds: 1, config: {}, at: 6000 });
    expect(next.id).toBe(2);
    expect(store.listRuns().map((r) => [r.id, r.status])).toEqual([[1, 'completed'], [2, 'running']]);
  });

  it('finishing the same way twice changes nothing; the other way is refused', () => {
    const aborted = store.finishRun(run.id, { status: 'aborted', at: 5000, message: 'operator stop' });
    expect(store.finishRun(run.id, { status: 'aborted', at: 6000 })).toEqual(aborted);
    expectCohortError(() => store.finishRun(run.id, { status: 'completed', at: 7000 }), 'ROUND_FAILED', /already aborted/);
    expectCohortError(() => store.finishRun(42, { status: 'completed', at: 7000 }), 'NOT_FOUND');
    expectCohortError(() => store.finishRun(run.id, { status: 'running' as 'completed', at: 7000 }), 'DATA_INVALID');
  });

  it('refuses runs of unpublished tasks, bad round counts and configs JSON would alter', () => {
    store.finishRun(run.id, { status: 'completed', at: 5000 });
    expectCohortError(() => store.createRun({ taskHash: OTHER_HASH, rounds: 1, config: {}, at: 1 }), 'NOT_FOUND', /not published/);
    expectCohortError(() => store.createRun({ taskHash: TASK_HASH, rounds: 0, config: {}, at: 1 }), 'DATA_INVALID', /rounds/);
    expectCohortError(() => store.createRun({ taskHash: TASK_HASH, rounds: 1, config: { w: new Float32Array(2) }, at: 1 }), 'DATA_INVALID', /Float32Array/);
    expectCohortError(() => store.createRun({ taskHash: TASK_HASH, rounds: 1, config: { mu: Number.NaN }, at: 1 }), 'DATA_INVALID', /NaN/);
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    expectCohortError(() => store.createRun({ taskHash: TASK_HASH, rounds: 1, config: cyclic, at: 1 }), 'DATA_INVALID', /contains itself/);
    expect(store.listRuns()).toHaveLength(1);
  });
});

describe('attempts', () => {
  let tmp: ReturnType<typeof tempDir>;
  let store: Store;
  let run: RunRow;
  beforeEach(() => {
    tmp = tempDir();
    ({ store, run } = storeWithRun(tmp.path, 3));
  });
  afterEach(() => {
    store.close();
    tmp.cleanup();
  });

  it('numbers attempts after failures, and after an attempt a crash interrupted', () => {
    expect(store.nextAttempt(run.id, 1)).toBe(1);
    store.startAttempt({ runId: run.id, round: 1, attempt: 1, at: 100 });
    const failed = store.failAttempt({ runId: run.id, round: 1, attempt: 1, code: 'TOO_FEW_RESULTS', message: '1 of 3 sites answered', at: 150 });
    expect(failed).toEqual({ runId: run.id, round: 1, attempt: 1, status: 'failed', code: 'TOO_FEW_RESULTS', message: '1 of 3 sites answered', startedAt: 100, finishedAt: 150 });
    expect(store.nextAttempt(run.id, 1)).toBe(2);
    store.startAttempt({ runId: run.id, round: 1, attempt: 2, at: 200 }); // then the process dies
    expect(store.nextAttempt(run.id, 1)).toBe(3);
    expect(store.nextAttempt(run.id, 2)).toBe(1);
    expect(store.listAttempts(run.id).map((a) => [a.attempt, a.status])).toEqual([[1, 'failed'], [2, 'started']]);
  });

  it('never reuses an attempt number', () => {
    store.startAttempt({ runId: run.id, round: 1, attempt: 1, at: 100 });
    store.failAttempt({ runId: run.id, round: 1, attempt: 1, code: 'X', message: 'm', at: 110 });
    expectCohortError(() => store.startAttempt({ runId: run.id, round: 1, attempt: 1, at: 120 }), 'ROUND_FAILED', /already started; the next attempt is 2/);
    store.startAttempt({ runId: run.id, round: 1, attempt: 5, at: 130 });
    expectCohortError(() => store.startAttempt({ runId: run.id, round: 1, attempt: 4, at: 140 }), 'ROUND_FAILED', /next attempt is 6/);
  });

  it('fails only a started attempt', () => {
    const fail = (attempt: number) => () => store.failAttempt({ runId: run.id, round: 1, attempt, code: 'X', message: 'm', at: 1 });
    expectCohortError(fail(1), 'NOT_FOUND', /never started/);
    store.startAttempt({ runId: run.id, round: 1, attempt: 1, at: 100 });
    fail(1)();
    expectCohortError(fail(1), 'ROUND_FAILED', /already failed/);
    expectCohortError(() => store.failAttempt({ runId: run.id, round: 1, attempt: 2, code: '', message: 'm', at: 1 }), 'DATA_INVALID', /failure code/);
  });

  it('starts only the next round of a running run', () => {
    expectCohortError(() => store.startAttempt({ runId: run.id, round: 2, attempt: 1, at: 1 }), 'ROUND_FAILED', /cannot come before round 1/);
    expectCohortError(() => store.startAttempt({ runId: run.id, round: 4, attempt: 1, at: 1 }), 'ROUND_FAILED', /has 3 rounds/);
    expectCohortError(() => store.startAttempt({ runId: 9, round: 1, attempt: 1, at: 1 }), 'NOT_FOUND');
    expectCohortError(() => store.nextAttempt(9, 1), 'NOT_FOUND');
    completeRound(store, run.id, 1);
    expectCohortError(() => store.startAttempt({ runId: run.id, round: 1, attempt: 2, at: 1 }), 'ROUND_FAILED', /already stored/);
    store.finishRun(run.id, { status: 'aborted', at: 2 });
    expectCohortError(() => store.startAttempt({ runId: run.id, round: 2, attempt: 1, at: 3 }), 'ROUND_FAILED', /run 1 is aborted/);
  });

  it('completes the attempt a round is saved under, and only a started one', () => {
    expectCohortError(() => store.saveRound(roundInput(run.id, 1, 1)), 'ROUND_FAILED', /never started/);
    store.startAttempt({ runId: run.id, round: 1, attempt: 1, at: 100 });
    store.failAttempt({ runId: run.id, round: 1, attempt: 1, code: 'X', message: 'm', at: 110 });
    expectCohortError(() => store.saveRound(roundInput(run.id, 1, 1)), 'ROUND_FAILED', /is failed/);
    store.startAttempt({ runId: run.id, round: 1, attempt: 2, at: 120 });
    store.saveRound(roundInput(run.id, 1, 2));
    expect(store.listAttempts(run.id).map((a) => [a.attempt, a.status, a.finishedAt])).toEqual([
      [1, 'failed', 110],
      [2, 'completed', roundInput(run.id, 1).finishedAt],
    ]);
  });
});
