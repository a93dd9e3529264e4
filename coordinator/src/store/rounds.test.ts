import Database from 'better-sqlite3';
import { hashWeights } from '@cohortfl/wire';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SITES, completeRound, expectCohortError, roundInput, seededWeights, storeWithRun, tempDir } from './fixtures.test-suite.js';
import type { RunRow, SaveRoundInput, Store } from './types.js';

describe('saveRound', () => {
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

  /** A second connection to the same file, as an operator (or an attacker) with sqlite3 would have. */
  function withRaw(fn: (raw: Database.Database) => void): void {
    const raw = new Database(tmp.path);
    try {
      fn(raw);
    } finally {
      raw.close();
    }
  }

  it('stores a round and reads it back parsed', () => {
    const input = roundInput(run.id, 1);
    store.startAttempt({ runId: run.id, round: 1, attempt: 1, at: input.startedAt });
    const saved = store.saveRound(input);
    expect(saved).toEqual({
      runId: run.id,
      round: 1,
      attempt: 1,
      cohort: SITES,
      trained: ['site-a', 'site-b'],
      failures: [{ site: 'site-c', reason: 'TIMEOUT', message: 'no train result before the deadline' }],
      trainMetrics: { loss: 0.5 },
      evalMetrics: { auc: 0.71 },
      weightsSha256: hashWeights(input.weights),
      startedAt: 10_000,
      finishedAt: 10_500,
    });
    expect(store.completedRounds(run.id)).toEqual([saved]);
    expect(store.completedRounds(99)).toEqual([]);
  });

  it('records participants by role and per-site metrics', () => {
    completeRound(store, run.id, 1);
    expect(store.participants(run.id, 1).map((p) => [p.role, p.site, p.reason, p.numExamples])).toEqual([
      ['evaluated', 'site-a', null, 120],
      ['evaluated', 'site-b', null, 80],
      ['failed', 'site-c', 'TIMEOUT', null],
      ['trained', 'site-a', null, null],
      ['trained', 'site-b', null, null],
    ]);
    expect(store.siteMetrics(run.id, 1)).toEqual([
      { runId: run.id, round: 1, site: 'site-a', name: 'auc', value: 0.71 },
      { runId: run.id, round: 1, site: 'site-a', name: 'loss', value: 0.4 },
      { runId: run.id, round: 1, site: 'site-b', name: 'auc', value: 0.69 },
      { runId: run.id, round: 1, site: 'site-b', name: 'loss', value: 0.45 },
    ]);
    completeRound(store, run.id, 2);
    expect(store.siteMetrics(run.id).map((m) => m.round)).toEqual([1, 1, 1, 1, 2, 2, 2, 2]);
    expect(store.siteMetrics(run.id, 3)).toEqual([]);
  });

  it('keeps NaN and infinite metrics as such', () => {
    store.startAttempt({ runId: run.id, round: 1, attempt: 1, at: 1 });
    const odd = { auc: Number.NaN, ratio: Number.POSITIVE_INFINITY, gap: Number.NEGATIVE_INFINITY, loss: 0.25 };
    const saved = store.saveRound(roundInput(run.id, 1, 1, {
      trainMetrics: odd,
      evalMetrics: {},
      perSite: [{ site: 'site-a', numExamples: 0, metrics: odd }],
    }));
    expect(saved.trainMetrics).toEqual(odd);
    expect(store.completedRounds(run.id)[0]!.trainMetrics).toEqual(odd);
    expect(Object.fromEntries(store.siteMetrics(run.id, 1).map((m) => [m.name, m.value]))).toEqual(odd);
  });

  it('omits an absent failure message rather than storing null', () => {
    store.startAttempt({ runId: run.id, round: 1, attempt: 1, at: 1 });
    const saved = store.saveRound(roundInput(run.id, 1, 1, { failures: [{ site: 'site-c', reason: 'DROPPED' }] }));
    expect(saved.failures).toEqual([{ site: 'site-c', reason: 'DROPPED' }]);
  });

  it('never changes a stored round: a second save is refused and every row stays byte-identical', () => {
    completeRound(store, run.id, 1);
    const before = store.rawRoundRows(run.id);
    expect(before.rounds).toHaveLength(1);
    const again = roundInput(run.id, 1, 1, { weights: seededWeights(64, 999), trainMetrics: { loss: 9 } });
    expectCohortError(() => store.saveRound(again), 'ROUND_FAILED', /^round 1 of run 1 is already stored; completed rounds never change$/);
    const after = store.rawRoundRows(run.id);
    expect(after).toEqual(before);
    expect(after.checkpoints[0]!.weights.equals(before.checkpoints[0]!.weights)).toBe(true);
    expect(Object.keys(after.rounds[0]!).sort()).toEqual(
      ['attempt', 'cohort_json', 'eval_metrics_json', 'failures_json', 'finished_at', 'round', 'run_id', 'started_at', 'train_metrics_json', 'trained_json'],
    );
    expect(Object.keys(after.checkpoints[0]!).sort()).toEqual(['created_at', 'round', 'run_id', 'sha256', 'strategy_state_json', 'weights']);
  });

  it('refuses UPDATE and DELETE of stored rounds even through raw SQL', () => {
    completeRound(store, run.id, 1);
    const before = store.rawRoundRows(run.id);
    withRaw((raw) => {
      expect(() => raw.exec("UPDATE rounds SET cohort_json = '[]'")).toThrow(/completed rounds never change/);
      expect(() => raw.exec('DELETE FROM checkpoints')).toThrow(/completed rounds never change/);
      expect(() => raw.exec('DELETE FROM site_metrics')).toThrow(/completed rounds never change/);
      expect(() => raw.exec("UPDATE participants SET role = 'trained'")).toThrow(/completed rounds never change/);
    });
    expect(store.rawRoundRows(run.id)).toEqual(before);
  });

  it('reports a tampered JSON column as corruption', () => {
    completeRound(store, run.id, 1);
    withRaw((raw) => {
      raw.exec('DROP TRIGGER rounds_no_update');
      raw.exec(`UPDATE rounds SET train_metrics_json = '{"loss":"lots"}'`);
    });
    expectCohortError(() => store.completedRounds(run.id), 'INTERNAL', /train metrics of round 1 of run 1\.loss .* corrupt/);
  });

  it('stores rounds only in order, only within the run, only while it runs', () => {
    store.startAttempt({ runId: run.id, round: 1, attempt: 1, at: 1 });
    expectCohortError(() => store.saveRound(roundInput(run.id, 2)), 'ROUND_FAILED', /round 2 of run 1 cannot come before round 1/);
    expectCohortError(() => store.saveRound(roundInput(run.id, 4)), 'ROUND_FAILED', /has 3 rounds/);
    expectCohortError(() => store.saveRound(roundInput(77, 1)), 'NOT_FOUND');
    store.saveRound(roundInput(run.id, 1));
    completeRound(store, run.id, 2);
    store.startAttempt({ runId: run.id, round: 3, attempt: 1, at: 1 });
    store.finishRun(run.id, { status: 'aborted', at: 2 });
    expectCohortError(() => store.saveRound(roundInput(run.id, 3)), 'ROUND_FAILED', /run 1 is aborted/);
    expect(store.completedRounds(run.id).map((r) => r.round)).toEqual([1, 2]);
  });

  describe('atomicity', () => {
    /** Nothing of round 1 is stored, and its attempt is still open. */
    function expectNothingStored(): void {
      expect(store.rawRoundRows(run.id)).toEqual({ rounds: [], checkpoints: [], participants: [], siteMetrics: [] });
      expect(store.completedRounds(run.id)).toEqual([]);
      expect(store.getCheckpoint(run.id, 1)).toBeUndefined();
      expect(store.listAttempts(run.id).map((a) => a.status)).toEqual(['started']);
    }

    // Triggers make SQLite fail part-way through the transaction, after earlier inserts succeeded.
    it.each([
      ['while storing the second per-site metric row', "BEFORE INSERT ON site_metrics WHEN NEW.site = 'site-b'"],
      ['at the last step, marking the attempt completed', "BEFORE UPDATE ON attempts WHEN NEW.status = 'completed'"],
    ])('stores none of a round when a write fails %s', (_when, trigger) => {
      store.startAttempt({ runId: run.id, round: 1, attempt: 1, at: 1 });
      withRaw((raw) => raw.exec(`CREATE TRIGGER inject_failure ${trigger} BEGIN SELECT RAISE(ABORT, 'injected failure'); END`));
      expect(() => store.saveRound(roundInput(run.id, 1))).toThrow(/injected failure/);
      expectNothingStored();
      withRaw((raw) => raw.exec('DROP TRIGGER inject_failure'));
      store.saveRound(roundInput(run.id, 1)); // the rollback left nothing behind to collide with
      expect(store.completedRounds(run.id)).toHaveLength(1);
    });

    it('stores none of a round with an invalid per-site entry', () => {
      store.startAttempt({ runId: run.id, round: 1, attempt: 1, at: 1 });
      const input = roundInput(run.id, 1);
      const perSite = [...input.perSite, { site: 'Site D!', numExamples: 3, metrics: {} }];
      expectCohortError(() => store.saveRound({ ...input, perSite }), 'DATA_INVALID', /per-site results of round 1\[2\]\.site/);
      expectNothingStored();
    });
  });

  it.each<[string, Partial<SaveRoundInput>, RegExp]>([
    ['a trained site outside the cohort', { trained: ['site-a', 'site-z'] }, /'site-z' trained in round 1 but is not in its cohort/],
    ['a failed site outside the cohort', { failures: [{ site: 'site-z', reason: 'TIMEOUT' }] }, /'site-z' failed/],
    ['a site both trained and failed', { failures: [{ site: 'site-a', reason: 'TIMEOUT' }] }, /both trained and failed/],
    ['a site twice in the cohort', { cohort: ['site-a', 'site-a'] }, /lists site 'site-a' twice/],
    ['a site evaluated twice', { perSite: [{ site: 'site-a', numExamples: 1, metrics: {} }, { site: 'site-a', numExamples: 1, metrics: {} }] }, /twice/],
    ['a negative example count', { perSite: [{ site: 'site-a', numExamples: -1, metrics: {} }] }, /numExamples/],
    ['a metric that is not a number', { trainMetrics: { loss: '0.5' as unknown as number } }, /train metrics of round 1\.loss must be a number/],
    ['weights that are not a Float32Array', { weights: [1, 2] as unknown as Float32Array }, /must be a Float32Array/],
    ['empty weights', { weights: new Float32Array(0) }, /empty/],
    ['strategy state JSON would alter', { strategyState: { m: new Float64Array(3) } }, /strategy state of round 1\.m is a Float64Array/],
    ['strategy state with a hole JSON would fill', { strategyState: { list: [1, undefined] } }, /list\[1\] is of type undefined/],
    ['a round that ends before it starts', { startedAt: 500, finishedAt: 400 }, /finished \(400\) before it started \(500\)/],
    ['a fractional timestamp', { finishedAt: 10_500.5 }, /milliseconds/],
  ])('refuses %s and stores nothing', (_case, overrides, message) => {
    store.startAttempt({ runId: run.id, round: 1, attempt: 1, at: 1 });
    expectCohortError(() => store.saveRound(roundInput(run.id, 1, 1, overrides)), 'DATA_INVALID', message);
    expect(store.rawRoundRows(run.id).rounds).toEqual([]);
  });
});
