import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { encodePublicKey, readKeyFile, verifyAdminToken } from '@cohortfl/identity';
import { isCohortError } from '@cohortfl/wire';
import { runCli } from './cli-app.js';
import { viewerTokenOf } from './admin-auth.js';
import { ADMIN_TOKEN_META, VIEWER_TOKEN_META, dataPaths } from './data-dir.js';
import { initCoordinator } from './init.js';
import { openStore } from './store/index.js';

const root = mkdtempSync(join(tmpdir(), 'cohort-init-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

const mode = (path: string) => statSync(path).mode & 0o777;

function cli(argv: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  return runCli(argv, { out: (l) => out.push(l), err: (l) => err.push(l), env: {} }).then((code) => ({ code, out, err }));
}

describe('init', () => {
  it('creates the key (0600), the store with the token hash, the token (0600) and the config', async () => {
    const dir = join(root, 'a');
    const result = await initCoordinator(dir);
    const paths = dataPaths(dir);
    expect(mode(paths.key)).toBe(0o600);
    expect(mode(paths.token)).toBe(0o600);
    expect(mode(paths.db)).toBe(0o600);
    expect(encodePublicKey(readKeyFile(paths.key).publicKey)).toBe(result.publicKey);
    const token = readFileSync(paths.token, 'utf8').trim();
    expect(token).toMatch(/^cfl_[A-Za-z0-9_-]{43}$/);
    const store = openStore(paths.db);
    const hash = store.getMeta(ADMIN_TOKEN_META)!;
    store.close();
    expect(hash).toMatch(/^scrypt\$/);
    expect(hash).not.toContain(token);
    expect(await verifyAdminToken(token, hash)).toBe(true);
    expect(await verifyAdminToken(`${token}x`, hash)).toBe(false);
    expect(JSON.parse(readFileSync(paths.config, 'utf8'))).toMatchObject({ host: '127.0.0.1', port: 7300, retryDelayMs: 2000 });
    // The read-only viewer token: derived from the admin token, 0600, only its hash in the store.
    const viewer = readFileSync(paths.viewerToken, 'utf8').trim();
    expect(mode(paths.viewerToken)).toBe(0o600);
    expect(viewer).toBe(viewerTokenOf(token));
    expect(viewer).not.toBe(token);
    const viewerHash = openStore(paths.db);
    const stored = viewerHash.getMeta(VIEWER_TOKEN_META)!;
    viewerHash.close();
    expect(await verifyAdminToken(viewer, stored)).toBe(true);
    expect(await verifyAdminToken(token, stored)).toBe(false);
  });

  it('refuses to run twice and leaves the first key and token untouched', async () => {
    const dir = join(root, 'b');
    await initCoordinator(dir);
    const paths = dataPaths(dir);
    const key = readFileSync(paths.key, 'utf8');
    const token = readFileSync(paths.token, 'utf8');
    const second = await initCoordinator(dir).catch((e: unknown) => e);
    expect(isCohortError(second, 'CONFIG_INVALID')).toBe(true);
    expect((second as Error).message).toMatch(/already initialized/);
    expect(readFileSync(paths.key, 'utf8')).toBe(key);
    expect(readFileSync(paths.token, 'utf8')).toBe(token);
  });

  it('through the CLI: prints the key and where the token is; a second run exits 2', async () => {
    const dir = join(root, 'c');
    const first = await cli(['init', '--data-dir', dir]);
    expect(first.code).toBe(0);
    const key = encodePublicKey(readKeyFile(dataPaths(dir).key).publicKey);
    expect(first.out).toEqual([
      `initialized ${dataPaths(dir).dir}`,
      `coordinator public key: ${key}`,
      expect.stringMatching(/^fingerprint: [0-9a-f]{4}(:[0-9a-f]{4}){3}$/),
      `admin token: ${dataPaths(dir).token} (mode 0600)`,
      `dashboard viewer token (read-only): ${dataPaths(dir).viewerToken} (mode 0600)`,
    ]);
    const second = await cli(['init', '--data-dir', dir]);
    expect(second.code).toBe(2);
    expect(second.err.join('\n')).toMatch(/already initialized/);
  });

  it('the CLI refuses unknown commands and options, and commands without a data directory (exit 2)', async () => {
    expect((await cli(['frobnicate'])).code).toBe(2);
    expect((await cli(['init', '--data-dir', join(root, 'd'), '--colour'])).code).toBe(2);
    const noDir = await cli(['sites', 'list']);
    expect(noDir.code).toBe(2);
    expect(noDir.err.join('\n')).toMatch(/--data-dir/);
    const notInit = await cli(['sites', 'list', '--data-dir', join(root, 'never')]);
    expect(notInit.code).toBe(2);
    expect(notInit.err.join('\n')).toMatch(/not an initialized data directory/);
  });
});
