import { createHash } from 'node:crypto';
import { CohortError } from '@cohortfl/wire';
import { decodeBase64UrlStrict, encodeBase64Url, isBytes } from './bytes.js';
import { ed25519, generateSecretKey } from './ed25519.js';

/** An Ed25519 key pair; the secret key is tweetnacl's 64 bytes (seed || public key). */
export interface Identity {
  publicKey: Uint8Array;
  secretKey: Uint8Array;
}

export const PUBLIC_KEY_BYTES = 32;
export const SECRET_KEY_BYTES = 64;
export const SEED_BYTES = 32;
export const PUBLIC_KEY_PREFIX = 'ed25519:';

const KEY_SHAPE = `a public key looks like '${PUBLIC_KEY_PREFIX}' followed by 43 base64url characters (A-Z a-z 0-9 - _), the 32-byte Ed25519 key without padding`;

/** A fresh key pair: a 32-byte seed from node:crypto's CSPRNG, its public key from the Ed25519 implementation in use. */
export function generateIdentity(): Identity {
  return generateSecretKey();
}

/** The key pair for a 32-byte seed: for deterministic simulations and test vectors only. */
export function identityFromSeed(seed: Uint8Array): Identity {
  if (!isBytes(seed, SEED_BYTES)) {
    throw new CohortError('CONFIG_INVALID', `an Ed25519 seed must be ${SEED_BYTES} bytes`);
  }
  const publicKey = ed25519().publicKeyOf(seed);
  const secretKey = new Uint8Array(SECRET_KEY_BYTES);
  secretKey.set(seed, 0);
  secretKey.set(publicKey, SEED_BYTES);
  return { publicKey, secretKey };
}

export function encodePublicKey(publicKey: Uint8Array): string {
  if (!isBytes(publicKey, PUBLIC_KEY_BYTES)) {
    throw new CohortError('CONFIG_INVALID', `an Ed25519 public key must be ${PUBLIC_KEY_BYTES} bytes`);
  }
  return PUBLIC_KEY_PREFIX + encodeBase64Url(publicKey);
}

export function decodePublicKey(text: string): Uint8Array {
  if (typeof text !== 'string' || !text.startsWith(PUBLIC_KEY_PREFIX)) {
    throw new CohortError('CONFIG_INVALID', `not an Ed25519 public key (missing '${PUBLIC_KEY_PREFIX}' prefix): ${KEY_SHAPE}`);
  }
  const body = text.slice(PUBLIC_KEY_PREFIX.length);
  const bytes = decodeBase64UrlStrict(body);
  if (bytes === undefined) {
    throw new CohortError('CONFIG_INVALID', `not an Ed25519 public key (bad characters or padding): ${KEY_SHAPE}`);
  }
  if (bytes.length !== PUBLIC_KEY_BYTES) {
    throw new CohortError(
      'CONFIG_INVALID',
      `not an Ed25519 public key (${bytes.length} bytes, expected ${PUBLIC_KEY_BYTES}): ${KEY_SHAPE}`,
    );
  }
  return bytes;
}

/**
 * A short display form for people comparing keys over the phone: the first 16 hex
 * characters of SHA-256(public key) in groups of four, e.g. '3f1a:09bc:77d2:e410'.
 * 64 bits are enough to spot a wrong key, not to identify one; pin the full key.
 */
export function fingerprint(publicKey: Uint8Array): string {
  if (!isBytes(publicKey, PUBLIC_KEY_BYTES)) {
    throw new CohortError('CONFIG_INVALID', `an Ed25519 public key must be ${PUBLIC_KEY_BYTES} bytes`);
  }
  const hex = createHash('sha256').update(publicKey).digest('hex').slice(0, 16);
  return hex.match(/.{4}/g)!.join(':');
}
