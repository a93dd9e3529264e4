import { describe, expect, it } from 'vitest';
import { AUDIT_FORMAT, AUDIT_GENESIS_HASH, auditEntryHash, signAuditEntry, verifyAuditLog, type AuditEntry, type AuditLog } from './audit-chain.js';
import { encodePublicKey, identityFromSeed } from './keys.js';
import type { SigningDigest } from './sign-context.js';
import { signDigest } from './signature.js';

const seeded = (start: number) => identityFromSeed(Uint8Array.from({ length: 32 }, (_, i) => (start + i) & 0xff));
const coordinator = seeded(1);
const intruder = seeded(90);
const DIGEST = 'ab'.repeat(64);

type Input = { kind: string; site: string | null; data: unknown };

function chain(secretKey = coordinator.secretKey, more: Input[] = []): AuditLog {
  const inputs: Input[] = [
    { kind: 'site.enrolled', site: 'hospital-a', data: { publicKey: 'x' } },
    { kind: 'task.published', site: null, data: { hash: 'c'.repeat(64), name: 'cad' } },
    { kind: 'run.started', site: null, data: { run: 1, rounds: 2 } },
    { kind: 'message.accepted', site: 'hospital-a', data: { run: 1, type: 'update/submit', round: 1, attempt: 1, phase: 'train', digest: DIGEST } },
    { kind: 'round.completed', site: null, data: { round: 1, attempt: 1, trained: ['hospital-a'], failures: [] } },
    ...more,
  ];
  const entries: AuditEntry[] = [];
  inputs.forEach((input, i) => {
    entries.push(signAuditEntry(secretKey, { seq: i + 1, at: 1000 + i, ...input, prevHash: entries[i - 1]?.hash ?? AUDIT_GENESIS_HASH }));
  });
  return { format: AUDIT_FORMAT, coordinatorPublicKey: encodePublicKey(coordinator.publicKey), entries };
}

const copy = (log: AuditLog): AuditLog => JSON.parse(JSON.stringify(log)) as AuditLog;
const verify = (log: unknown, extra = {}) => verifyAuditLog(log, { coordinatorPublicKey: coordinator.publicKey, ...extra });
const problemsOf = (log: unknown, extra = {}) => {
  const verdict = verify(log, extra);
  if (verdict.ok) throw new Error('expected the log to be refused');
  return verdict.problems;
};

describe('audit chain', () => {
  it('hashes the canonical JSON of the fields: key order does not matter, and a NaN metric is written null', () => {
    const fields = { seq: 1, at: 5, kind: 'round.completed', site: null, data: { b: 1, a: { auc: Number.NaN } }, prevHash: AUDIT_GENESIS_HASH };
    const reordered = { prevHash: AUDIT_GENESIS_HASH, data: { a: { auc: null }, b: 1 }, site: null, kind: 'round.completed', at: 5, seq: 1 };
    expect(auditEntryHash(fields)).toBe(auditEntryHash(reordered));
    expect(auditEntryHash(fields)).not.toBe(auditEntryHash({ ...fields, data: { b: 2, a: { auc: null } } }));
  });

  it('a clean log verifies, also after a JSON round trip', () => {
    const verdict = verify(copy(chain()));
    expect(verdict).toMatchObject({ ok: true });
    expect(verdict.ok && verdict.entries.length).toBe(5);
    expect(verify({ format: AUDIT_FORMAT, coordinatorPublicKey: encodePublicKey(coordinator.publicKey), entries: [] }).ok).toBe(true);
  });

  it('detects one changed byte in an entry\'s data', () => {
    const log = copy(chain());
    (log.entries[1]!.data as { name: string }).name = 'cae';
    expect(problemsOf(log)).toEqual(['seq 2: hash mismatch; the entry\'s content was changed after it was logged']);
  });

  it('detects a deleted entry', () => {
    const log = copy(chain());
    log.entries.splice(2, 1);
    const problems = problemsOf(log);
    expect(problems).toContain('seq 4: follows seq 2; entries 3..3 are missing (deleted)');
    expect(problems).toContain('seq 4: prevHash does not match the hash of the entry before it (seq 2); the chain is broken');
  });

  it('detects a deleted first entry', () => {
    const log = copy(chain());
    log.entries.shift();
    expect(problemsOf(log).join('\n')).toMatch(/seq 2: .*genesis hash/);
  });

  it('detects two swapped entries', () => {
    const log = copy(chain());
    [log.entries[1], log.entries[2]] = [log.entries[2]!, log.entries[1]!];
    const problems = problemsOf(log);
    expect(problems).toContain('seq 2: comes after seq 3; the entries are out of order (reordered or duplicated)');
    expect(problems.some((p) => p.startsWith('seq 3: prevHash does not match'))).toBe(true);
  });

  it('detects a replaced update digest', () => {
    const log = copy(chain());
    (log.entries[3]!.data as { digest: string }).digest = 'cd'.repeat(64);
    expect(problemsOf(log)).toEqual(['seq 4: hash mismatch; the entry\'s content was changed after it was logged']);
  });

  it('detects a log signed by another key', () => {
    const log = chain(intruder.secretKey);
    const problems = problemsOf(log);
    expect(problems).toHaveLength(5);
    expect(problems[0]).toBe('seq 1: the signature does not verify with the pinned coordinator key');
  });

  describe('anchored signature checks', () => {
    const flipSig = (e: AuditEntry) => {
      const sig = Buffer.from(e.sig, 'base64');
      sig[0] ^= 1;
      e.sig = sig.toString('base64');
    };

    it('an intact chain is vouched for by its last signature: an earlier sig field, which no hash covers, is checked only with signatures: every', () => {
      const log = copy(chain());
      flipSig(log.entries[1]!);
      expect(verify(log).ok).toBe(true);
      expect(problemsOf(log, { signatures: 'every' })).toEqual(['seq 2: the signature does not verify with the pinned coordinator key']);
    });

    it('a bad last signature makes every signature checked, naming each bad one', () => {
      const log = copy(chain());
      flipSig(log.entries[1]!);
      flipSig(log.entries[4]!);
      expect(problemsOf(log)).toEqual([
        'seq 2: the signature does not verify with the pinned coordinator key',
        'seq 5: the signature does not verify with the pinned coordinator key',
      ]);
    });

    it('a broken chain makes every signature checked', () => {
      const log = copy(chain());
      flipSig(log.entries[0]!);
      (log.entries[2]!.data as { rounds: number }).rounds = 3;
      expect(problemsOf(log)).toEqual([
        'seq 1: the signature does not verify with the pinned coordinator key',
        "seq 3: hash mismatch; the entry's content was changed after it was logged",
      ]);
    });

    it('content changed under a re-computed chain fails at the anchor: the intruder cannot sign the last hash', () => {
      const log = copy(chain());
      (log.entries[1]!.data as { name: string }).name = 'cae';
      // Re-hash every entry from the changed one on, as an intruder without the key would have to.
      for (let i = 1; i < log.entries.length; i++) {
        const e = log.entries[i]!;
        e.prevHash = log.entries[i - 1]!.hash;
        e.hash = auditEntryHash(e);
      }
      expect(problemsOf(log)).toEqual(['seq 2', 'seq 3', 'seq 4', 'seq 5'].map((at) => `${at}: the signature does not verify with the pinned coordinator key`));
    });
  });

  it('detects a log that names another coordinator key', () => {
    const log = { ...copy(chain()), coordinatorPublicKey: encodePublicKey(intruder.publicKey) };
    expect(problemsOf(log)[0]).toMatch(/not the pinned ed25519:/);
  });

  it('refuses malformed input without throwing', () => {
    expect(problemsOf(null)).toEqual(['the audit log is not a JSON object']);
    expect(problemsOf({ format: 'x', coordinatorPublicKey: encodePublicKey(coordinator.publicKey), entries: 3 })).toEqual([
      "format is \"x\", expected 'cohortfl-audit/1'",
      'entries is not an array',
    ]);
    const log = copy(chain());
    (log.entries[0] as unknown as Record<string, unknown>)['hash'] = 'nothex';
    expect(problemsOf(log)[0]).toBe('seq 1: hash is not 64 lowercase hex characters');
  });

  it('with requireExportSeal, needs the export entry last, counting every entry before it', () => {
    const sealed = chain(coordinator.secretKey, [{ kind: 'audit.exported', site: null, data: { entries: 5 } }]);
    expect(verify(sealed, { requireExportSeal: true }).ok).toBe(true);
    expect(problemsOf(chain(), { requireExportSeal: true })).toEqual([
      "the log does not end with the coordinator's signed export entry (audit.exported): entries may have been cut off its end",
    ]);
    // A seal whose count disagrees with the entries before it (entries inserted or removed before the seal).
    const older = chain(coordinator.secretKey, [{ kind: 'audit.exported', site: null, data: { entries: 3 } }]);
    expect(problemsOf(older, { requireExportSeal: true })).toEqual(['seq 6: the export entry counts 3 entries before it, but the log holds 5']);
    expect(problemsOf({ ...sealed, entries: [] }, { requireExportSeal: true })[0]).toMatch(/does not end with the coordinator's signed export entry/);
  });

  describe('against the site\'s own records', () => {
    const mine = { run: 1, type: 'update/submit', round: 1, attempt: 1, phase: 'train', digest: DIGEST };
    const accepted = (data: Record<string, unknown>, site = 'hospital-a'): Input => ({ kind: 'message.accepted', site, data });
    const evalResult = { run: 1, type: 'eval/result', round: 1, attempt: 1, phase: 'evaluate', digest: '12'.repeat(64) };

    it('a clean log whose entries for the site all match its records verifies, without notes', () => {
      const log = chain(coordinator.secretKey, [accepted(evalResult)]);
      expect(verify(log, { site: 'hospital-a', siteRecords: [mine, evalResult] })).toEqual({ ok: true, entries: log.entries });
      // Another site's records say nothing about hospital-a's entries.
      expect(verify(chain(), { site: 'hospital-b', siteRecords: [] })).toEqual({ ok: true, entries: chain().entries });
    });

    it('catches a digest the coordinator replaced and re-signed, though chain and signatures verify', () => {
      const forged = chain(coordinator.secretKey);
      const replaced = 'cd'.repeat(64);
      const entries: AuditEntry[] = [];
      for (const e of forged.entries) {
        const data = e.seq === 4 ? { ...(e.data as object), digest: replaced } : e.data;
        entries.push(signAuditEntry(coordinator.secretKey, { seq: e.seq, at: e.at, kind: e.kind, site: e.site, data, prevHash: entries.at(-1)?.hash ?? AUDIT_GENESIS_HASH }));
      }
      const log = { ...forged, entries };
      expect(verify(log).ok).toBe(true);
      const verdict = verify(log, { site: 'hospital-a', siteRecords: [mine] });
      expect(verdict).toEqual({
        ok: false,
        problems: [`seq 4: run 1 update/submit round 1 attempt 1 (train) of hospital-a: the log has digest ${replaced}, but hospital-a signed ${DIGEST}`],
        notes: [expect.stringMatching(/^hospital-a signed run 1 update\/submit round 1 attempt 1 \(train\) \(digest abababababababab…\) but the log has no entry for it/)],
      });
    });

    it('flags an entry naming the site that the site has no record of', () => {
      const log = chain(coordinator.secretKey, [accepted(evalResult)]);
      expect(problemsOf(log, { site: 'hospital-a', siteRecords: [mine] })).toEqual([
        `seq 6: run 1 eval/result round 1 attempt 1 (evaluate) of hospital-a: the log has digest ${evalResult.digest}, but hospital-a has no record of signing such a message`,
      ]);
      expect(problemsOf(chain(), { site: 'hospital-a', siteRecords: [] })[0]).toMatch(/^seq 4: .*has no record of signing such a message$/);
    });

    it('reports a record the log lacks as a note, not a problem', () => {
      const refusal = { run: 1, type: 'round/refuse', round: 2, attempt: 1, phase: 'train', digest: '9f'.repeat(64) };
      const verdict = verify(chain(), { site: 'hospital-a', siteRecords: [mine, refusal] });
      expect(verdict.ok).toBe(true);
      expect(verdict.notes).toEqual([
        'hospital-a signed run 1 round/refuse round 2 attempt 1 (train) (digest 9f9f9f9f9f9f9f9f…) but the log has no entry for it: lost in transit, refused by the coordinator, or sent after this export',
      ]);
    });

    it('fails a log sealed well after a record it lacks; a later record, a refused one and an unsent one stay notes', () => {
      const sealed = (at: number) => {
        const log = chain(coordinator.secretKey, [{ kind: 'audit.exported', site: null, data: { entries: 5 } }]);
        // Re-sign the seal at the given time.
        const last = log.entries.pop()!;
        log.entries.push(signAuditEntry(coordinator.secretKey, { seq: last.seq, at, kind: last.kind, site: last.site, data: last.data, prevHash: last.prevHash }));
        return log;
      };
      const gone = { run: 1, type: 'eval/result', round: 1, attempt: 1, phase: 'evaluate', digest: '5e'.repeat(64), at: 10_000 };
      const options = { site: 'hospital-a', requireExportSeal: true };
      expect(problemsOf(sealed(10_000 + 60_001), { ...options, siteRecords: [mine, gone] })).toEqual([
        `hospital-a signed run 1 eval/result round 1 attempt 1 (evaluate) (digest 5e5e5e5e5e5e5e5e…) at ${new Date(10_000).toISOString()}, before the export seal at ${new Date(70_001).toISOString()}, ` +
          'but the log has no entry for it: the coordinator left it out or deleted it and re-signed the chain (or it was lost in transit)',
      ]);
      // Within the grace period (default 60 s) of the seal, or with a wider one: a note.
      expect(verify(sealed(10_000 + 60_000), { ...options, siteRecords: [mine, gone] })).toMatchObject({ ok: true, notes: [expect.stringMatching(/signed after this export was sealed \(or within its grace period\)$/)] });
      expect(verify(sealed(10_000 + 60_001), { ...options, siteRecords: [mine, gone], sealGraceMs: 120_000 }).ok).toBe(true);
      // Known never sent: the site recorded that after the send found its connection gone.
      expect(verify(sealed(99_999_999), { ...options, siteRecords: [mine, gone, { ...gone, undelivered: true }] })).toMatchObject({
        ok: true,
        notes: [expect.stringMatching(/\(digest 5e5e5e5e5e5e5e5e…\) but never sent it \(its connection was gone\)/)],
      });
      // A record without a time cannot be placed before the seal.
      const { at: _at, ...timeless } = gone;
      expect(verify(sealed(99_999_999), { ...options, siteRecords: [mine, timeless] }).ok).toBe(true);
      // The marker only excuses the digest it names.
      expect(verify(sealed(99_999_999), { ...options, siteRecords: [mine, gone, { ...gone, digest: '00'.repeat(64), undelivered: true }] }).ok).toBe(false);
    });

    it('keeps the same round and attempt of two runs apart', () => {
      const run2 = { ...mine, run: 2, digest: '77'.repeat(64) };
      const log = chain(coordinator.secretKey, [accepted({ ...run2 })]);
      expect(verify(log, { site: 'hospital-a', siteRecords: [mine, run2] })).toMatchObject({ ok: true });
      // Run 2's record cannot vouch for run 1's entry, nor the other way round.
      const swapped = [{ ...mine, run: 2 }, { ...run2, run: 1 }];
      const problems = problemsOf(log, { site: 'hospital-a', siteRecords: swapped });
      expect(problems).toHaveLength(2);
      expect(problems[0]).toBe(`seq 4: run 1 update/submit round 1 attempt 1 (train) of hospital-a: the log has digest ${DIGEST}, but hospital-a signed ${run2.digest}`);
      expect(problems[1]).toBe(`seq 6: run 2 update/submit round 1 attempt 1 (train) of hospital-a: the log has digest ${run2.digest}, but hospital-a signed ${DIGEST}`);
    });

    it('accepts any of several records for one message, and requires the phase to agree', () => {
      const trainRefusal = { run: 1, type: 'round/refuse', round: 1, attempt: 1, phase: 'train', digest: 'aa'.repeat(64) };
      const evalRefusal = { ...trainRefusal, phase: 'evaluate', digest: 'bb'.repeat(64) };
      const log = chain(coordinator.secretKey, [accepted(evalRefusal)]);
      expect(verify(log, { site: 'hospital-a', siteRecords: [mine, trainRefusal, evalRefusal] })).toMatchObject({ ok: true, notes: [expect.stringContaining('(train)')] });
      expect(problemsOf(log, { site: 'hospital-a', siteRecords: [mine, { ...evalRefusal, phase: 'train' }] })[0]).toMatch(/^seq 6: .*has no record of signing such a message$/);
    });

    it('flags a malformed accepted entry for the site, and still never throws', () => {
      const log = chain(coordinator.secretKey, [accepted({ run: 1, type: 'eval/result', round: 'one', digest: 'x' }), { kind: 'message.accepted', site: 'hospital-a', data: null }]);
      expect(problemsOf(log, { site: 'hospital-a', siteRecords: [mine] })).toEqual([
        "seq 6: a message.accepted entry for hospital-a lacks a well-formed run, type, round, attempt and digest; it cannot be checked against the site's records",
        "seq 7: a message.accepted entry for hospital-a lacks a well-formed run, type, round, attempt and digest; it cannot be checked against the site's records",
      ]);
      expect(problemsOf({ format: AUDIT_FORMAT, coordinatorPublicKey: encodePublicKey(coordinator.publicKey), entries: [null, 3] }, { site: 'hospital-a', siteRecords: [mine] })).toHaveLength(2);
    });

    it('flags one signed message shown as accepted twice', () => {
      const log = chain(coordinator.secretKey, [accepted(mine)]);
      expect(problemsOf(log, { site: 'hospital-a', siteRecords: [mine] })).toEqual([
        `seq 6: run 1 update/submit round 1 attempt 1 (train) of hospital-a: the log shows this message (digest ${DIGEST.slice(0, 16)}…) accepted again; hospital-a signed it once`,
      ]);
    });

    it("with the site's key, checks the site signature each entry carries", () => {
      const site = seeded(40);
      // Any 64 bytes stand in for a signing digest here: only matching signatures matter.
      const digest = Uint8Array.from({ length: 64 }, (_, i) => i) as SigningDigest;
      const hex = Buffer.from(digest).toString('hex');
      const record = { ...evalResult, digest: hex };
      const sig = Buffer.from(signDigest(site.secretKey, digest)).toString('base64');
      const good = chain(coordinator.secretKey, [accepted({ ...record, sig })]);
      expect(verify(good, { site: 'hospital-a', siteRecords: [mine, record], sitePublicKey: site.publicKey }).ok).toBe(true);
      const forged = Buffer.from(signDigest(intruder.secretKey, digest)).toString('base64');
      const bad = chain(coordinator.secretKey, [accepted({ ...record, sig: forged })]);
      expect(problemsOf(bad, { site: 'hospital-a', siteRecords: [mine, record], sitePublicKey: site.publicKey })).toEqual([
        "seq 6: run 1 eval/result round 1 attempt 1 (evaluate) of hospital-a: the logged site signature does not verify over the logged digest with hospital-a's key",
      ]);
    });

    it('never throws, even on data nested deeper than the stack', () => {
      let deep: unknown = 1;
      for (let i = 0; i < 200_000; i++) deep = { d: deep };
      const log = { format: AUDIT_FORMAT, coordinatorPublicKey: encodePublicKey(coordinator.publicKey), entries: [{ ...chain().entries[0], data: deep }] };
      const verdict = verify(log);
      expect(verdict.ok).toBe(false);
    });
  });
});
