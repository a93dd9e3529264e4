/**
 * The rounds the crash test's child process stores, shared with the test that checks
 * them afterwards. No vitest import: the child runs under plain Node.
 */
import { encodePublicKey } from '@cohortfl/identity';
import type { SaveRoundInput, Store } from './types.js';

export const CRASH_SITES = ['site-a', 'site-b', 'site-c'];
const WEIGHT_COUNT = 50_000; // 200 kB a checkpoint, so a save spans many pages

/** Distinct, recomputable weights for each round. */
export function crashWeights(round: number): Float32Array {
  return Float32Array.from({ length: WEIGHT_COUNT }, (_, i) => round + i / WEIGHT_COUNT);
}

export function crashRound(runId: number, round: number, attempt: number): SaveRoundInput {
  return {
    runId,
    round,
    attempt,
    cohort: CRASH_SITES,
    trained: ['site-a', 'site-b'],
    failures: [{ site: 'site-c', reason: 'DROPPED' }],
    trainMetrics: { loss: 1 / round },
    evalMetrics: { auc: 0.5 },
    perSite: CRASH_SITES.map((site, i) => ({ site, numExamples: 10 * (i + 1), metrics: { auc: 0.5, loss: i } })),
    weights: crashWeights(round),
    strategyState: { round },
    startedAt: round * 100,
    finishedAt: round * 100 + 50,
  };
}

/** The running run to continue, creating sites, task and run on first use. */
export function crashRun(store: Store, rounds: number): number {
  const active = store.activeRun();
  if (active) return active.id;
  CRASH_SITES.forEach((name, i) => store.addSite({ name, publicKey: encodePublicKey(new Uint8Array(32).fill(i + 1)), at: 1 }));
  const hash = 'ef'.repeat(32);
  store.publishTask({ hash, name: 'crash-task', version: '1', manifestJson: '{}', at: 1 });
  return store.createRun({ taskHash: hash, rounds, config: {}, at: 1 }).id;
}
