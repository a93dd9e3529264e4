import { encodePublicKey, fingerprint } from '@cohortfl/identity';
import { beforeEach, describe, expect, it } from 'vitest';
import { COORDINATOR, OTHER_KEY, freshRecordEachTest, reparse, type ProvenanceFixture } from './fixtures.test-suite.js';
import { signProvenance } from './sign.js';
import type { ProvenanceRecord } from './types.js';
import { verifyProvenance } from './verify.js';

const fresh = freshRecordEachTest(3);
let fx: ProvenanceFixture;
let record: ProvenanceRecord;
beforeEach(() => ({ fx, record } = { fx: fresh.fx(), record: fresh.record() }));

function problemsOf(json: unknown, key = COORDINATOR.publicKey): string[] {
  const verdict = verifyProvenance(json, key);
  expect(verdict.ok).toBe(false);
  return verdict.ok ? [] : verdict.problems;
}

const SIGNATURE = /^signature: does not verify/;

describe('verifyProvenance', () => {
  it('accepts the record as written', () => {
    expect(verifyProvenance(record, COORDINATOR.publicKey)).toEqual({ ok: true, record });
  });

  it('detects a changed metric through the signature', () => {
    record.rounds[1]!.perSite[0]!.metrics['auc'] = 0.99;
    expect(problemsOf(record)).toEqual([expect.stringMatching(SIGNATURE)]);
  });

  it('detects a changed ε report and a changed privacy parameter', () => {
    const eps = reparse(record);
    eps.privacy[0]!.epsilonSpent = 0.1;
    expect(problemsOf(eps)).toEqual([expect.stringMatching(SIGNATURE)]);
    record.task.privacy!.noiseMultiplier = 5;
    expect(problemsOf(record)).toEqual([expect.stringMatching(SIGNATURE)]);
  });

  it('names the round whose checkpoint hash changed', () => {
    record.rounds[1]!.checkpointSha256 = 'f'.repeat(64);
    const problems = problemsOf(record);
    expect(problems).toContainEqual(expect.stringMatching(SIGNATURE));
    expect(problems).toContainEqual(expect.stringMatching(/^round 2: chainHash does not match/));
    expect(problems.filter((p) => /^round [13]/.test(p))).toEqual([]);
  });

  it('names the removed round', () => {
    record.rounds.splice(1, 1);
    const problems = problemsOf(record);
    expect(problems).toContainEqual('round 3: follows round 1; round 2 is missing (removed)');
    expect(problems).toContainEqual(expect.stringMatching(/^round 3: chainHash does not match/));
  });

  it('catches a broken chain even when the changed record was re-signed with the right key', () => {
    record.rounds[0]!.trained = ['site-a'];
    const resigned = reparse(signProvenance(COORDINATOR.secretKey, record));
    expect(problemsOf(resigned)).toEqual([expect.stringMatching(/^round 1: chainHash does not match/)]);
  });

  it('catches a head checkpoint that is not the last round', () => {
    record.checkpoint.sha256 = record.rounds[0]!.checkpointSha256;
    expect(problemsOf(record)).toContainEqual("checkpoint: sha256 differs from round 3's checkpointSha256");
    const cut = reparse(record);
    cut.rounds.pop();
    expect(problemsOf(cut)).toContainEqual(expect.stringMatching(/^checkpoint: names round 3 attempt 1, but the last round in the record is round 2/));
  });

  it('rejects another key: verifying with it, or a record re-signed by it', () => {
    expect(problemsOf(record, OTHER_KEY.publicKey)).toEqual([expect.stringMatching(/not the pinned coordinator key/), expect.stringMatching(SIGNATURE)]);
    const forged = reparse(record);
    forged.coordinator = { publicKey: encodePublicKey(OTHER_KEY.publicKey), fingerprint: fingerprint(OTHER_KEY.publicKey) };
    const signedByOther = reparse(signProvenance(OTHER_KEY.secretKey, forged));
    expect(verifyProvenance(signedByOther, OTHER_KEY.publicKey).ok).toBe(true);
    expect(problemsOf(signedByOther)).toEqual([expect.stringMatching(/not the pinned coordinator key/), expect.stringMatching(SIGNATURE)]);
  });

  it('answers malformed input with problems, never an exception', () => {
    expect(problemsOf(null)).toEqual(['the record is not a JSON object']);
    expect(problemsOf([])).toEqual(['the record is not a JSON object']);
    expect(problemsOf({ ...record, format: 'cohortfl-provenance/2' })[0]).toMatch(/^format is "cohortfl-provenance\/2"/);
    const { signature: _s, ...unsigned } = record;
    expect(problemsOf(unsigned)).toEqual(['signature is missing']);
    expect(problemsOf({ ...record, signature: { ...record.signature, value: 'not base64!' } })).toEqual(['signature.value is not padded base64']);
    expect(problemsOf({ ...record, signature: { ...record.signature, value: Buffer.alloc(10).toString('base64') } })).toEqual([expect.stringMatching(SIGNATURE)]);
    expect(problemsOf({ ...record, rounds: [] })).toContain('rounds is not a non-empty array');
    expect(problemsOf({ ...record, rounds: [{ ...record.rounds[0], chainHash: 'ABC' }] })).toContain('round 1: checkpointSha256 and chainHash must be 64 lowercase hex characters');
    expect(problemsOf(record, new Uint8Array(5))[0]).toMatch(/not a 32-byte Ed25519 key/);
    const hostile = { ...record, get rounds(): never { throw new Error('boom'); } };
    expect(problemsOf(hostile)).toEqual(['the record cannot be checked: boom']);
  });
});
