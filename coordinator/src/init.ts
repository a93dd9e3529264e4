/**
 * `cohort-coordinator init`: a new data directory with the coordinator's key,
 * an empty store, the admin token (plaintext for the operator's CLI, 0600; only its
 * scrypt hash goes into the store), the read-only viewer token derived from it (same
 * treatment) and a config file spelling out the defaults.
 */
import { chmodSync, existsSync, mkdirSync } from 'node:fs';
import { encodePublicKey, fingerprint, generateIdentity, generateToken, hashAdminToken, writeKeyFile } from '@cohortfl/identity';
import { CohortError } from '@cohortfl/wire';
import { defaultConfigFile } from './config.js';
import { viewerTokenOf } from './admin-auth.js';
import { ADMIN_TOKEN_META, VIEWER_TOKEN_META, dataPaths, type DataPaths } from './data-dir.js';
import { writeNewFile } from './private-file.js';
import { openStore } from './store/index.js';

export interface InitResult {
  paths: DataPaths;
  /** `ed25519:…`: what every site pins. */
  publicKey: string;
  fingerprint: string;
}

export async function initCoordinator(dataDir: string): Promise<InitResult> {
  const paths = dataPaths(dataDir);
  const present = [paths.key, paths.db, paths.token, paths.viewerToken, paths.config].filter((p) => existsSync(p));
  if (present.length > 0) {
    throw new CohortError('CONFIG_INVALID', `${paths.dir} is already initialized (${present.join(', ')} exist); refusing to overwrite`);
  }
  mkdirSync(paths.dir, { recursive: true, mode: 0o700 });
  const token = generateToken();
  const tokenHash = await hashAdminToken(token);
  const viewerToken = viewerTokenOf(token);
  const viewerHash = await hashAdminToken(viewerToken);
  const identity = generateIdentity();
  writeKeyFile(paths.key, identity);
  const store = openStore(paths.db);
  try {
    store.setMeta(ADMIN_TOKEN_META, tokenHash);
    store.setMeta(VIEWER_TOKEN_META, viewerHash);
  } finally {
    store.close();
  }
  // It holds the token hash and every site's key; only the operator reads it.
  if (process.platform !== 'win32') chmodSync(paths.db, 0o600);
  writeNewFile(paths.token, `${token}\n`, 0o600);
  writeNewFile(paths.viewerToken, `${viewerToken}\n`, 0o600);
  writeNewFile(paths.config, `${JSON.stringify(defaultConfigFile(), null, 2)}\n`, 0o644);
  return { paths, publicKey: encodePublicKey(identity.publicKey), fingerprint: fingerprint(identity.publicKey) };
}
