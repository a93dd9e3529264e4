import nacl from 'tweetnacl';
import { CohortError } from '@cohortfl/wire';
import { isBytes } from './bytes.js';
import { checkIdentity } from './key-pair-check.js';
import { signingDigest } from './sign-context.js';
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
  checkIdentity({ publicKey: secretKey.subarray(32, 64), secretKey }, 'signing key');
  return nacl.sign.detached(signingDigest(context, payload), secretKey);
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
