import { CohortError } from '@cohortfl/wire';
import { bytesEqual, isBytes } from './bytes.js';
import { ed25519 } from './ed25519.js';
import type { Identity } from './keys.js';

/**
 * Refuses a key pair whose parts do not belong together. tweetnacl's secret key is
 * seed || public key, so both the embedded copy and the key derived from the seed must
 * equal `publicKey`: a tampered seed would otherwise sign under a different key.
 */
export function checkIdentity(identity: Identity, what: string): void {
  if (!isBytes(identity.publicKey, 32) || !isBytes(identity.secretKey, 64)) {
    throw new CohortError('CONFIG_INVALID', `${what}: expected a 32-byte public key and a 64-byte secret key`);
  }
  const embedded = identity.secretKey.subarray(32, 64);
  const derived = ed25519().publicKeyOf(identity.secretKey.subarray(0, 32));
  if (!bytesEqual(embedded, identity.publicKey) || !bytesEqual(derived, identity.publicKey)) {
    throw new CohortError('CONFIG_INVALID', `${what}: the secret key does not belong to the public key`);
  }
}
