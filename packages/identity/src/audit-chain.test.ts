import { describe, expect, it } from 'vitest';
import { AUDIT_FORMAT, AUDIT_GENESIS_HASH, canonicalJson, signAuditEntry, verifyAuditLog, type AuditEntry, type AuditLog } from './audit-chain.js';
import { encodePublicKey, identityFromSeed } from './keys.js';

const seeded = (start: number) => identityFromSeed(Uint8Array.from({ length: 32 }, (_, i) => (start + i) & 0xff));
const coordinator = seeded(1);
const intruder = seeded(90);
const DIGEST = 'ab'.repeat(64);

function chain(secretKey = coordinator.secretKey): AuditLog {
  const inputs: Array<{ kind: string; site: string | null; data: unknown }> = [
    { kind: 'site.enrolled', site: 'hospital-a', data: { publicKey: 'x' } },
    { kind: 'task.published', site: null, data: { hash: 'c'.repeat(64), name: 'cad' } },
    { kind: 'run.started', site: null, data: { run: 1, rounds: 2 } },
    { kind: 'site.message', site: 'hospital-a', data: { type: 'update/submit', round: 1, attempt: 1, phase: 'train', digest: DIGEST } },
    { kind: 'round.completed', site: null, data: { round: 1, attempt: 1, trained: ['hospital-a'], failures: [] } },
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
  it('canonical JSON sorts keys at every depth', () => {
    expect(canonicalJson({ b: 1, a: { d: [{ z: 1, y: 2 }], c: null } })).toBe('{"a":{"c":null,"d":[{"y":2,"z":1}]},"b":1}');
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

  it('compares digests with the site\'s own records', () => {
    const mine = { kind: 'update/submit', round: 1, attempt: 1, digest: DIGEST };
    expect(verify(chain(), { site: 'hospital-a', siteRecords: [mine] }).ok).toBe(true);
    const other = { ...mine, digest: 'ef'.repeat(64) };
    expect(problemsOf(chain(), { site: 'hospital-a', siteRecords: [other] })).toEqual([
      `seq 4: the log records digest ${DIGEST} for update/submit round 1 attempt 1 of hospital-a, but the site signed ${other.digest}`,
    ]);
    // Another site's records say nothing about hospital-a's entries.
    expect(verify(chain(), { site: 'hospital-b', siteRecords: [other] }).ok).toBe(true);
  });
});
