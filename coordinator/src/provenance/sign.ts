/** Signing a provenance record with the coordinator key, domain-separated from every other signature. */
import { createHash } from 'node:crypto';
import { encodePublicKey, SIGN_DOMAINS, signPayload, type SignContext } from '@cohortfl/identity';
import { canonicalJson, CohortError } from '@cohortfl/wire';
import type { ProvenanceRecord, UnsignedProvenanceRecord } from './types.js';

/** The record without its signature: what the signature covers. */
export function withoutSignature(record: UnsignedProvenanceRecord | ProvenanceRecord): UnsignedProvenanceRecord {
  const { signature: _signature, ...rest } = record as ProvenanceRecord;
  return rest;
}

/** SHA-256 of canonicalJson(record without `signature`): the signed payload. */
export function provenanceDigest(record: UnsignedProvenanceRecord | ProvenanceRecord): Uint8Array {
  return new Uint8Array(createHash('sha256').update(canonicalJson(withoutSignature(record)), 'utf8').digest());
}

/** Binds the signature to the task and the checkpoint it describes. */
export function provenanceContext(record: UnsignedProvenanceRecord): SignContext {
  return {
    domain: SIGN_DOMAINS.PROVENANCE,
    taskHash: record.task.manifestSha256,
    round: record.checkpoint.round,
    attempt: record.checkpoint.attempt,
    site: 'coordinator',
    phase: 'provenance',
  };
}

/**
 * Signs (or re-signs) a record. The secret key must belong to the key the record names
 * in `coordinator.publicKey`, so no record can claim one key and carry another's signature.
 */
export function signProvenance(secretKey: Uint8Array, record: UnsignedProvenanceRecord | ProvenanceRecord): ProvenanceRecord {
  const unsigned = withoutSignature(record);
  if (!(secretKey instanceof Uint8Array) || secretKey.length !== 64) throw new CohortError('CONFIG_INVALID', 'an Ed25519 secret key must be 64 bytes');
  const signer = encodePublicKey(secretKey.subarray(32, 64));
  if (signer !== unsigned.coordinator.publicKey) {
    throw new CohortError('CONFIG_INVALID', `the record names coordinator key ${unsigned.coordinator.publicKey}, but the signing key is ${signer}`);
  }
  const value = Buffer.from(signPayload(secretKey, provenanceContext(unsigned), provenanceDigest(unsigned))).toString('base64');
  return { ...unsigned, signature: { alg: 'ed25519', domain: SIGN_DOMAINS.PROVENANCE, value } };
}
