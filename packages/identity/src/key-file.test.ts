import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { isCohortError } from '@cohortfl/wire';
import { readKeyFile, writeKeyFile } from './key-file.js';
import { encodePublicKey, identityFromSeed } from './keys.js';

const POSIX = process.platform !== 'win32';
const alice = identityFromSeed(Uint8Array.from({ length: 32 }, (_, i) => i));
const bob = identityFromSeed(Uint8Array.from({ length: 32 }, (_, i) => 100 + i));

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'cohortfl-key-'));
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

function configError(run: () => unknown): Error {
  try {
    run();
  } catch (error) {
    expect(isCohortError(error, 'CONFIG_INVALID')).toBe(true);
    return error as Error;
  }
  throw new Error('expected CONFIG_INVALID, nothing was thrown');
}

/** Writes a key file by hand (mode 0600) with some fields changed. */
function writeRaw(path: string, fields: Record<string, unknown>): void {
  writeFileSync(path, JSON.stringify(fields), { mode: 0o600 });
  if (POSIX) chmodSync(path, 0o600);
}

function validFields(): Record<string, unknown> {
  return {
    format: 'cohortfl-key/1',
    type: 'ed25519',
    publicKey: encodePublicKey(alice.publicKey),
    secretKey: Buffer.from(alice.secretKey).toString('base64'),
  };
}

describe('key files', () => {
  it('round-trips a key pair in the documented JSON form, leaving no temp file', () => {
    const path = join(dir, 'site.key');
    writeKeyFile(path, alice);
    expect(readKeyFile(path)).toEqual(alice);
    expect(JSON.parse(readFileSync(path, 'utf8'))).toEqual(validFields());
    expect(readdirSync(dir)).toEqual(['site.key']);
  });

  it.skipIf(!POSIX)('creates the file with mode 0600 whatever the umask', () => {
    for (const umask of [0o000, 0o022, 0o277]) {
      const path = join(dir, `umask-${umask}.key`);
      const previous = process.umask(umask);
      try {
        writeKeyFile(path, alice);
      } finally {
        process.umask(previous);
      }
      expect(statSync(path).mode & 0o777).toBe(0o600);
      expect(readKeyFile(path)).toEqual(alice);
    }
  });

  it.skipIf(!POSIX)('refuses a key file readable by group or other, naming the fix', () => {
    const path = join(dir, 'open.key');
    writeKeyFile(path, alice);
    chmodSync(path, 0o644);
    expect(configError(() => readKeyFile(path)).message).toContain(`chmod 600 ${path}`);
    chmodSync(path, 0o640);
    expect(configError(() => readKeyFile(path)).message).toContain('mode 0640');
    chmodSync(path, 0o601);
    configError(() => readKeyFile(path));
    chmodSync(path, 0o400);
    expect(readKeyFile(path)).toEqual(alice);
  });

  it('refuses to overwrite unless asked, naming the path, and keeps the old key', () => {
    const path = join(dir, 'site.key');
    writeKeyFile(path, alice);
    expect(configError(() => writeKeyFile(path, bob)).message).toContain(path);
    expect(readKeyFile(path)).toEqual(alice);
    writeKeyFile(path, bob, { overwrite: true });
    expect(readKeyFile(path)).toEqual(bob);
    if (POSIX) expect(statSync(path).mode & 0o777).toBe(0o600);
    expect(readdirSync(dir)).toEqual(['site.key']);
  });

  it('refuses to write a mismatched key pair', () => {
    configError(() => writeKeyFile(join(dir, 'x.key'), { publicKey: bob.publicKey, secretKey: alice.secretKey }));
    configError(() => writeKeyFile(join(dir, 'x.key'), { publicKey: alice.publicKey, secretKey: alice.secretKey.subarray(0, 32) }));
    expect(existsSync(join(dir, 'x.key'))).toBe(false);
    expect(readdirSync(dir)).toEqual([]);
  });

  it('reports a missing file or directory as CONFIG_INVALID', () => {
    configError(() => readKeyFile(join(dir, 'missing.key')));
    configError(() => writeKeyFile(join(dir, 'no-such-dir', 'a.key'), alice));
    mkdirSync(join(dir, 'a-dir'));
    expect(configError(() => readKeyFile(join(dir, 'a-dir'))).message).toMatch(/not a regular file/);
  });

  it('refuses a secret key that belongs to another public key (tampered file)', () => {
    const path = join(dir, 'mixed.key');
    writeRaw(path, { ...validFields(), publicKey: encodePublicKey(bob.publicKey) });
    expect(configError(() => readKeyFile(path)).message).toMatch(/does not belong/);
  });

  it('refuses a secret key whose seed was changed but whose embedded public key was kept', () => {
    const tampered = new Uint8Array(alice.secretKey);
    tampered[0] = tampered[0]! ^ 1;
    const path = join(dir, 'seed.key');
    writeRaw(path, { ...validFields(), secretKey: Buffer.from(tampered).toString('base64') });
    expect(configError(() => readKeyFile(path)).message).toMatch(/does not belong/);
  });

  it('refuses malformed files', () => {
    const path = join(dir, 'bad.key');
    const cases: Array<[string | Record<string, unknown>, RegExp]> = [
      ['not json', /not valid JSON/],
      ['[1,2]', /not a JSON object/],
      ['null', /not a JSON object/],
      [{ ...validFields(), format: 'cohortfl-key/2' }, /'format'/],
      [{ ...validFields(), type: 'rsa' }, /'type'/],
      [{ ...validFields(), extra: 1 }, /exactly the fields/],
      [{ format: 'cohortfl-key/1', type: 'ed25519', publicKey: encodePublicKey(alice.publicKey) }, /exactly the fields/],
      [{ ...validFields(), publicKey: 'ed25519:abc' }, /'publicKey'/],
      [{ ...validFields(), publicKey: 7 }, /'publicKey' must be a string/],
      [{ ...validFields(), secretKey: Buffer.from(alice.secretKey.subarray(0, 63)).toString('base64') }, /64 bytes/],
      [{ ...validFields(), secretKey: Buffer.from(alice.secretKey).toString('base64url') }, /64 bytes/],
      [{ ...validFields(), secretKey: ` ${Buffer.from(alice.secretKey).toString('base64')}` }, /64 bytes/],
    ];
    for (const [content, pattern] of cases) {
      writeFileSync(path, typeof content === 'string' ? content : JSON.stringify(content), { mode: 0o600 });
      const error = configError(() => readKeyFile(path));
      expect(error.message).toMatch(pattern);
      expect(error.message).toContain(path);
      // A message about a key file never quotes the secret.
      expect(error.message).not.toContain(Buffer.from(alice.secretKey).toString('base64').slice(0, 20));
    }
  });

  it('refuses an oversized file before parsing it', () => {
    const path = join(dir, 'big.key');
    writeFileSync(path, ' '.repeat(5000) + JSON.stringify(validFields()), { mode: 0o600 });
    expect(configError(() => readKeyFile(path)).message).toMatch(/larger than 4096 bytes/);
  });
});
