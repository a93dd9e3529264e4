import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { decodePublicKey, encodePublicKey, identityFromSeed, verifyAuditLog, type AuditLog } from '@cohortfl/identity';
import { runCli } from '../cli-app.js';
import { dataPaths } from '../data-dir.js';
import { makeDataDir, removeDataDirs, startTest, tinyTask, withStore } from '../fixtures.test-suite.js';

const key = (seed: number) => encodePublicKey(identityFromSeed(new Uint8Array(32).fill(seed)).publicKey);

async function cli(argv: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await runCli(argv, { out: (l) => out.push(l), err: (l) => err.push(l), env: {} });
  return { code, out, err };
}

afterAll(() => removeDataDirs());

describe('audit log', () => {
  it('records enrolment, revocation, publication and a run start as a chain that verifies', async () => {
    const dataDir = await makeDataDir();
    const d = ['--data-dir', dataDir];
    expect((await cli(['sites', 'add', 'hospital-a', '--public-key', key(1), ...d])).code).toBe(0);
    expect((await cli(['sites', 'add', 'hospital-b', '--public-key', key(2), ...d])).code).toBe(0);
    expect((await cli(['sites', 'revoke', 'hospital-b', '--reason', 'left the consortium', ...d])).code).toBe(0);
    expect((await cli(['sites', 'revoke', 'hospital-b', ...d])).code).toBe(0); // already revoked: no second event
    const built = await tinyTask();
    const taskFile = join(dataDir, '..', 'tiny.json');
    writeFileSync(taskFile, built.json);
    expect((await cli(['tasks', 'publish', taskFile, ...d])).code).toBe(0);
    expect((await cli(['tasks', 'publish', taskFile, ...d])).code).toBe(0); // same task again: no second event
    const c = await startTest(dataDir);
    try {
      const started = await cli(['rounds', 'start', '--task', 'tiny', ...d]);
      expect(started.err).toEqual([]);
    } finally {
      await c.close();
    }

    const out = join(dataDir, '..', 'audit.json');
    const exported = await cli(['audit', 'export', '--out', out, ...d]);
    expect(exported.out).toEqual([`wrote 6 audit entries to ${out}`]);
    const log = JSON.parse(readFileSync(out, 'utf8')) as AuditLog;
    expect(log.entries.map((e) => [e.seq, e.kind, e.site])).toEqual([
      [1, 'site.enrolled', 'hospital-a'],
      [2, 'site.enrolled', 'hospital-b'],
      [3, 'site.revoked', 'hospital-b'],
      [4, 'task.published', null],
      [5, 'run.started', null],
      // Each export seals the log with a signed entry counting the entries before it.
      [6, 'audit.exported', null],
    ]);
    expect(log.entries[5]!.data).toEqual({ entries: 5 });
    expect(log.entries[2]!.data).toEqual({ reason: 'left the consortium' });
    expect(log.entries[4]!.data).toMatchObject({ run: 1, taskHash: built.hash, rounds: 2, holdOut: [] });
    const verdict = verifyAuditLog(log, { coordinatorPublicKey: decodePublicKey(c.publicKey), requireExportSeal: true });
    expect(verdict).toMatchObject({ ok: true });
    // Entries cut off the end take the seal with them.
    expect(verifyAuditLog({ ...log, entries: log.entries.slice(0, 4) }, { coordinatorPublicKey: decodePublicKey(c.publicKey), requireExportSeal: true })).toMatchObject({
      ok: false,
      problems: [expect.stringMatching(/does not end with the coordinator's signed export entry/)],
    });

    // An edit made behind the CLI's back, bypassing the triggers, is caught by the verifier.
    (log.entries[0]!.data as { publicKey: string }).publicKey = key(3);
    expect(verifyAuditLog(log, { coordinatorPublicKey: decodePublicKey(c.publicKey) })).toEqual({
      ok: false,
      problems: ["seq 1: hash mismatch; the entry's content was changed after it was logged"],
    });

    const raw = new Database(dataPaths(dataDir).db);
    try {
      expect(() => raw.prepare("UPDATE audit SET kind = 'x' WHERE seq = 1").run()).toThrow(/append-only: UPDATE on audit refused/);
      expect(() => raw.prepare('DELETE FROM audit WHERE seq = 5').run()).toThrow(/append-only: DELETE on audit refused/);
    } finally {
      raw.close();
    }
    expect(withStore(dataDir, (store) => store.listAudit().length)).toBe(6);
  });

  it('prints the log to stdout without --out', async () => {
    const dataDir = await makeDataDir();
    const r = await cli(['audit', 'export', '--data-dir', dataDir]);
    expect(r.code).toBe(0);
    const log = JSON.parse(r.out.join('\n')) as AuditLog;
    // An empty log is still sealed: a file holding nothing at all would not verify.
    expect(log).toMatchObject({ format: 'cohortfl-audit/1', entries: [{ seq: 1, kind: 'audit.exported', data: { entries: 0 } }] });
    expect(log.coordinatorPublicKey).toMatch(/^ed25519:/);
  });
});
