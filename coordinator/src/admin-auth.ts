/**
 * Bearer-token check for the admin API and the dashboard. Two tokens open it: the
 * admin token (role 'operator': may start and stop runs) and the viewer token (role
 * 'viewer': read-only), which is derived from the admin token so the operator can
 * always recompute it (`viewerTokenOf`); the admin token cannot be had from it. The store keeps only
 * the scrypt hash of each.
 *
 * No scrypt on the hot path: at start the coordinator reads its admin token from
 * `<data-dir>/admin-token` (0600, beside the coordinator key it already reads), checks it
 * and its viewer token against the stored scrypt hashes once, and keeps only
 * HMAC-SHA256 of each under a random key made for this process. Every presented token is
 * then HMAC'd under the same key and compared with `timingSafeEqual` against both: a
 * microsecond each, whatever the token, so a flood of wrong tokens cannot crowd out the
 * operator's. Neither the tokens nor anything that outlives the process is kept.
 *
 * Without a usable admin-token file (removed by the operator, or not matching the store)
 * the check falls back to scrypt: a token that passes is remembered the same way (its
 * HMAC), wrong ones in a bounded set, and at most MAX_CHECKS_IN_FLIGHT scrypt checks run
 * at once; beyond that an unknown token is refused unchecked. Only that fallback can be
 * crowded out by a flood, until the operator's token has passed once.
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { verifyAdminToken } from '@cohortfl/identity';

const MAX_CACHED = 256;
/** Fallback only: scrypt checks running at once; more unknown tokens than this are refused without a check. */
export const MAX_CHECKS_IN_FLIGHT = 2;

/** Domain of the viewer-token derivation: the HMAC key is the admin token. */
export const VIEWER_TOKEN_DOMAIN = 'cohortfl/v1/dashboard-viewer';
/** Viewer tokens are recognisable at a glance (and never equal an admin token). */
export const VIEWER_TOKEN_PREFIX = 'view-';

export type Role = 'operator' | 'viewer';
export type AdminAuth = (authorization: string | undefined) => Promise<Role | null>;

export interface AdminAuthOptions {
  /**
   * The admin token as `<data-dir>/admin-token` holds it. Checked once against the stored
   * hash (and its viewer token against the viewer hash); when both pass, no token is ever
   * checked with scrypt again. Absent or not matching: the scrypt fallback.
   */
  adminToken?: string;
}

/** What createAdminAuth found at start: whether every valid token is known without scrypt. */
export interface AdminAuthSetup {
  auth: AdminAuth;
  /** 'keyed': every token is checked by the keyed comparison; 'scrypt': the fallback is in use. */
  mode: 'keyed' | 'scrypt';
}

/** The read-only dashboard token that belongs to an admin token. */
export function viewerTokenOf(adminToken: string): string {
  return `${VIEWER_TOKEN_PREFIX}${createHmac('sha256', adminToken).update(VIEWER_TOKEN_DOMAIN, 'utf8').digest('base64url')}`;
}

/** `Bearer <token>` → the token, or undefined. */
export function bearerToken(authorization: string | undefined): string | undefined {
  return /^Bearer ([^\s]{1,512})$/.exec(authorization ?? '')?.[1];
}

export async function createAdminAuth(adminHash: string, viewerHash?: string, options: AdminAuthOptions = {}): Promise<AdminAuthSetup> {
  // Per process: a MAC kept in memory says nothing about the token after the process ends.
  const key = randomBytes(32);
  const mac = (token: string): Buffer => createHmac('sha256', key).update(token, 'utf8').digest();
  const known: { mac: Buffer; role: Role }[] = [];
  const check = async (token: string): Promise<Role | null> => {
    // The prefix only picks which hash to try; each hash check is itself constant-time.
    if (viewerHash !== undefined && token.startsWith(VIEWER_TOKEN_PREFIX)) return (await verifyAdminToken(token, viewerHash)) ? 'viewer' : null;
    return (await verifyAdminToken(token, adminHash)) ? 'operator' : null;
  };

  if (options.adminToken !== undefined && options.adminToken.length > 0) {
    const viewer = viewerTokenOf(options.adminToken);
    const [admin, view] = await Promise.all([verifyAdminToken(options.adminToken, adminHash), viewerHash === undefined ? false : verifyAdminToken(viewer, viewerHash)]);
    if (admin) known.push({ mac: mac(options.adminToken), role: 'operator' });
    if (view) known.push({ mac: mac(viewer), role: 'viewer' });
  }
  const complete = known.some((k) => k.role === 'operator') && (viewerHash === undefined || known.some((k) => k.role === 'viewer'));

  /** Compares against every known MAC, without an early exit. */
  const lookup = (presented: Buffer): Role | null => {
    let role: Role | null = null;
    for (const k of known) if (timingSafeEqual(presented, k.mac)) role = k.role;
    return role;
  };

  const refused = new Set<string>();
  const pending = new Map<string, Promise<Role | null>>();
  const auth: AdminAuth = async (authorization) => {
    const token = bearerToken(authorization);
    if (token === undefined) return null;
    const presented = mac(token);
    const role = lookup(presented);
    if (role || complete) return role;
    // The fallback: scrypt, bounded.
    const id = presented.toString('hex');
    if (refused.has(id)) return null;
    let verdict = pending.get(id);
    if (!verdict) {
      if (pending.size >= MAX_CHECKS_IN_FLIGHT) return null;
      verdict = check(token).then((granted) => {
        pending.delete(id);
        if (granted) {
          if (lookup(presented) === null) known.push({ mac: presented, role: granted });
        } else {
          if (refused.size >= MAX_CACHED) refused.clear();
          refused.add(id);
        }
        return granted;
      });
      pending.set(id, verdict);
    }
    return verdict;
  };
  return { auth, mode: complete ? 'keyed' : 'scrypt' };
}
