/** tryAppendAudit's group commit: queued entries go in together, in order, as one valid chain. */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { AUDIT_FORMAT, encodePublicKey, identityFromSeed, verifyAuditLog } from '@cohortfl/identity';
import { openStore, type Store } from '../store/index.js';
import { tempDir } from '../store/fixtures.test-suite.js';
import { AUDIT_KINDS, appendAudit, flushAudit, tryAppendAudit } from './audit-log.js';

const identity = identityFromSeed(new Uint8Array(32).fill(7));
const logger = { error: vi.fn(), warn: vi.fn(), info: vi.fn() } as never;
const cleanups: (() => void)[] = [];

afterEach(() => {
  for (const c of cleanups.splice(0)) c();
});

function store(): Store {
  const t = tempDir();
  const s = openStore(t.path);
  cleanups.push(() => {
    s.close();
    t.cleanup();
  });
  return s;
}

const entry = (i: number) => ({ at: 1000 + i, kind: AUDIT_KINDS.MESSAGE_ACCEPTED, site: `site-${i}`, data: { i } });
const verifies = (s: Store) =>
  verifyAuditLog({ format: AUDIT_FORMAT, coordinatorPublicKey: encodePublicKey(identity.publicKey), entries: s.listAudit() }, { coordinatorPublicKey: identity.publicKey }).ok;

describe('audit group commit', () => {
  it('commits a burst in one transaction at the end of the turn, in order, as a chain that verifies', async () => {
    const s = store();
    const batches = vi.spyOn(s, 'appendAuditEntries');
    for (let i = 0; i < 20; i++) tryAppendAudit(s, identity, logger, entry(i));
    expect(s.listAudit()).toHaveLength(0); // queued
    await new Promise((resolve) => setImmediate(resolve));
    expect(batches).toHaveBeenCalledTimes(1);
    const entries = s.listAudit();
    expect(entries.map((e) => e.seq)).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
    expect(entries.map((e) => e.site)).toEqual(Array.from({ length: 20 }, (_, i) => `site-${i}`));
    expect(verifies(s)).toBe(true);
  });

  it('flushes before a direct append and on flushAudit, so the chain keeps the order of the events', () => {
    const s = store();
    tryAppendAudit(s, identity, logger, entry(0));
    tryAppendAudit(s, identity, logger, entry(1));
    appendAudit(s, identity, entry(2));
    tryAppendAudit(s, identity, logger, entry(3));
    flushAudit(s);
    expect(s.listAudit().map((e) => e.site)).toEqual(['site-0', 'site-1', 'site-2', 'site-3']);
    expect(verifies(s)).toBe(true);
    flushAudit(s); // nothing queued: nothing written
    expect(s.listAudit()).toHaveLength(4);
  });

  it('logs each entry of a batch that could not be committed, and does not throw', () => {
    const s = store();
    const errors = vi.fn();
    vi.spyOn(s, 'appendAuditEntries').mockImplementation(() => {
      throw new Error('disk full');
    });
    tryAppendAudit(s, identity, { error: errors } as never, entry(0));
    tryAppendAudit(s, identity, { error: errors } as never, entry(1));
    expect(() => flushAudit(s)).not.toThrow();
    expect(errors).toHaveBeenCalledTimes(2);
  });
});
