import { createHash } from 'node:crypto';
import nacl from 'tweetnacl';
import { CohortError } from '@cohortfl/wire';
import { bytesEqual, isBytes } from './bytes.js';
import { checkIdentity } from './key-pair-check.js';
import { DIGEST_BYTES, signingDigest, type SigningDigest } from './sign-context.js';
import type { SignContext } from './sign-context.js';

export const SIGNATURE_BYTES = 64;

// The group order L = 2^252 + 27742317777372353535851937790883648493, little-endian.
const ORDER_L = Uint8Array.from([
  0xed, 0xd3, 0xf5, 0x5c, 0x1a, 0x63, 0x12, 0x58, 0xd6, 0x9c, 0xf7, 0xa2, 0xde, 0xf9, 0xde, 0x14,
  0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x10,
]);

/**
 * Signs the 64-byte signing digest of (context, payload) with Ed25519. The secret key
 * is checked against its embedded public key first: signing under a mismatched public
 * key can leak the secret key (the Ed25519 "double public key" misuse).
 */
export function signPayload(secretKey: Uint8Array, context: SignContext, payload: Uint8Array): Uint8Array {
  if (!isBytes(secretKey, 64)) throw new CohortError('CONFIG_INVALID', 'an Ed25519 secret key must be 64 bytes');
  checkOnce(secretKey);
  return nacl.sign.detached(signingDigest(context, payload), secretKey);
}

/**
 * Signs a digest already computed with `signingDigest` (64 bytes), for callers that also
 * keep the digest (replay guards, audit records) and would otherwise hash a large body twice.
 */
export function signDigest(secretKey: Uint8Array, digest: SigningDigest): Uint8Array {
  if (!isBytes(secretKey, 64)) throw new CohortError('CONFIG_INVALID', 'an Ed25519 secret key must be 64 bytes');
  if (!isBytes(digest, DIGEST_BYTES)) throw new CohortError('MESSAGE_INVALID', `a signing digest is ${DIGEST_BYTES} bytes (from signingDigest)`);
  checkOnce(secretKey);
  return nacl.sign.detached(digest, secretKey);
}

/** verifyPayload over a digest already computed with `signingDigest`. Never throws. */
export function verifyDigest(publicKey: Uint8Array, digest: Uint8Array, signature: Uint8Array): boolean {
  try {
    if (!isBytes(publicKey, 32) || !isBytes(signature, SIGNATURE_BYTES) || !isBytes(digest, DIGEST_BYTES)) return false;
    if (!hasCanonicalS(signature)) return false;
    return nacl.sign.detached.verify(digest, signature, publicKey);
  } catch {
    return false;
  }
}

/**
 * Deriving the public key from the seed costs a scalar multiplication, more than the
 * signature itself, and a process signs with the same key thousands of times. A key
 * array that passed the check is remembered with the SHA-256 of its bytes (never a
 * second copy of the secret), and checked again whenever those bytes changed.
 */
const checkedKeys = new WeakMap<Uint8Array, Uint8Array>();

function checkOnce(secretKey: Uint8Array): void {
  const digest = new Uint8Array(createHash('sha256').update(secretKey).digest());
  const seen = checkedKeys.get(secretKey);
  if (seen !== undefined && bytesEqual(seen, digest)) return;
  checkIdentity({ publicKey: secretKey.subarray(32, 64), secretKey }, 'signing key');
  checkedKeys.set(secretKey, digest);
}

/**
 * True only if `signature` is a valid Ed25519 signature by `publicKey` over exactly this
 * context and payload. Never throws: anything malformed from the network is false.
 */
export function verifyPayload(
  publicKey: Uint8Array,
  context: SignContext,
  payload: Uint8Array,
  signature: Uint8Array,
): boolean {
  try {
    if (!isBytes(publicKey, 32) || !isBytes(signature, SIGNATURE_BYTES) || !isBytes(payload)) return false;
    if (!hasCanonicalS(signature)) return false;
    return nacl.sign.detached.verify(signingDigest(context, payload), signature, publicKey);
  } catch {
    return false;
  }
}

/**
 * RFC 8032 §5.1.7 requires S < L; tweetnacl does not check it, so (R, S + L) would
 * also verify. Refusing it makes every accepted signature the only one for its message.
 */
function hasCanonicalS(signature: Uint8Array): boolean {
  for (let i = 31; i >= 0; i--) {
    const s = signature[32 + i]!;
    const l = ORDER_L[i]!;
    if (s !== l) return s < l;
  }
  return false; // S == L
}
