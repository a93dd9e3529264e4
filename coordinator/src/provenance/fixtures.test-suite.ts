/** A store holding a 3-round run of a published task, with ε reports, for the provenance tests. */
import { afterEach, beforeEach } from 'vitest';
import { identityFromSeed, type Identity } from '@cohortfl/identity';
import { buildManifest, type Task } from '@cohortfl/sdk';
import { EPSILON_META_PREFIX } from '../site-epsilon.js';
import { keyFor, roundInput, SITES, tempDir } from '../store/fixtures.test-suite.js';
import { openStore, type RunRow, type Store } from '../store/index.js';
import { buildProvenance } from './build.js';
import type { ProvenanceRecord } from './types.js';

export const COORDINATOR: Identity = identityFromSeed(new Uint8Array(32).fill(7));
export const OTHER_KEY: Identity = identityFromSeed(new Uint8Array(32).fill(9));

/** A manifest's task as the sdk stores it; only the fields provenance reads matter here. */
const TASK = {
  name: 'cad-risk',
  version: '1.2.0',
  strategy: { name: 'fedadam', serverLearningRate: 0.05, beta1: 0.9 },
  rounds: 3,
  minSites: 2,
  fractionFit: 1,
  seed: 11,
  secureAggregation: { enabled: true, threshold: 2, degree: 0, clip: 10, weightScale: 1_000_000, stepTimeout: 60 },
  privacy: { unit: 'site', clip: 1, delta: 1e-5, noiseMultiplier: 1.1 },
} as unknown as Task;

export interface ProvenanceFixture {
  store: Store;
  run: RunRow;
  taskHash: string;
  cleanup: () => void;
}

/** Rounds 1..completed saved (subgroup AUCs included), site-a and site-b reported ε, site-c never did. */
export function provenanceStore(completed = 3): ProvenanceFixture {
  const dir = tempDir();
  const store = openStore(dir.path);
  SITES.forEach((name, i) => store.addSite({ name, publicKey: keyFor(i + 1), at: 1000 + i }));
  const built = buildManifest(TASK);
  store.publishTask({ hash: built.hash, name: TASK.name, version: TASK.version, manifestJson: built.json, at: 2000 });
  const run = store.createRun({ taskHash: built.hash, rounds: 3, config: { holdOut: ['site-d'] }, at: 3000 });
  for (let round = 1; round <= completed; round++) {
    store.startAttempt({ runId: run.id, round, attempt: 1, at: 10_000 * round });
    store.saveRound(
      roundInput(run.id, round, 1, {
        evalMetrics: { 'pooled/auc': 0.7 + round / 100, 'sites/worstAuc': 0.69, 'sex/aucGap': 0.04, 'sex/worstGroupAuc': 0.68 },
        perSite: [
          { site: 'site-a', numExamples: 120, metrics: { auc: 0.71, loss: 0.4, 'auc/sex=F': 0.7, 'auc/sex=M': 0.72 } },
          { site: 'site-b', numExamples: 80, metrics: { auc: 0.69, loss: Number.NaN, 'auc/sex=F': 0.66 } },
        ],
      }),
    );
  }
  store.setMeta(`${EPSILON_META_PREFIX}site-a`, JSON.stringify({ epsilonSpent: 1.25, reportedAt: 40_000 }));
  store.setMeta(`${EPSILON_META_PREFIX}site-b`, JSON.stringify({ epsilonSpent: 0.75, reportedAt: 40_100 }));
  return {
    store,
    run,
    taskHash: built.hash,
    cleanup: () => {
      store.close();
      dir.cleanup();
    },
  };
}

/** A deep copy through JSON, as a verifier reading the file sees the record. */
export function reparse<T>(value: T): T {
  return JSON.parse(JSON.stringify(value)) as T;
}

/**
 * For a test file: before each test a fresh store with `completed` rounds and the signed
 * record of its last checkpoint (after a JSON round trip, as a reader gets it); removed after.
 */
export function freshRecordEachTest(completed: number): { fx(): ProvenanceFixture; record(): ProvenanceRecord } {
  let fx: ProvenanceFixture | undefined;
  let record: ProvenanceRecord | undefined;
  beforeEach(() => {
    fx = provenanceStore(completed);
    record = reparse(buildProvenance(fx.store, COORDINATOR, fx.run.id, { at: 7 }));
  });
  afterEach(() => fx?.cleanup());
  return { fx: () => fx!, record: () => record! };
}
