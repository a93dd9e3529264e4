/** The files of a coordinator data directory, in one place (README: "Data directory"). */
import { join, resolve } from 'node:path';

export interface DataPaths {
  dir: string;
  key: string;
  db: string;
  token: string;
  /** The read-only dashboard token (derived from the admin token). */
  viewerToken: string;
  config: string;
  serve: string;
}

export function dataPaths(dataDir: string): DataPaths {
  const dir = resolve(dataDir);
  return {
    dir,
    key: join(dir, 'coordinator.key'),
    db: join(dir, 'coordinator.db'),
    token: join(dir, 'admin-token'),
    viewerToken: join(dir, 'viewer-token'),
    config: join(dir, 'config.json'),
    serve: join(dir, 'serve.json'),
  };
}

/** DB meta key holding the scrypt hash of the admin token. */
export const ADMIN_TOKEN_META = 'admin_token_hash';

/** DB meta key holding the scrypt hash of the read-only viewer token. */
export const VIEWER_TOKEN_META = 'viewer_token_hash';
