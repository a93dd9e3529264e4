/**
 * Bearer-token check for the admin API and the dashboard. Two tokens open it: the
 * admin token (role 'operator': may start and stop runs) and the viewer token (role
 * 'viewer': read-only), which is derived from the admin token so the operator can
 * always recompute it (`viewerTokenOf`); the admin token cannot be had from it. The store keeps only
 * the scrypt hash of each. scrypt takes ~0.1 s and 32 MiB, so: a token that passed is
 * remembered under its SHA-256 (never the token itself) and never evicted (there are only
 * two valid tokens); wrong ones are remembered in a bounded map; and at most
 * MAX_CHECKS_IN_FLIGHT scrypt checks run at once, so a flood of wrong tokens cannot tie up
 * the server or push the operator's verdict out: beyond that, an unknown token is refused.
 */
import { createHash, createHmac } from 'node:crypto';
import { verifyAdminToken } from '@cohortfl/identity';

const MAX_CACHED = 256;
/** scrypt checks running at once; more unknown tokens than this are refused without a check. */
export const MAX_CHECKS_IN_FLIGHT = 2;

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
  const granted = new Map<string, Role>();
  const refused = new Set<string>();
  const pending = new Map<string, Promise<Role | null>>();
  const check = async (token: string): Promise<Role | null> => {
    // The prefix only picks which hash to try; each hash check is itself constant-time.
    if (viewerHash !== undefined && token.startsWith(VIEWER_TOKEN_PREFIX)) return (await verifyAdminToken(token, viewerHash)) ? 'viewer' : null;
    return (await verifyAdminToken(token, adminHash)) ? 'operator' : null;
  };
  return async (authorization) => {
    const token = bearerToken(authorization);
    if (token === undefined) return null;
    const key = createHash('sha256').update(token).digest('hex');
    const known = granted.get(key);
    if (known) return known;
    if (refused.has(key)) return null;
    let verdict = pending.get(key);
    if (!verdict) {
      if (pending.size >= MAX_CHECKS_IN_FLIGHT) return null;
      verdict = check(token).then((role) => {
        pending.delete(key);
        if (role) granted.set(key, role);
        else {
          if (refused.size >= MAX_CACHED) refused.clear();
          refused.add(key);
        }
        return role;
      });
      pending.set(key, verdict);
    }
    return verdict;
  };
}
