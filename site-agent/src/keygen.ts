/** `cohort-site keygen`: a fresh Ed25519 identity in a 0600 key file. */
import { mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { encodePublicKey, fingerprint, generateIdentity, writeKeyFile } from '@cohortfl/identity';

export interface KeygenResult {
  path: string;
  /** `ed25519:…`: what the operator enrolls with `cohort-coordinator sites add`. */
  publicKey: string;
  fingerprint: string;
}

/** Writes a new key file (never overwrites one) and returns its public half. */
export function keygen(out: string): KeygenResult {
  const path = resolve(out);
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  const identity = generateIdentity();
  writeKeyFile(path, identity);
  return { path, publicKey: encodePublicKey(identity.publicKey), fingerprint: fingerprint(identity.publicKey) };
}
