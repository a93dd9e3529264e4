import { createHash } from 'node:crypto';
import { encodePublicKey, fingerprint } from '@cohortfl/identity';
import { afterEach, describe, expect, it } from 'vitest';
import { expectCohortError } from '../store/fixtures.test-suite.js';
import { buildProvenance, unsignedProvenance } from './build.js';
import { chainHash, PROVENANCE_GENESIS_HASH } from './chain.js';
import { COORDINATOR, OTHER_KEY, provenanceStore, reparse, type ProvenanceFixture } from './fixtures.test-suite.js';
import { signProvenance } from './sign.js';
import { verifyProvenance } from './verify.js';

let fx: ProvenanceFixture | undefined;
afterEach(() => fx?.cleanup());

describe('buildProvenance', () => {
  it('records the task parameters, every round, the head checkpoint and ε per site', () => {
    fx = provenanceStore(3);
    const record = buildProvenance(fx.store, COORDINATOR, fx.run.id, { at: 99_000 });
    expect(record.format).toBe('cohortfl-provenance/1');
    expect(record.run).toEqual({ id: fx.run.id, status: 'running', createdAt: 3000, plannedRounds: 3, holdOut: ['site-d'] });
    expect(record.task).toMatchObject({
      name: 'cad-risk',
      version: '1.2.0',
      manifestSha256: fx.taskHash,
      strategy: { name: 'fedadam', params: { serverLearningRate: 0.05, beta1: 0.9 } },
      secureAggregation: { threshold: 2, degree: 0, clip: 10, weightScale: 1_000_000, stepTimeout: 60 },
      privacy: { unit: 'site', clip: 1, delta: 1e-5, noiseMultiplier: 1.1, targetEpsilon: null },
    });
    expect(record.coordinator).toEqual({ publicKey: encodePublicKey(COORDINATOR.publicKey), fingerprint: fingerprint(COORDINATOR.publicKey) });
    expect(record.rounds.map((r) => r.round)).toEqual([1, 2, 3]);
    const stored = fx.store.completedRounds(fx.run.id);
    expect(record.rounds.map((r) => r.checkpointSha256)).toEqual(stored.map((r) => r.weightsSha256));
    const r3 = record.rounds[2]!;
    expect(r3).toMatchObject({ cohort: ['site-a', 'site-b', 'site-c'], trained: ['site-a', 'site-b'], failures: [{ site: 'site-c', reason: 'TIMEOUT' }] });
    expect(r3.evalMetrics['pooled/auc']).toBeCloseTo(0.73, 10);
    // site-b's NaN loss is left out: JSON has no NaN.
    expect(r3.perSite).toEqual([
      { site: 'site-a', numExamples: 120, metrics: { auc: 0.71, loss: 0.4, 'auc/sex=F': 0.7, 'auc/sex=M': 0.72 } },
      { site: 'site-b', numExamples: 80, metrics: { auc: 0.69, 'auc/sex=F': 0.66 } },
    ]);
    expect(record.checkpoint).toEqual({ round: 3, attempt: 1, sha256: r3.checkpointSha256, chainHash: r3.chainHash });
    expect(record.privacy).toEqual([
      { site: 'site-a', epsilonSpent: 1.25, reportedAt: 40_000 },
      { site: 'site-b', epsilonSpent: 0.75, reportedAt: 40_100 },
      { site: 'site-c', epsilonSpent: null, reportedAt: null },
    ]);
    expect(record.generatedAt).toBe(99_000);
    expect(verifyProvenance(reparse(record), COORDINATOR.publicKey)).toEqual({ ok: true, record: reparse(record) });
  });

  it('chains each checkpoint exactly as documented', () => {
    fx = provenanceStore(2);
    const [r1, r2] = unsignedProvenance(fx.store, COORDINATOR.publicKey, fx.run.id, { at: 1 }).rounds;
    const text = `{"attempt":1,"checkpointSha256":"${r1!.checkpointSha256}","prev":"${'0'.repeat(64)}","round":1,"trained":["site-a","site-b"]}`;
    expect(r1!.chainHash).toBe(createHash('sha256').update(text).digest('hex'));
    expect(r2!.chainHash).toBe(chainHash(r1!.chainHash, r2!));
    expect(r2!.chainHash).not.toBe(chainHash(PROVENANCE_GENESIS_HASH, r2!));
  });

  it('describes an earlier checkpoint with the same chain prefix', () => {
    fx = provenanceStore(3);
    const full = buildProvenance(fx.store, COORDINATOR, fx.run.id, { at: 5 });
    const at2 = buildProvenance(fx.store, COORDINATOR, fx.run.id, { round: 2, at: 5 });
    expect(at2.rounds).toEqual(full.rounds.slice(0, 2));
    expect(at2.checkpoint).toMatchObject({ round: 2, chainHash: full.rounds[1]!.chainHash });
    expect(at2.signature.value).not.toBe(full.signature.value);
    expect(verifyProvenance(reparse(at2), COORDINATOR.publicKey).ok).toBe(true);
  });

  it('refuses a missing run, a round not completed and a run without rounds', () => {
    fx = provenanceStore(2);
    const { store, run } = fx;
    expectCohortError(() => buildProvenance(store, COORDINATOR, 42), 'NOT_FOUND', /no run 42/);
    expectCohortError(() => buildProvenance(store, COORDINATOR, run.id, { round: 3 }), 'NOT_FOUND', /no completed round 3 \(completed rounds: 1-2\)/);
    expectCohortError(() => buildProvenance(store, COORDINATOR, run.id, { round: 0 }), 'NOT_FOUND', /no completed round 0/);
    store.finishRun(run.id, { status: 'aborted', at: 50_000 });
    const empty = store.createRun({ taskHash: fx.taskHash, rounds: 2, config: {}, at: 60_000 });
    expectCohortError(() => buildProvenance(store, COORDINATOR, empty.id), 'NOT_FOUND', /no completed round yet/);
  });

  it('will not sign a record that names another coordinator key', () => {
    fx = provenanceStore(1);
    const unsigned = unsignedProvenance(fx.store, COORDINATOR.publicKey, fx.run.id, { at: 1 });
    expectCohortError(() => signProvenance(OTHER_KEY.secretKey, unsigned), 'CONFIG_INVALID', /names coordinator key/);
  });
});
