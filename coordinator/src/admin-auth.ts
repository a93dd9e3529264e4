/**
 * Bearer-token check for the admin API and the dashboard. Two tokens open it: the
 * admin token (role 'operator': may start and stop runs) and the viewer token (role
 * 'viewer': read-only), which is derived from the admin token so an operator who
 * holds one can always recompute the other (`viewerTokenOf`). The store keeps only
 * the scrypt hash of each. scrypt takes ~0.1 s, so each verdict is cached under the
 * token's SHA-256 (never the token itself); the cache is bounded so a flood of wrong
 * tokens cannot grow it without limit.
 */
import { createHash, createHmac } from 'node:crypto';
import { verifyAdminToken } from '@cohortfl/identity';

const MAX_CACHED = 256;

/** Domain of the viewer-token derivation: the HMAC key is the admin token. */
export const VIEWER_TOKEN_DOMAIN = 'cohortfl/v1/dashboard-viewer';
/** Viewer tokens are recognisable at a glance (and never equal an admin token). */
export const VIEWER_TOKEN_PREFIX = 'view-';

export type Role = 'operator' | 'viewer';
export type AdminAuth = (authorization: string | undefined) => Promise<Role | null>;

/** The read-only dashboard token that belongs to an admin token. */
export function viewerTokenOf(adminToken: string): string {
  return `${VIEWER_TOKEN_PREFIX}${createHmac('sha256', adminToken).update(VIEWER_TOKEN_DOMAIN, 'utf8').digest('base64url')}`;
}

/** `Bearer <token>` → the token, or undefined. */
export function bearerToken(authorization: string | undefined): string | undefined {
  return /^Bearer ([^\s]{1,512})$/.exec(authorization ?? '')?.[1];
}

export function createAdminAuth(adminHash: string, viewerHash?: string): AdminAuth {
  const verdicts = new Map<string, Promise<Role | null>>();
  const check = async (token: string): Promise<Role | null> => {
    // The prefix only picks which hash to try; each hash check is itself constant-time.
    if (viewerHash !== undefined && token.startsWith(VIEWER_TOKEN_PREFIX)) return (await verifyAdminToken(token, viewerHash)) ? 'viewer' : null;
    return (await verifyAdminToken(token, adminHash)) ? 'operator' : null;
  };
  return async (authorization) => {
    const token = bearerToken(authorization);
    if (token === undefined) return null;
    const key = createHash('sha256').update(token).digest('hex');
    let verdict = verdicts.get(key);
    if (!verdict) {
      if (verdicts.size >= MAX_CACHED) verdicts.clear();
      verdict = check(token);
      verdicts.set(key, verdict);
    }
    return verdict;
  };
}
