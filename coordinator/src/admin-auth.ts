/**
 * Bearer-token check for the admin API. scrypt takes ~0.1 s, so each verdict is
 * cached under the token's SHA-256 (never the token itself); the cache is bounded
 * so a flood of wrong tokens cannot grow it without limit.
 */
import { createHash } from 'node:crypto';
import { verifyAdminToken } from '@cohortfl/identity';

const MAX_CACHED = 256;

export type AdminAuth = (authorization: string | undefined) => Promise<boolean>;

export function createAdminAuth(storedHash: string): AdminAuth {
  const verdicts = new Map<string, Promise<boolean>>();
  return async (authorization) => {
    const match = /^Bearer ([^\s]{1,512})$/.exec(authorization ?? '');
    if (!match) return false;
    const token = match[1]!;
    const key = createHash('sha256').update(token).digest('hex');
    let verdict = verdicts.get(key);
    if (!verdict) {
      if (verdicts.size >= MAX_CACHED) verdicts.clear();
      verdict = verifyAdminToken(token, storedHash);
      verdicts.set(key, verdict);
    }
    return verdict;
  };
}
