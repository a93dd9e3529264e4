import { createHash, randomBytes, scrypt, timingSafeEqual } from 'node:crypto';
import type { ScryptOptions } from 'node:crypto';
import { CohortError } from '@cohortfl/wire';
import { decodeBase64Strict, encodeBase64 } from './bytes.js';

/** scrypt cost: N = 2^15, r = 8, p = 1 (OWASP's minimum; ~32 MiB and ~0.1 s per check). */
const SCRYPT = { N: 2 ** 15, r: 8, p: 1 } as const;
const SALT_BYTES = 16;
const HASH_BYTES = 32;
/** Bounds on parameters read back from config, so a bad file cannot ask for gigabytes. */
const MAX_LOG2_N = 20;
const MAX_R = 32;
const MAX_P = 16;
const MAX_MEMORY = 256 * 1024 * 1024;

/**
 * 32 random bytes, base64url (43 characters) behind a fixed `cfl_` prefix: for admin and
 * enrolment tokens. The prefix keeps a token from starting with '-', which a command line
 * (`--token <token>`) would read as options, and makes a leaked token easy to recognise.
 */
export function generateToken(): string {
  return `cfl_${randomBytes(32).toString('base64url')}`;
}

/**
 * Compares two tokens without a data-dependent early exit. Both sides are hashed to a
 * fixed 32 bytes first, so not even the length of the expected token leaks by timing.
 */
export function constantTimeEqual(a: string | Uint8Array, b: string | Uint8Array): boolean {
  const left = createHash('sha256').update(a).digest();
  const right = createHash('sha256').update(b).digest();
  return timingSafeEqual(left, right) && byteLength(a) === byteLength(b);
}

function byteLength(value: string | Uint8Array): number {
  return typeof value === 'string' ? Buffer.byteLength(value, 'utf8') : value.length;
}

/** Hashes an admin token for storage as `scrypt$N$r$p$<salt base64>$<hash base64>`. */
export async function hashAdminToken(token: string): Promise<string> {
  if (typeof token !== 'string' || token.length === 0) {
    throw new CohortError('CONFIG_INVALID', 'an admin token must be a non-empty string');
  }
  const salt = randomBytes(SALT_BYTES);
  const hash = await derive(token, salt, SCRYPT.N, SCRYPT.r, SCRYPT.p);
  return ['scrypt', SCRYPT.N, SCRYPT.r, SCRYPT.p, encodeBase64(salt), encodeBase64(hash)].join('$');
}

/**
 * True if `token` matches the stored hash. A malformed stored hash is a config error
 * (CONFIG_INVALID), not a failed login, so an operator's typo does not lock them out silently.
 */
export async function verifyAdminToken(token: string, stored: string): Promise<boolean> {
  const parsed = parseStored(stored);
  if (typeof token !== 'string') return false;
  const hash = await derive(token, parsed.salt, parsed.N, parsed.r, parsed.p);
  return timingSafeEqual(hash, parsed.hash);
}

function parseStored(stored: string): { N: number; r: number; p: number; salt: Buffer; hash: Buffer } {
  const shape = `expected 'scrypt$N$r$p$<salt base64>$<hash base64>' as written by hashAdminToken`;
  const parts = typeof stored === 'string' ? stored.split('$') : [];
  if (parts.length !== 6 || parts[0] !== 'scrypt') throw badStored(shape);
  const [N, r, p] = parts.slice(1, 4).map((part) => (/^[1-9][0-9]{0,9}$/.test(part) ? Number(part) : NaN)) as [number, number, number];
  const powerOfTwo = Number.isInteger(N) && N >= 2 && N <= 2 ** MAX_LOG2_N && (N & (N - 1)) === 0;
  if (!powerOfTwo || !(r >= 1 && r <= MAX_R) || !(p >= 1 && p <= MAX_P) || 128 * N * r > MAX_MEMORY) {
    throw badStored(
      `N must be a power of two up to 2^${MAX_LOG2_N}, r in [1, ${MAX_R}], p in [1, ${MAX_P}], 128·N·r at most 256 MiB; ${shape}`,
    );
  }
  const salt = decodeBase64Strict(parts[4]!);
  const hash = decodeBase64Strict(parts[5]!);
  if (salt === undefined || salt.length !== SALT_BYTES || hash === undefined || hash.length !== HASH_BYTES) {
    throw badStored(`salt must be ${SALT_BYTES} bytes and hash ${HASH_BYTES} bytes; ${shape}`);
  }
  return { N, r, p, salt: Buffer.from(salt), hash: Buffer.from(hash) };
}

function derive(token: string, salt: Buffer, N: number, r: number, p: number): Promise<Buffer> {
  // scrypt needs 128·N·r bytes; Node's default 32 MiB cap is exactly at our N, r.
  const options: ScryptOptions = { N, r, p, maxmem: 256 * N * r + 1024 * 1024 };
  return new Promise((resolve, reject) => {
    scrypt(token, salt, HASH_BYTES, options, (error, key) => (error ? reject(error) : resolve(key)));
  });
}

function badStored(why: string): CohortError {
  return new CohortError('CONFIG_INVALID', `stored admin token hash is invalid: ${why}`);
}
