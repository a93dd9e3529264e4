import { afterAll, describe, expect, it } from 'vitest';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { encodePublicKey, generateIdentity } from '@cohortfl/identity';
import { createMembership, membershipFile } from '@cohortfl/protocol';
import { loadSiteConfig } from './config.js';
import { fileRevealedRounds, REVEALED_FILE } from './revealed-rounds.js';
import { removeTempDirs, siteFolder, tempDir } from './site-fixtures.test-suite.js';

afterAll(() => removeTempDirs());
const TASK = 'a1'.repeat(32);

describe('revealed-rounds.json', () => {
  it('survives a restart: a round revealed for stays revealed', () => {
    const dir = tempDir();
    const first = fileRevealedRounds(dir);
    expect(first.has(TASK, 3)).toBe(false);
    first.add(TASK, 3);
    first.add(TASK, 3);
    const again = fileRevealedRounds(dir);
    expect(again.has(TASK, 3)).toBe(true);
    expect(again.has(TASK, 4)).toBe(false);
    expect(again.size).toBe(1);
  });

  it('refuses to start afresh from a damaged file (that would allow a differenced retry)', () => {
    const dir = tempDir();
    writeFileSync(join(dir, REVEALED_FILE), '{"format":"cohortfl-revealed-rounds/1","rounds":[{"taskHash":"x"');
    expect(() => fileRevealedRounds(dir)).toThrow(/damaged; restore it/);
  });
});

describe('policy.consortium', () => {
  function folderWith(consortium: unknown, file?: string) {
    const folder = siteFolder({ site: 'northgate', coordinatorUrl: 'http://127.0.0.1:1', coordinatorKey: encodePublicKey(generateIdentity().publicKey), approved: [] });
    if (file !== undefined) writeFileSync(join(folder.dir, 'consortium.json'), file);
    const policy = JSON.parse(readFileSync(join(folder.dir, 'policy.json'), 'utf8'));
    writeFileSync(join(folder.dir, 'policy.json'), JSON.stringify({ ...policy, consortium }));
    return folder;
  }
  const membership = createMembership([
    { site: 'northgate', identityKey: encodePublicKey(generateIdentity().publicKey) },
    { site: 'southbank', identityKey: encodePublicKey(generateIdentity().publicKey) },
  ]);

  it('loads the file whose hash the hospital approved', () => {
    const folder = folderWith({ file: 'consortium.json', sha256: membership.digest }, membershipFile(membership));
    expect(loadSiteConfig(folder.configPath).membership?.digest).toBe(membership.digest);
  });

  it('refuses to start on a file whose membership is not the approved one, naming both hashes', () => {
    const other = createMembership([...membership.members, { site: 'intruder', identityKey: encodePublicKey(generateIdentity().publicKey) }]);
    const folder = folderWith({ file: 'consortium.json', sha256: membership.digest }, membershipFile(other));
    expect(() => loadSiteConfig(folder.configPath)).toThrow(new RegExp(`${other.digest}.*not the approved ${membership.digest}`));
  });

  it('accepts members inline, and refuses a duplicated key or a bad one', () => {
    const inline = folderWith({ members: membership.members });
    expect(loadSiteConfig(inline.configPath).membership?.sites).toEqual(['northgate', 'southbank']);
    const duplicated = folderWith({ members: [membership.members[0], { site: 'other', identityKey: membership.members[0]!.identityKey }] });
    expect(() => loadSiteConfig(duplicated.configPath)).toThrow(/listed for another site too/);
    const bad = folderWith({ members: [{ site: 'northgate', identityKey: 'ed25519:nope' }] });
    expect(() => loadSiteConfig(bad.configPath)).toThrow(/no valid identity key/);
  });
});
