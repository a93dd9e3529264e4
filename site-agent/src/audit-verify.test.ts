// `cohort-site audit verify`: a coordinator's exported log, checked with the pinned key.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AUDIT_FORMAT, AUDIT_GENESIS_HASH, encodePublicKey, identityFromSeed, signAuditEntry, type AuditEntry } from '@cohortfl/identity';
import { runCli } from './cli-app.js';
import { removeTempDirs, siteFolder, type SiteFolder } from './site-fixtures.test-suite.js';

const coordinator = identityFromSeed(new Uint8Array(32).fill(7));
const stranger = identityFromSeed(new Uint8Array(32).fill(8));
let folder: SiteFolder;

function logFile(name: string, secretKey: Uint8Array, mutate: (entries: AuditEntry[]) => void = () => {}): string {
  const entries: AuditEntry[] = [];
  for (const [i, kind] of ['site.enrolled', 'task.published', 'run.started'].entries()) {
    entries.push(signAuditEntry(secretKey, { seq: i + 1, at: 100 + i, kind, site: null, data: { i }, prevHash: entries[i - 1]?.hash ?? AUDIT_GENESIS_HASH }));
  }
  mutate(entries);
  const path = join(folder.dir, name);
  writeFileSync(path, JSON.stringify({ format: AUDIT_FORMAT, coordinatorPublicKey: encodePublicKey(coordinator.publicKey), entries }));
  return path;
}

async function cli(args: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await runCli(args, { out: (l) => out.push(l), err: (l) => err.push(l) });
  return { code, out, err };
}

beforeAll(() => {
  folder = siteFolder({ site: 'northgate', coordinatorUrl: 'http://127.0.0.1:7300', coordinatorKey: encodePublicKey(coordinator.publicKey), approved: [] });
});
afterAll(removeTempDirs);

describe('cohort-site audit verify', () => {
  it('prints OK and the number of entries for an intact log', async () => {
    const r = await cli(['audit', 'verify', logFile('ok.json', coordinator.secretKey), '--config', folder.configPath]);
    expect(r).toEqual({ code: 0, out: ['OK: 3 audit entries; the hash chain and every coordinator signature verify'], err: [] });
  });

  it('lists each problem and exits with SIGNATURE_INVALID (6) for a tampered log', async () => {
    const path = logFile('cut.json', coordinator.secretKey, (entries) => entries.splice(1, 1));
    const r = await cli(['audit', 'verify', path, '--config', folder.configPath]);
    expect(r.code).toBe(6);
    expect(r.out).toEqual([]);
    expect(r.err).toEqual([
      `${path}: seq 3: follows seq 1; entries 2..2 are missing (deleted)`,
      `${path}: seq 3: prevHash does not match the hash of the entry before it (seq 1); the chain is broken`,
      `cohort-site: the audit log ${path} does not verify (2 problems)`,
    ]);
  });

  it('refuses a log signed by a key other than the pinned one', async () => {
    const r = await cli(['audit', 'verify', logFile('forged.json', stranger.secretKey), '--config', folder.configPath]);
    expect(r.code).toBe(6);
    expect(r.err[0]).toMatch(/seq 1: the signature does not verify with the pinned coordinator key/);
  });

  it('says when the file is missing or not JSON (DATA_INVALID)', async () => {
    const missing = await cli(['audit', 'verify', join(folder.dir, 'nope.json'), '--config', folder.configPath]);
    expect(missing.err.join('\n')).toMatch(/cannot read the audit log .*nope\.json: ENOENT/);
    const notJson = join(folder.dir, 'bad.json');
    writeFileSync(notJson, '{');
    const bad = await cli(['audit', 'verify', notJson, '--config', folder.configPath]);
    expect(bad.err.join('\n')).toMatch(/bad\.json is not JSON/);
    expect(bad.code).toBe(missing.code);
    expect(bad.code).not.toBe(0);
  });
});
