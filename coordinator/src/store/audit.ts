/** The audit table: append one entry at the chain's head, read them all in order. */
import type Database from 'better-sqlite3';
import type { AuditEntry } from '@cohortfl/identity';
import { AUDIT_GENESIS_HASH } from '@cohortfl/identity';
import type { Store } from './types.js';

interface AuditRecord {
  seq: number;
  at: number;
  kind: string;
  site: string | null;
  data_json: string;
  prev_hash: string;
  hash: string;
  sig: string;
}

const toEntry = (r: AuditRecord): AuditEntry => ({
  seq: r.seq,
  at: r.at,
  kind: r.kind,
  site: r.site,
  data: JSON.parse(r.data_json) as unknown,
  prevHash: r.prev_hash,
  hash: r.hash,
  sig: r.sig,
});

export function auditOps(db: Database.Database): Pick<Store, 'appendAuditEntry' | 'appendAuditEntries' | 'listAudit'> {
  const head = db.prepare<[], { seq: number; hash: string }>('SELECT seq, hash FROM audit ORDER BY seq DESC LIMIT 1');
  const insert = db.prepare<[number, number, string, string | null, string, string, string, string]>(
    'INSERT INTO audit (seq, at, kind, site, data_json, prev_hash, hash, sig) VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
  );
  const all = db.prepare<[], AuditRecord>('SELECT * FROM audit ORDER BY seq');
  // Reading the head and inserting after it in one immediate transaction: two writers cannot fork the chain.
  const append = db.transaction((build: (seq: number, prevHash: string) => AuditEntry): AuditEntry => {
    const last = head.get();
    const entry = build((last?.seq ?? 0) + 1, last?.hash ?? AUDIT_GENESIS_HASH);
    insert.run(entry.seq, entry.at, entry.kind, entry.site, JSON.stringify(entry.data), entry.prevHash, entry.hash, entry.sig);
    return entry;
  });
  // Several entries at the head of the chain, in order, in one transaction: one commit (one fsync) for all.
  const appendMany = db.transaction((builds: readonly ((seq: number, prevHash: string) => AuditEntry)[]): AuditEntry[] => {
    const last = head.get();
    let seq = last?.seq ?? 0;
    let prevHash = last?.hash ?? AUDIT_GENESIS_HASH;
    const out: AuditEntry[] = [];
    for (const build of builds) {
      const entry = build(seq + 1, prevHash);
      insert.run(entry.seq, entry.at, entry.kind, entry.site, JSON.stringify(entry.data), entry.prevHash, entry.hash, entry.sig);
      seq = entry.seq;
      prevHash = entry.hash;
      out.push(entry);
    }
    return out;
  });
  return {
    appendAuditEntry: (build) => append.immediate(build),
    appendAuditEntries: (builds) => appendMany.immediate(builds),
    listAudit: () => all.all().map(toEntry),
  };
}
