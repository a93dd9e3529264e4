/** Temporary stores, seeded weights and ready-made rounds for the store's tests. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { encodePublicKey } from '@cohortfl/identity';
import { CohortError, type ErrorCode } from '@cohortfl/wire';
import { expect } from 'vitest';
import { openStore } from './open-store.js';
import type { RunRow, SaveRoundInput, Store } from './types.js';

export const TASK_HASH = 'ab'.repeat(32);
export const OTHER_HASH = 'cd'.repeat(32);
export const SITES = ['site-a', 'site-b', 'site-c'];

/** A fresh directory per test; `cleanup` removes it. */
export function tempDir(): { dir: string; path: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), 'cohortfl-store-'));
  return { dir, path: join(dir, 'coordinator.db'), cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/** A valid, distinct public key for each small integer. */
export function keyFor(i: number): string {
  return encodePublicKey(new Uint8Array(32).fill(i));
}

function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function seededWeights(count: number, seed: number): Float32Array {
  const random = mulberry32(seed);
  return Float32Array.from({ length: count }, () => random() * 2 - 1);
}

/** A store with SITES enrolled, the task published and one running run of `rounds` rounds. */
export function storeWithRun(path: string, rounds = 5): { store: Store; run: RunRow } {
  const store = openStore(path);
  SITES.forEach((name, i) => store.addSite({ name, publicKey: keyFor(i + 1), at: 1000 + i }));
  store.publishTask({ hash: TASK_HASH, name: 'cad-risk', version: '1.0.0', manifestJson: '{"model":"mlp"}', at: 2000 });
  const run = store.createRun({ taskHash: TASK_HASH, rounds, config: { minSites: 2, seed: 7 }, at: 3000 });
  return { store, run };
}

/** A complete, valid round: all sites trained except site-c, which timed out. */
export function roundInput(runId: number, round: number, attempt = 1, overrides: Partial<SaveRoundInput> = {}): SaveRoundInput {
  return {
    runId,
    round,
    attempt,
    cohort: [...SITES],
    trained: ['site-a', 'site-b'],
    failures: [{ site: 'site-c', reason: 'TIMEOUT', message: 'no train result before the deadline' }],
    trainMetrics: { loss: 0.5 / round },
    evalMetrics: { auc: 0.7 + round / 100 },
    perSite: [
      { site: 'site-a', numExamples: 120, metrics: { auc: 0.71, loss: 0.4 } },
      { site: 'site-b', numExamples: 80, metrics: { auc: 0.69, loss: 0.45 } },
    ],
    weights: seededWeights(64, round),
    strategyState: { name: 'fedadam', step: round },
    startedAt: 10_000 * round,
    finishedAt: 10_000 * round + 500,
    ...overrides,
  };
}

/** Start the attempt and store the round, as the coordinator does. */
export function completeRound(store: Store, runId: number, round: number, attempt = 1): void {
  store.startAttempt({ runId, round, attempt, at: 10_000 * round });
  store.saveRound(roundInput(runId, round, attempt));
}

/** Assert that `fn` throws a CohortError with this code and a message matching `message`. */
export function expectCohortError(fn: () => unknown, code: ErrorCode, message?: RegExp): CohortError {
  let thrown: unknown;
  try {
    fn();
  } catch (error) {
    thrown = error;
  }
  expect(thrown, 'expected a CohortError').toBeInstanceOf(CohortError);
  const error = thrown as CohortError;
  expect(error.code, error.message).toBe(code);
  if (message) expect(error.message).toMatch(message);
  return error;
}
