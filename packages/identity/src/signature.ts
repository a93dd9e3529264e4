import { CohortError } from '@cohortfl/wire';
import { isBytes } from './bytes.js';
import { ed25519, keyFingerprint, preparedKey, rememberKey, type PreparedKey } from './ed25519.js';
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
  const prepared = checkOnce(secretKey);
  return ed25519().sign(secretKey, signingDigest(context, payload), prepared);
}

/**
 * Signs a digest already computed with `signingDigest` (64 bytes), for callers that also
 * keep the digest (replay guards, audit records) and would otherwise hash a large body twice.
 */
export function signDigest(secretKey: Uint8Array, digest: SigningDigest): Uint8Array {
  if (!isBytes(secretKey, 64)) throw new CohortError('CONFIG_INVALID', 'an Ed25519 secret key must be 64 bytes');
  if (!isBytes(digest, DIGEST_BYTES)) throw new CohortError('MESSAGE_INVALID', `a signing digest is ${DIGEST_BYTES} bytes (from signingDigest)`);
  const prepared = checkOnce(secretKey);
  return ed25519().sign(secretKey, digest, prepared);
}

/** verifyPayload over a digest already computed with `signingDigest`. Never throws. */
export function verifyDigest(publicKey: Uint8Array, digest: Uint8Array, signature: Uint8Array): boolean {
  try {
    if (!isBytes(publicKey, 32) || !isBytes(signature, SIGNATURE_BYTES) || !isBytes(digest, DIGEST_BYTES)) return false;
    if (!acceptable(publicKey, signature)) return false;
    return ed25519().verify(publicKey, digest, signature);
  } catch {
    return false;
  }
}

/**
 * Deriving the public key from the seed costs a scalar multiplication, more than the
 * signature itself, and a process signs with the same key thousands of times. A key
 * array that passed the check is remembered (ed25519.ts: keyed by the array, with the
 * SHA-256 of its bytes and node:crypto's KeyObject, never a second copy of the secret),
 * and checked again whenever those bytes changed.
 */
function checkOnce(secretKey: Uint8Array): PreparedKey {
  const fingerprint = keyFingerprint(secretKey);
  const seen = preparedKey(secretKey, fingerprint);
  if (seen !== undefined) return seen;
  checkIdentity({ publicKey: secretKey.subarray(32, 64), secretKey }, 'signing key');
  return rememberKey(secretKey, fingerprint);
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
    if (!acceptable(publicKey, signature)) return false;
    return ed25519().verify(publicKey, signingDigest(context, payload), signature);
  } catch {
    return false;
  }
}

/**
 * What is refused before either implementation sees a signature, so that both accept
 * exactly the same signatures: the rules of libsodium's verification, stricter than plain
 * RFC 8032 as tweetnacl and OpenSSL implement it.
 * - S must be canonical (S < L): tweetnacl does not check it (OpenSSL does).
 * - The public key must be a canonical encoding (y < p) of a point that is not of small
 *   order. Neither library refuses small-order keys: under the identity point (01 00…00)
 *   any (R = [s]B, S = s) verifies for every message, and both accept that forgery.
 * - R must not be a small-order point either (no honest R = [r]B is one); a non-canonical
 *   R never verifies in either library, as both compare R with a canonical encoding.
 * Where the libraries' own checks differ otherwise, the tests (signature-interop.test.ts)
 * probe each class of input on both and expect both to refuse.
 */
function acceptable(publicKey: Uint8Array, signature: Uint8Array): boolean {
  return hasCanonicalS(signature) && !isWeakPoint(publicKey, 0) && !isWeakPoint(signature, 0);
}

/**
 * The y coordinates (little-endian, sign bit clear) of the points of order 1, 2, 4 and 8:
 * 1, p − 1, 0, and the two order-8 values. Each point's x is ±(one value), so ignoring the
 * sign bit covers both. Encodings of y ≥ p (non-canonical) are refused separately.
 */
const SMALL_ORDER_Y: readonly Uint8Array[] = [
  '0000000000000000000000000000000000000000000000000000000000000000',
  '0100000000000000000000000000000000000000000000000000000000000000',
  'ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f',
  'c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac037a',
  '26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc05',
].map((h) => Uint8Array.from(Buffer.from(h, 'hex')));

/** True for the 32-byte point encoding at `offset` when it is non-canonical (y ≥ p) or of small order. */
function isWeakPoint(bytes: Uint8Array, offset: number): boolean {
  // y ≥ p = 2^255 − 19 with the sign bit clear: ed..ff, then thirty ff, then 7f.
  if ((bytes[offset + 31]! & 0x7f) === 0x7f && bytes[offset]! >= 0xed) {
    let allFF = true;
    for (let i = 1; i < 31; i++) if (bytes[offset + i] !== 0xff) allFF = false;
    if (allFF) return true;
  }
  for (const y of SMALL_ORDER_Y) {
    let same = (bytes[offset + 31]! & 0x7f) === y[31];
    for (let i = 0; same && i < 31; i++) same = bytes[offset + i] === y[i];
    if (same) return true;
  }
  return false;
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
